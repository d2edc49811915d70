/* mmusim run --record: the kernel's operations (os.h, "Operations") as a
 * trace that `mmusim replay` turns back into the same operations, hence the
 * same frames, page tables, TLB contents and faults (docs/trace-format.md,
 * "Recorded traces"). It knows os/ only through os.h and the MMU's
 * instruction count; the CPU not at all.
 *
 * One record per operation, in order:
 *   - each translation (os_access) is an access of size 1 at the exact
 *     address, "uaccess" when copy_to_user & co made it, "caught" when its
 *     fault's signal went to the program's handler (the process lives on;
 *     the frame the kernel then writes is copy_to_user's);
 *   - the MMU's instruction count, as it grows, is an "insns" record for
 *     the current process, written when that process stops being current
 *     (a switch, its exit, its fatal fault) and at the end: where between
 *     its accesses they ran matters to nothing but the total;
 *   - every context switch is a "switch", even to the process that ran
 *     (the replay switches too); a fork leaves the parent current
 *     ("switch":false), as the system call does;
 *   - with several CPUs, each turn's placement is a "cpu" record: the CPU,
 *     the CPUs idle in lazy TLB mode, a migration (the replay places the
 *     same way; it has no threads to choose from);
 *   - exec, exit, mmap, munmap, mprotect, brk, msync, madvise and mremap as made,
 *     with their arguments (a replay makes the same choices from the same
 *     state, kernel-chosen addresses included);
 *   - page-cache I/O (read(2), write(2), the ELF loader's reads),
 *     truncation and fsync as pread, pwrite, ftruncate and fsync.
 *
 * Files. A file enters the trace when an operation first needs it, as a
 * "file" record with the size it had then (its contents do not matter to
 * the faults, its size does), at the path the kernel named it by (the path
 * it was first opened by) when that path can stand for it alone, else at
 * "mmusim-file-N" with that name as its "name" (a path with "..", one
 * another file of the run had already). Operations that need a descriptor
 * (a file mapping, pread ...) are each wrapped in an "open" and a "close"
 * of their own, so the replay's processes hold no descriptor between
 * records and each open gets descriptor 0. Descriptors, pipes, paths and
 * the rest change nothing a fault depends on and are not recorded.
 *
 * A process the replay kills itself (a user access whose fault the handler
 * cannot resolve: the replay delivers the signal at once) gets no "exit"
 * record of its own. But a process's death may read and write its memory
 * before the memory goes (its robust futex lists): then its fatal access
 * is written "caught" (the replay goes on), the kernel's accesses follow,
 * and an "exit" record with 128 + the signal ends it, as in the run. So
 * the fatal access is held until the next operation says which it is. The replay's current process is tracked so that a
 * record is always for it: an operation on another process (an exit of a
 * child that was never run) is preceded by a switch to it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "traces/traces.h"

struct rec_file {
	const struct inode *inode;
	char *path;              /* where the replay keeps it */
	char *key;               /* the path as the replay resolves it (no ".", no leading or doubled "/") */
};

struct rec_proc {
	int pid;
	bool doomed;             /* the replay kills it at its last access */
};

struct recorder {
	struct kernel *k;
	struct trace_writer *w;
	uint64_t insns;          /* the MMU's instruction count written so far */
	int cur;                 /* the replay's current process (0: none) */
	struct rec_file *file;
	size_t nfile, capfile;
	struct rec_proc *proc;   /* the processes the replay has, alive */
	size_t nproc, capproc;
	bool nomem;
	struct trace_rec held;   /* a fatal access, not yet written (see above) */
	bool holding;
};

static struct trace_rec rec(enum trace_op op)
{
	return (struct trace_rec){.op = op, .pid = -1, .fd = -1};
}

static void put(struct recorder *r, const struct trace_rec *t) { trace_write(r->w, t); }

static void flush_insns(struct recorder *r);

static void put_switch(struct recorder *r, int pid)
{
	flush_insns(r);
	struct trace_rec t = rec(TR_SWITCH);
	t.pid = pid;
	put(r, &t);
	r->cur = pid;
}

/* Instructions run since the last record, for the replay's current process. */
static void flush_insns(struct recorder *r)
{
	uint64_t n = mmu_stats(kernel_mmu(r->k))->instructions;
	if (!r->cur || n <= r->insns)
		return;
	struct trace_rec t = rec(TR_INSNS);
	t.len = n - r->insns;
	put(r, &t);
	r->insns = n;
}

/* The next record is for pid: the replay must have it current. */
static void be(struct recorder *r, int pid)
{
	if (pid != r->cur)
		put_switch(r, pid);
}

static struct rec_proc *find_proc(struct recorder *r, int pid)
{
	for (size_t i = 0; i < r->nproc; i++)
		if (r->proc[i].pid == pid)
			return &r->proc[i];
	return NULL;
}

static void add_proc(struct recorder *r, int pid)
{
	if (r->nproc == r->capproc) {
		size_t cap = r->capproc ? 2 * r->capproc : 16;
		struct rec_proc *n = realloc(r->proc, cap * sizeof *n);
		if (!n) {
			r->nomem = true;
			return;
		}
		r->proc = n;
		r->capproc = cap;
	}
	r->proc[r->nproc++] = (struct rec_proc){.pid = pid};
}

static void drop_proc(struct recorder *r, struct rec_proc *p)
{
	*p = r->proc[--r->nproc];
}

/* ---- files --------------------------------------------------------------------- */

/* `path` as the replay's kernel resolves it from the root: no empty or "."
 * components, no leading "/" (its current directory is the root). NULL if
 * it has a ".." or nothing is left. */
static char *path_key(const char *path)
{
	size_t n = strlen(path);
	char *key = malloc(n + 1), *o = key;
	if (!key)
		return NULL;
	for (const char *s = path; *s;) {
		size_t len = strcspn(s, "/");
		if (len == 2 && s[0] == '.' && s[1] == '.') {
			free(key);
			return NULL;
		}
		if (len && !(len == 1 && s[0] == '.')) {
			if (o != key)
				*o++ = '/';
			memcpy(o, s, len);
			o += len;
		}
		s += len;
		while (*s == '/')
			s++;
	}
	*o = '\0';
	if (o == key) {
		free(key);
		return NULL;
	}
	return key;
}

/* Could a file at `key` live beside the files the trace has? Not at the
 * same place, nor as a directory of one of them, nor below one of them. */
static bool key_free(const struct recorder *r, const char *key)
{
	size_t n = strlen(key);
	for (size_t i = 0; i < r->nfile; i++) {
		const char *o = r->file[i].key;
		size_t m = strlen(o);
		if (!strcmp(o, key) || (m > n && !strncmp(o, key, n) && o[n] == '/') ||
		    (n > m && !strncmp(key, o, m) && key[m] == '/'))
			return false;
	}
	return true;
}

/* The path a file has in the replay; the first time, a "file" record makes
 * it with `size` bytes (the size it has as the first operation on it is
 * made: no earlier operation changed it). NULL when out of memory. */
static const char *file_path(struct recorder *r, const struct inode *ino, uint64_t size)
{
	for (size_t i = 0; i < r->nfile; i++)
		if (r->file[i].inode == ino)
			return r->file[i].path;
	if (r->nfile == r->capfile) {
		size_t cap = r->capfile ? 2 * r->capfile : 16;
		struct rec_file *n = realloc(r->file, cap * sizeof *n);
		if (!n) {
			r->nomem = true;
			return NULL;
		}
		r->file = n;
		r->capfile = cap;
	}
	const char *name = inode_name(ino);
	char *key = strlen(name) <= TR_PATH_MAX ? path_key(name) : NULL;
	char *path = NULL;
	bool renamed = false;
	if (key && key_free(r, key)) {
		path = strdup(name);
	} else {
		renamed = name[0] != '\0';
		free(key);
		key = NULL;
		char alt[64];
		for (unsigned n = (unsigned)r->nfile + 1; !key; n++) {
			snprintf(alt, sizeof alt, "mmusim-file-%u", n);
			if (key_free(r, alt))
				key = strdup(alt);
			if (!key)
				break;
		}
		path = key ? strdup(key) : NULL;
	}
	if (!key || !path) {
		free(key);
		free(path);
		r->nomem = true;
		return NULL;
	}
	r->file[r->nfile++] = (struct rec_file){.inode = ino, .path = path, .key = key};
	struct trace_rec t = rec(TR_FILE);
	t.path = path;
	t.len = size;
	t.name = renamed ? name : NULL;
	put(r, &t);
	return path;
}

/* A file operation on descriptor 0, opened for it alone (`oflags` TR_O_*). */
static void with_file(struct recorder *r, const struct os_op *op, uint32_t oflags, struct trace_rec *t)
{
	const char *path = file_path(r, op->file.inode, op->file.size);
	if (!path)
		return;
	struct trace_rec o = rec(TR_OPEN);
	o.path = path;
	o.flags = oflags;
	o.fd = 0;
	put(r, &o);
	t->fd = 0;
	put(r, t);
	struct trace_rec c = rec(TR_CLOSE);
	c.fd = 0;
	put(r, &c);
}

static uint32_t open_access(uint32_t open_flags)
{
	return (open_flags & OPEN_READ ? TR_O_READ : 0) | (open_flags & OPEN_WRITE ? TR_O_WRITE : 0);
}

static uint32_t prot_bits(uint32_t prot)
{
	return (prot & VM_READ ? TR_PROT_R : 0) | (prot & VM_WRITE ? TR_PROT_W : 0) | (prot & VM_EXEC ? TR_PROT_X : 0);
}

static void mmap_op(struct recorder *r, const struct os_op *op)
{
	uint32_t f = op->u.as.flags;
	/* A call the trace cannot say (neither or both of private and shared)
	 * failed with EINVAL before it did anything: left out. */
	if (!(f & MAPF_SHARED) == !(f & MAPF_PRIVATE))
		return;
	struct trace_rec t = rec(TR_MMAP);
	t.va = op->u.as.addr;
	t.len = op->u.as.len;
	t.prot = prot_bits(op->u.as.prot);
	t.flags = (f & MAPF_SHARED ? TR_MAP_SHARED : 0) | (f & MAPF_PRIVATE ? TR_MAP_PRIVATE : 0) |
		  (f & MAPF_ANONYMOUS ? TR_MAP_ANONYMOUS : 0) | (f & MAPF_FIXED ? TR_MAP_FIXED : 0) |
		  (f & MAPF_GROWSDOWN ? TR_MAP_GROWSDOWN : 0);
	if (f & MAPF_ANONYMOUS || !op->file.inode) {
		put(r, &t);   /* anonymous, or no file behind the descriptor: fails the same way (EBADF) */
		return;
	}
	t.offset = op->file.offset;
	with_file(r, op, open_access(op->file.open_flags), &t);
}

/* The held fatal access, as what followed it makes it: "caught" when the
 * kernel still touches the dying process's memory (its accesses come
 * next, then its exit), fatal otherwise (the replay kills it there). */
static void put_held(struct recorder *r, bool lives_on)
{
	if (!r->holding)
		return;
	r->holding = false;
	r->held.caught = lives_on;
	put(r, &r->held);
	if (lives_on)
		return;
	struct rec_proc *rp = find_proc(r, r->cur);
	if (rp)
		rp->doomed = true;   /* the replay delivers the signal now */
	r->cur = 0;
}

static void on_op(void *ctx, const struct os_op *op)
{
	struct recorder *r = ctx;
	if (r->holding)
		put_held(r, op->kind == OP_ACCESS && op->pid == r->cur && op->u.access.uaccess);
	struct rec_proc *rp = find_proc(r, op->pid);
	if (op->kind == OP_PLACE) {   /* instructions so far ran on the CPU before */
		if (!rp || rp->doomed)
			return;
		flush_insns(r);
		struct trace_rec t = rec(TR_CPU);
		t.pid = op->pid;
		t.cpu = op->u.place.cpu;
		t.lazy = op->u.place.lazy;
		t.migrated = op->u.place.migrated;
		put(r, &t);
		return;
	}
	if (op->kind == OP_SWITCH) {
		if (rp && rp->doomed)
			return;   /* the replay has no such process any more */
		put_switch(r, op->pid);
		flush_insns(r);   /* any counted while no process was current */
		return;
	}
	if (!rp)
		return;   /* a child whose fork failed: the replay never had it */
	if (op->kind == OP_EXIT) {
		bool doomed = rp->doomed;
		drop_proc(r, rp);
		if (doomed)
			return;   /* the replay killed it at its fault */
		be(r, op->pid);
		flush_insns(r);
		struct trace_rec t = rec(TR_EXIT);
		t.code = op->u.exit.code;
		put(r, &t);
		r->cur = 0;
		return;
	}
	if (rp->doomed)
		return;
	be(r, op->pid);
	struct trace_rec t;
	switch (op->kind) {
	case OP_ACCESS:
		t = rec(op->u.access.access == ACC_READ ? TR_READ : op->u.access.access == ACC_WRITE ? TR_WRITE : TR_FETCH);
		t.va = op->u.access.va;
		t.len = 1;
		t.uaccess = op->u.access.uaccess && op->u.access.access != ACC_FETCH;
		t.caught = op->u.access.caught;
		if (!t.uaccess && !t.caught && op->u.access.outcome != OUT_RESOLVED) {
			flush_insns(r);
			r->held = t;   /* fatal: written by put_held when the next operation says how */
			r->holding = true;
			break;
		}
		put(r, &t);
		break;
	case OP_FORK:   /* made again even when it ran out of memory: it fails again the same way */
		t = rec(TR_FORK);
		t.child = op->u.fork.child;
		t.stay = true;
		put(r, &t);
		if (op->u.fork.result == 0)
			add_proc(r, op->u.fork.child);
		break;
	case OP_EXEC:
		t = rec(TR_EXEC);
		t.stack_top = op->u.exec.stack_top;
		t.brk = op->u.exec.brk;
		put(r, &t);
		break;
	case OP_MMAP:
		mmap_op(r, op);
		break;
	case OP_MUNMAP:
	case OP_MPROTECT:
		t = rec(op->kind == OP_MUNMAP ? TR_MUNMAP : TR_MPROTECT);
		t.va = op->u.as.addr;
		t.len = op->u.as.len;
		t.prot = prot_bits(op->u.as.prot);
		put(r, &t);
		break;
	case OP_BRK:
		t = rec(TR_BRK);
		t.va = op->u.as.addr;
		put(r, &t);
		break;
	case OP_MSYNC:
		t = rec(TR_MSYNC);
		t.va = op->u.as.addr;
		t.len = op->u.as.len;
		t.flags = (op->u.as.flags & MSF_SYNC ? TR_MS_SYNC : 0) | (op->u.as.flags & MSF_ASYNC ? TR_MS_ASYNC : 0) |
			  (op->u.as.flags & MSF_INVALIDATE ? TR_MS_INVALIDATE : 0);
		put(r, &t);
		break;
	case OP_MADVISE: {
		static const uint32_t advice[] = {
			[ADV_NORMAL] = TR_ADV_NORMAL, [ADV_WILLNEED] = TR_ADV_WILLNEED, [ADV_DONTNEED] = TR_ADV_DONTNEED,
			[ADV_HUGEPAGE] = TR_ADV_HUGEPAGE, [ADV_NOHUGEPAGE] = TR_ADV_NOHUGEPAGE, [ADV_COLD] = TR_ADV_COLD,
			[ADV_PAGEOUT] = TR_ADV_PAGEOUT,
		};
		t = rec(TR_MADVISE);
		t.va = op->u.as.addr;
		t.len = op->u.as.len;
		t.advice = op->u.as.prot < sizeof advice / sizeof advice[0] ? advice[op->u.as.prot] : TR_ADV_NORMAL;
		put(r, &t);
		break;
	}
	case OP_PREAD:
	case OP_PWRITE:
		t = rec(op->kind == OP_PREAD ? TR_PREAD : TR_PWRITE);
		t.offset = op->file.offset;
		t.len = op->file.len;
		with_file(r, op, op->kind == OP_PREAD ? TR_O_READ : TR_O_WRITE, &t);
		break;
	case OP_TRUNCATE:
		t = rec(TR_FTRUNCATE);
		t.len = op->file.len;
		with_file(r, op, TR_O_WRITE, &t);
		break;
	case OP_FSYNC:
		t = rec(TR_FSYNC);
		with_file(r, op, TR_O_READ, &t);
		break;
	case OP_MREMAP:   /* TR_MREMAP_* are Linux's MREMAP_* bits */
		if (op->u.as.flags & ~(TR_MREMAP_MAYMOVE | TR_MREMAP_FIXED | TR_MREMAP_DONTUNMAP))
			break;   /* EINVAL before it did anything: the trace cannot name the bits */
		t = rec(TR_MREMAP);
		t.va = op->u.as.addr;
		t.len = op->u.as.len;
		t.new_len = op->u.as.new_len;
		t.flags = op->u.as.flags;
		t.new_addr = op->u.as.new_addr;
		put(r, &t);
		break;
	case OP_SWITCH:
	case OP_EXIT:
	case OP_PLACE:
		break;   /* above */
	}
}

/* On a kernel as kernel_create makes it (the replay starts from there). */
struct recorder *recorder_create(const char *path, struct kernel *k, const char *comment, char *err, size_t errlen)
{
	struct recorder *r = calloc(1, sizeof *r);
	if (!r) {
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	r->k = k;
	r->w = trace_create_recorded(path, kernel_format(k)->arch, comment, err, errlen);
	if (!r->w) {
		free(r);
		return NULL;
	}
	/* Where a replay starts, and so must the kernel: process 1 alone, current. */
	r->cur = 1;
	add_proc(r, 1);
	r->insns = mmu_stats(kernel_mmu(k))->instructions;
	kernel_set_op_hook(k, on_op, r);
	return r;
}

static void release(struct recorder *r)
{
	kernel_set_op_hook(r->k, NULL, NULL);
	for (size_t i = 0; i < r->nfile; i++) {
		free(r->file[i].path);
		free(r->file[i].key);
	}
	free(r->file);
	free(r->proc);
	free(r);
}

int recorder_finish(struct recorder *r, char *err, size_t errlen)
{
	put_held(r, false);
	flush_insns(r);
	struct trace_writer *w = r->w;
	bool nomem = r->nomem;
	release(r);
	if (nomem) {
		trace_abort(w);
		snprintf(err, errlen, "recording: out of memory");
		return -1;
	}
	return trace_finish(w, err, errlen);
}

void recorder_abort(struct recorder *r)
{
	if (!r)
		return;
	trace_abort(r->w);
	release(r);
}
