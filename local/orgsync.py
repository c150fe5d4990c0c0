"""Run the organisation sync once over a folder of files and print its report.

    python -m local.orgsync --folder local/org-data                         # check files: in-memory table
    python -m local.orgsync --folder local/org-data --endpoint http://127.0.0.1:<port>   # into `make run`

`make run` prints the DynamoDB endpoint of the running system. In AWS the sync is functions/orgsync; invoke
it with {"now": "<time>"} to catch up. The exit status is 1 when the run was aborted.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from kommunal_pro.clock import parse_instant

if TYPE_CHECKING:
    from kommunal_pro.orgsync.sync import SyncReport

DEMO_FOLDER = Path(__file__).with_name("org-data")


def sync_folder(folder: Path = DEMO_FOLDER, now: datetime | None = None) -> SyncReport:
    """One sync of `folder` into the environment's table (the local runner's hook). Imports happen only now,
    so that logging and boto3 see the environment the runner or `main` set."""
    from kommunal_pro.orgsync.files import CsvSource, FolderStore
    from kommunal_pro.orgsync.sync import default_sync

    return default_sync().run(CsvSource(FolderStore(folder)), now)


def summary(report: SyncReport) -> str:
    if report.aborted:
        return f"aborted, nothing applied: {report.abort_reason}"
    units, staff = report.units, report.memberships
    return (
        f"units {units.created} new, {units.updated} changed, {units.deactivated} deactivated; "
        f"memberships {staff.created} new, {staff.updated} changed, {staff.removed} removed; "
        f"{sum(f.skipped for f in report.files)} rows skipped"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description="Run the organisation sync over a folder of files.")
    parser.add_argument("--folder", type=Path, default=DEMO_FOLDER)
    parser.add_argument("--endpoint", help="the DynamoDB endpoint `make run` prints; default: an in-memory table")
    parser.add_argument("--now", type=parse_instant, help="judge positions as of this time (ISO 8601 with an offset)")
    args = parser.parse_args()

    from local.__main__ import _configure_environment  # the local runner's environment, shared not copied

    _configure_environment()
    if args.endpoint:
        os.environ["AWS_ENDPOINT_URL"] = args.endpoint
        report = sync_folder(args.folder, args.now)
    else:
        from moto import mock_aws

        from kommunal_pro.config import get_settings
        from local.provision import provision

        with mock_aws():
            provision(get_settings())
            report = sync_folder(args.folder, args.now)
    print(json.dumps(report.model_dump(mode="json", by_alias=True), indent=2, ensure_ascii=False))
    print(summary(report), file=sys.stderr)
    sys.exit(1 if report.aborted else 0)


if __name__ == "__main__":
    main()
