"""deploy/kubernetes/: every document against the Kubernetes schemas, and the wiring.

The schemas are kubernetes-validate's offline copies for one fixed Kubernetes
version, strict (an unknown field is an error, as ``kubectl apply
--validate=strict`` makes it). The wiring checks are what a schema cannot see:
that the Service finds the KBS pods, that the ports and probe paths agree,
that every volume and every Secret or ConfigMap a pod needs is there or is
one the operator is told to create, and that the KBS's flags are ones
``occlum kbs serve`` accepts.
"""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import signal
import ssl
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import kubernetes_validate
import pytest
import yaml

from pyocclum.attestation import Policy, SimBackend
from pyocclum.attestation.backend import Subject
from pyocclum.attestation.kbs.certs import fingerprint_file, make_self_signed
from pyocclum.attestation.kbs.client import KbsError, fetch_secrets

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy" / "kubernetes"
GUIDE = ROOT / "docs" / "deploy.md"
#: The Kubernetes version whose schemas the documents must meet.
K8S_VERSION = "1.31.0"
OCCLUM = Path(sys.executable).parent / "occlum"

Doc = dict[str, Any]


def _load(path: Path) -> list[Doc]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d is not None]


def _kustomizations() -> list[Path]:
    return sorted(DEPLOY.rglob("kustomization.yaml"))


def _manifest_files() -> list[Path]:
    """Every YAML file that holds Kubernetes objects (not a kustomization)."""
    return sorted(p for p in DEPLOY.rglob("*.yaml") if p.name != "kustomization.yaml")


def _objects() -> list[tuple[str, Doc]]:
    return [(f"{p.relative_to(DEPLOY)}#{i}", d)
            for p in _manifest_files() for i, d in enumerate(_load(p))]


def _one(kind: str, name: str) -> Doc:
    found = [d for _, d in _objects() if d["kind"] == kind and d["metadata"]["name"] == name]
    assert len(found) == 1, f"{kind}/{name}: {len(found)} found"
    return found[0]


def _pod(deployment: Doc) -> Doc:
    spec: Doc = deployment["spec"]["template"]["spec"]
    return spec


def _container(deployment: Doc, name: str) -> Doc:
    found: list[Doc] = [c for c in _pod(deployment)["containers"] if c["name"] == name]
    assert len(found) == 1
    return found[0]


def _operator_secrets() -> set[str]:
    """Names the docs tell the operator to create with ``kubectl create secret``."""
    names: set[str] = set()
    for doc in (DEPLOY / "README.md", GUIDE):
        text = doc.read_text()
        names |= set(re.findall(r"kubectl create secret (?:generic|tls) ([a-z0-9-]+)", text))
    return names


def _kubectl_kustomize(folder: Path) -> list[Doc]:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed (Debian package kubectl): no kustomize build")
    done = subprocess.run([kubectl, "kustomize", str(folder)], capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return [d for d in yaml.safe_load_all(done.stdout) if d is not None]


# -- schemas --------------------------------------------------------------------------------

@pytest.mark.parametrize(("where", "doc"), _objects(), ids=[w for w, _ in _objects()])
def test_document_meets_the_kubernetes_schema(where: str, doc: Doc) -> None:
    kubernetes_validate.validate(doc, K8S_VERSION, strict=True)


def test_the_schema_check_refuses_broken_documents() -> None:
    good = _one("Deployment", "pyocclum-kbs")
    kubernetes_validate.validate(good, K8S_VERSION, strict=True)

    wrong_type = copy.deepcopy(good)
    _container(wrong_type, "kbs")["ports"][0]["containerPort"] = "8443"
    with pytest.raises(kubernetes_validate.ValidationError, match="8443"):
        kubernetes_validate.validate(wrong_type, K8S_VERSION, strict=True)

    misspelt = copy.deepcopy(good)
    _container(misspelt, "kbs")["readinesProbe"] = _container(misspelt, "kbs").pop(
        "readinessProbe")
    with pytest.raises(kubernetes_validate.ValidationError, match="readinesProbe"):
        kubernetes_validate.validate(misspelt, K8S_VERSION, strict=True)

    no_containers = copy.deepcopy(good)
    del _pod(no_containers)["containers"]
    with pytest.raises(kubernetes_validate.ValidationError, match="containers"):
        kubernetes_validate.validate(no_containers, K8S_VERSION, strict=True)


# -- kustomize ------------------------------------------------------------------------------

def test_kustomizations_list_every_file() -> None:
    used: set[Path] = set()
    for kustomization in _kustomizations():
        k = yaml.safe_load(kustomization.read_text())
        folder = kustomization.parent
        entries = list(k.get("resources", []))
        for gen in k.get("configMapGenerator", []) + k.get("secretGenerator", []):
            entries += gen.get("files", [])
        for entry in entries:
            path = (folder / entry.split("=")[-1]).resolve()
            assert path.is_file(), f"{kustomization.relative_to(DEPLOY)}: {entry} is missing"
            used.add(path)
    data = {p.resolve() for p in _manifest_files()} | {p.resolve() for p in DEPLOY.rglob("*.json")}
    unlisted = sorted(str(p.relative_to(DEPLOY)) for p in data - used)
    assert not unlisted, f"in no kustomization: {unlisted}"


def test_kustomize_build_meets_the_schema_and_rewires_names() -> None:
    docs = _kubectl_kustomize(DEPLOY)
    for doc in docs:
        kubernetes_validate.validate(doc, K8S_VERSION, strict=True)
    kinds = sorted(f"{d['kind']}/{d['metadata']['name']}" for d in docs)
    assert [k for k in kinds if not k.startswith("ConfigMap/")] == [
        "Deployment/pyocclum-app", "Deployment/pyocclum-kbs", "NetworkPolicy/pyocclum-kbs",
        "PodDisruptionBudget/pyocclum-app", "Service/pyocclum-app", "Service/pyocclum-kbs"]
    (configmap,) = [d for d in docs if d["kind"] == "ConfigMap"]
    # The generated name carries a hash; the KBS's volume follows it.
    assert configmap["metadata"]["name"].startswith("pyocclum-kbs-policy-")
    kbs = next(d for d in docs if d["kind"] == "Deployment" and d["metadata"]["name"]
               == "pyocclum-kbs")
    volumes = {v["name"]: v for v in _pod(kbs)["volumes"]}
    assert volumes["policy"]["configMap"]["name"] == configmap["metadata"]["name"]
    images = {d["metadata"]["name"]: _pod(d)["containers"][0]["image"]
              for d in docs if d["kind"] == "Deployment"}
    # Placeholders, for an overlay to name (test_an_operators_overlay_builds).
    assert images == {"pyocclum-app": "pyocclum-app", "pyocclum-kbs": "pyocclum-kbs"}


def test_an_operators_overlay_builds(tmp_path: Path) -> None:
    """The overlay of deploy/kubernetes/README.md: own policy, images, replicas, autoscaler."""
    overlay = tmp_path / "my-deploy"
    overlay.mkdir()
    policy = {"mrsigner": "ab" * 32, "product_id": 7, "min_version": 2, "allow_sim": True,
              "sim_platform_keys": ["cd" * 32]}
    (overlay / "policy.json").write_text(json.dumps(policy))
    (overlay / "kustomization.yaml").write_text(yaml.safe_dump({
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        # kustomize takes only relative paths.
        "resources": [os.path.relpath(DEPLOY, overlay)],
        "components": [os.path.relpath(DEPLOY / "autoscaling", overlay)],
        "configMapGenerator": [
            {"name": "pyocclum-kbs-policy", "behavior": "replace", "files": ["policy.json"]}],
        "images": [{"name": "pyocclum-app", "newName": "registry.test/me/app",
                    "digest": "sha256:" + "1" * 64},
                   {"name": "pyocclum-kbs", "newName": "registry.test/me/kbs", "newTag": "0.1"}],
        "replicas": [{"name": "pyocclum-app", "count": 5}],
    }))
    docs = _kubectl_kustomize(overlay)
    for doc in docs:
        kubernetes_validate.validate(doc, K8S_VERSION, strict=True)
    by_kind = {(d["kind"], d["metadata"]["name"]): d for d in docs}
    app = by_kind["Deployment", "pyocclum-app"]
    assert app["spec"]["replicas"] == 5
    assert _pod(app)["containers"][0]["image"] == "registry.test/me/app@sha256:" + "1" * 64
    kbs = by_kind["Deployment", "pyocclum-kbs"]
    assert _pod(kbs)["containers"][0]["image"] == "registry.test/me/kbs:0.1"
    (configmap,) = [d for d in docs if d["kind"] == "ConfigMap"]
    assert json.loads(configmap["data"]["policy.json"]) == policy
    hpa = by_kind["HorizontalPodAutoscaler", "pyocclum-app"]
    assert hpa["spec"]["scaleTargetRef"]["name"] == "pyocclum-app"


# -- wiring ---------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["pyocclum-kbs", "pyocclum-app"])
def test_services_find_their_pods_on_declared_ports(name: str) -> None:
    deployment = _one("Deployment", name)
    service = _one("Service", name)
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert service["spec"]["selector"].items() <= labels.items()
    ports = [p for c in _pod(deployment)["containers"] for p in c.get("ports", [])]
    by_name = {p["name"]: p["containerPort"] for p in ports}
    for port in service["spec"]["ports"]:
        target = port["targetPort"]
        assert target in by_name or target in by_name.values(), f"{name}: {target}"


def test_kbs_service_is_the_one_the_enclave_is_told() -> None:
    kbs_port = _one("Service", "pyocclum-kbs")["spec"]["ports"]
    assert [p["port"] for p in kbs_port] == [8443]
    env = {e["name"]: e.get("value") for e in _container(_one("Deployment", "pyocclum-app"),
                                                          "app")["env"]}
    url = urlsplit(env["OCCLUM_KBS_URL"])
    assert (url.scheme, url.hostname, url.port) == ("https", "pyocclum-kbs", 8443)


def test_only_the_app_reaches_the_kbs_on_its_port() -> None:
    kbs = _one("Deployment", "pyocclum-kbs")
    app = _one("Deployment", "pyocclum-app")
    policy = _one("NetworkPolicy", "pyocclum-kbs")["spec"]
    assert policy["policyTypes"] == ["Ingress"]
    kbs_labels = kbs["spec"]["template"]["metadata"]["labels"]
    assert policy["podSelector"]["matchLabels"].items() <= kbs_labels.items()
    (rule,) = policy["ingress"]
    (source,) = rule["from"]
    app_labels = app["spec"]["template"]["metadata"]["labels"]
    assert source["podSelector"]["matchLabels"].items() <= app_labels.items()
    assert not source["podSelector"]["matchLabels"].items() <= kbs_labels.items()
    ports = {p["name"]: p["containerPort"] for p in _container(kbs, "kbs")["ports"]}
    assert [p["port"] for p in rule["ports"]] == ["https"]
    assert "https" in ports


def test_kbs_probes_ask_for_health_over_https() -> None:
    kbs = _container(_one("Deployment", "pyocclum-kbs"), "kbs")
    ports = {p["name"]: p["containerPort"] for p in kbs["ports"]}
    for probe in ("readinessProbe", "livenessProbe"):
        get = kbs[probe]["httpGet"]
        assert (get["path"], get["scheme"]) == ("/v1/health", "HTTPS")
        assert get["port"] in ports or get["port"] in ports.values()
    listen = kbs["command"][kbs["command"].index("--listen") + 1]
    assert int(listen.rsplit(":", 1)[1]) == ports["https"] == 8443


def test_app_probes_use_a_declared_port() -> None:
    app = _container(_one("Deployment", "pyocclum-app"), "app")
    ports = {p["name"] for p in app["ports"]}
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        action = app[probe].get("httpGet") or app[probe].get("tcpSocket")
        assert action["port"] in ports, probe


@pytest.mark.parametrize("name", ["pyocclum-kbs", "pyocclum-app"])
def test_every_volume_is_declared_used_and_its_source_exists(name: str) -> None:
    pod = _pod(_one("Deployment", name))
    volumes = {v["name"]: v for v in pod["volumes"]}
    mounted = {m["name"] for c in pod["containers"] for m in c.get("volumeMounts", [])}
    assert mounted == set(volumes), f"mounted {sorted(mounted)}, declared {sorted(volumes)}"
    configmaps = {g["name"] for k in _kustomizations()
                  for g in yaml.safe_load(k.read_text()).get("configMapGenerator", [])}
    configmaps |= {d["metadata"]["name"] for _, d in _objects() if d["kind"] == "ConfigMap"}
    secrets = {d["metadata"]["name"] for _, d in _objects() if d["kind"] == "Secret"}
    secrets |= _operator_secrets()
    for volume in volumes.values():
        if "configMap" in volume:
            assert volume["configMap"]["name"] in configmaps
        if "secret" in volume:
            assert volume["secret"]["secretName"] in secrets, (
                f"{volume['secret']['secretName']}: neither in the manifests nor created "
                "with `kubectl create secret` in deploy/kubernetes/README.md and docs/deploy.md")


def test_no_secret_values_are_kept_in_the_manifests() -> None:
    assert [w for w, d in _objects() if d["kind"] == "Secret"] == []
    for kustomization in _kustomizations():
        assert "secretGenerator" not in yaml.safe_load(kustomization.read_text())


def test_kbs_files_are_where_its_mounts_put_them() -> None:
    kbs = _one("Deployment", "pyocclum-kbs")
    container = _container(kbs, "kbs")
    volumes = {v["name"]: v for v in _pod(kbs)["volumes"]}
    command = container["command"]

    def source_of(path: str) -> tuple[Doc, str]:
        """The volume that holds ``path``, and the key it is in that volume."""
        for mount in container["volumeMounts"]:
            if "subPath" in mount and path == mount["mountPath"]:
                return volumes[mount["name"]], mount["subPath"]
            if path.startswith(mount["mountPath"].rstrip("/") + "/"):
                return volumes[mount["name"]], path[len(mount["mountPath"]):].strip("/")
        raise AssertionError(f"{path} is on no volume")

    expected = {"--policy": ("configMap", "policy.json"),
                "--secrets": ("secret", "secrets.json"),
                "--cert": ("secret", "tls.crt"), "--key": ("secret", "tls.key")}
    for flag, (kind, key) in expected.items():
        volume, found_key = source_of(command[command.index(flag) + 1])
        assert kind in volume, flag
        assert found_key == key, flag
    # The keys the operator's Secrets have: tls.crt/tls.key from `create secret tls`,
    # secrets.json from --from-file=secrets.json=...
    readme = (DEPLOY / "README.md").read_text()
    assert "kubectl create secret tls pyocclum-kbs-tls" in readme
    assert "pyocclum-kbs-secrets --from-file=secrets.json=" in readme


def test_attestation_key_is_a_read_only_secret_file() -> None:
    app = _one("Deployment", "pyocclum-app")
    container = _container(app, "app")
    env = {e["name"]: e.get("value") for e in container["env"]}
    key = Path(env["PYOCCLUM_ATTESTATION_KEY"])
    (mount,) = [m for m in container["volumeMounts"] if m["mountPath"] == str(key.parent)]
    assert mount["readOnly"] is True
    volume = next(v for v in _pod(app)["volumes"] if v["name"] == mount["name"])
    secret = volume["secret"]["secretName"]
    assert f"{secret} --from-file={key.name}=" in (DEPLOY / "README.md").read_text()


def test_app_writes_only_to_its_own_empty_dirs() -> None:
    app = _one("Deployment", "pyocclum-app")
    container = _container(app, "app")
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    volumes = {v["name"]: v for v in _pod(app)["volumes"]}
    writable = {m["mountPath"]: volumes[m["name"]] for m in container["volumeMounts"]
                if not m.get("readOnly")}
    assert "emptyDir" in writable["/instance/run"]
    assert all("emptyDir" in v for v in writable.values()), sorted(writable)
    env = {e["name"]: e.get("value") for e in container["env"]}
    for var in ("XDG_DATA_HOME", "XDG_CACHE_HOME", "HOME"):
        assert any(env[var] == p or env[var].startswith(p + "/") for p in writable), var


@pytest.mark.parametrize("name", ["pyocclum-kbs", "pyocclum-app"])
def test_pods_are_locked_down_and_sized(name: str) -> None:
    pod = _pod(_one("Deployment", name))
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["automountServiceAccountToken"] is False
    for container in pod["containers"]:
        ctx = container["securityContext"]
        assert ctx["readOnlyRootFilesystem"] is True
        assert ctx["allowPrivilegeEscalation"] is False
        assert ctx["capabilities"]["drop"] == ["ALL"]
        assert {"cpu", "memory"} <= container["resources"]["requests"].keys()
        assert {"cpu", "memory"} <= container["resources"]["limits"].keys()


def test_disruption_budget_and_autoscaler_cover_the_app() -> None:
    app = _one("Deployment", "pyocclum-app")
    labels = app["spec"]["template"]["metadata"]["labels"]
    pdb = _one("PodDisruptionBudget", "pyocclum-app")
    assert pdb["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert pdb["spec"]["minAvailable"] < app["spec"]["replicas"]
    hpa = _one("HorizontalPodAutoscaler", "pyocclum-app")
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment",
                                             "name": "pyocclum-app"}
    assert hpa["spec"]["minReplicas"] > pdb["spec"]["minAvailable"]


def test_placeholder_policy_is_a_policy_that_admits_nothing_real() -> None:
    policy = Policy.from_json((DEPLOY / "policy.json").read_text())
    assert policy.mrenclave == (bytes(32),)
    assert policy.sim_platform_keys == (bytes(32),)
    assert policy.allow_debug is False


def test_kbs_flags_are_ones_occlum_kbs_serve_accepts() -> None:
    done = subprocess.run([str(OCCLUM), "kbs", "serve", "--help"], capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    command = _container(_one("Deployment", "pyocclum-kbs"), "kbs")["command"]
    assert command[:3] == ["occlum", "kbs", "serve"]
    flags = [a for a in command if a.startswith("--")]
    assert flags
    for flag in flags:
        assert re.search(rf"(^|[\s,]){re.escape(flag)}\b", done.stdout), f"{flag} not in --help"


def test_kbs_container_command_serves_what_the_probes_and_enclaves_ask(tmp_path: Path) -> None:
    """The KBS container's command line, run as the pod would run it (its files where
    the volumes put them, under ``tmp_path``; loopback instead of 0.0.0.0), answers
    the probes' HTTPS GET and refuses an enclave the placeholder policy does not name."""
    root = tmp_path / "pod"
    kbs = _container(_one("Deployment", "pyocclum-kbs"), "kbs")
    for mount in kbs["volumeMounts"]:
        (root / mount["mountPath"].lstrip("/")).parent.mkdir(parents=True, exist_ok=True)
    (root / "etc/kbs/policy.json").write_text((DEPLOY / "policy.json").read_text())
    (root / "etc/kbs/secrets").mkdir()
    (root / "etc/kbs/secrets/secrets.json").write_text(json.dumps({"api-key": "s3cret"}))
    cert, key = make_self_signed([])
    (root / "etc/kbs/tls").mkdir()
    (root / "etc/kbs/tls/tls.crt").write_bytes(cert)
    (root / "etc/kbs/tls/tls.key").write_bytes(key)
    command = [str(OCCLUM)] + [
        "127.0.0.1:0" if arg == "0.0.0.0:8443" else
        str(root) + arg if arg.startswith("/etc/kbs/") else arg for arg in kbs["command"][1:]]
    assert sum(a.startswith(str(root)) for a in command) == 4
    proc = subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        first: list[str] = []
        reader = threading.Thread(
            target=lambda: first.append(proc.stdout.readline() if proc.stdout else ""))
        reader.start()
        reader.join(30)
        match = re.fullmatch(r"occlum kbs: listening on (https://127\.0\.0\.1:\d+), "
                             r"certificate SHA-256 ([0-9a-f]{64})\n", first[0] if first else "")
        assert match is not None, (first, proc.poll())
        url, pin = match[1], match[2]
        assert pin == fingerprint_file(root / "etc/kbs/tls/tls.crt")
        # The kubelet's HTTPS probe verifies no certificate.
        unverified = ssl.create_default_context()
        unverified.check_hostname = False
        unverified.verify_mode = ssl.CERT_NONE
        probe = kbs["readinessProbe"]["httpGet"]["path"]
        with urllib.request.urlopen(url + probe, context=unverified, timeout=10) as answer:
            assert answer.status == 200
            assert json.loads(answer.read()) == {"status": "ok"}
        backend = SimBackend.load_or_create(tmp_path / "attestation-key")
        subject = Subject(bytes(range(32)), bytes(32), 0, 0, False)
        with pytest.raises(KbsError, match="refused") as refused:
            fetch_secrets(url, ["api-key"], lambda rd: backend.quote(subject, rd),
                          cert_sha256=bytes.fromhex(pin))
        assert refused.value.refused
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=20)
    assert proc.returncode == 0
