/* The event log: one JSON object per line, written as events happen, ending
 * with a stats record. Formatted by hand (fixed key order, lower-case hex)
 * so the same run gives the same bytes; read back with cJSON. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "traces/outfile.h"
#include "traces/traces.h"

struct eventlog {
	struct outfile *out;
	const struct pt_format *fmt;
	unsigned ncpus;   /* more than one: every event names its CPU */
};


/* Writes `s` as a JSON string body (the names we write need no escapes,
 * but the input path is the user's). */
static void put_string(struct outfile *o, const char *s)
{
	outfile_write(o, "\"", 1);
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			outfile_printf(o, "\\%c", c);
		else if (c < 0x20)
			outfile_printf(o, "\\u%04x", c);
		else
			outfile_write(o, s, 1);
	}
	outfile_write(o, "\"", 1);
}

/* "tlb":{"L1i":[[sets,ways,page],...],"L1d":[...],"L2":[...]}: each TLB's
 * arrays (page: the smallest page size it holds, in bytes), so that a
 * viewer draws them whole, not only the slots the run filled. */
static void put_tlb_geometry(struct outfile *o, const struct mmu_config *cfg)
{
	const struct tlb_config *tlbs[] = {&cfg->l1i, &cfg->l1d, &cfg->l2};
	static const char *const names[] = {"L1i", "L1d", "L2"};
	outfile_write(o, "\"tlb\":{", 7);
	for (int t = 0; t < 3; t++) {
		outfile_printf(o, "%s\"%s\":[", t ? "," : "", names[t]);
		for (unsigned a = 0; a < tlbs[t]->narrays; a++) {
			const struct tlb_array_config *ac = &tlbs[t]->array[a];
			uint32_t ways = ac->ways ? ac->ways : ac->entries;
			outfile_printf(o, "%s[%u,%u,%llu]", a ? "," : "", ac->entries / ways, ways,
				       1ull << __builtin_ctzll(ac->sizes));
		}
		outfile_write(o, "]", 1);
	}
	outfile_write(o, "},", 2);
}

struct eventlog *eventlog_create(const char *path, const struct kernel *k, const struct eventlog_info *info,
				 char *err, size_t errlen)
{
	struct eventlog *log = calloc(1, sizeof *log);
	if (!log) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	log->out = outfile_open(path, err, errlen);
	if (!log->out) {
		free(log);
		return NULL;
	}
	log->fmt = kernel_format(k);
	log->ncpus = mmu_cpus(kernel_mmu(k));
	struct outfile *o = log->out;
	outfile_printf(o, "{\"format\":\"mmusim-events\",\"version\":1,\"arch\":\"%s\",\"paging\":\"%s\",\"page_size\":%u,",
		       mmu_arch_name(log->fmt->arch), log->fmt->id, 1u << log->fmt->page_shift);
	put_tlb_geometry(o, mmu_config_of(kernel_mmu(k)));
	if (log->ncpus > 1)
		outfile_printf(o, "\"cpus\":%u,", log->ncpus);
	outfile_write(o, "\"preset\":", 9);
	put_string(o, info->preset);
	outfile_write(o, ",\"personality\":", 15);
	put_string(o, info->personality);
	outfile_write(o, ",\"source\":", 10);
	put_string(o, info->source);
	outfile_write(o, ",\"input\":", 9);
	put_string(o, info->input);
	outfile_write(o, "}\n", 2);
	return log;
}

static void prot_string(uint32_t flags, char out[4])
{
	out[0] = flags & VM_READ ? 'r' : '-';
	out[1] = flags & VM_WRITE ? 'w' : '-';
	out[2] = flags & VM_EXEC ? 'x' : '-';
	out[3] = 0;
}

static void write_fault(struct eventlog *log, const struct fault_record *r)
{
	struct outfile *o = log->out;
	outfile_printf(o, ",\"n\":%" PRIu64 ",\"va\":\"0x%" PRIx64 "\",\"access\":\"%s\",\"kind\":\"%s\",\"level\":%d", r->seq,
		       r->va, mmu_access_name(r->access), mmu_fault_kind_name(r->hw.kind), r->hw.level);
	if (log->fmt->arch == ARCH_X86_64) {
		outfile_printf(o, ",\"vector\":%u,\"error_code\":\"0x%" PRIx64 "\"", r->hw.syn.vector, r->hw.syn.code);
		if (r->hw.syn.addr_valid)
			outfile_printf(o, ",\"cr2\":\"0x%" PRIx64 "\"", r->hw.syn.addr);
	} else {
		outfile_printf(o, ",\"esr\":\"0x%" PRIx64 "\",\"far\":\"0x%" PRIx64 "\"", r->hw.syn.code, r->hw.syn.addr);
	}
	if (r->pc) {
		outfile_printf(o, ",\"pc\":\"0x%" PRIx64 "\",\"insn\":", r->pc);
		put_string(o, r->insn);
		if (r->pc_block)
			outfile_printf(o, ",\"pc_block\":true");
	}
	if (r->have_vma) {
		char prot[4];
		prot_string(r->vma.flags, prot);
		outfile_printf(o, ",\"vma\":{\"start\":\"0x%" PRIx64 "\",\"end\":\"0x%" PRIx64 "\",\"prot\":\"%s\",\"flags\":\"%s%s%s%s\"",
			       r->vma.start, r->vma.end, prot, r->vma.flags & VM_SHARED ? "shared" : "private",
			       r->vma.flags & VM_GROWSDOWN ? ",growsdown" : "", r->vma.flags & VM_HUGEPAGE ? ",hugepage" : "",
			       r->vma.flags & VM_LOCKED ? ",locked" : "");
		if (r->vma.file) {
			outfile_printf(o, ",\"file\":");
			put_string(o, inode_name(r->vma.file));
			outfile_printf(o, ",\"offset\":\"0x%" PRIx64 "\"", r->vma.offset);
		}
		outfile_write(o, "}", 1);
	} else {
		outfile_printf(o, ",\"vma\":null");
	}
	outfile_printf(o, ",\"path\":[");
	for (int i = 0; i < r->nsteps; i++)
		outfile_printf(o, "%s\"%s\"", i ? "," : "", fault_step_name((enum fault_step)r->steps[i]));
	outfile_printf(o, "],\"chain\":[");
	for (int i = 0; i < r->nchain; i++)
		outfile_printf(o, "%s\"%s\"", i ? "," : "", r->chain[i]);
	outfile_printf(o, "],\"ptes\":[");
	for (int i = 0; i < r->npte; i++) {
		const struct pte_change *c = &r->pte[i];
		outfile_printf(o, "%s{\"level\":%d,\"table\":\"0x%" PRIx64 "\",\"index\":%u,\"va\":\"0x%" PRIx64 "\",\"old\":\"0x%" PRIx64 "\",\"new\":\"0x%" PRIx64 "\"}",
			       i ? "," : "", c->level, c->table_pa, c->index, c->va, c->old, c->new);
	}
	outfile_printf(o, "],\"tables\":%u,\"frames\":%u,\"copied\":%u,\"around\":%u,\"major\":%s,\"cycles\":%" PRIu64 ",\"outcome\":\"%s\"",
		       r->tables_allocated, r->frames_allocated, r->frames_copied, r->pages_around,
		       r->major ? "true" : "false", r->cycles, fault_outcome_name(r->outcome));
	if (r->outcome != OUT_RESOLVED)
		outfile_printf(o, ",\"signal\":%d,\"si_code\":%d", r->signo, r->si_code);
}

static void write_slot(struct outfile *o, const char *key, const struct tlb_slot *s)
{
	if (!s->valid) {
		outfile_printf(o, ",\"%s\":null", key);
		return;
	}
	outfile_printf(o, ",\"%s\":{\"va\":\"0x%" PRIx64 "\",\"asid\":%u,\"size\":%" PRIu64 ",\"global\":%s}", key, s->va,
		       s->asid, (uint64_t)1 << s->shift, s->global ? "true" : "false");
}

static const char *const flush_scope[] = {"va", "asid", "all"};

static void write_cpu_list(struct outfile *o, const char *key, uint64_t mask)
{
	outfile_printf(o, ",\"%s\":[", key);
	for (unsigned c = 0, n = 0; c < 64; c++)
		if (mask & (1ull << c))
			outfile_printf(o, "%s%u", n++ ? "," : "", c);
	outfile_write(o, "]", 1);
}

/* An address-space call's result: an address (hex) or a negative errno. */
static void write_as_result(struct outfile *o, int64_t result)
{
	if (result < 0)
		outfile_printf(o, ",\"result\":%" PRId64, result);
	else
		outfile_printf(o, ",\"result\":\"0x%" PRIx64 "\"", (uint64_t)result);
}

static void write_shootdown(struct outfile *o, const struct shootdown *sd)
{
	outfile_printf(o, ",\"initiator\":%u", sd->initiator);
	write_cpu_list(o, "targets", sd->targets);
	write_cpu_list(o, "lazy", sd->lazy);
	outfile_printf(o, ",\"start\":\"0x%" PRIx64 "\",\"end\":\"0x%" PRIx64 "\",\"pages\":%u,\"asid\":%u,\"method\":\"%s\",\"cycles\":%" PRIu64 ",\"target_cycles\":%" PRIu64,
		       sd->start, sd->end, sd->pages, sd->asid, shootdown_method_name(sd->method), sd->cycles, sd->target_cycles);
}

void eventlog_event(void *ctx, const struct os_event *ev)
{
	struct eventlog *log = ctx;
	struct outfile *o = log->out;
	outfile_printf(o, "{\"seq\":%" PRIu64 ",\"ev\":\"%s\",\"pid\":%d", ev->seq, os_event_name(ev->kind), ev->pid);
	if (log->ncpus > 1)
		outfile_printf(o, ",\"cpu\":%u", ev->cpu);
	switch (ev->kind) {
	case EV_FAULT:
		write_fault(log, ev->u.fault);
		break;
	case EV_PTE: {
		const struct pte_change *c = &ev->u.pte;
		outfile_printf(o, ",\"level\":%d,\"table\":\"0x%" PRIx64 "\",\"index\":%u,\"va\":\"0x%" PRIx64 "\",\"old\":\"0x%" PRIx64 "\",\"new\":\"0x%" PRIx64 "\"",
			       c->level, c->table_pa, c->index, c->va, c->old, c->new);
		break;
	}
	case EV_TABLE_ALLOC:
	case EV_TABLE_FREE:
		outfile_printf(o, ",\"pa\":\"0x%" PRIx64 "\",\"level\":%d", ev->u.table.pa, ev->u.table.level);
		break;
	case EV_FRAME_ALLOC:
	case EV_FRAME_FREE:
		outfile_printf(o, ",\"pa\":\"0x%" PRIx64 "\",\"use\":\"%s\"", ev->u.frame.pa, frame_use_name(ev->u.frame.use));
		break;
	case EV_COW_COPY:
		outfile_printf(o, ",\"va\":\"0x%" PRIx64 "\",\"from\":\"0x%" PRIx64 "\",\"to\":\"0x%" PRIx64 "\"", ev->u.cow.va,
			       ev->u.cow.from, ev->u.cow.to);
		break;
	case EV_TLB_FILL: {
		const struct mmu_event *m = ev->u.tlb;
		outfile_printf(o, ",\"tlb\":\"%s\",\"array\":%u,\"set\":%u,\"way\":%u", mmu_tlb_name(m->tlb), m->array, m->set,
			       m->way);
		write_slot(o, "entry", &m->filled);
		write_slot(o, "victim", &m->victim);
		break;
	}
	case EV_TLB_FLUSH: {
		const struct mmu_event *m = ev->u.tlb;
		outfile_printf(o, ",\"scope\":\"%s\",\"va\":\"0x%" PRIx64 "\",\"asid\":%u,\"count\":%u", flush_scope[m->flush_scope],
			       m->flush_va, m->flush_asid, m->flushed);
		break;
	}
	case EV_PROC_CREATE:
	case EV_PROC_EXIT:
	case EV_SWITCH:
	case EV_EXEC:
		outfile_printf(o, ",\"parent\":%d,\"root\":\"0x%" PRIx64 "\",\"asid\":%u,\"code\":%d", ev->u.proc.parent,
			       ev->u.proc.root, ev->u.proc.asid, ev->u.proc.code);
		break;
	case EV_PAGECACHE_HIT:
	case EV_PAGECACHE_MISS:
	case EV_WRITEBACK:
	case EV_EVICT:
	case EV_SWAP_OUT:
	case EV_SWAP_IN:
		outfile_printf(o, ",\"pa\":\"0x%" PRIx64 "\",\"%s\":%" PRIu64 ",\"file\":", ev->u.cache.pa,
			       ev->kind == EV_SWAP_OUT || ev->kind == EV_SWAP_IN ? "slot" : "index", ev->u.cache.index);
		put_string(o, ev->u.cache.file);
		break;
	case EV_PAGECACHE_SHARE:
		outfile_printf(o, ",\"pa\":\"0x%" PRIx64 "\",\"va\":\"0x%" PRIx64 "\",\"file\":", ev->u.share.pa, ev->u.share.va);
		put_string(o, ev->u.share.file);
		outfile_printf(o, ",\"offset\":\"0x%" PRIx64 "\",\"mapcount\":%u", ev->u.share.offset, ev->u.share.mapcount);
		break;
	case EV_MEMLIMIT:
		outfile_printf(o, ",\"bytes\":\"0x%" PRIx64 "\"", ev->u.as.len);
		break;
	case EV_MMAP:
	case EV_MUNMAP:
	case EV_MPROTECT:
	case EV_BRK:
	case EV_MSYNC:
	case EV_MADVISE:
		outfile_printf(o, ",\"addr\":\"0x%" PRIx64 "\",\"len\":\"0x%" PRIx64 "\",\"prot\":%u,\"flags\":%u", ev->u.as.addr,
			       ev->u.as.len, ev->u.as.prot, ev->u.as.flags);
		write_as_result(o, ev->u.as.result);
		break;
	case EV_MREMAP:
		outfile_printf(o, ",\"addr\":\"0x%" PRIx64 "\",\"len\":\"0x%" PRIx64 "\",\"new_len\":\"0x%" PRIx64
			       "\",\"flags\":%u,\"new_addr\":\"0x%" PRIx64 "\"", ev->u.as.addr, ev->u.as.len, ev->u.as.new_len,
			       ev->u.as.flags, ev->u.as.new_addr);
		write_as_result(o, ev->u.as.result);
		break;
	case EV_SHOOTDOWN:
		write_shootdown(o, ev->u.shootdown);
		break;
	case EV_COUNT:
		break;
	}
	outfile_write(o, "}\n", 2);
}

/* Several CPUs: each one's share, and the shootdowns. */
static void write_smp_stats(struct outfile *o, const struct kernel *k)
{
	const struct mmu *mmu = kernel_mmu(k);
	const struct smp_stats *sm = kernel_smp_stats(k);
	if (mmu_cpus(mmu) <= 1 || !sm)
		return;
	outfile_printf(o, ",\"cpus\":[");
	for (unsigned c = 0; c < mmu_cpus(mmu); c++) {
		const struct mmu_stats *m = mmu_cpu_stats(mmu, c);
		outfile_printf(o, "%s{\"instructions\":%" PRIu64 ",\"cycles\":%" PRIu64 ",\"shootdown_cycles\":%" PRIu64
				  ",\"tlb_misses\":{\"L1i\":%" PRIu64 ",\"L1d\":%" PRIu64 ",\"L2\":%" PRIu64 "},\"walks\":%" PRIu64 "}",
			       c ? "," : "", m->instructions, mmu_cpu_cycles(mmu, c), m->cycles[COST_SHOOTDOWN],
			       m->tlb_misses[TLB_L1I], m->tlb_misses[TLB_L1D], m->tlb_misses[TLB_L2], m->walks);
	}
	outfile_printf(o, "],\"shootdowns\":{\"total\":%" PRIu64, sm->shootdowns);
	for (int i = 0; i < SD_METHODS; i++)
		outfile_printf(o, ",\"%s\":%" PRIu64, shootdown_method_name((enum shootdown_method)i), sm->by_method[i]);
	outfile_printf(o, ",\"ipis\":%" PRIu64 ",\"lazy_skipped\":%" PRIu64 ",\"entries_invalidated\":%" PRIu64
			  ",\"switch_flushes\":%" PRIu64 ",\"migrations\":%" PRIu64 ",\"stale_hits\":%" PRIu64 "}",
		       sm->ipis, sm->lazy_skips, sm->entries_invalidated, sm->switch_flushes, sm->migrations, sm->stale_hits);
}

static void write_stats(struct outfile *o, const struct kernel *k)
{
	const struct mmu_stats *m = mmu_stats(kernel_mmu(k));
	struct os_stats s;
	kernel_stats(k, &s);
	outfile_printf(o, "{\"ev\":\"stats\",\"accesses\":{\"read\":%" PRIu64 ",\"write\":%" PRIu64 ",\"fetch\":%" PRIu64 "},\"instructions\":%" PRIu64,
		       m->accesses[ACC_READ], m->accesses[ACC_WRITE], m->accesses[ACC_FETCH], m->instructions);
	outfile_printf(o, ",\"cycles\":{\"total\":%" PRIu64, mmu_total_cycles(kernel_mmu(k)));
	for (int c = 0; c < COST_COUNT; c++)
		outfile_printf(o, ",\"%s\":%" PRIu64, mmu_cost_name((enum mmu_cost)c), m->cycles[c]);
	outfile_printf(o, "},\"faults\":{\"total\":%" PRIu64 ",\"minor\":%" PRIu64 ",\"major\":%" PRIu64, s.faults, s.minor, s.major);
	outfile_printf(o, ",\"by_kind\":{");
	for (int i = FAULT_NOT_PRESENT; i <= FAULT_EXTERNAL; i++)
		outfile_printf(o, "%s\"%s\":%" PRIu64, i > FAULT_NOT_PRESENT ? "," : "", mmu_fault_kind_name((enum mmu_fault_kind)i),
			       m->faults[i]);
	outfile_printf(o, "},\"by_step\":{");
	for (int i = 0; i < STEP_COUNT; i++)
		outfile_printf(o, "%s\"%s\":%" PRIu64, i ? "," : "", fault_step_name((enum fault_step)i), s.by_step[i]);
	outfile_printf(o, "},\"by_outcome\":{");
	for (int i = 0; i <= OUT_OOM; i++)
		outfile_printf(o, "%s\"%s\":%" PRIu64, i ? "," : "", fault_outcome_name((enum fault_outcome)i), s.by_outcome[i]);
	outfile_printf(o, "}},\"tlb\":{");
	for (int t = 0; t < TLB_COUNT; t++)
		outfile_printf(o, "%s\"%s\":{\"hits\":%" PRIu64 ",\"misses\":%" PRIu64 "}", t ? "," : "", mmu_tlb_name((enum tlb_id)t),
			       m->tlb_hits[t], m->tlb_misses[t]);
	outfile_printf(o, "},\"walks\":%" PRIu64 ",\"walk_reads\":%" PRIu64 ",\"walk_cache_hits\":{", m->walks, m->walk_reads);
	const struct pt_format *f = kernel_format(k);
	for (int l = f->top_level; l < PT_LEVEL_LEAF; l++)
		outfile_printf(o, "%s\"%s\":%" PRIu64, l > f->top_level ? "," : "", pt_level_info(f, l)->name,
			       m->walk_cache_hits[l - f->top_level]);
	outfile_printf(o, "},\"cow_copies\":%" PRIu64 ",\"tables_allocated\":%" PRIu64, s.cow_copies, s.tables_allocated);
	outfile_printf(o, ",\"pagecache_misses\":%" PRIu64 ",\"writebacks\":%" PRIu64 ",\"reclaim\":{\"scanned\":%" PRIu64
		       ",\"evicted\":%" PRIu64 ",\"swapouts\":%" PRIu64 ",\"swapins\":%" PRIu64 "}",
		       s.pagecache_misses, s.writebacks, s.scanned, s.evicted, s.swapouts, s.swapins);
	outfile_printf(o, ",\"thp\":{\"allocs\":%" PRIu64 ",\"fallbacks\":%" PRIu64 ",\"splits\":%" PRIu64 "}", s.thp_allocs,
		       s.thp_fallbacks, s.thp_splits);
	outfile_printf(o, ",\"frames\":{\"total\":%" PRIu64, s.frames_total);
	for (int u = 0; u < USE_COUNT; u++)
		outfile_printf(o, ",\"%s\":%" PRIu64, frame_use_name((enum frame_use)u), s.frames_by_use[u]);
	outfile_printf(o, "}");
	write_smp_stats(o, k);
	outfile_printf(o, "}\n");
}

int eventlog_finish(struct eventlog *log, const struct kernel *k, char *err, size_t errlen)
{
	write_stats(log->out, k);
	int rc = outfile_commit(log->out, err, errlen);
	free(log);
	return rc;
}

void eventlog_abort(struct eventlog *log)
{
	if (!log)
		return;
	outfile_abort(log->out);
	free(log);
}

int stats_json_write(const char *path, const struct kernel *k, char *err, size_t errlen)
{
	struct outfile *o = outfile_open(path, err, errlen);
	if (!o)
		return -1;
	write_stats(o, k);
	return outfile_commit(o, err, errlen);
}
