/* The renderer: draws one step of the model onto an SDL surface — the
 * faulting address split into its index fields, the process's page tables
 * with the walk path, the VMAs, the physical frames with the processes that
 * share them, the TLBs and the fault panel — and records where every entry
 * cell and sharing link went (the layout), for mouse hover and the tests.
 * Everything is drawn into a plain RGB surface with SDL_FillRect, blits of
 * SDL_ttf text and our own lines, so the same step gives the same pixels. */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <SDL_ttf.h>

#include "gui/render.h"

#define FONT_DIR "/usr/share/fonts/truetype/dejavu/"
#define FONT_SANS FONT_DIR "DejaVuSans.ttf"
#define FONT_SANS_BOLD FONT_DIR "DejaVuSans-Bold.ttf"
#define FONT_MONO FONT_DIR "DejaVuSansMono.ttf"

/* Okabe-Ito: yellow F0E442 the walk, sky blue 56B4E9 anonymous memory,
 * bluish green 009E73 new, orange E69F00 changed, vermillion D55E00 the
 * fault (a miss, a victim), reddish purple CC79A7 sharing, blue 0072B2
 * page tables (levels by lightness, named in text). Greys: the rest. */
const struct theme gui_theme = {
	.bg = {0, 0, 0, 255},
	.fg = {255, 255, 255, 255},
	.dim = {160, 160, 160, 255},
	.panel = {32, 32, 38, 255},
	.walk = {240, 228, 66, 255},
	.path = {150, 142, 40, 255},
	.fresh = {0, 158, 115, 255},
	.changed = {230, 159, 0, 255},
	.link = {204, 121, 167, 255},
	.fault = {213, 94, 0, 255},
	.victim = {213, 94, 0, 255},
	.fill = {240, 228, 66, 255},
	.table = {0, 114, 178, 255},
	.hit = {86, 180, 233, 255},
	/* by level + 1: -1 (PML5 / L-1), 0, 1, 2, 3: one blue, lighter as the walk descends */
	.level = {{0, 60, 100, 255}, {0, 80, 130, 255}, {0, 100, 160, 255}, {30, 130, 195, 255}, {80, 160, 215, 255}},
	/* free, anonymous, page table, zero page, page cache */
	.use = {{50, 50, 56, 255}, {86, 180, 233, 255}, {0, 114, 178, 255}, {255, 255, 255, 255}, {140, 140, 150, 255}},
};

struct renderer {
	SDL_Surface *surf;
	TTF_Font *mono, *mono_small, *sans, *sans_bold, *big;
	int font_px;              /* the size the fonts were opened at */
	int pt_mono, pt_small, pt_sans, pt_big;
	int m;                    /* margin */
	bool lecture;             /* the fonts are the lecture's */
	SDL_Rect clip;            /* the current panel */
	struct {                  /* the frames' grid, for hovering */
		int x, y, cell, cols, bottom;
	} fg;
	struct layout lay;
};

/* ------------------------------------------------------------ fonts, surface */

static void close_fonts(struct renderer *r)
{
	TTF_Font **f[] = {&r->mono, &r->mono_small, &r->sans, &r->sans_bold, &r->big};
	for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
		if (*f[i])
			TTF_CloseFont(*f[i]);
		*f[i] = NULL;
	}
}

/* A lecture's small type is its body type: nothing under its size. */
static int open_fonts(struct renderer *r, int px, bool lecture, char *err, size_t errlen)
{
	if (px == r->font_px && lecture == r->lecture && r->mono)
		return 0;
	close_fonts(r);
	r->pt_mono = r->pt_sans = px;
	r->pt_small = lecture ? px : px * 13 / 16 < 10 ? 10 : px * 13 / 16;   /* 10 points at least: readable */
	r->pt_big = px * 22 / 16;
	r->mono = TTF_OpenFont(FONT_MONO, r->pt_mono);
	r->mono_small = TTF_OpenFont(FONT_MONO, r->pt_small);
	r->sans = TTF_OpenFont(FONT_SANS, r->pt_sans);
	r->sans_bold = TTF_OpenFont(FONT_SANS_BOLD, r->pt_sans);
	r->big = TTF_OpenFont(FONT_SANS_BOLD, r->pt_big);
	if (!r->mono || !r->mono_small || !r->sans || !r->sans_bold || !r->big) {
		snprintf(err, errlen, "cannot open the DejaVu fonts in %s: %s", FONT_DIR, TTF_GetError());
		close_fonts(r);
		return -1;
	}
	r->font_px = px;
	r->lecture = lecture;
	return 0;
}

/* The body type's size: 16 at 1600x900 (at least 10); a lecture's 22 at
 * 1280x720 (at least 14), as large as the picture allows. */
static int font_size(int w, int h, bool lecture)
{
	if (lecture) {
		int px = (int)lround(22 * fmin(w / 1280.0, h / 720.0));
		return px < 14 ? 14 : px;
	}
	int px = (int)lround(16 * fmin(w / 1600.0, h / 900.0));
	return px < 10 ? 10 : px;
}

int renderer_resize(struct renderer *r, int w, int h, char *err, size_t errlen)
{
	if (w < 640)
		w = 640;
	if (h < 400)
		h = 400;
	if (r->surf && r->surf->w == w && r->surf->h == h)
		return 0;
	if (r->surf)
		SDL_FreeSurface(r->surf);
	r->surf = SDL_CreateRGBSurfaceWithFormat(0, w, h, 32, SDL_PIXELFORMAT_RGB888);
	if (!r->surf) {
		snprintf(err, errlen, "cannot make a %dx%d surface: %s", w, h, SDL_GetError());
		return -1;
	}
	int px = font_size(w, h, r->lecture);
	r->m = px / 2;
	return open_fonts(r, px, r->lecture, err, errlen);
}

struct renderer *renderer_create(int w, int h, char *err, size_t errlen)
{
	if (!TTF_WasInit() && TTF_Init()) {
		snprintf(err, errlen, "cannot start SDL_ttf: %s", TTF_GetError());
		return NULL;
	}
	struct renderer *r = calloc(1, sizeof *r);
	if (!r) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (renderer_resize(r, w, h, err, errlen)) {
		renderer_destroy(r);
		return NULL;
	}
	return r;
}

void renderer_destroy(struct renderer *r)
{
	if (!r)
		return;
	close_fonts(r);
	if (r->surf)
		SDL_FreeSurface(r->surf);
	free(r->lay.cell);
	free(r->lay.link);
	free(r->lay.mark);
	free(r->lay.text);
	free(r->lay.slot);
	free(r->lay.vma);
	free(r);
	if (TTF_WasInit())
		TTF_Quit();
}

SDL_Surface *renderer_surface(struct renderer *r) { return r->surf; }
const struct layout *renderer_layout(const struct renderer *r) { return &r->lay; }

/* ------------------------------------------------------------ drawing */

static Uint32 rgb(const struct renderer *r, SDL_Color c) { return SDL_MapRGB(r->surf->format, c.r, c.g, c.b); }

static SDL_Color dark(SDL_Color c, int num, int den)
{
	return (SDL_Color){(Uint8)(c.r * num / den), (Uint8)(c.g * num / den), (Uint8)(c.b * num / den), 255};
}

static void fill(struct renderer *r, int x, int y, int w, int h, SDL_Color c)
{
	SDL_Rect rect = {x, y, w, h};
	SDL_FillRect(r->surf, &rect, rgb(r, c));
}

static void outline(struct renderer *r, SDL_Rect a, SDL_Color c, int t)
{
	fill(r, a.x, a.y, a.w, t, c);
	fill(r, a.x, a.y + a.h - t, a.w, t, c);
	fill(r, a.x, a.y, t, a.h, c);
	fill(r, a.x + a.w - t, a.y, t, a.h, c);
}

/* A line t pixels thick (squares along Bresenham's line). */
static void line(struct renderer *r, int x1, int y1, int x2, int y2, SDL_Color c, int t)
{
	int dx = abs(x2 - x1), dy = -abs(y2 - y1), sx = x1 < x2 ? 1 : -1, sy = y1 < y2 ? 1 : -1;
	int e = dx + dy;
	Uint32 px = rgb(r, c);
	for (;;) {
		SDL_Rect dot = {x1 - t / 2, y1 - t / 2, t, t};
		SDL_FillRect(r->surf, &dot, px);
		if (x1 == x2 && y1 == y2)
			break;
		int e2 = 2 * e;
		if (e2 >= dy) {
			e += dy;
			x1 += sx;
		}
		if (e2 <= dx) {
			e += dx;
			y1 += sy;
		}
	}
}

static int text_width(TTF_Font *f, const char *s)
{
	int w = 0, h = 0;
	if (*s)
		TTF_SizeUTF8(f, s, &w, &h);
	return w;
}

static int font_pt(const struct renderer *r, TTF_Font *f)
{
	return f == r->mono_small ? r->pt_small : f == r->big ? r->pt_big : f == r->mono ? r->pt_mono : r->pt_sans;
}

static void lay_text(struct renderer *r, SDL_Rect a, int pt, bool cut, const char *s)
{
	struct layout *l = &r->lay;
	if (l->ntext == l->tcap) {
		int cap = l->tcap ? l->tcap * 2 : 256;
		struct layout_text *n = realloc(l->text, (size_t)cap * sizeof *n);
		if (!n)
			return;
		l->text = n;
		l->tcap = cap;
	}
	struct layout_text *t = &l->text[l->ntext++];
	t->r = a;
	t->pt = pt;
	t->cut = cut;
	size_t n = strlen(s) < sizeof t->s - 1 ? strlen(s) : sizeof t->s - 1;
	memcpy(t->s, s, n);
	t->s[n] = '\0';
}

/* The panel drawn next: everything after is clipped to it (a bug draws
 * nothing outside rather than over a neighbour) and recorded in it. */
static void begin_panel(struct renderer *r, const char *name, SDL_Rect a)
{
	struct layout *l = &r->lay;
	if (a.w < 0)
		a.w = 0;
	if (a.h < 0)
		a.h = 0;
	r->clip = a;
	SDL_SetClipRect(r->surf, &a);
	if (l->npanel < LAYOUT_PANELS) {
		snprintf(l->panel[l->npanel].name, sizeof l->panel[0].name, "%s", name);
		l->panel[l->npanel++].r = a;
	}
}

static void end_panels(struct renderer *r)
{
	r->clip = (SDL_Rect){0, 0, r->surf->w, r->surf->h};
	SDL_SetClipRect(r->surf, NULL);
}

/* The longest prefix of s (whole UTF-8 characters) that, with "…" after
 * it, fits in w pixels, into buf. */
static void ellipsize(TTF_Font *f, const char *s, int w, char *buf, size_t len)
{
	size_t n = strlen(s), lo = 0;
	for (size_t i = 1; i <= n && i + 4 < len; i++) {
		if ((s[i] & 0xc0) == 0x80)
			continue;
		memcpy(buf, s, i);
		strcpy(buf + i, "\u2026");
		if (text_width(f, buf) > w)
			break;
		lo = i;
	}
	while (lo && s[lo - 1] == ' ')
		lo--;
	memcpy(buf, s, lo);
	strcpy(buf + lo, "\u2026");
}

/* Draws s at (x, y) within max_w (0: to the panel's edge); what does not
 * fit is cut and marked "…". A line below the panel's bottom is not drawn
 * (counted as dropped: the layout must leave room). Returns the width. */
static int text(struct renderer *r, TTF_Font *f, const char *s, int x, int y, SDL_Color c, int max_w)
{
	if (!*s)
		return 0;
	int edge = r->clip.x + r->clip.w - x;
	if (max_w <= 0 || max_w > edge)
		max_w = edge;
	int h = TTF_FontHeight(f);
	if (y + h > r->clip.y + r->clip.h + 2 || max_w <= 0) {
		r->lay.dropped++;
		return 0;
	}
	char buf[600];
	bool cut = text_width(f, s) > max_w;
	if (cut) {
		ellipsize(f, s, max_w, buf, sizeof buf);
		if (text_width(f, buf) > max_w) {
			r->lay.dropped++;
			return 0;
		}
		s = buf;
	}
	SDL_Surface *t = TTF_RenderUTF8_Blended(f, s, c);
	if (!t)
		return 0;
	SDL_Rect dst = {x, y, 0, 0};
	SDL_BlitSurface(t, NULL, r->surf, &dst);
	int w = t->w;
	lay_text(r, (SDL_Rect){x, y, w, h}, font_pt(r, f), cut, s);
	SDL_FreeSurface(t);
	return w;
}

static int textf(struct renderer *r, TTF_Font *f, int x, int y, SDL_Color c, int max_w, const char *fmt, ...)
	__attribute__((format(printf, 7, 8)));
static int textf(struct renderer *r, TTF_Font *f, int x, int y, SDL_Color c, int max_w, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	return text(r, f, buf, x, y, c, max_w);
}

/* Word-wraps s into width w from (x, y); returns the height used. A
 * continuation line is indented by `indent` pixels. */
static int text_wrapped(struct renderer *r, TTF_Font *f, const char *s, int x, int y, int w, SDL_Color c,
			int indent, int max_lines)
{
	int lh = TTF_FontLineSkip(f), lines = 0;
	int room = (r->clip.y + r->clip.h - y) / lh;   /* no line below the panel */
	if (max_lines > room)
		max_lines = room;
	char buf[1024];
	while (*s && lines < max_lines) {
		int avail = w - (lines ? indent : 0);
		size_t n = strlen(s), fit = 0;
		/* the longest prefix ending at a space (or the whole rest) that fits */
		for (size_t i = 1; i <= n && i < sizeof buf; i++) {
			if (i < n && s[i] != ' ')
				continue;
			memcpy(buf, s, i);
			buf[i] = '\0';
			if (text_width(f, buf) > avail && fit)
				break;
			fit = i;
			if (text_width(f, buf) > avail)
				break;
		}
		if (!fit)
			fit = n < sizeof buf - 1 ? n : sizeof buf - 1;
		memcpy(buf, s, fit);
		buf[fit] = '\0';
		if (lines + 1 == max_lines && fit < n) {   /* the last line: the rest, cut and marked */
			snprintf(buf, sizeof buf, "%s", s);
		}
		text(r, f, buf, x + (lines ? indent : 0), y + lines * lh, c, avail);
		lines++;
		s += fit;
		while (*s == ' ')
			s++;
	}
	return lines * lh;
}

static SDL_Color level_color(int level)
{
	int i = level + 1;
	return gui_theme.level[i < 0 ? 0 : i > 4 ? 4 : i];
}

/* ------------------------------------------------------------ layout records */

/* val: the value the cell shows (before the step while it animates or is hidden). */
static void lay_cell(struct renderer *r, SDL_Rect a, const struct gtable *t, uint32_t index, uint64_t val, int state)
{
	struct layout *l = &r->lay;
	if (l->ncell == l->ccap) {
		int cap = l->ccap ? l->ccap * 2 : 256;
		struct layout_cell *n = realloc(l->cell, (size_t)cap * sizeof *n);
		if (!n)
			return;
		l->cell = n;
		l->ccap = cap;
	}
	l->cell[l->ncell++] = (struct layout_cell){a, t->pa, index, t->level, state, val};
}

/* Room for one more element of a layout array: its address, or NULL. */
static void *lay_more(void *pp, int *n, int *cap, size_t elem)
{
	void **p = pp;
	if (*n == *cap) {
		int c = *cap ? *cap * 2 : 64;
		void *q = realloc(*p, (size_t)c * elem);
		if (!q)
			return NULL;
		*p = q;
		*cap = c;
	}
	return (char *)*p + (size_t)(*n)++ * elem;
}

static void lay_link(struct renderer *r, int kind, uint64_t frame, int pid, int x1, int y1, int x2, int y2)
{
	struct layout_link *k = lay_more(&r->lay.link, &r->lay.nlink, &r->lay.lcap, sizeof *k);
	if (k)
		*k = (struct layout_link){frame, pid, x1, y1, x2, y2, kind};
}

static void lay_slot(struct renderer *r, SDL_Rect a, int tlb, int array, uint32_t set, uint32_t way, int state)
{
	struct layout_slot *k = lay_more(&r->lay.slot, &r->lay.nslot, &r->lay.scap, sizeof *k);
	if (k)
		*k = (struct layout_slot){a, tlb, array, set, way, state};
}

static void lay_vma(struct renderer *r, SDL_Rect a, const struct gvma *g, int pid)
{
	struct layout_vma *k = lay_more(&r->lay.vma, &r->lay.nvma, &r->lay.vcap, sizeof *k);
	if (k)
		*k = (struct layout_vma){a, g->start, g->end, pid};
}

static void lay_mark(struct renderer *r, uint64_t frame, SDL_Rect a)
{
	struct layout *l = &r->lay;
	if (l->nmark == l->mcap) {
		int cap = l->mcap ? l->mcap * 2 : 64;
		struct layout_mark *n = realloc(l->mark, (size_t)cap * sizeof *n);
		if (!n)
			return;
		l->mark = n;
		l->mcap = cap;
	}
	l->mark[l->nmark++] = (struct layout_mark){frame, a};
}

void layout_print(FILE *f, const struct layout *lay, size_t step)
{
	fprintf(f, "step %zu pid %d\n", step + 1, lay->pid);
	for (int i = 0; i < lay->npanel; i++) {
		const SDL_Rect *a = &lay->panel[i].r;
		fprintf(f, "panel %s %d %d %d %d\n", lay->panel[i].name, a->x, a->y, a->w, a->h);
	}
	for (int i = 0; i < lay->ntext; i++) {
		const struct layout_text *t = &lay->text[i];
		fprintf(f, "text pt %d %s %d %d %d %d %s\n", t->pt, t->cut ? "cut" : "whole", t->r.x, t->r.y, t->r.w,
			t->r.h, t->s);
	}
	fprintf(f, "dropped %d\n", lay->dropped);
	static const char *const states[] = {"plain", "walk", "path", "new", "changed"};
	for (int i = 0; i < lay->ncell; i++) {
		const struct layout_cell *c = &lay->cell[i];
		fprintf(f, "cell table 0x%" PRIx64 " index %u level %d %s %d %d %d %d\n", c->table, c->index, c->level,
			states[c->state], c->r.x, c->r.y, c->r.w, c->r.h);
	}
	static const char *const kinds[] = {"chip", "shared", "copy"};
	for (int i = 0; i < lay->nlink; i++) {
		const struct layout_link *k = &lay->link[i];
		fprintf(f, "link %s frame 0x%" PRIx64 " pid %d %d %d %d %d\n", kinds[k->kind], k->frame, k->pid, k->x1, k->y1,
			k->x2, k->y2);
	}
	for (int i = 0; i < lay->nmark; i++) {
		const struct layout_mark *k = &lay->mark[i];
		fprintf(f, "mark frame 0x%" PRIx64 " %d %d %d %d\n", k->frame, k->r.x, k->r.y, k->r.w, k->r.h);
	}
	static const char *const tlbs[TLB_KINDS] = {"L1i", "L1d", "L2"};
	for (int i = 0; i < lay->nslot; i++) {
		const struct layout_slot *k = &lay->slot[i];
		static const char *const slot_states[] = {"empty", "valid", "filled"};
		fprintf(f, "slot %s array %d set %u way %u %s %d %d %d %d\n", tlbs[k->tlb], k->array, k->set, k->way,
			slot_states[k->state], k->r.x, k->r.y, k->r.w, k->r.h);
	}
	for (int i = 0; i < lay->nvma; i++) {
		const struct layout_vma *k = &lay->vma[i];
		fprintf(f, "vma pid %d 0x%" PRIx64 "-0x%" PRIx64 " %d %d %d %d\n", k->pid, k->start, k->end, k->r.x, k->r.y,
			k->r.w, k->r.h);
	}
	fprintf(f, "breaks %d partner %d\n", lay->breaks, lay->partner);
	if (lay->hover.w)
		fprintf(f, "hover %d %d %d %d\n", lay->hover.x, lay->hover.y, lay->hover.w, lay->hover.h);
}

/* ------------------------------------------------------------ the step's changes */

#define MAX_CHANGES 512

struct step_view {
	const struct model *m;
	const struct evlog *log;
	const struct pt_format *fmt;
	const struct render_state *s;
	const struct gfault *fault;
	int pid;
	size_t begin, end;
	struct walk_cell walk[PT_MAX_LEVELS];
	int nwalk;
	struct {
		uint64_t table, old, val;
		uint32_t index;
	} change[MAX_CHANGES];
	int nchange;
	uint64_t new_table[64];
	int nnew_table;
	const struct gev *fill[TLB_KINDS];  /* the step's last fill of each TLB */
	const struct mappers *mp;           /* per frame: who maps it (before the step while its entries are) */
	const uint8_t *use;                 /* per frame: its use (before the step until "allocate") */
	int partner;                        /* the process beside the shown one: its parent or child, or 0 */
	bool is_partner;                    /* this view draws the partner: its walk as a path, not the fault's */
};

static void note_change(struct step_view *v, uint64_t table, uint32_t index, uint64_t old, uint64_t val)
{
	int j;
	for (j = 0; j < v->nchange; j++)
		if (v->change[j].table == table && v->change[j].index == index)
			break;
	if (j == v->nchange) {
		if (v->nchange == MAX_CHANGES)
			return;
		v->nchange++;
		v->change[j].table = table;
		v->change[j].index = index;
		v->change[j].old = old;
	}
	v->change[j].val = val;
}

/* The step's changes: a fault's are the entries its handler wrote (its
 * record's ptes), not what came before it in the step (a fork copying
 * tables, an exit tearing them down): those are the state it met. The new
 * tables are those the handler linked in. */
static void collect_changes(struct step_view *v)
{
	const struct gfault *f = v->fault;
	for (size_t i = v->begin; i < v->end; i++) {
		const struct gev *e = &v->log->ev[i];
		if (e->kind == GEV_TLB_FILL)
			v->fill[e->tlb] = e;
		if (e->kind == GEV_PTE && !f)
			note_change(v, e->pa, e->index, e->old, e->val);
	}
	if (!f)
		return;
	for (int i = 0; i < f->nptes; i++) {
		const struct gpte *p = &f->ptes[i];
		note_change(v, p->table, p->index, p->old, p->val);
		struct pte d = pte_decode(v->fmt, p->level, p->val);
		if (!p->old && d.kind == PTE_TABLE && v->nnew_table < 64)
			v->new_table[v->nnew_table++] = d.oa;
	}
}

static int find_change(const struct step_view *v, uint64_t table, uint32_t index)
{
	for (int j = 0; j < v->nchange; j++)
		if (v->change[j].table == table && v->change[j].index == index)
			return j;
	return -1;
}

static bool is_new_table(const struct step_view *v, uint64_t pa)
{
	for (int i = 0; i < v->nnew_table; i++)
		if (v->new_table[i] == pa)
			return true;
	return false;
}

/* The state of an entry cell: on the walk (down to the faulting level), on
 * the path below it, written in this step, or plain. */
static int cell_state(const struct step_view *v, const struct gtable *t, uint32_t index)
{
	for (int i = 0; i < v->nwalk; i++) {
		if (v->walk[i].table != t->pa || v->walk[i].index != index)
			continue;
		/* the walk descends level by level while the step animates */
		if (v->s->anim < 1.0 && i > (int)(v->s->anim * 6 * (v->nwalk + 1)))
			break;
		return v->fault && !v->is_partner && v->walk[i].level <= v->fault->level ? CELL_WALK : CELL_PATH;
	}
	int c = find_change(v, t->pa, index);
	if (c >= 0)
		return v->change[c].old ? CELL_CHANGED : CELL_NEW;
	return CELL_PLAIN;
}

/* ------------------------------------------------------------ entries */

/* The entry's bits in a few letters: "RW US A D NX" or "AP01 AF nG UXN DBM" (T: a table). */
static void entry_flags(const struct pt_format *fmt, int level, uint64_t raw, char *buf, size_t len)
{
	struct pte p = pte_decode(fmt, level, raw);
	if (p.kind == PTE_INVALID) {
		snprintf(buf, len, "%s", raw ? "swap/none" : "-");
		return;
	}
	if (fmt->arch == ARCH_X86_64) {
		snprintf(buf, len, "%s%s %s%s%s%s%s", p.kind == PTE_TABLE ? "T " : p.kind == PTE_BLOCK ? "PS " : "",
			 p.write ? "RW" : "RO", p.user ? "US" : "S", p.accessed ? " A" : "", p.dirty ? " D" : "",
			 p.global ? " G" : "", p.nx ? " NX" : "");
		return;
	}
	if (p.kind == PTE_TABLE) {
		snprintf(buf, len, "T%s%s%s", p.nx ? " UXNT" : "", p.pxn ? " PXNT" : "", p.write ? "" : " APT1");
		return;
	}
	unsigned ap = (p.user ? 1u : 0u) | (p.write ? 0u : 2u);
	snprintf(buf, len, "%sAP%u%u%s%s%s%s", p.kind == PTE_BLOCK ? "B " : "", ap >> 1, ap & 1, p.accessed ? " AF" : "",
		 p.global ? "" : " nG", p.nx ? " UXN" : "", p.dbm ? " DBM" : "");
}

/* Whether n more lines of height lh fit below y. */
static bool room_for(const struct renderer *r, int y, int lh, int n) { return y + n * lh <= r->clip.y + r->clip.h; }

/* The steps of a fault, in the order the animation shows them. */
enum stage { ST_WALK, ST_FAULT, ST_ALLOC, ST_WRITE, ST_RETRY, ST_FILL, ST_DONE };
static const char *const stage_names[] = {"walk", "fault", "allocate", "write entry", "retry", "TLB fill"};

static int stage_of(const struct step_view *v)
{
	if (v->s->anim >= 1.0)
		return ST_DONE;
	int st = (int)(v->s->anim * ST_DONE);
	return st < 0 ? 0 : st > ST_FILL ? ST_FILL : st;
}

/* The outcome of the step is hidden: predict mode before r. */
static bool hidden(const struct step_view *v) { return v->s->predict && !v->s->revealed && v->fault; }

/* Entries show their value before the step until the animation writes
 * them (and while the outcome is hidden). */
static bool show_old(const struct step_view *v) { return hidden(v) || stage_of(v) < ST_WRITE; }

/* What an entry points at, in words: "→ table 0x6000", "→ frame 0x40",
 * "swap 0:0x12" (type, offset), "empty". */
static void entry_target(const struct pt_format *fmt, int level, uint64_t raw, char *buf, size_t len)
{
	struct pte p = pte_decode(fmt, level, raw);
	if (!raw)
		snprintf(buf, len, "empty");
	else if (p.kind == PTE_TABLE)
		snprintf(buf, len, "\u2192 table 0x%" PRIx64, p.oa);
	else if (p.kind == PTE_PAGE)
		snprintf(buf, len, "\u2192 frame 0x%" PRIx64, p.oa >> fmt->page_shift);
	else if (p.kind == PTE_BLOCK)
		snprintf(buf, len, "\u2192 block frames 0x%" PRIx64 "+", p.oa >> fmt->page_shift);
	else if (pte_is_swap(fmt, raw)) {
		unsigned type;
		uint64_t off;
		pte_swap_decode(fmt, raw, &type, &off);
		snprintf(buf, len, "swapped: type %u offset 0x%" PRIx64, type, off);
	} else
		snprintf(buf, len, "not present 0x%" PRIx64, raw);
}

/* Whether the frame an entry maps is mapped by both the shown process and
 * its partner (copy on write's sharing, before either writes). */
static bool shares_with_partner(const struct step_view *v, int level, uint64_t val)
{
	if (!v->partner || !v->mp)
		return false;
	struct pte d = pte_decode(v->fmt, level, val);
	uint64_t f = d.oa >> v->fmt->page_shift;
	if (d.kind != PTE_PAGE || f >= v->m->nframes)
		return false;
	int self = v->pid, other = v->partner, seen = 0;
	for (int k = 0; k < v->mp[f].npids; k++)
		seen |= (v->mp[f].pid[k] == other) | (v->mp[f].pid[k] == self) << 1;
	return seen == 3;
}

/* A badge at the right end of a cell: NEW, CHG, or ? (hidden); returns its left. */
static int draw_badge(struct renderer *r, SDL_Rect a, const char *label, SDL_Color c)
{
	int w = text_width(r->mono_small, label) + 8;
	int x = a.x + a.w - w - 1;
	fill(r, x, a.y, w, a.h, c);
	text(r, r->mono_small, label, x + 4, a.y, gui_theme.bg, 0);
	return x;
}

static void draw_entry(struct renderer *r, const struct step_view *v, const struct gtable *t, const struct gentry *e,
		       SDL_Rect a)
{
	const struct theme *th = &gui_theme;
	int state = cell_state(v, t, e->index);
	SDL_Color bg = th->panel, fg = th->fg;
	if (state == CELL_WALK) {
		bg = th->walk;
		fg = th->bg;
	} else if (state == CELL_PATH) {
		bg = th->path;
		fg = th->bg;
	}
	fill(r, a.x, a.y, a.w, a.h, bg);
	int c = find_change(v, t->pa, e->index);
	uint64_t val = c >= 0 && show_old(v) ? v->change[c].old : e->val;
	/* the badge first, so the text stops short of it */
	int right = a.x + a.w;
	if (c >= 0 && hidden(v))
		right = draw_badge(r, a, "?", th->dim);
	else if (c >= 0 && !show_old(v))
		right = draw_badge(r, a, v->change[c].old ? "CHG" : "NEW", v->change[c].old ? th->changed : th->fresh);
	char target[96], flags[64], buf[320];
	entry_target(v->fmt, t->level, val, target, sizeof target);
	entry_flags(v->fmt, t->level, val, flags, sizeof flags);
	if (!strcmp(flags, "-") || !strncmp(target, "swap", 4) || !strncmp(target, "not", 3))
		flags[0] = '\0';
	if (c >= 0 && v->change[c].old && !show_old(v)) {   /* before and after side by side */
		char was[96];
		entry_target(v->fmt, t->level, v->change[c].old, was, sizeof was);
		snprintf(buf, sizeof buf, "%3u %s %s (was %s)", e->index, target, flags, was);
	} else
		snprintf(buf, sizeof buf, "%3u %s %s", e->index, target, flags);
	text(r, r->mono_small, buf, a.x + 3, a.y, fg, right - a.x - 5);
	if (shares_with_partner(v, t->level, val))   /* a frame both processes map: underlined in purple */
		fill(r, a.x, a.y + a.h - 2, a.w / 3, 2, th->link);
	lay_cell(r, a, t, e->index, val, state);
}

/* ------------------------------------------------------------ the tree */

struct column {
	const struct gtable *t[4096];
	int n;
};

static int table_order(const void *a, const void *b)
{
	const struct gtable *x = *(const struct gtable *const *)a, *y = *(const struct gtable *const *)b;
	uint64_t kx = x->n ? x->e[0].va : UINT64_MAX, ky = y->n ? y->e[0].va : UINT64_MAX;
	if (kx != ky)
		return kx < ky ? -1 : 1;
	return x->pa < y->pa ? -1 : x->pa > y->pa;
}

static void gather_tables(const struct model *m, int pid, int level, struct column *col)
{
	col->n = 0;
	for (uint64_t f = 0; f < m->nframes && col->n < 4096; f++) {
		const struct gtable *t = m->table[f];
		if (t && t->pid == pid && t->level == level)
			col->t[col->n++] = t;
	}
	qsort(col->t, (size_t)col->n, sizeof col->t[0], table_order);
}

/* The entry this table should show first: on the walk, else changed. */
static int table_focus(const struct step_view *v, const struct gtable *t)
{
	for (int i = 0; i < v->nwalk; i++)
		if (v->walk[i].table == t->pa) {
			int k = 0;
			while (k < t->n && t->e[k].index < v->walk[i].index)
				k++;
			return k < t->n ? k : t->n - 1;
		}
	for (int k = 0; k < t->n; k++)
		if (find_change(v, t->pa, t->e[k].index) >= 0)
			return k;
	return 0;
}

static bool on_walk(const struct step_view *v, uint64_t table)
{
	for (int i = 0; i < v->nwalk; i++)
		if (v->walk[i].table == table)
			return true;
	return false;
}

struct placed {   /* where a table went, to draw the links into it */
	uint64_t pa;
	int x, y;
};

static void draw_table(struct renderer *r, const struct step_view *v, const struct gtable *t, SDL_Rect a, int cap,
		       int rh, struct placed *pl, int *npl)
{
	const struct theme *th = &gui_theme;
	bool fresh = is_new_table(v, t->pa);
	SDL_Color lc = level_color(t->level);
	fill(r, a.x, a.y, a.w, rh, dark(lc, 1, 3));
	textf(r, r->mono_small, a.x + 3, a.y, th->fg, a.w - 6, "%s@0x%" PRIx64 "  %d entr%s", fresh ? "NEW table " : "",
	      t->pa, t->n, t->n == 1 ? "y" : "ies");
	if (*npl < 4096)
		pl[(*npl)++] = (struct placed){t->pa, a.x, a.y + rh / 2};
	/* more entries than rows: a window around the focus, "… N above/below" rows marking the cut */
	int first = 0, shown = t->n < cap ? t->n : cap, row = 1;
	if (t->n > cap) {
		shown = cap > 3 ? cap - 2 : 1;   /* with its two markers: table_rows */
		first = table_focus(v, t) - shown / 2;
		if (first < 0)
			first = 0;
		if (first + shown > t->n)
			first = t->n - shown;
	}
	if (first > 0)
		textf(r, r->mono_small, a.x + 3, a.y + rh * row++, th->dim, a.w - 6, "\u2026 %d above", first);
	for (int i = 0; i < shown; i++) {
		SDL_Rect e = {a.x, a.y + rh * row++, a.w, rh - 1};
		draw_entry(r, v, t, &t->e[first + i], e);
	}
	if (first + shown < t->n)
		textf(r, r->mono_small, a.x + 3, a.y + rh * row++, th->dim, a.w - 6, "\u2026 %d below",
		      t->n - first - shown);
	outline(r, (SDL_Rect){a.x - 1, a.y - 1, a.w + 2, rh * row + 2}, fresh ? th->fresh : lc, fresh ? 2 : 1);
}

/* Rows a table takes when it may show `cap` entries. */
static int table_rows(const struct gtable *t, int cap) { return 1 + (t->n <= cap ? t->n : cap > 3 ? cap : 3); }

static void draw_links(struct renderer *r, const struct step_view *v, const struct placed *pl, int npl)
{
	const struct layout *l = &r->lay;
	for (int i = 0; i < l->ncell; i++) {
		const struct layout_cell *c = &l->cell[i];
		struct pte d = pte_decode(v->fmt, c->level, c->val);
		if (d.kind != PTE_TABLE)
			continue;
		for (int j = 0; j < npl; j++) {
			if (pl[j].pa != d.oa)
				continue;
			bool path = c->state == CELL_WALK || c->state == CELL_PATH;
			SDL_Color col = path ? gui_theme.walk : dark(level_color(c->level + 1), 2, 3);
			int x1 = c->r.x + c->r.w, y1 = c->r.y + c->r.h / 2, x2 = pl[j].x - 2, y2 = pl[j].y;
			int mx = (x1 + x2) / 2;
			line(r, x1, y1, mx, y1, col, path ? 3 : 1);
			line(r, mx, y1, mx, y2, col, path ? 3 : 1);
			line(r, mx, y2, x2, y2, col, path ? 3 : 1);
		}
	}
}

/* A walk's entry that is not there: the empty slot the walk stopped at. */
static void draw_missing(struct renderer *r, const struct step_view *v, const struct walk_cell *w, SDL_Rect a)
{
	const struct theme *th = &gui_theme;
	fill(r, a.x, a.y, a.w, a.h, th->panel);
	outline(r, a, th->fault, 2);
	int right = draw_badge(r, a, "\u2717 MISSING", th->fault);
	textf(r, r->mono_small, a.x + 3, a.y, th->fault, right - a.x - 5, "%3u empty: the walk stops here", w->index);
	(void)v;
}

/* The lecture's tables: the walk alone, one block a level, indented as a
 * tree, each a window of entries around the walk's with the cut counted. */
static void draw_walk_blocks(struct renderer *r, const struct step_view *v, SDL_Rect a)
{
	const struct theme *th = &gui_theme;
	const struct pt_format *fmt = v->fmt;
	int rh = TTF_FontLineSkip(r->mono_small) + 1;
	int indent = r->m * 2;
	int y = a.y, link_x = -1, link_y = -1;
	for (int lv = fmt->top_level; lv <= PT_LEVEL_LEAF; lv++) {
		/* entry rows for this level: an even share of what the levels above left */
		int levels_left = PT_LEVEL_LEAF - lv + 1, per = ((a.y + a.h - y) / rh - levels_left) / levels_left;
		if (per < 1)
			per = 1;
		int x = a.x + (lv - fmt->top_level) * indent, w = a.x + a.w - x;
		const struct pt_level *li = pt_level_info(fmt, lv);
		const struct walk_cell *wc = NULL;
		for (int i = 0; i < v->nwalk; i++)
			if (v->walk[i].level == lv)
				wc = &v->walk[i];
		const struct gtable *t = wc ? model_table(v->m, wc->table) : NULL;
		if (y + rh > a.y + a.h)
			break;
		if (link_x >= 0)   /* from the entry above down to this table */
			line(r, link_x, link_y, link_x, y + rh / 2, th->walk, 3), line(r, link_x, y + rh / 2, x, y + rh / 2, th->walk, 3);
		SDL_Color lc = level_color(lv);
		fill(r, x, y, w, rh - 1, lc);
		if (!t) {
			textf(r, r->mono_small, x + 3, y, th->fg, w - 6, "%s (level %d): not reached", li->name, lv);
			y += rh + 2;
			link_x = -1;
			continue;
		}
		/* the window: where the walk's index falls among the entries; with
		 * under three rows a level, the walk's entry alone, the cut marked
		 * on the header line rather than on rows of its own */
		int k = 0;
		while (k < t->n && t->e[k].index < wc->index)
			k++;
		int total = t->n + !wc->present;
		bool tight = per < 3 && total > per;
		char more[32] = "";
		if (tight)
			snprintf(more, sizeof more, ", \u2026 %d not shown", total - 1);
		textf(r, r->mono_small, x + 3, y, th->fg, w - 6, "%s (level %d)  %stable @0x%" PRIx64 "  %d entr%s%s", li->name,
		      lv, is_new_table(v, t->pa) ? "NEW " : "", t->pa, t->n, t->n == 1 ? "y" : "ies", more);
		y += rh;
		int shown = total <= per ? total : per > 3 ? per - 2 : 1;
		int first = k - shown / 2;
		if (first < 0 || total <= per)
			first = 0;
		if (first + shown > total)
			first = total - shown;
		int left = a.y + a.h;
		if (first > 0 && !tight && y + rh <= left) {
			textf(r, r->mono_small, x + 3, y, th->dim, w - 6, "\u2026 %d entr%s above", first, first == 1 ? "y" : "ies");
			y += rh;
		}
		link_x = -1;
		for (int i = first; i < first + shown && y + rh <= left; i++) {
			SDL_Rect e = {x, y, w, rh - 1};
			if (!wc->present && i == k)
				draw_missing(r, v, wc, e);
			else {
				int ei = !wc->present && i > k ? i - 1 : i;
				draw_entry(r, v, t, &t->e[ei], e);
				if (t->e[ei].index == wc->index) {
					link_x = x + indent / 2;
					link_y = y + rh - 1;
				}
			}
			y += rh;
		}
		if (first + shown < total && !tight && y + rh <= left) {
			textf(r, r->mono_small, x + 3, y, th->dim, w - 6, "\u2026 %d entr%s below", total - first - shown,
			      total - first - shown == 1 ? "y" : "ies");
			y += rh;
		}
		y += 2;
		if (!wc->present)
			break;
	}
	if (v->nchange && y + rh <= a.y + a.h) {   /* entries written off the walk */
		int off = 0;
		for (int i = 0; i < v->nchange; i++) {
			bool walked = false;
			for (int j = 0; j < v->nwalk; j++)
				walked |= v->walk[j].table == v->change[i].table && v->walk[j].index == v->change[i].index;
			off += !walked;
		}
		if (off)
			textf(r, r->mono_small, a.x, y, th->dim, a.w, "\u2026 %d more entr%s written off the walk (fault panel)",
			      off, off == 1 ? "y" : "ies");
	}
}

static void draw_tree(struct renderer *r, const struct step_view *v, SDL_Rect a)
{
	if (r->lecture) {
		draw_walk_blocks(r, v, a);
		return;
	}
	const struct theme *th = &gui_theme;
	const struct pt_format *fmt = v->fmt;
	int ncol = PT_LEVEL_LEAF - fmt->top_level + 1;
	int gap = r->m * 3, colw = (a.w - gap * (ncol - 1)) / ncol;
	int rh = TTF_FontLineSkip(r->mono_small) + 1;
	int hh = TTF_FontLineSkip(r->sans_bold) + 4;
	static struct column col;
	static struct placed pl[4096];
	int npl = 0;
	const struct gproc *p = model_proc(v->m, v->pid);
	for (int c = 0; c < ncol; c++) {
		int level = fmt->top_level + c;
		int x = a.x + c * (colw + gap);
		const struct pt_level *li = pt_level_info(fmt, level);
		fill(r, x, a.y, colw, hh - 4, level_color(level));
		textf(r, r->sans_bold, x + 4, a.y, th->bg, colw - 8, "%s  (level %d)", li->name, level);
		if (!p)
			continue;
		gather_tables(v->m, v->pid, level, &col);
		int rows = (a.h - hh) / rh;
		int path_i = -1;
		for (int i = 0; i < col.n; i++)
			if (on_walk(v, col.t[i]->pa))
				path_i = i;
		/* entries per table: as many as let every table fit (the column's
		 * room used, not a fixed share); the walk's table at least half */
		int cap = rows;
		for (; cap > 3; cap--) {
			int total = 0;
			for (int i = 0; i < col.n; i++)
				total += table_rows(col.t[i], cap) + 1;
			if (total <= rows)
				break;
		}
		int path_cap = rows / 2 > cap ? rows / 2 : cap;
		int start = 0, used = 0;
		if (path_i >= 0) {
			for (int i = 0; i <= path_i; i++)
				used += table_rows(col.t[i], i == path_i ? path_cap : cap) + 1;
			if (used > rows)
				start = path_i;
		}
		int y = a.y + hh, bottom = a.y + a.h;
		if (start) {
			textf(r, r->mono_small, x, y, th->dim, colw, "\u2026 %d table%s above", start, start == 1 ? "" : "s");
			y += rh;
		}
		int i;
		for (i = start; i < col.n; i++) {
			int tc = i == path_i ? path_cap : cap;
			int need = table_rows(col.t[i], tc) * rh;
			int avail = (bottom - y) / rh - (i + 1 < col.n);   /* rows left, one kept for "… more" */
			if (need > avail * rh) {
				tc = avail - 1;
				need = table_rows(col.t[i], tc) * rh;
				if (tc < 1 || need > avail * rh)
					break;
			}
			draw_table(r, v, col.t[i], (SDL_Rect){x, y, colw, need}, tc, rh, pl, &npl);
			y += need + r->m / 2;
		}
		if (i < col.n)
			textf(r, r->mono_small, x, bottom - rh, th->dim, colw, "\u2026 %d more table%s", col.n - i,
			      col.n - i == 1 ? "" : "s");
	}
	draw_links(r, v, pl, npl);
}

/* ------------------------------------------------------------ the partner */

/* The process to draw beside the shown one: after a fork, while the two
 * still share a frame or in the step that copies the last one, its
 * parent (or, for a parent, its youngest child). */
static int find_partner(const struct model *m, const struct mappers *mp, int pid, bool copying)
{
	const struct gproc *p = model_proc(m, pid);
	if (!p || !mp)
		return 0;
	const struct gproc *up = model_proc(m, p->parent);
	int cand = up && up->alive && up->root ? up->pid : 0;
	for (int i = 0; !up && i < m->nproc; i++)   /* no parent: the youngest child */
		if (m->proc[i].alive && m->proc[i].parent == pid && m->proc[i].root && m->proc[i].pid > cand)
			cand = m->proc[i].pid;
	if (!cand || copying)
		return cand;
	for (uint64_t f = 0; f < m->nframes; f++) {
		int seen = 0;
		for (int k = 0; k < mp[f].npids; k++)
			seen |= (mp[f].pid[k] == pid) | (mp[f].pid[k] == cand) << 1;
		if (seen == 3)
			return cand;
	}
	return 0;
}

/* The partner's view of the step: its pid, its walk of the same address
 * (drawn as a path: the fault is not its). */
static void partner_view(const struct step_view *v, struct step_view *pv)
{
	*pv = *v;
	pv->pid = v->partner;
	pv->partner = v->pid;
	pv->is_partner = true;
	pv->nwalk = v->fault ? model_walk(v->m, pv->pid, v->fault->va, pv->walk, PT_MAX_LEVELS) : 0;
}

/* A lecture's partner: its walk of the same address, a row a level (the
 * level's name, the entry), indented as the tree is. */
static void draw_partner_walk(struct renderer *r, const struct step_view *pv, SDL_Rect a)
{
	const struct theme *th = &gui_theme;
	const struct pt_format *fmt = pv->fmt;
	int rh = TTF_FontLineSkip(r->mono_small) + 1, y = a.y, name_w = 0;
	for (int lv = fmt->top_level; lv <= PT_LEVEL_LEAF; lv++) {
		int w = text_width(r->mono_small, pt_level_info(fmt, lv)->name) + 8;
		name_w = w > name_w ? w : name_w;
	}
	for (int lv = fmt->top_level; lv <= PT_LEVEL_LEAF && y + rh <= a.y + a.h; lv++, y += rh) {
		const struct walk_cell *wc = NULL;
		for (int i = 0; i < pv->nwalk; i++)
			if (pv->walk[i].level == lv)
				wc = &pv->walk[i];
		int x = a.x + (lv - fmt->top_level) * r->m;
		fill(r, x, y, name_w, rh - 1, level_color(lv));
		text(r, r->mono_small, pt_level_info(fmt, lv)->name, x + 4, y, th->fg, name_w - 6);
		const struct gtable *t = wc ? model_table(pv->m, wc->table) : NULL;
		const struct gentry *e = t ? table_entry(t, wc->index) : NULL;
		if (!e) {
			text(r, r->mono_small, wc ? "empty: not mapped here" : "not reached", x + name_w + 4, y, th->dim, 0);
			break;
		}
		draw_entry(r, pv, t, e, (SDL_Rect){x + name_w, y, a.x + a.w - x - name_w, rh - 1});
	}
}

static void draw_partner(struct renderer *r, const struct step_view *v, SDL_Rect a)
{
	const struct theme *th = &gui_theme;
	static struct step_view pv;
	partner_view(v, &pv);
	const struct gproc *me = model_proc(v->m, v->pid);
	int lh = TTF_FontLineSkip(r->sans_bold);
	int x = a.x + textf(r, r->sans_bold, a.x, a.y, th->fg, 0, "pid %d, its %s", v->partner,
			    me && me->parent == v->partner ? "parent" : "child");
	textf(r, r->sans, x, a.y, th->dim, a.x + a.w - x, "  same address: olive; underlined purple: a shared frame");
	SDL_Rect b = {a.x, a.y + lh, a.w, a.h - lh};
	if (r->lecture)
		draw_partner_walk(r, &pv, b);
	else
		draw_tree(r, &pv, b);
}

static const struct layout_cell *cell_at(const struct layout *l, uint64_t table, uint32_t index)
{
	for (int i = 0; i < l->ncell; i++)
		if (l->cell[i].table == table && l->cell[i].index == index)
			return &l->cell[i];
	return NULL;
}

/* The two leaf entries of the faulting address, one a process, joined:
 * mapping one frame (shared), or the partner's frame copied to ours in
 * this step (copy on write: the frame copied from outlined, a square at
 * the copy's end). Drawn over the gap between the two panels. */
static void draw_partner_links(struct renderer *r, const struct step_view *v, SDL_Rect area)
{
	const struct theme *th = &gui_theme;
	if (!v->fault || !v->nwalk)
		return;
	static struct step_view pv;
	partner_view(v, &pv);
	if (!pv.nwalk)
		return;
	const struct walk_cell *w1 = &v->walk[v->nwalk - 1], *w2 = &pv.walk[pv.nwalk - 1];
	const struct layout_cell *c1 = cell_at(&r->lay, w1->table, w1->index);
	const struct layout_cell *c2 = cell_at(&r->lay, w2->table, w2->index);
	if (!c1 || !c2)
		return;
	struct pte d1 = pte_decode(v->fmt, c1->level, c1->val), d2 = pte_decode(v->fmt, c2->level, c2->val);
	if (d1.kind != PTE_PAGE || d2.kind != PTE_PAGE)
		return;
	int kind = -1;
	if (d1.oa == d2.oa)
		kind = LINK_SHARED;
	for (size_t i = v->begin; i < v->end && kind < 0; i++) {
		const struct gev *e = &v->log->ev[i];
		if (e->kind == GEV_COW_COPY && e->pa == d2.oa && e->val == d1.oa)
			kind = LINK_COPY;
	}
	if (kind < 0)
		return;
	SDL_SetClipRect(r->surf, &area);
	int xl = (c1->r.x < c2->r.x ? c1->r.x : c2->r.x) - 5, y1 = c1->r.y + c1->r.h / 2, y2 = c2->r.y + c2->r.h / 2;
	line(r, c2->r.x, y2, xl, y2, th->link, 3);
	line(r, xl, y2, xl, y1, th->link, 3);
	line(r, xl, y1, c1->r.x, y1, th->link, 3);
	if (kind == LINK_COPY) {
		outline(r, c2->r, th->link, 2);   /* the frame copied from */
		fill(r, c1->r.x - 8, y1 - 4, 8, 8, th->link);   /* the arrow's end, at the copy */
	}
	lay_link(r, kind, d2.oa, v->partner, c2->r.x, y2, c1->r.x, y1);
	SDL_SetClipRect(r->surf, &r->clip);
}

/* ------------------------------------------------------------ the address */

struct va_field {
	const char *name;
	int hi, lo;
	SDL_Color c;
	int level;     /* 99: the sign extension, 100: the page offset */
};

static void draw_va_split(struct renderer *r, const struct step_view *v, SDL_Rect a)
{
	const struct theme *th = &gui_theme;
	const struct pt_format *fmt = v->fmt;
	uint64_t va = v->fault ? v->fault->va : 0;
	int x = a.x;
	if (r->lecture)
		x += textf(r, r->big, x, a.y + a.h / 4, th->fg, 0, "va 0x%" PRIx64 " =", va) + r->m;
	else
		x += textf(r, r->big, x, a.y + a.h / 4, th->fg, 0, "va 0x%016" PRIx64 " = ", va) + r->m;
	struct va_field f[PT_MAX_LEVELS + 2];
	int n = 0;
	f[n++] = (struct va_field){"sign", 63, fmt->va_bits, th->dim, 99};
	for (int level = fmt->top_level; level <= PT_LEVEL_LEAF; level++) {
		const struct pt_level *li = pt_level_info(fmt, level);
		f[n++] = (struct va_field){li->name, li->va_shift + li->index_bits - 1, li->va_shift, level_color(level), level};
	}
	f[n++] = (struct va_field){"offset", fmt->page_shift - 1, 0, th->fg, 100};
	/* each field at least as wide as its label (a 1-bit index stays
	 * readable), the rest shared by bits; the sign extension none */
	int total = a.x + a.w - x - r->m * (n - 1), need[PT_MAX_LEVELS + 2], sum = 0;
	for (int i = 0; i < n; i++) {
		char label[48];
		if (f[i].level == 99)
			snprintf(label, sizeof label, "%d:%d", f[i].hi, f[i].lo);
		else
			snprintf(label, sizeof label, "%s %d:%d", f[i].name, f[i].hi, f[i].lo);
		need[i] = text_width(r->sans_bold, label) + 10;
		if (r->lecture)   /* room first for the name; the bits if they fit */
			need[i] = text_width(r->sans_bold, f[i].level == 99 ? "63" : f[i].name) + 10;
		sum += need[i];
	}
	int extra = total - sum > 0 ? total - sum : 0;
	for (int i = 0; i < n; i++) {
		int nb = f[i].hi - f[i].lo + 1;
		int w = sum > total ? need[i] * total / sum
				    : need[i] + (f[i].level == 99 ? 0 : extra * nb / fmt->va_bits);
		uint64_t val = (va >> f[i].lo) & (nb >= 64 ? ~0ull : ((1ull << nb) - 1));
		bool faulting = v->fault && f[i].level == v->fault->level;
		fill(r, x, a.y, w, a.h, faulting ? f[i].c : dark(f[i].c, 1, 2));
		if (faulting)
			outline(r, (SDL_Rect){x, a.y, w, a.h}, th->fg, 2);
		SDL_Color tc = faulting ? th->bg : th->fg;
		char label[48];
		if (f[i].level == 99)   /* narrow: the bits alone */
			snprintf(label, sizeof label, "%d:%d", f[i].hi, f[i].lo);
		else
			snprintf(label, sizeof label, "%s %d:%d", f[i].name, f[i].hi, f[i].lo);
		if (text_width(r->sans_bold, label) > w - 8 && f[i].level != 99)
			snprintf(label, sizeof label, "%s", f[i].name);
		text(r, r->sans_bold, label, x + 4, a.y + 2, tc, w - 8);
		if (f[i].level == 100)
			textf(r, r->mono, x + 4, a.y + a.h / 2, tc, w - 8, "0x%0*" PRIx64, (nb + 3) / 4, val);
		else if (f[i].level == 99)
			textf(r, r->mono, x + 4, a.y + a.h / 2, tc, w - 8, "%s", val ? "1s" : "0s");
		else
			textf(r, r->mono, x + 4, a.y + a.h / 2, tc, w - 8, "%" PRIu64, val);
		x += w + r->m;
	}
}

/* ------------------------------------------------------------ VMAs */

static SDL_Color prot_color(const char *prot)
{
	/* greys only: hue means something else; the label says r, w, x */
	if (prot[2] == 'x')
		return (SDL_Color){105, 105, 115, 255};
	if (prot[1] == 'w')
		return (SDL_Color){85, 85, 95, 255};
	if (prot[0] == 'r')
		return (SDL_Color){70, 70, 78, 255};
	return (SDL_Color){45, 45, 50, 255};
}

/* Where address va goes on the VMAs' strip: one scale for every VMA and
 * every gap drawn, a gap too big for it (more than a quarter of all that
 * is mapped) a break mark of fixed width instead. */
struct vma_scale {
	const struct gproc *p;
	int n, x0, brk_w;
	double px_per_byte;
	uint64_t big_gap;
};

static bool vma_break_before(const struct vma_scale *sc, int i)
{
	return i > 0 && sc->p->vma[i].start - sc->p->vma[i - 1].end > sc->big_gap;
}

static double vma_x(const struct vma_scale *sc, uint64_t va)
{
	const struct gproc *p = sc->p;
	double x = sc->x0;
	for (int i = 0; i < sc->n; i++) {
		const struct gvma *g = &p->vma[i];
		if (i) {
			uint64_t gap = g->start - p->vma[i - 1].end;
			if (va < g->start)   /* in the gap: to scale, or the break's middle */
				return vma_break_before(sc, i) ? x + sc->brk_w / 2.0
							       : x + (double)(va - p->vma[i - 1].end) * sc->px_per_byte;
			x += vma_break_before(sc, i) ? sc->brk_w : (double)gap * sc->px_per_byte;
		} else if (va < g->start)
			return x;
		if (va < g->end)
			return x + (double)(va - g->start) * sc->px_per_byte;
		x += (double)(g->end - g->start) * sc->px_per_byte;
	}
	return x;
}

/* Labels on the strip's top line, none over another: intervals taken. */
struct top_line {
	int lo[64], hi[64], n;
};

static bool top_free(const struct top_line *t, int lo, int hi)
{
	for (int i = 0; i < t->n; i++)
		if (lo < t->hi[i] + 6 && t->lo[i] < hi + 6)
			return false;
	return true;
}

static void top_take(struct top_line *t, int lo, int hi)
{
	if (t->n < 64)
		t->lo[t->n] = lo, t->hi[t->n++] = hi;
}

static void draw_vmas(struct renderer *r, const struct step_view *v, SDL_Rect a)
{
	const struct theme *th = &gui_theme;
	const struct gproc *p = model_proc(v->m, v->pid);
	int lh = TTF_FontLineSkip(r->sans), sh = TTF_FontLineSkip(r->mono_small);
	int x0 = a.x + text(r, r->sans_bold, "VMAs", a.x, a.y + (a.h - lh) / 2, th->fg, 0) + r->m;
	const struct gfault *f = v->fault;
	if (!p || !p->nvma) {
		int x = x0 + text(r, r->mono_small, "none", x0, a.y + sh, th->dim, 0) + r->m;
		if (f && !f->has_vma)
			textf(r, r->mono_small, x, a.y + sh, th->fault, 0, "\u2717 0x%" PRIx64 ": no VMA", f->va);
		return;
	}
	struct vma_scale sc = {.p = p, .n = p->nvma, .x0 = x0, .brk_w = text_width(r->mono_small, "//") + 8};
	uint64_t mapped = 0;
	for (int i = 0; i < sc.n; i++)
		mapped += p->vma[i].end - p->vma[i].start;
	sc.big_gap = mapped / 4;
	uint64_t span = 0;
	int breaks = 0;
	for (int i = 0; i < sc.n; i++) {
		span += p->vma[i].end - p->vma[i].start;
		if (vma_break_before(&sc, i))
			breaks++;
		else if (i)
			span += p->vma[i].start - p->vma[i - 1].end;
	}
	int avail = a.x + a.w - x0 - breaks * sc.brk_w;
	sc.px_per_byte = span ? (double)(avail > 0 ? avail : 0) / (double)span : 0;
	r->lay.breaks = breaks;
	int bar_y = a.y + sh, bar_h = a.y + a.h - bar_y;
	struct top_line top = {.n = 0};
	/* the faulting address first: its line and its value on the top line */
	if (f) {
		int fx = (int)vma_x(&sc, f->va);
		char label[64];
		snprintf(label, sizeof label, f->has_vma ? "0x%" PRIx64 : "\u2717 0x%" PRIx64 ": no VMA", f->va);
		int lw = text_width(r->mono_small, label), lx = fx + 4 + lw <= a.x + a.w ? fx + 4 : fx - 4 - lw;
		if (lx < x0)
			lx = x0;
		text(r, r->mono_small, label, lx, a.y, th->fault, 0);
		top_take(&top, lx, lx + lw);
		top_take(&top, fx - 2, fx + 2);
	}
	for (int i = 0; i < sc.n; i++) {
		const struct gvma *g = &p->vma[i];
		int x1 = (int)lround(vma_x(&sc, g->start)), x2 = (int)lround(vma_x(&sc, g->end - 1) + sc.px_per_byte);
		if (vma_break_before(&sc, i)) {
			int bx = (int)lround(vma_x(&sc, g->start)) - sc.brk_w;
			text(r, r->mono_small, "//", bx + 4, bar_y + (bar_h - sh) / 2, th->dim, 0);
		}
		if (i == 0 || vma_break_before(&sc, i)) {   /* where each run of VMAs starts, when there is room */
			char at[32];
			snprintf(at, sizeof at, "0x%" PRIx64, g->start);
			int w = text_width(r->mono_small, at);
			if (x1 + w <= a.x + a.w && top_free(&top, x1, x1 + w)) {
				text(r, r->mono_small, at, x1, a.y, th->dim, 0);
				top_take(&top, x1, x1 + w);
			}
		}
		int w = x2 - x1 - (i + 1 < sc.n && !vma_break_before(&sc, i + 1) && p->vma[i + 1].start == g->end);
		if (w < 1)
			w = 1;
		fill(r, x1, bar_y, w, bar_h, prot_color(g->prot));
		lay_vma(r, (SDL_Rect){x1, bar_y, w, bar_h}, g, v->pid);
		char name[64];
		snprintf(name, sizeof name, "%s %s", g->prot, g->kind);
		if (w - 4 >= text_width(r->mono_small, "rw\u2026"))   /* a name, whole or cut with "…"; the mouse tells the rest */
			text(r, r->mono_small, name, x1 + 2, bar_y + (bar_h - sh) / 2, th->fg, w - 4);
		if (f && f->va >= g->start && f->va < g->end)
			outline(r, (SDL_Rect){x1, bar_y, w, bar_h}, th->fg, 2);
	}
	if (f) {
		int fx = (int)vma_x(&sc, f->va);
		fill(r, fx - 1, a.y + sh / 2, 3, a.h - sh / 2, th->fault);
	}
}

/* ------------------------------------------------------------ frames */

struct frame_grid {
	int x, y, cell, cols, bottom;
	int chip_y;              /* the processes' chips: bottom edge, centres, pids */
	const int *chip_x, *chip_pid;
	int nchip;
};

/* The sharing links: a frame mapped by two or more processes, to each of
 * them; each link ends at its own point on the frame's top edge. Lines
 * first (under the frames), then with `marks` the ends on top. */
static void draw_sharing(struct renderer *r, const struct step_view *v, const struct mappers *mp,
			 const struct frame_grid *g, bool marks)
{
	const struct theme *th = &gui_theme;
	for (uint64_t f = 0; f < v->m->nframes; f++) {
		if (mp[f].npids < 2)
			continue;
		int fx = g->x + (int)(f % (uint64_t)g->cols) * g->cell, fy = g->y + (int)(f / (uint64_t)g->cols) * g->cell;
		if (fy + g->cell > g->bottom)
			continue;
		for (int k = 0; k < mp[f].npids; k++)
			for (int c = 0; c < g->nchip; c++) {
				if (g->chip_pid[c] != mp[f].pid[k])
					continue;
				int ex = fx + (g->cell - 1) * (k + 1) / (mp[f].npids + 1), ey = fy + 1;
				if (marks) {
					fill(r, ex - 1, ey - 1, 3, 3, th->link);
					continue;
				}
				line(r, g->chip_x[c], g->chip_y, ex, ey, th->link, 2);
				lay_link(r, LINK_CHIP, f << v->fmt->page_shift, g->chip_pid[c], g->chip_x[c], g->chip_y, ex, ey);
			}
	}
}

/* A page-cache frame that several processes map (a library's page). */
static bool shared_cache(const uint8_t *use, const struct mappers *mp, uint64_t f)
{
	return use[f] == USE_PAGECACHE && mp[f].npids >= 2;
}

/* On the frames' title line, in words: the page-cache page this step's
 * fault shared with other processes (the first, and how many more), then
 * how many page-cache frames several processes map. Returns the new x. */
static int say_cache_sharing(struct renderer *r, const struct step_view *v, const struct mappers *mp, int x, int y,
			     int right)
{
	const struct theme *th = &gui_theme;
	const struct gev *first = NULL;
	int more = 0;
	for (size_t i = v->begin; i < v->end && !hidden(v); i++) {
		if (v->log->ev[i].kind != GEV_PAGECACHE_SHARE)
			continue;
		if (first)
			more++;
		else
			first = &v->log->ev[i];
	}
	if (first && right - x > 0) {
		const char *file = first->index < v->log->nfiles ? v->log->files[first->index] : "?";
		const char *base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
		char extra[24] = "";
		if (more)
			snprintf(extra, sizeof extra, " (+%d more)", more);
		x += textf(r, r->sans, x, y, th->link, right - x, "shared: %s +0x%" PRIx64 " \u00d7%" PRIu64 "%s", base,
			   first->old, first->val, extra) + r->m;
	}
	uint64_t n = 0;
	for (uint64_t f = 0; f < v->m->nframes; f++)
		n += shared_cache(v->use, mp, f);
	if (n && right - x > 0)
		x += textf(r, r->sans, x, y, th->link, right - x, "%" PRIu64 " page-cache frame%s shared", n, n == 1 ? "" : "s") +
		     r->m;
	return x;
}

static void draw_frames(struct renderer *r, const struct step_view *v, SDL_Rect a)
{
	const struct theme *th = &gui_theme;
	const struct model *m = v->m;
	int lh = TTF_FontLineSkip(r->sans);
	/* the title, then the processes as chips the sharing links start from
	 * (the colours are in the legend; digits count a frame's mappings) */
	int cx = a.x + text(r, r->sans_bold, "Frames", a.x, a.y, th->fg, 0) + r->m * 2, cy = a.y, chip_h = lh;
	int chip_x[256], chip_pid[256], nchip = 0;
	for (int i = 0; i < m->nproc && nchip < 256; i++) {
		const struct gproc *p = &m->proc[i];
		if (!p->alive)
			continue;
		char label[32];
		snprintf(label, sizeof label, "pid %d", p->pid);
		int w = text_width(r->sans_bold, label) + 12;
		if (cx + w > a.x + a.w) {
			text(r, r->sans, "\u2026", cx, cy, th->dim, 0);
			break;
		}
		fill(r, cx, cy, w, chip_h, p->pid == v->pid ? th->fg : th->dim);
		text(r, r->sans_bold, label, cx + 6, cy, th->bg, 0);
		chip_x[nchip] = cx + w / 2;
		chip_pid[nchip++] = p->pid;
		cx += w + r->m * 2;
	}
	int gy = cy + chip_h + lh / 2 + 4, gh = a.y + a.h - gy;
	uint64_t n = m->nframes ? m->nframes : 1;
	int cell = (int)sqrt((double)a.w * gh / (double)n);
	if (cell > 28)
		cell = 28;
	if (cell < 2)
		cell = 2;
	int cols = a.w / cell;
	while (cols > 0 && (int)((n + (uint64_t)cols - 1) / (uint64_t)cols) * cell > gh && cell > 2) {
		cell--;
		cols = a.w / cell;
	}
	const struct mappers *mp = v->mp;
	if (!mp)
		return;
	uint64_t fault_frame = UINT64_MAX;
	if (v->fault && v->nwalk) {
		const struct walk_cell *w = &v->walk[v->nwalk - 1];
		const struct gentry *e = table_entry(model_table(m, w->table), w->index);
		if (e) {
			struct pte d = pte_decode(v->fmt, w->level, e->val);
			if (d.kind == PTE_PAGE || d.kind == PTE_BLOCK)
				fault_frame = d.oa >> v->fmt->page_shift;
		}
	}
	if (hidden(v))
		fault_frame = UINT64_MAX;
	uint64_t fit = (uint64_t)(gh / cell > 0 ? gh / cell : 0) * (uint64_t)cols;
	int title_right = a.x + a.w;   /* the title line's free room ends here */
	if (fit < m->nframes) {   /* the grid is cut: say so where the title is */
		char more[64];
		snprintf(more, sizeof more, "\u2026 %" PRIu64 " frames not shown", m->nframes - fit);
		int mw = text_width(r->sans, more);
		if (cx + mw <= a.x + a.w) {
			text(r, r->sans, more, a.x + a.w - mw, a.y, th->dim, 0);
			title_right = a.x + a.w - mw - r->m;
		}
	}
	r->fg.x = a.x, r->fg.y = gy, r->fg.cell = cell, r->fg.cols = cols, r->fg.bottom = a.y + a.h;
	struct frame_grid g = {a.x, gy, cell, cols, a.y + a.h, cy + chip_h, chip_x, chip_pid, nchip};
	draw_sharing(r, v, mp, &g, false);
	for (uint64_t f = 0; f < m->nframes; f++) {
		int fx = a.x + (int)(f % (uint64_t)cols) * cell, fy = gy + (int)(f / (uint64_t)cols) * cell;
		if (fy + cell > a.y + a.h)
			break;
		fill(r, fx, fy, cell - 1, cell - 1, th->use[v->use[f]]);
		if (shared_cache(v->use, mp, f)) {
			SDL_Rect mk = {fx, fy + (cell - 1) * 2 / 3, cell - 1, cell - 1 - (cell - 1) * 2 / 3};
			fill(r, mk.x, mk.y, mk.w, mk.h, th->link);
			lay_mark(r, f << v->fmt->page_shift, mk);
		}
		if (cell >= TTF_FontHeight(r->mono_small) && mp[f].count)
			textf(r, r->mono_small, fx + 1, fy + (cell - TTF_FontLineSkip(r->mono_small)) / 2, th->bg, cell - 2,
			      "%u", mp[f].count);
		if (f == fault_frame)
			outline(r, (SDL_Rect){fx - 2, fy - 2, cell + 3, cell + 3}, th->fault, 2);
	}
	draw_sharing(r, v, mp, &g, true);   /* the links' ends on top of the frames */
	/* a copy on write: the frame copied from, linked to its copy */
	for (size_t i = v->begin; i < v->end && !hidden(v); i++) {
		const struct gev *e = &v->log->ev[i];
		if (e->kind != GEV_COW_COPY)
			continue;
		uint64_t from = e->pa >> v->fmt->page_shift, to = e->val >> v->fmt->page_shift;
		if (from >= m->nframes || to >= m->nframes)
			continue;
		int x1 = a.x + (int)(from % (uint64_t)cols) * cell + cell / 2, y1 = gy + (int)(from / (uint64_t)cols) * cell + cell / 2;
		int x2 = a.x + (int)(to % (uint64_t)cols) * cell + cell / 2, y2 = gy + (int)(to / (uint64_t)cols) * cell + cell / 2;
		if (y1 + cell / 2 > a.y + a.h || y2 + cell / 2 > a.y + a.h)
			continue;
		line(r, x1, y1, x2, y2, th->link, 3);
		outline(r, (SDL_Rect){x1 - cell / 2 - 1, y1 - cell / 2 - 1, cell + 1, cell + 1}, th->link, 2);
		fill(r, x2 - 3, y2 - 3, 7, 7, th->link);   /* the copy: a square at the arrow's end */
		if (title_right - cx > 0)   /* in words on the title line */
			cx += textf(r, r->sans, cx, a.y, th->link, title_right - cx, "copy: frame 0x%" PRIx64 " \u2192 0x%" PRIx64, from,
				    to) + r->m;
	}
	say_cache_sharing(r, v, mp, cx, a.y, title_right);
}

static const char *const use_words[USE_COUNT] = {"free", "anonymous", "a page table", "the zero page", "page cache"};
static const char *const tlb_names[TLB_KINDS] = {"L1 iTLB", "L1 dTLB", "L2 TLB"};

/* What a TLB entry of process pid for va translates to now: its PFN (or
 * UINT64_MAX) and the leaf entry's bits, from the rebuilt tables. */
static uint64_t tlb_translate(const struct step_view *v, int pid, uint64_t va, uint64_t size, char *flags, size_t len)
{
	uint64_t page = size ? size : 1ull << v->fmt->page_shift;
	struct walk_cell w[PT_MAX_LEVELS];
	int nw = model_walk(v->m, pid, va, w, PT_MAX_LEVELS);
	const struct gentry *e = nw ? table_entry(model_table(v->m, w[nw - 1].table), w[nw - 1].index) : NULL;
	if (flags)
		snprintf(flags, len, "?");
	if (!e)
		return UINT64_MAX;
	struct pte d = pte_decode(v->fmt, w[nw - 1].level, e->val);
	if (d.kind != PTE_PAGE && d.kind != PTE_BLOCK)
		return UINT64_MAX;
	if (flags)
		entry_flags(v->fmt, w[nw - 1].level, e->val, flags, len);
	return (d.oa >> v->fmt->page_shift) + ((va & (page - 1)) >> v->fmt->page_shift);
}

/* ------------------------------------------------------------ TLBs */

static void draw_tlbs(struct renderer *r, const struct step_view *v, SDL_Rect a)
{
	const struct theme *th = &gui_theme;
	const char *const *names = tlb_names;
	int lh = TTF_FontLineSkip(r->sans), sh = TTF_FontLineSkip(r->mono_small);
	int y = a.y;
	text(r, r->sans_bold, "TLBs", a.x, y, th->fg, 0);
	if (v->fault)
		text(r, r->sans, hidden(v) ? "  this access: ?" : "  this access: MISS (the walk ran)", a.x + text_width(r->sans_bold, "TLBs"), y,
		     hidden(v) ? th->walk : th->fault, 0);
	y += lh;
	const struct gproc *p = model_proc(v->m, v->pid);
	int asid = p ? p->asid : -1;
	/* the step's fills, as the entries they are: VPN -> PFN (ASID); their
	 * rows kept while hidden or not yet reached, so nothing below moves */
	for (int t = 0; t < TLB_KINDS; t++) {
		const struct gev *fl = v->fill[t];
		if (!fl || !room_for(r, y, sh, 1))
			continue;
		static const char *const short_names[TLB_KINDS] = {"L1i", "L1d", "L2"};
		int x = a.x;
		if (hidden(v) || stage_of(v) >= ST_FILL)
			x += text(r, r->mono_small, "fill ", a.x, y, th->walk, 0);
		if (hidden(v))
			text(r, r->mono_small, "?", x, y, th->walk, 0);
		else if (stage_of(v) >= ST_FILL) {
			uint64_t pfn = tlb_translate(v, v->pid, fl->entry.va, fl->entry.size, NULL, 0);
			char pf[32] = "?";
			if (pfn != UINT64_MAX)
				snprintf(pf, sizeof pf, "0x%" PRIx64, pfn);
			textf(r, r->mono_small, x, y, th->fg, a.x + a.w - x, "%s VPN 0x%" PRIx64 " \u2192 PFN %s ASID %u%s",
			      short_names[t], fl->entry.va >> v->fmt->page_shift, pf, fl->entry.asid,
			      fl->victim.valid ? " (evicts one)" : "");
		}
		if (hidden(v) || stage_of(v) >= ST_FILL)   /* the mouse on the line: the slot's box (a lecture draws no slots) */
			lay_slot(r, (SDL_Rect){a.x, y, a.w, sh}, t, fl->array, fl->index, fl->way, 2);
		y += sh;
	}
	if (r->lecture)
		return;
	/* The arrays share the height by their entries, each at least a row. */
	long left = 0;
	int nleft = 0;
	for (int t = 0; t < TLB_KINDS; t++)
		for (int ar = 0; ar < TLB_MAX_ARRAYS; ar++) {
			left += (long)v->m->tlb[t][ar].sets * v->m->tlb[t][ar].ways;
			nleft += v->m->tlb[t][ar].sets > 0;
		}
	for (int t = 0; t < TLB_KINDS; t++)
		for (int ar = 0; ar < TLB_MAX_ARRAYS; ar++) {
			const struct gtlb *g = &v->m->tlb[t][ar];
			if (!g->sets)
				continue;
			if (y + sh * 2 > a.y + a.h)
				break;
			const struct gev *fl = v->fill[t] && v->fill[t]->array == ar ? v->fill[t] : NULL;
			int x = a.x;
			x += textf(r, r->mono_small, x, y, th->fg, 0, "%s %" PRIu64 "%c %ux%u ", names[t],
				   g->size >= 1ull << 30 ? g->size >> 30 : g->size >= 1ull << 20 ? g->size >> 20 : g->size >> 10,
				   g->size >= 1ull << 30 ? 'G' : g->size >= 1ull << 20 ? 'M' : 'K', g->sets, g->ways);
			if (fl)
				textf(r, r->mono_small, x, y, th->walk, a.x + a.w - x, "fill set %u way %u", fl->index, fl->way);
			if (fl && fl->victim.valid)
				textf(r, r->mono_small, a.x + a.w / 2, y + sh, th->victim, a.w / 2, "victim 0x%" PRIx64,
				      fl->victim.va);
			y += sh + (fl && fl->victim.valid ? sh : 0);
			/* each set a row of its ways; as many sets side by side as fit */
			long mine = (long)g->sets * g->ways;
			int room = a.y + a.h - y - (nleft - 1) * (sh + 8);   /* the others' labels and a row each */
			int maxh = (int)(room * mine / left), cell = 14, per_row = 1, rows = 1;
			if (maxh < 8)
				maxh = 8;
			left -= mine;
			nleft--;
			for (; cell > 3; cell--) {
				per_row = a.w / ((int)g->ways * cell + 2);
				if (per_row < 1)
					continue;
				rows = ((int)g->sets + per_row - 1) / per_row;
				if (rows * cell <= maxh)
					break;
			}
			if (per_row < 1) {
				per_row = 1;
				rows = (int)g->sets;
			}
			int ways_row = a.w / cell;   /* a set wider than the panel wraps */
			int set_w = (int)g->ways * cell + 2, set_rows = 1;
			if ((int)g->ways > ways_row) {
				set_rows = ((int)g->ways + ways_row - 1) / ways_row;
				set_w = a.w;
			}
			for (uint32_t s = 0; s < g->sets; s++) {
				int bx = a.x + (int)(s % (uint32_t)per_row) * set_w;
				int by = y + (int)(s / (uint32_t)per_row) * cell * set_rows;
				for (uint32_t w = 0; w < g->ways; w++) {
					const struct tlb_entry_ev *e = &g->slot[(size_t)s * g->ways + w];
					SDL_Color c = th->use[USE_FREE];
					if (e->valid)
						c = e->global ? th->dim : e->asid == asid ? th->use[USE_ANON] : dark(th->use[USE_ANON], 1, 2);
					bool filled = fl && fl->index == s && fl->way == w;
					if (filled)
						c = th->fill;
					int cx = bx + (int)(w % (uint32_t)ways_row) * cell, cy = by + (int)(w / (uint32_t)ways_row) * cell;
					if (cy + cell > a.y + a.h)
						continue;
					fill(r, cx, cy, cell - 1, cell - 1, c);
					lay_slot(r, (SDL_Rect){cx, cy, cell - 1, cell - 1}, t, ar, s, w, filled ? 2 : e->valid);
					if (filled && fl->victim.valid)
						outline(r, (SDL_Rect){cx - 1, cy - 1, cell + 1, cell + 1}, th->victim, 2);
				}
			}
			y += rows * cell * set_rows + r->m;
		}
}

/* ------------------------------------------------------------ the fault panel */

/* The steps as chips, the current one lit (all of them once done). */
static int draw_stages(struct renderer *r, const struct step_view *v, SDL_Rect a, int y)
{
	const struct theme *th = &gui_theme;
	int st = stage_of(v), x = a.x, lh = TTF_FontLineSkip(r->mono_small);
	for (int i = 0; i < ST_DONE; i++) {
		int w = text_width(r->mono_small, stage_names[i]) + 8;
		if (x + w > a.x + a.w) {   /* the rest on the next line */
			x = a.x;
			y += lh + 2;
		}
		bool failed = v->fault && (v->fault->signal || strcmp(v->fault->outcome, "resolved"));
		bool skipped = failed && i > ST_FAULT;   /* a failed fault allocates nothing, retries nothing */
		bool lit = !skipped && (hidden(v) ? i == 0 : st == ST_DONE ? true : i == st);
		bool past = !skipped && !hidden(v) && i < st;
		fill(r, x, y, w, lh, lit ? th->walk : past ? th->path : th->panel);
		outline(r, (SDL_Rect){x, y, w, lh}, th->dim, 1);
		text(r, r->mono_small, stage_names[i], x + 4, y, lit || past ? th->bg : th->dim, 0);
		x += w + 4;
	}
	return y + lh + 4;
}

static void draw_fault_panel(struct renderer *r, const struct step_view *v, SDL_Rect a)
{
	const struct theme *th = &gui_theme;
	const struct gfault *f = v->fault;
	int lh = TTF_FontLineSkip(r->sans), sh = TTF_FontLineSkip(r->mono_small), y = a.y, w = a.w;
	fill(r, a.x, a.y, a.w, a.h, th->panel);
	if (!f) {
		text(r, r->sans_bold, "no faults in this log", a.x, y, th->fg, w);
		return;
	}
	bool failed = f->signal || strcmp(f->outcome, "resolved");
	if (hidden(v))
		textf(r, r->big, a.x, y, th->walk, w, "%s fault: predict!", f->access);
	else
		textf(r, r->big, a.x, y, failed ? th->fault : th->fg, w, "%s%s fault, %s", failed ? "\u2717 " : "",
		      f->access, f->kind);
	y += TTF_FontLineSkip(r->big);
	y = draw_stages(r, v, a, y);
	const struct pt_level *li = pt_level_info(v->fmt, f->level);
	if (hidden(v))
		text(r, r->sans, "which entries change? (r: reveal)", a.x, y, th->walk, w);
	else if (failed)
		textf(r, r->sans_bold, a.x, y, th->fault, w, "FAILED: %s at %s (level %d)", f->outcome, li ? li->name : "?",
		      f->level);
	else
		textf(r, r->sans, a.x, y, th->fg, w, "at %s (level %d), %s, %s, %" PRIu64 " cycles", li ? li->name : "?",
		      f->level, f->major ? "major" : "minor", f->outcome, f->cycles);
	y += lh + 2;
	char buf[1024];
	int lines = r->lecture ? 2 : 4;
	if (f->has_syn && room_for(r, y, sh, 2)) {
		mmu_syndrome_describe(v->fmt->arch, &f->syn, buf, sizeof buf);
		y += text_wrapped(r, r->mono_small, buf, a.x, y, w, th->fg, r->m * 2, lines) + 2;
	}
	if (f->has_pc && room_for(r, y, sh, 2)) {
		snprintf(buf, sizeof buf, "insn 0x%" PRIx64 ": %s", f->pc, f->insn ? f->insn : "?");
		y += text_wrapped(r, r->mono_small, buf, a.x, y, w, th->fg, r->m * 2, 1) + 2;
	}
	if (f->has_vma)
		snprintf(buf, sizeof buf, "vma 0x%" PRIx64 "-0x%" PRIx64 " %s %s%s%s", f->vma_start, f->vma_end, f->vma_prot,
			 f->vma_flags, f->vma_file ? " " : "", f->vma_file ? f->vma_file : "");
	else
		snprintf(buf, sizeof buf, "\u2717 no VMA covers 0x%" PRIx64, f->va);
	if (room_for(r, y, sh, 1))
		y += text_wrapped(r, r->mono_small, buf, a.x, y, w, f->has_vma ? th->fg : th->fault, r->m * 2, 1) + 2;
	if (hidden(v))
		return;
	snprintf(buf, sizeof buf, "path %s", f->path ? f->path : "");
	if (room_for(r, y, sh, 1))
		y += text_wrapped(r, r->mono_small, buf, a.x, y, w, th->dim, r->m * 2, r->lecture ? 1 : 2) + 2;
	if (!r->lecture && room_for(r, y, sh, 2)) {
		snprintf(buf, sizeof buf, "%s %s", v->log->personality[0] ? v->log->personality : "kernel",
			 f->chain ? f->chain : "");
		y += text_wrapped(r, r->mono_small, buf, a.x, y, w, th->dim, r->m * 2, 3) + 2;
	}
	if (!room_for(r, y, lh, 1))
		return;
	textf(r, r->sans, a.x, y, th->fg, w, "%d table%s, %d frame%s allocated, %d copied; %d entr%s written", f->tables,
	      f->tables == 1 ? "" : "s", f->frames, f->frames == 1 ? "" : "s", f->copied, v->nchange,
	      v->nchange == 1 ? "y" : "ies");
	y += lh;
	/* the changes, old and new side by side; what does not fit, counted */
	for (int i = 0; i < v->nchange; i++) {
		if (!room_for(r, y, sh, 1))
			break;   /* not one line: the count above says how many */
		if (!room_for(r, y, sh, i + 1 < v->nchange ? 2 : 1)) {
			textf(r, r->mono_small, a.x, y, th->dim, w, "\u2026 %d more entr%s", v->nchange - i,
			      v->nchange - i == 1 ? "y" : "ies");
			break;
		}
		const struct gtable *t = model_table(v->m, v->change[i].table);
		int level = t ? t->level : PT_LEVEL_LEAF;
		const struct pt_level *pl = pt_level_info(v->fmt, level);
		char was[96], now[96];
		entry_target(v->fmt, level, v->change[i].old, was, sizeof was);
		entry_target(v->fmt, level, v->change[i].val, now, sizeof now);
		int x = a.x;
		const char *badge = v->change[i].old ? "CHG" : "NEW";
		int bw = text_width(r->mono_small, badge) + 8;
		fill(r, x, y, bw, sh - 1, v->change[i].old ? th->changed : th->fresh);
		text(r, r->mono_small, badge, x + 4, y, th->bg, 0);
		x += bw + 4;
		const char *arrow = "\u2192 ";   /* "→ frame 1 ⇒ → frame 6" reads better without the first arrows */
		size_t al = strlen(arrow);
		textf(r, r->mono_small, x, y, th->fg, a.x + w - x, "%s[%u] %s \u21d2 %s", pl ? pl->name : "?",
		      v->change[i].index, strncmp(was, arrow, al) ? was : was + al, strncmp(now, arrow, al) ? now : now + al);
		y += sh;
	}
}

/* ------------------------------------------------------------ overlays */

static void draw_help(struct renderer *r)
{
	const struct theme *th = &gui_theme;
	static const char *const lines[] = {
		"space   play / pause        +  -   faster / slower",
		"->  <-  one fault           Home End   first / last",
		"k j n v   next fault of this kind / handler path / pid / VMA",
		"x       next failed fault   (shift: backwards)",
		"click the timeline: that fault",
		"Tab     next process        s   save a PNG",
		"l       lecture mode        p   predict   r   reveal",
		"?       this help           q Esc   quit",
		"mouse over an entry: its bits",
		"",
		"yellow: the walk; olive: the path below the fault",
		"NEW (green) and CHG (orange) badges: entries written",
		"vermillion: the fault, a miss, a missing entry (x)",
		"purple: sharing; blue: page tables; sky blue: anonymous",
	};
	int n = sizeof lines / sizeof lines[0], lh = TTF_FontLineSkip(r->mono);
	int w = r->surf->w / 2, h = (n + 2) * lh, x = (r->surf->w - w) / 2, y = (r->surf->h - h) / 2;
	fill(r, x, y, w, h, th->panel);
	outline(r, (SDL_Rect){x, y, w, h}, th->fg, 3);
	for (int i = 0; i < n; i++)
		text(r, r->mono, lines[i], x + lh, y + lh * (i + 1), th->fg, w - 2 * lh);
}

/* The process a TLB entry belongs to: the live one with its ASID (a global
 * entry: the one shown). */
static int tlb_owner(const struct step_view *v, const struct tlb_entry_ev *e)
{
	if (e->global)
		return v->pid;
	int best = 0;
	for (int i = 0; i < v->m->nproc; i++)
		if (v->m->proc[i].asid == e->asid && (!best || v->m->proc[i].alive))
			best = v->m->proc[i].pid;
	return best;
}

/* The mouse over a TLB slot: the entry (VPN -> PFN, ASID, the page's
 * bits now), and the access that filled it: the fault whose step it was in. */
static int hover_slot(const struct step_view *v, const struct layout_slot *sl, char lines[][160])
{
	int n = 0;
	const struct gtlb *g = &v->m->tlb[sl->tlb][sl->array];
	const struct tlb_entry_ev *e = &g->slot[(size_t)sl->set * g->ways + sl->way];
	snprintf(lines[n++], 160, "%s %" PRIu64 " KiB pages, set %u way %u", tlb_names[sl->tlb], g->size >> 10, sl->set,
		 sl->way);
	if (!e->valid) {
		snprintf(lines[n++], 160, "empty (invalid)");
		return n;
	}
	int pid = tlb_owner(v, e);
	char flags[64];
	uint64_t pfn = tlb_translate(v, pid, e->va, e->size, flags, sizeof flags);
	char pf[32] = "? (unmapped now)";
	if (pfn != UINT64_MAX)
		snprintf(pf, sizeof pf, "0x%" PRIx64, pfn);
	snprintf(lines[n++], 160, "VPN 0x%" PRIx64 " \u2192 PFN %s", e->va >> v->fmt->page_shift, pf);
	if (e->global)
		snprintf(lines[n++], 160, "global (every ASID)");
	else
		snprintf(lines[n++], 160, "ASID %u (pid %d)", e->asid, pid);
	snprintf(lines[n++], 160, "va 0x%" PRIx64 "-0x%" PRIx64, e->va, e->va + (e->size ? e->size : g->size) - 1);
	if (pfn != UINT64_MAX)
		snprintf(lines[n++], 160, "permissions (the entry now): %s", flags);
	/* the fill that put it there: the last one into this slot so far */
	for (size_t i = v->m->applied; i-- > 0;) {
		const struct gev *ev = &v->log->ev[i];
		if (ev->kind != GEV_TLB_FILL || ev->tlb != sl->tlb || ev->array != sl->array || ev->index != sl->set ||
		    ev->way != sl->way)
			continue;
		size_t k = 0;
		while (k + 1 < model_steps(v->log) && model_step_end(v->log, k) <= i)
			k++;
		const struct gfault *f = model_step_fault(v->log, k);
		uint64_t page = e->size ? e->size : g->size;
		if (hidden(v) && k == v->s->step) {   /* predict mode: this step's fills are the answer */
			snprintf(lines[0], 160, "%s, set %u way %u: filled this step, ? (r reveals)", tlb_names[sl->tlb],
				 sl->set, sl->way);
			return 1;
		}
		if (f && (f->va & ~(page - 1)) == (e->va & ~(page - 1)))
			snprintf(lines[n++], 160, "filled by fault %d's retry: %s 0x%" PRIx64 " (pid %d)%s", f->n, f->access,
				 f->va, f->pid, k == v->s->step ? ", this step" : "");
		else if (f)
			snprintf(lines[n++], 160, "filled after fault %d, by a later miss at 0x%" PRIx64 "%s", f->n, e->va,
				 k == v->s->step ? ", this step" : "");
		else
			snprintf(lines[n++], 160, "filled at event %zu", i + 1);
		break;
	}
	return n;
}

/* The mouse over a VMA: its range, size, and how much of it is mapped. */
static int hover_vma(const struct step_view *v, const struct layout_vma *lv, char lines[][160])
{
	int n = 0;
	const struct gproc *p = model_proc(v->m, lv->pid);
	const struct gvma *g = NULL;
	for (int i = 0; p && i < p->nvma; i++)
		if (p->vma[i].start == lv->start)
			g = &p->vma[i];
	if (!g)
		return 0;
	uint64_t pages = (g->end - g->start) >> v->fmt->page_shift, present = 0;
	for (uint64_t t = 0; t < v->m->nframes; t++) {
		const struct gtable *tb = v->m->table[t];
		if (!tb || tb->pid != lv->pid || tb->level != PT_LEVEL_LEAF)
			continue;
		for (int k = 0; k < tb->n; k++)
			if (tb->e[k].va >= g->start && tb->e[k].va < g->end &&
			    pte_decode(v->fmt, tb->level, tb->e[k].val).kind == PTE_PAGE)
				present++;
	}
	snprintf(lines[n++], 160, "VMA 0x%" PRIx64 "-0x%" PRIx64 " %s %s", g->start, g->end, g->prot, g->kind);
	snprintf(lines[n++], 160, "%" PRIu64 " pages of %u KiB (%" PRIu64 " KiB), pid %d", pages,
		 1u << (v->fmt->page_shift - 10), (g->end - g->start) >> 10, lv->pid);
	snprintf(lines[n++], 160, "%" PRIu64 " of them mapped by a leaf entry", present);
	return n;
}

static bool in_rect(const SDL_Rect *a, int x, int y) { return x >= a->x && x < a->x + a->w && y >= a->y && y < a->y + a->h; }

/* The mouse over a TLB slot, a VMA or a frame: what it is, in a few lines. */
static int hover_other(struct renderer *r, const struct step_view *v, int hx, int hy, char lines[][160])
{
	int n = 0;
	const struct model *m = v->m;
	for (int i = 0; i < r->lay.nslot; i++)
		if (in_rect(&r->lay.slot[i].r, hx, hy))
			return hover_slot(v, &r->lay.slot[i], lines);
	for (int i = 0; i < r->lay.nvma; i++)
		if (in_rect(&r->lay.vma[i].r, hx, hy))
			return hover_vma(v, &r->lay.vma[i], lines);
	if (r->fg.cols <= 0 || hx < r->fg.x || hy < r->fg.y || hx >= r->fg.x + r->fg.cols * r->fg.cell || hy >= r->fg.bottom)
		return 0;
	uint64_t f = (uint64_t)((hy - r->fg.y) / r->fg.cell) * (uint64_t)r->fg.cols + (uint64_t)((hx - r->fg.x) / r->fg.cell);
	if (f >= m->nframes)
		return 0;
	snprintf(lines[n++], 160, "frame 0x%" PRIx64 " (pa 0x%" PRIx64 "): %s", f, f << v->fmt->page_shift,
		 use_words[v->use[f] < USE_COUNT ? v->use[f] : 0]);
	const struct mappers *mp = v->mp;   /* as drawn: before the step while its outcome is not shown */
	if (mp && mp[f].count) {
		char pids[64] = "";
		for (int k = 0; k < mp[f].npids; k++)
			snprintf(pids + strlen(pids), sizeof pids - strlen(pids), "%s%d", k ? ", " : "", mp[f].pid[k]);
		snprintf(lines[n++], 160, "mapped by %u entr%s, pid %s", mp[f].count, mp[f].count == 1 ? "y" : "ies", pids);
	}
	if (show_old(v))   /* the entries below are the step's outcome */
		return n;
	/* where the shown process maps it: the page's address, its VMA (a page-cache frame's file) */
	for (uint64_t t = 0; t < m->nframes && n < 6; t++) {
		const struct gtable *tb = m->table[t];
		if (!tb || tb->pid != v->pid || tb->level != PT_LEVEL_LEAF)
			continue;
		for (int k = 0; k < tb->n && n < 6; k++) {
			struct pte d = pte_decode(v->fmt, tb->level, tb->e[k].val);
			if (d.kind != PTE_PAGE || d.oa >> v->fmt->page_shift != f)
				continue;
			const struct gproc *p = model_proc(m, v->pid);
			const char *kind = "";
			for (int j = 0; p && j < p->nvma; j++)
				if (tb->e[k].va >= p->vma[j].start && tb->e[k].va < p->vma[j].end)
					kind = p->vma[j].kind;
			snprintf(lines[n++], 160, "pid %d maps it at va 0x%" PRIx64 " %s", v->pid, tb->e[k].va, kind);
		}
	}
	return n;
}

static void draw_hover(struct renderer *r, const struct step_view *v)
{
	const struct theme *th = &gui_theme;
	int hx = v->s->hover_x, hy = v->s->hover_y;
	const struct layout_cell *c = NULL;
	for (int i = 0; i < r->lay.ncell; i++) {
		const SDL_Rect *a = &r->lay.cell[i].r;
		if (hx >= a->x && hx < a->x + a->w && hy >= a->y && hy < a->y + a->h)
			c = &r->lay.cell[i];
	}
	char lines[40][160];
	int n = 0;
	if (!c) {
		n = hover_other(r, v, hx, hy, lines);
		if (!n)
			return;
		goto box;
	}
	const struct pt_level *li = pt_level_info(v->fmt, c->level);
	snprintf(lines[n++], 160, "%s[%u] in table @0x%" PRIx64 " = 0x%016" PRIx64, li ? li->name : "?", c->index, c->table,
		 c->val);
	pte_describe(v->fmt, c->level, c->val, lines[n++], 160);
	struct pte d = pte_decode(v->fmt, c->level, c->val);
	int where = d.kind == PTE_TABLE ? PTF_TABLE : PTF_LEAF;
	for (const struct pte_field *f = v->fmt->fields; f && f->name && n < 40; f++) {
		if (!(f->where & where))
			continue;
		uint64_t val = (c->val >> f->lo) & (f->width >= 64 ? ~0ull : ((1ull << f->width) - 1));
		if (f->width > 8)
			snprintf(lines[n++], 160, "%-10s %2u:%-2u = 0x%" PRIx64 "  %s", f->name, f->lo + f->width - 1, f->lo, val,
				 f->what);
		else
			snprintf(lines[n++], 160, "%-10s %2u:%-2u = %" PRIu64 "  %s", f->name, f->lo + f->width - 1, f->lo, val,
				 f->what);
	}
box:;
	int lh = TTF_FontLineSkip(r->mono_small), w = 0;
	for (int i = 0; i < n; i++) {
		int tw = text_width(r->mono_small, lines[i]);
		w = tw > w ? tw : w;
	}
	w += 16;
	if (w > r->surf->w - 20)
		w = r->surf->w - 20;
	int h = n * lh + 12, x = hx + 16, y = hy + 16;
	if (x + w > r->surf->w)
		x = r->surf->w - w - 4;
	if (y + h > r->surf->h)
		y = hy - h - 8 < 0 ? 0 : hy - h - 8;
	fill(r, x, y, w, h, th->bg);
	outline(r, (SDL_Rect){x, y, w, h}, th->walk, 2);
	r->lay.hover = (SDL_Rect){x, y, w, h};
	for (int i = 0; i < n; i++)
		text(r, r->mono_small, lines[i], x + 8, y + 6 + i * lh, i ? th->fg : th->walk, w - 16);
}

/* ------------------------------------------------------------ the frame */

static void draw_header(struct renderer *r, const struct step_view *v, SDL_Rect a)
{
	const struct theme *th = &gui_theme;
	const struct render_state *s = v->s;
	int x = a.x;
	if (v->fault)
		x += textf(r, r->big, x, a.y, th->fg, 0, "fault %d of %zu   pid %d", v->fault->n, v->log->nfaults, v->fault->pid);
	else
		x += text(r, r->big, "no faults", x, a.y, th->fg, 0);
	if (v->pid != (v->fault ? v->fault->pid : v->m->current_pid))
		x += textf(r, r->big, x, a.y, th->walk, 0, "   showing pid %d", v->pid);
	char right[96];
	snprintf(right, sizeof right, "%s%s  %d/s   ? help", s->live ? "live  " : "", s->playing ? "playing" : "paused",
		 s->speed);
	int rw = text_width(r->sans, right);
	x += r->m * 4;
	if (a.x + a.w - rw - r->m - x > 0)   /* the machine and the log, up to the right-hand text */
		textf(r, r->sans, x, a.y + 4, th->dim, a.x + a.w - rw - r->m - x, "%s  %s  %s  %s", v->fmt->name,
		      v->log->preset, v->log->personality, v->log->name);
	text(r, r->sans, right, a.x + a.w - rw, a.y + 4, th->dim, 0);
}

/* The legend: each colour's one meaning, with the badge or shape that
 * says it again for those who cannot tell the colours apart. */
static void draw_legend(struct renderer *r, SDL_Rect a)
{
	const struct theme *th = &gui_theme;
	static const struct {
		const char *name;
		int what;   /* 0 swatch, 1 badge, 2 swatch with the sharing mark (a frame's lower third) */
	} items[] = {{"walk", 0}, {"path below the fault", 0}, {"NEW", 1}, {"CHG", 1}, {"fault / miss", 0},
		     {"shared", 0}, {"page table", 0}, {"anonymous", 0}, {"zero page", 0}, {"page cache", 0},
		     {"shared cache", 2}, {"free", 0}};
	const SDL_Color col[] = {th->walk, th->path, th->fresh, th->changed, th->fault, th->link,
				 th->table, th->use[USE_ANON], th->use[USE_ZERO], th->use[USE_PAGECACHE],
				 th->use[USE_PAGECACHE], th->use[USE_FREE]};
	int lh = TTF_FontHeight(r->mono_small), x = a.x;
	for (size_t i = 0; i < sizeof items / sizeof items[0] && x < a.x + a.w; i++) {
		if (items[i].what == 1) {
			int w = text_width(r->mono_small, items[i].name) + 8;
			if (x + w > a.x + a.w) {
				text(r, r->mono_small, "\u2026", x, a.y, th->dim, 0);
				break;
			}
			fill(r, x, a.y, w, lh, col[i]);
			x += text(r, r->mono_small, items[i].name, x + 4, a.y, th->bg, 0) + 8 + r->m;
			continue;
		}
		int w = lh * 3 / 4 + 4 + text_width(r->mono_small, items[i].name);
		if (x + w > a.x + a.w) {
			text(r, r->mono_small, "\u2026", x, a.y, th->dim, 0);
			break;
		}
		int sw = lh * 3 / 4;
		fill(r, x, a.y + lh / 8, sw, sw, col[i]);
		if (items[i].what == 2)
			fill(r, x, a.y + lh / 8 + sw * 2 / 3, sw, sw - sw * 2 / 3, th->link);
		x += sw + 4;
		x += text(r, r->mono_small, items[i].name, x, a.y, th->fg, 0) + r->m * 2;
	}
}

/* The run as a strip, a tick a fault: grey resolved, reddish purple a copy
 * on write, blue new tables, vermillion failed (taller); the shown fault
 * a yellow bar. A click on it jumps (view.c reads the panel's place). */
static void draw_timeline(struct renderer *r, const struct step_view *v, SDL_Rect a)
{
	const struct theme *th = &gui_theme;
	const struct evlog *l = v->log;
	fill(r, a.x, a.y, a.w, a.h, th->panel);
	if (!l->nfaults || a.w < 4)
		return;
	for (size_t k = 0; k < l->nfaults; k++) {
		const struct gfault *f = &l->faults[k];
		int x = a.x + (int)((double)k * a.w / (double)l->nfaults);
		int w = (int)((double)(k + 1) * a.w / (double)l->nfaults) - (x - a.x);
		bool failed = f->signal || strcmp(f->outcome, "resolved");
		SDL_Color c = failed ? th->fault : f->copied ? th->link : f->tables ? th->table : th->dim;
		int h = failed ? a.h : a.h * 2 / 3;
		fill(r, x, a.y + a.h - h, w > 1 ? w - (w > 3) : 1, h, c);
	}
	if (v->fault) {
		size_t k = (size_t)(v->fault - l->faults);
		int x = a.x + (int)((double)k * a.w / (double)l->nfaults);
		fill(r, x - 1, a.y, 3, a.h, th->walk);
	}
}

/* The default picture: the tables large on the left with the VMAs and the
 * frames under them, the fault and the TLBs on the right. */
static void layout_default(struct renderer *r, const struct step_view *v)
{
	int W = r->surf->w, H = r->surf->h, mg = r->m;
	int head_h = TTF_FontLineSkip(r->big), leg_h = TTF_FontLineSkip(r->mono_small);
	int right_w = W * 27 / 100, left_w = W - right_w - 3 * mg;
	int va_h = TTF_FontLineSkip(r->sans_bold) + TTF_FontLineSkip(r->mono) + 6;
	int y = mg, tl_h = mg > 6 ? mg : 6;
	begin_panel(r, "header", (SDL_Rect){mg, y, W - 2 * mg, head_h});
	draw_header(r, v, r->clip);
	y += head_h + mg / 2;
	begin_panel(r, "address", (SDL_Rect){mg, y, left_w, va_h});
	draw_va_split(r, v, r->clip);
	int ry = y;
	y += va_h + mg;
	int vma_h = TTF_FontLineSkip(r->sans) + TTF_FontLineSkip(r->mono_small) + 8;
	int bottom = H - mg - leg_h - mg / 2 - tl_h - mg / 2;
	int frames_h = H * 20 / 100;
	int tree_h = bottom - y - vma_h - frames_h - 2 * mg;
	if (v->partner) {   /* parent and child: the shown one above, the other below */
		int top_h = tree_h * 56 / 100;
		begin_panel(r, "tables", (SDL_Rect){mg, y, left_w, top_h});
		draw_tree(r, v, r->clip);
		begin_panel(r, "partner", (SDL_Rect){mg, y + top_h + mg, left_w, tree_h - top_h - mg});
		draw_partner(r, v, r->clip);
		draw_partner_links(r, v, (SDL_Rect){mg, y, left_w, tree_h});
	} else {
		begin_panel(r, "tables", (SDL_Rect){mg, y, left_w, tree_h});
		draw_tree(r, v, r->clip);
	}
	y += tree_h + mg;
	begin_panel(r, "vmas", (SDL_Rect){mg, y, left_w, vma_h});
	draw_vmas(r, v, r->clip);
	y += vma_h + mg;
	begin_panel(r, "frames", (SDL_Rect){mg, y, left_w, bottom - y});
	draw_frames(r, v, r->clip);
	int rx = W - right_w - mg;
	int fault_h = (bottom - ry) * 52 / 100;
	begin_panel(r, "fault", (SDL_Rect){rx, ry, right_w, fault_h});
	draw_fault_panel(r, v, r->clip);
	begin_panel(r, "tlbs", (SDL_Rect){rx, ry + fault_h + mg, right_w, bottom - ry - fault_h - mg});
	draw_tlbs(r, v, r->clip);
	begin_panel(r, "timeline", (SDL_Rect){mg, bottom + mg / 2, W - 2 * mg, tl_h});
	draw_timeline(r, v, r->clip);
	begin_panel(r, "legend", (SDL_Rect){mg, H - mg - leg_h, W - 2 * mg, leg_h});
	draw_legend(r, r->clip);
}

/* The lecture's picture: the address and the walk's tables first and
 * large, the fault's steps beside them, the TLBs' fill under those, the
 * VMAs and a strip of frames at the bottom. */
static void layout_lecture(struct renderer *r, const struct step_view *v)
{
	int W = r->surf->w, H = r->surf->h, mg = r->m;
	int head_h = TTF_FontLineSkip(r->big), leg_h = TTF_FontLineSkip(r->mono_small);
	int va_h = TTF_FontLineSkip(r->sans_bold) + TTF_FontLineSkip(r->mono) + 6;
	int y = mg;
	begin_panel(r, "header", (SDL_Rect){mg, y, W - 2 * mg, head_h});
	draw_header(r, v, r->clip);
	y += head_h + mg / 2;
	begin_panel(r, "address", (SDL_Rect){mg, y, W - 2 * mg, va_h});
	draw_va_split(r, v, r->clip);
	y += va_h + mg;
	int tl_h = mg > 6 ? mg : 6;
	int bottom = H - mg - leg_h - mg / 2 - tl_h - mg / 2;
	int vma_h = TTF_FontLineSkip(r->sans) + TTF_FontLineSkip(r->mono_small) + 8;
	int frames_h = H * 11 / 100;
	int main_h = bottom - y - vma_h - frames_h - 2 * mg;
	int left_w = (W - 3 * mg) * 60 / 100, rx = 2 * mg + left_w, right_w = W - mg - rx;
	if (v->partner) {   /* the other process's walk of the same address, a row a level, below */
		int levels = PT_LEVEL_LEAF - v->fmt->top_level + 1;
		int part_h = TTF_FontLineSkip(r->sans_bold) + levels * (TTF_FontLineSkip(r->mono_small) + 1) + 2;
		begin_panel(r, "tables", (SDL_Rect){mg, y, left_w, main_h - part_h - mg});
		draw_tree(r, v, r->clip);
		begin_panel(r, "partner", (SDL_Rect){mg, y + main_h - part_h, left_w, part_h});
		draw_partner(r, v, r->clip);
		draw_partner_links(r, v, (SDL_Rect){mg, y, left_w, main_h});
	} else {
		begin_panel(r, "tables", (SDL_Rect){mg, y, left_w, main_h});
		draw_tree(r, v, r->clip);
	}
	int fault_h = main_h * 62 / 100;
	begin_panel(r, "fault", (SDL_Rect){rx, y, right_w, fault_h});
	draw_fault_panel(r, v, r->clip);
	begin_panel(r, "tlbs", (SDL_Rect){rx, y + fault_h + mg, right_w, main_h - fault_h - mg});
	draw_tlbs(r, v, r->clip);
	y += main_h + mg;
	begin_panel(r, "vmas", (SDL_Rect){mg, y, W - 2 * mg, vma_h});
	draw_vmas(r, v, r->clip);
	y += vma_h + mg;
	begin_panel(r, "frames", (SDL_Rect){mg, y, W - 2 * mg, bottom - y});
	draw_frames(r, v, r->clip);
	begin_panel(r, "timeline", (SDL_Rect){mg, bottom + mg / 2, W - 2 * mg, tl_h});
	draw_timeline(r, v, r->clip);
	begin_panel(r, "legend", (SDL_Rect){mg, H - mg - leg_h, W - 2 * mg, leg_h});
	draw_legend(r, r->clip);
}

/* Whether frame pa was allocated (as a frame or a table) in the step. */
static bool allocated_in_step(const struct step_view *v, uint64_t pa)
{
	for (size_t i = v->begin; i < v->end; i++) {
		const struct gev *e = &v->log->ev[i];
		if ((e->kind == GEV_FRAME_ALLOC || e->kind == GEV_TABLE_ALLOC) && e->pa == pa)
			return true;
	}
	return false;
}

/* The frames as the step found them, for while its outcome is not shown
 * (hidden, or the animation not there yet): the frames and tables its
 * handler allocated free again (until "allocate"), the mappings its
 * entries made undone (until "write entry"). Otherwise the model's. */
static void frames_before(struct step_view *v, struct mappers *mp, uint8_t *use)
{
	const struct model *m = v->m;
	bool unalloc = hidden(v) || stage_of(v) < ST_ALLOC, unmap = show_old(v);
	for (int i = 0; i < v->nchange && (unalloc || unmap); i++) {
		const struct gtable *t = model_table(m, v->change[i].table);
		if (!t)
			continue;
		struct pte now = pte_decode(v->fmt, t->level, v->change[i].val), was = pte_decode(v->fmt, t->level, v->change[i].old);
		uint64_t f = now.oa >> v->fmt->page_shift, o = was.oa >> v->fmt->page_shift;
		bool same = now.kind == was.kind && now.oa == was.oa;
		if ((now.kind == PTE_PAGE || now.kind == PTE_TABLE) && !same && f < m->nframes && unalloc &&
		    allocated_in_step(v, now.oa))
			use[f] = USE_FREE;
		if (!unmap || t->level != PT_LEVEL_LEAF || same)
			continue;
		if (now.kind == PTE_PAGE && f < m->nframes && mp[f].count && !--mp[f].count)
			mp[f].npids = 0;
		if (was.kind == PTE_PAGE && o < m->nframes) {
			mp[o].count++;
			bool in = false;
			for (int k = 0; k < mp[o].npids; k++)
				in |= mp[o].pid[k] == t->pid;
			if (!in && mp[o].npids < MAPPER_PIDS)
				mp[o].pid[mp[o].npids++] = t->pid;
		}
	}
}

void render_frame(struct renderer *r, const struct model *m, const struct render_state *s)
{
	static struct step_view v;
	memset(&v, 0, sizeof v);
	v.m = m;
	v.log = m->log;
	v.fmt = m->log->fmt;
	v.s = s;
	v.fault = model_step_fault(m->log, s->step);
	v.pid = s->pid ? s->pid : v.fault ? v.fault->pid : m->current_pid;
	v.begin = model_step_begin(m->log, s->step);
	v.end = model_step_end(m->log, s->step);
	if (v.fault)
		v.nwalk = model_walk(m, v.pid, v.fault->va, v.walk, PT_MAX_LEVELS);
	collect_changes(&v);
	struct mappers *mp = calloc(m->nframes ? m->nframes : 1, sizeof *mp);
	if (mp)
		model_collect_mappers(m, mp);
	v.mp = mp;
	bool copying = false;
	for (size_t i = v.begin; i < v.end; i++)
		copying |= m->log->ev[i].kind == GEV_COW_COPY && m->log->ev[i].pid == v.pid;
	v.partner = find_partner(m, mp, v.pid, copying);
	uint8_t *use = malloc(m->nframes ? m->nframes : 1);
	if (use && m->nframes)
		memcpy(use, m->use, m->nframes);
	if (mp && use)
		frames_before(&v, mp, use);
	v.use = use ? use : m->use;
	r->lay.ncell = r->lay.nlink = r->lay.nmark = r->lay.ntext = r->lay.npanel = r->lay.dropped = 0;
	r->lay.nslot = r->lay.nvma = r->lay.breaks = r->lay.partner = 0;
	r->lay.hover = (SDL_Rect){0, 0, 0, 0};
	r->fg.cols = 0;
	r->lay.pid = v.pid;
	r->lay.partner = v.partner;
	if (s->lecture != r->lecture) {   /* the fonts were opened for the other mode */
		char err[256];
		int px = font_size(r->surf->w, r->surf->h, s->lecture);
		r->m = px / 2;
		if (open_fonts(r, px, s->lecture, err, sizeof err)) {
			free(mp);
			free(use);
			return;
		}
	}
	SDL_SetClipRect(r->surf, NULL);
	SDL_FillRect(r->surf, NULL, rgb(r, gui_theme.bg));
	if (s->lecture)
		layout_lecture(r, &v);
	else
		layout_default(r, &v);
	end_panels(r);
	if (s->hover_x >= 0)
		draw_hover(r, &v);
	if (s->help)
		draw_help(r);
	free(mp);
	free(use);
}
