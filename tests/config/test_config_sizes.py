"""Size strings: parsing, formatting, messages, and the round trip."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pyocclum.config.sizes import MAX_SIZE, UNITS, SizeError, format_size, parse_size
from pyocclum.errors import ConfigError

KB, MB, GB, TB = 1024, 1024**2, 1024**3, 1024**4


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("32MB", 32 * MB),
        ("1GB", GB),
        ("4KB", 4 * KB),
        ("300MB", 300 * MB),
        ("512B", 512),
        ("1TB", TB),
        ("0B", 0),
        ("0", 0),
        ("1024", 1024),
        ("32mb", 32 * MB),
        ("32Mb", 32 * MB),
        ("1k", KB),
        ("1K", KB),
        ("2M", 2 * MB),
        ("3G", 3 * GB),
        ("4T", 4 * TB),
        ("1KiB", KB),
        ("2MiB", 2 * MB),
        ("3gib", 3 * GB),
        ("1TiB", TB),
        ("5b", 5),
        (" 32MB ", 32 * MB),
        ("32 MB", 32 * MB),
        ("32\tMB\n", 32 * MB),
        ("007KB", 7 * KB),
        ("16777215TB", 16777215 * TB),
    ],
)
def test_parses_valid_sizes(text: str, expected: int) -> None:
    assert parse_size(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("12XB", '"12XB" is not a size (use e.g. "32MB")'),
        ("", '"" is not a size (use e.g. "32MB")'),
        ("MB", '"MB" is not a size (use e.g. "32MB")'),
        ("-1MB", '"-1MB" is not a size: sizes cannot be negative'),
        ("1.5MB", '"1.5MB" is not a size: use a whole number'),
        (".5GB", '".5GB" is not a size: use a whole number'),
        ("+1MB", '"+1MB" is not a size (use e.g. "32MB")'),
        ("1 2MB", '"1 2MB" is not a size'),
        ("0x10MB", '"0x10MB" is not a size'),
        ("1e3", '"1e3" is not a size'),
        ("1_000MB", '"1_000MB" is not a size'),
        ("32MBB", '"32MBB" is not a size'),
        ("KB1", '"KB1" is not a size'),
        ("\u0661\u0662MB", "is not a size"),  # Arabic-Indic digits are not ASCII digits
        ("1.5XB", '"1.5XB" is not a size (use e.g. "32MB")'),
        ("16777216TB", '"16777216TB" is too large'),
        ("9" * 5000 + "B", "is too large"),
    ],
)
def test_rejects_junk_with_a_clear_message(text: str, message: str) -> None:
    with pytest.raises(SizeError) as info:
        parse_size(text)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_size_error_is_a_config_error_and_a_value_error() -> None:
    with pytest.raises(ConfigError):
        parse_size("nope")
    with pytest.raises(ValueError, match="is not a size"):
        parse_size("nope")


def test_long_junk_is_shortened_in_the_message() -> None:
    with pytest.raises(SizeError) as info:
        parse_size("x" * 1000)
    assert len(str(info.value)) < 100


def test_max_size_is_accepted_in_bytes() -> None:
    assert parse_size(f"{MAX_SIZE}B") == MAX_SIZE
    with pytest.raises(SizeError, match="too large"):
        parse_size(f"{MAX_SIZE + 1}")


@pytest.mark.parametrize(
    ("nbytes", "text"),
    [
        (0, "0B"),
        (1, "1B"),
        (512, "512B"),
        (1024, "1KB"),
        (1536, "1536B"),
        (32 * MB, "32MB"),
        (300 * MB, "300MB"),
        (1536 * MB, "1536MB"),
        (GB, "1GB"),
        (TB, "1TB"),
        (2048 * TB, "2048TB"),
        (MAX_SIZE, f"{MAX_SIZE}B"),
    ],
)
def test_formats_in_the_largest_exact_unit(nbytes: int, text: str) -> None:
    assert format_size(nbytes) == text


def test_format_rejects_out_of_range_and_non_ints() -> None:
    with pytest.raises(ValueError, match="out of range"):
        format_size(-1)
    with pytest.raises(ValueError, match="out of range"):
        format_size(MAX_SIZE + 1)
    with pytest.raises(TypeError):
        format_size(True)
    with pytest.raises(TypeError):
        format_size(1.0)  # type: ignore[arg-type]


@given(st.integers(min_value=0, max_value=MAX_SIZE))
def test_format_then_parse_is_identity(nbytes: int) -> None:
    assert parse_size(format_size(nbytes)) == nbytes


@given(st.integers(min_value=0, max_value=MAX_SIZE))
def test_format_uses_a_canonical_unit(nbytes: int) -> None:
    text = format_size(nbytes)
    match = re.fullmatch(r"(0|[1-9][0-9]*)(TB|GB|MB|KB|B)", text)
    assert match is not None
    number, unit = int(match.group(1)), match.group(2)
    if nbytes and unit != "TB":
        assert number % 1024 != 0  # otherwise a larger unit would have been used


_UNIT_SPELLINGS = {
    1: ["B", "b", ""],
    KB: ["KB", "kb", "K", "k", "KiB", "kib"],
    MB: ["MB", "mB", "M", "m", "MiB", "MIB"],
    GB: ["GB", "gb", "G", "g", "GiB"],
    TB: ["TB", "Tb", "T", "t", "TiB", "tib"],
}


@given(
    st.sampled_from(sorted(_UNIT_SPELLINGS)).flatmap(
        lambda factor: st.tuples(
            st.just(factor),
            st.sampled_from(_UNIT_SPELLINGS[factor]),
            st.integers(min_value=0, max_value=MAX_SIZE // factor),
            st.sampled_from(["", " ", "  "]),
        )
    )
)
def test_parse_then_format_is_canonical(case: tuple[int, str, int, str]) -> None:
    factor, unit, number, blank = case
    nbytes = parse_size(f"{blank}{number}{blank}{unit}{blank}")
    assert nbytes == number * factor
    assert parse_size(format_size(nbytes)) == nbytes
    assert format_size(nbytes) == format_size(parse_size(f"{number * factor}B"))


@given(st.text(max_size=30))
def test_parse_raises_only_size_error(text: str) -> None:
    try:
        nbytes = parse_size(text)
    except SizeError as exc:
        message = str(exc)
        assert "is not a size" in message or "too large" in message
    else:
        assert 0 <= nbytes <= MAX_SIZE


def test_units_table_is_largest_first() -> None:
    factors = [factor for _, factor in UNITS]
    assert factors == sorted(factors, reverse=True)
