/*
 * seccomp.c - the filter every container process runs under: a deny list in
 * the spirit of the runtime default profiles (moby's default.json, which
 * containerd and CRI-O ship as RuntimeDefault).
 *
 * Upstream's profile is an allow list whose default is EPERM; this one
 * allows by default and answers EPERM for the calls upstream's table of
 * "significant syscalls blocked by the default profile" names, plus the new
 * mount API (fsopen ... mount_setattr) that postdates that table.  A deny
 * list keeps working for syscalls added after this file was written, which
 * matters more here than for a runtime that ships profile updates.  Like
 * upstream:
 *   - clone() with any CLONE_NEW* flag is refused (EPERM), because a process
 *     without capabilities must not make namespaces either;
 *   - clone3() answers ENOSYS, since its flags live in memory a filter
 *     cannot read, and libc then falls back to clone();
 *   - a syscall of a foreign architecture (32-bit calls on x86_64) kills
 *     the process (libseccomp's default for a bad architecture).
 *
 * The filter is built once with libseccomp and exported as a BPF program,
 * so that the child installs it with one prctl() and never calls into
 * libseccomp (which allocates) between clone and exec.
 */
#include <errno.h>
#include <linux/filter.h>
#include <pthread.h>
#include <sched.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "rt.h"

const char *const rt_seccomp_denied[] = {
	"acct", "add_key", "bpf", "clock_adjtime", "clock_settime", "create_module",
	"delete_module", "finit_module", "get_kernel_syms", "get_mempolicy", "init_module",
	"ioperm", "iopl", "kcmp", "kexec_file_load", "kexec_load", "keyctl", "lookup_dcookie",
	"mbind", "mount", "move_pages", "name_to_handle_at", "nfsservctl", "open_by_handle_at",
	"perf_event_open", "pivot_root", "process_vm_readv", "process_vm_writev", "ptrace",
	"query_module", "quotactl", "reboot", "request_key", "set_mempolicy", "setns",
	"settimeofday", "stime", "swapon", "swapoff", "sysfs", "syslog", "_sysctl", "umount",
	"umount2", "unshare", "uselib", "userfaultfd", "ustat", "vm86", "vm86old",
	/* the mount API of Linux 5.2+ */
	"open_tree", "move_mount", "fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr",
	NULL
};

static const uint64_t clone_ns_flags[] = {
	CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET,
	CLONE_NEWCGROUP,
#ifdef CLONE_NEWTIME
	CLONE_NEWTIME,
#endif
};

static pthread_once_t once = PTHREAD_ONCE_INIT;
static struct sock_fprog prog;
static int build_rc;

static int build(void)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx)
		return rt_fail(KUBE_ENOMEM, "runtime-process: seccomp_init failed");
	int rc = 0;
	for (size_t i = 0; rt_seccomp_denied[i] && !rc; i++) {
		int nr = seccomp_syscall_resolve_name(rt_seccomp_denied[i]);
		if (nr == __NR_SCMP_ERROR)
			continue;   /* not on this architecture */
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0);
	}
	for (size_t i = 0; i < sizeof(clone_ns_flags) / sizeof(clone_ns_flags[0]) && !rc; i++)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
		                      SCMP_A0(SCMP_CMP_MASKED_EQ, clone_ns_flags[i], clone_ns_flags[i]));
	int nr3 = seccomp_syscall_resolve_name("clone3");
	if (!rc && nr3 != __NR_SCMP_ERROR)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), nr3, 0);
	if (rc) {
		seccomp_release(ctx);
		return rt_fail(KUBE_ERROR, "runtime-process: seccomp rule: %s", strerror(-rc));
	}
	int fd = memfd_create("kube-seccomp", MFD_CLOEXEC);
	if (fd < 0 || seccomp_export_bpf(ctx, fd) != 0) {
		if (fd >= 0)
			close(fd);
		seccomp_release(ctx);
		return rt_fail(KUBE_ERROR, "runtime-process: cannot export the seccomp filter");
	}
	seccomp_release(ctx);
	off_t len = lseek(fd, 0, SEEK_END);
	struct sock_filter *f = len > 0 ? malloc((size_t)len) : NULL;
	if (!f || pread(fd, f, (size_t)len, 0) != len || len % sizeof(*f)) {
		free(f);
		close(fd);
		return rt_fail(KUBE_ERROR, "runtime-process: cannot read the seccomp filter back");
	}
	close(fd);
	prog.len = (unsigned short)(len / (off_t)sizeof(*f));
	prog.filter = f;
	return 0;
}

static void build_once(void)
{
	build_rc = build();
}

int rt_seccomp_default(const struct sock_fprog **out)
{
	pthread_once(&once, build_once);
	if (build_rc)
		return build_rc;
	*out = &prog;
	return 0;
}

/* The program outlives every instance; dlclose must not strand it (LSan). */
__attribute__((destructor)) static void seccomp_fini(void)
{
	free(prog.filter);
	prog.filter = NULL;
}
