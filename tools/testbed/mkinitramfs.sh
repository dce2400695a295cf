#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# mkinitramfs.sh KERNEL_DIR STAGE_DIR OUT
# Build the guest initramfs: busybox, /init, the kernel's VFIO modules, the
# smmu-assign module, smmuctl, examples and selftests from STAGE_DIR (laid
# out as the guest sees it).
set -euo pipefail
. "$(dirname "$0")/common.sh"

kdir=$1 stage=$2 out=$3
busybox=$CACHE/busybox
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT

if [ ! -x "$busybox" ]; then
	stock=$("$TOP/tools/testbed/fetch-stock-kernel.sh")
	cp "$stock/root/bin/busybox" "$busybox"
fi

mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,lib,etc}
cp "$busybox" "$root/bin/busybox"
install -m 0755 "$TOP/tools/testbed/guest-init.sh" "$root/init"
kver=$(basename "$(readlink -f "$kdir/modules")")
mdst=$root/lib/modules/$kver
mkdir -p "$mdst"
(cd "$kdir/modules" && find . -path '*/drivers/vfio/*' -name '*.ko' -print0 |
	xargs -0 -r cp --parents -t "$mdst")
cp -a "$stage"/. "$root"/
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$out"
