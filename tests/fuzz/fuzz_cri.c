/*
 * fuzz_cri.c - libFuzzer target for the CRI client's parser of peer data:
 * the bytes of a gRPC response message, decoded as every CRI response type
 * in turn (kube__cri_decode: protobuf-c unpacking, then the copy into the
 * public structs of cri_types.h) and freed again.
 *
 * Properties checked on every input, for every call:
 *   - the decoder returns 0, KUBE_EIO (not that message; the error names
 *     the call), KUBE_ENOTFOUND (ImageStatus without an image) or
 *     KUBE_ENOMEM, and a result exactly when it returns 0 and the call has
 *     one;
 *   - every string of a result is non-NULL and every array's count matches
 *     a non-NULL array (walked, so ASan sees each byte);
 *   - ExecSync's outputs are NUL-terminated at their length.
 * Leaks and overreads are the sanitizers' to find.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cri/cri_internal.h"
#include "libkube/kube.h"

#define CHECK(cond) do { if (!(cond)) abort(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile size_t sink;

static void s(const char *p)
{
	CHECK(p != NULL);
	sink += strlen(p);
}

static void kvs(const kube_cri_kv *kv, size_t n)
{
	CHECK(n == 0 || kv != NULL);
	for (size_t i = 0; i < n; i++) {
		s(kv[i].key);
		s(kv[i].value);
	}
}

static void strv(char *const *v, size_t n)
{
	CHECK(n == 0 || v != NULL);
	for (size_t i = 0; i < n; i++)
		s(v[i]);
}

static void image(const kube_cri_image *im)
{
	s(im->id);
	strv(im->repo_tags, im->n_repo_tags);
	strv(im->repo_digests, im->n_repo_digests);
	s(im->username);
	s(im->spec_image);
}

static void walk(int result, const void *r)
{
	switch (result) {
	case KUBE__CRI_R_STRING: s(r); break;
	case KUBE__CRI_R_VERSION: {
		const kube_cri_version *v = r;
		s(v->version); s(v->runtime_name); s(v->runtime_version); s(v->runtime_api_version);
		break;
	}
	case KUBE__CRI_R_RUNTIME_STATUS: {
		const kube_cri_runtime_status *st = r;
		CHECK(st->n_conditions == 0 || st->conditions);
		for (size_t i = 0; i < st->n_conditions; i++) {
			s(st->conditions[i].type); s(st->conditions[i].reason); s(st->conditions[i].message);
			CHECK(st->conditions[i].status == 0 || st->conditions[i].status == 1);
		}
		kvs(st->info, st->n_info);
		break;
	}
	case KUBE__CRI_R_SANDBOX_STATUS: {
		const kube_cri_sandbox_status *st = r;
		s(st->id); s(st->metadata.name); s(st->metadata.uid); s(st->metadata.ns);
		s(st->network_ip);
		strv(st->network_additional_ips, st->n_network_additional_ips);
		s(st->linux_namespaces.target_id);
		kvs(st->labels, st->n_labels);
		kvs(st->annotations, st->n_annotations);
		s(st->runtime_handler);
		kvs(st->info, st->n_info);
		break;
	}
	case KUBE__CRI_R_SANDBOX_LIST: {
		const kube_cri_sandbox_list *l = r;
		CHECK(l->n_items == 0 || l->items);
		for (size_t i = 0; i < l->n_items; i++) {
			s(l->items[i].id); s(l->items[i].metadata.name); s(l->items[i].runtime_handler);
			kvs(l->items[i].labels, l->items[i].n_labels);
			kvs(l->items[i].annotations, l->items[i].n_annotations);
		}
		break;
	}
	case KUBE__CRI_R_CONTAINER_LIST: {
		const kube_cri_container_list *l = r;
		CHECK(l->n_items == 0 || l->items);
		for (size_t i = 0; i < l->n_items; i++) {
			s(l->items[i].id); s(l->items[i].pod_sandbox_id); s(l->items[i].metadata.name);
			s(l->items[i].image); s(l->items[i].image_ref);
			kvs(l->items[i].labels, l->items[i].n_labels);
			kvs(l->items[i].annotations, l->items[i].n_annotations);
		}
		break;
	}
	case KUBE__CRI_R_CONTAINER_STATUS: {
		const kube_cri_container_status *st = r;
		s(st->id); s(st->metadata.name); s(st->image); s(st->image_ref); s(st->reason);
		s(st->message); s(st->log_path);
		kvs(st->labels, st->n_labels);
		kvs(st->annotations, st->n_annotations);
		CHECK(st->n_mounts == 0 || st->mounts);
		for (size_t i = 0; i < st->n_mounts; i++) {
			s(st->mounts[i].container_path);
			s(st->mounts[i].host_path);
		}
		if (st->linux_resources) {
			const kube_cri_linux_resources *res = st->linux_resources;
			s(res->cpuset_cpus); s(res->cpuset_mems);
			kvs(res->unified, res->n_unified);
			CHECK(res->n_hugepage_limits == 0 || res->hugepage_limits);
			for (size_t i = 0; i < res->n_hugepage_limits; i++)
				s(res->hugepage_limits[i].page_size);
		}
		kvs(st->info, st->n_info);
		break;
	}
	case KUBE__CRI_R_EXEC: {
		const kube_cri_exec_result *e = r;
		CHECK(e->out && e->err);
		CHECK(e->out[e->out_len] == 0 && e->err[e->err_len] == 0);
		break;
	}
	case KUBE__CRI_R_STATS_LIST: {
		const kube_cri_container_stats_list *l = r;
		CHECK(l->n_items == 0 || l->items);
		for (size_t i = 0; i < l->n_items; i++) {
			s(l->items[i].id); s(l->items[i].metadata.name);
			s(l->items[i].writable_layer.mountpoint);
			kvs(l->items[i].labels, l->items[i].n_labels);
			kvs(l->items[i].annotations, l->items[i].n_annotations);
		}
		break;
	}
	case KUBE__CRI_R_IMAGE_LIST: {
		const kube_cri_image_list *l = r;
		CHECK(l->n_items == 0 || l->items);
		for (size_t i = 0; i < l->n_items; i++)
			image(&l->items[i]);
		break;
	}
	case KUBE__CRI_R_IMAGE_STATUS: {
		const kube_cri_image_status *st = r;
		image(&st->image);
		kvs(st->info, st->n_info);
		break;
	}
	case KUBE__CRI_R_FS_INFO: {
		const kube_cri_fs_info *f = r;
		CHECK(f->n_image_filesystems == 0 || f->image_filesystems);
		for (size_t i = 0; i < f->n_image_filesystems; i++)
			s(f->image_filesystems[i].mountpoint);
		break;
	}
	default:
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	for (int call = 0; call < KUBE__CRI_NCALLS; call++) {
		const kube__cri_call_info *info = kube__cri_call(call);
		void *r = NULL;
		int rc = kube__cri_decode(call, data, size, "docker.io/library/x:1", &r);
		CHECK(rc == 0 || rc == KUBE_EIO || rc == KUBE_ENOTFOUND || rc == KUBE_ENOMEM);
		if (rc == KUBE_ENOTFOUND)
			CHECK(call == KUBE__CRI_IMAGE_STATUS);
		if (rc != 0) {
			CHECK(r == NULL);
			const kube_error *e = kube_error_last();
			CHECK(e && e->code == rc && e->message);
			if (rc == KUBE_EIO)
				CHECK(strncmp(e->message, info->name, strlen(info->name)) == 0);
			continue;
		}
		CHECK((r == NULL) == (info->result == KUBE__CRI_R_DONE));
		walk(info->result, r);
		kube__cri_result_free(call, r);
	}
	return 0;
}
