"""AWS discovery with boto3: paginators, every enabled region, adaptive retries when throttled.

Global services (IAM, S3) are listed once; regional ones (EC2 instances, security groups,
VPCs, RDS, Lambda, EKS, ELBv2) per region. A service that fails in a region (access denied,
opt-in region, endpoint down) is recorded as an error of that scope and the others go on.
boto3 is synchronous: the listing runs on a worker thread and hands over one batch at a time,
so a run holds one batch in memory, not the account.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from itertools import islice
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from cspm.core.logging import scrub
from cspm.inventory.models import CollectorReport, DiscoveredResource

Lister = Callable[[Any, str, str], Iterator[DiscoveredResource]]
"""(client, region, account id) → resources"""


def _tags(items: list[dict[str, str]] | None) -> dict[str, str]:
    return {item["Key"]: item.get("Value", "") for item in items or [] if "Key" in item}


def _pages(client: Any, operation: str, key: str, **arguments: Any) -> Iterator[dict[str, Any]]:
    for page in client.get_paginator(operation).paginate(**arguments):
        yield from page.get(key, [])


def ec2_instances(client: Any, region: str, account: str) -> Iterator[DiscoveredResource]:
    for reservation in _pages(client, "describe_instances", "Reservations"):
        for instance in reservation.get("Instances", []):
            tags = _tags(instance.get("Tags"))
            yield DiscoveredResource(
                f"arn:aws:ec2:{region}:{account}:instance/{instance['InstanceId']}", "aws:ec2:instance",
                f"ec2:{region}", tags.get("Name") or instance["InstanceId"], region, {
                    "instance_type": instance.get("InstanceType"), "state": instance.get("State", {}).get("Name"),
                    "image_id": instance.get("ImageId"), "vpc_id": instance.get("VpcId"),
                    "subnet_id": instance.get("SubnetId"), "private_ip": instance.get("PrivateIpAddress"),
                    "public_ip": instance.get("PublicIpAddress"),
                    "security_groups": sorted(group["GroupId"] for group in instance.get("SecurityGroups", []))},
                tags)


def _rule(permission: dict[str, Any]) -> list[str]:
    ports = f"{permission.get('FromPort', 'all')}-{permission.get('ToPort', 'all')}"
    protocol = permission.get("IpProtocol", "-1")
    sources = [item["CidrIp"] for item in permission.get("IpRanges", [])]
    sources += [item["CidrIpv6"] for item in permission.get("Ipv6Ranges", [])]
    sources += [item["GroupId"] for item in permission.get("UserIdGroupPairs", []) if "GroupId" in item]
    return [f"{protocol}:{ports}:{source}" for source in sources] or [f"{protocol}:{ports}:-"]


def security_groups(client: Any, region: str, account: str) -> Iterator[DiscoveredResource]:
    for group in _pages(client, "describe_security_groups", "SecurityGroups"):
        yield DiscoveredResource(
            f"arn:aws:ec2:{region}:{account}:security-group/{group['GroupId']}", "aws:ec2:security-group",
            f"ec2:{region}", group.get("GroupName"), region, {
                "vpc_id": group.get("VpcId"), "description": group.get("Description"),
                "ingress": sorted(rule for permission in group.get("IpPermissions", []) for rule in _rule(permission)),
                "egress": sorted(rule for permission in group.get("IpPermissionsEgress", [])
                                 for rule in _rule(permission))},
            _tags(group.get("Tags")))


def vpcs(client: Any, region: str, account: str) -> Iterator[DiscoveredResource]:
    for vpc in _pages(client, "describe_vpcs", "Vpcs"):
        tags = _tags(vpc.get("Tags"))
        yield DiscoveredResource(
            f"arn:aws:ec2:{region}:{account}:vpc/{vpc['VpcId']}", "aws:ec2:vpc", f"ec2:{region}",
            tags.get("Name") or vpc["VpcId"], region,
            {"cidr_block": vpc.get("CidrBlock"), "is_default": vpc.get("IsDefault"), "state": vpc.get("State")}, tags)


def rds_instances(client: Any, region: str, account: str) -> Iterator[DiscoveredResource]:
    for database in _pages(client, "describe_db_instances", "DBInstances"):
        yield DiscoveredResource(
            database["DBInstanceArn"], "aws:rds:db-instance", f"rds:{region}", database["DBInstanceIdentifier"],
            region, {"engine": database.get("Engine"), "engine_version": database.get("EngineVersion"),
                     "instance_class": database.get("DBInstanceClass"),
                     "publicly_accessible": database.get("PubliclyAccessible"),
                     "storage_encrypted": database.get("StorageEncrypted"),
                     "status": database.get("DBInstanceStatus")},
            _tags(database.get("TagList")))


def lambda_functions(client: Any, region: str, account: str) -> Iterator[DiscoveredResource]:
    for function in _pages(client, "list_functions", "Functions"):
        yield DiscoveredResource(
            function["FunctionArn"], "aws:lambda:function", f"lambda:{region}", function["FunctionName"], region,
            {"runtime": function.get("Runtime"), "handler": function.get("Handler"),
             "memory_size": function.get("MemorySize"), "timeout": function.get("Timeout"),
             "role": function.get("Role"), "code_sha256": function.get("CodeSha256")})


def eks_clusters(client: Any, region: str, account: str) -> Iterator[DiscoveredResource]:
    for listed in _pages(client, "list_clusters", "clusters"):
        name = str(listed)  # list_clusters lists names, not objects
        cluster = client.describe_cluster(name=name)["cluster"]
        access = cluster.get("resourcesVpcConfig", {})
        yield DiscoveredResource(
            cluster["arn"], "aws:eks:cluster", f"eks:{region}", name, region,
            {"version": cluster.get("version"), "status": cluster.get("status"),
             "endpoint_public_access": access.get("endpointPublicAccess"),
             "public_access_cidrs": sorted(access.get("publicAccessCidrs", []))},
            dict(cluster.get("tags") or {}))


def load_balancers(client: Any, region: str, account: str) -> Iterator[DiscoveredResource]:
    for balancer in _pages(client, "describe_load_balancers", "LoadBalancers"):
        yield DiscoveredResource(
            balancer["LoadBalancerArn"], "aws:elbv2:load-balancer", f"elbv2:{region}", balancer["LoadBalancerName"],
            region, {"type": balancer.get("Type"), "scheme": balancer.get("Scheme"),
                     "dns_name": balancer.get("DNSName"), "vpc_id": balancer.get("VpcId"),
                     "state": balancer.get("State", {}).get("Code")})


def s3_buckets(client: Any, region: str, account: str) -> Iterator[DiscoveredResource]:
    for bucket in _pages(client, "list_buckets", "Buckets"):
        yield DiscoveredResource(f"arn:aws:s3:::{bucket['Name']}", "aws:s3:bucket", "s3:global", bucket["Name"],
                                 bucket.get("BucketRegion"), {"created": str(bucket.get("CreationDate", ""))})


def iam_entities(client: Any, region: str, account: str) -> Iterator[DiscoveredResource]:
    for user in _pages(client, "list_users", "Users"):
        yield DiscoveredResource(user["Arn"], "aws:iam:user", "iam:global", user["UserName"], None,
                                 {"path": user.get("Path"), "user_id": user.get("UserId")})
    for role in _pages(client, "list_roles", "Roles"):
        yield DiscoveredResource(role["Arn"], "aws:iam:role", "iam:global", role["RoleName"], None,
                                 {"path": role.get("Path"), "max_session_duration": role.get("MaxSessionDuration")})
    for policy in _pages(client, "list_policies", "Policies", Scope="Local"):
        yield DiscoveredResource(policy["Arn"], "aws:iam:policy", "iam:global", policy["PolicyName"], None,
                                 {"path": policy.get("Path"), "default_version": policy.get("DefaultVersionId"),
                                  "attachment_count": policy.get("AttachmentCount")})


# (service client, scope prefix, listers): scopes are "<prefix>:<region>", or "<prefix>:global".
REGIONAL: tuple[tuple[str, str, tuple[Lister, ...]], ...] = (
    ("ec2", "ec2", (ec2_instances, security_groups, vpcs)),
    ("rds", "rds", (rds_instances,)),
    ("lambda", "lambda", (lambda_functions,)),
    ("eks", "eks", (eks_clusters,)),
    ("elbv2", "elbv2", (load_balancers,)),
)
GLOBAL: tuple[tuple[str, str, tuple[Lister, ...]], ...] = (
    ("iam", "iam", (iam_entities,)),
    ("s3", "s3", (s3_buckets,)),
)


def describe_error(exc: Exception) -> str:
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return scrub(f"AWS refused {exc.operation_name}: {error.get('Code', 'Unknown')}: {error.get('Message', '')}")
    return scrub(f"AWS SDK error: {type(exc).__name__}: {exc}")


class AwsCollector:
    """Lists one AWS account; ``credentials`` are boto3 client keyword arguments (keys or an assumed role)."""

    source = "aws-sdk"

    def __init__(self, account: str, credentials: dict[str, Any], regions: list[str], *, endpoint_url: str | None,
                 max_attempts: int, timeout: float, batch_size: int) -> None:
        self.account = account
        self.credentials = credentials
        self.regions = regions
        self.endpoint_url = endpoint_url
        self.config = Config(retries={"mode": "adaptive", "max_attempts": max_attempts},
                             connect_timeout=timeout, read_timeout=timeout)
        self.batch_size = batch_size

    def client(self, service: str, region: str) -> Any:
        return boto3.client(service, region_name=region, endpoint_url=self.endpoint_url, config=self.config,
                            **self.credentials)

    def enabled_regions(self) -> list[str]:
        if self.regions:
            return self.regions
        answer = self.client("ec2", "us-east-1").describe_regions(AllRegions=False)
        return sorted(region["RegionName"] for region in answer["Regions"])

    def _listing(self, report: CollectorReport) -> Iterator[DiscoveredResource]:
        plan = [(service, f"{prefix}:global", "us-east-1", listers) for service, prefix, listers in GLOBAL]
        try:
            regions = self.enabled_regions()
        except (BotoCoreError, ClientError) as exc:
            report.fail("ec2:regions", describe_error(exc))
            regions = []
        plan += [(service, f"{prefix}:{region}", region, listers) for region in regions
                 for service, prefix, listers in REGIONAL]
        for service, scope, region, listers in plan:
            try:
                client = self.client(service, region)
                for lister in listers:
                    yield from lister(client, region, self.account)
            except (BotoCoreError, ClientError) as exc:
                report.fail(scope, describe_error(exc))
            else:
                report.complete_scopes.add(scope)

    async def resources(self, report: CollectorReport) -> AsyncIterator[list[DiscoveredResource]]:
        listing = self._listing(report)
        while batch := await asyncio.to_thread(lambda: list(islice(listing, self.batch_size))):
            yield batch
