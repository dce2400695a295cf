// SPDX-License-Identifier: GPL-2.0
/*
 * smmu-assign: address spaces, their allowed ranges and their domains.
 *
 * A space is what iommufd calls an IOAS: the mappings and allowed IOVA
 * ranges that its devices share. It belongs to one open file, which names
 * it by an id of its own. Each bound group attached to it is attached to
 * one of its IOMMU domains: groups behind one SMMU share one, as iommufd's
 * automatic domains do; where the SMMU refuses (or share_domains is off)
 * the group gets a domain of its own, filled with the space's mappings, as
 * VFIO type1 mirrors them.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ctype.h>
#include <linux/iommu.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/uaccess.h>

#include "compat.h"
#include "smmu_assign.h"

bool smmua_share_domains = true;
module_param_named(share_domains, smmua_share_domains, bool, 0644);
MODULE_PARM_DESC(share_domains,
		 "Attach the groups of one space behind one SMMU to one IOMMU domain (default Y); N gives each group its own domain with the mappings mirrored, as on SMMUs that refuse to share (for testing and debugging)");

/* Ids a file's spaces get: enough for any VMM, small enough to print. */
#define SMMUA_SPACE_IDS	XA_LIMIT(1, U16_MAX)

/* "" or ASCII letters, digits, '.', '_' and '-', ended inside the array. */
int smmua_check_space_name(const char *name)
{
	size_t i, len = strnlen(name, SMMU_ASSIGN_SPACE_NAME_LEN);

	if (len == SMMU_ASSIGN_SPACE_NAME_LEN)
		return -EINVAL;
	if (memchr_inv(name + len, 0, SMMU_ASSIGN_SPACE_NAME_LEN - len))
		return -EINVAL;
	for (i = 0; i < len; i++)
		if (!isascii(name[i]) || (!isalnum(name[i]) && !strchr("._-", name[i])))
			return -EINVAL;
	return 0;
}

static void smmua_space_free(struct smmua_space *space)
{
	WARN_ON(!RB_EMPTY_ROOT(&space->mappings));
	smmua_charge_put(space->charge);
	WARN_ON(!list_empty(&space->domains));
	kfree(space->ranges);
	mutex_destroy(&space->lock);
	kfree_rcu(space, rcu);
}

void smmua_space_put(struct smmua_space *space)
{
	if (refcount_dec_and_test(&space->users))
		smmua_space_free(space);
}

void smmua_space_unlock_put(struct smmua_space *space)
{
	mutex_unlock(&space->lock);
	smmua_space_put(space);
}

/* ctx->lock is held: the space of that name, published or not. */
static struct smmua_space *smmua_space_named(struct smmua_ctx *ctx, const char *name)
{
	struct smmua_space *space;
	unsigned long id;

	lockdep_assert_held(&ctx->lock);
	xa_for_each(&ctx->spaces, id, space)
		if (!strncmp(space->name, name, sizeof(space->name)))
			return space;
	return NULL;
}

/*
 * A new space of @ctx, named @name (checked by the caller), with the one
 * allowed range [@window_start, @window_last] if the window is not empty.
 * It has its id, but no lookup finds it until smmua_space_publish(); undo
 * with smmua_space_abandon(). The file's xarray holds the reference
 * returned.
 */
struct smmua_space *smmua_space_new(struct smmua_ctx *ctx, const char *name,
				    u64 window_start, u64 window_last)
{
	struct smmua_space *space;
	int ret;

	space = kzalloc(sizeof(*space), GFP_KERNEL_ACCOUNT);
	if (!space)
		return ERR_PTR(-ENOMEM);
	if (window_start <= window_last) {
		space->ranges = kzalloc(sizeof(*space->ranges), GFP_KERNEL_ACCOUNT);
		if (!space->ranges) {
			kfree(space);
			return ERR_PTR(-ENOMEM);
		}
		space->ranges[0] = (struct smmua_range){ window_start, window_last };
		space->nr_ranges = 1;
	}
	refcount_set(&space->users, 1);
	mutex_init(&space->lock);
	space->ctx = ctx;
	strscpy(space->name, name, sizeof(space->name));
	space->align = PAGE_SIZE;
	space->mappings = RB_ROOT;
	INIT_LIST_HEAD(&space->domains);
	INIT_LIST_HEAD(&space->bindings);
	spin_lock_init(&space->stats_lock);

	mutex_lock(&ctx->lock);
	ret = name[0] && smmua_space_named(ctx, name) ? -EEXIST : 0;
	if (!ret)
		ret = xa_alloc(&ctx->spaces, &space->id, space, SMMUA_SPACE_IDS,
			       GFP_KERNEL_ACCOUNT);
	mutex_unlock(&ctx->lock);
	if (ret) {
		smmua_space_put(space);
		return ERR_PTR(ret == -EBUSY ? -ENOSPC : ret);
	}
	return space;
}

/* Make a new space reachable by its id. */
void smmua_space_publish(struct smmua_space *space)
{
	WRITE_ONCE(space->published, true);
}

/* Undo smmua_space_new() of a space never published, with nothing in it. */
void smmua_space_abandon(struct smmua_space *space)
{
	xa_erase(&space->ctx->spaces, space->id);
	smmua_space_put(space);
}

/* The published space @id of @ctx, referenced, or NULL. */
struct smmua_space *smmua_space_get(struct smmua_ctx *ctx, u32 id)
{
	struct smmua_space *space;

	/* A space is freed an RCU grace period after its last reference. */
	rcu_read_lock();
	space = xa_load(&ctx->spaces, id);
	if (space && (!READ_ONCE(space->published) || !refcount_inc_not_zero(&space->users)))
		space = NULL;
	rcu_read_unlock();
	return space;
}

/* The published space of @ctx named @name, referenced, or NULL. */
struct smmua_space *smmua_space_find_name(struct smmua_ctx *ctx, const char *name)
{
	struct smmua_space *space;

	mutex_lock(&ctx->lock);
	space = smmua_space_named(ctx, name);
	if (space && READ_ONCE(space->published))
		refcount_inc(&space->users);
	else
		space = NULL;
	mutex_unlock(&ctx->lock);
	return space;
}

/* Lock a referenced space; ENOENT (and the reference dropped) if dead. */
static struct smmua_space *smmua_space_lock_live(struct smmua_space *space)
{
	mutex_lock(&space->lock);
	if (space->dead) {
		smmua_space_unlock_put(space);
		return ERR_PTR(-ENOENT);
	}
	return space;
}

/*
 * The one lookup of a space for an ioctl: @space_id of the calling file,
 * or with SMMU_ASSIGN_BY_DEVICE the space the device @bdf is in, for its
 * owner or CAP_SYS_ADMIN. Returned referenced and locked.
 */
struct smmua_space *smmua_space_lookup(struct smmu_assign_ucmd *ucmd, u32 flags,
				       u32 space_id,
				       const struct smmu_assign_bdf *bdf)
{
	struct smmua_device *sdev;
	struct smmua_space *space;
	int ret = 0;

	if (!(flags & SMMU_ASSIGN_BY_DEVICE)) {
		if (bdf && memchr_inv(bdf, 0, sizeof(*bdf)))
			return ERR_PTR(-EINVAL);
		space = smmua_space_get(ucmd->ctx, space_id);
		return space ? smmua_space_lock_live(space) : ERR_PTR(-ENOENT);
	}
	if (space_id)
		return ERR_PTR(-EINVAL);
	sdev = smmua_device_get_live(bdf);
	if (IS_ERR(sdev))
		return ERR_CAST(sdev);
	space = sdev->binding->space;
	if (!space)
		ret = -ENOENT;
	else if (sdev->binding->owner != ucmd->ctx && !capable(CAP_SYS_ADMIN))
		ret = -EPERM;
	else
		refcount_inc(&space->users);
	smmua_device_unlock_put(sdev);
	return ret ? ERR_PTR(ret) : smmua_space_lock_live(space);
}

static bool smmua_overlaps(u64 start, u64 last, u64 start2, u64 last2)
{
	return start <= last2 && start2 <= last;
}

/* The reserved region of @binding that one of @ranges covers, or NULL. */
static const struct smmua_resv *smmua_resv_conflict(struct smmua_binding *binding,
						    const struct smmua_range *ranges,
						    unsigned int nr)
{
	unsigned int i, j;

	for (i = 0; i < binding->nr_resv; i++)
		for (j = 0; j < nr; j++)
			if (smmua_overlaps(binding->resv[i].start, binding->resv[i].last,
					   ranges[j].start, ranges[j].last))
				return &binding->resv[i];
	return NULL;
}

/* EADDRINUSE, and a log line, if one of @ranges covers a region of @binding. */
int smmua_check_resv(struct smmua_binding *binding, const struct smmua_range *ranges,
		     unsigned int nr)
{
	const struct smmua_resv *resv = smmua_resv_conflict(binding, ranges, nr);

	if (!resv)
		return 0;
	pr_info("IOMMU group %d: reserved region [%#llx-%#llx] lies in an allowed range\n",
		iommu_group_id(binding->group), resv->start, resv->last);
	return -EADDRINUSE;
}

/* Whether [start, last] lies in the aperture of @domain. */
static bool smmua_in_aperture(struct iommu_domain *domain, u64 start, u64 last)
{
	return !domain->geometry.force_aperture ||
	       (start >= domain->geometry.aperture_start &&
		last <= domain->geometry.aperture_end);
}

/*
 * Whether every allowed range and mapping of @space suits @sdom: inside
 * its aperture (ERANGE) and aligned to its smallest page (EINVAL).
 */
static int smmua_space_suits(struct smmua_space *space, struct smmua_domain *sdom)
{
	struct iommu_domain *domain = sdom->domain;
	struct smmua_mapping *map;
	unsigned int i;

	for (i = 0; i < space->nr_ranges; i++) {
		if (!smmua_in_aperture(domain, space->ranges[i].start, space->ranges[i].last))
			return -ERANGE;
		if (!IS_ALIGNED(space->ranges[i].start | (space->ranges[i].last + 1),
				sdom->min_pgsize))
			return -EINVAL;
	}
	for (map = smmua_mapping_first(space, 0, U64_MAX); map;
	     map = smmua_mapping_next(map, U64_MAX)) {
		if (!smmua_in_aperture(domain, map->iova, map->last))
			return -ERANGE;
		if (!IS_ALIGNED(map->iova | (map->last + 1), sdom->min_pgsize))
			return -EINVAL;
	}
	return 0;
}

/*
 * A type1 space's allowed ranges follow its domains, as VFIO type1's do:
 * what no domain's aperture holds is dropped. They only ever shrink, so
 * the array is reused.
 */
static void smmua_space_clip(struct smmua_space *space, struct iommu_domain *domain)
{
	u64 start = domain->geometry.aperture_start, last = domain->geometry.aperture_end;
	unsigned int i, n = 0;

	if (!domain->geometry.force_aperture)
		return;
	for (i = 0; i < space->nr_ranges; i++) {
		struct smmua_range r = space->ranges[i];

		r.start = max(r.start, start);
		r.last = min(r.last, last);
		if (r.start <= r.last)
			space->ranges[n++] = r;
	}
	space->nr_ranges = n;
}

/* MAP's alignment: the CPU page and the smallest page of every domain. */
static void smmua_space_update_align(struct smmua_space *space)
{
	struct smmua_domain *sdom;

	space->align = PAGE_SIZE;
	list_for_each_entry(sdom, &space->domains, node)
		space->align = max(space->align, sdom->min_pgsize);
}

/* Free a domain no group is attached to; its IOTLB is flushed by the free. */
static void smmua_domain_free(struct smmua_space *space, struct smmua_domain *sdom)
{
	list_del(&sdom->node);
	iommu_domain_free(sdom->domain);
	kfree(sdom);
	smmua_space_update_align(space);
}

/* The group's software MSI window, where the kernel maps MSI doorbells. */
static bool smmua_binding_sw_msi(struct smmua_binding *binding, phys_addr_t *base)
{
	unsigned int i;

	for (i = 0; i < binding->nr_resv; i++) {
		if (binding->resv[i].type == IOMMU_RESV_SW_MSI) {
			*base = binding->resv[i].start;
			return true;
		}
	}
	return false;
}

/* Whether another group on @sdom writes MSIs to @iova too. */
static bool smmua_doorbell_shared(struct smmua_space *space, struct smmua_domain *sdom,
				  struct smmua_binding *binding, u64 iova)
{
	struct smmua_binding *other;
	unsigned int i;

	list_for_each_entry(other, &space->bindings, space_node) {
		if (other == binding || other->sdom != sdom)
			continue;
		for (i = 0; i < other->nr_doorbells; i++)
			if (other->doorbells[i].iova == iova)
				return true;
	}
	return false;
}

/* Unmap from @sdom the doorbells of @binding no other group there needs. */
static void smmua_unmap_doorbells(struct smmua_space *space, struct smmua_domain *sdom,
				  struct smmua_binding *binding)
{
	unsigned int i;

	for (i = 0; i < binding->nr_doorbells; i++) {
		struct smmua_doorbell *db = &binding->doorbells[i];

		if (smmua_doorbell_shared(space, sdom, binding, db->iova) ||
		    iommu_iova_to_phys(sdom->domain, db->iova) != db->phys)
			continue;
		iommu_unmap(sdom->domain, db->iova, PAGE_SIZE);
	}
}

/*
 * Map @binding's doorbells into @sdom where its devices' MSIs already
 * write them; EADDRINUSE if another page is there.
 */
static int smmua_map_doorbells(struct smmua_space *space, struct smmua_domain *sdom,
			       struct smmua_binding *binding)
{
	unsigned int i;
	int ret = 0;

	for (i = 0; i < binding->nr_doorbells && !ret; i++) {
		struct smmua_doorbell *db = &binding->doorbells[i];
		phys_addr_t cur = iommu_iova_to_phys(sdom->domain, db->iova);

		if (cur == db->phys)
			continue;
		ret = cur ? -EADDRINUSE :
		      smmua_iommu_map(sdom->domain, db->iova, db->phys, PAGE_SIZE,
				      IOMMU_WRITE | IOMMU_MMIO);
	}
	if (ret)
		smmua_unmap_doorbells(space, sdom, binding);
	return ret;
}

/* A domain of @space that takes @binding's group, attached; or NULL. */
static struct smmua_domain *smmua_attach_shared(struct smmua_space *space,
						struct smmua_binding *binding,
						bool has_sw_msi, phys_addr_t sw_msi)
{
	struct smmua_domain *sdom;
	int ret;

	if (!READ_ONCE(smmua_share_domains))
		return NULL;
	list_for_each_entry(sdom, &space->domains, node) {
		/* One MSI cookie per domain: its window must be the group's. */
		if (sdom->has_sw_msi != has_sw_msi || (has_sw_msi && sdom->sw_msi != sw_msi))
			continue;
		ret = iommu_attach_group(sdom->domain, binding->group);
		if (!ret) {
			if (!smmua_map_doorbells(space, sdom, binding))
				return sdom;
			/* Its doorbells clash with another group's: a domain of its own. */
			iommu_detach_group(sdom->domain, binding->group);
			continue;
		}
		/* Another SMMU, or another format: try the next, as iommufd does. */
		if (ret != -EINVAL && ret != -EMEDIUMTYPE && ret != -ENODEV)
			return ERR_PTR(ret);
	}
	return NULL;
}

/*
 * A new domain of @space for @binding's group, attached and filled with the
 * space's mappings. The group is attached first: before that, 6.1's
 * arm-smmu-v3 has not chosen the domain's page tables. Its devices are not
 * yet programmed to DMA, so they miss nothing while it is filled.
 */
static struct smmua_domain *smmua_attach_new(struct smmua_space *space,
					     struct smmua_binding *binding,
					     bool has_sw_msi, phys_addr_t sw_msi)
{
	struct smmua_device *first = list_first_entry(&binding->devices,
						      struct smmua_device, binding_node);
	struct device *dev = &first->pdev->dev;
	struct smmua_domain *sdom;
	int ret;

	sdom = kzalloc(sizeof(*sdom), GFP_KERNEL_ACCOUNT);
	if (!sdom)
		return ERR_PTR(-ENOMEM);
	sdom->domain = smmua_paging_domain_alloc(dev);
	if (IS_ERR(sdom->domain)) {
		ret = PTR_ERR(sdom->domain);
		goto err_free;
	}
	ret = iommu_attach_group(sdom->domain, binding->group);
	if (ret)
		goto err_domain;
	/* Aperture and page sizes are final only once attached. */
	sdom->min_pgsize = 1UL << __ffs(sdom->domain->pgsize_bitmap);
	sdom->unmap_chunk = 1UL << __fls(sdom->domain->pgsize_bitmap);
	if (space->type1)
		smmua_space_clip(space, sdom->domain);
	ret = smmua_space_suits(space, sdom);
	if (ret)
		goto err_detach;
	/* Without the cookie, the devices' MSIs would fault in this domain. */
	sdom->has_sw_msi = has_sw_msi;
	sdom->sw_msi = sw_msi;
	if (has_sw_msi) {
		ret = iommu_get_msi_cookie(sdom->domain, sw_msi);
		if (ret)
			goto err_detach;
	}
	if (device_iommu_capable(dev, IOMMU_CAP_CACHE_COHERENCY))
		sdom->prot = IOMMU_CACHE;
	ret = smmua_map_doorbells(space, sdom, binding);
	if (ret)
		goto err_detach;
	ret = smmua_domain_fill(space, sdom);
	if (ret)
		goto err_detach;
	list_add_tail(&sdom->node, &space->domains);
	smmua_space_update_align(space);
	return sdom;

err_detach:
	iommu_detach_group(sdom->domain, binding->group);
err_domain:
	iommu_domain_free(sdom->domain);
err_free:
	kfree(sdom);
	return ERR_PTR(ret);
}

/*
 * Attach @binding's group to @space, of which the caller holds a reference;
 * the binding takes one of its own. The binding's lock is held, or it is
 * not published yet. From then on the group reaches what the space maps, and
 * its faults go to the space's file.
 */
/* Whether @ranges fit @space now: alignment, mappings, reserved, apertures. */
static int smmua_ranges_fit(struct smmua_space *space, struct smmua_range *ranges,
			    unsigned int nr)
{
	struct smmua_range *old_ranges = space->ranges;
	unsigned int old_nr = space->nr_ranges;
	struct smmua_mapping *map;
	struct smmua_binding *binding;
	struct smmua_domain *sdom;
	unsigned int i;

	lockdep_assert_held(&space->lock);
	for (i = 0; i < nr; i++)
		if (!IS_ALIGNED(ranges[i].start | (ranges[i].last + 1), space->align))
			return -EINVAL;
	/* Checked against the new ranges, as if they were in place. */
	space->ranges = ranges;
	space->nr_ranges = nr;
	for (map = smmua_mapping_first(space, 0, U64_MAX); map;
	     map = smmua_mapping_next(map, U64_MAX))
		if (!smmua_space_range(space, map->iova, map->last))
			goto busy;
	space->ranges = old_ranges;
	space->nr_ranges = old_nr;
	list_for_each_entry(binding, &space->bindings, space_node)
		if (smmua_check_resv(binding, ranges, nr))
			return -EADDRINUSE;
	list_for_each_entry(sdom, &space->domains, node)
		for (i = 0; i < nr; i++)
			if (!smmua_in_aperture(sdom->domain, ranges[i].start, ranges[i].last))
				return -ERANGE;
	return 0;
busy:
	space->ranges = old_ranges;
	space->nr_ranges = old_nr;
	return -EBUSY;
}

static int smmua_range_cmp(const void *a, const void *b)
{
	const struct smmua_range *ra = a, *rb = b;

	return ra->start < rb->start ? -1 : ra->start > rb->start;
}

/*
 * The allowed ranges of @space without @binding's reserved regions, as
 * VFIO type1 carves a joining group's out of its IOVA list: EINVAL if a
 * mapping lies in one. The space is locked.
 */
static int smmua_space_exclude_resv(struct smmua_space *space, struct smmua_binding *binding)
{
	unsigned int i, j, n = 0, room = space->nr_ranges + binding->nr_resv;
	struct smmua_range *ranges, *resv, r;
	int ret;

	if (!room)
		return 0;
	ranges = kcalloc(room, sizeof(*ranges), GFP_KERNEL_ACCOUNT);
	resv = kcalloc(binding->nr_resv, sizeof(*resv), GFP_KERNEL_ACCOUNT);
	if (!ranges || (binding->nr_resv && !resv)) {
		ret = -ENOMEM;
		goto out;
	}
	for (j = 0; j < binding->nr_resv; j++)
		resv[j] = (struct smmua_range){ binding->resv[j].start, binding->resv[j].last };
	sort(resv, binding->nr_resv, sizeof(*resv), smmua_range_cmp, NULL);
	/* Both sorted: each range is cut from its start on. */
	for (i = 0; i < space->nr_ranges; i++) {
		r = space->ranges[i];
		for (j = 0; j < binding->nr_resv && r.start <= r.last; j++) {
			const struct smmua_range *v = &resv[j];

			if (!smmua_overlaps(r.start, r.last, v->start, v->last))
				continue;
			if (v->start > r.start)
				ranges[n++] = (struct smmua_range){ r.start, v->start - 1 };
			if (v->last >= r.last)
				r.start = 1, r.last = 0;
			else
				r.start = v->last + 1;
		}
		if (r.start <= r.last)
			ranges[n++] = r;
	}
	if (n > SMMU_ASSIGN_MAX_RANGES) {
		ret = -ENOSPC;
	} else {
		ret = smmua_ranges_fit(space, ranges, n);
		if (ret == -EBUSY)
			ret = -EINVAL;
	}
	if (!ret) {
		swap(space->ranges, ranges);
		space->nr_ranges = n;
	}
out:
	kfree(resv);
	kfree(ranges);
	return ret;
}

int smmua_space_attach(struct smmua_space *space, struct smmua_binding *binding)
{
	struct smmua_domain *sdom;
	phys_addr_t sw_msi = 0;
	unsigned long flags;
	bool has_sw_msi;
	int ret = 0;

	mutex_lock(&space->lock);
	if (space->dead) {
		ret = -ENOENT;
		goto out_unlock;
	}
	if (space->type1) {
		ret = smmua_space_exclude_resv(space, binding);
		if (ret)
			goto out_unlock;
	}
	ret = smmua_check_resv(binding, space->ranges, space->nr_ranges);
	if (ret)
		goto out_unlock;
	has_sw_msi = smmua_binding_sw_msi(binding, &sw_msi);
	sdom = smmua_attach_shared(space, binding, has_sw_msi, sw_msi);
	if (!sdom)
		sdom = smmua_attach_new(space, binding, has_sw_msi, sw_msi);
	if (IS_ERR(sdom)) {
		ret = PTR_ERR(sdom);
		goto out_unlock;
	}
	sdom->users++;
	refcount_inc(&space->users);
	binding->sdom = sdom;
	list_add_tail(&binding->space_node, &space->bindings);
	space->nr_bindings++;
	spin_lock_irqsave(&binding->owner_lock, flags);
	binding->space = space;
	binding->owner = space->ctx;
	binding->space_id = space->id;
	spin_unlock_irqrestore(&binding->owner_lock, flags);
out_unlock:
	mutex_unlock(&space->lock);
	return ret;
}

/*
 * Detach @binding's group from its space, if it is in one: it is blocked
 * again (its DMA ownership is still claimed), and nobody owns it. The
 * space's mappings and its other groups are untouched. The binding's lock
 * is held.
 */
void smmua_space_detach(struct smmua_binding *binding)
{
	struct smmua_space *space = binding->space;
	struct smmua_domain *sdom = binding->sdom;
	unsigned long flags;

	lockdep_assert_held(&binding->lock);
	if (!space)
		return;
	spin_lock_irqsave(&binding->owner_lock, flags);
	binding->owner = NULL;
	binding->space = NULL;
	binding->space_id = 0;
	spin_unlock_irqrestore(&binding->owner_lock, flags);

	mutex_lock(&space->lock);
	list_del(&binding->space_node);
	space->nr_bindings--;
	iommu_detach_group(sdom->domain, binding->group);
	if (!--sdom->users)
		smmua_domain_free(space, sdom);
	else
		smmua_unmap_doorbells(space, sdom, binding);
	mutex_unlock(&space->lock);
	binding->sdom = NULL;
	smmua_space_put(space);
}

/* How @binding's domain serves its space: SMMU_ASSIGN_DOMAIN_*. */
u32 smmua_domain_flags(struct smmua_binding *binding)
{
	struct smmua_space *space = binding->space;
	u32 flags = 0;

	lockdep_assert_held(&binding->lock);
	if (!space)
		return 0;
	mutex_lock(&space->lock);
	if (binding->sdom->users > 1)
		flags |= SMMU_ASSIGN_DOMAIN_SHARED;
	if (!list_is_singular(&space->domains))
		flags |= SMMU_ASSIGN_DOMAIN_MIRRORED;
	mutex_unlock(&space->lock);
	return flags;
}

/*
 * Make a space unreachable and empty it. ctx->lock is held, or the file is
 * being released; the space is locked and has no group attached.
 */
static void smmua_space_kill(struct smmua_space *space)
{
	lockdep_assert_held(&space->lock);
	space->dead = true;
	xa_erase(&space->ctx->spaces, space->id);
	smmua_unmap_all(space);
}

/* The file is closing, its groups gone: destroy every space it has. */
void smmua_ctx_release_spaces(struct smmua_ctx *ctx)
{
	struct smmua_space *space;
	unsigned long id;

	xa_for_each(&ctx->spaces, id, space) {
		mutex_lock(&space->lock);
		WARN_ON(space->nr_bindings);
		smmua_space_kill(space);
		smmua_space_unlock_put(space);
		cond_resched();
	}
}

int smmua_space_alloc(struct smmu_assign_ucmd *ucmd)
{
	struct smmu_assign_space_alloc *cmd = ucmd->cmd;
	struct smmua_space *space;
	int ret;

	if (cmd->flags || cmd->__reserved)
		return -EOPNOTSUPP;
	ret = smmua_check_space_name(cmd->name);
	if (ret)
		return ret;
	space = smmua_space_new(ucmd->ctx, cmd->name, 1, 0);
	if (IS_ERR(space))
		return PTR_ERR(space);
	cmd->out_space_id = space->id;
	ret = smmu_assign_ucmd_respond(ucmd, sizeof(*cmd));
	if (ret) {
		smmua_space_abandon(space);
		return ret;
	}
	smmua_space_publish(space);
	return 0;
}

int smmua_space_destroy(struct smmu_assign_ucmd *ucmd)
{
	struct smmu_assign_space_destroy *cmd = ucmd->cmd;
	struct smmua_ctx *ctx = ucmd->ctx;
	struct smmua_space *space;
	int ret = 0;

	if (cmd->flags || cmd->__reserved)
		return -EOPNOTSUPP;
	space = smmua_space_get(ctx, cmd->space_id);
	if (!space)
		return -ENOENT;
	/* The file's lock orders this against CLAIM's lookup by name. */
	mutex_lock(&ctx->lock);
	mutex_lock(&space->lock);
	if (space->dead)
		ret = -ENOENT;
	else if (space->nr_bindings)
		ret = -EBUSY;
	else
		smmua_space_kill(space);
	mutex_unlock(&space->lock);
	mutex_unlock(&ctx->lock);
	/* The xarray's reference, then ours. */
	if (!ret)
		smmua_space_put(space);
	smmua_space_put(space);
	return ret;
}

/*
 * Userspace's ranges, checked on their own (EINVAL, EOVERFLOW), sorted,
 * with adjacent ones merged, so a MAP lies in one. The count goes to *nr.
 */
static struct smmua_range *smmua_copy_ranges(u64 uptr, unsigned int *nr)
{
	struct smmu_assign_iova_range __user *uranges = u64_to_user_ptr(uptr);
	struct smmu_assign_iova_range r;
	struct smmua_range *ranges;
	unsigned int i, n = *nr, out = 0;
	int ret = 0;

	if (!n)
		return NULL;
	ranges = kcalloc(n, sizeof(*ranges), GFP_KERNEL_ACCOUNT);
	if (!ranges)
		return ERR_PTR(-ENOMEM);
	for (i = 0; i < n && !ret; i++) {
		if (copy_from_user(&r, &uranges[i], sizeof(r)))
			ret = -EFAULT;
		else
			ret = smmua_check_range(r.iova, r.length, PAGE_SIZE, &ranges[i].last);
		ranges[i].start = r.iova;
	}
	if (ret)
		goto err;
	sort(ranges, n, sizeof(*ranges), smmua_range_cmp, NULL);
	for (i = 0; i < n; i++) {
		if (out && ranges[i].start <= ranges[out - 1].last) {
			ret = -EINVAL;
			goto err;
		}
		if (out && ranges[i].start == ranges[out - 1].last + 1)
			ranges[out - 1].last = ranges[i].last;
		else
			ranges[out++] = ranges[i];
	}
	*nr = out;
	return ranges;
err:
	kfree(ranges);
	return ERR_PTR(ret);
}

/* The allowed range of @space that holds [start, last] whole, or NULL. */
const struct smmua_range *smmua_space_range(struct smmua_space *space, u64 start, u64 last)
{
	unsigned int i;

	for (i = 0; i < space->nr_ranges; i++)
		if (start >= space->ranges[i].start && last <= space->ranges[i].last)
			return &space->ranges[i];
	return NULL;
}

int smmua_space_allow_iovas(struct smmu_assign_ucmd *ucmd)
{
	struct smmu_assign_space_allow_iovas *cmd = ucmd->cmd;
	struct smmua_range *ranges;
	struct smmua_space *space;
	unsigned int nr = cmd->num_ranges;
	int ret;

	if (cmd->flags)
		return -EOPNOTSUPP;
	if (nr > SMMU_ASSIGN_MAX_RANGES)
		return -EINVAL;
	/* Copied in before any lock is taken. */
	ranges = smmua_copy_ranges(cmd->ranges, &nr);
	if (IS_ERR(ranges))
		return PTR_ERR(ranges);
	space = smmua_space_lookup(ucmd, 0, cmd->space_id, NULL);
	if (IS_ERR(space)) {
		kfree(ranges);
		return PTR_ERR(space);
	}
	ret = smmua_ranges_fit(space, ranges, nr);
	if (!ret) {
		swap(space->ranges, ranges);
		space->nr_ranges = nr;
	}
	smmua_space_unlock_put(space);
	kfree(ranges);
	return ret;
}

/* VFIO_IOMMU_GET_INFO: the page sizes every domain maps, and the ranges. */
int smmua_space_type1_info(struct smmua_space *space, struct smmua_space_type1 *info)
{
	struct smmua_domain *sdom;
	int ret = 0;

	mutex_lock(&space->lock);
	info->pgsizes = 0;
	list_for_each_entry(sdom, &space->domains, node)
		info->pgsizes = info->pgsizes ? info->pgsizes & sdom->domain->pgsize_bitmap :
				sdom->domain->pgsize_bitmap;
	/* As type1: nothing below the CPU's page, which MAP needs anyway. */
	info->pgsizes = (info->pgsizes & PAGE_MASK) | PAGE_SIZE;
	info->nr_ranges = space->nr_ranges;
	info->ranges = kmemdup(space->ranges, space->nr_ranges * sizeof(*space->ranges),
			       GFP_KERNEL_ACCOUNT);
	if (space->nr_ranges && !info->ranges)
		ret = -ENOMEM;
	mutex_unlock(&space->lock);
	return ret;
}

/*
 * A type1 space whose last group left starts afresh, as VFIO builds a new
 * IOVA list when its IOMMU is set again: every IOVA, until groups join. A
 * failed allocation only keeps the narrower ranges. The space is locked.
 */
void smmua_space_type1_reset(struct smmua_space *space)
{
	struct smmua_range *all;

	lockdep_assert_held(&space->lock);
	all = kmalloc(sizeof(*all), GFP_KERNEL_ACCOUNT);
	if (!all)
		return;
	*all = (struct smmua_range){ 0, U64_MAX };
	kfree(space->ranges);
	space->ranges = all;
	space->nr_ranges = 1;
}
