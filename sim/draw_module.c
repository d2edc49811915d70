/* mmusim-draw.so: the drawing code's entry points, for draw_load. */
#include "sim/draw.h"
#include "gui/gui.h"
#include "sim/sweep.h"

__attribute__((visibility("default"))) const struct draw_api mmusim_draw_api = {
	.view_file = gui_view_file,
	.view_fd = gui_view_fd,
	.sweep_plot = sweep_plot,
};
