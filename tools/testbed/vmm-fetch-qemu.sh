#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# vmm-fetch-qemu.sh
# Debian's arm64 QEMU (qemu-system-aarch64, from qemu-system-arm:arm64) and
# the shared libraries it loads, as a tree laid out as a root file system:
# the emulated server runs it as a VMM, with KVM (vmm-check.sh). Prints the
# tree's directory, cached under .cache/vmm/qemu-<version>/root.
# Only what the binary loads is kept: its program interpreter and the
# closure of its NEEDED entries (aarch64-linux-gnu-readelf -d). Each soname
# is looked for in arm64 packages fetched with apt-get download: first
# qemu-system-arm, then the library packages (Multi-Arch: same) that the
# packages used so far depend on, level by level. Nothing is installed.
set -euo pipefail
. "$(dirname "$0")/common.sh"

READELF=${CROSS_COMPILE}readelf
BIN=usr/bin/qemu-system-aarch64
# Where a library's soname is looked for in a package, and put in the tree:
# the dynamic loader's default directories, as Debian lays them out.
LIBDIRS="lib/aarch64-linux-gnu usr/lib/aarch64-linux-gnu lib usr/lib"

ensure_arm64_arch
candidate() {
	apt-cache policy qemu-system-arm:arm64 2>/dev/null | sed -n 's/^ *Candidate: //p'
}
ver=$(candidate)
if [ -z "$ver" ] || [ "$ver" = "(none)" ]; then
	apt-get update -qq >&2 || true
	ver=$(candidate)
fi
[ -n "$ver" ] && [ "$ver" != "(none)" ] || die "cannot resolve Debian's qemu-system-arm:arm64"
dir=$CACHE/vmm/qemu-${ver//:/_}
if [ -e "$dir/.done" ]; then
	echo "$dir/root"
	exit 0
fi

log "fetching Debian's arm64 QEMU $ver and the libraries it loads"
work=$dir/work root=$dir/root
rm -rf "$dir"
mkdir -p "$work/debs" "$work/x" "$root"

# apt-get download the packages named, each extracted into work/x/<name>.
fetch() {
	local deb name
	rm -f "$work"/debs/*.deb
	(cd "$work/debs" && apt-get download -q "$@" >&2) || die "apt-get download $* failed"
	for deb in "$work"/debs/*.deb; do
		name=$(dpkg-deb -f "$deb" Package)
		dpkg-deb -x "$deb" "$work/x/$name"
	done
}

# The NEEDED sonames of an ELF file, one a line.
needed() {
	"$READELF" -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]$/\1/p'
}

fetch qemu-system-arm:arm64
mkdir -p "$root/${BIN%/*}"
cp "$work/x/qemu-system-arm/$BIN" "$root/$BIN"
interp=$("$READELF" -l "$root/$BIN" | sed -n 's/.*program interpreter: \/\(.*\)\]$/\1/p')
[ -n "$interp" ] || die "no program interpreter in $BIN"

# have: sonames in the tree; want: sonames not yet found.
fetched=" qemu-system-arm " used=qemu-system-arm have=" " want=$(needed "$root/$BIN")
while :; do
	# Take every wanted soname that a fetched package has, and what each
	# library taken needs in turn, until nothing more is found.
	while :; do
		missing= more=
		for so in $want; do
			case $have in *" $so "*) continue ;; esac
			found=
			for x in "$work"/x/*; do
				for d in $LIBDIRS; do
					[ -e "$x/$d/$so" ] || continue
					mkdir -p "$root/$d"
					cp -L "$x/$d/$so" "$root/$d/$so"
					more="$more $(needed "$root/$d/$so")"
					case " $used " in *" ${x##*/} "*) ;; *) used="$used ${x##*/}" ;; esac
					have="$have$so "
					found=1
					break 2
				done
			done
			[ -n "$found" ] || missing="$missing $so"
		done
		want="$missing $more"
		[ -n "${more// /}" ] || break
	done
	[ -n "${missing// /}" ] || break
	# The next level: library packages the used ones depend on, not yet
	# fetched (one apt-cache call each, for all of them).
	deps=$(apt-cache depends $(printf '%s:arm64 ' $used) |
		sed -n 's/^ *|\?Depends: \([^<>]*\):arm64$/\1/p' | sort -u)
	new=
	for p in $deps; do
		case $fetched in *" $p "*) ;; *) new="$new $p:arm64" ;; esac
	done
	next=$(apt-cache show --no-all-versions $new 2>/dev/null |
		awk '/^Package: /{p = $2} /^Multi-Arch: same$/{print p ":arm64"}' | sort -u)
	[ -n "$next" ] || die "no arm64 package has:$missing"
	for p in $next; do
		fetched="$fetched${p%:arm64} "
	done
	# shellcheck disable=SC2086
	fetch $next
done

# The interpreter as the binary names it (a link into the multiarch
# directory, where libc's NEEDED entry already put the loader).
for x in "$work"/x/*; do
	[ -e "$x/$interp" ] || continue
	mkdir -p "$root/$(dirname "$interp")"
	cp -L "$x/$interp" "$root/$interp"
	break
done
[ -e "$root/$interp" ] || die "no package has the interpreter /$interp"
log "QEMU $ver: $(echo $used | wc -w) packages, $(du -sh "$root" | cut -f1)"
rm -rf "$work"
touch "$dir/.done"
echo "$root"
