// SPDX-License-Identifier: GPL-2.0
/*
 * The device fd: access to a bound device in VFIO's device ABI.
 *
 * vfio-pci-core is the field's implementation of that ABI: regions and
 * their mmap, config space virtualization, INTx/MSI/MSI-X to eventfds, the
 * request and error channels, and reset. Each device fd is a
 * vfio_pci_core_device of its own that is never registered with VFIO:
 * VFIO cannot open it, because smmu-assign, not VFIO, owns the group's DMA.
 * Its file calls vfio-pci-core's operations the way VFIO's device file
 * does. Only the ioctls that need VFIO's groups (hot reset of a bus) and
 * VFIO's feature interface are refused.
 *
 * A device fd references the binding and the /dev/smmu-assign file that
 * owned it when it was opened, so neither ends while the fd is open: the
 * device's DMA stays confined while anyone can drive it. When the device
 * is to leave, the bus notifier asks the fd's holder to close it (the REQ
 * eventfd) and waits, as vfio-pci's remove does.
 */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/vfio.h>
#include <linux/vfio_pci_core.h>

#include "compat.h"
#include "smmu_assign.h"

/* Device fds being closed, for a removal that waits on them. */
static DECLARE_WAIT_QUEUE_HEAD(smmua_devfd_closed);

/*
 * One open device fd. Lock order: smmua_binding.lock > the vfio device
 * set's lock > vfio-pci-core's own (memory_lock, igate).
 */
struct smmua_devfd {
	struct vfio_pci_core_device core;	/* first: vfio_alloc_device() */
	struct smmua_device *sdev;		/* its binding referenced */
	struct file *owner_file;		/* /dev/smmu-assign, held */
	unsigned int opens;			/* files on it; binding->lock */
};

static struct smmua_devfd *smmua_devfd_of(struct file *file)
{
	return file->private_data;
}

static long smmua_devfd_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct smmua_devfd *df = smmua_devfd_of(file);

	switch (cmd) {
	case VFIO_DEVICE_GET_PCI_HOT_RESET_INFO:
	case VFIO_DEVICE_PCI_HOT_RESET:
		/* They take VFIO group or iommufd fds; this device has neither. */
		return -ENOTTY;
	default:
		return vfio_pci_core_ioctl(&df->core.vdev, cmd, arg);
	}
}

static ssize_t smmua_devfd_read(struct file *file, char __user *buf, size_t count,
				loff_t *ppos)
{
	return vfio_pci_core_read(&smmua_devfd_of(file)->core.vdev, buf, count, ppos);
}

static ssize_t smmua_devfd_write(struct file *file, const char __user *buf,
				 size_t count, loff_t *ppos)
{
	return vfio_pci_core_write(&smmua_devfd_of(file)->core.vdev, buf, count, ppos);
}

static int smmua_devfd_mmap(struct file *file, struct vm_area_struct *vma)
{
	return vfio_pci_core_mmap(&smmua_devfd_of(file)->core.vdev, vma);
}

/* Undo smmua_devfd_open()'s enable, as VFIO's last close does. */
static void smmua_devfd_close(struct smmua_devfd *df)
{
	struct vfio_device *vdev = &df->core.vdev;

	mutex_lock(&vdev->dev_set->lock);
	vfio_pci_core_close_device(vdev);
	vdev->open_count = 0;
	mutex_unlock(&vdev->dev_set->lock);
}

/*
 * The last reference is gone, so no ioctl, access or mmap remains: quiesce
 * the device (vfio-pci-core clears bus mastering, frees the interrupts,
 * masks INTx and resets where it can) while the binding still confines it.
 */
static int smmua_devfd_release(struct inode *inode, struct file *file)
{
	struct smmua_devfd *df = smmua_devfd_of(file);
	struct vfio_device *vdev = &df->core.vdev;
	struct smmua_device *sdev = df->sdev;
	struct smmua_binding *binding = sdev->binding;
	struct file *owner_file = df->owner_file;
	bool last;

	/* Others may share it (VFIO's GET_DEVICE_FD): the last one closes. */
	mutex_lock(&binding->lock);
	last = !--df->opens;
	mutex_unlock(&binding->lock);
	if (!last)
		return 0;

	/* Peers first: no device may reach a BAR of one being disabled. */
	smmua_unmap_bars(owner_file->private_data, df);
	smmua_devfd_close(df);
	mutex_lock(&binding->lock);
	WRITE_ONCE(sdev->devfd, NULL);
	smmua_vfio_devfd_closed(binding);
	mutex_unlock(&binding->lock);
	wake_up_all(&smmua_devfd_closed);

	vfio_put_device(vdev);
	smmua_binding_put(binding);
	fput(owner_file);
	return 0;
}

static const struct file_operations smmua_devfd_fops = {
	.owner = THIS_MODULE,
	.release = smmua_devfd_release,
	.read = smmua_devfd_read,
	.write = smmua_devfd_write,
	.unlocked_ioctl = smmua_devfd_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.mmap = smmua_devfd_mmap,
};

/*
 * MAP of @length bytes at @va: if @va lies in a BAR mmapped through a
 * device fd of @ctx, the BAR's physical address there, and the fd, whose
 * release removes the mapping again. ENOENT if @va is not in a device fd's
 * mmap, so ordinary memory; EPERM for another file's device; EINVAL if the
 * range leaves the mmap or a memory BAR.
 */
int smmua_devfd_bar(struct smmua_ctx *ctx, unsigned long va, u64 length,
		    phys_addr_t *phys, const struct smmua_devfd **devfd)
{
	struct mm_struct *mm = current->mm;
	struct vm_area_struct *vma;
	struct smmua_devfd *df;
	struct pci_dev *pdev;
	int bar, ret = -ENOENT;

	mmap_read_lock(mm);
	vma = vma_lookup(mm, va);
	if (!vma || !vma->vm_file || vma->vm_file->f_op != &smmua_devfd_fops)
		goto out;
	df = smmua_devfd_of(vma->vm_file);
	pdev = df->core.pdev;
	ret = -EPERM;
	if (df->owner_file->private_data != ctx)
		goto out;
	ret = -EINVAL;
	if (length > vma->vm_end - va || smmua_vfio_bar_phys(pdev, vma, va, &bar, phys))
		goto out;
	if (!(pci_resource_flags(pdev, bar) & IORESOURCE_MEM) ||
	    length - 1 > pci_resource_end(pdev, bar) - *phys)
		goto out;
	*devfd = df;
	ret = 0;
out:
	mmap_read_unlock(mm);
	return ret;
}

/* Never registered: only the lifetime of the core device is VFIO's. */
static const struct vfio_device_ops smmua_vfio_ops = {
	.name = "smmu-assign",
	.init = vfio_pci_core_init_dev,
	.release = vfio_pci_core_release_dev,
};

/*
 * The device's driver must keep away from it while it is open: the stub
 * and vfio-pci (whose own device VFIO cannot open without the group's DMA)
 * do. A group member on no driver could be probed under the fd.
 */
static bool smmua_devfd_driver_ok(struct pci_dev *pdev)
{
	struct device_driver *drv = READ_ONCE(pdev->dev.driver);

	return drv == &smmua_stub_driver.driver || (drv && !strcmp(drv->name, "vfio-pci"));
}

/* Enable @sdev for access, as VFIO's first open of a vfio-pci device does. */
static struct smmua_devfd *smmua_devfd_open(struct smmua_device *sdev)
{
	struct smmua_devfd *df;
	struct vfio_device *vdev;
	int ret;

	df = vfio_alloc_device(smmua_devfd, core.vdev, &sdev->pdev->dev, &smmua_vfio_ops);
	if (IS_ERR(df))
		return df;
	vdev = &df->core.vdev;
	df->sdev = sdev;
	/* A set of one: no bus reset reaches a device that is not in it. */
	ret = vfio_assign_device_set(vdev, df);
	if (ret)
		goto err_put;

	mutex_lock(&vdev->dev_set->lock);
	vdev->open_count = 1;
	ret = vfio_pci_core_enable(&df->core);
	if (ret) {
		vdev->open_count = 0;
		mutex_unlock(&vdev->dev_set->lock);
		goto err_put;
	}
	vfio_pci_core_finish_enable(&df->core);
	mutex_unlock(&vdev->dev_set->lock);
	return df;

err_put:
	vfio_put_device(vdev);
	return ERR_PTR(ret);
}

/* A file on @df, set up as VFIO's device files are. */
static struct file *smmua_devfd_file(struct smmua_devfd *df)
{
	struct file *file;

	file = anon_inode_getfile("[smmu-assign-device]", &smmua_devfd_fops, df, O_RDWR);
	if (IS_ERR(file))
		return file;
	/* pread/pwrite at region offsets. */
	file->f_mode |= FMODE_PREAD | FMODE_PWRITE;
	smmua_vfio_file_mapping(file, &df->core.vdev);
	return file;
}

/*
 * A new device fd for @sdev, of a binding that @ctx, the state of
 * @owner_file, owns. The caller holds the binding's lock. With @share (VFIO's
 * GET_DEVICE_FD, which may open a device any number of times), a device fd
 * the same file opened is shared; otherwise one is EBUSY.
 */
struct file *smmua_devfd_new(struct smmua_ctx *ctx, struct file *owner_file,
			     struct smmua_device *sdev, bool share)
{
	struct smmua_binding *binding = sdev->binding;
	struct smmua_devfd *df = sdev->devfd;
	struct file *file;

	lockdep_assert_held(&binding->lock);
	if (binding->owner != ctx)
		return ERR_PTR(-EPERM);
	if (df) {
		/* Not one being closed: its last file is gone. */
		if (!share || df->owner_file != owner_file || !df->opens)
			return ERR_PTR(-EBUSY);
		file = smmua_devfd_file(df);
		if (!IS_ERR(file))
			df->opens++;
		return file;
	}
	if (binding->leaving || !smmua_devfd_driver_ok(sdev->pdev))
		return ERR_PTR(-ENODEV);

	df = smmua_devfd_open(sdev);
	if (IS_ERR(df))
		return ERR_CAST(df);
	file = smmua_devfd_file(df);
	if (IS_ERR(file)) {
		smmua_devfd_close(df);
		vfio_put_device(&df->core.vdev);
		return file;
	}
	df->owner_file = get_file(owner_file);
	df->opens = 1;
	refcount_inc(&binding->users);
	WRITE_ONCE(sdev->devfd, df);
	pci_dbg(sdev->pdev, "device fd opened\n");
	return file;
}

int smmua_device_fd(struct smmu_assign_ucmd *ucmd)
{
	struct smmu_assign_device_fd *cmd = ucmd->cmd;
	struct smmua_device *sdev;
	struct file *file;
	int fd, ret;

	if (cmd->flags || cmd->__reserved)
		return -EOPNOTSUPP;
	sdev = smmua_device_get_live(&cmd->bdf);
	if (IS_ERR(sdev))
		return PTR_ERR(sdev);
	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		smmua_device_unlock_put(sdev);
		return fd;
	}
	file = smmua_devfd_new(ucmd->ctx, ucmd->file, sdev, false);
	smmua_device_unlock_put(sdev);
	if (IS_ERR(file)) {
		put_unused_fd(fd);
		return PTR_ERR(file);
	}
	cmd->out_fd = fd;
	ret = smmu_assign_ucmd_respond(ucmd, sizeof(*cmd));
	if (ret) {
		/* Its release quiesces the device and drops what it holds. */
		fput(file);
		put_unused_fd(fd);
		return ret;
	}
	fd_install(fd, file);
	return 0;
}

/*
 * An open device fd of @binding's group. The device list is fixed; devfd
 * changes under the binding's lock, and a waiter may peek without it.
 */
static struct smmua_devfd *smmua_binding_devfd(struct smmua_binding *binding)
{
	struct smmua_device *sdev;
	struct smmua_devfd *df;

	list_for_each_entry(sdev, &binding->devices, binding_node) {
		df = READ_ONCE(sdev->devfd);
		if (df)
			return df;
	}
	return NULL;
}

bool smmua_binding_has_devfd(struct smmua_binding *binding)
{
	lockdep_assert_held(&binding->lock);
	return smmua_binding_devfd(binding);
}

/*
 * A device of @binding is leaving. Ask the holders of its group's device
 * fds to close them, again every 10 s as vfio-pci's remove does, and wait
 * until they have. No new device fd opens meanwhile. Called with the
 * binding's lock held; it is dropped while waiting.
 */
void smmua_devfd_wait_closed(struct smmua_binding *binding)
{
	struct smmua_devfd *df;
	unsigned int count = 0;

	lockdep_assert_held(&binding->lock);
	binding->leaving = true;
	while ((df = smmua_binding_devfd(binding))) {
		vfio_pci_core_request(&df->core.vdev, count++);
		mutex_unlock(&binding->lock);
		wait_event_timeout(smmua_devfd_closed, !smmua_binding_devfd(binding), 10 * HZ);
		mutex_lock(&binding->lock);
	}
}

/* QUERY: the interrupts enabled through the device's fd, if one is open. */
void smmua_devfd_irqs(struct smmua_device *sdev, u32 *index, u32 *count)
{
	struct smmua_devfd *df = sdev->devfd;

	lockdep_assert_held(&sdev->binding->lock);
	*index = VFIO_PCI_NUM_IRQS;
	*count = 0;
	if (!df)
		return;
	mutex_lock(&df->core.igate);
	if (df->core.irq_type < VFIO_PCI_NUM_IRQS) {
		*index = df->core.irq_type;
		*count = smmua_vfio_irq_count(&df->core);
	}
	mutex_unlock(&df->core.igate);
}

/* An error reported for @sdev's device: its fd's ERR eventfd, if set. */
void smmua_devfd_error(struct smmua_device *sdev)
{
	struct smmua_devfd *df = sdev->devfd;

	lockdep_assert_held(&sdev->binding->lock);
	if (df)
		smmua_vfio_signal_err(&df->core);
}
