/* The simulated machine `run` and `replay` build from their options. */
#ifndef MMUSIM_MACHINE_H
#define MMUSIM_MACHINE_H

#include "os/os.h"
#include "presets/preset.h"
#include "traces/traces.h"

#define MACHINE_MAX_SETTINGS 32

/* From the command line (sim/options.h). */
struct machine_opts {
	const char *preset, *personality, *mem, *swap, *root;   /* NULL: not given */
	const char *cpus;                                       /* --cpus N: the preset's smp.cpus */
	const char *disk_limit;                                 /* --disk-limit SIZE|none */
	const char *set[MACHINE_MAX_SETTINGS];                  /* --set KEY=VALUE: the preset's keys changed */
	int nset;
};

/* --personality into oc (after os_config_default): 0, or 2 after a usage
 * message. */
int machine_personality(const char *name, struct os_config *oc);
/* The preset (o->preset, or the default for arch and oc's personality)
 * with --mem applied, and oc's swap area and THP policy from --swap and the
 * preset: 0, or 2 after a one-line message. */
int machine_load(const struct machine_opts *o, enum mmu_arch arch, struct os_config *oc, struct preset *p);

/* The kernel for p and oc, its files below `root` (NULL: the working
 * directory): NULL after a one-line message. */
struct kernel *machine_kernel(const struct preset *p, const struct os_config *oc, const char *root);
/* An event log of k at path, subscribed to k's events: NULL after a
 * one-line message. */
struct eventlog *machine_eventlog(const char *path, struct kernel *k, const struct eventlog_info *info);
/* Finishes *log (if any; *log is NULL after): 0, or 1 after a message. */
int machine_eventlog_finish(struct eventlog **log, const struct kernel *k);

#endif
