"""A module's architecture as data: rebuilding an ``nn.Module`` without running any code from a file.

The Train pane replaces ``net`` with the ``nn.Sequential(nn.Linear(d, 1))`` it trained, and a
learner's model is often a Sequential of Linear and activation layers. Such a module is
described by :func:`describe_module` as typed records (layer kinds and their sizes), saved in
the session beside its weights, and built again by :func:`build_module` with the same
constructors: nothing from the file is executed, and the weights then load with
``strict=True``. A module of any other kind (a user's class, a layer not listed here) is not
described; it comes back by re-running the REPL inputs that built it, once the person agrees.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from msgspec import Meta

from tui_lab.core.session.panestates import Strict

if TYPE_CHECKING:
    from torch import nn

Size = Annotated[int, Meta(ge=1, le=1 << 24)]
#: The most layers a described Sequential may hold.
MAX_LAYERS = 256


class LinearLayer(Strict, frozen=True, tag_field="layer", tag="Linear"):
    in_features: Size
    out_features: Size
    bias: bool = True


class ReLULayer(Strict, frozen=True, tag_field="layer", tag="ReLU"):
    pass


class SigmoidLayer(Strict, frozen=True, tag_field="layer", tag="Sigmoid"):
    pass


class TanhLayer(Strict, frozen=True, tag_field="layer", tag="Tanh"):
    pass


class FlattenLayer(Strict, frozen=True, tag_field="layer", tag="Flatten"):
    start_dim: Annotated[int, Meta(ge=-8, le=8)] = 1
    end_dim: Annotated[int, Meta(ge=-8, le=8)] = -1


class DropoutLayer(Strict, frozen=True, tag_field="layer", tag="Dropout"):
    p: Annotated[float, Meta(ge=0, le=1)] = 0.5


Layer = LinearLayer | ReLULayer | SigmoidLayer | TanhLayer | FlattenLayer | DropoutLayer


class SequentialLayers(Strict, frozen=True, tag_field="layer", tag="Sequential"):
    layers: Annotated[tuple[Layer, ...], Meta(max_length=MAX_LAYERS)]


#: A described module: one layer, or a Sequential of layers (not nested).
ModuleArch = Layer | SequentialLayers


def _describe_layer(module: nn.Module) -> Layer | None:
    from torch import nn

    kind = type(module)
    if kind is nn.Linear:
        assert isinstance(module, nn.Linear)
        return LinearLayer(
            in_features=module.in_features, out_features=module.out_features, bias=module.bias is not None
        )
    if kind is nn.Flatten:
        assert isinstance(module, nn.Flatten)
        return FlattenLayer(start_dim=module.start_dim, end_dim=module.end_dim)
    if kind is nn.Dropout:
        assert isinstance(module, nn.Dropout)
        return DropoutLayer(p=float(module.p))
    plain: dict[type, Layer] = {nn.ReLU: ReLULayer(), nn.Sigmoid: SigmoidLayer(), nn.Tanh: TanhLayer()}
    return plain.get(kind)


def describe_module(module: nn.Module) -> ModuleArch | None:
    """The architecture of ``module`` when it is built only of the layers above, else None.

    Exact classes only: a subclass may change ``forward`` or hold more state, so it is not described.
    """
    from torch import nn

    if type(module) is nn.Sequential:
        layers = [_describe_layer(child) for child in module.children()]
        if len(layers) > MAX_LAYERS or any(layer is None for layer in layers):
            return None
        return SequentialLayers(layers=tuple(layer for layer in layers if layer is not None))
    try:
        return _describe_layer(module)
    except Exception:  # an odd module whose attributes do not read back: simply not described
        return None


def _build_layer(layer: Layer) -> nn.Module:
    from torch import nn

    if isinstance(layer, LinearLayer):
        return nn.Linear(layer.in_features, layer.out_features, bias=layer.bias)
    if isinstance(layer, FlattenLayer):
        return nn.Flatten(layer.start_dim, layer.end_dim)
    if isinstance(layer, DropoutLayer):
        return nn.Dropout(layer.p)
    activation: type[nn.Module] = {ReLULayer: nn.ReLU, SigmoidLayer: nn.Sigmoid, TanhLayer: nn.Tanh}[type(layer)]
    return activation()


def build_module(arch: ModuleArch) -> nn.Module:
    """A fresh module of this architecture (its weights are then loaded from the session)."""
    from torch import nn

    if isinstance(arch, SequentialLayers):
        return nn.Sequential(*(_build_layer(layer) for layer in arch.layers))
    return _build_layer(arch)


def expected_shapes(arch: ModuleArch) -> dict[str, tuple[int, ...]]:
    """The state_dict keys and shapes a module of ``arch`` has (checked before building it)."""
    layers = arch.layers if isinstance(arch, SequentialLayers) else (arch,)
    prefix = "{}." if isinstance(arch, SequentialLayers) else ""
    shapes: dict[str, tuple[int, ...]] = {}
    for index, layer in enumerate(layers):
        if isinstance(layer, LinearLayer):
            head = prefix.format(index)
            shapes[f"{head}weight"] = (layer.out_features, layer.in_features)
            if layer.bias:
                shapes[f"{head}bias"] = (layer.out_features,)
    return shapes
