/* The bound on what a guest adds to the host disk under its root (--disk-limit,
 * os_config.disk_limit): bytes of host blocks, as st_blocks counts them,
 * measured before and after each operation that can allocate or free them
 * (a write's reservation, a writeback, a truncation, a file's last name or
 * last descriptor going, a new directory). Net: what the guest frees,
 * files it found there included, is credited back. Past the bound a write
 * is cut short at the last block that fits, then fails with ENOSPC, as
 * generic_perform_write on a full file system does. */
#include "os/mm/mm.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

int64_t host_allocated(int fd)
{
	struct stat st;
	return fd >= 0 && fstat(fd, &st) == 0 ? (int64_t)st.st_blocks * 512 : 0;
}

uint64_t disk_room(const struct kernel *k)
{
	uint64_t limit = k->cfg.disk_limit;
	if (limit == DISK_UNLIMITED)
		return UINT64_MAX;
	return k->disk_used < 0 || (uint64_t)k->disk_used < limit ? limit - (uint64_t)k->disk_used : 0;
}

void disk_charge(struct kernel *k, int64_t bytes)
{
	k->disk_used += bytes;
}

void disk_full_note(struct kernel *k)
{
	if (k->disk_noted)
		return;
	k->disk_noted = true;
	fprintf(stderr, "mmusim: the guest's files took the --disk-limit of %llu MiB on the host disk: ENOSPC from here on\n",
		(unsigned long long)(k->cfg.disk_limit >> 20));
}

static uint64_t round_down(uint64_t v, uint64_t blk) { return v / blk * blk; }
static uint64_t round_up(uint64_t v, uint64_t blk) { return (v + blk - 1) / blk * blk; }

/* The holes of [off, end) in the host file, block by block (SEEK_HOLE and
 * SEEK_DATA; a file system without them has no holes but past its end):
 * how far from off a write can go before its new blocks exceed `room`.
 * ext4 reports blocks reserved but not yet written (fallocate) as holes:
 * they count as new then, so the cut is early, never late. */
static uint64_t fit_in_holes(int fd, uint64_t off, uint64_t end, uint64_t room, uint64_t blk, uint64_t size)
{
	uint64_t pos = off, need = 0;
	while (pos < end) {
		off_t h = pos >= size ? (off_t)pos : lseek(fd, (off_t)pos, SEEK_HOLE);
		uint64_t hole = h < 0 ? size : (uint64_t)h;
		if (hole < pos)
			hole = pos;
		if (hole >= end)
			break;
		off_t d = hole >= size ? -1 : lseek(fd, (off_t)hole, SEEK_DATA);
		uint64_t data = d < 0 || (uint64_t)d > end ? end : (uint64_t)d;
		/* The block holding a file's last, partial byte is allocated. */
		uint64_t hs = hole == size ? round_up(hole, blk) : round_down(hole, blk);
		uint64_t he = round_up(data, blk);
		if (he > hs) {
			if (need + (he - hs) > room) {
				uint64_t cut = hs + (room - need) / blk * blk;
				return cut > off ? cut - off : 0;
			}
			need += he - hs;
		}
		if (data <= pos)
			break;
		pos = data;
	}
	return end - off;
}

uint64_t disk_fit(struct kernel *k, int fd, uint64_t off, uint64_t len)
{
	uint64_t room = disk_room(k);
	struct stat st;
	if (room == UINT64_MAX || fstat(fd, &st))
		return len;
	uint64_t blk = st.st_blksize > 0 ? (uint64_t)st.st_blksize : 4096;
	/* Every block the write spans, new: the usual case, nothing to look up. */
	if (round_up(off + len, blk) - round_down(off, blk) <= room)
		return len;
	return fit_in_holes(fd, off, off + len, room, blk, (uint64_t)st.st_size);
}
