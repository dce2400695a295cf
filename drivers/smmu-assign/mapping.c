// SPDX-License-Identifier: GPL-2.0
/*
 * smmu-assign: pinning user memory and mapping it for a device.
 *
 * Pages are pinned long-term a page-sized batch at a time, and each
 * physically contiguous run is handed to iommu_map() whole, so the
 * io-pgtable code uses the largest block the alignment allows (2 MiB and
 * 1 GiB for huge pages). Nothing is allocated per page: a mapping is one
 * interval-tree node, and unmapping recovers the pages from the page table
 * itself, as VFIO type1 does. The IOTLB is always invalidated before a page
 * is unpinned.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/iommu.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>

#include "compat.h"
#include "smmu_assign.h"

unsigned int smmua_max_mappings = 65535;
module_param_named(max_mappings, smmua_max_mappings, uint, 0644);
MODULE_PARM_DESC(max_mappings, "Most mappings one open file may hold (default 65535)");

/* Physically contiguous pages, mapped or waiting to be. */
struct smmua_run {
	unsigned long iova;
	phys_addr_t phys;
	size_t len;
};

static void smmua_unpin_run(phys_addr_t phys, size_t len, bool dirty)
{
	unpin_user_page_range_dirty_lock(pfn_to_page(PHYS_PFN(phys)),
					 len >> PAGE_SHIFT, dirty);
}

/*
 * Charge @map's pages to the caller, as iommufd does: its user's locked_vm
 * against its RLIMIT_MEMLOCK (unless it has CAP_IPC_LOCK), and its mm's
 * pinned_vm (VmPin). The charge stays with the mapping, so it is returned
 * whichever process holds the file when the mapping goes.
 */
static int smmua_account(struct smmua_mapping *map, unsigned long npages)
{
	unsigned long limit, cur;

	if (!capable(CAP_IPC_LOCK)) {
		limit = rlimit(RLIMIT_MEMLOCK) >> PAGE_SHIFT;
		cur = atomic_long_read(&current_user()->locked_vm);
		do {
			if (npages > limit || cur > limit - npages)
				return -ENOMEM;
		} while (!atomic_long_try_cmpxchg(&current_user()->locked_vm,
						  &cur, cur + npages));
		map->flags |= SMMUA_MAPPING_CHARGED;
	}
	map->user = get_uid(current_user());
	map->mm = current->mm;
	mmgrab(map->mm);
	atomic64_add(npages, &map->mm->pinned_vm);
	return 0;
}

static void smmua_unaccount(struct smmua_mapping *map, unsigned long npages)
{
	if (map->flags & SMMUA_MAPPING_CHARGED)
		atomic_long_sub(npages, &map->user->locked_vm);
	atomic64_sub(npages, &map->mm->pinned_vm);
	free_uid(map->user);
	mmdrop(map->mm);
}

/* A mapping of @bytes appeared (@added) or went away: update the figures. */
static void smmua_stats_mapping(struct smmua_device *sdev, u64 bytes, bool added)
{
	struct smmu_assign_stats *st = &sdev->stats;
	u64 pages = bytes >> PAGE_SHIFT;
	unsigned long flags;

	spin_lock_irqsave(&sdev->stats_lock, flags);
	if (added) {
		st->maps++;
		sdev->nr_mappings++;
		st->bytes_mapped += bytes;
		st->pinned_pages += pages;
		st->peak_bytes_mapped = max(st->peak_bytes_mapped, st->bytes_mapped);
		st->peak_pinned_pages = max(st->peak_pinned_pages, st->pinned_pages);
	} else {
		st->unmaps++;
		sdev->nr_mappings--;
		st->bytes_mapped -= bytes;
		st->pinned_pages -= pages;
	}
	spin_unlock_irqrestore(&sdev->stats_lock, flags);
	atomic64_inc(added ? &smmua_total_maps : &smmua_total_unmaps);
	atomic64_add(added ? bytes : -bytes, &smmua_bytes_mapped);
}

static void smmua_iotlb_sync(struct smmua_device *sdev,
			     struct iommu_iotlb_gather *gather)
{
	unsigned long flags;

	iommu_iotlb_sync(sdev->domain, gather);
	spin_lock_irqsave(&sdev->stats_lock, flags);
	sdev->stats.iotlb_syncs++;
	spin_unlock_irqrestore(&sdev->stats_lock, flags);
}

#define SMMUA_UNPIN_BATCH 32

/*
 * Unmap [iova, iova + length), which is fully mapped, and unpin what was
 * behind it. Runs are found in the page table: each ends where physical
 * contiguity does, so it covers whole leaf entries and never splits a block.
 */
static void smmua_unmap_unpin(struct smmua_device *sdev, unsigned long iova,
			      size_t length, bool dirty)
{
	struct iommu_domain *domain = sdev->domain;
	struct smmua_run runs[SMMUA_UNPIN_BATCH];
	struct iommu_iotlb_gather gather;
	unsigned long end = iova + length;
	unsigned int i, nr = 0;

	iommu_iotlb_gather_init(&gather);
	while (iova < end) {
		phys_addr_t phys = iommu_iova_to_phys(domain, iova);
		size_t len = PAGE_SIZE, unmapped;

		if (WARN_ON_ONCE(!phys)) {
			iova += PAGE_SIZE;
			continue;
		}
		while (iova + len < end &&
		       iommu_iova_to_phys(domain, iova + len) == phys + len)
			len += PAGE_SIZE;
		unmapped = iommu_unmap_fast(domain, iova, len, &gather);
		if (WARN_ON_ONCE(unmapped != len)) {
			/* Leak the pages rather than let the device reach them. */
			iova += len;
			continue;
		}
		runs[nr++] = (struct smmua_run){ .iova = iova, .phys = phys, .len = len };
		iova += len;
		if (nr == ARRAY_SIZE(runs)) {
			smmua_iotlb_sync(sdev, &gather);
			for (i = 0; i < nr; i++)
				smmua_unpin_run(runs[i].phys, runs[i].len, dirty);
			nr = 0;
			cond_resched();
		}
	}
	if (nr)
		smmua_iotlb_sync(sdev, &gather);
	for (i = 0; i < nr; i++)
		smmua_unpin_run(runs[i].phys, runs[i].len, dirty);
}

/* The binding's lock is held; its owner is the file the mapping counts in. */
static void smmua_remove_mapping(struct smmua_device *sdev, struct smmua_mapping *map)
{
	size_t length = map->node.last - map->node.start + 1;

	lockdep_assert_held(&sdev->lock);
	interval_tree_remove(&map->node, &sdev->mappings);
	smmua_unmap_unpin(sdev, map->node.start, length,
			  map->flags & SMMU_ASSIGN_MAP_WRITE);
	smmua_unaccount(map, length >> PAGE_SHIFT);
	smmua_stats_mapping(sdev, length, false);
	atomic_dec(&sdev->owner->nr_mappings);
	kfree(map);
}

/* Everything the owner mapped; the owner is still set. */
void smmua_unmap_all(struct smmua_device *sdev)
{
	struct interval_tree_node *node;

	lockdep_assert_held(&sdev->lock);
	while ((node = interval_tree_iter_first(&sdev->mappings, 0, ULONG_MAX))) {
		smmua_remove_mapping(sdev, container_of(node, struct smmua_mapping, node));
		cond_resched();
	}
}

/*
 * How to pin the next pages of @map at @uaddr, and how many (*npages is
 * clamped) may be pinned that way. A device that only reads must still see
 * what the process writes later, so a private mapping's pages must be the
 * process's own, not the zero page or a file page that a later write
 * copies away from.
 */
static int smmua_gup_flags(struct smmua_mapping *map, unsigned long uaddr,
			   unsigned long *npages, unsigned int *gup_flags)
{
	struct mm_struct *mm = current->mm;
	struct vm_area_struct *vma;

	*gup_flags = FOLL_LONGTERM;
	if (map->flags & SMMU_ASSIGN_MAP_WRITE) {
		*gup_flags |= FOLL_WRITE;
		return 0;
	}
	if (smmua_ro_longterm_pin_unshares())
		return 0;
	mmap_read_lock(mm);
	vma = vma_lookup(mm, uaddr);
	if (vma) {
		*npages = min(*npages, (vma->vm_end - uaddr) >> PAGE_SHIFT);
		if (is_cow_mapping(vma->vm_flags))
			*gup_flags |= FOLL_WRITE | FOLL_FORCE;
	}
	mmap_read_unlock(mm);
	return vma ? 0 : -EFAULT;
}

/*
 * Pin the user range of @map and map it. On failure nothing stays pinned
 * or mapped.
 */
static int smmua_pin_and_map(struct smmua_device *sdev, struct smmua_mapping *map,
			     u32 *num_runs)
{
	unsigned long npages = (map->node.last - map->node.start + 1) >> PAGE_SHIFT;
	bool write = map->flags & SMMU_ASSIGN_MAP_WRITE;
	unsigned int gup_flags;
	int prot = sdev->iommu_prot;
	unsigned long done = 0, iova_start = map->node.start;
	struct smmua_run run = {};
	struct page **batch;
	long i = 0, npinned = 0;
	int ret = 0;

	if (map->flags & SMMU_ASSIGN_MAP_READ)
		prot |= IOMMU_READ;
	if (write)
		prot |= IOMMU_WRITE;
	batch = (struct page **)__get_free_page(GFP_KERNEL_ACCOUNT);
	if (!batch)
		return -ENOMEM;

	*num_runs = 0;
	while (done < npages) {
		unsigned long uaddr = map->user_va + (done << PAGE_SHIFT);
		unsigned long want = min_t(unsigned long, npages - done,
					   PAGE_SIZE / sizeof(*batch));

		ret = smmua_gup_flags(map, uaddr, &want, &gup_flags);
		if (ret) {
			i = 0;
			npinned = 0;
			goto err;
		}
		npinned = pin_user_pages_fast(uaddr, want, gup_flags, batch);
		if (npinned <= 0) {
			ret = npinned ?: -EFAULT;
			npinned = 0;
			goto err;
		}
		for (i = 0; i < npinned; i++) {
			phys_addr_t phys = page_to_phys(batch[i]);

			if (run.len && run.phys + run.len == phys) {
				run.len += PAGE_SIZE;
				continue;
			}
			if (run.len) {
				ret = smmua_iommu_map(sdev->domain, run.iova, run.phys,
						      run.len, prot);
				if (ret)
					goto err;
				(*num_runs)++;
			}
			run = (struct smmua_run){
				.iova = iova_start + ((done + i) << PAGE_SHIFT),
				.phys = phys,
				.len = PAGE_SIZE,
			};
		}
		done += npinned;
		cond_resched();
	}
	ret = smmua_iommu_map(sdev->domain, run.iova, run.phys, run.len, prot);
	if (ret) {
		/* The failed run is the pending one; no batch pages remain. */
		i = 0;
		npinned = 0;
		goto err;
	}
	(*num_runs)++;
	free_page((unsigned long)batch);
	return 0;

err:
	/* Pinned, not mapped: the pending run and the rest of the batch. */
	if (run.len)
		smmua_unpin_run(run.phys, run.len, false);
	if (i < npinned)
		unpin_user_pages(batch + i, npinned - i);
	/* Mapped: everything before the pending run. */
	if (run.len && run.iova > iova_start)
		smmua_unmap_unpin(sdev, iova_start, run.iova - iova_start, false);
	free_page((unsigned long)batch);
	return ret;
}

/* Mappings are made of whole CPU pages and of the SMMU's smallest page. */
static unsigned long smmua_map_align(struct smmua_device *sdev)
{
	return max_t(unsigned long, PAGE_SIZE, sdev->min_pgsize);
}

int smmua_map(struct smmu_assign_ucmd *ucmd)
{
	struct smmu_assign_map *cmd = ucmd->cmd;
	struct smmua_ctx *ctx = ucmd->ctx;
	const u32 access = SMMU_ASSIGN_MAP_READ | SMMU_ASSIGN_MAP_WRITE;
	struct smmua_device *sdev;
	struct smmua_mapping *map;
	unsigned long npages;
	u64 last, uva_last;
	u32 num_runs;
	int ret;

	if (cmd->flags & ~access || cmd->__reserved)
		return -EOPNOTSUPP;
	/* The SMMU's page tables cannot express write-only: a writer reads. */
	if (!(cmd->flags & SMMU_ASSIGN_MAP_READ))
		return -EINVAL;

	sdev = smmua_device_get_locked(ctx, &cmd->bdf, false);
	if (IS_ERR(sdev))
		return PTR_ERR(sdev);
	/* sdev->lock is held from here. */
	ret = smmua_check_range(cmd->iova, cmd->length, smmua_map_align(sdev), &last);
	if (ret)
		goto out_unlock;
	if (!PAGE_ALIGNED(cmd->user_va)) {
		ret = -EINVAL;
		goto out_unlock;
	}
	if (check_add_overflow(cmd->user_va, cmd->length - 1, &uva_last)) {
		ret = -EOVERFLOW;
		goto out_unlock;
	}
	if (cmd->iova < sdev->window_start || last > sdev->window_last) {
		ret = -ERANGE;
		goto out_unlock;
	}
	if (interval_tree_iter_first(&sdev->mappings, cmd->iova, last)) {
		ret = -EEXIST;
		goto out_unlock;
	}
	if (atomic_inc_return(&ctx->nr_mappings) > READ_ONCE(smmua_max_mappings)) {
		ret = -ENOSPC;
		goto err_count;
	}

	npages = cmd->length >> PAGE_SHIFT;
	map = kzalloc(sizeof(*map), GFP_KERNEL_ACCOUNT);
	if (!map) {
		ret = -ENOMEM;
		goto err_count;
	}
	map->node.start = cmd->iova;
	map->node.last = last;
	map->user_va = cmd->user_va;
	map->flags = cmd->flags;
	ret = smmua_account(map, npages);
	if (ret)
		goto err_free;
	ret = smmua_pin_and_map(sdev, map, &num_runs);
	if (ret)
		goto err_unaccount;

	interval_tree_insert(&map->node, &sdev->mappings);
	smmua_stats_mapping(sdev, cmd->length, true);
	mutex_unlock(&sdev->lock);

	/*
	 * The answer is copied with no lock held. If it cannot be, the MAP
	 * is undone, unless it is gone already (the file's other threads,
	 * a released claim, or the binding's end).
	 */
	cmd->out_num_runs = num_runs;
	ret = smmu_assign_ucmd_respond(ucmd, sizeof(*cmd));
	if (ret) {
		mutex_lock(&sdev->lock);
		if (!sdev->dead && sdev->owner == ctx &&
		    interval_tree_iter_first(&sdev->mappings, cmd->iova, last) == &map->node)
			smmua_remove_mapping(sdev, map);
		mutex_unlock(&sdev->lock);
	}
	smmua_device_put(sdev);
	return ret;

err_unaccount:
	smmua_unaccount(map, npages);
err_free:
	kfree(map);
err_count:
	atomic_dec(&ctx->nr_mappings);
out_unlock:
	mutex_unlock(&sdev->lock);
	smmua_device_put(sdev);
	return ret;
}

int smmua_unmap(struct smmu_assign_ucmd *ucmd)
{
	struct smmu_assign_unmap *cmd = ucmd->cmd;
	struct smmua_ctx *ctx = ucmd->ctx;
	struct interval_tree_node *node;
	struct smmua_device *sdev;
	u64 bytes = 0, first = 0, last = ULONG_MAX;
	u32 count = 0;
	int ret = 0;

	if (cmd->flags & ~SMMU_ASSIGN_UNMAP_ALL || cmd->__reserved)
		return -EOPNOTSUPP;
	if ((cmd->flags & SMMU_ASSIGN_UNMAP_ALL) && (cmd->iova || cmd->length))
		return -EINVAL;

	sdev = smmua_device_get_locked(ctx, &cmd->bdf, false);
	if (IS_ERR(sdev))
		return PTR_ERR(sdev);
	if (!(cmd->flags & SMMU_ASSIGN_UNMAP_ALL)) {
		ret = smmua_check_range(cmd->iova, cmd->length, smmua_map_align(sdev), &last);
		if (ret)
			goto out_unlock;
		first = cmd->iova;
	}

	/* Refuse before touching anything if a mapping straddles an edge. */
	for (node = interval_tree_iter_first(&sdev->mappings, first, last); node;
	     node = interval_tree_iter_next(node, first, last)) {
		if (node->start < first || node->last > last) {
			ret = -EINVAL;
			goto out_unlock;
		}
		count++;
	}
	if (!count) {
		ret = -ENOENT;
		goto out_unlock;
	}
	/* Every overlap lies inside: take the first until none is left. */
	while ((node = interval_tree_iter_first(&sdev->mappings, first, last))) {
		bytes += node->last - node->start + 1;
		smmua_remove_mapping(sdev, container_of(node, struct smmua_mapping, node));
		cond_resched();
	}
out_unlock:
	mutex_unlock(&sdev->lock);
	smmua_device_put(sdev);
	if (ret)
		return ret;
	cmd->out_unmapped_length = bytes;
	cmd->out_unmapped_count = count;
	return smmu_assign_ucmd_respond(ucmd, sizeof(*cmd));
}
