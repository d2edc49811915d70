#include "tests/fuzz/fuzz_kernel.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>

#include "presets/preset.h"

static char root_dir[] = "/tmp/mmusim-fuzz-XXXXXX";

static int remove_one(const char *path, const struct stat *st, int type, struct FTW *f)
{
	(void)st, (void)type, (void)f;
	return remove(path);
}

/* The files replayed traces made go when the fuzzer exits. */
static void remove_root(void) { nftw(root_dir, remove_one, 16, FTW_DEPTH | FTW_PHYS); }

static const char *sandbox_root(void)
{
	static bool made;
	if (!made) {
		if (!mkdtemp(root_dir)) {
			perror("mkdtemp");
			abort();
		}
		atexit(remove_root);
		made = true;
	}
	return root_dir;
}

struct kernel *fuzz_kernel(enum mmu_arch arch)
{
	struct preset p;
	char err[512];
	if (preset_load(arch == ARCH_AARCH64 ? "cortex-a76" : "skylake", &p, err, sizeof err)) {
		fprintf(stderr, "%s\n", err);
		abort();
	}
	p.mmu.phys_size = 16ull << 20;
	struct os_config oc;
	os_config_default(&oc);
	oc.swap_bytes = 16ull << 20;
	struct kernel *k = kernel_create(&p.mmu, &oc, err, sizeof err);
	if (!k || os_set_root(k, sandbox_root(), err, sizeof err)) {
		fprintf(stderr, "fuzz kernel: %s\n", err);
		abort();
	}
	return k;
}
