// SPDX-License-Identifier: GPL-2.0
/*
 * smmu-assign: taking a PCI device's DMA over and giving it back.
 *
 * BIND claims the DMA ownership of the device's IOMMU group and attaches a
 * paging domain of its own, which makes arm-smmu-v3 write the stream table
 * entries for the device's stream IDs: from then on the device reaches only
 * what is mapped into that domain. UNBIND, the owner's close, and the stub
 * driver's remove undo it in reverse order.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/iommu.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>

#include "compat.h"
#include "smmu_assign.h"

static bool allow_unsafe_interrupts;
module_param(allow_unsafe_interrupts, bool, 0644);
MODULE_PARM_DESC(allow_unsafe_interrupts,
		 "Bind devices whose MSIs the platform does not isolate (unsafe: such a device can raise any interrupt)");

/* Every bound device, persistent or not; see smmu_assign.h for lock order. */
LIST_HEAD(smmua_devices);
/* Protects smmua_devices, and nothing else: held only to walk or change it. */
DEFINE_MUTEX(smmua_devices_lock);

static int smmua_check_bdf(const struct smmu_assign_bdf *bdf)
{
	if (memchr_inv(bdf->__reserved, 0, sizeof(bdf->__reserved)))
		return -EOPNOTSUPP;
	if (bdf->device > 31 || bdf->function > 7)
		return -EINVAL;
	return 0;
}

/* The PCI function @bdf names, referenced: EINVAL/EOPNOTSUPP, or ENODEV. */
struct pci_dev *smmua_pci_get(const struct smmu_assign_bdf *bdf)
{
	struct pci_dev *pdev;
	int ret = smmua_check_bdf(bdf);

	if (ret)
		return ERR_PTR(ret);
	pdev = pci_get_domain_bus_and_slot(bdf->segment, bdf->bus,
					   PCI_DEVFN(bdf->device, bdf->function));
	return pdev ?: ERR_PTR(-ENODEV);
}

static bool smmua_device_is(struct smmua_device *sdev,
			    const struct smmu_assign_bdf *bdf)
{
	struct pci_dev *pdev = sdev->pdev;

	return pci_domain_nr(pdev->bus) == bdf->segment &&
	       pdev->bus->number == bdf->bus &&
	       pdev->devfn == PCI_DEVFN(bdf->device, bdf->function);
}

static struct smmua_device *smmua_find_locked(const struct smmu_assign_bdf *bdf)
{
	struct smmua_device *sdev;

	lockdep_assert_held(&smmua_devices_lock);
	list_for_each_entry(sdev, &smmua_devices, node)
		if (smmua_device_is(sdev, bdf))
			return sdev;
	return NULL;
}

static void smmua_free_device(struct smmua_device *sdev)
{
	if (sdev->group)
		iommu_group_put(sdev->group);
	pci_dev_put(sdev->pdev);
	mutex_destroy(&sdev->lock);
	kfree(sdev);
}

void smmua_device_put(struct smmua_device *sdev)
{
	if (refcount_dec_and_test(&sdev->users))
		smmua_free_device(sdev);
}

/*
 * The one lookup of a bound device by BDF: a reference the caller drops
 * with smmua_device_put(), and no lock held. EINVAL/EOPNOTSUPP for a
 * malformed BDF, ENOENT if it is not bound.
 */
struct smmua_device *smmua_device_get(const struct smmu_assign_bdf *bdf)
{
	struct smmua_device *sdev;
	int ret = smmua_check_bdf(bdf);

	if (ret)
		return ERR_PTR(ret);
	mutex_lock(&smmua_devices_lock);
	sdev = smmua_find_locked(bdf);
	if (sdev)
		refcount_inc(&sdev->users);
	mutex_unlock(&smmua_devices_lock);
	return sdev ?: ERR_PTR(-ENOENT);
}

/* Drop the lock and reference the lookups below took; @err as a pointer. */
static struct smmua_device *smmua_device_drop(struct smmua_device *sdev, int err)
{
	mutex_unlock(&sdev->lock);
	smmua_device_put(sdev);
	return ERR_PTR(err);
}

/*
 * The bound device named by @bdf, with a reference and its lock held, unless
 * it is being torn down (ENOENT, as when it is not bound).
 */
static struct smmua_device *smmua_device_get_live(const struct smmu_assign_bdf *bdf)
{
	struct smmua_device *sdev = smmua_device_get(bdf);

	if (IS_ERR(sdev))
		return sdev;
	mutex_lock(&sdev->lock);
	return sdev->dead ? smmua_device_drop(sdev, -ENOENT) : sdev;
}

/*
 * smmua_device_get_live(), if @ctx owns the device or, when @admin_too, the
 * caller has CAP_SYS_ADMIN; EPERM if it is another's. The caller unlocks
 * and puts.
 */
struct smmua_device *smmua_device_get_locked(struct smmua_ctx *ctx,
					     const struct smmu_assign_bdf *bdf,
					     bool admin_too)
{
	struct smmua_device *sdev = smmua_device_get_live(bdf);

	if (!IS_ERR(sdev) && sdev->owner != ctx && !(admin_too && capable(CAP_SYS_ADMIN)))
		return smmua_device_drop(sdev, -EPERM);
	return sdev;
}

unsigned int smmua_count_devices(void)
{
	struct smmua_device *sdev;
	unsigned int n = 0;

	mutex_lock(&smmua_devices_lock);
	list_for_each_entry(sdev, &smmua_devices, node)
		n++;
	mutex_unlock(&smmua_devices_lock);
	return n;
}

/* Hand @sdev to @ctx (NULL: nobody). The binding's lock is held. */
static void smmua_set_owner(struct smmua_device *sdev, struct smmua_ctx *ctx)
{
	unsigned long flags;

	lockdep_assert_held(&sdev->lock);
	spin_lock_irqsave(&sdev->stats_lock, flags);
	/* Also read locklessly, to find a closing file's devices. */
	WRITE_ONCE(sdev->owner, ctx);
	spin_unlock_irqrestore(&sdev->stats_lock, flags);
}

static int smmua_count_dev(struct device *dev, void *data)
{
	(*(unsigned int *)data)++;
	return 0;
}

/*
 * Only our stub and vfio-pci leave a device's DMA to its owner; any other
 * driver uses the DMA API. The device lock is held.
 */
static int smmua_check_driver(struct pci_dev *pdev)
{
	struct device_driver *drv = pdev->dev.driver;

	if (drv == &smmua_stub_driver.driver || (drv && !strcmp(drv->name, "vfio-pci")))
		return 0;
	pr_info("%s: %s%s: hand it over to smmu-assign or vfio-pci first\n",
		pci_name(pdev), drv ? "bound to " : "has no driver",
		drv ? drv->name : "");
	return -EBUSY;
}

/*
 * The parts of a BIND that need the device and its group but change
 * nothing: group membership, MSI isolation, reserved regions. Finds
 * the software MSI window, if any, for the domain's MSI cookie.
 */
static int smmua_check_device(struct pci_dev *pdev, struct iommu_group *group,
			      u64 start, u64 last, phys_addr_t *sw_msi,
			      bool *has_sw_msi)
{
	struct iommu_resv_region *region, *next;
	unsigned int ndevs = 0;
	LIST_HEAD(regions);
	int ret = 0;

	iommu_group_for_each_dev(group, &ndevs, smmua_count_dev);
	if (ndevs != 1) {
		pr_info("%s: IOMMU group %d has %u devices; only single-device groups are supported\n",
			pci_name(pdev), iommu_group_id(group), ndevs);
		return -EINVAL;
	}

	if (!smmua_group_has_isolated_msi(group) && !allow_unsafe_interrupts) {
		pr_info("%s: MSIs are not isolated on this platform (see allow_unsafe_interrupts)\n",
			pci_name(pdev));
		return -EPERM;
	}

	ret = iommu_get_group_resv_regions(group, &regions);
	if (ret)
		return ret;
	*has_sw_msi = false;
	list_for_each_entry(region, &regions, list) {
		u64 rlast = region->start + region->length - 1;

		if (region->type == IOMMU_RESV_SW_MSI) {
			*sw_msi = region->start;
			*has_sw_msi = true;
		}
		if (!ret && region->start <= last && rlast >= start) {
			pr_info("%s: window overlaps reserved region [%pa-%#llx]\n",
				pci_name(pdev), &region->start, rlast);
			ret = -EADDRINUSE;
		}
	}
	list_for_each_entry_safe(region, next, &regions, list)
		kfree(region);
	return ret;
}

/* What BIND reports about the device: stream IDs and SMMU instance. */
static void smmua_describe(struct smmua_device *sdev)
{
	struct device *dev = &sdev->pdev->dev;
	struct iommu_fwspec *fwspec = dev_iommu_fwspec_get(dev);
	u32 i;

	sdev->num_sids = fwspec ? min_t(u32, fwspec->num_ids, SMMU_ASSIGN_MAX_SIDS) : 0;
	for (i = 0; i < sdev->num_sids; i++)
		sdev->sids[i] = fwspec->ids[i];
	if (dev->iommu && dev->iommu->iommu_dev && dev->iommu->iommu_dev->dev)
		strscpy(sdev->iommu_name, dev_name(dev->iommu->iommu_dev->dev),
			sizeof(sdev->iommu_name));
}

/* Undo smmua_attach(): the group goes back to its default domain. */
static void smmua_detach(struct smmua_device *sdev)
{
	int ret;

	/* Teardown runs before the device leaves: nothing should refuse. */
	ret = smmua_unregister_fault_handler(&sdev->pdev->dev);
	if (ret)
		pci_warn(sdev->pdev, "fault handler not unregistered: %d\n", ret);
	iommu_detach_group(sdev->domain, sdev->group);
	iommu_domain_free(sdev->domain);
	sdev->domain = NULL;
	iommu_group_release_dma_owner(sdev->group);
}

/* Claim the group, attach a fresh paging domain, check the window. */
static int smmua_attach(struct smmua_device *sdev, bool has_sw_msi,
			phys_addr_t sw_msi)
{
	struct device *dev = &sdev->pdev->dev;
	struct iommu_domain *domain;
	int ret;

	/* 6.1 says EPERM for a group another owner holds: that is EBUSY here. */
	ret = iommu_group_claim_dma_owner(sdev->group, sdev);
	if (ret) {
		pr_info("%s: IOMMU group %d is in use by another owner (VFIO?)\n",
			pci_name(sdev->pdev), iommu_group_id(sdev->group));
		return -EBUSY;
	}

	domain = smmua_paging_domain_alloc(dev);
	if (IS_ERR(domain)) {
		ret = PTR_ERR(domain);
		goto err_release;
	}
	ret = iommu_attach_group(domain, sdev->group);
	if (ret)
		goto err_free;
	sdev->domain = domain;

	/* Aperture and page sizes are final only once attached. */
	sdev->min_pgsize = 1UL << __ffs(domain->pgsize_bitmap);
	if (!IS_ALIGNED(sdev->window_start | (sdev->window_last + 1), sdev->min_pgsize)) {
		ret = -EINVAL;
		goto err_detach;
	}
	if (domain->geometry.force_aperture &&
	    (sdev->window_start < domain->geometry.aperture_start ||
	     sdev->window_last > domain->geometry.aperture_end)) {
		ret = -ERANGE;
		goto err_detach;
	}
	/* Without the cookie, the device's MSIs would fault in our domain. */
	if (has_sw_msi) {
		ret = iommu_get_msi_cookie(domain, sw_msi);
		if (ret)
			goto err_detach;
	}
	ret = smmua_register_fault_handler(dev, sdev);
	if (ret)
		goto err_detach;
	if (device_iommu_capable(dev, IOMMU_CAP_CACHE_COHERENCY))
		sdev->iommu_prot = IOMMU_CACHE;
	return 0;

err_detach:
	iommu_detach_group(domain, sdev->group);
err_free:
	iommu_domain_free(domain);
err_release:
	iommu_group_release_dma_owner(sdev->group);
	return ret;
}

/*
 * Tear a binding down completely. The caller holds the device lock, the
 * binding's lock and a reference; the list's reference is dropped here.
 * The binding is made unreachable before anything of it is released, and
 * the device is quiesced, unmapped and flushed before its pages are
 * unpinned and its group released. @gone: the device is leaving its
 * driver, and the owner is told.
 */
static void smmua_teardown_locked(struct smmua_device *sdev, bool gone)
{
	device_lock_assert(&sdev->pdev->dev);
	lockdep_assert_held(&sdev->lock);
	if (sdev->dead)
		return;
	sdev->dead = true;
	mutex_lock(&smmua_devices_lock);
	list_del(&sdev->node);
	mutex_unlock(&smmua_devices_lock);
	/* Waits for readers of the file. */
	smmua_debugfs_remove(sdev);

	/*
	 * Quiesce before the group is released, whatever driver holds the
	 * device: its default domain may be an identity one
	 * (iommu.passthrough=1), where a device still mastering reaches any
	 * memory.
	 */
	pci_clear_master(sdev->pdev);
	smmua_unmap_all(sdev);
	if (gone)
		smmua_events_device_gone(sdev);
	smmua_set_owner(sdev, NULL);
	smmua_detach(sdev);
	refcount_dec(&sdev->users);
}

/* Tear down @sdev, of which the caller holds a reference, unless done. */
static void smmua_teardown(struct smmua_device *sdev, bool gone)
{
	device_lock(&sdev->pdev->dev);
	mutex_lock(&sdev->lock);
	smmua_teardown_locked(sdev, gone);
	mutex_unlock(&sdev->lock);
	device_unlock(&sdev->pdev->dev);
}

static void smmua_fill_bind(struct smmu_assign_bind *cmd, struct smmua_device *sdev)
{
	struct iommu_domain *domain = sdev->domain;

	cmd->out_num_sids = sdev->num_sids;
	memcpy(cmd->out_sids, sdev->sids, sizeof(cmd->out_sids));
	cmd->out_group_id = iommu_group_id(sdev->group);
	memcpy(cmd->out_iommu_name, sdev->iommu_name, sizeof(cmd->out_iommu_name));
	cmd->out_pgsize_bitmap = domain->pgsize_bitmap;
	cmd->out_aperture_start = domain->geometry.aperture_start;
	cmd->out_aperture_last = domain->geometry.aperture_end;
}

int smmua_bind(struct smmu_assign_ucmd *ucmd)
{
	struct smmu_assign_bind *cmd = ucmd->cmd;
	struct smmua_ctx *ctx = ucmd->ctx;
	bool persistent = cmd->flags & SMMU_ASSIGN_BIND_PERSISTENT;
	struct smmua_device *sdev;
	struct pci_dev *pdev;
	phys_addr_t sw_msi = 0;
	bool has_sw_msi;
	u64 last;
	int ret;

	if (cmd->flags & ~SMMU_ASSIGN_BIND_PERSISTENT)
		return -EOPNOTSUPP;
	ret = smmua_check_bdf(&cmd->bdf);
	if (ret)
		return ret;
	ret = smmua_check_range(cmd->window_iova, cmd->window_length, PAGE_SIZE, &last);
	if (ret)
		return ret;
	/* Handing out a device is the administrator's; DELEGATE shares it. */
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;

	pdev = smmua_pci_get(&cmd->bdf);
	if (IS_ERR(pdev))
		return PTR_ERR(pdev);
	sdev = kzalloc(sizeof(*sdev), GFP_KERNEL_ACCOUNT);
	if (!sdev) {
		pci_dev_put(pdev);
		return -ENOMEM;
	}
	/* Ours until published; then the list's, plus ours for the answer. */
	refcount_set(&sdev->users, 1);
	mutex_init(&sdev->lock);
	sdev->pdev = pdev;
	sdev->window_start = cmd->window_iova;
	sdev->window_last = last;
	sdev->persistent = persistent;
	sdev->delegate_uid = INVALID_UID;
	sdev->delegate_gid = INVALID_GID;
	sdev->mappings = RB_ROOT_CACHED;
	spin_lock_init(&sdev->stats_lock);
	ratelimit_state_init(&sdev->fault_rs, DEFAULT_RATELIMIT_INTERVAL,
			     DEFAULT_RATELIMIT_BURST);

	/*
	 * The device lock keeps the driver from changing under us and
	 * serializes every BIND and teardown of this device.
	 */
	device_lock(&pdev->dev);
	mutex_lock(&smmua_devices_lock);
	ret = smmua_find_locked(&cmd->bdf) ? -EBUSY : 0;
	mutex_unlock(&smmua_devices_lock);
	if (ret)
		goto err_unlock;
	ret = smmua_check_driver(pdev);
	if (ret)
		goto err_unlock;
	sdev->group = iommu_group_get(&pdev->dev);
	if (!sdev->group) {
		pr_info("%s: no IOMMU group (is an SMMU translating it?)\n", pci_name(pdev));
		ret = -ENODEV;
		goto err_unlock;
	}
	ret = smmua_check_device(pdev, sdev->group, sdev->window_start, last,
				 &sw_msi, &has_sw_msi);
	if (ret)
		goto err_unlock;
	ret = smmua_attach(sdev, has_sw_msi, sw_msi);
	if (ret)
		goto err_unlock;
	smmua_describe(sdev);
	smmua_fill_bind(cmd, sdev);
	sdev->pgsize_bitmap = sdev->domain->pgsize_bitmap;
	sdev->bound_at = ktime_get();
	if (!persistent)
		sdev->owner = ctx;

	/* Publish it whole: the owner is set before anyone can look it up. */
	refcount_inc(&sdev->users);
	mutex_lock(&smmua_devices_lock);
	list_add_tail(&sdev->node, &smmua_devices);
	mutex_unlock(&smmua_devices_lock);
	smmua_debugfs_add(sdev);
	device_unlock(&pdev->dev);
	pci_info(pdev, "bound: window [%#llx-%#llx], SID %#x on %s, group %d%s\n",
		 sdev->window_start, last, sdev->sids[0], sdev->iommu_name,
		 iommu_group_id(sdev->group), persistent ? ", persistent" : "");

	/* The answer is copied with no lock held; if it cannot be, undo. */
	ret = smmu_assign_ucmd_respond(ucmd, sizeof(*cmd));
	if (ret)
		smmua_teardown(sdev, false);
	smmua_device_put(sdev);
	return ret;

err_unlock:
	device_unlock(&pdev->dev);
	smmua_device_put(sdev);
	return ret;
}

int smmua_unbind(struct smmu_assign_ucmd *ucmd)
{
	struct smmu_assign_unbind *cmd = ucmd->cmd;
	struct smmua_device *sdev;
	int ret = 0;

	if (cmd->flags)
		return -EOPNOTSUPP;
	sdev = smmua_device_get(&cmd->bdf);
	if (IS_ERR(sdev))
		return PTR_ERR(sdev);
	device_lock(&sdev->pdev->dev);
	mutex_lock(&sdev->lock);
	if (sdev->dead)
		ret = -ENOENT;
	else if (sdev->persistent && !capable(CAP_SYS_ADMIN))
		ret = -EPERM;
	else if (sdev->persistent && sdev->owner && sdev->owner != ucmd->ctx)
		ret = -EBUSY;
	else if (!sdev->persistent && sdev->owner != ucmd->ctx)
		ret = -EPERM;
	if (!ret) {
		pci_info(sdev->pdev, "unbound\n");
		smmua_teardown_locked(sdev, false);
	}
	mutex_unlock(&sdev->lock);
	device_unlock(&sdev->pdev->dev);
	smmua_device_put(sdev);
	return ret;
}

/* smmua_device_get_live(), if the binding is persistent; EINVAL if not. */
static struct smmua_device *smmua_get_persistent(const struct smmu_assign_bdf *bdf)
{
	struct smmua_device *sdev = smmua_device_get_live(bdf);

	if (!IS_ERR(sdev) && !sdev->persistent)
		return smmua_device_drop(sdev, -EINVAL);
	return sdev;
}

/* The administrator, or the user or a member of the group delegated to. */
static bool smmua_may_claim(struct smmua_device *sdev)
{
	lockdep_assert_held(&sdev->lock);
	if (capable(CAP_SYS_ADMIN))
		return true;
	if (uid_valid(sdev->delegate_uid) && uid_eq(current_euid(), sdev->delegate_uid))
		return true;
	return gid_valid(sdev->delegate_gid) && in_egroup_p(sdev->delegate_gid);
}

int smmua_delegate(struct smmu_assign_ucmd *ucmd)
{
	struct smmu_assign_delegate *cmd = ucmd->cmd;
	struct user_namespace *ns = current_user_ns();
	kuid_t uid = INVALID_UID;
	kgid_t gid = INVALID_GID;
	struct smmua_device *sdev;

	if (cmd->flags)
		return -EOPNOTSUPP;
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (cmd->uid != SMMU_ASSIGN_NO_ID) {
		uid = make_kuid(ns, cmd->uid);
		if (!uid_valid(uid))
			return -EINVAL;
	}
	if (cmd->gid != SMMU_ASSIGN_NO_ID) {
		gid = make_kgid(ns, cmd->gid);
		if (!gid_valid(gid))
			return -EINVAL;
	}
	sdev = smmua_get_persistent(&cmd->bdf);
	if (IS_ERR(sdev))
		return PTR_ERR(sdev);
	/* QUERY reads them without the lock. */
	WRITE_ONCE(sdev->delegate_uid, uid);
	WRITE_ONCE(sdev->delegate_gid, gid);
	mutex_unlock(&sdev->lock);
	smmua_device_put(sdev);
	return 0;
}

int smmua_claim(struct smmu_assign_ucmd *ucmd)
{
	struct smmu_assign_claim *cmd = ucmd->cmd;
	struct smmua_ctx *ctx = ucmd->ctx;
	struct smmua_device *sdev;
	int ret = 0;

	if (cmd->flags & ~SMMU_ASSIGN_CLAIM_RELEASE)
		return -EOPNOTSUPP;
	sdev = smmua_get_persistent(&cmd->bdf);
	if (IS_ERR(sdev))
		return PTR_ERR(sdev);
	if (cmd->flags & SMMU_ASSIGN_CLAIM_RELEASE) {
		if (sdev->owner != ctx) {
			ret = -EPERM;
		} else {
			smmua_unmap_all(sdev);
			smmua_set_owner(sdev, NULL);
		}
	} else if (sdev->owner == ctx) {
		ret = -EALREADY;
	} else if (sdev->owner) {
		ret = -EBUSY;
	} else if (!smmua_may_claim(sdev)) {
		ret = -EPERM;
	} else {
		smmua_set_owner(sdev, ctx);
	}
	mutex_unlock(&sdev->lock);
	smmua_device_put(sdev);
	return ret;
}

typedef bool (*smmua_match_fn)(struct smmua_device *sdev, const void *data);

/* The first bound device @match()es, with a reference, or NULL. */
static struct smmua_device *smmua_device_get_first(smmua_match_fn match,
						   const void *data)
{
	struct smmua_device *sdev, *found = NULL;

	mutex_lock(&smmua_devices_lock);
	list_for_each_entry(sdev, &smmua_devices, node) {
		if (match(sdev, data)) {
			refcount_inc(&sdev->users);
			found = sdev;
			break;
		}
	}
	mutex_unlock(&smmua_devices_lock);
	return found;
}

static bool smmua_owned_by(struct smmua_device *sdev, const void *ctx)
{
	/* Only this file sets the owner to itself, and it is closing. */
	return READ_ONCE(sdev->owner) == ctx;
}

/* The owner's file is closing: unbind its devices, unclaim persistent ones. */
void smmua_ctx_release_devices(struct smmua_ctx *ctx)
{
	struct smmua_device *sdev;

	while ((sdev = smmua_device_get_first(smmua_owned_by, ctx))) {
		device_lock(&sdev->pdev->dev);
		mutex_lock(&sdev->lock);
		if (!sdev->dead && sdev->owner == ctx) {
			if (sdev->persistent) {
				smmua_unmap_all(sdev);
				smmua_set_owner(sdev, NULL);
			} else {
				smmua_teardown_locked(sdev, false);
			}
		}
		mutex_unlock(&sdev->lock);
		device_unlock(&sdev->pdev->dev);
		smmua_device_put(sdev);
		cond_resched();
	}
}

static bool smmua_any(struct smmua_device *sdev, const void *unused)
{
	return true;
}

/* Module unload: only persistent bindings can be left, with no owner. */
void smmua_unbind_all(void)
{
	struct smmua_device *sdev;

	while ((sdev = smmua_device_get_first(smmua_any, NULL))) {
		smmua_teardown(sdev, false);
		smmua_device_put(sdev);
	}
}

static bool smmua_is_pdev(struct smmua_device *sdev, const void *pdev)
{
	return sdev->pdev == pdev;
}

/*
 * A bound device is leaving its driver: sysfs unbind, hot-unplug, sysfs
 * remove or the driver's unload. Whatever the driver, the binding ends
 * before the driver's remove runs (the driver core holds the device lock),
 * and its owner is told.
 */
static int smmua_pci_notify(struct notifier_block *nb, unsigned long action,
			    void *data)
{
	struct pci_dev *pdev = to_pci_dev(data);
	struct smmua_device *sdev;

	if (action != BUS_NOTIFY_UNBIND_DRIVER)
		return NOTIFY_DONE;
	sdev = smmua_device_get_first(smmua_is_pdev, pdev);
	if (!sdev)
		return NOTIFY_DONE;
	mutex_lock(&sdev->lock);
	if (!sdev->dead) {
		pci_warn(pdev, "leaving its driver while bound: binding removed\n");
		smmua_teardown_locked(sdev, true);
	}
	mutex_unlock(&sdev->lock);
	smmua_device_put(sdev);
	return NOTIFY_OK;
}

static struct notifier_block smmua_pci_nb = {
	.notifier_call = smmua_pci_notify,
};

int smmua_notifier_register(void)
{
	return bus_register_notifier(&pci_bus_type, &smmua_pci_nb);
}

void smmua_notifier_unregister(void)
{
	bus_unregister_notifier(&pci_bus_type, &smmua_pci_nb);
}

static int smmua_stub_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	/* Only driver_override brings a device here; it stays idle until bound. */
	pci_info(pdev, "held by the smmu-assign stub\n");
	return 0;
}

/* No ID table: devices arrive only through driver_override. */
struct pci_driver smmua_stub_driver = {
	.name = "smmu-assign",
	.probe = smmua_stub_probe,
	/* No remove: the bus notifier ends a binding before any driver's. */
	/* The DMA API stays away: BIND owns the device's DMA. */
	.driver_managed_dma = true,
};
