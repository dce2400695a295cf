// SPDX-License-Identifier: GPL-2.0
/*
 * vmm-guest: /init of the small Linux guest (L2) that selftests/vmm_test
 * boots under Debian's QEMU, with KVM, inside the emulated server. L2 is
 * given one edu with -device vfio-pci, and this program shows from inside
 * that the device works as its own:
 *  - DMA round trips through L2's RAM, the bytes checked;
 *  - one interrupt per DMA, by INTx (the in-tree uio_pci_generic) and by
 *    MSI (uio_pci_msi, next to this file), counted as UIO events;
 *  - a DMA aimed at a guest-physical address outside L2's RAM lands
 *    nowhere L2 can see: the outer SMMU blocks it (vmm_test looks for
 *    the fault out there).
 * L2 has no IOMMU, so a DMA address is a guest-physical address, which
 * /proc/self/pagemap gives. Results are "vmm-guest: ..." lines on the
 * console, which vmm_test parses (see there); then L2 powers off.
 * At a "checkpoint" line L2 waits for a newline on its console: the host
 * looks at the device while L2 holds it in that state (its interrupt lines
 * exist only while L2's driver has the interrupt enabled).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/syscall.h>

#include "edu.h"

#define PAGE		4096UL
/* Short of the edu buffer's end: QEMU 7.2 aborts on a DMA that reaches it. */
#define DMA_LEN		EDU_DMA_MAX
#define ROUND_TRIPS	2
#define CANARY		0x5a
/* A guest interrupt that has not come by then is lost, not late. */
#define IRQ_WAIT_MS	10000
/* Nobody at the other end of the console after that long: go on. */
#define CHECKPOINT_WAIT_MS	60000
#define PCI_COMMAND		0x04
#define PCI_COMMAND_MEMORY	0x0002
#define PCI_COMMAND_MASTER	0x0004
#define PCI_COMMAND_INTX_DISABLE	0x0400
/*
 * Outside L2's RAM (0x40000000 on QEMU virt) and outside anything the VMM
 * maps for the device: the PCI window's start, where L2 puts the edu's own
 * BAR0, which QEMU maps for peer-to-peer DMA, is avoided. check_blocked_gpa()
 * makes sure.
 */
#define BLOCKED_GPA	0x20000000ULL

#define SYSFS_PCI	"/sys/bus/pci/devices"

static char bdf[32];
static volatile uint8_t *bar0;
static uint8_t *pages;		/* src, dst, zero, untouched */
static uint64_t gpa[4];
enum { SRC, DST, ZERO, UNTOUCHED };

static void say(const char *fmt, ...)
{
	va_list ap;

	printf("vmm-guest: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

/* Say where L2 is, and wait for the host to answer with a newline. */
static void checkpoint(const char *fmt, const char *arg)
{
	struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };
	char buf[64];
	ssize_t n;

	printf("vmm-guest: checkpoint ");
	printf(fmt, arg);
	printf("\n");
	fflush(stdout);
	while (poll(&p, 1, CHECKPOINT_WAIT_MS) == 1) {
		n = read(STDIN_FILENO, buf, sizeof(buf));
		if (n <= 0 || memchr(buf, '\n', n))
			break;
	}
}

/* The host's newlines are not echoed back into the results. */
static void console_quiet(void)
{
	struct termios t;

	if (!tcgetattr(STDIN_FILENO, &t)) {
		t.c_lflag &= ~(ECHO | ECHONL);
		tcsetattr(STDIN_FILENO, TCSANOW, &t);
	}
}

static uint8_t *page(int i)
{
	return pages + i * PAGE;
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

static int read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

/* The modules listed in /modules, in that order (dependencies first). */
static int load_modules(void)
{
	char list[1024], path[256], *name, *save;
	int fd, ret;

	ret = read_file("/modules", list, sizeof(list));
	if (ret)
		return ret;
	for (name = strtok_r(list, " \n", &save); name; name = strtok_r(NULL, " \n", &save)) {
		snprintf(path, sizeof(path), "/lib/modules/%s", name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		ret = syscall(SYS_finit_module, fd, "", 0) ? -errno : 0;
		close(fd);
		if (ret) {
			say("fail loading %s: %s", name, strerror(-ret));
			return ret;
		}
	}
	return 0;
}

static int find_edu(void)
{
	char path[512], val[32];
	unsigned int vendor, device;
	struct dirent *d;
	DIR *dir = opendir(SYSFS_PCI);

	if (!dir)
		return -errno;
	while ((d = readdir(dir))) {
		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), SYSFS_PCI "/%s/vendor", d->d_name);
		if (read_file(path, val, sizeof(val)) || sscanf(val, "%x", &vendor) != 1)
			continue;
		snprintf(path, sizeof(path), SYSFS_PCI "/%s/device", d->d_name);
		if (read_file(path, val, sizeof(val)) || sscanf(val, "%x", &device) != 1)
			continue;
		if (vendor == EDU_VENDOR && device == EDU_DEVICE &&
		    strlen(d->d_name) < sizeof(bdf)) {
			strcpy(bdf, d->d_name);
			closedir(dir);
			return 0;
		}
	}
	closedir(dir);
	return -ENODEV;
}

/* Take the edu off any driver and bind it to driver through driver_override. */
static int set_driver(const char *driver)
{
	char path[256];
	int ret;

	snprintf(path, sizeof(path), SYSFS_PCI "/%s/driver/unbind", bdf);
	if (!access(path, F_OK)) {
		ret = write_file(path, bdf);
		if (ret)
			return ret;
	}
	snprintf(path, sizeof(path), SYSFS_PCI "/%s/driver_override", bdf);
	ret = write_file(path, driver);
	if (ret)
		return ret;
	snprintf(path, sizeof(path), "/sys/bus/pci/drivers/%s/bind", driver);
	return write_file(path, bdf);
}

/* Set and clear bits of the PCI command register through sysfs. */
static int pci_command(uint16_t set, uint16_t clear)
{
	char path[256];
	uint16_t cmd;
	int fd, ret = 0;

	snprintf(path, sizeof(path), SYSFS_PCI "/%s/config", bdf);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (pread(fd, &cmd, 2, PCI_COMMAND) != 2)
		ret = -EIO;
	cmd = (cmd | set) & ~clear;
	if (!ret && pwrite(fd, &cmd, 2, PCI_COMMAND) != 2)
		ret = -EIO;
	close(fd);
	return ret;
}

static int map_bar0(void)
{
	char path[256];
	void *p;
	int fd;

	snprintf(path, sizeof(path), SYSFS_PCI "/%s/resource0", bdf);
	fd = open(path, O_RDWR | O_SYNC | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	p = mmap(NULL, EDU_BAR0_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return -errno;
	bar0 = p;
	return 0;
}

static void unmap_bar0(void)
{
	if (bar0)
		munmap((void *)bar0, EDU_BAR0_SIZE);
	bar0 = NULL;
}

static uint32_t rd32(unsigned int reg)
{
	return *(volatile uint32_t *)(bar0 + reg);
}

static void wr32(unsigned int reg, uint32_t val)
{
	*(volatile uint32_t *)(bar0 + reg) = val;
}

static void wr64(unsigned int reg, uint64_t val)
{
	*(volatile uint64_t *)(bar0 + reg) = val;
}

/* The DMA engine runs from a 100 ms timer: wait for it, up to about 5 s. */
static int dma_wait_idle(void)
{
	struct timespec tick = { .tv_nsec = 10 * 1000 * 1000 };
	int i;

	for (i = 0; i < 500; i++) {
		if (!(rd32(EDU_REG_DMA_CMD) & EDU_DMA_START))
			return 0;
		nanosleep(&tick, NULL);
	}
	return -ETIMEDOUT;
}

/* Start one DMA between the edu buffer and a guest-physical address. */
static int dma_start(uint64_t addr, bool to_ram, bool irq)
{
	int ret = dma_wait_idle();

	if (ret)
		return ret;
	wr64(EDU_REG_DMA_SRC, to_ram ? EDU_BUF_ADDR : addr);
	wr64(EDU_REG_DMA_DST, to_ram ? addr : EDU_BUF_ADDR);
	wr64(EDU_REG_DMA_COUNT, DMA_LEN);
	wr32(EDU_REG_DMA_CMD, EDU_DMA_START | (to_ram ? EDU_DMA_DIR_TO_RAM : 0) |
	     (irq ? EDU_DMA_RAISE_IRQ : 0));
	return 0;
}

static int dma(uint64_t addr, bool to_ram)
{
	int ret = dma_start(addr, to_ram, false);

	return ret ? ret : dma_wait_idle();
}

/* The guest-physical address of a locked page, from /proc/self/pagemap. */
static uint64_t phys_addr(void *va)
{
	uint64_t ent = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	if (pread(fd, &ent, 8, (uintptr_t)va / PAGE * 8) != 8)
		ent = 0;
	close(fd);
	/* Bit 63: present; bits 0-54: the page frame number. */
	if (!(ent >> 63))
		return 0;
	return (ent & ((1ULL << 55) - 1)) * PAGE;
}

static int alloc_pages(void)
{
	int i;

	pages = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE | MAP_LOCKED, -1, 0);
	if (pages == MAP_FAILED)
		return -errno;
	memset(pages, CANARY, 4 * PAGE);
	memset(page(ZERO), 0, PAGE);
	for (i = 0; i < 4; i++) {
		gpa[i] = phys_addr(page(i));
		if (!gpa[i])
			return -EFAULT;
	}
	return 0;
}

static bool all_bytes(const uint8_t *buf, uint8_t c)
{
	size_t i;

	for (i = 0; i < PAGE; i++)
		if (buf[i] != c)
			return false;
	return true;
}

static void pattern(uint8_t *buf, size_t len, uint32_t seed)
{
	uint32_t x = seed * 2654435761u + 1;
	size_t i;

	for (i = 0; i < len; i++) {
		x = x * 1103515245u + 12345u;
		buf[i] = x >> 16;
	}
}

/* The UIO device of the edu's driver, opened. */
static int open_uio(void)
{
	char path[256];
	struct dirent *d;
	DIR *dir;
	int fd = -ENOENT;

	snprintf(path, sizeof(path), SYSFS_PCI "/%s/uio", bdf);
	dir = opendir(path);
	if (!dir)
		return -errno;
	while ((d = readdir(dir)))
		if (!strncmp(d->d_name, "uio", 3) && strlen(d->d_name) < 32) {
			snprintf(path, sizeof(path), "/dev/%.31s", d->d_name);
			fd = open(path, O_RDWR | O_CLOEXEC);
			if (fd < 0)
				fd = -errno;
			break;
		}
	closedir(dir);
	return fd;
}

/* Wait for the next interrupt: the driver's event count so far. */
static int wait_irq(int uio, uint32_t *count)
{
	struct pollfd p = { .fd = uio, .events = POLLIN };
	int ret = poll(&p, 1, IRQ_WAIT_MS);

	if (ret < 0)
		return -errno;
	if (!ret)
		return -ETIMEDOUT;
	return read(uio, count, 4) == 4 ? 0 : -EIO;
}

/*
 * One DMA that raises an interrupt when done: wait for the interrupt,
 * check the device says so, acknowledge it, and for INTx unmask the line
 * again (uio_pci_generic's handler masked it with the command register).
 */
static int dma_irq(int uio, uint64_t addr, bool to_ram, bool intx, uint32_t *events)
{
	uint32_t status;
	int ret = dma_start(addr, to_ram, true);

	if (!ret)
		ret = wait_irq(uio, events);
	if (ret)
		return ret;
	status = rd32(EDU_REG_IRQ_STATUS);
	wr32(EDU_REG_IRQ_ACK, status);
	if (intx)
		ret = pci_command(0, PCI_COMMAND_INTX_DISABLE);
	if (!(status & EDU_IRQ_DMA)) {
		say("fail %s: interrupt status %#x after a DMA", bdf, status);
		return -EIO;
	}
	return ret ? ret : dma_wait_idle();
}

/*
 * The kernel's own account of driver's interrupt, from /proc/interrupts:
 * how many came (all CPUs), and the line's chip, number and trigger
 * (e.g. "GICv3 36 Level", "ITS-MSI 0 Edge").
 */
static void say_irq_line(const char *driver)
{
	char line[512], *p, *end;
	unsigned long total, n;
	FILE *f = fopen("/proc/interrupts", "re");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		p = strstr(line, driver);
		if (!p || strcmp(p, driver))
			continue;
		*p = '\0';
		p = strchr(line, ':');
		if (!p)
			break;
		for (total = 0, p++;; p = end) {
			n = strtoul(p, &end, 10);
			if (end == p)
				break;
			total += n;
		}
		/* The columns' padding collapsed to single spaces. */
		for (end = line; *p; p++)
			if (*p != ' ' || (end > line && end[-1] != ' '))
				*end++ = *p;
		while (end > line && end[-1] == ' ')
			end--;
		*end = '\0';
		say("irq %s count %lu chip %s", driver, total, line);
		break;
	}
	fclose(f);
}

/*
 * With the edu on driver (INTx or MSI): ROUND_TRIPS round trips src ->
 * device -> dst, each DMA raising an interrupt. Prints the bytes' verdict
 * and how many interrupts came for how many DMAs.
 */
static void irq_round_trips(const char *driver, bool intx)
{
	uint32_t events = 0;
	int uio, i, dmas = 0, ret;
	long bad = -1;

	ret = set_driver(driver);
	if (ret) {
		say("fail binding %s to %s: %s", bdf, driver, strerror(-ret));
		return;
	}
	uio = open_uio();
	if (uio < 0) {
		say("fail %s has no UIO device: %s", driver, strerror(-uio));
		return;
	}
	/* After the open: the UIO release clears bus mastering. */
	ret = pci_command(PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER,
			  intx ? PCI_COMMAND_INTX_DISABLE : 0);
	if (!ret)
		ret = map_bar0();
	if (ret) {
		say("fail enabling %s: %s", bdf, strerror(-ret));
		close(uio);
		return;
	}
	for (i = 0; i < ROUND_TRIPS && !ret; i++) {
		size_t j;

		pattern(page(SRC), PAGE, i + 1);
		memset(page(DST), CANARY, PAGE);
		ret = dma_irq(uio, gpa[SRC], false, intx, &events);
		dmas += !ret;
		if (!ret)
			ret = dma_irq(uio, gpa[DST], true, intx, &events);
		dmas += !ret;
		for (j = 0; !ret && j < DMA_LEN && bad < 0; j++)
			if (page(DST)[j] != page(SRC)[j])
				bad = j;
	}
	if (ret)
		say("fail %s: DMA %d: %s", driver, dmas + 1, strerror(-ret));
	else if (bad >= 0)
		say("round_trip %s mismatch %ld", driver, bad);
	else
		say("round_trip %s ok %d", driver, ROUND_TRIPS * DMA_LEN);
	/* Nothing more may have come: poll without waiting. */
	if (!ret) {
		struct pollfd p = { .fd = uio, .events = POLLIN };

		if (poll(&p, 1, 0) == 1 && read(uio, &events, 4) != 4)
			events = -1;
	}
	say("interrupts %s dmas %d events %u", driver, dmas, events);
	say_irq_line(driver);
	checkpoint("interrupts %s", driver);
	unmap_bar0();
	close(uio);
}

/* BLOCKED_GPA is neither L2's RAM nor in one of the edu's BARs. */
static int check_blocked_gpa(void)
{
	unsigned long long start, end, flags;
	char path[256], line[256];
	FILE *f;
	int ret = 0;

	snprintf(path, sizeof(path), SYSFS_PCI "/%s/resource", bdf);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%llx %llx %llx", &start, &end, &flags) == 3 && end &&
		    BLOCKED_GPA >= start && BLOCKED_GPA <= end)
			ret = -EADDRINUSE;
	fclose(f);
	f = fopen("/proc/iomem", "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "System RAM") &&
		    sscanf(line, " %llx-%llx", &start, &end) == 2 &&
		    BLOCKED_GPA >= start && BLOCKED_GPA <= end)
			ret = -EADDRINUSE;
	fclose(f);
	return ret;
}

/*
 * A DMA to BLOCKED_GPA, which the outer SMMU must block: with a pattern in
 * the device, write it there; reload the device with zeros; read it back
 * from there and out into dst. Had the write landed anywhere that reads
 * back at that address, dst would hold the pattern. L2's pages that took
 * no DMA must be as they were. Polled, with no interrupts (the edu raises
 * one even for a blocked DMA, which would prove nothing here).
 */
static void blocked_dma(void)
{
	int uio, ret;
	bool landed, changed;

	ret = check_blocked_gpa();
	if (ret) {
		say("fail %#llx is L2's RAM or the edu's: %s", BLOCKED_GPA, strerror(-ret));
		return;
	}
	/* The edu is still on the last driver; the open keeps mastering on. */
	uio = open_uio();
	ret = uio < 0 ? uio : pci_command(PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER, 0);
	if (!ret)
		ret = map_bar0();
	if (!ret) {
		pattern(page(SRC), PAGE, 0xb10c);
		memset(page(DST), CANARY, PAGE);
		ret = dma(gpa[SRC], false);
	}
	if (!ret)
		ret = dma(BLOCKED_GPA, true);
	if (!ret)
		ret = dma(gpa[ZERO], false);
	if (!ret)
		ret = dma(BLOCKED_GPA, false);
	if (!ret)
		ret = dma(gpa[DST], true);
	/* The last DMA must have moved something, or there is no answer. */
	if (!ret && all_bytes(page(DST), CANARY))
		ret = -EIO;
	if (ret) {
		say("fail blocked DMA: %s", strerror(-ret));
	} else {
		uint8_t expect[PAGE];

		landed = !memcmp(page(DST), page(SRC), DMA_LEN);
		pattern(expect, PAGE, 0xb10c);
		changed = memcmp(page(SRC), expect, PAGE);
		changed |= !all_bytes(page(ZERO), 0) || !all_bytes(page(UNTOUCHED), CANARY);
		say("blocked gpa %#llx bytes %d landed %d ram_changed %d", BLOCKED_GPA,
		    DMA_LEN, landed, changed);
	}
	unmap_bar0();
	if (uio >= 0)
		close(uio);
}

static void power_off(void)
{
	tcdrain(STDOUT_FILENO);
	sync();
	reboot(RB_POWER_OFF);
	/* Only if power-off failed: the kernel then panics, and panic=-1 ends L2. */
	exit(1);
}

int main(void)
{
	int ret;

	mount("proc", "/proc", "proc", 0, NULL);
	mount("sysfs", "/sys", "sysfs", 0, NULL);
	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	console_quiet();
	say("start");
	ret = load_modules();
	if (!ret)
		ret = find_edu();
	if (ret) {
		say("fail no edu: %s", strerror(-ret));
		power_off();
	}
	say("edu %s", bdf);
	ret = alloc_pages();
	if (ret) {
		say("fail buffers: %s", strerror(-ret));
		power_off();
	}
	checkpoint("%s", "running");
	irq_round_trips("uio_pci_generic", true);
	irq_round_trips("uio_pci_msi", false);
	blocked_dma();
	say("done");
	power_off();
	return 0;
}
