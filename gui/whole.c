/* Output files that appear whole under their names or not at all: the
 * same rule as traces/outfile.c (which gui/ may not use: it sits on mmu/
 * only), for the view's PNG frames and GIF. */
#include "gui/internal.h"

#include <errno.h>
#include <stdio.h>
#include <unistd.h>

FILE *whole_open(const char *path, char *tmp, size_t tmplen)
{
	snprintf(tmp, tmplen, "%s.tmp.%d", path, (int)getpid());
	return fopen(tmp, "wb");
}

int whole_commit(FILE *f, const char *tmp, const char *path)
{
	int bad = ferror(f);
	if (fclose(f) || bad || rename(tmp, path)) {
		int e = errno ? errno : EIO;
		remove(tmp);
		errno = e;
		return -1;
	}
	return 0;
}

void whole_abort(FILE *f, const char *tmp)
{
	fclose(f);
	remove(tmp);
}
