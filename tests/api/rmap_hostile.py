"""Hostile RMAP messages, built with PGPy's packet classes: what an attacker holding only the
server's public key can send. Each one is a valid OpenPGP message that a permissive decryptor
would work through, paying one private-key operation per key packet or per nested layer."""

import binascii
import json

import pgpy
from pgpy.constants import SymmetricKeyAlgorithm
from pgpy.packet.packets import IntegrityProtectedSKEDataV1, PKESessionKeyV3

import rmap_pgpy as pg  # noqa: F401  (applies PGPy's warning filters)

AES = SymmetricKeyAlgorithm.AES256


def encryption_key(pub):
    """The (sub)key PGPy encrypts to: the first encryption-capable subkey, else the primary."""
    for sub in pub.subkeys.values():
        return sub
    return pub


def pkesk(pub, sessionkey, key_id=None):
    """One key packet for `pub` carrying `sessionkey` (bytes of the packet, header included);
    `key_id` overrides the key id it names (all zeros: a hidden recipient)."""
    key = encryption_key(pub)
    packet = PKESessionKeyV3()
    packet.encrypter = bytearray(key_id if key_id is not None
                                 else binascii.unhexlify(key.fingerprint.keyid.encode("latin-1")))
    packet.pkalg = key.key_algorithm
    packet.encrypt_sk(key._key, AES, sessionkey)
    return bytes(packet)


def seipd(sessionkey, inner):
    packet = IntegrityProtectedSKEDataV1()
    packet.encrypt(sessionkey, AES, bytes(inner))
    return bytes(packet)


def literal(obj):
    return bytes(pgpy.PGPMessage.new(json.dumps(obj)))


def many_key_packets(obj, pub, count):
    """`count - 1` key packets for the server key with wrong session keys, then the right one:
    a decryptor that tries every packet does `count` private-key operations."""
    right = AES.gen_key()
    packets = b"".join(pkesk(pub, AES.gen_key()) for _ in range(count - 1))
    return packets + pkesk(pub, right) + seipd(right, literal(obj))


def nested(obj, pub, depth):
    """`depth` layers, each encrypted to the server key: one private-key operation per layer."""
    message = literal(obj)
    for _ in range(depth):
        key = AES.gen_key()
        message = pkesk(pub, key) + seipd(key, message)
    return message


def hidden_recipient(obj, pub):
    """A key packet whose key id is all zeros (a 'hidden' recipient): a decryptor would try
    every secret key it has."""
    key = AES.gen_key()
    return pkesk(pub, key, key_id=b"\0" * 8) + seipd(key, literal(obj))


def payload(binary):
    import base64
    return base64.b64encode(binary).decode()
