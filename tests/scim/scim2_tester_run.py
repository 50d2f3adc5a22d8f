"""Runs scim2-tester's checks against a SCIM server and prints the results as JSON lines.

Usage: python scim2_tester_run.py <base url ending in /scim/v2> <bearer token>
"""

import json
import sys

from httpx2 import Client
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import check_server

base, token = sys.argv[1], sys.argv[2]
client = SyncSCIMClient(
    Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30)
)
for result in check_server(client, resource_types=["User", "Group"]):
    print(
        json.dumps(
            {
                "title": result.title,
                "status": result.status.name,
                "reason": result.reason,
                "resource_type": result.resource_type,
                "tags": sorted(result.tags),
            }
        )
    )
