"""The knowledge base: chunking, text extraction (pypdf on a PDF written by WeasyPrint), search over the
shared corpus, team documents visible to their team only, embeddings through the OpenAI-shaped
STAND-IN (tests/ai_soc/helpers.py) cached by content hash, and the re-index job with progress."""

from __future__ import annotations

import asyncio

import pytest
from weasyprint import HTML

from cspm.knowledge.chunking import Passage, chunks_of, split_text
from cspm.knowledge.extract import DocumentError, extract_text
from cspm.knowledge.index import fts_query, fuse
from tests.ai_soc.helpers import OpenAiStandIn, serve

RUNBOOK = (b"# Runbook: rotating leaked GitHub tokens\n\nRevoke the personal access token in GitHub, then "
           b"search the audit log for its use. Rotate the deploy keys of every repository it reached.\n")


def test_chunks_have_stable_ids_and_cut_at_boundaries():
    text = "\n\n".join(f"Paragraph {n}. " + "word " * 60 for n in range(10))
    first = chunks_of(Passage("doc", "abc", "t", text), 500, 50)
    again = chunks_of(Passage("doc", "abc", "t", text), 500, 50)
    assert [c["chunk_id"] for c in first] == [f"doc:abc#{n}" for n in range(len(first))]
    assert [c["content_hash"] for c in first] == [c["content_hash"] for c in again]
    assert all(len(c["text"]) <= 500 for c in first)
    assert all(piece.startswith(("Paragraph", "word")) for piece in split_text(text, 500, 0))


def test_text_extraction_of_markdown_text_and_pdf():
    assert extract_text("run.md", RUNBOOK, max_chars=10_000, max_pages=5)[0] == "markdown"
    pdf = HTML(string="<h1>Incident policy</h1><p>Escalate ransomware to the CISO within one hour.</p>").write_pdf()
    kind, text = extract_text("policy.pdf", pdf, max_chars=10_000, max_pages=5)
    assert kind == "pdf" and "ransomware to the CISO" in text
    for name, data, reason in [("x.exe", b"MZ", "only Markdown"), ("x.pdf", b"not a pdf", "no %PDF- header"),
                               ("x.pdf", b"%PDF-1.7 broken", "cannot be read"), ("x.txt", b"\x00\x01\x02", "binary"),
                               ("x.txt", b"\xff\xfe\xfa", "not UTF-8"), ("x.md", b"  \n", "is empty")]:
        with pytest.raises(DocumentError, match=reason):
            extract_text(name, data, max_chars=100, max_pages=5)


def test_queries_never_reach_fts5_as_operators_and_fusion_ranks_both():
    assert fts_query('NEAR("a" OR b*) AND -c') == '"near" OR "a" OR "or" OR "b" OR "and" OR "c"'
    assert fts_query("!!! ***") is None
    fused = fuse(["a", "b", "c"], ["c", "d"], 10)
    assert [hit.chunk_id for hit in fused][:1] == ["c"]  # ranked by both beats first in one


async def test_search_shared_corpus_and_team_documents(client, auth):
    alice = await auth.user(role="analyst")
    bob = await auth.user(role="analyst")
    viewer = await auth.user(role="viewer", team=alice)
    found = await client.get("/api/knowledge/search", headers=alice.headers,
                             params={"q": "session token invalidated logout", "source": "asvs"})
    assert found.status_code == 200, found.text
    body = found.json()
    assert body["mode"] == "bm25" and body["notes"] == ["embeddings not configured: BM25 only"]
    assert body["results"] and all(r["chunk_id"].startswith("asvs:V") for r in body["results"])
    for q in ('"unbalanced', "NEAR(", "*", "a" * 500):
        assert (await client.get("/api/knowledge/search", headers=alice.headers, params={"q": q})).status_code == 200
    assert (await client.get("/api/knowledge/search", headers=alice.headers, params={"q": ""})).status_code == 422
    assert (await client.get("/api/knowledge/search", headers=alice.headers,
                             params={"q": "x", "source": "secrets"})).status_code == 422

    assert (await client.post("/api/knowledge/documents", headers=viewer.headers,
                              files={"file": ("run.md", RUNBOOK, "text/markdown")})).status_code == 403
    uploaded = await client.post("/api/knowledge/documents", headers=alice.headers,
                                 files={"file": ("run.md", RUNBOOK, "text/markdown")})
    assert uploaded.status_code == 201, uploaded.text
    assert uploaded.json()["title"] == "Runbook: rotating leaked GitHub tokens" and uploaded.json()["chunks"] == 1
    bad = await client.post("/api/knowledge/documents", headers=alice.headers,
                            files={"file": ("fake.pdf", b"%PDF-1.4 nothing", "application/pdf")})
    assert bad.status_code == 422 and "cannot be read" in bad.text
    big = await client.post("/api/knowledge/documents", headers=alice.headers,
                            files={"file": ("big.txt", b"a" * (2 * 1024 * 1024 + 1), "text/plain")})
    assert big.status_code == 413

    query = {"q": "rotate leaked github personal access token"}
    mine = (await client.get("/api/knowledge/search", headers=alice.headers, params=query)).json()["results"]
    assert mine[0]["chunk_id"] == f"doc:{uploaded.json()['id']}#0" and mine[0]["team"] is True
    theirs = (await client.get("/api/knowledge/search", headers=bob.headers, params=query)).json()["results"]
    assert all(r["source"] != "doc" for r in theirs)
    assert (await client.delete(f"/api/knowledge/documents/{uploaded.json()['id']}",
                                headers=bob.headers)).status_code == 404
    assert [d["id"] for d in (await client.get("/api/knowledge/documents", headers=alice.headers)).json()] == \
        [uploaded.json()["id"]]
    assert (await client.delete(f"/api/knowledge/documents/{uploaded.json()['id']}",
                                headers=alice.headers)).status_code == 204
    after = (await client.get("/api/knowledge/search", headers=alice.headers, params=query)).json()["results"]
    assert all(r["source"] != "doc" for r in after)


async def test_embeddings_hybrid_search_cache_and_reindex_job(client, container, auth, monkeypatch):
    analyst = await auth.user(role="analyst")
    stand_in = OpenAiStandIn(lambda body: None)
    with serve(stand_in, 18220) as url:
        monkeypatch.setenv("KNOWLEDGE_EMBEDDING_URL", url)
        monkeypatch.setenv("KNOWLEDGE_EMBEDDING_BATCH", "512")
        started = await client.post("/api/knowledge/reindex", headers=analyst.headers)
        assert started.status_code == 202 and started.json()["state"] == "queued"
        await asyncio.to_thread(container.dispatcher.wait_idle, 120)
        run = (await client.get(f"/api/knowledge/reindex/{started.json()['id']}", headers=analyst.headers)).json()
        assert run["state"] == "done", run
        assert run["progress"] == {"step": "done", "done": 5, "total": 5}
        embedded = run["counts"]["embeddings"]
        assert embedded["configured"] is True and embedded["requested"] == embedded["chunks"] > 400
        first_requests = len(stand_in.embedding_inputs)

        again = await client.post("/api/knowledge/reindex", headers=analyst.headers)
        await asyncio.to_thread(container.dispatcher.wait_idle, 120)
        rerun = (await client.get(f"/api/knowledge/reindex/{again.json()['id']}", headers=analyst.headers)).json()
        assert rerun["counts"]["written"] == [] and rerun["counts"]["embeddings"]["requested"] == 0
        assert len(stand_in.embedding_inputs) == first_requests  # unchanged text: nothing asked again

        hybrid = (await client.get("/api/knowledge/search", headers=analyst.headers,
                                   params={"q": "multi-factor authentication"})).json()
        assert hybrid["mode"] == "hybrid" and hybrid["results"], hybrid
        assert any(r["vector_rank"] is not None for r in hybrid["results"])
    down = (await client.get("/api/knowledge/search", headers=analyst.headers,
                             params={"q": "encryption at rest for backups"})).json()
    assert down["mode"] == "bm25" and down["results"] and "embedding provider failed" in down["notes"][0]
    status = (await client.get("/api/knowledge/status", headers=analyst.headers)).json()
    assert status["chunks"]["asvs"] >= 345 and status["chunks"]["csf"] >= 106 and status["embeddings_configured"]
