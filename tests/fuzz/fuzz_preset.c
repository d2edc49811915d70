/* libFuzzer harness: the machine-preset parser (sim/preset.c), as
 * `--preset FILE` reads a user's JSON. Any input must either give a preset
 * or a one-line error; never a crash, a leak or undefined behaviour. */
#include <stdio.h>
#include <string.h>

#include "tests/fuzz/fuzz_input.h"
#include "presets/preset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct preset p;
	char err[512];
	err[0] = 0;
	if (preset_parse(fuzz_input_string(data, size), "fuzz.json", &p, err, sizeof err) && (!err[0] || strchr(err, '\n')))
		__builtin_trap();   /* an error must say what is wrong, in one line */
	return 0;
}
