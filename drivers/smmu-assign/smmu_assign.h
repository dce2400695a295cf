/* SPDX-License-Identifier: GPL-2.0 */
/*
 * smmu-assign internal interfaces.
 *
 * The objects: an open file (smmua_ctx) holds address spaces
 * (smmua_space), each with its mappings, allowed ranges and IOMMU domains
 * (smmua_domain, one per SMMU instance unless mirrored). A bound IOMMU
 * group (smmua_binding) is attached to at most one space, and its PCI
 * functions (smmua_device) are what userspace names by BDF.
 *
 * Lock order, outermost first:
 *   device_lock(&pdev->dev)   (BIND, of the device it names; the driver
 *                              core holds it around the bus notifier)
 *   smmua_binding.lock        (one bound group: owner, space, teardown)
 *   vfio device set lock      (a device fd's open and close; devfd.c)
 *   smmua_ctx.lock            (a file's space names and ids; a container's
 *                              VFIO state)
 *   smmua_vfio_lock           (the VFIO group nodes; vfio_compat.c)
 *   smmua_space.lock          (one space: mappings, ranges, domains)
 *   mmap_lock                 (taken by pinning)
 *   smmua_devices_lock        (the list of bound devices; held only to walk
 *                              or change the list, never across a user copy,
 *                              a page fault or another mutex)
 * and, innermost, the spinlocks:
 *   smmua_binding.owner_lock  (owner and faults, for the fault handler)
 *   smmua_space.stats_lock    (a space's figures)
 *   smmua_events.lock         (one file's fault queue)
 * No mutex is held across the copy of an answer back to userspace.
 */
#ifndef _SMMU_ASSIGN_H
#define _SMMU_ASSIGN_H

#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/overflow.h>
#include <linux/pci.h>
#include <linux/refcount.h>
#include <linux/ratelimit.h>
#include <linux/rbtree.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/uaccess.h>
#include <linux/uidgid.h>
#include <linux/wait.h>
#include <linux/xarray.h>
#include <uapi/linux/smmu_assign.h>

struct dentry;
struct eventfd_ctx;
struct smmua_devfd;
struct iommu_domain;
struct iommu_group;

/* One file's queue of fault records, filled by the SMMU's event thread. */
struct smmua_events {
	struct mutex read_lock;		/* serializes readers */
	spinlock_t lock;		/* protects the fields below */
	wait_queue_head_t wait;		/* readers and pollers */
	struct smmu_assign_fault_event *ring;
	u32 size;			/* records the ring holds */
	u32 head;			/* oldest record */
	u32 count;			/* records queued */
	u32 lost;			/* dropped since the last queued record */
	u64 seq;			/* of the last fault, queued or lost */
	struct eventfd_ctx *trigger;	/* SET_EVENTFD, or NULL */
};

/*
 * The state of one open file: the owner of the groups it binds or claims,
 * and of its spaces. Its bindings are found through smmua_devices.
 */
struct smmua_ctx {
	struct pid *pid;		/* the opener's thread group */
	atomic_t nr_mappings;		/* across all its spaces */
	struct mutex lock;		/* see the lock order above */
	struct xarray spaces;		/* id -> smmua_space; names under lock */
	struct smmua_events events;

	/* A VFIO container's (vfio_compat.c): its one space; fixed. */
	struct smmua_space *vfio_space;
	u32 vfio_iommu;			/* VFIO_SET_IOMMU's type, 0 before; lock */
	unsigned int vfio_groups;	/* groups in it; lock */
};

/* An allowed IOVA range of a space, inclusive. */
struct smmua_range {
	u64 start;
	u64 last;
};

/* A reserved region of a bound group, inclusive; type: iommu_resv_type. */
struct smmua_resv {
	u64 start;
	u64 last;
	u32 type;
};

/*
 * Where a device of a bound group already sends its MSIs: the doorbell page
 * its default domain maps at @iova. The group's domain maps it there too.
 */
struct smmua_doorbell {
	u64 iova;
	phys_addr_t phys;
};

/*
 * One IOMMU domain of a space. Every group of the space behind one SMMU
 * shares one; where an SMMU refuses, or share_domains is off, a group gets
 * its own and the space's mappings are mirrored into it.
 */
struct smmua_domain {
	struct list_head node;		/* smmua_space.domains */
	struct iommu_domain *domain;
	unsigned int users;		/* groups attached */
	int prot;			/* IOMMU_CACHE when the SMMU is coherent */
	bool has_sw_msi;
	phys_addr_t sw_msi;		/* the MSI cookie's base */
	unsigned long min_pgsize;
	unsigned long unmap_chunk;	/* largest page: unmap never splits it */
};

/*
 * An address space: what its devices reach. Mappings are pinned and
 * charged once and mapped into every domain. Lookups take a reference;
 * the file's xarray holds one until SPACE_DESTROY or release, which make
 * it dead (unreachable) before they unmap anything.
 */
struct smmua_space {
	refcount_t users;
	struct mutex lock;		/* see the lock order above */
	bool dead;			/* lock */
	bool published;			/* reachable by id */
	bool type1;			/* a VFIO container's: ranges follow groups */
	struct smmua_ctx *ctx;		/* the owning file; valid while !dead */
	u32 id;
	char name[SMMU_ASSIGN_SPACE_NAME_LEN];
	struct smmua_range *ranges;	/* sorted, disjoint, not adjacent; lock */
	unsigned int nr_ranges;
	unsigned long align;		/* of MAP: CPU page and every domain's */
	struct rb_root mappings;	/* smmua_mapping, by IOVA; lock */
	/* The last mapping made and the one after it, or NULL; lock */
	struct smmua_mapping *last_made, *last_made_next;
	/* The mapping after the last range UNMAP removed, or NULL; lock */
	struct smmua_mapping *removed_next;
	struct smmua_charge *charge;	/* the last MAP's, referenced; lock */
	struct list_head domains;	/* smmua_domain; lock */
	struct list_head bindings;	/* smmua_binding.space_node; lock */
	unsigned int nr_bindings;

	spinlock_t stats_lock;		/* the figures below, for readers */
	struct smmu_assign_stats stats;	/* faults and bound_ns unused */
	unsigned int nr_mappings;
	struct rcu_head rcu;		/* lookups by id run under RCU */
};

/*
 * One bound IOMMU group: its DMA ownership, and its attachment to a space.
 * Lookups take a reference (users); the list holds one until teardown.
 * Teardown makes the binding unreachable (dead, off the list, out of
 * debugfs) before it releases anything; the memory goes with the last
 * reference.
 */
struct smmua_binding {
	refcount_t users;
	struct mutex lock;		/* see the lock order above */
	bool dead;			/* torn down; lock */
	struct iommu_group *group;	/* referenced, DMA ownership claimed */
	bool persistent;
	/* A persistent binding's window and space name, for CLAIM. */
	u64 window_start;
	u64 window_last;
	char space_name[SMMU_ASSIGN_SPACE_NAME_LEN];
	/* Who may CLAIM a persistent binding without CAP_SYS_ADMIN; lock. */
	kuid_t delegate_uid;
	kgid_t delegate_gid;
	struct smmua_resv *resv;	/* the group's reserved regions */
	unsigned int nr_resv;
	struct smmua_doorbell *doorbells; /* also among resv */
	unsigned int nr_doorbells;
	ktime_t bound_at;

	struct smmua_space *space;	/* attached to, referenced; as owner */
	struct smmua_domain *sdom;	/* space->lock */
	struct list_head space_node;	/* space->bindings */

	/*
	 * The file that maps for it, and the id of the space it is in, for
	 * lock-free readers (the fault handler, debugfs). Change under lock
	 * and owner_lock; either is enough to read them.
	 */
	spinlock_t owner_lock;
	struct smmua_ctx *owner;
	u32 space_id;

	unsigned int nr_devices;
	struct list_head devices;	/* smmua_device.binding_node; fixed */
	bool leaving;			/* a device is leaving; lock */

	/* Its VFIO group node (vfio_compat.c): minor 0 for none; lock. */
	unsigned int vfio_minor;
	bool vfio_opened;		/* the node's one open file */
	struct file *vfio_container;	/* joined with SET_CONTAINER, held */
};

/*
 * One PCI function of a bound group (bridges are not bound): what userspace
 * names by BDF. It lives as long as its binding.
 */
struct smmua_device {
	struct smmua_binding *binding;
	struct pci_dev *pdev;		/* referenced */
	struct list_head binding_node;
	struct list_head node;		/* smmua_devices; smmua_devices_lock */
	bool listed;			/* on smmua_devices */
	bool fault_handler;		/* registered */
	u32 num_sids;
	u32 sids[SMMU_ASSIGN_MAX_SIDS];
	char iommu_name[SMMU_ASSIGN_IOMMU_NAME_LEN];
	struct dentry *debugfs;
	struct smmua_devfd *devfd;	/* its open device fd; binding->lock */

	/*
	 * Fault logging, touched only by the SMMU's event thread: a device
	 * faults once per bus beat, so a burst on one page is one line.
	 */
	struct ratelimit_state fault_rs;
	u64 last_fault_page;
	bool last_fault_write;
	u32 last_fault_reason;
	unsigned long last_fault_jiffies;

	/* binding->owner_lock */
	u64 faults[SMMU_ASSIGN_FAULT_NR_REASONS];
	u64 faults_lost;
};

/*
 * Who a mapping's pins are charged to: the user (locked_vm) of the
 * credentials and the mm (pinned_vm) of the process that MAPped them. A
 * space keeps its last one, so a process's mappings share one object
 * instead of a reference each, and the capability to pass RLIMIT_MEMLOCK
 * is asked once per credentials, as VFIO type1 asks it once per mapping.
 */
struct smmua_charge {
	refcount_t users;
	const struct cred *cred;	/* referenced; its user is charged */
	struct mm_struct *mm;		/* mmgrab()ed */
	int ipc_lock;			/* CAP_IPC_LOCK: -1 not asked; space->lock */
};

/* Physically contiguous pinned pages, at consecutive IOVAs. */
struct smmua_run {
	phys_addr_t phys;
	size_t len;
};

/*
 * The runs of a mapping of several, in IOVA order: a list of chunks, each
 * sized for what the rest of the mapping can need, at most a page.
 */
struct smmua_run_chunk {
	struct smmua_run_chunk *next;
	unsigned int nr;
	unsigned int room;
	struct smmua_run runs[];
};

/* Tags in the low bits of smmua_mapping.owner. */
#define SMMUA_MAP_WRITE		BIT(0)	/* the devices may write */
#define SMMUA_MAP_BAR		BIT(1)	/* owner: a device fd; not pinned */
#define SMMUA_MAP_RUNS		BIT(2)	/* runs, not phys */
#define SMMUA_MAP_TAGS		(SMMUA_MAP_WRITE | SMMUA_MAP_BAR | SMMUA_MAP_RUNS)

/*
 * One MAP: a range of user memory, pinned once, and mapped at an IOVA range
 * in every domain of its space. The runs record what was pinned, so a new
 * domain is filled and the pages are unpinned without a page-table walk.
 * A mapping of one run, the common small one, holds it inline. Mappings
 * never overlap, so a plain tree by IOVA finds them. 64 bytes.
 */
struct smmua_mapping {
	union {
		struct rb_node rb;		/* smmua_space.mappings */
		struct smmua_mapping *next;	/* out of the tree, going */
	};
	u64 iova;
	u64 last;
	unsigned long user_va;
	/* struct smmua_charge * or, for a BAR, struct smmua_devfd *; tags */
	unsigned long owner;
	union {
		phys_addr_t phys;		/* of its one run */
		struct smmua_run_chunk *runs;	/* SMMUA_MAP_RUNS */
	};
};

static inline u64 smmua_mapping_len(const struct smmua_mapping *map)
{
	return map->last - map->iova + 1;
}

static inline u32 smmua_mapping_flags(const struct smmua_mapping *map)
{
	return SMMU_ASSIGN_MAP_READ |
	       (map->owner & SMMUA_MAP_WRITE ? SMMU_ASSIGN_MAP_WRITE : 0);
}

static inline const struct smmua_devfd *smmua_mapping_devfd(const struct smmua_mapping *map)
{
	return map->owner & SMMUA_MAP_BAR ?
	       (const struct smmua_devfd *)(map->owner & ~SMMUA_MAP_TAGS) : NULL;
}

struct smmua_mapping *smmua_mapping_first(struct smmua_space *space, u64 first, u64 last);
struct smmua_mapping *smmua_mapping_next(struct smmua_mapping *map, u64 last);

/*
 * One ioctl call in flight: the user's buffer and the size it claimed, and
 * the kernel's zero-extended copy of the command.
 */
struct smmu_assign_ucmd {
	struct smmua_ctx *ctx;
	struct file *file;		/* the ctx's /dev/smmu-assign file */
	void __user *ubuffer;
	u32 user_size;
	void *cmd;
};

/*
 * Copy the answer back, no longer than the caller's struct. Inline, so
 * that the usual whole-struct copy has a constant length and, like any
 * fixed-size copy, skips hardened usercopy's run-time check of the object.
 */
static inline int smmu_assign_ucmd_respond(struct smmu_assign_ucmd *ucmd, size_t cmd_len)
{
	/* The VFIO compatibility layer runs commands with no user struct. */
	if (!ucmd->ubuffer)
		return 0;
	if (likely(ucmd->user_size >= cmd_len))
		return copy_to_user(ucmd->ubuffer, ucmd->cmd, cmd_len) ? -EFAULT : 0;
	return copy_to_user(ucmd->ubuffer, ucmd->cmd, ucmd->user_size) ? -EFAULT : 0;
}

struct smmua_ctx *smmua_ctx_alloc(void);
void smmua_ctx_release(struct smmua_ctx *ctx);

/*
 * An IOVA range from userspace (BIND's window, MAP, UNMAP): non-empty and
 * aligned (EINVAL), not wrapping (EOVERFLOW). Its last byte goes to *last.
 */
static inline int smmua_check_range(u64 iova, u64 length, unsigned long align,
				    u64 *last)
{
	if (!length || !IS_ALIGNED(iova | length, align))
		return -EINVAL;
	if (check_add_overflow(iova, length - 1, last))
		return -EOVERFLOW;
	return 0;
}

static inline struct smmu_assign_bdf smmua_pdev_bdf(struct pci_dev *pdev)
{
	return (struct smmu_assign_bdf){
		.segment = pci_domain_nr(pdev->bus),
		.bus = pdev->bus->number,
		.device = PCI_SLOT(pdev->devfn),
		.function = PCI_FUNC(pdev->devfn),
	};
}

/* Global figures for GET_INFO; per-space ones live in smmua_space.stats. */
extern atomic64_t smmua_total_maps;
extern atomic64_t smmua_total_unmaps;
extern atomic64_t smmua_total_faults;
extern atomic64_t smmua_bytes_mapped;

/* device.c: bindings of IOMMU groups */
extern struct pci_driver smmua_stub_driver;
extern struct mutex smmua_devices_lock;
extern struct list_head smmua_devices;
int smmua_check_bdf(const struct smmu_assign_bdf *bdf);
int smmua_group_resv(struct iommu_group *group, struct smmua_resv **resv,
		     unsigned int *nr);
struct pci_dev *smmua_pci_get(const struct smmu_assign_bdf *bdf);
struct smmua_device *smmua_device_get(const struct smmu_assign_bdf *bdf);
struct smmua_device *smmua_device_get_live(const struct smmu_assign_bdf *bdf);
void smmua_binding_put(struct smmua_binding *binding);
void smmua_device_unlock_put(struct smmua_device *sdev);
unsigned int smmua_count_devices(void);
int smmua_bind(struct smmu_assign_ucmd *ucmd);
int smmua_unbind(struct smmu_assign_ucmd *ucmd);
int smmua_claim(struct smmu_assign_ucmd *ucmd);
int smmua_delegate(struct smmu_assign_ucmd *ucmd);
void smmua_ctx_release_bindings(struct smmua_ctx *ctx);
void smmua_unbind_all(void);
int smmua_notifier_register(void);
void smmua_notifier_unregister(void);

/* space.c: address spaces, their ranges and domains */
extern bool smmua_share_domains;
int smmua_check_space_name(const char *name);
struct smmua_space *smmua_space_new(struct smmua_ctx *ctx, const char *name,
				    u64 window_start, u64 window_last);
void smmua_space_publish(struct smmua_space *space);
void smmua_space_abandon(struct smmua_space *space);
struct smmua_space *smmua_space_get(struct smmua_ctx *ctx, u32 id);
struct smmua_space *smmua_space_find_name(struct smmua_ctx *ctx, const char *name);
void smmua_space_put(struct smmua_space *space);
struct smmua_space *smmua_space_lookup(struct smmu_assign_ucmd *ucmd, u32 flags,
				       u32 space_id,
				       const struct smmu_assign_bdf *bdf);
void smmua_space_unlock_put(struct smmua_space *space);
int smmua_space_attach(struct smmua_space *space, struct smmua_binding *binding);
void smmua_space_detach(struct smmua_binding *binding);
int smmua_check_resv(struct smmua_binding *binding, const struct smmua_range *ranges,
		     unsigned int nr);
const struct smmua_range *smmua_space_range(struct smmua_space *space, u64 start, u64 last);
u32 smmua_domain_flags(struct smmua_binding *binding);
void smmua_ctx_release_spaces(struct smmua_ctx *ctx);
int smmua_space_alloc(struct smmu_assign_ucmd *ucmd);
int smmua_space_destroy(struct smmu_assign_ucmd *ucmd);
int smmua_space_allow_iovas(struct smmu_assign_ucmd *ucmd);

/* What VFIO_IOMMU_GET_INFO reports of a type1 space; free ranges. */
struct smmua_space_type1 {
	u64 pgsizes;
	struct smmua_range *ranges;
	unsigned int nr_ranges;
};

int smmua_space_type1_info(struct smmua_space *space, struct smmua_space_type1 *info);
void smmua_space_type1_reset(struct smmua_space *space);

/* mapping.c: pinning user memory and mapping it into a space's domains */
extern unsigned int smmua_max_mappings;
int smmua_mapping_init(void);
void smmua_mapping_exit(void);
int smmua_map(struct smmu_assign_ucmd *ucmd);
int smmua_map_vec(struct smmu_assign_ucmd *ucmd);
int smmua_unmap(struct smmu_assign_ucmd *ucmd);
int smmua_unmap_vec(struct smmu_assign_ucmd *ucmd);
void smmua_charge_put(struct smmua_charge *charge);
void smmua_unmap_all(struct smmua_space *space);
int smmua_domain_fill(struct smmua_space *space, struct smmua_domain *sdom);
void smmua_domain_unmap(struct smmua_space *space, struct smmua_domain *sdom,
			unsigned long iova, size_t length);
phys_addr_t smmua_mapping_phys(struct smmua_mapping *map, u64 iova);
void smmua_unmap_bars(struct smmua_ctx *ctx, const struct smmua_devfd *devfd);
int smmua_unmap_type1v1(struct smmua_ctx *ctx, u32 space_id, u64 iova, u64 length,
			u64 *unmapped);

/* events.c */
extern unsigned int smmua_fault_queue_len;
int smmua_events_init(struct smmua_events *events);
void smmua_events_destroy(struct smmua_events *events);
void smmua_events_device_gone(struct smmua_binding *binding);
ssize_t smmua_events_read(struct smmua_ctx *ctx, char __user *buf, size_t count,
			  bool nonblock);
__poll_t smmua_events_poll(struct smmua_ctx *ctx, struct file *filp,
			   struct poll_table_struct *wait);
int smmua_set_eventfd(struct smmu_assign_ucmd *ucmd);

/* devfd.c: the device fd, VFIO's device ABI through vfio-pci-core */
int smmua_device_fd(struct smmu_assign_ucmd *ucmd);
bool smmua_binding_has_devfd(struct smmua_binding *binding);
void smmua_devfd_wait_closed(struct smmua_binding *binding);
void smmua_devfd_irqs(struct smmua_device *sdev, u32 *index, u32 *count);
void smmua_devfd_error(struct smmua_device *sdev);
struct file *smmua_devfd_new(struct smmua_ctx *ctx, struct file *owner_file,
			     struct smmua_device *sdev, bool share);
int smmua_devfd_bar(struct smmua_ctx *ctx, unsigned long va, u64 length,
		    phys_addr_t *phys, const struct smmua_devfd **devfd);

/* vfio_compat.c: VFIO's container and group ABI over spaces */
int smmua_vfio_init(void);
void smmua_vfio_exit(void);
void smmua_vfio_add_group(struct smmua_binding *binding);
void smmua_vfio_del_group(struct smmua_binding *binding);
void smmua_vfio_devfd_closed(struct smmua_binding *binding);

/* query.c */
int smmua_query(struct smmu_assign_ucmd *ucmd);
int smmua_list(struct smmu_assign_ucmd *ucmd);
int smmua_mappings(struct smmu_assign_ucmd *ucmd);
int smmua_translate(struct smmu_assign_ucmd *ucmd);
int smmua_resv_regions(struct smmu_assign_ucmd *ucmd);
int smmua_space_info(struct smmu_assign_ucmd *ucmd);
void smmua_debugfs_init(void);
void smmua_debugfs_exit(void);
void smmua_debugfs_add(struct smmua_device *sdev);
void smmua_debugfs_remove(struct smmua_device *sdev);

#endif /* _SMMU_ASSIGN_H */
