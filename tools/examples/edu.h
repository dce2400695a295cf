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
/* BAR0, the registers: 1 MiB of MMIO. */
#define EDU_BAR0_SIZE		(1 << 20)
/* The device's own 4 KiB buffer, as a DMA address. */
#define EDU_BUF_ADDR		0x40000
/* QEMU 7.2 aborts the machine on a transfer of the buffer's full 4 KiB. */
#define EDU_DMA_MAX		4095
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

/*
 * The same DMA, and the device raises its interrupt when it is done:
 * EDU_IRQ_DMA in the status register, INTx held asserted (or one MSI)
 * until edu_irq_ack() clears the status.
 */
#define EDU_IRQ_DMA		0x100
int edu_dma_irq(struct edu *edu, uint64_t iova, uint32_t len, int direction);
uint32_t edu_irq_status(struct edu *edu);
void edu_irq_ack(struct edu *edu, uint32_t bits);

#endif /* SMMU_ASSIGN_EDU_H */
