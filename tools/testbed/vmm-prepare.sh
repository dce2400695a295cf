#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# vmm-prepare.sh KERNEL_DIR BASE_INITRD OUT
# The emulated server's initramfs for the VMM boot (vmm-check.sh):
# BASE_INITRD (the stock guest's, as prepare-guest.sh packs it) followed by
# an uncompressed archive with
#   - Debian's arm64 QEMU and the libraries it loads (vmm-fetch-qemu.sh), at
#     their own paths, so that it runs unmodified;
#   - /vmm/Image, the nested guest's (L2's) kernel: KERNEL_DIR's, whose
#     Debian vmlinuz is a plain arm64 Image;
#   - /vmm/initrd, L2's initramfs (uncompressed): vmm-guest as /init,
#     uio_pci_generic and uio (INTx) and uio_pci_msi (MSI, built here
#     against KERNEL_DIR) with /modules, their load order.
# The kernel unpacks concatenated archives, compressed or not; this one
# stays uncompressed (about 90 MB) so that no gunzip of it runs under TCG.
# Build logs and parts go to OUT/vmm; the initramfs is OUT/stock-vmm-initrd.
set -euo pipefail
. "$(dirname "$0")/common.sh"

kdir=$1 base=$2 out=$3
src=$TOP/tools/testbed/vmm-l2
work=$out/vmm
rm -rf "$work"
mkdir -p "$work"
qemu=$("$TOP/tools/testbed/vmm-fetch-qemu.sh")

blog=$work/build.log
cp -a "$src" "$work/l2mod"
if ! { "${CROSS_COMPILE}gcc" -std=gnu11 -O2 -Wall -Wextra -Werror -static \
		-I"$TOP/tools/examples" -I"$TOP/tools/lib" -I"$TOP/include/uapi" \
		-o "$work/vmm-guest" "$src/vmm-guest.c" &&
       make -C "$kdir/build" M="$work/l2mod" W=1 KCFLAGS=-Werror modules; } >"$blog" 2>&1; then
	cat "$blog" >&2
	die "building the nested guest's program and module failed"
fi

# L2's initramfs. The kernel's built-in archive already has /dev/console.
l2=$work/l2-root
mkdir -p "$l2"/{proc,sys,dev,lib/modules}
install -m 0755 "$work/vmm-guest" "$l2/init"
# A module of KERNEL_DIR, after the modules it depends on (the extracted
# package has no modules.dep: modinfo reads each one's own list).
order=
add_module() {
	local f d
	case " $order " in *" $1.ko "*) return 0 ;; esac
	f=$(find "$kdir/modules/" -name "$(echo "$1" | sed 's/[-_]/[-_]/g').ko*" | head -n1)
	[ -n "$f" ] || die "no module $1 in $kdir/modules"
	for d in $(modinfo -F depends "$f" | tr , ' '); do
		add_module "$d"
	done
	case $f in
	*.xz) xz -dc "$f" >"$l2/lib/modules/$1.ko" ;;
	*) cp "$f" "$l2/lib/modules/$1.ko" ;;
	esac
	order="$order $1.ko"
}
add_module uio_pci_generic
cp "$work/l2mod/uio_pci_msi.ko" "$l2/lib/modules/"
echo "$order uio_pci_msi.ko" >"$l2/modules"

root=$work/root
mkdir -p "$root/vmm"
cp -a "$qemu"/. "$root"/
cp -L "$kdir/vmlinuz" "$root/vmm/Image"
(cd "$l2" && find . | cpio -o -H newc --quiet) >"$root/vmm/initrd"

# Archives are concatenated on 4-byte boundaries, with zeros between them.
cp "$base" "$out/stock-vmm-initrd"
size=$(stat -c %s "$out/stock-vmm-initrd")
head -c $(((4 - size % 4) % 4)) /dev/zero >>"$out/stock-vmm-initrd"
(cd "$root" && find . | cpio -o -H newc --quiet) >>"$out/stock-vmm-initrd"
rm -rf "$root" "$l2"
log "VMM initramfs: $(du -h "$out/stock-vmm-initrd" | cut -f1)"
