// SPDX-License-Identifier: GPL-2.0
/*
 * libsmmu-assign: the read-side ioctls (QUERY, LIST, MAPPINGS, TRANSLATE),
 * SET_EVENTFD and the fault records read() from the file, and the names of
 * what they report.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/vfio.h>

#include "smmu_assign_lib.h"

static int do_ioctl(int fd, unsigned long cmd, void *arg, __u32 size)
{
	*(__u32 *)arg = size;
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

/* A space by its id, or (bdf non-NULL) by a device in it. */
static void name_space(__u32 *flags, __u32 *space_id, struct smmu_assign_bdf *cmd_bdf,
		       __u32 id, const struct smmu_assign_bdf *bdf)
{
	if (bdf) {
		*flags = SMMU_ASSIGN_BY_DEVICE;
		*cmd_bdf = *bdf;
	} else {
		*space_id = id;
	}
}

int smmua_query(int fd, const struct smmu_assign_bdf *bdf, struct smmu_assign_query *out)
{
	memset(out, 0, sizeof(*out));
	out->bdf = *bdf;
	return do_ioctl(fd, SMMU_ASSIGN_QUERY, out, sizeof(*out));
}

int smmua_list(int fd, struct smmu_assign_bdf **bdfs, size_t *num)
{
	struct smmu_assign_bdf *v = NULL, *nv;
	struct smmu_assign_list cmd;
	__u32 cap = 8;
	int ret;

	/* Devices may be bound between two calls: grow until it fits. */
	for (;;) {
		nv = realloc(v, cap * sizeof(*v));
		if (!nv) {
			free(v);
			return -ENOMEM;
		}
		v = nv;
		memset(&cmd, 0, sizeof(cmd));
		cmd.num_devices = cap;
		cmd.devices = (uintptr_t)v;
		ret = do_ioctl(fd, SMMU_ASSIGN_LIST, &cmd, sizeof(cmd));
		if (ret != -EMSGSIZE)
			break;
		cap = cmd.num_devices > cap ? cmd.num_devices + 4 : cap * 2;
	}
	if (ret || !cmd.num_devices) {
		free(v);
		v = NULL;
	}
	if (!ret) {
		*bdfs = v;
		*num = cmd.num_devices;
	}
	return ret;
}

int smmua_resv_regions(int fd, const struct smmu_assign_bdf *bdf,
		       struct smmu_assign_resv_region **regions, size_t *num)
{
	struct smmu_assign_resv_region *v = NULL, *nv;
	struct smmu_assign_resv_regions cmd;
	__u32 cap = 4;
	int ret;

	for (;;) {
		nv = realloc(v, cap * sizeof(*v));
		if (!nv) {
			free(v);
			return -ENOMEM;
		}
		v = nv;
		memset(&cmd, 0, sizeof(cmd));
		cmd.bdf = *bdf;
		cmd.num_regions = cap;
		cmd.regions = (uintptr_t)v;
		ret = do_ioctl(fd, SMMU_ASSIGN_RESV_REGIONS, &cmd, sizeof(cmd));
		if (ret != -EMSGSIZE)
			break;
		cap = cmd.num_regions;
	}
	if (ret || !cmd.num_regions) {
		free(v);
		v = NULL;
	}
	if (!ret) {
		*regions = v;
		*num = cmd.num_regions;
	}
	return ret;
}

const char *smmua_resv_type_name(__u32 type)
{
	static const char * const names[] = {
		[SMMU_ASSIGN_RESV_DIRECT] = "direct",
		[SMMU_ASSIGN_RESV_DIRECT_RELAXABLE] = "direct-relaxable",
		[SMMU_ASSIGN_RESV_RESERVED] = "reserved",
		[SMMU_ASSIGN_RESV_MSI] = "msi",
		[SMMU_ASSIGN_RESV_SW_MSI] = "sw-msi",
	};

	return type < sizeof(names) / sizeof(names[0]) ? names[type] : "unknown";
}

const char *smmua_irq_index_name(__u32 index)
{
	static const char * const names[] = {
		[VFIO_PCI_INTX_IRQ_INDEX] = "intx",
		[VFIO_PCI_MSI_IRQ_INDEX] = "msi",
		[VFIO_PCI_MSIX_IRQ_INDEX] = "msix",
		[VFIO_PCI_ERR_IRQ_INDEX] = "err",
		[VFIO_PCI_REQ_IRQ_INDEX] = "req",
	};

	return index < sizeof(names) / sizeof(names[0]) ? names[index] : "none";
}

int smmua_mappings(int fd, __u32 space_id, const struct smmu_assign_bdf *bdf,
		   struct smmu_assign_mapping_info **maps, size_t *num)
{
	struct smmu_assign_mapping_info *v = NULL, *nv;
	struct smmu_assign_mappings cmd;
	size_t n = 0, cap = 0;
	__u64 cursor = 0;
	int ret;

	do {
		if (cap - n < 64) {
			cap += 64;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				free(v);
				return -ENOMEM;
			}
			v = nv;
		}
		memset(&cmd, 0, sizeof(cmd));
		name_space(&cmd.flags, &cmd.space_id, &cmd.bdf, space_id, bdf);
		cmd.cursor = cursor;
		cmd.num_mappings = cap - n;
		cmd.mappings = (uintptr_t)(v + n);
		ret = do_ioctl(fd, SMMU_ASSIGN_MAPPINGS, &cmd, sizeof(cmd));
		if (ret) {
			free(v);
			return ret;
		}
		n += cmd.num_mappings;
		cursor = cmd.cursor;
	} while (cursor);
	if (!n) {
		free(v);
		v = NULL;
	}
	*maps = v;
	*num = n;
	return 0;
}

int smmua_translate(int fd, __u32 space_id, const struct smmu_assign_bdf *bdf,
		    __u64 iova, struct smmu_assign_translate *out)
{
	memset(out, 0, sizeof(*out));
	name_space(&out->flags, &out->space_id, &out->bdf, space_id, bdf);
	out->iova = iova;
	return do_ioctl(fd, SMMU_ASSIGN_TRANSLATE, out, sizeof(*out));
}

int smmua_set_eventfd(int fd, int efd)
{
	struct smmu_assign_set_eventfd cmd = { .eventfd = efd };

	return do_ioctl(fd, SMMU_ASSIGN_SET_EVENTFD, &cmd, sizeof(cmd));
}

int smmua_read_faults(int fd, struct smmu_assign_fault_event *ev, size_t max,
		      size_t *num)
{
	ssize_t n;

	do
		n = read(fd, ev, max * sizeof(*ev));
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	*num = n / sizeof(*ev);
	return 0;
}

const char *smmua_fault_reason_name(__u32 reason)
{
	static const char * const names[SMMU_ASSIGN_FAULT_NR_REASONS] = {
		[SMMU_ASSIGN_FAULT_UNKNOWN] = "unknown",
		[SMMU_ASSIGN_FAULT_PASID_FETCH] = "pasid_fetch",
		[SMMU_ASSIGN_FAULT_BAD_PASID_ENTRY] = "bad_pasid_entry",
		[SMMU_ASSIGN_FAULT_PASID_INVALID] = "pasid_invalid",
		[SMMU_ASSIGN_FAULT_WALK_EABT] = "walk_eabt",
		[SMMU_ASSIGN_FAULT_TRANSLATION] = "translation",
		[SMMU_ASSIGN_FAULT_PERMISSION] = "permission",
		[SMMU_ASSIGN_FAULT_ACCESS] = "access",
		[SMMU_ASSIGN_FAULT_ADDR_SIZE] = "addr_size",
	};

	return reason < SMMU_ASSIGN_FAULT_NR_REASONS ? names[reason] : "unknown";
}
