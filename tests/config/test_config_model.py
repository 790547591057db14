"""Occlum.json model: defaults, Occlum compatibility, every error message, behaviour."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pydantic
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pyocclum.config import (
    ConfigFileError,
    MountOptions,
    MountSpec,
    OcclumConfig,
    ResourceLimits,
    default_config,
    format_key_path,
    load_config,
    parse_config,
)
from pyocclum.errors import ConfigError

MB = 1024**2

# Occlum 0.31's own template, key for key (EDMM knobs, feature, /proc and /dev listed).
OCCLUM_031_TEMPLATE = """
{
    "resource_limits": {
        "kernel_space_heap_size": "1MB",
        "kernel_space_heap_max_size": "40MB",
        "kernel_space_stack_size": "1MB",
        "user_space_size": "1MB",
        "user_space_max_size": "600MB",
        "init_num_of_threads": 2,
        "max_num_of_threads": 32
    },
    "process": {
        "default_stack_size": "256KB",
        "default_heap_size": "512KB",
        "default_mmap_size": "100MB"
    },
    "entry_points": ["/bin"],
    "env": {"default": ["OCCLUM=yes"], "untrusted": ["EXAMPLE"]},
    "metadata": {
        "product_id": 0,
        "version_number": 0,
        "debuggable": true,
        "enable_kss": false,
        "family_id": {"high": "0x0", "low": "0x0"},
        "ext_prod_id": {"high": "0x0", "low": "0x0"}
    },
    "feature": {
        "amx": 0,
        "pkru": 0,
        "io_uring": 0,
        "enable_edmm": false,
        "enable_posix_shm": false
    },
    "mount": [
        {
            "target": "/",
            "type": "unionfs",
            "options": {
                "layers": [
                    {"target": "/", "type": "sefs", "source": "./build/mount/__ROOT",
                     "options": {"MAC": ""}},
                    {"target": "/", "type": "sefs", "source": "./run/mount/__ROOT"}
                ]
            }
        },
        {"target": "/host", "type": "hostfs", "source": "."},
        {"target": "/proc", "type": "procfs"},
        {"target": "/dev", "type": "devfs"},
        {"target": "/tmp", "type": "sefs", "source": "./run/mount/tmp",
         "options": {"temporary": true, "cache_size": "192KB"}}
    ]
}
"""


def error_of(data: Any, source: str = "Occlum.json") -> str:
    """The message parse_config gives for ``data`` (a dict dumped to JSON, or raw text)."""
    text = data if isinstance(data, str) else json.dumps(data)
    with pytest.raises(ConfigFileError) as info:
        parse_config(text, source)
    message = str(info.value)
    assert "pydantic" not in message
    assert "Input should" not in message
    return message


def with_mounts(*extra: dict[str, Any]) -> dict[str, Any]:
    """A config whose mount list is the template's root plus ``extra``."""
    root = default_config().to_json_dict()["mount"][0]
    return {"mount": [root, *extra]}


# -- defaults and compatibility ---------------------------------------------


def test_empty_object_gives_template_defaults() -> None:
    config = parse_config("{}")
    limits = config.resource_limits
    assert limits.user_space_size == 300 * MB
    assert limits.kernel_space_heap_size == 32 * MB
    assert limits.kernel_space_stack_size == 1 * MB
    assert limits.max_num_of_threads == 32
    assert limits.max_num_of_processes == 256
    assert limits.max_open_files == 1024
    assert limits.user_space_max_size is None
    assert config.process.default_stack_size == 4 * MB
    assert config.process.default_heap_size == 32 * MB
    assert config.process.default_mmap_size == 100 * MB
    assert config.entry_points == ("/bin",)
    assert config.env.default == ("OCCLUM=yes", "HOME=/root", "PATH=/bin:/usr/bin")
    assert config.env.untrusted == ()
    assert config.metadata.debuggable is True
    assert config.metadata.enable_kss is False
    assert config.metadata.family_id.high == 0
    assert config.feature.enable_edmm is False
    assert [m.target for m in config.mount] == ["/", "/host", "/tmp"]
    assert config == OcclumConfig()


def test_occlum_031_template_is_accepted() -> None:
    config = parse_config(OCCLUM_031_TEMPLATE)
    assert config.resource_limits.user_space_max_size == 600 * MB
    assert config.resource_limits.init_num_of_threads == 2
    assert config.process.default_stack_size == 256 * 1024
    assert config.env.untrusted == ("EXAMPLE",)
    assert config.mount[4].options.temporary is True
    assert config.mount[4].options.cache_size == 192 * 1024
    layers = config.root_mount().options.layers
    assert layers is not None
    assert layers[0].is_image_layer()


def test_sizes_may_be_plain_byte_counts() -> None:
    config = parse_config('{"process": {"default_stack_size": 65536, "default_mmap_size": "0"}}')
    assert config.process.default_stack_size == 65536
    assert config.process.default_mmap_size == 0


def test_metadata_ids_are_hex_strings() -> None:
    config = parse_config(
        '{"metadata": {"enable_kss": true, "product_id": 65535, "version_number": 7,'
        ' "family_id": {"high": "0xFFFFFFFFFFFFFFFF", "low": "12"},'
        ' "ext_prod_id": {"high": "0x0", "low": "0XaB"}}}'
    )
    meta = config.metadata
    assert meta.family_id.high == 2**64 - 1
    assert meta.family_id.low == 0x12
    assert meta.ext_prod_id.low == 0xAB
    assert config.to_json_dict()["metadata"]["ext_prod_id"] == {"high": "0x0", "low": "0xab"}


def test_paths_are_normalized() -> None:
    config = parse_config(
        json.dumps({"entry_points": ["/bin/", "//usr/./local/bin"], **with_mounts()})
    )
    assert config.entry_points == ("/bin", "/usr/local/bin")
    config = parse_config(json.dumps(with_mounts({"target": "/data/", "type": "ramfs"})))
    assert config.mount[1].target == "/data"


def test_sefs_key_is_normalized() -> None:
    key = "C7-32-b3-ed-44-df-ec-7b-25-2d-9a-32-38-8d-58-1"
    config = parse_config(
        json.dumps(
            with_mounts({"target": "/s", "type": "sefs", "source": "./s", "options": {"key": key}})
        )
    )
    assert config.mount[1].options.key == "c7-32-b3-ed-44-df-ec-7b-25-2d-9a-32-38-8d-58-01"


def test_config_is_immutable() -> None:
    config = OcclumConfig()
    with pytest.raises(pydantic.ValidationError):
        config.entry_points = ("/x",)
    with pytest.raises(pydantic.ValidationError):
        config.resource_limits.max_open_files = 5


def test_python_construction_is_validated_too() -> None:
    with pytest.raises(pydantic.ValidationError):
        MountSpec(target="relative", type="ramfs")
    assert ResourceLimits(user_space_size="1GB").user_space_size == 1024 * MB  # type: ignore[arg-type]


# -- every kind of bad input ---------------------------------------------------


def test_unknown_key_at_top_level() -> None:
    assert error_of({"entry_point": ["/bin"]}) == (
        'Occlum.json: entry_point: unknown key (did you mean "entry_points"?)'
    )
    message = error_of({"zzz": 1})
    assert message.startswith("Occlum.json: zzz: unknown key (known keys here: resource_limits,")


def test_unknown_key_nested() -> None:
    assert error_of({"resource_limits": {"user_space_sizee": "1MB"}}) == (
        "Occlum.json: resource_limits.user_space_sizee: "
        'unknown key (did you mean "user_space_size"?)'
    )
    assert error_of({"metadata": {"family_id": {"hi": "0x0"}}}).startswith(
        "Occlum.json: metadata.family_id.hi: unknown key"
    )


def test_unknown_key_in_mount_options_and_layers() -> None:
    data = with_mounts({"target": "/s", "type": "sefs", "source": "./s", "options": {"mac": ""}})
    assert error_of(data) == 'Occlum.json: mount[1].options.mac: unknown key (did you mean "MAC"?)'
    data = default_config().to_json_dict()
    data["mount"][0]["options"]["layers"][1]["sourc"] = "x"
    assert error_of(data) == (
        'Occlum.json: mount[0].options.layers[1].sourc: unknown key (did you mean "source"?)'
    )


def test_odd_unknown_keys_are_quoted() -> None:
    assert error_of({"env": {"un trusted": []}}).startswith(
        'Occlum.json: env["un trusted"]: unknown key'
    )


def test_bad_size() -> None:
    assert error_of({"process": {"default_heap_size": "12XB"}}) == (
        'Occlum.json: process.default_heap_size: "12XB" is not a size (use e.g. "32MB")'
    )
    assert error_of({"resource_limits": {"user_space_size": "1.5GB"}}).startswith(
        'Occlum.json: resource_limits.user_space_size: "1.5GB" is not a size: use a whole number'
    )
    assert error_of({"resource_limits": {"user_space_size": "0MB"}}) == (
        'Occlum.json: resource_limits.user_space_size: must be at least 1B, not "0MB"'
    )
    assert error_of({"process": {"default_stack_size": True}}) == (
        'Occlum.json: process.default_stack_size: must be a size like "32MB", not true'
    )
    assert error_of({"process": {"default_stack_size": -4}}) == (
        'Occlum.json: process.default_stack_size: must be a size like "32MB", not -4'
    )
    assert error_of({"process": {"default_stack_size": 4.0}}) == (
        'Occlum.json: process.default_stack_size: must be a size like "32MB", not 4.0'
    )
    assert error_of({"resource_limits": {"kernel_space_heap_size": None}}) == (
        'Occlum.json: resource_limits.kernel_space_heap_size: must be a size like "32MB", not null'
    )


def test_bad_types() -> None:
    assert error_of({"resource_limits": {"max_num_of_threads": "32"}}) == (
        'Occlum.json: resource_limits.max_num_of_threads: must be an integer, not "32"'
    )
    assert error_of({"resource_limits": {"max_num_of_threads": 32.0}}) == (
        "Occlum.json: resource_limits.max_num_of_threads: must be an integer, not 32.0"
    )
    assert error_of({"resource_limits": {"max_num_of_threads": True}}) == (
        "Occlum.json: resource_limits.max_num_of_threads: must be an integer, not true"
    )
    assert error_of({"metadata": {"debuggable": "yes"}}) == (
        'Occlum.json: metadata.debuggable: must be true or false, not "yes"'
    )
    assert error_of({"entry_points": "/bin"}) == (
        'Occlum.json: entry_points: must be a list, not "/bin"'
    )
    assert error_of({"env": ["OCCLUM=yes"]}) == "Occlum.json: env: must be an object, not a list"
    assert error_of({"process": 5}) == "Occlum.json: process: must be an object, not 5"
    assert error_of({"feature": {"enable_edmm": 1}}) == (
        "Occlum.json: feature.enable_edmm: must be true or false, not 1"
    )
    assert error_of({"feature": {"amx": -1}}) == (
        "Occlum.json: feature.amx: must be between 0 and 4294967295, not -1"
    )
    assert error_of({"entry_points": [7]}) == (
        "Occlum.json: entry_points[0]: must be an absolute path string, not 7"
    )


def test_integer_ranges() -> None:
    assert error_of({"metadata": {"product_id": 65536}}) == (
        "Occlum.json: metadata.product_id: must be between 0 and 65535, not 65536"
    )
    assert error_of({"resource_limits": {"max_num_of_processes": 0}}) == (
        "Occlum.json: resource_limits.max_num_of_processes: must be between 1 and 4294967295, not 0"
    )
    assert error_of({"resource_limits": {"max_open_files": 3}}) == (
        "Occlum.json: resource_limits.max_open_files: must be between 4 and 4294967295, not 3"
    )


def test_edmm_maxima_are_checked() -> None:
    assert error_of(
        {"resource_limits": {"user_space_size": "300MB", "user_space_max_size": "200MB"}}
    ) == (
        "Occlum.json: resource_limits.user_space_max_size: "
        "must be at least user_space_size (300MB), not 200MB"
    )
    assert error_of({"resource_limits": {"kernel_space_heap_max_size": "1MB"}}) == (
        "Occlum.json: resource_limits.kernel_space_heap_max_size: "
        "must be at least kernel_space_heap_size (32MB), not 1MB"
    )
    assert error_of({"resource_limits": {"init_num_of_threads": 33}}) == (
        "Occlum.json: resource_limits.init_num_of_threads: "
        "must be at most max_num_of_threads (32), not 33"
    )


def test_heap_and_stack_must_fit_in_user_space() -> None:
    message = error_of({"resource_limits": {"user_space_size": "16MB"}})
    assert message.startswith(
        "Occlum.json: process.default_heap_size: default_heap_size (32MB) + "
        "default_stack_size (4MB) exceed resource_limits.user_space_size (16MB)"
    )


def test_entry_points() -> None:
    assert error_of({"entry_points": ["/bin", "bin"]}) == (
        'Occlum.json: entry_points[1]: must be an absolute path, not "bin"'
    )
    assert error_of({"entry_points": ["/bin/../etc"]}) == (
        'Occlum.json: entry_points[0]: must not contain "..": "/bin/../etc"'
    )
    assert error_of({"entry_points": ["/b\u0000in"]}).startswith(
        "Occlum.json: entry_points[0]: must not contain a NUL character"
    )
    assert error_of({"entry_points": []}).startswith(
        "Occlum.json: entry_points: must list at least one path prefix"
    )


def test_env_default_entries() -> None:
    assert error_of({"env": {"default": ["OCCLUM=yes", "NOEQUALS"]}}) == (
        'Occlum.json: env.default[1]: "NOEQUALS" is not of the form KEY=VALUE (it has no "=")'
    )
    assert error_of({"env": {"default": ["=value"]}}) == (
        'Occlum.json: env.default[0]: "=value" has an empty variable name'
    )
    assert error_of({"env": {"default": ["A=1", "B=2", "A=3"]}}) == (
        'Occlum.json: env.default[2]: "A" is already set by env.default[0]'
    )
    assert error_of({"env": {"default": [1]}}) == (
        'Occlum.json: env.default[0]: must be a "KEY=VALUE" string, not 1'
    )


def test_env_untrusted_entries() -> None:
    assert error_of({"env": {"untrusted": ["A=B"]}}) == (
        'Occlum.json: env.untrusted[0]: "A=B" is not a variable name (it contains "=")'
    )
    assert error_of({"env": {"untrusted": [""]}}) == (
        "Occlum.json: env.untrusted[0]: must be a variable name, not an empty string"
    )


def test_bad_json_names_line_and_column() -> None:
    text = '{\n  "process": {\n    "default_heap_size": "32MB"\n    "default_stack_size": "4MB"\n'
    assert error_of(text) == (
        "Occlum.json: invalid JSON at line 4, column 5: Expecting ',' delimiter"
    )
    assert error_of("").startswith("Occlum.json: invalid JSON at line 1, column 1:")
    assert error_of('{"a": 1,}').startswith("Occlum.json: invalid JSON at line 1, column 9:")
    assert error_of('{"a": NaN}') == "Occlum.json: invalid JSON: NaN is not a JSON number"
    assert error_of('{"a": -Infinity}') == (
        "Occlum.json: invalid JSON: -Infinity is not a JSON number"
    )


def test_top_level_must_be_an_object() -> None:
    assert error_of("[]") == "Occlum.json: must hold a JSON object ({...}), not a list"
    assert error_of("null") == "Occlum.json: must hold a JSON object ({...}), not null"


def test_duplicate_keys_are_errors() -> None:
    text = '{"process": {}, "env": {"default": [], "default": []}, "process": {}}'
    assert error_of(text) == (
        "Occlum.json: process: duplicate key (given more than once)\n"
        "Occlum.json: env.default: duplicate key (given more than once)"
    )


def test_deep_nesting_is_refused_without_crashing() -> None:
    assert error_of('{"x": ' + "[" * 100 + "]" * 100 + "}").endswith(
        "nested too deeply (more than 32 levels)"
    )
    assert error_of('{"x": ' + "[" * 100_000 + "]" * 100_000 + "}") == (
        "Occlum.json: invalid JSON: nested too deeply"
    )


def test_source_name_appears_in_messages() -> None:
    assert error_of({"bogus": 1}, source="inst/Occlum.json").startswith(
        "inst/Occlum.json: bogus: unknown key"
    )


def test_every_problem_is_listed_one_per_line() -> None:
    text = json.dumps(
        {
            "resource_limits": {"user_space_sizee": "1MB", "max_num_of_threads": "x"},
            "process": {"default_heap_size": "12XB"},
            "entry_points": ["bin"],
        }
    )
    with pytest.raises(ConfigFileError) as info:
        parse_config(text)
    assert info.value.source == "Occlum.json"
    assert [path for path, _ in info.value.problems] == [
        "resource_limits.max_num_of_threads",
        "resource_limits.user_space_sizee",
        "process.default_heap_size",
        "entry_points[0]",
    ]
    lines = str(info.value).splitlines()
    assert len(lines) == 4
    assert all(line.startswith("Occlum.json: ") for line in lines)


def test_problem_list_is_capped() -> None:
    data = {"resource_limits": {f"bad{i}": 1 for i in range(30)}}
    lines = error_of(data).splitlines()
    assert len(lines) == 21
    assert lines[-1] == "Occlum.json: ... and 10 more problems"


def test_config_file_error_is_a_config_error() -> None:
    with pytest.raises(ConfigError):
        parse_config("{")


# -- mounts ---------------------------------------------------------------------


def test_mount_target_must_be_absolute() -> None:
    assert error_of(
        with_mounts({"target": "/a", "type": "ramfs"}, {"target": "tmp", "type": "ramfs"})
    ) == ('Occlum.json: mount[2].target: must be an absolute path, not "tmp"')


def test_mount_type_must_be_known() -> None:
    assert error_of(with_mounts({"target": "/x", "type": "xfs"})) == (
        'Occlum.json: mount[1].type: "xfs" is not a file system type '
        "(use one of: sefs, hostfs, ramfs, unionfs, devfs, procfs, ext2)"
    )
    assert error_of(with_mounts({"target": "/x", "type": 1})).startswith(
        "Occlum.json: mount[1].type: must be a file system type (sefs, "
    )


def test_mount_required_keys() -> None:
    assert error_of(with_mounts({"type": "ramfs"})) == (
        "Occlum.json: mount[1].target: required key is missing"
    )
    assert error_of(with_mounts({"target": "/x"})) == (
        "Occlum.json: mount[1].type: required key is missing"
    )


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (
            {"target": "/h", "type": "hostfs"},
            "mount[1].source: a hostfs needs a source",
        ),
        (
            {"target": "/s", "type": "sefs"},
            "mount[1].source: a sefs needs a source",
        ),
        (
            {"target": "/u", "type": "unionfs"},
            "mount[1].options.layers: a unionfs needs a non-empty list of layers",
        ),
        (
            {"target": "/u", "type": "unionfs", "options": {"layers": []}},
            "mount[1].options.layers: a unionfs needs a non-empty list of layers",
        ),
        (
            {
                "target": "/u",
                "type": "unionfs",
                "source": "./u",
                "options": {"layers": [{"target": "/", "type": "ramfs"}]},
            },
            "mount[1].source: a unionfs takes no source (its layers have theirs)",
        ),
        (
            {
                "target": "/u",
                "type": "unionfs",
                "options": {
                    "layers": [
                        {"target": "/", "type": "ramfs"},
                        {
                            "target": "/",
                            "type": "unionfs",
                            "options": {"layers": [{"target": "/", "type": "ramfs"}]},
                        },
                    ]
                },
            },
            "mount[1].options.layers[1].type: a unionfs layer cannot itself be a unionfs",
        ),
        (
            {"target": "/r", "type": "ramfs", "options": {"layers": []}},
            "mount[1].options.layers: only a unionfs has layers, not a ramfs",
        ),
        (
            {"target": "/r", "type": "ramfs", "source": "./r"},
            "mount[1].source: a ramfs takes no source",
        ),
        (
            {"target": "/h", "type": "hostfs", "source": ""},
            'mount[1].source: must not be empty (use "." for the instance folder)',
        ),
        (
            {"target": "/h", "type": "hostfs", "source": ".", "options": {"MAC": ""}},
            "mount[1].options.MAC: only a sefs takes MAC, not a hostfs",
        ),
        (
            {"target": "/s", "type": "sefs", "source": "./s", "options": {"MAC": "zz"}},
            'mount[1].options.MAC: "zz" is not a 128-bit MAC',
        ),
        (
            {"target": "/s", "type": "sefs", "source": "./s", "options": {"key": "00-11"}},
            'mount[1].options.key: "00-11" is not a 128-bit key',
        ),
        (
            {
                "target": "/s",
                "type": "sefs",
                "source": "./s",
                "options": {"MAC": "", "key": "-".join(["00"] * 16)},
            },
            'mount[1].options.key: an image layer ("MAC") is not encrypted: it takes no key',
        ),
        (
            {
                "target": "/s",
                "type": "sefs",
                "source": "./s",
                "options": {"key": "-".join(["00"] * 16), "autokey_policy": 1},
            },
            "mount[1].options.autokey_policy: give key or autokey_policy, not both",
        ),
        (
            {"target": "/s", "type": "sefs", "source": "./s", "options": {"autokey_policy": 4}},
            "mount[1].options.autokey_policy: autokey_policy must include MRENCLAVE (0x1) or "
            "MRSIGNER (0x2), not 0x4",
        ),
        (
            {"target": "/s", "type": "sefs", "source": "./s", "options": {"cache_size": "128KB"}},
            'mount[1].options.cache_size: must be at least 192KB, not "128KB"',
        ),
        (
            {"target": "/s", "type": "sefs", "source": "./s", "options": {"temporary": "yes"}},
            'mount[1].options.temporary: must be true or false, not "yes"',
        ),
        (
            {"target": "/s", "type": "sefs", "source": "./s", "options": []},
            "mount[1].options: must be an object, not a list",
        ),
        (
            {"target": "/dev", "type": "hostfs", "source": "/dev"},
            "mount[1].type: /dev is always a devfs, not a hostfs",
        ),
        (
            {"target": "/proc", "type": "ramfs"},
            "mount[1].type: /proc is always a procfs, not a ramfs",
        ),
    ],
)
def test_mount_combinations(spec: dict[str, Any], message: str) -> None:
    assert error_of(with_mounts(spec)).startswith(f"Occlum.json: {message}")


def test_temporary_sefs_needs_no_source() -> None:
    config = parse_config(
        json.dumps(with_mounts({"target": "/t", "type": "sefs", "options": {"temporary": True}}))
    )
    assert config.mount[1].source is None


def test_duplicate_mount_targets() -> None:
    data = with_mounts({"target": "/tmp", "type": "ramfs"}, {"target": "/tmp/", "type": "ramfs"})
    assert error_of(data) == 'Occlum.json: mount[2].target: "/tmp" is already mounted by mount[1]'


def test_root_mount_rules() -> None:
    assert error_of({"mount": [{"target": "/tmp", "type": "ramfs"}]}).startswith(
        'Occlum.json: mount: has no root (target "/")'
    )
    assert error_of({"mount": []}).startswith('Occlum.json: mount: has no root (target "/")')
    assert error_of({"mount": [{"target": "/", "type": "ramfs"}]}) == (
        'Occlum.json: mount[0].type: the root "/" must be a unionfs over the image, not a ramfs'
    )
    two_writable = {
        "target": "/",
        "type": "unionfs",
        "options": {
            "layers": [
                {"target": "/", "type": "sefs", "source": "./a"},
                {"target": "/", "type": "sefs", "source": "./b"},
            ]
        },
    }
    assert error_of({"mount": [two_writable]}) == (
        "Occlum.json: mount[0].options.layers: the root unionfs needs exactly one image layer "
        '(a sefs with "MAC": ""), found 0'
    )


def test_effective_mounts_add_dev_and_proc_once() -> None:
    config = OcclumConfig()
    targets = [(m.target, m.type) for m in config.effective_mounts()]
    assert targets == [
        ("/", "unionfs"),
        ("/host", "hostfs"),
        ("/tmp", "ramfs"),
        ("/dev", "devfs"),
        ("/proc", "procfs"),
    ]
    listed = parse_config(OCCLUM_031_TEMPLATE)
    kinds = [m.type for m in listed.effective_mounts()]
    assert kinds.count("devfs") == 1
    assert kinds.count("procfs") == 1


# -- environment of the first process ----------------------------------------------


def test_env_for_first_process_follows_occlum() -> None:
    config = parse_config(
        json.dumps(
            {
                "env": {
                    "default": ["OCCLUM=yes", "PATH=/bin", "HOME=/root"],
                    "untrusted": ["PATH", "TERM", "LANG"],
                }
            }
        )
    )
    host = {"SECRET": "x", "TERM": "xterm", "PATH": "/usr/bin", "HOME": "/home/u"}
    assert config.env_for_first_process(host) == [
        ("OCCLUM", "yes"),
        ("HOME", "/root"),
        ("TERM", "xterm"),
        ("PATH", "/usr/bin"),
    ]
    assert config.env_for_first_process({}) == [
        ("OCCLUM", "yes"),
        ("PATH", "/bin"),
        ("HOME", "/root"),
    ]


def test_env_values_may_contain_equals_signs() -> None:
    config = parse_config('{"env": {"default": ["OPTS=a=b=c", "EMPTY="]}}')
    assert config.env_for_first_process({}) == [("OPTS", "a=b=c"), ("EMPTY", "")]


def test_default_untrusted_list_passes_nothing() -> None:
    assert OcclumConfig().env_for_first_process({"OCCLUM": "no", "PATH": "/x"}) == [
        ("OCCLUM", "yes"), ("HOME", "/root"), ("PATH", "/bin:/usr/bin")
    ]


# -- measurement and round trip ----------------------------------------------


def test_measured_dict_is_canonical_plain_data() -> None:
    config = OcclumConfig()
    measured = config.measured_dict()
    assert json.loads(json.dumps(measured)) == measured

    def check_sorted(value: Any) -> None:
        if isinstance(value, dict):
            assert list(value) == sorted(value)
            for item in value.values():
                check_sorted(item)
        elif isinstance(value, list):
            for item in value:
                check_sorted(item)
        else:
            assert value is None or isinstance(value, bool | int | str)

    check_sorted(measured)
    assert sorted(measured) == [
        "entry_points",
        "env",
        "metadata",
        "mount",
        "process",
        "resource_limits",
    ]
    assert measured["resource_limits"]["user_space_size"] == 300 * MB
    assert "default_mmap_size" not in measured["process"]
    assert [m["target"] for m in measured["mount"]] == ["/", "/host", "/tmp", "/dev", "/proc"]
    assert config.measured_bytes() == OcclumConfig().measured_bytes()


def test_measurement_tracks_what_matters() -> None:
    base = OcclumConfig().measured_bytes()
    changed_limit = parse_config('{"resource_limits": {"max_open_files": 64}}')
    assert changed_limit.measured_bytes() != base
    changed_debug = parse_config('{"metadata": {"debuggable": false}}')
    assert changed_debug.measured_bytes() != base
    changed_untrusted = parse_config('{"env": {"untrusted": ["PATH"]}}')
    assert changed_untrusted.measured_bytes() != base
    ignored = parse_config(
        '{"feature": {"pkru": 1}, "process": {"default_mmap_size": "1MB"},'
        ' "resource_limits": {"kernel_space_heap_size": "32768KB"}}'
    )
    assert ignored.measured_bytes() == base
    explicit = default_config().to_json_dict()
    explicit["env"]["untrusted"] = []
    explicit["mount"] += [
        {"target": "/dev", "type": "devfs"},
        {"target": "/proc", "type": "procfs"},
    ]
    assert parse_config(json.dumps(explicit)).measured_bytes() == base


def test_untrusted_order_does_not_change_measurement() -> None:
    one = parse_config('{"env": {"untrusted": ["A", "B", "A"]}}')
    two = parse_config('{"env": {"untrusted": ["B", "A"]}}')
    assert one.measured_bytes() == two.measured_bytes()


_sizes = st.integers(min_value=1, max_value=2**40).map(lambda n: n * 4096)


@settings(max_examples=50, deadline=None)
@given(
    user=_sizes,
    heap=st.integers(min_value=1, max_value=2**20),
    stack=st.integers(min_value=1, max_value=2**20),
    threads=st.integers(min_value=1, max_value=10_000),
    files=st.integers(min_value=4, max_value=1 << 20),
    env=st.lists(
        st.tuples(
            st.text("ABCXYZ_", min_size=1, max_size=5),
            st.text(st.characters(blacklist_characters="\0"), max_size=8),
        ),
        max_size=5,
        unique_by=lambda pair: pair[0],
    ),
)
def test_to_json_round_trips(
    user: int, heap: int, stack: int, threads: int, files: int, env: list[tuple[str, str]]
) -> None:
    data = {
        "resource_limits": {
            "user_space_size": user + heap + stack,
            "max_num_of_threads": threads,
            "max_open_files": files,
        },
        "process": {"default_heap_size": heap, "default_stack_size": stack},
        "env": {"default": [f"{k}={v}" for k, v in env], "untrusted": [k for k, _ in env]},
    }
    config = parse_config(json.dumps(data))
    again = parse_config(config.to_json())
    assert again == config
    assert again.measured_bytes() == config.measured_bytes()


_json_scalars = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=6)
)
_json_values = st.recursive(
    _json_scalars,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(
                ["type", "target", "source", "options", "layers", "MAC", "default", "x"]
            ),
            inner,
            max_size=3,
        )
    ),
    max_leaves=10,
)
_sections = st.fixed_dictionaries(
    {},
    optional={
        "resource_limits": _json_values,
        "process": _json_values,
        "entry_points": _json_values,
        "env": _json_values,
        "metadata": _json_values,
        "feature": _json_values,
        "mount": st.lists(_json_values, max_size=3),
    },
)


@settings(max_examples=200, deadline=None)
@given(_sections)
def test_arbitrary_json_gives_a_clean_error_or_a_config(data: dict[str, Any]) -> None:
    try:
        parse_config(json.dumps(data))
    except ConfigFileError as exc:
        message = str(exc)
        assert message
        assert "pydantic" not in message
        assert "Input should" not in message
        assert all(line.startswith("Occlum.json: ") for line in message.splitlines())


# -- loading from disk ---------------------------------------------------------


def test_load_config_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "Occlum.json"
    path.write_text('{"process": {"default_heap_size": "12XB"}}')
    with pytest.raises(ConfigFileError) as info:
        load_config(path)
    assert str(info.value) == (
        f'{path}: process.default_heap_size: "12XB" is not a size (use e.g. "32MB")'
    )


def test_load_config_reads_a_valid_file_with_bom(tmp_path: Path) -> None:
    path = tmp_path / "Occlum.json"
    path.write_bytes(b"\xef\xbb\xbf" + default_config().to_json().encode())
    assert load_config(path) == default_config()


def test_load_config_file_problems(tmp_path: Path) -> None:
    missing = tmp_path / "nope.json"
    with pytest.raises(ConfigFileError, match="no such file"):
        load_config(missing)
    with pytest.raises(ConfigFileError, match="is a directory"):
        load_config(tmp_path)
    binary = tmp_path / "bin.json"
    binary.write_bytes(b'{"a": "\xff"}')
    with pytest.raises(ConfigFileError, match=r"is not UTF-8 text \(bad byte at offset 7\)"):
        load_config(binary)


# -- helpers ------------------------------------------------------------------------


def test_format_key_path() -> None:
    assert format_key_path(()) == ""
    assert format_key_path(("mount", 2, "options", "MAC")) == "mount[2].options.MAC"
    assert format_key_path(("a b", 0)) == '["a b"][0]'


def test_mount_options_alias_in_python() -> None:
    options = MountOptions(MAC="")
    assert options.mac == ""
    assert MountSpec(target="/", type="sefs", source="x", options=options).is_image_layer()
