/* mmusim convert --from lackey [--arch ARCH] IN OUT: other tools' traces
 * to mmusim's.
 * mmusim convert --to binary|jsonl IN OUT: a trace (either form) to the
 * compact binary form or to canonical JSON Lines, record for record. */
#include <stdio.h>
#include <string.h>

#include "sim/commands.h"
#include "traces/traces.h"
#include "mmu/errmsg.h"

/* Every record of `in` to `out` in the form asked for; the header's arch,
 * comment and "recorded" go along. */
static int convert_trace(const char *in, const char *out, bool binary)
{
	char err[512];
	struct trace_reader *r = trace_open(in, err, sizeof err);
	if (!r) {
		errmsg_print(err);
		return 2;
	}
	enum mmu_arch arch = trace_arch(r);
	const char *comment = trace_comment(r);
	struct trace_writer *w = binary ? trace_create_binary(out, arch, comment, trace_recorded(r), err, sizeof err)
			       : trace_recorded(r) ? trace_create_recorded(out, arch, comment, err, sizeof err)
						   : trace_create(out, arch, comment, err, sizeof err);
	if (!w) {
		errmsg_print(err);
		trace_close(r);
		return 1;
	}
	struct trace_rec rec;
	int rc;
	while ((rc = trace_next(r, &rec, err, sizeof err)) == 1)
		trace_write(w, &rec);
	trace_close(r);
	if (rc < 0) {
		errmsg_print(err);
		trace_abort(w);
		return 2;
	}
	if (trace_finish(w, err, sizeof err)) {
		errmsg_print(err);
		return 1;
	}
	return 0;
}

int cmd_convert(int argc, char **argv)
{
	const char *from = NULL, *to = NULL, *arch = NULL, *in = NULL, *out = NULL;
	for (int i = 1; i < argc; i++) {
		const char **value = !strcmp(argv[i], "--from") ? &from
				     : !strcmp(argv[i], "--to") ? &to
				     : !strcmp(argv[i], "--arch") ? &arch
								  : NULL;
		if (value) {
			if (i + 1 == argc)
				return usage_error("%s needs a value", argv[i]);
			*value = argv[++i];
		} else if (argv[i][0] == '-' && argv[i][1]) {
			return usage_error("unknown option '%s' for convert", argv[i]);
		} else if (!in) {
			in = argv[i];
		} else if (!out) {
			out = argv[i];
		} else {
			return usage_error("convert takes an input and an output, not '%s' too", argv[i]);
		}
	}
	if (!from == !to)
		return usage_error("convert needs --from lackey or --to binary|jsonl, not both");
	if (from && strcmp(from, "lackey"))
		return usage_error("cannot convert from '%s' (lackey)", from);
	if (to && strcmp(to, "binary") && strcmp(to, "jsonl"))
		return usage_error("cannot convert to '%s' (binary, jsonl)", to);
	if (to && arch)
		return usage_error("--arch goes with --from lackey: a trace names its own architecture");
	enum mmu_arch machine = ARCH_X86_64;
	if (arch && !mmu_arch_by_name(arch, &machine))
		return usage_error("--arch must be x86-64 or aarch64, not '%s'", arch);
	if (!in || !out)
		return usage_error("convert needs an input file and an output file (- for standard output)");
	if (to)
		return convert_trace(in, out, !strcmp(to, "binary"));
	char err[512];
	if (lackey_convert(in, out, machine, err, sizeof err)) {
		errmsg_print(err);
		return 2;
	}
	return 0;
}
