// SPDX-License-Identifier: GPL-2.0
/*
 * Module lifetime: unload removes the device nodes, is refused while a file
 * is open (a device fd, or a VFIO container, too), ends persistent bindings, and load and unload cycle cleanly with
 * bindings made and ended in between. Unloads the module, so it runs after
 * every other selftest. The module path comes from SMMU_ASSIGN_KO.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "smmu_assign_lib.h"
#include "testlib.h"

#define CYCLES		50
#define WIN_IOVA	0x1000000ULL
#define WIN_LEN		0x1000000ULL
#define RW		(SMMU_ASSIGN_MAP_READ | SMMU_ASSIGN_MAP_WRITE)
#define VFIO_CONTAINER	"/dev/smmu-assign-vfio/vfio"

static int run(const char *cmd)
{
	int status = system(cmd);

	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Load the module unless it is loaded: each test leaves it unloaded. */
static int load(void)
{
	const char *ko = getenv("SMMU_ASSIGN_KO");
	char cmd[512];

	if (!access("/sys/module/smmu_assign", F_OK))
		return 0;
	if (!ko)
		return -1;
	snprintf(cmd, sizeof(cmd), "insmod %s", ko);
	return run(cmd);
}

/*
 * Load, bind two devices (one persistent, left in place, claimed into the
 * other's space), map, close, and unload, CYCLES times: every unload
 * succeeds once no file is open, ends the persistent binding, and leaves
 * nothing pinned.
 */
FIXTURE(cycles) {
};

FIXTURE_SETUP(cycles)
{
}

FIXTURE_TEARDOWN(cycles)
{
}

TEST_F_TIMEOUT(cycles, load_unload_cycles, 600)
{
	char names[TL_MAX_DEVS][SMMUA_BDF_STRLEN];
	struct smmu_assign_bdf bdf[2];
	long long pins0, pins;
	uint8_t *buf;
	int i, d, fd, sp, dev, container;

	if (tl_find_edus(names, TL_MAX_DEVS) < 2)
		SKIP(return, "needs two edu devices");
	buf = tl_buf_alloc(4 * TL_PAGE, 0);
	ASSERT_NE(NULL, buf);
	for (d = 0; d < 2; d++)
		bdf[d] = tl_bdf(names[d]);
	ASSERT_EQ(0, tl_pins_outstanding(&pins0));
	for (i = 0; i < CYCLES; i++) {
		ASSERT_EQ(0, load()) TH_LOG("cycle %d: insmod", i);
		/* The stub comes back with the module: driver_override names it. */
		for (d = 0; d < 2; d++)
			ASSERT_EQ(0, tl_bind_stub(names[d])) TH_LOG("cycle %d", i);
		fd = smmua_open();
		ASSERT_LE(0, fd);
		ASSERT_EQ(0, smmua_bind(fd, &bdf[0], SMMU_ASSIGN_BIND_PERSISTENT, WIN_IOVA,
					WIN_LEN, NULL));
		sp = tl_bind(fd, &bdf[1], 0, WIN_IOVA, WIN_LEN);
		ASSERT_LT(0, sp) TH_LOG("cycle %d", i);
		ASSERT_EQ(0, smmua_claim(fd, &bdf[0], 0, sp, NULL));
		ASSERT_EQ(0, smmua_map(fd, sp, RW, buf, WIN_IOVA, 2 * TL_PAGE));
		ASSERT_EQ(0, smmua_map(fd, sp, RW, buf + 2 * TL_PAGE, WIN_IOVA + 2 * TL_PAGE,
				       2 * TL_PAGE));
		dev = smmua_device_fd(fd, &bdf[1]);
		ASSERT_LE(0, dev) TH_LOG("cycle %d: device fd", i);
		/* In use: refused, and nothing changed. */
		ASSERT_NE(0, run("rmmod smmu_assign 2>/dev/null")) TH_LOG("cycle %d", i);
		close(fd);
		/* The device fd holds the file, and so the module. */
		ASSERT_NE(0, run("rmmod smmu_assign 2>/dev/null")) TH_LOG("cycle %d", i);
		close(dev);
		container = open(VFIO_CONTAINER, O_RDWR);
		ASSERT_LE(0, container) TH_LOG("cycle %d: VFIO container", i);
		ASSERT_NE(0, run("rmmod smmu_assign 2>/dev/null")) TH_LOG("cycle %d", i);
		close(container);
		/* The persistent binding alone does not hold the module. */
		ASSERT_EQ(0, run("rmmod smmu_assign")) TH_LOG("cycle %d: rmmod", i);
		ASSERT_EQ(0, tl_pins_outstanding(&pins));
		ASSERT_EQ(pins0, pins) TH_LOG("cycle %d: pins left", i);
	}
	tl_buf_free(buf, 4 * TL_PAGE);
	ksft_print_msg("%d load/bind/map/device fd/container/unload cycles\n", CYCLES);
	fflush(stdout);
}

TEST(unload_and_reload)
{
	const char *ko = getenv("SMMU_ASSIGN_KO");
	char cmd[512];
	struct stat st;
	int fd;

	ASSERT_NE(NULL, ko);
	ASSERT_EQ(0, load());

	/* An open file pins the module. */
	fd = smmua_open();
	ASSERT_LE(0, fd);
	EXPECT_NE(0, run("rmmod smmu_assign 2>/dev/null"));
	close(fd);

	ASSERT_EQ(0, run("rmmod smmu_assign"));
	EXPECT_NE(0, stat(SMMU_ASSIGN_DEV_PATH, &st));
	EXPECT_NE(0, stat(VFIO_CONTAINER, &st));
	EXPECT_NE(0, access("/sys/module/smmu_assign", F_OK));

	snprintf(cmd, sizeof(cmd), "insmod %s", ko);
	ASSERT_EQ(0, run(cmd));
	fd = smmua_open();
	ASSERT_LE(0, fd);
	close(fd);

	/* Leave it unloaded so the final kmemleak scan covers its teardown. */
	ASSERT_EQ(0, run("rmmod smmu_assign"));
}

TEST_HARNESS_MAIN
