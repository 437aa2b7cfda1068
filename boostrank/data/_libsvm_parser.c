/*
 * Fast SVMlight / LibSVM / LETOR text parser for boostrank.data.libsvm.
 *
 * Two functions over a buffer of complete lines (the Python layer cuts the file into
 * line-aligned chunks, handles decompression, sidecars, comments and error messages):
 *
 *   count(buf, allow_nan) -> (n_rows, n_newlines, nnz, min_idx, max_idx, max_row_nnz,
 *                             first_qid_off, first_noqid_off, n_commented)
 *       validates the grammar of every token and counts what the second pass needs.
 *
 *   fill(buf, row0, nnz0, line0, base, n_features, allow_nan, max_row_nnz,
 *        y, qid, source_row, X, data, indices, indptr, comments) -> None
 *       parses the numbers and writes them at rows row0.. (and CSR entries nnz0..) of
 *       caller-allocated buffers: y float64, qid int64, source_row int64 (1-based line),
 *       X dense row-major float32/float64 (or None), CSR data float32/float64 + indices
 *       int32 + indptr int64 (or None), comments a list to append one str per row (or None).
 *
 * Errors raise ParseError(code, byte_offset_of_the_offending_token).
 *
 * Numbers: the grammar is [+-]? (digits [. digits?] | . digits) ([eE] [+-]? digits)?
 * or [+-]? (nan | inf | infinity), case-insensitive. Values are exactly what Python's
 * float() (a correctly rounded strtod) returns: short mantissas use Clinger's exact fast
 * path (an integer below 2^53 times or divided by an exact power of ten is one correctly
 * rounded IEEE operation), everything else goes through PyOS_string_to_double.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static PyObject *ParseError;

static const double POW10[23] = {
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

#define IS_SPACE(c) ((c) == ' ' || (c) == '\t' || (c) == '\r' || (c) == '\v' || (c) == '\f')
#define IS_DIGIT(c) ((unsigned)((c) - '0') < 10u)
#define IS_END(c) (IS_SPACE(c) || (c) == '#' || (c) == '\n')

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
    E_MEMORY,
    E_PYTHON,     /* a Python exception is already set */
};

static const char *ERROR_CODES[] = {
    "ok", "label", "label_nan", "qid", "qid_position", "index", "index_too_large",
    "no_value", "value", "value_nan", "below_base", "out_of_range", "duplicate",
    "memory", "python",
};

static const char *skip_space(const char *p, const char *end)
{
    while (p < end && IS_SPACE(*p)) p++;
    return p;
}

static const char *token_end(const char *p, const char *end)
{
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

/* Slow path: exactly Python's float() on the token [s, e). Returns 0 on success. */
static int slow_double(const char *s, const char *e, double *out)
{
    char small[128];
    size_t n = (size_t)(e - s);
    char *tmp = n < sizeof(small) ? small : (char *)malloc(n + 1);
    if (tmp == NULL) return -1;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    double v = PyOS_string_to_double(tmp, NULL, NULL);
    if (tmp != small) free(tmp);
    if (v == -1.0 && PyErr_Occurred()) {
        PyErr_Clear();
        return -1;
    }
    *out = v;
    return 0;
}

/*
 * Scan one number in [p, end). Returns the end of the number (NULL when there is none).
 * *special: 0 finite, 1 nan, 2 inf (also set after an overflowing conversion).
 * With want, the value goes to *out.
 */
static const char *scan_number(const char *p, const char *end, int want, double *out,
                               int *special)
{
    const char *s = p;
    int neg = 0;
    *special = 0;
    if (p < end && (*p == '+' || *p == '-')) {
        neg = (*p == '-');
        p++;
    }
    if (p < end && ((*p | 0x20) == 'n' || (*p | 0x20) == 'i')) {
        if (match_word(p, end, "nan")) {
            *special = 1;
            if (want) *out = neg ? -NAN : NAN;
            return p + 3;
        }
        if (match_word(p, end, "infinity")) p += 8;
        else if (match_word(p, end, "inf")) p += 3;
        else return NULL;
        *special = 2;
        if (want) *out = neg ? -INFINITY : INFINITY;
        return p;
    }
    uint64_t m = 0;
    int nd = 0, dropped = 0, any = 0;
    int64_t exp10 = 0;
    while (p < end && IS_DIGIT(*p)) {
        int d = *p - '0';
        any = 1;
        if (m == 0 && d == 0) { p++; continue; }
        if (nd < 19) { m = m * 10 + (uint64_t)d; nd++; }
        else { exp10++; dropped = 1; }
        p++;
    }
    if (p < end && *p == '.') {
        p++;
        while (p < end && IS_DIGIT(*p)) {
            int d = *p - '0';
            any = 1;
            if (m == 0 && d == 0) { exp10--; p++; continue; }
            if (nd < 19) { m = m * 10 + (uint64_t)d; nd++; exp10--; }
            else dropped = 1;
            p++;
        }
    }
    if (!any) return NULL;
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
    if (want) {
        double v;
        if (m == 0) {
            v = 0.0;
            if (neg) v = -v;
        } else if (!dropped && m <= (1ULL << 53) && exp10 >= -22 && exp10 <= 22) {
            v = (double)m;
            if (exp10 < 0) v /= POW10[-exp10];
            else v *= POW10[exp10];
            if (neg) v = -v;
        } else {
            if (slow_double(s, p, &v) != 0) return NULL;
        }
        if (isinf(v)) *special = 2;
        *out = v;
    }
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
    int fill;
    int allow_nan;
    /* count results */
    int64_t n_rows, n_newlines, nnz, min_idx, max_idx, max_row_nnz;
    int64_t first_qid_off, first_noqid_off, n_commented;
    /* fill inputs */
    int64_t row0, nnz0, line0, base, n_features;
    double *y;
    int64_t *qid, *srow;
    char *X;        /* dense, row-major */
    int x_double;   /* X or data is float64 (else float32) */
    char *data;
    int32_t *indices;
    int64_t *indptr;
    PyObject *comments;
    PyObject *empty;
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

/* Finish one parsed row in fill mode: checks, ordering, writes. */
static int emit_row(Ctx *c, const char *buf, int64_t k, int sorted, double label,
                    int64_t qv, int64_t line, const char *cs, const char *ce)
{
    int64_t row = c->row0 + c->n_rows;
    for (int64_t i = 0; i < k; i++) {
        int64_t j = c->tidx[i] - c->base;
        if (j < 0) return fail(c, E_BELOW_BASE, buf, buf + c->toff[i]);
        if (j >= c->n_features) return fail(c, E_RANGE, buf, buf + c->toff[i]);
    }
    if (!sorted) {
        for (int64_t i = 0; i < k; i++) { c->tent[i].idx = c->tidx[i]; c->tent[i].pos = i; }
        qsort(c->tent, (size_t)k, sizeof(Entry), cmp_entry);
        for (int64_t i = 1; i < k; i++) {
            if (c->tent[i].idx == c->tent[i - 1].idx) {
                int64_t later = c->tent[i].pos > c->tent[i - 1].pos ? c->tent[i].pos
                                                                    : c->tent[i - 1].pos;
                return fail(c, E_DUPLICATE, buf, buf + c->toff[later]);
            }
        }
    }
    c->y[row] = label;
    c->qid[row] = qv;
    c->srow[row] = line;
    if (c->X != NULL) {
        int64_t off = row * c->n_features - c->base;
        for (int64_t i = 0; i < k; i++) store(c->X, c->x_double, off + c->tidx[i], c->tval[i]);
    } else if (c->data != NULL) {
        int64_t pos = c->nnz0 + c->nnz;
        for (int64_t i = 0; i < k; i++) {
            int64_t src = sorted ? i : c->tent[i].pos;
            c->indices[pos + i] = (int32_t)(c->tidx[src] - c->base);
            store(c->data, c->x_double, pos + i, c->tval[src]);
        }
        c->indptr[row + 1] = pos + k;
    }
    if (c->comments != NULL) {
        PyObject *s;
        if (cs == NULL || cs == ce) {
            s = c->empty;
            Py_INCREF(s);
        } else {
            s = PyUnicode_DecodeUTF8(cs, (Py_ssize_t)(ce - cs), "replace");
            if (s == NULL) { c->err = E_PYTHON; return -1; }
        }
        int r = PyList_Append(c->comments, s);
        Py_DECREF(s);
        if (r != 0) { c->err = E_PYTHON; return -1; }
    }
    return 0;
}

static int grow(Ctx *c, int64_t need)
{
    int64_t cap = c->cap ? c->cap : 64;
    while (cap < need) cap *= 2;
    int64_t *a = (int64_t *)realloc(c->tidx, (size_t)cap * sizeof(int64_t));
    if (a == NULL) return -1;
    c->tidx = a;
    double *b = (double *)realloc(c->tval, (size_t)cap * sizeof(double));
    if (b == NULL) return -1;
    c->tval = b;
    int64_t *d = (int64_t *)realloc(c->toff, (size_t)cap * sizeof(int64_t));
    if (d == NULL) return -1;
    c->toff = d;
    Entry *e = (Entry *)realloc(c->tent, (size_t)cap * sizeof(Entry));
    if (e == NULL) return -1;
    c->tent = e;
    c->cap = cap;
    return 0;
}

static int parse_buffer(Ctx *c, const char *buf, Py_ssize_t n)
{
    const char *p = buf, *end = buf + n;
    const int fill = c->fill;
    while (p < end) {
        const char *nl = (const char *)memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        int64_t line = c->line0 + c->n_newlines + 1;
        const char *q = skip_space(p, le);
        p = nl ? nl + 1 : end;
        if (nl) c->n_newlines++;
        if (q == le || *q == '#') continue; /* blank or comment-only line */

        /* label */
        const char *te = token_end(q, le);
        double label = 0.0;
        int special;
        const char *r = scan_number(q, te, fill, &label, &special);
        if (r == NULL || r != te) return fail(c, E_LABEL, buf, q);
        if (special && !c->allow_nan) return fail(c, E_LABEL_NAN, buf, q);
        q = skip_space(te, le);

        /* qid */
        int has_qid = 0;
        int64_t qv = 0;
        const char *qpos = q;
        if (le - q >= 4 && memcmp(q, "qid:", 4) == 0) {
            te = token_end(q, le);
            if (parse_int64(q + 4, te, &qv) != 0) return fail(c, E_QID, buf, q);
            has_qid = 1;
            q = skip_space(te, le);
        }
        if (!fill) {
            int64_t off = (int64_t)(qpos - buf);
            if (has_qid && c->first_qid_off < 0) c->first_qid_off = off;
            if (!has_qid && c->first_noqid_off < 0) c->first_noqid_off = off;
        }

        /* features */
        int64_t k = 0, prev = -1;
        int sorted = 1;
        while (q < le && *q != '#') {
            const char *tok = q;
            if (le - q >= 4 && memcmp(q, "qid:", 4) == 0) return fail(c, E_QID_POS, buf, tok);
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
            te = token_end(q, le);
            if (te == q) return fail(c, E_NO_VALUE, buf, tok);
            double v = 0.0;
            r = scan_number(q, te, fill, &v, &special);
            if (r == NULL || r != te) return fail(c, E_VALUE, buf, tok);
            if (special && !c->allow_nan) return fail(c, E_VALUE_NAN, buf, tok);
            if (fill) {
                if (k >= c->cap && grow(c, k + 1) != 0) return fail(c, E_MEMORY, buf, tok);
                c->tidx[k] = idx;
                c->tval[k] = v;
                c->toff[k] = (int64_t)(tok - buf);
            } else {
                if (idx < c->min_idx) c->min_idx = idx;
                if (idx > c->max_idx) c->max_idx = idx;
            }
            if (idx <= prev) sorted = 0;
            prev = idx;
            k++;
            q = skip_space(te, le);
        }
        const char *cs = NULL, *ce = NULL;
        if (q < le) { /* comment */
            cs = skip_space(q + 1, le);
            ce = le;
            while (ce > cs && IS_SPACE(ce[-1])) ce--;
        }
        if (fill) {
            if (emit_row(c, buf, k, sorted, label, qv, line, cs, ce) != 0) return -1;
        } else {
            if (cs != NULL) c->n_commented++;
            if (k > c->max_row_nnz) c->max_row_nnz = k;
        }
        c->n_rows++;
        c->nnz += k;
    }
    return 0;
}

static PyObject *raise_error(Ctx *c)
{
    if (c->err == E_PYTHON) return NULL;
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
    int allow_nan;
    if (!PyArg_ParseTuple(args, "y*p", &view, &allow_nan)) return NULL;
    Ctx c;
    memset(&c, 0, sizeof(c));
    c.allow_nan = allow_nan;
    c.min_idx = INT64_MAX;
    c.max_idx = -1;
    c.first_qid_off = -1;
    c.first_noqid_off = -1;
    int rc = parse_buffer(&c, (const char *)view.buf, view.len);
    PyBuffer_Release(&view);
    if (rc != 0) return raise_error(&c);
    return Py_BuildValue("(LLLLLLLLL)", (long long)c.n_rows, (long long)c.n_newlines,
                         (long long)c.nnz, (long long)c.min_idx, (long long)c.max_idx,
                         (long long)c.max_row_nnz, (long long)c.first_qid_off,
                         (long long)c.first_noqid_off, (long long)c.n_commented);
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

static PyObject *py_fill(PyObject *self, PyObject *args)
{
    Py_buffer view;
    long long row0, nnz0, line0, base, n_features, max_row_nnz;
    int allow_nan;
    PyObject *oy, *oqid, *osrow, *oX, *odata, *oindices, *oindptr, *ocomments;
    if (!PyArg_ParseTuple(args, "y*LLLLLpLOOOOOOOO", &view, &row0, &nnz0, &line0, &base,
                          &n_features, &allow_nan, &max_row_nnz, &oy, &oqid, &osrow, &oX,
                          &odata, &oindices, &oindptr, &ocomments))
        return NULL;
    Py_buffer vy, vqid, vsrow, vX, vdata, vind, vptr;
    Py_buffer *views[] = {&vy, &vqid, &vsrow, &vX, &vdata, &vind, &vptr};
    PyObject *objs[] = {oy, oqid, osrow, oX, odata, oindices, oindptr};
    const char *names[] = {"y", "qid", "source_row", "X", "data", "indices", "indptr"};
    const int sizes_a[] = {8, 8, 8, 4, 4, 4, 8};
    const int sizes_b[] = {8, 8, 8, 8, 8, 4, 8};
    PyObject *result = NULL;
    int got = 0;
    Ctx c;
    memset(&c, 0, sizeof(c));
    for (; got < 7; got++) {
        if (get_out(objs[got], views[got], names[got], sizes_a[got], sizes_b[got]) != 0) goto done;
    }
    if (vy.buf == NULL || vqid.buf == NULL || vsrow.buf == NULL) {
        PyErr_SetString(PyExc_TypeError, "y, qid and source_row are required");
        goto done;
    }
    if ((vdata.buf != NULL) != (vind.buf != NULL) || (vdata.buf != NULL) != (vptr.buf != NULL)) {
        PyErr_SetString(PyExc_TypeError, "give data, indices and indptr together");
        goto done;
    }
    if (ocomments != Py_None && !PyList_Check(ocomments)) {
        PyErr_SetString(PyExc_TypeError, "comments must be a list or None");
        goto done;
    }
    c.fill = 1;
    c.allow_nan = allow_nan;
    c.row0 = row0;
    c.nnz0 = nnz0;
    c.line0 = line0;
    c.base = base;
    c.n_features = n_features;
    c.y = (double *)vy.buf;
    c.qid = (int64_t *)vqid.buf;
    c.srow = (int64_t *)vsrow.buf;
    c.X = (char *)vX.buf;
    c.data = (char *)vdata.buf;
    c.x_double = vX.buf ? vX.itemsize == 8 : (vdata.buf ? vdata.itemsize == 8 : 1);
    c.indices = (int32_t *)vind.buf;
    c.indptr = (int64_t *)vptr.buf;
    c.comments = ocomments == Py_None ? NULL : ocomments;
    c.empty = PyUnicode_FromStringAndSize("", 0);
    if (c.empty == NULL) goto done;
    if (max_row_nnz > 0 && grow(&c, max_row_nnz) != 0) {
        PyErr_NoMemory();
        goto done;
    }
    if (parse_buffer(&c, (const char *)view.buf, view.len) != 0) {
        raise_error(&c);
        goto done;
    }
    result = Py_BuildValue("(LL)", (long long)c.n_rows, (long long)c.nnz);
done:
    Py_XDECREF(c.empty);
    free(c.tidx);
    free(c.tval);
    free(c.toff);
    free(c.tent);
    for (int i = 0; i < got; i++) {
        if (views[i]->buf != NULL) PyBuffer_Release(views[i]);
    }
    PyBuffer_Release(&view);
    return result;
}

static PyMethodDef methods[] = {
    {"count", py_count, METH_VARARGS,
     "count(buf, allow_nan) -> (n_rows, n_newlines, nnz, min_idx, max_idx, max_row_nnz, "
     "first_qid_off, first_noqid_off, n_commented); first pass: validate and count."},
    {"fill", py_fill, METH_VARARGS,
     "fill(buf, row0, nnz0, line0, base, n_features, allow_nan, max_row_nnz, y, qid, "
     "source_row, X, data, indices, indptr, comments) -> (n_rows, nnz); second pass."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef moduledef = {
    PyModuleDef_HEAD_INIT, "_libsvm_parser",
    "Fast two-pass LibSVM/SVMlight text parser (see boostrank.data.libsvm).", -1, methods,
};

PyMODINIT_FUNC PyInit__libsvm_parser(void)
{
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
