"""Large real-format reports for the ingest benchmark: Trivy JSON and Prowler OCSF JSON with N findings.

The documents have the shape the tools write (field names, nesting and order taken from the
real reports in ``shared/scans/``: ``trivy/scheme_2_many_vulns.json``/``cvss_severity_source.json``
and ``prowler/prowler_5.46_aws_moto_s3_iam.ocsf.json``), with realistic text sizes, and every
finding has a distinct identity, so a report of N findings parses to exactly N findings with
N distinct dedup keys. They are written incrementally (never built in memory), so N = 100,000
costs no more memory than N = 1,000. Output is deterministic for a given ``seed``.

    from benchmarks.report_generators import write_trivy_report, write_prowler_ocsf_report
    write_trivy_report(Path("/tmp/trivy-100k.json"), 100_000)
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

TRIVY_SEVERITIES = ("CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN")
TRIVY_SEVERITY_WEIGHTS = (3, 17, 45, 30, 5)
PROWLER_SEVERITIES = ("Critical", "High", "Medium", "Low", "Informational")
PROWLER_STATUSES = ("FAIL", "PASS", "MANUAL")
PROWLER_STATUS_WEIGHTS = (70, 25, 5)
_LOREM = ("A flaw was found in the way the library handles crafted input. A remote attacker could use this "
          "flaw to cause a denial of service or possibly execute arbitrary code with the privileges of the "
          "process using the library. ")
_OS_PACKAGES: tuple[str, ...] = (
    "openssl", "libssl3", "zlib", "curl", "libcurl4", "glibc", "libxml2", "busybox", "expat", "ncurses", "sqlite-libs",
    "krb5-libs", "libgcrypt", "gnutls", "freetype", "pcre2")
_LANG_PACKAGES: tuple[str, ...] = (
    "requests", "urllib3", "django", "jinja2", "pyyaml", "cryptography", "lodash", "express", "log4j-core",
    "jackson-databind", "spring-core", "netty-codec", "golang.org/x/net")
_PROWLER_CHECKS = (
    ("s3_bucket_default_encryption", "s3", "AwsS3Bucket", "Check if S3 buckets have default encryption (SSE) enabled"),
    ("s3_bucket_public_access", "s3", "AwsS3Bucket", "Ensure there are no S3 buckets open to Everyone or Any AWS user"),
    ("s3_bucket_versioning_enabled", "s3", "AwsS3Bucket", "Check if S3 buckets have object versioning enabled"),
    ("iam_user_mfa_enabled_console_access", "iam", "AwsIamUser", "Ensure MFA is enabled for users with a password"),
    ("iam_user_accesskey_unused", "iam", "AwsIamUser", "Ensure unused user access keys are disabled"),
    ("ec2_instance_imdsv2_enabled", "ec2", "AwsEc2Instance", "Check if EC2 Instance Metadata Service v2 is enabled"),
    ("ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_22", "ec2", "AwsEc2SecurityGroup",
     "Ensure no security groups allow ingress from 0.0.0.0/0 or ::/0 to SSH port 22"),
    ("rds_instance_storage_encrypted", "rds", "AwsRdsDbInstance", "Check if RDS instances storage is encrypted"),
    ("cloudtrail_multi_region_enabled", "cloudtrail", "AwsCloudTrailTrail",
     "Ensure CloudTrail is enabled in all regions"),
    ("kms_cmk_rotation_enabled", "kms", "AwsKmsKey", "Ensure rotation for customer created KMS keys is enabled"),
)
_REGIONS = ("us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2")


def _write_items(out: IO[str], items: Any, indent: int = 2) -> None:
    """Write an iterable of JSON-serialisable items as the body of a JSON array."""
    first = True
    pad = " " * indent
    for item in items:
        out.write("\n" if first else ",\n")
        out.write(pad + json.dumps(item, indent=2).replace("\n", "\n" + pad))
        first = False
    out.write("\n")


# --------------------------------------------------------------------------------------- Trivy


def _trivy_vulnerability(index: int, rng: random.Random, package: str, ecosystem: str) -> dict[str, Any]:
    year = 2015 + index % 10
    vuln_id = f"CVE-{year}-{100000 + index}"
    severity = rng.choices(TRIVY_SEVERITIES, TRIVY_SEVERITY_WEIGHTS)[0]
    score = {"CRITICAL": 9.8, "HIGH": 7.5, "MEDIUM": 5.5, "LOW": 3.3, "UNKNOWN": 0.0}[severity]
    version = f"{1 + index % 4}.{index % 17}.{index % 9}"
    fixed = f"{1 + index % 4}.{index % 17}.{index % 9 + 1}" if index % 3 else ""
    published = datetime(2020, 1, 1, tzinfo=UTC) + timedelta(days=index % 1500)
    vulnerability: dict[str, Any] = {
        "VulnerabilityID": vuln_id,
        "PkgID": f"{package}@{version}",
        "PkgName": package,
        "PkgIdentifier": {"PURL": f"pkg:{ecosystem}/{package}@{version}", "UID": f"{index:016x}"},
        "InstalledVersion": version,
        "FixedVersion": fixed,
        "Status": "fixed" if fixed else "affected",
        "Layer": {"Digest": f"sha256:{index:064x}", "DiffID": f"sha256:{index + 1:064x}"},
        "SeveritySource": "nvd",
        "PrimaryURL": f"https://avd.aquasec.com/nvd/{vuln_id.lower()}",
        "DataSource": {"ID": ecosystem, "Name": f"{ecosystem} security tracker",
                       "URL": "https://security-tracker.example.org"},
        "Title": f"{package}: crafted input leads to memory corruption ({vuln_id})",
        "Description": _LOREM * (1 + index % 3),
        "Severity": severity,
        "CweIDs": [f"CWE-{(79, 787, 400, 20, 125)[index % 5]}"],
        "VendorSeverity": {"nvd": TRIVY_SEVERITIES.index(severity) if severity != "UNKNOWN" else 0},
        "CVSS": {"nvd": {"V3Vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "V3Score": score}},
        "References": [f"https://nvd.nist.gov/vuln/detail/{vuln_id}",
                       f"https://github.com/advisories/GHSA-{index:04x}-{index % 9999:04x}-abcd",
                       f"https://security-tracker.example.org/tracker/{vuln_id}"],
        "PublishedDate": published.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "LastModifiedDate": (published + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    if not fixed:
        del vulnerability["FixedVersion"]
    return vulnerability


def write_trivy_report(path: Path, findings: int, *, seed: int = 0, image: str = "registry.example.com/shop/api:2.4.1",
                       targets: int = 4) -> Path:
    """A Trivy SchemaVersion 2 image report with exactly ``findings`` vulnerabilities over ``targets`` results."""
    if findings < 0 or targets < 1:
        raise ValueError("findings must be >= 0 and targets >= 1")
    rng = random.Random(seed)
    per_target = [findings // targets + (1 if i < findings % targets else 0) for i in range(targets)]
    with path.open("w", encoding="utf-8") as out:
        out.write('{\n  "SchemaVersion": 2,\n  "CreatedAt": "2026-11-25T08:00:00.000000000Z",\n')
        out.write(f'  "ArtifactName": {json.dumps(image)},\n  "ArtifactType": "container_image",\n')
        metadata = {"OS": {"Family": "debian", "Name": "12.5"}, "ImageID": f"sha256:{seed:064x}",
                    "DiffIDs": [f"sha256:{i:064x}" for i in range(5)], "RepoTags": [image],
                    "RepoDigests": [f"{image.split(':')[0]}@sha256:{seed + 1:064x}"]}
        out.write('  "Metadata": ' + json.dumps(metadata, indent=2).replace("\n", "\n  ") + ',\n  "Results": [')
        index = 0
        for target_number, count in enumerate(per_target):
            if target_number == 0:
                target, klass, kind, packages, ecosystem = (f"{image} (debian 12.5)", "os-pkgs", "debian",
                                                            _OS_PACKAGES, "deb")
            else:
                target = f"app/lib{target_number}/requirements.txt"
                klass, kind, packages, ecosystem = "lang-pkgs", "pip", _LANG_PACKAGES, "pypi"
            out.write("," if target_number else "")
            out.write(f'\n    {{\n      "Target": {json.dumps(target)},\n      "Class": "{klass}",\n'
                      f'      "Type": "{kind}",\n      "Vulnerabilities": [')
            start = index
            _write_items(out, (_trivy_vulnerability(i, rng, packages[i % len(packages)], ecosystem)
                               for i in range(start, start + count)), indent=8)
            index += count
            out.write("      ]\n    }")
        out.write("\n  ]\n}\n")
    return path


# ------------------------------------------------------------------------------- Prowler OCSF


def _prowler_finding(index: int, rng: random.Random, account: str) -> dict[str, Any]:
    check_id, service, resource_type, title = _PROWLER_CHECKS[index % len(_PROWLER_CHECKS)]
    region = _REGIONS[(index // len(_PROWLER_CHECKS)) % len(_REGIONS)]
    status = rng.choices(PROWLER_STATUSES, PROWLER_STATUS_WEIGHTS)[0]
    severity = PROWLER_SEVERITIES[index % 4] if status != "MANUAL" else "Medium"
    name = f"{service}-resource-{index:07d}"
    uid = f"arn:aws:{service}:{region}:{account}:{name}"
    created = 1795345962 + index
    return {
        "message": f"{resource_type} {name} {'does not pass' if status == 'FAIL' else 'passes'} {check_id}.",
        "metadata": {"event_code": check_id,
                     "product": {"name": "Prowler", "uid": "prowler", "vendor_name": "Prowler", "version": "5.46.0"},
                     "profiles": ["cloud", "datetime"], "tenant_uid": "", "version": "1.5.0"},
        "severity_id": {"Critical": 5, "High": 4, "Medium": 3, "Low": 2, "Informational": 1}[severity],
        "severity": severity,
        "status": "New",
        "status_code": status,
        "status_detail": f"{resource_type} {name} {'is not compliant' if status == 'FAIL' else 'is compliant'}.",
        "status_id": 1,
        "unmapped": {
            "related_url": "", "categories": ["encryption"], "depends_on": [], "related_to": [],
            "additional_urls": [f"https://docs.aws.amazon.com/{service}/latest/userguide/security.html"],
            "notes": "",
            "compliance": {"CIS-2.0": [f"{1 + index % 5}.{1 + index % 20}"],
                           "NIST-800-53-Revision-5": ["sc_28", "sc_13"],
                           "ISO27001-2022": ["A.8.24"], "SOC2": ["cc_6_1"], "PCI-4.0": ["3.5.1"]},
            "scan_id": "01a202f5-5796-7f98-8792-fc1e4465b475", "provider_uid": account, "provider": "aws",
        },
        "activity_name": "Create",
        "activity_id": 1,
        "finding_info": {
            "analytic": {"category": service, "name": title, "type": "Rule", "type_id": 1, "uid": check_id},
            "created_time": created,
            "created_time_dt": datetime.fromtimestamp(created, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f"),
            "desc": f"{title}. " + _LOREM,
            "title": title,
            "types": ["Software and Configuration Checks/AWS Security Best Practices"],
            "uid": f"prowler-aws-{check_id}-{account}-{region}-{name}",
        },
        "resources": [{"cloud_partition": "aws", "region": region, "data": {"details": "", "metadata": {}},
                       "group": {"name": service}, "labels": [], "name": name, "type": resource_type, "uid": uid}],
        "category_name": "Findings",
        "category_uid": 2,
        "class_name": "Detection Finding",
        "class_uid": 2004,
        "cloud": {"account": {"name": "", "type": "AWS Account", "type_id": 10, "uid": account, "labels": []},
                  "org": {"name": "", "ou_uid": "", "ou_name": "", "uid": ""}, "provider": "aws", "region": region},
        "remediation": {"desc": "Enable the control on the resource and enforce it with an SCP. " + _LOREM[:120],
                        "references": [f"https://hub.prowler.com/check/{check_id}"]},
        "risk_details": "Without this control an attacker with access to the resource could read or alter data.",
        "time": created,
        "time_dt": datetime.fromtimestamp(created, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f"),
        "type_uid": 200401,
        "type_name": "Detection Finding: Create",
    }


def write_prowler_ocsf_report(path: Path, findings: int, *, seed: int = 0, account: str = "123456789012") -> Path:
    """A Prowler ``json-ocsf`` report (a JSON array) with exactly ``findings`` results (FAIL/PASS/MANUAL)."""
    if findings < 0:
        raise ValueError("findings must be >= 0")
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as out:
        out.write("[")
        _write_items(out, (_prowler_finding(i, rng, account) for i in range(findings)))
        out.write("]\n")
    return path


GENERATORS: dict[str, Callable[..., Path]] = {
    "trivy": write_trivy_report,
    "prowler": write_prowler_ocsf_report,
}
