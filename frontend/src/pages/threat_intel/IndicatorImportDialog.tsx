import { useState } from "react";
import { useImportIndicators, type IndicatorFormat } from "../../api/hooks/threatIntel";
import { humanize } from "../../components/format";
import { Field } from "../../components/ui";
import { UploadModal, useUploadState } from "../../components/UploadModal";

const FORMATS: { id: IndicatorFormat; label: string }[] = [
  { id: "stix", label: "STIX 2.1 bundle (JSON)" },
  { id: "csv", label: "CSV list: value, type, confidence, tags" },
  { id: "misp", label: "MISP event (JSON)" },
];

type ImportOutcome = Awaited<ReturnType<ReturnType<typeof useImportIndicators>["mutateAsync"]>>;

export function IndicatorImportDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const upload = useImportIndicators();
  const [format, setFormat] = useState<IndicatorFormat>("stix");
  const [source, setSource] = useState("");
  const { file, setFile, result, setResult, close } = useUploadState<ImportOutcome>(upload, onClose);

  return (
    <UploadModal
      open={open}
      title="Import indicators"
      onClose={close}
      upload={upload}
      ready={!!file}
      onSubmit={() => file && upload.mutate({ file, format, source }, { onSuccess: setResult })}
      result={result}
      renderResult={(done) => (
        <div className="import-result" role="status">
          <p><strong>{done.parsed}</strong> indicators read from <code>{done.source}</code>: {done.new} new, {done.updated} updated{done.not_matchable ? `, ${done.not_matchable} kept but not matchable on one value` : ""}.</p>
          <dl className="stat-row">
            {Object.entries(done.correlation).map(([key, value]) => (
              <div key={key}><dt>{humanize(key)}</dt><dd>{value}</dd></div>
            ))}
          </dl>
        </div>
      )}
    >
      <form className="form" onSubmit={(event) => event.preventDefault()}>
        <Field label="Indicator file" hint="Matched against the team's hosts, URLs, domains, TLS endpoints and cloud resources.">
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
    </UploadModal>
  );
}
