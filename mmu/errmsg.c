/* One-line error messages (errmsg.h). */
#include "mmu/errmsg.h"

#include <stdio.h>

int errmsg_vset(char *err, size_t errlen, const char *name, long long line, const char *fmt, va_list ap)
{
	if (!err || !errlen)
		return -1;
	int n = !name ? 0
		: line == ERRMSG_NO_LINE ? snprintf(err, errlen, "%s: ", name)
					 : snprintf(err, errlen, "%s:%lld: ", name, line);
	if (n >= 0 && (size_t)n < errlen)
		vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
	for (char *e = err; *e; e++)
		if ((unsigned char)*e < 0x20 || *e == 0x7f)
			*e = '?';
	return -1;
}

void errmsg_print(const char *err)
{
	fprintf(stderr, "mmusim: %s\n", err);
}
