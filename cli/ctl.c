// SPDX-License-Identifier: GPL-2.0-or-later
/* The control-socket client of `geoegress stats` and `geoegress reload`:
 * their common options and the request that prints the daemon's reply. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "nfq/nfq.h"

enum { OPT_CTL = 256, OPT_JSON, OPT_STATE_DIR, OPT_FORMAT };

int cli_ctl_args(int argc, char **argv, const char *sub, int allow_format, struct cli_ctl_args *a)
{
	static const struct option longopts[] = {
		{ "ctl", required_argument, NULL, OPT_CTL },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "state-dir", required_argument, NULL, OPT_STATE_DIR },
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const formats[] = { "text", "json", "prometheus" };
	int c;

	a->ctl = NFQ_DEFAULT_CTL;
	a->state_dir = NULL;
	a->format = CLI_CTL_TEXT;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'h': cli_help(sub); return -1;
		case OPT_CTL: a->ctl = optarg; break;
		case OPT_STATE_DIR: a->state_dir = optarg; break;
		case OPT_JSON:
			if (!allow_format)
				return cli_usage_error(sub, "--json is only for stats");
			a->format = CLI_CTL_JSON;
			break;
		case OPT_FORMAT:
			if (!allow_format)
				return cli_usage_error(sub, "--format is only for stats");
			for (a->format = 0; a->format < 3 && strcmp(optarg, formats[a->format]); a->format++)
				;
			if (a->format == 3)
				return cli_usage_error(sub, "--format: '%s' is not text, json or prometheus", optarg);
			break;
		default: return cli_option_error(sub, c, argv, longopts);
		}
	}
	if (optind < argc)
		return cli_usage_error(sub, "unexpected argument '%s'", argv[optind]);
	return 0;
}

int cli_ctl_command(const char *sub, const struct cli_ctl_args *a, const char *cmd)
{
	char *reply = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&reply, &len);
	int rc;

	if (!mem) {
		fprintf(stderr, "geoegress %s: out of memory\n", sub);
		return 1;
	}
	rc = nfq_ctl_request(a->ctl, cmd, mem);
	fclose(mem);
	/* The daemon's error text (e.g. the policy's file:line:col errors) to stderr. */
	fputs(reply ? reply : "", rc == 0 ? stdout : stderr);
	free(reply);
	if (rc < 0) {
		int e = errno;

		fprintf(stderr, "geoegress %s: cannot reach the daemon at %s: %s%s\n", sub, a->ctl,
			strerror(e), e == ENOENT || e == ECONNREFUSED ?
			" (is `geoegress run` running? see --ctl)" :
			e == EACCES ? " (root only)" : "");
		if (e == ENOENT || e == ECONNREFUSED)
			nfq_held_status(a->state_dir, 0, stderr);
		return 1;
	}
	return rc == 0 ? 0 : 1;
}
