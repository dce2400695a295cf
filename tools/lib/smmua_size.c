// SPDX-License-Identifier: GPL-2.0
/*
 * libsmmu-assign: strict number and size parsing, and size formatting.
 * strtoull() takes spaces, signs and wraps silently: a command line must
 * not, so the digits are walked by hand.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "smmu_assign_lib.h"

static int digit_value(char c, unsigned int base)
{
	int v;

	if (c >= '0' && c <= '9')
		v = c - '0';
	else if (c >= 'a' && c <= 'f')
		v = c - 'a' + 10;
	else if (c >= 'A' && c <= 'F')
		v = c - 'A' + 10;
	else
		return -1;
	return v < (int)base ? v : -1;
}

static int suffix_shift(char c)
{
	switch (c) {
	case 'k': case 'K': return 10;
	case 'm': case 'M': return 20;
	case 'g': case 'G': return 30;
	case 't': case 'T': return 40;
	}
	return -1;
}

int smmua_parse_u64(const char *str, __u64 *val)
{
	unsigned int base = 10;
	const char *p = str;
	__u64 v = 0;
	int d, shift, n = 0;

	if (!str)
		return -EINVAL;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	}
	for (; (d = digit_value(*p, base)) >= 0; p++, n++) {
		if (v > (~0ULL - d) / base)
			return -ERANGE;
		v = v * base + d;
	}
	if (!n)
		return -EINVAL;
	if (*p) {
		shift = suffix_shift(*p);
		if (shift < 0 || p[1])
			return -EINVAL;
		if (v > (~0ULL >> shift))
			return -ERANGE;
		v <<= shift;
	}
	*val = v;
	return 0;
}

int smmua_parse_size(const char *str, __u64 *val)
{
	__u64 v;
	int ret = smmua_parse_u64(str, &v);

	if (ret)
		return ret;
	if (!v)
		return -EINVAL;
	*val = v;
	return 0;
}

int smmua_parse_window(const char *str, __u64 *iova, __u64 *length)
{
	char buf[64];
	const char *colon;
	__u64 i, l;
	int ret;

	if (!str)
		return -EINVAL;
	colon = strchr(str, ':');
	if (!colon || (size_t)(colon - str) >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, str, colon - str);
	buf[colon - str] = '\0';
	ret = smmua_parse_u64(buf, &i);
	if (ret)
		return ret;
	ret = smmua_parse_size(colon + 1, &l);
	if (ret)
		return ret;
	*iova = i;
	*length = l;
	return 0;
}

void smmua_format_size(__u64 size, char *buf, size_t len)
{
	static const char units[] = "TGMK";
	static const int shifts[] = { 40, 30, 20, 10 };
	unsigned int i;

	for (i = 0; size && i < sizeof(shifts) / sizeof(shifts[0]); i++) {
		if (!(size & ((1ULL << shifts[i]) - 1))) {
			snprintf(buf, len, "%llu%c",
				 (unsigned long long)(size >> shifts[i]), units[i]);
			return;
		}
	}
	snprintf(buf, len, "%llu", (unsigned long long)size);
}
