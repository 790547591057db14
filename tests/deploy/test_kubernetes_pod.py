"""The app pod of deploy/kubernetes/enclave.yaml, run as a kubelet would run it, without
a cluster: the image ``occlum package --oci`` made (unpacked with umoci), its root file
system read-only, the pod's volumes bind-mounted where the manifest says (emptyDirs
fresh, the attestation key Secret's file with its defaultMode and the pod's fsGroup),
the manifest's uid, environment and ``OCCLUM_KBS_URL`` (the Service name resolved by
the pod's /etc/hosts to a KBS on loopback), the image's entrypoint. Needs root (a
private mount namespace and chroot) and umoci; skipped without them, saying which.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from pyocclum.attestation import Policy, SimBackend
from pyocclum.attestation.kbs.certs import fingerprint_file, make_self_signed
from pyocclum.attestation.kbs.server import BackgroundKbs, KbsService
from pyocclum.boot import Instance
from pyocclum.config.template import new_instance

ROOT = Path(__file__).resolve().parents[2]
ENCLAVE = ROOT / "deploy" / "kubernetes" / "enclave.yaml"
PROBE_SOURCE = ROOT / "tests" / "programs" / "initra_probe.c"
BIN = Path(sys.executable).parent
ROOT_KEY = "0f-1e-2d-3c-4b-5a-69-78-87-96-a5-b4-c3-d2-e1-f0"
SECRETS = {"fs-root-key": ROOT_KEY.encode(), "api-key": b"k8s-api-key",
           "db-password": b"k8s-db-password"}

MISSING = [why for why, gone in (
    ("not root (a mount namespace and chroot)", os.geteuid() != 0),
    ("umoci not installed (scripts/ensure-oci.sh)", shutil.which("umoci") is None),
    ("unshare not installed", shutil.which("unshare") is None)) if gone]
pytestmark = pytest.mark.skipif(bool(MISSING), reason="; ".join(MISSING))


class Pod:
    """The packaged app, the KBS's files and the manifest's app container."""

    def __init__(self, top: Path, rootfs: Path, image_config: dict[str, Any],
                 policy: Policy, cert: Path, key: Path) -> None:
        self.top, self.rootfs, self.image_config = top, rootfs, image_config
        self.policy, self.cert, self.key = policy, cert, key
        docs = [d for d in yaml.safe_load_all(ENCLAVE.read_text()) if d]
        deployment = next(d for d in docs if d["kind"] == "Deployment")
        self.spec: dict[str, Any] = deployment["spec"]["template"]["spec"]
        (self.container,) = self.spec["containers"]


@pytest.fixture(scope="module")
def pod(tmp_path_factory: pytest.TempPathFactory) -> Pod:
    top = tmp_path_factory.mktemp("k8s-pod")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PYOCCLUM_DEV_KEY", str(top / "dev-key.pem"))
        mp.setenv("PYOCCLUM_PLATFORM_SECRET", str(top / "platform-secret"))
        cert_pem, key_pem = make_self_signed([])
        (top / "kbs.crt").write_bytes(cert_pem)
        (top / "kbs.key").write_bytes(key_pem)
        folder = top / "app"
        new_instance(folder)
        cc = subprocess.run([str(BIN / "occlum-cc"), "-O2", str(PROBE_SOURCE), "-o",
                             str(folder / "image" / "bin" / "initra_probe")],
                            capture_output=True, text=True, timeout=600, check=False)
        assert cc.returncode == 0, cc.stderr
        config = json.loads((folder / "Occlum.json").read_text())
        config["metadata"].update(debuggable=False, product_id=7, version_number=1)
        config["init_ra"] = {"kbs": "https://127.0.0.1:9", "root_key": "fs-root-key",
                             "kbs_cert_sha256": fingerprint_file(top / "kbs.crt"),
                             "env": {"API_KEY": "api-key"}, "files": ["db-password"]}
        (folder / "Occlum.json").write_text(json.dumps(config))
        sign_key = top / "sign-key.pem"
        sign_key.write_bytes(Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption()))
        inst = Instance(folder)
        inst.build(sign_key=sign_key)
        packaged = subprocess.run([str(BIN / "occlum"), "package", "--oci", "-o", str(top)],
                                  cwd=folder, capture_output=True, text=True, timeout=600,
                                  check=False)
        assert packaged.returncode == 0, packaged.stderr
    layout = top / "layout"
    layout.mkdir()
    with tarfile.open(top / "app-oci.tar") as tar:
        tar.extractall(layout, filter="data")
    unpacked = subprocess.run(["umoci", "unpack", "--image", f"{layout}:latest",
                               str(top / "bundle")], capture_output=True, text=True,
                              timeout=120, check=False)
    assert unpacked.returncode == 0, unpacked.stderr
    image_config = json.loads((top / "bundle" / "config.json").read_text())
    # The operator's attestation key (the Secret) and the policy that pins it.
    platform = SimBackend.load_or_create(top / "attestation-key").public_key
    policy = Policy(mrenclave=(inst.identity().mrenclave,), allow_sim=True,
                    sim_platform_keys=(platform,))
    return Pod(top, top / "bundle" / "rootfs", image_config, policy, top / "kbs.crt",
               top / "kbs.key")


def _run(pod: Pod, volumes: Path, kbs_port: int, attestation_key: Path,
         args: list[str]) -> subprocess.CompletedProcess[str]:
    """The app container, with ``args`` for the manifest's (the program is the probe)."""
    rootfs, spec, container = pod.rootfs, pod.spec, pod.container
    declared = {v["name"]: v for v in spec["volumes"]}
    gid = spec["securityContext"]["fsGroup"]
    mounts: list[tuple[Path, Path, bool]] = []
    for mount in container["volumeMounts"]:
        volume = declared[mount["name"]]
        source = volumes / mount["name"]
        if not source.exists():
            source.mkdir(parents=True)
            if "emptyDir" in volume:
                source.chmod(0o777)
            else:  # the Secret: one file per key, root-owned, group fsGroup
                key_file = source / "attestation-key"
                shutil.copy(attestation_key, key_file)
                os.chown(key_file, 0, gid)
                key_file.chmod(volume["secret"]["defaultMode"])
        target = rootfs / mount["mountPath"].lstrip("/")
        target.mkdir(parents=True, exist_ok=True)  # the runtime makes mount points
        mounts.append((source, target, bool(mount.get("readOnly"))))
    # The kubelet's /etc/hosts, here also the cluster DNS of the Service name.
    (volumes / "hosts").write_text("127.0.0.1 localhost\n127.0.0.1 pyocclum-kbs\n")
    (rootfs / "etc").mkdir(exist_ok=True)
    (rootfs / "etc" / "hosts").touch()
    mounts.append((volumes / "hosts", rootfs / "etc" / "hosts", True))
    script = [f"mount --bind {rootfs} {rootfs}", f"mount -o remount,bind,ro {rootfs}"]
    for source, target, read_only in mounts:
        script.append(f"mount --bind {source} {target}")
        if read_only:
            script.append(f"mount -o remount,bind,ro {target}")
    process = pod.image_config["process"]
    env = dict(e.split("=", 1) for e in process["env"])
    env.update({e["name"]: e["value"] for e in container["env"]})
    url = urlsplit(env["OCCLUM_KBS_URL"])
    assert (url.hostname, url.port) == ("pyocclum-kbs", 8443)
    env["OCCLUM_KBS_URL"] = f"https://pyocclum-kbs:{kbs_port}"  # the test KBS's own port
    # The image's entrypoint, the manifest's args replaced by the probe's.
    entrypoint = process["args"][:-1]
    assert process["args"][-1] == "/bin/initra_probe"  # the image's Cmd
    launch = {"root": str(rootfs), "cwd": process["cwd"], "uid": spec["securityContext"][
        "runAsUser"], "gid": gid, "argv": entrypoint + args, "env": env}
    launcher = ("import json,os,sys; s=json.loads(sys.argv[1]); os.chroot(s['root']); "
                "os.chdir(s['cwd']); os.setgroups([]); os.setgid(s['gid']); "
                "os.setuid(s['uid']); os.execve(s['argv'][0], s['argv'], s['env'])")
    script.append(f"exec {shlex.quote(sys.executable)} -c {shlex.quote(launcher)} "
                  f"{shlex.quote(json.dumps(launch))}")
    return subprocess.run(["unshare", "-m", "sh", "-ec", "\n".join(script)],
                          capture_output=True, text=True, timeout=120, check=False)


def test_replicas_attest_and_run_with_the_manifests_mounts_and_env(pod: Pod,
                                                                    tmp_path: Path) -> None:
    assert pod.container["securityContext"]["readOnlyRootFilesystem"] is True
    with BackgroundKbs(KbsService(pod.policy, SECRETS), pod.cert, pod.key) as kbs:
        first = _run(pod, tmp_path / "pod-1", kbs.port, pod.top / "attestation-key",
                     ["/bin/initra_probe", "written in pod 1", "db-password"])
        assert first.returncode == 0, first.stderr
        lines = first.stdout.splitlines()
        assert "env API_KEY: k8s-api-key" in lines
        assert "/root/note: none" in lines
        assert any(line.startswith("/run/secrets/db-password: file mode 0400")
                   for line in lines), lines
        assert "/run/secrets/db-password: [k8s-db-password]" in lines
        # The container restarts in the same pod: its emptyDirs, so its root, remain.
        again = _run(pod, tmp_path / "pod-1", kbs.port, pod.top / "attestation-key",
                     ["/bin/initra_probe", "written again"])
        assert again.returncode == 0, again.stderr
        assert "/root/note: [written in pod 1]" in again.stdout.splitlines()
        # Another replica starts empty and gets the same secrets.
        second = _run(pod, tmp_path / "pod-2", kbs.port, pod.top / "attestation-key",
                      ["/bin/initra_probe", "written in pod 2"])
        assert second.returncode == 0, second.stderr
        assert "/root/note: none" in second.stdout.splitlines()
        assert "env API_KEY: k8s-api-key" in second.stdout.splitlines()
    # What the pod wrote is on its own volumes: the root's ciphertext, the code cache,
    # the per-pod platform secret.
    volumes = tmp_path / "pod-1"
    assert (volumes / "run" / "mount" / "__ROOT").is_dir()
    assert list((volumes / "code-cache").glob("*.cwasm"))
    assert list((volumes / "state").rglob("platform-secret"))


def test_a_replica_with_another_platform_key_is_refused(pod: Pod, tmp_path: Path) -> None:
    """The policy pins the Secret's platform key: a quote signed by any other is refused,
    one line, exit 1, nothing written to the pod's writable root."""
    other = tmp_path / "other-attestation-key"
    SimBackend.load_or_create(other)
    with BackgroundKbs(KbsService(pod.policy, SECRETS), pod.cert, pod.key) as kbs:
        done = _run(pod, tmp_path / "pod", kbs.port, other, ["/bin/initra_probe", "x"])
    assert done.returncode == 1
    assert done.stderr.startswith(
        f"occlum run: attestation refused by https://pyocclum-kbs:{kbs.port}: SIM platform key")
    assert len(done.stderr.splitlines()) == 1
    assert done.stdout == ""
    assert list((tmp_path / "pod" / "run").iterdir()) == []
