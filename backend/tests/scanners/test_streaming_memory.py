"""Streaming: parsing a 20,000-finding report holds a small, bounded amount of memory.

Two measures, no timing asserted (benchmarks/ measures speed):

- tracemalloc (Python allocations) while every finding is produced and dropped, as the ingest
  spool does: the peak stays a small fraction of the file size, and does not grow when the
  report grows tenfold;
- the resident-set high-water mark of a fresh process (C allocations too: yajl buffers, the
  C-built items), compared with what ``json.load`` of the same file costs in the same setting,
  which shows the measure would catch a parser that loads the report.
"""

from __future__ import annotations

import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest

from benchmarks.report_generators import write_prowler_ocsf_report, write_trivy_report
from cspm.scanners.parsers import get_parser

FINDINGS = 20_000
BACKEND = Path(__file__).resolve().parents[2]


def _traced_peak(tool: str, path: Path) -> tuple[int, int]:
    count = 0
    tracemalloc.start()
    try:
        with path.open("rb") as report:
            for _finding in get_parser(tool).parse(report):
                count += 1
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return count, peak


def test_trivy_tracemalloc_peak_is_far_below_the_report_size_and_flat(tmp_path: Path) -> None:
    # One target holding every vulnerability: the worst case, streamed item by item inside one array.
    large = write_trivy_report(tmp_path / "large.json", FINDINGS, targets=1)
    small = write_trivy_report(tmp_path / "small.json", FINDINGS // 10, targets=1)
    size = large.stat().st_size
    assert size > 30 * 1024 * 1024
    count, large_peak = _traced_peak("trivy", large)
    _small_count, small_peak = _traced_peak("trivy", small)
    assert count == FINDINGS
    assert large_peak < size / 20, f"peak {large_peak} bytes for a {size}-byte report"
    assert large_peak < 2 * small_peak + 256 * 1024, (small_peak, large_peak)


# The peak resident set of the child's own address space (VmHWM, in kB). Not ru_maxrss: after a
# fork that starts at the parent's resident set, so inside a long test run (a large pytest
# process) every child would report no growth at all.
_CHILD = """
import json, sys
from cspm.scanners.parsers import get_parser


def peak_kb():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))


mode, tool, path = sys.argv[1:4]
before = peak_kb()
count = 0
with open(path, "rb") as report:
    if mode == "parse":
        for _finding in get_parser(tool).parse(report):
            count += 1
    else:
        count = len(json.load(report))
after = peak_kb()
print(count, (after - before) * 1024)
"""


def _rss_growth(mode: str, tool: str, path: Path) -> tuple[int, int]:
    result = subprocess.run([sys.executable, "-c", _CHILD, mode, tool, str(path)], cwd=BACKEND,
                            capture_output=True, text=True, timeout=300, check=True)
    count, growth = result.stdout.split()
    return int(count), int(growth)


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc/self/status")
def test_prowler_process_memory_is_far_below_what_loading_costs(tmp_path: Path) -> None:
    path = write_prowler_ocsf_report(tmp_path / "prowler.json", FINDINGS)
    size = path.stat().st_size
    count, parse_growth = _rss_growth("parse", "prowler", path)
    loaded, load_growth = _rss_growth("load", "prowler", path)
    assert count == loaded == FINDINGS
    numbers = f"report {size} bytes, parse grew the resident set by {parse_growth}, json.load by {load_growth}"
    assert load_growth > size / 2, numbers  # the measure sees a parser that holds the report
    assert parse_growth < size / 10, numbers
