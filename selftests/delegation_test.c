// SPDX-License-Identifier: GPL-2.0
/*
 * Use without root. An administrator delegates a persistent binding to a
 * user: a process of that user, with no capabilities, claims it into a
 * space of its own file, maps its own memory, and the device moves bytes
 * into it; it can touch nothing else. Or a root process binds a device and
 * passes the file over a unix socket: the receiver finds the device's
 * space in it, maps its own memory, charged to its own user, and once
 * sender and receiver are killed, in either order, nothing stays bound,
 * pinned or charged. The node is opened up the way
 * tools/udev/60-smmu-assign.rules does it.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "smmu_assign_lib.h"
#include "testlib.h"

#define WIN_IOVA	0x1000000ULL
#define WIN_LEN		0x1000000ULL
#define SRC_IOVA	WIN_IOVA
#define DST_IOVA	(WIN_IOVA + 0x100000)
#define DMA_LEN		TL_EDU_DMA_MAX
#define RW		(SMMU_ASSIGN_MAP_READ | SMMU_ASSIGN_MAP_WRITE)
#define NOBODY		65534
#define PATTERN		91

static int wait_byte(int fd)
{
	char c;

	return read(fd, &c, 1) == 1 ? 0 : -1;
}

static int send_byte(int fd)
{
	return write(fd, "x", 1) == 1 ? 0 : -1;
}

/*
 * In a process of its own user: map a source with a pattern and a
 * destination into space sp of fd, tell the test, wait for its DMA, check
 * the bytes. Exit status 0, or the step that failed.
 */
static int map_and_check(int fd, uint32_t sp, int to_test, int from_test)
{
	uint8_t *src = tl_buf_alloc(TL_PAGE, 0), *dst = tl_buf_alloc(TL_PAGE, 0);
	long vmpin0 = tl_vmpin_kb(0);

	if (!src || !dst)
		return 20;
	tl_buf_pattern(src, TL_PAGE, PATTERN);
	if (smmua_map(fd, sp, SMMU_ASSIGN_MAP_READ, src, SRC_IOVA, TL_PAGE) ||
	    smmua_map(fd, sp, RW, dst, DST_IOVA, TL_PAGE))
		return 21;
	if (tl_vmpin_kb(0) != vmpin0 + 2 * TL_PAGE / 1024)
		return 22;
	if (send_byte(to_test) || wait_byte(from_test))
		return 23;
	return memcmp(src, dst, DMA_LEN) ? 24 : 0;
}

/* The test's half of map_and_check(): the DMA, driven through BAR0 by root. */
static int dma_for(struct tl_edu *e, int from_child, int to_child)
{
	if (wait_byte(from_child))
		return -1;
	if (tl_edu_to_dev(e, SRC_IOVA, DMA_LEN) || tl_edu_to_ram(e, DST_IOVA, DMA_LEN))
		return -1;
	return send_byte(to_child);
}

FIXTURE(deleg) {
	char names[TL_MAX_DEVS][SMMUA_BDF_STRLEN];
	struct tl_edu edu[2];
	int nr;
	int fd;
	mode_t mode;
	long long pins0;
};

FIXTURE_SETUP(deleg)
{
	struct stat st;

	self->fd = -1;
	self->nr = tl_edus_take(self->names, self->edu, 2);
	ASSERT_LE(0, self->nr);
	if (self->nr < 2)
		SKIP(return, "needs two edu devices");
	self->fd = smmua_open();
	ASSERT_LE(0, self->fd);
	/* As the udev rule does: opening grants nothing by itself. */
	ASSERT_EQ(0, stat(SMMU_ASSIGN_DEV_PATH, &st));
	self->mode = st.st_mode & 0777;
	ASSERT_EQ(0, chmod(SMMU_ASSIGN_DEV_PATH, 0666));
	ASSERT_EQ(0, tl_pins_outstanding(&self->pins0));
}

FIXTURE_TEARDOWN(deleg)
{
	int i;

	if (self->mode)
		chmod(SMMU_ASSIGN_DEV_PATH, self->mode);
	if (self->fd >= 0)
		close(self->fd);
	for (i = 0; i < self->nr; i++) {
		tl_drop_binding(&self->edu[i].bdf);
		tl_edu_close(&self->edu[i]);
		tl_leave_unbound(self->names[i]);
	}
}

TEST_F_TIMEOUT(deleg, delegated_user_claims_maps_and_nothing_else, 120)
{
	struct smmu_assign_bdf *mine = &self->edu[0].bdf, *other = &self->edu[1].bdf;
	int up[2], down[2], status, fd, ret;
	struct smmu_assign_query q;
	long long pins;
	__u32 sp;
	pid_t pid;

	ASSERT_EQ(0, smmua_bind(self->fd, mine, SMMU_ASSIGN_BIND_PERSISTENT, WIN_IOVA, WIN_LEN,
				NULL));
	ASSERT_EQ(0, smmua_bind(self->fd, other, SMMU_ASSIGN_BIND_PERSISTENT, WIN_IOVA,
				WIN_LEN, NULL));
	ASSERT_EQ(0, smmua_delegate(self->fd, mine, NOBODY, SMMU_ASSIGN_NO_ID));
	ASSERT_EQ(0, smmua_query(self->fd, mine, &q));
	EXPECT_EQ(NOBODY, q.out_delegate_uid);
	EXPECT_EQ(SMMU_ASSIGN_NO_ID, q.out_delegate_gid);
	ASSERT_EQ(0, pipe(up));
	ASSERT_EQ(0, pipe(down));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		if (tl_become(NOBODY, NOBODY, 16))
			_exit(10);
		fd = smmua_open();
		if (fd < 0)
			_exit(11);
		/* What it was not given. */
		if (smmua_claim(fd, other, 0, 0, NULL) != -EPERM)
			_exit(12);
		if (smmua_bind(fd, other, 0, WIN_IOVA, WIN_LEN, NULL) != -EPERM)
			_exit(13);
		if (smmua_delegate(fd, other, NOBODY, NOBODY) != -EPERM)
			_exit(14);
		/* Its claim makes it a space with the binding's window. */
		if (smmua_claim(fd, mine, 0, 0, &sp) || !sp)
			_exit(15);
		if (smmua_unbind(fd, mine) != -EPERM)
			_exit(16);
		_exit(map_and_check(fd, sp, up[1], down[0]));
	}
	ret = dma_for(&self->edu[0], up[0], down[1]);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status)) TH_LOG("step %d failed (see the test)",
						 WEXITSTATUS(status));
	EXPECT_EQ(0, ret);
	/* Its file is gone: the claim and its pins with it, the binding stays. */
	ASSERT_EQ(0, tl_pins_outstanding(&pins));
	EXPECT_EQ(self->pins0, pins);
	ASSERT_EQ(0, smmua_query(self->fd, mine, &q));
	EXPECT_FALSE(q.out_state & SMMU_ASSIGN_STATE_OWNED);

	/* A group delegation; ending it leaves the user with nothing. */
	ASSERT_EQ(0, smmua_delegate(self->fd, mine, SMMU_ASSIGN_NO_ID, NOBODY));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		if (tl_become(NOBODY - 1, NOBODY, 16))
			_exit(10);
		fd = smmua_open();
		_exit(fd < 0 ? 11 : smmua_claim(fd, mine, 0, 0, NULL) ? 12 : 0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status)) TH_LOG("a member of the group could not claim");
	ASSERT_EQ(0, smmua_delegate(self->fd, mine, SMMU_ASSIGN_NO_ID, SMMU_ASSIGN_NO_ID));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		if (tl_become(NOBODY, NOBODY, 16))
			_exit(10);
		fd = smmua_open();
		_exit(fd < 0 ? 11 : smmua_claim(fd, mine, 0, 0, NULL) == -EPERM ? 0 : 12);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status)) TH_LOG("the ended delegation still let it claim");
	/* A device that is not bound has nothing to delegate. */
	EXPECT_EQ(0, smmua_unbind(self->fd, other));
	EXPECT_EQ(-ENOENT, smmua_delegate(self->fd, other, NOBODY, SMMU_ASSIGN_NO_ID));
}

/* The sender binds and passes its file; then it waits to be killed. */
static void sender(struct tl_edu *e, int sock)
{
	int fd = smmua_open();

	if (fd < 0 || smmua_bind(fd, &e->bdf, 0, WIN_IOVA, WIN_LEN, NULL))
		_exit(1);
	if (tl_send_fd(sock, fd))
		_exit(2);
	for (;;)
		pause();
}

/*
 * A process of user NOBODY with a limit of pages pages of locked memory
 * maps them: exit status 0 if it could, 3 if MAP refused, else set-up.
 */
static int probe_charge(struct tl_edu *e, unsigned long pages)
{
	uint8_t *buf = tl_buf_alloc(pages * TL_PAGE, 0);
	int status, sp, fd;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		fd = smmua_open();
		sp = fd < 0 ? -1 : tl_bind(fd, &e->bdf, 0, WIN_IOVA, WIN_LEN);
		if (!buf || sp <= 0)
			_exit(1);
		if (tl_become(NOBODY, NOBODY, pages))
			_exit(2);
		_exit(smmua_map(fd, sp, RW, buf, WIN_IOVA, pages * TL_PAGE) ? 3 : 0);
	}
	tl_buf_free(buf, pages * TL_PAGE);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/*
 * A root process binds e and passes its file to a process of NOBODY with
 * no capabilities and two pages of locked memory, which finds the device's
 * space through SPACE_INFO by device (its file owns it), maps two pages of
 * its own and receives the device's DMA. Then both are killed, the sender
 * first or the receiver first: while either holds the file the mappings
 * stay, pinned once and charged to the receiver's user; with both gone
 * nothing is bound, pinned or charged.
 */
static void pass_and_kill(struct __test_metadata *_metadata, FIXTURE_DATA(deleg) *self,
			  bool sender_first)
{
	int sock[2], up[2], down[2], status, fd, sp;
	struct smmua_space_desc d;
	struct smmu_assign_query q;
	struct tl_edu *e = &self->edu[0], *spare = &self->edu[1];
	pid_t snd, rcv, first, second;
	long long pins;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sock))
		SKIP(return, "no unix sockets here (%s)", strerror(errno));
	ASSERT_EQ(0, pipe(up));
	ASSERT_EQ(0, pipe(down));
	rcv = fork();
	ASSERT_LE(0, rcv);
	if (!rcv) {
		/* Two pages of locked memory, exactly what it maps. */
		if (tl_become(NOBODY, NOBODY, 2))
			_exit(10);
		fd = tl_recv_fd(sock[1]);
		if (fd < 0)
			_exit(11);
		if (smmua_space_info(fd, 0, &e->bdf, &d))
			_exit(13);
		sp = d.info.out_space_id;
		if (!sp || d.num_devices != 1 || !tl_bdf_eq(&d.devices[0], &e->bdf))
			_exit(14);
		smmua_space_desc_free(&d);
		status = map_and_check(fd, sp, up[1], down[0]);
		if (status)
			_exit(status);
		/* Its limit is used up: a third page is refused. */
		if (smmua_map(fd, sp, RW, tl_buf_alloc(TL_PAGE, 0), DST_IOVA + TL_PAGE,
			      TL_PAGE) != -ENOMEM)
			_exit(15);
		/* Hold the file until killed. */
		if (send_byte(up[1]))
			_exit(12);
		for (;;)
			pause();
	}
	snd = fork();
	ASSERT_LE(0, snd);
	if (!snd)
		sender(e, sock[0]);
	ASSERT_EQ(0, dma_for(e, up[0], down[1]));
	ASSERT_EQ(0, wait_byte(up[0])) TH_LOG("the receiver failed");
	ASSERT_EQ(0, tl_pins_outstanding(&pins));
	EXPECT_EQ(self->pins0 + 2, pins);

	/* One dies: the other's hold on the file keeps the binding and mappings. */
	first = sender_first ? snd : rcv;
	second = sender_first ? rcv : snd;
	ASSERT_EQ(0, kill(first, SIGKILL));
	ASSERT_EQ(first, waitpid(first, &status, 0));
	ASSERT_EQ(0, smmua_query(self->fd, &e->bdf, &q));
	EXPECT_EQ(2, q.out_num_mappings);
	ASSERT_EQ(0, tl_pins_outstanding(&pins));
	EXPECT_EQ(self->pins0 + 2, pins);
	/* The pages stay charged to the receiver's user, dead or alive. */
	EXPECT_EQ(3, probe_charge(spare, 2)) TH_LOG("the live mappings' charge was dropped");
	/* The other dies: nothing stays bound or pinned. */
	ASSERT_EQ(0, kill(second, SIGKILL));
	ASSERT_EQ(second, waitpid(second, &status, 0));
	EXPECT_EQ(-ENOENT, smmua_query(self->fd, &e->bdf, &q));
	ASSERT_EQ(0, tl_pins_outstanding(&pins));
	EXPECT_EQ(self->pins0, pins);
	/* Nor charged: the same user maps its whole two-page limit again. */
	EXPECT_EQ(0, probe_charge(e, 2)) TH_LOG("the user's charge outlived the file");
}

TEST_F_TIMEOUT(deleg, passed_file_maps_for_the_receiver_sender_killed_first, 120)
{
	pass_and_kill(_metadata, self, true);
}

TEST_F_TIMEOUT(deleg, passed_file_maps_for_the_receiver_receiver_killed_first, 120)
{
	pass_and_kill(_metadata, self, false);
}

TEST_HARNESS_MAIN
