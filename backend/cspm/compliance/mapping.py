"""Finding → SCF control mapping: the maintained explicit table first, the keyword matcher second.

Explicit links come from ``data/tool_mappings.json`` (validated when loaded; a bad file is a
clear error at start-up, never a silent empty table):

1. ``rules``: tool check ids (Prowler check ids, Trivy AVD ids, header-check ids...) by exact
   id or pattern. Rules marked ``fallback`` apply only when no specific rule matched.
2. ``cwe``: CWE id → controls (skipped for package vulnerabilities, whose CWE describes the
   library's bug, not a missing control of ours).
3. ``categories``: finding category → controls (every package vulnerability is a patching
   matter, every leaked secret an authenticator matter).
4. ``compliance_tags``: the tool's own framework requirement ids (Prowler's ISO 27001, NIST
   800-53, NIST CSF, SOC 2, PCI DSS tags) resolved through the SCF registry's own crosswalk to
   the SCF controls that requirement maps to. Used when 1-3 found nothing; when several tags
   point at different controls, the controls most frameworks agree on win.

Only when none of these applies does the keyword matcher run: finding title and check id
against each control's keywords, title and description, with stem-style prefix matching
and an IDF-weighted score against a threshold. Every link records its method, the rule id
or the matched words, so a person can audit why a finding counts against a control.
"""

from __future__ import annotations

import json
import math
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from cspm.compliance.registry import SCF_ID, ControlRegistry, Requirement
from cspm.findings.models import FindingCategory

TOOL_MAPPINGS_PATH = Path(__file__).parent / "data" / "tool_mappings.json"

Method = Literal["rule", "cwe", "category", "compliance_tag", "keyword"]


class MappingFileError(ValueError):
    """The tool mapping file is missing or invalid; the message names the file and the problem."""


class _LinksControls(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1)
    controls: list[str] = Field(min_length=1)

    @field_validator("controls")
    @classmethod
    def _scf_ids(cls, values: list[str]) -> list[str]:
        bad = [value for value in values if not SCF_ID.match(value)]
        if bad:
            raise ValueError(f"not SCF control ids: {bad}")
        return values


class RuleSpec(_LinksControls):
    tools: list[str] = Field(default_factory=list)
    rule_ids: list[str] = Field(default_factory=list)
    rule_patterns: list[str] = Field(default_factory=list)
    fallback: bool = False
    note: str | None = None

    @field_validator("rule_patterns")
    @classmethod
    def _patterns(cls, values: list[str]) -> list[str]:
        for value in values:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"pattern {value!r}: {exc}") from None
        return values

    @model_validator(mode="after")
    def _something_to_match(self) -> RuleSpec:
        if not self.rule_ids and not self.rule_patterns:
            raise ValueError(f"rule {self.id}: needs rule_ids or rule_patterns")
        return self


class CweSpec(_LinksControls):
    cwe: list[str] = Field(min_length=1)
    exclude_categories: list[FindingCategory] = Field(default_factory=list)

    @field_validator("cwe")
    @classmethod
    def _cwe(cls, values: list[str]) -> list[str]:
        bad = [value for value in values if not re.fullmatch(r"CWE-\d+", value)]
        if bad:
            raise ValueError(f"not CWE ids (CWE-<number>): {bad}")
        return values


class CategorySpec(_LinksControls):
    categories: list[FindingCategory] = Field(min_length=1)


def _compiles(value: str) -> str:
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"pattern {value!r}: {exc}") from None
    return value


RegexText = Annotated[str, AfterValidator(_compiles)]
"""A regular expression, checked when the data file is loaded."""

Transform = Literal["exact", "truncate", "iso_annex", "nist_800_53", "nist_csf_1", "soc2"]


class TagSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1)
    tags: list[str] = Field(min_length=1)
    frameworks: RegexText = Field(description="Regular expression over registry framework ids")
    transform: Transform
    note: str | None = None


class ToolMappingFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: Literal[1]
    notice: str
    rules: list[RuleSpec]
    cwe: list[CweSpec]
    categories: list[CategorySpec]
    compliance_tags: list[TagSpec]

    @model_validator(mode="after")
    def _unique_ids(self) -> ToolMappingFile:
        ids = [entry.id for group in (self.rules, self.cwe, self.categories, self.compliance_tags) for entry in group]
        duplicates = sorted({value for value in ids if ids.count(value) > 1})
        if duplicates:
            raise ValueError(f"rule ids used twice: {duplicates}")
        return self

    def referenced_controls(self) -> set[str]:
        return {scf_id for group in (self.rules, self.cwe, self.categories) for entry in group
                for scf_id in entry.controls}


def load_tool_mappings(path: Path = TOOL_MAPPINGS_PATH) -> ToolMappingFile:
    try:
        return ToolMappingFile.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        raise MappingFileError(f"tool mapping file {path}: missing") from None
    except json.JSONDecodeError as exc:
        raise MappingFileError(f"tool mapping file {path}: not JSON ({exc})") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise MappingFileError(
            f"tool mapping file {path}: invalid at {where}: {first['msg']} ({exc.error_count()} error(s))") from None


@dataclass(frozen=True, slots=True)
class TaggedRequirement:
    """A requirement a tool named itself: Prowler's ``ISO27001-2022: A.8.5`` → iso-27002-2022 8.5."""

    tag: str
    value: str
    spec_id: str
    framework_id: str
    requirement: Requirement
    exact: bool = True
    """False when the value is a prefix of several requirements (``A.9.2.B`` → 9.2.1 … 9.2.6)."""


@dataclass(frozen=True, slots=True)
class ControlLink:
    scf_id: str
    method: Method
    rule: str
    """Rule id of the explicit table, or "keyword"."""
    detail: str
    score: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"scf_id": self.scf_id, "method": self.method, "rule": self.rule, "detail": self.detail,
                "score": self.score}


# --- rule ids --------------------------------------------------------------------------
_PADDED_ID = re.compile(r"([A-Z]+(?:-[A-Z]+)*)-?0*(\d+)")


def normalise_rule_id(rule_id: str) -> str:
    """Tool check ids as one spelling: ``AVD-AWS-0086``/``aws-0086`` → ``AWS-0086``, ``DS002`` → ``DS-0002``."""
    text = rule_id.strip().upper()
    text = text.removeprefix("AVD-")
    match = _PADDED_ID.fullmatch(text)
    if match:
        return f"{match.group(1)}-{int(match.group(2)):04d}"
    return text


# --- compliance tag transforms -----------------------------------------------------------
_CSF_FUNCTION = {
    "am": "ID", "be": "ID", "gv": "ID", "ra": "ID", "rm": "ID", "sc": "ID",
    "ac": "PR", "at": "PR", "ds": "PR", "ip": "PR", "ma": "PR", "pt": "PR",
    "ae": "DE", "cm": "DE", "dp": "DE",
    "rp": "RS", "co": "RS", "an": "RS", "mi": "RS", "im": "RS",
}


def _truncations(requirement_id: str) -> list[str]:
    text = re.sub(r"\.[a-z]$", "", requirement_id.strip())
    parts = text.split(".")
    return [".".join(parts[:size]) for size in range(len(parts), 0, -1)]


def _nist_800_53(requirement_id: str) -> list[str]:
    parts = requirement_id.strip().lower().split("_")
    if len(parts) < 2 or not parts[1].isdigit():
        return [requirement_id.upper()]
    base = f"{parts[0].upper()}-{int(parts[1])}"
    if len(parts) > 2 and parts[2].isdigit():
        return [f"{base}({int(parts[2])})", base]
    return [base]


def _nist_csf_1(requirement_id: str) -> list[str]:
    parts = requirement_id.strip().lower().split("_")
    if len(parts) == 3 and parts[0] in ("id", "pr", "de", "rs", "rc"):
        return [f"{parts[0].upper()}.{parts[1].upper()}-{parts[2]}"]
    if len(parts) == 2 and parts[0] in _CSF_FUNCTION and parts[1].isdigit():
        return [f"{_CSF_FUNCTION[parts[0]]}.{parts[0].upper()}-{parts[1]}"]
    return [requirement_id.upper()]


def _soc2(requirement_id: str) -> list[str]:
    parts = requirement_id.strip().lower().split("_")
    if len(parts) == 4 and parts[0] == "cc" and parts[1].isalpha():
        return [f"{parts[1].upper()}{parts[2]}.{parts[3]}"]
    if len(parts) == 3 and parts[0].isalpha():
        return [f"{parts[0].upper()}{parts[1]}.{parts[2]}"]
    return [requirement_id.upper()]


def _iso_annex(requirement_id: str) -> list[str]:
    text = requirement_id.strip()
    text = re.sub(r"^A\.", "", text, flags=re.IGNORECASE)
    text = re.sub(r"\.[A-Z]$", "", text)
    return [text]


TRANSFORMS: dict[str, Callable[[str], list[str]]] = {
    "exact": lambda value: [value.strip()],
    "truncate": _truncations,
    "iso_annex": _iso_annex,
    "nist_800_53": _nist_800_53,
    "nist_csf_1": _nist_csf_1,
    "soc2": _soc2,
}
PREFIX_TRANSFORMS = {"iso_annex"}


# --- keyword matcher -----------------------------------------------------------------------
_WORD = re.compile(r"[a-z0-9]+")
_SUFFIXES = ("ations", "ation", "ions", "ion", "ings", "ing", "ments", "ment", "ies", "ed", "es", "ly", "s")
STOPWORDS = frozenset("""
a an and any are as at be been by can could do does for from has have how if in into is it its may must no
not of on or should such than that the their them then there these this those to under up was were when where
which while who will with within without ensure ensures enabled enable disabled disable check checks set
mechanisms exist exists organization organizations organizational appropriate appropriately applicable
including include includes use used using other based all each per least more most only also new being
system systems service services control controls cybersecurity process processes documented""".split())
MIN_MATCHED_INFORMATION = 2.5
"""A link needs this much matched IDF weight: one distinctive word, or two common ones."""
_STEM_LENGTH = 6


def stem(word: str) -> str:
    """Crude stem: strip a common suffix, undo a doubled final consonant, keep the first 6 letters."""
    token = word
    for suffix in _SUFFIXES:
        if token.endswith(suffix) and len(token) - len(suffix) >= 3:
            token = token[: -len(suffix)]
            break
    if len(token) >= 4 and token[-1] == token[-2] and token[-1] not in "aeiou":
        token = token[:-1]
    return token[:_STEM_LENGTH]


def tokens(text: str) -> list[str]:
    return [word for word in _WORD.findall(text.lower()) if len(word) >= 2 and word not in STOPWORDS]


@dataclass(frozen=True, slots=True)
class _Phrase:
    stems: tuple[str, ...]
    text: str


class KeywordMatcher:
    CURATED_WEIGHT = 1.0
    TITLE_WEIGHT = 1.0
    DESCRIPTION_WEIGHT = 0.4

    def __init__(self, registry: ControlRegistry) -> None:
        self.scf_ids: list[str] = []
        weights: list[dict[str, float]] = []
        phrases: list[list[_Phrase]] = []
        for control in registry.controls.values():
            stems: dict[str, float] = {}
            control_phrases: list[_Phrase] = []

            def add(text: str, weight: float, stems: dict[str, float] = stems) -> None:
                for word in tokens(text):
                    key = stem(word)
                    stems[key] = max(stems.get(key, 0.0), weight)

            for keyword in control.keywords:
                words = tokens(keyword)
                if len(words) > 1:
                    control_phrases.append(_Phrase(tuple(stem(word) for word in words), keyword))
                else:
                    add(keyword, self.CURATED_WEIGHT)
            add(control.title, self.TITLE_WEIGHT)
            add(control.description, self.DESCRIPTION_WEIGHT)
            self.scf_ids.append(control.scf_id)
            weights.append(stems)
            phrases.append(control_phrases)
        count = max(1, len(self.scf_ids))
        document_frequency: dict[str, int] = defaultdict(int)
        for index, stems in enumerate(weights):
            seen = set(stems) | {key for phrase in phrases[index] for key in phrase.stems}
            for key in seen:
                document_frequency[key] += 1
        self.idf = {key: math.log(1 + count / df) for key, df in document_frequency.items()}
        self.index: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for index, stems in enumerate(weights):
            for key, weight in stems.items():
                self.index[key].append((index, weight))
        self.phrase_index: dict[str, list[tuple[int, _Phrase]]] = defaultdict(list)
        for index, control_phrases in enumerate(phrases):
            for phrase in control_phrases:
                self.phrase_index[phrase.stems[0]].append((index, phrase))

    def match(self, text: str, *, threshold: float, limit: int) -> list[ControlLink]:
        words: dict[str, str] = {}
        for word in tokens(text):
            if not word.isdigit():
                words.setdefault(stem(word), word)
        # Words no control uses say nothing about which control a finding belongs to.
        information = sum(self.idf[key] for key in words if key in self.idf)
        if not information:
            return []
        scores: dict[int, float] = defaultdict(float)
        matched: dict[int, dict[str, str]] = defaultdict(dict)
        for key, word in words.items():
            idf = self.idf.get(key)
            if idf is None:
                continue
            for index, weight in self.index.get(key, ()):
                if key not in matched[index]:
                    scores[index] += idf * weight
                    matched[index][key] = word
            for index, phrase in self.phrase_index.get(key, ()):
                if all(part in words for part in phrase.stems):
                    for part in phrase.stems:
                        if part not in matched[index]:
                            scores[index] += self.idf[part] * self.CURATED_WEIGHT
                            matched[index][part] = words[part]
        ranked = sorted(((score / information, index) for index, score in scores.items()),
                        key=lambda item: (-item[0], self.scf_ids[item[1]]))
        links = []
        for score, index in ranked[:limit]:
            if score < threshold:
                break
            if score * information < MIN_MATCHED_INFORMATION:
                continue
            found = ", ".join(sorted(set(matched[index].values())))
            links.append(ControlLink(self.scf_ids[index], "keyword", "keyword",
                                     f"matched keywords: {found}", round(score, 3)))
        return links


# --- the mapper -------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _CompiledRule:
    spec: RuleSpec
    tools: frozenset[str]
    ids: frozenset[str]
    patterns: tuple[re.Pattern[str], ...]

    def matches(self, tool: str, rule_id: str, normalised: str) -> bool:
        if self.tools and tool not in self.tools:
            return False
        if rule_id.lower() in self.ids or normalised.lower() in self.ids:
            return True
        return any(pattern.search(rule_id) or pattern.search(normalised) for pattern in self.patterns)


class FindingMapper:
    """Maps stored finding documents (or canonical findings as dicts) to SCF control links."""

    CACHE_SIZE = 50_000

    def __init__(self, registry: ControlRegistry, table: ToolMappingFile, *, keyword_threshold: float = 0.35,
                 keyword_max_links: int = 3, tag_max_controls: int = 6) -> None:
        self.registry = registry
        self.table = table
        self.keyword_threshold = keyword_threshold
        self.keyword_max_links = keyword_max_links
        self.tag_max_controls = tag_max_controls
        self._rules = [
            _CompiledRule(spec, frozenset(tool.lower() for tool in spec.tools),
                          frozenset(value.lower() for value in spec.rule_ids)
                          | frozenset(normalise_rule_id(value).lower() for value in spec.rule_ids),
                          tuple(re.compile(pattern, re.IGNORECASE) for pattern in spec.rule_patterns))
            for spec in table.rules
        ]
        self._cwe: dict[str, list[CweSpec]] = defaultdict(list)
        for cwe_spec in table.cwe:
            for cwe in cwe_spec.cwe:
                self._cwe[cwe].append(cwe_spec)
        self._categories: dict[str, list[CategorySpec]] = defaultdict(list)
        for category_spec in table.categories:
            for category in category_spec.categories:
                self._categories[category.value].append(category_spec)
        self._tags: dict[str, list[TagSpec]] = defaultdict(list)
        for tag_spec in table.compliance_tags:
            for tag in tag_spec.tags:
                self._tags[tag.lower()].append(tag_spec)
        self._tag_frameworks: dict[str, list[str]] = {
            spec.id: [fid for fid in registry.frameworks if re.search(spec.frameworks, fid)]
            for spec in table.compliance_tags
        }
        self._cache: dict[tuple, tuple[ControlLink, ...]] = {}
        self.unknown_controls: set[str] = set()

    @cached_property
    def keywords(self) -> KeywordMatcher:
        return KeywordMatcher(self.registry)

    def map(self, finding: Mapping[str, Any]) -> tuple[ControlLink, ...]:
        key = self._signature(finding)
        cached = self._cache.get(key)
        if cached is None:
            cached = self._map(finding)
            if len(self._cache) >= self.CACHE_SIZE:
                self._cache.clear()
            self._cache[key] = cached
        return cached

    def map_uncached(self, finding: Mapping[str, Any]) -> tuple[ControlLink, ...]:
        return self._map(finding)

    @staticmethod
    def _signature(finding: Mapping[str, Any]) -> tuple:
        tags = finding.get("compliance_tags") or {}
        return (
            str(finding.get("source_tool") or ""), str(finding.get("rule_id") or ""), str(finding.get("title") or ""),
            str(finding.get("category") or ""), tuple(finding.get("cwe_ids") or ()),
            tuple(sorted((name, tuple(values)) for name, values in tags.items())),
        )

    def _map(self, finding: Mapping[str, Any]) -> tuple[ControlLink, ...]:
        tool = str(finding.get("source_tool") or "").lower()
        rule_id = str(finding.get("rule_id") or "")
        category = str(finding.get("category") or FindingCategory.OTHER.value)
        links: list[ControlLink] = []
        links += self._rule_links(tool, rule_id)
        links += self._cwe_links(finding.get("cwe_ids") or (), category)
        links += self._category_links(category)
        if not links:
            links += self._tag_links(finding.get("compliance_tags") or {})
        if not links:
            text = " ".join(part for part in (str(finding.get("title") or ""), rule_id.replace("_", " ")) if part)
            links += self.keywords.match(text, threshold=self.keyword_threshold, limit=self.keyword_max_links)
        return tuple(self._known(links))

    def controls_for_cwe(self, cwe_ids: Iterable[str]) -> list[ControlLink]:
        """The SCF controls the explicit CWE table links these CWE ids to (the CWE bridge others reuse)."""
        return self._known(self._cwe_links(cwe_ids, FindingCategory.OTHER.value))

    def _known(self, links: Iterable[ControlLink]) -> list[ControlLink]:
        """One link per control (the first, most explicit reason wins), only controls of this registry."""
        seen: dict[str, ControlLink] = {}
        for link in links:
            if link.scf_id not in self.registry.controls:
                self.unknown_controls.add(link.scf_id)
                continue
            seen.setdefault(link.scf_id, link)
        return list(seen.values())

    def _rule_links(self, tool: str, rule_id: str) -> list[ControlLink]:
        if not rule_id:
            return []
        normalised = normalise_rule_id(rule_id)
        matched = [rule for rule in self._rules if rule.matches(tool, rule_id, normalised)]
        specific = [rule for rule in matched if not rule.spec.fallback]
        chosen = specific or matched
        return [ControlLink(scf_id, "rule", rule.spec.id, f"{tool} check {rule_id}")
                for rule in chosen for scf_id in rule.spec.controls]

    def _cwe_links(self, cwe_ids: Iterable[str], category: str) -> list[ControlLink]:
        links = []
        for raw in cwe_ids:
            cwe = str(raw).strip().upper()
            if cwe.isdigit():
                cwe = f"CWE-{cwe}"
            for spec in self._cwe.get(cwe, ()):
                if category in {value.value for value in spec.exclude_categories}:
                    continue
                links += [ControlLink(scf_id, "cwe", spec.id, cwe) for scf_id in spec.controls]
        return links

    def _category_links(self, category: str) -> list[ControlLink]:
        return [ControlLink(scf_id, "category", spec.id, f"category {category}")
                for spec in self._categories.get(category, ()) for scf_id in spec.controls]

    def tagged_requirements(self, tags: Mapping[str, Iterable[str]]) -> Iterator[TaggedRequirement]:
        """The registry requirements a finding's own compliance tags name, through the tag table."""
        for tag, requirement_ids in tags.items():
            for spec in self._tags.get(str(tag).lower(), ()):
                transform = TRANSFORMS[spec.transform]
                for framework_id in self._tag_frameworks[spec.id]:
                    for requirement_id in requirement_ids:
                        found, exact = self._resolve(framework_id, str(requirement_id), transform,
                                                     spec.transform in PREFIX_TRANSFORMS)
                        for requirement in found:
                            yield TaggedRequirement(str(tag), str(requirement_id), spec.id, framework_id,
                                                    requirement, exact)

    def _tag_links(self, tags: Mapping[str, Iterable[str]]) -> list[ControlLink]:
        votes: dict[str, set[str]] = defaultdict(set)
        reasons: dict[str, list[str]] = defaultdict(list)
        rule_of: dict[str, str] = {}
        for tagged in self.tagged_requirements(tags):
            for scf_id in tagged.requirement.scf_ids:
                votes[scf_id].add(tagged.spec_id)
                rule_of.setdefault(scf_id, tagged.spec_id)
                reason = (f"{tagged.tag} {tagged.value} → {tagged.framework_id} "
                          f"{tagged.requirement.requirement_id}")
                if reason not in reasons[scf_id] and len(reasons[scf_id]) < 3:
                    reasons[scf_id].append(reason)
        if not votes:
            return []
        best = max(len(sources) for sources in votes.values())
        chosen = sorted((scf_id for scf_id, sources in votes.items() if len(sources) == best),
                        key=lambda scf_id: (-(self.registry.controls[scf_id].weighting or 0)
                                            if scf_id in self.registry.controls else 0, scf_id))
        return [ControlLink(scf_id, "compliance_tag", rule_of[scf_id],
                            "; ".join(reasons[scf_id]) + (f" ({best} frameworks agree)" if best > 1 else ""))
                for scf_id in chosen[: self.tag_max_controls]]

    def _resolve(self, framework_id: str, requirement_id: str, transform: Callable[[str], list[str]],
                 prefix: bool) -> tuple[list[Requirement], bool]:
        """The requirements a tag value names, and whether it named exactly one (not a prefix of several)."""
        for candidate in transform(requirement_id):
            found = self.registry.find_requirement(framework_id, candidate)
            if found is not None:
                return [found], True
        if prefix:
            for candidate in transform(requirement_id):
                found_all = self.registry.requirements_with_prefix(framework_id, candidate)
                if found_all:
                    return found_all, False
        return [], False
