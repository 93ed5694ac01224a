import { useState, type FormEvent } from "react";
import { useUpdateTarget, type Target } from "../../api/hooks/scans";
import { formatDateTime, timeAgo } from "../../components/format";
import { Button, Field, InlineError, Modal } from "../../components/ui";
import { browserTimeZone, cronProblem, CRON_PRESETS, describeCron, timeZones } from "./schedule";

export interface ScheduleValue { cron: string; timezone: string; enabled: boolean }

/** Cron (with presets and a plain-words reading), time zone and on/off: shared by the target forms. */
export function ScheduleFields({ value, onChange, showEnabled = true, optional = false }: { value: ScheduleValue; onChange: (next: ScheduleValue) => void; showEnabled?: boolean; optional?: boolean }) {
  const problem = value.cron.trim() ? cronProblem(value.cron) : optional ? null : cronProblem("");
  const words = describeCron(value.cron);
  return (
    <div className="schedule-fields">
      <div className="preset-row" role="group" aria-label="Schedule presets">
        {CRON_PRESETS.map((preset) => (
          <button key={preset.cron} type="button" className={`chip ${value.cron.trim() === preset.cron ? "chip-active" : ""}`} aria-pressed={value.cron.trim() === preset.cron} onClick={() => onChange({ ...value, cron: preset.cron })}>
            {preset.label}
          </button>
        ))}
      </div>
      <div className="form-row">
        <Field label={optional ? "Cron (optional)" : "Cron"} error={problem ?? undefined} hint={words ? <>{words} ({value.timezone})</> : "minute hour day-of-month month day-of-week, e.g. 30 2 * * 1-5"}>
          {(id) => <input id={id} className="mono" value={value.cron} onChange={(event) => onChange({ ...value, cron: event.target.value })} placeholder="0 3 * * *" maxLength={100} spellCheck={false} autoComplete="off" />}
        </Field>
        <Field label="Time zone" hint="The cron is read in this zone (daylight saving included).">
          {(id) => (
            <select id={id} value={value.timezone} onChange={(event) => onChange({ ...value, timezone: event.target.value })}>
              {timeZones(value.timezone).map((zone) => <option key={zone} value={zone}>{zone}</option>)}
            </select>
          )}
        </Field>
      </div>
      {showEnabled && (
        <label className="check-row">
          <input type="checkbox" checked={value.enabled} onChange={(event) => onChange({ ...value, enabled: event.target.checked })} />
          Run on this schedule (untick to pause it without losing it)
        </label>
      )}
    </div>
  );
}

export function ScheduleDialog({ target, onClose }: { target: Target | null; onClose: () => void }) {
  return target ? <ScheduleForm key={target.id} target={target} onClose={onClose} /> : null;
}

function ScheduleForm({ target, onClose }: { target: Target; onClose: () => void }) {
  const update = useUpdateTarget();
  const current = target.schedule;
  const [value, setValue] = useState<ScheduleValue>({ cron: current?.cron ?? "0 3 * * *", timezone: current?.timezone ?? browserTimeZone(), enabled: current?.enabled ?? true });
  const [removing, setRemoving] = useState(false);
  const invalid = !!cronProblem(value.cron);
  const close = () => { update.reset(); onClose(); };

  function save(event: FormEvent) {
    event.preventDefault();
    if (invalid) return;
    update.mutate({ id: target.id, schedule: { cron: value.cron.trim(), timezone: value.timezone, enabled: value.enabled } }, { onSuccess: onClose });
  }

  const footer = removing ? (
    <>
      <span className="footer-question">Remove the schedule? The target is then scanned on demand only.</span>
      <Button variant="ghost" onClick={() => setRemoving(false)}>Keep it</Button>
      <Button variant="danger" busy={update.isPending} onClick={() => update.mutate({ id: target.id, clear_schedule: true }, { onSuccess: onClose })}>Remove schedule</Button>
    </>
  ) : (
    <>
      {current && <Button variant="ghost" className="footer-start" onClick={() => setRemoving(true)}>Remove schedule…</Button>}
      <Button variant="ghost" onClick={close}>Cancel</Button>
      <Button variant="primary" type="submit" form="schedule-form" busy={update.isPending} disabled={invalid}>Save schedule</Button>
    </>
  );
  return (
    <Modal open title={`Schedule of ${target.name}`} onClose={close} footer={footer} wide>
      {current && (
        <p className="muted small">
          Now: <code>{current.cron}</code> ({current.timezone}){current.enabled ? current.next_run_at ? <> · next run {formatDateTime(current.next_run_at)} ({timeAgo(current.next_run_at)})</> : null : " · paused"}
        </p>
      )}
      <form id="schedule-form" className="form" onSubmit={save}>
        <ScheduleFields value={value} onChange={setValue} />
      </form>
      <InlineError error={update.error} />
    </Modal>
  );
}
