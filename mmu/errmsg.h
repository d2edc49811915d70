/* One-line error messages, here because every layer writes them and mmu/
 * is the layer every other may use. A reader or loader that fails says why in its
 * caller's buffer (err, errlen) as "NAME:LINE: what" or "NAME: what"; the
 * command line prints that after "mmusim: ". Both halves are here, once:
 * each reader's fail(fmt, ...) hands its arguments to errmsg_vset. */
#ifndef MMUSIM_MMU_ERRMSG_H
#define MMUSIM_MMU_ERRMSG_H

#include <stdarg.h>
#include <stddef.h>

/* For errmsg_vset's `line` when the message names no line. */
#define ERRMSG_NO_LINE (-1LL)

/* "NAME:LINE: message" into err ("NAME: message" with ERRMSG_NO_LINE, the
 * message alone with no NAME), cut
 * to errlen bytes. Control characters become '?': the message quotes its
 * input, and a newline there must not break the one line. Returns -1. */
int errmsg_vset(char *err, size_t errlen, const char *name, long long line, const char *fmt, va_list ap)
	__attribute__((format(printf, 5, 0)));

/* "mmusim: ERR" on standard error. */
void errmsg_print(const char *err);

#endif
