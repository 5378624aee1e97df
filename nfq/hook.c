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
 *       ct state new queue num 0 bypass          # "bypass" only with fail-mode open
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
 *   -A GEOEGRESS -m conntrack --ctstate NEW -j NFQUEUE --queue-num 0 --queue-bypass
 *                (--queue-balance F:L for a queue range; --queue-bypass only with fail-mode open)
 *   -I FORWARD 1 -j GEOEGRESS
 *   -I OUTPUT 1 -j GEOEGRESS                     # only with `option hooks output`
 *
 * With `geoegress run --no-hook` the admin installs the equivalent rules.
 * Why it works: only new connections without a decision connmark are
 * queued.  An allowed packet comes back (NF_REPEAT) with the allow mark,
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

void nfq_hook_remove(void)
{
	char *const nft[] = { "nft", "-f", "-", NULL };

	/* "add" first so the delete cannot fail when there is nothing to delete. */
	run_cmd(nft, "add table inet geoegress\ndelete table inet geoegress\n", NULL, 0);
	ipt_remove("iptables");
	ipt_remove("ip6tables");
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
		 "-A " CHAIN " -m conntrack --ctstate NEW %s\n"
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
		 "  ct state new %s\n"
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
	nfq_hook_remove();	/* a stale hook from a crashed run goes first */
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
