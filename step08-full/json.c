/*
 * json.c: a recursive-descent JSON reader (RFC 8259) and a string writer.
 *
 * Strict where it matters for untrusted input: the whole text must be one
 * value and nothing after it; raw control characters in strings, leading
 * zeros, lone surrogates and "\u0000" (our strings are C strings) are
 * refused; the size and the nesting depth are bounded (json.h), so the
 * recursion can never exhaust the stack.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json.h"

struct parser {
	const char *p, *start, *end;
	int depth;
	char *err;
	size_t err_len;
	int failed;
};

/* The first error wins: it names the line and column where reading stopped. */
static void fail(struct parser *ps, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(struct parser *ps, const char *fmt, ...)
{
	int line = 1, col = 1;
	size_t used;
	va_list ap;

	if (ps->failed)
		return;
	ps->failed = 1;
	for (const char *q = ps->start; q < ps->p; q++) {
		col = *q == '\n' ? 1 : col + 1;
		line += *q == '\n';
	}
	used = (size_t)snprintf(ps->err, ps->err_len, "line %d, column %d: ", line, col);
	if (used >= ps->err_len)
		return;
	va_start(ap, fmt);
	vsnprintf(ps->err + used, ps->err_len - used, fmt, ap);
	va_end(ap);
}

/* A byte for an error message: itself if printable, else its code (one line, always). */
static const char *byte_name(char c, char buf[8])
{
	unsigned char u = (unsigned char)c;

	if (u >= 0x20 && u < 0x7f)
		snprintf(buf, 8, "'%c'", c);
	else
		snprintf(buf, 8, "0x%02x", u);
	return buf;
}

static void skip_space(struct parser *ps)
{
	while (ps->p < ps->end && strchr(" \t\r\n", *ps->p) && *ps->p)
		ps->p++;
}

static struct json *new_node(struct parser *ps, enum json_type t)
{
	struct json *j = calloc(1, sizeof(*j));

	if (!j)
		fail(ps, "out of memory");
	else
		j->type = t;
	return j;
}

static int literal(struct parser *ps, const char *word)
{
	size_t n = strlen(word);

	char b[8];

	if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n)) {
		fail(ps, "unexpected %s", byte_name(*ps->p, b));
		return -1;
	}
	ps->p += n;
	return 0;
}

static int hex4(struct parser *ps, unsigned *out)
{
	*out = 0;
	for (int i = 0; i < 4; i++, ps->p++) {
		char c = ps->p < ps->end ? *ps->p : 0;
		int v = c >= '0' && c <= '9' ? c - '0'
			: c >= 'a' && c <= 'f' ? c - 'a' + 10
			: c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
		if (v < 0) {
			fail(ps, "bad \\u escape");
			return -1;
		}
		*out = *out * 16 + (unsigned)v;
	}
	return 0;
}

/* "\uXXXX", a surrogate pair taken whole, as UTF-8 into out (at most 4 bytes). */
static int unicode_escape(struct parser *ps, char *out, size_t *n)
{
	unsigned c, lo;

	if (hex4(ps, &c) < 0)
		return -1;
	if (c >= 0xdc00 && c <= 0xdfff)
		goto lone;
	if (c >= 0xd800 && c <= 0xdbff) {
		if (ps->end - ps->p < 2 || ps->p[0] != '\\' || ps->p[1] != 'u')
			goto lone;
		ps->p += 2;
		if (hex4(ps, &lo) < 0)
			return -1;
		if (lo < 0xdc00 || lo > 0xdfff)
			goto lone;
		c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
	}
	if (c == 0) {
		fail(ps, "\\u0000 in a string is not accepted");
		return -1;
	}
	if (c < 0x80) {
		out[(*n)++] = (char)c;
	} else if (c < 0x800) {
		out[(*n)++] = (char)(0xc0 | c >> 6);
		out[(*n)++] = (char)(0x80 | (c & 0x3f));
	} else if (c < 0x10000) {
		out[(*n)++] = (char)(0xe0 | c >> 12);
		out[(*n)++] = (char)(0x80 | (c >> 6 & 0x3f));
		out[(*n)++] = (char)(0x80 | (c & 0x3f));
	} else {
		out[(*n)++] = (char)(0xf0 | c >> 18);
		out[(*n)++] = (char)(0x80 | (c >> 12 & 0x3f));
		out[(*n)++] = (char)(0x80 | (c >> 6 & 0x3f));
		out[(*n)++] = (char)(0x80 | (c & 0x3f));
	}
	return 0;
lone:
	fail(ps, "lone UTF-16 surrogate in a \\u escape");
	return -1;
}

static int escape(struct parser *ps, char *out, size_t *n)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *k;
	char b[8];

	if (ps->p >= ps->end) {
		fail(ps, "unterminated string");
		return -1;
	}
	if (*ps->p == 'u') {
		ps->p++;
		return unicode_escape(ps, out, n);
	}
	k = *ps->p ? strchr(from, *ps->p) : NULL;
	if (!k) {
		fail(ps, "bad escape \\ then %s", byte_name(*ps->p, b));
		return -1;
	}
	out[(*n)++] = to[k - from];
	ps->p++;
	return 0;
}

/*
 * A string's bytes: escapes decoded, never longer than the source, so
 * one allocation of the source's length holds it.
 */
static char *string_body(struct parser *ps)
{
	const char *q = ps->p + 1;
	char *out;
	size_t n = 0;

	while (q < ps->end && *q != '"')
		q += *q == '\\' && q + 1 < ps->end ? 2 : 1;
	out = malloc((size_t)(q - ps->p) + 1);
	if (!out) {
		fail(ps, "out of memory");
		return NULL;
	}
	ps->p++;
	while (ps->p < ps->end && *ps->p != '"') {
		unsigned char c = (unsigned char)*ps->p;
		if (c < 0x20) {
			fail(ps, "control character 0x%02x in a string", c);
			break;
		}
		if (c == '\\') {
			ps->p++;
			if (escape(ps, out, &n) < 0)
				break;
			continue;
		}
		out[n++] = (char)c;
		ps->p++;
	}
	if (!ps->failed && ps->p >= ps->end)
		fail(ps, "unterminated string");
	if (ps->failed) {
		free(out);
		return NULL;
	}
	ps->p++;
	out[n] = 0;
	return out;
}

static int digits(struct parser *ps)
{
	const char *s = ps->p;

	while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
		ps->p++;
	if (ps->p == s) {
		fail(ps, "bad number");
		return -1;
	}
	return 0;
}

/* RFC 8259's grammar checked by hand; strtod/strtoll then read a copy. */
static struct json *number(struct parser *ps)
{
	const char *s = ps->p;
	char buf[64];
	struct json *j;
	int integer = 1;

	if (*ps->p == '-')
		ps->p++;
	if (ps->p < ps->end && *ps->p == '0' && ps->p + 1 < ps->end && ps->p[1] >= '0' &&
	    ps->p[1] <= '9') {
		fail(ps, "leading zero in a number");
		return NULL;
	}
	if (digits(ps) < 0)
		return NULL;
	if (ps->p < ps->end && *ps->p == '.') {
		ps->p++;
		integer = 0;
		if (digits(ps) < 0)
			return NULL;
	}
	if (ps->p < ps->end && (*ps->p == 'e' || *ps->p == 'E')) {
		ps->p++;
		integer = 0;
		if (ps->p < ps->end && (*ps->p == '+' || *ps->p == '-'))
			ps->p++;
		if (digits(ps) < 0)
			return NULL;
	}
	if (ps->p - s >= (long)sizeof(buf)) {
		fail(ps, "number too long");
		return NULL;
	}
	snprintf(buf, sizeof(buf), "%.*s", (int)(ps->p - s), s);
	j = new_node(ps, JSON_NUMBER);
	if (!j)
		return NULL;
	j->num = strtod(buf, NULL);
	errno = 0;
	if (integer) {
		j->ival = strtoll(buf, NULL, 10);
		j->integer = errno != ERANGE;
	}
	return j;
}

static struct json *value(struct parser *ps);

/* The elements of an array or the members of an object, up to close. */
static struct json *container(struct parser *ps, enum json_type t, char close)
{
	struct json *j = new_node(ps, t), **tail;

	if (!j)
		return NULL;
	tail = &j->child;
	if (++ps->depth > JSON_MAX_DEPTH) {
		fail(ps, "nested deeper than %d levels", JSON_MAX_DEPTH);
		return j;
	}
	ps->p++;
	skip_space(ps);
	if (ps->p < ps->end && *ps->p == close) {
		ps->p++;
		ps->depth--;
		return j;
	}
	while (!ps->failed) {
		char *key = NULL;
		skip_space(ps);
		if (t == JSON_OBJECT) {
			if (ps->p >= ps->end || *ps->p != '"') {
				fail(ps, "expected a member name in quotes");
				break;
			}
			key = string_body(ps);
			skip_space(ps);
			if (!key || ps->p >= ps->end || *ps->p != ':') {
				fail(ps, "expected ':'");
				free(key);
				break;
			}
			ps->p++;
		}
		*tail = value(ps);
		if (!*tail) {
			free(key);
			break;
		}
		(*tail)->key = key;
		tail = &(*tail)->next;
		skip_space(ps);
		if (ps->p < ps->end && *ps->p == ',') {
			ps->p++;
			continue;
		}
		if (ps->p < ps->end && *ps->p == close) {
			ps->p++;
			break;
		}
		fail(ps, "expected ',' or '%c'", close);
	}
	ps->depth--;
	return j;
}

static struct json *value(struct parser *ps)
{
	struct json *j = NULL;
	char b[8];

	skip_space(ps);
	if (ps->p >= ps->end) {
		fail(ps, "unexpected end of input");
		return NULL;
	}
	switch (*ps->p) {
	case '{':
		return container(ps, JSON_OBJECT, '}');
	case '[':
		return container(ps, JSON_ARRAY, ']');
	case '"':
		j = new_node(ps, JSON_STRING);
		if (j && !(j->str = string_body(ps))) {
			free(j);
			return NULL;
		}
		return j;
	case 't':
	case 'f': {
		int truth = *ps->p == 't';
		if (literal(ps, truth ? "true" : "false") < 0)
			return NULL;
		j = new_node(ps, JSON_BOOL);
		if (j)
			j->boolean = truth;
		return j;
	}
	case 'n':
		return literal(ps, "null") < 0 ? NULL : new_node(ps, JSON_NULL);
	default:
		if (*ps->p == '-' || (*ps->p >= '0' && *ps->p <= '9'))
			return number(ps);
		fail(ps, "unexpected %s", byte_name(*ps->p, b));
		return NULL;
	}
}

struct json *json_parse(const char *text, size_t len, char *err, size_t err_len)
{
	struct parser ps = {.p = text, .start = text, .end = text + len, .err = err,
			    .err_len = err_len};
	struct json *j;

	if (len > JSON_MAX_SIZE) {
		snprintf(err, err_len, "%zu bytes, more than the %d accepted", len, JSON_MAX_SIZE);
		return NULL;
	}
	j = value(&ps);
	skip_space(&ps);
	if (!ps.failed && ps.p < ps.end)
		fail(&ps, "text after the value");
	if (ps.failed) {
		json_free(j);
		return NULL;
	}
	return j;
}

/* Read at most one byte more than allowed: that is enough to refuse it. */
struct json *json_parse_file(const char *path, char *err, size_t err_len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	size_t cap = 65536, len = 0;
	char *buf = NULL, *grown;
	struct json *j = NULL;
	ssize_t n = 1;

	if (fd < 0) {
		snprintf(err, err_len, "open: %s", strerror(errno));
		return NULL;
	}
	while (n > 0 && len <= JSON_MAX_SIZE) {
		if (!buf || len == cap) {
			cap = buf ? cap * 2 : cap;
			grown = realloc(buf, cap);
			if (!grown) {
				snprintf(err, err_len, "out of memory");
				goto out;
			}
			buf = grown;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			n = 1;
		else if (n > 0)
			len += (size_t)n;
	}
	if (n < 0)
		snprintf(err, err_len, "read: %s", strerror(errno));
	else
		j = json_parse(buf, len, err, err_len);
out:
	free(buf);
	close(fd);
	return j;
}

/* Iterative along the siblings: only nesting recurses, and that is bounded. */
void json_free(struct json *j)
{
	while (j) {
		struct json *next = j->next;
		json_free(j->child);
		free(j->key);
		free(j->str);
		free(j);
		j = next;
	}
}

const struct json *json_get(const struct json *obj, const char *key)
{
	const struct json *found = NULL;

	if (!obj || obj->type != JSON_OBJECT)
		return NULL;
	/* Duplicate names: the last one counts, as most readers have it. */
	for (const struct json *m = obj->child; m; m = m->next)
		if (!strcmp(m->key, key))
			found = m;
	return found;
}

size_t json_count(const struct json *j)
{
	size_t n = 0;

	for (const struct json *c = j ? j->child : NULL; c; c = c->next)
		n++;
	return n;
}

const char *json_type_name(enum json_type t)
{
	static const char *const names[] = {"null", "a boolean", "a number", "a string",
					    "an array", "an object"};
	return names[t];
}

void json_write_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", f);
		else if (*p == '\t')
			fputs("\\t", f);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}
