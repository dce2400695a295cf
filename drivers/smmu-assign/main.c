// SPDX-License-Identifier: GPL-2.0
/*
 * smmu-assign: the /dev/smmu-assign character device and its ioctl dispatcher.
 *
 * The dispatcher follows iommufd: each command is a size-first struct, copied
 * in with copy_struct_from_user() so that older and newer userspace both work,
 * and answered with at most the size the caller gave.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/pid.h>
#include <linux/poll.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "compat.h"
#include "smmu_assign.h"

atomic64_t smmua_total_maps = ATOMIC64_INIT(0);
atomic64_t smmua_total_unmaps = ATOMIC64_INIT(0);
atomic64_t smmua_total_faults = ATOMIC64_INIT(0);
atomic64_t smmua_bytes_mapped = ATOMIC64_INIT(0);

static int smmu_assign_get_info(struct smmu_assign_ucmd *ucmd)
{
	struct smmu_assign_get_info *cmd = ucmd->cmd;

	if (cmd->flags)
		return -EOPNOTSUPP;
	if (cmd->__reserved || cmd->__reserved2)
		return -EOPNOTSUPP;

	cmd->out_api_version = SMMU_ASSIGN_API_VERSION;
	cmd->out_capabilities = SMMU_ASSIGN_CAP_BIND | SMMU_ASSIGN_CAP_PERSISTENT |
				SMMU_ASSIGN_CAP_QUERY | SMMU_ASSIGN_CAP_RESV_REGIONS |
				SMMU_ASSIGN_CAP_DELEGATE | SMMU_ASSIGN_CAP_SPACES |
				SMMU_ASSIGN_CAP_GROUPS | SMMU_ASSIGN_CAP_DEVICE_FD |
				SMMU_ASSIGN_CAP_MAP_VEC;
	if (smmua_faults_delivered())
		cmd->out_capabilities |= SMMU_ASSIGN_CAP_FAULTS;
	cmd->out_num_devices = smmua_count_devices();
	cmd->out_total_maps = atomic64_read(&smmua_total_maps);
	cmd->out_total_unmaps = atomic64_read(&smmua_total_unmaps);
	cmd->out_total_faults = atomic64_read(&smmua_total_faults);
	cmd->out_bytes_mapped = atomic64_read(&smmua_bytes_mapped);
	return smmu_assign_ucmd_respond(ucmd, sizeof(*cmd));
}

/* Every command struct, so the dispatcher can size its on-stack buffer. */
union smmu_assign_ucmd_buffer {
	struct smmu_assign_get_info get_info;
	struct smmu_assign_bind bind;
	struct smmu_assign_unbind unbind;
	struct smmu_assign_map map;
	struct smmu_assign_unmap unmap;
	struct smmu_assign_claim claim;
	struct smmu_assign_set_eventfd set_eventfd;
	struct smmu_assign_query query;
	struct smmu_assign_list list;
	struct smmu_assign_mappings mappings;
	struct smmu_assign_translate translate;
	struct smmu_assign_resv_regions resv_regions;
	struct smmu_assign_delegate delegate;
	struct smmu_assign_space_alloc space_alloc;
	struct smmu_assign_space_destroy space_destroy;
	struct smmu_assign_space_allow_iovas space_allow_iovas;
	struct smmu_assign_space_info space_info;
	struct smmu_assign_device_fd device_fd;
	struct smmu_assign_map_vec map_vec;
	struct smmu_assign_unmap_vec unmap_vec;
};

struct smmu_assign_ioctl_op {
	unsigned int size;
	unsigned int min_size;
	unsigned int ioctl_num;
	int (*execute)(struct smmu_assign_ucmd *ucmd);
};

/* Indexed by command number; the first version's size is the minimum. */
#define IOCTL_OP(_cmd, _fn, _struct, _last)                                   \
	[SMMU_ASSIGN_CMD_##_cmd - SMMU_ASSIGN_CMD_BASE] = {                    \
		.size = sizeof(_struct) +                                      \
			BUILD_BUG_ON_ZERO(sizeof(union smmu_assign_ucmd_buffer) < \
					  sizeof(_struct)),                     \
		.min_size = offsetofend(_struct, _last),                       \
		.ioctl_num = SMMU_ASSIGN_##_cmd,                               \
		.execute = _fn,                                                \
	}

static const struct smmu_assign_ioctl_op smmu_assign_ioctl_ops[] = {
	IOCTL_OP(GET_INFO, smmu_assign_get_info,
		 struct smmu_assign_get_info, out_capabilities),
	IOCTL_OP(BIND, smmua_bind, struct smmu_assign_bind,
		 out_domain_flags),
	IOCTL_OP(UNBIND, smmua_unbind, struct smmu_assign_unbind,
		 bdf),
	IOCTL_OP(MAP, smmua_map, struct smmu_assign_map,
		 __reserved2),
	IOCTL_OP(UNMAP, smmua_unmap, struct smmu_assign_unmap,
		 __reserved2),
	IOCTL_OP(CLAIM, smmua_claim, struct smmu_assign_claim,
		 out_space_id),
	IOCTL_OP(SET_EVENTFD, smmua_set_eventfd,
		 struct smmu_assign_set_eventfd, __reserved),
	IOCTL_OP(QUERY, smmua_query, struct smmu_assign_query,
		 out_delegate_gid),
	IOCTL_OP(LIST, smmua_list, struct smmu_assign_list,
		 devices),
	IOCTL_OP(MAPPINGS, smmua_mappings, struct smmu_assign_mappings,
		 mappings),
	IOCTL_OP(TRANSLATE, smmua_translate, struct smmu_assign_translate,
		 __reserved2),
	IOCTL_OP(RESV_REGIONS, smmua_resv_regions, struct smmu_assign_resv_regions,
		 regions),
	IOCTL_OP(DELEGATE, smmua_delegate, struct smmu_assign_delegate, gid),
	IOCTL_OP(SPACE_ALLOC, smmua_space_alloc, struct smmu_assign_space_alloc,
		 name),
	IOCTL_OP(SPACE_DESTROY, smmua_space_destroy,
		 struct smmu_assign_space_destroy, __reserved),
	IOCTL_OP(SPACE_ALLOW_IOVAS, smmua_space_allow_iovas,
		 struct smmu_assign_space_allow_iovas, ranges),
	IOCTL_OP(SPACE_INFO, smmua_space_info, struct smmu_assign_space_info,
		 devices),
	IOCTL_OP(DEVICE_FD, smmua_device_fd, struct smmu_assign_device_fd,
		 __reserved),
	IOCTL_OP(MAP_VEC, smmua_map_vec, struct smmu_assign_map_vec, out_length),
	IOCTL_OP(UNMAP_VEC, smmua_unmap_vec, struct smmu_assign_unmap_vec,
		 __reserved),
};

static long smmu_assign_fops_ioctl(struct file *filp, unsigned int cmd,
				   unsigned long arg)
{
	const struct smmu_assign_ioctl_op *op;
	union smmu_assign_ucmd_buffer buf;
	struct smmu_assign_ucmd ucmd = {};
	unsigned int nr;
	int ret;

	nr = _IOC_NR(cmd);
	if (_IOC_TYPE(cmd) != SMMU_ASSIGN_TYPE || nr < SMMU_ASSIGN_CMD_BASE ||
	    nr - SMMU_ASSIGN_CMD_BASE >= ARRAY_SIZE(smmu_assign_ioctl_ops))
		return -ENOTTY;
	op = &smmu_assign_ioctl_ops[nr - SMMU_ASSIGN_CMD_BASE];
	if (op->ioctl_num != cmd)
		return -ENOTTY;

	/*
	 * Any process holding the file may use it (fork, SCM_RIGHTS): MAP
	 * pins the caller's memory and charges the caller.
	 */
	ucmd.ctx = filp->private_data;
	ucmd.file = filp;
	ucmd.ubuffer = (void __user *)arg;
	ret = get_user(ucmd.user_size, (u32 __user *)ucmd.ubuffer);
	if (ret)
		return ret;
	if (ucmd.user_size < op->min_size)
		return -EINVAL;

	ucmd.cmd = &buf;
	ret = copy_struct_from_user(ucmd.cmd, op->size, ucmd.ubuffer,
				    ucmd.user_size);
	if (ret)
		return ret;
	return op->execute(&ucmd);
}

/* A new file's state: the /dev/smmu-assign file's, or a VFIO container's. */
struct smmua_ctx *smmua_ctx_alloc(void)
{
	struct smmua_ctx *ctx;
	int ret;

	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL_ACCOUNT);
	if (!ctx)
		return ERR_PTR(-ENOMEM);
	ret = smmua_events_init(&ctx->events);
	if (ret) {
		kfree(ctx);
		return ERR_PTR(ret);
	}
	mutex_init(&ctx->lock);
	xa_init_flags(&ctx->spaces, XA_FLAGS_ALLOC1);
	ctx->pid = get_task_pid(current, PIDTYPE_TGID);
	return ctx;
}

/* Close, or the death of the last process holding the file. */
void smmua_ctx_release(struct smmua_ctx *ctx)
{
	/* Groups first: a space goes only once no device reaches it. */
	smmua_ctx_release_bindings(ctx);
	smmua_ctx_release_spaces(ctx);
	xa_destroy(&ctx->spaces);
	mutex_destroy(&ctx->lock);
	smmua_events_destroy(&ctx->events);
	put_pid(ctx->pid);
	kfree(ctx);
}

static int smmu_assign_fops_open(struct inode *inode, struct file *filp)
{
	struct smmua_ctx *ctx = smmua_ctx_alloc();

	if (IS_ERR(ctx))
		return PTR_ERR(ctx);
	filp->private_data = ctx;
	return 0;
}

static int smmu_assign_fops_release(struct inode *inode, struct file *filp)
{
	smmua_ctx_release(filp->private_data);
	return 0;
}

static ssize_t smmu_assign_fops_read(struct file *filp, char __user *buf,
				     size_t count, loff_t *ppos)
{
	return smmua_events_read(filp->private_data, buf, count,
				 filp->f_flags & O_NONBLOCK);
}

static __poll_t smmu_assign_fops_poll(struct file *filp, struct poll_table_struct *wait)
{
	return smmua_events_poll(filp->private_data, filp, wait);
}

static const struct file_operations smmu_assign_fops = {
	.owner = THIS_MODULE,
	.read = smmu_assign_fops_read,
	.poll = smmu_assign_fops_poll,
	.llseek = noop_llseek,
	.open = smmu_assign_fops_open,
	.release = smmu_assign_fops_release,
	.unlocked_ioctl = smmu_assign_fops_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

static struct miscdevice smmu_assign_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "smmu-assign",
	.fops = &smmu_assign_fops,
	/*
	 * Root only by default; opening grants nothing by itself (BIND and
	 * DELEGATE need CAP_SYS_ADMIN), so the administrator may open it up
	 * (tools/udev/60-smmu-assign.rules) for delegated, unprivileged use.
	 */
	.mode = 0600,
};

static int __init smmu_assign_init(void)
{
	int ret;

	ret = smmua_mapping_init();
	if (ret)
		return ret;
	smmua_debugfs_init();
	ret = smmua_vfio_init();
	if (ret)
		goto err_debugfs;
	ret = smmua_notifier_register();
	if (ret)
		goto err_vfio;
	ret = pci_register_driver(&smmua_stub_driver);
	if (ret)
		goto err_notifier;
	ret = misc_register(&smmu_assign_misc);
	if (ret)
		goto err_stub;
	pr_info("loaded, API version %u\n", SMMU_ASSIGN_API_VERSION);
	if (!smmua_faults_delivered())
		pr_notice("faults not delivered by this kernel: its IOMMU core reports no unrecoverable faults (6.9+), arm-smmu-v3 only logs them\n");
	return 0;

err_stub:
	pci_unregister_driver(&smmua_stub_driver);
err_notifier:
	smmua_notifier_unregister();
err_vfio:
	smmua_vfio_exit();
err_debugfs:
	smmua_debugfs_exit();
	smmua_mapping_exit();
	return ret;
}

static void __exit smmu_assign_exit(void)
{
	misc_deregister(&smmu_assign_misc);
	/* No file is open any more: only persistent bindings are left. */
	smmua_unbind_all();
	pci_unregister_driver(&smmua_stub_driver);
	smmua_notifier_unregister();
	smmua_vfio_exit();
	smmua_debugfs_exit();
	smmua_mapping_exit();
}

module_init(smmu_assign_init);
module_exit(smmu_assign_exit);

MODULE_DESCRIPTION("Assign PCI devices to userspace with SMMUv3-enforced DMA isolation");
MODULE_AUTHOR("smmu-assign developers");
MODULE_LICENSE("GPL");
