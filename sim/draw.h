/* What draws pictures — the classroom view (gui/: SDL, SDL_ttf, libpng)
 * and the sweep plot (cairo) — lives in a module of its own,
 * mmusim-draw.so, loaded the first time a picture is wanted. A run or a
 * replay that draws nothing does not load SDL, cairo and the fifty-odd
 * libraries behind them (about 8 MiB of resident memory in every run). */
#ifndef MMUSIM_DRAW_H
#define MMUSIM_DRAW_H

#include <stddef.h>

struct gui_options;
struct sweep_table;

struct draw_api {
	int (*view_file)(const char *path, const struct gui_options *o);          /* gui_view_file */
	int (*view_fd)(int fd, const char *name, const struct gui_options *o);    /* gui_view_fd */
	int (*sweep_plot)(const struct sweep_table *t, int (*write)(void *ctx, const void *data, size_t len), void *ctx,
			  char *err, size_t errlen);                               /* sweep_plot */
};

/* The module's table (draw_module.c). */
#define DRAW_API_SYMBOL "mmusim_draw_api"

/* The module, loaded once: next to the mmusim binary (a build directory)
 * or where `cmake --install` put it. NULL, after one line on standard
 * error saying why, when it cannot be loaded. */
const struct draw_api *draw_load(void);

#endif
