/* Pipes (fs/pipe.c): a 64 KiB ring per pipe, one open file for each end.
 * A read of an empty pipe with writers left, or a write to a full one with
 * readers left, would sleep: -ERESTARTSYS tells the caller to block the
 * process and retry the call when another has run. No reader left: EPIPE
 * (and SIGPIPE, which the system-call layer raises). */
#include "os/kernel/kernel.h"

#include <stdlib.h>
#include <string.h>

#define PIPE_SIZE 65536u   /* Linux's default: 16 pages of 4 KiB */

struct pipe {
	uint8_t buf[PIPE_SIZE];
	uint32_t head, len;       /* the oldest byte and how many */
	uint32_t readers, writers;  /* open files of each end */
	/* Wakeups (epoll's EPOLLET): of readers by a write or the last writer
	 * gone, of writers by a read of a full pipe or the last reader gone. */
	uint64_t rd_wakeups, wr_wakeups;
};

int os_pipe(struct proc *p, int fds[2])
{
	struct pipe *pp = calloc(1, sizeof *pp);
	struct open_file *r = calloc(1, sizeof *r), *w = calloc(1, sizeof *w);
	if (!pp || !r || !w) {
		free(pp);
		free(r);
		free(w);
		return -ENOMEM;
	}
	*r = (struct open_file){.pipe = pp, .host_fd = -1, .flags = OPEN_READ, .refcount = 1};
	*w = (struct open_file){.pipe = pp, .host_fd = -1, .flags = OPEN_WRITE, .refcount = 1};
	pp->readers = pp->writers = 1;
	fds[0] = fd_install(p, r, 0);
	if (fds[0] < 0) {
		open_file_put(p->k, r);
		open_file_put(p->k, w);
		return fds[0];
	}
	fds[1] = fd_install(p, w, 0);
	if (fds[1] < 0) {
		os_close(p, fds[0]);
		open_file_put(p->k, w);
		return fds[1];
	}
	return 0;
}

/* The last reference to one end's open file is gone. */
void pipe_release(struct open_file *of)
{
	struct pipe *pp = of->pipe;
	if (of->flags & OPEN_READ)
		pp->wr_wakeups += --pp->readers == 0;
	else
		pp->rd_wakeups += --pp->writers == 0;
	if (!pp->readers && !pp->writers)
		free(pp);
}

int64_t pipe_io(struct open_file *of, void *buf, uint64_t len, bool write)
{
	struct pipe *pp = of->pipe;
	uint8_t *b = buf;
	if (!len)
		return 0;
	if (write) {
		if (!pp->readers)
			return -EPIPE;
		if (pp->len == PIPE_SIZE)
			return -ERESTARTSYS;
		uint64_t n = PIPE_SIZE - pp->len < len ? PIPE_SIZE - pp->len : len;
		for (uint64_t i = 0; i < n; i++)
			pp->buf[(pp->head + pp->len + i) % PIPE_SIZE] = b[i];
		pp->len += (uint32_t)n;
		pp->rd_wakeups++;
		return (int64_t)n;
	}
	if (!pp->len)
		return pp->writers ? -ERESTARTSYS : 0;
	uint64_t n = pp->len < len ? pp->len : len;
	pp->wr_wakeups += pp->len == PIPE_SIZE;
	for (uint64_t i = 0; i < n; i++)
		b[i] = pp->buf[(pp->head + i) % PIPE_SIZE];
	pp->head = (uint32_t)((pp->head + n) % PIPE_SIZE);
	pp->len -= (uint32_t)n;
	return (int64_t)n;
}

/* pipe_poll: readable with bytes in it or no writer left (end of file,
 * POLLHUP); writable with room, POLLERR with no reader left. */
unsigned pipe_poll(const struct open_file *of)
{
	const struct pipe *pp = of->pipe;
	if (of->flags & OPEN_READ)
		return (pp->len ? POLL_READABLE : 0) | (pp->writers ? 0 : POLL_HANGUP);
	return (pp->len < PIPE_SIZE ? POLL_WRITABLE : 0) | (pp->readers ? 0 : POLL_ERROR);
}

uint64_t pipe_wakeups(const struct open_file *of, bool readers, bool writers)
{
	const struct pipe *pp = of->pipe;
	return (readers ? pp->rd_wakeups : 0) + (writers ? pp->wr_wakeups : 0);
}
