/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * smmu-assign: hand a PCI device's DMA, confined by the SMMUv3, to one owner.
 *
 * The ioctls of /dev/smmu-assign follow the iommufd conventions:
 *
 *  - Every ioctl takes one struct whose first member is __u32 size, set by
 *    userspace to sizeof() of the struct it was compiled with. The kernel
 *    accepts any size from the struct's first version upwards.
 *  - A size below the first version's size fails with EINVAL. Bytes past the
 *    end the kernel knows must be zero, or the call fails with E2BIG.
 *  - Unknown flags and non-zero reserved fields fail with EOPNOTSUPP.
 *  - An unknown ioctl number fails with ENOTTY.
 *  - Output fields are prefixed out_; the kernel writes back at most size
 *    bytes.
 *
 * Documentation/uapi.rst describes every ioctl and errno.
 */
#ifndef _UAPI_LINUX_SMMU_ASSIGN_H
#define _UAPI_LINUX_SMMU_ASSIGN_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define SMMU_ASSIGN_TYPE	'S'
#define SMMU_ASSIGN_CMD_BASE	0x80

/* Bumped on an incompatible change; additions are found by size and caps. */
#define SMMU_ASSIGN_API_VERSION	1

enum {
	SMMU_ASSIGN_CMD_GET_INFO = SMMU_ASSIGN_CMD_BASE,
	SMMU_ASSIGN_CMD_BIND,
	SMMU_ASSIGN_CMD_UNBIND,
	SMMU_ASSIGN_CMD_MAP,
	SMMU_ASSIGN_CMD_UNMAP,
	SMMU_ASSIGN_CMD_CLAIM,
};

/* GET_INFO out_capabilities */
#define SMMU_ASSIGN_CAP_BIND		(1ULL << 0)	/* BIND, UNBIND, MAP, UNMAP */
#define SMMU_ASSIGN_CAP_PERSISTENT	(1ULL << 1)	/* BIND_PERSISTENT, CLAIM */

/**
 * struct smmu_assign_bdf - a PCI function
 * @segment: PCI segment (domain)
 * @bus: bus number
 * @device: device number, 0-31
 * @function: function number, 0-7
 * @__reserved: must be 0
 */
struct smmu_assign_bdf {
	__u16 segment;
	__u8 bus;
	__u8 device;
	__u8 function;
	__u8 __reserved[3];
};

/**
 * struct smmu_assign_get_info - ioctl(SMMU_ASSIGN_GET_INFO)
 * @size: sizeof(struct smmu_assign_get_info)
 * @flags: must be 0
 * @out_api_version: SMMU_ASSIGN_API_VERSION of the running module
 * @__reserved: must be 0
 * @out_capabilities: SMMU_ASSIGN_CAP_* bits of what the module supports
 *
 * Tells userspace which interface the loaded module speaks.
 */
struct smmu_assign_get_info {
	__u32 size;
	__u32 flags;
	__u32 out_api_version;
	__u32 __reserved;
	__aligned_u64 out_capabilities;
};

#define SMMU_ASSIGN_GET_INFO	_IO(SMMU_ASSIGN_TYPE, SMMU_ASSIGN_CMD_GET_INFO)

#define SMMU_ASSIGN_MAX_SIDS		8
#define SMMU_ASSIGN_IOMMU_NAME_LEN	48

/* BIND flags */
#define SMMU_ASSIGN_BIND_PERSISTENT	(1U << 0)

/**
 * struct smmu_assign_bind - ioctl(SMMU_ASSIGN_BIND)
 * @size: sizeof(struct smmu_assign_bind)
 * @flags: SMMU_ASSIGN_BIND_PERSISTENT (CAP_SYS_ADMIN): the binding outlives
 *	   this file; it is mapped into only by the file that CLAIMs it
 * @bdf: the device; it must be bound to the smmu-assign stub driver or to
 *	 vfio-pci with VFIO not using its group, and be alone in its group
 * @window_iova: first IOVA of the DMA window
 * @window_length: length of the window in bytes
 * @out_num_sids: number of valid entries in @out_sids
 * @out_group_id: the device's IOMMU group number
 * @out_sids: the stream IDs from the device's firmware description
 * @out_iommu_name: the SMMU instance, as named in /sys/class/iommu
 * @out_pgsize_bitmap: page sizes the domain supports
 * @out_aperture_start: first IOVA the domain can translate
 * @out_aperture_last: last IOVA the domain can translate
 *
 * Claims DMA ownership of the device's group, allocates a paging domain and
 * attaches it: from then on the device reaches only what is MAPped. The
 * window must be aligned to the smallest page size, non-empty, inside the
 * aperture and clear of the group's reserved regions (the MSI window among
 * them). Devices whose MSIs are not isolated are refused unless the module
 * parameter allow_unsafe_interrupts is set. Each binding has its own
 * domain.
 *
 * Errors: EINVAL (bad BDF, misaligned or empty window, group of more than
 * one device), EOVERFLOW (window wraps), ENODEV (no such device, or it has
 * no IOMMU), EBUSY (device on another driver, group owned, already bound),
 * ERANGE (window outside the aperture), EADDRINUSE (window overlaps a
 * reserved region), EPERM (persistent without CAP_SYS_ADMIN, or MSIs not
 * isolated), EBADFD (file used by a process other than its opener).
 */
struct smmu_assign_bind {
	__u32 size;
	__u32 flags;
	struct smmu_assign_bdf bdf;
	__aligned_u64 window_iova;
	__aligned_u64 window_length;
	__u32 out_num_sids;
	__u32 out_group_id;
	__u32 out_sids[SMMU_ASSIGN_MAX_SIDS];
	char out_iommu_name[SMMU_ASSIGN_IOMMU_NAME_LEN];
	__aligned_u64 out_pgsize_bitmap;
	__aligned_u64 out_aperture_start;
	__aligned_u64 out_aperture_last;
};

#define SMMU_ASSIGN_BIND	_IO(SMMU_ASSIGN_TYPE, SMMU_ASSIGN_CMD_BIND)

/**
 * struct smmu_assign_unbind - ioctl(SMMU_ASSIGN_UNBIND)
 * @size: sizeof(struct smmu_assign_unbind)
 * @flags: must be 0
 * @bdf: a device this file bound, or (CAP_SYS_ADMIN) a persistent binding
 *	 that no other file has claimed
 *
 * Unmaps everything (the IOTLB is invalidated before any page is
 * unpinned), detaches the domain and releases the group: the device is
 * blocked again, still on its driver.
 *
 * Errors: EINVAL (bad BDF), ENOENT (not bound), EPERM (bound by another
 * file), EBUSY (persistent binding claimed by another file), EBADFD.
 */
struct smmu_assign_unbind {
	__u32 size;
	__u32 flags;
	struct smmu_assign_bdf bdf;
};

#define SMMU_ASSIGN_UNBIND	_IO(SMMU_ASSIGN_TYPE, SMMU_ASSIGN_CMD_UNBIND)

/* MAP flags */
#define SMMU_ASSIGN_MAP_READ	(1U << 0)	/* the device may read */
#define SMMU_ASSIGN_MAP_WRITE	(1U << 1)	/* the device may write */

/**
 * struct smmu_assign_map - ioctl(SMMU_ASSIGN_MAP)
 * @size: sizeof(struct smmu_assign_map)
 * @flags: SMMU_ASSIGN_MAP_READ and/or SMMU_ASSIGN_MAP_WRITE
 * @bdf: a device this file owns
 * @user_va: start of the caller's memory
 * @iova: where the device sees it
 * @length: bytes
 * @out_num_runs: physically contiguous runs the memory was mapped as (each
 *		  with the largest page sizes the SMMU supports)
 * @__reserved: must be 0
 *
 * Pins the memory long-term (charged to RLIMIT_MEMLOCK unless the caller
 * has CAP_IPC_LOCK) and maps it. @user_va, @iova and @length must be
 * aligned to the smallest page size.
 *
 * Errors: EINVAL (bad BDF, no access flag, misaligned, zero length),
 * EOVERFLOW (range wraps), ERANGE (outside the window), EEXIST (overlaps a
 * mapping), EFAULT (memory not mapped in the caller, or a WRITE mapping of
 * memory the caller cannot write), ENOMEM (RLIMIT_MEMLOCK), ENOSPC (the
 * max_mappings limit), ENOENT (not bound), EPERM (not this file's device),
 * EBADFD.
 */
struct smmu_assign_map {
	__u32 size;
	__u32 flags;
	struct smmu_assign_bdf bdf;
	__aligned_u64 user_va;
	__aligned_u64 iova;
	__aligned_u64 length;
	__u32 out_num_runs;
	__u32 __reserved;
};

#define SMMU_ASSIGN_MAP		_IO(SMMU_ASSIGN_TYPE, SMMU_ASSIGN_CMD_MAP)

/* UNMAP flags */
#define SMMU_ASSIGN_UNMAP_ALL	(1U << 0)	/* every mapping; iova, length 0 */

/**
 * struct smmu_assign_unmap - ioctl(SMMU_ASSIGN_UNMAP)
 * @size: sizeof(struct smmu_assign_unmap)
 * @flags: SMMU_ASSIGN_UNMAP_ALL, or 0 for a range
 * @bdf: a device this file owns
 * @iova: start of the range
 * @length: bytes of the range
 * @out_unmapped_length: bytes unmapped
 * @out_unmapped_count: mappings removed
 * @__reserved: must be 0
 *
 * Removes every mapping inside the range; a mapping that straddles its edge
 * is never split. The IOTLB is invalidated before any page is unpinned.
 *
 * Errors: EINVAL (bad BDF, misaligned, zero length, a mapping straddles the
 * range, ALL with a range), EOVERFLOW, ENOENT (not bound, or nothing mapped
 * in the range), EPERM, EBADFD.
 */
struct smmu_assign_unmap {
	__u32 size;
	__u32 flags;
	struct smmu_assign_bdf bdf;
	__aligned_u64 iova;
	__aligned_u64 length;
	__aligned_u64 out_unmapped_length;
	__u32 out_unmapped_count;
	__u32 __reserved;
};

#define SMMU_ASSIGN_UNMAP	_IO(SMMU_ASSIGN_TYPE, SMMU_ASSIGN_CMD_UNMAP)

/* CLAIM flags */
#define SMMU_ASSIGN_CLAIM_RELEASE	(1U << 0)	/* give the claim back */

/**
 * struct smmu_assign_claim - ioctl(SMMU_ASSIGN_CLAIM)
 * @size: sizeof(struct smmu_assign_claim)
 * @flags: 0 to claim, SMMU_ASSIGN_CLAIM_RELEASE to release
 * @bdf: a persistent binding
 *
 * Makes this file the one that maps into a persistent binding. Releasing
 * the claim, or closing the file, unmaps everything it mapped; the binding
 * stays.
 *
 * Errors: EINVAL (bad BDF, not persistent), ENOENT (not bound), EBUSY
 * (claimed by another file), EPERM (release of a claim this file does not
 * hold), EBADFD.
 */
struct smmu_assign_claim {
	__u32 size;
	__u32 flags;
	struct smmu_assign_bdf bdf;
};

#define SMMU_ASSIGN_CLAIM	_IO(SMMU_ASSIGN_TYPE, SMMU_ASSIGN_CMD_CLAIM)

#endif /* _UAPI_LINUX_SMMU_ASSIGN_H */
