"""The compact runtime config written at build time, and Occlum's environment rule."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pyocclum.config import RuntimeConfig, RuntimeMount, merge_env, parse_config
from pyocclum.config.runtime import FORMAT
from pyocclum.errors import ConfigError

CUSTOM = """
{
    "resource_limits": {"user_space_size": "64MB", "max_num_of_processes": 9,
                        "max_open_files": 77},
    "process": {"default_heap_size": "8MB", "default_stack_size": "1MB"},
    "entry_points": ["/bin", "/usr/local/bin"],
    "env": {"default": ["OCCLUM=yes", "PATH=/bin:/usr/bin", "EMPTY="],
            "untrusted": ["PATH", "LANG"]},
    "mount": [
        {"target": "/", "type": "unionfs", "options": {"layers": [
            {"target": "/", "type": "sefs", "source": "./build/mount/__ROOT",
             "options": {"MAC": ""}},
            {"target": "/", "type": "sefs", "source": "./run/mount/__ROOT"}]}},
        {"target": "/host", "type": "hostfs", "source": "./host"},
        {"target": "/scratch", "type": "sefs", "options": {"temporary": true}},
        {"target": "/tmp", "type": "ramfs"}
    ]
}
"""
SHA = hashlib.sha256(CUSTOM.encode()).hexdigest()


def custom() -> RuntimeConfig:
    return RuntimeConfig.from_config(parse_config(CUSTOM), SHA)


def test_from_config_resolves_the_settings() -> None:
    rc = custom()
    assert rc.config_sha256 == SHA
    assert rc.max_processes == 9
    assert rc.max_open_files == 77
    assert rc.process_memory == 9 << 20  # heap + stack
    assert rc.entry_points == ("/bin", "/usr/local/bin")
    assert rc.env_default == (("OCCLUM", "yes"), ("PATH", "/bin:/usr/bin"), ("EMPTY", ""))
    assert rc.env_untrusted == ("PATH", "LANG")
    assert [m.target for m in rc.mounts] == ["/", "/host", "/scratch", "/tmp", "/dev", "/proc"]
    root = rc.root_mount()
    assert root.type == "unionfs"
    assert [(layer.source, layer.image_layer) for layer in root.layers] == [
        ("./build/mount/__ROOT", True),
        ("./run/mount/__ROOT", False),
    ]
    scratch = rc.mounts[2]
    assert scratch == RuntimeMount(target="/scratch", type="sefs", temporary=True)


@pytest.mark.parametrize("text", ["{}", CUSTOM], ids=["defaults", "custom"])
def test_json_round_trip(text: str) -> None:
    rc = RuntimeConfig.from_config(parse_config(text), hashlib.sha256(text.encode()).hexdigest())
    out = rc.to_json()
    back = RuntimeConfig.from_json(out, "build/config.json")
    assert back == rc
    assert back.to_json() == out
    assert json.loads(out)["format"] == FORMAT


def _good() -> dict[str, Any]:
    d = json.loads(custom().to_json())
    assert isinstance(d, dict)
    return d


def _without(key: str) -> str:
    d = _good()
    del d[key]
    return json.dumps(d)


def _with(key: str, value: Any) -> str:
    d = _good()
    d[key] = value
    return json.dumps(d)


DAMAGED = {
    "not json": "this is not json",
    "truncated": custom().to_json()[:-10],
    "empty": "",
    "a list": "[]",
    "null": "null",
    "a number": "3",
    "no format": _without("format"),
    "format older": _with("format", FORMAT - 1),
    "format as text": _with("format", "1"),
    "missing limits": _without("max_processes"),
    "missing mounts": _without("mounts"),
    "missing sha": _without("config_sha256"),
    "limit not a number": _with("max_processes", "many"),
    "limit null": _with("max_open_files", None),
    "entry points null": _with("entry_points", None),
    "env pair of three": _with("env_default", [["A", "1", "x"]]),
    "env pair a number": _with("env_default", [5]),
    "mount a string": _with("mounts", ["/"]),
    "mount without target": _with("mounts", [{"type": "ramfs"}]),
    "mount layers not a list": _with("mounts", [{"target": "/", "type": "x", "layers": 3}]),
}


@pytest.mark.parametrize("text", list(DAMAGED.values()), ids=list(DAMAGED))
def test_damaged_text_names_the_source(text: str) -> None:
    with pytest.raises(ConfigError) as e:
        RuntimeConfig.from_json(text, "build/runtime-config.json")
    assert str(e.value).startswith("build/runtime-config.json: ")
    assert e.value.__cause__ is None  # no raw traceback chained under it


def test_other_version_says_so() -> None:
    with pytest.raises(ConfigError, match="another PyOcclum version"):
        RuntimeConfig.from_json(_with("format", 99), "cfg")


def test_deeply_nested_text_is_a_config_error() -> None:
    with pytest.raises(ConfigError):
        RuntimeConfig.from_json("[" * 100_000, "build/runtime-config.json")


@given(st.text(max_size=200))
def test_arbitrary_text_is_a_config_error(text: str) -> None:
    with pytest.raises(ConfigError, match=r"^src: "):
        RuntimeConfig.from_json(text, "src")


# -- merge_env: Occlum's rule ----------------------------------------------------------


def test_merge_env_example() -> None:
    default = [("OCCLUM", "yes"), ("PATH", "/bin"), ("HOME", "/root")]
    untrusted = ["PATH", "LANG", "TZ"]
    host = {"HOME": "/home/eve", "PATH": "/usr/bin", "SECRET": "x", "LANG": "C"}
    assert merge_env(default, untrusted, host) == [
        ("OCCLUM", "yes"),
        ("HOME", "/root"),  # HOME is not untrusted: the host cannot change it
        ("PATH", "/usr/bin"),  # untrusted and present: the host value wins
        ("LANG", "C"),
    ]


def test_merge_env_nothing_from_the_host() -> None:
    default = [("OCCLUM", "yes")]
    assert merge_env(default, [], {"PATH": "/bin", "OCCLUM": "no"}) == default
    assert merge_env(default, ["X"], {}) == default
    assert merge_env([], [], {"A": "1"}) == []


def test_runtime_config_uses_merge_env() -> None:
    rc = custom()
    host = {"PATH": "/evil", "LANG": "C.UTF-8", "LD_PRELOAD": "x.so", "OCCLUM": "no"}
    assert rc.env_for_first_process(host) == [
        ("OCCLUM", "yes"), ("EMPTY", ""), ("PATH", "/evil"), ("LANG", "C.UTF-8"),
    ]
    # The full model applies the same rule.
    assert parse_config(CUSTOM).env_for_first_process(host) == rc.env_for_first_process(host)


names = st.text(alphabet="ABCDEFGHIJ_", min_size=1, max_size=3)
values = st.text(max_size=5)


@given(
    st.dictionaries(names, values, max_size=6),
    st.lists(names, max_size=6),
    st.dictionaries(names, values, max_size=8),
)
def test_merge_env_property(
    default_map: dict[str, str], untrusted: list[str], host: dict[str, str]
) -> None:
    default = list(default_map.items())
    result = merge_env(default, untrusted, host)
    passed = [(n, v) for n, v in host.items() if n in untrusted]
    # Every host variable named in untrusted passes with the host's value, in host order,
    # after the defaults.
    assert result[len(result) - len(passed):] == passed
    # Defaults keep their order; only those a passed variable overrides are dropped.
    kept = result[: len(result) - len(passed)]
    assert kept == [(n, v) for n, v in default if not (n in host and n in untrusted)]
    # Unlisted host variables never pass (their names may only come from the defaults).
    for name, value in result:
        if name not in untrusted:
            assert (name, value) in default
    # Each name appears once.
    assert len({n for n, _ in result}) == len(result)


LAX = {
    "entry points a string": _with("entry_points", "/bin"),
    "env pair a string": _with("env_default", ["AB"]),
    "limit a float": _with("max_processes", 1.5),
    "limit a bool": _with("max_open_files", True),
}


@pytest.mark.parametrize("text", list(LAX.values()), ids=list(LAX))
def test_wrong_types_are_config_errors(text: str) -> None:
    with pytest.raises(ConfigError):
        RuntimeConfig.from_json(text, "build/runtime.json")
