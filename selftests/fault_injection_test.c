// SPDX-License-Identifier: GPL-2.0
/*
 * Every error path of the ioctls, driven by the kernel's own fault
 * injection: for N = 1, 2, ... the N-th slab or page allocation the calling
 * thread reaches inside one operation fails (fail-nth), until N is past the
 * last one the operation reaches. Each run must end in success or a clean
 * error, with the state it implies (bound or not, mapped or not), and once
 * undone nothing may stay bound, mapped, pinned or charged. KASAN, lockdep
 * and kmemleak on the debug kernel judge what the assertions cannot see.
 * Kernels without fault injection skip, saying so.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "smmu_assign_lib.h"
#include "testlib.h"

#define WIN_IOVA	0x1000000ULL
#define WIN_LEN		0x4000000ULL
#define MAP_IOVA	(WIN_IOVA + 0x200000)
#define HUGE_IOVA	(WIN_IOVA + 0x400000)
#define MAP_PAGES	16
#define RW		(SMMU_ASSIGN_MAP_READ | SMMU_ASSIGN_MAP_WRITE)
/* Far more than any one operation reaches: a bound on a runaway sweep. */
#define MAX_POINTS	5000

FIXTURE(failnth) {
	char name[SMMUA_BDF_STRLEN];
	struct smmu_assign_bdf bdf;
	int fd;
	uint8_t *buf;
	uint8_t *huge;
	long long pins0;
	long vmpin0;
	bool no_injection;
};

FIXTURE_SETUP(failnth)
{
	char names[TL_MAX_DEVS][SMMUA_BDF_STRLEN];
	int ret;

	self->fd = -1;
	ret = tl_failnth_setup();
	self->no_injection = ret == -EOPNOTSUPP;
	if (self->no_injection)
		return;
	ASSERT_EQ(0, ret);
	ASSERT_LE(1, tl_find_edus(names, TL_MAX_DEVS));
	strcpy(self->name, names[0]);
	self->bdf = tl_bdf(self->name);
	ASSERT_EQ(0, tl_bind_stub(self->name));
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
	if (self->fd >= 0)
		close(self->fd);
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

static int bind(fx_t *self)
{
	return smmua_bind(self->fd, &self->bdf, 0, WIN_IOVA, WIN_LEN, NULL);
}

static int bind_and_map(fx_t *self)
{
	return bind(self) ?: smmua_map(self->fd, &self->bdf, RW, self->buf, MAP_IOVA,
				       MAP_PAGES * TL_PAGE);
}

static int map(fx_t *self)
{
	return smmua_map(self->fd, &self->bdf, RW, self->buf, MAP_IOVA, MAP_PAGES * TL_PAGE);
}

static int map_huge(fx_t *self)
{
	return smmua_map(self->fd, &self->bdf, RW, self->huge, HUGE_IOVA, TL_HUGE);
}

static int unmap_all(fx_t *self)
{
	return smmua_unmap(self->fd, &self->bdf, SMMU_ASSIGN_UNMAP_ALL, 0, 0, NULL);
}

static int unbind(fx_t *self)
{
	return smmua_unbind(self->fd, &self->bdf);
}

static int bind_persistent_and_claim(fx_t *self)
{
	return smmua_bind(self->fd, &self->bdf, SMMU_ASSIGN_BIND_PERSISTENT, WIN_IOVA,
			  WIN_LEN, NULL) ?: smmua_claim(self->fd, &self->bdf, 0);
}

static int release_claim(fx_t *self)
{
	return smmua_claim(self->fd, &self->bdf, SMMU_ASSIGN_CLAIM_RELEASE);
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

static int queries(fx_t *self)
{
	struct smmu_assign_mapping_info *maps = NULL;
	struct smmu_assign_translate xl;
	struct smmu_assign_query q;
	struct smmu_assign_bdf *bdfs = NULL;
	size_t n;
	int ret;

	ret = smmua_query(self->fd, &self->bdf, &q) ?:
	      smmua_list(self->fd, &bdfs, &n) ?:
	      smmua_mappings(self->fd, &self->bdf, &maps, &n) ?:
	      smmua_translate(self->fd, &self->bdf, MAP_IOVA, &xl);
	free(bdfs);
	free(maps);
	return ret;
}

static long long pins_now(void)
{
	long long pins = -1;

	tl_pins_outstanding(&pins);
	return pins;
}

static int nr_mappings(fx_t *self)
{
	struct smmu_assign_query q;

	return smmua_query(self->fd, &self->bdf, &q) ? -1 : (int)q.out_num_mappings;
}

static bool is_bound(fx_t *self)
{
	struct smmu_assign_query q;
	int fd = self->fd >= 0 ? self->fd : smmua_open();
	bool bound = !smmua_query(fd, &self->bdf, &q);

	if (fd != self->fd)
		close(fd);
	return bound;
}

static const char *check_bind(fx_t *self, int ret)
{
	if (is_bound(self) != !ret)
		return ret ? "a failed BIND left the device bound" :
			     "a successful BIND left no binding";
	return NULL;
}

static const char *check_map(fx_t *self, int ret)
{
	if (nr_mappings(self) != !ret)
		return ret ? "a failed MAP left a mapping" : "a successful MAP left none";
	if (ret && pins_now() != self->pins0)
		return "a failed MAP left pages pinned";
	if (ret && tl_vmpin_kb(0) != self->vmpin0)
		return "a failed MAP left pages charged";
	return NULL;
}

static const char *check_unmapped(fx_t *self, int ret)
{
	if (!ret && pins_now() != self->pins0)
		return "pages stayed pinned";
	if (!ret && tl_vmpin_kb(0) != self->vmpin0)
		return "pages stayed charged";
	return NULL;
}

static const char *check_unbound(fx_t *self, int ret)
{
	if (!ret && is_bound(self))
		return "the binding survived";
	return check_unmapped(self, ret);
}

static const char *check_claim(fx_t *self, int ret)
{
	struct smmu_assign_query q;

	if (!ret && (smmua_query(self->fd, &self->bdf, &q) ||
		     !(q.out_state & SMMU_ASSIGN_STATE_MINE)))
		return "a successful BIND and CLAIM left no claim";
	return NULL;
}

static const char *check_nothing(fx_t *self, int ret)
{
	return NULL;
}

/* Back to the baseline: nothing bound, nothing pinned, a fresh file. */
static void undo(fx_t *self)
{
	if (self->fd >= 0) {
		smmua_claim(self->fd, &self->bdf, SMMU_ASSIGN_CLAIM_RELEASE);
		smmua_unbind(self->fd, &self->bdf);
		close(self->fd);
	}
	self->fd = smmua_open();
}

static void run_sweep(struct __test_metadata *_metadata, fx_t *self,
		      const struct sweep *s)
{
	unsigned int n, errors = 0;
	const char *bad;
	int ret, injected;

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
		ASSERT_FALSE(is_bound(self)) TH_LOG("%s, N=%u: still bound", s->name, n);
		ASSERT_EQ(self->pins0, pins_now()) TH_LOG("%s, N=%u: pins leaked", s->name, n);
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
				 check_unbound };

	run_sweep(_metadata, self, &s);
}

TEST_F_TIMEOUT(failnth, queries, 600)
{
	const struct sweep s = { "query, list, mappings, translate", bind_and_map, queries,
				 check_nothing };

	run_sweep(_metadata, self, &s);
}

TEST_HARNESS_MAIN
