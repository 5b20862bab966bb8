/* One compiled rule set evaluated from 8 threads at once, each with its own scratch. Every
 * request carries something unique to its thread and iteration (the Origin, the requested
 * headers, the request id), and every answer is checked against it, so an answer that leaked
 * from another thread, or a scratch shared by mistake, would fail. */
#include <pthread.h>

#include "testutil.h"

#define THREADS 8
#define ITERATIONS 2000

static const char CONFIG[] =
    "<CORSConfiguration>"
    "<CORSRule>"
    "<AllowedOrigin>https://www.example.com</AllowedOrigin>"
    "<AllowedOrigin>https://*.example.com</AllowedOrigin>"
    "<AllowedMethod>GET</AllowedMethod><AllowedMethod>PUT</AllowedMethod>"
    "<AllowedHeader>content-type</AllowedHeader><AllowedHeader>x-oss-*</AllowedHeader>"
    "<ExposeHeader>ETag</ExposeHeader>"
    "<MaxAgeSeconds>600</MaxAgeSeconds>"
    "</CORSRule>"
    "<CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule>"
    "<ResponseVary>true</ResponseVary>"
    "</CORSConfiguration>";

typedef struct {
    const corsmatch_ruleset *rules;
    int id;
    int failures;
    int checks;
} worker;

#define WCHECK(w, cond, ...)                                                        \
    do {                                                                            \
        (w)->checks++;                                                              \
        if (!(cond)) {                                                              \
            if ((w)->failures++ < 5) {                                              \
                fprintf(stderr, "thread %d: %s failed: ", (w)->id, #cond);          \
                fprintf(stderr, __VA_ARGS__);                                       \
                fputc('\n', stderr);                                                \
            }                                                                       \
        }                                                                           \
    } while (0)

static void *run(void *arg) {
    worker *w = arg;
    corsmatch_scratch *scratch = NULL;
    if (corsmatch_scratch_new(&scratch) != CORSMATCH_OK) {
        w->failures++;
        return NULL;
    }
    char origin[128], acrh[128], want_acrh[128], rid[64], denied[128];
    corsmatch_decision d;
    for (int i = 0; i < ITERATIONS; i++) {
        /* Allowed: a unique subdomain and a unique x-oss- header, in mixed case. */
        int ol = snprintf(origin, sizeof origin, "https://t%d-i%d.example.com", w->id, i);
        int hl = snprintf(acrh, sizeof acrh, "Content-Type, X-OSS-Meta-T%dI%d", w->id, i);
        snprintf(want_acrh, sizeof want_acrh, "content-type, x-oss-meta-t%di%d", w->id, i);
        corsmatch_result r = corsmatch_preflight(w->rules, scratch, origin, (size_t)ol, "PUT", 3, acrh, (size_t)hl,
                                                 CORSMATCH_TARGET_OBJECT, NULL, 0, NULL, 0, &d);
        WCHECK(w, r == CORSMATCH_OK, "result %u", r);
        WCHECK(w, d.status == 200 && d.rule == 0 && d.header_count == 7, "status %u rule %lld headers %zu", d.status,
               (long long)d.rule, d.header_count);
        WCHECK(w, str_eq(d.headers[0].name, "Access-Control-Allow-Origin") && str_eq(d.headers[0].value, origin),
               "Allow-Origin is not %s", origin);
        WCHECK(w, str_eq(d.headers[1].value, "GET, PUT"), "Allow-Methods");
        WCHECK(w, str_eq(d.headers[2].name, "Access-Control-Allow-Headers") && str_eq(d.headers[2].value, want_acrh),
               "Allow-Headers is not %s: %.*s", want_acrh, (int)d.headers[2].value.len, d.headers[2].value.data);
        WCHECK(w, str_eq(d.headers[6].name, "Vary") && str_eq(d.headers[6].value, "Origin"), "Vary");

        /* Denied (DELETE is in no rule), with a unique request id in the body. */
        int rl = snprintf(rid, sizeof rid, "req-%d-%d", w->id, i);
        r = corsmatch_preflight(w->rules, scratch, origin, (size_t)ol, "DELETE", 6, NULL, 0, CORSMATCH_TARGET_OBJECT,
                                rid, (size_t)rl, "host", 4, &d);
        WCHECK(w, r == CORSMATCH_OK && d.status == 403 && d.refused && d.rule == -1, "denied: status %u", d.status);
        int dl = snprintf(denied, sizeof denied, "<RequestId>%s</RequestId><HostId>host</HostId></Error>", rid);
        WCHECK(w, d.error_body.len > (size_t)dl &&
                      memcmp(d.error_body.data + d.error_body.len - (size_t)dl, denied, (size_t)dl) == 0,
               "error body does not end with %s", denied);

        /* An actual GET from anywhere: the `*` rule, no credentials. */
        r = corsmatch_actual(w->rules, scratch, "GET", 3, rid, (size_t)rl, NULL, 0, NULL, 0, CORSMATCH_TARGET_OBJECT,
                             &d);
        WCHECK(w, r == CORSMATCH_OK && d.status == 0 && d.rule == 1, "actual: rule %lld", (long long)d.rule);
        WCHECK(w, d.header_count == 3 && str_eq(d.headers[0].value, "*") && str_eq(d.headers[1].value, "GET"),
               "actual: %zu headers", d.header_count);
    }
    corsmatch_scratch_free(scratch);
    return NULL;
}

int main(void) {
    const corsmatch_ruleset *rules = NULL;
    CHECK_RESULT(corsmatch_ruleset_new(CONFIG, sizeof CONFIG - 1, CORSMATCH_PROFILE_OSS, NULL, &rules, NULL),
                 CORSMATCH_OK);
    if (rules == NULL) {
        return tu_finish("threads_test");
    }
    pthread_t threads[THREADS];
    worker workers[THREADS];
    for (int t = 0; t < THREADS; t++) {
        workers[t] = (worker){rules, t, 0, 0};
        CHECK(pthread_create(&threads[t], NULL, run, &workers[t]) == 0, "pthread_create %d", t);
    }
    for (int t = 0; t < THREADS; t++) {
        pthread_join(threads[t], NULL);
        CHECK(workers[t].failures == 0, "thread %d: %d of %d checks failed", t, workers[t].failures,
              workers[t].checks);
        CHECK(workers[t].checks == ITERATIONS * 10, "thread %d made %d checks", t, workers[t].checks);
    }
    corsmatch_ruleset_free(rules);
    return tu_finish("threads_test");
}
