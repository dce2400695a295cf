/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel API changes smmu-assign spans, one helper per change, each
 * named by the mainline release that made it. The SMMUA_HAVE_* flags come
 * from probe-features.sh, which looks for the feature in the kernel's
 * headers: distributions backport these changes into older versions.
 * Built and tested on 6.1 and 6.12 (Debian 12).
 */
#ifndef _SMMU_ASSIGN_COMPAT_H
#define _SMMU_ASSIGN_COMPAT_H

#include <linux/err.h>
#include <linux/eventfd.h>
#include <linux/iommu.h>
#include <linux/irqdomain.h>
#include <linux/vfio.h>
#include <linux/vfio_pci_core.h>

struct smmua_device;
void smmua_report_fault(struct smmua_device *sdev, u64 iova, bool write, u32 reason);

/* 6.3: iommu_map() takes the allocation flags for page-table pages. */
static inline int smmua_iommu_map(struct iommu_domain *domain, unsigned long iova,
				  phys_addr_t paddr, size_t size, int prot)
{
#ifdef SMMUA_HAVE_IOMMU_MAP_GFP
	return iommu_map(domain, iova, paddr, size, prot, GFP_KERNEL_ACCOUNT);
#else
	return iommu_map(domain, iova, paddr, size, prot);
#endif
}

/* 6.3: MSI isolation became a property of the group. */
static inline bool smmua_group_has_isolated_msi(struct iommu_group *group)
{
#ifdef SMMUA_HAVE_GROUP_ISOLATED_MSI
	return iommu_group_has_isolated_msi(group);
#else
	return irq_domain_check_msi_remap();
#endif
}

/*
 * 6.2: a long-term read-only pin of a private (copy-on-write) mapping
 * unshares the page, so the pinned page stays the one the process writes.
 * Before, only a write pin breaks COW; the fallback (pin for write with
 * FOLL_FORCE, as RDMA did) is correct on every kernel.
 */
static inline bool smmua_ro_longterm_pin_unshares(void)
{
#ifdef SMMUA_HAVE_SHARED_RO_PIN
	return false;
#else
	return true;
#endif
}

/*
 * 6.11: a paging domain is allocated for the device, not for its bus, and
 * failure is an ERR_PTR (iommu_domain_alloc() is gone in 6.13).
 */
static inline struct iommu_domain *smmua_paging_domain_alloc(struct device *dev)
{
#ifdef SMMUA_HAVE_PAGING_DOMAIN_ALLOC
	return iommu_paging_domain_alloc(dev);
#else
	return iommu_domain_alloc(dev->bus) ?: ERR_PTR(-ENOMEM);
#endif
}

/* 6.8: eventfd_signal() lost its count argument: it always adds one. */
static inline void smmua_eventfd_signal(struct eventfd_ctx *ctx)
{
#ifdef SMMUA_HAVE_EVENTFD_SIGNAL_COUNT
	eventfd_signal(ctx, 1);
#else
	eventfd_signal(ctx);
#endif
}

/*
 * 6.9: the per-device fault handler is gone, and with it the reporting of
 * unrecoverable faults: arm-smmu-v3 hands the IOMMU core only stall and PRI
 * faults (I/O page faults) and merely logs the others, rate-limited. Nothing
 * else reports them either: arm-smmu-v3 never calls report_iommu_fault(), so
 * a domain fault handler (iommu_set_fault_handler()) is not called. Where the
 * kernel has no handler, fault records are not delivered and GET_INFO leaves
 * SMMU_ASSIGN_CAP_FAULTS clear.
 */
#ifdef SMMUA_HAVE_DEVICE_FAULT_HANDLER
static inline int smmua_iommu_fault(struct iommu_fault *fault, void *data)
{
	if (fault->type != IOMMU_FAULT_DMA_UNRECOV)
		return -EOPNOTSUPP;
	smmua_report_fault(data, fault->event.addr,
			   fault->event.perm & IOMMU_FAULT_PERM_WRITE, fault->event.reason);
	return 0;
}

static inline bool smmua_faults_delivered(void)
{
	return true;
}

static inline int smmua_register_fault_handler(struct device *dev, struct smmua_device *sdev)
{
	return iommu_register_device_fault_handler(dev, smmua_iommu_fault, sdev);
}

static inline int smmua_unregister_fault_handler(struct device *dev)
{
	return iommu_unregister_device_fault_handler(dev);
}
#else
static inline bool smmua_faults_delivered(void)
{
	return false;
}

static inline int smmua_register_fault_handler(struct device *dev, struct smmua_device *sdev)
{
	return 0;
}

static inline int smmua_unregister_fault_handler(struct device *dev)
{
	return 0;
}
#endif

/*
 * 6.12: vfio-pci-core zaps a device's BAR mmaps through the mapping of the
 * vfio_device's inode (before, it tracked the vmas itself), so a device
 * file must share that mapping, as VFIO's own does.
 */
static inline void smmua_vfio_file_mapping(struct file *file, struct vfio_device *vdev)
{
#ifdef SMMUA_HAVE_VFIO_DEVICE_INODE
	file->f_mapping = vdev->inode->i_mapping;
#endif
}

/* 6.5: vfio-pci-core keeps interrupt contexts in an xarray, not an array. */
static inline u32 smmua_vfio_irq_count(struct vfio_pci_core_device *vdev)
{
#ifdef SMMUA_HAVE_VFIO_NUM_CTX
	return vdev->num_ctx;
#else
	unsigned long index;
	void *ctx;
	u32 n = 0;

	xa_for_each(&vdev->ctx, index, ctx)
		n++;
	return n;
#endif
}

/*
 * 6.12: a BAR mmapped by vfio-pci-core keeps its file offset (region index
 * and offset) in vm_pgoff; before, vm_pgoff became the BAR's pfn. The
 * physical address of @va in such a vma, whose BAR is @bar; -EINVAL if
 * @va is not in a memory BAR of @pdev.
 */
static inline int smmua_vfio_bar_phys(struct pci_dev *pdev, struct vm_area_struct *vma,
				      unsigned long va, int *bar, phys_addr_t *phys)
{
	u64 off = ((u64)vma->vm_pgoff << PAGE_SHIFT) + (va - vma->vm_start);
	int i;

#ifdef SMMUA_HAVE_VFIO_VMA_LIST
	for (i = 0; i < PCI_STD_NUM_BARS; i++) {
		if (pci_resource_len(pdev, i) && off >= pci_resource_start(pdev, i) &&
		    off <= pci_resource_end(pdev, i)) {
			*bar = i;
			*phys = off;
			return 0;
		}
	}
	return -EINVAL;
#else
	i = off >> VFIO_PCI_OFFSET_SHIFT;
	off &= VFIO_PCI_OFFSET_MASK;
	if (i >= PCI_STD_NUM_BARS || off >= pci_resource_len(pdev, i))
		return -EINVAL;
	*bar = i;
	*phys = pci_resource_start(pdev, i) + off;
	return 0;
#endif
}

/*
 * After 6.12 upstream, and in Debian's 6.12.y: the ERR eventfd of a vfio-pci-core device is
 * an RCU-protected struct vfio_pci_eventfd; before, an eventfd_ctx under
 * the device's igate mutex.
 */
static inline void smmua_vfio_signal_err(struct vfio_pci_core_device *vdev)
{
#ifdef SMMUA_HAVE_VFIO_PCI_EVENTFD
	struct vfio_pci_eventfd *eventfd;

	rcu_read_lock();
	eventfd = rcu_dereference(vdev->err_trigger);
	if (eventfd)
		smmua_eventfd_signal(eventfd->ctx);
	rcu_read_unlock();
#else
	mutex_lock(&vdev->igate);
	if (vdev->err_trigger)
		smmua_eventfd_signal(vdev->err_trigger);
	mutex_unlock(&vdev->igate);
#endif
}

#endif /* _SMMU_ASSIGN_COMPAT_H */
