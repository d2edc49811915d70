/* Output files that appear whole under their names or not at all: the
 * same rule as traces/outfile.c (which gui/ may not use: it sits on mmu/
 * only), for the view's PNG frames and GIF. */
#include "gui/internal.h"

#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

FILE *whole_open(const char *path, char *tmp, size_t tmplen)
{
	struct stat st;
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
		/* /dev/null, a FIFO: renaming a file over it would replace the node */
		if (tmplen)
			tmp[0] = '\0';
		return fopen(path, "wb");
	}
	snprintf(tmp, tmplen, "%s.tmp.%d", path, (int)getpid());
	return fopen(tmp, "wb");
}

int whole_commit(FILE *f, const char *tmp, const char *path)
{
	int bad = ferror(f);
	if (fclose(f) || bad || (tmp[0] && rename(tmp, path))) {
		int e = errno ? errno : EIO;
		if (tmp[0])
			remove(tmp);
		errno = e;
		return -1;
	}
	return 0;
}

void whole_abort(FILE *f, const char *tmp)
{
	fclose(f);
	if (tmp[0])
		remove(tmp);
}
