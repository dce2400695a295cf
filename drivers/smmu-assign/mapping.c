// SPDX-License-Identifier: GPL-2.0
/*
 * smmu-assign: pinning user memory and mapping it into a space's domains.
 *
 * Pages are pinned long-term a batch at a time (on the stack for a small
 * MAP, a page for a large one), once per MAP however many devices the space
 * has, and each physically contiguous run is handed to iommu_map() whole,
 * so the io-pgtable code uses the largest block the alignment allows
 * (2 MiB and 1 GiB for huge pages). The runs are recorded, inline for a
 * mapping of one run and otherwise in chunks sized to need: they fill a
 * domain attached later, and unmapping unpins them without walking a page
 * table. Removal takes mappings out of the tree first, unmaps them from
 * every domain with one IOTLB sync per domain for the whole call, and only
 * then unpins. Mapping records come from a slab cache of their own.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cred.h>
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
	/* A one-page mapping costs no more than a kmalloc-64 object. */
	BUILD_BUG_ON(sizeof(struct smmua_mapping) > 64);
	smmua_mapping_cache = KMEM_CACHE(smmua_mapping, SLAB_ACCOUNT);
	return smmua_mapping_cache ? 0 : -ENOMEM;
}

void smmua_mapping_exit(void)
{
	kmem_cache_destroy(smmua_mapping_cache);
}

/* ---- mappings by IOVA ---- */

static struct smmua_mapping *smmua_rb_mapping(struct rb_node *node)
{
	return node ? rb_entry(node, struct smmua_mapping, rb) : NULL;
}

/* A place in a space's tree: where a new mapping goes. */
struct smmua_slot {
	struct rb_node **link;
	struct rb_node *parent;
	struct smmua_mapping *next;	/* the mapping that will follow, or NULL */
};

/* The first mapping of @space, which is locked, that overlaps [first, last]. */
struct smmua_mapping *smmua_mapping_first(struct smmua_space *space, u64 first, u64 last)
{
	struct rb_node *node = space->mappings.rb_node;
	struct smmua_mapping *map, *found = space->removed_next;

	lockdep_assert_held(&space->lock);
	/*
	 * UNMAPs in rising order start inside the mapping after the last
	 * range removed; no mapping before it reaches that far.
	 */
	if (found && found->iova <= first && first <= found->last)
		return found;
	found = NULL;
	/* Mappings never overlap: by start is by end too. */
	while (node) {
		map = smmua_rb_mapping(node);
		if (map->last >= first) {
			found = map;
			node = node->rb_left;
		} else {
			node = node->rb_right;
		}
	}
	return found && found->iova <= last ? found : NULL;
}

struct smmua_mapping *smmua_mapping_next(struct smmua_mapping *map, u64 last)
{
	struct smmua_mapping *next = smmua_rb_mapping(rb_next(&map->rb));

	return next && next->iova <= last ? next : NULL;
}

/*
 * Where [first, last] goes in @space's tree, which is locked: EEXIST if it
 * overlaps a mapping. A MAP that follows the last one made, as a VMM's
 * and a driver's usually do, goes there without a descent. Otherwise one
 * descent decides: the neighbours it would have lie on the path, and
 * mappings never overlap.
 */
static int smmua_mapping_slot(struct smmua_space *space, u64 first, u64 last,
			      struct smmua_slot *slot)
{
	struct smmua_mapping *prev = space->last_made, *next = space->last_made_next, *map;
	struct rb_node **link = &space->mappings.rb_node, *parent = NULL;

	lockdep_assert_held(&space->lock);
	if (prev && first > prev->last && (!next || last < next->iova)) {
		slot->next = next;
		if (!prev->rb.rb_right) {
			slot->parent = &prev->rb;
			slot->link = &prev->rb.rb_right;
			return 0;
		}
		/* Then @next is the leftmost of @prev's right subtree. */
		if (next) {
			slot->parent = &next->rb;
			slot->link = &next->rb.rb_left;
			return 0;
		}
	}
	slot->next = NULL;
	while (*link) {
		parent = *link;
		map = smmua_rb_mapping(parent);
		if (last < map->iova) {
			slot->next = map;
			link = &parent->rb_left;
		} else if (first > map->last) {
			link = &parent->rb_right;
		} else {
			return -EEXIST;
		}
	}
	slot->link = link;
	slot->parent = parent;
	return 0;
}

/* @map goes into @slot, found with the space locked since. */
static void smmua_mapping_insert(struct smmua_space *space, struct smmua_mapping *map,
				 const struct smmua_slot *slot)
{
	rb_link_node(&map->rb, slot->parent, slot->link);
	rb_insert_color(&map->rb, &space->mappings);
	space->last_made = map;
	space->last_made_next = slot->next;
}

/* ---- charging ---- */

void smmua_charge_put(struct smmua_charge *charge)
{
	if (charge && refcount_dec_and_test(&charge->users)) {
		put_cred(charge->cred);
		mmdrop(charge->mm);
		kfree(charge);
	}
}

/*
 * A reference to the charge of the caller's credentials and mm: @space's
 * last one if it is the caller's, so that a process's mappings share it.
 */
static struct smmua_charge *smmua_charge_get(struct smmua_space *space)
{
	struct smmua_charge *charge = space->charge;

	if (charge && charge->cred == current_cred() && charge->mm == current->mm) {
		refcount_inc(&charge->users);
		return charge;
	}
	charge = kmalloc(sizeof(*charge), GFP_KERNEL_ACCOUNT);
	if (!charge)
		return NULL;
	/* The caller's and the space's. */
	refcount_set(&charge->users, 2);
	charge->cred = get_current_cred();
	charge->mm = current->mm;
	mmgrab(charge->mm);
	charge->ipc_lock = -1;
	smmua_charge_put(space->charge);
	space->charge = charge;
	return charge;
}

/*
 * Charge @npages pinned pages, as VFIO type1 does: always counted, in the
 * user's locked_vm and the mm's pinned_vm (VmPin), and refused beyond
 * RLIMIT_MEMLOCK unless the caller has CAP_IPC_LOCK. The capability is
 * asked only past the limit, once per credentials, so a MAP costs two
 * atomics.
 */
static int smmua_charge_pages(struct smmua_charge *charge, unsigned long npages)
{
	unsigned long limit = rlimit(RLIMIT_MEMLOCK) >> PAGE_SHIFT, cur;
	atomic_long_t *locked_vm = &charge->cred->user->locked_vm;

	cur = atomic_long_read(locked_vm);
	do {
		if (npages > limit || cur > limit - npages) {
			if (charge->ipc_lock < 0)
				charge->ipc_lock = capable(CAP_IPC_LOCK);
			if (!charge->ipc_lock)
				return -ENOMEM;
		}
	} while (!atomic_long_try_cmpxchg(locked_vm, &cur, cur + npages));
	atomic64_add(npages, &charge->mm->pinned_vm);
	return 0;
}

static void smmua_uncharge_pages(struct smmua_charge *charge, unsigned long npages)
{
	atomic_long_sub(npages, &charge->cred->user->locked_vm);
	atomic64_sub(npages, &charge->mm->pinned_vm);
}

/* @count mappings of @bytes in all appeared (@added) or went away. */
static void smmua_stats_mapping(struct smmua_space *space, u64 bytes, u32 count, bool added)
{
	struct smmu_assign_stats *st = &space->stats;
	u64 pages = bytes >> PAGE_SHIFT;

	spin_lock(&space->stats_lock);
	if (added) {
		st->maps += count;
		space->nr_mappings += count;
		st->bytes_mapped += bytes;
		st->pinned_pages += pages;
		st->peak_bytes_mapped = max(st->peak_bytes_mapped, st->bytes_mapped);
		st->peak_pinned_pages = max(st->peak_pinned_pages, st->pinned_pages);
	} else {
		st->unmaps += count;
		space->nr_mappings -= count;
		st->bytes_mapped -= bytes;
		st->pinned_pages -= pages;
	}
	spin_unlock(&space->stats_lock);
	atomic64_add(count, added ? &smmua_total_maps : &smmua_total_unmaps);
	atomic64_add(added ? bytes : -bytes, &smmua_bytes_mapped);
}

/* ---- runs ---- */

/* Walks a mapping's runs in IOVA order. */
struct smmua_run_iter {
	struct smmua_run one;
	struct smmua_run_chunk *chunk;
	unsigned int i;
	bool started;
};

static struct smmua_run *smmua_run_next(struct smmua_mapping *map, struct smmua_run_iter *it)
{
	if (!(map->owner & SMMUA_MAP_RUNS)) {
		if (it->started)
			return NULL;
		it->started = true;
		it->one = (struct smmua_run){ .phys = map->phys, .len = smmua_mapping_len(map) };
		return &it->one;
	}
	if (!it->started) {
		it->started = true;
		it->chunk = map->runs;
	}
	while (it->chunk && it->i == it->chunk->nr) {
		it->chunk = it->chunk->next;
		it->i = 0;
	}
	return it->chunk ? &it->chunk->runs[it->i++] : NULL;
}

static void smmua_free_runs(struct smmua_mapping *map)
{
	struct smmua_run_chunk *chunk, *next;

	if (!(map->owner & SMMUA_MAP_RUNS))
		return;
	for (chunk = map->runs; chunk; chunk = next) {
		next = chunk->next;
		kfree(chunk);
	}
	map->owner &= ~SMMUA_MAP_RUNS;
	map->phys = 0;
}

/* Unpin every page @map's runs hold, dirtying them if the devices wrote. */
static void smmua_unpin_runs(struct smmua_mapping *map)
{
	bool dirty = map->owner & SMMUA_MAP_WRITE;
	struct smmua_run_iter it = {};
	struct smmua_run *run;
	unsigned long n = 0;

	while ((run = smmua_run_next(map, &it))) {
		unpin_user_page_range_dirty_lock(pfn_to_page(PHYS_PFN(run->phys)),
						 run->len >> PAGE_SHIFT, dirty);
		if (!(++n % SMMUA_RUNS_PER_CHUNK))
			cond_resched();
	}
}

/* The host physical address @map pinned for @iova, which it covers. */
phys_addr_t smmua_mapping_phys(struct smmua_mapping *map, u64 iova)
{
	struct smmua_run_iter it = {};
	u64 offset = iova - map->iova;
	struct smmua_run *run;

	while ((run = smmua_run_next(map, &it))) {
		if (offset < run->len)
			return run->phys + offset;
		offset -= run->len;
	}
	return 0;
}

/* ---- domains ---- */

static void smmua_iotlb_sync(struct smmua_space *space, struct smmua_domain *sdom,
			     struct iommu_iotlb_gather *gather)
{
	iommu_iotlb_sync(sdom->domain, gather);
	spin_lock(&space->stats_lock);
	space->stats.iotlb_syncs++;
	spin_unlock(&space->stats_lock);
}

/*
 * Unmap [iova, iova + length), which @sdom maps whole, gathering what the
 * IOTLB must forget. It goes a largest page at a time, so no block is
 * split and a long range yields the CPU.
 */
static void smmua_domain_unmap_gather(struct smmua_domain *sdom, unsigned long iova,
				      size_t length, struct iommu_iotlb_gather *gather)
{
	unsigned long end = iova + length;

	while (iova < end) {
		size_t len = min_t(u64, end, ALIGN_DOWN(iova, sdom->unmap_chunk) +
				   sdom->unmap_chunk) - iova;
		size_t unmapped = iommu_unmap_fast(sdom->domain, iova, len, gather);

		/* A hole would be a bug: leak the pages rather than expose them. */
		WARN_ON_ONCE(unmapped != len);
		iova += len;
		if (iova < end)
			cond_resched();
	}
}

/* Unmap [iova, iova + length), which @sdom maps whole, and sync its IOTLB. */
void smmua_domain_unmap(struct smmua_space *space, struct smmua_domain *sdom,
			unsigned long iova, size_t length)
{
	struct iommu_iotlb_gather gather;

	iommu_iotlb_gather_init(&gather);
	smmua_domain_unmap_gather(sdom, iova, length, &gather);
	smmua_iotlb_sync(space, sdom, &gather);
}

static int smmua_map_prot(struct smmua_domain *sdom, struct smmua_mapping *map)
{
	/* A device's BAR is MMIO to its peers, never cached memory. */
	int prot = (map->owner & SMMUA_MAP_BAR ? IOMMU_MMIO : sdom->prot) | IOMMU_READ;

	if (map->owner & SMMUA_MAP_WRITE)
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
	int prot = smmua_map_prot(sdom, map);
	unsigned long iova = map->iova, n = 0;
	struct smmua_run_iter it = {};
	struct smmua_run *run;
	int ret;

	while ((run = smmua_run_next(map, &it))) {
		ret = smmua_iommu_map(sdom->domain, iova, run->phys, run->len, prot);
		if (ret)
			goto err;
		iova += run->len;
		if (!(++n % SMMUA_RUNS_PER_CHUNK))
			cond_resched();
	}
	return 0;
err:
	if (iova > map->iova)
		smmua_domain_unmap(space, sdom, map->iova, iova - map->iova);
	return ret;
}

/*
 * Fill a domain new to @space with every mapping it has. On failure the
 * domain maps nothing.
 */
int smmua_domain_fill(struct smmua_space *space, struct smmua_domain *sdom)
{
	struct smmua_mapping *map, *done;
	int ret;

	lockdep_assert_held(&space->lock);
	for (map = smmua_mapping_first(space, 0, U64_MAX); map;
	     map = smmua_mapping_next(map, U64_MAX)) {
		ret = smmua_domain_map(space, sdom, map);
		if (ret)
			goto err;
	}
	return 0;
err:
	for (done = smmua_mapping_first(space, 0, U64_MAX); done;
	     done = smmua_mapping_next(done, U64_MAX)) {
		if (done == map)
			break;
		smmua_domain_unmap(space, sdom, done->iova, smmua_mapping_len(done));
	}
	return ret;
}

/* ---- removal ---- */

/*
 * Mappings taken out of their space's tree, unreachable, to be unmapped
 * from every domain with one IOTLB sync each and only then unpinned.
 */
struct smmua_doomed {
	struct smmua_mapping *head;
	struct smmua_mapping **tail;
	u64 bytes;
	u32 count;
	bool unreported;		/* a failed MAP_VEC's: never in the figures */
};

#define SMMUA_DOOMED_INIT(d)	{ .tail = &(d).head }

static void smmua_doom(struct smmua_space *space, struct smmua_doomed *doomed,
		       struct smmua_mapping *map)
{
	rb_erase(&map->rb, &space->mappings);
	/* The pair stays neighbours while neither goes. */
	if (map == space->last_made || map == space->last_made_next) {
		space->last_made = NULL;
		space->last_made_next = NULL;
	}
	if (map == space->removed_next)
		space->removed_next = NULL;
	map->next = NULL;
	*doomed->tail = map;
	doomed->tail = &map->next;
	doomed->bytes += smmua_mapping_len(map);
	doomed->count++;
}

/* Unmap, sync, then unpin, uncharge and free every doomed mapping. */
static void smmua_destroy_doomed(struct smmua_space *space, struct smmua_doomed *doomed)
{
	struct iommu_iotlb_gather gather;
	struct smmua_mapping *map, *next;
	struct smmua_domain *sdom;

	lockdep_assert_held(&space->lock);
	if (!doomed->head)
		return;
	list_for_each_entry(sdom, &space->domains, node) {
		iommu_iotlb_gather_init(&gather);
		for (map = doomed->head; map; map = map->next) {
			smmua_domain_unmap_gather(sdom, map->iova, smmua_mapping_len(map), &gather);
			if (map->next)
				cond_resched();
		}
		smmua_iotlb_sync(space, sdom, &gather);
	}
	for (map = doomed->head; map; map = next) {
		next = map->next;
		if (!(map->owner & SMMUA_MAP_BAR)) {
			struct smmua_charge *charge = (void *)(map->owner & ~SMMUA_MAP_TAGS);

			smmua_unpin_runs(map);
			smmua_uncharge_pages(charge, smmua_mapping_len(map) >> PAGE_SHIFT);
			smmua_charge_put(charge);
		}
		smmua_free_runs(map);
		kmem_cache_free(smmua_mapping_cache, map);
		if (next)
			cond_resched();
	}
	if (!doomed->unreported)
		smmua_stats_mapping(space, doomed->bytes, doomed->count, false);
	atomic_sub(doomed->count, &space->ctx->nr_mappings);
	/* Nothing mapped: the space holds no process's user or mm. */
	if (RB_EMPTY_ROOT(&space->mappings)) {
		smmua_charge_put(space->charge);
		space->charge = NULL;
	}
	doomed->head = NULL;
	doomed->tail = &doomed->head;
	doomed->bytes = 0;
	doomed->count = 0;
}

/* Every mapping of @space, which is locked. */
void smmua_unmap_all(struct smmua_space *space)
{
	struct smmua_doomed doomed = SMMUA_DOOMED_INIT(doomed);
	struct smmua_mapping *map;

	lockdep_assert_held(&space->lock);
	while ((map = smmua_rb_mapping(rb_first(&space->mappings)))) {
		smmua_doom(space, &doomed, map);
		/* Bounded batches: the pins go back as the call goes on. */
		if (doomed.count == SMMU_ASSIGN_VEC_MAX)
			smmua_destroy_doomed(space, &doomed);
	}
	smmua_destroy_doomed(space, &doomed);
}

/*
 * A device fd of @ctx is closing: remove every mapping of @ctx's spaces of
 * one of its BARs before the device is disabled and let go of, so that no
 * peer reaches it then.
 */
void smmua_unmap_bars(struct smmua_ctx *ctx, const struct smmua_devfd *devfd)
{
	struct smmua_doomed doomed = SMMUA_DOOMED_INIT(doomed);
	struct smmua_mapping *map, *next;
	struct smmua_space *space;
	unsigned long id;
	void *entry;

	xa_for_each(&ctx->spaces, id, entry) {
		space = smmua_space_get(ctx, id);
		if (!space)
			continue;
		mutex_lock(&space->lock);
		for (map = space->dead ? NULL : smmua_mapping_first(space, 0, U64_MAX);
		     map; map = next) {
			next = smmua_mapping_next(map, U64_MAX);
			if (smmua_mapping_devfd(map) == devfd)
				smmua_doom(space, &doomed, map);
			cond_resched();
		}
		smmua_destroy_doomed(space, &doomed);
		smmua_space_unlock_put(space);
	}
}

/* ---- pinning ---- */

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
	if (map->owner & SMMUA_MAP_WRITE) {
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

/* A mapping's runs as they are pinned: the one growing, after the chunks. */
struct smmua_pin_state {
	struct smmua_run run;		/* len 0 before the first page */
	struct smmua_run_chunk *tail;
	unsigned long nr_runs;
};

/*
 * Store the finished growing run in @map's chunks. A new chunk is sized for
 * it and the @more runs that can still follow.
 */
static int smmua_push_run(struct smmua_mapping *map, struct smmua_pin_state *ps,
			  unsigned long more)
{
	struct smmua_run_chunk *chunk = ps->tail;

	if (!chunk || chunk->nr == chunk->room) {
		unsigned int room = min_t(unsigned long, more + 1, SMMUA_RUNS_PER_CHUNK);

		chunk = kmalloc(struct_size(chunk, runs, room), GFP_KERNEL_ACCOUNT);
		if (!chunk)
			return -ENOMEM;
		chunk->next = NULL;
		chunk->nr = 0;
		chunk->room = room;
		if (ps->tail) {
			ps->tail->next = chunk;
		} else {
			map->runs = chunk;
			map->owner |= SMMUA_MAP_RUNS;
		}
		ps->tail = chunk;
	}
	chunk->runs[chunk->nr++] = ps->run;
	return 0;
}

/* Append the page at @phys, with @left pages after it, to @map's runs. */
static int smmua_add_page(struct smmua_mapping *map, struct smmua_pin_state *ps,
			  phys_addr_t phys, unsigned long left)
{
	int ret;

	if (ps->run.len && ps->run.phys + ps->run.len == phys) {
		ps->run.len += PAGE_SIZE;
		return 0;
	}
	/* The run ends: this page's run and @left more may follow it. */
	if (ps->run.len) {
		ret = smmua_push_run(map, ps, left + 1);
		if (ret)
			return ret;
	}
	ps->run = (struct smmua_run){ .phys = phys, .len = PAGE_SIZE };
	ps->nr_runs++;
	return 0;
}

/*
 * Pin the user range of @map and record it as runs: inline if there is
 * one, else all in chunks. On failure nothing stays pinned.
 */
static int smmua_pin(struct smmua_mapping *map, unsigned long *nr_runs)
{
	unsigned long npages = smmua_mapping_len(map) >> PAGE_SHIFT;
	struct page *stack_batch[SMMUA_PIN_STACK_BATCH], **batch = stack_batch;
	unsigned long batch_len = ARRAY_SIZE(stack_batch), done = 0;
	struct smmua_pin_state ps = {};
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
			ret = smmua_add_page(map, &ps, page_to_phys(batch[i]),
					     npages - done - i - 1);
			if (ret) {
				unpin_user_pages(batch + i, npinned - i);
				break;
			}
		}
		if (ret)
			break;
		done += npinned;
		if (done < npages)
			cond_resched();
	}
	if (batch != stack_batch)
		free_page((unsigned long)batch);
	if (!ret && (map->owner & SMMUA_MAP_RUNS))
		ret = smmua_push_run(map, &ps, 0);
	if (ret) {
		/* The chunks' runs, then the one still growing. */
		if (map->owner & SMMUA_MAP_RUNS)
			smmua_unpin_runs(map);
		if (ps.run.len)
			unpin_user_page_range_dirty_lock(pfn_to_page(PHYS_PFN(ps.run.phys)),
							 ps.run.len >> PAGE_SHIFT, false);
		smmua_free_runs(map);
		return ret;
	}
	if (!(map->owner & SMMUA_MAP_RUNS))
		map->phys = ps.run.phys;
	*nr_runs = ps.nr_runs;
	return 0;
}

/* ---- MAP ---- */

/* One mapping asked for, by MAP, MAP_VEC or VFIO's MAP_DMA. */
struct smmua_map_req {
	u32 flags;			/* SMMU_ASSIGN_MAP_*, READ checked */
	u64 user_va;
	u64 iova;
	u64 length;
	u64 last;			/* set by smmua_map_check() */
	struct smmua_slot slot;		/* where it goes in the tree */
};

/*
 * Whether @req may be mapped in @space, which is locked, now. An overlap,
 * then the limit, then the ranges: type1's order. On success it counts
 * against the file's limit.
 */
static int smmua_map_check(struct smmua_space *space, struct smmua_map_req *req)
{
	u64 uva_last;
	int ret;

	ret = smmua_check_range(req->iova, req->length, space->align, &req->last);
	if (ret)
		return ret;
	if (!PAGE_ALIGNED(req->user_va))
		return -EINVAL;
	if (check_add_overflow(req->user_va, req->length - 1, &uva_last))
		return -EOVERFLOW;
	ret = smmua_mapping_slot(space, req->iova, req->last, &req->slot);
	if (ret)
		return ret;
	if (atomic_inc_return(&space->ctx->nr_mappings) > READ_ONCE(smmua_max_mappings)) {
		atomic_dec(&space->ctx->nr_mappings);
		return -ENOSPC;
	}
	if (!smmua_space_range(space, req->iova, req->last)) {
		atomic_dec(&space->ctx->nr_mappings);
		return -ERANGE;
	}
	return 0;
}

/*
 * Pin and charge @req, checked, once; map it into every domain of @space,
 * which is locked; and put it in the tree where the check found its slot.
 * On failure nothing of it stays.
 */
static int smmua_map_make(struct smmua_space *space, const struct smmua_map_req *req,
			  unsigned long *nr_runs)
{
	unsigned long npages = req->length >> PAGE_SHIFT;
	const struct smmua_devfd *devfd;
	struct smmua_domain *sdom, *failed;
	struct smmua_charge *charge;
	struct smmua_mapping *map;
	int ret;

	map = kmem_cache_zalloc(smmua_mapping_cache, GFP_KERNEL_ACCOUNT);
	if (!map)
		return -ENOMEM;
	map->iova = req->iova;
	map->last = req->last;
	map->user_va = req->user_va;
	if (req->flags & SMMU_ASSIGN_MAP_WRITE)
		map->owner |= SMMUA_MAP_WRITE;

	charge = smmua_charge_get(space);
	if (!charge) {
		ret = -ENOMEM;
		goto err_free;
	}
	ret = smmua_charge_pages(charge, npages);
	if (!ret) {
		map->owner |= (unsigned long)charge;
		ret = smmua_pin(map, nr_runs);
		if (ret) {
			smmua_uncharge_pages(charge, npages);
			map->owner &= SMMUA_MAP_TAGS;
		}
	}
	if (ret) {
		/*
		 * Memory that cannot be pinned (or charged) may be a BAR
		 * mmapped through a device fd of this file, mapped
		 * peer-to-peer and not charged. Asked only now, so that an
		 * ordinary MAP never looks up its vma.
		 */
		int bar = smmua_devfd_bar(space->ctx, req->user_va, req->length,
					  &map->phys, &devfd);

		smmua_charge_put(charge);
		if (bar) {
			ret = bar == -ENOENT ? ret : bar;
			goto err_free;
		}
		map->owner |= (unsigned long)devfd | SMMUA_MAP_BAR;
		*nr_runs = 1;
	}
	list_for_each_entry(sdom, &space->domains, node) {
		ret = smmua_domain_map(space, sdom, map);
		if (ret)
			goto err_unmap;
	}
	smmua_mapping_insert(space, map, &req->slot);
	return 0;

err_unmap:
	failed = sdom;
	list_for_each_entry(sdom, &space->domains, node) {
		if (sdom == failed)
			break;
		smmua_domain_unmap(space, sdom, req->iova, req->length);
	}
	if (map->owner & SMMUA_MAP_BAR)
		goto err_free;
	smmua_unpin_runs(map);
	smmua_free_runs(map);
	smmua_uncharge_pages(charge, npages);
	smmua_charge_put(charge);
err_free:
	kmem_cache_free(smmua_mapping_cache, map);
	return ret;
}

/*
 * The answer to a MAP or MAP_VEC could not be copied: undo the mappings of
 * @reqs that are still there as they were made, unless they are gone
 * already (the file's other threads, or the space's end).
 */
static void smmua_map_undo(struct smmua_space *space, const struct smmua_map_req *reqs,
			   u32 n)
{
	struct smmua_doomed doomed = SMMUA_DOOMED_INIT(doomed);
	struct smmua_mapping *map;
	u32 i;

	mutex_lock(&space->lock);
	for (i = 0; i < n && !space->dead; i++) {
		map = smmua_mapping_first(space, reqs[i].iova, reqs[i].last);
		if (map && map->iova == reqs[i].iova && map->last == reqs[i].last)
			smmua_doom(space, &doomed, map);
	}
	smmua_destroy_doomed(space, &doomed);
	mutex_unlock(&space->lock);
}

int smmua_map(struct smmu_assign_ucmd *ucmd)
{
	struct smmu_assign_map *cmd = ucmd->cmd;
	struct smmua_map_req req = {
		.flags = cmd->flags, .user_va = cmd->user_va,
		.iova = cmd->iova, .length = cmd->length,
	};
	const u32 access = SMMU_ASSIGN_MAP_READ | SMMU_ASSIGN_MAP_WRITE;
	struct smmua_space *space;
	unsigned long nr_runs;
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
	ret = smmua_map_check(space, &req);
	if (ret)
		goto out_unlock;
	ret = smmua_map_make(space, &req, &nr_runs);
	if (ret) {
		atomic_dec(&space->ctx->nr_mappings);
		goto out_unlock;
	}
	smmua_stats_mapping(space, req.length, 1, true);
	cmd->out_num_runs = min_t(unsigned long, nr_runs, U32_MAX);
	mutex_unlock(&space->lock);

	/* The answer is copied with no lock held. */
	ret = smmu_assign_ucmd_respond(ucmd, sizeof(*cmd));
	if (ret)
		smmua_map_undo(space, &req, 1);
	smmua_space_put(space);
	return ret;

out_unlock:
	smmua_space_unlock_put(space);
	return ret;
}

/*
 * The caller's array of @n entries of @size bytes, read before any lock
 * is taken. EINVAL for none or too many.
 */
static void *smmua_copy_vec(u64 uptr, u32 n, size_t size)
{
	void *vec;

	if (!n || n > SMMU_ASSIGN_VEC_MAX)
		return ERR_PTR(-EINVAL);
	vec = kvmalloc_array(n, size, GFP_KERNEL_ACCOUNT);
	if (!vec)
		return ERR_PTR(-ENOMEM);
	if (copy_from_user(vec, u64_to_user_ptr(uptr), n * size)) {
		kvfree(vec);
		return ERR_PTR(-EFAULT);
	}
	return vec;
}

int smmua_map_vec(struct smmu_assign_ucmd *ucmd)
{
	struct smmu_assign_map_vec *cmd = ucmd->cmd;
	const u32 access = SMMU_ASSIGN_MAP_READ | SMMU_ASSIGN_MAP_WRITE;
	struct smmua_doomed doomed = SMMUA_DOOMED_INIT(doomed);
	struct smmu_assign_map_entry *vec;
	struct smmua_map_req *reqs = NULL;
	struct smmua_space *space;
	unsigned long nr_runs;
	u64 runs = 0, bytes = 0;
	u32 i, checked = 0, made = 0;
	int ret = 0;

	if (cmd->flags)
		return -EOPNOTSUPP;
	vec = smmua_copy_vec(cmd->entries, cmd->num_entries, sizeof(*vec));
	if (IS_ERR(vec))
		return PTR_ERR(vec);
	reqs = kvmalloc_array(cmd->num_entries, sizeof(*reqs), GFP_KERNEL_ACCOUNT);
	for (i = 0; reqs && i < cmd->num_entries; i++) {
		const struct smmu_assign_map_entry *e = &vec[i];

		if (e->flags & ~access || e->__reserved)
			ret = -EOPNOTSUPP;
		else if (!(e->flags & SMMU_ASSIGN_MAP_READ))
			ret = -EINVAL;
		if (ret)
			break;
		reqs[i] = (struct smmua_map_req){
			.flags = e->flags, .user_va = e->user_va,
			.iova = e->iova, .length = e->length,
		};
	}
	kvfree(vec);
	if (!reqs)
		return -ENOMEM;
	if (ret)
		goto out_free;

	space = smmua_space_lookup(ucmd, 0, cmd->space_id, NULL);
	if (IS_ERR(space)) {
		ret = PTR_ERR(space);
		goto out_free;
	}
	/* Every entry is checked before any is pinned; then each is made. */
	for (checked = 0; checked < cmd->num_entries; checked++) {
		ret = smmua_map_check(space, &reqs[checked]);
		if (ret)
			goto err_undo;
	}
	for (made = 0; made < cmd->num_entries; made++) {
		struct smmua_map_req *req = &reqs[made];

		/* Against the entries made before it, which the check did not see. */
		ret = smmua_mapping_slot(space, req->iova, req->last, &req->slot);
		if (ret)
			goto err_undo;
		ret = smmua_map_make(space, req, &nr_runs);
		if (ret)
			goto err_undo;
		runs += nr_runs;
		bytes += req->length;
		cond_resched();
	}
	smmua_stats_mapping(space, bytes, made, true);
	mutex_unlock(&space->lock);

	cmd->out_num_runs = runs;
	cmd->out_length = bytes;
	ret = smmu_assign_ucmd_respond(ucmd, sizeof(*cmd));
	if (ret)
		smmua_map_undo(space, reqs, made);
	smmua_space_put(space);
	goto out_free;

err_undo:
	/* The entries made go as any removal does; those only checked uncount. */
	for (i = 0; i < made; i++)
		smmua_doom(space, &doomed, smmua_mapping_first(space, reqs[i].iova, reqs[i].last));
	doomed.unreported = true;
	smmua_destroy_doomed(space, &doomed);
	atomic_sub(checked - made, &space->ctx->nr_mappings);
	smmua_space_unlock_put(space);
out_free:
	kvfree(reqs);
	return ret;
}

/* ---- UNMAP ---- */

/*
 * Take every mapping inside [first, last] of @space, which is locked, out
 * of its tree. EINVAL if one straddles an edge and ENOENT if there is none,
 * before anything is taken.
 */
static int smmua_doom_range(struct smmua_space *space, struct smmua_doomed *doomed,
			    u64 first, u64 last, bool check_only)
{
	struct smmua_mapping *map, *found, *next;

	found = smmua_mapping_first(space, first, last);
	if (!found)
		return -ENOENT;
	for (map = found; map; map = smmua_mapping_next(map, last))
		if (map->iova < first || map->last > last)
			return -EINVAL;
	if (check_only)
		return 0;
	/* Each one's successor is found before it goes: no new descent. */
	for (map = found; map && map->iova <= last; map = next) {
		next = smmua_rb_mapping(rb_next(&map->rb));
		smmua_doom(space, doomed, map);
	}
	space->removed_next = map;
	return 0;
}

int smmua_unmap(struct smmu_assign_ucmd *ucmd)
{
	struct smmu_assign_unmap *cmd = ucmd->cmd;
	struct smmua_doomed doomed = SMMUA_DOOMED_INIT(doomed);
	u64 first = 0, last = U64_MAX;
	struct smmua_space *space;
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
	ret = smmua_doom_range(space, &doomed, first, last, false);
	cmd->out_unmapped_length = doomed.bytes;
	cmd->out_unmapped_count = doomed.count;
	smmua_destroy_doomed(space, &doomed);
out_unlock:
	smmua_space_unlock_put(space);
	return ret ?: smmu_assign_ucmd_respond(ucmd, sizeof(*cmd));
}

int smmua_unmap_vec(struct smmu_assign_ucmd *ucmd)
{
	struct smmu_assign_unmap_vec *cmd = ucmd->cmd;
	struct smmua_doomed doomed = SMMUA_DOOMED_INIT(doomed);
	struct smmu_assign_iova_range *vec;
	struct smmua_space *space;
	u64 *lasts;
	u32 i;
	int ret = 0;

	if (cmd->flags || cmd->__reserved)
		return -EOPNOTSUPP;
	vec = smmua_copy_vec(cmd->ranges, cmd->num_entries, sizeof(*vec));
	if (IS_ERR(vec))
		return PTR_ERR(vec);
	lasts = kvmalloc_array(cmd->num_entries, sizeof(*lasts), GFP_KERNEL_ACCOUNT);
	if (!lasts) {
		ret = -ENOMEM;
		goto out_free;
	}
	space = smmua_space_lookup(ucmd, 0, cmd->space_id, NULL);
	if (IS_ERR(space)) {
		ret = PTR_ERR(space);
		goto out_free;
	}
	/* Every range is checked before any mapping goes. */
	for (i = 0; i < cmd->num_entries && !ret; i++) {
		ret = smmua_check_range(vec[i].iova, vec[i].length, space->align, &lasts[i]) ?:
		      smmua_doom_range(space, &doomed, vec[i].iova, lasts[i], true);
		cond_resched();
	}
	/* Ranges may overlap: what an earlier one took is not there again. */
	for (i = 0; i < cmd->num_entries && !ret; i++) {
		if (smmua_mapping_first(space, vec[i].iova, lasts[i]))
			smmua_doom_range(space, &doomed, vec[i].iova, lasts[i], false);
	}
	cmd->out_unmapped_length = doomed.bytes;
	cmd->out_unmapped_count = doomed.count;
	smmua_destroy_doomed(space, &doomed);
	smmua_space_unlock_put(space);
	if (!ret)
		ret = smmu_assign_ucmd_respond(ucmd, sizeof(*cmd));
out_free:
	kvfree(lasts);
	kvfree(vec);
	return ret;
}

/*
 * VFIO type1 v1's unmap, for a container set to VFIO_TYPE1_IOMMU: every
 * mapping that starts in the range goes whole, even past its end, and one
 * that starts before it stays.
 */
int smmua_unmap_type1v1(struct smmua_ctx *ctx, u32 space_id, u64 iova, u64 length,
			u64 *unmapped)
{
	struct smmua_doomed doomed = SMMUA_DOOMED_INIT(doomed);
	struct smmua_mapping *map, *next;
	struct smmua_space *space;
	u64 last;
	int ret;

	space = smmua_space_get(ctx, space_id);
	if (!space)
		return -ENOENT;
	mutex_lock(&space->lock);
	ret = space->dead ? -ENOENT : smmua_check_range(iova, length, space->align, &last);
	for (map = ret ? NULL : smmua_mapping_first(space, iova, last); map; map = next) {
		next = smmua_mapping_next(map, last);
		if (map->iova >= iova)
			smmua_doom(space, &doomed, map);
	}
	*unmapped = doomed.bytes;
	smmua_destroy_doomed(space, &doomed);
	smmua_space_unlock_put(space);
	return ret;
}
