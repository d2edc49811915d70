/* The outputs `run` and `replay` share besides the event log: a Chrome
 * trace (--chrome-trace FILE), the statistics as JSON (--stats-json FILE),
 * the inspector's colour (--color) and a progress bar (--progress). */
#ifndef MMUSIM_OUTPUTS_H
#define MMUSIM_OUTPUTS_H

#include "presets/preset.h"
#include "sim/progress.h"
#include "sim/report.h"
#include "traces/traces.h"

struct output_opts {
	const char *chrome_trace, *stats_json;   /* NULL: not asked for */
	enum color_mode color;
	enum progress_mode progress;
};

/* 1 when argv[*i] is one of these options (*i moves past its value), 0
 * when not, minus the status of a usage error. */
int output_option(int argc, char **argv, int *i, struct output_opts *o);

struct outputs {
	struct chrome_trace *chrome;
};
/* Starts what o asks for on k: 0, or 1 after a one-line message. */
int outputs_start(struct outputs *out, const struct output_opts *o, struct kernel *k, const struct preset *p,
		  const struct eventlog_info *info);
/* At the end of the run: the Chrome trace and the stats written. 0, or 1
 * after a message. */
int outputs_finish(struct outputs *out, const struct output_opts *o, struct kernel *k);
void outputs_abort(struct outputs *out);

#endif
