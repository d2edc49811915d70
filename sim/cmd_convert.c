/* mmusim convert --from lackey [--arch ARCH] IN OUT: other tools' traces
 * to mmusim's. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "traces.h"

int cmd_convert(int argc, char **argv)
{
	const char *from = NULL, *arch = "x86-64", *in = NULL, *out = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--from") || !strcmp(argv[i], "--arch")) {
			if (i + 1 == argc)
				return usage_error("%s needs a value", argv[i]);
			*(!strcmp(argv[i], "--from") ? &from : &arch) = argv[i + 1];
			i++;
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
	if (!from)
		return usage_error("convert needs --from (lackey)");
	if (strcmp(from, "lackey"))
		return usage_error("cannot convert from '%s' (lackey)", from);
	if (strcmp(arch, "x86-64") && strcmp(arch, "aarch64"))
		return usage_error("--arch must be x86-64 or aarch64, not '%s'", arch);
	if (!in || !out)
		return usage_error("convert needs an input file and an output file (- for standard output)");
	char err[512];
	if (lackey_convert(in, out, !strcmp(arch, "x86-64") ? ARCH_X86_64 : ARCH_AARCH64, err, sizeof err)) {
		fprintf(stderr, "mmusim: %s\n", err);
		return 2;
	}
	return 0;
}
