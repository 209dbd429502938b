/*
 * cgroup.c - a container's control groups: the memory and cpu limits CRI
 * asks for, its usage for ContainerStats, and the OOM killer's count for
 * ContainerStatus's "OOMKilled".
 *
 * cgroup v2 is used when /sys/fs/cgroup is the unified hierarchy
 * (cgroup.controllers exists there); otherwise the v1 controllers memory,
 * cpu, cpuacct and pids, each at /sys/fs/cgroup/<controller>/<rel>.
 *
 *   v1: memory.limit_in_bytes (+ memory.memsw.limit_in_bytes, so swap cannot
 *       stand in for the limit), cpu.cfs_quota_us/cfs_period_us, cpu.shares;
 *       usage from cpuacct.usage, memory.usage_in_bytes and memory.stat;
 *       OOM kills from memory.oom_control's oom_kill.
 *   v2: memory.max (+ memory.swap.max 0), cpu.max, cpu.weight (converted
 *       from shares as upstream does: 1 + (shares - 2) * 9999 / 262142);
 *       usage from cpu.stat and memory.current/memory.stat; OOM kills from
 *       memory.events.
 *
 * Working set is usage minus inactive file pages, as the kubelet computes it.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "rt.h"

#define CG_ROOT "/sys/fs/cgroup"

static const char *const v1_names[RT_CG_N] = { "memory", "cpu", "cpuacct", "pids" };

static int write_str(const char *dir, const char *file, const char *value)
{
	char p[PATH_MAX + 64];
	snprintf(p, sizeof(p), "%s/%s", dir, file);
	int fd = open(p, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, value, strlen(value));
	int e = errno;
	close(fd);
	errno = e;
	return n == (ssize_t)strlen(value) ? 0 : -1;
}

static int write_i64(const char *dir, const char *file, int64_t v)
{
	char buf[32];
	snprintf(buf, sizeof(buf), "%lld", (long long)v);
	return write_str(dir, file, buf);
}

/* The value of `key` in a "key value" per line file, or of the first number. */
static int read_keyed(const char *dir, const char *file, const char *key, uint64_t *out)
{
	char p[PATH_MAX + 64];
	snprintf(p, sizeof(p), "%s/%s", dir, file);
	FILE *f = fopen(p, "re");
	if (!f)
		return -1;
	char line[256];
	int rc = -1;
	size_t kl = key ? strlen(key) : 0;
	while (fgets(line, sizeof(line), f)) {
		if (!key) {
			*out = strtoull(line, NULL, 10);
			rc = 0;
			break;
		}
		if (strncmp(line, key, kl) == 0 && line[kl] == ' ') {
			*out = strtoull(line + kl + 1, NULL, 10);
			rc = 0;
			break;
		}
	}
	fclose(f);
	return rc;
}

static int is_v2(void)
{
	return access(CG_ROOT "/cgroup.controllers", F_OK) == 0;
}

/* v2: each ancestor must delegate the controllers to its children. */
static void v2_enable(const char *rel)
{
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s", CG_ROOT);
	const char *s = rel;
	while (*s) {
		write_str(dir, "cgroup.subtree_control", "+memory");
		write_str(dir, "cgroup.subtree_control", "+cpu");
		write_str(dir, "cgroup.subtree_control", "+pids");
		while (*s == '/')
			s++;
		const char *e = strchr(s, '/');
		size_t n = e ? (size_t)(e - s) : strlen(s);
		if (!n)
			break;
		size_t dl = strlen(dir);
		snprintf(dir + dl, sizeof(dir) - dl, "/%.*s", (int)n, s);
		s += n;
		if (*s == '\0')
			break;   /* the leaf itself holds processes: no delegation */
	}
}

int rt_cgroup_create(rt_cgroup *cg, const char *rel)
{
	memset(cg, 0, sizeof(*cg));
	while (*rel == '/')
		rel++;
	char p[PATH_MAX];
	if (is_v2()) {
		cg->v2 = 1;
		snprintf(p, sizeof(p), CG_ROOT "/%s", rel);
		if (rt_mkdir_p(p, 0755) != 0)
			return rt_fail(KUBE_EIO, "runtime-process: cgroup %s: %s", p, strerror(errno));
		v2_enable(rel);
		if (!(cg->path[0] = strdup(p)))
			return KUBE_ENOMEM;
		return 0;
	}
	for (int i = 0; i < RT_CG_N; i++) {
		snprintf(p, sizeof(p), CG_ROOT "/%s", v1_names[i]);
		if (access(p, F_OK) != 0)
			continue;   /* controller not mounted */
		snprintf(p, sizeof(p), CG_ROOT "/%s/%s", v1_names[i], rel);
		if (rt_mkdir_p(p, 0755) != 0) {
			int e = errno;
			rt_cgroup_destroy(cg);
			return rt_fail(KUBE_EIO, "runtime-process: cgroup %s: %s", p, strerror(e));
		}
		if (!(cg->path[i] = strdup(p))) {
			rt_cgroup_destroy(cg);
			return KUBE_ENOMEM;
		}
	}
	if (!cg->path[RT_CG_MEMORY])
		return rt_fail(KUBE_ENOTSUP, "runtime-process: no memory cgroup controller");
	return 0;
}

int rt_cgroup_limit(const rt_cgroup *cg, const kube_cri_linux_resources *r)
{
	if (!r)
		return 0;
	int bad = 0;
	const char *what = "";
	if (cg->v2) {
		const char *d = cg->path[0];
		if (r->memory_limit_in_bytes > 0) {
			if (write_i64(d, "memory.max", r->memory_limit_in_bytes))
				bad = 1, what = "memory.max";
			write_str(d, "memory.swap.max", "0");
		}
		if (r->cpu_quota > 0) {
			char v[64];
			snprintf(v, sizeof(v), "%lld %lld", (long long)r->cpu_quota,
			         (long long)(r->cpu_period > 0 ? r->cpu_period : 100000));
			if (!bad && write_str(d, "cpu.max", v))
				bad = 1, what = "cpu.max";
		}
		if (r->cpu_shares >= 2) {
			int64_t w = 1 + ((r->cpu_shares - 2) * 9999) / 262142;
			if (!bad && write_i64(d, "cpu.weight", w))
				bad = 1, what = "cpu.weight";
		}
	} else {
		const char *m = cg->path[RT_CG_MEMORY], *c = cg->path[RT_CG_CPU];
		if (r->memory_limit_in_bytes > 0) {
			/*
			 * memsw must stay >= the memory limit: raise memory first when
			 * growing, memsw first when shrinking; trying both orders is simpler.
			 */
			if (write_i64(m, "memory.limit_in_bytes", r->memory_limit_in_bytes) != 0) {
				write_i64(m, "memory.memsw.limit_in_bytes", r->memory_limit_in_bytes);
				if (write_i64(m, "memory.limit_in_bytes", r->memory_limit_in_bytes))
					bad = 1, what = "memory.limit_in_bytes";
			}
			write_i64(m, "memory.memsw.limit_in_bytes", r->memory_limit_in_bytes);
		}
		if (c && r->cpu_period > 0 && !bad && write_i64(c, "cpu.cfs_period_us", r->cpu_period))
			bad = 1, what = "cpu.cfs_period_us";
		if (c && r->cpu_quota > 0 && !bad && write_i64(c, "cpu.cfs_quota_us", r->cpu_quota))
			bad = 1, what = "cpu.cfs_quota_us";
		if (c && r->cpu_shares >= 2 && !bad && write_i64(c, "cpu.shares", r->cpu_shares))
			bad = 1, what = "cpu.shares";
	}
	if (bad)
		return rt_fail(KUBE_EIO, "runtime-process: cannot set %s: %s", what, strerror(errno));
	return 0;
}

int rt_cgroup_procs_paths(const rt_cgroup *cg, char paths[RT_CG_N][PATH_MAX])
{
	for (int i = 0; i < RT_CG_N; i++) {
		paths[i][0] = '\0';
		if (cg->path[i])
			snprintf(paths[i], PATH_MAX, "%s/cgroup.procs", cg->path[i]);
	}
	return 0;
}

int rt_cgroup_add(const rt_cgroup *cg, pid_t pid)
{
	for (int i = 0; i < RT_CG_N; i++) {
		if (cg->path[i] && write_i64(cg->path[i], "cgroup.procs", pid) != 0)
			return rt_fail(KUBE_EIO, "runtime-process: cannot join %s: %s", cg->path[i],
			               strerror(errno));
	}
	return 0;
}

int rt_cgroup_stats(const rt_cgroup *cg, rt_cg_stats *out)
{
	memset(out, 0, sizeof(*out));
	uint64_t v = 0, inactive = 0;
	if (cg->v2) {
		const char *d = cg->path[0];
		if (read_keyed(d, "cpu.stat", "usage_usec", &v) == 0) {
			out->cpu_ns = v * 1000;
			out->has_cpu = 1;
		}
		if (read_keyed(d, "memory.current", NULL, &out->mem_usage) == 0) {
			out->has_mem = 1;
			read_keyed(d, "memory.stat", "inactive_file", &inactive);
			read_keyed(d, "memory.stat", "anon", &out->mem_rss);
			read_keyed(d, "memory.stat", "pgfault", &out->pgfault);
			read_keyed(d, "memory.stat", "pgmajfault", &out->pgmajfault);
		}
	} else {
		if (cg->path[RT_CG_CPUACCT] &&
		    read_keyed(cg->path[RT_CG_CPUACCT], "cpuacct.usage", NULL, &v) == 0) {
			out->cpu_ns = v;
			out->has_cpu = 1;
		}
		const char *m = cg->path[RT_CG_MEMORY];
		if (m && read_keyed(m, "memory.usage_in_bytes", NULL, &out->mem_usage) == 0) {
			out->has_mem = 1;
			read_keyed(m, "memory.stat", "total_inactive_file", &inactive);
			read_keyed(m, "memory.stat", "total_rss", &out->mem_rss);
			read_keyed(m, "memory.stat", "total_pgfault", &out->pgfault);
			read_keyed(m, "memory.stat", "total_pgmajfault", &out->pgmajfault);
		}
	}
	out->mem_working_set = out->mem_usage > inactive ? out->mem_usage - inactive : 0;
	return 0;
}

uint64_t rt_cgroup_oom_kills(const rt_cgroup *cg)
{
	uint64_t n = 0;
	if (cg->v2)
		read_keyed(cg->path[0], "memory.events", "oom_kill", &n);
	else if (cg->path[RT_CG_MEMORY])
		read_keyed(cg->path[RT_CG_MEMORY], "memory.oom_control", "oom_kill", &n);
	return n;
}

/* SIGKILLs every process left in dir (ExecSync strays, a daemonised child). */
static void kill_all(const char *dir)
{
	char p[PATH_MAX + 32];
	snprintf(p, sizeof(p), "%s/cgroup.procs", dir);
	FILE *f = fopen(p, "re");
	if (!f)
		return;
	long pid;
	while (fscanf(f, "%ld", &pid) == 1)
		if (pid > 0)
			kill((pid_t)pid, SIGKILL);
	fclose(f);
}

void rt_cgroup_destroy(rt_cgroup *cg)
{
	for (int i = 0; i < RT_CG_N; i++) {
		if (!cg->path[i])
			continue;
		/* A dying process leaves its cgroup a moment after it is reaped. */
		for (int tries = 0; tries < 200; tries++) {
			if (rmdir(cg->path[i]) == 0 || errno == ENOENT)
				break;
			if (errno != EBUSY)
				break;
			kill_all(cg->path[i]);
			struct timespec ts = { 0, 10 * 1000 * 1000 };
			nanosleep(&ts, NULL);
		}
		free(cg->path[i]);
		cg->path[i] = NULL;
	}
}
