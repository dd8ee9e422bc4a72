/*
 * A minimal unit-test harness: CHECK() records a failure with its location
 * and goes on; test_main() runs the listed tests and exits non-zero if any
 * check failed.
 */
#ifndef NETBOOTD_TEST_H
#define NETBOOTD_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>

static unsigned test_failures;

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);   \
			test_failures++;                                                           \
		}                                                                                  \
	} while (0)

#define CHECK_EQ_INT(a, b)                                                                         \
	do {                                                                                       \
		long long _a = (long long)(a), _b = (long long)(b);                                \
		if (_a != _b) {                                                                    \
			fprintf(stderr, "%s:%d: %s == %lld, expected %s == %lld\n", __FILE__,      \
			    __LINE__, #a, _a, #b, _b);                                             \
			test_failures++;                                                           \
		}                                                                                  \
	} while (0)

#define CHECK_EQ_STR(a, b)                                                                         \
	do {                                                                                       \
		const char *_a = (a), *_b = (b);                                                   \
		if (_a == NULL || _b == NULL || strcmp(_a, _b) != 0) {                             \
			fprintf(stderr, "%s:%d: %s == \"%s\", expected \"%s\"\n", __FILE__,        \
			    __LINE__, #a, _a ? _a : "(null)", _b ? _b : "(null)");                 \
			test_failures++;                                                           \
		}                                                                                  \
	} while (0)

#define CHECK_EQ_MEM(a, b, n) CHECK(memcmp((a), (b), (n)) == 0)

struct test_case {
	const char *name;
	void (*fn)(void);
};

#define TEST(name)                                                                                 \
	{                                                                                          \
#name, name                                                                        \
	}

static inline int
test_run(const struct test_case *tests, size_t n)
{
	unsigned failed_tests = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned before = test_failures;

		tests[i].fn();
		if (test_failures != before) {
			failed_tests++;
			printf("not ok %zu - %s\n", i + 1, tests[i].name);
		} else {
			printf("ok %zu - %s\n", i + 1, tests[i].name);
		}
	}
	printf("%zu passed, %u failed\n", n - failed_tests, failed_tests);
	return failed_tests == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

#define TEST_MAIN(...)                                                                             \
	int main(void)                                                                             \
	{                                                                                          \
		static const struct test_case tests[] = {__VA_ARGS__};                             \
		return test_run(tests, sizeof(tests) / sizeof(tests[0]));                          \
	}

#endif
