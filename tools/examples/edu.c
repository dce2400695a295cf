// SPDX-License-Identifier: GPL-2.0
/*
 * edu: a userspace driver for QEMU's educational PCI device.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "edu.h"
#include "smmu_assign_lib.h"

int edu_open(struct edu *edu, const char *bdf)
{
	struct smmu_assign_bdf b;
	char path[128];
	void *bar;
	int fd, ret;

	memset(edu, 0, sizeof(*edu));
	snprintf(edu->bdf, sizeof(edu->bdf), "%s", bdf);
	ret = smmua_parse_bdf(bdf, &b);
	if (ret)
		return ret;
	ret = smmua_pci_command(&b, SMMUA_PCI_COMMAND_MEMORY | SMMUA_PCI_COMMAND_MASTER,
				0, NULL);
	if (ret)
		return ret;
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource0", bdf);
	fd = open(path, O_RDWR | O_SYNC | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	bar = mmap(NULL, EDU_BAR0_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ret = bar == MAP_FAILED ? -errno : 0;
	close(fd);
	if (!ret)
		edu->bar0 = bar;
	return ret;
}

void edu_close(struct edu *edu)
{
	if (edu->bar0)
		munmap((void *)edu->bar0, EDU_BAR0_SIZE);
	edu->bar0 = NULL;
}

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

int edu_alive(struct edu *edu)
{
	edu_write32(edu, EDU_REG_LIVENESS, 0x12345678);
	return edu_read32(edu, EDU_REG_LIVENESS) == ~0x12345678u;
}

static int edu_wait_idle(struct edu *edu)
{
	struct timespec tick = { .tv_nsec = 10 * 1000 * 1000 };
	int i;

	/* The DMA timer fires after 100 ms; allow for a slow emulator. */
	for (i = 0; i < 500; i++) {
		if (!(edu_read32(edu, EDU_REG_DMA_CMD) & EDU_DMA_START))
			return 0;
		nanosleep(&tick, NULL);
	}
	return -ETIMEDOUT;
}

int edu_dma(struct edu *edu, uint64_t iova, uint32_t len, int direction)
{
	int ret = edu_wait_idle(edu);

	if (ret)
		return ret;
	if (!len || len > EDU_DMA_MAX)
		return -EINVAL;
	if (direction == EDU_DMA_FROM_DEVICE) {
		edu_write64(edu, EDU_REG_DMA_SRC, EDU_BUF_ADDR);
		edu_write64(edu, EDU_REG_DMA_DST, iova);
	} else {
		edu_write64(edu, EDU_REG_DMA_SRC, iova);
		edu_write64(edu, EDU_REG_DMA_DST, EDU_BUF_ADDR);
	}
	edu_write64(edu, EDU_REG_DMA_COUNT, len);
	edu_write32(edu, EDU_REG_DMA_CMD, EDU_DMA_START |
		    (direction == EDU_DMA_FROM_DEVICE ? EDU_DMA_DIR_TO_RAM : 0));
	return edu_wait_idle(edu);
}
