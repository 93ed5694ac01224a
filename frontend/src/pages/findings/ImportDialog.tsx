import { useState } from "react";
import { useImportReport } from "../../api/hooks/findings";
import type { ImportResult } from "../../api/types";
import { humanize } from "../../components/format";
import { Field } from "../../components/ui";
import { UploadModal, useUploadState } from "../../components/UploadModal";

// "auto": the server recognises the tool from the report's first bytes (and says which it used).
export const IMPORT_TOOLS = ["auto", "trivy", "prowler", "zap", "nmap", "grype", "checkov", "nuclei", "sslyze", "sarif",
  "cyclonedx", "kubescape", "testssl", "ssl_labs", "generic"];
const TOOL_LABELS: Record<string, string> = { auto: "Recognise from the report", sarif: "SARIF", ssl_labs: "SSL Labs",
  cyclonedx: "CycloneDX", testssl: "testssl.sh" };

export function ImportDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const upload = useImportReport();
  const [tool, setTool] = useState("auto");
  const [scope, setScope] = useState("");
  const [complete, setComplete] = useState(true);
  const { file, setFile, result, setResult, close } = useUploadState<ImportResult>(upload, onClose);

  return (
    <UploadModal
      open={open}
      title="Import a scanner report"
      onClose={close}
      upload={upload}
      ready={!!file}
      onSubmit={() => file && upload.mutate({ file, tool, scope, complete }, { onSuccess: setResult })}
      result={result}
      renderResult={(done) => (
        <div className="import-result" role="status">
          <p>
            <strong>{humanize(done.tool)}</strong> report imported
            {done.scope_keys.length > 0 && (done.scope_keys.length === 1 ? " into scope " : ` into ${done.scope_keys.length} scopes: `)}
            {done.scope_keys.slice(0, 5).map((key, index) => (
              <span key={key}>{index > 0 && ", "}<code>{key}</code></span>
            ))}
            {done.scope_keys.length > 5 && ", …"}.
          </p>
          {done.incomplete_reason && <p className="hint" role="note">{done.incomplete_reason}</p>}
          <dl className="stat-row">
            {Object.entries(done.counts).map(([key, value]) => (
              <div key={key}>
                <dt>{humanize(key)}</dt>
                <dd>{value}</dd>
              </div>
            ))}
          </dl>
          {done.skipped && done.skipped.length > 0 && (
            <details className="import-skipped">
              <summary>{done.counts.skipped} record{done.counts.skipped === 1 ? "" : "s"} skipped (the rest imported)</summary>
              <ul>
                {done.skipped.map((record) => <li key={record.index}>Record {record.index}: {record.reason}</li>)}
              </ul>
            </details>
          )}
        </div>
      )}
    >
      <form className="form" onSubmit={(event) => event.preventDefault()}>
        <Field label="Report file" hint="The tool's own output (JSON, XML or CSV), up to 512 MB.">
          {(id) => <input id={id} type="file" name="report" onChange={(event) => setFile(event.target.files?.[0] ?? null)} data-autofocus />}
        </Field>
        <div className="form-row">
          <Field label="Tool">
            {(id) => (
              <select id={id} value={tool} onChange={(event) => setTool(event.target.value)}>
                {IMPORT_TOOLS.map((name) => <option key={name} value={name}>{TOOL_LABELS[name] ?? humanize(name)}</option>)}
              </select>
            )}
          </Field>
          <Field label="Scope (optional)" hint="What was scanned: account, image, URL…">
            {(id) => <input id={id} value={scope} onChange={(event) => setScope(event.target.value)} maxLength={300} />}
          </Field>
        </div>
        <label className="check-row">
          <input type="checkbox" checked={complete} onChange={(event) => setComplete(event.target.checked)} />
          Complete scan: resolve earlier findings of the same scope (given, or the artifact the report names) that it no longer reports
        </label>
      </form>
    </UploadModal>
  );
}
