"""The CacheService gRPC handler: converts between protobuf and the catalog and store."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import grpc

from shift_search.cache import convert, keys
from shift_search.cache.catalog import Catalog, ModelFilter
from shift_search.cache.codec import load_request_json
from shift_search.cache.history import History
from shift_search.cache.purge import purge
from shift_search.cache.store import Store
from shift_search.cache.write_policy import check_writes
from shift_search.proto.v1 import cache_pb2, cache_pb2_grpc
from shift_search.runtime.errors import Cancelled, InvalidArgument, NotFound
from shift_search.runtime.metrics import record_cache_lookup
from shift_search.runtime.server import Registration

BLOB_PIECE_BYTES = 1024 * 1024


class CacheServicer(cache_pb2_grpc.CacheServiceServicer):
    """Thin handlers over a Store; all behaviour lives in the catalog and the store."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.catalog = Catalog(store)
        self.history = History(store)

    def RegisterModel(
        self, request: cache_pb2.RegisterModelRequest, context: grpc.ServicerContext
    ) -> cache_pb2.RegisterModelResponse:
        record = self.catalog.register_model(convert.model_from_proto(request.model))
        return cache_pb2.RegisterModelResponse(model=convert.model_to_proto(record))

    def GetModel(
        self, request: cache_pb2.GetModelRequest, context: grpc.ServicerContext
    ) -> cache_pb2.GetModelResponse:
        record = self.catalog.get_model(request.name)
        return cache_pb2.GetModelResponse(model=convert.model_to_proto(record))

    def ListModels(
        self, request: cache_pb2.ListModelsRequest, context: grpc.ServicerContext
    ) -> cache_pb2.ListModelsResponse:
        f = request.filter
        model_filter = ModelFilter(
            modality=f.modality or None,
            source=f.source or None,
            finetuned=f.finetuned if f.HasField("finetuned") else None,
            name_prefix=f.name_prefix or None,
        )
        records = self.catalog.list_models(model_filter)
        return cache_pb2.ListModelsResponse(models=[convert.model_to_proto(r) for r in records])

    def DeleteModel(
        self, request: cache_pb2.DeleteModelRequest, context: grpc.ServicerContext
    ) -> cache_pb2.DeleteModelResponse:
        return cache_pb2.DeleteModelResponse(deleted=self.catalog.delete_model(request.name))

    def RegisterDataset(
        self, request: cache_pb2.RegisterDatasetRequest, context: grpc.ServicerContext
    ) -> cache_pb2.RegisterDatasetResponse:
        record = self.catalog.register_dataset(convert.dataset_from_proto(request.dataset))
        return cache_pb2.RegisterDatasetResponse(dataset=convert.dataset_to_proto(record))

    def GetDataset(
        self, request: cache_pb2.GetDatasetRequest, context: grpc.ServicerContext
    ) -> cache_pb2.GetDatasetResponse:
        record = self.catalog.get_dataset(request.name)
        return cache_pb2.GetDatasetResponse(dataset=convert.dataset_to_proto(record))

    def ListDatasets(
        self, request: cache_pb2.ListDatasetsRequest, context: grpc.ServicerContext
    ) -> cache_pb2.ListDatasetsResponse:
        records = [
            r for r in self.catalog.list_datasets() if r.name.startswith(request.name_prefix)
        ]
        return cache_pb2.ListDatasetsResponse(
            datasets=[convert.dataset_to_proto(r) for r in records]
        )

    def DeleteDataset(
        self, request: cache_pb2.DeleteDatasetRequest, context: grpc.ServicerContext
    ) -> cache_pb2.DeleteDatasetResponse:
        return cache_pb2.DeleteDatasetResponse(deleted=self.catalog.delete_dataset(request.name))

    def GetValues(
        self, request: cache_pb2.GetValuesRequest, context: grpc.ServicerContext
    ) -> cache_pb2.GetValuesResponse:
        values = self.store.get_many(list(request.keys))
        for key, value in zip(request.keys, values, strict=True):
            record_cache_lookup(keys.kind_of(key), value is not None)
        return cache_pb2.GetValuesResponse(
            values=[
                cache_pb2.KeyValue(key=k, value=v or b"", found=v is not None)
                for k, v in zip(request.keys, values, strict=True)
            ]
        )

    def PutValues(
        self, request: cache_pb2.PutValuesRequest, context: grpc.ServicerContext
    ) -> cache_pb2.PutValuesResponse:
        check_writes(kv.key for kv in request.values)
        self.store.put_many(
            [(kv.key, kv.value) for kv in request.values], evictable=request.evictable
        )
        return cache_pb2.PutValuesResponse(written=len(request.values))

    def ScanKeys(
        self, request: cache_pb2.ScanKeysRequest, context: grpc.ServicerContext
    ) -> cache_pb2.ScanKeysResponse:
        return cache_pb2.ScanKeysResponse(keys=self.store.scan(request.prefix))

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
        self.store.put(key, data, evictable=evictable)
        return cache_pb2.PutBlobResponse(size=len(data))

    def GetBlob(
        self, request: cache_pb2.GetBlobRequest, context: grpc.ServicerContext
    ) -> Iterator[cache_pb2.GetBlobResponse]:
        data = self.store.get(request.key)
        record_cache_lookup(keys.kind_of(request.key), data is not None)
        if data is None:
            raise NotFound(f"no blob under {request.key!r}")
        yield cache_pb2.GetBlobResponse(data=data[:BLOB_PIECE_BYTES], total_size=len(data))
        for start in range(BLOB_PIECE_BYTES, len(data), BLOB_PIECE_BYTES):
            yield cache_pb2.GetBlobResponse(data=data[start : start + BLOB_PIECE_BYTES])

    def AcquireLease(
        self, request: cache_pb2.AcquireLeaseRequest, context: grpc.ServicerContext
    ) -> cache_pb2.AcquireLeaseResponse:
        acquired = self.store.acquire_lease(request.key, request.owner, request.ttl_seconds)
        return cache_pb2.AcquireLeaseResponse(acquired=acquired)

    def ReleaseLease(
        self, request: cache_pb2.ReleaseLeaseRequest, context: grpc.ServicerContext
    ) -> cache_pb2.ReleaseLeaseResponse:
        self.store.release_lease(request.key, request.owner)
        return cache_pb2.ReleaseLeaseResponse()

    def Purge(
        self, request: cache_pb2.PurgeRequest, context: grpc.ServicerContext
    ) -> cache_pb2.PurgeResponse:
        return cache_pb2.PurgeResponse(deleted=purge(self.store))

    def AppendHistory(
        self, request: cache_pb2.AppendHistoryRequest, context: grpc.ServicerContext
    ) -> cache_pb2.AppendHistoryResponse:
        entry = load_request_json(request.entry, "AppendHistory: the entry")
        if not isinstance(entry, dict):
            raise InvalidArgument("AppendHistory: the entry must be a JSON object")
        return cache_pb2.AppendHistoryResponse(seq=self.history.append(entry))


def registration(store: Store) -> Registration:
    """How `shift serve` hosts the cache service."""
    servicer = CacheServicer(store)
    return Registration(
        name=cache_pb2.DESCRIPTOR.services_by_name["CacheService"].full_name,
        add=lambda server: cache_pb2_grpc.add_CacheServiceServicer_to_server(servicer, server),
        on_stop=store.close,
    )
