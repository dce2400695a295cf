// SPDX-License-Identifier: GPL-2.0
/*
 * The core: a bound edu device reaches exactly what is mapped, with
 * the access it was mapped with, and nothing once the mapping, the binding
 * or the file is gone. Every refused DMA is checked twice: the memory it
 * aimed at is unchanged, and the SMMU fault shows in the kernel log (where
 * the kernel delivers faults to the module; elsewhere that check is
 * skipped, with the reason, and the rest of the test still runs). Every
 * refused ioctl is checked for its exact errno and for leaving the state
 * as it was.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/capability.h>
#include <linux/vfio.h>

#include "kselftest_harness.h"
#include "smmu_assign_lib.h"
#include "testlib.h"

/* The window sits below the MSI window and the edu's 28-bit DMA mask. */
#define WIN_IOVA	0x1000000ULL
#define WIN_LEN		0x4000000ULL
#define SRC_IOVA	(WIN_IOVA + 0x100000)
#define DST_IOVA	(WIN_IOVA + 0x200000)
#define HOLE_IOVA	(WIN_IOVA + 0x300000)	/* inside the window, never mapped */
#define HUGE_IOVA	(WIN_IOVA + 0x1000000)	/* 32 MiB aligned: any PMD size here */
/*
 * Each refused DMA aims at an IOVA no other test uses: the SMMU's event
 * thread may still be logging one test's faults while the next one runs.
 */
#define UNBIND_IOVA	(DST_IOVA + 0x10000)
#define RO_IOVA		(DST_IOVA + 0x20000)
#define PERSIST_IOVA	(DST_IOVA + 0x30000)
#define ISO_IOVA(i)	(WIN_IOVA + 0x1000000 + (i) * 0x100000ULL)
#define OUT_IOVA	0x6000000ULL		/* outside the window, below the MSI one */
#define DMA_LEN		TL_EDU_DMA_MAX
#define FAULT_WAIT_MS	3000
#define CANARY		0xa5
#define NDEV		3

#define RW		(SMMU_ASSIGN_MAP_READ | SMMU_ASSIGN_MAP_WRITE)

FIXTURE(core) {
	int nr;
	char names[TL_MAX_DEVS][SMMUA_BDF_STRLEN];
	struct tl_edu edu[NDEV];
	int fd[NDEV];
	int sp[NDEV];		/* the space BIND made on fd[i] */
	struct tl_kmsg kmsg;
	char max_mappings[32];	/* to restore, when a test changed it */
};

FIXTURE_SETUP(core)
{
	int i;

	for (i = 0; i < NDEV; i++) {
		self->fd[i] = -1;
	}
	self->kmsg.fd = -1;
	self->nr = tl_edus_take(self->names, self->edu, NDEV);
	ASSERT_LE(0, self->nr);
	for (i = 0; i < NDEV; i++) {
		self->fd[i] = smmua_open();
		ASSERT_LE(0, self->fd[i]);
	}
	ASSERT_EQ(0, tl_kmsg_open(&self->kmsg));
}

FIXTURE_TEARDOWN(core)
{
	int i;

	/* Closing releases everything the test bound and mapped. */
	for (i = 0; i < NDEV; i++)
		if (self->fd[i] >= 0)
			close(self->fd[i]);
	if (self->max_mappings[0])
		tl_param_write("max_mappings", self->max_mappings);
	for (i = 0; i < self->nr; i++) {
		tl_drop_binding(&self->edu[i].bdf);
		tl_edu_close(&self->edu[i]);
		/* A test may have left it unbound: the next one expects the stub. */
		tl_bind_stub(self->names[i]);
	}
	tl_kmsg_close(&self->kmsg);
}

#define NEED_DEVS(n)	TL_NEED_DEVS(self->nr, n)

/* BIND into a new space with the window: its id, or a negative errno. */
static int bind_win(int fd, struct tl_edu *e)
{
	return tl_bind(fd, &e->bdf, 0, WIN_IOVA, WIN_LEN);
}

/* BIND e by fd[i] into a new space: its id to sp[i]. */
#define BIND(i, e) do {								\
	self->sp[i] = bind_win(self->fd[i], (e));				\
	ASSERT_LT(0, self->sp[i]);						\
} while (0)

/* Bus mastering on before each DMA: a blocked DMA must be the SMMU's doing. */
static int dma(struct tl_edu *e, uint64_t iova, bool to_ram)
{
	int ret = tl_pci_enable(e->name);

	return ret ? ret : tl_edu_dma(e, iova, DMA_LEN, to_ram);
}

/*
 * Fill the edu's buffer with pattern seed through a READ mapping at
 * SRC_IOVA of space sp, so a later device->RAM write that got through would be seen.
 * Leaves the source mapped; returns it (a page).
 */
static void *load_device(struct __test_metadata *_metadata, int fd, int sp,
			 struct tl_edu *e, uint32_t seed)
{
	void *src = tl_buf_alloc(TL_PAGE, 0);

	ASSERT_NE(NULL, src);
	tl_buf_pattern(src, TL_PAGE, seed);
	ASSERT_EQ(0, smmua_map(fd, sp, SMMU_ASSIGN_MAP_READ, src, SRC_IOVA, TL_PAGE));
	ASSERT_EQ(0, dma(e, SRC_IOVA, false));
	return src;
}

/*
 * Set when a test could not check a fault line because the kernel does
 * not deliver faults to the module; FAULT_CHECKS_DONE() then ends the test
 * skipped. Each test runs in its own process.
 */
static bool fault_checks_skipped;

#define FAULT_CHECKS_DONE() do {						\
	if (fault_checks_skipped)						\
		TL_SKIP_FAULTS();						\
} while (0)

/*
 * A device->RAM DMA to iova must leave canary_buf (len bytes, CANARY)
 * untouched and produce a fault line for the device at iova: ours (only
 * where the kernel delivers faults), or with smmu_ok arm-smmu-v3's own
 * event dump (on every kernel).
 */
static void expect_blocked_write(struct __test_metadata *_metadata, struct tl_kmsg *k,
				 struct tl_edu *e, uint64_t iova, void *canary_buf,
				 size_t len, bool smmu_ok)
{
	int found;

	ASSERT_EQ(0, tl_kmsg_mark(k));
	ASSERT_EQ(0, dma(e, iova, true));
	EXPECT_EQ(-1, tl_buf_find_not(canary_buf, len, CANARY));
	if (!smmu_ok && !tl_faults_delivered()) {
		fault_checks_skipped = true;
		return;
	}
	if (smmu_ok)
		found = tl_kmsg_wait_any_fault(k, e->name, e->sid, iova, FAULT_WAIT_MS);
	else
		found = tl_kmsg_wait_fault(k, e->name, iova, "write", FAULT_WAIT_MS);
	EXPECT_EQ(1, found) TH_LOG("no fault line for %s iova %#llx", e->name,
				   (unsigned long long)iova);
}

/* ---- DMA ---- */

TEST_F_TIMEOUT(core, dma_round_trip, 120)
{
	struct tl_edu *e = &self->edu[0];
	uint8_t *src, *dst;

	NEED_DEVS(1);
	src = tl_buf_alloc(TL_PAGE, 0);
	dst = tl_buf_alloc(2 * TL_PAGE, CANARY);
	ASSERT_NE(NULL, src);
	ASSERT_NE(NULL, dst);
	tl_buf_pattern(src, TL_PAGE, 1);

	BIND(0, e);
	ASSERT_EQ(0, smmua_map(self->fd[0], self->sp[0], SMMU_ASSIGN_MAP_READ, src, SRC_IOVA,
			       TL_PAGE));
	ASSERT_EQ(0, smmua_map(self->fd[0], self->sp[0], RW, dst, DST_IOVA,
			       2 * TL_PAGE));
	ASSERT_EQ(0, dma(e, SRC_IOVA, false));
	/* Into the second page: the IOVA must reach the page behind it, not another. */
	ASSERT_EQ(0, dma(e, DST_IOVA + TL_PAGE, true));
	EXPECT_EQ(0, memcmp(dst + TL_PAGE, src, DMA_LEN));
	EXPECT_EQ(-1, tl_buf_find_not(dst, TL_PAGE, CANARY));

	/* Again with other bytes: the first pass was no leftover. */
	tl_buf_pattern(src, TL_PAGE, 2);
	ASSERT_EQ(0, dma(e, SRC_IOVA, false));
	ASSERT_EQ(0, dma(e, DST_IOVA, true));
	EXPECT_EQ(0, memcmp(dst, src, DMA_LEN));
	tl_buf_free(src, TL_PAGE);
	tl_buf_free(dst, 2 * TL_PAGE);
}

TEST_F_TIMEOUT(core, blocked_unmapped_iova, 60)
{
	struct tl_edu *e = &self->edu[0];
	void *src, *dst;

	NEED_DEVS(1);
	dst = tl_buf_alloc(TL_PAGE, CANARY);
	ASSERT_NE(NULL, dst);
	BIND(0, e);
	src = load_device(_metadata, self->fd[0], self->sp[0], e, 3);
	/* Mapped right next to the hole: a stray write would land here. */
	ASSERT_EQ(0, smmua_map(self->fd[0], self->sp[0], RW, dst,
			       HOLE_IOVA - TL_PAGE, TL_PAGE));
	expect_blocked_write(_metadata, &self->kmsg, e, HOLE_IOVA, dst, TL_PAGE, false);
	tl_buf_free(src, TL_PAGE);
	tl_buf_free(dst, TL_PAGE);
	FAULT_CHECKS_DONE();
}

TEST_F_TIMEOUT(core, blocked_outside_window, 60)
{
	struct tl_edu *e = &self->edu[0];
	void *src, *dst;

	NEED_DEVS(1);
	dst = tl_buf_alloc(TL_PAGE, CANARY);
	ASSERT_NE(NULL, dst);
	BIND(0, e);
	src = load_device(_metadata, self->fd[0], self->sp[0], e, 4);
	ASSERT_EQ(0, smmua_map(self->fd[0], self->sp[0], RW, dst,
			       WIN_IOVA + WIN_LEN - TL_PAGE, TL_PAGE));
	expect_blocked_write(_metadata, &self->kmsg, e, OUT_IOVA, dst, TL_PAGE, false);
	expect_blocked_write(_metadata, &self->kmsg, e, WIN_IOVA - TL_PAGE, dst, TL_PAGE,
			     false);
	tl_buf_free(src, TL_PAGE);
	tl_buf_free(dst, TL_PAGE);
	FAULT_CHECKS_DONE();
}

TEST_F_TIMEOUT(core, blocked_after_unmap, 60)
{
	struct tl_edu *e = &self->edu[0];
	uint8_t *src, *dst;
	__u64 unmapped = 0;

	NEED_DEVS(1);
	dst = tl_buf_alloc(TL_PAGE, CANARY);
	ASSERT_NE(NULL, dst);
	BIND(0, e);
	src = load_device(_metadata, self->fd[0], self->sp[0], e, 5);
	ASSERT_EQ(0, smmua_map(self->fd[0], self->sp[0], RW, dst, DST_IOVA,
			       TL_PAGE));
	/* While mapped the write lands: the device and the IOVA are right. */
	ASSERT_EQ(0, dma(e, DST_IOVA, true));
	ASSERT_EQ(0, memcmp(dst, src, DMA_LEN));

	memset(dst, CANARY, TL_PAGE);
	ASSERT_EQ(0, smmua_unmap(self->fd[0], self->sp[0], 0, DST_IOVA, TL_PAGE, &unmapped));
	EXPECT_EQ(TL_PAGE, unmapped);
	expect_blocked_write(_metadata, &self->kmsg, e, DST_IOVA, dst, TL_PAGE, false);
	tl_buf_free(src, TL_PAGE);
	tl_buf_free(dst, TL_PAGE);
	FAULT_CHECKS_DONE();
}

TEST_F_TIMEOUT(core, blocked_after_unbind, 60)
{
	struct tl_edu *e = &self->edu[0];
	__u64 unmapped = 0;
	uint8_t *src, *dst;

	NEED_DEVS(1);
	dst = tl_buf_alloc(TL_PAGE, CANARY);
	ASSERT_NE(NULL, dst);
	BIND(0, e);
	src = load_device(_metadata, self->fd[0], self->sp[0], e, 6);
	ASSERT_EQ(0, smmua_map(self->fd[0], self->sp[0], RW, dst, UNBIND_IOVA,
			       TL_PAGE));
	ASSERT_EQ(0, dma(e, UNBIND_IOVA, true));
	ASSERT_EQ(0, memcmp(dst, src, DMA_LEN));

	memset(dst, CANARY, TL_PAGE);
	ASSERT_EQ(0, smmua_unbind(self->fd[0], &e->bdf));
	/*
	 * Back in its default domain, arm-smmu-v3 logs the fault itself, at
	 * most 10 dumps per 5 s: let earlier tests' dumps age out first.
	 */
	ASSERT_EQ(0, tl_kmsg_wait_quiet(&self->kmsg, "arm-smmu-v3", 5500, 40000));
	expect_blocked_write(_metadata, &self->kmsg, e, UNBIND_IOVA, dst, TL_PAGE, true);
	/*
	 * The space outlives the binding with its mappings (the device no
	 * longer reaches them): the source and the destination are still there.
	 */
	EXPECT_EQ(0, smmua_unmap(self->fd[0], self->sp[0], SMMU_ASSIGN_UNMAP_ALL, 0, 0,
				 &unmapped));
	EXPECT_EQ(2 * TL_PAGE, unmapped);
	tl_buf_free(src, TL_PAGE);
	tl_buf_free(dst, TL_PAGE);
}

TEST_F_TIMEOUT(core, read_only_mapping_refuses_device_write, 60)
{
	struct tl_edu *e = &self->edu[0];
	uint8_t *src, *dst;

	NEED_DEVS(1);
	dst = tl_buf_alloc(TL_PAGE, CANARY);
	ASSERT_NE(NULL, dst);
	BIND(0, e);
	src = load_device(_metadata, self->fd[0], self->sp[0], e, 7);
	ASSERT_EQ(0, smmua_map(self->fd[0], self->sp[0], SMMU_ASSIGN_MAP_READ, dst, RO_IOVA,
			       TL_PAGE));
	/* The mapping is readable by the device... */
	ASSERT_EQ(0, dma(e, RO_IOVA, false));
	/* ...but its write is refused, and logged as a write. */
	expect_blocked_write(_metadata, &self->kmsg, e, RO_IOVA, dst, TL_PAGE, false);
	tl_buf_free(src, TL_PAGE);
	tl_buf_free(dst, TL_PAGE);
	FAULT_CHECKS_DONE();
}

TEST_F_TIMEOUT(core, isolation_between_devices, 180)
{
	uint8_t *src[NDEV], *dst[NDEV];
	int i, j;

	NEED_DEVS(NDEV);
	for (i = 0; i < NDEV; i++) {
		struct tl_edu *e = &self->edu[i];

		src[i] = tl_buf_alloc(TL_PAGE, 0);
		dst[i] = tl_buf_alloc(TL_PAGE, CANARY);
		ASSERT_NE(NULL, src[i]);
		ASSERT_NE(NULL, dst[i]);
		tl_buf_pattern(src[i], TL_PAGE, 100 + i);
		/* One file, so one space and one domain, per device. */
		BIND(i, e);
		ASSERT_EQ(0, smmua_map(self->fd[i], self->sp[i], SMMU_ASSIGN_MAP_READ, src[i],
				       SRC_IOVA, TL_PAGE));
		ASSERT_EQ(0, smmua_map(self->fd[i], self->sp[i], RW, dst[i],
				       ISO_IOVA(i), TL_PAGE));
	}
	/* Each device reaches its own buffers: the same SRC_IOVA means three pages. */
	for (i = 0; i < NDEV; i++) {
		ASSERT_EQ(0, dma(&self->edu[i], SRC_IOVA, false));
		ASSERT_EQ(0, dma(&self->edu[i], ISO_IOVA(i), true));
	}
	for (i = 0; i < NDEV; i++) {
		EXPECT_EQ(0, memcmp(dst[i], src[i], DMA_LEN)) TH_LOG("device %d", i);
		memset(dst[i], CANARY, TL_PAGE);
	}
	/* Each device aims at the next one's destination IOVA: nothing there for it. */
	for (i = 0; i < NDEV; i++) {
		j = (i + 1) % NDEV;
		expect_blocked_write(_metadata, &self->kmsg, &self->edu[i],
				     ISO_IOVA(j), dst[j], TL_PAGE, false);
		EXPECT_EQ(-1, tl_buf_find_not(dst[i], TL_PAGE, CANARY));
	}
	for (i = 0; i < NDEV; i++) {
		tl_buf_free(src[i], TL_PAGE);
		tl_buf_free(dst[i], TL_PAGE);
	}
	FAULT_CHECKS_DONE();
}

/* ---- lifetime ---- */

#define LIFE_PAGES	16

/*
 * In a child: RLIMIT_MEMLOCK of 64 KiB, CAP_IPC_LOCK kept or dropped, then
 * map 32 KiB and 64 KiB more. Exit status: bit 0 the first MAP failed, bit
 * 1 the second's result was wrong, bit 2 VmPin was wrong.
 */
static int memlock_child(struct tl_edu *e, bool keep_ipc_lock)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct cap[2];
	struct rlimit rl = { .rlim_cur = 64 << 10, .rlim_max = 64 << 10 };
	uint8_t *buf = tl_buf_alloc(96 << 10, 0);
	int fd, sp, ret, bad = 0;

	if (!buf || setrlimit(RLIMIT_MEMLOCK, &rl) || syscall(SYS_capget, &hdr, cap))
		return 0x80;
	if (!keep_ipc_lock) {
		cap[CAP_IPC_LOCK / 32].effective &= ~(1u << (CAP_IPC_LOCK % 32));
		if (syscall(SYS_capset, &hdr, cap))
			return 0x80;
	}
	fd = smmua_open();
	sp = fd < 0 ? -1 : bind_win(fd, e);
	if (sp <= 0)
		return 0x40;
	if (smmua_map(fd, sp, RW, buf, WIN_IOVA, 32 << 10))
		bad |= 1;
	ret = smmua_map(fd, sp, RW, buf + (32 << 10), WIN_IOVA + (32 << 10), 64 << 10);
	if (ret != (keep_ipc_lock ? 0 : -ENOMEM))
		bad |= 2;
	/* CAP_IPC_LOCK lifts the limit; the pins show in VmPin all the same. */
	if (tl_vmpin_kb(0) != (keep_ipc_lock ? 96 : 32))
		bad |= 4;
	return bad;
}

TEST_F(core, memlock_limit_is_enomem_unless_cap_ipc_lock)
{
	int status, keep;
	pid_t pid;

	NEED_DEVS(1);
	for (keep = 0; keep < 2; keep++) {
		pid = fork();
		ASSERT_LE(0, pid);
		if (!pid)
			_exit(memlock_child(&self->edu[0], keep));
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		EXPECT_EQ(0, WEXITSTATUS(status)) TH_LOG("CAP_IPC_LOCK %s", keep ? "kept" : "dropped");
	}
}

TEST_F_TIMEOUT(core, close_releases_pins_and_locked_vm, 60)
{
	struct tl_edu *e = &self->edu[0];
	long long pins0, pins;
	long lck0;
	void *buf;

	NEED_DEVS(1);
	buf = tl_buf_alloc(LIFE_PAGES * TL_PAGE, CANARY);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, tl_pins_outstanding(&pins0));
	lck0 = tl_vmpin_kb(0);
	ASSERT_LE(0, lck0);

	BIND(0, e);
	ASSERT_EQ(0, smmua_map(self->fd[0], self->sp[0], RW, buf, DST_IOVA, LIFE_PAGES * TL_PAGE));
	ASSERT_EQ(0, tl_pins_outstanding(&pins));
	EXPECT_EQ(pins0 + LIFE_PAGES, pins);
	EXPECT_EQ(lck0 + LIFE_PAGES * TL_PAGE / 1024, tl_vmpin_kb(0));

	ASSERT_EQ(0, close(self->fd[0]));
	self->fd[0] = -1;
	ASSERT_EQ(0, tl_pins_outstanding(&pins));
	EXPECT_EQ(pins0, pins);
	EXPECT_EQ(lck0, tl_vmpin_kb(0));

	/* The device is free again. */
	self->fd[0] = smmua_open();
	ASSERT_LE(0, self->fd[0]);
	EXPECT_LT(0, bind_win(self->fd[0], e));
	tl_buf_free(buf, LIFE_PAGES * TL_PAGE);
}

TEST_F_TIMEOUT(core, sigkill_releases_pins, 60)
{
	struct tl_edu *e = &self->edu[0];
	long long pins0, pins;
	long lck[2] = { -1, -1 };
	int pfd[2], status;
	pid_t pid;

	NEED_DEVS(1);
	ASSERT_EQ(0, tl_pins_outstanding(&pins0));
	ASSERT_EQ(0, pipe(pfd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		/* A forked child cannot use the parent's file: it opens its own. */
		void *buf = tl_buf_alloc(LIFE_PAGES * TL_PAGE, CANARY);
		int fd = smmua_open(), sp;

		close(pfd[0]);
		lck[0] = tl_vmpin_kb(0);
		sp = fd < 0 ? -1 : bind_win(fd, e);
		if (!buf || sp <= 0 ||
		    smmua_map(fd, sp, RW, buf, DST_IOVA, LIFE_PAGES * TL_PAGE))
			_exit(1);
		lck[1] = tl_vmpin_kb(0);
		if (write(pfd[1], lck, sizeof(lck)) != sizeof(lck))
			_exit(1);
		for (;;)
			pause();
	}
	close(pfd[1]);
	ASSERT_EQ(sizeof(lck), read(pfd[0], lck, sizeof(lck)));
	close(pfd[0]);
	EXPECT_EQ(lck[0] + LIFE_PAGES * TL_PAGE / 1024, lck[1]);
	ASSERT_EQ(0, tl_pins_outstanding(&pins));
	EXPECT_EQ(pins0 + LIFE_PAGES, pins);
	/* The child holds the device: this file cannot have it. */
	EXPECT_EQ(-EBUSY, bind_win(self->fd[0], e));

	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFSIGNALED(status));
	ASSERT_EQ(0, tl_pins_outstanding(&pins));
	EXPECT_EQ(pins0, pins);
	EXPECT_LT(0, bind_win(self->fd[0], e));
}

#define KILL_MAP_LEN	(64UL << 20)
#define KILL_ROUNDS	20

/* Drop CAP_IPC_LOCK and set RLIMIT_MEMLOCK, so that MAP charges the user. */
static int charged_user(rlim_t limit)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct cap[2];
	struct rlimit rl = { .rlim_cur = limit, .rlim_max = limit };

	if (setrlimit(RLIMIT_MEMLOCK, &rl) || syscall(SYS_capget, &hdr, cap))
		return -1;
	cap[CAP_IPC_LOCK / 32].effective &= ~(1u << (CAP_IPC_LOCK % 32));
	return syscall(SYS_capset, &hdr, cap) ? -1 : 0;
}

/*
 * In a child: bind and map len bytes of 4K pages. Exit status: 0 if the
 * MAP worked, its errno if it failed, 200 and up if the set-up did.
 */
static int map_child(struct tl_edu *e, size_t len)
{
	uint8_t *buf;
	int fd, sp;

	if (charged_user(len))
		return 200;
	buf = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED || madvise(buf, len, MADV_NOHUGEPAGE))
		return 201;
	memset(buf, 1, len);
	fd = smmua_open();
	sp = fd < 0 ? -1 : bind_win(fd, e);
	if (sp <= 0)
		return 202;
	return -smmua_map(fd, sp, RW, buf, WIN_IOVA, len);
}

/*
 * SIGKILL lands in the middle of a large MAP, at a different point each
 * round: afterwards nothing stays pinned, and the user's locked-memory
 * charge is back to nothing (a MAP of the whole limit fits again).
 */
TEST_F_TIMEOUT(core, sigkill_during_map_leaves_nothing, 600)
{
	struct tl_edu *e = &self->edu[0];
	long long pins0, pins;
	int round, status;
	pid_t pid;

	NEED_DEVS(1);
	ASSERT_EQ(0, tl_pins_outstanding(&pins0));
	for (round = 0; round < KILL_ROUNDS; round++) {
		pid = fork();
		ASSERT_LE(0, pid);
		if (!pid)
			_exit(map_child(e, KILL_MAP_LEN));
		/* From before the MAP to past it: the child faults 64 MiB in first. */
		usleep(100000 + round * 60000);
		kill(pid, SIGKILL);
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		if (WIFEXITED(status))
			ASSERT_EQ(0, WEXITSTATUS(status)) TH_LOG("round %d: %s", round,
								 strerror(WEXITSTATUS(status)));
		ASSERT_EQ(0, tl_pins_outstanding(&pins));
		ASSERT_EQ(pins0, pins) TH_LOG("round %d: pins left", round);
	}
	/* The whole limit is free again for the same user. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(map_child(e, KILL_MAP_LEN));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status)) TH_LOG("the full MAP after the kills failed: %s",
						 strerror(WEXITSTATUS(status)));
}

/* ---- bad input: the exact errno, and nothing changed ---- */

/* After a refused call, a valid BIND and MAP on the same file still work. */
static void expect_still_usable(struct __test_metadata *_metadata, int fd, struct tl_edu *e)
{
	void *buf = tl_buf_alloc(TL_PAGE, CANARY);
	int sp;

	ASSERT_NE(NULL, buf);
	sp = bind_win(fd, e);
	EXPECT_LT(0, sp);
	EXPECT_EQ(0, smmua_map(fd, sp, RW, buf, DST_IOVA, TL_PAGE));
	EXPECT_EQ(0, smmua_unbind(fd, &e->bdf));
	EXPECT_EQ(0, smmua_space_destroy(fd, sp));
	tl_buf_free(buf, TL_PAGE);
}

TEST_F(core, bad_bdf_is_einval)
{
	struct smmu_assign_bdf bdf;

	NEED_DEVS(1);
	bdf = self->edu[0].bdf;
	bdf.device = 32;
	EXPECT_EQ(-EINVAL, smmua_bind(self->fd[0], &bdf, 0, WIN_IOVA, WIN_LEN, NULL));
	bdf = self->edu[0].bdf;
	bdf.function = 8;
	EXPECT_EQ(-EINVAL, smmua_bind(self->fd[0], &bdf, 0, WIN_IOVA, WIN_LEN, NULL));
	expect_still_usable(_metadata, self->fd[0], &self->edu[0]);
}

TEST_F(core, absent_device_is_enodev)
{
	struct smmu_assign_bdf bdf = { .segment = 0, .bus = 0xfe, .device = 0x1f, .function = 7 };

	NEED_DEVS(1);
	ASSERT_NE(0, access("/sys/bus/pci/devices/0000:fe:1f.7", F_OK));
	EXPECT_EQ(-ENODEV, smmua_bind(self->fd[0], &bdf, 0, WIN_IOVA, WIN_LEN, NULL));
	expect_still_usable(_metadata, self->fd[0], &self->edu[0]);
}

/*
 * The device BIND names must have been handed over (the stub or vfio-pci):
 * on no driver, even with the IOMMU group it got when a driver last probed
 * it, it is EBUSY, and the kernel log says why.
 */
TEST_F(core, device_without_stub_driver_is_ebusy)
{
	char drv[SMMUA_DRIVER_LEN], why[96];
	struct tl_edu *e;

	NEED_DEVS(1);
	e = &self->edu[self->nr - 1];
	ASSERT_EQ(0, tl_leave_unbound(e->name));
	ASSERT_EQ(0, smmua_pci_driver(&e->bdf, drv, sizeof(drv)));
	ASSERT_STREQ("", drv);
	ASSERT_EQ(0, tl_kmsg_mark(&self->kmsg));
	EXPECT_EQ(-EBUSY, bind_win(self->fd[0], e));
	snprintf(why, sizeof(why), "%s: has no driver", e->name);
	EXPECT_EQ(1, tl_kmsg_wait_text(&self->kmsg, why, 1000));
	EXPECT_FALSE(tl_has_space(self->fd[0], 1)) TH_LOG("a refused BIND left a space");
	/* Back on the stub, the same file binds it. */
	ASSERT_EQ(0, tl_bind_stub(e->name));
	expect_still_usable(_metadata, self->fd[0], e);
}

TEST_F(core, device_on_foreign_driver_is_ebusy)
{
	char drv[SMMUA_DRIVER_LEN];
	struct tl_edu *e;

	NEED_DEVS(1);
	if (access("/sys/bus/pci/drivers/pci-stub", F_OK))
		SKIP(return, "pci-stub is not loaded");
	e = &self->edu[self->nr - 1];
	ASSERT_EQ(0, smmua_pci_takeover(&e->bdf, "pci-stub", NULL, 0));
	ASSERT_EQ(0, smmua_pci_driver(&e->bdf, drv, sizeof(drv)));
	ASSERT_STREQ("pci-stub", drv);
	EXPECT_EQ(-EBUSY, bind_win(self->fd[0], e));
	ASSERT_EQ(0, tl_bind_stub(e->name));
	expect_still_usable(_metadata, self->fd[0], e);
}

/* The IOMMU group of bdf from sysfs, -1 if none. */
static int iommu_group_of(const char *bdf)
{
	char path[128], link[256];
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group", bdf);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return -1;
	link[n] = '\0';
	return atoi(strrchr(link, '/') + 1);
}

/*
 * A device on vfio-pci is accepted while VFIO does not use its group; group
 * DMA ownership is exclusive, so neither takes the group from the other.
 */
TEST_F(core, vfio_pci_device_is_shared_never_fought_over)
{
	int container, group;
	void *src, *dst;
	struct tl_edu *e;
	char path[64];

	NEED_DEVS(1);
	if (access("/sys/bus/pci/drivers/vfio-pci", F_OK))
		SKIP(return, "vfio-pci is not loaded");
	e = &self->edu[self->nr - 1];
	ASSERT_EQ(0, smmua_pci_takeover(&e->bdf, "vfio-pci", NULL, 0));
	snprintf(path, sizeof(path), "/dev/vfio/%d", iommu_group_of(e->name));
	container = open("/dev/vfio/vfio", O_RDWR);
	group = open(path, O_RDWR);
	ASSERT_LE(0, container);
	ASSERT_LE(0, group);

	/* Ours while VFIO does not use it: VFIO cannot take the group. */
	BIND(0, e);
	EXPECT_EQ(-1, ioctl(group, VFIO_GROUP_SET_CONTAINER, &container));
	/* VFIO passes on the IOMMU core's errno: EPERM on 6.1. */
	EXPECT_TRUE(errno == EPERM || errno == EBUSY);
	ASSERT_EQ(0, smmua_unbind(self->fd[0], &e->bdf));

	/* VFIO's while it uses it: BIND is refused, and nothing changed. */
	ASSERT_EQ(0, ioctl(group, VFIO_GROUP_SET_CONTAINER, &container));
	EXPECT_EQ(-EBUSY, bind_win(self->fd[0], e));
	ASSERT_EQ(0, ioctl(group, VFIO_GROUP_UNSET_CONTAINER));
	close(group);
	close(container);

	/* VFIO let go: the device DMAs through our domain, on vfio-pci. */
	BIND(0, e);
	src = load_device(_metadata, self->fd[0], self->sp[0], e, 0x5eed);
	dst = tl_buf_alloc(TL_PAGE, CANARY);
	ASSERT_NE(NULL, dst);
	ASSERT_EQ(0, smmua_map(self->fd[0], self->sp[0], RW, dst,
			       DST_IOVA, TL_PAGE));
	ASSERT_EQ(0, dma(e, DST_IOVA, true));
	EXPECT_EQ(0, memcmp(src, dst, DMA_LEN));
	ASSERT_EQ(0, smmua_unbind(self->fd[0], &e->bdf));
	tl_buf_free(src, TL_PAGE);
	tl_buf_free(dst, TL_PAGE);
	ASSERT_EQ(0, tl_bind_stub(e->name));
}

/*
 * A device that shares its IOMMU group (the two functions of the test
 * bed's multi-function slot) binds with the whole group: every PCI function
 * of it that is not a bridge is bound, and the binding ends for all of them
 * together, by any member's BDF. groups_test goes further (DMA, refusals).
 */
TEST_F(core, multi_device_group_binds_every_member)
{
	char names[2][SMMUA_BDF_STRLEN];
	struct smmu_assign_bdf bdf[2];
	struct smmu_assign_bind out;
	struct smmu_assign_query q;
	struct smmua_pci_dev pci;
	int i;

	if (tl_find_grouped_edus(names, 2) < 2)
		SKIP(return, "needs two edus that share an IOMMU group");
	for (i = 0; i < 2; i++) {
		bdf[i] = tl_bdf(names[i]);
		tl_drop_binding(&bdf[i]);
		ASSERT_EQ(0, tl_bind_stub(names[i]));
	}
	ASSERT_EQ(0, smmua_pci_read(&bdf[0], &pci));
	ASSERT_EQ(2, pci.group_size) TH_LOG("%s: IOMMU group %d", names[0], pci.iommu_group);
	ASSERT_EQ(0, smmua_bind(self->fd[0], &bdf[0], 0, WIN_IOVA, WIN_LEN, &out));
	EXPECT_EQ(2, out.out_num_devices);
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, smmua_query(self->fd[0], &bdf[i], &q)) TH_LOG("%s", names[i]);
		EXPECT_EQ(2, q.out_num_devices);
		EXPECT_EQ(out.out_group_id, q.out_group_id);
		EXPECT_EQ(out.out_space_id, q.out_space_id);
		EXPECT_EQ(1, tl_listed(self->fd[0], &bdf[i]));
	}
	/* Either member's BDF ends the binding of both. */
	EXPECT_EQ(0, smmua_unbind(self->fd[0], &bdf[1]));
	for (i = 0; i < 2; i++) {
		EXPECT_EQ(-ENOENT, smmua_query(self->fd[0], &bdf[i], &q));
		EXPECT_EQ(0, tl_listed(self->fd[0], &bdf[i]));
		EXPECT_EQ(0, tl_leave_unbound(names[i]));
	}
	NEED_DEVS(1);
	expect_still_usable(_metadata, self->fd[0], &self->edu[0]);
}

TEST_F(core, owned_group_is_ebusy)
{
	struct tl_edu *e = &self->edu[0];
	void *buf;

	NEED_DEVS(1);
	buf = tl_buf_alloc(TL_PAGE, CANARY);
	ASSERT_NE(NULL, buf);
	BIND(0, e);
	EXPECT_EQ(-EBUSY, bind_win(self->fd[1], e));
	/* The same file binding twice is refused too. */
	EXPECT_EQ(-EBUSY, bind_win(self->fd[0], e));
	/* The owner is undisturbed; once it lets go, the other file may bind. */
	EXPECT_EQ(0, smmua_map(self->fd[0], self->sp[0], RW, buf, DST_IOVA, TL_PAGE));
	EXPECT_EQ(0, smmua_unbind(self->fd[0], &e->bdf));
	expect_still_usable(_metadata, self->fd[1], e);
	tl_buf_free(buf, TL_PAGE);
}

TEST_F(core, misaligned_is_einval)
{
	struct tl_edu *e = &self->edu[0];
	uint8_t *buf;

	NEED_DEVS(1);
	buf = tl_buf_alloc(2 * TL_PAGE, CANARY);
	ASSERT_NE(NULL, buf);
	EXPECT_EQ(-EINVAL, smmua_bind(self->fd[0], &e->bdf, 0, WIN_IOVA + 0x800, WIN_LEN, NULL));
	EXPECT_EQ(-EINVAL, smmua_bind(self->fd[0], &e->bdf, 0, WIN_IOVA, WIN_LEN - 1, NULL));
	EXPECT_FALSE(tl_has_space(self->fd[0], 1)) TH_LOG("a refused BIND left a space");
	BIND(0, e);
	EXPECT_EQ(-EINVAL, smmua_map(self->fd[0], self->sp[0], RW, buf + 8, DST_IOVA, TL_PAGE));
	EXPECT_EQ(-EINVAL, smmua_map(self->fd[0], self->sp[0], RW, buf, DST_IOVA + 8, TL_PAGE));
	EXPECT_EQ(-EINVAL, smmua_map(self->fd[0], self->sp[0], RW, buf, DST_IOVA, TL_PAGE + 8));
	EXPECT_EQ(0, smmua_map(self->fd[0], self->sp[0], RW, buf, DST_IOVA, 2 * TL_PAGE));
	EXPECT_EQ(-EINVAL, smmua_unmap(self->fd[0], self->sp[0], 0, DST_IOVA + 8, TL_PAGE, NULL));
	EXPECT_EQ(0, smmua_unbind(self->fd[0], &e->bdf));
	expect_still_usable(_metadata, self->fd[0], e);
	tl_buf_free(buf, 2 * TL_PAGE);
}

/*
 * MAP works in the kernel's pages, not the SMMU's smallest: with 16K pages,
 * memory, IOVA and length aligned to 4 KiB but not to 16 KiB are EINVAL.
 * With 4K pages the same MAP is whole pages, and succeeds.
 */
TEST_F(core, map_of_4k_aligned_memory_needs_kernel_pages)
{
	struct tl_edu *e = &self->edu[0];
	size_t page = TL_PAGE;
	uint8_t *buf;

	NEED_DEVS(1);
	buf = tl_buf_alloc(2 * page, CANARY);
	ASSERT_NE(NULL, buf);
	BIND(0, e);
	if (page == 4096) {
		EXPECT_EQ(0, smmua_map(self->fd[0], self->sp[0], RW, buf + 4096, DST_IOVA + 4096,
				       4096));
	} else {
		TH_LOG("%zu KiB pages", page >> 10);
		EXPECT_EQ(-EINVAL, smmua_map(self->fd[0], self->sp[0], RW, buf + 4096, DST_IOVA,
					     page));
		EXPECT_EQ(-EINVAL, smmua_map(self->fd[0], self->sp[0], RW, buf, DST_IOVA + 4096,
					     page));
		EXPECT_EQ(-EINVAL, smmua_map(self->fd[0], self->sp[0], RW, buf, DST_IOVA, 4096));
		EXPECT_EQ(-EINVAL, smmua_map(self->fd[0], self->sp[0], RW, buf, DST_IOVA,
					     page + 4096));
		/* Nothing was mapped by the refused calls. */
		EXPECT_EQ(-ENOENT, smmua_unmap(self->fd[0], self->sp[0], SMMU_ASSIGN_UNMAP_ALL, 0, 0,
					       NULL));
		EXPECT_EQ(0, smmua_map(self->fd[0], self->sp[0], RW, buf, DST_IOVA, page));
	}
	tl_buf_free(buf, 2 * page);
}

TEST_F(core, zero_length_is_einval)
{
	struct tl_edu *e = &self->edu[0];
	void *buf;

	NEED_DEVS(1);
	buf = tl_buf_alloc(TL_PAGE, CANARY);
	ASSERT_NE(NULL, buf);
	EXPECT_EQ(-EINVAL, smmua_bind(self->fd[0], &e->bdf, 0, WIN_IOVA, 0, NULL));
	EXPECT_FALSE(tl_has_space(self->fd[0], 1)) TH_LOG("a refused BIND left a space");
	BIND(0, e);
	EXPECT_EQ(-EINVAL, smmua_map(self->fd[0], self->sp[0], RW, buf, DST_IOVA, 0));
	EXPECT_EQ(0, smmua_map(self->fd[0], self->sp[0], RW, buf, DST_IOVA, TL_PAGE));
	EXPECT_EQ(0, smmua_unbind(self->fd[0], &e->bdf));
	expect_still_usable(_metadata, self->fd[0], e);
	tl_buf_free(buf, TL_PAGE);
}

TEST_F(core, wrapping_is_eoverflow)
{
	struct tl_edu *e = &self->edu[0];
	void *buf;

	NEED_DEVS(1);
	buf = tl_buf_alloc(2 * TL_PAGE, CANARY);
	ASSERT_NE(NULL, buf);
	EXPECT_EQ(-EOVERFLOW, smmua_bind(self->fd[0], &e->bdf, 0, -(uint64_t)TL_PAGE,
					 2 * TL_PAGE, NULL));
	EXPECT_FALSE(tl_has_space(self->fd[0], 1)) TH_LOG("a refused BIND left a space");
	BIND(0, e);
	EXPECT_EQ(-EOVERFLOW, smmua_map(self->fd[0], self->sp[0], RW, buf, -(uint64_t)TL_PAGE,
					2 * TL_PAGE));
	EXPECT_EQ(0, smmua_unbind(self->fd[0], &e->bdf));
	expect_still_usable(_metadata, self->fd[0], e);
	tl_buf_free(buf, 2 * TL_PAGE);
}

TEST_F(core, outside_window_is_erange)
{
	struct tl_edu *e = &self->edu[0];
	void *buf;

	NEED_DEVS(1);
	buf = tl_buf_alloc(2 * TL_PAGE, CANARY);
	ASSERT_NE(NULL, buf);
	/* Beyond any SMMU's input range: outside the aperture. */
	EXPECT_EQ(-ERANGE, smmua_bind(self->fd[0], &e->bdf, 0, 1ULL << 60, WIN_LEN, NULL));
	EXPECT_FALSE(tl_has_space(self->fd[0], 1)) TH_LOG("a refused BIND left a space");
	BIND(0, e);
	EXPECT_EQ(-ERANGE, smmua_map(self->fd[0], self->sp[0], RW, buf, WIN_IOVA - TL_PAGE,
				     TL_PAGE));
	EXPECT_EQ(-ERANGE, smmua_map(self->fd[0], self->sp[0], RW, buf, WIN_IOVA + WIN_LEN,
				     TL_PAGE));
	/* Straddling either edge. */
	EXPECT_EQ(-ERANGE, smmua_map(self->fd[0], self->sp[0], RW, buf, WIN_IOVA - TL_PAGE,
				     2 * TL_PAGE));
	EXPECT_EQ(-ERANGE, smmua_map(self->fd[0], self->sp[0], RW, buf,
				     WIN_IOVA + WIN_LEN - TL_PAGE, 2 * TL_PAGE));
	/* The last page is inside. */
	EXPECT_EQ(0, smmua_map(self->fd[0], self->sp[0], RW, buf, WIN_IOVA + WIN_LEN - TL_PAGE,
			       TL_PAGE));
	EXPECT_EQ(0, smmua_unbind(self->fd[0], &e->bdf));
	expect_still_usable(_metadata, self->fd[0], e);
	tl_buf_free(buf, 2 * TL_PAGE);
}

TEST_F(core, overlap_is_eexist)
{
	struct tl_edu *e = &self->edu[0];
	uint8_t *buf;

	NEED_DEVS(1);
	buf = tl_buf_alloc(4 * TL_PAGE, CANARY);
	ASSERT_NE(NULL, buf);
	BIND(0, e);
	ASSERT_EQ(0, smmua_map(self->fd[0], self->sp[0], RW, buf, DST_IOVA + TL_PAGE,
			       2 * TL_PAGE));
	EXPECT_EQ(-EEXIST, smmua_map(self->fd[0], self->sp[0], RW, buf, DST_IOVA + TL_PAGE,
				     2 * TL_PAGE));
	EXPECT_EQ(-EEXIST, smmua_map(self->fd[0], self->sp[0], RW, buf, DST_IOVA, 2 * TL_PAGE));
	EXPECT_EQ(-EEXIST, smmua_map(self->fd[0], self->sp[0], RW, buf, DST_IOVA + 2 * TL_PAGE,
				     2 * TL_PAGE));
	EXPECT_EQ(-EEXIST, smmua_map(self->fd[0], self->sp[0], RW, buf, DST_IOVA, 4 * TL_PAGE));
	/* The neighbours on both sides are free. */
	EXPECT_EQ(0, smmua_map(self->fd[0], self->sp[0], RW, buf, DST_IOVA, TL_PAGE));
	EXPECT_EQ(0, smmua_map(self->fd[0], self->sp[0], RW, buf + 3 * TL_PAGE,
			       DST_IOVA + 3 * TL_PAGE, TL_PAGE));
	tl_buf_free(buf, 4 * TL_PAGE);
}

/*
 * Among many mappings, scattered through a tree several levels deep, the
 * overlap check finds the neighbour on either side of every gap, and
 * refuses nothing that only touches one.
 */
TEST_F(core, overlap_is_eexist_among_many)
{
	const unsigned int n = 64;
	uint64_t gap;
	unsigned int i, k;
	uint8_t *buf;

	NEED_DEVS(1);
	buf = tl_buf_alloc(2 * n * TL_PAGE, CANARY);
	ASSERT_NE(NULL, buf);
	BIND(0, &self->edu[0]);
	/* Every other page, in an order that is not the IOVAs'. */
	for (i = 0; i < n; i++) {
		k = i * 37 % n;
		ASSERT_EQ(0, smmua_map(self->fd[0], self->sp[0], RW, buf + 2 * k * TL_PAGE,
				       DST_IOVA + 2 * k * TL_PAGE, TL_PAGE));
	}
	for (k = 0; k < n; k++) {
		gap = DST_IOVA + (2 * k + 1) * TL_PAGE;
		EXPECT_EQ(-EEXIST, smmua_map(self->fd[0], self->sp[0], RW, buf, gap - TL_PAGE,
					     2 * TL_PAGE));
		if (k + 1 < n)
			EXPECT_EQ(-EEXIST, smmua_map(self->fd[0], self->sp[0], RW, buf, gap,
						     2 * TL_PAGE));
	}
	for (k = 0; k < n; k++) {
		gap = DST_IOVA + (2 * k + 1) * TL_PAGE;
		EXPECT_EQ(0, smmua_map(self->fd[0], self->sp[0], RW, buf + (gap - DST_IOVA),
				       gap, TL_PAGE));
	}
	tl_buf_free(buf, 2 * n * TL_PAGE);
}

/*
 * A MAP that follows the last one made goes into the tree without a
 * descent. It still meets the mapping after it and the one it follows
 * (EEXIST), and the tree stays whole: every mapping listed in IOVA order
 * and found by TRANSLATE.
 */
TEST_F(core, maps_that_follow_the_last_one)
{
	const unsigned int n = 16;
	struct smmu_assign_mapping_info *maps;
	struct smmu_assign_translate t;
	__u64 unmapped;
	unsigned int i;
	uint8_t *buf;
	size_t num;

	NEED_DEVS(1);
	buf = tl_buf_alloc(n * TL_PAGE, CANARY);
	ASSERT_NE(NULL, buf);
	BIND(0, &self->edu[0]);
#define PAGES_AT(i, k)	buf + (i) * TL_PAGE, DST_IOVA + (i) * TL_PAGE, (k) * TL_PAGE
	/* Page 8, then 0 to 7, each after the last made and before page 8. */
	ASSERT_EQ(0, smmua_map(self->fd[0], self->sp[0], RW, PAGES_AT(8, 1)));
	for (i = 0; i < 8; i++) {
		ASSERT_EQ(0, smmua_map(self->fd[0], self->sp[0], RW, PAGES_AT(i, 1)));
		EXPECT_EQ(-EEXIST, smmua_map(self->fd[0], self->sp[0], RW, PAGES_AT(i + 1, 8 - i)));
		EXPECT_EQ(-EEXIST, smmua_map(self->fd[0], self->sp[0], RW, PAGES_AT(i, 2)));
	}
	/* 9 to 15, each after the last made, with nothing after it. */
	for (i = 9; i < n; i++)
		ASSERT_EQ(0, smmua_map(self->fd[0], self->sp[0], RW, PAGES_AT(i, 1)));
	/* The last made goes, and comes back. */
	ASSERT_EQ(0, smmua_unmap(self->fd[0], self->sp[0], 0, DST_IOVA + (n - 1) * TL_PAGE,
				 TL_PAGE, NULL));
	ASSERT_EQ(0, smmua_map(self->fd[0], self->sp[0], RW, PAGES_AT(n - 1, 1)));
#undef PAGES_AT

	ASSERT_EQ(0, smmua_mappings(self->fd[0], self->sp[0], NULL, &maps, &num));
	ASSERT_EQ(n, num);
	for (i = 0; i < n; i++) {
		EXPECT_EQ(DST_IOVA + i * TL_PAGE, maps[i].iova);
		EXPECT_EQ((uintptr_t)(buf + i * TL_PAGE), maps[i].user_va);
		ASSERT_EQ(0, smmua_translate(self->fd[0], self->sp[0], NULL,
					     DST_IOVA + i * TL_PAGE + 8, &t));
		EXPECT_EQ((uintptr_t)(buf + i * TL_PAGE + 8), t.out_user_va);
	}
	free(maps);
	EXPECT_EQ(0, smmua_unmap(self->fd[0], self->sp[0], SMMU_ASSIGN_UNMAP_ALL, 0, 0,
				 &unmapped));
	EXPECT_EQ(n * TL_PAGE, unmapped);
	tl_buf_free(buf, n * TL_PAGE);
}

/*
 * UNMAPs in rising order find the next mapping without a descent. Each
 * still refuses a range that cuts its mapping (EINVAL) and removes exactly
 * that mapping, and a mapping made in the hole it leaves is found again.
 */
TEST_F(core, unmaps_in_rising_order)
{
	const unsigned int n = 8, len = 2 * TL_PAGE;
	struct smmu_assign_mapping_info *maps;
	__u64 unmapped;
	unsigned int i;
	uint8_t *buf;
	size_t num;

	NEED_DEVS(1);
	buf = tl_buf_alloc(n * len, CANARY);
	ASSERT_NE(NULL, buf);
	BIND(0, &self->edu[0]);
	for (i = 0; i < n; i++)
		ASSERT_EQ(0, smmua_map(self->fd[0], self->sp[0], RW, buf + i * len,
				       DST_IOVA + i * len, len));
	for (i = 0; i < n; i++) {
		EXPECT_EQ(-EINVAL, smmua_unmap(self->fd[0], self->sp[0], 0,
					       DST_IOVA + i * len + TL_PAGE, TL_PAGE, NULL));
		unmapped = 0;
		EXPECT_EQ(0, smmua_unmap(self->fd[0], self->sp[0], 0, DST_IOVA + i * len, len,
					 &unmapped));
		EXPECT_EQ(len, unmapped);
		if (i == n / 2)
			ASSERT_EQ(0, smmua_map(self->fd[0], self->sp[0], RW, buf,
					       DST_IOVA + i * len, TL_PAGE));
	}
	/* Only the one made in a hole is left. */
	ASSERT_EQ(0, smmua_mappings(self->fd[0], self->sp[0], NULL, &maps, &num));
	ASSERT_EQ(1, num);
	EXPECT_EQ(DST_IOVA + n / 2 * len, maps[0].iova);
	free(maps);
	EXPECT_EQ(0, smmua_unmap(self->fd[0], self->sp[0], 0, DST_IOVA + n / 2 * len, TL_PAGE,
				 &unmapped));
	EXPECT_EQ(TL_PAGE, unmapped);
	tl_buf_free(buf, n * len);
}

TEST_F(core, reserved_region_is_eaddrinuse)
{
	struct tl_edu *e = &self->edu[0];

	NEED_DEVS(1);
	/* Covering the SW MSI window, and just touching its first and last page. */
	EXPECT_EQ(-EADDRINUSE, smmua_bind(self->fd[0], &e->bdf, 0, TL_MSI_IOVA - 0x1000000,
					  0x2000000, NULL));
	EXPECT_EQ(-EADDRINUSE, smmua_bind(self->fd[0], &e->bdf, 0, TL_MSI_IOVA - TL_PAGE,
					  2 * TL_PAGE, NULL));
	EXPECT_EQ(-EADDRINUSE, smmua_bind(self->fd[0], &e->bdf, 0,
					  TL_MSI_IOVA + TL_MSI_LENGTH - TL_PAGE, 2 * TL_PAGE,
					  NULL));
	EXPECT_FALSE(tl_has_space(self->fd[0], 1)) TH_LOG("a refused BIND left a space");
	/* Right up to it is fine. */
	EXPECT_EQ(0, smmua_bind(self->fd[0], &e->bdf, 0, TL_MSI_IOVA - 0x1000000, 0x1000000,
				NULL));
	EXPECT_EQ(0, smmua_unbind(self->fd[0], &e->bdf));
	expect_still_usable(_metadata, self->fd[0], e);
}

TEST_F(core, unmapped_user_memory_is_efault)
{
	struct tl_edu *e = &self->edu[0];
	long long pins0, pins;
	long lck0;
	uint8_t *buf;

	NEED_DEVS(1);
	buf = tl_buf_alloc(4 * TL_PAGE, CANARY);
	ASSERT_NE(NULL, buf);
	/* A hole in the middle: the first page pins fine, then the hole. */
	ASSERT_EQ(0, munmap(buf + 2 * TL_PAGE, TL_PAGE));
	BIND(0, e);
	ASSERT_EQ(0, tl_pins_outstanding(&pins0));
	lck0 = tl_vmpin_kb(0);
	EXPECT_EQ(-EFAULT, smmua_map(self->fd[0], self->sp[0], RW, buf + 2 * TL_PAGE, DST_IOVA,
				     TL_PAGE));
	EXPECT_EQ(-EFAULT, smmua_map(self->fd[0], self->sp[0], RW, buf, DST_IOVA, 4 * TL_PAGE));
	/* Nothing stays pinned or charged from the partial attempt. */
	ASSERT_EQ(0, tl_pins_outstanding(&pins));
	EXPECT_EQ(pins0, pins);
	EXPECT_EQ(lck0, tl_vmpin_kb(0));
	/* And nothing stays mapped: the same IOVAs map now. */
	EXPECT_EQ(0, smmua_map(self->fd[0], self->sp[0], RW, buf, DST_IOVA, 2 * TL_PAGE));
	munmap(buf, 2 * TL_PAGE);
	munmap(buf + 3 * TL_PAGE, TL_PAGE);
}

TEST_F(core, write_mapping_of_readonly_memory_is_efault)
{
	struct tl_edu *e = &self->edu[0];
	long long pins0, pins;
	void *ro;

	NEED_DEVS(1);
	ro = mmap(NULL, 2 * TL_PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE,
		  -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	BIND(0, e);
	ASSERT_EQ(0, tl_pins_outstanding(&pins0));
	EXPECT_EQ(-EFAULT, smmua_map(self->fd[0], self->sp[0], RW, ro,
				     DST_IOVA, 2 * TL_PAGE));
	EXPECT_EQ(-EFAULT, smmua_map(self->fd[0], self->sp[0], RW, ro, DST_IOVA, 2 * TL_PAGE));
	ASSERT_EQ(0, tl_pins_outstanding(&pins));
	EXPECT_EQ(pins0, pins);
	/* Read-only for the device is what it may have. */
	EXPECT_EQ(0, smmua_map(self->fd[0], self->sp[0], SMMU_ASSIGN_MAP_READ, ro, DST_IOVA,
			       2 * TL_PAGE));
	munmap(ro, 2 * TL_PAGE);
}

TEST_F(core, max_mappings_is_enospc)
{
	struct tl_edu *e = &self->edu[0];
	uint8_t *buf;
	int i;

	NEED_DEVS(1);
	buf = tl_buf_alloc(8 * TL_PAGE, CANARY);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, tl_param_read("max_mappings", self->max_mappings,
				   sizeof(self->max_mappings)));
	ASSERT_EQ(0, tl_param_write("max_mappings", "4"));
	BIND(0, e);
	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, smmua_map(self->fd[0], self->sp[0], RW, buf + i * TL_PAGE,
				       DST_IOVA + i * TL_PAGE, TL_PAGE));
	EXPECT_EQ(-ENOSPC, smmua_map(self->fd[0], self->sp[0], RW, buf + 4 * TL_PAGE,
				     DST_IOVA + 4 * TL_PAGE, TL_PAGE));
	/* Room again after one goes. */
	ASSERT_EQ(0, smmua_unmap(self->fd[0], self->sp[0], 0, DST_IOVA, TL_PAGE, NULL));
	EXPECT_EQ(0, smmua_map(self->fd[0], self->sp[0], RW, buf + 4 * TL_PAGE,
			       DST_IOVA + 4 * TL_PAGE, TL_PAGE));
	tl_buf_free(buf, 8 * TL_PAGE);
}

/*
 * Another file's binding is EPERM to UNBIND; its space does not exist for
 * this file (ids are per file): MAP and UNMAP by that id are ENOENT.
 */
TEST_F(core, foreign_binding_is_eperm_its_space_enoent)
{
	struct tl_edu *e = &self->edu[0];
	void *buf;

	NEED_DEVS(1);
	buf = tl_buf_alloc(TL_PAGE, CANARY);
	ASSERT_NE(NULL, buf);
	BIND(0, e);
	EXPECT_EQ(-ENOENT, smmua_map(self->fd[1], self->sp[0], RW, buf, DST_IOVA, TL_PAGE));
	EXPECT_EQ(-EPERM, smmua_unbind(self->fd[1], &e->bdf));
	/* The owner's binding is intact and its own. */
	EXPECT_EQ(0, smmua_map(self->fd[0], self->sp[0], RW, buf, DST_IOVA, TL_PAGE));
	EXPECT_EQ(-ENOENT, smmua_unmap(self->fd[1], self->sp[0], SMMU_ASSIGN_UNMAP_ALL, 0, 0,
				       NULL));
	EXPECT_EQ(-ENOENT, smmua_space_destroy(self->fd[1], self->sp[0]));
	EXPECT_EQ(0, smmua_unmap(self->fd[0], self->sp[0], 0, DST_IOVA, TL_PAGE, NULL));
	EXPECT_EQ(0, smmua_unbind(self->fd[0], &e->bdf));
	tl_buf_free(buf, TL_PAGE);
}

/*
 * A forked child uses the parent's file: its MAP pins the child's own
 * memory, shows in the child's VmPin, and the device reaches it; the
 * mapping outlives the child, as the file does.
 */
TEST_F(core, forked_child_maps_its_own_memory)
{
	struct tl_edu *e = &self->edu[0];
	long long pins0, pins;
	int pfd[2], status;
	uint8_t *src, *dst;
	long vmpin[2];
	pid_t pid;

	NEED_DEVS(1);
	dst = tl_buf_alloc(TL_PAGE, CANARY);
	ASSERT_NE(NULL, dst);
	BIND(0, e);
	ASSERT_EQ(0, smmua_map(self->fd[0], self->sp[0], RW, dst, DST_IOVA, TL_PAGE));
	ASSERT_EQ(0, tl_pins_outstanding(&pins0));
	ASSERT_EQ(0, pipe(pfd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		/* A page of the child's own, with a pattern only it wrote. */
		src = tl_buf_alloc(TL_PAGE, 0);
		if (!src)
			_exit(1);
		tl_buf_pattern(src, TL_PAGE, 77);
		vmpin[0] = tl_vmpin_kb(0);
		if (smmua_map(self->fd[0], self->sp[0], SMMU_ASSIGN_MAP_READ, src, SRC_IOVA,
			      TL_PAGE))
			_exit(2);
		vmpin[1] = tl_vmpin_kb(0);
		if (tl_edu_to_dev(e, SRC_IOVA, DMA_LEN) || tl_edu_to_ram(e, DST_IOVA, DMA_LEN))
			_exit(3);
		_exit(write(pfd[1], vmpin, sizeof(vmpin)) != sizeof(vmpin) ? 4 : 0);
	}
	close(pfd[1]);
	ASSERT_EQ(sizeof(vmpin), read(pfd[0], vmpin, sizeof(vmpin)));
	close(pfd[0]);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status)) TH_LOG("1 alloc, 2 MAP, 3 DMA, 4 pipe");
	EXPECT_EQ(vmpin[0] + TL_PAGE / 1024, vmpin[1]);
	/* The device read the child's page into the parent's (fork copied it). */
	src = tl_buf_alloc(TL_PAGE, 0);
	ASSERT_NE(NULL, src);
	tl_buf_pattern(src, TL_PAGE, 77);
	EXPECT_EQ(0, memcmp(src, dst, DMA_LEN));
	tl_buf_free(src, TL_PAGE);
	/* The child is gone, the file is not: its page stays pinned, once. */
	ASSERT_EQ(0, tl_pins_outstanding(&pins));
	EXPECT_EQ(pins0 + 1, pins);
	/* UNBIND leaves the space its mappings; destroying it lets both go. */
	EXPECT_EQ(0, smmua_unbind(self->fd[0], &e->bdf));
	ASSERT_EQ(0, tl_pins_outstanding(&pins));
	EXPECT_EQ(pins0 + 1, pins);
	EXPECT_EQ(0, smmua_space_destroy(self->fd[0], self->sp[0]));
	ASSERT_EQ(0, tl_pins_outstanding(&pins));
	EXPECT_EQ(pins0 - 1, pins);
	tl_buf_free(dst, TL_PAGE);
}

TEST_F(core, unknown_flags_are_eopnotsupp)
{
	struct tl_edu *e = &self->edu[0];
	unsigned int bit;
	void *buf;

	NEED_DEVS(1);
	buf = tl_buf_alloc(TL_PAGE, CANARY);
	ASSERT_NE(NULL, buf);
	for (bit = 1; bit < 32; bit++)
		EXPECT_EQ(-EOPNOTSUPP, smmua_bind(self->fd[0], &e->bdf, 1u << bit, WIN_IOVA,
						  WIN_LEN, NULL)) TH_LOG("BIND bit %u", bit);
	EXPECT_FALSE(tl_has_space(self->fd[0], 1)) TH_LOG("a refused BIND left a space");
	BIND(0, e);
	for (bit = 2; bit < 32; bit++)
		EXPECT_EQ(-EOPNOTSUPP, smmua_map(self->fd[0], self->sp[0], 1u << bit, buf, DST_IOVA,
						 TL_PAGE)) TH_LOG("MAP bit %u", bit);
	for (bit = 1; bit < 32; bit++)
		EXPECT_EQ(-EOPNOTSUPP, smmua_unmap(self->fd[0], self->sp[0], 1u << bit, DST_IOVA,
						   TL_PAGE, NULL)) TH_LOG("UNMAP bit %u", bit);
	EXPECT_EQ(0, smmua_map(self->fd[0], self->sp[0], RW, buf, DST_IOVA, TL_PAGE));
	tl_buf_free(buf, TL_PAGE);
}

TEST_F(core, reserved_fields_are_eopnotsupp)
{
	struct tl_edu *e = &self->edu[0];
	struct smmu_assign_bind bind;
	struct smmu_assign_map map;
	struct smmu_assign_unbind unbind;
	int i;
	void *buf;

	NEED_DEVS(1);
	buf = tl_buf_alloc(TL_PAGE, CANARY);
	ASSERT_NE(NULL, buf);
	for (i = 0; i < 3; i++) {
		memset(&bind, 0, sizeof(bind));
		bind.size = sizeof(bind);
		bind.bdf = e->bdf;
		bind.bdf.__reserved[i] = 1;
		bind.window_iova = WIN_IOVA;
		bind.window_length = WIN_LEN;
		EXPECT_EQ(-1, ioctl(self->fd[0], SMMU_ASSIGN_BIND, &bind));
		EXPECT_EQ(EOPNOTSUPP, errno) TH_LOG("BIND bdf.__reserved[%d]", i);
	}
	EXPECT_FALSE(tl_has_space(self->fd[0], 1)) TH_LOG("a refused BIND left a space");
	BIND(0, e);
	for (i = 0; i < 2; i++) {
		memset(&map, 0, sizeof(map));
		map.size = sizeof(map);
		map.flags = RW;
		map.space_id = self->sp[0];
		if (i)
			map.__reserved2 = 1;
		else
			map.__reserved = 1;
		map.user_va = (uintptr_t)buf;
		map.iova = DST_IOVA;
		map.length = TL_PAGE;
		EXPECT_EQ(-1, ioctl(self->fd[0], SMMU_ASSIGN_MAP, &map));
		EXPECT_EQ(EOPNOTSUPP, errno) TH_LOG("MAP reserved %d", i);
	}
	memset(&unbind, 0, sizeof(unbind));
	unbind.size = sizeof(unbind);
	unbind.bdf = e->bdf;
	unbind.bdf.__reserved[2] = 1;
	EXPECT_EQ(-1, ioctl(self->fd[0], SMMU_ASSIGN_UNBIND, &unbind));
	EXPECT_EQ(EOPNOTSUPP, errno);
	/* Nothing was mapped or unbound by the refused calls. */
	EXPECT_EQ(0, smmua_map(self->fd[0], self->sp[0], RW, buf, DST_IOVA, TL_PAGE));
	EXPECT_EQ(0, smmua_unbind(self->fd[0], &e->bdf));
	tl_buf_free(buf, TL_PAGE);
}

TEST_F(core, short_structs_are_einval)
{
	struct tl_edu *e = &self->edu[0];
	struct smmu_assign_bind bind = {};
	struct smmu_assign_map map = {};
	void *buf;

	NEED_DEVS(1);
	buf = tl_buf_alloc(TL_PAGE, CANARY);
	ASSERT_NE(NULL, buf);
	bind.bdf = e->bdf;
	bind.window_iova = WIN_IOVA;
	bind.window_length = WIN_LEN;
	bind.size = sizeof(bind) - 8;
	EXPECT_EQ(-1, ioctl(self->fd[0], SMMU_ASSIGN_BIND, &bind));
	EXPECT_EQ(EINVAL, errno);
	bind.size = offsetof(struct smmu_assign_bind, window_iova);
	EXPECT_EQ(-1, ioctl(self->fd[0], SMMU_ASSIGN_BIND, &bind));
	EXPECT_EQ(EINVAL, errno);
	/* Not bound by the refused calls. */
	EXPECT_FALSE(tl_has_space(self->fd[0], 1)) TH_LOG("a refused BIND left a space");
	BIND(0, e);

	map.flags = RW;
	map.space_id = self->sp[0];
	map.user_va = (uintptr_t)buf;
	map.iova = DST_IOVA;
	map.length = TL_PAGE;
	map.size = sizeof(map) - 8;
	EXPECT_EQ(-1, ioctl(self->fd[0], SMMU_ASSIGN_MAP, &map));
	EXPECT_EQ(EINVAL, errno);
	map.size = 0;
	EXPECT_EQ(-1, ioctl(self->fd[0], SMMU_ASSIGN_MAP, &map));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, smmua_map(self->fd[0], self->sp[0], RW, buf, DST_IOVA, TL_PAGE));
	tl_buf_free(buf, TL_PAGE);
}

TEST_F(core, long_structs_with_nonzero_tail_are_e2big)
{
	struct tl_edu *e = &self->edu[0];
	struct {
		struct smmu_assign_bind cmd;
		uint64_t tail[2];
	} bind = {};
	struct {
		struct smmu_assign_map cmd;
		uint64_t tail[2];
	} map = {};
	void *buf;

	NEED_DEVS(1);
	buf = tl_buf_alloc(TL_PAGE, CANARY);
	ASSERT_NE(NULL, buf);
	bind.cmd.size = sizeof(bind);
	bind.cmd.bdf = e->bdf;
	bind.cmd.window_iova = WIN_IOVA;
	bind.cmd.window_length = WIN_LEN;
	bind.tail[1] = 1;
	EXPECT_EQ(-1, ioctl(self->fd[0], SMMU_ASSIGN_BIND, &bind));
	EXPECT_EQ(E2BIG, errno);
	/* A zero tail is a newer program speaking to an older module: fine. */
	bind.tail[1] = 0;
	ASSERT_EQ(0, ioctl(self->fd[0], SMMU_ASSIGN_BIND, &bind));

	map.cmd.size = sizeof(map);
	map.cmd.flags = RW;
	map.cmd.space_id = bind.cmd.out_space_id;
	map.cmd.user_va = (uintptr_t)buf;
	map.cmd.iova = DST_IOVA;
	map.cmd.length = TL_PAGE;
	map.tail[0] = 1;
	EXPECT_EQ(-1, ioctl(self->fd[0], SMMU_ASSIGN_MAP, &map));
	EXPECT_EQ(E2BIG, errno);
	map.tail[0] = 0;
	EXPECT_EQ(0, ioctl(self->fd[0], SMMU_ASSIGN_MAP, &map));
	tl_buf_free(buf, TL_PAGE);
}

/* ---- huge pages ---- */

TEST_F_TIMEOUT(core, hugepage_maps_as_one_run, 60)
{
	struct tl_edu *e = &self->edu[0];
	struct smmu_assign_translate t0, t1;
	struct smmu_assign_query q;
	uint8_t *huge, *src;
	uint32_t runs = 0;

	NEED_DEVS(1);
	huge = tl_huge_alloc(CANARY);
	if (!huge)
		SKIP(return, "no %zu MiB huge page available", TL_HUGE >> 20);
	BIND(0, e);
	/* The SMMU has a block of the PMD size, so one run maps as one block. */
	ASSERT_EQ(0, smmua_query(self->fd[0], &e->bdf, &q));
	TH_LOG("%zu MiB huge page; SMMU page sizes %#llx", TL_HUGE >> 20,
	       (unsigned long long)q.out_pgsize_bitmap);
	EXPECT_NE(0, q.out_pgsize_bitmap & TL_HUGE);
	ASSERT_EQ(0, tl_map_runs(self->fd[0], self->sp[0], RW, huge, HUGE_IOVA, TL_HUGE, &runs));
	EXPECT_EQ(1, runs);
	/* Physically contiguous and aligned (we are root: TRANSLATE shows phys). */
	ASSERT_EQ(0, smmua_translate(self->fd[0], self->sp[0], NULL, HUGE_IOVA, &t0));
	ASSERT_EQ(0, smmua_translate(self->fd[0], self->sp[0], NULL, HUGE_IOVA + TL_HUGE - 1,
				     &t1));
	EXPECT_EQ(0, t0.out_phys & (TL_HUGE - 1));
	EXPECT_EQ(TL_HUGE - 1, t1.out_phys - t0.out_phys);
	src = load_device(_metadata, self->fd[0], self->sp[0], e, 8);
	/* In the middle of the huge page: a block mapping translates every offset. */
	ASSERT_EQ(0, dma(e, HUGE_IOVA + 0x123000, true));
	EXPECT_EQ(0, memcmp(huge + 0x123000, src, DMA_LEN));
	EXPECT_EQ(-1, tl_buf_find_not(huge, 0x123000, CANARY));
	EXPECT_EQ(-1, tl_buf_find_not(huge + 0x124000, TL_HUGE - 0x124000, CANARY));
	tl_buf_free(src, TL_PAGE);
	tl_huge_free(huge);
}

/* ---- persistent bindings ---- */

/*
 * A persistent binding is in no space until a file claims it; the claim
 * makes the claimer a space with the binding's window. Releasing the claim
 * detaches the group but leaves the space its mappings, and a claim into
 * that space reaches them again at once. Closing the claimer's file ends
 * the space and its mappings; the binding stays.
 */
TEST_F_TIMEOUT(core, persistent_binding_outlives_its_file, 120)
{
	struct tl_edu *e = &self->edu[0];
	struct smmu_assign_mapping_info *maps;
	struct smmu_assign_bind out;
	struct smmu_assign_query q;
	uint8_t *src, *dst;
	__u32 sp = 0, again = 0;
	size_t n;
	int fd;

	NEED_DEVS(1);
	src = tl_buf_alloc(TL_PAGE, 0);
	dst = tl_buf_alloc(TL_PAGE, CANARY);
	ASSERT_NE(NULL, src);
	ASSERT_NE(NULL, dst);
	tl_buf_pattern(src, TL_PAGE, 9);

	/* A binds persistently and goes away. */
	ASSERT_EQ(0, smmua_bind(self->fd[0], &e->bdf, SMMU_ASSIGN_BIND_PERSISTENT, WIN_IOVA,
				WIN_LEN, &out));
	EXPECT_EQ(0, out.out_space_id);
	close(self->fd[0]);
	self->fd[0] = -1;
	EXPECT_EQ(-EBUSY, bind_win(self->fd[1], e));
	ASSERT_EQ(0, smmua_query(self->fd[1], &e->bdf, &q));
	EXPECT_EQ(0, q.out_space_id);
	EXPECT_EQ(WIN_IOVA, q.out_window_iova);
	EXPECT_EQ(WIN_LEN, q.out_window_length);

	/* B claims it into a new space with the window, maps, and DMA works. */
	ASSERT_EQ(0, smmua_claim(self->fd[1], &e->bdf, 0, 0, &sp));
	ASSERT_LT(0, sp);
	ASSERT_EQ(0, smmua_query(self->fd[1], &e->bdf, &q));
	EXPECT_EQ(sp, q.out_space_id);
	EXPECT_EQ(-ERANGE, smmua_map(self->fd[1], sp, SMMU_ASSIGN_MAP_READ, src,
				     WIN_IOVA + WIN_LEN, TL_PAGE));
	ASSERT_EQ(0, smmua_map(self->fd[1], sp, SMMU_ASSIGN_MAP_READ, src, SRC_IOVA, TL_PAGE));
	ASSERT_EQ(0, smmua_map(self->fd[1], sp, RW, dst, PERSIST_IOVA, TL_PAGE));
	ASSERT_EQ(0, dma(e, SRC_IOVA, false));
	ASSERT_EQ(0, dma(e, PERSIST_IOVA, true));
	EXPECT_EQ(0, memcmp(dst, src, DMA_LEN));

	/* C may not claim it while B holds it, nor name B's space. */
	EXPECT_EQ(-EBUSY, smmua_claim(self->fd[2], &e->bdf, 0, 0, NULL));
	EXPECT_EQ(-ENOENT, smmua_map(self->fd[2], sp, SMMU_ASSIGN_MAP_READ, src,
				     SRC_IOVA + TL_PAGE, TL_PAGE));

	/* B releases its claim: the device is blocked, the space keeps its mappings. */
	ASSERT_EQ(0, smmua_claim(self->fd[1], &e->bdf, SMMU_ASSIGN_CLAIM_RELEASE, 0, NULL));
	ASSERT_EQ(0, smmua_mappings(self->fd[1], sp, NULL, &maps, &n));
	EXPECT_EQ(2, n);
	free(maps);
	memset(dst, CANARY, TL_PAGE);
	expect_blocked_write(_metadata, &self->kmsg, e, PERSIST_IOVA, dst, TL_PAGE, false);
	/* Claimed again into that space, the device reaches the mappings at once. */
	ASSERT_EQ(0, smmua_claim(self->fd[1], &e->bdf, 0, sp, &again));
	EXPECT_EQ(sp, again);
	ASSERT_EQ(0, dma(e, PERSIST_IOVA, true));
	EXPECT_EQ(0, memcmp(dst, src, DMA_LEN));

	/* B goes: its space and mappings go with it, the binding stays. */
	close(self->fd[1]);
	self->fd[1] = -1;
	memset(dst, CANARY, TL_PAGE);
	expect_blocked_write(_metadata, &self->kmsg, e, PERSIST_IOVA + TL_PAGE, dst, TL_PAGE,
			     false);
	EXPECT_EQ(-EBUSY, bind_win(self->fd[2], e));

	/* A fresh file lets it go; then it is an ordinary device again. */
	fd = smmua_open();
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, smmua_unbind(fd, &e->bdf));
	close(fd);
	EXPECT_LT(0, bind_win(self->fd[2], e));
	tl_buf_free(src, TL_PAGE);
	tl_buf_free(dst, TL_PAGE);
	FAULT_CHECKS_DONE();
}

TEST_HARNESS_MAIN
