/* The options `run` and `replay` share, parsed in one place: the machine
 * (--preset, --set, --personality, --mem, --swap, --root), what is shown
 * (--faults, --stats, --view and the view's options) and what is written
 * (--events, --record, --chrome-trace, --stats-json; --color, --progress). */
#ifndef MMUSIM_SIM_OPTIONS_H
#define MMUSIM_SIM_OPTIONS_H

#include <stdbool.h>

#include "gui/gui.h"
#include "sim/machine.h"
#include "sim/outputs.h"

struct sim_opts {
	struct machine_opts m;
	const char *events, *record;   /* NULL: not given */
	bool faults, stats, view;
	bool check_tlb;                /* --check-tlb */
	struct gui_options gui;        /* --view's options */
	struct output_opts out;
};

/* 1 when argv[*i] is one of them (*i moves past its value), 0 when not,
 * minus the status of a usage error. */
int sim_option(int argc, char **argv, int *i, struct sim_opts *o);
/* Once all are parsed: 0, or the status of a usage error for options that
 * do not go together. */
int sim_options_check(const struct sim_opts *o);

#endif
