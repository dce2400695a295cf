// SPDX-License-Identifier: GPL-2.0
/*
 * smmuctl apply: bring the machine to the devices declared in
 * the .conf files of /etc/smmu-assign (conf.c): each on its driver (takeover), bound
 * persistently with its window and space name, delegated as declared. What
 * already is as declared is left alone, so a second run changes nothing.
 * A device is taken from a driver other than the stub or vfio-pci only
 * with --force. A malformed file is refused before anything changes.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "smmuctl.h"

#define ACTIONS_LEN	512

struct apply_state {
	int fd;
	bool force, dry_run;
	struct smmua_pci_dev *all;	/* sysfs, re-read after a takeover */
	size_t num_all;
};

/* What happened to one declared device: its actions, or why it failed. */
struct apply_result {
	char bdf[SMMUA_BDF_STRLEN];
	char actions[ACTIONS_LEN];	/* "; "-separated */
	char error[ACTIONS_LEN];
	int nr_actions;
};

static void __printf(2, 3)
action(struct apply_result *r, const char *fmt, ...)
{
	size_t off = strlen(r->actions);
	va_list ap;

	if (off)
		off += snprintf(r->actions + off, sizeof(r->actions) - off, "; ");
	if (off < sizeof(r->actions)) {
		va_start(ap, fmt);
		vsnprintf(r->actions + off, sizeof(r->actions) - off, fmt, ap);
		va_end(ap);
	}
	r->nr_actions++;
}

static int __printf(2, 3)
failed(struct apply_result *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->error, sizeof(r->error), fmt, ap);
	va_end(ap);
	return -1;
}

static const struct smmua_pci_dev *find_dev(const struct apply_state *s,
					    const struct smmu_assign_bdf *bdf)
{
	size_t i;

	for (i = 0; i < s->num_all; i++)
		if (!memcmp(&s->all[i].bdf, bdf, sizeof(*bdf)))
			return &s->all[i];
	return NULL;
}

static int reread(struct apply_state *s)
{
	free(s->all);
	s->all = NULL;
	s->num_all = 0;
	return read_all_devs(&s->all, &s->num_all);
}

/* The BDF a declared device names now; -ENODEV when there is none. */
static int resolve(const struct apply_state *s, const struct smmuctl_conf_dev *c,
		   struct smmu_assign_bdf *bdf)
{
	unsigned int seen = 0;
	size_t i;

	if (!c->by_id) {
		*bdf = c->bdf;
		return find_dev(s, bdf) ? 0 : -ENODEV;
	}
	/* read_all_devs() is in PCI address order: the index counts in it. */
	for (i = 0; i < s->num_all; i++) {
		if (s->all[i].vendor != c->vendor || s->all[i].device != c->device)
			continue;
		if (seen++ == c->index) {
			*bdf = s->all[i].bdf;
			return 0;
		}
	}
	return -ENODEV;
}

static bool ours(const char *driver)
{
	return !strcmp(driver, SMMUA_STUB_DRIVER) || !strcmp(driver, SMMUA_VFIO_DRIVER);
}

/* Move bdf to driver, refusing to take it from a driver in use unless forced. */
static int take(struct apply_state *s, const struct smmua_pci_dev *d, const char *driver,
		const char *what, struct apply_result *r)
{
	char name[SMMUA_BDF_STRLEN], prev[SMMUA_DRIVER_LEN];
	int ret;

	smmua_format_bdf(&d->bdf, name, sizeof(name));
	if (d->driver[0] && !ours(d->driver) && !s->force) {
		if (!what[0])
			return failed(r,
				      "it is on %s: apply takes a device from its driver only with --force",
				      d->driver);
		return failed(r,
			      "%s%s is on %s: apply takes a device from its driver only with --force",
			      what, name, d->driver);
	}
	if (!s->dry_run) {
		ret = smmua_pci_takeover(&d->bdf, driver, prev, sizeof(prev));
		if (ret == -ENOENT)
			return failed(r, "%s%s: driver %s is not loaded (modprobe %s)", what, name,
				      driver, strcmp(driver, SMMUA_STUB_DRIVER) ?
				      "vfio-pci" : "smmu_assign");
		if (ret)
			return failed(r, "%s%s: takeover from %s to %s failed: %s", what, name,
				      d->driver[0] ? d->driver : "(none)", driver,
				      ret == -EIO ? "it did not bind (see dmesg)" : strerror(-ret));
	}
	action(r, "%s%s -> %s", what, d->driver[0] ? d->driver : "(none)", driver);
	return 0;
}

/* The group's other members BIND would refuse, moved to driver. */
static int take_group(struct apply_state *s, const struct smmu_assign_bdf *bdf,
		      const char *driver, struct apply_result *r)
{
	const struct smmua_pci_dev *d, *b;
	char name[SMMUA_BDF_STRLEN], what[64];
	int tries;

	for (tries = 0; tries < 32; tries++) {
		d = find_dev(s, bdf);
		b = d ? group_blocker(d, s->all, s->num_all) : NULL;
		if (!b)
			return 0;
		smmua_format_bdf(&b->bdf, name, sizeof(name));
		/* A bridge forwards its group's DMA: off its driver, onto no other. */
		if (is_bridge(b))
			return failed(r,
				      "IOMMU group %d: bridge %s is on %s: unbind it from %s first (see the admin guide)",
				      d->iommu_group, name, b->driver, b->driver);
		snprintf(what, sizeof(what), "IOMMU group %d: ", d->iommu_group);
		if (take(s, b, driver, what, r))
			return -1;
		/* A dry run moves nothing: report each member once. */
		if (s->dry_run)
			return 0;
		if (reread(s))
			return failed(r, "cannot read /sys/bus/pci/devices");
	}
	return failed(r, "IOMMU group of %s: its members do not stay on %s", r->bdf, driver);
}

static bool window_matches(const struct smmu_assign_query *q, const struct smmuctl_conf_dev *c)
{
	return q->out_window_iova == c->iova && q->out_window_length == c->length;
}

static bool space_matches(const struct smmu_assign_query *q, const struct smmuctl_conf_dev *c)
{
	char name[SMMU_ASSIGN_SPACE_NAME_LEN];

	smmuctl_space_name(q->out_space_name, name);
	return !strcmp(name, c->space);
}

static int bind_dev(struct apply_state *s, const struct smmuctl_conf_dev *c,
		    const struct smmu_assign_bdf *bdf, struct apply_result *r)
{
	struct smmu_assign_bind b = { 0 };
	char len[SMMUA_SIZE_STRLEN];
	int ret = 0;

	b.bdf = *bdf;
	b.flags = SMMU_ASSIGN_BIND_PERSISTENT;
	b.window_iova = c->iova;
	b.window_length = c->length;
	strcpy(b.space_name, c->space);
	if (!s->dry_run)
		ret = smmua_bind_cmd(s->fd, &b);
	switch (ret) {
	case 0:
		break;
	case -EBUSY:
		return failed(r,
			     "BIND: %s: its IOMMU group is in use (a VFIO user, or a member on another driver; see dmesg)",
			      strerror(-ret));
	case -EADDRINUSE:
		return failed(r,
			     "BIND: %s: the window overlaps a reserved region of its IOMMU group (smmuctl info %s)",
			      strerror(-ret), r->bdf);
	case -ERANGE:
		return failed(r, "BIND: %s: the window is outside the SMMU's aperture",
			      strerror(-ret));
	case -EINVAL:
		return failed(r,
			     "BIND: %s: a bridge, or a window not aligned to the page size (%ld)",
			      strerror(-ret), sysconf(_SC_PAGESIZE));
	case -EPERM:
		return failed(r,
			     "BIND: %s: needs CAP_SYS_ADMIN, and MSIs isolated (or allow_unsafe_interrupts)",
			      strerror(-ret));
	default:
		return failed(r, "BIND: %s", strerror(-ret));
	}
	smmua_format_size(c->length, len, sizeof(len));
	action(r, "bound (persistent), window 0x%llx+%s%s%s", (unsigned long long)c->iova, len,
	       c->space[0] ? ", space " : "", c->space);
	return 0;
}

static int apply_one(struct apply_state *s, const struct smmuctl_conf_dev *c,
		     const struct smmu_assign_bdf *bdf, struct apply_result *r)
{
	const struct smmua_pci_dev *d = find_dev(s, bdf);
	__u32 uid = SMMU_ASSIGN_NO_ID, gid = SMMU_ASSIGN_NO_ID;
	struct smmu_assign_query q;
	bool bound;
	int ret;

	if (!d)
		return failed(r, "no such PCI device");
	if (is_bridge(d))
		return failed(r, "it is a bridge: declare a device behind it");
	bound = !smmua_query(s->fd, bdf, &q);
	if (bound) {
		bool claimed = q.out_state & SMMU_ASSIGN_STATE_OWNED;

		if (!(q.out_state & SMMU_ASSIGN_STATE_PERSISTENT))
			return failed(r,
				     "bound by pid %u for itself (not persistent): apply leaves it",
				      q.out_owner_pid);
		/* A claimed binding is in its claimant's space, whatever its name. */
		if (window_matches(&q, c) && (claimed || space_matches(&q, c)) &&
		    !strcmp(d->driver, c->driver)) {
			uid = q.out_delegate_uid;
			gid = q.out_delegate_gid;
		} else if (claimed) {
			return failed(r,
				     "claimed by pid %u, bound otherwise than declared: stop it, then apply again",
				      q.out_owner_pid);
		} else {
			if (!s->dry_run) {
				ret = smmua_unbind(s->fd, bdf);
				if (ret)
					return failed(r, "unbind: %s", strerror(-ret));
			}
			action(r, "unbound (it was bound otherwise than declared)");
			bound = false;
		}
	}
	if (!bound) {
		if (strcmp(d->driver, c->driver)) {
			if (take(s, d, c->driver, "", r))
				return -1;
			if (!s->dry_run && reread(s))
				return failed(r, "cannot read /sys/bus/pci/devices");
		}
		/* BIND takes the whole IOMMU group: its members must be free too. */
		if (take_group(s, bdf, c->driver, r) || bind_dev(s, c, bdf, r))
			return -1;
	}
	if (uid != c->uid || gid != c->gid) {
		if (!s->dry_run) {
			ret = smmua_delegate(s->fd, bdf, c->uid, c->gid);
			if (ret)
				return failed(r, "delegate: %s", strerror(-ret));
		}
		if (c->uid == SMMU_ASSIGN_NO_ID && c->gid == SMMU_ASSIGN_NO_ID)
			action(r, "delegation removed");
		else
			action(r, "%s", delegation_text(c->uid, c->gid));
	}
	return 0;
}

static void report(const struct smmuctl_conf_dev *c, const struct apply_result *r,
		   bool dry_run)
{
	char name[SMMUCTL_CONF_NAME_LEN];

	smmuctl_conf_dev_name(c, name, sizeof(name));
	if (ctl.json) {
		jw_obj_open(&ctl.jw, NULL);
		jw_str(&ctl.jw, "device", name);
		jw_str(&ctl.jw, "where", c->where);
		jw_str(&ctl.jw, "bdf", r->bdf[0] ? r->bdf : NULL);
		jw_bool(&ctl.jw, "changed", r->nr_actions > 0);
		jw_str(&ctl.jw, "actions", r->actions[0] ? r->actions : NULL);
		jw_str(&ctl.jw, "error", r->error[0] ? r->error : NULL);
		jw_obj_close(&ctl.jw);
		return;
	}
	if (r->error[0]) {
		if (r->nr_actions)
			printf("%s (%s): %s%s\n", r->bdf, c->where, dry_run ? "would: " : "",
			       r->actions);
		smmuctl_err("%s (%s): %s", r->bdf[0] ? r->bdf : name, c->where, r->error);
	} else if (r->nr_actions) {
		printf("%s (%s): %s%s\n", r->bdf, c->where, dry_run ? "would: " : "", r->actions);
	} else {
		printf("%s (%s): unchanged\n", r->bdf, c->where);
	}
}

int cmd_apply(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "force", no_argument, NULL, 'f' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ }
	};
	struct apply_state s = { .fd = -1 };
	const char *path = SMMUCTL_CONF_DIR;
	char err[4096 + 512], name[SMMUCTL_CONF_NAME_LEN];
	size_t n, i, j, changed = 0, unchanged = 0, nfailed = 0;
	struct smmu_assign_bdf *bdfs = NULL;
	struct smmuctl_conf_dev *conf;
	struct apply_result r;
	int c, ret = EXIT_FAILED;
	bool *found = NULL;

	while ((c = getopt_long(argc, argv, "c:fn", opts, NULL)) != -1) {
		if (c == 'c')
			path = optarg;
		else if (c == 'f')
			s.force = true;
		else if (c == 'n')
			s.dry_run = true;
		else
			return EXIT_USAGE;
	}
	if (optind != argc) {
		smmuctl_err("apply takes no operands: run 'smmuctl help apply'");
		return EXIT_USAGE;
	}
	/* Every file is read and checked before anything changes. */
	if (smmuctl_conf_read(path, &conf, &n, err, sizeof(err))) {
		smmuctl_err("%s: nothing applied", err);
		return EXIT_FAILED;
	}
	if (!n) {
		if (ctl.json) {
			jw_obj_open(&ctl.jw, NULL);
			jw_arr_open(&ctl.jw, "devices");
			jw_arr_close(&ctl.jw);
			jw_u64(&ctl.jw, "changed", 0);
			jw_u64(&ctl.jw, "unchanged", 0);
			jw_u64(&ctl.jw, "failed", 0);
			jw_obj_close(&ctl.jw);
			jw_end(&ctl.jw);
		} else {
			printf("apply: no devices declared in %s\n", path);
		}
		return EXIT_OK;
	}
	s.fd = open_dev();
	if (s.fd < 0)
		goto out;
	if (read_all_devs(&s.all, &s.num_all)) {
		smmuctl_err("cannot list /sys/bus/pci/devices");
		goto out;
	}
	/* Two declarations of one device (a BDF and an ID) are refused too. */
	bdfs = calloc(n, sizeof(*bdfs));
	found = calloc(n, sizeof(*found));
	if (!bdfs || !found)
		goto out;
	for (i = 0; i < n; i++) {
		found[i] = !resolve(&s, &conf[i], &bdfs[i]);
		for (j = 0; found[i] && j < i; j++) {
			if (found[j] && !memcmp(&bdfs[i], &bdfs[j], sizeof(bdfs[i]))) {
				smmua_format_bdf(&bdfs[i], name, sizeof(name));
				smmuctl_err("%s and %s both declare %s: nothing applied",
					    conf[j].where, conf[i].where, name);
				goto out;
			}
		}
	}
	if (ctl.json) {
		jw_obj_open(&ctl.jw, NULL);
		jw_bool(&ctl.jw, "dry_run", s.dry_run);
		jw_arr_open(&ctl.jw, "devices");
	}
	for (i = 0; i < n; i++) {
		memset(&r, 0, sizeof(r));
		if (!found[i]) {
			failed(&r, "no such PCI device");
		} else {
			smmua_format_bdf(&bdfs[i], r.bdf, sizeof(r.bdf));
			apply_one(&s, &conf[i], &bdfs[i], &r);
		}
		if (r.error[0])
			nfailed++;
		else if (r.nr_actions)
			changed++;
		else
			unchanged++;
		report(&conf[i], &r, s.dry_run);
		if (!s.dry_run && r.nr_actions)
			reread(&s);
	}
	if (ctl.json) {
		jw_arr_close(&ctl.jw);
		jw_u64(&ctl.jw, "changed", changed);
		jw_u64(&ctl.jw, "unchanged", unchanged);
		jw_u64(&ctl.jw, "failed", nfailed);
		jw_obj_close(&ctl.jw);
		jw_end(&ctl.jw);
	} else {
		printf("apply: %zu declared, %zu %schanged, %zu unchanged, %zu failed\n",
		       n, changed, s.dry_run ? "to be " : "", unchanged, nfailed);
	}
	ret = nfailed ? EXIT_FAILED : EXIT_OK;
out:
	if (s.fd >= 0)
		close(s.fd);
	free(s.all);
	free(found);
	free(bdfs);
	free(conf);
	return ret;
}
