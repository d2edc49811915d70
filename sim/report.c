/* The fault inspector and the statistics summary. */
#include "report.h"

#include <inttypes.h>

static void vma_text(const struct vma *v, char *buf, size_t len)
{
	char what[200] = "anonymous";
	if (v->file)
		snprintf(what, sizeof what, "%.170s +0x%" PRIx64, inode_name(v->file), v->offset);
	snprintf(buf, len, "0x%" PRIx64 "-0x%" PRIx64 " %c%c%c %s %s%s", v->start, v->end, v->flags & VM_READ ? 'r' : '-',
		 v->flags & VM_WRITE ? 'w' : '-', v->flags & VM_EXEC ? 'x' : '-', v->flags & VM_SHARED ? "shared" : "private",
		 what, v->flags & VM_GROWSDOWN ? " grows-down" : "");
}

void report_fault(FILE *f, const struct kernel *k, const struct fault_record *r)
{
	const struct pt_format *fmt = kernel_format(k);
	char buf[256];
	fprintf(f, "fault #%" PRIu64 "  pid %d  %s 0x%" PRIx64 "  %s, %s, %" PRIu64 " cycles\n", r->seq, r->pid,
		mmu_access_name(r->access), r->va, r->major ? "major" : "minor", fault_outcome_name(r->outcome), r->cycles);
	mmu_syndrome_describe(fmt->arch, &r->hw.syn, buf, sizeof buf);
	fprintf(f, "  syndrome  %s\n", buf);
	if (r->pc_block)
		fprintf(f, "  insn      in the block at 0x%" PRIx64 " (functional mode knows no finer)\n", r->pc);
	else if (r->pc)
		fprintf(f, "  insn      0x%" PRIx64 ": %s\n", r->pc, r->insn);
	const struct pt_level *lv = pt_level_info(fmt, r->hw.level);
	fprintf(f, "  walk      %s fault at %s (level %d)\n", mmu_fault_kind_name(r->hw.kind), lv ? lv->name : "-",
		r->hw.level);
	if (r->have_vma) {
		vma_text(&r->vma, buf, sizeof buf);
		fprintf(f, "  vma       %s\n", buf);
	} else {
		fprintf(f, "  vma       none\n");
	}
	fprintf(f, "  path     ");
	for (int i = 0; i < r->nsteps; i++)
		fprintf(f, "%s%s", i ? " > " : " ", fault_step_name((enum fault_step)r->steps[i]));
	fprintf(f, "\n  %-9s", personality_name(kernel_personality(k)));
	for (int i = 0; i < r->nchain; i++)
		fprintf(f, "%s%s", i ? " > " : " ", r->chain[i]);
	fprintf(f, "\n");
	for (int i = 0; i < r->npte; i++) {
		const struct pte_change *c = &r->pte[i];
		char was[160], now[160];
		pte_describe(fmt, c->level, c->old, was, sizeof was);
		pte_describe(fmt, c->level, c->new, now, sizeof now);
		fprintf(f, "  %-9s %s[%u] @0x%" PRIx64 ": 0x%016" PRIx64 " -> 0x%016" PRIx64 "\n", i ? "" : "ptes",
			pt_level_info(fmt, c->level)->name, c->index, c->table_pa + (uint64_t)8 * c->index, c->old, c->new);
		fprintf(f, "            %s  =>  %s\n", was, now);
	}
	if (r->tables_allocated || r->frames_allocated || r->frames_copied)
		fprintf(f, "  frames    %u table%s, %u frame%s allocated, %u copied\n", r->tables_allocated,
			r->tables_allocated == 1 ? "" : "s", r->frames_allocated, r->frames_allocated == 1 ? "" : "s",
			r->frames_copied);
	if (r->outcome != OUT_RESOLVED)
		fprintf(f, "  signal    %d (si_code %d)\n", r->signo, r->si_code);
	fprintf(f, "\n");
}

void report_fault_event(void *ctx, const struct os_event *ev)
{
	const struct fault_printer *p = ctx;
	if (ev->kind == EV_FAULT)
		report_fault(p->out, p->k, ev->u.fault);
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
	if (s.pagecache_misses || s.writebacks || s.scanned || s.thp_allocs)
		fprintf(f, "memory        %" PRIu64 " page-cache misses, %" PRIu64 " writebacks; reclaim scanned %" PRIu64
			   ", evicted %" PRIu64 ", swapped out %" PRIu64 ", in %" PRIu64 "; huge pages %" PRIu64 " (%" PRIu64
			   " fallbacks, %" PRIu64 " splits)\n",
			s.pagecache_misses, s.writebacks, s.scanned, s.evicted, s.swapouts, s.swapins, s.thp_allocs,
			s.thp_fallbacks, s.thp_splits);
}
