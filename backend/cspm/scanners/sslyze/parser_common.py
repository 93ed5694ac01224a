"""sslyze results, whatever the report version, judged against one set of TLS rules.

The JSON (sslyze 3 to 6) and XML (sslyze 1 to 2) readers fill a ``TlsServer``; ``findings``
turns it into at most one finding per issue. sslyze reports facts (accepted protocols and
cipher suites, vulnerability probes, certificate validation); the rules that make those facts
findings are ours and are listed in ``RULES`` with their severity. The cipher-suite rule
follows Mozilla's "intermediate" server-side TLS configuration (v5.7), the profile sslyze's
own ``--mozilla_config`` checks.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from cspm.findings.models import CanonicalFinding, FindingCategory, Resource, Severity
from cspm.scanners.normalize import build_finding, identity, scan_scope

TOOL = "sslyze"
MOZILLA_GUIDE = "https://wiki.mozilla.org/Security/Server_Side_TLS"

# Mozilla intermediate (v5.7): TLS 1.2 suites a server may accept, by IANA name.
RECOMMENDED_TLS12_SUITES = frozenset({
    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
    "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
})
_BROKEN_MARKERS = ("EXPORT", "_RC4_", "_RC2_", "_DES_", "_DES40_", "_WITH_MD5", "_MD5")
PROTOCOLS = {  # sslyze scan command → (label, severity when accepted; None = allowed)
    "ssl_2_0": ("SSL 2.0", Severity.HIGH),
    "ssl_3_0": ("SSL 3.0", Severity.HIGH),
    "tls_1_0": ("TLS 1.0", Severity.MEDIUM),
    "tls_1_1": ("TLS 1.1", Severity.MEDIUM),
    "tls_1_2": ("TLS 1.2", None),
    "tls_1_3": ("TLS 1.3", None),
}


@dataclass(frozen=True)
class Rule:
    rule_id: str
    title: str
    severity: Severity
    remediation: str
    cve: str | None = None
    cwe: str | None = None


RULES = {rule.rule_id: rule for rule in (
    Rule("heartbleed", "Vulnerable to Heartbleed", Severity.HIGH,
         "Upgrade OpenSSL (1.0.1g or later) and replace the certificate's private key.", "CVE-2014-0160", "CWE-125"),
    Rule("ccs-injection", "Vulnerable to OpenSSL CCS injection", Severity.HIGH,
         "Upgrade OpenSSL (1.0.1h or later).", "CVE-2014-0224", "CWE-326"),
    Rule("robot", "Vulnerable to the ROBOT attack", Severity.HIGH,
         "Disable RSA key-exchange cipher suites or patch the TLS stack.", None, "CWE-203"),
    Rule("insecure-renegotiation", "Secure renegotiation not supported", Severity.MEDIUM,
         "Enable secure renegotiation (RFC 5746).", "CVE-2009-3555", "CWE-310"),
    Rule("client-renegotiation", "Client-initiated renegotiation accepted", Severity.LOW,
         "Disable client-initiated renegotiation (denial-of-service vector)."),
    Rule("tls-compression", "TLS compression enabled (CRIME)", Severity.MEDIUM,
         "Disable TLS-level compression.", "CVE-2012-4929", "CWE-310"),
    Rule("no-fallback-scsv", "TLS_FALLBACK_SCSV not supported", Severity.LOW,
         "Support TLS_FALLBACK_SCSV to prevent protocol downgrade attacks."),
    Rule("no-extended-master-secret", "Extended master secret extension not supported", Severity.LOW,
         "Enable the TLS extended master secret extension (RFC 7627)."),
    Rule("protocol-ssl-2.0", "SSL 2.0 accepted", Severity.HIGH, "Disable SSL 2.0.", None, "CWE-327"),
    Rule("protocol-ssl-3.0", "SSL 3.0 accepted", Severity.HIGH, "Disable SSL 3.0 (POODLE).", "CVE-2014-3566",
         "CWE-327"),
    Rule("protocol-tls-1.0", "TLS 1.0 accepted", Severity.MEDIUM, "Disable TLS 1.0; serve TLS 1.2 and 1.3.",
         None, "CWE-327"),
    Rule("protocol-tls-1.1", "TLS 1.1 accepted", Severity.MEDIUM, "Disable TLS 1.1; serve TLS 1.2 and 1.3.",
         None, "CWE-327"),
    Rule("weak-cipher-suites", "Cipher suites outside Mozilla's intermediate profile accepted", Severity.MEDIUM,
         "Accept only the TLS 1.2 suites of Mozilla's intermediate profile (ECDHE/DHE with AES-GCM or "
         "ChaCha20-Poly1305).", None, "CWE-327"),
    Rule("insecure-cipher-suites", "Broken cipher suites accepted (anonymous, NULL, export, RC4, DES, MD5)",
         Severity.HIGH, "Disable anonymous, NULL, export, RC4, RC2, DES, MD5 and sub-112-bit cipher suites.", None,
         "CWE-327"),
    Rule("certificate-not-trusted", "Certificate chain not trusted", Severity.HIGH,
         "Serve a valid, unexpired certificate chain issued by a public CA.", None, "CWE-295"),
    Rule("certificate-hostname-mismatch", "Certificate does not match the host name", Severity.HIGH,
         "Serve a certificate whose subject alternative names cover the host name.", None, "CWE-297"),
    Rule("certificate-sha1-signature", "Certificate chain signed with SHA-1", Severity.MEDIUM,
         "Re-issue the certificate chain with SHA-256 signatures.", None, "CWE-328"),
    Rule("hsts-missing", "Strict-Transport-Security header missing", Severity.LOW,
         "Send Strict-Transport-Security with a max-age of at least six months.", None, "CWE-319"),
)}


@dataclass
class CipherSuite:
    name: str
    key_size: int | None = None
    anonymous: bool = False

    @property
    def insecure(self) -> bool:
        """Broken outright: anonymous, NULL, export-grade, RC4, RC2, single DES, MD5-MAC or < 112 bits."""
        upper = self.name.upper()
        return (self.anonymous or "_ANON_" in upper or "_NULL_" in upper or upper.endswith("_NULL")
                or any(marker in upper for marker in _BROKEN_MARKERS)
                or (self.key_size is not None and 0 < self.key_size < 112))


@dataclass
class TlsServer:
    host: str
    port: int | str
    ip: str | None = None
    heartbleed: bool | None = None
    ccs_injection: bool | None = None
    robot: str | None = None
    secure_renegotiation: bool | None = None
    client_renegotiation: bool | None = None
    compression: bool | None = None
    fallback_scsv: bool | None = None
    extended_master_secret: bool | None = None
    hsts_missing: bool | None = None
    accepted: dict[str, list[CipherSuite]] = field(default_factory=dict)
    """Protocol key (``PROTOCOLS``) → accepted suites; absent = not scanned."""
    certificate_errors: list[str] = field(default_factory=list)
    hostname_mismatch: bool = False
    sha1_chain: bool = False

    @property
    def endpoint(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


def tls_finding(server: TlsServer, rule: Rule, evidence: str, position: str, *, tool: str = TOOL,
                severity: Severity | None = None, per_address: bool = False) -> CanonicalFinding:
    """One rule's finding on one server. ``per_address``: the identity also holds the IP address, for
    tools that scan each address of a name separately (one may fail what another passes)."""
    return build_finding(
        tool, f"{position} ({server.endpoint}, {rule.rule_id})",
        rule_id=rule.rule_id,
        title=f"{rule.title} ({server.endpoint})",
        description=f"{server.endpoint}: {rule.title[0].lower()}{rule.title[1:]}.",
        severity=severity or rule.severity,
        category=FindingCategory.TLS,
        resource=Resource(type="host_port", id=server.endpoint,
                          name=server.ip if server.ip and server.ip != server.host else None),
        cve_ids=[rule.cve] if rule.cve else [],
        cwe_ids=[rule.cwe] if rule.cwe else [],
        evidence=evidence,
        remediation=rule.remediation,
        references=[MOZILLA_GUIDE],
        compliance_tags={"CWE": [rule.cwe]} if rule.cwe else {},
        identity=identity(target=server.endpoint, ip=server.ip if per_address else None, issue=rule.rule_id),
        scope=scan_scope("server", server.endpoint),
    )


def findings(server: TlsServer, position: str, *, tool: str = TOOL, per_address: bool = False
             ) -> Iterator[CanonicalFinding]:
    """The findings of ``RULES`` on one server's facts (also used for SSL Labs, which reports the same facts)."""
    def emit(rule_id: str, evidence: str, severity: Severity | None = None) -> CanonicalFinding:
        return tls_finding(server, RULES[rule_id], evidence, position, tool=tool, severity=severity,
                           per_address=per_address)

    if server.heartbleed:
        yield emit("heartbleed", "The server answered a malformed heartbeat request with memory contents.")
    if server.ccs_injection:
        yield emit("ccs-injection", "The server accepted an early ChangeCipherSpec message.")
    if server.robot and server.robot.startswith("VULNERABLE"):
        weak = "WEAK" in server.robot
        yield emit("robot", f"ROBOT probe result: {server.robot}", Severity.MEDIUM if weak else None)
    if server.secure_renegotiation is False:
        yield emit("insecure-renegotiation", "The server does not support secure renegotiation (RFC 5746).")
    if server.client_renegotiation:
        yield emit("client-renegotiation", "The server accepts client-initiated renegotiation.")
    if server.compression:
        yield emit("tls-compression", "The server accepts DEFLATE compression.")
    if server.fallback_scsv is False:
        yield emit("no-fallback-scsv", "The server ignores the TLS_FALLBACK_SCSV signalling suite.")
    if server.extended_master_secret is False:
        yield emit("no-extended-master-secret", "The server does not negotiate the extended master secret.")
    for protocol, (label, severity) in PROTOCOLS.items():
        suites = server.accepted.get(protocol) or []
        if severity is not None and suites:
            yield emit(f"protocol-{label.lower().replace(' ', '-')}",
                       f"{label} accepted with {len(suites)} cipher suite(s): "
                       + ", ".join(suite.name for suite in suites))
    all_suites = [suite for suites in server.accepted.values() for suite in suites]
    insecure = sorted({suite.name for suite in all_suites if suite.insecure})
    if insecure:
        yield emit("insecure-cipher-suites", "Accepted: " + ", ".join(insecure))
    outside_profile = [suite.name for suite in server.accepted.get("tls_1_2") or []
                       if suite.name not in RECOMMENDED_TLS12_SUITES and suite.name not in insecure]
    if outside_profile:
        yield emit("weak-cipher-suites", "TLS 1.2 suites outside the profile: " + ", ".join(outside_profile))
    if server.certificate_errors:
        yield emit("certificate-not-trusted", "\n".join(server.certificate_errors))
    if server.hostname_mismatch:
        yield emit("certificate-hostname-mismatch", f"The leaf certificate does not name {server.host}.")
    if server.sha1_chain:
        yield emit("certificate-sha1-signature", "A certificate in the verified chain is signed with SHA-1.")
    if server.hsts_missing:
        yield emit("hsts-missing", "The HTTP response carries no Strict-Transport-Security header.")
