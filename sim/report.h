/* Human-readable reports: the fault inspector and the statistics. */
#ifndef MMUSIM_REPORT_H
#define MMUSIM_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "os/os.h"

/* One readable block per fault; with colour, ANSI escapes mark the
 * labels, the outcome and the entries' old and new values. */
void report_fault(FILE *f, const struct kernel *k, const struct fault_record *r);
void report_fault_color(FILE *f, const struct kernel *k, const struct fault_record *r, bool color);
/* A subscriber printing every fault to the FILE given as ctx. */
struct fault_printer {
	FILE *out;
	const struct kernel *k;
	bool color;
};

/* --color[=auto|always|never]: auto colours only a terminal, and not when
 * NO_COLOR is set to a non-empty value (https://no-color.org). */
enum color_mode { COLOR_AUTO, COLOR_ALWAYS, COLOR_NEVER };
bool color_wanted(enum color_mode mode, FILE *f);
/* 1 when arg is --color or --color=WHEN (mode set), 0 when it is another
 * option, -1 for a WHEN that is none of the three. */
int color_option(const char *arg, enum color_mode *mode);
void report_fault_event(void *ctx, const struct os_event *ev);
void report_stats(FILE *f, const struct kernel *k);

#endif
