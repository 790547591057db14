"""The network policy from Occlum.json reaches the kernel a boot makes."""

from __future__ import annotations

import json
import logging
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import wasmtime

from pyocclum.boot import Instance
from pyocclum.config.template import new_instance

EXIT0 = bytes(wasmtime.wat2wasm("""
(module (memory (export "memory") 1) (func (export "_start")))
"""))


def test_the_policy_of_the_config_is_the_kernels(tmp_path: Path) -> None:
    folder = tmp_path / "inst"
    new_instance(folder)
    (folder / "image" / "bin" / "nop").write_bytes(EXIT0)
    (folder / "image" / "bin" / "nop").chmod(0o755)
    inst = Instance(folder)
    inst.build()
    plain = inst.identity().mrenclave
    assert inst.run(["/bin/nop"], capture=True).exit_code == 0
    assert inst._kernel is not None
    assert inst._kernel.network.unrestricted

    config = json.loads((folder / "Occlum.json").read_text())
    config["network"] = {"bind": ["127.0.0.1:8000-8100"], "connect": []}
    (folder / "Occlum.json").write_text(json.dumps(config))
    inst.build()
    assert inst.identity().mrenclave != plain  # the policy is measured
    assert inst.run(["/bin/nop"], capture=True).exit_code == 0
    policy = inst._kernel.network
    assert policy.allows("bind", "127.0.0.1", 8080)
    assert not policy.allows("bind", "0.0.0.0", 8080)
    assert not policy.allows("connect", "127.0.0.1", 80)


POLICY_PROBE = r"""
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static const char *res(int r) { return r == 0 ? "ok" : errno == EACCES ? "EACCES" : "other"; }

int main(int argc, char **argv) {
    int port = atoi(argv[1]);
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int c = socket(AF_INET, SOCK_STREAM, 0);
    printf("connect allowed port: %s\n", res(connect(c, (struct sockaddr *)&to, sizeof to)));
    int d = socket(AF_INET, SOCK_STREAM, 0);
    to.sin_port = htons(port + 1);
    printf("connect other port: %s\n", res(connect(d, (struct sockaddr *)&to, sizeof to)));
    struct sockaddr_in any = {.sin_family = AF_INET};
    int b = socket(AF_INET, SOCK_STREAM, 0);
    printf("bind 0.0.0.0:0: %s\n", res(bind(b, (struct sockaddr *)&any, sizeof any)));
    return 0;
}
"""


def test_a_program_inside_gets_eacces_and_the_log_names_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    occlum_cc = Path(sys.executable).parent / "occlum-cc"
    src = tmp_path / "probe.c"
    src.write_text(POLICY_PROBE)
    folder = tmp_path / "inst"
    new_instance(folder)
    binary = folder / "image" / "bin" / "probe"
    subprocess.run([str(occlum_cc), "-O1", str(src), "-o", str(binary)], check=True,
                   capture_output=True, timeout=600)
    with socket.socket() as srv:
        srv.bind(("127.0.0.1", 0))
        srv.listen(4)
        port = srv.getsockname()[1]
        config = json.loads((folder / "Occlum.json").read_text())
        config["network"] = {"connect": [f"127.0.0.1:{port}"], "bind": ["127.0.0.1:*"]}
        (folder / "Occlum.json").write_text(json.dumps(config))
        inst = Instance(folder)
        inst.build()
        with caplog.at_level(logging.ERROR, logger="pyocclum.net"):
            r = inst.run(["/bin/probe", str(port)], capture=True)
    assert r.exit_code == 0, r
    assert r.stdout == (b"connect allowed port: ok\nconnect other port: EACCES\n"
                        b"bind 0.0.0.0:0: EACCES\n")
    lines = [rec.getMessage() for rec in caplog.records if rec.name == "pyocclum.net"]
    assert lines == [
        f"network policy: pid 1 (/bin/probe): connect to 127.0.0.1:{port + 1} denied "
        "(not in network.connect)",
        "network policy: pid 1 (/bin/probe): bind to 0.0.0.0:0 denied (not in network.bind)",
    ]
