#!/usr/bin/env python3
"""Independent verifier for the bizing access log, written from docs/access-log-format.md.

Reads the frozen vectors (crates/core/tests/data/access_log_vectors.json, or the path given as
the first argument) and checks, with the standard library and `cryptography` only: the event
encoding, salted leaves and roots; every inclusion and consistency proof (RFC 9162 section
2.1.3 and 2.1.4 algorithms); the checkpoint notes, key ID and ECDSA P-256 signatures; the
patient's view as a client would check it; and that tampered copies fail.

Prints one line per failed check and a closing line `N passed, M failed`; exits non-zero if
any check failed.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import re
import sys
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

DEFAULT_VECTORS = Path(__file__).resolve().parents[2] / "crates/core/tests/data/access_log_vectors.json"

SIGNATURE_TYPE = b"\xff"
SIGNATURE_ALGORITHM_ID = b"bizing/ecdsa-p256-sha256-p1363"
EMPTY_ROOT = hashlib.sha256(b"").digest()
TOKEN = re.compile(r"[a-z][a-z0-9_]{0,31}")
CANONICAL_DECIMAL = re.compile(r"0|[1-9][0-9]*")
MAX_U64 = 2**64 - 1


class Rejected(Exception):
    """A verification failure, with the error class the document names."""

    def __init__(self, kind: str, why: str = ""):
        super().__init__(f"{kind}: {why}" if why else kind)
        self.kind = kind


# --- Sections 1-3: events, encoding, leaves -------------------------------------------------

EVENT_KEYS = {"tenantId", "patientId", "actor", "resource", "action", "at", "from"}


def _text(value: object) -> bytes:
    if not isinstance(value, str):
        raise Rejected("malformed_event", "text field is not a string")
    data = value.encode("utf-8")
    if len(data) > 0xFFFF:
        raise Rejected("malformed_event", "text field longer than 65535 bytes")
    return len(data).to_bytes(2, "big") + data


def _token(value: object) -> bytes:
    if not isinstance(value, str) or not TOKEN.fullmatch(value):
        raise Rejected("malformed_event", f"not a token: {value!r}")
    return _text(value)


def encode_event(event: dict) -> bytes:
    """Section 2: the canonical encoding of an event in its JSON form."""
    if set(event) != EVENT_KEYS:
        raise Rejected("malformed_event", "event members")
    actor, resource = event["actor"], event["resource"]
    if set(actor) != {"userId", "role", "displayName"} or set(resource) != {"kind", "id"}:
        raise Rejected("malformed_event", "actor or resource members")
    at = event["at"]
    if not isinstance(at, int) or isinstance(at, bool) or not 0 <= at <= MAX_U64:
        raise Rejected("malformed_event", "at")
    return (
        b"\x01"
        + _text(event["tenantId"])
        + _text(event["patientId"])
        + _text(actor["userId"])
        + _token(actor["role"])
        + _text(actor["displayName"])
        + _token(resource["kind"])
        + _text(resource["id"])
        + _token(event["action"])
        + at.to_bytes(8, "big")
        + _token(event["from"])
    )


def leaf_input(salt: bytes, event_bytes: bytes) -> bytes:
    """Section 3."""
    if len(salt) != 32:
        raise Rejected("malformed_event", "salt is not 32 bytes")
    return hashlib.sha256(salt + event_bytes).digest()


def leaf_hash(entry: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + entry).digest()


def node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


# --- Sections 4-6: the tree and its proofs --------------------------------------------------


def split(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(leaves: list[bytes]) -> bytes:
    """Section 4, over leaf hashes."""
    if not leaves:
        return EMPTY_ROOT
    if len(leaves) == 1:
        return leaves[0]
    k = split(len(leaves))
    return node(mth(leaves[:k]), mth(leaves[k:]))


def path(m: int, leaves: list[bytes]) -> list[bytes]:
    """Section 5: PATH(m, D[n])."""
    if len(leaves) <= 1:
        return []
    k = split(len(leaves))
    if m < k:
        return path(m, leaves[:k]) + [mth(leaves[k:])]
    return path(m - k, leaves[k:]) + [mth(leaves[:k])]


def subproof(m: int, leaves: list[bytes], b: bool) -> list[bytes]:
    """Section 6: SUBPROOF(m, D[n], b)."""
    if m == len(leaves):
        return [] if b else [mth(leaves)]
    k = split(len(leaves))
    if m <= k:
        return subproof(m, leaves[:k], b) + [mth(leaves[k:])]
    return subproof(m - k, leaves[k:], False) + [mth(leaves[:k])]


def _hashes_ok(*values: bytes) -> bool:
    return all(isinstance(v, bytes) and len(v) == 32 for v in values)


def verify_inclusion(leaf: bytes, m: int, n: int, proof: list[bytes], root: bytes) -> bool:
    """Section 5, the RFC 9162 section 2.1.3.2 algorithm."""
    if not _hashes_ok(leaf, root, *proof):
        return False
    if m >= n:
        return False
    fn, sn, r = m, n - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(first: int, second: int, first_hash: bytes, second_hash: bytes, proof: list[bytes]) -> bool:
    """Section 6, the RFC 9162 section 2.1.4.2 algorithm plus this format's edge cases."""
    if not _hashes_ok(first_hash, second_hash, *proof):
        return False
    if first > second:
        return False
    if first == second:
        return not proof and first_hash == second_hash
    if first == 0:
        return not proof and first_hash == EMPTY_ROOT
    if not proof:
        return False
    path_ = list(proof)
    if first & (first - 1) == 0:
        path_.insert(0, first_hash)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path_[0]
    for c in path_[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node(c, fr)
            sr = node(c, sr)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == first_hash and sr == second_hash and sn == 0


# --- Section 7: checkpoints -----------------------------------------------------------------


def b64decode_canonical(text: str, urlsafe_unpadded: bool = False) -> bytes | None:
    """Decodes base64 (padded, standard) or base64url (unpadded), accepting only the canonical form."""
    try:
        if urlsafe_unpadded:
            if "=" in text:
                return None
            data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
            again = base64.urlsafe_b64encode(data).decode().rstrip("=")
        else:
            data = base64.b64decode(text, validate=True)
            again = base64.b64encode(data).decode()
    except (ValueError, UnicodeError):
        return None
    return data if again == text else None


def key_id(key_name: str, public_sec1_uncompressed: bytes) -> bytes:
    """Section 7.2."""
    return hashlib.sha256(
        key_name.encode("utf-8") + b"\x0a" + SIGNATURE_TYPE + SIGNATURE_ALGORITHM_ID + public_sec1_uncompressed
    ).digest()[:4]


def _is_name(name: str) -> bool:
    return (
        0 < len(name.encode("utf-8")) <= 255
        and not any(c.isspace() or c == "+" or _is_cc(c) for c in name)
    )


def _is_cc(c: str) -> bool:
    o = ord(c)
    return o <= 0x1F or 0x7F <= o <= 0x9F


def _uncompressed(public_key: ec.EllipticCurvePublicKey) -> bytes:
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    return public_key.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)


def verify_checkpoint(note: str, origin: str, public_key: ec.EllipticCurvePublicKey, key_name: str) -> tuple[str, int, bytes]:
    """Section 7.3. Returns (origin, size, root) or raises Rejected with the error class."""
    if len(note.encode("utf-8")) > 65536:
        raise Rejected("malformed", "too long")
    if any(_is_cc(c) and c != "\n" for c in note):
        raise Rejected("malformed", "control character")
    at = note.rfind("\n\n")
    if at < 0:
        raise Rejected("malformed", "no blank line")
    body, block = note[: at + 1], note[at + 2 :]
    if not block or not block.endswith("\n"):
        raise Rejected("malformed", "no signatures or no final newline")
    lines = block[:-1].split("\n")
    if any(line == "" for line in lines):
        raise Rejected("malformed", "empty signature line")
    body_lines = body[:-1].split("\n")
    if len(body_lines) != 3:
        raise Rejected("malformed", "body is not three lines")
    got_origin, size_text, root_text = body_lines
    if not got_origin:
        raise Rejected("malformed", "empty origin")
    if not CANONICAL_DECIMAL.fullmatch(size_text) or int(size_text) > MAX_U64:
        raise Rejected("malformed", "size")
    root = b64decode_canonical(root_text) if len(root_text) == 44 else None
    if root is None or len(root) != 32:
        raise Rejected("malformed", "root")
    if got_origin != origin:
        raise Rejected("wrong_origin")
    if len(lines) > 16:
        raise Rejected("malformed", "too many signatures")
    expected_id = key_id(key_name, _uncompressed(public_key))
    ours = []
    for line in lines:
        if not line.startswith("\u2014 "):
            raise Rejected("malformed", "no em dash")
        rest = line[2:]
        if " " not in rest:
            raise Rejected("malformed", "no signature")
        name, sig_text = rest.split(" ", 1)
        if not _is_name(name):
            raise Rejected("malformed", "key name")
        blob = b64decode_canonical(sig_text)
        if blob is None or len(blob) < 5:
            raise Rejected("malformed", "signature encoding")
        if name == key_name and blob[:4] == expected_id:
            ours.append(blob)
    if len(ours) > 1:
        raise Rejected("malformed", "two signatures from the log key")
    if not ours:
        raise Rejected("unknown_key")
    signature = ours[0][4:]
    if len(signature) != 64:
        raise Rejected("bad_signature", "not 64 bytes")
    r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    try:
        public_key.verify(encode_dss_signature(r, s), body.encode("utf-8"), ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, ValueError) as e:
        raise Rejected("bad_signature") from e
    return got_origin, int(size_text), root


# --- Section 8: the client ------------------------------------------------------------------


def parse_tree_head(text: str) -> tuple[int, bytes]:
    m = re.fullmatch(r"bzh1\.(0|[1-9][0-9]*)\.([A-Za-z0-9_-]{43})", text)
    root = b64decode_canonical(m.group(2), urlsafe_unpadded=True) if m else None
    if not m or int(m.group(1)) > MAX_U64 or root is None or len(root) != 32:
        raise Rejected("malformed_tree_head")
    return int(m.group(1)), root


def format_tree_head(size: int, root: bytes) -> str:
    return f"bzh1.{size}.{base64.urlsafe_b64encode(root).decode().rstrip('=')}"


def client_verify(view: dict, log: dict, public_key: ec.EllipticCurvePublicKey) -> str:
    """Section 8: returns the new stored head, or raises Rejected."""
    trusted_size, trusted_root = parse_tree_head(view["trusted_tree_head"])
    _, size, root = verify_checkpoint(view["checkpoint"], log["origin"], public_key, log["key_name"])
    if size < trusted_size:
        raise Rejected("rollback")
    consistency = [bytes.fromhex(h) for h in view["consistency_proof"]]
    if not verify_consistency(trusted_size, size, trusted_root, root, consistency):
        raise Rejected("inconsistent")
    for position, item in enumerate(view["events"]):
        leaf = leaf_hash(leaf_input(bytes.fromhex(item["salt"]), encode_event(item["event"])))
        proof = [bytes.fromhex(h) for h in item["inclusion_proof"]]
        if not verify_inclusion(leaf, item["leaf_index"], size, proof, root):
            raise Rejected("inclusion_failed", f"event {position}")
    return format_tree_head(size, root)


# --- Checks ---------------------------------------------------------------------------------


class Tally:
    def __init__(self) -> None:
        self.passed = 0
        self.failed = 0

    def check(self, name: str, ok: bool) -> None:
        if ok:
            self.passed += 1
        else:
            self.failed += 1
            print(f"FAIL {name}")

    def rejects(self, name: str, fn, kind: str | None = None) -> None:
        """`fn` must raise Rejected (of `kind`, if given)."""
        try:
            fn()
        except Rejected as e:
            self.check(f"{name} (got {e.kind}, want {kind})", kind is None or e.kind == kind)
            return
        self.check(f"{name}: accepted", False)


def flip(hex_text: str, byte: int = 0) -> str:
    data = bytearray(bytes.fromhex(hex_text))
    data[byte] ^= 0x01
    return data.hex()


def main() -> int:
    vectors_path = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_VECTORS
    v = json.loads(vectors_path.read_text(encoding="utf-8"))
    t = Tally()
    log = v["log"]

    # The key: scalar -> point, point -> key ID.
    public_sec1 = bytes.fromhex(log["public_key_sec1"])
    public_key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), public_sec1)
    private_key = ec.derive_private_key(int(log["private_scalar"], 16), ec.SECP256R1())
    t.check("private scalar matches public key", _uncompressed(private_key.public_key()) == public_sec1)
    t.check("signature type", log["signature_type"] == SIGNATURE_TYPE.hex())
    t.check("signature algorithm id", log["signature_algorithm_id"].encode() == SIGNATURE_ALGORITHM_ID)
    t.check("key id", key_id(log["key_name"], public_sec1).hex() == log["key_id"])
    compressed = bytes([2 | (public_sec1[64] & 1)]) + public_sec1[1:33]
    from_compressed = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), compressed)
    t.check("key id from a compressed pin", key_id(log["key_name"], _uncompressed(from_compressed)).hex() == log["key_id"])

    # Events -> leaves.
    leaves = []
    for i, item in enumerate(v["events"]):
        encoded = encode_event(item["event"])
        t.check(f"event {i} encoding", encoded.hex() == item["canonical"])
        entry = leaf_input(bytes.fromhex(item["salt"]), encoded)
        t.check(f"event {i} leaf input", entry.hex() == item["leaf_input"])
        t.check(f"event {i} leaf hash", leaf_hash(entry).hex() == item["leaf_hash"])
        leaves.append(bytes.fromhex(item["leaf_hash"]))
    n = len(leaves)

    # Roots (and the empty root).
    t.check("empty root", v["roots"][0] == EMPTY_ROOT.hex() == hashlib.sha256().hexdigest())
    t.check("root count", len(v["roots"]) == n + 1)
    for size, root in enumerate(v["roots"]):
        t.check(f"root {size}", mth(leaves[:size]).hex() == root)
    roots = [bytes.fromhex(r) for r in v["roots"]]

    # Inclusion proofs: every (index, size); generation agrees; tampering fails.
    t.check("inclusion proof count", len(v["inclusion_proofs"]) == n * (n + 1) // 2)
    for p in v["inclusion_proofs"]:
        m, size = p["index"], p["size"]
        proof = [bytes.fromhex(h) for h in p["proof"]]
        name = f"inclusion {m}/{size}"
        t.check(f"{name} generated", path(m, leaves[:size]) == proof)
        t.check(f"{name} verifies", verify_inclusion(leaves[m], m, size, proof, roots[size]))
        bad = [
            verify_inclusion(leaves[m], m + 1, size, proof, roots[size]),
            verify_inclusion(leaves[m], m, size, proof, roots[size - 1] if size > 1 else EMPTY_ROOT),
            verify_inclusion(leaf_hash(b"forged"), m, size, proof, roots[size]),
            verify_inclusion(leaves[m], m, size, proof + [roots[size]], roots[size]),
            verify_inclusion(leaves[m], m, size, proof[:-1], roots[size]) if proof else False,
        ]
        for j in range(len(proof)):
            tampered = list(proof)
            tampered[j] = bytes.fromhex(flip(tampered[j].hex(), j % 32))
            bad.append(verify_inclusion(leaves[m], m, size, tampered, roots[size]))
        t.check(f"{name} tampered copies fail", not any(bad))
    t.check("inclusion rejects index >= size", not verify_inclusion(leaves[0], 0, 0, [], EMPTY_ROOT))

    # Consistency proofs: every 0 < old < new; generation agrees; tampering and forks fail.
    t.check("consistency proof count", len(v["consistency_proofs"]) == n * (n - 1) // 2)
    for p in v["consistency_proofs"]:
        m, size = p["old_size"], p["new_size"]
        proof = [bytes.fromhex(h) for h in p["proof"]]
        name = f"consistency {m}->{size}"
        t.check(f"{name} generated", subproof(m, leaves[:size], True) == proof)
        t.check(f"{name} verifies", verify_consistency(m, size, roots[m], roots[size], proof))
        bad = [
            verify_consistency(m, size, roots[size], roots[m], proof),
            verify_consistency(m, size, roots[m], roots[size], []),
            verify_consistency(m, size, roots[m], roots[size], proof + [roots[m]]),
            verify_consistency(m, size, roots[m], roots[size], proof[:-1]),
            verify_consistency(m, size, roots[m - 1] if m > 1 else leaf_hash(b"x"), roots[size], proof),
        ]
        for j in range(len(proof)):
            tampered = list(proof)
            tampered[j] = bytes.fromhex(flip(tampered[j].hex(), 31 - j % 32))
            bad.append(verify_consistency(m, size, roots[m], roots[size], tampered))
        t.check(f"{name} tampered copies fail", not any(bad))
    t.check("consistency m = n", verify_consistency(n, n, roots[n], roots[n], []))
    t.check("consistency from empty", verify_consistency(0, n, EMPTY_ROOT, roots[n], []))
    t.check("consistency from empty needs the empty root", not verify_consistency(0, n, roots[1], roots[n], []))
    t.check("consistency backwards", not verify_consistency(n, n - 1, roots[n], roots[n - 1], []))

    # A forked log: the first 4 leaves shared, then different entries.
    fork = leaves[:4] + [leaf_hash(f"forged {i}".encode()) for i in range(4, n)]
    for m in range(5, n):
        t.check(
            f"fork at 4 breaks consistency {m}->{n}",
            not verify_consistency(m, n, roots[m], mth(fork), subproof(m, fork, True))
            and not verify_consistency(m, n, mth(fork[:m]), roots[n], subproof(m, leaves, True)),
        )

    # Checkpoints of the log.
    for c in v["checkpoints"]:
        try:
            origin, size, root = verify_checkpoint(c["note"], log["origin"], public_key, log["key_name"])
            ok = origin == log["origin"] and size == c["size"] and root.hex() == c["root"] == v["roots"][size]
        except Rejected as e:
            print(f"checkpoint {c['size']}: {e}")
            ok = False
        t.check(f"checkpoint {c['size']} verifies", ok)
        body = f"{log['origin']}\n{c['size']}\n{base64.b64encode(bytes.fromhex(c['root'])).decode()}\n"
        t.check(f"checkpoint {c['size']} body", c["note"].startswith(body + "\n\u2014 " + log["key_name"] + " "))
        t.check(f"checkpoint {c['size']} tree head", c["tree_head"] == format_tree_head(c["size"], bytes.fromhex(c["root"])))
        t.check(f"checkpoint {c['size']} tree head parses", parse_tree_head(c["tree_head"]) == (c["size"], bytes.fromhex(c["root"])))
    # A checkpoint signed here, with a random nonce, verifies too.
    body = f"{log['origin']}\n{n}\n{base64.b64encode(roots[n]).decode()}\n"
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

    r, s = decode_dss_signature(private_key.sign(body.encode(), ec.ECDSA(hashes.SHA256())))
    blob = key_id(log["key_name"], public_sec1) + r.to_bytes(32, "big") + s.to_bytes(32, "big")
    own = f"{body}\n\u2014 {log['key_name']} {base64.b64encode(blob).decode()}\n"
    t.check("checkpoint signed by this script verifies", verify_checkpoint(own, log["origin"], public_key, log["key_name"])[1:] == (n, roots[n]))

    # The hostile and benign checkpoint cases.
    for case in v["checkpoint_cases"]:
        try:
            verify_checkpoint(case["note"], log["origin"], public_key, log["key_name"])
            got, kind = "ok", None
        except Rejected as e:
            got, kind = "fail", e.kind
        t.check(f"checkpoint case {case['name']!r}: {got}/{kind}", got == case["expect"] and kind == case.get("error"))

    # The patient's view, as the client checks it.
    view = v["patient_view"]
    t.check("patient view: events are the patient's", all(e["event"]["patientId"] == view["patient_id"] for e in view["events"]))
    expected_indexes = [i for i, e in enumerate(v["events"]) if e["event"]["patientId"] == view["patient_id"]]
    t.check("patient view: all of the patient's events", [e["leaf_index"] for e in view["events"]] == expected_indexes)
    try:
        t.check("patient view verifies", client_verify(view, log, public_key) == view["tree_head_after"])
    except Rejected as e:
        print(f"patient view: {e}")
        t.check("patient view verifies", False)
    fresh = dict(view, trusted_tree_head=format_tree_head(0, EMPTY_ROOT), consistency_proof=[])
    t.check("patient view from an empty history", client_verify(fresh, log, public_key) == view["tree_head_after"])

    def tampered(edit, kind: str, name: str) -> None:
        changed = copy.deepcopy(view)
        edit(changed)
        t.rejects(f"patient view: {name}", lambda: client_verify(changed, log, public_key), kind)

    for i in range(len(view["events"])):
        e = f"event {i}"
        tampered(lambda w, i=i: w["events"][i]["event"].update(tenantId="clinic-0000"), "inclusion_failed", f"{e} tenant")
        tampered(lambda w, i=i: w["events"][i]["event"].update(patientId="pt-9999"), "inclusion_failed", f"{e} patient")
        tampered(lambda w, i=i: w["events"][i]["event"]["actor"].update(userId="u-x"), "inclusion_failed", f"{e} user")
        tampered(lambda w, i=i: w["events"][i]["event"]["actor"].update(role="admin" if w["events"][i]["event"]["actor"]["role"] != "admin" else "provider"), "inclusion_failed", f"{e} role")
        tampered(lambda w, i=i: w["events"][i]["event"]["actor"].update(displayName="Someone else"), "inclusion_failed", f"{e} display name")
        tampered(lambda w, i=i: w["events"][i]["event"]["resource"].update(kind="profile" if w["events"][i]["event"]["resource"]["kind"] != "profile" else "note"), "inclusion_failed", f"{e} kind")
        tampered(lambda w, i=i: w["events"][i]["event"]["resource"].update(id="bk-9999"), "inclusion_failed", f"{e} resource id")
        tampered(lambda w, i=i: w["events"][i]["event"].update(action="export" if w["events"][i]["event"]["action"] != "export" else "view"), "inclusion_failed", f"{e} action")
        tampered(lambda w, i=i: w["events"][i]["event"].update(at=w["events"][i]["event"]["at"] + 1), "inclusion_failed", f"{e} time")
        tampered(lambda w, i=i: w["events"][i]["event"].update(**{"from": "widget" if w["events"][i]["event"]["from"] != "widget" else "api"}), "inclusion_failed", f"{e} client")
        tampered(lambda w, i=i: w["events"][i].update(salt=flip(w["events"][i]["salt"], 31)), "inclusion_failed", f"{e} salt")
        tampered(lambda w, i=i: w["events"][i].update(leaf_index=w["events"][i]["leaf_index"] + 1), "inclusion_failed", f"{e} leaf index")
        if view["events"][i]["inclusion_proof"]:
            tampered(lambda w, i=i: w["events"][i]["inclusion_proof"].__setitem__(0, flip(w["events"][i]["inclusion_proof"][0])), "inclusion_failed", f"{e} proof")
    tampered(lambda w: w["consistency_proof"].__setitem__(0, flip(w["consistency_proof"][0])), "inconsistent", "consistency proof")
    tampered(lambda w: w.update(consistency_proof=[]), "inconsistent", "missing consistency proof")
    old_size, old_root = parse_tree_head(view["trusted_tree_head"])
    tampered(lambda w: w.update(trusted_tree_head=format_tree_head(old_size, leaf_hash(b"another log"))), "inconsistent", "forked history")
    tampered(lambda w: w.update(trusted_tree_head=format_tree_head(n + 1, old_root)), "rollback", "rolled back")
    tampered(lambda w: w.update(checkpoint=w["checkpoint"].replace(f"\n{n}\n", f"\n{n + 1}\n", 1)), "bad_signature", "checkpoint size")
    root_b64 = base64.b64encode(roots[n]).decode()
    tampered(lambda w: w.update(checkpoint=w["checkpoint"].replace(root_b64, base64.b64encode(roots[n - 1]).decode(), 1)), "bad_signature", "checkpoint root")
    tampered(lambda w: w.update(checkpoint=w["checkpoint"].replace(log["origin"], log["origin"] + "x", 1)), "wrong_origin", "checkpoint origin")
    tampered(
        lambda w: w.update(trusted_tree_head=view["tree_head_after"], checkpoint=v["checkpoints"][0]["note"], consistency_proof=[]),
        "rollback",
        "older checkpoint after a newer one",
    )

    print(f"{t.passed} passed, {t.failed} failed")
    return 0 if t.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
