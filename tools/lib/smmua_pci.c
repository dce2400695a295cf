// SPDX-License-Identifier: GPL-2.0
/*
 * libsmmu-assign: PCI devices as sysfs shows them, and handing one to the
 * smmu-assign stub (or vfio-pci) and back, the way driverctl does.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "smmu_assign_lib.h"

#define PCI_DEVICES	"/sys/bus/pci/devices"
#define PCI_DRIVERS	"/sys/bus/pci/drivers"

static void dev_path(const struct smmu_assign_bdf *bdf, const char *attr,
		     char *buf, size_t len)
{
	char name[SMMUA_BDF_STRLEN];

	smmua_format_bdf(bdf, name, sizeof(name));
	snprintf(buf, len, PCI_DEVICES "/%s%s%s", name, attr ? "/" : "", attr ? attr : "");
}

/* First line of a sysfs file, without its newline. */
static int read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	int ret = 0;

	if (!f)
		return -errno;
	if (!fgets(buf, len, f))
		buf[0] = '\0';
	else
		buf[strcspn(buf, "\n")] = '\0';
	if (ferror(f))
		ret = -EIO;
	fclose(f);
	return ret;
}

static int write_str(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;
	int err;

	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	err = errno;
	close(fd);
	if (n < 0)
		return -err;
	return (size_t)n == strlen(val) ? 0 : -EIO;
}

static int read_hex(const struct smmu_assign_bdf *bdf, const char *attr, unsigned int *val)
{
	char path[PATH_MAX], line[32], *end;
	int ret;

	dev_path(bdf, attr, path, sizeof(path));
	ret = read_line(path, line, sizeof(line));
	if (ret)
		return ret;
	*val = strtoul(line, &end, 16);
	return end == line ? -EIO : 0;
}

/* basename of a link's target into buf, "" when the link is absent. */
static int link_name(const char *path, char *buf, size_t len)
{
	char target[PATH_MAX];
	ssize_t n = readlink(path, target, sizeof(target) - 1);

	if (n < 0) {
		if (errno != ENOENT)
			return -errno;
		buf[0] = '\0';
		return 0;
	}
	target[n] = '\0';
	snprintf(buf, len, "%s", basename(target));
	return 0;
}

int smmua_pci_driver(const struct smmu_assign_bdf *bdf, char *buf, size_t len)
{
	char path[PATH_MAX];

	dev_path(bdf, NULL, path, sizeof(path));
	if (access(path, F_OK))
		return -ENODEV;
	dev_path(bdf, "driver", path, sizeof(path));
	return link_name(path, buf, len);
}

static int count_dir(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

int smmua_pci_read(const struct smmu_assign_bdf *bdf, struct smmua_pci_dev *dev)
{
	char path[PATH_MAX], group[32];
	int ret;

	memset(dev, 0, sizeof(*dev));
	dev->bdf = *bdf;
	dev->iommu_group = -1;
	ret = smmua_pci_driver(bdf, dev->driver, sizeof(dev->driver));
	if (ret)
		return ret;
	ret = read_hex(bdf, "vendor", &dev->vendor);
	if (!ret)
		ret = read_hex(bdf, "device", &dev->device);
	if (!ret)
		ret = read_hex(bdf, "class", &dev->class);
	if (ret)
		return ret;
	dev_path(bdf, "driver_override", path, sizeof(path));
	if (read_line(path, dev->driver_override, sizeof(dev->driver_override)) ||
	    !strcmp(dev->driver_override, "(null)"))
		dev->driver_override[0] = '\0';
	dev_path(bdf, "iommu_group", path, sizeof(path));
	ret = link_name(path, group, sizeof(group));
	if (ret)
		return ret;
	if (group[0]) {
		dev->iommu_group = atoi(group);
		dev_path(bdf, "iommu_group/devices", path, sizeof(path));
		dev->group_size = count_dir(path);
	}
	return 0;
}

static int cmp_bdf(const void *a, const void *b)
{
	const struct smmu_assign_bdf *x = a, *y = b;

	if (x->segment != y->segment)
		return x->segment - y->segment;
	if (x->bus != y->bus)
		return x->bus - y->bus;
	if (x->device != y->device)
		return x->device - y->device;
	return x->function - y->function;
}

int smmua_pci_list(struct smmu_assign_bdf **bdfs, size_t *num)
{
	struct smmu_assign_bdf *v = NULL, *nv;
	size_t n = 0, cap = 0;
	struct dirent *e;
	DIR *d;

	d = opendir(PCI_DEVICES);
	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				free(v);
				closedir(d);
				return -ENOMEM;
			}
			v = nv;
		}
		if (!smmua_parse_bdf(e->d_name, &v[n]))
			n++;
	}
	closedir(d);
	if (n)
		qsort(v, n, sizeof(*v), cmp_bdf);
	*bdfs = v;
	*num = n;
	return 0;
}

static void state_path(const struct smmu_assign_bdf *bdf, char *buf, size_t len)
{
	char name[SMMUA_BDF_STRLEN];

	smmua_format_bdf(bdf, name, sizeof(name));
	snprintf(buf, len, SMMUA_STATE_DIR "/%s.driver", name);
}

static bool is_ours(const char *drv)
{
	return !strcmp(drv, SMMUA_STUB_DRIVER) || !strcmp(drv, SMMUA_VFIO_DRIVER);
}

/* Unbind bdf from whatever driver it is on. */
static int unbind_current(const struct smmu_assign_bdf *bdf, const char *drv)
{
	char path[PATH_MAX], name[SMMUA_BDF_STRLEN];

	if (!drv[0])
		return 0;
	smmua_format_bdf(bdf, name, sizeof(name));
	snprintf(path, sizeof(path), PCI_DRIVERS "/%s/unbind", drv);
	return write_str(path, name);
}

static int probe(const struct smmu_assign_bdf *bdf)
{
	char name[SMMUA_BDF_STRLEN];

	smmua_format_bdf(bdf, name, sizeof(name));
	return write_str("/sys/bus/pci/drivers_probe", name);
}

int smmua_pci_takeover(const struct smmu_assign_bdf *bdf, const char *driver,
		       char *prev, size_t prev_len)
{
	char cur[SMMUA_DRIVER_LEN], path[PATH_MAX], line[SMMUA_DRIVER_LEN + 1];
	struct stat st;
	FILE *f;
	int ret;

	ret = smmua_pci_driver(bdf, cur, sizeof(cur));
	if (ret)
		return ret;
	if (prev)
		snprintf(prev, prev_len, "%s", cur);
	if (!strcmp(cur, driver))
		return 0;
	snprintf(path, sizeof(path), PCI_DRIVERS "/%s", driver);
	if (stat(path, &st))
		return -ENOENT;

	/*
	 * Moving between the stub and vfio-pci keeps the first record: that
	 * is the driver to give the device back to.
	 */
	state_path(bdf, path, sizeof(path));
	if (!(is_ours(cur) && !access(path, F_OK))) {
		if (mkdir(SMMUA_STATE_DIR, 0755) && errno != EEXIST)
			return -errno;
		f = fopen(path, "we");
		if (!f)
			return -errno;
		fprintf(f, "%s\n", cur);
		if (fclose(f))
			return -errno;
	}

	ret = unbind_current(bdf, cur);
	if (ret)
		return ret;
	dev_path(bdf, "driver_override", path, sizeof(path));
	snprintf(line, sizeof(line), "%s", driver);
	ret = write_str(path, line);
	if (ret)
		return ret;
	/* drivers_probe fails with the probe's errno; the check below tells. */
	probe(bdf);
	ret = smmua_pci_driver(bdf, cur, sizeof(cur));
	if (ret)
		return ret;
	return strcmp(cur, driver) ? -EIO : 0;
}

int smmua_pci_giveback(const struct smmu_assign_bdf *bdf, char *now, size_t now_len)
{
	char cur[SMMUA_DRIVER_LEN], want[SMMUA_DRIVER_LEN] = "";
	char path[PATH_MAX], state[PATH_MAX];
	int ret;

	ret = smmua_pci_driver(bdf, cur, sizeof(cur));
	if (ret)
		return ret;
	state_path(bdf, state, sizeof(state));
	if (read_line(state, want, sizeof(want)))
		want[0] = '\0';

	ret = unbind_current(bdf, cur);
	if (ret)
		return ret;
	/*
	 * The override names the driver to return to while it probes, so a
	 * driver that took the device by new_id or override (pci-stub) takes
	 * it back too; then it is cleared, as before the takeover.
	 */
	dev_path(bdf, "driver_override", path, sizeof(path));
	ret = write_str(path, want[0] ? want : "\n");
	if (ret)
		return ret;
	probe(bdf);
	ret = write_str(path, "\n");
	if (ret)
		return ret;

	ret = smmua_pci_driver(bdf, cur, sizeof(cur));
	if (ret)
		return ret;
	if (now)
		snprintf(now, now_len, "%s", cur);
	if (want[0] && strcmp(cur, want))
		return -EIO;
	unlink(state);
	return 0;
}

int smmua_pci_command(const struct smmu_assign_bdf *bdf, uint16_t set, uint16_t clear,
		      uint16_t *out)
{
	char path[PATH_MAX];
	uint16_t cmd;
	int fd, ret = 0;

	dev_path(bdf, "config", path, sizeof(path));
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (pread(fd, &cmd, sizeof(cmd), SMMUA_PCI_COMMAND) != sizeof(cmd)) {
		ret = -EIO;
		goto out;
	}
	cmd = (cmd | set) & ~clear;
	if ((set || clear) &&
	    pwrite(fd, &cmd, sizeof(cmd), SMMUA_PCI_COMMAND) != sizeof(cmd)) {
		ret = -EIO;
		goto out;
	}
	/* Read back: a bit the device does not implement stays clear. */
	if (out && pread(fd, out, sizeof(*out), SMMUA_PCI_COMMAND) != sizeof(*out))
		ret = -EIO;
out:
	close(fd);
	return ret;
}
