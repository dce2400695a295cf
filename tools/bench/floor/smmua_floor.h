/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * The bench-only floor module's interface (/dev/smmua-floor): the kernel's
 * own calls with nothing around them, to measure smmu-assign against.
 * Never shipped.
 */
#ifndef _SMMUA_FLOOR_H
#define _SMMUA_FLOOR_H

#include <linux/ioctl.h>
#include <linux/types.h>

struct smmua_floor_attach {
	__u16 domain;
	__u8 bus;
	__u8 devfn;
};

/* Pin [uaddr, uaddr + length) and map it at iova; UNMAP takes iova only. */
struct smmua_floor_map {
	__u64 uaddr;
	__u64 iova;
	__u64 length;
	__u64 out_runs;
};

#define SMMUA_FLOOR_ATTACH	_IOW('F', 1, struct smmua_floor_attach)
#define SMMUA_FLOOR_MAP		_IOWR('F', 2, struct smmua_floor_map)
#define SMMUA_FLOOR_UNMAP	_IOW('F', 3, struct smmua_floor_map)

#endif
