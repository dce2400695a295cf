// SPDX-License-Identifier: GPL-2.0
/*
 * A real VMM with a device passed through. Debian's qemu-system-aarch64,
 * unmodified, runs inside the emulated server with KVM and boots a small
 * Linux guest (L2) that is given an edu with -device vfio-pci,host=BDF.
 * The program in L2 (tools/testbed/vmm-l2/vmm-guest.c) reports DMA round
 * trips with their bytes checked, one INTx and one MSI per DMA, and a DMA
 * aimed at a guest-physical address outside its RAM that lands nowhere it
 * can see. This side checks those reports and what the host shows: the
 * device's interrupts taken here, L2's RAM pinned while the VMM runs and
 * let go when it exits, the group held by the VMM, and the SMMU's fault
 * for the blocked DMA.
 *
 * Each backend, a fixture variant, runs the VMM once; its tests share that
 * run:
 *  - vfio_type1: the edu on vfio-pci, QEMU on VFIO's /dev/vfio. The anchor.
 *  - smmu_assign: the edu on the stub with a persistent binding, QEMU on
 *    smmu-assign's VFIO-compatible container and group, bind-mounted on
 *    /dev/vfio in a mount namespace of its own (Documentation/vmm-guide.rst).
 *    QUERY then also shows the VMM owning the binding, its pins, the
 *    interrupt enabled on the device fd and the fault counted.
 *
 * It needs the test bed's VMM boot (tools/testbed/vmm-check.sh): EL2 for
 * the emulated server, so that it has /dev/kvm, QEMU and L2's kernel and
 * initramfs in its initramfs, and an edu with a 40-bit DMA mask (L2's RAM
 * is at 1 GiB; edu masks DMA addresses to 28 bits by default), which
 * SMMU_ASSIGN_VMM_EDU names. Without it the tests skip.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/vfio.h>

#include "kselftest_harness.h"
#include "testlib.h"

#define QEMU		"/usr/bin/qemu-system-aarch64"
#define L2_KERNEL	"/vmm/Image"
#define L2_INITRD	"/vmm/initrd"
#define L2_MEM_MB	256
#define QEMU_ERR	"/tmp/vmm_test.qemu-stderr"
/* A guard against a VMM that hangs, not a timing assertion. */
#define VMM_DEADLINE_MS	(300 * 1000)
#define FAULT_WAIT_MS	3000
#define TEST_TIMEOUT_S	400
/*
 * A persistent binding's window, clear of the MSI window; a container's
 * space does not use it.
 */
#define BIND_IOVA	0x40000000ULL
#define BIND_LEN	(1ULL << 30)

enum backend { VFIO_TYPE1, SMMU_ASSIGN, NR_BACKENDS };

/* L2's two ways of taking the edu's interrupt (vmm-guest.c), and the host's. */
enum { INTX, MSI, NR_IRQS };
static const char * const l2_driver[NR_IRQS] = { "uio_pci_generic", "uio_pci_msi" };
static const __u32 vfio_index[NR_IRQS] = { VFIO_PCI_INTX_IRQ_INDEX, VFIO_PCI_MSI_IRQ_INDEX };

/* smmu-assign's QUERY of the device; ok when it answered. */
struct query {
	bool ok;
	struct smmu_assign_query q;
};

/* What one run of the VMM showed, shared by the tests of a backend. */
struct vmm_run {
	bool started;
	char error[160];		/* why the run could not start */
	bool timed_out;
	int wait_status;
	pid_t vmm;
	/* vmm-guest's lines */
	char l2_edu[32];
	bool done;
	int fails;
	struct {
		bool round_trip_seen, round_trip_ok;
		long mismatch;
		bool irqs_seen;
		int dmas;
		unsigned int events;
		/* L2's /proc/interrupts: its count, chip, number and trigger */
		bool line_seen;
		unsigned long count;
		char chip[64];
		/* the host's: the device's interrupts of that kind, by vfio-pci-core */
		bool host_handler;
		long long host_count;
		struct query query;
	} irq[NR_IRQS];
	bool blocked_seen;
	unsigned long long blocked_gpa;
	int landed, ram_changed;
	/* the host before, while L2 ran (at its first checkpoint), and after */
	long long pins_before, pins_running, pins_after;
	bool checkpoint_seen;
	int group_open_running, group_open_after;	/* 0 or -errno */
	struct query query_before, query_running, query_after;
	int outer_fault;
	/* the device's INTx on the host, and its count before the run */
	unsigned int intx_irq;
	long long intx_before;
};

/* One per backend, in memory every test's process (a fork) shares. */
static struct vmm_run *runs;
static bool *ran;

static void __attribute__((constructor)) runs_alloc(void)
{
	void *p = mmap(NULL, NR_BACKENDS * (sizeof(*runs) + sizeof(*ran)),
		       PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p != MAP_FAILED) {
		memset(p, 0, NR_BACKENDS * (sizeof(*runs) + sizeof(*ran)));
		runs = p;
		ran = (bool *)(runs + NR_BACKENDS);
	}
}

/* How a backend hands the edu to the VMM and takes it back. */
struct backend_ops {
	/* Hand bdf over; 0 or a negative errno, with why in the run. */
	int (*give)(struct vmm_run *r, const struct smmu_assign_bdf *bdf);
	void (*take_back)(const struct smmu_assign_bdf *bdf);
	/* What runs QEMU, NULL-terminated; QEMU's argv follows it. */
	const char * const *wrapper;
	/* Where the group nodes are, as the VMM opens them in /dev/vfio. */
	const char *group_dir;
	/* The device is smmu-assign's: QUERY answers for it. */
	bool query;
};

static const char *group_dir_of(enum backend b);

/* The path of bdf's group node in dir. */
static int group_node(const struct smmu_assign_bdf *bdf, const char *dir, char *path,
		      size_t len)
{
	struct smmua_pci_dev dev;
	int ret = smmua_pci_read(bdf, &dev);

	if (ret)
		return ret;
	snprintf(path, len, "%s/%d", dir, dev.iommu_group);
	return 0;
}

/* Open and close bdf's group node: 0, or -EBUSY while the VMM holds it. */
static int open_group(const struct smmu_assign_bdf *bdf, const char *dir)
{
	char path[96];
	int fd, ret = group_node(bdf, dir, path, sizeof(path));

	if (ret)
		return ret;
	/* A group node has one open at a time: EBUSY while the VMM holds it. */
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

static int check_group_node(struct vmm_run *r, const struct smmu_assign_bdf *bdf,
			    const char *dir)
{
	char path[96] = "";
	int ret = group_node(bdf, dir, path, sizeof(path));

	if (!ret && access(path, R_OK | W_OK))
		ret = -errno;
	if (ret)
		snprintf(r->error, sizeof(r->error), "the group node %s: %s", path, strerror(-ret));
	return ret;
}

/* ---- VFIO type1: the edu on vfio-pci, QEMU opens /dev/vfio itself ---- */

static int type1_give(struct vmm_run *r, const struct smmu_assign_bdf *bdf)
{
	int ret;

	tl_drop_binding(bdf);
	ret = smmua_pci_takeover(bdf, SMMUA_VFIO_DRIVER, NULL, 0);
	if (ret) {
		snprintf(r->error, sizeof(r->error), "handing the edu to vfio-pci: %s",
			 strerror(-ret));
		return ret;
	}
	return check_group_node(r, bdf, group_dir_of(VFIO_TYPE1));
}

static void leave_unbound(const struct smmu_assign_bdf *bdf)
{
	char name[SMMUA_BDF_STRLEN];

	smmua_format_bdf(bdf, name, sizeof(name));
	tl_leave_unbound(name);
}

static const char * const no_wrapper[] = { NULL };

/* ---- smmu-assign's VFIO-compatible container and group ---- */

static int sa_give(struct vmm_run *r, const struct smmu_assign_bdf *bdf)
{
	char name[SMMUA_BDF_STRLEN];
	int fd, ret;

	/* smmuctl takeover, then smmuctl bind: persistent, unclaimed. */
	tl_drop_binding(bdf);
	smmua_format_bdf(bdf, name, sizeof(name));
	ret = tl_bind_stub(name);
	if (!ret) {
		fd = smmua_open();
		ret = fd < 0 ? fd : tl_bind(fd, bdf, SMMU_ASSIGN_BIND_PERSISTENT, BIND_IOVA,
					    BIND_LEN);
		if (fd >= 0)
			close(fd);
	}
	if (ret < 0) {
		snprintf(r->error, sizeof(r->error), "binding the edu persistently: %s",
			 strerror(-ret));
		return ret;
	}
	return check_group_node(r, bdf, group_dir_of(SMMU_ASSIGN));
}

static void sa_take_back(const struct smmu_assign_bdf *bdf)
{
	tl_drop_binding(bdf);
	leave_unbound(bdf);
}

/* The VMM's own /dev/vfio, as the administrator sets it up by hand. */
static const char * const sa_wrapper[] = {
	"/bin/unshare", "-m", "/bin/sh", "-c",
	"mount --make-rslave / && mount --bind " SMMUA_VFIO_DIR " /dev/vfio && "
	"exec \"$0\" \"$@\"",
	NULL
};

static const struct backend_ops backends[NR_BACKENDS] = {
	[VFIO_TYPE1] = {
		.give = type1_give,
		.take_back = leave_unbound,
		.wrapper = no_wrapper,
		.group_dir = "/dev/vfio",
	},
	[SMMU_ASSIGN] = {
		.give = sa_give,
		.take_back = sa_take_back,
		.wrapper = sa_wrapper,
		.group_dir = SMMUA_VFIO_DIR,
		.query = true,
	},
};

static const char *group_dir_of(enum backend b)
{
	return backends[b].group_dir;
}

/* ---- what the host sees ---- */

struct probe {
	struct vmm_run *r;
	const struct backend_ops *ops;
	struct smmu_assign_bdf bdf;
	char name[SMMUA_BDF_STRLEN];
};

static void query(const struct probe *p, struct query *out)
{
	int fd;

	if (!p->ops->query)
		return;
	fd = smmua_open();
	if (fd < 0)
		return;
	out->ok = !smmua_query(fd, &p->bdf, &out->q);
	close(fd);
}

/* The device's INTx on the host, before the VMM takes it. */
static void intx_before(const struct probe *p)
{
	char path[96], val[16];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/irq", p->name);
	if (tl_read_file(path, val, sizeof(val)))
		return;
	p->r->intx_irq = strtoul(val, NULL, 10);
	p->r->intx_before = tl_irq_count_nr(p->r->intx_irq);
}

/*
 * The device's interrupts of kind i that the host took, while L2 has them
 * enabled: vfio-pci-core's handler, named after the device, is on them.
 * INTx keeps its count across runs; an MSI vector is new each time.
 */
static void host_irqs(const struct probe *p, int i)
{
	struct vmm_run *r = p->r;
	char name[64];

	if (i == INTX)
		snprintf(name, sizeof(name), "vfio-intx(%s)", p->name);
	else
		snprintf(name, sizeof(name), "vfio-msi[0](%s)", p->name);
	r->irq[i].host_count = tl_irq_count(name);
	r->irq[i].host_handler = r->irq[i].host_count >= 0;
	if (i == INTX && r->intx_irq)
		r->irq[i].host_count = tl_irq_count_nr(r->intx_irq) - r->intx_before;
}

/* L2 waits at a checkpoint while the host looks. */
static void checkpoint(const struct probe *p, const char *where)
{
	struct vmm_run *r = p->r;
	int i;

	if (!strcmp(where, "running")) {
		r->checkpoint_seen = true;
		r->pins_running = tl_pins_now();
		r->group_open_running = open_group(&p->bdf, p->ops->group_dir);
		query(p, &r->query_running);
		return;
	}
	for (i = 0; i < NR_IRQS; i++) {
		if (strncmp(where, "interrupts ", 11) || strcmp(where + 11, l2_driver[i]))
			continue;
		host_irqs(p, i);
		query(p, &r->irq[i].query);
	}
}

/* ---- running the VMM ---- */

/* One "vmm-guest: ..." line of L2's console into the run. */
static void parse_l2(struct vmm_run *r, const char *line)
{
	char drv[32], what[16];
	unsigned long count;
	unsigned int events;
	int i, dmas, pos;
	long val;

	if (sscanf(line, "edu %31s", r->l2_edu) == 1)
		return;
	if (!strcmp(line, "done")) {
		r->done = true;
		return;
	}
	if (!strncmp(line, "fail", 4)) {
		r->fails++;
		return;
	}
	if (sscanf(line, "blocked gpa %llx bytes %*d landed %d ram_changed %d",
		   &r->blocked_gpa, &r->landed, &r->ram_changed) == 3) {
		r->blocked_seen = true;
		return;
	}
	for (i = 0; i < NR_IRQS; i++) {
		pos = 0;
		if (sscanf(line, "round_trip %31s %15s %ld", drv, what, &val) == 3 &&
		    !strcmp(drv, l2_driver[i])) {
			r->irq[i].round_trip_seen = true;
			r->irq[i].round_trip_ok = !strcmp(what, "ok");
			r->irq[i].mismatch = r->irq[i].round_trip_ok ? -1 : val;
		}
		if (sscanf(line, "irq %31s count %lu chip %n", drv, &count, &pos) == 2 && pos &&
		    !strcmp(drv, l2_driver[i])) {
			r->irq[i].line_seen = true;
			r->irq[i].count = count;
			snprintf(r->irq[i].chip, sizeof(r->irq[i].chip), "%s", line + pos);
		}
		if (sscanf(line, "interrupts %31s dmas %d events %u", drv, &dmas, &events) == 3 &&
		    !strcmp(drv, l2_driver[i])) {
			r->irq[i].irqs_seen = true;
			r->irq[i].dmas = dmas;
			r->irq[i].events = events;
		}
	}
}

/*
 * A line of L2's console: shown as a TAP comment, and parsed if it is
 * vmm-guest's. At a checkpoint the host looks, then lets L2 go on with a
 * newline on its console (QEMU's stdin, to_l2).
 */
static void l2_line(const struct probe *p, char *line, int to_l2)
{
	static const char tag[] = "vmm-guest: ", cp[] = "checkpoint ";
	char *s;

	line[strcspn(line, "\r")] = '\0';
	/* stderr, as TH_LOG: a test's process ends without flushing stdout. */
	fprintf(stderr, "# L2: %s\n", line);
	s = strstr(line, tag);
	if (!s)
		return;
	s += strlen(tag);
	if (!strncmp(s, cp, strlen(cp))) {
		checkpoint(p, s + strlen(cp));
		if (write(to_l2, "\n", 1) != 1)
			fprintf(stderr, "# cannot answer L2: %s\n", strerror(errno));
		return;
	}
	parse_l2(p->r, s);
}

static void show_qemu_stderr(void)
{
	char line[512];
	FILE *f = fopen(QEMU_ERR, "re");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		fprintf(stderr, "# VMM: %s", line);
	fclose(f);
}

/*
 * Fork and exec the wrapper and QEMU: its stdin and stdout are L2's
 * console, to_l2 and from_l2 here; its stderr goes to QEMU_ERR.
 */
static pid_t start_vmm(const struct backend_ops *ops, const char *bdf, int *to_l2,
		       int *from_l2)
{
	char device[64], mem[16];
	const char *qemu[] = {
		QEMU, "-M", "virt,gic-version=3", "-accel", "kvm", "-cpu", "host",
		"-m", mem, "-smp", "1", "-nodefaults", "-no-user-config",
		"-display", "none", "-serial", "stdio", "-monitor", "none", "-no-reboot",
		"-kernel", L2_KERNEL, "-initrd", L2_INITRD,
		/* Every console byte is an exit to the VMM: keep L2 quiet. */
		"-append", "console=ttyAMA0 panic=-1 loglevel=4",
		"-device", device, NULL
	};
	const char *argv[64];
	int in[2], out[2], n = 0, i, fd;
	pid_t pid;

	snprintf(device, sizeof(device), "vfio-pci,host=%s", bdf);
	snprintf(mem, sizeof(mem), "%d", L2_MEM_MB);
	for (i = 0; ops->wrapper[i]; i++)
		argv[n++] = ops->wrapper[i];
	for (i = 0; qemu[i]; i++)
		argv[n++] = qemu[i];
	argv[n] = NULL;
	if (pipe2(in, O_CLOEXEC))
		return -errno;
	if (pipe2(out, O_CLOEXEC)) {
		close(in[0]);
		close(in[1]);
		return -errno;
	}
	pid = fork();
	if (!pid) {
		setpgid(0, 0);
		fd = open(QEMU_ERR, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0 || dup2(fd, 2) < 0 || dup2(out[1], 1) < 0 || dup2(in[0], 0) < 0)
			_exit(126);
		execv(argv[0], (char **)argv);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	if (pid < 0) {
		close(in[1]);
		close(out[0]);
		return -errno;
	}
	*to_l2 = in[1];
	*from_l2 = out[0];
	return pid;
}

/* Follow L2's console until QEMU closes it, or kill QEMU at the deadline. */
static void follow_vmm(const struct probe *p, pid_t pid, int to_l2, int from_l2)
{
	double deadline = tl_now_ms() + VMM_DEADLINE_MS;
	char buf[4096];
	size_t have = 0;
	ssize_t n;

	for (;;) {
		struct pollfd pfd = { .fd = from_l2, .events = POLLIN };
		char *nl;

		if (tl_now_ms() > deadline) {
			p->r->timed_out = true;
			kill(-pid, SIGKILL);
			break;
		}
		if (poll(&pfd, 1, 1000) <= 0)
			continue;
		n = read(from_l2, buf + have, sizeof(buf) - 1 - have);
		if (n <= 0)
			break;
		have += n;
		buf[have] = '\0';
		while ((nl = strchr(buf, '\n'))) {
			*nl = '\0';
			l2_line(p, buf, to_l2);
			have -= nl + 1 - buf;
			memmove(buf, nl + 1, have + 1);
		}
		/* A line longer than the buffer is shown in pieces. */
		if (have == sizeof(buf) - 1) {
			l2_line(p, buf, to_l2);
			have = 0;
		}
	}
	if (have) {
		buf[have] = '\0';
		l2_line(p, buf, to_l2);
	}
	close(from_l2);
	close(to_l2);
	waitpid(pid, &p->r->wait_status, 0);
	show_qemu_stderr();
}

static void run_vmm(struct vmm_run *r, enum backend b, const char *name)
{
	struct probe p = { .r = r, .ops = &backends[b], .bdf = tl_bdf(name) };
	uint32_t sid = p.bdf.bus << 8 | p.bdf.device << 3 | p.bdf.function;
	int to_l2, from_l2;
	struct tl_kmsg k;
	pid_t pid;

	snprintf(p.name, sizeof(p.name), "%s", name);
	if (access(QEMU, X_OK) || access(L2_KERNEL, R_OK) || access(L2_INITRD, R_OK)) {
		snprintf(r->error, sizeof(r->error), "no QEMU or L2 in this initramfs");
		return;
	}
	if (access("/dev/kvm", R_OK | W_OK)) {
		snprintf(r->error, sizeof(r->error), "/dev/kvm: %s", strerror(errno));
		return;
	}
	if (tl_kmsg_open(&k)) {
		snprintf(r->error, sizeof(r->error), "cannot read the kernel log");
		return;
	}
	r->pins_before = tl_pins_now();
	if (p.ops->give(r, &p.bdf))
		goto out;
	query(&p, &r->query_before);
	intx_before(&p);
	pid = start_vmm(p.ops, name, &to_l2, &from_l2);
	if (pid < 0) {
		snprintf(r->error, sizeof(r->error), "starting QEMU: %s", strerror(-pid));
		goto out;
	}
	r->started = true;
	r->vmm = pid;
	follow_vmm(&p, pid, to_l2, from_l2);
	/* Every file of the VMM is closed once it is reaped. */
	r->pins_after = tl_pins_now();
	r->group_open_after = open_group(&p.bdf, p.ops->group_dir);
	/*
	 * smmu-assign's fault line for the write where the kernel delivers
	 * faults to it, else arm-smmu-v3's own dump of the event.
	 */
	if (r->blocked_seen && p.ops->query && tl_faults_delivered())
		r->outer_fault = tl_kmsg_wait_fault(&k, name, r->blocked_gpa, "write",
						    FAULT_WAIT_MS);
	else if (r->blocked_seen)
		r->outer_fault = tl_kmsg_wait_smmu_event(&k, sid, r->blocked_gpa,
							 FAULT_WAIT_MS);
	query(&p, &r->query_after);
	fprintf(stderr, "# pinned pages: %lld before, %lld while L2 ran, %lld after\n",
		r->pins_before, r->pins_running, r->pins_after);
	fprintf(stderr, "# the host took %lld INTx and %lld MSIs of %s\n",
		r->irq[INTX].host_count, r->irq[MSI].host_count, name);
out:
	p.ops->take_back(&p.bdf);
	tl_kmsg_close(&k);
}

FIXTURE(vmm) {
	struct vmm_run *r;
};

FIXTURE_VARIANT(vmm) {
	enum backend backend;
};

FIXTURE_VARIANT_ADD(vmm, vfio_type1) {
	.backend = VFIO_TYPE1,
};

FIXTURE_VARIANT_ADD(vmm, smmu_assign) {
	.backend = SMMU_ASSIGN,
};

FIXTURE_SETUP(vmm)
{
	const char *edu = getenv("SMMU_ASSIGN_VMM_EDU");

	if (!edu)
		SKIP(return, "not the VMM boot (tools/testbed/vmm-check.sh)");
	ASSERT_NE(NULL, runs);
	/* The first test of a backend runs the VMM; the rest read its run. */
	if (!ran[variant->backend]) {
		ran[variant->backend] = true;
		run_vmm(&runs[variant->backend], variant->backend, edu);
	}
	ASSERT_EQ(true, runs[variant->backend].started)
		TH_LOG("%s", runs[variant->backend].error);
	self->r = &runs[variant->backend];
}

FIXTURE_TEARDOWN(vmm)
{
}

/*
 * A test of the backend's run: its body gets the run and whether QUERY
 * answers for the device, and does not run when setup skipped (this
 * harness runs a test's body after a SKIP there).
 */
#define VMM_TEST(name)								\
	static void check_##name(struct __test_metadata *_metadata,		\
				 struct vmm_run *r, bool queried);		\
	TEST_F_TIMEOUT(vmm, name, TEST_TIMEOUT_S)				\
	{									\
		if (self->r)							\
			check_##name(_metadata, self->r,			\
				     backends[variant->backend].query);		\
	}									\
	static void check_##name(struct __test_metadata *_metadata,		\
				 struct vmm_run *r, bool queried)

static __u64 faults_of(const struct query *q)
{
	__u64 n = 0;
	int i;

	for (i = 0; i < SMMU_ASSIGN_FAULT_NR_REASONS; i++)
		n += q->q.out_stats.faults[i];
	return n;
}

/* QEMU ran L2 to its end, L2 found the edu and nothing failed there. */
VMM_TEST(l2_runs_to_the_end)
{
	EXPECT_FALSE(r->timed_out);
	EXPECT_TRUE(WIFEXITED(r->wait_status));
	EXPECT_EQ(0, WEXITSTATUS(r->wait_status));
	EXPECT_NE(0, r->l2_edu[0]);
	EXPECT_TRUE(r->checkpoint_seen);
	EXPECT_EQ(0, r->fails);
	EXPECT_TRUE(r->done);
}

/* The bytes L2 put in its RAM came back through the device. */
VMM_TEST(dma_round_trips)
{
	int i;

	for (i = 0; i < NR_IRQS; i++) {
		EXPECT_TRUE(r->irq[i].round_trip_seen) TH_LOG("%s", l2_driver[i]);
		EXPECT_TRUE(r->irq[i].round_trip_ok)
			TH_LOG("%s: first wrong byte at %ld", l2_driver[i], r->irq[i].mismatch);
	}
}

/*
 * One interrupt reached L2's driver for each DMA that raised one, and L2's
 * kernel counted as many on that driver's line, whose trigger says which
 * kind it is: level for INTx, an MSI chip's edge for MSI. The host took
 * them on the device's vfio-pci-core interrupt of that kind, which the
 * device fd has enabled where QUERY answers.
 */
static void expect_one_per_dma(struct __test_metadata *_metadata, struct vmm_run *r,
			       bool queried, int i)
{
	const char *chip = r->irq[i].chip;

	ASSERT_TRUE(r->irq[i].irqs_seen) TH_LOG("%s", l2_driver[i]);
	EXPECT_LT(0, r->irq[i].dmas);
	EXPECT_EQ(r->irq[i].dmas, r->irq[i].events) TH_LOG("%s", l2_driver[i]);
	ASSERT_TRUE(r->irq[i].line_seen) TH_LOG("%s", l2_driver[i]);
	EXPECT_EQ(r->irq[i].events, r->irq[i].count) TH_LOG("%s", l2_driver[i]);
	if (i == MSI) {
		EXPECT_TRUE(strstr(chip, "MSI") && strstr(chip, "Edge")) TH_LOG("%s", chip);
	} else {
		EXPECT_TRUE(!strstr(chip, "MSI") && strstr(chip, "Level")) TH_LOG("%s", chip);
	}
	EXPECT_TRUE(r->irq[i].host_handler) TH_LOG("%s", l2_driver[i]);
	EXPECT_EQ(r->irq[i].events, r->irq[i].host_count) TH_LOG("%s", l2_driver[i]);
	if (queried) {
		ASSERT_TRUE(r->irq[i].query.ok);
		EXPECT_EQ(vfio_index[i], r->irq[i].query.q.out_irq_index);
		EXPECT_EQ(1, r->irq[i].query.q.out_irq_count);
	}
}

VMM_TEST(intx_one_per_dma)
{
	expect_one_per_dma(_metadata, r, queried, INTX);
}

VMM_TEST(msi_one_per_dma)
{
	expect_one_per_dma(_metadata, r, queried, MSI);
}

/* The DMA outside L2's RAM came back to L2 as nothing and changed nothing. */
VMM_TEST(blocked_dma_lands_nowhere_in_l2)
{
	ASSERT_TRUE(r->blocked_seen);
	EXPECT_EQ(0, r->landed);
	EXPECT_EQ(0, r->ram_changed);
}

/* ... because the SMMU out here blocked it; smmu-assign counted it. */
VMM_TEST(blocked_dma_faults_in_the_smmu)
{
	ASSERT_TRUE(r->blocked_seen);
	EXPECT_EQ(1, r->outer_fault)
		TH_LOG("no SMMU fault for %s at %#llx", getenv("SMMU_ASSIGN_VMM_EDU"),
		       r->blocked_gpa);
	if (queried && tl_faults_delivered()) {
		ASSERT_TRUE(r->query_before.ok);
		ASSERT_TRUE(r->query_after.ok);
		EXPECT_LT(faults_of(&r->query_before), faults_of(&r->query_after));
	}
}

/* The backend pinned all of L2's RAM while it ran, and nothing after. */
VMM_TEST(l2_ram_pinned_while_running)
{
	const __u64 l2_pages = ((__u64)L2_MEM_MB << 20) / TL_PAGE;

	ASSERT_LE(0, r->pins_before);
	EXPECT_LE(l2_pages, r->pins_running - r->pins_before);
	EXPECT_EQ(r->pins_before, r->pins_after);
	if (queried) {
		ASSERT_TRUE(r->query_running.ok);
		ASSERT_TRUE(r->query_after.ok);
		EXPECT_LE(l2_pages, r->query_running.q.out_stats.pinned_pages);
		EXPECT_EQ(0, r->query_after.q.out_stats.pinned_pages);
	}
}

/*
 * The VMM held the group while it ran (its node is busy: one open at a
 * time) and let it go; smmu-assign shows the binding owned by the VMM's
 * process with a device fd open, and after it persistent and unowned.
 */
VMM_TEST(vmm_holds_the_group_while_running)
{
	const __u32 owned = SMMU_ASSIGN_STATE_OWNED | SMMU_ASSIGN_STATE_DEVICE_FD;

	EXPECT_EQ(-EBUSY, r->group_open_running);
	EXPECT_EQ(0, r->group_open_after);
	if (queried) {
		ASSERT_TRUE(r->query_running.ok);
		ASSERT_TRUE(r->query_after.ok);
		EXPECT_EQ(owned, r->query_running.q.out_state & owned);
		EXPECT_EQ(r->vmm, r->query_running.q.out_owner_pid);
		EXPECT_EQ(SMMU_ASSIGN_STATE_PERSISTENT, r->query_after.q.out_state);
		EXPECT_EQ(0, r->query_after.q.out_owner_pid);
	}
}

TEST_HARNESS_MAIN
