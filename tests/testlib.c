#include "tests/testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t alloc_table(void *ctx, int level)
{
	(void)level;
	return tspace_frame(ctx);
}

void tspace_init(struct tspace *s, const struct pt_format *f, uint64_t frames)
{
	memset(s, 0, sizeof *s);
	s->f = f;
	s->pm = physmem_create(frames << f->page_shift, f->page_shift);
	if (!s->pm) {
		fprintf(stderr, "cannot create physical memory\n");
		exit(2);
	}
	s->next_frame = 1;
	s->build = (struct pt_builder){.alloc = alloc_table, .ctx = s};
	s->build.table = (struct pte){.kind = PTE_TABLE, .write = true, .user = true};
	s->root = tspace_frame(s);
}

void tspace_free(struct tspace *s)
{
	physmem_destroy(s->pm);
	s->pm = NULL;
}

uint64_t tspace_frame(struct tspace *s)
{
	uint64_t pa = s->next_frame << s->f->page_shift;
	if (!physmem_ptr(s->pm, pa, 1ull << s->f->page_shift)) {
		fprintf(stderr, "test physical memory exhausted\n");
		exit(2);
	}
	s->next_frame++;
	return pa;
}

uint64_t tspace_map(struct tspace *s, uint64_t va, int level, const struct pte *leaf)
{
	uint64_t e = pt_map(s->pm, s->f, s->root, va, level, leaf, &s->build);
	if (e == PT_NO_MEMORY) {
		fprintf(stderr, "tspace_map(0x%llx) failed\n", (unsigned long long)va);
		exit(2);
	}
	return e;
}

struct pte tspace_user_page(const struct tspace *s, uint64_t frame, bool write, bool exec)
{
	struct pte p = {.kind = PTE_PAGE, .oa = frame, .write = write, .user = true, .nx = !exec};
	if (s->f->arch == ARCH_AARCH64) {
		p.accessed = true;
		p.sh = 3;
		p.pxn = true;
	}
	return p;
}

struct mmu_config test_config(const struct pt_format *f, uint64_t phys_size, uint32_t walk_latency)
{
	struct mmu_config c = {0};
	c.fmt = f;
	c.phys_size = phys_size;
	c.pa_bits = f->arch == ARCH_X86_64 ? 46 : 48;
	c.walk_read_latency = walk_latency;
	c.cpi_milli = 1000;
	c.seed = 1;
	return c;
}

struct tlb_config test_tlb(uint32_t latency, uint32_t entries, uint32_t ways, uint64_t sizes, enum tlb_repl repl)
{
	struct tlb_config t = {.latency = latency, .narrays = 1};
	t.array[0] = (struct tlb_array_config){.sizes = sizes, .entries = entries, .ways = ways, .repl = repl};
	return t;
}

struct mmu *tspace_mmu(struct tspace *s, const struct mmu_config *c, uint16_t asid)
{
	char err[200];
	struct mmu *m = mmu_create(c, s->pm, err, sizeof err);
	if (!m) {
		fprintf(stderr, "mmu_create: %s\n", err);
		exit(2);
	}
	mmu_set_context(m, s->root, asid);
	return m;
}

void run_on_formats(const char *name, void (*fn)(const struct pt_format *), const struct pt_format *const *formats,
		    size_t n, const int *failed)
{
	for (size_t i = 0; i < n; i++) {
		int before = *failed;
		fn(formats[i]);
		if (*failed != before)
			fprintf(stderr, "  ^ %d failure(s) in %s [%s]\n", *failed - before, name, formats[i]->id);
	}
}
