/* A progress bar on standard error, for long replays and sweeps. It is
 * drawn only when standard error is a terminal (or when forced), at most
 * ten times a second, and erased when the work ends. */
#ifndef MMUSIM_PROGRESS_H
#define MMUSIM_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>

enum progress_mode { PROGRESS_AUTO, PROGRESS_ALWAYS, PROGRESS_NEVER };

struct progress {
	bool on;
	const char *label;    /* "replay", "sweep" */
	const char *unit;     /* what `done` counts: "records", "points" */
	uint64_t total;       /* 0: unknown (a counter, no bar) */
	uint64_t last_ms;     /* when it was last drawn */
	bool drawn;
};

/* --progress / --no-progress: 1 when argv[i] is one (mode set), else 0. */
int progress_option(const char *arg, enum progress_mode *mode);
void progress_start(struct progress *p, enum progress_mode mode, const char *label, const char *unit, uint64_t total);
/* `done` of total; `count` is shown beside the bar (records, points). */
void progress_update(struct progress *p, uint64_t done, uint64_t count);
/* Erases the bar. */
void progress_end(struct progress *p);

#endif
