// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The firewall hook: which packets reach the queue, and how the kernel
 * carries out and remembers the decisions: the NFQ_MARK_* values of
 * nfq_int.h, written below without the prefix (MASK; ALLOW, BLOCK, REJECT
 * in the connection mark; "pending" PENDING_NEW, PENDING_EST, PENDING_NOCT
 * in the packet mark; KEEP = ~MASK, the bits left to the admin).  The text
 * is table_text()'s, which prints the numbers from those macros; `geoegress
 * check --print-hook` shows it.
 *
 * Everything is in a table of our own, built with libnftables (the nft
 * tool's library), in three base chains per hook:
 *
 *   table inet geoegress {
 *     counter undecided { }
 *     chain classify {                     # a connection's decision, or "pending"
 *       ct mark & MASK == ALLOW return
 *       ct mark & MASK == BLOCK drop
 *       ct mark & MASK == REJECT goto refuse
 *       ct state new tcp flags & syn == 0 meta mark set meta mark & KEEP | PENDING_EST return
 *                                          # picked up mid-stream: it existed untracked
 *       ct state new meta mark set meta mark & KEEP | PENDING_NEW return
 *       ct direction reply return          # the originator's packets decide
 *       ct state established,related meta mark set meta mark & KEEP | PENDING_EST return
 *       meta mark set meta mark & KEEP | PENDING_NOCT      # invalid, untracked
 *     }
 *     chain enforce {                      # the verdict's mark, saved to the connection
 *       ct state invalid,untracked goto enforce_noct
 *       meta mark & MASK == ALLOW ct mark set ct mark & KEEP | ALLOW accept
 *       meta mark & MASK == BLOCK ct mark set ct mark & KEEP | BLOCK drop
 *       meta mark & MASK == REJECT ct mark set ct mark & KEEP | REJECT goto refuse
 *       ct mark & MASK == ALLOW accept
 *       ct direction reply accept
 *       counter name "undecided" accept    # fail-mode closed, or held: drop
 *     }
 *     chain enforce_noct {                 # the same without a connection to mark
 *       meta mark & MASK == ALLOW accept
 *       meta mark & MASK == BLOCK drop
 *       meta mark & MASK == REJECT goto refuse
 *       counter name "undecided" accept    # closed/held: drop
 *     }
 *     chain refuse {
 *       meta l4proto tcp reject with tcp reset
 *       reject with icmpx type admin-prohibited
 *     }
 *     chain forward_classify { type filter hook forward priority -180; policy accept; jump classify; }
 *     chain forward_queue { type filter hook forward priority -170; policy accept;
 *       meta mark & PENDING == PENDING queue num 0 bypass; }   # "bypass": fail-mode open
 *     chain forward_enforce { type filter hook forward priority 2147483647; policy accept; jump enforce; }
 *     # the same three for the output hook with `option hooks output`, after the
 *     # exemptions for the gateway's own traffic (OUT_EXEMPT below)
 *     # when names are learned (option names, names.c), copies of the DNS
 *     # answers devices receive, forwarded or from a resolver on the gateway:
 *     chain forward_names { type filter hook forward priority 2147483646; policy accept;
 *       ct direction reply meta l4proto { tcp, udp } th sport 53 log group 53; }
 *     chain output_names { type filter hook output priority 2147483646; policy accept;
 *       oif "lo" return
 *       ct direction reply meta l4proto { tcp, udp } th sport 53 log group 53; }
 *   }
 *
 * Why it holds:
 * - Every packet of a connection without a decision is queued, not only
 *   the first of a new one: connections that existed before the daemon,
 *   or passed while none decided, are decided at their next packet.
 * - The verdict is NF_REPEAT with the decision in the packet mark: the
 *   queue chain runs again, no longer matches, and the packet goes on
 *   through every other tool's chains to `enforce`, the last chain of the
 *   hook, which saves the decision to the connection mark and drops or
 *   rejects.  An `accept` elsewhere ends only that tool's chain, so no
 *   rule of another table can skip `classify` or `enforce`.
 * - A packet that reaches `enforce` still pending was not decided: the
 *   queue was bypassed (fail-open with no daemon, a full queue) or another
 *   rule skipped the queue rule.  It is counted, and dropped in fail-mode
 *   closed.  The kernel itself counts none of these.
 *
 * Kernels without nft's `queue` expression (CONFIG_NFT_QUEUE unset) get
 * the queue rule from iptables-nft instead, in the earliest table that has
 * FORWARD and OUTPUT chains (mangle, priority -150), per family:
 *
 *   -I FORWARD 1 -m mark --mark PENDING/PENDING -m comment --comment geoegress
 *                -j NFQUEUE --queue-num 0 --queue-bypass
 *
 * NF_REPEAT then reruns mangle FORWARD, whose other rules still see the
 * packet (an NF_ACCEPT there would skip them).
 *
 * "Held" is the hook without a queue: with fail-mode closed, while no
 * daemon can decide (bad policy or database, queue taken, stopped), new
 * connections are dropped and counted and decided ones go on.
 *
 * The names chains only copy: `log group` hands the kernel's NFLOG a copy
 * and the answer goes on unchanged, never queued or delayed.  They come
 * just before the last chain, so an answer another tool drops is not
 * learned; only the reply direction of a connection to port 53 is (an
 * answer nobody asked for through the gateway is not).  They are in the
 * enforcing form only: a held gateway has no reader.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nftables/libnftables.h>

#include "nfq/nfq_int.h"

#define TABLE "inet geoegress"
#define IPT_COMMENT "geoegress"
#define PRIO_CLASSIFY "-180"	/* after conntrack (-200), before mangle (-150) */
#define PRIO_QUEUE "-170"
#define PRIO_ENFORCE "2147483647"	/* last: NF_IP_PRI_LAST */
#define PRIO_NAMES "2147483646"		/* just before it */

/* Traffic of the gateway itself that the output hook never decides:
 * loopback, multicast and limited broadcast, link-local, DHCP client
 * traffic, IPv6 neighbour discovery (doc: geoegress(8), FIREWALL RULES). */
#define OUT_EXEMPT \
	"  oif \"lo\" return\n" \
	"  ip daddr { 224.0.0.0/4, 255.255.255.255 } return\n" \
	"  ip6 daddr { fe80::/10, ff00::/8 } return\n" \
	"  udp sport 68 udp dport 67 return\n" \
	"  udp sport 546 udp dport 547 return\n" \
	"  icmpv6 type { nd-router-solicit, nd-neighbor-solicit, nd-neighbor-advert } return\n"

static const char *const fam_name[2] = { "ip", "ip6" };
static const char *const ipt_chain[2] = { "FORWARD", "OUTPUT" };
static const unsigned hook_bit[2] = { RULES_HOOK_FORWARD, RULES_HOOK_OUTPUT };

struct nfq_hook {
	struct nft_ctx *nft;
	int installed;
	enum nfq_hook_kind kind;
	enum nfq_hook_form form;
	struct nfq_hook_cfg cfg;
	char *ref_table;		/* our table as listed right after install */
	char *ref_first[2][2];		/* iptables: our rule as listed, per family and chain */
	int made_table[2], made_chain[2][2];	/* mangle table/chains that we created, */
	uint64_t tab_handle[2], chain_handle[2][2];	/* ... as long as they have these handles */
	int ipt_legacy;			/* iptables is iptables-legacy: not in nftables */
	uint64_t undecided_base;	/* counts of tables we replaced */
	uint64_t undecided_last;	/* the total last read: what a table that
					 * vanished (nft flush ruleset) had counted */
	char err[1024];
};

/* ---- running commands ---- */

/* A command started by cmd_start and not yet waited for. */
struct cmd_run {
	pid_t pid;		/* -1: it could not be started */
	int res;		/* read end of its stdout+stderr, or -1 */
	int err;		/* why it could not be started (errno) */
};

/* Starts argv (no shell), feeding input (may be NULL, a few KB at most:
 * it must fit the pipe) on its stdin.  cmd_finish collects it. */
static void cmd_start(char *const argv[], const char *input, struct cmd_run *r)
{
	int in[2] = { -1, -1 }, res[2] = { -1, -1 };

	r->pid = -1;
	r->res = -1;
	r->err = 0;
	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(res, O_CLOEXEC) < 0) {
		r->err = errno;
		goto out;
	}
	r->pid = fork();
	if (r->pid < 0) {
		r->err = errno;
		goto out;
	}
	if (r->pid == 0) {
		dup2(in[0], 0);
		dup2(res[1], 1);
		dup2(res[1], 2);
		execvp(argv[0], argv);
		fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	/* The child's ends closed first: a write to a child gone without
	 * reading then fails (EPIPE; the daemon ignores SIGPIPE from its
	 * setup_signals on) rather than waiting for ever. */
	close(in[0]);
	close(res[1]);
	in[0] = res[1] = -1;
	if (input && write(in[1], input, strlen(input)) < 0)
		(void)0;	/* the child's exit status tells */
	r->res = res[0];
	res[0] = -1;
out:
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (res[i] >= 0)
			close(res[i]);
	}
}

/* Collects a command of cmd_start: its stdout+stderr into out (may be
 * NULL, outlen bytes with the NUL), then its exit.  Returns the exit
 * status, or -1 (not started, or killed by a signal). */
static int cmd_finish(struct cmd_run *r, char *out, size_t outlen)
{
	int status = -1;
	size_t used = 0;

	for (;;) {
		char tmp[512];
		ssize_t n = r->res >= 0 ? read(r->res, tmp, sizeof(tmp)) : 0;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (out && used + 1 < outlen) {
			size_t k = (size_t)n < outlen - used - 1 ? (size_t)n : outlen - used - 1;
			memcpy(out + used, tmp, k);
			used += k;
		}
	}
	if (r->res >= 0)
		close(r->res);
	if (r->pid > 0) {
		while (waitpid(r->pid, &status, 0) < 0 && errno == EINTR)
			;
		status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	}
	if (out && outlen) {
		out[used] = '\0';
		if (r->pid < 0 && r->err)
			snprintf(out, outlen, "cannot start it: %s", strerror(r->err));
	}
	r->pid = r->res = -1;
	return status;
}

/* Runs argv (no shell), feeding input (may be NULL) on stdin.  Collects
 * stdout+stderr into out (may be NULL).  Returns the exit status or -1. */
static int run_cmd(char *const argv[], const char *input, char *out, size_t outlen)
{
	struct cmd_run r;

	cmd_start(argv, input, &r);
	return cmd_finish(&r, out, outlen);
}

/* Runs nft commands in one transaction.  Returns 0, or -1 with nft's
 * message in h->err.  *out (may be NULL) gets the listing, owned by h's
 * context until the next call. */
static int nft_do(struct nfq_hook *h, const char *cmds, const char **out)
{
	const char *e;
	int rc = nft_run_cmd_from_buffer(h->nft, cmds);

	if (out)
		*out = nft_ctx_get_output_buffer(h->nft);
	else
		(void)nft_ctx_get_output_buffer(h->nft);
	e = nft_ctx_get_error_buffer(h->nft);
	if (rc != 0) {
		snprintf(h->err, sizeof(h->err), "%s", e && *e ? e : "nft: failed");
		h->err[strcspn(h->err, "\n")] = '\0';	/* the first line says what */
		return -1;
	}
	return 0;
}

/* A listing (stateless, no handles) of one object; NULL when absent.
 * The caller frees. */
static char *nft_list(struct nfq_hook *h, const char *what)
{
	char cmd[128];
	const char *out;

	snprintf(cmd, sizeof(cmd), "list %s\n", what);
	if (nft_do(h, cmd, &out) < 0)
		return NULL;
	return strdup(out ? out : "");
}

/* ---- the table ---- */

static void put_queue(FILE *f, const struct nfq_hook_cfg *cfg)
{
	unsigned first = cfg->queue_first, n = cfg->queue_count ? cfg->queue_count : 1;

	fprintf(f, "  meta mark & 0x%08x == 0x%08x ", NFQ_MARK_PENDING, NFQ_MARK_PENDING);
	if (n == 1)
		fprintf(f, "queue num %u", first);
	else
		fprintf(f, "queue num %u-%u fanout", first, first + n - 1);
	fprintf(f, "%s\n", cfg->fail_open ? " bypass" : "");
}

static void put_base(FILE *f, const char *hook, int output, const char *what, const char *prio,
		     const char *body_chain, const struct nfq_hook_cfg *cfg)
{
	fprintf(f, " chain %s_%s {\n  type filter hook %s priority %s; policy accept;\n", hook, what,
		hook, prio);
	if (output && body_chain)
		fputs(OUT_EXEMPT, f);
	if (body_chain)
		fprintf(f, "  jump %s\n", body_chain);
	else
		put_queue(f, cfg);
	fputs(" }\n", f);
}

/* Copies of DNS answers for names.c (see the header comment). */
static void put_names(FILE *f, const struct nfq_hook_cfg *cfg)
{
	static const char *const hook[2] = { "forward", "output" };

	for (int k = 0; k < 2; k++) {
		fprintf(f, " chain %s_names {\n  type filter hook %s priority " PRIO_NAMES "; policy accept;\n",
			hook[k], hook[k]);
		if (k)
			fputs("  oif \"lo\" return\n", f);
		fprintf(f, "  ct direction reply meta l4proto { tcp, udp } th sport 53 log group %u\n }\n",
			cfg->names_group);
	}
}

/* The table's text (nft syntax).  Returns a malloc'd string or NULL. */
static char *table_text(enum nfq_hook_kind kind, enum nfq_hook_form form, const struct nfq_hook_cfg *cfg)
{
	const uint32_t keep = ~NFQ_MARK_MASK, M = NFQ_MARK_MASK;
	int drop = form == NFQ_HOOK_HELD || !cfg->fail_open;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return NULL;
	fprintf(f, "table " TABLE " {\n counter undecided {\n }\n");
	fprintf(f, " chain classify {\n"
		"  ct mark & 0x%08x == 0x%08x return\n"
		"  ct mark & 0x%08x == 0x%08x drop\n"
		"  ct mark & 0x%08x == 0x%08x goto refuse\n"
		"  ct state new tcp flags & syn == 0 meta mark set meta mark & 0x%08x | 0x%08x return\n"
		"  ct state new meta mark set meta mark & 0x%08x | 0x%08x return\n"
		"  ct direction reply return\n"
		"  ct state established,related meta mark set meta mark & 0x%08x | 0x%08x return\n"
		"  meta mark set meta mark & 0x%08x | 0x%08x\n }\n",
		M, NFQ_MARK_ALLOW, M, NFQ_MARK_BLOCK, M, NFQ_MARK_REJECT, keep, NFQ_MARK_PENDING_EST,
		keep, NFQ_MARK_PENDING_NEW, keep, NFQ_MARK_PENDING_EST, keep, NFQ_MARK_PENDING_NOCT);
	/* `ct mark set ct mark & ...` breaks the rule when there is no
	 * connection (invalid, untracked): those go their own way. */
	fprintf(f, " chain enforce {\n"
		"  ct state invalid,untracked goto enforce_noct\n"
		"  meta mark & 0x%08x == 0x%08x ct mark set ct mark & 0x%08x | 0x%08x accept\n"
		"  meta mark & 0x%08x == 0x%08x ct mark set ct mark & 0x%08x | 0x%08x drop\n"
		"  meta mark & 0x%08x == 0x%08x ct mark set ct mark & 0x%08x | 0x%08x goto refuse\n"
		"  ct mark & 0x%08x == 0x%08x accept\n"
		"  ct direction reply accept\n"
		"  counter name \"undecided\" %s\n }\n",
		M, NFQ_MARK_ALLOW, keep, NFQ_MARK_ALLOW, M, NFQ_MARK_BLOCK, keep, NFQ_MARK_BLOCK,
		M, NFQ_MARK_REJECT, keep, NFQ_MARK_REJECT, M, NFQ_MARK_ALLOW, drop ? "drop" : "accept");
	fprintf(f, " chain enforce_noct {\n"
		"  meta mark & 0x%08x == 0x%08x accept\n"
		"  meta mark & 0x%08x == 0x%08x drop\n"
		"  meta mark & 0x%08x == 0x%08x goto refuse\n"
		"  counter name \"undecided\" %s\n }\n",
		M, NFQ_MARK_ALLOW, M, NFQ_MARK_BLOCK, M, NFQ_MARK_REJECT, drop ? "drop" : "accept");
	fprintf(f, " chain refuse {\n  meta l4proto tcp reject with tcp reset\n"
		"  reject with icmpx type admin-prohibited\n }\n");
	for (int k = 0; k < 2; k++) {
		const char *hook = k ? "output" : "forward";

		if (!(cfg->hooks & hook_bit[k]))
			continue;
		put_base(f, hook, k, "classify", PRIO_CLASSIFY, "classify", cfg);
		if (kind == NFQ_HOOK_NFT && form == NFQ_HOOK_ENFORCE)
			put_base(f, hook, k, "queue", PRIO_QUEUE, NULL, cfg);
		put_base(f, hook, k, "enforce", PRIO_ENFORCE, "enforce", cfg);
	}
	if (cfg->names && form == NFQ_HOOK_ENFORCE)
		put_names(f, cfg);
	fputs("}\n", f);
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

/* ---- the iptables-nft queue rule (kernels without nft `queue`) ---- */

static void ipt_rule_spec(char *buf, size_t len, const struct nfq_hook_cfg *cfg)
{
	unsigned first = cfg->queue_first, n = cfg->queue_count ? cfg->queue_count : 1;
	int k = snprintf(buf, len, "-m mark --mark 0x%x/0x%x -m comment --comment " IPT_COMMENT
			 " -j NFQUEUE ", NFQ_MARK_PENDING, NFQ_MARK_PENDING);

	if (n == 1)
		snprintf(buf + k, len - (size_t)k, "--queue-num %u%s", first,
			 cfg->fail_open ? " --queue-bypass" : "");
	else
		snprintf(buf + k, len - (size_t)k, "--queue-balance %u:%u%s", first, first + n - 1,
			 cfg->fail_open ? " --queue-bypass" : "");
}

/* Appends to cmds (iptables-restore input, used bytes of len) a "-D" line
 * for every rule of ours in family f's mangle (any queue number or bypass
 * flag: a crashed run may have left other options behind).  Returns the
 * new length. */
static size_t ipt_del_lines(int f, char *cmds, size_t len, size_t used)
{
	char *const list[] = { f ? "ip6tables" : "iptables", "-w", "-t", "mangle", "-S", NULL };
	char out[8192];

	if (run_cmd(list, NULL, out, sizeof(out)) != 0)
		return used;
	for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
		if (strncmp(line, "-A ", 3) || !strstr(line, "--comment " IPT_COMMENT " "))
			continue;
		if (used + strlen(line) + 8 < len)
			used += (size_t)snprintf(cmds + used, len - used, "-D %s\n", line + 3);
	}
	return used;
}

/* Deletes every rule of ours in mangle. */
static void ipt_remove(struct nfq_hook *h)
{
	for (int f = 0; f < 2; f++) {
		char *const restore[] = { f ? "ip6tables-restore" : "iptables-restore", "-w", "--noflush", NULL };
		char cmds[8192];
		size_t head = (size_t)snprintf(cmds, sizeof(cmds), "*mangle\n");
		size_t used = ipt_del_lines(f, cmds, sizeof(cmds), head);

		if (used > head) {
			snprintf(cmds + used, sizeof(cmds) - used, "COMMIT\n");
			run_cmd(restore, cmds, NULL, 0);
		}
	}
	(void)h;
}

/* Handles of ip/ip6 mangle and of its FORWARD and OUTPUT chains; 0 when
 * absent.  A handle is never reused: a table or chain that another tool
 * deleted and made again (iptables-restore replaces the whole table) has
 * a new one. */
static void ipt_handles(struct nfq_hook *h, int f, uint64_t *tab, uint64_t chain[2])
{
	char cmd[64], pat[64];
	const char *out, *p;

	*tab = chain[0] = chain[1] = 0;
	snprintf(cmd, sizeof(cmd), "list table %s mangle\n", fam_name[f]);
	nft_ctx_output_set_flags(h->nft, NFT_CTX_OUTPUT_STATELESS | NFT_CTX_OUTPUT_HANDLE);
	if (nft_do(h, cmd, &out) == 0 && out) {
		p = strstr(out, "# handle ");	/* the table's comes first */
		if (p)
			*tab = strtoull(p + 9, NULL, 10);
		for (int c = 0; c < 2; c++) {
			snprintf(pat, sizeof(pat), "chain %s { # handle ", ipt_chain[c]);
			p = strstr(out, pat);
			if (p)
				chain[c] = strtoull(p + strlen(pat), NULL, 10);
		}
	}
	nft_ctx_output_set_flags(h->nft, NFT_CTX_OUTPUT_STATELESS);
	h->err[0] = '\0';
}

/* Before we add to mangle: which of its table and chains we are about to
 * create, so that removing leaves the ruleset as it was (iptables-nft
 * creates them on first use and leaves them behind, empty).  One we
 * created stays ours only while it keeps its handle: the same chain made
 * again by another tool (iptables-restore at boot, after our start) is
 * theirs. */
static void ipt_note_existing(struct nfq_hook *h, const struct nfq_hook_cfg *cfg)
{
	for (int f = 0; f < 2; f++) {
		uint64_t tab, chain[2];
		int same;

		ipt_handles(h, f, &tab, chain);
		same = tab && tab == h->tab_handle[f];
		h->made_table[f] = !tab || (same && h->made_table[f]);
		for (int c = 0; c < 2; c++)
			if (cfg->hooks & hook_bit[c])
				h->made_chain[f][c] = !chain[c] || (same && chain[c] == h->chain_handle[f][c] &&
								   h->made_chain[f][c]);
	}
}

/* After we added to mangle: the handles that say "ours" from now on. */
static void ipt_note_made(struct nfq_hook *h)
{
	for (int f = 0; f < 2; f++)
		ipt_handles(h, f, &h->tab_handle[f], h->chain_handle[f]);
}

/* The first rule line of a listed chain (after the type line), or "". */
static void first_rule(const char *listing, char *buf, size_t len);

/* Deletes the mangle chains/tables we created, when they are still the
 * ones we created (same handle), empty and with an accept policy (a drop
 * policy was set by someone: theirs). */
static void ipt_prune(struct nfq_hook *h)
{
	for (int f = 0; f < 2; f++) {
		char what[64], cmd[96], line[512];
		uint64_t tab, chain[2];
		int same;
		char *t;

		ipt_handles(h, f, &tab, chain);
		same = tab && tab == h->tab_handle[f];
		for (int c = 0; c < 2; c++) {
			if (!h->made_chain[f][c])
				continue;
			h->made_chain[f][c] = 0;
			if (!same || !chain[c] || chain[c] != h->chain_handle[f][c])
				continue;
			snprintf(what, sizeof(what), "chain %s mangle %s", fam_name[f], ipt_chain[c]);
			t = nft_list(h, what);
			first_rule(t, line, sizeof(line));
			if (t && !line[0] && strstr(t, "policy accept;")) {
				snprintf(cmd, sizeof(cmd), "delete %s\n", what);
				nft_do(h, cmd, NULL);
			}
			free(t);
		}
		if (h->made_table[f] && same) {
			snprintf(what, sizeof(what), "table %s mangle", fam_name[f]);
			t = nft_list(h, what);
			if (t && !strstr(t, "chain ") && !strstr(t, "set ") && !strstr(t, "map ")) {
				snprintf(cmd, sizeof(cmd), "delete %s\n", what);
				nft_do(h, cmd, NULL);
			}
			free(t);
		}
		h->made_table[f] = 0;
		h->tab_handle[f] = h->chain_handle[f][0] = h->chain_handle[f][1] = 0;
	}
}

/* The first rule line of a listed chain (after the type line), or "". */
static void first_rule(const char *listing, char *buf, size_t len)
{
	const char *p = listing ? strstr(listing, "policy ") : NULL;
	const char *e;

	buf[0] = '\0';
	if (!p || !(p = strchr(p, '\n')))
		return;
	p++;
	while (*p == '\t' || *p == ' ')
		p++;
	e = strchr(p, '\n');
	if (*p == '}' || !e)
		return;
	snprintf(buf, len, "%.*s", (int)(e - p), p);
}

/* In a repair: the "-D" lines for our rules in family f's mangle, found in
 * our own listing of its chains as they looked after our install
 * (ref_first), one per copy (a restored iptables-save may hold several):
 * no iptables process, whose every run reads the whole ruleset.  Returns
 * the new length, or 0 when a chain holds a queue rule for our mark in
 * another form (ipt_del_lines must look). */
static size_t ipt_del_listed(struct nfq_hook *h, int f, const char *spec, char *cmds, size_t len,
			     size_t used)
{
	char what[64], mark[64];

	snprintf(mark, sizeof(mark), "meta mark & 0x%08x == 0x%08x ", NFQ_MARK_PENDING, NFQ_MARK_PENDING);
	for (int c = 0; c < 2; c++) {
		const char *ref = h->ref_first[f][c];
		char *t, *line, *save = NULL;

		if (!ref || !ref[0])
			continue;
		snprintf(what, sizeof(what), "chain %s mangle %s", fam_name[f], ipt_chain[c]);
		t = nft_list(h, what);
		for (line = t ? strtok_r(t, "\n", &save) : NULL; line; line = strtok_r(NULL, "\n", &save)) {
			line += strspn(line, "\t ");
			if (!strcmp(line, ref)) {
				if (used + strlen(spec) + 32 < len)
					used += (size_t)snprintf(cmds + used, len - used, "-D %s %s\n",
								 ipt_chain[c], spec);
			} else if (!strncmp(line, mark, strlen(mark)) && strstr(line, "queue")) {
				free(t);
				return 0;
			}
		}
		free(t);
	}
	return used;
}

static int ipt_install(struct nfq_hook *h, const struct nfq_hook_cfg *cfg)
{
	static char *const argv[2][4] = {
		{ "iptables-restore", "-w", "--noflush", NULL },
		{ "ip6tables-restore", "-w", "--noflush", NULL },
	};
	char spec[256], text[2][8192], out[2][1024];
	struct cmd_run run[2];
	int rc[2];
	/* our rules again (nfq_hook_reinstall): we know how our listing shows them */
	int repair = h->installed && h->kind == NFQ_HOOK_IPTABLES && h->form == NFQ_HOOK_ENFORCE &&
		     !h->ipt_legacy && cfg == &h->cfg;

	ipt_rule_spec(spec, sizeof(spec), cfg);
	ipt_note_existing(h, cfg);
	for (int f = 0; f < 2; f++) {
		size_t head = (size_t)snprintf(text[f], sizeof(text[f]), "*mangle\n"), used = 0;

		/* Our old rules go in the same transaction as the new ones: a
		 * repair never leaves a moment without a queue rule, when
		 * pending packets would pass undecided (open) or be dropped. */
		if (repair)
			used = ipt_del_listed(h, f, spec, text[f], sizeof(text[f]), head);
		if (!used)
			used = ipt_del_lines(f, text[f], sizeof(text[f]), head);
		for (int c = 0; c < 2; c++)
			if (cfg->hooks & hook_bit[c])
				used += (size_t)snprintf(text[f] + used, sizeof(text[f]) - used, "-I %s 1 %s\n",
							 ipt_chain[c], spec);
		snprintf(text[f] + used, sizeof(text[f]) - used, "COMMIT\n");
	}
	/* Both families at once: each iptables-nft process reads the whole
	 * ruleset, and what a repair waits for is the slower of the two
	 * (under emulation, 400 ms each; the gap is open while it waits). */
	for (int f = 0; f < 2; f++)
		cmd_start(argv[f], text[f], &run[f]);
	for (int f = 0; f < 2; f++)
		rc[f] = cmd_finish(&run[f], out[f], sizeof(out[f]));
	for (int f = 0; f < 2; f++) {
		if (rc[f] != 0) {
			ipt_note_made(h);	/* the other family's part is ours to remove */
			out[f][strcspn(out[f], "\n")] = '\0';
			snprintf(h->err, sizeof(h->err), "%s failed (exit %d) adding the queue rule to "
				 "%s mangle: %.600s%s", argv[f][0], rc[f], fam_name[f],
				 out[f][0] ? out[f] : "no message",
				 !f && rc[1] != 0 ? "; ip6tables-restore failed too" : "");
			return -1;
		}
	}
	ipt_note_made(h);
	/* What our rule looks like as nftables lists it, for the watch. */
	for (int f = 0; f < 2; f++) {
		for (int c = 0; c < 2; c++) {
			char what[64], line[512];
			char *t;

			free(h->ref_first[f][c]);
			h->ref_first[f][c] = NULL;
			if (!(cfg->hooks & hook_bit[c]) || h->ipt_legacy)
				continue;
			snprintf(what, sizeof(what), "chain %s mangle %s", fam_name[f], ipt_chain[c]);
			t = nft_list(h, what);
			first_rule(t, line, sizeof(line));
			free(t);
			h->ref_first[f][c] = strdup(line);
		}
	}
	return 0;
}

/* 1 when our queue rule is no longer the first rule of a chain we hook
 * (what, len bytes, says how), else 0. */
static int ipt_changed(struct nfq_hook *h, char *what, size_t len)
{
	for (int f = 0; f < 2; f++) {
		for (int c = 0; c < 2; c++) {
			char chain[64], line[512];
			char *t;

			if (!(h->cfg.hooks & hook_bit[c]) || !h->ref_first[f][c])
				continue;
			snprintf(chain, sizeof(chain), "chain %s mangle %s", fam_name[f], ipt_chain[c]);
			t = nft_list(h, chain);
			first_rule(t, line, sizeof(line));
			if (!t || !strstr(t, h->ref_first[f][c]))
				snprintf(what, len, "the queue rule in %s mangle %s was deleted",
					 fam_name[f], ipt_chain[c]);
			else if (strcmp(line, h->ref_first[f][c]))
				snprintf(what, len, "a rule was put before the queue rule in %s mangle %s",
					 fam_name[f], ipt_chain[c]);
			free(t);
			if (what[0])
				return 1;
		}
	}
	return 0;
}

/* In a repair (nfq_hook_reinstall: cfg is h's own), whether our queue
 * rules are still first where we put them, so that only the table needs
 * restoring. */
static int ipt_intact(struct nfq_hook *h, const struct nfq_hook_cfg *cfg)
{
	char what[256] = "";

	return h->installed && !h->ipt_legacy && h->kind == NFQ_HOOK_IPTABLES &&
	       h->form == NFQ_HOOK_ENFORCE && cfg == &h->cfg && !ipt_changed(h, what, sizeof(what));
}

/* In a repair, whether our table is still as we installed it (a change
 * of the iptables rule alone): replacing it would drop every packet in
 * the queue (the kernel flushes the queues when a hook goes away). */
static int table_intact(struct nfq_hook *h, const struct nfq_hook_cfg *cfg)
{
	char *t;
	int same;

	if (!h->installed || cfg != &h->cfg || !h->ref_table)
		return 0;
	t = nft_list(h, "table " TABLE);
	same = t && !strcmp(t, h->ref_table);
	free(t);
	h->err[0] = '\0';
	return same;
}

/* ---- public ---- */

struct nfq_hook *nfq_hook_new(char *err, size_t errlen)
{
	struct nfq_hook *h = calloc(1, sizeof(*h));
	char out[256];
	char *const ver[] = { "iptables", "-V", NULL };

	if (!h || !(h->nft = nft_ctx_new(NFT_CTX_DEFAULT))) {
		snprintf(err, errlen, "out of memory (nft context)");
		free(h);
		return NULL;
	}
	nft_ctx_output_set_flags(h->nft, NFT_CTX_OUTPUT_STATELESS);
	if (nft_ctx_buffer_output(h->nft) < 0 || nft_ctx_buffer_error(h->nft) < 0) {
		snprintf(err, errlen, "nft: cannot buffer output");
		nfq_hook_free(h);
		return NULL;
	}
	if (run_cmd(ver, NULL, out, sizeof(out)) == 0 && strstr(out, "legacy"))
		h->ipt_legacy = 1;
	return h;
}

void nfq_hook_free(struct nfq_hook *h)
{
	if (!h)
		return;
	if (h->nft)
		nft_ctx_free(h->nft);
	free(h->ref_table);
	for (int f = 0; f < 2; f++)
		for (int c = 0; c < 2; c++)
			free(h->ref_first[f][c]);
	free(h);
}

const char *nfq_hook_error(const struct nfq_hook *h)
{
	return h->err;
}

int nfq_hook_probe_nft(struct nfq_hook *h)
{
	int ok = nft_do(h, "add table inet geoegress_probe\n"
			   "add chain inet geoegress_probe c\n"
			   "add rule inet geoegress_probe c meta l4proto 253 queue num 65535 bypass\n",
			NULL) == 0;

	nft_do(h, "add table inet geoegress_probe\ndelete table inet geoegress_probe\n", NULL);
	h->err[0] = '\0';
	return ok;
}

int nfq_hook_undecided(struct nfq_hook *h, uint64_t *count)
{
	const char *out, *p;

	*count = h->undecided_base;
	/* stateless output (our default) hides the values: ask with them */
	nft_ctx_output_set_flags(h->nft, 0);
	if (nft_do(h, "list counter " TABLE " undecided\n", &out) < 0) {
		nft_ctx_output_set_flags(h->nft, NFT_CTX_OUTPUT_STATELESS);
		return -1;
	}
	nft_ctx_output_set_flags(h->nft, NFT_CTX_OUTPUT_STATELESS);
	p = out ? strstr(out, "packets ") : NULL;
	if (!p)
		return -1;
	*count += strtoull(p + 8, NULL, 10);
	h->undecided_last = *count;
	return 0;
}

/* Before our table goes (replaced, or removed): its count carries on in
 * the base; of one another tool already deleted, what we last read of it.
 * nfq_hook_undecided keeps undecided_last, so the base is that either way:
 * the total never goes back (the daemon sweeps when it grows). */
static void undecided_carry(struct nfq_hook *h)
{
	uint64_t now;

	(void)nfq_hook_undecided(h, &now);
	h->undecided_base = h->undecided_last;
}

int nfq_hook_install(struct nfq_hook *h, enum nfq_hook_kind kind, enum nfq_hook_form form,
		     const struct nfq_hook_cfg *cfg)
{
	int ipt = kind == NFQ_HOOK_IPTABLES && form == NFQ_HOOK_ENFORCE, keep_table;
	char *text, *cmds;
	int rc = -1;

	h->err[0] = '\0';
	if (kind == NFQ_HOOK_NONE)
		return 0;
	text = table_text(kind, form, cfg);
	if (!text || asprintf(&cmds, "add table " TABLE "\ndelete table " TABLE "\n%s", text) < 0) {
		free(text);
		snprintf(h->err, sizeof(h->err), "out of memory");
		return -1;
	}
	keep_table = table_intact(h, cfg);
	if (!keep_table)
		undecided_carry(h);
	/* The iptables queue rule only matches pending packets, which only our
	 * table makes: add it first, remove it last.  A repair of the table
	 * alone (nfq_hook_reinstall) leaves intact queue rules be. */
	if (ipt && !ipt_intact(h, cfg) && ipt_install(h, cfg) < 0)
		goto out;
	if (!keep_table && nft_do(h, cmds, NULL) < 0) {
		char msg[sizeof(h->err)];

		snprintf(msg, sizeof(msg), "nft failed installing table " TABLE ": %.900s", h->err);
		snprintf(h->err, sizeof(h->err), "%s", msg);
		goto out;
	}
	/* iptables rules of ours (a crashed run's, or the form we leave):
	 * none to look for when we restore the form we installed. */
	if (!ipt && cfg != &h->cfg)
		ipt_remove(h);
	if (h->installed && !ipt && cfg != &h->cfg)
		ipt_prune(h);
	free(h->ref_table);
	h->ref_table = nft_list(h, "table " TABLE);
	h->installed = 1;
	h->kind = kind;
	h->form = form;
	h->cfg = *cfg;
	rc = 0;
out:
	free(text);
	free(cmds);
	return rc;
}

int nfq_hook_reinstall(struct nfq_hook *h)
{
	if (!h->installed) {
		snprintf(h->err, sizeof(h->err), "no hook installed");
		return -1;
	}
	return nfq_hook_install(h, h->kind, h->form, &h->cfg);
}

void nfq_hook_remove(struct nfq_hook *h)
{
	undecided_carry(h);
	/* "add" first so the delete cannot fail when there is nothing to delete. */
	nft_do(h, "add table " TABLE "\ndelete table " TABLE "\n", NULL);
	ipt_remove(h);
	ipt_prune(h);
	h->installed = 0;
	free(h->ref_table);
	h->ref_table = NULL;
}

int nfq_hook_present(struct nfq_hook *h, int *held)
{
	char *t = nft_list(h, "table " TABLE);
	int present = t != NULL;

	if (held)
		*held = t && !strstr(t, " queue ") && strstr(t, "counter name \"undecided\" drop") &&
			!nfq_hook_ipt_present(h);
	free(t);
	h->err[0] = '\0';
	return present;
}

int nfq_hook_ipt_present(struct nfq_hook *h)
{
	for (int f = 0; f < 2; f++) {
		char *const list[] = { f ? "ip6tables" : "iptables", "-w", "-t", "mangle", "-S", NULL };
		char out[8192];

		if (run_cmd(list, NULL, out, sizeof(out)) == 0 && strstr(out, "--comment " IPT_COMMENT " "))
			return 1;
	}
	(void)h;
	return 0;
}

int nfq_hook_verify(struct nfq_hook *h, char *what, size_t len)
{
	char *t;

	what[0] = '\0';
	if (!h->installed)
		return 0;
	t = nft_list(h, "table " TABLE);
	if (!t) {
		snprintf(what, len, "table " TABLE " was deleted");
		return 1;
	}
	if (!h->ref_table || strcmp(t, h->ref_table)) {
		snprintf(what, len, "table " TABLE " was changed");
		free(t);
		return 1;
	}
	free(t);
	if (h->kind != NFQ_HOOK_IPTABLES || h->form != NFQ_HOOK_ENFORCE || h->ipt_legacy)
		return 0;
	if (ipt_changed(h, what, len))
		return 1;
	h->err[0] = '\0';
	return 0;
}

int nfq_hook_legacy_iptables(const struct nfq_hook *h)
{
	return h->ipt_legacy;
}

int nfq_hook_print(const struct rules_options *o, enum nfq_backend backend, FILE *out)
{
	struct nfq_hook_cfg cfg = { o->hooks, o->queue_first, o->queue_count,
				    o->fail_mode == RULES_FAIL_OPEN, o->learn_names, o->names_group };
	enum nfq_hook_kind kind = backend == NFQ_BACKEND_IPTABLES ? NFQ_HOOK_IPTABLES : NFQ_HOOK_NFT;
	char *text = table_text(kind, NFQ_HOOK_ENFORCE, &cfg);
	char spec[256];

	if (!text)
		return -1;
	fputs(text, out);
	free(text);
	if (kind != NFQ_HOOK_IPTABLES)
		return 0;
	ipt_rule_spec(spec, sizeof(spec), &cfg);
	fputs("# iptables-restore --noflush and ip6tables-restore --noflush:\n*mangle\n", out);
	for (int c = 0; c < 2; c++)
		if (cfg.hooks & hook_bit[c])
			fprintf(out, "-I %s 1 %s\n", ipt_chain[c], spec);
	fputs("COMMIT\n", out);
	return 0;
}

const char *nfq_hook_kind_name(enum nfq_hook_kind kind)
{
	switch (kind) {
	case NFQ_HOOK_NFT:
		return "nft table inet geoegress (queue: nft)";
	case NFQ_HOOK_IPTABLES:
		return "nft table inet geoegress (queue: iptables-nft mangle)";
	default:
		return "none (--no-hook)";
	}
}
