"""Uploaded datasets: size-limited, stored under the user's uploads folder, archives unpacked safely."""

from __future__ import annotations

import os
import re
import shutil
import stat
import uuid
import zipfile
from pathlib import Path
from typing import BinaryIO

from pydantic import BaseModel

from omnitune.services.paths import uploads_dir
from omnitune.services.users import UserRecord

MAX_UPLOAD_ENV = "OMNITUNE_MAX_UPLOAD_MB"
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


class UploadRefusedError(ValueError):
    """An upload that cannot be kept: an unsafe or unreadable archive."""

    field = "file"


class UploadTooLargeError(UploadRefusedError):
    """An upload (or an archive's contents) over the size limit."""


class DatasetUpload(BaseModel):
    """One uploaded dataset: its id, the path plans use, and its size on disk."""

    id: str
    name: str
    path: str
    bytes: int


def max_upload_bytes() -> int:
    """The upload limit (OMNITUNE_MAX_UPLOAD_MB, default 512 MB); archives count unpacked."""
    return int(float(os.environ.get(MAX_UPLOAD_ENV, "512")) * 1024 * 1024)


def save_upload(user: UserRecord, filename: str, source: BinaryIO) -> DatasetUpload:
    """Copy an upload into the user's folder (a .zip is unpacked) and return where it lives."""
    name = _SAFE.sub("-", Path(filename or "data").name).strip("-.") or "data"
    upload_id = uuid.uuid4().hex[:12]
    folder = _user_dir(user) / upload_id
    folder.mkdir(parents=True)
    target = folder / name
    try:
        size = _copy_limited(source, target, max_upload_bytes())
        if name.lower().endswith(".zip"):
            target = _unpack(target, folder / Path(name).stem)
            size = sum(p.stat().st_size for p in target.rglob("*") if p.is_file())
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return DatasetUpload(id=upload_id, name=name, path=str(target), bytes=size)


def list_uploads(user: UserRecord) -> list[DatasetUpload]:
    """The user's uploads, newest first."""
    root = _user_dir(user)
    folders = sorted(root.iterdir(), key=lambda p: p.stat().st_mtime, reverse=True) if root.is_dir() else []
    return [get_upload(user, folder.name) for folder in folders if folder.is_dir()]


def get_upload(user: UserRecord, upload_id: str) -> DatasetUpload:
    """One of the user's uploads (KeyError otherwise)."""
    folder = _user_dir(user) / upload_id
    if not re.fullmatch(r"[0-9a-f]{12}", upload_id) or not folder.is_dir():
        raise KeyError(f"no dataset upload {upload_id!r}; see GET /api/training/datasets")
    entries = sorted(p for p in folder.iterdir() if not p.name.lower().endswith(".zip"))
    data = entries[0] if entries else folder
    size = (
        sum(p.stat().st_size for p in data.rglob("*") if p.is_file())
        if data.is_dir()
        else data.stat().st_size
    )
    return DatasetUpload(id=upload_id, name=data.name, path=str(data), bytes=size)


def _user_dir(user: UserRecord) -> Path:
    return uploads_dir() / user.id


def _copy_limited(source: BinaryIO, target: Path, limit: int) -> int:
    written = 0
    with target.open("wb") as out:
        while chunk := source.read(1 << 20):
            written += len(chunk)
            if written > limit:
                raise UploadTooLargeError(
                    f"file: upload is over the {limit // (1 << 20)} MB limit ({MAX_UPLOAD_ENV})"
                )
            out.write(chunk)
    return written


def _unpack(archive: Path, into: Path) -> Path:
    """Unpack a zip with no absolute paths, no '..', no symlinks, and the size limit on its contents."""
    limit = max_upload_bytes()
    try:
        bundle = zipfile.ZipFile(archive)
    except zipfile.BadZipFile as exc:
        raise UploadRefusedError(f"file: {archive.name} is not a readable zip archive ({exc})") from None
    with bundle:
        members = bundle.infolist()
        if sum(m.file_size for m in members) > limit:
            raise UploadTooLargeError(f"file: the archive unpacks to over {limit // (1 << 20)} MB")
        for member in members:
            parts = Path(member.filename).parts
            if member.filename.startswith(("/", "\\")) or ".." in parts:
                raise UploadRefusedError(
                    f"file: archive entry {member.filename!r} points outside the archive"
                )
            if stat.S_ISLNK(member.external_attr >> 16):
                raise UploadRefusedError(f"file: archive entry {member.filename!r} is a symlink; refused")
        bundle.extractall(into)
    archive.unlink()
    return into
