#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Cross-build the debug kernel (KASAN, lockdep, kmemleak, UBSAN, list
# debugging, fault injection, KUnit) from Debian's linux-source-6.1 and the
# fragment debug-kernel.config. The result is cached under a key made of the
# source version and the fragment, so a changed fragment rebuilds it.
# Prints the kernel directory (Image, build tree, installed modules).
set -euo pipefail
. "$(dirname "$0")/common.sh"

tarball=/usr/src/linux-source-6.1.tar.xz
fragment=$TOP/tools/testbed/debug-kernel.config
[ -e "$tarball" ] || die "$tarball missing (package linux-source-6.1)"
srcver=$(dpkg-query -W -f='${Version}' linux-source-6.1)
key=$( (echo "$srcver"; cat "$fragment") | sha256sum | cut -c1-12)
dir=$CACHE/debug/$key

# A finished build needs no lock: another key may be building meanwhile.
if [ -e "$dir/.done" ]; then
	echo "$dir"
	exit 0
fi
# Concurrent runs wait for one build instead of clobbering each other.
mkdir -p "$CACHE/debug"
exec 9>"$CACHE/debug/.lock"
flock 9
if [ -e "$dir/.done" ]; then
	echo "$dir"
	exit 0
fi

src=$("$TOP/tools/testbed/linux-source.sh")

log "building debug kernel $key (a few minutes)"
rm -rf "$dir"
mkdir -p "$dir/build"
kmake() { make -C "$src" O="$dir/build" -j"$(nproc)" -s "$@"; }
KCONFIG_ALLCONFIG=$fragment kmake allnoconfig >&2
# Every option of the fragment must have survived the dependency solver.
missing=$(grep -E '^CONFIG_' "$fragment" | while read -r line; do
	grep -qx "$line" "$dir/build/.config" || echo "$line"
done)
[ -z "$missing" ] || die "debug config lost: $missing"
kmake Image modules >&2
kmake INSTALL_MOD_PATH="$dir/root" modules_install >&2
kver=$(cat "$dir/build/include/config/kernel.release")
ln -sfn build/arch/arm64/boot/Image "$dir/vmlinuz"
ln -sfn "root/lib/modules/$kver" "$dir/modules"
touch "$dir/.done"
echo "$dir"
