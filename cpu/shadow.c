/* Guest memory as Unicorn sees it: host reservations mapped as Unicorn
 * regions, into which frames of the physical-memory memfd are mapped once
 * the MMU has translated them (docs/architecture.md, "The bridge"). */
#include "cpu/internal.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* Inside a memory hook (or the SIGSEGV handler) the page's blocks cannot
 * go at once: uc_ctl_remove_cache looks the page up in Unicorn's TLB, and
 * the refill may replace the entry of the very access that called the hook
 * (Unicorn 2.0.1's load/store helpers read it before their hooks and use
 * its host offset after them): the guest's store then lands at a host
 * address of another region, and mmusim crashes. Nor can the emulation be
 * stopped there: Unicorn leaves the block right after the access and
 * resumes at the block's start, running its first instructions twice. The
 * page waits for the next block hook (or the end of uc_emu_start). */
static void code_removal_defer(struct cpu *c, uint64_t va)
{
	for (unsigned i = 0; i < c->nstale; i++)
		if (c->stale_code[i] == va)
			return;
	if (c->nstale < sizeof c->stale_code / sizeof c->stale_code[0])
		c->stale_code[c->nstale++] = va;
	else
		c->stale_overflow = true;
}

/* The page at va of an executable region may get other code: its
 * translated blocks go (while its regions are in Unicorn), and so do the
 * blocks' instruction counts. */
static void code_may_change(struct cpu *c, bool live, uint64_t va)
{
	if (live && c->in_access)
		code_removal_defer(c, va);
	else if (live)
		uc_ctl_remove_cache(c->uc, va, va + c->page);
	block_counts_forget(c);
}

/* Where no helper holds a TLB entry (the block hook, after uc_emu_start):
 * the deferred pages' blocks go, of those still in an executable region (a
 * system call since may have unmapped it, its blocks with it; a fetch
 * lookup there would fault). Returns whether [addr, addr+size) touched one
 * of them: that block may be stale and must not run. */
bool code_removals_flush(struct cpu *c, uint64_t addr, uint64_t size)
{
	if (!c->nstale && !c->stale_overflow)
		return false;
	bool hit = c->stale_overflow;
	for (size_t i = 0; c->stale_overflow && i < c->nreg; i++)
		if (c->reg[i].exec)
			uc_ctl_remove_cache(c->uc, c->reg[i].start, c->reg[i].end);
	for (unsigned i = 0; !c->stale_overflow && i < c->nstale; i++) {
		uint64_t va = c->stale_code[i];
		const struct region *r = region_of(c, va);
		if (r && r->exec)
			uc_ctl_remove_cache(c->uc, va, va + c->page);
		hit |= size && addr < va + c->page && va < addr + size;
	}
	c->nstale = 0;
	c->stale_overflow = false;
	return hit;
}

/* ---- regions ---- */

/* Takes a region out of Unicorn (its host side stays). The translated code
 * goes first: Unicorn finds it only while the memory is mapped. */
static void region_unmap(struct cpu *c, struct region *r)
{
	c->hooked = false;   /* its pages leave the shadow */
	uc_ctl_remove_cache(c->uc, r->start, r->end);
	uc_mem_unmap(c->uc, r->start, r->end - r->start);
}

static void region_free(struct cpu *c, struct region *r)
{
	region_unmap(c, r);
	munmap(r->host, r->end - r->start);
	free(r->state);
}

/* Puts a region's reservation into Unicorn: readable and writable (the
 * shadow's host protections and the hooks check data accesses), executable
 * as its VMAs are. */
static bool region_map(struct cpu *c, const struct region *r)
{
	uint32_t perms = UC_PROT_READ | UC_PROT_WRITE | (r->exec ? UC_PROT_EXEC : 0);
	return uc_mem_map_ptr(c->uc, r->start, r->end - r->start, perms, r->host) == UC_ERR_OK;
}

static bool region_new(struct cpu *c, struct region *r, uint64_t start, uint64_t end, bool exec)
{
	*r = (struct region){.start = start, .end = end, .exec = exec};
	r->host = mmap(NULL, end - start, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	r->state = calloc((end - start) >> c->shift, 1);
	if (r->host == MAP_FAILED || !r->state) {
		free(r->state);
		return false;
	}
	if (!region_map(c, r)) {
		munmap(r->host, end - start);
		free(r->state);
		return false;
	}
	return true;
}

/* The regions the current process's VMAs call for: runs of VMAs with the
 * same execute permission, across holes of up to REGION_GAP (a hole has no
 * VMA: an access there faults in the MMU as it should); a grows-down stack
 * covers its limit (so that stack growth needs no new region). Unicorn's
 * cost grows with its regions and it aborts past 1,022 (AArch64), so a
 * process is kept to REGION_BUDGET: past it, runs merge whatever their
 * permission, into executable regions (the MMU still refuses fetches from
 * non-executable pages in timing mode; in functional mode a shadowed one
 * would run). */
#define REGION_GAP (16ull << 20)
#define REGION_BUDGET 128
/* Region ends are rounded out (not into a neighbour) to this, or to a
 * power of two of a quarter of the run's length: a process that maps page
 * after page keeps its regions for a while, and a growing run is made
 * again (which costs Unicorn in proportion to its length) a logarithmic
 * number of times, not once per REGION_ALIGN. */
#define REGION_ALIGN (2ull << 20)

static uint64_t run_align(const struct region *r)
{
	uint64_t align = REGION_ALIGN;
	while (align < (r->end - r->start) / 4 && align < (1ull << 40))
		align <<= 1;
	return align;
}

static size_t merge_regions(const struct vma *v, size_t nv, struct region *out, bool any_exec)
{
	size_t n = 0;
	for (size_t i = 0; i < nv; i++) {
		bool exec = v[i].flags & VM_EXEC;
		uint64_t start = v[i].start, end = v[i].end;
		if (v[i].flags & VM_GROWSDOWN) {
			uint64_t limit = 8ull << 20;
			start = end - limit > end ? 0 : end - limit;
			if (n && out[n - 1].end > start)
				start = out[n - 1].end;
		}
		if (n && start - out[n - 1].end <= REGION_GAP && (any_exec || out[n - 1].exec == exec)) {
			out[n - 1].end = end;
			out[n - 1].exec |= exec;
			continue;
		}
		out[n++] = (struct region){.start = start, .end = end, .exec = exec};
	}
	return n;
}

/* The runs the VMAs call for, in a malloc'ed array, their ends rounded
 * out; c->runs_merged and c->runs_on_demand say how they were made. */
static size_t wanted_runs(struct cpu *c, struct region **out)
{
	const struct vma *v;
	size_t nv = proc_vmas(kernel_current(c->k), &v);
	*out = malloc((nv + 1) * sizeof **out);
	if (!*out)
		return 0;
	size_t n = merge_regions(v, nv, *out, false);
	c->runs_merged = n > REGION_BUDGET;
	if (c->runs_merged)
		n = merge_regions(v, nv, *out, true);
	c->runs_on_demand = n > REGION_BUDGET;
	struct region *r = *out;
	for (size_t i = 0; i < n; i++) {
		uint64_t align = run_align(&r[i]);
		uint64_t lo = r[i].start & ~(align - 1), hi = (r[i].end + align - 1) & ~(align - 1);
		uint64_t floor = i ? r[i - 1].end : 0x10000, ceil = i + 1 < n ? r[i + 1].start : r[i].end;
		if (lo < floor)
			lo = floor > r[i].start ? r[i].start : floor;
		if (hi > ceil || hi < r[i].end)   /* into the next one, or past the top */
			hi = ceil > r[i].end ? ceil : r[i].end;
		r[i].start = lo;
		r[i].end = hi;
	}
	return n;
}

/* A run longer than WINDOWED_RUN is not one region: 2.0.1's uc_mem_unmap
 * flushes Unicorn's TLB page by page over a region's whole length, so a
 * 16 TiB PROT_NONE mapping cost an hour to unmap, whatever the guest did
 * with it. Such a run is covered by WINDOW-aligned regions of at most
 * WINDOW, each made when the guest first touches it (Unicorn's unmapped
 * hook, window_make): Unicorn's cost follows what the guest touched.
 * Runs too many for REGION_BUDGET even merged (mappings spread wider than
 * REGION_GAP apart) are all made so, each whole, when first touched. At
 * most WINDOW_BUDGET such pieces stay from one system call to the next
 * (the latest made); past REGION_HARD_MAX the oldest goes at once. The
 * shadow is a cache: a piece dropped is made again. */
#define WINDOWED_RUN (256ull << 20)
#define WINDOW (64ull << 20)
#define WINDOW_BUDGET 256
/* Unicorn aborts past 1,022 regions (AArch64), and each region costs every
 * change of its map: no more than this at once. */
#define REGION_HARD_MAX 384

static bool windowed(const struct region *run) { return run->end - run->start > WINDOWED_RUN; }

static bool on_demand(const struct cpu *c, const struct region *run) { return c->runs_on_demand || windowed(run); }

/* The piece of an on-demand run that holds va: its window, or the run. */
static struct region piece_of(const struct region *run, uint64_t va)
{
	if (!windowed(run))
		return (struct region){.start = run->start, .end = run->end, .exec = run->exec, .window = true};
	uint64_t lo = va & ~(WINDOW - 1), hi = lo + WINDOW;
	return (struct region){.start = lo > run->start ? lo : run->start,
			       .end = hi < run->end ? hi : run->end,
			       .exec = run->exec,
			       .window = true};
}

/* The first of the n runs (sorted) ending past va. */
static size_t run_index(const struct region *run, size_t n, uint64_t va)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (run[mid].end > va)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/* The run of c->runs holding [start, end), or NULL. */
static const struct region *run_holding(const struct cpu *c, uint64_t start, uint64_t end)
{
	size_t i = run_index(c->runs, c->nruns, start);
	if (i == c->nruns || c->runs[i].start > start || c->runs[i].end < end)
		return NULL;
	return &c->runs[i];
}

static int by_start(const void *a, const void *b)
{
	const struct region *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

/* What stays of piece r when its run is `run` now: the part inside it
 * (not the whole window again: a piece may have been cut short around a
 * region, piece_between). */
static struct region piece_within(const struct region *run, const struct region *r)
{
	return (struct region){.start = r->start > run->start ? r->start : run->start,
			       .end = r->end < run->end ? r->end : run->end,
			       .exec = run->exec,
			       .window = true};
}

/* The wanted regions: the runs, an on-demand run replaced by those of its
 * pieces the current regions have. */
static size_t wanted_regions(struct cpu *c, const struct region *run, size_t nrun, struct region **out)
{
	size_t n = 0, pieces = 0;
	struct region *w = malloc((nrun + c->nreg + 1) * sizeof *w);
	*out = w;
	if (!w)
		return 0;
	for (size_t i = 0; i < nrun; i++)
		if (!on_demand(c, &run[i]))
			w[n++] = run[i];
	for (size_t j = c->nreg; j-- > 0 && pieces < WINDOW_BUDGET;) {   /* the latest first */
		const struct region *r = &c->reg[j];
		size_t i = run_index(run, nrun, r->start);
		if (!r->window || i == nrun || !on_demand(c, &run[i]) || run[i].start >= r->end)
			continue;
		w[n++] = piece_within(&run[i], r);
		pieces++;
	}
	qsort(w, n, sizeof *w, by_start);
	size_t m = 0;
	for (size_t i = 0; i < n; i++)
		if (!m || w[i].start != w[m - 1].start)
			w[m++] = w[i];
	return m;
}

/* At REGION_HARD_MAX inside Unicorn's unmapped hook: the oldest piece
 * goes, unless it holds the code running (its block may span two pages)
 * or the page before the access (a straddling access's first half). */
static bool piece_evict(struct cpu *c, uint64_t va)
{
	uint64_t pc = read_pc(c) & ~(c->page - 1);
	for (size_t i = 0; i < c->nreg; i++) {
		struct region *r = &c->reg[i];
		bool busy = (r->start < pc + 2 * c->page && pc < r->end) ||
			    (r->start < va + c->page && va - c->page < r->end);
		if (!r->window || busy)
			continue;
		region_free(c, r);
		memmove(r, r + 1, (c->nreg - i - 1) * sizeof *r);
		c->nreg--;
		memset(c->region_hint, 0, sizeof c->region_hint);
		return true;
	}
	return false;
}

/* A piece holding va, cut short where it would overlap a current region:
 * the regions an on-demand run kept from before it grew (may_stay), and
 * pieces cut so before, do not keep to the WINDOW grid. */
static struct region piece_between(const struct cpu *c, struct region w, uint64_t va)
{
	for (size_t i = 0; i < c->nreg; i++) {
		const struct region *r = &c->reg[i];
		if (r->end <= va && r->end > w.start)
			w.start = r->end;
		if (r->start > va && r->start < w.end)
			w.end = r->start;
	}
	return w;
}

bool window_make(struct cpu *c, uint64_t va)
{
	if (region_of(c, va) || !c->runs_valid)
		return false;
	size_t i = run_index(c->runs, c->nruns, va);
	if (i == c->nruns || c->runs[i].start > va || !on_demand(c, &c->runs[i]))
		return false;
	if (c->nreg >= REGION_HARD_MAX && !piece_evict(c, va))
		return false;
	struct region w = piece_between(c, piece_of(&c->runs[i], va), va);
	struct region *nr = realloc(c->reg, (c->nreg + 1) * sizeof *nr);
	if (!nr)
		return false;
	c->reg = nr;
	if (!region_new(c, &c->reg[c->nreg], w.start, w.end, w.exec))
		return false;
	c->reg[c->nreg++].window = true;
	return true;
}

static void runs_forget(struct cpu *c)
{
	free(c->runs);
	c->runs = NULL;
	c->nruns = 0;
	c->runs_valid = false;
}

/* Whether the regions still serve the VMAs after a change in [lo, hi):
 * each VMA there lies in one run, executable as the run is (or merely
 * executable when the budget merged runs whatever their permission). A
 * run that covers a VMA no longer is left as it is: an access there
 * reaches the MMU, which faults as it should. Windows beyond the budget
 * call for the whole sync, which drops the oldest. */
static bool runs_still_serve(struct cpu *c, uint64_t lo, uint64_t hi)
{
	size_t pieces = 0;
	for (size_t i = 0; i < c->nreg; i++)
		pieces += c->reg[i].window;
	if (pieces > WINDOW_BUDGET)
		return false;
	bool merged = c->runs_merged;
	const struct proc *p = kernel_current(c->k);
	const struct vma *v;
	size_t nv = proc_vmas(p, &v);
	for (size_t i = proc_vma_index(p, lo); i < nv && v[i].start < hi; i++) {
		const struct region *r = run_holding(c, v[i].start, v[i].end);
		bool exec = v[i].flags & VM_EXEC;
		if (!r || (merged ? exec && !r->exec : exec != r->exec))
			return false;
	}
	return true;
}

/* Whether a current region may stay among the wanted ones (want[0..nw),
 * sorted): a piece exactly as it is; any other over wanted runs only,
 * executable as they are, or over none (a hole it spans, or a region no
 * VMA wants any more, faults in the MMU), or over on-demand runs
 * executable as it is: a run that grew past WINDOWED_RUN (a thread's
 * malloc arena next to the others) keeps the regions made for it while it
 * was smaller, and its pieces are made around them (piece_between).
 * `exact`: only a region the same as a wanted one. */
static bool may_stay(const struct cpu *c, const struct region *want, size_t nw, const struct region *r, bool exact)
{
	size_t i = run_index(want, nw, r->start);
	bool over = i < nw && want[i].start < r->end;   /* overlaps a wanted region */
	if (r->window || exact || (over && want[i].window))
		return over && want[i].window == r->window && want[i].start == r->start && want[i].end == r->end &&
		       want[i].exec == r->exec;
	for (; i < nw && want[i].start < r->end; i++)
		if (want[i].window || want[i].exec != r->exec)
			return false;
	for (size_t j = run_index(c->runs, c->nruns, r->start); j < c->nruns && c->runs[j].start < r->end; j++)
		if (on_demand(c, &c->runs[j]) && c->runs[j].exec != r->exec)
			return false;
	return true;
}

/* The regions become the wanted ones. A region over wanted runs (or over
 * none) stays and the runs' rest is made around it, so a run that grows
 * costs only its growth, one that splits or goes nothing (taking a region
 * out costs Unicorn 2.0.1 a flush per page of its length); any other
 * region goes. Past a few regions more than runs, only the exact ones
 * stay. */
static void regions_reconcile(struct cpu *c, const struct region *want, size_t nw)
{
	size_t staying = 0;
	for (size_t i = 0; i < c->nreg; i++)
		staying += may_stay(c, want, nw, &c->reg[i], false);
	bool exact = staying > nw + 16;
	size_t kept = 0;
	for (size_t i = 0; i < c->nreg; i++) {
		if (may_stay(c, want, nw, &c->reg[i], exact))
			c->reg[kept++] = c->reg[i];
		else
			region_free(c, &c->reg[i]);
	}
	c->nreg = kept;
	if (kept)   /* qsort of a NULL array, even empty, is undefined */
		qsort(c->reg, kept, sizeof *c->reg, by_start);
	struct region *nr = realloc(c->reg, (2 * kept + nw + 1) * sizeof *nr);
	if (!nr)
		return;
	c->reg = nr;
	size_t k = 0;
	uint64_t covered = 0;   /* kept regions cover up to here */
	for (size_t j = 0; j < nw; j++) {
		uint64_t at = want[j].start > covered ? want[j].start : covered;
		for (; k < kept && c->reg[k].start < want[j].end; k++) {
			if (c->reg[k].end <= at)
				continue;   /* before this run: over none, or an earlier one */
			if (c->reg[k].start > at && region_new(c, &c->reg[c->nreg], at, c->reg[k].start, want[j].exec))
				c->reg[c->nreg++].window = false;
			at = covered = c->reg[k].end;
		}
		if (at < want[j].end && region_new(c, &c->reg[c->nreg], at, want[j].end, want[j].exec))
			c->reg[c->nreg++].window = want[j].window;
	}
}

/* Brings the Unicorn regions in line with the VMAs (after system calls:
 * Unicorn's regions change only there). A change the current regions
 * still serve leaves them be: a process that maps page after page pays
 * for the pages it maps, not for all it has (docs/architecture.md,
 * "Many mappings"). */
void sync_regions(struct cpu *c)
{
	uint64_t lo, hi;
	bool changed = proc_vma_changes(kernel_current(c->k), &lo, &hi);
	if (c->runs_valid && (!changed || runs_still_serve(c, lo, hi))) {
		data_hooks_as_needed(c);
		return;
	}
	runs_forget(c);
	c->nruns = wanted_runs(c, &c->runs);
	c->runs_valid = c->runs != NULL;
	struct region *want = NULL;
	size_t nw = c->runs ? wanted_regions(c, c->runs, c->nruns, &want) : 0;
	if (!want) {
		runs_forget(c);
		return;
	}
	regions_reconcile(c, want, nw);
	free(want);
	memset(c->region_hint, 0, sizeof c->region_hint);
	data_hooks_as_needed(c);
}

void regions_clear(struct cpu *c)
{
	runs_forget(c);
	for (size_t i = 0; i < c->nreg; i++)
		region_free(c, &c->reg[i]);
	c->nreg = 0;
}

/* Once Unicorn is closed: the regions' host side only. */
void regions_forget(struct cpu *c)
{
	runs_forget(c);
	regions_free_host(c->reg, c->nreg);
	c->reg = NULL;
	c->nreg = 0;
}

/* The current regions go out of Unicorn into task t, their shadow kept. */
void regions_put_away(struct cpu *c, struct task *t)
{
	runs_forget(c);
	for (size_t i = 0; i < c->nreg; i++)
		region_unmap(c, &c->reg[i]);
	t->reg = c->reg;
	t->nreg = c->nreg;
}

/* Unicorn gets task t's regions, as they were put away. */
void regions_take_back(struct cpu *c, struct task *t)
{
	runs_forget(c);
	c->reg = t->reg;
	c->nreg = t->nreg;
	t->reg = NULL;
	t->nreg = 0;
	memset(c->region_hint, 0, sizeof c->region_hint);
	for (size_t i = 0; i < c->nreg; i++)
		region_map(c, &c->reg[i]);
}

/* Regions that are not in Unicorn: only their host side to release. */
void regions_free_host(struct region *reg, size_t nreg)
{
	for (size_t i = 0; i < nreg; i++) {
		munmap(reg[i].host, reg[i].end - reg[i].start);
		free(reg[i].state);
	}
	free(reg);
}

/* ---- the shadow ---- */

/* The frame behind va, mapped from the memfd: read-only, or read-write when
 * the leaf entry is writable and already dirty, never more. */
void shadow_set(struct cpu *c, struct region *r, uint64_t va, const struct mmu_xlate *x)
{
	uint64_t off = va - r->start, frame = x->pa & ~(c->page - 1);
	bool rw = (x->perm_user & PERM_W) && x->dirty;
	uint8_t want = rw ? SHADOW_RW : SHADOW_RO;
	if (r->state[off >> c->shift] == want)
		return;
	if (mmap(r->host + off, c->page, rw ? PROT_READ | PROT_WRITE : PROT_READ, MAP_SHARED | MAP_FIXED, c->pm->fd,
		 (off_t)frame) == MAP_FAILED)
		return;
	r->state[off >> c->shift] = want;
}

/* Drops the shadow of [va, va+len) in a set of regions; `live` when they
 * are the ones Unicorn has (its translated code must go too). */
static void shadow_drop_range(struct cpu *c, struct region *reg, size_t nreg, bool live, uint64_t va, uint64_t len)
{
	for (size_t i = 0; i < nreg; i++) {
		struct region *r = &reg[i];
		uint64_t lo = va & ~(c->page - 1), hi = va + len;
		if (hi <= r->start || lo >= r->end)
			continue;
		if (lo < r->start)
			lo = r->start;
		if (hi > r->end)
			hi = r->end;
		for (uint64_t a = lo; a < hi; a += c->page) {
			uint64_t off = a - r->start;
			if (r->state[off >> c->shift] == SHADOW_NONE)
				continue;
			mmap(r->host + off, c->page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1,
			     0);
			r->state[off >> c->shift] = SHADOW_NONE;
			if (r->exec)   /* code bytes may change under it: drop the translated blocks */
				code_may_change(c, live, a);
		}
	}
}

/* The kernel removed or downgraded entries of process pid: the shadow
 * forgets them, as a TLB must. */
void shadow_unmap_hook(void *ctx, int pid, uint64_t va, uint64_t len)
{
	struct cpu *c = ctx;
	c->hooked = false;   /* pages leave the shadow */
	const struct task *live = c->cur ? c->cur : c->reg_heir;
	if (live && live->pid == pid) {
		shadow_drop_range(c, c->reg, c->nreg, true, va, len);
		return;
	}
	struct task *t = regions_holder(c, pid);
	if (t)
		shadow_drop_range(c, t->reg, t->nreg, false, va, len);
}

/* A dead process's last accesses land on a page of no consequence. */
void scratch_cover(struct cpu *c, uint64_t va, bool fetch)
{
	struct region *r = region_of(c, va);
	if (!r)
		return;
	uint64_t off = (va & ~(c->page - 1)) - r->start;
	if (r->state[off >> c->shift] == SHADOW_SCRATCH)
		return;
	void *src = fetch ? c->trap : c->scratch;
	/* Copy the scratch content in: an anonymous private page of its own. */
	void *p = mmap(r->host + off, c->page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	if (p != MAP_FAILED)
		memcpy(p, src, c->page);
	r->state[off >> c->shift] = SHADOW_SCRATCH;
	if (r->exec)
		code_may_change(c, true, va & ~(c->page - 1));
}

/* A process that caught its fault goes on: no scratch page stays where it
 * may go (its accesses there reach the MMU again). */
void shadow_drop_scratch(struct cpu *c)
{
	for (size_t i = 0; i < c->nreg; i++) {
		struct region *r = &c->reg[i];
		for (uint64_t a = r->start; a < r->end; a += c->page)
			if (r->state[(a - r->start) >> c->shift] == SHADOW_SCRATCH)
				shadow_drop_range(c, r, 1, true, a, c->page);
	}
}
