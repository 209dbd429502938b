/*
 * names.c - the name validators of k8s.io/apimachinery/pkg/util/validation.
 *
 * Upstream checks these with anchored Go regexps; here each pattern is a
 * hand-written scan over bytes, which agrees with the regexp on every input
 * (Go's '$' matches only at the very end, so a trailing newline fails too,
 * and any non-ASCII byte fails the character classes).  The messages are
 * upstream's, word for word, because callers and tests compare them.
 *
 *   qualified name   [prefix '/'] name
 *                    prefix: DNS-1123 subdomain, name: ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]
 *   label value      "" | name pattern, <= 63
 *   DNS-1123 label   [a-z0-9]([-a-z0-9]*[a-z0-9])?, <= 63
 *   DNS-1123 subdom. label ('.' label)*, <= 253
 *   DNS-1035 label   [a-z]([-a-z0-9]*[a-z0-9])?, <= 63
 */
#include <stdio.h>
#include <string.h>

#include "base.h"

#define QNAME_FMT "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
#define QNAME_MSG "must consist of alphanumeric characters, '-', '_' or '.', " \
                  "and must start and end with an alphanumeric character"
#define LABEL_VALUE_FMT "(" QNAME_FMT ")?"
#define LABEL_VALUE_MSG "a valid label must be an empty string or consist of alphanumeric " \
                        "characters, '-', '_' or '.', and must start and end with an " \
                        "alphanumeric character"
#define DNS1123_LABEL_FMT "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
#define DNS1123_LABEL_MSG "a lowercase RFC 1123 label must consist of lower case " \
                          "alphanumeric characters or '-', and must start and end with " \
                          "an alphanumeric character"
#define DNS1123_SUBDOMAIN_FMT DNS1123_LABEL_FMT "(\\." DNS1123_LABEL_FMT ")*"
#define DNS1123_SUBDOMAIN_MSG "a lowercase RFC 1123 subdomain must consist of lower case " \
                              "alphanumeric characters, '-' or '.', and must start and end " \
                              "with an alphanumeric character"
#define DNS1035_LABEL_FMT "[a-z]([-a-z0-9]*[a-z0-9])?"
#define DNS1035_LABEL_MSG "a DNS-1035 label must consist of lower case alphanumeric " \
                          "characters or '-', start with an alphabetic character, and " \
                          "end with an alphanumeric character"

/* upstream's RegexError(): examples are each followed by "', " and joined by " or " */
#define EG1(a) " (e.g. '" a "', regex used for validation is '"
#define EG2(a, b) " (e.g. '" a "',  or '" b "', regex used for validation is '"
#define EG3(a, b, c) " (e.g. '" a "',  or '" b "',  or '" c "', regex used for validation is '"

#define QNAME_REGEX_ERR QNAME_MSG EG3("MyName", "my.name", "123-abc") QNAME_FMT "')"
#define LABEL_VALUE_REGEX_ERR LABEL_VALUE_MSG EG3("MyValue", "my_value", "12345") LABEL_VALUE_FMT "')"
#define DNS1123_LABEL_REGEX_ERR DNS1123_LABEL_MSG EG2("my-name", "123-abc") DNS1123_LABEL_FMT "')"
#define DNS1123_SUBDOMAIN_REGEX_ERR DNS1123_SUBDOMAIN_MSG EG1("example.com") DNS1123_SUBDOMAIN_FMT "')"
#define DNS1035_LABEL_REGEX_ERR DNS1035_LABEL_MSG EG2("my-name", "abc-123") DNS1035_LABEL_FMT "')"

static inline int is_alnum(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static inline int is_lower_alnum(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9] */
static int match_qname(const char *s, size_t n)
{
	if (n == 0 || !is_alnum((unsigned char)s[0]) || !is_alnum((unsigned char)s[n - 1]))
		return 0;
	for (size_t i = 1; i + 1 < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!is_alnum(c) && c != '-' && c != '_' && c != '.')
			return 0;
	}
	return 1;
}

/* [a-z0-9]([-a-z0-9]*[a-z0-9])? ; first_alpha makes it the DNS-1035 form */
static int match_dns_label(const char *s, size_t n, int first_alpha)
{
	if (n == 0 || !is_lower_alnum((unsigned char)s[n - 1]))
		return 0;
	if (first_alpha ? !(s[0] >= 'a' && s[0] <= 'z') : !is_lower_alnum((unsigned char)s[0]))
		return 0;
	for (size_t i = 1; i + 1 < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!is_lower_alnum(c) && c != '-')
			return 0;
	}
	return 1;
}

static int match_dns_subdomain(const char *s, size_t n)
{
	size_t start = 0;
	for (size_t i = 0; i <= n; i++) {
		if (i == n || s[i] == '.') {
			if (!match_dns_label(s + start, i - start, 0))
				return 0;
			start = i + 1;
		}
	}
	return 1;
}

static void add_msg(kube__buf *msg, int *count, const char *prefix, const char *text)
{
	if (!msg) {
		(*count)++;
		return;
	}
	if ((*count)++ > 0)
		kube__buf_puts(msg, "; ");
	if (prefix)
		kube__buf_puts(msg, prefix);
	kube__buf_puts(msg, text);
}

static void add_max_len(kube__buf *msg, int *count, const char *prefix, int max)
{
	char text[64];
	snprintf(text, sizeof(text), "must be no more than %d characters", max);
	add_msg(msg, count, prefix, text);
}

static int check_subdomain(const char *s, size_t n, kube__buf *msg, int *count, const char *prefix)
{
	int before = *count;
	if (n > 253)
		add_max_len(msg, count, prefix, 253);
	if (!match_dns_subdomain(s, n))
		add_msg(msg, count, prefix, DNS1123_SUBDOMAIN_REGEX_ERR);
	return *count > before ? KUBE_EINVAL : 0;
}

int kube__check_dns1123_subdomain(const char *s, size_t n, kube__buf *msg)
{
	int count = 0;
	return check_subdomain(s, n, msg, &count, NULL);
}

int kube__check_qualified_name(const char *s, size_t n, kube__buf *msg)
{
	int count = 0;
	const char *slash = memchr(s, '/', n);
	const char *name = s;
	size_t name_len = n;

	if (slash) {
		size_t prefix_len = (size_t)(slash - s);
		if (memchr(slash + 1, '/', n - prefix_len - 1)) {
			add_msg(msg, &count, "a qualified name ",
			        QNAME_REGEX_ERR " with an optional DNS subdomain prefix and '/' "
			        "(e.g. 'example.com/MyName')");
			return KUBE_EINVAL;
		}
		if (prefix_len == 0)
			add_msg(msg, &count, "prefix part ", "must be non-empty");
		else
			check_subdomain(s, prefix_len, msg, &count, "prefix part ");
		name = slash + 1;
		name_len = n - prefix_len - 1;
	}
	if (name_len == 0)
		add_msg(msg, &count, "name part ", "must be non-empty");
	else if (name_len > 63)
		add_max_len(msg, &count, "name part ", 63);
	if (!match_qname(name, name_len))
		add_msg(msg, &count, "name part ", QNAME_REGEX_ERR);
	return count ? KUBE_EINVAL : 0;
}

int kube__check_label_value(const char *s, size_t n, kube__buf *msg)
{
	int count = 0;
	if (n > 63)
		add_max_len(msg, &count, NULL, 63);
	if (n != 0 && !match_qname(s, n))
		add_msg(msg, &count, NULL, LABEL_VALUE_REGEX_ERR);
	return count ? KUBE_EINVAL : 0;
}

int kube__check_dns1123_label(const char *s, size_t n, kube__buf *msg)
{
	int count = 0;
	if (n > 63)
		add_max_len(msg, &count, NULL, 63);
	if (!match_dns_label(s, n, 0)) {
		if (match_dns_subdomain(s, n))
			add_msg(msg, &count, NULL, "must not contain dots");
		else
			add_msg(msg, &count, NULL, DNS1123_LABEL_REGEX_ERR);
	}
	return count ? KUBE_EINVAL : 0;
}

int kube__check_dns1035_label(const char *s, size_t n, kube__buf *msg)
{
	int count = 0;
	if (n > 63)
		add_max_len(msg, &count, NULL, 63);
	if (!match_dns_label(s, n, 1))
		add_msg(msg, &count, NULL, DNS1035_LABEL_REGEX_ERR);
	return count ? KUBE_EINVAL : 0;
}

typedef int (*check_fn)(const char *, size_t, kube__buf *);

static int run_public(check_fn fn, const char *what, const char *s)
{
	kube__buf msg = KUBE__BUF_INIT;
	int rc;

	if (!s)
		return kube__error_set(KUBE_EINVAL, NULL, "%s: the string is NULL", what);
	rc = fn(s, strlen(s), &msg);
	if (rc == 0) {
		kube__buf_free(&msg);
		return 0;
	}
	if (msg.failed)
		rc = kube__error_oom();
	else
		kube__error_set(KUBE_EINVAL, NULL, "%s", msg.data);
	kube__buf_free(&msg);
	return rc;
}

int kube_validate_qualified_name(const char *s)
{
	return run_public(kube__check_qualified_name, "qualified name", s);
}

int kube_validate_label_value(const char *s)
{
	return run_public(kube__check_label_value, "label value", s);
}

int kube_validate_dns1123_label(const char *s)
{
	return run_public(kube__check_dns1123_label, "DNS-1123 label", s);
}

int kube_validate_dns1123_subdomain(const char *s)
{
	return run_public(kube__check_dns1123_subdomain, "DNS-1123 subdomain", s);
}

int kube_validate_dns1035_label(const char *s)
{
	return run_public(kube__check_dns1035_label, "DNS-1035 label", s);
}
