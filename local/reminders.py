"""`python -m local.reminders --now 2027-01-04T08:00:00+01:00`: run the reminder job once for that moment.

What a direct invoke of the job's function with {"now": ...} does, from a shell: for operations catching up
after an outage. It uses this shell's AWS credentials and the environment's TABLE_NAME and NOTIFICATION_QUEUE_URL.
"""

from __future__ import annotations

import argparse
import sys

from functions.notifications.handler import run


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run the reminder job once for a given moment.")
    parser.add_argument("--now", required=True, help="ISO 8601 with an offset, e.g. 2027-01-04T08:00:00+01:00")
    report = run(parser.parse_args(argv).now)
    print(report.model_dump_json(by_alias=True, indent=2))
    if report.failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
