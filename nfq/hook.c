// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The firewall hook: which packets reach the queue, and what the kernel
 * does with the decision marks (nfq_int.h: mask 0x00e00000, allow
 * 0x00200000, block 0x00400000, reject 0x00600000).
 *
 * Where nft has the `queue` expression we use a table of our own:
 *
 *   table inet geoegress {
 *     chain decide {
 *       ct mark and 0x00e00000 == 0x00200000 return
 *       meta mark and 0x00e00000 == 0x00200000 ct mark set ct mark and 0xff1fffff or 0x00200000 return
 *       meta mark and 0x00e00000 == 0x00400000 drop
 *       meta mark and 0x00e00000 == 0x00600000 meta l4proto tcp reject with tcp reset
 *       meta mark and 0x00e00000 == 0x00600000 reject with icmpx type admin-prohibited
 *       ct state { new, invalid } queue num 0 bypass   # "bypass" only with fail-mode open
 *     }
 *     chain forward { type filter hook forward priority 0; policy accept; jump decide }
 *     chain output  { type filter hook output priority 0; policy accept; jump decide }  # hooks output
 *   }
 *
 * Elsewhere (kernels without CONFIG_NFT_QUEUE, like ours) iptables and
 * ip6tables (iptables-nft) get a chain GEOEGRESS in the filter table:
 *
 *   -N GEOEGRESS
 *   -A GEOEGRESS -m connmark --mark 0x200000/0xe00000 -j RETURN
 *   -A GEOEGRESS -m mark --mark 0x200000/0xe00000 -j CONNMARK --save-mark --nfmask 0xe00000 --ctmask 0xe00000
 *   -A GEOEGRESS -m mark --mark 0x200000/0xe00000 -j RETURN
 *   -A GEOEGRESS -m mark --mark 0x400000/0xe00000 -j DROP
 *   -A GEOEGRESS -m mark --mark 0x600000/0xe00000 -p tcp -j REJECT --reject-with tcp-reset
 *   -A GEOEGRESS -m mark --mark 0x600000/0xe00000 -j REJECT --reject-with icmp-admin-prohibited
 *                                                 (ip6tables: icmp6-adm-prohibited)
 *   -A GEOEGRESS -m conntrack --ctstate NEW,INVALID -j NFQUEUE --queue-num 0 --queue-bypass
 *                (--queue-balance F:L for a queue range; --queue-bypass only with fail-mode open)
 *   -I FORWARD 1 -j GEOEGRESS
 *   -I OUTPUT 1 -j GEOEGRESS                     # only with `option hooks output`
 *
 * With `geoegress run --no-hook` the admin installs the equivalent rules.
 * Why it works: only new connections without a decision connmark are
 * queued (and packets conntrack calls invalid — malformed, truncated, or
 * of an unknown protocol layout — which carry no connection to mark: they
 * are decided one by one on what can be read, instead of slipping through).  An allowed packet comes back (NF_REPEAT) with the allow mark,
 * which is saved to the connmark, so every later packet of the flow —
 * also a one-way UDP stream that stays `ct state new` — returns at the
 * first rule and never reaches userspace.  Blocked packets are dropped by
 * the verdict itself (NF_DROP; the DROP rule is there for equivalence);
 * rejected ones come back marked and the kernel answers with a TCP reset
 * or ICMP administratively prohibited.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nfq/nfq_int.h"

#define CHAIN "GEOEGRESS"
#define MARKS_ALLOW  "0x200000/0xe00000"
#define MARKS_BLOCK  "0x400000/0xe00000"
#define MARKS_REJECT "0x600000/0xe00000"

/* Runs argv (no shell), feeding input (may be NULL) on stdin.  Collects
 * stdout+stderr into out (may be NULL).  Returns the exit status or -1. */
static int run_cmd(char *const argv[], const char *input, char *out, size_t outlen)
{
	int in[2] = { -1, -1 }, res[2] = { -1, -1 }, status = -1;
	size_t used = 0;
	pid_t pid;

	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(res, O_CLOEXEC) < 0)
		goto out;
	pid = fork();
	if (pid < 0)
		goto out;
	if (pid == 0) {
		dup2(in[0], 0);
		dup2(res[1], 1);
		dup2(res[1], 2);
		execvp(argv[0], argv);
		fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(in[0]);
	close(res[1]);
	in[0] = res[1] = -1;
	if (input && write(in[1], input, strlen(input)) < 0)
		(void)0;	/* the child's exit status tells */
	close(in[1]);
	in[1] = -1;
	for (;;) {
		char tmp[512];
		ssize_t n = read(res[0], tmp, sizeof(tmp));

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
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
out:
	if (out && outlen)
		out[used] = '\0';
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (res[i] >= 0)
			close(res[i]);
	}
	return status;
}

int nfq_hook_probe_nft(void)
{
	char *const add[] = { "nft", "-f", "-", NULL };
	const char *probe =
		"add table inet geoegress_probe\n"
		"add chain inet geoegress_probe c\n"
		"add rule inet geoegress_probe c meta l4proto 253 queue num 65535 bypass\n";
	const char *del = "delete table inet geoegress_probe\n";
	int ok = run_cmd(add, probe, NULL, 0) == 0;

	if (ok)
		run_cmd(add, del, NULL, 0);
	return ok;
}

static void ipt_remove(const char *ipt)
{
	char *const delf[] = { (char *)ipt, "-w", "-t", "filter", "-D", "FORWARD", "-j", CHAIN, NULL };
	char *const delo[] = { (char *)ipt, "-w", "-t", "filter", "-D", "OUTPUT", "-j", CHAIN, NULL };
	char *const flush[] = { (char *)ipt, "-w", "-t", "filter", "-F", CHAIN, NULL };
	char *const del[] = { (char *)ipt, "-w", "-t", "filter", "-X", CHAIN, NULL };

	/* Bounded: a crashed run left at most a few duplicate jumps. */
	for (int i = 0; i < 8 && run_cmd(delf, NULL, NULL, 0) == 0; i++)
		;
	for (int i = 0; i < 8 && run_cmd(delo, NULL, NULL, 0) == 0; i++)
		;
	run_cmd(flush, NULL, NULL, 0);
	run_cmd(del, NULL, NULL, 0);
}

/*
 * iptables-nft creates the filter table and its FORWARD/OUTPUT base chains
 * on first use and leaves them behind, empty, when our jump is deleted.
 * So that the ruleset after exit is exactly what it was before start, we
 * remember which of them did not exist before we installed, and delete
 * those again when they are empty and accept-policy (a no-op chain).
 * After a crash we cannot know, so a stale hook's empty accept chains are
 * treated as ours.
 */
static const char *const fam_name[2] = { "ip", "ip6" };
static const char *const base_chain[2] = { "FORWARD", "OUTPUT" };
static int created_table[2], created_chain[2][2];

static int nft_list(const char *what, const char *fam, const char *name, char *out, size_t outlen)
{
	char *const argv[] = { "nft", "-j", "list", (char *)what, (char *)fam, "filter",
			       (char *)name, NULL };
	char *const argv_t[] = { "nft", "-j", "list", (char *)what, (char *)fam, "filter", NULL };

	return run_cmd(name ? argv : argv_t, NULL, out, outlen) == 0 ? 0 : -1;
}

static int count_str(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static void prune_base_chains(void)
{
	char out[8192];

	for (int f = 0; f < 2; f++) {
		for (int c = 0; c < 2; c++) {
			char cmd[128];
			char *const del[] = { "nft", "-f", "-", NULL };

			if (!created_chain[f][c] ||
			    nft_list("chain", fam_name[f], base_chain[c], out, sizeof(out)) < 0)
				continue;
			if (count_str(out, "{\"rule\":") || !strstr(out, "\"policy\": \"accept\""))
				continue;	/* not empty, or a drop policy: the admin's */
			snprintf(cmd, sizeof(cmd), "delete chain %s filter %s\n", fam_name[f], base_chain[c]);
			run_cmd(del, cmd, NULL, 0);
		}
		if (created_table[f] && nft_list("table", fam_name[f], NULL, out, sizeof(out)) == 0 &&
		    !count_str(out, "{\"chain\":") && !count_str(out, "{\"set\":") &&
		    !count_str(out, "{\"map\":")) {
			char cmd[64];
			char *const del[] = { "nft", "-f", "-", NULL };

			snprintf(cmd, sizeof(cmd), "delete table %s filter\n", fam_name[f]);
			run_cmd(del, cmd, NULL, 0);
		}
	}
}

/* Remembers which filter tables / base chains exist before we install. */
static void note_base_chains(void)
{
	char out[8192];

	for (int f = 0; f < 2; f++) {
		created_table[f] = nft_list("table", fam_name[f], NULL, out, sizeof(out)) < 0;
		for (int c = 0; c < 2; c++)
			created_chain[f][c] =
				nft_list("chain", fam_name[f], base_chain[c], out, sizeof(out)) < 0;
	}
}

static int stale_hook_present(void)
{
	char *const ipt4[] = { "iptables", "-w", "-t", "filter", "-S", CHAIN, NULL };
	char *const ipt6[] = { "ip6tables", "-w", "-t", "filter", "-S", CHAIN, NULL };
	char *const nft[] = { "nft", "list", "table", "inet", "geoegress", NULL };

	return run_cmd(ipt4, NULL, NULL, 0) == 0 || run_cmd(ipt6, NULL, NULL, 0) == 0 ||
	       run_cmd(nft, NULL, NULL, 0) == 0;
}

void nfq_hook_remove(void)
{
	char *const nft[] = { "nft", "-f", "-", NULL };

	/* "add" first so the delete cannot fail when there is nothing to delete. */
	run_cmd(nft, "add table inet geoegress\ndelete table inet geoegress\n", NULL, 0);
	ipt_remove("iptables");
	ipt_remove("ip6tables");
	prune_base_chains();
}

static void queue_target(char *buf, size_t len, const struct nfq_hook_cfg *cfg, int nft)
{
	unsigned first = cfg->queue_first, last = cfg->queue_first + (cfg->queue_count ? cfg->queue_count : 1) - 1;
	const char *bypass = cfg->fail_open ? (nft ? " bypass" : " --queue-bypass") : "";

	if (nft && first == last)
		snprintf(buf, len, "queue num %u%s", first, bypass);
	else if (nft)
		snprintf(buf, len, "queue num %u-%u fanout%s", first, last, bypass);
	else if (first == last)
		snprintf(buf, len, "-j NFQUEUE --queue-num %u%s", first, bypass);
	else
		snprintf(buf, len, "-j NFQUEUE --queue-balance %u:%u%s", first, last, bypass);
}

static int ipt_install(const char *restore, int v6, const struct nfq_hook_cfg *cfg,
		       char *err, size_t errlen)
{
	char *const argv[] = { (char *)restore, "-w", "--noflush", NULL };
	char text[2048], target[96], out[1024];
	int rc;

	queue_target(target, sizeof(target), cfg, 0);
	snprintf(text, sizeof(text),
		 "*filter\n:" CHAIN " - [0:0]\n"
		 "-A " CHAIN " -m connmark --mark " MARKS_ALLOW " -j RETURN\n"
		 "-A " CHAIN " -m mark --mark " MARKS_ALLOW
		 " -j CONNMARK --save-mark --nfmask 0xe00000 --ctmask 0xe00000\n"
		 "-A " CHAIN " -m mark --mark " MARKS_ALLOW " -j RETURN\n"
		 "-A " CHAIN " -m mark --mark " MARKS_BLOCK " -j DROP\n"
		 "-A " CHAIN " -m mark --mark " MARKS_REJECT " -p tcp -j REJECT --reject-with tcp-reset\n"
		 "-A " CHAIN " -m mark --mark " MARKS_REJECT " -j REJECT --reject-with %s\n"
		 "-A " CHAIN " -m conntrack --ctstate NEW,INVALID %s\n"
		 "%s%sCOMMIT\n",
		 v6 ? "icmp6-adm-prohibited" : "icmp-admin-prohibited", target,
		 cfg->hooks & RULES_HOOK_FORWARD ? "-I FORWARD 1 -j " CHAIN "\n" : "",
		 cfg->hooks & RULES_HOOK_OUTPUT ? "-I OUTPUT 1 -j " CHAIN "\n" : "");
	rc = run_cmd(argv, text, out, sizeof(out));
	if (rc != 0) {
		snprintf(err, errlen, "%s failed (exit %d) installing chain " CHAIN ": %s",
			 restore, rc, out[0] ? out : "no message");
		return -1;
	}
	return 0;
}

static int nft_install(const struct nfq_hook_cfg *cfg, char *err, size_t errlen)
{
	char *const argv[] = { "nft", "-f", "-", NULL };
	char text[2048], target[96], out[1024];
	int rc;

	queue_target(target, sizeof(target), cfg, 1);
	snprintf(text, sizeof(text),
		 "table inet geoegress {\n"
		 " chain decide {\n"
		 "  ct mark and 0x00e00000 == 0x00200000 return\n"
		 "  meta mark and 0x00e00000 == 0x00200000 ct mark set ct mark and 0xff1fffff or 0x00200000 return\n"
		 "  meta mark and 0x00e00000 == 0x00400000 drop\n"
		 "  meta mark and 0x00e00000 == 0x00600000 meta l4proto tcp reject with tcp reset\n"
		 "  meta mark and 0x00e00000 == 0x00600000 reject with icmpx type admin-prohibited\n"
		 "  ct state { new, invalid } %s\n"
		 " }\n%s%s}\n", target,
		 cfg->hooks & RULES_HOOK_FORWARD ?
		 " chain forward { type filter hook forward priority 0; policy accept; jump decide; }\n" : "",
		 cfg->hooks & RULES_HOOK_OUTPUT ?
		 " chain output { type filter hook output priority 0; policy accept; jump decide; }\n" : "");
	rc = run_cmd(argv, text, out, sizeof(out));
	if (rc != 0) {
		snprintf(err, errlen, "nft failed (exit %d) installing table inet geoegress: %s",
			 rc, out[0] ? out : "no message");
		return -1;
	}
	return 0;
}

int nfq_hook_install(enum nfq_hook_kind kind, const struct nfq_hook_cfg *cfg,
		     char *err, size_t errlen)
{
	if (stale_hook_present()) {	/* a crashed run's hook goes first */
		memset(created_chain, 0xff, sizeof(created_chain));
		memset(created_table, 0xff, sizeof(created_table));
		nfq_hook_remove();
	}
	note_base_chains();
	switch (kind) {
	case NFQ_HOOK_NONE:
		return 0;
	case NFQ_HOOK_NFT:
		return nft_install(cfg, err, errlen);
	case NFQ_HOOK_IPTABLES:
		if (ipt_install("iptables-restore", 0, cfg, err, errlen) < 0)
			return -1;
		if (ipt_install("ip6tables-restore", 1, cfg, err, errlen) < 0) {
			nfq_hook_remove();
			return -1;
		}
		return 0;
	}
	snprintf(err, errlen, "unknown hook kind %d", (int)kind);
	return -1;
}

const char *nfq_hook_kind_name(enum nfq_hook_kind kind)
{
	switch (kind) {
	case NFQ_HOOK_NFT:
		return "nft table inet geoegress";
	case NFQ_HOOK_IPTABLES:
		return "iptables/ip6tables chain GEOEGRESS";
	default:
		return "none (--no-hook)";
	}
}
