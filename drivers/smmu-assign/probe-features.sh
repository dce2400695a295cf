#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# probe-features.sh SRCTREE
# Print a -D flag for each kernel API feature found in the headers of the
# kernel being built against. Distributions backport IOMMU changes into
# older version numbers, so compat.h keys on what the headers declare,
# never on LINUX_VERSION_CODE. Whitespace is folded first, so a declaration
# split over lines still matches.

inc=$1/include/linux

has() { # FILE REGEX FLAG
	tr -s ' \t\n' '   ' <"$inc/$1" 2>/dev/null | grep -Eq "$2" && echo "$3"
}

# 6.3: iommu_map() takes the allocation flags for page-table pages.
has iommu.h 'iommu_map\([^)]*gfp_t' -DSMMUA_HAVE_IOMMU_MAP_GFP
# 6.3: MSI isolation became a property of the IOMMU group.
has iommu.h 'iommu_group_has_isolated_msi\(' -DSMMUA_HAVE_GROUP_ISOLATED_MSI
# 6.11: paging domains are allocated for a device, not a bus.
has iommu.h 'iommu_paging_domain_alloc\(' -DSMMUA_HAVE_PAGING_DOMAIN_ALLOC
# Before 6.8, eventfd_signal() took a count to add.
has eventfd.h '[^_]eventfd_signal\([^)]*,' -DSMMUA_HAVE_EVENTFD_SIGNAL_COUNT
# Before 6.9, unrecoverable faults reached a per-device fault handler.
has iommu.h 'iommu_register_device_fault_handler\(' -DSMMUA_HAVE_DEVICE_FAULT_HANDLER
# Before 6.2, a long-term read-only pin could pin a page shared with the
# zero page or the page cache; the fix gave gup_must_unshare() its vma.
has mm.h 'gup_must_unshare\(unsigned int flags' -DSMMUA_HAVE_SHARED_RO_PIN
# 6.12: a vfio_device has an inode whose mapping
# holds every mmap of its regions, for unmap_mapping_range().
has vfio.h 'struct inode \*inode;' -DSMMUA_HAVE_VFIO_DEVICE_INODE
# Before 6.5, vfio-pci-core kept MSI/MSI-X contexts in an array of num_ctx.
has vfio_pci_core.h ' num_ctx;' -DSMMUA_HAVE_VFIO_NUM_CTX
# Before 6.12, a BAR mmap of vfio-pci-core held the BAR's pfn in vm_pgoff
# (after, the region offset), and the core tracked the vmas in vma_list.
has vfio_pci_core.h 'vma_list;' -DSMMUA_HAVE_VFIO_VMA_LIST
# After 6.12 upstream, and in Debian's 6.12.y: vfio-pci-core's ERR and REQ eventfds are
# RCU-protected struct vfio_pci_eventfd, no longer a bare eventfd_ctx.
has vfio_pci_core.h 'struct vfio_pci_eventfd \{' -DSMMUA_HAVE_VFIO_PCI_EVENTFD
exit 0
