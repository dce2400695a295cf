// SPDX-License-Identifier: GPL-2.0
/*
 * smmu-assign: pinning user memory and mapping it into a space's domains.
 *
 * Pages are pinned long-term a batch at a time (on the stack for a small
 * MAP, a page for a large one), once per MAP however many devices the space
 * has, and each physically contiguous run is handed to iommu_map() whole,
 * so the io-pgtable code uses the largest block the alignment allows
 * (2 MiB and 1 GiB for huge pages). The runs are recorded, the first in the
 * mapping and the others in chunks sized to need: they fill a domain
 * attached later, and unmapping unpins them without walking a page table.
 * The IOTLB of every domain is invalidated before a page is unpinned.
 * Mapping records come from a slab cache of their own.
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
MODULE_PARM_DESC(max_mappings, "Most mappings one open file may hold, all its spaces together (default 65535)");

#define SMMUA_RUNS_PER_CHUNK \
	((PAGE_SIZE - sizeof(struct smmua_run_chunk)) / sizeof(struct smmua_run))

/* A MAP of at most this many pages pins them with a batch on the stack. */
#define SMMUA_PIN_STACK_BATCH	16

static struct kmem_cache *smmua_mapping_cache;

int __init smmua_mapping_init(void)
{
	smmua_mapping_cache = KMEM_CACHE(smmua_mapping, SLAB_ACCOUNT);
	return smmua_mapping_cache ? 0 : -ENOMEM;
}

void smmua_mapping_exit(void)
{
	kmem_cache_destroy(smmua_mapping_cache);
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
static void smmua_stats_mapping(struct smmua_space *space, u64 bytes, bool added)
{
	struct smmu_assign_stats *st = &space->stats;
	u64 pages = bytes >> PAGE_SHIFT;
	unsigned long flags;

	spin_lock_irqsave(&space->stats_lock, flags);
	if (added) {
		st->maps++;
		space->nr_mappings++;
		st->bytes_mapped += bytes;
		st->pinned_pages += pages;
		st->peak_bytes_mapped = max(st->peak_bytes_mapped, st->bytes_mapped);
		st->peak_pinned_pages = max(st->peak_pinned_pages, st->pinned_pages);
	} else {
		st->unmaps++;
		space->nr_mappings--;
		st->bytes_mapped -= bytes;
		st->pinned_pages -= pages;
	}
	spin_unlock_irqrestore(&space->stats_lock, flags);
	atomic64_inc(added ? &smmua_total_maps : &smmua_total_unmaps);
	atomic64_add(added ? bytes : -bytes, &smmua_bytes_mapped);
}

/* Walks a mapping's runs in IOVA order: the first, then the chunks'. */
struct smmua_run_iter {
	struct smmua_mapping *map;
	struct smmua_run_chunk *chunk;
	unsigned long done;
	unsigned int i;
};

static struct smmua_run *smmua_run_next(struct smmua_run_iter *it)
{
	if (it->done == it->map->nr_runs)
		return NULL;
	if (!it->done++)
		return &it->map->first;
	if (!it->chunk || it->i == it->chunk->nr) {
		it->chunk = it->chunk ? it->chunk->next : it->map->runs;
		it->i = 0;
	}
	return &it->chunk->runs[it->i++];
}

static void smmua_free_runs(struct smmua_mapping *map)
{
	struct smmua_run_chunk *chunk, *next;

	for (chunk = map->runs; chunk; chunk = next) {
		next = chunk->next;
		kfree(chunk);
	}
	map->runs = NULL;
	map->nr_runs = 0;
}

/* Unpin every page @map's runs hold, dirtying them if the devices wrote. */
static void smmua_unpin_runs(struct smmua_mapping *map)
{
	bool dirty = map->flags & SMMU_ASSIGN_MAP_WRITE;
	struct smmua_run_iter it = { .map = map };
	struct smmua_run *run;
	unsigned long n = 0;

	while ((run = smmua_run_next(&it))) {
		unpin_user_page_range_dirty_lock(pfn_to_page(PHYS_PFN(run->phys)),
						 run->len >> PAGE_SHIFT, dirty);
		if (!(++n % SMMUA_RUNS_PER_CHUNK))
			cond_resched();
	}
}

/* The host physical address @map pinned for @iova, which it covers. */
phys_addr_t smmua_mapping_phys(struct smmua_mapping *map, u64 iova)
{
	struct smmua_run_iter it = { .map = map };
	u64 offset = iova - map->node.start;
	struct smmua_run *run;

	while ((run = smmua_run_next(&it))) {
		if (offset < run->len)
			return run->phys + offset;
		offset -= run->len;
	}
	return 0;
}

static void smmua_iotlb_sync(struct smmua_space *space, struct smmua_domain *sdom,
			     struct iommu_iotlb_gather *gather)
{
	unsigned long flags;

	iommu_iotlb_sync(sdom->domain, gather);
	spin_lock_irqsave(&space->stats_lock, flags);
	space->stats.iotlb_syncs++;
	spin_unlock_irqrestore(&space->stats_lock, flags);
}

/*
 * Unmap [iova, iova + length), which @sdom maps whole, and invalidate its
 * IOTLB. It goes a largest page at a time, so no block is split and a long
 * range yields the CPU.
 */
void smmua_domain_unmap(struct smmua_space *space, struct smmua_domain *sdom,
			unsigned long iova, size_t length)
{
	struct iommu_iotlb_gather gather;
	unsigned long end = iova + length;

	iommu_iotlb_gather_init(&gather);
	while (iova < end) {
		size_t len = min_t(u64, end, ALIGN_DOWN(iova, sdom->unmap_chunk) +
				   sdom->unmap_chunk) - iova;
		size_t unmapped = iommu_unmap_fast(sdom->domain, iova, len, &gather);

		/* A hole would be a bug: leak the pages rather than expose them. */
		WARN_ON_ONCE(unmapped != len);
		iova += len;
		cond_resched();
	}
	smmua_iotlb_sync(space, sdom, &gather);
}

static int smmua_map_prot(struct smmua_domain *sdom, struct smmua_mapping *map)
{
	/* A device's BAR is MMIO to its peers, never cached memory. */
	int prot = (map->flags & SMMUA_MAPPING_BAR ? IOMMU_MMIO : sdom->prot) | IOMMU_READ;

	if (map->flags & SMMU_ASSIGN_MAP_WRITE)
		prot |= IOMMU_WRITE;
	return prot;
}

/*
 * Map @map's runs into @sdom. On failure nothing of it stays mapped there;
 * the pins stay.
 */
static int smmua_domain_map(struct smmua_space *space, struct smmua_domain *sdom,
			    struct smmua_mapping *map)
{
	struct smmua_run_iter it = { .map = map };
	unsigned long iova = map->node.start, n = 0;
	int prot = smmua_map_prot(sdom, map);
	struct smmua_run *run;
	int ret;

	while ((run = smmua_run_next(&it))) {
		ret = smmua_iommu_map(sdom->domain, iova, run->phys, run->len, prot);
		if (ret)
			goto err;
		iova += run->len;
		if (!(++n % SMMUA_RUNS_PER_CHUNK))
			cond_resched();
	}
	return 0;
err:
	if (iova > map->node.start)
		smmua_domain_unmap(space, sdom, map->node.start, iova - map->node.start);
	return ret;
}

/*
 * Fill a domain new to @space with every mapping it has. On failure the
 * domain maps nothing.
 */
int smmua_domain_fill(struct smmua_space *space, struct smmua_domain *sdom)
{
	struct interval_tree_node *node, *done;
	int ret;

	lockdep_assert_held(&space->lock);
	for (node = interval_tree_iter_first(&space->mappings, 0, ULONG_MAX); node;
	     node = interval_tree_iter_next(node, 0, ULONG_MAX)) {
		ret = smmua_domain_map(space, sdom,
				       container_of(node, struct smmua_mapping, node));
		if (ret)
			goto err;
	}
	return 0;
err:
	for (done = interval_tree_iter_first(&space->mappings, 0, ULONG_MAX); done != node;
	     done = interval_tree_iter_next(done, 0, ULONG_MAX))
		smmua_domain_unmap(space, sdom, done->start, done->last - done->start + 1);
	return ret;
}

/* Remove @map from @space: unmapped from every domain before unpinning. */
static void smmua_remove_mapping(struct smmua_space *space, struct smmua_mapping *map)
{
	size_t length = map->node.last - map->node.start + 1;
	struct smmua_domain *sdom;

	lockdep_assert_held(&space->lock);
	interval_tree_remove(&map->node, &space->mappings);
	list_for_each_entry(sdom, &space->domains, node)
		smmua_domain_unmap(space, sdom, map->node.start, length);
	if (!(map->flags & SMMUA_MAPPING_BAR)) {
		smmua_unpin_runs(map);
		smmua_unaccount(map, length >> PAGE_SHIFT);
	}
	smmua_free_runs(map);
	smmua_stats_mapping(space, length, false);
	atomic_dec(&space->ctx->nr_mappings);
	kmem_cache_free(smmua_mapping_cache, map);
}

/* Every mapping of @space, which is locked. */
void smmua_unmap_all(struct smmua_space *space)
{
	struct interval_tree_node *node;

	lockdep_assert_held(&space->lock);
	while ((node = interval_tree_iter_first(&space->mappings, 0, ULONG_MAX))) {
		smmua_remove_mapping(space, container_of(node, struct smmua_mapping, node));
		cond_resched();
	}
}

/*
 * A device fd of @ctx is closing: remove every mapping of @ctx's spaces of
 * one of its BARs before the device is disabled and let go of, so that no
 * peer reaches it then.
 */
void smmua_unmap_bars(struct smmua_ctx *ctx, const struct smmua_devfd *devfd)
{
	struct interval_tree_node *node, *next;
	struct smmua_mapping *map;
	struct smmua_space *space;
	unsigned long id;
	void *entry;

	xa_for_each(&ctx->spaces, id, entry) {
		space = smmua_space_get(ctx, id);
		if (!space)
			continue;
		mutex_lock(&space->lock);
		for (node = space->dead ? NULL :
			    interval_tree_iter_first(&space->mappings, 0, ULONG_MAX);
		     node; node = next) {
			next = interval_tree_iter_next(node, 0, ULONG_MAX);
			map = container_of(node, struct smmua_mapping, node);
			if ((map->flags & SMMUA_MAPPING_BAR) && map->bar_devfd == devfd)
				smmua_remove_mapping(space, map);
			cond_resched();
		}
		smmua_space_unlock_put(space);
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
 * Append the page at @phys, the @left-th last of @map, to its runs, growing
 * the last run where it can. A new chunk is sized for the runs the pages
 * left can still make.
 */
static int smmua_add_page(struct smmua_mapping *map, struct smmua_run_chunk **tail,
			  phys_addr_t phys, unsigned long left)
{
	struct smmua_run_chunk *chunk = *tail;
	struct smmua_run *run = chunk ? &chunk->runs[chunk->nr - 1] :
				map->nr_runs ? &map->first : NULL;

	if (run && run->phys + run->len == phys) {
		run->len += PAGE_SIZE;
		return 0;
	}
	if (!run) {
		map->first = (struct smmua_run){ .phys = phys, .len = PAGE_SIZE };
		map->nr_runs = 1;
		return 0;
	}
	if (!chunk || chunk->nr == chunk->room) {
		unsigned int room = min_t(unsigned long, left, SMMUA_RUNS_PER_CHUNK);

		chunk = kmalloc(struct_size(chunk, runs, room), GFP_KERNEL_ACCOUNT);
		if (!chunk)
			return -ENOMEM;
		chunk->next = NULL;
		chunk->nr = 0;
		chunk->room = room;
		if (*tail)
			(*tail)->next = chunk;
		else
			map->runs = chunk;
		*tail = chunk;
	}
	chunk->runs[chunk->nr++] = (struct smmua_run){ .phys = phys, .len = PAGE_SIZE };
	map->nr_runs++;
	return 0;
}

/*
 * Pin the user range of @map and record it as runs. On failure nothing
 * stays pinned.
 */
static int smmua_pin(struct smmua_mapping *map)
{
	unsigned long npages = (map->node.last - map->node.start + 1) >> PAGE_SHIFT;
	struct page *stack_batch[SMMUA_PIN_STACK_BATCH], **batch = stack_batch;
	unsigned long batch_len = ARRAY_SIZE(stack_batch), done = 0;
	struct smmua_run_chunk *tail = NULL;
	unsigned int gup_flags;
	long i, npinned;
	int ret = 0;

	if (npages > batch_len) {
		batch = (struct page **)__get_free_page(GFP_KERNEL_ACCOUNT);
		if (!batch)
			return -ENOMEM;
		batch_len = PAGE_SIZE / sizeof(*batch);
	}
	while (done < npages) {
		unsigned long uaddr = map->user_va + (done << PAGE_SHIFT);
		unsigned long want = min(npages - done, batch_len);

		ret = smmua_gup_flags(map, uaddr, &want, &gup_flags);
		if (ret)
			break;
		npinned = pin_user_pages_fast(uaddr, want, gup_flags, batch);
		if (npinned <= 0) {
			ret = npinned ?: -EFAULT;
			break;
		}
		for (i = 0; i < npinned; i++) {
			ret = smmua_add_page(map, &tail, page_to_phys(batch[i]),
					     npages - done - i);
			if (ret) {
				unpin_user_pages(batch + i, npinned - i);
				break;
			}
		}
		if (ret)
			break;
		done += npinned;
		cond_resched();
	}
	if (batch != stack_batch)
		free_page((unsigned long)batch);
	if (ret) {
		smmua_unpin_runs(map);
		smmua_free_runs(map);
	}
	return ret;
}

int smmua_map(struct smmu_assign_ucmd *ucmd)
{
	struct smmu_assign_map *cmd = ucmd->cmd;
	struct smmua_ctx *ctx = ucmd->ctx;
	const u32 access = SMMU_ASSIGN_MAP_READ | SMMU_ASSIGN_MAP_WRITE;
	struct smmua_domain *sdom, *failed;
	struct smmua_space *space;
	struct smmua_mapping *map;
	unsigned long npages;
	u64 last, uva_last;
	int ret;

	if (cmd->flags & ~access || cmd->__reserved || cmd->__reserved2)
		return -EOPNOTSUPP;
	/* The SMMU's page tables cannot express write-only: a writer reads. */
	if (!(cmd->flags & SMMU_ASSIGN_MAP_READ))
		return -EINVAL;

	space = smmua_space_lookup(ucmd, 0, cmd->space_id, NULL);
	if (IS_ERR(space))
		return PTR_ERR(space);
	/* space->lock is held from here. */
	ret = smmua_check_range(cmd->iova, cmd->length, space->align, &last);
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
	/* An overlap, then the limit, then the ranges: type1's order. */
	if (interval_tree_iter_first(&space->mappings, cmd->iova, last)) {
		ret = -EEXIST;
		goto out_unlock;
	}
	if (atomic_inc_return(&ctx->nr_mappings) > READ_ONCE(smmua_max_mappings)) {
		ret = -ENOSPC;
		goto err_count;
	}
	if (!smmua_space_range(space, cmd->iova, last)) {
		ret = -ERANGE;
		goto err_count;
	}

	npages = cmd->length >> PAGE_SHIFT;
	map = kmem_cache_zalloc(smmua_mapping_cache, GFP_KERNEL_ACCOUNT);
	if (!map) {
		ret = -ENOMEM;
		goto err_count;
	}
	map->node.start = cmd->iova;
	map->node.last = last;
	map->user_va = cmd->user_va;
	map->flags = cmd->flags;
	/* A BAR mmapped through a device fd of this file: peer-to-peer. */
	ret = smmua_devfd_bar(ctx, cmd->user_va, cmd->length, &map->first.phys,
			      &map->bar_devfd);
	if (!ret) {
		map->flags |= SMMUA_MAPPING_BAR;
		map->first.len = cmd->length;
		map->nr_runs = 1;
	} else if (ret != -ENOENT) {
		goto err_free;
	} else {
		ret = smmua_account(map, npages);
		if (ret)
			goto err_free;
		ret = smmua_pin(map);
		if (ret)
			goto err_unaccount;
	}
	list_for_each_entry(sdom, &space->domains, node) {
		ret = smmua_domain_map(space, sdom, map);
		if (ret)
			goto err_unmap;
	}

	interval_tree_insert(&map->node, &space->mappings);
	smmua_stats_mapping(space, cmd->length, true);
	cmd->out_num_runs = min_t(unsigned long, map->nr_runs, U32_MAX);
	mutex_unlock(&space->lock);

	/*
	 * The answer is copied with no lock held. If it cannot be, the MAP
	 * is undone, unless it is gone already (the file's other threads,
	 * or the space's end).
	 */
	ret = smmu_assign_ucmd_respond(ucmd, sizeof(*cmd));
	if (ret) {
		mutex_lock(&space->lock);
		if (!space->dead &&
		    interval_tree_iter_first(&space->mappings, cmd->iova, last) == &map->node)
			smmua_remove_mapping(space, map);
		mutex_unlock(&space->lock);
	}
	smmua_space_put(space);
	return ret;

err_unmap:
	failed = sdom;
	list_for_each_entry(sdom, &space->domains, node) {
		if (sdom == failed)
			break;
		smmua_domain_unmap(space, sdom, cmd->iova, cmd->length);
	}
	if (map->flags & SMMUA_MAPPING_BAR)
		goto err_free;
	smmua_unpin_runs(map);
	smmua_free_runs(map);
err_unaccount:
	smmua_unaccount(map, npages);
err_free:
	kmem_cache_free(smmua_mapping_cache, map);
err_count:
	atomic_dec(&ctx->nr_mappings);
out_unlock:
	smmua_space_unlock_put(space);
	return ret;
}

int smmua_unmap(struct smmu_assign_ucmd *ucmd)
{
	struct smmu_assign_unmap *cmd = ucmd->cmd;
	struct interval_tree_node *node, *next, *found = NULL;
	struct smmua_space *space;
	u64 bytes = 0, first = 0, last = ULONG_MAX;
	u32 count = 0;
	int ret = 0;

	if (cmd->flags & ~SMMU_ASSIGN_UNMAP_ALL || cmd->__reserved || cmd->__reserved2)
		return -EOPNOTSUPP;
	if ((cmd->flags & SMMU_ASSIGN_UNMAP_ALL) && (cmd->iova || cmd->length))
		return -EINVAL;

	space = smmua_space_lookup(ucmd, 0, cmd->space_id, NULL);
	if (IS_ERR(space))
		return PTR_ERR(space);
	if (!(cmd->flags & SMMU_ASSIGN_UNMAP_ALL)) {
		ret = smmua_check_range(cmd->iova, cmd->length, space->align, &last);
		if (ret)
			goto out_unlock;
		first = cmd->iova;
	}

	/* Refuse before touching anything if a mapping straddles an edge. */
	for (node = interval_tree_iter_first(&space->mappings, first, last); node;
	     node = interval_tree_iter_next(node, first, last)) {
		if (node->start < first || node->last > last) {
			ret = -EINVAL;
			goto out_unlock;
		}
		found = found ?: node;
		count++;
	}
	if (!count) {
		ret = -ENOENT;
		goto out_unlock;
	}
	/*
	 * Every overlap lies inside: remove them in order from the first,
	 * each one's successor found before it goes, without a new descent.
	 */
	for (node = found; node; node = next) {
		next = interval_tree_iter_next(node, first, last);
		bytes += node->last - node->start + 1;
		smmua_remove_mapping(space, container_of(node, struct smmua_mapping, node));
		cond_resched();
	}
out_unlock:
	smmua_space_unlock_put(space);
	if (ret)
		return ret;
	cmd->out_unmapped_length = bytes;
	cmd->out_unmapped_count = count;
	return smmu_assign_ucmd_respond(ucmd, sizeof(*cmd));
}

/*
 * VFIO type1 v1's unmap, for a container set to VFIO_TYPE1_IOMMU: every
 * mapping that starts in the range goes whole, even past its end, and one
 * that starts before it stays.
 */
int smmua_unmap_type1v1(struct smmua_ctx *ctx, u32 space_id, u64 iova, u64 length,
			u64 *unmapped)
{
	struct interval_tree_node *node, *next;
	struct smmua_space *space;
	u64 last, bytes = 0;
	int ret;

	space = smmua_space_get(ctx, space_id);
	if (!space)
		return -ENOENT;
	mutex_lock(&space->lock);
	ret = space->dead ? -ENOENT : smmua_check_range(iova, length, space->align, &last);
	for (node = ret ? NULL : interval_tree_iter_first(&space->mappings, iova, last); node;
	     node = next) {
		next = interval_tree_iter_next(node, iova, last);
		if (node->start < iova)
			continue;
		bytes += node->last - node->start + 1;
		smmua_remove_mapping(space, container_of(node, struct smmua_mapping, node));
		cond_resched();
	}
	smmua_space_unlock_put(space);
	*unmapped = bytes;
	return ret;
}
