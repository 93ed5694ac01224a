"""Streaming: parsing a 20,000-finding report holds a small, bounded amount of memory.

Two measures, no timing asserted (benchmarks/ measures speed):

- tracemalloc (Python allocations) while every finding is produced and dropped, as the ingest
  spool does: the peak stays a small fraction of the file size, and does not grow when the
  report grows tenfold;
- the resident-set high-water mark of a fresh process (C allocations too: yajl buffers, the
  C-built items), compared with what ``json.load`` of the same file costs in the same setting,
  which shows the measure would catch a parser that loads the report;
- the same high-water mark for hostile reports up to 50 MB (200,000 levels deep, a 50 MB
  string, the worst shapes the limits still allow): under 1 GB each.
"""

from __future__ import annotations

import subprocess
import sys
import tracemalloc
from collections.abc import Iterator
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


# ------------------------------------------------------------------ hostile shapes (issue 11)

HOSTILE_MAX_BYTES = 50 * 1024 * 1024
RSS_CEILING = 1024 * 1024 * 1024
_LONG_KEY_PATH = "".join('{"' + chr(97 + level % 26) * 1024 + '":' for level in range(62))


def _hostile_inputs() -> Iterator[tuple[str, str, bool, bytes]]:
    """(name, tool, breaks a limit?, report) of inputs up to 50 MB built to blow a parser's memory."""
    # The reproduction: 400 KB, 200,000 levels (22 GB before the depth limit).
    yield "trivy-200000-deep", "trivy", True, b'{"SchemaVersion":2,"Results":' + b"[" * 200_000 + b"]" * 200_000 + b"}"
    yield "generic-50MB-title", "generic", True, (b'{"scanner":"a","findings":[{"rule_id":"A","title":"'
                                                  + b"t" * (HOSTILE_MAX_BYTES - 200)
                                                  + b'","severity":"low","resource":{"type":"url","id":"u"}}]}')
    # Within the limits, the worst for ijson's per-read event queue: a path of long keys (each
    # event's path is ~64 KB), then as many events with a path of their own as a read holds:
    # keys for the C backend, array items for the pure-Python one (sslyze's).
    keys = ",".join(f'"{number}":0' for number in range(1_000_000))
    yield "checkov-long-key-path", "checkov", False, f"{_LONG_KEY_PATH}{{{keys}}}{'}' * 62}".encode()
    items = "0," * 300_000
    yield "sslyze-long-key-path", "sslyze", False, (f'{{"sslyze_version":"6",{_LONG_KEY_PATH[1:]}{{"k":[{items}0]}}'
                                                    f"{'}' * 62}").encode()
    yield "nmap-2000000-deep", "nmap", True, b"<nmaprun>" + b"<a>" * 2_000_000 + b"</a>" * 2_000_000 + b"</nmaprun>"
    yield "nmap-50MB-attribute", "nmap", True, (b'<nmaprun><host><address addr="10.0.0.1" addrtype="ipv4"/><ports>'
                                                b'<port protocol="tcp" portid="22"><state state="open"/><service name="'
                                                + b"s" * (HOSTILE_MAX_BYTES - 300)
                                                + b'"/></port></ports></host></nmaprun>')


def _hostile_reports(directory: Path) -> list[tuple[str, str, Path, bool]]:
    """The hostile inputs written to files, one at a time: (name, tool, file, breaks a limit?)."""
    written = []
    for name, tool, breaks_a_limit, data in _hostile_inputs():
        assert len(data) <= HOSTILE_MAX_BYTES, name
        path = directory / f"{name}.in"
        path.write_bytes(data)
        written.append((name, tool, path, breaks_a_limit))
    return written


# Each input in turn, the high-water mark reset before each (writing 5 to clear_refs).
_HOSTILE_CHILD = """
import sys
from cspm.scanners.base import ReportFormatError
from cspm.scanners.parsers import get_parser


def peak_kb():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))


for name, tool, path in zip(*[iter(sys.argv[1:])] * 3):
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")
    before = peak_kb()
    try:
        with open(path, "rb") as report:
            for _finding in get_parser(tool).parse(report):
                pass
        outcome = "parsed"
    except ReportFormatError:
        outcome = "refused"
    print(name, outcome, (peak_kb() - before) * 1024, flush=True)
"""


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc/self/status")
def test_hostile_reports_up_to_50_mb_keep_the_process_under_1_gb(tmp_path: Path) -> None:
    reports = _hostile_reports(tmp_path)
    arguments = [str(part) for name, tool, path, _breaks_a_limit in reports for part in (name, tool, path)]
    result = subprocess.run([sys.executable, "-c", _HOSTILE_CHILD, *arguments], cwd=BACKEND,
                            capture_output=True, text=True, timeout=300, check=True)
    measured = {name: (outcome, int(growth)) for name, outcome, growth in map(str.split, result.stdout.splitlines())}
    figures = ", ".join(f"{name}: {outcome}, +{growth / 2**20:.0f} MiB" for name, (outcome, growth) in measured.items())
    assert list(measured) == [name for name, *_ in reports], result.stderr
    for name, _tool, _path, breaks_a_limit in reports:
        outcome, growth = measured[name]
        assert outcome == "refused" or not breaks_a_limit, figures
        assert growth < RSS_CEILING, figures
