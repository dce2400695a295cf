// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests: the BDF parser and formatter, number and size parsing
 * and formatting, and the JSON writer's escaping.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"
#include "smmu_assign_lib.h"
#include "json.h"

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

TEST_HARNESS_MAIN
