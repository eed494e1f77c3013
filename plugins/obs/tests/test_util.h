/* Tiny test harness for the core's C tests: CHECK macros that report file:line and
 * the values involved, and a file reader for the golden fixtures in docs/. */
#ifndef FACECAST_TEST_UTIL_H
#define FACECAST_TEST_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "facecast_core.h"

static int test_failures = 0;

/* Under AddressSanitizer, let a huge allocation fail with NULL as glibc's malloc does
 * (msgpack-c asks for room for the element count a message claims). Unused otherwise. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "allocator_may_return_null=1:max_allocation_size_mb=1024";
}

#define CHECK(cond)                                                                                                    \
	do {                                                                                                           \
		if (!(cond)) {                                                                                         \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);                       \
			test_failures++;                                                                               \
		}                                                                                                      \
	} while (0)

#define CHECK_ERR(expr, expected)                                                                                      \
	do {                                                                                                           \
		fc_error got_ = (expr);                                                                                \
		if (got_ != (expected)) {                                                                              \
			fprintf(stderr, "%s:%d: %s returned %s, expected %s\n", __FILE__, __LINE__, #expr,             \
				fc_error_name(got_), fc_error_name(expected));                                         \
			test_failures++;                                                                               \
		}                                                                                                      \
	} while (0)

#define CHECK_EQ_U64(a, b)                                                                                             \
	do {                                                                                                           \
		unsigned long long a_ = (unsigned long long)(a), b_ = (unsigned long long)(b);                         \
		if (a_ != b_) {                                                                                        \
			fprintf(stderr, "%s:%d: %s == %llu, expected %llu\n", __FILE__, __LINE__, #a, a_, b_);         \
			test_failures++;                                                                               \
		}                                                                                                      \
	} while (0)

#define CHECK_STR(a, b)                                                                                                \
	do {                                                                                                           \
		if (strcmp((a), (b)) != 0) {                                                                           \
			fprintf(stderr, "%s:%d: %s == \"%s\", expected \"%s\"\n", __FILE__, __LINE__, #a, (a), (b));   \
			test_failures++;                                                                               \
		}                                                                                                      \
	} while (0)

#define TEST_RESULT()                                                                                                  \
	(test_failures == 0 ? (printf("all checks passed\n"), 0)                                                       \
			    : (fprintf(stderr, "%d check(s) failed\n", test_failures), 1))

typedef struct blob {
	unsigned char *data;
	size_t len;
} blob;

/* Reads FIXTURE_DIR/name; exits with a clear message if the fixture is missing. */
static inline blob read_fixture(const char *name)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/%s", FIXTURE_DIR, name);
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		fprintf(stderr, "cannot open fixture %s (docs/protocol/fixtures missing?)\n", path);
		exit(2);
	}
	blob b = {NULL, 0};
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	b.data = malloc(n > 0 ? (size_t)n : 1);
	b.len = n > 0 ? fread(b.data, 1, (size_t)n, f) : 0;
	fclose(f);
	return b;
}

/* Decodes a hex string ("ff00...") into out; returns the byte count. */
static inline size_t from_hex(const char *hex, unsigned char *out, size_t cap)
{
	size_t n = 0;
	for (; hex[0] && hex[1] && n < cap; hex += 2) {
		unsigned v = 0;
		sscanf(hex, "%2x", &v);
		out[n++] = (unsigned char)v;
	}
	return n;
}

#endif
