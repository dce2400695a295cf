/* SPDX-License-Identifier: GPL-2.0 */
/*
 * smmu-assign internal interfaces.
 */
#ifndef _SMMU_ASSIGN_H
#define _SMMU_ASSIGN_H

#include <linux/types.h>

struct smmu_assign_ctx;

/*
 * One ioctl call in flight: the user's buffer and the size it claimed, and
 * the kernel's zero-extended copy of the command.
 */
struct smmu_assign_ucmd {
	struct smmu_assign_ctx *ctx;
	void __user *ubuffer;
	u32 user_size;
	void *cmd;
};

int smmu_assign_ucmd_respond(struct smmu_assign_ucmd *ucmd, size_t cmd_len);

#endif /* _SMMU_ASSIGN_H */
