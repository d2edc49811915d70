/* Threads: a process (struct proc) has one or more threads sharing its
 * address space, descriptor table and signal actions; each has its own
 * tid, signal mask, pending signals, alternate signal stack, blocked call
 * and CLONE_CHILD_CLEARTID word. A futex waiter (futex.c) sleeps through
 * the scheduler (SYSA_BLOCK, its call made again on its turn) until a
 * wake, its timeout in simulated time, or a signal. */
#include "os/kernel/syscall.h"

#include <stdlib.h>
#include <string.h>

#define CLONE_VM             0x00000100ull
#define CLONE_FS             0x00000200ull
#define CLONE_FILES          0x00000400ull
#define CLONE_SIGHAND        0x00000800ull
#define CLONE_VFORK          0x00004000ull
#define CLONE_THREAD         0x00010000ull
#define CLONE_SETTLS         0x00080000ull
#define CLONE_PARENT_SETTID  0x00100000ull
#define CLONE_CHILD_CLEARTID 0x00200000ull
#define CLONE_CHILD_SETTID   0x01000000ull


struct thread *thread_new(struct proc *p, int tid)
{
	struct services *svc = p->k->svc;
	if (svc->nthreads == svc->tcap) {
		size_t cap = svc->tcap ? svc->tcap * 2 : 16;
		struct thread **nt = realloc(svc->threads, cap * sizeof *nt);
		if (!nt)
			return NULL;
		svc->threads = nt;
		svc->tcap = cap;
	}
	struct thread *t = calloc(1, sizeof *t);
	if (!t)
		return NULL;
	t->p = p;
	t->tid = tid;
	t->alive = true;
	svc->threads[svc->nthreads++] = t;
	return t;
}

void thread_set_comm(struct thread *t, const char *name)
{
	memset(t->comm, 0, sizeof t->comm);   /* strscpy_pad */
	strncpy(t->comm, name, sizeof t->comm - 1);
}

void thread_comm_from_path(struct thread *t, const char *path)
{
	const char *slash = strrchr(path, '/');
	thread_set_comm(t, slash ? slash + 1 : path);
}

struct thread *proc_leader(const struct proc *p)
{
	const struct services *svc = p->k->svc;
	for (size_t i = 0; i < svc->nthreads; i++)
		if (svc->threads[i]->p == p && svc->threads[i]->tid == p->pid)
			return svc->threads[i];
	return p->thread;
}

static void state_save(const struct proc *p, struct thread_state *s)
{
	s->sig_blocked = p->sig.blocked;
	s->sig_saved_mask = p->sig.saved_mask;
	s->restore_mask = p->sig.restore_mask;
	s->sig_real_blocked = p->sig.real_blocked;
	s->in_sigwait = p->sig.in_sigwait;
	s->ss_sp = p->sig.ss_sp;
	s->ss_size = p->sig.ss_size;
	s->ss_autodisarm = p->sig.ss_autodisarm;
	s->timed_wait = p->timed_wait;
	s->wait_deadline = p->wait_deadline;
	s->blocked = p->blocked;
}

static void state_load(struct proc *p, const struct thread_state *s)
{
	p->sig.blocked = s->sig_blocked;
	p->sig.saved_mask = s->sig_saved_mask;
	p->sig.restore_mask = s->restore_mask;
	p->sig.real_blocked = s->sig_real_blocked;
	p->sig.in_sigwait = s->in_sigwait;
	p->sig.ss_sp = s->ss_sp;
	p->sig.ss_size = s->ss_size;
	p->sig.ss_autodisarm = s->ss_autodisarm;
	p->timed_wait = s->timed_wait;
	p->wait_deadline = s->wait_deadline;
	p->blocked = s->blocked;
}

void thread_switch(struct proc *p, struct thread *t)
{
	if (p->thread == t)
		return;
	if (p->thread) {
		state_save(p, &p->thread->saved);
		usage_thread_leave(p);
	}
	state_load(p, &t->saved);
	p->thread = t;
	usage_thread_enter(p);
}

void threads_end(struct proc *p)
{
	struct services *svc = p->k->svc;
	for (size_t i = 0; i < svc->nthreads; i++)
		if (svc->threads[i]->p == p) {
			svc->threads[i]->alive = false;
			svc->threads[i]->futex_wait = false;
		}
}

/* de_thread: the others end, and the caller takes the leader's tid. */
void threads_exec(struct proc *p)
{
	struct services *svc = p->k->svc;
	for (size_t i = 0; i < svc->nthreads; i++) {
		struct thread *t = svc->threads[i];
		if (t->p == p && t != p->thread) {
			t->alive = false;
			t->tid = 0;   /* gone: the leader's tid is the caller's now (release.c frees them) */
		}
	}
	p->thread->tid = p->pid;
	p->thread->clear_child_tid = 0;
	p->thread->robust_list = 0;
}

size_t threads_alive(const struct kernel *k)
{
	size_t n = 0;
	for (size_t i = 0; i < k->svc->nthreads; i++)
		n += k->svc->threads[i]->alive;
	return n;
}

struct proc *thread_proc(const struct kernel *k, int tid)
{
	for (size_t i = 0; i < k->svc->nthreads; i++)
		if (k->svc->threads[i]->tid == tid && k->svc->threads[i]->alive)
			return k->svc->threads[i]->p;
	return NULL;
}

static size_t siblings_alive(const struct proc *p)
{
	size_t n = 0;
	const struct services *svc = p->k->svc;
	for (size_t i = 0; i < svc->nthreads; i++)
		n += svc->threads[i]->p == p && svc->threads[i]->alive && svc->threads[i] != p->thread;
	return n;
}

uint64_t threads_first_deadline(const struct kernel *k)
{
	uint64_t first = UINT64_MAX;
	for (size_t i = 0; i < k->svc->nthreads; i++) {
		const struct thread *t = k->svc->threads[i];
		if (!t->alive || !t->p->alive)
			continue;
		bool timed = t == t->p->thread ? t->p->timed_wait : t->saved.timed_wait;
		uint64_t deadline = t == t->p->thread ? t->p->wait_deadline : t->saved.wait_deadline;
		if (timed && deadline < first)
			first = deadline;
	}
	return first;
}

void thread_wait_over(struct proc *p)
{
	if (p->thread) {
		p->thread->futex_wait = false;
		p->thread->futex_woken = false;
	}
}

/* ---- clone ---- */

/* copy_process: a thread shares the address space, descriptors and signal
 * actions; its stack, TLS and tid words are the caller's to give. */
struct sys_result thread_clone(struct proc *p, uint64_t flags, uint64_t sp, uint64_t ptid, uint64_t tls,
			       uint64_t ctid)
{
	struct kernel *k = p->k;
	struct sys_result r = {.action = SYSA_NONE};
	if (!(flags & CLONE_FILES) || !(flags & CLONE_FS)) {   /* a thread with its own tables */
		r.ret = -ENOSYS;
		report_enosys(k, 56, S_CLONE);
		return r;
	}
	if (threads_alive(k) >= k->cfg.max_procs) {   /* threads-max, RLIMIT_NPROC */
		r.ret = -EAGAIN;
		return r;
	}
	int tid = pid_next(k);
	if (tid < 0) {
		r.ret = tid;
		return r;
	}
	uint32_t tid32 = (uint32_t)tid;
	if ((flags & CLONE_PARENT_SETTID) && put_user(k, ptid, &tid32, 4)) {
		r.ret = -EFAULT;
		return r;
	}
	struct thread *t = thread_new(p, tid);
	if (!t) {
		r.ret = -ENOMEM;
		return r;
	}
	k->svc->last_pid = tid;
	state_save(p, &t->saved);   /* the caller's mask; no blocked call, no wait */
	t->saved.blocked.active = false;
	t->saved.timed_wait = false;
	t->saved.restore_mask = false;
	t->saved.in_sigwait = false;
	/* copy_process: a task sharing the address space starts with no
	 * alternate stack (a fork keeps it: signal_fork) */
	t->saved.ss_sp = t->saved.ss_size = 0;
	t->saved.ss_autodisarm = false;
	memcpy(t->comm, p->thread->comm, sizeof t->comm);   /* dup_task_struct: the creator's name */
	t->clear_child_tid = flags & CLONE_CHILD_CLEARTID ? ctid : 0;
	r.ret = tid;
	r.action = SYSA_THREAD;
	r.value = (uint64_t)tid;
	r.child.sp = sp;
	r.child.tls = tls;
	r.child.set_tls = flags & CLONE_SETTLS;
	r.child.set_tid = flags & CLONE_CHILD_SETTID ? ctid : 0;
	return r;
}

/* ---- the calls ---- */

/* exit of one thread while others run (mm_release): its CLONE_CHILD_CLEARTID
 * word is cleared and one waiter on it woken, as pthread_join waits. */
static void thread_exit(struct proc *p, struct sys_result *r)
{
	struct thread *t = p->thread;
	futex_exit_thread(p);   /* mm_release: the robust list, then the tid word */
	if (t->clear_child_tid) {
		uint32_t zero = 0;
		if (!put_user(p->k, t->clear_child_tid, &zero, 4))
			futex_wake_tid(p, t->clear_child_tid);
	}
	signal_thread_exit(p);
	t->alive = false;
	r->action = SYSA_THREAD_EXIT;
}

bool thread_syscall(struct proc *p, enum sys s, const uint64_t a[6], struct sys_result *r)
{
	switch (s) {
	case S_GETTID: r->ret = p->thread->tid; return true;
	case S_SET_TID_ADDRESS:
		p->thread->clear_child_tid = a[0];
		r->ret = p->thread->tid;
		return true;
	case S_FUTEX: *r = sys_futex(p, a); return true;
	case S_SET_ROBUST_LIST: r->ret = futex_set_robust_list(p, a[0], a[1]); return true;
	case S_GET_ROBUST_LIST: r->ret = futex_get_robust_list(p, (int)a[0], a[1], a[2]); return true;
	case S_SCHED_YIELD:
		r->ret = 0;
		if (siblings_alive(p) || threads_alive(p->k) > 1)
			r->action = SYSA_YIELD;
		return true;
	case S_EXIT:
		if (!siblings_alive(p))
			return false;   /* the last thread: the process exits */
		thread_exit(p, r);
		return true;
	default:
		return false;
	}
}
