/* The subcommands of mmusim, one file each. */
#ifndef MMUSIM_COMMANDS_H
#define MMUSIM_COMMANDS_H

#include <stdbool.h>

int cmd_presets(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_convert(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_view(int argc, char **argv);
int cmd_sweep(int argc, char **argv);
int cmd_quiz(int argc, char **argv);

/* The view's options (--headless, --frames DIR, --size WxH, --first N,
 * --last N, --fault N, --layout), shared by view, run --view and replay
 * --view: 1 when argv[*i] was one (*i moves past its value), 0 when not,
 * minus the exit status of a usage error. */
struct gui_options;
int view_option(int argc, char **argv, int *i, struct gui_options *o);
/* 0, or the status of a usage error for options that do not go together. */
int view_check(const struct gui_options *o);
/* For run and replay: the view's options only with --view, not with --events. */
int view_options_check(bool view, const char *events, const struct gui_options *o);
/* --view on run and replay: body(ctx, events) runs in a child process with
 * its event log going to a pipe ("/dev/fd/N"), the view reads it as it
 * comes. Returns the view's error status, else the simulation's. */
int view_live(const struct gui_options *o, const char *name, int (*body)(void *ctx, const char *events), void *ctx);

/* `mmusim CMD ... --help`: prints CMD's usage and returns 0; -1 when argv
 * does not ask for it (sweep answers its own). */
int command_help(const char *cmd, int argc, char **argv);

/* Prints "mmusim: <message> (try mmusim --help)" and returns 2. */
int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
