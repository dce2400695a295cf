// SPDX-License-Identifier: GPL-2.0
/*
 * MSI isolation: like VFIO, BIND refuses a device whose MSIs the platform
 * does not isolate (EPERM, logged) unless the module parameter
 * allow_unsafe_interrupts is set. The test bed's GICv3 has an ITS, which
 * isolates; its GICv2 boot (testbed.msi_isolated=0 on the command line)
 * has none.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "testlib.h"

#define WINDOW		0x100000ULL
#define WINDOW_LEN	(16ULL << 20)

static bool msi_isolated(void)
{
	char cmdline[1024] = "";
	FILE *f = fopen("/proc/cmdline", "r");

	if (f) {
		if (!fgets(cmdline, sizeof(cmdline), f))
			cmdline[0] = '\0';
		fclose(f);
	}
	return !strstr(cmdline, "testbed.msi_isolated=0");
}

FIXTURE(msi) {
	char name[SMMUA_BDF_STRLEN];
	struct smmu_assign_bdf bdf;
	char saved[8];
	int fd;
};

FIXTURE_SETUP(msi)
{
	char names[1][SMMUA_BDF_STRLEN];

	self->fd = -1;
	if (tl_find_edus(names, 1) < 1)
		SKIP(return, "needs an edu device");
	memcpy(self->name, names[0], sizeof(self->name));
	self->bdf = tl_bdf(self->name);
	ASSERT_EQ(0, tl_bind_stub(self->name));
	ASSERT_EQ(0, tl_param_read("allow_unsafe_interrupts", self->saved, sizeof(self->saved)));
	self->fd = smmua_open();
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(msi)
{
	if (self->fd >= 0)
		close(self->fd);
	if (self->saved[0])
		tl_param_write("allow_unsafe_interrupts", self->saved);
}

TEST_F(msi, unisolated_msis_are_refused_unless_allowed)
{
	struct tl_kmsg k;
	char why[64];
	int ret;

	ASSERT_EQ(0, tl_param_write("allow_unsafe_interrupts", "N"));
	ASSERT_EQ(0, tl_kmsg_open(&k));
	ret = smmua_bind(self->fd, &self->bdf, 0, WINDOW, WINDOW_LEN, NULL);
	if (msi_isolated()) {
		EXPECT_EQ(0, ret);
	} else {
		EXPECT_EQ(-EPERM, ret);
		snprintf(why, sizeof(why), "%s: MSIs are not isolated", self->name);
		EXPECT_EQ(1, tl_kmsg_wait_text(&k, why, 1000));
	}
	tl_kmsg_close(&k);
	if (!ret)
		ASSERT_EQ(0, smmua_unbind(self->fd, &self->bdf));

	/* The administrator's override: BIND then works everywhere. */
	ASSERT_EQ(0, tl_param_write("allow_unsafe_interrupts", "Y"));
	EXPECT_EQ(0, smmua_bind(self->fd, &self->bdf, 0, WINDOW, WINDOW_LEN, NULL));
	EXPECT_EQ(0, smmua_unbind(self->fd, &self->bdf));
}

TEST_HARNESS_MAIN
