/*
 * test.c: the C ABI as a C program sees it, built against the committed include/pex.h and
 * linked to libpex by pexffi/tests/c_abi.rs.
 *
 * Usage: test VALID_PEX NOT_A_PEX MISSING_PATH
 *
 * Prints one line per check; on the first failure prints where and why to stderr and exits 1.
 */

#include <stdio.h>
#include <string.h>

#include "pex.h"

_Static_assert(sizeof(pex_result) == 4, "pex_result is a fixed-width 32-bit code");

static int checks = 0;

#define CHECK(condition, ...)                                                     \
    do {                                                                          \
        checks++;                                                                 \
        if (!(condition)) {                                                       \
            fprintf(stderr, "%s:%d: check failed: %s\n  ", __FILE__, __LINE__,     \
                    #condition);                                                  \
            fprintf(stderr, __VA_ARGS__);                                         \
            fprintf(stderr, "\n");                                                \
            return 1;                                                             \
        }                                                                         \
    } while (0)

/* A failing call must leave the out-parameter alone: it starts out pointing here. */
static char sentinel[] = "unwritten";

static int check_failure(const char *label, const char *path, pex_result expected,
                         const char *expected_in_message) {
    pex_error *error = pex_error_new();
    CHECK(error != NULL, "pex_error_new returned NULL");
    char *json = sentinel;
    pex_result code = pex_inspect(path, &json, error);
    const char *message = pex_error_message(error);
    CHECK(code == expected, "%s: pex_inspect returned %u, expected %u; message: %s", label,
          (unsigned)code, (unsigned)expected, message);
    CHECK(pex_error_code(error) == expected, "%s: pex_error_code is %u", label,
          (unsigned)pex_error_code(error));
    CHECK(json == sentinel, "%s: the out-parameter was written on failure", label);
    CHECK(message != NULL && strstr(message, expected_in_message) != NULL,
          "%s: the message does not contain \"%s\": %s", label, expected_in_message,
          message ? message : "(NULL)");
    printf("ok: %s: %s\n", label, message);
    pex_error_free(error);

    /* The same failure without an error object: only the code comes back. */
    json = sentinel;
    CHECK(pex_inspect(path, &json, NULL) == expected, "%s: without an error object", label);
    CHECK(json == sentinel, "%s: the out-parameter was written on failure", label);
    return 0;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: %s VALID_PEX NOT_A_PEX MISSING_PATH\n", argv[0]);
        return 2;
    }
    const char *valid_pex = argv[1];
    const char *not_a_pex = argv[2];
    const char *missing = argv[3];

    /* The library is the version this header describes. */
    const char *version = pex_version();
    CHECK(version != NULL && strcmp(version, PEX_VERSION) == 0, "pex_version() is %s, header %s",
          version ? version : "(NULL)", PEX_VERSION);
    char from_parts[64];
    snprintf(from_parts, sizeof from_parts, "%d.%d.%d", PEX_VERSION_MAJOR, PEX_VERSION_MINOR,
             PEX_VERSION_PATCH);
    CHECK(strcmp(from_parts, PEX_VERSION) == 0, "PEX_VERSION_* give %s", from_parts);
    printf("ok: version %s\n", version);

    /* A new error object is empty. */
    pex_error *error = pex_error_new();
    CHECK(error != NULL, "pex_error_new returned NULL");
    CHECK(pex_error_code(error) == PEX_RESULT_OK, "a new error's code is %u",
          (unsigned)pex_error_code(error));
    CHECK(strcmp(pex_error_message(error), "") == 0, "a new error's message is %s",
          pex_error_message(error));

    /* Success: the manifest as JSON, owned by the caller. */
    char *json = NULL;
    pex_result code = pex_inspect(valid_pex, &json, error);
    CHECK(code == PEX_RESULT_OK, "pex_inspect(%s) returned %u: %s", valid_pex, (unsigned)code,
          pex_error_message(error));
    CHECK(json != NULL, "no JSON");
    CHECK(strstr(json, "\"pex_hash\":") != NULL, "no pex_hash in %s", json);
    CHECK(json[0] == '{' && json[strlen(json) - 1] == '}', "not a JSON object: %s", json);
    printf("ok: inspect: %s\n", json);
    pex_string_free(json);
    CHECK(pex_error_code(error) == PEX_RESULT_OK, "success wrote the error object");

    /* Success without an error object. */
    json = NULL;
    CHECK(pex_inspect(valid_pex, &json, NULL) == PEX_RESULT_OK, "inspect without error object");
    pex_string_free(json);

    /* Failures, each with a message that says which file. */
    if (check_failure("not a PEX", not_a_pex, PEX_RESULT_INVALID_ARCHIVE, not_a_pex) != 0) return 1;
    if (check_failure("missing file", missing, PEX_RESULT_INVALID_ARGUMENT, missing) != 0) return 1;
    if (check_failure("NULL path", NULL, PEX_RESULT_NULL_PARAMETER, "`path`") != 0) return 1;
    if (check_failure("non-UTF-8 path", "caf\xe9.pex", PEX_RESULT_INVALID_UTF8, "not valid UTF-8") != 0)
        return 1;

    /* A NULL out-parameter is refused, and named in the message. */
    CHECK(pex_inspect(valid_pex, NULL, error) == PEX_RESULT_NULL_PARAMETER, "NULL out_json");
    CHECK(strstr(pex_error_message(error), "`out_json`") != NULL, "message: %s",
          pex_error_message(error));

    /* The error object is reused: the last failure wins. */
    CHECK(pex_inspect(missing, &json, error) == PEX_RESULT_INVALID_ARGUMENT, "reuse");
    CHECK(strstr(pex_error_message(error), missing) != NULL, "reused message: %s",
          pex_error_message(error));

    /* NULL handles are harmless. */
    CHECK(pex_error_code(NULL) == PEX_RESULT_NULL_PARAMETER, "pex_error_code(NULL)");
    CHECK(pex_error_message(NULL) == NULL, "pex_error_message(NULL)");
    pex_string_free(NULL);
    pex_error_free(NULL);
    pex_error_free(error);

    printf("ok: %d checks\n", checks);
    return 0;
}
