/* Machine presets: JSON files in presets/ that give every number the
 * hardware model uses (see docs/presets.md for the keys). */
#ifndef MMUSIM_PRESET_H
#define MMUSIM_PRESET_H

#include <stddef.h>

#include "mmu/mmu.h"

struct preset {
	char name[64];
	char description[256];
	char path[512];
	struct mmu_config mmu;
	int thp;            /* THP_NEVER, THP_MADVISE, THP_ALWAYS (os.h) */
	double clock_ghz;   /* the clock its cycle figures assume; 0: not given */
};

/* Parse a preset from JSON text; `origin` names it in error messages.
 * Returns 0, or -1 with a one-line reason naming the offending key. */
int preset_parse(const char *json, const char *origin, struct preset *out, char *err, size_t errlen);
/* Load by file path, or by name from the preset directory. */
int preset_load(const char *name_or_path, struct preset *out, char *err, size_t errlen);
/* The same, with settings "KEY=VALUE" applied to the JSON first (--set):
 * KEY is a path of the preset's keys, "tlb.l1d.arrays[0].entries" (or
 * arrays.0.entries); VALUE is JSON if it parses as JSON, else a string. */
int preset_load_set(const char *name_or_path, const char *const *set, int nset, struct preset *out, char *err,
		    size_t errlen);
/* The directory searched for presets by name: $MMUSIM_PRESETS, else the
 * bundled presets (the source tree's presets/ unless preset_set_dir). */
const char *preset_dir(void);
/* Where the bundled presets are when not in the source tree (an installed
 * mmusim's share/mmusim/presets); `dir` must outlive its use. */
void preset_set_dir(const char *dir);
/* Names of the bundled presets, sorted; returns how many (at most max). */
int preset_list(char names[][64], int max);

/* "4K" -> 4096; accepts K, M, G suffixes. Returns 0 when malformed. */
unsigned long long parse_size(const char *s);

#endif
