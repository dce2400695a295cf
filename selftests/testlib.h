/* SPDX-License-Identifier: GPL-2.0 */
/*
 * testlib: what the smmu-assign selftests share beyond libsmmu-assign:
 * edu devices (find, hand to the stub driver, PCI command bits, BAR0, DMA),
 * the kernel log's fault lines, pin counters and VmPin, buffers, and
 * VFIO's container and group ioctls.
 * Functions return 0 or a negative errno unless said otherwise.
 */
#ifndef SMMU_ASSIGN_TESTLIB_H
#define SMMU_ASSIGN_TESTLIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/vfio.h>

#include "edu.h"
#include "smmu_assign_lib.h"

#define TL_EDU_VENDOR		EDU_VENDOR
#define TL_EDU_DEVICE		EDU_DEVICE
#define TL_EDU_BUF_ADDR		EDU_BUF_ADDR
#define TL_EDU_BUF_SIZE		4096ULL
#define TL_EDU_DMA_MAX		EDU_DMA_MAX	/* see edu.h: QEMU 7.2 */
/* edu's default dma_mask is 28 bits: it silently masks higher IOVAs. */
#define TL_EDU_IOVA_LIMIT	0x10000000ULL
/* arm-smmu-v3's software MSI window (IOMMU_RESV_SW_MSI). */
#define TL_MSI_IOVA		0x8000000ULL
#define TL_MSI_LENGTH		0x100000ULL
#define TL_MAX_DEVS		8
/*
 * The kernel's page size (4 KiB or 16 KiB on the test bed): the unit of
 * MAP and UNMAP. TL_HUGE is its PMD size, a block mapping's: 2 MiB with 4K
 * pages, 32 MiB with 16K pages.
 */
#define TL_PAGE			tl_page_size()
#define TL_HUGE			tl_huge_size()

/* ---- the running kernel ---- */

size_t tl_page_size(void);
size_t tl_huge_size(void);

/*
 * Whether the loaded module delivers fault records (GET_INFO's
 * SMMU_ASSIGN_CAP_FAULTS). Where it does not, the tests skip their fault
 * assertions with this reason, and run everything else.
 */
bool tl_faults_delivered(void);
#define TL_NO_FAULTS_REASON \
	"faults not delivered by this kernel (6.9+: arm-smmu-v3 reports no unrecoverable faults)"

/*
 * In a kselftest test body: end the test skipped for the fault assertions
 * it could not make. SKIP() marks a test passed, so a test that already
 * failed stays failed.
 */
#define TL_SKIP_FAULTS() do {						\
	if (_metadata->passed)						\
		SKIP(return, "%s", TL_NO_FAULTS_REASON);		\
	return;								\
} while (0)

/* In a test body: skip unless the fixture has (have) at least n edu devices. */
#define TL_NEED_DEVS(have, n) do {						\
	if ((have) < (n))							\
		SKIP(return, "needs %d edu devices, found %d", (n), (have));	\
} while (0)

/* CLOCK_MONOTONIC in milliseconds. */
double tl_now_ms(void);

/* ---- PCI and the stub driver ---- */

/*
 * BDF names of the edu functions on the root bus, each alone in its IOMMU
 * group, sorted; returns how many (at most max).
 */
int tl_find_edus(char names[][SMMUA_BDF_STRLEN], int max);

/*
 * The test bed's edus that share one IOMMU group, sorted: functions of a
 * multi-function slot on the root bus, with no ACS between them, each
 * with its own stream ID. Returns how many (at most max).
 */
int tl_find_grouped_edus(char names[][SMMUA_BDF_STRLEN], int max);

/*
 * The test bed's edu behind a PCIe-to-PCI bridge (on a root port), in one
 * IOMMU group with both.
 */
int tl_find_bridged_edu(char name[SMMUA_BDF_STRLEN]);

/* The test bed's edu in a hot-pluggable PCIe slot (QEMU id "hotedu", on "rp1"). */
int tl_find_hotplug_edu(char name[SMMUA_BDF_STRLEN]);
#define TL_HOTPLUG_ID		"hotedu"
#define TL_HOTPLUG_BUS		"rp1"

/*
 * Ask the host to act on the emulated server's PCIe slots: "del ID" or
 * "add ID BUS" become QEMU monitor commands (tools/testbed/hotplug-agent.py).
 * Returns once asked; the caller waits for the device to go or come.
 */
int tl_hotplug_request(const char *op);

/* The first PCI function (in BDF order) with that vendor and device ID. */
int tl_find_pci(uint16_t vendor, uint16_t device, char name[SMMUA_BDF_STRLEN]);

/*
 * Read the device's real config space through sysfs (as root: all of
 * it), whatever a device fd's virtual config space says.
 */
int tl_pci_config_read(const char *bdf, unsigned int off, void *buf, size_t len);

/* smmua_pci_takeover() to the stub, and check the driver link says so. */
int tl_bind_stub(const char *bdf);

/* smmua_pci_giveback() of an edu: it ends on no driver, no override. */
int tl_leave_unbound(const char *bdf);

/* Memory decoding and bus mastering on, and checked. */
int tl_pci_enable(const char *bdf);

/* 1 if the PCI command register of bdf has Bus Master set, 0 if not, or -errno. */
int tl_pci_master(const char *bdf);

/*
 * Drop any binding of bdf a previous test left behind: release a claim and
 * UNBIND from a fresh file (persistent bindings outlive their files).
 */
void tl_drop_binding(const struct smmu_assign_bdf *bdf);

/*
 * A PCI driver that uses the DMA API and binds any device through
 * driver_override: how a test puts a member of an IOMMU group on a driver
 * that is neither the stub nor vfio-pci.
 */
#define TL_UIO_DRIVER		"uio_pci_generic"
bool tl_uio_available(void);

/*
 * Take bdf off its driver, set driver_override to driver and bind it by
 * writing the driver's sysfs bind file: the probe's errno (e.g. -EBUSY
 * when the IOMMU group's DMA is owned) comes back. driver "" leaves it on
 * no driver with the override cleared. Keeps no takeover record: give a
 * device back with tl_pci_set_driver(bdf, "") and then tl_bind_stub().
 */
int tl_pci_set_driver(const char *bdf, const char *driver);

bool tl_bdf_eq(const struct smmu_assign_bdf *a, const struct smmu_assign_bdf *b);

/* How many times LIST on fd names bdf (0 or 1), or a negative errno. */
int tl_listed(int fd, const struct smmu_assign_bdf *bdf);

/*
 * Run a shell command, its stdout and stderr into out (NUL-terminated, cut
 * at len): its exit status, or -1 if it did not exit.
 */
int tl_run(char *out, size_t len, const char *cmd);

/* Write val to a sysfs or procfs file; read one (trailing newline cut). */
int tl_write_file(const char *path, const char *val);
int tl_read_file(const char *path, char *buf, size_t len);

/* ---- the edu device ---- */

struct tl_edu {
	char name[SMMUA_BDF_STRLEN];
	struct smmu_assign_bdf bdf;
	uint32_t sid;		/* requester ID: the SID on QEMU virt */
	struct edu dev;		/* tools/examples/edu.c drives it, polled */
};

/* Enable decoding and mastering, map BAR0 from sysfs and check the edu answers. */
int tl_edu_open(struct tl_edu *e, const char *bdf);

/*
 * A fixture's devices: tl_find_edus() into names (TL_MAX_DEVS of them), and
 * the first max of those freed of any binding an earlier test left, on the
 * stub and opened in edu. Returns how many it took, or a negative errno.
 */
int tl_edus_take(char names[][SMMUA_BDF_STRLEN], struct tl_edu *edu, int max);
void tl_edu_close(struct tl_edu *e);

/*
 * One edu DMA of count bytes (1..TL_EDU_DMA_MAX), waiting up to ~3 s for it to end.
 * to_ram: device buffer -> iova, else iova -> device buffer. The device
 * reports no DMA errors: a blocked DMA still "completes".
 */
int tl_edu_dma(struct tl_edu *e, uint64_t iova, uint64_t count, bool to_ram);

/*
 * Bus mastering on (a blocked DMA must be the SMMU's doing), then count
 * bytes from src_iova into the device and back out to dst_iova.
 */
int tl_edu_round_trip(struct tl_edu *e, uint64_t src_iova, uint64_t dst_iova, uint64_t count);

/*
 * A copy chain through one mapping: buf (at least n + 1 pages) is what the
 * devices see at iova. Page 0 gets seed's pattern, pages 1 to n are
 * cleared, and device i copies TL_EDU_DMA_MAX bytes of page i to page
 * i + 1, so each reads what the one before it wrote. Returns 0 when every
 * page holds the pattern, i + 1 for the first device i whose page does
 * not, or a negative errno from a DMA.
 */
int tl_edu_chain(struct tl_edu *const *e, int n, uint8_t *buf, uint64_t iova, uint32_t seed);

static inline int tl_edu_to_dev(struct tl_edu *e, uint64_t iova, uint64_t count)
{
	return tl_edu_dma(e, iova, count, false);
}

static inline int tl_edu_to_ram(struct tl_edu *e, uint64_t iova, uint64_t count)
{
	return tl_edu_dma(e, iova, count, true);
}

/* ---- the device fd (DEVICE_FD: the device ABI of <linux/vfio.h>) ---- */

struct vfio_region_info;

/*
 * Where a region starts in the device fd: vfio-pci's
 * VFIO_PCI_INDEX_TO_OFFSET(), which is the kernel's, not the uapi's.
 * GET_REGION_INFO says the same; this also names offsets of regions that
 * do not exist.
 */
#define TL_VFIO_OFFSET(index)	((uint64_t)(index) << 40)

/* VFIO_DEVICE_GET_REGION_INFO of one region, without its capabilities. */
int tl_vfio_region(int dfd, uint32_t index, struct vfio_region_info *ri);

/* mmap (shared, read-write) of len bytes at off in region index; MAP_FAILED and errno. */
void *tl_vfio_mmap(int dfd, uint32_t index, uint64_t off, size_t len);

/* pread or pwrite of exactly len bytes at off in region index (-EIO if short). */
int tl_vfio_read(int dfd, uint32_t index, uint64_t off, void *buf, size_t len);
int tl_vfio_write(int dfd, uint32_t index, uint64_t off, const void *buf, size_t len);

/* Bus mastering on or off through the config region, as a VFIO user does. */
int tl_vfio_master(int dfd, bool on);

/*
 * VFIO_DEVICE_SET_IRQS with flags (one DATA_ and one ACTION_ type), as
 * raw as the ioctl: data holds count bools or eventfds as flags say.
 */
int tl_vfio_set_irqs(int dfd, uint32_t flags, uint32_t index, uint32_t start,
		     uint32_t count, const void *data);
/* Vectors start.. of index signal the eventfds efds[0..count) (-1: none). */
int tl_vfio_irq_eventfds(int dfd, uint32_t index, uint32_t start, uint32_t count,
			 const int *efds);
/* Interrupts of index off (DATA_NONE, count 0). */
int tl_vfio_irq_off(int dfd, uint32_t index);
/* Unmask an automasked INTx. */
int tl_vfio_intx_unmask(int dfd);

/* A non-blocking, close-on-exec eventfd. */
int tl_eventfd(void);
/*
 * Wait up to timeout_ms for efd to be signalled and read it: the count
 * (every signal since the last read), 0 when none came, or a negative
 * errno.
 */
long long tl_eventfd_wait(int efd, int timeout_ms);

/*
 * Interrupts the kernel took, summed over CPUs, of the /proc/interrupts
 * lines whose name holds name (e.g. "vfio-msi[0](0000:00:02.0)"): -ENOENT
 * when there is no such line, i.e. no such handler is registered.
 */
long long tl_irq_count(const char *name);
/*
 * The same for interrupt number irq: 0 when it is not listed (none taken).
 * An interrupt's count outlives its handlers (a PCI function's INTx keeps
 * its count from one driver to the next, an MSI vector does not): what one
 * user took is the difference over its use.
 */
long long tl_irq_count_nr(unsigned int irq);

/*
 * Open an edu through its device fd dfd, not sysfs: BAR0 mmapped from the
 * fd, bus mastering on through its config region, and alive. The DMA and
 * interrupt helpers below, and tl_edu_dma(), then work as for
 * tl_edu_open(); tl_edu_close() unmaps. dfd stays the caller's.
 */
int tl_edu_open_devfd(struct tl_edu *e, const char *bdf, int dfd);

/* tl_edu_dma() that makes the device raise its interrupt when done. */
int tl_edu_dma_irq(struct tl_edu *e, uint64_t iova, uint64_t count, bool to_ram);

/* ---- the kernel log ---- */

struct tl_kmsg {
	int fd;
	char **lines;		/* messages read since the last mark */
	int nr, cap;
};

/* Open /dev/kmsg positioned at its end. */
int tl_kmsg_open(struct tl_kmsg *k);
/* Forget what was read and skip to the end: call right before a DMA. */
int tl_kmsg_mark(struct tl_kmsg *k);
void tl_kmsg_close(struct tl_kmsg *k);

/*
 * Wait up to timeout_ms for smmu_assign's fault line for device bdf at an
 * IOVA in the page of iova; access "read", "write" or NULL for either.
 * Returns 1 when found, 0 when not.
 */
int tl_kmsg_wait_fault(struct tl_kmsg *k, const char *bdf, uint64_t iova,
		       const char *access, int timeout_ms);

/*
 * Same for arm-smmu-v3's own "event 0x.. received" dump (logged when no
 * fault handler took the event): the SID and the page of the input address
 * must match.
 */
int tl_kmsg_wait_smmu_event(struct tl_kmsg *k, uint32_t sid, uint64_t iova, int timeout_ms);

/*
 * Wait until no message containing substr has been logged for quiet_ms,
 * giving up (-ETIMEDOUT) after max_ms. arm-smmu-v3 rate-limits its event
 * dumps (10 per 5 s, all devices): after 5 s of quiet the next one prints.
 */
int tl_kmsg_wait_quiet(struct tl_kmsg *k, const char *substr, int quiet_ms, int max_ms);

/* Wait up to timeout_ms for any kernel log line containing text. */
int tl_kmsg_wait_text(struct tl_kmsg *k, const char *text, int timeout_ms);

/* Either of the two. */
int tl_kmsg_wait_any_fault(struct tl_kmsg *k, const char *bdf, uint32_t sid,
			   uint64_t iova, int timeout_ms);

/*
 * Fault records queued on an owner's file: read whole records into ev
 * (at most max) until want have come or timeout_ms has passed, without
 * blocking in read(). Returns how many were read, or a negative errno.
 */
int tl_fault_records(int fd, struct smmu_assign_fault_event *ev, int max, int want,
		     int timeout_ms);

/* How many of ev[0..n) are bdf's and fall in the page of iova. */
int tl_count_records(const struct smmu_assign_fault_event *ev, int n,
		     const struct smmu_assign_bdf *bdf, uint64_t iova);

/* ---- counters ---- */

/* VmPin (kB: pages pinned, as smmu-assign charges them) of pid, 0 for this process; negative errno on failure. */
long tl_vmpin_kb(int pid);

/*
 * nr_foll_pin_acquired - nr_foll_pin_released, after folding per-CPU
 * deltas (vm/stat_refresh), so the figures are exact.
 */
int tl_pins_outstanding(long long *out);
/* nr_foll_pin_acquired alone: pins taken, however many were let go since. */
int tl_pins_acquired(long long *out);
/* tl_pins_outstanding() as a value, -1 when it cannot be read. */
long long tl_pins_now(void);

/* Read and write a module parameter of smmu_assign. */
int tl_param_read(const char *name, char *buf, size_t len);
int tl_param_write(const char *name, const char *val);

/* ---- users ---- */

/*
 * Become uid and gid (no supplementary groups) with no capabilities, and
 * RLIMIT_MEMLOCK of pages pages: an unprivileged user's process.
 */
int tl_become(uid_t uid, gid_t gid, unsigned long pages);

/* Pass fd over a unix socket (SCM_RIGHTS, with one byte); receive one: the new fd or -errno. */
int tl_send_fd(int sock, int fd);
int tl_recv_fd(int sock);

/* ---- fault injection (fail-nth) ---- */

/*
 * Make the kernel's slab and page-allocation fault injection usable by
 * fail-nth: every allocation may fail, quietly (no stack dumps). Returns
 * -EOPNOTSUPP when the kernel has no fault injection.
 */
int tl_failnth_setup(void);
/* The n-th injection point this thread reaches from now on fails. */
int tl_failnth_arm(unsigned int n);
/* Disarm; 1 if the armed failure was injected, 0 if it was not reached. */
int tl_failnth_disarm(void);

/* ---- buffers ---- */

/* Page-aligned, populated anonymous memory filled with canary; NULL on failure. */
void *tl_buf_alloc(size_t len, uint8_t canary);
void tl_buf_free(void *buf, size_t len);
/* Offset of the first byte that is not c, or -1 when all are. */
long tl_buf_find_not(const void *buf, size_t len, uint8_t c);
/* Fill with a pattern that differs per byte and per seed. */
void tl_buf_pattern(void *buf, size_t len, uint32_t seed);

/*
 * A hugetlbfs page of TL_HUGE bytes (after raising that size's
 * nr_hugepages to a few), filled with canary; NULL when none can be had.
 */
void *tl_huge_alloc(uint8_t canary);
void tl_huge_free(void *buf);

/* ---- ioctls libsmmu-assign does not wrap the way the tests need ---- */

/* SMMU_ASSIGN_MAP into space_id that also returns out_num_runs. */
int tl_map_runs(int fd, uint32_t space_id, uint32_t flags, void *va, uint64_t iova,
		uint64_t length, uint32_t *runs);

/*
 * BIND bdf into a new space whose allowed range is the window [iova, iova +
 * length): the new space's id (0 for a persistent binding, which is in no
 * space until claimed), or a negative errno.
 */
int tl_bind(int fd, const struct smmu_assign_bdf *bdf, uint32_t flags, uint64_t iova,
	    uint64_t length);

/*
 * SPACE_ALLOC (name NULL for none) and, for a non-zero length, ALLOW_IOVAS
 * of the one range [iova, iova + length): the space id, or a negative errno.
 */
int tl_space(int fd, const char *name, uint64_t iova, uint64_t length);

/* Whether fd has a space of that id (SPACE_INFO answers for it). */
bool tl_has_space(int fd, uint32_t space_id);

/* Whether two SPACE_INFO answers agree on everything a refused call must not change. */
bool tl_space_equal(const struct smmua_space_desc *a, const struct smmua_space_desc *b);

/*
 * The size-first conventions of an ioctl whose struct, len bytes at cmd, is
 * filled as a valid call would be (that call is not made): every flags bit
 * outside valid_flags is EOPNOTSUPP, sizes len - 8, 4 and 0 are EINVAL, and
 * len + 16 bytes with a non-zero tail is E2BIG. For a struct still at its
 * first version. cmd is left as it was. Returns 0, or -1 with the first
 * wrong answer told in why.
 */
int tl_conventions(int fd, unsigned long req, void *cmd, size_t len, uint32_t valid_flags,
		   char *why, size_t why_len);

/* ---- VFIO's container and group ioctls, of VFIO's nodes or smmu-assign's ---- */

/* ioctl() answering its value, or a negative errno. */
long tl_ioctl(int fd, unsigned long req, unsigned long arg);
#define tl_ioctl_p(fd, req, p)	tl_ioctl(fd, req, (unsigned long)(p))

long tl_vfio_set_container(int group, int container);
/* VFIO_GROUP_GET_STATUS: the flags, or a negative errno. */
long tl_vfio_group_status(int group);
/* VFIO_GROUP_GET_DEVICE_FD of the device named name: the fd, or a negative errno. */
long tl_vfio_device_fd(int group, const char *name);
long tl_vfio_map(int container, const void *va, uint64_t iova, uint64_t size, uint32_t flags);
/* VFIO_IOMMU_UNMAP_DMA: the bytes unmapped, or a negative errno. */
long tl_vfio_unmap(int container, uint64_t iova, uint64_t size, uint32_t flags);

#define TL_VFIO_MAX_RANGES	64

/* What VFIO_IOMMU_GET_INFO says, its capability chain walked. */
struct tl_vfio_info {
	uint32_t flags;
	uint64_t pgsizes;
	long avail;			/* DMA_AVAIL, -1 without the capability */
	int nr_ranges;			/* IOVA_RANGE's, -1 without it */
	struct vfio_iova_range ranges[TL_VFIO_MAX_RANGES];
	unsigned int nr_caps;
	uint16_t cap_ids[8];		/* every capability's id, in chain order */
};

/*
 * VFIO_IOMMU_GET_INFO as QEMU asks: first with no room for the
 * capabilities, then with the argsz that says. -EPROTO for a malformed
 * chain.
 */
long tl_vfio_info(int container, struct tl_vfio_info *out);
bool tl_vfio_has_cap(const struct tl_vfio_info *info, uint16_t id);
/* DMA_AVAIL, or a negative errno. */
long tl_vfio_dma_avail(int container);

/* smmua_parse_bdf() that cannot fail on names from tl_find_edus(). */
struct smmu_assign_bdf tl_bdf(const char *name);

#endif /* SMMU_ASSIGN_TESTLIB_H */
