// SPDX-License-Identifier: GPL-2.0
/*
 * edu-dma: the smallest complete userspace driver on smmu-assign, and the
 * first thing a VMM author should read.
 *
 *   edu-dma [--irq msi|intx|poll] BDF [BDF...]
 *
 * It takes the edu devices at the BDFs (already on the smmu-assign stub, see
 * 'smmuctl takeover'). With one BDF it takes the short path: it binds the
 * device into a new address space whose one allowed IOVA range is a DMA
 * window, or claims the persistent binding an administrator made with
 * 'smmuctl bind' into such a space. With several it does what a VMM does
 * for a guest: it allocates one space, allows the window in it, and binds
 * (or claims) every device into that space.
 *
 * Then it maps two buffers into the space, once for all the devices: they
 * are pinned and charged once. It opens each device through a device fd
 * (SMMU_ASSIGN_DEVICE_FD), which speaks VFIO's device ABI: BAR0 is region
 * 0, mmap()ed; bus mastering is turned on in the config region; the
 * interrupt that ends a DMA arrives on an eventfd, by MSI, else by INTx,
 * else the command register is polled (see edu.c); --irq starts further
 * down that list, to show (and test) each way on a device that has MSI.
 * Each device copies one buffer into the other by DMA through the SMMU.
 * Finally it unmaps the destination and each device aims a DMA at it
 * again: the SMMU blocks it, the memory stays as it was, and where the
 * kernel delivers faults (GET_INFO's SMMU_ASSIGN_CAP_FAULTS; not from 6.9
 * on, where arm-smmu-v3 only logs them) the fault arrives on the file
 * descriptor, naming the device. Closing the device fds and the descriptor
 * undoes everything.
 *
 * Binding takes the device's whole IOMMU group: every function of it is
 * bound together, into the same space.
 *
 * Nothing here assumes a page size: MAP works in the kernel's pages (4K,
 * 16K or 64K on arm64), so the buffers are whole pages of that size.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/vfio.h>

#include "edu.h"
#include "smmu_assign_lib.h"

#define WINDOW_IOVA	0x100000ULL
#define WINDOW_SIZE	(16ULL << 20)
/* 64 KiB apart: aligned for any arm64 page size. */
#define SRC_IOVA	WINDOW_IOVA
#define DST_IOVA	(WINDOW_IOVA + 0x10000)
#define DMA_LEN		2048
#define MAX_DEVICES	8

struct dev {
	struct smmu_assign_bdf bdf;
	char name[SMMUA_BDF_STRLEN];
	char prefix[SMMUA_BDF_STRLEN + 2];	/* "BDF: " with several, else "" */
	struct edu edu;
};

static int fail(const char *what, int err)
{
	fprintf(stderr, "edu-dma: %s: %s\n", what, strerror(-err));
	return 1;
}

/*
 * Bind the device, or claim it if an administrator bound it persistently,
 * into *space; with *space 0, into a new space whose one allowed range is
 * the window, whose id goes to *space.
 */
static int take_device(int fd, struct dev *d, __u32 *space)
{
	struct smmu_assign_bind bind;
	struct smmu_assign_query q;
	int ret;

	/* A device of a group bound already, by its own BDF or another's. */
	if (!smmua_query(fd, &d->bdf, &q) && (q.out_state & SMMU_ASSIGN_STATE_MINE) &&
	    q.out_space_id == *space) {
		printf("%sin space %u already: bound with its IOMMU group %u\n", d->prefix,
		       *space, q.out_group_id);
		return 0;
	}
	if (*space) {
		ret = smmua_bind_space(fd, &d->bdf, *space, &bind);
		if (!ret)
			printf("%sbound into space %u: stream ID %#x on %s, IOMMU group %u\n",
			       d->prefix, *space, bind.out_sids[0], bind.out_iommu_name,
			       bind.out_group_id);
	} else {
		ret = smmua_bind(fd, &d->bdf, 0, WINDOW_IOVA, WINDOW_SIZE, &bind);
		if (!ret)
			printf("%sbound: stream ID %#x on %s, space %u, window %#llx-%#llx\n",
			       d->prefix, bind.out_sids[0], bind.out_iommu_name,
			       bind.out_space_id, WINDOW_IOVA, WINDOW_IOVA + WINDOW_SIZE - 1);
	}
	if (!ret) {
		*space = bind.out_space_id;
		return 0;
	}
	if (ret != -EBUSY)
		return ret;
	/* Busy: perhaps a persistent binding waiting for a claimant. */
	if (smmua_claim(fd, &d->bdf, 0, *space, space))
		return -EBUSY;
	printf("%sclaimed the persistent binding into space %u\n", d->prefix, *space);
	return 0;
}

/*
 * Shared: one domain (one set of page tables) serves several groups of the
 * space. Mirrored: the space has several domains, each given every mapping.
 */
static const char *domain_kind(__u32 flags)
{
	switch (flags & (SMMU_ASSIGN_DOMAIN_SHARED | SMMU_ASSIGN_DOMAIN_MIRRORED)) {
	case 0:
		return "its own";
	case SMMU_ASSIGN_DOMAIN_SHARED:
		return "shared";
	case SMMU_ASSIGN_DOMAIN_MIRRORED:
		return "mirrored";
	default:
		return "shared, mirrored";
	}
}

/*
 * Several devices in one space: say which domain each has (QUERY), and
 * that the buffers were pinned once for all of them (SPACE_INFO).
 */
static int show_space(int fd, __u32 space, struct dev *devs, int n, size_t pages)
{
	struct smmua_space_desc sd;
	struct smmu_assign_query q;
	int i, ret;

	for (i = 0; i < n; i++) {
		ret = smmua_query(fd, &devs[i].bdf, &q);
		if (ret)
			return fail("QUERY", ret);
		printf("%sin space %u, IOMMU domain %s (QUERY's domain flags %#x)\n",
		       devs[i].prefix, q.out_space_id, domain_kind(q.out_domain_flags),
		       q.out_domain_flags);
	}
	ret = smmua_space_info(fd, space, NULL, &sd);
	if (ret)
		return fail("SPACE_INFO", ret);
	printf("pinned once: space %u pins %llu pages for its %zu devices in %u IOMMU domain%s: the buffers' %zu pages\n",
	       space, (unsigned long long)sd.info.out_pinned_pages, sd.num_devices,
	       sd.info.out_num_domains, sd.info.out_num_domains == 1 ? "" : "s", pages);
	ret = sd.info.out_pinned_pages == pages ? 0 : 1;
	smmua_space_desc_free(&sd);
	if (ret)
		fprintf(stderr, "edu-dma: the buffers were not pinned once\n");
	return ret;
}

/* Why an interrupt was not had: its errno, or not tried (--irq). */
static const char *why_not(int err)
{
	return err ? strerror(-err) : "not tried";
}

/* How the device is reached, and how a DMA's end is learnt. */
static void show_access(const struct dev *d)
{
	const struct edu *e = &d->edu;

	printf("%sdevice fd: BAR0 mmap()ed from region 0; ", d->prefix);
	if (e->irq_index == VFIO_PCI_MSI_IRQ_INDEX)
		printf("DMA completion by %s interrupt, through an eventfd\n",
		       smmua_irq_index_name(e->irq_index));
	else if (e->irq_index == VFIO_PCI_INTX_IRQ_INDEX)
		printf("DMA completion by %s interrupt, through an eventfd, unmasked after each (%s: %s)\n",
		       smmua_irq_index_name(e->irq_index),
		       smmua_irq_index_name(VFIO_PCI_MSI_IRQ_INDEX), why_not(e->msi_err));
	else
		printf("DMA completion by polling the command register (%s: %s, %s: %s)\n",
		       smmua_irq_index_name(VFIO_PCI_MSI_IRQ_INDEX), why_not(e->msi_err),
		       smmua_irq_index_name(VFIO_PCI_INTX_IRQ_INDEX), why_not(e->intx_err));
}

/* --irq's argument into the first way to try: 0, or -1 when it names none. */
static int parse_irq(const char *arg, __u32 *index)
{
	if (!strcmp(arg, "poll")) {
		*index = VFIO_PCI_NUM_IRQS;
		return 0;
	}
	for (*index = 0; *index < VFIO_PCI_NUM_IRQS; (*index)++)
		if (!strcmp(arg, smmua_irq_index_name(*index)))
			break;
	return *index == VFIO_PCI_MSI_IRQ_INDEX || *index == VFIO_PCI_INTX_IRQ_INDEX ? 0 : -1;
}

/* Wait for the fault record of d's blocked DMA; skip other devices' ones. */
static int wait_fault(int fd, struct dev *d)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	struct smmu_assign_fault_event ev;

	while (poll(&pfd, 1, 2000) == 1 && read(fd, &ev, sizeof(ev)) == sizeof(ev)) {
		if (memcmp(&ev.bdf, &d->bdf, sizeof(ev.bdf)))
			continue;
		printf("%sblocked DMA: fault #%llu, %s of IOVA %#llx by stream ID %#x, reason %u\n",
		       d->prefix, (unsigned long long)ev.seq,
		       ev.flags & SMMU_ASSIGN_FAULT_WRITE ? "write" : "read",
		       (unsigned long long)ev.iova, ev.sid, ev.reason);
		return 0;
	}
	fprintf(stderr, "edu-dma: %s: the blocked DMA raised no fault event\n", d->name);
	return 1;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "irq", required_argument, NULL, 'i' },
		{ 0 }
	};
	struct smmu_assign_iova_range window = { WINDOW_IOVA, WINDOW_SIZE };
	__u32 space = 0, irq = VFIO_PCI_MSI_IRQ_INDEX;
	size_t page = sysconf(_SC_PAGESIZE);
	struct smmu_assign_get_info info;
	struct dev devs[MAX_DEVICES];
	int n, i, fd, ret, opt;
	uint8_t *mem;
	size_t j;

	while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
		if (opt != 'i' || parse_irq(optarg, &irq))
			goto usage;
	}
	n = argc - optind;
	if (n < 1 || n > MAX_DEVICES)
		goto usage;
	for (i = 0; i < n; i++) {
		if (smmua_parse_bdf(argv[optind + i], &devs[i].bdf)) {
			fprintf(stderr, "edu-dma: '%s' is not a BDF\n", argv[optind + i]);
			return 2;
		}
		smmua_format_bdf(&devs[i].bdf, devs[i].name, sizeof(devs[i].name));
		snprintf(devs[i].prefix, sizeof(devs[i].prefix), "%s%s",
			 n > 1 ? devs[i].name : "", n > 1 ? ": " : "");
	}

	fd = smmua_open();
	if (fd < 0)
		return fail("open " SMMU_ASSIGN_DEV_PATH, fd);
	ret = smmua_get_info(fd, &info);
	if (ret)
		return fail("GET_INFO", ret);
	/* The device fd is this driver's only way to the device. */
	if (!(info.out_capabilities & SMMU_ASSIGN_CAP_DEVICE_FD)) {
		fprintf(stderr, "edu-dma: the loaded smmu_assign module gives no device fds (GET_INFO lacks SMMU_ASSIGN_CAP_DEVICE_FD): load the module built with these tools\n");
		return 1;
	}
	if (n > 1) {
		/* A VMM's way: one space for the guest, its IOVAs allowed first. */
		ret = smmua_space_alloc(fd, "edu-dma", &space);
		if (ret)
			return fail("SPACE_ALLOC", ret);
		ret = smmua_space_allow_iovas(fd, space, &window, 1);
		if (ret)
			return fail("SPACE_ALLOW_IOVAS", ret);
		printf("space %u (\"edu-dma\") allocated, IOVAs %#llx-%#llx allowed\n",
		       space, WINDOW_IOVA, WINDOW_IOVA + WINDOW_SIZE - 1);
	}
	for (i = 0; i < n; i++) {
		ret = take_device(fd, &devs[i], &space);
		if (ret)
			return fail(devs[i].name, ret);
	}

	/* Two pages: the source the devices read, the destination they write. */
	mem = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (mem == MAP_FAILED)
		return fail("mmap", -errno);
	for (j = 0; j < page; j++)
		mem[j] = j * 7 + 1;
	memset(mem + page, 0, page);
	/* Mapped once into the space: every device in it reaches them. */
	ret = smmua_map(fd, space, SMMU_ASSIGN_MAP_READ, mem, SRC_IOVA, page);
	if (!ret)
		ret = smmua_map(fd, space, SMMU_ASSIGN_MAP_READ | SMMU_ASSIGN_MAP_WRITE,
				mem + page, DST_IOVA, page);
	if (ret)
		return fail("map", ret);
	printf("mapped%s: source at IOVA %#llx (device reads), destination at %#llx (device writes)\n",
	       n > 1 ? " once, for every device" : "", SRC_IOVA, DST_IOVA);
	if (n > 1 && show_space(fd, space, devs, n, 2))
		return 1;

	for (i = 0; i < n; i++) {
		ret = edu_open(&devs[i].edu, fd, &devs[i].bdf, irq);
		if (ret) {
			fprintf(stderr, "edu-dma: %s: device fd: %s\n", devs[i].name,
				strerror(-ret));
			return 1;
		}
		if (!edu_alive(&devs[i].edu)) {
			fprintf(stderr, "edu-dma: %s: BAR0 does not answer as an edu's\n",
				devs[i].name);
			return 1;
		}
		show_access(&devs[i]);
		memset(mem + page, 0, page);
		ret = edu_dma(&devs[i].edu, SRC_IOVA, DMA_LEN, EDU_DMA_TO_DEVICE);
		if (!ret)
			ret = edu_dma(&devs[i].edu, DST_IOVA, DMA_LEN, EDU_DMA_FROM_DEVICE);
		if (ret)
			return fail("DMA", ret);
		if (memcmp(mem, mem + page, DMA_LEN)) {
			fprintf(stderr, "edu-dma: %s: DMA round trip: the bytes differ\n",
				devs[i].name);
			return 1;
		}
		printf("%sDMA round trip: %d bytes RAM -> device -> RAM through the SMMU, verified\n",
		       devs[i].prefix, DMA_LEN);
	}

	/* Now DMAs the SMMU must refuse: the destination is no longer mapped. */
	ret = smmua_unmap(fd, space, 0, DST_IOVA, page, NULL);
	if (ret)
		return fail("unmap", ret);
	for (i = 0; i < n; i++) {
		memset(mem + page, 0, page);
		ret = edu_dma(&devs[i].edu, DST_IOVA, 64, EDU_DMA_FROM_DEVICE);
		if (ret)
			return fail("DMA", ret);
		for (j = 0; j < page; j++) {
			if (mem[page + j]) {
				fprintf(stderr, "edu-dma: %s: the DMA to the unmapped IOVA reached memory\n",
					devs[i].name);
				return 1;
			}
		}
		printf("%sblocked DMA: write of unmapped IOVA %#llx refused, the memory behind it unchanged\n",
		       devs[i].prefix, DST_IOVA);
		if (!(info.out_capabilities & SMMU_ASSIGN_CAP_FAULTS))
			printf("%sblocked DMA: fault record not delivered by this kernel (6.9+: arm-smmu-v3 only logs the fault)\n",
			       devs[i].prefix);
		else if (wait_fault(fd, &devs[i]))
			return 1;
		edu_close(&devs[i].edu);
	}

	/* The device fds are closed by now: open, they would keep fd alive. */
	close(fd);	/* unbinds (or releases the claims), unmaps, unpins, frees the space */
	printf("closed: mappings gone, pages unpinned\n");
	return 0;

usage:
	fprintf(stderr, "usage: edu-dma [--irq msi|intx|poll] BDF [BDF...] (at most %d)\n",
		MAX_DEVICES);
	return 2;
}
