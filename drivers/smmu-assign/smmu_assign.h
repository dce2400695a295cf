/* SPDX-License-Identifier: GPL-2.0 */
/*
 * smmu-assign internal interfaces.
 *
 * Lock order, outermost first:
 *   device_lock(&pdev->dev)   (BIND and every teardown of a binding; the
 *                              driver core holds it around the bus notifier)
 *   smmua_device.lock         (one binding: owner, mappings, teardown)
 *   mmap_lock                 (taken by pinning)
 *   smmua_devices_lock        (the list of bound devices; held only to walk
 *                              or change the list, never across a user copy,
 *                              a page fault or another mutex)
 * and, innermost, the spinlocks:
 *   smmua_device.stats_lock   (counters, and owner for lock-free readers)
 *   smmua_events.lock         (one file's fault queue)
 * No mutex is held across the copy of an answer back to userspace.
 */
#ifndef _SMMU_ASSIGN_H
#define _SMMU_ASSIGN_H

#include <linux/interval_tree.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/overflow.h>
#include <linux/pci.h>
#include <linux/refcount.h>
#include <linux/ratelimit.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/uidgid.h>
#include <linux/wait.h>
#include <uapi/linux/smmu_assign.h>

struct dentry;
struct eventfd_ctx;
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
 * The state of one open file: the owner of the devices it binds or claims.
 * Its devices are found through smmua_devices (owner == ctx).
 */
struct smmua_ctx {
	struct pid *pid;		/* the opener's thread group */
	atomic_t nr_mappings;		/* across all its devices */
	struct smmua_events events;
};

/*
 * One bound device: its own domain, window and mappings. Lookups take a
 * reference (users); the list holds one until teardown. Teardown makes the
 * binding unreachable (dead, off the list, out of debugfs) before it
 * releases anything; the memory goes with the last reference.
 */
struct smmua_device {
	refcount_t users;
	struct mutex lock;		/* see the lock order above */
	bool dead;			/* torn down; lock */
	struct pci_dev *pdev;		/* referenced */
	struct iommu_group *group;	/* referenced, DMA ownership claimed */
	struct iommu_domain *domain;	/* attached to group while !dead */
	u64 window_start;
	u64 window_last;
	unsigned long min_pgsize;
	unsigned long pgsize_bitmap;	/* the domain's, kept for lock-free readers */
	int iommu_prot;			/* IOMMU_CACHE when the SMMU is coherent */
	bool persistent;
	/* Who may CLAIM a persistent binding without CAP_SYS_ADMIN; lock. */
	kuid_t delegate_uid;
	kgid_t delegate_gid;
	u32 num_sids;
	u32 sids[SMMU_ASSIGN_MAX_SIDS];
	char iommu_name[SMMU_ASSIGN_IOMMU_NAME_LEN];

	ktime_t bound_at;
	struct dentry *debugfs;

	/*
	 * Fault logging, touched only by the SMMU's event thread: a device
	 * faults once per bus beat, so a burst on one page is one line.
	 */
	struct ratelimit_state fault_rs;
	u64 last_fault_page;
	bool last_fault_write;
	u32 last_fault_reason;
	unsigned long last_fault_jiffies;

	/*
	 * Read without the mutexes by the fault handler, QUERY and debugfs;
	 * written under stats_lock (and, for owner, the mutexes too).
	 */
	spinlock_t stats_lock;
	struct smmu_assign_stats stats;	/* bound_ns is filled on read */

	struct list_head node;		/* smmua_devices; smmua_devices_lock */
	/*
	 * The file that maps into this device; NULL for an unclaimed
	 * persistent binding. Changes under lock and stats_lock; either is
	 * enough to read it.
	 */
	struct smmua_ctx *owner;
	struct rb_root_cached mappings;	/* smmua_mapping; lock */
	unsigned int nr_mappings;	/* stats_lock */
};

/* smmua_mapping.flags beyond the uapi's SMMU_ASSIGN_MAP_* */
#define SMMUA_MAPPING_CHARGED	BIT(31)	/* counted in user->locked_vm */

/*
 * One MAP: a range of user memory, pinned and mapped at an IOVA range. The
 * pins are charged to whoever MAPped them, as iommufd does: the caller's
 * user (RLIMIT_MEMLOCK, unless it had CAP_IPC_LOCK) and the caller's mm
 * (VmPin), so the charge lives as long as the pins, whichever process
 * holds the file then.
 */
struct smmua_mapping {
	struct interval_tree_node node;	/* IOVA [start, last] */
	unsigned long user_va;
	struct user_struct *user;	/* referenced */
	struct mm_struct *mm;		/* mmgrab()ed */
	u32 flags;			/* SMMU_ASSIGN_MAP_*, SMMUA_MAPPING_* */
};

/*
 * One ioctl call in flight: the user's buffer and the size it claimed, and
 * the kernel's zero-extended copy of the command.
 */
struct smmu_assign_ucmd {
	struct smmua_ctx *ctx;
	void __user *ubuffer;
	u32 user_size;
	void *cmd;
};

int smmu_assign_ucmd_respond(struct smmu_assign_ucmd *ucmd, size_t cmd_len);

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

/* Global figures for GET_INFO; per-device ones live in smmua_device.stats. */
extern atomic64_t smmua_total_maps;
extern atomic64_t smmua_total_unmaps;
extern atomic64_t smmua_total_faults;
extern atomic64_t smmua_bytes_mapped;

/* device.c */
extern struct pci_driver smmua_stub_driver;
extern struct mutex smmua_devices_lock;
extern struct list_head smmua_devices;
struct pci_dev *smmua_pci_get(const struct smmu_assign_bdf *bdf);
struct smmua_device *smmua_device_get(const struct smmu_assign_bdf *bdf);
void smmua_device_put(struct smmua_device *sdev);
struct smmua_device *smmua_device_get_locked(struct smmua_ctx *ctx,
					     const struct smmu_assign_bdf *bdf,
					     bool admin_too);
unsigned int smmua_count_devices(void);
int smmua_bind(struct smmu_assign_ucmd *ucmd);
int smmua_unbind(struct smmu_assign_ucmd *ucmd);
int smmua_claim(struct smmu_assign_ucmd *ucmd);
int smmua_delegate(struct smmu_assign_ucmd *ucmd);
void smmua_ctx_release_devices(struct smmua_ctx *ctx);
void smmua_unbind_all(void);
int smmua_notifier_register(void);
void smmua_notifier_unregister(void);

/* mapping.c */
extern unsigned int smmua_max_mappings;
int smmua_map(struct smmu_assign_ucmd *ucmd);
int smmua_unmap(struct smmu_assign_ucmd *ucmd);
void smmua_unmap_all(struct smmua_device *sdev);

/* events.c */
extern unsigned int smmua_fault_queue_len;
int smmua_events_init(struct smmua_events *events);
void smmua_events_destroy(struct smmua_events *events);
void smmua_events_device_gone(struct smmua_device *sdev);
ssize_t smmua_events_read(struct smmua_ctx *ctx, char __user *buf, size_t count,
			  bool nonblock);
__poll_t smmua_events_poll(struct smmua_ctx *ctx, struct file *filp,
			   struct poll_table_struct *wait);
int smmua_set_eventfd(struct smmu_assign_ucmd *ucmd);

/* query.c */
int smmua_query(struct smmu_assign_ucmd *ucmd);
int smmua_list(struct smmu_assign_ucmd *ucmd);
int smmua_mappings(struct smmu_assign_ucmd *ucmd);
int smmua_translate(struct smmu_assign_ucmd *ucmd);
int smmua_resv_regions(struct smmu_assign_ucmd *ucmd);
void smmua_debugfs_init(void);
void smmua_debugfs_exit(void);
void smmua_debugfs_add(struct smmua_device *sdev);
void smmua_debugfs_remove(struct smmua_device *sdev);

#endif /* _SMMU_ASSIGN_H */
