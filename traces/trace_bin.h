/* traces/ internal: the binary trace form's encoder (trace_bin.c), for the
 * trace writer. */
#ifndef MMUSIM_TRACES_TRACE_BIN_H
#define MMUSIM_TRACES_TRACE_BIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "traces/traces.h"

/* Room for the header without its comment's bytes, for the end record, and
 * for any record without its strings' bytes. */
#define BIN_FIXED_MAX 512
/* The longest record a valid trace can hold: what the reader keeps in its
 * buffer before decoding one. */
#define BIN_MAX_RECORD (BIN_FIXED_MAX + 2 * TR_PATH_MAX)

/* The header up to the comment's bytes (which follow it, comment_len of them). */
size_t bin_header(uint8_t *out, enum mmu_arch arch, bool recorded, size_t comment_len);
/* The end record, after `records` records. */
size_t bin_end(uint8_t *out, uint64_t records);
/* The room bin_encode needs for `r`. */
size_t bin_encoded_max(const struct trace_rec *r);
/* Encodes r (accesses relative to last_va, which it updates); returns the length. */
size_t bin_encode(const struct trace_rec *r, uint64_t last_va[2], uint8_t *out);

#endif
