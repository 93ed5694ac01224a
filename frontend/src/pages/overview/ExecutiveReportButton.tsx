/** Downloads the team's executive PDF (posture, trend, top risks, SLA breaches) from the exports module. */
import { useState } from "react";
import { downloadFile } from "../../api/download";
import { errorMessage } from "../../api/errors";
import { useCan } from "../../app/AuthGate";
import { useModuleOn } from "../../app/modules";
import { Button } from "../../components/ui";

export function ExecutiveReportButton() {
  const exportsOn = useModuleOn("exports");
  const canExport = useCan("exports:read");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  if (!exportsOn || !canExport) return null;
  const download = async () => {
    setBusy(true);
    setError(null);
    try {
      await downloadFile("/api/exports/executive-report", `executive-report-${new Date().toISOString().slice(0, 10)}.pdf`);
    } catch (caught) {
      setError(errorMessage(caught));
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <Button icon="activity" busy={busy} onClick={download} title="Posture, trend, top risks and SLA breaches as PDF">
        Executive report (PDF)
      </Button>
      {error && <span className="field-error" role="alert">{error}</span>}
    </>
  );
}
