"""The real S3 server that integration tests share (DESIGN decision 10)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.support.s3server import S3Server, start_s3


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    """SeaweedFS started once per session and always stopped; or the server named by
    TDKT_TEST_S3_ENDPOINT (with TDKT_TEST_S3_ACCESS_KEY, TDKT_TEST_S3_SECRET_KEY and optionally
    TDKT_TEST_S3_SECURE=1). A server that cannot start is an error, never a skip."""
    endpoint = os.environ.get("TDKT_TEST_S3_ENDPOINT")
    if endpoint:
        yield S3Server(
            endpoint=endpoint,
            access_key=os.environ["TDKT_TEST_S3_ACCESS_KEY"],
            secret_key=os.environ["TDKT_TEST_S3_SECRET_KEY"],
            process=None,
            secure=os.environ.get("TDKT_TEST_S3_SECURE", "") in ("1", "true", "yes"),
        )
        return
    server = start_s3(tmp_path_factory.mktemp("s3server"))
    try:
        yield server
    finally:
        server.stop()
