"""The file utilities that change a tree (mkdir rmdir touch ln rm cp mv chmod) against
the host's GNU coreutils: same script, same output and statuses, and the same tree
afterwards (names, types, modes, contents, link counts, symlink targets; times where
the command sets them). In /host (hostfs) the comparison is direct; the same scripts
also run in /tmp (ramfs) and /root (sefs over the image), where directory sizes
differ from ext4's and so only what does not depend on them is printed."""

from __future__ import annotations

import re
import shutil
import tempfile

import pytest
from fileutils_support import OLD, Spec, compare, script
from userland_harness import Userland

TREE: Spec = {
    "f": b"file\n",
    "g": b"other\n",
    "exe": b"#!/bin/sh\n",
    "d": None,
    "d/x": b"x",
    "d/e": None,
    "d/e/y": b"yy",
    "empty": None,
    "lf": ("link", "f"),
    "ld": ("link", "d"),
    "dangling": ("link", "nowhere"),
}
MODES = {"exe": 0o755, "g": 0o600, "d/e": 0o750}


def test_mkdir(userland: Userland) -> None:
    compare(userland, [
        "mkdir n", "mkdir -v a b", "mkdir n", "mkdir f", "mkdir f/x", "mkdir nope/x",
        "mkdir -p -v p/q/r", "mkdir -p p/q/r", "mkdir -p f", "mkdir -p f/x", "mkdir -pv p//s/",
        "mkdir -m 700 m1", "mkdir -m u=rwx,go=rx,o-x m2", "mkdir -m a=rwxt m3", "mkdir -m 2755 m4",
        "mkdir -pm 700 m5/m6", "mkdir -m xyz bad", "mkdir -m", "mkdir", "mkdir --bogus",
        "mkdir -v ./dot/", "mkdir -- -dash",
        "stat -c '%A %n' n a b p p/q p/q/r m1 m2 m3 m4 m5 m5/m6",
        # The umask shapes what mkdir, touch and cp create (a subshell keeps it there).
        "(umask 027 && mkdir u1 && mkdir -p u2/u3 && mkdir -m g+w u4 && touch u5 && cp exe u6"
        " && cp -p exe u7 && stat -c '%a %n' u1 u2 u2/u3 u4 u5 u6 u7)",
    ], TREE, modes=MODES)


def test_rmdir(userland: Userland) -> None:
    compare(userland, [
        "rmdir empty", "rmdir empty", "rmdir d", "rmdir f", "rmdir ld", "rmdir nope",
        "mkdir -p a/b/c && rmdir -pv a/b/c", "mkdir -p k/l && touch k/z && rmdir -p k/l",
        "mkdir -p s/t && touch s/z && rmdir --ignore-fail-on-non-empty -p s/t", "rmdir",
        "rmdir --bogus", "rmdir -v d/e/../e/", "ls",
    ], TREE, modes=MODES)


def test_touch(userland: Userland) -> None:
    stamp = "stat -c '%n %X %Y %s'"
    compare(userland, [
        "touch new", "touch -c none", "touch nope/x", "touch -d @1234567890 f g",
        "touch -d '2020-02-29 12:34:56' exe", "touch -d 2001-02-03T04:05:06.5Z empty",
        "touch -t 202001021230 t1", "touch -t 9901021230.59 t2",
        "touch -t 01021230 t3 && stat -c %n t3",
        "touch -a -d @1000000000 d/x", "touch -m -d @2000000000 d/e/y",
        "touch -r f t4", "touch -r nope t5", "touch -d xx t6", "touch -t 1 t7",
        "touch -d @1500000000 lf", "touch -c -d @1600000000 dangling", "touch", "touch --bogus",
        "touch -h -d @1400000000 ld dangling", "touch -h nope", "touch -h -r ld t8",
        f"{stamp} f g exe empty t1 t2 d/x d/e/y t4 ld dangling t8",
    ], TREE, modes=MODES)


def test_ln(userland: Userland) -> None:
    compare(userland, [
        "ln -s f s1", "ln -sv f s2", "ln f h1", "ln -v f h2", "ln -s f s1", "ln f h1",
        "ln -sf g s1", "ln -sfv g s2", "ln -f g h1", "ln -fv f f", "ln nope h3",
        "ln -s x nope/y", "ln f nope/y", "ln d hd", "ln -sv f g d", "ln -sv ../f d/up",
        "ln -v f g nope", "ln -v f g exe", "ln -sv /etc/passwd", "ln -s f", "ln",
        "ln -sT f d", "ln -sn g ld", "ln -sfn g ld", "ln -t d -s ../g", "ln -t nope f",
        "ln -s '' empty-target", "ln --bogus", "ls -l s1 s2 ld d",
    ], TREE, modes=MODES, normalize=_no_times)


def _no_times(out: bytes) -> bytes:
    # ls -l of links made now: the minute may turn between the two runs.
    return re.sub(rb"(Nov 14  2023|[A-Z][a-z]{2} [ \d]\d \d\d:\d\d)", b"TIME", out)


def test_ln_relative(userland: Userland) -> None:
    spec: Spec = {"a": None, "a/b": None, "a/f": b"f", "c": None}
    compare(userland, [
        "ln -srv a/f c/l1", "ln -srv a/f l2", "ln -srv a/b/../f c/l3",
        "ln -srv \"$PWD/a/f\" a/b/l4",
        "ln -srv nowhere/x c/l5", "ln -srv a c/l6", "ln -srv c/l6/f l7", "ln -rv a/f hard",
        "ln -srv . c/l8", "ln -srv c c/l9", "ln -sr a/f a/b/", "ln -sr -t c a/b a/f",
        "stat -c %N c/* a/b/*",
    ], spec)


def test_rm(userland: Userland) -> None:
    compare(userland, [
        "rm f", "rm f", "rm -f f nope", "rm d", "rm -d empty", "rm -d d", "rm -v lf ld dangling",
        "rm -r nope", "rm -rf nope", "rm -rv d/e", "rm -R d", "rm -v . ..", "rm -r ./",
        "rm -r d/.", "rm", "rm -f", "rm -r /", "rm --bogus", "rm -i g", "ls",
    ], TREE, modes=MODES)


@pytest.mark.parametrize("answers", [b"", b"n\n" * 9, b"y\n" * 9, b"y\nn\ny\ny\ny\nn\ny\n"])
def test_rm_interactive(userland: Userland, answers: bytes) -> None:
    # Prompts go to stderr, answers come from stdin (one line each); at end of input
    # the answer is no. One entry per directory (see test_rm_recursive_verbose).
    spec: Spec = {"f": b"1", "e": b"", "l": ("link", "f"), "a": None, "a/b": None,
                  "a/b/c": b"c", "z": None}
    compare(userland, ["rm -i f e l", "rm -ri a", "rm -di z", "rm -i z", "ls"], spec,
            stdin=answers)


def test_rm_recursive_verbose(userland: Userland) -> None:
    # One entry per directory: rm visits entries in the order the file system lists them,
    # which is hash order on ext4 and name order in hostfs.
    compare(userland, ["rm -rv a", "ls"], {"a": None, "a/b": None, "a/b/c": b"", "a/b/d": None})


def test_cp(userland: Userland) -> None:
    compare(userland, [
        "cp f c1", "cp -v f c2", "cp f d", "cp -v f g", "cp f f", "cp nope c3", "cp d c4",
        "cp -r d c5", "cp -rv d/e c6", "cp -r d c5", "cp -R d/e d", "cp f d/x/y", "cp f nope/y",
        "cp f g c7", "cp f g d", "cp -v f g d/e", "cp", "cp f", "cp -r empty f",
        "cp f empty/", "cp f empty/x/", "cp -v lf c8", "cp -rv ld c9", "cp -a ld c10",
        "cp -d lf c11", "cp -P lf c12", "cp -L ld c13", "cp -rL ld c14", "cp dangling c15",
        "cp -d dangling c16", "cp -n f g", "cp -T d/e c17", "cp -rT d/e c18", "cp -t d f g",
        "cp -t nope f", "cp exe c19", "cp -r d/e c20 && ls -l c20", "cp --bogus f c21",
        "cp --preserve=bogus f c22",
    ], TREE, modes=MODES)


def test_cp_preserves_with_p_and_a(userland: Userland) -> None:
    compare(userland, [
        "cp -p g p1", "cp -p exe p2", "cp -rp d p3", "cp -a d p4",
        "cp --preserve=timestamps g p6", "cp --preserve g p7", "cp -a lf p8",
    ], TREE, modes=MODES, with_times=True, normalize=_no_times,
        times={"g": OLD - 86400, "d": OLD - 3600})


def test_cp_and_mv_update(userland: Userland) -> None:
    spec: Spec = {"new": b"new", "old": b"old", "same": b"same", "d": None, "d/new": b"x"}
    times = {"new": OLD + 100, "old": OLD, "same": OLD, "d/new": OLD + 200}
    compare(userland, [
        "cp -uv old new", "cp -uv same old", "cp -uv new old", "cp -uv new d", "cp -u d/new new",
        "cat old new", "mv -uv same old", "mv -uv d/new new", "mv -u old missing", "ls",
    ], spec, times=times)


@pytest.mark.parametrize("answer", [b"y\n", b"n\n", b""])
def test_cp_and_mv_interactive(userland: Userland, answer: bytes) -> None:
    compare(userland, ["cp -i f g", "cat g"], TREE, stdin=answer)
    userland.clear()
    compare(userland, ["mv -i f g", "cat g", "ls"], TREE, stdin=answer)


def test_mv(userland: Userland) -> None:
    compare(userland, [
        "mv -v f m1", "mv m1 m1", "mv d d/e", "mv nope x", "mv -v g d", "mv empty d/e",
        "mv d/e/empty ld", "mv -v m1 lf d", "mv", "mv exe", "mv -v d/x d/e .", "mv x f2 nope",
        "mv e exe", "mv exe e", "mv -vT d/g e", "mv -n lf e", "mv -f dangling e",
        "mv -t d e", "mv -t nope e", "mv --bogus a b", "mv d/. z", "ls",
    ], TREE, modes=MODES)


CHMODS = [
    "755", "644", "0", "7777", "u+x", "g-r", "o=rw", "a+X", "-w", "+w", "-w,+x", "u=g", "go=u-w",
    "u+s,g+s,o+t", "=", "a=rwx,g-w,o=", "-x", "ug+rw,o-rwx", "+t", "u-s", "g=o,o=u", "x", "8",
    "u+q", "u++x", "-0", "1", "a-rwx", "+rwx,g-s", "u=rx,g=u,o=g",
]


@pytest.mark.parametrize("modes", [CHMODS[:15], CHMODS[15:]])
def test_chmod_modes(userland: Userland, modes: list[str]) -> None:
    # Each mode on a file and on a directory, from 0644 and 0755 (and -c, -v output).
    setup = "touch f && mkdir -p d && chmod 644 f && chmod 2755 d"
    compare(userland, [f"{setup} && chmod -v {m} f d; stat -c '%a %A' f d" for m in modes], {})


def test_chmod_options(userland: Userland) -> None:
    # -R walks directories in the order the file system lists them (hash order on ext4,
    # name order in hostfs): the tree walked with -v has one entry per directory.
    spec: Spec = {**TREE, "r": None, "r/s": None, "r/s/t": b"t", "lr": ("link", "r"),
                  "k": None, "k/l": ("link", "../f")}
    compare(userland, [
        "chmod -v 600 f", "chmod -c 600 f", "chmod -c 640 f", "chmod -R -v u-w r/s lr",
        "chmod -Rc a+rX r", "chmod -R go= d ld", "chmod -Rv 600 k",
        "chmod -v 700 lf", "chmod -v 600 dangling", "chmod -R 600 dangling",
        "chmod -Rv 640 dangling", "chmod 700 nope", "chmod -f 700 nope", "chmod", "chmod 7",
        "chmod xyz f", "chmod --reference=exe -v g", "chmod --reference=nope g", "chmod -v -- -w f",
        "chmod --bogus 700 f", "stat -c '%a %n' f g exe d d/x d/e d/e/y lf r r/s r/s/t k",
    ], spec, modes=MODES)


# --- the same on the LibOS's own file systems -----------------------------------------

#: A script that builds a tree with the utilities and works on it in its own folder.
WORK = [
    "mkdir -p w/d/e && cd w && echo hello > f && echo x > d/x && echo y > d/e/y",
    "chmod 640 f && chmod 750 d/e && ln -s f lf && ln -s d ld && ln f hard",
    "touch -d @1700000000 f d/x d/e/y",
    # cp -r copies a folder's entries in inode-number order (gnulib's savedir), which
    # on the host depends on its file system's allocator: the names are sorted.
    "cp -v f c1 && cp -rv d c2 | sort && cp -a d c3 && cp -p f c4 && cp lf c5 && cp -d lf c6",
    "mv -v c1 m1 && mv -v c2 m2 && mv m1 m2/ && mkdir -v -p n/o && rmdir -v -p n/o",
    "chmod -R go-rwx c3 && chmod -v u+s,g+x f && chmod 7777 m2/m1 && chmod -v 0 c4",
    "ln -sv ../f d/up && ln -sfv hard lf && rm -v hard && rm -rv m2/e",
    # (Link counts of files only: directories' differ between file systems.)
    "stat -c '%n %A %h %s' f d/x d/e/y lf c3/x c3/e/y c4 c5 c6 m2/m1 m2/x d/up",
    "stat -c '%n %A' d d/e ld c3 c3/e m2",
    "stat -c '%n %Y' d/x c3/x c4 c3/e/y",
    "cat m2/m1 c3/e/y d/up && ls -R && stat -c %N lf ld c6 d/up",
    "rm -r d/e && rmdir d/e; rm -rf w/nope; cd .. && rm -rv w | tail -1 && ls w",
]


@pytest.mark.parametrize("where", ["/tmp", "/root"])
def test_tree_work_on_ramfs_and_sefs(userland: Userland, where: str) -> None:
    text = script(*WORK)
    inside = userland.inside(["sh", "-c", text], cwd=where)
    userland.clear()
    native = userland.native(["sh", "-c", text])
    assert inside.stdout.decode() == native.stdout.decode()
    assert (inside.exit_code, inside.stderr) == (native.exit_code, native.stderr)


def test_mv_across_file_systems(userland: Userland) -> None:
    # /host (hostfs) to /tmp (ramfs) and back inside; the host's /dev/shm (tmpfs) is
    # another file system than its /tmp. Each directory holds one entry: mv copies
    # entries in the order the file system lists them. The target folder's name differs.
    shm = tempfile.mkdtemp(prefix="pyocclum-mv-", dir="/dev/shm")
    try:
        commands = [
            "mkdir -p src/sub && echo data > src/sub/g && ln -s g src/sub/l2 && rm src/sub/l2",
            "chmod 750 src/sub && chmod 604 src/sub/g && touch -d @1700000000 src/sub/g src/sub",
            'mv -v src "$T/dst"', 'stat -c "%n %a %Y" "$T/dst/sub" "$T/dst/sub/g"', "ls",
            'mv -v "$T/dst/sub/g" back && cat back && stat -c "%a %Y" back',
            'mv "$T/dst" "$T/dst2" && mv -v "$T/dst2" here && ls -R here', "mv -v nope \"$T/x\"",
        ]
        text = script(*commands)
        inside = userland.inside(["sh", "-c", "T=/tmp\n" + text])
        userland.clear()
        native = userland.native(["sh", "-c", f"T={shm}\n" + text])
        assert inside.stdout.decode() == native.stdout.decode().replace(shm, "/tmp")
        assert inside.exit_code == native.exit_code
    finally:
        shutil.rmtree(shm, ignore_errors=True)


def test_chmod_rm_cp_on_the_image_copy_up(userland: Userland) -> None:
    # /etc/hostname comes from the integrity image; changing it copies it up into the
    # encrypted upper layer, which keeps the change across runs.
    image = userland.instance.path / "image" / "etc" / "hostname"
    original = image.stat().st_mode & 0o777
    first = userland.inside(["sh", "-c", script(
        "stat -c '%a %s' /etc/hostname", "chmod -v 600 /etc/hostname",
        "cp -p /etc/hostname /root/hn && stat -c '%a' /root/hn", "cat /etc/hostname",
        "rm -v /root/hn", "mkdir -m 700 /root/md && stat -c '%a' /root/md && rmdir /root/md",
    )], cwd="/")
    again = userland.inside(["sh", "-c", script(
        "stat -c '%a' /etc/hostname", f"chmod {original:o} /etc/hostname",
        "stat -c '%a' /etc/hostname")], cwd="/")
    size = image.stat().st_size
    content = image.read_text()
    assert first.stdout.decode() == (
        f"{original:o} {size}\n[rc=0]\n"
        f"mode of '/etc/hostname' changed from {original:04o} ({_rwx(original)}) "
        f"to 0600 (rw-------)\n[rc=0]\n600\n[rc=0]\n{content}[rc=0]\nremoved '/root/hn'\n[rc=0]\n"
        "700\n[rc=0]\n")
    assert again.stdout.decode() == f"600\n[rc=0]\n[rc=0]\n{original:o}\n[rc=0]\n"


def _rwx(mode: int) -> str:
    return "".join(c if mode & (0o400 >> i) else "-" for i, c in enumerate("rwxrwxrwx"))


def test_image_files_show_their_modes_and_sizes(userland: Userland) -> None:
    # The integrity image keeps each file's permission bits and size from the host's image/.
    image = userland.instance.path / "image"
    names = ["bin/ls", "bin/sh", "etc/hosts", "etc/hostname"]
    r = userland.inside(["stat", "-c", "%n %a %s %F", *(f"/{n}" for n in names)], cwd="/")
    want = "".join(f"/{n} {(image / n).stat().st_mode & 0o7777:o} {(image / n).stat().st_size} "
                   "regular file\n" for n in names)
    assert (r.exit_code, r.stdout.decode()) == (0, want)
    assert userland.inside(["ls", "-F", "/bin/ls", "/etc/hosts"], cwd="/").stdout == (
        b"/bin/ls*\n/etc/hosts\n")
