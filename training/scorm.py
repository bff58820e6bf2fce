"""SCORM 1.2 packages: checking an uploaded zip and reading its members.

The package is kept whole in the file store; members are read by name
through a seekable view of the stored object, so nothing is extracted to
disk and a package's files cannot escape it.
"""

from __future__ import annotations

import io
import mimetypes
import posixpath
import xml.etree.ElementTree as ET
import zipfile

from django.utils.translation import gettext as _

PACKAGE_MAX_BYTES = 100 * 1024 * 1024
MEMBERS_MAX = 2000
# Zip-bomb guard: the sum of the members' declared sizes, and each one's ratio.
UNCOMPRESSED_MAX_BYTES = 300 * 1024 * 1024
MANIFEST_MAX_BYTES = 1024 * 1024


class PackageRefused(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def safe_member(name: str) -> bool:
    """A relative path inside the package: no "..", no absolute or drive path."""
    if not name or name.startswith(("/", "\\")) or "\\" in name or ":" in name.split("/")[0]:
        return False
    return ".." not in name.split("/")


def inspect(stream) -> str:
    """Check a package (a seekable binary stream) and return its launch
    href; PackageRefused (translated) when it is not a usable package."""
    try:
        archive = zipfile.ZipFile(stream)
    except (zipfile.BadZipFile, OSError, ValueError):
        raise PackageRefused(_("This file is not a zip archive.")) from None
    with archive:
        members = archive.infolist()
        if len(members) > MEMBERS_MAX:
            raise PackageRefused(_("This package holds too many files."))
        if sum(m.file_size for m in members) > UNCOMPRESSED_MAX_BYTES:
            raise PackageRefused(_("This package is too large once uncompressed."))
        if any(not safe_member(m.filename) for m in members):
            raise PackageRefused(_("This package holds a file outside its own folder."))
        names = {m.filename for m in members}
        if "imsmanifest.xml" not in names:
            raise PackageRefused(_("This package has no imsmanifest.xml."))
        info = archive.getinfo("imsmanifest.xml")
        if info.file_size > MANIFEST_MAX_BYTES:
            raise PackageRefused(_("This package's manifest cannot be read."))
        manifest = archive.read(info)
    return _launch_href(manifest, names)


def _launch_href(manifest: bytes, names: set[str]) -> str:
    refused = PackageRefused(_("This package's manifest cannot be read."))
    # The stdlib parser expands internal entities; refusing any DOCTYPE
    # rules out entity-expansion bombs (a manifest never needs one).
    if b"<!doctype" in manifest.lower() or b"<!entity" in manifest.lower():
        raise refused
    try:
        root = ET.fromstring(manifest)
    except ET.ParseError:
        raise refused from None
    for resource in root.iter():
        if _local(resource.tag) != "resource":
            continue
        kind = next((v for k, v in resource.attrib.items() if _local(k) == "scormtype"), "")
        href = resource.get("href", "")
        if kind.lower() != "sco" or not href:
            continue
        base = next((v for k, v in resource.attrib.items() if _local(k) == "base"), "")
        path = (base + href).partition("?")[0]
        path = posixpath.normpath(path)
        if not safe_member(path) or path not in names:
            raise PackageRefused(_("The package's launch page is missing from it."))
        return path
    raise PackageRefused(_("This package has no SCORM 1.2 lesson (SCO)."))


class StoredReader(io.RawIOBase):
    """A seekable read-only view of an object of the file store, so that
    zipfile reads one member without fetching the whole package."""

    def __init__(self, store, key: str, size: int):
        self.store, self.key, self.length, self.offset = store, key, size, 0

    def readable(self):
        return True

    def seekable(self):
        return True

    def tell(self):
        return self.offset

    def seek(self, offset, whence=io.SEEK_SET):
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.offset, io.SEEK_END: self.length}[whence]
        self.offset = max(0, base + offset)
        return self.offset

    def readinto(self, buffer):
        want = min(len(buffer), self.length - self.offset)
        if want <= 0:
            return 0
        data = b"".join(self.store.open(self.key, offset=self.offset, length=want))
        buffer[: len(data)] = data
        self.offset += len(data)
        return len(data)


def read_member(version, name: str) -> tuple[bytes, str] | None:
    """The bytes and content type of one member of a stored package, or None."""
    from files import storage

    if not safe_member(name):
        return None
    reader = io.BufferedReader(
        StoredReader(storage.get_file_store(), version.blob_key, version.size), 64 * 1024
    )
    try:
        with zipfile.ZipFile(reader) as archive:
            try:
                data = archive.read(name)
            except KeyError:
                return None
    except zipfile.BadZipFile:
        return None
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return data, content_type
