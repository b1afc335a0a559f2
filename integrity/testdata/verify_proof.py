#!/usr/bin/env python3
"""An independent verifier of an auditgraph entry proof, written from the
specifications only (no auditgraph code): the entry encoding documented in
the package documentation of integrity/ (`go doc ./integrity`), RFC 6962/9162 Merkle inclusion proofs, the C2SP signed-note and
tlog-checkpoint formats, and Ed25519 (RFC 8032, section 6 reference code).
Python's standard library only.

Usage: verify_proof.py VERIFIER_KEY < proof.json
Prints "ok <stream> <index> <size>" and exits 0, or prints why and exits 1.

       verify_proof.py VERIFIER_KEY consistency < {"old": NOTE, "new": NOTE, "proof": [...]}
checks that the newer signed checkpoint extends the older one (RFC 9162,
section 2.1.4.2) and prints "ok <stream> <old size> <new size>".
"""
import base64
import hashlib
import json
import struct
import sys

# --- Ed25519 verification (RFC 8032, section 6) -----------------------------
p = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493
d = -121665 * pow(121666, p - 2, p) % p
I = pow(2, (p - 1) // 4, p)


def inv(x):
    return pow(x, p - 2, p)


def recover_x(y, sign):
    if y >= p:
        return None
    x2 = (y * y - 1) * inv(d * y * y + 1)
    if x2 == 0:
        return None if sign else 0
    x = pow(x2, (p + 3) // 8, p)
    if (x * x - x2) % p != 0:
        x = x * I % p
    if (x * x - x2) % p != 0:
        return None
    if (x & 1) != sign:
        x = p - x
    return x


def point_add(P, Q):
    A = (P[1] - P[0]) * (Q[1] - Q[0]) % p
    B = (P[1] + P[0]) * (Q[1] + Q[0]) % p
    C = 2 * P[3] * Q[3] * d % p
    D = 2 * P[2] * Q[2] % p
    E, F, G, H = B - A, D - C, D + C, B + A
    return (E * F % p, G * H % p, F * G % p, E * H % p)


def point_mul(s, P):
    Q = (0, 1, 1, 0)
    while s > 0:
        if s & 1:
            Q = point_add(Q, P)
        P = point_add(P, P)
        s >>= 1
    return Q


def point_equal(P, Q):
    return (P[0] * Q[2] - Q[0] * P[2]) % p == 0 and (P[1] * Q[2] - Q[1] * P[2]) % p == 0


gy = 4 * inv(5) % p
gx = recover_x(gy, 0)
G = (gx, gy, 1, gx * gy % p)


def decompress(s):
    y = int.from_bytes(s, "little")
    sign = y >> 255
    y &= (1 << 255) - 1
    x = recover_x(y, sign)
    return None if x is None else (x, y, 1, x * y % p)


def ed25519_verify(public, msg, sig):
    if len(public) != 32 or len(sig) != 64:
        return False
    A = decompress(public)
    R = decompress(sig[:32])
    if A is None or R is None:
        return False
    s = int.from_bytes(sig[32:], "little")
    if s >= L:
        return False
    h = int.from_bytes(hashlib.sha512(sig[:32] + public + msg).digest(), "little") % L
    return point_equal(point_mul(s, G), point_add(R, point_mul(h, A)))


# --- RFC 6962 hashing and inclusion (RFC 9162, section 2.1.3.2) -------------
def leaf_hash(data):
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def root_from_inclusion(index, size, leaf, path):
    if index >= size:
        raise ValueError("index beyond the tree")
    fn, sn, r = index, size - 1, leaf
    for c in path:
        if sn == 0:
            raise ValueError("proof too long")
        if fn & 1 or fn == sn:
            r = node_hash(c, r)
            if not fn & 1:
                while fn & 1 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ValueError("proof too short")
    return r


def verify_consistency(size1, size2, proof, root1, root2):
    if size1 == size2:
        return not proof and root1 == root2
    if size1 == 0:
        return not proof
    if size1 & (size1 - 1) == 0:  # a power of two: its root starts the path
        proof = [root1] + proof
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    if not proof:
        return False
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn & 1 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == root1 and sr == root2


# --- The entry encoding (integrity/doc.go, "Canonical entry encoding") ------
def decode_entry(b):
    magic = b"auditgraph-entry"
    if b[: len(magic)] != magic or b[len(magic)] != 1:
        raise ValueError("not a version 1 auditgraph entry")
    kind, pos, fields = b[len(magic) + 1], len(magic) + 2, []
    while pos < len(b):
        tag = b[pos]
        pos += 1
        if tag == 0:
            fields.append(None)
        elif tag == 1:
            (n,) = struct.unpack(">I", b[pos : pos + 4])
            fields.append(b[pos + 4 : pos + 4 + n].decode("utf-8"))
            pos += 4 + n
        elif tag in (2, 3):
            (v,) = struct.unpack(">q", b[pos : pos + 8])
            fields.append(v)
            pos += 8
        else:
            raise ValueError("unknown tag %d" % tag)
    if pos != len(b):
        raise ValueError("truncated entry")
    # Version 1's columns always; columns added later up to the last one
    # that is not NULL ("Columns added later").
    want = {1: 14, 2: 16, 3: 14}.get(kind)
    if want is None or len(fields) < want:
        raise ValueError("kind %s has %d fields, want at least %s" % (kind, len(fields), want))
    if len(fields) > want and fields[-1] is None:
        raise ValueError("an added column ends the entry with a NULL")
    return kind, fields


# --- Signed note and checkpoint (C2SP signed-note, tlog-checkpoint) ---------
def open_note(note, vkey):
    name, key_hash, key = vkey.split("+", 2)
    key = base64.b64decode(key)
    if key[0] != 1:
        raise ValueError("not an Ed25519 verifier key")
    text, sep, sigs = note.partition("\n\n")
    if not sep:
        raise ValueError("note without signatures")
    text += "\n"
    for line in sigs.splitlines():
        if not line.startswith("\u2014 "):
            continue
        signer, sig = line[2:].split(" ")
        sig = base64.b64decode(sig)
        if signer == name and sig[:4] == bytes.fromhex(key_hash):
            if ed25519_verify(key[1:], text.encode(), sig[4:]):
                return text
            raise ValueError("bad signature")
    raise ValueError("no signature by %s" % name)


def consistency(vkey):
    doc = json.load(sys.stdin)
    old = open_note(doc["old"], vkey).splitlines()
    new = open_note(doc["new"], vkey).splitlines()
    if old[0] != new[0]:
        raise ValueError("checkpoints of %s and %s" % (old[0], new[0]))
    path = [base64.b64decode(h) for h in doc["proof"]]
    if not verify_consistency(int(old[1]), int(new[1]), path, base64.b64decode(old[2]), base64.b64decode(new[2])):
        raise ValueError("the newer checkpoint does not extend the older one")
    print("ok %s %s %s" % (old[0][len("auditgraph/"):], old[1], new[1]))


def main():
    vkey = sys.argv[1]
    if sys.argv[2:] == ["consistency"]:
        return consistency(vkey)
    proof = json.load(sys.stdin)
    data = base64.b64decode(proof["leafData"])
    kind, fields = decode_entry(data)
    if fields[0] != proof["entryId"]:
        raise ValueError("leaf data is of entry %s" % fields[0])
    leaf = leaf_hash(data)
    if leaf != base64.b64decode(proof["leafHash"]):
        raise ValueError("leaf hash mismatch")
    origin, size, root = open_note(proof["checkpoint"], vkey).splitlines()[:3]
    if origin != "auditgraph/" + proof["stream"] or int(size) != proof["treeSize"]:
        raise ValueError("checkpoint of %s at %s" % (origin, size))
    path = [base64.b64decode(h) for h in proof["inclusionProof"]]
    if root_from_inclusion(proof["leafIndex"], int(size), leaf, path) != base64.b64decode(root):
        raise ValueError("inclusion proof does not reach the signed root")
    print("ok %s %d %s" % (proof["stream"], proof["leafIndex"], size))


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # report, exit 1
        print("FAILED: %s" % e)
        sys.exit(1)
