/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libsmmu-assign: the one userspace library of smmu-assign, used by smmuctl,
 * the selftests and the examples. Functions return 0 or a negative errno.
 */
#ifndef SMMU_ASSIGN_LIB_H
#define SMMU_ASSIGN_LIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/smmu_assign.h>

#define SMMU_ASSIGN_DEV_PATH "/dev/smmu-assign"
/*
 * The VFIO-compatible nodes: the container, and a group node named by IOMMU
 * group number for each bound group, laid out as /dev/vfio is.
 */
#define SMMUA_VFIO_DIR		"/dev/smmu-assign-vfio"
#define SMMUA_VFIO_CONTAINER	SMMUA_VFIO_DIR "/vfio"

/* Canonical text form of a BDF: "0000:00:02.0" plus the terminator. */
#define SMMUA_BDF_STRLEN 13

/*
 * Parse a BDF in the lspci slot syntax: [domain:]bus:device.function, all
 * hex, domain <= ffff, bus <= ff, device <= 1f, function <= 7. Returns 0 or
 * -EINVAL.
 */
int smmua_parse_bdf(const char *str, struct smmu_assign_bdf *bdf);

/* Format as "0000:bb:dd.f" into buf (at least SMMUA_BDF_STRLEN bytes). */
void smmua_format_bdf(const struct smmu_assign_bdf *bdf, char *buf, size_t len);

/* Open /dev/smmu-assign: a file descriptor, or a negative errno. */
int smmua_open(void);

/* SMMU_ASSIGN_GET_INFO into *info. */
int smmua_get_info(int fd, struct smmu_assign_get_info *info);

/*
 * SMMU_ASSIGN_BIND of bdf into a new space whose one allowed range is
 * [iova, iova + length) (with SMMU_ASSIGN_BIND_PERSISTENT: the window the
 * claimer's space gets). The kernel's answer (space, SIDs, group,
 * aperture...) is left in *out when non-NULL.
 */
int smmua_bind(int fd, const struct smmu_assign_bdf *bdf, __u32 flags,
	       __u64 iova, __u64 length, struct smmu_assign_bind *out);

/* SMMU_ASSIGN_BIND of bdf into space_id, a space of this file. */
int smmua_bind_space(int fd, const struct smmu_assign_bdf *bdf, __u32 space_id,
		     struct smmu_assign_bind *out);

/* SMMU_ASSIGN_BIND of a struct the caller filled (size is set here). */
int smmua_bind_cmd(int fd, struct smmu_assign_bind *cmd);

int smmua_unbind(int fd, const struct smmu_assign_bdf *bdf);

/* Map length bytes at user_va to iova; flags SMMU_ASSIGN_MAP_READ/WRITE. */
int smmua_map(int fd, __u32 space_id, __u32 flags, void *user_va, __u64 iova,
	      __u64 length);

/*
 * Unmap the mappings inside [iova, iova + length), or all of them with
 * SMMU_ASSIGN_UNMAP_ALL. Bytes unmapped go to *unmapped when non-NULL.
 */
int smmua_unmap(int fd, __u32 space_id, __u32 flags, __u64 iova, __u64 length,
		__u64 *unmapped);

/*
 * SMMU_ASSIGN_MAP_VEC: n entries (1 to SMMU_ASSIGN_VEC_MAX), each a mapping
 * of its own with smmua_map()'s flags, made all or none. The runs they were
 * mapped as go to *out_num_runs when non-NULL.
 */
int smmua_map_vec(int fd, __u32 space_id, const struct smmu_assign_map_entry *e,
		  __u32 n, __u64 *out_num_runs);

/*
 * SMMU_ASSIGN_UNMAP_VEC: unmap the mappings inside each of n ranges (1 to
 * SMMU_ASSIGN_VEC_MAX; they may overlap), all or none. Bytes unmapped go to
 * *out_unmapped_length and mappings removed to *out_unmapped_count when
 * non-NULL.
 */
int smmua_unmap_vec(int fd, __u32 space_id, const struct smmu_assign_iova_range *r,
		    __u32 n, __u64 *out_unmapped_length, __u32 *out_unmapped_count);

/*
 * Claim a persistent binding into space_id (0: the space of the name the
 * binding carries, or a new one with its window), or with
 * SMMU_ASSIGN_CLAIM_RELEASE give it back (space_id 0). The space it is in
 * goes to *out_space_id when non-NULL.
 */
int smmua_claim(int fd, const struct smmu_assign_bdf *bdf, __u32 flags,
		__u32 space_id, __u32 *out_space_id);

/* ---- address spaces ---- */

/* A new space named name (NULL or "" for none); its id goes to *space_id. */
int smmua_space_alloc(int fd, const char *name, __u32 *space_id);

int smmua_space_destroy(int fd, __u32 space_id);

/* Replace the allowed ranges of space_id with num ranges (0: none). */
int smmua_space_allow_iovas(int fd, __u32 space_id,
			    const struct smmu_assign_iova_range *ranges, size_t num);

/* What SPACE_INFO says of a space, with its arrays. */
struct smmua_space_desc {
	struct smmu_assign_space_info info;
	struct smmu_assign_iova_range *ranges;		/* allowed, IOVA order */
	size_t num_ranges;
	struct smmu_assign_resv_region *reserved;	/* of its groups */
	size_t num_reserved;
	struct smmu_assign_bdf *devices;
	size_t num_devices;
};

/*
 * SPACE_INFO of space_id, or with bdf non-NULL of the space that device is
 * in (SMMU_ASSIGN_BY_DEVICE, space_id 0). Arrays are malloc()ed (NULL when
 * empty); free with smmua_space_desc_free().
 */
int smmua_space_info(int fd, __u32 space_id, const struct smmu_assign_bdf *bdf,
		     struct smmua_space_desc *desc);
void smmua_space_desc_free(struct smmua_space_desc *desc);

/*
 * Let uid, or the members of gid, claim a persistent binding without
 * CAP_SYS_ADMIN (SMMU_ASSIGN_NO_ID for neither).
 */
int smmua_delegate(int fd, const struct smmu_assign_bdf *bdf, __u32 uid, __u32 gid);

/* ---- device fds ---- */

/*
 * SMMU_ASSIGN_DEVICE_FD: open bdf, a bound device of a group this file owns
 * (BIND, or CLAIM), for access. The fd speaks the device ABI of
 * <linux/vfio.h> with vfio-pci's semantics (regions at
 * VFIO_PCI_INDEX_TO_OFFSET(), VFIO_DEVICE_SET_IRQS, ...) and keeps fd, and
 * so the binding, alive until it is closed. Returns the device fd
 * (close-on-exec), or a negative errno: -EBUSY when one is open already.
 */
int smmua_device_fd(int fd, const struct smmu_assign_bdf *bdf);

/*
 * "intx", "msi", "msix", "err", "req": the name of a VFIO_PCI_*_IRQ_INDEX,
 * as QUERY's out_irq_index reports one; "none" for VFIO_PCI_NUM_IRQS and
 * beyond.
 */
const char *smmua_irq_index_name(__u32 index);

/* ---- numbers and sizes (smmua_size.c) ---- */

/*
 * Parse a number: decimal or 0x hex, optionally followed by one of the
 * binary suffixes K, M, G, T (either case). No sign, no spaces, nothing
 * after. Returns 0, -EINVAL (junk) or -ERANGE (does not fit 64 bits).
 */
int smmua_parse_u64(const char *str, __u64 *val);

/* smmua_parse_u64() that also refuses 0 (-EINVAL): a length. */
int smmua_parse_size(const char *str, __u64 *val);

/* "IOVA:SIZE" (each as smmua_parse_u64(), SIZE non-zero). */
int smmua_parse_window(const char *str, __u64 *iova, __u64 *length);

/* Largest exact unit: "4K", "2M", "1G", "1T"; plain bytes otherwise. */
void smmua_format_size(__u64 size, char *buf, size_t len);

/* Longest smmua_format_size() output plus the terminator. */
#define SMMUA_SIZE_STRLEN 24

/* ---- PCI devices in sysfs (smmua_pci.c) ---- */

#define SMMUA_STUB_DRIVER	"smmu-assign"
#define SMMUA_VFIO_DRIVER	"vfio-pci"
/* Where takeover remembers a device's previous driver. */
#define SMMUA_STATE_DIR		"/run/smmu-assign"
#define SMMUA_DRIVER_LEN	64

struct smmua_pci_dev {
	struct smmu_assign_bdf bdf;
	unsigned int vendor;
	unsigned int device;
	unsigned int class;		/* 24 bits: base, sub, prog-if */
	char driver[SMMUA_DRIVER_LEN];	/* "" when none */
	char driver_override[SMMUA_DRIVER_LEN];	/* "" when none */
	int iommu_group;		/* -1 when none */
	int group_size;			/* devices in the group, 0 when none */
};

/* Read what sysfs says of bdf: -ENODEV when there is no such device. */
int smmua_pci_read(const struct smmu_assign_bdf *bdf, struct smmua_pci_dev *dev);

/* The driver bound to bdf into buf ("" when none). */
int smmua_pci_driver(const struct smmu_assign_bdf *bdf, char *buf, size_t len);

/* Every PCI device, sorted; *bdfs is malloc()ed, free() it. */
int smmua_pci_list(struct smmu_assign_bdf **bdfs, size_t *num);

/*
 * Move bdf to driver (SMMUA_STUB_DRIVER or SMMUA_VFIO_DRIVER): remember its
 * current driver in SMMUA_STATE_DIR/<BDF>.driver, unbind it, set
 * driver_override, drivers_probe, and check driver took it. A device
 * already on driver is left alone. -ENOENT: driver is not loaded; -EIO: it
 * did not bind. The previous driver goes to prev when non-NULL.
 */
int smmua_pci_takeover(const struct smmu_assign_bdf *bdf, const char *driver,
		       char *prev, size_t prev_len);

/*
 * Undo smmua_pci_takeover(): unbind, clear driver_override, rebind the
 * remembered driver (or drivers_probe when none was remembered), check,
 * and forget. The driver it ends on goes to now when non-NULL. -EIO: the
 * remembered driver did not take it back.
 */
int smmua_pci_giveback(const struct smmu_assign_bdf *bdf, char *now, size_t now_len);

/* The PCI command register (config offset 4) and its decode and DMA bits. */
#define SMMUA_PCI_COMMAND		0x04
#define SMMUA_PCI_COMMAND_MEMORY	0x2
#define SMMUA_PCI_COMMAND_MASTER	0x4

/*
 * Read-modify-write the command register through sysfs: set, then clear
 * bits; the value read back goes to out when non-NULL. A userspace driver
 * turns on memory decoding and bus mastering with it before DMA.
 */
int smmua_pci_command(const struct smmu_assign_bdf *bdf, uint16_t set, uint16_t clear,
		      uint16_t *out);

/* ---- QUERY, LIST, MAPPINGS, TRANSLATE, faults (smmua_query.c) ---- */

int smmua_query(int fd, const struct smmu_assign_bdf *bdf, struct smmu_assign_query *out);

/* Every bound device; *bdfs is malloc()ed (NULL when none), free() it. */
int smmua_list(int fd, struct smmu_assign_bdf **bdfs, size_t *num);

/*
 * Every mapping of space_id, or with bdf non-NULL of the space that device
 * is in, in IOVA order; *maps is malloc()ed, free() it.
 */
int smmua_mappings(int fd, __u32 space_id, const struct smmu_assign_bdf *bdf,
		   struct smmu_assign_mapping_info **maps, size_t *num);

/* TRANSLATE iova in space_id, or with bdf non-NULL in that device's space. */
int smmua_translate(int fd, __u32 space_id, const struct smmu_assign_bdf *bdf,
		    __u64 iova, struct smmu_assign_translate *out);

/*
 * The IOVA ranges bdf's IOMMU group reserves (bound or not); *regions is
 * malloc()ed (NULL when none), free() it.
 */
int smmua_resv_regions(int fd, const struct smmu_assign_bdf *bdf,
		       struct smmu_assign_resv_region **regions, size_t *num);
/* "sw-msi", "direct", ...: the name of an enum smmu_assign_resv_type. */
const char *smmua_resv_type_name(__u32 type);

/* Signal efd once per queued fault; -1 stops. */
int smmua_set_eventfd(int fd, int efd);

/*
 * read() up to max fault records into ev; *num gets how many. -EAGAIN when
 * none are queued and fd is O_NONBLOCK.
 */
int smmua_read_faults(int fd, struct smmu_assign_fault_event *ev, size_t max,
		      size_t *num);

/* "translation", "permission", ...; "unknown" beyond the known ones. */
const char *smmua_fault_reason_name(__u32 reason);

#endif /* SMMU_ASSIGN_LIB_H */
