"""One SSL Labs endpoint's details → sslyze's ``TlsServer`` facts, plus the attacks only SSL Labs tests.

Codes as documented for the SSL Labs API v3: ``openSslCcs`` 3 = vulnerable and exploitable;
``bleichenbacher`` 2/3 = weak/strong oracle; ``renegSupport`` bit 1 = insecure client-initiated
renegotiation, bit 2 = secure renegotiation; ``compressionMethods`` bit 1 = DEFLATE;
``poodleTls``/``openSSLLuckyMinus20``/``ticketbleed`` 2 = vulnerable; the CBC oracles
(``zombiePoodle``, ``goldenDoodle``, ``zeroLengthPaddingOracle``, ``sleepingPoodle``) ≥ 2 =
vulnerable; certificate ``issues`` bits: 1 no chain of trust, 2 not yet valid, 4 expired, 8
host-name mismatch, 16 revoked, 64 self-signed, 128 blacklisted, 256 insecure signature.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from cspm.findings.models import CanonicalFinding, Severity
from cspm.scanners.normalize import as_list, mapping, text, unique
from cspm.scanners.sslyze.parser_common import PROTOCOLS, CipherSuite, Rule, TlsServer, findings, tls_finding

TOOL = "ssl_labs"
# SSL Labs protocol ids → sslyze's protocol keys.
_PROTOCOL_IDS = {512: "ssl_2_0", 768: "ssl_3_0", 769: "tls_1_0", 770: "tls_1_1", 771: "tls_1_2", 772: "tls_1_3"}
_CERT_PROBLEMS = {1: "no chain of trust", 2: "not yet valid", 4: "expired", 16: "revoked", 64: "self-signed",
                  128: "blacklisted"}
_HOSTNAME_MISMATCH = 8
_INSECURE_SIGNATURE = 256
_GRADE_SEVERITY = {"B": Severity.LOW, "C": Severity.MEDIUM, "D": Severity.MEDIUM, "E": Severity.MEDIUM,
                   "F": Severity.HIGH, "T": Severity.HIGH, "M": Severity.HIGH}

SSL_LABS_RULES = {rule.rule_id: rule for rule in (
    Rule("poodle-tls", "Vulnerable to POODLE over TLS", Severity.HIGH,
         "Patch the TLS stack (load balancer firmware) so it checks CBC padding.", "CVE-2014-8730", "CWE-310"),
    Rule("freak", "Vulnerable to FREAK (export RSA keys)", Severity.HIGH,
         "Disable export cipher suites.", "CVE-2015-0204", "CWE-310"),
    Rule("logjam", "Vulnerable to Logjam (weak Diffie-Hellman)", Severity.MEDIUM,
         "Disable DHE_EXPORT suites and use Diffie-Hellman groups of 2048 bits or more.", "CVE-2015-4000", "CWE-310"),
    Rule("drown", "Vulnerable to DROWN (SSL 2.0 with the same key)", Severity.HIGH,
         "Disable SSL 2.0 on every server sharing this certificate's key.", "CVE-2016-0800", "CWE-310"),
    Rule("openssl-padding-oracle", "Vulnerable to the OpenSSL padding oracle (LuckyMinus20)", Severity.HIGH,
         "Upgrade OpenSSL (1.0.1t / 1.0.2h or later).", "CVE-2016-2107", "CWE-310"),
    Rule("ticketbleed", "Vulnerable to Ticketbleed", Severity.HIGH,
         "Upgrade the F5 BIG-IP firmware or disable session tickets.", "CVE-2016-9244", "CWE-200"),
    Rule("cbc-padding-oracle", "Vulnerable to a CBC padding oracle (Zombie POODLE, GOLDENDOODLE, "
         "0-length, Sleeping POODLE)", Severity.HIGH,
         "Patch the TLS stack, or disable CBC cipher suites.", None, "CWE-203"),
    Rule("ssl-labs-grade", "SSL Labs grade below A-", Severity.MEDIUM,
         "Fix the issues SSL Labs lists for the endpoint until it grades A- or better."),
)}
_CBC_ORACLES = ("zombiePoodle", "goldenDoodle", "zeroLengthPaddingOracle", "sleepingPoodle")


def _code(details: dict[str, Any], key: str) -> int:
    value = details.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _protocol_key(protocol_id: object) -> str | None:
    """sslyze's key for an SSL Labs protocol id; None for anything else (a list would not even hash)."""
    return _PROTOCOL_IDS.get(protocol_id) if isinstance(protocol_id, int) else None


def _accepted(details: dict[str, Any]) -> dict[str, list[CipherSuite]]:
    accepted: dict[str, list[CipherSuite]] = {}
    for group in as_list(details.get("suites")):
        key = _protocol_key(mapping(group).get("protocol"))
        if key is None:
            continue
        for suite in as_list(mapping(group).get("list")):
            name = text(mapping(suite).get("name"))
            strength = mapping(suite).get("cipherStrength")
            if name:
                accepted.setdefault(key, []).append(CipherSuite(
                    name=name, key_size=strength if isinstance(strength, int) else None, anonymous="_anon_" in name))
    for protocol in as_list(details.get("protocols")):
        key = _protocol_key(mapping(protocol).get("id"))
        if key is not None and key not in accepted and PROTOCOLS[key][1] is not None:
            # An accepted legacy protocol whose suites SSL Labs did not list is still accepted.
            accepted[key] = [CipherSuite(name=f"(suites not listed for {PROTOCOLS[key][0]})")]
    return accepted


def _certificates(host: dict[str, Any], details: dict[str, Any]) -> tuple[list[str], bool, bool]:
    """(trust errors, host-name mismatch, SHA-1/insecure signature in the served chain)."""
    certs = {text(mapping(cert).get("id")): mapping(cert) for cert in as_list(host.get("certs"))}
    chains = [mapping(chain) for chain in as_list(details.get("certChains"))]
    if not chains:
        return [], False, False
    chain_ids = [text(cert_id) for cert_id in as_list(chains[0].get("certIds"))]
    chain = [certs[cert_id] for cert_id in chain_ids if cert_id in certs]
    errors: list[str] = []
    leaf_issues = _code(chain[0], "issues") if chain else 0
    errors += [f"leaf certificate: {label}" for bit, label in _CERT_PROBLEMS.items() if leaf_issues & bit]
    # A chain can reach a store's roots by several paths: it is untrusted there only if none is trusted.
    verdicts: dict[str, list[dict[str, Any]]] = {}
    for path in as_list(chains[0].get("trustPaths")):
        for trust in as_list(mapping(path).get("trust")):
            verdicts.setdefault(text(mapping(trust).get("rootStore")) or "trust store", []).append(mapping(trust))
    for store, trusts in verdicts.items():
        if not any(trust.get("isTrusted") is True for trust in trusts):
            errors.append(f"{store}: {text(trusts[0].get('trustErrorMessage')) or 'not trusted'}")
    insecure = any(_code(cert, "issues") & _INSECURE_SIGNATURE or (text(cert.get("sigAlg")) or "").upper()
                   .startswith("SHA1") for cert in chain[:-1] or chain)
    return unique(errors), bool(leaf_issues & _HOSTNAME_MISMATCH), insecure


def _server(host: dict[str, Any], endpoint: dict[str, Any], details: dict[str, Any]) -> TlsServer:
    reneg = _code(details, "renegSupport")
    bleichenbacher = _code(details, "bleichenbacher")
    errors, mismatch, sha1 = _certificates(host, details)
    protocols = as_list(details.get("protocols"))
    return TlsServer(
        host=text(host.get("host")) or text(endpoint.get("ipAddress")) or "unknown",
        port=host.get("port") or 443,
        ip=text(endpoint.get("ipAddress")),
        heartbleed=details.get("heartbleed") is True,
        ccs_injection=_code(details, "openSslCcs") == 3,
        robot={2: "VULNERABLE_WEAK_ORACLE", 3: "VULNERABLE_STRONG_ORACLE"}.get(bleichenbacher),
        secure_renegotiation=bool(reneg & 2) if "renegSupport" in details else None,
        client_renegotiation=bool(reneg & 1),
        compression=bool(_code(details, "compressionMethods") & 1),
        fallback_scsv=False if details.get("fallbackScsv") is False and len(protocols) > 1 else None,
        hsts_missing=(text(mapping(details.get("hstsPolicy")).get("status")) or "") == "absent",
        accepted=_accepted(details),
        certificate_errors=errors,
        hostname_mismatch=mismatch,
        sha1_chain=sha1,
    )


def endpoint_findings(host: dict[str, Any], endpoint: dict[str, Any], position: str) -> Iterator[CanonicalFinding]:
    details = mapping(endpoint.get("details"))
    if text(endpoint.get("statusMessage")) != "Ready" or not details:
        return
    server = _server(host, endpoint, details)
    yield from findings(server, position, tool=TOOL, per_address=True)

    def emit(rule_id: str, evidence: str, severity: Severity | None = None) -> CanonicalFinding:
        return tls_finding(server, SSL_LABS_RULES[rule_id], evidence, position, tool=TOOL, severity=severity,
                           per_address=True)

    if _code(details, "poodleTls") == 2:
        yield emit("poodle-tls", "SSL Labs: poodleTls = 2 (vulnerable).")
    if details.get("freak") is True:
        yield emit("freak", "SSL Labs: the server accepts export RSA key exchange.")
    if details.get("logjam") is True:
        yield emit("logjam", "SSL Labs: the server uses weak (export or < 1024-bit) Diffie-Hellman groups.")
    if details.get("drownVulnerable") is True:
        yield emit("drown", "SSL Labs: a server sharing this key accepts SSL 2.0.")
    if _code(details, "openSSLLuckyMinus20") == 2:
        yield emit("openssl-padding-oracle", "SSL Labs: openSSLLuckyMinus20 = 2 (vulnerable).")
    if _code(details, "ticketbleed") == 2:
        yield emit("ticketbleed", "SSL Labs: ticketbleed = 2 (vulnerable).")
    oracles = [f"{key} = {_code(details, key)}" for key in _CBC_ORACLES if _code(details, key) >= 2]
    if oracles:
        yield emit("cbc-padding-oracle", "SSL Labs: " + ", ".join(oracles))
    grade = text(endpoint.get("grade"))
    if grade and grade[0] in _GRADE_SEVERITY:
        ignoring_trust = text(endpoint.get("gradeTrustIgnored"))
        yield emit("ssl-labs-grade", f"Grade {grade}" + (f"; grade ignoring trust: {ignoring_trust}"
                                                         if ignoring_trust else ""), _GRADE_SEVERITY[grade[0]])
