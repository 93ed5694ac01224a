"""Steampipe JSON output for tests (the shape of ``steampipe query --output json``, 0.21+)."""

from __future__ import annotations

import json


def bucket_rows(*names: str, versioning: bool = False) -> bytes:
    return json.dumps({"columns": [{"name": "arn", "data_type": "text"}], "rows": [
        {"arn": f"arn:aws:s3:::{name}", "name": name, "region": "eu-west-1", "versioning_enabled": versioning,
         "tags": {"owner": "platform"}, "_ctx": {"connection_name": "aws"}} for name in names]}).encode()
