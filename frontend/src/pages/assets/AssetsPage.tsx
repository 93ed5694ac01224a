/** Assets: the cloud resources discovered in the team's cloud accounts, beside the SBOM of scanned images and directories. */
import { useSearchParams } from "react-router-dom";
import { PageHeader, Tabs } from "../../components/ui";
import { CloudResourcesTab } from "./CloudResourcesTab";
import { SbomTab } from "./SbomTab";

type Tab = "cloud" | "sbom";

export default function AssetsPage() {
  const [params, setParams] = useSearchParams();
  const tab: Tab = params.get("tab") === "cloud" ? "cloud" : "sbom";
  return (
    <div className="page">
      <PageHeader title="Assets & SBOM" subtitle="Cloud resources discovered in your cloud accounts, and the software components syft found in scanned images and directories" />
      <Tabs label="Asset views" value={tab} onChange={(id) => setParams({ tab: id }, { replace: true })} tabs={[{ id: "sbom", label: "SBOM components" }, { id: "cloud", label: "Cloud resources" }]} />
      {tab === "cloud" ? <CloudResourcesTab /> : <SbomTab />}
    </div>
  );
}
