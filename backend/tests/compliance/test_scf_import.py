"""The SCF workbook importer against the real 2022.3 workbook, a newer-layout workbook, and bad files."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from cspm.compliance.registry import framework_slug, requirement_key
from cspm.compliance.scf_import import WorkbookError, cell_text, parse_workbook, split_requirements

# What the real SCF 2022.3 workbook holds (counted by this importer; 1,090 control rows,
# 32 domains, 192 framework-mapping columns between the metadata and the risk/threat matrices).
REAL_CONTROLS = 1090
REAL_DOMAINS = 32
REAL_FRAMEWORKS = 192


def test_real_workbook_counts(parsed_workbook):
    counts = parsed_workbook.counts()
    assert parsed_workbook.sheet == "SCF 2022.3"
    assert parsed_workbook.release == "2022.3"
    assert counts["controls"] == REAL_CONTROLS
    assert counts["domains"] == REAL_DOMAINS
    assert counts["frameworks"] == REAL_FRAMEWORKS
    assert counts["requirements"] == 22678
    assert counts["links"] == 42756
    assert parsed_workbook.warnings == []


def test_real_workbook_control_fields(parsed_workbook):
    controls = {control.scf_id: control for control in parsed_workbook.controls}
    gov = controls["GOV-01"]
    assert gov.title == "Security & Privacy Governance Program"
    assert gov.domain == "Security & Privacy Governance" and gov.domain_code == "GOV"
    assert gov.description.startswith("Mechanisms exist to facilitate the implementation of cybersecurity")
    assert gov.weighting == 10
    assert gov.nist_csf_function == "Identify"
    # A title with a line break inside the cell, and a domain code with a trailing non-breaking space.
    assert controls["AST-02.10"].title == "Automated Location Tracking"
    assert controls["OPS-03"].title == "Service Delivery (Business Process Support)"
    assert {control.domain_code for control in parsed_workbook.controls} >= {"PRI", "WEB", "VPM", "THR"}


def test_real_workbook_frameworks_and_links(parsed_workbook):
    frameworks = {framework.framework_id: framework for framework in parsed_workbook.frameworks}
    for expected in ("aicpa-tsc-2017-soc-2", "iso-27001-2013", "iso-27001-2022", "iso-27002-2022", "nist-800-53-r5",
                     "nist-csf-1.1", "pcidss-3.2", "pcidss-4.0", "cis-csc-8.0", "emea-eu-gdpr", "us-hipaa"):
        assert expected in frameworks, expected
    soc2 = frameworks["aicpa-tsc-2017-soc-2"]
    assert soc2.source == "AICPA" and soc2.version == "2017"  # joined from 'Authoritative Sources'
    assert "GOV-01" in soc2.requirements["CC1.2"].scf_ids
    # Multi-line cells are split: GOV-01's ISO 27001:2022 cell lists many clauses.
    iso = frameworks["iso-27001-2022"]
    assert "GOV-01" in iso.requirements["6.1.1(e)(1)"].scf_ids
    assert "GOV-01" in iso.requirements["10.1"].scf_ids
    # No SCF metadata, risk, threat or profile column became a framework.
    for framework_id in frameworks:
        assert not framework_id.startswith(("risk", "threat", "scf", "sp-cmm", "scrm", "minimum", "identify"))
    skipped = {entry["header"] for entry in parsed_workbook.skipped_columns}
    assert {"Risk R-AC-1", "Threat NT-1", "SCF-R Ransomware Protection", "SP-CMM 0 Not Performed"} <= skipped


def test_numbers_stored_as_numbers_become_the_right_requirement_ids(parsed_workbook):
    frameworks = {framework.framework_id: framework for framework in parsed_workbook.frameworks}
    ssa = frameworks["us-ssa-eiesr-8.0"].requirements
    # GOV-01's cell holds the number 5.1; another row holds the text "5.10": two requirements, not one.
    assert ssa["5.1"].from_number is True
    assert "GOV-01" in ssa["5.1"].scf_ids
    assert "5.10" in ssa and ssa["5.10"].from_number is False
    assert set(ssa["5.1"].scf_ids) != set(ssa["5.10"].scf_ids)
    # No float noise and no "620.0" for integral numbers.
    oregon = frameworks["us-or-646a"].requirements
    assert "620" in oregon and "620.0" not in oregon
    assert all("0000" not in rid for framework in parsed_workbook.frameworks for rid in framework.requirements)


@pytest.mark.parametrize(("value", "number_format", "expected"), [
    (3.1, "General", "3.1"),
    (3.1, "0.00", "3.10"),
    (12.1, "@", "12.1"),
    (5.11, None, "5.11"),
    (620.0, "@", "620"),
    (620, None, "620"),
    (0.1 + 0.2, None, "0.30000000000000004"),  # the double itself; never rounded into another id
    ("3.10", "@", "3.10"),
])
def test_cell_text(value, number_format, expected):
    assert cell_text(value, number_format) == expected


def test_split_requirements_cleans_and_dedupes():
    assert split_requirements("CC1.1 \nCC1.2\r\n\nCC1.1\n  A1.2\xa0") == ["CC1.1", "CC1.2", "A1.2"]
    assert split_requirements(5.1) == ["5.1"]


def test_framework_ids_survive_header_changes():
    assert framework_slug("ISO\n27001\nv2022") == framework_slug("ISO 27001\n2022") == "iso-27001-2022"
    assert framework_slug("NIST\n800-53\nrev5") == framework_slug("NIST\n800-53\nR5") == "nist-800-53-r5"
    assert framework_slug("NIST\nCSF\n2.0") == "nist-csf-2.0"
    assert requirement_key("ID.BE-05") == requirement_key("id.be-5")
    assert requirement_key("3.10") != requirement_key("3.1")


def _newer_layout(path: Path, *, drop: str | None = None, rename: tuple[str, str] | None = None,
                  sheet: str = "SCF 2025.2") -> Path:
    """A workbook laid out like the 2025/2026 releases (verbatim header names; our own row content)."""
    headers = [
        "SCF Domain", "SCF Control", "SCF #", "Secure Controls Framework (SCF)\nControl Description",
        "Conformity Validation\nCadence", "Evidence Request List (ERL) #",
        "Possible Solutions & Considerations\nMicro-Small Business (<10 staff)\nBLS Firm Size Classes 1-2",
        "SCF Control Question", "Relative Control Weighting", "PPTDF\nApplicability", "NIST CSF\nFunction Grouping",
        "SCRM Focus\n\nTIER 1\nSTRATEGIC", "SCR-CMM Level 0\nNot Performed", "SCF\nCommunity Derived",
        "AICPA\nTSC 2017:2022 (used for SOC 2)", "ISO\n27001\n2022", "NIST\nCSF\n2.0", "NIST\n800-53\nR5",
        "Risk\nR-AC-1", "Threat\nNT-1", "Errata 2025.2",
    ]
    if drop:
        headers.remove(drop)
    if rename:
        headers[headers.index(rename[0])] = rename[1]
    workbook = openpyxl.Workbook()
    workbook.active.title = "Lists"
    domains = workbook.create_sheet("SCF Domains & Principles")
    domains.append(["#", "SCF Domain", "SCF Identifier", "Security, Compliance & Resilience (SCR) Principles"])
    domains.append([1, "Artificial & Autonomous Technologies", "AAT", "Govern AI."])
    privacy = workbook.create_sheet("Data Privacy Mgmt Principles")  # has SCF # but is not the catalogue
    privacy.append(["#", "Principle Name", "SCF Control", "SCF #",
                    "Secure Controls Framework (SCF)\nControl Description"])
    privacy.append([1, "Notice", "Privacy Notice", "PRI-02", "Mechanisms exist to provide notice."])
    sheet_ = workbook.create_sheet(sheet)
    sheet_.append(headers)
    rows = [
        {"SCF Domain": "Artificial & Autonomous Technologies", "SCF Control": "AI Governance", "SCF #": "AAT-01",
         "Secure Controls Framework (SCF)\nControl Description": "Mechanisms exist to govern AI.",
         "Relative Control Weighting": 10, "PPTDF\nApplicability": "Process", "NIST CSF\nFunction Grouping": "Govern",
         "SCRM Focus\n\nTIER 1\nSTRATEGIC": "x", "SCR-CMM Level 0\nNot Performed": "There is no evidence " * 8,
         "SCF\nCommunity Derived": "x", "AICPA\nTSC 2017:2022 (used for SOC 2)": "CC1.1\nCC1.2",
         "ISO\n27001\n2022": "5.1", "NIST\nCSF\n2.0": "GV.OC-01\nGV.RR-01", "NIST\n800-53\nR5": "PM-1",
         "Risk\nR-AC-1": "R-AC-1", "Threat\nNT-1": "NT-1"},
        {"SCF Domain": "Artificial & Autonomous Technologies", "SCF Control": "AI Inventory", "SCF #": "AAT-01.1",
         "Secure Controls Framework (SCF)\nControl Description": "Mechanisms exist to inventory AI.",
         "Relative Control Weighting": "8", "PPTDF\nApplicability": "Technology, Data",
         "NIST CSF\nFunction Grouping": "Identify", "NIST\nCSF\n2.0": "ID.AM-01", "NIST\n800-53\nR5": 3.1},
    ]
    for row in rows:
        sheet_.append([row.get(header) for header in headers])
    workbook.save(path)
    return path


def test_newer_release_layout_imports_by_header_name(tmp_path):
    parsed = parse_workbook(_newer_layout(tmp_path / "scf-2025.xlsx"))
    assert parsed.release == "2025.2"
    assert [control.scf_id for control in parsed.controls] == ["AAT-01", "AAT-01.1"]
    first, second = parsed.controls
    assert first.pptdf == ("Process",) and second.pptdf == ("Technology", "Data")
    assert first.nist_csf_function == "Govern" and second.weighting == 8
    assert {framework.framework_id for framework in parsed.frameworks} == {
        "aicpa-tsc-2017-2022-used-for-soc-2", "iso-27001-2022", "nist-csf-2.0", "nist-800-53-r5"}
    csf2 = next(framework for framework in parsed.frameworks if framework.framework_id == "nist-csf-2.0")
    assert set(csf2.requirements) == {"GV.OC-01", "GV.RR-01", "ID.AM-01"}
    r5 = next(framework for framework in parsed.frameworks if framework.framework_id == "nist-800-53-r5")
    assert r5.requirements["3.1"].from_number


def test_column_order_does_not_matter(tmp_path):
    path = _newer_layout(tmp_path / "a.xlsx")
    workbook = openpyxl.load_workbook(path)
    sheet = workbook["SCF 2025.2"]
    sheet.move_range("A1:C3", cols=30)  # move the id/title/domain columns to the far right
    workbook.save(path)
    parsed = parse_workbook(path)
    assert [control.scf_id for control in parsed.controls] == ["AAT-01", "AAT-01.1"]
    assert parsed.controls[0].title == "AI Governance"


def test_not_an_excel_file(tmp_path):
    path = tmp_path / "report.xlsx"
    path.write_text("SCF #,SCF Control\nGOV-01,Governance\n")
    with pytest.raises(WorkbookError, match=r"not an Excel \.xlsx workbook"):
        parse_workbook(path)


def test_a_workbook_that_is_not_scf(tmp_path):
    workbook = openpyxl.Workbook()
    workbook.active.append(["Name", "Value"])
    workbook.save(tmp_path / "other.xlsx")
    with pytest.raises(WorkbookError, match=r"not an SCF workbook.*no sheet has a header row"):
        parse_workbook(tmp_path / "other.xlsx")


def test_renamed_required_column_is_named_in_the_error(tmp_path):
    path = _newer_layout(tmp_path / "renamed.xlsx", rename=("SCF Domain", "Control Family"))
    with pytest.raises(WorkbookError, match="lacks 'scf domain'"):
        parse_workbook(path)


def test_missing_description_column(tmp_path):
    path = _newer_layout(tmp_path / "dropped.xlsx", drop="Secure Controls Framework (SCF)\nControl Description")
    with pytest.raises(WorkbookError, match="control description"):
        parse_workbook(path)


def test_missing_file(tmp_path):
    with pytest.raises(WorkbookError, match="no such file"):
        parse_workbook(tmp_path / "absent.xlsx")
