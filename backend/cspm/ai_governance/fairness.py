"""Bias tests: an evaluation table (true label, prediction or score, sensitive features) measured with fairlearn.

Per sensitive feature (and, for scores, per decision threshold) a ``MetricFrame`` gives each
group's selection rate, true and false positive rates, accuracy and count, and fairlearn's
``demographic_parity_difference/ratio`` and ``equalized_odds_difference/ratio`` give the
disparities. The verdict compares those with the system's limits (by default the four-fifths
rule: ratios at least 0.8, differences at most 0.1) at the decision threshold, which is the
first threshold given for scores. Everything that is wrong with the file is an ``Unprocessable``
naming the column and the row, never a pandas traceback.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import pyarrow
from fairlearn.metrics import (
    MetricFrame,
    count,
    demographic_parity_difference,
    demographic_parity_ratio,
    equalized_odds_difference,
    equalized_odds_ratio,
    false_positive_rate,
    selection_rate,
    true_positive_rate,
)
from sklearn.metrics import accuracy_score

from cspm.core.errors import Unprocessable

PARQUET_MAGIC = b"PAR1"
GROUP_METRICS = {
    "selection_rate": selection_rate,
    "true_positive_rate": true_positive_rate,
    "false_positive_rate": false_positive_rate,
    "accuracy": accuracy_score,
    "count": count,
}
MAX_GROUPS = 50


@dataclass(frozen=True)
class FairnessLimits:
    min_ratio: float = 0.8
    max_difference: float = 0.1


@dataclass(frozen=True)
class EvaluationSpec:
    label_column: str
    sensitive_columns: tuple[str, ...]
    prediction_column: str | None = None
    score_column: str | None = None
    positive_label: str = "1"
    thresholds: tuple[float, ...] = field(default=(0.5,))


def read_table(raw: bytes, *, max_rows: int) -> tuple[pd.DataFrame, str]:
    """The evaluation file as a table of strings (CSV) or typed columns (Parquet), and its format."""
    if not raw.strip():
        raise Unprocessable("the evaluation file is empty")
    if raw.startswith(PARQUET_MAGIC):
        try:
            frame = pd.read_parquet(io.BytesIO(raw), engine="pyarrow")
        except (pyarrow.ArrowException, OSError, ValueError) as exc:
            raise Unprocessable(f"the evaluation file starts like Parquet but cannot be read: {exc}") from None
        kind = "parquet"
    else:
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise Unprocessable(f"the evaluation file is neither Parquet nor UTF-8 CSV (byte {exc.start})") from None
        try:
            frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, skipinitialspace=True)
        except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
            raise Unprocessable(f"the evaluation CSV cannot be read: {str(exc).strip()}") from None
        kind = "csv"
    if frame.empty:
        raise Unprocessable("the evaluation file has a header but no rows")
    if len(frame) > max_rows:
        raise Unprocessable(f"the evaluation file has {len(frame)} rows; at most {max_rows} are accepted")
    frame.columns = [str(column).strip() for column in frame.columns]
    return frame, kind


def _column(frame: pd.DataFrame, name: str, role: str) -> pd.Series:
    if name not in frame.columns:
        raise Unprocessable(f"{role} column {name!r} is not in the file (columns: {', '.join(frame.columns)})")
    series = frame[name]
    blank = series.isna() | (series.astype(str).str.strip() == "")
    if blank.any():
        first = int(blank.to_numpy().nonzero()[0][0])
        raise Unprocessable(f"{role} column {name!r} has {int(blank.sum())} empty values (first on data row "
                            f"{first + 1})")
    return series


def _binary(series: pd.Series, name: str, positive: str) -> pd.Series:
    values = series.astype(str).str.strip()
    distinct = sorted(set(values))
    if len(distinct) > 2:
        raise Unprocessable(f"column {name!r} must be binary; it has {len(distinct)} values ({', '.join(distinct[:5])}"
                            f"{', ...' if len(distinct) > 5 else ''})")
    if positive not in distinct and len(distinct) == 2:
        raise Unprocessable(f"column {name!r} has the values {distinct}; the positive label {positive!r} is not one")
    return (values == positive).astype(int)


def _scores(series: pd.Series, name: str) -> pd.Series:
    numbers = pd.to_numeric(series.astype(str).str.strip(), errors="coerce")
    bad = numbers.isna() | (numbers < 0) | (numbers > 1)
    if bad.any():
        first = int(bad.to_numpy().nonzero()[0][0])
        raise Unprocessable(f"score column {name!r} must hold numbers between 0 and 1; data row {first + 1} has "
                            f"{series.iloc[first]!r}")
    return numbers


def _number(value: Any) -> float | None:
    number = float(value)
    return None if math.isnan(number) or math.isinf(number) else round(number, 6)


def _measure(y_true: pd.Series, y_pred: pd.Series, sensitive: pd.Series, limits: FairnessLimits) -> dict[str, Any]:
    frame = MetricFrame(metrics=GROUP_METRICS, y_true=y_true, y_pred=y_pred, sensitive_features=sensitive)
    by_group = frame.by_group
    groups = [{"group": str(group), **{metric: _number(by_group.loc[group, metric]) for metric in GROUP_METRICS}}
              for group in by_group.index]
    disparities = {
        "demographic_parity_difference": _number(demographic_parity_difference(y_true, y_pred,
                                                                               sensitive_features=sensitive)),
        "demographic_parity_ratio": _number(demographic_parity_ratio(y_true, y_pred, sensitive_features=sensitive)),
        "equalized_odds_difference": _number(equalized_odds_difference(y_true, y_pred, sensitive_features=sensitive)),
        "equalized_odds_ratio": _number(equalized_odds_ratio(y_true, y_pred, sensitive_features=sensitive)),
    }
    checks = []
    for metric, value in disparities.items():
        ratio = metric.endswith("_ratio")
        limit = limits.min_ratio if ratio else limits.max_difference
        passed = value is not None and (value >= limit if ratio else value <= limit)
        checks.append({"metric": metric, "value": value, "limit": limit, "operator": ">=" if ratio else "<=",
                       "passed": passed})
    overall = {metric: _number(frame.overall[metric]) for metric in GROUP_METRICS}
    return {"groups": groups, "overall": overall, **disparities, "checks": checks,
            "passed": all(check["passed"] for check in checks)}


def evaluate(frame: pd.DataFrame, spec: EvaluationSpec, limits: FairnessLimits) -> dict[str, Any]:
    """Metrics per sensitive feature (and threshold), the failed checks, and the verdict."""
    if (spec.prediction_column is None) == (spec.score_column is None):
        raise Unprocessable("give exactly one of prediction_column (0/1 decisions) and score_column (0..1 scores)")
    if not spec.sensitive_columns:
        raise Unprocessable("name at least one sensitive-feature column")
    y_true = _binary(_column(frame, spec.label_column, "label"), spec.label_column, spec.positive_label)
    predictions: dict[float | None, pd.Series]
    if spec.prediction_column is not None:
        predictions = {None: _binary(_column(frame, spec.prediction_column, "prediction"), spec.prediction_column,
                                     spec.positive_label)}
    else:
        if not spec.thresholds or any(not 0 < t < 1 for t in spec.thresholds):
            raise Unprocessable("thresholds must be between 0 and 1 (exclusive)")
        scores = _scores(_column(frame, spec.score_column or "", "score"), spec.score_column or "")
        predictions = {threshold: (scores >= threshold).astype(int) for threshold in spec.thresholds}
    features: list[dict[str, Any]] = []
    for name in spec.sensitive_columns:
        sensitive = _column(frame, name, "sensitive-feature").astype(str).str.strip()
        distinct = sensitive.nunique()
        if distinct < 2:
            raise Unprocessable(f"sensitive-feature column {name!r} has a single group; a disparity needs two")
        if distinct > MAX_GROUPS:
            raise Unprocessable(f"sensitive-feature column {name!r} has {distinct} groups; at most {MAX_GROUPS}")
        per_threshold = [{"threshold": threshold, **_measure(y_true, y_pred, sensitive, limits)}
                         for threshold, y_pred in predictions.items()]
        features.append({"feature": name, "results": per_threshold})
    decision = [feature["results"][0] for feature in features]
    failed = [{"feature": feature["feature"], **check} for feature in features
              for check in feature["results"][0]["checks"] if not check["passed"]]
    return {"rows": len(frame), "features": features, "failed_checks": failed,
            "verdict": "pass" if all(result["passed"] for result in decision) else "fail",
            "decision_threshold": next(iter(predictions)),
            "limits": {"min_ratio": limits.min_ratio, "max_difference": limits.max_difference}}
