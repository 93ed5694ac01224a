/** Knowledge base: what is indexed, the team's runbooks and policies (upload), and search results. */
import { useState } from "react";
import { useSearchParams } from "react-router-dom";
import { useKnowledgeDocuments, useKnowledgeSearch, useUploadDocument } from "../../api/hooks/knowledge";
import { useCan } from "../../app/AuthGate";
import { Pill } from "../../components/badges";
import { formatDateTime, formatNumber } from "../../components/format";
import { Card, EmptyState, InlineError, PageHeader, QueryState } from "../../components/ui";

function Results({ q }: { q: string }) {
  const search = useKnowledgeSearch(q);
  if (q.trim().length < 2) return <EmptyState title="Search the knowledge base" icon="search">SCF controls, OWASP ASVS, NIST CSF, CISA KEV, tool fix texts and your documents.</EmptyState>;
  return (
    <QueryState query={search}>
      {(data) => (
        <>
          <p className="muted small">{data.mode === "hybrid" ? "BM25 + embeddings" : "BM25"} · {data.took_ms} ms {data.notes.map((note) => <span key={note}> · {note}</span>)}</p>
          {data.results.length === 0 ? <EmptyState title="Nothing matches" icon="search" /> : (
            <ul className="citations" data-testid="knowledge-results">
              {data.results.map((r) => (
                <li key={r.chunk_id}><Pill tone={r.team ? "info" : "neutral"}>{r.source_label}</Pill> <strong>{r.title}</strong> <code className="citation-id">{r.chunk_id}</code><div className="small">{r.excerpt}</div></li>
              ))}
            </ul>
          )}
        </>
      )}
    </QueryState>
  );
}

export default function KnowledgePage() {
  const [params, setParams] = useSearchParams();
  const q = params.get("q") ?? "";
  const documents = useKnowledgeDocuments();
  const upload = useUploadDocument();
  const canWrite = useCan("knowledge:write");
  const [text, setText] = useState(q);
  return (
    <>
      <PageHeader title="Knowledge base" subtitle="Passages the AI-SOC agents cite, searchable by the whole team" />
      <Card title="Search">
        <form onSubmit={(event) => { event.preventDefault(); setParams(text ? { q: text } : {}); }}>
          <label className="sr-only" htmlFor="knowledge-q">Search</label>
          <input id="knowledge-q" type="search" value={text} placeholder="e.g. session timeout, CVE-2021-44228" onChange={(event) => setText(event.target.value)} />
        </form>
        <Results q={q} />
      </Card>
      <Card title="Team documents" actions={canWrite && (
        <label className="btn btn-secondary btn-sm">Upload Markdown, text or PDF
          <input type="file" className="sr-only" accept=".md,.markdown,.txt,.pdf" onChange={(event) => { const file = event.target.files?.[0]; if (file) upload.mutate(file); event.target.value = ""; }} />
        </label>)}>
        {upload.isError && <InlineError error={upload.error} />}
        <QueryState query={documents}>
          {(items) => items.length === 0 ? <EmptyState title="No document yet" icon="upload">Runbooks and policies you upload are cited in remediation plans, for your team only.</EmptyState> : (
            <table className="simple-table">
              <thead><tr><th scope="col">Title</th><th scope="col">File</th><th scope="col">Chunks</th><th scope="col">Uploaded</th></tr></thead>
              <tbody>{items.map((d) => <tr key={d.id}><td>{d.title}</td><td className="small">{d.filename} ({formatNumber(d.bytes)} bytes)</td><td>{d.chunks}</td><td className="small">{formatDateTime(d.uploaded_at)} by {d.uploaded_by}</td></tr>)}</tbody>
            </table>
          )}
        </QueryState>
      </Card>
    </>
  );
}
