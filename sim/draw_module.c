/* mmusim-draw.so: the drawing code's entry points, for draw_load. */
#include "draw.h"
#include "gui.h"
#include "sweep.h"

__attribute__((visibility("default"))) const struct draw_api mmusim_draw_api = {
	.view_file = gui_view_file,
	.view_fd = gui_view_fd,
	.sweep_plot = sweep_plot,
};
