/* The options run and replay share (options.h). */
#include "sim/options.h"

#include <string.h>

#include "sim/commands.h"

/* --set KEY=VALUE: a preset key changed, at most MACHINE_MAX_SETTINGS. */
static int set_option(int argc, char **argv, int *i, struct machine_opts *m)
{
	if (++*i == argc || !strchr(argv[*i], '=') || argv[*i][0] == '=')
		return -usage_error("--set needs KEY=VALUE (a preset key, e.g. tlb.l1d.arrays[0].entries=32)");
	if (m->nset == MACHINE_MAX_SETTINGS)
		return -usage_error("at most %d --set settings", MACHINE_MAX_SETTINGS);
	m->set[m->nset++] = argv[*i];
	return 1;
}

/* Where the value of option `a` goes, or NULL when `a` takes none. */
static const char **value_of(const char *a, struct sim_opts *o)
{
	const struct {
		const char *name;
		const char **value;
	} options[] = {
		{"--preset", &o->m.preset},
		{"--personality", &o->m.personality},
		{"--mem", &o->m.mem},
		{"--swap", &o->m.swap},
		{"--root", &o->m.root},
		{"--cpus", &o->m.cpus},
		{"--disk-limit", &o->m.disk_limit},
		{"--events", &o->events},
		{"--record", &o->record},
	};
	for (size_t k = 0; k < sizeof options / sizeof options[0]; k++)
		if (!strcmp(a, options[k].name))
			return options[k].value;
	return NULL;
}

/* --view, --faults, --stats: where the flag goes, or NULL. */
static bool *flag_of(const char *a, struct sim_opts *o)
{
	if (!strcmp(a, "--view"))
		return &o->view;
	if (!strcmp(a, "--faults"))
		return &o->faults;
	if (!strcmp(a, "--stats"))
		return &o->stats;
	if (!strcmp(a, "--check-tlb"))
		return &o->check_tlb;
	return NULL;
}

int sim_option(int argc, char **argv, int *i, struct sim_opts *o)
{
	int v = view_option(argc, argv, i, &o->gui);
	if (!v)
		v = output_option(argc, argv, i, &o->out);
	if (v)
		return v;
	const char *a = argv[*i];
	if (!strcmp(a, "--set"))
		return set_option(argc, argv, i, &o->m);
	bool *flag = flag_of(a, o);
	if (flag) {
		*flag = true;
		return 1;
	}
	const char **value = value_of(a, o);
	if (!value)
		return 0;
	if (++*i == argc)
		return -usage_error("%s needs a value", a);
	*value = argv[*i];
	return 1;
}

int sim_options_check(const struct sim_opts *o)
{
	return view_options_check(o->view, o->events, &o->gui);
}
