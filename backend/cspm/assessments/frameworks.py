"""Assessment framework content: OWASP ASVS 5.0.0 and NIST CSF 2.0, loaded from the shipped files.

One loader, ``load_library()``, reads every file of ``data/`` (shipped unmodified, with their
licences: see ``data/README.md``), validates shapes, ids, cross-references and the published
counts, and builds immutable templates. A missing, truncated or edited file is a
``FrameworkDataError`` naming the file and the problem, raised at start-up (the routes'
``on_startup`` and the service's ``build`` load it), never an assessment with holes.

- ASVS: 345 requirements (70 at L1, 183 more at L2, 92 more at L3) in 17 chapters. Each gets
  its CWE ids from OWASP's mapping, which is in the 5.0 "bleeding edge" numbering: the
  OWASP be → 5.0.0 table translates it (bleeding-edge requirements dropped before 5.0.0 have
  no 5.0.0 id and are skipped).
- CSF 2.0: 6 functions, 22 categories, 106 subcategories, 4 tiers. Each subcategory gets the
  CSF 1.1 subcategories NIST maps to it, the bridge to the SCF workbook's CSF 1.1 column.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml

DATA_DIR = Path(__file__).parent / "data"

ASVS_FILE = "owasp-asvs-5.0.0.flat.json"
ASVS_CWE_FILE = "owasp-asvs-5.0.be-cwe-mapping.json"
ASVS_RENUMBER_FILE = "owasp-asvs-5.0.be-to-5.0.0.yml"
ASVS_LICENSE_FILE = "OWASP-ASVS-LICENSE.md"
CSF_FILE = "nist-csf-2.0.json"
CSF_MAPPING_FILE = "nist-csf-1.1-to-2.0.json"

ASVS_TEMPLATE = "owasp-asvs-5.0.0"
CSF_TEMPLATE = "nist-csf-2.0"

# The published counts: a file that does not have them is not the file we ship.
ASVS_EXPECTED = {"requirements": 345, "chapters": 17, "levels": {1: 70, 2: 183, 3: 92}}
ASVS_RENUMBER_EXPECTED = 345
CSF_EXPECTED = {"functions": 6, "categories": 22, "subcategories": 106, "tiers": 4}
CSF_MAPPING_EXPECTED = 185

_ASVS_CHAPTER = re.compile(r"^V\d{1,2}$")
_ASVS_SECTION = re.compile(r"^V\d{1,2}\.\d{1,2}$")
_ASVS_REQ = re.compile(r"^V\d{1,2}\.\d{1,2}\.\d{1,2}$")
_BE_ID = re.compile(r"^v5\.0\.be-\d{1,2}(\.\d{1,2}){1,2}$")
_V500_ID = re.compile(r"^v5\.0\.0-(\d{1,2}\.\d{1,2}\.\d{1,2})$")
_CSF_FUNCTION = re.compile(r"^[A-Z]{2}$")
_CSF_CATEGORY = re.compile(r"^[A-Z]{2}\.[A-Z]{2}$")
_CSF_SUBCATEGORY = re.compile(r"^[A-Z]{2}\.[A-Z]{2}-\d{2}$")
_CSF_11 = re.compile(r"^(ID|PR|DE|RS|RC)(\.[A-Z]{2}(-\d{1,2})?)?$")
RELATIONSHIPS = frozenset({"equal", "subset", "superset", "intersect"})

Kind = Literal["asvs", "csf"]


class FrameworkDataError(ValueError):
    """A shipped framework file is missing or not what it should be; the message names file and problem."""


@dataclass(frozen=True, slots=True)
class Group:
    """An ASVS chapter or a CSF function."""

    id: str
    name: str
    description: str = ""


@dataclass(frozen=True, slots=True)
class TemplateItem:
    """One requirement (ASVS) or subcategory (CSF) a person answers."""

    ref: str
    group_id: str
    group_name: str
    section_id: str
    section_name: str
    text: str
    order: int
    level: int | None = None
    """ASVS: 1, 2 or 3 (in scope at this level and above)."""
    cwe_ids: tuple[str, ...] = ()
    """ASVS: ``CWE-<n>`` from OWASP's mapping."""
    csf_1_1: tuple[str, ...] = ()
    """CSF 2.0: the CSF 1.1 subcategories NIST maps to this one."""
    examples: tuple[str, ...] = ()
    """CSF 2.0: NIST's implementation examples."""

    def as_dict(self) -> dict[str, Any]:
        return {"ref": self.ref, "group_id": self.group_id, "group_name": self.group_name,
                "section_id": self.section_id, "section_name": self.section_name, "text": self.text,
                "level": self.level, "cwe_ids": list(self.cwe_ids), "csf_1_1": list(self.csf_1_1),
                "examples": list(self.examples)}


@dataclass(frozen=True, slots=True)
class Tier:
    tier: int
    name: str
    description: str


@dataclass(frozen=True)
class Template:
    template_id: str
    kind: Kind
    framework: str
    version: str
    name: str
    description: str
    source: str
    licence: str
    groups: tuple[Group, ...]
    items: tuple[TemplateItem, ...]
    tiers: tuple[Tier, ...] = ()
    levels: tuple[int, ...] = ()
    _by_ref: dict[str, TemplateItem] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._by_ref.update({item.ref: item for item in self.items})

    def item(self, ref: str) -> TemplateItem | None:
        return self._by_ref.get(ref)

    def in_scope(self, level: int | None = None) -> list[TemplateItem]:
        """The items an assessment covers: ASVS up to ``level``, CSF all of them."""
        if self.kind == "asvs":
            if level not in self.levels:
                raise ValueError(f"ASVS level must be one of {self.levels}")
            return [item for item in self.items if item.level is not None and item.level <= level]
        return list(self.items)

    def counts(self) -> dict[str, Any]:
        result: dict[str, Any] = {"requirements": len(self.items), "groups": len(self.groups)}
        if self.kind == "asvs":
            per_level = Counter(item.level for item in self.items)
            result["by_level"] = {str(level): per_level[level] for level in self.levels}
            result["in_scope_at_level"] = {str(level): len(self.in_scope(level)) for level in self.levels}
            result["with_cwe"] = sum(1 for item in self.items if item.cwe_ids)
        else:
            result["categories"] = len({item.section_id for item in self.items})
            result["tiers"] = len(self.tiers)
            result["with_csf_1_1"] = sum(1 for item in self.items if item.csf_1_1)
        return result


@dataclass(frozen=True)
class FrameworkLibrary:
    templates: dict[str, Template]

    def template(self, template_id: str) -> Template | None:
        return self.templates.get(template_id)


# --- reading -------------------------------------------------------------------------------
def _read(data_dir: Path, name: str) -> str:
    path = data_dir / name
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FrameworkDataError(f"framework file {path}: missing") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise FrameworkDataError(f"framework file {path}: unreadable ({exc})") from None


def _json(data_dir: Path, name: str) -> Any:
    try:
        return json.loads(_read(data_dir, name))
    except json.JSONDecodeError as exc:
        raise FrameworkDataError(f"framework file {data_dir / name}: not JSON ({exc})") from None


def _fail(data_dir: Path, name: str, problem: str) -> FrameworkDataError:
    return FrameworkDataError(f"framework file {data_dir / name}: {problem}")


def _text(value: Any, where: str, data_dir: Path, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _fail(data_dir, name, f"{where}: expected non-empty text, found {value!r}"[:300])
    return value.strip()


def _asvs_cwe(data_dir: Path) -> dict[str, tuple[str, ...]]:
    """5.0.0 requirement id (``V1.2.4``) → CWE ids, through OWASP's be → 5.0.0 renumbering."""
    mapping = _json(data_dir, ASVS_CWE_FILE)
    if not isinstance(mapping, dict) or not mapping:
        raise _fail(data_dir, ASVS_CWE_FILE, "expected an object of requirement id → CWE number")
    for key, value in mapping.items():
        if not _BE_ID.match(str(key)) or not (isinstance(value, str) and value.isdigit()):
            raise _fail(data_dir, ASVS_CWE_FILE, f"entry {key!r}: {value!r} is not '<v5.0.be-id>': '<CWE number>'")
    try:
        renumber = yaml.safe_load(_read(data_dir, ASVS_RENUMBER_FILE))
    except yaml.YAMLError as exc:
        raise _fail(data_dir, ASVS_RENUMBER_FILE, f"not YAML ({exc})") from None
    if not isinstance(renumber, dict):
        raise _fail(data_dir, ASVS_RENUMBER_FILE, "expected a mapping of v5.0.be ids to v5.0.0 ids")
    if len(renumber) != ASVS_RENUMBER_EXPECTED:
        raise _fail(data_dir, ASVS_RENUMBER_FILE, f"{len(renumber)} entries, expected {ASVS_RENUMBER_EXPECTED}")
    to_500: dict[str, str] = {}
    for key, value in renumber.items():
        match = _V500_ID.match(str(value))
        if not _BE_ID.match(str(key)) or match is None:
            raise _fail(data_dir, ASVS_RENUMBER_FILE, f"entry {key!r}: {value!r} is not 'v5.0.be-…: v5.0.0-…'")
        to_500[str(key)] = f"V{match.group(1)}"
    duplicates = [ref for ref, count in Counter(to_500.values()).items() if count > 1]
    if duplicates:
        raise _fail(data_dir, ASVS_RENUMBER_FILE, f"5.0.0 ids named twice: {sorted(duplicates)[:5]}")
    cwe: dict[str, list[str]] = defaultdict(list)
    for key, number in mapping.items():
        ref = to_500.get(key)
        if ref is not None:  # requirements of the bleeding edge that 5.0.0 dropped have no 5.0.0 id
            cwe[ref].append(f"CWE-{int(number)}")
    return {ref: tuple(dict.fromkeys(values)) for ref, values in cwe.items()}


def load_asvs(data_dir: Path = DATA_DIR) -> Template:
    document = _json(data_dir, ASVS_FILE)
    rows = document.get("requirements") if isinstance(document, dict) else None
    if not isinstance(rows, list):
        raise _fail(data_dir, ASVS_FILE, "expected {'requirements': [...]}")
    cwe = _asvs_cwe(data_dir)
    groups: dict[str, Group] = {}
    items: list[TemplateItem] = []
    seen: set[str] = set()
    for position, row in enumerate(rows):
        where = f"requirement #{position + 1}"
        if not isinstance(row, dict):
            raise _fail(data_dir, ASVS_FILE, f"{where}: not an object")
        chapter, section, ref = (str(row.get(key, "")) for key in ("chapter_id", "section_id", "req_id"))
        if not _ASVS_CHAPTER.match(chapter) or not _ASVS_SECTION.match(section) or not _ASVS_REQ.match(ref):
            raise _fail(data_dir, ASVS_FILE, f"{where}: ids {chapter!r}/{section!r}/{ref!r} are not V1/V1.2/V1.2.3")
        if not section.startswith(chapter + ".") or not ref.startswith(section + "."):
            raise _fail(data_dir, ASVS_FILE, f"{where}: {ref} is not inside {section} inside {chapter}")
        if ref in seen:
            raise _fail(data_dir, ASVS_FILE, f"{where}: {ref} appears twice")
        seen.add(ref)
        level = str(row.get("L", ""))
        if level not in ("1", "2", "3"):
            raise _fail(data_dir, ASVS_FILE, f"{ref}: level {row.get('L')!r} is not 1, 2 or 3")
        chapter_name = _text(row.get("chapter_name"), f"{ref} chapter_name", data_dir, ASVS_FILE)
        groups.setdefault(chapter, Group(chapter, chapter_name))
        items.append(TemplateItem(
            ref=ref, group_id=chapter, group_name=chapter_name, section_id=section,
            section_name=_text(row.get("section_name"), f"{ref} section_name", data_dir, ASVS_FILE),
            text=_text(row.get("req_description"), f"{ref} req_description", data_dir, ASVS_FILE),
            order=position, level=int(level), cwe_ids=cwe.get(ref, ())))
    unknown = sorted(set(cwe) - seen)
    if unknown:
        raise _fail(data_dir, ASVS_RENUMBER_FILE, f"names requirements that are not in {ASVS_FILE}: {unknown[:5]}")
    levels = Counter(item.level for item in items)
    found = {"requirements": len(items), "chapters": len(groups), "levels": {n: levels[n] for n in (1, 2, 3)}}
    if found != ASVS_EXPECTED:
        raise _fail(data_dir, ASVS_FILE, f"counts {found}, expected {ASVS_EXPECTED}")
    licence = _read(data_dir, ASVS_LICENSE_FILE)
    if "Attribution-ShareAlike 4.0" not in licence:
        raise _fail(data_dir, ASVS_LICENSE_FILE, "is not the CC BY-SA 4.0 licence text")
    return Template(
        template_id=ASVS_TEMPLATE, kind="asvs", framework="OWASP ASVS", version="5.0.0",
        name="OWASP Application Security Verification Standard 5.0.0",
        description="Web application security requirements in 17 chapters; an assessment covers the "
                    "requirements at or below its target level (L1, L2 or L3).",
        source="OWASP ASVS 5.0.0, OWASP Foundation",
        licence="CC BY-SA 4.0 (OWASP ASVS 5.0.0, © OWASP Foundation)",
        groups=tuple(groups.values()), items=tuple(items), levels=(1, 2, 3))


def load_csf(data_dir: Path = DATA_DIR) -> Template:
    document = _json(data_dir, CSF_FILE)
    if not isinstance(document, dict) or not isinstance(document.get("functions"), list):
        raise _fail(data_dir, CSF_FILE, "expected {'functions': [...], 'tiers': [...]}")
    tiers = []
    for position, row in enumerate(document.get("tiers") or []):
        if not isinstance(row, dict) or row.get("tier") != position + 1:
            raise _fail(data_dir, CSF_FILE, f"tier #{position + 1}: expected tier {position + 1}")
        tiers.append(Tier(position + 1, _text(row.get("name"), f"tier {position + 1} name", data_dir, CSF_FILE),
                          _text(row.get("description"), f"tier {position + 1} description", data_dir, CSF_FILE)))
    groups: list[Group] = []
    items: list[TemplateItem] = []
    ids: set[str] = set()
    categories = 0
    for function in document["functions"]:
        function_id = str(function.get("id", "")) if isinstance(function, dict) else ""
        if not _CSF_FUNCTION.match(function_id) or function_id in ids:
            raise _fail(data_dir, CSF_FILE, f"function id {function_id!r} is not two capitals or appears twice")
        ids.add(function_id)
        name = _text(function.get("name"), f"{function_id} name", data_dir, CSF_FILE)
        groups.append(Group(function_id, name.title(), str(function.get("description") or "")))
        for category in function.get("categories") or []:
            category_id = str(category.get("id", "")) if isinstance(category, dict) else ""
            if not _CSF_CATEGORY.match(category_id) or not category_id.startswith(function_id + ".") \
                    or category_id in ids:
                raise _fail(data_dir, CSF_FILE, f"category {category_id!r} is not {function_id}.XX or appears twice")
            ids.add(category_id)
            categories += 1
            category_name = _text(category.get("name"), f"{category_id} name", data_dir, CSF_FILE)
            for subcategory in category.get("subcategories") or []:
                ref = str(subcategory.get("id", "")) if isinstance(subcategory, dict) else ""
                if not _CSF_SUBCATEGORY.match(ref) or not ref.startswith(category_id + "-") or ref in ids:
                    raise _fail(data_dir, CSF_FILE, f"subcategory {ref!r} is not {category_id}-NN or appears twice")
                ids.add(ref)
                examples = subcategory.get("implementation_examples") or []
                if not isinstance(examples, list) or not all(isinstance(example, str) for example in examples):
                    raise _fail(data_dir, CSF_FILE, f"{ref}: implementation_examples is not a list of texts")
                items.append(TemplateItem(
                    ref=ref, group_id=function_id, group_name=name.title(), section_id=category_id,
                    section_name=category_name,
                    text=_text(subcategory.get("description"), f"{ref} description", data_dir, CSF_FILE),
                    order=len(items), examples=tuple(examples)))
    found = {"functions": len(groups), "categories": categories, "subcategories": len(items), "tiers": len(tiers)}
    if found != CSF_EXPECTED:
        raise _fail(data_dir, CSF_FILE, f"counts {found}, expected {CSF_EXPECTED}")
    rights = _text(document.get("rights"), "rights", data_dir, CSF_FILE)
    bridge = _csf_bridge(data_dir, ids)
    items = [replace(item, csf_1_1=bridge.get(item.ref, ())) for item in items]
    return Template(
        template_id=CSF_TEMPLATE, kind="csf", framework="NIST CSF", version="2.0",
        name="NIST Cybersecurity Framework 2.0",
        description="106 outcomes (subcategories) in 6 functions; each is answered with the tier achieved, "
                    "against the target tier of the organisation's profile.",
        source=str(document.get("source") or "NIST CSWP 29"), licence=rights,
        groups=tuple(groups), items=tuple(items), tiers=tuple(tiers))


def _csf_bridge(data_dir: Path, csf_2_ids: set[str]) -> dict[str, tuple[str, ...]]:
    document = _json(data_dir, CSF_MAPPING_FILE)
    rows = document.get("rows") if isinstance(document, dict) else None
    if not isinstance(rows, list):
        raise _fail(data_dir, CSF_MAPPING_FILE, "expected {'rows': [...]}")
    if len(rows) != CSF_MAPPING_EXPECTED:
        raise _fail(data_dir, CSF_MAPPING_FILE, f"{len(rows)} rows, expected {CSF_MAPPING_EXPECTED}")
    bridge: dict[str, list[str]] = defaultdict(list)
    for position, row in enumerate(rows):
        if not isinstance(row, dict):
            raise _fail(data_dir, CSF_MAPPING_FILE, f"row #{position + 1}: not an object")
        old, new = str(row.get("csf_1_1", "")), str(row.get("csf_2_0", ""))
        if not _CSF_11.match(old):
            raise _fail(data_dir, CSF_MAPPING_FILE, f"row #{position + 1}: {old!r} is not a CSF 1.1 id")
        if new not in csf_2_ids:
            raise _fail(data_dir, CSF_MAPPING_FILE, f"row #{position + 1}: {new!r} is not a CSF 2.0 id of {CSF_FILE}")
        if row.get("relationship") not in RELATIONSHIPS:
            raise _fail(data_dir, CSF_MAPPING_FILE,
                        f"row #{position + 1}: relationship {row.get('relationship')!r} not in {sorted(RELATIONSHIPS)}")
        if _CSF_SUBCATEGORY.match(new) and "-" in old and old not in bridge[new]:
            bridge[new].append(old)
    return {ref: tuple(values) for ref, values in bridge.items()}


def load_library(data_dir: Path = DATA_DIR) -> FrameworkLibrary:
    """Every template, validated; raises ``FrameworkDataError`` naming the file and the problem."""
    templates = (load_asvs(data_dir), load_csf(data_dir))
    return FrameworkLibrary({template.template_id: template for template in templates})


@lru_cache(maxsize=1)
def shipped_library() -> FrameworkLibrary:
    """The shipped files, loaded once per process."""
    return load_library(DATA_DIR)
