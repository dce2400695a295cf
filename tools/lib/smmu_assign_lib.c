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

int smmua_bind_cmd(int fd, struct smmu_assign_bind *cmd)
{
	return smmua_ioctl(fd, SMMU_ASSIGN_BIND, cmd, sizeof(*cmd));
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
	int ret = smmua_bind_cmd(fd, &cmd);

	if (!ret && out)
		*out = cmd;
	return ret;
}

int smmua_bind_space(int fd, const struct smmu_assign_bdf *bdf, __u32 space_id,
		     struct smmu_assign_bind *out)
{
	struct smmu_assign_bind cmd = { .bdf = *bdf, .space_id = space_id };
	int ret = smmua_bind_cmd(fd, &cmd);

	if (!ret && out)
		*out = cmd;
	return ret;
}

int smmua_unbind(int fd, const struct smmu_assign_bdf *bdf)
{
	struct smmu_assign_unbind cmd = { .bdf = *bdf };

	return smmua_ioctl(fd, SMMU_ASSIGN_UNBIND, &cmd, sizeof(cmd));
}

int smmua_map(int fd, __u32 space_id, __u32 flags, void *user_va, __u64 iova,
	      __u64 length)
{
	struct smmu_assign_map cmd = {
		.flags = flags,
		.space_id = space_id,
		.user_va = (uintptr_t)user_va,
		.iova = iova,
		.length = length,
	};

	return smmua_ioctl(fd, SMMU_ASSIGN_MAP, &cmd, sizeof(cmd));
}

int smmua_unmap(int fd, __u32 space_id, __u32 flags, __u64 iova, __u64 length,
		__u64 *unmapped)
{
	struct smmu_assign_unmap cmd = {
		.flags = flags,
		.space_id = space_id,
		.iova = iova,
		.length = length,
	};
	int ret = smmua_ioctl(fd, SMMU_ASSIGN_UNMAP, &cmd, sizeof(cmd));

	if (!ret && unmapped)
		*unmapped = cmd.out_unmapped_length;
	return ret;
}

int smmua_map_vec(int fd, __u32 space_id, const struct smmu_assign_map_entry *e,
		  __u32 n, __u64 *out_num_runs)
{
	struct smmu_assign_map_vec cmd = {
		.space_id = space_id,
		.num_entries = n,
		.entries = (uintptr_t)e,
	};
	int ret = smmua_ioctl(fd, SMMU_ASSIGN_MAP_VEC, &cmd, sizeof(cmd));

	if (!ret && out_num_runs)
		*out_num_runs = cmd.out_num_runs;
	return ret;
}

int smmua_unmap_vec(int fd, __u32 space_id, const struct smmu_assign_iova_range *r,
		    __u32 n, __u64 *out_unmapped_length, __u32 *out_unmapped_count)
{
	struct smmu_assign_unmap_vec cmd = {
		.space_id = space_id,
		.num_entries = n,
		.ranges = (uintptr_t)r,
	};
	int ret = smmua_ioctl(fd, SMMU_ASSIGN_UNMAP_VEC, &cmd, sizeof(cmd));

	if (!ret && out_unmapped_length)
		*out_unmapped_length = cmd.out_unmapped_length;
	if (!ret && out_unmapped_count)
		*out_unmapped_count = cmd.out_unmapped_count;
	return ret;
}

int smmua_claim(int fd, const struct smmu_assign_bdf *bdf, __u32 flags,
		__u32 space_id, __u32 *out_space_id)
{
	struct smmu_assign_claim cmd = {
		.flags = flags,
		.bdf = *bdf,
		.space_id = space_id,
	};
	int ret = smmua_ioctl(fd, SMMU_ASSIGN_CLAIM, &cmd, sizeof(cmd));

	if (!ret && out_space_id)
		*out_space_id = cmd.out_space_id;
	return ret;
}

int smmua_delegate(int fd, const struct smmu_assign_bdf *bdf, __u32 uid, __u32 gid)
{
	struct smmu_assign_delegate cmd = { .bdf = *bdf, .uid = uid, .gid = gid };

	return smmua_ioctl(fd, SMMU_ASSIGN_DELEGATE, &cmd, sizeof(cmd));
}

int smmua_device_fd(int fd, const struct smmu_assign_bdf *bdf)
{
	struct smmu_assign_device_fd cmd = { .bdf = *bdf };
	int ret = smmua_ioctl(fd, SMMU_ASSIGN_DEVICE_FD, &cmd, sizeof(cmd));

	return ret ? ret : cmd.out_fd;
}

int smmua_space_alloc(int fd, const char *name, __u32 *space_id)
{
	struct smmu_assign_space_alloc cmd = { 0 };
	int ret;

	/* Never truncate: a cut name would be another space's name. */
	if (name && strlen(name) >= sizeof(cmd.name))
		return -EINVAL;
	if (name)
		strcpy(cmd.name, name);
	ret = smmua_ioctl(fd, SMMU_ASSIGN_SPACE_ALLOC, &cmd, sizeof(cmd));
	if (!ret && space_id)
		*space_id = cmd.out_space_id;
	return ret;
}

int smmua_space_destroy(int fd, __u32 space_id)
{
	struct smmu_assign_space_destroy cmd = { .space_id = space_id };

	return smmua_ioctl(fd, SMMU_ASSIGN_SPACE_DESTROY, &cmd, sizeof(cmd));
}

int smmua_space_allow_iovas(int fd, __u32 space_id,
			    const struct smmu_assign_iova_range *ranges, size_t num)
{
	struct smmu_assign_space_allow_iovas cmd = {
		.space_id = space_id,
		.num_ranges = num,
		.ranges = (uintptr_t)ranges,
	};

	/* The kernel refuses a long list; a truncated count it could not. */
	if (num != (__u32)num)
		return -EINVAL;
	return smmua_ioctl(fd, SMMU_ASSIGN_SPACE_ALLOW_IOVAS, &cmd, sizeof(cmd));
}

void smmua_space_desc_free(struct smmua_space_desc *desc)
{
	free(desc->ranges);
	free(desc->reserved);
	free(desc->devices);
	memset(desc, 0, sizeof(*desc));
}

/* Make room for want entries of size each in *arr (capacity *cap). */
static int grow(void **arr, __u32 *cap, __u32 want, size_t size)
{
	void *n;

	if (want <= *cap)
		return 0;
	n = realloc(*arr, (size_t)want * size);
	if (!n)
		return -ENOMEM;
	*arr = n;
	*cap = want;
	return 0;
}

int smmua_space_info(int fd, __u32 space_id, const struct smmu_assign_bdf *bdf,
		     struct smmua_space_desc *desc)
{
	struct smmu_assign_space_info *cmd = &desc->info;
	__u32 nr = 0, nres = 0, ndev = 0;
	int ret;

	memset(desc, 0, sizeof(*desc));
	/*
	 * Ask with the arrays we have; EMSGSIZE fills every count, so grow to
	 * them and ask again. Devices and ranges may change between calls.
	 */
	for (;;) {
		memset(cmd, 0, sizeof(*cmd));
		if (bdf) {
			cmd->flags = SMMU_ASSIGN_BY_DEVICE;
			cmd->bdf = *bdf;
		} else {
			cmd->space_id = space_id;
		}
		cmd->num_ranges = nr;
		cmd->ranges = (uintptr_t)desc->ranges;
		cmd->num_reserved = nres;
		cmd->reserved = (uintptr_t)desc->reserved;
		cmd->num_devices = ndev;
		cmd->devices = (uintptr_t)desc->devices;
		ret = smmua_ioctl(fd, SMMU_ASSIGN_SPACE_INFO, cmd, sizeof(*cmd));
		if (ret != -EMSGSIZE)
			break;
		/* A short array must have grown; else the answer is broken. */
		if (cmd->num_ranges <= nr && cmd->num_reserved <= nres &&
		    cmd->num_devices <= ndev)
			break;
		ret = grow((void **)&desc->ranges, &nr, cmd->num_ranges,
			   sizeof(*desc->ranges));
		if (!ret)
			ret = grow((void **)&desc->reserved, &nres, cmd->num_reserved,
				   sizeof(*desc->reserved));
		if (!ret)
			ret = grow((void **)&desc->devices, &ndev, cmd->num_devices,
				   sizeof(*desc->devices));
		if (ret)
			break;
	}
	if (ret) {
		smmua_space_desc_free(desc);
		return ret;
	}
	desc->num_ranges = cmd->num_ranges;
	desc->num_reserved = cmd->num_reserved;
	desc->num_devices = cmd->num_devices;
	/* The header promises NULL for an empty array. */
	if (!desc->num_ranges) {
		free(desc->ranges);
		desc->ranges = NULL;
	}
	if (!desc->num_reserved) {
		free(desc->reserved);
		desc->reserved = NULL;
	}
	if (!desc->num_devices) {
		free(desc->devices);
		desc->devices = NULL;
	}
	return 0;
}
