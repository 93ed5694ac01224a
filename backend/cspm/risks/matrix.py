"""Risk matrices: likelihood x impact grids with a level (label and colour) per cell, and scoring on them.

A team has one matrix (default 5x5; 3x3 and 4x4 presets). A risk stores its likelihood and impact
on the team's current scale; changing the matrix size maps every value onto the new scale
(``rescale``: the same fraction of the scale, rounded up, so 5/5 stays the top and 1/5 the bottom)
and re-scores the risk. A cell's level is what the heat map colours and the register filters on.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

LEVELS: dict[str, str] = {"low": "#2e7d32", "medium": "#f9a825", "high": "#ef6c00", "critical": "#c62828"}

LABELS: dict[int, tuple[list[str], list[str]]] = {
    3: (["Unlikely", "Possible", "Likely"], ["Minor", "Moderate", "Major"]),
    4: (["Rare", "Unlikely", "Likely", "Almost certain"], ["Minor", "Moderate", "Major", "Severe"]),
    5: (["Rare", "Unlikely", "Possible", "Likely", "Almost certain"],
        ["Negligible", "Minor", "Moderate", "Major", "Severe"]),
}


def _level_for(likelihood: int, impact: int, size: int) -> str:
    """The preset's level: the product as a share of the largest product, cut in four bands."""
    share = likelihood * impact / (size * size)
    if share >= 0.6:
        return "critical"
    if share >= 0.35:
        return "high"
    if share >= 0.15:
        return "medium"
    return "low"


def preset(size: int) -> dict[str, Any]:
    """A preset matrix of ``size`` x ``size``: cells[likelihood-1][impact-1] names a level."""
    if size not in LABELS:
        raise ValueError(f"no preset for a {size}x{size} matrix (3, 4 or 5)")
    likelihood_labels, impact_labels = LABELS[size]
    return {"size": size, "likelihood_labels": likelihood_labels, "impact_labels": impact_labels,
            "levels": [{"name": name, "colour": colour} for name, colour in LEVELS.items()],
            "cells": [[_level_for(lik, imp, size) for imp in range(1, size + 1)] for lik in range(1, size + 1)]}


def validate(matrix: Mapping[str, Any]) -> list[str]:
    """What is wrong with a matrix a team sends, in words (empty: valid)."""
    size = matrix["size"]
    problems = []
    if len(matrix["likelihood_labels"]) != size or len(matrix["impact_labels"]) != size:
        problems.append(f"a {size}x{size} matrix needs {size} likelihood and {size} impact labels")
    names = {level["name"] for level in matrix["levels"]}
    if len(names) != len(matrix["levels"]):
        problems.append("level names must be unique")
    cells = matrix["cells"]
    if len(cells) != size or any(len(row) != size for row in cells):
        problems.append(f"cells must be {size} rows of {size} level names (likelihood rows, impact columns)")
    else:
        unknown = sorted({cell for row in cells for cell in row} - names)
        if unknown:
            problems.append(f"cells name unknown levels: {', '.join(unknown)}")
    return problems


def rescale(value: int, old_size: int, new_size: int) -> int:
    """A value on a 1..old_size scale onto 1..new_size: the same share of the scale, rounded up."""
    if old_size == new_size:
        return value
    return max(1, min(new_size, math.ceil(value * new_size / old_size)))


def cell(matrix: Mapping[str, Any], likelihood: int, impact: int) -> dict[str, Any]:
    """Score and level of one cell; the colour comes with the level."""
    size = matrix["size"]
    likelihood = max(1, min(size, likelihood))
    impact = max(1, min(size, impact))
    level = matrix["cells"][likelihood - 1][impact - 1]
    colour = next((item["colour"] for item in matrix["levels"] if item["name"] == level), "#9e9e9e")
    return {"likelihood": likelihood, "impact": impact, "score": likelihood * impact, "level": level,
            "colour": colour}


def heat_map(matrix: Mapping[str, Any], points: Sequence[tuple[int, int]]) -> list[list[int]]:
    """Counts per cell: rows by likelihood (1 first), columns by impact."""
    size = matrix["size"]
    grid = [[0] * size for _ in range(size)]
    for likelihood, impact in points:
        if 1 <= likelihood <= size and 1 <= impact <= size:
            grid[likelihood - 1][impact - 1] += 1
    return grid
