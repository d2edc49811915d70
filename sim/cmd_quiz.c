/* mmusim quiz EVENTS.jsonl [-s SEED] [-n N] [-c]: homework questions drawn
 * from a run's event log, as OSTEP's simulators do — the seed picks the
 * faults and the questions, -c prints the answers. The questions: an
 * address's split into index fields, the entries a fault writes, the
 * tables and frames it allocates, whether it is resolved, and the TLB
 * fills of the retry. The log is read by gui/'s model (gui/model.h, no
 * SDL). Exit status: 0, 2 for a usage error or a malformed log. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gui/model.h"
#include "mmu/errmsg.h"
#include "sim/commands.h"

/* A small generator of our own: the same seed, the same quiz everywhere. */
static uint64_t next_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void entry_words(const struct pt_format *fmt, int level, uint64_t raw, char *buf, size_t len)
{
	struct pte p = pte_decode(fmt, level, raw);
	if (!raw)
		snprintf(buf, len, "empty");
	else if (p.kind == PTE_TABLE)
		snprintf(buf, len, "table at 0x%" PRIx64, p.oa);
	else if (p.kind == PTE_PAGE || p.kind == PTE_BLOCK)
		snprintf(buf, len, "%sframe 0x%" PRIx64 " (%s%s)", p.kind == PTE_BLOCK ? "block from " : "",
			 p.oa >> fmt->page_shift, p.write ? "writable" : "read-only", p.nx ? ", no-exec" : "");
	else if (pte_is_swap(fmt, raw)) {
		unsigned type;
		uint64_t off;
		pte_swap_decode(fmt, raw, &type, &off);
		snprintf(buf, len, "swap entry (type %u, offset 0x%" PRIx64 ")", type, off);
	} else
		snprintf(buf, len, "not present (0x%" PRIx64 ")", raw);
}

static const char *level_name(const struct pt_format *fmt, int level)
{
	const struct pt_level *li = pt_level_info(fmt, level);
	return li ? li->name : "?";
}

static void ask_split(const struct evlog *l, const struct gfault *f, bool answer)
{
	const struct pt_format *fmt = l->fmt;
	printf("Split the virtual address 0x%" PRIx64 " into its index fields (%s).\n", f->va, fmt->name);
	if (!answer)
		return;
	printf("  Answer:");
	for (int lv = fmt->top_level; lv <= PT_LEVEL_LEAF; lv++)
		printf(" %s %u,", level_name(fmt, lv), pt_index(fmt, lv, f->va));
	printf(" offset 0x%" PRIx64 "\n", f->va & (((uint64_t)1 << fmt->page_shift) - 1));
}

/* What the walk finds before the fault: the context of the questions. */
static void print_walk_before(struct model *m, const struct gfault *f, size_t k)
{
	if (k == 0)
		return;
	model_goto(m, k - 1);
	struct walk_cell w[PT_MAX_LEVELS];
	int n = model_walk(m, f->pid, f->va, w, PT_MAX_LEVELS);
	if (!n)
		return;
	printf("  Before it, the walk finds:");
	for (int i = 0; i < n; i++) {
		const struct gentry *e = table_entry(model_table(m, w[i].table), w[i].index);
		char buf[96];
		entry_words(m->log->fmt, w[i].level, e ? e->val : 0, buf, sizeof buf);
		printf("%s %s[%u] %s", i ? ";" : "", level_name(m->log->fmt, w[i].level), w[i].index, buf);
	}
	printf(".\n");
}

static void ask_entries(struct model *m, const struct gfault *f, size_t k, bool answer)
{
	const struct pt_format *fmt = m->log->fmt;
	printf("Fault %d: pid %d, a %s at 0x%" PRIx64 " (%s)%s. Which page-table entries does the kernel write, and to what?\n",
	       f->n, f->pid, f->access, f->va, f->has_vma ? f->vma_prot : "no VMA", "");
	print_walk_before(m, f, k);
	if (!answer)
		return;
	if (!f->nptes)
		printf("  Answer: none (%s)\n", f->outcome);
	for (int i = 0; i < f->nptes; i++) {
		char was[96], now[96];
		entry_words(fmt, f->ptes[i].level, f->ptes[i].old, was, sizeof was);
		entry_words(fmt, f->ptes[i].level, f->ptes[i].val, now, sizeof now);
		printf("  Answer: %s[%u] of the table at 0x%" PRIx64 ": %s -> %s\n", level_name(fmt, f->ptes[i].level),
		       f->ptes[i].index, f->ptes[i].table, was, now);
	}
}

static void ask_allocs(struct model *m, const struct gfault *f, size_t k, bool answer)
{
	printf("Fault %d: pid %d, a %s at 0x%" PRIx64 ". How many page tables and how many frames does the kernel "
	       "allocate, and how many pages does it copy?\n",
	       f->n, f->pid, f->access, f->va);
	print_walk_before(m, f, k);
	if (answer)
		printf("  Answer: %d table%s, %d frame%s, %d copied (%s)\n", f->tables, f->tables == 1 ? "" : "s", f->frames,
		       f->frames == 1 ? "" : "s", f->copied, f->kind);
}

static void ask_outcome(const struct gfault *f, bool answer)
{
	printf("Fault %d: pid %d, a %s at 0x%" PRIx64 " (%s). Is it resolved, or does the process get a signal?\n", f->n,
	       f->pid, f->access, f->va,
	       f->has_vma ? "inside a VMA" : "outside every VMA");
	if (f->has_vma)
		printf("  The VMA: 0x%" PRIx64 "-0x%" PRIx64 " %s %s\n", f->vma_start, f->vma_end, f->vma_prot, f->vma_flags);
	if (answer)
		printf("  Answer: %s (%s fault, handled by %s)\n", f->outcome, f->kind, f->path ? f->path : "?");
}

static bool ask_tlb(const struct evlog *l, size_t k, const struct gfault *f, bool answer)
{
	static const char *const names[TLB_KINDS] = {"L1 iTLB", "L1 dTLB", "L2 TLB"};
	size_t b = model_step_begin(l, k), e = model_step_end(l, k);
	int fills = 0;
	for (size_t i = b; i < e; i++)
		fills += l->ev[i].kind == GEV_TLB_FILL;
	if (!fills)
		return false;
	printf("Fault %d: after the kernel resolves it, pid %d retries the %s at 0x%" PRIx64 ". Hit or miss? Which TLBs "
	       "are filled, in which set?\n",
	       f->n, f->pid, f->access, f->va);
	printf("  The TLBs (4 KiB pages; the set is the VPN modulo the sets):");
	for (int t = 0; t < TLB_KINDS; t++)
		if (l->tlb_sets[t][0])
			printf(" %s %u sets x %u ways;", names[t], l->tlb_sets[t][0], l->tlb_ways[t][0]);
	printf("\n");
	if (!answer)
		return true;
	printf("  Answer: a miss in every TLB (the entry was not there); filled:");
	for (size_t i = b; i < e; i++) {
		const struct gev *g = &l->ev[i];
		if (g->kind == GEV_TLB_FILL)
			printf(" %s set %u way %u (VPN 0x%" PRIx64 "%s);", names[g->tlb % TLB_KINDS], g->index, g->way,
			       g->entry.va >> l->fmt->page_shift, g->victim.valid ? ", evicting one" : "");
	}
	printf("\n");
	return true;
}

int cmd_quiz(int argc, char **argv)
{
	const char *path = NULL;
	uint64_t seed = 1;
	int count = 5;
	bool answers = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "-c")) {
			answers = true;
			continue;
		}
		if (!strcmp(a, "-s") || !strcmp(a, "-n")) {
			if (++i == argc)
				return usage_error("%s needs a number", a);
			char *end;
			errno = 0;
			unsigned long long v = strtoull(argv[i], &end, 10);
			if (errno || end == argv[i] || *end || (a[1] == 'n' && (v < 1 || v > 1000)))
				return usage_error("%s needs a number%s, not '%s'", a, a[1] == 'n' ? " from 1 to 1000" : "",
						   argv[i]);
			if (a[1] == 's')
				seed = v;
			else
				count = (int)v;
			continue;
		}
		if (a[0] == '-' && a[1])
			return usage_error("unknown option '%s' for quiz", a);
		if (path)
			return usage_error("quiz takes one event log, not '%s' too", a);
		path = a;
	}
	if (!path)
		return usage_error("quiz needs an event log (mmusim run/replay --events FILE)");
	struct evlog l;
	char err[1024];
	evlog_init(&l, path);
	if (evlog_read_file(&l, path, err, sizeof err)) {
		errmsg_print(err);
		evlog_free(&l);
		return 2;
	}
	if (!l.nfaults) {
		fprintf(stderr, "mmusim: %s: no faults to ask about\n", path);
		evlog_free(&l);
		return 2;
	}
	struct model m;
	model_init(&m, &l);
	uint64_t s = seed * 0x9e3779b97f4a7c15ull + 0x2545f4914f6cdd1dull;
	printf("mmusim quiz: %s, seed %" PRIu64 " (%s, %zu faults)\n\n", path, seed, l.fmt->name, l.nfaults);
	for (int q = 1; q <= count; q++) {
		size_t k = (size_t)(next_rand(&s) % l.nfaults);
		const struct gfault *f = &l.faults[k];
		printf("%d. ", q);
		switch (next_rand(&s) % 5) {
		case 0:
			ask_split(&l, f, answers);
			break;
		case 1:
			ask_entries(&m, f, k, answers);
			break;
		case 2:
			ask_allocs(&m, f, k, answers);
			break;
		case 3:
			ask_outcome(f, answers);
			break;
		default:
			if (!ask_tlb(&l, k, f, answers))
				ask_entries(&m, f, k, answers);
			break;
		}
		printf("\n");
	}
	if (!answers)
		printf("The answers: mmusim quiz %s -s %" PRIu64 " -n %d -c\n", path, seed, count);
	model_free(&m);
	evlog_free(&l);
	return 0;
}
