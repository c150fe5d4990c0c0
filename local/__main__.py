"""`make run`: the whole system on this machine: the API, the organisation sync of local/org-data/ at start,
and the reminder job on a timer printing what the outbox receives.

DynamoDB is moto's server mode on a free port, unless AWS_ENDPOINT_URL_DYNAMODB points at a real
DynamoDB or DynamoDB Local (then the table is created only if missing).
"""

from __future__ import annotations

import argparse
import logging
import os
import socket
import sys
import threading
from contextlib import closing

REMINDER_INTERVAL_SECONDS = int(os.environ.get("REMINDER_INTERVAL_SECONDS", "60"))


def _free_port() -> int:
    with closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _configure_environment() -> None:
    for name, value in {
        "AWS_DEFAULT_REGION": "eu-central-1",
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "KOMMUNAL_PRO_ENV": "local",
        "TABLE_NAME": "kommunal-pro-local-data",
        "POWERTOOLS_METRICS_DISABLED": "true",
        "POWERTOOLS_SERVICE_NAME": "kommunal-pro-local",
        "LOG_LEVEL": "WARNING",
    }.items():
        os.environ.setdefault(name, value)


def main() -> None:
    parser = argparse.ArgumentParser(description="Run Kommunal PRO locally.")
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "3000")))
    args = parser.parse_args()
    _configure_environment()

    # moto in server mode plays every AWS service locally (KMS, Secrets Manager, ...); DynamoDB too unless
    # AWS_ENDPOINT_URL_DYNAMODB points at a real DynamoDB or DynamoDB Local.
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's per-request access log
    moto_port = _free_port()
    moto_server = ThreadedMotoServer(ip_address="127.0.0.1", port=moto_port, verbose=False)
    moto_server.start()
    moto_endpoint = os.environ["AWS_ENDPOINT_URL"] = f"http://127.0.0.1:{moto_port}"

    # Imported only now, so boto3 and the handlers see the environment set above.
    from kommunal_pro.auth import Role
    from kommunal_pro.config import get_settings
    from kommunal_pro.storage.table import data_table
    from local import jobs, tokens
    from local.orgsync import summary, sync_folder
    from local.provision import provision
    from local.seed import DEMO_CITIZENS, DEMO_MUNICIPALITY, DEMO_UNIT, seed_demo_data
    from local.server import LocalApi, make_server

    settings = get_settings()
    created = provision(settings, cpr_hash_key=tokens.local_secret("cpr-hash-key"))
    seeded = seed_demo_data(data_table())
    organisation = summary(sync_folder())
    api = LocalApi()
    server = make_server(api, args.host, args.port)
    base = f"http://{args.host}:{server.server_port}"

    print(f"Kommunal PRO kører lokalt / running locally on {base}")
    print(f"  API docs:     {base}/docs   (OpenAPI: {base}/openapi.json)")
    print(
        f"  DynamoDB:     {os.environ.get('AWS_ENDPOINT_URL_DYNAMODB', moto_endpoint)} table {settings.table_name}"
        f" ({'created' if created else 'existing'}; seeded {seeded})"
    )
    print(f"  Org sync:     local/org-data/ → {organisation}")
    print(f"  Reminders:    the job runs every {REMINDER_INTERVAL_SECONDS} s; the outbox prints below")
    print("  Dev tokens (8 hours; `make token ROLE=... MUNICIPALITY=...` mints more):")
    demo_tokens = {
        Role.NATIONAL_ADMIN: tokens.dev_claims(Role.NATIONAL_ADMIN, None),
        Role.ADMIN: tokens.dev_claims(Role.ADMIN, DEMO_MUNICIPALITY),
        Role.EMPLOYEE: tokens.dev_claims(Role.EMPLOYEE, DEMO_MUNICIPALITY, units=[DEMO_UNIT]),
        Role.CITIZEN: tokens.citizen_claims(DEMO_CITIZENS[0][0], DEMO_CITIZENS[0][1]),
    }
    for role, claims in demo_tokens.items():
        print(f"    {role:<15} {tokens.mint(claims)}")
    print(f"  Try: curl -H 'Authorization: Bearer <token>' {base}/v1/municipalities/{DEMO_MUNICIPALITY}")
    print("Ctrl-C stops.", flush=True)
    stop_jobs = threading.Event()
    threading.Thread(
        target=jobs.run_forever, args=(stop_jobs, REMINDER_INTERVAL_SECONDS), name="reminders", daemon=True
    ).start()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        stop_jobs.set()
        server.server_close()
        moto_server.stop()
        print("Stopped.", flush=True)
    sys.exit(0)


if __name__ == "__main__":
    main()
