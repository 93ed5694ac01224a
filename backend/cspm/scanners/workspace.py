"""Per-job directories: the tool's output, its HOME and TMPDIR, and short-lived secret files."""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class JobWorkspace:
    root: Path

    @classmethod
    def create(cls, label: str, base_dir: Path | None = None) -> JobWorkspace:
        """A fresh private directory (mode 700) under `base_dir` or the system temp dir."""
        if base_dir is not None:
            base_dir.mkdir(parents=True, exist_ok=True)
        safe = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in label)[:40] or "job"
        root = Path(tempfile.mkdtemp(prefix=f"cspm-{safe}-", dir=base_dir)).resolve()
        workspace = cls(root)
        for directory in (workspace.output_dir, workspace.home, workspace.tmp, workspace.secrets_dir):
            directory.mkdir(mode=0o700)
        return workspace

    @property
    def output_dir(self) -> Path:
        return self.root / "out"

    @property
    def home(self) -> Path:
        return self.root / "home"

    @property
    def tmp(self) -> Path:
        return self.root / "tmp"

    @property
    def secrets_dir(self) -> Path:
        """Credential files a tool reads (a GCP key): removed as soon as the tool ends."""
        return self.root / "secrets"

    def write_secret(self, name: str, content: bytes) -> Path:
        path = self.secrets_dir / Path(name).name
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(content)
        return path

    def contains(self, path: Path) -> bool:
        return path.resolve().is_relative_to(self.output_dir)

    def outputs(self) -> tuple[Path, ...]:
        if not self.output_dir.is_dir():
            return ()
        return tuple(sorted(path for path in self.output_dir.rglob("*") if path.is_file()))

    def discard_outputs(self) -> None:
        """Remove everything the tool wrote: a failed run leaves no half-written report."""
        if self.output_dir.is_dir():
            shutil.rmtree(self.output_dir, ignore_errors=True)
            self.output_dir.mkdir(mode=0o700, exist_ok=True)

    def discard_secrets(self) -> None:
        if self.secrets_dir.is_dir():
            shutil.rmtree(self.secrets_dir, ignore_errors=True)

    def cleanup(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)
