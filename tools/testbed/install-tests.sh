#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# install-tests.sh COUNTS
# How smmu-assign is installed, proved on the build host (host-tests.sh runs
# it): the unit tests of smmuctl apply's configuration; make install into a
# DESTDIR (the module through the kernel's modules_install, found by depmod
# and modprobe; smmuctl, its man page and completion; libsmmu-assign static
# and shared with its soname, headers and pkg-config file, which a program
# builds and links with; the udev rule and the systemd unit) and make
# uninstall; make sign, whose signature modinfo reads and openssl verifies
# against the module; a real dkms build and install for every test-bed
# kernel (SMMU_ASSIGN_KERNELS), cross-built for arm64, and dkms.conf's
# BUILD_EXCLUSIVE refusals; the Debian packages built by dpkg-buildpackage,
# checked by lintian, unpacked into a scratch root (never installed on the
# host) and their files, dependencies and scripts checked.
# Everything is built in copies of the tree under a temporary directory.
set -uo pipefail
shopt -s extglob
. "$(dirname "$0")/common.sh"

counts=$1
pass=0 fail=0
check() { # name command...
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then
		pass=$((pass + 1)); echo "ok      install: $name"
	else
		fail=$((fail + 1)); echo "FAIL    install: $name"; echo "$out" | tail -n 40 | sed 's/^/          /'
	fi
}
ensure_host_packages

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
version=$(make -s -C "$TOP" version)

# A copy of the sources: builds leave nothing in the work tree.
copy_tree() { # DEST
	mkdir -p "$1"
	if git -C "$TOP" rev-parse --git-dir >/dev/null 2>&1; then
		# Files git knows or would, that exist (a deletion not yet committed).
		(cd "$TOP" && git ls-files --cached --others --exclude-standard |
			grep -v '^\.cache$' |
			while IFS= read -r f; do [ -e "$f" ] && printf '%s\n' "$f"; done |
			tar -T - -cf -) | tar -xf - -C "$1"
	else
		(cd "$TOP" && tar --exclude=./.cache --exclude=./build -cf - .) | tar -xf - -C "$1"
	fi
}
src=$tmp/src
copy_tree "$src"

# ---- smmuctl apply's configuration: host unit tests (tools/tests) ----

if ut_log=$(make -C "$TOP/tools/tests" OUTPUT="$tmp/tests" "$tmp/tests/conf_test" 2>&1); then
	unit_tap "install: conf_test" "$tmp/tests/conf_test"
else
	fail=$((fail + 1)); echo "FAIL    install: conf_test build"; echo "$ut_log" | sed 's/^/          /'
fi

# ---- the test bed's kernels, their build trees and releases ----

kernels=${SMMU_ASSIGN_KERNELS:-stock debug 6.12 6.12-16k}
declare -A kdir krel
for k in $kernels; do
	case $k in
	stock) d=$("$TOP/tools/testbed/fetch-stock-kernel.sh" 6.1) ;;
	6.12 | 6.12-16k) d=$("$TOP/tools/testbed/fetch-stock-kernel.sh" "$k") ;;
	debug) d=$("$TOP/tools/testbed/build-debug-kernel.sh") ;;
	*) d= ;;
	esac
	if [ -z "$d" ] || [ ! -d "$d/build" ]; then
		check "kernel $k is available" false
		continue
	fi
	kdir[$k]=$d/build
	krel[$k]=$(sed -n 's/^#define UTS_RELEASE "\(.*\)"/\1/p' "$d/build/include/generated/utsrelease.h")
done
# make install and make sign use Debian's 6.1 (its headers, as a server has
# them, with the kernel's sign-file), whichever kernels the guests run.
first=
if [ -z "${kdir[stock]:-}" ] && d=$("$TOP/tools/testbed/fetch-stock-kernel.sh" 6.1); then
	kdir[stock]=$d/build
	krel[stock]=$(sed -n 's/^#define UTS_RELEASE "\(.*\)"/\1/p' "$d/build/include/generated/utsrelease.h")
fi
[ -n "${kdir[stock]:-}" ] && first=stock

# ---- make install, make uninstall ----

files_under() { # DIR: its files and links, relative, sorted
	(cd "$1" && find . \( -type f -o -type l \) | sed 's|^\./||' | LC_ALL=C sort)
}
same_lists() { # WANT GOT (files)
	diff -u "$1" "$2"
}

inst=$tmp/inst
if [ -n "$first" ]; then
	kd=${kdir[$first]} kr=${krel[$first]}
	check "make (the module for $kr and the tools, cross-built)" \
		make -C "$src" KDIR="$kd"
	check "make install DESTDIR=... (module, tools, library, docs, udev, systemd)" \
		make -C "$src" KDIR="$kd" DESTDIR="$inst" install
	p=usr/local
	cat >"$tmp/want-install" <<-EOF
	lib/modules/$kr/extra/drivers/smmu-assign/smmu_assign.ko
	$p/include/smmu-assign/linux/smmu_assign.h
	$p/include/smmu-assign/smmu_assign_lib.h
	$p/lib/libsmmu-assign.a
	$p/lib/libsmmu-assign.so
	$p/lib/libsmmu-assign.so.0
	$p/lib/libsmmu-assign.so.$version
	$p/lib/pkgconfig/libsmmu-assign.pc
	$p/lib/systemd/system/smmu-assign.service
	$p/lib/udev/rules.d/60-smmu-assign.rules
	$p/sbin/smmuctl
	$p/share/bash-completion/completions/smmuctl
	$p/share/man/man8/smmuctl.8
	EOF
	LC_ALL=C sort -o "$tmp/want-install" "$tmp/want-install"
	# Less depmod's index files, which a kernel tree with a System.map makes.
	files_under "$inst" | grep -v '^lib/modules/[^/]*/modules\.' >"$tmp/got-install"
	check "make install installs exactly the expected files" \
		same_lists "$tmp/want-install" "$tmp/got-install"

	# depmod of the target finds the module where modules_install put it.
	modprobe_finds() {
		depmod -b "$inst" "$kr" &&
			grep -q "^extra/drivers/smmu-assign/smmu_assign.ko:" "$inst/lib/modules/$kr/modules.dep" &&
			modprobe -d "$inst" -S "$kr" --show-depends smmu_assign |
			grep -qx "insmod $inst/lib/modules/$kr/extra/drivers/smmu-assign/smmu_assign.ko *"
	}
	check "depmod and modprobe find the installed module (modprobe smmu_assign)" modprobe_finds
	module_for() { # KO RELEASE: an arm64 module for that kernel
		[ "$(modinfo -F vermagic "$1" | cut -d' ' -f1)" = "$2" ] &&
			LC_ALL=C readelf -h "$1" | grep -q 'Machine: *AArch64'
	}
	check "the installed module is an arm64 module for $kr" \
		module_for "$inst/lib/modules/$kr/extra/drivers/smmu-assign/smmu_assign.ko" "$kr"
	soname_ok() {
		LC_ALL=C readelf -d "$inst/$p/lib/libsmmu-assign.so.$version" |
			grep -q 'SONAME.*\[libsmmu-assign.so.0\]' &&
			[ "$(readlink "$inst/$p/lib/libsmmu-assign.so.0")" = "libsmmu-assign.so.$version" ] &&
			[ "$(readlink "$inst/$p/lib/libsmmu-assign.so")" = libsmmu-assign.so.0 ] &&
			! LC_ALL=C nm -D --defined-only "$inst/$p/lib/libsmmu-assign.so.$version" |
			awk '$2 == "T" { print $3 }' | grep -qv '^smmua_'
	}
	check "libsmmu-assign.so has the soname libsmmu-assign.so.0 and exports smmua_* only" soname_ok
	unit_ok() {
		grep -qx "ExecStart=/usr/local/sbin/smmuctl apply" "$inst/$p/lib/systemd/system/smmu-assign.service" &&
			grep -qx "ExecStartPre=/sbin/modprobe smmu_assign" "$inst/$p/lib/systemd/system/smmu-assign.service" &&
			grep -qx "WantedBy=multi-user.target" "$inst/$p/lib/systemd/system/smmu-assign.service"
	}
	check "the systemd unit loads the module, then runs the installed smmuctl apply" unit_ok
	uninstalled() { # depmod's modules.* index files are the target's
		make -C "$src" KDIR="$kd" DESTDIR="$inst" uninstall >/dev/null &&
			[ -z "$(find "$inst" \( -type f -o -type l \) ! -name 'modules.*')" ]
	}
	check "make uninstall removes everything make install installed" uninstalled
fi

# A program built with pkg-config against an installed library: linked to
# the shared library by its soname, or statically; it runs.
cat >"$tmp/prog.c" <<'EOF'
#include <stdio.h>
#include <smmu_assign_lib.h>

int main(void)
{
	struct smmu_assign_bdf bdf;
	char buf[SMMUA_BDF_STRLEN];

	if (smmua_parse_bdf("4:0.1", &bdf))
		return 1;
	smmua_format_bdf(&bdf, buf, sizeof(buf));
	printf("%s API %d\n", buf, SMMU_ASSIGN_API_VERSION);
	return 0;
}
EOF
# shellcheck disable=SC2086 # the flags pkg-config gives are words
links_and_runs() { # ROOT PCDIR LIBDIR: in a DESTDIR or an unpacked package
	local root=$1 pcdir=$2 libdir=$3 cflags libs out
	cflags=$(PKG_CONFIG_SYSROOT_DIR=$root PKG_CONFIG_LIBDIR=$root$pcdir pkg-config --cflags libsmmu-assign) || return 1
	libs=$(PKG_CONFIG_SYSROOT_DIR=$root PKG_CONFIG_LIBDIR=$root$pcdir pkg-config --libs libsmmu-assign) || return 1
	gcc -Wall -Werror $cflags -o "$tmp/prog-shared" "$tmp/prog.c" $libs || return 1
	LC_ALL=C readelf -d "$tmp/prog-shared" | grep -q 'NEEDED.*\[libsmmu-assign.so.0\]' || return 1
	out=$(LD_LIBRARY_PATH=$root$libdir "$tmp/prog-shared") && [ "$out" = "0000:04:00.1 API 2" ] || return 1
	gcc -Wall -Werror $cflags -o "$tmp/prog-static" "$tmp/prog.c" "$root$libdir/libsmmu-assign.a" || return 1
	! LC_ALL=C readelf -d "$tmp/prog-static" | grep -q 'libsmmu-assign' &&
		[ "$("$tmp/prog-static")" = "0000:04:00.1 API 2" ]
}
native=$tmp/native
check "make install of the tools, natively, with PREFIX=/usr" \
	env CROSS_COMPILE= make -C "$src/tools" OUTPUT="$tmp/native-build" PREFIX=/usr \
	DESTDIR="$native" install
check "a program builds with pkg-config and links libsmmu-assign shared (by soname) and static" \
	links_and_runs "$native" /usr/lib/pkgconfig /usr/lib

# ---- make sign ----

# The PKCS#7 signature appended to a module verifies against the module's
# contents with the certificate's key, as the kernel checks it.
sig_verifies() { # KO CERT
	python3 - "$1" "$tmp/sig.p7" "$tmp/sig.content" <<-'EOF' || return 1
	import sys
	data = open(sys.argv[1], 'rb').read()
	magic = b'~Module signature appended~\n'
	assert data.endswith(magic), 'no signature marker'
	info = data[-len(magic) - 12:-len(magic)]
	assert info[2] == 2, 'not PKCS#7 (id_type %d)' % info[2]
	sig_len = int.from_bytes(info[8:12], 'big')
	end = len(data) - len(magic) - 12
	open(sys.argv[2], 'wb').write(data[end - sig_len:end])
	open(sys.argv[3], 'wb').write(data[:end - sig_len])
	EOF
	openssl cms -verify -binary -inform DER -in "$tmp/sig.p7" -content "$tmp/sig.content" \
		-certfile "$2" -nointern -noverify -out /dev/null
}
signed_ok() { # KO CERT
	local serial
	serial=$(openssl x509 -in "$2" -noout -serial | cut -d= -f2 | tr 'A-F' 'a-f')
	[ "$(modinfo -F signer "$1")" = "smmu-assign test signing key" ] &&
		[ "$(modinfo -F sig_id "$1")" = "PKCS#7" ] &&
		[ "$(modinfo -F sig_hashalgo "$1")" = sha256 ] &&
		[ "$(modinfo -F sig_key "$1" | tr -d ':\n' | tr 'A-F' 'a-f' | sed 's/^0*//')" = "${serial##+(0)}" ] &&
		sig_verifies "$1" "$2"
}
if [ -n "$first" ]; then
	kd=${kdir[$first]}
	ko=$src/drivers/smmu-assign/smmu_assign.ko
	openssl req -new -x509 -newkey rsa:2048 -nodes -days 36500 -batch -sha256 \
		-subj "/CN=smmu-assign test signing key" -keyout "$tmp/key.pem" \
		-out "$tmp/cert.pem" >/dev/null 2>&1
	unsigned() { [ -z "$(modinfo -F signer "$ko")" ]; }
	check "the built module is not signed" unsigned
	sign_refused() { ! make -C "$src" KDIR="$kd" sign; }
	check "make sign refuses without KEY and CERT" sign_refused
	check "make sign KEY=... CERT=... (the kernel's sign-file)" \
		make -C "$src" KDIR="$kd" KEY="$tmp/key.pem" CERT="$tmp/cert.pem" sign
	check "the signed module: modinfo's signer, sig_id PKCS#7, sha256, sig_key the certificate's serial; openssl verifies it" \
		signed_ok "$ko" "$tmp/cert.pem"
fi

# ---- DKMS: a real dkms build for every test-bed kernel ----

# dkms reads ARCH and CROSS_COMPILE (common.sh) from its environment, as
# make does: that is how it cross-builds for arm64 here. Its trees are
# private: nothing goes to /usr/src, /var/lib/dkms or /lib/modules.
dsrc=$tmp/dkms-src/usr/src
dtree=$tmp/dkms-tree
dinst=$tmp/dkms-installed
mkdir -p "$dtree"
check "make dkms-source (sources and dkms.conf in /usr/src/smmu-assign-$version)" \
	make -C "$src" DESTDIR="$tmp/dkms-src" dkms-source
dkms_args=(-m smmu-assign -v "$version" -a aarch64 --sourcetree "$dsrc" --dkmstree "$dtree")
check "dkms add" dkms add "${dkms_args[@]}"
dkms_built() { # KERNEL
	local kr=${krel[$1]} mod
	dkms build "${dkms_args[@]}" -k "$kr" --kernelsourcedir "${kdir[$1]}" || return 1
	mod=$(find "$dtree/smmu-assign/$version/$kr/aarch64/module" -name 'smmu_assign.ko*' | head -n1)
	[ -n "$mod" ] || { echo "no module built"; return 1; }
	case $mod in *.xz) xz -dc "$mod" >"$tmp/dkms.ko" ;; *) cp "$mod" "$tmp/dkms.ko" ;; esac
	module_for "$tmp/dkms.ko" "$kr" &&
		! LC_ALL=C readelf -S "$tmp/dkms.ko" | grep -q '\.debug_info' &&
		mkdir -p "$dinst/$kr" &&
		dkms install "${dkms_args[@]}" -k "$kr" --kernelsourcedir "${kdir[$1]}" \
			--installtree "$dinst" --no-depmod &&
		[ -n "$(find "$dinst/$kr/updates/dkms" -name 'smmu_assign.ko*')" ]
}
for k in $kernels; do
	[ -n "${kdir[$k]:-}" ] || continue
	start=$SECONDS
	check "dkms build and install for $k (${krel[$k]}): an arm64 module, stripped, in updates/dkms" \
		dkms_built "$k"
	log "dkms build for $k took $((SECONDS - start)) s"
done
# Kernels without what the module needs are skipped: dkms exits with 77.
excluded() { # KERNEL-RELEASE SOURCE-DIR
	dkms build "${dkms_args[@]}" -k "$1" --kernelsourcedir "$2"
	[ $? = 77 ]
}
if [ -n "$first" ]; then
	mkdir -p "$tmp/no-smmuv3"
	grep -v '^CONFIG_ARM_SMMU_V3=' "${kdir[$first]}/.config" >"$tmp/no-smmuv3/.config"
	check "dkms skips a kernel without CONFIG_ARM_SMMU_V3 (BUILD_EXCLUSIVE_CONFIG)" \
		excluded 6.1.0-0-arm64 "$tmp/no-smmuv3"
	check "dkms skips a kernel older than 6.1 (BUILD_EXCLUSIVE_KERNEL)" \
		excluded 5.10.0-30-arm64 "${kdir[$first]}"
fi

# ---- the Debian packages ----

pkg=$tmp/pkg
copy_tree "$pkg/smmu-assign"
same_version() { [ "$(cd "$pkg/smmu-assign" && dpkg-parsechangelog -S Version)" = "$version" ]; }
check "version.mk and debian/changelog agree ($version)" same_version
start=$SECONDS
# As a packager builds: without the test bed's ARCH and CROSS_COMPILE.
buildpackage() { (cd "$pkg/smmu-assign" && env -u ARCH -u CROSS_COMPILE dpkg-buildpackage -us -uc -b); }
check "dpkg-buildpackage -us -uc -b" buildpackage
log "the package build took $((SECONDS - start)) s"
arch=$(dpkg --print-architecture)
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
debs="smmu-assign-dkms_${version}_all smmuctl_${version}_$arch libsmmu-assign0_${version}_$arch libsmmu-assign-dev_${version}_$arch"
for d in $debs; do
	check "package ${d%%_*} built" test -s "$pkg/$d.deb"
done
start=$SECONDS
lintian_ok() {
	local out
	out=$(lintian --fail-on error "$pkg"/smmu-assign_"${version}"_"$arch".changes 2>&1)
	local rc=$?
	echo "$out"
	echo "lintian: $(grep -c '^E:' <<<"$out") errors, $(grep -c '^W:' <<<"$out") warnings"
	[ $rc = 0 ] && ! grep -q '^E:' <<<"$out"
}
if out=$(lintian_ok); then
	pass=$((pass + 1)); echo "ok      install: lintian reports no errors ($(tail -n1 <<<"$out"))"
else
	fail=$((fail + 1)); echo "FAIL    install: lintian reports no errors"; echo "$out" | sed 's/^/          /'
fi
log "lintian took $((SECONDS - start)) s"

# Unpacked into a scratch root, never installed on this host.
pkg_files() { # DEB: its files, without docs
	local root=$tmp/root-${1%%_*}
	rm -rf "$root"
	dpkg -x "$pkg/$1.deb" "$root" && files_under "$root" | grep -v '^usr/share/doc/'
}
pkg_has() { # DEB WANT-FILE
	local got
	got=$(pkg_files "$1") && diff -u "$2" - <<<"$got"
}
# Every file of the module's folder (from the clean copy), Kbuild, the uapi header.
{
	printf '%s\n' dkms.conf Kbuild include/uapi/linux/smmu_assign.h
	(cd "$pkg/smmu-assign" && find drivers/smmu-assign -type f)
} | sed "s|^|usr/src/smmu-assign-$version/|" | LC_ALL=C sort >"$tmp/want-dkms"
printf '%s\n' lib/systemd/system/smmu-assign.service lib/udev/rules.d/60-smmu-assign.rules \
	usr/sbin/smmuctl usr/share/bash-completion/completions/smmuctl \
	usr/share/lintian/overrides/smmuctl usr/share/man/man8/smmuctl.8.gz |
	LC_ALL=C sort >"$tmp/want-smmuctl"
printf '%s\n' "usr/lib/$multiarch/libsmmu-assign.so.0" "usr/lib/$multiarch/libsmmu-assign.so.$version" |
	LC_ALL=C sort >"$tmp/want-lib"
printf '%s\n' usr/include/smmu-assign/linux/smmu_assign.h usr/include/smmu-assign/smmu_assign_lib.h \
	"usr/lib/$multiarch/libsmmu-assign.a" "usr/lib/$multiarch/libsmmu-assign.so" \
	"usr/lib/$multiarch/pkgconfig/libsmmu-assign.pc" | LC_ALL=C sort >"$tmp/want-dev"
check "smmu-assign-dkms: the module's sources and dkms.conf in /usr/src/smmu-assign-$version" \
	pkg_has "smmu-assign-dkms_${version}_all" "$tmp/want-dkms"
check "smmuctl: smmuctl, man page, completion, udev rule, systemd unit" \
	pkg_has "smmuctl_${version}_$arch" "$tmp/want-smmuctl"
check "libsmmu-assign0: the shared library and its soname link" \
	pkg_has "libsmmu-assign0_${version}_$arch" "$tmp/want-lib"
check "libsmmu-assign-dev: headers, static library, .so link, pkg-config file" \
	pkg_has "libsmmu-assign-dev_${version}_$arch" "$tmp/want-dev"
check "the packaged DKMS sources are those of make dkms-source" \
	diff -r "$tmp/root-smmu-assign-dkms/usr/src" "$dsrc"

field() { dpkg-deb -f "$pkg/$1.deb" "$2"; }
control_ok() {
	field "smmu-assign-dkms_${version}_all" Depends | grep -q 'dkms (>= 3' &&
		field "libsmmu-assign-dev_${version}_$arch" Depends | grep -q "libsmmu-assign0 (= $version)" &&
		dpkg-deb -I "$pkg/libsmmu-assign0_${version}_$arch.deb" shlibs |
		grep -qx "libsmmu-assign 0 libsmmu-assign0 (>= $version)" &&
		field "smmuctl_${version}_$arch" Depends | grep -q kmod &&
		dpkg-deb -I "$pkg/smmu-assign-dkms_${version}_all.deb" postinst >"$tmp/dkms.postinst" &&
		grep -qx "DKMS_NAME=smmu-assign" "$tmp/dkms.postinst" &&
		grep -qx "DKMS_VERSION=$version" "$tmp/dkms.postinst" &&
		dpkg-deb -I "$pkg/smmuctl_${version}_$arch.deb" postinst |
		grep -q "deb-systemd-helper enable 'smmu-assign.service'"
}
check "package relations and scripts: dkms, the library's shlibs, the dev package's exact version, the unit enabled" \
	control_ok
unpacked_links() { # the library's two packages in one scratch root
	mkdir -p "$tmp/all" &&
		cp -a "$tmp/root-libsmmu-assign0/." "$tmp/root-libsmmu-assign-dev/." "$tmp/all/" &&
		links_and_runs "$tmp/all" "/usr/lib/$multiarch/pkgconfig" "/usr/lib/$multiarch"
}
check "a program builds with pkg-config against the unpacked library packages, shared and static" \
	unpacked_links

echo "install: $pass passed, $fail failed, 0 skipped"
echo "$pass $fail 0" >"$counts"
