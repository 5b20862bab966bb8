/* The per-call cost of the C ABI on a 100-rule workload (ffi-c/bench/workload.py), for the
 * same three requests as examples/evaluate_bench.rs, which times RuleSet::evaluate directly:
 * the difference is the cost of the C boundary (checks, UTF-8 validation, filling the
 * decision). Run both with ffi-c/bench/run.sh.
 *
 * usage: bench WORKLOAD.xml [ITERATIONS [CASE]] */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "corsmatch.h"

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

typedef struct {
    const char *name;
    const char *method; /* NULL: preflight */
    const char *origin, *acrm, *acrh;
    unsigned expect_status;
    long long expect_rule;
    size_t method_len, origin_len, acrm_len, acrh_len; /* measured once, outside the loop */
} request;

static request REQUESTS[] = {
    {"preflight-match", NULL, "https://upload.tenant99.example.net", "PUT", "content-type, x-amz-date", 200, 99, 0, 0, 0, 0},
    {"preflight-denied", NULL, "https://evil.example.org", "PUT", NULL, 403, -1, 0, 0, 0, 0},
    {"actual-match", "GET", "https://app50.example1.com", NULL, NULL, 0, 50, 0, 0, 0, 0},
};

static size_t len_or_0(const char *s) { return s ? strlen(s) : 0; }

static corsmatch_result run(const corsmatch_ruleset *rules, corsmatch_scratch *scratch, const request *r,
                            corsmatch_decision *d) {
    if (r->method == NULL) {
        return corsmatch_preflight(rules, scratch, r->origin, r->origin_len, r->acrm, r->acrm_len, r->acrh,
                                   r->acrh_len, CORSMATCH_TARGET_OBJECT, NULL, 0, NULL, 0, d);
    }
    return corsmatch_actual(rules, scratch, r->method, r->method_len, r->origin, r->origin_len, r->acrm, r->acrm_len,
                            r->acrh, r->acrh_len, CORSMATCH_TARGET_OBJECT, d);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: bench WORKLOAD.xml [ITERATIONS [CASE]]\n");
        return 2;
    }
    long iterations = argc > 2 ? atol(argv[2]) : 2000000;
    const char *only = argc > 3 ? argv[3] : NULL;
    FILE *f = fopen(argv[1], "rb");
    if (f == NULL) {
        perror(argv[1]);
        return 2;
    }
    static char xml[1 << 20];
    size_t xml_len = fread(xml, 1, sizeof xml, f);
    fclose(f);

    const corsmatch_ruleset *rules = NULL;
    corsmatch_options opts;
    corsmatch_options_default(CORSMATCH_PROFILE_S3, &opts);
    if (corsmatch_ruleset_new(xml, xml_len, CORSMATCH_PROFILE_S3, &opts, &rules, NULL) != CORSMATCH_OK) {
        fprintf(stderr, "the workload does not compile\n");
        return 2;
    }
    corsmatch_scratch *scratch = NULL;
    corsmatch_scratch_new(&scratch);
    printf("rules: %zu, iterations: %ld, best of 5 rounds\n", corsmatch_ruleset_rule_count(rules), iterations);
    int failed = 0;
    for (size_t k = 0; k < sizeof REQUESTS / sizeof REQUESTS[0]; k++) {
        request *r = &REQUESTS[k];
        if (only != NULL && strcmp(only, r->name) != 0) continue;
        r->method_len = len_or_0(r->method);
        r->origin_len = len_or_0(r->origin);
        r->acrm_len = len_or_0(r->acrm);
        r->acrh_len = len_or_0(r->acrh);
        corsmatch_decision d;
        if (run(rules, scratch, r, &d) != CORSMATCH_OK || d.status != r->expect_status || d.rule != r->expect_rule) {
            fprintf(stderr, "%s: unexpected answer (status %u, rule %lld)\n", r->name, d.status, (long long)d.rule);
            failed = 1;
            continue;
        }
        double best = 1e300;
        volatile size_t sink = 0;
        for (int round = 0; round < 5; round++) {
            double start = now_ns();
            for (long i = 0; i < iterations; i++) {
                run(rules, scratch, r, &d);
                sink += d.header_count + d.status;
            }
            double per = (now_ns() - start) / (double)iterations;
            if (per < best) best = per;
        }
        printf("c-abi %-18s %8.1f ns/call\n", r->name, best);
    }
    corsmatch_scratch_free(scratch);
    corsmatch_ruleset_free(rules);
    return failed;
}
