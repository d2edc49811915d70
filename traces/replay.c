/* Replay: a trace drives the OS model and the MMU directly, no CPU. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "traces/reader.h"
#include "traces/traces.h"
#include "mmu/errmsg.h"

struct replay_state {
	struct kernel *k;
	struct trace_reader *r;
	const char *name;
	struct replay_result *res;
	char *err;
	size_t errlen;
	struct proc *killed;     /* the last process the simulator killed */
	bool skip;               /* the record belongs to a killed process */
	struct file_name { char *path, *name; } *names;   /* "file" records with a "name" */
	size_t nnames;
	uint64_t disk_bytes;     /* what "file" and "pwrite" records asked to write, so far */
};

/* What a whole replay may write to the host disk through "file" and
 * "pwrite" records together: TR_FILE_MAX caps one record, and N records
 * of 1 GiB would otherwise write N GiB (issue 21). Recorded runs write far
 * less; a trace that asks more is refused at the record that would pass it. */
#define REPLAY_DISK_MAX (4ull << 30)

static int disk_budget(struct replay_state *s, uint64_t len);

/* "TRACE:LINE: message", the line of the record being replayed. */
static int fail(struct replay_state *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct replay_state *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	errmsg_vset(s->err, s->errlen, s->name, (long long)trace_lineno(s->r), fmt, ap);
	va_end(ap);
	return -1;
}

static int disk_budget(struct replay_state *s, uint64_t len)
{
	if (len > REPLAY_DISK_MAX - s->disk_bytes)
		return fail(s, "\"file\" and \"pwrite\" records would write more than %llu GiB to disk in all",
			    REPLAY_DISK_MAX >> 30);
	s->disk_bytes += len;
	return 0;
}

/* A process the simulator killed (a signal, out of memory) may still have
 * records in the trace: it ran on to the end where the trace was recorded.
 * Those are skipped; records for a process that exited are an error. */
static bool killed(const struct proc *p) { return p && !proc_alive(p) && proc_exit_status(p) >= 128; }

/* Process pid, live; NULL with s->skip set if the replay killed it, or
 * with an error. */
static struct proc *named(struct replay_state *s, int32_t pid)
{
	struct proc *p = proc_find(s->k, pid);
	s->skip = killed(p);
	if (s->skip)
		return NULL;
	if (!p || !proc_alive(p)) {
		fail(s, "process %d %s", pid, p ? "has exited" : "does not exist");
		return NULL;
	}
	return p;
}

/* The process a record is for; switching to it if it names another. NULL
 * with s->skip set for a killed process's record, or with an error. */
static struct proc *target(struct replay_state *s, int32_t pid)
{
	struct proc *cur = kernel_current(s->k);
	s->skip = false;
	if (pid < 0 || (cur && proc_pid(cur) == pid)) {
		if (!cur && killed(s->killed))
			s->skip = true;
		else if (!cur)
			fail(s, "no current process (give a pid)");
		return cur;
	}
	struct proc *p = named(s, pid);
	if (p)
		kernel_switch(s->k, p);
	return p;
}

static const int signal_of[] = {[OUT_SIGSEGV] = SIGSEGV, [OUT_SIGBUS] = SIGBUS, [OUT_SIGKILL] = SIGKILL, [OUT_OOM] = SIGKILL};

/* An access by the current process within one page that the TLBs
 * answer is all most records are: os_access_tlb accounts it as os_access
 * would (nobody records accesses in a replay), without the rest. */
static inline bool tlb_hit(struct replay_state *s, uint64_t va, uint64_t len, enum trace_op op, uint64_t page)
{
	enum mmu_access acc = op == TR_READ ? ACC_READ : op == TR_WRITE ? ACC_WRITE : ACC_FETCH;
	return ((va ^ (va + len - 1)) < page) && kernel_current(s->k) && os_access_tlb(s->k, va, acc);
}

static int replay_access(struct replay_state *s, const struct trace_rec *t)
{
	struct proc *p = target(s, t->pid);
	if (!p)
		return -1;
	enum mmu_access acc = t->op == TR_READ ? ACC_READ : t->op == TR_WRITE ? ACC_WRITE : ACC_FETCH;
	uint64_t page = 1ull << kernel_format(s->k)->page_shift;
	if (!t->has_value && p == kernel_current(s->k) && tlb_hit(s, t->va, t->len, t->op, page)) {
		s->res->accesses++;
		return 0;
	}
	uint64_t va = t->va, end = t->va + t->len;   /* the reader bounds len to 1..4096 */
	while (va < end) {
		/* An access that crosses a page boundary is one access per page. */
		uint64_t next = (va | (page - 1)) + 1;
		struct mmu_xlate x;
		enum fault_outcome o = os_access(s->k, va, acc, &x, NULL);
		s->res->accesses++;
		if (o == OUT_RESOLVED && t->has_value) {
			/* The bytes land in the frame the MMU chose, as a store would. */
			uint64_t n = (next < end ? next : end) - va;
			uint8_t *dst = physmem_ptr(mmu_physmem(kernel_mmu(s->k)), x.pa, n);
			for (uint64_t i = 0; dst && i < n; i++)
				dst[i] = (uint8_t)(t->value >> (8 * (va - t->va + i)));
		}
		if (o != OUT_RESOLVED && t->uaccess)
			return 0;   /* copy_to_user & co: the system call fails with EFAULT, nobody dies */
		if (o != OUT_RESOLVED && t->caught)
			return 0;   /* the program's handler took the signal: it goes on */
		if (o != OUT_RESOLVED) {
			proc_kill(p, signal_of[o]);
			s->killed = p;
			s->res->last_status = proc_exit_status(p);
			return 0;
		}
		if (next <= va)
			break;   /* the top of the address space */
		va = next;
	}
	return 0;
}

/* A "file" record: a file as it is on disk before the run, in the sandbox
 * root, with its contents; not in the page cache. */
static void fill_file(void *ctx, uint64_t off, uint8_t *buf, size_t n)
{
	const struct trace_rec *t = ctx;
	for (size_t i = 0; i < n; i++) {
		uint64_t pos = off + i;
		buf[i] = t->fill == TR_FILL_BYTE ? t->fill_byte
			 : t->fill == TR_FILL_OFFSETS ? (uint8_t)((pos & ~7ull) >> (8 * (pos & 7)))
			 : 0;
	}
}

/* The name a "file" record gave the file at `path`, if any. */
static struct file_name *name_of(struct replay_state *s, const char *path)
{
	for (size_t i = 0; i < s->nnames; i++)
		if (!strcmp(s->names[i].path, path))
			return &s->names[i];
	return NULL;
}

static int make_file(struct replay_state *s, const struct trace_rec *t)
{
	if (t->fill != TR_FILL_ZERO && disk_budget(s, t->len))   /* zeros: a sparse file, nothing written */
		return -1;
	file_fill_fn fill = t->fill == TR_FILL_ZERO ? NULL : fill_file;
	int rc = os_put_file(s->k, t->path, t->len, fill, (void *)t);
	if (rc == -ENOENT && !(rc = os_mkdirs(s->k, t->path)))   /* the directories on the way, first */
		rc = os_put_file(s->k, t->path, t->len, fill, (void *)t);
	if (rc)
		return fail(s, "cannot create %s: %s", t->path, strerror(-rc));
	struct file_name *n = name_of(s, t->path);
	if (n) {   /* a file made again: its name is the new record's */
		free(n->name);
		n->name = t->name ? strdup(t->name) : NULL;
	} else if (t->name) {
		struct file_name *nn = realloc(s->names, (s->nnames + 1) * sizeof *nn);
		if (!nn)
			return fail(s, "out of memory");
		s->names = nn;
		n = &s->names[s->nnames++];
		*n = (struct file_name){strdup(t->path), strdup(t->name)};
	} else {
		return 0;
	}
	return n->path && (!t->name || n->name) ? 0 : fail(s, "out of memory");
}

/* pread / pwrite: the page cache moves as read(2) and write(2) move it;
 * the bytes themselves are nobody's concern (a write writes zeros). In
 * pieces that end on 64 KiB boundaries, so that no page (of any granule)
 * is looked up twice where one call would look it up once. */
static void file_io(struct replay_state *s, struct proc *p, const struct trace_rec *t)
{
	static uint8_t buf[65536];
	for (uint64_t done = 0; done < t->len;) {
		if (s->res->stop && *s->res->stop)
			break;   /* SIGINT/SIGTERM: the loop of records stops next */
		uint64_t room = sizeof buf - ((t->offset + done) & (sizeof buf - 1));
		uint64_t n = t->len - done < room ? t->len - done : room;
		int64_t r = t->op == TR_PWRITE ? os_pwrite(p, t->fd, memset(buf, 0, n), n, t->offset + done)
					       : os_pread(p, t->fd, buf, n, t->offset + done);
		if (r <= 0)
			break;
		done += (uint64_t)r;
		if ((uint64_t)r < n)
			break;
	}
}

static int apply(struct replay_state *s, const struct trace_rec *t)
{
	struct kernel *k = s->k;
	struct proc *p;
	switch (t->op) {
	case TR_READ:
	case TR_WRITE:
	case TR_FETCH:
		return replay_access(s, t);
	case TR_EXEC: {
		if (!(p = target(s, t->pid)))
			return -1;
		bool x86 = kernel_format(k)->arch == ARCH_X86_64;
		uint64_t top = t->stack_top ? t->stack_top : x86 ? 0x7ffffffff000ull : 0xffffffff0000ull;
		int rc = proc_exec(p, top, t->brk ? t->brk : 0x600000);
		if (rc == -ENOMEM)
			return 0;   /* refused for want of memory, as the kernel would: not the trace's fault */
		return rc ? fail(s, "exec: stack_top 0x%llx is not a page-aligned user address with room for the stack",
				 (unsigned long long)top)
			  : 0;
	}
	case TR_MMAP: {
		if (!(p = target(s, t->pid)))
			return -1;
		uint32_t prot = t->prot, flags = 0;
		flags |= t->flags & TR_MAP_SHARED ? MAPF_SHARED : 0;
		flags |= t->flags & TR_MAP_PRIVATE ? MAPF_PRIVATE : 0;
		flags |= t->flags & TR_MAP_ANONYMOUS ? MAPF_ANONYMOUS : 0;
		flags |= t->flags & TR_MAP_FIXED ? MAPF_FIXED : 0;
		flags |= t->flags & TR_MAP_GROWSDOWN ? MAPF_GROWSDOWN : 0;
		os_mmap(p, t->va, t->len, prot, flags, t->fd, t->offset);
		return 0;
	}
	case TR_FILE:
		return make_file(s, t);
	case TR_OPEN: {
		if (!(p = target(s, t->pid)))
			return -1;
		uint32_t f = (t->flags & TR_O_READ ? OPEN_READ : 0) | (t->flags & TR_O_WRITE ? OPEN_WRITE : 0) |
			     (t->flags & TR_O_CREATE ? OPEN_CREATE : 0) | (t->flags & TR_O_TRUNC ? OPEN_TRUNC : 0);
		int fd = os_open(p, t->path, f, 0644);
		if (t->fd >= 0 && fd != t->fd)
			return fd < 0 ? fail(s, "open %s: %s", t->path, strerror(-fd))
				      : fail(s, "open %s returned fd %d, the trace says %d", t->path, fd, t->fd);
		struct file_name *n = fd >= 0 ? name_of(s, t->path) : NULL;
		if (n && n->name)
			os_name_file(p, fd, n->name);
		return 0;
	}
	case TR_CLOSE:
		if (!(p = target(s, t->pid)))
			return -1;
		os_close(p, t->fd);
		return 0;
	case TR_MSYNC:
		if (!(p = target(s, t->pid)))
			return -1;
		os_msync(p, t->va, t->len, (t->flags & TR_MS_SYNC ? MSF_SYNC : 0) | (t->flags & TR_MS_ASYNC ? MSF_ASYNC : 0) |
					     (t->flags & TR_MS_INVALIDATE ? MSF_INVALIDATE : 0));
		return 0;
	case TR_MADVISE: {
		if (!(p = target(s, t->pid)))
			return -1;
		static const enum os_advice adv[] = {
			[TR_ADV_NORMAL] = ADV_NORMAL, [TR_ADV_WILLNEED] = ADV_WILLNEED, [TR_ADV_DONTNEED] = ADV_DONTNEED,
			[TR_ADV_HUGEPAGE] = ADV_HUGEPAGE, [TR_ADV_NOHUGEPAGE] = ADV_NOHUGEPAGE, [TR_ADV_COLD] = ADV_COLD,
			[TR_ADV_PAGEOUT] = ADV_PAGEOUT,
		};
		os_madvise(p, t->va, t->len, adv[t->advice]);
		return 0;
	}
	case TR_MEMLIMIT:
		os_set_memlimit(k, t->len);
		return 0;
	case TR_MREMAP:
		if (!(p = target(s, t->pid)))
			return -1;
		os_mremap(p, t->va, t->len, t->new_len, t->flags, t->new_addr);
		return 0;
	case TR_MUNMAP:
		if (!(p = target(s, t->pid)))
			return -1;
		os_munmap(p, t->va, t->len);
		return 0;
	case TR_MPROTECT:
		if (!(p = target(s, t->pid)))
			return -1;
		os_mprotect(p, t->va, t->len, t->prot);
		return 0;
	case TR_BRK:
		if (!(p = target(s, t->pid)))
			return -1;
		os_brk(p, t->va);
		return 0;
	case TR_FORK: {
		if (!(p = target(s, t->pid)))
			return -1;
		int e = 0;
		struct proc *c = proc_fork(p, t->child, &e);
		if (!c)   /* out of memory is the kernel refusing, as the system call would: no child */
			return e == -EEXIST ? fail(s, "fork: pid %d is taken", t->child) : 0;
		if (!t->stay)
			kernel_switch(k, c);
		return 0;
	}
	case TR_EXIT:
		if (!(p = target(s, t->pid)))
			return -1;
		proc_exit(p, t->code);
		s->res->last_status = proc_exit_status(p);
		return 0;
	case TR_CPU: {   /* where the next turn runs; the "switch" that follows (if any) says whose */
		if (!(p = named(s, t->pid)))
			return s->skip ? 0 : -1;
		if (kernel_place(k, p, t->cpu, t->lazy, t->migrated))
			return fail(s, "CPU %u: the machine has %u (replay with --cpus as the trace's comment says)", t->cpu,
				    mmu_cpus(kernel_mmu(k)));
		return 0;
	}
	case TR_SWITCH: {
		struct proc *before = kernel_current(k);
		if (!(p = target(s, t->pid)))
			return -1;
		if (p == before)
			kernel_switch(k, p);   /* a context switch all the same (to the process that ran) */
		return 0;
	}
	case TR_PREAD:
	case TR_PWRITE:
		if (!(p = target(s, t->pid)) || (t->op == TR_PWRITE && disk_budget(s, t->len)))
			return -1;
		file_io(s, p, t);
		return 0;
	case TR_FTRUNCATE:
		if (!(p = target(s, t->pid)))
			return -1;
		os_ftruncate(p, t->fd, t->len);
		return 0;
	case TR_FSYNC:
		if (!(p = target(s, t->pid)))
			return -1;
		os_fsync(p, t->fd);
		return 0;
	case TR_INSNS:
		if (!target(s, t->pid))
			return -1;
		mmu_count_instructions(kernel_mmu(k), t->len);
		return 0;
	}
	return fail(s, "unknown record");
}

/* One record, and what became of it: 0, or -1 for an error in the trace. */
static int replay_record(struct replay_state *s, const struct trace_rec *t, struct trace_writer *record)
{
	s->res->records++;
	if (record)
		trace_write(record, t);
	if (apply(s, t)) {
		if (!s->skip)
			return -1;
		s->res->skipped++;
	}
	return 0;
}

/* A binary trace's runs of plain accesses, decoded in batches (no
 * trace_rec each). 1: the trace has more; 0: at a record the run does not
 * cover; -1: an error in the trace. */
static int replay_access_run(struct replay_state *s, struct trace_reader *r)
{
	struct bin_access run[256];
	size_t n = bin_access_run(r, run, sizeof run / sizeof run[0], s->err, s->errlen);
	uint64_t page = 1ull << kernel_format(s->k)->page_shift;
	for (size_t i = 0; i < n; i++) {
		const struct bin_access *a = &run[i];
		if (tlb_hit(s, a->va, a->len, (enum trace_op)a->op, page)) {
			s->res->records++;
			s->res->accesses++;
			continue;
		}
		struct trace_rec t = {.op = (enum trace_op)a->op, .pid = -1, .fd = -1, .va = a->va, .len = a->len};
		uint64_t end_of_run = r->rec_line;
		r->rec_line = a->at;   /* for a message about this record */
		int rc = replay_record(s, &t, NULL);
		r->rec_line = end_of_run;
		if (rc)
			return -1;
	}
	return n > 0;
}

int replay(struct kernel *k, struct trace_reader *r, const char *name, struct trace_writer *record,
	   struct replay_result *res, char *err, size_t errlen)
{
	struct replay_state s = {.k = k, .r = r, .name = name, .res = res, .err = err, .errlen = errlen};
	bool runs = trace_is_binary(r) && !record;
	struct trace_rec t;
	int rc;
	uint64_t next_progress = 1 << 16;
	for (;;) {
		if (res->stop && *res->stop) {
			res->stopped = *res->stop;
			rc = 0;
			break;
		}
		if (res->progress && res->records >= next_progress) {   /* every 65,536 records or so */
			res->progress(res->progress_ctx, r, res->records);
			next_progress = res->records + (1 << 16);
		}
		if (runs && (rc = replay_access_run(&s, r)) != 0) {
			if (rc < 0)
				break;
			continue;
		}
		if ((rc = trace_next(r, &t, err, errlen)) != 1)
			break;
		if (replay_record(&s, &t, record)) {
			rc = -1;
			break;
		}
	}
	for (size_t i = 0; i < s.nnames; i++) {
		free(s.names[i].path);
		free(s.names[i].name);
	}
	free(s.names);
	return rc;
}
