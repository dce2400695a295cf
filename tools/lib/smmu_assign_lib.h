/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libsmmu-assign: the one userspace library of smmu-assign, used by smmuctl,
 * the selftests and the examples. Functions return 0 or a negative errno.
 */
#ifndef SMMU_ASSIGN_LIB_H
#define SMMU_ASSIGN_LIB_H

#include <linux/smmu_assign.h>

#define SMMU_ASSIGN_DEV_PATH "/dev/smmu-assign"

/* Open /dev/smmu-assign: a file descriptor, or a negative errno. */
int smmua_open(void);

/* SMMU_ASSIGN_GET_INFO into *info. */
int smmua_get_info(int fd, struct smmu_assign_get_info *info);

#endif /* SMMU_ASSIGN_LIB_H */
