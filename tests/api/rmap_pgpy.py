"""An RMAP client on PGPy, the OpenPGP library RMAP 1.0.2 clients use: an implementation
independent of the server's librnp. It encodes messages in the four payload encodings seen in
the wild and decodes replies exactly as RMAP 1.0.2 does (compat-contract.md §4.2)."""

import base64
import binascii
import json
import re
import warnings

import pgpy
from pgpy.constants import (CompressionAlgorithm, EllipticCurveOID, HashAlgorithm, KeyFlags,
                            PubKeyAlgorithm, SymmetricKeyAlgorithm)

# PGPy 0.6 warns about its own use of deprecated `cryptography` APIs on every operation.
warnings.filterwarnings("ignore", module="pgpy")
warnings.filterwarnings("ignore", category=UserWarning)
try:
    from cryptography.utils import CryptographyDeprecationWarning
    warnings.filterwarnings("ignore", category=CryptographyDeprecationWarning)
except ImportError:  # pragma: no cover
    pass

STRICT_B64 = re.compile(r"^[A-Za-z0-9+/]+={0,2}$")


def new_rsa_key(name, bits=2048):
    """What rmap's keygen makes: an RSA EncryptOrSign primary key, no subkey."""
    key = pgpy.PGPKey.new(PubKeyAlgorithm.RSAEncryptOrSign, bits)
    key.add_uid(pgpy.PGPUID.new(name, email=f"{name.lower()}@example.com"),
                usage={KeyFlags.EncryptCommunications, KeyFlags.EncryptStorage},
                hashes=[HashAlgorithm.SHA256], ciphers=[SymmetricKeyAlgorithm.AES256],
                compression=[CompressionAlgorithm.ZIP])
    return key


def new_curve25519_key(name):
    """Ed25519 primary with a Cv25519 (ECDH) encryption subkey, as several groups use."""
    key = pgpy.PGPKey.new(PubKeyAlgorithm.EdDSA, EllipticCurveOID.Ed25519)
    key.add_uid(pgpy.PGPUID.new(name, email=f"{name.lower()}@example.com"),
                usage={KeyFlags.Sign, KeyFlags.Certify}, hashes=[HashAlgorithm.SHA256],
                ciphers=[SymmetricKeyAlgorithm.AES256], compression=[CompressionAlgorithm.ZIP])
    sub = pgpy.PGPKey.new(PubKeyAlgorithm.ECDH, EllipticCurveOID.Curve25519)
    key.add_subkey(sub, usage={KeyFlags.EncryptCommunications, KeyFlags.EncryptStorage})
    return key


def load_key(path):
    key, _ = pgpy.PGPKey.from_file(path)
    return key


def encrypt(obj, recipient_pub):
    """json.dumps defaults, a ZIP-compressed literal packet (PGPy's default), encrypted."""
    return recipient_pub.encrypt(pgpy.PGPMessage.new(json.dumps(obj)))


def _armor_body_lines(msg):
    lines = str(msg).strip().splitlines()
    body = [ln for ln in lines if not ln.startswith("-----")]
    if "" in body:
        body = body[body.index("") + 1:]
    return body


def f1(msg):
    """base64 of the full ASCII armor."""
    return base64.b64encode(str(msg).encode()).decode()


def f2(msg):
    """base64 of the armor body, CRC line included."""
    return base64.b64encode("\n".join(_armor_body_lines(msg)).encode()).decode()


def f3(msg, crc=True):
    """The armor body itself, multi-line, with or without the CRC line."""
    body = _armor_body_lines(msg)
    if not crc:
        body = [ln for ln in body if not ln.startswith("=")]
    return "\n".join(body)


def f4(msg):
    """RMAP 1.0.2's encoding, by its own recipe: strip the armor and join the lines."""
    lines = str(msg).splitlines()
    lines = [ln for ln in lines if not ln.startswith("-----")]
    if "" in lines:
        lines = lines[lines.index("") + 1:]
    if lines and lines[-1].startswith("="):
        lines = lines[:-1]
    joined = "".join(lines)
    assert joined == base64.b64encode(bytes(msg)).decode()
    return joined


ENCODINGS = {"F1": f1, "F2": f2, "F3": f3, "F3-no-crc": lambda m: f3(m, crc=False), "F4": f4}


def _crc24(data):
    crc = 0xB704CE
    for byte in data:
        crc ^= byte << 16
        for _ in range(8):
            crc <<= 1
            if crc & 0x1000000:
                crc ^= 0x1864CFB
    return crc & 0xFFFFFF


def decode_reply(body, private_key, passphrase=None):
    """RMAP 1.0.2's receive path: {"payload": str}, strict base64, armor rebuilt with a fresh
    CRC, parsed and decrypted by PGPy, JSON object out. Raises on any deviation."""
    if not isinstance(body, dict) or not isinstance(body.get("payload"), str):
        raise ValueError(f"not a payload object: {body!r}")
    payload = body["payload"]
    if not STRICT_B64.match(payload):
        raise ValueError("payload is not one line of strict base64")
    binary = base64.b64decode(payload, validate=True)
    b64 = base64.b64encode(binary).decode()
    crc = base64.b64encode(_crc24(binary).to_bytes(3, "big")).decode()
    armored = ("-----BEGIN PGP MESSAGE-----\n\n"
               + "\n".join(b64[i:i + 64] for i in range(0, len(b64), 64))
               + f"\n={crc}\n-----END PGP MESSAGE-----\n")
    msg = pgpy.PGPMessage.from_blob(armored)
    if passphrase:
        with private_key.unlock(passphrase):
            plain = private_key.decrypt(msg).message
    else:
        plain = private_key.decrypt(msg).message
    if isinstance(plain, (bytes, bytearray)):
        plain = plain.decode("utf-8")
    obj = json.loads(plain)
    if not isinstance(obj, dict):
        raise ValueError("plaintext is not a JSON object")
    return obj, msg


def recipient_key_ids(msg):
    """Key ids named in the message's PKESK packets (a hidden recipient would be all zeros)."""
    return set(msg.encrypters)


def key_ids(key):
    return {key.fingerprint.keyid} | {sub.fingerprint.keyid for sub in key.subkeys.values()}


def is_b64(text):
    try:
        base64.b64decode(text, validate=True)
        return True
    except binascii.Error:
        return False
