#!/usr/bin/env python3
"""Writes the sealed-value test vectors in this folder with Python's `cryptography`.

The vectors are produced by an implementation independent of sealsync's Rust code: this script
follows the Bitnami Sealed Secrets layout from its own reading of the format,

    u16 big-endian len(rsa_ct) || rsa_ct || AES-256-GCM ciphertext || tag

where rsa_ct is RSA-OAEP (SHA-256, MGF1-SHA-256, label = scope label) over a fresh 32-byte key,
the GCM nonce is 12 zero bytes and there is no associated data.

The vectors are committed; the Rust test (tests/vectors.rs) only reads them. Run this script to
regenerate them (keys in keys/ are kept if present, so only the ciphertexts change):

    python3 tests/vectors/generate.py            # write the vectors that have no file yet
    python3 tests/vectors/generate.py --rewrite  # rewrite every *.vector file
    python3 tests/vectors/generate.py --check    # re-check the committed files with Python

Both writing modes end with the check.

File format (one vector per file, `*.vector`):

    expect: success | failure
    comment: free text
    key: <PEM file in keys/> [<PEM file> ...]   keys tried in order, as open_with_any does
    opened-by: <index into key>                 (success only, optional; default 0)
    scope: strict | namespace-wide | cluster-wide
    namespace: <namespace the opener uses>
    name: <name the opener uses>
    label: <hex of the OAEP label the opener must derive from scope/namespace/name>
    plaintext: <hex>                            (success only) or
    plaintext-repeat: <hex>*<count>             (success only, the hex bytes repeated count times)
    <blank line>
    <the sealed value in standard base64, wrapped at 76 columns; may be empty>

The body is decoded as Go's base64.StdEncoding does: padding required, only line breaks skipped.
"""

import argparse
import base64
import os
import sys
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

HERE = Path(__file__).resolve().parent
KEYS = HERE / "keys"

# name -> (bits, PEM flavour). PKCS#1 is what Bitnami's controller writes to tls.key; PKCS#8 is
# what `openssl genpkey` and `openssl req -newkey` write.
KEY_FILES = {
    "rsa2048-pkcs1.pem": (2048, "pkcs1"),
    "rsa2048-pkcs8.pem": (2048, "pkcs8"),
    "rsa4096-pkcs1.pem": (4096, "pkcs1"),
    "rsa4096-pkcs8.pem": (4096, "pkcs8"),
}


def load_or_make_key(file_name):
    path = KEYS / file_name
    if path.exists():
        return serialization.load_pem_private_key(path.read_bytes(), password=None)
    bits, flavour = KEY_FILES[file_name]
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    fmt = {
        "pkcs1": serialization.PrivateFormat.TraditionalOpenSSL,
        "pkcs8": serialization.PrivateFormat.PKCS8,
    }[flavour]
    pem = key.private_bytes(serialization.Encoding.PEM, fmt, serialization.NoEncryption())
    KEYS.mkdir(exist_ok=True)
    path.write_bytes(pem)
    return key


def oaep(label):
    return padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=label)


def scope_label(scope, namespace, name):
    """The OAEP label for a scope, as Bitnami's EncryptionLabel builds it."""
    if scope == "strict":
        return f"{namespace}/{name}".encode()
    if scope == "namespace-wide":
        return namespace.encode()
    if scope == "cluster-wide":
        return b""
    raise ValueError(f"unknown scope {scope!r}")


def hybrid_encrypt(public_key, plaintext, label):
    session_key = os.urandom(32)
    rsa_ct = public_key.encrypt(session_key, oaep(label))
    body = AESGCM(session_key).encrypt(b"\0" * 12, plaintext, None)
    return len(rsa_ct).to_bytes(2, "big") + rsa_ct + body


def hybrid_decrypt(private_key, value, label):
    """Returns the plaintext, or None if the value does not open. Any failure is a failure."""
    if len(value) < 2:
        return None
    rsa_len = int.from_bytes(value[:2], "big")
    if len(value) < 2 + rsa_len + 16:
        return None
    try:
        session_key = private_key.decrypt(value[2 : 2 + rsa_len], oaep(label))
        return AESGCM(session_key).decrypt(b"\0" * 12, value[2 + rsa_len :], None)
    except Exception:  # noqa: BLE001 - any layer failing means "does not open"
        return None


def flip(value, index):
    out = bytearray(value)
    out[index] ^= 0x01
    return bytes(out)


def with_prefix(value, prefix):
    return prefix.to_bytes(2, "big") + value[2:]


# Each vector: file stem, then its fields. `seal` says how the value was made:
#   (key file, scope, namespace, name) of the sealer; `tamper` transforms the sealed bytes.
# `open` gives what the opener uses: keys, scope, namespace, name.
ALL_BYTES = bytes(range(256))
LONG_NAME = "a" * 253  # the longest Secret name Kubernetes allows
MIB = 1024 * 1024

VECTORS = [
    # --- success: each scope, both key sizes, both PEM flavours ---------------------------------
    dict(stem="strict-4096-pkcs1", expect="success",
         comment="strict scope, label \"prod/db-password\", 4096-bit PKCS#1 key",
         seal=("rsa4096-pkcs1.pem", "strict", "prod", "db-password"),
         plaintext=b"hunter2"),
    dict(stem="namespace-wide-4096-pkcs1", expect="success",
         comment="namespace-wide scope, label \"prod\", 4096-bit PKCS#1 key",
         seal=("rsa4096-pkcs1.pem", "namespace-wide", "prod", "db-password"),
         open_name="any-other-name",
         plaintext=b"namespace-wide value"),
    dict(stem="cluster-wide-4096-pkcs8", expect="success",
         comment="cluster-wide scope, empty label, 4096-bit PKCS#8 key; opened under another ns/name",
         seal=("rsa4096-pkcs8.pem", "cluster-wide", "prod", "db-password"),
         open_namespace="staging", open_name="elsewhere",
         plaintext=b"cluster-wide value"),
    dict(stem="strict-2048-pkcs8", expect="success",
         comment="strict scope, 2048-bit PKCS#8 key",
         seal=("rsa2048-pkcs8.pem", "strict", "kube-system", "token"),
         plaintext=b"s3cr3t-token"),
    dict(stem="namespace-wide-2048-pkcs1", expect="success",
         comment="namespace-wide scope, 2048-bit PKCS#1 key",
         seal=("rsa2048-pkcs1.pem", "namespace-wide", "team-a", "api"),
         plaintext=b"{\"user\":\"admin\"}"),
    dict(stem="cluster-wide-2048-pkcs1", expect="success",
         comment="cluster-wide scope, 2048-bit PKCS#1 key",
         seal=("rsa2048-pkcs1.pem", "cluster-wide", "default", "x"),
         plaintext=b"shared everywhere"),
    # --- success: edge values ---------------------------------------------------------------------
    dict(stem="empty-value", expect="success",
         comment="empty plaintext: the value is prefix, RSA block and a bare 16-byte tag",
         seal=("rsa4096-pkcs1.pem", "strict", "prod", "empty"),
         plaintext=b""),
    dict(stem="non-utf8-bytes", expect="success",
         comment="plaintext that is not UTF-8 (invalid sequences, NUL, high bytes)",
         seal=("rsa2048-pkcs1.pem", "strict", "prod", "binary"),
         plaintext=bytes([0xFF, 0xFE, 0x00, 0x80, 0xC3, 0x28, 0xED, 0xA0, 0x80, 0xF8, 0x00, 0x0A])),
    dict(stem="all-byte-values", expect="success",
         comment="plaintext holding each byte value 0x00..0xff once",
         seal=("rsa4096-pkcs8.pem", "namespace-wide", "prod", "bytes"),
         plaintext=ALL_BYTES),
    dict(stem="one-mebibyte", expect="success",
         comment="a 1 MiB value (0x5a repeated 1048576 times), strict scope, 4096-bit key",
         seal=("rsa4096-pkcs1.pem", "strict", "prod", "big"),
         plaintext_repeat=(b"\x5a", MIB)),
    dict(stem="longest-name", expect="success",
         comment="strict scope with a 253-character name (the Kubernetes maximum)",
         seal=("rsa2048-pkcs8.pem", "strict", "some-namespace", LONG_NAME),
         plaintext=b"long label"),
    dict(stem="second-of-two-keys", expect="success",
         comment="two keys offered; only the second (4096-bit PKCS#8) opens it",
         seal=("rsa4096-pkcs8.pem", "strict", "prod", "rotated"),
         open_keys=["rsa2048-pkcs1.pem", "rsa4096-pkcs8.pem"], opened_by=1,
         plaintext=b"sealed before key rotation"),
    # --- failure: tampering and malformed layout ------------------------------------------------
    dict(stem="tampered-tag", expect="failure",
         comment="last byte of the GCM tag flipped",
         seal=("rsa4096-pkcs1.pem", "strict", "prod", "db-password"),
         plaintext=b"hunter2", tamper=lambda v: flip(v, len(v) - 1)),
    dict(stem="tampered-ciphertext", expect="failure",
         comment="first byte of the GCM ciphertext flipped",
         seal=("rsa4096-pkcs1.pem", "strict", "prod", "db-password"),
         plaintext=b"hunter2", tamper=lambda v: flip(v, 2 + 512)),
    dict(stem="tampered-rsa-block", expect="failure",
         comment="one byte in the middle of the RSA-OAEP block flipped",
         seal=("rsa4096-pkcs1.pem", "strict", "prod", "db-password"),
         plaintext=b"hunter2", tamper=lambda v: flip(v, 2 + 256)),
    dict(stem="truncated-tag", expect="failure",
         comment="last byte removed: the tag is incomplete",
         seal=("rsa2048-pkcs1.pem", "strict", "prod", "db-password"),
         plaintext=b"hunter2", tamper=lambda v: v[:-1]),
    dict(stem="truncated-in-rsa-block", expect="failure",
         comment="cut after 100 bytes of the RSA block",
         seal=("rsa2048-pkcs1.pem", "strict", "prod", "db-password"),
         plaintext=b"hunter2", tamper=lambda v: v[:102]),
    dict(stem="length-prefix-one-short", expect="failure",
         comment="length prefix 0x01ff instead of 0x0200 for a 4096-bit key",
         seal=("rsa4096-pkcs1.pem", "strict", "prod", "db-password"),
         plaintext=b"hunter2", tamper=lambda v: with_prefix(v, 511)),
    dict(stem="length-prefix-too-long", expect="failure",
         comment="length prefix 0xffff, longer than the whole value",
         seal=("rsa2048-pkcs1.pem", "strict", "prod", "db-password"),
         plaintext=b"hunter2", tamper=lambda v: with_prefix(v, 0xFFFF)),
    dict(stem="length-prefix-zero", expect="failure",
         comment="length prefix 0x0000: an empty RSA block, the RSA bytes read as GCM data",
         seal=("rsa2048-pkcs1.pem", "cluster-wide", "prod", "db-password"),
         plaintext=b"hunter2", tamper=lambda v: with_prefix(v, 0)),
    dict(stem="empty-input", expect="failure",
         comment="zero bytes",
         seal=("rsa2048-pkcs1.pem", "cluster-wide", "prod", "db-password"),
         plaintext=b"", tamper=lambda v: b""),
    # --- failure: wrong key, label, scope -------------------------------------------------------
    dict(stem="wrong-name", expect="failure",
         comment="sealed strict for prod/db-password, opened as prod/other",
         seal=("rsa4096-pkcs1.pem", "strict", "prod", "db-password"),
         open_name="other", plaintext=b"hunter2"),
    dict(stem="wrong-namespace", expect="failure",
         comment="sealed strict for prod/db-password, opened as staging/db-password",
         seal=("rsa4096-pkcs1.pem", "strict", "prod", "db-password"),
         open_namespace="staging", plaintext=b"hunter2"),
    dict(stem="namespace-wide-opened-strict", expect="failure",
         comment="sealed namespace-wide (label \"prod\"), opened strict (label \"prod/db-password\")",
         seal=("rsa2048-pkcs8.pem", "namespace-wide", "prod", "db-password"),
         open_scope="strict", plaintext=b"hunter2"),
    dict(stem="strict-opened-cluster-wide", expect="failure",
         comment="sealed strict (label \"prod/db-password\"), opened cluster-wide (empty label)",
         seal=("rsa2048-pkcs8.pem", "strict", "prod", "db-password"),
         open_scope="cluster-wide", plaintext=b"hunter2"),
    dict(stem="cluster-wide-opened-namespace-wide", expect="failure",
         comment="sealed cluster-wide (empty label), opened namespace-wide (label \"prod\")",
         seal=("rsa2048-pkcs1.pem", "cluster-wide", "prod", "db-password"),
         open_scope="namespace-wide", plaintext=b"hunter2"),
    dict(stem="not-base64", expect="failure",
         comment="the body is not base64 at all",
         seal=("rsa2048-pkcs1.pem", "cluster-wide", "prod", "db-password"),
         plaintext=b"hunter2", encode=lambda text: "AgB%%%not*base64"),
    dict(stem="base64-without-padding", expect="failure",
         comment="a valid value (281 bytes) encoded without its '=' padding; Go's StdEncoding refuses it",
         seal=("rsa2048-pkcs1.pem", "cluster-wide", "prod", "db-password"),
         plaintext=b"hunter2", encode=lambda text: text.rstrip("=")),
    dict(stem="wrong-key", expect="failure",
         comment="sealed to the 2048-bit PKCS#1 key, opened with the other 2048-bit key",
         seal=("rsa2048-pkcs1.pem", "strict", "prod", "db-password"),
         open_keys=["rsa2048-pkcs8.pem"], plaintext=b"hunter2"),
]


def plaintext_of(v):
    if "plaintext_repeat" in v:
        unit, count = v["plaintext_repeat"]
        return unit * count
    return v["plaintext"]


def render(v, value):
    key_file, scope, namespace, name = v["seal"]
    open_scope = v.get("open_scope", scope)
    open_ns = v.get("open_namespace", namespace)
    open_name = v.get("open_name", name)
    lines = [
        f"expect: {v['expect']}",
        f"comment: {v['comment']}",
        "key: " + " ".join(v.get("open_keys", [key_file])),
    ]
    if "opened_by" in v:
        lines.append(f"opened-by: {v['opened_by']}")
    lines += [
        f"scope: {open_scope}",
        f"namespace: {open_ns}",
        f"name: {open_name}",
        f"label: {scope_label(open_scope, open_ns, open_name).hex()}",
    ]
    if v["expect"] == "success":
        if "plaintext_repeat" in v:
            unit, count = v["plaintext_repeat"]
            lines.append(f"plaintext-repeat: {unit.hex()}*{count}")
        else:
            lines.append(f"plaintext: {v['plaintext'].hex()}")
    text = v.get("encode", lambda t: t)(base64.b64encode(value).decode())
    body = [text[i : i + 76] for i in range(0, len(text), 76)]
    head = "".join(line.rstrip() + "\n" for line in lines)
    return head + "\n" + "".join(line + "\n" for line in body)


def generate(rewrite):
    keys = {name: load_or_make_key(name) for name in KEY_FILES}
    if rewrite:
        for old in HERE.glob("*.vector"):
            old.unlink()
    written = 0
    for v in VECTORS:
        path = HERE / f"{v['stem']}.vector"
        if path.exists():
            continue
        key_file, scope, namespace, name = v["seal"]
        value = hybrid_encrypt(
            keys[key_file].public_key(), plaintext_of(v), scope_label(scope, namespace, name)
        )
        value = v.get("tamper", lambda b: b)(value)
        path.write_text(render(v, value))
        written += 1
    print(f"wrote {written} of {len(VECTORS)} vectors to {HERE}")
    return check()


def parse(path):
    head, _, body = path.read_text().partition("\n\n")
    fields = {}
    for line in head.splitlines():
        key, _, val = line.partition(":")
        fields[key] = val.strip()
    try:
        value = base64.b64decode(body.replace("\r", "").replace("\n", ""), validate=True)
    except ValueError:
        value = None  # not base64: opens with no key
    return fields, value


def check():
    """Opens every committed vector with Python and compares with its `expect:`."""
    keys = {}
    failures = 0
    paths = sorted(HERE.glob("*.vector"))
    for path in paths:
        fields, value = parse(path)
        label = bytes.fromhex(fields["label"])
        if label != scope_label(fields["scope"], fields["namespace"], fields["name"]):
            print(f"{path.name}: label does not match scope/namespace/name")
            failures += 1
        opened = None
        for index, key_file in enumerate(fields["key"].split() if value is not None else []):
            if key_file not in keys:
                keys[key_file] = load_or_make_key(key_file)
            plaintext = hybrid_decrypt(keys[key_file], value, label)
            if plaintext is not None:
                opened = (index, plaintext)
                break
        if fields["expect"] == "failure":
            ok = opened is None
        elif "plaintext-repeat" in fields:
            unit, count = fields["plaintext-repeat"].split("*")
            ok = opened is not None and opened[1] == bytes.fromhex(unit) * int(count)
        else:
            ok = opened is not None and opened[1] == bytes.fromhex(fields["plaintext"])
        if ok and opened is not None:
            ok = opened[0] == int(fields.get("opened-by", "0"))
        if not ok:
            print(f"{path.name}: Python disagrees with expect: {fields['expect']}")
            failures += 1
    print(f"checked {len(paths)} vectors with Python cryptography: {failures} disagreement(s)")
    return 1 if failures else 0


def run_cli(doc, check_fn, generate_fn):
    """The command line both generators share: --check, --rewrite, or write what is missing."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only re-check the committed vectors")
    parser.add_argument("--rewrite", action="store_true", help="rewrite every vector file")
    args = parser.parse_args()
    sys.exit(check_fn() if args.check else generate_fn(args.rewrite))


def main():
    run_cli(__doc__, check, generate)


if __name__ == "__main__":
    main()
