/* The classroom view, rendered headless, checked against the event logs
 * it draws (tests/gui.sh makes them from guest runs and a replay):
 * - the walk path: every entry a fault's record names on its walk (a pte
 *   the handler wrote at or above the faulting level, at the faulting
 *   address's index) is drawn in the walk colour, and the walk's cells are
 *   as many as the levels down to the faulting one;
 * - stepping forward then back (and far away then back) gives the frame
 *   a fresh model gives, pixel for pixel;
 * - after a fork, a frame the child later copies on write is still shared
 *   before that: linked to the child and to its parent;
 * - the layout rules, at every tested size, default and lecture: panels
 *   inside the picture and apart, every string inside a panel and apart
 *   from every other, none
 *   dropped for want of room, every cut string marked "…"; a lecture's
 *   type at least 20 points at 1280x720;
 * - predict mode: a step's new frames appear in no string until revealed
 *   (and do after), and not in the pixels: the log changed to map another
 *   frame there gives the same picture while hidden (and another once
 *   revealed);
 * - lecture mode: the walk's entries in the walk colour too, and a failed
 *   walk's missing entry drawn;
 * - the mouse over a TLB slot, a VMA, a frame: a box (its outline in the
 *   walk colour) saying what it is (a slot: VPN -> PFN, ASID, permissions,
 *   the fault that filled it; hidden in predict mode when this step did);
 * - parent and child side by side: at a copy on write, the other process
 *   drawn too, its entry for the address joined to the copier's (shared
 *   while the step is before "write entry", the frame copied from after
 *   it; hidden in predict mode);
 * - the VMAs to scale: one scale for every bar, and a break mark wherever
 *   a gap between two is not drawn to it.
 * - page-cache sharing (a dynamic program's libraries in several
 *   processes): at the step of the first pagecache_share event, the frames'
 *   title names its file's page and mapping count, every page-cache frame
 *   several live processes map carries the mark (and no other frame), drawn
 *   in the sharing colour, and the title counts them.
 * Usage: test_gui [--fork] [--cache-share] LOG... (--fork: the next log must
 * show a shared frame; --cache-share: a shared page-cache frame). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "gui/render.h"

static int failures, checks;

#define CHECK(cond, ...)                                                         \
	do {                                                                     \
		checks++;                                                        \
		if (!(cond)) {                                                   \
			failures++;                                              \
			fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);     \
			fprintf(stderr, __VA_ARGS__);                            \
			fputc('\n', stderr);                                     \
		}                                                                \
	} while (0)

static SDL_Color pixel(SDL_Surface *s, int x, int y)
{
	SDL_Color c = {0, 0, 0, 255};
	if (x < 0 || y < 0 || x >= s->w || y >= s->h)
		return c;
	Uint32 px;
	memcpy(&px, (const Uint8 *)s->pixels + (size_t)y * (size_t)s->pitch + (size_t)x * 4, 4);
	SDL_GetRGB(px, s->format, &c.r, &c.g, &c.b);
	return c;
}

static bool same_color(SDL_Color a, SDL_Color b) { return a.r == b.r && a.g == b.g && a.b == b.b; }

/* The faults to look at: all of a short log, else a spread of them. */
static bool sampled(size_t k, size_t n) { return n <= 16 || k % (n / 12) == 0 || k + 1 == n; }

static bool lecture;   /* the mode render() draws in */

static void render(struct renderer *r, struct model *m, size_t k)
{
	model_goto(m, k);
	struct render_state s = {.step = k, .nsteps = model_steps(m->log), .anim = 1.0, .speed = 4, .hover_x = -1,
				 .hover_y = -1, .lecture = lecture};
	render_frame(r, m, &s);
}

static bool inside(SDL_Rect in, SDL_Rect out)
{
	return in.x >= out.x && in.y >= out.y && in.x + in.w <= out.x + out.w && in.y + in.h <= out.y + out.h + 2;
}

static bool apart(SDL_Rect a, SDL_Rect b)
{
	return a.x + a.w <= b.x || b.x + b.w <= a.x || a.y + a.h <= b.y || b.y + b.h <= a.y;
}

static bool ends_with_ellipsis(const char *s)
{
	size_t n = strlen(s);
	return n >= 3 && !strcmp(s + n - 3, "\u2026");
}

/* The layout's rules on one drawn frame. */
static void check_layout_rules(const char *name, const struct renderer *r, size_t k, int min_pt)
{
	const struct layout *lay = renderer_layout(r);
	SDL_Surface *s = renderer_surface((struct renderer *)r);
	SDL_Rect all = {0, 0, s->w, s->h};
	const char *mode = lecture ? "lecture" : "default";
	CHECK(lay->npanel >= 6, "%s %dx%d %s: fault %zu: %d panels", name, s->w, s->h, mode, k + 1, lay->npanel);
	for (int i = 0; i < lay->npanel; i++) {
		CHECK(inside(lay->panel[i].r, all), "%s %dx%d %s: panel %s outside the picture", name, s->w, s->h, mode,
		      lay->panel[i].name);
		for (int j = i + 1; j < lay->npanel; j++)
			CHECK(apart(lay->panel[i].r, lay->panel[j].r), "%s %dx%d %s: fault %zu: panels %s and %s overlap", name,
			      s->w, s->h, mode, k + 1, lay->panel[i].name, lay->panel[j].name);
	}
	CHECK(lay->dropped == 0, "%s %dx%d %s: fault %zu: %d strings dropped (cut without a mark)", name, s->w, s->h, mode,
	      k + 1, lay->dropped);
	for (int i = 0; i < lay->ntext; i++) {
		const struct layout_text *t = &lay->text[i];
		bool in = false;
		for (int j = 0; j < lay->npanel && !in; j++)
			in = inside(t->r, lay->panel[j].r);
		CHECK(in, "%s %dx%d %s: fault %zu: \"%s\" at %d,%d is in no panel", name, s->w, s->h, mode, k + 1, t->s, t->r.x,
		      t->r.y);
		CHECK(!t->cut || ends_with_ellipsis(t->s), "%s %dx%d %s: fault %zu: \"%s\" cut without a mark", name, s->w,
		      s->h, mode, k + 1, t->s);
		for (int j = i + 1; j < lay->ntext; j++)
			CHECK(apart(t->r, lay->text[j].r), "%s %dx%d %s: fault %zu: \"%s\" overlaps \"%s\"", name, s->w, s->h,
			      mode, k + 1, t->s, lay->text[j].s);
		CHECK(t->pt >= min_pt, "%s %dx%d %s: fault %zu: \"%s\" in %d points (< %d)", name, s->w, s->h, mode, k + 1,
		      t->s, t->pt, min_pt);
	}
}

static void check_rules_at_sizes(const char *name, struct renderer *r, struct model *m)
{
	static const int sizes[][2] = {{1600, 900}, {1280, 720}, {1024, 768}, {800, 600}, {640, 400}};
	char err[256];
	size_t n = model_steps(m->log);
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
		for (int mode = 0; mode < 2; mode++) {
			lecture = mode;
			if (lecture && sizes[i][1] < 600)
				continue;   /* a lecture's floor is 800x600 */
			renderer_resize(r, sizes[i][0], sizes[i][1], err, sizeof err);
			int min_pt = lecture && sizes[i][0] == 1280 ? 20 : 1;
			for (size_t k = 0; k < n; k++)
				if (sampled(k, n)) {
					render(r, m, k);
					check_layout_rules(name, r, k, min_pt);
				}
		}
	lecture = false;
	renderer_resize(r, 1280, 720, err, sizeof err);
}

static bool drawn_text_has(const struct layout *lay, const char *needle)
{
	for (int i = 0; i < lay->ntext; i++)
		if (strstr(lay->text[i].s, needle))
			return true;
	return false;
}

/* Predict mode: the frame a step maps anew (a frame no other entry maps)
 * is nowhere in the picture's strings until revealed. */
static void check_predict(const char *name, struct renderer *r, struct model *m)
{
	const struct evlog *l = m->log;
	int checked = 0;
	for (size_t k = 0; k < l->nfaults && checked < 8; k++) {
		const struct gfault *f = &l->faults[k];
		if (!sampled(k, l->nfaults))
			continue;
		model_goto(m, k);
		struct mappers *mp = calloc(m->nframes ? m->nframes : 1, sizeof *mp);
		model_collect_mappers(m, mp);
		for (int mode = 0; mode < 2; mode++)
			for (int i = 0; i < f->nptes; i++) {
				const struct gpte *p = &f->ptes[i];
				struct pte d = pte_decode(l->fmt, p->level, p->val);
				uint64_t pfn = d.oa >> l->fmt->page_shift;
				if (p->old || d.kind != PTE_PAGE || pfn >= m->nframes || mp[pfn].count != 1)
					continue;
				char needle[48];
				snprintf(needle, sizeof needle, "frame 0x%llx", (unsigned long long)pfn);
				struct render_state s = {.step = k, .nsteps = l->nfaults, .anim = 1.0, .speed = 4, .hover_x = -1,
							 .hover_y = -1, .lecture = mode, .predict = true};
				render_frame(r, m, &s);
				CHECK(!drawn_text_has(renderer_layout(r), needle), "%s: fault %d (predict, %s): \"%s\" is shown",
				      name, f->n, mode ? "lecture" : "default", needle);
				s.revealed = true;
				render_frame(r, m, &s);
				CHECK(drawn_text_has(renderer_layout(r), needle), "%s: fault %d (revealed, %s): \"%s\" is not shown",
				      name, f->n, mode ? "lecture" : "default", needle);
				checked++;
			}
		free(mp);
	}
	CHECK(checked > 0, "%s: no new frame to hide in predict mode", name);
}

/* Swaps frame a for frame b in the events of step k (entries written,
 * frames allocated, copies) and in its fault's record: a log that differs
 * only in the values predict mode hides. Its own inverse. */
static void swap_frame_in_step(struct evlog *l, size_t k, uint64_t a, uint64_t b)
{
	int sh = l->fmt->page_shift;
	uint64_t pa = a << sh, pb = b << sh, bits = pa ^ pb;
	for (size_t i = model_step_begin(l, k); i < model_step_end(l, k); i++) {
		struct gev *e = &l->ev[i];
		uint64_t o = pte_decode(l->fmt, e->level, e->val).oa >> sh;
		if (e->kind == GEV_PTE && e->val && (o == a || o == b))
			e->val ^= bits;
		if ((e->kind == GEV_FRAME_ALLOC || e->kind == GEV_FRAME_FREE) && (e->pa == pa || e->pa == pb))
			e->pa ^= bits;
		if (e->kind == GEV_COW_COPY && (e->val == pa || e->val == pb))
			e->val ^= bits;
	}
	struct gfault *f = &l->faults[k];
	for (int i = 0; i < f->nptes; i++) {
		uint64_t o = pte_decode(l->fmt, f->ptes[i].level, f->ptes[i].val).oa >> sh;
		if (f->ptes[i].val && (o == a || o == b))
			f->ptes[i].val ^= bits;
	}
}

/* Predict mode's pixels: step k hidden, drawn from the log and from the
 * log with its new frame swapped for a free one, is the same picture. */
static void check_predict_pixels(const char *name, struct renderer *r, struct model *m)
{
	struct evlog *l = (struct evlog *)m->log;
	SDL_Surface *surf = renderer_surface(r);
	size_t bytes = (size_t)surf->pitch * (size_t)surf->h;
	unsigned char *a = malloc(bytes), *ra = malloc(bytes);
	int checked = 0;
	for (size_t k = 1; k < l->nfaults && checked < 3; k++) {
		const struct gfault *f = &l->faults[k];
		if (!sampled(k, l->nfaults) || f->nptes == 0)
			continue;
		/* the step's new page frame, and a frame free before and after it */
		model_goto(m, k);
		uint64_t from = UINT64_MAX, to = UINT64_MAX;
		for (int i = 0; i < f->nptes && from == UINT64_MAX; i++) {
			struct pte d = pte_decode(l->fmt, f->ptes[i].level, f->ptes[i].val);
			struct pte o = pte_decode(l->fmt, f->ptes[i].level, f->ptes[i].old);
			if (d.kind == PTE_PAGE && (o.kind != PTE_PAGE || o.oa != d.oa))
				from = d.oa >> l->fmt->page_shift;
		}
		struct mappers *mp = calloc(m->nframes, sizeof *mp);
		model_collect_mappers(m, mp);
		for (uint64_t g = m->nframes; g-- > 0 && to == UINT64_MAX;)
			if (m->use[g] == USE_FREE && !mp[g].count && !m->table[g])
				to = g;
		free(mp);
		if (from == UINT64_MAX || to == UINT64_MAX || from >= m->nframes)
			continue;
		for (int mode = 0; mode < 2; mode++) {
			struct render_state s = {.step = k, .nsteps = l->nfaults, .anim = 1.0, .speed = 4, .hover_x = -1,
						 .hover_y = -1, .lecture = mode, .predict = true};
			struct model m1, m2;
			model_init(&m1, l);
			model_goto(&m1, k);
			render_frame(r, &m1, &s);
			memcpy(a, surf->pixels, bytes);
			s.revealed = true;
			render_frame(r, &m1, &s);
			memcpy(ra, surf->pixels, bytes);
			model_free(&m1);
			swap_frame_in_step(l, k, from, to);
			model_init(&m2, l);
			model_goto(&m2, k);
			s.revealed = false;
			render_frame(r, &m2, &s);
			size_t at = 0;
			while (at < bytes && a[at] == ((unsigned char *)surf->pixels)[at])
				at++;
			CHECK(at == bytes,
			      "%s: fault %d (predict, %s): the picture shows which frame it maps (0x%llx or 0x%llx), at %zu,%zu",
			      name, f->n, mode ? "lecture" : "default", (unsigned long long)from, (unsigned long long)to,
			      at % (size_t)surf->pitch / 4, at / (size_t)surf->pitch);
			s.revealed = true;
			render_frame(r, &m2, &s);
			CHECK(mode || memcmp(ra, surf->pixels, bytes), "%s: fault %d (revealed, %s): frame 0x%llx or 0x%llx, the same picture",
			      name, f->n, mode ? "lecture" : "default", (unsigned long long)from, (unsigned long long)to);
			model_free(&m2);
			swap_frame_in_step(l, k, from, to);
		}
		checked++;
	}
	CHECK(checked > 0, "%s: no step with a new frame to hide in predict mode's pixels", name);
	free(a);
	free(ra);
	model_goto(m, 0);
}

/* A failed walk (no entry where the walk looked) shows the missing entry. */
static void check_missing_entry(const char *name, struct renderer *r, struct model *m)
{
	const struct evlog *l = m->log;
	for (size_t k = 0; k < l->nfaults; k++) {
		const struct gfault *f = &l->faults[k];
		if (f->has_vma || !f->signal)
			continue;
		for (int mode = 0; mode < 2; mode++) {
			lecture = mode;
			render(r, m, k);
			CHECK(drawn_text_has(renderer_layout(r), lecture ? "MISSING" : "no VMA"),
			      "%s: fault %d outside every VMA: no missing entry or no-VMA mark drawn (%s)", name, f->n,
			      lecture ? "lecture" : "default");
		}
		lecture = false;
		return;
	}
}

/* The strings inside the hover box: their lines joined. */
static void hover_text(const struct layout *lay, char *out, size_t len)
{
	out[0] = '\0';
	for (int i = 0; i < lay->ntext; i++) {
		SDL_Rect t = lay->text[i].r;
		if (lay->hover.w && t.x >= lay->hover.x && t.y >= lay->hover.y && t.x < lay->hover.x + lay->hover.w &&
		    t.y < lay->hover.y + lay->hover.h)
			snprintf(out + strlen(out), len - strlen(out), "%s\n", lay->text[i].s);
	}
}

/* Renders step k with the mouse at (x, y); the box's text into out. */
static void render_hover(struct renderer *r, struct model *m, size_t k, int x, int y, bool predict, char *out,
			 size_t len)
{
	model_goto(m, k);
	struct render_state s = {.step = k, .nsteps = model_steps(m->log), .anim = 1.0, .speed = 4, .hover_x = x,
				 .hover_y = y, .lecture = lecture, .predict = predict};
	render_frame(r, m, &s);
	const struct layout *lay = renderer_layout(r);
	hover_text(lay, out, len);
	if (lay->hover.w) {
		SDL_Color got = pixel(renderer_surface(r), lay->hover.x, lay->hover.y + lay->hover.h / 2);
		CHECK(same_color(got, gui_theme.walk), "%s: the hover box at %d,%d has no outline in the walk colour",
		      m->log->name, lay->hover.x, lay->hover.y);
	}
}

/* The mouse over a filled TLB slot, a VMA and a frame, at a fault's step
 * (the last sampled one with a fill): each opens its box. */
static void check_hover(const char *name, struct renderer *r, struct model *m)
{
	const struct evlog *l = m->log;
	size_t k = model_steps(l);
	while (k-- > 0) {
		size_t b = model_step_begin(l, k), e = model_step_end(l, k);
		bool fill = false;
		for (size_t i = b; i < e; i++)
			fill |= l->ev[i].kind == GEV_TLB_FILL;
		if (fill && model_step_fault(l, k))
			break;
	}
	if (k == (size_t)-1)
		return;
	render(r, m, k);
	const struct layout *lay = renderer_layout(r);
	/* copies: the layout is redone by each render */
	struct layout_slot slot = {0};
	bool found = false;
	for (size_t i = model_step_begin(l, k); i < model_step_end(l, k) && !found; i++) {
		const struct gev *ev = &l->ev[i];
		for (int j = 0; ev->kind == GEV_TLB_FILL && j < lay->nslot && !found; j++)
			if (lay->slot[j].tlb == ev->tlb && lay->slot[j].array == ev->array && lay->slot[j].set == ev->index &&
			    lay->slot[j].way == ev->way) {
				slot = lay->slot[j];
				found = true;
			}
	}
	struct layout_vma vma = lay->nvma ? lay->vma[lay->nvma - 1] : (struct layout_vma){0};
	char buf[4096];
	CHECK(found, "%s: fault %zu: the slot its fill wrote is not drawn (%s)", name, k + 1, lecture ? "lecture" : "default");
	if (found) {
		render_hover(r, m, k, slot.r.x + slot.r.w / 2, slot.r.y + slot.r.h / 2, false, buf, sizeof buf);
		CHECK(strstr(buf, "VPN 0x") && strstr(buf, "\u2192 PFN") && strstr(buf, "ASID") && strstr(buf, "permissions") &&
		      strstr(buf, "filled"),
		      "%s: fault %zu: the mouse over TLB slot set %u way %u: \"%s\"", name, k + 1, slot.set, slot.way, buf);
		/* predict mode: the same place (the panel keeps its rows while hidden) */
		render_hover(r, m, k, slot.r.x + slot.r.w / 2, slot.r.y + slot.r.h / 2, true, buf, sizeof buf);
		CHECK(strstr(buf, "?") && !strstr(buf, "PFN"), "%s: fault %zu, predict: the slot this step filled tells: \"%s\"",
		      name, k + 1, buf);
	}
	if (vma.r.w) {
		render_hover(r, m, k, vma.r.x + vma.r.w / 2, vma.r.y + vma.r.h / 2, false, buf, sizeof buf);
		char want[64];
		snprintf(want, sizeof want, "VMA 0x%llx-0x%llx", (unsigned long long)vma.start, (unsigned long long)vma.end);
		CHECK(strstr(buf, want) && strstr(buf, "pages"), "%s: fault %zu: the mouse over a VMA: \"%s\", not %s", name,
		      k + 1, buf, want);
	}
	render(r, m, k);
	for (int i = 0; i < lay->npanel; i++)
		if (!strcmp(lay->panel[i].name, "frames")) {   /* the first frame: below the chips' line */
			SDL_Rect a = lay->panel[i].r;
			for (int y = a.y; y < a.y + a.h; y += 2) {
				render_hover(r, m, k, a.x + 2, y, false, buf, sizeof buf);
				if (strstr(buf, "frame 0x0 "))
					break;
			}
			CHECK(strstr(buf, "frame 0x0 (pa 0x0)"), "%s: the mouse over frame 0: \"%s\"", name, buf);
			break;
		}
}

/* The VMAs to scale: one pixels-per-byte for every bar (within rounding),
 * and where the pixels between two bars are not their gap to that scale,
 * a break mark "//" between them. */
static void check_vmas_to_scale(const char *name, struct renderer *r, struct model *m)
{
	size_t n = model_steps(m->log), checked = 0;
	for (size_t k = 0; k < n; k++) {
		if (!sampled(k, n))
			continue;
		render(r, m, k);
		const struct layout *lay = renderer_layout(r);
		double px = 0, bytes = 0;
		for (int i = 0; i < lay->nvma; i++)   /* the wide bars set the scale */
			if (lay->vma[i].r.w > 40) {
				px += lay->vma[i].r.w + 1;
				bytes += (double)(lay->vma[i].end - lay->vma[i].start);
			}
		if (px == 0)
			continue;
		double scale = px / bytes;
		for (int i = 0; i < lay->nvma; i++) {
			const struct layout_vma *a = &lay->vma[i];
			double want = (double)(a->end - a->start) * scale;
			CHECK(a->r.w >= want - 3 - want / 100 && a->r.w <= (want < 1 ? 1 : want) + 3 + want / 100,
			      "%s: fault %zu: VMA 0x%llx-0x%llx %d px wide, %.0f to scale", name, k + 1,
			      (unsigned long long)a->start, (unsigned long long)a->end, a->r.w, want);
			if (!i)
				continue;
			const struct layout_vma *b = &lay->vma[i - 1];
			int gap = a->r.x - (b->r.x + b->r.w);
			double gwant = (double)(a->start - b->end) * scale;
			if (gap <= gwant + 3 + gwant / 100 && gap >= gwant - 3 - gwant / 100)
				continue;
			bool mark = false;
			for (int t = 0; t < lay->ntext && !mark; t++)
				mark = !strcmp(lay->text[t].s, "//") && lay->text[t].r.x >= b->r.x + b->r.w - 1 &&
				       lay->text[t].r.x + lay->text[t].r.w <= a->r.x + 1;
			CHECK(mark, "%s: fault %zu: the gap 0x%llx-0x%llx drawn %d px (%.0f to scale) with no break mark", name,
			      k + 1, (unsigned long long)b->end, (unsigned long long)a->start, gap, gwant);
		}
		checked++;
	}
	CHECK(checked > 0, "%s: no VMAs to check", name);
}

static const struct layout_cell *find_cell(const struct layout *l, uint64_t table, uint32_t index)
{
	for (int i = 0; i < l->ncell; i++)
		if (l->cell[i].table == table && l->cell[i].index == index)
			return &l->cell[i];
	return NULL;
}


static void check_walks(const char *name, struct renderer *r, struct model *m)
{
	const struct evlog *l = m->log;
	const struct pt_format *fmt = l->fmt;
	int named = 0;
	for (size_t k = 0; k < l->nfaults; k++) {
		const struct gfault *f = &l->faults[k];
		if (!sampled(k, l->nfaults))
			continue;
		render(r, m, k);
		const struct layout *lay = renderer_layout(r);
		SDL_Surface *s = renderer_surface(r);
		for (int i = 0; i < f->nptes; i++) {
			const struct gpte *p = &f->ptes[i];
			if (p->level > f->level || p->index != pt_index(fmt, p->level, f->va) || !p->val)
				continue;
			const struct layout_cell *c = find_cell(lay, p->table, p->index);
			CHECK(c, "%s: fault %d: no cell for the walk's entry [%u] of table 0x%llx", name, f->n, p->index,
			      (unsigned long long)p->table);
			if (!c)
				continue;
			named++;
			SDL_Color got = pixel(s, c->r.x + 2, c->r.y + c->r.h / 2);
			CHECK(same_color(got, gui_theme.walk),
			      "%s: fault %d: the walk's entry [%u] of table 0x%llx is %d,%d,%d, not the walk colour", name, f->n,
			      p->index, (unsigned long long)p->table, got.r, got.g, got.b);
		}
		if (k == 0 && lay->ncell) {   /* the mouse over an entry: its bits in a box beside it */
			struct layout_cell c = lay->cell[0];
			struct render_state hs = {.step = k, .nsteps = l->nfaults, .anim = 1.0, .speed = 4,
						  .hover_x = c.r.x + 4, .hover_y = c.r.y + 4, .lecture = lecture};
			render_frame(r, m, &hs);
			SDL_Color got = pixel(s, hs.hover_x + 17, hs.hover_y + 30);
			CHECK(same_color(got, gui_theme.walk), "%s: no box with the entry's bits beside the mouse", name);
			render(r, m, k);
		}
		if (strcmp(f->outcome, "resolved"))
			continue;
		int walk = 0;
		for (int i = 0; i < lay->ncell; i++)
			if (lay->cell[i].state == CELL_WALK) {
				walk++;
				SDL_Color got = pixel(s, lay->cell[i].r.x + 2, lay->cell[i].r.y + lay->cell[i].r.h / 2);
				CHECK(same_color(got, gui_theme.walk), "%s: fault %d: a walk cell is not drawn in the walk colour",
				      name, f->n);
			}
		CHECK(walk == f->level - fmt->top_level + 1, "%s: fault %d at level %d: %d walk cells", name, f->n, f->level,
		      walk);
	}
	CHECK(named > 0, "%s: no fault's walk entries were checked", name);
}

/* Fault k drawn from a fresh model (only ever stepped forward) is the
 * picture the long-lived one must give after stepping forward and back. */
static void check_back_and_forth(const char *name, struct renderer *r, struct model *m)
{
	size_t n = model_steps(m->log);
	SDL_Surface *s = renderer_surface(r);
	size_t bytes = (size_t)s->pitch * (size_t)s->h;
	unsigned char *fresh = malloc(bytes);
	size_t ks[] = {0, n / 3, n / 2, n > 1 ? n - 2 : 0};
	for (size_t i = 0; i < sizeof ks / sizeof ks[0]; i++) {
		size_t k = ks[i];
		struct model first;
		model_init(&first, m->log);
		render(r, &first, k);
		memcpy(fresh, s->pixels, bytes);
		model_free(&first);
		render(r, m, k + 1 < n ? k + 1 : k);
		render(r, m, k);
		CHECK(!memcmp(fresh, s->pixels, bytes), "%s: fault %zu, forward then back, is not the same picture", name,
		      k + 1);
		render(r, m, n - 1);   /* far ahead and back (from a checkpoint) */
		render(r, m, k);
		CHECK(!memcmp(fresh, s->pixels, bytes), "%s: fault %zu, after the last fault and back, is not the same picture",
		      name, k + 1);
	}
	free(fresh);
}

/* The step just before the one holding event i. */
static size_t step_before_event(const struct evlog *l, size_t i)
{
	size_t k = 0;
	while (k + 1 < model_steps(l) && model_step_end(l, k) <= i)
		k++;
	return k ? k - 1 : 0;
}

static const struct layout_link *find_link(const struct layout *lay, int kind, uint64_t frame)
{
	for (int j = 0; j < lay->nlink; j++)
		if (lay->link[j].kind == kind && lay->link[j].frame == frame)
			return &lay->link[j];
	return NULL;
}

/* The step of a copy on write: the other process beside the copier, their
 * entries for the address joined, shared then copied. */
static void check_partner(const char *name, struct renderer *r, struct model *m)
{
	const struct evlog *l = m->log;
	int checked = 0;
	for (size_t i = 0; i < l->nev && checked < 2; i++) {
		if (l->ev[i].kind != GEV_COW_COPY)
			continue;
		size_t k = 0;
		while (k + 1 < model_steps(l) && model_step_end(l, k) <= i)
			k++;
		const struct gfault *f = model_step_fault(l, k);
		if (!f || f->pid != l->ev[i].pid || !k)
			continue;
		/* a copy of a frame another process maps too (not of a file's page) */
		model_goto(m, k - 1);
		struct mappers *mp = calloc(m->nframes, sizeof *mp);
		model_collect_mappers(m, mp);
		uint64_t from = l->ev[i].pa >> l->fmt->page_shift;
		bool shared = from < m->nframes && mp[from].npids >= 2;
		free(mp);
		if (!shared)
			continue;
		model_goto(m, k);
		for (int mode = 0; mode < 2; mode++) {
			const char *mn = mode ? "lecture" : "default";
			struct render_state s = {.step = k, .nsteps = l->nfaults, .anim = 1.0, .speed = 4, .hover_x = -1,
						 .hover_y = -1, .lecture = mode};
			render_frame(r, m, &s);
			const struct layout *lay = renderer_layout(r);
			CHECK(lay->partner, "%s: fault %d (%s), a copy on write: no other process drawn beside pid %d", name, f->n,
			      mn, f->pid);
			const struct layout_link *ln = find_link(lay, LINK_COPY, l->ev[i].pa);
			CHECK(ln, "%s: fault %d (%s): no link from the frame copied from, 0x%llx, to the copier's entry", name,
			      f->n, mn, (unsigned long long)l->ev[i].pa);
			if (ln) {
				SDL_Color got = pixel(renderer_surface(r), ln->x1 - 2, ln->y1);
				CHECK(same_color(got, gui_theme.link), "%s: fault %d (%s): the copy link is not drawn", name, f->n,
				      mn);
			}
			s.anim = 0.25;   /* "fault": the entry as it was, still sharing */
			render_frame(r, m, &s);
			CHECK(find_link(renderer_layout(r), LINK_SHARED, l->ev[i].pa),
			      "%s: fault %d (%s), before the write: the two entries are not joined as sharing frame 0x%llx", name,
			      f->n, mn, (unsigned long long)l->ev[i].pa);
			s.anim = 1.0;
			s.predict = true;
			render_frame(r, m, &s);
			CHECK(!find_link(renderer_layout(r), LINK_COPY, l->ev[i].pa),
			      "%s: fault %d (%s, predict): the copy is shown before it is revealed", name, f->n, mn);
		}
		checked++;
	}
	CHECK(checked > 0, "%s: no copy on write to check parent and child beside each other", name);
}

static void check_fork_sharing(const char *name, struct renderer *r, struct model *m)
{
	const struct evlog *l = m->log;
	int linked = 0;
	for (size_t i = 0; i < l->nev && linked < 3; i++) {
		const struct gev *cow = &l->ev[i];
		if (cow->kind != GEV_COW_COPY)
			continue;
		/* the child's parent, from its proc_create */
		int parent = 0;
		size_t created = 0;
		for (size_t j = 0; j < i; j++)
			if (l->ev[j].kind == GEV_PROC_CREATE && l->ev[j].pid == cow->pid) {
				parent = l->ev[j].parent;
				created = j;
			}
		size_t k = step_before_event(l, i);
		if (!parent || model_step_end(l, k) <= created)
			continue;
		render(r, m, k);
		const struct layout *lay = renderer_layout(r);
		SDL_Surface *s = renderer_surface(r);
		bool to_child = false, to_parent = false;
		for (int j = 0; j < lay->nlink; j++) {
			const struct layout_link *ln = &lay->link[j];
			if (ln->frame != cow->pa)
				continue;
			SDL_Color got = pixel(s, ln->x2, ln->y2);
			CHECK(same_color(got, gui_theme.link), "%s: step %zu: the link of frame 0x%llx to pid %d is not drawn",
			      name, k + 1, (unsigned long long)ln->frame, ln->pid);
			to_child |= ln->pid == cow->pid;
			to_parent |= ln->pid == parent;
		}
		CHECK(to_child && to_parent, "%s: step %zu: frame 0x%llx (copied later by pid %d) is not linked to %s", name,
		      k + 1, (unsigned long long)cow->pa, cow->pid, to_child ? "the parent" : "the child");
		linked++;
	}
	CHECK(linked > 0, "%s: no frame shared after the fork was found to check", name);
}

static bool layout_has_prefix(const struct layout *lay, const char *prefix)
{
	for (int i = 0; i < lay->ntext; i++)
		if (!strncmp(lay->text[i].s, prefix, strlen(prefix)))
			return true;
	return false;
}

static bool vma_covers(const struct gproc *p, uint64_t va)
{
	for (int i = 0; p && i < p->nvma; i++)
		if (p->vma[i].start <= va && va < p->vma[i].end)
			return true;
	return false;
}

static void check_cache_sharing(const char *name, struct renderer *r, struct model *m)
{
	const struct evlog *l = m->log;
	size_t i = 0;
	while (i < l->nev && l->ev[i].kind != GEV_PAGECACHE_SHARE)
		i++;
	CHECK(i < l->nev, "%s: no pagecache_share event", name);
	if (i == l->nev)
		return;
	const struct gev *e = &l->ev[i];
	size_t k = 0;
	while (k + 1 < model_steps(l) && model_step_end(l, k) <= i)
		k++;
	render(r, m, k);
	const struct layout *lay = renderer_layout(r);
	SDL_Surface *s = renderer_surface(r);
	const char *file = l->files[e->index], *base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
	char want[200];
	snprintf(want, sizeof want, "shared: %s +0x%" PRIx64 " \u00d7%" PRIu64, base, e->old, e->val);
	CHECK(layout_has_prefix(lay, want), "%s: step %zu: no \"%s\" on the frames' title line", name, k + 1, want);
	struct mappers *mp = calloc(m->nframes, sizeof *mp);
	model_collect_mappers(m, mp);
	uint64_t shared = 0;
	for (uint64_t f = 0; f < m->nframes; f++)
		shared += m->use[f] == USE_PAGECACHE && mp[f].npids >= 2;
	CHECK(shared > 0, "%s: step %zu: the model has no page-cache frame that two processes map", name, k + 1);
	for (int j = 0; j < lay->nmark; j++) {
		const struct layout_mark *mk = &lay->mark[j];
		uint64_t f = mk->frame >> l->fmt->page_shift;
		CHECK(f < m->nframes && m->use[f] == USE_PAGECACHE && mp[f].npids >= 2,
		      "%s: step %zu: frame 0x%" PRIx64 " is marked shared but is not a page-cache frame two processes map", name,
		      k + 1, mk->frame);
		CHECK(same_color(pixel(s, mk->r.x + mk->r.w / 2, mk->r.y + mk->r.h / 2), gui_theme.link),
		      "%s: step %zu: the mark of frame 0x%" PRIx64 " is not in the sharing colour", name, k + 1, mk->frame);
	}
	if (!layout_has_prefix(lay, "\u2026 ")) {   /* the whole grid drawn: every one marked */
		CHECK((uint64_t)lay->nmark == shared, "%s: step %zu: %d frames marked shared, the model has %" PRIu64, name,
		      k + 1, lay->nmark, shared);
	}
	snprintf(want, sizeof want, "%" PRIu64 " page-cache frame%s shared", shared, shared == 1 ? "" : "s");
	CHECK(layout_has_prefix(lay, want), "%s: step %zu: the title does not say \"%s\"", name, k + 1, want);
	free(mp);
}

/* After each mremap that moved a mapping, the view's VMAs are at the new
 * place, and no longer at the old one (but with MREMAP_DONTUNMAP, 4). */
static void check_mremap(const char *name, struct model *m)
{
	const struct evlog *l = m->log;
	int moves = 0;
	for (size_t i = 0; i < l->nev; i++) {
		const struct gev *e = &l->ev[i];
		if (e->kind != GEV_MREMAP || e->result < 0 || (uint64_t)e->result == e->va)
			continue;
		size_t k = 0;
		while (k + 1 < model_steps(l) && model_step_end(l, k) <= i)
			k++;
		if (model_step_end(l, k) <= i)
			continue;   /* no fault after it: no step shows it */
		model_goto(m, k);
		const struct gproc *p = model_proc(m, e->pid);
		CHECK(vma_covers(p, (uint64_t)e->result), "%s: step %zu: no VMA at 0x%llx, where pid %d's mremap moved it",
		      name, k + 1, (unsigned long long)e->result, e->pid);
		CHECK(vma_covers(p, e->va) == !!(e->flags & 4), "%s: step %zu: pid %d's old place 0x%llx %s", name, k + 1,
		      e->pid, (unsigned long long)e->va, e->flags & 4 ? "went (MREMAP_DONTUNMAP)" : "is still mapped");
		moves++;
	}
	CHECK(moves > 0, "%s: no mremap that moved a mapping was found to check", name);
}

int main(int argc, char **argv)
{
	setenv("SDL_VIDEODRIVER", "offscreen", 1);
	if (SDL_Init(SDL_INIT_VIDEO)) {
		fprintf(stderr, "test_gui: SDL: %s\n", SDL_GetError());
		return 1;
	}
	char err[1024];
	struct renderer *r = renderer_create(1280, 720, err, sizeof err);
	if (!r) {
		fprintf(stderr, "test_gui: %s\n", err);
		return 1;
	}
	bool fork = false, cache_share = false, mremap = false;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--fork")) {
			fork = true;
			continue;
		}
		if (!strcmp(argv[i], "--cache-share")) {
			cache_share = true;
			continue;
		}
		if (!strcmp(argv[i], "--mremap")) {
			mremap = true;
			continue;
		}
		struct evlog l;
		evlog_init(&l, argv[i]);
		if (evlog_read_file(&l, argv[i], err, sizeof err)) {
			CHECK(0, "%s", err);
			continue;
		}
		struct model m;
		model_init(&m, &l);
		if (mremap) {   /* the VMAs only: a log of four processes is not a layout case */
			check_mremap(argv[i], &m);
			mremap = false;
			model_free(&m);
			evlog_free(&l);
			continue;
		}
		check_walks(argv[i], r, &m);
		lecture = true;   /* the lecture's walk too */
		check_walks(argv[i], r, &m);
		lecture = false;
		check_back_and_forth(argv[i], r, &m);
		check_rules_at_sizes(argv[i], r, &m);
		check_predict(argv[i], r, &m);
		check_predict_pixels(argv[i], r, &m);
		check_hover(argv[i], r, &m);
		lecture = true;
		check_hover(argv[i], r, &m);
		lecture = false;
		check_vmas_to_scale(argv[i], r, &m);
		check_missing_entry(argv[i], r, &m);
		if (fork) {
			check_fork_sharing(argv[i], r, &m);
			check_partner(argv[i], r, &m);
		}
		if (cache_share)
			check_cache_sharing(argv[i], r, &m);
		fork = cache_share = false;
		model_free(&m);
		evlog_free(&l);
	}
	renderer_destroy(r);
	SDL_Quit();
	printf("test_gui: %d passed, %d failed\n", checks - failures, failures);
	return failures != 0;
}
