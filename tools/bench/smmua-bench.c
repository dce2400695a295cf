// SPDX-License-Identifier: GPL-2.0
/*
 * smmua-bench: smmu-assign's MAP, UNMAP and BIND against VFIO type1 and
 * against the floor (the kernel's own pin and map calls, from the bench-only
 * smmua_floor module), in one boot, with the backends alternating every
 * repetition; and one-page mappings made and removed by MAP_VEC and
 * UNMAP_VEC, many per call, against VFIO's one call each. Prints a table
 * and writes JSON. See Documentation/performance.rst for the method.
 *
 * It takes the edu devices it is given (or finds the first four that are
 * alone in their groups: the first goes to vfio-pci, the second to
 * smmu-assign, the third joins it with the first for the three-device row,
 * the fourth is the floor's) and gives them back at the end. It asserts nothing about time: a backend that is missing is skipped.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/vfio.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "smmu_assign_lib.h"
#include "floor/smmua_floor.h"

#ifndef MAP_HUGE_2MB
#define MAP_HUGE_2MB (21 << 26)
#endif

#define MIB		(1ULL << 20)
#define HUGE_2M		(2 * MIB)
#define IOVA_BASE	(1ULL << 32)
#define WINDOW		(64ULL << 30)
#define MAX_DEVS	4

enum { SA, VFIO, FLOOR, NR_BACKENDS };
static const char *const backend_name[NR_BACKENDS] = { "smmu-assign", "vfio", "floor" };

static struct {
	int reps;
	bool quick, big, no_vfio, no_floor, verbose;
	const char *json;
	unsigned int sizes[8], nr_sizes;
	unsigned long pages[8], nr_pages;
	char devs[MAX_DEVS][SMMUA_BDF_STRLEN];
	int nr_devs;
} opt = { .reps = 5 };

static long page_size;

/* ---- the backends ---- */

static int sa_fd = -1, floor_fd = -1, vfio_container = -1, vfio_group = -1;
static __u32 sa_space;
static bool have[NR_BACKENDS];
/* The module has MAP_VEC and UNMAP_VEC (SMMU_ASSIGN_CAP_MAP_VEC). */
static bool have_vec;
/* Entries per MAP_VEC and UNMAP_VEC call in the one-page rows. */
#define VEC_CALL	1000
static __u32 last_runs;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "smmua-bench: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(1);
}

static int sa_map_space(__u32 space, void *va, __u64 iova, __u64 len)
{
	struct smmu_assign_map cmd = {
		.size = sizeof(cmd),
		.flags = SMMU_ASSIGN_MAP_READ | SMMU_ASSIGN_MAP_WRITE,
		.space_id = space,
		.user_va = (uintptr_t)va,
		.iova = iova,
		.length = len,
	};

	if (ioctl(sa_fd, SMMU_ASSIGN_MAP, &cmd))
		return -errno;
	last_runs = cmd.out_num_runs;
	return 0;
}

static int sa_unmap_space(__u32 space, __u64 iova, __u64 len)
{
	struct smmu_assign_unmap cmd = {
		.size = sizeof(cmd),
		.space_id = space,
		.iova = iova,
		.length = len,
	};

	return ioctl(sa_fd, SMMU_ASSIGN_UNMAP, &cmd) ? -errno : 0;
}

static int do_map(int b, void *va, __u64 iova, __u64 len)
{
	switch (b) {
	case SA:
		return sa_map_space(sa_space, va, iova, len);
	case VFIO: {
		struct vfio_iommu_type1_dma_map m = {
			.argsz = sizeof(m),
			.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
			.vaddr = (uintptr_t)va,
			.iova = iova,
			.size = len,
		};

		return ioctl(vfio_container, VFIO_IOMMU_MAP_DMA, &m) ? -errno : 0;
	}
	default: {
		struct smmua_floor_map m = { (uintptr_t)va, iova, len, 0 };

		return ioctl(floor_fd, SMMUA_FLOOR_MAP, &m) ? -errno : 0;
	}
	}
}

static int do_unmap(int b, __u64 iova, __u64 len)
{
	switch (b) {
	case SA:
		return sa_unmap_space(sa_space, iova, len);
	case VFIO: {
		struct vfio_iommu_type1_dma_unmap u = {
			.argsz = sizeof(u),
			.iova = iova,
			.size = len,
		};

		return ioctl(vfio_container, VFIO_IOMMU_UNMAP_DMA, &u) ? -errno : 0;
	}
	default: {
		struct smmua_floor_map m = { 0, iova, len, 0 };

		return ioctl(floor_fd, SMMUA_FLOOR_UNMAP, &m) ? -errno : 0;
	}
	}
}

static void check(int ret, const char *what, int b)
{
	if (ret)
		die("%s (%s): %s", what, backend_name[b], strerror(-ret));
}

/* The backends in this repetition's order: rotated every repetition. */
static int order(int rep, int i)
{
	return (rep + i) % NR_BACKENDS;
}

/* ---- results ---- */

#define MAX_SAMPLES 64

/*
 * A region row's call can be as short as 60 us (UNMAP of THP), where the
 * emulator's timer and the host scatter the samples: region rows take
 * three times the repetitions, which cost little next to the one-page
 * rows.
 */
#define REGION_REPS	(3 * opt.reps)

struct series {
	double v[MAX_SAMPLES];
	int n;
};

struct row {
	char name[64];		/* e.g. "map 4k-order 64MiB" */
	char unit[8];		/* "ms", "us", "B" */
	struct series s[NR_BACKENDS];
	char extra[256];	/* JSON members, comma-first */
	char group[24];
};

static struct row rows[128];
static int nr_rows;

static struct row *new_row(const char *group, const char *unit, const char *fmt, ...)
{
	struct row *r = &rows[nr_rows++];
	va_list ap;

	memset(r, 0, sizeof(*r));
	va_start(ap, fmt);
	vsnprintf(r->name, sizeof(r->name), fmt, ap);
	va_end(ap);
	snprintf(r->unit, sizeof(r->unit), "%s", unit);
	snprintf(r->group, sizeof(r->group), "%s", group);
	return r;
}

static void add(struct row *r, int b, double v)
{
	if (r->s[b].n < MAX_SAMPLES)
		r->s[b].v[r->s[b].n++] = v;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(const struct series *s)
{
	double v[MAX_SAMPLES];

	if (!s->n)
		return 0;
	memcpy(v, s->v, s->n * sizeof(*v));
	qsort(v, s->n, sizeof(*v), cmp_double);
	return s->n % 2 ? v[s->n / 2] : (v[s->n / 2 - 1] + v[s->n / 2]) / 2;
}

static void fmt_val(char *buf, size_t len, const struct series *s)
{
	double m = median(s);

	if (!s->n)
		snprintf(buf, len, "-");
	else if (m >= 100)
		snprintf(buf, len, "%.0f", m);
	else if (m >= 10)
		snprintf(buf, len, "%.1f", m);
	else
		snprintf(buf, len, "%.2f", m);
}

static void print_row(const struct row *r)
{
	char v[NR_BACKENDS][24], rv[16] = "-", rf[16] = "-";
	double sa = median(&r->s[SA]);
	int b;

	for (b = 0; b < NR_BACKENDS; b++)
		fmt_val(v[b], sizeof(v[b]), &r->s[b]);
	if (sa > 0 && r->s[VFIO].n)
		snprintf(rv, sizeof(rv), "%.2fx", median(&r->s[VFIO]) / sa);
	if (sa > 0 && r->s[FLOOR].n)
		snprintf(rf, sizeof(rf), "%.2fx", sa / median(&r->s[FLOOR]));
	printf("%-36s %-3s %11s %11s %11s %9s %9s\n", r->name, r->unit, v[SA], v[VFIO],
	       v[FLOOR], rv, rf);
	fflush(stdout);
}

static void print_header(void)
{
	printf("%-36s %-3s %11s %11s %11s %9s %9s\n", "row (medians)", "", "smmu-assign",
	       "vfio", "floor", "vs vfio", "vs floor");
}

static void write_json(void)
{
	struct utsname u;
	FILE *f;
	int i, b, k;

	if (!opt.json)
		return;
	f = fopen(opt.json, "w");
	if (!f)
		die("%s: %s", opt.json, strerror(errno));
	uname(&u);
	fprintf(f, "{\n  \"kernel\": \"%s\",\n  \"reps\": %d,\n  \"region_reps\": %d,\n"
		"  \"quick\": %s,\n", u.release, opt.reps, REGION_REPS,
		opt.quick ? "true" : "false");
	fprintf(f, "  \"backends\": [\"smmu-assign\", \"vfio\", \"floor\"],\n");
	fprintf(f, "  \"note\": \"vs_vfio = vfio / smmu-assign (speed-up), vs_floor = smmu-assign / floor\",\n");
	fprintf(f, "  \"rows\": [\n");
	for (i = 0; i < nr_rows; i++) {
		const struct row *r = &rows[i];
		double sa = median(&r->s[SA]);

		fprintf(f, "    {\"row\": \"%s\", \"group\": \"%s\", \"unit\": \"%s\"",
			r->name, r->group, r->unit);
		for (b = 0; b < NR_BACKENDS; b++) {
			if (!r->s[b].n)
				continue;
			fprintf(f, ", \"%s\": {\"median\": %.4f, \"samples\": [", backend_name[b],
				median(&r->s[b]));
			for (k = 0; k < r->s[b].n; k++)
				fprintf(f, "%s%.4f", k ? ", " : "", r->s[b].v[k]);
			fprintf(f, "]}");
		}
		if (sa > 0 && r->s[VFIO].n)
			fprintf(f, ", \"vs_vfio\": %.3f", median(&r->s[VFIO]) / sa);
		if (sa > 0 && r->s[FLOOR].n)
			fprintf(f, ", \"vs_floor\": %.3f", sa / median(&r->s[FLOOR]));
		fprintf(f, "%s}%s\n", r->extra, i + 1 < nr_rows ? "," : "");
	}
	fprintf(f, "  ]\n}\n");
	if (fclose(f))
		die("%s: %s", opt.json, strerror(errno));
}

/* ---- memory ---- */

enum backing { B_4K_ORDER, B_4K_RANDOM, B_THP, B_HUGETLB, NR_BACKINGS };
static const char *const backing_name[NR_BACKINGS] = { "4k-order", "4k-random", "thp", "hugetlb" };

struct buf {
	void *map, *va;
	size_t map_len, len;
};

static void write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);

	if (fd < 0)
		return;
	if (write(fd, val, strlen(val)) < 0)
		fprintf(stderr, "smmua-bench: %s: %s\n", path, strerror(errno));
	close(fd);
}

static long read_long(const char *path)
{
	char buf[64] = "";
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return n > 0 ? atol(buf) : -1;
}

/* kB of AnonHugePages in the VMA that starts at or contains va. */
static long thp_kib(void *va)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	unsigned long lo, hi, a = (uintptr_t)va;
	char line[256];
	bool in = false;
	long kib = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, '-') < strchr(line, ' ')) {
			in = a >= lo && a < hi;
			continue;
		}
		if (in && sscanf(line, "AnonHugePages: %ld kB", &kib) == 1)
			break;
	}
	fclose(f);
	return kib;
}

static void shuffle(size_t *idx, size_t n)
{
	size_t i, j, t;

	for (i = n - 1; i > 0; i--) {
		j = (size_t)random() % (i + 1);
		t = idx[i];
		idx[i] = idx[j];
		idx[j] = t;
	}
}

static int buf_alloc(struct buf *b, enum backing kind, size_t len)
{
	int flags = MAP_PRIVATE | MAP_ANONYMOUS;
	size_t i, n = len / page_size;
	char *p;

	memset(b, 0, sizeof(*b));
	b->len = len;
	if (kind == B_HUGETLB) {
		b->map_len = len;
		b->map = mmap(NULL, len, PROT_READ | PROT_WRITE,
			      flags | MAP_HUGETLB | MAP_HUGE_2MB, -1, 0);
		if (b->map == MAP_FAILED)
			return -errno;
		b->va = b->map;
		memset(b->va, 1, len);
		return 0;
	}
	b->map_len = len + HUGE_2M;
	b->map = mmap(NULL, b->map_len, PROT_READ | PROT_WRITE, flags, -1, 0);
	if (b->map == MAP_FAILED)
		return -errno;
	b->va = (void *)(((uintptr_t)b->map + HUGE_2M - 1) & ~(HUGE_2M - 1));
	p = b->va;
	if (kind == B_THP) {
		write_file("/proc/sys/vm/compact_memory", "1");
		madvise(p, len, MADV_HUGEPAGE);
		memset(p, 1, len);
		if (thp_kib(p) * 1024 < (long)len)
			return -ENOMEM;
		return 0;
	}
	madvise(b->map, b->map_len, MADV_NOHUGEPAGE);
	if (kind == B_4K_ORDER) {
		for (i = 0; i < n; i++)
			p[i * page_size] = 1;
	} else {
		size_t *idx = malloc(n * sizeof(*idx));

		if (!idx)
			return -ENOMEM;
		for (i = 0; i < n; i++)
			idx[i] = i;
		shuffle(idx, n);
		for (i = 0; i < n; i++)
			p[idx[i] * page_size] = 1;
		free(idx);
	}
	return 0;
}

static void buf_free(struct buf *b)
{
	if (b->map && b->map != MAP_FAILED)
		munmap(b->map, b->map_len);
	memset(b, 0, sizeof(*b));
}

static long sunreclaim_kib(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[128];
	long v = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "SUnreclaim: %ld kB", &v) == 1)
			break;
	fclose(f);
	return v;
}

/* ---- the rows ---- */

static void bench_region(enum backing kind, unsigned int mib)
{
	struct row *rm, *ru;
	struct buf buf;
	size_t len = (size_t)mib * MIB;
	__u32 runs = 0;
	int rep, i, b, ret;

	ret = buf_alloc(&buf, kind, len);
	if (ret) {
		printf("%-36s     skipped: %s backing of %u MiB: %s\n", "", backing_name[kind], mib,
		       strerror(-ret));
		buf_free(&buf);
		return;
	}
	rm = new_row("region", "ms", "MAP %s %u MiB", backing_name[kind], mib);
	ru = new_row("region", "ms", "UNMAP %s %u MiB", backing_name[kind], mib);
	/* Repetition 0 warms every backend up and is not counted. */
	for (rep = 0; rep <= REGION_REPS; rep++) {
		for (i = 0; i < NR_BACKENDS; i++) {
			uint64_t t0, t1, t2;

			b = order(rep, i);
			if (!have[b])
				continue;
			t0 = now_ns();
			ret = do_map(b, buf.va, IOVA_BASE, len);
			t1 = now_ns();
			check(ret, "map", b);
			if (b == SA)
				runs = last_runs;
			ret = do_unmap(b, IOVA_BASE, len);
			t2 = now_ns();
			check(ret, "unmap", b);
			if (rep) {
				add(rm, b, (t1 - t0) / 1e6);
				add(ru, b, (t2 - t1) / 1e6);
			}
		}
	}
	snprintf(rm->extra, sizeof(rm->extra), ", \"backing\": \"%s\", \"mib\": %u, \"runs\": %u",
		 backing_name[kind], mib, runs);
	snprintf(ru->extra, sizeof(ru->extra), ", \"backing\": \"%s\", \"mib\": %u, \"runs\": %u",
		 backing_name[kind], mib, runs);
	snprintf(rm->name + strlen(rm->name), sizeof(rm->name) - strlen(rm->name),
		 " (%u runs)", runs);
	print_row(rm);
	print_row(ru);
	buf_free(&buf);
}

/*
 * smmu-assign's n one-page mappings (e, r) by MAP_VEC, then UNMAP_VEC,
 * VEC_CALL at a time: the microseconds per mapping of each.
 */
static void sa_vec_pages(const struct smmu_assign_map_entry *e,
			 const struct smmu_assign_iova_range *r, unsigned long n,
			 double *map_us, double *unmap_us)
{
	unsigned long i, c;
	uint64_t t0, t1, t2;
	int ret;

	t0 = now_ns();
	for (i = 0; i < n; i += c) {
		c = n - i < VEC_CALL ? n - i : VEC_CALL;
		ret = smmua_map_vec(sa_fd, sa_space, e + i, c, NULL);
		if (ret)
			die("MAP_VEC of %lu to %lu of %lu: %s", i, i + c - 1, n, strerror(-ret));
	}
	t1 = now_ns();
	for (i = 0; i < n; i += c) {
		c = n - i < VEC_CALL ? n - i : VEC_CALL;
		ret = smmua_unmap_vec(sa_fd, sa_space, r + i, c, NULL, NULL);
		if (ret)
			die("UNMAP_VEC of %lu to %lu of %lu: %s", i, i + c - 1, n, strerror(-ret));
	}
	t2 = now_ns();
	*map_us = (t1 - t0) / 1e3 / n;
	*unmap_us = (t2 - t1) / 1e3 / n;
}

/*
 * N one-page MAPs, then their N UNMAPs, in IOVA order. For smmu-assign
 * also the same N by MAP_VEC and UNMAP_VEC, against VFIO's per-call times
 * of the same repetition (VFIO has no vectored call).
 */
static void bench_pages(unsigned long n)
{
	struct row *rm, *ru, *rmf, *rml, *ruf, *rul, *rk, *rvm = NULL, *rvu = NULL;
	unsigned long k = n < 1000 ? n : 1000, i;
	struct smmu_assign_map_entry *ve = NULL;
	struct smmu_assign_iova_range *vr = NULL;
	size_t len = n * page_size;
	struct buf buf;
	int rep, j, b, ret;

	ret = buf_alloc(&buf, B_4K_ORDER, len);
	if (ret)
		die("%lu pages: %s", n, strerror(-ret));
	if (have_vec) {
		ve = calloc(n, sizeof(*ve));
		vr = calloc(n, sizeof(*vr));
		if (!ve || !vr)
			die("%lu entries: %s", n, strerror(ENOMEM));
		for (i = 0; i < n; i++) {
			ve[i].flags = SMMU_ASSIGN_MAP_READ | SMMU_ASSIGN_MAP_WRITE;
			ve[i].user_va = (uintptr_t)buf.va + i * page_size;
			ve[i].iova = IOVA_BASE + i * page_size;
			ve[i].length = page_size;
			vr[i].iova = ve[i].iova;
			vr[i].length = page_size;
		}
	}
	rm = new_row("pages", "us", "MAP 1 page x %lu, per call", n);
	rmf = new_row("pages", "us", "  first %lu", k);
	rml = new_row("pages", "us", "  last %lu", k);
	ru = new_row("pages", "us", "UNMAP 1 page x %lu, per call", n);
	ruf = new_row("pages", "us", "  first %lu", k);
	rul = new_row("pages", "us", "  last %lu", k);
	if (have_vec) {
		rvm = new_row("pages", "us", "MAP_VEC 1 page x %lu, per range", n);
		rvu = new_row("pages", "us", "UNMAP_VEC 1 page x %lu, per range", n);
		snprintf(rvm->extra, sizeof(rvm->extra), ", \"entries_per_call\": %d", VEC_CALL);
		snprintf(rvu->extra, sizeof(rvu->extra), ", \"entries_per_call\": %d", VEC_CALL);
	}
	rk = new_row("kmem", "B", "kernel memory per mapping (x %lu)", n);
	for (rep = 0; rep < opt.reps; rep++) {
		double vfio_map = -1, vfio_unmap = -1;

		for (j = 0; j < NR_BACKENDS; j++) {
			uint64_t t0, tf = 0, tl = 0, t1, uf = 0, ul = 0, t2;
			long kib0, kib1;

			b = order(rep, j);
			if (!have[b])
				continue;
			kib0 = sunreclaim_kib();
			t0 = now_ns();
			for (i = 0; i < n; i++) {
				if (i == k)
					tf = now_ns();
				if (i == n - k)
					tl = now_ns();
				ret = do_map(b, (char *)buf.va + i * page_size,
					     IOVA_BASE + i * page_size, page_size);
				if (ret)
					die("map %lu of %lu (%s): %s", i, n, backend_name[b],
					    strerror(-ret));
			}
			t1 = now_ns();
			kib1 = sunreclaim_kib();
			if (!tf)
				tf = t1;
			for (i = 0; i < n; i++) {
				if (i == k)
					uf = now_ns();
				if (i == n - k)
					ul = now_ns();
				ret = do_unmap(b, IOVA_BASE + i * page_size, page_size);
				if (ret)
					die("unmap %lu of %lu (%s): %s", i, n, backend_name[b],
					    strerror(-ret));
			}
			t2 = now_ns();
			if (!uf)
				uf = t2;
			if (n == k)
				tl = t0, ul = t1;
			add(rm, b, (t1 - t0) / 1e3 / n);
			add(rmf, b, (tf - t0) / 1e3 / k);
			add(rml, b, (t1 - tl) / 1e3 / k);
			add(ru, b, (t2 - t1) / 1e3 / n);
			add(ruf, b, (uf - t1) / 1e3 / k);
			add(rul, b, (t2 - ul) / 1e3 / k);
			add(rk, b, (kib1 - kib0) * 1024.0 / n);
			if (b == VFIO) {
				vfio_map = (t1 - t0) / 1e3 / n;
				vfio_unmap = (t2 - t1) / 1e3 / n;
			}
			/* Vectored, right after smmu-assign's per-call turn. */
			if (b == SA && rvm) {
				double vm, vu;

				sa_vec_pages(ve, vr, n, &vm, &vu);
				add(rvm, SA, vm);
				add(rvu, SA, vu);
			}
		}
		if (rvm && vfio_map >= 0) {
			add(rvm, VFIO, vfio_map);
			add(rvu, VFIO, vfio_unmap);
		}
	}
	print_row(rm);
	print_row(rmf);
	print_row(rml);
	print_row(ru);
	print_row(ruf);
	print_row(rul);
	if (rvm) {
		print_row(rvm);
		print_row(rvu);
	}
	print_row(rk);
	free(ve);
	free(vr);
	buf_free(&buf);
}

/* ---- devices ---- */

static struct smmu_assign_bdf bdf_of(const char *name)
{
	struct smmu_assign_bdf bdf;

	if (smmua_parse_bdf(name, &bdf))
		die("bad BDF %s", name);
	return bdf;
}

/*
 * An edu the benchmark can take alone: single-function, on the root bus or
 * right below a root port (not behind a PCIe-to-PCI bridge, whose group
 * holds the bridge too).
 */
static bool edu_alone(const struct smmu_assign_bdf *bdf, const struct smmu_assign_bdf *all,
		      size_t num)
{
	char name[SMMUA_BDF_STRLEN], path[96], real[512], *p;
	int depth = 0;
	size_t i;

	for (i = 0; i < num; i++)
		if (all[i].segment == bdf->segment && all[i].bus == bdf->bus &&
		    all[i].device == bdf->device && all[i].function != bdf->function)
			return false;
	smmua_format_bdf(bdf, name, sizeof(name));
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", name);
	if (!realpath(path, real))
		return false;
	for (p = strstr(real, "/pci"); p && (p = strchr(p + 1, '/')); )
		depth++;
	return depth <= 2;
}

static int find_edus(void)
{
	struct smmu_assign_bdf *all, *edus;
	struct smmua_pci_dev dev;
	size_t num, nedu = 0, i;

	if (smmua_pci_list(&all, &num))
		return 0;
	edus = calloc(num ?: 1, sizeof(*edus));
	for (i = 0; edus && i < num; i++)
		if (!smmua_pci_read(&all[i], &dev) && dev.vendor == 0x1234 &&
		    dev.device == 0x11e8)
			edus[nedu++] = all[i];
	for (i = 0; i < nedu && opt.nr_devs < MAX_DEVS; i++)
		if (edu_alone(&edus[i], edus, nedu))
			smmua_format_bdf(&edus[i], opt.devs[opt.nr_devs++], SMMUA_BDF_STRLEN);
	free(edus);
	free(all);
	return opt.nr_devs;
}

static void takeover(const char *name, const char *driver)
{
	struct smmu_assign_bdf bdf = bdf_of(name);
	int ret = smmua_pci_takeover(&bdf, driver, NULL, 0);

	if (ret)
		die("hand %s to %s: %s", name, driver, strerror(-ret));
}

static void giveback(const char *name)
{
	struct smmu_assign_bdf bdf = bdf_of(name);

	smmua_pci_giveback(&bdf, NULL, 0);
}

static int vfio_open(const char *name)
{
	struct smmua_pci_dev dev;
	struct smmu_assign_bdf bdf = bdf_of(name);
	struct vfio_group_status st = { .argsz = sizeof(st) };
	char path[64];

	takeover(name, SMMUA_VFIO_DRIVER);
	if (smmua_pci_read(&bdf, &dev) || dev.iommu_group < 0)
		return -ENODEV;
	vfio_container = open("/dev/vfio/vfio", O_RDWR);
	if (vfio_container < 0)
		return -errno;
	if (ioctl(vfio_container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) != 1)
		return -EOPNOTSUPP;
	snprintf(path, sizeof(path), "/dev/vfio/%d", dev.iommu_group);
	vfio_group = open(path, O_RDWR);
	if (vfio_group < 0)
		return -errno;
	if (ioctl(vfio_group, VFIO_GROUP_GET_STATUS, &st) ||
	    !(st.flags & VFIO_GROUP_FLAGS_VIABLE))
		return -EBUSY;
	return 0;
}

static int vfio_attach(void)
{
	if (ioctl(vfio_group, VFIO_GROUP_SET_CONTAINER, &vfio_container) ||
	    ioctl(vfio_container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
		return -errno;
	return 0;
}

static int vfio_detach(void)
{
	return ioctl(vfio_group, VFIO_GROUP_UNSET_CONTAINER) ? -errno : 0;
}

static int sa_new_space(__u32 *id, const char *name)
{
	struct smmu_assign_iova_range r = { .iova = IOVA_BASE, .length = WINDOW };
	int ret = smmua_space_alloc(sa_fd, name, id);

	return ret ?: smmua_space_allow_iovas(sa_fd, *id, &r, 1);
}

static int floor_attach(const char *name)
{
	struct smmu_assign_bdf bdf = bdf_of(name);
	struct smmua_floor_attach a = {
		.domain = bdf.segment, .bus = bdf.bus,
		.devfn = (bdf.device << 3) | bdf.function,
	};

	floor_fd = open("/dev/smmua-floor", O_RDWR);
	if (floor_fd < 0)
		return -errno;
	takeover(name, SMMUA_VFIO_DRIVER);
	return ioctl(floor_fd, SMMUA_FLOOR_ATTACH, &a) ? -errno : 0;
}

/* BIND then UNBIND; VFIO: set container and IOMMU, then unset. */
static void bench_bind(void)
{
	struct smmu_assign_bdf bdf = bdf_of(opt.devs[1]);
	struct row *r = new_row("bind", "ms", "BIND+UNBIND");
	int rep, i, b, ret;

	for (rep = 0; rep <= opt.reps; rep++) {
		for (i = 0; i < NR_BACKENDS; i++) {
			uint64_t t0, t1;

			b = order(rep, i);
			if (!have[b] || b == FLOOR)
				continue;
			t0 = now_ns();
			if (b == SA) {
				ret = smmua_bind_space(sa_fd, &bdf, sa_space, NULL);
				ret = ret ?: smmua_unbind(sa_fd, &bdf);
			} else {
				ret = vfio_attach();
				ret = ret ?: vfio_detach();
			}
			t1 = now_ns();
			check(ret, "bind+unbind", b);
			if (rep)
				add(r, b, (t1 - t0) / 1e6);
		}
	}
	print_row(r);
}

/*
 * MAP and UNMAP into the space with its one device, and with two more
 * bound into it (VFIO's, once VFIO is done, and the extra one), the two
 * alternating: the extra devices are bound and unbound between timings.
 * Reported in the smmu-assign column (1 device) and the VFIO column (3
 * devices), so "vs vfio" is the 3-device time over the 1-device time.
 */
static void bench_devices(unsigned int mib)
{
	struct smmu_assign_bdf extra[2] = { bdf_of(opt.devs[0]), bdf_of(opt.devs[2]) };
	size_t len = (size_t)mib * MIB;
	struct row *rm, *ru;
	struct buf buf;
	int rep, i, j, ret;

	if (buf_alloc(&buf, B_4K_ORDER, len))
		die("no memory for the device-count row");
	rm = new_row("devices", "ms", "MAP 4k-order %u MiB, 1|3 devs", mib);
	ru = new_row("devices", "ms", "UNMAP 4k-order %u MiB, 1|3 devs", mib);
	for (rep = 0; rep <= opt.reps; rep++) {
		for (i = 0; i < 2; i++) {
			bool three = (rep + i) % 2;
			uint64_t t0, t1, t2;

			for (j = 0; three && j < 2; j++) {
				ret = smmua_bind_space(sa_fd, &extra[j], sa_space, NULL);
				if (ret)
					die("bind %s: %s", opt.devs[j ? 2 : 0], strerror(-ret));
			}
			t0 = now_ns();
			ret = sa_map_space(sa_space, buf.va, IOVA_BASE, len);
			t1 = now_ns();
			check(ret, "map", SA);
			ret = sa_unmap_space(sa_space, IOVA_BASE, len);
			t2 = now_ns();
			check(ret, "unmap", SA);
			for (j = 0; three && j < 2; j++)
				smmua_unbind(sa_fd, &extra[j]);
			if (rep) {
				add(rm, three ? VFIO : SA, (t1 - t0) / 1e6);
				add(ru, three ? VFIO : SA, (t2 - t1) / 1e6);
			}
		}
	}
	printf("%-36s %-3s %11s %11s\n", "", "", "1 device", "3 devices");
	print_row(rm);
	print_row(ru);
	buf_free(&buf);
}

static void parse_list(const char *s, unsigned long *out, unsigned int *nr)
{
	char *copy = strdup(s), *tok, *save;

	*nr = 0;
	for (tok = strtok_r(copy, ",", &save); tok && *nr < 8; tok = strtok_r(NULL, ",", &save))
		out[(*nr)++] = strtoul(tok, NULL, 0);
	free(copy);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: smmua-bench [--reps N] [--sizes MiB,..] [--pages N,..] [--big]\n"
		"                   [--quick] [--json FILE] [--no-vfio] [--no-floor]\n"
		"                   [BDF_VFIO BDF_SMMUA [BDF_EXTRA [BDF_FLOOR]]]\n"
		"  --reps N   repetitions of each row (default 5); region rows take\n"
		"             3N (so N is at most 21)\n"
		"  --big      also 200000 one-page mappings (raises max_mappings and\n"
		"             vfio_iommu_type1's dma_entry_limit for the run)\n"
		"  --quick    a smoke run: one repetition, 4 MiB, 64 pages\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "reps", 1, NULL, 'r' }, { "sizes", 1, NULL, 's' },
		{ "pages", 1, NULL, 'p' }, { "big", 0, NULL, 'b' },
		{ "quick", 0, NULL, 'q' }, { "json", 1, NULL, 'j' },
		{ "no-vfio", 0, NULL, 'V' }, { "no-floor", 0, NULL, 'F' },
		{ NULL, 0, NULL, 0 }
	};
	const char *sizes = "16,64,256", *pages = "1000,10000,60000";
	unsigned long sz[8];
	long old_maxmap = -1, old_limit = -1, old_huge = -1, need_huge;
	unsigned int i, nsz, k;
	int c, ret;
	cpu_set_t cpus;

	page_size = sysconf(_SC_PAGESIZE);
	while ((c = getopt_long(argc, argv, "", lopts, NULL)) != -1) {
		switch (c) {
		case 'r': opt.reps = atoi(optarg); break;
		case 's': sizes = optarg; break;
		case 'p': pages = optarg; break;
		case 'b': opt.big = true; break;
		case 'q': opt.quick = true; break;
		case 'j': opt.json = optarg; break;
		case 'V': opt.no_vfio = true; break;
		case 'F': opt.no_floor = true; break;
		default: usage();
		}
	}
	if (opt.quick) {
		opt.reps = 1;
		sizes = "4";
		pages = "64";
		opt.big = false;
	}
	if (opt.reps < 1 || REGION_REPS >= MAX_SAMPLES)
		usage();
	parse_list(sizes, sz, &nsz);
	for (i = 0; i < nsz; i++)
		opt.sizes[i] = sz[i];
	opt.nr_sizes = nsz;
	parse_list(pages, opt.pages, &k);
	opt.nr_pages = k;
	if (opt.big && opt.nr_pages < 8)
		opt.pages[opt.nr_pages++] = 200000;
	for (; optind < argc && opt.nr_devs < MAX_DEVS; optind++)
		snprintf(opt.devs[opt.nr_devs++], SMMUA_BDF_STRLEN, "%s", argv[optind]);
	if (!opt.nr_devs)
		find_edus();
	if (opt.nr_devs < 2)
		die("need at least two edu devices (one for VFIO, one for smmu-assign)");

	/* One CPU: the other runs the emulator's and the kernel's odds and ends. */
	CPU_ZERO(&cpus);
	CPU_SET(sysconf(_SC_NPROCESSORS_ONLN) - 1, &cpus);
	sched_setaffinity(0, sizeof(cpus), &cpus);
	srandom(12);

	need_huge = 0;
	for (i = 0; i < opt.nr_sizes; i++)
		if ((long)(opt.sizes[i] * MIB / HUGE_2M) + 2 > need_huge)
			need_huge = opt.sizes[i] * MIB / HUGE_2M + 2;
	old_huge = read_long("/proc/sys/vm/nr_hugepages");
	if (old_huge >= 0 && old_huge < need_huge) {
		char v[32];

		snprintf(v, sizeof(v), "%ld", need_huge);
		write_file("/proc/sys/vm/nr_hugepages", v);
	}
	if (opt.big) {
		old_maxmap = read_long("/sys/module/smmu_assign/parameters/max_mappings");
		old_limit = read_long("/sys/module/vfio_iommu_type1/parameters/dma_entry_limit");
		write_file("/sys/module/smmu_assign/parameters/max_mappings", "250000");
		write_file("/sys/module/vfio_iommu_type1/parameters/dma_entry_limit", "250000");
	}

	/* smmu-assign: the second device, in a space of its own. */
	sa_fd = smmua_open();
	if (sa_fd < 0)
		die("open /dev/smmu-assign: %s", strerror(-sa_fd));
	takeover(opt.devs[1], SMMUA_STUB_DRIVER);
	ret = sa_new_space(&sa_space, "bench");
	if (ret)
		die("space: %s", strerror(-ret));
	have[SA] = true;
	{
		struct smmu_assign_get_info info;

		have_vec = !smmua_get_info(sa_fd, &info) &&
			   (info.out_capabilities & SMMU_ASSIGN_CAP_MAP_VEC);
		if (!have_vec)
			printf("MAP_VEC rows skipped: the module has no SMMU_ASSIGN_CAP_MAP_VEC\n");
	}
	if (!opt.no_vfio) {
		ret = vfio_open(opt.devs[0]);
		if (ret)
			printf("VFIO type1 skipped: %s\n", strerror(-ret));
		have[VFIO] = !ret;
	}
	if (!opt.no_floor && opt.nr_devs >= 4) {
		ret = floor_attach(opt.devs[3]);
		if (ret)
			printf("floor skipped: %s\n", strerror(-ret));
		have[FLOOR] = !ret;
	}
	printf("smmua-bench: %d repetitions (regions %d), medians; smmu-assign %s, vfio %s, floor %s\n",
	       opt.reps, REGION_REPS, opt.devs[1], have[VFIO] ? opt.devs[0] : "-",
	       have[FLOOR] ? opt.devs[3] : "-");
	printf("vs vfio: VFIO's time over smmu-assign's (higher is better);"
	       " vs floor: smmu-assign's over the floor's (1.00 is the floor)\n\n");
	print_header();

	bench_bind();
	{
		struct smmu_assign_bdf bdf = bdf_of(opt.devs[1]);

		ret = smmua_bind_space(sa_fd, &bdf, sa_space, NULL);
		if (ret)
			die("bind %s: %s", opt.devs[1], strerror(-ret));
	}
	if (have[VFIO] && vfio_attach())
		die("VFIO attach: %s", strerror(errno));

	for (k = 0; k < NR_BACKINGS; k++)
		for (i = 0; i < opt.nr_sizes; i++)
			bench_region(k, opt.sizes[i]);
	for (i = 0; i < opt.nr_pages; i++)
		bench_pages(opt.pages[i]);

	/* Three devices: VFIO's device, once VFIO is done, and the extra one. */
	if (opt.nr_devs >= 3) {
		if (have[VFIO]) {
			vfio_detach();
			close(vfio_group);
			close(vfio_container);
			vfio_group = vfio_container = -1;
		}
		takeover(opt.devs[0], SMMUA_STUB_DRIVER);
		takeover(opt.devs[2], SMMUA_STUB_DRIVER);
		bench_devices(opt.quick ? 4 : 64);
	}

	write_json();
	close(sa_fd);
	if (floor_fd >= 0)
		close(floor_fd);
	if (vfio_group >= 0)
		close(vfio_group);
	if (vfio_container >= 0)
		close(vfio_container);
	for (c = 0; c < opt.nr_devs; c++)
		giveback(opt.devs[c]);
	if (old_maxmap >= 0) {
		char v[32];

		snprintf(v, sizeof(v), "%ld", old_maxmap);
		write_file("/sys/module/smmu_assign/parameters/max_mappings", v);
		snprintf(v, sizeof(v), "%ld", old_limit);
		write_file("/sys/module/vfio_iommu_type1/parameters/dma_entry_limit", v);
	}
	if (old_huge >= 0 && old_huge < need_huge) {
		char v[32];

		snprintf(v, sizeof(v), "%ld", old_huge);
		write_file("/proc/sys/vm/nr_hugepages", v);
	}
	printf("\nsmmua-bench: done%s%s\n", opt.json ? ", JSON in " : "", opt.json ?: "");
	return 0;
}
