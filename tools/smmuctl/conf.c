// SPDX-License-Identifier: GPL-2.0
/*
 * smmuctl: the declared devices of the .conf files of /etc/smmu-assign, which
 * smmuctl apply brings the machine to. One device a line:
 *
 *   DEVICE window=IOVA:SIZE [space=NAME] [user=UID] [group=GID]
 *          [driver=smmu-assign|vfio-pci]
 *
 * DEVICE is a BDF, or VENDOR:DEVICE[/N], the N-th device (from 0, in PCI
 * address order) with that ID. '#' starts a comment. Apart from smmuctl.c
 * so the host unit tests can link it.
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "smmuctl.h"

static int __printf(3, 4)
fail(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* 1 to 4 hex digits, the whole of s. */
static int parse_hex16(const char *s, size_t n, unsigned int *val)
{
	unsigned int v = 0;
	size_t i;

	if (!n || n > 4)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (s[i] >= '0' && s[i] <= '9')
			v = v * 16 + s[i] - '0';
		else if (s[i] >= 'a' && s[i] <= 'f')
			v = v * 16 + s[i] - 'a' + 10;
		else if (s[i] >= 'A' && s[i] <= 'F')
			v = v * 16 + s[i] - 'A' + 10;
		else
			return -EINVAL;
	}
	*val = v;
	return 0;
}

/* VENDOR:DEVICE[/N] */
static int parse_id_dev(const char *s, struct smmuctl_conf_dev *d)
{
	const char *colon = strchr(s, ':'), *slash;
	__u64 idx = 0;

	if (!colon)
		return -EINVAL;
	slash = strchr(colon, '/');
	if (parse_hex16(s, colon - s, &d->vendor) ||
	    parse_hex16(colon + 1, slash ? (size_t)(slash - colon - 1) : strlen(colon + 1),
			&d->device))
		return -EINVAL;
	/* The position is decimal: 0x or a suffix would be surprising here. */
	if (slash) {
		if (!slash[1] || strspn(slash + 1, "0123456789") != strlen(slash + 1) ||
		    strlen(slash + 1) > 4 || smmua_parse_u64(slash + 1, &idx))
			return -EINVAL;
	}
	d->index = idx;
	d->by_id = true;
	return 0;
}

static int parse_uid(const char *val, __u32 *id)
{
	__u64 v;

	if (strspn(val, "0123456789") != strlen(val) || smmua_parse_u64(val, &v) ||
	    v >= SMMU_ASSIGN_NO_ID)
		return -EINVAL;
	*id = v;
	return 0;
}

int smmuctl_conf_parse_line(const char *line, struct smmuctl_conf_dev *dev, char *err,
			    size_t len)
{
	char buf[SMMUCTL_CONF_LINE_MAX], *tok, *save, *val;
	bool window = false;
	int ret;

	if (strlen(line) >= sizeof(buf))
		return fail(err, len, "line longer than %d characters",
			    SMMUCTL_CONF_LINE_MAX - 1);
	strcpy(buf, line);
	buf[strcspn(buf, "#\n")] = '\0';
	memset(dev, 0, sizeof(*dev));
	dev->uid = SMMU_ASSIGN_NO_ID;
	dev->gid = SMMU_ASSIGN_NO_ID;
	strcpy(dev->driver, SMMUA_STUB_DRIVER);

	tok = strtok_r(buf, " \t\r", &save);
	if (!tok)
		return 0;
	if (strchr(tok, '.') ? smmua_parse_bdf(tok, &dev->bdf) : parse_id_dev(tok, dev))
		return fail(err, len,
			    "'%s' is not a device: want a BDF (0000:04:00.0) or VENDOR:DEVICE[/N] (1234:11e8/0)",
			    tok);
	while ((tok = strtok_r(NULL, " \t\r", &save))) {
		val = strchr(tok, '=');
		if (!val || val == tok)
			return fail(err, len, "'%s' is not KEY=VALUE", tok);
		*val++ = '\0';
		if (!strcmp(tok, "window")) {
			if (!strchr(val, ':'))
				return fail(err, len,
					    "window '%s': want IOVA:SIZE, e.g. 0x100000:16M", val);
			ret = smmua_parse_window(val, &dev->iova, &dev->length);
			if (ret)
				return fail(err, len, "window '%s': want IOVA:SIZE (%s)", val,
					    ret == -ERANGE ? "number too large" : "bad number");
			if (dev->iova + dev->length - 1 < dev->iova)
				return fail(err, len, "window '%s' wraps around", val);
			window = true;
		} else if (!strcmp(tok, "space")) {
			if (!smmuctl_space_name_ok(val))
				return fail(err, len,
					    "space '%s': want 1 to %d letters, digits, '.', '_' or '-'",
					    val, SMMU_ASSIGN_SPACE_NAME_LEN - 1);
			strcpy(dev->space, val);
		} else if (!strcmp(tok, "user") || !strcmp(tok, "group")) {
			if (parse_uid(val, tok[0] == 'u' ? &dev->uid : &dev->gid))
				return fail(err, len, "%s '%s': want a numeric ID (id -%c NAME)",
					    tok, val, tok[0] == 'u' ? 'u' : 'g');
		} else if (!strcmp(tok, "driver")) {
			if (strcmp(val, SMMUA_STUB_DRIVER) && strcmp(val, SMMUA_VFIO_DRIVER))
				return fail(err, len, "driver '%s': want %s or %s", val,
					    SMMUA_STUB_DRIVER, SMMUA_VFIO_DRIVER);
			strcpy(dev->driver, val);
		} else {
			return fail(err, len,
				    "unknown key '%s': want window, space, user, group or driver",
				    tok);
		}
	}
	if (!window)
		return fail(err, len, "no window=IOVA:SIZE");
	return 1;
}

void smmuctl_conf_dev_name(const struct smmuctl_conf_dev *d, char *buf, size_t len)
{
	if (d->by_id)
		snprintf(buf, len, "%04x:%04x/%u", d->vendor, d->device, d->index);
	else
		smmua_format_bdf(&d->bdf, buf, len);
}

static bool same_device(const struct smmuctl_conf_dev *a, const struct smmuctl_conf_dev *b)
{
	if (a->by_id != b->by_id)
		return false;
	if (a->by_id)
		return a->vendor == b->vendor && a->device == b->device && a->index == b->index;
	return !memcmp(&a->bdf, &b->bdf, sizeof(a->bdf));
}

struct conf_list {
	struct smmuctl_conf_dev *devs;
	size_t num, cap;
};

static int read_file(const char *path, struct conf_list *l, char *err, size_t len)
{
	char *line = NULL, name[SMMUCTL_CONF_NAME_LEN];
	struct smmuctl_conf_dev d, *nd;
	size_t cap = 0, i;
	int ret = 0, nr = 0;
	FILE *f;

	f = fopen(path, "re");
	if (!f) {
		ret = -errno;
		return fail(err, len, "%s: %s", path, strerror(-ret));
	}
	while (getline(&line, &cap, f) >= 0) {
		nr++;
		ret = smmuctl_conf_parse_line(line, &d, err, len);
		if (ret < 0) {
			/* Prefix the reason with where it is. */
			char why[256];

			snprintf(why, sizeof(why), "%s", err);
			fail(err, len, "%s:%d: %s", path, nr, why);
			break;
		}
		if (!ret)
			continue;
		snprintf(d.where, sizeof(d.where), "%s:%d", path, nr);
		for (i = 0; i < l->num; i++) {
			if (same_device(&l->devs[i], &d)) {
				smmuctl_conf_dev_name(&d, name, sizeof(name));
				ret = fail(err, len, "%s: %s is already declared at %s", d.where,
					   name, l->devs[i].where);
				break;
			}
		}
		if (ret < 0)
			break;
		if (l->num == l->cap) {
			l->cap = l->cap ? 2 * l->cap : 8;
			nd = realloc(l->devs, l->cap * sizeof(*nd));
			if (!nd) {
				ret = fail(err, len, "%s: out of memory", path);
				break;
			}
			l->devs = nd;
		}
		l->devs[l->num++] = d;
		ret = 0;
	}
	if (ret >= 0 && ferror(f))
		ret = fail(err, len, "%s: read error", path);
	free(line);
	fclose(f);
	return ret < 0 ? ret : 0;
}

static int conf_filter(const struct dirent *e)
{
	size_t n = strlen(e->d_name);

	return e->d_name[0] != '.' && n > 5 && !strcmp(e->d_name + n - 5, ".conf");
}

int smmuctl_conf_read(const char *path, struct smmuctl_conf_dev **devs, size_t *num,
		      char *err, size_t len)
{
	struct conf_list l = { 0 };
	struct dirent **names;
	char file[4096];
	struct stat st;
	int n, i, ret = 0;

	*devs = NULL;
	*num = 0;
	if (stat(path, &st)) {
		/* No configuration directory: nothing is declared. */
		if (errno == ENOENT)
			return 0;
		return fail(err, len, "%s: %s", path, strerror(errno));
	}
	if (!S_ISDIR(st.st_mode)) {
		ret = read_file(path, &l, err, len);
	} else {
		n = scandir(path, &names, conf_filter, alphasort);
		if (n < 0)
			return fail(err, len, "%s: %s", path, strerror(errno));
		for (i = 0; i < n; i++) {
			snprintf(file, sizeof(file), "%s/%s", path, names[i]->d_name);
			if (!ret)
				ret = read_file(file, &l, err, len);
			free(names[i]);
		}
		free(names);
	}
	if (ret) {
		free(l.devs);
		return ret;
	}
	*devs = l.devs;
	*num = l.num;
	return 0;
}
