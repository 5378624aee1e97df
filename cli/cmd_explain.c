// SPDX-License-Identifier: GPL-2.0-or-later
/* geoegress explain: what the policy decides for one flow, and why. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "geo/geo.h"
#include "nfq/nfq.h"
#include "rules/rules.h"

const char cmd_explain_usage[] =
	"Usage: geoegress explain [-c FILE] [--db FILE] --from ADDR[,MAC] --to ADDR\n"
	"                         [--proto P] [--port N] [--host NAME...] [--asn N]\n"
	"                         [--running [--ctl PATH]]\n"
	"\n"
	"Shows what the policy decides for one flow and why: the country of the\n"
	"destination (and which database field gave it), its names and AS, the\n"
	"device set of the source, the deciding rule (line and text) or the\n"
	"default, the action and whether it is logged.  The daemon decides with\n"
	"the same function.  Nothing is sent anywhere.\n"
	"\n"
	"Names: the daemon knows a destination's names from the DNS answers the\n"
	"device received; --host gives them here, as if the device had resolved\n"
	"NAME to ADDR (repeat it for several names).  Without --host no name is\n"
	"known: `to host` tests do not match, `to host unknown` does.  With\n"
	"--running the daemon uses the names it learned and its AS database.\n"
	"\n"
	"  -c, --config FILE  policy file (default " GEOEGRESS_DEFAULT_CONF ")\n"
	"  -d, --db FILE      database (default: the policy's option database)\n"
	"  -f, --from A[,MAC] source address, optionally with its MAC\n"
	"  -t, --to ADDR      destination address\n"
	"  -p, --proto P      tcp (default), udp, icmp, icmpv6, sctp or a number\n"
	"  -P, --port N       destination port (tcp/udp/sctp)\n"
	"  -H, --host NAME    a name the device's DNS answers gave ADDR (up to 8)\n"
	"  -A, --asn N        the destination's AS (default: from option asn-database)\n"
	"  -r, --running      ask the running daemon: its policy, database and names in\n"
	"                     force (after a refused reload they differ from the files)\n"
	"      --ctl PATH     its control socket (default " NFQ_DEFAULT_CTL ")\n"
	"  -h, --help         this help\n"
	"\n"
	"Exit status: 0 explained, 1 policy or database errors (or no daemon), 2 usage.\n";

#define EXPLAIN_HOSTS 8

struct explain_opts {
	const char *conf, *db, *from, *to, *proto, *port, *asn, *ctl;
	char *host[EXPLAIN_HOSTS];	/* lower case, without a final dot */
	unsigned nhost;
	int running;
};

static int parse_proto(const char *s, uint8_t *out)
{
	char *end;
	long v;

	if (rules_proto_number(s, out) == 0)
		return 0;
	v = strtol(s, &end, 10);
	if (!*s || *end || v < 0 || v > 255)
		return -1;
	*out = (uint8_t)v;
	return 0;
}

/* --host NAME: lower case, without a final dot, [a-z0-9._-].  0 or a
 * usage error code. */
static int add_host(struct explain_opts *o, const char *name)
{
	size_t len = strlen(name);
	char *h;

	if (len && name[len - 1] == '.')
		len--;
	if (o->nhost == EXPLAIN_HOSTS)
		return cli_usage_error("explain", "--host: at most %d names", EXPLAIN_HOSTS);
	if (!len || len > 253 || strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_") < len)
		return cli_usage_error("explain", "--host: '%s' is not a host name", name);
	h = strndup(name, len);
	if (!h)
		return 1;
	for (char *c = h; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	o->host[o->nhost++] = h;
	return 0;
}

/* 64500 or AS64500.  0 or -1. */
static int parse_asn(const char *s)
{
	char *end;
	unsigned long v;

	if (s[0] == 'A' || s[0] == 'a')
		s += s[1] == 'S' || s[1] == 's' ? 2 : 0;
	errno = 0;
	v = strtoul(s, &end, 10);
	return !*s || *end || errno || v == 0 || v > 4294967295ul || *s == '-' ? -1 : 0;
}

/* Fills the flow from the options; returns 0 or a usage error code. */
static int build_flow(const struct explain_opts *o, struct rules_flow *f)
{
	char src[128], *comma;
	uint8_t sfam;
	char *end;
	long port;

	memset(f, 0, sizeof(*f));
	snprintf(src, sizeof(src), "%s", o->from);
	comma = strchr(src, ',');
	if (comma) {
		*comma++ = 0;
		if (rules_flow_set_mac(f, comma) < 0)
			return cli_usage_error("explain", "'%s' is not a MAC address like 02:00:5e:00:53:01", comma);
	}
	if (rules_flow_set_addr(f, 's', src) < 0)
		return cli_usage_error("explain", "--from: '%s' is not an IPv4 or IPv6 address", src);
	sfam = f->family;
	if (rules_flow_set_addr(f, 'd', o->to) < 0)
		return cli_usage_error("explain", "--to: '%s' is not an IPv4 or IPv6 address", o->to);
	if (f->family != sfam)
		return cli_usage_error("explain", "--from and --to must both be IPv4 or both IPv6");
	if (parse_proto(o->proto ? o->proto : "tcp", &f->proto) < 0)
		return cli_usage_error("explain", "--proto: '%s' is not tcp, udp, icmp, icmpv6, sctp or 0-255",
				       o->proto);
	if (o->port) {
		port = strtol(o->port, &end, 10);
		if (!*o->port || *end || port < 0 || port > 65535)
			return cli_usage_error("explain", "--port: '%s' is not a port (0-65535)", o->port);
		if (f->proto != 6 && f->proto != 17 && f->proto != 132)
			return cli_usage_error("explain", "--port needs --proto tcp, udp or sctp");
		f->dport = (uint16_t)port;
		f->has_ports = 1;
	}
	return 0;
}

static void print_flow(const struct explain_opts *o, const struct rules_flow *f)
{
	printf("flow:     %.*s%s%s -> %s %s", (int)strcspn(o->from, ","), o->from,
	       f->has_mac ? " mac " : "", f->has_mac ? strchr(o->from, ',') + 1 : "", o->to,
	       o->proto ? o->proto : "tcp");
	if (f->has_ports)
		printf(" port %u", f->dport);
	putchar('\n');
}

/* --running: the daemon answers with its policy and database in force. */
static int explain_running(const struct explain_opts *o, const struct rules_flow *f)
{
	char cmd[256], src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN], mac[18] = "-";
	int fam = f->family == AF_INET6 ? AF_INET6 : AF_INET, rc;

	inet_ntop(fam, f->src.b, src, sizeof(src));
	inet_ntop(fam, f->dst.b, dst, sizeof(dst));
	if (f->has_mac)
		snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", f->src_mac[0], f->src_mac[1],
			 f->src_mac[2], f->src_mac[3], f->src_mac[4], f->src_mac[5]);
	snprintf(cmd, sizeof(cmd), "explain %s %s %s %u %d", src, mac, dst, f->proto,
		 f->has_ports ? f->dport : -1);
	print_flow(o, f);
	fflush(stdout);
	rc = nfq_ctl_request(o->ctl, cmd, stdout);
	if (rc < 0) {
		fprintf(stderr, "geoegress explain: cannot reach the daemon at %s: %s (is it running? "
			"see --ctl)\n", o->ctl, strerror(errno));
		return 1;
	}
	return rc == 0 ? 0 : 1;
}

static int explain_run(const struct explain_opts *o, const struct rules_flow *f)
{
	struct rules_policy *p = cli_load_policy(o->conf);
	struct geo_db *db = NULL, *asn_db = NULL;
	struct geo_answer a = { 0 };
	struct geo_asn as = { 0 };
	struct rules_dest d = { (const char *const *)o->host, o->nhost, 0 };
	int rc = 1;

	if (!p)
		goto out;
	db = cli_open_db("explain", o->db ? o->db : rules_options(p)->database);
	if (!db || (!o->asn && cli_open_asn_db("explain", p, &asn_db) < 0))
		goto out;
	if (geo_lookup_xlat(db, &rules_options(p)->nat64, f->family, f->dst.b, &a) < 0)
		memset(&a, 0, sizeof(a));	/* e.g. IPv6 in an IPv4-only database: unknown */
	if (o->asn)
		as.asn = (uint32_t)strtoul(o->asn, NULL, 10);
	else if (asn_db)
		geo_lookup_asn(asn_db, &rules_options(p)->nat64, f->family, f->dst.b, &as);
	d.asn = as.asn;
	print_flow(o, f);
	rules_explain(p, f, &a, &d, as.org, stdout);
	rc = 0;
out:
	geo_close(asn_db);
	geo_close(db);
	rules_free(p);
	return rc;
}

int cmd_explain(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "config", required_argument, NULL, 'c' }, { "db", required_argument, NULL, 'd' },
		{ "from", required_argument, NULL, 'f' }, { "to", required_argument, NULL, 't' },
		{ "proto", required_argument, NULL, 'p' }, { "port", required_argument, NULL, 'P' },
		{ "host", required_argument, NULL, 'H' }, { "asn", required_argument, NULL, 'A' },
		{ "running", no_argument, NULL, 'r' }, { "ctl", required_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' }, { 0 }
	};
	struct explain_opts o = { .conf = GEOEGRESS_DEFAULT_CONF, .ctl = NFQ_DEFAULT_CTL };
	struct rules_flow f;
	const char *asn_arg = NULL;	/* --asn as given */
	int c, rc;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":c:d:f:t:p:P:H:A:rC:h", lopts, NULL)) != -1) {
		switch (c) {
		case 'H':
			rc = add_host(&o, optarg);
			if (rc)
				return rc;
			break;
		case 'A':
			if (asn_arg)	/* a destination has one AS */
				return cli_usage_error("explain", "--asn given twice ('%s', then '%s'): "
						       "give the destination's one AS", asn_arg, optarg);
			asn_arg = optarg;
			if (parse_asn(optarg) < 0)
				return cli_usage_error("explain", "--asn: '%s' is not an AS number (1-4294967295)",
						       optarg);
			o.asn = optarg + (optarg[0] == 'A' || optarg[0] == 'a' ? 2 : 0);
			break;
		case 'c': o.conf = optarg; break;
		case 'd': o.db = optarg; break;
		case 'f': o.from = optarg; break;
		case 't': o.to = optarg; break;
		case 'p': o.proto = optarg; break;
		case 'P': o.port = optarg; break;
		case 'r': o.running = 1; break;
		case 'C': o.ctl = optarg; break;
		case 'h': fputs(cmd_explain_usage, stdout); return 0;
		default: return cli_option_error("explain", c, argv, lopts);
		}
	}
	if (optind < argc)
		return cli_usage_error("explain", "unexpected argument '%s'", argv[optind]);
	if (!o.from || !o.to)
		return cli_usage_error("explain", "--from and --to are required");
	rc = build_flow(&o, &f);
	if (!rc && o.running && (o.nhost || o.asn || o.db))
		rc = cli_usage_error("explain", "--running uses the daemon's names, AS and databases: "
				     "--host, --asn and --db do not go with it");
	if (!rc)
		rc = o.running ? explain_running(&o, &f) : explain_run(&o, &f);
	for (unsigned i = 0; i < o.nhost; i++)
		free(o.host[i]);
	return rc;
}
