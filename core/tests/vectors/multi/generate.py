#!/usr/bin/env python3
"""Writes the multi-recipient test vectors in this folder with Python's `cryptography`.

The values come from multi_format.py, an implementation of core/src/crypto/MULTI_RECIPIENT.md
that shares no code with sealsync's Rust. The file format is the one of ../generate.py, plus one
header for success vectors:

    recipients: <hex fingerprint> [<hex fingerprint> ...]   the keys the value names, in order

Key files are those of ../keys (the 3072-bit one is made here if missing).

    python3 tests/vectors/multi/generate.py            # write the vectors that have no file yet
    python3 tests/vectors/multi/generate.py --rewrite  # rewrite every *.vector file here
    python3 tests/vectors/multi/generate.py --check    # re-check the committed files with Python

The check also runs the Bitnami decoder of ../generate.py on every value: none may open there.
"""

import base64
import importlib.util
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import multi_format as mf  # noqa: E402


def _load_bitnami_generator():
    """../generate.py, the Bitnami vectors' generator: its helpers and its decoder."""
    spec = importlib.util.spec_from_file_location("bitnami_vectors", HERE.parent / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


bitnami = _load_bitnami_generator()


A, B, C, D, E = (
    "rsa2048-pkcs1.pem",
    "rsa4096-pkcs8.pem",
    "rsa2048-pkcs8.pem",
    "rsa4096-pkcs1.pem",
    "rsa3072-pkcs8.pem",
)


# The multi-recipient vectors also use a 3072-bit key, made by the shared helper if missing.
bitnami.KEY_FILES[E] = (3072, "pkcs8")
load_key = bitnami.load_or_make_key


flip = bitnami.flip


def entry_offsets(value):
    """Offset of each entry (its fingerprint) and of the body."""
    _, _, entries, header, _ = mf.parse(value)
    offsets, at = [], mf.HEADER_LEN
    for _, rsa_ct in entries:
        offsets.append(at)
        at += 34 + len(rsa_ct)
    return offsets, len(header)


def second_rsa_block(v):
    offsets, _ = entry_offsets(v)
    return flip(v, offsets[1] + 34 + 10)


def first_fingerprint(v):
    offsets, _ = entry_offsets(v)
    return flip(v, offsets[0] + 5)


def body_byte(v):
    _, body_at = entry_offsets(v)
    return flip(v, body_at)


def with_byte(index, byte):
    return lambda v: v[:index] + bytes([byte]) + v[index + 1 :]


def sealed_twice_to(public_key, plaintext, label):
    """A well-formed value that names one key twice: the format forbids it."""
    return mf.seal([public_key, public_key], plaintext, label)


def cut_in_first_entry(v):
    offsets, _ = entry_offsets(v)
    return v[: offsets[0] + 100]


VECTORS = [
    # --- success ----------------------------------------------------------------------------------
    dict(stem="two-recipients-opened-by-first", expect="success",
         comment="sealed to a 2048-bit and a 4096-bit key, opened with the first",
         seal=([A, B], "strict", "prod", "db"), open_keys=[A], plaintext=b"hunter2"),
    dict(stem="two-recipients-opened-by-second", expect="success",
         comment="sealed to a 2048-bit and a 4096-bit key, opened with the second",
         seal=([A, B], "strict", "prod", "db"), open_keys=[B], plaintext=b"hunter2"),
    dict(stem="five-recipients", expect="success",
         comment="five recipients of three key sizes, opened by the last one named (a 4096-bit PKCS#1 key)",
         seal=([A, B, C, E, D], "namespace-wide", "prod", "db"), open_keys=[D],
         plaintext=b"five clusters"),
    dict(stem="one-recipient", expect="success",
         comment="the multi-recipient format with a single recipient",
         seal=([C], "cluster-wide", "prod", "db"), open_keys=[C], plaintext=b"named key"),
    dict(stem="ring-skips-unnamed-keys", expect="success",
         comment="the opener offers a key the value does not name, then one it does",
         seal=([A, B], "strict", "team-a", "api"), open_keys=[C, B], opened_by=1,
         plaintext=bytes(range(256))),
    dict(stem="empty-plaintext", expect="success",
         comment="an empty value: the body is a bare 16-byte tag",
         seal=([A, D], "strict", "prod", "empty"), open_keys=[D], plaintext=b""),
    dict(stem="large-plaintext", expect="success",
         comment="256 KiB of 0x5a to two recipients",
         seal=([A, C], "strict", "prod", "big"), open_keys=[C],
         plaintext_repeat=(b"\x5a", 256 * 1024)),
    # --- failure ----------------------------------------------------------------------------------
    dict(stem="not-a-recipient", expect="failure",
         comment="sealed to two keys, opened with a third",
         seal=([A, B], "strict", "prod", "db"), open_keys=[C, D], plaintext=b"hunter2"),
    dict(stem="wrong-name", expect="failure",
         comment="sealed strict for prod/db, opened as prod/other",
         seal=([A, B], "strict", "prod", "db"), open_keys=[A, B], open_name="other",
         plaintext=b"hunter2"),
    dict(stem="tampered-other-entry", expect="failure",
         comment="a byte of the second recipient's RSA block flipped; opened by the first (the header is bound)",
         seal=([A, B], "strict", "prod", "db"), open_keys=[A], plaintext=b"hunter2",
         tamper=second_rsa_block),
    dict(stem="tampered-fingerprint", expect="failure",
         comment="a byte of the first recipient's fingerprint flipped; opened with both keys",
         seal=([A, B], "strict", "prod", "db"), open_keys=[A, B], plaintext=b"hunter2",
         tamper=first_fingerprint),
    dict(stem="tampered-nonce", expect="failure",
         comment="a byte of the nonce flipped",
         seal=([A, B], "strict", "prod", "db"), open_keys=[A, B], plaintext=b"hunter2",
         tamper=lambda v: flip(v, 12)),
    dict(stem="tampered-body", expect="failure",
         comment="the first byte of the GCM ciphertext flipped",
         seal=([A, B], "strict", "prod", "db"), open_keys=[A, B], plaintext=b"hunter2",
         tamper=body_byte),
    dict(stem="tampered-tag", expect="failure",
         comment="the last byte of the GCM tag flipped",
         seal=([A, B], "strict", "prod", "db"), open_keys=[A, B], plaintext=b"hunter2",
         tamper=lambda v: flip(v, len(v) - 1)),
    dict(stem="version-two", expect="failure",
         comment="version byte 2: unknown versions are refused",
         seal=([A, B], "strict", "prod", "db"), open_keys=[A, B], plaintext=b"hunter2",
         tamper=with_byte(6, 2)),
    dict(stem="count-zero", expect="failure",
         comment="recipient count 0",
         seal=([A, B], "strict", "prod", "db"), open_keys=[A, B], plaintext=b"hunter2",
         tamper=with_byte(7, 0)),
    dict(stem="count-one-short", expect="failure",
         comment="recipient count 1 for two entries: the second entry is read as the body",
         seal=([A, B], "strict", "prod", "db"), open_keys=[A, B], plaintext=b"hunter2",
         tamper=with_byte(7, 1)),
    dict(stem="count-one-too-many", expect="failure",
         comment="recipient count 3 for two entries",
         seal=([A, B], "strict", "prod", "db"), open_keys=[A, B], plaintext=b"hunter2",
         tamper=with_byte(7, 3)),
    dict(stem="duplicate-recipient", expect="failure",
         comment="a well-formed, correctly encrypted value that names the same key twice",
         seal=([A], "strict", "prod", "db"), open_keys=[A], plaintext=b"hunter2",
         sealer=lambda keys, p, l: sealed_twice_to(keys[0], p, l)),
    dict(stem="uncommitted-session-key", expect="failure",
         comment="the second entry wraps another session key than the committed one (the body opens under the first's)",
         seal=([A, B], "strict", "prod", "db"), open_keys=[B], plaintext=b"hunter2",
         sealer=lambda keys, p, l: mf.seal(keys, p, l, wrapped_keys=[None, os.urandom(32)])),
    dict(stem="tampered-commitment", expect="failure",
         comment="a byte of the key commitment flipped",
         seal=([A, B], "strict", "prod", "db"), open_keys=[A, B], plaintext=b"hunter2",
         tamper=lambda v: flip(v, 30)),
    dict(stem="truncated-in-entry", expect="failure",
         comment="cut 100 bytes into the first entry",
         seal=([A, B], "strict", "prod", "db"), open_keys=[A, B], plaintext=b"hunter2",
         tamper=cut_in_first_entry),
    dict(stem="truncated-tag", expect="failure",
         comment="the last byte removed",
         seal=([A, B], "strict", "prod", "db"), open_keys=[A, B], plaintext=b"hunter2",
         tamper=lambda v: v[:-1]),
    dict(stem="magic-only", expect="failure",
         comment="the six magic bytes and nothing else",
         seal=([A], "strict", "prod", "db"), open_keys=[A], plaintext=b"x",
         tamper=lambda v: v[:6]),
]


def render(v, value):
    _, scope, namespace, name = v["seal"]
    open_ns = v.get("open_namespace", namespace)
    open_name = v.get("open_name", name)
    lines = [
        f"expect: {v['expect']}",
        f"comment: {v['comment']}",
        "key: " + " ".join(v["open_keys"]),
    ]
    if "opened_by" in v:
        lines.append(f"opened-by: {v['opened_by']}")
    lines += [
        f"scope: {scope}",
        f"namespace: {open_ns}",
        f"name: {open_name}",
        f"label: {bitnami.scope_label(scope, open_ns, open_name).hex()}",
    ]
    if v["expect"] == "success":
        entries = mf.parse(value)[2]
        lines.append("recipients: " + " ".join(fp.hex() for fp, _ in entries))
        if "plaintext_repeat" in v:
            unit, count = v["plaintext_repeat"]
            lines.append(f"plaintext-repeat: {unit.hex()}*{count}")
        else:
            lines.append(f"plaintext: {v['plaintext'].hex()}")
    text = base64.b64encode(value).decode()
    body = [text[i : i + 76] for i in range(0, len(text), 76)]
    return "".join(line + "\n" for line in lines) + "\n" + "".join(line + "\n" for line in body)


def generate(rewrite):
    if rewrite:
        for old in HERE.glob("*.vector"):
            old.unlink()
    written = 0
    for v in VECTORS:
        path = HERE / f"{v['stem']}.vector"
        if path.exists():
            continue
        key_files, scope, namespace, name = v["seal"]
        publics = [load_key(f).public_key() for f in key_files]
        plaintext = bitnami.plaintext_of(v)
        label = bitnami.scope_label(scope, namespace, name)
        value = v.get("sealer", mf.seal)(publics, plaintext, label)
        value = v.get("tamper", lambda b: b)(value)
        path.write_text(render(v, value))
        written += 1
    print(f"wrote {written} of {len(VECTORS)} vectors to {HERE}")
    return check()


def check():
    """Opens every committed vector with multi_format.py and compares with its `expect:`; no
    value may open as a Bitnami value."""
    failures = 0
    paths = sorted(HERE.glob("*.vector"))
    for path in paths:
        fields, value = bitnami.parse(path)
        label = bytes.fromhex(fields["label"])
        keys = [load_key(f) for f in fields["key"].split()]
        opened = mf.open_value(keys, value, label)
        if fields["expect"] == "failure":
            ok = opened is None
        else:
            if "plaintext-repeat" in fields:
                unit, count = fields["plaintext-repeat"].split("*")
                want = bytes.fromhex(unit) * int(count)
            else:
                want = bytes.fromhex(fields["plaintext"])
            ok = opened == (want, int(fields.get("opened-by", "0")))
            named = [fp.hex() for fp, _ in mf.parse(value)[2]]
            ok = ok and named == fields["recipients"].split()
        if any(bitnami.hybrid_decrypt(k, value, label) is not None for k in keys):
            print(f"{path.name}: opens as a Bitnami value")
            ok = False
        if not ok:
            print(f"{path.name}: Python disagrees with expect: {fields['expect']}")
            failures += 1
    print(f"checked {len(paths)} multi-recipient vectors with Python cryptography: "
          f"{failures} disagreement(s)")
    return 1 if failures else 0


def main():
    bitnami.run_cli(__doc__, check, generate)


if __name__ == "__main__":
    main()
