import { useState } from "react";
import { useImportReport } from "../../api/hooks/findings";
import type { ImportResult } from "../../api/types";
import { humanize } from "../../components/format";
import { Button, Field, InlineError, Modal } from "../../components/ui";

// "auto": the server recognises the tool from the report's first bytes (and says which it used).
export const IMPORT_TOOLS = ["auto", "trivy", "prowler", "zap", "nmap", "grype", "checkov", "nuclei", "sslyze", "sarif",
  "cyclonedx", "kubescape", "testssl", "ssl_labs", "generic"];
const TOOL_LABELS: Record<string, string> = { auto: "Recognise from the report", sarif: "SARIF", ssl_labs: "SSL Labs",
  cyclonedx: "CycloneDX", testssl: "testssl.sh" };

export function ImportDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const upload = useImportReport();
  const [file, setFile] = useState<File | null>(null);
  const [tool, setTool] = useState("auto");
  const [scope, setScope] = useState("");
  const [complete, setComplete] = useState(true);
  const [result, setResult] = useState<ImportResult | null>(null);

  function close() {
    setFile(null);
    setResult(null);
    upload.reset();
    onClose();
  }

  return (
    <Modal
      open={open}
      title="Import a scanner report"
      onClose={close}
      footer={
        result ? (
          <Button variant="primary" onClick={close}>Done</Button>
        ) : (
          <>
            <Button variant="ghost" onClick={close}>Cancel</Button>
            <Button variant="primary" icon="upload" busy={upload.isPending} disabled={!file} onClick={() => file && upload.mutate({ file, tool, scope, complete }, { onSuccess: setResult })}>
              Import
            </Button>
          </>
        )
      }
    >
      {result ? (
        <div className="import-result" role="status">
          <p>
            <strong>{humanize(result.tool)}</strong> report imported
            {result.scope_keys.length > 0 && (result.scope_keys.length === 1 ? " into scope " : ` into ${result.scope_keys.length} scopes: `)}
            {result.scope_keys.slice(0, 5).map((key, index) => (
              <span key={key}>{index > 0 && ", "}<code>{key}</code></span>
            ))}
            {result.scope_keys.length > 5 && ", …"}.
          </p>
          {result.incomplete_reason && <p className="hint" role="note">{result.incomplete_reason}</p>}
          <dl className="stat-row">
            {Object.entries(result.counts).map(([key, value]) => (
              <div key={key}>
                <dt>{humanize(key)}</dt>
                <dd>{value}</dd>
              </div>
            ))}
          </dl>
          {result.skipped && result.skipped.length > 0 && (
            <details className="import-skipped">
              <summary>{result.counts.skipped} record{result.counts.skipped === 1 ? "" : "s"} skipped (the rest imported)</summary>
              <ul>
                {result.skipped.map((record) => <li key={record.index}>Record {record.index}: {record.reason}</li>)}
              </ul>
            </details>
          )}
        </div>
      ) : (
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
            Complete scan of this scope: resolve earlier findings it no longer reports
          </label>
        </form>
      )}
      <InlineError error={upload.error} />
    </Modal>
  );
}
