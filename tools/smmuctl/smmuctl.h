/* SPDX-License-Identifier: GPL-2.0 */
/* smmuctl: what its command files share. */
#ifndef SMMUCTL_H
#define SMMUCTL_H

#include <stdbool.h>

#include "json.h"
#include "smmu_assign_lib.h"

/* Exit codes (documented in smmuctl.8). */
#define EXIT_OK		0
#define EXIT_FAILED	1
#define EXIT_USAGE	2

struct smmuctl {
	bool json;
	bool pretty;
	struct jw jw;
};

extern struct smmuctl ctl;

void __attribute__((format(printf, 1, 2))) smmuctl_err(const char *fmt, ...);

/* ---- spaces (space.c) ---- */

/* A space name the kernel takes: 1 to 31 of letters, digits, '.', '_', '-'. */
bool smmuctl_space_name_ok(const char *s);

/* A kernel's space name field into buf (SMMU_ASSIGN_SPACE_NAME_LEN bytes). */
void smmuctl_space_name(const char *raw, char *buf);

/* Longest smmuctl_format_space() output plus the terminator. */
#define SMMUCTL_SPACE_STRLEN	(11 + SMMU_ASSIGN_SPACE_NAME_LEN)

/*
 * A device's space as a table cell: "ID" or "ID:NAME" in a space, and for
 * a binding in none (an unclaimed persistent one) "unclaimed" or
 * "unclaimed:NAME" with the name BIND gave it.
 */
void smmuctl_format_space(__u32 id, const char *raw_name, char *buf, size_t len);

/* QUERY's out_domain_flags: "own", "shared", "mirrored", "shared,mirrored". */
const char *smmuctl_domain_text(__u32 flags);

/* Every PMU named smmuv3_pmcg_*: human or JSON ("pmcg" member). */
void smmuctl_pmcg(void);

#endif /* SMMUCTL_H */
