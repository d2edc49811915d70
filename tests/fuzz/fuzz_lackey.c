/* libFuzzer harness: the valgrind-lackey log converter (traces/lackey.c,
 * `mmusim convert`). The converted trace, when there is one, is read back
 * with the trace reader: what the converter writes must be a valid trace. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz_input.h"
#include "traces/traces.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void read_back(const char *path)
{
	char err[512];
	struct trace_reader *r = trace_open(path, err, sizeof err);
	if (!r)
		__builtin_trap();
	struct trace_rec rec;
	int rc;
	while ((rc = trace_next(r, &rec, err, sizeof err)) == 1)
		;
	trace_close(r);
	if (rc < 0) {
		fprintf(stderr, "converted trace does not read back: %s\n", err);
		__builtin_trap();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	/* The first byte picks the architecture (its page size for the ranges). */
	enum mmu_arch arch = data[0] & 1 ? ARCH_AARCH64 : ARCH_X86_64;
	const char *in = fuzz_input_path(data + 1, size - 1);
	const char *out = fuzz_output_path();
	char err[512];
	if (!lackey_convert(in, out, arch, err, sizeof err))
		read_back(out);
	return 0;
}
