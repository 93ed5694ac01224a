"""Streaming readers shared by the report parsers: JSON events, XML elements, text lines.

Every reader turns the low-level error of its library into a ``ReportFormatError`` that
names the problem in words ("truncated JSON at byte 1234", "not well-formed XML at line 3,
column 7"), so a bad upload is answered with a 4xx naming the problem and nothing is stored.

- JSON: ijson events (the yajl2 C backend) over the binary stream; ``JsonEvents.build``
  assembles one sub-value (a single vulnerability, a single check result) so a parser only
  ever holds one item of a big array in memory. Every JSON reader reads through
  ``JsonLimitedStream``, which refuses a report nested deeper than ``MAX_JSON_DEPTH`` or holding
  a string or key beyond ``MAX_JSON_STRING_BYTES``/``MAX_JSON_KEY_BYTES`` before ijson sees
  those bytes, so memory stays bounded whatever the report's shape.
- XML: defusedxml's ``iterparse`` (entity declarations and external references refused:
  no billion-laughs, no XXE); the stdlib XML parser is never given untrusted input directly.
  Elements nested deeper than ``MAX_XML_DEPTH`` and texts or attributes beyond
  ``MAX_XML_TEXT_CHARS`` are refused.
- Text: a UTF-8 text wrapper for CSV and JSON Lines, read line by line.

``peek`` reads the first bytes of a report without consuming them, for format sniffing.
"""

from __future__ import annotations

import codecs
import io
import re
import shutil
import tempfile
import xml.etree.ElementTree as ET  # only for the ParseError/Element types: parsing goes through defusedxml
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from itertools import accumulate, repeat
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

# Limits on the shape of a JSON report. ijson carries the whole path (every enclosing key, "item"
# for an array) in every event, and queues all the events of one read before yielding any: its
# memory grows with depth x key length x events per read, and with the square of the depth (a
# 400 KB report nested 200,000 levels deep took 22 GB). The limits bound each factor; no real
# report comes near them (the deepest, sslyze's, nests 17 levels; the longest keys are 52 bytes).
MAX_JSON_DEPTH = 64
"""Arrays and objects nested inside each other."""
MAX_JSON_STRING_BYTES = 1024 * 1024
"""Any single string as written (escapes included): a bigger one is no scanner's field, and a
finding holding it could not be stored."""
MAX_JSON_KEY_BYTES = 1024
"""An object key (cloud tag names go up to 512 bytes, Kubernetes label keys to 317)."""
JSON_EVENTS_READ_BYTES = 16 * 1024
"""ijson's read size for events (``JsonEvents``): it bounds the queue of one read's events, each
holding its path. Reading less than ijson's default 64 KiB costs no speed."""
PYTHON_BACKEND_READ_BYTES = 4 * 1024
"""The same for the pure-Python backend, which builds a fresh path string for every event."""
JSON_ITEMS_READ_BYTES = 64 * 1024
"""ijson's read size for items built in C (``json_items``), which queues only the built items."""
MAX_XML_DEPTH = 64
"""XML elements nested inside each other (Nmap's script tables, the deepest, nest about 8)."""
MAX_XML_TEXT_CHARS = MAX_JSON_STRING_BYTES
"""An XML element's text or one attribute value."""


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

# What the scan keeps of a read to follow the nesting: quotes (strings hide brackets) and brackets.
_NOT_STRUCTURE = bytes(byte for byte in range(256) if byte not in b'"[]{}')
_ONE_BRACKET_KIND = bytes.maketrans(b"{}", b"[]")
_DEPTH_STEP = {ord("["): 1, ord("]"): -1}
_QUOTED = re.compile(rb'"[^"]*"')
# A string longer than the key limit covers at least one whole block of this size (aligned on the
# read), so only the gaps between quotes around a block without a quote need measuring.
_KEY_PROBE_BLOCK = (MAX_JSON_KEY_BYTES + 1) // 2
_COLON_AHEAD = re.compile(rb"[ \t\n\r]*(:)?")
_NAMED_FIELD = re.compile(rb'"([A-Za-z0-9_.@$-]{1,64})"[ \t\n\r]*:[ \t\n\r]*$')


class JsonLimitedStream(io.RawIOBase):
    """The report's bytes, each read checked against the JSON limits before ijson gets it.

    Not a parser (ijson still judges the syntax): a scan that follows strings, their escapes and
    the nesting of ``[`` and ``{`` across reads. A read that goes too deep or holds an oversized
    string or key is not handed over: the stream ends there and ``refusal`` says why, so ijson
    never builds a path for it, and the JSON readers raise ``failure()`` instead of ijson's
    "incomplete" error. (Ending the stream rather than raising through ijson lets its coroutines
    close cleanly: the pure-Python backend's would report the cut-off document when collected.)

    Each read is scanned with C-speed bytes operations (one translate pass, then work on what is
    left: quotes and brackets), not a Python loop per byte. On valid JSON the scan is exact; on
    invalid JSON ijson stops at the first error anyway.
    """

    def __init__(self, tool: str, report: PeekedReport) -> None:
        super().__init__()
        self.tool = tool
        self.refusal: ReportFormatError | None = None
        self._report = report
        self._depth = 0
        self._in_string = False
        self._string_bytes = 0
        """Of the string the last read left open."""
        self._string_context = b""
        """The bytes before that string's opening quote, to name its field in a message."""
        self._escape_pending = False
        """The last read ended inside a string with a backslash: the next read's first byte is escaped."""
        self._key_candidate_bytes = 0
        """A long string ended the last read: a colon at the start of the next makes it a key."""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self.refusal is not None:
            return 0
        # A string wholly inside one read is never longer than the read, so only strings spanning
        # reads need counting against MAX_JSON_STRING_BYTES.
        view = memoryview(buffer).cast("B")[:MAX_JSON_STRING_BYTES]
        count = self._report.readinto(view)
        if count:
            try:
                self._scan(bytes(view[:count]))
            except ReportFormatError as refusal:
                self.refusal = refusal
                return 0
        return count

    def failure(self, error: Exception | None) -> ReportFormatError:
        """What to raise when ijson stops with ``error`` (None: its events ran out inside a value)."""
        if self.refusal is not None:
            return self.refusal
        if error is None:
            return ReportFormatError(self.tool, f"truncated JSON at byte {self._report.bytes_read}")
        return ReportFormatError(self.tool, describe_json_error(error, self._report.bytes_read))

    def _scan(self, chunk: bytes) -> None:
        if self._escape_pending:
            chunk = b"_" + chunk[1:]
            self._escape_pending = False
        if b"\\" in chunk:
            # Escapes become two neutral bytes (offsets unchanged): then every quote delimits a string.
            chunk = chunk.replace(b"\\\\", b"__").replace(b'\\"', b"__")
            self._escape_pending = chunk.endswith(b"\\")
        if self._key_candidate_bytes:
            candidate, self._key_candidate_bytes = self._key_candidate_bytes, 0
            self._check_key(candidate, chunk, 0)
        if self._in_string:
            # A leading quote stands for the opening one, read earlier: the read is then scanned
            # as if it started outside strings.
            chunk = b'"' + chunk
            closing = chunk.find(b'"', 1)
            if closing < 0:
                self._string_bytes += len(chunk) - 1
                self._check_open_string()
                return
            self._string_bytes += closing - 1
            self._check_open_string()
            self._check_key(self._string_bytes, chunk, closing + 1)
        self._check_keys_within(chunk)
        structure = chunk.translate(None, _NOT_STRUCTURE)
        self._in_string = structure.count(b'"') % 2 == 1
        if b'"' in structure:
            # Drop the strings and the brackets inside them. Removing two adjacent quotes keeps
            # every later quote's parity (opening or closing), so the cheap replace goes first.
            structure = _QUOTED.sub(b"", structure.replace(b'""', b""))
            structure = structure.split(b'"', 1)[0]  # after a quote left open, all is inside the string
        self._follow_nesting(structure)
        if self._in_string:
            opening = chunk.rfind(b'"')
            self._string_bytes = len(chunk) - opening - 1
            self._string_context = chunk[max(0, opening - 80):opening]
            self._check_open_string()

    def _check_keys_within(self, chunk: bytes) -> None:
        """Refuse a key longer than the limit that opens and closes in this read."""
        block = _KEY_PROBE_BLOCK
        starts = range(0, len(chunk) - block + 1, block)
        stops = range(block, len(chunk) + 1, block)
        if -1 not in map(chunk.find, repeat(b'"'), starts, stops):
            return  # a quote in every block: no gap between two quotes is longer than the limit
        measured_to = counted_to = quotes_before = 0
        for start, quote in zip(starts, map(chunk.find, repeat(b'"'), starts, stops), strict=True):
            if quote >= 0 or start < measured_to:
                continue
            opening = chunk.rfind(b'"', 0, start)
            closing = chunk.find(b'"', start)
            if closing < 0:
                break  # the rest of the read is one gap: a string there goes on into the next read
            measured_to = closing
            if opening < 0:
                continue  # the read starts outside strings: no string before its first quote
            quotes_before += chunk.count(b'"', counted_to, opening)
            counted_to = opening
            if quotes_before % 2 == 0:  # an opening quote: the gap is a string
                self._check_key(closing - opening - 1, chunk, closing + 1)

    def _follow_nesting(self, structure: bytes) -> None:
        """Track the depth through the read's brackets (``structure``: outside strings, in order)."""
        brackets = structure.translate(_ONE_BRACKET_KIND)
        opened = brackets.count(b"[")
        depth_after = self._depth + 2 * opened - len(brackets)
        if self._depth + opened > MAX_JSON_DEPTH and self._deepest_bound(brackets) > MAX_JSON_DEPTH:
            deepest = max(accumulate(map(_DEPTH_STEP.__getitem__, brackets), initial=self._depth))
            if deepest > MAX_JSON_DEPTH:
                raise ReportFormatError(self.tool, f"JSON nested {deepest:,} levels deep within the first "
                                                   f"{self._report.bytes_read:,} bytes: the limit is "
                                                   f"{MAX_JSON_DEPTH} levels of arrays and objects")
        self._depth = max(0, depth_after)

    def _deepest_bound(self, brackets: bytes) -> int:
        """An upper bound of the depth reached in the read, from a few C-speed passes.

        Each pass removes the innermost pairs ("[]"), one level; what is left after ``passes``
        is "]]][[": down ``closing``, then up ``opening``. No point of the read is deeper than
        the highest point of that skeleton plus the levels removed.
        """
        passes = 0
        while b"[]" in brackets and passes <= MAX_JSON_DEPTH:
            brackets = brackets.replace(b"[]", b"")
            passes += 1
        opening = len(brackets) - brackets.find(b"[") if b"[" in brackets else 0
        closing = len(brackets) - opening
        return self._depth + max(0, opening - closing) + passes

    def _check_key(self, length: int, chunk: bytes, after: int) -> None:
        """A string of ``length`` bytes ended just before ``after``: refused if it is a key and too long."""
        if length <= MAX_JSON_KEY_BYTES:
            return
        ahead = _COLON_AHEAD.match(chunk, after)
        assert ahead is not None  # the pattern matches the empty string
        if ahead.group(1):
            raise ReportFormatError(self.tool, f"a JSON object key of {length:,} bytes, within the first "
                                               f"{self._report.bytes_read:,} bytes: the limit is "
                                               f"{MAX_JSON_KEY_BYTES:,} bytes")
        if ahead.end() == len(chunk):  # only whitespace after it so far: the next read decides
            self._key_candidate_bytes = max(self._key_candidate_bytes, length)  # the whole, if seen in part too

    def _check_open_string(self) -> None:
        if self._string_bytes > MAX_JSON_STRING_BYTES:
            # Only a field name that looks like one is quoted: the report's own text is never echoed.
            named = _NAMED_FIELD.search(self._string_context)
            what = f'the value of "{named.group(1).decode()}"' if named else "a string"
            raise ReportFormatError(self.tool, f"{what} is longer than the limit of {MAX_JSON_STRING_BYTES:,} "
                                               f"bytes for one JSON string (within the first "
                                               f"{self._report.bytes_read:,} bytes)")


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
        self._source = JsonLimitedStream(tool, stream)
        if big_integers:
            self._events = _PYTHON_BACKEND.parse(self._source, use_float=True, multiple_values=multiple_values,
                                                 buf_size=PYTHON_BACKEND_READ_BYTES)
        else:
            self._events = ijson.parse(self._source, use_float=True, multiple_values=multiple_values,
                                       buf_size=JSON_EVENTS_READ_BYTES)

    def __iter__(self) -> Iterator[tuple[str, str, Any]]:
        return self

    def __next__(self) -> tuple[str, str, Any]:
        try:
            return next(self._events)
        except ijson.JSONError as exc:
            raise self._source.failure(exc) from None
        except StopIteration:
            if self._source.refusal is not None:  # refused where one value ended and the next began
                raise self._source.refusal from None
            raise

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
            raise self._source.failure(exc) from None
        raise self._source.failure(None)

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
            raise self._source.failure(exc) from None
        raise self._source.failure(None)


def json_items(tool: str, stream: PeekedReport, prefix: str, *, multiple_values: bool = False) -> Iterator[Any]:
    """Every value at ``prefix``, built by ijson's C backend (several times faster than building
    from Python-level events): for homogeneous arrays whose items need no surrounding context."""
    source = JsonLimitedStream(tool, stream)
    try:
        yield from ijson.items(source, prefix, use_float=True, multiple_values=multiple_values,
                               buf_size=JSON_ITEMS_READ_BYTES)
    except ijson.JSONError as exc:
        raise source.failure(exc) from None
    if source.refusal is not None:  # refused where one value ended and the next began
        raise source.refusal


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


def json_document(tool: str, stream: PeekedReport) -> Any:
    """The single JSON value of a small report, read through the same limits as the streamed ones."""
    events = JsonEvents(tool, stream)
    first = next(events, None)
    if first is None:
        raise ReportFormatError(tool, "the report holds no JSON value")
    _prefix, event, value = first
    document = events.build(event, value)
    next(events, None)  # yajl refuses data after the value
    return document


def iter_json_values(tool: str, stream: PeekedReport) -> Iterator[Any]:
    """Every top-level JSON value of a JSON Lines / concatenated-JSON report, one at a time."""
    events = JsonEvents(tool, stream, multiple_values=True)
    for _prefix, event, value in events:
        yield events.build(event, value)


# ---------------------------------------------------------------------------------------- XML


def iter_xml(tool: str, stream: PeekedReport, events: tuple[str, ...] = ("start", "end")
             ) -> Iterator[tuple[str, ET.Element]]:
    """defusedxml iterparse with its errors turned into ReportFormatError, within the XML limits.

    The caller clears elements it has processed so memory stays flat. iterparse hands over the
    elements of one read (16 KiB) at a time, so a limit is enforced before much is built.
    """
    depth = 0
    for event, element in _iterparse(tool, stream):
        if event == "start":
            depth += 1
            if depth > MAX_XML_DEPTH:
                raise ReportFormatError(tool, f"XML elements nested deeper than the limit of {MAX_XML_DEPTH} levels "
                                              f"(within the first {stream.bytes_read:,} bytes)")
            for name, value in element.attrib.items():
                if len(value) > MAX_XML_TEXT_CHARS:
                    raise ReportFormatError(tool, f"the attribute {local_name(name)[:64]!r} of "
                                                  f"<{local_name(element.tag)[:64]}> is longer than the limit of "
                                                  f"{MAX_XML_TEXT_CHARS:,} characters")
        else:
            depth -= 1
            if element.text is not None and len(element.text) > MAX_XML_TEXT_CHARS:
                raise ReportFormatError(tool, f"the text of <{local_name(element.tag)[:64]}> is longer than the limit "
                                              f"of {MAX_XML_TEXT_CHARS:,} characters")
        if event in events:
            yield event, element


def _iterparse(tool: str, stream: PeekedReport) -> Iterator[tuple[str, ET.Element]]:
    try:
        yield from DefusedET.iterparse(stream, events=("start", "end"), forbid_dtd=False,
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
