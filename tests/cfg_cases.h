/* tests/cfg_cases.h — xl.cfg grammar edge cases, shared by the
 * differential test (tests/unit/test_cfg_xlu.c, which runs each through
 * both libxlu and vxl) and as fuzz seeds.  Written for this project. */
#ifndef VXL_TESTS_CFG_CASES_H
#define VXL_TESTS_CFG_CASES_H

#include <stddef.h>

struct cfg_case {
    const char *text;
    size_t len;         /* 0: strlen(text) */
    const char *extra;  /* xl create key=value text, NULL for none */
};

#define C(s) { s, sizeof(s) - 1, NULL }
#define CX(s, x) { s, sizeof(s) - 1, x }

static const struct cfg_case cfg_cases[] = {
    /* empty and blank */
    C(""), C("\n"), C("\n\n\n"), C(" \t \n"), C(";"), C(";;\n;"),
    C("# only a comment\n"), C("# comment without newline"),
    C("#"), C("#\n#"), C("x = 1\n#c"), C("x = 1\n#c d"),
    C("x = 1 # trailing comment\n"), C("x = 1# tight\n"),
    /* atoms */
    C("x = 1"), C("x = 1\n"), C("x = 0x1f\n"), C("x = 0x1F\n"),
    C("x = 010\n"), C("x = 08\n"), C("x = 0x\n"), C("x = 1e5\n"),
    C("x = 12abc\n"), C("x = 12g\n"), C("x = 0xffffffffffffffffff\n"),
    C("x = 9223372036854775807\n"), C("x = 9223372036854775808\n"),
    C("x = -1\n"), C("x = +1\n"), C("x = \" -5\"\n"), C("x = \"5 \"\n"),
    C("x = \"\"\n"), C("x = ''\n"), C("x = 'a\"b'\n"), C("x = \"a'b\"\n"),
    C("x = \"0x10\"\n"), C("x = \"abc\"\n"), C("x = 'abc'"),
    /* escapes */
    C("x = \"a\\nb\\tc\\rd\\ae\\bf\\fg\\vh\"\n"),
    C("x = \"\\\\ \\' \\\"\"\n"), C("x = 'it\\'s'\n"),
    C("x = \"a\\x41b\"\n"), C("x = \"\\x\"\n"), C("x = \"a\\012b\"\n"),
    C("x = \"a\\0\"\n"), C("x = \"a\\01\"\n"), C("x = \"a\\0123\"\n"),
    C("x = \"a\\18\"\n"), C("x = \"a\\8\"\n"), C("x = \"a\\1 2b\"\n"),
    C("x = \"a\\1-12b\"\n"), C("x = \"a\\1+\"\n"), C("x = \"\\7  \"\n"),
    C("x = \"a\\q\"\n"), C("x = \"a\\\n\"\n"), C("x = \"abc\\\"\n"),
    C("x = \"abc\n\"\n"), C("x = \"abc\n"), C("x = 'abc"), C("x = '"),
    C("x = \"\\z\" y\n"), C("x = \"\\x41\" \"\\x\"\n"),
    /* identifiers */
    C("a.b_c9 = 1\n"), C("Memory = 1\n"), C("_x = 1\n"), C("x-y = 1\n"),
    C("9x = 1\n"), C("x_ = 1\n"), C("x. = 1\n"), C("x = y\n"),
    C("x\n"), C("x"), C("x ="), C("x =\n"), C("x = = 1\n"),
    C("= 1\n"), C("x += \n"),
    /* separators */
    C("x = 1; y = 2\n"), C("x = 1 ; ; y = 2;"), C("x = 1 y = 2\nz=3\n"),
    C("x = 1,\n"), C("x = 1, 2\n"), C("x = 1\r\n"), C("x = 1\r\ny = 2\r\n"),
    C("x = 1\ny = 2\r\nz = 3\r\nw = 4\r\n"),
    /* lists */
    C("x = []\n"), C("x = [\n]\n"), C("x = [ , ]\n"), C("x = [1,]\n"),
    C("x = [1,,2]\n"), C("x = [1 2]\n"), C("x = [1\n,\n2\n,\n]\n"),
    C("x = [\n\n'a',\n\n'b'\n\n]\n"), C("x = [ # c\n 'a', # d\n]\n"),
    C("x = [[1,[2]],[]]\n"), C("x = [[[[]]]]\n"), C("x = [1"),
    C("x = [1,"), C("x = ["), C("x = ]\n"), C("x = [1]]\n"),
    C("x = [1] [2]\n"), C("x = ['a' 'b'\n 'c' ]\ny = 1\n"),
    C("disk = [ 'phy:/dev/vg/a,xvda,w',\n  'file:/x.img,xvdb,r' ]\n"),
    C("x = [1,\n2U\n\n"),        /* libxlu leaks here */
    C("x = [y]\n"), C("x = [1;2]\n"),
    /* += */
    C("x += 1\n"), C("x = 1\nx += 2\n"), C("x = \"a\"\nx += \"b\"\n"),
    C("x = [1]\nx += [2]\nx += [3,4]\n"), C("x += [1]\n"),
    C("x = \"a\"\nx += [1]\n"), C("x = [1]\nx += \"a\"\n"),
    C("x = 1\nx = [2]\nx += [3]\n"), C("x = [1]\nx = \"s\"\nx += \"t\"\n"),
    C("x=[1,\n2,\n]\ny+=[3]\ny+=[4]\nx+=[5]"),
    C("x=\"a\"\nx+=\"b\"\nx+=[1]"), C("x = 1\nx += [2] $\n"),
    C("x = 1\nx += [2] $\ny z\n"),
    /* overriding */
    C("x = 1\nx = 2\n"), C("x = [1]\nx = 2\n"), C("x = 1\ny = 2\nx = 3\n"),
    /* stray characters and error recovery */
    C("x = 1\n$"), C("x = 1\n+"), C("x = 1;+"), C("x = 1 +"),
    C("x = 1 $\n"), C("x = $ $\n"), C("x = $a b$ c\n"), C("x = 1\n$\n"),
    C("a = 1\nfoo bar\nbaz qux\nc = 2\nd e\n"), C("foo bar"),
    C("a b\nc d\ne f\ng h\n"), C("a b\n\n\nc d\n"), C("a b;c d\ne f\n"),
    C("x = [ 1 $\n\n"), C("x = [\n$a"), C("x = [ $a"), C("@\n@\n@\n"),
    C("= 1\nx=1\nfoo bar\n"), C("x = 1 y\nx=1\nfoo bar\n"),
    C("x = [1] 2\nx=1\nfoo bar\n"), C("x = 1 y\nx=1\nfoo $\n"),
    C("x = 1 @\ny z\n"), C("x = 1 @\n\ny z\n"), C("x = \"\\q\" y\nz w\n"),
    C("x = 1\n\xff\n"), C("x = \"\xc3\xa9\"\n"), C("x = 1 :\n"),
    C("x = (1)\n"), C("x = 'a' + 'b'\n"), C("x = 1.5\n"), C("x = .5\n"),
    /* python-looking */
    C("import os, re\narch = os.uname()[4]\nif re.search('64', arch):\n"
      "    arch_libdir = 'lib64'\nelse:\n    arch_libdir = 'lib'\n"),
    C("vmid = int(vmid)\n"), C("def vmid_check(var, val):\n  return 1\n"),
    C("memory = 512\nname = \"%s\" % vmid\n"),
    /* realistic */
    C("name = \"guest\"\nmemory = 1024\nvcpus = 2\n"
      "vif = [ 'mac=00:16:3e:00:00:01,bridge=xenbr0' ]\n"
      "disk = [ '/dev/vg/guest,raw,xvda,rw' ]\non_reboot = 'restart'\n"),
    /* overrides (xl create cfg key=value ...) */
    CX("x = 1\n", "x=2\n"), CX("x = 1", "y=\"a\"\n"), CX("x = [1,", "2]\n"),
    CX("# c", "x=1\n"), CX("x = 1\n", "x=\n"), CX("x = 1\n", "y z\n"),
    CX("x = 1\n", "memory=512\nvcpus=2\n"), CX("x = \"a\"\n", "x+=\"b\"\n"),
    CX("x = 1\n", "$\n"), CX("d", "  \x01\x89""c1\n  \"^\"\"\\^^\"x\"\""),
    /* found by fuzz_cfg_xlu: suppressed errors counted as reported */
    CX("x",
       "=\n\x01 \xbb\x09=\xbd $\n\x01 ) \x1a\x09]$ \xbb\n\x01 [\xbb\n[\xbb\n"
       "\x01 \x1a\x09\xbb\x09]\x1a\x09$\n\x01 \x1a\x09]\xbb\x09\xbd \x1a\x09$"),
    C("a b\n$x\n\"\\q\"\n"), C("a b\nx = \"\\q\"\n"), CX("", "x=1\n"), CX("x = [1]\n", "x+=[2]\n"),
};

#undef C
#undef CX

#endif
