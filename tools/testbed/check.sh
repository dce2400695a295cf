#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make check: host-side tests, then the selftests inside the emulated ARM64
# server, once on Debian's stock arm64 kernel and once on the debug kernel.
# Installs what it needs, caches downloads and builds under .cache, and ends
# with "N passed, N failed, N skipped". Exits non-zero on any failure.
#   SMMU_ASSIGN_KERNELS="stock debug"  which kernels to run (default both)
set -uo pipefail
. "$(dirname "$0")/common.sh"

ensure_host_packages
out=$CACHE/check
rm -rf "$out"
mkdir -p "$out"
total_pass=0 total_fail=0 total_skip=0
add_counts() {
	local p f s
	read -r p f s <"$1"
	total_pass=$((total_pass + p)) total_fail=$((total_fail + f))
	total_skip=$((total_skip + s))
}

echo "== host tests =="
bash "$TOP/tools/testbed/host-tests.sh" "$out/host.counts"
add_counts "$out/host.counts"

# Guest userspace is the same for both kernels: static arm64 binaries.
stage=$out/stage
log "building smmuctl and the selftests for arm64"
if make -s -C "$TOP/tools" OUTPUT="$stage/usr/sbin" STATIC=1 >"$out/userspace.log" 2>&1 &&
   make -s -C "$TOP/selftests" OUTPUT="$stage/selftests" STATIC=1 >>"$out/userspace.log" 2>&1; then
	rm -rf "$stage/usr/sbin/lib" "$stage/selftests/lib"
	mkdir -p "$stage/usr/share/smmu-assign"
	install -m 0755 "$TOP/tools/testbed/demo-guest.sh" "$stage/usr/share/smmu-assign/demo.sh"
else
	cat "$out/userspace.log"
	echo "FAIL    build: userspace"
	total_fail=$((total_fail + 1))
	stage=
fi

for kernel in ${SMMU_ASSIGN_KERNELS:-stock debug}; do
	echo "== $kernel kernel =="
	case $kernel in
	stock) kdir=$("$TOP/tools/testbed/fetch-stock-kernel.sh") ;;
	debug) kdir=$("$TOP/tools/testbed/build-debug-kernel.sh") ;;
	*) die "unknown kernel '$kernel'" ;;
	esac
	if [ -z "$kdir" ] || [ -z "$stage" ]; then
		echo "FAIL    $kernel: kernel or userspace not built"
		total_fail=$((total_fail + 1))
		continue
	fi
	kstage=$out/$kernel-stage
	if ! "$TOP/tools/testbed/build-module.sh" "$kdir" "$kstage/lib" >"$out/$kernel-module.log" 2>&1; then
		cat "$out/$kernel-module.log"
		echo "FAIL    $kernel: module build"
		total_fail=$((total_fail + 1))
		continue
	fi
	cp -a "$stage"/. "$kstage"/
	"$TOP/tools/testbed/mkinitramfs.sh" "$kdir" "$kstage" "$out/$kernel-initrd.gz"
	log "booting the $kernel kernel ($(basename "$(readlink -f "$kdir/modules")"))"
	"$TOP/tools/testbed/run-guest.sh" "$kdir" "$out/$kernel-initrd.gz" check "$out/$kernel-console.log"
	bash "$TOP/tools/testbed/verdict.sh" "$out/$kernel-console.log" "$kernel" "$out/$kernel.counts"
	add_counts "$out/$kernel.counts"
done

echo "(logs in $out)"
echo "$total_pass passed, $total_fail failed, $total_skip skipped"
[ "$total_fail" = 0 ]
