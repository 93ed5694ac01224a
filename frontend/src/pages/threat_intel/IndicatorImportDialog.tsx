import { useState } from "react";
import { useImportIndicators, type IndicatorFormat } from "../../api/hooks/threatIntel";
import { humanize } from "../../components/format";
import { Button, Field, InlineError, Modal } from "../../components/ui";

const FORMATS: { id: IndicatorFormat; label: string }[] = [
  { id: "stix", label: "STIX 2.1 bundle (JSON)" },
  { id: "csv", label: "CSV list: value, type, confidence, tags" },
  { id: "misp", label: "MISP event (JSON)" },
];

type ImportOutcome = Awaited<ReturnType<ReturnType<typeof useImportIndicators>["mutateAsync"]>>;

export function IndicatorImportDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const upload = useImportIndicators();
  const [file, setFile] = useState<File | null>(null);
  const [format, setFormat] = useState<IndicatorFormat>("stix");
  const [source, setSource] = useState("");
  const [result, setResult] = useState<ImportOutcome | null>(null);

  function close() {
    setFile(null);
    setResult(null);
    upload.reset();
    onClose();
  }

  return (
    <Modal
      open={open}
      title="Import indicators"
      onClose={close}
      footer={result ? <Button variant="primary" onClick={close}>Done</Button> : (
        <>
          <Button variant="ghost" onClick={close}>Cancel</Button>
          <Button variant="primary" icon="upload" busy={upload.isPending} disabled={!file} onClick={() => file && upload.mutate({ file, format, source }, { onSuccess: setResult })}>Import</Button>
        </>
      )}
    >
      {result ? (
        <div className="import-result" role="status">
          <p><strong>{result.parsed}</strong> indicators read from <code>{result.source}</code>: {result.new} new, {result.updated} updated{result.not_matchable ? `, ${result.not_matchable} kept but not matchable on one value` : ""}.</p>
          <dl className="stat-row">
            {Object.entries(result.correlation).map(([key, value]) => (
              <div key={key}><dt>{humanize(key)}</dt><dd>{value}</dd></div>
            ))}
          </dl>
        </div>
      ) : (
        <form className="form" onSubmit={(event) => event.preventDefault()}>
          <Field label="Indicator file" hint="Matched against the team's hosts, URLs, TLS endpoints, cloud resources and SBOM file hashes.">
            {(id) => <input id={id} type="file" name="indicators" onChange={(event) => setFile(event.target.files?.[0] ?? null)} data-autofocus />}
          </Field>
          <div className="form-row">
            <Field label="Format">
              {(id) => (
                <select id={id} value={format} onChange={(event) => setFormat(event.target.value as IndicatorFormat)}>
                  {FORMATS.map((item) => <option key={item.id} value={item.id}>{item.label}</option>)}
                </select>
              )}
            </Field>
            <Field label="Source (optional)" hint="Where the file comes from, e.g. a vendor report">
              {(id) => <input id={id} value={source} onChange={(event) => setSource(event.target.value)} maxLength={200} />}
            </Field>
          </div>
        </form>
      )}
      <InlineError error={upload.error} />
    </Modal>
  );
}
