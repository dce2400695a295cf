// SPDX-License-Identifier: GPL-2.0
/*
 * smmu-assign: SMMU faults of bound devices, delivered to their owners.
 *
 * Where the kernel reports unrecoverable faults (see compat.h: up to 6.8),
 * the IOMMU core calls our handler from the SMMU's event-queue thread for
 * each one, and it ends in smmua_report_fault(). Each owning file has a fixed ring
 * of records, allocated when the file is opened, so a fault storm costs no
 * memory: when the ring is full the fault is counted as lost and the next
 * record queued says how many were. The kernel log gets one rate-limited
 * line per burst.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/eventfd.h>
#include <linux/file.h>
#include <linux/iommu.h>
#include <linux/module.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>

#include "compat.h"
#include "smmu_assign.h"

unsigned int smmua_fault_queue_len = 1024;
module_param_named(fault_queue_len, smmua_fault_queue_len, uint, 0644);
MODULE_PARM_DESC(fault_queue_len,
		 "Fault records each open file can hold before it counts them as lost (1-65536, default 1024; read at open)");

int smmua_events_init(struct smmua_events *events)
{
	u32 size = clamp_t(u32, READ_ONCE(smmua_fault_queue_len), 1, 65536);

	spin_lock_init(&events->lock);
	mutex_init(&events->read_lock);
	init_waitqueue_head(&events->wait);
	events->ring = kvcalloc(size, sizeof(*events->ring), GFP_KERNEL_ACCOUNT);
	if (!events->ring)
		return -ENOMEM;
	events->size = size;
	return 0;
}

void smmua_events_destroy(struct smmua_events *events)
{
	if (events->trigger)
		eventfd_ctx_put(events->trigger);
	kvfree(events->ring);
	mutex_destroy(&events->read_lock);
}

/* Queue one record, or count it lost. Returns whether it was queued. */
static bool smmua_events_push(struct smmua_events *events,
			      struct smmu_assign_fault_event *ev)
{
	unsigned long flags;
	bool queued = false;

	spin_lock_irqsave(&events->lock, flags);
	ev->seq = ++events->seq;
	if (events->count < events->size) {
		ev->lost = events->lost;
		events->lost = 0;
		events->ring[(events->head + events->count) % events->size] = *ev;
		events->count++;
		queued = true;
		if (events->trigger)
			smmua_eventfd_signal(events->trigger);
	} else {
		events->lost++;
	}
	spin_unlock_irqrestore(&events->lock, flags);
	if (queued)
		wake_up_interruptible_poll(&events->wait, EPOLLIN | EPOLLRDNORM);
	return queued;
}

static void smmua_log_fault(struct smmua_device *sdev, u64 iova, bool write, u32 reason)
{
	u64 page = iova & PAGE_MASK;

	if (page == sdev->last_fault_page && write == sdev->last_fault_write &&
	    reason == sdev->last_fault_reason &&
	    time_before(jiffies, sdev->last_fault_jiffies + msecs_to_jiffies(20)))
		goto out;
	sdev->last_fault_page = page;
	sdev->last_fault_write = write;
	sdev->last_fault_reason = reason;
	if (!__ratelimit(&sdev->fault_rs))
		goto out;
	/* The event carries no stream ID; a multi-SID device reports its first. */
	pr_warn("%s: DMA fault: sid %#x iova %#llx %s reason %u\n",
		pci_name(sdev->pdev), sdev->sids[0], iova, write ? "write" : "read", reason);
out:
	sdev->last_fault_jiffies = jiffies;
}

/* Runs in the SMMU's event-queue thread for each fault of a bound device. */
void smmua_report_fault(struct smmua_device *sdev, u64 iova, bool write, u32 reason)
{
	struct pci_dev *pdev = sdev->pdev;
	struct smmu_assign_fault_event ev = {
		.timestamp_ns = ktime_get_ns(),
		.iova = iova,
		.bdf = smmua_pdev_bdf(pdev),
		.sid = sdev->sids[0],
		.flags = write ? SMMU_ASSIGN_FAULT_WRITE : SMMU_ASSIGN_FAULT_READ,
		.reason = reason < SMMU_ASSIGN_FAULT_NR_REASONS ? reason :
			  SMMU_ASSIGN_FAULT_UNKNOWN,
	};
	struct smmua_binding *binding = sdev->binding;
	unsigned long flags;

	/* The owner cannot go away while owner_lock is held. */
	spin_lock_irqsave(&binding->owner_lock, flags);
	sdev->faults[ev.reason]++;
	if (binding->owner && !smmua_events_push(&binding->owner->events, &ev))
		sdev->faults_lost++;
	spin_unlock_irqrestore(&binding->owner_lock, flags);
	atomic64_inc(&smmua_total_faults);

	smmua_log_fault(sdev, iova, write, reason);
}

/*
 * Tell the owner that @binding ended because one of its devices left
 * (unbind, removal, hot-unplug): a record for each device of the group.
 * The owner is still set.
 */
void smmua_events_device_gone(struct smmua_binding *binding)
{
	struct smmua_device *sdev;

	if (!binding->owner)
		return;
	list_for_each_entry(sdev, &binding->devices, binding_node) {
		struct smmu_assign_fault_event ev = {
			.timestamp_ns = ktime_get_ns(),
			.bdf = smmua_pdev_bdf(sdev->pdev),
			.sid = sdev->sids[0],
			.flags = SMMU_ASSIGN_EVENT_DEVICE_GONE,
		};

		smmua_events_push(&binding->owner->events, &ev);
	}
}

ssize_t smmua_events_read(struct smmua_ctx *ctx, char __user *buf, size_t count,
			  bool nonblock)
{
	struct smmua_events *events = &ctx->events;
	struct smmu_assign_fault_event batch[8];
	size_t done = 0;
	int ret;

	if (count < sizeof(batch[0]))
		return -EINVAL;

	/* One reader at a time: records are copied out before they are popped. */
	if (mutex_lock_interruptible(&events->read_lock))
		return -ERESTARTSYS;
	for (;;) {
		unsigned int n = 0;

		spin_lock_irq(&events->lock);
		while (n < events->count && n < ARRAY_SIZE(batch) &&
		       done + (n + 1) * sizeof(batch[0]) <= count) {
			batch[n] = events->ring[(events->head + n) % events->size];
			n++;
		}
		spin_unlock_irq(&events->lock);

		if (n) {
			if (copy_to_user(buf + done, batch, n * sizeof(batch[0]))) {
				ret = done ? 0 : -EFAULT;
				break;
			}
			spin_lock_irq(&events->lock);
			events->head = (events->head + n) % events->size;
			events->count -= n;
			spin_unlock_irq(&events->lock);
			done += n * sizeof(batch[0]);
			continue;
		}
		ret = 0;
		if (done)
			break;
		if (nonblock) {
			ret = -EAGAIN;
			break;
		}
		mutex_unlock(&events->read_lock);
		ret = wait_event_interruptible(events->wait, READ_ONCE(events->count));
		if (ret)
			return ret;
		if (mutex_lock_interruptible(&events->read_lock))
			return -ERESTARTSYS;
	}
	mutex_unlock(&events->read_lock);
	return done ?: ret;
}

__poll_t smmua_events_poll(struct smmua_ctx *ctx, struct file *filp,
			   struct poll_table_struct *wait)
{
	poll_wait(filp, &ctx->events.wait, wait);
	return READ_ONCE(ctx->events.count) ? EPOLLIN | EPOLLRDNORM : 0;
}

int smmua_set_eventfd(struct smmu_assign_ucmd *ucmd)
{
	struct smmu_assign_set_eventfd *cmd = ucmd->cmd;
	struct smmua_events *events = &ucmd->ctx->events;
	struct eventfd_ctx *trigger = NULL, *old;

	if (cmd->flags || cmd->__reserved)
		return -EOPNOTSUPP;
	if (cmd->eventfd != -1) {
		trigger = eventfd_ctx_fdget(cmd->eventfd);
		if (IS_ERR(trigger))
			return PTR_ERR(trigger);
	}

	spin_lock_irq(&events->lock);
	old = events->trigger;
	events->trigger = trigger;
	spin_unlock_irq(&events->lock);
	if (old)
		eventfd_ctx_put(old);
	return 0;
}
