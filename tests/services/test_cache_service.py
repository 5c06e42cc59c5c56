"""CacheService over real gRPC: catalog, values, streamed blobs, leases, purge, error codes."""

from __future__ import annotations

import grpc
import pytest

from shift_search.cache.client import CacheClient
from shift_search.cache.records import DatasetRecord, ModelRecord
from shift_search.proto.v1 import cache_pb2, cache_pb2_grpc
from shift_search.runtime.errors import InvalidArgument, NotFound
from tests.services.conftest import Stack


def test_register_get_and_filter_models(stack: Stack) -> None:
    record = stack.cache.register_model(
        ModelRecord(name="svc-model", source="huggingface", uri="/m", num_params=5)
    )
    assert record.key.startswith("models/huggingface/svc-model@main~")  # ~ outputs digest
    assert stack.cache.get_model("svc-model").num_params == 5
    texts = {m.name for m in stack.cache.list_models(modality="text")}
    images = {m.name for m in stack.cache.list_models(modality="image")}
    assert "svc-model" in texts and "svc-model" not in images
    assert stack.cache.delete_model("svc-model")


def test_unknown_model_is_not_found_with_suggestions(stack: Stack) -> None:
    with pytest.raises(NotFound) as err:
        stack.cache.get_model("bert-aa")
    assert '"bert-a"' in err.value.message


def test_invalid_record_is_invalid_argument_naming_the_field(stack: Stack) -> None:
    with pytest.raises(InvalidArgument) as err:
        stack.cache.register_model(ModelRecord(name="x", source="tensorflow", uri="/m"))
    assert "source" in err.value.message


def test_datasets_round_trip(stack: Stack) -> None:
    stack.cache.register_dataset(
        DatasetRecord(name="svc-data", uri="/d.csv", format="csv", size=10)
    )
    assert stack.cache.get_dataset("svc-data").size == 10
    assert "svc-data" in {d.name for d in stack.cache.list_datasets("svc-")}


def test_blobs_stream_in_pieces_and_round_trip(stack: Stack) -> None:
    data = bytes(range(256)) * 20_000  # ~5 MB: several pieces each way
    stack.cache.put_blob("shift:v1:feat:test", data, evictable=True)
    assert stack.cache.get_blob("shift:v1:feat:test") == data


def test_missing_blob_is_not_found(stack: Stack) -> None:
    stub = cache_pb2_grpc.CacheServiceStub(stack.internal)
    with pytest.raises(grpc.RpcError) as err:
        list(stub.GetBlob(cache_pb2.GetBlobRequest(key="shift:v1:feat:none"), timeout=5))
    assert err.value.code() == grpc.StatusCode.NOT_FOUND


@pytest.mark.parametrize(
    "first",
    [
        cache_pb2.PutBlobRequest(data=b"x", total_size=1),
        cache_pb2.PutBlobRequest(key="shift:v1:feat:k", data=b"x"),
    ],
    ids=["no key", "no total size"],
)
def test_blob_without_key_or_size_is_invalid_argument(
    stack: Stack, first: cache_pb2.PutBlobRequest
) -> None:
    stub = cache_pb2_grpc.CacheServiceStub(stack.internal)
    with pytest.raises(grpc.RpcError) as err:
        stub.PutBlob(iter([first]), timeout=5)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_leases_let_one_owner_compute(stack: Stack) -> None:
    assert stack.cache.acquire_lease("shift:v1:lease:t", "a", 30)
    assert not stack.cache.acquire_lease("shift:v1:lease:t", "b", 30)
    stack.cache.release_lease("shift:v1:lease:t", "a")
    assert stack.cache.acquire_lease("shift:v1:lease:t", "b", 30)


def test_purge_drops_results_but_keeps_the_catalog(stack: Stack) -> None:
    stack.cache.put_values({"shift:v1:res:proxy:x": b"{}"})
    assert stack.cache.purge() >= 1
    assert stack.cache.get_value("shift:v1:res:proxy:x") is None
    assert stack.cache.get_model("bert-a").name == "bert-a"


def test_unreachable_cache_names_its_address() -> None:
    client = CacheClient("127.0.0.1:1", timeout=2)
    with pytest.raises(Exception) as err:
        client.list_models()
    assert "127.0.0.1:1" in str(err.value)
