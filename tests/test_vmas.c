/* A process's VMAs (os/mm/vma.c: a sorted array with room at both ends)
 * against a page-by-page model, through random mmap, munmap and mprotect
 * over a small window of pages and forks that go on in the child (whose
 * array starts exactly full): after every call the VMAs are sorted, do
 * not overlap, cover exactly the mapped pages with their protections, and
 * no two neighbours that Linux would merge are apart. */
#include "tests/check.h"
#include "tests/testkernel.h"
#include "os/os.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define PAGES 96
#define BASE 0x10000000ull

static uint8_t model[PAGES];   /* 0: unmapped, else 1 + prot */

static uint32_t vm_prot(uint32_t flags)
{
	return (flags & VM_READ ? 1u : 0) | (flags & VM_WRITE ? 2u : 0) | (flags & VM_EXEC ? 4u : 0);
}

/* Compares p's VMAs in the window with the model; returns whether they agree. */
static bool vmas_agree(struct proc *p, uint64_t page)
{
	const struct vma *v;
	size_t n = proc_vmas(p, &v);
	uint8_t seen[PAGES] = {0};
	bool ok = true;
	for (size_t i = 0; i < n; i++) {
		ok &= v[i].start < v[i].end && (i == 0 || v[i - 1].end <= v[i].start);
		if (i && v[i - 1].end == v[i].start && v[i - 1].flags == v[i].flags && v[i].start >= BASE &&
		    v[i].end <= BASE + PAGES * page)
			ok = false;   /* two anonymous neighbours alike: Linux merges them */
		for (uint64_t a = v[i].start; a < v[i].end; a += page)
			if (a >= BASE && a < BASE + PAGES * page)
				seen[(a - BASE) / page] = (uint8_t)(1 + vm_prot(v[i].flags));
	}
	for (int i = 0; i < PAGES; i++)
		ok &= seen[i] == model[i];
	return ok;
}

static void run(const char *preset, unsigned seed)
{
	struct os_config oc = test_os_config("linux");
	struct kernel *k = test_kernel(preset, 0, &oc);
	struct proc *p = kernel_current(k);
	CHECK_EQ(proc_exec(p, 0x7ffff0000000ull, 0x600000), 0);
	uint64_t page = 1ull << kernel_format(k)->page_shift;
	srand(seed);
	memset(model, 0, sizeof model);
	int next_pid = 2, bad = 0;
	for (int step = 0; step < 4000 && !bad; step++) {
		int first = rand() % PAGES, len = 1 + rand() % 8;
		if (first + len > PAGES)
			len = PAGES - first;
		uint32_t prot = (uint32_t)(rand() % 4);   /* none, r, w (rw), rw */
		uint32_t vprot = prot;
		uint64_t addr = BASE + (uint64_t)first * page, bytes = (uint64_t)len * page;
		int op = rand() % 10;
		if (op < 5) {
			CHECK_EQ(os_mmap(p, addr, bytes, prot, MAPF_PRIVATE | MAPF_ANONYMOUS | MAPF_FIXED, -1, 0),
				 addr);
			memset(model + first, 1 + (int)vprot, (size_t)len);
		} else if (op < 8) {
			CHECK_EQ(os_munmap(p, addr, bytes), 0);
			memset(model + first, 0, (size_t)len);
		} else if (op < 9) {   /* over mapped pages only (over a hole Linux changes a part) */
			bool whole = true;
			for (int i = first; i < first + len; i++)
				whole &= model[i] != 0;
			if (whole)
				CHECK_EQ(os_mprotect(p, addr, bytes, prot), 0);
			for (int i = first; whole && i < first + len; i++)
				model[i] = (uint8_t)(1 + vprot);
		} else if (next_pid < 40) {
			int err;
			struct proc *c = proc_fork(p, next_pid++, &err);
			CHECK(c != NULL);
			if (c) {
				proc_exit(p, 0);
				p = c;
			}
		}
		if (!vmas_agree(p, page)) {
			fprintf(stderr, "%s seed %u: VMAs differ from the model after step %d (op %d)\n", preset, seed,
				step, op);
			bad = 1;
		}
		CHECK(!bad);
	}
	kernel_destroy(k);
}

int main(void)
{
	for (unsigned seed = 1; seed <= 6; seed++) {
		run("skylake", seed);
		run("apple16k", seed);
	}
	return check_report("test_vmas");
}
