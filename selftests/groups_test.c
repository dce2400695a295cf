// SPDX-License-Identifier: GPL-2.0
/*
 * Whole IOMMU groups. The two edus of the test bed's multi-function slot
 * have no ACS between them, so they form one group: BIND of either binds
 * both, both DMA in the one space, and UNBIND of either ends both. A member
 * on a driver that uses the DMA API (uio_pci_generic) makes BIND EBUSY,
 * and the kernel log names it; while the group is bound, such a driver
 * cannot take a member, and after UNBIND it can. The edu behind the PCIe
 * root port and PCIe-to-PCI bridge shares its group with both: the bridges
 * only forward, are never bound themselves, and may stay on pcieport, but
 * a bridge on another driver (shpchp) blocks the group until handed over.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "smmu_assign_lib.h"
#include "testlib.h"

#define WIN_IOVA	0x1000000ULL
#define WIN_LEN		0x4000000ULL
#define BUF_IOVA	(WIN_IOVA + 0x100000)
#define BUF_PAGES	4
#define DMA_LEN		TL_EDU_DMA_MAX
#define RW		(SMMU_ASSIGN_MAP_READ | SMMU_ASSIGN_MAP_WRITE)
#define CANARY		0x5c

FIXTURE(groups) {
	char names[2][SMMUA_BDF_STRLEN];
	struct tl_edu edu[2];
	int nr;
	char root[TL_MAX_DEVS][SMMUA_BDF_STRLEN];
	struct tl_edu lone;	/* an edu of the root bus, alone in its group */
	int nr_lone;
	int fd;
	struct tl_kmsg kmsg;
	char share_domains[8];
};

FIXTURE_SETUP(groups)
{
	struct smmua_pci_dev pci;
	int i;

	self->fd = -1;
	self->kmsg.fd = -1;
	self->nr = tl_find_grouped_edus(self->names, 2);
	if (self->nr < 2)
		SKIP(return, "needs two edus that share an IOMMU group, found %d", self->nr);
	for (i = 0; i < 2; i++) {
		struct smmu_assign_bdf bdf = tl_bdf(self->names[i]);

		tl_drop_binding(&bdf);
		/* A test that stopped half-way may have left it elsewhere. */
		tl_pci_set_driver(self->names[i], "");
		ASSERT_EQ(0, tl_bind_stub(self->names[i]));
		ASSERT_EQ(0, tl_edu_open(&self->edu[i], self->names[i]));
	}
	ASSERT_EQ(0, smmua_pci_read(&self->edu[0].bdf, &pci));
	ASSERT_EQ(2, pci.group_size) TH_LOG("%s: IOMMU group %d", self->names[0],
					    pci.iommu_group);
	self->nr_lone = tl_edus_take(self->root, &self->lone, 1);
	ASSERT_LE(0, self->nr_lone);
	ASSERT_EQ(0, tl_param_read("share_domains", self->share_domains,
				   sizeof(self->share_domains)));
	self->fd = smmua_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, tl_kmsg_open(&self->kmsg));
}

FIXTURE_TEARDOWN(groups)
{
	int i;

	if (self->fd >= 0)
		close(self->fd);
	if (self->share_domains[0])
		tl_param_write("share_domains", self->share_domains);
	for (i = 0; i < self->nr && i < 2; i++) {
		tl_drop_binding(&self->edu[i].bdf);
		tl_edu_close(&self->edu[i]);
		/* Off uio_pci_generic, with no override, back on the stub. */
		tl_pci_set_driver(self->names[i], "");
		tl_bind_stub(self->names[i]);
	}
	if (self->nr_lone > 0) {
		tl_drop_binding(&self->lone.bdf);
		tl_edu_close(&self->lone);
	}
	tl_kmsg_close(&self->kmsg);
}

#define NEED_UIO() do {								\
	if (!tl_uio_available())						\
		SKIP(return, TL_UIO_DRIVER " is not loaded");			\
} while (0)

/* The bridge the bridged edus sit behind, from sysfs. */
static int bridge_of(const char *name, struct smmu_assign_bdf *bdf)
{
	char path[PATH_MAX], real[PATH_MAX], *parent;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/..", name);
	if (!realpath(path, real))
		return -errno;
	parent = strrchr(real, '/');
	return parent ? smmua_parse_bdf(parent + 1, bdf) : -ENOENT;
}

/* tl_edu_chain() of n devices through the space's mapping at BUF_IOVA; checked. */
static void copy_chain(struct __test_metadata *_metadata, struct tl_edu **e, int n,
		       uint8_t *buf, uint32_t seed)
{
	int ret = tl_edu_chain(e, n, buf, BUF_IOVA, seed);

	EXPECT_EQ(0, ret) TH_LOG("%s", ret > 0 ? e[ret - 1]->name : strerror(-ret));
}

TEST_F_TIMEOUT(groups, bind_of_one_binds_both, 120)
{
	struct tl_edu *both[2] = { &self->edu[0], &self->edu[1] };
	struct smmu_assign_bind out;
	struct smmu_assign_query q;
	struct smmua_space_desc d;
	uint8_t *buf;
	int i, sp;

	buf = tl_buf_alloc(BUF_PAGES * TL_PAGE, CANARY);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, smmua_bind(self->fd, &self->edu[0].bdf, 0, WIN_IOVA, WIN_LEN, &out));
	EXPECT_EQ(2, out.out_num_devices);
	sp = out.out_space_id;
	ASSERT_LT(0, sp);
	for (i = 0; i < 2; i++) {
		EXPECT_EQ(1, tl_listed(self->fd, &self->edu[i].bdf)) TH_LOG("%s", self->names[i]);
		ASSERT_EQ(0, smmua_query(self->fd, &self->edu[i].bdf, &q)) TH_LOG("%s",
										  self->names[i]);
		EXPECT_EQ(2, q.out_num_devices);
		EXPECT_EQ(out.out_group_id, q.out_group_id);
		EXPECT_EQ(sp, q.out_space_id);
		EXPECT_EQ(SMMU_ASSIGN_STATE_OWNED | SMMU_ASSIGN_STATE_MINE, q.out_state);
		/* Each function its own stream ID: the SID is the requester ID. */
		EXPECT_EQ(self->edu[i].sid, q.out_sids[0]);
	}
	ASSERT_EQ(0, smmua_space_info(self->fd, sp, NULL, &d));
	EXPECT_EQ(2, d.num_devices);
	EXPECT_EQ(1, d.info.out_num_domains);
	smmua_space_desc_free(&d);
	/* The other member is bound already, as part of the group. */
	EXPECT_EQ(-EBUSY, smmua_bind(self->fd, &self->edu[1].bdf, 0, WIN_IOVA, WIN_LEN, NULL));

	/* One MAP, and both DMA through it: each reads what the other wrote. */
	ASSERT_EQ(0, smmua_map(self->fd, sp, RW, buf, BUF_IOVA, BUF_PAGES * TL_PAGE));
	copy_chain(_metadata, both, 2, buf, 51);
	both[0] = &self->edu[1];
	both[1] = &self->edu[0];
	copy_chain(_metadata, both, 2, buf, 52);

	/* UNBIND by the other member's BDF ends the group's binding. */
	ASSERT_EQ(0, smmua_unbind(self->fd, &self->edu[1].bdf));
	for (i = 0; i < 2; i++) {
		EXPECT_EQ(-ENOENT, smmua_query(self->fd, &self->edu[i].bdf, &q));
		EXPECT_EQ(0, tl_listed(self->fd, &self->edu[i].bdf));
	}
	/* Its space stays, with its mapping, and takes the group again. */
	ASSERT_EQ(0, smmua_bind_space(self->fd, &self->edu[1].bdf, sp, &out));
	EXPECT_EQ(2, out.out_num_devices);
	copy_chain(_metadata, both, 2, buf, 53);
	tl_buf_free(buf, BUF_PAGES * TL_PAGE);
}

/*
 * A member on a DMA-API driver: BIND of the other is EBUSY, nothing is
 * bound or made, and the kernel log names the member and its driver.
 */
TEST_F_TIMEOUT(groups, member_on_dma_api_driver_makes_bind_ebusy, 60)
{
	char drv[SMMUA_DRIVER_LEN], why[160];
	struct smmu_assign_query q;

	NEED_UIO();
	tl_edu_close(&self->edu[1]);
	ASSERT_EQ(0, tl_pci_set_driver(self->names[1], TL_UIO_DRIVER));
	ASSERT_EQ(0, smmua_pci_driver(&self->edu[1].bdf, drv, sizeof(drv)));
	ASSERT_STREQ(TL_UIO_DRIVER, drv);

	ASSERT_EQ(0, tl_kmsg_mark(&self->kmsg));
	EXPECT_EQ(-EBUSY, smmua_bind(self->fd, &self->edu[0].bdf, 0, WIN_IOVA, WIN_LEN, NULL));
	snprintf(why, sizeof(why), "%s is bound to " TL_UIO_DRIVER, self->names[1]);
	EXPECT_EQ(1, tl_kmsg_wait_text(&self->kmsg, why, 1000))
		TH_LOG("no kernel log line with \"%s\"", why);
	EXPECT_EQ(-ENOENT, smmua_query(self->fd, &self->edu[0].bdf, &q));
	EXPECT_EQ(-ENOENT, smmua_query(self->fd, &self->edu[1].bdf, &q));
	EXPECT_FALSE(tl_has_space(self->fd, 1)) TH_LOG("a refused BIND left a space");

	/* Handed back to the stub, the group binds. */
	ASSERT_EQ(0, tl_pci_set_driver(self->names[1], ""));
	ASSERT_EQ(0, tl_bind_stub(self->names[1]));
	ASSERT_EQ(0, tl_edu_open(&self->edu[1], self->names[1]));
	EXPECT_LT(0, tl_bind(self->fd, &self->edu[0].bdf, 0, WIN_IOVA, WIN_LEN));
	EXPECT_EQ(0, smmua_query(self->fd, &self->edu[1].bdf, &q));
}

/*
 * While the group is bound, a DMA-API driver cannot take a member: the
 * sysfs bind write is EBUSY (the IOMMU core refuses), and the binding is
 * untouched. A member on no driver is bound with the group. After UNBIND
 * the driver takes it.
 */
TEST_F_TIMEOUT(groups, bound_group_refuses_dma_api_driver, 60)
{
	struct tl_edu *both[2] = { &self->edu[0], &self->edu[1] };
	struct smmu_assign_bind out;
	struct smmu_assign_query q;
	char drv[SMMUA_DRIVER_LEN];
	uint8_t *buf;

	NEED_UIO();
	buf = tl_buf_alloc(BUF_PAGES * TL_PAGE, CANARY);
	ASSERT_NE(NULL, buf);
	/* Off the stub, on no driver: it keeps its place in the group. */
	ASSERT_EQ(0, tl_pci_set_driver(self->names[1], ""));
	ASSERT_EQ(0, smmua_bind(self->fd, &self->edu[0].bdf, 0, WIN_IOVA, WIN_LEN, &out));
	EXPECT_EQ(2, out.out_num_devices);
	ASSERT_EQ(0, smmua_query(self->fd, &self->edu[1].bdf, &q));

	EXPECT_EQ(-EBUSY, tl_pci_set_driver(self->names[1], TL_UIO_DRIVER));
	ASSERT_EQ(0, smmua_pci_driver(&self->edu[1].bdf, drv, sizeof(drv)));
	EXPECT_STREQ("", drv);
	/* Still bound, both of them, and both DMA. */
	EXPECT_EQ(0, smmua_query(self->fd, &self->edu[0].bdf, &q));
	EXPECT_EQ(0, smmua_query(self->fd, &self->edu[1].bdf, &q));
	ASSERT_EQ(0, smmua_map(self->fd, out.out_space_id, RW, buf, BUF_IOVA,
			       BUF_PAGES * TL_PAGE));
	copy_chain(_metadata, both, 2, buf, 61);

	ASSERT_EQ(0, smmua_unbind(self->fd, &self->edu[0].bdf));
	tl_edu_close(&self->edu[1]);
	EXPECT_EQ(0, tl_pci_set_driver(self->names[1], TL_UIO_DRIVER));
	ASSERT_EQ(0, smmua_pci_driver(&self->edu[1].bdf, drv, sizeof(drv)));
	EXPECT_STREQ(TL_UIO_DRIVER, drv);
	/* Give it back. */
	ASSERT_EQ(0, tl_pci_set_driver(self->names[1], ""));
	ASSERT_EQ(0, tl_bind_stub(self->names[1]));
	ASSERT_EQ(0, tl_edu_open(&self->edu[1], self->names[1]));
	tl_buf_free(buf, BUF_PAGES * TL_PAGE);
}

/*
 * The bridged group and a group of one device in one space: with
 * share_domains one domain serves both groups (SHARED), without each has
 * its own (MIRRORED). All three devices DMA through one MAP; UNBIND of the
 * bridged group leaves the other's DMA working.
 */
static void two_groups(struct __test_metadata *_metadata, FIXTURE_DATA(groups) *self,
		       bool share)
{
	struct tl_edu *all[3] = { &self->lone, &self->edu[0], &self->edu[1] };
	struct smmu_assign_query q;
	struct smmua_space_desc d;
	uint8_t *buf;
	int sp, i;

	if (self->nr_lone < 1)
		SKIP(return, "needs an edu on the root bus");
	buf = tl_buf_alloc(BUF_PAGES * TL_PAGE, CANARY);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, tl_param_write("share_domains", share ? "Y" : "N"));
	sp = tl_space(self->fd, NULL, WIN_IOVA, WIN_LEN);
	ASSERT_LT(0, sp);
	ASSERT_EQ(0, smmua_map(self->fd, sp, RW, buf, BUF_IOVA, BUF_PAGES * TL_PAGE));
	ASSERT_EQ(0, smmua_bind_space(self->fd, &self->lone.bdf, sp, NULL));
	ASSERT_EQ(0, smmua_bind_space(self->fd, &self->edu[0].bdf, sp, NULL));
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, smmua_query(self->fd, &all[i]->bdf, &q));
		EXPECT_EQ(share ? SMMU_ASSIGN_DOMAIN_SHARED : SMMU_ASSIGN_DOMAIN_MIRRORED,
			  q.out_domain_flags) TH_LOG("%s", all[i]->name);
	}
	ASSERT_EQ(0, smmua_space_info(self->fd, sp, NULL, &d));
	EXPECT_EQ(3, d.num_devices);
	EXPECT_EQ(share ? 1 : 2, d.info.out_num_domains);
	smmua_space_desc_free(&d);
	copy_chain(_metadata, all, 3, buf, share ? 71 : 72);

	ASSERT_EQ(0, smmua_unbind(self->fd, &self->edu[1].bdf));
	ASSERT_EQ(0, smmua_query(self->fd, &self->lone.bdf, &q));
	EXPECT_EQ(0, q.out_domain_flags);
	copy_chain(_metadata, all, 1, buf, share ? 73 : 74);
	tl_buf_free(buf, BUF_PAGES * TL_PAGE);
}

TEST_F_TIMEOUT(groups, two_groups_share_a_domain, 120)
{
	two_groups(_metadata, self, true);
}

TEST_F_TIMEOUT(groups, two_groups_mirrored, 120)
{
	two_groups(_metadata, self, false);
}

/*
 * The edu behind the PCIe-to-PCI bridge: its group has the root port
 * (pcieport) and the bridge too. A bridge on a driver that uses the DMA
 * API (shpchp, where the kernel has SHPC) makes BIND EBUSY, naming it;
 * handed over to the stub, the group binds with its one device, the
 * bridges unbound, and the device DMAs through both. A bridge is never
 * bound by its own BDF.
 */
TEST_F_TIMEOUT(groups, device_behind_a_bridge_binds_its_group, 120)
{
	char name[SMMUA_BDF_STRLEN], bname[SMMUA_BDF_STRLEN], drv[SMMUA_DRIVER_LEN];
	char why[160];
	struct smmu_assign_bdf bdf, bridge;
	struct smmu_assign_bind out;
	struct smmua_pci_dev pci;
	struct tl_edu e, *one[1] = { &e };
	bool handed = false;
	uint8_t *buf;

	if (tl_find_bridged_edu(name))
		SKIP(return, "no edu behind a PCIe-to-PCI bridge");
	bdf = tl_bdf(name);
	tl_drop_binding(&bdf);
	ASSERT_EQ(0, tl_bind_stub(name));
	ASSERT_EQ(0, bridge_of(name, &bridge));
	smmua_format_bdf(&bridge, bname, sizeof(bname));
	ASSERT_EQ(0, smmua_pci_read(&bdf, &pci));
	TH_LOG("%s: IOMMU group %d of %d devices", name, pci.iommu_group, pci.group_size);
	EXPECT_LE(2, pci.group_size);
	ASSERT_EQ(0, smmua_pci_driver(&bridge, drv, sizeof(drv)));
	TH_LOG("the bridge %s is on %s", bname, drv[0] ? drv : "no driver");

	EXPECT_EQ(-EINVAL, smmua_bind(self->fd, &bridge, 0, WIN_IOVA, WIN_LEN, NULL));
	if (drv[0] && strcmp(drv, "pcieport")) {
		ASSERT_EQ(0, tl_kmsg_mark(&self->kmsg));
		EXPECT_EQ(-EBUSY, smmua_bind(self->fd, &bdf, 0, WIN_IOVA, WIN_LEN, NULL));
		snprintf(why, sizeof(why), "%s is bound to %s", bname, drv);
		EXPECT_EQ(1, tl_kmsg_wait_text(&self->kmsg, why, 1000))
			TH_LOG("no kernel log line with \"%s\"", why);
		/* As the log says: hand it over. */
		ASSERT_EQ(0, smmua_pci_takeover(&bridge, SMMUA_STUB_DRIVER, NULL, 0));
		handed = true;
	}
	EXPECT_FALSE(tl_has_space(self->fd, 1)) TH_LOG("a refused BIND left a space");

	ASSERT_EQ(0, smmua_bind(self->fd, &bdf, 0, WIN_IOVA, WIN_LEN, &out));
	EXPECT_EQ(1, out.out_num_devices);
	EXPECT_EQ(pci.iommu_group, out.out_group_id);
	EXPECT_EQ(1, tl_listed(self->fd, &bdf));
	EXPECT_EQ(0, tl_listed(self->fd, &bridge));

	/* Through the bridge: it must decode and forward (bus mastering). */
	buf = tl_buf_alloc(BUF_PAGES * TL_PAGE, CANARY);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, tl_pci_enable(bname));
	ASSERT_EQ(0, tl_edu_open(&e, name));
	ASSERT_EQ(0, smmua_map(self->fd, out.out_space_id, RW, buf, BUF_IOVA,
			       BUF_PAGES * TL_PAGE));
	copy_chain(_metadata, one, 1, buf, 81);
	tl_edu_close(&e);
	EXPECT_EQ(0, smmua_unbind(self->fd, &bdf));
	EXPECT_EQ(0, tl_leave_unbound(name));
	if (handed)
		EXPECT_EQ(0, smmua_pci_giveback(&bridge, NULL, 0));
	tl_buf_free(buf, BUF_PAGES * TL_PAGE);
}

TEST_HARNESS_MAIN
