"""EU AI Act classification and obligations, on the Act's real text (the shipped file)."""

from __future__ import annotations

import pytest

from cspm.ai_governance.act import ActFileError, load_act, parse_act
from cspm.ai_governance.classification import Derogation, build_questions, classify, questionnaire
from cspm.ai_governance.model_card import render_pdf
from cspm.ai_governance.obligations import obligations_for
from cspm.core.errors import Unprocessable
from cspm.core.pdf import no_fetching

ACT = load_act()
JUSTIFICATION = "The system only reformats CVs into a fixed template; a recruiter reads every original CV."


@pytest.mark.parametrize("point", list("abcdefgh"))
def test_each_article_5_point_is_prohibited(point):
    result = classify(ACT, {f"art5.{point}": True, "annex3.4.a": True, "art50.1": True}, None)
    assert result["risk_class"] == "prohibited" and result["label"] == "unacceptable: prohibited (Article 5)"
    step = result["reasoning"][0]
    assert step["question"] == f"art5.{point}" and step["provisions"][0]["ref"] == f"5.1.{point}"
    assert step["provisions"][0]["text"] == ACT.provision(f"5.1.{point}").text
    assert [o.key for o in obligations_for(ACT, result, "provider")] == ["art4", "art5"]


def test_annex_iii_employment_is_high_risk_with_articles_9_to_15():
    result = classify(ACT, {"annex3.4.a": True}, None)
    assert result["risk_class"] == "high_risk" and result["high_risk_basis"] == ["Article 6(2), Annex III"]
    assert result["annex_iii_points"] == ["III.4.a"]
    assert "recruitment or selection of natural persons" in result["reasoning"][0]["provisions"][0]["text"]
    provider = [o.article for o in obligations_for(ACT, result, "provider")]
    assert provider == [4, 9, 10, 11, 12, 13, 14, 15, 17, 43, 49, 72]
    risk_management = obligations_for(ACT, result, "provider")[1]
    assert risk_management.title == "Risk management system" and "9.1" in risk_management.refs
    assert [o.article for o in obligations_for(ACT, result, "deployer")] == [4, 26]
    assert [o.article for o in obligations_for(ACT, result, "importer")] == [23]


def test_chatbot_leads_to_article_50():
    result = classify(ACT, {"art50.1": True}, None)
    assert result["risk_class"] == "limited" and result["transparency"] == ["50.1"]
    assert [o.key for o in obligations_for(ACT, result, "provider")] == ["art4", "art50.1", "art50.5"]
    assert "interact directly with natural persons" in obligations_for(ACT, result, "provider")[1].text
    # 50.1 binds providers; a deployer of the chatbot has only Article 4
    assert [o.key for o in obligations_for(ACT, result, "deployer")] == ["art4"]


def test_nothing_answered_is_minimal_and_says_why():
    result = classify(ACT, {}, None)
    assert result["risk_class"] == "minimal" and "Article 4" in result["reasoning"][0]["conclusion"]


def test_derogation_needs_a_justification():
    with pytest.raises(Unprocessable, match="justification of at least 30 characters"):
        classify(ACT, {"annex3.4.a": True}, Derogation(("6.3.a",), "narrow"))
    with pytest.raises(Unprocessable, match="at least one condition"):
        classify(ACT, {"annex3.4.a": True}, Derogation((), JUSTIFICATION))
    with pytest.raises(Unprocessable, match="profiling"):
        classify(ACT, {"annex3.4.a": True, "art6.3.profiling": True}, Derogation(("6.3.a",), JUSTIFICATION))
    with pytest.raises(Unprocessable, match="only applies to systems listed in Annex III"):
        classify(ACT, {"art50.1": True}, Derogation(("6.3.a",), JUSTIFICATION))
    result = classify(ACT, {"annex3.4.a": True}, Derogation(("6.3.a",), JUSTIFICATION))
    assert result["risk_class"] == "minimal" and result["derogation"]["applies"] is True
    assert JUSTIFICATION in result["reasoning"][-1]["conclusion"]
    assert [o.key for o in obligations_for(ACT, result, "provider")] == ["art4", "art6.4", "art49.2"]


def test_annex_i_and_general_purpose_models():
    result = classify(ACT, {"art6.1": True, "gpai": True, "gpai.systemic": True}, None)
    assert result["risk_class"] == "high_risk" and result["high_risk_basis"] == ["Article 6(1), Annex I"]
    assert [o.article for o in obligations_for(ACT, result, "provider")][-2:] == [53, 55]


def test_unknown_question_is_refused():
    with pytest.raises(Unprocessable, match=r"unknown question ids: art5\.z"):
        classify(ACT, {"art5.z": True}, None)


def test_questionnaire_quotes_every_question_and_covers_annex_iii():
    form = questionnaire(ACT)
    assert all(question["provisions"] and all(p["text"] for p in question["provisions"])
               for question in form["questions"])
    annex = [q for q in build_questions(ACT) if q.id.startswith("annex3.")]
    assert len(annex) == 25 and {q.section for q in annex} == {f"annex_iii.{n}" for n in range(1, 9)}


def test_loader_refuses_a_broken_file():
    with pytest.raises(ActFileError, match="expected shape"):
        parse_act(b'{"regulation": "x", "nodes": []}')


def test_model_card_pdf_fetches_nothing_the_card_names():
    pdf = render_pdf("# Card\n\n![tracker](http://169.254.169.254/latest/meta-data/)\n\n<img src='http://x/'>\n")
    assert pdf.startswith(b"%PDF-")
    for url in ("http://169.254.169.254/latest/meta-data/", "file:///etc/passwd"):
        with pytest.raises(ValueError, match="disallowed protocol"):
            no_fetching().fetch(url)
