// SPDX-License-Identifier: GPL-2.0
/*
 * smmuctl: the administrator's command line for smmu-assign, after
 * driverctl (takeover/giveback), devlink and lspci (list, info, -j/-p).
 * Exit status: 0 success, 1 the operation failed, 2 usage error.
 */
#define _GNU_SOURCE	/* unshare() for vfio-exec */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <linux/vfio.h>

#include "smmuctl.h"

struct smmuctl ctl;

void smmuctl_err(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("smmuctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* ---- shared helpers ---- */

/*
 * A module of another API version lays its structs out otherwise: ask it
 * nothing beyond GET_INFO, whose layout every version shares.
 */
static int api_matches(const struct smmu_assign_get_info *gi)
{
	if (gi->out_api_version == SMMU_ASSIGN_API_VERSION)
		return 0;
	smmuctl_err("the loaded smmu_assign module speaks API version %u, this smmuctl only %u: install the smmuctl built with the module, or load the module built with it",
		    gi->out_api_version, SMMU_ASSIGN_API_VERSION);
	return -1;
}

static int check_api(int fd)
{
	struct smmu_assign_get_info gi;
	int ret = smmua_get_info(fd, &gi);

	if (ret) {
		smmuctl_err("GET_INFO failed: %s: is %s the smmu_assign module's?",
			    strerror(-ret), SMMU_ASSIGN_DEV_PATH);
		return -1;
	}
	return api_matches(&gi);
}

/* Open the module's device, whatever its API version; -1 when not. */
static int open_dev_any_api(void)
{
	int fd = smmua_open();

	if (fd == -ENOENT)
		smmuctl_err("cannot open %s: %s: load the module (modprobe smmu_assign)",
			    SMMU_ASSIGN_DEV_PATH, strerror(-fd));
	else if (fd < 0)
		smmuctl_err("cannot open %s: %s: run as root, or see the udev rule 60-smmu-assign.rules",
			    SMMU_ASSIGN_DEV_PATH, strerror(-fd));
	return fd < 0 ? -1 : fd;
}

/* Open the module's device for a command that needs it; -1 when not. */
int open_dev(void)
{
	int fd = open_dev_any_api();

	if (fd < 0)
		return -1;
	if (check_api(fd)) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * For a command that works without the module (it then shows nothing
 * bound): *fd is -1 when the device cannot be opened. A module of another
 * API version is refused all the same: -1.
 */
static int open_dev_optional(int *fd)
{
	*fd = smmua_open();
	if (*fd < 0) {
		*fd = -1;
		return 0;
	}
	if (check_api(*fd)) {
		close(*fd);
		*fd = -1;
		return -1;
	}
	return 0;
}

static int parse_bdf_arg(const char *s, struct smmu_assign_bdf *bdf, char *name)
{
	if (smmua_parse_bdf(s, bdf)) {
		smmuctl_err("'%s' is not a PCI address: want [domain:]bus:device.function, e.g. 0000:00:02.0",
			    s);
		return -1;
	}
	smmua_format_bdf(bdf, name, SMMUA_BDF_STRLEN);
	return 0;
}

/* The one BDF operand of cmd, argv[first] and last; 0 or EXIT_USAGE. */
static int one_bdf_arg(const char *cmd, int argc, char **argv, int first,
		       struct smmu_assign_bdf *bdf, char *name)
{
	if (first != argc - 1) {
		smmuctl_err("%s needs one BDF: run 'smmuctl help %s'", cmd, cmd);
		return EXIT_USAGE;
	}
	return parse_bdf_arg(argv[first], bdf, name) ? EXIT_USAGE : 0;
}

/* The sysfs view of a device, or an error naming it. */
static int read_dev(const struct smmu_assign_bdf *bdf, const char *name,
		    struct smmua_pci_dev *dev)
{
	int ret = smmua_pci_read(bdf, dev);

	if (ret == -ENODEV)
		smmuctl_err("no PCI device %s: see 'smmuctl list'", name);
	else if (ret)
		smmuctl_err("cannot read %s in sysfs: %s", name, strerror(-ret));
	return ret;
}

static const char *or_none(const char *s)
{
	return s[0] ? s : "(none)";
}

static void print_page_sizes(__u64 bitmap)
{
	char buf[SMMUA_SIZE_STRLEN];
	int i;

	for (i = 0; i < 64; i++) {
		if (!(bitmap & (1ULL << i)))
			continue;
		smmua_format_size(1ULL << i, buf, sizeof(buf));
		printf(" %s", buf);
	}
}

static void json_sids(const __u32 *sids, __u32 n)
{
	__u32 i;

	jw_arr_open(&ctl.jw, "sids");
	for (i = 0; i < n && i < SMMU_ASSIGN_MAX_SIDS; i++)
		jw_u64(&ctl.jw, NULL, sids[i]);
	jw_arr_close(&ctl.jw);
}

static void format_sids(const __u32 *sids, __u32 n, char *buf, size_t len)
{
	size_t off = 0;
	__u32 i;

	buf[0] = '\0';
	for (i = 0; i < n && i < SMMU_ASSIGN_MAX_SIDS && off < len; i++)
		off += snprintf(buf + off, len - off, "%s0x%x", i ? "," : "", sids[i]);
}

static const char *binding_kind(__u32 state)
{
	return state & SMMU_ASSIGN_STATE_PERSISTENT ? "persistent" : "per-file";
}

bool is_bridge(const struct smmua_pci_dev *d)
{
	return (d->class >> 16) == 0x06;
}

/*
 * Whether BIND lets d stay on its driver while its group is bound: the
 * stub, vfio-pci or none, and for a bridge (never bound itself) pcieport.
 */
/* Whether d itself can be named by BIND: it must have been handed over. */
static bool handed_over(const struct smmua_pci_dev *d)
{
	return !strcmp(d->driver, SMMUA_STUB_DRIVER) || !strcmp(d->driver, SMMUA_VFIO_DRIVER);
}

bool driver_fits_bind(const struct smmua_pci_dev *d)
{
	if (!d->driver[0] || !strcmp(d->driver, SMMUA_STUB_DRIVER) ||
	    !strcmp(d->driver, SMMUA_VFIO_DRIVER))
		return true;
	return is_bridge(d) && !strcmp(d->driver, "pcieport");
}

/* Every PCI device sysfs shows, sorted; *devs is malloc()ed, free() it. */
int read_all_devs(struct smmua_pci_dev **devs, size_t *num)
{
	struct smmu_assign_bdf *bdfs;
	size_t n, i, k = 0;
	int ret;

	ret = smmua_pci_list(&bdfs, &n);
	if (ret)
		return ret;
	*devs = calloc(n ? n : 1, sizeof(**devs));
	if (!*devs) {
		free(bdfs);
		return -ENOMEM;
	}
	/* A device removed since the listing is left out. */
	for (i = 0; i < n; i++)
		if (!smmua_pci_read(&bdfs[i], &(*devs)[k]))
			k++;
	free(bdfs);
	*num = k;
	return 0;
}

/* The first other member of d's IOMMU group that BIND would refuse, or NULL. */
const struct smmua_pci_dev *group_blocker(const struct smmua_pci_dev *d,
					  const struct smmua_pci_dev *all, size_t n)
{
	size_t i;

	for (i = 0; d->iommu_group >= 0 && i < n; i++)
		if (all[i].iommu_group == d->iommu_group &&
		    memcmp(&all[i].bdf, &d->bdf, sizeof(d->bdf)) && !driver_fits_bind(&all[i]))
			return &all[i];
	return NULL;
}

/*
 * Whether d can be bound now, and why not, given every device (all) for
 * its IOMMU group: BIND takes the whole group. Bound devices count as
 * assignable: they are.
 */
static bool assignable(const struct smmua_pci_dev *d, const struct smmua_pci_dev *all,
		       size_t n, bool bound, char *why, size_t len)
{
	const struct smmua_pci_dev *b;
	char name[SMMUA_BDF_STRLEN];

	if (bound) {
		snprintf(why, len, "bound");
		return true;
	}
	if (is_bridge(d)) {
		snprintf(why, len, "bridge");
		return false;
	}
	/* On device-tree platforms a device gets its group when a driver probes it. */
	if (d->iommu_group < 0 && !d->driver[0]) {
		snprintf(why, len, "no driver, so no IOMMU group yet: takeover first");
		return false;
	}
	if (!handed_over(d)) {
		if (d->driver[0])
			snprintf(why, len, "on %s: takeover first", d->driver);
		else
			snprintf(why, len, "no driver: takeover first");
		return false;
	}
	if (d->iommu_group < 0) {
		snprintf(why, len, "no IOMMU");
		return false;
	}
	b = group_blocker(d, all, n);
	if (b) {
		smmua_format_bdf(&b->bdf, name, sizeof(name));
		snprintf(why, len, "IOMMU group %d: %s is on %s: takeover %s first",
			 d->iommu_group, name, b->driver, name);
		return false;
	}
	if (d->group_size > 1)
		snprintf(why, len, "ready: binds all of IOMMU group %d (%d members)",
			 d->iommu_group, d->group_size);
	else
		snprintf(why, len, "ready");
	return true;
}

/* ---- list ---- */

/* Open a JSON object with a device's identity, as list and info show it. */
static void json_device_open(const char *name, const struct smmua_pci_dev *d)
{
	char id[8];

	jw_obj_open(&ctl.jw, NULL);
	jw_str(&ctl.jw, "bdf", name);
	snprintf(id, sizeof(id), "%04x", d->vendor);
	jw_str(&ctl.jw, "vendor", id);
	snprintf(id, sizeof(id), "%04x", d->device);
	jw_str(&ctl.jw, "device", id);
	snprintf(id, sizeof(id), "%06x", d->class);
	jw_str(&ctl.jw, "class", id);
	jw_str(&ctl.jw, "driver", d->driver[0] ? d->driver : NULL);
}

/*
 * A bound device's space, its domain and its group's bound devices, as
 * JSON members of the current object (list and info).
 */
static void json_space_of(const struct smmu_assign_query *q)
{
	char name[SMMU_ASSIGN_SPACE_NAME_LEN];

	smmuctl_space_name(q->out_space_name, name);
	if (q->out_space_id)
		jw_u64(&ctl.jw, "space_id", q->out_space_id);
	else
		jw_null(&ctl.jw, "space_id");
	jw_str(&ctl.jw, "space_name", name[0] ? name : NULL);
	jw_bool(&ctl.jw, "blocked", !q->out_space_id);
	jw_bool(&ctl.jw, "domain_shared", q->out_domain_flags & SMMU_ASSIGN_DOMAIN_SHARED);
	jw_bool(&ctl.jw, "domain_mirrored", q->out_domain_flags & SMMU_ASSIGN_DOMAIN_MIRRORED);
	jw_u64(&ctl.jw, "num_devices", q->out_num_devices);
}

static int cmd_list(int argc, char **argv)
{
	char name[SMMUA_BDF_STRLEN], why[160], sids[96], grp[16], num[16];
	char space[SMMUCTL_SPACE_STRLEN];
	struct smmu_assign_query q;
	struct smmua_pci_dev *devs, *d;
	const char *domain;
	size_t n, i;
	bool bound, ok;
	int fd, ret;

	if (argc > 1) {
		smmuctl_err("list takes no arguments: run 'smmuctl help list'");
		return EXIT_USAGE;
	}
	ret = read_all_devs(&devs, &n);
	if (ret) {
		smmuctl_err("cannot list /sys/bus/pci/devices: %s", strerror(-ret));
		return EXIT_FAILED;
	}
	/* Without the module, everything is shown as unbound. */
	if (open_dev_optional(&fd)) {
		free(devs);
		return EXIT_FAILED;
	}
	if (ctl.json)
		jw_arr_open(&ctl.jw, NULL);
	else
		printf("%-13s %-9s %-6s %-12s %-5s %-10s %-14s %-8s %-5s %s\n", "BDF", "ID",
		       "CLASS", "DRIVER", "GROUP", "SIDS", "SPACE", "DOMAIN", "BOUND",
		       "ASSIGNABLE");
	for (i = 0; i < n; i++) {
		d = &devs[i];
		smmua_format_bdf(&d->bdf, name, sizeof(name));
		bound = fd >= 0 && !smmua_query(fd, &d->bdf, &q);
		ok = assignable(d, devs, n, bound, why, sizeof(why));
		if (ctl.json) {
			json_device_open(name, d);
			if (d->iommu_group >= 0)
				jw_int(&ctl.jw, "iommu_group", d->iommu_group);
			else
				jw_null(&ctl.jw, "iommu_group");
			jw_bool(&ctl.jw, "bound", bound);
			if (bound) {
				json_sids(q.out_sids, q.out_num_sids);
				json_space_of(&q);
			}
			jw_bool(&ctl.jw, "assignable", ok);
			jw_str(&ctl.jw, "reason", why);
			jw_obj_close(&ctl.jw);
			continue;
		}
		if (bound) {
			format_sids(q.out_sids, q.out_num_sids, sids, sizeof(sids));
			smmuctl_format_space(q.out_space_id, q.out_space_name, space,
					     sizeof(space));
			snprintf(num, sizeof(num), "%u", q.out_num_devices);
			/* In no space, it is in no domain. */
			domain = q.out_space_id ? smmuctl_domain_text(q.out_domain_flags) : "-";
		} else {
			snprintf(sids, sizeof(sids), "-");
			snprintf(space, sizeof(space), "-");
			snprintf(num, sizeof(num), "-");
			domain = "-";
		}
		if (d->iommu_group >= 0)
			snprintf(grp, sizeof(grp), "%d", d->iommu_group);
		else
			snprintf(grp, sizeof(grp), "-");
		printf("%-13s %04x:%04x %06x %-12s %-5s %-10s %-14s %-8s %-5s %s%s\n", name,
		       d->vendor, d->device, d->class, d->driver[0] ? d->driver : "-", grp, sids,
		       space, domain, num, ok ? "yes" : "no: ", ok ? "" : why);
	}
	if (ctl.json) {
		jw_arr_close(&ctl.jw);
		jw_end(&ctl.jw);
	}
	if (fd >= 0)
		close(fd);
	free(devs);
	return EXIT_OK;
}

/* ---- takeover, giveback ---- */

static int cmd_takeover(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "driver", required_argument, NULL, 'd' },
		{ }
	};
	const char *driver = SMMUA_STUB_DRIVER;
	char name[SMMUA_BDF_STRLEN], prev[SMMUA_DRIVER_LEN];
	struct smmu_assign_bdf bdf;
	struct smmu_assign_query q;
	struct smmua_pci_dev d;
	int c, fd, ret;

	while ((c = getopt_long(argc, argv, "d:", opts, NULL)) != -1) {
		if (c != 'd')
			return EXIT_USAGE;
		driver = optarg;
	}
	if (strcmp(driver, SMMUA_STUB_DRIVER) && strcmp(driver, SMMUA_VFIO_DRIVER)) {
		smmuctl_err("--driver must be %s or %s, not '%s'", SMMUA_STUB_DRIVER,
			    SMMUA_VFIO_DRIVER, driver);
		return EXIT_USAGE;
	}
	if (one_bdf_arg("takeover", argc, argv, optind, &bdf, name))
		return EXIT_USAGE;
	if (read_dev(&bdf, name, &d))
		return EXIT_FAILED;
	/* Unbinding the stub under a binding would tear it down unasked. */
	if (open_dev_optional(&fd))
		return EXIT_FAILED;
	if (fd >= 0) {
		ret = smmua_query(fd, &bdf, &q);
		close(fd);
		if (!ret && strcmp(d.driver, driver)) {
			smmuctl_err("%s is bound (%s, pid %u): run 'smmuctl unbind %s' first",
				    name, binding_kind(q.out_state), q.out_owner_pid, name);
			return EXIT_FAILED;
		}
	}
	ret = smmua_pci_takeover(&bdf, driver, prev, sizeof(prev));
	if (ret == -ENOENT) {
		smmuctl_err("driver %s is not loaded: run 'modprobe %s'", driver,
			    strcmp(driver, SMMUA_STUB_DRIVER) ? "vfio-pci" : "smmu_assign");
		return EXIT_FAILED;
	}
	if (ret == -EIO) {
		smmuctl_err("%s did not bind to %s: see the kernel log (dmesg); 'smmuctl giveback %s' restores %s",
			    driver, name, name, or_none(prev));
		return EXIT_FAILED;
	}
	if (ret) {
		smmuctl_err("cannot take %s over from %s: %s", name, or_none(prev),
			    strerror(-ret));
		return EXIT_FAILED;
	}
	if (ctl.json) {
		jw_obj_open(&ctl.jw, NULL);
		jw_str(&ctl.jw, "bdf", name);
		jw_str(&ctl.jw, "previous_driver", prev[0] ? prev : NULL);
		jw_str(&ctl.jw, "driver", driver);
		jw_obj_close(&ctl.jw);
		jw_end(&ctl.jw);
	} else {
		printf("%s: %s -> %s\n", name, or_none(prev), driver);
	}
	return EXIT_OK;
}

static int cmd_giveback(int argc, char **argv)
{
	char name[SMMUA_BDF_STRLEN], now[SMMUA_DRIVER_LEN];
	struct smmu_assign_bdf bdf;
	struct smmu_assign_query q;
	struct smmua_pci_dev d;
	int fd, ret;

	if (one_bdf_arg("giveback", argc, argv, 1, &bdf, name))
		return EXIT_USAGE;
	if (read_dev(&bdf, name, &d))
		return EXIT_FAILED;
	if (open_dev_optional(&fd))
		return EXIT_FAILED;
	if (fd >= 0) {
		ret = smmua_query(fd, &bdf, &q);
		close(fd);
		if (!ret) {
			smmuctl_err("%s is still bound (%s, pid %u): run 'smmuctl unbind %s' first",
				    name, binding_kind(q.out_state), q.out_owner_pid, name);
			return EXIT_FAILED;
		}
	}
	ret = smmua_pci_giveback(&bdf, now, sizeof(now));
	if (ret == -EIO) {
		smmuctl_err("the previous driver did not take %s back (now on %s): see dmesg",
			    name, or_none(now));
		return EXIT_FAILED;
	}
	if (ret) {
		smmuctl_err("cannot give %s back: %s", name, strerror(-ret));
		return EXIT_FAILED;
	}
	if (ctl.json) {
		jw_obj_open(&ctl.jw, NULL);
		jw_str(&ctl.jw, "bdf", name);
		jw_str(&ctl.jw, "previous_driver", d.driver[0] ? d.driver : NULL);
		jw_str(&ctl.jw, "driver", now[0] ? now : NULL);
		jw_obj_close(&ctl.jw);
		jw_end(&ctl.jw);
	} else {
		printf("%s: %s -> %s\n", name, or_none(d.driver), or_none(now));
	}
	return EXIT_OK;
}

/* ---- bind, unbind ---- */

/* Why BIND was EBUSY: the first device of the group in the way, and what to run. */
static void explain_bind_busy(int fd, const struct smmu_assign_bdf *bdf, const char *name)
{
	const struct smmua_pci_dev *b = NULL;
	struct smmua_pci_dev *devs = NULL, *d = NULL;
	char bname[SMMUA_BDF_STRLEN];
	struct smmu_assign_query q;
	size_t n = 0, i;

	/* Without sysfs, only the kernel log can tell. */
	if (read_all_devs(&devs, &n))
		n = 0;
	for (i = 0; i < n; i++)
		if (!memcmp(&devs[i].bdf, bdf, sizeof(*bdf)))
			d = &devs[i];
	if (d)
		b = group_blocker(d, devs, n);
	if (d && !d->driver[0]) {
		smmuctl_err("%s has no driver: run 'smmuctl takeover %s'", name, name);
	} else if (d && !handed_over(d)) {
		smmuctl_err("%s is bound to %s: run 'smmuctl takeover %s'", name, d->driver, name);
	} else if (b) {
		smmua_format_bdf(&b->bdf, bname, sizeof(bname));
		smmuctl_err("%s: IOMMU group %d: %s is bound to %s, and BIND takes the whole group: run 'smmuctl takeover %s'",
			    name, d->iommu_group, bname, b->driver, bname);
	} else if (!smmua_query(fd, bdf, &q)) {
		smmuctl_err("%s is already bound (%s, pid %u): run 'smmuctl unbind %s' first",
			    name, binding_kind(q.out_state), q.out_owner_pid, name);
	} else if (d && !strcmp(d->driver, SMMUA_VFIO_DRIVER)) {
		smmuctl_err("%s is on vfio-pci and a VFIO user holds IOMMU group %d: stop that user (it has /dev/vfio/%d open), or run 'smmuctl takeover %s'",
			    name, d->iommu_group, d->iommu_group, name);
	} else {
		smmuctl_err("%s: its IOMMU group is in use (a VFIO user, or a device bound with another group?): see the kernel log (dmesg), stop that user, or run 'smmuctl takeover %s'",
			    name, name);
	}
	free(devs);
}

/* Why BIND was ENODEV: no device, or one with no IOMMU group (yet). */
static void explain_bind_nodev(const struct smmu_assign_bdf *bdf, const char *name)
{
	struct smmua_pci_dev d;

	if (smmua_pci_read(bdf, &d))
		smmuctl_err("cannot bind %s: %s: no such PCI device: see 'smmuctl list'", name,
			    strerror(ENODEV));
	else if (!d.driver[0])
		smmuctl_err("cannot bind %s: %s: it has no driver, and so no IOMMU group yet: run 'smmuctl takeover %s'",
			    name, strerror(ENODEV), name);
	else
		smmuctl_err("cannot bind %s: %s: it has no IOMMU, so the SMMU cannot confine it",
			    name, strerror(ENODEV));
}

/* Why BIND was EINVAL for smmuctl's request: a bridge, or the window. */
static void explain_bind_inval(const struct smmu_assign_bdf *bdf, const char *name)
{
	struct smmua_pci_dev d;

	if (!smmua_pci_read(bdf, &d) && is_bridge(&d))
		smmuctl_err("cannot bind %s: %s: it is a bridge: bind a device behind it, which binds its whole IOMMU group",
			    name, strerror(EINVAL));
	else
		smmuctl_err("cannot bind %s: %s: the window must be aligned to the page size (%ld here)",
			    name, strerror(EINVAL), sysconf(_SC_PAGESIZE));
}

static int cmd_bind(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "window", required_argument, NULL, 'w' },
		{ "space", required_argument, NULL, 's' },
		{ }
	};
	char name[SMMUA_BDF_STRLEN], sids[96], len[SMMUA_SIZE_STRLEN];
	const char *window = NULL, *space = NULL;
	struct smmu_assign_bind b = { 0 };
	int c, fd, ret;

	while ((c = getopt_long(argc, argv, "w:s:", opts, NULL)) != -1) {
		if (c == 'w')
			window = optarg;
		else if (c == 's')
			space = optarg;
		else
			return EXIT_USAGE;
	}
	if (optind != argc - 1 || !window) {
		smmuctl_err("bind needs a BDF and --window IOVA:SIZE: run 'smmuctl help bind'");
		return EXIT_USAGE;
	}
	if (parse_bdf_arg(argv[optind], &b.bdf, name))
		return EXIT_USAGE;
	ret = smmua_parse_window(window, &b.window_iova, &b.window_length);
	if (ret) {
		smmuctl_err("'%s' is not a window: want IOVA:SIZE, e.g. 0x100000:1M (%s)",
			    window, ret == -ERANGE ? "number too large" : "bad number");
		return EXIT_USAGE;
	}
	if (space && !smmuctl_space_name_ok(space)) {
		smmuctl_err("'%s' is not a space name: want 1 to %d letters, digits, '.', '_' or '-'",
			    space, SMMU_ASSIGN_SPACE_NAME_LEN - 1);
		return EXIT_USAGE;
	}
	if (space)
		strcpy(b.space_name, space);
	fd = open_dev();
	if (fd < 0)
		return EXIT_FAILED;
	/*
	 * smmuctl exits right away: only a persistent binding outlives it. It
	 * is in no space until a program CLAIMs it; the name lets claims of
	 * several bindings by one file (space_id 0) share one space.
	 */
	b.flags = SMMU_ASSIGN_BIND_PERSISTENT;
	ret = smmua_bind_cmd(fd, &b);
	switch (ret) {
	case 0:
		break;
	case -EBUSY:
		explain_bind_busy(fd, &b.bdf, name);
		break;
	case -ENODEV:
		explain_bind_nodev(&b.bdf, name);
		break;
	case -EINVAL:
		explain_bind_inval(&b.bdf, name);
		break;
	case -EOVERFLOW:
		smmuctl_err("cannot bind %s: %s: the window wraps around", name, strerror(-ret));
		break;
	case -ERANGE:
		smmuctl_err("cannot bind %s: %s: the window is outside the SMMU's aperture",
			    name, strerror(-ret));
		break;
	case -EADDRINUSE:
		smmuctl_err("cannot bind %s: %s: the window overlaps a reserved region of its IOMMU group (see 'smmuctl info %s'): choose another",
			    name, strerror(-ret), name);
		break;
	case -EPERM:
		smmuctl_err("cannot bind %s: %s: needs CAP_SYS_ADMIN, and MSIs isolated (or allow_unsafe_interrupts)",
			    name, strerror(-ret));
		break;
	default:
		smmuctl_err("cannot bind %s: %s", name, strerror(-ret));
	}
	close(fd);
	if (ret)
		return EXIT_FAILED;
	format_sids(b.out_sids, b.out_num_sids, sids, sizeof(sids));
	smmua_format_size(b.window_length, len, sizeof(len));
	if (ctl.json) {
		jw_obj_open(&ctl.jw, NULL);
		jw_str(&ctl.jw, "bdf", name);
		jw_bool(&ctl.jw, "persistent", true);
		jw_int(&ctl.jw, "iommu_group", b.out_group_id);
		jw_u64(&ctl.jw, "num_devices", b.out_num_devices);
		jw_str(&ctl.jw, "iommu", b.out_iommu_name);
		json_sids(b.out_sids, b.out_num_sids);
		jw_obj_open(&ctl.jw, "window");
		jw_u64(&ctl.jw, "iova", b.window_iova);
		jw_u64(&ctl.jw, "length", b.window_length);
		jw_obj_close(&ctl.jw);
		jw_str(&ctl.jw, "space_name", space);
		jw_u64(&ctl.jw, "pgsize_bitmap", b.out_pgsize_bitmap);
		jw_u64(&ctl.jw, "aperture_start", b.out_aperture_start);
		jw_u64(&ctl.jw, "aperture_last", b.out_aperture_last);
		jw_obj_close(&ctl.jw);
		jw_end(&ctl.jw);
	} else {
		printf("%s: bound (persistent), window 0x%llx+%s, group %u, SIDs %s, %s",
		       name, (unsigned long long)b.window_iova, len, b.out_group_id, sids,
		       b.out_iommu_name);
		if (space)
			printf(", space name %s", space);
		/* The whole group is bound: say so when that is more than name. */
		if (b.out_num_devices > 1)
			printf(", %u devices of the group bound", b.out_num_devices);
		printf("\n");
	}
	return EXIT_OK;
}

static int cmd_unbind(int argc, char **argv)
{
	char name[SMMUA_BDF_STRLEN];
	struct smmu_assign_bdf bdf;
	struct smmu_assign_query q;
	int fd, ret;

	if (one_bdf_arg("unbind", argc, argv, 1, &bdf, name))
		return EXIT_USAGE;
	fd = open_dev();
	if (fd < 0)
		return EXIT_FAILED;
	/* Before: the owner to name if refused, the group to report if not. */
	if (smmua_query(fd, &bdf, &q))
		memset(&q, 0, sizeof(q));
	ret = smmua_unbind(fd, &bdf);
	close(fd);
	switch (ret) {
	case 0:
		break;
	case -ENOENT:
		smmuctl_err("%s is not bound: see 'smmuctl list'", name);
		break;
	case -EBUSY:
		smmuctl_err("%s: %s: pid %u has claimed it: stop that process first",
			    name, strerror(-ret), q.out_owner_pid);
		break;
	case -EPERM:
		smmuctl_err("%s: %s: it belongs to pid %u (a per-file binding ends when its owner closes it)",
			    name, strerror(-ret), q.out_owner_pid);
		break;
	default:
		smmuctl_err("cannot unbind %s: %s", name, strerror(-ret));
	}
	if (ret)
		return EXIT_FAILED;
	if (ctl.json) {
		jw_obj_open(&ctl.jw, NULL);
		jw_str(&ctl.jw, "bdf", name);
		jw_bool(&ctl.jw, "bound", false);
		/* 0: the binding went between QUERY and UNBIND; the count is unknown. */
		if (q.out_num_devices)
			jw_u64(&ctl.jw, "num_devices", q.out_num_devices);
		else
			jw_null(&ctl.jw, "num_devices");
		jw_obj_close(&ctl.jw);
		jw_end(&ctl.jw);
	} else if (q.out_num_devices > 1) {
		printf("%s: unbound, and with it %u other device%s of IOMMU group %u\n", name,
		       q.out_num_devices - 1, q.out_num_devices > 2 ? "s" : "", q.out_group_id);
	} else {
		printf("%s: unbound\n", name);
	}
	return EXIT_OK;
}

/* ---- delegate ---- */

const char *delegation_text(__u32 uid, __u32 gid)
{
	static char buf[64];

	if (uid == SMMU_ASSIGN_NO_ID && gid == SMMU_ASSIGN_NO_ID)
		return "not delegated";
	if (gid == SMMU_ASSIGN_NO_ID)
		snprintf(buf, sizeof(buf), "delegated to uid %u", uid);
	else if (uid == SMMU_ASSIGN_NO_ID)
		snprintf(buf, sizeof(buf), "delegated to gid %u", gid);
	else
		snprintf(buf, sizeof(buf), "delegated to uid %u and gid %u", uid, gid);
	return buf;
}

void json_delegation(__u32 uid, __u32 gid)
{
	jw_obj_open(&ctl.jw, "delegate");
	if (uid == SMMU_ASSIGN_NO_ID)
		jw_null(&ctl.jw, "uid");
	else
		jw_u64(&ctl.jw, "uid", uid);
	if (gid == SMMU_ASSIGN_NO_ID)
		jw_null(&ctl.jw, "gid");
	else
		jw_u64(&ctl.jw, "gid", gid);
	jw_obj_close(&ctl.jw);
}

/*
 * A user or group ID, or "none". Numbers only: smmuctl is also built static,
 * where glibc's name lookups do not work; `id -u NAME` gives the number.
 */
static int parse_id(const char *arg, bool group, __u32 *id)
{
	__u64 v;

	if (!strcmp(arg, "none")) {
		*id = SMMU_ASSIGN_NO_ID;
		return 0;
	}
	if (!smmua_parse_u64(arg, &v) && v < SMMU_ASSIGN_NO_ID) {
		*id = v;
		return 0;
	}
	smmuctl_err("'%s' is no %s ID: give a number (id -%c NAME) or 'none'", arg,
		    group ? "group" : "user", group ? 'g' : 'u');
	return -1;
}

static int cmd_delegate(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "user", required_argument, NULL, 'u' },
		{ "group", required_argument, NULL, 'g' },
		{ }
	};
	__u32 uid = SMMU_ASSIGN_NO_ID, gid = SMMU_ASSIGN_NO_ID;
	char name[SMMUA_BDF_STRLEN];
	struct smmu_assign_bdf bdf;
	bool given = false;
	int c, fd, ret;

	while ((c = getopt_long(argc, argv, "u:g:", opts, NULL)) != -1) {
		if ((c != 'u' && c != 'g') || parse_id(optarg, c == 'g', c == 'g' ? &gid : &uid))
			return EXIT_USAGE;
		given = true;
	}
	if (optind != argc - 1 || !given) {
		smmuctl_err("delegate needs a BDF and --user or --group: run 'smmuctl help delegate'");
		return EXIT_USAGE;
	}
	if (parse_bdf_arg(argv[optind], &bdf, name))
		return EXIT_USAGE;
	fd = open_dev();
	if (fd < 0)
		return EXIT_FAILED;
	ret = smmua_delegate(fd, &bdf, uid, gid);
	close(fd);
	switch (ret) {
	case 0:
		break;
	case -ENOENT:
		smmuctl_err("%s is not bound: 'smmuctl bind' it first", name);
		break;
	case -EINVAL:
		smmuctl_err("cannot delegate %s: %s: only a persistent binding, to IDs of this user namespace",
			    name, strerror(-ret));
		break;
	case -EPERM:
		smmuctl_err("cannot delegate %s: %s: needs CAP_SYS_ADMIN", name, strerror(-ret));
		break;
	default:
		smmuctl_err("cannot delegate %s: %s", name, strerror(-ret));
	}
	if (ret)
		return EXIT_FAILED;
	if (ctl.json) {
		jw_obj_open(&ctl.jw, NULL);
		jw_str(&ctl.jw, "bdf", name);
		json_delegation(uid, gid);
		jw_obj_close(&ctl.jw);
		jw_end(&ctl.jw);
	} else {
		printf("%s: %s\n", name, delegation_text(uid, gid));
	}
	return EXIT_OK;
}

/* ---- info ---- */

/* The QUERY answer as JSON members of the current object. */
static void json_binding(const struct smmu_assign_query *q)
{
	jw_bool(&ctl.jw, "persistent", q->out_state & SMMU_ASSIGN_STATE_PERSISTENT);
	jw_bool(&ctl.jw, "owned", q->out_state & SMMU_ASSIGN_STATE_OWNED);
	jw_u64(&ctl.jw, "owner_pid", q->out_owner_pid);
	jw_int(&ctl.jw, "iommu_group", q->out_group_id);
	jw_str(&ctl.jw, "iommu", q->out_iommu_name);
	json_sids(q->out_sids, q->out_num_sids);
	json_space_of(q);
	/* Only a persistent binding has a window of its own (BIND's). */
	if (q->out_state & SMMU_ASSIGN_STATE_PERSISTENT) {
		jw_obj_open(&ctl.jw, "window");
		jw_u64(&ctl.jw, "iova", q->out_window_iova);
		jw_u64(&ctl.jw, "length", q->out_window_length);
		jw_obj_close(&ctl.jw);
	} else {
		jw_null(&ctl.jw, "window");
	}
	jw_u64(&ctl.jw, "pgsize_bitmap", q->out_pgsize_bitmap);
	jw_u64(&ctl.jw, "num_mappings", q->out_num_mappings);
	json_delegation(q->out_delegate_uid, q->out_delegate_gid);
	jw_bool(&ctl.jw, "device_fd", q->out_state & SMMU_ASSIGN_STATE_DEVICE_FD);
}

/*
 * The VFIO_PCI_*_IRQ_INDEX of the interrupts enabled through the device fd,
 * VFIO_PCI_NUM_IRQS for none. The fields mean something only while a
 * device fd is open: otherwise they may be 0, which would read as INTx.
 */
static __u32 irq_enabled(const struct smmu_assign_query *q)
{
	if (!(q->out_state & SMMU_ASSIGN_STATE_DEVICE_FD) || !q->out_irq_count)
		return VFIO_PCI_NUM_IRQS;
	return q->out_irq_index;
}

static void print_regions(const struct smmuctl_region *r, size_t n)
{
	char label[16], size[SMMUA_SIZE_STRLEN];
	size_t i;

	for (i = 0; i < n; i++) {
		snprintf(label, sizeof(label), "  region %u:", r[i].index);
		smmua_format_size(r[i].size, size, sizeof(size));
		printf("%-16s%s, %s at 0x%llx, %s%s%s%s, %smmappable\n", label,
		       smmuctl_region_name(r[i].index), size, (unsigned long long)r[i].start,
		       r[i].io ? "I/O" : "memory", r[i].mem64 ? ", 64-bit" : "",
		       r[i].prefetchable ? ", prefetchable" : "",
		       r[i].read_only ? ", read-only" : "", r[i].mmappable ? "" : "not ");
	}
}

static void json_regions(const struct smmuctl_region *r, size_t n)
{
	size_t i;

	jw_arr_open(&ctl.jw, "regions");
	for (i = 0; i < n; i++) {
		jw_obj_open(&ctl.jw, NULL);
		jw_u64(&ctl.jw, "index", r[i].index);
		jw_str(&ctl.jw, "name", smmuctl_region_name(r[i].index));
		jw_u64(&ctl.jw, "start", r[i].start);
		jw_u64(&ctl.jw, "size", r[i].size);
		jw_u64(&ctl.jw, "flags", r[i].flags);
		jw_str(&ctl.jw, "type", r[i].io ? "io" : "memory");
		jw_bool(&ctl.jw, "mem64", r[i].mem64);
		jw_bool(&ctl.jw, "prefetchable", r[i].prefetchable);
		jw_bool(&ctl.jw, "read_only", r[i].read_only);
		jw_bool(&ctl.jw, "mmappable", r[i].mmappable);
		jw_obj_close(&ctl.jw);
	}
	jw_arr_close(&ctl.jw);
}

/* A kind of vector the device has: "msi 1 vector", "no msix". */
static void print_vectors(__u32 index, unsigned int n)
{
	if (n)
		printf("%s %u vector%s", smmua_irq_index_name(index), n, n == 1 ? "" : "s");
	else
		printf("no %s", smmua_irq_index_name(index));
}

/* What the device has; irq_err when its config space could not be read. */
static void print_irqs(const struct smmuctl_irqs *irqs, int irq_err)
{
	printf("  interrupts:   ");
	if (irq_err) {
		printf("(config space: %s)\n", strerror(-irq_err));
		return;
	}
	if (irqs->intx_pin)
		printf("%s pin %c, ", smmua_irq_index_name(VFIO_PCI_INTX_IRQ_INDEX),
		       'A' + irqs->intx_pin - 1);
	else
		printf("no %s, ", smmua_irq_index_name(VFIO_PCI_INTX_IRQ_INDEX));
	if (!irqs->caps_known) {
		printf("msi and msix unknown (their capabilities are root's to read)\n");
		return;
	}
	print_vectors(VFIO_PCI_MSI_IRQ_INDEX, irqs->msi_vectors);
	printf(", ");
	print_vectors(VFIO_PCI_MSIX_IRQ_INDEX, irqs->msix_vectors);
	printf("\n");
}

/* Whether the owner holds a device fd, and the interrupts enabled through it. */
static void print_device_fd(const struct smmu_assign_query *q)
{
	__u32 on = irq_enabled(q);

	printf("  device fd:    ");
	if (!(q->out_state & SMMU_ASSIGN_STATE_DEVICE_FD))
		printf("none open\n");
	else if (on == VFIO_PCI_NUM_IRQS)
		printf("open, no interrupts enabled\n");
	else
		printf("open, %s enabled (%u vector%s)\n", smmua_irq_index_name(on),
		       q->out_irq_count, q->out_irq_count == 1 ? "" : "s");
}

static void json_irqs(const struct smmuctl_irqs *irqs, int irq_err,
		      const struct smmu_assign_query *q)
{
	char pin[2] = { 0 };
	__u32 on = q ? irq_enabled(q) : VFIO_PCI_NUM_IRQS;

	jw_obj_open(&ctl.jw, "interrupts");
	if (!irq_err && irqs->intx_pin) {
		pin[0] = 'A' + irqs->intx_pin - 1;
		jw_str(&ctl.jw, "intx_pin", pin);
	} else {
		jw_null(&ctl.jw, "intx_pin");
	}
	if (!irq_err && irqs->caps_known) {
		jw_u64(&ctl.jw, "msi_vectors", irqs->msi_vectors);
		jw_u64(&ctl.jw, "msix_vectors", irqs->msix_vectors);
	} else {
		jw_null(&ctl.jw, "msi_vectors");
		jw_null(&ctl.jw, "msix_vectors");
	}
	if (on == VFIO_PCI_NUM_IRQS) {
		jw_null(&ctl.jw, "enabled");
		jw_u64(&ctl.jw, "enabled_vectors", 0);
	} else {
		jw_str(&ctl.jw, "enabled", smmua_irq_index_name(on));
		jw_u64(&ctl.jw, "enabled_vectors", q->out_irq_count);
	}
	jw_obj_close(&ctl.jw);
}

/* What a DMA window must stay clear of: reserved regions, under label. */
static void print_resv_regions(const char *label, const struct smmu_assign_resv_region *r,
			       size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		printf("%-16s0x%llx-0x%llx (%s)\n", label, (unsigned long long)r[i].start,
		       (unsigned long long)r[i].last, smmua_resv_type_name(r[i].type));
}

static void json_resv_regions(const struct smmu_assign_resv_region *r, size_t n)
{
	size_t i;

	jw_arr_open(&ctl.jw, "reserved_regions");
	for (i = 0; i < n; i++) {
		jw_obj_open(&ctl.jw, NULL);
		jw_u64(&ctl.jw, "start", r[i].start);
		jw_u64(&ctl.jw, "last", r[i].last);
		jw_str(&ctl.jw, "type", smmua_resv_type_name(r[i].type));
		jw_obj_close(&ctl.jw);
	}
	jw_arr_close(&ctl.jw);
}

/* The other members of d's IOMMU group: BIND takes them all. */
static void print_group_peers(const struct smmua_pci_dev *d, const struct smmua_pci_dev *all,
			      size_t n)
{
	char name[SMMUA_BDF_STRLEN];
	const char *sep = "";
	size_t i;

	if (d->iommu_group < 0 || d->group_size < 2)
		return;
	printf("  group peers: ");
	for (i = 0; i < n; i++) {
		if (all[i].iommu_group != d->iommu_group ||
		    !memcmp(&all[i].bdf, &d->bdf, sizeof(d->bdf)))
			continue;
		smmua_format_bdf(&all[i].bdf, name, sizeof(name));
		printf("%s %s (%s%s)", sep, name, is_bridge(&all[i]) ? "bridge, " : "",
		       all[i].driver[0] ? all[i].driver : "no driver");
		sep = ",";
	}
	printf("\n");
}

static void json_group_peers(const struct smmua_pci_dev *d, const struct smmua_pci_dev *all,
			     size_t n)
{
	char name[SMMUA_BDF_STRLEN];
	size_t i;

	jw_arr_open(&ctl.jw, "group_peers");
	for (i = 0; d->iommu_group >= 0 && i < n; i++) {
		if (all[i].iommu_group != d->iommu_group ||
		    !memcmp(&all[i].bdf, &d->bdf, sizeof(d->bdf)))
			continue;
		smmua_format_bdf(&all[i].bdf, name, sizeof(name));
		jw_obj_open(&ctl.jw, NULL);
		jw_str(&ctl.jw, "bdf", name);
		jw_str(&ctl.jw, "driver", all[i].driver[0] ? all[i].driver : NULL);
		jw_bool(&ctl.jw, "bridge", is_bridge(&all[i]));
		jw_obj_close(&ctl.jw);
	}
	jw_arr_close(&ctl.jw);
}

/* SPACE_INFO of the space a device is in, as the JSON member "space". */
static void json_space_desc(const struct smmua_space_desc *s)
{
	char name[SMMU_ASSIGN_SPACE_NAME_LEN], bdf[SMMUA_BDF_STRLEN];
	size_t i;

	smmuctl_space_name(s->info.out_name, name);
	jw_obj_open(&ctl.jw, "space");
	jw_u64(&ctl.jw, "id", s->info.out_space_id);
	jw_str(&ctl.jw, "name", name[0] ? name : NULL);
	jw_u64(&ctl.jw, "owner_pid", s->info.out_owner_pid);
	jw_u64(&ctl.jw, "num_domains", s->info.out_num_domains);
	jw_u64(&ctl.jw, "pgsize_bitmap", s->info.out_pgsize_bitmap);
	jw_u64(&ctl.jw, "num_mappings", s->info.out_num_mappings);
	jw_u64(&ctl.jw, "bytes_mapped", s->info.out_bytes_mapped);
	jw_u64(&ctl.jw, "pinned_pages", s->info.out_pinned_pages);
	jw_arr_open(&ctl.jw, "allowed_ranges");
	for (i = 0; i < s->num_ranges; i++) {
		jw_obj_open(&ctl.jw, NULL);
		jw_u64(&ctl.jw, "iova", s->ranges[i].iova);
		jw_u64(&ctl.jw, "length", s->ranges[i].length);
		jw_obj_close(&ctl.jw);
	}
	jw_arr_close(&ctl.jw);
	json_resv_regions(s->reserved, s->num_reserved);
	jw_arr_open(&ctl.jw, "devices");
	for (i = 0; i < s->num_devices; i++) {
		smmua_format_bdf(&s->devices[i], bdf, sizeof(bdf));
		jw_str(&ctl.jw, NULL, bdf);
	}
	jw_arr_close(&ctl.jw);
	jw_obj_close(&ctl.jw);
}

static void print_range(const char *label, __u64 iova, __u64 length)
{
	char len[SMMUA_SIZE_STRLEN];

	smmua_format_size(length, len, sizeof(len));
	printf("%-16s0x%llx-0x%llx (%s)\n", label, (unsigned long long)iova,
	       (unsigned long long)(iova + length - 1), len);
}

/*
 * The device's space: from QUERY, and when space_err is 0 from SPACE_INFO
 * (s), else why SPACE_INFO said nothing.
 */
static void print_space(const struct smmu_assign_query *q, const struct smmua_space_desc *s,
			int space_err)
{
	char name[SMMU_ASSIGN_SPACE_NAME_LEN], bdf[SMMUA_BDF_STRLEN], b[SMMUA_SIZE_STRLEN];
	size_t i;

	smmuctl_space_name(q->out_space_name, name);
	if (!q->out_space_id) {
		printf("  space:        none (unclaimed: DMA blocked until a program claims it)");
		if (name[0])
			printf(", name %s", name);
		printf("\n");
		return;
	}
	printf("  space:        %u", q->out_space_id);
	if (name[0])
		printf(" (%s)", name);
	printf(", domain %s", smmuctl_domain_text(q->out_domain_flags));
	if (space_err) {
		printf(" (SPACE_INFO: %s%s)\n", strerror(-space_err),
		       space_err == -EPERM ? ": run as root" : "");
		return;
	}
	printf(", owner pid %u\n", s->info.out_owner_pid);
	if (!s->num_ranges)
		printf("    allowed:    (none: nothing can be mapped)\n");
	for (i = 0; i < s->num_ranges; i++)
		print_range("    allowed:", s->ranges[i].iova, s->ranges[i].length);
	print_resv_regions("    reserved:", s->reserved, s->num_reserved);
	printf("    devices:   ");
	for (i = 0; i < s->num_devices; i++) {
		smmua_format_bdf(&s->devices[i], bdf, sizeof(bdf));
		printf("%s %s", i ? "," : "", bdf);
	}
	smmua_format_size(s->info.out_bytes_mapped, b, sizeof(b));
	printf("\n    mapped:     %s in %u mappings, %llu pages pinned, %u domain%s\n", b,
	       s->info.out_num_mappings, (unsigned long long)s->info.out_pinned_pages,
	       s->info.out_num_domains, s->info.out_num_domains == 1 ? "" : "s");
}

static int cmd_info(int argc, char **argv)
{
	char name[SMMUA_BDF_STRLEN], why[160], sids[96], dir[64];
	struct smmuctl_region regions[SMMUCTL_NUM_REGIONS];
	struct smmu_assign_resv_region *resv = NULL;
	struct smmua_pci_dev *devs = NULL, d;
	struct smmua_space_desc space = { 0 };
	size_t nresv = 0, ndevs = 0, nregions;
	int fd, space_err = -ENOENT, irq_err;
	struct smmu_assign_bdf bdf;
	struct smmu_assign_query q;
	struct smmuctl_irqs irqs;
	bool bound = false, ok;

	if (one_bdf_arg("info", argc, argv, 1, &bdf, name))
		return EXIT_USAGE;
	if (read_dev(&bdf, name, &d))
		return EXIT_FAILED;
	snprintf(dir, sizeof(dir), "/sys/bus/pci/devices/%s", name);
	if (smmuctl_pci_regions(dir, regions, &nregions))
		nregions = 0;
	irq_err = smmuctl_pci_irqs(dir, &irqs);
	/* The group's other members; without them the group is judged by d alone. */
	if (read_all_devs(&devs, &ndevs))
		ndevs = 0;
	if (open_dev_optional(&fd)) {
		free(devs);
		return EXIT_FAILED;
	}
	if (fd >= 0) {
		bound = !smmua_query(fd, &bdf, &q);
		/* Only a device with an IOMMU group has reserved regions. */
		if (smmua_resv_regions(fd, &bdf, &resv, &nresv))
			nresv = 0;
		/* Another process's space: root may look (SMMU_ASSIGN_BY_DEVICE). */
		if (bound && q.out_space_id)
			space_err = smmua_space_info(fd, 0, &bdf, &space);
		close(fd);
	}
	ok = assignable(&d, devs, ndevs, bound, why, sizeof(why));
	if (ctl.json) {
		json_device_open(name, &d);
		jw_str(&ctl.jw, "driver_override",
		       d.driver_override[0] ? d.driver_override : NULL);
		jw_bool(&ctl.jw, "assignable", ok);
		jw_str(&ctl.jw, "reason", why);
		jw_bool(&ctl.jw, "bound", bound);
		if (bound)
			json_binding(&q);
		else if (d.iommu_group >= 0)
			jw_int(&ctl.jw, "iommu_group", d.iommu_group);
		else
			jw_null(&ctl.jw, "iommu_group");
		json_group_peers(&d, devs, ndevs);
		json_regions(regions, nregions);
		json_irqs(&irqs, irq_err, bound ? &q : NULL);
		json_resv_regions(resv, nresv);
		if (!space_err)
			json_space_desc(&space);
		else if (bound)
			jw_null(&ctl.jw, "space");
		jw_obj_close(&ctl.jw);
		jw_end(&ctl.jw);
		goto out;
	}
	printf("%s  %04x:%04x  class %06x\n", name, d.vendor, d.device, d.class);
	printf("  driver:       %s%s%s%s\n", or_none(d.driver),
	       d.driver_override[0] ? " (override " : "", d.driver_override,
	       d.driver_override[0] ? ")" : "");
	printf("  assignable:   %s%s\n", ok ? "yes, " : "no, ", why);
	print_regions(regions, nregions);
	print_irqs(&irqs, irq_err);
	print_resv_regions("  reserved:", resv, nresv);
	if (!bound) {
		if (d.iommu_group >= 0)
			printf("  iommu group:  %d\n", d.iommu_group);
		print_group_peers(&d, devs, ndevs);
		goto out;
	}
	format_sids(q.out_sids, q.out_num_sids, sids, sizeof(sids));
	printf("  binding:      %s, %s", binding_kind(q.out_state),
	       q.out_state & SMMU_ASSIGN_STATE_OWNED ? "owned" : "unclaimed");
	if (q.out_owner_pid)
		printf(" by pid %u", q.out_owner_pid);
	if (q.out_state & SMMU_ASSIGN_STATE_PERSISTENT)
		printf(", %s", delegation_text(q.out_delegate_uid, q.out_delegate_gid));
	printf("\n");
	print_device_fd(&q);
	printf("  iommu group:  %u, %u device%s bound\n", q.out_group_id, q.out_num_devices,
	       q.out_num_devices == 1 ? "" : "s");
	print_group_peers(&d, devs, ndevs);
	printf("  iommu:        %s\n", q.out_iommu_name);
	printf("  stream IDs:   %s\n", sids);
	if (q.out_state & SMMU_ASSIGN_STATE_PERSISTENT)
		print_range("  window:", q.out_window_iova, q.out_window_length);
	printf("  page sizes:  ");
	if (q.out_pgsize_bitmap)
		print_page_sizes(q.out_pgsize_bitmap);
	else
		printf(" - (in no domain)");
	printf("\n  mappings:     %u\n", q.out_num_mappings);
	print_space(&q, &space, space_err);
out:
	smmua_space_desc_free(&space);
	free(resv);
	free(devs);
	return EXIT_OK;
}

/* ---- stats ---- */

static __u64 total_faults(const struct smmu_assign_stats *s)
{
	__u64 t = 0;
	int i;

	for (i = 0; i < SMMU_ASSIGN_FAULT_NR_REASONS; i++)
		t += s->faults[i];
	return t;
}

/* A device's counters: its faults, and the figures of its space. */
static void print_stats(const char *name, const struct smmu_assign_query *q)
{
	char b[SMMUA_SIZE_STRLEN], p[SMMUA_SIZE_STRLEN], space[SMMUCTL_SPACE_STRLEN];
	const struct smmu_assign_stats *s = &q->out_stats;

	smmua_format_size(s->bytes_mapped, b, sizeof(b));
	smmua_format_size(s->peak_bytes_mapped, p, sizeof(p));
	if (ctl.json) {
		jw_obj_open(&ctl.jw, NULL);
		jw_str(&ctl.jw, "bdf", name);
		if (q->out_space_id)
			jw_u64(&ctl.jw, "space_id", q->out_space_id);
		else
			jw_null(&ctl.jw, "space_id");
		jw_u64(&ctl.jw, "maps", s->maps);
		jw_u64(&ctl.jw, "unmaps", s->unmaps);
		jw_u64(&ctl.jw, "bytes_mapped", s->bytes_mapped);
		jw_u64(&ctl.jw, "peak_bytes_mapped", s->peak_bytes_mapped);
		jw_u64(&ctl.jw, "pinned_pages", s->pinned_pages);
		jw_u64(&ctl.jw, "peak_pinned_pages", s->peak_pinned_pages);
		jw_u64(&ctl.jw, "iotlb_syncs", s->iotlb_syncs);
		jw_u64(&ctl.jw, "faults", total_faults(s));
		jw_u64(&ctl.jw, "faults_lost", s->faults_lost);
		jw_u64(&ctl.jw, "bound_ns", s->bound_ns);
		jw_obj_close(&ctl.jw);
		return;
	}
	smmuctl_format_space(q->out_space_id, q->out_space_name, space, sizeof(space));
	printf("%s (space %s):\n", name, space);
	printf("  maps %llu, unmaps %llu, mapped %s (peak %s)\n",
	       (unsigned long long)s->maps, (unsigned long long)s->unmaps, b, p);
	printf("  pinned pages %llu (peak %llu), IOTLB syncs %llu\n",
	       (unsigned long long)s->pinned_pages, (unsigned long long)s->peak_pinned_pages,
	       (unsigned long long)s->iotlb_syncs);
	printf("  faults %llu (lost %llu), bound %.3f s\n",
	       (unsigned long long)total_faults(s), (unsigned long long)s->faults_lost,
	       s->bound_ns / 1e9);
}

static int cmd_stats(int argc, char **argv)
{
	struct smmu_assign_bdf one, *bdfs = NULL;
	struct smmu_assign_get_info gi;
	struct smmu_assign_query q;
	char name[SMMUA_BDF_STRLEN], b[SMMUA_SIZE_STRLEN];
	size_t n, i;
	int fd, ret;

	if (argc > 2) {
		smmuctl_err("stats takes at most one BDF: run 'smmuctl help stats'");
		return EXIT_USAGE;
	}
	if (argc == 2 && parse_bdf_arg(argv[1], &one, name))
		return EXIT_USAGE;
	fd = open_dev();
	if (fd < 0)
		return EXIT_FAILED;
	ret = smmua_get_info(fd, &gi);
	if (ret) {
		smmuctl_err("GET_INFO failed: %s", strerror(-ret));
		goto out;
	}
	if (argc == 2) {
		bdfs = malloc(sizeof(*bdfs));
		if (!bdfs) {
			ret = -ENOMEM;
			goto out;
		}
		bdfs[0] = one;
		n = 1;
		ret = smmua_query(fd, &one, &q);
		if (ret) {
			if (ret == -ENOENT)
				smmuctl_err("%s is not bound: run 'smmuctl bind %s --window IOVA:SIZE'",
					    name, name);
			else
				smmuctl_err("QUERY of %s failed: %s", name, strerror(-ret));
			goto out;
		}
	} else {
		ret = smmua_list(fd, &bdfs, &n);
		if (ret) {
			smmuctl_err("LIST failed: %s", strerror(-ret));
			goto out;
		}
	}
	smmua_format_size(gi.out_bytes_mapped, b, sizeof(b));
	if (ctl.json) {
		jw_obj_open(&ctl.jw, NULL);
		jw_obj_open(&ctl.jw, "global");
		jw_u64(&ctl.jw, "num_devices", gi.out_num_devices);
		jw_u64(&ctl.jw, "total_maps", gi.out_total_maps);
		jw_u64(&ctl.jw, "total_unmaps", gi.out_total_unmaps);
		jw_u64(&ctl.jw, "total_faults", gi.out_total_faults);
		jw_u64(&ctl.jw, "bytes_mapped", gi.out_bytes_mapped);
		jw_obj_close(&ctl.jw);
		jw_arr_open(&ctl.jw, "devices");
	} else {
		printf("global: %u devices bound, maps %llu, unmaps %llu, faults %llu, mapped %s\n",
		       gi.out_num_devices, (unsigned long long)gi.out_total_maps,
		       (unsigned long long)gi.out_total_unmaps,
		       (unsigned long long)gi.out_total_faults, b);
	}
	for (i = 0; i < n; i++) {
		/* A device unbound since LIST is skipped. */
		if (smmua_query(fd, &bdfs[i], &q))
			continue;
		smmua_format_bdf(&bdfs[i], name, sizeof(name));
		print_stats(name, &q);
	}
	if (ctl.json)
		jw_arr_close(&ctl.jw);
	smmuctl_pmcg();
	if (ctl.json) {
		jw_obj_close(&ctl.jw);
		jw_end(&ctl.jw);
	}
	ret = 0;
out:
	free(bdfs);
	close(fd);
	return ret ? EXIT_FAILED : EXIT_OK;
}

/* ---- faults ---- */

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

static void print_event(const struct smmu_assign_fault_event *e)
{
	char name[SMMUA_BDF_STRLEN];
	const char *access = e->flags & SMMU_ASSIGN_FAULT_WRITE ? "write" :
			     e->flags & SMMU_ASSIGN_FAULT_READ ? "read" : "unknown";

	smmua_format_bdf(&e->bdf, name, sizeof(name));
	if (e->flags & SMMU_ASSIGN_EVENT_DEVICE_GONE) {
		if (ctl.json) {
			jw_obj_open(&ctl.jw, NULL);
			jw_u64(&ctl.jw, "seq", e->seq);
			jw_str(&ctl.jw, "bdf", name);
			jw_str(&ctl.jw, "event", "device_gone");
			jw_obj_close(&ctl.jw);
			jw_end(&ctl.jw);
		} else {
			printf("%s left its driver: the binding ended\n", name);
		}
		fflush(stdout);
		return;
	}
	if (ctl.json) {
		/* One object per line, for a consumer that reads a stream. */
		jw_obj_open(&ctl.jw, NULL);
		jw_u64(&ctl.jw, "seq", e->seq);
		jw_u64(&ctl.jw, "timestamp_ns", e->timestamp_ns);
		jw_str(&ctl.jw, "bdf", name);
		jw_u64(&ctl.jw, "sid", e->sid);
		jw_u64(&ctl.jw, "iova", e->iova);
		jw_str(&ctl.jw, "reason", smmua_fault_reason_name(e->reason));
		jw_str(&ctl.jw, "access", access);
		jw_u64(&ctl.jw, "lost", e->lost);
		jw_obj_close(&ctl.jw);
		jw_end(&ctl.jw);
	} else {
		printf("%llu.%09llu %s sid 0x%x %s %s at iova 0x%llx",
		       (unsigned long long)(e->timestamp_ns / 1000000000),
		       (unsigned long long)(e->timestamp_ns % 1000000000), name, e->sid,
		       smmua_fault_reason_name(e->reason), access,
		       (unsigned long long)e->iova);
		if (e->lost)
			printf(" (%u lost before)", e->lost);
		printf("\n");
	}
	fflush(stdout);
}

/* Why there are no fault records where GET_INFO lacks SMMU_ASSIGN_CAP_FAULTS. */
#define NO_FAULTS_REASON \
	"faults not delivered by this kernel: from 6.9 its IOMMU core reports no unrecoverable faults and arm-smmu-v3 only logs them (dmesg)"

static bool faults_delivered(int fd)
{
	struct smmu_assign_get_info info;

	return smmua_get_info(fd, &info) || (info.out_capabilities & SMMU_ASSIGN_CAP_FAULTS);
}

static int follow(int fd, const struct smmu_assign_bdf *bdf, const char *name,
		  const struct smmu_assign_query *q)
{
	struct smmu_assign_fault_event ev[16];
	struct sigaction sa = { .sa_handler = on_signal };
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	size_t n, i;
	int ret;

	/* Waiting for records that never come would look like a quiet device. */
	if (!faults_delivered(fd)) {
		smmuctl_err("%s: %s", name, NO_FAULTS_REASON);
		return EXIT_FAILED;
	}
	/* Into a space of this file: its faults come to this file. */
	ret = smmua_claim(fd, bdf, 0, 0, NULL);
	if (ret == -EBUSY) {
		smmuctl_err("%s: %s: another process (pid %u) holds the binding and gets its faults: stop it, or run 'smmuctl faults %s' for the counters",
			    name, strerror(-ret), q->out_owner_pid, name);
		return EXIT_FAILED;
	}
	if (ret == -EINVAL) {
		smmuctl_err("%s: the binding is per-file, owned by pid %u: only it reads the fault records",
			    name, q->out_owner_pid);
		return EXIT_FAILED;
	}
	if (ret) {
		smmuctl_err("cannot claim %s: %s", name, strerror(-ret));
		return EXIT_FAILED;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (!ctl.json)
		printf("following faults of %s (Ctrl-C stops)\n", name);
	fflush(stdout);
	while (!stop) {
		ret = poll(&pfd, 1, -1);
		if (ret < 0) {
			if (errno == EINTR)
				continue;
			smmuctl_err("poll: %s", strerror(errno));
			return EXIT_FAILED;
		}
		ret = smmua_read_faults(fd, ev, 16, &n);
		if (ret == -EAGAIN)
			continue;
		if (ret) {
			smmuctl_err("reading fault records: %s", strerror(-ret));
			return EXIT_FAILED;
		}
		for (i = 0; i < n; i++) {
			print_event(&ev[i]);
			if (ev[i].flags & SMMU_ASSIGN_EVENT_DEVICE_GONE)
				return EXIT_OK;
		}
	}
	/* Closing the file releases the claim; the binding stays. */
	return EXIT_OK;
}

static int cmd_faults(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "follow", no_argument, NULL, 'f' },
		{ }
	};
	char name[SMMUA_BDF_STRLEN];
	struct smmu_assign_bdf bdf;
	struct smmu_assign_query q;
	bool follow_ = false, delivered;
	int c, fd, ret, i;

	while ((c = getopt_long(argc, argv, "f", opts, NULL)) != -1) {
		if (c != 'f')
			return EXIT_USAGE;
		follow_ = true;
	}
	if (one_bdf_arg("faults", argc, argv, optind, &bdf, name))
		return EXIT_USAGE;
	fd = open_dev();
	if (fd < 0)
		return EXIT_FAILED;
	ret = smmua_query(fd, &bdf, &q);
	if (ret) {
		if (ret == -ENOENT)
			smmuctl_err("%s is not bound: run 'smmuctl bind %s --window IOVA:SIZE'",
				    name, name);
		else
			smmuctl_err("QUERY of %s failed: %s", name, strerror(-ret));
		close(fd);
		return EXIT_FAILED;
	}
	if (follow_) {
		ret = follow(fd, &bdf, name, &q);
		close(fd);
		return ret;
	}
	delivered = faults_delivered(fd);
	close(fd);
	if (ctl.json) {
		jw_obj_open(&ctl.jw, NULL);
		jw_str(&ctl.jw, "bdf", name);
		jw_bool(&ctl.jw, "delivered", delivered);
		jw_u64(&ctl.jw, "total", total_faults(&q.out_stats));
		jw_u64(&ctl.jw, "lost", q.out_stats.faults_lost);
		jw_obj_open(&ctl.jw, "reasons");
		for (i = 0; i < SMMU_ASSIGN_FAULT_NR_REASONS; i++)
			jw_u64(&ctl.jw, smmua_fault_reason_name(i), q.out_stats.faults[i]);
		jw_obj_close(&ctl.jw);
		jw_obj_close(&ctl.jw);
		jw_end(&ctl.jw);
		return EXIT_OK;
	}
	printf("%s: %llu faults, %llu lost\n", name,
	       (unsigned long long)total_faults(&q.out_stats),
	       (unsigned long long)q.out_stats.faults_lost);
	for (i = 0; i < SMMU_ASSIGN_FAULT_NR_REASONS; i++)
		printf("  %-16s %llu\n", smmua_fault_reason_name(i),
		       (unsigned long long)q.out_stats.faults[i]);
	if (!delivered)
		printf("(%s)\n", NO_FAULTS_REASON);
	return EXIT_OK;
}

/* ---- mappings, translate ---- */

/*
 * Why MAPPINGS or TRANSLATE (what) by device failed. ENOENT means the
 * device is not bound, or in no space, or (iova non-NULL) nothing is
 * mapped at *iova: QUERY tells which.
 */
static void explain_space_err(int fd, const struct smmu_assign_bdf *bdf, const char *name,
			      const char *what, int err, const __u64 *iova)
{
	struct smmu_assign_query q;

	if (err == -ENOENT && smmua_query(fd, bdf, &q))
		smmuctl_err("%s is not bound: see 'smmuctl list'", name);
	else if (err == -ENOENT && !q.out_space_id)
		smmuctl_err("%s is in no space: its persistent binding is unclaimed, so nothing is mapped until a program claims it",
			    name);
	else if (err == -ENOENT && iova)
		smmuctl_err("0x%llx is not mapped for %s: see 'smmuctl mappings %s'",
			    (unsigned long long)*iova, name, name);
	else if (err == -EPERM)
		smmuctl_err("%s of %s: %s: only its space's owner or CAP_SYS_ADMIN may look: run as root",
			    what, name, strerror(-err));
	else
		smmuctl_err("%s of %s failed: %s", what, name, strerror(-err));
}

static int cmd_mappings(int argc, char **argv)
{
	struct smmu_assign_mapping_info *m;
	char name[SMMUA_BDF_STRLEN], len[SMMUA_SIZE_STRLEN];
	struct smmu_assign_bdf bdf;
	size_t n, i;
	int fd, ret;

	if (one_bdf_arg("mappings", argc, argv, 1, &bdf, name))
		return EXIT_USAGE;
	fd = open_dev();
	if (fd < 0)
		return EXIT_FAILED;
	ret = smmua_mappings(fd, 0, &bdf, &m, &n);
	if (ret) {
		explain_space_err(fd, &bdf, name, "MAPPINGS", ret, NULL);
		close(fd);
		return EXIT_FAILED;
	}
	close(fd);
	if (ctl.json) {
		jw_obj_open(&ctl.jw, NULL);
		jw_str(&ctl.jw, "bdf", name);
		jw_arr_open(&ctl.jw, "mappings");
	} else {
		printf("%-18s %-10s %-18s %s\n", "IOVA", "LENGTH", "USER_VA", "ACCESS");
	}
	for (i = 0; i < n; i++) {
		if (ctl.json) {
			jw_obj_open(&ctl.jw, NULL);
			jw_u64(&ctl.jw, "iova", m[i].iova);
			jw_u64(&ctl.jw, "length", m[i].length);
			jw_u64(&ctl.jw, "user_va", m[i].user_va);
			jw_bool(&ctl.jw, "read", m[i].flags & SMMU_ASSIGN_MAP_READ);
			jw_bool(&ctl.jw, "write", m[i].flags & SMMU_ASSIGN_MAP_WRITE);
			jw_obj_close(&ctl.jw);
			continue;
		}
		smmua_format_size(m[i].length, len, sizeof(len));
		printf("0x%-16llx %-10s 0x%-16llx %s%s\n", (unsigned long long)m[i].iova,
		       len, (unsigned long long)m[i].user_va,
		       m[i].flags & SMMU_ASSIGN_MAP_READ ? "r" : "-",
		       m[i].flags & SMMU_ASSIGN_MAP_WRITE ? "w" : "-");
	}
	if (ctl.json) {
		jw_arr_close(&ctl.jw);
		jw_obj_close(&ctl.jw);
		jw_end(&ctl.jw);
	} else if (!n) {
		printf("(no mappings)\n");
	}
	free(m);
	return EXIT_OK;
}

static int cmd_translate(int argc, char **argv)
{
	char name[SMMUA_BDF_STRLEN];
	struct smmu_assign_translate t;
	struct smmu_assign_bdf bdf;
	__u64 iova;
	int fd, ret;

	if (argc != 3) {
		smmuctl_err("translate needs a BDF and an IOVA: run 'smmuctl help translate'");
		return EXIT_USAGE;
	}
	if (parse_bdf_arg(argv[1], &bdf, name))
		return EXIT_USAGE;
	if (smmua_parse_u64(argv[2], &iova)) {
		smmuctl_err("'%s' is not an IOVA: want a number such as 0x100000", argv[2]);
		return EXIT_USAGE;
	}
	fd = open_dev();
	if (fd < 0)
		return EXIT_FAILED;
	ret = smmua_translate(fd, 0, &bdf, iova, &t);
	if (ret == -EIO)
		smmuctl_err("%s: %s: an SMMU page table of its space disagrees with the mapping at 0x%llx (a kernel bug: see dmesg)",
			    name, strerror(-ret), (unsigned long long)iova);
	else if (ret)
		explain_space_err(fd, &bdf, name, "TRANSLATE", ret, &iova);
	close(fd);
	if (ret)
		return EXIT_FAILED;
	if (ctl.json) {
		jw_obj_open(&ctl.jw, NULL);
		jw_str(&ctl.jw, "bdf", name);
		jw_u64(&ctl.jw, "iova", iova);
		jw_u64(&ctl.jw, "user_va", t.out_user_va);
		if (t.out_flags & SMMU_ASSIGN_XLATE_PHYS)
			jw_u64(&ctl.jw, "phys", t.out_phys);
		else
			jw_null(&ctl.jw, "phys");
		jw_bool(&ctl.jw, "read", t.out_flags & SMMU_ASSIGN_XLATE_READ);
		jw_bool(&ctl.jw, "write", t.out_flags & SMMU_ASSIGN_XLATE_WRITE);
		jw_obj_close(&ctl.jw);
		jw_end(&ctl.jw);
		return EXIT_OK;
	}
	printf("%s: iova 0x%llx -> user va 0x%llx", name, (unsigned long long)iova,
	       (unsigned long long)t.out_user_va);
	if (t.out_flags & SMMU_ASSIGN_XLATE_PHYS)
		printf(", phys 0x%llx", (unsigned long long)t.out_phys);
	printf(", %s%s\n", t.out_flags & SMMU_ASSIGN_XLATE_READ ? "r" : "-",
	       t.out_flags & SMMU_ASSIGN_XLATE_WRITE ? "w" : "-");
	return EXIT_OK;
}

/* ---- version ---- */

static int cmd_version(int argc, char **argv)
{
	static const char * const caps[] = {
		"bind", "persistent", "faults", "query", "resv_regions", "delegate",
		"spaces", "groups", "device_fd", "map_vec",
	};
	struct smmu_assign_get_info info;
	unsigned int i;
	int fd, ret;

	if (argc > 1) {
		smmuctl_err("version takes no arguments");
		return EXIT_USAGE;
	}
	/* Shows a module of another API version before refusing it. */
	fd = open_dev_any_api();
	if (fd < 0)
		return EXIT_FAILED;
	ret = smmua_get_info(fd, &info);
	close(fd);
	if (ret) {
		smmuctl_err("GET_INFO failed: %s", strerror(-ret));
		return EXIT_FAILED;
	}
	if (ctl.json) {
		jw_obj_open(&ctl.jw, NULL);
		jw_u64(&ctl.jw, "smmuctl_api", SMMU_ASSIGN_API_VERSION);
		jw_u64(&ctl.jw, "module_api", info.out_api_version);
		jw_u64(&ctl.jw, "capabilities_mask", info.out_capabilities);
		jw_arr_open(&ctl.jw, "capabilities");
		for (i = 0; i < sizeof(caps) / sizeof(caps[0]); i++)
			if (info.out_capabilities & (1ULL << i))
				jw_str(&ctl.jw, NULL, caps[i]);
		jw_arr_close(&ctl.jw);
		jw_obj_close(&ctl.jw);
		jw_end(&ctl.jw);
	} else {
		printf("smmuctl API %u\n", SMMU_ASSIGN_API_VERSION);
		printf("module API %u, capabilities 0x%llx:", info.out_api_version,
		       (unsigned long long)info.out_capabilities);
		for (i = 0; i < sizeof(caps) / sizeof(caps[0]); i++)
			if (info.out_capabilities & (1ULL << i))
				printf(" %s", caps[i]);
		printf("\n");
	}
	return api_matches(&info) ? EXIT_FAILED : EXIT_OK;
}

/* ---- vfio-exec ---- */

#define VFIO_DEV_DIR	"/dev/vfio"

/*
 * Run a VMM that speaks VFIO with smmu-assign's VFIO-compatible nodes as
 * its /dev/vfio. Only a private mount namespace sees them there: VFIO's
 * own nodes stay where they are for everyone else, so a loaded VFIO and
 * its users are never disturbed.
 */
static int cmd_vfio_exec(int argc, char **argv)
{
	struct stat st;
	int i = 1, err;

	if (i < argc && !strcmp(argv[i], "--")) {
		i++;
	} else if (i < argc && argv[i][0] == '-') {
		smmuctl_err("vfio-exec: unknown option '%s': the command goes after '--'", argv[i]);
		return EXIT_USAGE;
	}
	if (i >= argc) {
		smmuctl_err("vfio-exec needs a command: smmuctl vfio-exec -- COMMAND [ARG...]");
		return EXIT_USAGE;
	}
	if (stat(SMMUA_VFIO_CONTAINER, &st)) {
		smmuctl_err("%s: %s: load the module (modprobe smmu_assign)", SMMUA_VFIO_CONTAINER,
			    strerror(errno));
		return EXIT_FAILED;
	}
	if (!S_ISCHR(st.st_mode)) {
		smmuctl_err("%s is not a character device", SMMUA_VFIO_CONTAINER);
		return EXIT_FAILED;
	}
	if (!stat(VFIO_DEV_DIR, &st) && !S_ISDIR(st.st_mode)) {
		smmuctl_err("%s is not a directory", VFIO_DEV_DIR);
		return EXIT_FAILED;
	}
	if (unshare(CLONE_NEWNS)) {
		err = errno;
		smmuctl_err("cannot make a private mount namespace: %s%s", strerror(err),
			    err == EPERM ? ": vfio-exec needs CAP_SYS_ADMIN (run it as root)" : "");
		return EXIT_FAILED;
	}
	/*
	 * The new namespace starts as a copy whose mounts may still be shared
	 * with the old one: made a slave, it keeps receiving the host's
	 * mounts, and the bind mount below goes nowhere else.
	 */
	if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL)) {
		smmuctl_err("cannot make the mount namespace private: %s", strerror(errno));
		return EXIT_FAILED;
	}
	/* Without VFIO loaded there is no /dev/vfio to mount over. */
	if (mkdir(VFIO_DEV_DIR, 0755) && errno != EEXIST) {
		smmuctl_err("cannot create %s: %s", VFIO_DEV_DIR, strerror(errno));
		return EXIT_FAILED;
	}
	if (mount(SMMUA_VFIO_DIR, VFIO_DEV_DIR, NULL, MS_BIND, NULL)) {
		smmuctl_err("cannot bind-mount %s on %s: %s", SMMUA_VFIO_DIR, VFIO_DEV_DIR,
			    strerror(errno));
		return EXIT_FAILED;
	}
	execvp(argv[i], argv + i);
	/* As env(1) says it: 127 for a command not found, 126 for one that would not run. */
	err = errno;
	smmuctl_err("cannot run '%s': %s", argv[i], strerror(err));
	return err == ENOENT ? 127 : 126;
}

/* ---- dispatch and help ---- */

static int cmd_help(int argc, char **argv);

static const struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *synopsis;
	const char *help;
} commands[] = {
	{ "list", cmd_list, "list",
	  "Every PCI device: BDF, vendor:device, class, driver, IOMMU group; for a\n"
	  "bound device its stream IDs, its space (ID:NAME, or 'unclaimed' for a\n"
	  "persistent binding no program has claimed), its domain (own, shared,\n"
	  "mirrored) and the devices of its group bound; whether it can be bound\n"
	  "(or why not: binding takes its whole IOMMU group).\n" },
	{ "takeover", cmd_takeover, "takeover BDF [--driver smmu-assign|vfio-pci]",
	  "Hand the device to the smmu-assign stub driver (default) or vfio-pci:\n"
	  "its current driver is remembered in " SMMUA_STATE_DIR "/BDF.driver,\n"
	  "unbound, driver_override is set and the device reprobed.\n" },
	{ "giveback", cmd_giveback, "giveback BDF",
	  "Undo takeover: clear driver_override and rebind the remembered driver\n"
	  "(or let the kernel probe one). The device must not be bound.\n" },
	{ "bind", cmd_bind, "bind BDF --window IOVA:SIZE [--space NAME]",
	  "Bind the device's whole IOMMU group, its DMA blocked until a program\n"
	  "CLAIMs the binding into an address space: with --space, the program's\n"
	  "space named NAME (1 to 31 letters, digits, '.', '_', '-'), made with\n"
	  "the window as its allowed IOVA range if it has none so named; else a\n"
	  "new space with the window. So one program's claims of the bindings\n"
	  "named alike share one space. The binding is persistent (it outlives\n"
	  "smmuctl). Sizes take K, M, G, T; numbers are decimal or 0x hex.\n"
	  "Needs CAP_SYS_ADMIN.\n" },
	{ "unbind", cmd_unbind, "unbind BDF",
	  "End a persistent binding that no process has claimed: every device of\n"
	  "its IOMMU group.\n" },
	{ "delegate", cmd_delegate, "delegate BDF [--user USER] [--group GROUP]",
	  "Let USER, or the members of GROUP (numeric IDs; 'none' for nobody),\n"
	  "claim the persistent binding and map into it without CAP_SYS_ADMIN,\n"
	  "and nothing else. Replaces an earlier delegation. Needs CAP_SYS_ADMIN.\n" },
	{ "apply", cmd_apply, "apply [--config PATH] [--force] [--dry-run]",
	  "Bring the devices declared in " SMMUCTL_CONF_DIR "/*.conf (or PATH, a\n"
	  "file or directory) to their declared state: on their driver (takeover),\n"
	  "bound persistently with their window and space name, delegated. What is\n"
	  "already so is left alone; each device's changes are reported. A device\n"
	  "is taken from a driver other than smmu-assign or vfio-pci only with\n"
	  "--force. A malformed file is refused, with its line, before anything\n"
	  "changes. --dry-run says what would change. Needs CAP_SYS_ADMIN. One\n"
	  "device a line (see smmuctl(8)):\n"
	  "  DEVICE window=IOVA:SIZE [space=NAME] [user=UID] [group=GID]\n"
	  "         [driver=smmu-assign|vfio-pci]\n"
	  "DEVICE is a BDF or VENDOR:DEVICE[/N], the N-th (from 0) with that ID.\n" },
	{ "info", cmd_info, "info BDF",
	  "The device's sysfs view: its regions (BARs and ROM: size, flags, whether\n"
	  "a device fd can mmap them) and interrupts (INTx pin, MSI and MSI-X\n"
	  "vectors); its IOMMU group's reserved regions and other members and,\n"
	  "when bound, its binding: owner, whether it holds a device fd and the\n"
	  "interrupts enabled through it, SIDs, SMMU, window, page sizes,\n"
	  "mappings, and its space: ID, name, domain, owner, allowed ranges, the\n"
	  "reserved regions of its groups, devices, bytes mapped.\n" },
	{ "stats", cmd_stats, "stats [BDF]",
	  "Global counters, per-device counters (of BDF or of every bound device:\n"
	  "its faults, and the figures of its space, shared by the space's\n"
	  "devices), and the SMMU's PMCG counter PMUs when there are any.\n" },
	{ "faults", cmd_faults, "faults BDF [--follow]",
	  "Fault counters by reason. --follow claims the persistent binding into\n"
	  "a space of smmuctl's own that maps nothing, and prints each fault record\n"
	  "until interrupted; it fails at once where the kernel delivers no faults\n"
	  "(6.9 and later).\n" },
	{ "mappings", cmd_mappings, "mappings BDF",
	  "The mappings of the device's space: IOVA, length, owner's virtual\n"
	  "address, access. Root may look at any space.\n" },
	{ "translate", cmd_translate, "translate BDF IOVA",
	  "Look IOVA up in the mappings of the device's space and in the page\n"
	  "table of every SMMU domain of it: the owner's virtual address and (for\n"
	  "root) the physical address.\n" },
	{ "vfio-exec", cmd_vfio_exec, "vfio-exec -- COMMAND [ARG...]",
	  "Run COMMAND (a VMM that speaks VFIO, e.g. QEMU with -device vfio-pci)\n"
	  "with smmu-assign's VFIO-compatible nodes as its /dev/vfio: in a private\n"
	  "mount namespace, " SMMUA_VFIO_DIR " is bind-mounted on /dev/vfio (made\n"
	  "if missing), so /dev/vfio/vfio is smmu-assign's container and\n"
	  "/dev/vfio/GROUP the node of each bound IOMMU group. VFIO's own nodes stay\n"
	  "untouched for every other process. Bind the devices persistently first\n"
	  "('smmuctl bind'). Exits with COMMAND's status; 126 or 127 when it cannot\n"
	  "be run. Needs CAP_SYS_ADMIN.\n" },
	{ "version", cmd_version, "version",
	  "The API versions of smmuctl and of the loaded module, and its\n"
	  "capabilities. Fails when the versions differ: smmuctl refuses a module\n"
	  "of another API version in every command.\n" },
	{ "help", cmd_help, "help [COMMAND]", "This text, or a command's.\n" },
};

#define NR_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static const struct command *find_command(const char *name)
{
	size_t i;

	for (i = 0; i < NR_COMMANDS; i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

static void usage(FILE *out)
{
	size_t i;

	fprintf(out, "Usage: smmuctl [-j|--json] [-p|--pretty] COMMAND [ARGS]\n\nCommands:\n");
	for (i = 0; i < NR_COMMANDS; i++)
		fprintf(out, "  %s\n", commands[i].synopsis);
	fprintf(out,
		"\nBDF is [domain:]bus:device.function in hex, e.g. 00:02.0.\n"
		"Options (anywhere): -j/--json JSON output, -p/--pretty indented JSON,\n"
		"-h/--help help. Exit status: 0 success, 1 failure, 2 usage error.\n"
		"'smmuctl help COMMAND' describes a command; see smmuctl(8).\n");
}

static void command_help(const struct command *c)
{
	printf("Usage: smmuctl [-j] [-p] %s\n\n%s", c->synopsis, c->help);
}

static int cmd_help(int argc, char **argv)
{
	const struct command *c;

	if (argc < 2) {
		usage(stdout);
		return EXIT_OK;
	}
	c = find_command(argv[1]);
	if (!c) {
		smmuctl_err("unknown command '%s': run 'smmuctl help'", argv[1]);
		return EXIT_USAGE;
	}
	command_help(c);
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	const struct command *c;
	bool help = false;
	int i, n = 0, ret;

	/* The global options may come anywhere, iproute2 style. */
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--")) {
			for (; i < argc; i++)
				argv[1 + n++] = argv[i];
			break;
		}
		if (!strcmp(argv[i], "-j") || !strcmp(argv[i], "--json"))
			ctl.json = true;
		else if (!strcmp(argv[i], "-p") || !strcmp(argv[i], "--pretty"))
			ctl.pretty = true;
		else if (!strcmp(argv[i], "-jp") || !strcmp(argv[i], "-pj"))
			ctl.json = ctl.pretty = true;
		else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			help = true;
		else
			argv[1 + n++] = argv[i];
	}
	argc = 1 + n;
	argv[argc] = NULL;
	jw_init(&ctl.jw, stdout, ctl.pretty);

	if (argc < 2) {
		if (help) {
			usage(stdout);
			return EXIT_OK;
		}
		usage(stderr);
		return EXIT_USAGE;
	}
	c = find_command(argv[1]);
	if (!c) {
		smmuctl_err("unknown command '%s': run 'smmuctl help'", argv[1]);
		return EXIT_USAGE;
	}
	if (help) {
		command_help(c);
		return EXIT_OK;
	}
	/* getopt_long reports unknown options itself; ours say what to run. */
	opterr = 1;
	optind = 0;
	ret = c->fn(argc - 1, argv + 1);
	if (fflush(stdout)) {
		smmuctl_err("writing output: %s", strerror(errno));
		return EXIT_FAILED;
	}
	return ret;
}
