// SPDX-License-Identifier: GPL-2.0
/*
 * A kernel locked down for confidentiality, as on a Secure Boot server:
 * root may no longer reach a device by sysfs (mmap of resourceN and config
 * writes are EPERM), and the device fd is the way in: its BAR mmap, pread
 * and pwrite, config space and interrupts all work, and so does the
 * example driver (tools/examples/edu-dma), which uses nothing else.
 *
 * Run only by make check's lockdown boot (SMMU_ASSIGN_LOCKDOWN, which has
 * the guest's /init raise the lockdown once its modules are loaded): in
 * any other boot its first test fails.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/pci_regs.h>
#include <linux/vfio.h>

#include "kselftest_harness.h"
#include "smmu_assign_lib.h"
#include "testlib.h"

#define WIN_IOVA	0x1000000ULL
#define WIN_LEN		0x1000000ULL
#define DMA_LEN		1024
#define RW		(SMMU_ASSIGN_MAP_READ | SMMU_ASSIGN_MAP_WRITE)
#define IRQ_MS		3000
#define QUIET_MS	300
#define LOCKDOWN	"/sys/kernel/security/lockdown"

TEST(confidentiality_is_in_force)
{
	char buf[128];

	ASSERT_EQ(0, tl_read_file(LOCKDOWN, buf, sizeof(buf)));
	TH_LOG("%s: %s", LOCKDOWN, buf);
	EXPECT_NE(NULL, strstr(buf, "[confidentiality]"));
}

FIXTURE(locked) {
	char name[SMMUA_BDF_STRLEN];
	struct tl_edu e;
	int fd, dfd;
	uint8_t *buf;
};

FIXTURE_SETUP(locked)
{
	char names[TL_MAX_DEVS][SMMUA_BDF_STRLEN];
	int sp;

	self->fd = self->dfd = -1;
	ASSERT_LE(1, tl_find_edus(names, TL_MAX_DEVS));
	memcpy(self->name, names[0], sizeof(self->name));
	self->e.bdf = tl_bdf(self->name);
	tl_drop_binding(&self->e.bdf);
	/* driver_override and bind are not locked down: only device access is. */
	ASSERT_EQ(0, tl_bind_stub(self->name));
	self->fd = smmua_open();
	ASSERT_LE(0, self->fd);
	sp = tl_bind(self->fd, &self->e.bdf, 0, WIN_IOVA, WIN_LEN);
	ASSERT_LT(0, sp);
	self->buf = tl_buf_alloc(2 * TL_PAGE, 0);
	ASSERT_NE(NULL, self->buf);
	ASSERT_EQ(0, smmua_map(self->fd, sp, RW, self->buf, WIN_IOVA, 2 * TL_PAGE));
}

FIXTURE_TEARDOWN(locked)
{
	tl_edu_close(&self->e);
	if (self->dfd >= 0)
		close(self->dfd);
	if (self->fd >= 0)
		close(self->fd);
	tl_buf_free(self->buf, 2 * TL_PAGE);
	tl_drop_binding(&self->e.bdf);
	tl_leave_unbound(self->name);
}

TEST_F(locked, sysfs_device_access_is_eperm)
{
	char path[128];
	uint16_t cmd;
	int rfd, cfd;
	void *bar;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource0", self->name);
	rfd = open(path, O_RDWR | O_SYNC | O_CLOEXEC);
	ASSERT_LE(0, rfd);
	bar = mmap(NULL, EDU_BAR0_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, rfd, 0);
	EXPECT_EQ(MAP_FAILED, bar);
	EXPECT_EQ(EPERM, errno);
	if (bar != MAP_FAILED)
		munmap(bar, EDU_BAR0_SIZE);
	close(rfd);
	/* Nor may root write its config space there (bus mastering on). */
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/config", self->name);
	cfd = open(path, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, cfd);
	ASSERT_EQ(2, pread(cfd, &cmd, 2, PCI_COMMAND));
	cmd |= PCI_COMMAND_MASTER;
	EXPECT_EQ(-1, pwrite(cfd, &cmd, 2, PCI_COMMAND));
	EXPECT_EQ(EPERM, errno);
	close(cfd);
	EXPECT_EQ(0, tl_pci_master(self->name));
}

TEST_F(locked, device_fd_mmap_pread_and_interrupts_work)
{
	struct tl_edu *e = &self->e;
	uint32_t v;
	int efd;

	self->dfd = smmua_device_fd(self->fd, &e->bdf);
	ASSERT_LE(0, self->dfd);
	/* BAR0 mmapped from the fd, bus mastering by its config region, alive. */
	ASSERT_EQ(0, tl_edu_open_devfd(e, self->name, self->dfd));
	v = 0x10c4ed;
	ASSERT_EQ(0, tl_vfio_write(self->dfd, VFIO_PCI_BAR0_REGION_INDEX, 4, &v, 4));
	ASSERT_EQ(0, tl_vfio_read(self->dfd, VFIO_PCI_BAR0_REGION_INDEX, 4, &v, 4));
	EXPECT_EQ(~0x10c4edu, v);
	EXPECT_EQ(1, tl_pci_master(self->name));

	efd = tl_eventfd();
	ASSERT_LE(0, efd);
	ASSERT_EQ(0, tl_vfio_irq_eventfds(self->dfd, VFIO_PCI_MSI_IRQ_INDEX, 0, 1, &efd));
	tl_buf_pattern(self->buf, TL_PAGE, 21);
	ASSERT_EQ(0, tl_edu_dma_irq(e, WIN_IOVA, DMA_LEN, false));
	EXPECT_EQ(1, tl_eventfd_wait(efd, IRQ_MS));
	edu_irq_ack(&e->dev, EDU_IRQ_DMA);
	ASSERT_EQ(0, tl_edu_dma_irq(e, WIN_IOVA + TL_PAGE, DMA_LEN, true));
	EXPECT_EQ(1, tl_eventfd_wait(efd, IRQ_MS));
	edu_irq_ack(&e->dev, EDU_IRQ_DMA);
	EXPECT_EQ(0, tl_eventfd_wait(efd, QUIET_MS));
	EXPECT_EQ(0, memcmp(self->buf, self->buf + TL_PAGE, DMA_LEN));
	ASSERT_EQ(0, tl_vfio_irq_off(self->dfd, VFIO_PCI_MSI_IRQ_INDEX));
	close(efd);
}

/*
 * The example driver, which reaches its device only through a device fd:
 * MSI, then INTx, runs as well locked down.
 */
TEST(example_driver_runs_locked_down)
{
	char names[TL_MAX_DEVS][SMMUA_BDF_STRLEN], cmd[128];
	static char out[8192];
	struct smmu_assign_bdf bdf;
	int ret;

	ASSERT_LE(1, tl_find_edus(names, TL_MAX_DEVS));
	bdf = tl_bdf(names[0]);
	tl_drop_binding(&bdf);
	ASSERT_EQ(0, tl_bind_stub(names[0]));
	snprintf(cmd, sizeof(cmd), "/usr/bin/edu-dma %s", names[0]);
	ret = tl_run(out, sizeof(out), cmd);
	EXPECT_EQ(0, ret) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "DMA completion by msi interrupt")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "RAM -> device -> RAM through the SMMU, verified"));
	snprintf(cmd, sizeof(cmd), "/usr/bin/edu-dma --irq intx %s", names[0]);
	ret = tl_run(out, sizeof(out), cmd);
	EXPECT_EQ(0, ret) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "DMA completion by intx interrupt")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "RAM -> device -> RAM through the SMMU, verified"));
	tl_leave_unbound(names[0]);
}

TEST_HARNESS_MAIN
