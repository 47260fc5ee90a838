/*
 * test.c: every function of the C ABI as a C program uses it, built against the committed
 * include/pex.h and linked to libpex.a by tests/it/embedding.rs, which also runs it under the
 * address and undefined-behaviour sanitizers and under valgrind.
 *
 * It works against a loopback package index the harness serves, and reads from the
 * environment:
 *   PEX_TEST_DIR      an empty scratch directory
 *   PEX_TEST_INDEX    the index URL; it serves greet 1.0 (needs colors), colors 2.0, and
 *                     liar 1.0, whose listed digest is wrong
 *   PEX_TEST_DEAD     the URL of a port nothing listens on
 *   PEX_TEST_PYTHON   a Python 3.8+ interpreter
 *   PEX_TEST_CERT     a PEM bundle of certificate authorities
 *   PEX_TEST_COMPLETE_PLATFORM  a complete platform file of that interpreter
 *
 * Prints one line per step; on the first failure prints where and why to stderr and exits 1.
 */

#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

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
            exit(1);                                                              \
        }                                                                         \
    } while (0)

/* The message of an error object, or "" for none. */
static const char *message_of(const pex_error *error) {
    return error != NULL ? pex_error_message(error) : "";
}

/* Checks that a call succeeded, printing the error's message if not. */
#define CHECK_OK(call, error)                                                     \
    do {                                                                          \
        pex_result check_ok_code = (call);                                        \
        CHECK(check_ok_code == PEX_RESULT_OK, "%s returned %u: %s", #call,        \
              (unsigned)check_ok_code, message_of(error));                        \
    } while (0)

static const char *scratch, *index_url, *dead_url, *python, *cert, *complete_platform;

static const char *environment(const char *name) {
    const char *value = getenv(name);
    if (value == NULL) {
        fprintf(stderr, "test.c: set %s (tests/it/embedding.rs does)\n", name);
        exit(2);
    }
    return value;
}

/* A path under the scratch directory, in one of a few static buffers. */
static const char *path(const char *name) {
    static char buffers[8][4096];
    static int next = 0;
    char *buffer = buffers[next++ % 8];
    snprintf(buffer, sizeof buffers[0], "%s/%s", scratch, name);
    return buffer;
}

static bool exists(const char *file) {
    struct stat status;
    return stat(file, &status) == 0;
}

/* Options for the loopback index, the test's cache and interpreter, and no retries. */
static pex_build_options *index_options(void) {
    pex_build_options *options = pex_build_options_new();
    CHECK(options != NULL, "pex_build_options_new returned NULL");
    CHECK_OK(pex_build_options_set_index_url(options, index_url, NULL), NULL);
    CHECK_OK(pex_build_options_set_cache_dir(options, path("cache"), NULL), NULL);
    CHECK_OK(pex_build_options_add_python(options, python, NULL), NULL);
    CHECK_OK(pex_build_options_set_retries(options, 0), NULL);
    CHECK_OK(pex_build_options_set_timeout(options, 10), NULL);
    return options;
}

/* Checks that a call failed with `expected`, that the error object says so and that its
 * message contains `needle`. */
static void expect_failure(const char *label, pex_result code, pex_error *error,
                           pex_result expected, const char *needle) {
    const char *message = pex_error_message(error);
    CHECK(code == expected, "%s: returned %u, expected %u; message: %s", label, (unsigned)code,
          (unsigned)expected, message);
    CHECK(pex_error_code(error) == expected, "%s: pex_error_code is %u", label,
          (unsigned)pex_error_code(error));
    CHECK(strstr(message, needle) != NULL, "%s: the message does not contain \"%s\": %s", label,
          needle, message);
    printf("ok: %s -> %u: %s\n", label, (unsigned)code, message);
}

/* Progress events, counted from whichever threads report them. */
struct counts {
    atomic_int chose, download_started, download_finished, total;
    atomic_ullong bytes;
    pex_cancel *cancel_on_first_choice;
};

static void on_progress(void *userdata, const pex_progress *progress) {
    struct counts *counts = userdata;
    atomic_fetch_add(&counts->total, 1);
    CHECK(progress->name != NULL && progress->detail != NULL, "a progress string is NULL");
    switch (progress->kind) {
    case PEX_PROGRESS_KIND_RESOLVE_CHOSE:
        atomic_fetch_add(&counts->chose, 1);
        CHECK(strlen(progress->name) > 0 && strlen(progress->detail) > 0,
              "a choice without a project or version");
        if (counts->cancel_on_first_choice != NULL) {
            pex_cancel_request(counts->cancel_on_first_choice);
        }
        break;
    case PEX_PROGRESS_KIND_DOWNLOAD_STARTED:
        atomic_fetch_add(&counts->download_started, 1);
        break;
    case PEX_PROGRESS_KIND_DOWNLOAD_PROGRESSED:
        atomic_fetch_add(&counts->bytes, progress->amount);
        break;
    case PEX_PROGRESS_KIND_DOWNLOAD_FINISHED:
        atomic_fetch_add(&counts->download_finished, 1);
        break;
    default:
        break;
    }
}

/* Runs `command` and checks that its first line of output is `expected`. */
static void expect_output(const char *command, const char *expected) {
    FILE *pipe = popen(command, "r");
    CHECK(pipe != NULL, "popen %s", command);
    char line[256] = "";
    if (fgets(line, sizeof line, pipe) == NULL) {
        line[0] = '\0';
    }
    int status = pclose(pipe);
    line[strcspn(line, "\n")] = '\0';
    CHECK(status == 0 && strcmp(line, expected) == 0, "`%s` printed \"%s\" (status %d)", command,
          line, status);
}

static void build_resolve_lock_download(void) {
    pex_error *error = pex_error_new();
    struct counts counts = {0};
    pex_build_options *options = index_options();
    CHECK_OK(pex_build_options_add_requirement(options, "greet", error), error);
    CHECK_OK(pex_build_options_set_entry_point(options, "greet:main", error), error);
    CHECK_OK(pex_build_options_set_progress(options, on_progress, &counts), error);
    CHECK_OK(pex_build_options_set_source_date_epoch(options, 1700000000), error);

    pex_build_report *report = NULL;
    CHECK_OK(pex_build(options, path("app.pex"), &report, error), error);
    CHECK(pex_build_report_size(report) > 0, "an empty PEX");
    CHECK(strstr(pex_build_report_pex_info(report), "\"greet-1.0-py3-none-any.whl\"") != NULL,
          "PEX-INFO lacks greet: %s", pex_build_report_pex_info(report));
    CHECK(pex_build_report_input(report, pex_build_report_input_count(report)) == NULL,
          "an input past the end");
    pex_build_report_free(report);
    CHECK(counts.chose >= 2 && counts.download_started == 2 && counts.download_finished == 2 &&
              counts.bytes > 0,
          "progress: %d choices, %d downloads started, %d finished, %llu bytes", counts.chose,
          counts.download_started, counts.download_finished, (unsigned long long)counts.bytes);
    char command[8192];
    snprintf(command, sizeof command, "%s %s", python, path("app.pex"));
    expect_output(command, "hello from greet, in colors 2.0");
    printf("ok: pex_build (%d progress events)\n", counts.total);

    /* The same build with no report wanted, and again: byte for byte the same file. */
    CHECK_OK(pex_build(options, path("again.pex"), NULL, error), error);
    snprintf(command, sizeof command, "cmp -s %s %s", path("app.pex"), path("again.pex"));
    CHECK(system(command) == 0, "two builds differ");

    char *json = NULL;
    CHECK_OK(pex_resolve(options, &json, error), error);
    CHECK(strstr(json, "{\"file\":\"colors-2.0-py3-none-any.whl\",\"name\":\"colors\",\"version\":\"2.0\"}") != NULL,
          "resolve: %s", json);
    printf("ok: pex_resolve: %s\n", json);
    pex_string_free(json);

    CHECK_OK(pex_lock(options, path("pylock.toml"), false, &json, error), error);
    CHECK(strstr(json, "\"packages\":2") != NULL && strstr(json, "\"written\":true") != NULL,
          "lock: %s", json);
    pex_string_free(json);
    CHECK(exists(path("pylock.toml")), "no pylock.toml");
    printf("ok: pex_lock\n");

    CHECK_OK(pex_download(options, path("wheels"), &json, error), error);
    CHECK(strstr(json, "greet-1.0-py3-none-any.whl") != NULL, "download: %s", json);
    pex_string_free(json);
    printf("ok: pex_download\n");
    pex_build_options_free(options);

    /* From the lock, with the index gone; and from the downloaded wheels, with no index. */
    options = pex_build_options_new();
    CHECK_OK(pex_build_options_set_cache_dir(options, path("cache-2"), error), error);
    CHECK_OK(pex_build_options_add_python(options, python, error), error);
    CHECK_OK(pex_build_options_set_index_url(options, dead_url, error), error);
    CHECK_OK(pex_build_options_set_retries(options, 0), error);
    CHECK_OK(pex_build_options_set_lock_file(options, path("pylock.toml"), error), error);
    CHECK_OK(pex_build_options_set_entry_point(options, "greet:main", error), error);
    CHECK_OK(pex_build(options, path("locked.pex"), NULL, error), error);
    pex_build_options_free(options);
    snprintf(command, sizeof command, "%s %s", python, path("locked.pex"));
    expect_output(command, "hello from greet, in colors 2.0");
    printf("ok: pex_build from a lock\n");

    options = pex_build_options_new();
    CHECK_OK(pex_build_options_set_cache_dir(options, path("cache-3"), error), error);
    CHECK_OK(pex_build_options_add_python(options, python, error), error);
    CHECK_OK(pex_build_options_set_no_index(options, true), error);
    CHECK_OK(pex_build_options_add_find_links(options, path("wheels"), error), error);
    CHECK_OK(pex_build_options_add_requirement(options, "greet", error), error);
    CHECK_OK(pex_build_options_set_script(options, "greet", error), error);
    CHECK_OK(pex_build_options_set_compile(options, false), error);
    CHECK_OK(pex_build(options, path("offline.pex"), NULL, error), error);
    pex_build_options_free(options);
    snprintf(command, sizeof command, "%s %s", python, path("offline.pex"));
    expect_output(command, "hello from greet, in colors 2.0");
    printf("ok: pex_build from find-links, with a console script\n");

    CHECK_OK(pex_inspect(path("offline.pex"), &json, error), error);
    CHECK(strstr(json, "\"script\":\"greet\"") != NULL, "inspect: %s", json);
    pex_string_free(json);
    printf("ok: pex_inspect\n");
    pex_error_free(error);
}

static void install_and_prune(void) {
    pex_error *error = pex_error_new();
    pex_install_options *options = pex_install_options_new();
    CHECK_OK(pex_install_options_set_pex_root(options, path("root"), error), error);
    CHECK_OK(pex_install_options_set_python(options, python, error), error);

    char *json = NULL;
    CHECK_OK(pex_extract(options, path("app.pex"), &json, error), error);
    CHECK(strstr(json, "\"entries\":[\"") != NULL, "extract: %s", json);
    pex_string_free(json);
    printf("ok: pex_extract\n");

    CHECK_OK(pex_verify(options, path("app.pex"), &json, error), error);
    CHECK(strncmp(json, "[\"ok ", 5) == 0, "verify: %s", json);
    pex_string_free(json);
    printf("ok: pex_verify\n");

    CHECK_OK(pex_install_options_set_compile(options, false), error);
    CHECK_OK(pex_venv(options, path("app.pex"), path("venv"), PEX_VENV_SCOPE_ALL, error), error);
    char command[8192];
    snprintf(command, sizeof command, "%s -c 'import greet; greet.main()'", path("venv/bin/python"));
    expect_output(command, "hello from greet, in colors 2.0");
    CHECK_OK(pex_venv(options, path("app.pex"), path("deps"), PEX_VENV_SCOPE_DEPENDENCIES, error),
             error);
    /* The sources go into the venv of the dependencies, as a second container layer would. */
    CHECK_OK(pex_venv(options, path("app.pex"), path("deps"), PEX_VENV_SCOPE_SOURCES, error), error);
    expect_failure("a scope that is none", pex_venv(options, path("app.pex"), path("x"), 7, error),
                   error, PEX_RESULT_INVALID_ARGUMENT, "`scope`");
    printf("ok: pex_venv\n");

    /* A running PEX holds the root shared; prune must not wait past its limit. */
    int held = open(path("root/.access.lck"), O_RDWR | O_CREAT, 0644);
    CHECK(held >= 0 && flock(held, LOCK_SH) == 0, "cannot hold the PEX_ROOT");
    json = NULL;
    pex_result code = pex_prune(options, 0, 0, &json, error);
    expect_failure("pex_prune of a root in use", code, error, PEX_RESULT_LOCK_TIMEOUT, "running");
    CHECK(json == NULL, "the out-parameter was written on failure");
    close(held);
    CHECK_OK(pex_prune(options, 0, 0, &json, error), error);
    CHECK(strstr(json, "\"removed\":[\"") != NULL, "prune: %s", json);
    pex_string_free(json);
    printf("ok: pex_prune\n");
    pex_install_options_free(options);

    pex_build_options *build = index_options();
    CHECK_OK(pex_cache_info(build, &json, error), error);
    CHECK(strstr(json, "\"name\":\"wheels/v1\"") != NULL, "cache info: %s", json);
    pex_string_free(json);
    uint64_t removed = 1;
    CHECK_OK(pex_cache_prune(build, 3600, 0, &removed, error), error);
    CHECK(removed == 0, "a fresh cache lost %llu bytes", (unsigned long long)removed);
    CHECK_OK(pex_cache_prune(build, 0, 0, NULL, error), error);
    printf("ok: pex_cache_info, pex_cache_prune\n");
    pex_build_options_free(build);
    pex_error_free(error);
}

/* Writes `text` into the scratch file `name`. */
static void write_file(const char *name, const char *text) {
    FILE *file = fopen(path(name), "w");
    CHECK(file != NULL, "cannot write %s", name);
    fputs(text, file);
    fclose(file);
}

/* The setters the steps above do not use, each with an effect the result shows. */
static void every_setter(void) {
    pex_error *error = pex_error_new();
    write_file("requirements.txt", "greet\n");
    write_file("constraints.txt", "colors==2.0\n");
    CHECK(mkdir(path("src"), 0755) == 0, "mkdir src");
    write_file("src/hello.py", "import greet\ngreet.main()\n");
    char directory[4096];
    snprintf(directory, sizeof directory, "%s", python);
    *strrchr(directory, '/') = '\0';

    pex_build_options *options = pex_build_options_new();
    /* The same index twice: as the index, and as an extra one (asked as well, agreeing). */
    CHECK_OK(pex_build_options_set_index_url(options, index_url, error), error);
    CHECK_OK(pex_build_options_add_extra_index_url(options, index_url, error), error);
    CHECK_OK(pex_build_options_set_cache_dir(options, path("cache-setters"), error), error);
    CHECK_OK(pex_build_options_set_retries(options, 0), error);
    CHECK_OK(pex_build_options_set_cert(options, cert, error), error);
    CHECK_OK(pex_build_options_set_search_path(options, directory, error), error);
    CHECK_OK(pex_build_options_add_python(options, strrchr(python, '/') + 1, error), error);
    CHECK_OK(pex_build_options_add_interpreter_constraint(options, "CPython>=3.8", error), error);
    CHECK_OK(pex_build_options_add_requirements_file(options, path("requirements.txt"), error), error);
    CHECK_OK(pex_build_options_add_constraints_file(options, path("constraints.txt"), error), error);
    CHECK_OK(pex_build_options_add_wheel(options, path("wheels/colors-2.0-py3-none-any.whl"), error), error);
    CHECK_OK(pex_build_options_add_source_directory(options, path("src"), error), error);
    CHECK_OK(pex_build_options_set_entry_point(options, "hello", error), error);
    CHECK_OK(pex_build_options_set_pre(options, true), error);
    CHECK_OK(pex_build_options_set_no_build(options, true), error);
    CHECK_OK(pex_build_options_set_offline(options, false), error);
    pex_build_report *report = NULL;
    CHECK_OK(pex_build(options, path("setters.pex"), &report, error), error);
    CHECK(pex_build_report_input_count(report) >= 4, "inputs: %zu", pex_build_report_input_count(report));
    CHECK(strstr(pex_build_report_pex_info(report), "\"CPython>=3.8\"") != NULL, "constraint: %s",
          pex_build_report_pex_info(report));
    pex_build_report_free(report);
    pex_build_options_free(options);
    char command[8192];
    snprintf(command, sizeof command, "%s %s", python, path("setters.pex"));
    expect_output(command, "hello from greet, in colors 2.0");

    /* Targets without an interpreter: a platform and a complete platform. */
    options = pex_build_options_new();
    CHECK_OK(pex_build_options_set_index_url(options, index_url, error), error);
    CHECK_OK(pex_build_options_set_cache_dir(options, path("cache-setters"), error), error);
    CHECK_OK(pex_build_options_add_platform(options, "manylinux2014_x86_64-cp-311-cp311", error), error);
    CHECK_OK(pex_build_options_add_complete_platform(options, complete_platform, error), error);
    CHECK_OK(pex_build_options_add_requirement(options, "greet", error), error);
    char *json = NULL;
    CHECK_OK(pex_resolve(options, &json, error), error);
    CHECK(strstr(json, "\"greet\"") != NULL, "resolve for platforms: %s", json);
    pex_string_free(json);
    CHECK_OK(pex_resolve(options, NULL, error), error); /* every out-parameter may be NULL */
    pex_build_options_free(options);

    pex_install_options *install = pex_install_options_new();
    CHECK_OK(pex_install_options_set_pex_root(install, path("root-setters"), error), error);
    CHECK_OK(pex_install_options_set_search_path(install, directory, error), error);
    CHECK_OK(pex_install_options_set_python(install, strrchr(python, '/') + 1, error), error);
    CHECK_OK(pex_install_options_set_cache_dir(install, path("cache-setters"), error), error);
    CHECK_OK(pex_extract(install, path("setters.pex"), NULL, error), error);
    pex_install_options_free(install);
    printf("ok: every setter\n");
    pex_error_free(error);
}

/* Every pex_result, each produced through the ABI (PEX_RESULT_PANIC excepted: no input makes
 * pex-rs panic on purpose; the panic boundary has its own unit test). LOCK_TIMEOUT is above. */
static void every_failure(void) {
    pex_error *error = pex_error_new();
    char *json = NULL;
    pex_build_report *report = NULL;

    expect_failure("NULL options", pex_build(NULL, path("x.pex"), &report, error), error,
                   PEX_RESULT_NULL_PARAMETER, "`options`");
    expect_failure("NULL options and a bad value",
                   pex_build_options_add_requirement(NULL, "gr\xff", error), error,
                   PEX_RESULT_NULL_PARAMETER, "`options`");
    CHECK(pex_build_options_set_offline(NULL, true) == PEX_RESULT_NULL_PARAMETER, "a NULL handle");
    CHECK(pex_error_message(NULL) == NULL && pex_error_code(NULL) == PEX_RESULT_NULL_PARAMETER,
          "a NULL error object");

    pex_build_options *options = index_options();
    expect_failure("non-UTF-8", pex_build_options_add_requirement(options, "gr\xff" "eet", error),
                   error, PEX_RESULT_INVALID_UTF8, "not valid UTF-8");
    expect_failure("an entry point that is not one",
                   pex_build_options_set_entry_point(options, "not an entry point", error), error,
                   PEX_RESULT_INVALID_ARGUMENT, "not an entry point");
    expect_failure("nothing to build", pex_build(options, path("x.pex"), &report, error), error,
                   PEX_RESULT_INVALID_ARGUMENT, "nothing to build");
    CHECK(strstr(pex_error_hints(error), "(`requirements`)\n") != NULL, "hints: %s",
          pex_error_hints(error));
    CHECK(report == NULL && !exists(path("x.pex")), "a failed build left output");

    pex_cancel *cancel = pex_cancel_new();
    pex_cancel *never_raised = pex_cancel_new();
    CHECK_OK(pex_build_options_add_cancel(options, never_raised), error);
    pex_cancel_free(never_raised);
    CHECK_OK(pex_build_options_add_cancel(options, cancel), error);
    CHECK_OK(pex_cancel_request(cancel), error);
    pex_cancel_free(cancel); /* the options keep the flag */
    CHECK_OK(pex_build_options_add_requirement(options, "greet", error), error);
    expect_failure("cancelled before it started", pex_build(options, path("x.pex"), &report, error),
                   error, PEX_RESULT_CANCELLED, "cancelled");
    pex_build_options_free(options);

    options = index_options();
    CHECK_OK(pex_build_options_add_requirement(options, "greet", error), error);
    struct counts counts = {0};
    counts.cancel_on_first_choice = pex_cancel_new();
    CHECK_OK(pex_build_options_add_cancel(options, counts.cancel_on_first_choice), error);
    CHECK_OK(pex_build_options_set_progress(options, on_progress, &counts), error);
    CHECK_OK(pex_build_options_set_cache_dir(options, path("cache-cancel"), error), error);
    expect_failure("cancelled by the progress callback",
                   pex_build(options, path("x.pex"), &report, error), error, PEX_RESULT_CANCELLED,
                   "cancelled");
    CHECK(counts.chose == 1 && counts.download_started == 0, "went on after the cancel: %d, %d",
          counts.chose, counts.download_started);
    CHECK(!exists(path("x.pex")), "a cancelled build left output");
    pex_cancel_free(counts.cancel_on_first_choice);
    pex_build_options_free(options);

    options = index_options();
    CHECK_OK(pex_build_options_add_requirement(options, "greet", error), error);
    expect_failure("output under a file",
                   pex_build(options, path("app.pex/under-a-file.pex"), &report, error), error,
                   PEX_RESULT_IO, "app.pex/under-a-file.pex");
    pex_build_options_free(options);

    options = index_options();
    CHECK_OK(pex_build_options_set_index_url(options, dead_url, error), error);
    CHECK_OK(pex_build_options_add_requirement(options, "greet", error), error);
    expect_failure("an index nobody serves", pex_resolve(options, &json, error), error,
                   PEX_RESULT_NETWORK, dead_url);
    pex_build_options_free(options);

    options = index_options();
    CHECK_OK(pex_build_options_add_python(options, "/nonexistent/python3", error), error);
    CHECK_OK(pex_build_options_add_requirement(options, "greet", error), error);
    expect_failure("a missing interpreter", pex_resolve(options, &json, error), error,
                   PEX_RESULT_INTERPRETER, "/nonexistent/python3");
    pex_build_options_free(options);

    options = index_options();
    CHECK_OK(pex_build_options_add_requirement(options, "greet>5", error), error);
    expect_failure("an unsatisfiable requirement", pex_resolve(options, &json, error), error,
                   PEX_RESULT_RESOLUTION_FAILED, "greet");
    pex_build_options_free(options);

    options = index_options();
    CHECK_OK(pex_build_options_add_requirement(options, "liar", error), error);
    expect_failure("a file that is not what the index says",
                   pex_build(options, path("x.pex"), &report, error), error,
                   PEX_RESULT_HASH_MISMATCH, "liar-1.0");
    pex_build_options_free(options);

    FILE *not_a_pex = fopen(path("not-a.pex"), "w");
    fputs("print('not a zip')\n", not_a_pex);
    fclose(not_a_pex);
    expect_failure("not a PEX", pex_inspect(path("not-a.pex"), &json, error), error,
                   PEX_RESULT_INVALID_ARCHIVE, "not-a.pex");
    expect_failure("no such file", pex_inspect(path("missing.pex"), &json, error), error,
                   PEX_RESULT_INVALID_ARGUMENT, "missing.pex");
    CHECK(json == NULL, "an out-parameter was written on failure");
    /* Without an error object, only the code comes back. */
    CHECK(pex_inspect(path("missing.pex"), &json, NULL) == PEX_RESULT_INVALID_ARGUMENT, "no error");
    pex_error_free(error);
}

/* Two builds at once on two threads, each with its own options, cache and error object. */
static void *build_on_a_thread(void *argument) {
    const char *name = argument;
    char cache[4096], output[4096];
    snprintf(cache, sizeof cache, "%s/cache-%s", scratch, name);
    snprintf(output, sizeof output, "%s/%s.pex", scratch, name);
    pex_error *error = pex_error_new();
    pex_build_options *options = pex_build_options_new();
    CHECK_OK(pex_build_options_set_index_url(options, index_url, error), error);
    CHECK_OK(pex_build_options_set_cache_dir(options, cache, error), error);
    CHECK_OK(pex_build_options_add_python(options, python, error), error);
    CHECK_OK(pex_build_options_add_requirement(options, "greet", error), error);
    CHECK_OK(pex_build_options_set_entry_point(options, "greet:main", error), error);
    CHECK_OK(pex_build(options, output, NULL, error), error);
    pex_build_options_free(options);
    pex_error_free(error);
    return NULL;
}

/* A build with options another thread shares, writing the output its argument names. */
static pex_build_options *shared;

static void *build_with_shared_options(void *argument) {
    pex_error *error = pex_error_new();
    CHECK_OK(pex_build(shared, path(argument), NULL, error), error);
    pex_error_free(error);
    return NULL;
}

static void two_threads(void) {
    pthread_t first, second;
    CHECK(pthread_create(&first, NULL, build_on_a_thread, "thread-1") == 0, "pthread_create");
    CHECK(pthread_create(&second, NULL, build_on_a_thread, "thread-2") == 0, "pthread_create");
    pthread_join(first, NULL);
    pthread_join(second, NULL);

    shared = index_options();
    CHECK_OK(pex_build_options_add_requirement(shared, "greet", NULL), NULL);
    CHECK_OK(pex_build_options_set_entry_point(shared, "greet:main", NULL), NULL);
    CHECK(pthread_create(&first, NULL, build_with_shared_options, "shared-1.pex") == 0, "pthread_create");
    CHECK(pthread_create(&second, NULL, build_with_shared_options, "shared-2.pex") == 0, "pthread_create");
    /* A setter while both run: it waits for neither, and changes only later operations. */
    CHECK_OK(pex_build_options_set_compile(shared, false), NULL);
    pthread_join(first, NULL);
    pthread_join(second, NULL);
    pex_build_options_free(shared);
    char command[8192];
    snprintf(command, sizeof command, "%s %s && cmp -s %s %s", python, path("thread-1.pex"),
             path("thread-1.pex"), path("thread-2.pex"));
    expect_output(command, "hello from greet, in colors 2.0");
    printf("ok: two builds on two threads\n");
}

int main(void) {
    scratch = environment("PEX_TEST_DIR");
    index_url = environment("PEX_TEST_INDEX");
    dead_url = environment("PEX_TEST_DEAD");
    python = environment("PEX_TEST_PYTHON");
    cert = environment("PEX_TEST_CERT");
    complete_platform = environment("PEX_TEST_COMPLETE_PLATFORM");
    CHECK(strcmp(pex_version(), PEX_VERSION) == 0, "library %s, header %s", pex_version(),
          PEX_VERSION);
    build_resolve_lock_download();
    install_and_prune();
    every_setter();
    every_failure();
    two_threads();
    printf("%d checks\n", checks);
    return 0;
}
