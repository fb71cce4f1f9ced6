"""WeChat Pay API v3 cryptography ("签名/验签/回调解密"), built on `cryptography`.

- Requests: `METHOD\\nPATH?QUERY\\nTIMESTAMP\\nNONCE\\nBODY\\n`, SHA256withRSA, merchant key.
- wx.requestPayment: `appId\\ntimeStamp\\nnonceStr\\npackage\\n`, same key (paySign).
- Notifications and responses: `TIMESTAMP\\nNONCE\\nBODY\\n`, verified with the WeChat Pay public
  key or platform certificate named by `Wechatpay-Serial`.
- Notification resources: AEAD_AES_256_GCM with the APIv3 key.
"""

from __future__ import annotations

import base64
import json
import secrets
import string
from functools import lru_cache
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

SCHEMA = "WECHATPAY2-SHA256-RSA2048"
_NONCE_ALPHABET = string.ascii_uppercase + string.digits


def nonce(length: int = 32) -> str:
    return "".join(secrets.choice(_NONCE_ALPHABET) for _ in range(length))


def sign(private_key: rsa.RSAPrivateKey, *lines: str) -> str:
    """Base64 SHA256withRSA (PKCS#1 v1.5) over the lines, each ending in a newline."""
    message = "".join(f"{line}\n" for line in lines).encode("utf-8")
    return base64.b64encode(private_key.sign(message, padding.PKCS1v15(), hashes.SHA256())).decode()


def verify(public_key: rsa.RSAPublicKey, signature: str, *lines: str) -> bool:
    message = "".join(f"{line}\n" for line in lines).encode("utf-8")
    try:
        public_key.verify(
            base64.b64decode(signature, validate=True), message, padding.PKCS1v15(), hashes.SHA256()
        )
    except (InvalidSignature, ValueError):
        return False
    return True


def authorization(
    private_key: rsa.RSAPrivateKey,
    mchid: str,
    serial: str,
    method: str,
    path: str,
    body: str,
    timestamp: int,
) -> str:
    """The Authorization header of a merchant request."""
    once = nonce()
    signature = sign(private_key, method, path, str(timestamp), once, body)
    return (
        f'{SCHEMA} mchid="{mchid}",nonce_str="{once}",signature="{signature}",'
        f'timestamp="{timestamp}",serial_no="{serial}"'
    )


def parse_authorization(header: str) -> dict[str, str]:
    if not header.startswith(SCHEMA + " "):
        return {}
    fields = {}
    for part in header[len(SCHEMA) + 1 :].split(","):
        key, _, value = part.partition("=")
        fields[key.strip()] = value.strip().strip('"')
    return fields


def decrypt_resource(resource: dict[str, Any], apiv3_key: str) -> dict[str, Any]:
    """The plaintext of an AEAD_AES_256_GCM resource. Raises ValueError if it was tampered with."""
    if resource.get("algorithm") != "AEAD_AES_256_GCM":
        raise ValueError(f"unsupported algorithm {resource.get('algorithm')!r}")
    try:
        plain = AESGCM(apiv3_key.encode()).decrypt(
            resource["nonce"].encode(),
            base64.b64decode(resource["ciphertext"]),
            (resource.get("associated_data") or "").encode(),
        )
    except (InvalidTag, KeyError, ValueError) as exc:
        raise ValueError("the resource does not decrypt with the APIv3 key") from exc
    data: dict[str, Any] = json.loads(plain)
    return data


@lru_cache(maxsize=8)
def load_private_key(pem: bytes) -> rsa.RSAPrivateKey:
    """Parsing checks the RSA key (about 30 ms); a warm instance parses each key once."""
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("the merchant private key must be RSA")
    return key


def load_public_key(pem: bytes) -> rsa.RSAPublicKey:
    key = serialization.load_pem_public_key(pem)
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("the WeChat Pay public key must be RSA")
    return key


def load_certificate(pem: bytes) -> tuple[str, rsa.RSAPublicKey]:
    """(serial as WeChat writes it, upper-case hex; public key) of a platform certificate."""
    certificate = x509.load_pem_x509_certificate(pem)
    key = certificate.public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("a platform certificate must carry an RSA key")
    return f"{certificate.serial_number:X}", key


def encrypt_sensitive(public_key: rsa.RSAPublicKey, text: str) -> str:
    """A sensitive field (a payee's real name) for WeChat Pay: RSAES-OAEP (SHA-1, MGF1) with
    WeChat Pay's public key, base64; the request then names that key in Wechatpay-Serial."""
    sealed = public_key.encrypt(
        text.encode("utf-8"),
        padding.OAEP(
            mgf=padding.MGF1(algorithm=hashes.SHA1()), algorithm=hashes.SHA1(), label=None
        ),
    )
    return base64.b64encode(sealed).decode("ascii")


def decrypt_sensitive(private_key: rsa.RSAPrivateKey, sealed: str) -> str:
    """The other side of encrypt_sensitive (the local WeChat Pay reads the name with it)."""
    plain = private_key.decrypt(
        base64.b64decode(sealed),
        padding.OAEP(
            mgf=padding.MGF1(algorithm=hashes.SHA1()), algorithm=hashes.SHA1(), label=None
        ),
    )
    return plain.decode("utf-8")
