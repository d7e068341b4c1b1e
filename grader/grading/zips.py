"""Unpacking an LMS export's zip: entries with an absolute path or `..`, and link entries, are refused and reported;
a zip whose declared sizes or compression ratio are past the limits (a zip bomb) is refused whole."""

from __future__ import annotations

import os
import re
import stat
import zipfile
from pathlib import Path

from grader.errors import CourseError
from grader.grading.safe_files import kind_of
from grader.grading.submissions import Found, Identity, identity_from_filename, identity_from_folder, shown

MAX_ZIP_MEMBER_BYTES = 50 * 1024 * 1024  # a single notebook in a zip; larger ones are refused, not unpacked
MAX_ZIP_MEMBERS = 10_000
MAX_ZIP_TOTAL_BYTES = 1024**3  # the declared uncompressed size of the whole zip
MAX_ZIP_RATIO = 100  # uncompressed / compressed, for the whole zip and for any member over 1 MB

def _entry_refusal(member: zipfile.ZipInfo) -> str | None:
    """Why a zip entry is refused: an absolute path or `..` (traversal), or a link or other special file."""
    name = member.filename
    parts = re.split(r"[/\\]", name)
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name) or ".." in parts:
        return f"zip entry {shown(name)} points outside the export (absolute path or '..'): refused"
    mode = member.external_attr >> 16
    if stat.S_IFMT(mode) and not stat.S_ISREG(mode):
        return f"zip entry {shown(name)} is {kind_of(mode) or 'not a regular file'}: refused"
    return None


def check_zip_bomb(archive: Path, members: list[zipfile.ZipInfo]) -> None:
    """Refuse the whole zip (CourseError) when it declares too many files, too many bytes, or a compression ratio
    no class export has (a zip bomb)."""
    if len(members) > MAX_ZIP_MEMBERS:
        raise CourseError(f"{archive} holds {len(members)} files: too many for a class export.")
    total = sum(m.file_size for m in members)
    packed = sum(m.compress_size for m in members) or 1
    ratios = [m.file_size / max(m.compress_size, 1) for m in members if m.file_size > 1024**2]
    if total > MAX_ZIP_TOTAL_BYTES or total / packed > MAX_ZIP_RATIO or any(r > MAX_ZIP_RATIO for r in ratios):
        raise CourseError(
            f"{archive} unpacks to {total / 1024**2:.0f} MB ({total / packed:.0f} times its packed size): refused "
            f"as a zip bomb (limits {MAX_ZIP_TOTAL_BYTES // 1024**2} MB, ratio {MAX_ZIP_RATIO}); unpack it yourself "
            "and check it, or ask for the export again."
        )


def _zip_identity(name: str) -> Identity:
    parts = [p for p in re.split(r"[/\\]", name) if p]
    for folder in parts[:-1]:
        who = identity_from_folder(folder)
        if who:
            return who
    return identity_from_filename(parts[-1] if parts else name)


def _wanted(name: str) -> bool:
    """A notebook entry, outside hidden and `__MACOSX` folders (`..` is not hidden: it is refused, and reported)."""
    parts = [p for p in re.split(r"[/\\]", name) if p not in ("", ".", "..")]
    hidden = any(p.startswith(".") or p == "__MACOSX" for p in parts)
    return bool(parts) and parts[-1].endswith(".ipynb") and not hidden


def _extract_zip(archive: Path, into: Path) -> list[Found]:
    """Unpack the notebooks of a zip, each into its own folder `into/<n>/<file name>`; refused entries come back
    with their problem. Never writes outside `into`, never creates a link, never unpacks past the limits."""
    found = []
    try:
        with zipfile.ZipFile(archive) as zf:
            members = [m for m in zf.infolist() if not m.is_dir()]
            check_zip_bomb(archive, members)
            for n, member in enumerate(sorted(members, key=lambda m: m.filename)):
                refusal = _entry_refusal(member)
                if not _wanted(member.filename) and not (refusal and "link" in refusal):
                    continue
                who = _zip_identity(member.filename)
                target = into / f"{n:05d}" / Path(re.split(r"[/\\]", member.filename)[-1] or "entry.ipynb").name
                if refusal is None and member.file_size > MAX_ZIP_MEMBER_BYTES:
                    mb, most = member.file_size / 1024**2, MAX_ZIP_MEMBER_BYTES // 1024**2
                    refusal = f"zip entry of {mb:.0f} MB, over the {most} MB an entry may hold: refused"
                if refusal is None:
                    refusal = _unpack(zf, member, target)
                found.append(Found(target, who, refusal, None if refusal else target.stat().st_size))
    except zipfile.BadZipFile:
        raise CourseError(f"{archive} is not a valid zip file: download the export again.") from None
    return found


def _unpack(zf: zipfile.ZipFile, member: zipfile.ZipInfo, target: Path) -> str | None:
    """Copy one entry into a new regular file, stopping past its declared size (a lying header)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    limit = min(member.file_size, MAX_ZIP_MEMBER_BYTES)
    written = 0
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
    try:
        with zf.open(member) as src, os.fdopen(os.open(target, flags, 0o600), "wb") as dst:
            while chunk := src.read(1024 * 1024):
                written += len(chunk)
                if written > limit:
                    return f"zip entry {shown(member.filename)} unpacks past its declared size: refused"
                dst.write(chunk)
    except (RuntimeError, NotImplementedError, zipfile.BadZipFile, EOFError, OSError) as err:
        # encrypted, an unknown compression method, a bad CRC or a damaged stream: this entry only
        return f"zip entry {shown(member.filename)} could not be unpacked ({type(err).__name__}): refused"
    return None
