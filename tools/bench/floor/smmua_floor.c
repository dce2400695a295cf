// SPDX-License-Identifier: GPL-2.0
/*
 * smmua_floor: the floor smmu-assign's MAP and UNMAP are measured against,
 * built only for make bench and never shipped. One PCI device's group is
 * attached to an unmanaged domain; MAP is pin_user_pages_fast() a batch at
 * a time and iommu_map() of each physically contiguous run; UNMAP is one
 * iommu_unmap() of the range and the unpin of each run. The runs are kept
 * in an xarray by IOVA, in an array of exactly the size needed.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/iommu.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/version.h>
#include <linux/vmalloc.h>
#include <linux/xarray.h>

#include "smmua_floor.h"

struct floor_run {
	phys_addr_t phys;
	size_t len;
};

struct floor_map {
	u64 length;
	unsigned long nr;
	struct floor_run runs[];
};

static DEFINE_MUTEX(floor_lock);
static struct iommu_domain *floor_domain;
static struct iommu_group *floor_group;
static DEFINE_XARRAY(floor_maps);
static struct floor_run *floor_scratch;	/* runs of the MAP being built */
static unsigned long floor_scratch_len;
static struct page **floor_batch;
#define FLOOR_BATCH	(PAGE_SIZE / sizeof(struct page *))

static int floor_iommu_map(unsigned long iova, phys_addr_t phys, size_t len)
{
	int prot = IOMMU_READ | IOMMU_WRITE | IOMMU_CACHE;

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
	return iommu_map(floor_domain, iova, phys, len, prot, GFP_KERNEL);
#else
	return iommu_map(floor_domain, iova, phys, len, prot);
#endif
}

static void floor_unpin(struct floor_run *runs, unsigned long nr)
{
	unsigned long i;

	for (i = 0; i < nr; i++)
		unpin_user_page_range_dirty_lock(pfn_to_page(PHYS_PFN(runs[i].phys)),
						 runs[i].len >> PAGE_SHIFT, true);
}

static int floor_attach(struct smmua_floor_attach *a)
{
	struct pci_dev *pdev;
	int ret;

	if (floor_domain)
		return -EBUSY;
	pdev = pci_get_domain_bus_and_slot(a->domain, a->bus, a->devfn);
	if (!pdev)
		return -ENODEV;
	floor_group = iommu_group_get(&pdev->dev);
	ret = -ENODEV;
	if (!floor_group)
		goto out;
	ret = iommu_group_claim_dma_owner(floor_group, &floor_domain);
	if (ret)
		goto err_group;
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 11, 0)
	floor_domain = iommu_paging_domain_alloc(&pdev->dev);
	if (IS_ERR(floor_domain))
		floor_domain = NULL;
#else
	floor_domain = iommu_domain_alloc(pdev->dev.bus);
#endif
	ret = -ENOMEM;
	if (!floor_domain)
		goto err_owner;
	ret = iommu_attach_group(floor_domain, floor_group);
	if (ret)
		goto err_domain;
	pci_dev_put(pdev);
	return 0;
err_domain:
	iommu_domain_free(floor_domain);
	floor_domain = NULL;
err_owner:
	iommu_group_release_dma_owner(floor_group);
err_group:
	iommu_group_put(floor_group);
	floor_group = NULL;
out:
	pci_dev_put(pdev);
	return ret;
}

static int floor_map(struct smmua_floor_map *m)
{
	unsigned long npages = m->length >> PAGE_SHIFT, done = 0, nr = 0, i;
	struct floor_map *fm;
	unsigned long iova;
	long pinned;
	int ret = 0;

	if (!floor_domain)
		return -ENODEV;
	if (!npages || !PAGE_ALIGNED(m->length | m->uaddr | m->iova))
		return -EINVAL;
	if (npages > floor_scratch_len) {
		kvfree(floor_scratch);
		floor_scratch = kvmalloc_array(npages, sizeof(*floor_scratch), GFP_KERNEL);
		floor_scratch_len = floor_scratch ? npages : 0;
		if (!floor_scratch)
			return -ENOMEM;
	}
	while (done < npages) {
		pinned = pin_user_pages_fast(m->uaddr + (done << PAGE_SHIFT),
					     min(npages - done, FLOOR_BATCH),
					     FOLL_WRITE | FOLL_LONGTERM, floor_batch);
		if (pinned <= 0) {
			ret = pinned ?: -EFAULT;
			goto err_unpin;
		}
		for (i = 0; i < pinned; i++) {
			phys_addr_t phys = page_to_phys(floor_batch[i]);

			if (nr && floor_scratch[nr - 1].phys + floor_scratch[nr - 1].len == phys)
				floor_scratch[nr - 1].len += PAGE_SIZE;
			else
				floor_scratch[nr++] = (struct floor_run){ phys, PAGE_SIZE };
		}
		done += pinned;
	}
	iova = m->iova;
	for (i = 0; i < nr; i++) {
		ret = floor_iommu_map(iova, floor_scratch[i].phys, floor_scratch[i].len);
		if (ret)
			goto err_unmap;
		iova += floor_scratch[i].len;
	}
	fm = kvmalloc(struct_size(fm, runs, nr), GFP_KERNEL);
	ret = -ENOMEM;
	if (!fm)
		goto err_unmap;
	fm->length = m->length;
	fm->nr = nr;
	memcpy(fm->runs, floor_scratch, nr * sizeof(*fm->runs));
	ret = xa_insert(&floor_maps, m->iova >> PAGE_SHIFT, fm, GFP_KERNEL);
	if (ret) {
		kvfree(fm);
		goto err_unmap;
	}
	m->out_runs = nr;
	return 0;
err_unmap:
	if (iova > m->iova)
		iommu_unmap(floor_domain, m->iova, iova - m->iova);
err_unpin:
	floor_unpin(floor_scratch, nr);
	return ret;
}

static int floor_unmap(struct smmua_floor_map *m)
{
	struct floor_map *fm = xa_erase(&floor_maps, m->iova >> PAGE_SHIFT);

	if (!fm)
		return -ENOENT;
	iommu_unmap(floor_domain, m->iova, fm->length);
	floor_unpin(fm->runs, fm->nr);
	kvfree(fm);
	return 0;
}

static long floor_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct smmua_floor_attach a;
	struct smmua_floor_map m;
	long ret;

	if (cmd == SMMUA_FLOOR_ATTACH) {
		if (copy_from_user(&a, (void __user *)arg, sizeof(a)))
			return -EFAULT;
		mutex_lock(&floor_lock);
		ret = floor_attach(&a);
		mutex_unlock(&floor_lock);
		return ret;
	}
	if (cmd != SMMUA_FLOOR_MAP && cmd != SMMUA_FLOOR_UNMAP)
		return -ENOTTY;
	if (copy_from_user(&m, (void __user *)arg, sizeof(m)))
		return -EFAULT;
	mutex_lock(&floor_lock);
	ret = cmd == SMMUA_FLOOR_MAP ? floor_map(&m) : floor_unmap(&m);
	mutex_unlock(&floor_lock);
	if (!ret && cmd == SMMUA_FLOOR_MAP && copy_to_user((void __user *)arg, &m, sizeof(m)))
		ret = -EFAULT;
	return ret;
}

static const struct file_operations floor_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = floor_ioctl,
};

static struct miscdevice floor_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "smmua-floor",
	.fops = &floor_fops,
	.mode = 0600,
};

static int __init floor_init(void)
{
	int ret;

	floor_batch = (struct page **)__get_free_page(GFP_KERNEL);
	if (!floor_batch)
		return -ENOMEM;
	ret = misc_register(&floor_misc);
	if (ret)
		free_page((unsigned long)floor_batch);
	return ret;
}

static void __exit floor_exit(void)
{
	struct floor_map *fm;
	unsigned long index;

	misc_deregister(&floor_misc);
	xa_for_each(&floor_maps, index, fm) {
		iommu_unmap(floor_domain, index << PAGE_SHIFT, fm->length);
		floor_unpin(fm->runs, fm->nr);
		kvfree(fm);
	}
	xa_destroy(&floor_maps);
	if (floor_domain) {
		iommu_detach_group(floor_domain, floor_group);
		iommu_domain_free(floor_domain);
		iommu_group_release_dma_owner(floor_group);
		iommu_group_put(floor_group);
	}
	kvfree(floor_scratch);
	free_page((unsigned long)floor_batch);
}

module_init(floor_init);
module_exit(floor_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("smmu-assign benchmark floor: pin and map with nothing else (bench only)");
