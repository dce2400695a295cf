// SPDX-License-Identifier: GPL-2.0
/*
 * Address spaces: several devices in one space reach one set of mappings,
 * pinned and charged once, whether their groups share one IOMMU domain or
 * each has its own with the mappings mirrored (share_domains=0). Devices
 * come and go while the mappings stay; allowed ranges grow and shrink while
 * mapped, on both sides of the MSI window; every refusal of the space
 * ioctls has its exact errno and leaves the space as it was. Each DMA is
 * real (edu) and its bytes are checked.
 *
 * Where the kernel delivers no fault records (6.9+), the blocked DMAs are
 * still made and their memory checked, and the record checks are skipped
 * with the reason.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "smmu_assign_lib.h"
#include "testlib.h"

/* Below the MSI window: the space's first range. */
#define WIN_IOVA	0x1000000ULL
#define WIN_LEN		0x4000000ULL
/* Above it, under edu's 28-bit DMA mask: the range a space grows by. */
#define HIGH_IOVA	(TL_MSI_IOVA + TL_MSI_LENGTH)
#define HIGH_LEN	0x1000000ULL
#define BUF_IOVA	(WIN_IOVA + 0x100000)
#define HIGH_BUF_IOVA	(HIGH_IOVA + 0x100000)
#define NDEV		3
/* One page to read from, and one per device to write to, and spare. */
#define SHARED_PAGES	8
#define DMA_LEN		TL_EDU_DMA_MAX
#define RW		(SMMU_ASSIGN_MAP_READ | SMMU_ASSIGN_MAP_WRITE)
#define CANARY		0xa5
#define FAULT_WAIT_MS	3000
#define NOBODY		65534
/* The timing: 256 MiB, far from any DMA, each way a few times. */
#define TIMED_LEN	(256ULL << 20)
#define TIMED_IOVA	0x100000000ULL
#define TIMED_ROUNDS	9

FIXTURE(spaces) {
	int nr;
	char names[TL_MAX_DEVS][SMMUA_BDF_STRLEN];
	struct tl_edu edu[NDEV];
	int fd, other;
	char share_domains[8];		/* to restore */
};

FIXTURE_SETUP(spaces)
{
	self->fd = self->other = -1;
	self->nr = tl_edus_take(self->names, self->edu, NDEV);
	ASSERT_LE(0, self->nr);
	ASSERT_EQ(0, tl_param_read("share_domains", self->share_domains,
				   sizeof(self->share_domains)));
	self->fd = smmua_open();
	self->other = smmua_open();
	ASSERT_LE(0, self->fd);
	ASSERT_LE(0, self->other);
}

FIXTURE_TEARDOWN(spaces)
{
	int i;

	if (self->fd >= 0)
		close(self->fd);
	if (self->other >= 0)
		close(self->other);
	if (self->share_domains[0])
		tl_param_write("share_domains", self->share_domains);
	for (i = 0; i < self->nr; i++) {
		tl_drop_binding(&self->edu[i].bdf);
		tl_edu_close(&self->edu[i]);
		tl_bind_stub(self->names[i]);
	}
}

#define NEED_DEVS(n)	TL_NEED_DEVS(self->nr, n)

typedef FIXTURE_DATA(spaces) fx_t;

/*
 * A chain through the shared buffer (tl_edu_chain) of the first ndev
 * devices; nothing past the last page written may change.
 */
static void chain(struct __test_metadata *_metadata, fx_t *self, int ndev, uint8_t *buf,
		  uint64_t iova, uint32_t seed)
{
	struct tl_edu *e[NDEV];
	int i, ret;

	for (i = 0; i < ndev; i++)
		e[i] = &self->edu[i];
	memset(buf + TL_PAGE, CANARY, (SHARED_PAGES - 1) * TL_PAGE);
	ret = tl_edu_chain(e, ndev, buf, iova, seed);
	EXPECT_EQ(0, ret) TH_LOG("%s", ret > 0 ? self->edu[ret - 1].name : strerror(-ret));
	EXPECT_EQ(-1, tl_buf_find_not(buf + (ndev + 1) * TL_PAGE,
				      (SHARED_PAGES - ndev - 1) * TL_PAGE, CANARY));
}

/*
 * Three devices in one space, then one MAP: pinned once (nr_foll_pin_acquired
 * grows by the pages, not three times that), charged once (VmPin), and every
 * device reads and writes the one buffer. With share one IOMMU domain serves
 * the three groups (SHARED); without, each has its own, mirrored.
 */
static void three_devices(struct __test_metadata *_metadata, fx_t *self, bool share)
{
	struct smmu_assign_bind out;
	struct smmu_assign_query q;
	struct smmua_space_desc d;
	long long taken0, taken, pins0;
	long vmpin0;
	uint8_t *buf;
	int sp, i;

	ASSERT_EQ(0, tl_param_write("share_domains", share ? "Y" : "N"));
	sp = tl_space(self->fd, share ? "shared" : "mirrored", WIN_IOVA, WIN_LEN);
	ASSERT_LT(0, sp);
	for (i = 0; i < NDEV; i++) {
		ASSERT_EQ(0, smmua_bind_space(self->fd, &self->edu[i].bdf, sp, &out));
		EXPECT_EQ(sp, out.out_space_id);
		EXPECT_EQ(1, out.out_num_devices);
		/* The first group is alone in its domain when it binds. */
		EXPECT_EQ(!i ? 0 : share ? SMMU_ASSIGN_DOMAIN_SHARED : SMMU_ASSIGN_DOMAIN_MIRRORED,
			  out.out_domain_flags) TH_LOG("%s", self->edu[i].name);
	}
	for (i = 0; i < NDEV; i++) {
		ASSERT_EQ(0, smmua_query(self->fd, &self->edu[i].bdf, &q));
		EXPECT_EQ(sp, q.out_space_id);
		EXPECT_STREQ(share ? "shared" : "mirrored", q.out_space_name);
		EXPECT_EQ(share ? SMMU_ASSIGN_DOMAIN_SHARED : SMMU_ASSIGN_DOMAIN_MIRRORED,
			  q.out_domain_flags) TH_LOG("%s", self->edu[i].name);
	}
	ASSERT_EQ(0, smmua_space_info(self->fd, sp, NULL, &d));
	EXPECT_EQ(share ? 1 : NDEV, d.info.out_num_domains);
	EXPECT_EQ(NDEV, d.num_devices);
	smmua_space_desc_free(&d);

	buf = tl_buf_alloc(SHARED_PAGES * TL_PAGE, CANARY);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, tl_pins_acquired(&taken0));
	pins0 = tl_pins_now();
	vmpin0 = tl_vmpin_kb(0);
	ASSERT_EQ(0, smmua_map(self->fd, sp, RW, buf, BUF_IOVA, SHARED_PAGES * TL_PAGE));
	ASSERT_EQ(0, tl_pins_acquired(&taken));
	EXPECT_EQ(taken0 + SHARED_PAGES, taken) TH_LOG("pinned more than once");
	EXPECT_EQ(pins0 + SHARED_PAGES, tl_pins_now());
	EXPECT_EQ(vmpin0 + SHARED_PAGES * TL_PAGE / 1024, tl_vmpin_kb(0))
		TH_LOG("charged more than once");
	ASSERT_EQ(0, smmua_space_info(self->fd, sp, NULL, &d));
	EXPECT_EQ(SHARED_PAGES, d.info.out_pinned_pages);
	EXPECT_EQ(SHARED_PAGES * TL_PAGE, d.info.out_bytes_mapped);
	EXPECT_EQ(1, d.info.out_num_mappings);
	smmua_space_desc_free(&d);

	chain(_metadata, self, NDEV, buf, BUF_IOVA, share ? 11 : 12);
	/* The DMAs took no pins of their own. */
	ASSERT_EQ(0, tl_pins_acquired(&taken));
	EXPECT_EQ(taken0 + SHARED_PAGES, taken);

	/* One UNMAP lets the pages go, once, from every domain. */
	ASSERT_EQ(0, smmua_unmap(self->fd, sp, SMMU_ASSIGN_UNMAP_ALL, 0, 0, NULL));
	EXPECT_EQ(pins0, tl_pins_now());
	EXPECT_EQ(vmpin0, tl_vmpin_kb(0));
	tl_buf_free(buf, SHARED_PAGES * TL_PAGE);
}

TEST_F_TIMEOUT(spaces, three_devices_share_one_map, 120)
{
	NEED_DEVS(NDEV);
	three_devices(_metadata, self, true);
}

TEST_F_TIMEOUT(spaces, three_devices_mirrored_domains_one_map, 120)
{
	NEED_DEVS(NDEV);
	three_devices(_metadata, self, false);
}

/*
 * The pins are charged once also against a user's RLIMIT_MEMLOCK: a
 * process of NOBODY, with no capabilities and a limit of exactly the
 * buffer, maps it into a space of three devices (the file it inherited),
 * and cannot map a page more.
 */
TEST_F_TIMEOUT(spaces, three_devices_charge_an_unprivileged_mapper_once, 120)
{
	int sp, i, status;
	uint8_t *buf;
	pid_t pid;

	NEED_DEVS(NDEV);
	sp = tl_space(self->fd, NULL, WIN_IOVA, WIN_LEN);
	ASSERT_LT(0, sp);
	for (i = 0; i < NDEV; i++)
		ASSERT_EQ(0, smmua_bind_space(self->fd, &self->edu[i].bdf, sp, NULL));
	/* Shared, so that the pages the child pins are the ones the parent sees. */
	buf = mmap(NULL, (SHARED_PAGES + 1) * TL_PAGE, PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	ASSERT_NE(MAP_FAILED, buf);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		long vmpin0;

		if (tl_become(NOBODY, NOBODY, SHARED_PAGES))
			_exit(10);
		vmpin0 = tl_vmpin_kb(0);
		if (smmua_map(self->fd, sp, RW, buf, BUF_IOVA, SHARED_PAGES * TL_PAGE))
			_exit(11);
		if (tl_vmpin_kb(0) != vmpin0 + SHARED_PAGES * TL_PAGE / 1024)
			_exit(12);
		if (smmua_map(self->fd, sp, RW, buf + SHARED_PAGES * TL_PAGE,
			      BUF_IOVA + SHARED_PAGES * TL_PAGE, TL_PAGE) != -ENOMEM)
			_exit(13);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status))
		TH_LOG("10 set-up, 11 MAP of the limit, 12 VmPin, 13 a page over the limit");
	/* The child's pages are the file's: the devices reach them. */
	chain(_metadata, self, NDEV, buf, BUF_IOVA, 13);
	ASSERT_EQ(0, smmua_unmap(self->fd, sp, SMMU_ASSIGN_UNMAP_ALL, 0, 0, NULL));
	munmap(buf, (SHARED_PAGES + 1) * TL_PAGE);
}

/*
 * Attach and detach while mapped: a device bound into a space after its
 * mappings were made reaches them at once; UNBIND of one device leaves the
 * others' DMA working; an UNMAP blocks them all, their memory unchanged,
 * and each device's blocked write is a fault record.
 */
TEST_F_TIMEOUT(spaces, attach_and_detach_while_mapped, 180)
{
	struct smmu_assign_fault_event ev[256];
	struct smmua_space_desc d;
	long long pins0;
	uint8_t *buf;
	int sp, i, n;

	NEED_DEVS(NDEV);
	buf = tl_buf_alloc(SHARED_PAGES * TL_PAGE, CANARY);
	ASSERT_NE(NULL, buf);
	pins0 = tl_pins_now();
	sp = tl_space(self->fd, NULL, WIN_IOVA, WIN_LEN);
	ASSERT_LT(0, sp);
	/*
	 * Mapped before any device: pinned, and waiting for one. The first
	 * page apart, to be unmapped apart from the rest later.
	 */
	ASSERT_EQ(0, smmua_map(self->fd, sp, RW, buf, BUF_IOVA, TL_PAGE));
	ASSERT_EQ(0, smmua_map(self->fd, sp, RW, buf + TL_PAGE, BUF_IOVA + TL_PAGE,
			       (SHARED_PAGES - 1) * TL_PAGE));
	EXPECT_EQ(pins0 + SHARED_PAGES, tl_pins_now());
	for (i = 0; i < NDEV; i++)
		ASSERT_EQ(0, smmua_bind_space(self->fd, &self->edu[i].bdf, sp, NULL));
	chain(_metadata, self, NDEV, buf, BUF_IOVA, 21);

	/* The middle one goes: the chain skips it, and the others still work. */
	ASSERT_EQ(0, smmua_unbind(self->fd, &self->edu[1].bdf));
	ASSERT_EQ(0, smmua_space_info(self->fd, sp, NULL, &d));
	EXPECT_EQ(NDEV - 1, d.num_devices);
	EXPECT_EQ(2, d.info.out_num_mappings);
	smmua_space_desc_free(&d);
	tl_buf_pattern(buf, TL_PAGE, 22);
	memset(buf + TL_PAGE, CANARY, (SHARED_PAGES - 1) * TL_PAGE);
	ASSERT_EQ(0, tl_edu_round_trip(&self->edu[0], BUF_IOVA, BUF_IOVA + TL_PAGE, DMA_LEN));
	ASSERT_EQ(0, tl_edu_round_trip(&self->edu[2], BUF_IOVA + TL_PAGE,
				       BUF_IOVA + 2 * TL_PAGE, DMA_LEN));
	EXPECT_EQ(0, memcmp(buf + 2 * TL_PAGE, buf, DMA_LEN));
	/* And it comes back into the mapped space, reaching it at once. */
	ASSERT_EQ(0, smmua_bind_space(self->fd, &self->edu[1].bdf, sp, NULL));
	chain(_metadata, self, NDEV, buf, BUF_IOVA, 23);

	/* The UNMAP of the pages they write to blocks all three. */
	ASSERT_EQ(0, smmua_unmap(self->fd, sp, 0, BUF_IOVA + TL_PAGE,
				 (SHARED_PAGES - 1) * TL_PAGE, NULL));
	memset(buf + TL_PAGE, CANARY, (SHARED_PAGES - 1) * TL_PAGE);
	for (i = 0; i < NDEV; i++)
		ASSERT_EQ(0, tl_edu_round_trip(&self->edu[i], BUF_IOVA,
					       BUF_IOVA + (i + 1) * TL_PAGE, 64));
	EXPECT_EQ(-1, tl_buf_find_not(buf + TL_PAGE, (SHARED_PAGES - 1) * TL_PAGE, CANARY));
	EXPECT_EQ(pins0 + 1, tl_pins_now());
	if (!tl_faults_delivered()) {
		EXPECT_EQ(0, tl_fault_records(self->fd, ev, 256, 1, 200));
		TL_SKIP_FAULTS();
	}
	/* 64 bytes: 16 beats, 16 records for each device at its own page. */
	n = tl_fault_records(self->fd, ev, 256, NDEV * 16, FAULT_WAIT_MS);
	for (i = 0; i < NDEV; i++)
		EXPECT_EQ(16, tl_count_records(ev, n, &self->edu[i].bdf,
					       BUF_IOVA + (i + 1) * TL_PAGE))
			TH_LOG("%s: its blocked write was not recorded", self->edu[i].name);
	tl_buf_free(buf, SHARED_PAGES * TL_PAGE);
}

/*
 * Allowed ranges change while mapped and in use: a second range above the
 * MSI window takes a MAP and DMA, and DMA crosses between the ranges on
 * both sides of the window. A shrink over a mapping is EBUSY; a range over
 * the MSI window (a reserved region of the group) is EADDRINUSE; neither
 * changes the ranges.
 */
TEST_F_TIMEOUT(spaces, allowed_ranges_grow_and_shrink_while_mapped, 120)
{
	const struct smmu_assign_iova_range low = { WIN_IOVA, WIN_LEN };
	const struct smmu_assign_iova_range high = { HIGH_IOVA, HIGH_LEN };
	const struct smmu_assign_iova_range both[2] = { high, low };
	/* Lists that keep both mappings inside, but cover the MSI window. */
	const struct smmu_assign_iova_range over_msi[][3] = {
		/* Its first page, with the low range. */
		{ { WIN_IOVA, TL_MSI_IOVA - WIN_IOVA + TL_PAGE }, high },
		/* Its last page, with the high range. */
		{ low, { TL_MSI_IOVA + TL_MSI_LENGTH - TL_PAGE, HIGH_LEN + TL_PAGE } },
		/* Exactly it, between the two. */
		{ low, { TL_MSI_IOVA, TL_MSI_LENGTH }, high },
		/* Around it, up to the high range. */
		{ low, { 0x7000000, HIGH_IOVA - 0x7000000 }, high },
	};
	const unsigned int over_msi_num[] = { 2, 2, 3, 3 };
	struct smmu_assign_iova_range r[3];
	struct smmua_space_desc before, after;
	struct tl_edu *e = &self->edu[0];
	uint8_t *lo, *hi;
	unsigned int i;
	int sp;

	NEED_DEVS(1);
	lo = tl_buf_alloc(2 * TL_PAGE, CANARY);
	hi = tl_buf_alloc(2 * TL_PAGE, CANARY);
	ASSERT_TRUE(lo && hi);
	sp = tl_space(self->fd, NULL, WIN_IOVA, WIN_LEN);
	ASSERT_LT(0, sp);
	ASSERT_EQ(0, smmua_bind_space(self->fd, &e->bdf, sp, NULL));
	ASSERT_EQ(0, smmua_map(self->fd, sp, RW, lo, BUF_IOVA, 2 * TL_PAGE));
	EXPECT_EQ(-ERANGE, smmua_map(self->fd, sp, RW, hi, HIGH_BUF_IOVA, 2 * TL_PAGE));

	/* Grow: any order in, IOVA order out. */
	ASSERT_EQ(0, smmua_space_allow_iovas(self->fd, sp, both, 2));
	ASSERT_EQ(0, smmua_space_info(self->fd, sp, NULL, &before));
	ASSERT_EQ(2, before.num_ranges);
	EXPECT_EQ(WIN_IOVA, before.ranges[0].iova);
	EXPECT_EQ(WIN_LEN, before.ranges[0].length);
	EXPECT_EQ(HIGH_IOVA, before.ranges[1].iova);
	EXPECT_EQ(HIGH_LEN, before.ranges[1].length);
	ASSERT_EQ(0, smmua_map(self->fd, sp, RW, hi, HIGH_BUF_IOVA, 2 * TL_PAGE));
	/* Below the MSI window to above it, and back. */
	tl_buf_pattern(lo, TL_PAGE, 31);
	ASSERT_EQ(0, tl_edu_round_trip(e, BUF_IOVA, HIGH_BUF_IOVA + TL_PAGE, DMA_LEN));
	EXPECT_EQ(0, memcmp(hi + TL_PAGE, lo, DMA_LEN));
	tl_buf_pattern(hi, TL_PAGE, 32);
	ASSERT_EQ(0, tl_edu_round_trip(e, HIGH_BUF_IOVA, BUF_IOVA + TL_PAGE, DMA_LEN));
	EXPECT_EQ(0, memcmp(lo + TL_PAGE, hi, DMA_LEN));
	smmua_space_desc_free(&before);

	/* Shrinking past either mapping is EBUSY, and changes nothing. */
	ASSERT_EQ(0, smmua_space_info(self->fd, sp, NULL, &before));
	EXPECT_EQ(-EBUSY, smmua_space_allow_iovas(self->fd, sp, &low, 1));
	EXPECT_EQ(-EBUSY, smmua_space_allow_iovas(self->fd, sp, &high, 1));
	EXPECT_EQ(-EBUSY, smmua_space_allow_iovas(self->fd, sp, NULL, 0));
	r[0] = low;
	r[0].length = BUF_IOVA + TL_PAGE - WIN_IOVA;	/* cuts the low mapping in two */
	r[1] = high;
	EXPECT_EQ(-EBUSY, smmua_space_allow_iovas(self->fd, sp, r, 2));
	/* Covering the MSI window, in part or whole, is EADDRINUSE. */
	for (i = 0; i < ARRAY_SIZE(over_msi); i++)
		EXPECT_EQ(-EADDRINUSE, smmua_space_allow_iovas(self->fd, sp, over_msi[i],
							       over_msi_num[i]))
			TH_LOG("list %u", i);
	ASSERT_EQ(0, smmua_space_info(self->fd, sp, NULL, &after));
	EXPECT_TRUE(tl_space_equal(&before, &after));
	smmua_space_desc_free(&after);
	smmua_space_desc_free(&before);

	/* Right up to the window on both sides is fine. */
	r[0] = (struct smmu_assign_iova_range){ WIN_IOVA, TL_MSI_IOVA - WIN_IOVA };
	r[1] = (struct smmu_assign_iova_range){ HIGH_IOVA, HIGH_LEN };
	ASSERT_EQ(0, smmua_space_allow_iovas(self->fd, sp, r, 2));
	/* Once the high mapping goes, the space shrinks back to the low range. */
	ASSERT_EQ(0, smmua_unmap(self->fd, sp, 0, HIGH_BUF_IOVA, 2 * TL_PAGE, NULL));
	ASSERT_EQ(0, smmua_space_allow_iovas(self->fd, sp, &low, 1));
	EXPECT_EQ(-ERANGE, smmua_map(self->fd, sp, RW, hi, HIGH_BUF_IOVA, 2 * TL_PAGE));
	tl_buf_free(lo, 2 * TL_PAGE);
	tl_buf_free(hi, 2 * TL_PAGE);
}

/*
 * A space with no device has no reserved region yet: a range over the MSI
 * window is accepted, and the BIND that would bring the window in is
 * EADDRINUSE, leaving the device unbound and the space as it was.
 */
TEST_F(spaces, bind_into_a_space_over_the_msi_window_is_eaddrinuse)
{
	struct smmua_space_desc before, after;
	struct smmu_assign_query q;
	struct tl_edu *e = &self->edu[0];
	int sp;

	NEED_DEVS(1);
	sp = tl_space(self->fd, NULL, 0x7000000, 0x2000000);
	ASSERT_LT(0, sp);
	ASSERT_EQ(0, smmua_space_info(self->fd, sp, NULL, &before));
	EXPECT_EQ(0, before.num_reserved);
	EXPECT_EQ(-EADDRINUSE, smmua_bind_space(self->fd, &e->bdf, sp, NULL));
	EXPECT_EQ(-ENOENT, smmua_query(self->fd, &e->bdf, &q));
	ASSERT_EQ(0, smmua_space_info(self->fd, sp, NULL, &after));
	EXPECT_TRUE(tl_space_equal(&before, &after));
	smmua_space_desc_free(&before);
	smmua_space_desc_free(&after);
}

/*
 * SPACE_INFO: the name, owner, ranges, the reserved regions of the groups
 * in it (the MSI window once a device is in it), its devices, and its
 * figures; by id for its file, by device for its file and for an
 * administrator's other file.
 */
TEST_F(spaces, space_info_reports_the_space)
{
	struct smmu_assign_space_info cmd;
	struct smmu_assign_iova_range r;
	struct smmu_assign_bdf dev;
	struct smmua_space_desc d;
	uint8_t *buf;
	size_t i, msi = 0;
	int sp;

	NEED_DEVS(2);
	buf = tl_buf_alloc(2 * TL_PAGE, CANARY);
	ASSERT_NE(NULL, buf);
	sp = tl_space(self->fd, "info-0", WIN_IOVA, WIN_LEN);
	ASSERT_LT(0, sp);
	ASSERT_EQ(0, smmua_space_info(self->fd, sp, NULL, &d));
	EXPECT_EQ(sp, d.info.out_space_id);
	EXPECT_STREQ("info-0", d.info.out_name);
	EXPECT_EQ(getpid(), d.info.out_owner_pid);
	EXPECT_EQ(0, d.info.out_num_domains);
	EXPECT_EQ(0, d.num_devices);
	EXPECT_EQ(0, d.num_reserved);
	ASSERT_EQ(1, d.num_ranges);
	EXPECT_EQ(WIN_IOVA, d.ranges[0].iova);
	EXPECT_EQ(WIN_LEN, d.ranges[0].length);
	smmua_space_desc_free(&d);

	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, smmua_bind_space(self->fd, &self->edu[i].bdf, sp, NULL));
	ASSERT_EQ(0, smmua_map(self->fd, sp, RW, buf, BUF_IOVA, 2 * TL_PAGE));
	/* By device, from its own file and from another (we are root). */
	ASSERT_EQ(0, smmua_space_info(self->other, 0, &self->edu[1].bdf, &d));
	EXPECT_EQ(sp, d.info.out_space_id);
	EXPECT_STREQ("info-0", d.info.out_name);
	EXPECT_EQ(1, d.info.out_num_domains);
	EXPECT_NE(0, d.info.out_pgsize_bitmap & TL_PAGE);
	EXPECT_EQ(1, d.info.out_num_mappings);
	EXPECT_EQ(2 * TL_PAGE, d.info.out_bytes_mapped);
	EXPECT_EQ(2, d.info.out_pinned_pages);
	ASSERT_EQ(2, d.num_devices);
	for (i = 0; i < 2; i++)
		EXPECT_EQ(1, tl_bdf_eq(&d.devices[0], &self->edu[i].bdf) +
			     tl_bdf_eq(&d.devices[1], &self->edu[i].bdf));
	for (i = 0; i < d.num_reserved; i++)
		msi += d.reserved[i].type == SMMU_ASSIGN_RESV_SW_MSI &&
		       d.reserved[i].start == TL_MSI_IOVA &&
		       d.reserved[i].last == TL_MSI_IOVA + TL_MSI_LENGTH - 1;
	EXPECT_LE(1, msi) TH_LOG("no MSI window among %zu reserved regions", d.num_reserved);
	smmua_space_desc_free(&d);

	/* Arrays too short: EMSGSIZE, with every count filled. */
	memset(&cmd, 0, sizeof(cmd));
	cmd.size = sizeof(cmd);
	cmd.space_id = sp;
	cmd.num_devices = 1;
	cmd.devices = (uintptr_t)&dev;
	cmd.num_ranges = 1;
	cmd.ranges = (uintptr_t)&r;
	EXPECT_EQ(-1, ioctl(self->fd, SMMU_ASSIGN_SPACE_INFO, &cmd));
	EXPECT_EQ(EMSGSIZE, errno);
	EXPECT_EQ(2, cmd.num_devices);
	EXPECT_EQ(1, cmd.num_ranges);
	EXPECT_LE(1, cmd.num_reserved);

	/* A device no longer bound. */
	ASSERT_EQ(0, smmua_unbind(self->fd, &self->edu[1].bdf));
	EXPECT_EQ(-ENOENT, smmua_space_info(self->fd, 0, &self->edu[1].bdf, &d));
	tl_buf_free(buf, 2 * TL_PAGE);
}

/*
 * A persistent binding carries a space name: a CLAIM with no space id puts
 * it into the claimer's space of that name, where it reaches the mappings
 * at once; a file without one gets a new space of that name and the
 * binding's window.
 */
TEST_F_TIMEOUT(spaces, claim_joins_the_space_of_its_name, 120)
{
	struct smmu_assign_bind bind = { .flags = SMMU_ASSIGN_BIND_PERSISTENT };
	struct smmua_space_desc d;
	uint8_t *buf;
	__u32 got = 0;
	int sp, fd;

	NEED_DEVS(2);
	buf = tl_buf_alloc(SHARED_PAGES * TL_PAGE, CANARY);
	ASSERT_NE(NULL, buf);
	bind.bdf = self->edu[1].bdf;
	bind.window_iova = WIN_IOVA;
	bind.window_length = WIN_LEN;
	strcpy(bind.space_name, "vm-7");
	fd = smmua_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, smmua_bind_cmd(fd, &bind));
	EXPECT_EQ(0, bind.out_space_id);
	close(fd);

	/* No space of that name here: a new one, named, with the window. */
	ASSERT_EQ(0, smmua_claim(self->other, &self->edu[1].bdf, 0, 0, &got));
	ASSERT_EQ(0, smmua_space_info(self->other, got, NULL, &d));
	EXPECT_STREQ("vm-7", d.info.out_name);
	ASSERT_EQ(1, d.num_ranges);
	EXPECT_EQ(WIN_IOVA, d.ranges[0].iova);
	EXPECT_EQ(WIN_LEN, d.ranges[0].length);
	smmua_space_desc_free(&d);
	ASSERT_EQ(0, smmua_claim(self->other, &self->edu[1].bdf, SMMU_ASSIGN_CLAIM_RELEASE, 0,
				 NULL));

	/* This file has a space of that name, mapped and in use: the claim joins it. */
	sp = tl_space(self->fd, "vm-7", WIN_IOVA, WIN_LEN);
	ASSERT_LT(0, sp);
	ASSERT_EQ(0, smmua_bind_space(self->fd, &self->edu[0].bdf, sp, NULL));
	ASSERT_EQ(0, smmua_map(self->fd, sp, RW, buf, BUF_IOVA, SHARED_PAGES * TL_PAGE));
	got = 0;
	ASSERT_EQ(0, smmua_claim(self->fd, &self->edu[1].bdf, 0, 0, &got));
	EXPECT_EQ(sp, got);
	chain(_metadata, self, 2, buf, BUF_IOVA, 41);
	/* Released, it leaves the space and its mappings to the other device. */
	ASSERT_EQ(0, smmua_claim(self->fd, &self->edu[1].bdf, SMMU_ASSIGN_CLAIM_RELEASE, 0,
				 NULL));
	chain(_metadata, self, 1, buf, BUF_IOVA, 42);
	tl_drop_binding(&self->edu[1].bdf);
	tl_buf_free(buf, SHARED_PAGES * TL_PAGE);
}

/* ---- bad input ---- */

/* ioctl that returns 0 or -errno. */
static int raw(int fd, unsigned long req, void *cmd)
{
	return ioctl(fd, req, cmd) ? -errno : 0;
}

/*
 * The reference space for the refusals: a named space with a device, a
 * mapping and two ranges, whose SPACE_INFO must not change.
 */
struct ref {
	int sp;
	uint8_t *buf;
	struct smmua_space_desc desc;
};

static void ref_make(struct __test_metadata *_metadata, fx_t *self, struct ref *ref)
{
	const struct smmu_assign_iova_range r[2] = {
		{ WIN_IOVA, WIN_LEN }, { HIGH_IOVA, HIGH_LEN },
	};

	ref->buf = tl_buf_alloc(TL_PAGE, CANARY);
	ASSERT_NE(NULL, ref->buf);
	ref->sp = tl_space(self->fd, "ref", 0, 0);
	ASSERT_LT(0, ref->sp);
	ASSERT_EQ(0, smmua_space_allow_iovas(self->fd, ref->sp, r, 2));
	ASSERT_EQ(0, smmua_bind_space(self->fd, &self->edu[0].bdf, ref->sp, NULL));
	ASSERT_EQ(0, smmua_map(self->fd, ref->sp, RW, ref->buf, BUF_IOVA, TL_PAGE));
	ASSERT_EQ(0, smmua_space_info(self->fd, ref->sp, NULL, &ref->desc));
}

/*
 * A space of the other file whose id this file does not have: the
 * reference space is this file's first, and the other file's second
 * space is past it (UNCHANGED checks this file has no ref.sp + 1).
 */
static __u32 their_space(struct __test_metadata *_metadata, fx_t *self)
{
	__u32 id;

	EXPECT_EQ(0, smmua_space_alloc(self->other, NULL, &id));
	EXPECT_EQ(0, smmua_space_alloc(self->other, NULL, &id));
	EXPECT_EQ(2, id);
	return id;
}

/* The reference space is as it was, and no other space came to be. */
#define UNCHANGED(what) do {							\
	struct smmua_space_desc _now;						\
										\
	ASSERT_EQ(0, smmua_space_info(self->fd, ref.sp, NULL, &_now));		\
	EXPECT_TRUE(tl_space_equal(&ref.desc, &_now)) TH_LOG("%s", what);	\
	smmua_space_desc_free(&_now);						\
	EXPECT_FALSE(tl_has_space(self->fd, ref.sp + 1)) TH_LOG("%s", what);	\
} while (0)

/* tl_conventions() of an ioctl of the spaces, named in the log. */
static void conventions(struct __test_metadata *_metadata, int fd, unsigned long req,
			const char *name, void *cmd, size_t len, uint32_t valid_flags)
{
	char why[128] = "";

	EXPECT_EQ(0, tl_conventions(fd, req, cmd, len, valid_flags, why, sizeof(why)))
		TH_LOG("%s: %s", name, why);
}

TEST_F_TIMEOUT(spaces, space_alloc_bad_input, 60)
{
	static const char * const bad_names[] = { "a b", "vm/1", "vm:1", "x\n", "-\t" };
	struct smmu_assign_space_alloc cmd;
	struct {
		struct smmu_assign_space_alloc cmd;
		uint64_t tail[2];
	} big = {};
	struct ref ref;
	unsigned int i;
	__u32 id;

	NEED_DEVS(1);
	ref_make(_metadata, self, &ref);
	memset(&cmd, 0, sizeof(cmd));
	cmd.size = sizeof(cmd);
	strcpy(cmd.name, "fresh");
	conventions(_metadata, self->fd, SMMU_ASSIGN_SPACE_ALLOC, "SPACE_ALLOC", &cmd,
		    sizeof(cmd), 0);
	cmd.__reserved = 1;
	EXPECT_EQ(-EOPNOTSUPP, raw(self->fd, SMMU_ASSIGN_SPACE_ALLOC, &cmd));
	cmd.__reserved = 0;
	UNCHANGED("SPACE_ALLOC conventions");

	/* Names: taken (EEXIST), malformed (EINVAL). */
	EXPECT_EQ(-EEXIST, smmua_space_alloc(self->fd, "ref", &id));
	for (i = 0; i < ARRAY_SIZE(bad_names); i++)
		EXPECT_EQ(-EINVAL, smmua_space_alloc(self->fd, bad_names[i], &id))
			TH_LOG("bad name %u", i);
	memset(cmd.name, 'a', sizeof(cmd.name));	/* no terminator */
	EXPECT_EQ(-EINVAL, raw(self->fd, SMMU_ASSIGN_SPACE_ALLOC, &cmd));
	memset(cmd.name, 0, sizeof(cmd.name));
	strcpy(cmd.name, "ok");
	cmd.name[5] = 'x';				/* junk after it */
	EXPECT_EQ(-EINVAL, raw(self->fd, SMMU_ASSIGN_SPACE_ALLOC, &cmd));
	UNCHANGED("SPACE_ALLOC names");

	/* The longest name fits; another file may have the same names. */
	memset(cmd.name, 0, sizeof(cmd.name));
	memset(cmd.name, 'z', sizeof(cmd.name) - 1);
	EXPECT_EQ(0, raw(self->fd, SMMU_ASSIGN_SPACE_ALLOC, &cmd));
	EXPECT_EQ(ref.sp + 1, cmd.out_space_id);
	EXPECT_EQ(0, smmua_space_destroy(self->fd, cmd.out_space_id));
	EXPECT_EQ(0, smmua_space_alloc(self->other, "ref", &id));
	/* Nameless spaces may be many; a zero tail is accepted. */
	big.cmd.size = sizeof(big);
	EXPECT_EQ(0, raw(self->fd, SMMU_ASSIGN_SPACE_ALLOC, &big));
	EXPECT_EQ(0, raw(self->fd, SMMU_ASSIGN_SPACE_ALLOC, &big));
	smmua_space_desc_free(&ref.desc);
	tl_buf_free(ref.buf, TL_PAGE);
}

TEST_F_TIMEOUT(spaces, space_destroy_bad_input, 60)
{
	struct smmu_assign_space_destroy cmd;
	struct ref ref;
	__u32 theirs;

	NEED_DEVS(1);
	ref_make(_metadata, self, &ref);
	theirs = their_space(_metadata, self);
	memset(&cmd, 0, sizeof(cmd));
	cmd.size = sizeof(cmd);
	cmd.space_id = ref.sp;
	conventions(_metadata, self->fd, SMMU_ASSIGN_SPACE_DESTROY, "SPACE_DESTROY", &cmd,
		    sizeof(cmd), 0);
	cmd.__reserved = 1;
	EXPECT_EQ(-EOPNOTSUPP, raw(self->fd, SMMU_ASSIGN_SPACE_DESTROY, &cmd));
	UNCHANGED("SPACE_DESTROY conventions");
	/* A device in it: EBUSY. */
	EXPECT_EQ(-EBUSY, smmua_space_destroy(self->fd, ref.sp));
	/* No such space here: 0, one never made, another file's. */
	EXPECT_EQ(-ENOENT, smmua_space_destroy(self->fd, 0));
	EXPECT_EQ(-ENOENT, smmua_space_destroy(self->fd, ref.sp + 1));
	EXPECT_EQ(-ENOENT, smmua_space_destroy(self->fd, UINT32_MAX));
	EXPECT_EQ(-ENOENT, smmua_space_destroy(self->fd, theirs));
	EXPECT_EQ(-ENOENT, smmua_space_destroy(self->other, theirs + 1));
	UNCHANGED("SPACE_DESTROY refusals");
	EXPECT_TRUE(tl_has_space(self->other, theirs));
	/* Without its device it goes, with its mapping; then it is gone. */
	ASSERT_EQ(0, smmua_unbind(self->fd, &self->edu[0].bdf));
	EXPECT_EQ(0, smmua_space_destroy(self->fd, ref.sp));
	EXPECT_EQ(-ENOENT, smmua_space_destroy(self->fd, ref.sp));
	EXPECT_EQ(-ENOENT, smmua_map(self->fd, ref.sp, RW, ref.buf, BUF_IOVA, TL_PAGE));
	smmua_space_desc_free(&ref.desc);
	tl_buf_free(ref.buf, TL_PAGE);
}

TEST_F_TIMEOUT(spaces, space_allow_iovas_bad_input, 60)
{
	struct smmu_assign_iova_range r[SMMU_ASSIGN_MAX_RANGES + 1];
	struct smmu_assign_space_allow_iovas cmd;
	uint64_t p = TL_PAGE;
	struct ref ref;
	unsigned int i;
	__u32 theirs;

	NEED_DEVS(1);
	ref_make(_metadata, self, &ref);
	theirs = their_space(_metadata, self);
	r[0] = (struct smmu_assign_iova_range){ WIN_IOVA, WIN_LEN };
	memset(&cmd, 0, sizeof(cmd));
	cmd.size = sizeof(cmd);
	cmd.space_id = ref.sp;
	cmd.num_ranges = 1;
	cmd.ranges = (uintptr_t)r;
	conventions(_metadata, self->fd, SMMU_ASSIGN_SPACE_ALLOW_IOVAS, "SPACE_ALLOW_IOVAS",
		    &cmd, sizeof(cmd), 0);
	UNCHANGED("SPACE_ALLOW_IOVAS conventions");

	/* Overlapping, touching the same page twice, or the same range twice. */
	r[0] = (struct smmu_assign_iova_range){ WIN_IOVA, WIN_LEN };
	r[1] = (struct smmu_assign_iova_range){ WIN_IOVA + WIN_LEN - p, 2 * p };
	EXPECT_EQ(-EINVAL, smmua_space_allow_iovas(self->fd, ref.sp, r, 2));
	r[1] = r[0];
	EXPECT_EQ(-EINVAL, smmua_space_allow_iovas(self->fd, ref.sp, r, 2));
	r[1] = (struct smmu_assign_iova_range){ BUF_IOVA, p };	/* inside the first */
	EXPECT_EQ(-EINVAL, smmua_space_allow_iovas(self->fd, ref.sp, r, 2));
	/* Wrapping. */
	r[1] = (struct smmu_assign_iova_range){ -p, 2 * p };
	EXPECT_EQ(-EOVERFLOW, smmua_space_allow_iovas(self->fd, ref.sp, r, 2));
	/* Misaligned start or length, or empty. */
	r[1] = (struct smmu_assign_iova_range){ HIGH_IOVA + 0x800, HIGH_LEN };
	EXPECT_EQ(-EINVAL, smmua_space_allow_iovas(self->fd, ref.sp, r, 2));
	r[1] = (struct smmu_assign_iova_range){ HIGH_IOVA, HIGH_LEN - 8 };
	EXPECT_EQ(-EINVAL, smmua_space_allow_iovas(self->fd, ref.sp, r, 2));
	r[1] = (struct smmu_assign_iova_range){ HIGH_IOVA, 0 };
	EXPECT_EQ(-EINVAL, smmua_space_allow_iovas(self->fd, ref.sp, r, 2));
	/* Beyond the aperture of the space's domain. */
	r[1] = (struct smmu_assign_iova_range){ 1ULL << 60, HIGH_LEN };
	EXPECT_EQ(-ERANGE, smmua_space_allow_iovas(self->fd, ref.sp, r, 2));
	/* Too many: one more than the most, each page its own range. */
	for (i = 0; i <= SMMU_ASSIGN_MAX_RANGES; i++)
		r[i] = (struct smmu_assign_iova_range){ HIGH_IOVA + 2 * i * p, p };
	r[0] = (struct smmu_assign_iova_range){ WIN_IOVA, WIN_LEN };
	EXPECT_EQ(-EINVAL, smmua_space_allow_iovas(self->fd, ref.sp, r,
						   SMMU_ASSIGN_MAX_RANGES + 1));
	/* No such space here. */
	EXPECT_EQ(-ENOENT, smmua_space_allow_iovas(self->fd, ref.sp + 1, r, 1));
	EXPECT_EQ(-ENOENT, smmua_space_allow_iovas(self->fd, 0, r, 1));
	EXPECT_EQ(-ENOENT, smmua_space_allow_iovas(self->fd, theirs, r, 1));
	/* The list unreadable. */
	cmd.num_ranges = 2;
	cmd.ranges = 8;
	EXPECT_EQ(-EFAULT, raw(self->fd, SMMU_ASSIGN_SPACE_ALLOW_IOVAS, &cmd));
	UNCHANGED("SPACE_ALLOW_IOVAS refusals");

	/* The most ranges there may be, with the mapping inside one. */
	EXPECT_EQ(0, smmua_space_allow_iovas(self->fd, ref.sp, r, SMMU_ASSIGN_MAX_RANGES));
	smmua_space_desc_free(&ref.desc);
	tl_buf_free(ref.buf, TL_PAGE);
}

TEST_F_TIMEOUT(spaces, space_info_bad_input, 60)
{
	struct smmu_assign_space_info cmd;
	struct smmua_space_desc d;
	struct smmu_assign_bdf bad;
	struct ref ref;
	__u32 theirs;

	NEED_DEVS(2);
	ref_make(_metadata, self, &ref);
	theirs = their_space(_metadata, self);
	memset(&cmd, 0, sizeof(cmd));
	cmd.size = sizeof(cmd);
	cmd.space_id = ref.sp;
	conventions(_metadata, self->fd, SMMU_ASSIGN_SPACE_INFO, "SPACE_INFO", &cmd,
		    sizeof(cmd), SMMU_ASSIGN_BY_DEVICE);
	cmd.__reserved = 1;
	EXPECT_EQ(-EOPNOTSUPP, raw(self->fd, SMMU_ASSIGN_SPACE_INFO, &cmd));
	cmd.__reserved = 0;
	cmd.__reserved2 = 1;
	EXPECT_EQ(-EOPNOTSUPP, raw(self->fd, SMMU_ASSIGN_SPACE_INFO, &cmd));
	cmd.__reserved2 = 0;
	/* BY_DEVICE with a space id; a BDF without BY_DEVICE. */
	cmd.flags = SMMU_ASSIGN_BY_DEVICE;
	cmd.bdf = self->edu[0].bdf;
	EXPECT_EQ(-EINVAL, raw(self->fd, SMMU_ASSIGN_SPACE_INFO, &cmd));
	cmd.flags = 0;
	EXPECT_EQ(-EINVAL, raw(self->fd, SMMU_ASSIGN_SPACE_INFO, &cmd));
	/* No such space here. */
	EXPECT_EQ(-ENOENT, smmua_space_info(self->fd, ref.sp + 1, NULL, &d));
	EXPECT_EQ(-ENOENT, smmua_space_info(self->fd, 0, NULL, &d));
	EXPECT_EQ(-ENOENT, smmua_space_info(self->fd, theirs, NULL, &d));
	/* By a device not bound, or malformed. */
	EXPECT_EQ(-ENOENT, smmua_space_info(self->fd, 0, &self->edu[1].bdf, &d));
	bad = self->edu[0].bdf;
	bad.function = 8;
	EXPECT_EQ(-EINVAL, smmua_space_info(self->fd, 0, &bad, &d));
	bad = self->edu[0].bdf;
	bad.__reserved[1] = 1;
	EXPECT_EQ(-EOPNOTSUPP, smmua_space_info(self->fd, 0, &bad, &d));
	UNCHANGED("SPACE_INFO refusals");
	smmua_space_desc_free(&ref.desc);
	tl_buf_free(ref.buf, TL_PAGE);
}

/* The space fields of the older ioctls: BIND, CLAIM, MAP, UNMAP, MAPPINGS, TRANSLATE. */
TEST_F_TIMEOUT(spaces, space_fields_of_other_ioctls_bad_input, 60)
{
	struct smmu_assign_mapping_info *maps;
	struct smmu_assign_translate xl;
	struct smmu_assign_bind bind;
	struct ref ref;
	__u32 theirs;
	size_t n;

	NEED_DEVS(2);
	ref_make(_metadata, self, &ref);
	theirs = their_space(_metadata, self);

	/* BIND: a window with a space id; a space id when persistent. */
	memset(&bind, 0, sizeof(bind));
	bind.bdf = self->edu[1].bdf;
	bind.space_id = ref.sp;
	bind.window_iova = WIN_IOVA;
	bind.window_length = WIN_LEN;
	EXPECT_EQ(-EINVAL, smmua_bind_cmd(self->fd, &bind));
	bind.flags = SMMU_ASSIGN_BIND_PERSISTENT;
	EXPECT_EQ(-EINVAL, smmua_bind_cmd(self->fd, &bind));
	bind.window_iova = bind.window_length = 0;
	EXPECT_EQ(-EINVAL, smmua_bind_cmd(self->fd, &bind));
	/* No such space here. */
	EXPECT_EQ(-ENOENT, smmua_bind_space(self->fd, &self->edu[1].bdf, ref.sp + 1, NULL));
	EXPECT_EQ(-ENOENT, smmua_bind_space(self->fd, &self->edu[1].bdf, theirs, NULL));
	/* A new space with a name taken, or malformed. */
	memset(&bind, 0, sizeof(bind));
	bind.bdf = self->edu[1].bdf;
	bind.window_iova = WIN_IOVA;
	bind.window_length = WIN_LEN;
	strcpy(bind.space_name, "ref");
	EXPECT_EQ(-EEXIST, smmua_bind_cmd(self->fd, &bind));
	strcpy(bind.space_name, "re f");
	EXPECT_EQ(-EINVAL, smmua_bind_cmd(self->fd, &bind));
	UNCHANGED("BIND refusals");
	EXPECT_EQ(0, tl_listed(self->fd, &self->edu[1].bdf));

	/* CLAIM: a space id with RELEASE; a space that is not there. */
	ASSERT_EQ(0, smmua_bind(self->other, &self->edu[1].bdf, SMMU_ASSIGN_BIND_PERSISTENT,
				WIN_IOVA, WIN_LEN, NULL));
	EXPECT_EQ(-EINVAL, smmua_claim(self->fd, &self->edu[1].bdf, SMMU_ASSIGN_CLAIM_RELEASE,
				       ref.sp, NULL));
	EXPECT_EQ(-ENOENT, smmua_claim(self->fd, &self->edu[1].bdf, 0, ref.sp + 1, NULL));
	UNCHANGED("CLAIM refusals");
	tl_drop_binding(&self->edu[1].bdf);

	/* MAP, UNMAP, MAPPINGS, TRANSLATE of a space not there, or another file's. */
	EXPECT_EQ(-ENOENT, smmua_map(self->fd, ref.sp + 1, RW, ref.buf, BUF_IOVA, TL_PAGE));
	EXPECT_EQ(-ENOENT, smmua_map(self->fd, 0, RW, ref.buf, BUF_IOVA, TL_PAGE));
	EXPECT_EQ(-ENOENT, smmua_unmap(self->fd, ref.sp + 1, SMMU_ASSIGN_UNMAP_ALL, 0, 0, NULL));
	EXPECT_EQ(-ENOENT, smmua_mappings(self->fd, ref.sp + 1, NULL, &maps, &n));
	EXPECT_EQ(-ENOENT, smmua_translate(self->fd, ref.sp + 1, NULL, BUF_IOVA, &xl));
	EXPECT_EQ(-ENOENT, smmua_map(self->fd, theirs, RW, ref.buf, BUF_IOVA, TL_PAGE));
	EXPECT_EQ(-ENOENT, smmua_unmap(self->fd, theirs, SMMU_ASSIGN_UNMAP_ALL, 0, 0, NULL));
	/* Another file's space through its device: an administrator may look. */
	ASSERT_EQ(0, smmua_mappings(self->other, 0, &self->edu[0].bdf, &maps, &n));
	EXPECT_EQ(1, n);
	free(maps);
	/* But the device of no space is ENOENT. */
	EXPECT_EQ(-ENOENT, smmua_translate(self->fd, 0, &self->edu[1].bdf, BUF_IOVA, &xl));
	UNCHANGED("MAP, UNMAP, MAPPINGS, TRANSLATE refusals");
	smmua_space_desc_free(&ref.desc);
	tl_buf_free(ref.buf, TL_PAGE);
}

/* ---- a measurement, not an assertion ---- */

/* MAP (and UNMAP) of TIMED_LEN into sp; the MAP's milliseconds, or -1. */
static double timed_map(int fd, int sp, void *buf)
{
	double t0, t;

	t0 = tl_now_ms();
	if (smmua_map(fd, sp, RW, buf, TIMED_IOVA, TIMED_LEN))
		return -1;
	t = tl_now_ms() - t0;
	return smmua_unmap(fd, sp, SMMU_ASSIGN_UNMAP_ALL, 0, 0, NULL) ? -1 : t;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Medians of TIMED_ROUNDS MAPs of buf: one device, three sharing, three mirrored. */
struct timing {
	double one, three, mirrored;
};

static void time_maps(struct __test_metadata *_metadata, fx_t *self, uint8_t *buf,
		      const int sp[3], struct timing *t)
{
	double one[TIMED_ROUNDS], three[TIMED_ROUNDS], mirrored[TIMED_ROUNDS];
	int i, k;

	for (k = 0; k < TIMED_ROUNDS; k++) {
		/* One device, its own domain. */
		ASSERT_EQ(0, smmua_bind_space(self->fd, &self->edu[0].bdf, sp[0], NULL));
		one[k] = timed_map(self->fd, sp[0], buf);
		ASSERT_EQ(0, smmua_unbind(self->fd, &self->edu[0].bdf));
		/* Three devices sharing one domain. */
		for (i = 0; i < NDEV; i++)
			ASSERT_EQ(0, smmua_bind_space(self->fd, &self->edu[i].bdf, sp[1], NULL));
		three[k] = timed_map(self->fd, sp[1], buf);
		for (i = 0; i < NDEV; i++)
			ASSERT_EQ(0, smmua_unbind(self->fd, &self->edu[i].bdf));
		/* Three devices, three domains, mirrored. */
		ASSERT_EQ(0, tl_param_write("share_domains", "N"));
		for (i = 0; i < NDEV; i++)
			ASSERT_EQ(0, smmua_bind_space(self->fd, &self->edu[i].bdf, sp[2], NULL));
		ASSERT_EQ(0, tl_param_write("share_domains", "Y"));
		mirrored[k] = timed_map(self->fd, sp[2], buf);
		for (i = 0; i < NDEV; i++)
			ASSERT_EQ(0, smmua_unbind(self->fd, &self->edu[i].bdf));
		ASSERT_LT(0, one[k]);
		ASSERT_LT(0, three[k]);
		ASSERT_LT(0, mirrored[k]);
	}
	qsort(one, TIMED_ROUNDS, sizeof(double), cmp_double);
	qsort(three, TIMED_ROUNDS, sizeof(double), cmp_double);
	qsort(mirrored, TIMED_ROUNDS, sizeof(double), cmp_double);
	t->one = one[TIMED_ROUNDS / 2];
	t->three = three[TIMED_ROUNDS / 2];
	t->mirrored = mirrored[TIMED_ROUNDS / 2];
}

/*
 * MAP of 256 MiB into a space with one device and into a space with three,
 * in one boot, alternating, the median of a few: the cost of sharing one
 * domain among groups (and, for reference, of mirroring into three). First
 * of base pages (no THP: a run per page), then of transparent huge pages
 * where the kernel gives them. The figures are printed for the record, not
 * judged; emulated timings are noisy.
 */
TEST_F_TIMEOUT(spaces, map_256m_one_device_vs_three, 900)
{
	struct timing small = {}, thp = {};
	uint32_t runs_small = 0, runs_thp = 0;
	int sp[3], i;
	uint8_t *buf;

	NEED_DEVS(NDEV);
	ASSERT_EQ(0, tl_param_write("share_domains", "Y"));
	sp[0] = tl_space(self->fd, "one", TIMED_IOVA, TIMED_LEN);
	sp[1] = tl_space(self->fd, "three", TIMED_IOVA, TIMED_LEN);
	sp[2] = tl_space(self->fd, "mirrored", TIMED_IOVA, TIMED_LEN);
	for (i = 0; i < 3; i++)
		ASSERT_LT(0, sp[i]);

	for (i = 0; i < 2; i++) {
		buf = mmap(NULL, TIMED_LEN, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		ASSERT_NE(MAP_FAILED, buf) TH_LOG("no 256 MiB for the buffer");
		madvise(buf, TIMED_LEN, i ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
		memset(buf, 0x3c, TIMED_LEN);
		/* How it maps: a run per page, or per huge page. */
		ASSERT_EQ(0, tl_map_runs(self->fd, sp[0], RW, buf, TIMED_IOVA, TIMED_LEN,
					 i ? &runs_thp : &runs_small));
		ASSERT_EQ(0, smmua_unmap(self->fd, sp[0], SMMU_ASSIGN_UNMAP_ALL, 0, 0, NULL));
		time_maps(_metadata, self, buf, sp, i ? &thp : &small);
		munmap(buf, TIMED_LEN);
	}
	ksft_print_msg("map 256 MiB: 1 device %.1f ms, 3 devices %.1f ms, ratio %.2f\n",
		       small.one, small.three, small.three / small.one);
	ksft_print_msg("map 256 MiB, 3 devices mirrored into 3 domains (share_domains=0): %.1f ms, ratio %.2f to 1 device (medians of %d; %zu KiB pages, %u runs)\n",
		       small.mirrored, small.mirrored / small.one, TIMED_ROUNDS, TL_PAGE >> 10,
		       runs_small);
	ksft_print_msg("map 256 MiB of transparent huge pages (%u runs): 1 device %.1f ms, 3 devices %.1f ms, ratio %.2f; mirrored %.1f ms, ratio %.2f\n",
		       runs_thp, thp.one, thp.three, thp.three / thp.one, thp.mirrored,
		       thp.mirrored / thp.one);
	fflush(stdout);
}

TEST_HARNESS_MAIN
