import { useState, type FormEvent } from "react";
import { useCreateSuppressionRule, useDeleteSuppressionRule, useSuppressionRules } from "../../api/hooks/findings";
import type { SuppressionRule } from "../../api/types";
import { useCan } from "../../app/AuthGate";
import { formatDate } from "../../components/format";
import { Button, Card, ConfirmDialog, EmptyState, Field, InlineError, QueryState } from "../../components/ui";

export function SuppressionTab() {
  const rules = useSuppressionRules();
  const canWrite = useCan("findings:write");
  const create = useCreateSuppressionRule();
  const remove = useDeleteSuppressionRule();
  const [tool, setTool] = useState("");
  const [rule, setRule] = useState("");
  const [pattern, setPattern] = useState("");
  const [reason, setReason] = useState("");
  const [notice, setNotice] = useState<string | null>(null);
  const [deleting, setDeleting] = useState<SuppressionRule | null>(null);

  function submit(event: FormEvent) {
    event.preventDefault();
    create.mutate(
      { source_tool: tool || null, rule_id: rule || null, resource_pattern: pattern || null, reason },
      { onSuccess: (created) => { setNotice(`Rule created; ${created.suppressed_now} open findings suppressed now.`); setTool(""); setRule(""); setPattern(""); setReason(""); } },
    );
  }

  return (
    <div className="stack">
      {canWrite && (
        <Card title="New suppression rule">
          <p className="muted">Findings matching every field you fill are suppressed now and on every future import.</p>
          <form className="form" onSubmit={submit}>
            <div className="form-row">
              <Field label="Tool">{(id) => <input id={id} value={tool} onChange={(event) => setTool(event.target.value)} placeholder="trivy" maxLength={50} />}</Field>
              <Field label="Rule / check id">{(id) => <input id={id} value={rule} onChange={(event) => setRule(event.target.value)} placeholder="AVD-AWS-0086" maxLength={300} />}</Field>
              <Field label="Resource pattern" hint="Glob, e.g. arn:aws:s3:::logs-*">{(id) => <input id={id} value={pattern} onChange={(event) => setPattern(event.target.value)} maxLength={500} />}</Field>
            </div>
            <Field label="Reason">{(id) => <input id={id} value={reason} onChange={(event) => setReason(event.target.value)} required minLength={3} maxLength={2000} />}</Field>
            <div><Button type="submit" variant="primary" busy={create.isPending} disabled={reason.trim().length < 3 || !(tool || rule || pattern)}>Create rule</Button></div>
          </form>
          <InlineError error={create.error} />
          {notice && <p className="callout callout-info" role="status">{notice}</p>}
        </Card>
      )}
      <Card title="Rules">
        <QueryState query={rules} isEmpty={(list) => list.length === 0} empty={<EmptyState title="No suppression rules" icon="filter" />}>
          {(list) => (
            <table className="simple-table">
              <thead><tr><th scope="col">Tool</th><th scope="col">Rule</th><th scope="col">Resource pattern</th><th scope="col">Reason</th><th scope="col">Created</th><th scope="col"><span className="sr-only">Actions</span></th></tr></thead>
              <tbody>
                {list.map((item) => (
                  <tr key={item.id}>
                    <td>{item.source_tool ?? "any"}</td>
                    <td><code>{item.rule_id ?? "any"}</code></td>
                    <td><code>{item.resource_pattern ?? "any"}</code></td>
                    <td>{item.reason}</td>
                    <td>{formatDate(item.created_at)}</td>
                    <td className="actions-cell">{canWrite && <Button size="sm" variant="ghost" onClick={() => setDeleting(item)}>Delete</Button>}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </QueryState>
      </Card>
      <ConfirmDialog
        open={!!deleting}
        title="Delete suppression rule"
        message="Delete this rule? Findings it already suppressed keep their status; new imports are no longer suppressed."
        confirmLabel="Delete rule"
        busy={remove.isPending}
        error={remove.error}
        onCancel={() => { setDeleting(null); remove.reset(); }}
        onConfirm={() => deleting && remove.mutate(deleting.id, { onSuccess: () => setDeleting(null) })}
      />
    </div>
  );
}
