/* Output files written nameless (O_TMPFILE) or to a temporary name, and
 * renamed into place on commit (outfile.h). Buffered by hand on a raw descriptor, so every write error is
 * seen and kept. */
#include "traces/outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define OUTFILE_BUF (1u << 20)

struct outfile {
	int fd;
	bool is_stdout;   /* written in place, nothing to rename: stdout, a pipe, a device */
	bool owns_fd;     /* in place, but opened here: closed on commit */
	int error;        /* errno of the first failed write, 0 if none */
	char *path;       /* the final name */
	char *tmp;        /* the temporary name (NULL for stdout) */
	bool anon;        /* an O_TMPFILE: no name until the commit links it */
	char *buf;
	size_t used;
};

static void set_err(char *err, size_t errlen, const char *path, const char *what, int e)
{
	if (err && errlen)
		snprintf(err, errlen, "%s: %s%s", path, what, strerror(e));
}

static void free_outfile(struct outfile *o)
{
	free(o->path);
	free(o->tmp);
	free(o->buf);
	free(o);
}

static void write_all(struct outfile *o, const char *p, size_t len)
{
	if (o->error)
		return;
	if (o->is_stdout)
		fflush(stdout);  /* keep order with anything printed through stdio */
	while (len) {
		ssize_t n = write(o->fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			o->error = errno;
			return;
		}
		p += n;
		len -= (size_t)n;
	}
}

void outfile_fail(struct outfile *o, int errnum)
{
	if (!o->error)
		o->error = errnum;
}

static void flush_buf(struct outfile *o)
{
	write_all(o, o->buf, o->used);
	o->used = 0;
}

/* An O_TMPFILE in path's directory, or -1 (a file system without them, or
 * no /proc to link it through at the end). */
static int open_anonymous(const char *path)
{
	if (access("/proc/self/fd", X_OK))
		return -1;
	const char *slash = strrchr(path, '/');
	char *dir = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path)) : strdup(".");
	int fd = dir ? open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0666) : -1;
	free(dir);
	return fd;
}

/* Gives an O_TMPFILE the temporary name (replacing whatever is there: the
 * guest may have put something at it). */
static int link_anonymous(struct outfile *o)
{
	char proc[64];
	snprintf(proc, sizeof proc, "/proc/self/fd/%d", o->fd);
	unlink(o->tmp);
	return linkat(AT_FDCWD, proc, AT_FDCWD, o->tmp, AT_SYMLINK_FOLLOW);
}

struct outfile *outfile_open(const char *path, char *err, size_t errlen)
{
	struct outfile *o = calloc(1, sizeof *o);
	if (!o) {
		set_err(err, errlen, path, "", ENOMEM);
		return NULL;
	}
	o->fd = -1;
	o->path = strdup(path);
	o->buf = malloc(OUTFILE_BUF);
	if (!o->path || !o->buf) {
		set_err(err, errlen, path, "", ENOMEM);
		free_outfile(o);
		return NULL;
	}
	if (!strcmp(path, "-") || !strncmp(path, "/dev/fd/", 8)) {
		/* a stream (the live view's pipe): written as is, nothing to rename */
		o->is_stdout = true;
		o->fd = path[0] == '-' ? STDOUT_FILENO : atoi(path + 8);
		fflush(stdout);
		return o;
	}
	struct stat st;
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
		/* /dev/null, a FIFO: renaming a file over it would replace the node */
		o->is_stdout = o->owns_fd = true;
		o->fd = open(path, O_WRONLY | O_CLOEXEC);
		if (o->fd < 0) {
			set_err(err, errlen, path, "", errno);
			free_outfile(o);
			return NULL;
		}
		return o;
	}
	size_t n = strlen(path) + 32;
	o->tmp = malloc(n);
	if (!o->tmp) {
		set_err(err, errlen, path, "", ENOMEM);
		free_outfile(o);
		return NULL;
	}
	snprintf(o->tmp, n, "%s.tmp.%ld", path, (long)getpid());
	/* Nameless until complete, where the file system allows: the guest
	 * runs in the directory the outputs often go to (the default root),
	 * and a named temporary file is one it could overwrite or delete. */
	o->fd = open_anonymous(path);
	o->anon = o->fd >= 0;
	if (!o->anon) {
		/* A leftover of an earlier process with our pid is ours to replace. */
		unlink(o->tmp);
		o->fd = open(o->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
	}
	if (o->fd < 0) {
		set_err(err, errlen, path, "", errno);
		free_outfile(o);
		return NULL;
	}
	return o;
}

int outfile_write(struct outfile *o, const void *data, size_t len)
{
	if (len <= OUTFILE_BUF - o->used) {
		memcpy(o->buf + o->used, data, len);
		o->used += len;
		return o->error ? -1 : 0;
	}
	flush_buf(o);
	if (len < OUTFILE_BUF) {
		memcpy(o->buf, data, len);
		o->used = len;
	} else {
		write_all(o, data, len);
	}
	return o->error ? -1 : 0;
}

int outfile_printf(struct outfile *o, const char *fmt, ...)
{
	va_list ap;
	if (OUTFILE_BUF - o->used < 4096)
		flush_buf(o);
	size_t room = OUTFILE_BUF - o->used;
	va_start(ap, fmt);
	int n = vsnprintf(o->buf + o->used, room, fmt, ap);
	va_end(ap);
	if (n < 0) {
		o->error = o->error ? o->error : EINVAL;
		return -1;
	}
	if ((size_t)n < room) {
		o->used += (size_t)n;
		return o->error ? -1 : 0;
	}
	/* Longer than the free space: format into a block of its own. */
	char *big = malloc((size_t)n + 1);
	if (!big) {
		o->error = o->error ? o->error : ENOMEM;
		return -1;
	}
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	int rc = outfile_write(o, big, (size_t)n);
	free(big);
	return rc;
}

int outfile_commit(struct outfile *o, char *err, size_t errlen)
{
	flush_buf(o);
	int rc = 0;
	if (o->error) {
		set_err(err, errlen, o->path, "write error: ", o->error);
		rc = -1;
	}
	if (o->is_stdout) {
		if (o->owns_fd && close(o->fd) && !rc) {
			set_err(err, errlen, o->path, "write error: ", errno);
			rc = -1;
		}
		free_outfile(o);
		return rc;
	}
	if (!rc && o->anon && link_anonymous(o)) {
		set_err(err, errlen, o->path, "", errno);
		rc = -1;
	}
	if (close(o->fd) && !rc) {
		set_err(err, errlen, o->path, "write error: ", errno);
		rc = -1;
	}
	if (!rc && rename(o->tmp, o->path)) {
		/* The name was taken meanwhile (a directory the guest made
		 * there): the output is kept under the temporary name. */
		if (err && errlen)
			snprintf(err, errlen, "%s: %s; the output is in %s", o->path, strerror(errno), o->tmp);
		free_outfile(o);
		return -1;
	}
	if (rc)
		unlink(o->tmp);
	free_outfile(o);
	return rc;
}

void outfile_abort(struct outfile *o)
{
	if (!o)
		return;
	if (!o->is_stdout) {
		close(o->fd);
		if (!o->anon)   /* an O_TMPFILE goes with its descriptor */
			unlink(o->tmp);
	} else if (o->owns_fd) {
		close(o->fd);
	}
	free_outfile(o);
}
