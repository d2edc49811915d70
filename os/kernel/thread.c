/* Threads: a process (struct proc) has one or more threads sharing its
 * address space, descriptor table and signal actions; each has its own
 * tid, signal mask, blocked call and CLONE_CHILD_CLEARTID word. Futexes are
 * wait queues keyed by (mm, address): a waiter sleeps through the
 * scheduler (SYSA_BLOCK, its call made again on its turn) until a wake,
 * its timeout in simulated time, or a signal. */
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

#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_WAIT_BITSET 9
#define FUTEX_WAKE_BITSET 10
#define FUTEX_PRIVATE_FLAG 128
#define FUTEX_CLOCK_REALTIME 256
#define FUTEX_BITSET_MATCH_ANY 0xffffffffu

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

static void state_save(const struct proc *p, struct thread_state *s)
{
	s->sig_blocked = p->sig.blocked;
	s->sig_saved_mask = p->sig.saved_mask;
	s->restore_mask = p->sig.restore_mask;
	s->timed_wait = p->timed_wait;
	s->wait_deadline = p->wait_deadline;
	s->blocked = p->blocked;
}

static void state_load(struct proc *p, const struct thread_state *s)
{
	p->sig.blocked = s->sig_blocked;
	p->sig.saved_mask = s->sig_saved_mask;
	p->sig.restore_mask = s->restore_mask;
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
		if (t->p == p && t != p->thread)
			t->alive = false;
	}
	p->thread->tid = p->pid;
	p->thread->clear_child_tid = 0;
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
	int tid = k->svc->last_pid + 1;
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

/* ---- futex ---- */

static int64_t futex_wake(struct proc *p, uint64_t uaddr, uint64_t nr, uint32_t bitset)
{
	struct services *svc = p->k->svc;
	int64_t woken = 0;
	for (size_t i = 0; i < svc->nthreads && (uint64_t)woken < nr; i++) {
		struct thread *t = svc->threads[i];
		if (t->alive && t->futex_wait && !t->futex_woken && t->futex_mm == &p->mm && t->futex_addr == uaddr &&
		    (t->futex_bitset & bitset)) {
			t->futex_woken = true;
			woken++;
		}
	}
	return woken;
}

/* The absolute deadline (simulated ns since boot) of a wait, from a
 * timespec: relative for FUTEX_WAIT, absolute for FUTEX_WAIT_BITSET (on
 * the realtime clock with FUTEX_CLOCK_REALTIME). */
static int64_t futex_deadline(struct kernel *k, uint64_t va, bool absolute, bool realtime, uint64_t *out)
{
	int64_t ts[2];
	if (os_copy_from_user(k, ts, va, 16))
		return -EFAULT;
	if (ts[0] < 0 || ts[1] < 0 || ts[1] >= 1000000000)
		return -EINVAL;
	uint64_t ns = (uint64_t)ts[0] * 1000000000ull + (uint64_t)ts[1];
	if (!absolute)
		*out = now_ns(k) + ns;
	else if (realtime)
		*out = ns > EPOCH_SECONDS * 1000000000ull ? ns - EPOCH_SECONDS * 1000000000ull : 0;
	else
		*out = ns;
	return 0;
}

static struct sys_result futex_wait(struct proc *p, const uint64_t a[6], bool bitset_op, bool realtime)
{
	struct kernel *k = p->k;
	struct thread *t = p->thread;
	struct sys_result r = {.action = SYSA_NONE};
	if (t->futex_wait) {   /* made again on its turn */
		if (t->futex_woken)
			r.ret = 0;
		else if (p->timed_wait && now_ns(k) >= p->wait_deadline)
			r.ret = -ETIMEDOUT;
		else
			r = (struct sys_result){.ret = -ERESTARTSYS, .action = SYSA_BLOCK};
		return r;
	}
	uint32_t bitset = bitset_op ? (uint32_t)a[5] : FUTEX_BITSET_MATCH_ANY;
	uint64_t deadline = 0;
	int64_t rc;
	if (a[0] & 3 || !bitset) {
		r.ret = -EINVAL;
		return r;
	}
	if (a[3] && (rc = futex_deadline(k, a[3], bitset_op, realtime, &deadline))) {
		r.ret = rc;
		return r;
	}
	uint32_t cur;
	if (os_copy_from_user(k, &cur, a[0], 4)) {
		r.ret = -EFAULT;
		return r;
	}
	if (cur != (uint32_t)a[2]) {
		r.ret = -EAGAIN;
		return r;
	}
	if (a[3] && deadline <= now_ns(k)) {
		r.ret = -ETIMEDOUT;
		return r;
	}
	t->futex_wait = true;
	t->futex_woken = false;
	t->futex_mm = &p->mm;
	t->futex_addr = a[0];
	t->futex_bitset = bitset;
	p->timed_wait = a[3] != 0;
	p->wait_deadline = deadline;
	return (struct sys_result){.ret = -ERESTARTSYS, .action = SYSA_BLOCK};
}

static struct sys_result sys_futex(struct proc *p, const uint64_t a[6])
{
	struct sys_result r = {.action = SYSA_NONE};
	uint64_t cmd = a[1] & ~(uint64_t)(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
	bool realtime = a[1] & FUTEX_CLOCK_REALTIME;
	if (realtime && cmd != FUTEX_WAIT_BITSET) {
		r.ret = -ENOSYS;
		return r;
	}
	switch (cmd) {
	case FUTEX_WAIT:
		return futex_wait(p, a, false, false);
	case FUTEX_WAIT_BITSET:
		return futex_wait(p, a, true, realtime);
	case FUTEX_WAKE:
	case FUTEX_WAKE_BITSET: {
		uint32_t bitset = cmd == FUTEX_WAKE ? FUTEX_BITSET_MATCH_ANY : (uint32_t)a[5];
		r.ret = a[0] & 3 || !bitset ? -EINVAL : futex_wake(p, a[0], (uint32_t)a[2], bitset);
		return r;
	}
	default:
		report_enosys(p->k, 202, S_FUTEX);   /* REQUEUE, WAKE_OP, the PI operations */
		r.ret = -ENOSYS;
		return r;
	}
}

/* ---- the calls ---- */

/* exit of one thread while others run (mm_release): its CLONE_CHILD_CLEARTID
 * word is cleared and one waiter on it woken, as pthread_join waits. */
static void thread_exit(struct proc *p, struct sys_result *r)
{
	struct thread *t = p->thread;
	if (t->clear_child_tid) {
		uint32_t zero = 0;
		if (!put_user(p->k, t->clear_child_tid, &zero, 4))
			futex_wake(p, t->clear_child_tid, 1, FUTEX_BITSET_MATCH_ANY);
	}
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
