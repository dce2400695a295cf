/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel API changes smmu-assign spans, each named by the release that
 * made it. Built and tested on 6.1 (Debian 12); builds for 6.1 - 6.6.
 */
#ifndef _SMMU_ASSIGN_COMPAT_H
#define _SMMU_ASSIGN_COMPAT_H

#include <linux/iommu.h>
#include <linux/irqdomain.h>
#include <linux/version.h>

/* 6.3: iommu_map() takes the allocation flags for page-table pages. */
static inline int smmua_iommu_map(struct iommu_domain *domain, unsigned long iova,
				  phys_addr_t paddr, size_t size, int prot)
{
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 3, 0)
	return iommu_map(domain, iova, paddr, size, prot);
#else
	return iommu_map(domain, iova, paddr, size, prot, GFP_KERNEL_ACCOUNT);
#endif
}

/* 6.3: MSI isolation became a property of the group. */
static inline bool smmua_group_has_isolated_msi(struct iommu_group *group)
{
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 3, 0)
	return irq_domain_check_msi_remap();
#else
	return iommu_group_has_isolated_msi(group);
#endif
}

/*
 * 6.2: a long-term read-only pin of a private (copy-on-write) mapping
 * unshares the page, so the pinned page stays the one the process writes.
 * Before, only a write pin breaks COW; the fallback (pin for write with
 * FOLL_FORCE, as RDMA did) is correct on every kernel, so a backport of the
 * change only makes it unnecessary.
 */
static inline bool smmua_ro_longterm_pin_unshares(void)
{
	return LINUX_VERSION_CODE >= KERNEL_VERSION(6, 2, 0);
}

/*
 * 6.7 removed the per-device fault handler in favour of domain fault
 * handlers; smmu-assign registers the former, so it needs 6.1 - 6.6.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 7, 0)
#error "smmu-assign reports faults through iommu_register_device_fault_handler(), gone in 6.7"
#endif

#endif /* _SMMU_ASSIGN_COMPAT_H */
