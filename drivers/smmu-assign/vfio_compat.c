// SPDX-License-Identifier: GPL-2.0
/*
 * VFIO's container and group ABI over address spaces, for VMMs and drivers
 * that speak VFIO and nothing else, as iommufd's VFIO compatibility mode
 * does for iommufd.
 *
 * /dev/smmu-assign-vfio/vfio is the container. Each open is a file state
 * (smmua_ctx) with one address space of type1 semantics: its allowed
 * ranges are the IOVA space less the reserved regions of the groups that
 * joined, clipped to their domains' apertures, as type1's IOVA list is.
 *
 * /dev/smmu-assign-vfio/<group> is a node for each bound IOMMU group.
 * VFIO_GROUP_SET_CONTAINER attaches the group's persistent binding to the
 * container's space, so the container's file owns it; being able to open
 * the node is the authority to do so, as with VFIO's group nodes.
 * VFIO_GROUP_GET_DEVICE_FD hands out the device fd of devfd.c.
 *
 * Lock order: smmua_binding.lock > smmua_ctx.lock > smmua_vfio_lock.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cdev.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/iommu.h>
#include <linux/slab.h>
#include <linux/vfio.h>

#include "smmu_assign.h"

/* Minor 0 is the container; the others are group nodes. */
#define SMMUA_VFIO_MINORS	256

static dev_t smmua_vfio_devt;
static struct cdev smmua_container_cdev;	/* minor 0 */
static struct cdev smmua_group_cdev;		/* the others */
static struct class smmua_vfio_class = { .name = "smmu-assign-vfio" };
static struct device *smmua_vfio_container_dev;
/* minor -> smmua_binding, referenced, while its node exists */
static DEFINE_XARRAY_ALLOC1(smmua_vfio_nodes);
static DEFINE_MUTEX(smmua_vfio_lock);

static const struct file_operations smmua_container_fops;
/* ---- the container ---- */

static int smmua_container_open(struct inode *inode, struct file *file)
{
	struct smmua_space *space;
	struct smmua_ctx *ctx;

	ctx = smmua_ctx_alloc();
	if (IS_ERR(ctx))
		return PTR_ERR(ctx);
	/* Everything, until groups join: type1 has no ranges of its own. */
	space = smmua_space_new(ctx, "", 0, U64_MAX);
	if (IS_ERR(space)) {
		smmua_ctx_release(ctx);
		return PTR_ERR(space);
	}
	space->type1 = true;
	smmua_space_publish(space);
	/* The file's xarray holds the space until the file goes. */
	ctx->vfio_space = space;
	file->private_data = ctx;
	return 0;
}

static int smmua_container_release(struct inode *inode, struct file *file)
{
	smmua_ctx_release(file->private_data);
	return 0;
}

static long smmua_vfio_check_extension(unsigned long arg)
{
	switch (arg) {
	case VFIO_TYPE1_IOMMU:
	case VFIO_TYPE1v2_IOMMU:
	case VFIO_UNMAP_ALL:
		return 1;
	default:
		/* No nesting, no VFIO_UPDATE_VADDR, no DMA_CC guarantee. */
		return 0;
	}
}

static long smmua_vfio_set_iommu(struct smmua_ctx *ctx, unsigned long arg)
{
	long ret = 0;

	mutex_lock(&ctx->lock);
	/*
	 * As VFIO: only a group brings the privilege, and only once; then
	 * type1 takes what CHECK_EXTENSION says it supports, and its open
	 * refuses what is an extension and not a type.
	 */
	if (!ctx->vfio_groups || ctx->vfio_iommu || arg == VFIO_UNMAP_ALL)
		ret = -EINVAL;
	else if (arg != VFIO_TYPE1_IOMMU && arg != VFIO_TYPE1v2_IOMMU)
		ret = -ENODEV;
	else
		ctx->vfio_iommu = arg;
	mutex_unlock(&ctx->lock);
	return ret;
}

static int smmua_vfio_cap_iova(struct smmua_space_type1 *info, struct vfio_info_cap *caps)
{
	struct vfio_iommu_type1_info_cap_iova_range *cap;
	struct vfio_info_cap_header *header;
	unsigned int i;

	if (!info->nr_ranges)
		return 0;
	header = vfio_info_cap_add(caps, struct_size(cap, iova_ranges, info->nr_ranges),
				   VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE, 1);
	if (IS_ERR(header))
		return PTR_ERR(header);
	cap = container_of(header, struct vfio_iommu_type1_info_cap_iova_range, header);
	cap->nr_iovas = info->nr_ranges;
	for (i = 0; i < info->nr_ranges; i++) {
		cap->iova_ranges[i].start = info->ranges[i].start;
		cap->iova_ranges[i].end = info->ranges[i].last;
	}
	return 0;
}

static long smmua_vfio_get_info(struct smmua_ctx *ctx, void __user *arg)
{
	unsigned long minsz = offsetofend(struct vfio_iommu_type1_info, iova_pgsizes);
	unsigned long capsz = offsetofend(struct vfio_iommu_type1_info, cap_offset);
	struct vfio_iommu_type1_info_dma_avail avail = {};
	struct vfio_info_cap caps = {};
	struct vfio_iommu_type1_info info;
	struct smmua_space_type1 t1;
	int ret;

	if (copy_from_user(&info, arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;
	/* Older users pass no cap_offset: it cannot be required. */
	if (info.argsz >= capsz) {
		minsz = capsz;
		info.cap_offset = 0;
	}
	ret = smmua_space_type1_info(ctx->vfio_space, &t1);
	if (ret)
		return ret;
	info.flags = VFIO_IOMMU_INFO_PGSIZES;
	info.iova_pgsizes = t1.pgsizes;

	avail.header.id = VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL;
	avail.header.version = 1;
	avail.avail = max_t(int, (int)READ_ONCE(smmua_max_mappings) -
			    atomic_read(&ctx->nr_mappings), 0);
	ret = vfio_info_add_capability(&caps, &avail.header, sizeof(avail));
	if (!ret)
		ret = smmua_vfio_cap_iova(&t1, &caps);
	kfree(t1.ranges);
	if (ret)
		goto out;
	if (caps.size) {
		info.flags |= VFIO_IOMMU_INFO_CAPS;
		if (info.argsz < sizeof(info) + caps.size) {
			info.argsz = sizeof(info) + caps.size;
		} else {
			vfio_info_cap_shift(&caps, sizeof(info));
			if (copy_to_user(arg + sizeof(info), caps.buf, caps.size)) {
				ret = -EFAULT;
				goto out;
			}
			info.cap_offset = sizeof(info);
		}
	}
	ret = copy_to_user(arg, &info, minsz) ? -EFAULT : 0;
out:
	kfree(caps.buf);
	return ret;
}

/* Native errnos type1 spells differently. */
static int smmua_vfio_errno(int ret)
{
	return ret == -ERANGE || ret == -EOVERFLOW ? -EINVAL : ret;
}

static long smmua_vfio_map_dma(struct smmua_ctx *ctx, struct file *file, void __user *arg)
{
	unsigned long minsz = offsetofend(struct vfio_iommu_type1_dma_map, size);
	const u32 rw = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
	struct vfio_iommu_type1_dma_map map;
	struct smmu_assign_map cmd = { .size = sizeof(cmd) };
	struct smmu_assign_ucmd ucmd = { .ctx = ctx, .file = file, .cmd = &cmd };

	if (copy_from_user(&map, arg, minsz))
		return -EFAULT;
	if (map.argsz < minsz || map.flags & ~(rw | VFIO_DMA_MAP_FLAG_VADDR))
		return -EINVAL;
	/* VADDR with an access is malformed; alone, an update not offered. */
	if (map.flags & VFIO_DMA_MAP_FLAG_VADDR)
		return map.flags & rw ? -EINVAL : -EOPNOTSUPP;
	if (!(map.flags & rw))
		return -EINVAL;
	/* The SMMU cannot map write-only: type1 maps it readable too. */
	cmd.flags = SMMU_ASSIGN_MAP_READ;
	if (map.flags & VFIO_DMA_MAP_FLAG_WRITE)
		cmd.flags |= SMMU_ASSIGN_MAP_WRITE;
	cmd.space_id = ctx->vfio_space->id;
	cmd.user_va = map.vaddr;
	cmd.iova = map.iova;
	cmd.length = map.size;
	return smmua_vfio_errno(smmua_map(&ucmd));
}

static long smmua_vfio_unmap_dma(struct smmua_ctx *ctx, struct file *file, void __user *arg)
{
	unsigned long minsz = offsetofend(struct vfio_iommu_type1_dma_unmap, size);
	struct vfio_iommu_type1_dma_unmap unmap;
	struct smmu_assign_unmap cmd = { .size = sizeof(cmd) };
	struct smmu_assign_ucmd ucmd = { .ctx = ctx, .file = file, .cmd = &cmd };
	int ret;

	if (copy_from_user(&unmap, arg, minsz))
		return -EFAULT;
	if (unmap.argsz < minsz ||
	    unmap.flags & ~(VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP | VFIO_DMA_UNMAP_FLAG_VADDR |
			    VFIO_DMA_UNMAP_FLAG_ALL))
		return -EINVAL;
	/* No dirty tracking is offered, so none can be enabled. */
	if (unmap.flags & VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP)
		return -EINVAL;
	if (unmap.flags & VFIO_DMA_UNMAP_FLAG_VADDR)
		return -EOPNOTSUPP;
	cmd.space_id = ctx->vfio_space->id;
	if (unmap.flags & VFIO_DMA_UNMAP_FLAG_ALL) {
		if (unmap.iova || unmap.size)
			return -EINVAL;
		cmd.flags = SMMU_ASSIGN_UNMAP_ALL;
	} else if (READ_ONCE(ctx->vfio_iommu) == VFIO_TYPE1_IOMMU) {
		ret = smmua_unmap_type1v1(ctx, cmd.space_id, unmap.iova, unmap.size,
					  &cmd.out_unmapped_length);
		goto out;
	} else {
		cmd.iova = unmap.iova;
		cmd.length = unmap.size;
	}
	ret = smmua_unmap(&ucmd);
out:
	/* type1: an unmap of a range with no mapping succeeds, unmapping 0. */
	if (ret == -ENOENT) {
		ret = 0;
		cmd.out_unmapped_length = 0;
	}
	if (ret)
		return smmua_vfio_errno(ret);
	unmap.size = cmd.out_unmapped_length;
	return copy_to_user(arg, &unmap, minsz) ? -EFAULT : 0;
}

static long smmua_container_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct smmua_ctx *ctx = file->private_data;
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case VFIO_GET_API_VERSION:
		return VFIO_API_VERSION;
	case VFIO_CHECK_EXTENSION:
		return smmua_vfio_check_extension(arg);
	case VFIO_SET_IOMMU:
		return smmua_vfio_set_iommu(ctx, arg);
	}
	/* As VFIO: before SET_IOMMU, no IOMMU driver answers. */
	if (!READ_ONCE(ctx->vfio_iommu))
		return -EINVAL;
	switch (cmd) {
	case VFIO_IOMMU_GET_INFO:
		return smmua_vfio_get_info(ctx, uarg);
	case VFIO_IOMMU_MAP_DMA:
		return smmua_vfio_map_dma(ctx, file, uarg);
	case VFIO_IOMMU_UNMAP_DMA:
		return smmua_vfio_unmap_dma(ctx, file, uarg);
	default:
		/* VFIO_IOMMU_DIRTY_PAGES among them: no migration. */
		return -ENOTTY;
	}
}

static const struct file_operations smmua_container_fops = {
	.owner = THIS_MODULE,
	.open = smmua_container_open,
	.llseek = noop_llseek,
	.release = smmua_container_release,
	.unlocked_ioctl = smmua_container_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

/* ---- the groups ---- */

/*
 * @binding's group leaves the container it joined: detached from its space
 * unless already torn down. The last group to leave takes the container's
 * IOMMU and mappings with it, as type1 goes with VFIO's last group.
 */
static void smmua_vfio_leave(struct smmua_binding *binding)
{
	struct file *container = binding->vfio_container;
	struct smmua_ctx *ctx = container->private_data;
	struct smmua_space *space = ctx->vfio_space;
	bool last;

	lockdep_assert_held(&binding->lock);
	if (!binding->dead)
		smmua_space_detach(binding);
	binding->vfio_container = NULL;
	mutex_lock(&ctx->lock);
	last = !--ctx->vfio_groups;
	if (last)
		ctx->vfio_iommu = 0;
	mutex_unlock(&ctx->lock);
	if (last) {
		mutex_lock(&space->lock);
		if (!space->dead) {
			smmua_unmap_all(space);
			smmua_space_type1_reset(space);
		}
		mutex_unlock(&space->lock);
	}
	fput(container);
}

static int smmua_group_open(struct inode *inode, struct file *file)
{
	struct smmua_binding *binding;
	int ret = 0;

	mutex_lock(&smmua_vfio_lock);
	binding = xa_load(&smmua_vfio_nodes, iminor(inode));
	if (binding)
		refcount_inc(&binding->users);
	mutex_unlock(&smmua_vfio_lock);
	if (!binding)
		return -ENODEV;

	mutex_lock(&binding->lock);
	if (binding->dead)
		ret = -ENODEV;
	else if (binding->vfio_opened || binding->vfio_container)
		ret = -EBUSY;	/* as VFIO: one open, and a device fd holds it */
	else
		binding->vfio_opened = true;
	mutex_unlock(&binding->lock);
	if (ret) {
		smmua_binding_put(binding);
		return ret;
	}
	file->private_data = binding;
	return 0;
}

static int smmua_group_release(struct inode *inode, struct file *file)
{
	struct smmua_binding *binding = file->private_data;

	mutex_lock(&binding->lock);
	/* A device fd keeps the group in its container until it closes. */
	if (binding->vfio_container && !smmua_binding_has_devfd(binding))
		smmua_vfio_leave(binding);
	binding->vfio_opened = false;
	mutex_unlock(&binding->lock);
	smmua_binding_put(binding);
	return 0;
}

static long smmua_group_get_status(struct smmua_binding *binding, void __user *arg)
{
	unsigned long minsz = offsetofend(struct vfio_group_status, flags);
	struct vfio_group_status status;

	if (copy_from_user(&status, arg, minsz))
		return -EFAULT;
	if (status.argsz < minsz)
		return -EINVAL;
	status.flags = 0;
	mutex_lock(&binding->lock);
	/* Every device of the group is held: none is on a DMA-API driver. */
	if (!binding->dead)
		status.flags |= VFIO_GROUP_FLAGS_VIABLE;
	if (binding->vfio_container)
		status.flags |= VFIO_GROUP_FLAGS_CONTAINER_SET;
	mutex_unlock(&binding->lock);
	/* As VFIO's group once its devices are gone. */
	if (!(status.flags & VFIO_GROUP_FLAGS_VIABLE))
		return -ENODEV;
	return copy_to_user(arg, &status, minsz) ? -EFAULT : 0;
}

static long smmua_group_set_container(struct smmua_binding *binding, int __user *arg)
{
	struct smmua_ctx *ctx;
	struct file *container;
	int fd, ret;

	if (get_user(fd, arg))
		return -EFAULT;
	container = fget(fd);
	if (!container)
		return -EBADF;
	if (container->f_op != &smmua_container_fops) {
		ret = -EINVAL;
		goto out_fput;
	}
	ctx = container->private_data;
	mutex_lock(&binding->lock);
	if (binding->dead)
		ret = -ENODEV;
	else if (binding->vfio_container)
		ret = -EINVAL;
	else if (!binding->persistent || binding->owner)
		ret = -EPERM;	/* another file's: the IOMMU core's claim errno */
	else
		ret = smmua_space_attach(ctx->vfio_space, binding);
	if (!ret) {
		binding->vfio_container = get_file(container);
		mutex_lock(&ctx->lock);
		ctx->vfio_groups++;
		mutex_unlock(&ctx->lock);
	}
	mutex_unlock(&binding->lock);
out_fput:
	fput(container);
	return ret == -EADDRINUSE || ret == -ERANGE ? -EINVAL : ret;
}

static long smmua_group_unset_container(struct smmua_binding *binding)
{
	long ret = 0;

	mutex_lock(&binding->lock);
	if (!binding->vfio_container)
		ret = -EINVAL;
	else if (smmua_binding_has_devfd(binding))
		ret = -EBUSY;
	else
		smmua_vfio_leave(binding);
	mutex_unlock(&binding->lock);
	return ret;
}

static long smmua_group_get_device_fd(struct smmua_binding *binding, char __user *uname)
{
	struct smmua_device *sdev, *found = NULL;
	struct file *container, *file;
	struct smmua_ctx *ctx;
	size_t len;
	char *name;
	int fd;

	name = strndup_user(uname, PAGE_SIZE);
	if (IS_ERR(name))
		return PTR_ERR(name);
	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		kfree(name);
		return fd;
	}
	mutex_lock(&binding->lock);
	/*
	 * As VFIO: the name is looked up first, as vfio-pci matches it: the
	 * device's name, then options after a space, of which only a VF
	 * token exists, and none of these devices takes one.
	 */
	list_for_each_entry(sdev, &binding->devices, binding_node) {
		len = strlen(pci_name(sdev->pdev));
		if (!strncmp(pci_name(sdev->pdev), name, len) &&
		    (!name[len] || name[len] == ' '))
			found = sdev;
	}
	container = binding->vfio_container;
	ctx = container ? container->private_data : NULL;
	if (!found || binding->dead)
		file = ERR_PTR(-ENODEV);
	else if (name[strlen(pci_name(found->pdev))])
		file = ERR_PTR(-EINVAL);
	else if (!ctx || !READ_ONCE(ctx->vfio_iommu))
		file = ERR_PTR(-EINVAL);	/* a container with its IOMMU set */
	else
		file = smmua_devfd_new(ctx, container, found, true);
	mutex_unlock(&binding->lock);
	kfree(name);
	if (IS_ERR(file)) {
		put_unused_fd(fd);
		return PTR_ERR(file);
	}
	fd_install(fd, file);
	return fd;
}

static long smmua_group_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct smmua_binding *binding = file->private_data;
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case VFIO_GROUP_GET_STATUS:
		return smmua_group_get_status(binding, uarg);
	case VFIO_GROUP_SET_CONTAINER:
		return smmua_group_set_container(binding, uarg);
	case VFIO_GROUP_UNSET_CONTAINER:
		return smmua_group_unset_container(binding);
	case VFIO_GROUP_GET_DEVICE_FD:
		return smmua_group_get_device_fd(binding, uarg);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations smmua_group_fops = {
	.owner = THIS_MODULE,
	.open = smmua_group_open,
	.llseek = noop_llseek,
	.release = smmua_group_release,
	.unlocked_ioctl = smmua_group_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

/*
 * A node for a new binding's group. Without one the binding works as
 * before, for /dev/smmu-assign's users, so a failure is only logged.
 */
void smmua_vfio_add_group(struct smmua_binding *binding)
{
	int group = iommu_group_id(binding->group);
	struct device *dev;
	u32 minor;
	int ret;

	mutex_lock(&smmua_vfio_lock);
	ret = xa_alloc(&smmua_vfio_nodes, &minor, binding,
		       XA_LIMIT(1, SMMUA_VFIO_MINORS - 1), GFP_KERNEL);
	if (!ret) {
		/* devtmpfs turns '!' into '/': /dev/smmu-assign-vfio/<group> */
		dev = device_create(&smmua_vfio_class, NULL,
				    MKDEV(MAJOR(smmua_vfio_devt), minor), NULL,
				    "smmu-assign-vfio!%d", group);
		if (IS_ERR(dev)) {
			xa_erase(&smmua_vfio_nodes, minor);
			ret = PTR_ERR(dev);
		} else {
			refcount_inc(&binding->users);
			binding->vfio_minor = minor;
		}
	}
	mutex_unlock(&smmua_vfio_lock);
	if (ret)
		pr_warn("IOMMU group %d: no VFIO group node: %d\n", group, ret);
}

/*
 * A device fd of @binding closed. If it was the last thing keeping the group
 * in its container after the group's file closed, the group leaves now.
 */
void smmua_vfio_devfd_closed(struct smmua_binding *binding)
{
	lockdep_assert_held(&binding->lock);
	if (binding->vfio_container && !binding->vfio_opened &&
	    !smmua_binding_has_devfd(binding))
		smmua_vfio_leave(binding);
}

/*
 * The binding is being torn down: its node goes, open group files see
 * ENODEV, and its container lets go of it, the last group taking the
 * container's IOMMU and mappings with it.
 */
void smmua_vfio_del_group(struct smmua_binding *binding)
{
	unsigned int minor = binding->vfio_minor;

	lockdep_assert_held(&binding->lock);
	/* As VFIO's: a group whose devices are gone leaves at once. */
	if (binding->vfio_container)
		smmua_vfio_leave(binding);
	if (!minor)
		return;
	mutex_lock(&smmua_vfio_lock);
	device_destroy(&smmua_vfio_class, MKDEV(MAJOR(smmua_vfio_devt), minor));
	xa_erase(&smmua_vfio_nodes, minor);
	binding->vfio_minor = 0;
	mutex_unlock(&smmua_vfio_lock);
	/* The caller holds a reference of its own. */
	refcount_dec(&binding->users);
}

int __init smmua_vfio_init(void)
{
	int ret;

	ret = alloc_chrdev_region(&smmua_vfio_devt, 0, SMMUA_VFIO_MINORS, "smmu-assign-vfio");
	if (ret)
		return ret;
	ret = class_register(&smmua_vfio_class);
	if (ret)
		goto err_region;
	cdev_init(&smmua_container_cdev, &smmua_container_fops);
	smmua_container_cdev.owner = THIS_MODULE;
	ret = cdev_add(&smmua_container_cdev, smmua_vfio_devt, 1);
	if (ret)
		goto err_class;
	cdev_init(&smmua_group_cdev, &smmua_group_fops);
	smmua_group_cdev.owner = THIS_MODULE;
	ret = cdev_add(&smmua_group_cdev, smmua_vfio_devt + 1, SMMUA_VFIO_MINORS - 1);
	if (ret)
		goto err_container;
	smmua_vfio_container_dev = device_create(&smmua_vfio_class, NULL, smmua_vfio_devt,
						 NULL, "smmu-assign-vfio!vfio");
	if (IS_ERR(smmua_vfio_container_dev)) {
		ret = PTR_ERR(smmua_vfio_container_dev);
		goto err_cdev;
	}
	return 0;

err_cdev:
	cdev_del(&smmua_group_cdev);
err_container:
	cdev_del(&smmua_container_cdev);
err_class:
	class_unregister(&smmua_vfio_class);
err_region:
	unregister_chrdev_region(smmua_vfio_devt, SMMUA_VFIO_MINORS);
	return ret;
}

void smmua_vfio_exit(void)
{
	device_destroy(&smmua_vfio_class, smmua_vfio_devt);
	cdev_del(&smmua_group_cdev);
	cdev_del(&smmua_container_cdev);
	class_unregister(&smmua_vfio_class);
	unregister_chrdev_region(smmua_vfio_devt, SMMUA_VFIO_MINORS);
}
