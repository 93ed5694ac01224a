"""OCI image layouts built from files (no Docker): one layer per image, optionally a multi-arch index."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from pathlib import Path

MANIFEST = "application/vnd.oci.image.manifest.v1+json"
INDEX = "application/vnd.oci.image.index.v1+json"
ALPINE = b'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.19.1\nPRETTY_NAME="Alpine Linux v3.19"\n'


def _blob(layout: Path, data: bytes) -> dict:
    digest = hashlib.sha256(data).hexdigest()
    (layout / "blobs" / "sha256").mkdir(parents=True, exist_ok=True)
    (layout / "blobs" / "sha256" / digest).write_bytes(data)
    return {"digest": f"sha256:{digest}", "size": len(data)}


def _image(layout: Path, files: dict[str, bytes], architecture: str) -> dict:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        for name, content in sorted(files.items()):
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(content), 0, 0o644
            tar.addfile(info, io.BytesIO(content))
    uncompressed = raw.getvalue()
    layer = _blob(layout, gzip.compress(uncompressed, mtime=0))
    config = _blob(layout, json.dumps({
        "architecture": architecture, "os": "linux", "config": {},
        "rootfs": {"type": "layers", "diff_ids": [f"sha256:{hashlib.sha256(uncompressed).hexdigest()}"]},
    }).encode())
    manifest = _blob(layout, json.dumps({
        "schemaVersion": 2, "mediaType": MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", **config},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", **layer}]}).encode())
    return {"mediaType": MANIFEST, **manifest, "platform": {"os": "linux", "architecture": architecture}}


def build_layout(layout: Path, files: dict[str, bytes], tag: str, *, architectures: tuple[str, ...] = ("amd64",),
                 ) -> str:
    """Writes an OCI layout holding one image (or an index of one image per architecture); returns
    the digest the tag points to."""
    layout.mkdir(parents=True, exist_ok=True)
    images = [_image(layout, {**files, "etc/arch": architecture.encode()}, architecture)
              for architecture in architectures]
    if len(images) == 1:
        top = {key: images[0][key] for key in ("mediaType", "digest", "size")}
    else:
        index = _blob(layout, json.dumps({"schemaVersion": 2, "mediaType": INDEX, "manifests": images}).encode())
        top = {"mediaType": INDEX, **index}
    (layout / "oci-layout").write_text(json.dumps({"imageLayoutVersion": "1.0.0"}))
    (layout / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [
        {**top, "annotations": {"org.opencontainers.image.ref.name": tag}}]}))
    return top["digest"]
