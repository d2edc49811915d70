/* gui/'s renderer (render.c): one step of the model drawn onto an SDL
 * surface, and the layout of what was drawn (every entry cell and sharing
 * link), which the view uses for hovering and the tests for checking the
 * picture against the log. */
#ifndef MMUSIM_GUI_RENDER_H
#define MMUSIM_GUI_RENDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <SDL.h>

#include "gui/model.h"

enum cell_state { CELL_PLAIN, CELL_WALK, CELL_PATH, CELL_NEW, CELL_CHANGED };

struct layout_cell {
	SDL_Rect r;
	uint64_t table;
	uint32_t index;
	int level, state;       /* enum cell_state */
	uint64_t val;
};

/* A line drawn between places: a frame's sharing link to a process's chip,
 * two processes' entries mapping one frame, or a copy on write's frame
 * copied from to the entry now mapping its copy. */
enum link_kind { LINK_CHIP, LINK_SHARED, LINK_COPY };

struct layout_link {
	uint64_t frame;
	int pid;
	int x1, y1, x2, y2;
	int kind;               /* enum link_kind */
};

/* A TLB slot (set, way of an array) and a VMA's bar, for hovering and the
 * tests (VMAs to scale). */
struct layout_slot {
	SDL_Rect r;
	int tlb, array;
	uint32_t set, way;
	int state;              /* 0 empty, 1 valid, 2 filled in this step */
};

struct layout_vma {
	SDL_Rect r;
	uint64_t start, end;
	int pid;
};

/* A page-cache frame drawn with the sharing mark (several processes map it). */
struct layout_mark {
	uint64_t frame;         /* its physical address */
	SDL_Rect r;             /* the mark: the frame's lower third */
};

/* Every string drawn: where, its font's size in points, whether it was cut
 * (a cut string ends in "…"); for the tests' rules (text height, cuts
 * marked, hidden values absent). */
struct layout_text {
	SDL_Rect r;
	int pt;
	bool cut;
	char s[160];
};

/* A region of the picture; nothing is drawn outside it while it is current. */
struct layout_panel {
	char name[16];
	SDL_Rect r;
};

enum { LAYOUT_PANELS = 16 };

struct layout {
	struct layout_text *text;
	int ntext, tcap;
	struct layout_panel panel[LAYOUT_PANELS];
	int npanel;
	int dropped;            /* strings that did not fit their panel's height: unmarked cuts */
	struct layout_cell *cell;
	int ncell, ccap;
	struct layout_link *link;
	int nlink, lcap;
	struct layout_mark *mark;
	int nmark, mcap;
	struct layout_slot *slot;
	int nslot, scap;
	struct layout_vma *vma;
	int nvma, vcap;
	int breaks;             /* VMAs: gaps drawn as a break, not to scale */
	SDL_Rect hover;         /* the mouse's box (w 0: none) */
	int pid;                /* the process shown */
	int partner;            /* the process beside it (parent or child), or 0 */
};

/* Okabe and Ito's colour-blind-safe palette, each colour one meaning (the
 * legend in render.c names them); badges and shapes repeat what colour says. */
struct theme {
	SDL_Color bg, fg, dim, panel, walk, path, fresh, changed, link, fault, victim, fill, table, hit;
	SDL_Color level[PT_MAX_LEVELS];
	SDL_Color use[USE_COUNT];
};
extern const struct theme gui_theme;

struct renderer;

struct render_state {
	size_t step, nsteps;
	int pid;                /* 0: the fault's process */
	double anim;            /* 0..1 through the step's animation; 1 = still */
	bool flash_on;          /* changed entries drawn inverted (interactive flashing) */
	bool help, playing, live;
	bool lecture;           /* large type, the walk first */
	bool predict, revealed; /* exercise: this step's outcome hidden until revealed */
	int speed;              /* steps a second */
	int hover_x, hover_y;   /* -1: none */
};

/* NULL with err when a font cannot be opened. */
struct renderer *renderer_create(int w, int h, char *err, size_t errlen);
void renderer_destroy(struct renderer *r);
int renderer_resize(struct renderer *r, int w, int h, char *err, size_t errlen);
SDL_Surface *renderer_surface(struct renderer *r);
const struct layout *renderer_layout(const struct renderer *r);
void render_frame(struct renderer *r, const struct model *m, const struct render_state *s);
/* A frame as an 8-bit RGB PNG (png.c): 0, or -1 with err filled. */
int png_write(const char *path, SDL_Surface *s, char *err, size_t errlen);
/* One line per cell, link and mark of the last frame. */
void layout_print(FILE *f, const struct layout *lay, size_t step);

#endif
