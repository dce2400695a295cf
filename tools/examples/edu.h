/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Driving QEMU's edu device (docs/specs/edu.rst, PCI 1234:11e8) from
 * userspace: its BAR0 through sysfs, and its DMA engine. Used by the
 * example driver and the selftests.
 */
#ifndef SMMU_ASSIGN_EDU_H
#define SMMU_ASSIGN_EDU_H

#include <stdint.h>

#define EDU_VENDOR		0x1234
#define EDU_DEVICE		0x11e8
/* The device's own 4 KiB buffer, as a DMA address. */
#define EDU_BUF_ADDR		0x40000
/* QEMU 7.2 aborts the machine on a transfer of the buffer's full 4 KiB. */
#define EDU_DMA_MAX		4095
/* BAR0: registers, 32-bit below 0x80, 32 or 64-bit from there. */
#define EDU_BAR0_SIZE		(1 << 20)
#define EDU_REG_LIVENESS	0x04
#define EDU_REG_IRQ_STATUS	0x24
#define EDU_REG_IRQ_ACK		0x64
#define EDU_REG_DMA_SRC		0x80
#define EDU_REG_DMA_DST		0x88
#define EDU_REG_DMA_COUNT	0x90
#define EDU_REG_DMA_CMD		0x98
/* DMA command bits, and the interrupt status bit of a finished DMA. */
#define EDU_DMA_START		0x1
#define EDU_DMA_DIR_TO_RAM	0x2
#define EDU_DMA_IRQ		0x4
#define EDU_IRQ_DMA		0x100
#define EDU_DMA_TO_DEVICE	0	/* RAM (an IOVA) -> edu buffer */
#define EDU_DMA_FROM_DEVICE	1	/* edu buffer -> RAM (an IOVA) */

struct edu {
	char bdf[16];
	volatile uint8_t *bar0;
};

/*
 * Enable memory decoding and bus mastering in the command register and map
 * BAR0. Returns 0 or a negative errno.
 */
int edu_open(struct edu *edu, const char *bdf);
void edu_close(struct edu *edu);

/* The liveness register returns the complement of what was written. */
int edu_alive(struct edu *edu);

/*
 * Run one DMA between the device buffer and @iova and wait for it (the
 * device runs DMA from a 100 ms timer). A blocked DMA still completes: the
 * device ignores errors, so only memory and the SMMU tell. Returns 0 or
 * -ETIMEDOUT.
 */
int edu_dma(struct edu *edu, uint64_t iova, uint32_t len, int direction);

#endif /* SMMU_ASSIGN_EDU_H */
