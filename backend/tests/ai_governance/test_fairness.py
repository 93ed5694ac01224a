"""fairlearn metrics on the controlled data set equal the values computed by hand."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from cspm.ai_governance.fairness import EvaluationSpec, FairnessLimits, evaluate, read_table
from cspm.core.errors import Unprocessable
from tests.ai_governance.helpers import HAND_COMPUTED, HAND_DISPARITIES, controlled_csv

SPEC = EvaluationSpec("hired", ("applicant_sex",), prediction_column="predicted")


def run(raw: bytes, spec: EvaluationSpec = SPEC, limits: FairnessLimits = FairnessLimits()) -> dict:
    frame, _ = read_table(raw, max_rows=1000)
    return evaluate(frame, spec, limits)


def test_metrics_match_the_hand_computed_values():
    result = run(controlled_csv())
    measured = result["features"][0]["results"][0]
    by_group = {group.pop("group"): group for group in measured["groups"]}
    assert set(by_group) == set(HAND_COMPUTED)
    for group, expected in HAND_COMPUTED.items():
        assert by_group[group] == pytest.approx(expected), group
    assert {k: measured[k] for k in HAND_DISPARITIES} == pytest.approx(HAND_DISPARITIES)
    assert result["verdict"] == "fail"
    assert {c["metric"] for c in result["failed_checks"]} == set(HAND_DISPARITIES)


def test_a_fair_model_passes_and_limits_are_per_system():
    assert run(controlled_csv(fair=True))["verdict"] == "pass"
    lenient = run(controlled_csv(), limits=FairnessLimits(min_ratio=0.5, max_difference=0.4))
    assert lenient["verdict"] == "pass"  # 0.5 >= 0.5 and 0.4 <= 0.4: the limits are inclusive


def test_scores_are_measured_per_threshold_and_the_first_decides():
    spec = EvaluationSpec("hired", ("applicant_sex",), score_column="score", thresholds=(0.6, 0.5))
    result = run(controlled_csv(), spec)
    at_06, at_05 = result["features"][0]["results"]
    assert at_06["threshold"] == 0.6 and at_06["demographic_parity_ratio"] == pytest.approx(0.5)
    # at 0.5 the 4 group B true negatives scored 0.55 become positives: B selects 7 of 10
    b = next(g for g in at_05["groups"] if g["group"] == "B")
    assert b["selection_rate"] == pytest.approx(0.7) and b["false_positive_rate"] == pytest.approx(1.0)
    assert result["decision_threshold"] == 0.6 and result["verdict"] == "fail"


def test_parquet_gives_the_same_metrics():
    frame = pd.read_csv(io.BytesIO(controlled_csv()))
    buffer = io.BytesIO()
    frame.to_parquet(buffer, engine="pyarrow")
    result = run(buffer.getvalue())
    assert result["features"][0]["results"][0]["demographic_parity_ratio"] == pytest.approx(0.5)


@pytest.mark.parametrize(("raw", "spec", "message"), [
    (b"", SPEC, "empty"),
    (b"hired,predicted,applicant_sex\n", SPEC, "no rows"),
    (b"hired,predicted\n1,1\n0,0\n", SPEC, "sensitive-feature column 'applicant_sex' is not in the file"),
    (b"hired,predicted,applicant_sex\n1,1,A\n2,0,B\n3,1,A\n", SPEC, "must be binary"),
    (b"hired,predicted,applicant_sex\n1,1,A\n0,0,\n", SPEC, "1 empty values (first on data row 2)"),
    (b"hired,predicted,applicant_sex\n1,1,A\n0,0,A\n", SPEC, "single group"),
    (b"hired,score,applicant_sex\n1,1.5,A\n0,0.2,B\n",
     EvaluationSpec("hired", ("applicant_sex",), score_column="score"), "data row 1 has '1.5'"),
    (b"hired,predicted,applicant_sex\n1,1,A\n", EvaluationSpec("hired", ("applicant_sex",)), "exactly one of"),
    (b"\xff\xfe\x00garbage", SPEC, "neither Parquet nor UTF-8 CSV"),
    (b"PAR1 truncated", SPEC, "starts like Parquet but cannot be read"),
])
def test_bad_files_are_refused_with_the_reason(raw, spec, message):
    with pytest.raises(Unprocessable, match=message.replace("(", r"\(").replace(")", r"\)")):
        run(raw, spec)


def test_row_limit():
    with pytest.raises(Unprocessable, match="at most 5 are accepted"):
        read_table(controlled_csv(), max_rows=5)
