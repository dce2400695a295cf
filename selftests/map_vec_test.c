// SPDX-License-Identifier: GPL-2.0
/*
 * MAP_VEC and UNMAP_VEC: many mappings made or removed in one call, all or
 * nothing. An edu DMAs through what one MAP_VEC of scattered entries mapped,
 * each entry reaching its own memory with its own access, and each a mapping
 * of its own. A refused MAP_VEC, whichever entry fails and why, leaves
 * nothing mapped, pinned or charged, and the device reaches none of its
 * entries; a refused UNMAP_VEC leaves every mapping in place and working. An
 * UNMAP_VEC lets the pages go and blocks the device at once. Every refusal
 * has its exact errno.
 *
 * Where the kernel delivers no fault records (6.9+), the blocked DMAs are
 * still made and their memory checked, and the record checks are skipped
 * with the reason.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "smmu_assign_lib.h"
#include "testlib.h"

/* The space's one range: below the MSI window and edu's 28-bit DMA mask. */
#define WIN_IOVA	0x1000000ULL
#define WIN_LEN		0x6000000ULL
/* The fixture's source page, READ: what the device copies from. */
#define SRC_IOVA	WIN_IOVA
/* Where the tests' entries go: room for SMMU_ASSIGN_VEC_MAX 16 KiB pages. */
#define VEC_IOVA	(WIN_IOVA + 0x100000)
/*
 * Aligned to any PMD size (32 MiB with 16K pages), for huge pages, and
 * room for half of one at the window's end.
 */
#define HUGE_IOVA	0x2000000ULL
#define HUGETLB_IOVA	0x4000000ULL
#define HALF_IOVA	0x6000000ULL
#define RW		(SMMU_ASSIGN_MAP_READ | SMMU_ASSIGN_MAP_WRITE)
#define RO		SMMU_ASSIGN_MAP_READ
#define DMA_LEN		TL_EDU_DMA_MAX
#define CANARY		0xa5
#define FAULT_WAIT_MS	3000
#define NOBODY		65534
#define MAX_ENTRIES	16

/* The nth page of the tests' IOVAs. */
#define IOVA(n)		(VEC_IOVA + (uint64_t)(n) * TL_PAGE)

FIXTURE(vec) {
	int nr;
	char names[TL_MAX_DEVS][SMMUA_BDF_STRLEN];
	struct tl_edu edu[2];
	int fd, other;
	int sp;			/* edu[0]'s space */
	uint8_t *src;		/* at SRC_IOVA, READ, tl_buf_pattern(seed 1) */
	char max_mappings[32];	/* to restore, when a test changed it */
	char share_domains[8];	/* likewise */
};

FIXTURE_SETUP(vec)
{
	self->fd = self->other = -1;
	self->nr = tl_edus_take(self->names, self->edu, 2);
	ASSERT_LE(0, self->nr);
	self->fd = smmua_open();
	self->other = smmua_open();
	ASSERT_LE(0, self->fd);
	ASSERT_LE(0, self->other);
	if (!self->nr)
		return;
	self->sp = tl_bind(self->fd, &self->edu[0].bdf, 0, WIN_IOVA, WIN_LEN);
	ASSERT_LT(0, self->sp);
	self->src = tl_buf_alloc(TL_PAGE, 0);
	ASSERT_NE(NULL, self->src);
	tl_buf_pattern(self->src, TL_PAGE, 1);
	ASSERT_EQ(0, smmua_map(self->fd, self->sp, RO, self->src, SRC_IOVA, TL_PAGE));
	ASSERT_EQ(0, tl_pci_enable(self->edu[0].name));
}

FIXTURE_TEARDOWN(vec)
{
	int i;

	if (self->fd >= 0)
		close(self->fd);
	if (self->other >= 0)
		close(self->other);
	if (self->max_mappings[0])
		tl_param_write("max_mappings", self->max_mappings);
	if (self->share_domains[0])
		tl_param_write("share_domains", self->share_domains);
	tl_buf_free(self->src, TL_PAGE);
	for (i = 0; i < self->nr; i++) {
		tl_drop_binding(&self->edu[i].bdf);
		tl_edu_close(&self->edu[i]);
		tl_bind_stub(self->names[i]);
	}
}

#define NEED_DEVS(n)	TL_NEED_DEVS(self->nr, n)

typedef FIXTURE_DATA(vec) fx_t;

static struct smmu_assign_map_entry ent(uint32_t flags, const void *va, uint64_t iova,
					uint64_t len)
{
	return (struct smmu_assign_map_entry){
		.flags = flags, .user_va = (uintptr_t)va, .iova = iova, .length = len,
	};
}

static struct smmu_assign_iova_range rng(uint64_t iova, uint64_t len)
{
	return (struct smmu_assign_iova_range){ .iova = iova, .length = len };
}

/*
 * The count of a MAP_VEC or UNMAP_VEC @cmd, whose array is copies of
 * @entry: none, one more than the most and absurd are EINVAL.
 */
static void vec_counts_refused(struct __test_metadata *_metadata, int fd, unsigned long req,
			       void *cmd, __u32 *num, __u64 *array, const void *entry,
			       size_t esize)
{
	const __u32 counts[] = { 0, SMMU_ASSIGN_VEC_MAX + 1, UINT32_MAX };
	const __u32 num0 = *num;
	const __u64 array0 = *array;
	char *many = calloc(SMMU_ASSIGN_VEC_MAX + 1, esize);
	unsigned int i;

	ASSERT_NE(NULL, many);
	for (i = 0; i <= SMMU_ASSIGN_VEC_MAX; i++)
		memcpy(many + i * esize, entry, esize);
	*array = (uintptr_t)many;
	for (i = 0; i < ARRAY_SIZE(counts); i++) {
		*num = counts[i];
		EXPECT_EQ(-EINVAL, tl_ioctl_p(fd, req, cmd)) TH_LOG("%u entries", counts[i]);
	}
	free(many);
	*num = num0;
	*array = array0;
}

/* The ranges of n entries, for the UNMAP_VEC that undoes their MAP_VEC. */
static void ranges_of(const struct smmu_assign_map_entry *e, unsigned int n,
		      struct smmu_assign_iova_range *r)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		r[i] = rng(e[i].iova, e[i].length);
}

static uint64_t bytes_of(const struct smmu_assign_map_entry *e, unsigned int n)
{
	uint64_t sum = 0;
	unsigned int i;

	for (i = 0; i < n; i++)
		sum += e[i].length;
	return sum;
}

/* What a refused call must leave as it was: the space, the pins, the charge. */
struct state {
	struct smmua_space_desc space;
	long long pins;
	long vmpin;
};

static void state_take(struct __test_metadata *_metadata, fx_t *self, struct state *s)
{
	ASSERT_EQ(0, smmua_space_info(self->fd, self->sp, NULL, &s->space));
	s->pins = tl_pins_now();
	s->vmpin = tl_vmpin_kb(0);
	ASSERT_LE(0, s->pins);
	ASSERT_LE(0, s->vmpin);
}

static void state_free(struct state *s)
{
	smmua_space_desc_free(&s->space);
}

static void expect_unchanged(struct __test_metadata *_metadata, fx_t *self,
			     const struct state *was, const char *what)
{
	struct state now;

	state_take(_metadata, self, &now);
	EXPECT_TRUE(tl_space_equal(&was->space, &now.space))
		TH_LOG("%s: the space changed: %u mappings, %llu pages pinned (were %u, %llu)",
		       what, now.space.info.out_num_mappings,
		       (unsigned long long)now.space.info.out_pinned_pages,
		       was->space.info.out_num_mappings,
		       (unsigned long long)was->space.info.out_pinned_pages);
	EXPECT_EQ(was->pins, now.pins) TH_LOG("%s: pages left pinned", what);
	EXPECT_EQ(was->vmpin, now.vmpin) TH_LOG("%s: VmPin left charged", what);
	state_free(&now);
}

/* The device's buffer gets the source page's pattern. */
static int load_device(fx_t *self)
{
	return tl_edu_to_dev(&self->edu[0], SRC_IOVA, DMA_LEN);
}

/*
 * A MAP_VEC of e[0..n) refused with err, where e[bad] is the culprit:
 * nothing mapped, pinned or charged. Then the others alone map (no stray
 * mapping holds their IOVAs) and are unmapped again.
 */
static void map_vec_refused(struct __test_metadata *_metadata, fx_t *self,
			    const struct smmu_assign_map_entry *e, unsigned int n,
			    unsigned int bad, int err, const char *what)
{
	struct smmu_assign_map_entry good[MAX_ENTRIES];
	struct smmu_assign_iova_range r[MAX_ENTRIES];
	struct state before;
	__u64 len = 0;
	uint32_t count = 0;

	ASSERT_GE(MAX_ENTRIES, n);
	ASSERT_GT(n, bad);
	state_take(_metadata, self, &before);
	EXPECT_EQ(-err, smmua_map_vec(self->fd, self->sp, e, n, NULL))
		TH_LOG("%s (entry %u of %u)", what, bad, n);
	expect_unchanged(_metadata, self, &before, what);

	memcpy(good, e, bad * sizeof(*e));
	memcpy(good + bad, e + bad + 1, (n - bad - 1) * sizeof(*e));
	if (n > 1) {
		EXPECT_EQ(0, smmua_map_vec(self->fd, self->sp, good, n - 1, NULL))
			TH_LOG("%s: the other entries alone", what);
		ranges_of(good, n - 1, r);
		EXPECT_EQ(0, smmua_unmap_vec(self->fd, self->sp, r, n - 1, &len, &count));
		EXPECT_EQ(n - 1, count);
		EXPECT_EQ(bytes_of(good, n - 1), len);
		expect_unchanged(_metadata, self, &before, "mapped and unmapped again");
	}
	state_free(&before);
}

/* ---- the capability ---- */

TEST_F(vec, capability_is_advertised)
{
	struct smmu_assign_get_info info;

	ASSERT_EQ(0, smmua_get_info(self->fd, &info));
	EXPECT_NE(0, info.out_capabilities & SMMU_ASSIGN_CAP_MAP_VEC)
		TH_LOG("capabilities %#llx", (unsigned long long)info.out_capabilities);
}

/* ---- DMA through a MAP_VEC ---- */

/*
 * One MAP_VEC of five entries, out of IOVA order, over scattered pages of
 * one buffer, one of them two pages long, some READ and some READ|WRITE.
 * The device copies between them: each IOVA reaches exactly the page its
 * entry named, a READ entry refuses the device's write, and no other page
 * of the buffer changes. MAPPINGS lists each entry as a mapping of its own.
 */
TEST_F_TIMEOUT(vec, dma_through_scattered_entries, 120)
{
	struct smmu_assign_mapping_info *maps;
	struct smmu_assign_map_entry e[5];
	struct smmu_assign_iova_range r[5];
	const size_t p = TL_PAGE;
	struct tl_edu *d = &self->edu[0];
	/* Pages of buf no entry maps, or that only the device reads. */
	static const int untouched[] = { 1, 2, 4, 5, 7, 8, 9, 11, 12, 13, 15 };
	/* MAPPINGS in IOVA order: which entry is at each (after the source). */
	static const int by_iova[] = { 1, 4, 0, 3, 2 };
	uint8_t *buf, *a, *b, *ref;
	__u64 runs = 0, len = 0;
	uint32_t count = 0;
	long vmpin0;
	size_t n, i;

	NEED_DEVS(1);
	buf = tl_buf_alloc(16 * p, CANARY);
	ref = tl_buf_alloc(p, 0);
	ASSERT_TRUE(buf && ref);
	a = buf + 3 * p;
	b = buf;
	tl_buf_pattern(a, p, 11);
	tl_buf_pattern(ref, p, 11);
	tl_buf_pattern(b, p, 12);
	e[0] = ent(RO, a, IOVA(5), p);
	e[1] = ent(RW, buf + 9 * p, IOVA(0), 2 * p);
	e[2] = ent(RO, b, IOVA(12), p);
	e[3] = ent(RW, buf + 14 * p, IOVA(7), p);
	e[4] = ent(RW, buf + 6 * p, IOVA(3), p);
	vmpin0 = tl_vmpin_kb(0);
	ASSERT_EQ(0, smmua_map_vec(self->fd, self->sp, e, 5, &runs));
	EXPECT_EQ(vmpin0 + 6 * p / 1024, tl_vmpin_kb(0));
	/* Six pages, each entry at least one run, two pages at most two. */
	EXPECT_LE(5, runs);
	EXPECT_GE(6, runs);

	ASSERT_EQ(0, smmua_mappings(self->fd, self->sp, NULL, &maps, &n));
	ASSERT_EQ(6, n);
	EXPECT_EQ(SRC_IOVA, maps[0].iova);
	for (i = 0; i < 5; i++) {
		const struct smmu_assign_map_entry *x = &e[by_iova[i]];

		EXPECT_EQ(x->iova, maps[i + 1].iova) TH_LOG("mapping %zu", i + 1);
		EXPECT_EQ(x->length, maps[i + 1].length) TH_LOG("mapping %zu", i + 1);
		EXPECT_EQ(x->user_va, maps[i + 1].user_va) TH_LOG("mapping %zu", i + 1);
		EXPECT_EQ(x->flags, maps[i + 1].flags) TH_LOG("mapping %zu", i + 1);
	}
	free(maps);

	/* a into the second page of e[1]; b into e[3]; e[1] on into e[4]. */
	ASSERT_EQ(0, tl_edu_round_trip(d, IOVA(5), IOVA(1), DMA_LEN));
	EXPECT_EQ(0, memcmp(buf + 10 * p, a, DMA_LEN));
	ASSERT_EQ(0, tl_edu_round_trip(d, IOVA(12), IOVA(7), DMA_LEN));
	EXPECT_EQ(0, memcmp(buf + 14 * p, b, DMA_LEN));
	ASSERT_EQ(0, tl_edu_round_trip(d, IOVA(1), IOVA(3), DMA_LEN));
	EXPECT_EQ(0, memcmp(buf + 6 * p, a, DMA_LEN));
	/* e[0] is READ: the device's write of b's bytes there is refused. */
	ASSERT_EQ(0, tl_edu_round_trip(d, IOVA(12), IOVA(5), DMA_LEN));
	EXPECT_EQ(0, memcmp(a, ref, p)) TH_LOG("a READ entry took a write");
	for (i = 0; i < ARRAY_SIZE(untouched); i++)
		EXPECT_EQ(-1, tl_buf_find_not(buf + untouched[i] * p, p, CANARY))
			TH_LOG("page %d of the buffer changed", untouched[i]);

	ranges_of(e, 5, r);
	ASSERT_EQ(0, smmua_unmap_vec(self->fd, self->sp, r, 5, &len, &count));
	EXPECT_EQ(5, count);
	EXPECT_EQ(6 * p, len);
	EXPECT_EQ(vmpin0, tl_vmpin_kb(0));
	tl_buf_free(ref, p);
	tl_buf_free(buf, 16 * p);
}

/*
 * Entries that touch in IOVA and in memory are still one mapping each:
 * UNMAP of one entry's range takes that one only, never cuts another, and
 * UNMAP_ALL counts them all.
 */
TEST_F(vec, each_entry_is_a_mapping_of_its_own)
{
	struct smmu_assign_map_entry e[4];
	struct smmu_assign_unmap um;
	const size_t p = TL_PAGE;
	struct smmua_space_desc d;
	__u64 len = 0;
	uint8_t *buf;
	int i;

	NEED_DEVS(1);
	buf = tl_buf_alloc(5 * p, CANARY);
	ASSERT_NE(NULL, buf);
	e[0] = ent(RW, buf, IOVA(0), p);
	e[1] = ent(RW, buf + p, IOVA(1), 2 * p);
	e[2] = ent(RO, buf + 3 * p, IOVA(3), p);
	e[3] = ent(RW, buf + 4 * p, IOVA(4), p);
	ASSERT_EQ(0, smmua_map_vec(self->fd, self->sp, e, 4, NULL));
	ASSERT_EQ(0, smmua_space_info(self->fd, self->sp, NULL, &d));
	EXPECT_EQ(1 + 4, d.info.out_num_mappings);
	EXPECT_EQ(1 + 5, d.info.out_pinned_pages);
	EXPECT_EQ((1 + 5) * p, d.info.out_bytes_mapped);
	smmua_space_desc_free(&d);
	/* Half of e[1] is a cut: refused. */
	EXPECT_EQ(-EINVAL, smmua_unmap(self->fd, self->sp, 0, IOVA(1), p, NULL));
	EXPECT_EQ(-EINVAL, smmua_unmap(self->fd, self->sp, 0, IOVA(0), 2 * p, NULL));
	/* e[1] alone, between its neighbours. */
	memset(&um, 0, sizeof(um));
	um.size = sizeof(um);
	um.space_id = self->sp;
	um.iova = IOVA(1);
	um.length = 2 * p;
	ASSERT_EQ(0, tl_ioctl_p(self->fd, SMMU_ASSIGN_UNMAP, &um));
	EXPECT_EQ(1, um.out_unmapped_count);
	EXPECT_EQ(2 * p, um.out_unmapped_length);
	/* The rest, the source among them, by UNMAP_ALL. */
	ASSERT_EQ(0, smmua_unmap(self->fd, self->sp, SMMU_ASSIGN_UNMAP_ALL, 0, 0, &len));
	EXPECT_EQ(4 * p, len);
	ASSERT_EQ(0, smmua_space_info(self->fd, self->sp, NULL, &d));
	EXPECT_EQ(0, d.info.out_num_mappings);
	EXPECT_EQ(0, d.info.out_pinned_pages);
	smmua_space_desc_free(&d);
	for (i = 0; i < 4; i++)
		EXPECT_EQ(-ENOENT, smmua_unmap(self->fd, self->sp, 0, e[i].iova, e[i].length,
					       NULL));
	tl_buf_free(buf, 5 * p);
}

/*
 * out_num_runs of a MAP_VEC is what separate MAPs of the same entries
 * report together, over base pages faulted in backwards (so rarely
 * contiguous), a transparent huge page and a hugetlbfs page (each where
 * the kernel gives one), so huge pages map as blocks here too.
 */
TEST_F_TIMEOUT(vec, out_num_runs_is_the_sum_of_separate_maps, 120)
{
	struct smmu_assign_map_entry e[MAX_ENTRIES];
	struct smmu_assign_iova_range r[MAX_ENTRIES];
	const size_t p = TL_PAGE, huge = TL_HUGE;
	__u64 vec_runs = 0, sum = 0, len = 0;
	uint8_t *small, *thp_map, *thp, *htlb;
	uint32_t runs, count = 0;
	unsigned int n = 0, i;

	NEED_DEVS(1);
	small = mmap(NULL, 8 * p, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, small);
	madvise(small, 8 * p, MADV_NOHUGEPAGE);
	for (i = 8; i-- > 0;)
		small[i * p] = CANARY;
	thp_map = mmap(NULL, 2 * huge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, thp_map);
	thp = (uint8_t *)(((uintptr_t)thp_map + huge - 1) & ~(uintptr_t)(huge - 1));
	madvise(thp, huge, MADV_HUGEPAGE);
	memset(thp, CANARY, huge);
	htlb = tl_huge_alloc(CANARY);

	e[n++] = ent(RW, small, IOVA(0), 3 * p);
	e[n++] = ent(RO, small + 5 * p, IOVA(8), 3 * p);
	e[n++] = ent(RW, small + 4 * p, IOVA(4), p);
	/* The whole huge page, and two parts of it at other IOVAs. */
	e[n++] = ent(RW, thp, HUGE_IOVA, huge);
	e[n++] = ent(RW, thp, HALF_IOVA, huge / 2);
	e[n++] = ent(RO, thp + huge / 2, IOVA(16), huge / 4);
	if (htlb)
		e[n++] = ent(RW, htlb, HUGETLB_IOVA, huge);
	else
		TH_LOG("no hugetlbfs page of %zu KiB: left out", huge >> 10);

	for (i = 0; i < n; i++) {
		ASSERT_EQ(0, tl_map_runs(self->fd, self->sp, e[i].flags, (void *)(uintptr_t)e[i].user_va,
					 e[i].iova, e[i].length, &runs)) TH_LOG("entry %u", i);
		sum += runs;
	}
	ranges_of(e, n, r);
	ASSERT_EQ(0, smmua_unmap_vec(self->fd, self->sp, r, n, &len, &count));
	EXPECT_EQ(n, count);
	ASSERT_EQ(0, smmua_map_vec(self->fd, self->sp, e, n, &vec_runs));
	EXPECT_EQ(sum, vec_runs);
	TH_LOG("%u entries: %llu runs by MAP_VEC, %llu by separate MAPs", n,
	       (unsigned long long)vec_runs, (unsigned long long)sum);
	ASSERT_EQ(0, smmua_unmap_vec(self->fd, self->sp, r, n, &len, &count));
	EXPECT_EQ(n, count);
	EXPECT_EQ(bytes_of(e, n), len);
	tl_huge_free(htlb);
	munmap(thp_map, 2 * huge);
	tl_buf_free(small, 8 * p);
}

/*
 * SMMU_ASSIGN_VEC_MAX entries map in one call and unmap in one, each its
 * own mapping, in reverse IOVA order; one more is EINVAL for both, and
 * changes nothing. The device reaches the first and the last entry.
 */
TEST_F_TIMEOUT(vec, most_entries_map_and_unmap, 180)
{
	const unsigned int n = SMMU_ASSIGN_VEC_MAX;
	struct smmu_assign_map_entry *e;
	struct smmu_assign_iova_range *r;
	const size_t p = TL_PAGE;
	struct smmua_space_desc d;
	struct state before;
	__u64 len = 0;
	uint32_t count = 0;
	long vmpin0;
	uint8_t *buf;
	unsigned int i;

	NEED_DEVS(1);
	buf = tl_buf_alloc((n + 1) * p, CANARY);
	e = calloc(n + 1, sizeof(*e));
	r = calloc(n + 1, sizeof(*r));
	ASSERT_TRUE(buf && e && r);
	for (i = 0; i <= n; i++) {
		e[i] = ent(RW, buf + i * p, IOVA(n - i), p);
		r[i] = rng(IOVA(n - i), p);
	}
	state_take(_metadata, self, &before);
	EXPECT_EQ(-EINVAL, smmua_map_vec(self->fd, self->sp, e, n + 1, NULL));
	expect_unchanged(_metadata, self, &before, "MAP_VEC of VEC_MAX + 1");
	vmpin0 = tl_vmpin_kb(0);
	/* e[1..n]: IOVA(n - 1) down to IOVA(0). */
	ASSERT_EQ(0, smmua_map_vec(self->fd, self->sp, e + 1, n, NULL));
	EXPECT_EQ(vmpin0 + n * p / 1024, tl_vmpin_kb(0));
	ASSERT_EQ(0, smmua_space_info(self->fd, self->sp, NULL, &d));
	EXPECT_EQ(1 + n, d.info.out_num_mappings);
	EXPECT_EQ(1 + n, d.info.out_pinned_pages);
	smmua_space_desc_free(&d);

	/* The lowest IOVA is the last page, the highest the second. */
	ASSERT_EQ(0, load_device(self));
	ASSERT_EQ(0, tl_edu_to_ram(&self->edu[0], IOVA(0), DMA_LEN));
	ASSERT_EQ(0, tl_edu_to_ram(&self->edu[0], IOVA(n - 1), DMA_LEN));
	EXPECT_EQ(0, memcmp(buf + n * p, self->src, DMA_LEN));
	EXPECT_EQ(0, memcmp(buf + p, self->src, DMA_LEN));
	EXPECT_EQ(-1, tl_buf_find_not(buf + 2 * p, (n - 2) * p, CANARY));

	state_free(&before);
	state_take(_metadata, self, &before);
	EXPECT_EQ(-EINVAL, smmua_unmap_vec(self->fd, self->sp, r, n + 1, NULL, NULL));
	expect_unchanged(_metadata, self, &before, "UNMAP_VEC of VEC_MAX + 1");
	ASSERT_EQ(0, smmua_unmap_vec(self->fd, self->sp, r + 1, n, &len, &count));
	EXPECT_EQ(n, count);
	EXPECT_EQ(n * p, len);
	EXPECT_EQ(vmpin0, tl_vmpin_kb(0));
	state_free(&before);
	free(e);
	free(r);
	tl_buf_free(buf, (n + 1) * p);
}

/* ---- MAP_VEC is all or nothing ---- */

TEST_F(vec, refused_entry_outside_the_allowed_range_is_erange)
{
	struct smmu_assign_map_entry e[5];
	const size_t p = TL_PAGE;
	/* Just below, straddling the end, just past it. */
	const uint64_t out[3][2] = {
		{ WIN_IOVA - p, p }, { WIN_IOVA + WIN_LEN - p, 2 * p }, { WIN_IOVA + WIN_LEN, p },
	};
	const unsigned int at[3] = { 0, 2, 4 };
	unsigned int i, k;
	uint8_t *buf;

	NEED_DEVS(1);
	buf = tl_buf_alloc(8 * p, CANARY);
	ASSERT_NE(NULL, buf);
	for (k = 0; k < 3; k++) {
		for (i = 0; i < 5; i++)
			e[i] = ent(RW, buf + i * p, IOVA(2 * i), p);
		e[at[k]].iova = out[k][0];
		e[at[k]].length = out[k][1];
		map_vec_refused(_metadata, self, e, 5, at[k], ERANGE, "outside the range");
	}
	tl_buf_free(buf, 8 * p);
}

TEST_F(vec, refused_entry_over_a_mapping_is_eexist)
{
	struct smmu_assign_map_entry e[4];
	const size_t p = TL_PAGE;
	/* Over its first page, its last, all of it and around it. */
	const uint64_t over[4][2] = {
		{ IOVA(9), 2 * p }, { IOVA(11), 2 * p }, { IOVA(10), 2 * p }, { IOVA(9), 4 * p },
	};
	unsigned int i, k;
	uint8_t *buf;

	NEED_DEVS(1);
	buf = tl_buf_alloc(8 * p, CANARY);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, smmua_map(self->fd, self->sp, RW, buf + 6 * p, IOVA(10), 2 * p));
	for (k = 0; k < 4; k++) {
		for (i = 0; i < 4; i++)
			e[i] = ent(RW, buf + i * p, IOVA(2 * i), p);
		e[2].user_va = (uintptr_t)buf + 2 * p;
		e[2].iova = over[k][0];
		e[2].length = over[k][1];
		map_vec_refused(_metadata, self, e, 4, 2, EEXIST, "over a mapping");
	}
	tl_buf_free(buf, 8 * p);
}

TEST_F(vec, refused_entries_overlapping_each_other_are_eexist)
{
	struct smmu_assign_map_entry e[5];
	const size_t p = TL_PAGE;
	unsigned int k;
	uint8_t *buf;

	NEED_DEVS(1);
	buf = tl_buf_alloc(12 * p, CANARY);
	ASSERT_NE(NULL, buf);
	for (k = 0; k < 4; k++) {
		/* IOVA(0..1), IOVA(3), IOVA(5..8), IOVA(10), IOVA(12). */
		e[0] = ent(RW, buf, IOVA(0), 2 * p);
		e[1] = ent(RW, buf + 2 * p, IOVA(3), p);
		e[2] = ent(RW, buf + 3 * p, IOVA(5), 4 * p);
		e[3] = ent(RW, buf + 7 * p, IOVA(10), p);
		e[4] = ent(RW, buf + 8 * p, IOVA(12), p);
		switch (k) {
		case 0:		/* the same entry twice */
			e[3] = e[1];
			break;
		case 1:		/* the last page of the first */
			e[3].iova = IOVA(1);
			e[3].length = 2 * p;
			break;
		case 2:		/* inside the four-page one, other memory */
			e[3].iova = IOVA(6);
			break;
		default:	/* around the one before, the last in the array */
			e[3] = e[4];
			e[4] = ent(RW, buf + 9 * p, IOVA(11), 3 * p);
			break;
		}
		map_vec_refused(_metadata, self, e, 5, k < 3 ? 3 : 4, EEXIST,
				"entries overlap");
	}
	tl_buf_free(buf, 12 * p);
}

/*
 * Memory not mapped in the caller, first, in the middle or last, and a
 * WRITE entry of read-only memory: EFAULT, and after that MAP_VEC, whose
 * other entries were pinnable, the device reaches none of them.
 */
TEST_F_TIMEOUT(vec, refused_entry_of_unmapped_memory_is_efault, 60)
{
	struct smmu_assign_map_entry e[5];
	const size_t p = TL_PAGE;
	const unsigned int at[3] = { 0, 2, 4 };
	uint8_t *buf, *hole, *ro;
	unsigned int i, k;

	NEED_DEVS(1);
	buf = tl_buf_alloc(8 * p, CANARY);
	ASSERT_NE(NULL, buf);
	hole = buf + 6 * p;
	ASSERT_EQ(0, munmap(hole, p));
	ro = mmap(NULL, p, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	for (k = 0; k < 4; k++) {
		for (i = 0; i < 5; i++)
			e[i] = ent(RW, buf + i * p, IOVA(2 * i), p);
		if (k < 3) {
			/* The hole, or from the page before into it. */
			e[at[k]].user_va = (uintptr_t)(k == 1 ? hole - p : hole);
			e[at[k]].length = k == 1 ? 2 * p : p;
			map_vec_refused(_metadata, self, e, 5, at[k], EFAULT, "memory not mapped");
		} else {
			e[3].user_va = (uintptr_t)ro;
			map_vec_refused(_metadata, self, e, 5, 3, EFAULT,
					"WRITE of read-only memory");
		}
	}

	/* Refused once more: the device's writes reach none of the others. */
	for (i = 0; i < 5; i++)
		e[i] = ent(RW, buf + i * p, IOVA(2 * i), p);
	e[2].user_va = (uintptr_t)hole;
	ASSERT_EQ(-EFAULT, smmua_map_vec(self->fd, self->sp, e, 5, NULL));
	ASSERT_EQ(0, load_device(self));
	for (i = 0; i < 5; i++)
		if (i != 2)
			ASSERT_EQ(0, tl_edu_to_ram(&self->edu[0], e[i].iova, 64));
	EXPECT_EQ(-1, tl_buf_find_not(buf, 5 * p, CANARY)) TH_LOG("a refused entry took a write");
	munmap(ro, p);
	munmap(buf, 6 * p);
	munmap(buf + 7 * p, p);
}

TEST_F(vec, refused_past_max_mappings_is_enospc)
{
	struct smmu_assign_map_entry e[4];
	const size_t p = TL_PAGE;
	unsigned int i;
	uint8_t *buf;

	NEED_DEVS(1);
	buf = tl_buf_alloc(4 * p, CANARY);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, tl_param_read("max_mappings", self->max_mappings,
				   sizeof(self->max_mappings)));
	/* The file has the source mapping: room for three more. */
	ASSERT_EQ(0, tl_param_write("max_mappings", "4"));
	for (i = 0; i < 4; i++)
		e[i] = ent(RW, buf + i * p, IOVA(2 * i), p);
	map_vec_refused(_metadata, self, e, 4, 3, ENOSPC, "past max_mappings");
	/* The most there is room for. */
	EXPECT_EQ(0, smmua_map_vec(self->fd, self->sp, e, 3, NULL));
	EXPECT_EQ(-ENOSPC, smmua_map_vec(self->fd, self->sp, e + 3, 1, NULL));
	tl_buf_free(buf, 4 * p);
}

/*
 * RLIMIT_MEMLOCK: a process of NOBODY with no capabilities and a limit of
 * four pages, using the file it inherited, is refused a MAP_VEC of five
 * pages with ENOMEM and charged nothing; four pages in three entries map,
 * charged exactly.
 */
TEST_F_TIMEOUT(vec, refused_past_memlock_is_enomem, 60)
{
	struct state before;
	int status;
	pid_t pid;

	NEED_DEVS(1);
	state_take(_metadata, self, &before);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct smmu_assign_map_entry e[3];
		const size_t p = TL_PAGE;
		uint8_t *buf;
		long vmpin0;

		if (tl_become(NOBODY, NOBODY, 4))
			_exit(10);
		buf = tl_buf_alloc(6 * p, CANARY);
		if (!buf)
			_exit(10);
		vmpin0 = tl_vmpin_kb(0);
		e[0] = ent(RW, buf, IOVA(0), 2 * p);
		e[1] = ent(RO, buf + 2 * p, IOVA(4), p);
		e[2] = ent(RW, buf + 3 * p, IOVA(8), 2 * p);
		if (smmua_map_vec(self->fd, self->sp, e, 3, NULL) != -ENOMEM)
			_exit(11);
		if (tl_vmpin_kb(0) != vmpin0)
			_exit(12);
		e[2].length = p;
		if (smmua_map_vec(self->fd, self->sp, e, 3, NULL))
			_exit(13);
		if (tl_vmpin_kb(0) != vmpin0 + 4 * (long)p / 1024)
			_exit(14);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status))
		TH_LOG("10 set-up, 11 MAP_VEC past the limit, 12 its VmPin, 13 MAP_VEC of the limit, 14 its VmPin");
	/* The child's three mappings stay with the file, and nothing else. */
	{
		struct smmua_space_desc d;

		ASSERT_EQ(0, smmua_space_info(self->fd, self->sp, NULL, &d));
		EXPECT_EQ(before.space.info.out_num_mappings + 3, d.info.out_num_mappings);
		EXPECT_EQ(before.space.info.out_pinned_pages + 4, d.info.out_pinned_pages);
		smmua_space_desc_free(&d);
	}
	state_free(&before);
}

/* Ways an entry breaks MAP's rules, and the errno each gets. */
enum bad_entry { NOT_MAPPED, OUTSIDE, OVER, MISALIGNED, WRAPS, NO_READ, NR_BAD };
static const int bad_errno[NR_BAD] = { EFAULT, ERANGE, EEXIST, EINVAL, EOVERFLOW, EINVAL };
static const char * const bad_name[NR_BAD] = {
	"memory not mapped", "outside the range", "over a mapping", "misaligned",
	"wrapping", "no READ",
};
/* When MAP_VEC finds each: the flags, then MAP's checks, then pinning. */
static const int bad_stage[NR_BAD] = { 2, 1, 1, 1, 1, 0 };

/*
 * Two entries that break MAP's rules differently: the errno is that of the
 * earlier stage (every entry is checked before any is pinned), and, within
 * one stage, that of the first entry in the array.
 */
TEST_F(vec, earliest_stage_then_first_entry_decides_the_errno)
{
	static const enum bad_entry pairs[][2] = {
		{ NOT_MAPPED, OUTSIDE }, { OUTSIDE, NOT_MAPPED }, { NOT_MAPPED, OVER },
		{ OVER, NOT_MAPPED }, { OVER, MISALIGNED }, { MISALIGNED, OVER },
		{ WRAPS, NOT_MAPPED }, { OUTSIDE, NO_READ }, { NO_READ, OUTSIDE },
	};
	struct smmu_assign_map_entry e[4];
	const size_t p = TL_PAGE;
	struct state before;
	uint8_t *buf, *hole;
	unsigned int i, k;

	NEED_DEVS(1);
	buf = tl_buf_alloc(8 * p, CANARY);
	ASSERT_NE(NULL, buf);
	hole = buf + 7 * p;
	ASSERT_EQ(0, munmap(hole, p));
	ASSERT_EQ(0, smmua_map(self->fd, self->sp, RW, buf + 6 * p, IOVA(20), p));
	state_take(_metadata, self, &before);
	for (k = 0; k < ARRAY_SIZE(pairs); k++) {
		for (i = 0; i < 4; i++)
			e[i] = ent(RW, buf + i * p, IOVA(2 * i), p);
		for (i = 0; i < 2; i++) {
			struct smmu_assign_map_entry *x = &e[1 + 2 * i];

			switch (pairs[k][i]) {
			case NOT_MAPPED:
				x->user_va = (uintptr_t)hole;
				break;
			case OUTSIDE:
				x->iova = WIN_IOVA + WIN_LEN;
				break;
			case OVER:
				x->iova = IOVA(20);
				break;
			case MISALIGNED:
				x->length = p + 8;
				break;
			case WRAPS:
				x->iova = -(uint64_t)p;
				x->length = 2 * p;
				break;
			default:
				x->flags = SMMU_ASSIGN_MAP_WRITE;
				break;
			}
		}
		enum bad_entry want = bad_stage[pairs[k][1]] < bad_stage[pairs[k][0]] ?
				      pairs[k][1] : pairs[k][0];

		EXPECT_EQ(-bad_errno[want], smmua_map_vec(self->fd, self->sp, e, 4, NULL))
			TH_LOG("entry 1 %s, entry 3 %s", bad_name[pairs[k][0]],
			       bad_name[pairs[k][1]]);
	}
	expect_unchanged(_metadata, self, &before, "refused MAP_VECs");
	state_free(&before);
	munmap(buf, 7 * p);
}

/*
 * Two devices in the space, each group in its own domain (share_domains
 * off: the mappings mirrored): a refused MAP_VEC, whose first entries were
 * made in both domains before its last failed, leaves neither device
 * reaching them. The same entries without the bad one reach both, and one
 * UNMAP_VEC takes them from both.
 */
TEST_F_TIMEOUT(vec, refused_map_vec_leaves_no_domain_mapped, 120)
{
	struct smmu_assign_map_entry e[4];
	struct smmu_assign_iova_range r[3];
	const size_t p = TL_PAGE;
	struct smmua_space_desc d;
	uint8_t *buf, *hole;
	unsigned int i, k;

	NEED_DEVS(2);
	buf = tl_buf_alloc(4 * p, CANARY);
	ASSERT_NE(NULL, buf);
	hole = buf + 3 * p;
	ASSERT_EQ(0, munmap(hole, p));
	ASSERT_EQ(0, tl_param_read("share_domains", self->share_domains,
				   sizeof(self->share_domains)));
	ASSERT_EQ(0, tl_param_write("share_domains", "N"));
	ASSERT_EQ(0, smmua_bind_space(self->fd, &self->edu[1].bdf, self->sp, NULL));
	ASSERT_EQ(0, smmua_space_info(self->fd, self->sp, NULL, &d));
	EXPECT_EQ(2, d.info.out_num_domains);
	smmua_space_desc_free(&d);
	for (i = 0; i < 3; i++)
		e[i] = ent(RW, buf + i * p, IOVA(2 * i), p);
	e[3] = ent(RW, hole, IOVA(6), p);
	ASSERT_EQ(-EFAULT, smmua_map_vec(self->fd, self->sp, e, 4, NULL));
	for (k = 0; k < 2; k++) {
		ASSERT_EQ(0, tl_pci_enable(self->edu[k].name));
		ASSERT_EQ(0, tl_edu_to_dev(&self->edu[k], SRC_IOVA, DMA_LEN));
		for (i = 0; i < 3; i++)
			ASSERT_EQ(0, tl_edu_to_ram(&self->edu[k], IOVA(2 * i), 64));
		EXPECT_EQ(-1, tl_buf_find_not(buf, 3 * p, CANARY))
			TH_LOG("%s reached a refused entry", self->edu[k].name);
	}

	ASSERT_EQ(0, smmua_map_vec(self->fd, self->sp, e, 3, NULL));
	for (k = 0; k < 2; k++) {
		memset(buf, CANARY, 3 * p);
		for (i = 0; i < 3; i++) {
			ASSERT_EQ(0, tl_edu_to_ram(&self->edu[k], IOVA(2 * i), DMA_LEN));
			EXPECT_EQ(0, memcmp(buf + i * p, self->src, DMA_LEN))
				TH_LOG("%s did not reach entry %u", self->edu[k].name, i);
		}
	}
	ranges_of(e, 3, r);
	ASSERT_EQ(0, smmua_unmap_vec(self->fd, self->sp, r, 3, NULL, NULL));
	memset(buf, CANARY, 3 * p);
	for (k = 0; k < 2; k++)
		for (i = 0; i < 3; i++)
			ASSERT_EQ(0, tl_edu_to_ram(&self->edu[k], IOVA(2 * i), 64));
	EXPECT_EQ(-1, tl_buf_find_not(buf, 3 * p, CANARY)) TH_LOG("an unmapped entry took a write");
	munmap(buf, 3 * p);
}

/* ---- MAP_VEC's own input ---- */

/*
 * Every malformed MAP_VEC gets its errno and changes nothing: the
 * conventions, the entry count, an entry's flags and reserved field, MAP's
 * own checks of an entry (no READ, misaligned, empty, wrapping), an array
 * that cannot be read, and a space that is not this file's.
 */
TEST_F(vec, map_vec_bad_input)
{
	struct smmu_assign_map_entry e[3], *tail;
	struct smmu_assign_map_vec cmd;
	const size_t p = TL_PAGE;
	struct state before;
	char why[128] = "";
	__u64 len = 0;
	unsigned int bit;
	uint8_t *buf, *arr;
	uint32_t theirs;

	NEED_DEVS(1);
	buf = tl_buf_alloc(3 * p, CANARY);
	ASSERT_NE(NULL, buf);
	e[0] = ent(RW, buf, IOVA(0), p);
	e[1] = ent(RW, buf + p, IOVA(2), p);
	e[2] = ent(RO, buf + 2 * p, IOVA(4), p);
	ASSERT_EQ(0, smmua_space_alloc(self->other, NULL, &theirs));
	ASSERT_EQ(0, smmua_space_alloc(self->other, NULL, &theirs));
	state_take(_metadata, self, &before);
	memset(&cmd, 0, sizeof(cmd));
	cmd.size = sizeof(cmd);
	cmd.space_id = self->sp;
	cmd.num_entries = 3;
	cmd.entries = (uintptr_t)e;
	EXPECT_EQ(0, tl_conventions(self->fd, SMMU_ASSIGN_MAP_VEC, &cmd, sizeof(cmd), 0, why,
				    sizeof(why))) TH_LOG("%s", why);

	vec_counts_refused(_metadata, self->fd, SMMU_ASSIGN_MAP_VEC, &cmd, &cmd.num_entries,
			   &cmd.entries, &e[0], sizeof(e[0]));

	/* The middle entry's flags: unknown bits, no READ. */
	for (bit = 2; bit < 32; bit++) {
		e[1].flags = RW | 1u << bit;
		EXPECT_EQ(-EOPNOTSUPP, smmua_map_vec(self->fd, self->sp, e, 3, NULL))
			TH_LOG("entry flags bit %u", bit);
	}
	e[1].flags = 0;
	EXPECT_EQ(-EINVAL, smmua_map_vec(self->fd, self->sp, e, 3, NULL));
	e[1].flags = SMMU_ASSIGN_MAP_WRITE;
	EXPECT_EQ(-EINVAL, smmua_map_vec(self->fd, self->sp, e, 3, NULL));
	e[1].flags = RW;
	e[1].__reserved = 1;
	EXPECT_EQ(-EOPNOTSUPP, smmua_map_vec(self->fd, self->sp, e, 3, NULL));
	e[1].__reserved = 1u << 31;
	EXPECT_EQ(-EOPNOTSUPP, smmua_map_vec(self->fd, self->sp, e, 3, NULL));
	e[1].__reserved = 0;

	/* Misaligned memory, IOVA or length; empty; wrapping. */
	e[1].user_va += 8;
	EXPECT_EQ(-EINVAL, smmua_map_vec(self->fd, self->sp, e, 3, NULL));
	e[1].user_va -= 8;
	e[1].iova += 8;
	EXPECT_EQ(-EINVAL, smmua_map_vec(self->fd, self->sp, e, 3, NULL));
	e[1].iova -= 8;
	e[1].length = p + 8;
	EXPECT_EQ(-EINVAL, smmua_map_vec(self->fd, self->sp, e, 3, NULL));
	e[1].length = 0;
	EXPECT_EQ(-EINVAL, smmua_map_vec(self->fd, self->sp, e, 3, NULL));
	if (p > 4096) {
		/* 4 KiB-aligned is not aligned to the kernel's pages. */
		e[1].iova += 4096;
		e[1].length = p;
		EXPECT_EQ(-EINVAL, smmua_map_vec(self->fd, self->sp, e, 3, NULL));
		e[1].iova -= 4096;
	}
	e[1].iova = -(uint64_t)p;
	e[1].length = 2 * p;
	EXPECT_EQ(-EOVERFLOW, smmua_map_vec(self->fd, self->sp, e, 3, NULL));
	e[1] = ent(RW, buf + p, IOVA(2), p);

	/* The array unreadable: nowhere, not mapped, or its last entry not. */
	cmd.entries = 0;
	EXPECT_EQ(-EFAULT, tl_ioctl_p(self->fd, SMMU_ASSIGN_MAP_VEC, &cmd));
	cmd.entries = 8;
	EXPECT_EQ(-EFAULT, tl_ioctl_p(self->fd, SMMU_ASSIGN_MAP_VEC, &cmd));
	arr = tl_buf_alloc(2 * p, 0);
	ASSERT_NE(NULL, arr);
	ASSERT_EQ(0, munmap(arr + p, p));
	tail = (struct smmu_assign_map_entry *)(arr + p) - 2;
	memcpy(tail, e, 2 * sizeof(*e));
	cmd.entries = (uintptr_t)tail;
	EXPECT_EQ(-EFAULT, tl_ioctl_p(self->fd, SMMU_ASSIGN_MAP_VEC, &cmd));
	cmd.entries = (uintptr_t)(arr + p);
	EXPECT_EQ(-EFAULT, tl_ioctl_p(self->fd, SMMU_ASSIGN_MAP_VEC, &cmd));
	cmd.entries = (uintptr_t)e;

	/* No such space here: 0, never made, another file's. */
	EXPECT_EQ(-ENOENT, smmua_map_vec(self->fd, 0, e, 3, NULL));
	EXPECT_EQ(-ENOENT, smmua_map_vec(self->fd, UINT32_MAX, e, 3, NULL));
	EXPECT_EQ(-ENOENT, smmua_map_vec(self->fd, theirs, e, 3, NULL));
	expect_unchanged(_metadata, self, &before, "MAP_VEC refusals");

	/* The same array, as it is, maps; the call's figures come back. */
	ASSERT_EQ(0, tl_ioctl_p(self->fd, SMMU_ASSIGN_MAP_VEC, &cmd));
	EXPECT_EQ(3 * p, cmd.out_length);
	EXPECT_LE(3, cmd.out_num_runs);
	EXPECT_EQ(0, smmua_unmap(self->fd, self->sp, 0, IOVA(0), IOVA(5) - IOVA(0), &len));
	EXPECT_EQ(3 * p, len);
	state_free(&before);
	munmap(arr, p);
	tl_buf_free(buf, 3 * p);
}

/* ---- UNMAP_VEC ---- */

/*
 * Six mappings of one buffer, each at the IOVA page of its buffer page:
 * m0 at 0, m1 at 1, m2 at 3-4, m3 at 6, m4 at 8, m5 at 10.
 */
#define NMAPS	6
static const unsigned int map_at[NMAPS] = { 0, 1, 3, 6, 8, 10 };
static const unsigned int map_pages[NMAPS] = { 1, 1, 2, 1, 1, 1 };
#define MAPS_PAGES	12

static uint8_t *six_mappings(struct __test_metadata *_metadata, fx_t *self)
{
	struct smmu_assign_map_entry e[NMAPS];
	uint8_t *buf = tl_buf_alloc(MAPS_PAGES * TL_PAGE, CANARY);
	unsigned int i;

	EXPECT_NE(NULL, buf);
	if (!buf)
		return NULL;
	for (i = 0; i < NMAPS; i++)
		e[i] = ent(RW, buf + map_at[i] * TL_PAGE, IOVA(map_at[i]),
			   map_pages[i] * TL_PAGE);
	EXPECT_EQ(0, smmua_map_vec(self->fd, self->sp, e, NMAPS, NULL));
	return buf;
}

/*
 * Every one of the six still there and reached by the device: its last
 * page takes the source's bytes.
 */
static void expect_six_working(struct __test_metadata *_metadata, fx_t *self, uint8_t *buf)
{
	unsigned int i, pg;

	memset(buf, CANARY, MAPS_PAGES * TL_PAGE);
	ASSERT_EQ(0, load_device(self));
	for (i = 0; i < NMAPS; i++) {
		pg = map_at[i] + map_pages[i] - 1;
		ASSERT_EQ(0, tl_edu_to_ram(&self->edu[0], IOVA(pg), DMA_LEN));
		EXPECT_EQ(0, memcmp(buf + pg * TL_PAGE, self->src, DMA_LEN))
			TH_LOG("mapping %u no longer reached", i);
	}
}

/*
 * One UNMAP_VEC removes four of six mappings (two in one range), its
 * ranges out of IOVA order: the figures are right, the pages are unpinned
 * and uncharged at once, MAPPINGS lists the two left, which the device
 * still reaches, and a device write to a removed mapping it reached just
 * before is blocked by the SMMU: the memory unchanged and a fault record.
 */
TEST_F_TIMEOUT(vec, unmap_vec_removes_several_and_unpins, 60)
{
	struct smmu_assign_iova_range r[3] = {
		rng(IOVA(6), TL_PAGE), rng(IOVA(0), 2 * TL_PAGE), rng(IOVA(3), 2 * TL_PAGE),
	};
	struct smmu_assign_fault_event ev[64];
	struct smmu_assign_mapping_info *maps;
	const size_t p = TL_PAGE;
	struct tl_edu *d = &self->edu[0];
	long long pins0;
	__u64 len = 0;
	uint32_t count = 0;
	long vmpin0;
	uint8_t *buf;
	size_t n;
	int got;

	NEED_DEVS(1);
	pins0 = tl_pins_now();
	vmpin0 = tl_vmpin_kb(0);
	buf = six_mappings(_metadata, self);
	ASSERT_NE(NULL, buf);
	EXPECT_EQ(pins0 + 7, tl_pins_now());
	EXPECT_EQ(vmpin0 + 7 * p / 1024, tl_vmpin_kb(0));
	/* m3 is reached: its translation is in the IOTLB now. */
	ASSERT_EQ(0, load_device(self));
	ASSERT_EQ(0, tl_edu_to_ram(d, IOVA(6), DMA_LEN));
	ASSERT_EQ(0, memcmp(buf + 6 * p, self->src, DMA_LEN));
	memset(buf + 6 * p, CANARY, p);

	ASSERT_EQ(0, smmua_unmap_vec(self->fd, self->sp, r, 3, &len, &count));
	EXPECT_EQ(4, count);
	EXPECT_EQ(5 * p, len);
	EXPECT_EQ(pins0 + 2, tl_pins_now()) TH_LOG("pages not unpinned");
	EXPECT_EQ(vmpin0 + 2 * p / 1024, tl_vmpin_kb(0)) TH_LOG("VmPin not uncharged");
	ASSERT_EQ(0, smmua_mappings(self->fd, self->sp, NULL, &maps, &n));
	ASSERT_EQ(3, n);
	EXPECT_EQ(SRC_IOVA, maps[0].iova);
	EXPECT_EQ(IOVA(8), maps[1].iova);
	EXPECT_EQ(IOVA(10), maps[2].iova);
	free(maps);

	/* The two left work; m3 is blocked, its page untouched. */
	ASSERT_EQ(0, tl_edu_to_ram(d, IOVA(8), DMA_LEN));
	EXPECT_EQ(0, memcmp(buf + 8 * p, self->src, DMA_LEN));
	ASSERT_EQ(0, tl_edu_to_ram(d, IOVA(10), DMA_LEN));
	EXPECT_EQ(0, memcmp(buf + 10 * p, self->src, DMA_LEN));
	ASSERT_EQ(0, tl_edu_to_ram(d, IOVA(6), 64));
	EXPECT_EQ(-1, tl_buf_find_not(buf + 6 * p, p, CANARY)) TH_LOG("an unmapped IOVA took a write");
	EXPECT_EQ(-1, tl_buf_find_not(buf, 6 * p, CANARY));

	/* The rest: VmPin back where it was. */
	r[0] = rng(IOVA(8), 4 * p);
	ASSERT_EQ(0, smmua_unmap_vec(self->fd, self->sp, r, 1, &len, &count));
	EXPECT_EQ(2, count);
	EXPECT_EQ(2 * p, len);
	EXPECT_EQ(pins0, tl_pins_now());
	EXPECT_EQ(vmpin0, tl_vmpin_kb(0));
	tl_buf_free(buf, MAPS_PAGES * p);
	if (!tl_faults_delivered()) {
		EXPECT_EQ(0, tl_fault_records(self->fd, ev, 64, 1, 200));
		TL_SKIP_FAULTS();
	}
	/* 64 bytes: 16 beats, 16 records at the page. */
	got = tl_fault_records(self->fd, ev, 64, 16, FAULT_WAIT_MS);
	EXPECT_EQ(16, tl_count_records(ev, got, &d->bdf, IOVA(6)))
		TH_LOG("the blocked write was not recorded (%d records)", got);
}

/*
 * One range of an UNMAP_VEC straddles a mapping: EINVAL, and every mapping
 * stays, the ones the other ranges held among them, pinned and reached.
 */
TEST_F_TIMEOUT(vec, unmap_vec_straddling_range_is_einval_and_unmaps_nothing, 60)
{
	const size_t p = TL_PAGE;
	struct smmu_assign_iova_range r[3];
	struct state before;
	uint8_t *buf;
	int k;

	NEED_DEVS(1);
	buf = six_mappings(_metadata, self);
	ASSERT_NE(NULL, buf);
	state_take(_metadata, self, &before);
	for (k = 0; k < 3; k++) {
		r[0] = rng(IOVA(0), 2 * p);
		r[1] = rng(IOVA(8), p);
		/* The first page of m2, its last, or from a hole into it. */
		r[2] = k == 0 ? rng(IOVA(3), p) : k == 1 ? rng(IOVA(4), 2 * p) : rng(IOVA(2), 2 * p);
		EXPECT_EQ(-EINVAL, smmua_unmap_vec(self->fd, self->sp, r, 3, NULL, NULL))
			TH_LOG("form %d", k);
		/* And the culprit first. */
		EXPECT_EQ(-EINVAL, smmua_unmap_vec(self->fd, self->sp, r + 2, 1, NULL, NULL));
	}
	expect_unchanged(_metadata, self, &before, "UNMAP_VEC with a straddling range");
	expect_six_working(_metadata, self, buf);
	state_free(&before);
	tl_buf_free(buf, MAPS_PAGES * p);
}

/*
 * One range of an UNMAP_VEC holds no mapping: ENOENT, and every mapping
 * stays, pinned and reached.
 */
TEST_F_TIMEOUT(vec, unmap_vec_empty_range_is_enoent_and_unmaps_nothing, 60)
{
	const size_t p = TL_PAGE;
	const struct smmu_assign_iova_range empty[3] = {
		rng(IOVA(2), p), rng(IOVA(11), 4 * p), rng(IOVA(400), p),
	};
	struct smmu_assign_iova_range r[3];
	struct state before;
	uint8_t *buf;
	int k;

	NEED_DEVS(1);
	buf = six_mappings(_metadata, self);
	ASSERT_NE(NULL, buf);
	state_take(_metadata, self, &before);
	for (k = 0; k < 3; k++) {
		r[0] = rng(IOVA(0), 2 * p);
		r[1] = empty[k];
		r[2] = rng(IOVA(6), p);
		EXPECT_EQ(-ENOENT, smmua_unmap_vec(self->fd, self->sp, r, 3, NULL, NULL))
			TH_LOG("empty range %d", k);
	}
	expect_unchanged(_metadata, self, &before, "UNMAP_VEC with an empty range");
	expect_six_working(_metadata, self, buf);
	state_free(&before);
	tl_buf_free(buf, MAPS_PAGES * p);
}

/*
 * Ranges may overlap: the same range twice, one inside another, one
 * across holes and mappings others hold too. Each mapping is removed once
 * and counted once.
 */
TEST_F(vec, unmap_vec_overlapping_ranges_are_accepted)
{
	const size_t p = TL_PAGE;
	const struct smmu_assign_iova_range r[5] = {
		rng(IOVA(1), 5 * p),	/* m1, a hole, m2, a hole */
		rng(IOVA(0), 2 * p),	/* m0, m1 */
		rng(IOVA(1), p),	/* m1, inside both */
		rng(IOVA(0), 2 * p),	/* the second again */
		rng(IOVA(3), 2 * p),	/* m2, inside the first */
	};
	struct smmu_assign_mapping_info *maps;
	__u64 len = 0;
	uint32_t count = 0;
	uint8_t *buf;
	size_t n;

	NEED_DEVS(1);
	buf = six_mappings(_metadata, self);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, smmua_unmap_vec(self->fd, self->sp, r, 5, &len, &count));
	EXPECT_EQ(3, count);
	EXPECT_EQ(4 * p, len);
	ASSERT_EQ(0, smmua_mappings(self->fd, self->sp, NULL, &maps, &n));
	ASSERT_EQ(4, n);
	EXPECT_EQ(SRC_IOVA, maps[0].iova);
	EXPECT_EQ(IOVA(6), maps[1].iova);
	EXPECT_EQ(IOVA(8), maps[2].iova);
	EXPECT_EQ(IOVA(10), maps[3].iova);
	free(maps);
	tl_buf_free(buf, MAPS_PAGES * p);
}

/*
 * Every malformed UNMAP_VEC gets its errno and unmaps nothing: the
 * conventions, the reserved field, the count, a range misaligned, empty
 * or wrapping, an array that cannot be read, a space not this file's.
 */
TEST_F(vec, unmap_vec_bad_input)
{
	struct smmu_assign_iova_range r[3];
	struct smmu_assign_unmap_vec cmd;
	const size_t p = TL_PAGE;
	struct state before;
	char why[128] = "";
	uint32_t theirs;
	uint8_t *buf;

	NEED_DEVS(1);
	buf = six_mappings(_metadata, self);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, smmua_space_alloc(self->other, NULL, &theirs));
	ASSERT_EQ(0, smmua_space_alloc(self->other, NULL, &theirs));
	r[0] = rng(IOVA(0), p);
	r[1] = rng(IOVA(3), 2 * p);
	r[2] = rng(IOVA(10), p);
	state_take(_metadata, self, &before);
	memset(&cmd, 0, sizeof(cmd));
	cmd.size = sizeof(cmd);
	cmd.space_id = self->sp;
	cmd.num_entries = 3;
	cmd.ranges = (uintptr_t)r;
	EXPECT_EQ(0, tl_conventions(self->fd, SMMU_ASSIGN_UNMAP_VEC, &cmd, sizeof(cmd), 0, why,
				    sizeof(why))) TH_LOG("%s", why);
	cmd.__reserved = 1;
	EXPECT_EQ(-EOPNOTSUPP, tl_ioctl_p(self->fd, SMMU_ASSIGN_UNMAP_VEC, &cmd));
	cmd.__reserved = 0;

	vec_counts_refused(_metadata, self->fd, SMMU_ASSIGN_UNMAP_VEC, &cmd, &cmd.num_entries,
			   &cmd.ranges, &r[0], sizeof(r[0]));

	/* The middle range misaligned, empty, wrapping. */
	r[1].iova += 8;
	EXPECT_EQ(-EINVAL, smmua_unmap_vec(self->fd, self->sp, r, 3, NULL, NULL));
	r[1].iova -= 8;
	r[1].length += 8;
	EXPECT_EQ(-EINVAL, smmua_unmap_vec(self->fd, self->sp, r, 3, NULL, NULL));
	r[1].length = 0;
	EXPECT_EQ(-EINVAL, smmua_unmap_vec(self->fd, self->sp, r, 3, NULL, NULL));
	r[1] = rng(-(uint64_t)p, 2 * p);
	EXPECT_EQ(-EOVERFLOW, smmua_unmap_vec(self->fd, self->sp, r, 3, NULL, NULL));
	r[1] = rng(IOVA(3), 2 * p);

	/* The array unreadable. */
	cmd.ranges = 0;
	EXPECT_EQ(-EFAULT, tl_ioctl_p(self->fd, SMMU_ASSIGN_UNMAP_VEC, &cmd));
	cmd.ranges = 8;
	EXPECT_EQ(-EFAULT, tl_ioctl_p(self->fd, SMMU_ASSIGN_UNMAP_VEC, &cmd));
	cmd.ranges = (uintptr_t)r;

	/* No such space here. */
	EXPECT_EQ(-ENOENT, smmua_unmap_vec(self->fd, 0, r, 3, NULL, NULL));
	EXPECT_EQ(-ENOENT, smmua_unmap_vec(self->fd, UINT32_MAX, r, 3, NULL, NULL));
	EXPECT_EQ(-ENOENT, smmua_unmap_vec(self->fd, theirs, r, 3, NULL, NULL));
	expect_unchanged(_metadata, self, &before, "UNMAP_VEC refusals");

	/* As it is, it unmaps. */
	ASSERT_EQ(0, tl_ioctl_p(self->fd, SMMU_ASSIGN_UNMAP_VEC, &cmd));
	EXPECT_EQ(3, cmd.out_unmapped_count);
	EXPECT_EQ(4 * p, cmd.out_unmapped_length);
	state_free(&before);
	tl_buf_free(buf, MAPS_PAGES * p);
}

TEST_HARNESS_MAIN
