/*
 * json.h: a small JSON reader and writer (RFC 8259), enough for OCI's
 * config.json, state and image manifests. The reader takes any bytes and
 * either builds a tree or says, in one line, where and why it stopped;
 * it refuses more than JSON_MAX_SIZE bytes and nesting deeper than
 * JSON_MAX_DEPTH, so hostile input costs a bounded amount of memory and stack.
 */
#ifndef MINIDOCK_JSON_H
#define MINIDOCK_JSON_H

#include <stddef.h>
#include <stdio.h>

#define JSON_MAX_SIZE (4 << 20) /* bytes: Docker's seccomp profile is ~30 KiB */
#define JSON_MAX_DEPTH 64

enum json_type { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT };

struct json {
	enum json_type type;
	char *key;            /* the member's name, inside an object */
	char *str;            /* JSON_STRING: NUL-free, NUL-terminated */
	double num;           /* JSON_NUMBER */
	int integer;          /* JSON_NUMBER: it had no fraction or exponent */
	long long ival;       /* and then its value, if it fits */
	int boolean;          /* JSON_BOOL */
	struct json *child;   /* JSON_ARRAY, JSON_OBJECT: the first element */
	struct json *next;    /* the next element of the parent */
};

/* NULL on error, with "line L, column C: what" in err. */
struct json *json_parse(const char *text, size_t len, char *err, size_t err_len);
/* The file, at most JSON_MAX_SIZE bytes; err as above, or naming the read error. */
struct json *json_parse_file(const char *path, char *err, size_t err_len);
void json_free(struct json *j);

const struct json *json_get(const struct json *obj, const char *key);
size_t json_count(const struct json *array_or_object);
const char *json_type_name(enum json_type t);

/* Writing: a string with JSON's escapes, quotes included. */
void json_write_string(FILE *f, const char *s);

#endif
