// SPDX-License-Identifier: GPL-2.0
/*
 * smmu-assign: taking an IOMMU group's DMA over and giving it back.
 *
 * BIND claims the DMA ownership of a device's whole IOMMU group, which
 * blocks it, and attaches the group to an address space (space.c), which
 * makes arm-smmu-v3 write the stream table entries of every device of the
 * group: from then on they reach only what the space maps. Every PCI
 * function of the group but its bridges is bound and named by its BDF.
 * UNBIND, the owner's close, and a device's leaving undo it in reverse
 * order.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/iommu.h>
#include <linux/module.h>
#include <linux/msi.h>
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

int smmua_check_bdf(const struct smmu_assign_bdf *bdf)
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

typedef bool (*smmua_match_fn)(struct smmua_device *sdev, const void *data);

/* The first bound device @match()es, its binding referenced, or NULL. */
static struct smmua_device *smmua_device_get_first(smmua_match_fn match,
						   const void *data)
{
	struct smmua_device *sdev, *found = NULL;

	mutex_lock(&smmua_devices_lock);
	list_for_each_entry(sdev, &smmua_devices, node) {
		if (match(sdev, data)) {
			refcount_inc(&sdev->binding->users);
			found = sdev;
			break;
		}
	}
	mutex_unlock(&smmua_devices_lock);
	return found;
}

static bool smmua_is_bdf(struct smmua_device *sdev, const void *bdf)
{
	return smmua_device_is(sdev, bdf);
}

static bool smmua_in_group(struct smmua_device *sdev, const void *group)
{
	return sdev->binding->group == group;
}

static void smmua_binding_free(struct smmua_binding *binding)
{
	struct smmua_device *sdev, *next;

	list_for_each_entry_safe(sdev, next, &binding->devices, binding_node) {
		pci_dev_put(sdev->pdev);
		kfree(sdev);
	}
	if (binding->group)
		iommu_group_put(binding->group);
	kfree(binding->resv);
	kfree(binding->doorbells);
	mutex_destroy(&binding->lock);
	kfree(binding);
}

void smmua_binding_put(struct smmua_binding *binding)
{
	if (refcount_dec_and_test(&binding->users))
		smmua_binding_free(binding);
}

/*
 * The one lookup of a bound device by BDF: its binding referenced (drop it
 * with smmua_binding_put()), and no lock held. EINVAL/EOPNOTSUPP for a
 * malformed BDF, ENOENT if it is not bound.
 */
struct smmua_device *smmua_device_get(const struct smmu_assign_bdf *bdf)
{
	struct smmua_device *sdev;
	int ret = smmua_check_bdf(bdf);

	if (ret)
		return ERR_PTR(ret);
	sdev = smmua_device_get_first(smmua_is_bdf, bdf);
	return sdev ?: ERR_PTR(-ENOENT);
}

/* Drop the lock and reference the lookups below took. */
void smmua_device_unlock_put(struct smmua_device *sdev)
{
	struct smmua_binding *binding = sdev->binding;

	mutex_unlock(&binding->lock);
	smmua_binding_put(binding);
}

static struct smmua_device *smmua_device_drop(struct smmua_device *sdev, int err)
{
	smmua_device_unlock_put(sdev);
	return ERR_PTR(err);
}

/*
 * The bound device named by @bdf, with its binding referenced and locked,
 * unless it is being torn down (ENOENT, as when it is not bound).
 */
struct smmua_device *smmua_device_get_live(const struct smmu_assign_bdf *bdf)
{
	struct smmua_device *sdev = smmua_device_get(bdf);

	if (IS_ERR(sdev))
		return sdev;
	mutex_lock(&sdev->binding->lock);
	return sdev->binding->dead ? smmua_device_drop(sdev, -ENOENT) : sdev;
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

/* What a device of a bound group may be on; the reason it may not, or NULL. */
static const char *smmua_driver_refusal(struct device *dev)
{
	struct device_driver *drv = READ_ONCE(dev->driver);

	if (!dev_is_pci(dev))
		return "not a PCI device";
	if (!drv || drv == &smmua_stub_driver.driver || !strcmp(drv->name, "vfio-pci"))
		return NULL;
	/* Bridges only forward DMA; VFIO lets them stay on pcieport too. */
	if (pci_is_bridge(to_pci_dev(dev)) && !strcmp(drv->name, "pcieport"))
		return NULL;
	return drv->name;
}

/*
 * The device BIND names must have been handed over: to the stub, or to
 * vfio-pci. Its group's other devices may also be on no driver. The device
 * lock is held.
 */
static int smmua_check_named_driver(struct pci_dev *pdev)
{
	struct device_driver *drv = pdev->dev.driver;

	if (drv == &smmua_stub_driver.driver || (drv && !strcmp(drv->name, "vfio-pci")))
		return 0;
	pr_info("%s: %s%s: hand it over to smmu-assign or vfio-pci first\n",
		pci_name(pdev), drv ? "bound to " : "has no driver",
		drv ? drv->name : "");
	return -EBUSY;
}

struct smmua_collect {
	struct smmua_binding *binding;
	struct pci_dev *named;		/* the device BIND names */
	int ret;
};

/*
 * For each device of the group being bound: refuse it, naming it, if its
 * driver uses the DMA API; else make a bound device of it, bridges aside.
 */
static int smmua_collect_device(struct device *dev, void *data)
{
	struct smmua_collect *c = data;
	const char *refusal = smmua_driver_refusal(dev);
	struct smmua_device *sdev;
	struct pci_dev *pdev;

	if (refusal) {
		pr_info("%s: IOMMU group %d: %s is bound to %s; hand it over to smmu-assign or vfio-pci first\n",
			pci_name(c->named), iommu_group_id(c->binding->group),
			dev_name(dev), refusal);
		c->ret = -EBUSY;
		return c->ret;
	}
	pdev = to_pci_dev(dev);
	if (pci_is_bridge(pdev))
		return 0;
	sdev = kzalloc(sizeof(*sdev), GFP_KERNEL_ACCOUNT);
	if (!sdev) {
		c->ret = -ENOMEM;
		return c->ret;
	}
	sdev->binding = c->binding;
	sdev->pdev = pci_dev_get(pdev);
	ratelimit_state_init(&sdev->fault_rs, DEFAULT_RATELIMIT_INTERVAL,
			     DEFAULT_RATELIMIT_BURST);
	/* The named device first: it chooses the domain's SMMU. */
	if (pdev == c->named)
		list_add(&sdev->binding_node, &c->binding->devices);
	else
		list_add_tail(&sdev->binding_node, &c->binding->devices);
	c->binding->nr_devices++;
	return 0;
}

/*
 * The reserved regions of @group, as an array the caller kfree()s: what
 * RESV_REGIONS reports, and what a binding keeps so that allowed ranges
 * stay clear of them.
 */
int smmua_group_resv(struct iommu_group *group, struct smmua_resv **resv,
		     unsigned int *nr)
{
	struct iommu_resv_region *region, *next;
	LIST_HEAD(regions);
	unsigned int n = 0;
	int ret;

	*resv = NULL;
	*nr = 0;
	ret = iommu_get_group_resv_regions(group, &regions);
	if (ret)
		goto out;
	list_for_each_entry(region, &regions, list)
		n++;
	*resv = kcalloc(n, sizeof(**resv), GFP_KERNEL_ACCOUNT);
	if (n && !*resv) {
		ret = -ENOMEM;
		goto out;
	}
	list_for_each_entry(region, &regions, list)
		(*resv)[(*nr)++] = (struct smmua_resv){
			.start = region->start,
			.last = region->start + region->length - 1,
			.type = region->type,
		};
out:
	list_for_each_entry_safe(region, next, &regions, list)
		kfree(region);
	return ret;
}

/* The group's devices, referenced, to work on outside the group's mutex. */
struct smmua_devlist {
	struct device **devs;
	unsigned int nr;
	unsigned int room;
};

static int smmua_list_dev(struct device *dev, void *data)
{
	struct smmua_devlist *list = data;

	if (list->nr < list->room)
		list->devs[list->nr] = get_device(dev);
	list->nr++;
	return 0;
}

/* Record the doorbell page behind @iova, once. */
static int smmua_add_doorbell(struct smmua_binding *binding, u64 iova, phys_addr_t phys)
{
	struct smmua_doorbell *db;
	unsigned int i;

	for (i = 0; i < binding->nr_doorbells; i++)
		if (binding->doorbells[i].iova == iova)
			return 0;
	db = krealloc_array(binding->doorbells, binding->nr_doorbells + 1, sizeof(*db),
			    GFP_KERNEL_ACCOUNT);
	if (!db)
		return -ENOMEM;
	db[binding->nr_doorbells++] = (struct smmua_doorbell){ iova, phys };
	binding->doorbells = db;
	return 0;
}

/*
 * The doorbells @dev's MSIs already write, as its current (default) domain
 * maps them. The kernel maps a device's MSI doorbell only in the domain it
 * has when its MSIs are set up, and never again: a bridge of the group
 * (pciehp, AER) would lose its interrupts in the space's domain unless that
 * maps them at the same IOVAs.
 */
static int smmua_dev_doorbells(struct smmua_binding *binding, struct device *dev)
{
	struct iommu_domain *domain = iommu_get_domain_for_dev(dev);
	struct msi_desc *desc;
	int ret = 0;

	if (!domain || !dev->msi.data)
		return 0;
	msi_lock_descs(dev);
	msi_for_each_desc(desc, dev, MSI_DESC_ASSOCIATED) {
		u64 iova = ((u64)desc->msg.address_hi << 32 | desc->msg.address_lo) & PAGE_MASK;
		phys_addr_t phys = iommu_iova_to_phys(domain, iova);

		if (phys)
			ret = smmua_add_doorbell(binding, iova, phys);
		if (ret)
			break;
	}
	msi_unlock_descs(dev);
	return ret;
}

/* Every doorbell of the group's devices, reserved in its IOVA space. */
static int smmua_read_doorbells(struct smmua_binding *binding)
{
	struct smmua_devlist list = {};
	struct smmua_resv *resv;
	unsigned int i;
	int ret = 0;

	iommu_group_for_each_dev(binding->group, &list, smmua_list_dev);
	/* Room for devices that join meanwhile; more are left out. */
	list.room = list.nr + 4;
	list.nr = 0;
	list.devs = kcalloc(list.room, sizeof(*list.devs), GFP_KERNEL);
	if (!list.devs)
		return -ENOMEM;
	iommu_group_for_each_dev(binding->group, &list, smmua_list_dev);
	for (i = 0; i < min(list.nr, list.room); i++) {
		if (!ret)
			ret = smmua_dev_doorbells(binding, list.devs[i]);
		put_device(list.devs[i]);
	}
	kfree(list.devs);
	if (ret || !binding->nr_doorbells)
		return ret;

	resv = krealloc_array(binding->resv, binding->nr_resv + binding->nr_doorbells,
			      sizeof(*resv), GFP_KERNEL_ACCOUNT);
	if (!resv)
		return -ENOMEM;
	binding->resv = resv;
	for (i = 0; i < binding->nr_doorbells; i++)
		resv[binding->nr_resv++] = (struct smmua_resv){
			.start = binding->doorbells[i].iova,
			.last = binding->doorbells[i].iova + PAGE_SIZE - 1,
			.type = IOMMU_RESV_MSI,
		};
	return 0;
}

/* What BIND reports about a device: stream IDs and SMMU instance. */
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

/* Whether a bridge above @pdev is in @group. */
static bool smmua_below_group(struct pci_dev *pdev, struct iommu_group *group)
{
	struct pci_bus *bus;

	for (bus = pdev->bus; bus && bus->self; bus = bus->parent) {
		struct iommu_group *above = iommu_group_get(&bus->self->dev);

		iommu_group_put(above);
		if (above == group)
			return true;
	}
	return false;
}

/*
 * Every device below a bridge of the group must be in the group: one that
 * has no IOMMU group there either has not been probed yet, or had its
 * stream ID refused by arm-smmu-v3 because another device already has it
 * (a second device behind a PCIe-to-PCI bridge). Such a device's DMA
 * reaches the SMMU with the group's requester ID, but as it has no group
 * nothing keeps a DMA-API driver's mappings out of the space. EBUSY,
 * naming it.
 */
static int smmua_check_below(struct smmua_binding *binding, struct pci_dev *named)
{
	struct pci_dev *pdev = NULL;

	for_each_pci_dev(pdev) {
		struct iommu_group *group = iommu_group_get(&pdev->dev);

		iommu_group_put(group);
		if (group || !smmua_below_group(pdev, binding->group))
			continue;
		pr_info("%s: IOMMU group %d: %s is behind its bridge but in no IOMMU group, so its DMA would reach the space: hand it to smmu-assign (it then joins the group) or remove it first\n",
			pci_name(named), iommu_group_id(binding->group), pci_name(pdev));
		pci_dev_put(pdev);
		return -EBUSY;
	}
	return 0;
}

/*
 * The group's devices, its reserved regions, MSI isolation and DMA
 * ownership: everything a binding needs before it joins a space. On
 * failure, what was taken is given back (the binding is freed by its
 * reference).
 */
static int smmua_take_group(struct smmua_binding *binding, struct pci_dev *named)
{
	struct smmua_collect c = { .binding = binding, .named = named };
	struct smmua_device *sdev;
	int ret;

	iommu_group_for_each_dev(binding->group, &c, smmua_collect_device);
	if (c.ret)
		return c.ret;
	ret = smmua_check_below(binding, named);
	if (ret)
		return ret;
	if (!smmua_group_has_isolated_msi(binding->group) && !allow_unsafe_interrupts) {
		pr_info("%s: MSIs are not isolated on this platform (see allow_unsafe_interrupts)\n",
			pci_name(named));
		return -EPERM;
	}
	ret = smmua_group_resv(binding->group, &binding->resv, &binding->nr_resv);
	if (ret)
		return ret;
	/* Read while the group still has its default domain. */
	ret = smmua_read_doorbells(binding);
	if (ret)
		return ret;
	/* 6.1 says EPERM for a group another owner holds: that is EBUSY here. */
	ret = iommu_group_claim_dma_owner(binding->group, binding);
	if (ret) {
		pr_info("%s: IOMMU group %d is in use by another owner (VFIO?)\n",
			pci_name(named), iommu_group_id(binding->group));
		return -EBUSY;
	}
	list_for_each_entry(sdev, &binding->devices, binding_node) {
		smmua_describe(sdev);
		ret = smmua_register_fault_handler(&sdev->pdev->dev, sdev);
		if (ret)
			goto err_release;
		sdev->fault_handler = true;
	}
	return 0;

err_release:
	list_for_each_entry(sdev, &binding->devices, binding_node)
		if (sdev->fault_handler)
			smmua_unregister_fault_handler(&sdev->pdev->dev);
	iommu_group_release_dma_owner(binding->group);
	return ret;
}

/* Undo smmua_take_group() once the group is in no space. */
static void smmua_give_group(struct smmua_binding *binding)
{
	struct smmua_device *sdev;
	int ret;

	list_for_each_entry(sdev, &binding->devices, binding_node) {
		if (!sdev->fault_handler)
			continue;
		/* Teardown runs before the device leaves: nothing should refuse. */
		ret = smmua_unregister_fault_handler(&sdev->pdev->dev);
		if (ret)
			pci_warn(sdev->pdev, "fault handler not unregistered: %d\n", ret);
		sdev->fault_handler = false;
	}
	iommu_group_release_dma_owner(binding->group);
}

/* Make the binding's devices reachable by BDF; the list takes a reference. */
static void smmua_publish(struct smmua_binding *binding)
{
	struct smmua_device *sdev;

	refcount_inc(&binding->users);
	mutex_lock(&smmua_devices_lock);
	list_for_each_entry(sdev, &binding->devices, binding_node) {
		list_add_tail(&sdev->node, &smmua_devices);
		sdev->listed = true;
	}
	mutex_unlock(&smmua_devices_lock);
	list_for_each_entry(sdev, &binding->devices, binding_node)
		smmua_debugfs_add(sdev);
	smmua_vfio_add_group(binding);
}

/*
 * Tear a binding down completely. The caller holds the binding's lock and
 * a reference; the list's reference is dropped here. The binding is made
 * unreachable before anything of it is released, and its devices are
 * quiesced and their group detached (blocked) before its DMA ownership is
 * released. @gone: a device is leaving its driver, and the owner is told.
 */
static void smmua_teardown_locked(struct smmua_binding *binding, bool gone)
{
	struct smmua_device *sdev;

	lockdep_assert_held(&binding->lock);
	if (binding->dead)
		return;
	binding->dead = true;
	mutex_lock(&smmua_devices_lock);
	list_for_each_entry(sdev, &binding->devices, binding_node) {
		list_del(&sdev->node);
		sdev->listed = false;
	}
	mutex_unlock(&smmua_devices_lock);
	/*
	 * Waits for readers of the files. Then quiesce, whatever driver holds
	 * each device: the group's default domain may be an identity one
	 * (iommu.passthrough=1), where a device still mastering reaches any
	 * memory.
	 */
	list_for_each_entry(sdev, &binding->devices, binding_node) {
		smmua_debugfs_remove(sdev);
		pci_clear_master(sdev->pdev);
	}
	if (gone)
		smmua_events_device_gone(binding);
	smmua_vfio_del_group(binding);
	smmua_space_detach(binding);
	smmua_give_group(binding);
	refcount_dec(&binding->users);
}

/* Tear down @binding, of which the caller holds a reference, unless done. */
static void smmua_teardown(struct smmua_binding *binding, bool gone)
{
	mutex_lock(&binding->lock);
	smmua_teardown_locked(binding, gone);
	mutex_unlock(&binding->lock);
}

static void smmua_fill_bind(struct smmu_assign_bind *cmd, struct smmua_binding *binding)
{
	struct smmua_device *sdev = list_first_entry(&binding->devices, struct smmua_device,
						     binding_node);

	cmd->out_space_id = binding->space_id;
	cmd->out_num_sids = sdev->num_sids;
	memcpy(cmd->out_sids, sdev->sids, sizeof(cmd->out_sids));
	cmd->out_group_id = iommu_group_id(binding->group);
	memcpy(cmd->out_iommu_name, sdev->iommu_name, sizeof(cmd->out_iommu_name));
	cmd->out_num_devices = binding->nr_devices;
	cmd->out_pgsize_bitmap = 0;
	cmd->out_aperture_start = 0;
	cmd->out_aperture_last = 0;
	cmd->out_domain_flags = 0;
	if (binding->sdom) {
		struct iommu_domain *domain = binding->sdom->domain;

		cmd->out_pgsize_bitmap = domain->pgsize_bitmap;
		cmd->out_aperture_start = domain->geometry.aperture_start;
		cmd->out_aperture_last = domain->geometry.aperture_end;
		cmd->out_domain_flags = smmua_domain_flags(binding);
	}
}

/* BIND's checks that need no device: flags, BDF, window, space, name. */
static int smmua_check_bind(struct smmu_assign_bind *cmd, u64 *last)
{
	bool persistent = cmd->flags & SMMU_ASSIGN_BIND_PERSISTENT;
	int ret;

	if (cmd->flags & ~SMMU_ASSIGN_BIND_PERSISTENT)
		return -EOPNOTSUPP;
	ret = smmua_check_bdf(&cmd->bdf);
	if (ret)
		return ret;
	ret = smmua_check_space_name(cmd->space_name);
	if (ret)
		return ret;
	if (cmd->space_id) {
		/* An existing space has its own ranges and name. */
		if (persistent || cmd->window_iova || cmd->window_length || cmd->space_name[0])
			return -EINVAL;
		return 0;
	}
	return smmua_check_range(cmd->window_iova, cmd->window_length, PAGE_SIZE, last);
}

/*
 * Where BIND puts a non-persistent binding: the file's space it names, or
 * a new one (*created) with the window. Referenced.
 */
static struct smmua_space *smmua_bind_space(struct smmua_ctx *ctx,
					    struct smmu_assign_bind *cmd, u64 last,
					    bool *created)
{
	struct smmua_space *space;

	*created = !cmd->space_id;
	if (cmd->space_id) {
		space = smmua_space_get(ctx, cmd->space_id);
		return space ?: ERR_PTR(-ENOENT);
	}
	space = smmua_space_new(ctx, cmd->space_name, cmd->window_iova, last);
	if (!IS_ERR(space))
		refcount_inc(&space->users);	/* ours, besides the file's */
	return space;
}

/* Drop a space BIND or CLAIM found or made, undoing a new one. */
static void smmua_drop_space(struct smmua_space *space, bool created)
{
	if (created)
		smmua_space_abandon(space);
	smmua_space_put(space);
}

/*
 * BIND or CLAIM ended with @ret once its answer was copied: publish the
 * space it made, or undo it; drop our reference.
 */
static void smmua_finish_space(struct smmua_space *space, bool created, int ret)
{
	if (created && !ret) {
		smmua_space_publish(space);
		created = false;
	}
	smmua_drop_space(space, created);
}

/* Whether any device of @group is bound already. */
static bool smmua_group_bound(struct iommu_group *group)
{
	struct smmua_device *sdev = smmua_device_get_first(smmua_in_group, group);

	if (sdev)
		smmua_binding_put(sdev->binding);
	return sdev;
}

int smmua_bind(struct smmu_assign_ucmd *ucmd)
{
	struct smmu_assign_bind *cmd = ucmd->cmd;
	struct smmua_ctx *ctx = ucmd->ctx;
	bool persistent = cmd->flags & SMMU_ASSIGN_BIND_PERSISTENT;
	struct smmua_space *space = NULL;
	struct smmua_binding *binding;
	bool created = false;
	struct pci_dev *pdev;
	u64 last = 0;
	int ret;

	ret = smmua_check_bind(cmd, &last);
	if (ret)
		return ret;
	/* Handing out a device is the administrator's; DELEGATE shares it. */
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;

	pdev = smmua_pci_get(&cmd->bdf);
	if (IS_ERR(pdev))
		return PTR_ERR(pdev);
	/* A bridge only forwards its group's DMA: bind a device behind it. */
	if (pci_is_bridge(pdev)) {
		pci_dev_put(pdev);
		return -EINVAL;
	}
	binding = kzalloc(sizeof(*binding), GFP_KERNEL_ACCOUNT);
	if (!binding) {
		pci_dev_put(pdev);
		return -ENOMEM;
	}
	/* Ours until published; then the list's, plus ours for the answer. */
	refcount_set(&binding->users, 1);
	mutex_init(&binding->lock);
	spin_lock_init(&binding->owner_lock);
	INIT_LIST_HEAD(&binding->devices);
	binding->persistent = persistent;
	binding->delegate_uid = INVALID_UID;
	binding->delegate_gid = INVALID_GID;
	if (persistent) {
		binding->window_start = cmd->window_iova;
		binding->window_last = last;
		strscpy(binding->space_name, cmd->space_name, sizeof(binding->space_name));
	}

	/*
	 * The device lock keeps the named device's driver from changing under
	 * us, and serializes its BINDs.
	 */
	device_lock(&pdev->dev);
	ret = smmua_check_named_driver(pdev);
	if (ret)
		goto err_unlock;
	binding->group = iommu_group_get(&pdev->dev);
	if (!binding->group) {
		pr_info("%s: no IOMMU group (is an SMMU translating it?)\n", pci_name(pdev));
		ret = -ENODEV;
		goto err_unlock;
	}
	if (smmua_group_bound(binding->group)) {
		ret = -EBUSY;
		goto err_unlock;
	}
	ret = smmua_take_group(binding, pdev);
	if (ret)
		goto err_unlock;
	if (persistent) {
		/* Checked here as a space would: CLAIM makes one with it. */
		struct smmua_range window = { binding->window_start, binding->window_last };

		ret = smmua_check_resv(binding, &window, 1);
		if (ret)
			goto err_give;
	} else {
		space = smmua_bind_space(ctx, cmd, last, &created);
		if (IS_ERR(space)) {
			ret = PTR_ERR(space);
			space = NULL;
			goto err_give;
		}
		ret = smmua_space_attach(space, binding);
		if (ret)
			goto err_give;
	}
	binding->bound_at = ktime_get();
	mutex_lock(&binding->lock);
	smmua_fill_bind(cmd, binding);
	mutex_unlock(&binding->lock);
	smmua_publish(binding);
	device_unlock(&pdev->dev);
	pci_info(pdev, "bound: IOMMU group %d (%u device%s), SID %#x on %s, %s %u\n",
		 iommu_group_id(binding->group), binding->nr_devices,
		 binding->nr_devices == 1 ? "" : "s", cmd->out_sids[0], cmd->out_iommu_name,
		 persistent ? "persistent, blocked until claimed" : "space",
		 cmd->out_space_id);

	/*
	 * The answer is copied with no lock held; if it cannot be, undo. A
	 * new space becomes reachable only then.
	 */
	ret = smmu_assign_ucmd_respond(ucmd, sizeof(*cmd));
	if (ret)
		smmua_teardown(binding, false);
	if (space)
		smmua_finish_space(space, created, ret);
	smmua_binding_put(binding);
	pci_dev_put(pdev);
	return ret;

err_give:
	if (space)
		smmua_drop_space(space, created);
	smmua_give_group(binding);
err_unlock:
	device_unlock(&pdev->dev);
	smmua_binding_put(binding);
	pci_dev_put(pdev);
	return ret;
}

int smmua_unbind(struct smmu_assign_ucmd *ucmd)
{
	struct smmu_assign_unbind *cmd = ucmd->cmd;
	struct smmua_binding *binding;
	struct smmua_device *sdev;
	int ret = 0;

	if (cmd->flags)
		return -EOPNOTSUPP;
	sdev = smmua_device_get_live(&cmd->bdf);
	if (IS_ERR(sdev))
		return PTR_ERR(sdev);
	binding = sdev->binding;
	if (binding->persistent && !capable(CAP_SYS_ADMIN))
		ret = -EPERM;
	else if (binding->persistent && binding->owner && binding->owner != ucmd->ctx)
		ret = -EBUSY;
	else if (!binding->persistent && binding->owner != ucmd->ctx)
		ret = -EPERM;
	else if (smmua_binding_has_devfd(binding))
		ret = -EBUSY;
	if (!ret) {
		pci_info(sdev->pdev, "unbound: IOMMU group %d\n", iommu_group_id(binding->group));
		smmua_teardown_locked(binding, false);
	}
	smmua_device_unlock_put(sdev);
	return ret;
}

/* smmua_device_get_live(), if the binding is persistent; EINVAL if not. */
static struct smmua_device *smmua_get_persistent(const struct smmu_assign_bdf *bdf)
{
	struct smmua_device *sdev = smmua_device_get_live(bdf);

	if (!IS_ERR(sdev) && !sdev->binding->persistent)
		return smmua_device_drop(sdev, -EINVAL);
	return sdev;
}

/* The administrator, or the user or a member of the group delegated to. */
static bool smmua_may_claim(struct smmua_binding *binding)
{
	lockdep_assert_held(&binding->lock);
	if (capable(CAP_SYS_ADMIN))
		return true;
	if (uid_valid(binding->delegate_uid) && uid_eq(current_euid(), binding->delegate_uid))
		return true;
	return gid_valid(binding->delegate_gid) && in_egroup_p(binding->delegate_gid);
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
	WRITE_ONCE(sdev->binding->delegate_uid, uid);
	WRITE_ONCE(sdev->binding->delegate_gid, gid);
	smmua_device_unlock_put(sdev);
	return 0;
}

/*
 * The space of @ctx a CLAIM puts @binding in: @space_id, or the one named
 * as the binding says, or a new one (*created) with its window.
 */
static struct smmua_space *smmua_claim_space(struct smmua_ctx *ctx,
					     struct smmua_binding *binding,
					     u32 space_id, bool *created)
{
	struct smmua_space *space;

	*created = false;
	if (space_id) {
		space = smmua_space_get(ctx, space_id);
		return space ?: ERR_PTR(-ENOENT);
	}
	if (binding->space_name[0]) {
		space = smmua_space_find_name(ctx, binding->space_name);
		if (space)
			return space;
	}
	space = smmua_space_new(ctx, binding->space_name, binding->window_start,
				binding->window_last);
	if (IS_ERR(space))
		return space;
	*created = true;
	refcount_inc(&space->users);	/* ours, besides the file's */
	return space;
}

int smmua_claim(struct smmu_assign_ucmd *ucmd)
{
	struct smmu_assign_claim *cmd = ucmd->cmd;
	struct smmua_ctx *ctx = ucmd->ctx;
	struct smmua_space *space = NULL;
	struct smmua_binding *binding;
	struct smmua_device *sdev;
	bool release = cmd->flags & SMMU_ASSIGN_CLAIM_RELEASE;
	bool created = false;
	int ret = 0;

	if (cmd->flags & ~SMMU_ASSIGN_CLAIM_RELEASE)
		return -EOPNOTSUPP;
	if (release && cmd->space_id)
		return -EINVAL;
	sdev = smmua_get_persistent(&cmd->bdf);
	if (IS_ERR(sdev))
		return PTR_ERR(sdev);
	binding = sdev->binding;
	if (release) {
		if (binding->owner != ctx)
			ret = -EPERM;
		else if (smmua_binding_has_devfd(binding))
			ret = -EBUSY;
		else
			smmua_space_detach(binding);
	} else if (binding->owner == ctx) {
		ret = -EALREADY;
	} else if (binding->owner) {
		ret = -EBUSY;
	} else if (!smmua_may_claim(binding)) {
		ret = -EPERM;
	} else {
		space = smmua_claim_space(ctx, binding, cmd->space_id, &created);
		if (IS_ERR(space)) {
			ret = PTR_ERR(space);
			space = NULL;
		} else {
			ret = smmua_space_attach(space, binding);
		}
		cmd->out_space_id = binding->space_id;
	}
	smmua_device_unlock_put(sdev);
	if (ret || release) {
		if (space)
			smmua_drop_space(space, created);
		return ret;
	}

	/* The answer is copied with no lock held; if it cannot be, undo. */
	ret = smmu_assign_ucmd_respond(ucmd, sizeof(*cmd));
	if (ret) {
		sdev = smmua_get_persistent(&cmd->bdf);
		if (!IS_ERR(sdev)) {
			/* A device fd opened meanwhile keeps the claim. */
			if (sdev->binding == binding && binding->space == space &&
			    !smmua_binding_has_devfd(binding))
				smmua_space_detach(binding);
			smmua_device_unlock_put(sdev);
		}
	}
	smmua_finish_space(space, created, ret);
	return ret;
}

static bool smmua_owned_by(struct smmua_device *sdev, const void *ctx)
{
	/* Only this file sets the owner to itself, and it is closing. */
	return READ_ONCE(sdev->binding->owner) == ctx;
}

/* The owner's file is closing: unbind its groups, unclaim persistent ones. */
void smmua_ctx_release_bindings(struct smmua_ctx *ctx)
{
	struct smmua_binding *binding;
	struct smmua_device *sdev;

	while ((sdev = smmua_device_get_first(smmua_owned_by, ctx))) {
		binding = sdev->binding;
		mutex_lock(&binding->lock);
		if (!binding->dead && binding->owner == ctx) {
			if (binding->persistent)
				smmua_space_detach(binding);
			else
				smmua_teardown_locked(binding, false);
		}
		smmua_device_unlock_put(sdev);
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
		smmua_teardown(sdev->binding, false);
		smmua_binding_put(sdev->binding);
	}
}

static bool smmua_is_pdev(struct smmua_device *sdev, const void *pdev)
{
	return sdev->pdev == pdev;
}

/*
 * A bound device is leaving its driver (sysfs unbind, hot-unplug, sysfs
 * remove, the driver's unload) or, on no driver, going away. Whatever the
 * driver, its group's binding ends before the driver's remove runs (the
 * driver core holds the device lock), and the owner is told.
 */
static int smmua_pci_notify(struct notifier_block *nb, unsigned long action,
			    void *data)
{
	struct pci_dev *pdev = to_pci_dev(data);
	struct smmua_binding *binding;
	struct smmua_device *sdev;

	if (action != BUS_NOTIFY_UNBIND_DRIVER && action != BUS_NOTIFY_DEL_DEVICE)
		return NOTIFY_DONE;
	sdev = smmua_device_get_first(smmua_is_pdev, pdev);
	if (!sdev)
		return NOTIFY_DONE;
	binding = sdev->binding;
	mutex_lock(&binding->lock);
	/* The devices are quiesced by their fds' release, while still confined. */
	if (!binding->dead)
		smmua_devfd_wait_closed(binding);
	if (!binding->dead) {
		pci_warn(pdev, "leaving while bound: binding of IOMMU group %d removed\n",
			 iommu_group_id(binding->group));
		smmua_teardown_locked(binding, true);
	}
	smmua_device_unlock_put(sdev);
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

/*
 * An uncorrectable error (AER) on a device of the stub: tell the holder of
 * its device fd on the ERR eventfd, as vfio-pci's handler does, and let
 * recovery go on.
 */
static pci_ers_result_t smmua_stub_error_detected(struct pci_dev *pdev,
						  pci_channel_state_t state)
{
	struct smmua_device *sdev = smmua_device_get_first(smmua_is_pdev, pdev);

	if (sdev) {
		mutex_lock(&sdev->binding->lock);
		smmua_devfd_error(sdev);
		smmua_device_unlock_put(sdev);
	}
	return PCI_ERS_RESULT_CAN_RECOVER;
}

static const struct pci_error_handlers smmua_stub_err_handlers = {
	.error_detected = smmua_stub_error_detected,
};

/* No ID table: devices arrive only through driver_override. */
struct pci_driver smmua_stub_driver = {
	.name = "smmu-assign",
	.probe = smmua_stub_probe,
	.err_handler = &smmua_stub_err_handlers,
	/* No remove: the bus notifier ends a binding before any driver's. */
	/* The DMA API stays away: BIND owns the device's DMA. */
	.driver_managed_dma = true,
};
