"""The CacheService gRPC handler: converts between protobuf and the catalog and store."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import grpc

from shift_search.cache import convert
from shift_search.cache.in_process import InProcessCache
from shift_search.cache.store import Store
from shift_search.cache.write_policy import check_writes
from shift_search.proto.v1 import cache_pb2, cache_pb2_grpc
from shift_search.runtime.errors import Cancelled, InvalidArgument
from shift_search.runtime.server import Registration

BLOB_PIECE_BYTES = 1024 * 1024


class CacheServicer(cache_pb2_grpc.CacheServiceServicer):
    """Thin handlers: protobuf in and out; the calls themselves are `InProcessCache`'s, made as
    the caller of each call (whose writes `write_policy` checks)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.cache = InProcessCache(store)

    def RegisterModel(
        self, request: cache_pb2.RegisterModelRequest, context: grpc.ServicerContext
    ) -> cache_pb2.RegisterModelResponse:
        record = self.cache.register_model(convert.model_from_proto(request.model))
        return cache_pb2.RegisterModelResponse(model=convert.model_to_proto(record))

    def GetModel(
        self, request: cache_pb2.GetModelRequest, context: grpc.ServicerContext
    ) -> cache_pb2.GetModelResponse:
        record = self.cache.get_model(request.name)
        return cache_pb2.GetModelResponse(model=convert.model_to_proto(record))

    def ListModels(
        self, request: cache_pb2.ListModelsRequest, context: grpc.ServicerContext
    ) -> cache_pb2.ListModelsResponse:
        f = request.filter
        records = self.cache.list_models(
            modality=f.modality,
            source=f.source,
            finetuned=f.finetuned if f.HasField("finetuned") else None,
            name_prefix=f.name_prefix,
        )
        return cache_pb2.ListModelsResponse(models=[convert.model_to_proto(r) for r in records])

    def DeleteModel(
        self, request: cache_pb2.DeleteModelRequest, context: grpc.ServicerContext
    ) -> cache_pb2.DeleteModelResponse:
        return cache_pb2.DeleteModelResponse(deleted=self.cache.delete_model(request.name))

    def RegisterDataset(
        self, request: cache_pb2.RegisterDatasetRequest, context: grpc.ServicerContext
    ) -> cache_pb2.RegisterDatasetResponse:
        record = self.cache.register_dataset(convert.dataset_from_proto(request.dataset))
        return cache_pb2.RegisterDatasetResponse(dataset=convert.dataset_to_proto(record))

    def GetDataset(
        self, request: cache_pb2.GetDatasetRequest, context: grpc.ServicerContext
    ) -> cache_pb2.GetDatasetResponse:
        record = self.cache.get_dataset(request.name)
        return cache_pb2.GetDatasetResponse(dataset=convert.dataset_to_proto(record))

    def ListDatasets(
        self, request: cache_pb2.ListDatasetsRequest, context: grpc.ServicerContext
    ) -> cache_pb2.ListDatasetsResponse:
        records = self.cache.list_datasets(request.name_prefix)
        return cache_pb2.ListDatasetsResponse(
            datasets=[convert.dataset_to_proto(r) for r in records]
        )

    def DeleteDataset(
        self, request: cache_pb2.DeleteDatasetRequest, context: grpc.ServicerContext
    ) -> cache_pb2.DeleteDatasetResponse:
        return cache_pb2.DeleteDatasetResponse(deleted=self.cache.delete_dataset(request.name))

    def GetValues(
        self, request: cache_pb2.GetValuesRequest, context: grpc.ServicerContext
    ) -> cache_pb2.GetValuesResponse:
        values = self.cache.get_values(request.keys)
        return cache_pb2.GetValuesResponse(
            values=[
                cache_pb2.KeyValue(key=k, value=v or b"", found=v is not None)
                for k, v in zip(request.keys, values, strict=True)
            ]
        )

    def PutValues(
        self, request: cache_pb2.PutValuesRequest, context: grpc.ServicerContext
    ) -> cache_pb2.PutValuesResponse:
        items = [(kv.key, kv.value) for kv in request.values]
        self.cache.put_items(items, evictable=request.evictable)
        return cache_pb2.PutValuesResponse(written=len(request.values))

    def ScanKeys(
        self, request: cache_pb2.ScanKeysRequest, context: grpc.ServicerContext
    ) -> cache_pb2.ScanKeysResponse:
        return cache_pb2.ScanKeysResponse(keys=self.cache.scan(request.prefix))

    def PutBlob(
        self, request_iterator: Iterable[cache_pb2.PutBlobRequest], context: grpc.ServicerContext
    ) -> cache_pb2.PutBlobResponse:
        first: cache_pb2.PutBlobRequest | None = None
        pieces = []
        for piece in request_iterator:
            first = first or piece
            pieces.append(piece.data)
        if first is None or not first.key or not first.HasField("total_size"):
            raise InvalidArgument("PutBlob: the first message must name the key and total_size")
        check_writes([first.key])
        key, evictable = first.key, first.evictable
        data = b"".join(pieces)  # written only once complete: no partial entry is ever visible
        if len(data) != first.total_size:
            raise Cancelled(
                f"PutBlob {key!r}: the stream ended after {len(data):,} of "
                f"{first.total_size:,} bytes; nothing stored"
            )
        self.cache.put_blob(key, data, evictable=evictable)
        return cache_pb2.PutBlobResponse(size=len(data))

    def GetBlob(
        self, request: cache_pb2.GetBlobRequest, context: grpc.ServicerContext
    ) -> Iterator[cache_pb2.GetBlobResponse]:
        data = self.cache.get_blob(request.key)
        yield cache_pb2.GetBlobResponse(data=data[:BLOB_PIECE_BYTES], total_size=len(data))
        for start in range(BLOB_PIECE_BYTES, len(data), BLOB_PIECE_BYTES):
            yield cache_pb2.GetBlobResponse(data=data[start : start + BLOB_PIECE_BYTES])

    def AcquireLease(
        self, request: cache_pb2.AcquireLeaseRequest, context: grpc.ServicerContext
    ) -> cache_pb2.AcquireLeaseResponse:
        acquired = self.cache.acquire_lease(request.key, request.owner, request.ttl_seconds)
        return cache_pb2.AcquireLeaseResponse(acquired=acquired)

    def ReleaseLease(
        self, request: cache_pb2.ReleaseLeaseRequest, context: grpc.ServicerContext
    ) -> cache_pb2.ReleaseLeaseResponse:
        self.cache.release_lease(request.key, request.owner)
        return cache_pb2.ReleaseLeaseResponse()

    def Purge(
        self, request: cache_pb2.PurgeRequest, context: grpc.ServicerContext
    ) -> cache_pb2.PurgeResponse:
        return cache_pb2.PurgeResponse(deleted=self.cache.purge())

    def AppendHistory(
        self, request: cache_pb2.AppendHistoryRequest, context: grpc.ServicerContext
    ) -> cache_pb2.AppendHistoryResponse:
        return cache_pb2.AppendHistoryResponse(seq=self.cache.append_history(request.entry))


def registration(store: Store) -> Registration:
    """How `shift serve` hosts the cache service."""
    servicer = CacheServicer(store)
    return Registration(
        name=cache_pb2.DESCRIPTOR.services_by_name["CacheService"].full_name,
        add=lambda server: cache_pb2_grpc.add_CacheServiceServicer_to_server(servicer, server),
        on_stop=store.close,
    )
