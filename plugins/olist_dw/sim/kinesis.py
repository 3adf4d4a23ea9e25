"""The AWS stream: Kinesis `PutRecords`, resending only the records that failed (throttling, internal errors)."""

from __future__ import annotations

import time
from collections.abc import Sequence

from olist_dw.errors import UserFacingError

MAX_RECORDS_PER_CALL = 500  # PutRecords limits: 500 records and 5 MiB per call
MAX_BYTES_PER_CALL = 5 * 1024 * 1024


class KinesisPutError(UserFacingError):
    """Some records were still refused after every retry."""

    retryable = True  # Kinesis throttling clears: the task keeps its retries


def _chunks(records: Sequence[tuple[str, bytes]]):
    chunk: list[tuple[str, bytes]] = []
    size = 0
    for key, data in records:
        record_size = len(key.encode()) + len(data)
        if chunk and (len(chunk) >= MAX_RECORDS_PER_CALL or size + record_size > MAX_BYTES_PER_CALL):
            yield chunk
            chunk, size = [], 0
        chunk.append((key, data))
        size += record_size
    if chunk:
        yield chunk


class KinesisStream:
    def __init__(self, stream_name: str, region: str, client=None, max_attempts: int = 6, base_delay_s: float = 0.1):
        import boto3

        self.stream_name = stream_name
        self._client = client or boto3.client("kinesis", region_name=region)
        self.max_attempts = max_attempts
        self.base_delay_s = base_delay_s

    def put_records(self, records: Sequence[tuple[str, bytes]]) -> None:
        for chunk in _chunks(records):
            self._put_chunk(chunk)

    def _put_chunk(self, chunk: list[tuple[str, bytes]]) -> None:
        pending = [{"Data": data, "PartitionKey": key} for key, data in chunk]
        for attempt in range(self.max_attempts):
            response = self._client.put_records(StreamName=self.stream_name, Records=pending)
            if not response.get("FailedRecordCount"):
                return
            # The response lists results in request order: keep only the entries that carry an error.
            pending = [
                entry for entry, result in zip(pending, response["Records"], strict=True) if "ErrorCode" in result
            ]
            time.sleep(self.base_delay_s * 2**attempt)
        codes = sorted({r.get("ErrorCode", "?") for r in response["Records"] if "ErrorCode" in r})
        raise KinesisPutError(
            f"Kinesis stream {self.stream_name}: {len(pending)} record(s) refused after "
            f"{self.max_attempts} attempts ({', '.join(codes)})"
        )
