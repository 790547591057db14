"""Wide inputs, generated: chmod's symbolic modes and date's formats, each batch run
once inside and once with the host's coreutils (one LibOS boot per example)."""

from __future__ import annotations

from fileutils_support import compare
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from userland_harness import Userland

WHO = st.text(alphabet="ugoa", max_size=3)
PERMS = st.one_of(st.text(alphabet="rwxXst", max_size=4), st.sampled_from("ugo"),
                  st.integers(0, 0o7777).map(lambda n: f"{n:o}"))
CLAUSE = st.builds("{}{}".format, WHO,
                   st.lists(st.builds("{}{}".format, st.sampled_from("+-="), PERMS),
                            min_size=1, max_size=3).map("".join))
#: A chmod mode: octal, or symbolic clauses; sometimes malformed (GNU says "invalid mode").
MODE = st.one_of(
    st.integers(0, 0o7777).map(lambda n: f"{n:o}"),
    st.lists(CLAUSE, min_size=1, max_size=3).map(",".join),
    st.text(alphabet="ugoa+-=rwxXst01789,", min_size=1, max_size=8),
)
# Generated inputs must not be taken for options by the shell script or chmod itself.
SAFE_MODE = MODE.filter(lambda m: not m.startswith("-") and "'" not in m)
# Few examples of many commands each (one LibOS boot per example); no shrinking
# (every step costs a boot): the failing batch is shown as it is.
# derandomize: the same examples every run (make test must not go red on a
# counterexample that a random search happens to find).
PROPS = settings(max_examples=8, deadline=None, phases=[Phase.explicit, Phase.generate],
                 derandomize=True,
                 suppress_health_check=[HealthCheck.function_scoped_fixture])


@PROPS
@given(st.lists(SAFE_MODE, min_size=12, max_size=12), st.sampled_from([0o644, 0o7000, 0o751]))
def test_chmod_random_modes(userland: Userland, modes: list[str], start: int) -> None:
    userland.clear()
    setup = f"touch f && mkdir -p d && chmod {start:o} f && chmod 2{start & 0o777:03o} d"
    compare(userland, [f"{setup} && chmod -v -- '{m}' f d; stat -c '%a' f d" for m in modes], {})


# Flags and widths on every conversion but %z and %% (GNU pads the offset's digits
# after its sign, and prints "%3%" literally: not supported, see the README).
CONVERSION = st.builds(
    "%{}{}{}".format,
    st.sampled_from(["", "", "-", "_", "0", "^", "#"]),
    st.sampled_from(["", "", "", "1", "3", "10"]),
    st.sampled_from(list("aAbBcCdDeFgGhHIjklmMnNpPqrRsStTuUVwWxXyYZ")),
)
FORMAT = st.lists(st.one_of(CONVERSION, st.sampled_from([" ", "-", ":", "x", "%z", "%:z", "%::z",
                                                          "%:::z", "%%"])),
                  min_size=1, max_size=8).map("".join)


@PROPS
@given(st.lists(FORMAT, min_size=10, max_size=10),
       st.integers(-(2**33), 2**34), st.integers(0, 999_999_999))
def test_date_random_formats(userland: Userland, formats: list[str], sec: int, ns: int) -> None:
    compare(userland, [f"date -d @{sec}.{ns:09d} '+{f}'" for f in formats], mutates=False)


#: File names: printable ASCII with the characters shells and quoting care about, and
#: some control and non-ASCII bytes (quoted as $'\n', $'\303\251' in messages).
NAME = st.text(alphabet=st.sampled_from([*"abcXYZ019 ._-'\"$`\\!*?[]{}~#&;|<>()=+,:@^%",
                                         "\t", "\n", "\x01", "\x7f", "é", "ü"]),
               min_size=1, max_size=6).filter(lambda n: n not in (".", "..") and "/" not in n)


@PROPS
@given(st.sets(NAME, min_size=1, max_size=8))
def test_names_in_listings_and_messages(userland: Userland, names: set[str]) -> None:
    userland.clear()
    spec = {n: n.encode() for n in names}
    compare(userland, [
        "ls -A", "ls -lA", "ls -AF", 'for f in *; do stat -c "%n|%N" -- "$f"; done',
        'for f in *; do ls -- "$f.nope"; done', 'for f in *; do mv -v -- "$f" "$f.m"; done',
        'for f in *; do cp -v -- "$f" "$f.c"; done', "rm -v -- *.m", "ls -A",
    ], spec)
