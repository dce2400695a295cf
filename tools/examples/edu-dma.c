// SPDX-License-Identifier: GPL-2.0
/*
 * edu-dma: the smallest complete userspace driver on smmu-assign, and the
 * first thing a VMM author should read.
 *
 *   edu-dma BDF
 *
 * It takes the edu device at BDF (already on the smmu-assign stub, see
 * 'smmuctl takeover'): it binds it into a new address space whose one
 * allowed IOVA range is a DMA window, or claims the persistent binding an
 * administrator made with 'smmuctl bind' into such a space. Then it maps
 * two buffers into the space, has the device copy one into the other by
 * DMA through the SMMU, and finally unmaps the destination and aims a DMA
 * at it again: the SMMU blocks it, the memory stays as it was, and where
 * the kernel delivers faults (GET_INFO's SMMU_ASSIGN_CAP_FAULTS; not from
 * 6.9 on, where arm-smmu-v3 only logs them) the fault arrives on the file
 * descriptor. Closing the descriptor undoes everything.
 *
 * A space belongs to this file descriptor; a VMM binds every device of a
 * guest into one (smmua_bind_space() with the first device's space) and
 * maps guest memory once for all of them. Binding takes the device's whole
 * IOMMU group: every function of it is bound together.
 *
 * Nothing here assumes a page size: MAP works in the kernel's pages (4K,
 * 16K or 64K on arm64), so the buffers are whole pages of that size.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "edu.h"
#include "smmu_assign_lib.h"

#define WINDOW_IOVA	0x100000ULL
#define WINDOW_SIZE	(16ULL << 20)
/* 64 KiB apart: aligned for any arm64 page size. */
#define SRC_IOVA	WINDOW_IOVA
#define DST_IOVA	(WINDOW_IOVA + 0x10000)
#define DMA_LEN		2048

static int fail(const char *what, int err)
{
	fprintf(stderr, "edu-dma: %s: %s\n", what, strerror(-err));
	return 1;
}

/*
 * Bind the device, or claim it if an administrator bound it persistently.
 * Either way its group is now in a space of this file: *space says which.
 */
static int take_device(int fd, const struct smmu_assign_bdf *bdf, __u32 *space)
{
	struct smmu_assign_bind bind;
	int ret;

	ret = smmua_bind(fd, bdf, 0, WINDOW_IOVA, WINDOW_SIZE, &bind);
	if (!ret) {
		*space = bind.out_space_id;
		printf("bound: stream ID %#x on %s, space %u, window %#llx-%#llx\n",
		       bind.out_sids[0], bind.out_iommu_name, *space, WINDOW_IOVA,
		       WINDOW_IOVA + WINDOW_SIZE - 1);
		return 0;
	}
	if (ret != -EBUSY)
		return ret;
	/* Busy: perhaps a persistent binding waiting for a claimant. */
	if (smmua_claim(fd, bdf, 0, 0, space))
		return -EBUSY;
	printf("claimed the persistent binding into space %u\n", *space);
	return 0;
}

int main(int argc, char **argv)
{
	size_t page = sysconf(_SC_PAGESIZE);
	struct smmu_assign_fault_event ev;
	struct smmu_assign_get_info info;
	struct smmu_assign_bdf bdf;
	char name[SMMUA_BDF_STRLEN];
	struct pollfd pfd;
	struct edu edu;
	__u32 space;
	uint8_t *mem;
	size_t i;
	int fd, ret;

	if (argc != 2 || smmua_parse_bdf(argv[1], &bdf)) {
		fprintf(stderr, "usage: edu-dma BDF\n");
		return 2;
	}
	smmua_format_bdf(&bdf, name, sizeof(name));

	fd = smmua_open();
	if (fd < 0)
		return fail("open " SMMU_ASSIGN_DEV_PATH, fd);
	ret = take_device(fd, &bdf, &space);
	if (ret)
		return fail("bind", ret);

	/* Two pages: the source the device reads, the destination it writes. */
	mem = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (mem == MAP_FAILED)
		return fail("mmap", -errno);
	for (i = 0; i < page; i++)
		mem[i] = i * 7 + 1;
	memset(mem + page, 0, page);
	ret = smmua_map(fd, space, SMMU_ASSIGN_MAP_READ, mem, SRC_IOVA, page);
	if (!ret)
		ret = smmua_map(fd, space, SMMU_ASSIGN_MAP_READ | SMMU_ASSIGN_MAP_WRITE,
				mem + page, DST_IOVA, page);
	if (ret)
		return fail("map", ret);
	printf("mapped: source at IOVA %#llx (device reads), destination at %#llx (device writes)\n",
	       SRC_IOVA, DST_IOVA);

	ret = edu_open(&edu, name);
	if (ret)
		return fail("edu BAR0", ret);
	ret = edu_dma(&edu, SRC_IOVA, DMA_LEN, EDU_DMA_TO_DEVICE);
	if (!ret)
		ret = edu_dma(&edu, DST_IOVA, DMA_LEN, EDU_DMA_FROM_DEVICE);
	if (ret)
		return fail("DMA", ret);
	if (memcmp(mem, mem + page, DMA_LEN)) {
		fprintf(stderr, "edu-dma: DMA round trip: the bytes differ\n");
		return 1;
	}
	printf("DMA round trip: %d bytes RAM -> device -> RAM through the SMMU, verified\n",
	       DMA_LEN);

	/* Now a DMA the SMMU must refuse: the destination is no longer mapped. */
	ret = smmua_unmap(fd, space, 0, DST_IOVA, page, NULL);
	if (ret)
		return fail("unmap", ret);
	memset(mem + page, 0, page);
	ret = edu_dma(&edu, DST_IOVA, 64, EDU_DMA_FROM_DEVICE);
	if (ret)
		return fail("DMA", ret);
	for (i = 0; i < page; i++) {
		if (mem[page + i]) {
			fprintf(stderr, "edu-dma: the DMA to the unmapped IOVA reached memory\n");
			return 1;
		}
	}
	printf("blocked DMA: write of unmapped IOVA %#llx refused, the memory behind it unchanged\n",
	       DST_IOVA);
	ret = smmua_get_info(fd, &info);
	if (ret)
		return fail("GET_INFO", ret);
	if (!(info.out_capabilities & SMMU_ASSIGN_CAP_FAULTS)) {
		printf("blocked DMA: fault record not delivered by this kernel (6.9+: arm-smmu-v3 only logs the fault)\n");
	} else {
		pfd = (struct pollfd){ .fd = fd, .events = POLLIN };
		if (poll(&pfd, 1, 2000) != 1 || read(fd, &ev, sizeof(ev)) != sizeof(ev)) {
			fprintf(stderr, "edu-dma: the blocked DMA raised no fault event\n");
			return 1;
		}
		printf("blocked DMA: fault #%llu, %s of IOVA %#llx by stream ID %#x, reason %u\n",
		       (unsigned long long)ev.seq,
		       ev.flags & SMMU_ASSIGN_FAULT_WRITE ? "write" : "read",
		       (unsigned long long)ev.iova, ev.sid, ev.reason);
	}

	edu_close(&edu);
	close(fd);	/* unbinds (or releases the claim), unmaps, unpins, frees the space */
	printf("closed: mappings gone, pages unpinned\n");
	return 0;
}
