// SPDX-License-Identifier: GPL-2.0-or-later
/* placeholder until the HTML writer lands */
#include <errno.h>
#include "log/report_priv.h"

int report_write_html(const struct report_view *v, FILE *out)
{
	(void)v;
	(void)out;
	errno = ENOSYS;
	return -1;
}
