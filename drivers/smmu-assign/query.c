// SPDX-License-Identifier: GPL-2.0
/*
 * smmu-assign: what is bound, where, and how busy it is.
 *
 * QUERY and LIST answer any file; MAPPINGS and TRANSLATE reveal an owner's
 * address space, so they answer the owner and CAP_SYS_ADMIN.
 * The same figures are in debugfs, smmu-assign/<BDF>, for administrators.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/debugfs.h>
#include <linux/iommu.h>
#include <linux/pid.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "smmu_assign.h"

static struct dentry *smmua_debugfs_root;

/* A copy of @space's figures, consistent among themselves. */
static void smmua_space_stats(struct smmua_space *space, struct smmu_assign_stats *stats,
			      u32 *num_mappings)
{
	spin_lock(&space->stats_lock);
	*stats = space->stats;
	*num_mappings = space->nr_mappings;
	spin_unlock(&space->stats_lock);
}

/* @sdev's faults and its owner's pid, without the mutexes. */
static void smmua_device_stats(struct smmua_device *sdev, struct smmu_assign_stats *stats,
			       pid_t *owner_pid)
{
	struct smmua_binding *binding = sdev->binding;
	unsigned long flags;

	spin_lock_irqsave(&binding->owner_lock, flags);
	memcpy(stats->faults, sdev->faults, sizeof(stats->faults));
	stats->faults_lost = sdev->faults_lost;
	*owner_pid = binding->owner ? pid_vnr(binding->owner->pid) : 0;
	spin_unlock_irqrestore(&binding->owner_lock, flags);
	stats->bound_ns = ktime_to_ns(ktime_sub(ktime_get(), binding->bound_at));
}

static u32 smmua_id_or_none(kuid_t uid)
{
	return uid_valid(uid) ? from_kuid_munged(current_user_ns(), uid) : SMMU_ASSIGN_NO_ID;
}

static u32 smmua_gid_or_none(kgid_t gid)
{
	return gid_valid(gid) ? from_kgid_munged(current_user_ns(), gid) : SMMU_ASSIGN_NO_ID;
}

int smmua_query(struct smmu_assign_ucmd *ucmd)
{
	struct smmu_assign_query *cmd = ucmd->cmd;
	struct smmua_binding *binding;
	struct smmua_device *sdev;
	struct smmua_space *space;
	pid_t owner_pid;

	if (cmd->flags)
		return -EOPNOTSUPP;
	sdev = smmua_device_get_live(&cmd->bdf);
	if (IS_ERR(sdev))
		return PTR_ERR(sdev);
	binding = sdev->binding;
	space = binding->space;
	memset(&cmd->out_stats, 0, sizeof(cmd->out_stats));
	cmd->out_num_mappings = 0;
	cmd->out_pgsize_bitmap = 0;
	memset(cmd->out_space_name, 0, sizeof(cmd->out_space_name));
	if (space) {
		smmua_space_stats(space, &cmd->out_stats, &cmd->out_num_mappings);
		memcpy(cmd->out_space_name, space->name, sizeof(cmd->out_space_name));
		cmd->out_pgsize_bitmap = binding->sdom->domain->pgsize_bitmap;
	} else if (binding->persistent) {
		memcpy(cmd->out_space_name, binding->space_name, sizeof(cmd->out_space_name));
	}
	smmua_device_stats(sdev, &cmd->out_stats, &owner_pid);
	cmd->out_owner_pid = owner_pid;
	cmd->out_space_id = binding->space_id;
	cmd->out_domain_flags = smmua_domain_flags(binding);
	cmd->out_state = 0;
	if (binding->persistent)
		cmd->out_state |= SMMU_ASSIGN_STATE_PERSISTENT;
	if (binding->owner)
		cmd->out_state |= SMMU_ASSIGN_STATE_OWNED;
	if (binding->owner == ucmd->ctx)
		cmd->out_state |= SMMU_ASSIGN_STATE_MINE;
	if (sdev->devfd)
		cmd->out_state |= SMMU_ASSIGN_STATE_DEVICE_FD;
	smmua_devfd_irqs(sdev, &cmd->out_irq_index, &cmd->out_irq_count);
	cmd->out_window_iova = 0;
	cmd->out_window_length = 0;
	if (binding->persistent) {
		cmd->out_window_iova = binding->window_start;
		cmd->out_window_length = binding->window_last - binding->window_start + 1;
	}
	cmd->out_num_sids = sdev->num_sids;
	memcpy(cmd->out_sids, sdev->sids, sizeof(cmd->out_sids));
	cmd->out_group_id = iommu_group_id(binding->group);
	memcpy(cmd->out_iommu_name, sdev->iommu_name, sizeof(cmd->out_iommu_name));
	cmd->out_num_devices = binding->nr_devices;
	cmd->out_delegate_uid = smmua_id_or_none(binding->delegate_uid);
	cmd->out_delegate_gid = smmua_gid_or_none(binding->delegate_gid);
	smmua_device_unlock_put(sdev);
	return smmu_assign_ucmd_respond(ucmd, sizeof(*cmd));
}

int smmua_list(struct smmu_assign_ucmd *ucmd)
{
	struct smmu_assign_list *cmd = ucmd->cmd;
	struct smmu_assign_bdf *bdfs = NULL;
	struct smmua_device *sdev;
	u32 total = 0, room;
	int ret;

	if (cmd->flags || cmd->__reserved)
		return -EOPNOTSUPP;
	/* Never more than can be bound at once: one per PCI function. */
	room = min_t(u32, cmd->num_devices, 65536);
	if (room) {
		bdfs = kcalloc(room, sizeof(*bdfs), GFP_KERNEL_ACCOUNT);
		if (!bdfs)
			return -ENOMEM;
	}

	mutex_lock(&smmua_devices_lock);
	list_for_each_entry(sdev, &smmua_devices, node) {
		if (total < room)
			bdfs[total] = smmua_pdev_bdf(sdev->pdev);
		total++;
	}
	mutex_unlock(&smmua_devices_lock);

	ret = 0;
	if (copy_to_user(u64_to_user_ptr(cmd->devices), bdfs,
			 min(total, room) * sizeof(*bdfs)))
		ret = -EFAULT;
	kfree(bdfs);
	if (ret)
		return ret;
	cmd->num_devices = total;
	ret = smmu_assign_ucmd_respond(ucmd, sizeof(*cmd));
	return ret ?: (total > room ? -EMSGSIZE : 0);
}

int smmua_mappings(struct smmu_assign_ucmd *ucmd)
{
	struct smmu_assign_mappings *cmd = ucmd->cmd;
	struct smmu_assign_mapping_info *infos = NULL;
	struct smmua_mapping *map;
	struct smmua_space *space;
	bool more = false;
	u32 room, n = 0;
	u64 next = 0;
	int ret;

	if (cmd->flags & ~SMMU_ASSIGN_BY_DEVICE || cmd->__reserved || cmd->__reserved2)
		return -EOPNOTSUPP;
	/* The caller loops; a bounded batch keeps the allocation small. */
	room = min_t(u32, cmd->num_mappings, 4096);
	if (room) {
		infos = kvcalloc(room, sizeof(*infos), GFP_KERNEL_ACCOUNT);
		if (!infos)
			return -ENOMEM;
	}

	space = smmua_space_lookup(ucmd, cmd->flags, cmd->space_id, &cmd->bdf);
	if (IS_ERR(space)) {
		ret = PTR_ERR(space);
		goto out_free;
	}
	for (map = smmua_mapping_first(space, cmd->cursor, U64_MAX); map;
	     map = smmua_mapping_next(map, U64_MAX)) {
		/* Reported in the previous batch. */
		if (map->iova < cmd->cursor)
			continue;
		if (n == room) {
			more = true;
			next = map->iova;
			break;
		}
		infos[n++] = (struct smmu_assign_mapping_info){
			.iova = map->iova,
			.length = smmua_mapping_len(map),
			.user_va = map->user_va,
			.flags = smmua_mapping_flags(map),
		};
	}
	smmua_space_unlock_put(space);

	if (n && copy_to_user(u64_to_user_ptr(cmd->mappings), infos, n * sizeof(*infos))) {
		ret = -EFAULT;
		goto out_free;
	}
	cmd->num_mappings = n;
	cmd->cursor = next;
	ret = smmu_assign_ucmd_respond(ucmd, sizeof(*cmd));
	/* No room for even one: a cursor of 0 could be a mapping at IOVA 0. */
	if (!ret && !n && more)
		ret = -EMSGSIZE;
out_free:
	kvfree(infos);
	return ret;
}

int smmua_translate(struct smmu_assign_ucmd *ucmd)
{
	struct smmu_assign_translate *cmd = ucmd->cmd;
	struct smmua_domain *sdom;
	struct smmua_space *space;
	struct smmua_mapping *map;
	phys_addr_t phys;
	int ret = 0;

	if (cmd->flags & ~SMMU_ASSIGN_BY_DEVICE || cmd->__reserved || cmd->__reserved2)
		return -EOPNOTSUPP;
	space = smmua_space_lookup(ucmd, cmd->flags, cmd->space_id, &cmd->bdf);
	if (IS_ERR(space))
		return PTR_ERR(space);
	map = smmua_mapping_first(space, cmd->iova, cmd->iova);
	if (!map) {
		ret = -ENOENT;
		goto out_unlock;
	}
	phys = smmua_mapping_phys(map, cmd->iova);
	/* Every domain must translate it to the page pinned for it. */
	list_for_each_entry(sdom, &space->domains, node) {
		phys_addr_t pt = iommu_iova_to_phys(sdom->domain, cmd->iova);

		if (pt != phys) {
			pr_err("space %u: IOVA %#llx is pinned at %pa but a domain maps %pa\n",
			       space->id, cmd->iova, &phys, &pt);
			ret = -EIO;
			goto out_unlock;
		}
	}
	cmd->out_user_va = map->user_va + (cmd->iova - map->iova);
	cmd->out_flags = 0;
	if (smmua_mapping_flags(map) & SMMU_ASSIGN_MAP_READ)
		cmd->out_flags |= SMMU_ASSIGN_XLATE_READ;
	if (smmua_mapping_flags(map) & SMMU_ASSIGN_MAP_WRITE)
		cmd->out_flags |= SMMU_ASSIGN_XLATE_WRITE;
	cmd->out_phys = 0;
	/* Host physical addresses help attacks: administrators only. */
	if (capable(CAP_SYS_ADMIN)) {
		cmd->out_phys = phys;
		cmd->out_flags |= SMMU_ASSIGN_XLATE_PHYS;
	}
out_unlock:
	smmua_space_unlock_put(space);
	return ret ?: smmu_assign_ucmd_respond(ucmd, sizeof(*cmd));
}

int smmua_resv_regions(struct smmu_assign_ucmd *ucmd)
{
	struct smmu_assign_resv_regions *cmd = ucmd->cmd;
	struct smmu_assign_resv_region __user *uregions = u64_to_user_ptr(cmd->regions);
	struct iommu_group *group;
	struct smmua_resv *resv;
	struct pci_dev *pdev;
	unsigned int total, i;
	int ret;

	if (cmd->flags || cmd->__reserved)
		return -EOPNOTSUPP;
	pdev = smmua_pci_get(&cmd->bdf);
	if (IS_ERR(pdev))
		return PTR_ERR(pdev);
	group = iommu_group_get(&pdev->dev);
	pci_dev_put(pdev);
	if (!group)
		return -ENODEV;
	ret = smmua_group_resv(group, &resv, &total);
	iommu_group_put(group);
	for (i = 0; !ret && i < min(cmd->num_regions, total); i++) {
		struct smmu_assign_resv_region out = {
			.start = resv[i].start,
			.last = resv[i].last,
			.type = resv[i].type,
		};

		if (copy_to_user(&uregions[i], &out, sizeof(out)))
			ret = -EFAULT;
	}
	kfree(resv);
	if (ret)
		return ret;
	ret = total > cmd->num_regions ? -EMSGSIZE : 0;
	cmd->num_regions = total;
	return smmu_assign_ucmd_respond(ucmd, sizeof(*cmd)) ?: ret;
}

/* Room for what SPACE_INFO reports of a space: its arrays, capped. */
struct smmua_space_report {
	struct smmu_assign_iova_range *ranges;
	struct smmu_assign_resv_region *resv;
	struct smmu_assign_bdf *devices;
	u32 room_ranges, room_resv, room_devices;
	u32 nr_ranges, nr_resv, nr_devices;
};

static void smmua_report_free(struct smmua_space_report *r)
{
	kfree(r->ranges);
	kfree(r->resv);
	kfree(r->devices);
}

static int smmua_report_alloc(struct smmua_space_report *r,
			      const struct smmu_assign_space_info *cmd)
{
	/* Far more than a group has regions or a space has devices. */
	r->room_ranges = min_t(u32, cmd->num_ranges, SMMU_ASSIGN_MAX_RANGES);
	r->room_resv = min_t(u32, cmd->num_reserved, 1024);
	r->room_devices = min_t(u32, cmd->num_devices, 1024);
	r->ranges = kcalloc(r->room_ranges, sizeof(*r->ranges), GFP_KERNEL_ACCOUNT);
	r->resv = kcalloc(r->room_resv, sizeof(*r->resv), GFP_KERNEL_ACCOUNT);
	r->devices = kcalloc(r->room_devices, sizeof(*r->devices), GFP_KERNEL_ACCOUNT);
	if ((r->room_ranges && !r->ranges) || (r->room_resv && !r->resv) ||
	    (r->room_devices && !r->devices)) {
		smmua_report_free(r);
		return -ENOMEM;
	}
	return 0;
}

/* Whether @r holds a region equal to @resv already: groups share windows. */
static bool smmua_report_has(struct smmua_space_report *r, const struct smmua_resv *resv)
{
	u32 i;

	for (i = 0; i < min(r->nr_resv, r->room_resv); i++)
		if (r->resv[i].start == resv->start && r->resv[i].last == resv->last &&
		    r->resv[i].type == resv->type)
			return true;
	return false;
}

/* Fill @r from @space, which is locked; the counts are the full ones. */
static void smmua_report_fill(struct smmua_space_report *r, struct smmua_space *space)
{
	struct smmua_binding *binding;
	struct smmua_device *sdev;
	unsigned int i;

	r->nr_ranges = space->nr_ranges;
	for (i = 0; i < min(space->nr_ranges, r->room_ranges); i++)
		r->ranges[i] = (struct smmu_assign_iova_range){
			.iova = space->ranges[i].start,
			.length = space->ranges[i].last - space->ranges[i].start + 1,
		};
	list_for_each_entry(binding, &space->bindings, space_node) {
		for (i = 0; i < binding->nr_resv; i++) {
			const struct smmua_resv *resv = &binding->resv[i];

			if (smmua_report_has(r, resv))
				continue;
			if (r->nr_resv < r->room_resv)
				r->resv[r->nr_resv] = (struct smmu_assign_resv_region){
					.start = resv->start,
					.last = resv->last,
					.type = resv->type,
				};
			r->nr_resv++;
		}
		list_for_each_entry(sdev, &binding->devices, binding_node) {
			if (r->nr_devices < r->room_devices)
				r->devices[r->nr_devices] = smmua_pdev_bdf(sdev->pdev);
			r->nr_devices++;
		}
	}
}

static int smmua_copy_out(u64 uptr, const void *src, u32 n, u32 room, size_t size)
{
	return copy_to_user(u64_to_user_ptr(uptr), src, min(n, room) * size) ? -EFAULT : 0;
}

int smmua_space_info(struct smmu_assign_ucmd *ucmd)
{
	struct smmu_assign_space_info *cmd = ucmd->cmd;
	struct smmua_space_report r = {};
	struct smmua_domain *sdom;
	struct smmua_space *space;
	struct smmu_assign_stats st;
	int ret;

	if (cmd->flags & ~SMMU_ASSIGN_BY_DEVICE || cmd->__reserved || cmd->__reserved2)
		return -EOPNOTSUPP;
	ret = smmua_report_alloc(&r, cmd);
	if (ret)
		return ret;
	space = smmua_space_lookup(ucmd, cmd->flags, cmd->space_id, &cmd->bdf);
	if (IS_ERR(space)) {
		ret = PTR_ERR(space);
		goto out_free;
	}
	cmd->out_space_id = space->id;
	memcpy(cmd->out_name, space->name, sizeof(cmd->out_name));
	cmd->out_owner_pid = pid_vnr(space->ctx->pid);
	cmd->out_num_domains = 0;
	cmd->out_pgsize_bitmap = 0;
	list_for_each_entry(sdom, &space->domains, node) {
		cmd->out_pgsize_bitmap = cmd->out_num_domains++ ?
			cmd->out_pgsize_bitmap & sdom->domain->pgsize_bitmap :
			sdom->domain->pgsize_bitmap;
	}
	smmua_space_stats(space, &st, &cmd->out_num_mappings);
	cmd->out_bytes_mapped = st.bytes_mapped;
	cmd->out_pinned_pages = st.pinned_pages;
	smmua_report_fill(&r, space);
	smmua_space_unlock_put(space);

	ret = smmua_copy_out(cmd->ranges, r.ranges, r.nr_ranges, r.room_ranges,
			     sizeof(*r.ranges)) ?:
	      smmua_copy_out(cmd->reserved, r.resv, r.nr_resv, r.room_resv,
			     sizeof(*r.resv)) ?:
	      smmua_copy_out(cmd->devices, r.devices, r.nr_devices, r.room_devices,
			     sizeof(*r.devices));
	if (ret)
		goto out_free;
	cmd->num_ranges = r.nr_ranges;
	cmd->num_reserved = r.nr_resv;
	cmd->num_devices = r.nr_devices;
	ret = smmu_assign_ucmd_respond(ucmd, sizeof(*cmd));
	if (!ret && (r.nr_ranges > r.room_ranges || r.nr_resv > r.room_resv ||
		     r.nr_devices > r.room_devices))
		ret = -EMSGSIZE;
out_free:
	smmua_report_free(&r);
	return ret;
}

static const char * const smmua_reason_names[SMMU_ASSIGN_FAULT_NR_REASONS] = {
	[SMMU_ASSIGN_FAULT_UNKNOWN] = "unknown",
	[SMMU_ASSIGN_FAULT_PASID_FETCH] = "pasid_fetch",
	[SMMU_ASSIGN_FAULT_BAD_PASID_ENTRY] = "bad_pasid_entry",
	[SMMU_ASSIGN_FAULT_PASID_INVALID] = "pasid_invalid",
	[SMMU_ASSIGN_FAULT_WALK_EABT] = "walk_abort",
	[SMMU_ASSIGN_FAULT_TRANSLATION] = "translation",
	[SMMU_ASSIGN_FAULT_PERMISSION] = "permission",
	[SMMU_ASSIGN_FAULT_ACCESS] = "access",
	[SMMU_ASSIGN_FAULT_ADDR_SIZE] = "address_size",
};

/*
 * The space @sdev is in, referenced, or NULL: for readers that take no
 * mutex. The binding holds the space while it is attached.
 */
static struct smmua_space *smmua_device_space(struct smmua_device *sdev, u32 *space_id)
{
	struct smmua_binding *binding = sdev->binding;
	struct smmua_space *space;
	unsigned long flags;

	spin_lock_irqsave(&binding->owner_lock, flags);
	space = binding->space;
	if (space)
		refcount_inc(&space->users);
	*space_id = binding->space_id;
	spin_unlock_irqrestore(&binding->owner_lock, flags);
	return space;
}

/* debugfs smmu-assign/<BDF>; takes no mutex, so removal never waits on one. */
static int smmua_debugfs_show(struct seq_file *m, void *unused)
{
	struct smmua_device *sdev = m->private;
	struct smmua_binding *binding = sdev->binding;
	struct smmu_assign_stats st = {};
	struct smmua_space *space;
	u32 i, num_mappings = 0, space_id;
	pid_t owner_pid;

	space = smmua_device_space(sdev, &space_id);
	if (space) {
		smmua_space_stats(space, &st, &num_mappings);
		smmua_space_put(space);
	}
	smmua_device_stats(sdev, &st, &owner_pid);
	seq_printf(m, "device: %s\n", pci_name(sdev->pdev));
	seq_printf(m, "state: %s%s\n", owner_pid ? "owned" : "unclaimed",
		   binding->persistent ? " persistent" : "");
	seq_printf(m, "owner_pid: %d\n", owner_pid);
	seq_puts(m, "sids:");
	for (i = 0; i < sdev->num_sids; i++)
		seq_printf(m, " %#x", sdev->sids[i]);
	seq_printf(m, "\ngroup: %d\n", iommu_group_id(binding->group));
	seq_printf(m, "group_devices: %u\n", binding->nr_devices);
	seq_printf(m, "iommu: %s\n", sdev->iommu_name);
	seq_printf(m, "space: %u\n", space_id);
	if (binding->persistent)
		seq_printf(m, "window: %#llx-%#llx\n", binding->window_start,
			   binding->window_last);
	seq_printf(m, "mappings: %u\n", num_mappings);
	seq_printf(m, "maps: %llu\nunmaps: %llu\n", st.maps, st.unmaps);
	seq_printf(m, "bytes_mapped: %llu\npeak_bytes_mapped: %llu\n",
		   st.bytes_mapped, st.peak_bytes_mapped);
	seq_printf(m, "pinned_pages: %llu\npeak_pinned_pages: %llu\n",
		   st.pinned_pages, st.peak_pinned_pages);
	seq_printf(m, "iotlb_syncs: %llu\n", st.iotlb_syncs);
	for (i = 0; i < SMMU_ASSIGN_FAULT_NR_REASONS; i++)
		seq_printf(m, "faults_%s: %llu\n", smmua_reason_names[i], st.faults[i]);
	seq_printf(m, "faults_lost: %llu\n", st.faults_lost);
	seq_printf(m, "bound_ns: %llu\n", st.bound_ns);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(smmua_debugfs);

void smmua_debugfs_add(struct smmua_device *sdev)
{
	/* debugfs is best effort: a failure leaves only the admin view out. */
	sdev->debugfs = debugfs_create_file(pci_name(sdev->pdev), 0400,
					    smmua_debugfs_root, sdev,
					    &smmua_debugfs_fops);
}

void smmua_debugfs_remove(struct smmua_device *sdev)
{
	debugfs_remove(sdev->debugfs);
	sdev->debugfs = NULL;
}

void smmua_debugfs_init(void)
{
	smmua_debugfs_root = debugfs_create_dir("smmu-assign", NULL);
}

void smmua_debugfs_exit(void)
{
	debugfs_remove(smmua_debugfs_root);
}
