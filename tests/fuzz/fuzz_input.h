/* Shared by the libFuzzer harnesses: the readers under test take a file
 * path, so each input is put in a memfd and named by /proc/self/fd/N (no
 * disk traffic, no temporary files left behind by a crash). */
#ifndef MMUSIM_FUZZ_INPUT_H
#define MMUSIM_FUZZ_INPUT_H

#include <stddef.h>
#include <stdint.h>

/* A path whose content is exactly data[0..size). The same memfd is reused
 * by every call (its size is reset). The path stays valid until the next call. */
const char *fuzz_input_path(const uint8_t *data, size_t size);

/* data as a NUL-terminated string (freed at the next call). */
const char *fuzz_input_string(const uint8_t *data, size_t size);

/* A second, empty memfd path for a reader's output. */
const char *fuzz_output_path(void);

#endif
