/* The memory manager's part of the kernel: physical memory and the MMU it
 * runs on, the frames, swap and the zero page; what it reports of them. */
#include "os/mm/mm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The MMU's events (TLB fills and flushes) join the same stream. */
static void mmu_event(void *ctx, const struct mmu_event *mev)
{
	struct kernel *k = ctx;
	if (!observed(k))
		return;
	struct os_event ev = {.kind = mev->kind == MMU_EV_TLB_FILL ? EV_TLB_FILL : EV_TLB_FLUSH, .pid = current_pid(k)};
	ev.u.tlb = mev;
	uint8_t here = k->bus.cpu;
	k->bus.cpu = mev->cpu;   /* a remote flush happens on its CPU */
	emit(k, &ev);
	k->bus.cpu = here;
}

bool mm_kernel_init(struct kernel *k, const struct mmu_config *mc, char *err, size_t errlen)
{
	const struct pt_format *f = mc->fmt;
	k->fmt = f;
	k->page = 1ull << f->page_shift;
	/* x86-64 TASK_SIZE_MAX is one page below 2^47; arm64 user space is 2^48. */
	k->user_top = f->arch == ARCH_X86_64 ? (1ull << (f->va_bits - 1)) - k->page : 1ull << f->va_bits;
	k->next_asid = 1;
	k->pm = physmem_create(mc->phys_size, f->page_shift);
	if (!k->pm) {
		snprintf(err, errlen, "cannot create %llu bytes of physical memory", (unsigned long long)mc->phys_size);
		return false;
	}
	k->mmu = mmu_create(mc, k->pm, err, errlen);
	if (!k->mmu)
		return false;
	mmu_set_observer(k->mmu, mmu_event, k);
	if (!smp_init(k, err, errlen))
		return false;
	lru_init(k);
	if (!frames_init(k)) {
		snprintf(err, errlen, "too many frames");
		return false;
	}
	if (!swap_init(k, err, errlen))
		return false;
	k->zero_pfn = frame_alloc(k, 0, USE_ZERO);
	if (k->zero_pfn == NO_PFN) {
		snprintf(err, errlen, "physical memory too small to start");
		return false;
	}
	return true;
}

void mm_kernel_destroy(struct kernel *k)
{
	free(k->mms);
	frames_free_all(k);
	swap_free_all(k);
	smp_free(k);
	tlbcheck_free(k);
	mmu_destroy(k->mmu);
	physmem_destroy(k->pm);
}

struct mmu *kernel_mmu(const struct kernel *k) { return k->mmu; }
const struct pt_format *kernel_format(const struct kernel *k) { return k->fmt; }
enum personality kernel_personality(const struct kernel *k) { return k->cfg.personality; }

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

void os_set_memlimit(struct kernel *k, uint64_t bytes)
{
	k->memlimit_frames = bytes >> k->fmt->page_shift;
	while (over_limit(k) && reclaim(k, 32))
		;
	if (observed(k)) {
		struct os_event ev = {.kind = EV_MEMLIMIT, .pid = current_pid(k)};
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

void kernel_set_op_hook(struct kernel *k, os_op_fn fn, void *ctx) { bus_set_op_hook(&k->bus, fn, ctx); }
void kernel_subscribe(struct kernel *k, os_event_fn fn, void *ctx) { bus_subscribe(&k->bus, fn, ctx); }
