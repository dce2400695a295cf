/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libsmmu-assign: the one userspace library of smmu-assign, used by smmuctl,
 * the selftests and the examples. Functions return 0 or a negative errno.
 */
#ifndef SMMU_ASSIGN_LIB_H
#define SMMU_ASSIGN_LIB_H

#include <stddef.h>
#include <linux/smmu_assign.h>

#define SMMU_ASSIGN_DEV_PATH "/dev/smmu-assign"

/* Canonical text form of a BDF: "0000:00:02.0" plus the terminator. */
#define SMMUA_BDF_STRLEN 13

/*
 * Parse a BDF in the lspci slot syntax: [domain:]bus:device.function, all
 * hex, domain <= ffff, bus <= ff, device <= 1f, function <= 7. Returns 0 or
 * -EINVAL.
 */
int smmua_parse_bdf(const char *str, struct smmu_assign_bdf *bdf);

/* Format as "0000:bb:dd.f" into buf (at least SMMUA_BDF_STRLEN bytes). */
void smmua_format_bdf(const struct smmu_assign_bdf *bdf, char *buf, size_t len);

/* Open /dev/smmu-assign: a file descriptor, or a negative errno. */
int smmua_open(void);

/* SMMU_ASSIGN_GET_INFO into *info. */
int smmua_get_info(int fd, struct smmu_assign_get_info *info);

/*
 * SMMU_ASSIGN_BIND of bdf with the window [iova, iova + length). The
 * kernel's answer (SIDs, group, aperture...) is left in *out when non-NULL.
 */
int smmua_bind(int fd, const struct smmu_assign_bdf *bdf, __u32 flags,
	       __u64 iova, __u64 length, struct smmu_assign_bind *out);

int smmua_unbind(int fd, const struct smmu_assign_bdf *bdf);

/* Map length bytes at user_va to iova; flags SMMU_ASSIGN_MAP_READ/WRITE. */
int smmua_map(int fd, const struct smmu_assign_bdf *bdf, __u32 flags,
	      void *user_va, __u64 iova, __u64 length);

/*
 * Unmap the mappings inside [iova, iova + length), or all of them with
 * SMMU_ASSIGN_UNMAP_ALL. Bytes unmapped go to *unmapped when non-NULL.
 */
int smmua_unmap(int fd, const struct smmu_assign_bdf *bdf, __u32 flags,
		__u64 iova, __u64 length, __u64 *unmapped);

/* Claim a persistent binding, or with SMMU_ASSIGN_CLAIM_RELEASE give it back. */
int smmua_claim(int fd, const struct smmu_assign_bdf *bdf, __u32 flags);

#endif /* SMMU_ASSIGN_LIB_H */
