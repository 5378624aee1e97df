// SPDX-License-Identifier: GPL-2.0-or-later
/* Where decision records go besides the file (issue 14): the gateway
 * every record names (option gateway, else the host name), and the RFC
 * 5424 messages for a remote syslog collector, JSON payload and
 * structured data, byte for byte.  No sockets: t_syslog.sh sends them to
 * a real rsyslog in a namespace. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "nfq/nfq_int.h"
#include "tests/tap.h"

static const char rec_json[] =
	"{\"ts\":\"2026-11-27T07:30:01.123Z\",\"gateway\":\"pune-1\",\"action\":\"block\",\"audit\":false,"
	"\"rule\":12,\"rule_name\":\"a ] \\\"quoted\\\" \\\\ name\",\"default\":false,\"src\":\"192.0.2.10\","
	"\"src_mac\":null,\"device\":\"managed\",\"count\":1}";

static const struct timespec ts = { 1795764601, 123456789 };	/* 2026-11-27T07:30:01.123Z */

static void test_json_payload(void)
{
	struct rules_syslog t = { .kind = RULES_SYSLOG_UDP, .format = RULES_SYSLOG_JSON };
	char buf[2048];
	size_t n = nfq_syslog_format(buf, sizeof(buf), &t, "pune-1", 4242, LOG_NOTICE, &ts, rec_json,
				     strlen(rec_json));

	buf[n] = '\0';
	is_str(buf, "<29>1 2026-11-27T07:30:01.123Z pune-1 geoegress 4242 decision - {\"ts\":"
	       "\"2026-11-27T07:30:01.123Z\",\"gateway\":\"pune-1\",\"action\":\"block\",\"audit\":false,"
	       "\"rule\":12,\"rule_name\":\"a ] \\\"quoted\\\" \\\\ name\",\"default\":false,"
	       "\"src\":\"192.0.2.10\",\"src_mac\":null,\"device\":\"managed\",\"count\":1}",
	       "JSON payload: PRI daemon.notice, version 1, the record's time, HOSTNAME, APP-NAME, "
	       "PROCID, MSGID, no SD, the record as MSG (no BOM)");
	n = nfq_syslog_format(buf, sizeof(buf), &t, "pune-1", 4242, LOG_INFO, &ts, rec_json, strlen(rec_json));
	ok(n > 4 && !memcmp(buf, "<30>1 ", 6), "daemon.info is <30>");
	is_int(nfq_syslog_format(buf, 60, &t, "pune-1", 4242, LOG_INFO, &ts, rec_json, strlen(rec_json)), 0,
	       "too small a buffer: 0");
}

static void test_structured_data(void)
{
	struct rules_syslog t = { .kind = RULES_SYSLOG_TCP, .format = RULES_SYSLOG_SD };
	char buf[2048];
	size_t n = nfq_syslog_format(buf, sizeof(buf), &t, "pune-1", 7, LOG_NOTICE, &ts, rec_json,
				     strlen(rec_json));

	buf[n] = '\0';
	is_str(buf, "<29>1 2026-11-27T07:30:01.123Z pune-1 geoegress 7 decision [geoegress@32473 "
	       "ts=\"2026-11-27T07:30:01.123Z\" gateway=\"pune-1\" action=\"block\" audit=\"false\" "
	       "rule=\"12\" rule_name=\"a \\] \\\"quoted\\\" \\\\ name\" default=\"false\" src=\"192.0.2.10\" "
	       "device=\"managed\" count=\"1\"]",
	       "SD: one SD-ELEMENT, every field but the nulls, ] \" \\ escaped (RFC 5424 6.3.3), no MSG");
}

/* The last line of path into buf. */
static void last_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");

	buf[0] = '\0';
	while (f && fgets(buf, (int)len, f))
		;
	if (f)
		fclose(f);
}

static struct nfq_declog_rec rec(void)
{
	struct nfq_declog_rec r;

	memset(&r, 0, sizeof(r));
	r.ts = ts;
	r.flow.family = AF_INET;
	r.flow.proto = IPPROTO_UDP;
	inet_pton(AF_INET, "192.0.2.10", r.flow.src.b);
	inet_pton(AF_INET, "198.51.100.7", r.flow.dst.b);
	r.action = RULES_BLOCK;
	r.line = 3;
	r.country = GEO_CC_UNKNOWN;
	return r;
}

static void test_gateway(const char *dir)
{
	struct rules_syslog none = { 0 };
	struct nfq_declog *d = nfq_declog_new();
	struct nfq_declog_stats st;
	struct nfq_declog_rec r = rec();
	char path[512], line[2048], host[256], want[512];

	snprintf(path, sizeof(path), "%s/gw.jsonl", dir);
	nfq_declog_configure(d, path, 0, 0, 60);
	is_int(nfq_declog_outputs(d, "pune-1", &none), 0, "outputs: a gateway, no syslog target");
	nfq_declog_add(d, &r, 1);
	nfq_declog_flush(d);
	last_line(path, line, sizeof(line));
	snprintf(want, sizeof(want), "{\"ts\":\"2026-11-27T07:30:01.123Z\",\"gateway\":\"pune-1\",\"action\":");
	ok(!strncmp(line, want, strlen(want)), "the record names the gateway, right after ts");
	nfq_declog_stats(d, &st);
	ok(st.gateway && !strcmp(st.gateway, "pune-1") && !st.syslog_remote, "stats: the gateway, no remote target");
	nfq_declog_outputs(d, NULL, &none);
	nfq_declog_add(d, &r, 2);
	nfq_declog_flush(d);
	last_line(path, line, sizeof(line));
	gethostname(host, sizeof(host));
	host[sizeof(host) - 1] = '\0';
	snprintf(want, sizeof(want), "\"gateway\":\"%s\",", host);
	ok(strstr(line, want) != NULL, "no option gateway: the host name (%s)", host);
	nfq_declog_free(d);
	unlink(path);
}

int main(void)
{
	char dir[] = "/tmp/ge-outputs-XXXXXX";

	if (!mkdtemp(dir))
		return 1;
	test_json_payload();
	test_structured_data();
	test_gateway(dir);
	rmdir(dir);
	return tap_done();
}
