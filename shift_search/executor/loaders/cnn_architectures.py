"""Convolutional trunks with torchvision's exact module names, so torchvision checkpoints load
into them without torchvision (its PyPI wheels are CUDA builds whose operators fail to load next
to a CPU-only torch). Only the feature trunks are built: the classifier heads are never used.

Families: ResNet (resnet18/34/50/101/152), MobileNetV2, VGG with batch norm (vgg11/13/16/19_bn)
and EfficientNet-B0..B2 (stochastic depth is left out: it only changes training noise).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import torch
from torch import nn

from shift_search.runtime.errors import InvalidArgument


def conv_norm_act(
    inp: int,
    out: int,
    kernel: int,
    stride: int = 1,
    groups: int = 1,
    activation: Callable[[], nn.Module] | None = nn.ReLU,
) -> nn.Sequential:
    """torchvision's Conv2dNormActivation: conv (no bias) `.0`, BatchNorm `.1`, activation."""
    layers: list[nn.Module] = [
        nn.Conv2d(inp, out, kernel, stride, (kernel - 1) // 2, groups=groups, bias=False),
        nn.BatchNorm2d(out),
    ]
    if activation is not None:
        layers.append(activation())
    return nn.Sequential(*layers)


# --- ResNet ----------------------------------------------------------------------------------


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, inp: int, planes: int, stride: int, downsample: nn.Module | None) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(inp, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        return torch.relu(self.bn2(self.conv2(out)) + identity)


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, inp: int, planes: int, stride: int, downsample: nn.Module | None) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(inp, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, planes * 4, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * 4)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        return torch.relu(self.bn3(self.conv3(out)) + identity)


class ResNetTrunk(nn.Module):
    """conv1 … layer4 of torchvision's ResNet (V1.5: the stride sits on the 3x3 conv)."""

    def __init__(self, block: type[BasicBlock] | type[Bottleneck], depths: Sequence[int]) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        inp = 64
        for index, (planes, depth) in enumerate(zip((64, 128, 256, 512), depths, strict=True)):
            stride = 1 if index == 0 else 2
            blocks: list[nn.Module] = []
            for b in range(depth):
                downsample = None
                if b == 0 and (stride != 1 or inp != planes * block.expansion):
                    downsample = nn.Sequential(
                        nn.Conv2d(inp, planes * block.expansion, 1, stride, bias=False),
                        nn.BatchNorm2d(planes * block.expansion),
                    )
                blocks.append(block(inp, planes, stride if b == 0 else 1, downsample))
                inp = planes * block.expansion
            self.add_module(f"layer{index + 1}", nn.Sequential(*blocks))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        for name in ("layer1", "layer2", "layer3", "layer4"):
            x = getattr(self, name)(x)
        return x


_RESNETS: dict[str, tuple[type[BasicBlock] | type[Bottleneck], tuple[int, ...]]] = {
    "resnet18": (BasicBlock, (2, 2, 2, 2)),
    "resnet34": (BasicBlock, (3, 4, 6, 3)),
    "resnet50": (Bottleneck, (3, 4, 6, 3)),
    "resnet101": (Bottleneck, (3, 4, 23, 3)),
    "resnet152": (Bottleneck, (3, 8, 36, 3)),
}


# --- MobileNetV2 -----------------------------------------------------------------------------


class InvertedResidual(nn.Module):
    def __init__(self, inp: int, out: int, stride: int, expand: int) -> None:
        super().__init__()
        hidden = inp * expand
        layers: list[nn.Module] = []
        if expand != 1:
            layers.append(conv_norm_act(inp, hidden, 1, activation=nn.ReLU6))
        layers += [
            conv_norm_act(hidden, hidden, 3, stride, groups=hidden, activation=nn.ReLU6),
            nn.Conv2d(hidden, out, 1, bias=False),
            nn.BatchNorm2d(out),
        ]
        self.conv = nn.Sequential(*layers)
        self.residual = stride == 1 and inp == out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.conv(x)
        return x + out if self.residual else out


def mobilenet_v2_features() -> nn.Sequential:
    settings: tuple[tuple[int, int, int, int], ...] = (
        *((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2)),
        *((6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)),
    )
    layers: list[nn.Module] = [conv_norm_act(3, 32, 3, 2, activation=nn.ReLU6)]
    inp = 32
    for expand, out, repeats, stride in settings:
        for i in range(repeats):
            layers.append(InvertedResidual(inp, out, stride if i == 0 else 1, expand))
            inp = out
    layers.append(conv_norm_act(inp, 1280, 1, activation=nn.ReLU6))
    return nn.Sequential(*layers)


# --- VGG (batch norm) ------------------------------------------------------------------------

_VGG = {
    "vgg11_bn": (64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"),
    "vgg13_bn": (64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"),
    "vgg16_bn": (
        *(64, 64, "M", 128, 128, "M", 256, 256, 256, "M"),
        *(512, 512, 512, "M", 512, 512, 512, "M"),
    ),
    "vgg19_bn": (
        *(64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M"),
        *(512, 512, 512, 512, "M", 512, 512, 512, 512, "M"),
    ),
}


def vgg_features(config: Sequence[int | str]) -> nn.Sequential:
    layers: list[nn.Module] = []
    inp = 3
    for item in config:
        if item == "M":
            layers.append(nn.MaxPool2d(2, 2))
        else:
            width = int(item)
            layers += [nn.Conv2d(inp, width, 3, padding=1), nn.BatchNorm2d(width), nn.ReLU(True)]
            inp = width
    return nn.Sequential(*layers)


# --- EfficientNet (B0-B2) --------------------------------------------------------------------


class SqueezeExcitation(nn.Module):
    def __init__(self, channels: int, squeeze: int) -> None:
        super().__init__()
        self.fc1 = nn.Conv2d(channels, squeeze, 1)
        self.fc2 = nn.Conv2d(squeeze, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        scale = torch.nn.functional.adaptive_avg_pool2d(x, 1)
        scale = torch.sigmoid(self.fc2(torch.nn.functional.silu(self.fc1(scale))))
        return x * scale


class MBConv(nn.Module):
    def __init__(self, inp: int, out: int, kernel: int, stride: int, expand: int) -> None:
        super().__init__()
        hidden = inp * expand
        layers: list[nn.Module] = []
        if expand != 1:
            layers.append(conv_norm_act(inp, hidden, 1, activation=nn.SiLU))
        layers += [
            conv_norm_act(hidden, hidden, kernel, stride, groups=hidden, activation=nn.SiLU),
            SqueezeExcitation(hidden, max(1, inp // 4)),
            conv_norm_act(hidden, out, 1, activation=None),
        ]
        self.block = nn.Sequential(*layers)
        self.residual = stride == 1 and inp == out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.block(x)
        return x + out if self.residual else out


_EFFICIENTNET = {"efficientnet_b0": (1.0, 1.0), "efficientnet_b1": (1.0, 1.1)}
_EFFICIENTNET["efficientnet_b2"] = (1.1, 1.2)


def _divisible(channels: float, divisor: int = 8) -> int:
    value = max(divisor, int(channels + divisor / 2) // divisor * divisor)
    return value + divisor if value < 0.9 * channels else value


def efficientnet_features(width: float, depth: float) -> nn.Sequential:
    stages: tuple[tuple[int, int, int, int, int, int], ...] = (
        *((1, 3, 1, 32, 16, 1), (6, 3, 2, 16, 24, 2), (6, 5, 2, 24, 40, 2)),
        *((6, 3, 2, 40, 80, 3), (6, 5, 1, 80, 112, 3), (6, 5, 2, 112, 192, 4)),
        (6, 3, 1, 192, 320, 1),
    )
    first = _divisible(32 * width)
    layers: list[nn.Module] = [conv_norm_act(3, first, 3, 2, activation=nn.SiLU)]
    last = first
    for expand, kernel, stride, inp, out, repeats in stages:
        inp_c, out_c = _divisible(inp * width), _divisible(out * width)
        blocks: list[nn.Module] = []
        for i in range(math.ceil(repeats * depth)):
            blocks.append(
                MBConv(inp_c if i == 0 else out_c, out_c, kernel, stride if i == 0 else 1, expand)
            )
        layers.append(nn.Sequential(*blocks))
        last = out_c
    layers.append(conv_norm_act(last, 4 * last, 1, activation=nn.SiLU))
    return nn.Sequential(*layers)


# --- entry point -----------------------------------------------------------------------------


class FeaturesTrunk(nn.Module):
    """`features` (a Sequential), optionally cut to its first `layers` modules."""

    def __init__(self, features: nn.Sequential, layers: int | None) -> None:
        super().__init__()
        self.features = features if layers is None else features[:layers]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.features(x)
        return out


def architectures() -> tuple[str, ...]:
    return (*_RESNETS, "mobilenet_v2", *_VGG, *_EFFICIENTNET)


def build_trunk(arch: str, trunk_layers: int | None = None) -> nn.Module:
    """A randomly initialised trunk of `arch` whose state-dict keys are torchvision's."""
    if arch in _RESNETS:
        block, depths = _RESNETS[arch]
        return ResNetTrunk(block, depths)
    if arch == "mobilenet_v2":
        return FeaturesTrunk(mobilenet_v2_features(), trunk_layers)
    if arch in _VGG:
        return FeaturesTrunk(vgg_features(_VGG[arch]), trunk_layers)
    if arch in _EFFICIENTNET:
        return FeaturesTrunk(efficientnet_features(*_EFFICIENTNET[arch]), trunk_layers)
    known = ", ".join(architectures())
    raise InvalidArgument(f"unknown torchvision architecture {arch!r}; known: {known}")
