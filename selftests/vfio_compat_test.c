// SPDX-License-Identifier: GPL-2.0
/*
 * The VFIO-compatible nodes: /dev/smmu-assign-vfio/vfio, a container with
 * VFIO type1's IOMMU ABI over an address space, and a group node for each
 * bound IOMMU group. Driven here as QEMU drives VFIO: container, group,
 * SET_CONTAINER, SET_IOMMU, GET_INFO, MAP_DMA, GET_DEVICE_FD, and DMA
 * through the device fd, with the bytes checked. The errnos are VFIO's,
 * read from 6.1's drivers/vfio (container.c, vfio_main.c,
 * vfio_iommu_type1.c), and errnos_match_vfio compares them with the VFIO
 * of the running kernel, input for input, on a third edu on vfio-pci.
 * Where smmu-assign answers otherwise, the test says what VFIO answers.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/kvm.h>
#include <linux/vfio.h>

#include "kselftest_harness.h"
#include "smmu_assign_lib.h"
#include "testlib.h"

#define SMMUCTL		"/usr/sbin/smmuctl"
/* The persistent bindings' window: a container ignores it. */
#define WIN_IOVA	0x100000ULL
#define WIN_LEN		0x1000000ULL
/* Below the MSI window and the edu's 28-bit DMA mask. */
#define SRC_IOVA	0x1000000ULL
#define DST_IOVA	0x1100000ULL
#define MAP_IOVA	0x2000000ULL
#define SHARED_IOVA	0x3000000ULL
/* The first IOVA above the MSI window, still below the edu's mask. */
#define HIGH_IOVA	(TL_MSI_IOVA + TL_MSI_LENGTH)
/* A device name no group has. */
#define NO_DEVICE	"0000:ff:1f.7"
/* A well-formed VF token (vfio-pci's vf_token= option). */
#define VF_TOKEN	"2ab74924-c335-45f4-9b16-8569e5b08258"
#define DMA_LEN		TL_EDU_DMA_MAX
#define CANARY		0x5a
#define FAULT_WAIT_MS	3000
#define NDEV		2
/* An ioctl number neither VFIO nor smmu-assign knows. */
#define VFIO_BOGUS	_IO(VFIO_TYPE, VFIO_BASE + 99)
/* A VFIO_SET_IOMMU type nobody implements. */
#define BOGUS_IOMMU	0x1234

#define RW		(VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)
/* As the kernel's: where VFIO's minsz of a struct ends. */
#define offsetofend(type, member) (offsetof(type, member) + sizeof(((type *)0)->member))
#define PG		((uint64_t)TL_PAGE)

/* GET_DEVICE_FD as 0 or a negative errno, the fd closed again. */
static long try_device_fd(int group, const char *name)
{
	long fd = tl_vfio_device_fd(group, name);

	if (fd < 0)
		return fd;
	close(fd);
	return 0;
}

/* "EINVAL" for -EINVAL, the number for a value. */
static const char *res(long r, char *buf, size_t len)
{
	const char *name = r < 0 ? strerrorname_np(-r) : NULL;

	if (name)
		snprintf(buf, len, "%s", name);
	else
		snprintf(buf, len, "%ld", r);
	return buf;
}

/*
 * [start, last] less the reserved regions: the IOVA ranges type1 gives a
 * container of one group (vfio_iommu_resv_exclude()). Returns how many.
 */
static int ranges_less_resv(uint64_t start, uint64_t last, struct smmu_assign_resv_region *resv,
			    size_t nr_resv, struct vfio_iova_range *out)
{
	uint64_t cur = start;
	bool done = false;
	size_t i, j;
	int n = 0;

	/* By start; there are few. */
	for (i = 0; i < nr_resv; i++)
		for (j = i + 1; j < nr_resv; j++)
			if (resv[j].start < resv[i].start) {
				struct smmu_assign_resv_region t = resv[i];

				resv[i] = resv[j];
				resv[j] = t;
			}
	for (i = 0; i < nr_resv && !done && n < TL_VFIO_MAX_RANGES; i++) {
		if (resv[i].last < cur || resv[i].start > last)
			continue;
		if (resv[i].start > cur)
			out[n++] = (struct vfio_iova_range){ cur, resv[i].start - 1 };
		if (resv[i].last >= last)
			done = true;
		else
			cur = resv[i].last + 1;
	}
	if (!done && n < TL_VFIO_MAX_RANGES)
		out[n++] = (struct vfio_iova_range){ cur, last };
	return n;
}

/* The summed fault counters of a device, as QUERY reports them; -1 on error. */
static long long faults_of(int fd, const struct smmu_assign_bdf *bdf)
{
	struct smmu_assign_query q;
	long long n = 0;
	int i;

	if (smmua_query(fd, bdf, &q))
		return -1;
	for (i = 0; i < SMMU_ASSIGN_FAULT_NR_REASONS; i++)
		n += q.out_stats.faults[i];
	return n;
}

/* The names in dir, sorted, ", "-separated, each with its device number. */
static void listing(const char *dir, char *buf, size_t len)
{
	struct dirent **ents;
	char path[PATH_MAX];
	struct stat st;
	size_t used = 0;
	int n, i;

	buf[0] = '\0';
	n = scandir(dir, &ents, NULL, alphasort);
	for (i = 0; i < n; i++) {
		if (ents[i]->d_name[0] != '.') {
			snprintf(path, sizeof(path), "%s/%s", dir, ents[i]->d_name);
			if (stat(path, &st))
				memset(&st, 0, sizeof(st));
			used += snprintf(buf + used, used < len ? len - used : 0, "%s%s=%u:%u",
					 used ? ", " : "", ents[i]->d_name, major(st.st_rdev),
					 minor(st.st_rdev));
		}
		free(ents[i]);
	}
	if (n >= 0)
		free(ents);
}

/* Whether something is mounted on path in this mount namespace. */
static bool mounted_on(const char *path)
{
	char line[1024], mnt[512];
	bool found = false;
	FILE *f = fopen("/proc/self/mountinfo", "re");

	if (!f)
		return false;
	/* ID PARENT MAJ:MIN ROOT MOUNTPOINT ... */
	while (!found && fgets(line, sizeof(line), f))
		found = sscanf(line, "%*s %*s %*s %*s %511s", mnt) == 1 && !strcmp(mnt, path);
	fclose(f);
	return found;
}

/*
 * Run argv (a NULL-terminated list) as uid (-1: as we are), its standard
 * output and error into out; its exit status, or -1.
 */
static int run(char *out, size_t len, int uid, const char *const *argv)
{
	char *line, *next;
	size_t used = 0;
	int p[2], st;
	ssize_t n;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		dup2(p[1], 1);
		dup2(p[1], 2);
		if (uid >= 0 && tl_become(uid, uid, 0))
			_exit(120);
		execv(argv[0], (char *const *)argv);
		_exit(121);
	}
	close(p[1]);
	while (used < len - 1 && (n = read(p[0], out + used, len - 1 - used)) > 0)
		used += n;
	out[used] = '\0';
	close(p[0]);
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	/* As TAP comments: none of it may read as a result. */
	for (line = out; *line; line = *next ? next + 1 : next) {
		next = strchrnul(line, '\n');
		fprintf(stderr, "# %.*s\n", (int)(next - line), line);
	}
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The value after "key=" in text, as a number; def when missing. */
static long long field(const char *text, const char *key, long long def)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof(pat), "%s=", key);
	p = strstr(text, pat);
	return p ? strtoll(p + strlen(pat), NULL, 0) : def;
}

/*
 * The program vfio_exec runs inside smmuctl vfio-exec: what /dev/vfio is
 * there, one "key=value" a line.
 */
static int probe(const char *group)
{
	char path[64], nodes[1024];
	struct stat st;
	int c, g;

	c = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (c < 0 || fstat(c, &st)) {
		printf("container=-%d\n", errno);
		return 1;
	}
	printf("container_major=%u\ncontainer_minor=%u\n", major(st.st_rdev), minor(st.st_rdev));
	printf("api=%ld\n", tl_ioctl(c, VFIO_GET_API_VERSION, 0));
	printf("type1v2=%ld\n", tl_ioctl(c, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU));
	printf("nesting=%ld\n", tl_ioctl(c, VFIO_CHECK_EXTENSION, VFIO_TYPE1_NESTING_IOMMU));
	snprintf(path, sizeof(path), "/dev/vfio/%s", group);
	g = open(path, O_RDWR | O_CLOEXEC);
	printf("group=%ld\n", g < 0 ? -errno : tl_vfio_group_status(g));
	if (g >= 0)
		printf("join=%ld\n", tl_vfio_set_container(g, c));
	listing("/dev/vfio", nodes, sizeof(nodes));
	printf("nodes=%s\n", nodes);
	return 0;
}

FIXTURE(vfio) {
	char names[TL_MAX_DEVS][SMMUA_BDF_STRLEN];
	int nr_found;		/* the root bus's edus */
	int nr;			/* of them bound persistently here, NDEV at most */
	struct smmu_assign_bdf bdf[NDEV];
	unsigned int group_id[NDEV];
	char node[NDEV][64];	/* their VFIO group nodes */
	uint64_t aperture_start, aperture_last;
	int admin;		/* /dev/smmu-assign: QUERY, SPACE_INFO, UNBIND */
	int container;
	int group[NDEV];
	struct edu edu[NDEV];	/* through device fds from the group nodes */
	struct tl_kmsg kmsg;
	long long pins0;
	char max_mappings[32];	/* to restore, when a test changed it */
	char dma_entry_limit[32];	/* VFIO type1's, likewise */
	bool ref_used;		/* names[NDEV] went to vfio-pci */
};

static int bind_persistent(FIXTURE_DATA(vfio) *self, int i)
{
	struct smmu_assign_bind out;
	int ret;

	ret = smmua_bind(self->admin, &self->bdf[i], SMMU_ASSIGN_BIND_PERSISTENT, WIN_IOVA,
			 WIN_LEN, &out);
	if (ret)
		return ret;
	self->group_id[i] = out.out_group_id;
	snprintf(self->node[i], sizeof(self->node[i]), SMMUA_VFIO_DIR "/%u", out.out_group_id);
	return 0;
}

FIXTURE_SETUP(vfio)
{
	struct smmu_assign_bind out;
	int i;

	self->admin = -1;
	self->container = -1;
	for (i = 0; i < NDEV; i++) {
		self->group[i] = -1;
		edu_attach(&self->edu[i], NULL);
	}
	self->kmsg.fd = -1;
	self->admin = smmua_open();
	ASSERT_LE(0, self->admin);
	self->nr_found = tl_find_edus(self->names, TL_MAX_DEVS);
	self->nr = self->nr_found < NDEV ? self->nr_found : NDEV;
	for (i = 0; i < self->nr; i++) {
		self->bdf[i] = tl_bdf(self->names[i]);
		tl_drop_binding(&self->bdf[i]);
		ASSERT_EQ(0, tl_bind_stub(self->names[i]));
	}
	if (self->nr) {
		/* The aperture a container's domain gets: any domain of this SMMU's. */
		ASSERT_EQ(0, smmua_bind(self->admin, &self->bdf[0], 0, WIN_IOVA, WIN_LEN, &out));
		self->aperture_start = out.out_aperture_start;
		self->aperture_last = out.out_aperture_last;
		ASSERT_EQ(0, smmua_unbind(self->admin, &self->bdf[0]));
	}
	/* Bound as 'smmuctl bind BDF --window' binds: persistent, claimed by none. */
	for (i = 0; i < self->nr; i++)
		ASSERT_EQ(0, bind_persistent(self, i));
	self->pins0 = tl_pins_now();
	ASSERT_LE(0, self->pins0);
	ASSERT_EQ(0, tl_kmsg_open(&self->kmsg));
}

FIXTURE_TEARDOWN(vfio)
{
	int i;

	for (i = 0; i < NDEV; i++) {
		edu_close(&self->edu[i]);
		if (self->group[i] >= 0)
			close(self->group[i]);
	}
	if (self->container >= 0)
		close(self->container);
	if (self->max_mappings[0])
		tl_param_write("max_mappings", self->max_mappings);
	if (self->dma_entry_limit[0])
		tl_write_file("/sys/module/vfio_iommu_type1/parameters/dma_entry_limit",
			      self->dma_entry_limit);
	if (self->ref_used) {
		struct smmu_assign_bdf ref = tl_bdf(self->names[NDEV]);

		tl_drop_binding(&ref);
		tl_bind_stub(self->names[NDEV]);
	}
	for (i = 0; i < self->nr; i++) {
		tl_drop_binding(&self->bdf[i]);
		/* A test may have taken it off its driver: the next one expects the stub. */
		tl_bind_stub(self->names[i]);
	}
	if (self->admin >= 0)
		close(self->admin);
	tl_kmsg_close(&self->kmsg);
}

#define NEED_DEVS(n)	TL_NEED_DEVS(self->nr, n)

/* Open the container, and group i's node into group[i]. */
#define OPEN_CONTAINER() do {							\
	self->container = open(SMMUA_VFIO_CONTAINER, O_RDWR | O_CLOEXEC);	\
	ASSERT_LE(0, self->container);						\
} while (0)

#define OPEN_GROUP(i) do {							\
	self->group[i] = open(self->node[i], O_RDWR | O_CLOEXEC);		\
	ASSERT_LE(0, self->group[i]) TH_LOG("%s: %s", self->node[i], strerror(errno)); \
} while (0)

/* The container with the first n groups in it and its IOMMU set: QEMU's start. */
static void vmm_start(struct __test_metadata *_metadata, FIXTURE_DATA(vfio) *self, int n)
{
	int i;

	OPEN_CONTAINER();
	for (i = 0; i < n; i++) {
		OPEN_GROUP(i);
		ASSERT_EQ(0, tl_vfio_set_container(self->group[i], self->container));
	}
	ASSERT_EQ(0, tl_ioctl(self->container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
}

/* edu[i] through a device fd of its group node, its DMAs ending by MSI. */
static void open_edu(struct __test_metadata *_metadata, FIXTURE_DATA(vfio) *self, int i)
{
	long fd = tl_vfio_device_fd(self->group[i], self->names[i]);

	ASSERT_LE(0, fd) TH_LOG("GET_DEVICE_FD %s: %s", self->names[i], strerror(-fd));
	ASSERT_EQ(0, edu_open_fd(&self->edu[i], fd, VFIO_PCI_MSI_IRQ_INDEX));
	ASSERT_EQ(VFIO_PCI_MSI_IRQ_INDEX, self->edu[i].irq_index);
}

/* What a refused call must leave as it was: the space, DMA_AVAIL and the pins. */
struct snap {
	struct smmua_space_desc d;
	long avail;
	long long pins;
};

static int take_snap(FIXTURE_DATA(vfio) *self, int i, struct snap *s)
{
	s->avail = tl_vfio_dma_avail(self->container);
	s->pins = tl_pins_now();
	return smmua_space_info(self->admin, 0, &self->bdf[i], &s->d);
}

#define UNCHANGED(before) do {							\
	struct snap now_;							\
	ASSERT_EQ(0, take_snap(self, 0, &now_));				\
	EXPECT_TRUE(tl_space_equal(&(before)->d, &now_.d));			\
	EXPECT_EQ((before)->avail, now_.avail);					\
	EXPECT_EQ((before)->pins, now_.pins);					\
	smmua_space_desc_free(&now_.d);						\
} while (0)

/* ---- the way QEMU goes ---- */

/*
 * Container, group, SET_CONTAINER, SET_IOMMU, GET_INFO, MAP_DMA of
 * anonymous memory, GET_DEVICE_FD, DMA both ways through the device fd with
 * the bytes checked, on both sides of the MSI window. A DMA to an IOVA no
 * longer mapped leaves the memory behind it unchanged and is a fault.
 */
TEST_F(vfio, vmm_flow)
{
	uint8_t *src, *dst, *high;
	long long faults0;
	long avail0;

	NEED_DEVS(1);
	OPEN_CONTAINER();
	EXPECT_EQ(VFIO_API_VERSION, tl_ioctl(self->container, VFIO_GET_API_VERSION, 0));
	EXPECT_EQ(1, tl_ioctl(self->container, VFIO_CHECK_EXTENSION, VFIO_TYPE1_IOMMU));
	EXPECT_EQ(1, tl_ioctl(self->container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU));
	EXPECT_EQ(1, tl_ioctl(self->container, VFIO_CHECK_EXTENSION, VFIO_UNMAP_ALL));
	/* Not offered: nesting, VFIO_UPDATE_VADDR; arm-smmu-v3 enforces no coherency. */
	EXPECT_EQ(0, tl_ioctl(self->container, VFIO_CHECK_EXTENSION, VFIO_TYPE1_NESTING_IOMMU));
	EXPECT_EQ(0, tl_ioctl(self->container, VFIO_CHECK_EXTENSION, VFIO_UPDATE_VADDR));
	EXPECT_EQ(0, tl_ioctl(self->container, VFIO_CHECK_EXTENSION, VFIO_DMA_CC_IOMMU));
	EXPECT_EQ(0, tl_ioctl(self->container, VFIO_CHECK_EXTENSION, VFIO_SPAPR_TCE_IOMMU));
	EXPECT_EQ(0, tl_ioctl(self->container, VFIO_CHECK_EXTENSION, VFIO_NOIOMMU_IOMMU));

	OPEN_GROUP(0);
	EXPECT_EQ(VFIO_GROUP_FLAGS_VIABLE, tl_vfio_group_status(self->group[0]));
	ASSERT_EQ(0, tl_vfio_set_container(self->group[0], self->container));
	EXPECT_EQ(VFIO_GROUP_FLAGS_VIABLE | VFIO_GROUP_FLAGS_CONTAINER_SET,
		  tl_vfio_group_status(self->group[0]));
	ASSERT_EQ(0, tl_ioctl(self->container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
	avail0 = tl_vfio_dma_avail(self->container);
	ASSERT_LT(0, avail0);

	src = tl_buf_alloc(PG, 0);
	dst = tl_buf_alloc(PG, CANARY);
	high = tl_buf_alloc(PG, CANARY);
	ASSERT_NE(NULL, src);
	ASSERT_NE(NULL, dst);
	ASSERT_NE(NULL, high);
	tl_buf_pattern(src, PG, 0xf10);
	ASSERT_EQ(0, tl_vfio_map(self->container, src, SRC_IOVA, PG, VFIO_DMA_MAP_FLAG_READ));
	EXPECT_EQ(avail0 - 1, tl_vfio_dma_avail(self->container));
	ASSERT_EQ(0, tl_vfio_map(self->container, dst, DST_IOVA, PG, RW));
	EXPECT_EQ(avail0 - 2, tl_vfio_dma_avail(self->container));
	ASSERT_EQ(0, tl_vfio_map(self->container, high, HIGH_IOVA, PG, RW));
	EXPECT_EQ(avail0 - 3, tl_vfio_dma_avail(self->container));
	EXPECT_EQ(self->pins0 + 3, tl_pins_now());

	open_edu(_metadata, self, 0);
	ASSERT_EQ(0, edu_dma(&self->edu[0], SRC_IOVA, DMA_LEN, EDU_DMA_TO_DEVICE));
	ASSERT_EQ(0, edu_dma(&self->edu[0], DST_IOVA, DMA_LEN, EDU_DMA_FROM_DEVICE));
	EXPECT_EQ(0, memcmp(src, dst, DMA_LEN));
	ASSERT_EQ(0, edu_dma(&self->edu[0], HIGH_IOVA, DMA_LEN, EDU_DMA_FROM_DEVICE));
	EXPECT_EQ(0, memcmp(src, high, DMA_LEN));

	/* Unmapped: the device's write is refused, the memory behind it unchanged. */
	EXPECT_EQ(PG, tl_vfio_unmap(self->container, DST_IOVA, PG, 0));
	EXPECT_EQ(avail0 - 2, tl_vfio_dma_avail(self->container));
	memset(dst, CANARY, PG);
	faults0 = faults_of(self->admin, &self->bdf[0]);
	ASSERT_LE(0, faults0);
	ASSERT_EQ(0, tl_kmsg_mark(&self->kmsg));
	ASSERT_EQ(0, edu_dma(&self->edu[0], DST_IOVA, DMA_LEN, EDU_DMA_FROM_DEVICE));
	EXPECT_EQ(-1, tl_buf_find_not(dst, PG, CANARY));

	/* Device fd, group, container: everything pinned is let go. */
	edu_close(&self->edu[0]);
	close(self->group[0]);
	self->group[0] = -1;
	close(self->container);
	self->container = -1;
	EXPECT_EQ(self->pins0, tl_pins_now());
	tl_buf_free(src, PG);
	tl_buf_free(dst, PG);
	tl_buf_free(high, PG);

	if (!tl_faults_delivered()) {
		EXPECT_EQ(faults0, faults_of(self->admin, &self->bdf[0]));
		TL_SKIP_FAULTS();
	}
	/* The container has no fault queue to read: the log and QUERY's counters. */
	EXPECT_EQ(1, tl_kmsg_wait_fault(&self->kmsg, self->names[0], DST_IOVA, "write",
					FAULT_WAIT_MS));
	EXPECT_LT(faults0, faults_of(self->admin, &self->bdf[0]));
}

/*
 * GET_INFO as type1 answers it: the page sizes of the domain, never below
 * the CPU's page; DMA_AVAIL; and the IOVA ranges, the aperture less the
 * group's reserved regions (the MSI window), the same as the space's
 * allowed ranges. An argsz with no room for the capabilities says how
 * much is needed; one without cap_offset gets no cap_offset.
 */
TEST_F(vfio, get_info)
{
	struct vfio_iova_range want[TL_VFIO_MAX_RANGES];
	struct smmu_assign_resv_region *resv;
	struct vfio_iommu_type1_info small;
	struct smmua_space_desc d;
	char max[32];
	struct tl_vfio_info info;
	size_t nr_resv;
	bool below = false, above = false;
	int i, n;

	NEED_DEVS(1);
	vmm_start(_metadata, self, 1);
	ASSERT_EQ(0, tl_vfio_info(self->container, &info));
	EXPECT_EQ(VFIO_IOMMU_INFO_PGSIZES | VFIO_IOMMU_INFO_CAPS, info.flags);
	ASSERT_EQ(0, tl_param_read("max_mappings", max, sizeof(max)));
	EXPECT_EQ(atol(max), info.avail);

	ASSERT_EQ(0, smmua_space_info(self->admin, 0, &self->bdf[0], &d));
	EXPECT_NE(0, info.pgsizes & PG);
	EXPECT_EQ(0, info.pgsizes & (PG - 1));
	EXPECT_EQ((d.info.out_pgsize_bitmap & ~(PG - 1)) | PG, info.pgsizes);

	ASSERT_LT(0, info.nr_ranges);
	ASSERT_EQ(0, smmua_resv_regions(self->admin, &self->bdf[0], &resv, &nr_resv));
	n = ranges_less_resv(self->aperture_start, self->aperture_last, resv, nr_resv, want);
	free(resv);
	ASSERT_EQ(n, info.nr_ranges);
	ASSERT_EQ(n, d.num_ranges);
	for (i = 0; i < n; i++) {
		EXPECT_EQ(want[i].start, info.ranges[i].start);
		EXPECT_EQ(want[i].end, info.ranges[i].end);
		EXPECT_EQ(info.ranges[i].start, d.ranges[i].iova);
		EXPECT_EQ(info.ranges[i].end - info.ranges[i].start + 1, d.ranges[i].length);
		/* Inside the aperture, clear of the MSI window, in order. */
		EXPECT_LE(self->aperture_start, info.ranges[i].start);
		EXPECT_GE(self->aperture_last, info.ranges[i].end);
		EXPECT_TRUE(info.ranges[i].end < TL_MSI_IOVA ||
			    info.ranges[i].start >= TL_MSI_IOVA + TL_MSI_LENGTH);
		if (i)
			EXPECT_LT(info.ranges[i - 1].end, info.ranges[i].start);
		below |= info.ranges[i].end == TL_MSI_IOVA - 1;
		above |= info.ranges[i].start == TL_MSI_IOVA + TL_MSI_LENGTH;
	}
	EXPECT_TRUE(below);
	EXPECT_TRUE(above);
	smmua_space_desc_free(&d);

	/* No room for the capabilities: flagged, argsz grown, cap_offset 0. */
	memset(&small, 0xff, sizeof(small));
	small.argsz = sizeof(small);
	ASSERT_EQ(0, tl_ioctl_p(self->container, VFIO_IOMMU_GET_INFO, &small));
	EXPECT_EQ(VFIO_IOMMU_INFO_PGSIZES | VFIO_IOMMU_INFO_CAPS, small.flags);
	EXPECT_LT(sizeof(small), small.argsz);
	EXPECT_EQ(0, small.cap_offset);
	/* An older user's struct ends at iova_pgsizes: cap_offset is not written. */
	memset(&small, 0xff, sizeof(small));
	small.argsz = offsetof(struct vfio_iommu_type1_info, cap_offset);
	ASSERT_EQ(0, tl_ioctl_p(self->container, VFIO_IOMMU_GET_INFO, &small));
	EXPECT_EQ(info.pgsizes, small.iova_pgsizes);
	EXPECT_EQ(0xffffffff, small.cap_offset);
	/* Shorter than that is EINVAL, and nothing is written. */
	memset(&small, 0xff, sizeof(small));
	small.argsz = offsetof(struct vfio_iommu_type1_info, cap_offset) - 1;
	EXPECT_EQ(-EINVAL, tl_ioctl_p(self->container, VFIO_IOMMU_GET_INFO, &small));
	EXPECT_EQ(0xffffffff, small.flags);
}

/*
 * UNMAP_DMA by type1v2's rules: a range that bisects a mapping is EINVAL
 * and unmaps nothing; one with no mapping in it succeeds unmapping 0
 * bytes; one that covers mappings whole unmaps them and says how much;
 * VFIO_DMA_UNMAP_FLAG_ALL takes iova = size = 0 and unmaps everything.
 */
TEST_F(vfio, unmap_semantics)
{
	struct vfio_iommu_type1_dma_unmap u;
	uint8_t *buf;
	struct snap s;
	long avail0;

	NEED_DEVS(1);
	vmm_start(_metadata, self, 1);
	open_edu(_metadata, self, 0);
	avail0 = tl_vfio_dma_avail(self->container);
	buf = tl_buf_alloc(8 * PG, CANARY);
	ASSERT_NE(NULL, buf);
	/* M1: 3 pages at MAP_IOVA; M2: 2 pages at MAP_IOVA + 8 pages. */
	ASSERT_EQ(0, tl_vfio_map(self->container, buf, MAP_IOVA, 3 * PG, RW));
	ASSERT_EQ(0, tl_vfio_map(self->container, buf + 3 * PG, MAP_IOVA + 8 * PG, 2 * PG, RW));
	ASSERT_EQ(0, take_snap(self, 0, &s));
	EXPECT_EQ(avail0 - 2, s.avail);

	/* Bisected at its start, at its end, and M2 by the end of a larger range. */
	EXPECT_EQ(-EINVAL, tl_vfio_unmap(self->container, MAP_IOVA + PG, PG, 0));
	EXPECT_EQ(-EINVAL, tl_vfio_unmap(self->container, MAP_IOVA, PG, 0));
	EXPECT_EQ(-EINVAL, tl_vfio_unmap(self->container, MAP_IOVA + PG, 2 * PG, 0));
	EXPECT_EQ(-EINVAL, tl_vfio_unmap(self->container, MAP_IOVA, 9 * PG, 0));
	/* A refused UNMAP writes nothing back. */
	u = (struct vfio_iommu_type1_dma_unmap){ .argsz = sizeof(u), .iova = MAP_IOVA + PG,
						 .size = PG };
	EXPECT_EQ(-EINVAL, tl_ioctl_p(self->container, VFIO_IOMMU_UNMAP_DMA, &u));
	EXPECT_EQ(PG, u.size);
	UNCHANGED(&s);
	/* The device still reaches all of M1. */
	tl_buf_pattern(buf, PG, 11);
	ASSERT_EQ(0, edu_dma(&self->edu[0], MAP_IOVA, DMA_LEN, EDU_DMA_TO_DEVICE));
	ASSERT_EQ(0, edu_dma(&self->edu[0], MAP_IOVA + 2 * PG, DMA_LEN, EDU_DMA_FROM_DEVICE));
	EXPECT_EQ(0, memcmp(buf, buf + 2 * PG, DMA_LEN));

	/* Nothing mapped in the range: success, 0 bytes. */
	EXPECT_EQ(0, tl_vfio_unmap(self->container, MAP_IOVA + 3 * PG, 5 * PG, 0));
	EXPECT_EQ(0, tl_vfio_unmap(self->container, SRC_IOVA, PG, 0));
	UNCHANGED(&s);
	/* Whole mappings: M1 exactly, M2 inside a larger range. */
	EXPECT_EQ(3 * PG, tl_vfio_unmap(self->container, MAP_IOVA, 3 * PG, 0));
	EXPECT_EQ(2 * PG, tl_vfio_unmap(self->container, MAP_IOVA + 6 * PG, 8 * PG, 0));
	EXPECT_EQ(avail0, tl_vfio_dma_avail(self->container));
	smmua_space_desc_free(&s.d);

	/* Both ranges in one UNMAP, then VFIO_DMA_UNMAP_FLAG_ALL. */
	ASSERT_EQ(0, tl_vfio_map(self->container, buf, MAP_IOVA, 3 * PG, RW));
	ASSERT_EQ(0, tl_vfio_map(self->container, buf + 3 * PG, MAP_IOVA + 8 * PG, 2 * PG, RW));
	EXPECT_EQ(5 * PG, tl_vfio_unmap(self->container, MAP_IOVA, 10 * PG, 0));
	ASSERT_EQ(0, tl_vfio_map(self->container, buf, MAP_IOVA, 3 * PG, RW));
	ASSERT_EQ(0, tl_vfio_map(self->container, buf + 3 * PG, HIGH_IOVA, 2 * PG, RW));
	ASSERT_EQ(0, take_snap(self, 0, &s));
	EXPECT_EQ(-EINVAL, tl_vfio_unmap(self->container, MAP_IOVA, 0, VFIO_DMA_UNMAP_FLAG_ALL));
	EXPECT_EQ(-EINVAL, tl_vfio_unmap(self->container, 0, 3 * PG, VFIO_DMA_UNMAP_FLAG_ALL));
	UNCHANGED(&s);
	smmua_space_desc_free(&s.d);
	EXPECT_EQ(5 * PG, tl_vfio_unmap(self->container, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL));
	EXPECT_EQ(avail0, tl_vfio_dma_avail(self->container));
	EXPECT_EQ(self->pins0, tl_pins_now());
	EXPECT_EQ(0, tl_vfio_unmap(self->container, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL));
	tl_buf_free(buf, 8 * PG);
}

/*
 * The mapping limit, type1's dma_entry_limit: max_mappings, read by type1
 * when the container's IOMMU is set, so set before. DMA_AVAIL counts down
 * one per MAP, and a MAP beyond it is ENOSPC and changes nothing.
 */
TEST_F(vfio, mapping_limit)
{
	uint8_t *buf;
	struct snap s;
	int i;

	NEED_DEVS(1);
	ASSERT_EQ(0, tl_param_read("max_mappings", self->max_mappings, sizeof(self->max_mappings)));
	ASSERT_EQ(0, tl_param_write("max_mappings", "4"));
	vmm_start(_metadata, self, 1);
	buf = tl_buf_alloc(8 * PG, CANARY);
	ASSERT_NE(NULL, buf);
	EXPECT_EQ(4, tl_vfio_dma_avail(self->container));
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(0, tl_vfio_map(self->container, buf + i * PG, MAP_IOVA + 2 * i * PG, PG,
					 RW));
		EXPECT_EQ(3 - i, tl_vfio_dma_avail(self->container));
	}
	ASSERT_EQ(0, take_snap(self, 0, &s));
	EXPECT_EQ(-ENOSPC, tl_vfio_map(self->container, buf + 4 * PG, MAP_IOVA + 8 * PG, PG, RW));
	/* An overlap is EEXIST before the limit is looked at. */
	EXPECT_EQ(-EEXIST, tl_vfio_map(self->container, buf, MAP_IOVA, PG, RW));
	UNCHANGED(&s);
	smmua_space_desc_free(&s.d);
	/* One unmapped makes room for one. */
	EXPECT_EQ(PG, tl_vfio_unmap(self->container, MAP_IOVA, PG, 0));
	EXPECT_EQ(1, tl_vfio_dma_avail(self->container));
	EXPECT_EQ(0, tl_vfio_map(self->container, buf + 4 * PG, MAP_IOVA + 8 * PG, PG, RW));
	EXPECT_EQ(0, tl_vfio_dma_avail(self->container));
	EXPECT_EQ(4 * PG, tl_vfio_unmap(self->container, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL));
	EXPECT_EQ(4, tl_vfio_dma_avail(self->container));
	tl_buf_free(buf, 8 * PG);
}

/*
 * Two groups in one container share its mappings: pinned once, reached by
 * both devices, the second joining after the MAP reaches it at once. One
 * group leaves; the other keeps working, and the last to leave takes the
 * IOMMU and the mappings with it, as type1 goes with VFIO's last group.
 */
TEST_F_TIMEOUT(vfio, two_groups_share_mappings, 120)
{
	struct edu *chain[NDEV];
	struct smmu_assign_query q0, q1;
	long vmpin0;
	uint8_t *buf;
	int i;

	NEED_DEVS(NDEV);
	vmpin0 = tl_vmpin_kb(0);
	vmm_start(_metadata, self, 1);
	buf = tl_buf_alloc(4 * PG, 0);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, tl_vfio_map(self->container, buf, SHARED_IOVA, 4 * PG, RW));
	OPEN_GROUP(1);
	ASSERT_EQ(0, tl_vfio_set_container(self->group[1], self->container));
	/* SET_IOMMU once per container: the second group needs none. */
	EXPECT_EQ(-EINVAL, tl_ioctl(self->container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
	EXPECT_EQ(self->pins0 + 4, tl_pins_now());
	EXPECT_EQ(vmpin0 + (long)(4 * PG / 1024), tl_vmpin_kb(0));

	/* One space, one domain shared, one owner: this process's container. */
	ASSERT_EQ(0, smmua_query(self->admin, &self->bdf[0], &q0));
	ASSERT_EQ(0, smmua_query(self->admin, &self->bdf[1], &q1));
	EXPECT_EQ(q0.out_space_id, q1.out_space_id);
	EXPECT_EQ(getpid(), q0.out_owner_pid);
	EXPECT_EQ(getpid(), q1.out_owner_pid);
	EXPECT_TRUE(q0.out_domain_flags & SMMU_ASSIGN_DOMAIN_SHARED);
	EXPECT_EQ(1, q1.out_num_mappings);

	/* Each device copies the page before its own into the next. */
	for (i = 0; i < NDEV; i++) {
		open_edu(_metadata, self, i);
		chain[i] = &self->edu[i];
	}
	tl_buf_pattern(buf, PG, 0x2a);
	memset(buf + PG, CANARY, 3 * PG);
	for (i = 0; i < NDEV; i++) {
		ASSERT_EQ(0, edu_dma(chain[i], SHARED_IOVA + i * PG, DMA_LEN, EDU_DMA_TO_DEVICE));
		ASSERT_EQ(0, edu_dma(chain[i], SHARED_IOVA + (i + 1) * PG, DMA_LEN,
				     EDU_DMA_FROM_DEVICE));
		EXPECT_EQ(0, memcmp(buf, buf + (i + 1) * PG, DMA_LEN))
			TH_LOG("%s did not copy", self->names[i]);
	}

	/* Group 1 leaves, once its device fd is closed; group 0 keeps working. */
	EXPECT_EQ(-EBUSY, tl_ioctl(self->group[1], VFIO_GROUP_UNSET_CONTAINER, 0));
	edu_close(&self->edu[1]);
	ASSERT_EQ(0, tl_ioctl(self->group[1], VFIO_GROUP_UNSET_CONTAINER, 0));
	EXPECT_EQ(VFIO_GROUP_FLAGS_VIABLE, tl_vfio_group_status(self->group[1]));
	ASSERT_EQ(0, smmua_query(self->admin, &self->bdf[1], &q1));
	EXPECT_EQ(0, q1.out_state & SMMU_ASSIGN_STATE_OWNED);
	memset(buf + PG, CANARY, PG);
	ASSERT_EQ(0, edu_dma(&self->edu[0], SHARED_IOVA + PG, DMA_LEN, EDU_DMA_FROM_DEVICE));
	EXPECT_EQ(0, memcmp(buf, buf + PG, DMA_LEN));
	EXPECT_EQ(self->pins0 + 4, tl_pins_now());

	/* The last group out: no IOMMU, no mappings, no pins. */
	edu_close(&self->edu[0]);
	ASSERT_EQ(0, tl_ioctl(self->group[0], VFIO_GROUP_UNSET_CONTAINER, 0));
	EXPECT_EQ(self->pins0, tl_pins_now());
	EXPECT_EQ(vmpin0, tl_vmpin_kb(0));
	EXPECT_EQ(-EINVAL, tl_vfio_map(self->container, buf, SHARED_IOVA, PG, RW));
	EXPECT_EQ(-EINVAL, tl_vfio_dma_avail(self->container));
	/* And it starts over: a group again, then SET_IOMMU. */
	EXPECT_EQ(-EINVAL, tl_ioctl(self->container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
	ASSERT_EQ(0, tl_vfio_set_container(self->group[1], self->container));
	EXPECT_EQ(0, tl_ioctl(self->container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
	EXPECT_EQ(0, tl_vfio_map(self->container, buf, SHARED_IOVA, PG, RW));
	tl_buf_free(buf, 4 * PG);
}

/*
 * /dev/smmu-assign sees a group in a container as a persistent binding
 * owned by the container's process, in the container's space, and its
 * figures move with MAP_DMA, UNMAP_DMA and the device fd. When the group
 * leaves, the binding is unclaimed again.
 */
TEST_F(vfio, query_shows_container_ownership)
{
	struct smmu_assign_mapping_info *maps;
	struct smmu_assign_query q;
	struct smmua_space_desc d;
	struct tl_vfio_info info;
	uint64_t maps0, unmaps0;
	size_t nmaps;
	uint8_t *buf;
	int i;

	NEED_DEVS(1);
	ASSERT_EQ(0, smmua_query(self->admin, &self->bdf[0], &q));
	EXPECT_EQ(SMMU_ASSIGN_STATE_PERSISTENT, q.out_state);
	EXPECT_EQ(0, q.out_owner_pid);
	EXPECT_EQ(0, q.out_space_id);
	EXPECT_EQ(WIN_IOVA, q.out_window_iova);

	OPEN_CONTAINER();
	OPEN_GROUP(0);
	ASSERT_EQ(0, tl_vfio_set_container(self->group[0], self->container));
	ASSERT_EQ(0, smmua_query(self->admin, &self->bdf[0], &q));
	EXPECT_EQ(SMMU_ASSIGN_STATE_PERSISTENT | SMMU_ASSIGN_STATE_OWNED, q.out_state);
	EXPECT_EQ(getpid(), q.out_owner_pid);
	EXPECT_NE(0, q.out_space_id);
	EXPECT_NE(0, q.out_pgsize_bitmap);
	EXPECT_EQ(0, q.out_num_mappings);
	EXPECT_EQ(1, tl_listed(self->admin, &self->bdf[0]));
	maps0 = q.out_stats.maps;
	unmaps0 = q.out_stats.unmaps;

	ASSERT_EQ(0, tl_ioctl(self->container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
	buf = tl_buf_alloc(2 * PG, CANARY);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, tl_vfio_map(self->container, buf, MAP_IOVA, 2 * PG, RW));
	ASSERT_EQ(0, smmua_query(self->admin, &self->bdf[0], &q));
	EXPECT_EQ(1, q.out_num_mappings);
	EXPECT_EQ(maps0 + 1, q.out_stats.maps);
	EXPECT_EQ(2 * PG, q.out_stats.bytes_mapped);
	EXPECT_EQ(2, q.out_stats.pinned_pages);

	/* The space by its device: the container's process, its ranges, its mapping. */
	ASSERT_EQ(0, smmua_space_info(self->admin, 0, &self->bdf[0], &d));
	EXPECT_EQ(getpid(), d.info.out_owner_pid);
	EXPECT_EQ(1, d.num_devices);
	ASSERT_EQ(0, tl_vfio_info(self->container, &info));
	ASSERT_EQ(info.nr_ranges, d.num_ranges);
	for (i = 0; i < info.nr_ranges; i++)
		EXPECT_EQ(info.ranges[i].start, d.ranges[i].iova);
	smmua_space_desc_free(&d);
	ASSERT_EQ(0, smmua_mappings(self->admin, 0, &self->bdf[0], &maps, &nmaps));
	ASSERT_EQ(1, nmaps);
	EXPECT_EQ(MAP_IOVA, maps[0].iova);
	EXPECT_EQ(2 * PG, maps[0].length);
	EXPECT_EQ((uintptr_t)buf, maps[0].user_va);
	free(maps);

	open_edu(_metadata, self, 0);
	ASSERT_EQ(0, smmua_query(self->admin, &self->bdf[0], &q));
	EXPECT_TRUE(q.out_state & SMMU_ASSIGN_STATE_DEVICE_FD);
	EXPECT_EQ(VFIO_PCI_MSI_IRQ_INDEX, q.out_irq_index);
	edu_close(&self->edu[0]);

	EXPECT_EQ(2 * PG, tl_vfio_unmap(self->container, MAP_IOVA, 2 * PG, 0));
	ASSERT_EQ(0, smmua_query(self->admin, &self->bdf[0], &q));
	EXPECT_EQ(0, q.out_num_mappings);
	EXPECT_EQ(unmaps0 + 1, q.out_stats.unmaps);
	EXPECT_EQ(0, q.out_stats.bytes_mapped);
	EXPECT_EQ(0, q.out_stats.pinned_pages);

	/* The group's file closes: it leaves, and the binding waits unclaimed. */
	close(self->group[0]);
	self->group[0] = -1;
	ASSERT_EQ(0, smmua_query(self->admin, &self->bdf[0], &q));
	EXPECT_EQ(SMMU_ASSIGN_STATE_PERSISTENT, q.out_state);
	EXPECT_EQ(0, q.out_owner_pid);
	EXPECT_EQ(0, q.out_space_id);
	tl_buf_free(buf, 2 * PG);
}

/* ---- bad input: each refusal's errno, and nothing changed ---- */

/*
 * Every container ioctl before and after SET_IOMMU, with input VFIO type1
 * refuses, and the same errno.
 */
TEST_F(vfio, container_bad_input)
{
	struct vfio_iommu_type1_dma_unmap u;
	struct vfio_iommu_type1_dma_map m;
	struct vfio_iommu_type1_info info = { .argsz = sizeof(info) };
	uint8_t *buf, *gone, *ro;
	struct snap s;

	NEED_DEVS(1);
	buf = tl_buf_alloc(4 * PG, CANARY);
	ASSERT_NE(NULL, buf);
	OPEN_CONTAINER();
	/* No group: no IOMMU can be set, and no IOMMU ioctl answers. */
	EXPECT_EQ(-EINVAL, tl_ioctl(self->container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
	EXPECT_EQ(-EINVAL, tl_ioctl_p(self->container, VFIO_IOMMU_GET_INFO, &info));
	EXPECT_EQ(-EINVAL, tl_vfio_map(self->container, buf, MAP_IOVA, PG, RW));
	EXPECT_EQ(-EINVAL, tl_vfio_unmap(self->container, MAP_IOVA, PG, 0));
	EXPECT_EQ(-EINVAL, tl_ioctl(self->container, VFIO_BOGUS, 0));
	EXPECT_EQ(0, tl_ioctl(self->container, VFIO_CHECK_EXTENSION, BOGUS_IOMMU));

	OPEN_GROUP(0);
	ASSERT_EQ(0, tl_vfio_set_container(self->group[0], self->container));
	/* A group, but no IOMMU yet: the same. */
	EXPECT_EQ(-EINVAL, tl_ioctl_p(self->container, VFIO_IOMMU_GET_INFO, &info));
	EXPECT_EQ(-EINVAL, tl_vfio_map(self->container, buf, MAP_IOVA, PG, RW));
	EXPECT_EQ(-EINVAL, tl_vfio_unmap(self->container, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL));
	/* Types no IOMMU driver takes. */
	EXPECT_EQ(-ENODEV, tl_ioctl(self->container, VFIO_SET_IOMMU, BOGUS_IOMMU));
	EXPECT_EQ(-ENODEV, tl_ioctl(self->container, VFIO_SET_IOMMU, VFIO_SPAPR_TCE_IOMMU));
	EXPECT_EQ(-ENODEV, tl_ioctl(self->container, VFIO_SET_IOMMU, VFIO_NOIOMMU_IOMMU));
	/* Not offered (CHECK_EXTENSION says 0), so no driver takes it either. */
	EXPECT_EQ(-ENODEV, tl_ioctl(self->container, VFIO_SET_IOMMU, VFIO_TYPE1_NESTING_IOMMU));
	ASSERT_EQ(0, tl_ioctl(self->container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
	EXPECT_EQ(-EINVAL, tl_ioctl(self->container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
	EXPECT_EQ(-EINVAL, tl_ioctl(self->container, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU));

	ASSERT_EQ(0, tl_vfio_map(self->container, buf, MAP_IOVA, 2 * PG, RW));
	ASSERT_EQ(0, take_snap(self, 0, &s));

	/* GET_INFO shorter than its fixed part. */
	info.argsz = offsetof(struct vfio_iommu_type1_info, iova_pgsizes);
	EXPECT_EQ(-EINVAL, tl_ioctl_p(self->container, VFIO_IOMMU_GET_INFO, &info));

	/* MAP_DMA. */
	m = (struct vfio_iommu_type1_dma_map){
		.argsz = offsetof(struct vfio_iommu_type1_dma_map, size),
		.flags = RW,
		.vaddr = (uintptr_t)(buf + 2 * PG),
		.iova = MAP_IOVA + 2 * PG,
		.size = PG,
	};
	EXPECT_EQ(-EINVAL, tl_ioctl_p(self->container, VFIO_IOMMU_MAP_DMA, &m));
	EXPECT_EQ(-EINVAL, tl_vfio_map(self->container, buf + 2 * PG, MAP_IOVA + 2 * PG, PG, 0));
	EXPECT_EQ(-EINVAL,
		  tl_vfio_map(self->container, buf + 2 * PG, MAP_IOVA + 2 * PG, PG, RW | 1U << 3));
	EXPECT_EQ(-EINVAL, tl_vfio_map(self->container, buf + 2 * PG, MAP_IOVA + 2 * PG, 0, RW));
	EXPECT_EQ(-EINVAL,
		  tl_vfio_map(self->container, buf + 2 * PG, MAP_IOVA + 2 * PG + PG / 2, PG, RW));
	EXPECT_EQ(-EINVAL,
		  tl_vfio_map(self->container, buf + 2 * PG, MAP_IOVA + 2 * PG, PG / 2, RW));
	EXPECT_EQ(-EINVAL,
		  tl_vfio_map(self->container, buf + 2 * PG + PG / 2, MAP_IOVA + 2 * PG, PG, RW));
	EXPECT_EQ(-EINVAL, tl_vfio_map(self->container, buf, -PG, 2 * PG, RW));
	EXPECT_EQ(-EINVAL,
		  tl_vfio_map(self->container, (void *)-PG, MAP_IOVA + 2 * PG, 2 * PG, RW));
	/* Outside the IOVA ranges: the MSI window, beyond the aperture. */
	EXPECT_EQ(-EINVAL, tl_vfio_map(self->container, buf + 2 * PG, TL_MSI_IOVA, PG, RW));
	EXPECT_EQ(-EINVAL, tl_vfio_map(self->container, buf + 2 * PG,
				       TL_MSI_IOVA + TL_MSI_LENGTH - PG, PG, RW));
	if (self->aperture_last < UINT64_MAX - PG)
		EXPECT_EQ(-EINVAL, tl_vfio_map(self->container, buf + 2 * PG,
					       self->aperture_last + 1, PG, RW));
	/* Over a mapping, whole or in part. */
	EXPECT_EQ(-EEXIST, tl_vfio_map(self->container, buf, MAP_IOVA, 2 * PG, RW));
	EXPECT_EQ(-EEXIST, tl_vfio_map(self->container, buf + 2 * PG, MAP_IOVA + PG, 2 * PG, RW));
	EXPECT_EQ(-EEXIST, tl_vfio_map(self->container, buf + 2 * PG, MAP_IOVA - PG, 2 * PG, RW));
	/* Memory that is not there, or that the device may not write. */
	gone = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, gone);
	munmap(gone, PG);
	EXPECT_EQ(-EFAULT, tl_vfio_map(self->container, gone, MAP_IOVA + 2 * PG, PG, RW));
	ro = mmap(NULL, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	EXPECT_EQ(-EFAULT, tl_vfio_map(self->container, ro, MAP_IOVA + 2 * PG, PG, RW));
	munmap(ro, PG);
	/* VFIO_UPDATE_VADDR is not offered (CHECK_EXTENSION says 0). */
	EXPECT_EQ(-EOPNOTSUPP,
		  tl_vfio_map(self->container, buf, MAP_IOVA, 2 * PG, VFIO_DMA_MAP_FLAG_VADDR));
	UNCHANGED(&s);

	/* UNMAP_DMA. */
	u = (struct vfio_iommu_type1_dma_unmap){
		.argsz = offsetof(struct vfio_iommu_type1_dma_unmap, size),
		.iova = MAP_IOVA,
		.size = 2 * PG,
	};
	EXPECT_EQ(-EINVAL, tl_ioctl_p(self->container, VFIO_IOMMU_UNMAP_DMA, &u));
	EXPECT_EQ(-EINVAL, tl_vfio_unmap(self->container, MAP_IOVA, 2 * PG, 1U << 3));
	EXPECT_EQ(-EINVAL, tl_vfio_unmap(self->container, MAP_IOVA, 0, 0));
	EXPECT_EQ(-EINVAL, tl_vfio_unmap(self->container, MAP_IOVA + PG / 2, 2 * PG, 0));
	EXPECT_EQ(-EINVAL, tl_vfio_unmap(self->container, MAP_IOVA, 2 * PG + PG / 2, 0));
	EXPECT_EQ(-EINVAL, tl_vfio_unmap(self->container, -PG, 2 * PG, 0));
	/* No dirty tracking to report from, with or without the other flags. */
	EXPECT_EQ(-EINVAL, tl_vfio_unmap(self->container, MAP_IOVA, 2 * PG,
					 VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP));
	EXPECT_EQ(-EINVAL,
		  tl_vfio_unmap(self->container, 0, 0,
				VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP | VFIO_DMA_UNMAP_FLAG_ALL));
	EXPECT_EQ(-EOPNOTSUPP,
		  tl_vfio_unmap(self->container, MAP_IOVA, 2 * PG, VFIO_DMA_UNMAP_FLAG_VADDR));
	UNCHANGED(&s);

	/* Migration's dirty tracking is not offered; nor is anything unknown. */
	EXPECT_EQ(-ENOTTY, tl_ioctl(self->container, VFIO_IOMMU_DIRTY_PAGES, 0));
	EXPECT_EQ(-ENOTTY, tl_ioctl(self->container, VFIO_BOGUS, 0));
	EXPECT_EQ(0, tl_ioctl(self->container, VFIO_CHECK_EXTENSION, BOGUS_IOMMU));
	UNCHANGED(&s);
	smmua_space_desc_free(&s.d);
	tl_buf_free(buf, 4 * PG);
}

/*
 * Every group ioctl with input VFIO refuses: one open at a time, an argsz
 * too small, a bad fd, a file that is no container, a container set
 * already, no container to unset, device fds without a container or
 * IOMMU, names of no device in the group.
 */
TEST_F(vfio, group_bad_input)
{
	struct vfio_group_status st;
	int null, second;

	NEED_DEVS(NDEV);
	OPEN_GROUP(0);
	EXPECT_EQ(-1, open(self->node[0], O_RDWR | O_CLOEXEC));
	EXPECT_EQ(EBUSY, errno);

	st = (struct vfio_group_status){ .argsz = offsetof(struct vfio_group_status, flags) };
	EXPECT_EQ(-EINVAL, tl_ioctl_p(self->group[0], VFIO_GROUP_GET_STATUS, &st));
	EXPECT_EQ(-EINVAL, tl_ioctl(self->group[0], VFIO_GROUP_UNSET_CONTAINER, 0));
	EXPECT_EQ(-EINVAL, try_device_fd(self->group[0], self->names[0]));
	EXPECT_EQ(-ENOTTY, tl_ioctl(self->group[0], VFIO_BOGUS, 0));

	/* SET_CONTAINER with what is no container of ours. */
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, null);
	EXPECT_EQ(-EBADF, tl_vfio_set_container(self->group[0], -1));
	EXPECT_EQ(-EBADF, tl_vfio_set_container(self->group[0], 999));
	EXPECT_EQ(-EINVAL, tl_vfio_set_container(self->group[0], null));
	EXPECT_EQ(-EINVAL, tl_vfio_set_container(self->group[0], self->group[0]));
	EXPECT_EQ(-EINVAL, tl_vfio_set_container(self->group[0], self->admin));
	close(null);
	EXPECT_EQ(VFIO_GROUP_FLAGS_VIABLE, tl_vfio_group_status(self->group[0]));

	OPEN_CONTAINER();
	ASSERT_EQ(0, tl_vfio_set_container(self->group[0], self->container));
	/* Set already, to this container or to another. */
	EXPECT_EQ(-EINVAL, tl_vfio_set_container(self->group[0], self->container));
	second = open(SMMUA_VFIO_CONTAINER, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, second);
	EXPECT_EQ(-EINVAL, tl_vfio_set_container(self->group[0], second));
	close(second);
	EXPECT_EQ(VFIO_GROUP_FLAGS_VIABLE | VFIO_GROUP_FLAGS_CONTAINER_SET,
		  tl_vfio_group_status(self->group[0]));

	/* A device fd needs the container's IOMMU set. */
	EXPECT_EQ(-EINVAL, try_device_fd(self->group[0], self->names[0]));
	ASSERT_EQ(0, tl_ioctl(self->container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
	/* Names of no device of the group, among them another group's device. */
	EXPECT_EQ(-ENODEV, try_device_fd(self->group[0], NO_DEVICE));
	EXPECT_EQ(-ENODEV, try_device_fd(self->group[0], ""));
	EXPECT_EQ(-ENODEV, try_device_fd(self->group[0], self->names[1]));
	/* The lspci short form is not the device's name. */
	EXPECT_EQ(-ENODEV, try_device_fd(self->group[0], self->names[0] + 5));
	EXPECT_EQ(-EFAULT, tl_ioctl(self->group[0], VFIO_GROUP_GET_DEVICE_FD, 1));
	EXPECT_EQ(VFIO_GROUP_FLAGS_VIABLE | VFIO_GROUP_FLAGS_CONTAINER_SET,
		  tl_vfio_group_status(self->group[0]));

	/* A device fd open: the group cannot leave. */
	open_edu(_metadata, self, 0);
	EXPECT_EQ(-EBUSY, tl_ioctl(self->group[0], VFIO_GROUP_UNSET_CONTAINER, 0));
	EXPECT_EQ(1, edu_alive(&self->edu[0]));
	edu_close(&self->edu[0]);
	EXPECT_EQ(0, tl_ioctl(self->group[0], VFIO_GROUP_UNSET_CONTAINER, 0));
	EXPECT_EQ(-EINVAL, tl_ioctl(self->group[0], VFIO_GROUP_UNSET_CONTAINER, 0));
	EXPECT_EQ(VFIO_GROUP_FLAGS_VIABLE, tl_vfio_group_status(self->group[0]));
	EXPECT_EQ(self->pins0, tl_pins_now());
}

/*
 * A group another file holds cannot join a container: a binding that is
 * not persistent (another file's BIND) or a persistent one another file
 * claimed. VFIO answers a group whose DMA another owner holds with the
 * IOMMU core's errno; which that is, the VFIO of this kernel shows on a
 * third edu on vfio-pci that smmu-assign holds.
 */
TEST_F(vfio, group_of_another_owner)
{
	struct smmu_assign_bdf ref;
	long want = -EBUSY, got;
	char path[64];
	struct smmua_pci_dev d;
	int other, g, vc;

	NEED_DEVS(NDEV);
	if (self->nr_found > NDEV && !access("/sys/bus/pci/drivers/vfio-pci", F_OK)) {
		/* VFIO's answer, from VFIO. */
		ref = tl_bdf(self->names[NDEV]);
		self->ref_used = true;
		tl_drop_binding(&ref);
		ASSERT_EQ(0, smmua_pci_takeover(&ref, SMMUA_VFIO_DRIVER, NULL, 0));
		ASSERT_EQ(0, smmua_pci_read(&ref, &d));
		other = smmua_open();
		ASSERT_LE(0, other);
		ASSERT_LT(0, tl_bind(other, &ref, 0, WIN_IOVA, WIN_LEN));
		snprintf(path, sizeof(path), "/dev/vfio/%d", d.iommu_group);
		g = open(path, O_RDWR | O_CLOEXEC);
		ASSERT_LE(0, g);
		vc = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
		ASSERT_LE(0, vc);
		want = tl_vfio_set_container(g, vc);
		close(g);
		close(vc);
		close(other);
		TH_LOG("VFIO's SET_CONTAINER of a group another owner holds: %s",
		       strerrorname_np(-want));
	}

	OPEN_CONTAINER();
	/* Another file's BIND, not persistent. */
	tl_drop_binding(&self->bdf[1]);
	other = smmua_open();
	ASSERT_LE(0, other);
	ASSERT_LT(0, tl_bind(other, &self->bdf[1], 0, WIN_IOVA, WIN_LEN));
	OPEN_GROUP(1);
	got = tl_vfio_set_container(self->group[1], self->container);
	EXPECT_EQ(want, got) TH_LOG("another file's binding: VFIO %s, smmu-assign %s",
				    strerrorname_np(-want), strerrorname_np(-got));
	EXPECT_EQ(VFIO_GROUP_FLAGS_VIABLE, tl_vfio_group_status(self->group[1]));
	close(self->group[1]);
	self->group[1] = -1;
	ASSERT_EQ(0, smmua_unbind(other, &self->bdf[1]));

	/* A persistent binding another file claimed. */
	ASSERT_EQ(0, bind_persistent(self, 1));
	ASSERT_EQ(0, smmua_claim(other, &self->bdf[1], 0, 0, NULL));
	OPEN_GROUP(1);
	got = tl_vfio_set_container(self->group[1], self->container);
	EXPECT_EQ(want, got) TH_LOG("another file's claim: VFIO %s, smmu-assign %s",
				    strerrorname_np(-want), strerrorname_np(-got));
	close(other);
	/* Unclaimed again when that file closes: now it joins. */
	EXPECT_EQ(0, tl_vfio_set_container(self->group[1], self->container));
}

/* ---- nodes and lifetimes ---- */

/*
 * A group node exists while its group is bound, for bindings of any kind,
 * root's and 0600 (udev may open it up), and goes with the binding.
 */
TEST_F(vfio, nodes_follow_bindings)
{
	struct stat c, st;
	char path[64];
	int fd;

	NEED_DEVS(1);
	ASSERT_EQ(0, stat(SMMUA_VFIO_CONTAINER, &c));
	EXPECT_TRUE(S_ISCHR(c.st_mode));
	ASSERT_EQ(0, stat(self->node[0], &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(0600, st.st_mode & 07777);
	EXPECT_EQ(0, st.st_uid);
	EXPECT_EQ(major(c.st_rdev), major(st.st_rdev));
	EXPECT_NE(c.st_rdev, st.st_rdev);
	if (self->nr_found > NDEV) {
		struct smmua_pci_dev d;
		struct smmu_assign_bdf ref = tl_bdf(self->names[NDEV]);

		/* An unbound edu has none (on no driver, it may have no group). */
		tl_drop_binding(&ref);
		if (!smmua_pci_read(&ref, &d) && d.iommu_group >= 0) {
			snprintf(path, sizeof(path), SMMUA_VFIO_DIR "/%d", d.iommu_group);
			EXPECT_EQ(-1, access(path, F_OK));
		}
	}

	/* Unbound: gone. */
	ASSERT_EQ(0, smmua_unbind(self->admin, &self->bdf[0]));
	EXPECT_EQ(-1, stat(self->node[0], &st));
	EXPECT_EQ(ENOENT, errno);
	/* Bound by a file, not persistently: there, though no container may take it. */
	ASSERT_LT(0, tl_bind(self->admin, &self->bdf[0], 0, WIN_IOVA, WIN_LEN));
	EXPECT_EQ(0, stat(self->node[0], &st));
	ASSERT_EQ(0, smmua_unbind(self->admin, &self->bdf[0]));
	EXPECT_EQ(-1, access(self->node[0], F_OK));
	/* Bound persistently again: back, and usable. */
	ASSERT_EQ(0, bind_persistent(self, 0));
	fd = open(self->node[0], O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	EXPECT_EQ(VFIO_GROUP_FLAGS_VIABLE, tl_vfio_group_status(fd));
	close(fd);
}

/*
 * The group's binding ends while its file is open in a container, with no
 * device fd: the administrator's UNBIND is refused while a container holds
 * it, so the device leaves its driver. VFIO, when a group's last device
 * goes (vfio_device_remove_group()), detaches the group from its container
 * at once and forgets its IOMMU group: the file then answers GET_STATUS
 * and SET_CONTAINER with ENODEV and UNSET_CONTAINER with EINVAL, and the
 * container, its last group gone, has no IOMMU and no mappings.
 */
TEST_F(vfio, binding_ends_while_in_container)
{
	struct smmu_assign_query q;
	uint8_t *buf;
	int fd;

	NEED_DEVS(1);
	vmm_start(_metadata, self, 1);
	buf = tl_buf_alloc(PG, CANARY);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, tl_vfio_map(self->container, buf, MAP_IOVA, PG, RW));
	EXPECT_EQ(-EBUSY, smmua_unbind(self->admin, &self->bdf[0]));
	EXPECT_EQ(0, access(self->node[0], F_OK));

	ASSERT_EQ(0, tl_pci_set_driver(self->names[0], ""));
	EXPECT_EQ(-1, access(self->node[0], F_OK));
	EXPECT_EQ(-ENOENT, smmua_query(self->admin, &self->bdf[0], &q));
	/* The container lost its last group: no IOMMU, nothing mapped or pinned. */
	EXPECT_EQ(self->pins0, tl_pins_now());
	EXPECT_EQ(-EINVAL, tl_vfio_map(self->container, buf, MAP_IOVA + PG, PG, RW));
	EXPECT_EQ(-EINVAL, tl_vfio_dma_avail(self->container));
	/* The group's file knows no group any more, and is in no container. */
	EXPECT_EQ(-ENODEV, tl_vfio_group_status(self->group[0]));
	EXPECT_EQ(-ENODEV, tl_vfio_set_container(self->group[0], self->container));
	EXPECT_EQ(-ENODEV, try_device_fd(self->group[0], self->names[0]));
	EXPECT_EQ(-EINVAL, tl_ioctl(self->group[0], VFIO_GROUP_UNSET_CONTAINER, 0));
	close(self->group[0]);
	self->group[0] = -1;
	EXPECT_EQ(self->pins0, tl_pins_now());

	/* Back on the stub and bound: a new node, and a fresh group file works. */
	ASSERT_EQ(0, tl_bind_stub(self->names[0]));
	ASSERT_EQ(0, bind_persistent(self, 0));
	fd = open(self->node[0], O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, tl_vfio_set_container(fd, self->container));
	close(fd);
	tl_buf_free(buf, PG);
}

/*
 * Pins last as long as the mappings: a group in the container keeps the
 * container alive after its fd is closed, a device fd keeps the group in
 * it after the group's fd is closed, and the last of them going unpins
 * everything, VmPin with it.
 */
TEST_F(vfio, pins_back_to_baseline)
{
	long vmpin0;
	uint8_t *buf;

	NEED_DEVS(1);
	vmpin0 = tl_vmpin_kb(0);
	buf = tl_buf_alloc(16 * PG, CANARY);
	ASSERT_NE(NULL, buf);

	/* The container's fd first: the group still holds it, mapped. */
	vmm_start(_metadata, self, 1);
	ASSERT_EQ(0, tl_vfio_map(self->container, buf, MAP_IOVA, 16 * PG, RW));
	EXPECT_EQ(self->pins0 + 16, tl_pins_now());
	EXPECT_EQ(vmpin0 + (long)(16 * PG / 1024), tl_vmpin_kb(0));
	close(self->container);
	self->container = -1;
	EXPECT_EQ(self->pins0 + 16, tl_pins_now());
	close(self->group[0]);
	self->group[0] = -1;
	EXPECT_EQ(self->pins0, tl_pins_now());
	EXPECT_EQ(vmpin0, tl_vmpin_kb(0));

	/* With a device fd: the group's and the container's fds, then the device's. */
	vmm_start(_metadata, self, 1);
	ASSERT_EQ(0, tl_vfio_map(self->container, buf, MAP_IOVA, 16 * PG, RW));
	open_edu(_metadata, self, 0);
	close(self->group[0]);
	self->group[0] = -1;
	close(self->container);
	self->container = -1;
	EXPECT_EQ(self->pins0 + 16, tl_pins_now());
	/* Still mapped for the device, which still reaches the memory. */
	tl_buf_pattern(buf, PG, 5);
	ASSERT_EQ(0, edu_dma(&self->edu[0], MAP_IOVA, DMA_LEN, EDU_DMA_TO_DEVICE));
	ASSERT_EQ(0, edu_dma(&self->edu[0], MAP_IOVA + PG, DMA_LEN, EDU_DMA_FROM_DEVICE));
	EXPECT_EQ(0, memcmp(buf, buf + PG, DMA_LEN));
	edu_close(&self->edu[0]);
	EXPECT_EQ(self->pins0, tl_pins_now());
	EXPECT_EQ(vmpin0, tl_vmpin_kb(0));

	/* A closed container never held anything of a group that never joined. */
	OPEN_CONTAINER();
	close(self->container);
	self->container = -1;
	EXPECT_EQ(self->pins0, tl_pins_now());
	tl_buf_free(buf, 16 * PG);
}

/* ---- where smmu-assign answered otherwise than VFIO ---- */

/*
 * vfio_ioctl_set_iommu() (container.c) refuses a container with no group
 * or with its IOMMU set with EINVAL before it looks at the type; a type
 * that type1 reports as an extension but cannot open (VFIO_UNMAP_ALL) is
 * EINVAL from vfio_iommu_type1_open(); only a type no driver reports is
 * ENODEV.
 */
TEST_F(vfio, set_iommu_errnos_as_vfio)
{
	NEED_DEVS(1);
	OPEN_CONTAINER();
	EXPECT_EQ(-EINVAL, tl_ioctl(self->container, VFIO_SET_IOMMU, BOGUS_IOMMU));
	OPEN_GROUP(0);
	ASSERT_EQ(0, tl_vfio_set_container(self->group[0], self->container));
	EXPECT_EQ(-EINVAL, tl_ioctl(self->container, VFIO_SET_IOMMU, VFIO_UNMAP_ALL));
	EXPECT_EQ(-ENODEV, tl_ioctl(self->container, VFIO_SET_IOMMU, BOGUS_IOMMU));
	ASSERT_EQ(0, tl_ioctl(self->container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
	EXPECT_EQ(-EINVAL, tl_ioctl(self->container, VFIO_SET_IOMMU, BOGUS_IOMMU));
}

/*
 * vfio_dma_do_map() checks an overlap (EEXIST), then the mapping limit
 * (ENOSPC), then the IOVA ranges (EINVAL), in that order.
 */
TEST_F(vfio, map_errno_order_as_type1)
{
	uint8_t *buf;

	NEED_DEVS(1);
	/* type1 reads its limit when the IOMMU is set. */
	ASSERT_EQ(0, tl_param_read("max_mappings", self->max_mappings, sizeof(self->max_mappings)));
	ASSERT_EQ(0, tl_param_write("max_mappings", "1"));
	vmm_start(_metadata, self, 1);
	buf = tl_buf_alloc(4 * PG, CANARY);
	ASSERT_NE(NULL, buf);
	/* The one mapping allowed, just below the MSI window. */
	ASSERT_EQ(0, tl_vfio_map(self->container, buf, TL_MSI_IOVA - PG, PG, RW));
	/* Over it and on into the window: the overlap counts first. */
	EXPECT_EQ(-EEXIST, tl_vfio_map(self->container, buf + PG, TL_MSI_IOVA - PG, 2 * PG, RW));
	/* In the window, with no mapping left: the limit counts first. */
	EXPECT_EQ(-ENOSPC, tl_vfio_map(self->container, buf + PG, TL_MSI_IOVA, PG, RW));
	tl_buf_free(buf, 4 * PG);
}

/*
 * vfio_group_ioctl_get_device_fd() looks the name up first (ENODEV), and
 * only then needs a container with its IOMMU set (EINVAL); vfio-pci's
 * match (vfio_pci_core_match()) takes a name followed by options, and
 * refuses an option it does not know, or a VF token for a device that is
 * neither PF nor VF, with EINVAL.
 */
TEST_F(vfio, device_name_errnos_as_vfio)
{
	char name[128];

	NEED_DEVS(1);
	OPEN_GROUP(0);
	EXPECT_EQ(-ENODEV, try_device_fd(self->group[0], NO_DEVICE));
	OPEN_CONTAINER();
	ASSERT_EQ(0, tl_vfio_set_container(self->group[0], self->container));
	EXPECT_EQ(-ENODEV, try_device_fd(self->group[0], NO_DEVICE));
	ASSERT_EQ(0, tl_ioctl(self->container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
	snprintf(name, sizeof(name), "%s junk", self->names[0]);
	EXPECT_EQ(-EINVAL, try_device_fd(self->group[0], name));
	snprintf(name, sizeof(name), "%s vf_token=" VF_TOKEN, self->names[0]);
	EXPECT_EQ(-EINVAL, try_device_fd(self->group[0], name));
	/* A name that merely starts like the device's is no match at all. */
	snprintf(name, sizeof(name), "%sjunk", self->names[0]);
	EXPECT_EQ(-ENODEV, try_device_fd(self->group[0], name));
}

/*
 * VFIO hands out any number of device fds of one device (vfio_device_open()
 * counts them), and each holds the group's file (the group's release waits
 * for them), so the group node cannot be opened again until they are
 * closed, even once its own fd is.
 */
TEST_F(vfio, device_fds_as_vfio)
{
	long second;
	int fd;

	NEED_DEVS(1);
	vmm_start(_metadata, self, 1);
	open_edu(_metadata, self, 0);
	second = tl_vfio_device_fd(self->group[0], self->names[0]);
	EXPECT_LE(0, second) TH_LOG("a second device fd: %s", strerror(-second));
	if (second >= 0)
		close(second);

	close(self->group[0]);
	self->group[0] = -1;
	fd = open(self->node[0], O_RDWR | O_CLOEXEC);
	EXPECT_EQ(-1, fd);
	EXPECT_EQ(EBUSY, errno);
	if (fd >= 0)
		close(fd);
	/* The device still works: its group is still in the container. */
	EXPECT_EQ(1, edu_alive(&self->edu[0]));
	edu_close(&self->edu[0]);
	fd = open(self->node[0], O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	EXPECT_EQ(VFIO_GROUP_FLAGS_VIABLE, tl_vfio_group_status(fd));
	close(fd);
}

/*
 * type1 v1 (VFIO_TYPE1_IOMMU) keeps the old unmap rules
 * (vfio_dma_do_unmap()): a range starting inside a mapping unmaps nothing
 * and succeeds with size 0; one covering a mapping's first IOVA unmaps the
 * whole mapping and says so.
 */
TEST_F(vfio, type1v1_unmap_as_type1)
{
	uint8_t *buf;

	NEED_DEVS(1);
	OPEN_CONTAINER();
	OPEN_GROUP(0);
	ASSERT_EQ(0, tl_vfio_set_container(self->group[0], self->container));
	ASSERT_EQ(0, tl_ioctl(self->container, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU));
	buf = tl_buf_alloc(4 * PG, CANARY);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, tl_vfio_map(self->container, buf, MAP_IOVA, 4 * PG, RW));
	EXPECT_EQ(0, tl_vfio_unmap(self->container, MAP_IOVA + PG, PG, 0));
	EXPECT_EQ(4 * PG, tl_vfio_unmap(self->container, MAP_IOVA, PG, 0));
	EXPECT_EQ(self->pins0, tl_pins_now());
	tl_buf_free(buf, 4 * PG);
}

/*
 * vfio_dma_do_map() refuses VFIO_DMA_MAP_FLAG_VADDR with an access flag
 * as a malformed request (EINVAL), whether or not it could update vaddrs.
 */
TEST_F(vfio, map_vaddr_with_access_as_type1)
{
	uint8_t *buf;

	NEED_DEVS(1);
	vmm_start(_metadata, self, 1);
	buf = tl_buf_alloc(PG, CANARY);
	ASSERT_NE(NULL, buf);
	EXPECT_EQ(-EINVAL, tl_vfio_map(self->container, buf, MAP_IOVA, PG,
				       VFIO_DMA_MAP_FLAG_VADDR | VFIO_DMA_MAP_FLAG_READ));
	tl_buf_free(buf, PG);
}

/* ---- against the VFIO of this kernel ---- */

/* One side of the comparison: VFIO's nodes, or smmu-assign's. */
struct side {
	int container, group, devfd, devfd2;
	int other_container;	/* the other side's */
	char group_path[64];
	const char *dev;
	const char *driver;	/* what the device leaves to end its group */
};

/*
 * call for VFIO (sides[0]) and for smmu-assign (sides[1]), S the side: the
 * answers must be the same.
 */
#define SAME(what, call)	SAME_AS_6_1(what, call, LONG_MIN)

/*
 * As SAME, for an answer VFIO changed after 6.1: smmu-assign gives 6.1's,
 * and VFIO's newer one (@newer) is the documented difference.
 */
#define SAME_AS_6_1(what, call, newer) do {					\
	char b0_[32], b1_[32];							\
	long r_[2];								\
	int k_;									\
	for (k_ = 0; k_ < 2; k_++) {						\
		struct side *S = &sides[k_];					\
		r_[k_] = (call);						\
	}									\
	EXPECT_TRUE(r_[0] == r_[1] || r_[0] == (newer))				\
		TH_LOG("%s: VFIO %s, smmu-assign %s", what,			\
		       res(r_[0], b0_, sizeof(b0_)), res(r_[1], b1_, sizeof(b1_))); \
} while (0)

static long open_group(struct side *s)
{
	s->group = open(s->group_path, O_RDWR | O_CLOEXEC);
	return s->group < 0 ? -errno : 0;
}

/* open() of path as 0 or -errno, closed again. */
static long try_open(const char *path)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

static long close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
	return 0;
}

/* GET_DEVICE_FD into s->devfd (or devfd2, when one is open): 0 or -errno. */
static long keep_device_fd(struct side *s, const char *name)
{
	long fd = tl_vfio_device_fd(s->group, name);
	int *slot = s->devfd < 0 ? &s->devfd : &s->devfd2;

	if (fd < 0)
		return fd;
	close_fd(slot);
	*slot = fd;
	return 0;
}

/* The device leaves its driver: its group's end, in VFIO or smmu-assign. */
static long leave_driver(struct side *s)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/bus/pci/drivers/%s/unbind", s->driver);
	return tl_write_file(path, s->dev);
}

/* GET_DEVICE_FD of the side's device, its name followed by text. */
static long try_device_fd_with(struct side *s, const char *text)
{
	char name[128];

	snprintf(name, sizeof(name), "%s%s", s->dev, text);
	return try_device_fd(s->group, name);
}

/*
 * GET_INFO, MAP_DMA or UNMAP_DMA with an argsz one byte short of the
 * fixed part, the rest as a good call would have it (MAP_DMA: buf at
 * MAP_IOVA + 4 pages).
 */
static long short_argsz(int container, unsigned long req, void *buf)
{
	union {
		struct vfio_iommu_type1_info info;
		struct vfio_iommu_type1_dma_map map;
		struct vfio_iommu_type1_dma_unmap unmap;
	} u = {};

	if (req == VFIO_IOMMU_GET_INFO) {
		u.info.argsz = offsetofend(struct vfio_iommu_type1_info, iova_pgsizes) - 1;
	} else if (req == VFIO_IOMMU_MAP_DMA) {
		u.map = (struct vfio_iommu_type1_dma_map){
			.argsz = offsetofend(struct vfio_iommu_type1_dma_map, size) - 1,
			.flags = RW,
			.vaddr = (uintptr_t)buf,
			.iova = MAP_IOVA + 4 * PG,
			.size = PG,
		};
	} else {
		u.unmap = (struct vfio_iommu_type1_dma_unmap){
			.argsz = offsetofend(struct vfio_iommu_type1_dma_unmap, size) - 1,
			.iova = MAP_IOVA,
			.size = 3 * PG,
		};
	}
	return tl_ioctl_p(container, req, &u);
}

static long info_of(struct side *s, struct tl_vfio_info *out)
{
	return tl_vfio_info(s->container, out);
}

/*
 * The same inputs to VFIO's container and group nodes (a third edu on
 * vfio-pci) and to smmu-assign's (an edu bound persistently), one step at
 * a time, from the first open to the group's end: every answer must be
 * VFIO's. Left out, as not offered: nesting, VFIO_UPDATE_VADDR (its
 * CHECK_EXTENSION, SET_IOMMU and flags) and migration (dirty pages, the
 * migration capability).
 */
TEST_F_TIMEOUT(vfio, errnos_match_vfio, 120)
{
	struct side sides[2];
	struct smmu_assign_bdf ref;
	struct smmua_pci_dev d;
	struct tl_vfio_info in[2];
	uint8_t *buf, *gone;
	char name[128];
	int null, k, i;

	NEED_DEVS(1);
	if (self->nr_found <= NDEV)
		SKIP(return, "needs %d edu devices, found %d", NDEV + 1, self->nr_found);
	if (access("/sys/bus/pci/drivers/vfio-pci", F_OK) || access("/dev/vfio/vfio", F_OK))
		SKIP(return, "VFIO is not loaded");
	ref = tl_bdf(self->names[NDEV]);
	self->ref_used = true;
	tl_drop_binding(&ref);
	ASSERT_EQ(0, smmua_pci_takeover(&ref, SMMUA_VFIO_DRIVER, NULL, 0));
	ASSERT_EQ(0, smmua_pci_read(&ref, &d));
	memset(sides, 0, sizeof(sides));
	snprintf(sides[0].group_path, sizeof(sides[0].group_path), "/dev/vfio/%d", d.iommu_group);
	sides[0].dev = self->names[NDEV];
	sides[0].driver = SMMUA_VFIO_DRIVER;
	snprintf(sides[1].group_path, sizeof(sides[1].group_path), "%s", self->node[0]);
	sides[1].dev = self->names[0];
	sides[1].driver = SMMUA_STUB_DRIVER;
	sides[0].container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	sides[1].container = open(SMMUA_VFIO_CONTAINER, O_RDWR | O_CLOEXEC);
	for (k = 0; k < 2; k++) {
		ASSERT_LE(0, sides[k].container);
		sides[k].other_container = sides[1 - k].container;
		sides[k].group = -1;
		sides[k].devfd = -1;
		sides[k].devfd2 = -1;
	}
	buf = tl_buf_alloc(8 * PG, CANARY);
	ASSERT_NE(NULL, buf);
	gone = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, gone);
	munmap(gone, PG);
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, null);

	/* The container alone. */
	SAME("GET_API_VERSION", tl_ioctl(S->container, VFIO_GET_API_VERSION, 0));
	{
		static const unsigned long exts[] = {
			VFIO_TYPE1_IOMMU, VFIO_SPAPR_TCE_IOMMU, VFIO_TYPE1v2_IOMMU,
			VFIO_DMA_CC_IOMMU, VFIO_EEH, VFIO_SPAPR_TCE_v2_IOMMU,
			VFIO_NOIOMMU_IOMMU, VFIO_UNMAP_ALL, 0, BOGUS_IOMMU,
		};

		for (i = 0; i < (int)ARRAY_SIZE(exts); i++) {
			snprintf(name, sizeof(name), "CHECK_EXTENSION(%lu)", exts[i]);
			SAME(name, tl_ioctl(S->container, VFIO_CHECK_EXTENSION, exts[i]));
		}
	}
	SAME("SET_IOMMU(TYPE1v2) with no group",
	     tl_ioctl(S->container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
	SAME("SET_IOMMU(unknown) with no group",
	     tl_ioctl(S->container, VFIO_SET_IOMMU, BOGUS_IOMMU));
	SAME("GET_INFO with no IOMMU", info_of(S, &in[0]));
	SAME("MAP_DMA with no IOMMU", tl_vfio_map(S->container, buf, MAP_IOVA, PG, RW));
	SAME("UNMAP_DMA with no IOMMU", tl_vfio_unmap(S->container, MAP_IOVA, PG, 0));
	SAME("unknown container ioctl with no IOMMU", tl_ioctl(S->container, VFIO_BOGUS, 0));

	/* The group alone. */
	SAME("open the group node", open_group(S));
	SAME("open the group node twice", try_open(S->group_path));
	SAME("GET_STATUS", tl_vfio_group_status(S->group));
	SAME("UNSET_CONTAINER with none", tl_ioctl(S->group, VFIO_GROUP_UNSET_CONTAINER, 0));
	SAME("GET_DEVICE_FD with no container", try_device_fd(S->group, S->dev));
	SAME("GET_DEVICE_FD of no device, no container", try_device_fd(S->group, NO_DEVICE));
	SAME("SET_CONTAINER(-1)", tl_vfio_set_container(S->group, -1));
	/* 6.1's VFIO says EINVAL for a file that is not its container, later ones EBADFD. */
	SAME_AS_6_1("SET_CONTAINER(/dev/null)", tl_vfio_set_container(S->group, null), -EBADFD);
	SAME_AS_6_1("SET_CONTAINER(the group)", tl_vfio_set_container(S->group, S->group),
		    -EBADFD);
	SAME_AS_6_1("SET_CONTAINER(the other's container)",
		    tl_vfio_set_container(S->group, S->other_container), -EBADFD);
	SAME("unknown group ioctl", tl_ioctl(S->group, VFIO_BOGUS, 0));

	/* In the container, no IOMMU yet. */
	SAME("SET_CONTAINER", tl_vfio_set_container(S->group, S->container));
	SAME("SET_CONTAINER again", tl_vfio_set_container(S->group, S->container));
	SAME("GET_STATUS in a container", tl_vfio_group_status(S->group));
	SAME("GET_DEVICE_FD with no IOMMU", try_device_fd(S->group, S->dev));
	SAME("SET_IOMMU(unknown)", tl_ioctl(S->container, VFIO_SET_IOMMU, BOGUS_IOMMU));
	SAME("SET_IOMMU(VFIO_UNMAP_ALL)", tl_ioctl(S->container, VFIO_SET_IOMMU, VFIO_UNMAP_ALL));
	SAME("SET_IOMMU(SPAPR_TCE)", tl_ioctl(S->container, VFIO_SET_IOMMU, VFIO_SPAPR_TCE_IOMMU));
	SAME("SET_IOMMU(TYPE1v2)", tl_ioctl(S->container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
	SAME("SET_IOMMU(TYPE1v2) again",
	     tl_ioctl(S->container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
	SAME("SET_IOMMU(unknown) once set", tl_ioctl(S->container, VFIO_SET_IOMMU, BOGUS_IOMMU));

	/* GET_INFO: the same page sizes, DMA_AVAIL and IOVA ranges. */
	for (k = 0; k < 2; k++)
		ASSERT_EQ(0, tl_vfio_info(sides[k].container, &in[k]));
	EXPECT_EQ(in[0].flags, in[1].flags);
	EXPECT_EQ(in[0].pgsizes, in[1].pgsizes);
	EXPECT_EQ(in[0].avail, in[1].avail);
	ASSERT_EQ(in[0].nr_ranges, in[1].nr_ranges);
	for (i = 0; i < in[0].nr_ranges; i++) {
		EXPECT_EQ(in[0].ranges[i].start, in[1].ranges[i].start);
		EXPECT_EQ(in[0].ranges[i].end, in[1].ranges[i].end);
	}
	/* The same capabilities but migration's, which has no dirty tracking to offer. */
	for (i = 0; i < (int)in[0].nr_caps; i++)
		if (in[0].cap_ids[i] != VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION)
			EXPECT_TRUE(tl_vfio_has_cap(&in[1], in[0].cap_ids[i]))
				TH_LOG("capability %u missing", in[0].cap_ids[i]);
	for (i = 0; i < (int)in[1].nr_caps; i++)
		EXPECT_TRUE(tl_vfio_has_cap(&in[0], in[1].cap_ids[i]))
			TH_LOG("capability %u VFIO does not have", in[1].cap_ids[i]);
	SAME("GET_INFO argsz short", short_argsz(S->container, VFIO_IOMMU_GET_INFO, buf));

	/* MAP_DMA. */
	SAME("MAP_DMA", tl_vfio_map(S->container, buf, MAP_IOVA, 3 * PG, RW));
	SAME("MAP_DMA again", tl_vfio_map(S->container, buf, MAP_IOVA, 3 * PG, RW));
	SAME("MAP_DMA over the tail",
	     tl_vfio_map(S->container, buf, MAP_IOVA + 2 * PG, 2 * PG, RW));
	SAME("MAP_DMA over the head", tl_vfio_map(S->container, buf, MAP_IOVA - PG, 2 * PG, RW));
	SAME("MAP_DMA of 0 bytes", tl_vfio_map(S->container, buf, MAP_IOVA + 4 * PG, 0, RW));
	SAME("MAP_DMA unaligned iova",
	     tl_vfio_map(S->container, buf, MAP_IOVA + 4 * PG + PG / 2, PG, RW));
	SAME("MAP_DMA unaligned size",
	     tl_vfio_map(S->container, buf, MAP_IOVA + 4 * PG, PG / 2, RW));
	SAME("MAP_DMA unaligned vaddr",
	     tl_vfio_map(S->container, buf + PG / 2, MAP_IOVA + 4 * PG, PG, RW));
	SAME("MAP_DMA iova wraps", tl_vfio_map(S->container, buf, -PG, 2 * PG, RW));
	SAME("MAP_DMA vaddr wraps",
	     tl_vfio_map(S->container, (void *)-PG, MAP_IOVA + 4 * PG, 2 * PG, RW));
	SAME("MAP_DMA in the MSI window", tl_vfio_map(S->container, buf, TL_MSI_IOVA, PG, RW));
	SAME("MAP_DMA into the MSI window",
	     tl_vfio_map(S->container, buf, TL_MSI_IOVA - PG, 2 * PG, RW));
	SAME("MAP_DMA beyond the aperture",
	     tl_vfio_map(S->container, buf, self->aperture_last + 1, PG, RW));
	SAME("MAP_DMA with no access", tl_vfio_map(S->container, buf, MAP_IOVA + 4 * PG, PG, 0));
	SAME("MAP_DMA unknown flag",
	     tl_vfio_map(S->container, buf, MAP_IOVA + 4 * PG, PG, RW | 1U << 3));
	SAME("MAP_DMA VADDR with access",
	     tl_vfio_map(S->container, buf, MAP_IOVA, 3 * PG,
			 VFIO_DMA_MAP_FLAG_VADDR | VFIO_DMA_MAP_FLAG_READ));
	SAME("MAP_DMA argsz short", short_argsz(S->container, VFIO_IOMMU_MAP_DMA, buf));
	SAME("MAP_DMA of no memory", tl_vfio_map(S->container, gone, MAP_IOVA + 4 * PG, PG, RW));
	SAME("MAP_DMA write-only", tl_vfio_map(S->container, buf + 4 * PG, MAP_IOVA + 8 * PG, PG,
					       VFIO_DMA_MAP_FLAG_WRITE));
	SAME("MAP_DMA read-only", tl_vfio_map(S->container, buf + 5 * PG, MAP_IOVA + 10 * PG, PG,
					      VFIO_DMA_MAP_FLAG_READ));
	SAME("MAP_DMA above the MSI window",
	     tl_vfio_map(S->container, buf + 6 * PG, HIGH_IOVA, PG, RW));

	/* UNMAP_DMA: M at MAP_IOVA (3 pages); one page at +8, +10 and HIGH_IOVA. */
	SAME("UNMAP_DMA bisecting the start", tl_vfio_unmap(S->container, MAP_IOVA + PG, PG, 0));
	SAME("UNMAP_DMA bisecting the end", tl_vfio_unmap(S->container, MAP_IOVA, PG, 0));
	SAME("UNMAP_DMA of nothing", tl_vfio_unmap(S->container, MAP_IOVA + 4 * PG, 4 * PG, 0));
	SAME("UNMAP_DMA of 0 bytes", tl_vfio_unmap(S->container, MAP_IOVA, 0, 0));
	SAME("UNMAP_DMA unaligned", tl_vfio_unmap(S->container, MAP_IOVA + PG / 2, PG, 0));
	SAME("UNMAP_DMA unaligned size", tl_vfio_unmap(S->container, MAP_IOVA, PG + PG / 2, 0));
	SAME("UNMAP_DMA wrapping", tl_vfio_unmap(S->container, -PG, 2 * PG, 0));
	SAME("UNMAP_DMA unknown flag", tl_vfio_unmap(S->container, MAP_IOVA, 3 * PG, 1U << 3));
	SAME("UNMAP_DMA ALL with an iova",
	     tl_vfio_unmap(S->container, MAP_IOVA, 0, VFIO_DMA_UNMAP_FLAG_ALL));
	SAME("UNMAP_DMA ALL with a size",
	     tl_vfio_unmap(S->container, 0, PG, VFIO_DMA_UNMAP_FLAG_ALL));
	SAME("UNMAP_DMA dirty bitmap",
	     tl_vfio_unmap(S->container, MAP_IOVA, 3 * PG, VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP));
	SAME("UNMAP_DMA dirty bitmap and ALL",
	     tl_vfio_unmap(S->container, 0, 0,
			   VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP | VFIO_DMA_UNMAP_FLAG_ALL));
	SAME("UNMAP_DMA argsz short", short_argsz(S->container, VFIO_IOMMU_UNMAP_DMA, buf));
	SAME("UNMAP_DMA whole", tl_vfio_unmap(S->container, MAP_IOVA, 3 * PG, 0));
	SAME("UNMAP_DMA of two", tl_vfio_unmap(S->container, MAP_IOVA + 8 * PG, 4 * PG, 0));
	SAME("DMA_AVAIL after", tl_vfio_dma_avail(S->container));
	SAME("MAP_DMA", tl_vfio_map(S->container, buf, MAP_IOVA, 3 * PG, RW));

	/* Device fds. */
	SAME("GET_DEVICE_FD of no device", try_device_fd(S->group, NO_DEVICE));
	SAME("GET_DEVICE_FD of \"\"", try_device_fd(S->group, ""));
	SAME("GET_DEVICE_FD with an unknown option", try_device_fd_with(S, " junk"));
	SAME("GET_DEVICE_FD with a VF token", try_device_fd_with(S, " vf_token=" VF_TOKEN));
	SAME("GET_DEVICE_FD", keep_device_fd(S, S->dev));
	SAME("GET_DEVICE_FD again", keep_device_fd(S, S->dev));
	SAME("UNSET_CONTAINER with a device fd", tl_ioctl(S->group, VFIO_GROUP_UNSET_CONTAINER, 0));
	SAME("close the group with a device fd", close_fd(&S->group));
	SAME("open the group node with a device fd", open_group(S));
	SAME("close the device fds", close_fd(&S->devfd) + close_fd(&S->devfd2));
	SAME("close the group", close_fd(&S->group));
	SAME("MAP_DMA with the last group gone", tl_vfio_map(S->container, buf, MAP_IOVA, PG, RW));
	SAME("unknown container ioctl", tl_ioctl(S->container, VFIO_BOGUS, 0));

	/* The group's device leaves its driver, the group in the container. */
	SAME("open the group node", open_group(S));
	SAME("SET_CONTAINER", tl_vfio_set_container(S->group, S->container));
	SAME("SET_IOMMU(TYPE1v2)", tl_ioctl(S->container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
	SAME("MAP_DMA", tl_vfio_map(S->container, buf, MAP_IOVA, PG, RW));
	SAME("the device leaves its driver", leave_driver(S));
	SAME("MAP_DMA, the device gone", tl_vfio_map(S->container, buf, MAP_IOVA + PG, PG, RW));
	SAME("GET_INFO, the device gone", tl_vfio_dma_avail(S->container));
	SAME("GET_STATUS, the device gone", tl_vfio_group_status(S->group));
	SAME("SET_CONTAINER, the device gone", tl_vfio_set_container(S->group, S->container));
	SAME("GET_DEVICE_FD, the device gone", try_device_fd(S->group, S->dev));
	SAME("UNSET_CONTAINER, the device gone", tl_ioctl(S->group, VFIO_GROUP_UNSET_CONTAINER, 0));
	SAME("open the group node, the device gone", try_open(S->group_path));
	for (k = 0; k < 2; k++) {
		close_fd(&sides[k].group);
		close_fd(&sides[k].container);
	}
	close(null);
	tl_buf_free(buf, 8 * PG);
}

/* ---- KVM ---- */

/*
 * A VMM with KVM adds each VFIO group to a KVM VFIO device
 * (KVM_DEV_VFIO_GROUP_ADD). kvm_vfio_file_add() takes only VFIO's own
 * group files (vfio_file_is_group(): its file operations), so smmu-assign's
 * is EINVAL on every kernel; QEMU 7.2 reports that and carries on. Only
 * where the guest has KVM (booted at EL2).
 */
TEST_F(vfio, kvm_vfio_device)
{
	struct kvm_create_device cd = { .type = KVM_DEV_TYPE_VFIO };
	struct kvm_device_attr attr = {
		.group = KVM_DEV_VFIO_GROUP,
		.attr = KVM_DEV_VFIO_GROUP_ADD,
	};
	int kvm, vm, g;
	long ret;

	NEED_DEVS(1);
	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		SKIP(return, "no /dev/kvm (%s): this kernel runs without KVM (not booted at EL2)",
		     strerror(errno));
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	ASSERT_LE(0, vm) TH_LOG("KVM_CREATE_VM: %s", strerror(errno));
	ret = tl_ioctl(vm, KVM_CREATE_DEVICE, (unsigned long)&cd);
	ASSERT_EQ(0, ret) TH_LOG("KVM_CREATE_DEVICE(VFIO): %s", strerror(-ret));
	OPEN_GROUP(0);
	g = self->group[0];
	attr.addr = (uintptr_t)&g;
	ret = tl_ioctl(cd.fd, KVM_SET_DEVICE_ATTR, (unsigned long)&attr);
	TH_LOG("KVM_DEV_VFIO_GROUP_ADD of smmu-assign's group fd: %s",
	       ret ? strerrorname_np(-ret) : "0");
	EXPECT_EQ(-EINVAL, ret);

	/* VFIO's own group, the control: accepted. */
	if (self->nr_found > NDEV && !access("/sys/bus/pci/drivers/vfio-pci", F_OK)) {
		struct smmu_assign_bdf ref = tl_bdf(self->names[NDEV]);
		struct smmua_pci_dev d;
		char path[64];

		self->ref_used = true;
		tl_drop_binding(&ref);
		ASSERT_EQ(0, smmua_pci_takeover(&ref, SMMUA_VFIO_DRIVER, NULL, 0));
		ASSERT_EQ(0, smmua_pci_read(&ref, &d));
		snprintf(path, sizeof(path), "/dev/vfio/%d", d.iommu_group);
		g = open(path, O_RDWR | O_CLOEXEC);
		ASSERT_LE(0, g);
		ret = tl_ioctl(cd.fd, KVM_SET_DEVICE_ATTR, (unsigned long)&attr);
		TH_LOG("KVM_DEV_VFIO_GROUP_ADD of VFIO's group fd: %s",
		       ret ? strerrorname_np(-ret) : "0");
		EXPECT_EQ(0, ret);
		close(g);
	}
	close(cd.fd);
	close(vm);
	close(kvm);
}

/* ---- smmuctl vfio-exec ---- */

/*
 * smmuctl vfio-exec runs a program whose /dev/vfio is smmu-assign's: the
 * container there answers as ours (nesting not offered, where VFIO's type1
 * offers it), the bound group's node is there and joins it. Outside,
 * /dev/vfio is as it was, with nothing mounted on it.
 */
TEST_F(vfio, vfio_exec)
{
	char exe[PATH_MAX], group[16], out[8192], before[4096], after[4096], ours[4096];
	const char *probe_argv[] = { SMMUCTL, "vfio-exec", "--", exe, "--probe", group, NULL };
	static const char * const exit7[] = {
		SMMUCTL, "vfio-exec", "--", "/bin/sh", "-c", "exit 7", NULL
	};
	static const char * const missing[] = { SMMUCTL, "vfio-exec", "--", "/nonexistent", NULL };
	static const char * const none[] = { SMMUCTL, "vfio-exec", NULL };
	static const char * const unpriv[] = { SMMUCTL, "vfio-exec", "--", "/bin/true", NULL };
	struct stat c, host;
	bool host_vfio;
	ssize_t n;

	NEED_DEVS(1);
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	ASSERT_LT(0, n);
	exe[n] = '\0';
	snprintf(group, sizeof(group), "%u", self->group_id[0]);
	ASSERT_EQ(0, stat(SMMUA_VFIO_CONTAINER, &c));
	host_vfio = !stat("/dev/vfio/vfio", &host);
	listing("/dev/vfio", before, sizeof(before));
	listing(SMMUA_VFIO_DIR, ours, sizeof(ours));
	EXPECT_FALSE(mounted_on("/dev/vfio"));

	ASSERT_EQ(0, run(out, sizeof(out), -1, probe_argv));
	EXPECT_EQ(major(c.st_rdev), field(out, "container_major", -1));
	EXPECT_EQ(minor(c.st_rdev), field(out, "container_minor", -1));
	EXPECT_EQ(VFIO_API_VERSION, field(out, "api", -1));
	EXPECT_EQ(1, field(out, "type1v2", -1));
	EXPECT_EQ(0, field(out, "nesting", -1));
	EXPECT_EQ(VFIO_GROUP_FLAGS_VIABLE, field(out, "group", -1));
	EXPECT_EQ(0, field(out, "join", -1));
	ASSERT_NE(NULL, strstr(out, "nodes="));
	EXPECT_EQ(0, strncmp(strstr(out, "nodes=") + 6, ours, strlen(ours)));

	/* Nothing of it outside: the same /dev/vfio, nothing mounted on it. */
	listing("/dev/vfio", after, sizeof(after));
	EXPECT_STREQ(before, after);
	EXPECT_FALSE(mounted_on("/dev/vfio"));
	if (host_vfio) {
		struct stat now;

		ASSERT_EQ(0, stat("/dev/vfio/vfio", &now));
		EXPECT_EQ(host.st_rdev, now.st_rdev);
		EXPECT_NE(c.st_rdev, now.st_rdev);
	}
	/* The group left the container when the program ended. */
	EXPECT_EQ(self->pins0, tl_pins_now());
	EXPECT_EQ(0, access(self->node[0], F_OK));

	/* Its status is the program's; smmuctl's own failures are told apart. */
	EXPECT_EQ(7, run(out, sizeof(out), -1, exit7));
	EXPECT_EQ(127, run(out, sizeof(out), -1, missing));
	EXPECT_NE(NULL, strstr(out, "smmuctl: cannot run '/nonexistent'"));
	EXPECT_EQ(2, run(out, sizeof(out), -1, none));
	EXPECT_NE(NULL, strstr(out, "vfio-exec -- COMMAND"));
	EXPECT_EQ(1, run(out, sizeof(out), 65534, unpriv));
	EXPECT_NE(NULL, strstr(out, "CAP_SYS_ADMIN"));
}

int main(int argc, char **argv)
{
	/* vfio_exec's program, run inside smmuctl vfio-exec. */
	if (argc == 3 && !strcmp(argv[1], "--probe"))
		return probe(argv[2]);
	return test_harness_run(argc, argv);
}
