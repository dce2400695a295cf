// SPDX-License-Identifier: GPL-2.0
/*
 * smmuctl: the SMMU's performance monitor counter groups. The arm_smmuv3_pmu
 * driver registers each PMCG as a perf PMU named smmuv3_pmcg_<addr>; its
 * counters are read through perf_event_open(), filtered by stream ID with
 * the filter_enable and filter_stream_id config fields (see smmuctl.8).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smmuctl.h"

#define PMU_DIR "/sys/bus/event_source/devices"

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char * const *)a, *(char * const *)b);
}

/* Names in dir (matching prefix when non-NULL), sorted; count in *n. */
static char **list_dir(const char *dir, const char *prefix, size_t *n)
{
	char **v = NULL, **nv;
	struct dirent *e;
	DIR *d = opendir(dir);

	*n = 0;
	if (!d)
		return NULL;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' ||
		    (prefix && strncmp(e->d_name, prefix, strlen(prefix))))
			continue;
		nv = realloc(v, (*n + 1) * sizeof(*v));
		if (!nv)
			break;
		v = nv;
		v[(*n)++] = strdup(e->d_name);
	}
	closedir(d);
	if (*n)
		qsort(v, *n, sizeof(*v), cmp_str);
	return v;
}

static void free_list(char **v, size_t n)
{
	while (n)
		free(v[--n]);
	free(v);
}

void smmuctl_pmcg(void)
{
	char path[512], **pmus, **events;
	size_t n, ne, i, j;

	pmus = list_dir(PMU_DIR, "smmuv3_pmcg_", &n);
	if (ctl.json) {
		jw_obj_open(&ctl.jw, "pmcg");
		jw_bool(&ctl.jw, "available", n > 0);
		jw_arr_open(&ctl.jw, "pmus");
	} else if (!n) {
		printf("PMCG counters: not available on this SMMU\n");
	} else {
		printf("PMCG counters (count with perf, see smmuctl(8)):\n");
	}
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), PMU_DIR "/%s/events", pmus[i]);
		events = list_dir(path, NULL, &ne);
		if (ctl.json) {
			jw_obj_open(&ctl.jw, NULL);
			jw_str(&ctl.jw, "name", pmus[i]);
			jw_arr_open(&ctl.jw, "events");
			for (j = 0; j < ne; j++)
				jw_str(&ctl.jw, NULL, events[j]);
			jw_arr_close(&ctl.jw);
			jw_obj_close(&ctl.jw);
		} else {
			printf("  %s:", pmus[i]);
			for (j = 0; j < ne; j++)
				printf(" %s", events[j]);
			printf("\n");
		}
		free_list(events, ne);
	}
	if (ctl.json) {
		jw_arr_close(&ctl.jw);
		jw_obj_close(&ctl.jw);
	}
	free_list(pmus, n);
}
