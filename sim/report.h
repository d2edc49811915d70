/* Human-readable reports: the fault inspector and the statistics. */
#ifndef MMUSIM_REPORT_H
#define MMUSIM_REPORT_H

#include <stdio.h>

#include "os.h"

/* One readable block per fault. */
void report_fault(FILE *f, const struct kernel *k, const struct fault_record *r);
/* A subscriber printing every fault to the FILE given as ctx. */
struct fault_printer {
	FILE *out;
	const struct kernel *k;
};
void report_fault_event(void *ctx, const struct os_event *ev);
void report_stats(FILE *f, const struct kernel *k);

#endif
