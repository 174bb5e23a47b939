"""A real S3 API server on loopback for the object-storage tests: moto's, in a child process on port 0."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

# Run in the child: moto's threaded server on 127.0.0.1, port 0; prints the port it bound, then serves
# until the parent closes its stdin.
_SERVE = """
import logging
import sys
logging.getLogger("werkzeug").setLevel(logging.ERROR)  # not a line per request on the test's stderr
from moto.server import ThreadedMotoServer
server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
server.start()
print(server.get_host_and_port()[1], flush=True)
sys.stdin.read()
server.stop()
"""

ACCESS_KEY = "glm3-test-key"
SECRET_KEY = "glm3-test-secret"
REGION = "us-east-1"


@dataclass
class S3Server:
    port: int
    bucket: str

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def uri(self, path: str) -> str:
        return f"s3://{self.bucket}/{path}"

    def storage_options(self) -> dict[str, str]:
        """What LanceDB needs to reach this server (storage.options of the servers)."""
        return {
            "aws_endpoint": self.endpoint,
            "aws_access_key_id": ACCESS_KEY,
            "aws_secret_access_key": SECRET_KEY,
            "aws_region": REGION,
            "allow_http": "true",
        }

    def create_bucket(self, name: str) -> None:
        import boto3

        boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            region_name=REGION,
        ).create_bucket(Bucket=name)


@pytest.fixture
def s3_server() -> Iterator[S3Server]:
    child = subprocess.Popen(
        [sys.executable, "-c", _SERVE],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY},
    )
    try:
        assert child.stdout is not None
        line = child.stdout.readline()
        if not line.strip().isdigit():
            raise RuntimeError(f"the S3 server did not start: {line!r}")
        server = S3Server(int(line), f"glm3-{uuid.uuid4().hex[:12]}")
        server.create_bucket(server.bucket)
        yield server
    finally:
        if child.stdin is not None:
            child.stdin.close()
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
