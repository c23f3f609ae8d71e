#!/usr/bin/env python3
"""scripts/xlcfg-random-diff.py — random differential test of `vxl create -n`
against Xen 4.17's xl (maintainer tool, NOT run in CI: needs the xl-oracle
and root, like scripts/gen-xlcfg-expected.sh).

    scripts/xlcfg-random-diff.py VXL [--mutate] [--seed S] [--count N] [--out DIR]

By default each round builds a config from a random PV/PVH/HVM base plus 1-5 option
lines drawn from the single-line settings of tests/data/xlcfg, 0-3 of
those lines as command-line overrides and 0-3 xl.conf lines drawn from the
*.xlconf files, then runs xl (`xl -N create`, the xl.conf bind-mounted in
a private mount namespace) and vxl (`create -n`, VXL_XL_CONF,
VXL_HOST="cpus=16,nodes=2,memory=32768").  Exit statuses must agree, and
on success stdout must agree after masking the random c_info uuid and
ms_vm_genid.  Lines naming the cases where xl 4.17 is known to be wrong
(nodes:, trusted, rdm=) are left out, as is xl.conf's output_format (xl 4.17
crashes).

With --mutate, each round instead takes one config of tests/data/xlcfg (no
NAME.args/NAME.xlconf, none of the xl-4.17-is-wrong ones) and makes 1-3
random edits inside its strings and numbers (delete, insert or replace a
character from `,=:;@^-._/ 0-9a-fxXkKMGbB*!`).  There, a rejection must
also name its place (`r.cfg:LINE:COL:` on vxl's stderr).  Configs xl
crashes on are counted and written as cN.cfg (candidates for
XL417-WRONG.tsv).

A mismatch is written to DIR (default ./xlcfg-diffs) as dN.cfg, dN.args,
dN.xlconf: the layout of tests/data/xlcfg, so a real bug can become a case
(copy it, run scripts/gen-xlcfg-expected.sh on it).  Prints one line per
mismatch and `N rounds, M mismatches`; exit status 1 on any mismatch.
"""
import argparse, glob, os, random, re, subprocess, sys, tempfile

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(TOP, 'tests', 'data', 'xlcfg')
ORACLE = os.environ.get('XL_ORACLE', '/work/shared/xl-oracle/xl-oracle')
BASES = {
    'pv': 'name = "r{i}"\nkernel = "/boot/vmlinuz"\nmemory = 1024\n',
    'pvh': 'name = "r{i}"\ntype = "pvh"\nkernel = "/boot/vmlinuz"\nmemory = 1024\n',
    'hvm': 'name = "r{i}"\ntype = "hvm"\nmemory = 1024\n',
}
SETTING = re.compile(r'^[a-z][a-z0-9_.]*\s*\+?=\s*\S.*$')
SKIP = ('trusted', 'node', 'rdm =', 'rdm=')   # xl 4.17 is wrong there (XL417-WRONG.tsv)


def pools():
    lines, conf = set(), set()
    for f in glob.glob(DATA + '/**/*.cfg', recursive=True):
        try:
            text = open(f, encoding='utf-8').read()
        except (UnicodeDecodeError, OSError):
            continue
        for l in text.split('\n'):
            if (SETTING.match(l) and not l.startswith(('name', 'type', 'builder'))
                    and l.count('[') == l.count(']')
                    and '\0' not in l and not any(s in l for s in SKIP)):
                lines.add(l)
    for f in glob.glob(DATA + '/**/*.xlconf', recursive=True):
        for l in open(f, encoding='utf-8').read().split('\n'):
            if l and not l.startswith('#') and 'output_format' not in l:
                conf.add(l)
    return sorted(lines), sorted(conf)


MUTCHARS = list(',=:;@^-._/ 0123456789abcdefxXkKMGbB*!')
ATOM = re.compile(r'"[^"\n]*"|\'[^\'\n]*\'|\b[0-9][0-9a-fx]*\b')


def mutation_pool():
    out = []
    for f in sorted(glob.glob(DATA + '/**/*.cfg', recursive=True)):
        try:
            t = open(f, encoding='utf-8').read()
        except (UnicodeDecodeError, OSError):
            continue
        if ('\0' in t or any(s in t for s in SKIP)
                or os.path.exists(f[:-4] + '.args') or os.path.exists(f[:-4] + '.xlconf')):
            continue
        out.append(t)
    return out


def mutate(rnd, t):
    for _ in range(rnd.randint(1, 3)):
        atoms = [m.span() for m in ATOM.finditer(t)]
        if not atoms:
            break
        a, b = rnd.choice(atoms)
        if b - a < 2:
            continue
        p = rnd.randint(a + 1, b - 1) if t[a] in '"\'' else rnd.randint(a, b - 1)
        op = rnd.random()
        if op < 1 / 3:
            t = t[:p] + t[p + 1:]
        elif op < 2 / 3:
            t = t[:p] + rnd.choice(MUTCHARS) + t[p:]
        else:
            t = t[:p] + rnd.choice(MUTCHARS) + t[p + 1:]
    return t


def mask(s):
    s = re.sub(r'^(        "uuid": ")[^"]*', r'\g<1>X', s, count=1, flags=re.M)
    return re.sub(r'("ms_vm_genid": \[)[^\]]*', r'\1X', s)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('vxl')
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--count', type=int, default=500)
    ap.add_argument('--out', default='xlcfg-diffs')
    ap.add_argument('--mutate', action='store_true')
    o = ap.parse_args()
    vxl = os.path.abspath(o.vxl)
    rnd = random.Random(o.seed)
    lines, conf = pools()
    work = tempfile.mkdtemp(prefix='xlcfg-rand.')
    cfg, xlconf = os.path.join(work, 'r.cfg'), os.path.join(work, 'r.xlconf')
    env = dict(os.environ, VXL_HOST='cpus=16,nodes=2,memory=32768', VXL_XL_CONF=xlconf)
    configs = mutation_pool() if o.mutate else None
    bad = crashes = 0
    for i in range(o.count):
        if o.mutate:
            body = mutate(rnd, rnd.choice(configs))
            if any(s in body for s in SKIP):
                continue
            args, xc = [], open(os.path.join(DATA, 'xl.conf')).read()
        else:
            body = BASES[rnd.choice(sorted(BASES))].format(i=i)
            body += '\n'.join(rnd.sample(lines, rnd.randint(1, 5))) + '\n'
            args = [re.sub(r'\s*#.*$', '', l) for l in rnd.sample(lines, rnd.randint(0, 3))]
            xc = '\n'.join(rnd.sample(conf, rnd.randint(0, 3))) + '\n'
        open(cfg, 'w').write(body)
        open(xlconf, 'w').write(xc)
        a = subprocess.run(['unshare', '-m', 'sh', '-c',
                            'mount --bind "$0" /etc/xen/xl.conf && exec "$@"',
                            xlconf, ORACLE, 'create', 'r.cfg'] + args,
                           cwd=work, capture_output=True, text=True, errors='replace')
        if a.returncode < 0 or a.returncode >= 128:
            crashes += 1            # xl crashed: no answer to compare with
            os.makedirs(o.out, exist_ok=True)
            open(os.path.join(o.out, 'c%d.cfg' % crashes), 'w').write(body)
            continue
        b = subprocess.run([vxl, 'create', '-n', 'r.cfg'] + args, cwd=work, env=env,
                           capture_output=True, text=True, errors='replace')
        why = None
        if a.returncode != b.returncode:
            why = 'xl exit %d, vxl exit %d' % (a.returncode, b.returncode)
        elif a.returncode == 0 and mask(a.stdout) != mask(b.stdout):
            why = 'different JSON'
        elif (a.returncode and o.mutate
              and not re.search(r'(^|[^A-Za-z0-9_.-])r\.cfg:[0-9]+:[0-9]+:', b.stderr)):
            why = 'rejected without r.cfg:LINE:COL'
        if not why:
            continue
        bad += 1
        os.makedirs(o.out, exist_ok=True)
        base = os.path.join(o.out, 'd%d' % bad)
        open(base + '.cfg', 'w').write(body)
        if args:
            open(base + '.args', 'w').write(''.join(x + '\n' for x in args))
        open(base + '.xlconf', 'w').write(xc)
        print('MISMATCH %s: %s' % (base, why), flush=True)
    print('%d rounds, %d mismatches, xl crashed %d times' % (o.count, bad, crashes))
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
