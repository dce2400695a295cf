/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Driving QEMU's edu device (docs/specs/edu.rst, PCI 1234:11e8) from
 * userspace: its BAR0 and its interrupts through the device fd that
 * smmu-assign gives the owner of a binding (SMMU_ASSIGN_DEVICE_FD, the
 * device ABI of <linux/vfio.h>), and its DMA engine. Used by the example
 * driver and the selftests.
 */
#ifndef SMMU_ASSIGN_EDU_H
#define SMMU_ASSIGN_EDU_H

#include <stdint.h>

#include "smmu_assign_lib.h"

#define EDU_VENDOR		0x1234
#define EDU_DEVICE		0x11e8
#define EDU_BAR0_SIZE		(1 << 20)
/* The device's own 4 KiB buffer, as a DMA address. */
#define EDU_BUF_ADDR		0x40000
/* QEMU 7.2 aborts the machine on a transfer of the buffer's full 4 KiB. */
#define EDU_DMA_MAX		4095
/* BAR0's registers: 32-bit below 0x80, 32 or 64-bit from there. */
#define EDU_REG_LIVENESS	0x04
#define EDU_REG_IRQ_STATUS	0x24
#define EDU_REG_IRQ_ACK		0x64
#define EDU_REG_DMA_SRC		0x80
#define EDU_REG_DMA_DST		0x88
#define EDU_REG_DMA_COUNT	0x90
#define EDU_REG_DMA_CMD		0x98
/* DMA command bits (EDU_IRQ_DMA, below, is the status bit of a finished DMA). */
#define EDU_DMA_START		0x1
#define EDU_DMA_DIR_TO_RAM	0x2
#define EDU_DMA_RAISE_IRQ	0x4
#define EDU_DMA_TO_DEVICE	0	/* RAM (an IOVA) -> edu buffer */
#define EDU_DMA_FROM_DEVICE	1	/* edu buffer -> RAM (an IOVA) */

struct edu {
	int devfd;		/* the device fd; -1 for a BAR0 mapped by the caller */
	volatile uint8_t *bar0;
	/*
	 * How a DMA's completion is taken: VFIO_PCI_MSI_IRQ_INDEX or
	 * VFIO_PCI_INTX_IRQ_INDEX, signalling efd, or VFIO_PCI_NUM_IRQS for
	 * none (efd -1): the command register is polled.
	 */
	__u32 irq_index;
	int efd;
	/* Why MSI, and then INTx, could not be had: a negative errno, or 0 (not tried). */
	int msi_err;
	int intx_err;
};

/*
 * Open bdf, a bound device of a group that fd (the caller's
 * /dev/smmu-assign) owns, through a device fd: map BAR0 (region 0), turn
 * on memory decoding and bus mastering in its config space (the config
 * region, as vfio-pci virtualizes it), and take DMA completions by
 * interrupt: from irq_index on, VFIO_PCI_MSI_IRQ_INDEX, then
 * VFIO_PCI_INTX_IRQ_INDEX, then VFIO_PCI_NUM_IRQS, polling. Returns 0 or a
 * negative errno.
 */
int edu_open(struct edu *edu, int fd, const struct smmu_assign_bdf *bdf, __u32 irq_index);

/*
 * The same with a device fd the caller has already, from wherever it came
 * (VFIO_GROUP_GET_DEVICE_FD of smmu-assign's VFIO-compatible group node,
 * for one). edu owns it from then on: edu_close() closes it, and so does a
 * failure here.
 */
int edu_open_fd(struct edu *edu, int devfd, __u32 irq_index);

/*
 * An edu whose BAR0 the caller mapped some other way (the selftests, from
 * sysfs): DMA completion is polled.
 */
void edu_attach(struct edu *edu, volatile void *bar0);

/*
 * Undo edu_open(): unmap BAR0 and close the device fd, which quiesces the
 * device (bus mastering off, interrupts freed). An edu_attach()ed BAR0 is
 * only forgotten: its mapper unmaps it.
 */
void edu_close(struct edu *edu);

/* The liveness register returns the complement of what was written. */
int edu_alive(struct edu *edu);

/*
 * Run one DMA between the device buffer and @iova and wait for it (the
 * device runs DMA from a 100 ms timer). A blocked DMA still completes, and
 * still raises its interrupt: the device ignores errors, so only memory and
 * the SMMU tell. Returns 0, -ETIMEDOUT, or a negative errno of the device
 * fd.
 */
int edu_dma(struct edu *edu, uint64_t iova, uint32_t len, int direction);

/* The interrupt status bit a finished DMA raises. */
#define EDU_IRQ_DMA		0x100

/*
 * The same DMA, its end polled, and the device raises its interrupt when
 * done whatever edu_open() set up: EDU_IRQ_DMA in the status register,
 * INTx held asserted (or one MSI) until edu_irq_ack(). For a caller that
 * watches the interrupt itself (the selftests count them).
 */
int edu_dma_raise(struct edu *edu, uint64_t iova, uint32_t len, int direction);
uint32_t edu_irq_status(struct edu *edu);
void edu_irq_ack(struct edu *edu, uint32_t bits);

#endif /* SMMU_ASSIGN_EDU_H */
