/* The model: the machine's state rebuilt from events alone — processes and
 * their VMAs, page tables keyed by physical address with their entries,
 * frames with their use, TLB slots. Going to step k replays the events from
 * the nearest checkpoint at or before it (a deep copy of the state taken
 * every CHECKPOINT_EVERY steps), so stepping back gives exactly the state
 * stepping forward gave. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gui/model.h"

#define CHECKPOINT_EVERY 32

/* ------------------------------------------------------------ steps */

size_t model_steps(const struct evlog *l) { return l->nfaults ? l->nfaults : 1; }

size_t model_step_end(const struct evlog *l, size_t k)
{
	if (!l->nfaults)
		return l->nev;
	size_t i = l->faults[k].ev + 1;
	while (i < l->nev && l->ev[i].kind == GEV_TLB_FILL)
		i++;
	return i;
}

size_t model_step_begin(const struct evlog *l, size_t k) { return k ? model_step_end(l, k - 1) : 0; }

const struct gfault *model_step_fault(const struct evlog *l, size_t k)
{
	return k < l->nfaults ? &l->faults[k] : NULL;
}

/* ------------------------------------------------------------ state */

static void *grow(void *p, int *cap, int need, size_t elem)
{
	if (need <= *cap)
		return p;
	int cap2 = *cap ? *cap * 2 : 8;
	while (cap2 < need)
		cap2 *= 2;
	void *n = realloc(p, (size_t)cap2 * elem);
	if (!n)
		abort();
	*cap = cap2;
	return n;
}

static uint64_t frame_of(const struct model *m, uint64_t pa) { return pa >> m->log->fmt->page_shift; }

static void table_destroy(struct gtable *t)
{
	if (t) {
		free(t->e);
		free(t);
	}
}

static void tlbs_alloc(struct model *m)
{
	for (int t = 0; t < TLB_KINDS; t++)
		for (int a = 0; a < TLB_MAX_ARRAYS; a++) {
			struct gtlb *g = &m->tlb[t][a];
			g->sets = m->log->tlb_sets[t][a];
			g->ways = m->log->tlb_ways[t][a];
			g->size = m->log->tlb_size[t][a];
			g->slot = g->sets ? calloc((size_t)g->sets * g->ways, sizeof *g->slot) : NULL;
		}
}

static void state_clear(struct model *m)
{
	for (int i = 0; i < m->nproc; i++)
		free(m->proc[i].vma);
	free(m->proc);
	m->proc = NULL;
	m->nproc = m->cap = 0;
	if (m->table)
		for (uint64_t f = 0; f < m->nframes; f++)
			table_destroy(m->table[f]);
	free(m->table);
	free(m->use);
	for (int t = 0; t < TLB_KINDS; t++)
		for (int a = 0; a < TLB_MAX_ARRAYS; a++)
			free(m->tlb[t][a].slot);
	const struct evlog *l = m->log;
	struct model_checkpoints *cp = m->cp;
	memset(m, 0, sizeof *m);
	m->log = l;
	m->cp = cp;
}

static void state_reset(struct model *m)
{
	state_clear(m);
	m->nframes = m->log->max_frame;
	m->use = calloc(m->nframes + 1, 1);
	m->table = calloc(m->nframes + 1, sizeof *m->table);
	if (!m->use || !m->table)
		abort();
	tlbs_alloc(m);
}

static void state_copy(struct model *dst, const struct model *src)
{
	state_reset(dst);
	dst->applied = src->applied;
	dst->current_pid = src->current_pid;
	dst->nproc = dst->cap = src->nproc;
	dst->proc = malloc((size_t)(src->nproc + 1) * sizeof *dst->proc);
	for (int i = 0; i < src->nproc; i++) {
		dst->proc[i] = src->proc[i];
		dst->proc[i].cap = src->proc[i].nvma;
		dst->proc[i].vma = malloc((size_t)(src->proc[i].nvma + 1) * sizeof(struct gvma));
		memcpy(dst->proc[i].vma, src->proc[i].vma, (size_t)src->proc[i].nvma * sizeof(struct gvma));
	}
	memcpy(dst->use, src->use, src->nframes);
	for (uint64_t f = 0; f < src->nframes; f++) {
		const struct gtable *t = src->table[f];
		if (!t)
			continue;
		struct gtable *c = malloc(sizeof *c);
		*c = *t;
		c->cap = t->n;
		c->e = malloc((size_t)(t->n + 1) * sizeof *c->e);
		memcpy(c->e, t->e, (size_t)t->n * sizeof *c->e);
		dst->table[f] = c;
	}
	for (int t = 0; t < TLB_KINDS; t++)
		for (int a = 0; a < TLB_MAX_ARRAYS; a++)
			if (src->tlb[t][a].slot)
				memcpy(dst->tlb[t][a].slot, src->tlb[t][a].slot,
				       (size_t)src->tlb[t][a].sets * src->tlb[t][a].ways * sizeof(struct tlb_entry_ev));
}

struct gproc *model_proc(const struct model *m, int pid)
{
	for (int i = 0; i < m->nproc; i++)
		if (m->proc[i].pid == pid)
			return &m->proc[i];
	return NULL;
}

static struct gproc *proc_get(struct model *m, int pid)
{
	struct gproc *p = model_proc(m, pid);
	if (p)
		return p;
	m->proc = grow(m->proc, &m->cap, m->nproc + 1, sizeof *m->proc);
	p = &m->proc[m->nproc++];
	memset(p, 0, sizeof *p);
	p->pid = pid;
	p->alive = true;
	return p;
}

const struct gtable *model_table(const struct model *m, uint64_t pa)
{
	uint64_t f = frame_of(m, pa);
	return f < m->nframes ? m->table[f] : NULL;
}

static int entry_slot(const struct gtable *t, uint32_t index)
{
	int lo = 0, hi = t->n;
	while (lo < hi) {
		int mid = (lo + hi) / 2;
		if (t->e[mid].index < index)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const struct gentry *table_entry(const struct gtable *t, uint32_t index)
{
	if (!t)
		return NULL;
	int i = entry_slot(t, index);
	return i < t->n && t->e[i].index == index ? &t->e[i] : NULL;
}

static struct gtable *table_get(struct model *m, uint64_t pa, int level, int pid)
{
	uint64_t f = frame_of(m, pa);
	if (f >= m->nframes)
		return NULL;
	if (!m->table[f]) {
		struct gtable *t = calloc(1, sizeof *t);
		if (!t)
			abort();
		t->pa = pa;
		t->level = level;
		t->pid = pid;
		m->table[f] = t;
	}
	return m->table[f];
}

static void table_set(struct gtable *t, uint32_t index, uint64_t va, uint64_t val)
{
	int i = entry_slot(t, index);
	bool there = i < t->n && t->e[i].index == index;
	if (!val) {
		if (there) {
			memmove(&t->e[i], &t->e[i + 1], (size_t)(t->n - i - 1) * sizeof *t->e);
			t->n--;
		}
		return;
	}
	if (!there) {
		t->e = grow(t->e, &t->cap, t->n + 1, sizeof *t->e);
		memmove(&t->e[i + 1], &t->e[i], (size_t)(t->n - i) * sizeof *t->e);
		t->n++;
		t->e[i].index = index;
	}
	t->e[i].va = va;
	t->e[i].val = val;
}

/* ------------------------------------------------------------ VMAs */

static void vma_insert_at(struct gproc *p, int i, const struct gvma *v)
{
	p->vma = grow(p->vma, &p->cap, p->nvma + 1, sizeof *p->vma);
	memmove(&p->vma[i + 1], &p->vma[i], (size_t)(p->nvma - i) * sizeof *p->vma);
	p->vma[i] = *v;
	p->nvma++;
}

/* Cuts [start, end) out of the process's VMAs, splitting those it crosses. */
static void vma_remove(struct gproc *p, uint64_t start, uint64_t end)
{
	for (int i = 0; i < p->nvma; i++) {
		struct gvma *v = &p->vma[i];
		if (v->end <= start || v->start >= end)
			continue;
		if (v->start < start && v->end > end) {   /* a hole in the middle */
			struct gvma tail = *v;
			tail.start = end;
			v->end = start;
			vma_insert_at(p, i + 1, &tail);
			return;
		}
		if (v->start < start)
			v->end = start;
		else if (v->end > end)
			v->start = end;
		else {
			memmove(v, v + 1, (size_t)(p->nvma - i - 1) * sizeof *v);
			p->nvma--;
			i--;
		}
	}
}

static void vma_set(struct gproc *p, uint64_t start, uint64_t end, const char *prot, const char *kind)
{
	if (end <= start)
		return;
	vma_remove(p, start, end);
	int i = 0;
	while (i < p->nvma && p->vma[i].start < start)
		i++;
	struct gvma v = {start, end, "", ""};
	snprintf(v.prot, sizeof v.prot, "%s", prot);
	snprintf(v.kind, sizeof v.kind, "%s", kind);
	vma_insert_at(p, i, &v);
}

static void vma_protect(struct gproc *p, uint64_t start, uint64_t end, const char *prot)
{
	struct gvma pieces[64];
	int n = 0;
	for (int i = 0; i < p->nvma && n < 64; i++) {
		struct gvma v = p->vma[i];
		if (v.end <= start || v.start >= end)
			continue;
		if (v.start < start)
			v.start = start;
		if (v.end > end)
			v.end = end;
		pieces[n++] = v;
	}
	for (int i = 0; i < n; i++)
		vma_set(p, pieces[i].start, pieces[i].end, prot, pieces[i].kind);
}

static void prot_letters(uint32_t prot, char out[4])
{
	out[0] = prot & 1 ? 'r' : '-';
	out[1] = prot & 2 ? 'w' : '-';
	out[2] = prot & 4 ? 'x' : '-';
	out[3] = '\0';
}

static uint64_t page_up(const struct model *m, uint64_t a)
{
	uint64_t ps = (uint64_t)1 << m->log->fmt->page_shift;
	return (a + ps - 1) & ~(ps - 1);
}

static void apply_brk(struct model *m, struct gproc *p, const struct gev *e)
{
	if (e->result <= 0)
		return;
	uint64_t b = (uint64_t)e->result;
	if (!p->brk_start)
		p->brk_start = p->brk = b;
	uint64_t old_end = page_up(m, p->brk), new_end = page_up(m, b);
	if (b < p->brk_start)
		return;
	if (new_end < old_end)
		vma_remove(p, new_end, old_end);
	else if (new_end > page_up(m, p->brk_start))
		vma_set(p, page_up(m, p->brk_start), new_end, "rw-", "heap");
	p->brk = b;
}

static void apply_fault_vma(struct model *m, const struct gfault *f)
{
	if (!f->has_vma)
		return;
	struct gproc *p = proc_get(m, f->pid);
	const char *kind = "anon";
	if (f->vma_file) {
		const char *slash = strrchr(f->vma_file, '/');
		kind = slash ? slash + 1 : f->vma_file;
	} else if (strstr(f->vma_flags, "growsdown"))
		kind = "stack";
	else if (p->brk_start && f->vma_start >= page_up(m, p->brk_start) && f->vma_end <= page_up(m, p->brk))
		kind = "heap";
	vma_set(p, f->vma_start, f->vma_end, f->vma_prot, kind);
}

/* ------------------------------------------------------------ TLBs */

static bool tlb_slot_matches(const struct tlb_entry_ev *s, const struct gev *e)
{
	if (!s->valid)
		return false;
	switch (e->scope) {
	case 0:
		return (s->global || s->asid == e->asid) && e->va >= s->va && e->va - s->va < s->size;
	case 1:
		return !s->global && s->asid == e->asid;
	default:
		return true;
	}
}

static void apply_tlb_flush(struct model *m, const struct gev *e)
{
	for (int t = 0; t < TLB_KINDS; t++)
		for (int a = 0; a < TLB_MAX_ARRAYS; a++) {
			struct gtlb *g = &m->tlb[t][a];
			for (size_t i = 0; i < (size_t)g->sets * g->ways; i++)
				if (tlb_slot_matches(&g->slot[i], e))
					g->slot[i].valid = false;
		}
}

static void apply_tlb_fill(struct model *m, const struct gev *e)
{
	struct gtlb *g = &m->tlb[e->tlb][e->array];
	if (e->index < g->sets && e->way < g->ways)
		g->slot[(size_t)e->index * g->ways + e->way] = e->entry;
}

/* ------------------------------------------------------------ events */

static void apply_proc_event(struct model *m, const struct gev *e)
{
	struct gproc *p;
	switch ((enum gev_kind)e->kind) {
	case GEV_PROC_CREATE: {
		p = proc_get(m, e->pid);
		struct gproc *parent = model_proc(m, e->parent);
		free(p->vma);
		*p = (struct gproc){.pid = e->pid, .parent = e->parent, .asid = e->asid, .root = e->pa, .alive = true};
		parent = model_proc(m, e->parent);   /* proc_get may have moved it */
		if (parent) {
			p->brk_start = parent->brk_start;
			p->brk = parent->brk;
			for (int i = 0; i < parent->nvma; i++) {
				struct gvma v = parent->vma[i];
				vma_insert_at(p, p->nvma, &v);
				parent = model_proc(m, e->parent);
			}
		}
		break;
	}
	case GEV_PROC_EXIT:
		p = proc_get(m, e->pid);
		p->alive = false;
		p->code = (int)e->result;
		break;
	case GEV_SWITCH:
		p = proc_get(m, e->pid);
		p->root = e->pa;
		p->asid = e->asid;
		m->current_pid = e->pid;
		break;
	case GEV_EXEC:
		p = proc_get(m, e->pid);
		p->root = e->pa;
		p->asid = e->asid;
		p->nvma = 0;
		p->brk_start = p->brk = 0;
		p->alive = true;
		m->current_pid = e->pid;
		break;
	default:
		break;
	}
}

/* mremap: the mapping at va keeps its protection and kind at its new
 * place (moved unless the result is va; the old range stays with
 * MREMAP_DONTUNMAP, 4), or shrinks or grows where it is. */
static void apply_mremap(struct model *m, struct gproc *p, const struct gev *e)
{
	uint64_t old_len = page_up(m, e->old), new_len = page_up(m, e->val), to = (uint64_t)e->result;
	struct gvma was = {0};
	for (int i = 0; i < p->nvma; i++)
		if (p->vma[i].start <= e->va && e->va < p->vma[i].end)
			was = p->vma[i];
	if (e->result < 0 || !was.end)
		return;
	if (to != e->va && !(e->flags & 4))
		vma_remove(p, e->va, e->va + old_len);
	else if (to == e->va && new_len < old_len)
		vma_remove(p, e->va + new_len, e->va + old_len);
	if (to != e->va || new_len > old_len)
		vma_set(p, to, to + new_len, was.prot, was.kind);
}

static void apply_mapping_event(struct model *m, const struct gev *e)
{
	struct gproc *p = proc_get(m, e->pid);
	char prot[4];
	prot_letters(e->prot, prot);
	uint64_t len = page_up(m, e->old);
	switch ((enum gev_kind)e->kind) {
	case GEV_MMAP:
		if (e->result >= 0 || (uint64_t)e->result > 0xffffffffffff0000u) {
			const char *kind = e->flags & 16 ? "stack" : e->flags & 4 ? "anon" : "file";
			if ((uint64_t)e->result < 0xfffffffffffff000u)
				vma_set(p, (uint64_t)e->result, (uint64_t)e->result + len, prot, kind);
		}
		break;
	case GEV_MUNMAP:
		if (!e->result)
			vma_remove(p, e->va, e->va + len);
		break;
	case GEV_MPROTECT:
		if (!e->result)
			vma_protect(p, e->va, e->va + len, prot);
		break;
	case GEV_BRK:
		apply_brk(m, p, e);
		break;
	case GEV_MREMAP:
		apply_mremap(m, p, e);
		break;
	default:
		break;
	}
}

/* What the log does not allocate but a fault maps: the zero page (a
 * zero_page step maps a frame the kernel set aside at boot) and the rest
 * of a huge page (one frame_alloc names its first frame): drawn as what
 * they are, not as free. */
static void apply_fault_frames(struct model *m, const struct gfault *f)
{
	const struct pt_format *fmt = m->log->fmt;
	bool zero = f->path && strstr(f->path, "zero_page");
	for (int i = 0; i < f->nptes; i++) {
		struct pte d = pte_decode(fmt, f->ptes[i].level, f->ptes[i].val);
		if (d.kind != PTE_PAGE && d.kind != PTE_BLOCK)
			continue;
		uint64_t first = frame_of(m, d.oa), n = 1;
		if (d.kind == PTE_BLOCK) {
			const struct pt_level *li = pt_level_info(fmt, f->ptes[i].level);
			n = li ? 1ull << (li->va_shift - fmt->page_shift) : 1;
		}
		for (uint64_t k = first; k < first + n && k < m->nframes; k++) {
			if (zero && d.kind == PTE_PAGE && !d.write && m->use[k] == USE_FREE)
				m->use[k] = USE_ZERO;
			else if (k > first && m->use[k] == USE_FREE && first < m->nframes)
				m->use[k] = m->use[first];
		}
	}
}

static void apply_event(struct model *m, const struct gev *e)
{
	uint64_t f;
	switch ((enum gev_kind)e->kind) {
	case GEV_PTE: {
		struct gtable *t = table_get(m, e->pa, e->level, e->pid);
		if (t)
			table_set(t, e->index, e->va, e->val);
		break;
	}
	case GEV_TABLE_ALLOC:
		if ((f = frame_of(m, e->pa)) < m->nframes) {
			table_destroy(m->table[f]);
			m->table[f] = NULL;
			table_get(m, e->pa, e->level, e->pid);
		}
		break;
	case GEV_TABLE_FREE:
		if ((f = frame_of(m, e->pa)) < m->nframes) {
			table_destroy(m->table[f]);
			m->table[f] = NULL;
		}
		break;
	case GEV_FRAME_ALLOC:
	case GEV_FRAME_FREE:
		if ((f = frame_of(m, e->pa)) < m->nframes)
			m->use[f] = e->kind == GEV_FRAME_ALLOC ? e->use : USE_FREE;
		break;
	case GEV_TLB_FILL:
		apply_tlb_fill(m, e);
		break;
	case GEV_TLB_FLUSH:
		apply_tlb_flush(m, e);
		break;
	case GEV_FAULT:
		apply_fault_vma(m, &m->log->faults[e->index]);
		apply_fault_frames(m, &m->log->faults[e->index]);
		break;
	case GEV_PROC_CREATE:
	case GEV_PROC_EXIT:
	case GEV_SWITCH:
	case GEV_EXEC:
		apply_proc_event(m, e);
		break;
	case GEV_MMAP:
	case GEV_MUNMAP:
	case GEV_MPROTECT:
	case GEV_BRK:
	case GEV_MREMAP:
		apply_mapping_event(m, e);
		break;
	case GEV_COW_COPY:
	case GEV_PAGECACHE_SHARE:   /* said in words; the entries show it */
	case GEV_OTHER:
		break;
	}
}

static void apply_until(struct model *m, size_t end)
{
	while (m->applied < end)
		apply_event(m, &m->log->ev[m->applied++]);
}

/* ------------------------------------------------------------ checkpoints */

struct model_checkpoints {
	struct model *at;     /* at[i]: the state after step i * CHECKPOINT_EVERY - 1 (at[0]: nothing applied) */
	size_t n;
	size_t nframes;       /* the log's size when they were taken */
};

void model_init(struct model *m, const struct evlog *l)
{
	memset(m, 0, sizeof *m);
	m->log = l;
	m->cp = calloc(1, sizeof *m->cp);
	if (!m->cp)
		abort();
	state_reset(m);
}

static void checkpoints_drop(struct model_checkpoints *cp)
{
	for (size_t i = 0; i < cp->n; i++) {
		cp->at[i].cp = NULL;
		state_clear(&cp->at[i]);
	}
	free(cp->at);
	cp->at = NULL;
	cp->n = 0;
}

void model_free(struct model *m)
{
	if (m->cp) {
		checkpoints_drop(m->cp);
		free(m->cp);
	}
	m->cp = NULL;
	state_clear(m);
}

/* A live log can grow the frames or the TLBs seen: the state's arrays
 * then no longer fit. */
static bool sizes_changed(const struct model *m)
{
	const struct evlog *l = m->log;
	if (m->nframes != l->max_frame)
		return true;
	for (int t = 0; t < TLB_KINDS; t++)
		for (int a = 0; a < TLB_MAX_ARRAYS; a++)
			if (m->tlb[t][a].sets != l->tlb_sets[t][a] || m->tlb[t][a].ways != l->tlb_ways[t][a])
				return true;
	return false;
}

void model_goto(struct model *m, size_t k)
{
	struct model_checkpoints *cp = m->cp;
	const struct evlog *l = m->log;
	if (cp->nframes != l->max_frame || sizes_changed(m)) {
		/* a live log grew: the sizes changed, start over */
		checkpoints_drop(cp);
		cp->nframes = l->max_frame;
		state_reset(m);
	}
	size_t end = model_step_end(l, k);
	if (end < m->applied || m->applied + 4096 < end) {
		/* from the last checkpoint at or before end */
		size_t c = k / CHECKPOINT_EVERY;
		if (c >= cp->n)
			c = cp->n ? cp->n - 1 : 0;
		if (cp->n && cp->at[c].applied <= end)
			state_copy(m, &cp->at[c]);
		else
			state_reset(m);
	}
	/* take the checkpoints on the way */
	for (size_t c = cp->n; c * CHECKPOINT_EVERY <= k; c = cp->n) {
		size_t at = c ? model_step_end(l, c * CHECKPOINT_EVERY - 1) : 0;
		if (at < m->applied)
			break;
		apply_until(m, at);
		struct model *n = realloc(cp->at, (cp->n + 1) * sizeof *n);
		if (!n)
			abort();
		cp->at = n;
		memset(&cp->at[cp->n], 0, sizeof *cp->at);
		cp->at[cp->n].log = l;
		state_copy(&cp->at[cp->n], m);
		cp->at[cp->n].cp = NULL;
		cp->n++;
	}
	apply_until(m, end);
}

/* ------------------------------------------------------------ queries */

int model_walk(const struct model *m, int pid, uint64_t va, struct walk_cell *out, int max)
{
	const struct gproc *p = model_proc(m, pid);
	const struct pt_format *fmt = m->log->fmt;
	if (!p)
		return 0;
	uint64_t table = p->root;
	int n = 0;
	for (int level = fmt->top_level; level <= PT_LEVEL_LEAF && n < max; level++) {
		const struct gtable *t = model_table(m, table);
		if (!t)
			break;
		uint32_t idx = pt_index(fmt, level, va);
		const struct gentry *e = table_entry(t, idx);
		out[n++] = (struct walk_cell){table, idx, level, e != NULL};
		if (!e)
			break;
		struct pte d = pte_decode(fmt, level, e->val);
		if (d.kind != PTE_TABLE)
			break;
		table = d.oa;
	}
	return n;
}

static bool proc_alive(const struct model *m, int pid)
{
	const struct gproc *p = model_proc(m, pid);
	return p && p->alive;
}

void model_collect_mappers(const struct model *m, struct mappers *out)
{
	const struct pt_format *fmt = m->log->fmt;
	memset(out, 0, m->nframes * sizeof *out);
	for (uint64_t f = 0; f < m->nframes; f++) {
		const struct gtable *t = m->table[f];
		if (!t || !proc_alive(m, t->pid))
			continue;
		for (int i = 0; i < t->n; i++) {
			struct pte d = pte_decode(fmt, t->level, t->e[i].val);
			if (d.kind != PTE_PAGE && d.kind != PTE_BLOCK)
				continue;
			uint64_t fr = frame_of(m, d.oa);
			if (fr >= m->nframes)
				continue;
			struct mappers *mp = &out[fr];
			mp->count++;
			bool seen = false;
			for (int j = 0; j < mp->npids; j++)
				seen |= mp->pid[j] == t->pid;
			if (!seen && mp->npids < MAPPER_PIDS)
				mp->pid[mp->npids++] = t->pid;
		}
	}
}
