// SPDX-License-Identifier: GPL-2.0
/*
 * The character device and the ioctl conventions every command shares:
 * size-first structs (short: EINVAL, longer with a non-zero tail: E2BIG,
 * longer with a zero tail: accepted), unknown flags and reserved fields
 * (EOPNOTSUPP), unknown ioctls (ENOTTY), bad pointers (EFAULT).
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "smmu_assign_lib.h"

TEST(devnode_is_root_only_char_device)
{
	struct stat st;

	ASSERT_EQ(0, stat(SMMU_ASSIGN_DEV_PATH, &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(0600, st.st_mode & 07777);
	EXPECT_EQ(0, st.st_uid);
}

FIXTURE(dev) {
	int fd;
};

FIXTURE_SETUP(dev)
{
	self->fd = smmua_open();
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(dev)
{
	close(self->fd);
}

TEST_F(dev, get_info_answers)
{
	struct smmu_assign_get_info info;

	ASSERT_EQ(0, smmua_get_info(self->fd, &info));
	EXPECT_EQ(SMMU_ASSIGN_API_VERSION, info.out_api_version);
	EXPECT_EQ(2, info.out_api_version);
	EXPECT_EQ(sizeof(info), info.size);
	/* Address spaces and whole groups, on every kernel. */
	EXPECT_TRUE(info.out_capabilities & SMMU_ASSIGN_CAP_SPACES);
	EXPECT_TRUE(info.out_capabilities & SMMU_ASSIGN_CAP_GROUPS);
	EXPECT_TRUE(info.out_capabilities & SMMU_ASSIGN_CAP_DEVICE_FD);
	/* Everything but fault records, which only some kernels deliver. */
	EXPECT_EQ(0x3fb, info.out_capabilities & ~SMMU_ASSIGN_CAP_FAULTS);
}

TEST_F(dev, short_struct_is_einval)
{
	struct smmu_assign_get_info info = {};

	/* The first version's size is the minimum; anything below fails. */
	info.size = offsetof(struct smmu_assign_get_info, out_capabilities);
	EXPECT_EQ(-1, ioctl(self->fd, SMMU_ASSIGN_GET_INFO, &info));
	EXPECT_EQ(EINVAL, errno);
	info.size = 0;
	EXPECT_EQ(-1, ioctl(self->fd, SMMU_ASSIGN_GET_INFO, &info));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, info.out_api_version);
}

TEST_F(dev, long_struct_with_zero_tail_is_accepted)
{
	struct {
		struct smmu_assign_get_info info;
		uint64_t future[4];
	} big = {};

	big.info.size = sizeof(big);
	ASSERT_EQ(0, ioctl(self->fd, SMMU_ASSIGN_GET_INFO, &big));
	EXPECT_EQ(SMMU_ASSIGN_API_VERSION, big.info.out_api_version);
	/* The kernel writes no further than it knows. */
	EXPECT_EQ(0, big.future[0]);
}

TEST_F(dev, long_struct_with_nonzero_tail_is_e2big)
{
	struct {
		struct smmu_assign_get_info info;
		uint64_t future[4];
	} big = {};

	big.info.size = sizeof(big);
	big.future[3] = 1;
	EXPECT_EQ(-1, ioctl(self->fd, SMMU_ASSIGN_GET_INFO, &big));
	EXPECT_EQ(E2BIG, errno);
	EXPECT_EQ(0, big.info.out_api_version);
}

TEST_F(dev, unknown_flags_are_eopnotsupp)
{
	struct smmu_assign_get_info info = { .size = sizeof(info) };

	for (unsigned int bit = 0; bit < 32; bit++) {
		info.flags = 1u << bit;
		EXPECT_EQ(-1, ioctl(self->fd, SMMU_ASSIGN_GET_INFO, &info));
		EXPECT_EQ(EOPNOTSUPP, errno);
	}
	EXPECT_EQ(0, info.out_api_version);
}

TEST_F(dev, nonzero_reserved_is_eopnotsupp)
{
	struct smmu_assign_get_info info = { .size = sizeof(info) };

	info.__reserved = 1;
	EXPECT_EQ(-1, ioctl(self->fd, SMMU_ASSIGN_GET_INFO, &info));
	EXPECT_EQ(EOPNOTSUPP, errno);
}

TEST_F(dev, unknown_ioctl_is_enotty)
{
	struct smmu_assign_get_info info = { .size = sizeof(info) };

	/* The next command number, another type, and a VFIO ioctl number. */
	EXPECT_EQ(-1, ioctl(self->fd, _IO(SMMU_ASSIGN_TYPE, SMMU_ASSIGN_CMD_BASE + 0x40), &info));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(self->fd, _IO(SMMU_ASSIGN_TYPE, 0), &info));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(self->fd, _IO(';', 100), &info));
	EXPECT_EQ(ENOTTY, errno);
}

TEST_F(dev, bad_pointer_is_efault)
{
	EXPECT_EQ(-1, ioctl(self->fd, SMMU_ASSIGN_GET_INFO, NULL));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(self->fd, SMMU_ASSIGN_GET_INFO, (void *)8));
	EXPECT_EQ(EFAULT, errno);
}

TEST_HARNESS_MAIN
