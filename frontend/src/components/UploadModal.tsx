/** A file-import dialog: the form until the upload succeeds, then its result; Cancel/Import, then Done. */
import { useState, type ReactNode } from "react";
import { Button, InlineError, Modal } from "./ui";

export function UploadModal<R>({ open, title, onClose, upload, ready, onSubmit, result, renderResult, children }: {
  open: boolean;
  title: string;
  /** Closes the dialog; the caller resets its own fields (and the mutation) there. */
  onClose: () => void;
  upload: { isPending: boolean; error: unknown };
  ready: boolean;
  onSubmit: () => void;
  result: R | null;
  renderResult: (result: R) => ReactNode;
  children: ReactNode;
}) {
  return (
    <Modal
      open={open}
      title={title}
      onClose={onClose}
      footer={result ? <Button variant="primary" onClick={onClose}>Done</Button> : (
        <>
          <Button variant="ghost" onClick={onClose}>Cancel</Button>
          <Button variant="primary" icon="upload" busy={upload.isPending} disabled={!ready} onClick={onSubmit}>Import</Button>
        </>
      )}
    >
      {result ? renderResult(result) : children}
      <InlineError error={upload.error} />
    </Modal>
  );
}

/** The file and the result of an upload dialog; ``close`` forgets both and the mutation's error. */
export function useUploadState<R>(upload: { reset: () => void }, onClose: () => void) {
  const [file, setFile] = useState<File | null>(null);
  const [result, setResult] = useState<R | null>(null);
  function close() {
    setFile(null);
    setResult(null);
    upload.reset();
    onClose();
  }
  return { file, setFile, result, setResult, close };
}
