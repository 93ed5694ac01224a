"""The EU AI Act text (Regulation (EU) 2024/1689), loaded once from the shipped file and validated.

``data/eu-ai-act.json`` holds the regulation as a flat list of nodes: chapters and articles carry a
``name`` ("Article 9"), paragraphs and points a ``ref`` ("9.1", "5.1.a"), the annexes their areas as
text blocks. This module is the only reader of that file: it checks the shape with pydantic, then
indexes articles by number, paragraphs and points by ref, and splits Annex III into its eight areas
and their lettered points, so questions and obligations can quote the Act's own words.
Terms of reuse: ``data/EU-AI-ACT-LICENSE.txt``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

ACT_FILE = Path(__file__).parent / "data" / "eu-ai-act.json"
CITATION = "Regulation (EU) 2024/1689 (AI Act)"
_ARTICLE_NAME = re.compile(r"^Article\s+(\d+)\s*$")
_ANNEX_NAME = re.compile(r"^ANNEX\s+([IVX]+)\s*$")
_AREA_HEAD = re.compile(r"^(\d)\.\s+(.+?):?$")
_POINT = re.compile(r"^\(([a-z])\)\s*(.+)$")


class ActFileError(ValueError):
    """The shipped Act file is not in the expected shape (a packaging error: fail at start-up)."""


class ActNode(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1)
    parent: str | None = None
    depth: int = Field(ge=1, le=8)
    assessable: bool
    ref: str | None = None
    name: str | None = None
    text: str | None = None


class ActDocument(BaseModel):
    model_config = ConfigDict(extra="forbid")

    regulation: str = Field(min_length=10)
    rights: str = Field(min_length=10)
    nodes: list[ActNode] = Field(min_length=100)


@dataclass(frozen=True)
class Provision:
    """A paragraph or point of an article, or an unnumbered subparagraph (``ref`` None)."""

    node_id: str
    ref: str | None
    text: str
    assessable: bool


@dataclass(frozen=True)
class Article:
    number: int
    title: str
    provisions: tuple[Provision, ...]

    @property
    def label(self) -> str:
        return f"Article {self.number}"

    def text(self, *, assessable_only: bool = False) -> str:
        parts = [f"{p.ref}: {p.text}" if p.ref else p.text for p in self.provisions
                 if p.assessable or not assessable_only]
        return "\n".join(parts)


@dataclass(frozen=True)
class AnnexPoint:
    ref: str
    """``III.4.a``: annex, area, point."""
    text: str


@dataclass(frozen=True)
class AnnexArea:
    number: int
    title: str
    points: tuple[AnnexPoint, ...]


@dataclass(frozen=True)
class AiAct:
    regulation: str
    rights: str
    articles: dict[int, Article]
    provisions: dict[str, Provision]
    annexes: dict[str, str] = field(default_factory=dict)
    """Annex number (roman) → title."""
    annex_iii: tuple[AnnexArea, ...] = ()

    def provision(self, ref: str) -> Provision:
        try:
            return self.provisions[ref]
        except KeyError:
            raise ActFileError(f"the Act file has no provision {ref!r}") from None

    def article(self, number: int) -> Article:
        try:
            return self.articles[number]
        except KeyError:
            raise ActFileError(f"the Act file has no Article {number}") from None

    def annex_point(self, ref: str) -> AnnexPoint:
        for area in self.annex_iii:
            for point in area.points:
                if point.ref == ref:
                    return point
        raise ActFileError(f"Annex III has no point {ref!r}")


def _clean(text: str | None) -> str:
    return re.sub(r"[ \t]+", " ", (text or "")).strip()


def _annex_iii_areas(blocks: list[str]) -> tuple[AnnexArea, ...]:
    """Split Annex III's text blocks ("4. Employment, ...:\\n(a) ...\\n(b) ...") into areas and points.

    A line that is neither an area heading nor a lettered point continues the point before it
    (Annex III point 1(a) has such a line)."""
    areas: list[AnnexArea] = []
    for block in blocks:
        number, title, points = 0, "", []
        for line in (raw.strip() for raw in block.splitlines()):
            if not line:
                continue
            heading = _AREA_HEAD.match(line)
            point = _POINT.match(line)
            if heading and not number:
                number, title = int(heading.group(1)), heading.group(2).rstrip(":")
            elif point and number:
                points.append([f"III.{number}.{point.group(1)}", point.group(2)])
            elif points:
                points[-1][1] += " " + line
        if number:
            areas.append(AnnexArea(number, title, tuple(AnnexPoint(ref, text.rstrip(" ;")) for ref, text in points)))
    if [area.number for area in areas] != list(range(1, 9)) or not all(area.points for area in areas):
        raise ActFileError(f"Annex III should have areas 1 to 8 with points, found {[a.number for a in areas]}")
    return tuple(areas)


def parse_act(raw: bytes) -> AiAct:
    try:
        document = TypeAdapter(ActDocument).validate_json(raw)
    except ValueError as exc:
        raise ActFileError(f"the AI Act file is not in the expected shape: {exc}") from exc
    by_id = {node.id: node for node in document.nodes}
    if len(by_id) != len(document.nodes):
        raise ActFileError("the AI Act file repeats node ids")
    children: dict[str | None, list[ActNode]] = {}
    for node in document.nodes:
        if node.parent is not None and node.parent not in by_id:
            raise ActFileError(f"node {node.id} names an unknown parent {node.parent}")
        children.setdefault(node.parent, []).append(node)

    def descendants(node_id: str) -> list[ActNode]:
        found: list[ActNode] = []
        for child in children.get(node_id, []):
            found.append(child)
            found.extend(descendants(child.id))
        return found

    articles: dict[int, Article] = {}
    annexes: dict[str, str] = {}
    annex_iii_blocks: list[str] = []
    for node in document.nodes:
        name = _clean(node.name)
        if match := _ARTICLE_NAME.match(name):
            paragraphs = tuple(Provision(child.id, child.ref, _clean(child.text), child.assessable)
                               for child in descendants(node.id) if child.text)
            articles[int(match.group(1))] = Article(int(match.group(1)), _clean(node.text), paragraphs)
        elif match := _ANNEX_NAME.match(name):
            annexes[match.group(1)] = _clean(node.text)
            if match.group(1) == "III":
                annex_iii_blocks = [child.text or "" for child in children.get(node.id, [])]
    provisions = {p.ref: p for article in articles.values() for p in article.provisions if p.ref}
    missing = [number for number in (4, 5, 6, 9, 10, 11, 12, 13, 14, 15, 17, 43, 49, 50, 51, 53, 55, 72)
               if number not in articles]
    if missing:
        raise ActFileError(f"the AI Act file lacks articles {missing}")
    return AiAct(document.regulation, document.rights, articles, provisions, annexes,
                 _annex_iii_areas(annex_iii_blocks))


@cache
def load_act(path: Path = ACT_FILE) -> AiAct:
    """The Act, parsed once per process (the file is part of the package and never changes at run time)."""
    return parse_act(path.read_bytes())

