"""The optional LLM path, against a STAND-IN for the model (a local HTTP server speaking the OpenAI
/v1/chat/completions shape, tests/ai_soc/helpers.py): no model can run on this machine.

Checked: an accepted narrative and summary with the prompt and answer in the trail; answers that fail
the JSON schema, are not JSON, or cite passages that were not retrieved are discarded and recorded;
the run and daily token budgets; the timeout; secrets scrubbed from prompts.
"""

from __future__ import annotations

import asyncio
import json

import pytest
from pydantic import SecretStr

from cspm.ai_soc.llm import NARRATIVE_SCHEMA, Budget, LlmWriter
from cspm.ai_soc.settings import AiSocSettings
from cspm.core.database.registry import Database
from tests.ai_soc.helpers import OpenAiStandIn, chat_reply, passages_in, serve
from tests.ai_soc.test_routes import import_report, settle

PASSAGES = {"scf:VPM-05#0": {"title": "VPM-05 Software & Firmware Patching", "text": "Patch software promptly."},
            "asvs:V15.2.1#0": {"title": "V15.2.1 Dependencies", "text": "Components are up to date."}}
FACTS = {"case": "freetype 2.9.1-r2 in teamdojo:latest", "evidence": "AWS_SECRET_ACCESS_KEY="
         "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY and AKIAIOSFODNN7EXAMPLE, password=hunter2"}


def cite_first(body):
    """A well-behaved model: JSON per the schema in the prompt, citing the first passage offered."""
    prompt = body["messages"][-1]["content"]
    cited = passages_in(prompt)[:1]
    if '"summary"' in prompt.split("FACTS:")[0]:
        return chat_reply(json.dumps({"summary": "Freetype heap overflow; upgrade the base image.",
                                      "citations": cited}))
    return chat_reply(json.dumps({"narrative": "Upgrade freetype to 2.9.1-r3 first: it fixes the heap overflow "
                                               "(patching control).", "citations": cited}))


async def write(url: str, **settings) -> tuple:
    writer = LlmWriter(AiSocSettings(llm_url=url, llm_api_key=SecretStr("sk-test-key-123456"), **settings))
    budget = Budget(settings.pop("run_budget", 10_000), 10_000)
    return await writer.write("Write a remediation narrative.", FACTS, PASSAGES, NARRATIVE_SCHEMA, budget), budget


@pytest.mark.parametrize(("content", "reason"), [
    (json.dumps({"narrative": 5, "citations": ["scf:VPM-05#0"]}), "schema: narrative: 5 is not of type 'string'"),
    (json.dumps({"narrative": "Upgrade it, it is fine and grounded.", "citations": []}), "schema: citations"),
    (json.dumps({"narrative": "Upgrade it, trust me on this one.", "citations": ["scf:XYZ-99#0"]}),
     "cites passages that were not retrieved: scf:XYZ-99#0"),
    ("Sure! Here is the plan: upgrade.", "the answer is not JSON"),
])
async def test_invalid_or_ungrounded_answers_are_discarded(content, reason):
    stand_in = OpenAiStandIn(lambda body: chat_reply(content))
    with serve(stand_in, 18211) as url:
        result, _ = await write(url)
    assert result.status == "discarded"
    assert result.reason.startswith(reason), result.reason
    assert result.answer == content and result.prompt  # both kept for the reviewer


async def test_accepted_answer_and_scrubbed_prompt():
    stand_in = OpenAiStandIn(cite_first)
    with serve(stand_in, 18212) as url:
        result, budget = await write(url)
    assert result.status == "accepted" and result.citations == ["scf:VPM-05#0"]
    sent = stand_in.chat_requests[0]["messages"][-1]["content"]
    for secret in ("wJalrXUtnFEMI", "AKIAIOSFODNN7EXAMPLE", "hunter2"):
        assert secret not in sent and secret not in result.prompt
    assert stand_in.headers[0]["Authorization"] == "Bearer sk-test-key-123456"
    assert budget.used == 120  # the provider's reported usage is what is charged


async def test_budget_and_timeout():
    stand_in = OpenAiStandIn(cite_first, delay=1.5)
    with serve(stand_in, 18213) as url:
        refused, _ = await write(url, run_budget=100)
        assert refused.status == "skipped" and refused.reason.startswith("run token budget exhausted")
        assert stand_in.chat_requests == []  # refused before sending
        timed_out, _ = await write(url, llm_timeout_seconds=0.3)
    assert timed_out.status == "failed" and timed_out.reason == "timed out after 0.3 s"


async def test_a_run_with_the_stand_in_writes_narratives_with_their_prompt_in_the_trail(
        client, container, auth, shared_dir, monkeypatch):
    analyst = await auth.user(role="analyst")
    stand_in = OpenAiStandIn(cite_first)
    with serve(stand_in, 18214) as url:
        monkeypatch.setenv("AI_SOC_LLM_URL", url)
        monkeypatch.setenv("AI_SOC_LLM_CASES_PER_RUN", "2")
        await import_report(client, analyst, shared_dir, "trivy/scheme_2_many_vulns.json", "trivy")
        findings = container.database.db(Database.SECURITY_SCANS)["findings"]
        await findings.update_many({"team_id": analyst.team_id}, {"$set": {
            "evidence": "leaked in the image history: AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}})
        run = (await client.post("/api/ai-soc/runs", headers=analyst.headers)).json()
        await settle(container)
        brief = (await client.post("/api/ai-soc/brief", headers=analyst.headers)).json()
    done = (await client.get(f"/api/ai-soc/runs/{run['id']}", headers=analyst.headers)).json()
    # 2 cases, each a narrative and a summary
    assert done["llm"]["configured"] is True and done["llm"]["accepted"] == 4, done
    assert done["llm"]["tokens"] == 4 * 120
    page = (await client.get("/api/ai-soc/cases", headers=analyst.headers)).json()
    assert page["llm"]["configured"] is True
    top = (await client.get(f"/api/ai-soc/cases/{page['items'][0]['id']}", headers=analyst.headers)).json()
    assert top["remediation"]["narrative"].startswith("Upgrade freetype") or top["remediation"]["narrative"]
    assert top["summary"]
    step = next(s for s in top["trail"] if s["agent"] == "remediation")
    assert step["llm"]["status"] == "accepted" and "PASSAGES:" in step["llm"]["prompt"]
    assert step["llm"]["answer"] and step["llm"]["citations"][0] in step["citations"]
    assert all("wJalrXUtnFEMI" not in request["messages"][-1]["content"] for request in stand_in.chat_requests)
    assert "wJalrXUtnFEMI" not in json.dumps(top)
    # The brief's narrative is grounded in the top cases it was given.
    assert brief["llm_record"]["status"] == "accepted" and brief["narrative"]
    assert brief["llm_record"]["citations"][0].startswith("case:")
    spent = await container.database.db(Database.ORCHESTRATION)["ai_soc_budget"].find_one({"team_id": analyst.team_id})
    assert spent["tokens"] == 5 * 120
    await asyncio.sleep(0)
