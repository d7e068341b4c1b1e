"""Unpacking an LMS export's zip: entries with an absolute path or `..`, and link entries, are refused and reported;
a zip whose declared sizes or compression ratio are past the limits (a zip bomb) is refused whole.

Names are read as bytes: UTF-8 when they are, else kept as surrogates (flagged and replaced by names.py). An entry
flagged UTF-8 that is not (Python's zipfile raises UnicodeDecodeError on the whole zip) is read from a copy whose
flag is cleared. Each notebook is unpacked to `into/<n>/<n>.ipynb`, whatever its name's length."""

from __future__ import annotations

import os
import re
import stat
import zipfile
from datetime import datetime
from pathlib import Path

from grader.course.words import english, phrase, words_of
from grader.errors import CourseError
from grader.grading.names import shown
from grader.grading.safe_files import Entry, kind_of

MAX_ZIP_MEMBER_BYTES = 50 * 1024 * 1024  # a single notebook in a zip; larger ones are refused, not unpacked
MAX_ZIP_MEMBERS = 10_000
MAX_ZIP_TOTAL_BYTES = 1024**3  # the declared uncompressed size of the whole zip
MAX_ZIP_RATIO = 100  # uncompressed / compressed, for the whole zip and for any member over 1 MB
UTF8_FLAG = 0x800


def _entry_refusal(member: zipfile.ZipInfo, name: str) -> str | None:
    """Why a zip entry is refused: an absolute path or `..` (traversal), or a link or other special file."""
    parts = re.split(r"[/\\]", name)
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name) or ".." in parts:
        return english("zip entry '{name}' points outside the export (absolute path or '..'): refused",
                       name=shown(name))
    mode = member.external_attr >> 16
    if stat.S_IFMT(mode) and not stat.S_ISREG(mode):
        kind = kind_of(mode)
        return english("zip entry '{name}' is {kind}: refused", name=shown(name),
                       kind=words_of(kind) if kind else phrase("not a regular file"))
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


def _raw_name(member: zipfile.ZipInfo) -> str:
    """The entry's name: UTF-8 when its bytes are, else undecodable bytes as surrogates (never a cp437 guess)."""
    if member.flag_bits & UTF8_FLAG:
        return member.filename
    return member.filename.encode("cp437").decode("utf-8", "surrogateescape")


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _u16(data: bytearray, at: int) -> int:
    return int.from_bytes(data[at : at + 2], "little")


def _clear_false_utf8_flags(archive: Path, copy: Path) -> None:
    """Write `archive` to `copy` with the UTF-8 flag cleared (central directory and local header) on every entry
    whose name is not UTF-8: zipfile then reads those names as bytes (cp437) instead of raising."""
    data = bytearray(archive.read_bytes())
    end = data.rfind(b"PK\x05\x06")
    if end < 0:
        raise zipfile.BadZipFile("no end of central directory")
    count, pos = _u16(data, end + 10), int.from_bytes(data[end + 16 : end + 20], "little")
    for _ in range(count):
        if data[pos : pos + 4] != b"PK\x01\x02":
            raise zipfile.BadZipFile("damaged central directory")
        n, m, k = _u16(data, pos + 28), _u16(data, pos + 30), _u16(data, pos + 32)
        local = int.from_bytes(data[pos + 42 : pos + 46], "little")
        if _u16(data, pos + 8) & UTF8_FLAG and not _is_utf8(bytes(data[pos + 46 : pos + 46 + n])):
            for at in (pos + 8, local + 6):
                data[at : at + 2] = (_u16(data, at) & ~UTF8_FLAG).to_bytes(2, "little")
        pos += 46 + n + m + k
    copy.write_bytes(bytes(data))


def _open_zip(archive: Path, into: Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(archive)
    except UnicodeDecodeError:  # an entry flagged UTF-8 that is not
        copy = into / "names-fixed.zip"
        _clear_false_utf8_flags(archive, copy)
        return zipfile.ZipFile(copy)


def _skipped(parts: list[str]) -> bool:
    """Hidden files and folders, and macOS's `__MACOSX` resource forks: not submissions, never reported."""
    return any(p.startswith(".") and p != ".." or p == "__MACOSX" for p in parts)


def extract_zip(archive: Path, into: Path) -> list[Entry]:
    """Every file of a zip as an Entry: notebooks unpacked each into `into/<n>/<n>.ipynb`, other files listed (not
    unpacked), refused entries with their problem. Never writes outside `into`, never creates a link, never unpacks
    past the limits."""
    found = []
    try:
        with _open_zip(archive, into) as zf:
            members = [m for m in zf.infolist() if not m.is_dir()]
            check_zip_bomb(archive, members)
            for n, member in enumerate(sorted(members, key=_raw_name)):
                name = _raw_name(member)
                parts = [p for p in re.split(r"[/\\]", name) if p not in ("", ".")]
                if not parts or _skipped(parts):
                    continue
                found.append(_entry(zf, member, name, tuple(parts), into / f"{n:05d}" / f"{n:05d}.ipynb"))
    except zipfile.BadZipFile:
        raise CourseError(f"{archive} is not a valid zip file: download the export again.") from None
    return found


def _entry(zf: zipfile.ZipFile, member: zipfile.ZipInfo, name: str, parts: tuple[str, ...], target: Path) -> Entry:
    when = datetime(*member.date_time)
    refusal = _entry_refusal(member, name)
    if refusal is None and not parts[-1].endswith(".ipynb"):
        return Entry(parts, target.with_suffix(""), None, member.file_size, when)  # listed, never unpacked
    if refusal is None and member.file_size > MAX_ZIP_MEMBER_BYTES:
        mb, most = member.file_size / 1024**2, MAX_ZIP_MEMBER_BYTES // 1024**2
        refusal = english("zip entry of {mb} MB, over the {most} MB an entry may hold: refused", mb=f"{mb:.0f}",
                          most=str(most))
    if refusal is None:
        refusal = _unpack(zf, member, name, target)
    return Entry(parts, target, refusal, None if refusal else target.stat().st_size, when)


def _unpack(zf: zipfile.ZipFile, member: zipfile.ZipInfo, name: str, target: Path) -> str | None:
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
                    return english("zip entry '{name}' unpacks past its declared size: refused", name=shown(name))
                dst.write(chunk)
    except (RuntimeError, NotImplementedError, zipfile.BadZipFile, EOFError, OSError) as err:
        # encrypted, an unknown compression method, a bad CRC or a damaged stream: this entry only
        return english("zip entry '{name}' could not be unpacked ({error}): refused", name=shown(name),
                       error=type(err).__name__)
    return None
