/* The interner through the C ABI: documents that differ only in formatting share one compiled
 * set, different documents, profiles and options do not; refused documents give the errors
 * corsmatch_ruleset_new gives; NULL arguments get CORSMATCH_NULL_PARAMETER and leave the
 * outputs alone; handles outlive the interner; 8 threads compiling the same documents share
 * them. Runs under AddressSanitizer (leaks included) and UndefinedBehaviorSanitizer. */
#include <pthread.h>
#include <stdint.h>

#include "testutil.h"

#define S(lit) (lit), (sizeof(lit) - 1)

static const char PUBLIC[] =
    "<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin>"
    "<AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>";

static const char PUBLIC_FORMATTED[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<CORSConfiguration>\n"
    "  <!-- anyone may read -->\n"
    "  <CORSRule>\n"
    "    <AllowedOrigin>*</AllowedOrigin>\n"
    "    <AllowedMethod>GET</AllowedMethod>\n"
    "  </CORSRule>\n"
    "</CORSConfiguration>\n";

static const char APP[] =
    "<CORSConfiguration><CORSRule><AllowedOrigin>https://app.example.com</AllowedOrigin>"
    "<AllowedMethod>GET</AllowedMethod><AllowedMethod>PUT</AllowedMethod></CORSRule></CORSConfiguration>";

static const char BAD[] =
    "<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin>"
    "<AllowedMethod>FETCH</AllowedMethod></CORSRule></CORSConfiguration>";

static const corsmatch_ruleset *interned(const corsmatch_interner *in, const char *xml, size_t len,
                                         corsmatch_profile profile, const corsmatch_options *options) {
    const corsmatch_ruleset *rules = NULL;
    corsmatch_result r = corsmatch_interner_compile(in, xml, len, profile, options, &rules, NULL);
    CHECK_RESULT(r, CORSMATCH_OK);
    if (r != CORSMATCH_OK) {
        exit(1);
    }
    return rules;
}

static corsmatch_interner_counts stats_of(const corsmatch_interner *in) {
    corsmatch_interner_counts s;
    memset(&s, 0, sizeof s);
    CHECK_RESULT(corsmatch_interner_stats(in, &s), CORSMATCH_OK);
    return s;
}

static void sharing(void) {
    const corsmatch_interner *in = NULL;
    CHECK_RESULT(corsmatch_interner_new(&in), CORSMATCH_OK);
    const corsmatch_ruleset *a = interned(in, S(PUBLIC), CORSMATCH_PROFILE_S3, NULL);
    const corsmatch_ruleset *b = interned(in, S(PUBLIC_FORMATTED), CORSMATCH_PROFILE_S3, NULL);
    const corsmatch_ruleset *oss = interned(in, S(PUBLIC), CORSMATCH_PROFILE_OSS, NULL);
    const corsmatch_ruleset *app = interned(in, S(APP), CORSMATCH_PROFILE_S3, NULL);
    corsmatch_options options;
    CHECK_RESULT(corsmatch_options_default(CORSMATCH_PROFILE_S3, &options), CORSMATCH_OK);
    options.allow_credentials = false;
    const corsmatch_ruleset *no_credentials = interned(in, S(PUBLIC), CORSMATCH_PROFILE_S3, &options);
    /* Explicit default options are the defaults. */
    CHECK_RESULT(corsmatch_options_default(CORSMATCH_PROFILE_S3, &options), CORSMATCH_OK);
    const corsmatch_ruleset *defaults = interned(in, S(PUBLIC), CORSMATCH_PROFILE_S3, &options);

    CHECK(corsmatch_ruleset_shares_with(a, b), "formatting variants do not share");
    CHECK(corsmatch_ruleset_shares_with(a, defaults), "explicit default options do not share");
    CHECK(!corsmatch_ruleset_shares_with(a, oss), "profiles share");
    CHECK(!corsmatch_ruleset_shares_with(a, app), "documents share");
    CHECK(!corsmatch_ruleset_shares_with(a, no_credentials), "options share");
    CHECK(!corsmatch_ruleset_shares_with(a, NULL) && !corsmatch_ruleset_shares_with(NULL, NULL), "NULL shares");
    CHECK(corsmatch_ruleset_rule_count(b) == 1, "rule count %zu", corsmatch_ruleset_rule_count(b));

    corsmatch_interner_counts s = stats_of(in);
    CHECK(s.hits == 2 && s.misses == 4 && s.sets == 4 && s.entries == 4, "stats %llu %llu %zu %zu",
          (unsigned long long)s.hits, (unsigned long long)s.misses, s.sets, s.entries);

    /* A set is alive while one handle is. */
    corsmatch_ruleset_free(a);
    CHECK(stats_of(in).sets == 4, "freed with a handle left");
    corsmatch_ruleset_free(b);
    corsmatch_ruleset_free(defaults);
    CHECK(stats_of(in).sets == 3, "sets %zu after freeing all handles", stats_of(in).sets);

    /* Handles outlive the interner. */
    corsmatch_interner_free(in);
    CHECK(corsmatch_ruleset_rule_count(app) == 1, "a handle after the interner was freed");
    corsmatch_ruleset_free(oss);
    corsmatch_ruleset_free(app);
    corsmatch_ruleset_free(no_credentials);
}

static void errors_and_nulls(void) {
    const corsmatch_interner *in = NULL;
    CHECK_RESULT(corsmatch_interner_new(&in), CORSMATCH_OK);
    const corsmatch_ruleset *sentinel = (const corsmatch_ruleset *)(uintptr_t)0x1234;
    const corsmatch_ruleset *rules = sentinel;

    /* The same error as corsmatch_ruleset_new. */
    const corsmatch_error *plain = NULL, *error = NULL;
    CHECK_RESULT(corsmatch_ruleset_new(S(BAD), CORSMATCH_PROFILE_OSS, NULL, &rules, &plain), CORSMATCH_CONFIG_ERROR);
    CHECK_RESULT(corsmatch_interner_compile(in, S(BAD), CORSMATCH_PROFILE_OSS, NULL, &rules, &error),
                 CORSMATCH_CONFIG_ERROR);
    CHECK(rules == sentinel, "the rule set output was written on an error");
    CHECK(error != NULL && corsmatch_error_status(error) == corsmatch_error_status(plain), "status");
    corsmatch_str c1 = corsmatch_error_code(plain), c2 = corsmatch_error_code(error);
    corsmatch_str d1 = corsmatch_error_detail(plain), d2 = corsmatch_error_detail(error);
    CHECK(str_eq_n(c2, c1.data, c1.len) && str_eq_n(d2, d1.data, d1.len), "error %.*s / %.*s", (int)d1.len,
          d1.data, (int)d2.len, d2.data);
    corsmatch_error_free(plain);
    corsmatch_error_free(error);
    /* An empty document, (NULL, 0). */
    CHECK_RESULT(corsmatch_interner_compile(in, NULL, 0, CORSMATCH_PROFILE_OSS, NULL, &rules, NULL),
                 CORSMATCH_CONFIG_ERROR);

    CHECK_RESULT(corsmatch_interner_compile(NULL, S(PUBLIC), CORSMATCH_PROFILE_OSS, NULL, &rules, NULL),
                 CORSMATCH_NULL_PARAMETER);
    CHECK_RESULT(corsmatch_interner_compile(in, S(PUBLIC), CORSMATCH_PROFILE_OSS, NULL, NULL, NULL),
                 CORSMATCH_NULL_PARAMETER);
    CHECK_RESULT(corsmatch_interner_compile(in, NULL, 5, CORSMATCH_PROFILE_OSS, NULL, &rules, NULL),
                 CORSMATCH_NULL_PARAMETER);
    CHECK_RESULT(corsmatch_interner_compile(in, S(PUBLIC), 9, NULL, &rules, NULL), CORSMATCH_INVALID_ARGUMENT);
    CHECK_RESULT(corsmatch_interner_compile(in, PUBLIC, (size_t)PTRDIFF_MAX + 1, CORSMATCH_PROFILE_OSS, NULL,
                                            &rules, NULL),
                 CORSMATCH_INPUT_TOO_LARGE);
    CHECK(rules == sentinel, "the rule set output was written on an error");

    corsmatch_interner_counts s;
    memset(&s, 0xab, sizeof s);
    CHECK_RESULT(corsmatch_interner_stats(NULL, &s), CORSMATCH_NULL_PARAMETER);
    CHECK(s.hits == 0xababababababababULL, "stats written on an error");
    CHECK_RESULT(corsmatch_interner_stats(in, NULL), CORSMATCH_NULL_PARAMETER);
    CHECK_RESULT(corsmatch_interner_new(NULL), CORSMATCH_NULL_PARAMETER);
    s = stats_of(in);
    CHECK(s.hits == 0 && s.misses == 0 && s.sets == 0, "errors counted");

    corsmatch_interner_free(in);
    corsmatch_interner_free(NULL);
}

#define THREADS 8
#define PER_THREAD 200

struct job {
    const corsmatch_interner *in;
    const corsmatch_ruleset *sets[PER_THREAD];
};

static void *worker(void *arg) {
    struct job *job = arg;
    for (int i = 0; i < PER_THREAD; i++) {
        const char *xml = (i % 2) ? PUBLIC_FORMATTED : APP;
        size_t len = (i % 2) ? sizeof(PUBLIC_FORMATTED) - 1 : sizeof(APP) - 1;
        if (corsmatch_interner_compile(job->in, xml, len, CORSMATCH_PROFILE_OSS, NULL, &job->sets[i], NULL) !=
            CORSMATCH_OK) {
            job->sets[i] = NULL;
        }
    }
    return NULL;
}

static void threads(void) {
    const corsmatch_interner *in = NULL;
    CHECK_RESULT(corsmatch_interner_new(&in), CORSMATCH_OK);
    static struct job jobs[THREADS];
    pthread_t tids[THREADS];
    for (int t = 0; t < THREADS; t++) {
        jobs[t].in = in;
        CHECK(pthread_create(&tids[t], NULL, worker, &jobs[t]) == 0, "pthread_create");
    }
    for (int t = 0; t < THREADS; t++) {
        pthread_join(tids[t], NULL);
    }
    int unshared = 0;
    for (int t = 0; t < THREADS; t++) {
        for (int i = 0; i < PER_THREAD; i++) {
            if (jobs[t].sets[i] == NULL || !corsmatch_ruleset_shares_with(jobs[t].sets[i], jobs[0].sets[i % 2])) {
                unshared++;
            }
        }
    }
    CHECK(unshared == 0, "%d rule sets not shared", unshared);
    corsmatch_interner_counts s = stats_of(in);
    CHECK(s.misses == 2 && s.hits == THREADS * PER_THREAD - 2 && s.sets == 2, "stats %llu %llu %zu",
          (unsigned long long)s.hits, (unsigned long long)s.misses, s.sets);
    for (int t = 0; t < THREADS; t++) {
        for (int i = 0; i < PER_THREAD; i++) {
            corsmatch_ruleset_free(jobs[t].sets[i]);
        }
    }
    CHECK(stats_of(in).sets == 0, "sets alive after every handle was freed");
    corsmatch_interner_free(in);
}

int main(void) {
    sharing();
    errors_and_nulls();
    threads();
    return tu_finish("intern_test");
}
