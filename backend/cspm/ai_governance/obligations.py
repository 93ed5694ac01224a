"""Which obligations of the AI Act follow from a classification and the organisation's role.

Each obligation is one assessable requirement (status, evidence, owner) with the Act's text of
its assessable paragraphs. The lists follow the Act: Articles 9 to 15, 17, 43, 49 and 72 for the
provider of a high-risk system, Article 26 for its deployer, 23 for importers and 24 for
distributors; Article 50's paragraphs by the role each names; 53 and 55 for providers of
general-purpose AI models; Article 4 (AI literacy) for every provider and deployer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cspm.ai_governance.act import AiAct
from cspm.ai_governance.classification import TRANSPARENCY_ROLE, RiskClass

HIGH_RISK_BY_ROLE: dict[str, tuple[int, ...]] = {
    "provider": (9, 10, 11, 12, 13, 14, 15, 17, 43, 49, 72),
    "deployer": (26,),
    "importer": (23,),
    "distributor": (24,),
}
CYBERSECURITY_ARTICLE = 15
"""Evidenced by the platform's own scan findings on the system's linked assets."""


@dataclass(frozen=True)
class Obligation:
    key: str
    """``art9`` for a whole article, ``art49.2`` for one paragraph."""
    article: int
    title: str
    refs: tuple[str, ...]
    text: str
    why: str

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "article": self.article, "title": self.title, "refs": list(self.refs),
                "text": self.text, "why": self.why, "scan_evidence": self.article == CYBERSECURITY_ARTICLE}


def _article(act: AiAct, number: int, why: str) -> Obligation:
    article = act.article(number)
    refs = tuple(p.ref for p in article.provisions if p.assessable and p.ref)
    return Obligation(f"art{number}", number, article.title, refs, article.text(assessable_only=True) or article.text(),
                      why)


def _paragraph(act: AiAct, ref: str, why: str) -> Obligation:
    number = int(ref.split(".")[0])
    return Obligation(f"art{ref}", number, f"{act.article(number).title}, paragraph {ref.split('.', 1)[1]}", (ref,),
                      act.provision(ref).text, why)


def obligations_for(act: AiAct, classification: dict[str, Any], role: str) -> list[Obligation]:
    risk = RiskClass(classification["risk_class"])
    found: list[Obligation] = []
    if role in ("provider", "deployer"):
        found.append(_article(act, 4, "Article 4 applies to every provider and deployer of an AI system."))
    if risk is RiskClass.PROHIBITED:
        found.append(_article(act, 5, "The classification found a prohibited practice: stop placing on the market, "
                                      "putting into service and use."))
        return found
    if risk is RiskClass.HIGH_RISK:
        basis = " and ".join(classification.get("high_risk_basis") or ["the classification"])
        found += [_article(act, number, f"High-risk AI system ({basis}), {role}.")
                  for number in HIGH_RISK_BY_ROLE.get(role, ())]
    derogation = classification.get("derogation") or {}
    if derogation.get("applies") and role == "provider":
        why = "Article 6(3) derogation claimed for an Annex III system."
        found += [_paragraph(act, "6.4", why), _paragraph(act, "49.2", why)]
    transparency = [ref for ref in classification.get("transparency", []) if TRANSPARENCY_ROLE[ref] == role]
    found += [_paragraph(act, ref, f"Article 50 case answered yes; this paragraph binds the {role}.")
              for ref in transparency]
    if transparency:
        found.append(_paragraph(act, "50.5", "How and when the Article 50 information must be given."))
    if classification.get("gpai") and role == "provider":
        found.append(_article(act, 53, "Provider of a general-purpose AI model."))
        if classification.get("gpai_systemic_risk"):
            found.append(_article(act, 55, "General-purpose AI model with systemic risk (Article 51)."))
    return found
