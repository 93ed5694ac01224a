"""Cloud asset inventory benchmark: discovering N moto resources, with bounded memory and batched writes.

    cd backend && PYTHONPATH=$PWD ../.venv/bin/python -m benchmarks.inventory                # 10,000 resources
    cd backend && PYTHONPATH=$PWD ../.venv/bin/python -m benchmarks.inventory --resources 2000
    MONGODB_URI=mongodb://... ../.venv/bin/python -m benchmarks.inventory

A moto server on 127.0.0.1:18330 (in this process) is filled with boto3: IAM users, S3 buckets
and security groups in equal parts (set-up, timed apart). Against the embedded SecantusDB (in a
temporary directory) or MONGODB_URI, ``InventoryService.discover`` then runs three times: the
first discovery (every resource added), a second with nothing changed (the comparison alone),
and a third after 1% of the security groups changed and 1% of the buckets were deleted (the
diff). Each prints its time, resources/s, the peak of Python memory allocated during the run
(tracemalloc: the moto server shares this process, so its responses count too) against the
batch size, and the database commands issued (PyMongo command monitoring): writes go out in
batches of INVENTORY_WRITE_BATCH_SIZE, so their number grows with N / batch, not with N.
Figures are printed beside the previous run's (benchmarks/results/).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import time
import tracemalloc
from pathlib import Path
from typing import Any

import boto3
from cryptography.fernet import Fernet
from moto.server import ThreadedMotoServer
from pydantic import SecretStr
from pymongo import monitoring

from benchmarks.history import History
from benchmarks.ingest import CommandCounter
from benchmarks.store import benchmark_database, store_label
from cspm.cloud_accounts.models import AwsAccountCreate
from cspm.cloud_accounts.service import CloudAccountService
from cspm.cloud_accounts.settings import CloudAccountSettings
from cspm.core.container import ServiceContainer
from cspm.core.kv import MemoryStore
from cspm.core.settings import CoreSettings
from cspm.inventory.service import InventoryService
from cspm.inventory.settings import InventorySettings

TEAM = "bench-team"
MOTO_PORT = 18330
KEY = ("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMIK7MDENGbPxRfiCYzEXAMPLEKEY1")
WRITES = ("insert", "update", "delete")


def client(endpoint: str, service: str) -> Any:
    return boto3.client(service, endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=KEY[0],
                        aws_secret_access_key=KEY[1])


def fill(endpoint: str, count: int) -> tuple[list[str], list[str]]:
    """count resources in thirds: IAM users, S3 buckets, security groups; returns (buckets, groups)."""
    iam, s3, ec2 = client(endpoint, "iam"), client(endpoint, "s3"), client(endpoint, "ec2")
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    third = count // 3
    buckets = [f"bench-bucket-{number}" for number in range(third)]
    # One call at a time: moto's backends are not safe for concurrent writes (seen: "dictionary changed size").
    for number in range(count - 2 * third):
        iam.create_user(UserName=f"bench-user-{number}")
    for name in buckets:
        s3.create_bucket(Bucket=name)
    groups = [ec2.create_security_group(GroupName=f"bench-sg-{number}", Description="bench", VpcId=vpc)["GroupId"]
              for number in range(third)]
    return buckets, groups


async def run(uri: str, data_dir: Path, resources: int, batch: int, history: History) -> None:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's server logs every request
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=MOTO_PORT, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{MOTO_PORT}"
    try:
        started = time.perf_counter()
        buckets, groups = await asyncio.to_thread(fill, endpoint, resources)
        print(f"set-up: {resources:,} moto resources created in {time.perf_counter() - started:.1f} s")
        counter = CommandCounter()
        monitoring.register(counter)
        settings = CoreSettings.model_construct(environment="test", mongodb_uri=SecretStr(uri), data_dir=data_dir,
                                                celery_always_in_process=True, mongodb_uri_is_embedded=True,
                                                fernet_keys=[SecretStr(Fernet.generate_key().decode())])
        container = ServiceContainer(settings)
        await container.start(kv=MemoryStore())
        container.override(CloudAccountSettings, CloudAccountSettings(aws_endpoint_url=endpoint))
        container.override(InventorySettings, InventorySettings(write_batch_size=batch))
        container.override(CloudAccountService, CloudAccountService.build(container))
        inventory = InventoryService.build(container)
        account = await container.resolve(CloudAccountService).create(
            team_id=TEAM, user_id="bench", request=AwsAccountCreate(
                name="bench", account_id="123456789012", auth_method="access_keys", access_key_id=KEY[0],
                secret_access_key=KEY[1], regions=["us-east-1"]))
        ec2, s3 = client(endpoint, "ec2"), client(endpoint, "s3")
        changed = max(1, len(groups) // 100)

        def change() -> None:
            for group in groups[:changed]:
                ec2.authorize_security_group_ingress(GroupId=group, IpProtocol="tcp", FromPort=443, ToPort=443,
                                                     CidrIp="0.0.0.0/0")
            for bucket in buckets[:changed]:
                s3.delete_bucket(Bucket=bucket)

        tracemalloc.start()
        for label, before in (("first discovery", None), ("nothing changed", None), ("1% changed", change)):
            if before:
                await asyncio.to_thread(before)
            counter.commands.clear()
            tracemalloc.reset_peak()
            started = time.perf_counter()
            result = await inventory.discover(team_id=TEAM, account_id=account.id, actor="bench")
            seconds = time.perf_counter() - started
            peak = tracemalloc.get_traced_memory()[1] / 2**20
            row = f"{label} {resources}"
            writes = sum(count for name, count in counter.commands.items() if name in WRITES)
            counts = result["counts"]
            rate = counts["total"] / seconds
            print(f"{label:>18}: {history.beside(row, 'seconds', seconds)}  {rate:,.0f} resources/s"
                  f"  state {result['state']}  added {counts['added']:,} changed {counts['changed']:,} removed "
                  f"{counts['removed']:,} unchanged {counts['unchanged']:,}\n{'':>20}peak Python memory "
                  f"{history.beside(row, 'peak_mib', peak, 'MiB', 1)} (batch {batch}); write commands {writes} "
                  f"(find {counter.commands['find']}); load {os.getloadavg()[0]:.1f}")
            for error in result["errors"][:3]:  # a partial run: which scopes failed (throttling, time-outs)
                print(f"{'':>20}{error['scope']}: {error['reason'][:160]}")
        tracemalloc.stop()
        await container.stop()
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resources", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=500)
    arguments = parser.parse_args()
    history = History(f"inventory-{store_label()}")
    with benchmark_database("cspm-bench-inventory-") as (uri, directory):
        asyncio.run(run(uri, directory / "data", arguments.resources, arguments.batch, history))
    history.save()


if __name__ == "__main__":
    main()
