// SPDX-License-Identifier: GPL-2.0
/*
 * Everything at once: threads bind (into two spaces of one file), unbind,
 * map, unmap, make, resize and destroy spaces, claim, query, read debugfs,
 * open device fds and enable interrupts through them, and close the same
 * devices while another thread takes one of them off its driver through
 * sysfs and gives it back (which waits for its device fd to close). Every call must end in
 * success or in one of the errnos the ABI gives for the state it met, and
 * when the dust settles nothing may stay bound, pinned or charged. lockdep,
 * KASAN and kmemleak on the debug kernel judge the locking and lifetimes.
 * The loops are bounded by counts, never by time.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
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
#define MAP_IOVA(i)	(WIN_IOVA + 0x100000ULL * (i))
#define RW		(SMMU_ASSIGN_MAP_READ | SMMU_ASSIGN_MAP_WRITE)
#define ROUNDS		300
#define MAPPERS		2

struct race {
	char name[2][SMMUA_BDF_STRLEN];
	struct smmu_assign_bdf bdf[2];
	int fd;			/* shared by the binder, the mappers and the closer */
	uint32_t sp[2];		/* its spaces: device d is bound into sp[d] */
	uint8_t *buf;
	atomic_int stop;
	atomic_int closing;	/* the file may be closed under the mappers */
	atomic_int bad;		/* unexpected results */
	atomic_int devfds;	/* device fds the opener got */
	char why[256];
};

static void unexpected(struct race *r, const char *what, int ret)
{
	int n = atomic_fetch_add(&r->bad, 1);
	size_t len = strlen(r->why);

	/* The first few, for the log; racy appends are only cosmetic. */
	if (n < 4)
		snprintf(r->why + len, sizeof(r->why) - len, "%s%s: %s",
			 n ? "; " : "", what, strerror(-ret));
}

/* ret must be 0 or one of the errnos listed (negative), ending with 0. */
static void expect_one_of(struct race *r, const char *what, int ret, ...)
{
	va_list ap;
	int ok;

	if (!ret)
		return;
	va_start(ap, ret);
	while ((ok = va_arg(ap, int)))
		if (ret == ok)
			break;
	va_end(ap);
	if (!ok)
		unexpected(r, what, ret);
}

/*
 * Binds both devices into their spaces and unbinds them, on the shared
 * file; meanwhile re-allows the spaces' range (while mapped, with devices
 * coming and going) and makes and destroys a space of its own.
 */
static void *binder(void *arg)
{
	const struct smmu_assign_iova_range win = { .iova = WIN_IOVA, .length = WIN_LEN };
	struct race *r = arg;
	int i, d, ret;
	__u32 tmp;

	for (i = 0; i < ROUNDS; i++) {
		for (d = 0; d < 2; d++) {
			ret = smmua_bind_space(r->fd, &r->bdf[d], r->sp[d], NULL);
			/* EBUSY: still bound, or off its driver for a moment. */
			expect_one_of(r, "BIND", ret, -EBUSY, -ENODEV, 0);
		}
		ret = smmua_space_allow_iovas(r->fd, r->sp[i & 1], &win, 1);
		expect_one_of(r, "SPACE_ALLOW_IOVAS", ret, 0);
		ret = smmua_space_alloc(r->fd, "race", &tmp);
		expect_one_of(r, "SPACE_ALLOC", ret, 0);
		if (!ret) {
			ret = smmua_space_destroy(r->fd, tmp);
			expect_one_of(r, "SPACE_DESTROY", ret, 0);
		}
		for (d = 0; d < 2; d++) {
			ret = smmua_unbind(r->fd, &r->bdf[d]);
			/* EBUSY: the opener holds a device fd of it. */
			expect_one_of(r, "UNBIND", ret, -ENOENT, -EBUSY, 0);
		}
	}
	return NULL;
}

/*
 * Maps and unmaps its own IOVA in either space, whether a device is in it
 * or not: the spaces live as long as the file, so every call succeeds.
 */
static void *mapper(void *arg)
{
	struct race *r = arg;
	static atomic_int next;
	int me = atomic_fetch_add(&next, 1) % MAPPERS;
	int i, ret;

	for (i = 0; !atomic_load(&r->stop) || i < ROUNDS; i++) {
		uint32_t sp = r->sp[i & 1];

		if (i >= 4 * ROUNDS)
			break;
		ret = smmua_map(r->fd, sp, RW, r->buf + me * TL_PAGE, MAP_IOVA(me), TL_PAGE);
		if (ret == -EBADF && atomic_load(&r->closing))
			break;
		expect_one_of(r, "MAP", ret, 0);
		ret = smmua_unmap(r->fd, sp, 0, MAP_IOVA(me), TL_PAGE, NULL);
		if (ret == -EBADF && atomic_load(&r->closing))
			break;
		expect_one_of(r, "UNMAP", ret, 0);
	}
	return NULL;
}

/*
 * Opens a device fd of the device the unplugger takes away, enables MSI
 * through it and closes it: the unplug waits for the close.
 */
static void *opener(void *arg)
{
	char b[sizeof(struct vfio_irq_set) + sizeof(int)];
	struct vfio_irq_set *set = (struct vfio_irq_set *)b;
	struct race *r = arg;
	int i, dev, efd, ret;

	efd = eventfd(0, EFD_CLOEXEC);
	if (efd < 0) {
		unexpected(r, "eventfd", -errno);
		return NULL;
	}
	/* As long as the binder runs, within a bound. */
	for (i = 0; i < 20 * ROUNDS && !atomic_load(&r->stop); i++) {
		dev = smmua_device_fd(r->fd, &r->bdf[1]);
		/* ENOENT: not bound now; ENODEV: off its driver, or leaving. */
		if (dev < 0) {
			expect_one_of(r, "DEVICE_FD", dev, -ENOENT, -ENODEV, 0);
			usleep(100);
			continue;
		}
		*set = (struct vfio_irq_set){
			.argsz = sizeof(b),
			.flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER,
			.index = VFIO_PCI_MSI_IRQ_INDEX,
			.count = 1,
		};
		memcpy(set->data, &efd, sizeof(efd));
		atomic_fetch_add(&r->devfds, 1);
		ret = ioctl(dev, VFIO_DEVICE_SET_IRQS, set) ? -errno : 0;
		expect_one_of(r, "SET_IRQS", ret, 0);
		close(dev);
	}
	close(efd);
	return NULL;
}

/* Another file looks at everything, as an administrator would. */
static void *observer(void *arg)
{
	struct race *r = arg;
	int fd = smmua_open();
	int i, d, ret;

	if (fd < 0) {
		unexpected(r, "open", fd);
		return NULL;
	}
	for (i = 0; i < 2 * ROUNDS && !atomic_load(&r->stop); i++) {
		struct smmu_assign_mapping_info *maps = NULL;
		struct smmu_assign_translate xl;
		struct smmu_assign_query q;
		struct smmu_assign_bdf *bdfs = NULL;
		struct smmua_space_desc desc = {};
		char path[128], text[4096];
		size_t n;

		d = i & 1;
		ret = smmua_query(fd, &r->bdf[d], &q);
		expect_one_of(r, "QUERY", ret, -ENOENT, 0);
		ret = smmua_list(fd, &bdfs, &n);
		expect_one_of(r, "LIST", ret, 0);
		free(bdfs);
		/* Another file's space, through its device: an administrator may. */
		ret = smmua_mappings(fd, 0, &r->bdf[d], &maps, &n);
		expect_one_of(r, "MAPPINGS", ret, -ENOENT, 0);
		free(maps);
		ret = smmua_translate(fd, 0, &r->bdf[d], MAP_IOVA(0), &xl);
		expect_one_of(r, "TRANSLATE", ret, -ENOENT, 0);
		ret = smmua_space_info(fd, 0, &r->bdf[d], &desc);
		expect_one_of(r, "SPACE_INFO", ret, -ENOENT, 0);
		smmua_space_desc_free(&desc);
		/* A persistent binding's claim, fought over with nobody. */
		ret = smmua_claim(fd, &r->bdf[d], 0, 0, NULL);
		expect_one_of(r, "CLAIM", ret, -ENOENT, -EINVAL, 0);
		snprintf(path, sizeof(path), "/sys/kernel/debug/smmu-assign/%s", r->name[d]);
		ret = open(path, O_RDONLY | O_CLOEXEC);
		if (ret >= 0) {
			/* EIO: the binding went while the file was open. */
			if (read(ret, text, sizeof(text)) < 0 && errno != EIO)
				unexpected(r, "debugfs read", -errno);
			close(ret);
		}
	}
	close(fd);
	return NULL;
}

/* Takes the second device off its driver and gives it back. */
static void *unplugger(void *arg)
{
	struct race *r = arg;
	char path[128];
	int i, fd;

	snprintf(path, sizeof(path), "/sys/bus/pci/drivers/smmu-assign/unbind");
	for (i = 0; i < ROUNDS / 10 && !atomic_load(&r->stop); i++) {
		fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, r->name[1], strlen(r->name[1])) < 0)
			unexpected(r, "sysfs unbind", -errno);
		if (fd >= 0)
			close(fd);
		if (tl_bind_stub(r->name[1]))
			unexpected(r, "back to the stub", -EIO);
		usleep(1000);
	}
	return NULL;
}

FIXTURE(race) {
	struct race r;
	long long pins0;
	long vmpin0;
};

FIXTURE_SETUP(race)
{
	char names[TL_MAX_DEVS][SMMUA_BDF_STRLEN];
	int d;

	memset(&self->r, 0, sizeof(self->r));
	self->r.fd = -1;
	if (tl_find_edus(names, TL_MAX_DEVS) < 2)
		SKIP(return, "needs two edu devices");
	for (d = 0; d < 2; d++) {
		strcpy(self->r.name[d], names[d]);
		self->r.bdf[d] = tl_bdf(names[d]);
		ASSERT_EQ(0, tl_bind_stub(names[d]));
	}
	self->r.buf = tl_buf_alloc(MAPPERS * TL_PAGE, 0);
	ASSERT_NE(NULL, self->r.buf);
	ASSERT_EQ(0, tl_pins_outstanding(&self->pins0));
	self->vmpin0 = tl_vmpin_kb(0);
}

FIXTURE_TEARDOWN(race)
{
	if (self->r.fd >= 0)
		close(self->r.fd);
	if (self->r.buf)
		tl_buf_free(self->r.buf, MAPPERS * TL_PAGE);
}

/* A new shared file with its two spaces, both allowed the window. */
static void open_shared(struct __test_metadata *_metadata, struct race *r)
{
	int d, sp;

	r->fd = smmua_open();
	ASSERT_LE(0, r->fd);
	for (d = 0; d < 2; d++) {
		sp = tl_space(r->fd, NULL, WIN_IOVA, WIN_LEN);
		ASSERT_LT(0, sp);
		r->sp[d] = sp;
	}
}

static void settle(struct __test_metadata *_metadata, FIXTURE_DATA(race) *self)
{
	struct smmu_assign_bdf *bdfs = NULL;
	long long pins = -1;
	size_t n = 0;
	int fd = smmua_open();

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, smmua_list(fd, &bdfs, &n));
	free(bdfs);
	close(fd);
	EXPECT_EQ(0, n) TH_LOG("bindings survived their file");
	ASSERT_EQ(0, tl_pins_outstanding(&pins));
	EXPECT_EQ(self->pins0, pins);
	EXPECT_EQ(self->vmpin0, tl_vmpin_kb(0));
}

TEST_F_TIMEOUT(race, everything_at_once, 600)
{
	pthread_t t[MAPPERS + 4];
	int i, nt = 0;

	open_shared(_metadata, &self->r);
	ASSERT_EQ(0, pthread_create(&t[nt++], NULL, binder, &self->r));
	for (i = 0; i < MAPPERS; i++)
		ASSERT_EQ(0, pthread_create(&t[nt++], NULL, mapper, &self->r));
	ASSERT_EQ(0, pthread_create(&t[nt++], NULL, observer, &self->r));
	ASSERT_EQ(0, pthread_create(&t[nt++], NULL, opener, &self->r));
	ASSERT_EQ(0, pthread_create(&t[nt++], NULL, unplugger, &self->r));
	pthread_join(t[0], NULL);
	atomic_store(&self->r.stop, 1);
	for (i = 1; i < nt; i++)
		pthread_join(t[i], NULL);
	EXPECT_EQ(0, atomic_load(&self->r.bad)) TH_LOG("%d unexpected results: %s",
						       atomic_load(&self->r.bad), self->r.why);
	/* Counted, so that a run where no device fd ever opened shows. */
	ksft_print_msg("%d device fds opened under the race\n", atomic_load(&self->r.devfds));
	fflush(stdout);
	/* The binder may have left bindings, and the spaces mappings: the close ends them. */
	ASSERT_EQ(0, close(self->r.fd));
	self->r.fd = -1;
	settle(_metadata, self);
	ASSERT_EQ(0, tl_bind_stub(self->r.name[1]));
}

/* A close while other threads are inside ioctls on the same file. */
TEST_F_TIMEOUT(race, close_races_map, 600)
{
	pthread_t t[MAPPERS];
	int round, i;

	atomic_store(&self->r.closing, 1);
	for (round = 0; round < ROUNDS / 10; round++) {
		open_shared(_metadata, &self->r);
		ASSERT_EQ(0, smmua_bind_space(self->r.fd, &self->r.bdf[0], self->r.sp[0], NULL));
		atomic_store(&self->r.stop, 1);
		for (i = 0; i < MAPPERS; i++)
			ASSERT_EQ(0, pthread_create(&t[i], NULL, mapper, &self->r));
		usleep(round * 100);
		/* In-flight calls finish on the file; later ones get EBADF. */
		ASSERT_EQ(0, close(self->r.fd));
		for (i = 0; i < MAPPERS; i++)
			pthread_join(t[i], NULL);
		self->r.fd = -1;
	}
	EXPECT_EQ(0, atomic_load(&self->r.bad)) TH_LOG("%d unexpected results: %s",
						       atomic_load(&self->r.bad), self->r.why);
	settle(_metadata, self);
}

TEST_HARNESS_MAIN
