/* Compiles a bucket's CORS configuration and answers one preflight, as a server would.
 *
 *   ffi-c/build-c.sh     # builds the library and target/release/corsmatch.pc
 *   cc examples/c/preflight.c $(PKG_CONFIG_PATH=target/release pkg-config --cflags --libs corsmatch) -o preflight
 *   ./preflight [CONFIG.xml [ORIGIN [ACRM [ACRH]]]]    ("-" for a header the request lacks)
 *   ./preflight examples/oss-web-upload.xml https://www.example.com PUT content-type
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "corsmatch.h"

static char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        perror(path);
        return NULL;
    }
    char *buf = NULL;
    size_t cap = 0;
    *len = 0;
    for (;;) {
        if (*len == cap) {
            cap = cap ? cap * 2 : 4096;
            char *grown = realloc(buf, cap);
            if (grown == NULL) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = grown;
        }
        size_t n = fread(buf + *len, 1, cap - *len, f);
        if (n == 0) break;
        *len += n;
    }
    fclose(f);
    return buf;
}

/* Argument i, or `fallback` when not given; "-" means the header is absent: (NULL, 0). */
static const char *arg(int argc, char **argv, int i, const char *fallback, size_t *len) {
    const char *s = i < argc ? argv[i] : fallback;
    if (strcmp(s, "-") == 0) s = NULL;
    *len = s ? strlen(s) : 0;
    return s;
}

int main(int argc, char **argv) {
    const char *path = argc > 1 ? argv[1] : "examples/oss-web-upload.xml";
    size_t xml_len = 0;
    char *xml = read_file(path, &xml_len);
    if (xml == NULL) return 2;

    const corsmatch_ruleset *rules = NULL;
    const corsmatch_error *error = NULL;
    corsmatch_result r = corsmatch_ruleset_new(xml, xml_len, CORSMATCH_PROFILE_OSS, NULL, &rules, &error);
    free(xml);
    if (r == CORSMATCH_CONFIG_ERROR) {
        /* What the provider answers to PutBucketCors with this document. */
        corsmatch_str code = corsmatch_error_code(error), message = corsmatch_error_message(error);
        printf("%u %.*s: %.*s\n", corsmatch_error_status(error), (int)code.len, code.data, (int)message.len,
               message.data);
        corsmatch_error_free(error);
        return 1;
    }
    if (r != CORSMATCH_OK) {
        corsmatch_str name = corsmatch_result_name(r);
        fprintf(stderr, "corsmatch_ruleset_new: %.*s\n", (int)name.len, name.data);
        return 2;
    }

    corsmatch_scratch *scratch = NULL; /* one per thread, reused across requests */
    if (corsmatch_scratch_new(&scratch) != CORSMATCH_OK) return 2;

    size_t origin_len, acrm_len, acrh_len;
    const char *origin = arg(argc, argv, 2, "https://www.example.com", &origin_len);
    const char *acrm = arg(argc, argv, 3, "PUT", &acrm_len);
    const char *acrh = arg(argc, argv, 4, "content-type,x-oss-meta-author", &acrh_len);

    corsmatch_decision d;
    r = corsmatch_preflight(rules, scratch, origin, origin_len, acrm, acrm_len, acrh, acrh_len,
                            CORSMATCH_TARGET_OBJECT, NULL, 0, NULL, 0, &d);
    if (r != CORSMATCH_OK) {
        corsmatch_str name = corsmatch_result_name(r);
        fprintf(stderr, "corsmatch_preflight: %.*s\n", (int)name.len, name.data);
        return 2;
    }
    printf("status: %u\n", d.status);
    if (d.rule >= 0) printf("rule: %lld\n", (long long)d.rule);
    for (size_t i = 0; i < d.header_count; i++) {
        printf("%.*s: %.*s\n", (int)d.headers[i].name.len, d.headers[i].name.data, (int)d.headers[i].value.len,
               d.headers[i].value.data);
    }
    if (d.refused) {
        printf("Content-Type: application/xml\n\n%.*s\n", (int)d.error_body.len, d.error_body.data);
    }

    corsmatch_scratch_free(scratch);
    corsmatch_ruleset_free(rules);
    return 0;
}
