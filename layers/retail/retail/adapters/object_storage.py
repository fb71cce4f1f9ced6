"""Tencent COS through its S3-compatible API (boto3), for statements and exports.

boto3 is imported here, on first use: only the functions that export anything pay for it.
Credentials: RETAIL_COS_SECRET_ID/KEY, else the SCF runtime's temporary TENCENTCLOUD_* keys.
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Any

from retail.common.settings import settings


@lru_cache(maxsize=1)
def _client() -> Any:
    import boto3
    from botocore.config import Config

    config = settings()
    endpoint = config.RETAIL_COS_ENDPOINT or f"https://cos.{config.RETAIL_COS_REGION}.myqcloud.com"
    return boto3.client(
        "s3",
        region_name=config.RETAIL_COS_REGION,
        endpoint_url=endpoint,
        aws_access_key_id=config.RETAIL_COS_SECRET_ID or os.environ.get("TENCENTCLOUD_SECRETID"),
        aws_secret_access_key=config.RETAIL_COS_SECRET_KEY
        or os.environ.get("TENCENTCLOUD_SECRETKEY"),
        aws_session_token=None
        if config.RETAIL_COS_SECRET_ID
        else os.environ.get("TENCENTCLOUD_SESSIONTOKEN"),
        config=Config(
            s3={"addressing_style": config.RETAIL_COS_ADDRESSING},
            connect_timeout=5,
            read_timeout=20,
            retries={"max_attempts": 3},
        ),
    )


def put_text(
    key: str, text: str, content_type: str = "text/csv; charset=utf-8", file_name: str = ""
) -> None:
    """Store `text` at `key` (idempotent: the same key and text give the same object); a
    download of it is saved as `file_name` when one is given."""
    extra = {"ContentDisposition": f'attachment; filename="{file_name}"'} if file_name else {}
    _client().put_object(
        Bucket=settings().require("RETAIL_COS_BUCKET"),
        Key=key,
        Body=text.encode("utf-8"),
        ContentType=content_type,
        **extra,
    )


def download_link(key: str, expires_seconds: int = 900) -> str:
    """A presigned GET link operators can open without credentials."""
    return str(
        _client().generate_presigned_url(
            "get_object",
            Params={"Bucket": settings().require("RETAIL_COS_BUCKET"), "Key": key},
            ExpiresIn=expires_seconds,
        )
    )


def forget_client() -> None:
    """Tests and settings changes: build the client again on next use."""
    _client.cache_clear()
