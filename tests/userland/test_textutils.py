"""The text utilities (echo cat wc grep head tail sort uniq cut tr tee seq basename
dirname xargs expr test [ printf) against the host's GNU coreutils, grep and findutils.

Each case runs the same command inside (``/bin/NAME`` in ``/host``) and on the
host (in the same folder, C locale), with the same files and standard input:
the exit status, standard output and standard error must be the same. Inside,
the program is called as ``/bin/NAME`` and GNU names itself by ``argv[0]``, so
``/bin/NAME`` in the inside's messages is read as ``NAME``.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence

import pytest
from userland_harness import Ran, Userland

WORDS = (
    b"the quick brown fox\n"
    b"jumps over\tthe lazy dog\n"
    b"\n"
    b"the quick brown fox\n"
    b"the quick brown fox\n"
    b"THE QUICK brown fox\n"
    b"foo_bar baz foobar\n"
    b"  leading blanks and trailing  \n"
    b"\n"
    b"\n"
    b"ctl \x01\x7f high \xe9\xff end\n"
    b"last line without newline"
)
NUMS = b"10\n9\n-3\n  7\n007\n1e3\n2.5\n-0\nabc\n100\n2.50\n\n+4\n0x10\n1K\n3M\n2G\n"
FIELDS = (
    b"root:x:0:0:root:/root:/bin/bash\n"
    b"daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
    b"no delimiter here\n"
    b"bin:x:2:2::/bin:\n"
    b"a:b\n"
    b"::\n"
    b"zed:x:1000:1000:Zed,,,:/home/zed:/bin/sh\n"
)
TABLE = (
    b"b 10 x3 Mar\n"
    b"a 2 y1 jan\n"
    b"B 10 z2 FEB\n"
    b"  c -3 w9 dec\n"
    b"b 010 q2 Jan\n"
    b"a 2.0 y1 apr\n"
    b"A 1e3 k7 xyz\n"
    b"a\t5 t5 Oct\n"
)
# Names that GNU quotes in messages (and printf %q) in different ways.
MISSING_NAMES = ["a b", "it's", "x$y", "a'b c", "plain", "~x", "a~", "#a", "a=b", "a,b", "n\nl",
                 "a\x01\tb", ""]
FILES: dict[str, bytes] = {
    "words": WORDS,
    "nums": NUMS,
    "fields": FIELDS,
    "table": TABLE,
    "empty": b"",
    "nonl": b"one\ntwo\nthree",
    "bin": b"text line\nbin\x00ary line\nmore text\n",
    "lines": b"".join(b"line %d\n" % i for i in range(1, 31)),
    "dir/a.txt": b"fox in a\nnothing\n",
    "dir/b.c": b"int fox;\n",
    "dir/sub/c.txt": b"the fox\nfox fox\n",
    "dir/sub/d.log": b"no match\n",
}


def _write(userland: Userland, files: dict[str, bytes]) -> None:
    for name, data in files.items():
        path = userland.host / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def _normalize(ran: Ran, name: str) -> Ran:
    """Inside, GNU-style messages name the program ``/bin/NAME``; read it as ``NAME``."""
    stderr = ran.stderr.replace(f"/bin/{name}".encode(), name.encode())
    return Ran(ran.exit_code, ran.stdout, stderr)


def _sorted_lines(data: bytes) -> list[bytes]:
    return sorted(data.splitlines())


def same(
    userland: Userland,
    argv: Sequence[str],
    stdin: bytes = b"",
    *,
    files: dict[str, bytes] | None = None,
    unordered: bool = False,
    stderr: bool = True,
) -> Ran:
    """Run ``argv`` inside and on the host with the same files; assert the same result.

    ``unordered``: compare the lines of the output as sets (directory order differs
    between the host's file system and hostfs). ``stderr``: also compare stderr.
    """
    _write(userland, FILES if files is None else files)
    inside = _normalize(userland.inside(argv, stdin=stdin), argv[0])
    native = userland.native(argv, stdin=stdin)
    assert inside.exit_code == native.exit_code, (argv, inside, native)
    if unordered:
        assert _sorted_lines(inside.stdout) == _sorted_lines(native.stdout), (argv, inside, native)
    else:
        assert inside.stdout == native.stdout, (argv, inside, native)
    if stderr:
        if unordered:
            assert _sorted_lines(inside.stderr) == _sorted_lines(native.stderr), (argv, inside)
        else:
            assert inside.stderr == native.stderr, (argv, inside, native)
    return inside


def cases(*commands: str | tuple[str, bytes]) -> pytest.MarkDecorator:
    """Parametrize ``argv`` from shell-quoted commands (and ``stdin``: empty, or given
    as ``(command, stdin)``)."""
    params = []
    for item in commands:
        command, stdin = item if isinstance(item, tuple) else (item, b"")
        params.append(pytest.param(shlex.split(command), stdin, id=command[:60]))
    return pytest.mark.parametrize(("argv", "stdin"), params)


# ---------------------------------------------------------------- echo, printf


@cases(
    "echo", "echo a 'b  c' ''", "echo -n x", r"echo -e 'a\tb\x41\0101\n\c' z", r"echo -E 'a\tb'",
    r"echo -neE '1\n2'", "echo -x -- -n", r"echo -e '\e\a\v\\'", r"echo -e '\x' '\0' '\z'",
)
def test_echo(userland: Userland, argv: list[str], stdin: bytes) -> None:
    same(userland, argv, stdin, files={})


@cases(
    r"printf '%s|%5s|%-5s|%.2s|%c\n' abc d e fgh ij",
    r"printf '%d %i %o %u %x %X %#x %#o\n' 42 -7 8 -1 255 255 0 8",
    r"printf '%05d|%+d|% d|%-4d|%.3d|%*d|%-*.*f|\n' 6 4 5 3 7 5 42 8 2 3.14159",
    r"printf '%f %e %E %g %G %.0f %.0f\n' 3.5 1234.5 0.5 0.0001 1e20 2.5 3.5",
    r"printf '%s-%s\n' a b c", r"printf '%s %d\n'",
    r"""printf '%d\n' abc 12abc "'A" ' 7' 99999999999999999999 0x1f 010 "'" """,
    r"printf '%b|%b\n' 'a\tb\0101\101\q' 'x\cy' never",
    r"""printf 'a\qb\n\t\"\\\101\x41\e|\n'""", r"printf '\x'", "printf %z", "printf %5%",
    "printf %.3b", "printf 'x\n' extra", "printf", r"printf -- '%s\n' dash",
    r"printf '%q %q %q\n' 'a b' plain ''", r"printf '\u00e9 \U0001F600\n'", r"printf '\u0041'",
    r"printf '%i %f\n' 1.5 1.5x", r"printf '%c%c|\n' hello ''",
)
def test_printf(userland: Userland, argv: list[str], stdin: bytes) -> None:
    same(userland, argv, stdin, files={})


def test_printf_q_quotes_for_the_shell_as_gnu(userland: Userland) -> None:
    words = [*MISSING_NAMES, "a:b", "\x01a", "a\"b", "a'$b", "\xe9"]
    same(userland, ["printf", "%q|", *words], files={})


# ---------------------------------------------------------------- cat, wc, head, tail


@cases(
    "cat words nonl", "cat -n words nonl", "cat -b words", "cat -s words", "cat -E words",
    "cat -A words", "cat -vET words bin", "cat -e bin", "cat -t words", "cat -snb words",
    "cat nope dir nonl", ("cat -n - nonl -", b'from stdin\n'), "cat -z",
)
def test_cat(userland: Userland, argv: list[str], stdin: bytes) -> None:
    same(userland, argv, stdin)


@cases(
    "wc words", "wc words nums empty nonl", "wc -l words", "wc -w words", "wc -c words",
    "wc -m words", "wc -L words table", "wc -lwmcL words bin", "wc nope words", "wc -l nope words",
    "wc dir words", ("wc", b'a b\tc\n\nd'), ("wc -c", b'abc'), ("wc - nonl", b'x y\n'),
    "wc --lines --bytes fields", "wc -q",
)
def test_wc(userland: Userland, argv: list[str], stdin: bytes) -> None:
    same(userland, argv, stdin)


@cases(
    "head lines", "head -n 3 lines", "head -3 lines", "head -n -25 lines", "head -c 20 lines",
    "head -c -180 lines", "head -n 2 lines nonl empty", "head -q -n1 lines nonl",
    "head -v -n1 nonl", "head -n -1 nonl", "head -c 1K nonl", "head -n x lines", "head -c x lines",
    "head nope -n1 nonl", "head dir", ("head -n 2 - nonl", b'a\nb\nc\n'), "head -n 0 lines",
)
def test_head(userland: Userland, argv: list[str], stdin: bytes) -> None:
    same(userland, argv, stdin)


@cases(
    "tail lines", "tail -n 3 lines", "tail -3 lines", "tail -n +25 lines", "tail +28 lines",
    "tail -c 20 lines", "tail -c +180 lines", "tail -n 2 lines nonl empty",
    "tail -q -n1 lines nonl", "tail -v -n1 nonl", "tail -n 1 nonl", "tail -n +0 nonl",
    "tail -n 0 lines", "tail -2c nonl", "tail -n x lines", "tail nope", "tail dir",
    ("tail -n 2", b'a\nb\nc\n'), ("tail -c 3", b'abcdef'),
)
def test_tail(userland: Userland, argv: list[str], stdin: bytes) -> None:
    same(userland, argv, stdin)


# ---------------------------------------------------------------- sort, uniq, cut, tr


@cases(
    "sort table", "sort -r table", "sort -f table", "sort -u table", "sort -fu table",
    "sort -n nums", "sort -rn nums", "sort -nu nums", "sort -g nums", "sort -h nums",
    "sort -k2 table", "sort -k2n table", "sort -k2,2n table", "sort -k2,2nr -k1,1 table",
    "sort -s -k2,2n table", "sort -b -k2 table", "sort -k1.2 table", "sort -k1.2,1.3 table",
    "sort -k3.2b,3.2 table", "sort -k4M table", "sort -t: -k3,3n fields",
    "sort -t: -k7 -k1r fields", "sort -d words", "sort -i words", "sort words nonl empty",
    "sort -c table", "sort -C lines", "sort -nc lines", "sort -z bin", "sort nope",
    "sort -k0 table", "sort -t ab table", "sort -k1.x table", "sort -k 1,1x table",
    ("sort -o out -", b'b\na\n'),
)
def test_sort(userland: Userland, argv: list[str], stdin: bytes) -> None:
    same(userland, argv, stdin)


def test_sort_output_file_may_be_an_input(userland: Userland) -> None:
    for run in (userland.inside, userland.native):
        _write(userland, {"f": b"b\nc\na\n"})
        assert run(["sort", "-o", "f", "f"]).exit_code == 0
        assert (userland.host / "f").read_bytes() == b"a\nb\nc\n"


@cases(
    "uniq words", "uniq -c words", "uniq -d words", "uniq -u words", "uniq -i words",
    "uniq -ic words", "uniq -D words", "uniq -f 1 table", "uniq -s 2 words", "uniq -w 3 words",
    "uniq -c -f1 -s1 table", "uniq -cd words", "uniq -u -d words", "uniq -c -D words", "uniq nope",
    "uniq a b c", "uniq -s x words", ("uniq -c", b'a\na\nb\na'), "uniq -z bin",
)
def test_uniq(userland: Userland, argv: list[str], stdin: bytes) -> None:
    same(userland, argv, stdin)


@cases(
    "cut -d: -f1 fields", "cut -d: -f2- fields", "cut -d: -f-2,6 fields", "cut -d: -f3,1 fields",
    "cut -d: -s -f2 fields", "cut -d: -f2 --complement fields",
    "cut -d: -f1,7 '--output-delimiter=->' fields", "cut -b2-4 fields", "cut -c1,3,5- fields",
    "cut -b1-2,4-6 '--output-delimiter=|' fields", "cut -b 3 --complement fields", "cut -f2 table",
    "cut -f x fields", "cut -f 0 fields", "cut -f 3-1 fields", "cut -f 1-2- fields",
    "cut -f - fields", "cut fields", "cut -b1 -f2 fields", "cut -d ab -f1 fields",
    "cut -b1 -s fields", "cut -c 1 nope nonl", "cut -d ' ' -f 2,4 words", "cut -f '1 3' -d: fields",
    "cut -z -d a -f1 bin",
)
def test_cut(userland: Userland, argv: list[str], stdin: bytes) -> None:
    same(userland, argv, stdin)


TR_INPUT = b"Hello World 123\naabbcc\t\t x\\y [a] -_ \x01\xe9\n"


@cases(
    ("tr a-z A-Z", TR_INPUT), ("tr -c a-z X", TR_INPUT), ("tr -s a-c", TR_INPUT),
    ("tr -cs a x", TR_INPUT), ("tr -d '[:digit:][:space:]'", TR_INPUT),
    ("tr -ds a-z ' '", TR_INPUT), ("tr -cd '[:print:]'", TR_INPUT),
    ("tr '[:lower:]' '[:upper:]'", TR_INPUT),
    ("tr '[:upper:][:lower:]' '[:lower:][:upper:]'", TR_INPUT), ("tr 'a[x*]' y", TR_INPUT),
    ("tr ab '[x*]y'", TR_INPUT), ("tr abc '[x*2]y'", TR_INPUT), ("tr '[a*3]' x", TR_INPUT),
    ("tr -t abc xy", TR_INPUT), ("tr a-c- x", TR_INPUT), ("tr '[]' xy", TR_INPUT),
    (r"tr '\n\t\\' _-/", TR_INPUT), (r"tr '\141\x' zX", TR_INPUT), ("tr '[=a=]' z", TR_INPUT),
    (r"tr -c '[:alnum:]' '\n'", TR_INPUT), ("tr a '[:digit:]'", TR_INPUT),
    ("tr '[:foo:]' x", TR_INPUT), ("tr a '[:lower:]'", TR_INPUT), ("tr z-a x", TR_INPUT),
    ("tr a ''", TR_INPUT), (r"tr 'a\' xy", TR_INPUT), ("tr", TR_INPUT), ("tr a", TR_INPUT),
    ("tr a b c", TR_INPUT), ("tr -d a b", TR_INPUT), ("tr '[a*]' x", TR_INPUT),
)
def test_tr(userland: Userland, argv: list[str], stdin: bytes) -> None:
    same(userland, argv, stdin, files={})


# ---------------------------------------------------------------- grep


@cases(
    "grep fox words", "grep -i the words", "grep -v fox words", "grep -c fox words nums",
    "grep -n o words nonl", "grep -l o words nums bin", "grep -L fox words nums",
    "grep -q fox words", "grep -q fox nope words", "grep -s fox nope words", "grep fox nope words",
    "grep -E 'fo+|ba[rz]$' words", "grep -F x.y words", "grep -F -e fox -e dog words",
    "grep -w foo words", "grep -w foo_bar words", "grep -x 'the quick brown fox' words",
    "grep -xF '' words", "grep -o 'o[a-z]' words", "grep -ow the words", "grep -ob fox words",
    "grep -o 'x*' words", "grep -hn fox words dir/a.txt", "grep -H fox words",
    "grep -m 2 fox words", "grep -A 1 5 lines", "grep -B 2 -n 'line 1[05]' lines",
    "grep -C 1 'line [23]$' lines", "grep -2 'line 20' lines", "grep -A1 -m1 'line 1' lines",
    "grep ary bin", "grep -c line bin", "grep -a ary bin", "grep -e fox -e dog words",
    "grep -iw QUICK words", r"grep '\(o\).*\1' words", r"grep 'fo\+' words", r"grep 'laz\?y' words",
    r"grep 'dog\|baz' words", r"grep '\<the' words", r"grep 'fox\>' words", r"grep '\bfoo\b' words",
    r"grep -o '\w\+' nonl", "grep -o '[[:upper:]]*' words", r"grep '\(' words", "grep -E '(' words",
    "grep '[a' words", "grep -c '' words", "grep -v -c '' words", "grep -c -f empty words",
    "grep -v -f empty nonl", "grep -f nonl words lines", "grep -m0 fox words", "grep fox dir",
    "grep -z ary bin", "grep -y FOX words", ("grep -c x - nonl", b'x\ny\nxx\n'),
    ("grep --label=in -H a", b'a\nb\n'), "grep -n '^$' words", "grep -x -E 'one|two' nonl", "grep",
    "grep -k x", "grep -A x fox words", "grep -Zl fox words lines",
)
def test_grep(userland: Userland, argv: list[str], stdin: bytes) -> None:
    same(userland, argv, stdin)


@cases(
    "grep -r fox dir", "grep -rh fox dir", "grep -rl fox dir", "grep -rc fox dir",
    "grep -r '--include=*.txt' fox dir", "grep -r '--exclude=*.txt' fox dir",
    "grep -r --exclude-dir=sub fox dir", "grep -rL fox dir", "grep -rn fox dir/sub dir/b.c",
    "grep -r fox dir/b.c",
)
def test_grep_recursive(userland: Userland, argv: list[str], stdin: bytes) -> None:
    # Directory order differs between the host's file system and hostfs.
    same(userland, argv, stdin, unordered=True)


def test_grep_recursive_without_operand_searches_the_current_directory(userland: Userland) -> None:
    _write(userland, FILES)
    for name in list(FILES):
        if not name.startswith("dir/"):
            (userland.host / name).unlink()
    inside = userland.inside(["grep", "-r", "fox"])
    native = userland.native(["grep", "-r", "fox"])
    assert inside.exit_code == native.exit_code == 0
    assert _sorted_lines(inside.stdout) == _sorted_lines(native.stdout)
    assert b"dir/sub/c.txt:the fox" in inside.stdout


@pytest.mark.parametrize(
    "program", ["cat", "wc", "head", "tail", "sort", "uniq", "cut -b1", "grep x"]
)
def test_file_names_in_messages_are_quoted_as_gnu(userland: Userland, program: str) -> None:
    same(userland, [*shlex.split(program), *MISSING_NAMES], files={})


@pytest.mark.parametrize(
    "program", ["cat", "wc", "head", "tail", "sort", "uniq", "cut -b1", "grep x", "grep -c x"]
)
def test_a_directory_operand(userland: Userland, program: str) -> None:
    same(userland, [*shlex.split(program), "dir", "nonl"])


# ---------------------------------------------------------------- tee


@pytest.mark.parametrize("command", ["tee o1 o2", "tee -a o1", "tee o1 nodir/x -", "tee"])
def test_tee(userland: Userland, command: str) -> None:
    argv = shlex.split(command)
    results = []
    for run, name in ((userland.inside, "inside"), (userland.native, "native")):
        userland.clear()
        _write(userland, {"o1": b"old\n"})
        ran = run(argv, stdin=b"in 1\nin 2")
        if name == "inside":
            ran = _normalize(ran, "tee")
        outputs = {p.name: p.read_bytes() for p in sorted(userland.host.iterdir()) if p.is_file()}
        results.append((ran, outputs))
    assert results[0] == results[1]


# ---------------------------------------------------------------- seq, basename, dirname


@cases(
    "seq 5", "seq -3", "seq 2 6", "seq 10 -3 1", "seq 1 0", "seq -w -1 1", "seq 0 0.1 0.3",
    "seq 1 0.1 2", "seq 0 0.01 0.1", "seq -s, 3", "seq -s '' 3", "seq -f %03g 2",
    "seq -f a%%b%gc 1", "seq -f %5.1e 1 2", "seq -w 1 3 11", "seq -w 0.5 1.5 10",
    "seq -w -5 -.5 -6", "seq -w .5 1 3.5", "seq 1.5 3", "seq 1e2 1e2", "seq 1e-2 1e-2 3e-2",
    "seq 0x10 0x11", "seq -0 2", "seq 1 -0.25 0", "seq", "seq x", "seq 1 0 3", "seq 1 2 3 4",
    "seq -f x 2", "seq -f %d 1", "seq -f %g%g 1", "seq -f % 1", "seq -w -f %g 1", "seq nan",
    "seq -x", "seq -s: -w 8 10",
)
def test_seq(userland: Userland, argv: list[str], stdin: bytes) -> None:
    same(userland, argv, stdin, files={})


@cases(
    "basename /usr/lib/x.so", "basename a/b/", "basename /", "basename //", "basename ///",
    "basename ''", "basename a/b.c .c", "basename .c .c", "basename /a.c a.c",
    "basename -a a/b/ /x// c", "basename -s .c a.c b.c d.h", "basename -z a/b", "basename -- -a",
    "basename", "basename a b c", "basename -a", "dirname a/b/ / // '' a ///a//b// /a a//b",
    "dirname -z a/b", "dirname",
)
def test_basename_dirname(userland: Userland, argv: list[str], stdin: bytes) -> None:
    same(userland, argv, stdin, files={})


# ---------------------------------------------------------------- expr


@cases(
    "expr 1 + 2 '*' 3 - 4 / 2 % 3", "expr '(' 2 + 3 ')' '*' 4", "expr -7 % 3", "expr -1 / 2",
    "expr 99999999999999999999 + 1", "expr 1 - -1", "expr a + 1", "expr 1 / 0", "expr 5 % 0",
    "expr 1 +", "expr 1 2", "expr '(' 1", "expr '(' 1 2", "expr ')'", "expr", "expr -- 1 + 1",
    "expr 0 '|' 0", "expr '' '|' 0", "expr a '|' b", "expr 00 '|' x", "expr -0 '|' y",
    "expr a '&' 0", "expr x '&' y", "expr 0 '&' x", "expr 1 = 01", "expr a '<' b", "expr 10 '<' 9",
    "expr 3 '>' 2a", "expr 10 '!=' 10", "expr b '<=' a", "expr 10 '>=' 9", "expr abc : '.*'",
    "expr abc : x", "expr abc : b", r"expr abcd : 'a\(b.\)'", r"expr abc : 'x\(b\)'",
    r"expr abc : 'a\(b'", "expr match abc a.", r"expr aaa : 'a\+'", "expr substr hello 2 3",
    "expr substr hello 0 2", "expr substr hello 2 10", "expr index hello lo", "expr length hello",
    "expr length 12345 + 1", "expr + length", "expr + : + :", "expr length", "expr substr abc",
    "expr :", "expr a :",
)
def test_expr(userland: Userland, argv: list[str], stdin: bytes) -> None:
    same(userland, argv, stdin, files={})


# ---------------------------------------------------------------- test and [

TEST_FILES: dict[str, bytes] = {"f": b"x\n", "e": b"", "dd/inner": b""}

TEST_ARGS = [
    "", "a", "''", "-a x", "-o x", "-a", "1 -eq", "a b", "a b c", "'(' a", "'!' '!' a", "1 -eq a",
    "-l abc -eq 3", "x -a", "'(' a b c d e", "a = b -o", "-e", "-e f", "-e nope", "-f f", "-f dd",
    "-d dd", "-d f", "-s f", "-s e", "-h l", "-L f", "-L dangling", "-e dangling", "-r f", "-x x",
    "-x f", "-c /dev/null", "-b f", "-S f", "-p f", "-u f", "-g f", "-k f", "-N f", "-t 0", "-t x",
    "-n ''", "-z ''", "-n x", "-z x", "a = a", "a == b", "a '!=' b", "a '<' b", "b '>' a",
    "1 -lt 2", "-1 -gt -2", "' 3 ' -eq 3", "00010 -eq 10",
    "99999999999999999999999 -gt 99999999999999999999998", "+5 -ge 5", "5 -le 4", "a -ne b",
    "f -ef l", "f -ef e", "nope -nt f", "f -ot nope", "'!' a = a", "a = a -a b = c",
    "a = a -o b = c", "'(' a = b ')' -o x", "'!' '(' a = b ')'", "'(' '' ')'", "'!' -e nope", "-z",
    "'!'", "'!' '!'", "a = b = c", "'(' a b", "x y z w v", "-l abc = 3",
    "-e f -a -e dd -a '!' -e nope", "1 -eq 1 -a", "= = =", "'!' = '!'", "'(' ')'", "-t",
]


@pytest.mark.parametrize("command", TEST_ARGS)
def test_test_and_bracket(userland: Userland, command: str) -> None:
    args = shlex.split(command)
    _write(userland, TEST_FILES)
    (userland.host / "f").chmod(0o644)
    (userland.host / "x").write_bytes(b"#!/bin/sh\n")
    (userland.host / "x").chmod(0o755)
    for link, target in (("l", "f"), ("dangling", "nope")):
        (userland.host / link).symlink_to(target)
    same(userland, ["test", *args], files={})
    if len(args) in (0, 1, 3):  # `[` with and without its `]`
        same(userland, ["[", *args, "]"], files={})


@pytest.mark.parametrize("args", [["a"], ["a", "]", "b"], []])
def test_bracket_requires_a_closing_bracket(userland: Userland, args: list[str]) -> None:
    same(userland, ["[", *args], files={})


# ---------------------------------------------------------------- xargs


@cases(
    ("xargs", b'a \'b c\' "d  e" f\\ g\n'), ("xargs -n 2 echo x", b'a b c d e\n'),
    ("xargs -n 1", b'a\\ b "c d" e\\"f\n'), ("xargs -t echo x", b'a b\n'), ("xargs echo hi", b''),
    ("xargs -r echo hi", b''), ("xargs '-I{}' echo '[{}]' '{}'", b'  a b  \n c\n'),
    ("xargs -i echo '{}-{}'", b'x y\n'), ("xargs -I % echo % %", b'x\ny\n'),
    ("xargs -0 -n1 echo", b'a\x00b c\x00'), ("xargs -d, echo", b'a,b,c'),
    ("xargs -d, -n1 echo", b'a,,b,'), (r"xargs -d '\n' echo", b'a b\nc\n'),
    (r"xargs -d '\t' echo", b'a\tb\n'), ("xargs -d xy echo", b'a'),
    ("xargs -L 1 echo", b'a b\nc \nd\ne\n'), ("xargs -E b echo", b'a b c\n'),
    ("xargs -s 12 echo", b'a b c d e f\n'), ("xargs -n 0", b'a'), ("xargs -q", b''),
    ("xargs echo", b"a 'b\n"), ("xargs", b'a "b\n'), ("xargs nosuchcmd", b'a\n'),
    ("xargs false", b'a\n'), ("xargs /etc", b'a\n'), ("xargs -P 2 -n 1 echo", b'a\n'),
    ("xargs -a nonl echo", b'ignored\n'), ("xargs cat", b'nonl nope\n'),
)
def test_xargs(userland: Userland, argv: list[str], stdin: bytes) -> None:
    same(userland, argv, stdin)


@cases(
    ("xargs sh -c 'exit 3'", b"a\n"), ("xargs sh -c 'exit 255'", b"a\nb\n"),
    ("xargs -n1 sh -c 'kill -9 $$'", b"a\nb\n"), ("xargs -n1 sh -c 'echo $0 $1' s", b"x y\n"),
)
def test_xargs_statuses_through_sh(userland: Userland, argv: list[str], stdin: bytes) -> None:
    same(userland, argv, stdin, files={})


def test_xargs_gives_commands_an_empty_stdin(userland: Userland) -> None:
    same(userland, ["xargs", "-n", "1", "cat", "-"], b"a\nb\n")


def test_xargs_exit_statuses_of_commands(userland: Userland) -> None:
    """123 when a command fails; the failing command is the userland's own `test`."""
    same(userland, ["xargs", "-n", "1", "test", "x", "="], b"x\ny\n")
    same(userland, ["xargs", "-n", "2", "expr"], b"1 +\n")


def test_tail_follow_prints_what_is_appended(userland: Userland) -> None:
    """tail -f (through the userland's sh): lines appended later are printed too."""
    script = (
        "echo one > f; tail -f f > out & p=$!; sleep 1; echo two >> f; sleep 2; "
        "kill $p; wait $p; cat out"
    )
    ran = userland.inside(["sh", "-c", script])
    assert ran.stdout == b"one\ntwo\n", ran
