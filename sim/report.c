/* The fault inspector and the statistics summary. */
#include "sim/report.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void vma_text(const struct vma *v, char *buf, size_t len)
{
	char what[200] = "anonymous";
	if (v->file)
		snprintf(what, sizeof what, "%.170s +0x%" PRIx64, inode_name(v->file), v->offset);
	snprintf(buf, len, "0x%" PRIx64 "-0x%" PRIx64 " %c%c%c %s %s%s", v->start, v->end, v->flags & VM_READ ? 'r' : '-',
		 v->flags & VM_WRITE ? 'w' : '-', v->flags & VM_EXEC ? 'x' : '-', v->flags & VM_SHARED ? "shared" : "private",
		 what, v->flags & VM_GROWSDOWN ? " grows-down" : "");
}

/* ANSI SGR sequences of the inspector's colours; "" without colour. */
struct palette {
	const char *bold, *label, *ok, *bad, *major, *old, *new, *off;
};
static const struct palette plain = {"", "", "", "", "", "", "", ""};
static const struct palette ansi = {"\033[1m", "\033[36m", "\033[32m", "\033[1;31m", "\033[33m", "\033[31m",
				    "\033[32m", "\033[0m"};

/* "  label     " in the label colour, padded to the inspector's column. */
static void label(FILE *f, const struct palette *c, const char *name)
{
	fprintf(f, "  %s%-9s%s ", c->label, name, c->off);
}

static void report_header(FILE *f, const struct palette *c, const struct fault_record *r)
{
	fprintf(f, "%sfault #%" PRIu64 "%s  pid %d  %s 0x%" PRIx64 "  %s%s%s, %s%s%s, %" PRIu64 " cycles\n", c->bold, r->seq,
		c->off, r->pid, mmu_access_name(r->access), r->va, r->major ? c->major : "", r->major ? "major" : "minor",
		r->major ? c->off : "", r->outcome == OUT_RESOLVED ? c->ok : c->bad, fault_outcome_name(r->outcome), c->off,
		r->cycles);
}

static void report_ptes(FILE *f, const struct palette *c, const struct pt_format *fmt, const struct fault_record *r)
{
	for (int i = 0; i < r->npte; i++) {
		const struct pte_change *p = &r->pte[i];
		char was[160], now[160];
		pte_describe(fmt, p->level, p->old, was, sizeof was);
		pte_describe(fmt, p->level, p->new, now, sizeof now);
		label(f, c, i ? "" : "ptes");
		fprintf(f, "%s[%u] @0x%" PRIx64 ": %s0x%016" PRIx64 "%s -> %s0x%016" PRIx64 "%s\n",
			pt_level_info(fmt, p->level)->name, p->index, p->table_pa + (uint64_t)8 * p->index, c->old, p->old,
			c->off, c->new, p->new, c->off);
		fprintf(f, "            %s  =>  %s\n", was, now);
	}
}

/* The file and offset of the faulting page: "libc.so.6 +0x28000". */
static void report_file_page(FILE *f, const struct palette *c, const struct pt_format *fmt, const struct fault_record *r)
{
	const char *name = inode_name(r->vma.file), *slash = strrchr(name, '/');
	uint64_t page = r->va & ~((1ull << fmt->page_shift) - 1);
	label(f, c, "file");
	fprintf(f, "%s +0x%" PRIx64 "\n", slash && slash[1] ? slash + 1 : name, r->vma.offset + (page - r->vma.start));
}

void report_fault_color(FILE *f, const struct kernel *k, const struct fault_record *r, bool color)
{
	const struct palette *c = color ? &ansi : &plain;
	const struct pt_format *fmt = kernel_format(k);
	char buf[256];
	report_header(f, c, r);
	if (mmu_cpus(kernel_mmu(k)) > 1) {   /* told as it happens: on the CPU running now */
		label(f, c, "cpu");
		fprintf(f, "%u\n", mmu_cpu(kernel_mmu(k)));
	}
	mmu_syndrome_describe(fmt->arch, &r->hw.syn, buf, sizeof buf);
	label(f, c, "syndrome");
	fprintf(f, "%s\n", buf);
	if (r->pc_block) {
		label(f, c, "insn");
		fprintf(f, "in the block at 0x%" PRIx64 " (functional mode knows no finer)\n", r->pc);
	} else if (r->pc) {
		label(f, c, "insn");
		fprintf(f, "0x%" PRIx64 ": %s\n", r->pc, r->insn);
	}
	const struct pt_level *lv = pt_level_info(fmt, r->hw.level);
	label(f, c, "walk");
	fprintf(f, "%s fault at %s (level %d)\n", mmu_fault_kind_name(r->hw.kind), lv ? lv->name : "-", r->hw.level);
	label(f, c, "vma");
	if (r->have_vma) {
		vma_text(&r->vma, buf, sizeof buf);
		fprintf(f, "%s\n", buf);
		if (r->vma.file)
			report_file_page(f, c, fmt, r);
	} else {
		fprintf(f, "none\n");
	}
	fprintf(f, "  %spath%s     ", c->label, c->off);
	for (int i = 0; i < r->nsteps; i++)
		fprintf(f, "%s%s", i ? " > " : " ", fault_step_name((enum fault_step)r->steps[i]));
	fprintf(f, "\n  %s%-9s%s", c->label, personality_name(kernel_personality(k)), c->off);
	for (int i = 0; i < r->nchain; i++)
		fprintf(f, "%s%s", i ? " > " : " ", r->chain[i]);
	fprintf(f, "\n");
	report_ptes(f, c, fmt, r);
	if (r->tables_allocated || r->frames_allocated || r->frames_copied) {
		label(f, c, "frames");
		fprintf(f, "%u table%s, %u frame%s allocated, %u copied\n", r->tables_allocated,
			r->tables_allocated == 1 ? "" : "s", r->frames_allocated, r->frames_allocated == 1 ? "" : "s",
			r->frames_copied);
	}
	if (r->outcome != OUT_RESOLVED) {
		label(f, c, "signal");
		fprintf(f, "%s%d (si_code %d)%s\n", c->bad, r->signo, r->si_code, c->off);
	}
	fprintf(f, "\n");
}

void report_fault(FILE *f, const struct kernel *k, const struct fault_record *r)
{
	report_fault_color(f, k, r, false);
}

void report_fault_event(void *ctx, const struct os_event *ev)
{
	const struct fault_printer *p = ctx;
	if (ev->kind == EV_FAULT)
		report_fault_color(p->out, p->k, ev->u.fault, p->color);
}

bool color_wanted(enum color_mode mode, FILE *f)
{
	if (mode != COLOR_AUTO)
		return mode == COLOR_ALWAYS;
	const char *no = getenv("NO_COLOR");   /* https://no-color.org: set and not empty */
	return isatty(fileno(f)) && !(no && *no);
}

int color_option(const char *arg, enum color_mode *mode)
{
	if (strncmp(arg, "--color", 7) || (arg[7] && arg[7] != '='))
		return 0;
	const char *v = arg[7] ? arg + 8 : "always";
	if (!strcmp(v, "auto"))
		*mode = COLOR_AUTO;
	else if (!strcmp(v, "always"))
		*mode = COLOR_ALWAYS;
	else if (!strcmp(v, "never"))
		*mode = COLOR_NEVER;
	else
		return -1;
	return 1;
}

/* Several CPUs: a line each, then the shootdowns. */
static void report_cpus(FILE *f, const struct kernel *k)
{
	const struct mmu *mmu = kernel_mmu(k);
	const struct smp_stats *sm = kernel_smp_stats(k);
	if (mmu_cpus(mmu) <= 1 || !sm)
		return;
	for (unsigned c = 0; c < mmu_cpus(mmu); c++) {
		const struct mmu_stats *m = mmu_cpu_stats(mmu, c);
		fprintf(f, "cpu %-2u        %" PRIu64 " instructions, %" PRIu64 " cycles (%" PRIu64 " in shootdowns); TLB", c,
			m->instructions, mmu_cpu_cycles(mmu, c), m->cycles[COST_SHOOTDOWN]);
		for (int t = 0; t < TLB_COUNT; t++)
			if (m->tlb_hits[t] + m->tlb_misses[t])
				fprintf(f, " %s %" PRIu64 "/%" PRIu64, mmu_tlb_name((enum tlb_id)t), m->tlb_hits[t],
					m->tlb_misses[t]);
		fprintf(f, " hits/misses; %" PRIu64 " walks\n", m->walks);
	}
	fprintf(f, "shootdowns    %" PRIu64 " (", sm->shootdowns);
	for (int i = 0; i < SD_METHODS; i++)
		fprintf(f, "%s%" PRIu64 " %s", i ? ", " : "", sm->by_method[i], shootdown_method_name((enum shootdown_method)i));
	fprintf(f, "); %" PRIu64 " IPIs, %" PRIu64 " lazy CPUs skipped, %" PRIu64 " entries invalidated, %" PRIu64
		   " flushes on switching back, %" PRIu64 " migrations\n",
		sm->ipis, sm->lazy_skips, sm->entries_invalidated, sm->switch_flushes, sm->migrations);
}

void report_stats(FILE *f, const struct kernel *k)
{
	const struct mmu *mmu = kernel_mmu(k);
	const struct mmu_stats *m = mmu_stats(mmu);
	const struct pt_format *fmt = kernel_format(k);
	struct os_stats s;
	kernel_stats(k, &s);
	fprintf(f, "accesses      %" PRIu64 " (%" PRIu64 " reads, %" PRIu64 " writes, %" PRIu64 " fetches)\n",
		m->accesses[0] + m->accesses[1] + m->accesses[2], m->accesses[0], m->accesses[1], m->accesses[2]);
	if (m->instructions)
		fprintf(f, "instructions  %" PRIu64 "\n", m->instructions);
	fprintf(f, "faults        %" PRIu64 " (%" PRIu64 " minor, %" PRIu64 " major)", s.faults, s.minor, s.major);
	for (int i = 1; i <= OUT_OOM; i++)
		if (s.by_outcome[i])
			fprintf(f, ", %" PRIu64 " %s", s.by_outcome[i], fault_outcome_name((enum fault_outcome)i));
	fprintf(f, "\n  by path    ");
	for (int i = STEP_EXPAND_STACK; i < STEP_COUNT; i++)
		if (s.by_step[i])
			fprintf(f, " %s %" PRIu64, fault_step_name((enum fault_step)i), s.by_step[i]);
	fprintf(f, "\nTLB          ");
	for (int t = 0; t < TLB_COUNT; t++) {
		uint64_t n = m->tlb_hits[t] + m->tlb_misses[t];
		if (n)
			fprintf(f, " %s %" PRIu64 " hits / %" PRIu64 " misses (%.2f%% miss);", mmu_tlb_name((enum tlb_id)t),
				m->tlb_hits[t], m->tlb_misses[t], 100.0 * (double)m->tlb_misses[t] / (double)n);
	}
	fprintf(f, "\nwalks         %" PRIu64 " (%" PRIu64 " entries read; walk-cache hits", m->walks, m->walk_reads);
	for (int l = fmt->top_level; l < PT_LEVEL_LEAF; l++)
		fprintf(f, " %s %" PRIu64, pt_level_info(fmt, l)->name, m->walk_cache_hits[l - fmt->top_level]);
	fprintf(f, ")\ncycles        %" PRIu64 " =", mmu_total_cycles(mmu));
	const char *sep = "";
	for (int c = 0; c < COST_COUNT; c++)
		if (m->cycles[c]) {
			fprintf(f, "%s %" PRIu64 " %s", sep, m->cycles[c], mmu_cost_name((enum mmu_cost)c));
			sep = " +";
		}
	fprintf(f, "\nframes        %" PRIu64 " of %" PRIu64 " in use:", s.frames_total - s.frames_free, s.frames_total);
	for (int u = USE_ANON; u < USE_COUNT; u++)
		fprintf(f, " %" PRIu64 " %s", s.frames_by_use[u], frame_use_name((enum frame_use)u));
	fprintf(f, "; %" PRIu64 " copy-on-write copies\n", s.cow_copies);
	if (s.pagecache_shared)
		fprintf(f, "shared        %" PRIu64 " page-cache frames mapped by two processes at once (libraries, fork)\n",
			s.pagecache_shared);
	if (s.pagecache_misses || s.writebacks || s.scanned || s.thp_allocs)
		fprintf(f, "memory        %" PRIu64 " page-cache misses, %" PRIu64 " writebacks; reclaim scanned %" PRIu64
			   ", evicted %" PRIu64 ", swapped out %" PRIu64 ", in %" PRIu64 "; huge pages %" PRIu64 " (%" PRIu64
			   " fallbacks, %" PRIu64 " splits)\n",
			s.pagecache_misses, s.writebacks, s.scanned, s.evicted, s.swapouts, s.swapins, s.thp_allocs,
			s.thp_fallbacks, s.thp_splits);
	report_cpus(f, k);
}
