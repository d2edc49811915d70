/* The kernel object: physical memory and the MMU it runs on, the frame
 * allocator, the processes, and the event bus. */
#include "os/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void os_config_default(struct os_config *c)
{
	*c = (struct os_config){
		.personality = PERS_LINUX,
		.stack_limit = 8ull << 20,          /* RLIMIT_STACK default */
		.max_procs = 256,                   /* RLIMIT_NPROC: stops a fork bomb, not a shell */
		.stack_guard_gap = 256ull << 12,    /* Linux stack_guard_gap: 256 pages */
		.fault_around_bytes = 64ull << 10,  /* Linux fault_around_bytes default */
		.thp = THP_MADVISE,
	};
}

static const char *const event_names[EV_COUNT] = {
	"fault", "pte", "table_alloc", "table_free", "frame_alloc", "frame_free", "cow_copy",
	"tlb_fill", "tlb_flush", "proc_create", "proc_exit", "switch", "mmap", "munmap", "mprotect", "brk", "exec",
	"pagecache_hit", "pagecache_miss", "writeback", "msync", "madvise", "evict", "swap_out", "swap_in",
	"memlimit",
};
const char *os_event_name(enum os_event_kind k) { return event_names[k]; }

static const char *const use_names[USE_COUNT] = {"free", "anon", "pagetable", "zero", "pagecache"};
const char *frame_use_name(enum frame_use u) { return use_names[u]; }

void emit(struct kernel *k, struct os_event *ev)
{
	ev->seq = ++k->event_seq;
	for (int i = 0; i < k->nsub; i++)
		k->sub[i](k->sub_ctx[i], ev);
}

void kernel_subscribe(struct kernel *k, os_event_fn fn, void *ctx)
{
	if (k->nsub < MAX_SUBSCRIBERS) {
		k->sub[k->nsub] = fn;
		k->sub_ctx[k->nsub++] = ctx;
	}
}

/* The MMU's events (TLB fills and flushes) join the same stream. */
static void mmu_event(void *ctx, const struct mmu_event *mev)
{
	struct kernel *k = ctx;
	if (!observed(k))
		return;
	struct os_event ev = {.kind = mev->kind == MMU_EV_TLB_FILL ? EV_TLB_FILL : EV_TLB_FLUSH,
			      .pid = k->current ? k->current->pid : 0};
	ev.u.tlb = mev;
	emit(k, &ev);
}

struct kernel *kernel_create(const struct mmu_config *mc, const struct os_config *oc, char *err, size_t errlen)
{
	const struct personality_desc *pers = personality_desc(oc->personality);
	const struct pt_format *f = mc->fmt;
	if (pers->arm64_only && f->arch != ARCH_AARCH64) {
		snprintf(err, errlen, "the %s personality runs on Arm only", pers->name);
		return NULL;
	}
	if (oc->swap_bytes && oc->personality == PERS_LITEOS) {
		snprintf(err, errlen, "LiteOS-A has no swap");
		return NULL;
	}
	if (pers->arm64_page_shift && f->arch == ARCH_AARCH64 && f->page_shift != pers->arm64_page_shift) {
		snprintf(err, errlen, "%s uses %u KiB pages on arm64: choose a preset with that granule", pers->name,
			 1u << (pers->arm64_page_shift - 10));
		return NULL;
	}
	struct kernel *k = calloc(1, sizeof *k);
	if (!k) {
		snprintf(err, errlen, "out of host memory");
		return NULL;
	}
	k->cfg = *oc;
	k->pers = pers;
	k->fmt = f;
	k->page = 1ull << f->page_shift;
	/* x86-64 TASK_SIZE_MAX is one page below 2^47; arm64 user space is 2^48. */
	k->user_top = f->arch == ARCH_X86_64 ? (1ull << (f->va_bits - 1)) - k->page : 1ull << f->va_bits;
	k->next_asid = 1;
	k->rng = 0x243F6A8885A308D3ull;   /* a fixed seed: the same run, the same "random" bytes */
	k->pm = physmem_create(mc->phys_size, f->page_shift);
	if (!k->pm) {
		snprintf(err, errlen, "cannot create %llu bytes of physical memory", (unsigned long long)mc->phys_size);
		goto fail;
	}
	k->mmu = mmu_create(mc, k->pm, err, errlen);
	if (!k->mmu)
		goto fail;
	mmu_set_observer(k->mmu, mmu_event, k);
	lru_init(k);
	if (!frames_init(k)) {
		snprintf(err, errlen, "too many frames");
		goto fail;
	}
	if (!swap_init(k, err, errlen))
		goto fail;
	k->zero_pfn = frame_alloc(k, 0, USE_ZERO);
	struct proc *init = k->zero_pfn == NO_PFN ? NULL : proc_create(k, 1);
	if (!init) {
		snprintf(err, errlen, "physical memory too small to start");
		goto fail;
	}
	kernel_switch(k, init);
	return k;
fail:
	kernel_destroy(k);
	return NULL;
}

void kernel_destroy(struct kernel *k)
{
	if (!k)
		return;
	k->nsub = 0;
	k->op_hook = NULL;
	/* Nothing written through a shared mapping is lost: every process's
	 * memory is released (writing back what it dirtied), then the caches. */
	for (size_t i = 0; i < k->nprocs; i++)
		proc_exit(k->procs[i], k->procs[i]->status);
	if (k->frames.page)
		release_file_pages(k);
	for (size_t i = 0; i < k->nprocs; i++) {
		free(k->procs[i]->mm.vma);
		free(k->procs[i]->exe);
		free(k->procs[i]);
	}
	free(k->root);
	free(k->procs);
	frames_free_all(k);
	swap_free_all(k);
	mmu_destroy(k->mmu);
	physmem_destroy(k->pm);
	free(k);
}

struct mmu *kernel_mmu(const struct kernel *k) { return k->mmu; }
const struct pt_format *kernel_format(const struct kernel *k) { return k->fmt; }
enum personality kernel_personality(const struct kernel *k) { return k->cfg.personality; }

struct proc *proc_find(const struct kernel *k, int pid)
{
	for (size_t i = 0; i < k->nprocs; i++)
		if (k->procs[i]->pid == pid)
			return k->procs[i];
	return NULL;
}

struct proc *kernel_current(const struct kernel *k) { return k->current; }
int proc_pid(const struct proc *p) { return p->pid; }
bool proc_alive(const struct proc *p) { return p->alive; }
int proc_exit_status(const struct proc *p) { return p->status; }

void kernel_switch(struct kernel *k, struct proc *p)
{
	k->current = p;
	mmu_set_context(k->mmu, p->mm.root, p->mm.asid);
	if (observed(k)) {
		struct os_event ev = {.kind = EV_SWITCH, .pid = p->pid};
		ev.u.proc.root = p->mm.root;
		ev.u.proc.asid = p->mm.asid;
		emit(k, &ev);
	}
	if (op_hooked(k)) {
		struct os_op op = {.kind = OP_SWITCH};
		op_emit(k, p, &op);
	}
}

void kernel_stats(const struct kernel *k, struct os_stats *out)
{
	*out = k->st;
	out->frames_total = k->frames.n - 1;
	out->frames_free = k->frames.nfree;
	memcpy(out->frames_by_use, k->frames.by_use, sizeof out->frames_by_use);
}

bool kernel_frame(const struct kernel *k, uint64_t pa, struct frame_info *out)
{
	uint64_t pfn = pa >> k->fmt->page_shift;
	if (pfn == 0 || pfn >= k->frames.n)
		return false;
	const struct page *pg = &k->frames.page[pfn];
	*out = (struct frame_info){.use = (enum frame_use)pg->use, .refcount = pg->refcount, .mapcount = pg->mapcount};
	return true;
}

/* As the kernel reads its own tables (follow_page), not as the MMU does:
 * an entry whose access flag is clear still maps its frame. */
bool proc_translate(const struct proc *p, uint64_t va, uint64_t *pa)
{
	struct kernel *k = p->k;
	if (!p->alive)
		return false;
	uint64_t entry = pte_lookup(k, (struct mm *)&p->mm, va & ~(k->page - 1), false);
	if (entry == PT_NO_MEMORY)
		return false;
	struct pte d = pte_decode(k->fmt, PT_LEVEL_LEAF, physmem_read64(k->pm, entry));
	if (d.kind == PTE_INVALID)
		return false;
	*pa = d.oa + (va & (k->page - 1));
	return true;
}

void os_set_memlimit(struct kernel *k, uint64_t bytes)
{
	k->memlimit_frames = bytes >> k->fmt->page_shift;
	while (over_limit(k) && reclaim(k, 32))
		;
	if (observed(k)) {
		struct os_event ev = {.kind = EV_MEMLIMIT, .pid = k->current ? k->current->pid : 0};
		ev.u.as.len = bytes;
		emit(k, &ev);
	}
}

void kernel_set_unmap_hook(struct kernel *k, os_unmap_fn fn, void *ctx)
{
	k->unmap_hook = fn;
	k->unmap_ctx = ctx;
}

void kernel_set_pc_hook(struct kernel *k, os_pc_fn fn, void *ctx)
{
	k->pc_hook = fn;
	k->pc_ctx = ctx;
}

void kernel_set_syscall_hook(struct kernel *k, os_syscall_fn fn, void *ctx)
{
	k->syscall_hook = fn;
	k->syscall_ctx = ctx;
}
