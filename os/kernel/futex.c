/* Futexes (Linux's kernel/futex/): wait queues keyed as get_futex_key keys
 * them. A private futex (FUTEX_PRIVATE_FLAG) and a shared one on private
 * anonymous memory are (mm, address) — apart, as Linux keeps them apart;
 * a shared one on a file page is (inode, file offset) and one on shared
 * anonymous memory (MAP_SHARED|MAP_ANONYMOUS) is (frame, offset), so two
 * processes mapping the same page wake each other. Waiters are found in
 * thread-creation order (the scheduler's order; Linux's is FIFO per bucket). */
#include "os/kernel/syscall.h"

#include <stdlib.h>
#include <string.h>

#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_REQUEUE 3
#define FUTEX_CMP_REQUEUE 4
#define FUTEX_WAKE_OP 5
#define FUTEX_WAIT_BITSET 9
#define FUTEX_WAKE_BITSET 10
#define FUTEX_PRIVATE_FLAG 128
#define FUTEX_CLOCK_REALTIME 256
#define FUTEX_BITSET_MATCH_ANY 0xffffffffu
#define FUTEX_OP_OPARG_SHIFT 8

enum futex_kind { FK_PRIVATE = 1, FK_MM, FK_INODE, FK_FRAME };

/* follow_page: the physical address of va as the tables say, through a
 * block (huge page) entry too; false if nothing is mapped there. */
static bool futex_translate(struct kernel *k, struct mm *mm, uint64_t va, uint64_t *pa)
{
	int level;
	ptep_t at = leaf_lookup(k, mm, va, &level);
	if (ptep_none(at))
		return false;
	struct pte d = pte_decode(k->fmt, level, pte_read(k, at).raw);
	if (d.kind != PTE_PAGE && d.kind != PTE_BLOCK)
		return false;
	*pa = d.oa + (va & ((1ull << pt_leaf_shift(k->fmt, level)) - 1));
	return true;
}

/* get_futex_key: the key of the word at uaddr, its page faulted in (for
 * writing with `write`, as FUTEX_WRITE breaks COW first). */
static int64_t futex_key_get(struct proc *p, uint64_t uaddr, bool shared, bool write, struct futex_key *key)
{
	struct kernel *k = p->k;
	if (uaddr & 3)
		return -EINVAL;
	if (uaddr >= k->user_top)   /* access_ok; a private key needs no more */
		return -EFAULT;
	*key = (struct futex_key){.kind = shared ? FK_MM : FK_PRIVATE, .obj = (uint64_t)(uintptr_t)&p->mm,
				  .word = uaddr};
	if (!shared)
		return 0;
	/* get_user_pages: the tables read as the kernel reads them (no TLB),
	 * the page faulted in (by an access) only when missing, or to write. */
	uint64_t pa;
	uint32_t v;
	if ((write || !futex_translate(k, &p->mm, uaddr, &pa)) &&
	    (os_copy_from_user(k, &v, uaddr, 4) || (write && os_copy_to_user(k, uaddr, &v, 4))))
		return -EFAULT;
	struct vma *vma = vma_find(&p->mm, uaddr);
	if (!vma || vma->start > uaddr || !futex_translate(k, &p->mm, uaddr, &pa))
		return 0;
	uint64_t off = pa & (k->page - 1);
	const struct page *pg = pfn_page(k, pa_pfn(k, pa));
	if (pg->use == USE_PAGECACHE && pg->mapping)   /* a file's page: where in the file */
		*key = (struct futex_key){.kind = FK_INODE, .obj = pg->mapping, .word = (pg->index << k->fmt->page_shift) | off};
	else if ((vma->flags & VM_SHARED) && pg->use == USE_ANON)   /* shmem: the frame */
		*key = (struct futex_key){.kind = FK_FRAME, .obj = pa_pfn(k, pa), .word = off};
	return 0;
}

static bool futex_match(const struct futex_key *a, const struct futex_key *b)
{
	return a->kind == b->kind && a->obj == b->obj && a->word == b->word;
}

static bool waits_on(const struct thread *t, const struct futex_key *key)
{
	return t->alive && t->futex_wait && !t->futex_woken && futex_match(&t->futex_key, key);
}

/* futex_wake: as Linux, the count is checked after a wake, so 0 (or a
 * negative count) still wakes one. */
static int64_t wake_key(struct kernel *k, const struct futex_key *key, int32_t nr, uint32_t bitset)
{
	struct services *svc = k->svc;
	int64_t woken = 0;
	for (size_t i = 0; i < svc->nthreads; i++) {
		struct thread *t = svc->threads[i];
		if (waits_on(t, key) && (t->futex_bitset & bitset)) {
			t->futex_woken = true;
			if (++woken >= nr)
				break;
		}
	}
	return woken;
}

void futex_wake_tid(struct proc *p, uint64_t uaddr)
{
	struct futex_key key;
	if (!futex_key_get(p, uaddr, true, false, &key))
		wake_key(p->k, &key, 1, FUTEX_BITSET_MATCH_ANY);
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

static struct sys_result futex_wait(struct proc *p, const uint64_t a[6], bool bitset_op, bool realtime, bool shared)
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
	if (a[3] && (rc = futex_deadline(k, a[3], bitset_op, realtime, &deadline))) {
		r.ret = rc;
		return r;
	}
	if (!bitset) {
		r.ret = -EINVAL;
		return r;
	}
	struct futex_key key;
	if ((rc = futex_key_get(p, a[0], shared, false, &key))) {
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
	t->futex_key = key;
	t->futex_bitset = bitset;
	p->timed_wait = a[3] != 0;
	p->wait_deadline = deadline;
	return (struct sys_result){.ret = -ERESTARTSYS, .action = SYSA_BLOCK};
}

/* futex_requeue: wake nr_wake waiters of uaddr, move up to nr_requeue
 * more to uaddr2; CMP_REQUEUE first checks *uaddr is still val3. */
static int64_t futex_requeue(struct proc *p, const uint64_t a[6], bool shared, bool cmp)
{
	int32_t nr_wake = (int32_t)a[2], nr_requeue = (int32_t)a[3];
	if (nr_wake < 0 || nr_requeue < 0)
		return -EINVAL;
	struct futex_key key1, key2;
	int64_t rc;
	if ((rc = futex_key_get(p, a[0], shared, false, &key1)) || (rc = futex_key_get(p, a[4], shared, false, &key2)))
		return rc;
	if (cmp) {
		uint32_t cur;
		if (os_copy_from_user(p->k, &cur, a[0], 4))
			return -EFAULT;
		if (cur != (uint32_t)a[5])
			return -EAGAIN;
	}
	struct services *svc = p->k->svc;
	int64_t count = 0;
	for (size_t i = 0; i < svc->nthreads && count - nr_wake < nr_requeue; i++) {
		struct thread *t = svc->threads[i];
		if (!waits_on(t, &key1))
			continue;
		if (++count <= nr_wake)
			t->futex_woken = true;
		else
			t->futex_key = key2;
	}
	return count;
}

/* FUTEX_WAKE_OP's atomic operation on *uaddr2: > 0 when its comparison
 * of the old value holds, 0 when not, -errno. */
static int64_t futex_atomic_op(struct proc *p, uint64_t uaddr2, uint32_t encoded)
{
	unsigned op = (encoded >> 28) & 7, cmp = (encoded >> 24) & 15;
	int32_t oparg = (int32_t)(encoded << 8) >> 20, cmparg = (int32_t)(encoded << 20) >> 20;
	if (encoded & ((uint32_t)FUTEX_OP_OPARG_SHIFT << 28))
		oparg = (int32_t)(1u << (oparg & 31));   /* Linux masks a bad shift, with a warning */
	int32_t old;
	if (os_copy_from_user(p->k, &old, uaddr2, 4))
		return -EFAULT;
	uint32_t nv;
	switch (op) {
	case 0: nv = (uint32_t)oparg; break;                       /* SET */
	case 1: nv = (uint32_t)old + (uint32_t)oparg; break;       /* ADD */
	case 2: nv = (uint32_t)old | (uint32_t)oparg; break;       /* OR */
	case 3: nv = (uint32_t)old & ~(uint32_t)oparg; break;      /* ANDN */
	case 4: nv = (uint32_t)old ^ (uint32_t)oparg; break;       /* XOR */
	default: return -ENOSYS;
	}
	if (os_copy_to_user(p->k, uaddr2, &nv, 4))
		return -EFAULT;
	switch (cmp) {
	case 0: return old == cmparg;   /* EQ */
	case 1: return old != cmparg;   /* NE */
	case 2: return old < cmparg;    /* LT */
	case 3: return old <= cmparg;   /* LE */
	case 4: return old > cmparg;    /* GT */
	case 5: return old >= cmparg;   /* GE */
	default: return -ENOSYS;        /* after the operation, as Linux */
	}
}

/* futex_wake_op: the operation on *uaddr2, nr_wake waiters of uaddr woken
 * and, when the comparison held, nr_wake2 of uaddr2. */
static int64_t futex_wake_op(struct proc *p, const uint64_t a[6], bool shared)
{
	struct futex_key key1, key2;
	int64_t rc;
	if ((rc = futex_key_get(p, a[0], shared, false, &key1)) || (rc = futex_key_get(p, a[4], shared, true, &key2)))
		return rc;
	int64_t op = futex_atomic_op(p, a[4], (uint32_t)a[5]);
	if (op < 0)
		return op;
	int64_t woken = wake_key(p->k, &key1, (int32_t)a[2], FUTEX_BITSET_MATCH_ANY);
	if (op > 0)
		woken += wake_key(p->k, &key2, (int32_t)a[3], FUTEX_BITSET_MATCH_ANY);
	return woken;
}

struct sys_result sys_futex(struct proc *p, const uint64_t a[6])
{
	struct sys_result r = {.action = SYSA_NONE};
	uint64_t cmd = a[1] & 127;
	bool realtime = a[1] & FUTEX_CLOCK_REALTIME, shared = !(a[1] & FUTEX_PRIVATE_FLAG);
	if (realtime && cmd != FUTEX_WAIT_BITSET) {
		r.ret = -ENOSYS;
		return r;
	}
	switch (cmd) {
	case FUTEX_WAIT:
		return futex_wait(p, a, false, false, shared);
	case FUTEX_WAIT_BITSET:
		return futex_wait(p, a, true, realtime, shared);
	case FUTEX_WAKE:
	case FUTEX_WAKE_BITSET: {
		uint32_t bitset = cmd == FUTEX_WAKE ? FUTEX_BITSET_MATCH_ANY : (uint32_t)a[5];
		struct futex_key key;
		if (!bitset)
			r.ret = -EINVAL;
		else if (!(r.ret = futex_key_get(p, a[0], shared, false, &key)))
			r.ret = wake_key(p->k, &key, (int32_t)a[2], bitset);
		return r;
	}
	case FUTEX_REQUEUE:
	case FUTEX_CMP_REQUEUE:
		r.ret = futex_requeue(p, a, shared, cmd == FUTEX_CMP_REQUEUE);
		return r;
	case FUTEX_WAKE_OP:
		r.ret = futex_wake_op(p, a, shared);
		return r;
	default:
		report_enosys(p->k, 202, S_FUTEX);   /* the PI operations */
		r.ret = -ENOSYS;
		return r;
	}
}

/* ---- robust lists (Linux's kernel/futex/core.c) ---- */

#define FUTEX_WAITERS 0x80000000u
#define FUTEX_OWNER_DIED 0x40000000u
#define FUTEX_TID_MASK 0x3fffffffu
#define ROBUST_LIST_LIMIT 2048
#define ROBUST_HEAD_SIZE 24   /* struct robust_list_head: next, futex_offset, list_op_pending */

int64_t futex_set_robust_list(struct proc *p, uint64_t head, uint64_t len)
{
	if (len != ROBUST_HEAD_SIZE)
		return -EINVAL;
	p->thread->robust_list = head;
	return 0;
}

/* find_task_by_vpid: any thread by its tid (0: the caller); a zombie
 * process's leader is still there, its list gone. */
static int64_t robust_head_of(struct proc *p, int tid, uint64_t *head)
{
	struct services *svc = p->k->svc;
	if (!tid) {
		*head = p->thread->robust_list;
		return 0;
	}
	for (size_t i = 0; i < svc->nthreads; i++)
		if (svc->threads[i]->tid == tid && svc->threads[i]->alive) {
			*head = svc->threads[i]->robust_list;
			return 0;
		}
	struct proc *q = proc_find(p->k, tid);
	if (!q || q->alive || q->reaped)
		return -ESRCH;
	*head = 0;
	return 0;
}

/* get_robust_list: every process here may read every other's
 * (ptrace_may_access: same credentials), so never EPERM. */
int64_t futex_get_robust_list(struct proc *p, int tid, uint64_t head_ptr, uint64_t len_ptr)
{
	uint64_t head, len = ROBUST_HEAD_SIZE;
	int64_t e = robust_head_of(p, tid, &head);
	if (e)
		return e;
	if (put_user(p->k, len_ptr, &len, 8))
		return -EFAULT;
	return put_user(p->k, head_ptr, &head, 8);
}

/* handle_futex_death: a lock word the dead thread owns gets
 * FUTEX_OWNER_DIED (its waiters bit kept) and one waiter is woken; one it
 * was about to take (pending) with no owner yet wakes a waiter too. False
 * when the word cannot be read or written: the walk stops there. */
static bool futex_death(struct proc *p, uint64_t uaddr, int tid, bool pi, bool pending)
{
	uint32_t uval;
	if (uaddr & 3 || os_copy_from_user(p->k, &uval, uaddr, 4))
		return false;
	uint32_t owner = uval & FUTEX_TID_MASK;
	if (pending && !pi && !owner) {
		futex_wake_tid(p, uaddr);
		return true;
	}
	if (owner != (uint32_t)tid)
		return true;
	uint32_t mval = (uval & FUTEX_WAITERS) | FUTEX_OWNER_DIED;
	if (os_copy_to_user(p->k, uaddr, &mval, 4))   /* the cmpxchg: no other CPU runs meanwhile */
		return false;
	if (!pi && (uval & FUTEX_WAITERS))
		futex_wake_tid(p, uaddr);
	return true;
}

/* fetch_robust_entry: a list pointer, its bit 0 the PI flag. */
static bool fetch_entry(struct proc *p, uint64_t va, uint64_t *entry, bool *pi)
{
	uint64_t v;
	if (os_copy_from_user(p->k, &v, va, 8))
		return false;
	*entry = v & ~1ull;
	*pi = v & 1;
	return true;
}

/* exit_robust_list: every lock on t's list (at most ROBUST_LIST_LIMIT),
 * then the one it was taking; through p's address space, p running. */
static void exit_robust_list(struct proc *p, struct thread *t)
{
	uint64_t head = t->robust_list, entry, pending, next = 0;
	int64_t offset;
	bool pi, pending_pi, next_pi = false;
	t->robust_list = 0;
	if (!head || !fetch_entry(p, head, &entry, &pi) || os_copy_from_user(p->k, &offset, head + 8, 8) ||
	    !fetch_entry(p, head + 16, &pending, &pending_pi))
		return;
	for (int limit = ROBUST_LIST_LIMIT; entry != head && limit > 0; limit--) {
		bool ok = fetch_entry(p, entry, &next, &next_pi);
		if (entry != pending && !futex_death(p, entry + (uint64_t)offset, t->tid, pi, false))
			return;
		if (!ok)
			return;
		entry = next;
		pi = next_pi;
	}
	if (pending)
		futex_death(p, pending + (uint64_t)offset, t->tid, pending_pi, true);
}

void futex_exit_thread(struct proc *p)
{
	if (p->k->svc->current == p)
		exit_robust_list(p, p->thread);
}

void futex_exit_group(struct proc *p)
{
	struct services *svc = p->k->svc;
	if (svc->current != p)   /* ended from elsewhere (--max-insns): uaccess reaches only the running one */
		return;
	for (size_t i = 0; i < svc->nthreads; i++)
		if (svc->threads[i]->p == p && svc->threads[i]->alive)
			exit_robust_list(p, svc->threads[i]);
}
