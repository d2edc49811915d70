/* The benchmarks that run guests run them in a scratch directory, not
 * where they were started (often the source tree): a guest makes files in
 * its working directory (file_read's data.bin, file_shared's shared.bin). */
#ifndef MMUSIM_BENCH_SCRATCH_H
#define MMUSIM_BENCH_SCRATCH_H

#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char scratch_dir[PATH_MAX];

static inline int scratch_remove_one(const char *path, const struct stat *st, int type, struct FTW *f)
{
	(void)st, (void)type, (void)f;
	return remove(path);
}

static inline void scratch_remove(void)
{
	if (chdir("/") == 0)
		nftw(scratch_dir, scratch_remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* `path` as seen from where the benchmark started, for use after
 * scratch_enter (kept as given when it does not exist: its user says so). */
static inline const char *scratch_absolute(const char *path)
{
	char *abs = realpath(path, NULL);
	return abs ? abs : path;
}

/* A fresh directory in $TMPDIR (or /tmp), made the working directory and
 * removed at exit: 0, or -1 after a message naming `prog`. */
static inline int scratch_enter(const char *prog)
{
	const char *tmp = getenv("TMPDIR");
	snprintf(scratch_dir, sizeof scratch_dir, "%s/%s-XXXXXX", tmp && *tmp ? tmp : "/tmp", prog);
	if (!mkdtemp(scratch_dir) || chdir(scratch_dir)) {
		fprintf(stderr, "%s: cannot make a scratch directory %s: %m\n", prog, scratch_dir);
		return -1;
	}
	atexit(scratch_remove);
	return 0;
}

#endif
