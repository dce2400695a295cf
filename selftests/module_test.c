// SPDX-License-Identifier: GPL-2.0
/*
 * Module lifetime: unload removes the device node, and a reload works.
 * Unloads the module, so it runs after every other selftest. The module
 * path comes from SMMU_ASSIGN_KO.
 */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "smmu_assign_lib.h"

static int run(const char *cmd)
{
	int status = system(cmd);

	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(unload_and_reload)
{
	const char *ko = getenv("SMMU_ASSIGN_KO");
	char cmd[512];
	struct stat st;
	int fd;

	ASSERT_NE(NULL, ko);
	ASSERT_EQ(0, access("/sys/module/smmu_assign", F_OK));

	/* An open file pins the module. */
	fd = smmua_open();
	ASSERT_LE(0, fd);
	EXPECT_NE(0, run("rmmod smmu_assign 2>/dev/null"));
	close(fd);

	ASSERT_EQ(0, run("rmmod smmu_assign"));
	EXPECT_NE(0, stat(SMMU_ASSIGN_DEV_PATH, &st));
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
