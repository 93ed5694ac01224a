#!/usr/bin/env python3
"""First-run configuration for a production OffloadSecurity CSPM host.

Interactive:      python3 setup_wizard.py
Automation:       python3 setup_wizard.py --non-interactive --domain cspm.example.com --admin-email ops@example.com
Checks only:      python3 setup_wizard.py --check-only

Writes `.env` (mode 600) for docker-compose.prod.yml and docker-compose.monitoring.yml: the
application settings (the variable names `cspm.core.settings` reads) and the passwords of
MongoDB, Redis and Grafana, all generated with `secrets`. Running it again keeps the secrets
already in `.env` (MongoDB and Redis were initialised with them) unless --rotate-secrets is given.
It also checks the host (Docker, the compose plugin, vm.overcommit_memory for Redis, memory,
disk, ports 80/443) and says how to fix each problem.

Standard library only: it runs on the host before anything else is installed.
"""

from __future__ import annotations

import argparse
import base64
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

DOMAIN_PATTERN = re.compile(
    r"^(?=.{1,253}$)(?!-)[A-Za-z0-9-]{1,63}(?<!-)(\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*$"
)
EMAIL_PATTERN = re.compile(r"^[^@\s,;\"'\\]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
SMARTHOST_PATTERN = re.compile(r"^[A-Za-z0-9.-]+:\d{1,5}$")
SCANNER_MODES = ("docker", "local")
# Secrets the wizard generates; kept from an existing .env unless --rotate-secrets.
SECRET_KEYS = ("MONGO_ROOT_PASSWORD", "MONGO_APP_PASSWORD", "MONGO_EXPORTER_PASSWORD", "REDIS_PASSWORD",
               "JWT_SECRET", "FERNET_KEYS", "GRAFANA_ADMIN_PASSWORD")
MIN_MEMORY_GIB = 4
MIN_DISK_GIB = 20
DEFAULT_SCAN_DIRECTORY = Path("/var/lib/offload-cspm/scans")


class WizardError(Exception):
    """Bad input or an unusable environment; the message says what to change."""


# ---------------------------------------------------------------- host checks

@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""
    required: bool = True


def _run(argv: list[str]) -> subprocess.CompletedProcess[str] | None:
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=20, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None


def check_docker() -> list[Check]:
    docker = shutil.which("docker")
    if docker is None:
        return [Check("docker", False, "the docker command is not installed",
                      "install Docker Engine (https://docs.docker.com/engine/install/), e.g. "
                      "`curl -fsSL https://get.docker.com | sh`")]
    checks = [Check("docker", True, docker)]
    compose = _run([docker, "compose", "version", "--short"])
    if compose is not None and compose.returncode == 0:
        checks.append(Check("docker compose", True, f"v{compose.stdout.strip()}"))
    else:
        checks.append(Check("docker compose", False, "the Compose v2 plugin (`docker compose`) is missing",
                            "install it: `apt-get install docker-compose-plugin` (Docker's apt repository)"))
    info = _run([docker, "info", "--format", "{{.ServerVersion}}"])
    if info is not None and info.returncode == 0 and info.stdout.strip():
        checks.append(Check("docker engine", True, f"server {info.stdout.strip()}"))
    else:
        reason = (info.stderr.strip().splitlines() or ["no answer"])[-1] if info is not None else "no answer"
        checks.append(Check("docker engine", False, f"the Docker daemon does not answer ({reason[:160]})",
                            "start it: `sudo systemctl enable --now docker`; to run without sudo: "
                            "`sudo usermod -aG docker $USER` and log in again"))
    return checks


def check_overcommit(proc: Path = Path("/proc/sys/vm/overcommit_memory")) -> Check:
    fix = ("`sudo sysctl -w vm.overcommit_memory=1` and, to keep it after a reboot, "
           "`echo 'vm.overcommit_memory = 1' | sudo tee /etc/sysctl.d/99-offload-cspm.conf`")
    try:
        value = proc.read_text().strip()
    except OSError as exc:
        return Check("vm.overcommit_memory", False, f"cannot read {proc}: {exc.strerror}", fix)
    if value == "1":
        return Check("vm.overcommit_memory", True, "1")
    return Check("vm.overcommit_memory", False,
                 f"is {value}; Redis needs 1 or its background saves can fail under memory pressure", fix)


def check_memory(meminfo: Path = Path("/proc/meminfo")) -> Check:
    try:
        match = re.search(r"^MemTotal:\s+(\d+) kB", meminfo.read_text(), re.M)
    except OSError:
        match = None
    if match is None:
        return Check("memory", False, "cannot read /proc/meminfo", "", required=False)
    gib = int(match.group(1)) / 1024 / 1024
    if gib >= MIN_MEMORY_GIB:
        return Check("memory", True, f"{gib:.1f} GiB", required=False)
    return Check("memory", False, f"{gib:.1f} GiB; at least {MIN_MEMORY_GIB} GiB are recommended",
                 "use a larger host, or lower the memory limits in docker-compose.prod.yml", required=False)


def check_disk(path: Path) -> Check:
    usage = shutil.disk_usage(path)
    gib = usage.free / 1024**3
    if gib >= MIN_DISK_GIB:
        return Check("disk", True, f"{gib:.0f} GiB free", required=False)
    return Check("disk", False, f"{gib:.1f} GiB free; at least {MIN_DISK_GIB} GiB are recommended "
                 "(MongoDB, scanner databases, logs)", "free space or move Docker's data-root to a larger disk",
                 required=False)


def check_port(port: int) -> Check:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(1)
        in_use = probe.connect_ex(("127.0.0.1", port)) == 0
    if not in_use:
        return Check(f"port {port}", True, "free", required=False)
    return Check(f"port {port}", False, "something already listens here; nginx must own ports 80 and 443",
                 f"stop that service (`sudo ss -ltnp 'sport = :{port}'` shows which)", required=False)


def check_scan_directory(path: Path, uid: int = 10001) -> Check:
    fix = f"`sudo install -d -m 0750 -o {uid} -g {uid} {path}`"
    try:
        info = path.stat()
    except OSError:
        return Check("scan work directory", False, f"{path} does not exist (scanner containers mount it by host "
                     "path)", fix)
    if info.st_uid != uid:
        return Check("scan work directory", False, f"{path} belongs to uid {info.st_uid}, the worker runs as {uid}",
                     fix.replace("install -d -m 0750", "chown").replace(f"-o {uid} -g {uid}", f"{uid}:{uid}"))
    return Check("scan work directory", True, str(path))


def run_checks(workdir: Path, scan_directory: Path = DEFAULT_SCAN_DIRECTORY) -> list[Check]:
    return [*check_docker(), check_overcommit(), check_memory(), check_disk(workdir),
            check_port(80), check_port(443), check_scan_directory(scan_directory)]


def report_checks(checks: list[Check], out: Callable[[str], None]) -> bool:
    out("Host prerequisites:")
    for check in checks:
        status = "ok  " if check.ok else ("FAIL" if check.required else "warn")
        out(f"  [{status}] {check.name}: {check.detail}")
        if not check.ok and check.fix:
            out(f"         fix: {check.fix}")
    return all(check.ok for check in checks if check.required)


# ---------------------------------------------------------------- configuration

def fernet_key() -> str:
    """A Fernet key: 32 random bytes, url-safe base64 (what cryptography's Fernet.generate_key returns)."""
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def password() -> str:
    # URL-safe characters only: the passwords go into MONGODB_URI and REDIS_URL unescaped.
    return secrets.token_urlsafe(32)


def read_env(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    if not path.exists():
        return values
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.split("=", 1)
        values[key.strip()] = value.strip().strip("'\"")
    return values


@dataclass
class Answers:
    domain: str
    admin_email: str
    retention_days: int = 180
    scanner_mode: str = "docker"
    letsencrypt: bool = True
    letsencrypt_staging: bool = False
    alert_email: str | None = None
    smtp_smarthost: str = "localhost:587"
    worker_concurrency: int = 2


def validate(answers: Answers) -> Answers:
    if not DOMAIN_PATTERN.match(answers.domain):
        raise WizardError(f"domain {answers.domain!r}: expected a host name such as cspm.example.com")
    if not EMAIL_PATTERN.match(answers.admin_email):
        raise WizardError(f"admin e-mail {answers.admin_email!r}: expected an address such as ops@example.com")
    if answers.alert_email is not None and not EMAIL_PATTERN.match(answers.alert_email):
        raise WizardError(f"alert e-mail {answers.alert_email!r}: expected an address such as ops@example.com")
    if not 1 <= answers.retention_days <= 3650:
        raise WizardError(f"retention {answers.retention_days}: expected a number of days from 1 to 3650")
    if answers.scanner_mode not in SCANNER_MODES:
        raise WizardError(f"scanner mode {answers.scanner_mode!r}: expected one of {', '.join(SCANNER_MODES)}")
    if not SMARTHOST_PATTERN.match(answers.smtp_smarthost):
        raise WizardError(f"SMTP relay {answers.smtp_smarthost!r}: expected host:port, e.g. smtp.example.com:587")
    if not 1 <= answers.worker_concurrency <= 64:
        raise WizardError(f"worker concurrency {answers.worker_concurrency}: expected 1 to 64")
    return answers


def docker_group_id(socket_path: Path = Path("/var/run/docker.sock")) -> str:
    try:
        return str(socket_path.stat().st_gid)
    except OSError:
        return "999"


def build_env(answers: Answers, existing: dict[str, str], rotate: bool = False) -> dict[str, str]:
    def secret(key: str, make: Callable[[], str]) -> str:
        return existing[key] if existing.get(key) and not rotate else make()

    mongo_app_password = secret("MONGO_APP_PASSWORD", password)
    redis_password = secret("REDIS_PASSWORD", password)
    alert_email = answers.alert_email or answers.admin_email
    return {
        "ENVIRONMENT": "production",
        "DOMAIN": answers.domain,
        "ADMIN_EMAIL": answers.admin_email,
        "CERTBOT_ENABLED": "true" if answers.letsencrypt else "false",
        "CERTBOT_STAGING": "true" if answers.letsencrypt_staging else "false",
        "CORS_ORIGINS": f"https://{answers.domain}",
        "TRUSTED_PROXY_TLS": "true",
        "MONGO_ROOT_USERNAME": "root",
        "MONGO_ROOT_PASSWORD": secret("MONGO_ROOT_PASSWORD", password),
        "MONGO_APP_USERNAME": "cspm",
        "MONGO_APP_PASSWORD": mongo_app_password,
        "MONGO_EXPORTER_USERNAME": "exporter",
        "MONGO_EXPORTER_PASSWORD": secret("MONGO_EXPORTER_PASSWORD", password),
        "MONGODB_URI": f"mongodb://cspm:{mongo_app_password}@cspm-mongo:27017/?authSource=admin",
        "REDIS_PASSWORD": redis_password,
        "REDIS_URL": f"redis://:{redis_password}@cspm-redis:6379/0",
        "JWT_SECRET": secret("JWT_SECRET", lambda: secrets.token_urlsafe(64)),
        "FERNET_KEYS": secret("FERNET_KEYS", fernet_key),
        "RETENTION_DAYS": str(answers.retention_days),
        "SCANNER_EXECUTOR": answers.scanner_mode,
        "SCANNER_WORK_DIR": existing.get("SCANNER_WORK_DIR", str(DEFAULT_SCAN_DIRECTORY)),
        "WORKER_CONCURRENCY": str(answers.worker_concurrency),
        "DOCKER_GID": docker_group_id(),
        "LOG_LEVEL": "INFO",
        "LOG_JSON": "true",
        "METRICS_ALLOW_CIDRS": "127.0.0.1/32",
        "GRAFANA_ADMIN_PASSWORD": secret("GRAFANA_ADMIN_PASSWORD", password),
        "ALERT_EMAIL_TO": alert_email,
        "ALERT_EMAIL_FROM": f"alertmanager@{answers.domain}",
        "ALERT_SMTP_SMARTHOST": answers.smtp_smarthost,
        "ALERT_SMTP_USERNAME": existing.get("ALERT_SMTP_USERNAME", ""),
        "ALERT_SMTP_PASSWORD": existing.get("ALERT_SMTP_PASSWORD", ""),
    }


SECTIONS = (
    ("Platform", ("ENVIRONMENT", "DOMAIN", "ADMIN_EMAIL", "CORS_ORIGINS", "TRUSTED_PROXY_TLS", "RETENTION_DAYS",
                  "SCANNER_EXECUTOR", "SCANNER_WORK_DIR", "WORKER_CONCURRENCY", "DOCKER_GID", "LOG_LEVEL", "LOG_JSON")),
    ("TLS (cspm-certbot, nginx)", ("CERTBOT_ENABLED", "CERTBOT_STAGING", "METRICS_ALLOW_CIDRS")),
    ("Secrets: generated by setup_wizard.py, never commit this file",
     ("JWT_SECRET", "FERNET_KEYS")),
    ("MongoDB (cspm-mongo)", ("MONGO_ROOT_USERNAME", "MONGO_ROOT_PASSWORD", "MONGO_APP_USERNAME",
                              "MONGO_APP_PASSWORD", "MONGO_EXPORTER_USERNAME", "MONGO_EXPORTER_PASSWORD",
                              "MONGODB_URI")),
    ("Redis (cspm-redis)", ("REDIS_PASSWORD", "REDIS_URL")),
    ("Monitoring (docker-compose.monitoring.yml)", ("GRAFANA_ADMIN_PASSWORD", "ALERT_EMAIL_TO", "ALERT_EMAIL_FROM",
                                                   "ALERT_SMTP_SMARTHOST", "ALERT_SMTP_USERNAME",
                                                   "ALERT_SMTP_PASSWORD")),
)


def render_env(values: dict[str, str], extra: dict[str, str]) -> str:
    lines = ["# OffloadSecurity CSPM production settings, written by setup_wizard.py.",
             "# Read by docker compose (-f docker-compose.prod.yml / docker-compose.monitoring.yml)",
             "# and by the application (cspm.core.settings). Keep it mode 600.", ""]
    listed: set[str] = set()
    for title, keys in SECTIONS:
        lines.append(f"# {title}")
        for key in keys:
            lines.append(f"{key}={values[key]}")
            listed.add(key)
        lines.append("")
    unlisted = sorted(set(values) - listed)
    if unlisted:
        raise AssertionError(f"variables missing from SECTIONS: {unlisted}")
    if extra:
        lines.append("# Kept from the previous .env")
        lines += [f"{key}={value}" for key, value in sorted(extra.items())]
        lines.append("")
    for key, value in {**values, **extra}.items():
        if "\n" in value or "\r" in value:
            raise WizardError(f"{key}: values cannot contain line breaks")
    return "\n".join(lines)


def write_env(path: Path, content: str) -> None:
    """Atomic write, created with mode 600 (never readable by others, not even for an instant)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w") as handle:
            handle.write(content)
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


# ---------------------------------------------------------------- interaction

class Prompter:
    def __init__(self, read: Callable[[str], str] = input, out: Callable[[str], None] = print) -> None:
        self.read = read
        self.out = out

    def ask(self, question: str, default: str | None = None,
            check: Callable[[str], str | None] | None = None) -> str:
        suffix = f" [{default}]" if default else ""
        for _ in range(5):
            try:
                answer = self.read(f"{question}{suffix}: ").strip()
            except EOFError:
                raise WizardError(f"input ended before an answer to: {question}") from None
            answer = answer or (default or "")
            problem = "an answer is required" if not answer else (check(answer) if check else None)
            if problem is None:
                return answer
            self.out(f"  {problem}")
        raise WizardError(f"no valid answer to: {question}")

    def yes(self, question: str, default: bool = True) -> bool:
        def check(answer: str) -> str | None:
            return None if answer.lower() in ("y", "yes", "n", "no") else "answer y or n"
        return self.ask(question, "y" if default else "n", check).lower() in ("y", "yes")


def _pattern_check(pattern: re.Pattern[str], example: str) -> Callable[[str], str | None]:
    return lambda value: None if pattern.match(value) else f"expected something like {example}"


def _int_check(low: int, high: int) -> Callable[[str], str | None]:
    def check(value: str) -> str | None:
        return None if value.isdigit() and low <= int(value) <= high else f"expected a number from {low} to {high}"
    return check


def interview(prompter: Prompter, existing: dict[str, str]) -> Answers:
    domain = prompter.ask("Domain name users will open (DNS must point at this host)",
                          existing.get("DOMAIN"), _pattern_check(DOMAIN_PATTERN, "cspm.example.com"))
    admin_email = prompter.ask("Administrator e-mail (Let's Encrypt contact, alert recipient)",
                               existing.get("ADMIN_EMAIL"), _pattern_check(EMAIL_PATTERN, "ops@example.com"))
    letsencrypt = prompter.yes("Obtain a Let's Encrypt certificate (needs port 80 reachable from the internet)?",
                               existing.get("CERTBOT_ENABLED", "true") == "true")
    retention = prompter.ask("Keep scan results and findings history for how many days",
                             existing.get("RETENTION_DAYS", "180"), _int_check(1, 3650))
    scanner_mode = prompter.ask("Scanner mode: docker (scanners in sibling containers) or local (binaries in the "
                                "worker image)", existing.get("SCANNER_EXECUTOR", "docker"),
                                lambda value: None if value in SCANNER_MODES else "answer docker or local")
    alert_email = prompter.ask("E-mail address for monitoring alerts", existing.get("ALERT_EMAIL_TO", admin_email),
                               _pattern_check(EMAIL_PATTERN, "ops@example.com"))
    smarthost = prompter.ask("SMTP relay for alerts (host:port)", existing.get("ALERT_SMTP_SMARTHOST",
                                                                                "localhost:587"),
                             _pattern_check(SMARTHOST_PATTERN, "smtp.example.com:587"))
    return Answers(domain=domain, admin_email=admin_email, retention_days=int(retention), scanner_mode=scanner_mode,
                   letsencrypt=letsencrypt, alert_email=alert_email, smtp_smarthost=smarthost)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Configure a production OffloadSecurity CSPM host (.env).")
    parser.add_argument("--non-interactive", action="store_true", help="take every answer from the options")
    parser.add_argument("--domain", help="public host name, e.g. cspm.example.com")
    parser.add_argument("--admin-email", help="Let's Encrypt contact and alert recipient")
    parser.add_argument("--retention-days", type=int, default=None, help="1-3650 (default 180)")
    parser.add_argument("--scanner-mode", choices=SCANNER_MODES, default=None, help="default docker")
    parser.add_argument("--alert-email", help="alert recipient (default: the admin e-mail)")
    parser.add_argument("--smtp-smarthost", default=None, help="SMTP relay for alerts, host:port")
    parser.add_argument("--worker-concurrency", type=int, default=None, help="Celery processes per worker")
    parser.add_argument("--no-letsencrypt", action="store_true", help="keep the self-signed certificate")
    parser.add_argument("--letsencrypt-staging", action="store_true", help="use Let's Encrypt's staging CA")
    parser.add_argument("--output", type=Path, default=Path(".env"), help="file to write (default ./.env)")
    parser.add_argument("--rotate-secrets", action="store_true",
                        help="generate new secrets even if .env has some (breaks existing MongoDB/Redis data "
                             "and sessions: only before the first start)")
    parser.add_argument("--check-only", action="store_true", help="only check the host prerequisites")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a required prerequisite fails")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None, read: Callable[[str], str] = input) -> int:
    args = parse_args(argv)
    out = print
    scan_directory = Path(read_env(args.output).get("SCANNER_WORK_DIR", DEFAULT_SCAN_DIRECTORY))
    checks_ok = report_checks(run_checks(Path.cwd(), scan_directory), out)
    if args.check_only:
        return 0 if checks_ok else 1
    out("")
    existing = read_env(args.output)
    try:
        if args.non_interactive:
            if not args.domain or not args.admin_email:
                raise WizardError("--non-interactive needs --domain and --admin-email")
            answers = Answers(
                domain=args.domain, admin_email=args.admin_email,
                retention_days=args.retention_days or int(existing.get("RETENTION_DAYS", 180)),
                scanner_mode=args.scanner_mode or existing.get("SCANNER_EXECUTOR", "docker"),
                letsencrypt=not args.no_letsencrypt, letsencrypt_staging=args.letsencrypt_staging,
                alert_email=args.alert_email,
                smtp_smarthost=args.smtp_smarthost or existing.get("ALERT_SMTP_SMARTHOST", "localhost:587"),
                worker_concurrency=args.worker_concurrency or int(existing.get("WORKER_CONCURRENCY", 2)),
            )
        else:
            out("OffloadSecurity CSPM production setup. Press Enter to accept the [default].")
            answers = interview(Prompter(read, out), existing)
            answers.letsencrypt_staging = args.letsencrypt_staging
        values = build_env(validate(answers), existing, rotate=args.rotate_secrets)
        extra = {key: value for key, value in existing.items() if key not in values}
        write_env(args.output, render_env(values, extra))
    except WizardError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    kept = [key for key in SECRET_KEYS if existing.get(key) and not args.rotate_secrets]
    out(f"Wrote {args.output} (mode 600)" + (f"; kept existing secrets: {', '.join(kept)}" if kept else
                                               "; secrets generated"))
    out("Next: docker compose -f docker-compose.prod.yml up -d, then open "
        f"https://{answers.domain}/ and register the first user (it becomes the platform admin).")
    if not checks_ok:
        out("Some prerequisites failed (see above): fix them before starting the platform.")
        return 1 if args.strict else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
