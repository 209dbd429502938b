/*
 * spawn.c - a container's processes.
 *
 * rt_spawn clones the container's init with CLONE_NEWPID | CLONE_NEWNS |
 * CLONE_NEWUTS | CLONE_NEWIPC (| CLONE_NEWNET unless the sandbox is on the
 * host network).  The child, pid 1 of its namespace, then:
 *
 *   wait for "placed" (the parent has put it in its cgroups)
 *   stdio: /dev/null, the log pipes; every other inherited fd closed;
 *          signal mask and dispositions reset
 *   hostname
 *   mounts: "/" private; the rootfs bind-mounted nosuid,nodev (an image's
 *          device nodes and setuid bits mean nothing); /proc (with upstream's
 *          masked and read-only paths: /proc/kcore ... and /proc/sys ...),
 *          /dev as a tmpfs holding only null, zero, full, random, urandom
 *          and tty, /dev/shm, /dev/pts, /sys read-only; the CRI mounts
 *   pivot_root into the rootfs and detach the old root; read-only root if
 *          asked; working directory (made if missing, as runc does)
 *   privileges: bounding set cut to the kept capabilities (none by
 *          default), groups/gid/uid, capset, ambient cleared, no_new_privs
 *   report "ready" and wait for "start" (CreateContainer -> StartContainer)
 *   seccomp filter, execve (PATH searched as execvp would)
 *
 * The child runs between clone and exec in a copy of a possibly
 * multi-threaded process, so it calls no allocator: the parent prepares
 * every string (rt_launch) and the BPF program.  A failure is reported as
 * {stage, errno} on the status pipe, which is close-on-exec: end of file
 * there means execve succeeded.
 *
 * rt_exec_sync (ExecSync) forks a helper that joins the container's cgroups
 * and namespaces (setns: ipc, uts, net, pid, mnt last), then forks the
 * command, which takes the same privileges and filter as the init, so an
 * exec'd process is no more able than the container itself.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <grp.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "rt.h"

enum {
	STG_STDIO = 1, STG_HOSTNAME, STG_PRIVATE, STG_ROOTFS, STG_PROC, STG_DEV, STG_BIND,
	STG_PIVOT, STG_CWD, STG_READONLY, STG_CAPS, STG_GROUPS, STG_NNP, STG_SECCOMP, STG_EXEC,
	STG_NAMESPACES,
};

static const char *stage_name(int s)
{
	switch (s) {
	case STG_STDIO: return "setting up stdio";
	case STG_HOSTNAME: return "sethostname";
	case STG_PRIVATE: return "making / private";
	case STG_ROOTFS: return "bind-mounting the rootfs";
	case STG_PROC: return "mounting /proc";
	case STG_DEV: return "setting up /dev";
	case STG_BIND: return "a CRI mount";
	case STG_PIVOT: return "pivot_root";
	case STG_CWD: return "the working directory";
	case STG_READONLY: return "making the rootfs read-only";
	case STG_CAPS: return "dropping capabilities";
	case STG_GROUPS: return "setting uid/gid/groups";
	case STG_NNP: return "no_new_privs";
	case STG_SECCOMP: return "installing the seccomp filter";
	case STG_EXEC: return "exec";
	case STG_NAMESPACES: return "joining the pod's namespaces";
	default: return "container setup";
	}
}

typedef struct report {
	int32_t stage;
	int32_t err;
} report;

static __attribute__((noreturn)) void die(int fd, int stage)
{
	report r = { stage, errno };
	if (write(fd, &r, sizeof(r)) < 0) {
		/* nothing left to tell */
	}
	_exit(127);
}

/* dst = a + b, truncated; the child's only string building. */
static void join(char *dst, size_t cap, const char *a, const char *b)
{
	size_t i = 0;
	for (; a && *a && i + 1 < cap; a++)
		dst[i++] = *a;
	for (; b && *b && i + 1 < cap; b++)
		dst[i++] = *b;
	dst[i] = '\0';
}

static int mkdir_p_nomalloc(const char *path, mode_t mode)
{
	char p[PATH_MAX];
	join(p, sizeof(p), path, NULL);
	for (char *s = p + 1; *s; s++) {
		if (*s == '/') {
			*s = '\0';
			if (mkdir(p, mode) != 0 && errno != EEXIST)
				return -1;
			*s = '/';
		}
	}
	return mkdir(p, mode) != 0 && errno != EEXIST ? -1 : 0;
}

static void reset_signals(void)
{
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (int s = 1; s < NSIG; s++)
		if (s != SIGKILL && s != SIGSTOP)
			signal(s, SIG_DFL);
}

static void close_from(int lowfd)
{
#ifdef SYS_close_range
	if (syscall(SYS_close_range, (unsigned)lowfd, ~0u, 0u) == 0)
		return;
#endif
	for (int fd = lowfd; fd < 65536; fd++)
		close(fd);
}

/* The container's /dev: a tmpfs with only the harmless devices, bound from the host. */
static int setup_dev(const char *rootfs)
{
	static const char *const nodes[] = { "null", "zero", "full", "random", "urandom", "tty" };
	char dev[PATH_MAX], p[PATH_MAX], host[64];
	join(dev, sizeof(dev), rootfs, "/dev");
	if (mkdir(dev, 0755) != 0 && errno != EEXIST)
		return -1;
	if (mount("tmpfs", dev, "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=755,size=65536k") != 0)
		return -1;
	for (size_t i = 0; i < sizeof(nodes) / sizeof(nodes[0]); i++) {
		join(p, sizeof(p), dev, "/");
		join(p, sizeof(p), p, nodes[i]);
		join(host, sizeof(host), "/dev/", nodes[i]);
		int fd = open(p, O_CREAT | O_WRONLY | O_CLOEXEC, 0666);
		if (fd < 0)
			return -1;
		close(fd);
		if (mount(host, p, NULL, MS_BIND, NULL) != 0)
			return -1;
	}
	join(p, sizeof(p), dev, "/shm");
	if (mkdir(p, 01777) != 0 ||
	    mount("shm", p, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777,size=65536k") != 0)
		return -1;
	join(p, sizeof(p), dev, "/pts");
	if (mkdir(p, 0755) == 0 &&
	    mount("devpts", p, "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620") == 0) {
		join(p, sizeof(p), dev, "/ptmx");
		if (symlink("pts/ptmx", p) != 0)
			return -1;
	}
	static const char *const links[][2] = {
		{ "/fd", "/proc/self/fd" }, { "/stdin", "/proc/self/fd/0" },
		{ "/stdout", "/proc/self/fd/1" }, { "/stderr", "/proc/self/fd/2" },
	};
	for (size_t i = 0; i < 4; i++) {
		join(p, sizeof(p), dev, links[i][0]);
		if (symlink(links[i][1], p) != 0)
			return -1;
	}
	return 0;
}

/* Upstream's masked paths (hidden) and read-only paths under /proc. */
static void setup_proc_masks(const char *rootfs)
{
	static const char *const masked_files[] = {
		"/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
		"/proc/timer_stats", "/proc/sched_debug",
	};
	static const char *const masked_dirs[] = { "/proc/acpi", "/proc/scsi" };
	static const char *const readonly[] = {
		"/proc/asound", "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
	};
	char p[PATH_MAX];
	for (size_t i = 0; i < sizeof(masked_files) / sizeof(masked_files[0]); i++) {
		join(p, sizeof(p), rootfs, masked_files[i]);
		if (access(p, F_OK) == 0)
			mount("/dev/null", p, NULL, MS_BIND, NULL);
	}
	for (size_t i = 0; i < sizeof(masked_dirs) / sizeof(masked_dirs[0]); i++) {
		join(p, sizeof(p), rootfs, masked_dirs[i]);
		if (access(p, F_OK) == 0)
			mount("tmpfs", p, "tmpfs", MS_RDONLY, "size=0");
	}
	for (size_t i = 0; i < sizeof(readonly) / sizeof(readonly[0]); i++) {
		join(p, sizeof(p), rootfs, readonly[i]);
		if (access(p, F_OK) == 0 && mount(p, p, NULL, MS_BIND | MS_REC, NULL) == 0)
			mount(NULL, p, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
			      NULL);
	}
}

static int setup_mounts(const rt_launch *l)
{
	char p[PATH_MAX];
	if (mount(l->rootfs, l->rootfs, NULL, MS_BIND | MS_REC, NULL) != 0 ||
	    mount(NULL, l->rootfs, NULL, MS_BIND | MS_REMOUNT | MS_NOSUID | MS_NODEV, NULL) != 0)
		return STG_ROOTFS;
	join(p, sizeof(p), l->rootfs, "/proc");
	if ((mkdir(p, 0555) != 0 && errno != EEXIST) ||
	    mount("proc", p, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0)
		return STG_PROC;
	if (setup_dev(l->rootfs) != 0)
		return STG_DEV;
	join(p, sizeof(p), l->rootfs, "/sys");
	if (mkdir(p, 0555) == 0 || errno == EEXIST) {
		/* Without a network namespace of its own sysfs may refuse; /sys is optional. */
		mount("sysfs", p, "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	}
	for (size_t i = 0; i < l->n_binds; i++) {
		const rt_bind *b = &l->binds[i];
		struct stat st;
		if (stat(b->source, &st) != 0)
			return STG_BIND;
		if (S_ISDIR(st.st_mode)) {
			if (mkdir_p_nomalloc(b->target, 0755) != 0)
				return STG_BIND;
		} else {
			char dir[PATH_MAX];
			join(dir, sizeof(dir), b->target, NULL);
			char *slash = strrchr(dir, '/');
			if (slash && slash != dir) {
				*slash = '\0';
				if (mkdir_p_nomalloc(dir, 0755) != 0)
					return STG_BIND;
			}
			int fd = open(b->target, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
			if (fd < 0)
				return STG_BIND;
			close(fd);
		}
		if (mount(b->source, b->target, NULL, MS_BIND | MS_REC, NULL) != 0)
			return STG_BIND;
		unsigned long fl = MS_BIND | MS_REMOUNT | MS_NOSUID | MS_NODEV;
		if (b->readonly)
			fl |= MS_RDONLY;
		if (mount(NULL, b->target, NULL, fl, NULL) != 0)
			return STG_BIND;
	}
	setup_proc_masks(l->rootfs);
	return 0;
}

/* Capabilities, ids and no_new_privs: what both the init and exec'd processes go through. */
static int drop_privileges(const rt_launch *l)
{
	for (int cap = 0; cap < 64; cap++) {
		if (l->caps & (UINT64_C(1) << cap))
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL)
			return STG_CAPS;
	}
	if (setgroups(l->n_groups, l->groups) != 0 || setresgid(l->gid, l->gid, l->gid) != 0 ||
	    setresuid(l->uid, l->uid, l->uid) != 0)
		return STG_GROUPS;
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];
	memset(data, 0, sizeof(data));
	uint64_t keep = l->uid == 0 ? l->caps : 0;
	data[0].effective = data[0].permitted = (uint32_t)keep;
	data[1].effective = data[1].permitted = (uint32_t)(keep >> 32);
	if (syscall(SYS_capset, &hdr, data) != 0)
		return STG_CAPS;
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return STG_NNP;
	return 0;
}

/* execvp without the allocator: PATH from the container's environment. */
static void exec_search(const rt_launch *l)
{
	const char *file = l->argv[0];
	if (strchr(file, '/')) {
		execve(file, l->argv, l->envp);
		return;
	}
	const char *path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	for (char *const *e = l->envp; *e; e++)
		if (strncmp(*e, "PATH=", 5) == 0)
			path = *e + 5;
	int saw_eacces = 0;
	while (*path) {
		const char *colon = strchr(path, ':');
		size_t n = colon ? (size_t)(colon - path) : strlen(path);
		char full[PATH_MAX];
		if (n + strlen(file) + 2 < sizeof(full)) {
			memcpy(full, path, n);
			full[n] = '\0';
			join(full, sizeof(full), full, n ? "/" : "");
			join(full, sizeof(full), full, file);
			execve(full, l->argv, l->envp);
			if (errno == EACCES)
				saw_eacces = 1;
		}
		path += n + (colon ? 1 : 0);
	}
	errno = saw_eacces ? EACCES : ENOENT;
}

static __attribute__((noreturn)) void child_main(const rt_launch *l, int ctl, int st)
{
	char c;
	reset_signals();
	if (read(ctl, &c, 1) != 1)
		_exit(127);
	/* The pod's namespaces, joined while their fds are still open. */
	if ((l->ns_net >= 0 && setns(l->ns_net, CLONE_NEWNET) != 0) ||
	    (l->ns_ipc >= 0 && setns(l->ns_ipc, CLONE_NEWIPC) != 0) ||
	    (l->ns_uts >= 0 && setns(l->ns_uts, CLONE_NEWUTS) != 0))
		die(st, STG_NAMESPACES);
	int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	int hi_ctl = fcntl(ctl, F_DUPFD_CLOEXEC, 10), hi_st = fcntl(st, F_DUPFD_CLOEXEC, 10);
	int hi_out = fcntl(l->out_fd, F_DUPFD_CLOEXEC, 10), hi_err = fcntl(l->err_fd, F_DUPFD_CLOEXEC, 10);
	if (devnull < 0 || hi_ctl < 0 || hi_st < 0 || hi_out < 0 || hi_err < 0 ||
	    dup2(devnull, 0) < 0 || dup2(hi_out, 1) < 0 || dup2(hi_err, 2) < 0 ||
	    dup3(hi_ctl, 3, O_CLOEXEC) < 0 || dup3(hi_st, 4, O_CLOEXEC) < 0)
		die(st, STG_STDIO);
	ctl = 3;
	st = 4;
	close_from(5);

	if (l->hostname && sethostname(l->hostname, strlen(l->hostname)) != 0)
		die(st, STG_HOSTNAME);
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
		die(st, STG_PRIVATE);
	int stage = setup_mounts(l);
	if (stage)
		die(st, stage);
	if (chdir(l->rootfs) != 0 || syscall(SYS_pivot_root, ".", ".") != 0 ||
	    umount2(".", MNT_DETACH) != 0 || chdir("/") != 0)
		die(st, STG_PIVOT);
	const char *cwd = l->cwd && l->cwd[0] ? l->cwd : "/";
	if (l->readonly_rootfs) {
		if (mount(NULL, "/", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL) != 0)
			die(st, STG_READONLY);
	} else if (mkdir_p_nomalloc(cwd, 0755) != 0) {
		die(st, STG_CWD);
	}
	if (chdir(cwd) != 0)
		die(st, STG_CWD);
	if ((stage = drop_privileges(l)))
		die(st, stage);

	if (write(st, "r", 1) != 1)
		_exit(127);
	if (read(ctl, &c, 1) != 1)
		_exit(127);   /* removed before it was started */
	close(ctl);
	if (l->filter && prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, l->filter, 0, 0) != 0)
		die(st, STG_SECCOMP);
	exec_search(l);
	die(st, STG_EXEC);
}

static int read_report(int fd, report *r)
{
	for (;;) {
		ssize_t n = read(fd, r, sizeof(*r));
		if (n < 0 && errno == EINTR)
			continue;
		return (int)n;
	}
}

int rt_spawn(rt_child *out, const rt_launch *l, int (*place)(pid_t, void *), void *arg)
{
	int ctl[2], st[2];
	if (pipe2(ctl, O_CLOEXEC) != 0)
		return rt_fail(KUBE_EIO, "runtime-process: pipe: %s", strerror(errno));
	if (pipe2(st, O_CLOEXEC) != 0) {
		close(ctl[0]);
		close(ctl[1]);
		return rt_fail(KUBE_EIO, "runtime-process: pipe: %s", strerror(errno));
	}
	/* New pid and mount namespaces always; the others only where the pod has none to join. */
	long flags = CLONE_NEWPID | CLONE_NEWNS | SIGCHLD;
	if (l->ns_uts < 0)
		flags |= CLONE_NEWUTS;
	if (l->ns_ipc < 0)
		flags |= CLONE_NEWIPC;
	if (!l->host_network && l->ns_net < 0)
		flags |= CLONE_NEWNET;
	/*
	 * The raw syscall with no new stack behaves like fork() into new
	 * namespaces (glibc's clone() wants a stack; fork() cannot set flags).
	 */
	pid_t pid = (pid_t)syscall(SYS_clone, flags, NULL, NULL, NULL, NULL);
	if (pid == 0) {
		close(ctl[1]);
		close(st[0]);
		child_main(l, ctl[0], st[1]);
	}
	int e = errno;
	close(ctl[0]);
	close(st[1]);
	if (pid < 0) {
		close(ctl[1]);
		close(st[0]);
		return rt_fail(e == EPERM ? KUBE_EPERM : KUBE_ERROR,
		               "runtime-process: cannot clone the container: %s", strerror(e));
	}
	out->pid = pid;
	out->ctl_fd = ctl[1];
	out->status_fd = st[0];
	int rc = place ? place(pid, arg) : 0;
	if (!rc && write(ctl[1], "c", 1) != 1)
		rc = rt_fail(KUBE_ERROR, "runtime-process: the container's init went away");
	report r;
	int n = rc ? 0 : read_report(st[0], &r);
	if (!rc && n != 1) {
		if (n == (int)sizeof(r))
			rc = rt_fail(KUBE_ERROR, "runtime-process: container setup failed at %s: %s",
			             stage_name(r.stage), strerror(r.err));
		else
			rc = rt_fail(KUBE_ERROR, "runtime-process: container setup failed");
	}
	if (rc) {
		kill(pid, SIGKILL);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		close(ctl[1]);
		close(st[0]);
		out->pid = 0;
		out->ctl_fd = out->status_fd = -1;
	}
	return rc;
}

int rt_spawn_start(rt_child *c)
{
	int rc = 0;
	if (write(c->ctl_fd, "s", 1) != 1)
		rc = rt_fail(KUBE_ERROR, "runtime-process: the container's init went away");
	close(c->ctl_fd);
	c->ctl_fd = -1;
	report r;
	int n = rc ? 0 : read_report(c->status_fd, &r);
	if (!rc && n == (int)sizeof(r))
		rc = rt_fail(KUBE_ERROR, "runtime-process: cannot start the container: %s %s: %s",
		             stage_name(r.stage), r.stage == STG_EXEC ? "failed" : "failed",
		             strerror(r.err));
	else if (!rc && n != 0)
		rc = rt_fail(KUBE_ERROR, "runtime-process: cannot start the container");
	close(c->status_fd);
	c->status_fd = -1;
	return rc;
}

/* ---- a pod's namespaces ---- */

static int loopback_up(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, "lo", 3);
	int rc = ioctl(fd, SIOCGIFFLAGS, &ifr);
	if (rc == 0) {
		ifr.ifr_flags |= IFF_UP;
		rc = ioctl(fd, SIOCSIFFLAGS, &ifr);
	}
	close(fd);
	return rc;
}

int rt_pod_ns(int fds[3], int host_network, int host_ipc, const char *hostname)
{
	fds[0] = fds[1] = fds[2] = -1;
	int sync[2];
	if (pipe2(sync, O_CLOEXEC) != 0)
		return rt_fail(KUBE_EIO, "runtime-process: pipe: %s", strerror(errno));
	int flags = CLONE_NEWUTS | (host_ipc ? 0 : CLONE_NEWIPC) | (host_network ? 0 : CLONE_NEWNET);
	if (host_network)
		flags &= ~CLONE_NEWUTS;   /* a pod on the host network has the host's name too */
	pid_t pid = fork();
	if (pid == 0) {
		close(sync[0]);
		char ok = 'r';
		if (flags && unshare(flags) != 0)
			ok = 'u';
		else if ((flags & CLONE_NEWUTS) && hostname && sethostname(hostname, strlen(hostname)) != 0)
			ok = 'h';
		else if ((flags & CLONE_NEWNET) && loopback_up() != 0)
			ok = 'l';
		if (write(sync[1], &ok, 1) != 1)
			_exit(1);
		/* Holds the namespaces until the parent has their fds and kills it. */
		for (;;)
			pause();
	}
	close(sync[1]);
	if (pid < 0) {
		close(sync[0]);
		return rt_fail(KUBE_ERROR, "runtime-process: fork: %s", strerror(errno));
	}
	char ok = 0;
	int rc = 0;
	if (read(sync[0], &ok, 1) != 1 || ok != 'r')
		rc = rt_fail(KUBE_ERROR, "runtime-process: cannot make the pod's namespaces (%s): %s",
		             ok == 'u' ? "unshare" : ok == 'h' ? "sethostname" : ok == 'l' ? "loopback" : "helper",
		             strerror(errno));
	close(sync[0]);
	static const char *const names[3] = { "net", "ipc", "uts" };
	static const int want[3] = { CLONE_NEWNET, CLONE_NEWIPC, CLONE_NEWUTS };
	for (int i = 0; i < 3 && !rc; i++) {
		if (!(flags & want[i]))
			continue;
		char p[64];
		snprintf(p, sizeof(p), "/proc/%d/ns/%s", (int)pid, names[i]);
		if ((fds[i] = open(p, O_RDONLY | O_CLOEXEC)) < 0)
			rc = rt_fail(KUBE_EIO, "runtime-process: %s: %s", p, strerror(errno));
	}
	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	if (rc) {
		for (int i = 0; i < 3; i++)
			if (fds[i] >= 0)
				close(fds[i]), fds[i] = -1;
	}
	return rc;
}

/* ---- ExecSync ---- */

static __attribute__((noreturn)) void exec_helper(pid_t target, const rt_launch *l, int out, int err)
{
	reset_signals();
	for (int i = 0; i < RT_CG_N; i++) {
		if (!l->cgroup_procs[i][0])
			continue;
		int fd = open(l->cgroup_procs[i], O_WRONLY | O_CLOEXEC);
		if (fd >= 0) {
			if (write(fd, "0", 1) != 1) {
				/* stats then miss this process; it still runs */
			}
			close(fd);
		}
	}
	static const char *const kinds[] = { "ipc", "uts", "net", "pid", "mnt" };
	static const int types[] = { CLONE_NEWIPC, CLONE_NEWUTS, CLONE_NEWNET, CLONE_NEWPID, CLONE_NEWNS };
	int fds[5];
	char p[64], num[16];
	int k = 0;
	for (pid_t v = target; v; v /= 10)
		k++;
	num[k] = '\0';
	for (pid_t v = target; v; v /= 10)
		num[--k] = (char)('0' + v % 10);
	for (int i = 0; i < 5; i++) {
		join(p, sizeof(p), "/proc/", num);
		join(p, sizeof(p), p, "/ns/");
		join(p, sizeof(p), p, kinds[i]);
		fds[i] = open(p, O_RDONLY | O_CLOEXEC);
		if (fds[i] < 0)
			_exit(126);
	}
	for (int i = 0; i < 5; i++) {
		if (types[i] == CLONE_NEWNET && l->host_network)
			continue;
		if (setns(fds[i], types[i]) != 0)
			_exit(126);
		close(fds[i]);
	}
	int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
		_exit(126);
	close_from(3);
	pid_t pid = fork();
	if (pid == 0) {
		/* Dies with the helper, which is what a timeout kills. */
		prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		/*
		 * The helper is outside the pid namespace, so it shows as
		 * parent 0; anything else means it died before the line above.
		 */
		if (getppid() != 0)
			_exit(126);
		const char *cwd = l->cwd && l->cwd[0] ? l->cwd : "/";
		if (chdir(cwd) != 0 && chdir("/") != 0)
			_exit(126);
		if (drop_privileges(l))
			_exit(126);
		if (l->filter && prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, l->filter, 0, 0) != 0)
			_exit(126);
		exec_search(l);
		static const char msg[] = "runtime-process: exec: executable file not found\n";
		if (write(2, msg, sizeof(msg) - 1) < 0) {
			/* nothing to do */
		}
		_exit(errno == EACCES ? 126 : 127);
	}
	if (pid < 0)
		_exit(126);
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			_exit(126);
	_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}

typedef struct buf {
	uint8_t *data;
	size_t len, cap;
} buf;

#define EXEC_OUTPUT_MAX (16u << 20)   /* CRI's 16 MiB message limit */

static int buf_read(buf *b, int fd)
{
	if (b->cap - b->len < 4096) {
		size_t ncap = b->cap ? b->cap * 2 : 8192;
		uint8_t *n = rt_host->realloc(b->data, ncap + 1);
		if (!n)
			return -1;
		b->data = n;
		b->cap = ncap;
	}
	ssize_t n = read(fd, b->data + b->len, b->cap - b->len);
	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? 1 : 0;
	if (n == 0)
		return 0;
	if (b->len + (size_t)n <= EXEC_OUTPUT_MAX)
		b->len += (size_t)n;
	return 1;
}

int rt_exec_sync(pid_t target, const rt_launch *l, int64_t timeout_s, kube_cri_exec_result *res)
{
	int out[2], err[2];
	if (pipe2(out, O_CLOEXEC) != 0)
		return rt_fail(KUBE_EIO, "runtime-process: pipe: %s", strerror(errno));
	if (pipe2(err, O_CLOEXEC) != 0) {
		close(out[0]);
		close(out[1]);
		return rt_fail(KUBE_EIO, "runtime-process: pipe: %s", strerror(errno));
	}
	pid_t helper = fork();
	if (helper == 0)
		exec_helper(target, l, out[1], err[1]);
	int e = errno;
	close(out[1]);
	close(err[1]);
	if (helper < 0) {
		close(out[0]);
		close(err[0]);
		return rt_fail(KUBE_ERROR, "runtime-process: fork: %s", strerror(e));
	}
	buf b[2] = { { 0 }, { 0 } };
	int fds[2] = { out[0], err[0] };
	int open_n = 2, rc = 0;
	int64_t deadline = timeout_s > 0 ? rt_now_ns() + timeout_s * 1000000000 : 0;
	while (open_n && !rc) {
		struct pollfd p[2];
		int np = 0, idx[2];
		for (int i = 0; i < 2; i++) {
			if (fds[i] >= 0) {
				p[np] = (struct pollfd){ .fd = fds[i], .events = POLLIN };
				idx[np++] = i;
			}
		}
		int wait_ms = -1;
		if (deadline) {
			int64_t left = deadline - rt_now_ns();
			if (left <= 0) {
				rc = rt_fail(KUBE_ETIMEDOUT, "runtime-process: ExecSync timed out after %llds",
				             (long long)timeout_s);
				break;
			}
			wait_ms = (int)(left / 1000000) + 1;
		}
		int n = poll(p, (nfds_t)np, wait_ms);
		if (n < 0 && errno != EINTR)
			rc = rt_fail(KUBE_EIO, "runtime-process: poll: %s", strerror(errno));
		for (int j = 0; j < np && n > 0; j++) {
			if (!p[j].revents)
				continue;
			int i = idx[j];
			int r = buf_read(&b[i], fds[i]);
			if (r < 0)
				rc = KUBE_ENOMEM;
			if (r <= 0) {
				close(fds[i]);
				fds[i] = -1;
				open_n--;
			}
		}
	}
	for (int i = 0; i < 2; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	if (rc)
		kill(helper, SIGKILL);
	int status = 0;
	while (waitpid(helper, &status, 0) < 0 && errno == EINTR)
		;
	if (rc) {
		rt_host->free(b[0].data);
		rt_host->free(b[1].data);
		return rc;
	}
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	for (int i = 0; i < 2; i++) {
		if (!b[i].data && !(b[i].data = rt_host->malloc(1))) {
			rt_host->free(b[0].data);
			return KUBE_ENOMEM;
		}
		b[i].data[b[i].len] = '\0';
	}
	res->out = b[0].data;
	res->out_len = b[0].len;
	res->err = b[1].data;
	res->err_len = b[1].len;
	res->exit_code = code;
	return 0;
}
