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
#define SMMU_ASSIGN_API_VERSION	2

enum {
	SMMU_ASSIGN_CMD_GET_INFO = SMMU_ASSIGN_CMD_BASE,
	SMMU_ASSIGN_CMD_BIND,
	SMMU_ASSIGN_CMD_UNBIND,
	SMMU_ASSIGN_CMD_MAP,
	SMMU_ASSIGN_CMD_UNMAP,
	SMMU_ASSIGN_CMD_CLAIM,
	SMMU_ASSIGN_CMD_SET_EVENTFD,
	SMMU_ASSIGN_CMD_QUERY,
	SMMU_ASSIGN_CMD_LIST,
	SMMU_ASSIGN_CMD_MAPPINGS,
	SMMU_ASSIGN_CMD_TRANSLATE,
	SMMU_ASSIGN_CMD_RESV_REGIONS,
	SMMU_ASSIGN_CMD_DELEGATE,
	SMMU_ASSIGN_CMD_SPACE_ALLOC,
	SMMU_ASSIGN_CMD_SPACE_DESTROY,
	SMMU_ASSIGN_CMD_SPACE_ALLOW_IOVAS,
	SMMU_ASSIGN_CMD_SPACE_INFO,
	SMMU_ASSIGN_CMD_DEVICE_FD,
	SMMU_ASSIGN_CMD_MAP_VEC,
	SMMU_ASSIGN_CMD_UNMAP_VEC,
};

/* GET_INFO out_capabilities */
#define SMMU_ASSIGN_CAP_BIND		(1ULL << 0)	/* BIND, UNBIND, MAP, UNMAP */
#define SMMU_ASSIGN_CAP_PERSISTENT	(1ULL << 1)	/* BIND_PERSISTENT, CLAIM */
#define SMMU_ASSIGN_CAP_FAULTS		(1ULL << 2)	/* fault records: read(), poll() */
#define SMMU_ASSIGN_CAP_QUERY		(1ULL << 3)	/* QUERY, LIST, MAPPINGS, TRANSLATE */
#define SMMU_ASSIGN_CAP_RESV_REGIONS	(1ULL << 4)	/* RESV_REGIONS */
#define SMMU_ASSIGN_CAP_DELEGATE	(1ULL << 5)	/* DELEGATE */
#define SMMU_ASSIGN_CAP_SPACES		(1ULL << 6)	/* SPACE_*; MAP by space */
#define SMMU_ASSIGN_CAP_GROUPS		(1ULL << 7)	/* groups of several devices */
#define SMMU_ASSIGN_CAP_DEVICE_FD	(1ULL << 8)	/* DEVICE_FD; QUERY's out_irq_* */
#define SMMU_ASSIGN_CAP_MAP_VEC		(1ULL << 9)	/* MAP_VEC, UNMAP_VEC */

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
 * @out_num_devices: devices bound now
 * @__reserved2: must be 0
 * @out_total_maps: MAPs since the module loaded
 * @out_total_unmaps: mappings removed since the module loaded
 * @out_total_faults: faults reported for bound devices since then
 * @out_bytes_mapped: bytes mapped now, all spaces together
 *
 * Tells userspace which interface the loaded module speaks, and the global
 * figures. The fields from @out_num_devices on came with
 * SMMU_ASSIGN_CAP_QUERY; a shorter struct still gets the first ones.
 */
struct smmu_assign_get_info {
	__u32 size;
	__u32 flags;
	__u32 out_api_version;
	__u32 __reserved;
	__aligned_u64 out_capabilities;
	__u32 out_num_devices;
	__u32 __reserved2;
	__aligned_u64 out_total_maps;
	__aligned_u64 out_total_unmaps;
	__aligned_u64 out_total_faults;
	__aligned_u64 out_bytes_mapped;
};

#define SMMU_ASSIGN_GET_INFO	_IO(SMMU_ASSIGN_TYPE, SMMU_ASSIGN_CMD_GET_INFO)

#define SMMU_ASSIGN_MAX_SIDS		8
#define SMMU_ASSIGN_IOMMU_NAME_LEN	48
/* Space names: letters, digits, '.', '_' and '-', NUL-terminated. */
#define SMMU_ASSIGN_SPACE_NAME_LEN	32

/* BIND flags */
#define SMMU_ASSIGN_BIND_PERSISTENT	(1U << 0)

/* BIND and QUERY out_domain_flags */
#define SMMU_ASSIGN_DOMAIN_SHARED	(1U << 0)	/* serves other groups too */
#define SMMU_ASSIGN_DOMAIN_MIRRORED	(1U << 1)	/* one of several in the space */

/**
 * struct smmu_assign_bind - ioctl(SMMU_ASSIGN_BIND)
 * @size: sizeof(struct smmu_assign_bind)
 * @flags: SMMU_ASSIGN_BIND_PERSISTENT: the binding outlives this file and
 *	   is in no space until a file CLAIMs it
 * @bdf: the device, on the smmu-assign stub driver or on vfio-pci with
 *	 VFIO not using its group; every other device of the group must be
 *	 on one of those or on no driver (bridges may be on pcieport)
 * @space_id: a space of this file to attach the group to, or 0 for a new
 *	      one; 0 with SMMU_ASSIGN_BIND_PERSISTENT
 * @out_space_id: the space the group is now in (0 if persistent)
 * @window_iova: with @space_id 0, the first IOVA of the new space's one
 *		 allowed range (persistent: of the space CLAIM makes); else 0
 * @window_length: its length in bytes; 0 with a @space_id
 * @space_name: with @space_id 0, the name of the new space (persistent: of
 *		the space CLAIM makes or joins); all zero for none
 * @out_num_sids: number of valid entries in @out_sids
 * @out_group_id: the device's IOMMU group number
 * @out_sids: the stream IDs from the device's firmware description
 * @out_iommu_name: the SMMU instance, as named in /sys/class/iommu
 * @out_pgsize_bitmap: page sizes of the group's domain (0 if persistent)
 * @out_aperture_start: first IOVA the domain translates (0 if persistent)
 * @out_aperture_last: last IOVA the domain translates (0 if persistent)
 * @out_num_devices: PCI functions of the group bound, @bdf among them
 * @out_domain_flags: SMMU_ASSIGN_DOMAIN_* (0 if persistent)
 *
 * Needs CAP_SYS_ADMIN: handing out devices is the administrator's. Claims
 * the DMA ownership of the device's whole IOMMU group and attaches the
 * group to a space: from then on its devices reach only what the space
 * maps, and what it maps already they reach at once. Every PCI function
 * of the group that is not a bridge is bound and listed, and all of them
 * end together. A persistent binding is blocked (it reaches nothing) until
 * a file claims it. The group's reserved regions (the MSI window among
 * them, and the MSI doorbell pages its devices already write, which the
 * space's domain maps for them) must stay clear of the space's allowed
 * ranges. Groups whose MSIs are not isolated are refused unless the module
 * parameter allow_unsafe_interrupts is set. Groups of one space behind one
 * SMMU share one IOMMU domain; where the SMMU refuses, or the module
 * parameter share_domains is off, the group gets a domain of its own with
 * the space's mappings mirrored into it.
 *
 * Errors: EINVAL (bad BDF, a bridge, misaligned or empty window, a window
 * with a @space_id, a @space_id with SMMU_ASSIGN_BIND_PERSISTENT, bad
 * @space_name, a mapping of the space misaligned for the domain), EOVERFLOW
 * (window wraps), ENOENT (no such space in this file), EEXIST (this file
 * has a space of that name), ENOSPC (this file has too many spaces), ENODEV
 * (no such device, or it has no IOMMU), EBUSY (a device of the group on
 * another driver, a device behind the group's bridge in no IOMMU group,
 * group owned by VFIO or bound already; the kernel log names the device),
 * ERANGE
 * (an allowed range or mapping outside the domain's aperture), EADDRINUSE
 * (an allowed range overlaps a reserved region of the group), EPERM (no
 * CAP_SYS_ADMIN, or MSIs not isolated).
 */
struct smmu_assign_bind {
	__u32 size;
	__u32 flags;
	struct smmu_assign_bdf bdf;
	__u32 space_id;
	__u32 out_space_id;
	__aligned_u64 window_iova;
	__aligned_u64 window_length;
	char space_name[SMMU_ASSIGN_SPACE_NAME_LEN];
	__u32 out_num_sids;
	__u32 out_group_id;
	__u32 out_sids[SMMU_ASSIGN_MAX_SIDS];
	char out_iommu_name[SMMU_ASSIGN_IOMMU_NAME_LEN];
	__aligned_u64 out_pgsize_bitmap;
	__aligned_u64 out_aperture_start;
	__aligned_u64 out_aperture_last;
	__u32 out_num_devices;
	__u32 out_domain_flags;
};

#define SMMU_ASSIGN_BIND	_IO(SMMU_ASSIGN_TYPE, SMMU_ASSIGN_CMD_BIND)

/**
 * struct smmu_assign_unbind - ioctl(SMMU_ASSIGN_UNBIND)
 * @size: sizeof(struct smmu_assign_unbind)
 * @flags: must be 0
 * @bdf: a device of a group this file bound, or (CAP_SYS_ADMIN) of a
 *	 persistent binding that no other file has claimed
 *
 * Detaches the whole group from its space and releases it: its devices
 * are quiesced (bus mastering off) and blocked again, still on their
 * drivers. The space keeps its mappings, and the other groups in it are
 * untouched.
 *
 * Errors: EINVAL (bad BDF), ENOENT (not bound), EPERM (bound by another
 * file), EBUSY (persistent binding claimed by another file, or a device
 * fd of the group is open).
 */
struct smmu_assign_unbind {
	__u32 size;
	__u32 flags;
	struct smmu_assign_bdf bdf;
};

#define SMMU_ASSIGN_UNBIND	_IO(SMMU_ASSIGN_TYPE, SMMU_ASSIGN_CMD_UNBIND)

/* MAP flags */
#define SMMU_ASSIGN_MAP_READ	(1U << 0)	/* the devices may read */
#define SMMU_ASSIGN_MAP_WRITE	(1U << 1)	/* the devices may write */

/**
 * struct smmu_assign_map - ioctl(SMMU_ASSIGN_MAP)
 * @size: sizeof(struct smmu_assign_map)
 * @flags: SMMU_ASSIGN_MAP_READ, alone or with SMMU_ASSIGN_MAP_WRITE
 * @space_id: a space of this file
 * @__reserved: must be 0
 * @user_va: start of the caller's memory
 * @iova: where the devices see it
 * @length: bytes
 * @out_num_runs: physically contiguous runs the memory was mapped as (each
 *		  with the largest page sizes the SMMU supports)
 * @__reserved2: must be 0
 *
 * Pins the memory long-term, once, and maps it into every domain of the
 * space: every device attached now or later reaches it. A space with no
 * device yet holds the pins until one is attached. The pins are charged
 * once to the caller: to its user's locked memory, against its
 * RLIMIT_MEMLOCK (unless it has CAP_IPC_LOCK), and to its VmPin. The
 * charge stays with the mapping until the mapping goes, whichever process
 * holds the file then. @user_va, @iova and @length must be aligned to the
 * kernel's page size (4 KiB, 16 KiB or 64 KiB on arm64) and to the
 * smallest page size of the space's domains. The range must lie in one of
 * the space's allowed ranges. The SMMU cannot map write-only, so WRITE
 * needs READ. The devices see what the process writes to the memory
 * later, also for READ mappings of private memory never written or of a
 * private file mapping (the pin gives the process its own copy first);
 * they keep the pages they were given if the process later unmaps or
 * replaces them (munmap, MAP_FIXED, MADV_DONTNEED).
 *
 * Peer-to-peer: memory at @user_va that is a memory BAR mmapped through a
 * device fd (SMMU_ASSIGN_DEVICE_FD) of this file is mapped as that BAR's
 * MMIO, neither pinned nor charged, so the space's devices reach the other
 * device. The range must lie within that one mmap and BAR. The mapping
 * goes when that device fd is closed, before its device is disabled.
 *
 * Errors: EINVAL (no READ flag, misaligned, zero length, a BAR range
 * leaving its mmap or BAR), EOVERFLOW (range wraps), ENOENT (no such space
 * in this file), ERANGE (outside the allowed ranges), EEXIST (overlaps a
 * mapping), EFAULT (memory not mapped in the caller, or a WRITE mapping of
 * memory the caller cannot write), EPERM (a BAR of another file's device
 * fd), ENOMEM (RLIMIT_MEMLOCK), ENOSPC (the max_mappings limit).
 */
struct smmu_assign_map {
	__u32 size;
	__u32 flags;
	__u32 space_id;
	__u32 __reserved;
	__aligned_u64 user_va;
	__aligned_u64 iova;
	__aligned_u64 length;
	__u32 out_num_runs;
	__u32 __reserved2;
};

#define SMMU_ASSIGN_MAP		_IO(SMMU_ASSIGN_TYPE, SMMU_ASSIGN_CMD_MAP)

/* UNMAP flags */
#define SMMU_ASSIGN_UNMAP_ALL	(1U << 0)	/* every mapping; iova, length 0 */

/**
 * struct smmu_assign_unmap - ioctl(SMMU_ASSIGN_UNMAP)
 * @size: sizeof(struct smmu_assign_unmap)
 * @flags: SMMU_ASSIGN_UNMAP_ALL, or 0 for a range
 * @space_id: a space of this file
 * @__reserved: must be 0
 * @iova: start of the range
 * @length: bytes of the range
 * @out_unmapped_length: bytes unmapped
 * @out_unmapped_count: mappings removed
 * @__reserved2: must be 0
 *
 * Removes every mapping inside the range from every domain of the space; a
 * mapping that straddles its edge is never split. The IOTLBs are
 * invalidated before any page is unpinned.
 *
 * Errors: EINVAL (misaligned, zero length, a mapping straddles the range,
 * ALL with a range), EOVERFLOW, ENOENT (no such space in this file, or
 * nothing mapped in the range).
 */
struct smmu_assign_unmap {
	__u32 size;
	__u32 flags;
	__u32 space_id;
	__u32 __reserved;
	__aligned_u64 iova;
	__aligned_u64 length;
	__aligned_u64 out_unmapped_length;
	__u32 out_unmapped_count;
	__u32 __reserved2;
};

#define SMMU_ASSIGN_UNMAP	_IO(SMMU_ASSIGN_TYPE, SMMU_ASSIGN_CMD_UNMAP)

/* CLAIM flags */
#define SMMU_ASSIGN_CLAIM_RELEASE	(1U << 0)	/* give the claim back */

/**
 * struct smmu_assign_claim - ioctl(SMMU_ASSIGN_CLAIM)
 * @size: sizeof(struct smmu_assign_claim)
 * @flags: 0 to claim, SMMU_ASSIGN_CLAIM_RELEASE to release
 * @bdf: a device of a persistent binding
 * @space_id: a space of this file to attach the group to; or 0: the space
 *	      of this file named as the binding says (BIND's @space_name),
 *	      made with the binding's window as its allowed range if this
 *	      file has none of that name (or the binding names none). 0 to
 *	      release
 * @out_space_id: the space the group is now in
 *
 * Makes this file the owner of a persistent binding, and attaches its
 * group to one of the file's spaces. Releasing the claim, or closing the
 * file, detaches the group (its devices are blocked again); the binding
 * stays, and the space keeps its mappings. Without CAP_SYS_ADMIN, only a
 * binding delegated to the caller's effective user or to one of its groups
 * (DELEGATE) can be claimed.
 *
 * Errors: EINVAL (bad BDF, not persistent, a @space_id with RELEASE, a
 * mapping of the space misaligned for the domain), ENOENT (not bound, or
 * no such space in this file), EALREADY (this file holds the claim
 * already), EBUSY (claimed by another file; on release, a device fd of
 * the group is open), EPERM (release of a claim
 * this file does not hold, or a claim without CAP_SYS_ADMIN of a binding
 * not delegated to the caller), ENOSPC, ERANGE and EADDRINUSE (as for
 * BIND).
 */
struct smmu_assign_claim {
	__u32 size;
	__u32 flags;
	struct smmu_assign_bdf bdf;
	__u32 space_id;
	__u32 out_space_id;
};

#define SMMU_ASSIGN_CLAIM	_IO(SMMU_ASSIGN_TYPE, SMMU_ASSIGN_CMD_CLAIM)
/* Why the SMMU refused an access (the IOMMU core's fault reasons). */
enum smmu_assign_fault_reason {
	SMMU_ASSIGN_FAULT_UNKNOWN = 0,
	SMMU_ASSIGN_FAULT_PASID_FETCH = 1,
	SMMU_ASSIGN_FAULT_BAD_PASID_ENTRY = 2,
	SMMU_ASSIGN_FAULT_PASID_INVALID = 3,
	SMMU_ASSIGN_FAULT_WALK_EABT = 4,
	SMMU_ASSIGN_FAULT_TRANSLATION = 5,	/* nothing mapped there */
	SMMU_ASSIGN_FAULT_PERMISSION = 6,	/* mapped without that access */
	SMMU_ASSIGN_FAULT_ACCESS = 7,		/* access flag fault */
	SMMU_ASSIGN_FAULT_ADDR_SIZE = 8,	/* IOVA beyond the input range */
	SMMU_ASSIGN_FAULT_NR_REASONS = 9,
};

/* smmu_assign_fault_event flags */
#define SMMU_ASSIGN_FAULT_READ		(1U << 0)	/* the device read */
#define SMMU_ASSIGN_FAULT_WRITE		(1U << 1)	/* the device wrote */
/*
 * Not a fault: the binding ended because its device left its driver
 * (unbind, removal, hot-unplug). @iova and @reason are 0.
 */
#define SMMU_ASSIGN_EVENT_DEVICE_GONE	(1U << 2)

/**
 * struct smmu_assign_fault_event - one record returned by read()
 * @seq: sequence number of this owner's events, from 1, without gaps
 *	 except the @lost ones
 * @timestamp_ns: CLOCK_MONOTONIC time the fault was reported
 * @iova: the address the device used
 * @bdf: the device
 * @sid: its stream ID (the first, for a device with several)
 * @reason: enum smmu_assign_fault_reason
 * @flags: SMMU_ASSIGN_FAULT_READ or SMMU_ASSIGN_FAULT_WRITE, or
 *	   SMMU_ASSIGN_EVENT_DEVICE_GONE
 * @lost: events dropped, because the queue was full, just before this one
 *
 * The file of a device's owner becomes readable (poll, epoll) when a fault
 * is queued; read() returns whole records only (EINVAL for a buffer
 * smaller than one record), and EAGAIN when empty with O_NONBLOCK. The
 * queue holds fault_queue_len records (module parameter). Faults of a
 * persistent binding that no file has claimed are only counted. When a
 * bound device leaves its driver (sysfs unbind or remove, hot-unplug), the
 * binding of its group ends, persistent or not, and the owner gets a
 * record with SMMU_ASSIGN_EVENT_DEVICE_GONE for each device of the group.
 */
struct smmu_assign_fault_event {
	__aligned_u64 seq;
	__aligned_u64 timestamp_ns;
	__aligned_u64 iova;
	struct smmu_assign_bdf bdf;
	__u32 sid;
	__u32 reason;
	__u32 flags;
	__u32 lost;
};

/**
 * struct smmu_assign_set_eventfd - ioctl(SMMU_ASSIGN_SET_EVENTFD)
 * @size: sizeof(struct smmu_assign_set_eventfd)
 * @flags: must be 0
 * @eventfd: an eventfd signalled once per queued fault, or -1 to stop
 * @__reserved: must be 0
 *
 * Errors: EBADF or EINVAL (not an eventfd).
 */
struct smmu_assign_set_eventfd {
	__u32 size;
	__u32 flags;
	__s32 eventfd;
	__u32 __reserved;
};

#define SMMU_ASSIGN_SET_EVENTFD	_IO(SMMU_ASSIGN_TYPE, SMMU_ASSIGN_CMD_SET_EVENTFD)

/**
 * struct smmu_assign_stats - figures of one bound device and its space
 * @maps: successful MAPs into its space since the space was made
 * @unmaps: mappings removed from the space (by UNMAP, SPACE_DESTROY or
 *	    release)
 * @bytes_mapped: bytes the space maps now
 * @peak_bytes_mapped: the most it ever mapped at once
 * @pinned_pages: pages pinned for the space now, once each
 * @peak_pinned_pages: the most ever pinned at once
 * @iotlb_syncs: IOTLB invalidations the space issued
 * @faults: faults the device reported, by enum smmu_assign_fault_reason
 * @faults_lost: its faults not queued because its owner's queue was full
 * @bound_ns: nanoseconds since BIND
 *
 * The mapping figures are 0 for a device in no space.
 */
struct smmu_assign_stats {
	__aligned_u64 maps;
	__aligned_u64 unmaps;
	__aligned_u64 bytes_mapped;
	__aligned_u64 peak_bytes_mapped;
	__aligned_u64 pinned_pages;
	__aligned_u64 peak_pinned_pages;
	__aligned_u64 iotlb_syncs;
	__aligned_u64 faults[SMMU_ASSIGN_FAULT_NR_REASONS];
	__aligned_u64 faults_lost;
	__aligned_u64 bound_ns;
};

/* QUERY out_state flags */
#define SMMU_ASSIGN_STATE_PERSISTENT	(1U << 0)	/* outlives its files */
#define SMMU_ASSIGN_STATE_OWNED		(1U << 1)	/* a file maps for it */
#define SMMU_ASSIGN_STATE_MINE		(1U << 2)	/* ...and it is this file */
#define SMMU_ASSIGN_STATE_DEVICE_FD	(1U << 3)	/* a device fd is open */

/**
 * struct smmu_assign_query - ioctl(SMMU_ASSIGN_QUERY)
 * @size: sizeof(struct smmu_assign_query)
 * @flags: must be 0
 * @bdf: a bound device (any file may query any device)
 * @out_state: SMMU_ASSIGN_STATE_* flags
 * @out_owner_pid: process that opened the owning file, 0 if none
 * @out_num_sids: number of valid entries in @out_sids
 * @out_group_id: the device's IOMMU group
 * @out_sids: its stream IDs
 * @out_iommu_name: the SMMU instance
 * @out_space_id: the owner's id of the space the device is in, 0 if none
 * @out_domain_flags: SMMU_ASSIGN_DOMAIN_* of the device's domain
 * @out_space_name: the name of that space; for an unclaimed persistent
 *		    binding, the name BIND gave it
 * @out_window_iova: a persistent binding's window (BIND), else 0
 * @out_window_length: its length, else 0
 * @out_pgsize_bitmap: page sizes of the device's domain, 0 if none
 * @out_num_mappings: mappings of its space
 * @out_num_devices: PCI functions bound with it (its group's)
 * @out_stats: the device's faults, and the figures of its space
 * @out_delegate_uid: the user a persistent binding is delegated to, or
 *		      SMMU_ASSIGN_NO_ID
 * @out_delegate_gid: the group it is delegated to, or SMMU_ASSIGN_NO_ID
 * @out_irq_index: while a device fd is open, the VFIO_PCI_*_IRQ_INDEX its
 *		   interrupts are enabled on, or VFIO_PCI_NUM_IRQS for none
 * @out_irq_count: the vectors enabled on it (INTx: 1)
 *
 * Errors: EINVAL (bad BDF), ENOENT (not bound).
 */
struct smmu_assign_query {
	__u32 size;
	__u32 flags;
	struct smmu_assign_bdf bdf;
	__u32 out_state;
	__u32 out_owner_pid;
	__u32 out_num_sids;
	__u32 out_group_id;
	__u32 out_sids[SMMU_ASSIGN_MAX_SIDS];
	char out_iommu_name[SMMU_ASSIGN_IOMMU_NAME_LEN];
	__u32 out_space_id;
	__u32 out_domain_flags;
	char out_space_name[SMMU_ASSIGN_SPACE_NAME_LEN];
	__aligned_u64 out_window_iova;
	__aligned_u64 out_window_length;
	__aligned_u64 out_pgsize_bitmap;
	__u32 out_num_mappings;
	__u32 out_num_devices;
	struct smmu_assign_stats out_stats;
	__u32 out_delegate_uid;
	__u32 out_delegate_gid;
	__u32 out_irq_index;
	__u32 out_irq_count;
};

#define SMMU_ASSIGN_QUERY	_IO(SMMU_ASSIGN_TYPE, SMMU_ASSIGN_CMD_QUERY)

/**
 * struct smmu_assign_list - ioctl(SMMU_ASSIGN_LIST)
 * @size: sizeof(struct smmu_assign_list)
 * @flags: must be 0
 * @num_devices: in: entries @devices has room for; out: devices bound
 * @__reserved: must be 0
 * @devices: user pointer to an array of struct smmu_assign_bdf
 *
 * Fills what fits. If more devices are bound than @num_devices allowed,
 * fails with EMSGSIZE and @num_devices says how many there are; QUERY each
 * for details.
 *
 * Errors: EMSGSIZE, EFAULT.
 */
struct smmu_assign_list {
	__u32 size;
	__u32 flags;
	__u32 num_devices;
	__u32 __reserved;
	__aligned_u64 devices;
};

#define SMMU_ASSIGN_LIST	_IO(SMMU_ASSIGN_TYPE, SMMU_ASSIGN_CMD_LIST)

/*
 * MAPPINGS, TRANSLATE and SPACE_INFO flags: name the space by a device in
 * it (@bdf) rather than by @space_id, which must then be 0. Answers the
 * space's owner and CAP_SYS_ADMIN.
 */
#define SMMU_ASSIGN_BY_DEVICE	(1U << 0)

/**
 * struct smmu_assign_mapping_info - one mapping, as MAPPINGS reports it
 * @iova: first IOVA
 * @length: bytes
 * @user_va: the mapping process's virtual address behind @iova
 * @flags: SMMU_ASSIGN_MAP_READ, alone or with SMMU_ASSIGN_MAP_WRITE
 * @__reserved: 0
 */
struct smmu_assign_mapping_info {
	__aligned_u64 iova;
	__aligned_u64 length;
	__aligned_u64 user_va;
	__u32 flags;
	__u32 __reserved;
};

/**
 * struct smmu_assign_mappings - ioctl(SMMU_ASSIGN_MAPPINGS)
 * @size: sizeof(struct smmu_assign_mappings)
 * @flags: 0, or SMMU_ASSIGN_BY_DEVICE
 * @space_id: a space of this file, or 0 with SMMU_ASSIGN_BY_DEVICE
 * @__reserved: must be 0
 * @bdf: with SMMU_ASSIGN_BY_DEVICE, a device in the space; else zero
 * @cursor: in: report mappings at or above this IOVA (0 to start);
 *	    out: the IOVA to pass next, or 0 when there are no more
 * @num_mappings: in: entries @mappings has room for; out: entries filled
 * @__reserved2: must be 0
 * @mappings: user pointer to an array of struct smmu_assign_mapping_info
 *
 * Iterates in IOVA order, a batch per call. A zero-sized batch (with
 * mappings left) fails with EMSGSIZE.
 *
 * Errors: EINVAL (bad BDF, a @space_id with SMMU_ASSIGN_BY_DEVICE, a @bdf
 * without it), ENOENT (no such space in this file, or the device is not
 * bound or in no space), EPERM (the device's space is another file's and
 * the caller lacks CAP_SYS_ADMIN), EMSGSIZE, EFAULT.
 */
struct smmu_assign_mappings {
	__u32 size;
	__u32 flags;
	__u32 space_id;
	__u32 __reserved;
	struct smmu_assign_bdf bdf;
	__aligned_u64 cursor;
	__u32 num_mappings;
	__u32 __reserved2;
	__aligned_u64 mappings;
};

#define SMMU_ASSIGN_MAPPINGS	_IO(SMMU_ASSIGN_TYPE, SMMU_ASSIGN_CMD_MAPPINGS)

/* TRANSLATE out_flags */
#define SMMU_ASSIGN_XLATE_READ		(1U << 0)	/* mapped readable */
#define SMMU_ASSIGN_XLATE_WRITE		(1U << 1)	/* mapped writable */
#define SMMU_ASSIGN_XLATE_PHYS		(1U << 2)	/* out_phys is valid */

/**
 * struct smmu_assign_translate - ioctl(SMMU_ASSIGN_TRANSLATE)
 * @size: sizeof(struct smmu_assign_translate)
 * @flags: 0, or SMMU_ASSIGN_BY_DEVICE
 * @space_id: a space of this file, or 0 with SMMU_ASSIGN_BY_DEVICE
 * @__reserved: must be 0
 * @bdf: with SMMU_ASSIGN_BY_DEVICE, a device in the space; else zero
 * @iova: the address to translate
 * @out_user_va: the mapping process's virtual address behind @iova
 * @out_phys: the host physical address from the SMMU page tables; only
 *	      for CAP_SYS_ADMIN (SMMU_ASSIGN_XLATE_PHYS), else 0
 * @out_flags: SMMU_ASSIGN_XLATE_*
 * @__reserved2: must be 0
 *
 * Looks @iova up among the space's mappings and in the real IOMMU page
 * table of every domain of the space (iommu_iova_to_phys()), which must
 * all agree with the page pinned for it.
 *
 * Errors: EINVAL (bad BDF, a @space_id with SMMU_ASSIGN_BY_DEVICE, a @bdf
 * without it), ENOENT (no such space in this file, device not bound or in
 * no space, or @iova not mapped), EPERM (the device's space is another
 * file's and the caller lacks CAP_SYS_ADMIN), EIO (a page table disagrees
 * with the mapping).
 */
struct smmu_assign_translate {
	__u32 size;
	__u32 flags;
	__u32 space_id;
	__u32 __reserved;
	struct smmu_assign_bdf bdf;
	__aligned_u64 iova;
	__aligned_u64 out_user_va;
	__aligned_u64 out_phys;
	__u32 out_flags;
	__u32 __reserved2;
};

#define SMMU_ASSIGN_TRANSLATE	_IO(SMMU_ASSIGN_TYPE, SMMU_ASSIGN_CMD_TRANSLATE)
/* Kinds of reserved region (the IOMMU core's enum iommu_resv_type). */
enum smmu_assign_resv_type {
	SMMU_ASSIGN_RESV_DIRECT = 0,		/* identity-mapped for the device */
	SMMU_ASSIGN_RESV_DIRECT_RELAXABLE = 1,	/* the same, may be given up */
	SMMU_ASSIGN_RESV_RESERVED = 2,		/* never translated */
	SMMU_ASSIGN_RESV_MSI = 3,		/* hardware MSI doorbell window */
	SMMU_ASSIGN_RESV_SW_MSI = 4,		/* where the kernel maps MSI doorbells */
};

/**
 * struct smmu_assign_resv_region - one reserved IOVA range
 * @start: first IOVA
 * @last: last IOVA (inclusive)
 * @type: enum smmu_assign_resv_type
 * @__reserved: 0
 */
struct smmu_assign_resv_region {
	__aligned_u64 start;
	__aligned_u64 last;
	__u32 type;
	__u32 __reserved;
};

/**
 * struct smmu_assign_resv_regions - ioctl(SMMU_ASSIGN_RESV_REGIONS)
 * @size: sizeof(struct smmu_assign_resv_regions)
 * @flags: must be 0
 * @bdf: any PCI function with an IOMMU group, bound or not
 * @num_regions: in: entries @regions has room for; out: regions there are
 * @__reserved: must be 0
 * @regions: user pointer to an array of struct smmu_assign_resv_region
 *
 * The IOVA ranges the device's IOMMU group reserves, the MSI window among
 * them: the allowed ranges of a space it is in must stay clear of them. Answers before any
 * BIND, so a window can be chosen. Fills what fits; if there are more
 * regions than @num_regions allowed, fails with EMSGSIZE and @num_regions
 * says how many there are.
 *
 * Errors: EINVAL (bad BDF), ENODEV (no such device, or it has no IOMMU
 * group: on device-tree platforms a device gets one when a driver probes
 * it), EMSGSIZE, EFAULT.
 */
struct smmu_assign_resv_regions {
	__u32 size;
	__u32 flags;
	struct smmu_assign_bdf bdf;
	__u32 num_regions;
	__u32 __reserved;
	__aligned_u64 regions;
};

#define SMMU_ASSIGN_RESV_REGIONS	_IO(SMMU_ASSIGN_TYPE, SMMU_ASSIGN_CMD_RESV_REGIONS)

/* No user or group: DELEGATE's and QUERY's uid and gid. */
#define SMMU_ASSIGN_NO_ID	0xffffffffU

/**
 * struct smmu_assign_delegate - ioctl(SMMU_ASSIGN_DELEGATE)
 * @size: sizeof(struct smmu_assign_delegate)
 * @flags: must be 0
 * @bdf: a device of a persistent binding
 * @uid: the user who may CLAIM it, or SMMU_ASSIGN_NO_ID
 * @gid: the group whose members may CLAIM it, or SMMU_ASSIGN_NO_ID
 *
 * Needs CAP_SYS_ADMIN. Lets a process without it CLAIM the binding into a
 * space of its file, map its own memory for it and query it, and nothing
 * else: its effective user
 * must be @uid, or @gid one of its groups. IDs are read in the caller's
 * user namespace. Replaces an earlier delegation; both SMMU_ASSIGN_NO_ID
 * ends it. A claim already held stays.
 *
 * Errors: EINVAL (bad BDF, not persistent, an ID with no mapping in the
 * caller's user namespace), ENOENT (not bound), EPERM (no CAP_SYS_ADMIN).
 */
struct smmu_assign_delegate {
	__u32 size;
	__u32 flags;
	struct smmu_assign_bdf bdf;
	__u32 uid;
	__u32 gid;
};

#define SMMU_ASSIGN_DELEGATE	_IO(SMMU_ASSIGN_TYPE, SMMU_ASSIGN_CMD_DELEGATE)

/**
 * struct smmu_assign_space_alloc - ioctl(SMMU_ASSIGN_SPACE_ALLOC)
 * @size: sizeof(struct smmu_assign_space_alloc)
 * @flags: must be 0
 * @out_space_id: the new space's id, from 1, unique in this file
 * @__reserved: must be 0
 * @name: the space's name, all zero for none
 *
 * Makes an empty address space on this file, with no allowed range (set
 * them with SPACE_ALLOW_IOVAS), no mapping and no device. It lives until
 * SPACE_DESTROY or the file's release. Space ids are the file's own: no
 * other file can name the space.
 *
 * Errors: EINVAL (bad @name), EEXIST (this file has a space of that name),
 * ENOSPC (the file has too many spaces), ENOMEM.
 */
struct smmu_assign_space_alloc {
	__u32 size;
	__u32 flags;
	__u32 out_space_id;
	__u32 __reserved;
	char name[SMMU_ASSIGN_SPACE_NAME_LEN];
};

#define SMMU_ASSIGN_SPACE_ALLOC	_IO(SMMU_ASSIGN_TYPE, SMMU_ASSIGN_CMD_SPACE_ALLOC)

/**
 * struct smmu_assign_space_destroy - ioctl(SMMU_ASSIGN_SPACE_DESTROY)
 * @size: sizeof(struct smmu_assign_space_destroy)
 * @flags: must be 0
 * @space_id: a space of this file
 * @__reserved: must be 0
 *
 * Removes every mapping of the space (as UNMAP does) and the space.
 *
 * Errors: ENOENT (no such space in this file), EBUSY (a device is in it).
 */
struct smmu_assign_space_destroy {
	__u32 size;
	__u32 flags;
	__u32 space_id;
	__u32 __reserved;
};

#define SMMU_ASSIGN_SPACE_DESTROY	_IO(SMMU_ASSIGN_TYPE, SMMU_ASSIGN_CMD_SPACE_DESTROY)

/* Most allowed ranges a space has. */
#define SMMU_ASSIGN_MAX_RANGES	256

/**
 * struct smmu_assign_iova_range - one range of IOVAs
 * @iova: first IOVA
 * @length: bytes
 */
struct smmu_assign_iova_range {
	__aligned_u64 iova;
	__aligned_u64 length;
};

/**
 * struct smmu_assign_space_allow_iovas - ioctl(SMMU_ASSIGN_SPACE_ALLOW_IOVAS)
 * @size: sizeof(struct smmu_assign_space_allow_iovas)
 * @flags: must be 0
 * @space_id: a space of this file
 * @num_ranges: entries in @ranges, at most SMMU_ASSIGN_MAX_RANGES; 0
 *		allows nothing
 * @ranges: user pointer to an array of struct smmu_assign_iova_range
 *
 * Replaces the space's allowed ranges, while it is mapped and its devices
 * work, as IOMMU_IOAS_ALLOW_IOVAS does. Each range must be non-empty,
 * aligned as MAP is, and inside the aperture of every domain of the space;
 * ranges may come in any order but must not overlap. No range may cover a
 * reserved region of a group in the space, but ranges may lie on both
 * sides of one. Every mapping must stay inside the new ranges. Unlike
 * iommufd, an empty list allows no IOVA at all.
 *
 * Errors: EINVAL (more than SMMU_ASSIGN_MAX_RANGES, empty or misaligned
 * range, ranges overlap), EOVERFLOW (a range wraps), ENOENT (no such space
 * in this file), EBUSY (a mapping would lie outside), EADDRINUSE (a range
 * covers a reserved region), ERANGE (outside a domain's aperture), EFAULT.
 */
struct smmu_assign_space_allow_iovas {
	__u32 size;
	__u32 flags;
	__u32 space_id;
	__u32 num_ranges;
	__aligned_u64 ranges;
};

#define SMMU_ASSIGN_SPACE_ALLOW_IOVAS	_IO(SMMU_ASSIGN_TYPE, SMMU_ASSIGN_CMD_SPACE_ALLOW_IOVAS)

/**
 * struct smmu_assign_space_info - ioctl(SMMU_ASSIGN_SPACE_INFO)
 * @size: sizeof(struct smmu_assign_space_info)
 * @flags: 0, or SMMU_ASSIGN_BY_DEVICE
 * @space_id: a space of this file, or 0 with SMMU_ASSIGN_BY_DEVICE
 * @out_space_id: the space's id in its owner's file
 * @bdf: with SMMU_ASSIGN_BY_DEVICE, a device in the space; else zero
 * @out_name: the space's name, "" for none
 * @out_owner_pid: process that opened the owning file
 * @out_num_domains: IOMMU domains of the space (more than one: mirrored)
 * @out_pgsize_bitmap: page sizes every domain of the space supports
 * @out_num_mappings: mappings
 * @__reserved: must be 0
 * @out_bytes_mapped: bytes mapped
 * @out_pinned_pages: pages pinned for the space, once each
 * @num_ranges: in: entries @ranges has room for; out: allowed ranges
 * @num_reserved: in: entries @reserved has room for; out: reserved
 *		  regions of the groups in the space
 * @ranges: user pointer to an array of struct smmu_assign_iova_range
 * @reserved: user pointer to an array of struct smmu_assign_resv_region
 * @num_devices: in: entries @devices has room for; out: devices in it
 * @__reserved2: must be 0
 * @devices: user pointer to an array of struct smmu_assign_bdf
 *
 * Fills what fits, in IOVA order for the ranges. If an array is too
 * short, fails with EMSGSIZE after filling every count.
 *
 * Errors: EINVAL (bad BDF, a @space_id with SMMU_ASSIGN_BY_DEVICE, a @bdf
 * without it), ENOENT (no such space in this file, or the device is not
 * bound or in no space), EPERM (the device's space is another file's and
 * the caller lacks CAP_SYS_ADMIN), EMSGSIZE, EFAULT.
 */
struct smmu_assign_space_info {
	__u32 size;
	__u32 flags;
	__u32 space_id;
	__u32 out_space_id;
	struct smmu_assign_bdf bdf;
	char out_name[SMMU_ASSIGN_SPACE_NAME_LEN];
	__u32 out_owner_pid;
	__u32 out_num_domains;
	__aligned_u64 out_pgsize_bitmap;
	__u32 out_num_mappings;
	__u32 __reserved;
	__aligned_u64 out_bytes_mapped;
	__aligned_u64 out_pinned_pages;
	__u32 num_ranges;
	__u32 num_reserved;
	__aligned_u64 ranges;
	__aligned_u64 reserved;
	__u32 num_devices;
	__u32 __reserved2;
	__aligned_u64 devices;
};

#define SMMU_ASSIGN_SPACE_INFO	_IO(SMMU_ASSIGN_TYPE, SMMU_ASSIGN_CMD_SPACE_INFO)

/**
 * struct smmu_assign_device_fd - ioctl(SMMU_ASSIGN_DEVICE_FD)
 * @size: sizeof(struct smmu_assign_device_fd)
 * @flags: must be 0
 * @bdf: a bound device of a group this file owns (BIND, or CLAIM)
 * @out_fd: the new device fd (close-on-exec)
 * @__reserved: must be 0
 *
 * Opens the device for access: a file that speaks the device ABI of
 * <linux/vfio.h> (VFIO_DEVICE_GET_INFO, _GET_REGION_INFO, _GET_IRQ_INFO,
 * _SET_IRQS, _RESET; pread, pwrite and mmap at region offsets) with
 * vfio-pci's semantics, config space virtualized as vfio-pci does it. The
 * device's DMA stays confined by its binding. The fd gives only this
 * device, to whichever process holds it; it keeps this file, and so the
 * binding and its space, alive until it is closed. One device fd per
 * device at a time. On close the device is quiesced (bus master off,
 * interrupts freed) and reset where it can be.
 *
 * While a device fd is open, UNBIND and a CLAIM_RELEASE of the binding
 * fail with EBUSY. When the device is to leave (sysfs remove or unbind,
 * hot-unplug), the fd's VFIO_PCI_REQ_IRQ_INDEX eventfd is signalled, every
 * 10 s, until the fd is closed; then the binding ends.
 *
 * Enabling the device for access can also fail with the errno of
 * pci_enable_device().
 *
 * Errors: EINVAL (bad BDF), ENOENT (not bound), EPERM (the binding is not
 * this file's), EBUSY (a device fd is open already), ENODEV (the device
 * is not on the smmu-assign stub or vfio-pci, as a group member on no
 * driver may be, or it is leaving), EOPNOTSUPP (@flags or @__reserved),
 * EMFILE, ENOMEM.
 */
struct smmu_assign_device_fd {
	__u32 size;
	__u32 flags;
	struct smmu_assign_bdf bdf;
	__s32 out_fd;
	__u32 __reserved;
};

#define SMMU_ASSIGN_DEVICE_FD	_IO(SMMU_ASSIGN_TYPE, SMMU_ASSIGN_CMD_DEVICE_FD)

/* Entries one MAP_VEC or UNMAP_VEC takes at most. */
#define SMMU_ASSIGN_VEC_MAX	4096

/**
 * struct smmu_assign_map_entry - one range of a MAP_VEC
 * @flags: SMMU_ASSIGN_MAP_READ, alone or with SMMU_ASSIGN_MAP_WRITE
 * @__reserved: must be 0
 * @user_va: start of the caller's memory
 * @iova: where the devices see it
 * @length: bytes
 */
struct smmu_assign_map_entry {
	__u32 flags;
	__u32 __reserved;
	__aligned_u64 user_va;
	__aligned_u64 iova;
	__aligned_u64 length;
};

/**
 * struct smmu_assign_map_vec - ioctl(SMMU_ASSIGN_MAP_VEC)
 * @size: sizeof(struct smmu_assign_map_vec)
 * @flags: must be 0
 * @space_id: a space of this file
 * @num_entries: entries at @entries, 1 to SMMU_ASSIGN_VEC_MAX
 * @entries: user pointer to an array of struct smmu_assign_map_entry
 * @out_num_runs: physically contiguous runs the memory was mapped as, all
 *		  entries together
 * @out_length: bytes mapped, all entries together
 *
 * Many MAPs in one call, all or nothing: each entry becomes a mapping of
 * its own, under the rules and errnos of SMMU_ASSIGN_MAP, and either every
 * entry is mapped or, on any error, none is and nothing is left pinned or
 * charged. Entries may come in any order but must not overlap each other.
 * The space is locked once for the call and the array is read before, so
 * a driver that maps thousands of small buffers pays the fixed cost of a
 * call once. Each mapping counts against max_mappings and is removed by
 * UNMAP, UNMAP_VEC or UNMAP_ALL like any other. VFIO has no equivalent.
 *
 * The entries are judged in stages, each over the whole array before the
 * next, so nothing is pinned before every entry has passed MAP's checks:
 * first every entry's flags; then, in the space, every entry's range
 * (alignment, wrap, overlap with the space's mappings, the limit, the
 * allowed ranges, in MAP's order); then each entry in turn is refused if
 * it overlaps an entry before it, or pinned and mapped. The errno is that
 * of the first entry to fail the earliest stage that fails.
 *
 * Errors: those of SMMU_ASSIGN_MAP (as the stages above find them),
 * EINVAL (@num_entries 0 or above SMMU_ASSIGN_VEC_MAX), EEXIST (two
 * entries overlap), EOPNOTSUPP (@flags, or an entry's flags or
 * @__reserved), EFAULT (@entries unreadable).
 */
struct smmu_assign_map_vec {
	__u32 size;
	__u32 flags;
	__u32 space_id;
	__u32 num_entries;
	__aligned_u64 entries;
	__aligned_u64 out_num_runs;
	__aligned_u64 out_length;
};

#define SMMU_ASSIGN_MAP_VEC	_IO(SMMU_ASSIGN_TYPE, SMMU_ASSIGN_CMD_MAP_VEC)

/**
 * struct smmu_assign_unmap_vec - ioctl(SMMU_ASSIGN_UNMAP_VEC)
 * @size: sizeof(struct smmu_assign_unmap_vec)
 * @flags: must be 0
 * @space_id: a space of this file
 * @num_entries: entries at @ranges, 1 to SMMU_ASSIGN_VEC_MAX
 * @ranges: user pointer to an array of struct smmu_assign_iova_range
 * @out_unmapped_length: bytes unmapped
 * @out_unmapped_count: mappings removed
 * @__reserved: must be 0
 *
 * Many UNMAPs in one call, all or nothing: each range follows the rules
 * of an SMMU_ASSIGN_UNMAP of a range (it must hold a mapping and cut
 * none), and either every range is unmapped or, on any error, nothing is.
 * Ranges may come in any order and may overlap. Every domain's IOTLB is
 * invalidated once for the call, before any page is unpinned.
 *
 * Errors: those of SMMU_ASSIGN_UNMAP of a range (for the first range that
 * fails them), EINVAL (@num_entries 0 or above SMMU_ASSIGN_VEC_MAX),
 * EOPNOTSUPP (@flags or @__reserved), EFAULT (@ranges unreadable).
 */
struct smmu_assign_unmap_vec {
	__u32 size;
	__u32 flags;
	__u32 space_id;
	__u32 num_entries;
	__aligned_u64 ranges;
	__aligned_u64 out_unmapped_length;
	__u32 out_unmapped_count;
	__u32 __reserved;
};

#define SMMU_ASSIGN_UNMAP_VEC	_IO(SMMU_ASSIGN_TYPE, SMMU_ASSIGN_CMD_UNMAP_VEC)

#endif /* _UAPI_LINUX_SMMU_ASSIGN_H */
