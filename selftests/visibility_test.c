// SPDX-License-Identifier: GPL-2.0
/*
 * Visibility: fault records reach the owner (read, poll, eventfd) with the
 * right IOVA, access, SID and reason; the queue overflows into an exact
 * lost count without growing kernel memory; QUERY, LIST, MAPPINGS and
 * TRANSLATE report what was done; counters are exact.
 *
 * Three edu devices under two owners: fd a binds edus 0 and 1, each into
 * a space of its own, fd b binds edu 2. An edu DMA faults once per 4-byte
 * bus beat.
 *
 * Where the kernel delivers no faults to the module (6.9+), each test still
 * makes the DMA and every check that needs no fault record, checks that
 * indeed no record and no count arrived, and is skipped with the reason.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "testlib.h"

#define WINDOW		0x100000ULL
#define WINDOW_LEN	(16ULL << 20)
#define BUF_IOVA	(WINDOW + 0x10000)
#define HOLE_IOVA	(WINDOW + 0x80000)	/* inside the window, never mapped */
#define OUTSIDE_IOVA	0x20000ULL		/* below the window */
#define BEATS(len)	((len) / 4)

static int query(int fd, const struct smmu_assign_bdf *bdf, struct smmu_assign_query *q)
{
	memset(q, 0, sizeof(*q));
	q->size = sizeof(*q);
	q->bdf = *bdf;
	return ioctl(fd, SMMU_ASSIGN_QUERY, q) ? -errno : 0;
}

static __u64 faults_total(const struct smmu_assign_query *q)
{
	__u64 n = 0;

	for (int i = 0; i < SMMU_ASSIGN_FAULT_NR_REASONS; i++)
		n += q->out_stats.faults[i];
	return n;
}

/* A /proc/meminfo figure in kB, -1 if absent. */
static long meminfo_kb(const char *key)
{
	char line[128];
	long val = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key)) && line[strlen(key)] == ':')
			val = strtol(line + strlen(key) + 1, NULL, 10);
	fclose(f);
	return val;
}

/*
 * The SMMU's event thread reports a DMA's faults after the device says it
 * is done: wait (bounded) until @bdf has @total faults in all.
 */
static __u64 wait_faults(int fd, const struct smmu_assign_bdf *bdf, __u64 total)
{
	struct smmu_assign_query q;
	int i;

	for (i = 0; i < 300; i++) {
		if (query(fd, bdf, &q))
			return 0;
		if (faults_total(&q) >= total)
			break;
		usleep(10 * 1000);
	}
	/* Let any surplus arrive too, so exact counts stay exact. */
	usleep(50 * 1000);
	query(fd, bdf, &q);
	return faults_total(&q);
}

/* Every queued record, without blocking. */
static int read_events(int fd, struct smmu_assign_fault_event *ev, int max)
{
	int fl = fcntl(fd, F_GETFL);
	ssize_t n;

	fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	n = read(fd, ev, max * sizeof(*ev));
	fcntl(fd, F_SETFL, fl);
	if (n < 0)
		return errno == EAGAIN ? 0 : -errno;
	return n / sizeof(*ev);
}

/*
 * From here on the test checks fault records. Where the kernel delivers
 * none, check that none came for @bdf (queued on @fd or counted), and end
 * the test skipped with the reason.
 */
#define NEED_FAULTS(fd, bdf) do {						\
	if (!tl_faults_delivered()) {						\
		struct smmu_assign_fault_event _ev[4];				\
		struct smmu_assign_query _q;					\
										\
		usleep(100 * 1000);						\
		EXPECT_EQ(0, read_events(fd, _ev, 4));				\
		ASSERT_EQ(0, query(fd, bdf, &_q));				\
		EXPECT_EQ(0, faults_total(&_q));				\
		TL_SKIP_FAULTS();						\
	}									\
} while (0)

FIXTURE(vis) {
	char names[TL_MAX_DEVS][SMMUA_BDF_STRLEN];
	struct tl_edu edu[3];
	struct smmu_assign_bdf bdf[3];
	int a, b;
	int sp[3];		/* the space BIND made for edu i on its owner */
	uint8_t *buf;		/* one page, mapped READ|WRITE on edu 0 */
};

FIXTURE_SETUP(vis)
{
	int i, n = tl_find_edus(self->names, TL_MAX_DEVS);

	self->a = self->b = -1;
	if (n < 3)
		SKIP(return, "needs three edu devices, found %d", n);
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, tl_bind_stub(self->names[i]));
		ASSERT_EQ(0, tl_edu_open(&self->edu[i], self->names[i]));
		self->bdf[i] = tl_bdf(self->names[i]);
	}
	self->a = smmua_open();
	self->b = smmua_open();
	ASSERT_LE(0, self->a);
	ASSERT_LE(0, self->b);
	for (i = 0; i < 3; i++) {
		self->sp[i] = tl_bind(i < 2 ? self->a : self->b, &self->bdf[i], 0, WINDOW,
				      WINDOW_LEN);
		ASSERT_LT(0, self->sp[i]);
	}
	self->buf = tl_buf_alloc(TL_PAGE, 0x5a);
	ASSERT_NE(NULL, self->buf);
	ASSERT_EQ(0, smmua_map(self->a, self->sp[0],
			       SMMU_ASSIGN_MAP_READ | SMMU_ASSIGN_MAP_WRITE,
			       self->buf, BUF_IOVA, TL_PAGE));
}

FIXTURE_TEARDOWN(vis)
{
	int i;

	if (self->a >= 0)
		close(self->a);
	if (self->b >= 0)
		close(self->b);
	for (i = 0; i < 3; i++)
		tl_edu_close(&self->edu[i]);
	if (self->buf)
		tl_buf_free(self->buf, TL_PAGE);
}

/* Check @n records of one DMA burst: device, SID, access, reason, IOVAs. */
static void check_burst(struct __test_metadata *_metadata,
			const struct smmu_assign_fault_event *ev, int n,
			const struct smmu_assign_bdf *bdf, __u32 sid, __u64 iova,
			__u32 len, __u32 access, __u32 reason, __u64 first_seq)
{
	for (int i = 0; i < n; i++) {
		EXPECT_EQ(first_seq + i, ev[i].seq);
		EXPECT_EQ(0, memcmp(bdf, &ev[i].bdf, sizeof(*bdf)));
		EXPECT_EQ(sid, ev[i].sid);
		EXPECT_EQ(access, ev[i].flags);
		EXPECT_EQ(reason, ev[i].reason);
		EXPECT_EQ(0, ev[i].lost);
		EXPECT_LE(iova, ev[i].iova);
		EXPECT_GT(iova + len, ev[i].iova);
		if (i)
			EXPECT_LE(ev[i - 1].timestamp_ns, ev[i].timestamp_ns);
	}
}

TEST_F(vis, unmapped_write_is_a_translation_fault_record)
{
	struct smmu_assign_fault_event ev[64];
	struct smmu_assign_query q;
	int n;

	ASSERT_EQ(0, tl_edu_to_ram(&self->edu[0], HOLE_IOVA, 64));
	NEED_FAULTS(self->a, &self->bdf[0]);
	ASSERT_EQ(BEATS(64), wait_faults(self->a, &self->bdf[0], BEATS(64)));
	n = read_events(self->a, ev, 64);
	ASSERT_EQ(BEATS(64), n);
	ASSERT_EQ(0, query(self->a, &self->bdf[0], &q));
	check_burst(_metadata, ev, n, &self->bdf[0], q.out_sids[0], HOLE_IOVA, 64,
		    SMMU_ASSIGN_FAULT_WRITE, SMMU_ASSIGN_FAULT_TRANSLATION, 1);
	EXPECT_EQ(BEATS(64), q.out_stats.faults[SMMU_ASSIGN_FAULT_TRANSLATION]);
	EXPECT_EQ(BEATS(64), faults_total(&q));
	/* Drained: nothing more to read. */
	EXPECT_EQ(0, read_events(self->a, ev, 64));
}

TEST_F(vis, unmapped_read_is_a_read_record)
{
	struct smmu_assign_fault_event ev[64];
	struct smmu_assign_query q;
	int n;

	ASSERT_EQ(0, tl_edu_to_dev(&self->edu[0], HOLE_IOVA, 32));
	NEED_FAULTS(self->a, &self->bdf[0]);
	ASSERT_EQ(BEATS(32), wait_faults(self->a, &self->bdf[0], BEATS(32)));
	n = read_events(self->a, ev, 64);
	ASSERT_EQ(BEATS(32), n);
	ASSERT_EQ(0, query(self->a, &self->bdf[0], &q));
	check_burst(_metadata, ev, n, &self->bdf[0], q.out_sids[0], HOLE_IOVA, 32,
		    SMMU_ASSIGN_FAULT_READ, SMMU_ASSIGN_FAULT_TRANSLATION, 1);
}

TEST_F(vis, outside_window_is_a_record)
{
	struct smmu_assign_fault_event ev[64];
	struct smmu_assign_query q;
	int n;

	ASSERT_EQ(0, tl_edu_to_ram(&self->edu[1], OUTSIDE_IOVA, 16));
	NEED_FAULTS(self->a, &self->bdf[1]);
	ASSERT_EQ(BEATS(16), wait_faults(self->a, &self->bdf[1], BEATS(16)));
	n = read_events(self->a, ev, 64);
	ASSERT_EQ(BEATS(16), n);
	ASSERT_EQ(0, query(self->a, &self->bdf[1], &q));
	check_burst(_metadata, ev, n, &self->bdf[1], q.out_sids[0], OUTSIDE_IOVA, 16,
		    SMMU_ASSIGN_FAULT_WRITE, SMMU_ASSIGN_FAULT_TRANSLATION, 1);
	/* edu 0 saw none of it. */
	ASSERT_EQ(0, query(self->a, &self->bdf[0], &q));
	EXPECT_EQ(0, faults_total(&q));
}

TEST_F(vis, write_to_read_only_is_a_permission_record)
{
	struct smmu_assign_fault_event ev[64];
	struct smmu_assign_query q;
	uint8_t *ro = tl_buf_alloc(TL_PAGE, 0x77);
	int n;

	ASSERT_NE(NULL, ro);
	ASSERT_EQ(0, smmua_map(self->a, self->sp[1], SMMU_ASSIGN_MAP_READ, ro,
			       BUF_IOVA, TL_PAGE));
	ASSERT_EQ(0, tl_edu_to_ram(&self->edu[1], BUF_IOVA, 64));
	EXPECT_EQ(-1, tl_buf_find_not(ro, TL_PAGE, 0x77));
	NEED_FAULTS(self->a, &self->bdf[1]);
	ASSERT_EQ(BEATS(64), wait_faults(self->a, &self->bdf[1], BEATS(64)));
	n = read_events(self->a, ev, 64);
	ASSERT_EQ(BEATS(64), n);
	ASSERT_EQ(0, query(self->a, &self->bdf[1], &q));
	check_burst(_metadata, ev, n, &self->bdf[1], q.out_sids[0], BUF_IOVA, 64,
		    SMMU_ASSIGN_FAULT_WRITE, SMMU_ASSIGN_FAULT_PERMISSION, 1);
	EXPECT_EQ(BEATS(64), q.out_stats.faults[SMMU_ASSIGN_FAULT_PERMISSION]);
	close(self->a);		/* unmaps ro before it is freed */
	self->a = -1;
	tl_buf_free(ro, TL_PAGE);
}

struct poller {
	int fd;
	int revents;
};

static void *poll_thread(void *arg)
{
	struct poller *p = arg;
	struct pollfd pfd = { .fd = p->fd, .events = POLLIN };

	if (poll(&pfd, 1, 10000) == 1)
		p->revents = pfd.revents;
	return NULL;
}

TEST_F(vis, poll_wakes_and_eventfd_counts)
{
	struct pollfd pfd = { .fd = self->a, .events = POLLIN };
	struct smmu_assign_set_eventfd set = { .size = sizeof(set) };
	struct poller p = { .fd = self->a };
	struct smmu_assign_fault_event ev[64];
	pthread_t thread;
	uint64_t count;
	int efd;

	efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	ASSERT_LE(0, efd);

	/* Not an eventfd. */
	set.eventfd = self->b;
	EXPECT_EQ(-1, ioctl(self->a, SMMU_ASSIGN_SET_EVENTFD, &set));
	EXPECT_EQ(EINVAL, errno);

	set.eventfd = efd;
	ASSERT_EQ(0, ioctl(self->a, SMMU_ASSIGN_SET_EVENTFD, &set));
	EXPECT_EQ(0, poll(&pfd, 1, 0));
	if (!tl_faults_delivered()) {
		/* The blocked DMA neither wakes the file nor counts. */
		ASSERT_EQ(0, tl_edu_to_ram(&self->edu[0], HOLE_IOVA, 64));
		EXPECT_EQ(0, poll(&pfd, 1, 100));
		EXPECT_EQ(-1, read(efd, &count, sizeof(count)));
		close(efd);
		NEED_FAULTS(self->a, &self->bdf[0]);
	}

	/* A poller asleep before the fault is woken by it. */
	ASSERT_EQ(0, pthread_create(&thread, NULL, poll_thread, &p));
	usleep(100 * 1000);
	ASSERT_EQ(0, tl_edu_to_ram(&self->edu[0], HOLE_IOVA, 64));
	pthread_join(thread, NULL);
	EXPECT_TRUE(p.revents & POLLIN);
	ASSERT_EQ(BEATS(64), wait_faults(self->a, &self->bdf[0], BEATS(64)));

	ASSERT_EQ(sizeof(count), read(efd, &count, sizeof(count)));
	EXPECT_EQ(BEATS(64), count);
	EXPECT_EQ(BEATS(64), read_events(self->a, ev, 64));

	/* Detached: faults queue but the eventfd stays quiet. */
	set.eventfd = -1;
	ASSERT_EQ(0, ioctl(self->a, SMMU_ASSIGN_SET_EVENTFD, &set));
	ASSERT_EQ(0, tl_edu_to_ram(&self->edu[0], HOLE_IOVA, 16));
	ASSERT_EQ(BEATS(64 + 16), wait_faults(self->a, &self->bdf[0], BEATS(64 + 16)));
	EXPECT_EQ(BEATS(16), read_events(self->a, ev, 64));
	EXPECT_EQ(-1, read(efd, &count, sizeof(count)));
	EXPECT_EQ(EAGAIN, errno);
	close(efd);
}

TEST_F(vis, short_read_is_einval)
{
	char small[sizeof(struct smmu_assign_fault_event) - 1];

	EXPECT_EQ(-1, read(self->a, small, sizeof(small)));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(vis, non_owner_queries_but_gets_no_events)
{
	struct smmu_assign_fault_event ev[64];
	struct smmu_assign_query q;

	/* b may look at a's device... */
	ASSERT_EQ(0, query(self->b, &self->bdf[0], &q));
	EXPECT_EQ(SMMU_ASSIGN_STATE_OWNED, q.out_state);
	ASSERT_EQ(0, tl_edu_to_ram(&self->edu[0], HOLE_IOVA, 16));
	NEED_FAULTS(self->a, &self->bdf[0]);
	ASSERT_EQ(BEATS(16), wait_faults(self->b, &self->bdf[0], BEATS(16)));
	ASSERT_EQ(0, query(self->b, &self->bdf[0], &q));
	EXPECT_EQ(BEATS(16), faults_total(&q));
	/* ...but its faults are a's alone. */
	EXPECT_EQ(0, read_events(self->b, ev, 64));
	EXPECT_EQ(BEATS(16), read_events(self->a, ev, 64));
}

TEST_F(vis, overflow_counts_lost_exactly_and_memory_stays_flat)
{
	struct smmu_assign_fault_event ev[64];
	struct smmu_assign_query q;
	char saved[32];
	long slab0, slab1;
	int c, n, i;

	/* A fresh owner with an 8-record queue takes edu 2 from b. */
	ASSERT_EQ(0, tl_param_read("fault_queue_len", saved, sizeof(saved)));
	ASSERT_EQ(0, tl_param_write("fault_queue_len", "8"));
	c = smmua_open();
	ASSERT_EQ(0, tl_param_write("fault_queue_len", saved));
	ASSERT_LE(0, c);
	ASSERT_EQ(0, smmua_unbind(self->b, &self->bdf[2]));
	ASSERT_LT(0, tl_bind(c, &self->bdf[2], 0, WINDOW, WINDOW_LEN));
	/* UNBIND stopped the device mastering; its new owner restarts it. */
	ASSERT_EQ(0, tl_pci_enable(self->names[2]));

	/* 16 faults: 8 queued (seq 1-8), 8 lost. */
	ASSERT_EQ(0, tl_edu_to_ram(&self->edu[2], HOLE_IOVA, 64));
	NEED_FAULTS(c, &self->bdf[2]);
	ASSERT_EQ(16, wait_faults(c, &self->bdf[2], 16));
	n = read_events(c, ev, 64);
	ASSERT_EQ(8, n);
	for (i = 0; i < n; i++) {
		EXPECT_EQ(i + 1, ev[i].seq);
		EXPECT_EQ(0, ev[i].lost);
	}
	/* 16 more: the first queued one reports the 8 lost before it. */
	ASSERT_EQ(0, tl_edu_to_ram(&self->edu[2], HOLE_IOVA, 64));
	ASSERT_EQ(32, wait_faults(c, &self->bdf[2], 32));
	n = read_events(c, ev, 64);
	ASSERT_EQ(8, n);
	EXPECT_EQ(17, ev[0].seq);
	EXPECT_EQ(8, ev[0].lost);
	EXPECT_EQ(24, ev[7].seq);
	ASSERT_EQ(0, query(c, &self->bdf[2], &q));
	EXPECT_EQ(32, faults_total(&q));
	EXPECT_EQ(16, q.out_stats.faults_lost);

	/* A storm of 10240 faults: no kernel memory per fault. */
	slab0 = meminfo_kb("Slab");
	for (i = 0; i < 20; i++)
		ASSERT_EQ(0, tl_edu_to_ram(&self->edu[2], HOLE_IOVA, 2048));
	EXPECT_EQ(32 + 20 * BEATS(2048), wait_faults(c, &self->bdf[2], 32 + 20 * BEATS(2048)));
	slab1 = meminfo_kb("Slab");
	EXPECT_EQ(8, read_events(c, ev, 64));
	/* 10240 allocations of even 64 bytes would be 640 kB. */
	EXPECT_GT(256, slab1 - slab0);
	close(c);
}

TEST_F(vis, list_and_query_three_devices_two_owners)
{
	struct smmu_assign_bdf list[4];
	struct smmu_assign_list cmd = {
		.size = sizeof(cmd),
		.devices = (uintptr_t)list,
	};
	struct smmu_assign_get_info info;
	struct smmu_assign_query q;
	int i, j, found;

	/* Too small: EMSGSIZE with the count. */
	cmd.num_devices = 1;
	EXPECT_EQ(-1, ioctl(self->b, SMMU_ASSIGN_LIST, &cmd));
	EXPECT_EQ(EMSGSIZE, errno);
	EXPECT_EQ(3, cmd.num_devices);
	cmd.num_devices = 4;
	ASSERT_EQ(0, ioctl(self->b, SMMU_ASSIGN_LIST, &cmd));
	ASSERT_EQ(3, cmd.num_devices);
	for (i = 0; i < 3; i++) {
		for (found = 0, j = 0; j < 3; j++)
			found += !memcmp(&list[j], &self->bdf[i], sizeof(list[j]));
		EXPECT_EQ(1, found);
	}
	ASSERT_EQ(0, smmua_get_info(self->b, &info));
	EXPECT_EQ(3, info.out_num_devices);

	for (i = 0; i < 3; i++) {
		int owner = i < 2 ? self->a : self->b;
		int other = i < 2 ? self->b : self->a;

		ASSERT_EQ(0, query(owner, &self->bdf[i], &q));
		EXPECT_EQ(SMMU_ASSIGN_STATE_OWNED | SMMU_ASSIGN_STATE_MINE, q.out_state);
		EXPECT_EQ(getpid(), q.out_owner_pid);
		EXPECT_EQ(1, q.out_num_sids);
		EXPECT_EQ(self->edu[i].sid, q.out_sids[0]);
		/* The space's, not a window: only persistent bindings have one. */
		EXPECT_EQ(self->sp[i], q.out_space_id);
		EXPECT_STREQ("", q.out_space_name);
		EXPECT_EQ(0, q.out_window_iova);
		EXPECT_EQ(0, q.out_window_length);
		/* Alone in its space: a domain of its own, neither shared nor mirrored. */
		EXPECT_EQ(0, q.out_domain_flags);
		EXPECT_EQ(1, q.out_num_devices);
		EXPECT_NE(0, q.out_pgsize_bitmap & TL_PAGE);
		EXPECT_EQ(0, strncmp(q.out_iommu_name, "smmu3.", 6));
		EXPECT_EQ(i == 0, q.out_num_mappings);
		ASSERT_EQ(0, query(other, &self->bdf[i], &q));
		EXPECT_EQ(SMMU_ASSIGN_STATE_OWNED, q.out_state);
	}
	/* Not bound: ENOENT; malformed: EINVAL. */
	struct smmu_assign_bdf other = self->bdf[0];

	other.device = 31;
	EXPECT_EQ(-ENOENT, query(self->a, &other, &q));
	other.device = 32;
	EXPECT_EQ(-EINVAL, query(self->a, &other, &q));
}

TEST_F(vis, mappings_cursor_and_counters_are_exact)
{
	struct smmu_assign_mapping_info info[4];
	struct smmu_assign_mappings cmd = {
		.size = sizeof(cmd),
		.space_id = self->sp[0],
		.mappings = (uintptr_t)info,
	};
	struct smmu_assign_get_info g0, g1;
	struct smmu_assign_query q;
	uint8_t *mem = tl_buf_alloc(4 * TL_PAGE, 0);
	__u64 unmapped;

	ASSERT_NE(NULL, mem);
	ASSERT_EQ(0, smmua_get_info(self->a, &g0));
	/* BUF_IOVA (fixture) plus three more, one of them two pages. */
	ASSERT_EQ(0, smmua_map(self->a, self->sp[0], SMMU_ASSIGN_MAP_READ, mem,
			       WINDOW, TL_PAGE));
	ASSERT_EQ(0, smmua_map(self->a, self->sp[0],
			       SMMU_ASSIGN_MAP_READ | SMMU_ASSIGN_MAP_WRITE,
			       mem + TL_PAGE, WINDOW + 0x40000, 2 * TL_PAGE));
	ASSERT_EQ(0, smmua_map(self->a, self->sp[0],
			       SMMU_ASSIGN_MAP_READ | SMMU_ASSIGN_MAP_WRITE,
			       mem + 3 * TL_PAGE, WINDOW + 0x200000, TL_PAGE));

	cmd.num_mappings = 3;
	ASSERT_EQ(0, ioctl(self->a, SMMU_ASSIGN_MAPPINGS, &cmd));
	ASSERT_EQ(3, cmd.num_mappings);
	EXPECT_EQ(WINDOW, info[0].iova);
	EXPECT_EQ((uintptr_t)mem, info[0].user_va);
	EXPECT_EQ(SMMU_ASSIGN_MAP_READ, info[0].flags);
	EXPECT_EQ(BUF_IOVA, info[1].iova);
	EXPECT_EQ(WINDOW + 0x40000, info[2].iova);
	EXPECT_EQ(2 * TL_PAGE, info[2].length);
	EXPECT_EQ(WINDOW + 0x200000, cmd.cursor);
	cmd.num_mappings = 3;
	ASSERT_EQ(0, ioctl(self->a, SMMU_ASSIGN_MAPPINGS, &cmd));
	ASSERT_EQ(1, cmd.num_mappings);
	EXPECT_EQ(WINDOW + 0x200000, info[0].iova);
	EXPECT_EQ(0, cmd.cursor);
	/* A zero-sized batch with mappings left. */
	cmd.num_mappings = 0;
	EXPECT_EQ(-1, ioctl(self->a, SMMU_ASSIGN_MAPPINGS, &cmd));
	EXPECT_EQ(EMSGSIZE, errno);
	/* By a device in the space, the same from the top. */
	cmd.flags = SMMU_ASSIGN_BY_DEVICE;
	cmd.space_id = 0;
	cmd.bdf = self->bdf[0];
	cmd.cursor = 0;
	cmd.num_mappings = 4;
	ASSERT_EQ(0, ioctl(self->a, SMMU_ASSIGN_MAPPINGS, &cmd));
	ASSERT_EQ(4, cmd.num_mappings);
	EXPECT_EQ(WINDOW, info[0].iova);
	EXPECT_EQ(WINDOW + 0x200000, info[3].iova);
	EXPECT_EQ(0, cmd.cursor);
	/* A space id with BY_DEVICE, or a BDF without it: EINVAL. */
	cmd.space_id = self->sp[0];
	EXPECT_EQ(-1, ioctl(self->a, SMMU_ASSIGN_MAPPINGS, &cmd));
	EXPECT_EQ(EINVAL, errno);
	cmd.flags = 0;
	EXPECT_EQ(-1, ioctl(self->a, SMMU_ASSIGN_MAPPINGS, &cmd));
	EXPECT_EQ(EINVAL, errno);

	ASSERT_EQ(0, query(self->a, &self->bdf[0], &q));
	EXPECT_EQ(4, q.out_num_mappings);
	EXPECT_EQ(4, q.out_stats.maps);
	EXPECT_EQ(0, q.out_stats.unmaps);
	EXPECT_EQ(5 * TL_PAGE, q.out_stats.bytes_mapped);
	EXPECT_EQ(5, q.out_stats.pinned_pages);

	ASSERT_EQ(0, smmua_unmap(self->a, self->sp[0], 0, WINDOW, 0x100000, &unmapped));
	EXPECT_EQ(4 * TL_PAGE, unmapped);
	ASSERT_EQ(0, query(self->a, &self->bdf[0], &q));
	EXPECT_EQ(1, q.out_num_mappings);
	EXPECT_EQ(3, q.out_stats.unmaps);
	EXPECT_EQ(TL_PAGE, q.out_stats.bytes_mapped);
	EXPECT_EQ(1, q.out_stats.pinned_pages);
	EXPECT_EQ(5 * TL_PAGE, q.out_stats.peak_bytes_mapped);
	EXPECT_EQ(5, q.out_stats.peak_pinned_pages);
	EXPECT_LE(1, q.out_stats.iotlb_syncs);
	EXPECT_LT(0, q.out_stats.bound_ns);
	ASSERT_EQ(0, smmua_get_info(self->a, &g1));
	EXPECT_EQ(3, g1.out_total_maps - g0.out_total_maps);
	EXPECT_EQ(3, g1.out_total_unmaps - g0.out_total_unmaps);
	close(self->a);
	self->a = -1;
	tl_buf_free(mem, 4 * TL_PAGE);
}

/* Drop every capability of this process (the child's, in these tests). */
static int drop_caps(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = {};

	return syscall(SYS_capset, &hdr, data);
}

TEST_F(vis, translate_matches_mapping_and_hides_phys_from_non_admin)
{
	struct smmu_assign_translate t = {
		.size = sizeof(t),
		.space_id = self->sp[0],
		.iova = BUF_IOVA + 0x123,
	};
	int status;
	pid_t pid;

	ASSERT_EQ(0, ioctl(self->a, SMMU_ASSIGN_TRANSLATE, &t));
	EXPECT_EQ((uintptr_t)self->buf + 0x123, t.out_user_va);
	EXPECT_EQ(SMMU_ASSIGN_XLATE_READ | SMMU_ASSIGN_XLATE_WRITE | SMMU_ASSIGN_XLATE_PHYS,
		  t.out_flags);
	EXPECT_NE(0, t.out_phys);
	EXPECT_EQ(0x123, t.out_phys & 0xfff);

	t.iova = HOLE_IOVA;
	EXPECT_EQ(-1, ioctl(self->a, SMMU_ASSIGN_TRANSLATE, &t));
	EXPECT_EQ(ENOENT, errno);

	/* An owner without CAP_SYS_ADMIN sees no host physical address. */
	ASSERT_EQ(0, smmua_unbind(self->b, &self->bdf[2]));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		uint8_t *mem = tl_buf_alloc(TL_PAGE, 0);
		struct smmu_assign_translate u = {
			.size = sizeof(u),
			.iova = BUF_IOVA,
		};
		int fd, sp;

		/* BIND is the administrator's: bind, then give the capabilities up. */
		fd = smmua_open();
		sp = fd < 0 ? -1 : tl_bind(fd, &self->bdf[2], 0, WINDOW, WINDOW_LEN);
		if (sp <= 0)
			_exit(11);
		if (drop_caps() || !mem)
			_exit(10);
		if (smmua_map(fd, sp, SMMU_ASSIGN_MAP_READ, mem, BUF_IOVA, TL_PAGE))
			_exit(11);
		u.space_id = sp;
		if (ioctl(fd, SMMU_ASSIGN_TRANSLATE, &u))
			_exit(12);
		if (u.out_phys || u.out_flags != SMMU_ASSIGN_XLATE_READ ||
		    u.out_user_va != (uintptr_t)mem)
			_exit(13);
		/* Its own space by its device is fine... */
		u.flags = SMMU_ASSIGN_BY_DEVICE;
		u.space_id = 0;
		u.bdf = self->bdf[2];
		if (ioctl(fd, SMMU_ASSIGN_TRANSLATE, &u) || u.out_user_va != (uintptr_t)mem)
			_exit(15);
		/* ...but not another owner's mappings. */
		u.bdf = self->bdf[0];
		if (!ioctl(fd, SMMU_ASSIGN_TRANSLATE, &u) || errno != EPERM)
			_exit(14);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

TEST_F(vis, unclaimed_persistent_binding_counts_faults_without_queueing)
{
	struct smmu_assign_fault_event ev[64];
	struct smmu_assign_query q;
	int c;

	/* edu 2 becomes a persistent binding that nobody claims. */
	ASSERT_EQ(0, smmua_unbind(self->b, &self->bdf[2]));
	c = smmua_open();
	ASSERT_LE(0, c);
	ASSERT_EQ(0, smmua_bind(c, &self->bdf[2], SMMU_ASSIGN_BIND_PERSISTENT, WINDOW,
				WINDOW_LEN, NULL));
	close(c);
	ASSERT_EQ(0, tl_pci_enable(self->names[2]));
	ASSERT_EQ(0, tl_edu_to_ram(&self->edu[2], HOLE_IOVA, 64));
	if (tl_faults_delivered())
		EXPECT_EQ(BEATS(64), wait_faults(self->b, &self->bdf[2], BEATS(64)));
	ASSERT_EQ(0, query(self->b, &self->bdf[2], &q));
	EXPECT_EQ(SMMU_ASSIGN_STATE_PERSISTENT, q.out_state);
	EXPECT_EQ(0, q.out_owner_pid);
	/* Nobody's queue took them, and none counts as lost either. */
	EXPECT_EQ(0, q.out_stats.faults_lost);
	EXPECT_EQ(0, read_events(self->a, ev, 64));
	EXPECT_EQ(0, read_events(self->b, ev, 64));
	if (!tl_faults_delivered())
		EXPECT_EQ(0, faults_total(&q));
	EXPECT_EQ(0, smmua_unbind(self->b, &self->bdf[2]));
	if (!tl_faults_delivered())
		TL_SKIP_FAULTS();
}

/* One "key: value" line of a debugfs view, -1 if absent. */
static long long debugfs_value(const char *bdf, const char *key)
{
	char path[128], line[128];
	long long val = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/kernel/debug/smmu-assign/%s", bdf);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key)) && line[strlen(key)] == ':')
			val = strtoll(line + strlen(key) + 1, NULL, 0);
	fclose(f);
	return val;
}

TEST_F(vis, debugfs_view_follows_the_device)
{
	char path[128];

	bool faults = tl_faults_delivered();

	ASSERT_EQ(0, tl_edu_to_ram(&self->edu[0], HOLE_IOVA, 16));
	if (faults)
		ASSERT_EQ(BEATS(16), wait_faults(self->a, &self->bdf[0], BEATS(16)));
	EXPECT_EQ(1, debugfs_value(self->names[0], "mappings"));
	EXPECT_EQ(1, debugfs_value(self->names[0], "maps"));
	EXPECT_EQ(TL_PAGE, debugfs_value(self->names[0], "bytes_mapped"));
	EXPECT_EQ(getpid(), debugfs_value(self->names[0], "owner_pid"));
	EXPECT_EQ(self->sp[0], debugfs_value(self->names[0], "space"));
	EXPECT_EQ(faults ? BEATS(16) : 0, debugfs_value(self->names[0], "faults_translation"));
	EXPECT_EQ(0, debugfs_value(self->names[1], "mappings"));
	/* Gone with the binding. */
	ASSERT_EQ(0, smmua_unbind(self->b, &self->bdf[2]));
	snprintf(path, sizeof(path), "/sys/kernel/debug/smmu-assign/%s", self->names[2]);
	EXPECT_NE(0, access(path, F_OK));
	if (!faults)
		TL_SKIP_FAULTS();
}

/*
 * The group's reserved regions, before a device is bound: the MSI window is
 * among them, and a window over it is refused as that answer says.
 */
TEST_F(vis, reserved_regions_answer_before_bind)
{
	struct smmu_assign_resv_regions cmd = { .size = sizeof(cmd) };
	struct smmu_assign_resv_region *r = NULL, one;
	struct smmu_assign_bdf bad;
	size_t n = 0, i, msi = 0;

	/* Not bound any more, still on the stub: it has its group. */
	ASSERT_EQ(0, smmua_unbind(self->b, &self->bdf[2]));
	ASSERT_EQ(0, smmua_resv_regions(self->b, &self->bdf[2], &r, &n));
	ASSERT_LE(1, n);
	for (i = 0; i < n; i++) {
		EXPECT_LE(r[i].start, r[i].last);
		if (r[i].type == SMMU_ASSIGN_RESV_SW_MSI && r[i].start == TL_MSI_IOVA &&
		    r[i].last == TL_MSI_IOVA + TL_MSI_LENGTH - 1)
			msi++;
	}
	EXPECT_EQ(1, msi) TH_LOG("no software MSI window at %#llx among %zu regions",
				 TL_MSI_IOVA, n);
	free(r);
	EXPECT_EQ(-EADDRINUSE, smmua_bind(self->b, &self->bdf[2], 0, TL_MSI_IOVA,
					  TL_MSI_LENGTH, NULL));

	/* No room: EMSGSIZE with the count; room for one: that one. */
	cmd.bdf = self->bdf[2];
	ASSERT_EQ(-1, ioctl(self->b, SMMU_ASSIGN_RESV_REGIONS, &cmd));
	EXPECT_EQ(EMSGSIZE, errno);
	EXPECT_EQ(n, cmd.num_regions);
	cmd.num_regions = 1;
	cmd.regions = (uintptr_t)&one;
	EXPECT_EQ(n > 1 ? -1 : 0, ioctl(self->b, SMMU_ASSIGN_RESV_REGIONS, &cmd));

	/* Bad input. */
	cmd.num_regions = 0;
	cmd.flags = 1;
	ASSERT_EQ(-1, ioctl(self->b, SMMU_ASSIGN_RESV_REGIONS, &cmd));
	EXPECT_EQ(EOPNOTSUPP, errno);
	cmd.flags = 0;
	cmd.__reserved = 1;
	ASSERT_EQ(-1, ioctl(self->b, SMMU_ASSIGN_RESV_REGIONS, &cmd));
	EXPECT_EQ(EOPNOTSUPP, errno);
	bad = self->bdf[2];
	bad.function = 8;
	EXPECT_EQ(-EINVAL, smmua_resv_regions(self->b, &bad, &r, &n));
	bad = self->bdf[2];
	bad.__reserved[0] = 1;
	EXPECT_EQ(-EOPNOTSUPP, smmua_resv_regions(self->b, &bad, &r, &n));
	bad = self->bdf[2];
	bad.device = 31;
	EXPECT_EQ(-ENODEV, smmua_resv_regions(self->b, &bad, &r, &n));
}

TEST_HARNESS_MAIN
