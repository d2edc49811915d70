/* The subcommands of mmusim, one file each. */
#ifndef MMUSIM_COMMANDS_H
#define MMUSIM_COMMANDS_H

int cmd_presets(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_convert(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_view(int argc, char **argv);

/* The view's options (--headless, --frames DIR, --size WxH, --first N,
 * --last N, --fault N, --layout), shared by view, run --view and replay
 * --view: 1 when argv[*i] was one (*i moves past its value), 0 when not,
 * minus the exit status of a usage error. */
struct gui_options;
int view_option(int argc, char **argv, int *i, struct gui_options *o);
/* 0, or the status of a usage error for options that do not go together. */
int view_check(const struct gui_options *o);

/* Prints "mmusim: <message> (try mmusim --help)" and returns 2. */
int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
