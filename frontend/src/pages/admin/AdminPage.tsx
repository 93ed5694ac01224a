import { useSearchParams } from "react-router-dom";
import { useCan, useCurrentUser } from "../../app/AuthGate";
import { useModuleOn } from "../../app/modules";
import { PageHeader, Tabs } from "../../components/ui";
import { ApiTokensTab } from "./ApiTokensTab";
import { AuditTab } from "./AuditTab";
import { HealthTab } from "./HealthTab";
import { InvitationsTab } from "./InvitationsTab";
import { MembersTab } from "./MembersTab";
import { ModulesTab } from "./ModulesTab";
import { SuppressionTab } from "./SuppressionTab";
import { UsersTab } from "./UsersTab";

type TabId = "members" | "invitations" | "tokens" | "modules" | "suppression" | "audit" | "users" | "health";

export default function AdminPage() {
  const me = useCurrentUser();
  const canManage = useCan("teams:manage");
  const canTokens = useCan("tokens:manage");
  const canAudit = useCan("audit:read");
  const canUsers = useCan("users:manage");
  const findingsOn = useModuleOn("findings");
  const canFindings = useCan("findings:read") && findingsOn;
  const tabs: { id: TabId; label: string }[] = [
    { id: "members", label: "Members" },
    ...(canManage ? [{ id: "invitations" as const, label: "Invitations" }] : []),
    ...(canTokens ? [{ id: "tokens" as const, label: "API tokens" }] : []),
    { id: "modules", label: "Modules" },
    ...(canFindings ? [{ id: "suppression" as const, label: "Suppression rules" }] : []),
    ...(canAudit ? [{ id: "audit" as const, label: "Audit log" }] : []),
    ...(canUsers ? [{ id: "users" as const, label: "Users" }] : []),
    { id: "health", label: "System health" },
  ];
  const [params, setParams] = useSearchParams();
  const requested = params.get("tab") as TabId | null;
  const tab = tabs.find((item) => item.id === requested)?.id ?? "members";
  const team = me.teams.find((item) => item.team_id === me.active_team_id);
  return (
    <div className="page">
      <PageHeader title="Administration" subtitle={<>Team <strong>{team?.team_name}</strong> · your role: {me.role?.replace("_", " ")}</>} />
      <Tabs label="Administration sections" tabs={tabs} value={tab} onChange={(id) => setParams({ tab: id }, { replace: true })} />
      <div role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`} className="tab-panel">
        {tab === "members" && <MembersTab />}
        {tab === "invitations" && <InvitationsTab />}
        {tab === "tokens" && <ApiTokensTab />}
        {tab === "modules" && <ModulesTab />}
        {tab === "suppression" && <SuppressionTab />}
        {tab === "audit" && <AuditTab />}
        {tab === "users" && <UsersTab />}
        {tab === "health" && <HealthTab />}
      </div>
    </div>
  );
}
