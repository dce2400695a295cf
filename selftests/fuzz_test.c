// SPDX-License-Identifier: GPL-2.0
/*
 * A structured, seeded ioctl fuzzer. Every call picks a file, an ioctl and,
 * field by field, a boundary or random value: sizes around the struct's,
 * tails zero or not, flags, reserved fields, BDFs real and not (a device
 * alone in its group, or one of a group of two), space ids
 * of the file and not, space names valid and not, IOVAs and lengths at
 * page, window, MSI-window and wrap-around edges, lists of allowed ranges
 * (overlapping, wrapping, over the MSI window, too many), MAP_VEC entries
 * and UNMAP_VEC ranges (overlapping, none, the most a call takes and one
 * more), user addresses mapped, unmapped and read-only. Between calls files are closed and
 * reopened, and now and then the module's share_domains is flipped, so
 * that groups of a space share a domain or get mirrored ones. DEVICE_FD
 * opens device fds, which then take VFIO device-ABI calls (info, regions,
 * interrupts with eventfds and not, config reads and writes, reset); VFIO
 * containers and group nodes take the container and group ABI. Every
 * answer must be success or an errno the ABI documents (for the VFIO
 * calls: one vfio-pci-core or VFIO type1 gives); at
 * the end, with every file closed, nothing may stay bound, pinned or
 * charged. The kernel log (KASAN, lockdep, UBSAN, kmemleak on the debug
 * kernel) is judged by the test bed.
 *
 * SMMU_ASSIGN_FUZZ_SEED=N replays a run; SMMU_ASSIGN_FUZZ_CALLS=N sets its
 * length (default 100000, 20000 on a kernel with kmemleak).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <linux/vfio.h>

#include "kselftest_harness.h"
#include "smmu_assign_lib.h"
#include "testlib.h"

#define NFILES		3
#define POOL_PAGES	64
#define WIN_IOVA	0x1000000ULL
#define WIN_LEN		0x4000000ULL
#define NRANGES		8
#define NDEVFDS		4

static uint64_t rng;

/* xorshift64*: small, fast and replayable from the seed. */
static uint64_t rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 2685821657736338717ULL;
}

static uint64_t pick(const uint64_t *v, size_t n)
{
	return v[rnd() % n];
}

#define PICK(...) ({ const uint64_t __v[] = { __VA_ARGS__ }; pick(__v, sizeof(__v) / sizeof(__v[0])); })

struct fuzz {
	int fd[NFILES];
	char names[TL_MAX_DEVS][SMMUA_BDF_STRLEN];
	struct smmu_assign_bdf bdfs[TL_MAX_DEVS];
	int nr;
	uint8_t *pool;		/* POOL_PAGES pages, read-write */
	uint8_t *ro;		/* one read-only page */
	uint8_t *hole;		/* one page that is not mapped */
	unsigned long page;
	int devfd[NDEVFDS];	/* device fds DEVICE_FD gave, or -1 */
	int container;		/* a VFIO container, or -1 */
	int group;		/* a VFIO group node, or -1 */
	int efd;		/* an eventfd for SET_IRQS */
};

/* Mostly the struct's own size; sometimes short, long, or absurd. */
static uint32_t fuzz_size(size_t size, size_t min)
{
	switch (rnd() % 8) {
	case 0:
		return PICK(0, 4, min - 1, min, size - 1, size + 8, size + 64, 4096, UINT32_MAX);
	default:
		return size;
	}
}

static uint32_t fuzz_flags(uint32_t valid)
{
	switch (rnd() % 6) {
	case 0:
		return rnd();
	case 1:
		return 1U << (rnd() % 32);
	case 2:
		return 0;
	default:
		return valid & rnd();
	}
}

static uint32_t fuzz_reserved(void)
{
	return rnd() % 16 ? 0 : rnd();
}

static struct smmu_assign_bdf fuzz_bdf(struct fuzz *f)
{
	struct smmu_assign_bdf b = {};

	switch (rnd() % 10) {
	case 0:
		b.segment = rnd();
		b.bus = rnd();
		b.device = rnd();
		b.function = rnd();
		break;
	case 1:
		b = f->bdfs[rnd() % f->nr];
		b.__reserved[rnd() % 3] = rnd() | 1;
		break;
	case 2:
		b.device = 31;		/* no such device */
		break;
	default:
		b = f->bdfs[rnd() % f->nr];
	}
	return b;
}

static uint64_t fuzz_iova(struct fuzz *f)
{
	uint64_t p = f->page;

	return PICK(0, p, WIN_IOVA, WIN_IOVA + p, WIN_IOVA + WIN_LEN - p,
		    WIN_IOVA + WIN_LEN, WIN_IOVA - p, 0x8000000, 0x8000000 - p,
		    WIN_IOVA + (rnd() % 64) * p, WIN_IOVA + 1, 1ULL << 44, UINT64_MAX,
		    UINT64_MAX - p + 1, rnd());
}

static uint64_t fuzz_length(struct fuzz *f)
{
	uint64_t p = f->page;

	return PICK(0, 1, p - 1, p, 2 * p, 3 * p, POOL_PAGES * p, (POOL_PAGES + 1) * p,
		    WIN_LEN, WIN_LEN + p, UINT64_MAX, UINT64_MAX - p + 1, 1ULL << 63, rnd());
}

/* Mostly ids a file may have (spaces count from 1), sometimes not. */
static uint32_t fuzz_space(void)
{
	switch (rnd() % 10) {
	case 0:
		return 0;
	case 1:
		return PICK(UINT32_MAX, 65535, 65536, 100, rnd());
	default:
		return 1 + rnd() % 4;
	}
}

/* A space name: none, a few valid ones (so some collide), or malformed. */
static void fuzz_name(char name[SMMU_ASSIGN_SPACE_NAME_LEN])
{
	static const char * const good[] = { "vm0", "vm1", "a.b_c-9" };
	size_t i;

	memset(name, 0, SMMU_ASSIGN_SPACE_NAME_LEN);
	switch (rnd() % 8) {
	case 0:
	case 1:
	case 2:
		break;
	case 3:
		/* Unterminated. */
		memset(name, 'x', SMMU_ASSIGN_SPACE_NAME_LEN);
		break;
	case 4:
		/* A character outside the set, or bytes after the terminator. */
		strcpy(name, rnd() & 1 ? "vm 0" : "vm/0");
		if (rnd() & 1)
			name[10] = rnd() | 1;
		break;
	case 5:
		for (i = 0; i < SMMU_ASSIGN_SPACE_NAME_LEN; i++)
			name[i] = rnd();
		break;
	default:
		strcpy(name, good[rnd() % 3]);
	}
}

static uint64_t fuzz_uva(struct fuzz *f)
{
	uint64_t p = f->page;

	return PICK((uintptr_t)f->pool, (uintptr_t)f->pool + (rnd() % POOL_PAGES) * p,
		    (uintptr_t)f->pool + 1, (uintptr_t)f->ro, (uintptr_t)f->hole,
		    (uintptr_t)f->pool + (POOL_PAGES - 1) * p, 0, UINT64_MAX - p + 1,
		    0xffff000000000000ULL, rnd());
}

/* The errnos the ABI documents across the ioctls. */
static bool documented(int err)
{
	switch (err) {
	case EINVAL: case EOPNOTSUPP: case E2BIG: case ENOENT: case EPERM:
	case EBUSY: case EEXIST: case ERANGE: case EOVERFLOW: case EFAULT:
	case ENOMEM: case ENOSPC: case ENODEV: case EADDRINUSE: case EMSGSIZE:
	case EALREADY: case EBADF: case ENOTTY:
		return true;
	}
	return false;
}

/* Allowed ranges: the window, its neighbours, the MSI window, edges, junk. */
/* What vfio-pci-core and VFIO type1 answer bad input with, besides ours. */
static bool vfio_errno(int err)
{
	switch (err) {
	case EINVAL: case EFAULT: case ENOTTY: case EBADF: case ENODEV:
	case EBUSY: case ENOSPC: case EOPNOTSUPP: case ENOMEM: case EAGAIN:
	case EEXIST: case EPERM: case ENOENT: case EIO:
	/*
	 * vfio-pci's own: SET_IRQS enabling MSI or MSI-X with no vector
	 * (count 0) asks pci_alloc_irq_vectors() for 1 to 0 of them.
	 */
	case ERANGE:
		return true;
	default:
		return false;
	}
}

static void fuzz_keep_fd(int *slot, int fd)
{
	if (*slot >= 0)
		close(*slot);
	*slot = fd;
}

/* A call on a device fd: VFIO's device ABI, fields at their edges. */
static int fuzz_devfd_call(struct fuzz *f, int dev)
{
	union {
		struct vfio_device_info info;
		struct vfio_region_info region;
		struct vfio_irq_info irq;
		struct vfio_irq_set set;
		uint8_t raw[256];
	} u;
	uint64_t off;
	uint32_t val;
	int32_t *fds;
	ssize_t n;
	int ret;

	memset(&u, 0, sizeof(u));
	switch (rnd() % 7) {
	case 0:
		u.info.argsz = PICK(sizeof(u.info), 0, 4, sizeof(u.info) - 1, 256, rnd());
		ret = ioctl(dev, VFIO_DEVICE_GET_INFO, &u);
		break;
	case 1:
		u.region.argsz = PICK(sizeof(u.region), 0, sizeof(u.region) - 1, 256, rnd());
		u.region.index = PICK(0, 1, 5, VFIO_PCI_ROM_REGION_INDEX,
				      VFIO_PCI_CONFIG_REGION_INDEX, VFIO_PCI_NUM_REGIONS, UINT32_MAX,
				      rnd());
		ret = ioctl(dev, VFIO_DEVICE_GET_REGION_INFO, &u);
		break;
	case 2:
		u.irq.argsz = PICK(sizeof(u.irq), 0, sizeof(u.irq) - 1, rnd());
		u.irq.index = PICK(0, 1, 2, 3, 4, VFIO_PCI_NUM_IRQS, UINT32_MAX, rnd());
		ret = ioctl(dev, VFIO_DEVICE_GET_IRQ_INFO, &u);
		break;
	case 3:
		/* SET_IRQS: flags, index, start, count and the eventfds. */
		u.set.argsz = PICK(sizeof(u.set) + 2 * sizeof(int32_t), sizeof(u.set),
				   sizeof(u.set) - 1, 256, rnd());
		u.set.flags = PICK(VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER,
				   VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER,
				   VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_UNMASK,
				   VFIO_IRQ_SET_DATA_BOOL | VFIO_IRQ_SET_ACTION_MASK,
				   VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_UNMASK,
				   rnd() & 0xffff);
		u.set.index = PICK(0, 1, 2, 3, 4, VFIO_PCI_NUM_IRQS, rnd());
		u.set.start = PICK(0, 0, 1, 31, UINT32_MAX, rnd());
		u.set.count = PICK(0, 1, 1, 2, 32, UINT32_MAX, rnd());
		fds = (int32_t *)u.set.data;
		fds[0] = PICK(f->efd, f->efd, -1, f->fd[0], 9999, rnd());
		fds[1] = PICK(f->efd, -1, rnd());
		ret = ioctl(dev, VFIO_DEVICE_SET_IRQS, &u);
		break;
	case 4:
		ret = ioctl(dev, VFIO_DEVICE_RESET);
		break;
	case 5:
		/* Config space: read anywhere; writes are virtualized. */
		off = ((uint64_t)VFIO_PCI_CONFIG_REGION_INDEX << 40) +
		      PICK(0, 4, 0x10, 0x3c, 0x40, 0xfc, 0xfff, 0x1000, rnd() % 4096);
		if (rnd() & 1) {
			n = pread(dev, &val, PICK(1, 2, 4, 3), off);
		} else {
			val = rnd();
			/* Not the command register: BAR reads need decoding on. */
			n = off % 4096 < 8 ? 0 : pwrite(dev, &val, PICK(1, 2, 4), off);
		}
		ret = n < 0 ? -1 : 0;
		break;
	default:
		/* Reads of regions at their edges; no BAR writes: they start DMA. */
		off = ((uint64_t)PICK(0, 1, 6, 8, 9, 0xffff, rnd() % 16) << 40) +
		      PICK(0, 4, 0xffc, 0x100000, rnd());
		n = pread(dev, &val, 4, off);
		ret = n < 0 ? -1 : 0;
		break;
	}
	return ret ? -errno : 0;
}

/* A call on a VFIO container or group node of ours. */
static int fuzz_vfio_call(struct fuzz *f)
{
	union {
		struct vfio_iommu_type1_info info;
		struct vfio_iommu_type1_dma_map map;
		struct vfio_iommu_type1_dma_unmap unmap;
		struct vfio_group_status status;
		uint8_t raw[512];
	} u;
	char path[64];
	int ret, fd;

	memset(&u, 0, sizeof(u));
	switch (rnd() % 10) {
	case 0:
		fd = open(SMMUA_VFIO_CONTAINER, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		fuzz_keep_fd(&f->container, fd);
		return 0;
	case 1:
		snprintf(path, sizeof(path), SMMUA_VFIO_DIR "/%d", (int)(rnd() % 12));
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			return errno == ENOENT ? 0 : -errno;	/* no such group node */
		fuzz_keep_fd(&f->group, fd);
		return 0;
	case 2:
		fd = PICK(f->container, f->container, f->fd[0], f->efd, -1, 9999);
		ret = ioctl(f->group, VFIO_GROUP_SET_CONTAINER, &fd);
		break;
	case 3:
		ret = ioctl(f->group, PICK(VFIO_GROUP_UNSET_CONTAINER, VFIO_GROUP_GET_STATUS),
			    &u);
		break;
	case 4:
		ret = ioctl(f->group, VFIO_GROUP_GET_DEVICE_FD,
			    PICK((uintptr_t)f->names[rnd() % f->nr], (uintptr_t)"0000:00:00.0",
				 (uintptr_t)"", 0, (uintptr_t)f->hole));
		if (ret >= 0) {
			fuzz_keep_fd(&f->devfd[rnd() % NDEVFDS], ret);
			ret = 0;
		}
		break;
	case 5:
		ret = ioctl(f->container, VFIO_SET_IOMMU,
			    PICK(VFIO_TYPE1v2_IOMMU, VFIO_TYPE1_IOMMU, 0, 7, rnd()));
		break;
	case 6:
		ret = ioctl(f->container, VFIO_CHECK_EXTENSION, PICK(1, 3, 9, 0, rnd()));
		ret = ret < 0 ? ret : 0;
		break;
	case 7:
		u.info.argsz = PICK(sizeof(u.info), 0, 8, sizeof(u.raw), rnd());
		ret = ioctl(f->container, VFIO_IOMMU_GET_INFO, &u);
		break;
	case 8:
		u.map.argsz = PICK(sizeof(u.map), 0, sizeof(u.map) - 1, rnd());
		u.map.flags = PICK(VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
				   VFIO_DMA_MAP_FLAG_WRITE, 0, VFIO_DMA_MAP_FLAG_VADDR, rnd());
		u.map.vaddr = fuzz_uva(f);
		u.map.iova = fuzz_iova(f);
		u.map.size = fuzz_length(f);
		ret = ioctl(f->container, VFIO_IOMMU_MAP_DMA, &u);
		break;
	default:
		u.unmap.argsz = PICK(sizeof(u.unmap), 0, sizeof(u.unmap) - 1, rnd());
		u.unmap.flags = PICK(0, 0, VFIO_DMA_UNMAP_FLAG_ALL, VFIO_DMA_UNMAP_FLAG_VADDR,
				     VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP, rnd());
		u.unmap.iova = PICK(0, fuzz_iova(f));
		u.unmap.size = PICK(0, fuzz_length(f));
		ret = ioctl(f->container, VFIO_IOMMU_UNMAP_DMA, &u);
		break;
	}
	return ret < 0 ? -errno : 0;
}

static void fuzz_range(struct fuzz *f, struct smmu_assign_iova_range *r)
{
	uint64_t p = f->page;

	switch (rnd() % 6) {
	case 0:
		r->iova = WIN_IOVA;
		r->length = WIN_LEN;
		break;
	case 1:
		/* Above the MSI window, below edu's 28-bit mask. */
		r->iova = PICK(0x8100000, 0x9000000, 0x8000000 + 0x100000 - p);
		r->length = PICK(0x1000000, p, 0x4000000);
		break;
	case 2:
		r->iova = PICK(0, p, WIN_IOVA + WIN_LEN, 0x7000000);
		r->length = PICK(p, 0x1000000, WIN_IOVA);
		break;
	default:
		r->iova = fuzz_iova(f);
		r->length = fuzz_length(f);
	}
}

/* MAP_VEC's and UNMAP_VEC's count: mostly a few, sometimes at its edges. */
static uint32_t fuzz_vec_count(void)
{
	if (rnd() % 4)
		return 1 + rnd() % NRANGES;
	return PICK(0, NRANGES, SMMU_ASSIGN_VEC_MAX, SMMU_ASSIGN_VEC_MAX + 1, UINT32_MAX, rnd());
}

static void fuzz_entry(struct fuzz *f, struct smmu_assign_map_entry *e)
{
	e->flags = fuzz_flags(SMMU_ASSIGN_MAP_READ | SMMU_ASSIGN_MAP_WRITE);
	e->__reserved = fuzz_reserved();
	e->user_va = fuzz_uva(f);
	/* Mostly pages of the window and lengths of the pool, so some map. */
	e->iova = rnd() % 3 ? WIN_IOVA + (rnd() % 64) * f->page : fuzz_iova(f);
	e->length = rnd() % 3 ? (1 + rnd() % 4) * f->page : fuzz_length(f);
}

/*
 * The array of a MAP_VEC (entries) or an UNMAP_VEC (ranges) of num
 * entries: the small one filled, or rarely for SMMU_ASSIGN_VEC_MAX one of
 * that many pool pages at successive IOVAs, which maps and unmaps whole;
 * else a user address mapped, unmapped or read-only.
 */
static uint64_t fuzz_vec_array(struct fuzz *f, void *small, uint32_t num, bool map)
{
	static struct smmu_assign_map_entry *big_e;
	static struct smmu_assign_iova_range *big_r;
	uint32_t i;

	if (num <= NRANGES)
		return (uintptr_t)small;
	if (num > SMMU_ASSIGN_VEC_MAX + 1 || rnd() % 32)
		return fuzz_uva(f);
	if (!big_e) {
		big_e = calloc(SMMU_ASSIGN_VEC_MAX + 1, sizeof(*big_e));
		big_r = calloc(SMMU_ASSIGN_VEC_MAX + 1, sizeof(*big_r));
		if (!big_e || !big_r)
			return fuzz_uva(f);
		for (i = 0; i <= SMMU_ASSIGN_VEC_MAX; i++) {
			big_e[i].flags = SMMU_ASSIGN_MAP_READ | SMMU_ASSIGN_MAP_WRITE;
			big_e[i].user_va = (uintptr_t)f->pool + (i % POOL_PAGES) * f->page;
			big_e[i].iova = WIN_IOVA + (uint64_t)i * f->page;
			big_e[i].length = f->page;
			big_r[i].iova = big_e[i].iova;
			big_r[i].length = f->page;
		}
	}
	return map ? (uintptr_t)big_e : (uintptr_t)big_r;
}

/* One ioctl with fuzzed fields; returns 0 or -errno. */
static int fuzz_call(struct fuzz *f, int fd)
{
	union {
		struct smmu_assign_get_info info;
		struct smmu_assign_bind bind;
		struct smmu_assign_unbind unbind;
		struct smmu_assign_map map;
		struct smmu_assign_unmap unmap;
		struct smmu_assign_claim claim;
		struct smmu_assign_set_eventfd efd;
		struct smmu_assign_query query;
		struct smmu_assign_list list;
		struct smmu_assign_mappings mappings;
		struct smmu_assign_translate xlate;
		struct smmu_assign_resv_regions resv;
		struct smmu_assign_space_alloc alloc;
		struct smmu_assign_space_destroy destroy;
		struct smmu_assign_space_allow_iovas allow;
		struct smmu_assign_space_info sinfo;
		struct smmu_assign_device_fd devfd;
		struct smmu_assign_map_vec map_vec;
		struct smmu_assign_unmap_vec unmap_vec;
		uint8_t raw[4096 + 64];
	} u;
	static struct smmu_assign_mapping_info infos[8];
	static struct smmu_assign_bdf bdfs[8];
	static struct smmu_assign_iova_range ranges[NRANGES];
	static struct smmu_assign_resv_region resv[8];
	static struct smmu_assign_map_entry entries[NRANGES];
	unsigned long cmd;
	size_t size, min;
	uint32_t i, n;
	int ret;

	memset(&u, 0, sizeof(u));
	switch (rnd() % 20) {
	case 0:
		cmd = SMMU_ASSIGN_GET_INFO;
		size = sizeof(u.info);
		min = offsetof(struct smmu_assign_get_info, out_num_devices);
		u.info.flags = fuzz_flags(0);
		u.info.__reserved = fuzz_reserved();
		break;
	case 1:
		cmd = SMMU_ASSIGN_BIND;
		size = sizeof(u.bind);
		min = size;
		u.bind.flags = fuzz_flags(SMMU_ASSIGN_BIND_PERSISTENT);
		u.bind.bdf = fuzz_bdf(f);
		/* Into a new space with a window, or into one of the file's. */
		if (rnd() % 3) {
			u.bind.window_iova = rnd() % 4 ? WIN_IOVA : fuzz_iova(f);
			u.bind.window_length = rnd() % 4 ? WIN_LEN : fuzz_length(f);
			u.bind.space_id = rnd() % 8 ? 0 : fuzz_space();
			if (rnd() % 4 == 0)
				fuzz_name(u.bind.space_name);
		} else {
			u.bind.space_id = fuzz_space();
			if (rnd() % 8 == 0) {
				u.bind.window_iova = fuzz_iova(f);
				u.bind.window_length = fuzz_length(f);
			}
		}
		break;
	case 2:
		cmd = SMMU_ASSIGN_UNBIND;
		size = min = sizeof(u.unbind);
		u.unbind.flags = fuzz_flags(0);
		u.unbind.bdf = fuzz_bdf(f);
		break;
	case 3:
		cmd = SMMU_ASSIGN_MAP;
		size = min = sizeof(u.map);
		u.map.flags = fuzz_flags(SMMU_ASSIGN_MAP_READ | SMMU_ASSIGN_MAP_WRITE);
		u.map.space_id = fuzz_space();
		u.map.user_va = fuzz_uva(f);
		u.map.iova = fuzz_iova(f);
		/* Mostly lengths that fit the pool, so MAPs also succeed. */
		u.map.length = rnd() % 3 ? (1 + rnd() % 4) * f->page : fuzz_length(f);
		u.map.__reserved = fuzz_reserved();
		u.map.__reserved2 = fuzz_reserved();
		break;
	case 4:
		cmd = SMMU_ASSIGN_UNMAP;
		size = min = sizeof(u.unmap);
		u.unmap.flags = fuzz_flags(SMMU_ASSIGN_UNMAP_ALL);
		u.unmap.space_id = fuzz_space();
		if (!(u.unmap.flags & SMMU_ASSIGN_UNMAP_ALL) || rnd() % 4 == 0) {
			u.unmap.iova = fuzz_iova(f);
			u.unmap.length = fuzz_length(f);
		}
		u.unmap.__reserved = fuzz_reserved();
		u.unmap.__reserved2 = fuzz_reserved();
		break;
	case 5:
		cmd = SMMU_ASSIGN_CLAIM;
		size = min = sizeof(u.claim);
		u.claim.flags = fuzz_flags(SMMU_ASSIGN_CLAIM_RELEASE);
		u.claim.bdf = fuzz_bdf(f);
		u.claim.space_id = rnd() % 2 ? 0 : fuzz_space();
		break;
	case 6:
		cmd = SMMU_ASSIGN_SET_EVENTFD;
		size = min = sizeof(u.efd);
		u.efd.flags = fuzz_flags(0);
		/* -1, this very file (not an eventfd), or a closed number. */
		u.efd.eventfd = PICK(-1, fd, 1000, -2);
		u.efd.__reserved = fuzz_reserved();
		break;
	case 7:
		cmd = SMMU_ASSIGN_QUERY;
		size = min = sizeof(u.query);
		u.query.flags = fuzz_flags(0);
		u.query.bdf = fuzz_bdf(f);
		break;
	case 8:
		cmd = SMMU_ASSIGN_LIST;
		size = min = sizeof(u.list);
		u.list.flags = fuzz_flags(0);
		u.list.num_devices = PICK(0, 1, 8, UINT32_MAX, rnd());
		/* A small real buffer, or none: the count decides the damage. */
		u.list.devices = u.list.num_devices <= 8 ? (uintptr_t)bdfs : fuzz_uva(f);
		u.list.__reserved = fuzz_reserved();
		break;
	case 9:
		cmd = SMMU_ASSIGN_MAPPINGS;
		size = min = sizeof(u.mappings);
		u.mappings.flags = fuzz_flags(SMMU_ASSIGN_BY_DEVICE);
		if (u.mappings.flags & SMMU_ASSIGN_BY_DEVICE)
			u.mappings.bdf = fuzz_bdf(f);
		if (!(u.mappings.flags & SMMU_ASSIGN_BY_DEVICE) || rnd() % 8 == 0)
			u.mappings.space_id = fuzz_space();
		u.mappings.cursor = fuzz_iova(f);
		u.mappings.num_mappings = PICK(0, 1, 8, UINT32_MAX, rnd());
		u.mappings.mappings = u.mappings.num_mappings <= 8 ? (uintptr_t)infos :
				      fuzz_uva(f);
		u.mappings.__reserved = fuzz_reserved();
		u.mappings.__reserved2 = fuzz_reserved();
		break;
	case 10:
		cmd = SMMU_ASSIGN_TRANSLATE;
		size = min = sizeof(u.xlate);
		u.xlate.flags = fuzz_flags(SMMU_ASSIGN_BY_DEVICE);
		if (u.xlate.flags & SMMU_ASSIGN_BY_DEVICE)
			u.xlate.bdf = fuzz_bdf(f);
		if (!(u.xlate.flags & SMMU_ASSIGN_BY_DEVICE) || rnd() % 8 == 0)
			u.xlate.space_id = fuzz_space();
		u.xlate.iova = fuzz_iova(f);
		u.xlate.__reserved = fuzz_reserved();
		u.xlate.__reserved2 = fuzz_reserved();
		break;
	case 11:
		cmd = SMMU_ASSIGN_RESV_REGIONS;
		size = min = sizeof(u.resv);
		u.resv.flags = fuzz_flags(0);
		u.resv.bdf = fuzz_bdf(f);
		u.resv.num_regions = PICK(0, 1, 8, UINT32_MAX, rnd());
		u.resv.regions = u.resv.num_regions <= 8 ? (uintptr_t)resv : fuzz_uva(f);
		u.resv.__reserved = fuzz_reserved();
		break;
	case 12:
	case 13:
		cmd = SMMU_ASSIGN_SPACE_ALLOC;
		size = min = sizeof(u.alloc);
		u.alloc.flags = fuzz_flags(0);
		u.alloc.__reserved = fuzz_reserved();
		fuzz_name(u.alloc.name);
		break;
	case 14:
		cmd = SMMU_ASSIGN_SPACE_DESTROY;
		size = min = sizeof(u.destroy);
		u.destroy.flags = fuzz_flags(0);
		u.destroy.space_id = fuzz_space();
		u.destroy.__reserved = fuzz_reserved();
		break;
	case 15:
		cmd = SMMU_ASSIGN_SPACE_ALLOW_IOVAS;
		size = min = sizeof(u.allow);
		u.allow.flags = fuzz_flags(0);
		u.allow.space_id = fuzz_space();
		u.allow.num_ranges = rnd() % 4 ? 1 + rnd() % 3 :
				     PICK(0, NRANGES, SMMU_ASSIGN_MAX_RANGES,
					  SMMU_ASSIGN_MAX_RANGES + 1, UINT32_MAX, rnd());
		n = u.allow.num_ranges <= NRANGES ? u.allow.num_ranges : 0;
		for (i = 0; i < n; i++)
			fuzz_range(f, &ranges[i]);
		/* Sometimes the same range twice: an overlap. */
		if (n > 1 && rnd() % 8 == 0)
			ranges[1] = ranges[0];
		u.allow.ranges = u.allow.num_ranges <= NRANGES ? (uintptr_t)ranges : fuzz_uva(f);
		break;
	case 16:
		cmd = SMMU_ASSIGN_DEVICE_FD;
		size = min = sizeof(u.devfd);
		u.devfd.flags = fuzz_flags(0);
		u.devfd.bdf = fuzz_bdf(f);
		u.devfd.__reserved = fuzz_reserved();
		break;
	case 17:
		cmd = SMMU_ASSIGN_MAP_VEC;
		size = min = sizeof(u.map_vec);
		u.map_vec.flags = fuzz_flags(0);
		u.map_vec.space_id = fuzz_space();
		u.map_vec.num_entries = fuzz_vec_count();
		n = u.map_vec.num_entries <= NRANGES ? u.map_vec.num_entries : 0;
		for (i = 0; i < n; i++)
			fuzz_entry(f, &entries[i]);
		/* Sometimes one entry twice: they overlap. */
		if (n > 1 && rnd() % 8 == 0)
			entries[n - 1] = entries[0];
		u.map_vec.entries = fuzz_vec_array(f, entries, u.map_vec.num_entries, true);
		break;
	case 18:
		cmd = SMMU_ASSIGN_UNMAP_VEC;
		size = min = sizeof(u.unmap_vec);
		u.unmap_vec.flags = fuzz_flags(0);
		u.unmap_vec.space_id = fuzz_space();
		u.unmap_vec.num_entries = fuzz_vec_count();
		n = u.unmap_vec.num_entries <= NRANGES ? u.unmap_vec.num_entries : 0;
		for (i = 0; i < n; i++) {
			/* Mostly pages where MAP_VEC puts them, so some hold mappings. */
			if (rnd() % 3) {
				ranges[i].iova = WIN_IOVA + (rnd() % 64) * f->page;
				ranges[i].length = (1 + rnd() % 4) * f->page;
			} else {
				fuzz_range(f, &ranges[i]);
			}
		}
		u.unmap_vec.ranges = fuzz_vec_array(f, ranges, u.unmap_vec.num_entries, false);
		u.unmap_vec.__reserved = fuzz_reserved();
		break;
	default:
		cmd = SMMU_ASSIGN_SPACE_INFO;
		size = min = sizeof(u.sinfo);
		u.sinfo.flags = fuzz_flags(SMMU_ASSIGN_BY_DEVICE);
		if (u.sinfo.flags & SMMU_ASSIGN_BY_DEVICE)
			u.sinfo.bdf = fuzz_bdf(f);
		if (!(u.sinfo.flags & SMMU_ASSIGN_BY_DEVICE) || rnd() % 8 == 0)
			u.sinfo.space_id = fuzz_space();
		u.sinfo.__reserved = fuzz_reserved();
		u.sinfo.__reserved2 = fuzz_reserved();
		u.sinfo.num_ranges = PICK(0, 1, NRANGES, UINT32_MAX, rnd());
		u.sinfo.ranges = u.sinfo.num_ranges <= NRANGES ? (uintptr_t)ranges : fuzz_uva(f);
		u.sinfo.num_reserved = PICK(0, 1, 8, UINT32_MAX, rnd());
		u.sinfo.reserved = u.sinfo.num_reserved <= 8 ? (uintptr_t)resv : fuzz_uva(f);
		u.sinfo.num_devices = PICK(0, 1, 8, UINT32_MAX, rnd());
		u.sinfo.devices = u.sinfo.num_devices <= 8 ? (uintptr_t)bdfs : fuzz_uva(f);
		break;
	}
	*(uint32_t *)u.raw = fuzz_size(size, min);
	/* A long struct's tail: zero (accepted) or not (E2BIG). */
	if (rnd() % 4 == 0)
		u.raw[size + rnd() % 8] = 1;
	if (rnd() % 64 == 0)
		cmd ^= 1UL << (rnd() % 32);	/* not an ioctl of ours */
	ret = ioctl(fd, cmd, &u);
	if (ret)
		return -errno;
	if (cmd == SMMU_ASSIGN_DEVICE_FD)
		fuzz_keep_fd(&f->devfd[rnd() % NDEVFDS], u.devfd.out_fd);
	return 0;
}

/* Close every device fd and VFIO node the fuzzer holds. */
static void fuzz_close_vfio(struct fuzz *f)
{
	int i;

	for (i = 0; i < NDEVFDS; i++)
		fuzz_keep_fd(&f->devfd[i], -1);
	fuzz_keep_fd(&f->group, -1);
	fuzz_keep_fd(&f->container, -1);
}

FIXTURE(fuzz) {
	struct fuzz f;
	long long pins0;
	uint64_t seed;
	long calls;
	char share_domains[8];
};

FIXTURE_SETUP(fuzz)
{
	char (*names)[SMMUA_BDF_STRLEN] = self->f.names;
	const char *env;
	int i;

	memset(&self->f, 0, sizeof(self->f));
	self->f.page = sysconf(_SC_PAGESIZE);
	for (i = 0; i < NDEVFDS; i++)
		self->f.devfd[i] = -1;
	self->f.container = -1;
	self->f.group = -1;
	self->f.efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ASSERT_LE(0, self->f.efd);
	/* The edus alone in their groups, and the two that share one. */
	self->f.nr = tl_find_edus(names, TL_MAX_DEVS - 2);
	ASSERT_LE(1, self->f.nr);
	self->f.nr += tl_find_grouped_edus(names + self->f.nr, 2);
	for (i = 0; i < self->f.nr; i++) {
		self->f.bdfs[i] = tl_bdf(names[i]);
		tl_drop_binding(&self->f.bdfs[i]);
		ASSERT_EQ(0, tl_bind_stub(names[i]));
	}
	ASSERT_EQ(0, tl_param_read("share_domains", self->share_domains,
				   sizeof(self->share_domains)));
	self->f.pool = tl_buf_alloc((POOL_PAGES + 2) * self->f.page, 0x11);
	ASSERT_NE(NULL, self->f.pool);
	self->f.ro = self->f.pool + POOL_PAGES * self->f.page;
	self->f.hole = self->f.ro + self->f.page;
	ASSERT_EQ(0, mprotect(self->f.ro, self->f.page, PROT_READ));
	ASSERT_EQ(0, munmap(self->f.hole, self->f.page));
	for (i = 0; i < NFILES; i++) {
		self->f.fd[i] = smmua_open();
		ASSERT_LE(0, self->f.fd[i]);
	}
	ASSERT_EQ(0, tl_pins_outstanding(&self->pins0));

	env = getenv("SMMU_ASSIGN_FUZZ_SEED");
	if (env) {
		self->seed = strtoull(env, NULL, 0);
	} else {
		struct timespec ts;

		/* The guest's wall clock may start at 0: mix in the uptime. */
		clock_gettime(CLOCK_MONOTONIC, &ts);
		self->seed = (uint64_t)time(NULL) ^ ts.tv_nsec ^ ((uint64_t)getpid() << 32);
	}
	env = getenv("SMMU_ASSIGN_FUZZ_CALLS");
	self->calls = env ? atol(env) :
		      !access("/sys/kernel/debug/kmemleak", F_OK) ? 20000 : 100000;
	rng = self->seed ?: 1;
}

FIXTURE_TEARDOWN(fuzz)
{
	int i;

	fuzz_close_vfio(&self->f);
	if (self->f.efd >= 0)
		close(self->f.efd);
	for (i = 0; i < NFILES; i++)
		if (self->f.fd[i] >= 0)
			close(self->f.fd[i]);
	for (i = 0; i < self->f.nr; i++)
		tl_drop_binding(&self->f.bdfs[i]);
	if (self->share_domains[0])
		tl_param_write("share_domains", self->share_domains);
	if (self->f.pool)
		munmap(self->f.pool, (POOL_PAGES + 2) * self->f.page);
}

TEST_F_TIMEOUT(fuzz, ioctls, 1800)
{
	long n, ok = 0, refused = 0, reopened = 0, flipped = 0, vfio = 0;
	struct smmu_assign_bdf *left;
	long long pins;
	size_t nleft;
	int i, ret, fd;

	ksft_print_msg("seed %#llx, %ld calls (SMMU_ASSIGN_FUZZ_SEED replays)\n",
		       (unsigned long long)self->seed, self->calls);
	fflush(stdout);
	for (n = 0; n < self->calls; n++) {
		i = rnd() % NFILES;
		if (rnd() % 512 == 0) {
			/* Close, with whatever it holds, and start afresh. */
			close(self->f.fd[i]);
			self->f.fd[i] = smmua_open();
			ASSERT_LE(0, self->f.fd[i]);
			reopened++;
			continue;
		}
		if (rnd() % 2048 == 0) {
			/* Groups bound from now on share domains, or get mirrored ones. */
			ASSERT_EQ(0, tl_param_write("share_domains", rnd() & 1 ? "Y" : "N"));
			flipped++;
			continue;
		}
		if (rnd() % 64 == 0) {
			/* Let a device go: a device fd keeps its binding. */
			fuzz_keep_fd(&self->f.devfd[rnd() % NDEVFDS], -1);
			continue;
		}
		if (rnd() % 4 == 0) {
			int dev = self->f.devfd[rnd() % NDEVFDS];

			ret = rnd() % 2 || dev < 0 ? fuzz_vfio_call(&self->f) :
			      fuzz_devfd_call(&self->f, dev);
			vfio++;
			if (ret) {
				refused++;
				ASSERT_TRUE(vfio_errno(-ret))
					TH_LOG("call %ld: VFIO call, undocumented errno %d (%s); seed %#llx",
					       n, -ret, strerror(-ret), (unsigned long long)self->seed);
			} else {
				ok++;
			}
			continue;
		}
		ret = fuzz_call(&self->f, self->f.fd[i]);
		if (!ret) {
			ok++;
			continue;
		}
		refused++;
		ASSERT_TRUE(documented(-ret)) TH_LOG("call %ld: undocumented errno %d (%s); seed %#llx",
						     n, -ret, strerror(-ret),
						     (unsigned long long)self->seed);
	}
	ksft_print_msg("%ld calls (%ld through device fds and VFIO nodes): %ld succeeded, %ld refused, %ld files reopened, share_domains flipped %ld times\n",
		       self->calls, vfio, ok, refused, reopened, flipped);
	fflush(stdout);

	/* Everything closed: only persistent bindings may stay, then go too. */
	fuzz_close_vfio(&self->f);
	for (i = 0; i < NFILES; i++) {
		close(self->f.fd[i]);
		self->f.fd[i] = -1;
	}
	for (i = 0; i < self->f.nr; i++)
		tl_drop_binding(&self->f.bdfs[i]);
	fd = smmua_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, smmua_list(fd, &left, &nleft));
	free(left);
	close(fd);
	EXPECT_EQ(0, nleft) TH_LOG("bindings outlived every file; seed %#llx",
				   (unsigned long long)self->seed);
	ASSERT_EQ(0, tl_pins_outstanding(&pins));
	EXPECT_EQ(self->pins0, pins) TH_LOG("pins leaked; seed %#llx",
					    (unsigned long long)self->seed);
}

TEST_HARNESS_MAIN
