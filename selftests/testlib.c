// SPDX-License-Identifier: GPL-2.0
/*
 * testlib: edu devices, the kernel log, counters and buffers for the
 * smmu-assign selftests.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/mman.h>
#include <linux/pci_regs.h>
#include <linux/vfio.h>

#include "testlib.h"

#define SYSFS_PCI	"/sys/bus/pci/devices"

static int read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0) {
		n = -errno;
		close(fd);
		return n;
	}
	close(fd);
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return 0;
}

static int write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	n = n < 0 ? -errno : 0;
	close(fd);
	return n;
}

/*
 * Whether the PCI function sits directly below a root port: the test bed's
 * hot-pluggable PCIe slot. (The bridged edu is one level further down, in
 * the PCIe-to-PCI bridge's own SHPC slot.)
 */
static bool below_root_port(const struct smmu_assign_bdf *bdf)
{
	char path[PATH_MAX], real[PATH_MAX], *parent;
	unsigned int seg, bus, dev, fn;

	snprintf(path, sizeof(path), SYSFS_PCI "/%04x:%02x:%02x.%x/..", bdf->segment,
		 bdf->bus, bdf->device, bdf->function);
	if (!realpath(path, real))
		return false;
	parent = strrchr(real, '/');
	return parent && sscanf(parent + 1, "%x:%x:%x.%x", &seg, &bus, &dev, &fn) == 4 &&
	       bus == 0;
}

/* Whether the PCI function's header type says multi-function (bit 7). */
static bool multifunction(const struct smmu_assign_bdf *bdf)
{
	char path[PATH_MAX];
	uint8_t hdr = 0;
	int fd;

	snprintf(path, sizeof(path), SYSFS_PCI "/%04x:%02x:%02x.%x/config", bdf->segment,
		 bdf->bus, bdf->device, bdf->function);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	if (pread(fd, &hdr, 1, 0x0e) != 1)
		hdr = 0;
	close(fd);
	return hdr & 0x80;
}

enum edu_place { EDU_ROOT_BUS, EDU_GROUPED, EDU_BRIDGED, EDU_HOTPLUG };

/*
 * edus on the root bus alone in their groups, functions of the root bus's
 * multi-function slot, behind the bridge, or in the PCIe slot, sorted.
 */
static int find_edus(char names[][SMMUA_BDF_STRLEN], int max, enum edu_place where)
{
	struct smmu_assign_bdf *bdfs;
	struct smmua_pci_dev dev;
	enum edu_place place;
	size_t num, i;
	int n = 0;

	/* smmua_pci_list() sorts by BDF, so the names come out sorted. */
	if (smmua_pci_list(&bdfs, &num))
		return 0;
	for (i = 0; i < num && n < max; i++) {
		if (smmua_pci_read(&bdfs[i], &dev) || dev.vendor != TL_EDU_VENDOR ||
		    dev.device != TL_EDU_DEVICE)
			continue;
		if (!bdfs[i].bus)
			place = multifunction(&bdfs[i]) ? EDU_GROUPED : EDU_ROOT_BUS;
		else
			place = below_root_port(&bdfs[i]) ? EDU_HOTPLUG : EDU_BRIDGED;
		if (place == where)
			smmua_format_bdf(&bdfs[i], names[n++], SMMUA_BDF_STRLEN);
	}
	free(bdfs);
	return n;
}

int tl_find_edus(char names[][SMMUA_BDF_STRLEN], int max)
{
	return find_edus(names, max, EDU_ROOT_BUS);
}

int tl_find_grouped_edus(char names[][SMMUA_BDF_STRLEN], int max)
{
	return find_edus(names, max, EDU_GROUPED);
}

static int find_one_edu(char name[SMMUA_BDF_STRLEN], enum edu_place where)
{
	char names[1][SMMUA_BDF_STRLEN];

	if (find_edus(names, 1, where) != 1)
		return -ENODEV;
	memcpy(name, names[0], SMMUA_BDF_STRLEN);
	return 0;
}

int tl_find_bridged_edu(char name[SMMUA_BDF_STRLEN])
{
	return find_one_edu(name, EDU_BRIDGED);
}

int tl_find_hotplug_edu(char name[SMMUA_BDF_STRLEN])
{
	return find_one_edu(name, EDU_HOTPLUG);
}

int tl_find_pci(uint16_t vendor, uint16_t device, char name[SMMUA_BDF_STRLEN])
{
	struct smmu_assign_bdf *bdfs;
	struct smmua_pci_dev dev;
	int ret = -ENODEV;
	size_t num, i;

	if (smmua_pci_list(&bdfs, &num))
		return -ENODEV;
	for (i = 0; i < num && ret; i++) {
		if (smmua_pci_read(&bdfs[i], &dev) || dev.vendor != vendor ||
		    dev.device != device)
			continue;
		smmua_format_bdf(&bdfs[i], name, SMMUA_BDF_STRLEN);
		ret = 0;
	}
	free(bdfs);
	return ret;
}

int tl_pci_config_read(const char *bdf, unsigned int off, void *buf, size_t len)
{
	char path[PATH_MAX];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), SYSFS_PCI "/%s/config", bdf);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = pread(fd, buf, len, off);
	if (n < 0)
		n = -errno;
	close(fd);
	return n < 0 ? n : n != (ssize_t)len ? -EIO : 0;
}

int tl_hotplug_request(const char *op)
{
	static unsigned int seq;
	char line[128];
	int fd, len, ret = 0;

	/* Through the kernel log to the serial console, where the agent reads. */
	len = snprintf(line, sizeof(line), "<5>testbed-hotplug: %u-%d %s\n", ++seq,
		       (int)getpid(), op);
	fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, line, len) != len)
		ret = -errno;
	close(fd);
	return ret;
}

int tl_bind_stub(const char *bdf)
{
	struct smmu_assign_bdf b;
	char drv[SMMUA_DRIVER_LEN];
	int ret;

	if (smmua_parse_bdf(bdf, &b))
		return -EINVAL;
	ret = smmua_pci_takeover(&b, SMMUA_STUB_DRIVER, NULL, 0);
	if (ret)
		return ret;
	ret = smmua_pci_driver(&b, drv, sizeof(drv));
	if (ret)
		return ret;
	return strcmp(drv, SMMUA_STUB_DRIVER) ? -EIO : 0;
}

int tl_leave_unbound(const char *bdf)
{
	struct smmu_assign_bdf b;
	char drv[SMMUA_DRIVER_LEN];
	int ret;

	if (smmua_parse_bdf(bdf, &b))
		return -EINVAL;
	/* Undoing the takeover of a device that had no driver leaves it on none. */
	ret = smmua_pci_giveback(&b, drv, sizeof(drv));
	if (ret)
		return ret;
	return drv[0] ? -EBUSY : 0;
}

int tl_pci_enable(const char *bdf)
{
	const uint16_t bits = SMMUA_PCI_COMMAND_MEMORY | SMMUA_PCI_COMMAND_MASTER;
	struct smmu_assign_bdf b;
	uint16_t cmd;
	int ret;

	if (smmua_parse_bdf(bdf, &b))
		return -EINVAL;
	ret = smmua_pci_command(&b, bits, 0, &cmd);
	if (ret)
		return ret;
	return (cmd & bits) == bits ? 0 : -EIO;
}

int tl_pci_master(const char *bdf)
{
	struct smmu_assign_bdf b;
	uint16_t cmd;
	int ret;

	if (smmua_parse_bdf(bdf, &b))
		return -EINVAL;
	ret = smmua_pci_command(&b, 0, 0, &cmd);
	if (ret)
		return ret;
	return !!(cmd & SMMUA_PCI_COMMAND_MASTER);
}

void tl_drop_binding(const struct smmu_assign_bdf *bdf)
{
	int fd = smmua_open();

	if (fd < 0)
		return;
	smmua_claim(fd, bdf, SMMU_ASSIGN_CLAIM_RELEASE, 0, NULL);
	smmua_unbind(fd, bdf);
	close(fd);
}

int tl_pci_set_driver(const char *bdf, const char *driver)
{
	char path[PATH_MAX], link[PATH_MAX];
	ssize_t n;
	int ret;

	/* Off its current driver, if any. */
	snprintf(path, sizeof(path), SYSFS_PCI "/%s/driver", bdf);
	n = readlink(path, link, sizeof(link) - 1);
	if (n > 0) {
		link[n] = '\0';
		snprintf(path, sizeof(path), "/sys/bus/pci/drivers/%s/unbind",
			 strrchr(link, '/') + 1);
		ret = write_file(path, bdf);
		if (ret)
			return ret;
	}
	snprintf(path, sizeof(path), SYSFS_PCI "/%s/driver_override", bdf);
	ret = write_file(path, driver[0] ? driver : "\n");
	if (ret || !driver[0])
		return ret;
	/* The bind write returns the probe's own errno (drivers_probe would not). */
	snprintf(path, sizeof(path), "/sys/bus/pci/drivers/%s/bind", driver);
	return write_file(path, bdf);
}

bool tl_uio_available(void)
{
	return !access("/sys/bus/pci/drivers/" TL_UIO_DRIVER, F_OK);
}

bool tl_bdf_eq(const struct smmu_assign_bdf *a, const struct smmu_assign_bdf *b)
{
	return a->segment == b->segment && a->bus == b->bus && a->device == b->device &&
	       a->function == b->function;
}

int tl_listed(int fd, const struct smmu_assign_bdf *bdf)
{
	struct smmu_assign_bdf *bdfs;
	size_t n, i;
	int ret, found = 0;

	ret = smmua_list(fd, &bdfs, &n);
	if (ret)
		return ret;
	for (i = 0; i < n; i++)
		found += tl_bdf_eq(&bdfs[i], bdf);
	free(bdfs);
	return found;
}

int tl_run(char *out, size_t len, const char *cmd)
{
	char *full;
	size_t n = 0, r;
	FILE *f;
	int st;

	if (asprintf(&full, "%s 2>&1", cmd) < 0)
		return -1;
	f = popen(full, "r");
	free(full);
	if (!f)
		return -1;
	while (n < len - 1 && (r = fread(out + n, 1, len - 1 - n, f)))
		n += r;
	out[n] = '\0';
	st = pclose(f);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int tl_write_file(const char *path, const char *val)
{
	return write_file(path, val);
}

int tl_read_file(const char *path, char *buf, size_t len)
{
	return read_file(path, buf, len);
}

struct smmu_assign_bdf tl_bdf(const char *name)
{
	struct smmu_assign_bdf bdf;

	if (smmua_parse_bdf(name, &bdf))
		memset(&bdf, 0xff, sizeof(bdf));
	return bdf;
}

int tl_edus_take(char names[][SMMUA_BDF_STRLEN], struct tl_edu *edu, int max)
{
	int nr = tl_find_edus(names, TL_MAX_DEVS);
	int i, ret;

	if (nr > max)
		nr = max;
	for (i = 0; i < nr; i++) {
		struct smmu_assign_bdf bdf = tl_bdf(names[i]);

		tl_drop_binding(&bdf);
		ret = tl_bind_stub(names[i]);
		if (!ret)
			ret = tl_edu_open(&edu[i], names[i]);
		if (ret)
			return ret;
	}
	return nr;
}

/*
 * BAR0 through sysfs, not a device fd: the tests drive the device whatever
 * binds it, by another file, by a claim no one holds, or nothing at all,
 * and a device fd would hold the binding (UNBIND is EBUSY while one is open).
 */
int tl_edu_open(struct tl_edu *e, const char *bdf)
{
	char path[PATH_MAX];
	void *bar;
	int fd, ret;

	memset(e, 0, sizeof(*e));
	snprintf(e->name, sizeof(e->name), "%s", bdf);
	if (smmua_parse_bdf(bdf, &e->bdf))
		return -EINVAL;
	e->sid = e->bdf.bus << 8 | e->bdf.device << 3 | e->bdf.function;
	ret = smmua_pci_command(&e->bdf, SMMUA_PCI_COMMAND_MEMORY | SMMUA_PCI_COMMAND_MASTER,
				0, NULL);
	if (ret)
		return ret;
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource0", e->name);
	fd = open(path, O_RDWR | O_SYNC | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	bar = mmap(NULL, EDU_BAR0_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ret = bar == MAP_FAILED ? -errno : 0;
	close(fd);
	if (ret)
		return ret;
	edu_attach(&e->dev, bar);
	if (!edu_alive(&e->dev)) {
		tl_edu_close(e);
		return -ENXIO;
	}
	return 0;
}

/* Also for a fixture's tl_edu that was never opened, zeroed. */
void tl_edu_close(struct tl_edu *e)
{
	if (e->dev.bar0)
		munmap((void *)e->dev.bar0, EDU_BAR0_SIZE);
	e->dev.bar0 = NULL;
}

int tl_edu_dma(struct tl_edu *e, uint64_t iova, uint64_t count, bool to_ram)
{
	/* The device silently masks IOVAs beyond its 28-bit dma_mask. */
	if (iova >= TL_EDU_IOVA_LIMIT || iova + count > TL_EDU_IOVA_LIMIT)
		return -ERANGE;
	return edu_dma(&e->dev, iova, count,
		       to_ram ? EDU_DMA_FROM_DEVICE : EDU_DMA_TO_DEVICE);
}

/* ---- the device fd ---- */

int tl_vfio_region(int dfd, uint32_t index, struct vfio_region_info *ri)
{
	memset(ri, 0, sizeof(*ri));
	ri->argsz = sizeof(*ri);
	ri->index = index;
	return ioctl(dfd, VFIO_DEVICE_GET_REGION_INFO, ri) ? -errno : 0;
}

void *tl_vfio_mmap(int dfd, uint32_t index, uint64_t off, size_t len)
{
	return mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, dfd,
		    TL_VFIO_OFFSET(index) + off);
}

int tl_vfio_read(int dfd, uint32_t index, uint64_t off, void *buf, size_t len)
{
	ssize_t n = pread(dfd, buf, len, TL_VFIO_OFFSET(index) + off);

	return n < 0 ? -errno : n != (ssize_t)len ? -EIO : 0;
}

int tl_vfio_write(int dfd, uint32_t index, uint64_t off, const void *buf, size_t len)
{
	ssize_t n = pwrite(dfd, buf, len, TL_VFIO_OFFSET(index) + off);

	return n < 0 ? -errno : n != (ssize_t)len ? -EIO : 0;
}

int tl_vfio_master(int dfd, bool on)
{
	uint16_t cmd;
	int ret = tl_vfio_read(dfd, VFIO_PCI_CONFIG_REGION_INDEX, PCI_COMMAND, &cmd, 2);

	if (ret)
		return ret;
	cmd = on ? cmd | PCI_COMMAND_MASTER : cmd & ~PCI_COMMAND_MASTER;
	return tl_vfio_write(dfd, VFIO_PCI_CONFIG_REGION_INDEX, PCI_COMMAND, &cmd, 2);
}

int tl_vfio_set_irqs(int dfd, uint32_t flags, uint32_t index, uint32_t start,
		     uint32_t count, const void *data)
{
	size_t each = flags & VFIO_IRQ_SET_DATA_EVENTFD ? sizeof(int32_t) :
		      flags & VFIO_IRQ_SET_DATA_BOOL ? 1 : 0;
	size_t len = sizeof(struct vfio_irq_set) + each * count;
	struct vfio_irq_set *set = calloc(1, len);
	int ret;

	if (!set)
		return -ENOMEM;
	set->argsz = len;
	set->flags = flags;
	set->index = index;
	set->start = start;
	set->count = count;
	if (each && data)
		memcpy(set->data, data, each * count);
	ret = ioctl(dfd, VFIO_DEVICE_SET_IRQS, set) ? -errno : 0;
	free(set);
	return ret;
}

int tl_vfio_irq_eventfds(int dfd, uint32_t index, uint32_t start, uint32_t count,
			 const int *efds)
{
	int32_t fds[64];
	uint32_t i;

	if (count > 64)
		return -EINVAL;
	for (i = 0; i < count; i++)
		fds[i] = efds[i];
	return tl_vfio_set_irqs(dfd, VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER,
				index, start, count, fds);
}

int tl_vfio_irq_off(int dfd, uint32_t index)
{
	return tl_vfio_set_irqs(dfd, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER,
				index, 0, 0, NULL);
}

int tl_vfio_intx_unmask(int dfd)
{
	return tl_vfio_set_irqs(dfd, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_UNMASK,
				VFIO_PCI_INTX_IRQ_INDEX, 0, 1, NULL);
}

int tl_eventfd(void)
{
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

	return efd < 0 ? -errno : efd;
}

long long tl_eventfd_wait(int efd, int timeout_ms)
{
	struct pollfd pfd = { .fd = efd, .events = POLLIN };
	uint64_t val;
	int n;

	do
		n = poll(&pfd, 1, timeout_ms);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (!n)
		return 0;
	if (read(efd, &val, sizeof(val)) != sizeof(val))
		return errno == EAGAIN ? 0 : -errno;
	return val;
}

/*
 * The /proc/interrupts lines whose name holds name, or with name NULL the
 * line of interrupt number irq, summed; -ENOENT when there is none.
 */
static long long irq_count(const char *name, unsigned int irq)
{
	long long total = -ENOENT;
	char line[512], *end;
	FILE *f = fopen("/proc/interrupts", "re");
	int cpus = 0;

	if (!f)
		return -errno;
	/* The header names one column per CPU. */
	if (fgets(line, sizeof(line), f))
		for (char *p = strtok(line, " \n"); p; p = strtok(NULL, " \n"))
			cpus++;
	while (fgets(line, sizeof(line), f)) {
		char *p = strchr(line, ':');
		int i;

		if (!p || (name && !strstr(p, name)) ||
		    (!name && (strtoul(line, &end, 10) != irq || end != p)))
			continue;
		if (total < 0)
			total = 0;
		for (p++, i = 0; i < cpus; i++)
			total += strtoll(p, &p, 10);
	}
	fclose(f);
	return total;
}

long long tl_irq_count(const char *name)
{
	return irq_count(name, 0);
}

long long tl_irq_count_nr(unsigned int irq)
{
	long long n = irq_count(NULL, irq);

	return n == -ENOENT ? 0 : n;
}

int tl_edu_open_devfd(struct tl_edu *e, const char *bdf, int dfd)
{
	struct vfio_region_info ri;
	void *bar;
	int ret;

	memset(e, 0, sizeof(*e));
	edu_attach(&e->dev, NULL);
	snprintf(e->name, sizeof(e->name), "%s", bdf);
	if (smmua_parse_bdf(bdf, &e->bdf))
		return -EINVAL;
	e->sid = e->bdf.bus << 8 | e->bdf.device << 3 | e->bdf.function;
	ret = tl_vfio_region(dfd, VFIO_PCI_BAR0_REGION_INDEX, &ri);
	if (ret)
		return ret;
	/* tl_edu_close() unmaps a whole edu BAR0. */
	if (ri.size != EDU_BAR0_SIZE || !(ri.flags & VFIO_REGION_INFO_FLAG_MMAP))
		return -ENXIO;
	ret = tl_vfio_master(dfd, true);
	if (ret)
		return ret;
	bar = tl_vfio_mmap(dfd, VFIO_PCI_BAR0_REGION_INDEX, 0, ri.size);
	if (bar == MAP_FAILED)
		return -errno;
	edu_attach(&e->dev, bar);
	if (!edu_alive(&e->dev)) {
		tl_edu_close(e);
		return -ENXIO;
	}
	return 0;
}

int tl_edu_dma_irq(struct tl_edu *e, uint64_t iova, uint64_t count, bool to_ram)
{
	if (iova >= TL_EDU_IOVA_LIMIT || iova + count > TL_EDU_IOVA_LIMIT)
		return -ERANGE;
	return edu_dma_raise(&e->dev, iova, count,
			   to_ram ? EDU_DMA_FROM_DEVICE : EDU_DMA_TO_DEVICE);
}

/* ---- kernel log ---- */

int tl_kmsg_open(struct tl_kmsg *k)
{
	memset(k, 0, sizeof(*k));
	k->fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (k->fd < 0)
		return -errno;
	return tl_kmsg_mark(k);
}

static void kmsg_forget(struct tl_kmsg *k)
{
	int i;

	for (i = 0; i < k->nr; i++)
		free(k->lines[i]);
	k->nr = 0;
}

int tl_kmsg_mark(struct tl_kmsg *k)
{
	kmsg_forget(k);
	return lseek(k->fd, 0, SEEK_END) < 0 ? -errno : 0;
}

void tl_kmsg_close(struct tl_kmsg *k)
{
	kmsg_forget(k);
	free(k->lines);
	k->lines = NULL;
	k->cap = 0;
	if (k->fd >= 0)
		close(k->fd);
	k->fd = -1;
}

/* Read every new record; keep the message part of each. */
static void kmsg_drain(struct tl_kmsg *k)
{
	char rec[8192];
	ssize_t n;

	for (;;) {
		char *msg, *end;

		n = read(k->fd, rec, sizeof(rec) - 1);
		if (n < 0) {
			/* EPIPE: records were overwritten; carry on after them. */
			if (errno == EPIPE || errno == EINTR)
				continue;
			return;
		}
		if (n == 0)
			return;
		rec[n] = '\0';
		msg = strchr(rec, ';');
		if (!msg)
			continue;
		msg++;
		end = strchr(msg, '\n');
		if (end)
			*end = '\0';
		if (k->nr == k->cap) {
			int cap = k->cap ? k->cap * 2 : 64;
			char **lines = realloc(k->lines, cap * sizeof(*lines));

			if (!lines)
				return;
			k->lines = lines;
			k->cap = cap;
		}
		k->lines[k->nr] = strdup(msg);
		if (k->lines[k->nr])
			k->nr++;
	}
}

/* Is line smmu_assign's fault line for bdf, the page and the access? */
static bool is_fault_line(const char *line, const char *bdf, uint64_t page, const char *access)
{
	static const char prefix[] = "smmu_assign: ", mid[] = ": DMA fault: ";
	const char *p = strstr(line, prefix);
	unsigned long long iova;
	unsigned int sid, reason;
	char acc[16];

	if (!p)
		return false;
	p += strlen(prefix);
	if (strncmp(p, bdf, strlen(bdf)))
		return false;
	p += strlen(bdf);
	if (strncmp(p, mid, strlen(mid)))
		return false;
	p += strlen(mid);
	if (sscanf(p, "sid %x iova %llx %15s reason %u", &sid, &iova, acc, &reason) != 4)
		return false;
	if ((iova & ~(uint64_t)(TL_PAGE - 1)) != page)
		return false;
	return !access || !strcmp(acc, access);
}

/* Parse the value of an arm-smmu-v3 event dword line ("...: \x090x..."). */
static bool smmu_dword(const char *line, uint64_t *val)
{
	const char *p;

	if (!strstr(line, "arm-smmu-v3"))
		return false;
	p = strrchr(line, 'x');
	if (!p || p == line || p[-1] != '0')
		return false;
	*val = strtoull(p + 1, NULL, 16);
	return true;
}

static bool is_smmu_event(struct tl_kmsg *k, int i, uint32_t sid, uint64_t page)
{
	uint64_t dw[4];
	int j;

	if (!strstr(k->lines[i], "arm-smmu-v3") || !strstr(k->lines[i], " received:"))
		return false;
	for (j = 0; j < 4; j++)
		if (i + 1 + j >= k->nr || !smmu_dword(k->lines[i + 1 + j], &dw[j]))
			return false;
	/* EVTQ_0: SID in bits 63:32; EVTQ_2: the input address. */
	return (uint32_t)(dw[0] >> 32) == sid && (dw[2] & ~(uint64_t)(TL_PAGE - 1)) == page;
}

static int kmsg_wait(struct tl_kmsg *k, const char *bdf, uint32_t sid, uint64_t iova,
		     const char *access, bool ours, bool smmu, int timeout_ms)
{
	struct timespec ts = { .tv_nsec = 20 * 1000 * 1000 };
	uint64_t page = iova & ~(uint64_t)(TL_PAGE - 1);
	int waited = 0, i;

	/* Faults reach the log from the SMMU's event thread, after the DMA. */
	for (;;) {
		kmsg_drain(k);
		for (i = 0; i < k->nr; i++) {
			if (ours && is_fault_line(k->lines[i], bdf, page, access))
				return 1;
			if (smmu && is_smmu_event(k, i, sid, page))
				return 1;
		}
		if (waited >= timeout_ms)
			return 0;
		nanosleep(&ts, NULL);
		waited += 20;
	}
}

int tl_kmsg_wait_text(struct tl_kmsg *k, const char *text, int timeout_ms)
{
	struct timespec ts = { .tv_nsec = 20 * 1000 * 1000 };
	int waited = 0, i;

	for (;;) {
		kmsg_drain(k);
		for (i = 0; i < k->nr; i++)
			if (strstr(k->lines[i], text))
				return 1;
		if (waited >= timeout_ms)
			return 0;
		nanosleep(&ts, NULL);
		waited += 20;
	}
}

int tl_kmsg_wait_fault(struct tl_kmsg *k, const char *bdf, uint64_t iova,
		       const char *access, int timeout_ms)
{
	return kmsg_wait(k, bdf, 0, iova, access, true, false, timeout_ms);
}

int tl_kmsg_wait_smmu_event(struct tl_kmsg *k, uint32_t sid, uint64_t iova, int timeout_ms)
{
	return kmsg_wait(k, NULL, sid, iova, NULL, false, true, timeout_ms);
}

int tl_kmsg_wait_any_fault(struct tl_kmsg *k, const char *bdf, uint32_t sid,
			   uint64_t iova, int timeout_ms)
{
	return kmsg_wait(k, bdf, sid, iova, NULL, true, true, timeout_ms);
}

int tl_kmsg_wait_quiet(struct tl_kmsg *k, const char *substr, int quiet_ms, int max_ms)
{
	struct timespec ts = { .tv_nsec = 50 * 1000 * 1000 };
	int waited = 0, quiet = 0, seen = 0, i;

	while (quiet < quiet_ms) {
		if (waited >= max_ms)
			return -ETIMEDOUT;
		kmsg_drain(k);
		for (i = seen; i < k->nr; i++)
			if (strstr(k->lines[i], substr))
				quiet = 0;
		seen = k->nr;
		nanosleep(&ts, NULL);
		waited += 50;
		quiet += 50;
	}
	return 0;
}

int tl_fault_records(int fd, struct smmu_assign_fault_event *ev, int max, int want,
		     int timeout_ms)
{
	int fl = fcntl(fd, F_GETFL), got = 0, waited = 0, ret = 0;
	size_t n;

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK))
		return -errno;
	while (got < max) {
		ret = smmua_read_faults(fd, ev + got, max - got, &n);
		if (!ret) {
			got += n;
			if (got >= want)
				break;
			continue;
		}
		if (ret != -EAGAIN || waited >= timeout_ms)
			break;
		usleep(20 * 1000);
		waited += 20;
	}
	fcntl(fd, F_SETFL, fl);
	return got ? got : ret == -EAGAIN ? 0 : ret;
}

int tl_count_records(const struct smmu_assign_fault_event *ev, int n,
		     const struct smmu_assign_bdf *bdf, uint64_t iova)
{
	uint64_t page = iova & ~(uint64_t)(TL_PAGE - 1);
	int i, found = 0;

	for (i = 0; i < n; i++)
		found += tl_bdf_eq(&ev[i].bdf, bdf) &&
			 (ev[i].iova & ~(uint64_t)(TL_PAGE - 1)) == page;
	return found;
}

/* ---- users ---- */

int tl_become(uid_t uid, gid_t gid, unsigned long pages)
{
	struct rlimit rl = { .rlim_cur = pages * TL_PAGE, .rlim_max = pages * TL_PAGE };

	if (setrlimit(RLIMIT_MEMLOCK, &rl) || setgroups(0, NULL) ||
	    setresgid(gid, gid, gid))
		return -errno;
	/* Leaving uid 0 for another clears every capability. */
	return setresuid(uid, uid, uid) ? -errno : 0;
}

int tl_send_fd(int sock, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = "f", .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
	ssize_t n;

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	n = sendmsg(sock, &msg, 0);
	return n == 1 ? 0 : n < 0 ? -errno : -EIO;
}

int tl_recv_fd(int sock)
{
	char cbuf[CMSG_SPACE(sizeof(int))], c;
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm;
	ssize_t n;
	int fd;

	n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	if (n != 1)
		return n < 0 ? -errno : -EIO;
	cm = CMSG_FIRSTHDR(&msg);
	if (!cm || cm->cmsg_type != SCM_RIGHTS)
		return -EBADMSG;
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}

/* ---- fault injection (fail-nth) ---- */

/* Kept open: pread/pwrite of it allocate nothing that could be injected. */
static int failnth_fd = -1;

int tl_failnth_setup(void)
{
	static const char * const knobs[][2] = {
		{ "/sys/kernel/debug/failslab/ignore-gfp-wait", "N" },
		{ "/sys/kernel/debug/failslab/verbose", "0" },
		{ "/sys/kernel/debug/fail_page_alloc/ignore-gfp-wait", "N" },
		{ "/sys/kernel/debug/fail_page_alloc/ignore-gfp-highmem", "N" },
		{ "/sys/kernel/debug/fail_page_alloc/min-order", "0" },
		{ "/sys/kernel/debug/fail_page_alloc/verbose", "0" },
	};
	size_t i;
	int ret;

	if (failnth_fd < 0) {
		failnth_fd = open("/proc/thread-self/fail-nth", O_RDWR | O_CLOEXEC);
		if (failnth_fd < 0)
			return errno == ENOENT ? -EOPNOTSUPP : -errno;
	}
	for (i = 0; i < sizeof(knobs) / sizeof(knobs[0]); i++) {
		ret = write_file(knobs[i][0], knobs[i][1]);
		if (ret)
			return ret == -ENOENT ? -EOPNOTSUPP : ret;
	}
	return 0;
}

int tl_failnth_arm(unsigned int n)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%u", n);

	return pwrite(failnth_fd, buf, len, 0) == len ? 0 : -errno;
}

int tl_failnth_disarm(void)
{
	char buf[16] = "";
	ssize_t len = pread(failnth_fd, buf, sizeof(buf) - 1, 0);

	if (len <= 0)
		return -EIO;
	if (pwrite(failnth_fd, "0", 1, 0) != 1)
		return -errno;
	return atoi(buf) == 0;
}

/* ---- counters ---- */

/* A "Key: N kB" line of /proc/PID/status. */
static long status_kb(int pid, const char *key)
{
	char path[64], line[256];
	size_t klen = strlen(key);
	long kb = -ENOENT;
	FILE *f;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/status", pid);
	else
		snprintf(path, sizeof(path), "/proc/self/status");
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, klen) && line[klen] == ':' &&
		    sscanf(line + klen + 1, "%ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

long tl_vmpin_kb(int pid)
{
	return status_kb(pid, "VmPin");
}

/* nr_foll_pin_acquired and _released, after folding per-CPU deltas. */
static int pin_counters(long long *acq, long long *rel)
{
	char line[256], name[64];
	long long v;
	FILE *f;

	*acq = *rel = -1;
	/* Fold the per-CPU counter deltas so the totals are exact. */
	write_file("/proc/sys/vm/stat_refresh", "1");
	f = fopen("/proc/vmstat", "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%63s %lld", name, &v) != 2)
			continue;
		if (!strcmp(name, "nr_foll_pin_acquired"))
			*acq = v;
		else if (!strcmp(name, "nr_foll_pin_released"))
			*rel = v;
	}
	fclose(f);
	return *acq < 0 || *rel < 0 ? -ENOENT : 0;
}

int tl_pins_outstanding(long long *out)
{
	long long acq, rel;
	int ret = pin_counters(&acq, &rel);

	if (!ret)
		*out = acq - rel;
	return ret;
}

int tl_pins_acquired(long long *out)
{
	long long rel;

	return pin_counters(out, &rel);
}

long long tl_pins_now(void)
{
	long long pins;

	return tl_pins_outstanding(&pins) ? -1 : pins;
}

int tl_param_read(const char *name, char *buf, size_t len)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/sys/module/smmu_assign/parameters/%s", name);
	return read_file(path, buf, len);
}

int tl_param_write(const char *name, const char *val)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/sys/module/smmu_assign/parameters/%s", name);
	return write_file(path, val);
}

/* ---- buffers ---- */

void *tl_buf_alloc(size_t len, uint8_t canary)
{
	void *buf = mmap(NULL, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);

	if (buf == MAP_FAILED)
		return NULL;
	memset(buf, canary, len);
	return buf;
}

void tl_buf_free(void *buf, size_t len)
{
	if (buf)
		munmap(buf, len);
}

long tl_buf_find_not(const void *buf, size_t len, uint8_t c)
{
	const uint8_t *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != c)
			return i;
	return -1;
}

void tl_buf_pattern(void *buf, size_t len, uint32_t seed)
{
	uint8_t *p = buf;
	uint32_t x = seed * 2654435761u + 1;
	size_t i;

	for (i = 0; i < len; i++) {
		x = x * 1103515245u + 12345u;
		p[i] = x >> 16;
	}
}

double tl_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

size_t tl_page_size(void)
{
	return sysconf(_SC_PAGESIZE);
}

/* A PMD maps what one page of page-table entries (8 bytes each) maps. */
size_t tl_huge_size(void)
{
	size_t page = tl_page_size();

	return page / 8 * page;
}

bool tl_faults_delivered(void)
{
	static int delivered = -1;
	struct smmu_assign_get_info info;
	int fd;

	if (delivered < 0) {
		fd = smmua_open();
		delivered = fd >= 0 && !smmua_get_info(fd, &info) &&
			    (info.out_capabilities & SMMU_ASSIGN_CAP_FAULTS);
		if (fd >= 0)
			close(fd);
	}
	return delivered;
}

void *tl_huge_alloc(uint8_t canary)
{
	char path[96], buf[32];
	void *p;

	snprintf(path, sizeof(path), "/sys/kernel/mm/hugepages/hugepages-%zukB/nr_hugepages",
		 TL_HUGE >> 10);
	if (read_file(path, buf, sizeof(buf)) == 0 && atol(buf) < 4)
		write_file(path, "4");
	p = mmap(NULL, TL_HUGE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_POPULATE |
		 (__builtin_ctzl(TL_HUGE) << MAP_HUGE_SHIFT), -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	memset(p, canary, TL_HUGE);
	return p;
}

void tl_huge_free(void *buf)
{
	if (buf)
		munmap(buf, TL_HUGE);
}

int tl_map_runs(int fd, uint32_t space_id, uint32_t flags, void *va, uint64_t iova,
		uint64_t length, uint32_t *runs)
{
	struct smmu_assign_map cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.space_id = space_id,
		.user_va = (uintptr_t)va,
		.iova = iova,
		.length = length,
	};

	if (ioctl(fd, SMMU_ASSIGN_MAP, &cmd))
		return -errno;
	if (runs)
		*runs = cmd.out_num_runs;
	return 0;
}

int tl_bind(int fd, const struct smmu_assign_bdf *bdf, uint32_t flags, uint64_t iova,
	    uint64_t length)
{
	struct smmu_assign_bind out;
	int ret = smmua_bind(fd, bdf, flags, iova, length, &out);

	return ret ? ret : (int)out.out_space_id;
}

int tl_space(int fd, const char *name, uint64_t iova, uint64_t length)
{
	struct smmu_assign_iova_range r = { .iova = iova, .length = length };
	uint32_t id;
	int ret;

	ret = smmua_space_alloc(fd, name, &id);
	if (!ret && length)
		ret = smmua_space_allow_iovas(fd, id, &r, 1);
	return ret ? ret : (int)id;
}

int tl_edu_round_trip(struct tl_edu *e, uint64_t src_iova, uint64_t dst_iova, uint64_t count)
{
	int ret = tl_pci_enable(e->name);

	if (!ret)
		ret = tl_edu_to_dev(e, src_iova, count);
	if (!ret)
		ret = tl_edu_to_ram(e, dst_iova, count);
	return ret;
}

bool tl_has_space(int fd, uint32_t space_id)
{
	struct smmua_space_desc d;

	if (smmua_space_info(fd, space_id, NULL, &d))
		return false;
	smmua_space_desc_free(&d);
	return true;
}

int tl_edu_chain(struct tl_edu *const *e, int n, uint8_t *buf, uint64_t iova, uint32_t seed)
{
	int i, ret;

	tl_buf_pattern(buf, TL_PAGE, seed);
	memset(buf + TL_PAGE, 0, n * TL_PAGE);
	for (i = 0; i < n; i++) {
		ret = tl_edu_round_trip(e[i], iova + i * TL_PAGE, iova + (i + 1) * TL_PAGE,
					TL_EDU_DMA_MAX);
		if (ret)
			return ret;
		if (memcmp(buf + (i + 1) * TL_PAGE, buf, TL_EDU_DMA_MAX))
			return i + 1;
	}
	return 0;
}

/* What of SPACE_INFO a refused call must leave as it was. */
bool tl_space_equal(const struct smmua_space_desc *a, const struct smmua_space_desc *b)
{
	const struct smmu_assign_space_info *x = &a->info, *y = &b->info;

	if (x->out_space_id != y->out_space_id || strncmp(x->out_name, y->out_name, sizeof(x->out_name)) ||
	    x->out_owner_pid != y->out_owner_pid || x->out_num_domains != y->out_num_domains ||
	    x->out_pgsize_bitmap != y->out_pgsize_bitmap ||
	    x->out_num_mappings != y->out_num_mappings ||
	    x->out_bytes_mapped != y->out_bytes_mapped ||
	    x->out_pinned_pages != y->out_pinned_pages)
		return false;
	if (a->num_ranges != b->num_ranges || a->num_reserved != b->num_reserved ||
	    a->num_devices != b->num_devices)
		return false;
	if ((a->num_ranges && memcmp(a->ranges, b->ranges, a->num_ranges * sizeof(*a->ranges))) ||
	    (a->num_reserved &&
	     memcmp(a->reserved, b->reserved, a->num_reserved * sizeof(*a->reserved))) ||
	    (a->num_devices &&
	     memcmp(a->devices, b->devices, a->num_devices * sizeof(*a->devices))))
		return false;
	return true;
}

int tl_conventions(int fd, unsigned long req, void *cmd, size_t len, uint32_t valid_flags,
		   char *why, size_t why_len)
{
	struct {
		uint8_t cmd[256];
		uint64_t tail[2];
	} big;
	uint32_t *size = cmd, *flags = (uint32_t *)cmd + 1;
	const uint32_t saved = *flags, shorter[3] = { len - 8, 4, 0 };
	unsigned int bit, i;
	long ret;

	if (len < 16 || len > sizeof(big.cmd)) {
		snprintf(why, why_len, "struct of %zu bytes", len);
		return -1;
	}
	for (bit = 0; bit < 32; bit++) {
		if (valid_flags & (1u << bit))
			continue;
		*flags = saved | 1u << bit;
		ret = tl_ioctl_p(fd, req, cmd);
		*flags = saved;
		if (ret != -EOPNOTSUPP) {
			snprintf(why, why_len, "flags bit %u: %ld, not -EOPNOTSUPP", bit, ret);
			return -1;
		}
	}
	for (i = 0; i < 3; i++) {
		*size = shorter[i];
		ret = tl_ioctl_p(fd, req, cmd);
		*size = len;
		if (ret != -EINVAL) {
			snprintf(why, why_len, "size %u: %ld, not -EINVAL", shorter[i], ret);
			return -1;
		}
	}
	memset(&big, 0, sizeof(big));
	memcpy(big.cmd, cmd, len);
	*(uint32_t *)big.cmd = len + 16;
	big.cmd[len + 9] = 1;
	ret = tl_ioctl_p(fd, req, &big);
	if (ret != -E2BIG) {
		snprintf(why, why_len, "size %zu with a non-zero tail: %ld, not -E2BIG", len + 16,
			 ret);
		return -1;
	}
	return 0;
}

/* ---- VFIO's container and group ioctls ---- */

long tl_ioctl(int fd, unsigned long req, unsigned long arg)
{
	long ret = ioctl(fd, req, arg);

	return ret < 0 ? -errno : ret;
}

long tl_vfio_set_container(int group, int container)
{
	return tl_ioctl_p(group, VFIO_GROUP_SET_CONTAINER, &container);
}

long tl_vfio_group_status(int group)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };
	long ret = tl_ioctl_p(group, VFIO_GROUP_GET_STATUS, &st);

	return ret ? ret : st.flags;
}

long tl_vfio_device_fd(int group, const char *name)
{
	return tl_ioctl_p(group, VFIO_GROUP_GET_DEVICE_FD, name);
}

long tl_vfio_map(int c, const void *va, uint64_t iova, uint64_t size, uint32_t flags)
{
	struct vfio_iommu_type1_dma_map m = {
		.argsz = sizeof(m),
		.flags = flags,
		.vaddr = (uintptr_t)va,
		.iova = iova,
		.size = size,
	};

	return tl_ioctl_p(c, VFIO_IOMMU_MAP_DMA, &m);
}

long tl_vfio_unmap(int c, uint64_t iova, uint64_t size, uint32_t flags)
{
	struct vfio_iommu_type1_dma_unmap u = {
		.argsz = sizeof(u),
		.flags = flags,
		.iova = iova,
		.size = size,
	};
	long ret = tl_ioctl_p(c, VFIO_IOMMU_UNMAP_DMA, &u);

	return ret ? ret : (long)u.size;
}

long tl_vfio_info(int c, struct tl_vfio_info *out)
{
	struct vfio_iommu_type1_info probe = { .argsz = sizeof(probe) };
	struct vfio_iommu_type1_info_cap_iova_range *iovas;
	struct vfio_iommu_type1_info_dma_avail *avail;
	struct vfio_iommu_type1_info *info;
	struct vfio_info_cap_header *hdr;
	uint32_t off, i;
	long ret;

	memset(out, 0, sizeof(*out));
	out->avail = -1;
	out->nr_ranges = -1;
	/* First with no room for the capabilities, as QEMU does: argsz says how much. */
	ret = tl_ioctl_p(c, VFIO_IOMMU_GET_INFO, &probe);
	if (ret)
		return ret;
	if (probe.argsz < sizeof(probe))
		return -EPROTO;
	info = calloc(1, probe.argsz);
	if (!info)
		return -ENOMEM;
	info->argsz = probe.argsz;
	ret = tl_ioctl_p(c, VFIO_IOMMU_GET_INFO, info);
	if (ret)
		goto out;
	out->flags = info->flags;
	out->pgsizes = info->iova_pgsizes;
	off = info->flags & VFIO_IOMMU_INFO_CAPS ? info->cap_offset : 0;
	while (off) {
		if (off < sizeof(*info) || off + sizeof(*hdr) > info->argsz ||
		    out->nr_caps == sizeof(out->cap_ids) / sizeof(out->cap_ids[0])) {
			ret = -EPROTO;
			goto out;
		}
		hdr = (void *)info + off;
		out->cap_ids[out->nr_caps++] = hdr->id;
		if (hdr->id == VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL) {
			avail = (void *)hdr;
			if (hdr->version != 1 || off + sizeof(*avail) > info->argsz) {
				ret = -EPROTO;
				goto out;
			}
			out->avail = avail->avail;
		} else if (hdr->id == VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE) {
			iovas = (void *)hdr;
			if (hdr->version != 1 || iovas->nr_iovas > TL_VFIO_MAX_RANGES ||
			    off + sizeof(*iovas) + iovas->nr_iovas * sizeof(iovas->iova_ranges[0]) >
			    info->argsz) {
				ret = -EPROTO;
				goto out;
			}
			out->nr_ranges = iovas->nr_iovas;
			for (i = 0; i < iovas->nr_iovas; i++)
				out->ranges[i] = iovas->iova_ranges[i];
		}
		off = hdr->next;
	}
out:
	free(info);
	return ret;
}

bool tl_vfio_has_cap(const struct tl_vfio_info *info, uint16_t id)
{
	unsigned int i;

	for (i = 0; i < info->nr_caps; i++)
		if (info->cap_ids[i] == id)
			return true;
	return false;
}

long tl_vfio_dma_avail(int c)
{
	struct tl_vfio_info info;
	long ret = tl_vfio_info(c, &info);

	return ret ? ret : info.avail;
}
