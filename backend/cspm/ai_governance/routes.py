"""AI governance API: the AI system registry, EU AI Act classification and obligations, bias tests.

Reading needs ``ai_governance:read``; registering, classifying, answering obligations and running
bias tests need ``ai_governance:write``. Everything is the caller's team's.
"""

from __future__ import annotations

import asyncio
import re
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, File, Form, UploadFile, status
from fastapi.responses import Response

from cspm.ai_governance.fairness import EvaluationSpec
from cspm.ai_governance.model_card import render_pdf
from cspm.ai_governance.schemas import (
    BiasRunOut,
    ClassificationIn,
    ClassificationOut,
    ObligationOut,
    ObligationsOut,
    ObligationUpdate,
    QuestionnaireOut,
    SystemIn,
    SystemOut,
    SystemUpdate,
    VersionOut,
)
from cspm.ai_governance.service import AiGovernanceService
from cspm.auth.dependencies import Principal, require_permission
from cspm.core.dependencies import service
from cspm.core.errors import PayloadTooLarge, Unprocessable
from cspm.core.fields import SingleLineText

router = APIRouter(tags=["ai-governance"])

Governance = Annotated[AiGovernanceService, Depends(service(AiGovernanceService))]
Reader = Annotated[Principal, Depends(require_permission("ai_governance:read"))]
Writer = Annotated[Principal, Depends(require_permission("ai_governance:write"))]
FormText = Annotated[SingleLineText | None, Form(max_length=500)]


@router.get("/systems", response_model=list[SystemOut])
async def list_systems(principal: Reader, governance: Governance) -> list[SystemOut]:
    """Lists the team's AI systems."""
    return [SystemOut.model_validate(item) for item in await governance.list_systems(team_id=principal.team)]


@router.post("/systems", status_code=status.HTTP_201_CREATED, response_model=SystemOut)
async def create_system(principal: Writer, governance: Governance, system: SystemIn) -> SystemOut:
    """Registers an AI system (version 1)."""
    return SystemOut.model_validate(await governance.create_system(team_id=principal.team, actor=principal.user_id,
                                                                   values=system.model_dump()))


@router.get("/questionnaire", response_model=QuestionnaireOut)
async def get_questionnaire(principal: Reader, governance: Governance) -> QuestionnaireOut:
    """Shows the classification questionnaire with the AI Act's text beside each question."""
    return QuestionnaireOut.model_validate(governance.questionnaire())


@router.get("/systems/{system_id}", response_model=SystemOut)
async def get_system(principal: Reader, governance: Governance, system_id: str) -> SystemOut:
    """Shows one AI system with its latest classification."""
    return SystemOut.model_validate(await governance.get_system(team_id=principal.team, system_id=system_id))


@router.patch("/systems/{system_id}", response_model=SystemOut)
async def update_system(principal: Writer, governance: Governance, system_id: str, changes: SystemUpdate) -> SystemOut:
    """Changes an AI system; every change is kept as a new version."""
    updated = await governance.update_system(team_id=principal.team, actor=principal.user_id, system_id=system_id,
                                             changes=changes.model_dump(exclude_unset=True))
    return SystemOut.model_validate(updated)


@router.delete("/systems/{system_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_system(principal: Writer, governance: Governance, system_id: str) -> None:
    """Deletes an AI system with its versions, obligations and bias tests (its findings stay in Findings)."""
    await governance.delete_system(team_id=principal.team, actor=principal.user_id, system_id=system_id)


@router.get("/systems/{system_id}/versions", response_model=list[VersionOut])
async def list_versions(principal: Reader, governance: Governance, system_id: str) -> list[VersionOut]:
    """Lists the AI system's versions, newest first, each with a snapshot of the record."""
    items = await governance.list_versions(team_id=principal.team, system_id=system_id)
    return [VersionOut.model_validate(item) for item in items]


@router.get("/systems/{system_id}/classification", response_model=ClassificationOut)
async def get_classification(principal: Reader, governance: Governance, system_id: str) -> ClassificationOut:
    """Shows the AI system's EU AI Act classification with its reasoning."""
    return ClassificationOut.model_validate(await governance.classification(team_id=principal.team,
                                                                            system_id=system_id))


@router.put("/systems/{system_id}/classification", response_model=ClassificationOut)
async def classify_system(principal: Writer, governance: Governance, system_id: str,
                          body: ClassificationIn) -> ClassificationOut:
    """Classifies the AI system from the questionnaire's answers and derives its obligations."""
    result = await governance.classify(team_id=principal.team, actor=principal.user_id, system_id=system_id,
                                       answers=body.answers,
                                       derogation=body.derogation.model_dump() if body.derogation else None)
    return ClassificationOut.model_validate(result)


@router.get("/systems/{system_id}/obligations", response_model=ObligationsOut)
async def list_obligations(principal: Reader, governance: Governance, system_id: str) -> ObligationsOut:
    """Lists the obligations the classification and role trigger, with their progress."""
    return ObligationsOut.model_validate(await governance.list_obligations(team_id=principal.team,
                                                                           system_id=system_id))


@router.put("/systems/{system_id}/obligations/{key}", response_model=ObligationOut)
async def answer_obligation(principal: Writer, governance: Governance, system_id: str, key: str,
                            body: ObligationUpdate) -> ObligationOut:
    """Records an obligation's status, owner and evidence (and the SCF controls mapped to it follow)."""
    answered = await governance.update_obligation(team_id=principal.team, actor=principal.user_id,
                                                  system_id=system_id, key=key, values=body.model_dump(mode="json"))
    return ObligationOut.model_validate(answered)


def _names(value: str | None, what: str) -> tuple[str, ...]:
    names = tuple(part.strip() for part in (value or "").split(",") if part.strip())
    if len(names) > 10:
        raise Unprocessable(f"{what}: at most 10")
    return names


def _thresholds(value: str | None) -> tuple[float, ...]:
    if not value:
        return (0.5,)
    try:
        thresholds = tuple(float(part) for part in re.split(r"[,\s]+", value.strip()) if part)
    except ValueError:
        raise Unprocessable(f"thresholds must be numbers separated by commas, got {value!r}") from None
    if not thresholds or len(thresholds) > 20:
        raise Unprocessable("thresholds: give between 1 and 20")
    return thresholds


@router.post("/systems/{system_id}/bias-tests", status_code=status.HTTP_201_CREATED, response_model=BiasRunOut)
async def run_bias_test(
    principal: Writer, governance: Governance, system_id: str,
    file: Annotated[UploadFile, File(description="Evaluation data: CSV with a header row, or Parquet")],
    label_column: Annotated[SingleLineText, Form(min_length=1, max_length=200)],
    sensitive_columns: Annotated[SingleLineText, Form(min_length=1, max_length=500,
                                                      description="Comma-separated column names")],
    prediction_column: FormText = None,
    score_column: FormText = None,
    positive_label: Annotated[SingleLineText, Form(min_length=1, max_length=100)] = "1",
    thresholds: Annotated[SingleLineText | None, Form(max_length=500,
                                                      description="For scores: decision thresholds, the first "
                                                                  "one decides the verdict")] = None,
    model_version: FormText = None,
) -> BiasRunOut:
    """Runs a bias test on an evaluation file with fairlearn; a failing test creates a finding."""
    limit = governance.settings.evaluation_max_bytes
    raw = await file.read(limit + 1)
    if len(raw) > limit:
        raise PayloadTooLarge(f"the evaluation file is larger than {limit} bytes")
    spec = EvaluationSpec(label_column=label_column.strip(),
                          sensitive_columns=_names(sensitive_columns, "sensitive_columns"),
                          prediction_column=(prediction_column or "").strip() or None,
                          score_column=(score_column or "").strip() or None,
                          positive_label=positive_label.strip(), thresholds=_thresholds(thresholds))
    run = await governance.run_bias_test(team_id=principal.team, actor=principal.user_id, system_id=system_id,
                                         raw=raw, file_name=file.filename or "evaluation", spec=spec,
                                         model_version=(model_version or "").strip() or None)
    return BiasRunOut.model_validate(run)


@router.get("/systems/{system_id}/bias-tests", response_model=list[BiasRunOut])
async def list_bias_tests(principal: Reader, governance: Governance, system_id: str) -> list[BiasRunOut]:
    """Lists the AI system's bias tests, newest first (the trend across model versions)."""
    return [BiasRunOut.model_validate(run) for run in await governance.list_runs(team_id=principal.team,
                                                                                system_id=system_id)]


@router.get("/systems/{system_id}/bias-tests/{run_id}", response_model=BiasRunOut)
async def get_bias_test(principal: Reader, governance: Governance, system_id: str, run_id: str) -> BiasRunOut:
    """Shows one bias test with its per-group metrics."""
    return BiasRunOut.model_validate(await governance.get_run(team_id=principal.team, system_id=system_id,
                                                              run_id=run_id))


@router.get("/systems/{system_id}/model-card", response_class=Response,
            responses={200: {"content": {"text/markdown": {}, "application/pdf": {}},
                             "description": "The model card in Markdown or PDF"}})
async def model_card(principal: Reader, governance: Governance, system_id: str,
                     format: Literal["markdown", "pdf"] = "markdown") -> Response:
    """Exports the AI system's model card as Markdown or PDF."""
    text, name = await governance.model_card(team_id=principal.team, system_id=system_id)
    file_name = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-") or "model-card"
    if format == "pdf":
        return Response(await asyncio.to_thread(render_pdf, text), media_type="application/pdf",
                        headers={"Content-Disposition": f'attachment; filename="{file_name}-model-card.pdf"'})
    return Response(text, media_type="text/markdown; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{file_name}-model-card.md"'})
