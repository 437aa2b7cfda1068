/*
 * Fast SVMlight / LibSVM / LETOR text parser for boostrank.data.libsvm.
 *
 * Two functions over a buffer of complete lines (the Python layer cuts the file into
 * line-aligned chunks, handles decompression, sidecars, qid/sidecar logic and error messages):
 *
 *   count(buf, allow_nan, n_parts, fast=False) -> [(start, stop, n_rows, n_newlines, nnz,
 *        min_idx, max_idx, max_row_nnz, first_qid_off, first_noqid_off, n_commented), ...]
 *       splits the buffer into n_parts line-aligned parts, checks labels, qids and indices
 *       and counts what the allocation needs, one thread per part. fast=True assumes rows
 *       with ascending indices (then fill(..., fast=True) fails with "retry" on any other).
 *
 *   fill(buf, parts, base, n_features, allow_nan, max_row_nnz, y, qid, source_row, X, data,
 *        indices, indptr, comments, fast=False) -> (n_rows, nnz)
 *       parts = [(start, stop, row0, nnz0, line0, n_rows)]: parses the numbers of each part
 *       (one thread each, without the GIL) straight into caller-allocated buffers: y float64,
 *       qid int64, source_row int64 (1-based line), X dense row-major float32/float64 (or
 *       None), CSR data float32/float64 + indices int32 + indptr int64 (or None); comments is
 *       a list to append one str per row (or None).
 *
 * Errors raise ParseError(code, byte_offset_of_the_offending_token); with several parts the
 * error earliest in the buffer wins.
 *
 * Numbers: the grammar is [+-]? (digits [. digits?] | . digits) ([eE] [+-]? digits)?
 * or [+-]? (nan | inf | infinity), case-insensitive. Values are exactly what Python's
 * float() (correctly rounded) returns: up to 19 digits with a decimal exponent within +-22
 * take Clinger's exact fast path (an integer below 2^53 times or divided by an exact power of
 * ten is one correctly rounded IEEE operation); everything else goes through glibc's
 * correctly rounded strtod_l in the "C" locale, or PyOS_string_to_double elsewhere.
 * Compile without -ffast-math (and with SSE2 on x86, the default on x86-64).
 */
#define PY_SSIZE_T_CLEAN
#if defined(__linux__) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE
#endif
#include <Python.h>

#include <locale.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifndef _WIN32
#include <pthread.h>
#define HAVE_THREADS 1
#endif
#define MAX_PARTS 64

static PyObject *ParseError;

static const double POW10[23] = {
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

/* character classes (filled at import): space, end of token, digit */
static unsigned char CLS[256];
#define C_SPACE 1
#define C_END 2
#define C_DIGIT 4
#define IS_SPACE(c) (CLS[(unsigned char)(c)] & C_SPACE)
#define IS_DIGIT(c) (CLS[(unsigned char)(c)] & C_DIGIT)
#define IS_END(c) (CLS[(unsigned char)(c)] & C_END)

static void init_classes(void)
{
    const char *spaces = " \t\r\v\f";
    for (const char *p = spaces; *p; p++) CLS[(unsigned char)*p] |= C_SPACE | C_END;
    CLS[(unsigned char)'#'] |= C_END;
    CLS[(unsigned char)'\n'] |= C_END;
    for (int d = '0'; d <= '9'; d++) CLS[d] |= C_DIGIT;
}

enum {
    E_OK = 0,
    E_LABEL,      /* label is not a number */
    E_LABEL_NAN,  /* label is nan/inf */
    E_QID,        /* qid: with a missing or non-integer value */
    E_QID_POS,    /* qid: anywhere but right after the label */
    E_INDEX,      /* feature token without an integer index and a colon */
    E_INDEX_BIG,  /* index does not fit the int32 index type */
    E_NO_VALUE,   /* idx: with no value */
    E_VALUE,      /* value is not a number */
    E_VALUE_NAN,  /* value is nan/inf */
    E_BELOW_BASE, /* index below the base (negative, or 0 when one-based) */
    E_RANGE,      /* index beyond n_features */
    E_DUPLICATE,  /* index repeated in one line */
    E_OVERFLOW32, /* finite value that becomes inf in float32 */
    E_RETRY,      /* fast first pass: a row is not sorted, count it the careful way */
    E_MEMORY,
    E_PYTHON,     /* a Python exception is already set */
};

static const char *ERROR_CODES[] = {
    "ok", "label", "label_nan", "qid", "qid_position", "index", "index_too_large",
    "no_value", "value", "value_nan", "below_base", "out_of_range", "duplicate",
    "value_overflow", "retry", "memory", "python",
};

static const char *skip_space(const char *p, const char *end)
{
    while (p < end && IS_SPACE(*p)) p++;
    return p;
}

static const char *token_end(const char *p, const char *end)
{
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    /* eight bytes at a time: find the first byte <= 0x20 or '#', then check it exactly */
    const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    while (end - p >= 8) {
        uint64_t x;
        memcpy(&x, p, 8);
        uint64_t hash = x ^ (ones * '#');
        uint64_t flags = ((x - ones * 0x21) & ~x & highs) | ((hash - ones) & ~hash & highs);
        if (flags == 0) {
            p += 8;
            continue;
        }
        p += __builtin_ctzll(flags) >> 3;
        if (IS_END(*p)) return p;
        p++; /* another control byte: part of the token */
    }
#endif
    while (p < end && !IS_END(*p)) p++;
    return p;
}

static int match_word(const char *p, const char *end, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(end - p) < n) return 0;
    for (size_t i = 0; i < n; i++) {
        if ((p[i] | 0x20) != word[i]) return 0;
    }
    return 1;
}

/*
 * Slow path: exactly Python's float() on the token [s, e) (already checked against the
 * grammar). glibc's strtod is correctly rounded too and needs no GIL (with the "C" locale);
 * elsewhere the GIL is taken for PyOS_string_to_double. Returns 0 on success.
 */
#if defined(__GLIBC__)
static locale_t C_LOCALE;
#endif

static int slow_double(const char *s, const char *e, double *out)
{
    char small[128];
    size_t n = (size_t)(e - s);
    char *tmp = n < sizeof(small) ? small : (char *)malloc(n + 1);
    if (tmp == NULL) return -1;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    int rc = 0;
#if defined(__GLIBC__)
    char *stop;
    double v = strtod_l(tmp, &stop, C_LOCALE);
    if (stop != tmp + n) rc = -1;
#else
    PyGILState_STATE gil = PyGILState_Ensure();
    double v = PyOS_string_to_double(tmp, NULL, NULL);
    if (v == -1.0 && PyErr_Occurred()) {
        PyErr_Clear();
        rc = -1;
    }
    PyGILState_Release(gil);
#endif
    if (tmp != small) free(tmp);
    *out = v;
    return rc;
}

static const uint64_t POW10_INT[9] = {
    1ULL, 10ULL, 100ULL, 1000ULL, 10000ULL, 100000ULL, 1000000ULL, 10000000ULL, 100000000ULL,
};

/*
 * Consume the digits at p, folding them into *m (m = m * 10^len + digits; wraps beyond 19
 * digits, which the caller sends to the slow path). Eight bytes at a time where the buffer
 * allows: the run length comes from a bit mask, the value from three multiplications, so
 * the variable-length digit runs cost no mispredicted loop exits.
 */
static inline const char *scan_digits(const char *p, const char *end, uint64_t *m)
{
    uint64_t acc = *m;
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    while (end - p >= 8) {
        uint64_t x;
        memcpy(&x, p, 8);
        uint64_t t = x - 0x3030303030303030ULL;
        /* high bit of a byte set iff it is not a digit (exact up to the first such byte) */
        uint64_t bad = ((t + 0x7676767676767676ULL) | t) & 0x8080808080808080ULL;
        int len = bad ? __builtin_ctzll(bad) >> 3 : 8;
        if (len == 0) break;
        uint64_t v = t << (8 * (8 - len)); /* the run's digits, right-aligned, zeros before */
        v = ((v & 0x0F0F0F0F0F0F0F0FULL) * 2561) >> 8;
        v = ((v & 0x00FF00FF00FF00FFULL) * 6553601) >> 16;
        v = ((v & 0x0000FFFF0000FFFFULL) * 42949672960001ULL) >> 32;
        acc = acc * POW10_INT[len] + v;
        p += len;
        if (len < 8) {
            *m = acc;
            return p;
        }
    }
#endif
    while (p < end && IS_DIGIT(*p)) {
        acc = acc * 10 + (uint64_t)(*p - '0');
        p++;
    }
    *m = acc;
    return p;
}

/*
 * Scan one number starting at p (not beyond end). Returns the end of the number, NULL when
 * there is none. *special: 0 finite, 1 nan, 2 inf (also after an overflowing conversion).
 */
static const char *scan_number(const char *p, const char *end, double *out, int *special)
{
    const char *s = p;
    int neg = 0;
    *special = 0;
    if (p < end && (*p == '+' || *p == '-')) {
        neg = (*p == '-');
        p++;
    }
    const char *ds = p;
    uint64_t m = 0; /* wraps beyond 19 digits: those numbers take the slow path */
    p = scan_digits(p, end, &m);
    int64_t ndig = (int64_t)(p - ds), exp10 = 0;
    if (p < end && *p == '.') {
        p++;
        const char *fs = p;
        p = scan_digits(p, end, &m);
        ndig += (int64_t)(p - fs);
        exp10 = -(int64_t)(p - fs);
    }
    if (ndig == 0) {
        if (p != ds) return NULL; /* a lone "." */
        if (match_word(p, end, "nan")) {
            *special = 1;
            *out = neg ? -NAN : NAN;
            return p + 3;
        }
        if (match_word(p, end, "infinity")) p += 8;
        else if (match_word(p, end, "inf")) p += 3;
        else return NULL;
        *special = 2;
        *out = neg ? -INFINITY : INFINITY;
        return p;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        const char *q = p + 1;
        int eneg = 0;
        int64_t e = 0;
        if (q < end && (*q == '+' || *q == '-')) { eneg = (*q == '-'); q++; }
        if (q >= end || !IS_DIGIT(*q)) return NULL;
        while (q < end && IS_DIGIT(*q)) {
            if (e < 100000000) e = e * 10 + (*q - '0');
            q++;
        }
        exp10 += eneg ? -e : e;
        p = q;
    }
    double v;
    if (ndig <= 19 && m == 0) {
        v = neg ? -0.0 : 0.0;
    } else if (ndig <= 19 && m <= (1ULL << 53) && exp10 >= -22 && exp10 <= 22) {
        /* Clinger's fast path: both operands exact, one correctly rounded operation */
        v = (double)(int64_t)m; /* exact: m <= 2^53 (the signed conversion is cheaper) */
        if (exp10 < 0) v /= POW10[-exp10];
        else v *= POW10[exp10];
        if (neg) v = -v;
    } else {
        if (slow_double(s, p, &v) != 0) return NULL;
        if (isinf(v)) *special = 2;
    }
    *out = v;
    return p;
}

/* Parse [+-]?digits as int64 in [p, e); returns 0 on success. */
static int parse_int64(const char *p, const char *e, int64_t *out)
{
    int neg = 0;
    uint64_t v = 0;
    if (p < e && (*p == '+' || *p == '-')) { neg = (*p == '-'); p++; }
    if (p >= e) return -1;
    for (; p < e; p++) {
        if (!IS_DIGIT(*p)) return -1;
        v = v * 10 + (uint64_t)(*p - '0');
        if (v > (uint64_t)INT64_MAX + (uint64_t)neg) return -1;
    }
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return 0;
}

typedef struct {
    int64_t idx;
    int64_t pos; /* position in the row (file order) */
} Entry;

static int cmp_entry(const void *a, const void *b)
{
    const Entry *x = (const Entry *)a, *y = (const Entry *)b;
    if (x->idx != y->idx) return x->idx < y->idx ? -1 : 1;
    return x->pos < y->pos ? -1 : (x->pos > y->pos);
}

typedef struct {
    int allow_nan;
    int fast;       /* the first pass assumed sorted rows: an unsorted one fails with E_RETRY */
    /* count results */
    int64_t n_rows, n_newlines, nnz, min_idx, max_idx, max_row_nnz;
    int64_t first_qid_off, first_noqid_off, n_commented;
    /* fill inputs */
    int64_t row0, nnz0, line0, base, n_features, rows_base;
    double *y;
    int64_t *qid, *srow;
    char *X;        /* dense, row-major */
    int x_double;   /* X or data is float64 (else float32) */
    char *data;
    int32_t *indices;
    int64_t *indptr;
    int64_t *cspan; /* comment [start, end) byte offsets per row, or NULL */
    /* row temporaries (fill) */
    int64_t cap;
    int64_t *tidx;
    double *tval;
    int64_t *toff;
    Entry *tent;
    /* error */
    int err;
    int64_t err_off;
} Ctx;

static int fail(Ctx *c, int code, const char *buf, const char *at)
{
    c->err = code;
    c->err_off = (int64_t)(at - buf);
    return -1;
}

static inline void store(char *base, int is_double, int64_t i, double v)
{
    if (is_double) ((double *)base)[i] = v;
    else ((float *)base)[i] = (float)v;
}

/* Resize the temporary array c->field to cap elements of its own type; on failure the old
   block stays in c->field (freed by free_temps) and the enclosing function returns -1. */
#define RESIZE_TEMP(field, cap)                                                 \
    do {                                                                        \
        void *block_ = realloc(c->field, (size_t)(cap) * sizeof *c->field);     \
        if (block_ == NULL) return -1;                                          \
        c->field = block_;                                                      \
    } while (0)

static int grow(Ctx *c, int64_t need)
{
    int64_t cap = c->cap ? c->cap : 64;
    while (cap < need) cap *= 2;
    RESIZE_TEMP(tidx, cap);
    RESIZE_TEMP(tval, cap);
    RESIZE_TEMP(toff, cap);
    RESIZE_TEMP(tent, cap);
    c->cap = cap;
    return 0;
}

#undef RESIZE_TEMP

static void free_temps(Ctx *c)
{
    free(c->tidx);
    free(c->tval);
    free(c->toff);
    free(c->tent);
    c->tidx = NULL;
    c->tval = NULL;
    c->toff = NULL;
    c->tent = NULL;
    c->cap = 0;
}

/* ------------------------------------------------------------------ line helpers */
/*
 * The next line of [*p, end): *q is its first non-space byte and *le its end; *p moves past
 * the newline (counted in n_newlines). Returns 0 for a blank or comment-only line.
 */
static int next_line(Ctx *c, const char **p, const char *end, const char **q, const char **le)
{
    const char *nl = (const char *)memchr(*p, '\n', (size_t)(end - *p));
    *le = nl ? nl : end;
    *q = skip_space(*p, *le);
    *p = nl ? nl + 1 : end;
    if (nl) c->n_newlines++;
    return !(*q == *le || **q == '#');
}

/*
 * An optional "qid:N" token at q (the line's data ends at le). Returns the position after it
 * and its spaces (q itself when there is none), or NULL when N is not an integer; *has_qid
 * and *qv report the token.
 */
static const char *scan_qid(const char *q, const char *le, int *has_qid, int64_t *qv)
{
    *has_qid = 0;
    if (le - q < 4 || memcmp(q, "qid:", 4) != 0) return q;
    const char *te = token_end(q, le);
    if (parse_int64(q + 4, te, qv) != 0) return NULL;
    *has_qid = 1;
    return skip_space(te, le);
}

/* Record the offset of the first row with (and without) a qid: token, at qpos. */
static void note_qid(Ctx *c, int has_qid, const char *buf, const char *qpos)
{
    int64_t off = (int64_t)(qpos - buf);
    if (has_qid && c->first_qid_off < 0) c->first_qid_off = off;
    if (!has_qid && c->first_noqid_off < 0) c->first_noqid_off = off;
}

/*
 * The label and the optional qid: token of a line whose first non-space byte is q (its data
 * ends at le). Returns the position of the first feature token, or NULL with the error in c;
 * *qpos is where the qid: token is (or would be).
 */
static const char *scan_head(Ctx *c, const char *buf, const char *q, const char *le,
                             double *label, int *has_qid, int64_t *qv, const char **qpos)
{
    int special;
    const char *r = scan_number(q, le, label, &special);
    if (r == NULL || (r < le && !IS_END(*r))) {
        fail(c, E_LABEL, buf, q);
        return NULL;
    }
    if (special && !c->allow_nan) {
        fail(c, E_LABEL_NAN, buf, q);
        return NULL;
    }
    *qpos = skip_space(r, le);
    const char *rest = scan_qid(*qpos, le, has_qid, qv);
    if (rest == NULL) fail(c, E_QID, buf, *qpos);
    return rest;
}

/* First pass over lines in [start, end): labels, structure, qid and indices; counts. */
static int count_buffer(Ctx *c, const char *buf, Py_ssize_t start, Py_ssize_t stop)
{
    const char *p = buf + start, *end = buf + stop, *q, *le;
    while (p < end) {
        if (!next_line(c, &p, end, &q, &le)) continue; /* blank or comment-only line */
        double label;
        int has_qid;
        int64_t qv;
        const char *qpos;
        q = scan_head(c, buf, q, le, &label, &has_qid, &qv, &qpos);
        if (q == NULL) return -1;
        note_qid(c, has_qid, buf, qpos);
        int64_t k = 0;
        while (q < le && *q != '#') {
            const char *tok = q;
            if (*q == 'q' && le - q >= 4 && memcmp(q, "qid:", 4) == 0)
                return fail(c, E_QID_POS, buf, tok);
            int neg = 0;
            if (*q == '+' || *q == '-') { neg = (*q == '-'); q++; }
            const char *ds = q;
            int64_t idx = 0;
            while (q < le && IS_DIGIT(*q)) {
                if (idx <= INT32_MAX) idx = idx * 10 + (*q - '0');
                q++;
            }
            if (q == ds || q >= le || *q != ':') return fail(c, E_INDEX, buf, tok);
            if (neg && idx != 0) return fail(c, E_BELOW_BASE, buf, tok);
            if (idx > INT32_MAX - 1) return fail(c, E_INDEX_BIG, buf, tok);
            q++; /* ':' */
            if (q >= le || IS_END(*q)) return fail(c, E_NO_VALUE, buf, tok);
            q = skip_space(token_end(q, le), le);
            if (idx < c->min_idx) c->min_idx = idx;
            if (idx > c->max_idx) c->max_idx = idx;
            k++;
        }
        if (q < le) c->n_commented++;
        if (k > c->max_row_nnz) c->max_row_nnz = k;
        c->n_rows++;
        c->nnz += k;
    }
    return 0;
}

/* Number of ':' bytes in [p, end). */
static int64_t count_colons(const char *p, const char *end)
{
    int64_t n = 0;
#if defined(__GNUC__)
    const uint64_t ones = 0x0101010101010101ULL, low7 = 0x7F7F7F7F7F7F7F7FULL;
    while (end - p >= 8) {
        uint64_t x;
        memcpy(&x, p, 8);
        x ^= ones * ':';
        /* exact: the high bit of each byte is set iff that byte was ':' */
        uint64_t zero = ~(((x & low7) + low7) | x | low7);
        n += __builtin_popcountll(zero);
        p += 8;
    }
#endif
    for (; p < end; p++) n += (*p == ':');
    return n;
}

/* Index of the feature token at p ([+-]?digits ':'), or -1 when it is not one. */
static int64_t token_index(const char *p, const char *end)
{
    int neg = 0;
    if (p < end && (*p == '+' || *p == '-')) { neg = (*p == '-'); p++; }
    const char *ds = p;
    int64_t idx = 0;
    while (p < end && IS_DIGIT(*p)) {
        if (idx <= INT32_MAX) idx = idx * 10 + (*p - '0');
        p++;
    }
    if (p == ds || p >= end || *p != ':' || (neg && idx != 0)) return -1;
    return idx;
}

/*
 * Fast first pass for rows whose indices ascend (nearly every file): entries are counted as
 * colons before the comment, the index range comes from each row's first and last token.
 * fill() in fast mode checks the assumption (E_RETRY otherwise); any error falls back to
 * count_buffer, which names the offending token.
 */
static int count_fast_buffer(Ctx *c, const char *buf, Py_ssize_t start, Py_ssize_t stop)
{
    const char *p = buf + start, *end = buf + stop, *q, *le;
    while (p < end) {
        if (!next_line(c, &p, end, &q, &le)) continue;
        const char *hash = (const char *)memchr(q, '#', (size_t)(le - q));
        const char *de = hash ? hash : le;
        if (hash) c->n_commented++;
        const char *qpos = skip_space(token_end(q, de), de); /* label: checked by fill */
        int has_qid;
        int64_t qv;
        q = scan_qid(qpos, de, &has_qid, &qv);
        if (q == NULL) return fail(c, E_QID, buf, qpos);
        note_qid(c, has_qid, buf, qpos);
        const char *e = de;
        while (e > q && IS_SPACE(e[-1])) e--;
        int64_t k = 0;
        if (e > q) {
            k = count_colons(q, e);
            const char *last = e;
            while (last > q && !IS_SPACE(last[-1])) last--;
            int64_t first_idx = token_index(q, e), last_idx = token_index(last, e);
            if (first_idx < 0 || last_idx < 0 || first_idx > INT32_MAX - 1 ||
                last_idx > INT32_MAX - 1)
                return fail(c, E_RETRY, buf, q);
            if (first_idx < c->min_idx) c->min_idx = first_idx;
            if (last_idx > c->max_idx) c->max_idx = last_idx;
        }
        if (k > c->max_row_nnz) c->max_row_nnz = k;
        c->n_rows++;
        c->nnz += k;
    }
    return 0;
}

/* Sort the k entries of an unsorted row by index (c->tent); a repeated index is E_DUPLICATE
 * at its later occurrence. */
static int sort_row(Ctx *c, const char *buf, int64_t k)
{
    for (int64_t i = 0; i < k; i++) { c->tent[i].idx = c->tidx[i]; c->tent[i].pos = i; }
    qsort(c->tent, (size_t)k, sizeof(Entry), cmp_entry);
    for (int64_t i = 1; i < k; i++) {
        if (c->tent[i].idx == c->tent[i - 1].idx) {
            int64_t later = c->tent[i].pos > c->tent[i - 1].pos ? c->tent[i].pos
                                                                : c->tent[i - 1].pos;
            return fail(c, E_DUPLICATE, buf, buf + c->toff[later]);
        }
    }
    return 0;
}

/* Write row's CSR entries from the temporaries (not in fast mode, which wrote them already),
 * its indptr and its comment span (the text after '#' at q, up to le, trimmed). */
static void finish_row(Ctx *c, const char *buf, int64_t row, int64_t k, int sorted,
                       const char *q, const char *le)
{
    if (c->data != NULL) {
        int64_t pos = c->nnz0 + c->nnz;
        for (int64_t i = 0; i < k && !c->fast; i++) {
            int64_t src = sorted ? i : c->tent[i].pos;
            c->indices[pos + i] = (int32_t)c->tidx[src];
            store(c->data, c->x_double, pos + i, c->tval[src]);
        }
        c->indptr[row + 1] = pos + k;
    }
    if (c->cspan != NULL) {
        int64_t *span = c->cspan + 2 * (row - c->rows_base);
        span[0] = span[1] = 0;
        if (q < le) {
            const char *cs = skip_space(q + 1, le), *ce = le;
            while (ce > cs && IS_SPACE(ce[-1])) ce--;
            span[0] = (int64_t)(cs - buf);
            span[1] = (int64_t)(ce - buf);
        }
    }
}

/* Second pass over [start, end): numbers and the checks that need the layout; writes. */
static int fill_buffer(Ctx *c, const char *buf, Py_ssize_t start, Py_ssize_t stop)
{
    const char *p = buf + start, *end = buf + stop;
    const int64_t F = c->n_features, base = c->base;
    const int check32 = !c->x_double && !c->allow_nan;
    const char *q, *le;
    while (p < end) {
        int64_t line = c->line0 + c->n_newlines + 1;
        if (!next_line(c, &p, end, &q, &le)) continue;

        double label;
        int has_qid, special;
        int64_t qv = 0;
        const char *qpos, *r;
        q = scan_head(c, buf, q, le, &label, &has_qid, &qv, &qpos);
        if (q == NULL) return -1;
        const int64_t row = c->row0 + c->n_rows;
        int64_t k = 0, prev = -1;
        int sorted = 1;
        while (q < le && *q != '#') {
            const char *tok = q;
            if (*q == '+' || *q == '-') q++;
            int64_t idx = 0;
            while (q < le && IS_DIGIT(*q)) { idx = idx * 10 + (*q - '0'); q++; }
            if (q >= le || *q != ':' || idx > INT32_MAX) return fail(c, E_INDEX, buf, tok);
            q++;
            double v;
            r = scan_number(q, le, &v, &special);
            if (r == NULL || (r < le && !IS_END(*r))) return fail(c, E_VALUE, buf, tok);
            if (special && !c->allow_nan) return fail(c, E_VALUE_NAN, buf, tok);
            int64_t j = idx - base;
            if (j < 0) return fail(c, E_BELOW_BASE, buf, tok);
            if (j >= F) return fail(c, E_RANGE, buf, tok);
            if (check32 && isinf((float)v)) return fail(c, E_OVERFLOW32, buf, tok);
            if (idx <= prev) {
                if (c->fast) return fail(c, E_RETRY, buf, tok);
                sorted = 0;
            }
            prev = idx;
            if (c->X != NULL) store(c->X, c->x_double, row * F + j, v);
            if (c->fast) { /* ascending indices: no temporaries, CSR entries go straight out */
                if (c->data != NULL) {
                    int64_t at = c->nnz0 + c->nnz + k;
                    c->indices[at] = (int32_t)j;
                    store(c->data, c->x_double, at, v);
                }
                k++;
                q = skip_space(r, le);
                continue;
            }
            if (k >= c->cap && grow(c, k + 1) != 0) return fail(c, E_MEMORY, buf, tok);
            c->tidx[k] = j;
            c->tval[k] = v;
            c->toff[k] = (int64_t)(tok - buf);
            k++;
            q = skip_space(r, le);
        }
        if (!sorted && sort_row(c, buf, k) != 0) return -1;
        c->y[row] = label;
        c->qid[row] = qv;
        c->srow[row] = line;
        finish_row(c, buf, row, k, sorted, q, le);
        c->n_rows++;
        c->nnz += k;
    }
    return 0;
}

/* ------------------------------------------------------------------ parts and threads */
typedef struct {
    Ctx *ctx;
    const char *buf;
    Py_ssize_t start, stop;
    int fill;
    int rc;
} Job;

static void *run_job(void *arg)
{
    Job *job = (Job *)arg;
    if (job->fill) job->rc = fill_buffer(job->ctx, job->buf, job->start, job->stop);
    else if (job->ctx->fast) job->rc = count_fast_buffer(job->ctx, job->buf, job->start, job->stop);
    else job->rc = count_buffer(job->ctx, job->buf, job->start, job->stop);
    return NULL;
}

/* Run the jobs, in threads where available; the caller has released the GIL. */
static void run_jobs(Job *jobs, int n)
{
#ifdef HAVE_THREADS
    pthread_t threads[MAX_PARTS];
    int started[MAX_PARTS] = {0};
    for (int i = 1; i < n; i++) {
        started[i] = pthread_create(&threads[i], NULL, run_job, &jobs[i]) == 0;
        if (!started[i]) run_job(&jobs[i]);
    }
    if (n > 0) run_job(&jobs[0]);
    for (int i = 1; i < n; i++) {
        if (started[i]) pthread_join(threads[i], NULL);
    }
#else
    for (int i = 0; i < n; i++) run_job(&jobs[i]);
#endif
}

/* The part whose error comes first in the buffer, or -1. */
static int first_error(Ctx *ctx, Job *jobs, int n)
{
    int best = -1;
    for (int i = 0; i < n; i++) {
        if (jobs[i].rc != 0 && (best < 0 || ctx[i].err_off < ctx[best].err_off)) best = i;
    }
    return best;
}

static PyObject *raise_error(Ctx *c)
{
    if (c->err == E_MEMORY) return PyErr_NoMemory();
    PyObject *args = Py_BuildValue("(sL)", ERROR_CODES[c->err], (long long)c->err_off);
    if (args != NULL) {
        PyErr_SetObject(ParseError, args);
        Py_DECREF(args);
    }
    return NULL;
}

static PyObject *py_count(PyObject *self, PyObject *args)
{
    Py_buffer view;
    int allow_nan, n_parts, fast = 0;
    (void)self;
    if (!PyArg_ParseTuple(args, "y*pi|p", &view, &allow_nan, &n_parts, &fast)) return NULL;
    if (n_parts < 1) n_parts = 1;
    if (n_parts > MAX_PARTS) n_parts = MAX_PARTS;
    const char *buf = (const char *)view.buf;
    Py_ssize_t n = view.len;
    Ctx ctx[MAX_PARTS];
    Job jobs[MAX_PARTS];
    int used = 0;
    Py_ssize_t start = 0;
    for (int i = 0; i < n_parts && start < n; i++) {
        Py_ssize_t stop = n;
        if (i < n_parts - 1) {
            Py_ssize_t target = start + (n - start) / (n_parts - i);
            const char *nl = target < n ? (const char *)memchr(buf + target, '\n',
                                                               (size_t)(n - target)) : NULL;
            stop = nl ? (Py_ssize_t)(nl - buf) + 1 : n;
        }
        memset(&ctx[used], 0, sizeof(Ctx));
        ctx[used].allow_nan = allow_nan;
        ctx[used].fast = fast;
        ctx[used].min_idx = INT64_MAX;
        ctx[used].max_idx = -1;
        ctx[used].first_qid_off = -1;
        ctx[used].first_noqid_off = -1;
        jobs[used] = (Job){&ctx[used], buf, start, stop, 0, 0};
        used++;
        start = stop;
    }
    Py_BEGIN_ALLOW_THREADS
    run_jobs(jobs, used);
    Py_END_ALLOW_THREADS
    PyObject *result = NULL;
    int bad = first_error(ctx, jobs, used);
    if (bad >= 0) {
        raise_error(&ctx[bad]);
    } else if ((result = PyList_New(used)) != NULL) {
        for (int i = 0; i < used; i++) {
            Ctx *c = &ctx[i];
            PyObject *item = Py_BuildValue(
                "(nnLLLLLLLLL)", jobs[i].start, jobs[i].stop, (long long)c->n_rows,
                (long long)c->n_newlines, (long long)c->nnz, (long long)c->min_idx,
                (long long)c->max_idx, (long long)c->max_row_nnz, (long long)c->first_qid_off,
                (long long)c->first_noqid_off, (long long)c->n_commented);
            if (item == NULL) {
                Py_CLEAR(result);
                break;
            }
            PyList_SET_ITEM(result, i, item);
        }
    }
    PyBuffer_Release(&view);
    return result;
}

/* Get a writable buffer of the given item size, or NULL view->buf when obj is None. */
static int get_out(PyObject *obj, Py_buffer *view, const char *name, int itemsize_a,
                   int itemsize_b)
{
    memset(view, 0, sizeof(*view));
    if (obj == Py_None) return 0;
    if (PyObject_GetBuffer(obj, view, PyBUF_WRITABLE | PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) != 0)
        return -1;
    if (view->itemsize != itemsize_a && view->itemsize != itemsize_b) {
        PyErr_Format(PyExc_TypeError, "%s has item size %zd", name, view->itemsize);
        PyBuffer_Release(view);
        view->buf = NULL;
        return -1;
    }
    return 0;
}

static int append_comments(PyObject *list, const char *buf, const int64_t *span, int64_t n)
{
    PyObject *empty = PyUnicode_FromStringAndSize("", 0);
    if (empty == NULL) return -1;
    for (int64_t i = 0; i < n; i++) {
        PyObject *text;
        if (span[2 * i] == span[2 * i + 1]) {
            text = empty;
            Py_INCREF(text);
        } else {
            text = PyUnicode_DecodeUTF8(buf + span[2 * i],
                                        (Py_ssize_t)(span[2 * i + 1] - span[2 * i]), "replace");
            if (text == NULL) {
                Py_DECREF(empty);
                return -1;
            }
        }
        int rc = PyList_Append(list, text);
        Py_DECREF(text);
        if (rc != 0) {
            Py_DECREF(empty);
            return -1;
        }
    }
    Py_DECREF(empty);
    return 0;
}

/* Check what fill() was given besides the buffers; sets a Python error and returns -1. */
static int check_fill_args(Py_buffer *vy, Py_buffer *vqid, Py_buffer *vsrow, Py_buffer *vdata,
                           Py_buffer *vind, Py_buffer *vptr, PyObject *ocomments,
                           PyObject *oparts)
{
    const char *problem = NULL;
    if (vy->buf == NULL || vqid->buf == NULL || vsrow->buf == NULL)
        problem = "y, qid and source_row are required";
    else if ((vdata->buf != NULL) != (vind->buf != NULL) ||
             (vdata->buf != NULL) != (vptr->buf != NULL))
        problem = "give data, indices and indptr together";
    else if (ocomments != Py_None && !PyList_Check(ocomments))
        problem = "comments must be a list or None";
    else if (!PyList_Check(oparts) || PyList_GET_SIZE(oparts) > MAX_PARTS)
        problem = "parts must be a list of at most 64 tuples";
    if (problem == NULL) return 0;
    PyErr_SetString(PyExc_TypeError, problem);
    return -1;
}

/* One part (start, stop, row0, nnz0, line0, n_rows) of fill() into c; n_rows goes to
 * c->n_rows for the caller to read. Sets a Python error and returns -1 when it is bad. */
static int parse_part(PyObject *item, Py_ssize_t len, Ctx *c, Py_ssize_t *start,
                      Py_ssize_t *stop)
{
    long long row0, nnz0, line0, n_rows;
    if (!PyArg_ParseTuple(item, "nnLLLL", start, stop, &row0, &nnz0, &line0, &n_rows))
        return -1;
    if (*start < 0 || *stop > len || *start > *stop) {
        PyErr_SetString(PyExc_ValueError, "part outside the buffer");
        return -1;
    }
    c->row0 = row0;
    c->nnz0 = nnz0;
    c->line0 = line0;
    c->n_rows = n_rows;
    return 0;
}

/* The settings every part of fill() shares: options and the 7 output buffers (y, qid,
 * source_row, X, data, indices, indptr). */
static void init_fill_ctx(Ctx *c, Py_buffer **views, int allow_nan, int fast, long long base,
                          long long n_features)
{
    Py_buffer *vX = views[3], *vdata = views[4];
    memset(c, 0, sizeof(Ctx));
    c->allow_nan = allow_nan;
    c->fast = fast;
    c->base = base;
    c->n_features = n_features;
    c->y = (double *)views[0]->buf;
    c->qid = (int64_t *)views[1]->buf;
    c->srow = (int64_t *)views[2]->buf;
    c->X = (char *)vX->buf;
    c->data = (char *)vdata->buf;
    c->x_double = vX->buf ? vX->itemsize == 8 : (vdata->buf ? vdata->itemsize == 8 : 1);
    c->indices = (int32_t *)views[5]->buf;
    c->indptr = (int64_t *)views[6]->buf;
}

static PyObject *py_fill(PyObject *self, PyObject *args)
{
    Py_buffer view;
    PyObject *oparts;
    long long base, n_features, max_row_nnz;
    int allow_nan, fast = 0;
    PyObject *oy, *oqid, *osrow, *oX, *odata, *oindices, *oindptr, *ocomments;
    (void)self;
    if (!PyArg_ParseTuple(args, "y*OLLpLOOOOOOOO|p", &view, &oparts, &base, &n_features,
                          &allow_nan, &max_row_nnz, &oy, &oqid, &osrow, &oX, &odata, &oindices,
                          &oindptr, &ocomments, &fast))
        return NULL;
    Py_buffer vy, vqid, vsrow, vX, vdata, vind, vptr;
    Py_buffer *views[] = {&vy, &vqid, &vsrow, &vX, &vdata, &vind, &vptr};
    PyObject *objs[] = {oy, oqid, osrow, oX, odata, oindices, oindptr};
    const char *names[] = {"y", "qid", "source_row", "X", "data", "indices", "indptr"};
    const int sizes_a[] = {8, 8, 8, 4, 4, 4, 8};
    const int sizes_b[] = {8, 8, 8, 8, 8, 4, 8};
    PyObject *result = NULL;
    int got = 0, used = 0;
    int64_t *cspan = NULL;
    Ctx ctx[MAX_PARTS];
    Job jobs[MAX_PARTS];
    for (; got < 7; got++) {
        if (get_out(objs[got], views[got], names[got], sizes_a[got], sizes_b[got]) != 0) goto done;
    }
    if (check_fill_args(&vy, &vqid, &vsrow, &vdata, &vind, &vptr, ocomments, oparts) != 0)
        goto done;
    Ctx proto;
    init_fill_ctx(&proto, views, allow_nan, fast, base, n_features);
    used = (int)PyList_GET_SIZE(oparts);
    int64_t total_rows = 0;
    for (int i = 0; i < used; i++) {
        Py_ssize_t start, stop;
        ctx[i] = proto;
        if (parse_part(PyList_GET_ITEM(oparts, i), view.len, &ctx[i], &start, &stop) != 0) {
            used = i;
            goto done;
        }
        ctx[i].rows_base = i == 0 ? ctx[0].row0 : ctx[0].rows_base;
        total_rows += ctx[i].n_rows;
        ctx[i].n_rows = 0;
        Ctx *c = &ctx[i];
        jobs[i] = (Job){c, (const char *)view.buf, start, stop, 1, 0};
        if (max_row_nnz > 0 && grow(c, max_row_nnz) != 0) {
            PyErr_NoMemory();
            used = i + 1;
            goto done;
        }
    }
    if (ocomments != Py_None && total_rows > 0) {
        cspan = (int64_t *)malloc((size_t)total_rows * 2 * sizeof(int64_t));
        if (cspan == NULL) {
            PyErr_NoMemory();
            goto done;
        }
        for (int i = 0; i < used; i++) ctx[i].cspan = cspan;
    }
    Py_BEGIN_ALLOW_THREADS
    run_jobs(jobs, used);
    Py_END_ALLOW_THREADS
    int bad = first_error(ctx, jobs, used);
    if (bad >= 0) {
        raise_error(&ctx[bad]);
        goto done;
    }
    int64_t rows = 0, nnz = 0;
    for (int i = 0; i < used; i++) {
        rows += ctx[i].n_rows;
        nnz += ctx[i].nnz;
    }
    if (cspan != NULL && rows == total_rows &&
        append_comments(ocomments, (const char *)view.buf, cspan, rows) != 0)
        goto done;
    result = Py_BuildValue("(LL)", (long long)rows, (long long)nnz);
done:
    free(cspan);
    for (int i = 0; i < used; i++) free_temps(&ctx[i]);
    for (int i = 0; i < got; i++) {
        if (views[i]->buf != NULL) PyBuffer_Release(views[i]);
    }
    PyBuffer_Release(&view);
    return result;
}

static PyMethodDef methods[] = {
    {"count", py_count, METH_VARARGS,
     "count(buf, allow_nan, n_parts) -> [(start, stop, n_rows, n_newlines, nnz, min_idx, "
     "max_idx, max_row_nnz, first_qid_off, first_noqid_off, n_commented)] per line-aligned "
     "part, counted in parallel; first pass: validate and count."},
    {"fill", py_fill, METH_VARARGS,
     "fill(buf, parts, base, n_features, allow_nan, max_row_nnz, y, qid, source_row, X, "
     "data, indices, indptr, comments) -> (n_rows, nnz); second pass over the parts "
     "[(start, stop, row0, nnz0, line0, n_rows)], in parallel."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef moduledef = {
    PyModuleDef_HEAD_INIT, "_libsvm_parser",
    "Fast two-pass LibSVM/SVMlight text parser (see boostrank.data.libsvm).", -1, methods,
};

PyMODINIT_FUNC PyInit__libsvm_parser(void)
{
    init_classes();
#if defined(__GLIBC__)
    C_LOCALE = newlocale(LC_ALL_MASK, "C", (locale_t)0);
    if (C_LOCALE == (locale_t)0) return PyErr_NoMemory();
#endif
    PyObject *m = PyModule_Create(&moduledef);
    if (m == NULL) return NULL;
    ParseError = PyErr_NewException("boostrank.data._libsvm_parser.ParseError",
                                    PyExc_ValueError, NULL);
    if (ParseError == NULL || PyModule_AddObject(m, "ParseError", ParseError) != 0) {
        Py_XDECREF(ParseError);
        Py_DECREF(m);
        return NULL;
    }
    Py_INCREF(ParseError);
    return m;
}
