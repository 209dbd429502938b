/*
 * rt.h - what the files of the runtime-process plugin share.
 *
 *   process.c  the vtable: sandboxes, containers and images as CRI sees them
 *   spawn.c    a container's first process (namespaces, rootfs, privileges,
 *              seccomp) and ExecSync's process in the same namespaces
 *   seccomp.c  the default deny list, compiled once into a BPF program
 *   cgroup.c   limits, stats and the OOM-kill counter (cgroup v1 or v2)
 *   logs.c     a container's stdout/stderr into a file in the CRI log format
 *   image.c    OCI image layouts: index -> manifest -> config and layers,
 *              layers unpacked with tar(1) and merged with whiteouts
 *
 * The plugin links nothing from libkube: memory that crosses the ABI comes
 * from rt_host (the host table); the plugin's private data uses malloc.
 */
#ifndef RUNTIME_PROCESS_RT_H
#define RUNTIME_PROCESS_RT_H

#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/types.h>

#include "libkube/plugin/runtime.h"

extern const kube_host_api *rt_host;

/* Records the error with the host and returns code (printf-style message). */
int rt_fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

int64_t rt_now_ns(void);
/* mkdir -p; 0 or -1 with errno. */
int rt_mkdir_p(const char *path, mode_t mode);
/* rm -rf without following symlinks or crossing mounts; 0 or -1. */
int rt_remove_tree(const char *path);
/* Copies a directory tree (files, dirs, symlinks, devices, fifos; modes and owners). */
int rt_copy_tree(const char *from, const char *to);
/* A malloc'd copy of the file, NUL-terminated; NULL with errno. */
char *rt_read_file(const char *path, size_t max, size_t *len);

/* ---- sha256.c ---- */

void rt_sha256_hex(const void *data, size_t len, char hex[65]);
/* 0, or -1 with errno. */
int rt_sha256_file(const char *path, char hex[65]);

/* ---- seccomp.c ---- */

struct sock_fprog;
/* The default filter (built once, kept for the life of the process). */
int rt_seccomp_default(const struct sock_fprog **out);
/* The names of the syscalls it denies, NULL-terminated (for docs and tests). */
extern const char *const rt_seccomp_denied[];

/* ---- cgroup.c ---- */

enum { RT_CG_MEMORY, RT_CG_CPU, RT_CG_CPUACCT, RT_CG_PIDS, RT_CG_N };

typedef struct rt_cgroup {
	int v2;                      /* one unified path in path[0] */
	char *path[RT_CG_N];         /* absolute directories; NULL: controller absent */
} rt_cgroup;

typedef struct rt_cg_stats {
	uint64_t cpu_ns;
	uint64_t mem_usage, mem_working_set, mem_rss, pgfault, pgmajfault;
	int has_cpu, has_mem;
} rt_cg_stats;

/* Creates <controller root>/<rel> for each controller. */
int rt_cgroup_create(rt_cgroup *cg, const char *rel);
/* Applies what is set (> 0) in res; NULL: nothing. */
int rt_cgroup_limit(const rt_cgroup *cg, const kube_cri_linux_resources *res);
/* The cgroup.procs files a process writes "0" into to join (for ExecSync). */
int rt_cgroup_procs_paths(const rt_cgroup *cg, char paths[RT_CG_N][PATH_MAX]);
int rt_cgroup_add(const rt_cgroup *cg, pid_t pid);
int rt_cgroup_stats(const rt_cgroup *cg, rt_cg_stats *out);
/* How many processes the kernel's OOM killer killed in it. */
uint64_t rt_cgroup_oom_kills(const rt_cgroup *cg);
/* Kills what is left, removes the directories and frees the paths. */
void rt_cgroup_destroy(rt_cgroup *cg);

/* ---- logs.c ---- */

typedef struct rt_logger rt_logger;
/*
 * Starts a thread that reads out_fd and err_fd (it owns them) until both
 * reach end of file, writing CRI log lines to path (NULL: the output is
 * read and dropped).
 */
int rt_logger_start(rt_logger **out, const char *path, int out_fd, int err_fd);
int rt_logger_reopen(rt_logger *l);
/* Waits for end of file on both streams, then frees. */
void rt_logger_join(rt_logger *l);
/* One CRI log line for text (without the newline): for tests of the format. */
size_t rt_log_format(char *buf, size_t cap, int64_t ns, const char *stream, int partial,
                     const char *text, size_t len);

/* ---- spawn.c ---- */

typedef struct rt_bind {
	char *source;                /* host path */
	char *target;                /* absolute path on the host, under the rootfs */
	int readonly;
} rt_bind;

/* Everything the child needs, prepared by the parent: the child allocates nothing. */
typedef struct rt_launch {
	const char *rootfs;
	const char *hostname;        /* NULL: keep */
	char *const *argv;
	char *const *envp;
	const char *cwd;             /* in the container; NULL: "/" */
	int host_network;
	/* The sandbox's namespaces to join (rt_pod_ns); -1: a new one (or the host's net). */
	int ns_net, ns_ipc, ns_uts;
	uid_t uid;
	gid_t gid;
	const gid_t *groups;
	size_t n_groups;
	int readonly_rootfs;
	uint64_t caps;               /* capabilities kept (bit = CAP_*) */
	const rt_bind *binds;
	size_t n_binds;
	const struct sock_fprog *filter;   /* NULL: none (privileged) */
	int out_fd, err_fd;          /* the container's stdout and stderr */
	char cgroup_procs[RT_CG_N][PATH_MAX];   /* for exec: files to write "0" into */
} rt_launch;

typedef struct rt_child {
	pid_t pid;                   /* in the host's pid namespace */
	int ctl_fd;                  /* parent -> child: "go" */
	int status_fd;               /* child -> parent: ready / errors; EOF at exec */
} rt_child;

/*
 * Clones the container's init in new pid, mount, uts, ipc (and net unless
 * host_network) namespaces and takes it to the point just before execve.
 * place() is called with the child's pid before it does anything (cgroups).
 */
int rt_spawn(rt_child *out, const rt_launch *l, int (*place)(pid_t pid, void *arg), void *arg);
/*
 * A pod's shared namespaces without a pause process: a helper unshares
 * them (network: only if !host_network, then with loopback up; ipc unless
 * host_ipc; uts with hostname), the parent keeps them alive by holding
 * their /proc/<pid>/ns fds (close-on-exec), and the helper exits.  fds[0..2]
 * = net, ipc, uts, -1 where the host's is kept.
 */
int rt_pod_ns(int fds[3], int host_network, int host_ipc, const char *hostname);
/* Lets the created child exec; KUBE_ERROR with a message if exec failed. */
int rt_spawn_start(rt_child *c);
/* Runs argv in the namespaces of the container whose init is pid. */
int rt_exec_sync(pid_t pid, const rt_launch *l, int64_t timeout_s, kube_cri_exec_result *out);

/* ---- image.c ---- */

typedef struct rt_image {
	char *id;                    /* "sha256:<hex>" of the config */
	char **tags;                 /* references it was pulled as */
	size_t n_tags;
	uint64_t size;               /* sum of the layers' compressed sizes */
	char *rootfs;                /* <root>/images/<hex>/rootfs */
	char **entrypoint, **cmd, **env;
	size_t n_entrypoint, n_cmd, n_env;
	char *workdir;
	char *user;
} rt_image;

/*
 * Resolves ref (an absolute path to an OCI layout directory, or a name found
 * in one of the layout directories of search, ':'-separated) and unpacks it
 * under images_dir.  *out is malloc'd.
 */
int rt_image_pull(rt_image **out, const char *ref, const char *search, const char *images_dir);
void rt_image_free(rt_image *img);

#endif /* RUNTIME_PROCESS_RT_H */
