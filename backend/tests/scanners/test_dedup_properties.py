"""Property tests: dedup keys are stable under identity field order and whitespace, and differ when
an identity field differs; real reports keep their keys when re-serialised (key order, indentation)."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cspm.findings.models import compute_dedup_key
from tests.scanners.helpers import REPORTS, parse, parse_bytes

# Identity values as parsers produce them: non-empty after whitespace normalisation.
_word = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Zs", "Zl", "Zp", "Cc")), min_size=1, max_size=12)
_value = st.lists(_word, min_size=1, max_size=4).map(" ".join)
_key = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=10)
_identity = st.dictionaries(_key, _value, min_size=1, max_size=6)
_tool = st.sampled_from(["prowler", "trivy", "zap", "nmap", "grype", "checkov", "sslyze", "nuclei", "generic", "sarif",
                         "cyclonedx", "kubescape", "testssl", "ssl_labs"])
_space = st.sampled_from([" ", "  ", "\t", "\n", " \n\t "])


@given(tool=_tool, identity=_identity, seed=st.integers())
def test_key_does_not_depend_on_field_order(tool: str, identity: dict[str, str], seed: int) -> None:
    items = list(identity.items())
    random.Random(seed).shuffle(items)
    assert compute_dedup_key(tool, dict(items)) == compute_dedup_key(tool, identity)


@given(tool=_tool, identity=_identity, outer=_space, inner=_space)
def test_key_does_not_depend_on_surrounding_or_inner_whitespace(tool: str, identity: dict[str, str], outer: str,
                                                                  inner: str) -> None:
    reformatted = {key: outer + value.replace(" ", inner) + outer for key, value in identity.items()}
    assert compute_dedup_key(tool, reformatted) == compute_dedup_key(tool, identity)
    assert compute_dedup_key(f" {tool.upper()} ", identity) == compute_dedup_key(tool, identity)


@given(tool=_tool, identity=_identity, data=st.data())
def test_key_differs_when_an_identity_field_differs(tool: str, identity: dict[str, str], data: st.DataObject) -> None:
    field = data.draw(st.sampled_from(sorted(identity)))
    other = data.draw(_value.filter(lambda v: " ".join(v.split()) != " ".join(identity[field].split())))
    assert compute_dedup_key(tool, {**identity, field: other}) != compute_dedup_key(tool, identity)


@given(tool=_tool, identity=_identity, data=st.data())
def test_key_differs_when_a_field_is_added_or_the_tool_differs(tool: str, identity: dict[str, str],
                                                                data: st.DataObject) -> None:
    extra = data.draw(_key.filter(lambda k: k not in identity))
    assert compute_dedup_key(tool, {**identity, extra: "x"}) != compute_dedup_key(tool, identity)
    other_tool = data.draw(_tool.filter(lambda t: t != tool))
    assert compute_dedup_key(other_tool, identity) != compute_dedup_key(tool, identity)


# (tool, "shared" (shared/scans) or "local" (tests/scanners/reports), path)
_REAL = [("trivy", "shared", "trivy/misconfigurations_and_secrets.json"), ("trivy", "shared", "trivy/kubernetes.json"),
         ("prowler", "shared", "prowler/prowler_5.46_aws_moto_s3_iam.ocsf.json"),
         ("grype", "shared", "anchore_grype/issue_9618.json"),
         ("checkov", "shared", "checkov/checkov-report-severity.json"),
         ("sslyze", "shared", "sslyze/one_target_many_vuln_old.json"),
         ("sarif", "local", "sarif/issue_10191.json"), ("sarif", "local", "sarif/trivy_0.76.0_fs.sarif"),
         ("cyclonedx", "local", "cyclonedx/issue_9277.json"), ("cyclonedx", "local", "cyclonedx/cisa_case3_vex.json"),
         ("kubescape", "local", "kubescape/with_a_failure.json"),
         ("testssl", "local", "testssl/testssl_3.0.8_selfsigned_localhost.json"),
         ("testssl", "local", "testssl/testssl_3.0.8_selfsigned_localhost.pretty.json"),
         ("ssl_labs", "local", "ssl_labs/ssl_labs_multiple_v1.5.0.json")]


def _shuffled(value: object, rng: random.Random) -> object:
    if isinstance(value, dict):
        items = list(value.items())
        rng.shuffle(items)
        return {key: _shuffled(inner, rng) for key, inner in items}
    if isinstance(value, list):
        return [_shuffled(inner, rng) for inner in value]
    return value


@pytest.mark.parametrize("case", _REAL, ids=[relative for _tool, _where, relative in _REAL])
@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(), indent=st.sampled_from([None, 0, 1, 4, "\t"]))
def test_real_reports_keep_their_keys_when_reserialised(shared_dir: Path, case: tuple[str, str, str], seed: int,
                                                        indent: int | str | None) -> None:
    """Every JSON object's keys shuffled, different indentation: same findings, same keys."""
    tool, where, relative = case
    path = (shared_dir / "scans" if where == "shared" else REPORTS) / relative
    expected = sorted(f.dedup_key for f in parse(tool, path))
    document = _shuffled(json.loads(path.read_bytes()), random.Random(seed))
    assert sorted(f.dedup_key for f in parse_bytes(tool, json.dumps(document, indent=indent).encode())) == expected


def test_csv_whitespace_around_values_keeps_keys(shared_dir: Path) -> None:
    path = shared_dir / "scans/prowler/example_output_kubernetes.csv"
    lines = path.read_text().splitlines(keepends=True)
    padded = lines[0] + "".join(";".join(f" {cell} " if cell else cell for cell in line.rstrip("\n").split(";")) + "\n"
                                for line in lines[1:])
    assert [f.dedup_key for f in parse_bytes("prowler", padded.encode())] == [
        f.dedup_key for f in parse("prowler", path)]
