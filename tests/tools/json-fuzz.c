/*
 * json-fuzz: step08-full/json.c against mutated input, built with the
 * address and undefined-behaviour sanitizers (make fuzz-json).
 *
 *   json-fuzz [ITERATIONS [SEED]]
 *
 * Each round takes a seed document (a config.json, deep nesting, escapes,
 * numbers at their limits), flips, deletes or inserts a few bytes (JSON's
 * own punctuation most often), and parses it; the sanitizers stop the run
 * at the first out-of-bounds access, leak or overflow. It also checks
 * what the reader promises: an answer or a one-line error, never both.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

static const char *const seeds[] = {
	"{\"ociVersion\":\"1.0.2\",\"process\":{\"args\":[\"sh\",\"-c\",\"echo \\\"hi\\\"\"],"
	"\"env\":[\"PATH=/bin\"],\"cwd\":\"/\",\"user\":{\"uid\":0,\"gid\":0}},"
	"\"root\":{\"path\":\"rootfs\",\"readonly\":true},\"linux\":{\"namespaces\":"
	"[{\"type\":\"pid\"},{\"type\":\"mount\"}],\"resources\":{\"memory\":{\"limit\":-1}}}}",
	"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[{}]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
	"\"\\u00e9\\ud83d\\ude00\\n\\t\\\\\\/\\b\\f\\r\"",
	"[0,-0,1e308,-1e-308,9223372036854775807,-9223372036854775808,18446744073709551616,0.5e+3]",
	"{\"a\":null,\"b\":true,\"c\":false,\"a\":{\"d\":[]}}",
};

static const char punctuation[] = "{}[]\",:\\u0123456789eE+-.tfn \n";

static size_t mutate(char *buf, size_t n, size_t cap)
{
	int rounds = rand() % 4 + 1;

	for (int k = 0; k < rounds && n; k++) {
		size_t pos = (size_t)rand() % n;
		switch (rand() % 3) {
		case 0:
			buf[pos] = rand() % 2 ? (char)(rand() % 256)
					      : punctuation[rand() % (sizeof(punctuation) - 1)];
			break;
		case 1:
			memmove(buf + pos, buf + pos + 1, n - pos - 1);
			n--;
			break;
		default:
			if (n + 1 >= cap)
				break;
			memmove(buf + pos + 1, buf + pos, n - pos);
			buf[pos] = punctuation[rand() % (sizeof(punctuation) - 1)];
			n++;
		}
	}
	return n;
}

int main(int argc, char **argv)
{
	long iterations = argc > 1 ? atol(argv[1]) : 1000000;
	char buf[1024], err[256];
	long parsed = 0;

	srand(argc > 2 ? (unsigned)atoi(argv[2]) : 1);
	for (long i = 0; i < iterations; i++) {
		const char *seed = seeds[rand() % (sizeof(seeds) / sizeof(seeds[0]))];
		size_t n = strlen(seed);
		char *copy;
		struct json *j;

		memcpy(buf, seed, n);
		n = mutate(buf, n, sizeof(buf));
		/* An exact-size copy: reading one byte past it is the sanitizer's to catch. */
		copy = malloc(n ? n : 1);
		if (!copy)
			return 2;
		memcpy(copy, buf, n);
		err[0] = 0;
		j = json_parse(copy, n, err, sizeof(err));
		if ((j && err[0]) || (!j && (!err[0] || strchr(err, '\n')))) {
			fprintf(stderr, "json-fuzz: round %ld: an answer and an error, or neither, "
				"or a broken line: %s\n", i, err);
			free(copy);
			json_free(j);
			return 1;
		}
		parsed += j != NULL;
		json_free(j);
		free(copy);
	}
	printf("json-fuzz: %ld inputs, %ld parsed, no fault\n", iterations, parsed);
	return 0;
}
