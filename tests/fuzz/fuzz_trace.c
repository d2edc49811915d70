/* libFuzzer harness: the trace reader (traces/trace_read.c) and replay
 * (traces/replay.c), as `mmusim replay FILE` uses them. Every record is
 * read; a trace that reads whole is then replayed on a small machine.
 *
 * The reader is reached only through trace_open, which decides the format
 * from the file's first byte: JSON Lines and the binary form alike (seeds of
 * both in corpus/trace/: *.jsonl and *.mtr); a form added later is fuzzed
 * by this same harness once trace_open knows it and seeds of it are there. */
#include <stdio.h>
#include <string.h>

#include "tests/fuzz/fuzz_input.h"
#include "tests/fuzz/fuzz_kernel.h"
#include "traces/traces.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* 1: the whole trace reads; 0: it is refused (with a one-line error). */
static int read_all(const char *path, enum mmu_arch *arch)
{
	char err[512] = "";
	struct trace_reader *r = trace_open(path, err, sizeof err);
	if (!r) {
		if (!err[0] || strchr(err, '\n'))
			__builtin_trap();
		return 0;
	}
	*arch = trace_arch(r);
	struct trace_rec rec;
	int rc;
	while ((rc = trace_next(r, &rec, err, sizeof err)) == 1)
		;
	trace_close(r);
	if (rc < 0 && (!err[0] || strchr(err, '\n')))
		__builtin_trap();
	return rc == 0;
}

static void replay_all(const char *path, enum mmu_arch arch)
{
	char err[512];
	struct trace_reader *r = trace_open(path, err, sizeof err);
	if (!r)
		__builtin_trap();   /* it opened a moment ago */
	struct kernel *k = fuzz_kernel(arch);
	struct replay_result res = {0};   /* no progress callback */
	replay(k, r, "fuzz", NULL, &res, err, sizeof err);
	trace_close(r);
	kernel_destroy(k);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_input_path(data, size);
	enum mmu_arch arch;
	if (read_all(path, &arch))
		replay_all(path, arch);
	return 0;
}
