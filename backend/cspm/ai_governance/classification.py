"""EU AI Act classification: the questionnaire, built from the Act's own provisions, and its verdict.

Every question cites the provisions it asks about and carries their text. The order of the
verdict follows the Act: Article 5 (prohibited practices) first, then Article 6(1) with Annex I
(safety components of regulated products), then Article 6(2) with Annex III (the eight high-risk
areas) and the Article 6(3) derogation, then Article 50 (transparency), otherwise minimal risk.
General-purpose AI models (Articles 51 to 55) are assessed alongside, since a system can be one
whatever its risk class. The result lists each answer that decided something, and where it led.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from cspm.ai_governance.act import AiAct
from cspm.core.errors import Unprocessable

PROHIBITED_POINTS = ("a", "b", "c", "d", "e", "f", "g", "h")
DEROGATION_CONDITIONS = ("6.3.a", "6.3.b", "6.3.c", "6.3.d")
MIN_JUSTIFICATION = 30
# Article 6(3), second subparagraph has no number of its own in the file; it is found by its words.
PROFILING_SUBPARAGRAPH = "Notwithstanding the first subparagraph"


class RiskClass(StrEnum):
    PROHIBITED = "prohibited"
    HIGH_RISK = "high_risk"
    LIMITED = "limited"
    """Article 50 transparency obligations only."""
    MINIMAL = "minimal"


RISK_LABELS = {
    RiskClass.PROHIBITED: "unacceptable: prohibited (Article 5)",
    RiskClass.HIGH_RISK: "high-risk",
    RiskClass.LIMITED: "limited: transparency obligations (Article 50)",
    RiskClass.MINIMAL: "minimal",
}


@dataclass(frozen=True)
class Question:
    id: str
    section: str
    prompt: str
    refs: tuple[str, ...]

    def cited(self, act: AiAct) -> list[dict[str, str]]:
        return [{"ref": ref, "text": provision_text(act, ref)} for ref in self.refs]


def provision_text(act: AiAct, ref: str) -> str:
    if ref.startswith("III."):
        return act.annex_point(ref).text
    if ref == "6.3-profiling":
        return next(p.text for p in act.article(6).provisions if p.text.startswith(PROFILING_SUBPARAGRAPH))
    return act.provision(ref).text


_PROHIBITED_PROMPTS = {
    "a": "Does the system deploy subliminal, purposefully manipulative or deceptive techniques that materially "
         "distort people's behaviour and cause significant harm?",
    "b": "Does it exploit vulnerabilities due to age, disability or a social or economic situation?",
    "c": "Does it evaluate or classify people by social behaviour or personal traits (social scoring) leading to "
         "detrimental treatment?",
    "d": "Does it assess the risk of a person committing a criminal offence based solely on profiling or "
         "personality traits?",
    "e": "Does it create or expand facial recognition databases by untargeted scraping of images?",
    "f": "Does it infer emotions of people in the workplace or in education (other than for medical or safety "
         "reasons)?",
    "g": "Does it categorise people by biometric data to infer race, political opinions, trade union membership, "
         "religious beliefs, sex life or sexual orientation?",
    "h": "Is it used for real-time remote biometric identification in publicly accessible spaces for law "
         "enforcement?",
}
_TRANSPARENCY = (
    ("art50.1", "Is the system intended to interact directly with natural persons (a chatbot or assistant)?", "50.1"),
    ("art50.2", "Does it generate synthetic audio, image, video or text content?", "50.2"),
    ("art50.3", "Is it an emotion recognition or biometric categorisation system?", "50.3"),
    ("art50.4", "Does it generate or manipulate image, audio or video content that is a deep fake, or text "
                "published to inform the public?", "50.4"),
)
TRANSPARENCY_ROLE = {"50.1": "provider", "50.2": "provider", "50.3": "deployer", "50.4": "deployer"}


def build_questions(act: AiAct) -> list[Question]:
    questions = [Question(f"art5.{point}", "prohibited", prompt, (f"5.1.{point}",))
                 for point, prompt in _PROHIBITED_PROMPTS.items()]
    questions.append(Question(
        "art6.1", "annex_i", "Is the system a safety component of a product (or itself a product) covered by the "
        "Union harmonisation legislation of Annex I, and does that product need a third-party conformity "
        "assessment?", ("6.1.a", "6.1.b")))
    for area in act.annex_iii:
        for point in area.points:
            letter = point.ref.rsplit(".", 1)[1]
            questions.append(Question(f"annex3.{area.number}.{letter}", f"annex_iii.{area.number}",
                                      f"Annex III, {area.title}, point ({letter}): is this an intended purpose "
                                      "of the system?", (point.ref,)))
    questions.append(Question("art6.3.profiling", "derogation",
                              "Does the system perform profiling of natural persons?", ("6.3-profiling",)))
    questions += [Question(qid, "transparency", prompt, (ref,)) for qid, prompt, ref in _TRANSPARENCY]
    questions.append(Question("gpai", "gpai", "Is it (or does it integrate, as its provider) a general-purpose AI "
                              "model placed on the market?", ("53.1",)))
    questions.append(Question("gpai.systemic", "gpai", "Does that model have high-impact capabilities (for example "
                              "more than 10^25 floating point operations of training compute)?", ("51.1", "51.2")))
    return questions


def questionnaire(act: AiAct) -> dict[str, Any]:
    """The questions with the Act's text beside each, grouped the way the wizard shows them."""
    areas = {f"annex_iii.{area.number}": f"Annex III, area {area.number}: {area.title}" for area in act.annex_iii}
    sections = {"prohibited": "Article 5: prohibited practices",
                "annex_i": "Article 6(1) and Annex I: safety components of regulated products",
                **areas,
                "derogation": "Article 6(3): derogation for Annex III systems",
                "transparency": "Article 50: transparency obligations",
                "gpai": "Articles 51 to 55: general-purpose AI models"}
    return {
        "regulation": act.regulation,
        "sections": [{"id": key, "title": title} for key, title in sections.items()],
        "questions": [{"id": q.id, "section": q.section, "prompt": q.prompt, "provisions": q.cited(act)}
                      for q in build_questions(act)],
        "derogation_conditions": [{"ref": ref, "text": act.provision(ref).text} for ref in DEROGATION_CONDITIONS],
        "derogation_text": act.provision("6.3").text,
        "min_justification": MIN_JUSTIFICATION,
    }


@dataclass(frozen=True)
class Derogation:
    conditions: tuple[str, ...]
    justification: str


def classify(act: AiAct, answers: dict[str, bool], derogation: Derogation | None) -> dict[str, Any]:
    """The risk class with its reasoning; raises Unprocessable for answers the Act does not allow."""
    questions = {q.id: q for q in build_questions(act)}
    unknown = sorted(set(answers) - set(questions))
    if unknown:
        raise Unprocessable(f"unknown question ids: {', '.join(unknown)}")
    reasoning: list[dict[str, Any]] = []

    def step(question_id: str, conclusion: str) -> None:
        question = questions[question_id]
        reasoning.append({"question": question_id, "prompt": question.prompt, "answer": answers.get(question_id, False),
                          "conclusion": conclusion, "provisions": question.cited(act)})

    yes = {qid for qid, value in answers.items() if value}
    prohibited = [qid for qid in questions if qid.startswith("art5.") and qid in yes]
    for qid in prohibited:
        step(qid, f"Article 5(1)({qid[-1]}) prohibits this practice: the system may not be placed on the market, "
                  "put into service or used in the Union.")
    annex_i = "art6.1" in yes
    if annex_i:
        step("art6.1", "High-risk under Article 6(1): safety component of an Annex I product that needs a "
                       "third-party conformity assessment.")
    annex_iii = [qid for qid in questions if qid.startswith("annex3.") and qid in yes]
    for qid in annex_iii:
        step(qid, f"Listed in Annex III ({questions[qid].refs[0]}): high-risk under Article 6(2), unless the "
                  "Article 6(3) derogation applies.")
    derogation_applies = _derogation(act, derogation, annex_iii, "art6.3.profiling" in yes, reasoning)
    transparency = [ref for qid, _, ref in _TRANSPARENCY if qid in yes]
    for ref in transparency:
        step(f"art{ref}", f"Article {ref[:2]}({ref[3:]}) applies: a transparency obligation of the "
                          f"{TRANSPARENCY_ROLE[ref]}.")
    gpai = "gpai" in yes
    systemic = gpai and "gpai.systemic" in yes
    if gpai:
        step("gpai", "General-purpose AI model: the provider's obligations of Article 53 apply.")
    if systemic:
        step("gpai.systemic", "Presumed to have systemic risk (Article 51): Article 55 applies as well.")

    if prohibited:
        risk = RiskClass.PROHIBITED
    elif annex_i or (annex_iii and not derogation_applies):
        risk = RiskClass.HIGH_RISK
    elif transparency:
        risk = RiskClass.LIMITED
    else:
        risk = RiskClass.MINIMAL
    if risk is RiskClass.MINIMAL and not reasoning:
        reasoning.append({"question": None, "prompt": "No prohibited practice, no Annex I or Annex III use, no "
                          "Article 50 case.", "answer": False, "conclusion": "Minimal risk: only Article 4 (AI "
                          "literacy) and voluntary codes of conduct (Article 95) apply.", "provisions": []})
    return {
        "risk_class": risk.value, "label": RISK_LABELS[risk], "high_risk_basis": _basis(annex_i, annex_iii,
                                                                                        derogation_applies),
        "annex_iii_points": [questions[qid].refs[0] for qid in annex_iii],
        "transparency": transparency, "gpai": gpai, "gpai_systemic_risk": systemic,
        "derogation": ({"conditions": list(derogation.conditions), "justification": derogation.justification,
                        "applies": derogation_applies} if derogation else None),
        "reasoning": reasoning,
    }


def _derogation(act: AiAct, derogation: Derogation | None, annex_iii: list[str], profiling: bool,
                reasoning: list[dict[str, Any]]) -> bool:
    if derogation is None:
        return False
    if not derogation.conditions:
        raise Unprocessable("derogation: name at least one condition of Article 6(3) (6.3.a to 6.3.d)")
    wrong = [ref for ref in derogation.conditions if ref not in DEROGATION_CONDITIONS]
    if wrong:
        raise Unprocessable(f"derogation: unknown conditions {wrong}; Article 6(3) has 6.3.a to 6.3.d")
    if len(derogation.justification.strip()) < MIN_JUSTIFICATION:
        raise Unprocessable(f"derogation: Article 6(4) requires the provider to document its assessment; give a "
                            f"justification of at least {MIN_JUSTIFICATION} characters")
    if not annex_iii:
        raise Unprocessable("derogation: Article 6(3) only applies to systems listed in Annex III; no Annex III "
                            "point was answered yes")
    if profiling:
        raise Unprocessable("derogation: an Annex III system that performs profiling of natural persons is always "
                            "high-risk (Article 6(3), second subparagraph); the derogation cannot be claimed")
    reasoning.append({
        "question": "derogation", "prompt": "Article 6(3) derogation claimed", "answer": True,
        "conclusion": f"Not high-risk under Article 6(3) ({', '.join(derogation.conditions)}); justification: "
                      f"{derogation.justification.strip()}. Article 6(4) documentation and Article 49(2) "
                      "registration remain.",
        "provisions": [{"ref": ref, "text": act.provision(ref).text} for ref in ("6.3", *derogation.conditions, "6.4")],
    })
    return True


def _basis(annex_i: bool, annex_iii: list[str], derogation_applies: bool) -> list[str]:
    basis = ["Article 6(1), Annex I"] if annex_i else []
    if annex_iii and not derogation_applies:
        basis.append("Article 6(2), Annex III")
    return basis
