"""Assessment domain types: statuses, answers, what an answer says about SCF controls."""

from __future__ import annotations

from enum import StrEnum

from cspm.compliance.models import ControlStatus


class AssessmentStatus(StrEnum):
    DRAFT = "draft"
    IN_PROGRESS = "in_progress"
    IN_REVIEW = "in_review"
    COMPLETED = "completed"


# Allowed status changes; completed → in_progress is a reopening (a reason is required, and audited).
TRANSITIONS: dict[AssessmentStatus, frozenset[AssessmentStatus]] = {
    AssessmentStatus.DRAFT: frozenset({AssessmentStatus.IN_PROGRESS}),
    AssessmentStatus.IN_PROGRESS: frozenset({AssessmentStatus.IN_REVIEW, AssessmentStatus.COMPLETED}),
    AssessmentStatus.IN_REVIEW: frozenset({AssessmentStatus.IN_PROGRESS, AssessmentStatus.COMPLETED}),
    AssessmentStatus.COMPLETED: frozenset({AssessmentStatus.IN_PROGRESS}),
}


class Answer(StrEnum):
    MET = "met"
    PARTIALLY_MET = "partially_met"
    NOT_MET = "not_met"
    NOT_APPLICABLE = "not_applicable"

    @property
    def words(self) -> str:
        return self.value.replace("_", " ")


# What an answer attests about the SCF controls the requirement maps to; not applicable says nothing.
ANSWER_TO_CONTROL: dict[Answer, ControlStatus] = {
    Answer.MET: ControlStatus.IMPLEMENTED,
    Answer.PARTIALLY_MET: ControlStatus.PARTIALLY_IMPLEMENTED,
    Answer.NOT_MET: ControlStatus.NOT_IMPLEMENTED,
}


class RequirementState(StrEnum):
    """Filter values of the questionnaire: by answer, or by whether one is there yet."""

    UNANSWERED = "unanswered"
    SUGGESTED = "suggested"
    ANSWERED = "answered"
    MET = "met"
    PARTIALLY_MET = "partially_met"
    NOT_MET = "not_met"
    NOT_APPLICABLE = "not_applicable"


# Scanners that test a running web application: their findings of a scoped target are evidence
# against the ASVS requirements of the same CWE.
DAST_TOOLS = frozenset({"zap", "nuclei", "headers", "sslyze", "testssl", "ssl_labs"})
TOOL_NAMES = {"zap": "ZAP", "nuclei": "Nuclei", "headers": "the header check", "sslyze": "sslyze",
              "testssl": "testssl.sh", "ssl_labs": "SSL Labs"}

ATTESTATION_SOURCE = "assessment"


def answer_from_tier(achieved: int, target: int) -> Answer:
    """CSF: the answer a tier implies when none is given (at or above target: met; tier 1: not met)."""
    if achieved >= target:
        return Answer.MET
    return Answer.PARTIALLY_MET if achieved >= 2 else Answer.NOT_MET


def field_key(ref: str) -> str:
    """A requirement id as a document field name (``V1.2.3`` → ``V1_2_3``): dots would be paths."""
    return ref.replace(".", "_")
