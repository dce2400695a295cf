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

/* Every PMU named smmuv3_pmcg_*: human or JSON ("pmcg" member). */
void smmuctl_pmcg(void);

#endif /* SMMUCTL_H */
