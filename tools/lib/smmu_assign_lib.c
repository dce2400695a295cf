// SPDX-License-Identifier: GPL-2.0
/*
 * libsmmu-assign: the BDF parser and thin, errno-returning wrappers around
 * the ioctls.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "smmu_assign_lib.h"

/* One hex field of at most maxdigits digits, no sign, value <= max. */
static const char *parse_hex_field(const char *s, unsigned int maxdigits,
				   unsigned long max, unsigned long *val)
{
	unsigned int n = 0;
	unsigned long v = 0;

	while (isxdigit((unsigned char)s[n])) {
		if (++n > maxdigits)
			return NULL;
		v = v * 16 + (isdigit((unsigned char)s[n - 1]) ?
			      s[n - 1] - '0' : (tolower((unsigned char)s[n - 1]) - 'a' + 10));
	}
	if (!n || v > max)
		return NULL;
	*val = v;
	return s + n;
}

int smmua_parse_bdf(const char *str, struct smmu_assign_bdf *bdf)
{
	unsigned long seg = 0, bus, dev, fn;
	const char *p, *colon1, *colon2;

	if (!str)
		return -EINVAL;
	colon1 = strchr(str, ':');
	if (!colon1)
		return -EINVAL;
	colon2 = strchr(colon1 + 1, ':');
	p = str;
	if (colon2) {
		p = parse_hex_field(p, 4, 0xffff, &seg);
		if (!p || *p != ':')
			return -EINVAL;
		p++;
	}
	p = parse_hex_field(p, 2, 0xff, &bus);
	if (!p || *p != ':')
		return -EINVAL;
	p = parse_hex_field(p + 1, 2, 0x1f, &dev);
	if (!p || *p != '.')
		return -EINVAL;
	p = parse_hex_field(p + 1, 1, 0x7, &fn);
	if (!p || *p)
		return -EINVAL;

	memset(bdf, 0, sizeof(*bdf));
	bdf->segment = seg;
	bdf->bus = bus;
	bdf->device = dev;
	bdf->function = fn;
	return 0;
}

void smmua_format_bdf(const struct smmu_assign_bdf *bdf, char *buf, size_t len)
{
	snprintf(buf, len, "%04x:%02x:%02x.%x", bdf->segment, bdf->bus,
		 bdf->device, bdf->function);
}

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

int smmua_bind(int fd, const struct smmu_assign_bdf *bdf, __u32 flags,
	       __u64 iova, __u64 length, struct smmu_assign_bind *out)
{
	struct smmu_assign_bind cmd = {
		.flags = flags,
		.bdf = *bdf,
		.window_iova = iova,
		.window_length = length,
	};
	int ret = smmua_ioctl(fd, SMMU_ASSIGN_BIND, &cmd, sizeof(cmd));

	if (!ret && out)
		*out = cmd;
	return ret;
}

int smmua_unbind(int fd, const struct smmu_assign_bdf *bdf)
{
	struct smmu_assign_unbind cmd = { .bdf = *bdf };

	return smmua_ioctl(fd, SMMU_ASSIGN_UNBIND, &cmd, sizeof(cmd));
}

int smmua_map(int fd, const struct smmu_assign_bdf *bdf, __u32 flags,
	      void *user_va, __u64 iova, __u64 length)
{
	struct smmu_assign_map cmd = {
		.flags = flags,
		.bdf = *bdf,
		.user_va = (uintptr_t)user_va,
		.iova = iova,
		.length = length,
	};

	return smmua_ioctl(fd, SMMU_ASSIGN_MAP, &cmd, sizeof(cmd));
}

int smmua_unmap(int fd, const struct smmu_assign_bdf *bdf, __u32 flags,
		__u64 iova, __u64 length, __u64 *unmapped)
{
	struct smmu_assign_unmap cmd = {
		.flags = flags,
		.bdf = *bdf,
		.iova = iova,
		.length = length,
	};
	int ret = smmua_ioctl(fd, SMMU_ASSIGN_UNMAP, &cmd, sizeof(cmd));

	if (!ret && unmapped)
		*unmapped = cmd.out_unmapped_length;
	return ret;
}

int smmua_claim(int fd, const struct smmu_assign_bdf *bdf, __u32 flags)
{
	struct smmu_assign_claim cmd = { .flags = flags, .bdf = *bdf };

	return smmua_ioctl(fd, SMMU_ASSIGN_CLAIM, &cmd, sizeof(cmd));
}

int smmua_delegate(int fd, const struct smmu_assign_bdf *bdf, __u32 uid, __u32 gid)
{
	struct smmu_assign_delegate cmd = { .bdf = *bdf, .uid = uid, .gid = gid };

	return smmua_ioctl(fd, SMMU_ASSIGN_DELEGATE, &cmd, sizeof(cmd));
}
