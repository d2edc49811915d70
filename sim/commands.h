/* The subcommands of mmusim, one file each. */
#ifndef MMUSIM_COMMANDS_H
#define MMUSIM_COMMANDS_H

int cmd_presets(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_convert(int argc, char **argv);
int cmd_run(int argc, char **argv);

/* Prints "mmusim: <message> (try mmusim --help)" and returns 2. */
int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
