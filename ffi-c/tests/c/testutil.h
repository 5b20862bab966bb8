/* Shared helpers of the C tests: a CHECK macro that counts, and string helpers for the
 * pointer + length strings of the C ABI. Each test ends with the line "N passed, N failed". */
#ifndef CORSMATCH_TESTUTIL_H
#define CORSMATCH_TESTUTIL_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "corsmatch.h"

static int tu_passed;
static int tu_failed;

#define CHECK(cond, ...)                                                                 \
    do {                                                                                 \
        if (cond) {                                                                      \
            tu_passed++;                                                                 \
        } else {                                                                         \
            tu_failed++;                                                                 \
            fprintf(stderr, "%s:%d: CHECK(%s) failed: ", __FILE__, __LINE__, #cond);     \
            fprintf(stderr, __VA_ARGS__);                                                \
            fputc('\n', stderr);                                                         \
        }                                                                                \
    } while (0)

/* Checks a result code and names both codes when they differ. */
#define CHECK_RESULT(got, want)                                                          \
    do {                                                                                 \
        corsmatch_result tu_got_ = (got);                                                \
        corsmatch_result tu_want_ = (want);                                              \
        corsmatch_str tu_g_ = corsmatch_result_name(tu_got_);                            \
        corsmatch_str tu_w_ = corsmatch_result_name(tu_want_);                           \
        CHECK(tu_got_ == tu_want_, "got %.*s, want %.*s", (int)tu_g_.len, tu_g_.data,    \
              (int)tu_w_.len, tu_w_.data);                                               \
    } while (0)

static inline int tu_finish(const char *name) {
    printf("%s: %d passed, %d failed\n", name, tu_passed, tu_failed);
    return tu_failed == 0 ? 0 : 1;
}

/* Whether a library string equals the n bytes at p. */
static inline bool str_eq_n(corsmatch_str s, const char *p, size_t n) {
    return s.data != NULL && s.len == n && (n == 0 || memcmp(s.data, p, n) == 0);
}

/* Whether a library string equals a NUL-terminated C string. */
static inline bool str_eq(corsmatch_str s, const char *c) {
    return str_eq_n(s, c, strlen(c));
}

static inline bool ascii_ieq(const char *a, size_t alen, const char *b, size_t blen) {
    if (alen != blen) {
        return false;
    }
    for (size_t i = 0; i < alen; i++) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z') x = (char)(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z') y = (char)(y - 'A' + 'a');
        if (x != y) {
            return false;
        }
    }
    return true;
}

/* The value of a header of a decision (name compared ASCII-case-insensitively), or NULL. */
static inline const corsmatch_str *find_header(const corsmatch_decision *d, const char *name, size_t name_len) {
    for (size_t i = 0; i < d->header_count; i++) {
        if (ascii_ieq(d->headers[i].name.data, d->headers[i].name.len, name, name_len)) {
            return &d->headers[i].value;
        }
    }
    return NULL;
}

/* A NUL-terminated copy of the text of <name>...</name> in an XML body, with the three
 * escapes the error bodies use undone; NULL when the element is absent. Free it. */
static inline char *xml_element(corsmatch_str body, const char *name) {
    char open[64], close[64];
    snprintf(open, sizeof open, "<%s>", name);
    snprintf(close, sizeof close, "</%s>", name);
    char *text = malloc(body.len + 1);
    if (text == NULL) {
        abort();
    }
    memcpy(text, body.data, body.len);
    text[body.len] = '\0';
    char *start = strstr(text, open);
    char *end = start ? strstr(start, close) : NULL;
    if (start == NULL || end == NULL) {
        free(text);
        return NULL;
    }
    start += strlen(open);
    char *out = malloc((size_t)(end - start) + 1);
    if (out == NULL) {
        abort();
    }
    size_t n = 0;
    for (char *p = start; p < end;) {
        if (strncmp(p, "&lt;", 4) == 0) {
            out[n++] = '<';
            p += 4;
        } else if (strncmp(p, "&gt;", 4) == 0) {
            out[n++] = '>';
            p += 4;
        } else if (strncmp(p, "&amp;", 5) == 0) {
            out[n++] = '&';
            p += 5;
        } else {
            out[n++] = *p++;
        }
    }
    out[n] = '\0';
    free(text);
    return out;
}

#endif
