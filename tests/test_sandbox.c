/* The sandboxed file namespace: a temporary root with files, directories
 * and symlinks of every kind, next to a file outside it that must never be
 * read, created, renamed or removed through the sandbox. Every operation,
 * paths that would leave the root (which stay at its top, as under
 * chroot), the current directory, and error codes as Linux gives them. */
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/check.h"
#include "os/kernel/sandbox.h"

static char top[256];   /* the temporary directory: root/ and the outside files */
static char rootdir[PATH_MAX];

static void die(const char *what)
{
	perror(what);
	exit(2);
}

static void host_path(char *buf, size_t len, const char *rel)
{
	if ((size_t)snprintf(buf, len, "%s/%s", top, rel) >= len)
		die("path too long");
}

static void host_write(const char *rel, const char *text)
{
	char p[PATH_MAX];
	host_path(p, sizeof p, rel);
	FILE *f = fopen(p, "w");
	if (!f || fputs(text, f) < 0 || fclose(f) != 0)
		die(p);
}

static void host_mkdir(const char *rel)
{
	char p[PATH_MAX];
	host_path(p, sizeof p, rel);
	if (mkdir(p, 0755) < 0)
		die(p);
}

static void host_symlink(const char *target, const char *rel)
{
	char p[PATH_MAX];
	host_path(p, sizeof p, rel);
	if (symlink(target, p) < 0)
		die(p);
}

static bool host_exists(const char *rel)
{
	char p[PATH_MAX];
	struct stat st;
	host_path(p, sizeof p, rel);
	return lstat(p, &st) == 0;
}

static bool host_is_link(const char *rel)
{
	char p[PATH_MAX];
	struct stat st;
	host_path(p, sizeof p, rel);
	return lstat(p, &st) == 0 && S_ISLNK(st.st_mode);
}

static ino_t host_ino(const char *rel)
{
	char p[PATH_MAX];
	struct stat st;
	host_path(p, sizeof p, rel);
	if (stat(p, &st) < 0)
		die(p);
	return st.st_ino;
}

/* The whole content of a host descriptor (closes it), "" on error. */
static const char *slurp(int fd)
{
	static char buf[256];
	buf[0] = '\0';
	if (fd < 0)
		return buf;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	buf[n > 0 ? n : 0] = '\0';
	close(fd);
	return buf;
}

/* Names directly in top/, sorted, joined with spaces. */
static void outside_listing(char *out, size_t len)
{
	struct dirent **names;
	int n = scandir(top, &names, NULL, alphasort);
	if (n < 0)
		die("scandir");
	out[0] = '\0';
	for (int i = 0; i < n; i++) {
		if (strcmp(names[i]->d_name, ".") && strcmp(names[i]->d_name, "..")) {
			strncat(out, names[i]->d_name, len - strlen(out) - 1);
			strncat(out, " ", len - strlen(out) - 1);
		}
		free(names[i]);
	}
	free(names);
}

static void build_tree(void)
{
	if ((size_t)snprintf(top, sizeof top, "%s/mmusim-sandbox.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp") >=
	    sizeof top)
		die("TMPDIR too long");
	if (!mkdtemp(top))
		die("mkdtemp");
	host_write("outside.txt", "secret");
	host_symlink("outside.txt", "outlink");          /* a symlink outside the root */
	host_mkdir("root");
	host_path(rootdir, sizeof rootdir, "root");

	host_write("root/file.txt", "hello");
	host_mkdir("root/a");
	host_mkdir("root/a/b");
	host_write("root/a/b/deep.txt", "deep");
	host_symlink("../file.txt", "root/a/inlink");       /* relative, inside: allowed */
	host_symlink("a/b", "root/dirlink");                /* relative, to a directory inside */
	host_symlink("/file.txt", "root/abslink");          /* absolute: from the root, as under chroot */
	host_symlink("../../outside.txt", "root/a/escape"); /* climbs out: stays at the top */
	host_symlink("../../etc/passwd", "root/passwd");    /* climbs out: stays at the top */
	host_symlink("..", "root/updir");                   /* the root's parent: the root */
	host_symlink(top, "root/absdir");                   /* the real outside directory, absolute */
	host_symlink("made_by_link", "root/dangling");      /* dangling, inside */
	host_symlink("../created_outside", "root/dangling_out");
	char abs_target[PATH_MAX];
	host_path(abs_target, sizeof abs_target, "abs_created");
	host_symlink(abs_target, "root/abs_dangling");      /* dangling, absolute, to outside */
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static struct sandbox *open_root(void)
{
	char err[300];
	struct sandbox *s = sandbox_open(rootdir, err, sizeof err);
	if (!s) {
		fprintf(stderr, "sandbox_open: %s\n", err);
		exit(2);
	}
	return s;
}

/* An open from the current directory that must succeed (closed at once),
 * and the host name it made (NULL: none to check). */
static void opens(struct sandbox *s, const char *path, int flags, unsigned mode, const char *made)
{
	int fd = sandbox_openat(s, SANDBOX_CWD, path, flags, mode);
	CHECK(fd >= 0);
	if (fd >= 0)
		close(fd);
	if (made)
		CHECK(host_exists(made));
}

static void opening(void)
{
	struct sandbox *s = open_root();
	char real[PATH_MAX];
	CHECK(realpath(rootdir, real) != NULL);
	CHECK_STR(sandbox_root(s), real);

	/* Allowed: plain, absolute (from the root), ".." that stays inside,
	 * relative symlinks that stay inside. */
	CHECK_STR(slurp(sandbox_openat(s, SANDBOX_CWD, "file.txt", O_RDONLY, 0)), "hello");
	CHECK_STR(slurp(sandbox_openat(s, SANDBOX_CWD, "/file.txt", O_RDONLY, 0)), "hello");
	CHECK_STR(slurp(sandbox_openat(s, SANDBOX_CWD, "//a/b/deep.txt", O_RDONLY, 0)), "deep");
	CHECK_STR(slurp(sandbox_openat(s, SANDBOX_CWD, "a/../file.txt", O_RDONLY, 0)), "hello");
	CHECK_STR(slurp(sandbox_openat(s, SANDBOX_CWD, "a/b/../../file.txt", O_RDONLY, 0)), "hello");
	CHECK_STR(slurp(sandbox_openat(s, SANDBOX_CWD, "a/inlink", O_RDONLY, 0)), "hello");
	CHECK_STR(slurp(sandbox_openat(s, SANDBOX_CWD, "dirlink/deep.txt", O_RDONLY, 0)), "deep");
	/* ".." after a symlink is the parent of its target, as in Linux. */
	CHECK_STR(slurp(sandbox_openat(s, SANDBOX_CWD, "/dirlink/../b/deep.txt", O_RDONLY, 0)), "deep");
	CHECK_EQ(sandbox_openat(s, SANDBOX_CWD, "/dirlink/../file.txt", O_RDONLY, 0), -ENOENT);

	/* As under chroot: ".." of the root is the root, an absolute symlink
	 * starts at it. What would leave the root stays at its top, where
	 * there is no outside.txt. */
	CHECK_STR(slurp(sandbox_openat(s, SANDBOX_CWD, "abslink", O_RDONLY, 0)), "hello");
	CHECK_STR(slurp(sandbox_openat(s, SANDBOX_CWD, "../file.txt", O_RDONLY, 0)), "hello");
	CHECK_STR(slurp(sandbox_openat(s, SANDBOX_CWD, "/../../file.txt", O_RDONLY, 0)), "hello");
	CHECK_STR(slurp(sandbox_openat(s, SANDBOX_CWD, "updir/updir/file.txt", O_RDONLY, 0)), "hello");
	CHECK_STR(slurp(sandbox_openat(s, SANDBOX_CWD, "a/b/../../../a/b/deep.txt", O_RDONLY, 0)), "deep");
	const char *confined[] = {
		"../outside.txt", "/../outside.txt", "a/../../outside.txt", "/../etc/passwd", "a/../../root/file.txt",
		"a/escape", "passwd", "updir/outside.txt", "absdir/outside.txt", "abs_dangling", "a/b/../../../outside.txt",
	};
	for (size_t i = 0; i < sizeof confined / sizeof confined[0]; i++) {
		int fd = sandbox_openat(s, SANDBOX_CWD, confined[i], O_RDONLY, 0);
		if (fd != -ENOENT)
			fprintf(stderr, "openat(%s) = %d\n", confined[i], fd);
		CHECK_EQ(fd, -ENOENT);
		if (fd >= 0)
			close(fd);
	}
	/* A host absolute path is a guest path like any other. */
	char outside[PATH_MAX];
	host_path(outside, sizeof outside, "outside.txt");
	CHECK_EQ(sandbox_openat(s, SANDBOX_CWD, outside, O_RDONLY, 0), -ENOENT);

	/* Other errors are the kernel's. */
	CHECK_EQ(sandbox_openat(s, SANDBOX_CWD, "missing", O_RDONLY, 0), -ENOENT);
	CHECK_EQ(sandbox_openat(s, SANDBOX_CWD, "", O_RDONLY, 0), -ENOENT);
	CHECK_EQ(sandbox_openat(s, SANDBOX_CWD, "file.txt", O_RDONLY | O_DIRECTORY, 0), -ENOTDIR);
	CHECK_EQ(sandbox_openat(s, SANDBOX_CWD, "file.txt/x", O_RDONLY, 0), -ENOTDIR);
	CHECK_EQ(sandbox_openat(s, SANDBOX_CWD, "a/inlink", O_RDONLY | O_NOFOLLOW, 0), -ELOOP);
	CHECK_EQ(sandbox_openat(s, SANDBOX_CWD, "file.txt", O_CREAT | O_EXCL | O_WRONLY, 0644), -EEXIST);
	CHECK_EQ(sandbox_openat(s, SANDBOX_CWD, "/", O_CREAT | O_WRONLY, 0644), -EISDIR);
	/* An absolute symlink may be opened as itself (O_PATH | O_NOFOLLOW). */
	int lfd = sandbox_openat(s, SANDBOX_CWD, "abslink", O_PATH | O_NOFOLLOW | O_RDONLY, 0);
	CHECK(lfd >= 0);
	if (lfd >= 0)
		close(lfd);
	/* Host descriptors are close-on-exec. */
	int cfd = sandbox_openat(s, SANDBOX_CWD, "file.txt", O_RDONLY, 0);
	CHECK(cfd >= 0 && (fcntl(cfd, F_GETFD) & FD_CLOEXEC));
	close(cfd);

	/* O_CREAT creates inside only, also through symlinks. */
	opens(s, "new.txt", O_CREAT | O_WRONLY, 0640, "root/new.txt");
	opens(s, "/a/new2.txt", O_CREAT | O_WRONLY | O_EXCL, 0600, "root/a/new2.txt");
	opens(s, "dangling", O_CREAT | O_WRONLY, 0600, "root/made_by_link");
	/* Above the root is its top: created there. An absolute link's
	 * target is below the root, where its directories are missing. */
	opens(s, "../created_outside", O_CREAT | O_WRONLY | O_EXCL, 0600, "root/created_outside");
	opens(s, "dangling_out", O_CREAT | O_WRONLY, 0600, NULL);
	CHECK_EQ(sandbox_unlink(s, SANDBOX_CWD, "/created_outside", 0), 0);
	CHECK_EQ(sandbox_openat(s, SANDBOX_CWD, "abs_dangling", O_CREAT | O_WRONLY, 0600), -ENOENT);
	CHECK_EQ(sandbox_openat(s, SANDBOX_CWD, "absdir/created_outside", O_CREAT | O_WRONLY, 0600), -ENOENT);
	CHECK(!host_exists("created_outside"));
	CHECK(!host_exists("abs_created"));
	/* The mode is used (umask permitting) and ignored without O_CREAT. */
	struct stat st;
	CHECK_EQ(sandbox_stat(s, SANDBOX_CWD, "/a/new2.txt", &st, 0), 0);
	CHECK_EQ(st.st_mode & 0777, 0600);
	int fd = sandbox_openat(s, SANDBOX_CWD, "file.txt", O_RDONLY, 0777);
	CHECK(fd >= 0);
	if (fd >= 0)
		close(fd);
	/* O_PATH with flags openat would ignore. */
	fd = sandbox_openat(s, SANDBOX_CWD, "a", O_PATH | O_DIRECTORY | O_RDWR | O_APPEND, 0);
	CHECK(fd >= 0);

	/* Directory descriptors: relative to them, ".." up to the root is fine. */
	if (fd >= 0) {
		CHECK_STR(slurp(sandbox_openat(s, fd, "b/deep.txt", O_RDONLY, 0)), "deep");
		CHECK_STR(slurp(sandbox_openat(s, fd, "../file.txt", O_RDONLY, 0)), "hello");
		CHECK_STR(slurp(sandbox_openat(s, fd, "inlink", O_RDONLY, 0)), "hello");
		CHECK_STR(slurp(sandbox_openat(s, fd, "b/../../a/b/deep.txt", O_RDONLY, 0)), "deep");
		CHECK_STR(slurp(sandbox_openat(s, fd, "/file.txt", O_RDONLY, 0)), "hello");
		CHECK_STR(slurp(sandbox_openat(s, fd, "../../file.txt", O_RDONLY, 0)), "hello");
		CHECK_STR(slurp(sandbox_openat(s, fd, "../abslink", O_RDONLY, 0)), "hello");
		CHECK_EQ(sandbox_openat(s, fd, "../../outside.txt", O_RDONLY, 0), -ENOENT);
		CHECK_EQ(sandbox_openat(s, fd, "escape", O_RDONLY, 0), -ENOENT);
		int nfd = sandbox_openat(s, fd, "../sibling.txt", O_CREAT | O_WRONLY, 0644);
		CHECK(nfd >= 0);
		if (nfd >= 0)
			close(nfd);
		CHECK(host_exists("root/sibling.txt"));
		char p[64];
		CHECK_EQ(sandbox_fdpath(s, fd, p, sizeof p), 3);
		CHECK_STR(p, "/a");
		close(fd);
	}

	/* getdents64 on a returned descriptor lists the root. */
	int dfd = sandbox_openat(s, SANDBOX_CWD, "/", O_RDONLY | O_DIRECTORY, 0);
	CHECK(dfd >= 0);
	if (dfd >= 0) {
		DIR *d = fdopendir(dfd);
		int seen = 0;
		for (struct dirent *e; d && (e = readdir(d));)
			seen += !strcmp(e->d_name, "file.txt") || !strcmp(e->d_name, "abslink");
		CHECK_EQ(seen, 2);
		if (d)
			closedir(d);
	}
	sandbox_close(s);
}

static void stats(void)
{
	struct sandbox *s = open_root();
	struct stat st;
	CHECK_EQ(sandbox_stat(s, SANDBOX_CWD, "file.txt", &st, 0), 0);
	CHECK(S_ISREG(st.st_mode) && st.st_size == 5);
	CHECK_EQ(sandbox_stat(s, SANDBOX_CWD, "a/inlink", &st, 0), 0);
	CHECK(S_ISREG(st.st_mode) && st.st_size == 5);
	CHECK_EQ(sandbox_stat(s, SANDBOX_CWD, "a/inlink", &st, AT_SYMLINK_NOFOLLOW), 0);
	CHECK(S_ISLNK(st.st_mode));
	/* An absolute link is followed from the root; links that climb out
	 * stay at its top. */
	CHECK_EQ(sandbox_stat(s, SANDBOX_CWD, "abslink", &st, AT_SYMLINK_NOFOLLOW), 0);
	CHECK(S_ISLNK(st.st_mode) && st.st_size == 9);
	CHECK_EQ(sandbox_stat(s, SANDBOX_CWD, "abslink", &st, 0), 0);
	CHECK_EQ(st.st_ino, host_ino("root/file.txt"));
	CHECK_EQ(sandbox_stat(s, SANDBOX_CWD, "a/escape", &st, AT_SYMLINK_NOFOLLOW), 0);
	CHECK_EQ(sandbox_stat(s, SANDBOX_CWD, "a/escape", &st, 0), -ENOENT);
	CHECK_EQ(sandbox_stat(s, SANDBOX_CWD, "passwd", &st, 0), -ENOENT);
	CHECK_EQ(sandbox_stat(s, SANDBOX_CWD, "../outside.txt", &st, AT_SYMLINK_NOFOLLOW), -ENOENT);
	const char *tops[] = {"..", "/..", "a/../..", "updir/", "updir/updir/..", "dirlink/../../.."};
	for (size_t i = 0; i < sizeof tops / sizeof tops[0]; i++) {
		CHECK_EQ(sandbox_stat(s, SANDBOX_CWD, tops[i], &st, AT_SYMLINK_NOFOLLOW), 0);
		CHECK_EQ(st.st_ino, host_ino("root"));
	}
	/* "/", "." and ".." inside are the directories they name. */
	CHECK_EQ(sandbox_stat(s, SANDBOX_CWD, "/", &st, 0), 0);
	CHECK_EQ(st.st_ino, host_ino("root"));
	CHECK_EQ(sandbox_stat(s, SANDBOX_CWD, "a/..", &st, AT_SYMLINK_NOFOLLOW), 0);
	CHECK_EQ(st.st_ino, host_ino("root"));
	CHECK_EQ(sandbox_stat(s, SANDBOX_CWD, "a/b/.", &st, AT_SYMLINK_NOFOLLOW), 0);
	CHECK_EQ(st.st_ino, host_ino("root/a/b"));
	/* A trailing slash follows the link, as Linux's lstat("link/") does. */
	CHECK_EQ(sandbox_stat(s, SANDBOX_CWD, "dirlink/", &st, AT_SYMLINK_NOFOLLOW), 0);
	CHECK(S_ISDIR(st.st_mode) && st.st_ino == host_ino("root/a/b"));
	CHECK_EQ(sandbox_stat(s, SANDBOX_CWD, "file.txt/", &st, 0), -ENOTDIR);
	CHECK_EQ(sandbox_stat(s, SANDBOX_CWD, "missing", &st, 0), -ENOENT);
	/* AT_EMPTY_PATH: the descriptor itself (the current directory for SANDBOX_CWD). */
	CHECK_EQ(sandbox_stat(s, SANDBOX_CWD, "", &st, 0), -ENOENT);
	CHECK_EQ(sandbox_stat(s, SANDBOX_CWD, "", &st, AT_EMPTY_PATH), 0);
	CHECK_EQ(st.st_ino, host_ino("root"));
	int fd = sandbox_openat(s, SANDBOX_CWD, "a/b/deep.txt", O_RDONLY, 0);
	CHECK_EQ(sandbox_stat(s, fd, "", &st, AT_EMPTY_PATH), 0);
	CHECK(S_ISREG(st.st_mode) && st.st_size == 4);
	close(fd);
	CHECK_EQ(sandbox_stat(s, SANDBOX_CWD, "file.txt", &st, 0x8000000), -EINVAL);

	/* readlink */
	char buf[64];
	ssize_t n = sandbox_readlink(s, SANDBOX_CWD, "a/inlink", buf, sizeof buf);
	CHECK_EQ(n, 11);
	CHECK(n == 11 && !memcmp(buf, "../file.txt", 11));
	n = sandbox_readlink(s, SANDBOX_CWD, "/abslink", buf, sizeof buf);
	CHECK(n == 9 && !memcmp(buf, "/file.txt", 9));
	n = sandbox_readlink(s, SANDBOX_CWD, "a/escape", buf, sizeof buf);  /* the text is inside */
	CHECK(n == 17 && !memcmp(buf, "../../outside.txt", 17));
	n = sandbox_readlink(s, SANDBOX_CWD, "a/inlink", buf, 3);
	CHECK(n == 3 && !memcmp(buf, "../", 3));
	CHECK_EQ(sandbox_readlink(s, SANDBOX_CWD, "a/inlink", buf, 0), -EINVAL);
	CHECK_EQ(sandbox_readlink(s, SANDBOX_CWD, "file.txt", buf, sizeof buf), -EINVAL);
	CHECK_EQ(sandbox_readlink(s, SANDBOX_CWD, ".", buf, sizeof buf), -EINVAL);
	CHECK_EQ(sandbox_readlink(s, SANDBOX_CWD, "missing", buf, sizeof buf), -ENOENT);
	CHECK_EQ(sandbox_readlink(s, SANDBOX_CWD, "../outlink", buf, sizeof buf), -ENOENT);
	CHECK_EQ(sandbox_readlink(s, SANDBOX_CWD, "..", buf, sizeof buf), -EINVAL);
	CHECK_EQ(sandbox_readlink(s, SANDBOX_CWD, "updir/outlink", buf, sizeof buf), -ENOENT);
	n = sandbox_readlink(s, SANDBOX_CWD, "updir/abslink", buf, sizeof buf);
	CHECK(n == 9 && !memcmp(buf, "/file.txt", 9));
	CHECK_EQ(sandbox_readlink(s, SANDBOX_CWD, "dirlink/", buf, sizeof buf), -EINVAL);
	int lfd = sandbox_openat(s, SANDBOX_CWD, "a/inlink", O_PATH | O_NOFOLLOW, 0);
	CHECK_EQ(sandbox_readlink(s, lfd, "", buf, sizeof buf), 11);
	close(lfd);
	CHECK_EQ(sandbox_readlink(s, SANDBOX_CWD, "", buf, sizeof buf), -ENOENT);

	/* access */
	CHECK_EQ(sandbox_access(s, SANDBOX_CWD, "file.txt", F_OK, 0), 0);
	CHECK_EQ(sandbox_access(s, SANDBOX_CWD, "file.txt", R_OK | W_OK, 0), 0);
	CHECK_EQ(sandbox_access(s, SANDBOX_CWD, "file.txt", X_OK, 0), -EACCES);  /* 0644: no x bit for anyone */
	CHECK_EQ(sandbox_access(s, SANDBOX_CWD, "a", X_OK, AT_EACCESS), 0);
	CHECK_EQ(sandbox_access(s, SANDBOX_CWD, "a/inlink", R_OK, 0), 0);
	CHECK_EQ(sandbox_access(s, SANDBOX_CWD, "../outside.txt", F_OK, 0), -ENOENT);
	CHECK_EQ(sandbox_access(s, SANDBOX_CWD, "abslink", R_OK, 0), 0);
	CHECK_EQ(sandbox_access(s, SANDBOX_CWD, "abslink", F_OK, AT_SYMLINK_NOFOLLOW), 0);
	CHECK_EQ(sandbox_access(s, SANDBOX_CWD, "a/escape", R_OK, 0), -ENOENT);
	CHECK_EQ(sandbox_access(s, SANDBOX_CWD, "missing", F_OK, 0), -ENOENT);
	CHECK_EQ(sandbox_access(s, SANDBOX_CWD, "file.txt", 8, 0), -EINVAL);
	CHECK_EQ(sandbox_access(s, SANDBOX_CWD, "file.txt", F_OK, 0x8000000), -EINVAL);
	CHECK_EQ(sandbox_access(s, SANDBOX_CWD, "", F_OK, AT_EMPTY_PATH), 0);
	sandbox_close(s);
}

static void removing(void)
{
	struct sandbox *s = open_root();
	struct stat st;
	/* Allowed */
	host_write("root/victim.txt", "x");
	CHECK_EQ(sandbox_unlink(s, SANDBOX_CWD, "victim.txt", 0), 0);
	CHECK(!host_exists("root/victim.txt"));
	host_write("root/a/victim.txt", "x");
	CHECK_EQ(sandbox_unlink(s, SANDBOX_CWD, "/dirlink/../victim.txt", 0), 0);
	CHECK(!host_exists("root/a/victim.txt"));
	/* A symlink is removed itself, never its target. */
	host_symlink("../../outside.txt", "root/a/escape2");
	CHECK_EQ(sandbox_unlink(s, SANDBOX_CWD, "a/escape2", 0), 0);
	CHECK(!host_exists("root/a/escape2"));
	host_symlink("a", "root/alink");
	CHECK_EQ(sandbox_unlink(s, SANDBOX_CWD, "alink", 0), 0);
	CHECK(host_exists("root/a") && !host_exists("root/alink"));
	CHECK_EQ(sandbox_mkdir(s, SANDBOX_CWD, "emptyd", 0755), 0);
	CHECK_EQ(sandbox_unlink(s, SANDBOX_CWD, "emptyd/", AT_REMOVEDIR), 0);
	CHECK(!host_exists("root/emptyd"));

	/* Names above the root are looked for at its top: the outside file
	 * stays. */
	const char *confined[] = {
		"../outside.txt", "/../outside.txt", "a/../../outside.txt", "updir/outside.txt",
		"absdir/outside.txt", "../outlink", "a/b/../../../outside.txt",
	};
	for (size_t i = 0; i < sizeof confined / sizeof confined[0]; i++) {
		CHECK_EQ(sandbox_unlink(s, SANDBOX_CWD, confined[i], 0), -ENOENT);
		CHECK_EQ(sandbox_unlink(s, SANDBOX_CWD, confined[i], AT_REMOVEDIR), -ENOENT);
	}
	CHECK_EQ(sandbox_unlink(s, SANDBOX_CWD, "../root", AT_REMOVEDIR), -ENOENT);
	host_write("root/victim.txt", "x");
	CHECK_EQ(sandbox_unlink(s, SANDBOX_CWD, "a/b/../../../victim.txt", 0), 0);
	CHECK(!host_exists("root/victim.txt"));
	CHECK(host_exists("outside.txt") && host_exists("outlink"));

	/* Linux's answers for ".", ".." and "/" and other errors. */
	CHECK_EQ(sandbox_unlink(s, SANDBOX_CWD, ".", 0), -EISDIR);
	CHECK_EQ(sandbox_unlink(s, SANDBOX_CWD, "a/..", 0), -EISDIR);
	CHECK_EQ(sandbox_unlink(s, SANDBOX_CWD, "/", 0), -EISDIR);
	CHECK_EQ(sandbox_unlink(s, SANDBOX_CWD, ".", AT_REMOVEDIR), -EINVAL);
	CHECK_EQ(sandbox_unlink(s, SANDBOX_CWD, "a/b/.", AT_REMOVEDIR), -EINVAL);
	CHECK_EQ(sandbox_unlink(s, SANDBOX_CWD, "..", AT_REMOVEDIR), -ENOTEMPTY);
	CHECK_EQ(sandbox_unlink(s, SANDBOX_CWD, "a/b/..", AT_REMOVEDIR), -ENOTEMPTY);
	CHECK_EQ(sandbox_unlink(s, SANDBOX_CWD, "/", AT_REMOVEDIR), -EBUSY);
	CHECK_EQ(sandbox_unlink(s, SANDBOX_CWD, "//", AT_REMOVEDIR), -EBUSY);
	CHECK_EQ(sandbox_unlink(s, SANDBOX_CWD, "missing/..", AT_REMOVEDIR), -ENOENT);
	CHECK_EQ(sandbox_unlink(s, SANDBOX_CWD, "a", 0), -EISDIR);
	CHECK_EQ(sandbox_unlink(s, SANDBOX_CWD, "a", AT_REMOVEDIR), -ENOTEMPTY);
	CHECK_EQ(sandbox_unlink(s, SANDBOX_CWD, "file.txt", AT_REMOVEDIR), -ENOTDIR);
	CHECK_EQ(sandbox_unlink(s, SANDBOX_CWD, "file.txt/", 0), -ENOTDIR);
	CHECK_EQ(sandbox_unlink(s, SANDBOX_CWD, "missing", 0), -ENOENT);
	CHECK_EQ(sandbox_unlink(s, SANDBOX_CWD, "", 0), -ENOENT);
	CHECK_EQ(sandbox_unlink(s, SANDBOX_CWD, "file.txt", 1), -EINVAL);
	CHECK(host_exists("root/file.txt") && host_exists("root/a"));

	/* mkdir */
	CHECK_EQ(sandbox_mkdir(s, SANDBOX_CWD, "newdir", 0750), 0);
	CHECK_EQ(sandbox_stat(s, SANDBOX_CWD, "newdir", &st, 0), 0);
	CHECK(S_ISDIR(st.st_mode));
	CHECK_EQ(sandbox_mkdir(s, SANDBOX_CWD, "newdir", 0750), -EEXIST);
	CHECK_EQ(sandbox_mkdir(s, SANDBOX_CWD, "/newdir/sub/", 0750), 0);
	CHECK(host_exists("root/newdir/sub"));
	CHECK_EQ(sandbox_mkdir(s, SANDBOX_CWD, "dirlink/viadirlink", 0750), 0);
	CHECK(host_exists("root/a/b/viadirlink"));
	CHECK_EQ(sandbox_mkdir(s, SANDBOX_CWD, ".", 0750), -EEXIST);
	CHECK_EQ(sandbox_mkdir(s, SANDBOX_CWD, "..", 0750), -EEXIST);
	CHECK_EQ(sandbox_mkdir(s, SANDBOX_CWD, "/", 0750), -EEXIST);
	CHECK_EQ(sandbox_mkdir(s, SANDBOX_CWD, "missing/x", 0750), -ENOENT);
	CHECK_EQ(sandbox_mkdir(s, SANDBOX_CWD, "file.txt/x", 0750), -ENOTDIR);
	CHECK_EQ(sandbox_mkdir(s, SANDBOX_CWD, "abslink", 0750), -EEXIST);  /* the link exists; not followed */
	CHECK_EQ(sandbox_mkdir(s, SANDBOX_CWD, "../made_outside", 0750), 0);   /* at the top */
	CHECK(host_exists("root/made_outside"));
	CHECK_EQ(sandbox_mkdir(s, SANDBOX_CWD, "updir/made_outside", 0750), -EEXIST);
	CHECK_EQ(sandbox_mkdir(s, SANDBOX_CWD, "/../made_outside", 0750), -EEXIST);
	CHECK_EQ(sandbox_mkdir(s, SANDBOX_CWD, "absdir/made_outside", 0750), -ENOENT);
	CHECK_EQ(sandbox_unlink(s, SANDBOX_CWD, "made_outside", AT_REMOVEDIR), 0);
	CHECK(!host_exists("made_outside"));
	sandbox_close(s);
}

static void renaming(void)
{
	struct sandbox *s = open_root();
	struct stat st;
	CHECK_EQ(sandbox_rename(s, SANDBOX_CWD, "file.txt", SANDBOX_CWD, "renamed.txt", 0), 0);
	CHECK(!host_exists("root/file.txt") && host_exists("root/renamed.txt"));
	CHECK_EQ(sandbox_rename(s, SANDBOX_CWD, "/renamed.txt", SANDBOX_CWD, "a/b/../../file.txt", 0), 0);
	CHECK(host_exists("root/file.txt"));
	/* A symlink is renamed itself, never its target. */
	CHECK_EQ(sandbox_rename(s, SANDBOX_CWD, "abslink", SANDBOX_CWD, "a/abslink2", 0), 0);
	CHECK(host_is_link("root/a/abslink2"));
	CHECK_EQ(sandbox_rename(s, SANDBOX_CWD, "a/abslink2", SANDBOX_CWD, "abslink", 0), 0);
	CHECK(host_is_link("root/abslink"));
	/* Directory descriptors on both sides. */
	int a = sandbox_openat(s, SANDBOX_CWD, "a", O_PATH | O_DIRECTORY, 0);
	int b = sandbox_openat(s, SANDBOX_CWD, "a/b", O_PATH | O_DIRECTORY, 0);
	CHECK_EQ(sandbox_rename(s, b, "deep.txt", a, "shallow.txt", 0), 0);
	CHECK(host_exists("root/a/shallow.txt"));
	CHECK_EQ(sandbox_rename(s, a, "shallow.txt", b, "../b/deep.txt", 0), 0);
	CHECK(host_exists("root/a/b/deep.txt"));
	CHECK_EQ(sandbox_rename(s, b, "deep.txt", b, "../../../outside.txt", 0), 0);   /* to the top */
	CHECK(!host_exists("root/a/b/deep.txt") && host_exists("root/outside.txt"));
	CHECK_EQ(sandbox_rename(s, a, "../../outside.txt", b, "deep.txt", 0), 0);
	CHECK(host_exists("root/a/b/deep.txt") && !host_exists("root/outside.txt"));
	close(a);
	close(b);

	/* Either position: what is above the root is its top; nothing moves
	 * in or out. */
	CHECK_EQ(sandbox_rename(s, SANDBOX_CWD, "file.txt", SANDBOX_CWD, "../stolen.txt", 0), 0);
	CHECK_EQ(sandbox_rename(s, SANDBOX_CWD, "/../stolen.txt", SANDBOX_CWD, "updir/stolen2.txt", 0), 0);
	CHECK_EQ(sandbox_rename(s, SANDBOX_CWD, "a/../../stolen2.txt", SANDBOX_CWD, "file.txt", 0), 0);
	CHECK_EQ(sandbox_rename(s, SANDBOX_CWD, "file.txt", SANDBOX_CWD, "absdir/stolen.txt", 0), -ENOENT);
	CHECK_EQ(sandbox_rename(s, SANDBOX_CWD, "../outside.txt", SANDBOX_CWD, "grabbed.txt", 0), -ENOENT);
	CHECK_EQ(sandbox_rename(s, SANDBOX_CWD, "a/../../outside.txt", SANDBOX_CWD, "grabbed.txt", 0), -ENOENT);
	CHECK_EQ(sandbox_rename(s, SANDBOX_CWD, "absdir/outside.txt", SANDBOX_CWD, "grabbed.txt", 0), -ENOENT);
	CHECK_EQ(sandbox_rename(s, SANDBOX_CWD, "file.txt", SANDBOX_CWD, "../outside.txt", RENAME_EXCHANGE), -ENOENT);
	CHECK(!host_exists("stolen.txt") && !host_exists("root/stolen.txt") && !host_exists("root/stolen2.txt"));
	CHECK(!host_exists("root/grabbed.txt"));
	CHECK(host_exists("root/file.txt") && host_exists("outside.txt"));

	/* Linux's answers. */
	CHECK_EQ(sandbox_rename(s, SANDBOX_CWD, ".", SANDBOX_CWD, "x", 0), -EBUSY);
	CHECK_EQ(sandbox_rename(s, SANDBOX_CWD, "a/..", SANDBOX_CWD, "x", 0), -EBUSY);
	CHECK_EQ(sandbox_rename(s, SANDBOX_CWD, "/", SANDBOX_CWD, "x", 0), -EBUSY);
	CHECK_EQ(sandbox_rename(s, SANDBOX_CWD, "file.txt", SANDBOX_CWD, "a/..", 0), -EBUSY);
	CHECK_EQ(sandbox_rename(s, SANDBOX_CWD, "file.txt", SANDBOX_CWD, ".", RENAME_NOREPLACE), -EEXIST);
	CHECK_EQ(sandbox_rename(s, SANDBOX_CWD, "file.txt", SANDBOX_CWD, "new.txt", RENAME_NOREPLACE), -EEXIST);
	CHECK_EQ(sandbox_rename(s, SANDBOX_CWD, "missing", SANDBOX_CWD, "x", 0), -ENOENT);
	CHECK_EQ(sandbox_rename(s, SANDBOX_CWD, "file.txt/", SANDBOX_CWD, "x", 0), -ENOTDIR);
	CHECK_EQ(sandbox_rename(s, SANDBOX_CWD, "file.txt", SANDBOX_CWD, "x", 0x80), -EINVAL);
	CHECK_EQ(sandbox_rename(s, SANDBOX_CWD, "file.txt", SANDBOX_CWD, "x", RENAME_EXCHANGE | RENAME_NOREPLACE),
		 -EINVAL);
	/* RENAME_EXCHANGE swaps two names inside. */
	CHECK_EQ(sandbox_rename(s, SANDBOX_CWD, "file.txt", SANDBOX_CWD, "a/b/deep.txt", RENAME_EXCHANGE), 0);
	CHECK_EQ(sandbox_stat(s, SANDBOX_CWD, "file.txt", &st, 0), 0);
	CHECK_EQ(st.st_size, 4);
	CHECK_EQ(sandbox_rename(s, SANDBOX_CWD, "file.txt", SANDBOX_CWD, "a/b/deep.txt", RENAME_EXCHANGE), 0);
	CHECK_STR(slurp(sandbox_openat(s, SANDBOX_CWD, "file.txt", O_RDONLY, 0)), "hello");
	sandbox_close(s);
}

static void directories(void)
{
	struct sandbox *s = open_root();
	char cwd[PATH_MAX];
	CHECK_EQ(sandbox_getcwd(s, cwd, sizeof cwd), 2);
	CHECK_STR(cwd, "/");
	CHECK_EQ(sandbox_chdir(s, SANDBOX_CWD, "a"), 0);
	CHECK_EQ(sandbox_getcwd(s, cwd, sizeof cwd), 3);
	CHECK_STR(cwd, "/a");
	/* Relative paths start here; ".." climbs to the root and stays there. */
	CHECK_STR(slurp(sandbox_openat(s, SANDBOX_CWD, "b/deep.txt", O_RDONLY, 0)), "deep");
	CHECK_STR(slurp(sandbox_openat(s, SANDBOX_CWD, "../file.txt", O_RDONLY, 0)), "hello");
	CHECK_STR(slurp(sandbox_openat(s, SANDBOX_CWD, "/file.txt", O_RDONLY, 0)), "hello");
	CHECK_STR(slurp(sandbox_openat(s, SANDBOX_CWD, "../../file.txt", O_RDONLY, 0)), "hello");
	CHECK_EQ(sandbox_openat(s, SANDBOX_CWD, "../../outside.txt", O_RDONLY, 0), -ENOENT);
	CHECK_EQ(sandbox_openat(s, SANDBOX_CWD, "escape", O_RDONLY, 0), -ENOENT);
	CHECK_EQ(sandbox_unlink(s, SANDBOX_CWD, "../../outside.txt", 0), -ENOENT);
	CHECK_EQ(sandbox_mkdir(s, SANDBOX_CWD, "../up", 0755), 0);
	CHECK(host_exists("root/up"));
	CHECK_EQ(sandbox_unlink(s, SANDBOX_CWD, "../up", AT_REMOVEDIR), 0);
	struct stat st;
	CHECK_EQ(sandbox_stat(s, SANDBOX_CWD, "..", &st, 0), 0);
	CHECK_EQ(st.st_ino, host_ino("root"));
	CHECK_EQ(sandbox_stat(s, SANDBOX_CWD, "", &st, AT_EMPTY_PATH), 0);
	CHECK_EQ(st.st_ino, host_ino("root/a"));
	CHECK_EQ(sandbox_stat(s, sandbox_cwd_fd(s), "b", &st, 0), 0);
	CHECK_EQ(st.st_ino, host_ino("root/a/b"));

	CHECK_EQ(sandbox_chdir(s, SANDBOX_CWD, "b"), 0);
	CHECK_EQ(sandbox_getcwd(s, cwd, sizeof cwd), 5);
	CHECK_STR(cwd, "/a/b");
	CHECK_EQ(sandbox_chdir(s, SANDBOX_CWD, "../.."), 0);
	CHECK_EQ(sandbox_getcwd(s, cwd, sizeof cwd), 2);
	CHECK_STR(cwd, "/");
	/* ".." of the root is the root; failures leave the current directory
	 * where it was. */
	CHECK_EQ(sandbox_chdir(s, SANDBOX_CWD, ".."), 0);
	CHECK_EQ(sandbox_chdir(s, SANDBOX_CWD, "updir"), 0);
	CHECK_EQ(sandbox_chdir(s, SANDBOX_CWD, "/.."), 0);
	CHECK_EQ(sandbox_chdir(s, SANDBOX_CWD, "absdir"), -ENOENT);
	CHECK_EQ(sandbox_chdir(s, SANDBOX_CWD, "file.txt"), -ENOTDIR);
	CHECK_EQ(sandbox_chdir(s, SANDBOX_CWD, "missing"), -ENOENT);
	CHECK_EQ(sandbox_chdir(s, SANDBOX_CWD, ""), -ENOENT);
	CHECK_EQ(sandbox_getcwd(s, cwd, sizeof cwd), 2);
	CHECK_STR(cwd, "/");
	/* Through a symlink: the directory it names. */
	CHECK_EQ(sandbox_chdir(s, SANDBOX_CWD, "dirlink"), 0);
	CHECK_EQ(sandbox_getcwd(s, cwd, sizeof cwd), 5);
	CHECK_STR(cwd, "/a/b");
	CHECK_EQ(sandbox_getcwd(s, cwd, 5), 5);
	CHECK_EQ(sandbox_getcwd(s, cwd, 4), -ERANGE);
	CHECK_EQ(sandbox_chdir(s, SANDBOX_CWD, "/a"), 0);
	CHECK_STR((sandbox_getcwd(s, cwd, sizeof cwd), cwd), "/a");

	/* The current directory follows renames, as Linux's does. */
	CHECK_EQ(sandbox_chdir(s, SANDBOX_CWD, "b"), 0);
	CHECK_EQ(sandbox_rename(s, SANDBOX_CWD, "/a/b", SANDBOX_CWD, "/a/c", 0), 0);
	CHECK_EQ(sandbox_getcwd(s, cwd, sizeof cwd), 5);
	CHECK_STR(cwd, "/a/c");
	CHECK_STR(slurp(sandbox_openat(s, SANDBOX_CWD, "deep.txt", O_RDONLY, 0)), "deep");
	CHECK_STR(slurp(sandbox_openat(s, SANDBOX_CWD, "../../file.txt", O_RDONLY, 0)), "hello");
	CHECK_EQ(sandbox_rename(s, SANDBOX_CWD, "/a/c", SANDBOX_CWD, "/a/b", 0), 0);
	CHECK_STR((sandbox_getcwd(s, cwd, sizeof cwd), cwd), "/a/b");
	/* A removed current directory: getcwd says ENOENT, ".." cannot be resolved. */
	CHECK_EQ(sandbox_mkdir(s, SANDBOX_CWD, "/gone", 0755), 0);
	CHECK_EQ(sandbox_chdir(s, SANDBOX_CWD, "/gone"), 0);
	CHECK_EQ(sandbox_unlink(s, SANDBOX_CWD, "/gone", AT_REMOVEDIR), 0);
	CHECK_EQ(sandbox_getcwd(s, cwd, sizeof cwd), -ENOENT);
	CHECK_EQ(sandbox_openat(s, SANDBOX_CWD, "../file.txt", O_RDONLY, 0), -ENOENT);
	CHECK_EQ(sandbox_openat(s, SANDBOX_CWD, "new", O_CREAT | O_WRONLY, 0644), -ENOENT);
	CHECK_STR(slurp(sandbox_openat(s, SANDBOX_CWD, "/file.txt", O_RDONLY, 0)), "hello");

	/* fchdir */
	int fd = sandbox_openat(s, SANDBOX_CWD, "/a/b", O_PATH | O_DIRECTORY, 0);
	CHECK_EQ(sandbox_fchdir(s, fd), 0);
	close(fd);
	CHECK_STR((sandbox_getcwd(s, cwd, sizeof cwd), cwd), "/a/b");
	fd = sandbox_openat(s, SANDBOX_CWD, "/file.txt", O_RDONLY, 0);
	CHECK_EQ(sandbox_fchdir(s, fd), -ENOTDIR);
	char path[64];
	CHECK_EQ(sandbox_fdpath(s, fd, path, sizeof path), 10);
	CHECK_STR(path, "/file.txt");
	close(fd);
	int out = open(top, O_PATH | O_DIRECTORY);
	CHECK(out >= 0);
	CHECK_EQ(sandbox_fchdir(s, out), -EACCES);
	CHECK_EQ(sandbox_fdpath(s, out, path, sizeof path), -EACCES);
	close(out);
	CHECK_STR((sandbox_getcwd(s, cwd, sizeof cwd), cwd), "/a/b");
	CHECK_EQ(sandbox_fchdir(s, -1), -EBADF);
	sandbox_close(s);

	/* A sandbox of "." (NULL) is the process's current directory. */
	char err[200], here[PATH_MAX];
	struct sandbox *d = sandbox_open(NULL, err, sizeof err);
	CHECK(d != NULL);
	CHECK(getcwd(here, sizeof here) != NULL);
	if (d) {
		CHECK_STR(sandbox_root(d), here);
		sandbox_close(d);
	}
}

static void opening_errors(void)
{
	char err[300], p[PATH_MAX];
	host_path(p, sizeof p, "nonexistent");
	CHECK(sandbox_open(p, err, sizeof err) == NULL);
	CHECK(strstr(err, "No such file") != NULL);
	host_path(p, sizeof p, "outside.txt");
	CHECK(sandbox_open(p, err, sizeof err) == NULL);
	CHECK(strstr(err, "Not a directory") != NULL);
	CHECK(sandbox_open(p, NULL, 0) == NULL);
	sandbox_close(NULL);

	/* Magic links (only where a procfs is below the root) are refused by the kernel. */
	struct sandbox *s = sandbox_open("/proc/self", err, sizeof err);
	CHECK(s != NULL);
	if (s) {
		CHECK_EQ(sandbox_openat(s, SANDBOX_CWD, "exe", O_RDONLY, 0), -ELOOP);
		struct stat st;
		CHECK_EQ(sandbox_stat(s, SANDBOX_CWD, "root/etc", &st, 0), -ELOOP);
		CHECK_EQ(sandbox_chdir(s, SANDBOX_CWD, "cwd"), -ELOOP);
		CHECK_EQ(sandbox_stat(s, SANDBOX_CWD, "status", &st, 0), 0);
		sandbox_close(s);
	}
}

/* The sysroot: a read-only lower layer. Reads fall through to it (its
 * absolute symlinks stay inside it), nothing in it is ever written, and
 * nothing above it is reachable. */
static void sysroot(void)
{
	host_mkdir("sys");
	host_mkdir("sys/lib");
	host_mkdir("sys/lib64");
	host_write("sys/lib/libx.so", "lib");
	host_symlink("/lib/libx.so", "sys/lib64/ld.so");
	host_symlink("../../outside.txt", "sys/escape");
	char sys[PATH_MAX], err[300];
	host_path(sys, sizeof sys, "sys");
	struct sandbox *s = open_root();
	CHECK(sandbox_set_lower(s, "/no/such/sysroot", err, sizeof err) == -1);
	CHECK(sandbox_set_lower(s, sys, err, sizeof err) == 0);
	int fd = sandbox_openat(s, SANDBOX_CWD, "/lib/libx.so", O_RDONLY, 0);
	CHECK_STR(slurp(fd), "lib");
	fd = sandbox_openat(s, SANDBOX_CWD, "/lib64/ld.so", O_RDONLY, 0);   /* absolute symlink, inside */
	CHECK_STR(slurp(fd), "lib");
	fd = sandbox_openat(s, SANDBOX_CWD, "file.txt", O_RDONLY, 0);      /* the root's own */
	CHECK_STR(slurp(fd), "hello");
	CHECK(sandbox_openat(s, SANDBOX_CWD, "/escape", O_RDONLY, 0) < 0);
	struct stat st;
	CHECK(sandbox_stat(s, SANDBOX_CWD, "/lib/libx.so", &st, 0) == 0 && st.st_size == 3);
	CHECK(sandbox_access(s, SANDBOX_CWD, "/lib64/ld.so", R_OK, 0) == 0);
	/* Never written. */
	CHECK(sandbox_openat(s, SANDBOX_CWD, "/lib/libx.so", O_WRONLY, 0) == -EROFS);
	CHECK(sandbox_openat(s, SANDBOX_CWD, "/lib/libx.so", O_RDONLY | O_TRUNC, 0) == -EROFS);
	CHECK(sandbox_openat(s, SANDBOX_CWD, "/lib/new", O_WRONLY | O_CREAT, 0644) == -EROFS);
	CHECK(sandbox_unlink(s, SANDBOX_CWD, "/lib/libx.so", 0) == -EROFS);
	CHECK(sandbox_mkdir(s, SANDBOX_CWD, "/lib/d", 0755) == -EROFS);
	CHECK(sandbox_chmod(s, SANDBOX_CWD, "/lib/libx.so", 0777, 0) == -EROFS);
	CHECK(sandbox_rename(s, SANDBOX_CWD, "file.txt", SANDBOX_CWD, "/lib/x", 0) == -EROFS);
	int dir = sandbox_openat(s, SANDBOX_CWD, "/lib", O_RDONLY | O_DIRECTORY, 0);
	CHECK(dir >= 0);
	CHECK(sandbox_openat(s, dir, "made", O_WRONLY | O_CREAT, 0644) == -EROFS);
	CHECK(sandbox_openat(s, dir, "libx.so", O_RDWR, 0) == -EROFS);
	char path[PATH_MAX];
	fd = sandbox_openat(s, dir, "libx.so", O_RDONLY, 0);
	CHECK(fd >= 0 && sandbox_fdpath(s, fd, path, sizeof path) > 0);
	CHECK_STR(path, "/lib/libx.so");
	if (fd >= 0)
		close(fd);
	if (dir >= 0)
		close(dir);
	/* The root may still be written; the sysroot is as it was. */
	fd = sandbox_openat(s, SANDBOX_CWD, "new.txt", O_WRONLY | O_CREAT, 0644);
	CHECK(fd >= 0);
	if (fd >= 0)
		close(fd);
	CHECK(sandbox_unlink(s, SANDBOX_CWD, "new.txt", 0) == 0);
	CHECK(!host_exists("sys/lib/new") && !host_exists("sys/lib/d") && !host_exists("sys/lib/made"));
	CHECK(host_exists("sys/lib/libx.so"));
	sandbox_close(s);
}

int main(void)
{
	build_tree();
	char before[1024], after[1024];
	outside_listing(before, sizeof before);
	CHECK_STR(before, "outlink outside.txt root ");

	opening();
	stats();
	removing();
	renaming();
	directories();
	opening_errors();

	/* Nothing outside the root was created, removed or changed. */
	outside_listing(after, sizeof after);
	CHECK_STR(after, before);
	int fd = open(strcat(strcpy(after, top), "/outside.txt"), O_RDONLY);
	CHECK_STR(slurp(fd), "secret");
	CHECK(host_is_link("outlink"));
	sysroot();
	CHECK_STR(slurp(open(strcat(strcpy(after, top), "/outside.txt"), O_RDONLY)), "secret");

	if (nftw(top, rm_one, 16, FTW_DEPTH | FTW_PHYS) != 0)
		perror("cleanup");
	CHECK(access(top, F_OK) < 0);
	return check_report("test_sandbox");
}
