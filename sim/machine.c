/* The machine both `run` and `replay` simulate: a preset, a personality,
 * physical memory and swap. */
#include "machine.h"

#include <stdio.h>

#include "commands.h"

int machine_personality(const char *name, struct os_config *oc)
{
	if (!name)
		return 0;
	int p = personality_by_name(name);
	if (p < 0)
		return usage_error("unknown personality '%s' (linux, xnu, liteos)", name);
	oc->personality = (enum personality)p;
	return 0;
}

/* The machine a program or trace runs on when no preset is named. */
static const char *default_preset(enum mmu_arch arch, enum personality pers)
{
	if (arch == ARCH_X86_64)
		return "skylake";
	return pers == PERS_XNU ? "apple16k" : "cortex-a76";
}

/* --mem / --swap: a size in whole pages of the preset. */
static int page_multiple(const char *opt, const char *text, const struct preset *p, uint64_t *out)
{
	unsigned long long v = parse_size(text);
	if (!v || v % (1ull << p->mmu.fmt->page_shift)) {
		fprintf(stderr, "mmusim: %s %s: not a size that is a multiple of the %u KiB page\n", opt, text,
			1u << (p->mmu.fmt->page_shift - 10));
		return 2;
	}
	*out = v;
	return 0;
}

int machine_load(const struct machine_opts *o, enum mmu_arch arch, struct os_config *oc, struct preset *p)
{
	char err[512];
	if (preset_load(o->preset ? o->preset : default_preset(arch, oc->personality), p, err, sizeof err)) {
		fprintf(stderr, "mmusim: %s\n", err);
		return 2;
	}
	if ((o->mem && page_multiple("--mem", o->mem, p, &p->mmu.phys_size)) ||
	    (o->swap && page_multiple("--swap", o->swap, p, &oc->swap_bytes)))
		return 2;
	oc->thp = p->thp;
	return 0;
}
