/* mlock, mlock2, munlock, mlockall, munlockall, and the faulting in that
 * locking (and MAP_POPULATE) asks for, as Linux 6.1's mm/mlock.c and
 * __mm_populate. The VMAs and pages are os/mm/mlock.c's.
 *
 * The guest is root (OS_GUEST_UID) with every capability, CAP_IPC_LOCK
 * among them, as a program run natively by root is: RLIMIT_MEMLOCK is
 * kept and reported, and checked as Linux checks it, but never refuses
 * such a process (can_do_mlock and the lock limit give way to the
 * capability). The populate faults are ordinary faults of the process,
 * each in the event log and counted in its rusage (GUP counts them too). */
#include "os/kernel/syscall.h"

#include <stdlib.h>

#define RLIM_MEMLOCK 8
#define MCL_CURRENT 1u
#define MCL_FUTURE 2u
#define MCL_ONFAULT 4u
#define MLOCK_ONFAULT 1u

/* capable(CAP_IPC_LOCK): root's. */
static bool capable_ipc_lock(const struct proc *p)
{
	(void)p;
	return OS_GUEST_UID == 0;
}

/* can_do_mlock */
bool mlock_allowed(const struct proc *p)
{
	return p->rlim[RLIM_MEMLOCK][0] != 0 || capable_ipc_lock(p);
}

static uint64_t lock_limit_pages(const struct proc *p)
{
	uint64_t lim = p->rlim[RLIM_MEMLOCK][0];
	return lim == UINT64_MAX ? UINT64_MAX : lim >> p->k->fmt->page_shift;
}

/* One page faulted in as get_user_pages would: 0, -EFAULT or -ENOMEM. */
static int populate_page(struct kernel *k, uint64_t va, enum mmu_access acc)
{
	struct mmu_xlate x;
	k->svc->in_uaccess = true;   /* a failure is the call's error, not a signal */
	enum fault_outcome o = os_access(k, va, acc, &x, NULL);
	k->svc->in_uaccess = false;
	return o == OUT_RESOLVED ? 0 : o == OUT_OOM ? -ENOMEM : -EFAULT;
}

/* __mm_populate: [start, end) faulted in, VMA by VMA: a private writable
 * VMA by write faults (copy-on-write broken now, as FOLL_WRITE does), any
 * other by reads; VM_LOCKONFAULT VMAs are left to fault as they are used,
 * and an inaccessible (PROT_NONE) one is -EFAULT. With ignore_errors the
 * failing VMA is given up and the next one taken. */
static int populate(struct proc *p, uint64_t start, uint64_t end, bool ignore_errors)
{
	struct kernel *k = p->k;
	for (uint64_t a = start; a < end;) {
		const struct vma *v = vma_find(&p->mm, a);
		if (!v || v->start >= end)
			break;
		if (a < v->start)
			a = v->start;
		uint64_t e = v->end < end ? v->end : end;
		uint32_t f = v->flags;   /* v may move: a fault can grow the VMA array */
		int rc = 0;
		if (f & VM_LOCKONFAULT)
			rc = 0;
		else if (!(f & (VM_READ | VM_WRITE | VM_EXEC)))
			rc = -EFAULT;
		else {
			enum mmu_access acc = (f & (VM_WRITE | VM_SHARED)) == VM_WRITE ? ACC_WRITE
					      : f & (VM_READ | VM_WRITE)                ? ACC_READ
											: ACC_FETCH;
			for (uint64_t va = a; va < e && !rc; va += k->page)
				rc = kernel_stopping(k) ? -EINTR : populate_page(k, va, acc);
		}
		if (rc && !ignore_errors)
			return rc;
		a = e;
	}
	return 0;
}

/* __mlock_posix_error_return */
static int64_t posix_error(int rc)
{
	return rc == -EFAULT ? -ENOMEM : rc == -ENOMEM ? -EAGAIN : rc;
}

/* Pages of [start, end) already locked (count_mm_mlocked_page_nr). */
static uint64_t locked_in_range(struct mm *mm, uint64_t start, uint64_t end, unsigned shift)
{
	uint64_t n = 0;
	for (struct vma *v = vma_find(mm, start); v && v->start < end; v = vma_find(mm, v->end))
		if (v->flags & VM_LOCKED) {
			uint64_t s = v->start > start ? v->start : start, e = v->end < end ? v->end : end;
			n += (e - s) >> shift;
		}
	return n;
}

/* do_mlock, and munlock when flags is 0. */
static int64_t sys_mlock(struct proc *p, uint64_t start, uint64_t len, uint32_t flags)
{
	struct kernel *k = p->k;
	unsigned shift = k->fmt->page_shift;
	if (flags && !mlock_allowed(p))
		return -EPERM;
	len = (len + (start & (k->page - 1)) + k->page - 1) & ~(k->page - 1);   /* may wrap, as PAGE_ALIGN */
	start &= ~(k->page - 1);
	if (flags && !capable_ipc_lock(p)) {
		uint64_t locked = (len >> shift) + (mm_locked_bytes(&p->mm) >> shift);
		if (locked > lock_limit_pages(p))
			locked -= locked_in_range(&p->mm, start, start + len, shift);
		if (locked > lock_limit_pages(p))
			return -ENOMEM;
	}
	int64_t rc = mm_lock_range(k, &p->mm, start, start + len, flags);
	if (rc || !flags)
		return rc;
	rc = populate(p, start, start + len, false);
	return rc ? posix_error((int)rc) : 0;
}

static int64_t sys_mlockall(struct proc *p, uint64_t flags)
{
	struct kernel *k = p->k;
	if (!flags || (flags & ~(uint64_t)(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT)) || flags == MCL_ONFAULT)
		return -EINVAL;
	if (!mlock_allowed(p))
		return -EPERM;
	if ((flags & MCL_CURRENT) && !capable_ipc_lock(p) &&
	    (mm_total_vm(&p->mm) >> k->fmt->page_shift) > lock_limit_pages(p))
		return -ENOMEM;
	uint32_t lock = VM_LOCKED | (flags & MCL_ONFAULT ? VM_LOCKONFAULT : 0);
	p->mm.def_flags = flags & MCL_FUTURE ? lock : 0;
	if (flags & MCL_CURRENT) {
		mm_lock_all(k, &p->mm, lock);
		populate(p, 0, k->user_top, true);
	}
	return 0;
}

/* mprotect_fixup: a locked private VMA (not on fault) that was not
 * writable and now is gets its pages faulted in for writing at once, so
 * that no copy-on-write fault is left for later. Called before the change
 * (what was) and after it (the faulting in). */
struct mprotect_populate {
	uint64_t start[8], end[8];
	size_t n;
};

void *mlock_mprotect_before(struct proc *p, uint64_t addr, uint64_t len, uint32_t prot)
{
	if (!p->k->mlock_used || !(prot & VM_WRITE))
		return NULL;
	struct mprotect_populate *mp = calloc(1, sizeof *mp);
	uint64_t end = addr + ((len + p->k->page - 1) & ~(p->k->page - 1));
	for (struct vma *v = vma_find(&p->mm, addr); mp && v && v->start < end && end > addr;
	     v = vma_find(&p->mm, v->end))
		if ((v->flags & (VM_WRITE | VM_SHARED | VM_LOCKED_MASK)) == VM_LOCKED && mp->n < 8) {
			mp->start[mp->n] = v->start > addr ? v->start : addr;
			mp->end[mp->n++] = v->end < end ? v->end : end;
		}
	return mp;
}

void mlock_mprotect_after(struct proc *p, void *ctx, int64_t rc)
{
	struct mprotect_populate *mp = ctx;
	for (size_t i = 0; mp && rc == 0 && i < mp->n; i++)
		populate(p, mp->start[i], mp->end[i], true);
	free(mp);
}

bool mlock_range_locked(struct proc *p, uint64_t addr, uint64_t len)
{
	uint64_t end = addr + ((len + p->k->page - 1) & ~(p->k->page - 1));
	for (struct vma *v = vma_find(&p->mm, addr); v && v->start < end && end > addr; v = vma_find(&p->mm, v->end))
		if (v->flags & VM_LOCKED)
			return true;
	return false;
}

void mlock_populate_new(struct proc *p, uint64_t start, uint64_t end, bool populate_asked)
{
	const struct vma *v = vma_find(&p->mm, start);
	if (!v || v->start > start)
		return;
	/* vm_mmap_pgoff / brk: a VMA locked (not on fault) or MAP_POPULATE is faulted in now. */
	if (populate_asked || (v->flags & VM_LOCKED_MASK) == VM_LOCKED)
		populate(p, start, end, true);
}

/* mincore(2): one byte a page, 1 when resident; -ENOMEM at the first page
 * outside every VMA (the bytes before it written, as Linux's chunks are). */
static int64_t sys_mincore(struct proc *p, uint64_t start, uint64_t len, uint64_t vec)
{
	struct kernel *k = p->k;
	if (start & (k->page - 1))
		return -EINVAL;
	if (start > k->user_top || len > k->user_top - start)
		return -ENOMEM;   /* access_ok fails: ENOMEM, as mincore says */
	uint64_t pages = (len + k->page - 1) >> k->fmt->page_shift;
	if (pages > k->user_top - vec)
		return -EFAULT;
	uint8_t buf[512];
	for (uint64_t done = 0; done < pages;) {
		uint64_t n = pages - done < sizeof buf ? pages - done : sizeof buf;
		for (uint64_t i = 0; i < n; i++) {
			int r = mm_mincore(k, &p->mm, start + ((done + i) << k->fmt->page_shift));
			if (r < 0) {
				if (i && put_user(k, vec + done, buf, i))
					return -EFAULT;
				return r;
			}
			buf[i] = (uint8_t)r;
		}
		if (put_user(k, vec + done, buf, n))
			return -EFAULT;
		done += n;
	}
	return 0;
}

bool mlock_syscall(struct proc *p, enum sys s, const uint64_t a[6], struct sys_result *r)
{
	switch (s) {
	case S_MLOCK: r->ret = sys_mlock(p, a[0], a[1], VM_LOCKED); break;
	case S_MLOCK2:
		r->ret = a[2] & ~(uint64_t)MLOCK_ONFAULT
				 ? -EINVAL
				 : sys_mlock(p, a[0], a[1], VM_LOCKED | (a[2] & MLOCK_ONFAULT ? VM_LOCKONFAULT : 0));
		break;
	case S_MUNLOCK: r->ret = sys_mlock(p, a[0], a[1], 0); break;
	case S_MLOCKALL: r->ret = sys_mlockall(p, a[0]); break;
	case S_MINCORE: r->ret = sys_mincore(p, a[0], a[1], a[2]); break;
	case S_MUNLOCKALL:
		p->mm.def_flags = 0;
		mm_lock_all(p->k, &p->mm, 0);
		r->ret = 0;
		break;
	default: return false;
	}
	return true;
}
