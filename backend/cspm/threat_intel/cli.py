"""`cspm threat-intel ...`: import a KEV catalogue or an EPSS file an operator downloaded."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import typer

from cspm.core.container import ServiceContainer
from cspm.core.settings import resolve_core_settings
from cspm.threat_intel.feeds import FeedError, FeedService

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Threat intelligence feeds (KEV, EPSS)")


async def _with_feeds(action: Callable[[FeedService], Awaitable[dict[str, Any]]]) -> dict[str, Any]:
    container = ServiceContainer(resolve_core_settings())
    await container.start()
    try:
        return await action(container.resolve(FeedService))
    finally:
        await container.stop()


def _run(action: Callable[[FeedService], Awaitable[dict[str, Any]]]) -> dict[str, Any]:
    try:
        return asyncio.run(_with_feeds(action))
    except FeedError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None


@app.command("import-kev")
def import_kev(file: Path = typer.Argument(..., exists=True, dir_okay=False,
                                           help="CISA known_exploited_vulnerabilities.json")) -> None:
    """Validate a KEV catalogue against CISA's schema and make it the current one."""
    raw = file.read_bytes()
    result = _run(lambda feeds: feeds.import_kev(raw, source=f"cli:{file.name}"))
    typer.echo(f"KEV {result['version']} ({result['date']}): {result['count']} entries, {result['added']} added, "
               f"{result['removed']} removed, {result['modified']} modified")


@app.command("import-epss")
def import_epss(file: Path = typer.Argument(..., exists=True, dir_okay=False,
                                            help="FIRST epss_scores CSV (plain or .gz)")) -> None:
    """Import FIRST EPSS scores."""
    raw = file.read_bytes()
    result = _run(lambda feeds: feeds.import_epss(raw, source=f"cli:{file.name}"))
    typer.echo(f"EPSS {result['version'] or '(model unknown)'} ({result['date']}): {result['count']} scores, "
               f"{result['changed']} changed")
