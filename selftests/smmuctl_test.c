// SPDX-License-Identifier: GPL-2.0
/*
 * smmuctl end to end: every command is run as /usr/sbin/smmuctl, its JSON
 * parsed with json-c and compared with what the library reads directly
 * (QUERY, GET_INFO, MAPPINGS, TRANSLATE, sysfs) and what a device fd says.
 */
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/vfio.h>
#include <json-c/json.h>

#include "kselftest_harness.h"
#include "smmu_assign_lib.h"
#include "testlib.h"

#define SMMUCTL		"/usr/sbin/smmuctl"
#define ERR_FILE	"/tmp/smmuctl_test.err"
#define WIN_IOVA	0x100000ULL
#define WIN_LEN		0x100000ULL

static char out_buf[65536], err_buf[4096];

/* Run smmuctl with the printf-formed arguments; its exit status. */
static int __attribute__((format(printf, 1, 2))) ctl(const char *fmt, ...)
{
	char cmd[512];
	size_t n = 0, r;
	va_list ap;
	FILE *f;
	int st, fd;

	va_start(ap, fmt);
	n = snprintf(cmd, sizeof(cmd), SMMUCTL " ");
	vsnprintf(cmd + n, sizeof(cmd) - n, fmt, ap);
	va_end(ap);
	strncat(cmd, " 2>" ERR_FILE, sizeof(cmd) - strlen(cmd) - 1);
	out_buf[0] = err_buf[0] = '\0';
	f = popen(cmd, "r");
	if (!f)
		return -1;
	n = 0;
	while (n < sizeof(out_buf) - 1 && (r = fread(out_buf + n, 1, sizeof(out_buf) - 1 - n, f)))
		n += r;
	out_buf[n] = '\0';
	st = pclose(f);
	fd = open(ERR_FILE, O_RDONLY);
	if (fd >= 0) {
		ssize_t e = read(fd, err_buf, sizeof(err_buf) - 1);

		err_buf[e > 0 ? e : 0] = '\0';
		close(fd);
	}
	if (err_buf[0])
		fprintf(stderr, "# smmuctl %s\n#   stderr: %s", cmd + strlen(SMMUCTL) + 1, err_buf);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static struct json_object *parsed(void)
{
	return json_tokener_parse(out_buf);
}

static struct json_object *get(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	json_object_object_get_ex(o, key, &v);
	return v;
}

static uint64_t get_u64(struct json_object *o, const char *key)
{
	return json_object_get_uint64(get(o, key));
}

static const char *get_str(struct json_object *o, const char *key)
{
	struct json_object *v = get(o, key);

	return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

static bool get_bool(struct json_object *o, const char *key)
{
	return json_object_get_boolean(get(o, key));
}

static bool sids_match(struct json_object *arr, const struct smmu_assign_query *q)
{
	size_t i;

	if (!arr || json_object_array_length(arr) != q->out_num_sids)
		return false;
	for (i = 0; i < q->out_num_sids; i++)
		if (json_object_get_uint64(json_object_array_get_idx(arr, i)) != q->out_sids[i])
			return false;
	return true;
}

/* The driver of the device named name, "" when none. */
static int driver_of(const char *name, char *buf, size_t len)
{
	struct smmu_assign_bdf b = tl_bdf(name);

	return smmua_pci_driver(&b, buf, len);
}

/* The debug kernel's VFIO may fail to load (irqbypass). */
static bool vfio_loaded(void)
{
	return !access("/sys/bus/pci/drivers/vfio-pci", F_OK);
}

static bool record_exists(const char *bdf)
{
	char path[128];

	snprintf(path, sizeof(path), SMMUA_STATE_DIR "/%s.driver", bdf);
	return !access(path, F_OK);
}

FIXTURE(smmuctl) {
	char edus[TL_MAX_DEVS][SMMUA_BDF_STRLEN];
	int nr;
	struct smmu_assign_bdf bdf;
	const char *name;
	int fd;
};

/* Nothing bound, no driver: the state an edu boots in. */
static void reset(const char *name, int fd)
{
	struct smmu_assign_bdf b = tl_bdf(name);

	smmua_unbind(fd, &b);
	tl_leave_unbound(name);
}

FIXTURE_SETUP(smmuctl)
{
	self->nr = tl_find_edus(self->edus, TL_MAX_DEVS);
	ASSERT_LE(2, self->nr);
	self->name = self->edus[0];
	self->bdf = tl_bdf(self->name);
	self->fd = smmua_open();
	ASSERT_LE(0, self->fd);
	reset(self->edus[0], self->fd);
	reset(self->edus[1], self->fd);
}

FIXTURE_TEARDOWN(smmuctl)
{
	reset(self->edus[0], self->fd);
	reset(self->edus[1], self->fd);
	close(self->fd);
}

TEST_F(smmuctl, list)
{
	char names[TL_MAX_DEVS][SMMUA_BDF_STRLEN];
	struct json_object *arr, *e;
	char drv[SMMUA_DRIVER_LEN];
	size_t i, edus = 0;
	const char *d;

	ASSERT_EQ(0, ctl("takeover %s", self->edus[1]));
	ASSERT_EQ(0, ctl("-j list"));
	arr = parsed();
	ASSERT_NE(NULL, arr);
	ASSERT_TRUE(json_object_is_type(arr, json_type_array));
	for (i = 0; i < json_object_array_length(arr); i++) {
		e = json_object_array_get_idx(arr, i);
		if (strcmp(get_str(e, "vendor"), "1234") || strcmp(get_str(e, "device"), "11e8"))
			continue;
		edus++;
		ASSERT_EQ(0, driver_of(get_str(e, "bdf"), drv, sizeof(drv)));
		d = get_str(e, "driver");
		EXPECT_STREQ(drv, d ? d : "");
		EXPECT_FALSE(get_bool(e, "bound"));
	}
	/* Every edu: sharing a group, behind the bridge and in the hot-pluggable slot too. */
	EXPECT_EQ(tl_find_edus(names, TL_MAX_DEVS) + tl_find_grouped_edus(names, TL_MAX_DEVS) +
		  !tl_find_bridged_edu(names[0]) + !tl_find_hotplug_edu(names[0]), edus);
	json_object_put(arr);

	ASSERT_EQ(0, ctl("list"));
	EXPECT_NE(NULL, strstr(out_buf, "1234:11e8"));
	EXPECT_NE(NULL, strstr(out_buf, "smmu-assign"));
	ASSERT_EQ(0, ctl("-j -p list"));
	arr = parsed();
	EXPECT_NE(NULL, arr);
	json_object_put(arr);
}

TEST_F(smmuctl, takeover_giveback)
{
	char drv[SMMUA_DRIVER_LEN], ovr[64];
	struct json_object *o;
	FILE *f;

	ASSERT_EQ(0, driver_of(self->name, drv, sizeof(drv)));
	ASSERT_STREQ("", drv);

	ASSERT_EQ(0, ctl("-j takeover %s", self->name));
	o = parsed();
	ASSERT_NE(NULL, o);
	EXPECT_STREQ(self->name, get_str(o, "bdf"));
	EXPECT_EQ(NULL, get_str(o, "previous_driver"));
	EXPECT_STREQ("smmu-assign", get_str(o, "driver"));
	json_object_put(o);
	ASSERT_EQ(0, driver_of(self->name, drv, sizeof(drv)));
	EXPECT_STREQ("smmu-assign", drv);
	EXPECT_TRUE(record_exists(self->name));

	/* Moving on to vfio-pci keeps "no driver" as the one to return to. */
	if (vfio_loaded()) {
		ASSERT_EQ(0, ctl("-j takeover %s --driver vfio-pci", self->name));
		o = parsed();
		EXPECT_STREQ("smmu-assign", get_str(o, "previous_driver"));
		EXPECT_STREQ("vfio-pci", get_str(o, "driver"));
		json_object_put(o);
		ASSERT_EQ(0, driver_of(self->name, drv, sizeof(drv)));
		EXPECT_STREQ("vfio-pci", drv);
	} else {
		EXPECT_EQ(1, ctl("takeover %s --driver vfio-pci", self->name));
		EXPECT_NE(NULL, strstr(err_buf, "not loaded"));
	}

	ASSERT_EQ(0, ctl("-j giveback %s", self->name));
	o = parsed();
	ASSERT_NE(NULL, o);
	EXPECT_STREQ(vfio_loaded() ? "vfio-pci" : "smmu-assign", get_str(o, "previous_driver"));
	EXPECT_EQ(NULL, get_str(o, "driver"));
	json_object_put(o);
	ASSERT_EQ(0, driver_of(self->name, drv, sizeof(drv)));
	EXPECT_STREQ("", drv);
	EXPECT_FALSE(record_exists(self->name));
	snprintf(ovr, sizeof(ovr), "/sys/bus/pci/devices/%s/driver_override", self->name);
	f = fopen(ovr, "r");
	ASSERT_NE(NULL, f);
	ASSERT_NE(NULL, fgets(ovr, sizeof(ovr), f));
	fclose(f);
	EXPECT_STREQ("(null)\n", ovr);

	/* Human form. */
	ASSERT_EQ(0, ctl("takeover %s", self->name));
	EXPECT_NE(NULL, strstr(out_buf, "(none) -> smmu-assign"));
	ASSERT_EQ(0, ctl("giveback %s", self->name));
	EXPECT_NE(NULL, strstr(out_buf, "smmu-assign -> (none)"));
}

static int write_file(const char *path, const char *val)
{
	FILE *f = fopen(path, "w");
	int ret;

	if (!f)
		return -1;
	ret = fputs(val, f) < 0;
	return fclose(f) || ret ? -1 : 0;
}

/* A device on a host driver (pci-stub here) goes back to that driver. */
TEST_F(smmuctl, giveback_restores_the_host_driver)
{
	char drv[SMMUA_DRIVER_LEN], ovr[128];
	struct json_object *o;

	if (access("/sys/bus/pci/drivers/pci-stub", F_OK))
		SKIP(return, "pci-stub is not loaded");
	/* Bound as a host driver is: no override left, nothing recorded. */
	snprintf(ovr, sizeof(ovr), "/sys/bus/pci/devices/%s/driver_override", self->name);
	ASSERT_EQ(0, write_file(ovr, "pci-stub"));
	ASSERT_EQ(0, write_file("/sys/bus/pci/drivers_probe", self->name));
	ASSERT_EQ(0, write_file(ovr, "\n"));
	ASSERT_EQ(0, driver_of(self->name, drv, sizeof(drv)));
	ASSERT_STREQ("pci-stub", drv);
	ASSERT_FALSE(record_exists(self->name));

	/* Bound to another driver: BIND is refused with the next step. */
	EXPECT_EQ(1, ctl("bind %s --window 0x100000:16M", self->name));
	EXPECT_NE(NULL, strstr(err_buf, "smmuctl takeover"));

	ASSERT_EQ(0, ctl("-j takeover %s", self->name));
	o = parsed();
	ASSERT_NE(NULL, o);
	EXPECT_STREQ("pci-stub", get_str(o, "previous_driver"));
	json_object_put(o);
	ASSERT_EQ(0, ctl("-j giveback %s", self->name));
	o = parsed();
	ASSERT_NE(NULL, o);
	EXPECT_STREQ("pci-stub", get_str(o, "driver"));
	json_object_put(o);
	ASSERT_EQ(0, driver_of(self->name, drv, sizeof(drv)));
	EXPECT_STREQ("pci-stub", drv);
	EXPECT_EQ(0, tl_leave_unbound(self->name));
}

TEST_F(smmuctl, bind_query_unbind)
{
	struct smmu_assign_mapping_info *maps;
	struct smmu_assign_get_info gi;
	struct smmu_assign_translate t;
	struct smmu_assign_query q;
	struct json_object *o, *d, *w;
	size_t nmaps;
	__u32 sp = 0;
	char *buf;
	int i;

	ASSERT_EQ(0, ctl("takeover %s", self->name));
	ASSERT_EQ(0, ctl("-j bind %s --window 1M:1M", self->name));
	o = parsed();
	ASSERT_NE(NULL, o);
	ASSERT_EQ(0, smmua_query(self->fd, &self->bdf, &q));
	EXPECT_TRUE(q.out_state & SMMU_ASSIGN_STATE_PERSISTENT);
	EXPECT_TRUE(get_bool(o, "persistent"));
	EXPECT_TRUE(sids_match(get(o, "sids"), &q));
	EXPECT_EQ(q.out_group_id, get_u64(o, "iommu_group"));
	EXPECT_EQ(WIN_IOVA, get_u64(get(o, "window"), "iova"));
	EXPECT_EQ(WIN_LEN, get_u64(get(o, "window"), "length"));
	json_object_put(o);
	/* QEMU virt: the SID is the requester ID. */
	EXPECT_EQ(tl_bdf(self->name).device << 3 | tl_bdf(self->name).function, q.out_sids[0]);

	/* info */
	ASSERT_EQ(0, ctl("-j info %s", self->name));
	o = parsed();
	ASSERT_NE(NULL, o);
	EXPECT_STREQ("1234", get_str(o, "vendor"));
	EXPECT_STREQ("11e8", get_str(o, "device"));
	EXPECT_STREQ("smmu-assign", get_str(o, "driver"));
	EXPECT_TRUE(get_bool(o, "bound"));
	EXPECT_TRUE(get_bool(o, "persistent"));
	EXPECT_FALSE(get_bool(o, "owned"));
	EXPECT_EQ(q.out_owner_pid, get_u64(o, "owner_pid"));
	EXPECT_EQ(q.out_group_id, get_u64(o, "iommu_group"));
	EXPECT_STREQ(q.out_iommu_name, get_str(o, "iommu"));
	EXPECT_TRUE(sids_match(get(o, "sids"), &q));
	w = get(o, "window");
	EXPECT_EQ(q.out_window_iova, get_u64(w, "iova"));
	EXPECT_EQ(q.out_window_length, get_u64(w, "length"));
	EXPECT_EQ(q.out_pgsize_bitmap, get_u64(o, "pgsize_bitmap"));
	EXPECT_EQ(0, get_u64(o, "num_mappings"));
	/* The MSI window a DMA window must stay clear of. */
	w = get(o, "reserved_regions");
	ASSERT_NE(NULL, w);
	for (i = 0; i < json_object_array_length(w); i++)
		if (!strcmp(get_str(json_object_array_get_idx(w, i), "type"), "sw-msi"))
			break;
	ASSERT_GT(json_object_array_length(w), i);
	EXPECT_EQ(TL_MSI_IOVA, get_u64(json_object_array_get_idx(w, i), "start"));
	EXPECT_EQ(TL_MSI_IOVA + TL_MSI_LENGTH - 1,
		  get_u64(json_object_array_get_idx(w, i), "last"));
	json_object_put(o);
	ASSERT_EQ(0, ctl("info %s", self->name));
	EXPECT_NE(NULL, strstr(out_buf, "persistent, unclaimed"));
	EXPECT_NE(NULL, strstr(out_buf, "reserved:     0x8000000-0x80fffff (sw-msi)"));

	/* Map through a claim of our own, then look with smmuctl. */
	buf = tl_buf_alloc(2 * TL_PAGE, 0x5a);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, smmua_claim(self->fd, &self->bdf, 0, 0, &sp));
	ASSERT_EQ(0, smmua_map(self->fd, sp, SMMU_ASSIGN_MAP_READ | SMMU_ASSIGN_MAP_WRITE,
			       buf, WIN_IOVA, 2 * TL_PAGE));
	ASSERT_EQ(0, smmua_query(self->fd, &self->bdf, &q));

	ASSERT_EQ(0, ctl("-j mappings %s", self->name));
	o = parsed();
	ASSERT_NE(NULL, o);
	ASSERT_EQ(0, smmua_mappings(self->fd, sp, NULL, &maps, &nmaps));
	ASSERT_EQ(1, nmaps);
	d = get(o, "mappings");
	ASSERT_EQ(1, json_object_array_length(d));
	d = json_object_array_get_idx(d, 0);
	EXPECT_EQ(maps[0].iova, get_u64(d, "iova"));
	EXPECT_EQ(maps[0].length, get_u64(d, "length"));
	EXPECT_EQ(maps[0].user_va, get_u64(d, "user_va"));
	EXPECT_EQ((uintptr_t)buf, get_u64(d, "user_va"));
	EXPECT_TRUE(get_bool(d, "read"));
	EXPECT_TRUE(get_bool(d, "write"));
	free(maps);
	json_object_put(o);

	ASSERT_EQ(0, ctl("-j translate %s 0x%llx", self->name, WIN_IOVA + TL_PAGE + 8));
	o = parsed();
	ASSERT_NE(NULL, o);
	ASSERT_EQ(0, smmua_translate(self->fd, sp, NULL, WIN_IOVA + TL_PAGE + 8, &t));
	EXPECT_EQ(t.out_user_va, get_u64(o, "user_va"));
	EXPECT_EQ((uintptr_t)buf + TL_PAGE + 8, get_u64(o, "user_va"));
	EXPECT_TRUE(t.out_flags & SMMU_ASSIGN_XLATE_PHYS);
	EXPECT_EQ(t.out_phys, get_u64(o, "phys"));
	EXPECT_TRUE(get_bool(o, "read"));
	EXPECT_TRUE(get_bool(o, "write"));
	json_object_put(o);
	EXPECT_EQ(1, ctl("translate %s 0x%llx", self->name, WIN_IOVA + 4 * TL_PAGE));
	EXPECT_NE(NULL, strstr(err_buf, "smmuctl: "));
	EXPECT_NE(NULL, strstr(err_buf, "not mapped"));

	/* stats */
	ASSERT_EQ(0, ctl("-j stats %s", self->name));
	o = parsed();
	ASSERT_NE(NULL, o);
	ASSERT_EQ(0, smmua_get_info(self->fd, &gi));
	ASSERT_EQ(0, smmua_query(self->fd, &self->bdf, &q));
	EXPECT_EQ(gi.out_num_devices, get_u64(get(o, "global"), "num_devices"));
	EXPECT_EQ(gi.out_total_maps, get_u64(get(o, "global"), "total_maps"));
	EXPECT_EQ(gi.out_bytes_mapped, get_u64(get(o, "global"), "bytes_mapped"));
	d = get(o, "devices");
	ASSERT_EQ(1, json_object_array_length(d));
	d = json_object_array_get_idx(d, 0);
	EXPECT_STREQ(self->name, get_str(d, "bdf"));
	EXPECT_EQ(q.out_stats.maps, get_u64(d, "maps"));
	EXPECT_EQ(1, get_u64(d, "maps"));
	EXPECT_EQ(q.out_stats.bytes_mapped, get_u64(d, "bytes_mapped"));
	EXPECT_EQ(2 * TL_PAGE, get_u64(d, "bytes_mapped"));
	EXPECT_EQ(q.out_stats.pinned_pages, get_u64(d, "pinned_pages"));
	EXPECT_EQ(q.out_stats.iotlb_syncs, get_u64(d, "iotlb_syncs"));
	if (access("/sys/bus/event_source/devices", F_OK) || !get_bool(get(o, "pmcg"), "available")) {
		EXPECT_FALSE(get_bool(get(o, "pmcg"), "available"));
		ASSERT_EQ(0, ctl("stats"));
		EXPECT_NE(NULL, strstr(out_buf, "PMCG counters: not available on this SMMU"));
	}
	json_object_put(o);

	/* faults: counters match; --follow meets our claim. */
	ASSERT_EQ(0, ctl("-j faults %s", self->name));
	o = parsed();
	ASSERT_NE(NULL, o);
	for (i = 0; i < SMMU_ASSIGN_FAULT_NR_REASONS; i++)
		EXPECT_EQ(q.out_stats.faults[i],
			  get_u64(get(o, "reasons"), smmua_fault_reason_name(i)));
	EXPECT_EQ(q.out_stats.faults_lost, get_u64(o, "lost"));
	EXPECT_EQ(tl_faults_delivered(), get_bool(o, "delivered"));
	json_object_put(o);
	EXPECT_EQ(1, ctl("faults %s --follow", self->name));
	EXPECT_NE(NULL, strstr(err_buf, tl_faults_delivered() ? "another process" :
				       "not delivered by this kernel")) TH_LOG("%s", err_buf);

	/* A claimed binding cannot be unbound by smmuctl. */
	EXPECT_EQ(1, ctl("unbind %s", self->name));
	EXPECT_NE(NULL, strstr(err_buf, "smmuctl: "));
	ASSERT_EQ(0, smmua_claim(self->fd, &self->bdf, SMMU_ASSIGN_CLAIM_RELEASE, 0, NULL));
	tl_buf_free(buf, 2 * TL_PAGE);

	/* giveback refuses a bound device. */
	EXPECT_EQ(1, ctl("giveback %s", self->name));
	EXPECT_NE(NULL, strstr(err_buf, "smmuctl unbind"));

	ASSERT_EQ(0, ctl("-j unbind %s", self->name));
	o = parsed();
	EXPECT_NE(NULL, o);
	json_object_put(o);
	EXPECT_EQ(-ENOENT, smmua_query(self->fd, &self->bdf, &q));
	EXPECT_EQ(1, ctl("unbind %s", self->name));
	EXPECT_NE(NULL, strstr(err_buf, "not bound"));
	ASSERT_EQ(0, ctl("giveback %s", self->name));
}

TEST_F(smmuctl, faults_follow)
{
	char outfile[] = "/tmp/smmuctl_follow.out", text[4096];
	char *argv[] = { SMMUCTL, "-j", "faults", (char *)self->name, "--follow", NULL };
	posix_spawn_file_actions_t fa;
	struct smmu_assign_query q;
	struct json_object *o;
	struct tl_edu e;
	int i, st, fd;
	ssize_t n = 0;
	pid_t pid;

	ASSERT_EQ(0, ctl("takeover %s", self->name));
	ASSERT_EQ(0, ctl("bind %s --window 0x100000:1M", self->name));
	if (!tl_faults_delivered()) {
		/* No records to wait for: it says why at once, and claims nothing. */
		EXPECT_EQ(1, ctl("-j faults %s --follow", self->name));
		EXPECT_NE(NULL, strstr(err_buf, "not delivered by this kernel"))
			TH_LOG("%s", err_buf);
		EXPECT_STREQ("", out_buf);
		ASSERT_EQ(0, smmua_query(self->fd, &self->bdf, &q));
		EXPECT_FALSE(q.out_state & SMMU_ASSIGN_STATE_OWNED);
		ASSERT_EQ(0, ctl("unbind %s", self->name));
		TL_SKIP_FAULTS();
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, outfile, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ASSERT_EQ(0, posix_spawn(&pid, SMMUCTL, &fa, NULL, argv, NULL));
	posix_spawn_file_actions_destroy(&fa);
	for (i = 0; i < 100; i++) {
		ASSERT_EQ(0, smmua_query(self->fd, &self->bdf, &q));
		if (q.out_state & SMMU_ASSIGN_STATE_OWNED)
			break;
		usleep(20000);
	}
	EXPECT_TRUE(q.out_state & SMMU_ASSIGN_STATE_OWNED);
	EXPECT_EQ(pid, q.out_owner_pid);

	/* An edu read of the unmapped window: one or more fault records. */
	if (!tl_edu_open(&e, self->name)) {
		tl_edu_to_dev(&e, WIN_IOVA, 4);
		tl_edu_close(&e);
		for (i = 0; i < 100 && n <= 0; i++) {
			usleep(20000);
			fd = open(outfile, O_RDONLY);
			n = read(fd, text, sizeof(text) - 1);
			close(fd);
		}
		ASSERT_LT(0, n);
		text[n] = '\0';
		*strchrnul(text, '\n') = '\0';
		o = json_tokener_parse(text);
		ASSERT_NE(NULL, o);
		EXPECT_STREQ(self->name, get_str(o, "bdf"));
		EXPECT_EQ(WIN_IOVA, get_u64(o, "iova") & ~0xfffULL);
		EXPECT_STREQ("translation", get_str(o, "reason"));
		EXPECT_STREQ("read", get_str(o, "access"));
		EXPECT_EQ(1, get_u64(o, "seq"));
		json_object_put(o);
	}

	kill(pid, SIGINT);
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_TRUE(WIFEXITED(st));
	EXPECT_EQ(0, WEXITSTATUS(st));
	ASSERT_EQ(0, smmua_query(self->fd, &self->bdf, &q));
	EXPECT_FALSE(q.out_state & SMMU_ASSIGN_STATE_OWNED);
	unlink(outfile);
	ASSERT_EQ(0, ctl("unbind %s", self->name));
}

/* Run the example driver with args; its exit status, its output in out_buf. */
static int run_edu_dma(const char *args)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "/usr/bin/edu-dma %s", args);
	return tl_run(out_buf, sizeof(out_buf), cmd);
}

/*
 * tools/examples/edu-dma: the device reached through a device fd, its DMAs
 * ending by MSI, the round trip verified, and the blocked DMA a fault
 * record where the kernel delivers faults, and said not to be one where it
 * does not.
 */
TEST_F(smmuctl, edu_dma_example)
{
	ASSERT_EQ(0, ctl("takeover %s", self->name));
	ASSERT_EQ(0, run_edu_dma(self->name)) TH_LOG("%s", out_buf);
	TH_LOG("%s", out_buf);
	/* Through a device fd, its DMA's end signalled by MSI (the ITS). */
	EXPECT_NE(NULL, strstr(out_buf, "device fd: BAR0 mmap()ed from region 0; DMA completion by msi interrupt, through an eventfd"));
	EXPECT_NE(NULL, strstr(out_buf, "DMA round trip: 2048 bytes RAM -> device -> RAM through the SMMU, verified"));
	EXPECT_NE(NULL, strstr(out_buf, "refused, the memory behind it unchanged"));
	if (tl_faults_delivered()) {
		EXPECT_NE(NULL, strstr(out_buf, "blocked DMA: fault #1, write of IOVA 0x110000"));
	} else {
		EXPECT_NE(NULL, strstr(out_buf, "fault record not delivered by this kernel"));
	}
	EXPECT_NE(NULL, strstr(out_buf, "closed: mappings gone, pages unpinned"));
}

/* The example's other ways to learn a DMA's end, asked for with --irq. */
TEST_F(smmuctl, edu_dma_example_intx_and_polling)
{
	char args[64];

	ASSERT_EQ(0, ctl("takeover %s", self->name));
	snprintf(args, sizeof(args), "--irq intx %s", self->name);
	ASSERT_EQ(0, run_edu_dma(args)) TH_LOG("%s", out_buf);
	EXPECT_NE(NULL, strstr(out_buf, "DMA completion by intx interrupt, through an eventfd, unmasked after each (msi: not tried)"))
		TH_LOG("%s", out_buf);
	EXPECT_NE(NULL, strstr(out_buf, "DMA round trip: 2048 bytes RAM -> device -> RAM through the SMMU, verified"));
	EXPECT_NE(NULL, strstr(out_buf, "refused, the memory behind it unchanged"));

	snprintf(args, sizeof(args), "--irq poll %s", self->name);
	ASSERT_EQ(0, run_edu_dma(args)) TH_LOG("%s", out_buf);
	EXPECT_NE(NULL, strstr(out_buf, "DMA completion by polling the command register (msi: not tried, intx: not tried)"))
		TH_LOG("%s", out_buf);
	EXPECT_NE(NULL, strstr(out_buf, "DMA round trip: 2048 bytes RAM -> device -> RAM through the SMMU, verified"));
	EXPECT_EQ(2, run_edu_dma("--irq msix 00:02.0"));
}

/* The JSON region of index, or NULL. */
static struct json_object *region_of(struct json_object *o, unsigned int index)
{
	struct json_object *arr = get(o, "regions"), *r;
	size_t i;

	for (i = 0; arr && i < json_object_array_length(arr); i++) {
		r = json_object_array_get_idx(arr, i);
		if (get_u64(r, "index") == index)
			return r;
	}
	return NULL;
}

static __u32 vfio_irq_count(int devfd, __u32 index)
{
	struct vfio_irq_info info = { .argsz = sizeof(info), .index = index };

	return ioctl(devfd, VFIO_DEVICE_GET_IRQ_INFO, &info) ? 0 : info.count;
}

/* VFIO_DEVICE_SET_IRQS: vector 0 of index signals efd, or (efd -1) none. */
static int vfio_set_irq(int devfd, __u32 index, int efd)
{
	union {
		struct vfio_irq_set set;
		char buf[sizeof(struct vfio_irq_set) + sizeof(__s32)];
	} u = { .set = { .argsz = sizeof(u), .index = index, .count = 1,
			 .flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER } };

	if (efd < 0) {
		u.set.argsz = sizeof(u.set);
		u.set.flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER;
		u.set.count = 0;
	} else {
		memcpy(u.set.data, &efd, sizeof(efd));
	}
	return ioctl(devfd, VFIO_DEVICE_SET_IRQS, &u.set) ? -errno : 0;
}

/*
 * info's regions and interrupts, read from sysfs, against what a device fd
 * says of the same device (VFIO_DEVICE_GET_REGION_INFO, _GET_IRQ_INFO), and
 * the device fd and the interrupts enabled through it, as QUERY reports them.
 */
TEST_F(smmuctl, info_regions_interrupts)
{
	struct vfio_region_info ri = { .argsz = sizeof(ri), .index = VFIO_PCI_BAR0_REGION_INDEX };
	struct json_object *o, *r, *irq;
	struct smmu_assign_query q;
	__u32 sp = 0;
	int devfd, efd;

	ASSERT_EQ(0, ctl("takeover %s", self->name));
	/* Unbound: the device's own, and no binding members. */
	ASSERT_EQ(0, ctl("-j info %s", self->name));
	o = parsed();
	ASSERT_NE(NULL, o);
	r = region_of(o, 0);
	ASSERT_NE(NULL, r);
	EXPECT_STREQ("BAR0", get_str(r, "name"));
	EXPECT_EQ(EDU_BAR0_SIZE, get_u64(r, "size"));
	EXPECT_STREQ("memory", get_str(r, "type"));
	EXPECT_TRUE(get_bool(r, "mmappable"));
	EXPECT_EQ(1, json_object_array_length(get(o, "regions")));
	irq = get(o, "interrupts");
	EXPECT_STREQ("A", get_str(irq, "intx_pin"));
	EXPECT_EQ(1, get_u64(irq, "msi_vectors"));
	EXPECT_EQ(0, get_u64(irq, "msix_vectors"));
	EXPECT_EQ(NULL, get_str(irq, "enabled"));
	EXPECT_EQ(NULL, get(o, "device_fd"));
	json_object_put(o);
	ASSERT_EQ(0, ctl("info %s", self->name));
	EXPECT_NE(NULL, strstr(out_buf, "region 0:     BAR0, 1M at 0x")) TH_LOG("%s", out_buf);
	EXPECT_NE(NULL, strstr(out_buf, ", memory, mmappable\n"));
	EXPECT_NE(NULL, strstr(out_buf, "interrupts:   intx pin A, msi 1 vector, no msix\n"));
	EXPECT_EQ(NULL, strstr(out_buf, "device fd:"));

	/* Bound and claimed by this file, which opens the device. */
	ASSERT_EQ(0, ctl("bind %s --window 1M:1M", self->name));
	ASSERT_EQ(0, ctl("info %s", self->name));
	EXPECT_NE(NULL, strstr(out_buf, "device fd:    none open\n"));
	ASSERT_EQ(0, smmua_claim(self->fd, &self->bdf, 0, 0, &sp));
	devfd = smmua_device_fd(self->fd, &self->bdf);
	ASSERT_LE(0, devfd) TH_LOG("DEVICE_FD: %s", strerror(-devfd));
	EXPECT_EQ(-EBUSY, smmua_device_fd(self->fd, &self->bdf));

	ASSERT_EQ(0, ctl("-j info %s", self->name));
	o = parsed();
	EXPECT_NE(NULL, o);
	EXPECT_TRUE(get_bool(o, "device_fd"));
	EXPECT_EQ(0, ioctl(devfd, VFIO_DEVICE_GET_REGION_INFO, &ri));
	r = region_of(o, 0);
	EXPECT_EQ(ri.size, get_u64(r, "size"));
	EXPECT_EQ(!!(ri.flags & VFIO_REGION_INFO_FLAG_MMAP), get_bool(r, "mmappable"));
	irq = get(o, "interrupts");
	EXPECT_EQ(vfio_irq_count(devfd, VFIO_PCI_INTX_IRQ_INDEX), get_str(irq, "intx_pin") ? 1 : 0);
	EXPECT_EQ(vfio_irq_count(devfd, VFIO_PCI_MSI_IRQ_INDEX), get_u64(irq, "msi_vectors"));
	EXPECT_EQ(vfio_irq_count(devfd, VFIO_PCI_MSIX_IRQ_INDEX), get_u64(irq, "msix_vectors"));
	EXPECT_EQ(NULL, get_str(irq, "enabled"));
	json_object_put(o);
	ASSERT_EQ(0, ctl("info %s", self->name));
	EXPECT_NE(NULL, strstr(out_buf, "device fd:    open, no interrupts enabled\n"));

	/* MSI on an eventfd: QUERY, and so info, say so. */
	efd = eventfd(0, EFD_CLOEXEC);
	EXPECT_LE(0, efd);
	EXPECT_EQ(0, vfio_set_irq(devfd, VFIO_PCI_MSI_IRQ_INDEX, efd));
	EXPECT_EQ(0, smmua_query(self->fd, &self->bdf, &q));
	EXPECT_TRUE(q.out_state & SMMU_ASSIGN_STATE_DEVICE_FD);
	EXPECT_EQ(VFIO_PCI_MSI_IRQ_INDEX, q.out_irq_index);
	EXPECT_EQ(1, q.out_irq_count);
	EXPECT_EQ(0, ctl("-j info %s", self->name));
	o = parsed();
	EXPECT_NE(NULL, o);
	irq = get(o, "interrupts");
	EXPECT_STREQ("msi", get_str(irq, "enabled"));
	EXPECT_EQ(1, get_u64(irq, "enabled_vectors"));
	json_object_put(o);
	EXPECT_EQ(0, ctl("info %s", self->name));
	EXPECT_NE(NULL, strstr(out_buf, "device fd:    open, msi enabled (1 vector)\n"));
	EXPECT_EQ(0, vfio_set_irq(devfd, VFIO_PCI_MSI_IRQ_INDEX, -1));

	close(devfd);
	close(efd);
	ASSERT_EQ(0, smmua_query(self->fd, &self->bdf, &q));
	EXPECT_FALSE(q.out_state & SMMU_ASSIGN_STATE_DEVICE_FD);
	ASSERT_EQ(0, ctl("-j info %s", self->name));
	o = parsed();
	EXPECT_NE(NULL, o);
	EXPECT_FALSE(get_bool(o, "device_fd"));
	EXPECT_EQ(NULL, get_str(get(o, "interrupts"), "enabled"));
	json_object_put(o);
	ASSERT_EQ(0, smmua_claim(self->fd, &self->bdf, SMMU_ASSIGN_CLAIM_RELEASE, 0, NULL));
	ASSERT_EQ(0, ctl("unbind %s", self->name));
}

TEST_F(smmuctl, version)
{
	struct smmu_assign_get_info gi;
	struct json_object *o;
	char want[32];

	ASSERT_EQ(0, smmua_get_info(self->fd, &gi));
	ASSERT_EQ(0, ctl("-j version"));
	o = parsed();
	ASSERT_NE(NULL, o);
	EXPECT_EQ(SMMU_ASSIGN_API_VERSION, get_u64(o, "smmuctl_api"));
	EXPECT_EQ(gi.out_api_version, get_u64(o, "module_api"));
	EXPECT_EQ(gi.out_capabilities, get_u64(o, "capabilities_mask"));
	json_object_put(o);
	ASSERT_EQ(0, ctl("version"));
	snprintf(want, sizeof(want), "smmuctl API %u\n", SMMU_ASSIGN_API_VERSION);
	EXPECT_NE(NULL, strstr(out_buf, want));
}

TEST_F(smmuctl, usage_errors)
{
	static const char * const bad_bdfs[] = {
		"10000:00:02.0", "100:02.0", "00:20.0", "00:02.8", "junk", "''",
		"00:02.0x", "'00:02.0 '", "-0:02.0", "+00:02.0",
	};
	static const char * const bad_windows[] = {
		"1M:0", "1M", "1M:", ":1M", "1M:4X", "1M:-4K", "1M:4KB", "x:1M",
		"1M:99999999999999999999", "1M:0x10000000000000000", "1M:16777216T",
	};
	unsigned int i;

	for (i = 0; i < sizeof(bad_bdfs) / sizeof(bad_bdfs[0]); i++) {
		EXPECT_EQ(2, ctl("info %s", bad_bdfs[i]));
		EXPECT_EQ(0, strncmp(err_buf, "smmuctl: ", 9));
		EXPECT_EQ(2, ctl("bind %s --window 1M:1M", bad_bdfs[i]));
	}
	for (i = 0; i < sizeof(bad_windows) / sizeof(bad_windows[0]); i++) {
		EXPECT_EQ(2, ctl("bind %s --window %s", self->name, bad_windows[i]));
		EXPECT_EQ(0, strncmp(err_buf, "smmuctl: ", 9));
	}
	EXPECT_EQ(2, ctl("translate %s 12abc", self->name));
	EXPECT_EQ(2, ctl("bind %s", self->name));
	EXPECT_EQ(2, ctl("takeover %s --driver e1000e", self->name));
	EXPECT_EQ(2, ctl("nosuchcommand"));
	EXPECT_EQ(0, strncmp(err_buf, "smmuctl: ", 9));
	EXPECT_EQ(2, ctl("%s", ""));

	/* Help, both ways, for every command. */
	EXPECT_EQ(0, ctl("help bind"));
	EXPECT_NE(NULL, strstr(out_buf, "persistent"));
	EXPECT_EQ(0, ctl("bind --help"));
	EXPECT_NE(NULL, strstr(out_buf, "persistent"));
	EXPECT_EQ(0, ctl("--help"));
	EXPECT_NE(NULL, strstr(out_buf, "Exit status"));
	EXPECT_EQ(2, ctl("help nosuchcommand"));
}

TEST_F(smmuctl, takeover_hint)
{
	struct vfio_group_status gs = { .argsz = sizeof(gs) };
	char path[64], want[128];
	int container, group;
	struct smmua_pci_dev d;

	/* No driver: BIND is EBUSY, smmuctl says what to run. */
	EXPECT_EQ(1, ctl("bind %s --window 1M:1M", self->name));
	snprintf(want, sizeof(want), "run 'smmuctl takeover %s'", self->name);
	EXPECT_NE(NULL, strstr(err_buf, want));
	EXPECT_NE(NULL, strstr(err_buf, "no driver"));

	/* vfio-pci with its group in use by VFIO. */
	if (!vfio_loaded())
		SKIP(return, "vfio-pci is not loaded");
	ASSERT_EQ(0, ctl("takeover %s --driver vfio-pci", self->name));
	ASSERT_EQ(0, smmua_pci_read(&self->bdf, &d));
	ASSERT_LE(0, d.iommu_group);
	container = open("/dev/vfio/vfio", O_RDWR);
	ASSERT_LE(0, container);
	snprintf(path, sizeof(path), "/dev/vfio/%d", d.iommu_group);
	group = open(path, O_RDWR);
	ASSERT_LE(0, group);
	ASSERT_EQ(0, ioctl(group, VFIO_GROUP_GET_STATUS, &gs));
	ASSERT_TRUE(gs.flags & VFIO_GROUP_FLAGS_VIABLE);
	ASSERT_EQ(0, ioctl(group, VFIO_GROUP_SET_CONTAINER, &container));

	EXPECT_EQ(1, ctl("bind %s --window 1M:1M", self->name));
	EXPECT_NE(NULL, strstr(err_buf, want));
	EXPECT_NE(NULL, strstr(err_buf, "vfio-pci"));

	ioctl(group, VFIO_GROUP_UNSET_CONTAINER);
	close(group);
	close(container);
	ASSERT_EQ(0, ctl("giveback %s", self->name));
}

TEST_HARNESS_MAIN
