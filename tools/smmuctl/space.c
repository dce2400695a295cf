// SPDX-License-Identifier: GPL-2.0
/*
 * smmuctl: space names and the text form of a device's space and domain,
 * apart from smmuctl.c so the host unit tests can link them.
 */
#include <stdio.h>
#include <string.h>

#include "smmuctl.h"

bool smmuctl_space_name_ok(const char *s)
{
	size_t n = strlen(s), i;

	/* The kernel's rule (uapi SMMU_ASSIGN_SPACE_NAME_LEN), checked early. */
	if (!n || n >= SMMU_ASSIGN_SPACE_NAME_LEN)
		return false;
	/* ASCII whatever the locale: the kernel knows no other letters. */
	for (i = 0; i < n; i++)
		if (!(s[i] >= 'a' && s[i] <= 'z') && !(s[i] >= 'A' && s[i] <= 'Z') &&
		    !(s[i] >= '0' && s[i] <= '9') && !strchr("._-", s[i]))
			return false;
	return true;
}

void smmuctl_space_name(const char *raw, char *buf)
{
	/* Never trust the kernel's field to be terminated. */
	snprintf(buf, SMMU_ASSIGN_SPACE_NAME_LEN, "%.*s",
		 (int)strnlen(raw, SMMU_ASSIGN_SPACE_NAME_LEN), raw);
}

void smmuctl_format_space(__u32 id, const char *raw_name, char *buf, size_t len)
{
	char name[SMMU_ASSIGN_SPACE_NAME_LEN];

	smmuctl_space_name(raw_name, name);
	if (id)
		snprintf(buf, len, "%u%s%s", id, name[0] ? ":" : "", name);
	else
		snprintf(buf, len, "unclaimed%s%s", name[0] ? ":" : "", name);
}

const char *smmuctl_domain_text(__u32 flags)
{
	switch (flags & (SMMU_ASSIGN_DOMAIN_SHARED | SMMU_ASSIGN_DOMAIN_MIRRORED)) {
	case SMMU_ASSIGN_DOMAIN_SHARED:
		return "shared";
	case SMMU_ASSIGN_DOMAIN_MIRRORED:
		return "mirrored";
	case SMMU_ASSIGN_DOMAIN_SHARED | SMMU_ASSIGN_DOMAIN_MIRRORED:
		return "shared,mirrored";
	default:
		return "own";
	}
}
