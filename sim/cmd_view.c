/* mmusim view EVENTS.jsonl: the classroom view of an event log (gui/).
 * Exit status: 0, 1 when SDL cannot start or a frame cannot be written,
 * 2 for a usage error or a malformed log. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sim/commands.h"
#include "sim/draw.h"
#include "sim/stop.h"
#include "gui/gui.h"

static int parse_count(const char *opt, const char *s, int *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v <= 0 || v > 1 << 30)
		return usage_error("%s needs a positive number, not '%s'", opt, s);
	*out = (int)v;
	return 0;
}

int view_option(int argc, char **argv, int *i, struct gui_options *o)
{
	const char *a = argv[*i];
	if (!strcmp(a, "--headless")) {
		o->headless = true;
		return 1;
	}
	if (!strcmp(a, "--layout")) {
		o->layout = stdout;
		return 1;
	}
	if (!strcmp(a, "--lecture") || !strcmp(a, "--predict")) {
		*(a[2] == 'l' ? &o->lecture : &o->predict) = true;
		return 1;
	}
	if (strcmp(a, "--frames") && strcmp(a, "--size") && strcmp(a, "--first") && strcmp(a, "--last") &&
	    strcmp(a, "--fault") && strcmp(a, "--gif") && strcmp(a, "--hover"))
		return 0;
	if (++*i == argc)
		return -usage_error("%s needs a value", a);
	const char *v = argv[*i];
	if (!strcmp(a, "--frames"))
		o->frames_dir = v;
	else if (!strcmp(a, "--gif"))
		o->gif = v;
	else if (!strcmp(a, "--hover")) {
		char comma, extra;
		if (sscanf(v, "%d%c%d%c", &o->hover_x, &comma, &o->hover_y, &extra) != 3 || comma != ',' || o->hover_x < 0 ||
		    o->hover_y < 0)
			return -usage_error("--hover needs X,Y (the mouse's place in the picture), not '%s'", v);
		o->hover = true;
	}
	else if (!strcmp(a, "--size")) {
		char x;
		if (sscanf(v, "%d%c%d", &o->width, &x, &o->height) != 3 || x != 'x' || o->width < 640 ||
		    o->height < 400 || o->width > 8192 || o->height > 8192)
			return -usage_error("--size needs WIDTHxHEIGHT, at least 640x400, not '%s'", v);
	} else if (!strcmp(a, "--first"))
		return parse_count(a, v, &o->first) ? -2 : 1;
	else if (!strcmp(a, "--last"))
		return parse_count(a, v, &o->last) ? -2 : 1;
	else if (!strcmp(a, "--fault")) {
		if (parse_count(a, v, &o->first))
			return -2;
		o->last = o->first;
	}
	return 1;
}

int view_check(const struct gui_options *o)
{
	if (o->headless && !o->frames_dir && !o->layout && !o->gif)
		return usage_error("--headless needs --frames DIR (or --gif FILE, --layout)");
	if (!o->headless && (o->frames_dir || o->layout || o->gif || o->hover))
		return usage_error("--frames, --gif, --layout and --hover go with --headless");
	if (o->first && o->last && o->last < o->first)
		return usage_error("--last %d comes before --first %d", o->last, o->first);
	return 0;
}

int view_options_check(bool view, const char *events, const struct gui_options *o)
{
	if (!view && (o->headless || o->frames_dir || o->layout || o->first || o->last || o->width || o->lecture ||
		      o->predict || o->gif || o->hover))
		return usage_error("--headless, --frames, --size, --first, --last, --fault, --layout, --hover, --lecture and --predict go with --view");
	if (view && events)
		return usage_error("--view shows the event log as it is made; leave out --events (or view it later)");
	return view ? view_check(o) : 0;
}

int view_live(const struct gui_options *o, const char *name, int (*body)(void *ctx, const char *events), void *ctx)
{
	const struct draw_api *draw = draw_load();   /* before the simulation starts */
	if (!draw)
		return 1;
	int p[2];
	if (pipe(p)) {
		fprintf(stderr, "mmusim: cannot make a pipe for the view: %s\n", strerror(errno));
		return 1;
	}
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	if (pid < 0) {
		fprintf(stderr, "mmusim: cannot fork for the view: %s\n", strerror(errno));
		close(p[0]);
		close(p[1]);
		return 1;
	}
	if (pid == 0) {   /* the simulation: its event log into the pipe */
		close(p[0]);
		signal(SIGPIPE, SIG_DFL);   /* the view gone: it ends as a writer to a closed pipe does */
		stop_signals_keep_sigpipe();
		char path[32];
		snprintf(path, sizeof path, "/dev/fd/%d", p[1]);
		int rc = body(ctx, path);
		fflush(stdout);
		exit(rc);
	}
	close(p[1]);
	int rc = draw->view_fd(p[0], name, o);
	/* A view closed before the log ended ends the simulation, quietly: with
	 * SIGPIPE, as its next write would. Not SIGTERM: that is a user's stop,
	 * which notes itself on stderr and exits 143, or not, as the race with
	 * the pipe's closing goes (the gui test failed now and then on it). */
	char c;
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	bool ended = read(p[0], &c, 1) == 0;
	close(p[0]);
	if (!ended)
		kill(pid, SIGPIPE);
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (rc)
		return rc;
	if (WIFSIGNALED(st))
		return !ended || WTERMSIG(st) == SIGPIPE ? 0 : 128 + WTERMSIG(st);
	return WEXITSTATUS(st);
}

int cmd_view(int argc, char **argv)
{
	struct gui_options o = {0};
	const char *path = NULL;
	for (int i = 1; i < argc; i++) {
		int r = view_option(argc, argv, &i, &o);
		if (r < 0)
			return -r;
		if (r)
			continue;
		if (argv[i][0] == '-' && argv[i][1])
			return usage_error("unknown option '%s' for view", argv[i]);
		if (path)
			return usage_error("view takes one event log, not '%s' too", argv[i]);
		path = argv[i];
	}
	if (!path)
		return usage_error("view needs an event log (mmusim run/replay --events FILE; - for standard input)");
	int rc = view_check(&o);
	if (rc)
		return rc;
	const struct draw_api *draw = draw_load();
	if (!draw)
		return 1;
	if (!strcmp(path, "-"))
		return draw->view_fd(STDIN_FILENO, "<stdin>", &o);
	return draw->view_file(path, &o);
}
