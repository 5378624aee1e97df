// SPDX-License-Identifier: GPL-2.0-or-later
/* rules — why a flow gets its decision, in words: `geoegress explain`, and
 * the running daemon's answer to `explain --running`, are this text. */
#include <stdio.h>

#include "rules/rules.h"

static void explain_country(const struct rules_policy *p, const struct geo_answer *a, FILE *out)
{
	enum geo_field field = rules_options(p)->field;
	enum geo_source src, csrc;
	geo_cc cc = geo_pick(a, field, &src), code = geo_pick_code(a, field, &csrc);
	char b[3], b2[3];
	const char *name = geo_country_name(cc), *what = geo_code_name(code);

	if (cc == GEO_CC_UNKNOWN && code != GEO_CC_UNKNOWN)
		fprintf(out, "country:  unknown — its %s field says %s, not a country but %s; country "
			"tests do not match it\n", geo_source_name(csrc), geo_cc_str(code, b),
			what ? what : "a code of this database");
	else if (cc == GEO_CC_UNKNOWN)
		fprintf(out, "country:  unknown (%s) — country tests do not match it\n",
			a->found ? "in the database without a country" : "not in the database");
	else
		fprintf(out, "country:  %s (%s), from %s (country-field %s)\n", geo_cc_str(cc, b),
			name ? name : "?", geo_source_name(src), geo_field_name(field));
	if (cc != GEO_CC_UNKNOWN && code != cc)
		fprintf(out, "          its %s field says %s, not a country: the next field decided\n",
			geo_source_name(csrc), geo_cc_str(code, b));
	if (a->via != GEO_VIA_NONE)
		fprintf(out, "          of %u.%u.%u.%u, the IPv4 address the destination embeds (%s)\n",
			a->v4[0], a->v4[1], a->v4[2], a->v4[3], geo_via_name(a->via));
	if (field == GEO_FIELD_EITHER && a->located && a->registered && a->located != a->registered)
		fprintf(out, "          either: located %s, registered %s; a country list matches either\n",
			geo_cc_str(a->located, b), geo_cc_str(a->registered, b2));
}

/* The names the device's DNS answers gave the destination, the hosts sets
 * each is in, and the AS. */
static void explain_names(const struct rules_policy *p, const struct rules_dest *d, const char *as_org,
			  FILE *out)
{
	const struct rules_options *o = rules_options(p);

	if (!d->nnames)
		fprintf(out, "names:    none known: `to host` tests do not match, `to host unknown` does\n");
	for (unsigned i = 0; i < d->nnames; i++) {
		int n = 0;

		fprintf(out, "%s%s: ", i ? "          " : "names:    ", d->names[i]);
		for (size_t k = 0; k < rules_host_sets(p); k++)
			if (rules_host_set_match(p, k, d->names[i]))
				fprintf(out, "%s@%s", n++ ? ", " : "in ", rules_host_set_name(p, k));
		fprintf(out, "%s\n", n ? "" : "in no hosts set");
	}
	if (!o->learn_names)
		fprintf(out, "          (this policy does not learn names: option names %s)\n",
			o->names == RULES_NAMES_NO ? "no" : "auto, and no rule tests `to host`");
	if (d->asn)
		fprintf(out, "as:       AS%u%s%s%s\n", d->asn, as_org ? " (" : "", as_org ? as_org : "",
			as_org ? ")" : "");
	else if (o->asn_database)
		fprintf(out, "as:       unknown: `to asn` tests do not match\n");
}

static void explain_decision(const struct rules_policy *p, const struct rules_verdict *v, FILE *out)
{
	size_t len = 0;
	const char *line = rules_source_line(p, v->line, &len);

	fprintf(out, "device:   %s\n", v->device ? v->device : "(in no devices set)");
	if (v->is_default)
		fprintf(out, "rule:     no rule matched; line %d: %.*s\n", v->line, (int)len, line ? line : "");
	else
		fprintf(out, "rule:     line %d: %.*s\n", v->line, (int)len, line ? line : "");
	if (v->name)
		fprintf(out, "name:     %s\n", v->name);
	fprintf(out, "action:   %s\n", rules_action_name(v->action));
	fprintf(out, "log:      %s\n", v->log ? "yes" : "no");
	if (v->audit)
		fprintf(out, "audit:    mode audit: this %s is NOT enforced; the flow passes and is logged\n",
			rules_action_name(v->action));
}

void rules_explain(const struct rules_policy *p, const struct rules_flow *flow,
		   const struct geo_answer *geo, const struct rules_dest *dest, const char *as_org, FILE *out)
{
	static const struct geo_answer none;
	static const struct rules_dest nothing;
	struct rules_verdict v;

	rules_eval_dest(p, flow, geo ? geo : &none, dest ? dest : &nothing, &v);
	explain_country(p, geo ? geo : &none, out);
	explain_names(p, dest ? dest : &nothing, as_org, out);
	explain_decision(p, &v, out);
}
