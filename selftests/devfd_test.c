// SPDX-License-Identifier: GPL-2.0
/*
 * The device fd (SMMU_ASSIGN_DEVICE_FD): a bound device's file that speaks
 * VFIO's device ABI. Each test proves an effect the device really shows:
 * bytes it moved by DMA, an interrupt that really arrived (an eventfd's
 * count, the kernel's own count in /proc/interrupts), the real config space
 * read through sysfs behind the virtual one. The devices are reached only
 * through the device fd, never through sysfs resource files.
 *
 * The edus on the root bus have INTx and one MSI vector and no reset
 * method; the edu in the hot-pluggable slot can be reset through its root
 * port (a bus reset); the NVMe controller has MSI-X and FLR and is driven
 * from here through its admin queue; the ivshmem's BAR2 is RAM, the peer
 * an edu DMAs into. run-guest.sh puts them all on the emulated server.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/pci_regs.h>
#include <linux/vfio.h>

#include "kselftest_harness.h"
#include "smmu_assign_lib.h"
#include "testlib.h"

#define WIN_IOVA	0x1000000ULL
#define WIN_LEN		0x1000000ULL
/* The edu fixture's buffer: a source page, then a destination page. */
#define BUF_PAGES	2
#define SRC_IOVA	WIN_IOVA
#define DST_IOVA	(WIN_IOVA + TL_PAGE)
/* Where the ivshmem BAR is mapped for an edu: clear of the buffer. */
#define P2P_IOVA	(WIN_IOVA + 0x100000)
#define DMA_LEN		1024
#define RW		(SMMU_ASSIGN_MAP_READ | SMMU_ASSIGN_MAP_WRITE)
#define CFG		VFIO_PCI_CONFIG_REGION_INDEX
#define NOBODY		65534
/* An interrupt the device raised shows within this; DMAs finished before. */
#define IRQ_MS		3000
/* How long to listen for an interrupt that must not come. */
#define QUIET_MS	300
/* REQ comes as soon as the removal starts, and again every 10 s. */
#define REQ_MS		15000

#define NVME_VENDOR	0x1b36
#define NVME_DEVICE	0x0010
#define IVSHMEM_VENDOR	0x1af4
#define IVSHMEM_DEVICE	0x1110

/* The name /proc/interrupts gives a vector vfio-pci requested. */
static void irq_name(char *buf, size_t len, const char *what, const char *bdf)
{
	snprintf(buf, len, "%s(%s)", what, bdf);
}

/* A capability of the (virtual) config space the device fd shows; 0 if none. */
static int find_cap(int dfd, uint8_t id)
{
	uint16_t status;
	uint8_t pos, hdr[2];
	int n;

	if (tl_vfio_read(dfd, CFG, PCI_STATUS, &status, 2) || !(status & PCI_STATUS_CAP_LIST))
		return 0;
	if (tl_vfio_read(dfd, CFG, PCI_CAPABILITY_LIST, &pos, 1))
		return 0;
	for (n = 0; pos && n < 48; n++) {
		pos &= ~3;
		if (tl_vfio_read(dfd, CFG, pos, hdr, 2))
			return 0;
		if (hdr[0] == id)
			return pos;
		pos = hdr[1];
	}
	return 0;
}

/* The sizes sysfs gives the device's BARs and ROM (the first 7 lines of resource). */
static int sysfs_sizes(const char *bdf, uint64_t size[7])
{
	unsigned long long start, end, flags;
	char path[128], line[128];
	FILE *f;
	int i;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource", bdf);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	for (i = 0; i < 7; i++) {
		if (!fgets(line, sizeof(line), f) ||
		    sscanf(line, "%llx %llx %llx", &start, &end, &flags) != 3) {
			fclose(f);
			return -EIO;
		}
		size[i] = start || end ? end - start + 1 : 0;
	}
	fclose(f);
	return 0;
}

static long sysfs_long(const char *bdf, const char *file)
{
	char path[128], buf[32];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/%s", bdf, file);
	if (tl_read_file(path, buf, sizeof(buf)))
		return -1;
	return strtol(buf, NULL, 0);
}

static int dev_info(int dfd, struct vfio_device_info *info)
{
	memset(info, 0, sizeof(*info));
	info->argsz = sizeof(*info);
	return ioctl(dfd, VFIO_DEVICE_GET_INFO, info) ? -errno : 0;
}

static int irq_info(int dfd, uint32_t index, struct vfio_irq_info *ii)
{
	memset(ii, 0, sizeof(*ii));
	ii->argsz = sizeof(*ii);
	ii->index = index;
	return ioctl(dfd, VFIO_DEVICE_GET_IRQ_INFO, ii) ? -errno : 0;
}

/* ioctl()'s errno, 0 on success. */
static int ioctl_err(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? errno : 0;
}

/* DEVICE_FD as raw as the ioctl: size, flags and the reserved field as given. */
static int device_fd_raw(int fd, const struct smmu_assign_bdf *bdf, uint32_t size,
			 uint32_t flags, uint32_t reserved, uint64_t tail)
{
	struct {
		struct smmu_assign_device_fd cmd;
		uint64_t tail;
	} arg = {
		.cmd = { .size = size, .flags = flags, .bdf = *bdf, .__reserved = reserved },
		.tail = tail,
	};

	if (ioctl(fd, SMMU_ASSIGN_DEVICE_FD, &arg))
		return -errno;
	return arg.cmd.out_fd;
}

static uint32_t query_state(int fd, const struct smmu_assign_bdf *bdf, uint32_t *index,
			    uint32_t *count)
{
	struct smmu_assign_query q;

	if (smmua_query(fd, bdf, &q))
		return ~0u;
	if (index)
		*index = q.out_irq_index;
	if (count)
		*count = q.out_irq_count;
	return q.out_state;
}

/*
 * MMIO with 32-bit accesses only: a BAR mmap is device memory, where
 * memcpy()'s wide, unaligned or cache-zeroing stores fault.
 */
static void mmio_write(volatile void *dst, const void *src, size_t len)
{
	const uint32_t *s = src;
	size_t i;

	for (i = 0; i < len / 4; i++)
		((volatile uint32_t *)dst)[i] = s[i];
}

static void mmio_read(void *dst, const volatile void *src, size_t len)
{
	uint32_t *d = dst;
	size_t i;

	for (i = 0; i < len / 4; i++)
		d[i] = ((const volatile uint32_t *)src)[i];
}

/* ---- one edu through its device fd ---- */

FIXTURE(devfd) {
	const char *absent;	/* why the test cannot run */
	char names[TL_MAX_DEVS][SMMUA_BDF_STRLEN];
	int nr;
	struct tl_edu e;	/* names[0], through dfd */
	int fd;			/* the owner's /dev/smmu-assign file */
	int dfd;
	uint32_t sp;
	uint8_t *buf;		/* BUF_PAGES at WIN_IOVA, read-write */
	long long pins0;
	char ivs[SMMUA_BDF_STRLEN];	/* the ivshmem, when a test took it */
	int idfd;		/* its device fd */
	volatile uint8_t *bar2;	/* and its BAR2, bar2_len bytes */
	size_t bar2_len;
	mode_t mode;		/* of the node, when a test opened it up */
};

/*
 * A fixture's edu, owned: a file that binds it into a space with BUF_PAGES
 * of *buf mapped at WIN_IOVA, and drives it through a device fd. 0 or a
 * negative errno; what was made stays in the out parameters for teardown.
 */
static int own_edu(const char *name, struct tl_edu *e, int *fd, uint32_t *sp, uint8_t **buf,
		   int *dfd)
{
	int ret;

	e->bdf = tl_bdf(name);
	*fd = smmua_open();
	if (*fd < 0)
		return *fd;
	ret = tl_bind(*fd, &e->bdf, 0, WIN_IOVA, WIN_LEN);
	if (ret < 0)
		return ret;
	*sp = ret;
	*buf = tl_buf_alloc(BUF_PAGES * TL_PAGE, 0);
	if (!*buf)
		return -ENOMEM;
	ret = smmua_map(*fd, *sp, RW, *buf, WIN_IOVA, BUF_PAGES * TL_PAGE);
	if (ret)
		return ret;
	*dfd = smmua_device_fd(*fd, &e->bdf);
	if (*dfd < 0)
		return *dfd;
	return tl_edu_open_devfd(e, name, *dfd);
}

FIXTURE_SETUP(devfd)
{
	int i, ret;

	self->fd = self->dfd = self->idfd = -1;
	self->nr = tl_find_edus(self->names, TL_MAX_DEVS);
	if (self->nr < 1) {
		self->absent = "needs an edu on the root bus";
		return;
	}
	for (i = 0; i < self->nr && i < 2; i++) {
		struct smmu_assign_bdf bdf = tl_bdf(self->names[i]);

		tl_drop_binding(&bdf);
		ASSERT_EQ(0, tl_bind_stub(self->names[i]));
	}
	self->pins0 = tl_pins_now();
	ret = own_edu(self->names[0], &self->e, &self->fd, &self->sp, &self->buf, &self->dfd);
	ASSERT_EQ(0, ret) TH_LOG("%s: %s", self->names[0], strerror(-ret));
}

FIXTURE_TEARDOWN(devfd)
{
	int i;

	if (self->mode)
		chmod(SMMU_ASSIGN_DEV_PATH, self->mode);
	/*
	 * Device fds and their mmaps go first: while one is open, taking its
	 * device off its driver waits for it to close, here forever.
	 */
	tl_edu_close(&self->e);
	if (self->dfd >= 0)
		close(self->dfd);
	if (self->bar2)
		munmap((void *)self->bar2, self->bar2_len);
	if (self->idfd >= 0)
		close(self->idfd);
	if (self->fd >= 0)
		close(self->fd);
	tl_buf_free(self->buf, BUF_PAGES * TL_PAGE);
	for (i = 0; i < self->nr && i < 2; i++) {
		struct smmu_assign_bdf bdf = tl_bdf(self->names[i]);

		tl_drop_binding(&bdf);
		tl_leave_unbound(self->names[i]);
	}
	if (self->ivs[0]) {
		struct smmu_assign_bdf bdf = tl_bdf(self->ivs);

		tl_drop_binding(&bdf);
		tl_leave_unbound(self->ivs);
	}
}

#define NEED(absent) do {						\
	if (absent)							\
		SKIP(return, "%s", absent);				\
} while (0)

#define NEED_DEVS(n) do {						\
	NEED(self->absent);						\
	TL_NEED_DEVS(self->nr, n);					\
} while (0)

/* SRC's pattern into the device and out to DST, through the space's mappings. */
static int copy_through(struct tl_edu *e, uint8_t *buf, uint32_t seed)
{
	int ret;

	tl_buf_pattern(buf, TL_PAGE, seed);
	memset(buf + TL_PAGE, 0, TL_PAGE);
	ret = tl_edu_to_dev(e, SRC_IOVA, DMA_LEN);
	if (!ret)
		ret = tl_edu_to_ram(e, DST_IOVA, DMA_LEN);
	if (ret)
		return ret;
	return memcmp(buf, buf + TL_PAGE, DMA_LEN) ? -EIO : 0;
}

TEST_F(devfd, intx_one_count_per_dma_masked_until_unmask)
{
	struct tl_edu *e = &self->e;
	uint32_t index, count;
	int efd, i;

	NEED_DEVS(1);
	efd = tl_eventfd();
	ASSERT_LE(0, efd);
	ASSERT_EQ(0, tl_vfio_irq_eventfds(self->dfd, VFIO_PCI_INTX_IRQ_INDEX, 0, 1, &efd));
	ASSERT_NE(~0u, query_state(self->fd, &e->bdf, &index, &count));
	EXPECT_EQ(VFIO_PCI_INTX_IRQ_INDEX, index);
	EXPECT_EQ(1, count);

	/* One DMA, one interrupt; the bytes moved. The kernel masks the line. */
	tl_buf_pattern(self->buf, TL_PAGE, 11);
	memset(self->buf + TL_PAGE, 0, TL_PAGE);
	ASSERT_EQ(0, tl_edu_dma_irq(e, SRC_IOVA, DMA_LEN, false));
	EXPECT_EQ(1, tl_eventfd_wait(efd, IRQ_MS));
	EXPECT_EQ(EDU_IRQ_DMA, edu_irq_status(&e->dev));
	edu_irq_ack(&e->dev, EDU_IRQ_DMA);

	/* The device raises it again, but the line stays masked: nothing comes. */
	ASSERT_EQ(0, tl_edu_dma_irq(e, DST_IOVA, DMA_LEN, true));
	EXPECT_EQ(0, memcmp(self->buf, self->buf + TL_PAGE, DMA_LEN));
	EXPECT_EQ(EDU_IRQ_DMA, edu_irq_status(&e->dev));
	EXPECT_EQ(0, tl_eventfd_wait(efd, QUIET_MS));

	/* Unmasked while the device still asserts it: delivered, masked again. */
	ASSERT_EQ(0, tl_vfio_intx_unmask(self->dfd));
	EXPECT_EQ(1, tl_eventfd_wait(efd, IRQ_MS));
	EXPECT_EQ(0, tl_eventfd_wait(efd, QUIET_MS));

	/* Acked first, then unmasked: the line is low and nothing comes... */
	edu_irq_ack(&e->dev, EDU_IRQ_DMA);
	ASSERT_EQ(0, tl_vfio_intx_unmask(self->dfd));
	EXPECT_EQ(0, tl_eventfd_wait(efd, QUIET_MS));
	/* ...until each next DMA: exactly one count each. */
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, tl_edu_dma_irq(e, DST_IOVA, DMA_LEN, true));
		EXPECT_EQ(1, tl_eventfd_wait(efd, IRQ_MS)) TH_LOG("DMA %d", i);
		edu_irq_ack(&e->dev, EDU_IRQ_DMA);
		ASSERT_EQ(0, tl_vfio_intx_unmask(self->dfd));
	}
	EXPECT_EQ(0, tl_eventfd_wait(efd, QUIET_MS));

	ASSERT_EQ(0, tl_vfio_irq_off(self->dfd, VFIO_PCI_INTX_IRQ_INDEX));
	ASSERT_NE(~0u, query_state(self->fd, &e->bdf, &index, &count));
	EXPECT_EQ(VFIO_PCI_NUM_IRQS, index);
	EXPECT_EQ(0, count);
	close(efd);
}

TEST_F(devfd, msi_one_count_per_dma)
{
	struct tl_edu *e = &self->e;
	long long before, after;
	uint32_t index, count;
	char name[64];
	int efd, i;

	NEED_DEVS(1);
	irq_name(name, sizeof(name), "vfio-msi[0]", e->name);
	efd = tl_eventfd();
	ASSERT_LE(0, efd);
	EXPECT_EQ(-ENOENT, tl_irq_count(name));
	ASSERT_EQ(0, tl_vfio_irq_eventfds(self->dfd, VFIO_PCI_MSI_IRQ_INDEX, 0, 1, &efd));
	ASSERT_NE(~0u, query_state(self->fd, &e->bdf, &index, &count));
	EXPECT_EQ(VFIO_PCI_MSI_IRQ_INDEX, index);
	EXPECT_EQ(1, count);
	/* The real MSI capability is on: the device signals by MSI, not INTx. */
	before = tl_irq_count(name);
	ASSERT_LE(0, before);

	for (i = 0; i < 4; i++) {
		ASSERT_EQ(0, tl_edu_dma_irq(e, i & 1 ? DST_IOVA : SRC_IOVA, DMA_LEN, i & 1));
		EXPECT_EQ(1, tl_eventfd_wait(efd, IRQ_MS)) TH_LOG("DMA %d", i);
		edu_irq_ack(&e->dev, EDU_IRQ_DMA);
	}
	EXPECT_EQ(0, tl_eventfd_wait(efd, QUIET_MS));
	/* The kernel took exactly those, on the vector vfio-pci requested. */
	after = tl_irq_count(name);
	EXPECT_EQ(before + 4, after);

	ASSERT_EQ(0, tl_vfio_irq_off(self->dfd, VFIO_PCI_MSI_IRQ_INDEX));
	EXPECT_EQ(-ENOENT, tl_irq_count(name));
	ASSERT_NE(~0u, query_state(self->fd, &e->bdf, &index, &count));
	EXPECT_EQ(VFIO_PCI_NUM_IRQS, index);
	close(efd);
}

/*
 * The eventfd closed right after SET_IRQS: the kernel holds its own
 * reference, takes the interrupts and signals a counter nobody reads, and
 * lets it go when the vector is freed. (kmemleak judges the debug kernel.)
 */
TEST_F(devfd, eventfd_closed_after_set_irqs)
{
	struct tl_edu *e = &self->e;
	static const struct {
		uint32_t index;
		const char *what;
	} kinds[] = {
		{ VFIO_PCI_MSI_IRQ_INDEX, "vfio-msi[0]" },
		{ VFIO_PCI_INTX_IRQ_INDEX, "vfio-intx" },
	};
	long long before, now;
	char name[64];
	int efd, k, i;

	NEED_DEVS(1);
	for (k = 0; k < 2; k++) {
		irq_name(name, sizeof(name), kinds[k].what, e->name);
		efd = tl_eventfd();
		ASSERT_LE(0, efd);
		ASSERT_EQ(0, tl_vfio_irq_eventfds(self->dfd, kinds[k].index, 0, 1, &efd));
		close(efd);
		before = tl_irq_count(name);
		ASSERT_LE(0, before) TH_LOG("%s not requested", name);
		ASSERT_EQ(0, tl_edu_dma_irq(e, SRC_IOVA, DMA_LEN, false));
		for (i = 0; i < IRQ_MS / 20; i++) {
			now = tl_irq_count(name);
			if (now != before)
				break;
			usleep(20 * 1000);
		}
		EXPECT_EQ(before + 1, now) TH_LOG("%s", name);
		edu_irq_ack(&e->dev, EDU_IRQ_DMA);
		/* Freed with its interrupt: vfio-pci drops the eventfd's last reference. */
		ASSERT_EQ(0, tl_vfio_irq_off(self->dfd, kinds[k].index));
		EXPECT_EQ(-ENOENT, tl_irq_count(name));
	}
	/* And the device still works with a fresh one. */
	efd = tl_eventfd();
	ASSERT_LE(0, efd);
	ASSERT_EQ(0, tl_vfio_irq_eventfds(self->dfd, VFIO_PCI_MSI_IRQ_INDEX, 0, 1, &efd));
	ASSERT_EQ(0, tl_edu_dma_irq(e, SRC_IOVA, DMA_LEN, false));
	EXPECT_EQ(1, tl_eventfd_wait(efd, IRQ_MS));
	edu_irq_ack(&e->dev, EDU_IRQ_DMA);
	/* Closing the device fd frees the vector the eventfd is still set on. */
	irq_name(name, sizeof(name), "vfio-msi[0]", e->name);
	tl_edu_close(e);
	close(self->dfd);
	self->dfd = -1;
	EXPECT_EQ(-ENOENT, tl_irq_count(name));
	close(efd);
}

TEST_F(devfd, regions_match_sysfs)
{
	struct vfio_device_info info;
	struct vfio_region_info ri;
	char path[128];
	uint64_t size[7];
	uint16_t ids[2];
	struct stat st;
	uint32_t i;

	NEED_DEVS(1);
	ASSERT_EQ(0, dev_info(self->dfd, &info));
	EXPECT_TRUE(info.flags & VFIO_DEVICE_FLAGS_PCI);
	EXPECT_EQ(VFIO_PCI_NUM_REGIONS, info.num_regions);
	EXPECT_EQ(VFIO_PCI_NUM_IRQS, info.num_irqs);

	ASSERT_EQ(0, sysfs_sizes(self->e.name, size));
	for (i = VFIO_PCI_BAR0_REGION_INDEX; i <= VFIO_PCI_ROM_REGION_INDEX; i++) {
		ASSERT_EQ(0, tl_vfio_region(self->dfd, i, &ri));
		EXPECT_EQ(i, ri.index);
		EXPECT_EQ(TL_VFIO_OFFSET(i), ri.offset);
		EXPECT_EQ(size[i], ri.size) TH_LOG("region %u", i);
		if (!size[i]) {
			EXPECT_EQ(0, ri.flags) TH_LOG("region %u", i);
		}
	}
	/* BAR0 is memory, page-sized: read, write and mmap. */
	ASSERT_EQ(0, tl_vfio_region(self->dfd, VFIO_PCI_BAR0_REGION_INDEX, &ri));
	EXPECT_EQ(VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE |
		  VFIO_REGION_INFO_FLAG_MMAP, ri.flags);

	/* Config space: as big as the kernel's (sysfs's file), read and write only. */
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/config", self->e.name);
	ASSERT_EQ(0, stat(path, &st));
	ASSERT_EQ(0, tl_vfio_region(self->dfd, CFG, &ri));
	EXPECT_EQ(st.st_size, ri.size);
	EXPECT_EQ(TL_VFIO_OFFSET(CFG), ri.offset);
	EXPECT_EQ(VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE, ri.flags);
	/* The device IDs through it are the real ones. */
	ASSERT_EQ(0, tl_vfio_read(self->dfd, CFG, PCI_VENDOR_ID, ids, 4));
	EXPECT_EQ(sysfs_long(self->e.name, "vendor"), ids[0]);
	EXPECT_EQ(sysfs_long(self->e.name, "device"), ids[1]);
	/* edu is not VGA. */
	EXPECT_EQ(-EINVAL, tl_vfio_region(self->dfd, VFIO_PCI_VGA_REGION_INDEX, &ri));
}

TEST_F(devfd, bar0_by_mmap_and_by_pread_is_one_device)
{
	volatile uint32_t *bar = (volatile uint32_t *)self->e.dev.bar0;
	uint32_t v, id;

	NEED_DEVS(1);
	/* edu's identification register: 0xRRrr00ed. */
	ASSERT_EQ(0, tl_vfio_read(self->dfd, VFIO_PCI_BAR0_REGION_INDEX, 0, &id, 4));
	EXPECT_EQ(0xed, id & 0xff);
	EXPECT_EQ(id, bar[0]);
	/* Written through the mmap, read back by pread, and the other way round. */
	bar[1] = 0x5a5a1234;
	ASSERT_EQ(0, tl_vfio_read(self->dfd, VFIO_PCI_BAR0_REGION_INDEX, 4, &v, 4));
	EXPECT_EQ(~0x5a5a1234u, v);
	v = 0x0bad0c0d;
	ASSERT_EQ(0, tl_vfio_write(self->dfd, VFIO_PCI_BAR0_REGION_INDEX, 4, &v, 4));
	EXPECT_EQ(~0x0bad0c0du, bar[1]);
	/* And the DMA engine answers too. */
	EXPECT_EQ(0, copy_through(&self->e, self->buf, 5));
}

/*
 * A BAR address written through the config region stays in vfio-pci's
 * virtual config space: the device keeps its real address (sysfs config
 * and resource), and stays reachable through the fd.
 */
TEST_F(devfd, bar_address_write_is_virtual)
{
	uint32_t real0, real1, v, got;
	uint64_t before[7], after[7];

	NEED_DEVS(1);
	ASSERT_EQ(0, tl_pci_config_read(self->e.name, PCI_BASE_ADDRESS_0, &real0, 4));
	ASSERT_EQ(0, sysfs_sizes(self->e.name, before));

	/* Sizing: all ones reads back the BAR's size mask with its type bits. */
	v = 0xffffffff;
	ASSERT_EQ(0, tl_vfio_write(self->dfd, CFG, PCI_BASE_ADDRESS_0, &v, 4));
	ASSERT_EQ(0, tl_vfio_read(self->dfd, CFG, PCI_BASE_ADDRESS_0, &got, 4));
	EXPECT_EQ((uint32_t)~(EDU_BAR0_SIZE - 1) | (real0 & 0xf), got);
	ASSERT_EQ(0, tl_pci_config_read(self->e.name, PCI_BASE_ADDRESS_0, &real1, 4));
	EXPECT_EQ(real0, real1);

	/* Another address: only the virtual register takes it. */
	v = 0x40000000;
	ASSERT_EQ(0, tl_vfio_write(self->dfd, CFG, PCI_BASE_ADDRESS_0, &v, 4));
	ASSERT_EQ(0, tl_vfio_read(self->dfd, CFG, PCI_BASE_ADDRESS_0, &got, 4));
	EXPECT_EQ(v | (real0 & 0xf), got);
	ASSERT_EQ(0, tl_pci_config_read(self->e.name, PCI_BASE_ADDRESS_0, &real1, 4));
	EXPECT_EQ(real0, real1);
	ASSERT_EQ(0, sysfs_sizes(self->e.name, after));
	EXPECT_EQ(0, memcmp(before, after, sizeof(before)));
	EXPECT_TRUE(edu_alive(&self->e.dev));
	EXPECT_EQ(0, copy_through(&self->e, self->buf, 6));
	tl_vfio_write(self->dfd, CFG, PCI_BASE_ADDRESS_0, &real0, 4);
}

/*
 * MSI is enabled by SET_IRQS only: a config write of the enable bit leaves
 * the real capability off (sysfs shows it), the device keeps signalling
 * INTx, and no MSI vector exists.
 */
TEST_F(devfd, msi_enable_by_config_write_is_refused)
{
	struct tl_edu *e = &self->e;
	uint16_t flags, real;
	char name[64];
	int pos, efd;

	NEED_DEVS(1);
	pos = find_cap(self->dfd, PCI_CAP_ID_MSI);
	ASSERT_LT(0, pos) TH_LOG("edu shows no MSI capability");
	ASSERT_EQ(0, tl_vfio_read(self->dfd, CFG, pos + PCI_MSI_FLAGS, &flags, 2));
	EXPECT_FALSE(flags & PCI_MSI_FLAGS_ENABLE);
	flags |= PCI_MSI_FLAGS_ENABLE;
	ASSERT_EQ(0, tl_vfio_write(self->dfd, CFG, pos + PCI_MSI_FLAGS, &flags, 2));

	ASSERT_EQ(0, tl_pci_config_read(e->name, pos + PCI_MSI_FLAGS, &real, 2));
	EXPECT_FALSE(real & PCI_MSI_FLAGS_ENABLE);
	ASSERT_EQ(0, tl_vfio_read(self->dfd, CFG, pos + PCI_MSI_FLAGS, &flags, 2));
	EXPECT_FALSE(flags & PCI_MSI_FLAGS_ENABLE);

	/* The device's interrupt still goes out on its INTx pin. */
	efd = tl_eventfd();
	ASSERT_LE(0, efd);
	ASSERT_EQ(0, tl_vfio_irq_eventfds(self->dfd, VFIO_PCI_INTX_IRQ_INDEX, 0, 1, &efd));
	ASSERT_EQ(0, tl_edu_dma_irq(e, SRC_IOVA, DMA_LEN, false));
	EXPECT_EQ(1, tl_eventfd_wait(efd, IRQ_MS));
	irq_name(name, sizeof(name), "vfio-msi[0]", e->name);
	EXPECT_EQ(-ENOENT, tl_irq_count(name));
	edu_irq_ack(&e->dev, EDU_IRQ_DMA);
	ASSERT_EQ(0, tl_vfio_irq_off(self->dfd, VFIO_PCI_INTX_IRQ_INDEX));
	close(efd);
}

TEST_F(devfd, mmap_past_the_end_or_of_config_is_einval)
{
	static const struct {
		uint32_t index;
		uint64_t off;
		int mult;	/* length in pages; 0: the whole BAR twice */
		int flags;
	} bad[] = {
		{ VFIO_PCI_BAR0_REGION_INDEX, 0, 0, MAP_SHARED },
		{ VFIO_PCI_BAR0_REGION_INDEX, EDU_BAR0_SIZE, 1, MAP_SHARED },
		{ VFIO_PCI_BAR0_REGION_INDEX, 0, 1, MAP_PRIVATE },
		{ VFIO_PCI_BAR1_REGION_INDEX, 0, 1, MAP_SHARED },
		{ VFIO_PCI_ROM_REGION_INDEX, 0, 1, MAP_SHARED },
		{ VFIO_PCI_CONFIG_REGION_INDEX, 0, 1, MAP_SHARED },
		{ VFIO_PCI_NUM_REGIONS, 0, 1, MAP_SHARED },
	};
	size_t i, len;
	void *p;

	NEED_DEVS(1);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		len = bad[i].mult ? bad[i].mult * TL_PAGE : 2 * EDU_BAR0_SIZE;
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, bad[i].flags, self->dfd,
			 TL_VFIO_OFFSET(bad[i].index) + bad[i].off);
		if (p != MAP_FAILED) {
			munmap(p, len);
			EXPECT_EQ(MAP_FAILED, p) TH_LOG("case %zu: mapped", i);
		} else {
			EXPECT_EQ(EINVAL, errno) TH_LOG("case %zu", i);
		}
	}
	/* The last page of BAR0 alone is fine. */
	p = tl_vfio_mmap(self->dfd, VFIO_PCI_BAR0_REGION_INDEX, EDU_BAR0_SIZE - TL_PAGE, TL_PAGE);
	EXPECT_NE(MAP_FAILED, p);
	if (p != MAP_FAILED)
		munmap(p, TL_PAGE);
}

/* A root-bus edu has no FLR, no PM reset and no bridge of its own to reset. */
TEST_F(devfd, reset_without_a_method_is_einval)
{
	struct vfio_device_info info;

	NEED_DEVS(1);
	ASSERT_EQ(0, dev_info(self->dfd, &info));
	EXPECT_FALSE(info.flags & VFIO_DEVICE_FLAGS_RESET);
	EXPECT_EQ(EINVAL, ioctl_err(self->dfd, VFIO_DEVICE_RESET, NULL));
	EXPECT_EQ(0, copy_through(&self->e, self->buf, 7));
}

TEST_F(devfd, info_region_and_rw_bad_input)
{
	struct vfio_device_info info;
	struct vfio_region_info ri;
	struct vfio_irq_info ii;
	uint32_t v = 0;
	char c;

	NEED_DEVS(1);
	/* argsz below each struct's first fields. */
	memset(&info, 0, sizeof(info));
	info.argsz = offsetof(struct vfio_device_info, num_irqs) + 3;
	EXPECT_EQ(EINVAL, ioctl_err(self->dfd, VFIO_DEVICE_GET_INFO, &info));
	memset(&ri, 0, sizeof(ri));
	ri.argsz = offsetof(struct vfio_region_info, offset) + 7;
	EXPECT_EQ(EINVAL, ioctl_err(self->dfd, VFIO_DEVICE_GET_REGION_INFO, &ri));
	memset(&ii, 0, sizeof(ii));
	ii.argsz = offsetof(struct vfio_irq_info, count) + 3;
	EXPECT_EQ(EINVAL, ioctl_err(self->dfd, VFIO_DEVICE_GET_IRQ_INFO, &ii));

	/* Region and interrupt indexes that do not exist. */
	EXPECT_EQ(-EINVAL, tl_vfio_region(self->dfd, VFIO_PCI_NUM_REGIONS, &ri));
	EXPECT_EQ(-EINVAL, tl_vfio_region(self->dfd, 0xffffffff, &ri));
	EXPECT_EQ(-EINVAL, irq_info(self->dfd, VFIO_PCI_NUM_IRQS, &ii));
	EXPECT_EQ(-EINVAL, irq_info(self->dfd, 0xffffffff, &ii));
	/* ERR is for PCI Express devices; edu is conventional PCI. */
	EXPECT_EQ(-EINVAL, irq_info(self->dfd, VFIO_PCI_ERR_IRQ_INDEX, &ii));

	/* pread and pwrite outside what exists. */
	EXPECT_EQ(-EINVAL, tl_vfio_read(self->dfd, VFIO_PCI_NUM_REGIONS, 0, &v, 4));
	EXPECT_EQ(-EINVAL, tl_vfio_read(self->dfd, VFIO_PCI_BAR1_REGION_INDEX, 0, &v, 4));
	EXPECT_EQ(-EINVAL, tl_vfio_read(self->dfd, VFIO_PCI_BAR0_REGION_INDEX, EDU_BAR0_SIZE,
					&v, 4));
	EXPECT_EQ(-EINVAL, tl_vfio_write(self->dfd, VFIO_PCI_ROM_REGION_INDEX, 0, &v, 4));
	/* A zero-length read is a no-op, wherever it points. */
	EXPECT_EQ(0, pread(self->dfd, &c, 0, TL_VFIO_OFFSET(VFIO_PCI_NUM_REGIONS)));

	/* Nothing changed: the device answers as before. */
	ASSERT_EQ(0, dev_info(self->dfd, &info));
	EXPECT_EQ(VFIO_PCI_NUM_REGIONS, info.num_regions);
	EXPECT_TRUE(edu_alive(&self->e.dev));
	EXPECT_EQ(0, copy_through(&self->e, self->buf, 8));
}

TEST_F(devfd, irq_info_of_edu)
{
	struct vfio_irq_info ii;

	NEED_DEVS(1);
	ASSERT_EQ(0, irq_info(self->dfd, VFIO_PCI_INTX_IRQ_INDEX, &ii));
	EXPECT_EQ(1, ii.count);
	EXPECT_EQ(VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_MASKABLE | VFIO_IRQ_INFO_AUTOMASKED,
		  ii.flags);
	ASSERT_EQ(0, irq_info(self->dfd, VFIO_PCI_MSI_IRQ_INDEX, &ii));
	EXPECT_EQ(1, ii.count);
	EXPECT_EQ(VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE, ii.flags);
	ASSERT_EQ(0, irq_info(self->dfd, VFIO_PCI_MSIX_IRQ_INDEX, &ii));
	EXPECT_EQ(0, ii.count);
	ASSERT_EQ(0, irq_info(self->dfd, VFIO_PCI_REQ_IRQ_INDEX, &ii));
	EXPECT_EQ(1, ii.count);
}

/* A raw vfio_irq_set header, argsz as given, no data. */
static int set_irqs_hdr(int dfd, uint32_t argsz, uint32_t flags, uint32_t index,
			uint32_t start, uint32_t count)
{
	struct {
		struct vfio_irq_set set;
		int32_t data[2];
	} a = {
		.set = { .argsz = argsz, .flags = flags, .index = index, .start = start,
			 .count = count },
		.data = { -1, -1 },
	};

	return ioctl(dfd, VFIO_DEVICE_SET_IRQS, &a) ? errno : 0;
}

#define TRIG	(VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER)

TEST_F(devfd, set_irqs_bad_input_changes_nothing)
{
	const uint32_t full = sizeof(struct vfio_irq_set) + sizeof(int32_t);
	struct tl_edu *e = &self->e;
	int efd, pipefd[2], closed;
	uint32_t index, count;
	char msi[64], intx[64];
	uint8_t yes = 1;

	NEED_DEVS(1);
	irq_name(msi, sizeof(msi), "vfio-msi[0]", e->name);
	irq_name(intx, sizeof(intx), "vfio-intx", e->name);
	efd = tl_eventfd();
	ASSERT_LE(0, efd);
	ASSERT_EQ(0, pipe(pipefd));
	closed = dup(efd);
	ASSERT_LE(0, closed);
	close(closed);

	/* The header itself (vfio_set_irqs_validate_and_prepare()). */
	EXPECT_EQ(EINVAL, set_irqs_hdr(self->dfd, offsetof(struct vfio_irq_set, count) + 3,
				       TRIG, VFIO_PCI_MSI_IRQ_INDEX, 0, 1));
	EXPECT_EQ(EINVAL, set_irqs_hdr(self->dfd, full, TRIG, VFIO_PCI_NUM_IRQS, 0, 1));
	EXPECT_EQ(EINVAL, set_irqs_hdr(self->dfd, full, TRIG | (1 << 6),
				       VFIO_PCI_MSI_IRQ_INDEX, 0, 1));
	EXPECT_EQ(EINVAL, set_irqs_hdr(self->dfd, full, VFIO_IRQ_SET_DATA_NONE |
				       VFIO_IRQ_SET_DATA_BOOL | VFIO_IRQ_SET_ACTION_TRIGGER,
				       VFIO_PCI_MSI_IRQ_INDEX, 0, 1));
	EXPECT_EQ(EINVAL, set_irqs_hdr(self->dfd, full, TRIG, VFIO_PCI_MSI_IRQ_INDEX, 0,
				       0xffffffff));
	/* edu has one MSI vector, one INTx, no MSI-X and no ERR. */
	EXPECT_EQ(EINVAL, set_irqs_hdr(self->dfd, full, TRIG, VFIO_PCI_MSI_IRQ_INDEX, 1, 1));
	EXPECT_EQ(EINVAL, set_irqs_hdr(self->dfd, full + 4, TRIG, VFIO_PCI_MSI_IRQ_INDEX, 0, 2));
	EXPECT_EQ(EINVAL, set_irqs_hdr(self->dfd, full, TRIG, VFIO_PCI_INTX_IRQ_INDEX, 1, 1));
	EXPECT_EQ(EINVAL, set_irqs_hdr(self->dfd, full, TRIG, VFIO_PCI_MSIX_IRQ_INDEX, 0, 1));
	EXPECT_EQ(EINVAL, set_irqs_hdr(self->dfd, full, TRIG, VFIO_PCI_ERR_IRQ_INDEX, 0, 1));
	/* An eventfd promised but not there (argsz short of the data). */
	EXPECT_EQ(EINVAL, set_irqs_hdr(self->dfd, sizeof(struct vfio_irq_set), TRIG,
				       VFIO_PCI_MSI_IRQ_INDEX, 0, 1));
	/* Actions vfio-pci does not have for MSI. */
	EXPECT_EQ(ENOTTY, set_irqs_hdr(self->dfd, full, VFIO_IRQ_SET_DATA_NONE |
				       VFIO_IRQ_SET_ACTION_MASK, VFIO_PCI_MSI_IRQ_INDEX, 0, 1));
	EXPECT_EQ(ENOTTY, set_irqs_hdr(self->dfd, full, VFIO_IRQ_SET_DATA_NONE |
				       VFIO_IRQ_SET_ACTION_MASK | VFIO_IRQ_SET_ACTION_UNMASK,
				       VFIO_PCI_MSI_IRQ_INDEX, 0, 1));
	/*
	 * Enabling MSI with no vector: vfio-pci asks the PCI core for 1 to 0
	 * vectors, and passes on its ERANGE.
	 */
	EXPECT_EQ(ERANGE, set_irqs_hdr(self->dfd, full, TRIG, VFIO_PCI_MSI_IRQ_INDEX, 0, 0));
	/* Unmasking or triggering an INTx that is not enabled. */
	EXPECT_EQ(-EINVAL, tl_vfio_intx_unmask(self->dfd));
	EXPECT_EQ(-EINVAL, tl_vfio_set_irqs(self->dfd, VFIO_IRQ_SET_DATA_BOOL |
					    VFIO_IRQ_SET_ACTION_TRIGGER,
					    VFIO_PCI_INTX_IRQ_INDEX, 0, 1, &yes));

	/* Descriptors that are not eventfds: a pipe, and a closed number. */
	EXPECT_EQ(-EINVAL, tl_vfio_irq_eventfds(self->dfd, VFIO_PCI_INTX_IRQ_INDEX, 0, 1,
						&pipefd[0]));
	EXPECT_EQ(-EBADF, tl_vfio_irq_eventfds(self->dfd, VFIO_PCI_INTX_IRQ_INDEX, 0, 1,
					       &closed));
	EXPECT_EQ(-EINVAL, tl_vfio_irq_eventfds(self->dfd, VFIO_PCI_MSI_IRQ_INDEX, 0, 1,
						&pipefd[0]));
	EXPECT_EQ(-EBADF, tl_vfio_irq_eventfds(self->dfd, VFIO_PCI_MSI_IRQ_INDEX, 0, 1,
					       &closed));
	EXPECT_EQ(-EINVAL, tl_vfio_irq_eventfds(self->dfd, VFIO_PCI_REQ_IRQ_INDEX, 0, 1,
						&pipefd[0]));
	EXPECT_EQ(-EBADF, tl_vfio_irq_eventfds(self->dfd, VFIO_PCI_REQ_IRQ_INDEX, 0, 1,
					       &closed));

	/* None of it enabled anything. */
	ASSERT_NE(~0u, query_state(self->fd, &e->bdf, &index, &count));
	EXPECT_EQ(VFIO_PCI_NUM_IRQS, index);
	EXPECT_EQ(0, count);
	EXPECT_EQ(-ENOENT, tl_irq_count(msi));
	EXPECT_EQ(-ENOENT, tl_irq_count(intx));

	/* With MSI on, what does not fit the state leaves it alone. */
	ASSERT_EQ(0, tl_vfio_irq_eventfds(self->dfd, VFIO_PCI_MSI_IRQ_INDEX, 0, 1, &efd));
	EXPECT_EQ(-EINVAL, tl_vfio_irq_eventfds(self->dfd, VFIO_PCI_INTX_IRQ_INDEX, 0, 1, &efd));
	EXPECT_EQ(EINVAL, set_irqs_hdr(self->dfd, full, TRIG, VFIO_PCI_MSI_IRQ_INDEX, 1, 1));
	EXPECT_EQ(EINVAL, set_irqs_hdr(self->dfd, full, TRIG | (1 << 6),
				       VFIO_PCI_MSI_IRQ_INDEX, 0, 1));
	EXPECT_EQ(ENOTTY, set_irqs_hdr(self->dfd, full, VFIO_IRQ_SET_DATA_NONE |
				       VFIO_IRQ_SET_ACTION_UNMASK, VFIO_PCI_MSI_IRQ_INDEX, 0, 1));
	EXPECT_EQ(-EINVAL, tl_vfio_intx_unmask(self->dfd));
	ASSERT_NE(~0u, query_state(self->fd, &e->bdf, &index, &count));
	EXPECT_EQ(VFIO_PCI_MSI_IRQ_INDEX, index);
	EXPECT_EQ(1, count);
	EXPECT_EQ(-ENOENT, tl_irq_count(intx));
	ASSERT_EQ(0, tl_edu_dma_irq(e, SRC_IOVA, DMA_LEN, false));
	EXPECT_EQ(1, tl_eventfd_wait(efd, IRQ_MS));
	edu_irq_ack(&e->dev, EDU_IRQ_DMA);
	EXPECT_EQ(0, tl_eventfd_wait(efd, QUIET_MS));
	ASSERT_EQ(0, tl_vfio_irq_off(self->dfd, VFIO_PCI_MSI_IRQ_INDEX));
	close(pipefd[0]);
	close(pipefd[1]);
	close(efd);
}

TEST_F(devfd, hot_reset_and_features_are_enotty)
{
	struct vfio_pci_hot_reset hr = { .argsz = sizeof(hr) };
	struct vfio_device_feature feat = {
		.argsz = sizeof(feat),
		.flags = VFIO_DEVICE_FEATURE_PROBE | VFIO_DEVICE_FEATURE_GET,
	};
	struct vfio_group_status gs = { .argsz = sizeof(gs) };

	NEED_DEVS(1);
	EXPECT_EQ(ENOTTY, ioctl_err(self->dfd, VFIO_DEVICE_PCI_HOT_RESET, &hr));
	EXPECT_EQ(ENOTTY, ioctl_err(self->dfd, VFIO_DEVICE_FEATURE, &feat));
	/* A group's ioctl, and the module's own, mean nothing on a device fd. */
	EXPECT_EQ(ENOTTY, ioctl_err(self->dfd, VFIO_GROUP_GET_STATUS, &gs));
	EXPECT_EQ(ENOTTY, ioctl_err(self->dfd, SMMU_ASSIGN_GET_INFO, NULL));
	EXPECT_EQ(0, copy_through(&self->e, self->buf, 9));
}

TEST_F(devfd, device_fd_errors)
{
	struct smmu_assign_bdf other, bad;
	const uint32_t sz = sizeof(struct smmu_assign_device_fd);
	int fd2, dfd2;

	NEED_DEVS(2);
	other = tl_bdf(self->names[1]);
	bad = self->e.bdf;
	bad.function = 8;
	EXPECT_EQ(-EOPNOTSUPP, device_fd_raw(self->fd, &other, sz, 1, 0, 0));
	EXPECT_EQ(-EOPNOTSUPP, device_fd_raw(self->fd, &other, sz, 0, 1, 0));
	EXPECT_EQ(-EINVAL, device_fd_raw(self->fd, &other, sz - 4, 0, 0, 0));
	EXPECT_EQ(-E2BIG, device_fd_raw(self->fd, &other, sz + 8, 0, 0, 1));
	EXPECT_EQ(-EINVAL, device_fd_raw(self->fd, &bad, sz, 0, 0, 0));
	/* On the stub, but bound by no one. */
	EXPECT_EQ(-ENOENT, smmua_device_fd(self->fd, &other));
	/* Bound by another file. */
	fd2 = smmua_open();
	ASSERT_LE(0, fd2);
	ASSERT_LT(0, tl_bind(fd2, &other, 0, WIN_IOVA, WIN_LEN));
	EXPECT_EQ(-EPERM, smmua_device_fd(self->fd, &other));
	/* That file may, once; a larger struct with a zero tail is fine. */
	dfd2 = device_fd_raw(fd2, &other, sz + 8, 0, 0, 0);
	EXPECT_LE(0, dfd2);
	EXPECT_EQ(-EBUSY, smmua_device_fd(fd2, &other));
	/* The device fd is close-on-exec. */
	EXPECT_EQ(FD_CLOEXEC, fcntl(dfd2, F_GETFD) & FD_CLOEXEC);
	if (dfd2 >= 0)
		close(dfd2);
	close(fd2);
	/* Nothing of it is left: the other file's binding ended with it. */
	EXPECT_EQ(-ENOENT, smmua_device_fd(self->fd, &other));
	/* The fixture's own device still works. */
	EXPECT_EQ(0, copy_through(&self->e, self->buf, 10));
}

TEST_F(devfd, one_fd_and_no_unbind_while_open)
{
	struct smmu_assign_bdf other;
	uint32_t state, index, count;
	int dfd2;

	NEED_DEVS(2);
	state = query_state(self->fd, &self->e.bdf, &index, &count);
	ASSERT_NE(~0u, state);
	EXPECT_TRUE(state & SMMU_ASSIGN_STATE_DEVICE_FD);
	EXPECT_EQ(VFIO_PCI_NUM_IRQS, index);
	EXPECT_EQ(0, count);
	EXPECT_EQ(-EBUSY, smmua_device_fd(self->fd, &self->e.bdf));
	EXPECT_EQ(-EBUSY, smmua_unbind(self->fd, &self->e.bdf));
	/* Still bound and working. */
	EXPECT_EQ(0, copy_through(&self->e, self->buf, 12));

	/* Closed (and unmapped: the mmap holds the file too), it may be opened again. */
	tl_edu_close(&self->e);
	close(self->dfd);
	self->dfd = -1;
	state = query_state(self->fd, &self->e.bdf, NULL, NULL);
	EXPECT_FALSE(state & SMMU_ASSIGN_STATE_DEVICE_FD);
	dfd2 = smmua_device_fd(self->fd, &self->e.bdf);
	EXPECT_LE(0, dfd2);
	if (dfd2 >= 0)
		close(dfd2);
	EXPECT_EQ(0, smmua_unbind(self->fd, &self->e.bdf));

	/* A claimed persistent binding cannot be released under its device fd. */
	other = tl_bdf(self->names[1]);
	ASSERT_EQ(0, tl_bind(self->fd, &other, SMMU_ASSIGN_BIND_PERSISTENT, WIN_IOVA, WIN_LEN));
	ASSERT_EQ(0, smmua_claim(self->fd, &other, 0, 0, NULL));
	dfd2 = smmua_device_fd(self->fd, &other);
	ASSERT_LE(0, dfd2);
	EXPECT_EQ(-EBUSY, smmua_claim(self->fd, &other, SMMU_ASSIGN_CLAIM_RELEASE, 0, NULL));
	close(dfd2);
	EXPECT_EQ(0, smmua_claim(self->fd, &other, SMMU_ASSIGN_CLAIM_RELEASE, 0, NULL));
	EXPECT_EQ(0, smmua_unbind(self->fd, &other));
	EXPECT_EQ(0, tl_listed(self->fd, &other));
}

/*
 * The device fd keeps its /dev/smmu-assign file alive: with the file
 * closed, the binding, its space and the pins stay, and the device still
 * reaches the mappings; closing the device fd ends them all.
 */
TEST_F(devfd, device_fd_keeps_the_owner_file_alive)
{
	uint32_t state;
	int fd2;

	NEED_DEVS(1);
	close(self->fd);
	self->fd = -1;
	fd2 = smmua_open();
	ASSERT_LE(0, fd2);
	state = query_state(fd2, &self->e.bdf, NULL, NULL);
	ASSERT_NE(~0u, state) TH_LOG("the binding ended with its file");
	EXPECT_TRUE(state & SMMU_ASSIGN_STATE_OWNED);
	EXPECT_TRUE(state & SMMU_ASSIGN_STATE_DEVICE_FD);
	EXPECT_EQ(0, copy_through(&self->e, self->buf, 13));

	tl_edu_close(&self->e);
	close(self->dfd);
	self->dfd = -1;
	EXPECT_EQ(~0u, query_state(fd2, &self->e.bdf, NULL, NULL));
	EXPECT_EQ(0, tl_listed(fd2, &self->e.bdf));
	EXPECT_EQ(self->pins0, tl_pins_now());
	close(fd2);
}

/*
 * In a process of user NOBODY with no capabilities, given the device fd
 * over a unix socket and nothing else: DMA, interrupts and BAR0 by pread.
 * Exit status 0, or the step that failed.
 */
static int unprivileged(int sock, const char *name, const struct smmu_assign_bdf *bdf)
{
	char path[128];
	struct tl_edu e;
	int dfd, efd, fd;
	uint32_t v;

	dfd = tl_recv_fd(sock);
	if (dfd < 0)
		return 10;
	if (tl_become(NOBODY, NOBODY, 16))
		return 11;
	if (tl_edu_open_devfd(&e, name, dfd))
		return 12;
	efd = tl_eventfd();
	if (efd < 0 || tl_vfio_irq_eventfds(dfd, VFIO_PCI_MSI_IRQ_INDEX, 0, 1, &efd))
		return 13;
	if (tl_edu_dma_irq(&e, SRC_IOVA, DMA_LEN, false) || tl_eventfd_wait(efd, IRQ_MS) != 1)
		return 14;
	edu_irq_ack(&e.dev, EDU_IRQ_DMA);
	if (tl_edu_dma_irq(&e, DST_IOVA, DMA_LEN, true) || tl_eventfd_wait(efd, IRQ_MS) != 1)
		return 15;
	edu_irq_ack(&e.dev, EDU_IRQ_DMA);
	v = 0x600d;
	if (tl_vfio_write(dfd, VFIO_PCI_BAR0_REGION_INDEX, 4, &v, 4) ||
	    tl_vfio_read(dfd, VFIO_PCI_BAR0_REGION_INDEX, 4, &v, 4) || v != ~0x600du)
		return 16;
	/* Nothing else of the device: not by the module, not by sysfs. */
	fd = smmua_open();
	if (fd < 0)
		return 17;
	if (smmua_device_fd(fd, bdf) != -EPERM)
		return 18;
	if (smmua_unbind(fd, bdf) != -EPERM)
		return 19;
	if (smmua_bind(fd, bdf, 0, WIN_IOVA, WIN_LEN, NULL) != -EPERM)
		return 20;
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource0", name);
	if (open(path, O_RDWR) >= 0 || errno != EACCES)
		return 21;
	if (tl_vfio_irq_off(dfd, VFIO_PCI_MSI_IRQ_INDEX))
		return 22;
	return 0;
}

TEST_F_TIMEOUT(devfd, unprivileged_process_drives_the_passed_fd, 60)
{
	int sock[2], status;
	struct stat st;
	pid_t pid;

	NEED_DEVS(1);
	/* As the udev rule does: opening the node grants nothing by itself. */
	ASSERT_EQ(0, stat(SMMU_ASSIGN_DEV_PATH, &st));
	self->mode = st.st_mode & 0777;
	ASSERT_EQ(0, chmod(SMMU_ASSIGN_DEV_PATH, 0666));
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sock));
	tl_buf_pattern(self->buf, TL_PAGE, 14);
	memset(self->buf + TL_PAGE, 0, TL_PAGE);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		/* Only what comes over the socket: not root's file, fd or mmap. */
		tl_edu_close(&self->e);
		close(self->dfd);
		close(self->fd);
		close(sock[0]);
		_exit(unprivileged(sock[1], self->e.name, &self->e.bdf));
	}
	close(sock[1]);
	ASSERT_EQ(0, tl_send_fd(sock[0], self->dfd));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	close(sock[0]);
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status)) TH_LOG("step %d failed (see the test)",
						 WEXITSTATUS(status));
	/* The device moved the bytes the unprivileged process asked for. */
	EXPECT_EQ(0, memcmp(self->buf, self->buf + TL_PAGE, DMA_LEN));
}

/* The number of mappings in space sp of fd, or -1. */
static int nr_mappings(int fd, uint32_t sp)
{
	struct smmua_space_desc d;
	int n;

	if (smmua_space_info(fd, sp, NULL, &d))
		return -1;
	n = d.info.out_num_mappings;
	smmua_space_desc_free(&d);
	return n;
}

/* The ivshmem bound by fd into a space of its own, its device fd and BAR2 mmapped. */
static int take_ivshmem(struct __test_metadata *_metadata, FIXTURE_DATA(devfd) *self, int fd)
{
	struct smmu_assign_bdf ib = tl_bdf(self->ivs);
	struct vfio_region_info ri;
	void *bar2;
	int ret;

	ret = tl_bind(fd, &ib, 0, WIN_IOVA, WIN_LEN);
	if (ret < 0)
		return ret;
	self->idfd = smmua_device_fd(fd, &ib);
	if (self->idfd < 0)
		return self->idfd;
	ret = tl_vfio_region(self->idfd, VFIO_PCI_BAR2_REGION_INDEX, &ri);
	if (ret)
		return ret;
	EXPECT_TRUE(ri.flags & VFIO_REGION_INFO_FLAG_MMAP);
	EXPECT_LE(4 * TL_PAGE, ri.size);
	bar2 = tl_vfio_mmap(self->idfd, VFIO_PCI_BAR2_REGION_INDEX, 0, ri.size);
	if (bar2 == MAP_FAILED)
		return -errno;
	self->bar2 = bar2;
	self->bar2_len = ri.size;
	return 0;
}

static void drop_ivshmem(FIXTURE_DATA(devfd) *self)
{
	munmap((void *)self->bar2, self->bar2_len);
	self->bar2 = NULL;
	close(self->idfd);
	self->idfd = -1;
}

/*
 * Peer to peer: the ivshmem's BAR2 (RAM in QEMU) mmapped through its device
 * fd and MAPped into the edu's space, as MMIO, neither pinned nor charged;
 * the edu DMAs out of it and into it. Only a BAR of this file's own device
 * fds, within its mmap; the mapping goes when that fd closes, and the edu
 * reaches the BAR no more.
 */
TEST_F(devfd, peer_to_peer_dma_through_a_bar)
{
	struct smmu_assign_bdf ib;
	uint8_t expect[DMA_LEN], got[DMA_LEN], canary[DMA_LEN];
	struct smmu_assign_fault_event ev[8];
	long long pins;
	long vmpin;
	int fd2, ret, n;

	NEED_DEVS(1);
	if (tl_find_pci(IVSHMEM_VENDOR, IVSHMEM_DEVICE, self->ivs))
		SKIP(return, "no ivshmem (run-guest.sh)");
	ib = tl_bdf(self->ivs);
	tl_drop_binding(&ib);
	ASSERT_EQ(0, tl_bind_stub(self->ivs));

	/* Another file's device fd: its BAR is not this file's to map. */
	fd2 = smmua_open();
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, take_ivshmem(_metadata, self, fd2));
	EXPECT_EQ(-EPERM, smmua_map(self->fd, self->sp, RW, (void *)self->bar2, P2P_IOVA,
				    TL_PAGE));
	drop_ivshmem(self);
	close(fd2);

	ASSERT_EQ(0, take_ivshmem(_metadata, self, self->fd));
	/* A range that leaves the mmap (and here the BAR). */
	EXPECT_EQ(-EINVAL, smmua_map(self->fd, self->sp, RW, (void *)self->bar2, P2P_IOVA,
				     self->bar2_len + TL_PAGE));
	vmpin = tl_vmpin_kb(0);
	pins = tl_pins_now();
	ret = smmua_map(self->fd, self->sp, RW, (void *)self->bar2, P2P_IOVA, self->bar2_len);
	ASSERT_EQ(0, ret) TH_LOG("MAP of a BAR mmap: %s", strerror(-ret));
	EXPECT_EQ(vmpin, tl_vmpin_kb(0));
	EXPECT_EQ(pins, tl_pins_now());
	EXPECT_EQ(2, nr_mappings(self->fd, self->sp));

	/* The edu reads the BAR... */
	tl_buf_pattern(expect, sizeof(expect), 15);
	mmio_write(self->bar2, expect, DMA_LEN);
	memset(self->buf + TL_PAGE, 0, TL_PAGE);
	ASSERT_EQ(0, tl_edu_to_dev(&self->e, P2P_IOVA, DMA_LEN));
	ASSERT_EQ(0, tl_edu_to_ram(&self->e, DST_IOVA, DMA_LEN));
	EXPECT_EQ(0, memcmp(expect, self->buf + TL_PAGE, DMA_LEN));
	/* ...and writes it, a page further. */
	tl_buf_pattern(self->buf, TL_PAGE, 16);
	ASSERT_EQ(0, tl_edu_to_dev(&self->e, SRC_IOVA, DMA_LEN));
	ASSERT_EQ(0, tl_edu_to_ram(&self->e, P2P_IOVA + TL_PAGE, DMA_LEN));
	mmio_read(got, self->bar2 + TL_PAGE, DMA_LEN);
	EXPECT_EQ(0, memcmp(self->buf, got, DMA_LEN));

	/* Closing the BAR's device fd takes the mapping away. */
	memset(canary, 0x5c, sizeof(canary));
	mmio_write(self->bar2 + 2 * TL_PAGE, canary, DMA_LEN);
	drop_ivshmem(self);
	EXPECT_EQ(1, nr_mappings(self->fd, self->sp));
	tl_buf_pattern(self->buf, TL_PAGE, 17);
	ASSERT_EQ(0, tl_edu_to_dev(&self->e, SRC_IOVA, DMA_LEN));
	ASSERT_EQ(0, tl_edu_to_ram(&self->e, P2P_IOVA + 2 * TL_PAGE, DMA_LEN));
	/* The BAR, seen through a new device fd, kept what it had. */
	self->idfd = smmua_device_fd(self->fd, &ib);
	ASSERT_LE(0, self->idfd);
	self->bar2 = tl_vfio_mmap(self->idfd, VFIO_PCI_BAR2_REGION_INDEX, 0, self->bar2_len);
	ASSERT_NE(MAP_FAILED, self->bar2);
	mmio_read(got, self->bar2 + 2 * TL_PAGE, DMA_LEN);
	EXPECT_EQ(0, memcmp(canary, got, DMA_LEN));
	if (tl_faults_delivered()) {
		n = tl_fault_records(self->fd, ev, 8, 1, 2000);
		EXPECT_LE(1, tl_count_records(ev, n, &self->e.bdf, P2P_IOVA + 2 * TL_PAGE));
	}
}

/* ---- the edu in the hot-pluggable slot: a bus reset through its root port ---- */

FIXTURE(hot) {
	const char *absent;
	char name[SMMUA_BDF_STRLEN];
	struct tl_edu e;
	int fd, dfd;
	uint32_t sp;
	uint8_t *buf;
};

FIXTURE_SETUP(hot)
{
	int ret;

	self->fd = self->dfd = -1;
	if (tl_find_hotplug_edu(self->name)) {
		self->absent = "no edu in a hot-pluggable slot (run-guest.sh's rp1)";
		return;
	}
	self->e.bdf = tl_bdf(self->name);
	tl_drop_binding(&self->e.bdf);
	ASSERT_EQ(0, tl_bind_stub(self->name));
	ret = own_edu(self->name, &self->e, &self->fd, &self->sp, &self->buf, &self->dfd);
	ASSERT_EQ(0, ret) TH_LOG("%s: %s", self->name, strerror(-ret));
}

FIXTURE_TEARDOWN(hot)
{
	tl_edu_close(&self->e);
	if (self->dfd >= 0)
		close(self->dfd);
	if (self->fd >= 0)
		close(self->fd);
	tl_buf_free(self->buf, BUF_PAGES * TL_PAGE);
	if (!self->absent) {
		tl_drop_binding(&self->e.bdf);
		tl_leave_unbound(self->name);
	}
}

TEST_F(hot, reset_keeps_dma_and_interrupts_working)
{
	struct vfio_device_info info;
	char reset_method[64], path[128];
	int efd;

	NEED(self->absent);
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/reset_method", self->name);
	if (!tl_read_file(path, reset_method, sizeof(reset_method)))
		TH_LOG("%s: reset_method %s", self->name, reset_method);
	ASSERT_EQ(0, dev_info(self->dfd, &info));
	EXPECT_TRUE(info.flags & VFIO_DEVICE_FLAGS_RESET);
	efd = tl_eventfd();
	ASSERT_LE(0, efd);
	ASSERT_EQ(0, tl_vfio_irq_eventfds(self->dfd, VFIO_PCI_MSI_IRQ_INDEX, 0, 1, &efd));
	EXPECT_EQ(0, copy_through(&self->e, self->buf, 17));

	ASSERT_EQ(0, ioctl_err(self->dfd, VFIO_DEVICE_RESET, NULL));
	/* The BAR mmap was zapped for the reset and faults back in. */
	EXPECT_TRUE(edu_alive(&self->e.dev));
	/* The config space came back: bus mastering as it was, MSI with it. */
	EXPECT_EQ(1, tl_pci_master(self->name));
	EXPECT_EQ(0, copy_through(&self->e, self->buf, 18));
	ASSERT_EQ(0, tl_edu_dma_irq(&self->e, SRC_IOVA, DMA_LEN, false));
	EXPECT_EQ(1, tl_eventfd_wait(efd, IRQ_MS));
	edu_irq_ack(&self->e.dev, EDU_IRQ_DMA);
	ASSERT_EQ(0, tl_vfio_irq_off(self->dfd, VFIO_PCI_MSI_IRQ_INDEX));
	close(efd);
}

/* ---- the NVMe controller: MSI-X, FLR, driven through its admin queue ---- */

/* Controller registers (NVMe base specification, 3.1). */
#define NVME_REG_CAP	0x00
#define NVME_REG_CC	0x14
#define NVME_REG_CSTS	0x1c
#define NVME_REG_AQA	0x24
#define NVME_REG_ASQ	0x28
#define NVME_REG_ACQ	0x30
#define NVME_REG_DB	0x1000
#define NVME_CC_EN	0x1
/* 64-byte submission and 16-byte completion entries, 4 KiB memory pages. */
#define NVME_CC_CFG	((4 << 20) | (6 << 16))
#define NVME_CSTS_RDY	0x1
#define NVME_CSTS_CFS	0x2
#define NVME_ADM_CREATE_SQ	0x01
#define NVME_ADM_CREATE_CQ	0x05
#define NVME_ADM_IDENTIFY	0x06
#define NVME_CMD_FLUSH	0x00
#define NVME_QD		16
/* The memory the controller reaches: queues and a data page, 4 KiB each. */
#define NV_ASQ		0x0000
#define NV_ACQ		0x1000
#define NV_IOSQ		0x2000
#define NV_IOCQ		0x3000
#define NV_DATA		0x4000
#define NV_BYTES	0x5000
/* MSI-X vectors asked for: the admin queue's 0, the I/O queue's NV_IO_VEC. */
#define NV_VECS		3
#define NV_IO_VEC	2

struct nvme_sqe {
	uint32_t cdw0;		/* opcode, command ID << 16 */
	uint32_t nsid;
	uint32_t rsvd[2];
	uint64_t mptr;
	uint64_t prp1;
	uint64_t prp2;
	uint32_t cdw10, cdw11, cdw12, cdw13, cdw14, cdw15;
};

struct nvme_cqe {
	uint32_t result;
	uint32_t rsvd;
	uint16_t sq_head;
	uint16_t sq_id;
	uint16_t cid;
	uint16_t status;	/* phase tag in bit 0 */
};

FIXTURE(nvme) {
	const char *absent;
	char name[SMMUA_BDF_STRLEN];
	struct smmu_assign_bdf bdf;
	int fd, dfd;
	uint32_t sp;
	uint8_t *mem;
	size_t len;
	uint32_t dstrd;		/* doorbell stride in bytes */
	uint16_t sq_tail[2], cq_head[2], cid;
	int efd[NV_VECS];
};

FIXTURE_SETUP(nvme)
{
	int i, ret;

	self->fd = self->dfd = -1;
	for (i = 0; i < NV_VECS; i++)
		self->efd[i] = -1;
	if (tl_find_pci(NVME_VENDOR, NVME_DEVICE, self->name)) {
		self->absent = "no NVMe controller (run-guest.sh)";
		return;
	}
	self->bdf = tl_bdf(self->name);
	tl_drop_binding(&self->bdf);
	ASSERT_EQ(0, tl_bind_stub(self->name));
	self->fd = smmua_open();
	ASSERT_LE(0, self->fd);
	ret = tl_bind(self->fd, &self->bdf, 0, WIN_IOVA, WIN_LEN);
	ASSERT_LT(0, ret);
	self->sp = ret;
	self->len = (NV_BYTES + TL_PAGE - 1) / TL_PAGE * TL_PAGE;
	self->mem = tl_buf_alloc(self->len, 0);
	ASSERT_NE(NULL, self->mem);
	ASSERT_EQ(0, smmua_map(self->fd, self->sp, RW, self->mem, WIN_IOVA, self->len));
	self->dfd = smmua_device_fd(self->fd, &self->bdf);
	ASSERT_LE(0, self->dfd);
	for (i = 0; i < NV_VECS; i++) {
		self->efd[i] = tl_eventfd();
		ASSERT_LE(0, self->efd[i]);
	}
}

FIXTURE_TEARDOWN(nvme)
{
	int i;

	if (self->dfd >= 0)
		close(self->dfd);
	if (self->fd >= 0)
		close(self->fd);
	for (i = 0; i < NV_VECS; i++)
		if (self->efd[i] >= 0)
			close(self->efd[i]);
	tl_buf_free(self->mem, self->len);
	if (!self->absent) {
		tl_drop_binding(&self->bdf);
		tl_leave_unbound(self->name);
	}
}

/* 32-bit register accesses by pread and pwrite of BAR0 through the fd. */
static uint32_t nvme_rd(int dfd, uint32_t reg)
{
	uint32_t v = ~0u;

	tl_vfio_read(dfd, VFIO_PCI_BAR0_REGION_INDEX, reg, &v, 4);
	return v;
}

static int nvme_wr(int dfd, uint32_t reg, uint32_t v)
{
	return tl_vfio_write(dfd, VFIO_PCI_BAR0_REGION_INDEX, reg, &v, 4);
}

static int nvme_wait_ready(int dfd, bool ready)
{
	int i;

	for (i = 0; i < 500; i++) {
		uint32_t csts = nvme_rd(dfd, NVME_REG_CSTS);

		if (csts == ~0u || (csts & NVME_CSTS_CFS))
			return -EIO;
		if (!!(csts & NVME_CSTS_RDY) == ready)
			return 0;
		usleep(10 * 1000);
	}
	return -ETIMEDOUT;
}

/* Disable, set up the admin queue pair in fresh memory, enable. */
static int nvme_enable(FIXTURE_DATA(nvme) *self)
{
	uint64_t iova = WIN_IOVA;
	int ret;

	nvme_wr(self->dfd, NVME_REG_CC, 0);
	ret = nvme_wait_ready(self->dfd, false);
	if (ret)
		return ret;
	memset(self->mem, 0, self->len);
	memset(self->sq_tail, 0, sizeof(self->sq_tail));
	memset(self->cq_head, 0, sizeof(self->cq_head));
	/* CAP.DSTRD, bits 35:32: doorbells are 4 << DSTRD bytes apart. */
	self->dstrd = 4 << (nvme_rd(self->dfd, NVME_REG_CAP + 4) & 0xf);
	if (nvme_wr(self->dfd, NVME_REG_AQA, (NVME_QD - 1) << 16 | (NVME_QD - 1)) ||
	    nvme_wr(self->dfd, NVME_REG_ASQ, iova + NV_ASQ) ||
	    nvme_wr(self->dfd, NVME_REG_ASQ + 4, (iova + NV_ASQ) >> 32) ||
	    nvme_wr(self->dfd, NVME_REG_ACQ, iova + NV_ACQ) ||
	    nvme_wr(self->dfd, NVME_REG_ACQ + 4, (iova + NV_ACQ) >> 32) ||
	    nvme_wr(self->dfd, NVME_REG_CC, NVME_CC_CFG | NVME_CC_EN))
		return -EIO;
	return nvme_wait_ready(self->dfd, true);
}

/* Queue one command on queue qid (0: admin) and ring its doorbell. */
static int nvme_submit(FIXTURE_DATA(nvme) *self, int qid, struct nvme_sqe *sqe)
{
	uint8_t *sq = self->mem + (qid ? NV_IOSQ : NV_ASQ);

	sqe->cdw0 |= (uint32_t)++self->cid << 16;
	memcpy(sq + self->sq_tail[qid] * sizeof(*sqe), sqe, sizeof(*sqe));
	self->sq_tail[qid] = (self->sq_tail[qid] + 1) % NVME_QD;
	__sync_synchronize();
	return nvme_wr(self->dfd, NVME_REG_DB + 2 * qid * self->dstrd, self->sq_tail[qid]);
}

/*
 * Wait for the interrupt of queue qid's completion on its vector vec:
 * exactly one count there, none on the other vectors. Then take the
 * completion (phase, command ID) and ring the head doorbell. Returns the
 * command's status, or a negative errno.
 */
static int nvme_complete(struct __test_metadata *_metadata, FIXTURE_DATA(nvme) *self,
			 int qid, int vec)
{
	volatile struct nvme_cqe *cq, *cqe;
	long long n;
	int v, status;

	n = tl_eventfd_wait(self->efd[vec], IRQ_MS);
	EXPECT_EQ(1, n) TH_LOG("vector %d: %lld interrupts for one completion", vec, n);
	for (v = 0; v < NV_VECS; v++) {
		if (v != vec)
			EXPECT_EQ(0, tl_eventfd_wait(self->efd[v], 0)) TH_LOG("vector %d", v);
	}
	cq = (volatile struct nvme_cqe *)(self->mem + (qid ? NV_IOCQ : NV_ACQ));
	cqe = &cq[self->cq_head[qid]];
	if (!(cqe->status & 1) || cqe->cid != self->cid)
		return -EIO;
	status = cqe->status >> 1;
	self->cq_head[qid]++;
	if (nvme_wr(self->dfd, NVME_REG_DB + (2 * qid + 1) * self->dstrd, self->cq_head[qid]))
		return -EIO;
	return status;
}

static int nvme_identify(struct __test_metadata *_metadata, FIXTURE_DATA(nvme) *self)
{
	struct nvme_sqe sqe = {
		.cdw0 = NVME_ADM_IDENTIFY,
		.prp1 = WIN_IOVA + NV_DATA,
		.cdw10 = 1,	/* CNS 1: the controller */
	};
	uint16_t vid, ssvid;
	int ret;

	memset(self->mem + NV_DATA, 0, 4096);
	ret = nvme_submit(self, 0, &sqe);
	if (!ret)
		ret = nvme_complete(_metadata, self, 0, 0);
	if (ret)
		return ret;
	/* The data it DMAed: its PCI vendor and subsystem vendor. */
	memcpy(&vid, self->mem + NV_DATA, 2);
	memcpy(&ssvid, self->mem + NV_DATA + 2, 2);
	EXPECT_EQ(sysfs_long(self->name, "vendor"), vid);
	EXPECT_EQ(sysfs_long(self->name, "subsystem_vendor"), ssvid);
	return 0;
}

TEST_F(nvme, region_and_irq_info)
{
	struct vfio_region_info *ri;
	struct vfio_info_cap_header *hdr;
	struct vfio_irq_info ii;
	uint64_t size[7];
	uint32_t table;
	uint16_t flags;
	char buf[512];
	int pos, msix_cap = 0;

	NEED(self->absent);
	ASSERT_EQ(0, sysfs_sizes(self->name, size));
	ri = (struct vfio_region_info *)buf;
	memset(buf, 0, sizeof(buf));
	ri->argsz = sizeof(buf);
	ri->index = VFIO_PCI_BAR0_REGION_INDEX;
	ASSERT_EQ(0, ioctl_err(self->dfd, VFIO_DEVICE_GET_REGION_INFO, ri));
	EXPECT_EQ(size[0], ri->size);
	EXPECT_TRUE(ri->flags & VFIO_REGION_INFO_FLAG_MMAP);

	pos = find_cap(self->dfd, PCI_CAP_ID_MSIX);
	ASSERT_LT(0, pos);
	ASSERT_EQ(0, tl_vfio_read(self->dfd, CFG, pos + PCI_MSIX_FLAGS, &flags, 2));
	ASSERT_EQ(0, tl_vfio_read(self->dfd, CFG, pos + PCI_MSIX_TABLE, &table, 4));
	TH_LOG("%s: MSI-X table of %d in BAR%u at 0x%x", self->name,
	       (flags & PCI_MSIX_FLAGS_QSIZE) + 1, table & PCI_MSIX_TABLE_BIR,
	       table & PCI_MSIX_TABLE_OFFSET);
	/* The MSI-X BAR says how it may be mapped around the table. */
	if ((table & PCI_MSIX_TABLE_BIR) == 0) {
		ASSERT_TRUE(ri->flags & VFIO_REGION_INFO_FLAG_CAPS);
		for (hdr = (void *)(buf + ri->cap_offset); ri->cap_offset;
		     hdr = (void *)(buf + hdr->next)) {
			ASSERT_GT(sizeof(buf), (char *)hdr - buf + sizeof(*hdr));
			if (hdr->id == VFIO_REGION_INFO_CAP_MSIX_MAPPABLE ||
			    hdr->id == VFIO_REGION_INFO_CAP_SPARSE_MMAP)
				msix_cap = hdr->id;
			if (!hdr->next)
				break;
		}
		EXPECT_NE(0, msix_cap);
	}

	ASSERT_EQ(0, irq_info(self->dfd, VFIO_PCI_MSIX_IRQ_INDEX, &ii));
	EXPECT_EQ((flags & PCI_MSIX_FLAGS_QSIZE) + 1, ii.count);
	EXPECT_EQ(VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE, ii.flags);
	/* PCI Express: ERR exists. No MSI capability: no MSI vectors. */
	ASSERT_EQ(0, irq_info(self->dfd, VFIO_PCI_ERR_IRQ_INDEX, &ii));
	EXPECT_EQ(1, ii.count);
	ASSERT_EQ(0, irq_info(self->dfd, VFIO_PCI_MSI_IRQ_INDEX, &ii));
	EXPECT_EQ(0, ii.count);
}

TEST_F(nvme, msix_one_count_per_completion_on_its_vector)
{
	struct nvme_sqe sqe;
	uint32_t index, count;
	int i;

	NEED(self->absent);
	ASSERT_EQ(0, tl_vfio_master(self->dfd, true));
	ASSERT_EQ(0, tl_vfio_irq_eventfds(self->dfd, VFIO_PCI_MSIX_IRQ_INDEX, 0, NV_VECS,
					  self->efd));
	ASSERT_NE(~0u, query_state(self->fd, &self->bdf, &index, &count));
	EXPECT_EQ(VFIO_PCI_MSIX_IRQ_INDEX, index);
	EXPECT_EQ(NV_VECS, count);
	ASSERT_EQ(0, nvme_enable(self));

	/* Admin commands complete on the admin queue, whose vector is 0. */
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, nvme_identify(_metadata, self)) TH_LOG("identify %d", i);

	/* An I/O queue pair whose completions interrupt on vector NV_IO_VEC. */
	sqe = (struct nvme_sqe){
		.cdw0 = NVME_ADM_CREATE_CQ,
		.prp1 = WIN_IOVA + NV_IOCQ,
		.cdw10 = (NVME_QD - 1) << 16 | 1,
		.cdw11 = NV_IO_VEC << 16 | 0x2 | 0x1,	/* interrupts on, contiguous */
	};
	ASSERT_EQ(0, nvme_submit(self, 0, &sqe));
	ASSERT_EQ(0, nvme_complete(_metadata, self, 0, 0));
	sqe = (struct nvme_sqe){
		.cdw0 = NVME_ADM_CREATE_SQ,
		.prp1 = WIN_IOVA + NV_IOSQ,
		.cdw10 = (NVME_QD - 1) << 16 | 1,
		.cdw11 = 1 << 16 | 0x1,			/* completions to CQ 1 */
	};
	ASSERT_EQ(0, nvme_submit(self, 0, &sqe));
	ASSERT_EQ(0, nvme_complete(_metadata, self, 0, 0));
	for (i = 0; i < 3; i++) {
		sqe = (struct nvme_sqe){ .cdw0 = NVME_CMD_FLUSH, .nsid = 1 };
		ASSERT_EQ(0, nvme_submit(self, 1, &sqe));
		ASSERT_EQ(0, nvme_complete(_metadata, self, 1, NV_IO_VEC)) TH_LOG("flush %d", i);
	}
	/* And nothing late on any vector. */
	for (i = 0; i < NV_VECS; i++)
		EXPECT_EQ(0, tl_eventfd_wait(self->efd[i], QUIET_MS)) TH_LOG("vector %d", i);

	nvme_wr(self->dfd, NVME_REG_CC, 0);
	ASSERT_EQ(0, tl_vfio_irq_off(self->dfd, VFIO_PCI_MSIX_IRQ_INDEX));
}

/*
 * VFIO_DEVICE_RESET by FLR: the controller comes out disabled (CC.EN 0,
 * not ready), and once enabled again it DMAs through the same mappings
 * and interrupts on the same vectors.
 */
TEST_F(nvme, flr_resets_the_controller)
{
	struct vfio_device_info info;

	NEED(self->absent);
	ASSERT_EQ(0, dev_info(self->dfd, &info));
	EXPECT_TRUE(info.flags & VFIO_DEVICE_FLAGS_RESET);
	ASSERT_EQ(0, tl_vfio_master(self->dfd, true));
	ASSERT_EQ(0, tl_vfio_irq_eventfds(self->dfd, VFIO_PCI_MSIX_IRQ_INDEX, 0, NV_VECS,
					  self->efd));
	ASSERT_EQ(0, nvme_enable(self));
	ASSERT_EQ(0, nvme_identify(_metadata, self));
	EXPECT_TRUE(nvme_rd(self->dfd, NVME_REG_CC) & NVME_CC_EN);

	ASSERT_EQ(0, ioctl_err(self->dfd, VFIO_DEVICE_RESET, NULL));
	EXPECT_FALSE(nvme_rd(self->dfd, NVME_REG_CC) & NVME_CC_EN);
	EXPECT_FALSE(nvme_rd(self->dfd, NVME_REG_CSTS) & NVME_CSTS_RDY);

	ASSERT_EQ(0, nvme_enable(self));
	ASSERT_EQ(0, nvme_identify(_metadata, self));
	nvme_wr(self->dfd, NVME_REG_CC, 0);
	ASSERT_EQ(0, tl_vfio_irq_off(self->dfd, VFIO_PCI_MSIX_IRQ_INDEX));
}

/* ---- removal of a device whose device fd is open ---- */

FIXTURE(removal) {
	const char *absent;
	char name[SMMUA_BDF_STRLEN];
	struct tl_edu e;
	int fd, dfd;
	uint8_t *buf;
};

FIXTURE_VARIANT(removal) {
	const char *driver;
};

FIXTURE_VARIANT_ADD(removal, stub) {
	.driver = SMMUA_STUB_DRIVER,
};

FIXTURE_VARIANT_ADD(removal, vfio_pci) {
	.driver = SMMUA_VFIO_DRIVER,
};

static bool present(const char *name)
{
	char path[96];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", name);
	return !access(path, F_OK);
}

FIXTURE_SETUP(removal)
{
	char names[TL_MAX_DEVS][SMMUA_BDF_STRLEN], path[96];

	self->fd = self->dfd = -1;
	if (tl_find_edus(names, TL_MAX_DEVS) < 1) {
		self->absent = "needs an edu on the root bus";
		return;
	}
	snprintf(path, sizeof(path), "/sys/bus/pci/drivers/%s", variant->driver);
	if (access(path, F_OK)) {
		self->absent = "driver not loaded";
		return;
	}
	memcpy(self->name, names[0], sizeof(self->name));
	self->e.bdf = tl_bdf(self->name);
	tl_drop_binding(&self->e.bdf);
	ASSERT_EQ(0, smmua_pci_takeover(&self->e.bdf, variant->driver, NULL, 0));
	self->fd = smmua_open();
	ASSERT_LE(0, self->fd);
	ASSERT_LT(0, tl_bind(self->fd, &self->e.bdf, 0, WIN_IOVA, WIN_LEN));
}

FIXTURE_TEARDOWN(removal)
{
	int i;

	tl_edu_close(&self->e);
	if (self->dfd >= 0)
		close(self->dfd);
	if (self->fd >= 0)
		close(self->fd);
	tl_buf_free(self->buf, BUF_PAGES * TL_PAGE);
	if (self->absent)
		return;
	/* A test that stopped half-way left the device out. */
	if (!present(self->name)) {
		tl_write_file("/sys/bus/pci/rescan", "1");
		for (i = 0; i < 50 && !present(self->name); i++)
			usleep(100 * 1000);
	}
	tl_drop_binding(&self->e.bdf);
	tl_leave_unbound(self->name);
}

struct remover {
	char path[128];
	int ret;
	int done;
};

static void *remove_device(void *arg)
{
	struct remover *r = arg;

	r->ret = tl_write_file(r->path, "1");
	__atomic_store_n(&r->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

/*
 * sysfs remove of a device whose device fd is open: the fd's REQ eventfd
 * asks for it back, the removal waits for the fd to close, then the
 * binding ends and the owner reads DEVICE_GONE. A rescan brings the device
 * back, free.
 */
TEST_F_TIMEOUT(removal, remove_asks_by_req_and_waits_for_the_fd, 120)
{
	struct smmu_assign_fault_event ev[4];
	struct remover r = { 0 };
	struct smmu_assign_query q;
	pthread_t thread;
	uint32_t sp;
	int req, n, i;

	NEED(self->absent);
	ASSERT_EQ(0, smmua_query(self->fd, &self->e.bdf, &q));
	sp = q.out_space_id;
	self->buf = tl_buf_alloc(BUF_PAGES * TL_PAGE, 0);
	ASSERT_NE(NULL, self->buf);
	ASSERT_EQ(0, smmua_map(self->fd, sp, RW, self->buf, WIN_IOVA, BUF_PAGES * TL_PAGE));
	self->dfd = smmua_device_fd(self->fd, &self->e.bdf);
	ASSERT_LE(0, self->dfd);
	ASSERT_EQ(0, tl_edu_open_devfd(&self->e, self->name, self->dfd));
	req = tl_eventfd();
	ASSERT_LE(0, req);
	ASSERT_EQ(0, tl_vfio_irq_eventfds(self->dfd, VFIO_PCI_REQ_IRQ_INDEX, 0, 1, &req));
	EXPECT_EQ(0, copy_through(&self->e, self->buf, 19));

	snprintf(r.path, sizeof(r.path), "/sys/bus/pci/devices/%s/remove", self->name);
	ASSERT_EQ(0, pthread_create(&thread, NULL, remove_device, &r));
	EXPECT_LE(1, tl_eventfd_wait(req, REQ_MS)) TH_LOG("no REQ");
	/* The removal waits for the fd: the device is there, bound, and works. */
	EXPECT_FALSE(__atomic_load_n(&r.done, __ATOMIC_SEQ_CST));
	EXPECT_TRUE(present(self->name));
	EXPECT_EQ(0, smmua_query(self->fd, &self->e.bdf, &q));
	EXPECT_TRUE(q.out_state & SMMU_ASSIGN_STATE_DEVICE_FD);

	/* The owner gives it up: the BAR mapping holds the file too. */
	tl_edu_close(&self->e);
	close(self->dfd);
	self->dfd = -1;
	ASSERT_EQ(0, pthread_join(thread, NULL));
	EXPECT_EQ(0, r.ret);
	EXPECT_FALSE(present(self->name));
	n = tl_fault_records(self->fd, ev, 4, 1, 5000);
	ASSERT_LE(1, n);
	EXPECT_TRUE(ev[n - 1].flags & SMMU_ASSIGN_EVENT_DEVICE_GONE);
	EXPECT_TRUE(tl_bdf_eq(&ev[n - 1].bdf, &self->e.bdf));
	EXPECT_EQ(-ENOENT, smmua_query(self->fd, &self->e.bdf, &q));
	close(req);

	/* Back by a rescan, on no driver, bound by no one. */
	ASSERT_EQ(0, tl_write_file("/sys/bus/pci/rescan", "1"));
	for (i = 0; i < 50 && !present(self->name); i++)
		usleep(100 * 1000);
	ASSERT_TRUE(present(self->name));
	EXPECT_EQ(0, tl_listed(self->fd, &self->e.bdf));
}

TEST_HARNESS_MAIN
