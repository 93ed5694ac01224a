import type { ReactNode } from "react";

export function AuthLayout({ title, subtitle, children, footer }: { title: string; subtitle?: ReactNode; children: ReactNode; footer?: ReactNode }) {
  return (
    <div className="auth-screen">
      <div className="auth-panel">
        <div className="auth-brand">
          <img src="/favicon.svg" alt="" width={36} height={36} />
          <span>OffloadSecurity CSPM</span>
        </div>
        <main className="auth-card">
          <h1>{title}</h1>
          {subtitle && <p className="auth-subtitle">{subtitle}</p>}
          {children}
        </main>
        {footer && <div className="auth-footer">{footer}</div>}
      </div>
      <aside className="auth-aside" aria-hidden="true">
        <div className="auth-aside-inner">
          <p className="auth-quote">Every scanner. One deduplicated view of your cloud posture, mapped to the controls auditors ask for.</p>
          <ul>
            <li>Prowler, Trivy, ZAP, Nmap, syft and grype results in one model</li>
            <li>Findings mapped to SCF controls and ISO 27001, SOC 2, NIST, PCI</li>
            <li>Self-hosted: your findings never leave your infrastructure</li>
          </ul>
        </div>
      </aside>
    </div>
  );
}
