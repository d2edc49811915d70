/* User-memory access for the kernel: copy_from_user, copy_to_user and
 * strncpy_from_user for the current process.
 *
 * As Linux does, a range that is not entirely below the top of user space
 * fails access_ok() and is refused before any access (no fault happens for
 * a kernel-half or non-canonical pointer). Otherwise the copy goes page by
 * page: each page is translated by the MMU as a user-mode access (the copy
 * is made on the user's behalf and obeys the user's permissions: a write
 * into a read-only page fails), a fault is handled by the fault handler as
 * any other (a fresh anonymous page is faulted in, a COW page copied), and
 * the bytes move through physical memory. A fault the handler cannot
 * resolve makes the copy fail with -EFAULT; the process is not killed -
 * the system call returns the error (Linux's exception-table fixup). */
#include "os/kernel/kernel.h"

#include <string.h>

/* access_ok(): [va, va + len) lies in user space. */
static bool range_ok(const struct kernel *k, uint64_t va, uint64_t len)
{
	return va <= k->user_top && len <= k->user_top - va;
}

/* The physical bytes behind [va, va + n), n not crossing a page; NULL when
 * the access cannot be made. */
static uint8_t *user_page(struct kernel *k, uint64_t va, uint64_t n, enum mmu_access acc)
{
	struct proc *p = k->svc->current;
	if (!p || !p->alive)
		return NULL;
	struct mmu_xlate x;
	k->svc->in_uaccess = true;   /* for the operation hook: a failure here is -EFAULT, not a signal */
	enum fault_outcome o = os_access(k, va, acc, &x, NULL);
	k->svc->in_uaccess = false;
	if (o != OUT_RESOLVED)
		return NULL;
	return physmem_ptr(mmu_physmem(kernel_mmu(k)), x.pa, n);
}

/* Bytes from va to the end of its page, at most `left`. */
static uint64_t chunk(const struct kernel *k, uint64_t va, uint64_t left)
{
	uint64_t room = k->page - (va & (k->page - 1));
	return room < left ? room : left;
}

int os_copy_from_user(struct kernel *k, void *dst, uint64_t src_va, uint64_t len)
{
	if (!range_ok(k, src_va, len))
		return -EFAULT;
	uint8_t *d = dst;
	for (uint64_t done = 0; done < len;) {
		uint64_t va = src_va + done, n = chunk(k, va, len - done);
		const uint8_t *s = user_page(k, va, n, ACC_READ);
		if (!s)
			return -EFAULT;
		memcpy(d + done, s, n);
		done += n;
	}
	return 0;
}

int os_copy_to_user(struct kernel *k, uint64_t dst_va, const void *src, uint64_t len)
{
	if (!range_ok(k, dst_va, len))
		return -EFAULT;
	const uint8_t *s = src;
	for (uint64_t done = 0; done < len;) {
		uint64_t va = dst_va + done, n = chunk(k, va, len - done);
		uint8_t *d = user_page(k, va, n, ACC_WRITE);
		if (!d)
			return -EFAULT;
		memcpy(d, s + done, n);
		done += n;
	}
	return 0;
}

/* Pages are touched only up to the one holding the NUL: a string that ends
 * just before an unmapped page copies fine. Where the top of user space
 * cuts `max` short and no NUL came before it, the result is -EFAULT (as in
 * Linux's do_strncpy_from_user); otherwise no NUL within max bytes is
 * -ENAMETOOLONG. On success dst holds the string and its NUL. */
int64_t os_strncpy_from_user(struct kernel *k, char *dst, uint64_t src_va, uint64_t max)
{
	if (src_va >= k->user_top)
		return -EFAULT;
	uint64_t limit = k->user_top - src_va < max ? k->user_top - src_va : max;
	for (uint64_t done = 0; done < limit;) {
		uint64_t va = src_va + done, n = chunk(k, va, limit - done);
		const uint8_t *s = user_page(k, va, n, ACC_READ);
		if (!s)
			return -EFAULT;
		const uint8_t *nul = memchr(s, 0, n);
		uint64_t take = nul ? (uint64_t)(nul - s) + 1 : n;
		memcpy(dst + done, s, take);
		if (nul)
			return (int64_t)(done + take - 1);
		done += n;
	}
	return limit < max ? -EFAULT : -ENAMETOOLONG;
}
