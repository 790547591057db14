"""/bin/sh against the host's dash, one feature group per script.

Each group is one script run once inside (``sh -c SCRIPT arg0 a1 'a 2'``, in
``/host``) and once by the host's ``dash`` in the same (emptied) folder: the
output and the exit status must be the same, and the shell must complain on
stderr exactly when dash does (the wording may differ). Groups print labelled
results so that one LibOS boot checks many things.
"""

from __future__ import annotations

import pytest
from userland_harness import Userland

ARGS = ["arg0", "a1", "a 2"]

CASES: dict[str, str] = {
    "quoting": r"""
echo 'single $HOME "x"' "double $# \"q\" \$ \\ \` 'in'" back\ slash\$x
echo "a\b" 'a\b' a\\b "$(echo "nested \"q\"")"
x='a   b'; echo $x; echo "$x"; echo "${x}"
echo ""; echo '' x; set -- ""; echo $#
echo \
continued line
""",
    "params": r"""
x=hello; echo ${x} ${#x} ${y:-dflt} ${y-d2} ${x:+alt} "${y:+alt}"
echo ${z:=assigned} $z; unset z; echo ${z=again} $z
v=/usr/local/lib/file.tar.gz
echo ${v#*/} ${v##*/} ${v%.*} ${v%%.*} ${v#nomatch}
e=; echo "[${e:-empty}]" "[${e-set}]" "[${e:+x}]" "[${e+y}]"
echo $0 $1 "$2" $#
echo ${10:-none}
set -- a b c d e f g h i j k; echo ${10} $10 ${11}
""",
    "special": r"""
echo $? ; false; echo $?; true; echo $?
f() { return 7; }; f; echo $?
set -- 1 "2 3" 4; echo $#; for a in "$@"; do echo "[$a]"; done; for a in $@; do echo "<$a>"; done
for a in "$*"; do echo "($a)"; done; IFS=:; echo "$*"; IFS=' '
test "$$" -gt 0 && echo pid ok
echo "$-" | grep -q x || echo no x
set -- ; for a in "$@"; do echo never; done; echo "none[$@]"
""",
    "cmdsubst": r"""
echo $(echo a b) "$(echo  c   d)" `echo e`
x=$(printf 'l1\nl2\n\n\n'); echo "[$x]"
echo $(echo $(echo nested))
y=$(false); echo $?; z=$(exit 3); echo $?
echo "$(for i in 1 2 3; do echo -n $i; done)"
n=$(echo hi | wc -c); echo $n
echo `echo \`echo inner\``
echo "$(cat <<EOF
heredoc in subst
EOF
)"
""",
    "arith": r"""
i=5; echo $((i+1)) $((i*2+3)) $(( (i+1)*2 )) $((i/2)) $((i%3)) $((-i)) $((!i)) $((~i))
echo $((1<2)) $((2<=1)) $((3==3)) $((3!=3)) $((1&&0)) $((1||0))
echo $((5&3)) $((5|3)) $((5^3)) $((1<<4)) $((256>>2))
echo $((i>3?10:20)) $((0x10)) $((010)) $((i+=2)) $i $((j=4)) $j
x=3; echo $(( x * x + $x ))
echo $(( 7 / 2 )) $(( -7 / 2 )) $(( -7 % 3 ))
""",
    "glob": r"""
touch b.txt a.txt c.log .hidden; mkdir -p d/e; touch d/e/f.txt
echo *.txt; echo *; echo ?.log; echo [ab].txt; echo nomatch*; echo "*.txt"; echo d/*/*.txt
x='*.txt'; echo $x; echo "$x"; set -f; echo *.txt; set +f; echo [!a]*.txt
case a.txt in *.txt) echo matched;; esac
""",
    "if": r"""
if true; then echo t1; fi
if false; then echo no; elif true; then echo elif; else echo no; fi
if false; then echo no; else echo else; fi
if [ 1 -eq 2 ]; then :; fi; echo "status $?"
if ! false; then echo negated; fi
x=5; if [ $x -gt 3 ] && [ $x -lt 10 ]; then echo between; fi
""",
    "loops": r"""
for i in 1 2 3; do echo f$i; done
i=0; while [ $i -lt 3 ]; do i=$((i+1)); echo w$i; done
i=0; until [ $i -ge 2 ]; do i=$((i+1)); echo u$i; done
for i in 1 2 3 4 5; do
  if [ $i = 2 ]; then continue; fi; if [ $i = 4 ]; then break; fi; echo c$i
done
for i in a b; do for j in 1 2 3; do if [ $j = 2 ]; then continue 2; fi; echo $i$j; done; done
for i in a b; do for j in 1 2; do echo $i$j; break 2; done; done; echo after
for x; do echo "arg $x"; done
while false; do :; done; echo "while status $?"
""",
    "case": r"""
for w in apple banana cherry 12 x.c "a b" ''; do
case $w in
  a*) echo "$w: a-word";;
  b*|c*) echo "$w: b or c";;
  [0-9]*) echo "$w: number" ;;
  *.c) echo "$w: C";;
  "a b") echo "quoted";;
  '') echo empty;;
esac
done
case x in (x) echo paren;; esac
case "*" in \*) echo star;; esac
x=hello; case $x in h"ell"o) echo q;; esac
case y in x) echo no;; esac; echo "case status $?"
""",
    "groups": r"""
{ echo g1; echo g2; } > out.txt; cat out.txt
( echo sub; x=inner; exit 3 ); echo "status $? x=$x"
x=outer; (x=changed; echo $x); echo $x
(cd /; pwd); (cd /tmp && pwd)
{ echo a; echo b; } | wc -l
( echo p1; echo p2 ) | tail -1
""",
    "functions": r"""
f() { echo "f called with $# args: $1 $2"; return 3; }
f a b; echo "ret $?"
g() { local x=local; echo $x; h; }; h() { echo "h sees $x"; }; x=global; g; echo $x
fact() { if [ $1 -le 1 ]; then echo 1; else echo $(( $1 * $(fact $(($1-1))) )); fi; }
fact 5
k() { echo "$@"; shift; echo "$@"; }; k 1 2 3
r() { for i in 1 2 3; do if [ $i = 2 ]; then return $i; fi; done; }; r; echo $?
m() { echo in m; }; m | cat
cnt() { n=0; while read l; do n=$((n+1)); done; echo $n; }; printf 'a\nb\nc\n' | cnt
""",
    "redir": r"""
echo one > f; echo two >> f; cat f; cat < f
echo err 1>&2 2>/dev/null; echo to-err >&2 2>/dev/null
cat nonexistent-file 2>/dev/null; echo "cat $?"
{ echo out; echo err >&2; } 2>&1 | cat
exec 4>g.txt; echo via4 >&4; exec 4>&-; cat g.txt
cat <<EOF
plain $HOME here
  indented \$escaped
EOF
cat <<'EOF'
quoted $HOME `x`
EOF
cat <<-EOF
	tab stripped
	EOF
x=val; cat <<E1; cat <<E2
first $x
E1
second
E2
echo x 2>&1 >/dev/null | cat
( echo sub-out; echo sub-err >&2 ) 2>&1 >/dev/null
: > empty.txt; wc -c < empty.txt
echo hi >| clob.txt; cat clob.txt
""",
    "andor": r"""
true && echo a1; false && echo a2; false || echo o1; true || echo o2
false || false || echo o3; true && false || echo mixed
! true; echo $?; ! false; echo $?
echo 1 && { echo 2; false; } || echo 3
""",
    "pipes": r"""
echo hello | cat | cat; echo $?
printf 'b\na\nc\n' | sort | head -2
false | true; echo $?; true | false; echo $?
echo abc | { read x; echo "got $x"; }
echo x | read v; echo "v=[$v]"
seq 1 5 | while read n; do echo "n$n"; done | tail -2
""",
    "builtins": r"""
cd /tmp && pwd; cd - >/dev/null; echo back
export EX=exported; sh -c 'echo "child sees $EX"'
unset EX; sh -c 'echo "child sees [$EX]"'
NOTEXP=1; sh -c 'echo "[$NOTEXP]"'
T=temp sh -c 'echo $T'; echo "[$T]"
set -- x y z; shift; echo $@; shift 2; echo $#
read a b <<EOF
one two three
EOF
echo "$a|$b"
IFS=: read p q <<EOF
x:y:z
EOF
echo "$p|$q"
printf '%s-%d|%5s|%-3s|%x|%o|%c|%%\n' str 42 r l 255 8 char
printf '%s\n' a b c; printf 'no newline'; echo
eval 'echo evaluated $((1+1))'; cmd='x=9'; eval $cmd; echo $x
type cd | head -c 5; echo
command -v echo; command echo via command
getopts_test() {
  while getopts "ab:c" o; do echo "opt $o ${OPTARG:-}"; done
  shift $((OPTIND-1)); echo "rest $*"
}
getopts_test -a -b val -c rest1 rest2
true; echo $?; false; echo $?; :; echo $?
""",
    "test": r"""
[ a = a ] && echo eq; [ a != b ] && echo ne; [ -z "" ] && echo z; [ -n x ] && echo n
[ 3 -lt 4 ] && echo lt; [ 3 -ge 4 ] || echo notge; test 1 -eq 1 && echo teq
touch f; mkdir dd; [ -f f ] && echo file; [ -d dd ] && echo dir; [ -e nope ] || echo nofile
[ ! -f dd ] && echo notfile; [ -f f -a -d dd ] && echo and; [ -f nope -o -d dd ] && echo or
[ \( 1 -eq 1 \) ] && echo paren; [ "" ] || echo emptyfalse; [ x ] && echo nonempty
[ -s f ] || echo emptyfile; echo data > f; [ -s f ] && echo nonemptyfile
[ abc \< abd ] && echo less
test; echo "test-noargs $?"
""",
    "setopts": r"""
set -e; true; echo alive; false || echo handled; if false; then :; fi; echo still
f() { false; echo "in f after false"; }; f || echo "f failed"
x=$(false) || echo "subst failed"
! false; echo ok
false; echo never
""",
    "sete_exit": r"""
set -e
echo before
(exit 4)
echo never
""",
    "sete_pipe": r"""
set -e; false | true; echo "pipe ok"; true | false; echo never
""",
    "setx_stdout": r"""
set -x; echo traced; set +x; echo untraced
""",
    "setu": r"""
set -u; x=1; echo $x; echo ${y:-default}; echo $y; echo never
""",
    "exit": r"""
echo before; exit 5; echo after
""",
    "trap": r"""
trap 'echo exiting $?' EXIT; echo body; false
""",
    "trap_sig": r"""
trap 'echo got USR1' USR1; kill -USR1 $$; echo after; trap - USR1
trap 'echo term' TERM; kill -TERM $$; echo end
""",
    "trap_exit_code": r"""
trap 'echo in trap' EXIT; exit 3
""",
    "bg": r"""
sleep 0.2 & p=$!; echo started; wait $p; echo "waited $?"
(exit 7) & wait $!; echo "bg status $?"
{ echo bg-out; } & wait
f() { echo func-bg; }; f & wait; echo done
sh -c 'exit 2' & wait $!; echo $?
""",
    "dot": r"""
echo 'sourced=yes; echo "in sourced $1"' > lib.sh; . ./lib.sh; echo $sourced
echo 'return 4; echo no' > ret.sh; . ./ret.sh; echo "dot ret $?"
""",
    "script": r"""
printf '#!/bin/sh\necho "script $0 args: $# $1 $2"\nexit 6\n' > s.sh; chmod +x s.sh
./s.sh a "b c"; echo "status $?"
sh ./s.sh x; echo $?
printf 'echo no shebang $1\n' > ns.sh; chmod +x ns.sh; ./ns.sh arg
sh -c 'echo "c: $0 $1 $2"' zero one two
echo 'echo from stdin; x=1; echo $x' | sh
printf 'read line\necho got $line\n' > r.sh; echo input | sh r.sh
""",
    "notfound": r"""
nosuchcmd; echo "status $?"; ./nosuchfile; echo "status $?"
""",
    "misc": r"""
x=1; x=2 y=3; echo $x $y
a=1 b=$a; echo $b
echo ~ ~/x ~root; y=~; echo $y
echo a#b #comment
echo "multi
line"
i=0; while :; do i=$((i+1)); [ $i -ge 3 ] && break; done; echo $i
echo $(( $(echo 3) + 4 ))
unset -f nothing; unset nothing; echo unset ok
readonly ro=1; echo $ro; (ro=2) 2>/dev/null || echo "readonly kept"
""",
    "big_pipe_builtin": r"""
x=0123456789012345678901234567890123456789012345678901234567890123456789
x=$x$x$x$x$x$x$x$x; x=$x$x$x$x$x$x$x$x; x=$x$x$x$x; echo ${#x}
echo "$x$x$x$x$x$x$x$x$x$x$x$x$x$x$x$x$x$x$x$x$x$x$x$x$x$x$x$x$x$x$x$x" | wc -c
printf '%s\n' "$x" "$x" "$x" | cat | cat | wc -c
y=$(echo "$x$x$x$x$x$x$x$x$x$x$x$x$x$x$x$x$x$x$x$x$x$x$x$x$x$x$x$x$x$x$x$x"); echo ${#y}
i=0; while [ $i -lt 300 ]; do echo "line $i $x"; i=$((i+1)); done | wc -l
echo "$x" | head -c 10; echo
""",
    "big_heredoc": r"""
x=0123456789012345678901234567890123456789012345678901234567890123456789
x=$x$x$x$x$x$x$x$x; x=$x$x$x$x$x$x$x$x
cat <<EOF | wc -c
$x
$x
$x
$x
$x
$x
$x
$x
$x
$x
EOF
""",
    "big_subst": r"""
seq 1 20000 > nums; y=$(cat nums); echo ${#y}; z=$(cat nums | tail -1); echo $z
echo "$(seq 1 3000 | while read n; do echo $n; done | wc -l)"
""",
    "subshell_state": r"""
x=1; y="two words"; f() { echo "f:$1:$x"; }; set -- p1 "p 2"
( echo "$x|$y|$#|$2"; f arg )
echo | { f piped; echo "$y"; }
(set -e; false; echo never); echo "sub status $?"
( exit 9 ) | cat; echo "${?}"
z=$( f subst; echo "$y" ); echo "$z"
(echo "\$0=$0")
a=$( (echo deep; echo er) | tail -1 ); echo $a
""",
    "nested_quotes": r"""
echo "$(echo "a'b" 'c"d')" "${x:-"quoted default"}" '$(not)'
x="a b"; echo "${x#"a "}" ${x%"b"}x
echo "`echo "bq \"inner\""`"
echo $(echo '$(literal)')
""",
    "while_read_file": r"""
printf 'k1 v1\nk2 v2\nk3\n' > kv
while read k v; do echo "key=$k val=[$v]"; done < kv
exec 5< kv; read a <&5; read b <&5; exec 5<&-; echo "$a/$b"
""",
    "ifs": r"""
IFS=,; x="a,b,,c"; set -- $x; echo $#; for i in "$@"; do echo "[$i]"; done
IFS=' ,'; x=" a , b c,d "; set -- $x; echo $#; echo "$*"
unset IFS; x="  sp  "; set -- $x; echo $#
IFS=; x="a b"; set -- $x; echo $#
""",
    "stdin_script": r"""
printf 'echo one\nread l\necho "l=$l"\necho two\n' | sh
printf 'f() {\n echo multi-line func\n}\nf\nfor i in 1 2; do\n echo $i\ndone\n' | sh
printf 'echo "$0 $1"\n' > s; sh s x; sh -s y < s
""",
    "kill_bg": r"""
sleep 5 & p=$!; kill $p; wait $p 2>/dev/null; echo "killed $?"
sleep 5 & kill -9 $!; wait $! 2>/dev/null; echo "killed9 $?"
kill -l 15; kill -l 137
""",
    "wait_trap": r"""
trap 'echo trapped' USR1
sh -c 'sleep 0.3; kill -USR1 '$$ &
wait; echo "after wait"
""",
    "heredoc_func_subshell": r"""
f() {
  cat <<EOF
in f: $1
EOF
}
f one | cat
g() { cat <<'X'
literal $1
X
}
g two | tr a-z A-Z
( f sub )
""",
    "local_dash": r"""
x=global
f() { local x; echo "[$x]"; x=inner; echo "[$x]"; local y=2; echo $y; }
f; echo "[$x] [$y]"
g() { local x=g1; h; echo "g:$x"; }; h() { x=h-set; }; g; echo $x
""",
    "sete_cases": r"""
set -e
f() { false; echo "f continues (tested)"; }
if f; then echo "if-f ok"; fi
f && echo "and ok"
g() { return 3; }
g || echo "g failed $?"
while false; do :; done
for i in 1; do true; done
x=$(echo ok); echo $x
{ false; } || echo grouped
echo end
false
echo never
""",
    "exec_replace": r"""
exec echo replaced; echo never
""",
    "exec_redirect_all": r"""
exec > out.txt; echo to file; exec >&2; cat out.txt >&2
""",
    "subshell_exit_status": r"""
(exit 3); echo $?; (false); echo $?; ( : ); echo $?
x=$( (exit 5) ); echo $?
if (exit 0); then echo sub-true; fi
""",
    "cd_home": r"""
HOME=/tmp; cd; pwd; cd /; echo "$OLDPWD"
""",
    "pipeline_status_neg": r"""
! echo a | grep -q b; echo $?
echo a | grep -q a | cat; echo $?
""",
    "unset_var": r"""
x=1; unset x; echo "[${x-unset}]"; f() { echo f; }; unset -f f; f 2>/dev/null || echo "no f"
""",
    "assign_then_cmd": r"""
x=1; x=2 true; echo $x; y=5 sh -c 'echo $y'; echo "[$y]"
""",
    "printf_more": r"""
printf '%5d|%-5d|%05d|%+d|%.2f|%e|%g\n' 42 42 42 42 3.14159 1234.5 0.0001
printf '%b\n' 'tab\there' 'nl\\n'
printf '%s %s\n' a b c
printf '%c%c\n' hello world
printf '%d\n' "'A"
printf '[%10.3s]\n' abcdef
printf '%b|' 'a\0b' 'c\0101d' x; printf '%5b|\n' ab; printf '%c' | wc -c; printf '%b' 'a\0b' | wc -c
""",
    "echo_escapes": r"""
echo 'a\tb'; echo 'c\nd'; echo -n 'no-nl'; echo; echo 'stop\cnot'; echo '\0101'
""",
    "long_pipeline": r"""
seq 1 100 | grep 1 | sort -r | head -3 | tr 1 X | cat | wc -l
""",
    "for_glob_empty": r"""
for f in *.nothing; do echo "$f"; done
for f in; do echo never; done; echo empty-for
""",
    "special_cases": r"""
echo ${#}; set -- a b; echo ${#} ${#1}
echo "${@}" "${*}"
x=abc; echo ${x%} ${x#} "${x:-}"
echo $((  ))
""",
    "idioms": r"""
f() { for a in ${1+"$@"}; do echo "[$a]"; done; }; f "x y" z; f
while [ $# -gt 0 ]; do
  case $1 in -v) echo verbose;; -o) shift; echo "out=$1";; *) echo "arg $1";; esac
  shift
done
set -- $(echo a b c); echo $#
printf 'l 1\n  l2  \n' | while IFS= read -r line; do echo "<$line>"; done
[ -z "${UNSETV+x}" ] && echo unset-detected
command -v nosuch >/dev/null 2>&1 || echo "nosuch missing"
command -v cat >/dev/null && echo "cat found"
echo "a b" > file; n=$(( $(wc -l < file) + 1 )); echo $n
dir=$(dirname /a/b/c); base=$(basename /a/b/c.txt .txt); echo "$dir $base"
x=5; x=$((x + 1)); : $((x += 2)); echo $x
tmp=tmpfile; trap 'rm -f $tmp; echo cleaned' EXIT; touch $tmp; [ -f $tmp ] && echo $tmp
""",
    "exec_args": r"""
set -- echo "exec'd" args; exec "$@"
""",
    "nested_subst_case": r"""
x=$(case a in a) echo matched-a;; esac); echo $x
y=$(for i in 1 2; do case $i in 1) echo one;; 2) echo two;; esac; done); echo $y
echo "$(echo "$(echo "$(echo deep)")")"
""",
    "redirect_order": r"""
{ echo out; echo err >&2; } > both.txt 2>&1; sort both.txt
{ echo out2; echo err2 >&2; } 2>&1 > only-out.txt | tr a-z A-Z; cat only-out.txt
echo hi > a.txt 2>&1; cat a.txt
cat < a.txt > b.txt; cat b.txt
exec 4>&1; echo "to 4" >&4; exec 4>&-
""",
    "readvars": r"""
echo "a b c d" | { read x y; echo "$x|$y"; }
echo "  lead  trail  " | { read x; echo "[$x]"; }
printf 'a\\\nb\n' | { read x; echo "[$x]"; }
printf 'a\\\nb\n' | { read -r x; echo "[$x]"; }
printf 'no newline' | { read x; echo "$? [$x]"; }
echo "x:y" | { IFS=: read a b; echo "$a $b"; }
""",
    "func_redirect": r"""
f() { echo in-f; echo err-f >&2; }
f > fout 2>&1; cat fout
g() { echo "g:$1"; } > gout; g one; g two; cat gout
""",
    "loop_redirect": r"""
for i in 1 2 3; do echo $i; done > loop.txt; cat loop.txt
while read l; do echo "r:$l"; done < loop.txt
i=0; while [ $i -lt 2 ]; do echo $i; i=$((i+1)); done | cat
""",
    "positional_func": r"""
f() { echo "$#:$*"; set -- changed; echo "$1"; }; set -- a b; f x y z; echo "$#:$*"
""",
    "eval_cases": r"""
eval 'f() { echo evf; }'; f
v=x; eval "$v=42"; eval echo \$$v
eval 'for i in 1 2; do echo e$i; done'
""",
    "dot_func": r"""
printf 'helper() { echo "helper $1"; }\nHV=1\n' > lib.sh
. ./lib.sh; helper x; echo $HV
""",
    "exit_in_func": r"""
f() { echo in; exit 4; echo never; }; f; echo never
""",
    "signals_children": r"""
trap '' INT; sh -c 'kill -INT $$; echo survived-int'
trap 'echo parent-usr1' USR1; sh -c 'kill -USR1 $$; echo not-reached'; echo "child $?"
trap - INT USR1; trap
trap 'echo t' TERM HUP; trap
""",
    "errors_in_children": r"""
( echo ${x?custom message}; echo never ) 2>/dev/null; echo "status $?"
echo $(echo ${y?oops} ) 2>/dev/null; echo "after $?"
(shift 3) 2>/dev/null; echo "shift status $?"
""",
    "return_top": r"""
f() { return; }; false; f; echo "plain return keeps $?"
g() { false; return; }; g; echo "g $?"
return 3; echo never
""",
    "break_in_func": r"""
b() { break; }; for i in 1 2 3; do echo $i; b; done; echo out
""",
    "misc_status": r"""
x=$(exit 4) y=1; echo $?
true $(exit 5); echo $?
if false; then :; fi; echo "if-none $?"
case x in y) :;; esac; echo "case-none $?"
for i in; do :; done; echo "for-none $?"
false; { true; }; echo $?
""",
    "arith_vars": r"""
a=3 b=4; echo $((a*b)) $(( a > b ? a : b )) $((a<<b)) $(( (a+b) % 5 ))
n=010; echo $((n)) $((n+0))
h=0x1f; echo $((h))
c=-5; echo $((c*-1)) $((- c))
echo $((2147483647 + 1)) $(( 1 << 40 ))
""",
    "kill_bg_msg": r"""
sleep 5 & p=$!; kill $p; wait $p; echo "killed $?"
sleep 5 & kill -9 $!; wait $!; echo "killed9 $?"
""",
    "sete_children": r"""
set -e
if (false; echo "subshell in a condition goes on"); then echo y; fi
f() { false; echo "function in a tested pipeline goes on"; }
if f | cat; then echo z; fi
(false; echo w) || echo v
(false; echo never) | cat
echo "pipeline status $?"
(false; echo never)
echo never
""",
    "subst_pipes": r"""
x=hello; y=$(echo "$x world" | tr a-z A-Z); echo "$y"
n=$(seq 1 100 | grep 5 | wc -l); echo $n
v=$(printf 'b\na\nc\n' | sort | head -1); echo $v
z=$(echo abc | cat | cat | cat); echo $z
echo "$(false | true)" $?; w=$(true | false); echo $?
big=$(seq 1 5000 | cat); echo ${#big}
e=$(echo "$big" | wc -c); echo $e
q=$(echo a | grep zzz); echo "[$q] $?"
h=$(head -c 3 <<EOF | tr a-z A-Z
abcdef
EOF
); echo $h
f() { echo func; }; r=$(f | tr a-z A-Z); echo $r
s=$(echo one two | { read a b; echo $b; }); echo $s
u=$(nosuchcmd 2>/dev/null | cat); echo "[$u] $?"
""",
    "wait_interrupted": r"""
trap 'echo got-usr2' USR2
sleep 2 & p=$!
sh -c "sleep 0.2; kill -USR2 $$" &
wait $p; echo "wait status $?"
kill $p 2>/dev/null; wait $p 2>/dev/null; echo end
""",
    "heredoc_after_line": r"""
while read x; do echo "r:$x"; done <<EOF | sort
c
b
EOF
{ cat <<A; cat <<'B'; } | tr a-z A-Z
first $HOME
A
second $HOME
B
f() { cat <<-EOF; }
	in function
	EOF
f | cat; f
( cat <<EOF ) | cat
sub
EOF
for i in 1 2; do cat <<EOF; done | wc -l
line $i
EOF
echo end
""",
    "errors": r"""
sh -c 'set -Z; echo after' 2>/dev/null; echo "0: $?"
sh -c 'shift 5; echo after' 2>/dev/null; echo "1: $?"
sh -c 'echo $((1/0)); echo after' 2>/dev/null; echo "2: $?"
sh -c 'echo ${x?unset here}; echo after' 2>/dev/null; echo "3: $?"
sh -c 'readonly r=1; r=2; echo after' 2>/dev/null; echo "4: $?"
sh -c 'cd /nonexistent; echo "after $?"' 2>/dev/null; echo "5: $?"
sh -c '. /nonexistent.sh; echo after' 2>/dev/null; echo "6: $?"
sh -c 'exec /nonexistent; echo after' 2>/dev/null; echo "7: $?"
sh -c ': > /nonexistent/x; echo "after $?"' 2>/dev/null; echo "8: $?"
sh -c 'echo hi > /nonexistent/x; echo "after $?"' 2>/dev/null; echo "9: $?"
sh -c 'f() { nosuch; echo "in f $?"; }; f; echo after' 2>/dev/null; echo "10: $?"
sh -c 'echo hi >&7; echo "after $?"' 2>/dev/null; echo "11: $?"
sh -c 'readonly q=1; unset q; echo "after $?"' 2>/dev/null; echo "12: $?"
sh -c 'export 1x=2; echo after' 2>/dev/null; echo "13: $?"
sh -c 'trap '"'"'echo x'"'"' NOSUCHSIG; echo "after $?"' 2>/dev/null; echo "14: $?"
sh -c 'break; echo "after $?"' 2>/dev/null; echo "15: $?"
sh -c 'local x=1; echo "after $?"' 2>/dev/null; echo "16: $?"
""",
}


def run_both(userland: Userland, script: str) -> None:
    inside = userland.inside(["sh", "-c", script, *ARGS])
    userland.clear()
    native = userland.native(["dash", "-c", script, *ARGS])
    assert inside.stdout.decode() == native.stdout.decode(), inside.stderr.decode()
    assert inside.exit_code == native.exit_code, inside.stderr.decode()
    assert bool(inside.stderr) == bool(native.stderr), (inside.stderr, native.stderr)


@pytest.mark.parametrize("name", sorted(CASES))
def test_feature_group_matches_dash(userland: Userland, name: str) -> None:
    run_both(userland, CASES[name])
