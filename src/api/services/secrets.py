"""SIP passwords: generated strong, encrypted at rest with a key derived from the secret."""

from __future__ import annotations

import base64
import hashlib
import secrets
import string

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

PASSWORD_ALPHABET = string.ascii_letters + string.digits
GENERATED_PASSWORD_LENGTH = 20
TOKEN_BYTES = 32


class PasswordCipher:
    """Fernet encryption of SIP passwords; the key never appears in a repr."""

    __slots__ = ("_fernet",)

    def __init__(self, secret_key: str) -> None:
        if not secret_key:
            raise ValueError("a secret key is required to encrypt SIP passwords")
        derived = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=b"pulsebill sip passwords"
        ).derive(secret_key.encode())
        self._fernet = Fernet(base64.urlsafe_b64encode(derived))

    def encrypt(self, password: str) -> str:
        return self._fernet.encrypt(password.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken:
            raise ValueError("the stored password cannot be decrypted with this key") from None

    def __repr__(self) -> str:
        return "PasswordCipher(<secret>)"


def generate_password(length: int = GENERATED_PASSWORD_LENGTH) -> str:
    """A random password of letters and digits with at least one of each kind."""
    while True:
        password = "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(length))
        if (
            any(c.islower() for c in password)
            and any(c.isupper() for c in password)
            and any(c.isdigit() for c in password)
        ):
            return password


def new_token(prefix: str = "pb") -> str:
    """A bearer token, shown once: ``pb_`` and 43 URL-safe characters."""
    return f"{prefix}_{secrets.token_urlsafe(TOKEN_BYTES)}"


def token_hash(token: str) -> str:
    """The SHA-256 hex digest stored instead of a token."""
    return hashlib.sha256(token.encode()).hexdigest()
