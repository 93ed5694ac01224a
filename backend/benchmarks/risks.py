"""Risk register and BIA benchmark: the in-memory work behind a register listing and asset criticality.

    cd backend && ../.venv/bin/python -m benchmarks.risks        # 1,000 and 10,000 risks; 100 and 1,000 processes
    cd backend && ../.venv/bin/python -m benchmarks.risks --risks 5000 --processes 500

What does not depend on the database engine: for N risks with 5 linked SCF controls each, the
computed residual (``risks.residual.computed_residual``) and its matrix cell, and the two heat
maps; for P business processes in dependency chains of 10, ``bia.models.effective_tiers`` (how a
tier flows down the chain) and the asset-key matching ``asset_criticality`` does. Each figure is
the best of 3 runs, printed beside the previous run's (benchmarks/results/risks.json). Database
reads per listing are constant (one find per collection, one controls summary), so their cost is
the store's, measured by the ingest benchmark against a real MongoDB.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable

from benchmarks.history import History
from cspm.bia.models import asset_key, effective_tiers
from cspm.risks import matrix as matrices
from cspm.risks.residual import computed_residual

STATUSES = ["implemented", "partially_implemented", "not_implemented", "not_assessed"]


def best_of(runs: int, work: Callable[[], object]) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return min(times)


def register(count: int, rng: random.Random) -> tuple[list[dict], dict[str, str]]:
    controls = [f"CRY-{n:02d}" for n in range(1, 200)]
    statuses = {scf: rng.choice(STATUSES) for scf in controls}
    risks = [{"likelihood": rng.randint(1, 5), "impact": rng.randint(1, 5), "scf_ids": rng.sample(controls, 5)}
             for _ in range(count)]
    return risks, statuses


def listing(risks: list[dict], statuses: dict[str, str]) -> None:
    matrix = matrices.preset(5)
    inherent, residual = [], []
    for risk in risks:
        found = computed_residual(risk["likelihood"], risk["impact"], risk["scf_ids"], statuses)
        assert found is not None
        cell = matrices.cell(matrix, found["likelihood"], found["impact"])
        inherent.append((risk["likelihood"], risk["impact"]))
        residual.append((cell["likelihood"], cell["impact"]))
    matrices.heat_map(matrix, inherent)
    matrices.heat_map(matrix, residual)


def processes(count: int, rng: random.Random) -> list[dict]:
    out = []
    for index in range(count):
        child = index + 1 if (index + 1) % 10 else None  # chains of 10 processes
        dependencies = [{"kind": "host", "ref": f"10.0.{index // 250}.{index % 250}"}]
        if child is not None and child < count:
            dependencies.append({"kind": "process", "ref": str(child)})
        out.append({"_id": str(index), "name": f"process {index}", "tier": rng.randint(1, 4),
                    "dependencies": dependencies})
    return out


def criticality(items: list[dict]) -> None:
    tiers = effective_tiers(items)
    wanted = {f"host:10.0.{n // 250}.{n % 250}" for n in range(0, len(items), 3)}
    found: dict[str, int] = {}
    for process in items:
        for dependency in process["dependencies"]:
            key = asset_key(dependency["kind"], dependency["ref"])
            if key in wanted:
                found[key] = min(found.get(key, 9), tiers[process["_id"]][0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--risks", default="1000,10000", help="register sizes, comma-separated")
    parser.add_argument("--processes", default="100,1000", help="BIA process counts, comma-separated")
    args = parser.parse_args()
    history = History("risks")
    rng = random.Random(14)
    for size in (int(value) for value in args.risks.split(",")):
        risks, statuses = register(size, rng)
        seconds = best_of(3, lambda risks=risks, statuses=statuses: listing(risks, statuses))
        row = f"risks {size}"
        print(f"{row:>16}: residual + cells + heat maps {history.beside(row, 'listing_s', seconds, digits=4)}, "
              f"{history.beside(row, 'risks_per_s', size / seconds, 'risks/s', 0)}")
    for size in (int(value) for value in args.processes.split(",")):
        items = processes(size, rng)
        seconds = best_of(3, lambda items=items: criticality(items))
        row = f"processes {size}"
        print(f"{row:>16}: tiers + asset criticality {history.beside(row, 'criticality_s', seconds, digits=4)}")
    history.save()


if __name__ == "__main__":
    main()
