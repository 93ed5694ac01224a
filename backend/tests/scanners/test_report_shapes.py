"""Every parser format against hostile shapes: deep, wide and huge-field reports (issue 11).

A report nested 200,000 levels deep, or holding a 2 MiB string, is refused with a
ReportFormatError naming the limit (never RecursionError, MemoryError or a crash); one with
100,000 siblings in an array is legitimate and parses as its ordinary self does.
"""

from __future__ import annotations

import io

import pytest

from cspm.scanners.base import ReportFormatError
from cspm.scanners.parsers import REPORT_PARSERS, SBOM_PARSERS
from cspm.scanners.streaming import MAX_JSON_DEPTH, MAX_JSON_STRING_BYTES, MAX_XML_DEPTH
from tests.scanners.report_shapes import SAMPLES, Sample, huge_text, report

NESTING = [sample for sample in SAMPLES if sample.nests]


def _parse(tool: str, data: bytes) -> list[object]:
    if tool in SBOM_PARSERS:
        return list(SBOM_PARSERS[tool].parse_components(io.BytesIO(data)))
    return list(REPORT_PARSERS[tool].parse(io.BytesIO(data)))


def test_every_format_has_a_sample() -> None:
    registered = {(tool, fmt) for registry in (REPORT_PARSERS, SBOM_PARSERS)
                  for tool, parser in registry.items() for fmt in parser.formats}
    assert {(sample.tool, sample.format) for sample in SAMPLES} == registered


@pytest.mark.parametrize("sample", SAMPLES, ids=str)
def test_the_ordinary_sample_parses(sample: Sample) -> None:
    assert len(_parse(sample.tool, report(sample))) == sample.findings


@pytest.mark.parametrize("sample", NESTING, ids=str)
def test_a_wide_report_parses(sample: Sample) -> None:
    assert len(_parse(sample.tool, report(sample, nest="wide"))) == sample.findings


@pytest.mark.parametrize("sample", NESTING, ids=str)
def test_a_deep_report_is_refused_naming_the_depth_and_the_limit(sample: Sample) -> None:
    limit = MAX_XML_DEPTH if sample.syntax.startswith("xml") else MAX_JSON_DEPTH
    with pytest.raises(ReportFormatError, match=f"nested .*limit (of|is) {limit} levels"):
        _parse(sample.tool, report(sample, nest="deep"))


@pytest.mark.parametrize("sample", SAMPLES, ids=str)
def test_a_huge_field_is_refused_naming_the_limit(sample: Sample) -> None:
    limit = r"field limit \(131072\)" if sample.syntax == "csv" else f"limit of {MAX_JSON_STRING_BYTES:,}"
    with pytest.raises(ReportFormatError, match=limit):
        _parse(sample.tool, report(sample, text=huge_text()))
