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

/* A consistent copy of @sdev's figures, without the mutexes. */
static void smmua_snapshot_stats(struct smmua_device *sdev, struct smmu_assign_stats *stats,
				 pid_t *owner_pid, u32 *num_mappings)
{
	unsigned long flags;

	spin_lock_irqsave(&sdev->stats_lock, flags);
	*stats = sdev->stats;
	*num_mappings = sdev->nr_mappings;
	*owner_pid = sdev->owner ? pid_vnr(sdev->owner->pid) : 0;
	spin_unlock_irqrestore(&sdev->stats_lock, flags);
	stats->bound_ns = ktime_to_ns(ktime_sub(ktime_get(), sdev->bound_at));
}

/* Takes no mutex but the list's: what it reads is fixed at BIND, or racy. */
int smmua_query(struct smmu_assign_ucmd *ucmd)
{
	struct smmu_assign_query *cmd = ucmd->cmd;
	struct smmua_device *sdev;
	pid_t owner_pid;
	kuid_t uid;
	kgid_t gid;

	if (cmd->flags || cmd->__reserved)
		return -EOPNOTSUPP;
	sdev = smmua_device_get(&cmd->bdf);
	if (IS_ERR(sdev))
		return PTR_ERR(sdev);
	smmua_snapshot_stats(sdev, &cmd->out_stats, &owner_pid, &cmd->out_num_mappings);
	cmd->out_owner_pid = owner_pid;
	cmd->out_state = 0;
	if (sdev->persistent)
		cmd->out_state |= SMMU_ASSIGN_STATE_PERSISTENT;
	if (READ_ONCE(sdev->owner))
		cmd->out_state |= SMMU_ASSIGN_STATE_OWNED;
	if (READ_ONCE(sdev->owner) == ucmd->ctx)
		cmd->out_state |= SMMU_ASSIGN_STATE_MINE;
	cmd->out_num_sids = sdev->num_sids;
	memcpy(cmd->out_sids, sdev->sids, sizeof(cmd->out_sids));
	cmd->out_group_id = iommu_group_id(sdev->group);
	memcpy(cmd->out_iommu_name, sdev->iommu_name, sizeof(cmd->out_iommu_name));
	cmd->out_window_iova = sdev->window_start;
	cmd->out_window_length = sdev->window_last - sdev->window_start + 1;
	cmd->out_pgsize_bitmap = sdev->pgsize_bitmap;
	uid = READ_ONCE(sdev->delegate_uid);
	gid = READ_ONCE(sdev->delegate_gid);
	cmd->out_delegate_uid = uid_valid(uid) ? from_kuid_munged(current_user_ns(), uid) :
				SMMU_ASSIGN_NO_ID;
	cmd->out_delegate_gid = gid_valid(gid) ? from_kgid_munged(current_user_ns(), gid) :
				SMMU_ASSIGN_NO_ID;
	smmua_device_put(sdev);
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
	struct interval_tree_node *node;
	struct smmua_device *sdev;
	bool more = false;
	u32 room, n = 0;
	u64 next = 0;
	int ret;

	if (cmd->flags || cmd->__reserved)
		return -EOPNOTSUPP;
	/* The caller loops; a bounded batch keeps the allocation small. */
	room = min_t(u32, cmd->num_mappings, 4096);
	if (room) {
		infos = kvcalloc(room, sizeof(*infos), GFP_KERNEL_ACCOUNT);
		if (!infos)
			return -ENOMEM;
	}

	sdev = smmua_device_get_locked(ucmd->ctx, &cmd->bdf, true);
	if (IS_ERR(sdev)) {
		ret = PTR_ERR(sdev);
		goto out_free;
	}
	for (node = interval_tree_iter_first(&sdev->mappings, cmd->cursor, ULONG_MAX);
	     node; node = interval_tree_iter_next(node, cmd->cursor, ULONG_MAX)) {
		struct smmua_mapping *map = container_of(node, struct smmua_mapping, node);

		/* Reported in the previous batch. */
		if (node->start < cmd->cursor)
			continue;
		if (n == room) {
			more = true;
			next = node->start;
			break;
		}
		infos[n++] = (struct smmu_assign_mapping_info){
			.iova = node->start,
			.length = node->last - node->start + 1,
			.user_va = map->user_va,
			.flags = map->flags & ~SMMUA_MAPPING_CHARGED,
		};
	}
	mutex_unlock(&sdev->lock);
	smmua_device_put(sdev);

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
	struct interval_tree_node *node;
	struct smmua_device *sdev;
	struct smmua_mapping *map;
	phys_addr_t phys;
	int ret = 0;

	if (cmd->flags || cmd->__reserved)
		return -EOPNOTSUPP;
	sdev = smmua_device_get_locked(ucmd->ctx, &cmd->bdf, true);
	if (IS_ERR(sdev))
		return PTR_ERR(sdev);
	node = interval_tree_iter_first(&sdev->mappings, cmd->iova, cmd->iova);
	if (!node) {
		ret = -ENOENT;
		goto out_unlock;
	}
	map = container_of(node, struct smmua_mapping, node);
	phys = iommu_iova_to_phys(sdev->domain, cmd->iova);
	if (!phys) {
		pci_err(sdev->pdev, "IOVA %#llx is mapped but not in the page table\n",
			cmd->iova);
		ret = -EIO;
		goto out_unlock;
	}
	cmd->out_user_va = map->user_va + (cmd->iova - node->start);
	cmd->out_flags = 0;
	if (map->flags & SMMU_ASSIGN_MAP_READ)
		cmd->out_flags |= SMMU_ASSIGN_XLATE_READ;
	if (map->flags & SMMU_ASSIGN_MAP_WRITE)
		cmd->out_flags |= SMMU_ASSIGN_XLATE_WRITE;
	cmd->out_phys = 0;
	/* Host physical addresses help attacks: administrators only. */
	if (capable(CAP_SYS_ADMIN)) {
		cmd->out_phys = phys;
		cmd->out_flags |= SMMU_ASSIGN_XLATE_PHYS;
	}
out_unlock:
	mutex_unlock(&sdev->lock);
	smmua_device_put(sdev);
	return ret ?: smmu_assign_ucmd_respond(ucmd, sizeof(*cmd));
}

int smmua_resv_regions(struct smmu_assign_ucmd *ucmd)
{
	struct smmu_assign_resv_regions *cmd = ucmd->cmd;
	struct smmu_assign_resv_region *out = NULL;
	struct iommu_resv_region *region, *next;
	struct iommu_group *group;
	struct pci_dev *pdev;
	LIST_HEAD(regions);
	u32 room, total = 0, n = 0;
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
	ret = iommu_get_group_resv_regions(group, &regions);
	iommu_group_put(group);
	if (ret)
		goto out_free;

	list_for_each_entry(region, &regions, list)
		total++;
	room = min(cmd->num_regions, total);
	if (room) {
		out = kcalloc(room, sizeof(*out), GFP_KERNEL_ACCOUNT);
		if (!out) {
			ret = -ENOMEM;
			goto out_free;
		}
	}
	list_for_each_entry(region, &regions, list) {
		if (n == room)
			break;
		out[n++] = (struct smmu_assign_resv_region){
			.start = region->start,
			.last = region->start + region->length - 1,
			.type = region->type,
		};
	}

out_free:
	list_for_each_entry_safe(region, next, &regions, list)
		kfree(region);
	if (!ret && n && copy_to_user(u64_to_user_ptr(cmd->regions), out, n * sizeof(*out)))
		ret = -EFAULT;
	kfree(out);
	if (ret)
		return ret;
	cmd->num_regions = total;
	ret = smmu_assign_ucmd_respond(ucmd, sizeof(*cmd));
	return ret ?: (total > n ? -EMSGSIZE : 0);
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

/* debugfs smmu-assign/<BDF>; takes no mutex, so removal never waits on one. */
static int smmua_debugfs_show(struct seq_file *m, void *unused)
{
	struct smmua_device *sdev = m->private;
	struct smmu_assign_stats st;
	pid_t owner_pid;
	u32 i, num_mappings;

	smmua_snapshot_stats(sdev, &st, &owner_pid, &num_mappings);
	seq_printf(m, "device: %s\n", pci_name(sdev->pdev));
	seq_printf(m, "state: %s%s\n", owner_pid ? "owned" : "unclaimed",
		   sdev->persistent ? " persistent" : "");
	seq_printf(m, "owner_pid: %d\n", owner_pid);
	seq_puts(m, "sids:");
	for (i = 0; i < sdev->num_sids; i++)
		seq_printf(m, " %#x", sdev->sids[i]);
	seq_printf(m, "\ngroup: %d\n", iommu_group_id(sdev->group));
	seq_printf(m, "iommu: %s\n", sdev->iommu_name);
	seq_printf(m, "window: %#llx-%#llx\n", sdev->window_start, sdev->window_last);
	seq_printf(m, "pgsize_bitmap: %#lx\n", sdev->pgsize_bitmap);
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
