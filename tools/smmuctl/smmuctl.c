// SPDX-License-Identifier: GPL-2.0
/*
 * smmuctl: the administrator's command line for smmu-assign.
 */
#include <stdio.h>
#include <string.h>

#include "smmu_assign_lib.h"

static int cmd_version(void)
{
	struct smmu_assign_get_info info;
	int fd, ret;

	printf("smmuctl API %u\n", SMMU_ASSIGN_API_VERSION);
	fd = smmua_open();
	if (fd < 0) {
		fprintf(stderr, "smmuctl: cannot open %s: %s (is smmu_assign.ko loaded?)\n",
			SMMU_ASSIGN_DEV_PATH, strerror(-fd));
		return 1;
	}
	ret = smmua_get_info(fd, &info);
	if (ret) {
		fprintf(stderr, "smmuctl: GET_INFO failed: %s\n", strerror(-ret));
		return 1;
	}
	printf("module API %u, capabilities 0x%llx\n", info.out_api_version,
	       (unsigned long long)info.out_capabilities);
	return 0;
}

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: smmuctl COMMAND\n"
		"\n"
		"Commands:\n"
		"  version    the API versions of smmuctl and of the loaded module\n"
		"  help       this text\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "version"))
		return cmd_version();
	if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "-h")) {
		usage(stdout);
		return 0;
	}
	fprintf(stderr, "smmuctl: unknown command '%s': run 'smmuctl help'\n", argv[1]);
	return 2;
}
