/* Processes: creation, fork, exec and exit, and the calls that change an
 * address space, as the system calls make them (with their events and the
 * operation hook), built on the memory manager's address spaces. */
#include "os/kernel/syscall.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An address-space call's event; mremap's new length and address are 0
 * for the others. */
static void as_event_moved(struct kernel *k, struct proc *p, enum os_event_kind kind, uint64_t addr, uint64_t len,
			   uint32_t prot, uint32_t flags, int64_t result, uint64_t new_len, uint64_t new_addr)
{
	if (!observed(k))
		return;
	struct os_event ev = {.kind = kind, .pid = p->pid};
	ev.u.as.addr = addr;
	ev.u.as.len = len;
	ev.u.as.prot = prot;
	ev.u.as.flags = flags;
	ev.u.as.result = result;
	ev.u.as.new_len = new_len;
	ev.u.as.new_addr = new_addr;
	emit(k, &ev);
}

static void as_event(struct kernel *k, struct proc *p, enum os_event_kind kind, uint64_t addr, uint64_t len,
		     uint32_t prot, uint32_t flags, int64_t result)
{
	as_event_moved(k, p, kind, addr, len, prot, flags, result, 0, 0);
}

/* The operation hook's view of an address-space call (ops.c); `of` is the
 * descriptor a mapping was asked of, if any. */
static void as_op(struct kernel *k, struct proc *p, enum os_op_kind kind, uint64_t addr, uint64_t len, uint32_t prot,
		  uint32_t flags, int64_t result, const struct open_file *of, uint64_t offset)
{
	if (!op_hooked(k))
		return;
	struct os_op op = {.kind = kind};
	op.u.as.addr = addr;
	op.u.as.len = len;
	op.u.as.prot = prot;
	op.u.as.flags = flags;
	op.u.as.result = result;
	if (of && of->inode) {
		op.file.inode = of->inode;
		op.file.size = of->inode->size;
		op.file.open_flags = of->flags;
		op.file.offset = offset;
	}
	op_emit(k, p->pid, &op);
}

static void proc_event(struct kernel *k, struct proc *p, enum os_event_kind kind, int parent, int code)
{
	if (!observed(k))
		return;
	struct os_event ev = {.kind = kind, .pid = p->pid};
	ev.u.proc.parent = parent;
	ev.u.proc.root = p->mm.root;
	ev.u.proc.asid = p->mm.asid;
	ev.u.proc.code = code;
	emit(k, &ev);
}

static void exec_op(struct kernel *k, struct proc *p, uint64_t stack_top, uint64_t brk, int result)
{
	if (!op_hooked(k))
		return;
	struct os_op op = {.kind = OP_EXEC};
	op.u.exec.stack_top = stack_top;
	op.u.exec.brk = brk;
	op.u.exec.result = result;
	op_emit(k, p->pid, &op);
}

static void fork_op(struct kernel *k, struct proc *parent, int child, int result)
{
	if (!op_hooked(k))
		return;
	struct os_op op = {.kind = OP_FORK};
	op.u.fork.child = child;
	op.u.fork.result = result;
	op_emit(k, parent->pid, &op);
}

static struct proc *proc_new(struct kernel *k, int pid)
{
	struct services *svc = k->svc;
	if (svc->nprocs == svc->cap) {
		size_t cap = svc->cap ? svc->cap * 2 : 16;
		struct proc **np = realloc(svc->procs, cap * sizeof *np);
		if (!np)
			return NULL;
		svc->procs = np;
		svc->cap = cap;
	}
	struct proc *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	p->k = k;
	p->pid = pid;
	p->exe_fd = -1;
	p->cwd = -1;
	p->alive = true;
	p->umask = 022;
	rlimits_default(k, p->rlim);
	p->pgid = pid;
	p->start_ns = now_ns(k);
	svc->last_pid = pid;   /* alloc_pid's cursor */
	if (!mm_init(k, &p->mm, pid)) {
		free(p);
		return NULL;
	}
	if (!mm_register(k, &p->mm)) {
		mm_teardown(k, &p->mm);
		free(p);
		return NULL;
	}
	p->thread = thread_new(p, pid);   /* its first thread: tid = pid */
	if (!p->thread) {
		mm_unregister(k, &p->mm);
		mm_teardown(k, &p->mm);
		free(p);
		return NULL;
	}
	svc->procs[svc->nprocs++] = p;
	return p;
}

struct proc *proc_create(struct kernel *k, int pid)
{
	struct proc *p = proc_new(k, pid);
	if (p)
		proc_event(k, p, EV_PROC_CREATE, 0, 0);
	return p;
}

struct proc *proc_fork(struct proc *parent, int child_pid, int *err)
{
	struct kernel *k = parent->k;
	if (!parent->alive) {
		*err = -ESRCH;
		return NULL;
	}
	if (child_pid <= 0 || proc_find(k, child_pid)) {
		*err = -EEXIST;
		return NULL;
	}
	struct proc *c = proc_new(k, child_pid);
	if (!c) {
		fork_op(k, parent, child_pid, -ENOMEM);
		*err = -ENOMEM;
		return NULL;
	}
	memcpy(c->thread->comm, parent->thread->comm, sizeof c->thread->comm);   /* the forking thread's name */
	c->ppid = parent->pid;
	c->umask = parent->umask;
	memcpy(c->rlim, parent->rlim, sizeof c->rlim);
	signal_fork(c, parent);
	if (!mm_dup_vmas(&c->mm, &parent->mm)) {
		c->reaped = true;   /* never ran: its parent is not told */
		proc_exit(c, 0);
		*err = -ENOMEM;
		return NULL;
	}
	fd_table_copy(c, parent);
	proc_event(k, c, EV_PROC_CREATE, parent->pid, 0);
	if (!mm_dup_tables(k, &c->mm, &parent->mm)) {
		c->reaped = true;
		proc_exit(c, 0);
		fork_op(k, parent, child_pid, -ENOMEM);
		*err = -ENOMEM;
		return NULL;
	}
	fork_op(k, parent, child_pid, 0);
	return c;
}

void proc_exit(struct proc *p, int code)
{
	struct kernel *k = p->k;
	if (!p->alive)
		return;
	uint64_t root = p->mm.root;     /* the event names the tree that went */
	if (k->svc->current == p)
		usage_charge_cpu(k);
	usage_leave_mm(p);
	futex_exit_group(p);   /* before its memory goes */
	mm_teardown(k, &p->mm);
	mm_unregister(k, &p->mm);
	fd_table_close(p);
	proc_exe_close(p);   /* a zombie's /proc/PID/exe is gone; its name stays for comm */
	proc_cwd_drop(p);
	p->alive = false;
	threads_end(p);
	p->status = code;
	signal_child_exit(p);
	for (size_t i = 0; i < k->svc->nprocs; i++) {   /* orphans: nobody will wait for them */
		struct proc *c = k->svc->procs[i];
		if (c->ppid == p->pid) {
			c->ppid = 0;
			c->reaped = true;
		}
	}
	p->mm.root = root;
	proc_event(k, p, EV_PROC_EXIT, p->ppid, code);
	p->mm.root = 0;
	if (k->svc->current == p) {
		k->svc->current = NULL;
		k->mm_current = NULL;
	}
	if (op_hooked(k)) {
		struct os_op op = {.kind = OP_EXIT};
		op.u.exit.code = code;
		op_emit(k, p->pid, &op);
	}
}

void proc_kill(struct proc *p, int signo)
{
	if (p->alive)
		p->termsig = signo;
	proc_exit(p, 128 + signo);
}

int proc_exec(struct proc *p, uint64_t stack_top, uint64_t brk)
{
	struct kernel *k = p->k;
	usage_leave_mm(p);   /* the old address space's peak stays the process's */
	futex_exit_group(p);   /* exec_mm_release: every thread's robust list, in the old memory */
	int rc = mm_exec(k, &p->mm, stack_top, brk);
	if (rc == -EINVAL)
		return rc;      /* nothing happened */
	if (rc == 0)
		proc_event(k, p, EV_EXEC, 0, 0);
	exec_op(k, p, stack_top, brk, rc);
	return rc;
}

/* ---- the address-space calls of a process ---------------------------------------- */
int64_t os_mmap(struct proc *p, uint64_t addr, uint64_t len, uint32_t prot, uint32_t flags, int fd,
		uint64_t offset)
{
	struct kernel *k = p->k;
	int64_t rc;
	bool shared = flags & MAPF_SHARED, priv = flags & MAPF_PRIVATE;
	struct open_file *of = flags & MAPF_ANONYMOUS ? NULL : fd_get(p, fd);
	uint64_t size = (len + k->page - 1) & ~(k->page - 1);
	if (!len || shared == priv || (prot & ~7u))
		rc = -EINVAL;
	else if (!(flags & MAPF_ANONYMOUS) && !of)
		rc = -EBADF;
	else if (of && ((offset & (k->page - 1)) || offset + size < offset))
		rc = -EINVAL;
	else if (of && (!(of->flags & OPEN_READ) || (shared && (prot & VM_WRITE) && !(of->flags & OPEN_WRITE))))
		rc = -EACCES;       /* the descriptor must allow what the mapping does */
	else if (of && !of->inode)
		rc = -ENODEV;       /* a pipe, a terminal, a directory: nothing to map */
	else
		rc = mm_mmap(k, &p->mm, addr, len, prot, flags, of ? of->inode : NULL, offset);
	as_event(k, p, EV_MMAP, addr, len, prot, flags, rc);
	as_op(k, p, OP_MMAP, addr, len, prot, flags, rc, of, offset);
	if (rc >= 0 && (k->mlock_used || (flags & MAPF_POPULATE)))
		mlock_populate_new(p, (uint64_t)rc, (uint64_t)rc + size, flags & MAPF_POPULATE);
	return rc;
}

int64_t os_munmap(struct proc *p, uint64_t addr, uint64_t len)
{
	int64_t rc = mm_munmap(p->k, &p->mm, addr, len);
	as_event(p->k, p, EV_MUNMAP, addr, len, 0, 0, rc);
	as_op(p->k, p, OP_MUNMAP, addr, len, 0, 0, rc, NULL, 0);
	return rc;
}

int64_t os_mprotect(struct proc *p, uint64_t addr, uint64_t len, uint32_t prot)
{
	void *locked = mlock_mprotect_before(p, addr, len, prot);
	int64_t rc = mm_mprotect(p->k, &p->mm, addr, len, prot);
	as_event(p->k, p, EV_MPROTECT, addr, len, prot, 0, rc);
	as_op(p->k, p, OP_MPROTECT, addr, len, prot, 0, rc, NULL, 0);
	mlock_mprotect_after(p, locked, rc);
	return rc;
}

int64_t os_brk(struct proc *p, uint64_t addr)
{
	uint64_t old = p->mm.brk, page = p->k->page;
	int64_t rc = mm_brk(p->k, &p->mm, addr);
	as_event(p->k, p, EV_BRK, addr, 0, 0, 0, rc);
	as_op(p->k, p, OP_BRK, addr, 0, 0, 0, rc, NULL, 0);
	if ((p->mm.def_flags & VM_LOCKED) && p->mm.brk > old)   /* brk under mlockall(MCL_FUTURE) */
		mlock_populate_new(p, (old + page - 1) & ~(page - 1), (p->mm.brk + page - 1) & ~(page - 1), false);
	return rc;
}

int64_t os_msync(struct proc *p, uint64_t addr, uint64_t len, uint32_t flags)
{
	int64_t rc = mm_msync(p->k, &p->mm, addr, len, flags);
	as_event(p->k, p, EV_MSYNC, addr, len, 0, flags, rc);
	as_op(p->k, p, OP_MSYNC, addr, len, 0, flags, rc, NULL, 0);
	return rc;
}

int64_t os_madvise(struct proc *p, uint64_t addr, uint64_t len, enum os_advice advice)
{
	int64_t rc = mm_madvise(p->k, &p->mm, addr, len, advice);
	as_event(p->k, p, EV_MADVISE, addr, len, (uint32_t)advice, 0, rc);
	as_op(p->k, p, OP_MADVISE, addr, len, (uint32_t)advice, 0, rc, NULL, 0);
	return rc;
}

int64_t os_mremap(struct proc *p, uint64_t addr, uint64_t old_len, uint64_t new_len, uint32_t flags,
		  uint64_t new_addr)
{
	struct kernel *k = p->k;
	bool unsupported = false;
	int64_t rc = mm_mremap(k, &p->mm, addr, old_len, new_len, flags, new_addr, &unsupported);
	if (unsupported && !k->svc->mremap_noted) {
		k->svc->mremap_noted = true;
		fprintf(stderr, "mmusim: mremap of a huge page that cannot be split is not implemented: -ENOMEM\n");
	}
	as_event_moved(k, p, EV_MREMAP, addr, old_len, 0, flags, rc, new_len, new_addr);
	if (op_hooked(k)) {
		struct os_op op = {.kind = OP_MREMAP};
		op.u.as.addr = addr;
		op.u.as.len = old_len;
		op.u.as.flags = flags;
		op.u.as.result = rc;
		op.u.as.new_len = new_len;
		op.u.as.new_addr = new_addr;
		op_emit(k, p->pid, &op);
	}
	uint64_t page = k->page, o = (old_len + page - 1) & ~(page - 1), n = (new_len + page - 1) & ~(page - 1);
	if (rc >= 0 && k->mlock_used && n > o) {   /* a locked mapping grown: its new part faulted in */
		mlock_populate_new(p, (uint64_t)rc + o, (uint64_t)rc + n, false);
	}
	return rc;
}

size_t proc_vmas(const struct proc *p, const struct vma **out)
{
	*out = p->mm.vma;
	return p->mm.nvma;
}

size_t proc_vma_index(const struct proc *p, uint64_t addr)
{
	const struct vma *v = vma_find((struct mm *)&p->mm, addr);
	return v ? (size_t)(v - p->mm.vma) : p->mm.nvma;
}

bool proc_vma_changes(struct proc *p, uint64_t *lo, uint64_t *hi)
{
	return vma_changes_take(&p->mm, lo, hi);
}

bool proc_translate(const struct proc *p, uint64_t va, uint64_t *pa)
{
	return p->alive && mm_translate(p->k, (struct mm *)&p->mm, va, pa);
}

/* ---- accesses by the running process ---------------------------------------------- */
enum fault_outcome os_access(struct kernel *k, uint64_t va, enum mmu_access acc, struct mmu_xlate *x,
			     struct fault_record *rec)
{
	struct proc *p = k->svc->current;
	struct fault_record local;
	struct fault_record *r = rec ? rec : &local;
	struct mm_task t = proc_task(p);
	enum fault_outcome o = mm_access(k, &t, va, acc, x, r);
	if (op_hooked(k)) {
		bool uaccess = k->svc->in_uaccess;
		struct os_op op = {.kind = OP_ACCESS};
		op.u.access.va = va;
		op.u.access.access = acc;
		op.u.access.uaccess = uaccess;
		op.u.access.caught = o != OUT_RESOLVED && !uaccess && signal_catches(p, r->signo);
		op.u.access.outcome = o;
		op_emit(k, p->pid, &op);
	}
	return o;
}
