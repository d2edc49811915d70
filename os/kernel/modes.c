/* Mode bits the host never gets. A guest may ask for any mode, as an
 * unprivileged Linux user may on its own files (chmod u+s, mkdir 0777,
 * the sticky bit): Linux grants them, so refusing would break programs
 * that rely on them (install, tar -p, a build tree). But the host files
 * are owned by whoever runs mmusim, often root, so the host file only ever
 * gets the bits in SANDBOX_HOST_MODE (the sandbox masks every mode it is
 * given): no set-user-ID or set-group-ID file, no sticky bit, nothing
 * group- or world-writable. The guest's mode is kept here, by host device
 * and inode number, and stat shows it. Device nodes are not made at all
 * (mknod is not implemented: an unprivileged caller would get EPERM). */
#include "os/kernel/kernel.h"
#include "os/kernel/sandbox.h"

#include <stdlib.h>
#include <sys/stat.h>

#define MODE_NONE UINT32_MAX

struct mode_entry {
	uint64_t dev, ino;
	uint32_t mode;   /* the guest's 07777 bits, MODE_NONE: forgotten */
};

struct mode_table {
	struct mode_entry *e;
	size_t cap, used;   /* used: slots ever taken (entries are never removed, only forgotten) */
};

static size_t slot_of(const struct mode_table *t, uint64_t dev, uint64_t ino)
{
	uint64_t h = (ino * 0x9E3779B97F4A7C15ull) ^ (dev * 0xC2B2AE3D27D4EB4Full);
	for (size_t s = (size_t)(h ^ (h >> 31)) & (t->cap - 1);; s = (s + 1) & (t->cap - 1))
		if ((!t->e[s].ino && !t->e[s].dev) || (t->e[s].dev == dev && t->e[s].ino == ino))
			return s;
}

static struct mode_entry *find(const struct kernel *k, const struct stat *st)
{
	const struct mode_table *t = k->svc->modes;
	if (!t)
		return NULL;
	struct mode_entry *e = &t->e[slot_of(t, (uint64_t)st->st_dev, (uint64_t)st->st_ino)];
	return e->ino || e->dev ? e : NULL;
}

static bool grow(struct mode_table *t)
{
	size_t cap = t->cap ? 2 * t->cap : 64;
	struct mode_entry *ne = calloc(cap, sizeof *ne), *old = t->e;
	if (!ne)
		return false;
	size_t ocap = t->cap;
	t->e = ne;
	t->cap = cap;
	for (size_t i = 0; i < ocap; i++)
		if (old[i].ino || old[i].dev)
			t->e[slot_of(t, old[i].dev, old[i].ino)] = old[i];
	free(old);
	return true;
}

/* The guest asked for `mode` on the file the host now describes as st. */
void mode_model_set(struct kernel *k, const struct stat *st, unsigned mode)
{
	mode &= 07777;
	struct mode_entry *e = find(k, st);
	if (!(mode & ~SANDBOX_HOST_MODE)) {   /* the host has it all */
		if (e)
			e->mode = MODE_NONE;
		return;
	}
	if (e) {
		e->mode = mode;
		return;
	}
	struct mode_table *t = k->svc->modes;
	if (!t && !(t = k->svc->modes = calloc(1, sizeof *t)))
		return;
	if (2 * (t->used + 1) > t->cap && !grow(t))
		return;
	t->e[slot_of(t, (uint64_t)st->st_dev, (uint64_t)st->st_ino)] =
		(struct mode_entry){.dev = (uint64_t)st->st_dev, .ino = (uint64_t)st->st_ino, .mode = mode};
	t->used++;
}

void mode_model_forget(struct kernel *k, const struct stat *st)
{
	struct mode_entry *e = find(k, st);
	if (e)
		e->mode = MODE_NONE;
}

/* What stat shows the guest: its own mode, while the host file still has
 * no bit beyond it (a host user's chmod since wins). */
void mode_model_apply(const struct kernel *k, struct stat *st)
{
	const struct mode_entry *e = find(k, st);
	if (!e || e->mode == MODE_NONE || (st->st_mode & 07777 & ~(e->mode & SANDBOX_HOST_MODE)))
		return;
	st->st_mode = (st->st_mode & ~07777u) | e->mode;
}

void mode_model_free(struct kernel *k)
{
	if (k->svc->modes)
		free(k->svc->modes->e);
	free(k->svc->modes);
	k->svc->modes = NULL;
}

/* ---- the calls that set modes, as fs.c makes them ---------------------------- */
int mode_model_mkdir(struct kernel *k, struct sandbox *sb, int hd, const char *path, unsigned mode)
{
	mode &= 01777;   /* vfs_mkdir: S_IRWXUGO | S_ISVTX */
	int rc = sandbox_mkdir(sb, hd, path, mode);
	struct stat st;
	if (rc == 0 && (mode & ~SANDBOX_HOST_MODE) && sandbox_stat(sb, hd, path, &st, AT_SYMLINK_NOFOLLOW) == 0)
		mode_model_set(k, &st, mode);
	return rc;
}

int mode_model_chmod(struct kernel *k, struct sandbox *sb, int hd, const char *path, unsigned mode)
{
	int rc = sandbox_chmod(sb, hd, path, mode, 0);
	struct stat st;
	if (rc == 0 && sandbox_stat(sb, hd, path, &st, 0) == 0)
		mode_model_set(k, &st, mode);
	return rc;
}

int mode_model_fchmod(struct kernel *k, int host_fd, unsigned mode)
{
	struct stat st;
	if (fchmod(host_fd, (mode_t)(mode & SANDBOX_HOST_MODE)) || fstat(host_fd, &st))
		return -errno;
	mode_model_set(k, &st, mode);
	return 0;
}

/* unlink and rmdir: a file's last name gone, its inode number may come back. */
int mode_model_unlink(struct kernel *k, struct sandbox *sb, int hd, const char *path, int flags)
{
	struct stat st;
	bool known = k->svc->modes && sandbox_stat(sb, hd, path, &st, AT_SYMLINK_NOFOLLOW) == 0;
	int rc = sandbox_unlink(sb, hd, path, flags);
	if (rc == 0 && known && (S_ISDIR(st.st_mode) || st.st_nlink <= 1))
		mode_model_forget(k, &st);
	return rc;
}

bool mode_model_wants(unsigned mode)
{
	return mode & 07777 & ~SANDBOX_HOST_MODE;
}
