"""sslyze's XML output (``--xml_out``, sslyze 1.x and 2.x), streamed target by target.

``<document SSLyzeVersion><results><target host ip port>`` holding ``certinfo``
(``hostnameValidation@certificateMatchesServerHostname``, ``pathValidation@validationResult``
per trust store, ``verifiedCertificateChain@hasSha1SignedCertificate``), ``compression``,
``fallback``, ``heartbleed``, ``openssl_ccs``, ``reneg``, ``robot`` and ``sslv2`` … ``tlsv1_3``
(``acceptedCipherSuites/cipherSuite@name@keySize@anonymous``). A target without host and port
attributes is skipped with its position (targets counted from 1) and the reason.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET  # only for the Element type: parsing goes through defusedxml
from collections.abc import Iterator

from cspm.findings.models import CanonicalFinding
from cspm.scanners.base import RecordError, ReportFormatError, SkippedRecord, findings_or_skip
from cspm.scanners.normalize import text
from cspm.scanners.sniff import what_is_it
from cspm.scanners.sslyze.parser_common import TOOL, CipherSuite, TlsServer, findings
from cspm.scanners.streaming import PeekedReport, iter_xml, local_name

_PROTOCOL_TAGS = {"sslv2": "ssl_2_0", "sslv3": "ssl_3_0", "tlsv1": "tls_1_0", "tlsv1_1": "tls_1_1",
                  "tlsv1_2": "tls_1_2", "tlsv1_3": "tls_1_3"}


def parse_xml(stream: PeekedReport) -> Iterator[CanonicalFinding | SkippedRecord]:
    stack: list[ET.Element] = []
    targets = 0
    for event, element in iter_xml(TOOL, stream):
        tag = local_name(element.tag)
        if event == "start":
            if not stack and tag != "document":
                raise ReportFormatError(TOOL, f"the XML root is <{tag}>, not sslyze's <document>; "
                                              + what_is_it(stream.head))
            stack.append(element)
            continue
        stack.pop()
        if tag == "target" and stack and local_name(stack[-1].tag) == "results":
            targets += 1
            yield from findings_or_skip(targets, _target_findings, element, f"target #{targets}")
            stack[-1].remove(element)


def _target_findings(target: ET.Element, position: str) -> Iterator[CanonicalFinding]:
    return findings(_server(target, position), position)


def _flag(element: ET.Element | None, attribute: str) -> bool | None:
    if element is None or element.get(attribute) is None:
        return None
    return element.get(attribute) == "True"


def _server(target: ET.Element, position: str) -> TlsServer:
    host = text(target.get("host")) or text(target.get("ip"))
    port = text(target.get("port"))
    if host is None or port is None:
        raise RecordError(TOOL, f"{position} has no host and port attributes")
    server = TlsServer(host=host, port=port, ip=text(target.get("ip")))
    server.heartbleed = _flag(target.find("heartbleed/openSslHeartbleed"), "isVulnerable")
    server.ccs_injection = _flag(target.find("openssl_ccs/openSslCcsInjection"), "isVulnerable")
    robot = target.find("robot/robotAttack")
    server.robot = text(robot.get("resultEnum")) if robot is not None else None
    renegotiation = target.find("reneg/sessionRenegotiation")
    server.secure_renegotiation = _flag(renegotiation, "isSecure")
    server.client_renegotiation = _flag(renegotiation, "canBeClientInitiated")
    server.compression = _flag(target.find("compression/compressionMethod"), "isSupported")
    server.fallback_scsv = _flag(target.find("fallback/tlsFallbackScsv"), "isSupported")
    for tag, protocol in _PROTOCOL_TAGS.items():
        section = target.find(tag)
        if section is None:
            continue
        server.accepted[protocol] = [
            CipherSuite(name=text(suite.get("name")) or "unknown",
                        key_size=int(size) if (size := suite.get("keySize", "")).isdigit() else None,
                        anonymous=suite.get("anonymous") == "True")
            for suite in section.findall("acceptedCipherSuites/cipherSuite")
        ]
    certinfo = target.find("certinfo")
    if certinfo is not None:
        for hostname in certinfo.iter("hostnameValidation"):
            if hostname.get("certificateMatchesServerHostname") == "False":
                server.hostname_mismatch = True
        for validation in certinfo.iter("pathValidation"):
            result = text(validation.get("validationResult"))
            if result and result.lower() != "ok":
                label = " ".join(p for p in (text(validation.get("usingTrustStore")),
                                             text(validation.get("trustStoreVersion"))) if p)
                line = f"{label}: {result}" if label else result
                if line not in server.certificate_errors:
                    server.certificate_errors.append(line)
        for chain in certinfo.iter("verifiedCertificateChain"):
            if chain.get("hasSha1SignedCertificate") == "True":
                server.sha1_chain = True
    return server
