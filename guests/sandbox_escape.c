/* sandbox_escape: tries to reach files outside its root directory (the
 * directory mmusim runs it in, or --root): through "..", absolute paths,
 * symbolic links it makes itself (to "/", to "..", to a host file), magic
 * /proc links, and with every kind of call that takes a path: open, create,
 * stat, chdir, mkdir, rename, link, unlink, execve. Every attempt must be
 * refused or find nothing; none may read, make, move or delete a file
 * outside. Prints one line per attempt: the call and its result (an error
 * name, or what it found). The expected output is mmusim's sandbox, which
 * resolves every path as if the root were "/" and refuses what would leave
 * it; a native run, with the whole host file system visible, differs, so
 * run-native.sh does not compare it. */
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

static void count_entries(const char *path)
{
	DIR *d = opendir(path);
	if (!d) {
		printf("%-40s -> %s\n", path, strerrorname_np(errno));
		return;
	}
	int n = 0;
	while (readdir(d))
		n++;
	closedir(d);
	printf("opendir(\"%s\") -> %d entries\n", path, n);
}

int main(void)
{
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
	count_entries("/");
	count_entries("..");
	char *const argv[] = {"sh", "-c", "echo escaped", NULL};
	show("execve(\"/bin/sh\")", execve("/bin/sh", argv, NULL));
	show("execve(\"etc_link/../bin/sh\")", execve("etc_link/../bin/sh", argv, NULL));
	try_read("inside.txt");
	return 0;
}
