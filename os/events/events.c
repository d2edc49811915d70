/* The event bus and the operation hook (events.h). */
#include "os/events/events.h"

static const char *const event_names[EV_COUNT] = {
	"fault", "pte", "table_alloc", "table_free", "frame_alloc", "frame_free", "cow_copy",
	"tlb_fill", "tlb_flush", "proc_create", "proc_exit", "switch", "mmap", "munmap", "mprotect", "brk", "exec",
	"pagecache_hit", "pagecache_miss", "writeback", "msync", "madvise", "evict", "swap_out", "swap_in",
	"memlimit", "pagecache_share", "mremap", "shootdown",
};
const char *os_event_name(enum os_event_kind k) { return event_names[k]; }

static const char *const use_names[USE_COUNT] = {"free", "anon", "pagetable", "zero", "pagecache"};
const char *frame_use_name(enum frame_use u) { return use_names[u]; }

static const char *const method_names[SD_METHODS] = {"ipi+invlpg", "ipi+full", "tlbi_va", "tlbi_asid"};
const char *shootdown_method_name(enum shootdown_method m) { return method_names[m]; }

void bus_subscribe(struct event_bus *b, os_event_fn fn, void *ctx)
{
	if (b->nsub < BUS_MAX_SUBSCRIBERS) {
		b->sub[b->nsub] = fn;
		b->sub_ctx[b->nsub++] = ctx;
	}
}

void bus_emit(struct event_bus *b, struct os_event *ev)
{
	ev->seq = ++b->seq;
	ev->cpu = b->cpu;
	for (int i = 0; i < b->nsub; i++)
		b->sub[i](b->sub_ctx[i], ev);
}

void bus_set_op_hook(struct event_bus *b, os_op_fn fn, void *ctx)
{
	b->op_hook = fn;
	b->op_ctx = ctx;
}

void bus_op(struct event_bus *b, int pid, struct os_op *op)
{
	if (!b->op_hook)
		return;
	op->pid = pid;
	b->op_hook(b->op_ctx, op);
}
