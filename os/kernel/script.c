/* binfmt_script: execve of a file that starts with "#!" runs the
 * interpreter its first line names, as Linux 6.1's fs/binfmt_script.c:
 * argv becomes [interpreter, optional argument, the path execve was
 * given, argv[1]...], the interpreter may itself be a script (four levels
 * at most: ELOOP past them), and a line naming no interpreter, or one cut
 * off by the 256-byte buffer, is ENOEXEC. */
#include "os/kernel/syscall.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BINPRM_BUF_SIZE 256
#define BINPRM_MAX_RECURSION 4

static bool spacetab(char c) { return c == ' ' || c == '\t'; }

static char *next_non_spacetab(char *first, const char *last)
{
	for (; first <= last; first++)
		if (!spacetab(*first))
			return first;
	return NULL;
}

static char *next_terminator(char *first, const char *last)
{
	for (; first <= last; first++)
		if (spacetab(*first) || !*first)
			return first;
	return NULL;
}

/* The interpreter and its argument from buf (NUL-terminated in place);
 * -ENOEXEC when the line names none. */
static int parse(char *buf, char **name, char **arg)
{
	char *buf_end = buf + BINPRM_BUF_SIZE - 1;
	char *i_end = memchr(buf, '\n', BINPRM_BUF_SIZE);
	if (!i_end) {
		i_end = next_non_spacetab(buf + 2, buf_end);
		if (!i_end || !next_terminator(i_end, buf_end))
			return -ENOEXEC;   /* all blanks, or the name is cut off */
		i_end = buf_end;
	}
	while (spacetab(i_end[-1]))
		i_end--;
	*i_end = '\0';
	char *i_name = next_non_spacetab(buf + 2, i_end);
	if (!i_name || i_name == i_end)
		return -ENOEXEC;
	*arg = NULL;
	char *i_sep = next_terminator(i_name, i_end);
	if (i_sep && *i_sep) {
		*arg = next_non_spacetab(i_sep, i_end);
		*i_sep = '\0';
	}
	*name = i_name;
	return 0;
}

/* argv without its first string, after `front` (n of them). */
static int rebuild(char ***argv, int *argc, char *const front[], int n)
{
	int keep = *argc > 0 ? *argc - 1 : 0;
	char **v = calloc((size_t)(n + keep + 1), sizeof *v);
	if (!v)
		return -ENOMEM;
	for (int i = 0; i < n; i++)
		if (!(v[i] = strdup(front[i]))) {
			for (int j = 0; j < i; j++)
				free(v[j]);
			free(v);
			return -ENOMEM;
		}
	for (int i = 0; i < keep; i++)
		v[n + i] = (*argv)[i + 1];
	if (*argc > 0)
		free((*argv)[0]);
	free(*argv);
	*argv = v;
	*argc = n + keep;
	return 0;
}

/* The file's first bytes as the kernel sees them: from its page cache
 * when the kernel has the page (written by the guest, perhaps not yet
 * back in the host file), else from the host file. No event: a peek. */
static ssize_t first_bytes(struct kernel *k, int fd, char *buf, size_t len)
{
	struct stat st;
	struct inode *i = fstat(fd, &st) ? NULL : inode_lookup(k, &st);
	if (i) {
		uint64_t n = i->size < len ? i->size : len;
		uint64_t pfn = n ? pagecache_lookup(i, 0) : NO_PFN;
		if (!n || pfn != NO_PFN) {
			if (n)
				memcpy(buf, physmem_ptr(k->pm, pfn_pa(k, pfn), k->page), n);
			return (ssize_t)n;
		}
	}
	return pread(fd, buf, len, 0);
}

int exec_script(struct kernel *k, const char *path, int *fd, char ***argv, int *argc)
{
	const char *filename = path;
	for (int depth = 0;; depth++) {
		char buf[BINPRM_BUF_SIZE] = {0};
		ssize_t got = first_bytes(k, *fd, buf, sizeof buf);
		if (got < 2 || buf[0] != '#' || buf[1] != '!')
			return 0;   /* not a script: the ELF loader decides */
		if (depth == BINPRM_MAX_RECURSION)
			return -ELOOP;
		char *name, *arg;
		int rc = parse(buf, &name, &arg);
		if (rc)
			return rc;
		char *front[3] = {name};
		int n = 1;
		if (arg)
			front[n++] = arg;
		front[n++] = (char *)filename;
		if ((rc = rebuild(argv, argc, front, n)))
			return rc;
		filename = (*argv)[0];   /* a nested script sees the interpreter's path */
		int ifd = sandbox_open_exec(k, name);
		if (ifd < 0)
			return ifd;
		close(*fd);
		*fd = ifd;
	}
}
