/*
 * conformance.c - kube-plugin-conformance: loads one plugin shared object
 * and checks it against the interface rules, in the spirit of csi-sanity.
 *
 *   kube-plugin-conformance [--stage] [--config TEXT] PLUGIN.so
 *
 * --stage loads a copy of the plugin made in the kit's private directory
 * (mode 0755), for plugins in a build tree that a umask of 002 left
 * group-writable, which the loader rightly refuses.
 *
 * The config text is handed to the plugin's open(); "@TMP@" in it is
 * replaced by a fresh private directory that the kit removes at the end,
 * so "root=@TMP@/root" gives volume-hostpath a root of its own.
 *
 * For a runtime (--image REF names an image the plugin can pull; --cmd
 * "ARGV..." the long-running command a container runs, default
 * "sleep 1000") it checks CRI's lifecycle: a sandbox runs, a second one
 * with the same metadata is refused, a container is created, started,
 * stopped and removed, with the states ContainerStatus must report;
 * StopContainer, RemoveContainer, StopPodSandbox, RemovePodSandbox and
 * RemoveImage are idempotent; the Remove calls succeed for unknown ids
 * (the Stop calls may answer NOT_FOUND, as containerd does); the status
 * calls answer NOT_FOUND for them; and ExecSync and ContainerStats work if the
 * plugin has them.  Without --image only the calls that need no container
 * are checked.
 *
 * For a volume driver it checks identity, capability consistency (an
 * advertised RPC works, an unadvertised one answers KUBE_ENOTSUP), CSI's
 * idempotency rules (create twice, delete twice, publish/unpublish twice)
 * and the error codes CSI assigns (INVALID_ARGUMENT, NOT_FOUND,
 * ALREADY_EXISTS).  It prints one "ok"/"FAIL" line per check, and exits 1
 * if any check failed, 2 if the plugin could not be loaded or opened.
 */
#include <errno.h>
#include <ftw.h>
#include <stdarg.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "libkube/kube.h"

static int failures, checks;
static char tmpdir[PATH_MAX];

static void check(int ok, const char *name, const char *fmt, ...) KUBE_PRINTF(3, 4);
static void check(int ok, const char *name, const char *fmt, ...)
{
	checks++;
	if (ok) {
		printf("ok   - %s\n", name);
		return;
	}
	failures++;
	printf("FAIL - %s: ", name);
	va_list ap;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	const kube_error *e = kube_error_last();
	if (e && e->message)
		printf(" [%s]", e->message);
	printf("\n");
}

static const char *code_name(int rc)
{
	static char buf[64];
	snprintf(buf, sizeof(buf), "%d (%s)", rc, kube_strerror(rc));
	return buf;
}

/* rc is evaluated once: it is usually the call under test. */
#define EXPECT_RC(rc, want, name) \
	do { \
		int rc_ = (rc); \
		check(rc_ == (want), name, "got %s, want %d", code_name(rc_), (want)); \
	} while (0)

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	return remove(path);
}

/* ---- volume ---- */

static const kube_volume_capability mount_rw = {
	.access_type = KUBE_VOLUME_ACCESS_MOUNT,
	.access_mode = KUBE_VOLUME_MODE_SINGLE_NODE_WRITER,
};

static int create(const kube_volume_driver *vt, void *self, const char *name,
                  int64_t required, int64_t limit, kube_volume_info *out)
{
	kube_volume_create_request req = {
		.struct_size = sizeof(req), .name = name,
		.required_bytes = required, .limit_bytes = limit,
		.capabilities = &mount_rw, .n_capabilities = 1,
	};
	memset(out, 0, sizeof(*out));
	out->struct_size = sizeof(*out);
	kube_error_clear();
	return vt->create_volume(self, &req, out);
}

static void check_volume(const kube_volume_driver *vt, void *self)
{
	int rc;

	/* Identity. */
	kube_volume_plugin_info info = { .struct_size = sizeof(info) };
	rc = vt->get_plugin_info(self, &info);
	size_t nlen = info.name ? strlen(info.name) : 0;
	check(rc == 0 && nlen > 0 && nlen <= 63, "identity: GetPluginInfo names the plugin (<= 63)",
	      "rc %d, name \"%s\"", rc, info.name ? info.name : "(null)");
	check(rc == 0 && info.vendor_version && info.vendor_version[0],
	      "identity: GetPluginInfo has a vendor version", "rc %d", rc);
	kube_volume_plugin_info_clear(&info);
	int ready = 0;
	rc = vt->probe(self, &ready);
	check(rc == 0 && ready, "identity: Probe reports ready", "rc %d, ready %d", rc, ready);

	kube_volume_plugin_caps pcaps = { .struct_size = sizeof(pcaps) };
	rc = vt->get_plugin_capabilities(self, &pcaps);
	EXPECT_RC(rc, 0, "identity: GetPluginCapabilities succeeds");
	int controller = !!(pcaps.services & KUBE_VOLUME_CAP(KUBE_VOLUME_PLUGIN_CONTROLLER_SERVICE));

	uint64_t ccaps = 0;
	rc = vt->controller_get_capabilities(self, &ccaps);
	if (controller)
		EXPECT_RC(rc, 0, "controller: ControllerGetCapabilities succeeds (CONTROLLER_SERVICE advertised)");
	else
		check(rc == KUBE_ENOTSUP || (rc == 0 && ccaps == 0),
		      "controller: no controller capabilities without CONTROLLER_SERVICE",
		      "rc %d, caps %#llx", rc, (unsigned long long)ccaps);
	if (rc)
		ccaps = 0;
#define HAS_C(x) (ccaps & KUBE_VOLUME_CAP(KUBE_VOLUME_CTRL_##x))

	uint64_t ncaps = 0;
	rc = vt->node_get_capabilities(self, &ncaps);
	EXPECT_RC(rc, 0, "node: NodeGetCapabilities succeeds");
#define HAS_N(x) (ncaps & KUBE_VOLUME_CAP(KUBE_VOLUME_NODE_##x))

	kube_volume_node_info ni = { .struct_size = sizeof(ni) };
	rc = vt->node_get_info(self, &ni);
	check(rc == 0 && ni.node_id && ni.node_id[0], "node: NodeGetInfo gives a node id", "rc %d", rc);
	kube_volume_node_info_clear(&ni);

	/* Unadvertised RPCs must answer not supported (UNIMPLEMENTED). */
	kube_volume_info vi;
	if (!HAS_C(CREATE_DELETE_VOLUME)) {
		EXPECT_RC(create(vt, self, "conformance-unadvertised", 0, 0, &vi), KUBE_ENOTSUP,
		          "capabilities: CreateVolume unadvertised -> not supported");
		kube_volume_info_clear(&vi);
		EXPECT_RC(vt->delete_volume(self, "x", NULL, 0), KUBE_ENOTSUP,
		          "capabilities: DeleteVolume unadvertised -> not supported");
		return;   /* the rest needs a volume */
	}
	if (!HAS_C(PUBLISH_UNPUBLISH_VOLUME)) {
		kube_volume_publish_request pr = { .struct_size = sizeof(pr), .volume_id = "x",
		                                   .node_id = "n", .capability = &mount_rw };
		kube_plugin_kv_owned *pc = NULL;
		size_t npc = 0;
		EXPECT_RC(vt->controller_publish_volume(self, &pr, &pc, &npc), KUBE_ENOTSUP,
		          "capabilities: ControllerPublishVolume unadvertised -> not supported");
		kube_plugin_kv_free(pc, npc);
	}
	if (!HAS_C(CREATE_DELETE_SNAPSHOT)) {
		kube_volume_snapshot snap = { .struct_size = sizeof(snap) };
		EXPECT_RC(vt->create_snapshot(self, "x", "s", NULL, 0, &snap), KUBE_ENOTSUP,
		          "capabilities: CreateSnapshot unadvertised -> not supported");
		kube_volume_snapshot_clear(&snap);
	}
	if (!HAS_C(EXPAND_VOLUME)) {
		int64_t cap = 0;
		int nexp = 0;
		EXPECT_RC(vt->controller_expand_volume(self, "x", 1, 0, &cap, &nexp), KUBE_ENOTSUP,
		          "capabilities: ControllerExpandVolume unadvertised -> not supported");
	}
	if (!HAS_N(STAGE_UNSTAGE_VOLUME)) {
		kube_volume_node_request sr = { .struct_size = sizeof(sr), .volume_id = "x",
		                                .staging_target_path = "/nonexistent",
		                                .capability = &mount_rw };
		EXPECT_RC(vt->node_stage_volume(self, &sr), KUBE_ENOTSUP,
		          "capabilities: NodeStageVolume unadvertised -> not supported");
	}

	/* CreateVolume: arguments, idempotency, ALREADY_EXISTS. */
	EXPECT_RC(create(vt, self, NULL, 0, 0, &vi), KUBE_EINVAL,
	          "CreateVolume without a name -> INVALID_ARGUMENT");
	kube_volume_info_clear(&vi);
	{
		kube_volume_create_request req = { .struct_size = sizeof(req), .name = "conformance-nocaps" };
		memset(&vi, 0, sizeof(vi));
		vi.struct_size = sizeof(vi);
		EXPECT_RC(vt->create_volume(self, &req, &vi), KUBE_EINVAL,
		          "CreateVolume without capabilities -> INVALID_ARGUMENT");
		kube_volume_info_clear(&vi);
	}
	const int64_t MiB = 1024 * 1024;
	kube_volume_info v1, v2;
	rc = create(vt, self, "conformance-vol-1", MiB, 0, &v1);
	check(rc == 0 && v1.volume_id && v1.volume_id[0], "CreateVolume succeeds with a volume id",
	      "rc %d", rc);
	rc = create(vt, self, "conformance-vol-1", MiB, 0, &v2);
	check(rc == 0 && v1.volume_id && v2.volume_id && strcmp(v1.volume_id, v2.volume_id) == 0,
	      "CreateVolume twice with the same name and arguments -> OK, the same volume",
	      "rc %d, ids %s / %s", rc, v1.volume_id ? v1.volume_id : "(null)",
	      v2.volume_id ? v2.volume_id : "(null)");
	kube_volume_info_clear(&v2);
	rc = create(vt, self, "conformance-vol-1", 4 * MiB, 8 * MiB, &v2);
	EXPECT_RC(rc, KUBE_EEXISTS,
	          "CreateVolume with the same name, incompatible capacity -> ALREADY_EXISTS");
	kube_volume_info_clear(&v2);
	const char *vid = v1.volume_id ? v1.volume_id : "conformance-vol-1";

	/* ValidateVolumeCapabilities. */
	int confirmed = 0;
	rc = vt->validate_volume_capabilities(self, vid, &mount_rw, 1, NULL, 0, &confirmed);
	check(rc == 0 && confirmed, "ValidateVolumeCapabilities confirms the capability it was created with",
	      "rc %d, confirmed %d", rc, confirmed);
	rc = vt->validate_volume_capabilities(self, "conformance-no-such-volume", &mount_rw, 1,
	                                      NULL, 0, &confirmed);
	EXPECT_RC(rc, KUBE_ENOTFOUND, "ValidateVolumeCapabilities of an unknown volume -> NOT_FOUND");

	/* Advertised list/capacity work; unadvertised answer not supported. */
	kube_volume_info *ents = NULL;
	size_t nents = 0;
	char *next = NULL;
	rc = vt->list_volumes(self, 0, NULL, &ents, &nents, &next);
	if (HAS_C(LIST_VOLUMES)) {
		int found = 0;
		for (size_t i = 0; i < nents; i++)
			found |= ents[i].volume_id && strcmp(ents[i].volume_id, vid) == 0;
		check(rc == 0 && found, "ListVolumes (advertised) lists the created volume",
		      "rc %d, %zu entries", rc, nents);
	} else {
		EXPECT_RC(rc, KUBE_ENOTSUP, "capabilities: ListVolumes unadvertised -> not supported");
	}
	kube_volume_info_array_free(ents, nents);
	kube_free(next);
	int64_t avail = -1;
	rc = vt->get_capacity(self, &mount_rw, 1, NULL, 0, &avail);
	if (HAS_C(GET_CAPACITY))
		check(rc == 0 && avail >= 0, "GetCapacity (advertised) reports capacity",
		      "rc %d, available %lld", rc, (long long)avail);
	else
		EXPECT_RC(rc, KUBE_ENOTSUP, "capabilities: GetCapacity unadvertised -> not supported");

	/* ControllerExpandVolume, when advertised. */
	if (HAS_C(EXPAND_VOLUME)) {
		int64_t cap = 0;
		int nexp = -1;
		rc = vt->controller_expand_volume(self, vid, 2 * MiB, 0, &cap, &nexp);
		check(rc == 0 && cap >= 2 * MiB, "ControllerExpandVolume grows the volume",
		      "rc %d, capacity %lld", rc, (long long)cap);
		rc = vt->controller_expand_volume(self, vid, 2 * MiB, 0, &cap, &nexp);
		check(rc == 0 && cap >= 2 * MiB, "ControllerExpandVolume twice -> OK",
		      "rc %d, capacity %lld", rc, (long long)cap);
		EXPECT_RC(vt->controller_expand_volume(self, "conformance-no-such-volume", MiB, 0, &cap,
		                                       &nexp), KUBE_ENOTFOUND,
		          "ControllerExpandVolume of an unknown volume -> NOT_FOUND");
		EXPECT_RC(vt->controller_expand_volume(self, "", MiB, 0, &cap, &nexp), KUBE_EINVAL,
		          "ControllerExpandVolume without a volume id -> INVALID_ARGUMENT");
	}

	/* Snapshots, when advertised: idempotent create and delete, CSI's codes. */
	if (HAS_C(CREATE_DELETE_SNAPSHOT)) {
		kube_volume_snapshot s1 = { .struct_size = sizeof(s1) };
		kube_volume_snapshot s2 = { .struct_size = sizeof(s2) };
		rc = vt->create_snapshot(self, vid, "conformance-snap-1", NULL, 0, &s1);
		check(rc == 0 && s1.snapshot_id && s1.source_volume_id &&
		      strcmp(s1.source_volume_id, vid) == 0,
		      "CreateSnapshot succeeds with a snapshot id and its source", "rc %d", rc);
		rc = vt->create_snapshot(self, vid, "conformance-snap-1", NULL, 0, &s2);
		check(rc == 0 && s1.snapshot_id && s2.snapshot_id &&
		      strcmp(s1.snapshot_id, s2.snapshot_id) == 0,
		      "CreateSnapshot twice with the same name and source -> OK, the same snapshot",
		      "rc %d", rc);
		kube_volume_snapshot_clear(&s2);
		kube_volume_info v3;
		if (create(vt, self, "conformance-vol-2", 0, 0, &v3) == 0 && v3.volume_id) {
			rc = vt->create_snapshot(self, v3.volume_id, "conformance-snap-1", NULL, 0, &s2);
			EXPECT_RC(rc, KUBE_EEXISTS,
			          "CreateSnapshot with the same name, another source -> ALREADY_EXISTS");
			kube_volume_snapshot_clear(&s2);
			vt->delete_volume(self, v3.volume_id, NULL, 0);
		}
		kube_volume_info_clear(&v3);
		EXPECT_RC(vt->create_snapshot(self, vid, "", NULL, 0, &s2), KUBE_EINVAL,
		          "CreateSnapshot without a name -> INVALID_ARGUMENT");
		kube_volume_snapshot_clear(&s2);
		EXPECT_RC(vt->create_snapshot(self, "", "conformance-snap-2", NULL, 0, &s2), KUBE_EINVAL,
		          "CreateSnapshot without a source volume -> INVALID_ARGUMENT");
		kube_volume_snapshot_clear(&s2);
		if (HAS_C(LIST_SNAPSHOTS) && s1.snapshot_id) {
			kube_volume_snapshot *sents = NULL;
			size_t ns = 0;
			char *snext = NULL;
			rc = vt->list_snapshots(self, s1.snapshot_id, NULL, 0, NULL, &sents, &ns, &snext);
			check(rc == 0 && ns == 1 && sents && sents[0].snapshot_id &&
			      strcmp(sents[0].snapshot_id, s1.snapshot_id) == 0,
			      "ListSnapshots by snapshot id lists exactly that snapshot", "rc %d, %zu", rc, ns);
			for (size_t i = 0; sents && i < ns; i++)
				kube_volume_snapshot_clear(&sents[i]);
			kube_free(sents);
			kube_free(snext);
		}
		const char *sid = s1.snapshot_id ? s1.snapshot_id : "conformance-snap-1";
		EXPECT_RC(vt->delete_snapshot(self, sid), 0, "DeleteSnapshot succeeds");
		EXPECT_RC(vt->delete_snapshot(self, sid), 0, "DeleteSnapshot twice -> OK");
		EXPECT_RC(vt->delete_snapshot(self, "conformance-never-snapshotted"), 0,
		          "DeleteSnapshot of an unknown snapshot -> OK");
		kube_volume_snapshot_clear(&s1);
	} else if (HAS_C(LIST_SNAPSHOTS) == 0) {
		kube_volume_snapshot *sents = NULL;
		size_t ns = 0;
		char *snext = NULL;
		EXPECT_RC(vt->list_snapshots(self, NULL, NULL, 0, NULL, &sents, &ns, &snext), KUBE_ENOTSUP,
		          "capabilities: ListSnapshots unadvertised -> not supported");
	}

	/* NodePublish / NodeUnpublish. */
	char target[PATH_MAX + 16];
	snprintf(target, sizeof(target), "%s/target", tmpdir);
	kube_volume_node_request pub = {
		.struct_size = sizeof(pub), .volume_id = vid, .target_path = target,
		.capability = &mount_rw,
	};
	kube_volume_node_request bad = pub;
	bad.volume_id = "conformance-no-such-volume";
	EXPECT_RC(vt->node_publish_volume(self, &bad), KUBE_ENOTFOUND,
	          "NodePublishVolume of an unknown volume -> NOT_FOUND");
	bad = pub;
	bad.target_path = NULL;
	EXPECT_RC(vt->node_publish_volume(self, &bad), KUBE_EINVAL,
	          "NodePublishVolume without a target path -> INVALID_ARGUMENT");
	bad = pub;
	bad.volume_id = "";
	EXPECT_RC(vt->node_publish_volume(self, &bad), KUBE_EINVAL,
	          "NodePublishVolume without a volume id -> INVALID_ARGUMENT");
	EXPECT_RC(vt->node_publish_volume(self, &pub), 0, "NodePublishVolume succeeds");
	struct stat st;
	check(stat(target, &st) == 0 && S_ISDIR(st.st_mode), "NodePublishVolume makes the target a directory",
	      "stat: %s", strerror(errno));
	EXPECT_RC(vt->node_publish_volume(self, &pub), 0,
	          "NodePublishVolume twice with the same arguments -> OK");
	if (HAS_N(GET_VOLUME_STATS)) {
		kube_volume_stats vs = { .struct_size = sizeof(vs) };
		rc = vt->node_get_volume_stats(self, vid, target, &vs);
		check(rc == 0 && vs.bytes_total > 0, "NodeGetVolumeStats (advertised) reports usage",
		      "rc %d, total %lld", rc, (long long)vs.bytes_total);
		kube_volume_stats_clear(&vs);
	} else {
		kube_volume_stats vs = { .struct_size = sizeof(vs) };
		EXPECT_RC(vt->node_get_volume_stats(self, vid, target, &vs), KUBE_ENOTSUP,
		          "capabilities: NodeGetVolumeStats unadvertised -> not supported");
		kube_volume_stats_clear(&vs);
	}
	EXPECT_RC(vt->node_unpublish_volume(self, vid, target), 0, "NodeUnpublishVolume succeeds");
	check(lstat(target, &st) != 0, "NodeUnpublishVolume removes the target", "target still exists");
	EXPECT_RC(vt->node_unpublish_volume(self, vid, target), 0,
	          "NodeUnpublishVolume twice -> OK");
	/* Never leave a mount behind, whatever the plugin did. */
	umount2(target, MNT_DETACH);

	/* DeleteVolume. */
	EXPECT_RC(vt->delete_volume(self, vid, NULL, 0), 0, "DeleteVolume succeeds");
	EXPECT_RC(vt->delete_volume(self, vid, NULL, 0), 0, "DeleteVolume twice -> OK");
	EXPECT_RC(vt->delete_volume(self, "conformance-never-created", NULL, 0), 0,
	          "DeleteVolume of an unknown volume -> OK");
	EXPECT_RC(vt->delete_volume(self, "", NULL, 0), KUBE_EINVAL,
	          "DeleteVolume without a volume id -> INVALID_ARGUMENT");
	kube_volume_info_clear(&v1);
}

/* ---- runtime ---- */

/*
 * The CRI client's kube_cri_*_free (libkube/cri.h) are what an embedder
 * uses; the kit keeps its own few so that it does not wait for that layer.
 */
static void kv_free(kube_cri_kv *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		kube_free(v[i].key);
		kube_free(v[i].value);
	}
	kube_free(v);
}

static void strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		kube_free(v[i]);
	kube_free(v);
}

static void version_clear(kube_cri_version *v)
{
	kube_free(v->version);
	kube_free(v->runtime_name);
	kube_free(v->runtime_version);
	kube_free(v->runtime_api_version);
}

static void rstatus_clear(kube_cri_runtime_status *v)
{
	for (size_t i = 0; i < v->n_conditions; i++) {
		kube_free(v->conditions[i].type);
		kube_free(v->conditions[i].reason);
		kube_free(v->conditions[i].message);
	}
	kube_free(v->conditions);
	kv_free(v->info, v->n_info);
}

static void smeta_clear(kube_cri_sandbox_metadata *m)
{
	kube_free(m->name);
	kube_free(m->uid);
	kube_free(m->ns);
}

static void sstatus_clear(kube_cri_sandbox_status *v)
{
	kube_free(v->id);
	smeta_clear(&v->metadata);
	kube_free(v->network_ip);
	strv_free(v->network_additional_ips, v->n_network_additional_ips);
	kube_free(v->linux_namespaces.target_id);
	kv_free(v->labels, v->n_labels);
	kv_free(v->annotations, v->n_annotations);
	kube_free(v->runtime_handler);
	kv_free(v->info, v->n_info);
}

static void slist_clear(kube_cri_sandbox_list *v)
{
	for (size_t i = 0; i < v->n_items; i++) {
		kube_cri_sandbox *s = &v->items[i];
		kube_free(s->id);
		smeta_clear(&s->metadata);
		kv_free(s->labels, s->n_labels);
		kv_free(s->annotations, s->n_annotations);
		kube_free(s->runtime_handler);
	}
	kube_free(v->items);
}

static void cstatus_clear(kube_cri_container_status *v)
{
	kube_free(v->id);
	kube_free(v->metadata.name);
	kube_free(v->image);
	kube_free(v->image_ref);
	kube_free(v->reason);
	kube_free(v->message);
	kv_free(v->labels, v->n_labels);
	kv_free(v->annotations, v->n_annotations);
	for (size_t i = 0; i < v->n_mounts; i++) {
		kube_free(v->mounts[i].container_path);
		kube_free(v->mounts[i].host_path);
	}
	kube_free(v->mounts);
	kube_free(v->log_path);
	if (v->linux_resources) {
		kube_free(v->linux_resources->cpuset_cpus);
		kube_free(v->linux_resources->cpuset_mems);
		kube_free(v->linux_resources);
	}
	kv_free(v->info, v->n_info);
}

static void clist_clear(kube_cri_container_list *v)
{
	for (size_t i = 0; i < v->n_items; i++) {
		kube_cri_container *c = &v->items[i];
		kube_free(c->id);
		kube_free(c->pod_sandbox_id);
		kube_free(c->metadata.name);
		kube_free(c->image);
		kube_free(c->image_ref);
		kv_free(c->labels, c->n_labels);
		kv_free(c->annotations, c->n_annotations);
	}
	kube_free(v->items);
}

static void image_clear(kube_cri_image *v)
{
	kube_free(v->id);
	strv_free(v->repo_tags, v->n_repo_tags);
	strv_free(v->repo_digests, v->n_repo_digests);
	kube_free(v->username);
	kube_free(v->spec_image);
}

static void stats_clear(kube_cri_container_stats_list *v)
{
	for (size_t i = 0; i < v->n_items; i++) {
		kube_cri_container_stats *s = &v->items[i];
		kube_free(s->id);
		kube_free(s->metadata.name);
		kv_free(s->labels, s->n_labels);
		kv_free(s->annotations, s->n_annotations);
		kube_free(s->writable_layer.mountpoint);
	}
	kube_free(v->items);
}

#define ZERO(x) (memset(&(x), 0, sizeof(x)), (x).struct_size = sizeof(x))

static int container_state(const kube_runtime_driver *vt, void *self, const char *id, int *state)
{
	kube_cri_container_status st;
	ZERO(st);
	int rc = vt->container_status(self, id, 0, &st);
	*state = st.state;
	cstatus_clear(&st);
	return rc;
}

static const char *image_ref_arg, *cmd_arg = "sleep 1000";

static void check_runtime(const kube_runtime_driver *vt, void *self)
{
	int rc;
	kube_cri_version ver;
	ZERO(ver);
	rc = vt->version(self, "v1", &ver);
	check(rc == 0 && ver.runtime_name && ver.runtime_name[0] && ver.runtime_api_version &&
	      ver.runtime_api_version[0], "runtime: Version names the runtime and its CRI version",
	      "rc %d", rc);
	version_clear(&ver);
	kube_cri_runtime_status rs;
	ZERO(rs);
	rc = vt->status(self, 0, &rs);
	int ready = 0, net = 0;
	for (size_t i = 0; rc == 0 && i < rs.n_conditions; i++) {
		const char *t = rs.conditions[i].type ? rs.conditions[i].type : "";
		ready |= strcmp(t, "RuntimeReady") == 0 && rs.conditions[i].status;
		net |= strcmp(t, "NetworkReady") == 0;
	}
	check(rc == 0 && ready && net, "runtime: Status has RuntimeReady (true) and NetworkReady",
	      "rc %d, %zu conditions", rc, rs.n_conditions);
	rstatus_clear(&rs);

	/* Unknown ids. */
	const char *nosb = "conformance-no-such-sandbox", *noc = "conformance-no-such-container";
	kube_cri_sandbox_status ss;
	ZERO(ss);
	EXPECT_RC(vt->pod_sandbox_status(self, nosb, 0, &ss), KUBE_ENOTFOUND,
	          "runtime: PodSandboxStatus of an unknown sandbox -> NOT_FOUND");
	sstatus_clear(&ss);
	int state;
	EXPECT_RC(container_state(vt, self, noc, &state), KUBE_ENOTFOUND,
	          "runtime: ContainerStatus of an unknown container -> NOT_FOUND");
	EXPECT_RC(vt->start_container(self, noc), KUBE_ENOTFOUND,
	          "runtime: StartContainer of an unknown container -> NOT_FOUND");
	/* containerd answers NOT_FOUND to stopping what it never knew, and the kubelet takes that. */
	rc = vt->stop_container(self, noc, 0);
	check(rc == 0 || rc == KUBE_ENOTFOUND, "runtime: StopContainer of an unknown container -> OK or NOT_FOUND",
	      "got %s", code_name(rc));
	EXPECT_RC(vt->remove_container(self, noc), 0, "runtime: RemoveContainer of an unknown container -> OK");
	rc = vt->stop_pod_sandbox(self, nosb);
	check(rc == 0 || rc == KUBE_ENOTFOUND, "runtime: StopPodSandbox of an unknown sandbox -> OK or NOT_FOUND",
	      "got %s", code_name(rc));
	EXPECT_RC(vt->remove_pod_sandbox(self, nosb), 0, "runtime: RemovePodSandbox of an unknown sandbox -> OK");
	kube_cri_image_status is;
	ZERO(is);
	EXPECT_RC(vt->image_status(self, "conformance/no-such-image:1", 0, &is), KUBE_ENOTFOUND,
	          "runtime: ImageStatus of an unknown image -> NOT_FOUND");
	image_clear(&is.image);
	kv_free(is.info, is.n_info);
	EXPECT_RC(vt->remove_image(self, "conformance/no-such-image:1"), 0,
	          "runtime: RemoveImage of an unknown image -> OK");
	if (!image_ref_arg) {
		printf("skip - runtime: lifecycle (no --image given)\n");
		return;
	}

	/* Image. */
	char *ref = NULL;
	rc = vt->pull_image(self, image_ref_arg, NULL, NULL, &ref);
	check(rc == 0 && ref && ref[0], "runtime: PullImage gives an image ref", "rc %d", rc);
	ZERO(is);
	rc = vt->image_status(self, image_ref_arg, 0, &is);
	check(rc == 0 && is.image.id && ref && strcmp(is.image.id, ref) == 0,
	      "runtime: ImageStatus after PullImage -> the pulled image", "rc %d, id %s", rc,
	      is.image.id ? is.image.id : "(null)");
	image_clear(&is.image);
	kv_free(is.info, is.n_info);

	/* Sandbox. */
	char *uid_s = NULL, *sbid = NULL, *sbid2 = NULL;
	(void)uid_s;
	char log_dir[PATH_MAX + 16];
	snprintf(log_dir, sizeof(log_dir), "%s/logs", tmpdir);
	mkdir(log_dir, 0700);
	kube_cri_sandbox_config sc;
	ZERO(sc);
	sc.metadata.name = "conformance-pod";
	sc.metadata.uid = "0d5c3a52-8c9e-4e43-9d0b-3f2f5c1e9a77";
	sc.metadata.ns = "default";
	sc.log_directory = log_dir;
	/* The host's network: a CRI runtime without a CNI configuration refuses the pod's. */
	sc.linux_namespaces.network = KUBE_CRI_NAMESPACE_NODE;
	rc = vt->run_pod_sandbox(self, &sc, NULL, &sbid);
	check(rc == 0 && sbid && sbid[0], "runtime: RunPodSandbox gives a sandbox id", "rc %d", rc);
	if (!sbid) {
		kube_free(ref);
		return;
	}
	/* ALREADY_EXISTS by the ABI; containerd says UNKNOWN "failed to reserve sandbox name". */
	rc = vt->run_pod_sandbox(self, &sc, NULL, &sbid2);
	check(rc == KUBE_EEXISTS || rc == KUBE_ERROR,
	      "runtime: RunPodSandbox twice with the same metadata -> refused", "got %s", code_name(rc));
	kube_free(sbid2);
	ZERO(ss);
	rc = vt->pod_sandbox_status(self, sbid, 0, &ss);
	check(rc == 0 && ss.state == KUBE_CRI_SANDBOX_READY && ss.id && strcmp(ss.id, sbid) == 0 &&
	      ss.metadata.name && strcmp(ss.metadata.name, "conformance-pod") == 0,
	      "runtime: PodSandboxStatus -> READY, with its id and metadata", "rc %d, state %d", rc, ss.state);
	sstatus_clear(&ss);
	kube_cri_sandbox_list sl;
	ZERO(sl);
	kube_cri_sandbox_filter sf;
	ZERO(sf);
	sf.id = sbid;
	rc = vt->list_pod_sandbox(self, &sf, &sl);
	check(rc == 0 && sl.n_items == 1 && strcmp(sl.items[0].id, sbid) == 0,
	      "runtime: ListPodSandbox by id lists exactly that sandbox", "rc %d, %zu", rc, sl.n_items);
	slist_clear(&sl);

	/* Container. */
	char cmdbuf[256];
	snprintf(cmdbuf, sizeof(cmdbuf), "%s", cmd_arg);
	char *argv[16];
	size_t argc = 0;
	for (char *t = strtok(cmdbuf, " "); t && argc < 15; t = strtok(NULL, " "))
		argv[argc++] = t;
	kube_cri_container_config cc;
	ZERO(cc);
	cc.metadata.name = "main";
	cc.image = (char *)image_ref_arg;
	cc.command = argv;
	cc.n_command = argc;
	cc.log_path = "main_0.log";
	char *cid = NULL, *cid2 = NULL;
	rc = vt->create_container(self, sbid, &cc, &sc, &cid);
	check(rc == 0 && cid && cid[0], "runtime: CreateContainer gives a container id", "rc %d", rc);
	if (cid) {
		EXPECT_RC(container_state(vt, self, cid, &state), 0, "runtime: ContainerStatus of a created container");
		check(state == KUBE_CRI_CONTAINER_CREATED, "runtime: a created container is CREATED",
		      "state %d", state);
		rc = vt->create_container(self, sbid, &cc, &sc, &cid2);
		check(rc == KUBE_EEXISTS || rc == KUBE_ERROR,
		      "runtime: CreateContainer twice with the same name and attempt -> refused", "got %s",
		      code_name(rc));
		kube_free(cid2);
		EXPECT_RC(vt->start_container(self, cid), 0, "runtime: StartContainer -> OK");
		container_state(vt, self, cid, &state);
		check(state == KUBE_CRI_CONTAINER_RUNNING, "runtime: a started container is RUNNING",
		      "state %d", state);
		kube_cri_container_list cl;
		ZERO(cl);
		kube_cri_container_filter cf;
		ZERO(cf);
		cf.pod_sandbox_id = sbid;
		rc = vt->list_containers(self, &cf, &cl);
		check(rc == 0 && cl.n_items == 1 && strcmp(cl.items[0].id, cid) == 0 &&
		      cl.items[0].state == KUBE_CRI_CONTAINER_RUNNING,
		      "runtime: ListContainers by sandbox lists the running container", "rc %d, %zu", rc,
		      cl.n_items);
		clist_clear(&cl);

		kube_cri_exec_result ex;
		ZERO(ex);
		const char *echo[] = { "echo", "conformance" };
		rc = vt->exec_sync(self, cid, echo, 2, 10, &ex);
		if (rc == KUBE_ENOTSUP)
			printf("skip - runtime: ExecSync not supported\n");
		else
			check(rc == 0 && ex.exit_code == 0 && ex.out_len == 12 &&
			      memcmp(ex.out, "conformance\n", 12) == 0,
			      "runtime: ExecSync (advertised) runs a command and returns its output",
			      "rc %d, exit %d, %zu bytes", rc, ex.exit_code, ex.out_len);
		kube_free(ex.out);
		kube_free(ex.err);
		kube_cri_container_stats_list stl;
		ZERO(stl);
		rc = vt->container_stats(self, cid, &stl);
		if (rc == KUBE_ENOTSUP)
			printf("skip - runtime: ContainerStats not supported\n");
		else
			check(rc == 0 && stl.n_items == 1 && stl.items[0].id && strcmp(stl.items[0].id, cid) == 0 &&
			      stl.items[0].has_memory && stl.items[0].memory.usage_bytes.value > 0,
			      "runtime: ContainerStats (advertised) reports memory in use", "rc %d", rc);
		stats_clear(&stl);

		EXPECT_RC(vt->stop_container(self, cid, 0), 0, "runtime: StopContainer -> OK");
		container_state(vt, self, cid, &state);
		check(state == KUBE_CRI_CONTAINER_EXITED, "runtime: a stopped container is EXITED",
		      "state %d", state);
		EXPECT_RC(vt->stop_container(self, cid, 0), 0, "runtime: StopContainer twice -> OK");
		EXPECT_RC(vt->remove_container(self, cid), 0, "runtime: RemoveContainer -> OK");
		EXPECT_RC(vt->remove_container(self, cid), 0, "runtime: RemoveContainer twice -> OK");
		EXPECT_RC(container_state(vt, self, cid, &state), KUBE_ENOTFOUND,
		          "runtime: ContainerStatus after RemoveContainer -> NOT_FOUND");
	}
	kube_free(cid);

	EXPECT_RC(vt->stop_pod_sandbox(self, sbid), 0, "runtime: StopPodSandbox -> OK");
	ZERO(ss);
	rc = vt->pod_sandbox_status(self, sbid, 0, &ss);
	check(rc == 0 && ss.state == KUBE_CRI_SANDBOX_NOTREADY, "runtime: a stopped sandbox is NOTREADY",
	      "rc %d, state %d", rc, ss.state);
	sstatus_clear(&ss);
	EXPECT_RC(vt->stop_pod_sandbox(self, sbid), 0, "runtime: StopPodSandbox twice -> OK");
	EXPECT_RC(vt->remove_pod_sandbox(self, sbid), 0, "runtime: RemovePodSandbox -> OK");
	EXPECT_RC(vt->remove_pod_sandbox(self, sbid), 0, "runtime: RemovePodSandbox twice -> OK");
	ZERO(ss);
	EXPECT_RC(vt->pod_sandbox_status(self, sbid, 0, &ss), KUBE_ENOTFOUND,
	          "runtime: PodSandboxStatus after RemovePodSandbox -> NOT_FOUND");
	sstatus_clear(&ss);
	kube_free(sbid);
	EXPECT_RC(vt->remove_image(self, ref ? ref : image_ref_arg), 0, "runtime: RemoveImage -> OK");
	EXPECT_RC(vt->remove_image(self, ref ? ref : image_ref_arg), 0, "runtime: RemoveImage twice -> OK");
	kube_free(ref);
}

/* ---- cloud ---- */

static kube_object *make_object(const char *json)
{
	kube_object *o = NULL;
	if (kube_object_from_json(&o, json, strlen(json)) != 0)
		return NULL;
	return o;
}

#define HOBJ(o) ((const kube_host_object *)(const void *)(o))

static void check_cloud(const kube_cloud_provider *vt, void *self)
{
	const char *name = NULL;
	int rc = vt->provider_name(self, &name);
	check(rc == 0 && name && name[0], "cloud: ProviderName is not empty", "rc %d", rc);
	int has = -1;
	rc = vt->has_cluster_id(self, &has);
	check(rc == 0 && (has == 0 || has == 1), "cloud: HasClusterID answers 0 or 1", "rc %d, %d", rc, has);

	kube_object *svc = make_object(
		"{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"web\","
		"\"namespace\":\"default\",\"uid\":\"6a1f3c2e-0d4b-4e8a-9c1d-2b3e4f5a6b7c\"},"
		"\"spec\":{\"type\":\"LoadBalancer\",\"ports\":[{\"port\":18080,\"nodePort\":30080}]}}");
	kube_object *node = make_object(
		"{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"name\":\"node-1\","
		"\"labels\":{\"topology.kubernetes.io/zone\":\"zone-a\","
		"\"topology.kubernetes.io/region\":\"region-1\"}}}");
	if (!svc || !node) {
		check(0, "cloud: test objects", "cannot build the Service/Node");
		kube_object_unref(svc);
		kube_object_unref(node);
		return;
	}
	const kube_host_object *nodes[1] = { HOBJ(node) };

	/* Load balancer lifecycle: ensure twice, update, delete twice. */
	kube_cloud_lb_status st = { .struct_size = sizeof(st) };
	int exists = -1;
	rc = vt->get_load_balancer(self, "kubernetes", HOBJ(svc), &st, &exists);
	if (rc == KUBE_ENOTSUP) {
		printf("skip - cloud: no load balancers (GetLoadBalancer not supported)\n");
	} else {
		check(rc == 0 && exists == 0, "cloud: GetLoadBalancer before Ensure -> not exists",
		      "rc %d, exists %d", rc, exists);
		kube_cloud_lb_status_clear(&st);
		uint32_t retry = 0;
		rc = vt->ensure_load_balancer(self, "kubernetes", HOBJ(svc), nodes, 1, &st, &retry);
		check(rc == 0 && st.n_ingress >= 1, "cloud: EnsureLoadBalancer -> an ingress",
		      "rc %d, %zu ingress", rc, st.n_ingress);
		kube_cloud_lb_status_clear(&st);
		rc = vt->ensure_load_balancer(self, "kubernetes", HOBJ(svc), nodes, 1, &st, &retry);
		check(rc == 0 && st.n_ingress >= 1, "cloud: EnsureLoadBalancer twice -> OK",
		      "rc %d, %zu ingress", rc, st.n_ingress);
		kube_cloud_lb_status_clear(&st);
		rc = vt->get_load_balancer(self, "kubernetes", HOBJ(svc), &st, &exists);
		check(rc == 0 && exists == 1, "cloud: GetLoadBalancer after Ensure -> exists",
		      "rc %d, exists %d", rc, exists);
		kube_cloud_lb_status_clear(&st);
		char *lbname = NULL;
		rc = vt->get_load_balancer_name(self, "kubernetes", HOBJ(svc), &lbname);
		check(rc == 0 && lbname && lbname[0] && strlen(lbname) <= 32,
		      "cloud: GetLoadBalancerName is not empty", "rc %d", rc);
		kube_free(lbname);
		EXPECT_RC(vt->update_load_balancer(self, "kubernetes", HOBJ(svc), nodes, 1, &retry), 0,
		          "cloud: UpdateLoadBalancer -> OK");
		EXPECT_RC(vt->ensure_load_balancer_deleted(self, "kubernetes", HOBJ(svc)), 0,
		          "cloud: EnsureLoadBalancerDeleted -> OK");
		EXPECT_RC(vt->ensure_load_balancer_deleted(self, "kubernetes", HOBJ(svc)), 0,
		          "cloud: EnsureLoadBalancerDeleted twice -> OK");
		rc = vt->get_load_balancer(self, "kubernetes", HOBJ(svc), &st, &exists);
		check(rc == 0 && exists == 0, "cloud: GetLoadBalancer after delete -> not exists",
		      "rc %d, exists %d", rc, exists);
		kube_cloud_lb_status_clear(&st);
	}

	/* InstancesV2. */
	int ex = -1, down = -1;
	rc = vt->instance_exists(self, HOBJ(node), &ex);
	if (rc != KUBE_ENOTSUP) {
		check(rc == 0 && (ex == 0 || ex == 1), "cloud: InstanceExists answers", "rc %d", rc);
		rc = vt->instance_shutdown(self, HOBJ(node), &down);
		check(rc == 0 && (down == 0 || down == 1), "cloud: InstanceShutdown answers", "rc %d", rc);
		kube_cloud_instance_metadata md = { .struct_size = sizeof(md) };
		rc = vt->instance_metadata(self, HOBJ(node), &md);
		char prefix[128];
		snprintf(prefix, sizeof(prefix), "%s://", name ? name : "");
		check(rc == 0 && md.provider_id && strncmp(md.provider_id, prefix, strlen(prefix)) == 0,
		      "cloud: InstanceMetadata provider id is <ProviderName>://...", "rc %d, id %s", rc,
		      md.provider_id ? md.provider_id : "(null)");
		kube_cloud_instance_metadata_clear(&md);
	}

	/* Routes. */
	kube_cloud_route_list rl = { .struct_size = sizeof(rl) };
	rc = vt->list_routes(self, "kubernetes", &rl);
	if (rc != KUBE_ENOTSUP) {
		EXPECT_RC(rc, 0, "cloud: ListRoutes -> OK");
		kube_cloud_route_list_clear(&rl);
		char tn[] = "node-1", cidr[] = "10.244.1.0/24";
		kube_cloud_route r = { .target_node = tn, .destination_cidr = cidr };
		EXPECT_RC(vt->create_route(self, "kubernetes", "hint-1", &r), 0, "cloud: CreateRoute -> OK");
		rc = vt->list_routes(self, "kubernetes", &rl);
		int found = 0;
		for (size_t i = 0; i < rl.n; i++)
			found |= rl.items[i].destination_cidr && strcmp(rl.items[i].destination_cidr, cidr) == 0;
		check(rc == 0 && found, "cloud: ListRoutes lists the created route", "rc %d, %zu routes", rc, rl.n);
		kube_cloud_route_list_clear(&rl);
		EXPECT_RC(vt->delete_route(self, "kubernetes", &r), 0, "cloud: DeleteRoute -> OK");
		rc = vt->list_routes(self, "kubernetes", &rl);
		check(rc == 0 && rl.n == 0, "cloud: ListRoutes after delete is empty", "rc %d, %zu routes", rc, rl.n);
		kube_cloud_route_list_clear(&rl);
	}
	kube_object_unref(svc);
	kube_object_unref(node);
}

static char *substitute(const char *config)
{
	kube_error_clear();
	size_t cap = strlen(config) * 2 + strlen(tmpdir) * 4 + 1;
	char *out = malloc(cap + 1), *o = out;
	if (!out)
		return NULL;
	for (const char *s = config; *s;) {
		if (strncmp(s, "@TMP@", 5) == 0 && (size_t)(o - out) + strlen(tmpdir) < cap) {
			o += sprintf(o, "%s", tmpdir);
			s += 5;
		} else if ((size_t)(o - out) < cap) {
			*o++ = *s++;
		} else {
			break;
		}
	}
	*o = '\0';
	return out;
}

static int copy_plugin(const char *from, const char *to)
{
	FILE *in = fopen(from, "rb");
	if (!in)
		return -1;
	FILE *out = fopen(to, "wb");
	int rc = out ? 0 : -1;
	char buf[8192];
	size_t n;
	while (!rc && (n = fread(buf, 1, sizeof(buf), in)) > 0)
		if (fwrite(buf, 1, n, out) != n)
			rc = -1;
	fclose(in);
	if (out && fclose(out) != 0)
		rc = -1;
	return rc ? rc : chmod(to, 0755);
}

int main(int argc, char **argv)
{
	const char *config = "";
	const char *path = NULL;
	int stage = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
			config = argv[++i];
		else if (strcmp(argv[i], "--stage") == 0)
			stage = 1;
		else if (strcmp(argv[i], "--image") == 0 && i + 1 < argc)
			image_ref_arg = argv[++i];
		else if (strcmp(argv[i], "--cmd") == 0 && i + 1 < argc)
			cmd_arg = argv[++i];
		else if (!path)
			path = argv[i];
	}
	if (!path) {
		fprintf(stderr, "usage: %s [--stage] [--config TEXT] [--image REF] [--cmd ARGV] PLUGIN.so\n",
		        argv[0]);
		return 2;
	}
	snprintf(tmpdir, sizeof(tmpdir), "%s/kube-conformance-XXXXXX",
	         getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 2;
	}
	int status = 2;
	kube_plugin *p = NULL;
	char copy[PATH_MAX + 32];
	if (stage) {
		snprintf(copy, sizeof(copy), "%s/plugin.so", tmpdir);
		if (copy_plugin(path, copy) != 0) {
			printf("FAIL - stage %s: %s\n", path, strerror(errno));
			goto out;
		}
		path = copy;
	}
	int rc = kube_plugin_load(&p, path);
	if (rc) {
		printf("FAIL - load %s: %s\n", path, kube_error_last()->message);
		goto out;
	}
	kube_plugin_kind kind = kube_plugin_get_kind(p);
	printf("ok   - load %s: %s plugin %s %s (ABI %d.%u)\n", path,
	       kind == KUBE_PLUGIN_VOLUME ? "volume" : kind == KUBE_PLUGIN_RUNTIME ? "runtime" : "cloud",
	       kube_plugin_name(p), kube_plugin_version(p), KUBE_PLUGIN_ABI_MAJOR,
	       kube_plugin_abi_minor(p));
	char *cfg = substitute(config);
	void *self = NULL;
	if (kube_plugin_volume(p)) {
		const kube_volume_driver *vt = kube_plugin_volume(p);
		rc = vt->open(&self, cfg, strlen(cfg), NULL);
		if (rc) {
			printf("FAIL - open: %s\n", code_name(rc));
		} else {
			check_volume(vt, self);
			vt->close(self);
			status = failures ? 1 : 0;
		}
	} else if (kube_plugin_runtime(p)) {
		const kube_runtime_driver *vt = kube_plugin_runtime(p);
		rc = vt->open(&self, cfg, strlen(cfg), NULL);
		if (rc) {
			printf("FAIL - open: %s [%s]\n", code_name(rc), kube_error_last()->message);
		} else {
			check_runtime(vt, self);
			vt->close(self);
			status = failures ? 1 : 0;
		}
	} else {
		const kube_cloud_provider *vt = kube_plugin_cloud(p);
		rc = vt->open(&self, cfg, strlen(cfg), NULL);
		if (rc) {
			printf("FAIL - open: %s\n", code_name(rc));
		} else {
			check_cloud(vt, self);
			vt->close(self);
			status = failures ? 1 : 0;
		}
	}
	free(cfg);
	printf("%d checks, %d failed\n", checks, failures);
	kube_plugin_unload(p);
	kube_plugin_unref(p);
out:
	nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
	return status;
}
