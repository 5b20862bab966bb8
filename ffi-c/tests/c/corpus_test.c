/* Runs the shared case corpus and the adversarial cases (the JSON files of core/tests/data,
 * converted to lines by tests/corpus_to_text.py) through the C ABI: each configuration is
 * compiled from its XML (with strict origins where the case says), each request evaluated
 * with corsmatch_preflight or corsmatch_actual, and the decision compared with the case:
 * status, headers (exact list or per name), error code, message, Method and ResourceType in
 * the body, the rule, and no Access-Control-* header without one. A refused preflight must
 * name its error (but for the ceph/s3-tests vectors, which recorded no body). A configuration
 * the case expects refused must be refused with its code. A request value with CR, LF or NUL
 * must be refused with CORSMATCH_INVALID_HEADER_VALUE by every entry point.
 *
 * usage: corpus_test CORPUS.txt */
#define _POSIX_C_SOURCE 200809L

#include "testutil.h"

#define MAX_TOKENS 40

typedef struct {
    char *data; /* NULL when absent; otherwise NUL-terminated (length below) */
    size_t len;
    bool unchecked; /* the token "x": any value */
} field;

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Percent-decodes the n bytes at p into out; returns the decoded length. */
static size_t unquote(const char *p, size_t n, char *out) {
    size_t len = 0;
    for (const char *end = p + n; p < end;) {
        if (*p == '%' && p + 2 < end && hexval(p[1]) >= 0 && hexval(p[2]) >= 0) {
            out[len++] = (char)(hexval(p[1]) * 16 + hexval(p[2]));
            p += 3;
        } else {
            out[len++] = *p++;
        }
    }
    return len;
}

static void bad_token(const char *tok) {
    fprintf(stderr, "corpus: bad token %.80s\n", tok);
    exit(2);
}

/* Decodes a token: "n" is absent, "x" not checked, "s..." a percent-encoded string,
 * "g<times>:<prefix>:<repeat>:<suffix>" a generated one. */
static field decode(const char *tok) {
    field f = {NULL, 0, false};
    if (strcmp(tok, "n") == 0) {
        return f;
    }
    if (strcmp(tok, "x") == 0) {
        f.unchecked = true;
        return f;
    }
    if (tok[0] == 'g') {
        char *rest = NULL;
        unsigned long long times = strtoull(tok + 1, &rest, 10);
        const char *prefix = rest, *repeat = prefix ? strchr(prefix + 1, ':') : NULL;
        const char *suffix = repeat ? strchr(repeat + 1, ':') : NULL;
        if (rest == tok + 1 || *prefix != ':' || repeat == NULL || suffix == NULL || times > (1u << 24)) {
            bad_token(tok);
        }
        prefix++, repeat++, suffix++;
        size_t plen = (size_t)(repeat - 1 - prefix), rlen = (size_t)(suffix - 1 - repeat), slen = strlen(suffix);
        char *part = malloc(rlen + 1);
        if (part == NULL) abort();
        rlen = unquote(repeat, rlen, part);
        f.data = malloc(plen + rlen * times + slen + 1);
        if (f.data == NULL) abort();
        f.len = unquote(prefix, plen, f.data);
        for (unsigned long long i = 0; i < times; i++) {
            memcpy(f.data + f.len, part, rlen);
            f.len += rlen;
        }
        f.len += unquote(suffix, slen, f.data + f.len);
        f.data[f.len] = '\0';
        free(part);
        return f;
    }
    if (tok[0] != 's') {
        bad_token(tok);
    }
    tok++;
    f.data = malloc(strlen(tok) + 1);
    if (f.data == NULL) abort();
    f.len = unquote(tok, strlen(tok), f.data);
    f.data[f.len] = '\0';
    return f;
}

/* Whether a request value holds CR, LF or NUL. */
static bool splits_headers(const field *f) {
    return f->data != NULL && (memchr(f->data, '\r', f->len) || memchr(f->data, '\n', f->len) ||
                               memchr(f->data, '\0', f->len));
}

static void field_free(field *f) {
    free(f->data);
    f->data = NULL;
    f->len = 0;
}

/* Splits a line in place on single spaces. */
static int split(char *line, char **toks) {
    int n = 0;
    char *save = NULL;
    for (char *t = strtok_r(line, " \n", &save); t && n < MAX_TOKENS; t = strtok_r(NULL, " \n", &save)) {
        toks[n++] = t;
    }
    return n;
}

typedef struct {
    field name, value;
} pair;

typedef struct {
    field id;
    corsmatch_profile profile;
    bool strict;
    field config;
    field config_error; /* the code, when the configuration must be refused */
    field method, origin, acrm, acrh;
    corsmatch_target target;
    int status; /* -1: not checked */
    pair headers[16];
    int header_count;
    pair exact[8];
    int exact_count; /* -1: not checked */
    int error_state; /* 0: none named, 1: must not be refused, 2: refused as below */
    field err_code, err_message, err_method, err_resource_type;
    bool unrecorded; /* a ceph/s3-tests vector: refused without a recorded error */
    int rule_state; /* 0: not checked, 1: checked */
    long long rule;  /* -1: none */
    bool bare;       /* no Access-Control-* header may be sent */
} test_case;

static void case_free(test_case *c) {
    field_free(&c->id);
    field_free(&c->config);
    field_free(&c->config_error);
    field_free(&c->method);
    field_free(&c->origin);
    field_free(&c->acrm);
    field_free(&c->acrh);
    for (int i = 0; i < c->header_count; i++) {
        field_free(&c->headers[i].name);
        field_free(&c->headers[i].value);
    }
    for (int i = 0; i < c->exact_count; i++) {
        field_free(&c->exact[i].name);
        field_free(&c->exact[i].value);
    }
    field_free(&c->err_code);
    field_free(&c->err_message);
    field_free(&c->err_method);
    field_free(&c->err_resource_type);
}

/* Compares an expected optional string with an element of the error body. */
static void check_element(const test_case *c, corsmatch_str body, const char *name, const field *want) {
    if (want->unchecked) {
        return;
    }
    char *have = xml_element(body, name);
    if (want->data == NULL) {
        CHECK(have == NULL, "%s: body <%s> should be absent, is %s", c->id.data, name, have ? have : "");
    } else {
        CHECK(have != NULL && strlen(have) == want->len && memcmp(have, want->data, want->len) == 0,
              "%s: body <%s>: want %s, got %s", c->id.data, name, want->data, have ? have : "(absent)");
    }
    free(have);
}

/* A request with CR, LF or NUL in a value: every entry point refuses it, writing nothing. */
static void check_refused_request(const test_case *c, const corsmatch_ruleset *rules, corsmatch_scratch *scratch,
                                  bool preflight) {
    corsmatch_decision d;
    corsmatch_decision untouched;
    memset(&d, 0xA5, sizeof d);
    memcpy(&untouched, &d, sizeof d);
    corsmatch_result r;
    if (preflight) {
        r = corsmatch_preflight(rules, scratch, c->origin.data, c->origin.len, c->acrm.data, c->acrm.len,
                                c->acrh.data, c->acrh.len, c->target, NULL, 0, NULL, 0, &d);
    } else {
        r = corsmatch_actual(rules, scratch, c->method.data, c->method.len, c->origin.data, c->origin.len,
                             c->acrm.data, c->acrm.len, c->acrh.data, c->acrh.len, c->target, &d);
    }
    CHECK(r == CORSMATCH_INVALID_HEADER_VALUE, "%s: a value with CR, LF or NUL: got result %u", c->id.data, r);
    CHECK(memcmp(&d, &untouched, sizeof d) == 0, "%s: the decision was written", c->id.data);
    size_t len = 0;
    r = corsmatch_explain(rules, c->method.data, c->method.len, c->origin.data, c->origin.len, c->acrm.data,
                          c->acrm.len, c->acrh.data, c->acrh.len, c->target, NULL, 0, &len);
    CHECK(r == CORSMATCH_INVALID_HEADER_VALUE, "%s: explain of a value with CR, LF or NUL: got result %u", c->id.data,
          r);
}

static void run_case(const test_case *c, corsmatch_scratch *scratch) {
    const corsmatch_ruleset *rules = NULL;
    const corsmatch_error *error = NULL;
    corsmatch_result r;
    corsmatch_options options;
    if (corsmatch_options_default(c->profile, &options) != CORSMATCH_OK) {
        CHECK(false, "%s: no default options", c->id.data);
        return;
    }
    options.strict_origins = c->strict;
    if (c->config.data == NULL) {
        r = corsmatch_ruleset_no_config(c->profile, &rules);
    } else {
        r = corsmatch_ruleset_new(c->config.data, c->config.len, c->profile, c->strict ? &options : NULL, &rules,
                                  &error);
    }
    if (c->config_error.data != NULL) {
        CHECK(r == CORSMATCH_CONFIG_ERROR, "%s: the configuration was accepted (result %u), want %s", c->id.data, r,
              c->config_error.data);
        if (r == CORSMATCH_CONFIG_ERROR) {
            corsmatch_str code = corsmatch_error_code(error);
            CHECK(str_eq_n(code, c->config_error.data, c->config_error.len) && corsmatch_error_status(error) == 400,
                  "%s: want 400 %s, got %u %.*s", c->id.data, c->config_error.data, corsmatch_error_status(error),
                  (int)code.len, code.data);
        }
        corsmatch_error_free(error);
        corsmatch_ruleset_free(rules);
        return;
    }
    if (r != CORSMATCH_OK) {
        corsmatch_str detail = corsmatch_error_detail(error);
        CHECK(false, "%s: compiling the configuration failed: %.*s", c->id.data, (int)detail.len, detail.data);
        corsmatch_error_free(error);
        return;
    }
    corsmatch_decision d;
    bool preflight = c->method.len == 7 && memcmp(c->method.data, "OPTIONS", 7) == 0;
    if (splits_headers(&c->method) || splits_headers(&c->origin) || splits_headers(&c->acrm) ||
        splits_headers(&c->acrh)) {
        check_refused_request(c, rules, scratch, preflight);
        corsmatch_ruleset_free(rules);
        return;
    }
    if (preflight) {
        r = corsmatch_preflight(rules, scratch, c->origin.data, c->origin.len, c->acrm.data, c->acrm.len,
                                c->acrh.data, c->acrh.len, c->target, NULL, 0, NULL, 0, &d);
    } else {
        r = corsmatch_actual(rules, scratch, c->method.data, c->method.len, c->origin.data, c->origin.len,
                             c->acrm.data, c->acrm.len, c->acrh.data, c->acrh.len, c->target, &d);
    }
    CHECK_RESULT(r, CORSMATCH_OK);
    if (r != CORSMATCH_OK) {
        corsmatch_ruleset_free(rules);
        return;
    }
    CHECK(d.header_count <= CORSMATCH_MAX_HEADERS, "%s: %zu headers", c->id.data, d.header_count);
    if (preflight) {
        if (c->status >= 0) {
            CHECK(d.status == c->status, "%s: status: want %d, got %u", c->id.data, c->status, d.status);
        }
    } else {
        CHECK(d.status == 0 && !d.refused, "%s: an actual request got status %u", c->id.data, d.status);
    }
    for (int i = 0; i < c->header_count; i++) {
        const pair *h = &c->headers[i];
        const corsmatch_str *have = find_header(&d, h->name.data, h->name.len);
        if (h->value.data == NULL) {
            CHECK(have == NULL, "%s: %s: want absent, got %.*s", c->id.data, h->name.data, have ? (int)have->len : 0,
                  have ? have->data : "");
        } else {
            CHECK(have != NULL && str_eq_n(*have, h->value.data, h->value.len), "%s: %s: want %s, got %.*s",
                  c->id.data, h->name.data, h->value.data, have ? (int)have->len : 9, have ? have->data : "(absent)");
        }
    }
    if (c->exact_count >= 0) {
        bool same = d.header_count == (size_t)c->exact_count;
        for (int i = 0; same && i < c->exact_count; i++) {
            same = str_eq_n(d.headers[i].name, c->exact[i].name.data, c->exact[i].name.len) &&
                   str_eq_n(d.headers[i].value, c->exact[i].value.data, c->exact[i].value.len);
        }
        CHECK(same, "%s: headers differ from the exact list (want %d, got %zu)", c->id.data, c->exact_count,
              d.header_count);
        if (!same) {
            for (size_t i = 0; i < d.header_count; i++) {
                fprintf(stderr, "  got %.*s: %.*s\n", (int)d.headers[i].name.len, d.headers[i].name.data,
                        (int)d.headers[i].value.len, d.headers[i].value.data);
            }
        }
    }
    if (c->error_state == 0 && !c->unrecorded) {
        /* A refused case states its error, so that none is taken on trust. */
        CHECK(!(preflight && c->status >= 400), "%s: a refused case must name its error", c->id.data);
        CHECK(!d.refused, "%s: refused with %.*s, but the case names no error", c->id.data, (int)d.error_code.len,
              d.error_code.data);
    } else if (c->error_state == 1) {
        CHECK(!d.refused, "%s: want no error, got %.*s", c->id.data, (int)d.error_code.len, d.error_code.data);
    } else if (c->error_state == 2) {
        CHECK(d.refused && d.refusal != CORSMATCH_REFUSAL_NONE, "%s: want an error, got none", c->id.data);
        if (d.refused) {
            CHECK(str_eq_n(d.error_code, c->err_code.data, c->err_code.len), "%s: code: want %s, got %.*s",
                  c->id.data, c->err_code.data, (int)d.error_code.len, d.error_code.data);
            CHECK(c->err_message.unchecked || str_eq_n(d.error_message, c->err_message.data, c->err_message.len),
                  "%s: message: want %s, got %.*s", c->id.data, c->err_message.data, (int)d.error_message.len,
                  d.error_message.data);
            check_element(c, d.error_body, "Code", &c->err_code);
            check_element(c, d.error_body, "Message", &c->err_message);
            check_element(c, d.error_body, "Method", &c->err_method);
            check_element(c, d.error_body, "ResourceType", &c->err_resource_type);
        }
    }
    if (!d.refused) {
        CHECK(d.refusal == CORSMATCH_REFUSAL_NONE && d.error_code.len == 0 && d.error_body.len == 0,
              "%s: error fields set on an answer that is not refused", c->id.data);
    }
    if (c->rule_state) {
        CHECK(d.rule == c->rule, "%s: rule: want %lld, got %lld", c->id.data, c->rule, (long long)d.rule);
    }
    if (c->bare) {
        for (size_t i = 0; i < d.header_count && i < CORSMATCH_MAX_HEADERS; i++) {
            corsmatch_str n = d.headers[i].name;
            CHECK(n.len < 15 || memcmp(n.data, "Access-Control-", 15) != 0, "%s: %.*s sent without a matching rule",
                  c->id.data, (int)n.len, n.data);
        }
    }
    corsmatch_ruleset_free(rules);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: corpus_test CORPUS.txt\n");
        return 2;
    }
    FILE *f = fopen(argv[1], "r");
    if (f == NULL) {
        perror(argv[1]);
        return 2;
    }
    corsmatch_scratch *scratch = NULL;
    if (corsmatch_scratch_new(&scratch) != CORSMATCH_OK) {
        return 2;
    }
    char *line = NULL;
    size_t cap = 0;
    test_case c;
    memset(&c, 0, sizeof c);
    int cases = 0;
    int adversarial = 0;
    while (getline(&line, &cap, f) > 0) {
        char *toks[MAX_TOKENS];
        int n = split(line, toks);
        if (n == 0) continue;
        const char *key = toks[0];
        if (strcmp(key, "case") == 0 && n == 2) {
            memset(&c, 0, sizeof c);
            c.id = decode(toks[1]);
            c.status = -1;
            c.exact_count = -1;
        } else if (strcmp(key, "profile") == 0 && n == 2) {
            c.profile = strcmp(toks[1], "s3") == 0 ? CORSMATCH_PROFILE_S3 : CORSMATCH_PROFILE_OSS;
        } else if (strcmp(key, "strict") == 0 && n == 2) {
            c.strict = strcmp(toks[1], "1") == 0;
        } else if (strcmp(key, "config") == 0 && n == 2) {
            c.config = decode(toks[1]);
        } else if (strcmp(key, "config_error") == 0 && n == 2) {
            c.config_error = decode(toks[1]);
        } else if (strcmp(key, "unrecorded") == 0 && n == 1) {
            c.unrecorded = true;
        } else if (strcmp(key, "bare") == 0 && n == 1) {
            c.bare = true;
        } else if (strcmp(key, "request") == 0 && n == 6) {
            c.method = decode(toks[1]);
            c.origin = decode(toks[2]);
            c.acrm = decode(toks[3]);
            c.acrh = decode(toks[4]);
            c.target = (corsmatch_target)atoi(toks[5]);
        } else if (strcmp(key, "status") == 0 && n == 2) {
            c.status = atoi(toks[1]);
        } else if (strcmp(key, "header") == 0 && n == 3 && c.header_count < 16) {
            c.headers[c.header_count].name = decode(toks[1]);
            c.headers[c.header_count].value = decode(toks[2]);
            c.header_count++;
        } else if (strcmp(key, "exact") == 0 && n >= 2 && atoi(toks[1]) <= 8 && n == 2 + 2 * atoi(toks[1])) {
            c.exact_count = atoi(toks[1]);
            for (int i = 0; i < c.exact_count; i++) {
                c.exact[i].name = decode(toks[2 + 2 * i]);
                c.exact[i].value = decode(toks[3 + 2 * i]);
            }
        } else if (strcmp(key, "error") == 0 && n == 2 && strcmp(toks[1], "n") == 0) {
            c.error_state = 1;
        } else if (strcmp(key, "error") == 0 && n == 5) {
            c.error_state = 2;
            c.err_code = decode(toks[1]);
            c.err_message = decode(toks[2]);
            c.err_method = decode(toks[3]);
            c.err_resource_type = decode(toks[4]);
        } else if (strcmp(key, "rule") == 0 && n == 2) {
            c.rule_state = 1;
            c.rule = strcmp(toks[1], "n") == 0 ? -1 : atoll(toks[1]);
        } else if (strcmp(key, "end") == 0) {
            if (c.method.data == NULL && c.config_error.data == NULL) {
                fprintf(stderr, "corpus: case %s has no request\n", c.id.data ? c.id.data : "?");
                return 2;
            }
            run_case(&c, scratch);
            if (strchr(c.id.data, ':') != NULL) {
                adversarial++;
            } else {
                cases++;
            }
            case_free(&c);
        } else {
            fprintf(stderr, "corpus: unexpected line starting %s (%d tokens)\n", key, n);
            return 2;
        }
    }
    free(line);
    fclose(f);
    corsmatch_scratch_free(scratch);
    printf("corpus_test: %d cases, %d adversarial runs\n", cases, adversarial);
    CHECK(cases >= 100, "only %d cases read: is the corpus complete?", cases);
    CHECK(adversarial >= 300, "only %d adversarial runs read: is adversarial.json there?", adversarial);
    return tu_finish("corpus_test");
}
