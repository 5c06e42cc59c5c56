"""Candidate nearest-neighbour search (squared L2): faiss on CPU, faiss-gpu or torch on CUDA.

Distances returned here are the fast ‖x‖² + ‖y‖² − 2x·y estimates; callers that need exact,
reproducible distances refine the candidates (see `nn_summary_search`).
"""

from __future__ import annotations

import faiss
import numpy as np
import torch

from shift_search.executor.proxies.device import DeviceLike, resolve_device

_GPU_BLOCK_BYTES = 512 * 1024 * 1024


def nearest(
    train: np.ndarray, test: np.ndarray, k: int, device: DeviceLike = None
) -> tuple[np.ndarray, np.ndarray]:
    """The `k` nearest training rows of every test row: (float32 distances, int64 indices) [n, k].

    `train` and `test` are float32 [n, D]; `k` must not exceed the number of training rows.
    """
    train = np.ascontiguousarray(train, dtype=np.float32)
    test = np.ascontiguousarray(test, dtype=np.float32)
    target = resolve_device(device)
    if target.type != "cuda":
        return _faiss_cpu(train, test, k)
    if hasattr(faiss, "StandardGpuResources"):
        return _faiss_gpu(train, test, k, target)
    return _torch(train, test, k, target)


def _faiss_cpu(train: np.ndarray, test: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    index = faiss.IndexFlatL2(train.shape[1])
    index.add(train)
    distances, indices = index.search(test, k)
    return distances.astype(np.float32), indices.astype(np.int64)


def _faiss_gpu(
    train: np.ndarray, test: np.ndarray, k: int, device: torch.device
) -> tuple[np.ndarray, np.ndarray]:
    resources = faiss.StandardGpuResources()
    cpu_index = faiss.IndexFlatL2(train.shape[1])
    index = faiss.index_cpu_to_gpu(resources, device.index or 0, cpu_index)
    index.add(train)
    distances, indices = index.search(test, k)
    return distances.astype(np.float32), indices.astype(np.int64)


def _torch(
    train: np.ndarray, test: np.ndarray, k: int, device: torch.device
) -> tuple[np.ndarray, np.ndarray]:
    # TF32 products would break the float32 error bound callers rely on; use float64 then.
    tf32 = (
        torch.get_float32_matmul_precision() != "highest" or torch.backends.cuda.matmul.allow_tf32
    )
    dtype = torch.float64 if tf32 else torch.float32
    y = torch.from_numpy(train).to(device, dtype)
    y_norms = (y * y).sum(dim=1)
    rows = max(1, _GPU_BLOCK_BYTES // max(1, 4 * len(train)))
    out_d, out_i = [], []
    with torch.inference_mode():
        for start in range(0, len(test), rows):
            x = torch.from_numpy(test[start : start + rows]).to(device, dtype)
            d = (x * x).sum(dim=1, keepdim=True) + y_norms[None, :] - 2.0 * (x @ y.T)
            values, indices = torch.topk(d.clamp_min_(0.0), k, dim=1, largest=False, sorted=True)
            out_d.append(values.float().cpu().numpy())
            out_i.append(indices.cpu().numpy())
    if not out_d:
        return np.zeros((0, k), np.float32), np.zeros((0, k), np.int64)
    return np.concatenate(out_d).astype(np.float32), np.concatenate(out_i).astype(np.int64)
