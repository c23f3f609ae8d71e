/* cfgparse/cfg_parse.c — the xl.cfg parser: libxlu's bison grammar
 * (libxlu_cfg_y.y) as a hand-written state machine, with the same
 * acceptance, the same error recovery and the same stack limit.
 *
 *   file: stmts [assignment]        stmt: assignment endstmt | endstmt
 *   assignment: IDENT ('='|'+=') value                | error NEWLINE
 *   value: STRING | NUMBER | '[' nl* [items [',' nl*]] ']'
 *   items: value nl* {',' nl* value nl*}
 *
 * Error recovery is bison's for `stmt: error NEWLINE': on a syntax error
 * the statement being read is dropped and tokens are skipped up to and
 * including the next NEWLINE (a '#' comment line counts; ';' does not),
 * even inside a list; end of file while skipping ends the parse.  One
 * exception: after a complete `name = value', bison first reduces to
 * `file' by default, so an unexpected token there (`x = 1 y', `x = 1, 2')
 * ends the whole parse: nothing after it is read or reported.  As
 * bison does, an error is only reported once three tokens (the NEWLINE
 * included) have been read since the last one, and, as libxlu does, not on
 * a line that already had a lexical error.
 *
 * Stack limit: bison's parser stack holds at most 9999 entries
 * (YYMAXDEPTH 10000); deeper list nesting fails with "memory exhausted".
 * We track the exact number of entries bison would hold (`depth' below),
 * so the nesting we accept is exactly libxlu's (4996 for [[[...]]]), and
 * the parser itself uses no recursion. */
#include "cfgparse/cfg_int.h"
#include "common/util.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define BISON_MAXDEPTH 10000

enum pstate {
    P_STMT,         /* stmts .                        bison depth 2 */
    P_AFTER_IDENT,  /* stmts IDENT .                  3 */
    P_VALUE,        /* stmts IDENT '=' .              4 */
    P_AFTER_ASSIGN, /* stmts assignment .             3 */
    P_LIST_OPEN,    /* '[' nlok .                     b+1 */
    P_LIST_ITEM,    /* '[' nlok values nlok .         b+3, later items b+6 */
    P_LIST_COMMA,   /* '[' nlok values ',' nlok .     b+4 */
};

struct frame {
    struct cfg_value *list;
    int b;                  /* bison depth of the '[' */
    size_t off;             /* where the '[' is, for "opened here" */
    int line, col;
};

struct parser {
    struct cfg_lexer lx;
    cfg_config *cfg;
    struct cfg_token tok;   /* the lookahead, when have_tok */
    bool have_tok;
    int last_line;          /* line of the last token consumed */
    enum pstate st;
    struct frame *fr;
    int nfr, capfr;
    char *name;             /* IDENT of the assignment being read */
    cfg_pos namepos;
    enum cfg_op op;
    int errstatus;          /* bison's yyerrstatus */
    bool failed;            /* syntax / store errors */
    bool aborted;           /* stop parsing */
};

static cfg_pos tok_pos(const struct parser *ps, const struct cfg_token *t)
{
    cfg_pos p;
    cfg__lex_pos(&ps->lx, t->off, t->line, t->col, &p);
    p.file = cfg__origin(ps->cfg, p.file);
    return p;
}

static void drop_partial(struct parser *ps)
{
    for (int i = 0; i < ps->nfr; i++)
        cfg__value_free(ps->fr[i].list);
    ps->nfr = 0;
    free(ps->name);
    ps->name = NULL;
}

/* The lookahead.  Like bison, we read it only when a decision needs it,
 * so lexical errors are met in the same order as libxlu meets them. */
static struct cfg_token *la(struct parser *ps)
{
    if (!ps->have_tok) {
        cfg__lex_next(&ps->lx, &ps->tok);
        ps->have_tok = true;
    }
    return &ps->tok;
}

/* Consume the lookahead (its string, if any, has been taken or is freed
 * here). */
static void shift(struct parser *ps)
{
    free(ps->tok.str);
    ps->tok.str = NULL;
    ps->have_tok = false;
    ps->last_line = ps->tok.line;
    if (ps->errstatus)
        ps->errstatus--;
}

static int rest_depth(const struct parser *ps)
{
    const struct frame *f = ps->nfr ? &ps->fr[ps->nfr - 1] : NULL;
    switch (ps->st) {
    case P_STMT: return 2;
    case P_AFTER_IDENT: return 3;
    case P_VALUE: return 4;
    case P_AFTER_ASSIGN: return 3;
    case P_LIST_OPEN: return f->b + 1;
    case P_LIST_ITEM: return f->b + (f->list->u.list.n == 1 ? 3 : 6);
    case P_LIST_COMMA: return f->b + 4;
    }
    return 0;
}

/* Would bison's stack overflow on reaching `depth' entries? */
static bool exhausted(struct parser *ps, int depth)
{
    if (depth < BISON_MAXDEPTH)
        return false;
    struct cfg_token *t = la(ps);
    cfg__lex_error(&ps->lx, t->bline, 0, t->off, t->line, t->col,
                   "libxlu's parser stack allows 1999 to 4996 levels, "
                   "depending on the items before each `['",
                   "lists nested too deeply");
    ps->failed = ps->aborted = true;
    return true;
}

/* A syntax error at the lookahead, then bison's recovery. */
static void syntax_error_r(struct parser *ps, bool recover,
                           const char *expecting, const char *hint)
{
    struct cfg_token *t = &ps->tok;
    if (ps->errstatus != 0) {
        ps->lx.nerrors++;       /* bison: not reported, still an error */
    } else {
        char *what = cfg__tok_describe(&ps->lx, t);
        char *ctx = ps->name && ps->nfr == 0 && ps->st == P_AFTER_IDENT
                        ? xasprintf(" after `%s'", ps->name)
                        : xstrdup("");
        bool shown = cfg__lex_error(&ps->lx, t->bline, 0, t->off, t->line,
                                    t->col, hint,
                                    "unexpected %s%s, expecting %s", what,
                                    ctx, expecting);
        free(what);
        free(ctx);
        if (shown && t->t == TOK_EOF && ps->nfr) {
            const struct frame *f = &ps->fr[ps->nfr - 1];
            cfg_pos p;
            cfg__lex_pos(&ps->lx, f->off, f->line, f->col, &p);
            if (ps->lx.d)
                vxl_diag_add(ps->lx.d, VXL_NOTE, p.file, p.line, p.col,
                             NULL, "the list was opened here");
        }
    }
    ps->failed = true;
    drop_partial(ps);
    if (!recover) {
        ps->aborted = true;
        return;
    }
    ps->errstatus = 3;
    while (la(ps)->t != TOK_NEWLINE) {
        if (ps->tok.t == TOK_EOF) {
            ps->aborted = true;
            return;
        }
        free(ps->tok.str);
        ps->tok.str = NULL;
        ps->have_tok = false;
    }
    shift(ps);
    ps->st = P_STMT;
}

static void syntax_error(struct parser *ps, const char *expecting,
                         const char *hint)
{
    syntax_error_r(ps, true, expecting, hint);
}

/* Join a += value onto the previous value of the same name, as libxlu
 * does: the previous setting loses its value, *v becomes the sum. */
static bool concat(struct parser *ps, struct cfg_value **v)
{
    int i = cfg__find(ps->cfg, ps->name);
    if (i < 0 || !ps->cfg->set[i].value)
        return true;
    struct cfg_value *prev = ps->cfg->set[i].value, *add = *v;
    if (prev->type != add->type) {
        /* libxlu reports this as a lexical error, on the line of the
         * value's last token */
        cfg__lex_error_pos(&ps->lx, ps->last_line, 1, &add->pos,
                       "`+=' appends a string to a string or a list to a "
                       "list",
                       "can't add %s to %s `%s'",
                       add->type == CFG_LIST ? "a list" : "a string",
                       prev->type == CFG_LIST ? "the list" : "the string",
                       ps->name);
        return false;
    }
    ps->cfg->set[i].value = NULL;
    if (add->type == CFG_STRING) {
        size_t need = prev->u.str.len + add->u.str.len + 1;
        if (need > prev->u.str.cap) {
            size_t cap = prev->u.str.cap * 2 > need ? prev->u.str.cap * 2
                                                    : need;
            prev->u.str.s = xrealloc(prev->u.str.s, cap);
            prev->u.str.cap = cap;
        }
        memcpy(prev->u.str.s + prev->u.str.len, add->u.str.s,
               add->u.str.len + 1);
        prev->u.str.len += add->u.str.len;
    } else {
        struct cfg_list *pl = &prev->u.list, *al = &add->u.list;
        if (pl->n + al->n > pl->cap) {
            int cap = pl->cap * 2 > pl->n + al->n ? pl->cap * 2
                                                  : pl->n + al->n;
            pl->v = xreallocarray(pl->v, (size_t)cap, sizeof(*pl->v));
            pl->cap = cap;
        }
        if (al->n)
            memcpy(pl->v + pl->n, al->v, (size_t)al->n * sizeof(*al->v));
        pl->n += al->n;
        al->n = 0;
    }
    prev->pos = add->pos;
    cfg__value_free(add);
    *v = prev;
    return true;
}

static void store(struct parser *ps, struct cfg_value *v)
{
    /* libxlu stores nothing once anything went wrong */
    if (ps->failed || ps->lx.nerrors) {
        cfg__value_free(v);
        free(ps->name);
        ps->name = NULL;
        return;
    }
    if (ps->op == CFG_OP_ADDITION && !concat(ps, &v)) {
        ps->failed = true;
        cfg__value_free(v);
        free(ps->name);
        ps->name = NULL;
        return;
    }
    cfg__add_setting(ps->cfg, ps->name, v, ps->op, ps->namepos);
    ps->name = NULL;
}

/* A complete value: the assignment's, or the next item of a list. */
static void value_done(struct parser *ps, struct cfg_value *v)
{
    if (ps->nfr == 0) {
        store(ps, v);
        ps->st = P_AFTER_ASSIGN;
        return;
    }
    struct cfg_list *l = &ps->fr[ps->nfr - 1].list->u.list;
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 4;
        l->v = xreallocarray(l->v, (size_t)l->cap, sizeof(*l->v));
    }
    l->v[l->n++] = v;
    ps->st = P_LIST_ITEM;
    exhausted(ps, rest_depth(ps));
}

static struct cfg_value *new_value(struct parser *ps, enum cfg_value_type t)
{
    struct cfg_value *v = xcalloc(1, sizeof(*v));
    v->type = t;
    v->pos = tok_pos(ps, &ps->tok);
    return v;
}

/* The lookahead starts a value (STRING, NUMBER or '['). */
static void start_value(struct parser *ps)
{
    int vpos = rest_depth(ps) + 1;
    if (ps->tok.t == TOK_LBRACK) {
        if (exhausted(ps, vpos + 1))
            return;
        if (ps->nfr == ps->capfr) {
            ps->capfr = ps->capfr ? ps->capfr * 2 : 8;
            ps->fr = xreallocarray(ps->fr, (size_t)ps->capfr,
                                   sizeof(*ps->fr));
        }
        struct frame *f = &ps->fr[ps->nfr++];
        f->list = new_value(ps, CFG_LIST);
        f->b = vpos;
        f->off = ps->tok.off;
        f->line = ps->tok.line;
        f->col = ps->tok.col;
        ps->st = P_LIST_OPEN;
        shift(ps);
        return;
    }
    if (exhausted(ps, vpos))
        return;
    struct cfg_value *v = new_value(ps, CFG_STRING);
    v->u.str.s = ps->tok.str;
    v->u.str.len = ps->tok.slen;
    v->u.str.cap = ps->tok.slen + 1;
    ps->tok.str = NULL;
    shift(ps);
    value_done(ps, v);
}

static void close_list(struct parser *ps)
{
    struct frame *f = &ps->fr[ps->nfr - 1];
    if (exhausted(ps, f->b + 3))
        return;
    struct cfg_value *v = f->list;
    ps->nfr--;
    shift(ps);
    value_done(ps, v);
}

static bool is_value_start(enum cfg_tok t)
{
    return t == TOK_STRING || t == TOK_NUMBER || t == TOK_LBRACK;
}

static const char *quote_hint(struct parser *ps)
{
    return ps->tok.t == TOK_IDENT
               ? "strings must be quoted, e.g. name = \"value\""
               : NULL;
}

static void step(struct parser *ps)
{
    enum cfg_tok t = la(ps)->t;
    switch (ps->st) {
    case P_STMT:
        if (t == TOK_IDENT) {
            ps->name = ps->tok.str;
            ps->tok.str = NULL;
            ps->namepos = tok_pos(ps, &ps->tok);
            ps->st = P_AFTER_IDENT;
            shift(ps);
        } else if (t == TOK_NEWLINE || t == TOK_SEMI) {
            shift(ps);
        } else if (t == TOK_EOF) {
            ps->aborted = true;     /* done */
        } else {
            syntax_error(ps, "a setting name", NULL);
        }
        return;
    case P_AFTER_IDENT:
        if (t == TOK_EQ || t == TOK_ADD) {
            ps->op = t == TOK_ADD ? CFG_OP_ADDITION : CFG_OP_ASSIGNMENT;
            ps->st = P_VALUE;
            shift(ps);
        } else {
            syntax_error(ps, "`=' or `+='", NULL);
        }
        return;
    case P_VALUE:
        if (is_value_start(t))
            start_value(ps);
        else
            syntax_error(ps, "a value (a quoted string, a number or `[')",
                         quote_hint(ps));
        return;
    case P_AFTER_ASSIGN:
        if (t == TOK_NEWLINE || t == TOK_SEMI) {
            ps->st = P_STMT;
            shift(ps);
        } else if (t == TOK_EOF) {
            ps->aborted = true;     /* done: the last statement */
        } else {
            /* bison's default reduction to `file' has already popped the
             * state that could recover: libxlu stops reading here */
            syntax_error_r(ps, false, "a newline or `;' after the value",
                         t == TOK_COMMA
                             ? "a list needs brackets: name = [ a, b ]"
                             : NULL);
        }
        return;
    case P_LIST_OPEN:
    case P_LIST_COMMA:
        if (t == TOK_NEWLINE) {
            if (!exhausted(ps, rest_depth(ps) + 1))
                shift(ps);
        } else if (t == TOK_RBRACK) {
            close_list(ps);
        } else if (is_value_start(t)) {
            start_value(ps);
        } else {
            syntax_error(ps, "a list item or `]'", quote_hint(ps));
        }
        return;
    case P_LIST_ITEM:
        if (t == TOK_NEWLINE) {
            if (!exhausted(ps, rest_depth(ps) + 1))
                shift(ps);
        } else if (t == TOK_COMMA) {
            ps->st = P_LIST_COMMA;
            shift(ps);
            exhausted(ps, rest_depth(ps));
        } else if (t == TOK_RBRACK) {
            close_list(ps);
        } else {
            syntax_error(ps, "`,' or `]' in the list",
                         t == TOK_STRING || t == TOK_NUMBER
                             ? "list items are separated by `,'"
                             : quote_hint(ps));
        }
        return;
    }
}

int cfg__parse(cfg_config *cfg, const char *buf, size_t len,
               size_t split_off, const char *origin2, vxl_diags *d)
{
    struct parser ps;
    memset(&ps, 0, sizeof(ps));
    ps.cfg = cfg;
    cfg__lex_init(&ps.lx, buf, len, cfg->filename, d);
    if (split_off != (size_t)-1) {
        int line = 1;
        for (const char *p = buf; (p = memchr(p, '\n', split_off -
                                              (size_t)(p - buf))); p++)
            line++;
        ps.lx.split_off = split_off;
        ps.lx.split_line = line;
        ps.lx.file2 = cfg__origin(cfg, origin2);
    }
    ps.st = P_STMT;
    while (!ps.aborted)
        step(&ps);
    if (ps.have_tok)
        free(ps.tok.str);
    drop_partial(&ps);
    free(ps.fr);

    bool failed = ps.failed || ps.lx.nerrors;
    if (failed && ps.lx.likely_python && d)
        vxl_diag_add(d, VXL_NOTE, cfg->filename, 0, 0,
                     "see https://wiki.xen.org/wiki/PythonInXlConfig",
                     "the config looks like it contains Python code; "
                     "arbitrary Python is no longer supported");
    return failed ? EINVAL : 0;
}
