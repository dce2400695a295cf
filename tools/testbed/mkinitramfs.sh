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

mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,run,lib,etc}
cp "$busybox" "$root/bin/busybox"
install -m 0755 "$TOP/tools/testbed/guest-init.sh" "$root/init"
kver=$(basename "$(readlink -f "$kdir/modules")")
mdst=$root/lib/modules/$kver
mkdir -p "$mdst"
# VFIO (and irqbypass, built in on Debian's kernel, a module on the debug
# one) for the hand-over tests, pci-stub as a driver that is neither ours
# nor VFIO's, and uio_pci_generic (with uio) as a driver that uses the DMA
# API and takes any device through driver_override: it puts a member of a
# group on a DMA-API driver. Debian's 6.12 ships them xz-compressed:
# busybox insmod wants them plain.
(cd "$kdir/modules" && find . \( -path '*/drivers/vfio/*' -o -name 'irqbypass.ko*' \
	-o -name 'pci-stub.ko*' -o -name 'uio.ko*' -o -name 'uio_pci_generic.ko*' \) \
	\( -name '*.ko' -o -name '*.ko.xz' \) -print0 |
	xargs -0 -r cp --parents -t "$mdst")
find "$mdst" -name '*.ko.xz' -exec xz -d {} +
cp -a "$stage"/. "$root"/
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$out"
