/* mmusim sweep: one trace or program over a grid of machine parameters.
 * Each point of the grid is an independent child process, this same
 * binary running `mmusim replay|run` with the point's options (--preset,
 * --personality, --mem, --swap, --mode, or --set KEY=VALUE for a preset
 * key) and --stats-json; --jobs of them at a time. The rows go to a CSV,
 * the miss rate and cycles to a PNG. --list and --point K split a grid
 * over machines, --merge puts the pieces back together (docs/sweep.md).
 * Exit status: 0; 1 when a point failed (its row has no results) or an
 * output cannot be written; 2 for a usage error. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sim/commands.h"
#include "sim/progress.h"
#include "sim/stop.h"
#include "sim/draw.h"
#include "sim/sweep.h"
#include "mmu/errmsg.h"
#include "traces/outfile.h"

enum { MAX_PARAMS = 8, MAX_VALUES = 256, MAX_POINTS = 100000 };

struct param {
	char *key;
	char *buf;                 /* the values, split in place */
	char *values[MAX_VALUES];
	int n;
};

struct sweep_opts {
	struct param params[MAX_PARAMS];
	int nparams;
	long jobs;
	long point;                /* --point K: only that one (1-based); 0: all */
	bool list, merge;
	const char *csv, *plot;
	enum progress_mode progress;
	char **base;               /* "replay TRACE ..." or "run PROGRAM ...", or --merge's files */
	int nbase;
};

static const char usage_text[] =
	"usage: mmusim sweep --param KEY=V1,V2,... [--param ...] [options] -- replay TRACE [replay options]\n"
	"       mmusim sweep --param KEY=V1,V2,... [--param ...] [options] -- run [run options] PROGRAM [ARGS...]\n"
	"       mmusim sweep --merge [--csv FILE] [--plot FILE.png] PART.csv...\n"
	"\n"
	"Runs the trace or program once for every point of the grid the --param\n"
	"options span (every combination of their values), each point an\n"
	"independent mmusim process, and writes one CSV row per point.\n"
	"\n"
	"  --param KEY=V1,V2,...  a parameter and its values. KEY is preset, personality,\n"
	"                         mem, swap or mode (those options of run and replay), or\n"
	"                         a preset key (docs/presets.md), e.g. thp,\n"
	"                         tlb.l1d.arrays[0].entries, walk_cache.PD.entries, paging\n"
	"  --jobs N               points run at once (default: the number of CPUs)\n"
	"  --csv FILE             the table (default: standard output)\n"
	"  --plot FILE.png        the L1 dTLB miss rate and the cycles against the first\n"
	"                         parameter, a line for each combination of the others\n"
	"  --list                 print the grid's points, 'K<TAB>KEY=VALUE ...', and exit\n"
	"  --point K              run only point K (1..N), for GNU parallel or a Slurm array\n"
	"  --merge                join the CSVs of separate --point runs into one table\n"
	"  --progress, --no-progress   the progress bar (default: when stderr is a terminal)\n"
	"  -h, --help             this text\n";

static int sweep_usage(void)
{
	fputs(usage_text, stdout);
	return 0;
}

/* KEY=V1,V2,...: the values split at the commas (kept in arg's copy). */
static int parse_param(struct sweep_opts *o, const char *arg)
{
	if (o->nparams == MAX_PARAMS)
		return usage_error("at most %d --param options", MAX_PARAMS);
	const char *eq = strchr(arg, '=');
	if (!eq || eq == arg || !eq[1])
		return usage_error("--param needs KEY=V1,V2,..., not '%s'", arg);
	struct param *p = &o->params[o->nparams++];   /* counted now: cmd_sweep frees it */
	p->key = strndup(arg, (size_t)(eq - arg));
	p->buf = strdup(eq + 1);
	if (!p->key || !p->buf)
		return usage_error("out of memory");
	for (int i = 0; i < o->nparams - 1; i++)
		if (!strcmp(o->params[i].key, p->key))
			return usage_error("--param %s given twice", p->key);
	if (eq[1] == ',' || eq[strlen(eq) - 1] == ',' || strstr(eq, ",,"))
		return usage_error("--param %s: an empty value", p->key);
	char *save = NULL;
	for (char *v = strtok_r(p->buf, ",", &save); v; v = strtok_r(NULL, ",", &save)) {
		if (p->n == MAX_VALUES)
			return usage_error("--param %s: at most %d values", p->key, MAX_VALUES);
		p->values[p->n++] = v;
	}
	return 0;
}

static int parse_count(const char *opt, const char *text, long max, long *out)
{
	char *end;
	errno = 0;
	long v = text ? strtol(text, &end, 10) : 0;
	if (!text || errno || end == text || *end || v < 1 || v > max)
		return usage_error("%s needs a number from 1 to %ld, not '%s'", opt, max, text ? text : "");
	*out = v;
	return 0;
}

/* What a point must not share with the others: files they would all write. */
static int check_base(char **base, int n)
{
	static const char *const own[] = {"--events", "--chrome-trace", "--record", "--stats-json", "--view", NULL};
	if (!n || (strcmp(base[0], "replay") && strcmp(base[0], "run")))
		return usage_error("sweep needs a command to sweep: -- replay TRACE ... or -- run PROGRAM ...");
	for (int i = 1; i < n; i++)
		for (int j = 0; own[j]; j++)
			if (!strcmp(base[i], own[j]))
				return usage_error("sweep: %s would be the same for every point", own[j]);
	if (n < 2)
		return usage_error("sweep: %s needs %s", base[0], !strcmp(base[0], "run") ? "a program" : "a trace");
	return 0;
}

static int parse_args(int argc, char **argv, struct sweep_opts *o)
{
	int i, rc = 0;
	for (i = 1; i < argc && !rc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--"))  {
			i++;
			break;
		}
		if (!strcmp(a, "replay") || !strcmp(a, "run") || a[0] != '-')
			break;
		if (!strcmp(a, "--param") && v)
			rc = parse_param(o, argv[++i]);
		else if (!strcmp(a, "--jobs"))
			rc = parse_count(a, i + 1 < argc ? argv[++i] : NULL, 1024, &o->jobs);
		else if (!strcmp(a, "--point"))
			rc = parse_count(a, i + 1 < argc ? argv[++i] : NULL, MAX_POINTS, &o->point);
		else if (!strcmp(a, "--csv") && v)
			o->csv = argv[++i];
		else if (!strcmp(a, "--plot") && v)
			o->plot = argv[++i];
		else if (!strcmp(a, "--list"))
			o->list = true;
		else if (!strcmp(a, "--merge"))
			o->merge = true;
		else if (progress_option(a, &o->progress))
			continue;
		else if (!strcmp(a, "--param") || !strcmp(a, "--csv") || !strcmp(a, "--plot"))
			return usage_error("%s needs a value", a);
		else
			return usage_error("unknown option '%s' for sweep", a);
	}
	if (rc)
		return rc;
	o->base = argv + i;
	o->nbase = argc - i;
	if (o->merge)
		return o->nbase ? 0 : usage_error("sweep --merge needs the CSV files of the points");
	if (!o->nparams)
		return usage_error("sweep needs at least one --param KEY=V1,V2,...");
	if (o->list && !o->nbase)
		return 0;   /* the points do not depend on the command */
	return check_base(o->base, o->nbase);
}

static long grid_size(const struct sweep_opts *o)
{
	long n = 1;
	for (int i = 0; i < o->nparams && n <= MAX_POINTS; i++)
		n *= o->params[i].n;
	return n;
}

/* Point k's value of each parameter (k from 0; the last parameter varies
 * fastest). */
static void point_values(const struct sweep_opts *o, long k, const char **values)
{
	for (int i = o->nparams - 1; i >= 0; i--) {
		values[i] = o->params[i].values[k % o->params[i].n];
		k /= o->params[i].n;
	}
}

static bool is_option_key(const char *key)
{
	static const char *const keys[] = {"preset", "personality", "mem", "swap", "mode", NULL};
	for (int i = 0; keys[i]; i++)
		if (!strcmp(key, keys[i]))
			return true;
	return false;
}

/* The child's argv: mmusim replay|run, the point's options, --stats-json,
 * then the rest of the command as given. */
static char **child_argv(const struct sweep_opts *o, const char **values, const char *exe, const char *stats,
			 char *setbuf, size_t setlen)
{
	char **av = calloc((size_t)(o->nbase + 2 * o->nparams + 5), sizeof *av);
	if (!av)
		return NULL;
	int n = 0;
	av[n++] = (char *)exe;
	av[n++] = o->base[0];
	size_t used = 0;
	for (int i = 0; i < o->nparams; i++) {
		char *opt = setbuf + used;
		int len = is_option_key(o->params[i].key) ? snprintf(opt, setlen - used, "--%s", o->params[i].key)
							   : snprintf(opt, setlen - used, "--set");
		used += (size_t)len + 1;
		char *val = setbuf + used;
		len = is_option_key(o->params[i].key) ? snprintf(val, setlen - used, "%s", values[i])
						      : snprintf(val, setlen - used, "%s=%s", o->params[i].key, values[i]);
		used += (size_t)len + 1;
		av[n++] = opt;
		av[n++] = val;
	}
	av[n++] = "--stats-json";
	av[n++] = (char *)stats;
	for (int i = 1; i < o->nbase; i++)
		av[n++] = o->base[i];
	return av;
}

struct running {
	pid_t pid;
	long point;       /* from 0 */
};

struct sweep_run {
	const struct sweep_opts *o;
	char exe[PATH_MAX], dir[PATH_MAX];   /* this binary; the points' files */
	struct sweep_table table;
	int failed;
	const volatile sig_atomic_t *stop;   /* SIGINT/SIGTERM/SIGHUP to the sweep (sim/stop.h) */
	int stopped;                         /* the signal passed on to the points */
};

static void point_path(const struct sweep_run *s, long k, const char *what, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%ld.%s", s->dir, k + 1, what);
}

static pid_t start_point(struct sweep_run *s, long k)
{
	const char *values[MAX_PARAMS];
	char stats[PATH_MAX + 32], errs[PATH_MAX + 32], setbuf[8192];
	point_values(s->o, k, values);
	point_path(s, k, "json", stats, sizeof stats);
	point_path(s, k, "err", errs, sizeof errs);
	char **av = child_argv(s->o, values, s->exe, stats, setbuf, sizeof setbuf);
	if (!av)
		return -1;
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		/* The point's output is not the sweep's: the guest's streams go
		 * nowhere, mmusim's messages to a file read if it fails. */
		int in = open("/dev/null", O_RDONLY), out = open("/dev/null", O_WRONLY);
		int err = open(errs, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (in < 0 || out < 0 || err < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
			_exit(125);
		execv(s->exe, av);
		_exit(125);
	}
	free(av);
	return pid;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	char chunk[4096];
	size_t n;
	while (m && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
		fwrite(chunk, 1, n, m);
	if (m)
		fclose(m);
	fclose(f);
	return buf;
}

/* A point has ended: its row, and its first message when it failed. */
static void finish_point(struct sweep_run *s, long k, int wstatus)
{
	const char *values[MAX_PARAMS];
	char path[PATH_MAX + 32];
	point_values(s->o, k, values);
	int status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
	point_path(s, k, "json", path, sizeof path);
	char *stats = slurp(path);
	if (!stats || !*stats) {
		point_path(s, k, "err", path, sizeof path);
		char *msg = slurp(path);
		char *nl = msg ? strchr(msg, '\n') : NULL;
		if (nl)
			*nl = 0;
		fprintf(stderr, "mmusim: sweep point %ld (", k + 1);
		for (int i = 0; i < s->o->nparams; i++)
			fprintf(stderr, "%s%s=%s", i ? " " : "", s->o->params[i].key, values[i]);
		fprintf(stderr, ") failed with status %d: %s\n", status, msg && *msg ? msg : "no message");
		free(msg);
		s->failed++;
	}
	if (sweep_table_add(&s->table, (int)k + 1, values, status, stats && *stats ? stats : NULL)) {
		fprintf(stderr, "mmusim: out of memory\n");
		s->failed++;
	}
	free(stats);
}

/* Runs points [first, last] with at most `jobs` at once. */
static void run_points(struct sweep_run *s, long first, long last, long jobs)
{
	struct running *run = calloc((size_t)jobs, sizeof *run);
	struct progress bar;
	long next = first, done = 0, total = last - first + 1, active = 0;
	if (!run) {
		s->failed++;
		return;
	}
	progress_start(&bar, s->o->progress, "sweep", "points", (uint64_t)total);
	while (done < total) {
		if (*s->stop && !s->stopped) {
			/* Passed on to every point running; no more start. */
			s->stopped = *s->stop;
			for (long j = 0; j < jobs; j++)
				if (run[j].pid)
					kill(run[j].pid, s->stopped);
			total = done + active;
			next = last + 1;
		}
		while (active < jobs && next <= last) {
			pid_t pid = start_point(s, next);
			if (pid < 0) {
				fprintf(stderr, "mmusim: cannot start point %ld: %s\n", next + 1, strerror(errno));
				s->failed++;
				next++, done++;
				continue;
			}
			for (long j = 0; j < jobs; j++)
				if (!run[j].pid) {
					run[j] = (struct running){pid, next++};
					break;
				}
			active++;
		}
		if (!active)
			break;
		int ws;
		pid_t pid = waitpid(-1, &ws, 0);
		if (pid < 0 && errno == EINTR)
			continue;
		for (long j = 0; j < jobs; j++)
			if (pid > 0 && run[j].pid == pid) {
				progress_end(&bar);   /* a failure's message on a clean line */
				finish_point(s, run[j].point, ws);
				run[j].pid = 0;
				active--;
				done++;
			}
		if (pid < 0)
			break;
		progress_update(&bar, (uint64_t)done, (uint64_t)done);
	}
	progress_end(&bar);
	free(run);
}

static int plot_bytes(void *ctx, const void *data, size_t len)
{
	return outfile_write(ctx, data, len);
}

/* The CSV (standard output without --csv) and the plot, each written as
 * every output of mmusim is (traces/outfile.h): nameless until complete,
 * then renamed onto its name, so a sweep killed meanwhile leaves no
 * truncated file under it. */
static int write_outputs(struct sweep_table *t, const char *csv, const char *plot)
{
	char err[512];
	sweep_table_sort(t);
	char *text = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&text, &len);
	if (!m) {
		fprintf(stderr, "mmusim: %s: %s\n", csv ? csv : "-", strerror(errno));
		return 1;
	}
	sweep_table_write(t, m);
	bool bad = ferror(m) | (fclose(m) != 0);
	struct outfile *o = bad ? NULL : outfile_open(csv ? csv : "-", err, sizeof err);
	if (o)
		outfile_write(o, text, len);
	free(text);
	if (bad || !o || outfile_commit(o, err, sizeof err)) {
		if (bad)
			snprintf(err, sizeof err, "%s: %s", csv ? csv : "-", strerror(ENOMEM));
		errmsg_print(err);
		return 1;
	}
	const struct draw_api *draw = plot ? draw_load() : NULL;
	if (plot && !draw)
		return 1;
	if (!plot)
		return 0;
	if (!(o = outfile_open(plot, err, sizeof err))) {
		errmsg_print(err);
		return 1;
	}
	char why[512];
	if (draw->sweep_plot(t, plot_bytes, o, why, sizeof why)) {
		outfile_abort(o);
		fprintf(stderr, "mmusim: %s: %s\n", plot, why);
		return 1;
	}
	if (outfile_commit(o, err, sizeof err)) {
		errmsg_print(err);
		return 1;
	}
	return 0;
}

static int list_points(const struct sweep_opts *o, long n)
{
	const char *values[MAX_PARAMS];
	for (long k = 0; k < n; k++) {
		point_values(o, k, values);
		printf("%ld\t", k + 1);
		for (int i = 0; i < o->nparams; i++)
			printf("%s%s=%s", i ? " " : "", o->params[i].key, values[i]);
		printf("\n");
	}
	return 0;
}

static int merge(const struct sweep_opts *o)
{
	struct sweep_table t = {0};
	char err[512];
	int rc = 0;
	for (int i = 0; i < o->nbase && !rc; i++)
		if (sweep_table_read(&t, o->base[i], err, sizeof err)) {
			errmsg_print(err);
			rc = 1;
		}
	if (!rc) {
		sweep_table_sort(&t);
		for (int r = 1; r < t.nrows && !rc; r++)
			if (!strcmp(t.rows[r][0], t.rows[r - 1][0])) {
				fprintf(stderr, "mmusim: point %s is in the tables twice\n", t.rows[r][0]);
				rc = 1;
			}
	}
	if (!rc)
		rc = write_outputs(&t, o->csv, o->plot);
	sweep_table_free(&t);
	return rc;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

static int sweep(const struct sweep_opts *o, long n)
{
	struct sweep_run s = {.o = o};
	ssize_t len = readlink("/proc/self/exe", s.exe, sizeof s.exe - 1);
	const char *tmpdir = getenv("TMPDIR");
	snprintf(s.dir, sizeof s.dir, "%s/mmusim-sweep-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
	if (len <= 0 || !mkdtemp(s.dir)) {
		fprintf(stderr, "mmusim: sweep: cannot make a directory for the points: %s\n", strerror(errno));
		return 1;
	}
	s.exe[len] = 0;
	const char *names[MAX_PARAMS];
	for (int i = 0; i < o->nparams; i++)
		names[i] = o->params[i].key;
	int rc = 1;
	if (sweep_table_init(&s.table, o->nparams, names) == 0) {
		long first = o->point ? o->point - 1 : 0, last = o->point ? o->point - 1 : n - 1;
		long jobs = o->jobs ? o->jobs : sysconf(_SC_NPROCESSORS_ONLN);
		s.stop = stop_signals_catch();
		run_points(&s, first, last, jobs > 0 ? jobs : 1);
		stop_signals_release();
		rc = write_outputs(&s.table, o->csv, o->plot) || s.failed;
		if (s.stopped) {   /* the points that ended are in the outputs */
			fprintf(stderr, "mmusim: sweep: %s: the points running were stopped\n",
				s.stopped == SIGINT ? "SIGINT" : s.stopped == SIGHUP ? "SIGHUP" : "SIGTERM");
			rc = 128 + s.stopped;
		}
	}
	sweep_table_free(&s.table);
	nftw(s.dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	return rc;
}

int cmd_sweep(int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--") && strcmp(argv[i], "replay") && strcmp(argv[i], "run"); i++)
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return sweep_usage();
	struct sweep_opts o = {0};
	int rc = parse_args(argc, argv, &o);
	if (!rc && o.plot && !o.list && !draw_load())   /* before the grid runs, not after */
		rc = 1;
	if (!rc && o.merge)
		rc = merge(&o);
	else if (!rc) {
		long n = grid_size(&o);
		if (n > MAX_POINTS)
			rc = usage_error("sweep: the grid has more than %d points", MAX_POINTS);
		else if (o.point > n)
			rc = usage_error("--point %ld: the grid has %ld points", o.point, n);
		else
			rc = o.list ? list_points(&o, n) : sweep(&o, n);
	}
	for (int i = 0; i < o.nparams; i++) {
		free(o.params[i].key);
		free(o.params[i].buf);
	}
	return rc;
}
