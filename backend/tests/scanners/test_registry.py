"""The explicit parser registry: every tool, loud on duplicates, unknown tools and broken imports."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from cspm.scanners.parsers import (
    REPORT_PARSERS,
    SBOM_PARSERS,
    ParserRegistryError,
    UnknownToolError,
    build_registry,
    get_parser,
    get_sbom_parser,
    report_tools,
)
from cspm.scanners.prowler.parser import ProwlerParser
from cspm.scanners.trivy.parser import TrivyParser

BACKEND = Path(__file__).resolve().parents[2]


def test_every_tool_is_registered() -> None:
    assert report_tools() == ("checkov", "cyclonedx", "generic", "grype", "headers", "kubescape", "nmap", "nuclei",
                              "prowler", "sarif", "ssl_labs", "sslyze", "testssl", "trivy", "zap")
    assert tuple(SBOM_PARSERS) == ("syft",)
    for name, parser in REPORT_PARSERS.items():
        assert parser.tool == name and parser.formats and callable(parser.parse)


def test_lookup_is_case_and_space_insensitive() -> None:
    assert get_parser(" Trivy ") is REPORT_PARSERS["trivy"]
    assert get_sbom_parser("SYFT") is SBOM_PARSERS["syft"]


def test_unknown_tool_names_the_known_ones() -> None:
    with pytest.raises(UnknownToolError) as error:
        get_parser("burp")
    assert isinstance(error.value, KeyError)
    assert str(error.value) == error.value.args[0]
    assert "unknown tool 'burp'" in str(error.value)
    assert "prowler, sarif, ssl_labs, sslyze, testssl, trivy, zap" in str(error.value)
    with pytest.raises(UnknownToolError, match="SBOM import"):
        get_parser("syft")
    with pytest.raises(UnknownToolError, match="unknown SBOM tool 'trivy'"):
        get_sbom_parser("trivy")


def test_duplicate_tool_names_fail_loudly() -> None:
    with pytest.raises(ParserRegistryError, match="duplicate parser for tool 'trivy'"):
        build_registry([TrivyParser(), ProwlerParser(), TrivyParser()])


def test_invalid_tool_names_fail_loudly() -> None:
    class Nameless:
        tool = ""
        formats = ("json",)

    with pytest.raises(ParserRegistryError, match="no valid lower-case tool name"):
        build_registry([Nameless()])  # type: ignore[list-item]


def test_a_broken_parser_import_breaks_the_registry_import() -> None:
    """No silent disappearance: if one parser module cannot be imported, importing the registry fails."""
    code = ("import sys; sys.modules['cspm.scanners.nmap.parser'] = None\n"
            "import cspm.scanners.parsers\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=BACKEND, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "ModuleNotFoundError" in result.stderr and "cspm.scanners.nmap.parser" in result.stderr


def test_registry_does_not_scan_directories() -> None:
    source = (BACKEND / "cspm/scanners/parsers.py").read_text()
    assert "listdir" not in source and "iterdir" not in source and "glob" not in source
    assert "except:" not in source and "except Exception" not in source
