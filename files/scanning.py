"""Malware scanning: a pluggable scanner, ClamAV (clamd over its socket) by default.

A scanner answers CLEAN, INFECTED or FAILED. FAILED covers a scanner that is
down and a file over the scanner's limits: neither ever counts as clean.
"""

from __future__ import annotations

import socket
import struct
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string

CLEAN, INFECTED, FAILED = "clean", "infected", "failed"


@dataclass(frozen=True)
class ScanResult:
    verdict: str  # CLEAN, INFECTED or FAILED
    detail: str = ""


class Scanner:
    def scan(self, chunks: Iterable[bytes]) -> ScanResult:
        raise NotImplementedError


class ClamdScanner(Scanner):
    """clamd's INSTREAM command over its Unix socket (Debian clamav-daemon).

    clamd must run with ``AlertExceedsMax yes``: otherwise a file over its
    limits comes back "OK". Its Heuristics.Limits.Exceeded answer (and an
    INSTREAM size-limit error) is reported as FAILED, never CLEAN.
    """

    def __init__(self, socket_path: str | None = None, timeout: float = 120.0):
        self.socket_path = socket_path or settings.CLAMD_SOCKET
        self.timeout = timeout

    def scan(self, chunks: Iterable[bytes]) -> ScanResult:
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                sock.settimeout(self.timeout)
                sock.connect(self.socket_path)
                sock.sendall(b"zINSTREAM\0")
                try:
                    for chunk in chunks:
                        for start in range(0, len(chunk), 64 * 1024):
                            piece = chunk[start : start + 64 * 1024]
                            sock.sendall(struct.pack("!L", len(piece)) + piece)
                    sock.sendall(struct.pack("!L", 0))
                except (BrokenPipeError, ConnectionResetError):
                    pass  # clamd hung up (size limit): its reply says why
                reply = b""
                while not reply.endswith(b"\0"):
                    data = sock.recv(4096)
                    if not data:
                        break
                    reply += data
        except OSError as exc:
            return ScanResult(FAILED, f"scanner unavailable: {exc.__class__.__name__}")
        return self.parse(reply.rstrip(b"\0").decode("utf-8", "replace").strip())

    @staticmethod
    def parse(reply: str) -> ScanResult:
        if reply.endswith(": OK"):
            return ScanResult(CLEAN)
        if reply.endswith(" FOUND"):
            signature = reply.split(": ", 1)[-1].removesuffix(" FOUND").strip()
            if signature.startswith("Heuristics.Limits.Exceeded"):
                return ScanResult(FAILED, f"over the scanner's limits ({signature})")
            return ScanResult(INFECTED, signature[:200])
        return ScanResult(FAILED, (reply or "no answer from the scanner")[:200])


def get_scanner() -> Scanner:
    return import_string(settings.FILES_SCANNER)()
