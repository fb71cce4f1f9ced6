"""The dev environment's object storage: moto's S3 server on loopback, standing in for COS.

Without it `make dev` had no object storage, so every statement's `download` was null. The
dev gateway (scripts/dev_server.py) starts it in its own process, before its workers fork,
when RETAIL_ENV=dev and no RETAIL_COS_BUCKET is configured (a configured bucket, real COS,
is used as is). It listens on 127.0.0.1 only, on a free port, and keeps objects in memory:
when it starts it puts back the CSV of every statement already exported, so the links work
after a restart and after the demo scenario (which settles before the gateway starts and
runs its own). It dies with the process that started it.
"""

from __future__ import annotations

import logging
import os

from retail.adapters import object_storage
from retail.common.database import database
from retail.common.settings import reset_settings, settings
from retail.settlement.lines import statement_rows
from retail.settlement.statements import statement_csv, statement_file_name

BUCKET = "dev-statements"
DEV_KEY = "dev-storage"


def start_dev_storage() -> str | None:
    """Start the server and point the RETAIL_COS_* settings at it (inherited by forked
    workers); its endpoint, or None when not in dev or a bucket is configured."""
    if not settings().is_dev or settings().RETAIL_COS_BUCKET:
        return None
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per presigned GET
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    os.environ.update(
        RETAIL_COS_BUCKET=BUCKET,
        RETAIL_COS_ENDPOINT=endpoint,
        RETAIL_COS_ADDRESSING="path",
        RETAIL_COS_SECRET_ID=DEV_KEY,
        RETAIL_COS_SECRET_KEY=DEV_KEY,
    )
    reset_settings()
    object_storage.forget_client()
    _create_bucket(endpoint)
    restored = _restore_exported_statements()
    object_storage.forget_client()  # each forked worker opens its own connections
    print(f"dev object storage (moto S3) on {endpoint}, {restored} statement CSV(s)", flush=True)
    return endpoint


def _create_bucket(endpoint: str) -> None:
    import boto3

    region = settings().RETAIL_COS_REGION
    client = boto3.client(
        "s3",
        region_name=region,
        endpoint_url=endpoint,
        aws_access_key_id=DEV_KEY,
        aws_secret_access_key=DEV_KEY,
    )
    if region == "us-east-1":  # S3's one region that refuses to be named as a location
        client.create_bucket(Bucket=BUCKET)
    else:
        client.create_bucket(
            Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": region}
        )


def _restore_exported_statements() -> int:
    """Put back every exported statement's CSV (the same text settlement exported)."""
    restored = 0
    for statement in database().statements.find({"csv_key": {"$ne": None}}):
        object_storage.put_text(
            statement["csv_key"],
            statement_csv(statement, statement_rows(database(), statement)),
            file_name=statement_file_name(statement),
        )
        restored += 1
    return restored
