"""A controlled evaluation data set whose disparities are known by construction.

Group A (10 rows): 5 true positives in the labels; predictions TP=4, FN=1, FP=2, TN=3.
Group B (10 rows): 5 true positives; predictions TP=2, FN=3, FP=1, TN=4.
By hand:
- selection rate  A = (4+2)/10 = 0.6     B = (2+1)/10 = 0.3
- TPR             A = 4/5 = 0.8          B = 2/5 = 0.4
- FPR             A = 2/5 = 0.4          B = 1/5 = 0.2
- accuracy        A = (4+3)/10 = 0.7     B = (2+4)/10 = 0.6
- demographic parity difference = 0.6 - 0.3 = 0.3, ratio = 0.3 / 0.6 = 0.5
- equalized odds difference = max(|0.8-0.4|, |0.4-0.2|) = 0.4, ratio = min(0.4/0.8, 0.2/0.4) = 0.5
The score column puts every predicted positive at 0.7 and every predicted negative at 0.3 except the
group B negatives predicted negative, at 0.55: at threshold 0.5 the predictions are the ones above
plus those 4 rows (B selection rate 0.7); at 0.6 they are exactly the ones above.
"""

from __future__ import annotations

HAND_COMPUTED = {
    "A": {"selection_rate": 0.6, "true_positive_rate": 0.8, "false_positive_rate": 0.4, "accuracy": 0.7, "count": 10},
    "B": {"selection_rate": 0.3, "true_positive_rate": 0.4, "false_positive_rate": 0.2, "accuracy": 0.6, "count": 10},
}
HAND_DISPARITIES = {"demographic_parity_difference": 0.3, "demographic_parity_ratio": 0.5,
                    "equalized_odds_difference": 0.4, "equalized_odds_ratio": 0.5}


def _rows(group: str, tp: int, fn: int, fp: int, tn: int) -> list[tuple[str, int, int]]:
    return [(group, 1, 1)] * tp + [(group, 1, 0)] * fn + [(group, 0, 1)] * fp + [(group, 0, 0)] * tn


def controlled_csv(*, fair: bool = False) -> bytes:
    """The data set above (``fair``: group B behaves exactly like group A, so every disparity is 0)."""
    rows = _rows("A", 4, 1, 2, 3) + (_rows("B", 4, 1, 2, 3) if fair else _rows("B", 2, 3, 1, 4))
    lines = ["applicant_sex,hired,predicted,score"]
    for group, label, predicted in rows:
        score = 0.7 if predicted else (0.55 if group == "B" and label == 0 else 0.3)
        lines.append(f"{group},{label},{predicted},{score}")
    return ("\n".join(lines) + "\n").encode()
