/* Loading mmusim-draw.so (see draw.h). */
#include <dlfcn.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sim/draw.h"
#include "sim/install.h"

#ifndef MMUSIM_DRAW_INSTALLED
#define MMUSIM_DRAW_INSTALLED "../lib/mmusim/mmusim-draw.so"   /* relative to the binary's directory */
#endif

/* dir/name into buf; false if it does not fit. */
static bool join(char *buf, size_t len, const char *dir, const char *name)
{
	int n = snprintf(buf, len, "%s/%s", dir, name);
	return n > 0 && (size_t)n < len;
}

const struct draw_api *draw_load(void)
{
	static const struct draw_api *api;
	if (api)
		return api;
	char dir[PATH_MAX], path[PATH_MAX + 64];
	if (!exe_dir(dir, sizeof dir)) {
		fprintf(stderr, "mmusim: cannot find the drawing module: /proc/self/exe unreadable\n");
		return NULL;
	}
	const char *const candidates[] = {"mmusim-draw.so", MMUSIM_DRAW_INSTALLED};
	char why[512] = "not found";
	for (size_t i = 0; i < sizeof candidates / sizeof candidates[0]; i++) {
		if (!join(path, sizeof path, dir, candidates[i]) || access(path, R_OK))
			continue;
		void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
		const struct draw_api *a = h ? dlsym(h, DRAW_API_SYMBOL) : NULL;
		if (a)
			return api = a;
		snprintf(why, sizeof why, "%s", h ? "not mmusim's drawing module" : dlerror());
		if (h)
			dlclose(h);
	}
	fprintf(stderr, "mmusim: cannot load the drawing module (mmusim-draw.so next to %s or in %s): %s\n", dir,
		MMUSIM_DRAW_INSTALLED, why);
	return NULL;
}
