"""The file and system utilities that only look (ls, stat, date, env, pwd, kill, sleep,
ps) against the host's GNU coreutils and procps: same script, same output, same
statuses. The trees live in /host (hostfs), which shows the host's inode numbers,
link counts, sizes and times unchanged, so most outputs compare byte for byte."""

from __future__ import annotations

import re
import time

import pytest
from fileutils_support import Spec, compare, recent
from userland_harness import Userland

#: A tree with every kind of entry ls and stat distinguish.
TREE: Spec = {
    "empty": b"",
    "five": b"12345",
    "k1023": b"x" * 1023,
    "k1024": b"x" * 1024,
    "k4097": b"x" * 4097,
    "k10239": b"x" * 10239,
    "k10240": b"x" * 10240,
    "big": b"y" * 150_000,
    "exe": b"#!/bin/sh\n",
    "a b": b"space",
    ".hidden": b"h",
    "d": None,
    "d/x": b"x",
    "d/e": None,
    "d/e/y": b"yy",
    "d/.dot": b"",
    "ld": ("link", "d"),
    "lx": ("link", "five"),
    "dangling": ("link", "nowhere"),
    "hard": ("hard", "five"),
    "recent": b"r",
}
MODES = {"exe": 0o755, "k1023": 0o600, "k1024": 0o4755, "k4097": 0o2644, "d/e": 0o1777}


def test_ls(userland: Userland) -> None:
    compare(userland, [
        # Not "ls -la" here: /host/.. is the LibOS's root, not the host folder's parent.
        "ls", "ls -a d", "ls -A", "ls -1", "ls -l", "ls -la d", "ls -lA", "ls -lh", "ls -lS",
        "ls -lSr", "ls -lt", "ls -ltr", "ls -r", "ls -i", "ls -li", "ls -lih", "ls -F",
        "ls -p", "ls -lF", "ls -n", "ls -g", "ls -o", "ls -lL", "ls -L", "ls -U -d d",
        "ls -s", "ls -sh", "ls -ls", "ls -si", "ls -sC", "ls -s d", "ls -lc", "ls -ltc", "ls -c",
        "ls -lu", "ls -ltu", "ls -u", "ls -cr", "ls -lcS",
    ], TREE, modes=MODES, times={"recent": recent()}, mutates=False)


def test_ls_operands_recursion_and_errors(userland: Userland) -> None:
    compare(userland, [
        "ls d", "ls ld", "ls -l ld", "ls -F ld", "ls -d d ld", "ls -ld d ld lx", "ls d/",
        "ls five exe d", "ls -l five d ld", "ls -R", "ls -lR d", "ls -aR d", "ls -RA d",
        "ls -R ld", "ls nope five", "ls -l nope d", "ls dangling", "ls -l dangling",
        "ls -L dangling", "ls -F dangling", "ls -Ld d/e", "ls --bogus", "ls -lhd big",
        "ls -i five hard", "ls -t five k1024 big", "ls -S -r five k1024 big",
        "ls 'a b' -l", "ls -- -l",
    ], TREE, modes=MODES, mutates=False)


def test_ls_total_and_sizes_with_human_units(userland: Userland) -> None:
    sizes = [0, 1, 999, 1023, 1024, 1025, 4096, 10239, 10240, 10241, 102400, 1048575,
             1048576, 1572864, 10485759]
    spec: Spec = {f"f{n}": b"z" * n for n in sizes}
    compare(userland, ["ls -lh", "ls -lhS", "ls -lhr"], spec, mutates=False)


def test_ls_columns(userland: Userland) -> None:
    lengths = [1, 2, 3, 4, 5, 6, 9, 13, 21, 1, 1, 1, 7, 2, 32, 1, 1, 1, 1, 2, 3, 8, 15]
    spec: Spec = {chr(ord("a") + i) * n: b"" for i, n in enumerate(lengths)}
    spec = {**spec, "dir": None, "dir/x": b"", "dir/yy": b""}
    compare(userland, [
        "ls -C", "ls -x", "ls -Cw 40", "ls -xw40", "ls -CF", "ls -Ci", "ls -xF", "ls -C -w 1",
        "ls -w 0 -C", "ls -w0 -x", "ls -Cw 200", "ls -xi -w 60", "ls -Cr", "ls -CR", "ls -xS",
        "COLUMNS=50 ls -C", "COLUMNS=50 ls -Cw 70", "ls -C aaaaaaaaaaaaa dir a", "ls -C -1",
        "ls -1 -C dir", "ls -lC dir", "ls -Cl dir",
    ], spec, mutates=False)


STAT_FORMAT = "%n|%N|%a|%A|%b|%B|%f|%F|%g|%G|%h|%i|%o|%s|%u|%U|%x|%X|%y|%Y|%z|%Z|%t|%T"


def _without_device_and_birth(out: bytes) -> bytes:
    # The device number is the LibOS's own per mount (stat's "Device:" line differs by
    # design), and no file system inside records a birth time ("Birth: -").
    out = re.sub(rb"Device: \d+,\d+", b"Device: N", out)
    return re.sub(rb" Birth: [^\n]*", b" Birth: B", out)


def test_stat(userland: Userland) -> None:
    compare(userland, [
        "stat five", "stat d ld 'a b' empty exe dangling", "stat -L ld lx",
        f"stat -c '{STAT_FORMAT}' five d ld lx dangling empty exe k1024 k4097 d/e",
        "stat -c '%-8n|%8s|%08s|%-6a|%#o|%.3Y|%.Y|%.0X|%15.2Z|%-15.2Z|%%|%q|%' five",
        "stat --printf='%n\\t%s\\n\\x41\\101\\\\%%\\n' five d",
        "stat nope five", "stat", "stat -c", "stat --bogus five",
    ], TREE, modes=MODES, normalize=_without_device_and_birth, mutates=False)


def test_date(userland: Userland) -> None:
    formats = [
        "%a %A %b %B %h %c %C %d %D %e %F %g %G %H %I %j %k %l %m %M %n %N %p %P %q %r %R",
        "%s %S %t %T %u %U %V %w %W %x %X %y %Y %z %:z %::z %:::z %Z %% %Q",
        "%-d|%_d|%02e|%-H|%5Y|%^a|%#b|%#Z|%#p|%3N|%-N|%12N|%10s|%_5m|%-j|%^10B|%-5d",
    ]
    stamps = ["@0", "@1700000000.123456789", "@-1.5", "@86399", "@951782400", "@4102444799",
              "2024-02-29", "2024-02-29T12:34:56", "'2024-02-29 12:34'", "2024-02-29T12:34:56Z",
              "'2024-02-29 12:34:56 +0530'", "'2000-01-01 00:00:00.5 UTC'", "@-86400",
              # Relative items after a date, as GNU reads them.
              "'2024-01-31 1 month'", "'2024-03-31 -1 month'", "'2024-02-29 1 year'",
              "'2024-02-29 12:00 +2 days 3 hours ago'", "'2024-02-29 next week'",
              "'2024-02-29 last year'", "'2024-02-29 2 fortnights'", "'2024-02-29 +90min'",
              "'2024-02-29 yesterday'", "'2024-02-29 tomorrow 5 seconds'", "'2024-02-29 hour'",
              "'2023-12-31 23:59:59 +1 sec'", "'2024-02-29 -18 months'"]
    commands = [f"date -d {s} '+{f}'" for s in stamps for f in formats]
    commands += [f"date -d {s}" for s in stamps]
    commands += [  # (read-only: "date -r" sees the same file both times)
        "date -u -d @5", "date -R -d @1700000000", "date -I -d @1700000000",
        "date -Ih -d @1700000000", "date -Iminutes -d @1700000000", "date -Is -d @1700000000",
        "date -Ins -d @1700000000.25", "date --iso-8601=seconds -d @5",
        "date --rfc-3339=date -d @5", "date --rfc-3339=seconds -d @5", "date --rfc-3339=ns -d @5",
        "date -r five", "date -r five +%s", "date -r nope", "date -d xx", "date -d @1 x",
        "date -d @1 +%s +%s", "date -Ix", "date --rfc-3339=x", "date --bogus", "date -d",
        "date -d '@0 +1 day'", "date -d '2024-02-29 next'", "date -d '2024-02-29 3 parsecs'",
    ]
    compare(userland, commands, TREE, mutates=False)


def test_date_now_is_the_clock(userland: Userland) -> None:
    # Relative items without a date count from now.
    checks = {"now": 0, "today": 0, "yesterday": -86400, "tomorrow": 86400,
              "1 week ago": -7 * 86400, "2 days 3 hours ago": 2 * 86400 - 3 * 3600,
              "-5 min": -300, "next hour": 3600}
    before = time.time()
    r = userland.inside(["sh", "-c", "; ".join(f"date -d '{d}' +%s.%N" for d in checks)])
    after = time.time()
    assert r.exit_code == 0, r.stderr
    for (what, delta), line in zip(checks.items(), r.stdout.split(), strict=True):
        assert before - 1 + delta <= float(line) <= after + 1 + delta, what


def test_env(userland: Userland) -> None:
    compare(userland, [
        "env -i", "env -i A=1 B=2", "env -i A=1 B=2 env", "env -i A=1 -u A B=2 env",
        "env -i A=1 B=2 env -u A", "env -i A=1 env -i B=2 env", "env -i - C=3 env",
        "env -i -0 A=1 B=2", "env -i PATH=/bin:/usr/bin A=x env -C d ls",
        "env -C nope true", "env -C d", "env -0 true", "env nope", "env ./d", "env ./exe",
        "env -u", "env -u A=B true", "env --bogus", "env -i A=1 true",
    ], TREE, modes=MODES)


# pwd and kill are also shell builtins: the scripts name the programs by path.
def test_pwd(userland: Userland) -> None:
    def here(out: bytes) -> bytes:
        # The same folder is /host inside and its real path on the host.
        return out.replace(str(userland.host).encode(), b"/host")

    pwd = "/bin/pwd"
    # Each cd in a subshell (the script is one shell), and PWD set explicitly: shells
    # differ in whether cd keeps the logical path.
    logical = f"top=$({pwd}) && cd ld && PWD=$top/ld"
    compare(userland, [
        pwd, f"(cd d && {pwd})", f"(cd ld && {pwd} -P)", f"({logical} {pwd})",
        f"({logical} {pwd} -L)", f"({logical} {pwd} -LP)", f"({logical} {pwd} -PL)",
        f"({logical}/. {pwd} -L)", f"({logical}/../ld {pwd} -L)",
        f"(cd ld && PWD=/nonexistent {pwd} -L)", f"(cd ld && PWD=relative {pwd} -L)",
        f"{pwd} -x", f"{pwd} extra",
    ], TREE, normalize=here)


def test_kill(userland: Userland) -> None:
    kill = "/bin/kill"
    compare(userland, [
        f"{kill} {args}" for args in (
            "-l", "-L", "-l 9", "-l KILL", "-l sigterm", "-l Hup", "-l 0", "-l 32", "-l FOO",
            "--list=15", "-x", "", "abc", "999999", "-0 999999", "-9 -- 999999",
            "-s TERM 999999", "-FOO 999999")
    ] + [
        # Signals reach a child and wait reports them (128 + number). The shells' own
        # job messages ("Terminated") differ and are not kill's: they go to /dev/null.
        # (Not SIGINT: dash starts background jobs with it ignored.)
        f'(sleep 5 & {kill} {args} $!; wait $! >/dev/null 2>&1; echo "status $?")'
        for args in ("", "-9", "-s USR1", "-SIGHUP", "-s 15", "-ALRM", "-s term")
    ])


def test_sleep(userland: Userland) -> None:
    compare(userland, [
        "sleep 0", "sleep 0.05 0.05s 1e-2 0.0001m 0h 0d", "sleep .01", "sleep x",
        "sleep 1y", "sleep 1 x", "sleep", "sleep -1", "sleep -- 0", "sleep ''", "sleep 1ss",
    ])


def test_sleep_takes_the_time_it_says(userland: Userland) -> None:
    start = time.monotonic()
    r = userland.inside(["sleep", "0.3", "0.1s", "0.0025m"])
    took = time.monotonic() - start
    assert r.exit_code == 0
    assert took >= 0.55


def _ps_header(userland: Userland, *args: str) -> str:
    return userland.native(["ps", *args]).stdout.decode().splitlines()[0]


def test_ps(userland: Userland) -> None:
    r = userland.inside(["sh", "-c", "sleep 5 & ps; ps -ef; ps aux; "
                         "ps -o pid,ppid,pgid,sid,stat,comm,args; ps -p 1 -o pid=,comm=; "
                         "ps -p 999; echo rc=$?; kill $!"])
    assert r.exit_code == 0, r.stderr
    lines = r.stdout.decode().splitlines()
    # Headers as procps prints them for the same options.
    for header in (_ps_header(userland), _ps_header(userland, "-ef"),
                   _ps_header(userland, "aux"),
                   _ps_header(userland, "-o", "pid,ppid,pgid,sid,stat,comm,args")):
        assert header in lines
    # The default format: pid 1 is the shell, then sleep and ps itself.
    default = lines[1:4]
    assert [re.split(r"\s+", x.strip()) for x in default] == [
        ["1", "?", "00:00:00", "sh"], ["2", "?", "00:00:00", "sleep"],
        ["3", "?", "00:00:00", "ps"]]
    ef = lines[5:8]
    assert re.fullmatch(r"root\s+1\s+0\s+0 \d\d:\d\d \?\s+00:00:00 /bin/sh -c sleep 5 & ps;.*",
                        ef[0])
    assert re.fullmatch(r"root\s+2\s+1\s+0 \d\d:\d\d \?\s+00:00:00 sleep 5", ef[1])
    assert re.fullmatch(r"root\s+4\s+1\s+0 \d\d:\d\d \?\s+00:00:00 /bin/ps -ef|"
                        r"root\s+4\s+1\s+0 \d\d:\d\d \?\s+00:00:00 ps -ef", ef[2])
    aux = lines[9:12]
    # (The kernel reports a process blocked in a sleep as running or sleeping.)
    assert re.fullmatch(r"root\s+2\s+0\.0\s+\d+\.\d\s+\d+\s+\d+ \?\s+[RS]\s+\d\d:\d\d\s+"
                        r"0:00 sleep 5", aux[1])
    custom = lines[13:16]
    # The shell may not be blocked in wait4 yet when ps reads it: Rs or Ss, as on Linux.
    assert re.split(r"\s+", custom[0].strip())[:6] in (
        ["1", "0", "1", "1", state, "sh"] for state in ("Rs", "Ss"))
    assert re.split(r"\s+", custom[1].strip()) in (
        ["2", "1", "1", "1", state, "sleep", "sleep", "5"] for state in "RS")
    assert lines[16] == "    1 sh"
    assert lines[17:] == [_ps_header(userland), "rc=1"]  # ps -p 999: nothing, status 1


def test_ps_shows_the_cpu_time_a_process_used(userland: Userland) -> None:
    """TIME, C and %CPU come from /proc/<pid>/stat's utime and stime, as procps'."""
    r = userland.inside(["sh", "-c", "sh -c 'while :; do :; done' & sleep 2.5; "
                         "ps -o pid=,time=,c=,pcpu= -p $!; cat /proc/$!/stat; kill $!"])
    assert r.exit_code == 0, r.stderr
    row, stat = r.stdout.decode().splitlines()
    pid, cputime, c, pcpu = row.split()
    assert pid == "2"
    fields = stat[stat.rindex(")") + 2:].split()
    ticks = int(fields[11]) + int(fields[12])  # utime, stime (read just after ps)
    assert ticks >= 25  # the spinner had at least 10% of a CPU
    hours, minutes, seconds = (int(x) for x in cputime.split(":"))
    assert hours == minutes == 0
    assert ticks // 100 - 1 <= seconds <= ticks // 100
    assert float(pcpu) >= 5.0
    assert int(c) >= 5


def test_ps_shows_long_command_lines_whole(userland: Userland) -> None:
    long = " ".join(["0"] * 300)  # sleep sums its operands: 5 seconds in all
    r = userland.inside(["sh", "-c", f"sleep 5 {long} & ps -ef; ps -o args; kill $!"])
    assert r.stdout.decode().count(f"sleep 5 {long}\n") == 2


def test_ps_bad_options(userland: Userland) -> None:
    for args in (["-p", "x"], ["-o", "nosuchfield"], ["-p"]):
        assert userland.inside(["ps", *args]).exit_code == userland.native(["ps", *args]).exit_code


@pytest.mark.parametrize("name", ["ls", "stat", "date", "env", "pwd", "sleep"])
def test_messages_name_argv0_as_given(userland: Userland, name: str) -> None:
    # coreutils names itself by argv[0] as given: "/bin/ls: ..." when run by path.
    r = userland.inside([name, "--no-such-option"])
    n = userland.native([f"/bin/{name}", "--no-such-option"])
    assert (r.exit_code, r.stderr) == (n.exit_code, n.stderr)


FILE_UTILITIES = ["ls", "cp", "mv", "rm", "mkdir", "rmdir", "touch", "sleep", "env", "pwd",
                  "ln", "date", "stat", "chmod", "ps"]


def test_help_and_version(userland: Userland) -> None:
    # Not GNU's texts (these are not GNU's programs): a usage line naming the program
    # as invoked, the options, status 0. env passes a command's own --help on. (By
    # path: pwd is also a shell builtin.)
    text = "; ".join(f"/bin/{n} --help; echo rc=$?; /bin/{n} --version; echo rc=$?"
                     for n in FILE_UTILITIES) + "; env -i ls --help | head -1; ls -- --help"
    r = userland.inside(["sh", "-c", text])
    out = r.stdout.decode()
    for name in FILE_UTILITIES:
        assert f"Usage: /bin/{name} " in out, name
        assert f"{name} (PyOcclum userland)\n" in out, name
    assert out.count("rc=0\n") == 2 * len(FILE_UTILITIES)
    assert out.endswith("Usage: ls [OPTION]... [FILE]...\n")
    assert r.stderr.decode() == "ls: cannot access '--help': No such file or directory\n"
