/* One line of a JSON Lines trace (docs/trace-format.md) decoded into a
 * record, the two ways the reader has: trace_line_fast scans the canonical
 * access line alone (what trace_format writes, without allocating) and is
 * tried first; trace_line_decode takes any valid spelling through cJSON and
 * names what is wrong otherwise. Public so that the two can be held to the
 * same answer on the same lines (tests/test_trace.c). */
#ifndef MMUSIM_TRACES_LINE_H
#define MMUSIM_TRACES_LINE_H

#include <stdbool.h>
#include <stddef.h>

#include "traces/traces.h"

/* True with *rec filled when s (len bytes) is a canonical access line;
 * false for anything else, valid or not. */
bool trace_line_fast(const char *s, size_t len, struct trace_rec *rec);
/* 0 with *rec filled, or -1 with the reason in msg (n bytes). The line
 * needs a NUL at line[len]. A record's "path" and "name" are copied to
 * path and name (TR_PATH_MAX + 1 bytes each), where rec points. */
int trace_line_decode(const char *line, size_t len, struct trace_rec *rec, char *path, char *name, char *msg,
		      size_t n);

#endif
