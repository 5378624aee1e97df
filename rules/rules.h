/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rules — the policy language: lexer, parser, errors with file:line:col,
 * the compiled policy, the canonical printer and evaluation of one flow.
 * The language is described in doc/policy.md (and geoegress.conf(5)).
 *
 * A struct rules_policy is one tree freed by one rules_free(); it is
 * read-only after parsing and may be shared between threads.
 */
#ifndef GEOEGRESS_RULES_H
#define GEOEGRESS_RULES_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "geo/geo.h"

struct rules_policy;

enum rules_action {
	RULES_ALLOW = 0,	/* accept */
	RULES_BLOCK,		/* drop */
	RULES_REJECT,		/* drop, and the kernel answers (TCP RST / ICMP admin-prohibited) */
	RULES_LOG,		/* accept and record */
};
#define RULES_NACTION 4

/* The action's keyword: "allow", "block", "reject", "log" ("?" out of
 * range).  The policy language, the decision log (doc/log-format.md) and
 * the daemon's counters all name actions so. */
const char *rules_action_name(enum rules_action a);

/* A protocol's name in the policy language and the decision log: tcp, udp,
 * icmp, icmpv6, sctp; another number is written into num (NULL: returns
 * NULL for it).  rules_proto_number() is the inverse for the names:
 * 0, or -1 for another word. */
const char *rules_proto_name(unsigned proto, char num[4]);
int rules_proto_number(const char *name, uint8_t *out);

/* One flow as the daemon saw its first packet.  Addresses in network
 * order; ports in host order. */
struct rules_flow {
	uint8_t family;		/* AF_INET or AF_INET6 */
	uint8_t proto;		/* IPPROTO_*; 0 when it could not be read */
	uint8_t has_mac;	/* src_mac is valid */
	uint8_t has_ports;	/* sport/dport are valid (TCP/UDP/UDP-Lite/SCTP/DCCP, header read) */
	uint8_t src_mac[6];
	uint16_t sport, dport;
	uint8_t icmp_type, icmp_code;	/* valid when proto is ICMP/ICMPv6 */
	uint16_t icmp_id;	/* echo request/reply identifier (host order), else 0 */
	uint8_t cut;		/* the copy of the packet ended before its header chain or
				 * L4 ports did: proto/ports may not be what conntrack tracks */
	union {
		uint8_t b[16];	/* IPv4 uses the first 4 bytes */
		uint32_t w[4];
	} src, dst;
	uint32_t iif, oif;	/* interface indices, 0 if unknown */
};

/* The longest rule name (`name "..."`) and set name a policy may have:
 * the decision log copies them into fixed buffers (nfq_declog_rec). */
#define RULES_RULE_NAME_MAX 200
#define RULES_SET_NAME_MAX 64

/* What evaluation decided.  Pointers point into the policy. */
struct rules_verdict {
	enum rules_action action;	/* the policy's action (also in audit mode) */
	uint8_t log;		/* record it in the decision log: the rule says log, the
				 * action is log, block or reject (always recorded), or audit */
	uint8_t audit;		/* audit mode and action is block/reject: NOT enforced, let it pass */
	uint8_t is_default;	/* no rule matched: the default (or unknown-country default) */
	int line;		/* policy line of the deciding rule or default statement */
	const char *name;	/* the rule's name, or NULL */
	const char *device;	/* device set the source belongs to (first in policy order), or NULL */
	geo_cc country;		/* the country the policy used (per country-field), or unknown */
	geo_cc db_code;		/* the database's code when the policy did not use it as the
				 * country (not an ISO 3166-1 country: EU, ZZ, ...), else unknown */
	uint8_t via;		/* enum geo_via: the country is that of via_v4, the IPv4
				 * address embedded in the destination (NAT64, 6to4, ...) */
	uint8_t via_v4[4];	/* network order; valid when via != GEO_VIA_NONE */
};

/* What else the daemon knows about a flow's destination: the names the
 * device's own DNS answers gave that address (dns/, nfq/names.c), and its
 * autonomous system.  All optional (NULL dest: nothing known). */
struct rules_dest {
	const char *const *names;	/* lower case, without the final dot */
	unsigned nnames;		/* 0: no answer explained the address */
	uint32_t asn;			/* 0: unknown */
};

enum rules_mode { RULES_MODE_ENFORCE = 0, RULES_MODE_AUDIT };
/* option names: learn names from DNS answers */
enum rules_names { RULES_NAMES_AUTO = 0, RULES_NAMES_YES, RULES_NAMES_NO };
enum rules_failmode { RULES_FAIL_OPEN = 0, RULES_FAIL_CLOSED };
#define RULES_HOOK_FORWARD 0x1
#define RULES_HOOK_OUTPUT  0x2

/* option log-syslog: where decision records go besides the file.  LOCAL
 * is `yes` (syslog(3), the record as the message); UDP and TCP send RFC
 * 5424 messages to an address (TCP framed by octet counting, RFC 6587). */
enum rules_syslog_kind { RULES_SYSLOG_NONE = 0, RULES_SYSLOG_LOCAL, RULES_SYSLOG_UDP, RULES_SYSLOG_TCP };
/* What an RFC 5424 message carries: the record as a JSON payload (MSG), or
 * as the parameters of one SD-ELEMENT (STRUCTURED-DATA) */
enum rules_syslog_format { RULES_SYSLOG_JSON = 0, RULES_SYSLOG_SD };

struct rules_syslog {
	enum rules_syslog_kind kind;
	enum rules_syslog_format format;
	int format_given;		/* `format` was written */
	uint8_t family;			/* AF_INET or AF_INET6 (UDP, TCP) */
	uint8_t addr[16];		/* network order; IPv4 in the first 4 bytes */
	uint16_t port;			/* host order */
};

#define RULES_SYSLOG_PORT 514		/* when a target gives none */
#define RULES_METRICS_INTERVAL 15	/* s: a common Prometheus scrape interval */
#define RULES_GATEWAY_MAX 64		/* characters of option gateway */

/* Options with their defaults filled in.  Strings belong to the policy. */
struct rules_options {
	const char *database;		/* default GEOEGRESS_DEFAULT_DB */
	enum geo_field field;		/* country-field, default located */
	enum rules_mode mode;		/* default enforce */
	int has_unknown;		/* an `option unknown ACTION` was given */
	enum rules_action unknown;	/* default for unknown-country destinations */
	int unknown_log;
	const char *log_file;		/* default GEOEGRESS_DEFAULT_LOG; "" = none */
	int log_syslog;			/* log-syslog yes: syslog(3); default 0 */
	uint32_t log_rate;		/* records per device per log_rate_period s; 0 = unlimited */
	uint32_t log_rate_period;	/* seconds (1, 60, 3600) */
	uint32_t log_total;		/* records of all devices together per log_total_period s
					 * (`total`; default RULES_LOG_TOTAL_FACTOR * log_rate per
					 * log_rate_period); 0 when log_rate is 0 */
	uint32_t log_total_period;	/* seconds */
	int log_total_given;		/* `total` was written */
	enum rules_failmode fail_mode;	/* default open */
	unsigned hooks;			/* RULES_HOOK_*, default forward */
	uint16_t queue_first;		/* default 0 */
	uint16_t queue_count;		/* default 1 */
	int reload_new_only;		/* option reload new-only: a reload does not
					 * decide established connections again */
	enum rules_names names;		/* option names, default auto */
	int learn_names;		/* names are learned: yes, or auto and a rule
					 * tests `to host` */
	uint16_t names_group;		/* NFLOG group of the answers' copies, default 53 */
	uint32_t names_ttl_min;		/* TTL floor and ceiling, s (default 60-86400) */
	uint32_t names_ttl_max;
	uint32_t names_max;		/* (device, address) entries kept, default 32768 */
	const char *asn_database;	/* option asn-database; NULL: none */
	struct geo_xlat nat64;		/* the operator's NAT64 prefixes (64:ff9b::/96 is always
					 * translated); pass to geo_lookup_xlat().  Last: the
					 * fields evaluation reads stay on one cache line */
	/* Evaluation reads none of these. */
	struct rules_syslog syslog;	/* option log-syslog with a udp:// or tcp:// target */
	const char *gateway;		/* option gateway: the name decision records carry;
					 * NULL: the host name */
	const char *metrics_file;	/* option metrics-file; "" = none (default) */
	uint32_t metrics_interval;	/* seconds between writes (`every`), default 15 */
	int metrics_every_given;	/* `every` was written */
};

#define RULES_LOG_TOTAL_FACTOR 50	/* default total cap: 50 devices at their full rate */
#define RULES_NAMES_GROUP 53
#define RULES_NAMES_TTL_MIN 60
#define RULES_NAMES_TTL_MAX 86400
#define RULES_NAMES_MAX 32768

#define GEOEGRESS_DEFAULT_CONF "/etc/geoegress/policy.conf"
#define GEOEGRESS_DEFAULT_DB   "/var/lib/geoegress/country.mmdb"
#define GEOEGRESS_DEFAULT_LOG  "/var/log/geoegress/decisions.jsonl"

enum rules_severity { RULES_ERROR = 0, RULES_WARNING };

/* One diagnostic.  text is the complete human message, nft style:
 *   policy.conf:12:34: error: unknown country 'UK' — did you mean 'GB'?
 *   block from @managed to country { UK }
 *                                    ^~
 * (line 0: a diagnostic about the whole file, without source line and
 * caret, e.g. "policy.conf: error: no 'default' statement: ...").
 * Diagnostics are sorted by position; at most 100 are kept (the counts
 * below count them all). */
struct rules_diag {
	enum rules_severity severity;
	int line, col;		/* 1-based */
	char *text;		/* full message with source line and caret, no trailing newline */
};

/* Diagnostics of one parse; free with rules_errors_free(). */
struct rules_errors {
	struct rules_diag *diags;
	size_t count;
	size_t nerrors, nwarnings;
};
void rules_errors_free(struct rules_errors *e);	/* frees the contents, not e; NULL ok */

/* Parses a policy from memory.  filename is used only in messages.
 * Collects every error in one pass.  Returns the compiled policy (warnings
 * may be in *errs) or NULL when there was at least one error (all in
 * *errs).  errs must be zeroed by the caller; it may be NULL. */
struct rules_policy *rules_parse_buf(const char *text, size_t len, const char *filename,
				     struct rules_errors *errs);

/* Reads path ("-" = stdin) and calls rules_parse_buf().  An unreadable
 * file gives NULL and one diagnostic naming the file and strerror. */
struct rules_policy *rules_parse_file(const char *path, struct rules_errors *errs);

void rules_free(struct rules_policy *p);	/* NULL ok */

const struct rules_options *rules_options(const struct rules_policy *p);

/* Decides one flow.  geo is the lookup of flow->dst (all unknown when the
 * caller has none), made with geo_lookup_xlat() and the policy's nat64
 * prefixes (rules_options()->nat64), so a translated destination has the
 * country of the IPv4 address it embeds.  Address tests still match the
 * destination as sent.  No allocation; safe from several threads. */
void rules_eval(const struct rules_policy *p, const struct rules_flow *flow,
		const struct geo_answer *geo, struct rules_verdict *out);

/* rules_eval() with what else is known about the destination (dest may be
 * NULL): `to host` tests match the names, `to asn` tests the AS.  A name
 * test never matches when no name is known (dest->nnames == 0), negated
 * or not; `to host unknown` matches exactly then.  An AS test never
 * matches an unknown AS.  No allocation; safe from several threads. */
void rules_eval_dest(const struct rules_policy *p, const struct rules_flow *flow,
		     const struct geo_answer *geo, const struct rules_dest *dest,
		     struct rules_verdict *out);

/* The policy's hosts sets, for explain: how many, the name of set i
 * (policy order among hosts sets), and whether name (lower case, no final
 * dot) is in it. */
size_t rules_host_sets(const struct rules_policy *p);
const char *rules_host_set_name(const struct rules_policy *p, size_t i);
int rules_host_set_match(const struct rules_policy *p, size_t i, const char *name);

/* Rules that test `to host` (unknown included) and `to asn`. */
void rules_dest_tests(const struct rules_policy *p, unsigned *host_rules, unsigned *asn_rules);

/* What p does with an unknown destination (the database does not place
 * it in a country: not in the database, or only under a code that is not
 * a country, geo.h) when no rule matches it first. */
struct rules_unknown_info {
	enum rules_action action;	/* of `option unknown`, else of `default` */
	int log;			/* that statement says log */
	int line;			/* its line */
	int from_option;		/* 1: option unknown, 0: default */
	int nrules;			/* rules with `to unknown` */
	int first_rule;			/* the first one's line, 0 if none */
};
void rules_unknown_info(const struct rules_policy *p, struct rules_unknown_info *out);

/* A syslog target as text: "udp://198.51.100.7:514", "tcp://[2001:db8::7]:6514",
 * "local" (log-syslog yes) or "no".  Returns buf. */
char *rules_syslog_target(const struct rules_syslog *sl, char *buf, size_t len);

/* Writes the canonical form of p; parsing it again gives an equal policy. */
int rules_print(const struct rules_policy *p, FILE *out);

/* 1 when a and b are the same policy: options, sets (names, kinds and
 * elements in order), rules and default; line numbers and comments are
 * ignored.  For tests of the round trip parse(print(p)) == p. */
int rules_equal(const struct rules_policy *a, const struct rules_policy *b);

/* Number of rules, sets; for "policy OK: 12 rules, 4 sets, default allow". */
void rules_summary(const struct rules_policy *p, char *buf, size_t len);

/* Writes why flow gets its decision (`geoegress explain`): the country the
 * policy uses and from which field, the destination's names (and the hosts
 * sets each is in) and AS, the device set, the deciding rule and its source
 * line, the action, whether it is logged, audit.  The same rules_eval_dest()
 * the daemon runs decides; geo and dest may be NULL (unknown); as_org is
 * dest->asn's organisation or NULL.  Writes to out; allocates nothing. */
void rules_explain(const struct rules_policy *p, const struct rules_flow *flow,
		   const struct geo_answer *geo, const struct rules_dest *dest, const char *as_org, FILE *out);

/* The source text of line n (1-based) of the policy, or NULL. Belongs to p. */
const char *rules_source_line(const struct rules_policy *p, int line, size_t *len);

/* Parses "192.0.2.1" / "2001:db8::1" into *flow's dst or src (which: 's' / 'd').
 * Returns 0, or -1 when text is not an address. Helper for explain/tests. */
int rules_flow_set_addr(struct rules_flow *flow, char which, const char *text);
/* Parses "02:00:5e:00:53:01" into flow->src_mac. Returns 0 or -1. */
int rules_flow_set_mac(struct rules_flow *flow, const char *text);

#endif
