/* Bad input through the C ABI: NULL pointers, zero lengths, invalid UTF-8, CR, LF and NUL in
 * request strings (a response-splitting Origin), huge inputs
 * (a 1 MB Origin, a 1 MB Access-Control-Request-Headers of commas, a length no memory can
 * have), buffers too small, free(NULL), malformed and oversized documents, unknown enum
 * values. Each gets its documented result code and leaves the outputs alone; none crashes
 * (this runs under AddressSanitizer and UndefinedBehaviorSanitizer). Also the two buffer
 * functions' answers: explain, and lint (findings and problem count). */
#define _GNU_SOURCE
#include <stdint.h>

#include "testutil.h"

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
    "<CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>HEAD</AllowedMethod></CORSRule>"
    "</CORSConfiguration>";

static const char MALFORMED_MESSAGE[] =
    "The XML you provided was not well-formed or did not validate against our published schema";

#define S(lit) (lit), (sizeof(lit) - 1)
#define ABSENT NULL, 0

static const corsmatch_ruleset *compile(const char *xml, size_t len, const corsmatch_options *options) {
    const corsmatch_ruleset *rules = NULL;
    const corsmatch_error *error = NULL;
    corsmatch_result r = corsmatch_ruleset_new(xml, len, CORSMATCH_PROFILE_OSS, options, &rules, &error);
    CHECK_RESULT(r, CORSMATCH_OK);
    if (r != CORSMATCH_OK) {
        corsmatch_str d = corsmatch_error_detail(error);
        fprintf(stderr, "  %.*s\n", (int)d.len, d.data);
        corsmatch_error_free(error);
        exit(1);
    }
    return rules;
}

/* Compiles a document that must be refused, checks the error, returns it (caller frees). */
static const corsmatch_error *refused(const char *xml, size_t len, const corsmatch_options *options,
                                      const char *code, const char *message) {
    const corsmatch_ruleset *sentinel = (const corsmatch_ruleset *)(uintptr_t)0x1234;
    const corsmatch_ruleset *rules = sentinel;
    const corsmatch_error *error = NULL;
    corsmatch_result r = corsmatch_ruleset_new(xml, len, CORSMATCH_PROFILE_OSS, options, &rules, &error);
    CHECK_RESULT(r, CORSMATCH_CONFIG_ERROR);
    CHECK(rules == sentinel, "the rule set output was written on an error");
    CHECK(error != NULL, "no error handle");
    corsmatch_str c = corsmatch_error_code(error);
    CHECK(str_eq(c, code), "code: want %s, got %.*s", code, (int)c.len, c.data);
    if (message != NULL) {
        corsmatch_str m = corsmatch_error_message(error);
        CHECK(str_eq(m, message), "message: want %s, got %.*s", message, (int)m.len, m.data);
    }
    CHECK(corsmatch_error_status(error) == 400, "status %u", corsmatch_error_status(error));
    CHECK(corsmatch_error_detail(error).len > 0, "empty detail");
    return error;
}

static void test_null_and_free(void) {
    const corsmatch_ruleset *rules = NULL;
    const corsmatch_error *error = NULL;
    corsmatch_scratch *scratch = NULL;
    corsmatch_decision d;

    corsmatch_ruleset_free(NULL);
    corsmatch_scratch_free(NULL);
    corsmatch_error_free(NULL);

    CHECK_RESULT(corsmatch_ruleset_new(S(CONFIG), CORSMATCH_PROFILE_OSS, NULL, NULL, NULL), CORSMATCH_NULL_PARAMETER);
    CHECK_RESULT(corsmatch_ruleset_new(NULL, 10, CORSMATCH_PROFILE_OSS, NULL, &rules, &error),
                 CORSMATCH_NULL_PARAMETER);
    CHECK(rules == NULL && error == NULL, "outputs written on NULL_PARAMETER");
    CHECK_RESULT(corsmatch_ruleset_no_config(CORSMATCH_PROFILE_S3, NULL), CORSMATCH_NULL_PARAMETER);
    CHECK_RESULT(corsmatch_scratch_new(NULL), CORSMATCH_NULL_PARAMETER);
    CHECK_RESULT(corsmatch_options_default(CORSMATCH_PROFILE_OSS, NULL), CORSMATCH_NULL_PARAMETER);

    /* (NULL, 0) as the document: an empty document, which the provider calls malformed. */
    corsmatch_error_free(refused(NULL, 0, NULL, "MalformedXML", MALFORMED_MESSAGE));
    /* A configuration error without an error handle wanted. */
    CHECK_RESULT(corsmatch_ruleset_new(S("<x/>"), CORSMATCH_PROFILE_OSS, NULL, &rules, NULL), CORSMATCH_CONFIG_ERROR);
    CHECK(rules == NULL, "rule set written on CONFIG_ERROR");

    rules = compile(S(CONFIG), NULL);
    CHECK_RESULT(corsmatch_scratch_new(&scratch), CORSMATCH_OK);
    const char *o = "https://www.example.com";
    size_t ol = strlen(o);

    CHECK_RESULT(corsmatch_preflight(NULL, scratch, o, ol, S("GET"), ABSENT, 0, ABSENT, ABSENT, &d),
                 CORSMATCH_NULL_PARAMETER);
    CHECK_RESULT(corsmatch_preflight(rules, NULL, o, ol, S("GET"), ABSENT, 0, ABSENT, ABSENT, &d),
                 CORSMATCH_NULL_PARAMETER);
    CHECK_RESULT(corsmatch_preflight(rules, scratch, o, ol, S("GET"), ABSENT, 0, ABSENT, ABSENT, NULL),
                 CORSMATCH_NULL_PARAMETER);
    CHECK_RESULT(corsmatch_preflight(rules, scratch, NULL, 5, S("GET"), ABSENT, 0, ABSENT, ABSENT, &d),
                 CORSMATCH_NULL_PARAMETER);
    CHECK_RESULT(corsmatch_preflight(rules, scratch, o, ol, NULL, 3, ABSENT, 0, ABSENT, ABSENT, &d),
                 CORSMATCH_NULL_PARAMETER);
    CHECK_RESULT(corsmatch_preflight(rules, scratch, o, ol, S("GET"), NULL, 1, 0, ABSENT, ABSENT, &d),
                 CORSMATCH_NULL_PARAMETER);
    CHECK_RESULT(corsmatch_preflight(rules, scratch, o, ol, S("GET"), ABSENT, 0, NULL, 2, ABSENT, &d),
                 CORSMATCH_NULL_PARAMETER);
    CHECK_RESULT(corsmatch_actual(rules, scratch, NULL, 0, o, ol, ABSENT, ABSENT, 0, &d), CORSMATCH_NULL_PARAMETER);
    CHECK_RESULT(corsmatch_actual(rules, scratch, NULL, 3, o, ol, ABSENT, ABSENT, 0, &d), CORSMATCH_NULL_PARAMETER);
    CHECK_RESULT(corsmatch_actual(NULL, scratch, S("GET"), o, ol, ABSENT, ABSENT, 0, &d), CORSMATCH_NULL_PARAMETER);

    /* Accessors on NULL give empty values. */
    CHECK(corsmatch_error_code(NULL).len == 0 && corsmatch_error_code(NULL).data != NULL, "error_code(NULL)");
    CHECK(corsmatch_error_message(NULL).len == 0, "error_message(NULL)");
    CHECK(corsmatch_error_detail(NULL).len == 0, "error_detail(NULL)");
    CHECK(corsmatch_error_status(NULL) == 0, "error_status(NULL)");
    CHECK(corsmatch_ruleset_rule_count(NULL) == 0, "rule_count(NULL)");
    CHECK(corsmatch_ruleset_memory_usage(NULL) == 0, "memory_usage(NULL)");
    size_t len = 0;
    CHECK_RESULT(corsmatch_error_xml(NULL, ABSENT, ABSENT, NULL, 0, &len), CORSMATCH_NULL_PARAMETER);
    CHECK_RESULT(corsmatch_explain(NULL, S("GET"), o, ol, ABSENT, ABSENT, 0, NULL, 0, &len), CORSMATCH_NULL_PARAMETER);
    CHECK_RESULT(corsmatch_explain(rules, S("GET"), o, ol, ABSENT, ABSENT, 0, NULL, 0, NULL), CORSMATCH_NULL_PARAMETER);
    CHECK_RESULT(corsmatch_explain(rules, NULL, 0, o, ol, ABSENT, ABSENT, 0, NULL, 0, &len), CORSMATCH_NULL_PARAMETER);

    corsmatch_scratch_free(scratch);
    corsmatch_ruleset_free(rules);
}

static void test_zero_lengths(void) {
    const corsmatch_ruleset *rules = compile(S(CONFIG), NULL);
    corsmatch_scratch *scratch = NULL;
    CHECK_RESULT(corsmatch_scratch_new(&scratch), CORSMATCH_OK);
    corsmatch_decision d;
    const char *empty = "";

    /* Absent Origin: 400 BadRequest. */
    CHECK_RESULT(corsmatch_preflight(rules, scratch, ABSENT, S("GET"), ABSENT, 0, ABSENT, ABSENT, &d), CORSMATCH_OK);
    CHECK(d.status == 400 && d.refusal == CORSMATCH_REFUSAL_NO_ORIGIN, "no origin: %u", d.status);
    CHECK(str_eq(d.error_code, "BadRequest"), "no origin: code %.*s", (int)d.error_code.len, d.error_code.data);
    CHECK(d.header_count == 0 && d.rule == -1, "no origin: headers or rule set");

    /* A present, empty Origin: matched only by the `*` rule, for HEAD. */
    CHECK_RESULT(corsmatch_preflight(rules, scratch, empty, 0, S("HEAD"), ABSENT, 0, ABSENT, ABSENT, &d), CORSMATCH_OK);
    CHECK(d.status == 200 && d.rule == 1, "empty origin, HEAD: status %u rule %lld", d.status, (long long)d.rule);
    CHECK(d.header_count >= 1 && str_eq(d.headers[0].value, "*"), "empty origin: Allow-Origin is not *");
    CHECK_RESULT(corsmatch_preflight(rules, scratch, empty, 0, S("GET"), ABSENT, 0, ABSENT, ABSENT, &d), CORSMATCH_OK);
    CHECK(d.status == 403 && d.refusal == CORSMATCH_REFUSAL_DENIED, "empty origin, GET: %u", d.status);

    /* An empty ACRM is present and not one of the five methods. */
    CHECK_RESULT(corsmatch_preflight(rules, scratch, S("https://www.example.com"), empty, 0, ABSENT, 0, ABSENT,
                                     ABSENT, &d),
                 CORSMATCH_OK);
    CHECK(d.status == 400 && d.refusal == CORSMATCH_REFUSAL_INVALID_ACRM, "empty acrm: %u", d.status);
    CHECK(str_eq(d.error_message, "Invalid Access-Control-Request-Method: "), "empty acrm message %.*s",
          (int)d.error_message.len, d.error_message.data);

    /* An empty ACRH is present with no items: no Allow-Headers. */
    CHECK_RESULT(corsmatch_preflight(rules, scratch, S("https://www.example.com"), S("PUT"), empty, 0, 0, ABSENT,
                                     ABSENT, &d),
                 CORSMATCH_OK);
    CHECK(d.status == 200 && find_header(&d, S("Access-Control-Allow-Headers")) == NULL, "empty acrh: %u", d.status);

    /* An empty method for an actual request: no rule allows it, nothing to add. */
    CHECK_RESULT(corsmatch_actual(rules, scratch, empty, 0, S("https://www.example.com"), ABSENT, ABSENT, 0, &d),
                 CORSMATCH_OK);
    CHECK(d.status == 0 && d.header_count == 0 && d.rule == -1, "empty method: %zu headers", d.header_count);

    /* Empty request and host ids are present, so the elements appear, empty. */
    CHECK_RESULT(corsmatch_preflight(rules, scratch, S("https://evil.example.net"), S("PUT"), ABSENT, 0, empty, 0,
                                     empty, 0, &d),
                 CORSMATCH_OK);
    CHECK(d.status == 403, "denied: %u", d.status);
    char *rid = xml_element(d.error_body, "RequestId");
    CHECK(rid != NULL && rid[0] == '\0', "empty RequestId element missing");
    free(rid);

    corsmatch_scratch_free(scratch);
    corsmatch_ruleset_free(rules);
}

static void test_invalid_utf8_and_arguments(void) {
    const corsmatch_ruleset *rules = compile(S(CONFIG), NULL);
    corsmatch_scratch *scratch = NULL;
    CHECK_RESULT(corsmatch_scratch_new(&scratch), CORSMATCH_OK);
    corsmatch_decision d, before;
    memset(&d, 0xAB, sizeof d);
    before = d;
    const char bad[] = "https://\xff\xfe.example.com";
    const char overlong[] = "\xc0\xaf";

    CHECK_RESULT(corsmatch_preflight(rules, scratch, S(bad), S("GET"), ABSENT, 0, ABSENT, ABSENT, &d),
                 CORSMATCH_INVALID_UTF8);
    CHECK(memcmp(&d, &before, sizeof d) == 0, "decision written on INVALID_UTF8");
    CHECK_RESULT(corsmatch_preflight(rules, scratch, S("https://a.example.com"), S(overlong), ABSENT, 0, ABSENT,
                                     ABSENT, &d),
                 CORSMATCH_INVALID_UTF8);
    CHECK_RESULT(corsmatch_preflight(rules, scratch, S("https://a.example.com"), S("GET"), S("x-a,\x80"), 0, ABSENT,
                                     ABSENT, &d),
                 CORSMATCH_INVALID_UTF8);
    CHECK_RESULT(corsmatch_preflight(rules, scratch, S("https://a.example.com"), S("GET"), ABSENT, 0, S("\xed\xa0\x80"),
                                     ABSENT, &d),
                 CORSMATCH_INVALID_UTF8);
    CHECK_RESULT(corsmatch_actual(rules, scratch, S("G\xffT"), S("https://a.example.com"), ABSENT, ABSENT, 0, &d),
                 CORSMATCH_INVALID_UTF8);
    size_t len = 0;
    CHECK_RESULT(corsmatch_explain(rules, S("GET"), S(bad), ABSENT, ABSENT, 0, NULL, 0, &len), CORSMATCH_INVALID_UTF8);

    /* A document that is not UTF-8 is the provider's MalformedXML, not a C-level error. */
    const char latin1[] = "<CORSConfiguration><CORSRule><AllowedOrigin>https://caf\xe9.example</AllowedOrigin>"
                          "<AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>";
    corsmatch_error_free(refused(S(latin1), NULL, "MalformedXML", MALFORMED_MESSAGE));

    /* Unknown enum values. */
    const corsmatch_ruleset *other = NULL;
    CHECK_RESULT(corsmatch_ruleset_new(S(CONFIG), 2, NULL, &other, NULL), CORSMATCH_INVALID_ARGUMENT);
    CHECK_RESULT(corsmatch_ruleset_new(S(CONFIG), UINT32_MAX, NULL, &other, NULL), CORSMATCH_INVALID_ARGUMENT);
    CHECK_RESULT(corsmatch_ruleset_no_config(7, &other), CORSMATCH_INVALID_ARGUMENT);
    corsmatch_options opts;
    CHECK_RESULT(corsmatch_options_default(9, &opts), CORSMATCH_INVALID_ARGUMENT);
    CHECK(other == NULL, "rule set written on INVALID_ARGUMENT");
    CHECK_RESULT(corsmatch_preflight(rules, scratch, S("https://a.example.com"), S("GET"), ABSENT, 3, ABSENT, ABSENT,
                                     &d),
                 CORSMATCH_INVALID_ARGUMENT);
    CHECK_RESULT(corsmatch_actual(rules, scratch, S("GET"), S("https://a.example.com"), ABSENT, ABSENT, 99, &d),
                 CORSMATCH_INVALID_ARGUMENT);
    CHECK_RESULT(corsmatch_actual(rules, scratch, S("OPTIONS"), S("https://a.example.com"), ABSENT, ABSENT, 0, &d),
                 CORSMATCH_INVALID_ARGUMENT);
    CHECK(memcmp(&d, &before, sizeof d) == 0, "decision written on an error");

    /* Result names. */
    CHECK(str_eq(corsmatch_result_name(CORSMATCH_INVALID_UTF8), "CORSMATCH_INVALID_UTF8"), "result name");
    CHECK(str_eq(corsmatch_result_name(12345), "unknown"), "unknown result name");
    corsmatch_str v = corsmatch_version();
    CHECK(v.len >= 5 && v.data[0] >= '0' && v.data[0] <= '9' && memchr(v.data, '.', v.len) != NULL,
          "version %.*s", (int)v.len, v.data);

    corsmatch_scratch_free(scratch);
    corsmatch_ruleset_free(rules);
}

/* One request string of every entry point that takes some, by name. */
enum field { F_ORIGIN, F_ACRM, F_ACRH, F_REQUEST_ID, F_HOST_ID, F_METHOD, F_FIELDS };
static const char *const FIELD_NAMES[F_FIELDS] = {"origin", "acrm", "acrh", "request_id", "host_id", "method"};

/* A request whose strings all pass, with one of them replaced by (value, len). */
struct request {
    const char *s[F_FIELDS];
    size_t len[F_FIELDS];
};

static struct request good_request(void) {
    struct request r;
    const char *values[F_FIELDS] = {"https://www.example.com", "PUT", "content-type, x-oss-meta-a", "req-1", "host-1",
                                    "PUT"};
    for (int f = 0; f < F_FIELDS; f++) {
        r.s[f] = values[f];
        r.len[f] = strlen(values[f]);
    }
    return r;
}

/* Calls every entry point that takes field `f` of `req`, and checks each answers `want`; on an
 * error, nothing is written (decision, out_len, buffer). On success, checks the decision. */
static void call_all(const corsmatch_ruleset *rules, corsmatch_scratch *scratch, const corsmatch_error *error,
                     const struct request *req, int f, corsmatch_result want, const char *what) {
    corsmatch_decision d, before;
    memset(&d, 0x5A, sizeof d);
    before = d;
    const char *const *s = req->s;
    const size_t *n = req->len;
    char buf[8192];
    bool ok = want == CORSMATCH_OK;

    if (f != F_METHOD) {
        corsmatch_result r =
            corsmatch_preflight(rules, scratch, s[F_ORIGIN], n[F_ORIGIN], s[F_ACRM], n[F_ACRM], s[F_ACRH], n[F_ACRH],
                                CORSMATCH_TARGET_OBJECT, s[F_REQUEST_ID], n[F_REQUEST_ID], s[F_HOST_ID], n[F_HOST_ID], &d);
        CHECK_RESULT(r, want);
        if (ok) {
            CHECK(d.status == 200 && d.rule == 0, "preflight, %s %s: status %u", FIELD_NAMES[f], what, d.status);
            const corsmatch_str *acao = find_header(&d, S("Access-Control-Allow-Origin"));
            CHECK(acao != NULL && str_eq_n(*acao, s[F_ORIGIN], n[F_ORIGIN]), "preflight, %s %s: origin not echoed",
                  FIELD_NAMES[f], what);
        } else {
            CHECK(memcmp(&d, &before, sizeof d) == 0, "preflight, %s %s: decision written", FIELD_NAMES[f], what);
        }
    }
    if (f != F_REQUEST_ID && f != F_HOST_ID) {
        /* The ACRM and ACRH of an actual request are matched instead of its method. */
        corsmatch_result r = corsmatch_actual(rules, scratch, s[F_METHOD], n[F_METHOD], s[F_ORIGIN], n[F_ORIGIN],
                                              s[F_ACRM], n[F_ACRM], s[F_ACRH], n[F_ACRH], CORSMATCH_TARGET_OBJECT, &d);
        CHECK_RESULT(r, want);
        if (ok) {
            CHECK(d.status == 0 && d.rule == 0, "actual, %s %s: rule %lld", FIELD_NAMES[f], what, (long long)d.rule);
        } else {
            CHECK(memcmp(&d, &before, sizeof d) == 0, "actual, %s %s: decision written", FIELD_NAMES[f], what);
        }
        size_t len = 12345;
        memset(buf, '#', sizeof buf);
        r = corsmatch_explain(rules, s[F_METHOD], n[F_METHOD], s[F_ORIGIN], n[F_ORIGIN], s[F_ACRM], n[F_ACRM],
                              s[F_ACRH], n[F_ACRH], CORSMATCH_TARGET_OBJECT, buf, sizeof buf, &len);
        CHECK_RESULT(r, want);
        if (ok) {
            CHECK(len > 0 && len <= sizeof buf && buf[0] == '{' && memmem(buf, len, "\"winner\":0", 10) != NULL,
                  "explain, %s %s: %.*s", FIELD_NAMES[f], what, (int)(len <= sizeof buf ? len : 0), buf);
        } else {
            CHECK(len == 12345 && buf[0] == '#', "explain, %s %s: output written", FIELD_NAMES[f], what);
        }
    }
    if (f == F_REQUEST_ID || f == F_HOST_ID) {
        size_t len = 12345;
        memset(buf, '#', sizeof buf);
        corsmatch_result r = corsmatch_error_xml(error, s[F_REQUEST_ID], n[F_REQUEST_ID], s[F_HOST_ID], n[F_HOST_ID],
                                                 buf, sizeof buf, &len);
        CHECK_RESULT(r, want);
        if (ok) {
            CHECK(len > 0 && len < sizeof buf && memcmp(buf, "<?xml", 5) == 0, "error_xml, %s %s", FIELD_NAMES[f],
                  what);
        } else {
            CHECK(len == 12345 && buf[0] == '#', "error_xml, %s %s: output written", FIELD_NAMES[f], what);
        }
    }
}

/* A CR, LF or NUL anywhere in a request string is refused with CORSMATCH_INVALID_HEADER_VALUE
 * by every entry point that takes that string, before any output is written: the Origin and
 * the ACRH items are echoed into response headers, the ids into error bodies. The same
 * value without the byte is answered. */
static void test_header_values(void) {
    const corsmatch_ruleset *rules = compile(S(CONFIG), NULL);
    corsmatch_scratch *scratch = NULL;
    CHECK_RESULT(corsmatch_scratch_new(&scratch), CORSMATCH_OK);
    const corsmatch_error *error = refused(S("<CORSConfiguration/>"), NULL, "MalformedXML", NULL);

    struct request good = good_request();
    for (int f = 0; f < F_FIELDS; f++) {
        call_all(rules, scratch, error, &good, f, CORSMATCH_OK, "(control)");
    }

    static const char BYTES[3] = {'\r', '\n', '\0'};
    static const char *const BYTE_NAMES[3] = {"CR", "LF", "NUL"};
    for (int f = 0; f < F_FIELDS; f++) {
        size_t base_len = good.len[f];
        for (int b = 0; b < 3; b++) {
            /* At the start, in the middle and at the end; and a byte appended. */
            size_t positions[4] = {0, base_len / 2, base_len - 1, base_len};
            for (int p = 0; p < 4; p++) {
                char value[64];
                memcpy(value, good.s[f], base_len);
                size_t len = base_len;
                if (positions[p] == base_len) {
                    len++;
                }
                value[positions[p]] = BYTES[b];
                struct request bad = good;
                bad.s[f] = value;
                bad.len[f] = len;
                char what[32];
                snprintf(what, sizeof what, "%s at %zu", BYTE_NAMES[b], positions[p]);
                call_all(rules, scratch, error, &bad, f, CORSMATCH_INVALID_HEADER_VALUE, what);
            }
        }
    }

    /* The attack itself, and its control: the same Origin without the CR LF. */
    static const char SPLIT[] = "https://a.example.com\r\nSet-Cookie: x=1";
    static const char JOINED[] = "https://a.example.comSet-Cookie: x=1";
    corsmatch_decision d;
    memset(&d, 0x5A, sizeof d);
    corsmatch_decision before = d;
    CHECK_RESULT(corsmatch_preflight(rules, scratch, S(SPLIT), S("PUT"), ABSENT, 0, ABSENT, ABSENT, &d),
                 CORSMATCH_INVALID_HEADER_VALUE);
    CHECK(memcmp(&d, &before, sizeof d) == 0, "decision written for a splitting Origin");
    CHECK_RESULT(corsmatch_actual(rules, scratch, S("GET"), S(SPLIT), ABSENT, ABSENT, 0, &d),
                 CORSMATCH_INVALID_HEADER_VALUE);
    CHECK(memcmp(&d, &before, sizeof d) == 0, "decision written for a splitting Origin");
    /* The `*` rule would echo nothing, but the value is refused before any rule is asked. */
    CHECK_RESULT(corsmatch_preflight(rules, scratch, S(SPLIT), S("HEAD"), ABSENT, 0, ABSENT, ABSENT, &d),
                 CORSMATCH_INVALID_HEADER_VALUE);
    CHECK_RESULT(corsmatch_preflight(rules, scratch, S(JOINED), S("PUT"), ABSENT, 0, ABSENT, ABSENT, &d), CORSMATCH_OK);
    CHECK(d.status == 403 && d.refusal == CORSMATCH_REFUSAL_DENIED, "joined origin: status %u", d.status);
    CHECK_RESULT(corsmatch_preflight(rules, scratch, S(JOINED), S("HEAD"), ABSENT, 0, ABSENT, ABSENT, &d), CORSMATCH_OK);
    CHECK(d.status == 200 && d.header_count > 0 && str_eq(d.headers[0].value, "*"), "joined origin, HEAD: %u",
          d.status);
    CHECK_RESULT(corsmatch_preflight(rules, scratch, S("https://www.example.com"), S("PUT"),
                                     S("content-type\r\nSet-Cookie: x=1"), 0, ABSENT, ABSENT, &d),
                 CORSMATCH_INVALID_HEADER_VALUE);

    /* Only these three bytes: a tab (legal in header values) and other controls still pass
     * (and match nothing here). */
    CHECK_RESULT(corsmatch_preflight(rules, scratch, S("https://www.example.com"), S("PUT"), S("content-type,\tx-oss-a"),
                                     0, ABSENT, ABSENT, &d),
                 CORSMATCH_OK);
    CHECK(d.status == 200, "a tab in the ACRH: status %u", d.status);
    CHECK_RESULT(corsmatch_preflight(rules, scratch, S("https://www.exa\x01mple.com"), S("PUT"), ABSENT, 0, ABSENT,
                                     ABSENT, &d),
                 CORSMATCH_OK);
    CHECK(d.status == 403, "0x01 in the Origin: status %u", d.status);

    /* Invalid UTF-8 is named first when a string has both. */
    CHECK_RESULT(corsmatch_preflight(rules, scratch, S("https://\xff.example.com\r\n"), S("PUT"), ABSENT, 0, ABSENT,
                                     ABSENT, &d),
                 CORSMATCH_INVALID_UTF8);

    /* A CR at the end of a 1 MB Origin, past every block of the scan. */
    const size_t MB = 1u << 20;
    char *origin = malloc(MB);
    if (origin == NULL) abort();
    memcpy(origin, "https://", 8);
    memset(origin + 8, 'a', MB - 8);
    memcpy(origin + MB - 12, ".example.com", 12);
    CHECK_RESULT(corsmatch_preflight(rules, scratch, origin, MB, S("PUT"), ABSENT, 0, ABSENT, ABSENT, &d), CORSMATCH_OK);
    CHECK(d.status == 200, "1 MB origin: status %u", d.status);
    for (size_t at = MB - 33; at < MB; at += 8) {
        char saved = origin[at];
        origin[at] = '\n';
        CHECK_RESULT(corsmatch_preflight(rules, scratch, origin, MB, S("PUT"), ABSENT, 0, ABSENT, ABSENT, &d),
                     CORSMATCH_INVALID_HEADER_VALUE);
        origin[at] = saved;
    }
    free(origin);

    CHECK(str_eq(corsmatch_result_name(CORSMATCH_INVALID_HEADER_VALUE), "CORSMATCH_INVALID_HEADER_VALUE"),
          "result name");
    CHECK(CORSMATCH_INVALID_HEADER_VALUE == 8 && CORSMATCH_PANIC == 7, "result values moved");

    corsmatch_error_free(error);
    corsmatch_scratch_free(scratch);
    corsmatch_ruleset_free(rules);
}

static void test_huge_inputs(void) {
    const corsmatch_ruleset *rules = compile(S(CONFIG), NULL);
    corsmatch_scratch *scratch = NULL;
    CHECK_RESULT(corsmatch_scratch_new(&scratch), CORSMATCH_OK);
    corsmatch_decision d;
    const size_t MB = 1u << 20;

    /* A 1 MB Origin that matches the glob of rule 0: echoed whole. */
    char *origin = malloc(MB);
    if (origin == NULL) abort();
    const char *head = "https://", *tail = ".example.com";
    memcpy(origin, head, strlen(head));
    memset(origin + strlen(head), 'a', MB - strlen(head) - strlen(tail));
    memcpy(origin + MB - strlen(tail), tail, strlen(tail));
    CHECK_RESULT(corsmatch_preflight(rules, scratch, origin, MB, S("PUT"), ABSENT, 0, ABSENT, ABSENT, &d), CORSMATCH_OK);
    CHECK(d.status == 200 && d.rule == 0, "1 MB origin: status %u", d.status);
    CHECK(d.header_count > 0 && str_eq_n(d.headers[0].value, origin, MB), "1 MB origin not echoed");
    /* The same origin with a different suffix matches nothing. */
    origin[MB - 1] = 'x';
    CHECK_RESULT(corsmatch_preflight(rules, scratch, origin, MB, S("PUT"), ABSENT, 0, ABSENT, ABSENT, &d), CORSMATCH_OK);
    CHECK(d.status == 403 && d.refusal == CORSMATCH_REFUSAL_DENIED, "1 MB origin, bad suffix: status %u", d.status);
    free(origin);

    /* A 1 MB ACRH of commas has no items: the preflight succeeds without Allow-Headers. */
    char *commas = malloc(MB);
    if (commas == NULL) abort();
    memset(commas, ',', MB);
    CHECK_RESULT(corsmatch_preflight(rules, scratch, S("https://www.example.com"), S("PUT"), commas, MB, 0, ABSENT,
                                     ABSENT, &d),
                 CORSMATCH_OK);
    CHECK(d.status == 200 && find_header(&d, S("Access-Control-Allow-Headers")) == NULL, "1 MB of commas: %u",
          d.status);
    /* The same with one real item in the middle: allowed, and listed once. */
    memcpy(commas + MB / 2, "X-OSS-Date", 10);
    CHECK_RESULT(corsmatch_preflight(rules, scratch, S("https://www.example.com"), S("PUT"), commas, MB, 0, ABSENT,
                                     ABSENT, &d),
                 CORSMATCH_OK);
    const corsmatch_str *allow = find_header(&d, S("Access-Control-Allow-Headers"));
    CHECK(d.status == 200 && allow != NULL && str_eq(*allow, "x-oss-date"), "commas + one item: %u", d.status);
    /* And one item no rule allows: denied. */
    memcpy(commas + MB / 4, "x-evil", 6);
    CHECK_RESULT(corsmatch_preflight(rules, scratch, S("https://www.example.com"), S("PUT"), commas, MB, 0, ABSENT,
                                     ABSENT, &d),
                 CORSMATCH_OK);
    CHECK(d.status == 403, "commas + a denied item: %u", d.status);
    free(commas);

    /* Lengths no memory can have are refused before anything is read. */
    corsmatch_decision before;
    memset(&d, 0x5A, sizeof d);
    before = d;
    CHECK_RESULT(corsmatch_preflight(rules, scratch, "x", SIZE_MAX, S("PUT"), ABSENT, 0, ABSENT, ABSENT, &d),
                 CORSMATCH_INPUT_TOO_LARGE);
    CHECK_RESULT(corsmatch_preflight(rules, scratch, S("https://a.example.com"), "PUT", (size_t)PTRDIFF_MAX + 1, ABSENT,
                                     0, ABSENT, ABSENT, &d),
                 CORSMATCH_INPUT_TOO_LARGE);
    CHECK(memcmp(&d, &before, sizeof d) == 0, "decision written on INPUT_TOO_LARGE");
    const corsmatch_ruleset *other = NULL;
    CHECK_RESULT(corsmatch_ruleset_new("<", SIZE_MAX, CORSMATCH_PROFILE_OSS, NULL, &other, NULL),
                 CORSMATCH_INPUT_TOO_LARGE);
    CHECK(other == NULL, "rule set written on INPUT_TOO_LARGE");

    corsmatch_scratch_free(scratch);
    corsmatch_ruleset_free(rules);
}

/* n rules, each `<CORSRule>` with its own origin, padded with `pad` bytes of whitespace. */
static char *document(int n, size_t pad, size_t *len) {
    size_t cap = 256 + (size_t)n * 160 + pad;
    char *doc = malloc(cap);
    if (doc == NULL) abort();
    size_t at = (size_t)snprintf(doc, cap, "<CORSConfiguration>");
    for (int i = 0; i < n; i++) {
        at += (size_t)snprintf(doc + at, cap - at,
                               "<CORSRule><AllowedOrigin>https://site%d.example</AllowedOrigin>"
                               "<AllowedMethod>GET</AllowedMethod></CORSRule>",
                               i);
    }
    memset(doc + at, ' ', pad);
    at += pad;
    at += (size_t)snprintf(doc + at, cap - at, "</CORSConfiguration>");
    *len = at;
    return doc;
}

static void test_documents(void) {
    const corsmatch_error *e;
    size_t len;

    corsmatch_error_free(refused(S("<CORSConfiguration><CORSRule>"), NULL, "MalformedXML", MALFORMED_MESSAGE));
    corsmatch_error_free(refused(S("not xml at all"), NULL, "MalformedXML", MALFORMED_MESSAGE));
    corsmatch_error_free(refused(S("<CORSConfiguration></CORSConfiguration>"), NULL, "MalformedXML", NULL));
    corsmatch_error_free(refused(S("<CORSConfiguration><CORSRule><AllowedOrigin>a</AllowedOrigin>"
                                   "<AllowedMethod>PATCH</AllowedMethod></CORSRule></CORSConfiguration>"),
                                 NULL, "InvalidRequest",
                                 "Found unsupported HTTP method in CORS config. Unsupported method is PATCH"));
    corsmatch_error_free(refused(S("<CORSConfiguration><CORSRule><AllowedOrigin>a\0b</AllowedOrigin>"
                                   "<AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>"),
                                 NULL, "MalformedXML", NULL));

    /* Oversized: 20 KB is over oss's 16 KB, within a raised limit. */
    char *doc = document(2, 20 * 1024, &len);
    corsmatch_error_free(refused(doc, len, NULL, "MalformedXML", MALFORMED_MESSAGE));
    corsmatch_options opts;
    CHECK_RESULT(corsmatch_options_default(CORSMATCH_PROFILE_OSS, &opts), CORSMATCH_OK);
    CHECK(opts.max_rules == 10 && opts.max_document_bytes == 16 * 1024 && opts.allow_credentials &&
              !opts.strict_origins,
          "oss defaults: %zu rules, %zu bytes", opts.max_rules, opts.max_document_bytes);
    opts.max_document_bytes = 32 * 1024;
    corsmatch_ruleset_free(compile(doc, len, &opts));
    free(doc);

    /* Too many rules: 11 for oss, allowed with max_rules 20. */
    doc = document(11, 0, &len);
    e = refused(doc, len, NULL, "CORSRuleBeyondLimit", "The CORS Rules num is beyond limit.");
    corsmatch_str detail = corsmatch_error_detail(e);
    CHECK(memmem(detail.data, detail.len, "11", 2) != NULL, "detail does not name the count: %.*s", (int)detail.len,
          detail.data);
    corsmatch_error_free(e);
    CHECK_RESULT(corsmatch_options_default(CORSMATCH_PROFILE_OSS, &opts), CORSMATCH_OK);
    opts.max_rules = 20;
    const corsmatch_ruleset *rules = compile(doc, len, &opts);
    CHECK(corsmatch_ruleset_rule_count(rules) == 11, "rule count %zu", corsmatch_ruleset_rule_count(rules));
    CHECK(corsmatch_ruleset_memory_usage(rules) > 0, "memory usage 0");
    corsmatch_ruleset_free(rules);
    /* Limits of 0 mean the profile's. */
    memset(&opts, 0, sizeof opts);
    corsmatch_error_free(refused(doc, len, &opts, "CORSRuleBeyondLimit", NULL));
    free(doc);

    /* The error body, into buffers too small, exact and larger. */
    e = refused(S("<CORSConfiguration><CORSRule><AllowedOrigin>a</AllowedOrigin>"
                  "<AllowedMethod>GET</AllowedMethod><MaxAgeSeconds>-5</MaxAgeSeconds></CORSRule>"
                  "</CORSConfiguration>"),
                NULL, "InvalidArgument", NULL);
    size_t need = 0;
    CHECK_RESULT(corsmatch_error_xml(e, S("req-1"), S("host<&>"), NULL, 0, &need), CORSMATCH_BUFFER_TOO_SMALL);
    CHECK(need > 100, "needed length %zu", need);
    char small[16];
    memset(small, '#', sizeof small);
    size_t got = 0;
    CHECK_RESULT(corsmatch_error_xml(e, S("req-1"), S("host<&>"), small, sizeof small, &got),
                 CORSMATCH_BUFFER_TOO_SMALL);
    CHECK(got == need && small[0] == '#' && small[15] == '#', "small buffer written");
    char *body = malloc(need + 1);
    if (body == NULL) abort();
    CHECK_RESULT(corsmatch_error_xml(e, S("req-1"), S("host<&>"), body, need, &got), CORSMATCH_OK);
    body[got] = '\0';
    CHECK(got == need && strstr(body, "<Code>InvalidArgument</Code>") != NULL &&
              strstr(body, "<ArgumentValue>-5</ArgumentValue>") != NULL &&
              strstr(body, "<RequestId>req-1</RequestId><HostId>host&lt;&amp;&gt;</HostId>") != NULL,
          "error body %s", body);
    free(body);
    CHECK_RESULT(corsmatch_error_xml(e, S("\xff"), ABSENT, NULL, 0, &got), CORSMATCH_INVALID_UTF8);
    corsmatch_error_free(e);
}

static void test_explain_buffer(void) {
    const corsmatch_ruleset *rules = compile(S(CONFIG), NULL);
    size_t need = 0, got = 0;
    const char *origin = "https://www.example.com";
    CHECK_RESULT(corsmatch_explain(rules, S("OPTIONS"), origin, strlen(origin), S("PUT"), S("X-Evil"), 0, NULL, 0,
                                   &need),
                 CORSMATCH_BUFFER_TOO_SMALL);
    char tiny[10];
    memset(tiny, '#', sizeof tiny);
    CHECK_RESULT(corsmatch_explain(rules, S("OPTIONS"), origin, strlen(origin), S("PUT"), S("X-Evil"), 0, tiny,
                                   sizeof tiny, &got),
                 CORSMATCH_BUFFER_TOO_SMALL);
    CHECK(got == need && tiny[0] == '#', "tiny buffer written");
    char *json = malloc(need + 1);
    if (json == NULL) abort();
    CHECK_RESULT(corsmatch_explain(rules, S("OPTIONS"), origin, strlen(origin), S("PUT"), S("X-Evil"), 0, json, need,
                                   &got),
                 CORSMATCH_OK);
    json[got] = '\0';
    CHECK(got == need && json[0] == '{' && json[got - 1] == '}', "explain JSON %s", json);
    CHECK(strstr(json, "\"result\":\"header\"") != NULL && strstr(json, "\"header\":\"x-evil\"") != NULL &&
              strstr(json, "\"winner\":null") != NULL && strstr(json, "\"status\":403") != NULL,
          "explain JSON does not say why: %s", json);
    free(json);
    corsmatch_ruleset_free(rules);
}

/* Lints a document into an exactly sized buffer; returns the NUL-terminated JSON (caller
 * frees) and stores the problem count. */
static char *lint_json(const corsmatch_ruleset *rules, size_t *problems) {
    size_t need = 0, got = 0;
    CHECK_RESULT(corsmatch_ruleset_lint(rules, NULL, 0, &need, problems), CORSMATCH_BUFFER_TOO_SMALL);
    char *json = malloc(need + 1);
    if (json == NULL) abort();
    CHECK_RESULT(corsmatch_ruleset_lint(rules, json, need, &got, problems), CORSMATCH_OK);
    CHECK(got == need, "lint length %zu, then %zu", need, got);
    json[got] = '\0';
    return json;
}

static void test_lint(void) {
    /* Rule 1 never applies: rule 0's wildcard covers its origin, for GET. */
    static const char shadowed[] =
        "<CORSConfiguration>"
        "<CORSRule><AllowedOrigin>https://*.example.com</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule>"
        "<CORSRule><AllowedOrigin>https://www.example.com</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule>"
        "<ResponseVary>true</ResponseVary>"
        "</CORSConfiguration>";
    const corsmatch_ruleset *rules = compile(S(shadowed), NULL);
    const size_t SENTINEL = (size_t)0x5A5A5A5A;

    /* Asking for the length: BUFFER_TOO_SMALL, the length stored, the count left alone. */
    size_t need = 0, got = 0, problems = SENTINEL;
    CHECK_RESULT(corsmatch_ruleset_lint(rules, NULL, 0, &need, &problems), CORSMATCH_BUFFER_TOO_SMALL);
    CHECK(need > 2 && problems == SENTINEL, "need %zu, problems %zu", need, problems);
    /* A buffer one byte short is not written. */
    char *short_buf = malloc(need);
    if (short_buf == NULL) abort();
    memset(short_buf, '#', need);
    CHECK_RESULT(corsmatch_ruleset_lint(rules, short_buf, need - 1, &got, &problems), CORSMATCH_BUFFER_TOO_SMALL);
    CHECK(got == need && problems == SENTINEL, "short buffer: got %zu, problems %zu", got, problems);
    bool untouched = true;
    for (size_t i = 0; i < need; i++) {
        untouched = untouched && short_buf[i] == '#';
    }
    CHECK(untouched, "a buffer too small was written");
    free(short_buf);

    /* The exact size: the JSON array, one warning. */
    char *json = lint_json(rules, &problems);
    CHECK(problems == 1, "problems %zu in %s", problems, json);
    CHECK(json[0] == '[' && json[strlen(json) - 1] == ']', "not a JSON array: %s", json);
    CHECK(strstr(json, "{\"id\":\"shadowed-rule\",\"severity\":\"warning\",\"rule\":1,") == json + 1,
          "no shadowed-rule finding first: %s", json);
    CHECK(strstr(json, "\"related\":[0]") != NULL && strstr(json, "\"example\":null") != NULL, "lint JSON %s", json);
    CHECK(strstr(json, "\"id\":") == json + 2 && strstr(json + 3, "\"id\":") == NULL, "more than one finding: %s",
          json);
    free(json);
    /* A larger buffer, and no count wanted. */
    char big[4096];
    memset(big, '#', sizeof big);
    CHECK_RESULT(corsmatch_ruleset_lint(rules, big, sizeof big, &got, NULL), CORSMATCH_OK);
    CHECK(got == need && big[0] == '[' && big[got - 1] == ']' && big[got] == '#', "large buffer: %zu bytes", got);

    /* NULL pointers. */
    problems = SENTINEL;
    got = 12345;
    CHECK_RESULT(corsmatch_ruleset_lint(NULL, big, sizeof big, &got, &problems), CORSMATCH_NULL_PARAMETER);
    CHECK(got == 12345 && problems == SENTINEL, "outputs written for a NULL rule set");
    CHECK_RESULT(corsmatch_ruleset_lint(rules, big, sizeof big, NULL, &problems), CORSMATCH_NULL_PARAMETER);
    CHECK(problems == SENTINEL, "problem count written without out_len");
    CHECK_RESULT(corsmatch_ruleset_lint(rules, NULL, sizeof big, &got, &problems), CORSMATCH_NULL_PARAMETER);
    CHECK(problems == SENTINEL, "problem count written for a NULL buffer");
    corsmatch_ruleset_free(rules);

    /* Findings that are not problems: two rules answering one request differently (info). */
    static const char overlap[] =
        "<CORSConfiguration>"
        "<CORSRule><AllowedOrigin>https://a.example.com</AllowedOrigin><AllowedMethod>GET</AllowedMethod>"
        "<AllowedMethod>PUT</AllowedMethod></CORSRule>"
        "<CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule>"
        "<ResponseVary>true</ResponseVary>"
        "</CORSConfiguration>";
    rules = compile(S(overlap), NULL);
    json = lint_json(rules, &problems);
    CHECK(problems == 0, "info findings counted as problems: %zu", problems);
    CHECK(strstr(json, "\"id\":\"overlap\",\"severity\":\"info\"") != NULL &&
              strstr(json, "\"example\":{\"origin\":\"https://a.example.com\",\"method\":\"GET\","
                           "\"headers\":[]}") != NULL,
          "overlap JSON %s", json);
    free(json);
    corsmatch_ruleset_free(rules);

    /* An error: a wildcard that lets every site in, answered with credentials; and the
     * origin with a path next to it. Three problems. */
    static const char wide[] =
        "<CORSConfiguration><CORSRule><AllowedOrigin>https://*</AllowedOrigin>"
        "<AllowedMethod>GET</AllowedMethod></CORSRule>"
        "<CORSRule><AllowedOrigin>https://x.example.com/</AllowedOrigin><AllowedMethod>PUT</AllowedMethod></CORSRule>"
        "<ResponseVary>true</ResponseVary></CORSConfiguration>";
    rules = compile(S(wide), NULL);
    json = lint_json(rules, &problems);
    CHECK(problems == 3, "problems %zu in %s", problems, json);
    CHECK(strstr(json, "\"id\":\"wildcard-all-with-credentials\",\"severity\":\"error\",\"rule\":0,"
                       "\"element\":\"AllowedOrigin\",\"item\":0,") != NULL &&
              strstr(json, "\"id\":\"origin-has-path\",\"severity\":\"warning\",\"rule\":1,") != NULL,
          "lint JSON %s", json);
    free(json);
    corsmatch_ruleset_free(rules);

    /* A clean configuration, and a bucket without one: an empty array, no problems. */
    rules = compile(S("<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin>"
                      "<AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>"),
                    NULL);
    problems = SENTINEL;
    json = lint_json(rules, &problems);
    CHECK(strcmp(json, "[]") == 0 && problems == 0, "clean: %s, %zu problems", json, problems);
    free(json);
    corsmatch_ruleset_free(rules);
    CHECK_RESULT(corsmatch_ruleset_no_config(CORSMATCH_PROFILE_S3, &rules), CORSMATCH_OK);
    problems = SENTINEL;
    json = lint_json(rules, &problems);
    CHECK(strcmp(json, "[]") == 0 && problems == 0, "no config: %s, %zu problems", json, problems);
    free(json);
    corsmatch_ruleset_free(rules);
}

static void test_options(void) {
    const char *doc = "<CORSConfiguration><CORSRule><AllowedOrigin>https://*.example.com</AllowedOrigin>"
                      "<AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>";
    corsmatch_options opts;
    CHECK_RESULT(corsmatch_options_default(CORSMATCH_PROFILE_OSS, &opts), CORSMATCH_OK);
    opts.allow_credentials = false;
    opts.strict_origins = true;
    const corsmatch_ruleset *rules = compile(doc, strlen(doc), &opts);
    const corsmatch_ruleset *plain = compile(doc, strlen(doc), NULL);
    corsmatch_scratch *scratch = NULL;
    CHECK_RESULT(corsmatch_scratch_new(&scratch), CORSMATCH_OK);
    corsmatch_decision d;
    CHECK_RESULT(corsmatch_preflight(rules, scratch, S("https://a.example.com"), S("GET"), ABSENT, 0, ABSENT, ABSENT,
                                     &d),
                 CORSMATCH_OK);
    CHECK(d.status == 200 && find_header(&d, S("Access-Control-Allow-Credentials")) == NULL,
          "allow_credentials false still sends credentials");
    CHECK_RESULT(corsmatch_preflight(plain, scratch, S("https://a.example.com"), S("GET"), ABSENT, 0, ABSENT, ABSENT,
                                     &d),
                 CORSMATCH_OK);
    const corsmatch_str *cred = find_header(&d, S("Access-Control-Allow-Credentials"));
    CHECK(cred != NULL && str_eq(*cred, "true"), "default options send no credentials");
    const char *trick = "https://evil.com/.example.com";
    CHECK_RESULT(corsmatch_preflight(rules, scratch, trick, strlen(trick), S("GET"), ABSENT, 0, ABSENT, ABSENT, &d),
                 CORSMATCH_OK);
    CHECK(d.status == 403, "strict origins let %s through", trick);
    CHECK_RESULT(corsmatch_preflight(plain, scratch, trick, strlen(trick), S("GET"), ABSENT, 0, ABSENT, ABSENT, &d),
                 CORSMATCH_OK);
    CHECK(d.status == 200, "without strict origins %s should match (status %u)", trick, d.status);
    corsmatch_scratch_free(scratch);
    corsmatch_ruleset_free(rules);
    corsmatch_ruleset_free(plain);
}

/* corsmatch_ruleset_from_json: the JSON forms, the tool's profile, and every way to fail. */
static void test_from_json(void) {
    static const char console[] =
        "[{\"AllowedOrigins\": [\"https://a.example\"], \"AllowedMethods\": [\"PUT\"], \"ExposeHeaders\": [\"ETag\"]}]";
    const corsmatch_ruleset *rules = NULL;
    const corsmatch_error *error = NULL;
    corsmatch_profile used = 99;
    CHECK_RESULT(corsmatch_ruleset_from_json(S(console), ABSENT, CORSMATCH_PROFILE_AUTO, NULL, &rules, &used, &error),
                 CORSMATCH_OK);
    CHECK(used == CORSMATCH_PROFILE_S3, "the S3 console's JSON is for S3: %u", used);
    CHECK(corsmatch_ruleset_rule_count(rules) == 1, "one rule");
    corsmatch_scratch *scratch = NULL;
    CHECK_RESULT(corsmatch_scratch_new(&scratch), CORSMATCH_OK);
    corsmatch_decision d;
    CHECK_RESULT(corsmatch_preflight(rules, scratch, S("https://a.example"), S("PUT"), ABSENT, 0, ABSENT, ABSENT, &d),
                 CORSMATCH_OK);
    CHECK(d.status == 200, "the rule answers: %u", d.status);
    corsmatch_scratch_free(scratch);
    corsmatch_ruleset_free(rules);
    rules = NULL;

    /* A profile given wins; out_profile and out_error may be NULL. */
    CHECK_RESULT(corsmatch_ruleset_from_json(S(console), ABSENT, CORSMATCH_PROFILE_OSS, NULL, &rules, NULL, NULL),
                 CORSMATCH_OK);
    corsmatch_ruleset_free(rules);
    rules = NULL;

    /* The provider's refusal: a CORSMATCH_CONFIG_ERROR with its code. */
    static const char copy[] = "[{\"AllowedOrigins\": [\"*\"], \"AllowedMethods\": [\"COPY\"]}]";
    CHECK_RESULT(corsmatch_ruleset_from_json(S(copy), ABSENT, CORSMATCH_PROFILE_AUTO, NULL, &rules, NULL, &error),
                 CORSMATCH_CONFIG_ERROR);
    CHECK(rules == NULL, "no rule set on an error");
    CHECK(corsmatch_error_status(error) == 400, "status %u", corsmatch_error_status(error));
    corsmatch_str code = corsmatch_error_code(error);
    CHECK(code.len > 0, "the provider's code");
    corsmatch_error_free(error);
    error = NULL;

    /* Not a configuration: truncated JSON, XML, an unknown resource, nothing at all. */
    static const char truncated[] = "[{\"AllowedOrigins\": ";
    static const char xml[] = "<CORSConfiguration/>";
    const char *bad[] = {truncated, xml, console, ""};
    size_t lens[] = {sizeof truncated - 1, sizeof xml - 1, sizeof console - 1, 0};
    const char *resource[] = {NULL, NULL, "nope", NULL};
    for (size_t i = 0; i < 4; i++) {
        size_t rl = resource[i] ? strlen(resource[i]) : 0;
        CHECK_RESULT(corsmatch_ruleset_from_json(bad[i], lens[i], resource[i], rl, CORSMATCH_PROFILE_AUTO, NULL, &rules,
                                                 NULL, &error),
                     CORSMATCH_INVALID_DOCUMENT);
        CHECK(rules == NULL && error != NULL, "case %zu: an error handle", i);
        CHECK(corsmatch_error_status(error) == 0 && corsmatch_error_code(error).len == 0, "case %zu: no provider code", i);
        CHECK(corsmatch_error_message(error).len > 0 && corsmatch_error_detail(error).len > 0, "case %zu: says why", i);
        size_t len = 99;
        CHECK_RESULT(corsmatch_error_xml(error, ABSENT, ABSENT, NULL, 0, &len), CORSMATCH_OK);
        CHECK(len == 0, "case %zu: no provider body", i);
        corsmatch_error_free(error);
        error = NULL;
    }
    CHECK(str_eq_n(corsmatch_result_name(CORSMATCH_INVALID_DOCUMENT), "CORSMATCH_INVALID_DOCUMENT", 26), "its name");

    /* NULL pointers and bad arguments. */
    CHECK_RESULT(corsmatch_ruleset_from_json(S(console), ABSENT, CORSMATCH_PROFILE_AUTO, NULL, NULL, NULL, NULL),
                 CORSMATCH_NULL_PARAMETER);
    CHECK_RESULT(corsmatch_ruleset_from_json(NULL, 3, ABSENT, CORSMATCH_PROFILE_AUTO, NULL, &rules, NULL, NULL),
                 CORSMATCH_NULL_PARAMETER);
    CHECK_RESULT(corsmatch_ruleset_from_json(S(console), ABSENT, 7, NULL, &rules, NULL, NULL),
                 CORSMATCH_INVALID_ARGUMENT);
    CHECK_RESULT(corsmatch_ruleset_from_json(S(console), "\xff", 1, CORSMATCH_PROFILE_AUTO, NULL, &rules, NULL, NULL),
                 CORSMATCH_INVALID_UTF8);
    CHECK(rules == NULL, "nothing written");
    /* CORSMATCH_PROFILE_AUTO means nothing to the other functions. */
    CHECK_RESULT(corsmatch_ruleset_no_config(CORSMATCH_PROFILE_AUTO, &rules), CORSMATCH_INVALID_ARGUMENT);
}

int main(void) {
    test_null_and_free();
    test_zero_lengths();
    test_invalid_utf8_and_arguments();
    test_header_values();
    test_huge_inputs();
    test_documents();
    test_explain_buffer();
    test_lint();
    test_options();
    test_from_json();
    return tu_finish("bad_input_test");
}
