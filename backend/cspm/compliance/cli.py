"""`cspm scf ...`: import the official SCF workbook, show the active registry, refresh the baseline."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import typer

from cspm.compliance.baseline import BASELINE_PATH, BaselineError, load_baseline_file, refresh_baseline
from cspm.compliance.scf_import import WorkbookError, parse_workbook

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Secure Controls Framework registry")


async def _with_container(action):  # type: ignore[no-untyped-def]
    from cspm.core.container import ServiceContainer  # noqa: PLC0415 - only commands that need the database
    from cspm.core.settings import resolve_core_settings  # noqa: PLC0415

    container = ServiceContainer(resolve_core_settings())
    await container.start()
    try:
        return await action(container)
    finally:
        await container.stop()


@app.command("import")
def import_workbook(
    file: Path = typer.Argument(..., help="The official SCF workbook (.xlsx), any release from 2022.x on."),
    recompute: bool = typer.Option(True, help="Queue a re-mapping of every team's findings afterwards."),
) -> None:
    """Import the SCF workbook as the active registry (atomic: a failed import changes nothing)."""
    from cspm.compliance.registry_service import CommonControlRegistryService  # noqa: PLC0415
    from cspm.core.errors import CSPMError  # noqa: PLC0415

    try:
        parsed = parse_workbook(file)
    except WorkbookError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None

    async def run(container):  # type: ignore[no-untyped-def]
        registries = container.resolve(CommonControlRegistryService)
        report = await registries.store(parsed, actor="cli")
        if recompute:
            await registries.remap_all_teams()
        return report

    try:
        report = asyncio.run(_with_container(run))
    except CSPMError as exc:
        typer.echo(f"error: {exc.detail}", err=True)
        raise typer.Exit(1) from None
    counts = report.counts
    typer.echo(f"imported SCF {report.release or '(release unknown)'} from {report.file_name}: "
               f"{counts['controls']} controls, {counts['domains']} domains, {counts['frameworks']} frameworks, "
               f"{counts['requirements']} requirements, {counts['links']} links in {report.seconds:.1f}s "
               f"(version {report.version_id})")
    for warning in report.warnings[:20]:
        typer.echo(f"warn {warning}", err=True)


@app.command("status")
def status() -> None:
    """Show the active registry (workbook release or built-in baseline) and its counts."""
    from cspm.compliance.registry_service import CommonControlRegistryService  # noqa: PLC0415

    async def run(container):  # type: ignore[no-untyped-def]
        return await container.resolve(CommonControlRegistryService).status()

    typer.echo(json.dumps(asyncio.run(_with_container(run)).model_dump(), indent=2))


@app.command("baseline-refresh")
def baseline_refresh(
    file: Path = typer.Argument(..., help="The SCF workbook to take ids, titles and mappings from."),
    output: Path = typer.Option(BASELINE_PATH, help="Where to write the baseline JSON."),
) -> None:
    """Regenerate the built-in baseline's titles and mappings from a workbook (our descriptions are kept)."""
    try:
        refreshed = refresh_baseline(parse_workbook(file), load_baseline_file(output if output.exists()
                                                                              else BASELINE_PATH))
    except (WorkbookError, BaselineError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    output.write_text(json.dumps(refreshed, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    typer.echo(f"wrote {len(refreshed['controls'])} controls to {output}")
