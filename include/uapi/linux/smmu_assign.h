/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * smmu-assign: hand a PCI device's DMA, confined by the SMMUv3, to one owner.
 *
 * The ioctls of /dev/smmu-assign follow the iommufd conventions:
 *
 *  - Every ioctl takes one struct whose first member is __u32 size, set by
 *    userspace to sizeof() of the struct it was compiled with. The kernel
 *    accepts any size from the struct's first version upwards.
 *  - A size below the first version's size fails with EINVAL. Bytes past the
 *    end the kernel knows must be zero, or the call fails with E2BIG.
 *  - Unknown flags and non-zero reserved fields fail with EOPNOTSUPP.
 *  - An unknown ioctl number fails with ENOTTY.
 *  - Output fields are prefixed out_; the kernel writes back at most size
 *    bytes.
 *
 * Documentation/uapi.rst describes every ioctl and errno.
 */
#ifndef _UAPI_LINUX_SMMU_ASSIGN_H
#define _UAPI_LINUX_SMMU_ASSIGN_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define SMMU_ASSIGN_TYPE	'S'
#define SMMU_ASSIGN_CMD_BASE	0x80

/* Bumped on an incompatible change; additions are found by size and caps. */
#define SMMU_ASSIGN_API_VERSION	1

enum {
	SMMU_ASSIGN_CMD_GET_INFO = SMMU_ASSIGN_CMD_BASE,
};

/**
 * struct smmu_assign_get_info - ioctl(SMMU_ASSIGN_GET_INFO)
 * @size: sizeof(struct smmu_assign_get_info)
 * @flags: must be 0
 * @out_api_version: SMMU_ASSIGN_API_VERSION of the running module
 * @__reserved: must be 0
 * @out_capabilities: SMMU_ASSIGN_CAP_* bits of what the module supports
 *
 * Tells userspace which interface the loaded module speaks.
 */
struct smmu_assign_get_info {
	__u32 size;
	__u32 flags;
	__u32 out_api_version;
	__u32 __reserved;
	__aligned_u64 out_capabilities;
};
#define SMMU_ASSIGN_GET_INFO	_IO(SMMU_ASSIGN_TYPE, SMMU_ASSIGN_CMD_GET_INFO)

#endif /* _UAPI_LINUX_SMMU_ASSIGN_H */
