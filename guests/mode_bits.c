/* mode_bits: asks for every mode bit an unprivileged Linux user may set on
 * its own files: set-user-ID and set-group-ID files (open O_CREAT, chmod,
 * fchmod, fchmodat), a world-writable directory with the sticky bit
 * (mkdir, chmod), a world-writable file. Linux grants each; stat must
 * show it. Under mmusim the host files get none of these bits
 * (tests/hostile_host.sh checks the root after the run); the guest still
 * sees what it asked for. (mknod is not implemented: no device node is
 * ever made on the host.) The files stay for the check. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void show(const char *path)
{
	struct stat st;
	if (stat(path, &st))
		printf("%-10s stat: %s\n", path, strerrorname_np(errno));
	else
		printf("%-10s %s %04o\n", path, S_ISDIR(st.st_mode) ? "dir " : "file", st.st_mode & 07777);
}

int main(void)
{
	umask(0);
	int fd = open("suid", O_WRONLY | O_CREAT | O_EXCL, 04755);
	if (fd < 0 || write(fd, "#!/bin/sh\n", 10) != 10)
		return 1;
	show("suid");
	fchmod(fd, 06755);
	show("suid");
	close(fd);
	chmod("suid", 04777);
	show("suid");
	fd = open("sgid", O_WRONLY | O_CREAT, 02711);
	close(fd);
	show("sgid");
	fchmodat(AT_FDCWD, "sgid", 0644, 0);
	show("sgid");
	mkdir("open", 0777);
	show("open");
	chmod("open", 01777);
	show("open");
	mkdir("open/sub", 0777);
	show("open/sub");
	fd = open("open/world", O_WRONLY | O_CREAT, 0666);
	close(fd);
	show("open/world");
	rename("suid", "open/moved");
	show("open/moved");
	umask(022);
	mkdir("plain", 0777);
	show("plain");
	return 0;
}
