// SPDX-License-Identifier: GPL-2.0
/*
 * edu: a userspace driver for QEMU's educational PCI device, through the
 * device fd of smmu-assign: VFIO's device ABI, so this is what a VFIO
 * userspace driver does with a device it holds.
 */
#include <endian.h>
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <linux/vfio.h>

#include "edu.h"

/* The DMA timer fires after 100 ms; allow for a slow emulator. */
#define EDU_DMA_TIMEOUT_MS	5000

static uint32_t edu_read32(struct edu *edu, unsigned int reg)
{
	return *(volatile uint32_t *)(edu->bar0 + reg);
}

static void edu_write32(struct edu *edu, unsigned int reg, uint32_t val)
{
	*(volatile uint32_t *)(edu->bar0 + reg) = val;
}

static void edu_write64(struct edu *edu, unsigned int reg, uint64_t val)
{
	*(volatile uint64_t *)(edu->bar0 + reg) = val;
}

static int region_info(int devfd, __u32 index, struct vfio_region_info *info)
{
	memset(info, 0, sizeof(*info));
	info->argsz = sizeof(*info);
	info->index = index;
	return ioctl(devfd, VFIO_DEVICE_GET_REGION_INFO, info) ? -errno : 0;
}

static int map_bar0(struct edu *edu)
{
	struct vfio_region_info info;
	void *bar;
	int ret;

	ret = region_info(edu->devfd, VFIO_PCI_BAR0_REGION_INDEX, &info);
	if (ret)
		return ret;
	if (!(info.flags & VFIO_REGION_INFO_FLAG_MMAP) || info.size < EDU_BAR0_SIZE)
		return -ENXIO;
	bar = mmap(NULL, EDU_BAR0_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, edu->devfd,
		   info.offset);
	if (bar == MAP_FAILED)
		return -errno;
	edu->bar0 = bar;
	return 0;
}

/*
 * Set bits of the command register through the config region. A driver
 * turns on memory decoding and bus mastering itself, as a kernel driver's
 * pci_enable_device() and pci_set_master() do; vfio-pci's virtual config
 * space passes them on. Until memory decoding is on, a touch of the mapped
 * BAR is SIGBUS.
 */
static int command_set(int devfd, uint16_t bits)
{
	struct vfio_region_info info;
	uint16_t cmd;
	off_t off;
	int ret;

	ret = region_info(devfd, VFIO_PCI_CONFIG_REGION_INDEX, &info);
	if (ret)
		return ret;
	off = info.offset + SMMUA_PCI_COMMAND;
	if (pread(devfd, &cmd, sizeof(cmd), off) != sizeof(cmd))
		return -EIO;
	/* Config space is little-endian, whatever the CPU. */
	cmd = htole16(le16toh(cmd) | bits);
	if (pwrite(devfd, &cmd, sizeof(cmd), off) != sizeof(cmd) ||
	    pread(devfd, &cmd, sizeof(cmd), off) != sizeof(cmd))
		return -EIO;
	return (le16toh(cmd) & bits) == bits ? 0 : -EIO;
}

/* VFIO_DEVICE_SET_IRQS of vectors 0 to count - 1 of index, with efd or none. */
static int set_irqs(int devfd, __u32 index, __u32 flags, __u32 count, int efd)
{
	union {
		struct vfio_irq_set set;
		char buf[sizeof(struct vfio_irq_set) + sizeof(__s32)];
	} u = { .set = {
		.argsz = sizeof(struct vfio_irq_set),
		.flags = flags,
		.index = index,
		.count = count,
	} };

	if (flags & VFIO_IRQ_SET_DATA_EVENTFD) {
		u.set.argsz += sizeof(__s32);
		memcpy(u.set.data, &efd, sizeof(__s32));
	}
	return ioctl(devfd, VFIO_DEVICE_SET_IRQS, &u.set) ? -errno : 0;
}

/* Have vector 0 of index signal a new eventfd. */
static int enable_irq(struct edu *edu, __u32 index)
{
	struct vfio_irq_info info = { .argsz = sizeof(info), .index = index };
	int efd, ret;

	if (ioctl(edu->devfd, VFIO_DEVICE_GET_IRQ_INFO, &info))
		return -errno;
	/* vfio-pci counts no vectors of a kind the device does not have. */
	if (!info.count || !(info.flags & VFIO_IRQ_INFO_EVENTFD))
		return -EOPNOTSUPP;
	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (efd < 0)
		return -errno;
	ret = set_irqs(edu->devfd, index, VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER,
		       1, efd);
	if (ret) {
		close(efd);
		return ret;
	}
	edu->irq_index = index;
	edu->efd = efd;
	return 0;
}

void edu_attach(struct edu *edu, volatile void *bar0)
{
	memset(edu, 0, sizeof(*edu));
	edu->devfd = -1;
	edu->efd = -1;
	edu->irq_index = VFIO_PCI_NUM_IRQS;
	edu->bar0 = bar0;
}

int edu_open(struct edu *edu, int fd, const struct smmu_assign_bdf *bdf, __u32 irq_index)
{
	int devfd;

	edu_attach(edu, NULL);
	if (irq_index != VFIO_PCI_MSI_IRQ_INDEX && irq_index != VFIO_PCI_INTX_IRQ_INDEX &&
	    irq_index != VFIO_PCI_NUM_IRQS)
		return -EINVAL;
	devfd = smmua_device_fd(fd, bdf);
	if (devfd < 0)
		return devfd;
	return edu_open_fd(edu, devfd, irq_index);
}

int edu_open_fd(struct edu *edu, int devfd, __u32 irq_index)
{
	int ret;

	edu_attach(edu, NULL);
	if (irq_index != VFIO_PCI_MSI_IRQ_INDEX && irq_index != VFIO_PCI_INTX_IRQ_INDEX &&
	    irq_index != VFIO_PCI_NUM_IRQS) {
		close(devfd);
		return -EINVAL;
	}
	edu->devfd = devfd;
	ret = map_bar0(edu);
	if (!ret)
		ret = command_set(devfd, SMMUA_PCI_COMMAND_MEMORY | SMMUA_PCI_COMMAND_MASTER);
	if (ret) {
		edu_close(edu);
		return ret;
	}
	/*
	 * MSI first: an edge, nothing to unmask. INTx is level-triggered:
	 * vfio-pci masks the line at each interrupt, until the driver has
	 * quietened the device and unmasks it. Without either, polling.
	 * The caller may start further down.
	 */
	if (irq_index == VFIO_PCI_MSI_IRQ_INDEX)
		edu->msi_err = enable_irq(edu, VFIO_PCI_MSI_IRQ_INDEX);
	if (edu->efd < 0 && irq_index != VFIO_PCI_NUM_IRQS)
		edu->intx_err = enable_irq(edu, VFIO_PCI_INTX_IRQ_INDEX);
	return 0;
}

void edu_close(struct edu *edu)
{
	if (edu->devfd >= 0) {
		if (edu->bar0)
			munmap((void *)edu->bar0, EDU_BAR0_SIZE);
		close(edu->devfd);
	}
	if (edu->efd >= 0)
		close(edu->efd);
	edu_attach(edu, NULL);
}

int edu_alive(struct edu *edu)
{
	edu_write32(edu, EDU_REG_LIVENESS, 0x12345678);
	return edu_read32(edu, EDU_REG_LIVENESS) == ~0x12345678u;
}

static int edu_poll_idle(struct edu *edu)
{
	struct timespec tick = { .tv_nsec = 10 * 1000 * 1000 };
	int i;

	for (i = 0; i < EDU_DMA_TIMEOUT_MS / 10; i++) {
		if (!(edu_read32(edu, EDU_REG_DMA_CMD) & EDU_DMA_START))
			return 0;
		nanosleep(&tick, NULL);
	}
	return -ETIMEDOUT;
}

static long ms_since(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - start->tv_sec) * 1000 + (now.tv_nsec - start->tv_nsec) / 1000000;
}

/*
 * Wait for the interrupt of the DMA just started. The status register says
 * whose it is, and writing the status back acknowledges it, which lowers
 * the INTx line; only then is INTx unmasked, or it would fire again at once.
 */
static int edu_wait_irq(struct edu *edu)
{
	struct pollfd pfd = { .fd = edu->efd, .events = POLLIN };
	struct timespec start;
	uint32_t status;
	uint64_t count;
	long left;
	int ret;

	clock_gettime(CLOCK_MONOTONIC, &start);
	while ((left = EDU_DMA_TIMEOUT_MS - ms_since(&start)) > 0) {
		ret = poll(&pfd, 1, left);
		if (ret < 0 && errno != EINTR)
			return -errno;
		if (ret <= 0 || read(edu->efd, &count, sizeof(count)) != sizeof(count))
			continue;
		status = edu_read32(edu, EDU_REG_IRQ_STATUS);
		if (status)
			edu_write32(edu, EDU_REG_IRQ_ACK, status);
		if (edu->irq_index == VFIO_PCI_INTX_IRQ_INDEX) {
			ret = set_irqs(edu->devfd, VFIO_PCI_INTX_IRQ_INDEX,
				       VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_UNMASK, 1, -1);
			if (ret)
				return ret;
		}
		/* The device ends the transfer before it raises the interrupt. */
		if (status & EDU_IRQ_DMA)
			return edu_read32(edu, EDU_REG_DMA_CMD) & EDU_DMA_START ? -EIO : 0;
	}
	return -ETIMEDOUT;
}

/* Program one DMA and start it, with extra command bits. */
static int edu_start(struct edu *edu, uint64_t iova, uint32_t len, int direction,
		     uint32_t cmd)
{
	int ret;

	if (!len || len > EDU_DMA_MAX)
		return -EINVAL;
	/* One that timed out may still be running: the registers are its. */
	ret = edu_poll_idle(edu);
	if (ret)
		return ret;
	cmd |= EDU_DMA_START;
	if (direction == EDU_DMA_FROM_DEVICE) {
		edu_write64(edu, EDU_REG_DMA_SRC, EDU_BUF_ADDR);
		edu_write64(edu, EDU_REG_DMA_DST, iova);
		cmd |= EDU_DMA_DIR_TO_RAM;
	} else {
		edu_write64(edu, EDU_REG_DMA_SRC, iova);
		edu_write64(edu, EDU_REG_DMA_DST, EDU_BUF_ADDR);
	}
	edu_write64(edu, EDU_REG_DMA_COUNT, len);
	edu_write32(edu, EDU_REG_DMA_CMD, cmd);
	return 0;
}

int edu_dma(struct edu *edu, uint64_t iova, uint32_t len, int direction)
{
	int ret = edu_start(edu, iova, len, direction,
			    edu->efd >= 0 ? EDU_DMA_RAISE_IRQ : 0);

	if (ret)
		return ret;
	return edu->efd >= 0 ? edu_wait_irq(edu) : edu_poll_idle(edu);
}

int edu_dma_raise(struct edu *edu, uint64_t iova, uint32_t len, int direction)
{
	int ret = edu_start(edu, iova, len, direction, EDU_DMA_RAISE_IRQ);

	return ret ? ret : edu_poll_idle(edu);
}

uint32_t edu_irq_status(struct edu *edu)
{
	return edu_read32(edu, EDU_REG_IRQ_STATUS);
}

void edu_irq_ack(struct edu *edu, uint32_t bits)
{
	edu_write32(edu, EDU_REG_IRQ_ACK, bits);
}
