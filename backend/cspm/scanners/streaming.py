"""Streaming readers shared by the report parsers: JSON events, XML elements, text lines.

Every reader turns the low-level error of its library into a ``ReportFormatError`` that
names the problem in words ("truncated JSON at byte 1234", "not well-formed XML at line 3,
column 7"), so a bad upload is answered with a 4xx naming the problem and nothing is stored.

- JSON: ijson events (the yajl2 C backend) over the binary stream; ``JsonEvents.build``
  assembles one sub-value (a single vulnerability, a single check result) so a parser only
  ever holds one item of a big array in memory.
- XML: defusedxml's ``iterparse`` (entity declarations and external references refused:
  no billion-laughs, no XXE); the stdlib XML parser is never given untrusted input directly.
- Text: a UTF-8 text wrapper for CSV and JSON Lines, read line by line.

``peek`` reads the first bytes of a report without consuming them, for format sniffing.
"""

from __future__ import annotations

import codecs
import io
import shutil
import tempfile
import xml.etree.ElementTree as ET  # only for the ParseError/Element types: parsing goes through defusedxml
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO, Any, BinaryIO, cast

import defusedxml.ElementTree as DefusedET  # type: ignore[import-untyped]
import ijson  # type: ignore[import-untyped]
from defusedxml import (  # type: ignore[import-untyped]
    DefusedXmlException,
    DTDForbidden,
    EntitiesForbidden,
    ExternalReferenceForbidden,
)

from cspm.scanners.base import ReportFormatError
from cspm.scanners.sniff import looks_like_other_tool

PEEK_BYTES = 64 * 1024
SPOOL_IN_MEMORY = 8 * 1024 * 1024
_PYTHON_BACKEND = ijson.get_backend("python")
_START = ("start_map", "start_array")
_END = ("end_map", "end_array")


class PeekedReport(io.RawIOBase):
    """A binary stream whose first bytes were already read (for sniffing) and are replayed.

    A leading UTF-8 byte-order mark is dropped: some Windows tools write one and neither
    yajl nor expat expects it.
    """

    def __init__(self, tool: str, report: BinaryIO, size: int = PEEK_BYTES) -> None:
        super().__init__()
        head = report.read(size)
        if isinstance(head, str):
            raise TypeError(f"{tool} parser needs a binary stream (open the report with 'rb')")
        if head.startswith(codecs.BOM_UTF8):
            head = head[len(codecs.BOM_UTF8):]
        self.head: bytes = head
        self._pending = memoryview(head)
        self._report = report
        self.bytes_read = 0
        self.last_byte = b""
        self.eof = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        if self._pending.nbytes:
            count = min(len(view), self._pending.nbytes)
            view[:count] = self._pending[:count]
            self._pending = self._pending[count:]
        else:
            chunk = self._report.read(len(view))
            count = len(chunk)
            view[:count] = chunk
            if count == 0 and len(view):
                self.eof = True
        self.bytes_read += count
        if count:
            self.last_byte = bytes(view[count - 1:count])
        return count

    def ends_with_newline(self) -> bool:
        """Whether the bytes read so far end with a line break (CSV writers always end rows with one)."""
        return self.last_byte in (b"\n", b"\r")

    def stripped_head(self) -> bytes:
        return self.head.lstrip()

    def first_char(self) -> str:
        """The first non-whitespace character of the report ('' for an empty or blank report)."""
        stripped = self.stripped_head()
        return chr(stripped[0]) if stripped else ""


def peek(tool: str, report: BinaryIO) -> PeekedReport:
    return PeekedReport(tool, report)


def start_position(report: BinaryIO) -> int | None:
    """Where the report starts if it can be read again (a file, an upload spooled to disk); else None."""
    try:
        return report.tell() if report.seekable() else None
    except (AttributeError, ValueError, OSError):
        return None


@contextmanager
def rereadable(tool: str, report: BinaryIO, stream: PeekedReport, start: int | None
               ) -> Iterator[Callable[[], PeekedReport]]:
    """A function that gives a fresh stream over the whole report on every call, for parsers that
    must read a report twice (a value they need comes after the items that need it).

    A seekable report is re-read from ``start``; a one-way stream (a pipe) is first copied to a
    temporary file (in memory up to ``SPOOL_IN_MEMORY``, then on disk), so memory stays bounded.
    """
    if start is not None:
        def reopen_report() -> PeekedReport:
            report.seek(start)
            return peek(tool, report)
        yield reopen_report
        return
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY) as spool:
        shutil.copyfileobj(stream, spool)

        def reopen_spool() -> PeekedReport:
            spool.seek(0)
            return peek(tool, cast(BinaryIO, spool))
        yield reopen_spool


def ensure_not_blank(tool: str, stream: PeekedReport) -> None:
    if not stream.head:
        raise ReportFormatError(tool, "the report is empty (0 bytes)")
    if not stream.stripped_head():
        raise ReportFormatError(tool, "the report contains only whitespace")


# --------------------------------------------------------------------------------------- JSON


class JsonEvents:
    """ijson events over a report, with JSON errors turned into ReportFormatError.

    Iterate it for ``(prefix, event, value)`` tuples; call ``build(event, value)`` right
    after a ``start_map``/``start_array`` event to assemble that whole sub-value.
    """

    def __init__(self, tool: str, stream: PeekedReport, *, multiple_values: bool = False,
                 big_integers: bool = False) -> None:
        """``big_integers``: use ijson's pure-Python backend, which reads integers beyond 64 bits
        (sslyze writes certificate serial numbers and RSA moduli as JSON numbers; yajl rejects
        them as "integer overflow"). It is several times slower, so only for small reports."""
        self.tool = tool
        self._stream = stream
        backend = _PYTHON_BACKEND if big_integers else ijson
        self._events = backend.parse(stream, use_float=True, multiple_values=multiple_values)

    def __iter__(self) -> Iterator[tuple[str, str, Any]]:
        return self

    def __next__(self) -> tuple[str, str, Any]:
        try:
            return next(self._events)
        except ijson.JSONError as exc:
            raise ReportFormatError(self.tool, describe_json_error(exc, self._stream.bytes_read)) from None

    def build(self, event: str, value: Any) -> Any:
        """The complete value that starts with this event (consumes its events).

        A tight loop over the raw ijson events (no per-event wrapper, no ObjectBuilder): this is
        the hot path of every streamed parser.
        """
        if event not in _START:
            return value
        root: Any = {} if event == "start_map" else []
        stack: list[Any] = [root]
        keys: list[Any] = [None]
        try:
            for _prefix, kind, item in self._events:
                if kind == "map_key":
                    keys[-1] = item
                elif kind == "start_map" or kind == "start_array":
                    child: Any = {} if kind == "start_map" else []
                    top = stack[-1]
                    if type(top) is list:
                        top.append(child)
                    else:
                        top[keys[-1]] = child
                    stack.append(child)
                    keys.append(None)
                elif kind == "end_map" or kind == "end_array":
                    stack.pop()
                    keys.pop()
                    if not stack:
                        return root
                else:
                    top = stack[-1]
                    if type(top) is list:
                        top.append(item)
                    else:
                        top[keys[-1]] = item
        except ijson.JSONError as exc:
            raise ReportFormatError(self.tool, describe_json_error(exc, self._stream.bytes_read)) from None
        raise ReportFormatError(self.tool, f"truncated JSON at byte {self._stream.bytes_read}")

    def skip(self, event: str) -> None:
        """Consume the rest of a container without building it."""
        if event not in _START:
            return
        depth = 1
        try:
            for _prefix, kind, _value in self._events:
                if kind == "start_map" or kind == "start_array":
                    depth += 1
                elif kind == "end_map" or kind == "end_array":
                    depth -= 1
                    if depth == 0:
                        return
        except ijson.JSONError as exc:
            raise ReportFormatError(self.tool, describe_json_error(exc, self._stream.bytes_read)) from None
        raise ReportFormatError(self.tool, f"truncated JSON at byte {self._stream.bytes_read}")


def json_items(tool: str, stream: PeekedReport, prefix: str, *, multiple_values: bool = False) -> Iterator[Any]:
    """Every value at ``prefix``, built by ijson's C backend (several times faster than building
    from Python-level events): for homogeneous arrays whose items need no surrounding context."""
    try:
        yield from ijson.items(stream, prefix, use_float=True, multiple_values=multiple_values)
    except ijson.JSONError as exc:
        raise ReportFormatError(tool, describe_json_error(exc, stream.bytes_read)) from None


def describe_json_error(exc: Exception, bytes_read: int) -> str:
    """Words for an ijson/yajl error; the report's own text is never echoed (it may hold secrets)."""
    message = str(exc).splitlines()[0].strip() if str(exc) else type(exc).__name__
    lowered = message.lower()
    if "premature eof" in lowered or "incomplete" in lowered:
        return f"truncated JSON at byte {bytes_read}: the document ends before it is complete"
    if "trailing garbage" in lowered:
        return f"unexpected data after the end of the JSON document (within the first {bytes_read} bytes)"
    if "integer overflow" in lowered:
        return f"a number beyond 64 bits within the first {bytes_read} bytes (not a report this parser reads)"
    if "utf8" in lowered or "utf-8" in lowered:
        return f"the report is not UTF-8 text (invalid bytes within the first {bytes_read} bytes)"
    return f"not valid JSON ({message}) within the first {bytes_read} bytes"


def iter_json_values(tool: str, stream: PeekedReport) -> Iterator[Any]:
    """Every top-level JSON value of a JSON Lines / concatenated-JSON report, one at a time."""
    events = JsonEvents(tool, stream, multiple_values=True)
    for _prefix, event, value in events:
        yield events.build(event, value)


# ---------------------------------------------------------------------------------------- XML


def iter_xml(tool: str, stream: PeekedReport, events: tuple[str, ...] = ("start", "end")
             ) -> Iterator[tuple[str, ET.Element]]:
    """defusedxml iterparse with its errors turned into ReportFormatError.

    The caller clears elements it has processed so memory stays flat.
    """
    try:
        yield from DefusedET.iterparse(stream, events=events, forbid_dtd=False,
                                       forbid_entities=True, forbid_external=True)
    except ET.ParseError as exc:
        line, column = getattr(exc, "position", (0, 0))
        reason = str(exc).split(":")[0]
        if reason == "no element found":
            problem = f"truncated XML: the document ends at line {line}, column {column} before it is complete"
        elif stream.eof:
            problem = (f"truncated or malformed XML at the end of the document ({reason} at line {line}, "
                       f"column {column})")
        else:
            problem = f"not well-formed XML ({reason}) at line {line}, column {column}"
        raise ReportFormatError(tool, problem) from None
    except EntitiesForbidden:
        raise ReportFormatError(tool, "XML entity declarations are not allowed in a report") from None
    except ExternalReferenceForbidden:
        raise ReportFormatError(tool, "XML external references are not allowed in a report") from None
    except DTDForbidden:
        raise ReportFormatError(tool, "XML document type definitions are not allowed in a report") from None
    except DefusedXmlException as exc:
        raise ReportFormatError(tool, f"unsafe XML refused ({type(exc).__name__})") from None


def local_name(tag: str) -> str:
    """Tag without its XML namespace."""
    return tag.rsplit("}", 1)[-1]


# --------------------------------------------------------------------------------------- text


def text_lines(tool: str, stream: PeekedReport) -> IO[str]:
    """The report as UTF-8 text, universal newlines left to the csv module (newline='')."""
    return io.TextIOWrapper(io.BufferedReader(stream), encoding="utf-8", errors="strict", newline="")


def decode_error(tool: str, exc: UnicodeDecodeError, where: str) -> ReportFormatError:
    return ReportFormatError(tool, f"the report is not UTF-8 text (invalid byte {exc.object[exc.start]:#04x} {where})")


def open_report(tool: str, report: BinaryIO) -> PeekedReport:
    """The report, peeked and ready to read: not blank, and not recognisably another tool's."""
    stream = peek(tool, report)
    ensure_not_blank(tool, stream)
    other = looks_like_other_tool(tool, stream.head)
    if other:
        raise ReportFormatError(tool, other)
    return stream
