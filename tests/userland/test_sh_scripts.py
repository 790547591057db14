"""/bin/sh running real scripts, compared with the host's dash.

Scripts live in files in ``/host`` and run the ways users run them: by path
(``#!/bin/sh``: the shell reads the line itself, the kernel does not), as
``sh script args``, from stdin, from a pipe. Also what a subshell inherits
without fork, and big data through pipes (no deadlock when the shell itself
writes into a pipe).
"""

from __future__ import annotations

import pytest
from userland_harness import Ran, Userland

from pyocclum.cli.userland import program_sources

LOOP_WITH_PIPELINES = r"""#!/bin/sh
# count words per line, functions, here-docs, pipelines in a loop
total=0
count() { echo "$1" | wc -w; }
while read -r line; do
    n=$(count "$line")
    total=$((total + n))
    case $n in
        0) kind=empty ;;
        1|2) kind=short ;;
        *) kind=long ;;
    esac
    printf '%-6s %s\n' "$kind" "$line"
done <<EOF
the quick brown fox
jumps

over the lazy dog again
EOF
echo "total=$total"
for f in a b c; do echo "$f$f" > "$f.txt"; done
cat *.txt | sort -r | tr a-z A-Z
grep -c . a.txt b.txt
summary() {
    cat <<-END
	args: $#
	first: ${1:-none}
	END
}
summary "$@"
summary
"""

SET_E = r"""#!/bin/sh
set -e
cleanup() { echo "cleanup status=$?"; }
trap cleanup EXIT
check() { [ "$1" -gt 2 ]; }
if check 1; then echo big; else echo small; fi
check 3 && echo "three is big"
for i in 1 2 3; do
    echo "step $i"
done
out=$(echo captured)
echo "$out"
check 0
echo "not reached"
"""

ARGS_SCRIPT = r"""#!/bin/sh
echo "name=$(basename "$0") argc=$#"
i=1
for a in "$@"; do
    echo "arg$i=[$a]"
    i=$((i + 1))
done
shift
echo "after shift: $*"
[ $# -gt 1 ] && exit 3
exit 0
"""


def same(inside: Ran, native: Ran) -> None:
    assert inside.stdout.decode() == native.stdout.decode(), inside.stderr.decode()
    assert inside.exit_code == native.exit_code, inside.stderr.decode()


def write_script(userland: Userland, name: str, text: str) -> None:
    path = userland.host / name
    path.write_text(text)
    path.chmod(0o755)


@pytest.mark.parametrize(
    ("name", "text", "args"),
    [
        ("loop.sh", LOOP_WITH_PIPELINES, ["x", "y"]),
        ("sete.sh", SET_E, []),
        ("args.sh", ARGS_SCRIPT, ["one", "two words", "", "*"]),
        ("args.sh", ARGS_SCRIPT, ["only"]),
    ],
)
def test_script_by_path_and_by_sh(userland: Userland, name: str, text: str,
                                  args: list[str]) -> None:
    for how in (["./" + name], ["sh", name]):
        userland.clear()
        write_script(userland, name, text)
        inside = userland.inside(["sh", "-c", '"$@"', "sh", *how, *args])
        userland.clear()
        write_script(userland, name, text)
        native = userland.native(["dash", "-c", '"$@"', "sh", *how, *args])
        same(inside, native)


def test_script_run_directly_as_the_entry_program(userland: Userland) -> None:
    write_script(userland, "args.sh", ARGS_SCRIPT)
    inside = userland.inside(["sh", "/host/args.sh", "a", "b"])
    assert inside.stdout == b"name=args.sh argc=2\narg1=[a]\narg2=[b]\nafter shift: b\n"
    assert inside.exit_code == 0


def test_script_from_stdin_and_pipe(userland: Userland) -> None:
    # long enough to be read in several pieces, with constructs cut at their ends
    lines = []
    for i in range(150):
        lines.append(f"if [ {i} -lt 1000 ]; then\n  echo 'line {i}' |\n  tr l L\nfi")
        lines.append(f"cat <<EOF\nheredoc {i} $((1 + {i}))\nEOF")
    script = "\n".join(lines) + "\necho done\n"
    inside = userland.inside(["sh"], stdin=script.encode())
    native = userland.native(["dash"], stdin=script.encode())
    same(inside, native)
    write_script(userland, "s.sh", script)
    inside = userland.inside(["sh", "-c", "cat s.sh | sh -s a b"])
    native = userland.native(["dash", "-c", "cat s.sh | sh -s a b"])
    same(inside, native)


def test_what_a_subshell_inherits(userland: Userland) -> None:
    """Without fork a subshell is a child shell given the state: variables
    (exported or not, readonly), functions, positional parameters, options,
    $$, $? and $!; changes in it never come back."""
    script = r"""
x=plain; export e=exported; readonly r=ro
f() { echo "f($*) x=$x"; }
set -- "p 1" p2
set -u
sleep 0 & bg=$!
false
(
    echo "status $?"
    echo "x=$x e=$e r=$r args=$# [$1] [$2]"
    f in-subshell
    [ "$$" = "$top" ] && echo "same \$\$"
    [ "$!" = "$bg" ] && echo "same \$!"
    (r=changed) 2>/dev/null || echo "r still readonly"
    echo "${unset_var:-default}"
    (echo "$unset_var") 2>/dev/null || echo "set -u inherited"
    x=changed; cd /; g() { :; }
)
echo "x=$x"; type g >/dev/null 2>&1 || echo "g not defined here"
f piped | cat
echo "$(f substituted; echo "$x")"
"""
    inside = userland.inside(["sh", "-c", "top=$$; " + script])
    native = userland.native(["dash", "-c", "top=$$; " + script])
    same(inside, native)


@pytest.mark.parametrize("size", [10, 70_000, 300_000])
def test_big_data_through_builtins_and_pipes(userland: Userland, size: int) -> None:
    """echo/printf run in the shell itself inside pipelines and $(...): however
    much they write, nothing deadlocks, and nothing is lost."""
    script = f"""
x=$(printf '%{size}s' '' | tr ' ' x)
echo ${{#x}}
echo "$x" | wc -c
printf '%s\\n' "$x" "$x" | cat | wc -c
y=$(echo "$x$x"); echo ${{#y}}
cat <<EOF | wc -c
$x
EOF
{{ echo "$x"; echo "$x"; }} | tail -c 5
f() {{ echo "$x"; }}; f | wc -c
"""
    inside = userland.inside(["sh", "-c", script])
    native = userland.native(["dash", "-c", script])
    same(inside, native)


def test_syntax_errors_exit_2(userland: Userland) -> None:
    for script in ("if true; then", "echo (", "fi", "case x in", "done", "x=$(", "'open"):
        inside = userland.inside(["sh", "-c", f"echo before\n{script}\necho after"])
        native = userland.native(["dash", "-c", f"echo before\n{script}\necho after"])
        assert (inside.exit_code, bool(inside.stderr)) == (native.exit_code, True), script
        assert inside.stdout == native.stdout, script


def test_missing_script(userland: Userland) -> None:
    inside = userland.inside(["sh", "nonexistent.sh"])
    native = userland.native(["dash", "nonexistent.sh"])
    assert inside.exit_code == native.exit_code
    assert inside.stderr
    assert native.stderr


@pytest.mark.skipif("expr" not in program_sources(), reason="needs /bin/expr")
def test_benchmark_loop(userland: Userland) -> None:
    """The issue's shell benchmark loop gives the same output as under dash."""
    script = r"""
i=0
while [ $i -lt 50 ]; do
    echo "hello $i world" | grep hello | wc -c > /tmp/f
    cat /tmp/f > /dev/null
    i=$(expr $i + 1)
done
echo $i; cat /tmp/f
"""
    inside = userland.inside(["sh", "-c", script])
    native = userland.native(["dash", "-c", script])
    same(inside, native)


def test_interactive_shell_survives_syntax_errors(userland: Userland) -> None:
    """With -i (or a terminal) the shell prompts on stderr and a syntax error
    loses what was read (from a terminal: that line) but not the shell, as dash -i."""
    script = b"echo hi\nif true; then\necho in\nfi\nfi\necho lost\n"
    inside = userland.inside(["sh", "-i"], stdin=script)
    native = userland.native(["dash", "-i"], stdin=script)
    same(inside, native)
    assert b"# " in inside.stderr
    assert b"Syntax error" in inside.stderr
