/* cfgparse/cfg_int.h — internals shared by the xl.cfg reader's files:
 * the config store (cfg.c), the lexer (cfg_lex.c) and the parser
 * (cfg_parse.c).  Not for use outside cfg*.c; the API is cfg.h. */
#ifndef VXL_CFGPARSE_CFG_INT_H
#define VXL_CFGPARSE_CFG_INT_H

#include <stdbool.h>
#include <stddef.h>
#include "cfgparse/cfg.h"

struct cfg_list {
    int n, cap;
    struct cfg_value **v;
};

struct cfg_value {
    enum cfg_value_type type;
    cfg_pos pos;
    union {
        struct {            /* CFG_STRING: NUL-terminated, never holds NUL */
            char *s;
            size_t len, cap;    /* cap: allocated bytes, for += appends */
        } str;
        struct cfg_list list;
    } u;
};

typedef struct cfg_setting {
    char *name;
    struct cfg_value *value;    /* NULL once += moved it to a newer one */
    enum cfg_op op;
    cfg_pos pos;                /* of the name */
} cfg_setting;

struct cfg_config {
    char *filename;
    char **origins;             /* extra origin names (owned), for cfg_pos */
    int norigins;
    cfg_setting *set;           /* in reading order */
    int nset, capset;
    int *hash;                  /* open addressing: index into set, -1 */
    size_t hcap;                /* power of two */
};

/* ---- store (cfg.c) ---- */
void cfg__value_free(struct cfg_value *v);
/* Index of the latest setting called name, or -1. */
int cfg__find(const cfg_config *cfg, const char *name);
/* Add a setting (takes name and value); += concatenation must already
 * have been done by the caller. */
void cfg__add_setting(cfg_config *cfg, char *name, struct cfg_value *value,
                      enum cfg_op op, cfg_pos pos);
/* Intern an origin name so cfg_pos.file can point at it. */
const char *cfg__origin(cfg_config *cfg, const char *origin);

/* ---- lexer (cfg_lex.c) ---- */
enum cfg_tok {
    TOK_EOF, TOK_IDENT, TOK_NUMBER, TOK_STRING, TOK_NEWLINE,
    TOK_COMMA, TOK_LBRACK, TOK_RBRACK, TOK_EQ, TOK_ADD, TOK_SEMI,
};

struct cfg_token {
    enum cfg_tok t;
    size_t off, len;        /* source text of the token */
    int line, col;          /* position in the whole text, 1-based */
    int bline;              /* the line bison's yylloc holds for it */
    char *str;              /* IDENT/NUMBER/STRING: malloc'd value */
    size_t slen;
};

struct cfg_lexer {
    const char *buf;
    size_t len, pos;
    int line;               /* line of buf[pos] */
    size_t line_start;      /* offset of the start of that line */
    size_t after_last_nl;   /* offset just after the last '\n', or 0 */
    /* Positions at or after split_off belong to the second origin and
     * their lines count from split_line. */
    size_t split_off;       /* (size_t)-1: no split */
    int split_line;
    const char *file1, *file2;
    vxl_diags *d;
    int nerrors;            /* errors so far (libxlu: ctx->err set) */
    int nreported;          /* errors put into the diagnostics */
    int lexerr_line;        /* libxlu's lexerrlineno, 0 = none */
    int last_bline;         /* bline of the last token returned */
    int likely_python;
};

void cfg__lex_init(struct cfg_lexer *lx, const char *buf, size_t len,
                   const char *file, vxl_diags *d);
/* Next token; lexical errors are reported and skipped as libxlu does. */
void cfg__lex_next(struct cfg_lexer *lx, struct cfg_token *tok);
/* Map a whole-text position to an origin name and line. */
void cfg__lex_pos(const struct cfg_lexer *lx, size_t off, int line, int col,
                  cfg_pos *pos);
/* Report an error at a whole-text position.  As libxlu does, an error
 * whose bison line `bline' is not after the last lexical error's is
 * counted but not reported; a lexical error (lexical != 0) moves that
 * mark to bline. */
bool cfg__lex_error(struct cfg_lexer *lx, int bline, int lexical,
                    size_t off, int line, int col,
                    const char *hint, const char *fmt, ...)
    __attribute__((format(printf, 8, 9)));
/* The same at an already mapped position.  Both return whether the
 * error was reported (not suppressed). */
bool cfg__lex_error_pos(struct cfg_lexer *lx, int bline, int lexical,
                        const cfg_pos *p, const char *hint,
                        const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
/* Describe a token for messages ("IDENT `foo'"); malloc'd. */
char *cfg__tok_describe(const struct cfg_lexer *lx, const struct cfg_token *t);

/* ---- parser (cfg_parse.c) ---- */
/* Parse buf into cfg.  Returns 0 or EINVAL. */
int cfg__parse(cfg_config *cfg, const char *buf, size_t len,
               size_t split_off, const char *origin2, vxl_diags *d);

#endif
