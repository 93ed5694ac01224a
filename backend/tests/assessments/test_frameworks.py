"""The shipped framework files: unmodified, counted, cross-checked; a broken copy is a clear error."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from cspm.assessments.frameworks import (
    ASVS_CWE_FILE,
    ASVS_FILE,
    ASVS_RENUMBER_FILE,
    CSF_FILE,
    CSF_MAPPING_FILE,
    DATA_DIR,
    FrameworkDataError,
    load_library,
    shipped_library,
)

SHIPPED = (ASVS_FILE, ASVS_CWE_FILE, ASVS_RENUMBER_FILE, CSF_FILE, CSF_MAPPING_FILE, "OWASP-ASVS-LICENSE.md")


def test_asvs_counts_and_levels() -> None:
    asvs = shipped_library().template("owasp-asvs-5.0.0")
    assert asvs is not None
    assert len(asvs.items) == 345
    assert len(asvs.in_scope(1)) == 70
    assert len(asvs.in_scope(2)) - len(asvs.in_scope(1)) == 183
    assert len(asvs.in_scope(3)) - len(asvs.in_scope(2)) == 92
    assert len(asvs.groups) == 17
    counts = asvs.counts()
    assert counts["by_level"] == {"1": 70, "2": 183, "3": 92}
    assert counts["in_scope_at_level"] == {"1": 70, "2": 253, "3": 345}


def test_csf_counts_and_bridge() -> None:
    csf = shipped_library().template("nist-csf-2.0")
    assert csf is not None
    assert len(csf.items) == 106
    assert [group.id for group in csf.groups] == ["GV", "ID", "PR", "DE", "RS", "RC"]
    assert len({item.section_id for item in csf.items}) == 22
    assert [tier.name for tier in csf.tiers] == ["Partial", "Risk informed", "Repeatable", "Adaptive"]
    assert csf.item("GV.RM-01").csf_1_1 == ("ID.RM-1",)
    assert set(csf.item("PR.AA-01").csf_1_1) == {"PR.AC-1"}
    assert csf.item("GV.OC-01").examples, "NIST's implementation examples are kept"


def test_asvs_cwe_ids_come_through_the_renumbering() -> None:
    asvs = shipped_library().template("owasp-asvs-5.0.0")
    # OWASP's be-mapping: v5.0.be-50.5.6 (-> 5.0.0 V3.4.6, frame-ancestors) is CWE-1021 (clickjacking).
    assert asvs.item("V3.4.6").cwe_ids == ("CWE-1021",)
    assert "frame-ancestors" in asvs.item("V3.4.6").text
    assert asvs.item("V1.2.4").cwe_ids == ("CWE-89",)
    assert asvs.counts()["with_cwe"] == 204


def test_the_shipped_files_are_the_published_ones(shared_dir: Path) -> None:
    for name in SHIPPED:
        assert (DATA_DIR / name).read_bytes() == (shared_dir / "frameworks" / name).read_bytes(), name


@pytest.mark.parametrize(("name", "damage", "message"), [
    (ASVS_FILE, lambda text: text[: len(text) // 2], "not JSON"),
    (ASVS_FILE, lambda text: json.dumps({"requirements": json.loads(text)["requirements"][:-1]}),
     "counts"),
    (ASVS_FILE, lambda text: text.replace('"req_id": "V1.1.2"', '"req_id": "V1.1.1"', 1), "appears twice"),
    (ASVS_FILE, lambda text: text.replace('"L": "1"', '"L": "4"', 1), "is not 1, 2 or 3"),
    (ASVS_RENUMBER_FILE, lambda text: text.replace("v5.0.0-1.1.1", "v5.0.0-99.1.1"), "not in"),
    (CSF_FILE, lambda text: text.replace('"GV.OC-01"', '"GV.OC-1"', 1), "is not GV.OC-NN"),
    (CSF_MAPPING_FILE, lambda text: text.replace('"GV.OC-01"', '"GV.ZZ-01"', 1), "is not a CSF 2.0 id"),
    ("OWASP-ASVS-LICENSE.md", None, "missing"),
])
def test_a_broken_file_is_a_clear_error(tmp_path: Path, name: str, damage, message: str) -> None:
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    if damage is None:
        (data / name).unlink()
    else:
        (data / name).write_text(damage((data / name).read_text(encoding="utf-8")), encoding="utf-8")
    with pytest.raises(FrameworkDataError) as raised:
        load_library(data)
    assert name in str(raised.value) and message in str(raised.value)
