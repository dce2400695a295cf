// SPDX-License-Identifier: GPL-2.0
/*
 * smmuctl: what a device offers its owner through a device fd, as sysfs
 * shows it without one: its regions (the "resource" file) and its
 * interrupts (the "config" file).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/pci_regs.h>

#include "smmuctl.h"

/* The kernel's resource flags (<linux/ioport.h>, not a uapi header). */
#define IORESOURCE_IO		0x00000100
#define IORESOURCE_MEM		0x00000200
#define IORESOURCE_PREFETCH	0x00002000
#define IORESOURCE_READONLY	0x00004000
#define IORESOURCE_MEM_64	0x00100000

/* The standard capability list lives below 256; MSI and MSI-X are on it. */
#define CONFIG_STD_SIZE		256
/* A list that loops is cut after as many capabilities as could fit. */
#define MAX_CAPS		((CONFIG_STD_SIZE - PCI_STD_HEADER_SIZEOF) / PCI_CAP_SIZEOF)

const char *smmuctl_region_name(unsigned int index)
{
	static const char * const names[SMMUCTL_NUM_REGIONS] = {
		"BAR0", "BAR1", "BAR2", "BAR3", "BAR4", "BAR5", "ROM",
	};

	return index < SMMUCTL_NUM_REGIONS ? names[index] : "?";
}

/*
 * vfio-pci's rule: a memory BAR of a page or more, or a smaller one that
 * starts a page (the rest of the page is then reserved for it). I/O BARs
 * and the ROM are read and written only.
 */
static bool mmappable(unsigned int index, __u64 start, __u64 size, __u64 flags)
{
	__u64 page = sysconf(_SC_PAGESIZE);

	if (index >= PCI_STD_NUM_BARS || !(flags & IORESOURCE_MEM) || !size)
		return false;
	return size >= page || !(start & (page - 1));
}

int smmuctl_pci_regions(const char *dir, struct smmuctl_region *r, size_t *num)
{
	unsigned long long start, end, flags;
	char path[PATH_MAX];
	unsigned int i;
	FILE *f;

	*num = 0;
	snprintf(path, sizeof(path), "%s/resource", dir);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	/* One line per resource: the BARs, the ROM, then a bridge's windows. */
	for (i = 0; i < SMMUCTL_NUM_REGIONS; i++) {
		if (fscanf(f, "%llx %llx %llx", &start, &end, &flags) != 3)
			break;
		if (!flags || end < start)
			continue;
		r[*num] = (struct smmuctl_region){
			.index = i,
			.start = start,
			.size = end - start + 1,
			.flags = flags,
			.io = flags & IORESOURCE_IO,
			.prefetchable = flags & IORESOURCE_PREFETCH,
			.mem64 = flags & IORESOURCE_MEM_64,
			.read_only = flags & IORESOURCE_READONLY,
			.mmappable = mmappable(i, start, end - start + 1, flags),
		};
		(*num)++;
	}
	fclose(f);
	return i ? 0 : -EIO;
}

static unsigned int cfg16(const __u8 *cfg, unsigned int off)
{
	return cfg[off] | cfg[off + 1] << 8;
}

/*
 * The capability list of config space, len bytes of it: MSI's Multiple
 * Message Capable and MSI-X's Table Size give the vectors, counted as
 * vfio-pci counts them. Unprivileged readers get 64 bytes: a list that
 * leads beyond len leaves the counts unknown.
 */
void smmuctl_parse_irqs(const __u8 *cfg, size_t len, struct smmuctl_irqs *irqs)
{
	unsigned int pos, n;

	memset(irqs, 0, sizeof(*irqs));
	if (len <= PCI_INTERRUPT_PIN)
		return;
	irqs->intx_pin = cfg[PCI_INTERRUPT_PIN] <= 4 ? cfg[PCI_INTERRUPT_PIN] : 0;
	irqs->caps_known = true;
	if (!(cfg16(cfg, PCI_STATUS) & PCI_STATUS_CAP_LIST))
		return;
	pos = cfg[PCI_CAPABILITY_LIST];
	for (n = 0; pos && n < MAX_CAPS; n++) {
		pos &= ~3U;
		if (pos < PCI_STD_HEADER_SIZEOF)
			break;
		/* Its ID, next pointer and the two bytes of flags after them. */
		if (pos + PCI_CAP_SIZEOF > len) {
			irqs->caps_known = false;
			irqs->msi_vectors = irqs->msix_vectors = 0;
			return;
		}
		if (cfg[pos + PCI_CAP_LIST_ID] == PCI_CAP_ID_MSI)
			irqs->msi_vectors =
				1U << ((cfg16(cfg, pos + PCI_MSI_FLAGS) & PCI_MSI_FLAGS_QMASK) >> 1);
		else if (cfg[pos + PCI_CAP_LIST_ID] == PCI_CAP_ID_MSIX)
			irqs->msix_vectors =
				(cfg16(cfg, pos + PCI_MSIX_FLAGS) & PCI_MSIX_FLAGS_QSIZE) + 1;
		pos = cfg[pos + PCI_CAP_LIST_NEXT];
	}
}

int smmuctl_pci_irqs(const char *dir, struct smmuctl_irqs *irqs)
{
	__u8 cfg[CONFIG_STD_SIZE];
	char path[PATH_MAX];
	ssize_t n;
	int fd;

	memset(irqs, 0, sizeof(*irqs));
	snprintf(path, sizeof(path), "%s/config", dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = pread(fd, cfg, sizeof(cfg), 0);
	close(fd);
	if (n < 0)
		return -errno;
	if (n <= PCI_INTERRUPT_PIN)
		return -EIO;
	smmuctl_parse_irqs(cfg, n, irqs);
	return 0;
}
