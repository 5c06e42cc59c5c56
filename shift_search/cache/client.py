"""A typed client of the CacheService, used by the planner, the executor and the CLI."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TypeVar

import grpc

from shift_search.cache import convert
from shift_search.cache.records import DatasetRecord, ModelRecord
from shift_search.proto.v1 import cache_pb2, cache_pb2_grpc
from shift_search.runtime import channels
from shift_search.runtime.channels import open_channel

BLOB_PIECE_BYTES = 1024 * 1024
T = TypeVar("T")


def call(address: str, fn: Callable[[], T]) -> T:
    """One RPC to the cache; a cache that cannot be reached is named as such, with its address."""
    return channels.call(address, fn, "cache")


class CacheClient:
    """Speaks to one CacheService address; errors come back as ShiftErrors."""

    def __init__(
        self,
        address: str,
        timeout: float = 30.0,
        *,
        credentials: grpc.ChannelCredentials | None = None,
    ) -> None:
        """`credentials`: mutual TLS to a cache on an internal port (see runtime/tls.py)."""
        self.address = address
        self.timeout = timeout
        self._channel = open_channel(address, credentials)
        self._stub = cache_pb2_grpc.CacheServiceStub(self._channel)

    def close(self) -> None:
        self._channel.close()

    def register_model(self, record: ModelRecord) -> ModelRecord:
        request = cache_pb2.RegisterModelRequest(model=convert.model_to_proto(record))
        reply = call(self.address, lambda: self._stub.RegisterModel(request, timeout=self.timeout))
        return convert.model_from_proto(reply.model)

    def get_model(self, name: str) -> ModelRecord:
        request = cache_pb2.GetModelRequest(name=name)
        reply = call(self.address, lambda: self._stub.GetModel(request, timeout=self.timeout))
        return convert.model_from_proto(reply.model)

    def list_models(
        self,
        modality: str | None = None,
        source: str | None = None,
        finetuned: bool | None = None,
        name_prefix: str | None = None,
    ) -> list[ModelRecord]:
        model_filter = cache_pb2.ModelFilter(
            modality=modality or "", source=source or "", name_prefix=name_prefix or ""
        )
        if finetuned is not None:
            model_filter.finetuned = finetuned
        request = cache_pb2.ListModelsRequest(filter=model_filter)
        reply = call(self.address, lambda: self._stub.ListModels(request, timeout=self.timeout))
        return [convert.model_from_proto(m) for m in reply.models]

    def delete_model(self, name: str) -> bool:
        request = cache_pb2.DeleteModelRequest(name=name)
        return call(
            self.address, lambda: self._stub.DeleteModel(request, timeout=self.timeout)
        ).deleted

    def delete_dataset(self, name: str) -> bool:
        request = cache_pb2.DeleteDatasetRequest(name=name)
        return call(
            self.address, lambda: self._stub.DeleteDataset(request, timeout=self.timeout)
        ).deleted

    def register_dataset(self, record: DatasetRecord) -> DatasetRecord:
        request = cache_pb2.RegisterDatasetRequest(dataset=convert.dataset_to_proto(record))
        reply = call(
            self.address, lambda: self._stub.RegisterDataset(request, timeout=self.timeout)
        )
        return convert.dataset_from_proto(reply.dataset)

    def get_dataset(self, name: str) -> DatasetRecord:
        request = cache_pb2.GetDatasetRequest(name=name)
        reply = call(self.address, lambda: self._stub.GetDataset(request, timeout=self.timeout))
        return convert.dataset_from_proto(reply.dataset)

    def list_datasets(self, name_prefix: str = "") -> list[DatasetRecord]:
        request = cache_pb2.ListDatasetsRequest(name_prefix=name_prefix)
        reply = call(self.address, lambda: self._stub.ListDatasets(request, timeout=self.timeout))
        return [convert.dataset_from_proto(d) for d in reply.datasets]

    def get_values(self, keys: Sequence[str]) -> list[bytes | None]:
        request = cache_pb2.GetValuesRequest(keys=list(keys))
        reply = call(self.address, lambda: self._stub.GetValues(request, timeout=self.timeout))
        return [kv.value if kv.found else None for kv in reply.values]

    def get_value(self, key: str) -> bytes | None:
        return self.get_values([key])[0]

    def put_values(self, items: Mapping[str, bytes], *, evictable: bool = False) -> None:
        request = cache_pb2.PutValuesRequest(
            values=[cache_pb2.KeyValue(key=k, value=v) for k, v in items.items()],
            evictable=evictable,
        )
        call(self.address, lambda: self._stub.PutValues(request, timeout=self.timeout))

    def scan(self, prefix: str) -> list[str]:
        request = cache_pb2.ScanKeysRequest(prefix=prefix)
        return list(
            call(self.address, lambda: self._stub.ScanKeys(request, timeout=self.timeout)).keys
        )

    def put_blob(self, key: str, data: bytes, *, evictable: bool = False) -> None:
        def pieces() -> Iterator[cache_pb2.PutBlobRequest]:
            yield cache_pb2.PutBlobRequest(
                key=key, data=data[:BLOB_PIECE_BYTES], evictable=evictable, total_size=len(data)
            )
            for start in range(BLOB_PIECE_BYTES, len(data), BLOB_PIECE_BYTES):
                yield cache_pb2.PutBlobRequest(data=data[start : start + BLOB_PIECE_BYTES])

        call(self.address, lambda: self._stub.PutBlob(pieces(), timeout=self.timeout))

    def get_blob(self, key: str) -> bytes:
        request = cache_pb2.GetBlobRequest(key=key)
        return call(
            self.address,
            lambda: b"".join(p.data for p in self._stub.GetBlob(request, timeout=self.timeout)),
        )

    def acquire_lease(self, key: str, owner: str, ttl_seconds: float) -> bool:
        request = cache_pb2.AcquireLeaseRequest(key=key, owner=owner, ttl_seconds=ttl_seconds)
        return call(
            self.address, lambda: self._stub.AcquireLease(request, timeout=self.timeout)
        ).acquired

    def release_lease(self, key: str, owner: str) -> None:
        request = cache_pb2.ReleaseLeaseRequest(key=key, owner=owner)
        call(self.address, lambda: self._stub.ReleaseLease(request, timeout=self.timeout))

    def append_history(self, entry: bytes) -> int:
        request = cache_pb2.AppendHistoryRequest(entry=entry)
        return call(
            self.address, lambda: self._stub.AppendHistory(request, timeout=self.timeout)
        ).seq

    def purge(self) -> int:
        request = cache_pb2.PurgeRequest()
        return call(self.address, lambda: self._stub.Purge(request, timeout=self.timeout)).deleted

    def generation(self) -> None:
        """None: whether the remote store changed is not known without asking it."""
        return None
