"""The installed platform adapters, each checked against the adapter contract when it is registered.

`PlatformRegistry.register` is what the entry point loader (connector.bootstrap.load_adapters)
calls for every `returns_connector.platforms` entry point, and what a test calls for an adapter
of its own: an adapter missing part of `PlatformAdapter` is refused with an AdapterLoadError
naming what is missing, so the app never starts half able to serve a platform. The optional
capabilities it offers are recorded (`capabilities`), for the logs and the documentation; the
use cases ask with isinstance on the same runtime_checkable Protocols.

Plain Python: imports the ports only.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from typing import Any

from connector.ports.platforms import (
    ChecksBodyShapes,
    ConnectablePlatform,
    ConnectFlow,
    ConnectsWithKeys,
    DeclaresResolutionMode,
    EmbeddedSessions,
    IdentifiedPlatform,
    MirroringPlatform,
    OffersConnectFlow,
    PlatformAdapter,
    RequestsReturnsInOrders,
    RoutesTopics,
    SchedulesChecks,
    SendsCreationPings,
    ServesStorefrontProxy,
    UsesRetryAfterHolds,
    UsesSharedRedis,
)

# Every optional capability, by the name the registry records it under.
OPTIONAL_CAPABILITIES: dict[str, type[Any]] = {
    "connect": ConnectablePlatform,
    "connect_with_keys": ConnectsWithKeys,
    "connect_flow": OffersConnectFlow,
    "store_identity": IdentifiedPlatform,
    "mirror_returns": MirroringPlatform,
    "webhook_handlers": RoutesTopics,
    "creation_pings": SendsCreationPings,
    "body_shapes": ChecksBodyShapes,
    "return_requests_in_orders": RequestsReturnsInOrders,
    "resolution_mode": DeclaresResolutionMode,
    "scheduled_checks": SchedulesChecks,
    "retry_after_holds": UsesRetryAfterHolds,
    "shared_redis": UsesSharedRedis,
    "embedded_sessions": EmbeddedSessions,
    "storefront_proxy": ServesStorefrontProxy,
}

# What PlatformAdapter requires: an attribute, then the methods (checked callable, by name).
REQUIRED_ATTRIBUTES = ("name",)
REQUIRED_METHODS = ("envelope", "verify_webhook", "parse_webhook", "gateway")
_FLOW_METHODS = ("unavailable", "begin", "complete", "landed", "shop_of")


class AdapterLoadError(RuntimeError):
    """A platform adapter could not be built or does not keep the contract: the app must not start with it."""


def contract_problems(adapter: object) -> list[str]:
    """What `adapter` lacks of PlatformAdapter (and of the optional capabilities it half offers)."""
    problems = [f"the attribute {name!r}" for name in REQUIRED_ATTRIBUTES if not hasattr(adapter, name)]
    problems += [f"the method {name}()" for name in REQUIRED_METHODS
                 if not callable(getattr(adapter, name, None))]
    if hasattr(adapter, "name") and not (isinstance(adapter.name, str) and adapter.name):
        problems.append("a non-empty str 'name'")
    if isinstance(adapter, OffersConnectFlow):
        flow = adapter.connect_flow
        problems += [f"connect_flow.{name}()" for name in _FLOW_METHODS if not callable(getattr(flow, name, None))]
        if not isinstance(flow, ConnectFlow):
            problems.append("connect_flow.routes")
    return problems


def offered_capabilities(adapter: object) -> frozenset[str]:
    """The names of the optional capabilities `adapter` offers (see OPTIONAL_CAPABILITIES)."""
    offered = set()
    for name, protocol in OPTIONAL_CAPABILITIES.items():
        if not isinstance(adapter, protocol):
            continue
        # A data member declared but not callable where a method is wanted is not the capability.
        members = [m for m in vars(protocol) if not m.startswith("_") and inspect.isfunction(vars(protocol)[m])]
        if all(callable(getattr(adapter, m, None)) for m in members):
            offered.add(name)
    return frozenset(offered)


class PlatformRegistry(MutableMapping[str, PlatformAdapter]):
    """The adapters by platform name; assigning one registers it (checked) like the loader does."""

    def __init__(self) -> None:
        self._adapters: dict[str, PlatformAdapter] = {}
        self._capabilities: dict[str, frozenset[str]] = {}

    def register(self, name: str, adapter: object, *, origin: str = "") -> PlatformAdapter:
        """Check `adapter` against PlatformAdapter and add it under `name`; AdapterLoadError if it falls short.

        `origin` (the entry point's value) makes the message say where the adapter came from.
        """
        where = f" ({origin})" if origin else ""
        problems = contract_problems(adapter)
        if problems:
            raise AdapterLoadError(
                f"platform adapter {name!r}{where} does not keep the adapter contract "
                f"(connector.ports.platforms.PlatformAdapter): it lacks {', '.join(problems)}."
            )
        assert isinstance(adapter, PlatformAdapter)  # what contract_problems just checked, for the type
        self._adapters[name] = adapter
        self._capabilities[name] = offered_capabilities(adapter)
        return adapter

    def capabilities(self, name: str) -> frozenset[str]:
        """The optional capabilities the adapter registered under `name` offered when it was registered."""
        return self._capabilities.get(name, frozenset())

    def offering(self, capability: str) -> dict[str, PlatformAdapter]:
        """The adapters that offered `capability` (a key of OPTIONAL_CAPABILITIES), by name."""
        return {n: a for n, a in self._adapters.items() if capability in self._capabilities.get(n, frozenset())}

    def __getitem__(self, name: str) -> PlatformAdapter:
        return self._adapters[name]

    def __setitem__(self, name: str, adapter: PlatformAdapter) -> None:
        self.register(name, adapter)

    def __delitem__(self, name: str) -> None:
        del self._adapters[name]
        self._capabilities.pop(name, None)

    def __iter__(self) -> Iterator[str]:
        return iter(self._adapters)

    def __len__(self) -> int:
        return len(self._adapters)

    def __repr__(self) -> str:
        return f"PlatformRegistry({sorted(self._adapters)})"


# What an entry point of the `returns_connector.platforms` group names: settings in, adapter out.
AdapterFactory = Callable[[Mapping[str, str]], object]


def register_platform(registry: PlatformRegistry, name: str, factory: AdapterFactory,
                      settings: Mapping[str, str], *, origin: str = "") -> PlatformAdapter:
    """Build an adapter with its factory and register it: what the loader does for every entry point.

    `settings` is the app's adapter configuration (Settings.adapter_settings()). A factory that
    raises, or an adapter that does not keep the contract, is an AdapterLoadError naming the platform.
    """
    try:
        adapter = factory(settings)
    except Exception as exc:
        where = f" ({origin})" if origin else ""
        raise AdapterLoadError(
            f"platform adapter {name!r}{where} could not be loaded: "
            f"{exc.__class__.__name__}: {exc}. Fix its configuration or uninstall its package."
        ) from exc
    return registry.register(name, adapter, origin=origin)
