/* gui/ — the SDL classroom view. It reads an event log (docs/event-log.md)
 * and rebuilds the page-table picture from it, fault by fault, forwards and
 * backwards; it never reaches into os/ or the live machine.
 *
 * gui_view_file shows a finished log; gui_view_fd follows a log that is
 * still being written (a live run), letting the user step through what has
 * arrived. With `headless` nothing is shown: one PNG per fault is written
 * to `frames_dir` (SDL's offscreen video driver; the same log gives the
 * same bytes). Both return a process exit status: 0, 1 when an output
 * cannot be written or SDL cannot start, 2 for a malformed log (one line on
 * standard error, "file:line: reason"). */
#ifndef MMUSIM_GUI_H
#define MMUSIM_GUI_H

#include <stdbool.h>
#include <stdio.h>

struct gui_options {
	bool headless;          /* render PNGs instead of opening a window */
	const char *frames_dir; /* headless: where fault-NNNNN.png go */
	int width, height;      /* window / frame size; 0 for 1600 x 900 */
	int first, last;        /* headless: the faults to render (1-based; 0 = all) */
	FILE *layout;           /* when set: each rendered frame's cells, one a line */
	bool lecture;           /* large type for a lecture hall (key L toggles) */
	bool predict;           /* exercise: each fault's outcome hidden until r (key p toggles) */
	const char *gif;        /* headless: an animated GIF of the faults, each in its steps */
	bool hover;             /* headless: the mouse at (hover_x, hover_y), its box drawn */
	int hover_x, hover_y;
};

int gui_view_file(const char *path, const struct gui_options *o);
int gui_view_fd(int fd, const char *name, const struct gui_options *o);

#endif
