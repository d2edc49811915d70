/* The fault handler's paths, driven by the bundled example traces on both
 * architectures and every personality: each fault's generic path, the
 * kernel's call chain, its outcome and the entries it wrote. Then COW
 * reference counts through fork and exit, the OOM outcome under a small
 * memory, and every frame returning when its last reference goes.
 * usage: test_fault_paths EXAMPLES_DIR */
#include <stdlib.h>
#include <unistd.h>

#include "tests/check.h"
#include "tests/testkernel.h"
#include "presets/preset.h"
#include "traces/traces.h"

static const char *examples;

#define MAX_FAULTS 8
struct seen {
	int n;
	char path[MAX_FAULTS][256];
	char chain[MAX_FAULTS][768];
	enum fault_outcome outcome[MAX_FAULTS];
	int si_code[MAX_FAULTS];
	struct fault_record rec[MAX_FAULTS];
};

static void collect(void *ctx, const struct os_event *ev)
{
	struct seen *s = ctx;
	if (ev->kind != EV_FAULT || s->n == MAX_FAULTS)
		return;
	const struct fault_record *r = ev->u.fault;
	char *p = s->path[s->n], *c = s->chain[s->n];
	p[0] = c[0] = 0;
	for (int i = 1; i < r->nsteps; i++) /* without "entry": every fault has it */
		snprintf(p + strlen(p), 256 - strlen(p), "%s%s", i > 1 ? ">" : "", fault_step_name((enum fault_step)r->steps[i]));
	for (int i = 0; i < r->nchain; i++)
		snprintf(c + strlen(c), 768 - strlen(c), "%s%s", i ? ">" : "", r->chain[i]);
	s->outcome[s->n] = r->outcome;
	s->si_code[s->n] = r->si_code;
	s->rec[s->n] = *r;
	s->n++;
}

static struct kernel *make_kernel(const char *preset, const char *pers, uint64_t mem)
{
	struct os_config oc = test_os_config(pers);
	return test_kernel(preset, mem, &oc);
}

/* The example trace, with its header's arch set to the machine's. */
static char *trace_for(const char *name, enum mmu_arch arch)
{
	char src[512];
	snprintf(src, sizeof src, "%s/%s", examples, name);
	FILE *in = fopen(src, "r");
	static char path[64];
	snprintf(path, sizeof path, "/tmp/mmusim-test-%d.jsonl", (int)getpid());
	FILE *out = fopen(path, "w");
	if (!in || !out) {
		fprintf(stderr, "cannot read %s\n", src);
		exit(2);
	}
	char line[4096];
	while (fgets(line, sizeof line, in)) {
		char *a = strstr(line, "\"arch\":\"x86-64\"");
		if (a && arch == ARCH_AARCH64) {
			*a = 0;
			fprintf(out, "%s\"arch\":\"aarch64\"%s", line, a + strlen("\"arch\":\"x86-64\""));
		} else {
			fputs(line, out);
		}
	}
	fclose(in);
	fclose(out);
	return path;
}

static int run_trace(struct kernel *k, const char *path, struct seen *s)
{
	char err[512];
	memset(s, 0, sizeof *s);
	kernel_subscribe(k, collect, s);
	struct trace_reader *r = trace_open(path, err, sizeof err);
	if (!r) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	struct replay_result res = {0};
	int rc = replay(k, r, path, NULL, &res, err, sizeof err);
	if (rc)
		fprintf(stderr, "%s\n", err);
	trace_close(r);
	unlink(path);   /* trace_for's copy */
	return rc;
}

/* ---- the expected faults --------------------------------------------------- */
struct expect {
	const char *path, *chain;
	enum fault_outcome outcome;
	int si_code;
};

struct config {
	const char *preset, *pers;
	/* call-chain prefixes: not-present (translation) and present (permission / AF) faults */
	const char *np, *pr;
};

#define X86_LINUX "exc_page_fault>handle_page_fault>do_user_addr_fault>find_vma"
#define ARM_LINUX_NP "el0_da>do_mem_abort>do_translation_fault>do_page_fault>__do_page_fault>find_vma"
#define ARM_LINUX_PR "el0_da>do_mem_abort>do_page_fault>__do_page_fault>find_vma"
#define XNU_X86 "user_trap>vm_fault>vm_fault_internal>vm_map_lookup_and_lock_object"
#define XNU_ARM "sleh_synchronous>handle_abort>handle_user_abort>vm_fault>vm_fault_internal>vm_map_lookup_and_lock_object"
#define LITEOS "OsArmSharedPageFault>OsVmPageFaultHandler>LOS_RegionFind"

static const struct config configs[] = {
	{"skylake", "linux", X86_LINUX, X86_LINUX},
	{"cortex-a76", "linux", ARM_LINUX_NP, ARM_LINUX_PR},
	{"apple16k", "linux", ARM_LINUX_NP, ARM_LINUX_PR},
	{"skylake", "xnu", XNU_X86, XNU_X86},
	{"apple16k", "xnu", XNU_ARM, XNU_ARM},
	{"cortex-a76", "liteos", LITEOS, LITEOS},
};

static char *cat(const char *a, const char *b)
{
	static char buf[8][768];
	static int i;
	char tmp[768];   /* a or b may be an earlier result */
	snprintf(tmp, sizeof tmp, "%s%s%s", a, *b ? ">" : "", b);
	char *out = buf[i++ % 8];
	memcpy(out, tmp, sizeof tmp);
	return out;
}

static bool linux_(const struct config *c) { return !strcmp(c->pers, "linux"); }
static bool xnu(const struct config *c) { return !strcmp(c->pers, "xnu"); }

#define LINUX_ANON "handle_mm_fault>__handle_mm_fault>__pud_alloc>__pmd_alloc>handle_pte_fault>do_anonymous_page>__pte_alloc"
#define XNU_ZERO_FILL "vm_page_lookup>vm_page_grab>vm_page_insert>vm_page_zero_fill>pmap_enter"

/* The first touch of a fresh mapping: three tables and a page. */
static struct expect first_write(const struct config *c)
{
	const char *path = "find_vma>alloc_pud>alloc_pmd>alloc_pte>anon_page";
	if (linux_(c))
		return (struct expect){path, cat(c->np, LINUX_ANON ">alloc_zeroed_user_highpage_movable"), OUT_RESOLVED, 0};
	if (xnu(c))
		return (struct expect){path, cat(c->np, XNU_ZERO_FILL ">pmap_expand"), OUT_RESOLVED, 0};
	return (struct expect){path, cat(c->np, "OsVmRegionPermissionCheck>LOS_PhysPageAlloc>LOS_ArchMmuMap"), OUT_RESOLVED, 0};
}

static void check_faults(const char *what, const struct config *c, const struct seen *s, const struct expect *e, int n)
{
	int before = check_failed;
	CHECK_EQ(s->n, n);
	for (int i = 0; i < n && i < s->n; i++) {
		CHECK_STR(s->path[i], e[i].path);
		CHECK_STR(s->chain[i], e[i].chain);
		CHECK_EQ(s->outcome[i], e[i].outcome);
		CHECK_EQ(s->si_code[i], e[i].si_code);
	}
	if (check_failed != before)
		fprintf(stderr, "  ^ in %s on %s/%s\n", what, c->preset, c->pers);
}

/* The leaf a resolved fault wrote last: present, user, and writable when
 * `writable`. */
static void check_leaf(struct kernel *k, const struct fault_record *r, bool writable)
{
	CHECK(r->npte >= 1);
	if (r->npte < 1)
		return;
	const struct pte_change *c = &r->pte[r->npte - 1];
	struct pte d = pte_decode(kernel_format(k), c->level, c->new);
	CHECK_EQ(c->level, PT_LEVEL_LEAF);
	CHECK_EQ(d.kind, PTE_PAGE);
	CHECK(d.user);
	CHECK_EQ(d.write, writable);
	CHECK(d.nx);
	CHECK_EQ(c->va, r->va & ~((1ull << kernel_format(k)->page_shift) - 1));
	CHECK_EQ(c->table_pa + 8ull * c->index, c->table_pa + 8ull * pt_index(kernel_format(k), 3, r->va));
}

static void example_paths(void)
{
	for (size_t ci = 0; ci < sizeof configs / sizeof configs[0]; ci++) {
		const struct config *c = &configs[ci];
		struct seen s;
		struct kernel *k;
		enum mmu_arch arch;
		struct expect e[4];

#define RUN(name)                                                    \
	k = make_kernel(c->preset, c->pers, 0);                      \
	arch = kernel_format(k)->arch;                               \
	CHECK_EQ(run_trace(k, trace_for(name, arch), &s), 0)

		/* anon-write: one fault, four entries written (three links and the page). */
		RUN("anon-write.jsonl");
		e[0] = first_write(c);
		check_faults("anon-write", c, &s, e, 1);
		CHECK_EQ(s.rec[0].npte, 4);
		CHECK_EQ(s.rec[0].tables_allocated, 3);
		check_leaf(k, &s.rec[0], true);
		kernel_destroy(k);

		/* zero-then-cow: Linux maps the zero page, then copies it on the write. */
		RUN("zero-then-cow.jsonl");
		if (linux_(c)) {
			e[0] = (struct expect){"find_vma>alloc_pud>alloc_pmd>alloc_pte>zero_page",
					       cat(c->np, LINUX_ANON ">my_zero_pfn"), OUT_RESOLVED, 0};
			e[1] = (struct expect){"find_vma>wp_copy",
					       cat(c->pr, "handle_mm_fault>__handle_mm_fault>handle_pte_fault>do_wp_page>wp_page_copy>alloc_zeroed_user_highpage_movable"),
					       OUT_RESOLVED, 0};
			check_faults("zero-then-cow", c, &s, e, 2);
			check_leaf(k, &s.rec[0], false);
			check_leaf(k, &s.rec[1], true);
			CHECK(pte_decode(kernel_format(k), 3, s.rec[0].pte[3].new).oa !=
			      pte_decode(kernel_format(k), 3, s.rec[1].pte[0].new).oa);
		} else {
			/* No zero page: the read gets a zeroed page of its own, writable. */
			e[0] = first_write(c);
			check_faults("zero-then-cow", c, &s, e, 1);
			check_leaf(k, &s.rec[0], true);
		}
		kernel_destroy(k);

		/* stack-growth: Linux grows the stack; XNU and LiteOS-A have it all. */
		RUN("stack-growth.jsonl");
		e[0] = first_write(c);
		if (linux_(c))
			e[1] = (struct expect){"find_vma>expand_stack>anon_page",
					       cat(c->np, "expand_stack>handle_mm_fault>__handle_mm_fault>handle_pte_fault>do_anonymous_page>alloc_zeroed_user_highpage_movable"),
					       OUT_RESOLVED, 0};
		else if (xnu(c))
			e[1] = (struct expect){"find_vma>anon_page", cat(c->np, XNU_ZERO_FILL), OUT_RESOLVED, 0};
		else
			e[1] = (struct expect){"find_vma>anon_page",
					       cat(c->np, "OsVmRegionPermissionCheck>LOS_PhysPageAlloc>LOS_ArchMmuMap"), OUT_RESOLVED, 0};
		check_faults("stack-growth", c, &s, e, 2);
		if (linux_(c))
			CHECK_EQ(s.rec[1].vma.start, 0x7fffeffd0000ull & ~((1ull << kernel_format(k)->page_shift) - 1));
		kernel_destroy(k);

		/* fork-cow: the child's write copies, the parent's then reuses. Without
		 * hardware AF the child's first read is an access-flag fault. */
		RUN("fork-cow.jsonl");
		int n = 0;
		e[n++] = first_write(c);
		bool af = arch == ARCH_AARCH64 && !strcmp(c->preset, "apple16k");
		if (af && linux_(c))
			e[n++] = (struct expect){"find_vma>set_young",
						 cat(c->pr, "handle_mm_fault>__handle_mm_fault>handle_pte_fault>pte_mkyoung>ptep_set_access_flags"),
						 OUT_RESOLVED, 0};
		if (af && xnu(c))
			e[n++] = (struct expect){"find_vma>set_young", "sleh_synchronous>handle_abort>handle_user_abort>arm_fast_fault",
						 OUT_RESOLVED, 0};
		if (linux_(c)) {
			e[n++] = (struct expect){"find_vma>wp_copy",
						 cat(c->pr, "handle_mm_fault>__handle_mm_fault>handle_pte_fault>do_wp_page>wp_page_copy>__wp_page_copy_user"),
						 OUT_RESOLVED, 0};
			e[n++] = (struct expect){"find_vma>wp_reuse",
						 cat(c->pr, "handle_mm_fault>__handle_mm_fault>handle_pte_fault>do_wp_page>wp_page_reuse"),
						 OUT_RESOLVED, 0};
		} else if (xnu(c)) {
			e[n++] = (struct expect){"find_vma>wp_copy",
						 cat(c->pr, "vm_fault_page>vm_page_lookup>vm_page_grab>vm_page_copy>vm_page_insert>pmap_enter"),
						 OUT_RESOLVED, 0};
			e[n++] = (struct expect){"find_vma>wp_reuse", cat(c->pr, "vm_page_lookup>pmap_enter"), OUT_RESOLVED, 0};
		} else {
			const char *share = "OsVmRegionPermissionCheck>LOS_PhysPageAlloc>LOS_ArchMmuQuery>LOS_ArchMmuUnmap>OsPhysSharePageCopy";
			e[n++] = (struct expect){"find_vma>wp_copy", cat(c->pr, cat(share, "LOS_ArchMmuMap")), OUT_RESOLVED, 0};
			e[n++] = (struct expect){"find_vma>wp_reuse", cat(c->pr, cat(share, "LOS_PhysPageFree>LOS_ArchMmuMap")),
						 OUT_RESOLVED, 0};
		}
		check_faults("fork-cow", c, &s, e, n);
		CHECK_EQ(s.rec[n - 2].pid, 2);
		CHECK_EQ(s.rec[n - 2].frames_copied, 1);
		CHECK_EQ(s.rec[n - 1].pid, 1);
		check_leaf(k, &s.rec[n - 2], true);
		check_leaf(k, &s.rec[n - 1], true);
		/* The parent reused its own frame in place. */
		CHECK_EQ(pte_decode(kernel_format(k), 3, s.rec[n - 1].pte[0].new).oa,
			 pte_decode(kernel_format(k), 3, s.rec[0].pte[3].new).oa);
		kernel_destroy(k);

		/* segv-maperr: no VMA below. */
		RUN("segv-maperr.jsonl");
		const char *mapfail = linux_(c) ? (arch == ARCH_X86_64 ? "bad_area>__bad_area>__bad_area_nosemaphore>force_sig_fault"
									: "arm64_force_sig_fault")
				      : xnu(c) ? "exception_triage" : "OsFaultTryFixup";
		e[0] = (struct expect){"find_vma>bad_area", cat(c->np, mapfail), OUT_SIGSEGV, SEGV_MAPERR};
		check_faults("segv-maperr", c, &s, e, 1);
		CHECK_EQ(s.rec[0].have_vma, false);
		CHECK_EQ(proc_exit_status(proc_find(k, 1)), 128 + 11);
		kernel_destroy(k);

		/* segv-accerr: a write to a read-only mapping. */
		RUN("segv-accerr.jsonl");
		n = 0;
		if (linux_(c))
			e[n++] = (struct expect){"find_vma>alloc_pud>alloc_pmd>alloc_pte>zero_page",
						 cat(c->np, LINUX_ANON ">my_zero_pfn"), OUT_RESOLVED, 0};
		else if (xnu(c))
			e[n++] = (struct expect){"find_vma>alloc_pud>alloc_pmd>alloc_pte>anon_page",
						 cat(c->np, XNU_ZERO_FILL ">pmap_expand"), OUT_RESOLVED, 0};
		else
			e[n++] = first_write(c);
		const char *accfail = linux_(c) ? (arch == ARCH_X86_64
							   ? "access_error>bad_area_access_error>__bad_area>__bad_area_nosemaphore>force_sig_fault"
							   : "arm64_force_sig_fault")
				      : xnu(c) ? "exception_triage" : "OsVmRegionPermissionCheck>OsFaultTryFixup";
		e[n++] = (struct expect){"find_vma>access_error", cat(c->pr, accfail), xnu(c) ? OUT_SIGBUS : OUT_SIGSEGV,
					 xnu(c) ? BUS_ADRERR : SEGV_ACCERR};
		check_faults("segv-accerr", c, &s, e, n);
		check_leaf(k, &s.rec[0], false);
		CHECK_EQ(proc_exit_status(proc_find(k, 1)), xnu(c) ? 128 + 7 : 128 + 11);
		kernel_destroy(k);
#undef RUN
	}
}

/* ---- fork and exit: reference counts ------------------------------------------- */
static void cow_refcounts(void)
{
	const char *presets[] = {"skylake", "cortex-a76"};
	for (int i = 0; i < 2; i++) {
		struct kernel *k = make_kernel(presets[i], "linux", 0);
		struct proc *p = kernel_current(k);
		CHECK_EQ(proc_exec(p, 0x7ffff0000000ull, 0x600000), 0);
		uint64_t a = (uint64_t)os_mmap(p, 0x10000000, 0x3000, 3, MAPF_PRIVATE | MAPF_ANONYMOUS | MAPF_FIXED, -1, 0);
		CHECK_EQ(a, 0x10000000);
		struct mmu_xlate x;
		uint64_t page = 1ull << kernel_format(k)->page_shift;
		for (int j = 0; j < 3; j++)
			CHECK_EQ(os_access(k, a + (uint64_t)j * page, ACC_WRITE, &x, NULL), OUT_RESOLVED);
		uint64_t pa;
		CHECK(proc_translate(p, a, &pa));
		struct frame_info fi;
		CHECK(kernel_frame(k, pa, &fi));
		CHECK_EQ(fi.refcount, 1);
		CHECK_EQ(fi.mapcount, 1);
		CHECK_EQ(fi.use, USE_ANON);

		int err = 0;
		struct proc *c = proc_fork(p, 2, &err);
		CHECK(c != NULL);
		CHECK(kernel_frame(k, pa, &fi));
		CHECK_EQ(fi.refcount, 2);
		CHECK_EQ(fi.mapcount, 2);
		uint64_t cpa;
		CHECK(proc_translate(c, a, &cpa));
		CHECK_EQ(cpa, pa);
		/* The parent's entry was write-protected and its TLB entry dropped:
		 * its next write faults. */
		struct fault_record r;
		CHECK_EQ(os_access(k, a, ACC_WRITE, &x, &r), OUT_RESOLVED);
		CHECK_EQ(r.pid, 1);
		CHECK_EQ(r.frames_copied, 1);    /* shared: the parent copies */
		CHECK(kernel_frame(k, pa, &fi));
		CHECK_EQ(fi.refcount, 1);        /* the child's alone now */
		uint64_t newpa;
		CHECK(proc_translate(p, a, &newpa));
		CHECK(newpa != pa);
		/* The child exits: its frames go exactly when their last reference does. */
		struct os_stats before, after;
		kernel_stats(k, &before);
		proc_exit(c, 0);
		kernel_stats(k, &after);
		CHECK(!kernel_frame(k, pa, &fi) || fi.use == USE_FREE);
		/* The other two pages were shared; the parent keeps them. */
		uint64_t pa1;
		CHECK(proc_translate(p, a + page, &pa1));
		CHECK(kernel_frame(k, pa1, &fi));
		CHECK_EQ(fi.refcount, 1);
		CHECK_EQ(after.frames_by_use[USE_ANON], before.frames_by_use[USE_ANON] - 1);
		/* ... and writes them in place now. */
		CHECK_EQ(os_access(k, a + page, ACC_WRITE, &x, &r), OUT_RESOLVED);
		CHECK(r.nsteps >= 3 && r.steps[r.nsteps - 1] == STEP_WP_REUSE);
		proc_exit(p, 0);
		kernel_stats(k, &after);
		CHECK_EQ(after.frames_by_use[USE_ANON], 0);
		CHECK_EQ(after.frames_by_use[USE_PAGETABLE], 0);
		CHECK_EQ(after.frames_free, after.frames_total - 1); /* all but the zero page */
		kernel_destroy(k);
	}
}

/* ---- dirty tracking after fork ------------------------------------------------
 * fork cleans the child's entries of shared mappings (pte_mkclean). Its first
 * write then marks them dirty: x86 and hardware DBM in the walker, without
 * hardware DBM in the handler (pte_mkdirty). */
static void shared_dirty_after_fork(void)
{
	struct { const char *preset, *path, *chain; } cases[] = {
		{"skylake", NULL, NULL},
		{"cortex-a76", NULL, NULL},
		{"apple16k", "find_vma>set_dirty>set_young",
		 ARM_LINUX_PR ">handle_mm_fault>__handle_mm_fault>handle_pte_fault>pte_mkdirty>pte_mkyoung>ptep_set_access_flags"},
	};
	for (int i = 0; i < 3; i++) {
		struct kernel *k = make_kernel(cases[i].preset, "linux", 0);
		struct proc *p = kernel_current(k);
		CHECK_EQ(proc_exec(p, 0x7ffff0000000ull, 0x600000), 0);
		uint64_t a = (uint64_t)os_mmap(p, 0x10000000, 0x4000, 3, MAPF_SHARED | MAPF_ANONYMOUS | MAPF_FIXED, -1, 0);
		struct mmu_xlate x;
		CHECK_EQ(os_access(k, a, ACC_WRITE, &x, NULL), OUT_RESOLVED);
		int err;
		struct proc *c = proc_fork(p, 2, &err);
		kernel_switch(k, c);
		struct seen s = {0};
		kernel_subscribe(k, collect, &s);
		CHECK_EQ(os_access(k, a, ACC_WRITE, &x, NULL), OUT_RESOLVED);
		uint64_t pa, cpa;
		CHECK(proc_translate(p, a, &pa) && proc_translate(c, a, &cpa));
		CHECK_EQ(pa, cpa);        /* shared: no copy */
		if (!cases[i].path) {
			CHECK_EQ(s.n, 0);
		} else {
			CHECK_EQ(s.n, 1);
			CHECK_STR(s.path[0], cases[i].path);
			CHECK_STR(s.chain[0], cases[i].chain);
			CHECK_EQ(s.rec[0].hw.kind, FAULT_ACCESS_FLAG);
		}
		kernel_destroy(k);
	}
}

/* ---- out of memory ---------------------------------------------------------------- */
static void out_of_memory(void)
{
	const char *presets[] = {"skylake", "cortex-a76"};
	for (int i = 0; i < 2; i++) {
		/* 128 frames of 4 KiB; the process touches 256 pages. */
		struct kernel *k = make_kernel(presets[i], "linux", 128 * 4096);
		struct proc *p = kernel_current(k);
		CHECK_EQ(proc_exec(p, 0x7ffff0000000ull, 0x600000), 0);
		CHECK_EQ(os_mmap(p, 0x10000000, 256 * 4096, 3, MAPF_PRIVATE | MAPF_ANONYMOUS | MAPF_FIXED, -1, 0), 0x10000000);
		struct mmu_xlate x;
		struct fault_record r;
		enum fault_outcome o = OUT_RESOLVED;
		int touched = 0;
		while (touched < 256 && (o = os_access(k, 0x10000000 + (uint64_t)touched * 4096, ACC_WRITE, &x, &r)) == OUT_RESOLVED)
			touched++;
		CHECK_EQ(o, OUT_OOM);
		CHECK(touched > 100 && touched < 128);
		CHECK_EQ(r.outcome, OUT_OOM);
		CHECK_EQ(r.steps[r.nsteps - 1], STEP_OOM);
		CHECK_STR(r.chain[r.nchain - 1], "pagefault_out_of_memory");
		/* The simulator carries on: the process is killed, its memory freed,
		 * and another can run. */
		proc_kill(p, 9);
		struct os_stats st;
		kernel_stats(k, &st);
		CHECK_EQ(st.frames_free, st.frames_total - 1);
		int err;
		struct proc *q = proc_fork(p, 3, &err);
		CHECK(q == NULL); /* a dead process cannot fork */
		kernel_destroy(k);
	}
}

int main(int argc, char **argv)
{
	examples = argc > 1 ? argv[1] : "traces/examples";
	example_paths();
	cow_refcounts();
	shared_dirty_after_fork();
	out_of_memory();
	return check_report("test_fault_paths");
}
