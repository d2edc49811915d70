/* mmusim replay TRACE: drive the OS model and the MMU from a JSON trace.
 * Exit status: 0 when the trace was replayed, 2 for bad input (the trace,
 * the preset or the options), 1 when an output file cannot be written.
 * A recorded trace (mmusim run --record) brings its program's files as
 * "file" records: without --root they are made in a private temporary
 * directory, removed afterwards, so that nothing of the user's is
 * replaced. */
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sim/commands.h"
#include "sim/stop.h"
#include "gui/gui.h"
#include "sim/machine.h"
#include "sim/outputs.h"
#include "sim/report.h"
#include "traces/traces.h"

struct replay_opts {
	struct machine_opts m;
	const char *trace, *root, *events, *record;
	bool faults, stats, view;
	struct gui_options gui;   /* --view and its options */
	struct output_opts out;   /* --chrome-trace, --stats-json, --color, --progress */
};

static int parse_args(int argc, char **argv, struct replay_opts *o)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char **value = NULL;
		int v = view_option(argc, argv, &i, &o->gui);
		if (!v)
			v = machine_option(argc, argv, &i, &o->m);
		if (!v)
			v = output_option(argc, argv, &i, &o->out);
		if (v < 0)
			return -v;
		if (v)
			continue;
		if (!strcmp(a, "--preset"))
			value = &o->m.preset;
		else if (!strcmp(a, "--view"))
			o->view = true;
		else if (!strcmp(a, "--personality"))
			value = &o->m.personality;
		else if (!strcmp(a, "--mem"))
			value = &o->m.mem;
		else if (!strcmp(a, "--swap"))
			value = &o->m.swap;
		else if (!strcmp(a, "--root"))
			value = &o->root;
		else if (!strcmp(a, "--events"))
			value = &o->events;
		else if (!strcmp(a, "--record"))
			value = &o->record;
		else if (!strcmp(a, "--faults"))
			o->faults = true;
		else if (!strcmp(a, "--stats"))
			o->stats = true;
		else if (a[0] == '-' && a[1])
			return usage_error("unknown option '%s' for replay", a);
		else if (o->trace)
			return usage_error("replay takes one trace, not '%s' too", a);
		else
			o->trace = a;
		if (value) {
			if (++i == argc)
				return usage_error("%s needs a value", a);
			*value = argv[i];
		}
	}
	if (!o->trace)
		return usage_error("replay needs a trace file (or - for standard input)");
	return view_options_check(o->view, o->events, &o->gui);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

static int replay_trace(struct replay_opts *opts);

/* The trace's size in bytes, when it is a regular file (0: unknown, as
 * for standard input: the bar is then a counter). */
static uint64_t trace_size(const char *path)
{
	struct stat st;
	if (!strcmp(path, "-") || stat(path, &st) || !S_ISREG(st.st_mode))
		return 0;
	return (uint64_t)st.st_size;
}

static void replay_progress(void *ctx, const struct trace_reader *r, uint64_t records)
{
	progress_update(ctx, trace_offset(r), records);
}

static int replay_with_events(void *ctx, const char *events)
{
	struct replay_opts *o = ctx;
	o->events = events;
	return replay_trace(o);
}

int cmd_replay(int argc, char **argv)
{
	struct replay_opts o = {0};
	int rc = parse_args(argc, argv, &o);
	if (rc)
		return rc;
	if (o.view)
		return view_live(&o.gui, o.trace, replay_with_events, &o);
	return replay_trace(&o);
}

static int replay_trace(struct replay_opts *opts)
{
	struct replay_opts o = *opts;
	int rc;
	struct os_config oc;
	os_config_default(&oc);
	if ((rc = machine_personality(o.m.personality, &oc)))
		return rc;
	char err[512];
	struct trace_reader *r = trace_open(o.trace, err, sizeof err);
	if (!r) {
		fprintf(stderr, "mmusim: %s\n", err);
		return 2;
	}
	enum mmu_arch arch = trace_arch(r);
	struct preset p;
	struct kernel *k = NULL;
	struct eventlog *log = NULL;
	struct trace_writer *rec = NULL;
	struct outputs outs = {0};
	char scratch[PATH_MAX] = "";   /* the private root of a recorded trace */
	if ((rc = machine_load(&o.m, arch, &oc, &p)))
		goto out;
	rc = 2;
	if (p.mmu.fmt->arch != arch) {
		fprintf(stderr, "mmusim: %s is an %s trace, but preset %s is %s\n", o.trace, mmu_arch_name(arch), p.name,
			mmu_arch_name(p.mmu.fmt->arch));
		goto out;
	}
	if (!(k = machine_kernel(&p, &oc, o.root)))
		goto out;
	if (!o.root && trace_recorded(r)) {
		const char *tmp = getenv("TMPDIR");
		snprintf(scratch, sizeof scratch, "%s/mmusim-replay-XXXXXX", tmp && *tmp ? tmp : "/tmp");
		if (!mkdtemp(scratch)) {
			fprintf(stderr, "mmusim: cannot make a directory for the trace's files (%s): %s\n", scratch,
				strerror(errno));
			scratch[0] = '\0';
			rc = 1;
			goto out;
		}
		if (os_set_root(k, scratch, err, sizeof err)) {
			fprintf(stderr, "mmusim: %s: %s\n", scratch, err);
			rc = 1;
			goto out;
		}
	}
	rc = 1;
	if (o.events) {
		struct eventlog_info info = {p.name, personality_name(oc.personality), "replay", o.trace};
		if (!(log = machine_eventlog(o.events, k, &info)))
			goto out;
	}
	struct eventlog_info replay_info = {p.name, personality_name(oc.personality), "replay", o.trace};
	if (outputs_start(&outs, &o.out, k, &p, &replay_info))
		goto out;
	if (o.record && !(rec = trace_recorded(r) ? trace_create_recorded(o.record, arch, NULL, err, sizeof err)
						  : trace_create(o.record, arch, NULL, err, sizeof err))) {
		fprintf(stderr, "mmusim: %s\n", err);
		goto out;
	}
	struct fault_printer printer = {stderr, k, color_wanted(o.out.color, stderr)};
	if (o.faults)
		kernel_subscribe(k, report_fault_event, &printer);
	struct replay_result res = {0};
	struct progress bar;
	/* The bar and the inspector would share a terminal line: not both. */
	progress_start(&bar, o.faults && o.out.progress == PROGRESS_AUTO ? PROGRESS_NEVER : o.out.progress, "replay",
		       "records", trace_size(o.trace));
	res.progress = replay_progress;
	res.progress_ctx = &bar;
	res.stop = stop_signals_catch();
	int replayed = replay(k, r, o.trace, rec, &res, err, sizeof err);
	stop_signals_release();
	progress_end(&bar);
	if (res.stopped)   /* then the usual ending: files written back, outputs finished */
		fprintf(stderr, "mmusim: %s: replay stopped after %llu records\n", res.stopped == SIGINT ? "SIGINT" : "SIGTERM",
			(unsigned long long)res.records);
	if (replayed) {
		fprintf(stderr, "mmusim: %s\n", err);
		rc = 2;
		goto out;
	}
	if (res.skipped)
		fprintf(stderr, "mmusim: %llu records of killed processes were skipped\n", (unsigned long long)res.skipped);
	if (outputs_finish(&outs, &o.out, k) || machine_eventlog_finish(&log, k))
		goto out;
	if (rec) {
		struct trace_writer *w = rec;
		rec = NULL;
		if (trace_finish(w, err, sizeof err)) {
			fprintf(stderr, "mmusim: %s\n", err);
			goto out;
		}
	}
	if (o.stats)
		report_stats(stdout, k);
	rc = res.stopped ? 128 + res.stopped : 0;
out:
	outputs_abort(&outs);
	eventlog_abort(log);
	if (rec)
		trace_abort(rec);
	kernel_destroy(k);   /* writes back to the trace's files: before they go */
	if (scratch[0])
		nftw(scratch, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	trace_close(r);
	return rc;
}
