// SPDX-License-Identifier: GPL-2.0
/*
 * Every error path of the ioctls, driven by the kernel's own fault
 * injection: for N = 1, 2, ... the N-th slab or page allocation the calling
 * thread reaches inside one operation fails (fail-nth), until N is past the
 * last one the operation reaches. Each run must end in success or a clean
 * error, with the state it implies (bound or not, mapped or not, a space
 * as it was prepared or as the operation makes it), and once undone nothing
 * may stay bound, mapped, pinned or charged. The operations include the
 * address spaces' own: SPACE_ALLOC, ALLOW_IOVAS while mapped, BIND into a
 * space that has mappings (replayed into the new domain), the attach of a
 * second group into a domain of its own (share_domains=0: the mappings
 * mirrored), and SPACE_DESTROY; and the device fd's: its open (the device
 * enabled through vfio-pci-core), and INTx enabled through it followed by
 * its close; and a VMM's way in through the VFIO-compatible nodes: a
 * persistent binding's group joining a container, its IOMMU set, a
 * MAP_DMA and a device fd. KASAN, lockdep
 * and kmemleak on the debug kernel judge what the assertions cannot see.
 * Kernels without fault injection skip, saying so.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/vfio.h>

#include "kselftest_harness.h"
#include "smmu_assign_lib.h"
#include "testlib.h"

#define WIN_IOVA	0x1000000ULL
#define WIN_LEN		0x4000000ULL
#define MAP_IOVA	(WIN_IOVA + 0x200000)
#define HUGE_IOVA	(WIN_IOVA + 0x400000)
/* A second allowed range, above the MSI window. */
#define WIN2_IOVA	0x9000000ULL
#define WIN2_LEN	0x1000000ULL
#define MAP_PAGES	16
#define RW		(SMMU_ASSIGN_MAP_READ | SMMU_ASSIGN_MAP_WRITE)
/* Far more than any one operation reaches: a bound on a runaway sweep. */
#define MAX_POINTS	5000

FIXTURE(failnth) {
	char name[2][SMMUA_BDF_STRLEN];
	struct smmu_assign_bdf bdf[2];
	int nr;
	int fd;
	int devfd;			/* a device fd of edu 0, or -1 */
	int container;			/* a VFIO container, or -1 */
	int group;			/* edu 0's VFIO group node, or -1 */
	int sp;				/* the space the operation works on */
	struct smmua_space_desc before;	/* it, as prepared */
	uint8_t *buf;
	uint8_t *huge;
	long long pins0;
	long vmpin0;
	bool no_injection;
	char share_domains[8];		/* to restore, when a test changed it */
};

FIXTURE_SETUP(failnth)
{
	char names[TL_MAX_DEVS][SMMUA_BDF_STRLEN];
	int ret, i;

	self->fd = -1;
	self->devfd = -1;
	self->container = -1;
	self->group = -1;
	ret = tl_failnth_setup();
	self->no_injection = ret == -EOPNOTSUPP;
	if (self->no_injection)
		return;
	ASSERT_EQ(0, ret);
	self->nr = tl_find_edus(names, 2);
	ASSERT_LE(1, self->nr);
	for (i = 0; i < self->nr; i++) {
		strcpy(self->name[i], names[i]);
		self->bdf[i] = tl_bdf(names[i]);
		tl_drop_binding(&self->bdf[i]);
		ASSERT_EQ(0, tl_bind_stub(names[i]));
	}
	self->buf = tl_buf_alloc(MAP_PAGES * TL_PAGE, 0x5a);
	ASSERT_NE(NULL, self->buf);
	self->huge = tl_huge_alloc(0x3c);
	self->fd = smmua_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, tl_pins_outstanding(&self->pins0));
	self->vmpin0 = tl_vmpin_kb(0);
}

FIXTURE_TEARDOWN(failnth)
{
	if (self->devfd >= 0)
		close(self->devfd);
	if (self->group >= 0)
		close(self->group);
	if (self->container >= 0)
		close(self->container);
	if (self->fd >= 0)
		close(self->fd);
	if (self->share_domains[0])
		tl_param_write("share_domains", self->share_domains);
	smmua_space_desc_free(&self->before);
	tl_huge_free(self->huge);
	if (self->buf)
		tl_buf_free(self->buf, MAP_PAGES * TL_PAGE);
}

typedef FIXTURE_DATA(failnth) fx_t;

/* One operation to sweep: made ready unarmed, run armed, checked, undone. */
struct sweep {
	const char *name;
	int (*prepare)(fx_t *self);
	int (*op)(fx_t *self);
	/* What the state must be after op returned ret; 0 if it is. */
	const char *(*check)(fx_t *self, int ret);
};

/* ---- the operations and their preparations ---- */

static int bind(fx_t *self)
{
	self->sp = tl_bind(self->fd, &self->bdf[0], 0, WIN_IOVA, WIN_LEN);
	return self->sp < 0 ? self->sp : 0;
}

static int map(fx_t *self)
{
	return smmua_map(self->fd, self->sp, RW, self->buf, MAP_IOVA, MAP_PAGES * TL_PAGE);
}

static int bind_and_map(fx_t *self)
{
	return bind(self) ?: map(self);
}

static int map_huge(fx_t *self)
{
	return smmua_map(self->fd, self->sp, RW, self->huge, HUGE_IOVA, TL_HUGE);
}

/* MAP_PAGES pages as three mappings of one MAP_VEC, at scattered IOVAs. */
#define VEC_N	3
static const struct { unsigned int page, pages; __u64 iova; } vec_layout[VEC_N] = {
	{ 0, 4, MAP_IOVA + 0x200000 }, { 4, 1, MAP_IOVA }, { 5, 11, MAP_IOVA + 0x400000 },
};

static int map_vec(fx_t *self)
{
	struct smmu_assign_map_entry e[VEC_N] = {};
	int i;

	for (i = 0; i < VEC_N; i++) {
		e[i].flags = RW;
		e[i].user_va = (uintptr_t)self->buf + vec_layout[i].page * TL_PAGE;
		e[i].iova = vec_layout[i].iova;
		e[i].length = vec_layout[i].pages * TL_PAGE;
	}
	return smmua_map_vec(self->fd, self->sp, e, VEC_N, NULL);
}

static int bind_and_map_vec(fx_t *self)
{
	return bind(self) ?: map_vec(self);
}

static int unmap_vec(fx_t *self)
{
	struct smmu_assign_iova_range r[VEC_N];
	int i;

	for (i = 0; i < VEC_N; i++) {
		r[i].iova = vec_layout[i].iova;
		r[i].length = vec_layout[i].pages * TL_PAGE;
	}
	return smmua_unmap_vec(self->fd, self->sp, r, VEC_N, NULL, NULL);
}

static int unmap_all(fx_t *self)
{
	return smmua_unmap(self->fd, self->sp, SMMU_ASSIGN_UNMAP_ALL, 0, 0, NULL);
}

static int unbind(fx_t *self)
{
	return smmua_unbind(self->fd, &self->bdf[0]);
}

static int bind_persistent_and_claim(fx_t *self)
{
	__u32 sp = 0;
	int ret;

	ret = smmua_bind(self->fd, &self->bdf[0], SMMU_ASSIGN_BIND_PERSISTENT, WIN_IOVA,
			 WIN_LEN, NULL) ?: smmua_claim(self->fd, &self->bdf[0], 0, 0, &sp);
	self->sp = sp;
	return ret;
}

static int release_claim(fx_t *self)
{
	return smmua_claim(self->fd, &self->bdf[0], SMMU_ASSIGN_CLAIM_RELEASE, 0, NULL);
}

static int close_file(fx_t *self)
{
	int ret = close(self->fd) ? -errno : 0;

	self->fd = -1;
	return ret;
}

static int open_file(fx_t *self)
{
	self->fd = smmua_open();
	return self->fd < 0 ? self->fd : 0;
}

static int space_alloc(fx_t *self)
{
	__u32 sp = 0;
	int ret = smmua_space_alloc(self->fd, "injected", &sp);

	self->sp = sp;
	return ret;
}

/* Remember the prepared space, to compare after a failed operation. */
static int snapshot(fx_t *self)
{
	smmua_space_desc_free(&self->before);
	return smmua_space_info(self->fd, self->sp, NULL, &self->before);
}

/* A space with the window allowed and 16 pages mapped, no device in it. */
static int mapped_space(fx_t *self)
{
	self->sp = tl_space(self->fd, NULL, WIN_IOVA, WIN_LEN);
	return self->sp < 0 ? self->sp : map(self) ?: snapshot(self);
}

static int allow_two_ranges(fx_t *self)
{
	const struct smmu_assign_iova_range r[2] = {
		{ .iova = WIN_IOVA, .length = WIN_LEN },
		{ .iova = WIN2_IOVA, .length = WIN2_LEN },
	};

	return smmua_space_allow_iovas(self->fd, self->sp, r, 2);
}

/* BIND into a space that has mappings already: they are replayed into the domain. */
static int bind_into_space(fx_t *self)
{
	return smmua_bind_space(self->fd, &self->bdf[0], self->sp, NULL);
}

/*
 * With share_domains off: a space with edu 0 attached and 16 pages mapped;
 * the operation attaches edu 1, which gets a second domain, the mappings
 * mirrored into it.
 */
static int mapped_space_with_a_device(fx_t *self)
{
	return mapped_space(self) ?: smmua_bind_space(self->fd, &self->bdf[0], self->sp, NULL) ?:
	       snapshot(self);
}

static int bind_mirrored(fx_t *self)
{
	return smmua_bind_space(self->fd, &self->bdf[1], self->sp, NULL);
}

static int destroy_space(fx_t *self)
{
	return smmua_space_destroy(self->fd, self->sp);
}

static int queries(fx_t *self)
{
	struct smmu_assign_mapping_info *maps = NULL;
	struct smmu_assign_translate xl;
	struct smmu_assign_query q;
	struct smmu_assign_bdf *bdfs = NULL;
	struct smmua_space_desc d = {};
	size_t n;
	int ret;

	ret = smmua_query(self->fd, &self->bdf[0], &q) ?:
	      smmua_list(self->fd, &bdfs, &n) ?:
	      smmua_mappings(self->fd, self->sp, NULL, &maps, &n) ?:
	      smmua_translate(self->fd, self->sp, NULL, MAP_IOVA, &xl) ?:
	      smmua_space_info(self->fd, 0, &self->bdf[0], &d);
	free(bdfs);
	free(maps);
	smmua_space_desc_free(&d);
	return ret;
}

/* ---- the checks ---- */

static int nr_mappings(fx_t *self)
{
	struct smmua_space_desc d;
	int n;

	if (smmua_space_info(self->fd, self->sp, NULL, &d))
		return -1;
	n = d.info.out_num_mappings;
	smmua_space_desc_free(&d);
	return n;
}

static bool is_bound(fx_t *self, int i)
{
	struct smmu_assign_query q;
	int fd = self->fd >= 0 ? self->fd : smmua_open();
	bool bound = !smmua_query(fd, &self->bdf[i], &q);

	if (fd != self->fd)
		close(fd);
	return bound;
}

/* Whether edu i is in the operation's space, on this file. */
static bool in_space(fx_t *self, int i)
{
	struct smmu_assign_query q;

	return !smmua_query(self->fd, &self->bdf[i], &q) && q.out_space_id == self->sp &&
	       (q.out_state & SMMU_ASSIGN_STATE_MINE);
}

/* Every mapped page translates, in every domain of the space alike. */
static bool translates(fx_t *self)
{
	struct smmu_assign_translate xl;
	int i;

	for (i = 0; i < MAP_PAGES; i++)
		if (smmua_translate(self->fd, self->sp, NULL, MAP_IOVA + i * TL_PAGE, &xl) ||
		    xl.out_user_va != (uintptr_t)self->buf + i * TL_PAGE)
			return false;
	return true;
}

/* The prepared space as it was. */
static bool unchanged(fx_t *self)
{
	struct smmua_space_desc d;
	bool same;

	if (smmua_space_info(self->fd, self->sp, NULL, &d))
		return false;
	same = tl_space_equal(&self->before, &d);
	smmua_space_desc_free(&d);
	return same;
}

static const char *check_bind(fx_t *self, int ret)
{
	if (is_bound(self, 0) != !ret)
		return ret ? "a failed BIND left the device bound" :
			     "a successful BIND left no binding";
	if (!ret && !in_space(self, 0))
		return "a successful BIND left the device in no space of the file";
	if (ret && tl_has_space(self->fd, 1))
		return "a failed BIND left a space";
	return NULL;
}

static const char *check_map(fx_t *self, int ret)
{
	if (nr_mappings(self) != !ret)
		return ret ? "a failed MAP left a mapping" : "a successful MAP left none";
	if (ret && tl_pins_now() != self->pins0)
		return "a failed MAP left pages pinned";
	if (ret && tl_vmpin_kb(0) != self->vmpin0)
		return "a failed MAP left pages charged";
	return NULL;
}

static const char *check_unmapped(fx_t *self, int ret)
{
	if (!ret && tl_pins_now() != self->pins0)
		return "pages stayed pinned";
	if (!ret && tl_vmpin_kb(0) != self->vmpin0)
		return "pages stayed charged";
	return NULL;
}

/* All or nothing: every entry mapped, or none and nothing pinned or charged. */
static const char *check_map_vec(fx_t *self, int ret)
{
	if (nr_mappings(self) != (ret ? 0 : VEC_N))
		return ret ? "a failed MAP_VEC left a mapping" :
			     "a successful MAP_VEC left too few mappings";
	if (ret && tl_pins_now() != self->pins0)
		return "a failed MAP_VEC left pages pinned";
	if (ret && tl_vmpin_kb(0) != self->vmpin0)
		return "a failed MAP_VEC left pages charged";
	return NULL;
}

/* All or nothing: every mapping gone and unpinned, or all still there. */
static const char *check_unmap_vec(fx_t *self, int ret)
{
	if (nr_mappings(self) != (ret ? VEC_N : 0))
		return ret ? "a failed UNMAP_VEC removed a mapping" :
			     "a successful UNMAP_VEC left a mapping";
	return check_unmapped(self, ret);
}

static const char *check_closed(fx_t *self, int ret)
{
	if (!ret && is_bound(self, 0))
		return "the binding survived";
	return check_unmapped(self, ret);
}

/* UNBIND ends the binding; the space keeps its mappings and their pins. */
static const char *check_unbound(fx_t *self, int ret)
{
	if (!ret && is_bound(self, 0))
		return "the binding survived";
	if (nr_mappings(self) != 1)
		return "the space lost its mapping";
	if (tl_pins_now() != self->pins0 + MAP_PAGES)
		return "the space's pages are not pinned once";
	return NULL;
}

static const char *check_claim(fx_t *self, int ret)
{
	if (!ret && !in_space(self, 0))
		return "a successful BIND and CLAIM left no claim in a space";
	return NULL;
}

static const char *check_space_alloc(fx_t *self, int ret)
{
	if (!ret && !tl_has_space(self->fd, self->sp))
		return "a successful SPACE_ALLOC left no space";
	if (ret && tl_has_space(self->fd, 1))
		return "a failed SPACE_ALLOC left a space";
	/* Its name is taken exactly when it exists. */
	if (space_alloc(self) != (ret ? 0 : -EEXIST))
		return "the name's state does not match the space's";
	return NULL;
}

static const char *check_allow(fx_t *self, int ret)
{
	struct smmua_space_desc d;
	size_t n;

	if (smmua_space_info(self->fd, self->sp, NULL, &d))
		return "the space is gone";
	n = d.num_ranges;
	smmua_space_desc_free(&d);
	if (!ret && n != 2)
		return "a successful ALLOW_IOVAS left other ranges";
	if (ret && !unchanged(self))
		return "a failed ALLOW_IOVAS changed the space";
	if (nr_mappings(self) != 1 || !translates(self))
		return "the mapping did not survive";
	return NULL;
}

/* Attaching edu i to the prepared, mapped space. */
static const char *check_attach(fx_t *self, int ret, int i)
{
	if (is_bound(self, i) != !ret)
		return ret ? "a failed BIND left the device bound" :
			     "a successful BIND left no binding";
	if (!ret && !in_space(self, i))
		return "a successful BIND left the device out of the space";
	if (ret && !unchanged(self))
		return "a failed BIND changed the space";
	if (nr_mappings(self) != 1 || !translates(self))
		return "the space's mappings do not translate in every domain";
	if (tl_pins_now() != self->pins0 + MAP_PAGES)
		return "the space's pages are not pinned once";
	return NULL;
}

static const char *check_replay(fx_t *self, int ret)
{
	return check_attach(self, ret, 0);
}

static const char *check_mirror(fx_t *self, int ret)
{
	struct smmua_space_desc d;
	unsigned int domains;

	if (!is_bound(self, 0) || !in_space(self, 0))
		return "the first device left the space";
	if (smmua_space_info(self->fd, self->sp, NULL, &d))
		return "the space is gone";
	domains = d.info.out_num_domains;
	smmua_space_desc_free(&d);
	if (domains != (ret ? 1 : 2))
		return ret ? "a failed BIND left a second domain" :
			     "share_domains=0 gave the second group no domain of its own";
	return check_attach(self, ret, 1);
}

static const char *check_destroyed(fx_t *self, int ret)
{
	if (!ret && tl_has_space(self->fd, self->sp))
		return "the space survived";
	if (ret && nr_mappings(self) != 1)
		return "a failed SPACE_DESTROY lost a mapping";
	return check_unmapped(self, ret);
}

static int device_fd(fx_t *self)
{
	struct smmu_assign_device_fd cmd = { .size = sizeof(cmd), .bdf = self->bdf[0] };

	if (ioctl(self->fd, SMMU_ASSIGN_DEVICE_FD, &cmd))
		return -errno;
	self->devfd = cmd.out_fd;
	return 0;
}

static int bind_and_device_fd(fx_t *self)
{
	return bind(self) ?: device_fd(self);
}

/*
 * INTx to an eventfd through the device fd, then the fd's close. Not MSI:
 * after failures injected into the kernel's MSI setup (GIC ITS), a later
 * MSI allocation for the device fails with ENOSPC, whoever allocates.
 */
static int intx_and_close(fx_t *self)
{
	char b[sizeof(struct vfio_irq_set) + sizeof(int)];
	struct vfio_irq_set *set = (struct vfio_irq_set *)b;
	int efd = eventfd(0, EFD_CLOEXEC), ret = 0;

	if (efd < 0) {
		ret = -errno;
		goto out;
	}
	*set = (struct vfio_irq_set){
		.argsz = sizeof(b),
		.flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER,
		.index = VFIO_PCI_INTX_IRQ_INDEX,
		.count = 1,
	};
	memcpy(set->data, &efd, sizeof(efd));
	if (ioctl(self->devfd, VFIO_DEVICE_SET_IRQS, set))
		ret = -errno;
	close(efd);
out:
	close(self->devfd);
	self->devfd = -1;
	return ret;
}

/* A device fd exists exactly when DEVICE_FD succeeded. */
static bool has_device_fd(fx_t *self)
{
	struct smmu_assign_query q;

	return !smmua_query(self->fd, &self->bdf[0], &q) &&
	       (q.out_state & SMMU_ASSIGN_STATE_DEVICE_FD);
}

static const char *check_device_fd(fx_t *self, int ret)
{
	if (!ret && (self->devfd < 0 || !has_device_fd(self)))
		return "a successful DEVICE_FD left no device fd";
	if (ret && has_device_fd(self))
		return "a failed DEVICE_FD left a device fd open";
	if (!is_bound(self, 0))
		return "the binding did not survive";
	return NULL;
}

static const char *check_device_fd_closed(fx_t *self, int ret)
{
	if (has_device_fd(self))
		return "the device fd is still open";
	if (!is_bound(self, 0))
		return "the binding did not survive";
	return NULL;
}

/* A persistent binding of edu 0, with a VFIO container and its group open. */
static int vfio_ready(fx_t *self)
{
	struct smmu_assign_query q;
	char node[64];
	int ret;

	ret = smmua_bind(self->fd, &self->bdf[0], SMMU_ASSIGN_BIND_PERSISTENT, WIN_IOVA,
			 WIN_LEN, NULL) ?: smmua_query(self->fd, &self->bdf[0], &q);
	if (ret)
		return ret;
	snprintf(node, sizeof(node), SMMUA_VFIO_DIR "/%u", q.out_group_id);
	self->container = open(SMMUA_VFIO_CONTAINER, O_RDWR | O_CLOEXEC);
	self->group = open(node, O_RDWR | O_CLOEXEC);
	return self->container < 0 || self->group < 0 ? -errno : 0;
}

/* What QEMU does with them, up to the device fd. */
static int vfio_vmm_start(fx_t *self)
{
	long ret;

	ret = tl_vfio_set_container(self->group, self->container);
	if (!ret)
		ret = tl_ioctl(self->container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU);
	if (!ret)
		ret = tl_vfio_map(self->container, self->buf, MAP_IOVA, MAP_PAGES * TL_PAGE,
				  VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE);
	if (!ret) {
		ret = tl_vfio_device_fd(self->group, self->name[0]);
		if (ret >= 0) {
			self->devfd = ret;
			ret = 0;
		}
	}
	return ret;
}

/* Whatever step failed, the ones before it stand, and nothing else. */
static const char *check_vfio(fx_t *self, int ret)
{
	long status = tl_vfio_group_status(self->group);

	if (status < 0)
		return "the group is gone";
	if (!ret && (self->devfd < 0 || !(status & VFIO_GROUP_FLAGS_CONTAINER_SET)))
		return "a successful start left no device fd or no container";
	if (!ret && tl_vfio_dma_avail(self->container) < 0)
		return "the container's IOMMU is not set";
	if (ret && self->devfd >= 0)
		return "a failed start left a device fd";
	return NULL;
}

static const char *check_nothing(fx_t *self, int ret)
{
	return NULL;
}

/* Back to the baseline: nothing bound, nothing pinned, a fresh file. */
static void undo(fx_t *self)
{
	int i;

	if (self->devfd >= 0) {
		close(self->devfd);
		self->devfd = -1;
	}
	/* The group leaves its container; the persistent binding stays. */
	if (self->group >= 0)
		close(self->group);
	if (self->container >= 0)
		close(self->container);
	self->group = self->container = -1;
	if (self->fd >= 0) {
		for (i = 0; i < self->nr; i++) {
			smmua_claim(self->fd, &self->bdf[i], SMMU_ASSIGN_CLAIM_RELEASE, 0, NULL);
			smmua_unbind(self->fd, &self->bdf[i]);
		}
		close(self->fd);
	}
	self->fd = smmua_open();
	self->sp = 0;
}

static void run_sweep(struct __test_metadata *_metadata, fx_t *self,
		      const struct sweep *s)
{
	unsigned int n, errors = 0;
	const char *bad;
	int ret, injected, i;

	if (self->no_injection)
		SKIP(return, "this kernel has no fault injection (FAULT_INJECTION, FAILSLAB, FAIL_PAGE_ALLOC with debugfs)");
	for (n = 1; n <= MAX_POINTS; n++) {
		if (s->prepare)
			ASSERT_EQ(0, s->prepare(self)) TH_LOG("%s: preparing, N=%u", s->name, n);
		ASSERT_EQ(0, tl_failnth_arm(n));
		ret = s->op(self);
		injected = tl_failnth_disarm();
		ASSERT_LE(0, injected);
		ASSERT_GE(0, ret) TH_LOG("%s: N=%u returned %d", s->name, n, ret);
		bad = s->check(self, ret);
		EXPECT_EQ(NULL, bad) TH_LOG("%s, N=%u (%s): %s", s->name, n,
					     ret ? strerror(-ret) : "success", bad);
		errors += ret != 0;
		undo(self);
		ASSERT_LE(0, self->fd);
		/* The baseline holds after every run. */
		for (i = 0; i < self->nr; i++)
			ASSERT_FALSE(is_bound(self, i)) TH_LOG("%s, N=%u: still bound", s->name, n);
		ASSERT_EQ(self->pins0, tl_pins_now()) TH_LOG("%s, N=%u: pins leaked", s->name, n);
		ASSERT_EQ(self->vmpin0, tl_vmpin_kb(0)) TH_LOG("%s, N=%u: charge leaked",
							      s->name, n);
		if (!injected)
			break;
	}
	ASSERT_GT(MAX_POINTS, n) TH_LOG("%s: the sweep did not end", s->name);
	/* The last run reached no injection point, so it must have worked. */
	EXPECT_EQ(0, ret) TH_LOG("%s: failed without an injected failure", s->name);
	ksft_print_msg("%s: %u injection points, %u runs ended in a clean error\n",
		       s->name, n - 1, errors);
	/* The test runs in a child that _exit()s: flush before it does. */
	fflush(stdout);
}

TEST_F_TIMEOUT(failnth, open, 600)
{
	const struct sweep s = { "open", close_file, open_file, check_nothing };

	run_sweep(_metadata, self, &s);
}

TEST_F_TIMEOUT(failnth, bind, 600)
{
	const struct sweep s = { "bind", NULL, bind, check_bind };

	run_sweep(_metadata, self, &s);
}

TEST_F_TIMEOUT(failnth, bind_persistent_and_claim, 600)
{
	const struct sweep s = { "bind persistent + claim", NULL,
				 bind_persistent_and_claim, check_claim };

	run_sweep(_metadata, self, &s);
}

TEST_F_TIMEOUT(failnth, release_claim, 600)
{
	const struct sweep s = { "release a claim", bind_persistent_and_claim,
				 release_claim, check_nothing };

	run_sweep(_metadata, self, &s);
}

TEST_F_TIMEOUT(failnth, map, 600)
{
	const struct sweep s = { "map 16 pages", bind, map, check_map };

	run_sweep(_metadata, self, &s);
}

TEST_F_TIMEOUT(failnth, map_huge, 600)
{
	const struct sweep s = { "map a huge page", bind, map_huge, check_map };

	if (!self->huge && !self->no_injection)
		SKIP(return, "no hugetlbfs page");
	run_sweep(_metadata, self, &s);
}

TEST_F_TIMEOUT(failnth, map_vec, 600)
{
	const struct sweep s = { "MAP_VEC of 3 entries", bind, map_vec, check_map_vec };

	run_sweep(_metadata, self, &s);
}

TEST_F_TIMEOUT(failnth, unmap_vec, 600)
{
	const struct sweep s = { "UNMAP_VEC of 3 ranges", bind_and_map_vec, unmap_vec,
				 check_unmap_vec };

	run_sweep(_metadata, self, &s);
}

TEST_F_TIMEOUT(failnth, unmap, 600)
{
	const struct sweep s = { "unmap", bind_and_map, unmap_all, check_unmapped };

	run_sweep(_metadata, self, &s);
}

TEST_F_TIMEOUT(failnth, unbind, 600)
{
	const struct sweep s = { "unbind while mapped", bind_and_map, unbind, check_unbound };

	run_sweep(_metadata, self, &s);
}

TEST_F_TIMEOUT(failnth, close_while_mapped, 600)
{
	const struct sweep s = { "close while mapped", bind_and_map, close_file,
				 check_closed };

	run_sweep(_metadata, self, &s);
}

TEST_F_TIMEOUT(failnth, device_fd, 600)
{
	const struct sweep s = { "device fd", bind, device_fd, check_device_fd };

	run_sweep(_metadata, self, &s);
}

TEST_F_TIMEOUT(failnth, device_fd_intx_and_close, 600)
{
	const struct sweep s = { "device fd: INTx, then close", bind_and_device_fd,
				 intx_and_close, check_device_fd_closed };

	run_sweep(_metadata, self, &s);
}

TEST_F_TIMEOUT(failnth, vfio_vmm_start, 600)
{
	const struct sweep s = { "VFIO: join a container, set its IOMMU, map, open the device",
				 vfio_ready, vfio_vmm_start, check_vfio };

	run_sweep(_metadata, self, &s);
}

TEST_F_TIMEOUT(failnth, queries, 600)
{
	const struct sweep s = { "query, list, mappings, translate, space info", bind_and_map,
				 queries, check_nothing };

	run_sweep(_metadata, self, &s);
}

TEST_F_TIMEOUT(failnth, space_alloc, 600)
{
	const struct sweep s = { "space alloc", NULL, space_alloc, check_space_alloc };

	run_sweep(_metadata, self, &s);
}

TEST_F_TIMEOUT(failnth, allow_iovas, 600)
{
	const struct sweep s = { "allow iovas while mapped", mapped_space, allow_two_ranges,
				 check_allow };

	run_sweep(_metadata, self, &s);
}

TEST_F_TIMEOUT(failnth, bind_into_mapped_space, 600)
{
	const struct sweep s = { "bind into a mapped space (replay)", mapped_space,
				 bind_into_space, check_replay };

	run_sweep(_metadata, self, &s);
}

TEST_F_TIMEOUT(failnth, bind_mirrored, 600)
{
	const struct sweep s = { "bind a second group, mirrored (share_domains=0)",
				 mapped_space_with_a_device, bind_mirrored, check_mirror };

	if (!self->no_injection) {
		if (self->nr < 2)
			SKIP(return, "needs two edu devices");
		ASSERT_EQ(0, tl_param_read("share_domains", self->share_domains,
					   sizeof(self->share_domains)));
		ASSERT_EQ(0, tl_param_write("share_domains", "N"));
	}
	run_sweep(_metadata, self, &s);
}

TEST_F_TIMEOUT(failnth, space_destroy, 600)
{
	const struct sweep s = { "destroy a mapped space", mapped_space, destroy_space,
				 check_destroyed };

	run_sweep(_metadata, self, &s);
}

TEST_HARNESS_MAIN
