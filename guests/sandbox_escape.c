/* sandbox_escape: tries to reach files outside its root directory (the
 * directory mmusim runs it in, or --root): through "..", absolute paths,
 * symbolic links it makes itself (to "/", to "..", to a host file), magic
 * /proc links, and with every kind of call that takes a path: open, create,
 * stat, chdir, mkdir, rename, link, unlink, execve. None may read, make,
 * move or delete a file outside: as under chroot(2), ".." of the root is
 * the root and an absolute symlink starts at it, so each attempt lands
 * inside or finds nothing. Prints one line per attempt: the call and its
 * result (an error name, or what it found). The expected output is a real
 * chroot's: run-native.sh runs it natively as /sandbox_escape in a chroot
 * of an empty directory. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void show(const char *what, int rc)
{
	if (rc < 0)
		printf("%-40s -> %s\n", what, strerrorname_np(errno));
	else
		printf("%-40s -> succeeded\n", what);
}

/* An open for reading that succeeds says what it found: a file outside
 * would show its first line. */
static void try_read(const char *path)
{
	char what[80], buf[64] = "";
	snprintf(what, sizeof what, "open(\"%s\")", path);
	int fd = open(path, O_RDONLY);
	if (fd < 0) {
		show(what, -1);
		return;
	}
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	buf[n > 0 ? n : 0] = 0;
	buf[strcspn(buf, "\n")] = 0;
	printf("%-40s -> OPENED: \"%s\"\n", what, buf);
}

/* Entries of a directory, but for the program itself (the native run's
 * chroot holds it; mmusim's root does not). */
static void count_entries(const char *path, const char *self)
{
	DIR *d = opendir(path);
	if (!d) {
		printf("%-40s -> %s\n", path, strerrorname_np(errno));
		return;
	}
	int n = 0;
	for (struct dirent *e; (e = readdir(d));)
		n += strcmp(e->d_name, self) != 0;
	closedir(d);
	printf("opendir(\"%s\") -> %d entries\n", path, n);
}

int main(int argc, char **argv)
{
	const char *self = argc > 0 && strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argc > 0 ? argv[0] : "";
	int fd = open("inside.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, "inside\n", 7) != 7)
		return 1;
	close(fd);

	try_read("/etc/passwd");
	try_read("../../../../../../etc/passwd");
	try_read("/../../etc/passwd");
	try_read("../inside.txt");   /* ".." of the root is the root */
	try_read("/proc/self/root/etc/passwd");
	try_read("/proc/self/cwd/../etc/passwd");

	show("symlink(\"/etc\", \"etc_link\")", symlink("/etc", "etc_link"));
	try_read("etc_link/passwd");
	show("symlink(\"..\", \"up\")", symlink("..", "up"));
	try_read("up/up/up/etc/passwd");
	show("symlink(\"/etc/passwd\", \"passwd_link\")", symlink("/etc/passwd", "passwd_link"));
	try_read("passwd_link");
	struct stat st;
	show("stat(\"passwd_link\")", stat("passwd_link", &st));
	show("lstat(\"passwd_link\")", lstat("passwd_link", &st));

	show("open(\"../made_outside\", O_CREAT)", open("../made_outside", O_WRONLY | O_CREAT, 0644));
	show("open(\"up/made_outside\", O_CREAT)", open("up/made_outside", O_WRONLY | O_CREAT, 0644));
	show("mkdir(\"up/dir_outside\")", mkdir("up/dir_outside", 0755));
	show("rename(\"inside.txt\", \"up/moved\")", rename("inside.txt", "up/moved"));
	show("link(\"inside.txt\", \"up/linked\")", link("inside.txt", "up/linked"));
	show("unlink(\"etc_link/passwd\")", unlink("etc_link/passwd"));
	show("chdir(\"etc_link\")", chdir("etc_link"));
	show("chdir(\"up\")", chdir("up"));
	show("chdir(\"/..\")", chdir("/.."));
	char cwd[256];
	printf("%-40s -> \"%s\"\n", "getcwd", getcwd(cwd, sizeof cwd) ? cwd : strerrorname_np(errno));
	count_entries("/", self);
	count_entries("..", self);
	char *const sh_argv[] = {"sh", "-c", "echo escaped", NULL};
	show("execve(\"/bin/sh\")", execve("/bin/sh", sh_argv, NULL));
	show("execve(\"etc_link/../bin/sh\")", execve("etc_link/../bin/sh", sh_argv, NULL));
	try_read("/moved");   /* "up/moved" was the top's */

	/* An absolute symlink names a file inside, from the root. */
	show("mkdir(\"/data\")", mkdir("/data", 0755));
	fd = open("/data/f", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, "data\n", 5) != 5)
		return 1;
	close(fd);
	show("symlink(\"/data/f\", \"data_link\")", symlink("/data/f", "data_link"));
	try_read("data_link");
	try_read("up/up/data/f");
	try_read("../../data/../data/f");
	return 0;
}
