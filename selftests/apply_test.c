// SPDX-License-Identifier: GPL-2.0
/*
 * smmuctl apply, as the boot-time unit runs it: the devices declared in a
 * configuration directory (one by BDF, one by vendor:device and position)
 * are taken over, bound persistently with their window and space name, and
 * delegated. A second run changes nothing; after the module is unloaded and
 * loaded again, a run brings the same state back; a malformed file is
 * refused with its line number before anything changes; a device on a
 * driver in use is refused, named, unless --force. Reloads the module
 * (SMMU_ASSIGN_KO), so it runs before module_test.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "smmu_assign_lib.h"
#include "testlib.h"

#define SMMUCTL		"/usr/sbin/smmuctl"
#define CONF_DIR	"/tmp/apply_test.d"
#define OUT_FILE	"/tmp/apply_test.out"
#define ERR_FILE	"/tmp/apply_test.err"
#define WIN_A		0x1000000ULL
#define WIN_B		0x2000000ULL
#define WIN_C		0x3000000ULL
#define WIN_LEN		0x1000000ULL
#define NOBODY		65534
#define NOGROUP		65534

static char out_buf[16384], err_buf[8192];

static void slurp(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ssize_t n = 0;

	if (fd >= 0) {
		n = read(fd, buf, len - 1);
		close(fd);
	}
	buf[n > 0 ? n : 0] = '\0';
}

/* Run smmuctl with the printf-formed arguments; its exit status. */
static int ctl(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;
	size_t n;
	int st;

	n = snprintf(cmd, sizeof(cmd), SMMUCTL " ");
	va_start(ap, fmt);
	vsnprintf(cmd + n, sizeof(cmd) - n, fmt, ap);
	va_end(ap);
	strncat(cmd, " >" OUT_FILE " 2>" ERR_FILE, sizeof(cmd) - strlen(cmd) - 1);
	st = system(cmd);
	slurp(OUT_FILE, out_buf, sizeof(out_buf));
	slurp(ERR_FILE, err_buf, sizeof(err_buf));
	fprintf(stderr, "# %s\n", cmd);
	if (out_buf[0])
		fprintf(stderr, "#   stdout: %s", out_buf);
	if (err_buf[0])
		fprintf(stderr, "#   stderr: %s", err_buf);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int put(const char *file, const char *fmt, ...)
{
	char path[256];
	va_list ap;
	FILE *f;

	snprintf(path, sizeof(path), CONF_DIR "/%s", file);
	f = fopen(path, "w");
	if (!f)
		return -1;
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	return fclose(f);
}

/* The position of name among the edus, from 0 in PCI address order. */
static int edu_index(const char *name)
{
	struct smmu_assign_bdf *bdfs, want = tl_bdf(name);
	struct smmua_pci_dev d;
	int idx = 0, found = -1;
	size_t n, i;

	if (smmua_pci_list(&bdfs, &n))
		return -1;
	for (i = 0; i < n && found < 0; i++) {
		if (smmua_pci_read(&bdfs[i], &d) || d.vendor != TL_EDU_VENDOR ||
		    d.device != TL_EDU_DEVICE)
			continue;
		if (!memcmp(&bdfs[i], &want, sizeof(want)))
			found = idx;
		idx++;
	}
	free(bdfs);
	return found;
}

static void driver_of(const char *name, char *buf, size_t len)
{
	struct smmu_assign_bdf b = tl_bdf(name);

	if (smmua_pci_driver(&b, buf, len))
		buf[0] = '\0';
}

/*
 * Leave name with no binding, on no driver, without override or takeover
 * record, whichever driver apply or the test put it on.
 */
static void free_dev(const char *name)
{
	struct smmu_assign_bdf b = tl_bdf(name);
	char drv[SMMUA_DRIVER_LEN], path[128];

	tl_drop_binding(&b);
	smmua_pci_giveback(&b, NULL, 0);
	driver_of(name, drv, sizeof(drv));
	if (drv[0]) {
		snprintf(path, sizeof(path), "/sys/bus/pci/drivers/%s/unbind", drv);
		tl_write_file(path, name);
	}
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver_override", name);
	tl_write_file(path, "\n");
	snprintf(path, sizeof(path), SMMUA_STATE_DIR "/%s.driver", name);
	unlink(path);
}

/* Whether name is as apply makes it: on the stub, bound so, delegated so. */
static bool applied(struct __test_metadata *_metadata, const char *name, __u64 iova,
		    const char *space, __u32 uid, __u32 gid)
{
	struct smmu_assign_bdf b = tl_bdf(name);
	char drv[SMMUA_DRIVER_LEN];
	struct smmu_assign_query q;
	int fd, ret;

	driver_of(name, drv, sizeof(drv));
	EXPECT_STREQ(SMMUA_STUB_DRIVER, drv);
	fd = smmua_open();
	EXPECT_LE(0, fd);
	if (fd < 0)
		return false;
	ret = smmua_query(fd, &b, &q);
	close(fd);
	EXPECT_EQ(0, ret) TH_LOG("%s is not bound", name);
	if (ret)
		return false;
	EXPECT_TRUE(q.out_state & SMMU_ASSIGN_STATE_PERSISTENT);
	EXPECT_FALSE(q.out_state & SMMU_ASSIGN_STATE_OWNED);
	EXPECT_EQ(iova, q.out_window_iova);
	EXPECT_EQ(WIN_LEN, q.out_window_length);
	EXPECT_EQ(0, strncmp(space, q.out_space_name, SMMU_ASSIGN_SPACE_NAME_LEN));
	EXPECT_EQ(uid, q.out_delegate_uid);
	EXPECT_EQ(gid, q.out_delegate_gid);
	return !strcmp(drv, SMMUA_STUB_DRIVER) && q.out_window_iova == iova &&
	       q.out_delegate_uid == uid && q.out_delegate_gid == gid;
}

static bool is_bound(const char *name)
{
	struct smmu_assign_bdf b = tl_bdf(name);
	struct smmu_assign_query q;
	int fd = smmua_open(), ret;

	if (fd < 0)
		return false;
	ret = smmua_query(fd, &b, &q);
	close(fd);
	return !ret;
}

static int run(const char *cmd)
{
	int st = system(cmd);

	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

FIXTURE(apply) {
	char names[TL_MAX_DEVS][SMMUA_BDF_STRLEN];
	int nr;
};

FIXTURE_SETUP(apply)
{
	int i, idx;

	self->nr = tl_find_edus(self->names, TL_MAX_DEVS);
	if (self->nr < 3)
		SKIP(return, "needs three edu devices");
	self->nr = 3;
	for (i = 0; i < self->nr; i++)
		free_dev(self->names[i]);
	ASSERT_EQ(0, run("rm -rf " CONF_DIR " && mkdir -p " CONF_DIR));
	/* A by its address, B by its ID and position, as an admin may write them. */
	idx = edu_index(self->names[1]);
	ASSERT_LE(0, idx);
	ASSERT_EQ(0, put("10-vm.conf",
			 "# smmu-assign devices of the test\n"
			 "%s window=0x%llx:16M space=vm-a user=%d\n"
			 "\n"
			 "%04x:%04x/%d window=0x%llx:16M group=%d   # by ID\n",
			 self->names[0], WIN_A, NOBODY, TL_EDU_VENDOR, TL_EDU_DEVICE, idx,
			 WIN_B, NOGROUP));
}

FIXTURE_TEARDOWN(apply)
{
	int i;

	for (i = 0; i < self->nr; i++)
		free_dev(self->names[i]);
	run("rm -rf " CONF_DIR);
}

static bool state_a_b(struct __test_metadata *_metadata, char names[][SMMUA_BDF_STRLEN])
{
	bool a = applied(_metadata, names[0], WIN_A, "vm-a", NOBODY, SMMU_ASSIGN_NO_ID);
	bool b = applied(_metadata, names[1], WIN_B, "", SMMU_ASSIGN_NO_ID, NOGROUP);

	return a && b;
}

TEST_F(apply, twice_the_second_changes_nothing)
{
	char line[128];

	ASSERT_EQ(0, ctl("apply --config " CONF_DIR));
	EXPECT_NE(NULL, strstr(out_buf, "apply: 2 declared, 2 changed, 0 unchanged, 0 failed"));
	/* Each change is reported, on the device's line. */
	snprintf(line, sizeof(line), "%s (" CONF_DIR "/10-vm.conf:2): (none) -> smmu-assign",
		 self->names[0]);
	EXPECT_NE(NULL, strstr(out_buf, line));
	EXPECT_NE(NULL, strstr(out_buf, "space vm-a; delegated to uid 65534"));
	snprintf(line, sizeof(line), "%s (" CONF_DIR "/10-vm.conf:4): (none) -> smmu-assign",
		 self->names[1]);
	EXPECT_NE(NULL, strstr(out_buf, line));
	ASSERT_TRUE(state_a_b(_metadata, self->names));

	ASSERT_EQ(0, ctl("apply --config " CONF_DIR));
	EXPECT_NE(NULL, strstr(out_buf, "apply: 2 declared, 0 changed, 2 unchanged, 0 failed"));
	snprintf(line, sizeof(line), "%s (" CONF_DIR "/10-vm.conf:2): unchanged", self->names[0]);
	EXPECT_NE(NULL, strstr(out_buf, line));
	EXPECT_TRUE(state_a_b(_metadata, self->names));

	/* JSON says the same. */
	ASSERT_EQ(0, ctl("-j apply --config " CONF_DIR));
	EXPECT_NE(NULL, strstr(out_buf, "\"changed\":0,\"unchanged\":2,\"failed\":0"));
	/* The third device was not declared: apply left it alone. */
	EXPECT_FALSE(is_bound(self->names[2]));
}

TEST_F(apply, state_back_after_module_reload)
{
	const char *ko = getenv("SMMU_ASSIGN_KO");
	char cmd[512];

	if (!ko)
		SKIP(return, "SMMU_ASSIGN_KO is not set");
	ASSERT_EQ(0, ctl("apply --config " CONF_DIR));
	ASSERT_TRUE(state_a_b(_metadata, self->names));

	/* As at a reboot: the module and its persistent bindings go. */
	ASSERT_EQ(0, run("rmmod smmu_assign"));
	snprintf(cmd, sizeof(cmd), "insmod %s", ko);
	ASSERT_EQ(0, run(cmd));
	EXPECT_FALSE(is_bound(self->names[0]));
	EXPECT_FALSE(is_bound(self->names[1]));

	ASSERT_EQ(0, ctl("apply --config " CONF_DIR));
	EXPECT_NE(NULL, strstr(out_buf, "apply: 2 declared, 2 changed, 0 unchanged, 0 failed"));
	EXPECT_TRUE(state_a_b(_metadata, self->names));
	ASSERT_EQ(0, ctl("apply --config " CONF_DIR));
	EXPECT_NE(NULL, strstr(out_buf, "0 changed, 2 unchanged"));
}

TEST_F(apply, malformed_file_refused_nothing_changed)
{
	char where[128];

	ASSERT_EQ(0, ctl("apply --config " CONF_DIR));
	ASSERT_TRUE(state_a_b(_metadata, self->names));

	/* A new window for A, a third device, and a bad line in another file. */
	ASSERT_EQ(0, put("10-vm.conf", "%s window=0x%llx:16M\n%s window=0x%llx:16M\n",
			 self->names[0], WIN_C, self->names[2], WIN_C));
	ASSERT_EQ(0, put("20-more.conf", "# more\n\n%s window=0x%llx\n", self->names[1],
			 WIN_B));
	EXPECT_EQ(1, ctl("apply --config " CONF_DIR));
	snprintf(where, sizeof(where), CONF_DIR "/20-more.conf:3: window '0x%llx': want IOVA:SIZE",
		 WIN_B);
	EXPECT_NE(NULL, strstr(err_buf, where));
	EXPECT_NE(NULL, strstr(err_buf, "nothing applied"));
	EXPECT_EQ(NULL, strstr(out_buf, "->"));
	/* Nothing changed: A keeps its window, the third device was not taken. */
	EXPECT_TRUE(state_a_b(_metadata, self->names));
	EXPECT_FALSE(is_bound(self->names[2]));

	/* Fixed, the new declarations apply: A rebound with its new window. */
	ASSERT_EQ(0, put("20-more.conf", "%s window=0x%llx:16M\n", self->names[1], WIN_B));
	ASSERT_EQ(0, ctl("apply --config " CONF_DIR));
	EXPECT_NE(NULL, strstr(out_buf, "unbound (it was bound otherwise than declared)"));
	snprintf(where, sizeof(where), "%s (" CONF_DIR "/20-more.conf:1): delegation removed",
		 self->names[1]);
	EXPECT_NE(NULL, strstr(out_buf, where));
	EXPECT_TRUE(applied(_metadata, self->names[0], WIN_C, "", SMMU_ASSIGN_NO_ID,
			    SMMU_ASSIGN_NO_ID));
	EXPECT_TRUE(applied(_metadata, self->names[2], WIN_C, "", SMMU_ASSIGN_NO_ID,
			    SMMU_ASSIGN_NO_ID));
}

TEST_F(apply, device_on_a_driver_in_use_needs_force)
{
	char drv[SMMUA_DRIVER_LEN], ovr[128], want[128];
	const char *c = self->names[2];

	if (access("/sys/bus/pci/drivers/pci-stub", F_OK))
		SKIP(return, "pci-stub is not loaded");
	/* On pci-stub as a host driver is: no override, nothing recorded. */
	snprintf(ovr, sizeof(ovr), "/sys/bus/pci/devices/%s/driver_override", c);
	ASSERT_EQ(0, tl_write_file(ovr, "pci-stub"));
	ASSERT_EQ(0, tl_write_file("/sys/bus/pci/drivers_probe", c));
	ASSERT_EQ(0, tl_write_file(ovr, "\n"));
	driver_of(c, drv, sizeof(drv));
	ASSERT_STREQ("pci-stub", drv);
	ASSERT_EQ(0, put("30-c.conf", "%s window=0x%llx:16M\n", c, WIN_C));

	/* Refused, named, left on its driver; the other devices are applied. */
	EXPECT_EQ(1, ctl("apply --config " CONF_DIR));
	snprintf(want, sizeof(want), "%s (" CONF_DIR "/30-c.conf:1): it is on pci-stub", c);
	EXPECT_NE(NULL, strstr(err_buf, want));
	EXPECT_NE(NULL, strstr(err_buf, "--force"));
	EXPECT_NE(NULL, strstr(out_buf, "2 changed, 0 unchanged, 1 failed"));
	driver_of(c, drv, sizeof(drv));
	EXPECT_STREQ("pci-stub", drv);
	EXPECT_FALSE(is_bound(c));
	EXPECT_TRUE(state_a_b(_metadata, self->names));

	/* A dry run says what --force would do, and does nothing. */
	EXPECT_EQ(0, ctl("apply --config " CONF_DIR " --force --dry-run"));
	EXPECT_NE(NULL, strstr(out_buf, "would: pci-stub -> smmu-assign"));
	driver_of(c, drv, sizeof(drv));
	EXPECT_STREQ("pci-stub", drv);

	EXPECT_EQ(0, ctl("apply --config " CONF_DIR " --force"));
	EXPECT_NE(NULL, strstr(out_buf, "pci-stub -> smmu-assign"));
	EXPECT_NE(NULL, strstr(out_buf, "1 changed, 2 unchanged, 0 failed"));
	EXPECT_TRUE(applied(_metadata, c, WIN_C, "", SMMU_ASSIGN_NO_ID, SMMU_ASSIGN_NO_ID));
}

TEST_HARNESS_MAIN
