"""The init_ra key of Occlum.json: what is accepted, each bad key named, what is measured."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pyocclum.config.model import ConfigFileError, parse_config
from pyocclum.config.runtime import FORMAT, FORMAT_INIT_RA, RuntimeConfig
from pyocclum.errors import ConfigError

PIN = "AB" * 32
GOOD: dict[str, Any] = {
    "kbs": "https://kbs.example:8443/prefix",
    "kbs_cert_sha256": PIN,
    "root_key": "fs-root-key",
    "env": {"API_KEY": "api-key", "DB_URL": "db.url"},
    "files": ["db-password", "tls_key.pem"],
    "timeout": 2.5,
}


def _config(init_ra: Any, **more: Any) -> str:
    return json.dumps({"init_ra": init_ra, **more})


def _problems(text: str) -> list[str]:
    with pytest.raises(ConfigFileError) as e:
        parse_config(text)
    return str(e.value).splitlines()


def test_a_full_init_ra_is_read_normalized_and_written_back() -> None:
    config = parse_config(_config(GOOD))
    init_ra = config.init_ra
    assert init_ra is not None
    assert init_ra.kbs_cert_sha256 == PIN.lower()
    assert init_ra.env == (("API_KEY", "api-key"), ("DB_URL", "db.url"))
    assert init_ra.timeout == 2.5
    assert init_ra.secret_names() == ("fs-root-key", "api-key", "db.url", "db-password",
                                      "tls_key.pem")
    assert parse_config(config.to_json()) == config


def test_only_kbs_and_its_pin_are_required() -> None:
    config = parse_config(_config({"kbs": "https://127.0.0.1", "kbs_cert_sha256": PIN}))
    assert config.init_ra is not None
    assert (config.init_ra.root_key, config.init_ra.env, config.init_ra.files,
            config.init_ra.timeout) == (None, (), (), 10.0)
    assert config.init_ra.secret_names() == ()


def test_a_secret_used_twice_is_fetched_once() -> None:
    config = parse_config(_config({**GOOD, "env": {"A": "db-password"}}))
    assert config.init_ra is not None
    assert config.init_ra.secret_names() == ("fs-root-key", "db-password", "tls_key.pem")


BAD: dict[str, tuple[dict[str, Any], str]] = {
    "http": ({"kbs": "http://kbs:80"},
             'init_ra.kbs: "http://kbs:80" is not an https URL (the KBS is reached over TLS only)'),
    "no host": ({"kbs": "https://:8443"}, 'init_ra.kbs: "https://:8443" names no host'),
    "user": ({"kbs": "https://me:pw@kbs"},
             'init_ra.kbs: "https://me:pw@kbs" must not carry a user name or password'),
    "query": ({"kbs": "https://kbs/?a=1"},
              'init_ra.kbs: "https://kbs/?a=1" must not have a query or fragment'),
    "port": ({"kbs": "https://kbs:70000"}, 'init_ra.kbs: "https://kbs:70000" has a bad port'),
    "blank": ({"kbs": "https://kbs /x"},
              'init_ra.kbs: "https://kbs /x" is not a URL (too long, or blanks/control '
              "characters)"),
    "kbs number": ({"kbs": 8443},
                   'init_ra.kbs: must be an https URL like "https://127.0.0.1:8443", not 8443'),
    "short pin": ({"kbs_cert_sha256": "ab" * 31},
                  "init_ra.kbs_cert_sha256: must be 64 hex digits (the SHA-256 of the KBS's "
                  "certificate, as `occlum kbs cert-fingerprint` prints it), not "
                  '"ababababababababababababababababababababababababababababa..."'),
    "pin not hex": ({"kbs_cert_sha256": "zz" * 32}, "init_ra.kbs_cert_sha256: must be 64 hex"),
    "root key path": ({"root_key": "../key"},
                      'init_ra.root_key: "../key" is not a secret name (1 to 128 of '
                      "A-Z a-z 0-9 . _ -, starting with a letter or digit)"),
    "root key dot": ({"root_key": ".hidden"}, 'init_ra.root_key: ".hidden" is not a secret'),
    "root key long": ({"root_key": "k" * 129}, "init_ra.root_key: "),
    "env list": ({"env": ["API_KEY"]},
                 "init_ra.env: must be an object mapping variable names to secret names, "
                 "not a list"),
    "env var name": ({"env": {"API-KEY": "api-key"}},
                     'init_ra.env["API-KEY"]: "API-KEY" is not an environment variable name'),
    "env digit": ({"env": {"1X": "api-key"}}, 'init_ra.env["1X"]: "1X" is not an environment'),
    "env secret": ({"env": {"API_KEY": "a/b"}},
                   'init_ra.env.API_KEY: "a/b" is not a secret name'),
    "env secret type": ({"env": {"API_KEY": 1}}, "init_ra.env.API_KEY: must be a secret name, "
                        "not 1"),
    "files object": ({"files": {"a": "b"}},
                     "init_ra.files: must be a list of secret names, not an object"),
    "files name": ({"files": ["ok", "no/slash"]},
                   'init_ra.files[1]: "no/slash" is not a secret name'),
    "files dup": ({"files": ["a", "b", "a"]}, 'init_ra.files[2]: "a" is listed twice'),
    "timeout zero": ({"timeout": 0},
                     "init_ra.timeout: must be more than 0 and at most 300 seconds, not 0"),
    "timeout big": ({"timeout": 301}, "init_ra.timeout: must be more than 0 and at most 300"),
    "timeout text": ({"timeout": "10"},
                     'init_ra.timeout: must be a number of seconds, not "10"'),
    "timeout bool": ({"timeout": True}, "init_ra.timeout: must be a number of seconds, not true"),
    "unknown": ({"kbs_cert": PIN}, 'init_ra.kbs_cert: unknown key (did you mean'),
    "too many": ({"files": [f"s{i}" for i in range(64)]},
                 "init_ra: asks for 67 secrets; at most 64 are allowed"),
}


@pytest.mark.parametrize("case", BAD, ids=list(BAD))
def test_each_bad_key_is_named(case: str) -> None:
    change, expected = BAD[case]
    problems = _problems(_config({**GOOD, **change}))
    assert len(problems) == 1
    assert problems[0].startswith(f"Occlum.json: {expected}")


def test_missing_keys_and_a_wrong_type() -> None:
    assert _problems(_config({})) == [
        "Occlum.json: init_ra.kbs: required key is missing",
        "Occlum.json: init_ra.kbs_cert_sha256: required key is missing",
    ]
    assert _problems(_config("https://kbs")) == [
        'Occlum.json: init_ra: must be an object, not "https://kbs"'
    ]


def _root(upper_options: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"target": "/", "type": "unionfs", "options": {"layers": [
        {"target": "/", "type": "sefs", "source": "./build/mount/__ROOT",
         "options": {"MAC": ""}},
        {"target": "/", "type": "sefs", "source": "./run/mount/__ROOT",
         "options": upper_options},
    ]}}]


@pytest.mark.parametrize(("options", "expected"), [
    ({"key": "00-11-22-33-44-55-66-77-88-99-aa-bb-cc-dd-ee-ff"},
     "mount[0].options.layers[1].options.key: init_ra.root_key keys the root's writable "
     "layer: remove its key"),
    ({"autokey_policy": 1},
     "mount[0].options.layers[1].options.autokey_policy: init_ra.root_key keys the root's "
     "writable layer: remove its autokey_policy"),
    ({"temporary": True},
     "init_ra.root_key: the root (mount[0]) has no writable, non-temporary sefs layer for "
     "this key to protect"),
])
def test_root_key_must_be_the_only_key_of_the_root(options: dict[str, Any],
                                                   expected: str) -> None:
    assert _problems(_config(GOOD, mount=_root(options))) == [f"Occlum.json: {expected}"]
    # Without root_key, the same mounts are fine.
    without = {k: v for k, v in GOOD.items() if k != "root_key"}
    assert parse_config(_config(without, mount=_root(options))).init_ra is not None


def test_files_need_run_secrets_free() -> None:
    mounts = [*_root({}), {"target": "/run/secrets/x", "type": "ramfs"}]
    assert _problems(_config(GOOD, mount=mounts)) == [
        "Occlum.json: mount[1].target: /run/secrets/x is where init_ra.files appear: "
        "mount elsewhere"
    ]
    without = {k: v for k, v in GOOD.items() if k != "files"}
    assert parse_config(_config(without, mount=mounts)).init_ra is not None


def test_measured_only_when_present() -> None:
    plain = parse_config("{}")
    assert "init_ra" not in plain.measured_dict()
    assert "init_ra" not in plain.to_json_dict()
    runtime = RuntimeConfig.from_config(plain, "x").to_json()
    assert "init_ra" not in json.loads(runtime)
    assert json.loads(runtime)["format"] == FORMAT  # an existing build's bytes: unchanged
    with_ra = parse_config(_config(GOOD))
    assert with_ra.measured_dict()["init_ra"] == {
        "env": {"API_KEY": "api-key", "DB_URL": "db.url"},
        "files": ["db-password", "tls_key.pem"],
        "kbs": GOOD["kbs"],
        "kbs_cert_sha256": PIN.lower(),
        "root_key": "fs-root-key",
        "timeout": 2.5,
    }


def test_another_pin_is_another_enclave() -> None:
    one = parse_config(_config(GOOD))
    two = parse_config(_config({**GOOD, "kbs_cert_sha256": "cd" * 32}))
    assert one.measured_bytes() != two.measured_bytes()
    assert RuntimeConfig.from_config(one, "x").to_json() != \
        RuntimeConfig.from_config(two, "x").to_json()


def test_runtime_config_carries_init_ra() -> None:
    runtime = RuntimeConfig.from_config(parse_config(_config(GOOD)), "x")
    text = runtime.to_json()
    assert json.loads(text)["format"] == FORMAT_INIT_RA != FORMAT
    again = RuntimeConfig.from_json(text, "build/runtime.json")
    assert again == runtime
    assert again.init_ra is not None
    assert again.init_ra.secret_names() == ("fs-root-key", "api-key", "db.url", "db-password",
                                            "tls_key.pem")


def test_runtime_format_and_init_ra_must_agree() -> None:
    """A reader that knows only format 4 refuses an init_ra build ("another PyOcclum
    version": rebuild) instead of booting it without the attestation."""
    with_ra = json.loads(RuntimeConfig.from_config(parse_config(_config(GOOD)), "x").to_json())
    plain = json.loads(RuntimeConfig.from_config(parse_config("{}"), "x").to_json())
    for doc in ({**with_ra, "format": FORMAT}, {**plain, "format": FORMAT_INIT_RA}):
        with pytest.raises(ConfigError, match=r"^cfg: damaged \(format \d and init_ra disagree\)$"):
            RuntimeConfig.from_json(json.dumps(doc), "cfg")
    with pytest.raises(ConfigError, match="written by another PyOcclum version"):
        RuntimeConfig.from_json(json.dumps({**with_ra, "format": 6}), "cfg")
    damaged = {**with_ra, "init_ra": {**with_ra["init_ra"], "timeout": "10"}}
    with pytest.raises(ConfigError, match=r"^cfg: damaged \(TypeError"):
        RuntimeConfig.from_json(json.dumps(damaged), "cfg")
