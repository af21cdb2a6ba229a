#!/usr/bin/env python3
"""An independent implementation of the Sealed Secrets wire format, using only the standard
library and `cryptography`, to check `seal` in both directions.

  interop.py open KEY_PEM SEALED_JSON EXPECTED_JSON
      Opens every spec.encryptedData value of the SealedSecret in SEALED_JSON with the label its
      top-level metadata gives (name, namespace, scope annotations), compares the plaintexts
      with EXPECTED_JSON ({"key": "base64 of the value"}), and checks that every wrong label
      (another namespace, another name, another scope) fails to open. Exit 0 only if all holds.

  interop.py seal CERT_PEM FORMAT API SCOPE NAME NAMESPACE KEY=BASE64...
      Writes a SealedSecret (FORMAT yaml or json, API sealsync or bitnami) whose values are
      sealed to CERT_PEM for SCOPE (strict, namespace-wide, cluster-wide).

Wire format: u16 big-endian len(rsa_ct) || rsa_ct || AES-256-GCM(ct || tag); RSA-OAEP with
SHA-256 and MGF1-SHA-256 over a fresh 32-byte key, label "<ns>/<name>" | "<ns>" | ""; the GCM
nonce is 12 zero bytes and there is no associated data; values are standard base64.
"""

import base64
import json
import os
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

CLUSTER_WIDE = "sealedsecrets.bitnami.com/cluster-wide"
NAMESPACE_WIDE = "sealedsecrets.bitnami.com/namespace-wide"
API_VERSIONS = {"sealsync": "sealsync.io/v1alpha1", "bitnami": "bitnami.com/v1alpha1"}


def oaep(label):
    return padding.OAEP(
        mgf=padding.MGF1(algorithm=hashes.SHA256()),
        algorithm=hashes.SHA256(),
        label=label if label else None,
    )


def label_for(scope, namespace, name):
    if scope == "strict":
        return f"{namespace}/{name}".encode()
    if scope == "namespace-wide":
        return namespace.encode()
    if scope == "cluster-wide":
        return b""
    raise SystemExit(f"unknown scope {scope!r}")


def scope_of(annotations):
    annotations = annotations or {}
    if annotations.get(CLUSTER_WIDE) == "true":
        return "cluster-wide"
    if annotations.get(NAMESPACE_WIDE) == "true":
        return "namespace-wide"
    return "strict"


def seal_value(public_key, plaintext, label):
    session_key = os.urandom(32)
    rsa_ct = public_key.encrypt(session_key, oaep(label))
    body = AESGCM(session_key).encrypt(b"\x00" * 12, plaintext, None)
    return base64.b64encode(len(rsa_ct).to_bytes(2, "big") + rsa_ct + body).decode()


def open_value(private_key, value, label):
    raw = base64.b64decode(value, validate=True)
    rsa_len = int.from_bytes(raw[:2], "big")
    rsa_ct, body = raw[2 : 2 + rsa_len], raw[2 + rsa_len :]
    if len(rsa_ct) != rsa_len or len(body) < 16:
        raise ValueError("truncated")
    session_key = private_key.decrypt(rsa_ct, oaep(label))
    return AESGCM(session_key).decrypt(b"\x00" * 12, body, None)


def opens(private_key, value, label):
    try:
        open_value(private_key, value, label)
        return True
    except Exception:  # any failure: wrong key, label or tampering
        return False


def wrong_labels(scope, namespace, name):
    """Labels a value sealed for (scope, namespace, name) must NOT open under."""
    right = label_for(scope, namespace, name)
    candidates = [
        f"{namespace}-other/{name}".encode(),
        f"{namespace}/{name}-other".encode(),
        namespace.encode(),
        f"{namespace}-other".encode(),
        b"",
        f"{namespace}/{name}".encode(),
    ]
    return [c for c in candidates if c != right]


def cmd_open(key_path, sealed_path, expected_path):
    with open(key_path, "rb") as f:
        key = serialization.load_pem_private_key(f.read(), password=None)
    with open(sealed_path) as f:
        sealed = json.load(f)
    with open(expected_path) as f:
        expected = json.load(f)
    meta = sealed["metadata"]
    scope = scope_of(meta.get("annotations"))
    namespace, name = meta.get("namespace", ""), meta.get("name", "")
    label = label_for(scope, namespace, name)
    data = sealed["spec"]["encryptedData"]
    if sorted(data) != sorted(expected):
        raise SystemExit(f"keys differ: {sorted(data)} != {sorted(expected)}")
    for k, value in data.items():
        try:
            plaintext = open_value(key, value, label)
        except Exception as e:
            raise SystemExit(f"{k}: does not open as {scope} {namespace}/{name}: {type(e).__name__}")
        if plaintext != base64.b64decode(expected[k]):
            raise SystemExit(f"{k}: wrong plaintext")
        for wrong in wrong_labels(scope, namespace, name):
            if opens(key, value, wrong):
                raise SystemExit(f"{k}: also opens under the wrong label {wrong!r}")
    print(f"ok: {len(data)} values open as {scope} {namespace}/{name} and only so")


def yaml_string(s):
    # A JSON string is a valid YAML double-quoted scalar.
    return json.dumps(s)


def to_yaml(obj, indent=0):
    pad = "  " * indent
    lines = []
    for k, v in obj.items():
        if isinstance(v, dict):
            if not v:
                lines.append(f"{pad}{yaml_string(k)}: {{}}")
            else:
                lines.append(f"{pad}{yaml_string(k)}:")
                lines.append(to_yaml(v, indent + 1))
        else:
            lines.append(f"{pad}{yaml_string(k)}: {yaml_string(v)}")
    return "\n".join(lines)


def cmd_seal(cert_path, fmt, api, scope, name, namespace, pairs):
    with open(cert_path, "rb") as f:
        public_key = x509.load_pem_x509_certificate(f.read()).public_key()
    label = label_for(scope, namespace, name)
    encrypted = {}
    for pair in pairs:
        k, b64 = pair.split("=", 1)
        encrypted[k] = seal_value(public_key, base64.b64decode(b64), label)
    annotations = {}
    if scope == "cluster-wide":
        annotations[CLUSTER_WIDE] = "true"
    elif scope == "namespace-wide":
        annotations[NAMESPACE_WIDE] = "true"
    metadata = {"name": name, "namespace": namespace}
    if annotations:
        metadata["annotations"] = annotations
    template_meta = dict(metadata, labels={"made-by": "python"})
    sealed = {
        "apiVersion": API_VERSIONS[api],
        "kind": "SealedSecret",
        "metadata": metadata,
        "spec": {
            "encryptedData": encrypted,
            "template": {"metadata": template_meta, "type": "Opaque"},
        },
    }
    if fmt == "json":
        print(json.dumps(sealed, indent=2))
    elif fmt == "yaml":
        print("---\n# sealed by interop.py\n" + to_yaml(sealed))
    else:
        raise SystemExit(f"unknown format {fmt!r}")


def main(argv):
    if len(argv) >= 4 and argv[0] == "open":
        cmd_open(*argv[1:4])
    elif len(argv) >= 7 and argv[0] == "seal":
        cmd_seal(argv[1], argv[2], argv[3], argv[4], argv[5], argv[6], argv[7:])
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
