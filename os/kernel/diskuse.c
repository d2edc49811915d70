/* The guest's names on the host disk, counted against --disk-limit (the
 * memory manager's diskquota.c counts its files' data): the sandbox
 * measures what mkdir, symlink and link take and hands over each file
 * whose last name goes. */
#include "os/kernel/kernel.h"
#include "os/kernel/sandbox.h"

#include <sys/stat.h>

static void names_grew(void *ctx, int64_t bytes)
{
	disk_charge(ctx, bytes);
}

/* A file's last name went: its blocks are free now, unless we hold its
 * host descriptor: then they go with it (pagecache.c's release_host_fd
 * credits them), at once when only dirty pages kept it. The kernel's
 * inode goes too, pages and all, with its last user. */
static void name_gone(void *ctx, const struct stat *st)
{
	struct kernel *k = ctx;
	struct inode *i = S_ISREG(st->st_mode) ? inode_lookup(k, st) : NULL;
	if (!i || i->host_fd < 0)
		disk_charge(k, -(int64_t)st->st_blocks * 512);
	if (i)
		inode_unlinked(k, i);
}

static bool disk_full(void *ctx)
{
	struct kernel *k = ctx;
	if (disk_room(k))
		return false;
	disk_full_note(k);
	return true;
}

void sandbox_measure(struct kernel *k, struct sandbox *sb)
{
	sandbox_set_usage(sb, &(struct sandbox_usage){names_grew, name_gone, disk_full, k});
}
