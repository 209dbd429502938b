/*
 * status.c - gRPC status codes and the small encodings around them.
 *
 * Pure functions, no I/O: code names and their KUBE_E* counterparts, the
 * mappings a client applies when a response carries no grpc-status (from
 * the HTTP :status, grpc/grpc doc/http-grpc-status-mapping.md) or when a
 * stream is reset (from the RST_STREAM error code, doc/PROTOCOL-HTTP2.md),
 * the grpc-timeout text (at most 8 digits and one of H M S m u n) and the
 * percent-decoding of grpc-message.
 */
#include <stdio.h>
#include <string.h>

#include "grpc_private.h"

static const char *const code_names[] = {
	"OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED",
	"NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED",
	"FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED",
	"INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED",
};

const char *kube__grpc_code_name(int grpc_code)
{
	if (grpc_code < 0 || (size_t)grpc_code >= KUBE_ARRAY_SIZE(code_names))
		return "UNKNOWN";
	return code_names[grpc_code];
}

int kube__grpc_code_to_kube(int grpc_code)
{
	switch (grpc_code) {
	case KUBE_GRPC_OK: return 0;
	case KUBE_GRPC_CANCELLED: return KUBE_ECANCELED;
	case KUBE_GRPC_INVALID_ARGUMENT: return KUBE_EINVAL;
	case KUBE_GRPC_DEADLINE_EXCEEDED: return KUBE_ETIMEDOUT;
	case KUBE_GRPC_NOT_FOUND: return KUBE_ENOTFOUND;
	case KUBE_GRPC_ALREADY_EXISTS: return KUBE_EEXISTS;
	case KUBE_GRPC_PERMISSION_DENIED: return KUBE_EPERM;
	/* "a resource is in use or full": quota, rate limits, sizes */
	case KUBE_GRPC_RESOURCE_EXHAUSTED: return KUBE_EBUSY;
	/* both mean "the state is not what the caller assumed" */
	case KUBE_GRPC_FAILED_PRECONDITION: return KUBE_ECONFLICT;
	case KUBE_GRPC_ABORTED: return KUBE_ECONFLICT;
	case KUBE_GRPC_OUT_OF_RANGE: return KUBE_ERANGE;
	case KUBE_GRPC_UNIMPLEMENTED: return KUBE_ENOTSUP;
	case KUBE_GRPC_UNAVAILABLE: return KUBE_EUNAVAILABLE;
	case KUBE_GRPC_DATA_LOSS: return KUBE_EDATALOSS;
	case KUBE_GRPC_UNAUTHENTICATED: return KUBE_EUNAUTHENTICATED;
	default: return KUBE_ERROR;   /* UNKNOWN, INTERNAL and codes past 16 */
	}
}

int kube__grpc_status_error(const char *method, const kube__grpc_status *status)
{
	if (!status)
		return kube__error_set(KUBE_EINVAL, NULL, "%s: invalid argument: status", __func__);
	int rc = kube__grpc_code_to_kube(status->code);
	if (rc == 0)
		return 0;
	const char *msg = status->message ? status->message : "";
	return kube__error_set(rc, NULL, "%s: %s: %s", method ? method : "(no method)",
	                       kube__grpc_code_name(status->code), msg);
}

int kube__grpc_code_from_http(int http_status)
{
	switch (http_status) {
	case 400: return KUBE_GRPC_INTERNAL;
	case 401: return KUBE_GRPC_UNAUTHENTICATED;
	case 403: return KUBE_GRPC_PERMISSION_DENIED;
	case 404: return KUBE_GRPC_UNIMPLEMENTED;
	case 429: return KUBE_GRPC_UNAVAILABLE;
	case 431: return KUBE_GRPC_INTERNAL;
	case 502: return KUBE_GRPC_UNAVAILABLE;
	case 503: return KUBE_GRPC_UNAVAILABLE;
	case 504: return KUBE_GRPC_UNAVAILABLE;
	default: return KUBE_GRPC_UNKNOWN;   /* 200 too: a real OK has grpc-status */
	}
}

int kube__grpc_code_from_rst(uint32_t h2_error)
{
	switch (h2_error) {
	case 0x7: return KUBE_GRPC_UNAVAILABLE;         /* REFUSED_STREAM: not processed */
	case 0x8: return KUBE_GRPC_CANCELLED;           /* CANCEL */
	case 0xb: return KUBE_GRPC_RESOURCE_EXHAUSTED;  /* ENHANCE_YOUR_CALM */
	case 0xc: return KUBE_GRPC_PERMISSION_DENIED;   /* INADEQUATE_SECURITY */
	default: return KUBE_GRPC_INTERNAL;             /* NO_ERROR, PROTOCOL_ERROR, ... */
	}
}

size_t kube__grpc_timeout_format(uint64_t timeout_ms, char *buf)
{
	/* Each step up divides by the next unit's size, rounding up. */
	static const struct { char unit; uint64_t div; } steps[] = {
		{ 'm', 1 }, { 'S', 1000 }, { 'M', 60 }, { 'H', 60 },
	};
	uint64_t v = timeout_ms;
	char unit = 'm';
	for (size_t i = 0; i < KUBE_ARRAY_SIZE(steps); i++) {
		if (i > 0)
			v = v / steps[i].div + (v % steps[i].div != 0);
		unit = steps[i].unit;
		if (v <= 99999999u)
			break;
	}
	if (v > 99999999u)
		v = 99999999u;   /* ~11,400 years: as good as infinite */
	int n = snprintf(buf, 10, "%llu%c", (unsigned long long)v, unit);
	return (size_t)n;
}

static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

size_t kube__grpc_percent_decode(const char *in, size_t len, char *out)
{
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		if (in[i] == '%' && i + 2 < len) {
			int hi = hexval((unsigned char)in[i + 1]);
			int lo = hexval((unsigned char)in[i + 2]);
			if (hi >= 0 && lo >= 0) {
				out[o++] = (char)(hi << 4 | lo);
				i += 2;
				continue;
			}
		}
		out[o++] = in[i];
	}
	out[o] = '\0';
	return o;
}

int kube__grpc_parse_status(const char *s, size_t len)
{
	if (len == 0 || len > 9 || (len > 1 && s[0] == '0'))
		return -1;
	int v = 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}
