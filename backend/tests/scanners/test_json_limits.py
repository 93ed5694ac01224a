"""The limits on a report's shape (cspm.scanners.streaming): nesting depth, string and key length.

The JSON limits are checked on the bytes, read by read, by ``JsonLimitedStream``; its verdict
is compared with a plain byte-by-byte reference scanner on generated documents near every
limit, cut into reads at arbitrary points (inside escapes, between a key and its colon). The
XML limits are checked on the parsed events.
"""

from __future__ import annotations

import io
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cspm.scanners.base import ReportFormatError
from cspm.scanners.streaming import (
    MAX_JSON_DEPTH,
    MAX_JSON_KEY_BYTES,
    MAX_JSON_STRING_BYTES,
    MAX_XML_DEPTH,
    MAX_XML_TEXT_CHARS,
    JsonEvents,
    JsonLimitedStream,
    iter_xml,
    json_document,
    peek,
)


def reference_violations(document: bytes) -> set[str]:
    """The limits a valid JSON document breaks, found one byte at a time."""
    broken: set[str] = set()
    depth = position = 0
    while position < len(document):
        byte = document[position]
        if byte == ord('"'):
            end = position + 1
            while document[end] != ord('"'):
                end += 2 if document[end] == ord("\\") else 1
            length = end - position - 1
            after = end + 1
            while after < len(document) and document[after] in b" \t\n\r":
                after += 1
            if length > MAX_JSON_STRING_BYTES:
                broken.add("string")
            if length > MAX_JSON_KEY_BYTES and document[after:after + 1] == b":":
                broken.add("key")
            position = end + 1
            continue
        if byte in b"[{":
            depth += 1
            if depth > MAX_JSON_DEPTH:
                broken.add("depth")
        elif byte in b"]}":
            depth -= 1
        position += 1
    return broken


def guard_verdict(document: bytes, read_sizes: list[int]) -> str | None:
    """What ``JsonLimitedStream`` refuses, reading ``document`` in reads of the given sizes (cycled)."""
    source = JsonLimitedStream("test", peek("test", io.BytesIO(document)))
    read = 0
    while source.readinto(bytearray(read_sizes[read % len(read_sizes)])):
        read += 1
    if source.refusal is None:
        return None
    problem = source.refusal.problem
    for word, kind in (("nested", "depth"), ("object key", "key"), ("for one JSON string", "string")):
        if word in problem:
            return kind
    raise AssertionError(f"unexpected refusal: {problem}")


# ----------------------------------------------------------------- documents near the limits

# Pieces of string content as written: escapes (split across reads at every offset by the read
# sizes), brackets and quotes that must not count, multi-byte UTF-8.
_PIECES = ["a", "[", "]", "{", "}", ":", ",", " ", '\\"', "\\\\", "\\n", "\\u00e9", "é", "\\\\\\\""]
# A document's strings are all short, or some near the key limit: so that a document breaks one
# limit (depth, key) as often as several, and a scan that misses one kind is caught.
_SHORT = [0, 0, 3, 40]
_NEAR_KEY_LIMIT = [0, 0, MAX_JSON_KEY_BYTES - 1, MAX_JSON_KEY_BYTES, MAX_JSON_KEY_BYTES + 1]
_SPACE = st.sampled_from(["", "", " ", "\n  ", "\t", " \r\n "])


@st.composite
def json_strings(draw: st.DrawFn, fillers: list[int]) -> str:
    pieces = draw(st.lists(st.sampled_from(_PIECES), max_size=6))
    pieces.insert(draw(st.integers(0, len(pieces))), "x" * draw(st.sampled_from(fillers)))
    return '"' + "".join(pieces) + '"'


@st.composite
def json_documents(draw: st.DrawFn) -> str:
    strings = json_strings(draw(st.sampled_from([_SHORT, _NEAR_KEY_LIMIT])))
    value = draw(st.one_of(strings, st.sampled_from(["0", "-1.5e3", "true", "null", "[]", "{}"])))
    for _level in range(draw(st.sampled_from([0, 1, 3, MAX_JSON_DEPTH - 1, MAX_JSON_DEPTH, MAX_JSON_DEPTH + 1,
                                               MAX_JSON_DEPTH + 2]))):
        before, after = draw(_SPACE), draw(_SPACE)
        sibling = draw(st.one_of(st.none(), strings))
        if draw(st.booleans()):
            items = [value] if sibling is None else [sibling, value]
            value = f"[{before}{', '.join(items)}{after}]"
        else:
            pairs = [f"{draw(strings)}{draw(_SPACE)}:{draw(_SPACE)}{value}"]
            if sibling is not None:
                pairs.insert(0, f'"s":{sibling}')
            value = f"{{{before}{', '.join(pairs)}{after}}}"
    return value


@settings(max_examples=100, deadline=None)
@given(text=json_documents(), read_sizes=st.lists(st.sampled_from([1, 2, 3, 5, 64, 1000, 1025, 4096, 16384]),
                                                  min_size=1, max_size=5))
def test_the_byte_scan_agrees_with_a_byte_by_byte_reference(text: str, read_sizes: list[int]) -> None:
    document = text.encode()
    json.loads(document)  # the generator writes valid JSON
    floor = max(1, len(document) // 1000)  # at most ~1000 reads per document
    verdict = guard_verdict(document, [max(size, floor) for size in read_sizes])
    broken = reference_violations(document)
    if verdict is None:
        assert not broken
    else:
        assert verdict in broken


# ----------------------------------------------------------------------------- JSON, exactly

READ_SIZES = [[1], [3], [7, 1], [1000], [16 * 1024], [64 * 1024], [MAX_JSON_STRING_BYTES]]


@pytest.mark.parametrize("read_sizes", READ_SIZES, ids=str)
def test_nesting_up_to_the_limit_passes_one_level_more_is_refused(read_sizes: list[int]) -> None:
    for opener, closer in (("[", "]"), ('{"k":', "}"), ('[{"k":', "}]")):
        levels = MAX_JSON_DEPTH // (2 if len(opener) == 6 else 1)
        document = (opener * levels + "1" + closer * levels).encode()
        assert guard_verdict(document, read_sizes) is None
        deeper = ("[" + opener * levels + "1" + closer * levels + "]").encode()
        assert guard_verdict(deeper, read_sizes) == "depth"


@pytest.mark.parametrize("read_sizes", READ_SIZES, ids=str)
def test_brackets_and_escaped_quotes_inside_strings_do_not_nest(read_sizes: list[int]) -> None:
    strings = ['"' + "[{" * 5000 + '"', '"\\"' + "[" * 300 + '\\""', '"\\\\"', '"' + "\\\\" * 100 + '["']
    document = ("[" * (MAX_JSON_DEPTH - 1) + "[" + ", ".join(strings) + "]" + "]" * (MAX_JSON_DEPTH - 1)).encode()
    assert guard_verdict(document, read_sizes) is None


@pytest.mark.parametrize("read_sizes", [[16 * 1024], [64 * 1024], [1000, 7], [MAX_JSON_STRING_BYTES]], ids=str)
def test_a_string_up_to_the_limit_passes_one_byte_more_is_refused(read_sizes: list[int]) -> None:
    for body in ("x" * MAX_JSON_STRING_BYTES, "\\\\" * (MAX_JSON_STRING_BYTES // 2)):  # escapes count as written
        assert guard_verdict(f'{{"title": "{body}"}}'.encode(), read_sizes) is None
        assert guard_verdict(f'{{"title": "{body}x"}}'.encode(), read_sizes) == "string"


@pytest.mark.parametrize("read_sizes", READ_SIZES[:5], ids=str)
def test_a_key_up_to_the_limit_passes_one_byte_more_is_refused(read_sizes: list[int]) -> None:
    key = "k" * MAX_JSON_KEY_BYTES
    for space in ("", " ", " " * 20_000):  # the colon may come several reads after the key
        assert guard_verdict(f'{{"{key}"{space}: 1}}'.encode(), read_sizes) is None
        assert guard_verdict(f'{{"{key}k"{space}: 1}}'.encode(), read_sizes) == "key"
        assert guard_verdict(f'["{key}k"{space}, 1]'.encode(), read_sizes) is None  # a long value, not a key


def test_a_key_split_across_reads_is_measured_whole() -> None:
    # The first read ends 100 bytes into the key; the second holds its last 1,024 bytes (no longer
    # than the limit on their own) and spaces; the third starts with the colon.
    document = b'{"' + b"k" * (MAX_JSON_KEY_BYTES + 100) + b'"' + b" " * 10 + b": 1}"
    assert guard_verdict(document, [102, MAX_JSON_KEY_BYTES + 11, 100]) == "key"


def test_a_refusal_names_the_limit_and_a_field_that_looks_like_one_but_echoes_no_text() -> None:
    def problem(document: bytes) -> str:
        with pytest.raises(ReportFormatError) as refused:
            json_document("test", peek("test", io.BytesIO(document)))
        return refused.value.problem

    deep = problem(b"[" * 200_000 + b"]" * 200_000)
    assert f"the limit is {MAX_JSON_DEPTH} levels" in deep and "levels deep within the first" in deep
    long_title = b'{"title": "' + b"x" * (MAX_JSON_STRING_BYTES + 1) + b'"}'
    assert problem(long_title).startswith(f'the value of "title" is longer than the limit of '
                                          f'{MAX_JSON_STRING_BYTES:,} bytes')
    secret_key = b'{"password hunter2": "' + b"x" * (MAX_JSON_STRING_BYTES + 1) + b'"}'
    assert "hunter2" not in problem(secret_key) and problem(secret_key).startswith("a string is longer")
    assert f"the limit is {MAX_JSON_KEY_BYTES:,} bytes" in problem(b'{"' + b"k" * 5000 + b'": 1}')


def test_a_refused_read_ends_the_stream_and_is_what_the_readers_raise() -> None:
    document = b'{"a": 1}\n{"b": ' + b"[" * 100 + b"]" * 100 + b"}\n"  # the refusal falls between two values
    events = JsonEvents("test", peek("test", io.BytesIO(document)), multiple_values=True)
    with pytest.raises(ReportFormatError, match="nested 101 levels deep"):
        list(events)


# ------------------------------------------------------------------------------------------ XML


def _xml(document: bytes) -> list[tuple[str, str]]:
    return [(event, element.tag) for event, element in iter_xml("test", peek("test", io.BytesIO(document)))]


def test_xml_nesting_up_to_the_limit_passes_one_level_more_is_refused() -> None:
    assert len(_xml(b"<a>" * MAX_XML_DEPTH + b"</a>" * MAX_XML_DEPTH)) == 2 * MAX_XML_DEPTH
    with pytest.raises(ReportFormatError, match=f"nested deeper than the limit of {MAX_XML_DEPTH} levels"):
        _xml(b"<a>" * (MAX_XML_DEPTH + 1) + b"</a>" * (MAX_XML_DEPTH + 1))
    with pytest.raises(ReportFormatError, match="nested deeper than the limit"):
        _xml(b"<a>" * 1_000_000 + b"</a>" * 1_000_000)


def test_xml_texts_and_attributes_up_to_the_limit_pass_longer_ones_are_refused() -> None:
    exact = b"x" * MAX_XML_TEXT_CHARS
    assert _xml(b'<r a="' + exact + b'">' + exact + b"</r>") == [("start", "r"), ("end", "r")]
    with pytest.raises(ReportFormatError, match=r"the text of <desc> is longer than the limit of 1,048,576"):
        _xml(b"<r><desc>" + exact + b"x</desc></r>")
    with pytest.raises(ReportFormatError, match=r"the attribute 'output' of <script> is longer than the limit"):
        _xml(b'<r><script output="' + exact + b'x"/></r>')
