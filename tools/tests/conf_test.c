// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of smmuctl apply's configuration: the lines of
 * /etc/smmu-assign/NAME.conf (devices by BDF or by ID and position, window,
 * space, delegation, driver), and the reading of a directory: file order,
 * the line number of a malformed line, duplicates, all or nothing.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "smmuctl.h"

static struct smmuctl_conf_dev dev;
static char err[4096 + 512];

static int parse(const char *line)
{
	err[0] = '\0';
	return smmuctl_conf_parse_line(line, &dev, err, sizeof(err));
}

static const char *name(void)
{
	static char buf[SMMUCTL_CONF_NAME_LEN];

	smmuctl_conf_dev_name(&dev, buf, sizeof(buf));
	return buf;
}

TEST(blank_and_comments)
{
	EXPECT_EQ(0, parse(""));
	EXPECT_EQ(0, parse("\n"));
	EXPECT_EQ(0, parse("   \t"));
	EXPECT_EQ(0, parse("# a comment\n"));
	EXPECT_EQ(0, parse("   # indented comment window=1:1\n"));
}

TEST(by_bdf)
{
	ASSERT_EQ(1, parse("0000:04:00.0 window=0x10000000:1G\n"));
	EXPECT_FALSE(dev.by_id);
	EXPECT_STREQ("0000:04:00.0", name());
	EXPECT_EQ(0x10000000ULL, dev.iova);
	EXPECT_EQ(1ULL << 30, dev.length);
	EXPECT_STREQ("", dev.space);
	EXPECT_EQ(SMMU_ASSIGN_NO_ID, dev.uid);
	EXPECT_EQ(SMMU_ASSIGN_NO_ID, dev.gid);
	EXPECT_STREQ("smmu-assign", dev.driver);
	/* The short lspci form, and a trailing comment. */
	ASSERT_EQ(1, parse("2:1.3\twindow=4096:4K # the NIC\n"));
	EXPECT_STREQ("0000:02:01.3", name());
	EXPECT_EQ(4096ULL, dev.iova);
}

TEST(by_id)
{
	ASSERT_EQ(1, parse("1234:11e8 window=0x100000:16M"));
	EXPECT_TRUE(dev.by_id);
	EXPECT_EQ(0x1234U, dev.vendor);
	EXPECT_EQ(0x11e8U, dev.device);
	EXPECT_EQ(0U, dev.index);
	EXPECT_STREQ("1234:11e8/0", name());
	ASSERT_EQ(1, parse("8086:A0F/12 window=0x100000:16M"));
	EXPECT_EQ(0x8086U, dev.vendor);
	EXPECT_EQ(0xa0fU, dev.device);
	EXPECT_EQ(12U, dev.index);
	EXPECT_STREQ("8086:0a0f/12", name());
}

TEST(all_keys)
{
	static const char line[] =
		"00:02.0 window=0x100000:16M space=vm-1.a_b user=1000 group=27 driver=vfio-pci\n";

	ASSERT_EQ(1, parse(line));
	EXPECT_STREQ("vm-1.a_b", dev.space);
	EXPECT_EQ(1000U, dev.uid);
	EXPECT_EQ(27U, dev.gid);
	EXPECT_STREQ("vfio-pci", dev.driver);
	/* Keys in any order; uid 0 is an ID like any other. */
	ASSERT_EQ(1, parse("00:02.0 user=0 window=0:4K"));
	EXPECT_EQ(0U, dev.uid);
	EXPECT_EQ(0ULL, dev.iova);
}

TEST(bad_device)
{
	EXPECT_EQ(-EINVAL, parse("junk window=0:4K"));
	EXPECT_NE(NULL, strstr(err, "'junk' is not a device"));
	EXPECT_EQ(-EINVAL, parse("00:20.0 window=0:4K"));
	EXPECT_EQ(-EINVAL, parse("12345:11e8 window=0:4K"));
	EXPECT_EQ(-EINVAL, parse("1234: window=0:4K"));
	EXPECT_EQ(-EINVAL, parse(":11e8 window=0:4K"));
	EXPECT_EQ(-EINVAL, parse("1234:11e8/ window=0:4K"));
	EXPECT_EQ(-EINVAL, parse("1234:11e8/x window=0:4K"));
	EXPECT_EQ(-EINVAL, parse("1234:11e8/0x1 window=0:4K"));
	EXPECT_EQ(-EINVAL, parse("1234:11e8/-1 window=0:4K"));
	EXPECT_EQ(-EINVAL, parse("1234:11e8/1K window=0:4K"));
	EXPECT_EQ(-EINVAL, parse("1234:11g8 window=0:4K"));
}

TEST(bad_options)
{
	EXPECT_EQ(-EINVAL, parse("00:02.0"));
	EXPECT_STREQ("no window=IOVA:SIZE", err);
	EXPECT_EQ(-EINVAL, parse("00:02.0 window"));
	EXPECT_NE(NULL, strstr(err, "not KEY=VALUE"));
	EXPECT_EQ(-EINVAL, parse("00:02.0 =1 window=0:4K"));
	EXPECT_EQ(-EINVAL, parse("00:02.0 window=0:4K colour=blue"));
	EXPECT_NE(NULL, strstr(err, "unknown key 'colour'"));
	EXPECT_EQ(-EINVAL, parse("00:02.0 window=0x100000"));
	EXPECT_STREQ("window '0x100000': want IOVA:SIZE, e.g. 0x100000:16M", err);
	EXPECT_EQ(-EINVAL, parse("00:02.0 window=0x1000z:16M"));
	EXPECT_STREQ("window '0x1000z:16M': want IOVA:SIZE (bad number)", err);
	EXPECT_EQ(-EINVAL, parse("00:02.0 window=0x100000:0"));
	EXPECT_EQ(-EINVAL, parse("00:02.0 window=0xffffffffffffffff:16M"));
	EXPECT_NE(NULL, strstr(err, "wraps around"));
	EXPECT_EQ(-EINVAL, parse("00:02.0 window=0x1ffffffffffffffff:4K"));
	EXPECT_NE(NULL, strstr(err, "number too large"));
	EXPECT_EQ(-EINVAL, parse("00:02.0 window=0:4K space=a/b"));
	EXPECT_EQ(-EINVAL, parse("00:02.0 window=0:4K space=0123456789012345678901234567890123"));
	EXPECT_EQ(-EINVAL, parse("00:02.0 window=0:4K user=qemu"));
	EXPECT_NE(NULL, strstr(err, "numeric ID (id -u NAME)"));
	EXPECT_EQ(-EINVAL, parse("00:02.0 window=0:4K group=-1"));
	EXPECT_EQ(-EINVAL, parse("00:02.0 window=0:4K user=4294967295"));
	EXPECT_EQ(-EINVAL, parse("00:02.0 window=0:4K user=0x10"));
	EXPECT_EQ(-EINVAL, parse("00:02.0 window=0:4K driver=nvme"));
	EXPECT_NE(NULL, strstr(err, "want smmu-assign or vfio-pci"));
}

TEST(long_line)
{
	char line[SMMUCTL_CONF_LINE_MAX + 8];

	memset(line, ' ', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\0';
	memcpy(line, "00:02.0 window=0:4K", 19);
	EXPECT_EQ(-EINVAL, parse(line));
	EXPECT_NE(NULL, strstr(err, "line longer than"));
}

/* A scratch directory of configuration files. */
FIXTURE(dir) {
	char path[64];
};

FIXTURE_SETUP(dir)
{
	snprintf(self->path, sizeof(self->path), "/tmp/conf_test.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->path));
}

FIXTURE_TEARDOWN(dir)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", self->path);
	if (system(cmd))
		TH_LOG("cannot remove %s", self->path);
}

static void put(const char *dir, const char *file, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

TEST_F(dir, files_in_name_order)
{
	struct smmuctl_conf_dev *devs;
	char where[256];
	size_t n;

	put(self->path, "20-b.conf", "# second\n\n1234:11e8/1 window=0x100000:16M\n");
	put(self->path, "10-a.conf", "00:02.0 window=0x100000:16M space=vm1\n");
	/* Not *.conf: ignored, however malformed. */
	put(self->path, "README", "junk\n");
	put(self->path, "30-c.conf.dpkg-old", "junk\n");
	ASSERT_EQ(0, smmuctl_conf_read(self->path, &devs, &n, err, sizeof(err)));
	ASSERT_EQ(2U, n);
	snprintf(where, sizeof(where), "%s/10-a.conf:1", self->path);
	EXPECT_STREQ(where, devs[0].where);
	EXPECT_STREQ("vm1", devs[0].space);
	snprintf(where, sizeof(where), "%s/20-b.conf:3", self->path);
	EXPECT_STREQ(where, devs[1].where);
	EXPECT_TRUE(devs[1].by_id);
	free(devs);
}

TEST_F(dir, malformed_line_refuses_all)
{
	struct smmuctl_conf_dev *devs;
	char want[256];
	size_t n = 99;

	put(self->path, "a.conf", "00:02.0 window=0x100000:16M\n");
	put(self->path, "b.conf", "00:03.0 window=0x100000:16M\n# ok\n00:04.0 window=0x100000\n");
	EXPECT_EQ(-EINVAL, smmuctl_conf_read(self->path, &devs, &n, err, sizeof(err)));
	EXPECT_EQ(NULL, devs);
	EXPECT_EQ(0U, n);
	snprintf(want, sizeof(want), "%s/b.conf:3: window '0x100000'", self->path);
	EXPECT_EQ(0, strncmp(err, want, strlen(want))) TH_LOG("%s", err);
}

TEST_F(dir, duplicates)
{
	struct smmuctl_conf_dev *devs;
	size_t n;

	put(self->path, "a.conf", "00:02.0 window=0x100000:16M\n1234:11e8/1 window=0:4K\n");
	put(self->path, "b.conf", "\n0000:00:02.0 window=0x200000:16M\n");
	EXPECT_EQ(-EINVAL, smmuctl_conf_read(self->path, &devs, &n, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "b.conf:2: 0000:00:02.0 is already declared at "));
	EXPECT_NE(NULL, strstr(err, "a.conf:1"));
	put(self->path, "b.conf", "1234:11E8/1 window=0:4K\n");
	EXPECT_EQ(-EINVAL, smmuctl_conf_read(self->path, &devs, &n, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "1234:11e8/1 is already declared"));
	/* Another position of the same ID is another device. */
	put(self->path, "b.conf", "1234:11e8/2 window=0:4K\n");
	ASSERT_EQ(0, smmuctl_conf_read(self->path, &devs, &n, err, sizeof(err)));
	EXPECT_EQ(3U, n);
	free(devs);
}

TEST_F(dir, one_file_or_none)
{
	struct smmuctl_conf_dev *devs;
	char path[256];
	size_t n;

	put(self->path, "only", "00:02.0 window=0x100000:16M\n");
	snprintf(path, sizeof(path), "%s/only", self->path);
	ASSERT_EQ(0, smmuctl_conf_read(path, &devs, &n, err, sizeof(err)));
	EXPECT_EQ(1U, n);
	free(devs);
	/* No directory at all: nothing declared, no error. */
	snprintf(path, sizeof(path), "%s/absent", self->path);
	ASSERT_EQ(0, smmuctl_conf_read(path, &devs, &n, err, sizeof(err)));
	EXPECT_EQ(0U, n);
	EXPECT_EQ(NULL, devs);
	/* An empty directory likewise. */
	unlink(path);
	snprintf(path, sizeof(path), "%s/empty", self->path);
	ASSERT_EQ(0, mkdir(path, 0755));
	ASSERT_EQ(0, smmuctl_conf_read(path, &devs, &n, err, sizeof(err)));
	EXPECT_EQ(0U, n);
}

TEST_HARNESS_MAIN
