"""FastAPI dependencies that reach the per-process service container."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Request

from cspm.core.container import ServiceContainer


def get_container(request: Request) -> ServiceContainer:
    return request.app.state.container


def service[T](cls: type[T]) -> Callable[[Request], Awaitable[T]]:
    """Dependency that resolves `cls` from the container (built once, overridable in tests).

    Async on purpose: FastAPI runs sync dependencies on a thread pool, and building a
    service takes database handles from the client of the running event loop.
    """

    async def _resolve(request: Request) -> T:
        return request.app.state.container.resolve(cls)

    _resolve.__name__ = f"resolve_{cls.__name__}"
    return _resolve
