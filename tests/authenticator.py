"""A software WebAuthn authenticator for API tests: ES256 keys from ``cryptography``,
``packed`` self-attestation (or ``none``), and assertions, as a browser would hand them to
the page (WebAuthn Level 3 §6.1, §6.5, §8.2; the JSON of ``PublicKeyCredential.toJSON()``).
"""
from __future__ import annotations

import hashlib
import json
import secrets
import struct
from base64 import urlsafe_b64decode, urlsafe_b64encode
from dataclasses import dataclass, field

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

UP, UV, BE, AT = 0x01, 0x04, 0x08, 0x40
ES256 = -7


def b64url(data: bytes) -> str:
    return urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Credential:
    """One key pair the authenticator holds, for one relying party and user."""

    rp_id: str
    user_handle: bytes
    credential_id: bytes = field(default_factory=lambda: secrets.token_bytes(16))
    key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    sign_count: int = 0

    def cose_key(self) -> bytes:
        numbers = self.key.public_key().public_numbers()
        return cbor2.dumps({1: 2, 3: ES256, -1: 1, -2: numbers.x.to_bytes(32, "big"),
                            -3: numbers.y.to_bytes(32, "big")})

    def sign(self, data: bytes) -> bytes:
        return self.key.sign(data, ec.ECDSA(hashes.SHA256()))


@dataclass
class Authenticator:
    """Answers creation and request options for ``origin`` like a platform authenticator.

    ``user_verified`` sets the UV flag; ``backup_eligible`` the BE flag (a synced passkey);
    ``attestation`` is ``"packed"`` (self-attestation) or ``"none"``.
    """

    origin: str
    user_verified: bool = True
    backup_eligible: bool = False
    attestation: str = "packed"
    credentials: list[Credential] = field(default_factory=list)

    def _flags(self, *extra: int) -> int:
        flags = UP | (UV if self.user_verified else 0) | (BE if self.backup_eligible else 0)
        for flag in extra:
            flags |= flag
        return flags

    def _client_data(self, kind: str, challenge: str, origin: str | None) -> bytes:
        return json.dumps({"type": kind, "challenge": challenge,
                           "origin": origin or self.origin, "crossOrigin": False}).encode()

    def create(self, options: dict, origin: str | None = None) -> dict:
        """``navigator.credentials.create({publicKey: options})``, as JSON."""
        rp_id = options["rp"]["id"]
        credential = Credential(rp_id, unb64url(options["user"]["id"]))
        self.credentials.append(credential)
        client_data = self._client_data("webauthn.create", options["challenge"], origin)
        auth_data = (hashlib.sha256(rp_id.encode()).digest()
                     + bytes([self._flags(AT)]) + struct.pack(">I", credential.sign_count)
                     + bytes(16) + struct.pack(">H", len(credential.credential_id))
                     + credential.credential_id + credential.cose_key())
        statement = {} if self.attestation == "none" else {
            "alg": ES256,
            "sig": credential.sign(auth_data + hashlib.sha256(client_data).digest())}
        attestation = cbor2.dumps({"fmt": self.attestation, "attStmt": statement,
                                   "authData": auth_data})
        return {"id": b64url(credential.credential_id), "rawId": b64url(credential.credential_id),
                "type": "public-key", "authenticatorAttachment": "platform",
                "clientExtensionResults": {},
                "response": {"clientDataJSON": b64url(client_data),
                             "attestationObject": b64url(attestation),
                             "transports": ["internal"]}}

    def get(self, options: dict, origin: str | None = None,
            credential: Credential | None = None) -> dict:
        """``navigator.credentials.get({publicKey: options})``, as JSON: with the first
        allowed credential, or (discoverable) the first for the RP ID; or ``credential``."""
        rp_id = options["rpId"]
        allowed = {unb64url(item["id"]) for item in options.get("allowCredentials") or []}
        credential = credential or next(
            held for held in self.credentials
            if held.rp_id == rp_id and (not allowed or held.credential_id in allowed))
        credential.sign_count += 1
        client_data = self._client_data("webauthn.get", options["challenge"], origin)
        auth_data = (hashlib.sha256(rp_id.encode()).digest() + bytes([self._flags()])
                     + struct.pack(">I", credential.sign_count))
        signature = credential.sign(auth_data + hashlib.sha256(client_data).digest())
        return {"id": b64url(credential.credential_id), "rawId": b64url(credential.credential_id),
                "type": "public-key", "clientExtensionResults": {},
                "response": {"clientDataJSON": b64url(client_data),
                             "authenticatorData": b64url(auth_data),
                             "signature": b64url(signature),
                             "userHandle": b64url(credential.user_handle)}}
