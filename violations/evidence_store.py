"""Write-once, content-addressed evidence files under MEDIA_ROOT.

A file is stored as ``evidence/<sha[:2]>/<sha>.<ext>``: the same bytes are stored once
however many events point at them, and an existing file is never overwritten or deleted
through the app (its bytes are checked instead).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.core.files import File
from django.core.files.storage import FileSystemStorage

from violations.errors import ViolationServiceError

_CHUNK_BYTES = 1 << 20


class EvidenceStoreError(ViolationServiceError):
    """Evidence that cannot be stored or does not match its recorded hash."""


class EvidenceOverwriteRefused(EvidenceStoreError):
    pass


class EvidenceMismatch(EvidenceStoreError):
    pass


class EvidenceSourceMissing(EvidenceStoreError):
    pass


class WriteOnceStorage(FileSystemStorage):
    """A file-system storage that refuses to overwrite, rename around or delete a file."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("file_permissions_mode", 0o444)
        super().__init__(**kwargs)

    def get_available_name(self, name: str, max_length: int | None = None) -> str:
        if self.exists(name):
            raise EvidenceOverwriteRefused(f"{name} already exists; evidence is written once")
        return name

    def delete(self, name: str) -> None:
        raise EvidenceOverwriteRefused(f"{name}: evidence files are never deleted by the app")


@dataclass(frozen=True)
class StoredFile:
    name: str
    sha256: str
    size_bytes: int


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def evidence_name(sha256: str, suffix: str) -> str:
    suffix = suffix.lstrip(".").lower() or "bin"
    return f"evidence/{sha256[:2]}/{sha256}.{suffix}"


def store_evidence_file(source: Path) -> StoredFile:
    """Copy ``source`` into the evidence store (once) and return its name and hash.

    Raises `EvidenceSourceMissing` if the engine's file is gone and `EvidenceMismatch`
    if a stored file with this hash holds other bytes (it was tampered with).
    """
    if not source.is_file():
        raise EvidenceSourceMissing(f"evidence file {source} does not exist or is not a file")
    sha256 = sha256_of(source)
    size_bytes = source.stat().st_size
    name = evidence_name(sha256, source.suffix)
    storage = WriteOnceStorage()
    try:
        with source.open("rb") as fh:
            storage.save(name, File(fh, name=name))
    except EvidenceOverwriteRefused:
        stored_sha = sha256_of(Path(storage.path(name)))
        if stored_sha != sha256:
            raise EvidenceMismatch(
                f"{name} is stored with other bytes (sha256 {stored_sha}); the store has been "
                "tampered with: run `manage.py verify_evidence` and restore it from backup"
            )
    return StoredFile(name=name, sha256=sha256, size_bytes=size_bytes)
