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
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <uapi/linux/smmu_assign.h>

#include "smmu_assign.h"

/* The state of one open file: the owner of the devices it binds. */
struct smmu_assign_ctx {
	struct file *file;
};

int smmu_assign_ucmd_respond(struct smmu_assign_ucmd *ucmd, size_t cmd_len)
{
	if (copy_to_user(ucmd->ubuffer, ucmd->cmd,
			 min_t(size_t, ucmd->user_size, cmd_len)))
		return -EFAULT;
	return 0;
}

static int smmu_assign_get_info(struct smmu_assign_ucmd *ucmd)
{
	struct smmu_assign_get_info *cmd = ucmd->cmd;

	if (cmd->flags)
		return -EOPNOTSUPP;
	if (cmd->__reserved)
		return -EOPNOTSUPP;

	cmd->out_api_version = SMMU_ASSIGN_API_VERSION;
	cmd->out_capabilities = 0;
	return smmu_assign_ucmd_respond(ucmd, sizeof(*cmd));
}

/* Every command struct, so the dispatcher can size its on-stack buffer. */
union smmu_assign_ucmd_buffer {
	struct smmu_assign_get_info get_info;
};

struct smmu_assign_ioctl_op {
	unsigned int size;
	unsigned int min_size;
	unsigned int ioctl_num;
	int (*execute)(struct smmu_assign_ucmd *ucmd);
};

#define IOCTL_OP(_ioctl, _fn, _struct, _last)                                 \
	[_IOC_NR(_ioctl) - SMMU_ASSIGN_CMD_BASE] = {                           \
		.size = sizeof(_struct) +                                      \
			BUILD_BUG_ON_ZERO(sizeof(union smmu_assign_ucmd_buffer) < \
					  sizeof(_struct)),                     \
		.min_size = offsetofend(_struct, _last),                       \
		.ioctl_num = _ioctl,                                           \
		.execute = _fn,                                                \
	}

static const struct smmu_assign_ioctl_op smmu_assign_ioctl_ops[] = {
	IOCTL_OP(SMMU_ASSIGN_GET_INFO, smmu_assign_get_info,
		 struct smmu_assign_get_info, out_capabilities),
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

	ucmd.ctx = filp->private_data;
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

static int smmu_assign_fops_open(struct inode *inode, struct file *filp)
{
	struct smmu_assign_ctx *ctx;

	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL_ACCOUNT);
	if (!ctx)
		return -ENOMEM;
	ctx->file = filp;
	filp->private_data = ctx;
	return 0;
}

static int smmu_assign_fops_release(struct inode *inode, struct file *filp)
{
	kfree(filp->private_data);
	return 0;
}

static const struct file_operations smmu_assign_fops = {
	.owner = THIS_MODULE,
	.open = smmu_assign_fops_open,
	.release = smmu_assign_fops_release,
	.unlocked_ioctl = smmu_assign_fops_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

static struct miscdevice smmu_assign_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "smmu-assign",
	.fops = &smmu_assign_fops,
	/* Binding a device hands out control of its DMA: root only. */
	.mode = 0600,
};

static int __init smmu_assign_init(void)
{
	int ret;

	ret = misc_register(&smmu_assign_misc);
	if (ret)
		return ret;
	pr_info("loaded, API version %u\n", SMMU_ASSIGN_API_VERSION);
	return 0;
}

static void __exit smmu_assign_exit(void)
{
	misc_deregister(&smmu_assign_misc);
}

module_init(smmu_assign_init);
module_exit(smmu_assign_exit);

MODULE_DESCRIPTION("Assign PCI devices to userspace with SMMUv3-enforced DMA isolation");
MODULE_AUTHOR("smmu-assign developers");
MODULE_LICENSE("GPL");
