"""File-hash indicators matched against the files SBOMs list with their digests (syft).

The SBOMs are real: one written by the syft binary here on a directory the test makes, and
syft 1.18.1's own JSON and SPDX output of a directory (tests/scanners/reports/syft/).
"""

from __future__ import annotations

import hashlib
import io
import subprocess
from pathlib import Path

from cspm.assets.service import AssetService
from cspm.core.tools import locate
from cspm.scanners.parsers import get_sbom_parser
from cspm.threat_intel.service import ThreatIntelService

REPORTS = Path(__file__).parents[1] / "scanners" / "reports" / "syft"
# the SHA-256 of /requirements.txt in that syft JSON
REQUIREMENTS_SHA256 = "2236a27ba870996922d9322f240a5f5f66a033bdefffa8c2ce138adda855d86e"


def hash_csv(*rows: tuple[str, str]) -> bytes:
    return ("value,type,confidence,tags\n" + "".join(f"{value},{kind},80,dropper\n" for value, kind in rows)).encode()


async def store(container, team_id: str, asset_id: str, sbom: bytes) -> int:
    return await container.resolve(AssetService).store_sbom(
        team_id=team_id, asset_id=asset_id, run_id="run-1", parser=get_sbom_parser("syft"), report=io.BytesIO(sbom))


async def correlations(container, team_id: str) -> list[dict]:
    items, _ = await container.resolve(ThreatIntelService).list_correlations(
        team_id=team_id, see_red=True, finding_id=None, offset=0, limit=50)
    return items


async def test_a_real_syft_sbom_matches_an_indicator_imported_after_it(container, tmp_path):
    source = tmp_path / "app"
    source.mkdir()
    (source / "requirements.txt").write_text("requests==2.31.0\nflask==2.0.0\n")
    digest = hashlib.sha256((source / "requirements.txt").read_bytes()).hexdigest()
    syft_binary = locate("syft")
    assert syft_binary, "syft comes with the backend's tools extra"
    syft = subprocess.run([syft_binary, f"dir:{source}", "-o", "syft-json", "-q"],
                          capture_output=True, check=True, timeout=300)
    assert await store(container, "team-a", "dir:app", syft.stdout) == 2
    result = await container.resolve(ThreatIntelService).import_indicators(
        team_id="team-a", actor="u", kind="csv", source="csv:hashes", raw=hash_csv((digest, "sha256")))
    assert result["correlation"]["new_matches"] == 1
    [match] = await correlations(container, "team-a")
    assert (match["indicator_type"], match["matched_value"]) == ("sha256", digest)
    assert match["asset"] == {"sbom_asset_id": "dir:app", "path": "/requirements.txt", "resource_type": "file",
                              "resource_id": "dir:app:/requirements.txt", "source_tool": "syft"}
    assert match["where"] == "syft SBOM of dir:app: /requirements.txt"


async def test_an_sbom_stored_after_the_indicator_is_matched_and_teams_stay_apart(container):
    intel = container.resolve(ThreatIntelService)
    for team in ("team-a", "team-b"):
        await intel.import_indicators(team_id=team, actor="u", kind="csv", source="csv:hashes",
                                      raw=hash_csv((REQUIREMENTS_SHA256, "sha256")))
    await store(container, "team-a", "image:shop", (REPORTS / "syft_1.18.1_dir.syft.json").read_bytes())
    assert [item["asset"]["path"] for item in await correlations(container, "team-a")] == ["/requirements.txt"]
    assert await correlations(container, "team-b") == []  # team B named the hash but has no such file


async def test_spdx_checksums_match_and_a_replaced_sbom_without_the_file_adds_nothing(container):
    intel = container.resolve(ThreatIntelService)
    sha1 = "c389f205c782f35b088f1e3af632571e3de39445"  # the SPDX document's requirements.txt SHA1
    await intel.import_indicators(team_id="team-a", actor="u", kind="csv", source="csv:hashes",
                                  raw=hash_csv((sha1, "sha1")))
    await store(container, "team-a", "dir:src", (REPORTS / "syft_1.18.1_dir.spdx.json").read_bytes())
    [match] = await correlations(container, "team-a")
    assert (match["indicator_type"], match["asset"]["path"]) == ("sha1", "requirements.txt")
    await store(container, "team-a", "dir:other", b'{"artifacts": [], "files": []}')
    assert len(await correlations(container, "team-a")) == 1
