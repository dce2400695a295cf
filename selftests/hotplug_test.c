// SPDX-License-Identifier: GPL-2.0
/*
 * Hot-unplug: a bound, mapped device in a hot-pluggable PCIe slot is taken
 * out by the host (QEMU's device_del, through tools/testbed/hotplug-agent.py)
 * while its owner holds it. The slot's device shares its IOMMU group with
 * its root port (on pcieport), and the whole group is bound. The binding
 * ends with the device: the owner reads a DEVICE_GONE record and its calls
 * on the device get ENOENT; its space stays, with the mappings and their
 * pins. Plugged back in, the device binds into that same space from the
 * same file and reaches the mappings at once; closing the file lets every
 * pin go.
 *
 * On a kernel with lockdep (the debug kernel), the device leaves by sysfs
 * remove and comes back by rescan instead: 6.1.192's pciehp reports a
 * circular dependency between its own reset_lock and pci_rescan_remove_lock
 * on every slot power-off, with no smmu-assign code involved, and lockdep
 * then stops checking for the rest of the run. The module sees the same
 * departure either way: the driver's unbind, then the device's deletion.
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
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
/* pciehp waits 5 s after the attention button before it powers off. */
#define SLOT_WAIT_S	30

static bool present(const char *name)
{
	char path[96];
	struct stat st;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", name);
	return !stat(path, &st);
}

static bool wait_presence(const char *name, bool want)
{
	int i;

	for (i = 0; i < SLOT_WAIT_S * 10; i++) {
		if (present(name) == want)
			return true;
		usleep(100000);
	}
	return false;
}

/* Whether lockdep watches this kernel: then the slot is left alone. */
static bool lockdep_on(void)
{
	return !access("/proc/lockdep", F_OK);
}

/* Take @name out, through its slot or (lockdep_on()) by sysfs remove. */
static int unplug(const char *name)
{
	char path[96];

	if (!lockdep_on())
		return tl_hotplug_request("del " TL_HOTPLUG_ID);
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/remove", name);
	return tl_write_file(path, "1");
}

static int replug(void)
{
	if (!lockdep_on())
		return tl_hotplug_request("add " TL_HOTPLUG_ID " " TL_HOTPLUG_BUS);
	return tl_write_file("/sys/bus/pci/rescan", "1");
}

/*
 * Hand a device that has just appeared to the stub. It shows in sysfs
 * before the PCI core lets drivers match it, and a probe asked for before
 * then finds no driver: ask again until one takes it.
 */
static int bind_stub_when_ready(const char *name)
{
	int i, ret = -EIO;

	for (i = 0; i < 50 && ret == -EIO; i++) {
		ret = tl_bind_stub(name);
		if (ret == -EIO)
			usleep(100000);
	}
	return ret;
}

/* One DMA round trip through the space's source and destination mappings. */
static void roundtrip(struct __test_metadata *_metadata, struct tl_edu *e, uint8_t *src,
		      uint8_t *dst, uint32_t seed)
{
	tl_buf_pattern(src, TL_PAGE, seed);
	memset(dst, 0, TL_PAGE);
	ASSERT_EQ(0, tl_edu_round_trip(e, SRC_IOVA, DST_IOVA, DMA_LEN));
	ASSERT_EQ(0, memcmp(src, dst, DMA_LEN));
}

FIXTURE(slot) {
};

FIXTURE_SETUP(slot)
{
}

FIXTURE_TEARDOWN(slot)
{
}

TEST_F_TIMEOUT(slot, device_del_ends_the_binding, 180)
{
	char name[SMMUA_BDF_STRLEN];
	struct smmu_assign_fault_event ev[4];
	struct smmu_assign_bind out;
	struct smmua_space_desc d;
	struct pollfd pfd;
	struct smmu_assign_query q;
	struct smmua_pci_dev pci;
	struct tl_edu e;
	long long pins0, pins;
	uint8_t *src, *dst;
	size_t n;
	int fd, sp;

	if (tl_find_hotplug_edu(name))
		SKIP(return, "no edu in a hot-pluggable slot (run-guest.sh's rp1)");
	e.bdf = tl_bdf(name);
	src = tl_buf_alloc(TL_PAGE, 0);
	dst = tl_buf_alloc(TL_PAGE, 0);
	ASSERT_TRUE(src && dst);
	ASSERT_EQ(0, tl_pins_outstanding(&pins0));
	tl_drop_binding(&e.bdf);
	ASSERT_EQ(0, tl_bind_stub(name));
	ASSERT_EQ(0, smmua_pci_read(&e.bdf, &pci));
	TH_LOG("%s: IOMMU group %d of %d devices", name, pci.iommu_group, pci.group_size);
	ASSERT_EQ(0, tl_edu_open(&e, name));
	fd = smmua_open();
	ASSERT_LE(0, fd);
	/* The root port is a bridge: only the edu is bound with the group. */
	ASSERT_EQ(0, smmua_bind(fd, &e.bdf, 0, WIN_IOVA, WIN_LEN, &out));
	EXPECT_EQ(1, out.out_num_devices);
	sp = out.out_space_id;
	ASSERT_LT(0, sp);
	ASSERT_EQ(0, smmua_map(fd, sp, SMMU_ASSIGN_MAP_READ, src, SRC_IOVA, TL_PAGE));
	ASSERT_EQ(0, smmua_map(fd, sp, RW, dst, DST_IOVA, TL_PAGE));
	roundtrip(_metadata, &e, src, dst, 0x1234);
	tl_edu_close(&e);

	/* The host pulls the device out from under its owner. */
	ASSERT_EQ(0, unplug(name));
	ASSERT_TRUE(wait_presence(name, false)) TH_LOG("%s was not removed", name);

	pfd = (struct pollfd){ .fd = fd, .events = POLLIN };
	ASSERT_EQ(1, poll(&pfd, 1, 5000));
	ASSERT_EQ(0, smmua_read_faults(fd, ev, 4, &n));
	ASSERT_LE(1, n);
	EXPECT_TRUE(ev[n - 1].flags & SMMU_ASSIGN_EVENT_DEVICE_GONE);
	EXPECT_EQ(0, memcmp(&ev[n - 1].bdf, &e.bdf, sizeof(e.bdf)));
	EXPECT_EQ(-ENOENT, smmua_query(fd, &e.bdf, &q));
	EXPECT_EQ(-ENOENT, smmua_unbind(fd, &e.bdf));
	EXPECT_EQ(0, tl_listed(fd, &e.bdf));
	/* The space is the file's: mapped, pinned once, with no device. */
	ASSERT_EQ(0, smmua_space_info(fd, sp, NULL, &d));
	EXPECT_EQ(0, d.num_devices);
	EXPECT_EQ(2, d.info.out_num_mappings);
	smmua_space_desc_free(&d);
	ASSERT_EQ(0, tl_pins_outstanding(&pins));
	EXPECT_EQ(pins0 + 2, pins);

	/* Plugged back in, it is a new device that binds into the same space. */
	ASSERT_EQ(0, replug());
	ASSERT_TRUE(wait_presence(name, true)) TH_LOG("%s did not come back", name);
	ASSERT_EQ(0, bind_stub_when_ready(name));
	ASSERT_EQ(0, tl_edu_open(&e, name));
	ASSERT_EQ(0, smmua_bind_space(fd, &e.bdf, sp, &out));
	EXPECT_EQ(sp, out.out_space_id);
	/* It reaches the mappings made before it was plugged in. */
	roundtrip(_metadata, &e, src, dst, 0x4321);
	tl_edu_close(&e);
	close(fd);
	ASSERT_EQ(0, tl_pins_outstanding(&pins));
	EXPECT_EQ(pins0, pins);
	tl_leave_unbound(name);
	tl_buf_free(src, TL_PAGE);
	tl_buf_free(dst, TL_PAGE);
}

TEST_HARNESS_MAIN
