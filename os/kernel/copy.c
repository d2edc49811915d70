/* sendfile and copy_file_range: copies the kernel makes from one
 * descriptor to another (Linux's do_splice_direct, splice_file_to_pipe),
 * with fs/read_write.c's checks in their order. The bytes go a page at a
 * time through pread's and pwrite's own paths (os_pread, os_pwrite): the
 * page cache with its events and the operation hook, RLIMIT_FSIZE,
 * --disk-limit, a pipe's room and its readers. */
#include "os/kernel/syscall.h"

#include <sys/stat.h>

#define MAX_RW_COUNT 0x7ffff000ull   /* INT_MAX & PAGE_MASK: the most one call moves */

/* Up to len bytes of in_fd from *in_off to out_fd at *out_off (a pipe or
 * a stream ignores it), both offsets moved on by what went: the bytes
 * moved, or the first piece's error. A piece the writer takes only in part
 * (a pipe with less room, a disk that fills) ends the copy; the reader's
 * offset follows the writer, so nothing read and not written is lost. */
static int64_t copy_pieces(struct proc *p, int in_fd, uint64_t *in_off, int out_fd, uint64_t *out_off, uint64_t len)
{
	uint8_t chunk[4096];
	uint64_t done = 0;
	while (done < len) {
		uint64_t n = len - done < sizeof chunk ? len - done : sizeof chunk;
		int64_t got = os_pread(p, in_fd, chunk, n, *in_off);
		int64_t put = got > 0 ? os_pwrite(p, out_fd, chunk, (uint64_t)got, *out_off) : got;
		if (put <= 0)
			return done ? (int64_t)done : put;
		*in_off += (uint64_t)put;
		*out_off += (uint64_t)put;
		done += (uint64_t)put;
		if (put < got || (uint64_t)got < n)
			break;
	}
	return (int64_t)done;
}

/* A regular file to the guest: one with pages, or a /proc file. */
static bool regular(const struct open_file *of)
{
	return of->inode || of->proc;
}

/* rw_verify_area: a negative offset, a count past SSIZE_MAX, or an end
 * past the largest offset. */
static bool bad_area(int64_t pos, uint64_t count)
{
	return (int64_t)count < 0 || pos < 0 || (int64_t)((uint64_t)pos + count) < 0;
}

/* do_sendfile's checks of both ends, once each descriptor is known to be
 * open for its direction: to a pipe, splice_file_to_pipe (no reader:
 * EPIPE) and a source it can read (a file: EINVAL for a pipe, a stream or
 * a directory); to anything else, do_splice_direct (O_APPEND: EINVAL)
 * from a regular file into a file or a stream. */
static int64_t sendfile_ends(const struct open_file *in, const struct open_file *out)
{
	if (out->pipe)
		return !(pipe_poll(out) & POLL_ERROR) ? (regular(in) ? 0 : -EINVAL) : -EPIPE;
	if (out->flags & OPEN_APPEND)
		return -EINVAL;
	return regular(in) && (out->inode || (!out->proc && !out->epoll)) ? 0 : -EINVAL;
}

/* sendfile with the offset already read (ppos NULL: in_fd's position).
 * A pipe, or a stream (a terminal, mmusim's own standard input), cannot
 * be read at an offset: ESPIPE when one is given. */
static int64_t sendfile_at(struct proc *p, int out_fd, int in_fd, int64_t *ppos, uint64_t count)
{
	struct open_file *in = fd_get(p, in_fd);
	if (!in || !(in->flags & OPEN_READ))
		return -EBADF;
	if (ppos && !(regular(in) || in->dir))
		return -ESPIPE;
	int64_t pos = ppos ? *ppos : (int64_t)in->pos;
	if (bad_area(pos, count))
		return -EINVAL;
	count = count < MAX_RW_COUNT ? count : MAX_RW_COUNT;
	struct open_file *out = fd_get(p, out_fd);
	if (!out || !(out->flags & OPEN_WRITE))
		return -EBADF;
	int64_t rc = sendfile_ends(in, out);
	if (rc || !count)
		return rc;
	uint64_t in_off = (uint64_t)pos, out_off = out->pos;
	rc = copy_pieces(p, in_fd, &in_off, out_fd, &out_off, count);
	if (rc <= 0)
		return rc;
	if (out->inode)
		out->pos = out_off;
	if (ppos)
		*ppos = (int64_t)in_off;
	else
		in->pos = in_off;
	return rc;
}

/* sendfile(out_fd, in_fd, offset, count): with an offset, in_fd's own
 * position stays and *offset moves; *offset is written back whatever the
 * answer (EFAULT then, though the bytes went), except while the call
 * sleeps on a full pipe and will be made again. */
static void sys_sendfile(struct proc *p, const uint64_t a[6], struct sys_result *r)
{
	int64_t pos = 0;
	if (a[2] && os_copy_from_user(p->k, &pos, a[2], sizeof pos)) {
		r->ret = -EFAULT;
		return;
	}
	rw_result(p, r, sendfile_at(p, (int)a[0], (int)a[1], a[2] ? &pos : NULL, a[3]));
	if (a[2] && !(r->action == SYSA_BLOCK && !os_signal_pending(p)) && put_user(p->k, a[2], &pos, sizeof pos))
		r->ret = -EFAULT;
}

/* The file system a file is on, as its stat's st_dev says (a pipe: the
 * one pipefs; a /proc file: procfs, another). */
static bool same_fs(const struct open_file *a, const struct open_file *b)
{
	if (a->pipe || b->pipe || a->proc || b->proc)
		return (a->pipe && b->pipe) || (a->proc && b->proc);
	struct stat sa, sb;
	if (a->inode && b->inode)
		return a->inode->dev == b->inode->dev;
	return !fstat(a->dir ? a->dir_fd : a->inode ? a->inode->host_fd : a->host_fd, &sa) &&
	       !fstat(b->dir ? b->dir_fd : b->inode ? b->inode->host_fd : b->host_fd, &sb) && sa.st_dev == sb.st_dev;
}

/* generic_copy_file_checks and both rw_verify_area calls, in their order:
 * regular files on one file system (/proc is another, and host files on
 * two devices are on two, as stat shows), read from and written to (not
 * O_APPEND); len cut at the end of the input; no overlap within one file. */
static int64_t copy_file_checks(const struct open_file *in, int64_t pos_in, const struct open_file *out,
				int64_t pos_out, uint64_t *len)
{
	if (in->dir || out->dir)
		return -EISDIR;
	if (!regular(in) || !regular(out))
		return -EINVAL;
	if (!(in->flags & OPEN_READ) || !(out->flags & OPEN_WRITE) || (out->flags & OPEN_APPEND))
		return -EBADF;
	if (!same_fs(in, out))
		return -EXDEV;
	uint64_t count = *len;
	if ((uint64_t)pos_in + count < (uint64_t)pos_in || (uint64_t)pos_out + count < (uint64_t)pos_out)
		return -EOVERFLOW;
	int64_t size = in->inode ? (int64_t)in->inode->size : 0;   /* a /proc file's i_size is 0 */
	count = pos_in >= size ? 0 : count < (uint64_t)(size - pos_in) ? count : (uint64_t)(size - pos_in);
	if (in->inode && in->inode == out->inode && (uint64_t)pos_out + count > (uint64_t)pos_in &&
	    (uint64_t)pos_out < (uint64_t)pos_in + count)
		return -EINVAL;
	if (bad_area(pos_in, count) || bad_area(pos_out, count))
		return -EINVAL;
	*len = count;
	return 0;
}

/* copy_file_range(fd_in, off_in, fd_out, off_out, len, flags): 0 at the
 * end of the input. An offset given moves in its place (written back,
 * EFAULT if it cannot be), else the descriptor's position does. */
static int64_t sys_copy_file_range(struct proc *p, const uint64_t a[6])
{
	struct kernel *k = p->k;
	int fd_in = (int)a[0], fd_out = (int)a[2];
	uint64_t off_in = a[1], off_out = a[3], len = a[4];
	struct open_file *in = fd_get(p, fd_in), *out = in ? fd_get(p, fd_out) : NULL;
	if (!in || !out)
		return -EBADF;
	int64_t pos_in = (int64_t)in->pos, pos_out = (int64_t)out->pos;
	if ((off_in && os_copy_from_user(k, &pos_in, off_in, sizeof pos_in)) ||
	    (off_out && os_copy_from_user(k, &pos_out, off_out, sizeof pos_out)))
		return -EFAULT;
	if ((uint32_t)a[5])
		return -EINVAL;
	int64_t rc = copy_file_checks(in, pos_in, out, pos_out, &len);
	if (rc || !len)
		return rc;
	uint64_t oi = (uint64_t)pos_in, oo = (uint64_t)pos_out;
	rc = copy_pieces(p, fd_in, &oi, fd_out, &oo, len < MAX_RW_COUNT ? len : MAX_RW_COUNT);
	if (rc <= 0)
		return rc;
	if (!off_in)
		in->pos = oi;
	else if (put_user(k, off_in, &oi, sizeof oi))
		rc = -EFAULT;
	if (!off_out)
		out->pos = oo;
	else if (put_user(k, off_out, &oo, sizeof oo))
		rc = -EFAULT;
	return rc;
}

int64_t file_clone(struct proc *p, int dst_fd, int src_fd)
{
	struct open_file *out = fd_get(p, dst_fd), *in = out ? fd_get(p, src_fd) : NULL;
	if (!in || !out)
		return -EBADF;
	if (!same_fs(in, out))
		return -EXDEV;
	if (in->dir || out->dir)
		return -EISDIR;
	if (!in->inode || !out->inode)
		return -EINVAL;
	if (!(in->flags & OPEN_READ) || !(out->flags & OPEN_WRITE) || (out->flags & OPEN_APPEND))
		return -EBADF;
	return -EOPNOTSUPP;   /* the model's files share no extents: ext4's answer */
}

bool copy_syscall(struct proc *p, enum sys s, const uint64_t a[6], struct sys_result *r)
{
	switch (s) {
	case S_SENDFILE: sys_sendfile(p, a, r); break;
	case S_COPY_FILE_RANGE: r->ret = sys_copy_file_range(p, a); break;
	default: return false;
	}
	return true;
}
