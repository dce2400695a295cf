/* SPDX-License-Identifier: GPL-2.0 */
/* smmuctl: what its command files share. */
#ifndef SMMUCTL_H
#define SMMUCTL_H

#include <stdbool.h>

#include "json.h"
#include "smmu_assign_lib.h"

/* Exit codes (documented in smmuctl.8). */
#define EXIT_OK		0
#define EXIT_FAILED	1
#define EXIT_USAGE	2

struct smmuctl {
	bool json;
	bool pretty;
	struct jw jw;
};

extern struct smmuctl ctl;

/* As the kernel's tools/include spells it. */
#ifndef __printf
#define __printf(a, b) __attribute__((format(printf, a, b)))
#endif

void __printf(1, 2) smmuctl_err(const char *fmt, ...);

/* ---- spaces (space.c) ---- */

/* A space name the kernel takes: 1 to 31 of letters, digits, '.', '_', '-'. */
bool smmuctl_space_name_ok(const char *s);

/* A kernel's space name field into buf (SMMU_ASSIGN_SPACE_NAME_LEN bytes). */
void smmuctl_space_name(const char *raw, char *buf);

/* Longest smmuctl_format_space() output plus the terminator. */
#define SMMUCTL_SPACE_STRLEN	(11 + SMMU_ASSIGN_SPACE_NAME_LEN)

/*
 * A device's space as a table cell: "ID" or "ID:NAME" in a space, and for
 * a binding in none (an unclaimed persistent one) "unclaimed" or
 * "unclaimed:NAME" with the name BIND gave it.
 */
void smmuctl_format_space(__u32 id, const char *raw_name, char *buf, size_t len);

/* QUERY's out_domain_flags: "own", "shared", "mirrored", "shared,mirrored". */
const char *smmuctl_domain_text(__u32 flags);

/* Every PMU named smmuv3_pmcg_*: human or JSON ("pmcg" member). */
void smmuctl_pmcg(void);

/* ---- a device's regions and interrupts, from sysfs (pcidev.c) ---- */

/* The BARs and the ROM, numbered as a device fd's regions are. */
#define SMMUCTL_NUM_REGIONS	7

struct smmuctl_region {
	unsigned int index;
	__u64 start, size;
	__u64 flags;			/* the kernel's IORESOURCE_* */
	bool io, prefetchable, mem64, read_only;
	bool mmappable;			/* through a device fd (vfio-pci's rule) */
};

struct smmuctl_irqs {
	unsigned int intx_pin;		/* 1 to 4 for INTA to INTD, 0 for none */
	bool caps_known;		/* the capability list could be read */
	unsigned int msi_vectors;	/* 0: no MSI capability */
	unsigned int msix_vectors;	/* 0: no MSI-X capability */
};

/* "BAR0" to "BAR5", "ROM". */
const char *smmuctl_region_name(unsigned int index);

/*
 * The regions of the device whose sysfs directory is dir, from its
 * "resource" file: those the device has, at most SMMUCTL_NUM_REGIONS, in
 * r; how many in *num.
 */
int smmuctl_pci_regions(const char *dir, struct smmuctl_region *r, size_t *num);

/*
 * Its interrupts, from its "config" file. Below CAP_SYS_ADMIN sysfs shows
 * the first 64 bytes only: the pin is known, the MSI and MSI-X capabilities
 * (caps_known false) not.
 */
int smmuctl_pci_irqs(const char *dir, struct smmuctl_irqs *irqs);

/* The same from len bytes of config space already read. */
void smmuctl_parse_irqs(const __u8 *cfg, size_t len, struct smmuctl_irqs *irqs);

/* ---- declared devices: the .conf files of /etc/smmu-assign (conf.c) ---- */

#define SMMUCTL_CONF_DIR	"/etc/smmu-assign"
#define SMMUCTL_CONF_LINE_MAX	1024
/* Longest smmuctl_conf_dev_name() output plus the terminator. */
#define SMMUCTL_CONF_NAME_LEN	16

struct smmuctl_conf_dev {
	char where[4096 + 16];		/* "FILE:LINE" */
	bool by_id;			/* vendor:device/index, else bdf */
	struct smmu_assign_bdf bdf;
	unsigned int vendor, device;
	unsigned int index;		/* from 0, in PCI address order */
	__u64 iova, length;		/* the window */
	char space[SMMU_ASSIGN_SPACE_NAME_LEN];	/* "" for none */
	__u32 uid, gid;			/* SMMU_ASSIGN_NO_ID for none */
	char driver[SMMUA_DRIVER_LEN];	/* smmu-assign or vfio-pci */
};

/*
 * One line: 1 and the device in *dev, 0 for a blank or comment line, or
 * -EINVAL with the reason in err.
 */
int smmuctl_conf_parse_line(const char *line, struct smmuctl_conf_dev *dev, char *err,
			    size_t len);

/*
 * The devices declared in path: a file, or every *.conf file of a directory
 * in name order (none when it does not exist). All or nothing: on an error
 * err says "FILE:LINE: why", and nothing is returned. *devs is malloc()ed.
 */
int smmuctl_conf_read(const char *path, struct smmuctl_conf_dev **devs, size_t *num,
		      char *err, size_t len);

/* "0000:04:00.0", or "1234:11e8/0" for a device declared by its ID. */
void smmuctl_conf_dev_name(const struct smmuctl_conf_dev *d, char *buf, size_t len);

/* ---- shared by the commands (smmuctl.c), used by apply (apply.c) ---- */

int open_dev(void);
bool is_bridge(const struct smmua_pci_dev *d);
bool driver_fits_bind(const struct smmua_pci_dev *d);
int read_all_devs(struct smmua_pci_dev **devs, size_t *num);
const struct smmua_pci_dev *group_blocker(const struct smmua_pci_dev *d,
					  const struct smmua_pci_dev *all, size_t n);
const char *delegation_text(__u32 uid, __u32 gid);
void json_delegation(__u32 uid, __u32 gid);

int cmd_apply(int argc, char **argv);

#endif /* SMMUCTL_H */
