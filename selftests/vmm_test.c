// SPDX-License-Identifier: GPL-2.0
/*
 * A real VMM with a device passed through. Debian's qemu-system-aarch64,
 * unmodified, runs inside the emulated server with KVM and boots a small
 * Linux guest (L2) that is given an edu with -device vfio-pci,host=BDF.
 * The program in L2 (tools/testbed/vmm-l2/vmm-guest.c) reports DMA round
 * trips with their bytes checked, one INTx and one MSI per DMA, and a DMA
 * aimed at a guest-physical address outside its RAM that lands nowhere it
 * can see. This side checks those reports, and what the host shows: L2's
 * RAM pinned while the VMM runs and let go when it exits, and the SMMU's
 * fault for the blocked DMA.
 *
 * Each backend, a fixture variant, runs the VMM once; its tests share that
 * run. vfio_type1: the edu on vfio-pci, QEMU on /dev/vfio, the anchor.
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

enum backend { VFIO_TYPE1, NR_BACKENDS };

/* L2's two ways of taking the edu's interrupt (vmm-guest.c). */
enum { INTX, MSI, NR_IRQS };
static const char * const l2_driver[NR_IRQS] = { "uio_pci_generic", "uio_pci_msi" };

/* What one run of the VMM showed, shared by the tests of a backend. */
struct vmm_run {
	bool started;
	char error[160];		/* why the run could not start */
	bool timed_out;
	int wait_status;
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
	} irq[NR_IRQS];
	bool blocked_seen;
	unsigned long long blocked_gpa;
	int landed, ram_changed;
	/* the host */
	long long pins_before, pins_running, pins_after;
	int outer_fault;
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
	/* What runs QEMU: NULL-terminated, QEMU's argv follows it. */
	const char * const *wrapper;
};

/* ---- VFIO type1: the edu on vfio-pci, QEMU opens /dev/vfio itself ---- */

static int type1_give(struct vmm_run *r, const struct smmu_assign_bdf *bdf)
{
	struct smmua_pci_dev dev;
	char path[64];
	int ret;

	tl_drop_binding(bdf);
	ret = smmua_pci_takeover(bdf, SMMUA_VFIO_DRIVER, NULL, 0);
	if (!ret)
		ret = smmua_pci_read(bdf, &dev);
	if (ret) {
		snprintf(r->error, sizeof(r->error), "handing the edu to vfio-pci: %s",
			 strerror(-ret));
		return ret;
	}
	snprintf(path, sizeof(path), "/dev/vfio/%d", dev.iommu_group);
	if (access(path, R_OK | W_OK)) {
		snprintf(r->error, sizeof(r->error), "%s: %s", path, strerror(errno));
		return -errno;
	}
	return 0;
}

static void type1_take_back(const struct smmu_assign_bdf *bdf)
{
	char name[SMMUA_BDF_STRLEN];

	smmua_format_bdf(bdf, name, sizeof(name));
	tl_leave_unbound(name);
}

static const char * const no_wrapper[] = { NULL };

static const struct backend_ops backends[NR_BACKENDS] = {
	[VFIO_TYPE1] = {
		.give = type1_give,
		.take_back = type1_take_back,
		.wrapper = no_wrapper,
	},
};

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

/* A line of L2's console: shown as a TAP comment, and parsed if it is ours. */
static void l2_line(struct vmm_run *r, char *line)
{
	static const char tag[] = "vmm-guest: ";
	char *p;

	line[strcspn(line, "\r")] = '\0';
	/* stderr, as TH_LOG: a test's process ends without flushing stdout. */
	fprintf(stderr, "# L2: %s\n", line);
	p = strstr(line, tag);
	if (!p)
		return;
	p += strlen(tag);
	/* L2 has booted and QEMU has mapped its RAM: the host's view now. */
	if (!strncmp(p, "edu ", 4))
		r->pins_running = tl_pins_now();
	parse_l2(r, p);
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

/* Fork and exec the wrapper and QEMU, its stdout (L2's console) to a pipe. */
static pid_t start_vmm(const struct backend_ops *ops, const char *bdf, int *out)
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
	int pipefd[2], n = 0, i, fd;
	pid_t pid;

	snprintf(device, sizeof(device), "vfio-pci,host=%s", bdf);
	snprintf(mem, sizeof(mem), "%d", L2_MEM_MB);
	for (i = 0; ops->wrapper[i]; i++)
		argv[n++] = ops->wrapper[i];
	for (i = 0; qemu[i]; i++)
		argv[n++] = qemu[i];
	argv[n] = NULL;
	if (pipe2(pipefd, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0) {
		close(pipefd[0]);
		close(pipefd[1]);
		return -errno;
	}
	if (!pid) {
		setpgid(0, 0);
		fd = open(QEMU_ERR, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0 || dup2(fd, 2) < 0 || dup2(pipefd[1], 1) < 0)
			_exit(126);
		fd = open("/dev/null", O_RDONLY);
		if (fd < 0 || dup2(fd, 0) < 0)
			_exit(126);
		execv(argv[0], (char **)argv);
		_exit(127);
	}
	close(pipefd[1]);
	*out = pipefd[0];
	return pid;
}

/* Read L2's console until QEMU closes it, or kill QEMU at the deadline. */
static void follow_vmm(struct vmm_run *r, pid_t pid, int fd)
{
	double deadline = tl_now_ms() + VMM_DEADLINE_MS;
	char buf[4096];
	size_t have = 0;
	ssize_t n;

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		char *nl;

		if (tl_now_ms() > deadline) {
			r->timed_out = true;
			kill(-pid, SIGKILL);
			break;
		}
		if (poll(&p, 1, 1000) <= 0)
			continue;
		n = read(fd, buf + have, sizeof(buf) - 1 - have);
		if (n <= 0)
			break;
		have += n;
		buf[have] = '\0';
		while ((nl = strchr(buf, '\n'))) {
			*nl = '\0';
			l2_line(r, buf);
			have -= nl + 1 - buf;
			memmove(buf, nl + 1, have + 1);
		}
		/* A line longer than the buffer is shown in pieces. */
		if (have == sizeof(buf) - 1) {
			l2_line(r, buf);
			have = 0;
		}
	}
	if (have) {
		buf[have] = '\0';
		l2_line(r, buf);
	}
	close(fd);
	waitpid(pid, &r->wait_status, 0);
	show_qemu_stderr();
}

static void run_vmm(struct vmm_run *r, enum backend b, const char *name)
{
	const struct backend_ops *ops = &backends[b];
	struct smmu_assign_bdf bdf = tl_bdf(name);
	struct tl_kmsg k;
	uint32_t sid = bdf.bus << 8 | bdf.device << 3 | bdf.function;
	int fd;
	pid_t pid;

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
	if (ops->give(r, &bdf))
		goto out;
	pid = start_vmm(ops, name, &fd);
	if (pid < 0) {
		snprintf(r->error, sizeof(r->error), "starting QEMU: %s", strerror(-pid));
		goto out;
	}
	r->started = true;
	follow_vmm(r, pid, fd);
	/* Every file of the VMM is closed once it is reaped. */
	r->pins_after = tl_pins_now();
	if (r->blocked_seen)
		r->outer_fault = tl_kmsg_wait_any_fault(&k, name, sid, r->blocked_gpa,
							FAULT_WAIT_MS);
	fprintf(stderr, "# pinned pages: %lld before, %lld while L2 ran, %lld after\n",
		r->pins_before, r->pins_running, r->pins_after);
out:
	ops->take_back(&bdf);
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

FIXTURE_SETUP(vmm)
{
	const char *edu = getenv("SMMU_ASSIGN_VMM_EDU");

	if (!edu)
		SKIP(return, "not the VMM boot (tools/testbed/vmm-check.sh)");
	ASSERT_NE(NULL, runs);
	self->r = &runs[variant->backend];
	/* The first test of a backend runs the VMM; the rest read its run. */
	if (!ran[variant->backend]) {
		ran[variant->backend] = true;
		run_vmm(self->r, variant->backend, edu);
	}
	ASSERT_EQ(true, self->r->started) TH_LOG("%s", self->r->error);
}

FIXTURE_TEARDOWN(vmm)
{
}

/*
 * A test of the backend's run: its body gets the run, and does not run
 * when setup skipped (this harness runs a test's body after a SKIP there).
 */
#define VMM_TEST(name)								\
	static void check_##name(struct __test_metadata *_metadata,		\
				 struct vmm_run *r);				\
	TEST_F_TIMEOUT(vmm, name, TEST_TIMEOUT_S)				\
	{									\
		if (self->r)							\
			check_##name(_metadata, self->r);			\
	}									\
	static void check_##name(struct __test_metadata *_metadata,		\
				 struct vmm_run *r)

/* QEMU ran L2 to its end, L2 found the edu and nothing failed there. */
VMM_TEST(l2_runs_to_the_end)
{
	EXPECT_FALSE(r->timed_out);
	EXPECT_TRUE(WIFEXITED(r->wait_status));
	EXPECT_EQ(0, WEXITSTATUS(r->wait_status));
	EXPECT_NE(0, r->l2_edu[0]);
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
 * kind it is: level for INTx, an MSI chip's edge for MSI.
 */
static void expect_one_per_dma(struct __test_metadata *_metadata, struct vmm_run *r, int i)
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
}

VMM_TEST(intx_one_per_dma)
{
	expect_one_per_dma(_metadata, r, INTX);
}

VMM_TEST(msi_one_per_dma)
{
	expect_one_per_dma(_metadata, r, MSI);
}

/* The DMA outside L2's RAM came back to L2 as nothing and changed nothing. */
VMM_TEST(blocked_dma_lands_nowhere_in_l2)
{
	ASSERT_TRUE(r->blocked_seen);
	EXPECT_EQ(0, r->landed);
	EXPECT_EQ(0, r->ram_changed);
}

/* ... because the SMMU out here blocked it. */
VMM_TEST(blocked_dma_faults_in_the_smmu)
{
	ASSERT_TRUE(r->blocked_seen);
	EXPECT_EQ(1, r->outer_fault)
		TH_LOG("no SMMU fault for %s at %#llx", getenv("SMMU_ASSIGN_VMM_EDU"),
		       r->blocked_gpa);
}

/* The backend pinned all of L2's RAM while it ran, and nothing after. */
VMM_TEST(l2_ram_pinned_while_running)
{
	ASSERT_LE(0, r->pins_before);
	EXPECT_LE((long long)(L2_MEM_MB << 20) / (long long)TL_PAGE,
		  r->pins_running - r->pins_before);
	EXPECT_EQ(r->pins_before, r->pins_after);
}

TEST_HARNESS_MAIN
