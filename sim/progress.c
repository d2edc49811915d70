/* The progress bar: "\r label [#####.....]  42%  1234567 records", redrawn
 * in place; a line of its own that progress_end clears, so that what else
 * goes to standard error afterwards starts at the left margin. */
#include "sim/progress.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { BAR_WIDTH = 30 };

int progress_option(const char *arg, enum progress_mode *mode)
{
	if (!strcmp(arg, "--progress"))
		*mode = PROGRESS_ALWAYS;
	else if (!strcmp(arg, "--no-progress"))
		*mode = PROGRESS_NEVER;
	else
		return 0;
	return 1;
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void progress_start(struct progress *p, enum progress_mode mode, const char *label, const char *unit, uint64_t total)
{
	memset(p, 0, sizeof *p);
	p->on = mode == PROGRESS_ALWAYS || (mode == PROGRESS_AUTO && isatty(STDERR_FILENO));
	p->label = label;
	p->unit = unit;
	p->total = total;
}

static void draw(struct progress *p, uint64_t done, uint64_t count)
{
	if (!p->total) {
		fprintf(stderr, "\r%s  %" PRIu64 " %s\033[K", p->label, count, p->unit);
	} else {
		if (done > p->total)
			done = p->total;
		int filled = (int)(done * BAR_WIDTH / p->total);
		char bar[BAR_WIDTH + 1];
		memset(bar, '#', (size_t)filled);
		memset(bar + filled, '.', (size_t)(BAR_WIDTH - filled));
		bar[BAR_WIDTH] = 0;
		fprintf(stderr, "\r%s [%s] %3d%%  %" PRIu64 " %s\033[K", p->label, bar, (int)(done * 100 / p->total),
			count, p->unit);
	}
	fflush(stderr);
	p->drawn = true;
}

void progress_update(struct progress *p, uint64_t done, uint64_t count)
{
	if (!p->on)
		return;
	uint64_t t = now_ms();
	if (p->drawn && t - p->last_ms < 100 && done != p->total)
		return;
	p->last_ms = t;
	draw(p, done, count);
}

void progress_end(struct progress *p)
{
	if (p->on && p->drawn)
		fputs("\r\033[K", stderr);
	fflush(stderr);
	p->drawn = false;
}
