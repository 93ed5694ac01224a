"""sslyze's JSON output (``--json_out``), sslyze 3 to 6, streamed server by server.

- sslyze 3/4: ``server_scan_results[].server_info.server_location`` and
  ``scan_commands_results.<command>`` holding each command's result directly;
- sslyze 5/6: ``server_scan_results[].server_location``, ``connectivity_status``, and
  ``scan_result.<command> = {"status": "COMPLETED", "result": {...}}``.

Servers that could not be reached (``connectivity_status`` ERROR) and commands that errored
or were not scheduled contribute nothing. A server that is not an object, names no hostname and
port, or whose scan_commands_results is not an object is skipped with its position (servers
counted from 1) and the reason. Certificate validation failures are read from
``openssl_error_string`` (≤ 5) or ``validation_error`` (6).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from cspm.findings.models import CanonicalFinding
from cspm.scanners.base import RecordError, ReportFormatError, SkippedRecord, findings_or_skip
from cspm.scanners.normalize import as_list, mapping, text
from cspm.scanners.sniff import what_is_it
from cspm.scanners.sslyze.parser_common import PROTOCOLS, TOOL, CipherSuite, TlsServer, findings
from cspm.scanners.streaming import JsonEvents, PeekedReport

_REPORT_KEYS = {"server_scan_results", "sslyze_version", "sslyze_url", "server_connectivity_errors"}


def parse_json(stream: PeekedReport) -> Iterator[CanonicalFinding | SkippedRecord]:
    events = JsonEvents(TOOL, stream, big_integers=True)
    keys: set[str] = set()
    servers = 0
    for prefix, event, value in events:
        if prefix == "":
            if event == "start_array":
                raise ReportFormatError(TOOL, "expected an sslyze JSON report object but the report is a JSON "
                                              "array; " + what_is_it(stream.head))
            if event == "map_key":
                keys.add(value)
            elif event not in ("start_map", "end_map"):
                raise ReportFormatError(TOOL, "not an sslyze JSON report: the document is a single scalar value")
        elif prefix == "server_scan_results.item" and event not in ("map_key", "end_map", "end_array"):
            result = events.build(event, value)  # any JSON value: one that is not an object is skipped
            servers += 1
            yield from findings_or_skip(servers, _server_findings, result, f"server #{servers}")
    if not keys & _REPORT_KEYS:
        raise ReportFormatError(TOOL, "not an sslyze JSON report: no server_scan_results or sslyze_version; "
                                      + what_is_it(stream.head))


def _server_findings(result: object, position: str) -> Iterator[CanonicalFinding]:
    if not isinstance(result, dict):
        raise RecordError(TOOL, f"{position} is not a JSON object")
    server = _server(result, position)
    return findings(server, position) if server is not None else iter(())


def _server(result: dict[str, Any], position: str) -> TlsServer | None:
    if text(result.get("connectivity_status")) not in (None, "COMPLETED"):
        return None
    location = mapping(result.get("server_location"))
    if not location:  # sslyze 3/4: server_info.server_location (or the fields on server_info itself)
        info = mapping(result.get("server_info"))
        location = mapping(info.get("server_location")) or info
    host = text(location.get("hostname")) or text(location.get("ip_address"))
    port = location.get("port")
    if host is None or port is None:
        raise RecordError(TOOL, f"{position} names no hostname and port")
    server = TlsServer(host=host, port=port, ip=text(location.get("ip_address")))
    if isinstance(result.get("scan_result"), dict):
        commands = {name: entry.get("result") for name, entry in result["scan_result"].items()
                    if isinstance(entry, dict) and entry.get("status") == "COMPLETED"}
    else:
        commands = result.get("scan_commands_results") or {}
        if not isinstance(commands, dict):
            raise RecordError(TOOL, f"{position} ({server.endpoint}): scan_commands_results is not an object")
    _fill(server, {name: value for name, value in commands.items() if isinstance(value, dict)})
    return server


def _fill(server: TlsServer, commands: dict[str, dict[str, Any]]) -> None:
    server.heartbleed = commands.get("heartbleed", {}).get("is_vulnerable_to_heartbleed")
    server.ccs_injection = commands.get("openssl_ccs_injection", {}).get("is_vulnerable_to_ccs_injection")
    server.robot = text(commands.get("robot", {}).get("robot_result"))
    renegotiation = commands.get("session_renegotiation", {})
    server.secure_renegotiation = renegotiation.get("supports_secure_renegotiation")
    server.client_renegotiation = (renegotiation.get("accepts_client_renegotiation")
                                   or renegotiation.get("is_vulnerable_to_client_renegotiation_dos"))
    server.compression = commands.get("tls_compression", {}).get("supports_compression")
    server.fallback_scsv = commands.get("tls_fallback_scsv", {}).get("supports_fallback_scsv")
    server.extended_master_secret = commands.get("tls_extended_master_secret", {}).get("supports_ems_extension")
    if "http_headers" in commands:
        server.hsts_missing = commands["http_headers"].get("strict_transport_security_header") is None
    for protocol in PROTOCOLS:
        suites = commands.get(f"{protocol}_cipher_suites")
        if suites is not None:
            server.accepted[protocol] = [_suite(entry) for entry in as_list(suites.get("accepted_cipher_suites"))
                                         if isinstance(entry, dict)]
    certificate = commands.get("certificate_info", {})
    for deployment in as_list(certificate.get("certificate_deployments")):
        if not isinstance(deployment, dict):
            continue
        if deployment.get("leaf_certificate_subject_matches_hostname") is False:
            server.hostname_mismatch = True
        if deployment.get("verified_chain_has_sha1_signature"):
            server.sha1_chain = True
        for validation in as_list(deployment.get("path_validation_results")):
            if not isinstance(validation, dict):
                continue
            error = text(validation.get("openssl_error_string")) or text(validation.get("validation_error"))
            if error is None and validation.get("was_validation_successful") is False:
                error = "validation failed"
            if error:
                store = mapping(validation.get("trust_store"))
                label = " ".join(p for p in (text(store.get("name")), text(store.get("version"))) if p)
                line = f"{label}: {error}" if label else error
                if line not in server.certificate_errors:
                    server.certificate_errors.append(line)


def _suite(entry: dict[str, Any]) -> CipherSuite:
    suite = mapping(entry.get("cipher_suite")) or entry
    key_size = suite.get("key_size")
    return CipherSuite(name=text(suite.get("name")) or "unknown",
                       key_size=key_size if isinstance(key_size, int) else None,
                       anonymous=bool(suite.get("is_anonymous")))
