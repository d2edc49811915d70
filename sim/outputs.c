/* --chrome-trace, --stats-json, --color, --progress for run and replay. */
#include "sim/outputs.h"

#include <stdio.h>
#include <string.h>

#include "sim/commands.h"
#include "mmu/errmsg.h"

int output_option(int argc, char **argv, int *i, struct output_opts *o)
{
	const char *a = argv[*i];
	const char **value = NULL;
	int c = color_option(a, &o->color);
	if (c < 0)
		return -usage_error("--color is auto, always or never, not '%s'", a + 8);
	if (c || progress_option(a, &o->progress))
		return 1;
	if (!strcmp(a, "--chrome-trace"))
		value = &o->chrome_trace;
	else if (!strcmp(a, "--stats-json"))
		value = &o->stats_json;
	else
		return 0;
	if (++*i == argc)
		return -usage_error("%s needs a file name", a);
	*value = argv[*i];
	return 1;
}

int outputs_start(struct outputs *out, const struct output_opts *o, struct kernel *k, const struct preset *p,
		  const struct eventlog_info *info)
{
	char err[512];
	out->chrome = NULL;
	if (o->chrome_trace && !(out->chrome = chrome_trace_create(o->chrome_trace, k, info, p->clock_ghz, err, sizeof err))) {
		errmsg_print(err);
		return 1;
	}
	return 0;
}

int outputs_finish(struct outputs *out, const struct output_opts *o, struct kernel *k)
{
	char err[512];
	struct chrome_trace *t = out->chrome;
	out->chrome = NULL;
	if (t && chrome_trace_finish(t, err, sizeof err)) {
		errmsg_print(err);
		return 1;
	}
	if (o->stats_json && stats_json_write(o->stats_json, k, err, sizeof err)) {
		errmsg_print(err);
		return 1;
	}
	return 0;
}

void outputs_abort(struct outputs *out)
{
	chrome_trace_abort(out->chrome);
	out->chrome = NULL;
}
