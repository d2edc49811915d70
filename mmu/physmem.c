/* Physical memory: a memfd mapped once, shared. The Unicorn bridge maps the
 * same file's pages into guest reservations, so a frame's bytes live in one
 * place however many virtual mappings point at them. */
#include "mmu/mmu.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

struct physmem *physmem_create(uint64_t size, unsigned page_shift)
{
	uint64_t page = 1ull << page_shift;
	if (size == 0 || size % page)
		return NULL;
	struct physmem *pm = calloc(1, sizeof *pm);
	if (!pm)
		return NULL;
	pm->fd = memfd_create("mmusim-phys", MFD_CLOEXEC);
	if (pm->fd < 0)
		goto fail;
	if (ftruncate(pm->fd, (off_t)size) != 0)
		goto fail;
	/* MAP_NORESERVE: frames cost host memory only once touched. */
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, pm->fd, 0);
	if (p == MAP_FAILED)
		goto fail;
	pm->base = p;
	pm->size = size;
	pm->page_shift = page_shift;
	return pm;
fail:
	if (pm->fd >= 0)
		close(pm->fd);
	free(pm);
	return NULL;
}

void physmem_destroy(struct physmem *pm)
{
	if (!pm)
		return;
	munmap(pm->base, pm->size);
	close(pm->fd);
	free(pm);
}

void *physmem_ptr(const struct physmem *pm, uint64_t pa, uint64_t len)
{
	if (pa >= pm->size || len > pm->size - pa)
		return NULL;
	return pm->base + pa;
}

uint64_t physmem_read64(const struct physmem *pm, uint64_t pa)
{
	uint64_t v;
	memcpy(&v, pm->base + pa, sizeof v);
	return v;
}

void physmem_write64(struct physmem *pm, uint64_t pa, uint64_t v)
{
	memcpy(pm->base + pa, &v, sizeof v);
}

void physmem_discard(struct physmem *pm, uint64_t pa, uint64_t len)
{
	if (pa >= pm->size || len > pm->size - pa)
		return;
	if (fallocate(pm->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)pa, (off_t)len) != 0)
		memset(pm->base + pa, 0, len);   /* no hole punching here: zeros all the same */
}
