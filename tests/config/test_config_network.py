"""The ``network`` key of Occlum.json (a PyOcclum addition): endpoints, errors, measurement."""

from __future__ import annotations

import json

import pytest

from pyocclum.config import ConfigFileError, parse_config
from pyocclum.config.network import parse_endpoint
from pyocclum.config.runtime import RuntimeConfig


def with_network(network: object) -> str:
    return json.dumps({"network": network})


def test_left_out_means_unrestricted_and_measures_as_before() -> None:
    plain = parse_config("{}")
    assert plain.network is None
    assert "network" not in plain.measured_dict()
    assert "network" not in plain.to_json_dict()
    runtime = RuntimeConfig.from_config(plain, "0" * 64)
    assert (runtime.network_bind, runtime.network_connect) == (None, None)
    assert "network" not in runtime.to_json()


def test_entries_are_kept_and_travel_to_the_built_config() -> None:
    cfg = parse_config(with_network({"bind": ["127.0.0.1:8080", "[::1]:8000-8100"],
                                     "connect": []}))
    assert cfg.network is not None
    assert cfg.network.bind == ("127.0.0.1:8080", "[::1]:8000-8100")
    assert cfg.network.connect == ()
    assert cfg.measured_dict()["network"] == {"bind": ["127.0.0.1:8080", "[::1]:8000-8100"],
                                              "connect": []}
    assert parse_config(json.dumps(cfg.to_json_dict())) == cfg
    runtime = RuntimeConfig.from_config(cfg, "0" * 64)
    back = RuntimeConfig.from_json(runtime.to_json(), "built")
    assert back == runtime
    assert (back.network_bind, back.network_connect) == (cfg.network.bind, ())
    # The policy is part of what is measured: changing it changes the built config.
    other = RuntimeConfig.from_config(parse_config(with_network({"connect": []})), "0" * 64)
    assert other.to_json() != runtime.to_json()


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        (["*:80", "10.0.0.0/8:*", "localhost:80"],
         'network.bind[2]: "localhost:80": "localhost" is not an IPv4 address or network'),
        (["127.0.0.1"], 'network.bind[0]: "127.0.0.1" is not "HOST:PORT"'),
        (["::1:80"], 'network.bind[0]: "::1:80": an IPv6 address goes in brackets'),
        (["1.2.3.4:70000"], 'network.bind[0]: "1.2.3.4:70000": port 70000 is above 65535'),
        (["1.2.3.4:90-80"], 'network.bind[0]: "1.2.3.4:90-80": port range 90-80 is empty'),
        (["1.2.3.4:http"], 'network.bind[0]: "1.2.3.4:http": port "http" is not a number'),
        ([80], "network.bind[0]: must be an endpoint string"),
    ],
)
def test_a_bad_entry_is_refused_naming_its_key_path(entries: list[object], message: str) -> None:
    with pytest.raises(ConfigFileError) as e:
        parse_config(with_network({"bind": entries}))
    assert f"Occlum.json: {message}" in str(e.value)


def test_unknown_network_keys_are_refused() -> None:
    with pytest.raises(ConfigFileError) as e:
        parse_config(with_network({"connects": []}))
    assert "Occlum.json: network.connects: unknown key" in str(e.value)


def test_endpoint_matching() -> None:
    e = parse_endpoint("10.0.0.0/8:8000-8100")
    assert e.matches("10.1.2.3", 8000)
    assert e.matches("::ffff:10.1.2.3", 8100)  # an IPv4-mapped address on an IPv6 socket
    assert not e.matches("10.1.2.3", 8101)
    assert not e.matches("11.0.0.1", 8050)
    assert not e.matches("::1", 8050)
    any_ = parse_endpoint("*:*")
    assert any_.matches("::", 0)
    assert any_.matches("192.168.1.1", 65535)
    v6 = parse_endpoint("[fd00::/8]:443")
    assert v6.matches("fd12::1", 443)
    assert not v6.matches("fe80::1", 443)
    assert not v6.matches("10.0.0.1", 443)
