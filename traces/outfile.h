/* An output file that appears whole or not at all. Data
 * goes through a large buffer to a nameless file in path's directory
 * (O_TMPFILE: a guest running in that directory cannot see, overwrite or
 * delete it), or to "<path>.tmp.<pid>" where the file system has no
 * O_TMPFILE; outfile_commit links it as "<path>.tmp.<pid>" and renames
 * that onto `path` (a name the guest took meanwhile, such as a directory,
 * is an error naming where the output was kept); outfile_abort drops it. "-" writes to standard output
 * and "/dev/fd/N" to descriptor N (streams: nothing to rename; abort just
 * drops what is still buffered). Write errors
 * are kept and reported by outfile_commit, so writers need not check each
 * call. Used by the trace writer, the event-log writer and sim/'s outputs
 * (the sweep's CSV and plot): one mechanism for every output file; gui/,
 * which sits on mmu/ only, has its own (gui/whole.c). */
#ifndef MMUSIM_OUTFILE_H
#define MMUSIM_OUTFILE_H

#include <stddef.h>

struct outfile;

/* NULL on error: err gets "PATH: reason". */
struct outfile *outfile_open(const char *path, char *err, size_t errlen);
/* 0, or -1 once a write has failed (the error is kept for outfile_commit). */
int outfile_write(struct outfile *o, const void *data, size_t len);
/* Marks the file failed with errno `errnum` (a writer's own trouble, such as
 * memory), as a failed write would: outfile_commit reports it. */
void outfile_fail(struct outfile *o, int errnum);
int outfile_printf(struct outfile *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Flushes, closes and renames into place; frees o. 0, or -1 with err filled
 * and the temporary file removed. */
int outfile_commit(struct outfile *o, char *err, size_t errlen);
/* Removes the temporary file; frees o. */
void outfile_abort(struct outfile *o);

#endif
