// SPDX-License-Identifier: GPL-2.0
/*
 * Robustness: what an adversarial client must not be able to do to the
 * module, and what the module must do on its own when the world changes
 * under a binding. Each test states one part of the contract:
 *
 *  - debugfs views survive their binding going away under a reader;
 *  - a released device is quiesced (no bus mastering) on every driver;
 *  - a binding ends, and its owner hears of it, when its device goes away;
 *  - READ mappings are of the memory the caller sees, not of a page it
 *    replaces on its next write;
 *  - no ioctl holds a lock across a user copy that userspace can stall;
 *  - errnos stay exact under concurrency, and a few corner cases of the
 *    ABI (MAPPINGS with no room, a second CLAIM, write-only MAP);
 *  - long unmaps yield the CPU;
 *  - pinned pages are charged to a live user, whoever mapped them.
 *
 * Devices start each test on the stub and end it unbound (no driver, no
 * override), as the later tests expect.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/userfaultfd.h>

#include "kselftest_harness.h"
#include "smmu_assign_lib.h"
#include "testlib.h"

/* The window sits below the MSI window and the edu's 28-bit DMA mask. */
#define WIN_IOVA	0x1000000ULL
#define WIN_LEN		0x4000000ULL
#define SRC_IOVA	(WIN_IOVA + 0x100000)
#define DST_IOVA	(WIN_IOVA + 0x200000)
/* The large-unmap test needs a window of its own: no DMA, so any IOVA. */
#define BIG_IOVA	0x400000000ULL
#define BIG_WIN		0x400000000ULL
/*
 * The detector counts in ~1.07 s units and reports only after more than
 * 2 * watchdog_thresh of them: the UNMAP must run well past 3 s.
 */
#define BIG_VIEWS	16
#define DMA_LEN		TL_EDU_DMA_MAX
#define RW		(SMMU_ASSIGN_MAP_READ | SMMU_ASSIGN_MAP_WRITE)
#define NDEV		3
#define LOOPS		200
/* A call that must not block on a stalled one returns within this. */
#define LIVE_MS		20000
#define GONE_PAGES	4
#define ACCT_PAGES	16
#define NOBODY		65534
#define WD_THRESH	"/proc/sys/kernel/watchdog_thresh"
#define SCATTER		7919	/* a prime stride: page order != physical order */

/* Flags threads share. */
#define READ_FLAG(x)	__atomic_load_n(&(x), __ATOMIC_ACQUIRE)
#define SET_FLAG(x)	__atomic_store_n(&(x), 1, __ATOMIC_RELEASE)

FIXTURE(rob) {
	int nr;
	char names[TL_MAX_DEVS][SMMUA_BDF_STRLEN];
	struct tl_edu edu[NDEV];
	int fd[2];
	char wd_thresh[16];	/* watchdog_thresh to restore, when changed */
};

FIXTURE_SETUP(rob)
{
	int i;

	self->fd[0] = self->fd[1] = -1;
	self->nr = tl_edus_take(self->names, self->edu, NDEV);
	ASSERT_LE(0, self->nr);
	for (i = 0; i < 2; i++) {
		self->fd[i] = smmua_open();
		ASSERT_LE(0, self->fd[i]);
	}
}

FIXTURE_TEARDOWN(rob)
{
	char path[128];
	int i;

	for (i = 0; i < 2; i++)
		if (self->fd[i] >= 0)
			close(self->fd[i]);
	if (self->wd_thresh[0])
		tl_write_file(WD_THRESH, self->wd_thresh);
	for (i = 0; i < self->nr; i++) {
		struct smmu_assign_bdf bdf = tl_bdf(self->names[i]);

		/* A removal test that stopped half-way left the device out. */
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", self->names[i]);
		if (access(path, F_OK)) {
			tl_write_file("/sys/bus/pci/rescan", "1");
			usleep(500 * 1000);
		}
		tl_drop_binding(&bdf);
		tl_edu_close(&self->edu[i]);
		tl_leave_unbound(self->names[i]);
	}
}

#define NEED_DEVS(n)	TL_NEED_DEVS(self->nr, n)

#define NEED_VFIO() do {							\
	if (access("/sys/bus/pci/drivers/" SMMUA_VFIO_DRIVER, F_OK))		\
		SKIP(return, "vfio-pci is not loaded");				\
} while (0)

/* BIND into a new space with the window: its id, or a negative errno. */
static int bind_win(int fd, struct tl_edu *e)
{
	return tl_bind(fd, &e->bdf, 0, WIN_IOVA, WIN_LEN);
}

/* Wait up to ms for rfd to have an int to read; -ETIMEDOUT if none came. */
static int wait_int(int rfd, int ms, int *val)
{
	struct pollfd p = { .fd = rfd, .events = POLLIN };

	if (poll(&p, 1, ms) != 1)
		return -ETIMEDOUT;
	return read(rfd, val, sizeof(*val)) == sizeof(*val) ? 0 : -EIO;
}

static void put_int(int wfd, int val)
{
	if (write(wfd, &val, sizeof(val)) != sizeof(val))
		_exit(0x7f);
}

/* ---- debugfs ---- */

struct reader {
	char path[128];
	int stop;
	long reads, bad;
	int bad_errno;
};

static void *debugfs_reader(void *arg)
{
	struct reader *r = arg;
	char buf[4096];
	ssize_t n;
	int fd;

	while (!READ_FLAG(r->stop)) {
		fd = open(r->path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			/* The binding is gone: so is its file. */
			if (errno != ENOENT) {
				r->bad++;
				r->bad_errno = errno;
			}
			continue;
		}
		while ((n = read(fd, buf, sizeof(buf))) > 0)
			;
		/* debugfs answers EIO for a file removed while open. */
		if (n < 0 && errno != EIO) {
			r->bad++;
			r->bad_errno = errno;
		}
		close(fd);
		r->reads++;
	}
	return NULL;
}

/*
 * The debugfs view of a binding may be open and read while the binding is
 * torn down: the view must not reach the freed binding, space or domain
 * (KASAN reports a use-after-free otherwise; the verdict fails the run on
 * it). The group is attached to a mapped space and detached again.
 */
TEST_F_TIMEOUT(rob, debugfs_read_races_bind_and_unbind, 300)
{
	struct tl_edu *e = &self->edu[0];
	struct reader r = { 0 };
	pthread_t th;
	void *buf;
	int i, sp, bind_err = 0, map_err = 0, unbind_err = 0;

	NEED_DEVS(1);
	buf = tl_buf_alloc(TL_PAGE, 0);
	ASSERT_NE(NULL, buf);
	sp = tl_space(self->fd[0], NULL, WIN_IOVA, WIN_LEN);
	ASSERT_LT(0, sp);
	snprintf(r.path, sizeof(r.path), "/sys/kernel/debug/smmu-assign/%s", e->name);
	ASSERT_EQ(0, pthread_create(&th, NULL, debugfs_reader, &r));
	for (i = 0; i < LOOPS; i++) {
		if (smmua_bind_space(self->fd[0], &e->bdf, sp, NULL)) {
			bind_err++;
			continue;
		}
		/* A mapping gives the view something to walk: every other round a new one. */
		if (i & 1 ? smmua_unmap(self->fd[0], sp, SMMU_ASSIGN_UNMAP_ALL, 0, 0, NULL) :
			    smmua_map(self->fd[0], sp, RW, buf, DST_IOVA, TL_PAGE))
			map_err++;
		if (smmua_unbind(self->fd[0], &e->bdf))
			unbind_err++;
	}
	SET_FLAG(r.stop);
	pthread_join(th, NULL);
	EXPECT_EQ(0, bind_err);
	EXPECT_EQ(0, map_err);
	EXPECT_EQ(0, unbind_err);
	EXPECT_EQ(0, r.bad) TH_LOG("debugfs read failed with errno %d", r.bad_errno);
	TH_LOG("%ld debugfs reads during %d bind/unbind cycles", r.reads, LOOPS);
	tl_buf_free(buf, TL_PAGE);
}

/* ---- quiescing ---- */

/*
 * A device left by its owner (UNBIND, or the file closed) must not go on
 * mastering the bus: whatever its driver, the next owner gets it quiet.
 */
static void expect_quiesced(struct __test_metadata *_metadata, int *fd, struct tl_edu *e)
{
	ASSERT_EQ(0, tl_pci_enable(e->name));
	ASSERT_LT(0, bind_win(*fd, e));
	ASSERT_EQ(0, smmua_unbind(*fd, &e->bdf));
	EXPECT_EQ(0, tl_pci_master(e->name)) TH_LOG("Bus Master still set after UNBIND");

	ASSERT_EQ(0, tl_pci_enable(e->name));
	ASSERT_LT(0, bind_win(*fd, e));
	close(*fd);
	*fd = smmua_open();
	ASSERT_LE(0, *fd);
	EXPECT_EQ(0, tl_pci_master(e->name)) TH_LOG("Bus Master still set after close");
}

TEST_F(rob, release_clears_bus_master_on_stub)
{
	NEED_DEVS(1);
	expect_quiesced(_metadata, &self->fd[0], &self->edu[0]);
}

TEST_F(rob, release_clears_bus_master_on_vfio_pci)
{
	struct tl_edu *e = &self->edu[0];

	NEED_DEVS(1);
	NEED_VFIO();
	ASSERT_EQ(0, smmua_pci_takeover(&e->bdf, SMMUA_VFIO_DRIVER, NULL, 0));
	expect_quiesced(_metadata, &self->fd[0], e);
}

/* ---- the device goes away ---- */

/*
 * Bind e on vfio-pci by fd into a new space (its id to *sp) and map
 * GONE_PAGES RW; the pin baseline to pins0.
 */
static void *bind_mapped_on_vfio(struct __test_metadata *_metadata, int fd,
				 struct tl_edu *e, int *sp, long long *pins0)
{
	long long pins;
	void *buf;

	ASSERT_EQ(0, smmua_pci_takeover(&e->bdf, SMMUA_VFIO_DRIVER, NULL, 0));
	buf = tl_buf_alloc(GONE_PAGES * TL_PAGE, 0);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, tl_pins_outstanding(pins0));
	*sp = bind_win(fd, e);
	ASSERT_LT(0, *sp);
	ASSERT_EQ(0, smmua_map(fd, *sp, RW, buf, DST_IOVA, GONE_PAGES * TL_PAGE));
	ASSERT_EQ(0, tl_pins_outstanding(&pins));
	ASSERT_EQ(*pins0 + GONE_PAGES, pins);
	return buf;
}

/*
 * Once e's device went away, the binding is gone for everyone and its
 * owner (fd) reads one DEVICE_GONE record for it. Its space sp stays, with
 * its mappings and their pins, and no device, until it is destroyed.
 */
static void expect_gone(struct __test_metadata *_metadata, int fd, int sp, struct tl_edu *e,
			void *buf, long long pins0)
{
	struct smmu_assign_fault_event ev[4];
	struct smmu_assign_query q;
	struct smmua_space_desc d;
	long long pins;
	size_t n;
	int fl;

	EXPECT_EQ(-ENOENT, smmua_query(fd, &e->bdf, &q));
	EXPECT_EQ(0, tl_listed(fd, &e->bdf)) TH_LOG("LIST still has %s", e->name);
	ASSERT_EQ(0, smmua_space_info(fd, sp, NULL, &d));
	EXPECT_EQ(0, d.num_devices);
	EXPECT_EQ(1, d.info.out_num_mappings);
	EXPECT_EQ(GONE_PAGES, d.info.out_pinned_pages);
	smmua_space_desc_free(&d);
	ASSERT_EQ(0, tl_pins_outstanding(&pins));
	EXPECT_EQ(pins0 + GONE_PAGES, pins);

	fl = fcntl(fd, F_GETFL);
	ASSERT_EQ(0, fcntl(fd, F_SETFL, fl | O_NONBLOCK));
	n = 0;
	EXPECT_EQ(0, smmua_read_faults(fd, ev, 4, &n));
	ASSERT_EQ(1, n);
	EXPECT_TRUE(ev[0].flags & SMMU_ASSIGN_EVENT_DEVICE_GONE) TH_LOG("flags %#x", ev[0].flags);
	EXPECT_TRUE(tl_bdf_eq(&ev[0].bdf, &e->bdf));
	ASSERT_EQ(0, fcntl(fd, F_SETFL, fl));

	EXPECT_EQ(-ENOENT, smmua_unbind(fd, &e->bdf));
	/* The space lets its pages go when it goes. */
	EXPECT_EQ(0, smmua_space_destroy(fd, sp));
	ASSERT_EQ(0, tl_pins_outstanding(&pins));
	EXPECT_EQ(pins0, pins);
	EXPECT_EQ(-ENOENT, smmua_map(fd, sp, RW, buf, DST_IOVA, TL_PAGE));
}

TEST_F_TIMEOUT(rob, vfio_driver_unbind_ends_the_binding, 120)
{
	struct tl_edu *e = &self->edu[0];
	long long pins0;
	void *buf;
	int sp;

	NEED_DEVS(1);
	NEED_VFIO();
	buf = bind_mapped_on_vfio(_metadata, self->fd[0], e, &sp, &pins0);
	ASSERT_EQ(0, tl_write_file("/sys/bus/pci/drivers/" SMMUA_VFIO_DRIVER "/unbind",
				   e->name));
	expect_gone(_metadata, self->fd[0], sp, e, buf, pins0);
	tl_buf_free(buf, GONE_PAGES * TL_PAGE);
}

/* ---- READ mappings ---- */

/*
 * The device reads DMA_LEN bytes at SRC_IOVA (mapped READ in space sp of
 * fd) into its buffer and writes them back into a fresh RW page: they must
 * be expect.
 */
static void expect_device_reads(struct __test_metadata *_metadata, int fd, int sp,
				struct tl_edu *e, const void *expect)
{
	uint8_t *dst = tl_buf_alloc(TL_PAGE, 0x5a);

	ASSERT_NE(NULL, dst);
	ASSERT_EQ(0, smmua_map(fd, sp, RW, dst, DST_IOVA, TL_PAGE));
	ASSERT_EQ(0, tl_edu_round_trip(e, SRC_IOVA, DST_IOVA, DMA_LEN));
	EXPECT_EQ(0, memcmp(dst, expect, DMA_LEN))
		TH_LOG("device read %#x..., the CPU wrote %#x...", dst[0],
		       ((const uint8_t *)expect)[0]);
	tl_buf_free(dst, TL_PAGE);
}

/* Never-touched anonymous memory: the shared zero page must not be pinned. */
TEST_F_TIMEOUT(rob, read_mapping_of_untouched_anon_sees_later_writes, 60)
{
	struct tl_edu *e = &self->edu[0];
	uint8_t *src, *expect;
	int sp;

	NEED_DEVS(1);
	src = mmap(NULL, TL_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, src);
	expect = tl_buf_alloc(TL_PAGE, 0);
	ASSERT_NE(NULL, expect);
	tl_buf_pattern(expect, TL_PAGE, 41);

	sp = bind_win(self->fd[0], e);
	ASSERT_LT(0, sp);
	ASSERT_EQ(0, smmua_map(self->fd[0], sp, SMMU_ASSIGN_MAP_READ, src, SRC_IOVA, TL_PAGE));
	memcpy(src, expect, TL_PAGE);
	expect_device_reads(_metadata, self->fd[0], sp, e, expect);
	munmap(src, TL_PAGE);
	tl_buf_free(expect, TL_PAGE);
}

/* A one-page file in /tmp (tmpfs) full of byte c, mapped with flags. */
static uint8_t *file_page(struct __test_metadata *_metadata, int flags, uint8_t c)
{
	char path[] = "/tmp/robustness-XXXXXX";
	uint8_t page[TL_PAGE];
	void *p;
	int fd;

	fd = mkstemp(path);
	EXPECT_LE(0, fd);
	if (fd < 0)
		return NULL;
	unlink(path);
	memset(page, c, sizeof(page));
	EXPECT_EQ(TL_PAGE, write(fd, page, TL_PAGE));
	p = mmap(NULL, TL_PAGE, PROT_READ | PROT_WRITE, flags, fd, 0);
	close(fd);
	EXPECT_NE(MAP_FAILED, p);
	return p == MAP_FAILED ? NULL : p;
}

static void file_read_mapping(struct __test_metadata *_metadata, int fd, struct tl_edu *e,
			      int flags)
{
	uint8_t expect[TL_PAGE];
	uint8_t *src = file_page(_metadata, flags, 0xaa);
	int sp;

	ASSERT_NE(NULL, src);
	sp = bind_win(fd, e);
	ASSERT_LT(0, sp);
	ASSERT_EQ(0, smmua_map(fd, sp, SMMU_ASSIGN_MAP_READ, src, SRC_IOVA, TL_PAGE));
	memset(src, 0xbb, TL_PAGE);
	memset(expect, 0xbb, TL_PAGE);
	expect_device_reads(_metadata, fd, sp, e, expect);
	munmap(src, TL_PAGE);
}

/* A private file mapping: the page cache page must not be what is pinned. */
TEST_F_TIMEOUT(rob, read_mapping_of_private_file_sees_later_writes, 60)
{
	NEED_DEVS(1);
	file_read_mapping(_metadata, self->fd[0], &self->edu[0], MAP_PRIVATE);
}

/* A shared file mapping: CPU and device share the page cache page. */
TEST_F_TIMEOUT(rob, read_mapping_of_shared_file_sees_later_writes, 60)
{
	NEED_DEVS(1);
	file_read_mapping(_metadata, self->fd[0], &self->edu[0], MAP_SHARED);
}

/* ---- no lock across a user copy ---- */

/*
 * Park an ioctl in its copy-back to userspace. Its struct straddles two
 * pages registered with userfaultfd: the kernel reads the first page, then
 * faults on the second, and once it is there, the first page has been read
 * for good and is dropped again, so the copy-back, which starts there,
 * faults (a write) and waits until we resolve it.
 */
struct park {
	int uffd;
	uint8_t *area;		/* two registered pages */
	uint8_t *img;		/* what they hold (two pages): the struct at PARK_OFF */
	int stop, parked, error;
	unsigned long req;
	int ioctl_fd, ret, err;
	int done[2];		/* the ioctl's thread writes its result here */
	pthread_t handler, caller;
};

#define PARK_OFF	(TL_PAGE - 8)

static int uffd_copy(struct park *p, int page)
{
	struct uffdio_copy c = {
		.dst = (uintptr_t)p->area + page * TL_PAGE,
		.src = (uintptr_t)p->img + page * TL_PAGE,
		.len = TL_PAGE,
	};

	return ioctl(p->uffd, UFFDIO_COPY, &c) ? -errno : 0;
}

static void *uffd_handler(void *arg)
{
	struct park *p = arg;
	struct pollfd pfd = { .fd = p->uffd, .events = POLLIN };
	struct uffd_msg msg;
	int page;

	while (!READ_FLAG(p->stop)) {
		if (poll(&pfd, 1, 50) != 1)
			continue;
		if (read(p->uffd, &msg, sizeof(msg)) != sizeof(msg))
			continue;
		if (msg.event != UFFD_EVENT_PAGEFAULT)
			continue;
		page = (msg.arg.pagefault.address - (uintptr_t)p->area) / TL_PAGE;
		if (msg.arg.pagefault.flags & UFFD_PAGEFAULT_FLAG_WRITE) {
			/* The copy-back: leave it waiting; the test resolves it. */
			SET_FLAG(p->parked);
			continue;
		}
		/* The kernel is past the first page: drop it so a write faults. */
		if (page == 1)
			madvise(p->area, TL_PAGE, MADV_DONTNEED);
		if (uffd_copy(p, page))
			p->error = errno;
	}
	return NULL;
}

static void *park_caller(void *arg)
{
	struct park *p = arg;

	p->ret = ioctl(p->ioctl_fd, p->req, p->area + PARK_OFF);
	p->err = errno;
	put_int(p->done[1], p->ret);
	return NULL;
}

/* 0, or a SKIP reason. */
static const char *park_setup(struct park *p)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };

	p->uffd = syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (p->uffd < 0)
		return "userfaultfd is unavailable";
	if (ioctl(p->uffd, UFFDIO_API, &api))
		return "UFFDIO_API failed";
	p->img = calloc(2, TL_PAGE);
	p->area = mmap(NULL, 2 * TL_PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!p->img || p->area == MAP_FAILED)
		return "no memory";
	reg.range.start = (uintptr_t)p->area;
	reg.range.len = 2 * TL_PAGE;
	if (ioctl(p->uffd, UFFDIO_REGISTER, &reg))
		return "UFFDIO_REGISTER failed";
	if (pipe(p->done))
		return "no pipe";
	return NULL;
}

/* Start ioctl(fd, req, cmd of len bytes) and wait until it is parked. */
static void park_start(struct __test_metadata *_metadata, struct park *p, int fd,
		       unsigned long req, const void *cmd, size_t len)
{
	int i;

	memcpy(p->img + PARK_OFF, cmd, len);
	p->ioctl_fd = fd;
	p->req = req;
	ASSERT_EQ(0, pthread_create(&p->handler, NULL, uffd_handler, p));
	ASSERT_EQ(0, pthread_create(&p->caller, NULL, park_caller, p));
	for (i = 0; i < LIVE_MS / 10 && !READ_FLAG(p->parked); i++) {
		struct pollfd d = { .fd = p->done[0], .events = POLLIN };

		/* It returned without a copy-back fault: nothing to park. */
		if (poll(&d, 1, 10) == 1)
			break;
	}
	ASSERT_EQ(1, READ_FLAG(p->parked)) TH_LOG("the ioctl never reached its copy-back");
	ASSERT_EQ(0, p->error);
}

/* Let the copy-back finish; the ioctl's result to *ret; the struct back to cmd. */
static void park_finish(struct __test_metadata *_metadata, struct park *p, int *ret,
			void *cmd, size_t len)
{
	int val;

	ASSERT_EQ(0, uffd_copy(p, 0));
	ASSERT_EQ(0, wait_int(p->done[0], LIVE_MS, &val));
	pthread_join(p->caller, NULL);
	SET_FLAG(p->stop);
	pthread_join(p->handler, NULL);
	*ret = val ? -p->err : 0;
	memcpy(cmd, p->area + PARK_OFF, len);
}

static void park_cleanup(struct park *p)
{
	if (p->area && p->area != MAP_FAILED)
		munmap(p->area, 2 * TL_PAGE);
	free(p->img);
	if (p->uffd >= 0)
		close(p->uffd);
	close(p->done[0]);
	close(p->done[1]);
}

/* What another thread or process must be able to do meanwhile: bits of failures. */
static int others_ops(int fd, const struct smmu_assign_bdf *bound,
		      const struct smmu_assign_bdf *spare)
{
	struct smmu_assign_get_info info;
	struct smmu_assign_query q;
	struct smmu_assign_bdf *bdfs;
	size_t n;
	int bad = 0;

	if (smmua_get_info(fd, &info))
		bad |= 1;
	if (smmua_list(fd, &bdfs, &n))
		bad |= 2;
	else
		free(bdfs);
	if (smmua_query(fd, bound, &q))
		bad |= 4;
	if (tl_bind(fd, spare, 0, WIN_IOVA, WIN_LEN) <= 0)
		bad |= 8;
	else if (smmua_unbind(fd, spare))
		bad |= 16;
	return bad;
}

struct others {
	int fd;
	struct smmu_assign_bdf bound, spare;
	int res[2];
};

static void *others_thread(void *arg)
{
	struct others *o = arg;

	put_int(o->res[1], others_ops(o->fd, &o->bound, &o->spare));
	return NULL;
}

/*
 * A BIND parked in its copy-back holds nothing others need: GET_INFO,
 * LIST, QUERY and a BIND+UNBIND of another device all complete, from
 * another thread and from another process. Then the BIND completes.
 */
TEST_F_TIMEOUT(rob, bind_stalled_in_copy_out_blocks_no_one, 180)
{
	struct tl_edu *e = &self->edu[0];
	struct smmu_assign_bind cmd = {
		.size = sizeof(cmd),
		.bdf = e->bdf,
		.window_iova = WIN_IOVA,
		.window_length = WIN_LEN,
	};
	struct park p = { .uffd = -1, .done = { -1, -1 } };
	struct others o = { .fd = self->fd[1] };
	struct smmu_assign_query q;
	int go[2], res[2], val, ret;
	const char *why;
	pthread_t th;
	pid_t pid;

	NEED_DEVS(3);
	why = park_setup(&p);
	if (why) {
		park_cleanup(&p);
		SKIP(return, "%s", why);
	}
	o.bound = self->edu[1].bdf;
	o.spare = self->edu[2].bdf;
	ASSERT_LT(0, bind_win(self->fd[1], &self->edu[1]));
	ASSERT_EQ(0, pipe(o.res));
	ASSERT_EQ(0, pipe(go));
	ASSERT_EQ(0, pipe(res));

	/* The other process waits for the park; it opens its own file. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int fd;

		if (wait_int(go[0], 3 * LIVE_MS, &val))
			_exit(1);
		fd = smmua_open();
		put_int(res[1], fd < 0 ? 0x40 : others_ops(fd, &o.bound, &o.spare));
		_exit(0);
	}

	park_start(_metadata, &p, self->fd[0], SMMU_ASSIGN_BIND, &cmd, sizeof(cmd));

	ASSERT_EQ(0, pthread_create(&th, NULL, others_thread, &o));
	ret = wait_int(o.res[0], LIVE_MS, &val);
	EXPECT_EQ(0, ret) TH_LOG("another thread blocked");
	if (!ret)
		EXPECT_EQ(0, val);
	put_int(go[1], 1);
	ret = wait_int(res[0], LIVE_MS, &val);
	EXPECT_EQ(0, ret) TH_LOG("another process blocked");
	if (!ret)
		EXPECT_EQ(0, val);

	park_finish(_metadata, &p, &ret, &cmd, sizeof(cmd));
	EXPECT_EQ(0, ret);
	pthread_join(th, NULL);
	waitpid(pid, NULL, 0);

	/* The parked BIND's answer is the binding's. */
	ASSERT_EQ(0, smmua_query(self->fd[0], &e->bdf, &q));
	EXPECT_LT(0, cmd.out_space_id);
	EXPECT_EQ(q.out_space_id, cmd.out_space_id);
	EXPECT_EQ(q.out_num_devices, cmd.out_num_devices);
	EXPECT_EQ(q.out_domain_flags, cmd.out_domain_flags);
	EXPECT_EQ(q.out_num_sids, cmd.out_num_sids);
	EXPECT_EQ(e->sid, cmd.out_sids[0]);
	EXPECT_EQ(q.out_group_id, cmd.out_group_id);
	EXPECT_STREQ(q.out_iommu_name, cmd.out_iommu_name);
	EXPECT_EQ(q.out_pgsize_bitmap, cmd.out_pgsize_bitmap);
	EXPECT_LT(cmd.out_aperture_start, cmd.out_aperture_last);
	EXPECT_EQ(getpid(), q.out_owner_pid);
	park_cleanup(&p);
}

struct same_file {
	int fd, sp;
	struct smmu_assign_bdf bdf;
	int res[2];
};

/* UNMAP the page at SRC_IOVA, MAPPINGS and QUERY: bits of failures. */
static void *same_file_thread(void *arg)
{
	struct same_file *s = arg;
	struct smmu_assign_mapping_info *maps;
	struct smmu_assign_query q;
	size_t n;
	int bad = 0;

	if (smmua_unmap(s->fd, s->sp, 0, SRC_IOVA, TL_PAGE, NULL))
		bad |= 1;
	if (smmua_mappings(s->fd, s->sp, NULL, &maps, &n))
		bad |= 2;
	else
		free(maps);
	if (smmua_query(s->fd, &s->bdf, &q))
		bad |= 4;
	put_int(s->res[1], bad);
	return NULL;
}

/*
 * A MAP parked in its copy-back holds nothing its own file needs: another
 * thread UNMAPs a different mapping of the device, lists and queries it.
 */
TEST_F_TIMEOUT(rob, map_stalled_in_copy_out_blocks_no_one, 120)
{
	struct tl_edu *e = &self->edu[0];
	struct park p = { .uffd = -1, .done = { -1, -1 } };
	struct same_file s = { .fd = self->fd[0], .bdf = e->bdf };
	struct smmu_assign_mapping_info *maps;
	struct smmu_assign_map cmd;
	int val, ret;
	const char *why;
	uint8_t *buf;
	pthread_t th;
	size_t n;

	NEED_DEVS(1);
	why = park_setup(&p);
	if (why) {
		park_cleanup(&p);
		SKIP(return, "%s", why);
	}
	buf = tl_buf_alloc(2 * TL_PAGE, 0);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, pipe(s.res));
	s.sp = bind_win(self->fd[0], e);
	ASSERT_LT(0, s.sp);
	ASSERT_EQ(0, smmua_map(self->fd[0], s.sp, RW, buf, SRC_IOVA, TL_PAGE));
	cmd = (struct smmu_assign_map) {
		.size = sizeof(cmd),
		.flags = RW,
		.space_id = s.sp,
		.user_va = (uintptr_t)buf + TL_PAGE,
		.iova = DST_IOVA,
		.length = TL_PAGE,
	};

	park_start(_metadata, &p, self->fd[0], SMMU_ASSIGN_MAP, &cmd, sizeof(cmd));
	ASSERT_EQ(0, pthread_create(&th, NULL, same_file_thread, &s));
	ret = wait_int(s.res[0], LIVE_MS, &val);
	EXPECT_EQ(0, ret) TH_LOG("UNMAP, MAPPINGS or QUERY blocked");
	if (!ret)
		EXPECT_EQ(0, val);

	park_finish(_metadata, &p, &ret, &cmd, sizeof(cmd));
	EXPECT_EQ(0, ret);
	EXPECT_EQ(1, cmd.out_num_runs);
	pthread_join(th, NULL);
	ASSERT_EQ(0, smmua_mappings(self->fd[0], s.sp, NULL, &maps, &n));
	ASSERT_EQ(1, n);
	EXPECT_EQ(DST_IOVA, maps[0].iova);
	free(maps);
	park_cleanup(&p);
	tl_buf_free(buf, 2 * TL_PAGE);
}

/* ---- exact errnos ---- */

struct mapper {
	int fd, sp;
	void *buf;
	int stop;
	long ok, enoent, other;
	int other_err;
};

static void *map_loop(void *arg)
{
	struct mapper *m = arg;
	int ret, i;

	while (!READ_FLAG(m->stop)) {
		for (i = 0; i < 2; i++) {
			if (!i)
				ret = smmua_map(m->fd, m->sp, RW, m->buf, DST_IOVA, TL_PAGE);
			else
				ret = smmua_unmap(m->fd, m->sp, 0, DST_IOVA, TL_PAGE, NULL);
			if (!ret) {
				m->ok++;
			} else if (ret == -ENOENT) {
				m->enoent++;
			} else {
				m->other++;
				m->other_err = -ret;
			}
		}
	}
	return NULL;
}

/*
 * The owner's own MAP and UNMAP of a space racing the attach (BIND into the
 * space) and detach (UNBIND) of a group: the space is there throughout, with
 * or without a device, so every call succeeds; afterwards the device,
 * attached once more, reaches what is mapped.
 */
TEST_F_TIMEOUT(rob, map_racing_attach_and_detach_always_succeeds, 300)
{
	struct tl_edu *e = &self->edu[0];
	struct mapper m = { .fd = self->fd[0] };
	uint8_t *src;
	int i, bad = 0;
	pthread_t th;

	NEED_DEVS(1);
	m.buf = tl_buf_alloc(TL_PAGE, 0);
	ASSERT_NE(NULL, m.buf);
	m.sp = tl_space(self->fd[0], NULL, WIN_IOVA, WIN_LEN);
	ASSERT_LT(0, m.sp);
	ASSERT_EQ(0, pthread_create(&th, NULL, map_loop, &m));
	for (i = 0; i < LOOPS; i++) {
		if (smmua_bind_space(self->fd[0], &e->bdf, m.sp, NULL) ||
		    smmua_unbind(self->fd[0], &e->bdf))
			bad++;
	}
	SET_FLAG(m.stop);
	pthread_join(th, NULL);
	EXPECT_EQ(0, bad);
	EXPECT_EQ(0, m.enoent);
	EXPECT_EQ(0, m.other) TH_LOG("%ld calls failed with errno %d (%s)", m.other,
				     m.other_err, strerror(m.other_err));
	TH_LOG("MAP/UNMAP: %ld ok, %ld ENOENT", m.ok, m.enoent);

	/* Mapped last or not, a fresh mapping and the attached device agree. */
	smmua_unmap(self->fd[0], m.sp, SMMU_ASSIGN_UNMAP_ALL, 0, 0, NULL);
	src = tl_buf_alloc(TL_PAGE, 0);
	ASSERT_NE(NULL, src);
	tl_buf_pattern(src, TL_PAGE, 43);
	ASSERT_EQ(0, smmua_map(self->fd[0], m.sp, SMMU_ASSIGN_MAP_READ, src, SRC_IOVA, TL_PAGE));
	ASSERT_EQ(0, smmua_bind_space(self->fd[0], &e->bdf, m.sp, NULL));
	expect_device_reads(_metadata, self->fd[0], m.sp, e, src);
	tl_buf_free(m.buf, TL_PAGE);
	tl_buf_free(src, TL_PAGE);
}

/* A zero-sized MAPPINGS batch with a mapping left is EMSGSIZE, even at IOVA 0. */
TEST_F(rob, mappings_with_no_room_is_emsgsize)
{
	struct tl_edu *e = &self->edu[0];
	struct smmu_assign_mapping_info info[1];
	struct smmu_assign_mappings cmd = {
		.size = sizeof(cmd),
		.cursor = 0,
		.num_mappings = 0,
		.mappings = (uintptr_t)info,
	};
	void *buf;

	NEED_DEVS(1);
	buf = tl_buf_alloc(TL_PAGE, 0);
	ASSERT_NE(NULL, buf);
	cmd.space_id = tl_bind(self->fd[0], &e->bdf, 0, 0, WIN_IOVA);
	ASSERT_LT(0, cmd.space_id);
	ASSERT_EQ(0, smmua_map(self->fd[0], cmd.space_id, RW, buf, 0, TL_PAGE));
	EXPECT_EQ(-1, ioctl(self->fd[0], SMMU_ASSIGN_MAPPINGS, &cmd));
	EXPECT_EQ(EMSGSIZE, errno);
	tl_buf_free(buf, TL_PAGE);
}

/* Claiming what this file already claimed is EALREADY; another file's, EBUSY. */
TEST_F(rob, second_claim_is_ealready)
{
	struct tl_edu *e = &self->edu[0];
	int fd;

	NEED_DEVS(1);
	fd = smmua_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, smmua_bind(fd, &e->bdf, SMMU_ASSIGN_BIND_PERSISTENT, WIN_IOVA, WIN_LEN,
				NULL));
	close(fd);
	ASSERT_EQ(0, smmua_claim(self->fd[0], &e->bdf, 0, 0, NULL));
	EXPECT_EQ(-EALREADY, smmua_claim(self->fd[0], &e->bdf, 0, 0, NULL));
	EXPECT_EQ(-EBUSY, smmua_claim(self->fd[1], &e->bdf, 0, 0, NULL));
	EXPECT_EQ(0, smmua_claim(self->fd[0], &e->bdf, SMMU_ASSIGN_CLAIM_RELEASE, 0, NULL));
	EXPECT_EQ(0, smmua_unbind(self->fd[0], &e->bdf));
}

/* The SMMU has no write-only permission: such a MAP is EINVAL and maps nothing. */
TEST_F(rob, write_only_map_is_einval)
{
	struct tl_edu *e = &self->edu[0];
	struct smmu_assign_mapping_info *maps;
	struct smmu_assign_query q0, q1;
	size_t n;
	void *buf;
	int sp;

	NEED_DEVS(1);
	buf = tl_buf_alloc(TL_PAGE, 0);
	ASSERT_NE(NULL, buf);
	sp = bind_win(self->fd[0], e);
	ASSERT_LT(0, sp);
	ASSERT_EQ(0, smmua_query(self->fd[0], &e->bdf, &q0));
	EXPECT_EQ(-EINVAL, smmua_map(self->fd[0], sp, SMMU_ASSIGN_MAP_WRITE, buf, DST_IOVA,
				     TL_PAGE));
	ASSERT_EQ(0, smmua_mappings(self->fd[0], sp, NULL, &maps, &n));
	EXPECT_EQ(0, n);
	free(maps);
	ASSERT_EQ(0, smmua_query(self->fd[0], &e->bdf, &q1));
	EXPECT_EQ(0, q1.out_num_mappings);
	q0.out_stats.bound_ns = q1.out_stats.bound_ns = 0;
	EXPECT_EQ(0, memcmp(&q0.out_stats, &q1.out_stats, sizeof(q0.out_stats)));
	tl_buf_free(buf, TL_PAGE);
}

/* ---- long operations ---- */

static double now_s(void)
{
	return tl_now_ms() / 1e3;
}

/*
 * Unmapping and unpinning gigabytes of 4K pages takes seconds under
 * emulation: the module must yield the CPU meanwhile, or the soft-lockup
 * detector (set to its shortest, 2 s) reports it. The guest cannot afford
 * that much memory, so one memfd is mapped several times over into one
 * range of the address space, which is MAPped and UNMAPped as one mapping.
 * READ only: unpinning dirty pages takes the page lock, which yields on
 * its own on a voluntary-preemption kernel.
 */
TEST_F_TIMEOUT(rob, long_unmap_yields_the_cpu, 900)
{
	static const size_t sizes[] = { 768UL << 20, 512UL << 20, 256UL << 20 };
	struct tl_edu *e = &self->edu[0];
	struct tl_kmsg k = { .fd = -1 };
	double t0, t_map, t_unmap;
	char buf[16];
	__u64 unmapped = 0, total = 0;
	size_t len = 0, npages, pg;
	uint32_t runs = 0;
	uint8_t *mem = MAP_FAILED;
	unsigned int i, c;
	int ret = -ENOMEM, mfd = -1, sp;

	NEED_DEVS(1);
	if (tl_read_file(WD_THRESH, buf, sizeof(buf)))
		SKIP(return, "no %s: the kernel has no lockup detector", WD_THRESH);
	if (!tl_read_file("/proc/sys/kernel/soft_watchdog", buf, sizeof(buf)) && !atoi(buf))
		SKIP(return, "the soft-lockup detector is off");
	ASSERT_EQ(0, tl_read_file(WD_THRESH, self->wd_thresh, sizeof(self->wd_thresh)));
	ASSERT_EQ(0, tl_write_file(WD_THRESH, "1"));
	ASSERT_EQ(0, tl_kmsg_open(&k));
	sp = tl_bind(self->fd[0], &e->bdf, 0, BIG_IOVA, BIG_WIN);
	ASSERT_LT(0, sp);

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		len = sizes[i];
		total = BIG_VIEWS * len;
		mfd = memfd_create("robustness", MFD_CLOEXEC);
		ASSERT_LE(0, mfd);
		ASSERT_EQ(0, ftruncate(mfd, len));
		mem = mmap(NULL, total, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
			   -1, 0);
		ASSERT_NE(MAP_FAILED, mem);
		for (c = 0; c < BIG_VIEWS; c++)
			ASSERT_NE(MAP_FAILED, mmap(mem + c * len, len, PROT_READ | PROT_WRITE,
						   MAP_SHARED | MAP_FIXED, mfd, 0));
		/*
		 * 4K pages, faulted in scattered order so that neighbours are
		 * not physically contiguous: each is its own run to map,
		 * unmap and unpin, the slowest case.
		 */
		npages = len / TL_PAGE;
		for (pg = 0; pg < npages; pg++)
			mem[(pg * SCATTER) % npages * TL_PAGE] = 0x11;
		ASSERT_EQ(0, tl_kmsg_mark(&k));
		t0 = now_s();
		ret = tl_map_runs(self->fd[0], sp, SMMU_ASSIGN_MAP_READ, mem, BIG_IOVA,
				  total, &runs);
		t_map = now_s() - t0;
		if (ret != -ENOMEM)
			break;
		munmap(mem, total);
		close(mfd);
		mem = MAP_FAILED;
	}
	ASSERT_EQ(0, ret);
	/* Not this test's subject, but the verdict fails the run on it too. */
	if (tl_kmsg_wait_text(&k, "soft lockup", 1000))
		TH_LOG("the kernel reported a soft lockup during MAP");

	ASSERT_EQ(0, tl_kmsg_mark(&k));
	t0 = now_s();
	EXPECT_EQ(0, smmua_unmap(self->fd[0], sp, 0, BIG_IOVA, total, &unmapped));
	t_unmap = now_s() - t0;
	EXPECT_EQ(total, unmapped);
	TH_LOG("%llu MiB (%u views of %zu MiB) of 4K pages in %u runs: MAP %.2f s, UNMAP %.2f s",
	       (unsigned long long)total >> 20, BIG_VIEWS, len >> 20, runs, t_map, t_unmap);
	/* The report is printed while the CPU is stuck: it is in the log by now. */
	EXPECT_EQ(0, tl_kmsg_wait_text(&k, "soft lockup", 1000))
		TH_LOG("the kernel reported a soft lockup during UNMAP");
	close(self->fd[0]);
	self->fd[0] = -1;
	munmap(mem, total);
	close(mfd);
	tl_kmsg_close(&k);
}

/* ---- accounting ---- */

/*
 * Pinned pages are charged to the user of the process that MAPs them,
 * against its RLIMIT_MEMLOCK, and show in its VmPin; the charge lasts as
 * long as the pages stay pinned, whether or not the mapper is still alive.
 */
TEST_F_TIMEOUT(rob, pins_stay_charged_to_their_user_after_the_mapper_dies, 120)
{
	struct tl_edu *d1 = &self->edu[0], *d2 = &self->edu[1];
	int cres[2], pres[2], pgo[2], status, val, first, second, grew;
	pid_t c, g = -1, p;

	NEED_DEVS(2);
	ASSERT_EQ(0, prctl(PR_SET_CHILD_SUBREAPER, 1));
	ASSERT_EQ(0, pipe(cres));
	ASSERT_EQ(0, pipe(pres));
	ASSERT_EQ(0, pipe(pgo));

	/* C maps its limit's worth, leaves the file to G, and dies. */
	c = fork();
	ASSERT_LE(0, c);
	if (!c) {
		void *buf = tl_buf_alloc(ACCT_PAGES * TL_PAGE, 0);
		int fd = smmua_open();
		int sp = fd < 0 ? -1 : bind_win(fd, d1);

		if (!buf || sp <= 0 || tl_become(NOBODY, NOBODY, ACCT_PAGES))
			_exit(1);
		if (smmua_map(fd, sp, RW, buf, DST_IOVA, ACCT_PAGES * TL_PAGE))
			_exit(2);
		g = fork();
		if (g < 0)
			_exit(3);
		if (!g) {
			for (;;)
				pause();
		}
		put_int(cres[1], g);
		_exit(0);
	}
	ASSERT_EQ(c, waitpid(c, &status, 0));
	ASSERT_EQ(0, WEXITSTATUS(status));
	ASSERT_EQ(0, wait_int(cres[0], LIVE_MS, &g));

	/* P, the same user, has nothing left to pin while G holds the pages. */
	p = fork();
	ASSERT_LE(0, p);
	if (!p) {
		void *buf = tl_buf_alloc(2 * TL_PAGE, 0);
		int fd = smmua_open();
		int sp = fd < 0 ? -1 : bind_win(fd, d2);
		long pin0;

		if (!buf || sp <= 0 || tl_become(NOBODY, NOBODY, ACCT_PAGES))
			_exit(1);
		put_int(pres[1], smmua_map(fd, sp, RW, buf, DST_IOVA, TL_PAGE));
		if (wait_int(pgo[0], LIVE_MS, &val))
			_exit(2);
		pin0 = tl_vmpin_kb(0);
		put_int(pres[1], smmua_map(fd, sp, RW, buf + TL_PAGE, DST_IOVA + TL_PAGE,
					   TL_PAGE));
		put_int(pres[1], tl_vmpin_kb(0) - pin0);
		_exit(0);
	}
	ASSERT_EQ(0, wait_int(pres[0], LIVE_MS, &first));
	EXPECT_EQ(-ENOMEM, first) TH_LOG("the dead mapper's pages were not charged to its user");

	/* G goes, the pages are unpinned, the charge is returned. */
	ASSERT_EQ(0, kill(g, SIGKILL));
	ASSERT_EQ(g, waitpid(g, &status, 0));
	put_int(pgo[1], 1);
	ASSERT_EQ(0, wait_int(pres[0], LIVE_MS, &second));
	EXPECT_EQ(0, second);
	ASSERT_EQ(0, wait_int(pres[0], LIVE_MS, &grew));
	EXPECT_EQ(TL_PAGE / 1024, grew) TH_LOG("VmPin grew by %d kB", grew);
	ASSERT_EQ(p, waitpid(p, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

/* ---- destructive: last, the fixture's teardown brings the device back ---- */

/*
 * Removing a bound, mapped device ends its binding as a driver unbind does;
 * the device that comes back on a rescan is free for any file.
 */
TEST_F_TIMEOUT(rob, device_removal_ends_the_binding, 180)
{
	struct tl_edu *e = &self->edu[0];
	char path[128];
	long long pins0;
	void *buf;
	int i, sp;

	NEED_DEVS(1);
	NEED_VFIO();
	buf = bind_mapped_on_vfio(_metadata, self->fd[0], e, &sp, &pins0);
	/* Its BAR goes with it. */
	tl_edu_close(e);
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/remove", e->name);
	ASSERT_EQ(0, tl_write_file(path, "1"));
	expect_gone(_metadata, self->fd[0], sp, e, buf, pins0);

	ASSERT_EQ(0, tl_write_file("/sys/bus/pci/rescan", "1"));
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", e->name);
	for (i = 0; i < 50 && access(path, F_OK); i++)
		usleep(100 * 1000);
	ASSERT_EQ(0, access(path, F_OK));
	ASSERT_EQ(0, smmua_pci_takeover(&e->bdf, SMMUA_VFIO_DRIVER, NULL, 0));
	/* Another file binds it while the old owner is still open. */
	EXPECT_LT(0, bind_win(self->fd[1], e));
	smmua_unbind(self->fd[1], &e->bdf);
	tl_buf_free(buf, GONE_PAGES * TL_PAGE);
}

TEST_HARNESS_MAIN
