"""sealsync's multi-recipient value format, version 1, written from its specification
(core/src/crypto/MULTI_RECIPIENT.md) with Python's `cryptography`: an implementation independent
of the Rust one, used to write the vectors beside this file and by core/tests/multi_interop.rs.

    magic 00 00 73 73 6d 72 || version 01 || n || nonce[12]
    || commitment[32] = HMAC-SHA256(key = session key, msg = COMMITMENT_CONTEXT)
    || n * (sha256(SPKI DER)[32] || u16 BE len || RSA-OAEP(session key, label = scope label))
    || AES-256-GCM(session key, nonce, plaintext, associated data = everything before) || tag
"""

import hashlib
import hmac
import os

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

MAGIC = b"\x00\x00ssmr"
VERSION = 1
COMMITMENT_CONTEXT = b"sealsync multi-recipient v1 key commitment"
HEADER_LEN = 6 + 2 + 12 + 32


def commitment(session_key):
    return hmac.new(session_key, COMMITMENT_CONTEXT, hashlib.sha256).digest()


def oaep(label):
    return padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=label)


def fingerprint(public_key):
    """SHA-256 of the key's SubjectPublicKeyInfo, DER."""
    der = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(der).digest()


def seal(public_keys, plaintext, label, wrapped_keys=None):
    """`wrapped_keys`, for vectors only, gives each recipient its own session key to wrap: a
    value the format must refuse for every recipient whose key is not the committed one."""
    if not 1 <= len(public_keys) <= 255:
        raise ValueError("1 to 255 recipients")
    session_key = os.urandom(32)
    nonce = os.urandom(12)
    header = MAGIC + bytes([VERSION, len(public_keys)]) + nonce + commitment(session_key)
    for i, key in enumerate(public_keys):
        wrapped = session_key if wrapped_keys is None else wrapped_keys[i] or session_key
        rsa_ct = key.encrypt(wrapped, oaep(label))
        header += fingerprint(key) + len(rsa_ct).to_bytes(2, "big") + rsa_ct
    return header + AESGCM(session_key).encrypt(nonce, plaintext, header)


def parse(value):
    """(nonce, commitment, [(fingerprint, rsa_ct)], header, body), or None if the layout is
    wrong."""
    if not value.startswith(MAGIC) or len(value) < HEADER_LEN:
        return None
    version, count = value[6], value[7]
    if version != VERSION or count == 0:
        return None
    nonce = value[8:20]
    committed = value[20:52]
    at = HEADER_LEN
    entries = []
    for _ in range(count):
        if len(value) < at + 34:
            return None
        fp = value[at : at + 32]
        n = int.from_bytes(value[at + 32 : at + 34], "big")
        if not 128 <= n <= 1024 or len(value) < at + 34 + n:
            return None
        if any(fp == seen for seen, _ in entries):
            return None
        entries.append((fp, value[at + 34 : at + 34 + n]))
        at += 34 + n
    if len(value) - at < 16:
        return None
    return nonce, committed, entries, value[:at], value[at:]


def open_value(private_keys, value, label):
    """(plaintext, index of the key that opened it), or None. Only named keys are tried."""
    parsed = parse(value)
    if parsed is None:
        return None
    nonce, committed, entries, header, body = parsed
    for index, key in enumerate(private_keys):
        mine = fingerprint(key.public_key())
        for fp, rsa_ct in entries:
            if fp != mine:
                continue
            try:
                session_key = key.decrypt(rsa_ct, oaep(label))
                if not hmac.compare_digest(commitment(session_key), committed):
                    continue
                return AESGCM(session_key).decrypt(nonce, body, header), index
            except Exception:  # noqa: BLE001 - any layer failing means "does not open"
                pass
    return None
