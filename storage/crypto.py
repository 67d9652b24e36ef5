"""Field encryption at rest with Fernet / MultiFernet (several keys allow rotation)."""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

KEY_FILE_NAME = "data.key"


class DataKeyError(Exception):
    """DATA_KEY is malformed or does not decrypt the stored data."""


class FieldCipher:
    """Encrypts with the first key, decrypts with any of them."""

    def __init__(self, keys: list[str]) -> None:
        if not keys:
            raise DataKeyError("DATA_KEY is empty; give Fernet keys separated by commas")
        try:
            self._fernets = [Fernet(k.strip().encode()) for k in keys]
        except (ValueError, TypeError):
            raise DataKeyError(
                "DATA_KEY is not a valid Fernet key (32 url-safe base64 bytes); create one with "
                "python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())'"
            ) from None
        self._multi = MultiFernet(self._fernets)

    def encrypt(self, value: str) -> str:
        return self._multi.encrypt(value.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        try:
            return self._multi.decrypt(token.encode("ascii")).decode("utf-8")
        except InvalidToken:
            raise DataKeyError(
                "DATA_KEY does not decrypt the stored data: it is not the key this database was "
                "written with (keep the old key after the new one, comma-separated, to rotate)"
            ) from None

    def rotate(self, token: str) -> str:
        return self._multi.rotate(token.encode("ascii")).decode("ascii")


def parse_keys(raw: str) -> list[str]:
    return [k.strip() for k in raw.split(",") if k.strip()]


def load_or_create_keys(raw: str | None, data_dir: Path) -> list[str]:
    """Keys from DATA_KEY, else from the key file, generated (mode 0600) on first run."""
    if raw:
        return parse_keys(raw)
    path = data_dir / KEY_FILE_NAME
    if path.exists():
        return parse_keys(path.read_text(encoding="ascii"))
    data_dir.mkdir(parents=True, exist_ok=True)
    key = Fernet.generate_key().decode("ascii")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(key + "\n")
    return [key]


_current: FieldCipher | None = None


def set_cipher(cipher: FieldCipher) -> None:
    global _current
    _current = cipher


def cipher() -> FieldCipher:
    if _current is None:
        raise RuntimeError("field cipher not configured; open the Database first")
    return _current
