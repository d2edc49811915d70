/* mmusim demo: the hardware at work, before any OS model is involved.
 *
 * For each preset the demo lays out a small address space by hand, the way a
 * kernel's page-table code would (tables allocated from physical memory,
 * entries in the architecture's real format), then performs a script of
 * accesses through the TLBs and the walker and prints what the hardware did:
 * the VA split into its index fields, each entry read, A/D/AF updates, TLB
 * hits, and faults with the syndrome the architecture reports. */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sim/commands.h"
#include "sim/demo.h"
#include "presets/preset.h"
#include "sim/install.h"
#include "mmu/errmsg.h"

struct space {
	struct physmem *pm;
	const struct pt_format *f;
	uint64_t next_frame;   /* bump allocator: frame 0 stays unused */
	uint64_t root;
};

static uint64_t alloc_frame(void *ctx, int level)
{
	(void)level;
	struct space *s = ctx;
	uint64_t frame = s->next_frame << s->f->page_shift;
	if (!physmem_ptr(s->pm, frame, 1ull << s->f->page_shift))
		return PT_NO_MEMORY;
	s->next_frame++;
	return frame;
}

struct region {
	uint64_t va;
	const char *name;
	bool write, exec;
	bool clean;      /* writable but not yet dirty (x86 D=0; AArch64 DBM=1, AP[2]=1) */
};

static const struct region layout[] = {
	{0x400000, "code", false, true, false},
	{0x600000, "data", true, false, true},
	{0x680000, "rodata", false, false, false},
	{0x7ffffff00000, "stack", true, false, false},
};

static struct pte leaf_for(const struct space *s, const struct region *r, uint64_t frame)
{
	struct pte p = {.kind = PTE_PAGE, .oa = frame, .user = true, .nx = !r->exec, .accessed = false};
	if (s->f->arch == ARCH_X86_64) {
		p.write = r->write;
		p.dirty = false;
	} else {
		/* As Linux does on arm64: new entries carry AF; user pages are nG,
		 * inner shareable, never executable at EL1. */
		p.accessed = true;
		p.global = false;
		p.sh = 3;
		p.pxn = true;
		p.write = r->write && !r->clean;
		p.dbm = r->write;
	}
	return p;
}

static void build(struct space *s)
{
	struct pt_builder b = {.alloc = alloc_frame, .ctx = s, .table = {.kind = PTE_TABLE, .write = true, .user = true}};
	s->root = alloc_frame(s, s->f->top_level);
	printf("Page tables built by hand (root table at 0x%" PRIx64 "):\n", s->root);
	for (size_t i = 0; i < sizeof layout / sizeof layout[0]; i++) {
		const struct region *r = &layout[i];
		uint64_t frame = alloc_frame(s, PT_LEVEL_LEAF);
		struct pte leaf = leaf_for(s, r, frame);
		pt_map(s->pm, s->f, s->root, r->va, PT_LEVEL_LEAF, &leaf, &b);
		printf("  %-6s va 0x%012" PRIx64 "  %c%c%c  -> frame 0x%" PRIx64 "\n", r->name, r->va, 'r',
		       r->write ? 'w' : '-', r->exec ? 'x' : '-', frame);
	}
}

static void print_split(const struct pt_format *f, uint64_t va)
{
	printf("      va split:");
	for (int l = f->top_level; l <= PT_LEVEL_LEAF; l++)
		printf(" %s[%u]", pt_level_info(f, l)->name, pt_index(f, l, va));
	printf(" offset 0x%" PRIx64 "\n", va & (((uint64_t)1 << f->page_shift) - 1));
}

static void print_walk(const struct pt_format *f, const struct mmu_xlate *x)
{
	for (int i = 0; i < x->walk.nsteps; i++) {
		const struct walk_step *st = &x->walk.step[i];
		char desc[160];
		pte_describe(f, st->level, st->raw, desc, sizeof desc);
		printf("        %-4s[%4u] @0x%-8" PRIx64 " = 0x%016" PRIx64 "  %s\n", pt_level_info(f, st->level)->name,
		       st->index, st->table_pa + (uint64_t)8 * st->index, st->raw, desc);
	}
}

struct step {
	enum mmu_access acc;
	uint64_t va;
	const char *why;
};

static const struct step script[] = {
	{ACC_FETCH, 0x400000, "first instruction fetch: both TLB levels miss, a full walk"},
	{ACC_READ, 0x600008, "first data read: the walk caches hold the upper levels"},
	{ACC_READ, 0x600010, "same page again: an L1 dTLB hit"},
	{ACC_WRITE, 0x600010, "first write to a clean page: the hardware re-walks to mark it dirty"},
	{ACC_WRITE, 0x600018, "second write: a TLB hit"},
	{ACC_WRITE, 0x680008, "write to a read-only page: permission fault"},
	{ACC_WRITE, 0x640000, "write to an unmapped page (its PTE is empty): not-present fault"},
	{ACC_FETCH, 0x7ffffff00040, "fetch from the non-executable stack: permission fault"},
	{ACC_READ, 0x7f0000000000, "read where no table exists below the top level"},
};

static void run_script(struct mmu *m, const struct space *s)
{
	const struct pt_format *f = s->f;
	for (size_t i = 0; i < sizeof script / sizeof script[0]; i++) {
		const struct step *st = &script[i];
		struct mmu_xlate x;
		uint64_t ad_before = mmu_stats(m)->ad_updates;
		bool ok = mmu_access(m, st->va, st->acc, true, &x);
		printf("\n  %-5s 0x%012" PRIx64 "   %s\n", mmu_access_name(st->acc), st->va, st->why);
		print_split(f, st->va);
		if (x.tlb_level)
			printf("      %s hit\n", x.tlb_level == 1 ? (st->acc == ACC_FETCH ? "L1 iTLB" : "L1 dTLB") : "L2 TLB");
		else {
			printf("      TLB miss; walk read %u entr%s%s:\n", x.walk.nsteps, x.walk.nsteps == 1 ? "y" : "ies",
			       x.walk.step[0].level != f->top_level ? " (upper levels from the walk cache)" : "");
			print_walk(f, &x);
		}
		uint64_t ad = mmu_stats(m)->ad_updates - ad_before;
		if (ad)
			printf("      hardware updated %" PRIu64 " entr%s (%s)\n", ad, ad == 1 ? "y" : "ies",
			       f->arch == ARCH_X86_64 ? "A/D bits" : "AF / DBM dirty state");
		if (ok) {
			printf("      -> pa 0x%" PRIx64 " (%u KiB mapping), %" PRIu64 " cycle%s\n", x.pa,
			       1u << (x.page_shift - 10), x.cycles, x.cycles == 1 ? "" : "s");
		} else {
			char syn[200];
			mmu_syndrome_describe(f->arch, &x.fault.syn, syn, sizeof syn);
			printf("      -> %s fault at %s: %s  (%" PRIu64 " cycles)\n", mmu_fault_kind_name(x.fault.kind),
			       pt_level_info(f, x.fault.level)->name, syn, x.cycles);
		}
	}
}

static void print_stats(const struct mmu *m)
{
	const struct mmu_stats *st = mmu_stats(m);
	printf("\n  TLB:");
	for (int t = 0; t < TLB_COUNT; t++)
		printf(" %s %" PRIu64 " hit%s/%" PRIu64 " miss%s", mmu_tlb_name((enum tlb_id)t), st->tlb_hits[t],
		       st->tlb_hits[t] == 1 ? "" : "s", st->tlb_misses[t], st->tlb_misses[t] == 1 ? "" : "es");
	printf("; %" PRIu64 " walks, %" PRIu64 " entries read\n", st->walks, st->walk_reads);
	printf("  cycles: %" PRIu64 " =", mmu_total_cycles(m));
	const char *sep = "";
	for (int c = 0; c < COST_COUNT; c++)
		if (st->cycles[c]) {
			printf("%s %" PRIu64 " %s", sep, st->cycles[c], mmu_cost_name((enum mmu_cost)c));
			sep = " +";
		}
	printf("\n");
}

static int demo_one(const char *name)
{
	struct preset p;
	char err[512];
	if (preset_load(name, &p, err, sizeof err)) {
		errmsg_print(err);
		return 1;
	}
	/* A small physical memory is plenty for a handful of tables. */
	uint64_t phys = 64ull << p.mmu.fmt->page_shift;
	p.mmu.phys_size = phys;
	struct physmem *pm = physmem_create(phys, p.mmu.fmt->page_shift);
	if (!pm) {
		fprintf(stderr, "mmusim: cannot create physical memory\n");
		return 1;
	}
	struct mmu *m = mmu_create(&p.mmu, pm, err, sizeof err);
	if (!m) {
		fprintf(stderr, "mmusim: preset %s: %s\n", name, err);
		physmem_destroy(pm);
		return 1;
	}
	printf("=== %s: %s\n    %s\n\n", p.name, p.description, p.mmu.fmt->name);
	struct space s = {.pm = pm, .f = p.mmu.fmt, .next_frame = 1};
	build(&s);
	mmu_set_context(m, s.root, 1);
	run_script(m, &s);
	print_stats(m);
	printf("\n");
	mmu_destroy(m);
	physmem_destroy(pm);
	return 0;
}

/* The default demo: the classic first fault, in a real program, on both
 * architectures: mmap_write under `mmusim run --faults`; then a dynamically
 * linked program's first faults (demo_dynamic.c). */
static int demo_guests(void)
{
	static const char *const arches[] = {"x86_64", "aarch64"};
	int rc = 0;
	for (int i = 0; i < 2; i++) {
		char path[4096];
		char installed[PATH_MAX - 64];
		snprintf(path, sizeof path, "%s/%s/mmap_write",
			 installed_path("guests", installed, sizeof installed) ? installed : MMUSIM_GUEST_DIR, arches[i]);
		if (access(path, X_OK)) {
			fprintf(stderr, "mmusim: demo: %s is missing: build the guests first (cmake --build build)\n", path);
			return 1;
		}
		fflush(stdout);
		fprintf(stderr, "%s== mmusim run --faults %s\n"
				"== (mmap one page, write 'A' to it; every fault of the program, from exec to exit)\n\n",
			i ? "\n" : "", path);
		char *argv[] = {"run", "--faults", path, NULL};
		int st = cmd_run(3, argv);
		fflush(stdout);
		if (st)
			rc = 1;
	}
	return rc;
}

int cmd_demo(int argc, char **argv)
{
	const char *presets[8];
	int n = 0;
	bool tables = false, dynamic = false;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--tables"))
			tables = true;
		else if (!strcmp(argv[i], "--dynamic"))
			dynamic = true;
		else if (!strcmp(argv[i], "--preset") && i + 1 < argc && n < 8)
			presets[n++] = argv[++i];
		else if (!strcmp(argv[i], "--preset"))
			return usage_error("--preset needs a name");
		else
			return usage_error("unknown argument '%s' for demo", argv[i]);
	}
	if (!tables && n)
		return usage_error("%s", "demo --preset goes with --tables");
	if (tables && dynamic)
		return usage_error("%s", "demo --tables and --dynamic are two demos: one at a time");
	if (dynamic)
		return demo_dynamic();
	if (!tables)
		return demo_guests() | demo_dynamic();
	if (n == 0) {
		presets[n++] = "skylake";
		presets[n++] = "cortex-a76";
	}
	int rc = 0;
	for (int i = 0; i < n; i++)
		rc |= demo_one(presets[i]);
	return rc;
}
