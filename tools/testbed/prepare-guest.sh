#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# prepare-guest.sh KERNEL OUT
# Get KERNEL (stock: Debian's current 6.1 arm64 kernel; debug: the cached
# debug build of 6.1; 6.12 and 6.12-16k: Debian's current 6.12 arm64 kernel
# with 4K or 16K pages), build smmu_assign.ko against it and smmuctl and the selftests as
# static arm64 programs, and pack them into OUT/KERNEL-initrd.gz. Prints the
# kernel directory. Build logs stay in OUT.
set -euo pipefail
. "$(dirname "$0")/common.sh"

kernel=$1 out=$2
mkdir -p "$out"
case $kernel in
stock) kdir=$("$TOP/tools/testbed/fetch-stock-kernel.sh" 6.1) ;;
6.12 | 6.12-16k) kdir=$("$TOP/tools/testbed/fetch-stock-kernel.sh" "$kernel") ;;
debug) kdir=$("$TOP/tools/testbed/build-debug-kernel.sh") ;;
*) die "unknown kernel '$kernel'" ;;
esac

stage=$out/$kernel-stage
rm -rf "$stage"
mkdir -p "$stage/usr/share/smmu-assign"
blog=$out/$kernel-build.log
if ! { make -C "$TOP/tools" OUTPUT="$out/userspace/tools" STATIC=1 &&
       make -C "$TOP/selftests" OUTPUT="$out/userspace/selftests" STATIC=1 &&
       make -C "$TOP/tools/bench" OUTPUT="$out/userspace/bench" STATIC=1 &&
       "$TOP/tools/testbed/build-module.sh" "$kdir" "$stage/lib"; } >"$blog" 2>&1; then
	cat "$blog" >&2
	die "build for the $kernel kernel failed"
fi
mkdir -p "$stage/usr/sbin" "$stage/selftests"
cp "$out/userspace/tools/smmuctl" "$stage/usr/sbin/"
mkdir -p "$stage/usr/bin"
cp "$out/userspace/tools/edu-dma" "$out/userspace/bench/smmua-bench" "$stage/usr/bin/"
cp "$out"/userspace/selftests/*_test "$out/userspace/selftests/run-order" "$stage/selftests/"
install -m 0755 "$TOP/tools/testbed/demo-guest.sh" "$stage/usr/share/smmu-assign/demo.sh"
"$TOP/tools/testbed/mkinitramfs.sh" "$kdir" "$stage" "$out/$kernel-initrd.gz"
echo "$kdir"
