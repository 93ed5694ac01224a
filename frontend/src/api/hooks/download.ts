/** One download at a time through the shared authenticated helper, with its progress and failure for the UI. */
import { useState } from "react";
import { downloadFile } from "../download";
import { errorMessage } from "../errors";

export function useDownload() {
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  /** Saves `path` as `fileName`; `key` names what is downloading (a format, a report) while it runs. */
  const start = async (key: string, path: string, fileName: string) => {
    setBusy(key);
    setError(null);
    try {
      await downloadFile(path, fileName);
    } catch (caught) {
      setError(errorMessage(caught));
    } finally {
      setBusy(null);
    }
  };
  return { busy, error, start };
}
