#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The narrated demo, run by the guest's /init in testbed.mode=demo.

say() { printf '\n### %s\n' "$*"; }

say "The SMMUv3 the kernel found"
ls /sys/class/iommu/
say "The module is loaded"
lsmod | grep smmu_assign
ls -l /dev/smmu-assign
smmuctl version
say "The edu DMA devices it will manage (PCI 1234:11e8)"
for d in /sys/bus/pci/devices/*; do
	[ "$(cat "$d/vendor"):$(cat "$d/device")" = "0x1234:0x11e8" ] || continue
	drv=$(basename "$(readlink "$d/driver" 2>/dev/null)" 2>/dev/null)
	echo "$(basename "$d")  edu  driver=${drv:-none}"
done
