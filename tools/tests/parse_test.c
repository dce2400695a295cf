// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests: the BDF parser and formatter, number and size parsing
 * and formatting, the JSON writer's escaping, smmuctl's space names and
 * cells, a device's regions and interrupts as smmuctl reads them from
 * sysfs, what the library's address-space and device-fd wrappers send to
 * a stand-in for the kernel, and the interrupt index names.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/vfio.h>

#include "kselftest_harness.h"
#include "smmu_assign_lib.h"
#include "smmuctl.h"

static int bdf_is(const char *in, const char *want)
{
	struct smmu_assign_bdf bdf;
	char buf[SMMUA_BDF_STRLEN];

	if (smmua_parse_bdf(in, &bdf))
		return 0;
	smmua_format_bdf(&bdf, buf, sizeof(buf));
	return !strcmp(buf, want);
}

static int bdf_bad(const char *in)
{
	struct smmu_assign_bdf bdf;

	return smmua_parse_bdf(in, &bdf) == -EINVAL;
}

TEST(bdf_forms)
{
	EXPECT_TRUE(bdf_is("0000:00:02.0", "0000:00:02.0"));
	EXPECT_TRUE(bdf_is("00:02.0", "0000:00:02.0"));
	EXPECT_TRUE(bdf_is("0:2.0", "0000:00:02.0"));
	EXPECT_TRUE(bdf_is("0001:0A:1F.7", "0001:0a:1f.7"));
	EXPECT_TRUE(bdf_is("abcd:ef:1e.6", "abcd:ef:1e.6"));
	EXPECT_TRUE(bdf_is("ABCD:EF:1E.6", "abcd:ef:1e.6"));
	EXPECT_TRUE(bdf_is("1:2:3.4", "0001:02:03.4"));
}

TEST(bdf_bounds)
{
	EXPECT_TRUE(bdf_is("ffff:00:00.0", "ffff:00:00.0"));
	EXPECT_TRUE(bdf_bad("10000:00:00.0"));
	EXPECT_TRUE(bdf_is("ff:00.0", "0000:ff:00.0"));
	EXPECT_TRUE(bdf_bad("100:00.0"));
	EXPECT_TRUE(bdf_is("00:1f.0", "0000:00:1f.0"));
	EXPECT_TRUE(bdf_bad("00:20.0"));
	EXPECT_TRUE(bdf_is("00:00.7", "0000:00:00.7"));
	EXPECT_TRUE(bdf_bad("00:00.8"));
	EXPECT_TRUE(bdf_bad("00:00.10"));
}

TEST(bdf_junk)
{
	struct smmu_assign_bdf bdf;

	EXPECT_EQ(-EINVAL, smmua_parse_bdf(NULL, &bdf));
	EXPECT_TRUE(bdf_bad(""));
	EXPECT_TRUE(bdf_bad("junk"));
	EXPECT_TRUE(bdf_bad("00:02"));
	EXPECT_TRUE(bdf_bad("00:02."));
	EXPECT_TRUE(bdf_bad(":02.0"));
	EXPECT_TRUE(bdf_bad("00:.0"));
	EXPECT_TRUE(bdf_bad("00:02.0x"));
	EXPECT_TRUE(bdf_bad("00:02.0 "));
	EXPECT_TRUE(bdf_bad(" 00:02.0"));
	EXPECT_TRUE(bdf_bad("00: 02.0"));
	EXPECT_TRUE(bdf_bad("+0:02.0"));
	EXPECT_TRUE(bdf_bad("-0:02.0"));
	EXPECT_TRUE(bdf_bad("00:-2.0"));
	EXPECT_TRUE(bdf_bad("0x0:02.0"));
	EXPECT_TRUE(bdf_bad("g0:02.0"));
	EXPECT_TRUE(bdf_bad("0:0:0:02.0"));
	EXPECT_TRUE(bdf_bad("0000:00:02:0"));
	EXPECT_TRUE(bdf_bad("0000.00:02.0"));
}

static int num_is(const char *in, __u64 want)
{
	__u64 v = 0;

	return !smmua_parse_u64(in, &v) && v == want;
}

static int size_is(const char *in, __u64 want)
{
	__u64 v = 0;

	return !smmua_parse_size(in, &v) && v == want;
}

static int size_err(const char *in)
{
	__u64 v = 0xdead;
	int ret = smmua_parse_size(in, &v);

	return v == 0xdead ? ret : 1;	/* failures leave *val alone */
}

TEST(size_forms)
{
	EXPECT_TRUE(size_is("4096", 4096));
	EXPECT_TRUE(size_is("4K", 4096));
	EXPECT_TRUE(size_is("4k", 4096));
	EXPECT_TRUE(size_is("2M", 2 << 20));
	EXPECT_TRUE(size_is("2m", 2 << 20));
	EXPECT_TRUE(size_is("1G", 1ULL << 30));
	EXPECT_TRUE(size_is("1T", 1ULL << 40));
	EXPECT_TRUE(size_is("0x1000", 4096));
	EXPECT_TRUE(size_is("0X1000", 4096));
	EXPECT_TRUE(size_is("0xABCdef", 0xabcdef));
	EXPECT_TRUE(size_is("0x2M", 2 << 20));
	EXPECT_TRUE(size_is("18446744073709551615", ~0ULL));
	EXPECT_TRUE(size_is("0xffffffffffffffff", ~0ULL));
	EXPECT_TRUE(size_is("16777215T", 16777215ULL << 40));
	EXPECT_TRUE(num_is("0", 0));
	EXPECT_TRUE(num_is("0x0", 0));
	EXPECT_TRUE(num_is("007", 7));
}

TEST(size_bad)
{
	__u64 v;

	EXPECT_EQ(-EINVAL, smmua_parse_size(NULL, &v));
	EXPECT_EQ(-EINVAL, size_err(""));
	EXPECT_EQ(-EINVAL, size_err("0"));
	EXPECT_EQ(-EINVAL, size_err("0K"));
	EXPECT_EQ(-EINVAL, size_err("0x"));
	EXPECT_EQ(-EINVAL, size_err("K"));
	EXPECT_EQ(-EINVAL, size_err("4KB"));
	EXPECT_EQ(-EINVAL, size_err("4KK"));
	EXPECT_EQ(-EINVAL, size_err("4X"));
	EXPECT_EQ(-EINVAL, size_err("4 K"));
	EXPECT_EQ(-EINVAL, size_err(" 4K"));
	EXPECT_EQ(-EINVAL, size_err("4K "));
	EXPECT_EQ(-EINVAL, size_err("-4K"));
	EXPECT_EQ(-EINVAL, size_err("+4K"));
	EXPECT_EQ(-EINVAL, size_err("4.5M"));
	EXPECT_EQ(-EINVAL, size_err("12abc"));
	EXPECT_EQ(-EINVAL, size_err("0x12z"));
	EXPECT_EQ(-EINVAL, size_err("1e3"));
	EXPECT_EQ(-ERANGE, size_err("18446744073709551616"));
	EXPECT_EQ(-ERANGE, size_err("0x10000000000000000"));
	EXPECT_EQ(-ERANGE, size_err("16777216T"));
	EXPECT_EQ(-ERANGE, size_err("17179869184G"));
	EXPECT_EQ(-ERANGE, size_err("99999999999999999999999"));
}

TEST(window)
{
	__u64 iova = 1, len = 1;

	EXPECT_EQ(0, smmua_parse_window("0x100000:1M", &iova, &len));
	EXPECT_EQ(0x100000, iova);
	EXPECT_EQ(1 << 20, len);
	EXPECT_EQ(0, smmua_parse_window("0:4K", &iova, &len));
	EXPECT_EQ(0, iova);
	EXPECT_EQ(4096, len);
	EXPECT_EQ(-EINVAL, smmua_parse_window("1M", &iova, &len));
	EXPECT_EQ(-EINVAL, smmua_parse_window("1M:", &iova, &len));
	EXPECT_EQ(-EINVAL, smmua_parse_window(":1M", &iova, &len));
	EXPECT_EQ(-EINVAL, smmua_parse_window("1M:0", &iova, &len));
	EXPECT_EQ(-EINVAL, smmua_parse_window("1M:1M:1M", &iova, &len));
	EXPECT_EQ(-EINVAL, smmua_parse_window("x:1M", &iova, &len));
	EXPECT_EQ(-ERANGE, smmua_parse_window("1M:99999999999999999999", &iova, &len));
}

static int fmt_is(__u64 v, const char *want)
{
	char buf[SMMUA_SIZE_STRLEN];

	smmua_format_size(v, buf, sizeof(buf));
	return !strcmp(buf, want);
}

TEST(size_format)
{
	EXPECT_TRUE(fmt_is(0, "0"));
	EXPECT_TRUE(fmt_is(1, "1"));
	EXPECT_TRUE(fmt_is(1000, "1000"));
	EXPECT_TRUE(fmt_is(4096, "4K"));
	EXPECT_TRUE(fmt_is(4096 + 512, "4608"));
	EXPECT_TRUE(fmt_is(2 << 20, "2M"));
	EXPECT_TRUE(fmt_is(3 << 19, "1536K"));
	EXPECT_TRUE(fmt_is(1ULL << 30, "1G"));
	EXPECT_TRUE(fmt_is(1ULL << 44, "16T"));
	EXPECT_TRUE(fmt_is(~0ULL, "18446744073709551615"));
	EXPECT_TRUE(fmt_is(~0ULL << 40, "16777215T"));
}

TEST(size_roundtrip)
{
	static const __u64 vals[] = { 1, 4095, 4096, 1 << 20, 3ULL << 30, 5ULL << 40, ~0ULL };
	char buf[SMMUA_SIZE_STRLEN];
	unsigned int i;
	__u64 v;

	for (i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		smmua_format_size(vals[i], buf, sizeof(buf));
		ASSERT_EQ(0, smmua_parse_size(buf, &v));
		EXPECT_EQ(vals[i], v);
	}
}

/* What the writer makes of one string. */
static char *escaped(const char *s)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	jw_escape(f, s);
	fclose(f);
	return out;
}

static int esc_is(const char *in, const char *want)
{
	char *out = escaped(in);
	int ok = !strcmp(out, want);

	if (!ok)
		fprintf(stderr, "# escape: got %s want %s\n", out, want);
	free(out);
	return ok;
}

TEST(json_escape)
{
	EXPECT_TRUE(esc_is("", "\"\""));
	EXPECT_TRUE(esc_is("plain", "\"plain\""));
	EXPECT_TRUE(esc_is("a\"b", "\"a\\\"b\""));
	EXPECT_TRUE(esc_is("a\\b", "\"a\\\\b\""));
	EXPECT_TRUE(esc_is("\\\"", "\"\\\\\\\"\""));
	EXPECT_TRUE(esc_is("\n\r\t\b\f", "\"\\n\\r\\t\\b\\f\""));
	EXPECT_TRUE(esc_is("\x01\x1f", "\"\\u0001\\u001f\""));
	EXPECT_TRUE(esc_is("\x7f", "\"\\u007f\""));
	EXPECT_TRUE(esc_is("/", "\"/\""));
	EXPECT_TRUE(esc_is("caf\xc3\xa9", "\"caf\xc3\xa9\""));
}

static char *document(bool pretty)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	struct jw w;

	jw_init(&w, f, pretty);
	jw_obj_open(&w, NULL);
	jw_str(&w, "k\"ey", "v\n");
	jw_u64(&w, "big", ~0ULL);
	jw_int(&w, "neg", -5);
	jw_bool(&w, "t", true);
	jw_null(&w, "n");
	jw_str(&w, "s", NULL);
	jw_hex(&w, "h", 0x10);
	jw_arr_open(&w, "a");
	jw_u64(&w, NULL, 1);
	jw_obj_open(&w, NULL);
	jw_obj_close(&w);
	jw_arr_close(&w);
	jw_arr_open(&w, "e");
	jw_arr_close(&w);
	jw_obj_close(&w);
	jw_end(&w);
	fclose(f);
	return out;
}

TEST(json_document)
{
	char *out = document(false);

	EXPECT_STREQ("{\"k\\\"ey\":\"v\\n\",\"big\":18446744073709551615,\"neg\":-5,"
		     "\"t\":true,\"n\":null,\"s\":null,\"h\":\"0x10\",\"a\":[1,{}],\"e\":[]}\n",
		     out);
	free(out);
	out = document(true);
	EXPECT_STREQ("{\n    \"k\\\"ey\": \"v\\n\",\n    \"big\": 18446744073709551615,\n"
		     "    \"neg\": -5,\n    \"t\": true,\n    \"n\": null,\n    \"s\": null,\n"
		     "    \"h\": \"0x10\",\n    \"a\": [\n        1,\n        {}\n    ],\n"
		     "    \"e\": []\n}\n", out);
	free(out);
}

TEST(space_names)
{
	EXPECT_TRUE(smmuctl_space_name_ok("vm0"));
	EXPECT_TRUE(smmuctl_space_name_ok("a"));
	EXPECT_TRUE(smmuctl_space_name_ok("Guest_1.net-0"));
	EXPECT_TRUE(smmuctl_space_name_ok("..."));
	/* 31 characters fit the 32-byte field with its terminator; 32 do not. */
	EXPECT_TRUE(smmuctl_space_name_ok("abcdefghijklmnopqrstuvwxyz01234"));
	EXPECT_FALSE(smmuctl_space_name_ok("abcdefghijklmnopqrstuvwxyz012345"));
	EXPECT_FALSE(smmuctl_space_name_ok(""));
	EXPECT_FALSE(smmuctl_space_name_ok("vm 0"));
	EXPECT_FALSE(smmuctl_space_name_ok("vm/0"));
	EXPECT_FALSE(smmuctl_space_name_ok("vm:0"));
	EXPECT_FALSE(smmuctl_space_name_ok("vm0\n"));
	EXPECT_FALSE(smmuctl_space_name_ok("caf\xc3\xa9"));
}

TEST(space_cells)
{
	char raw[SMMU_ASSIGN_SPACE_NAME_LEN] = "vm0";
	char buf[SMMUCTL_SPACE_STRLEN], name[SMMU_ASSIGN_SPACE_NAME_LEN];

	smmuctl_format_space(1, raw, buf, sizeof(buf));
	EXPECT_STREQ("1:vm0", buf);
	smmuctl_format_space(0, raw, buf, sizeof(buf));
	EXPECT_STREQ("unclaimed:vm0", buf);
	memset(raw, 0, sizeof(raw));
	smmuctl_format_space(42, raw, buf, sizeof(buf));
	EXPECT_STREQ("42", buf);
	smmuctl_format_space(0, raw, buf, sizeof(buf));
	EXPECT_STREQ("unclaimed", buf);
	/* The longest: the largest id and a full name fit. */
	memset(raw, 'x', sizeof(raw) - 1);
	smmuctl_format_space(~0U, raw, buf, sizeof(buf));
	EXPECT_EQ(strlen("4294967295:") + sizeof(raw) - 1, strlen(buf));
	/* A field without its terminator is cut, never overrun. */
	memset(raw, 'y', sizeof(raw));
	smmuctl_space_name(raw, name);
	EXPECT_EQ(sizeof(name) - 1, strlen(name));

	EXPECT_STREQ("own", smmuctl_domain_text(0));
	EXPECT_STREQ("shared", smmuctl_domain_text(SMMU_ASSIGN_DOMAIN_SHARED));
	EXPECT_STREQ("mirrored", smmuctl_domain_text(SMMU_ASSIGN_DOMAIN_MIRRORED));
	EXPECT_STREQ("shared,mirrored", smmuctl_domain_text(SMMU_ASSIGN_DOMAIN_SHARED |
							    SMMU_ASSIGN_DOMAIN_MIRRORED));
	EXPECT_STREQ("own", smmuctl_domain_text(1U << 31));
}

/* Config space with MSI (4 vectors) at 0x40 and MSI-X (8) at 0x50, pin B. */
static void config_with_caps(__u8 *cfg)
{
	memset(cfg, 0, 256);
	cfg[0x06] = 0x10;		/* status: capability list */
	cfg[0x34] = 0x40;
	cfg[0x3d] = 2;
	cfg[0x40] = 0x05;		/* MSI, next 0x50 */
	cfg[0x41] = 0x50;
	cfg[0x42] = 0x84;		/* 64-bit, Multiple Message Capable 2: 4 */
	cfg[0x50] = 0x11;		/* MSI-X, last */
	cfg[0x52] = 0x07;		/* Table Size 7: 8 */
}

TEST(irqs_from_config)
{
	struct smmuctl_irqs irqs;
	__u8 cfg[256];

	config_with_caps(cfg);
	smmuctl_parse_irqs(cfg, sizeof(cfg), &irqs);
	EXPECT_EQ(2, irqs.intx_pin);
	EXPECT_TRUE(irqs.caps_known);
	EXPECT_EQ(4, irqs.msi_vectors);
	EXPECT_EQ(8, irqs.msix_vectors);

	/* What an unprivileged reader gets: 64 bytes, the list beyond them. */
	smmuctl_parse_irqs(cfg, 64, &irqs);
	EXPECT_EQ(2, irqs.intx_pin);
	EXPECT_FALSE(irqs.caps_known);
	EXPECT_EQ(0, irqs.msi_vectors);
	/* Cut inside MSI-X's flags. */
	smmuctl_parse_irqs(cfg, 0x53, &irqs);
	EXPECT_FALSE(irqs.caps_known);
	EXPECT_EQ(0, irqs.msix_vectors);

	/* A list that loops ends; pointers' low bits are reserved. */
	cfg[0x51] = 0x43;
	smmuctl_parse_irqs(cfg, sizeof(cfg), &irqs);
	EXPECT_TRUE(irqs.caps_known);
	EXPECT_EQ(4, irqs.msi_vectors);
	EXPECT_EQ(8, irqs.msix_vectors);

	/* No capability list: no MSI, no MSI-X, and that is known. */
	cfg[0x06] = 0;
	cfg[0x3d] = 0;
	smmuctl_parse_irqs(cfg, 64, &irqs);
	EXPECT_EQ(0, irqs.intx_pin);
	EXPECT_TRUE(irqs.caps_known);
	EXPECT_EQ(0, irqs.msi_vectors);
	EXPECT_EQ(0, irqs.msix_vectors);
}

TEST(regions_from_resource)
{
	char dir[] = "/tmp/parse_test.XXXXXX", path[64];
	struct smmuctl_region r[SMMUCTL_NUM_REGIONS];
	long page = sysconf(_SC_PAGESIZE);
	size_t n;
	FILE *f;

	ASSERT_NE(NULL, mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/resource", dir);
	f = fopen(path, "w");
	ASSERT_NE(NULL, f);
	/* As sysfs writes it, for a bridge: BARs, ROM, then windows. */
	fprintf(f, "0x0000000010000000 0x00000000100fffff 0x0000000000040200\n"); /* mem 1M */
	fprintf(f, "0x0000000000000000 0x0000000000000000 0x0000000000000000\n");
	fprintf(f, "0x0000000000001000 0x000000000000101f 0x0000000000040101\n"); /* I/O */
	fprintf(f, "0x0000008000000000 0x0000008000003fff 0x000000000014220c\n"); /* 64-bit pref */
	fprintf(f, "0x0000000010100000 0x00000000101000ff 0x0000000000040200\n"); /* 256 B, page start */
	fprintf(f, "0x0000000010100100 0x00000000101001ff 0x0000000000040200\n"); /* 256 B, inside */
	fprintf(f, "0x0000000010200000 0x000000001023ffff 0x0000000000046200\n"); /* ROM */
	fprintf(f, "0x0000000010000000 0x00000000102fffff 0x0000000000000200\n"); /* a window */
	fclose(f);
	ASSERT_EQ(0, smmuctl_pci_regions(dir, r, &n));
	unlink(path);
	rmdir(dir);
	ASSERT_EQ(6, n);
	EXPECT_EQ(0, r[0].index);
	EXPECT_EQ(0x10000000, r[0].start);
	EXPECT_EQ(1 << 20, r[0].size);
	EXPECT_EQ(0x40200, r[0].flags);
	EXPECT_FALSE(r[0].io);
	EXPECT_FALSE(r[0].mem64);
	EXPECT_TRUE(r[0].mmappable);
	EXPECT_EQ(2, r[1].index);
	EXPECT_TRUE(r[1].io);
	EXPECT_EQ(32, r[1].size);
	EXPECT_FALSE(r[1].mmappable);
	EXPECT_EQ(3, r[2].index);
	EXPECT_TRUE(r[2].mem64);
	EXPECT_TRUE(r[2].prefetchable);
	EXPECT_EQ(16384 >= page, r[2].mmappable);
	/* Smaller than a page: mmappable where it starts one. */
	EXPECT_EQ(4, r[3].index);
	EXPECT_TRUE(r[3].mmappable);
	EXPECT_EQ(5, r[4].index);
	EXPECT_FALSE(r[4].mmappable);
	EXPECT_EQ(6, r[5].index);
	EXPECT_STREQ("ROM", smmuctl_region_name(r[5].index));
	EXPECT_TRUE(r[5].read_only);
	EXPECT_FALSE(r[5].mmappable);

	EXPECT_EQ(-ENOENT, smmuctl_pci_regions(dir, r, &n));
}

/*
 * A stand-in for the kernel. The executable's ioctl() comes before libc's,
 * so the library's wrappers land here: what they send is kept in fake, and
 * SPACE_INFO answers with fake's counts, which grow once after call
 * grow_after (as when a device joins the space between two calls).
 */
static struct {
	int calls;
	int err;		/* when non-zero, every call fails with it */
	__u32 ranges, reserved, devices;
	int grow_after;
	struct smmu_assign_space_info info;	/* the last SPACE_INFO, as sent */
	struct smmu_assign_mappings maps;
	struct smmu_assign_translate xlate;
	struct smmu_assign_claim claim;
	struct smmu_assign_bind bind;
	struct smmu_assign_space_alloc alloc;
	struct smmu_assign_device_fd device_fd;
} fake;

static struct smmu_assign_bdf dev_n(unsigned int n)
{
	return (struct smmu_assign_bdf){ .bus = 2, .device = n };
}

static int fake_space_info(struct smmu_assign_space_info *si)
{
	struct smmu_assign_iova_range *r = (void *)(uintptr_t)si->ranges;
	struct smmu_assign_resv_region *v = (void *)(uintptr_t)si->reserved;
	struct smmu_assign_bdf *d = (void *)(uintptr_t)si->devices;
	bool fits;
	__u32 i;

	fake.info = *si;
	if (fake.calls == fake.grow_after)
		fake.devices++;
	fits = si->num_ranges >= fake.ranges && si->num_reserved >= fake.reserved &&
	       si->num_devices >= fake.devices;
	si->num_ranges = fake.ranges;
	si->num_reserved = fake.reserved;
	si->num_devices = fake.devices;
	if (!fits) {
		errno = EMSGSIZE;
		return -1;
	}
	for (i = 0; i < fake.ranges; i++)
		r[i] = (struct smmu_assign_iova_range){ .iova = (i + 1) << 20, .length = 4096 };
	for (i = 0; i < fake.reserved; i++)
		v[i] = (struct smmu_assign_resv_region){ .start = 0x8000000, .last = 0x80fffff,
							 .type = SMMU_ASSIGN_RESV_SW_MSI };
	for (i = 0; i < fake.devices; i++)
		d[i] = dev_n(i);
	si->out_space_id = 7;
	return 0;
}

int ioctl(int fd, unsigned long cmd, ...)
{
	struct smmu_assign_mapping_info *m;
	va_list ap;
	void *arg;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	fake.calls++;
	if (fake.err) {
		errno = fake.err;
		return -1;
	}
	switch (cmd) {
	case SMMU_ASSIGN_SPACE_INFO:
		return fake_space_info(arg);
	case SMMU_ASSIGN_MAPPINGS:
		fake.maps = *(struct smmu_assign_mappings *)arg;
		m = (void *)(uintptr_t)fake.maps.mappings;
		m[0] = (struct smmu_assign_mapping_info){ .iova = 1 << 20, .length = 4096 };
		((struct smmu_assign_mappings *)arg)->num_mappings = 1;
		((struct smmu_assign_mappings *)arg)->cursor = 0;
		return 0;
	case SMMU_ASSIGN_TRANSLATE:
		fake.xlate = *(struct smmu_assign_translate *)arg;
		return 0;
	case SMMU_ASSIGN_CLAIM:
		fake.claim = *(struct smmu_assign_claim *)arg;
		((struct smmu_assign_claim *)arg)->out_space_id = 3;
		return 0;
	case SMMU_ASSIGN_BIND:
		fake.bind = *(struct smmu_assign_bind *)arg;
		((struct smmu_assign_bind *)arg)->out_space_id = 4;
		return 0;
	case SMMU_ASSIGN_SPACE_ALLOC:
		fake.alloc = *(struct smmu_assign_space_alloc *)arg;
		((struct smmu_assign_space_alloc *)arg)->out_space_id = 5;
		return 0;
	case SMMU_ASSIGN_DEVICE_FD:
		fake.device_fd = *(struct smmu_assign_device_fd *)arg;
		((struct smmu_assign_device_fd *)arg)->out_fd = 42;
		return 0;
	}
	errno = ENOTTY;
	return -1;
}

TEST(space_info_grows_to_fit)
{
	struct smmu_assign_bdf bdf = dev_n(1);
	struct smmua_space_desc d;

	fake.ranges = 2;
	fake.reserved = 1;
	fake.devices = 2;
	fake.grow_after = 2;
	/* Asks with nothing, grows to 2/1/2, then to the 3 devices now there. */
	ASSERT_EQ(0, smmua_space_info(-1, 0, &bdf, &d));
	EXPECT_EQ(3, fake.calls);
	EXPECT_EQ(SMMU_ASSIGN_BY_DEVICE, fake.info.flags);
	EXPECT_EQ(0, fake.info.space_id);
	EXPECT_EQ(0, memcmp(&bdf, &fake.info.bdf, sizeof(bdf)));
	EXPECT_EQ(sizeof(struct smmu_assign_space_info), fake.info.size);
	EXPECT_EQ(7, d.info.out_space_id);
	ASSERT_EQ(2, d.num_ranges);
	EXPECT_EQ(2 << 20, d.ranges[1].iova);
	ASSERT_EQ(1, d.num_reserved);
	EXPECT_EQ(SMMU_ASSIGN_RESV_SW_MSI, d.reserved[0].type);
	ASSERT_EQ(3, d.num_devices);
	EXPECT_EQ(2, d.devices[2].device);
	smmua_space_desc_free(&d);
	EXPECT_EQ(NULL, d.ranges);
	EXPECT_EQ(0, d.num_devices);
}

TEST(space_info_empty_by_id)
{
	struct smmua_space_desc d;

	ASSERT_EQ(0, smmua_space_info(-1, 9, NULL, &d));
	EXPECT_EQ(1, fake.calls);
	EXPECT_EQ(0, fake.info.flags);
	EXPECT_EQ(9, fake.info.space_id);
	EXPECT_EQ(0, d.num_ranges);
	EXPECT_EQ(NULL, d.ranges);
	EXPECT_EQ(NULL, d.reserved);
	EXPECT_EQ(NULL, d.devices);
	smmua_space_desc_free(&d);
}

TEST(space_info_error)
{
	struct smmua_space_desc d;

	fake.err = ENOENT;
	EXPECT_EQ(-ENOENT, smmua_space_info(-1, 9, NULL, &d));
	EXPECT_EQ(NULL, d.ranges);
	EXPECT_EQ(0, d.num_devices);
	/* EMSGSIZE with no count beyond the arrays: reported, not retried forever. */
	fake.calls = 0;
	fake.err = EMSGSIZE;
	EXPECT_EQ(-EMSGSIZE, smmua_space_info(-1, 9, NULL, &d));
	EXPECT_EQ(1, fake.calls);
}

TEST(by_device_or_by_id)
{
	struct smmu_assign_mapping_info *maps;
	struct smmu_assign_bdf bdf = dev_n(5);
	struct smmu_assign_translate t;
	size_t n;

	ASSERT_EQ(0, smmua_mappings(-1, 0, &bdf, &maps, &n));
	EXPECT_EQ(1, n);
	EXPECT_EQ(SMMU_ASSIGN_BY_DEVICE, fake.maps.flags);
	EXPECT_EQ(0, fake.maps.space_id);
	EXPECT_EQ(5, fake.maps.bdf.device);
	free(maps);
	ASSERT_EQ(0, smmua_mappings(-1, 2, NULL, &maps, &n));
	EXPECT_EQ(0, fake.maps.flags);
	EXPECT_EQ(2, fake.maps.space_id);
	EXPECT_EQ(0, fake.maps.bdf.device);
	free(maps);

	ASSERT_EQ(0, smmua_translate(-1, 0, &bdf, 0x1234, &t));
	EXPECT_EQ(SMMU_ASSIGN_BY_DEVICE, fake.xlate.flags);
	EXPECT_EQ(0, fake.xlate.space_id);
	EXPECT_EQ(5, fake.xlate.bdf.device);
	EXPECT_EQ(0x1234, fake.xlate.iova);
	ASSERT_EQ(0, smmua_translate(-1, 2, NULL, 0x1234, &t));
	EXPECT_EQ(0, fake.xlate.flags);
	EXPECT_EQ(2, fake.xlate.space_id);
}

TEST(bind_claim_alloc)
{
	struct smmu_assign_bdf bdf = dev_n(1);
	struct smmu_assign_bind b;
	__u32 id = 0;

	ASSERT_EQ(0, smmua_bind_space(-1, &bdf, 6, &b));
	EXPECT_EQ(6, fake.bind.space_id);
	EXPECT_EQ(0, fake.bind.window_length);
	EXPECT_EQ(4, b.out_space_id);
	ASSERT_EQ(0, smmua_bind(-1, &bdf, SMMU_ASSIGN_BIND_PERSISTENT, 1 << 20, 1 << 24, &b));
	EXPECT_EQ(0, fake.bind.space_id);
	EXPECT_EQ(1 << 24, fake.bind.window_length);

	ASSERT_EQ(0, smmua_claim(-1, &bdf, 0, 0, &id));
	EXPECT_EQ(3, id);
	EXPECT_EQ(0, fake.claim.space_id);
	ASSERT_EQ(0, smmua_claim(-1, &bdf, 0, 8, NULL));
	EXPECT_EQ(8, fake.claim.space_id);

	ASSERT_EQ(0, smmua_space_alloc(-1, "vm0", &id));
	EXPECT_EQ(5, id);
	EXPECT_STREQ("vm0", fake.alloc.name);
	ASSERT_EQ(0, smmua_space_alloc(-1, NULL, &id));
	EXPECT_STREQ("", fake.alloc.name);
	/* Too long to send whole: refused, never cut short. */
	fake.calls = 0;
	EXPECT_EQ(-EINVAL, smmua_space_alloc(-1, "abcdefghijklmnopqrstuvwxyz012345", &id));
	EXPECT_EQ(0, fake.calls);
}

TEST(device_fd)
{
	struct smmu_assign_bdf bdf = dev_n(3);

	EXPECT_EQ(42, smmua_device_fd(-1, &bdf));
	EXPECT_EQ(sizeof(struct smmu_assign_device_fd), fake.device_fd.size);
	EXPECT_EQ(0, fake.device_fd.flags);
	EXPECT_EQ(0, memcmp(&bdf, &fake.device_fd.bdf, sizeof(bdf)));
	fake.err = EBUSY;
	EXPECT_EQ(-EBUSY, smmua_device_fd(-1, &bdf));
}

TEST(irq_index_names)
{
	EXPECT_STREQ("intx", smmua_irq_index_name(VFIO_PCI_INTX_IRQ_INDEX));
	EXPECT_STREQ("msi", smmua_irq_index_name(VFIO_PCI_MSI_IRQ_INDEX));
	EXPECT_STREQ("msix", smmua_irq_index_name(VFIO_PCI_MSIX_IRQ_INDEX));
	EXPECT_STREQ("err", smmua_irq_index_name(VFIO_PCI_ERR_IRQ_INDEX));
	EXPECT_STREQ("req", smmua_irq_index_name(VFIO_PCI_REQ_IRQ_INDEX));
	/* QUERY's "no interrupts enabled". */
	EXPECT_STREQ("none", smmua_irq_index_name(VFIO_PCI_NUM_IRQS));
	EXPECT_STREQ("none", smmua_irq_index_name(~0U));
}

TEST_HARNESS_MAIN
