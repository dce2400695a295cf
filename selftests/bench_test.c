// SPDX-License-Identifier: GPL-2.0
/*
 * The benchmark's smoke run: smmua-bench --quick on the root-bus edus (no
 * floor module here) must finish, give the devices back (to the drivers
 * they were on before it) and write JSON
 * with smmu-assign's rows, the vectored ones with VFIO's per-call figures
 * beside them where the module has MAP_VEC. It asserts nothing about time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <json-c/json.h>

#include "kselftest_harness.h"
#include "smmu_assign_lib.h"
#include "testlib.h"

#define BENCH		"/usr/bin/smmua-bench"
#define JSON_FILE	"/tmp/bench_test.json"
#define OUT_FILE	"/tmp/bench_test.out"

static int count_rows(struct json_object *rows, const char *group, const char *backend)
{
	size_t i, n = json_object_array_length(rows);
	struct json_object *row, *g, *b, *m;
	int found = 0;

	for (i = 0; i < n; i++) {
		row = json_object_array_get_idx(rows, i);
		if (!json_object_object_get_ex(row, "group", &g) ||
		    strcmp(json_object_get_string(g), group) ||
		    !json_object_object_get_ex(row, backend, &b) ||
		    !json_object_object_get_ex(b, "median", &m))
			continue;
		found++;
	}
	return found;
}

/* How many samples the first row of group has from backend, or -1. */
static int group_samples(struct json_object *rows, const char *group, const char *backend)
{
	size_t i, n = json_object_array_length(rows);
	struct json_object *row, *g, *b, *samples;

	for (i = 0; i < n; i++) {
		row = json_object_array_get_idx(rows, i);
		if (json_object_object_get_ex(row, "group", &g) &&
		    !strcmp(json_object_get_string(g), group) &&
		    json_object_object_get_ex(row, backend, &b) &&
		    json_object_object_get_ex(b, "samples", &samples))
			return json_object_array_length(samples);
	}
	return -1;
}

/* Rows whose name starts with prefix, with a median of each backend named. */
static int count_named(struct json_object *rows, const char *prefix, const char *b1,
		       const char *b2)
{
	size_t i, n = json_object_array_length(rows);
	struct json_object *row, *name, *b;
	int found = 0;

	for (i = 0; i < n; i++) {
		row = json_object_array_get_idx(rows, i);
		if (!json_object_object_get_ex(row, "row", &name) ||
		    strncmp(json_object_get_string(name), prefix, strlen(prefix)) ||
		    !json_object_object_get_ex(row, b1, &b) ||
		    (b2 && !json_object_object_get_ex(row, b2, &b)))
			continue;
		found++;
	}
	return found;
}

TEST(quick_run_writes_json)
{
	char names[TL_MAX_DEVS][SMMUA_BDF_STRLEN], cmd[256];
	struct json_object *root, *rows, *reps;
	struct smmu_assign_get_info info;
	bool vec = false, vfio;
	struct stat st;
	int nr, i, status, fd;

	if (stat(BENCH, &st))
		SKIP(return, BENCH " is not in this build");
	nr = tl_find_edus(names, 3);
	if (nr < 2)
		SKIP(return, "needs two edus on the root bus, found %d", nr);
	for (i = 0; i < nr; i++) {
		struct smmu_assign_bdf bdf = tl_bdf(names[i]);

		tl_drop_binding(&bdf);
		tl_leave_unbound(names[i]);
	}
	fd = smmua_open();
	if (fd >= 0 && !smmua_get_info(fd, &info))
		vec = info.out_capabilities & SMMU_ASSIGN_CAP_MAP_VEC;
	if (fd >= 0)
		close(fd);
	unlink(JSON_FILE);
	snprintf(cmd, sizeof(cmd), BENCH " --quick --no-floor --json " JSON_FILE " %s %s %s >"
		 OUT_FILE " 2>&1", names[0], names[1], nr > 2 ? names[2] : "");
	status = system(cmd);
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		system("cat " OUT_FILE);
		ASSERT_EQ(0, status);
	}

	root = json_object_from_file(JSON_FILE);
	ASSERT_NE(NULL, root);
	ASSERT_TRUE(json_object_object_get_ex(root, "reps", &reps));
	EXPECT_EQ(1, json_object_get_int(reps));
	/* Region rows, short and noisy, take three times the repetitions. */
	ASSERT_TRUE(json_object_object_get_ex(root, "region_reps", &reps));
	EXPECT_EQ(3, json_object_get_int(reps));
	ASSERT_TRUE(json_object_object_get_ex(root, "rows", &rows));
	ASSERT_TRUE(json_object_is_type(rows, json_type_array));
	/* MAP and UNMAP of at least the 4K backings, the one-page rows, BIND. */
	EXPECT_LE(4, count_rows(rows, "region", "smmu-assign"));
	EXPECT_LE(6, count_rows(rows, "pages", "smmu-assign"));
	EXPECT_EQ(3, group_samples(rows, "region", "smmu-assign"));
	EXPECT_EQ(1, group_samples(rows, "pages", "smmu-assign"));
	EXPECT_EQ(1, count_rows(rows, "bind", "smmu-assign"));
	EXPECT_EQ(1, count_rows(rows, "kmem", "smmu-assign"));
	if (nr > 2)
		EXPECT_EQ(2, count_rows(rows, "devices", "smmu-assign"));
	/* MAP_VEC and UNMAP_VEC per range, beside VFIO's per call; no floor. */
	vfio = count_rows(rows, "pages", "vfio") > 0;
	EXPECT_EQ(vec, count_named(rows, "MAP_VEC ", "smmu-assign", vfio ? "vfio" : NULL));
	EXPECT_EQ(vec, count_named(rows, "UNMAP_VEC ", "smmu-assign", vfio ? "vfio" : NULL));
	EXPECT_EQ(0, count_named(rows, "MAP_VEC ", "floor", NULL));
	json_object_put(root);

	/* Every device given back: on neither backend's driver any more. */
	for (i = 0; i < nr; i++) {
		struct smmu_assign_bdf bdf = tl_bdf(names[i]);
		char drv[64];

		ASSERT_EQ(0, smmua_pci_driver(&bdf, drv, sizeof(drv)));
		EXPECT_STRNE(SMMUA_STUB_DRIVER, drv);
		EXPECT_STRNE(SMMUA_VFIO_DRIVER, drv);
		tl_leave_unbound(names[i]);
	}
}

TEST_HARNESS_MAIN
