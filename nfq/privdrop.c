// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Privilege drop (`geoegress run --user NAME`, STYLE rule 8): once the
 * queue is bound, the hook installed, the control socket listening and the
 * log open, the daemon becomes NAME keeping only CAP_NET_ADMIN — needed for
 * verdicts (nfnetlink checks it per message) and, as an ambient capability,
 * for the iptables/nft runs that remove the hook at exit.  The bounding set
 * is emptied of everything else and no_new_privs is set.
 *
 * Consequences for the admin: the policy and database must be readable by
 * NAME for reloads, and the log directory writable by NAME for logrotate's
 * reopen (the log file itself is handed over to NAME here).
 */
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "nfq/nfq_int.h"

#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT 47
#define PR_CAP_AMBIENT_RAISE 2
#endif

static int keep_net_admin(void)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];
	uint32_t bit = 1u << (CAP_NET_ADMIN % 32);

	memset(data, 0, sizeof(data));
	data[CAP_NET_ADMIN / 32].effective = bit;
	data[CAP_NET_ADMIN / 32].permitted = bit;
	data[CAP_NET_ADMIN / 32].inheritable = bit;
	if (syscall(SYS_capset, &hdr, data) < 0)
		return -1;
	return prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_ADMIN, 0, 0);
}

/* Hands a regular file (the decision log) to the new user. */
static void give_file(const char *path, uid_t uid, gid_t gid)
{
	struct stat st;

	if (path && *path && stat(path, &st) == 0 && S_ISREG(st.st_mode))
		(void)!chown(path, uid, gid);
}

int nfq_drop_privileges(const char *user, const char *log_file, const char *state_file,
			const char *ctl_dir, char *err, size_t errlen)
{
	struct passwd *pw;

	errno = 0;
	pw = getpwnam(user);
	if (!pw) {
		snprintf(err, errlen, "--user %s: no such user%s%s", user, errno ? ": " : "",
			 errno ? strerror(errno) : "");
		return -1;
	}
	give_file(log_file, pw->pw_uid, pw->pw_gid);
	give_file(state_file, pw->pw_uid, pw->pw_gid);	/* rewritten in place at stop/reload */
	if (ctl_dir)
		(void)!chown(ctl_dir, pw->pw_uid, pw->pw_gid);
	for (int cap = 0; cap <= CAP_LAST_CAP; cap++)
		if (cap != CAP_NET_ADMIN && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
			goto fail;
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0 || setgroups(0, NULL) < 0 ||
	    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) < 0 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) < 0)
		goto fail;
	if (keep_net_admin() < 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		goto fail;
	return 0;
fail:
	snprintf(err, errlen, "dropping privileges to %s: %s", user, strerror(errno));
	return -1;
}
