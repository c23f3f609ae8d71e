/* cfgparse/cfg_lex.c — the xl.cfg lexer: libxlu's flex scanner
 * (libxlu_cfg_l.l) rewritten by hand, token for token.
 *
 * Tokens (longest match, as flex does):
 *   IDENT   [a-z][._0-9a-z]*          NUMBER  [0-9][0-9a-fx]*
 *   STRING  '...' or "..." not spanning a newline, backslash escapes any
 *           character but a newline
 *   NEWLINE "\n", or "#" up to and including the next "\n"
 *   , [ ] = += ;      blanks: space and tab only
 * Anything else (upper case, '_', '\r', '-', '/', a '#' with no newline
 * after it, an unterminated quote, bytes >= 0x80, NUL ...) is a lexical
 * error: libxlu then skips the rest of that "word" (up to a space, tab or
 * newline), reports one error for it, and carries on; a newline ending the
 * word is still a NEWLINE token.  One quirk kept for exactness: a bad
 * character that is the very last byte of the text is dropped silently
 * (flex hits end of input before the error rule runs), so libxlu accepts
 * "x = 1\n$"; we accept it too, with a warning. */
#include "cfgparse/cfg_int.h"
#include "common/util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Stop reporting (not counting) errors after this many per read. */
#define MAX_REPORTED_ERRORS 30

void cfg__lex_init(struct cfg_lexer *lx, const char *buf, size_t len,
                   const char *file, vxl_diags *d)
{
    memset(lx, 0, sizeof(*lx));
    lx->buf = buf;
    lx->len = len;
    lx->line = 1;
    lx->last_bline = 1;
    const char *nl = memrchr(buf, '\n', len);
    lx->after_last_nl = nl ? (size_t)(nl - buf) + 1 : 0;
    lx->split_off = (size_t)-1;
    lx->file1 = lx->file2 = file;
    lx->d = d;
}

void cfg__lex_pos(const struct cfg_lexer *lx, size_t off, int line, int col,
                  cfg_pos *pos)
{
    if (off >= lx->split_off) {
        pos->file = lx->file2;
        pos->line = line - lx->split_line + 1;
    } else {
        pos->file = lx->file1;
        pos->line = line;
    }
    pos->col = col;
}

/* Record one diagnostic; returns whether it was recorded (errors beyond
 * MAX_REPORTED_ERRORS are only counted). */
static bool lex_vdiag(struct cfg_lexer *lx, enum vxl_severity sev,
                      const cfg_pos *p, const char *hint,
                      const char *fmt, va_list ap)
    __attribute__((format(printf, 5, 0)));
static bool lex_vdiag(struct cfg_lexer *lx, enum vxl_severity sev,
                      const cfg_pos *p, const char *hint,
                      const char *fmt, va_list ap)
{
    if (sev == VXL_ERROR)
        lx->nerrors++;
    if (sev == VXL_ERROR && lx->nreported++ >= MAX_REPORTED_ERRORS) {
        if (lx->nreported == MAX_REPORTED_ERRORS + 1 && lx->d)
            vxl_diag_add(lx->d, VXL_NOTE, lx->file1, 0, 0, NULL,
                         "too many errors; not reporting any more");
        return false;
    }
    if (!lx->d)
        return true;
    char *msg = xvasprintf(fmt, ap);
    vxl_diag_add(lx->d, sev, p->file, p->line, p->col, hint, "%s", msg);
    free(msg);
    return true;
}

static bool lex_verror(struct cfg_lexer *lx, int bline, int lexical,
                       const cfg_pos *p, const char *hint, const char *fmt,
                       va_list ap)
    __attribute__((format(printf, 6, 0)));
static bool lex_verror(struct cfg_lexer *lx, int bline, int lexical,
                       const cfg_pos *p, const char *hint, const char *fmt,
                       va_list ap)
{
    bool shown = false;
    if (bline <= lx->lexerr_line)
        lx->nerrors++;          /* libxlu: one report per line */
    else
        shown = lex_vdiag(lx, VXL_ERROR, p, hint, fmt, ap);
    if (lexical)
        lx->lexerr_line = bline;
    return shown;
}

bool cfg__lex_error(struct cfg_lexer *lx, int bline, int lexical,
                    size_t off, int line, int col,
                    const char *hint, const char *fmt, ...)
{
    cfg_pos p;
    cfg__lex_pos(lx, off, line, col, &p);
    va_list ap;
    va_start(ap, fmt);
    bool shown = lex_verror(lx, bline, lexical, &p, hint, fmt, ap);
    va_end(ap);
    return shown;
}

bool cfg__lex_error_pos(struct cfg_lexer *lx, int bline, int lexical,
                        const cfg_pos *p, const char *hint,
                        const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    bool shown = lex_verror(lx, bline, lexical, p, hint, fmt, ap);
    va_end(ap);
    return shown;
}

static void lex_warning(struct cfg_lexer *lx, size_t off, int line, int col,
                        const char *hint, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
static void lex_warning(struct cfg_lexer *lx, size_t off, int line, int col,
                        const char *hint, const char *fmt, ...)
{
    cfg_pos p;
    cfg__lex_pos(lx, off, line, col, &p);
    va_list ap;
    va_start(ap, fmt);
    lex_vdiag(lx, VXL_WARNING, &p, hint, fmt, ap);
    va_end(ap);
}

/* Source text quoted for a message: printable ASCII as is, the rest as
 * \xNN, long text cut. */
static char *show(const char *s, size_t n)
{
    strbuf sb = {0};
    size_t max = n > 60 ? 57 : n;
    for (size_t i = 0; i < max; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7f)
            sb_putc(&sb, (char)c);
        else
            sb_printf(&sb, "\\x%02x", c);
    }
    if (max < n)
        sb_puts(&sb, "...");
    return sb_steal(&sb);
}

static const char *tok_name(enum cfg_tok t)
{
    switch (t) {
    case TOK_EOF: return "end of file";
    case TOK_IDENT: return "name";
    case TOK_NUMBER: return "number";
    case TOK_STRING: return "string";
    case TOK_NEWLINE: return "newline";
    case TOK_COMMA: return "`,'";
    case TOK_LBRACK: return "`['";
    case TOK_RBRACK: return "`]'";
    case TOK_EQ: return "`='";
    case TOK_ADD: return "`+='";
    case TOK_SEMI: return "`;'";
    }
    return "token";
}

char *cfg__tok_describe(const struct cfg_lexer *lx, const struct cfg_token *t)
{
    if (t->t == TOK_IDENT || t->t == TOK_NUMBER || t->t == TOK_STRING) {
        char *s = show(lx->buf + t->off, t->len);
        char *r = xasprintf("%s `%s'", tok_name(t->t), s);
        free(s);
        return r;
    }
    if (t->t == TOK_NEWLINE && lx->buf[t->off] == '#')
        return xstrdup("newline (after a comment)");
    return xstrdup(tok_name(t->t));
}

static void newline_at(struct cfg_lexer *lx, size_t nl_off)
{
    lx->line++;
    lx->line_start = nl_off + 1;
}

static int col_of(const struct cfg_lexer *lx, size_t off)
{
    return (int)(off - lx->line_start) + 1;
}

static bool is_ident_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '.' || c == '_';
}

static bool is_number_char(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || c == 'x';
}

/* libxlu's `[+-.():]' rule: characters that mean "this is Python". */
static bool is_python_char(char c)
{
    return c == '+' || c == '-' || c == '.' || c == '(' || c == ')' ||
           c == ':';
}

/* The lexical-error path for the bad character at lx->pos.  Returns true
 * when it produced a NEWLINE token in *tok (the word ended at a newline),
 * false when lexing should simply go on. */
static bool bad_char(struct cfg_lexer *lx, struct cfg_token *tok,
                     const char *why, const char *hint)
{
    size_t p0 = lx->pos, p = p0 + 1;
    int line = lx->line, col = col_of(lx, p0);
    bool newline = false;
    char c0 = lx->buf[p0];

    if (is_python_char(c0))
        lx->likely_python = 1;
    if (p >= lx->len) {
        /* flex reaches end of input before the error rule can match */
        lx->pos = p;
        lex_warning(lx, p0, line, col, NULL,
                    "ignoring stray character at end of file");
        return false;
    }
    if (lx->buf[p] == ' ' || lx->buf[p] == '\t') {
        p++;
    } else if (lx->buf[p] == '\n') {
        newline = true;
    } else {
        while (p < lx->len && lx->buf[p] != ' ' && lx->buf[p] != '\t' &&
               lx->buf[p] != '\n')
            p++;
    }
    size_t wlen = p - p0;
    while (wlen > 1 && (lx->buf[p0 + wlen - 1] == ' ' ||
                        lx->buf[p0 + wlen - 1] == '\t'))
        wlen--;
    char *ch = show(&c0, 1), *word = show(lx->buf + p0, wlen);
    /* flex has counted the newline by the time libxlu reports */
    int bline = newline ? line + 1 : line;
    if (why)
        cfg__lex_error(lx, bline, 1, p0, line, col, hint, "%s", why);
    else if (wlen > 1)
        cfg__lex_error(lx, bline, 1, p0, line, col, hint,
                       "unexpected character `%s' in `%s'", ch, word);
    else
        cfg__lex_error(lx, bline, 1, p0, line, col, hint,
                       "unexpected character `%s'", ch);
    free(ch);
    free(word);
    lx->pos = p;
    if (newline) {
        tok->t = TOK_NEWLINE;
        tok->off = p;
        tok->len = 1;
        tok->line = lx->line;
        tok->col = col_of(lx, p);
        tok->bline = bline;
        tok->str = NULL;
        tok->slen = 0;
        lx->last_bline = bline;
        lx->pos = p + 1;
        newline_at(lx, p);
    }
    return newline;
}

/* libxlu's octal escape: after \[0-7], strtoul(base 10!) looks at the
 * next up to 3 bytes (closing quote included) and must consume more than
 * one of them; the value is then thrown away, so the escape produces no
 * character at all.  Returns the bytes consumed, 0 on error. */
static size_t octal_quirk(const char *p, size_t avail)
{
    char numbuf[4];
    size_t n = avail < 3 ? avail : 3;
    memcpy(numbuf, p, n);
    numbuf[n] = 0;
    char *ep;
    (void)strtoul(numbuf, &ep, 10);
    return ep > numbuf + 1 ? (size_t)(ep - numbuf) : 0;
}

/* Dequote the string token text q[0..n) (quotes included).  Errors are
 * reported; the token keeps what was decoded so far. */
static void dequote(struct cfg_lexer *lx, struct cfg_token *tok)
{
    const char *src = lx->buf + tok->off, *end = src + tok->len - 1;
    char *out = xmalloc(tok->len), *q = out;
    const char *p = src + 1;

    while (p < end) {
        char c = *p++;
        if (c != '\\') {
            *q++ = c;
            continue;
        }
        const char *bs = p - 1;
        char nc = *p++;
        int col = tok->col + (int)(bs - src);
        switch (nc) {
        case '"': case '\'': case '\\': *q++ = nc; continue;
        case 'a': *q++ = '\a'; continue;
        case 'b': *q++ = '\b'; continue;
        case 'f': *q++ = '\f'; continue;
        case 'n': *q++ = '\n'; continue;
        case 'r': *q++ = '\r'; continue;
        case 't': *q++ = '\t'; continue;
        case 'v': *q++ = '\v'; continue;
        case 'x':
            cfg__lex_error(lx, tok->line, 1, tok->off, tok->line, col,
                           "libxlu's \\x escape handling is broken: it "
                           "rejects every \\x escape; write the character "
                           "itself",
                           "invalid \\x escape in quoted string");
            goto fail;
        default:
            break;
        }
        if (nc >= '0' && nc <= '7') {
            size_t used = octal_quirk(p, (size_t)(end + 1 - p));
            if (!used) {
                cfg__lex_error(lx, tok->line, 1, tok->off, tok->line, col,
                               "libxlu needs the backslash and digit to be "
                               "followed by two more digits",
                               "invalid octal escape in quoted string");
                goto fail;
            }
            p += used;
            char *esc = show(bs, (size_t)(p - bs));
            lex_warning(lx, tok->off, tok->line, col,
                        "libxlu parses octal escapes but drops them",
                        "escape `%s' produces no character", esc);
            free(esc);
            continue;
        }
        char *esc = show(bs, 2);
        cfg__lex_error(lx, tok->line, 1, tok->off, tok->line, col,
                       "known escapes: \\n \\t \\r \\a \\b \\f \\v \\\\ "
                       "\\' \\\"",
                       "invalid escape `%s' in quoted string", esc);
        free(esc);
        goto fail;
    }
    *q = 0;
    tok->str = out;
    tok->slen = (size_t)(q - out);
    return;
fail:
    *q = 0;
    tok->str = out;
    tok->slen = (size_t)(q - out);
}

/* Length of the quoted string starting at lx->pos, or 0 if the string
 * rule does not match there.  *has_nul is set when it holds a NUL. */
static size_t match_string(const struct cfg_lexer *lx, bool *has_nul)
{
    const char *b = lx->buf;
    char qc = b[lx->pos];
    size_t p = lx->pos + 1;
    *has_nul = false;
    while (p < lx->len) {
        char c = b[p];
        if (c == qc)
            return p + 1 - lx->pos;
        if (c == '\n')
            return 0;
        if (c == '\\') {
            if (p + 1 >= lx->len || b[p + 1] == '\n')
                return 0;
            if (b[p + 1] == 0)
                *has_nul = true;
            p += 2;
            continue;
        }
        if (c == 0)
            *has_nul = true;
        p++;
    }
    return 0;
}

/* A hint for the bad character at lx->pos, from what precedes it. */
static const char *bad_char_hint(const struct cfg_lexer *lx)
{
    const char *b = lx->buf;
    char c = b[lx->pos];
    size_t i = lx->pos;
    while (i > lx->line_start && (b[i - 1] == ' ' || b[i - 1] == '\t'))
        i--;
    char prev = i > lx->line_start ? b[i - 1] : '\n';
    bool glued = i == lx->pos;

    if (lx->pos == 0 && lx->len >= 3 && !memcmp(b, "\xef\xbb\xbf", 3))
        return "the file starts with a UTF-8 byte order mark; save it "
               "without one";
    if (prev == '\n' && ((c >= 'A' && c <= 'Z') || c == '_'))
        return "setting names start with a lower-case letter and contain "
               "only a-z, 0-9, `.' and `_'";
    if (glued && prev >= '0' && prev <= '9' && c >= 'A' && c <= 'Z')
        return "numbers take no unit suffix: write plain digits (memory "
               "sizes are in MiB)";
    if (prev == '=' || prev == '[' || prev == ',')
        return "strings must be quoted, e.g. name = \"value\"";
    return NULL;
}

static void set_tok(struct cfg_lexer *lx, struct cfg_token *tok,
                    enum cfg_tok t, size_t len)
{
    tok->t = t;
    tok->off = lx->pos;
    tok->len = len;
    tok->line = lx->line;
    tok->col = col_of(lx, lx->pos);
    /* flex leaves yylloc alone at end of input */
    tok->bline = t == TOK_EOF ? lx->last_bline : lx->line;
    lx->last_bline = tok->bline;
    tok->str = NULL;
    tok->slen = 0;
    lx->pos += len;
}

void cfg__lex_next(struct cfg_lexer *lx, struct cfg_token *tok)
{
    const char *b = lx->buf;
    for (;;) {
        if (lx->pos >= lx->len) {
            set_tok(lx, tok, TOK_EOF, 0);
            return;
        }
        char c = b[lx->pos];
        size_t n;
        switch (c) {
        case ' ': case '\t':
            lx->pos++;
            continue;
        case '\n':
            set_tok(lx, tok, TOK_NEWLINE, 1);
            newline_at(lx, lx->pos - 1);
            return;
        case '#': {
            /* no newline after the last one: don't search again and again
             * ("# # # ..." on a last line would be quadratic) */
            const char *nl = lx->pos < lx->after_last_nl
                                 ? memchr(b + lx->pos, '\n',
                                          lx->len - lx->pos)
                                 : NULL;
            if (!nl) {
                if (bad_char(lx, tok, "comment on the last line has no "
                             "newline after it",
                             "libxlu (and so xl) rejects this; end the file "
                             "with a newline"))
                    return;
                continue;
            }
            set_tok(lx, tok, TOK_NEWLINE, (size_t)(nl - (b + lx->pos)) + 1);
            newline_at(lx, (size_t)(nl - b));
            return;
        }
        case ',': set_tok(lx, tok, TOK_COMMA, 1); return;
        case '[': set_tok(lx, tok, TOK_LBRACK, 1); return;
        case ']': set_tok(lx, tok, TOK_RBRACK, 1); return;
        case '=': set_tok(lx, tok, TOK_EQ, 1); return;
        case ';': set_tok(lx, tok, TOK_SEMI, 1); return;
        case '+':
            if (lx->pos + 1 < lx->len && b[lx->pos + 1] == '=') {
                set_tok(lx, tok, TOK_ADD, 2);
                return;
            }
            break;
        case '\'': case '"': {
            bool has_nul;
            n = match_string(lx, &has_nul);
            if (!n) {
                if (bad_char(lx, tok, "unterminated quoted string",
                             "a string ends with the same quote on the "
                             "same line"))
                    return;
                continue;
            }
            set_tok(lx, tok, TOK_STRING, n);
            if (lx->nerrors) {
                /* libxlu stops decoding strings after the first error */
                tok->str = xstrdup("");
                return;
            }
            if (has_nul) {
                /* libxlu aborts (assertion failure) on this */
                cfg__lex_error(lx, tok->line, 1, tok->off, tok->line,
                               tok->col, NULL,
                               "NUL byte inside a quoted string");
                tok->str = xstrdup("");
                return;
            }
            dequote(lx, tok);
            return;
        }
        default:
            if (c >= 'a' && c <= 'z') {
                for (n = 1; lx->pos + n < lx->len &&
                            is_ident_char(b[lx->pos + n]); n++)
                    ;
                set_tok(lx, tok, TOK_IDENT, n);
            } else if (c >= '0' && c <= '9') {
                for (n = 1; lx->pos + n < lx->len &&
                            is_number_char(b[lx->pos + n]); n++)
                    ;
                set_tok(lx, tok, TOK_NUMBER, n);
            } else {
                break;
            }
            tok->str = xstrndup(b + tok->off, n);
            tok->slen = n;
            return;
        }
        /* a character no rule accepts */
        const char *why = NULL, *hint = bad_char_hint(lx);
        if (c == '\r') {
            why = "carriage return (DOS line ending)";
            hint = "xl reads Unix line endings only; convert the file, "
                   "e.g. with dos2unix";
        }
        if (bad_char(lx, tok, why, hint))
            return;
    }
}
