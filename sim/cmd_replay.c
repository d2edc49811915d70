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
#include "sim/options.h"
#include "sim/report.h"
#include "traces/traces.h"
#include "mmu/errmsg.h"

struct replay_opts {
	struct sim_opts s;   /* the options run has too */
	const char *trace;
};

static int parse_args(int argc, char **argv, struct replay_opts *o)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int v = sim_option(argc, argv, &i, &o->s);
		if (v < 0)
			return -v;
		if (v)
			continue;
		if (a[0] == '-' && a[1])
			return usage_error("unknown option '%s' for replay", a);
		if (o->trace)
			return usage_error("replay takes one trace, not '%s' too", a);
		o->trace = a;
	}
	if (!o->trace)
		return usage_error("replay needs a trace file (or - for standard input)");
	return sim_options_check(&o->s);
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
	o->s.events = events;
	return replay_trace(o);
}

int cmd_replay(int argc, char **argv)
{
	struct replay_opts o = {0};
	int rc = parse_args(argc, argv, &o);
	if (rc)
		return rc;
	if (o.s.view)
		return view_live(&o.s.gui, o.trace, replay_with_events, &o);
	return replay_trace(&o);
}

static int replay_trace(struct replay_opts *opts)
{
	struct replay_opts o = *opts;
	int rc;
	struct os_config oc;
	os_config_default(&oc);
	if ((rc = machine_personality(o.s.m.personality, &oc)))
		return rc;
	char err[512];
	struct trace_reader *r = trace_open(o.trace, err, sizeof err);
	if (!r) {
		errmsg_print(err);
		return 2;
	}
	enum mmu_arch arch = trace_arch(r);
	struct preset p;
	struct kernel *k = NULL;
	struct eventlog *log = NULL;
	struct trace_writer *rec = NULL;
	struct outputs outs = {0};
	char scratch[PATH_MAX] = "";   /* the private root of a recorded trace */
	if ((rc = machine_load(&o.s.m, arch, &oc, &p)))
		goto out;
	rc = 2;
	if (p.mmu.fmt->arch != arch) {
		fprintf(stderr, "mmusim: %s is an %s trace, but preset %s is %s\n", o.trace, mmu_arch_name(arch), p.name,
			mmu_arch_name(p.mmu.fmt->arch));
		goto out;
	}
	if (!(k = machine_kernel(&p, &oc, o.s.m.root)))
		goto out;
	if (!o.s.m.root && trace_recorded(r)) {
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
	struct eventlog_info info = {p.name, personality_name(oc.personality), "replay", o.trace};
	if (o.s.events && !(log = machine_eventlog(o.s.events, k, &info)))
		goto out;
	if (outputs_start(&outs, &o.s.out, k, &p, &info))
		goto out;
	if (o.s.record && !(rec = trace_recorded(r) ? trace_create_recorded(o.s.record, arch, NULL, err, sizeof err)
						  : trace_create(o.s.record, arch, NULL, err, sizeof err))) {
		errmsg_print(err);
		goto out;
	}
	struct fault_printer printer = {stderr, k, color_wanted(o.s.out.color, stderr)};
	if (o.s.faults)
		kernel_subscribe(k, report_fault_event, &printer);
	struct replay_result res = {0};
	struct progress bar;
	/* The bar and the inspector would share a terminal line: not both. */
	progress_start(&bar, o.s.faults && o.s.out.progress == PROGRESS_AUTO ? PROGRESS_NEVER : o.s.out.progress, "replay",
		       "records", trace_size(o.trace));
	res.progress = replay_progress;
	res.progress_ctx = &bar;
	res.stop = stop_signals_catch();
	kernel_set_stop(k, res.stop);
	int replayed = replay(k, r, o.trace, rec, &res, err, sizeof err);
	stop_signals_release();
	progress_end(&bar);
	if (res.stopped)   /* then the usual ending: files written back, outputs finished */
		fprintf(stderr, "mmusim: %s: replay stopped after %llu records\n", res.stopped == SIGINT ? "SIGINT" : res.stopped == SIGHUP ? "SIGHUP" : "SIGTERM",
			(unsigned long long)res.records);
	if (replayed) {
		errmsg_print(err);
		rc = 2;
		goto out;
	}
	if (res.skipped)
		fprintf(stderr, "mmusim: %llu records of killed processes were skipped\n", (unsigned long long)res.skipped);
	if (outputs_finish(&outs, &o.s.out, k) || machine_eventlog_finish(&log, k))
		goto out;
	if (rec) {
		struct trace_writer *w = rec;
		rec = NULL;
		if (trace_finish(w, err, sizeof err)) {
			errmsg_print(err);
			goto out;
		}
	}
	if (o.s.stats)
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
