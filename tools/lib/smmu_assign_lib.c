// SPDX-License-Identifier: GPL-2.0
/*
 * libsmmu-assign: thin, errno-returning wrappers around the ioctls.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>

#include "smmu_assign_lib.h"

int smmua_open(void)
{
	int fd = open(SMMU_ASSIGN_DEV_PATH, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

/* Issue one size-first command, setting its size field. */
static int smmua_ioctl(int fd, unsigned long cmd, void *arg, __u32 size)
{
	*(__u32 *)arg = size;
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

int smmua_get_info(int fd, struct smmu_assign_get_info *info)
{
	memset(info, 0, sizeof(*info));
	return smmua_ioctl(fd, SMMU_ASSIGN_GET_INFO, info, sizeof(*info));
}
