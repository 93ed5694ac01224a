"""Routes used by the foundation tests: a path parameter, a failing route, a body reader."""

from typing import Any

from fastapi import APIRouter, Request

router = APIRouter()


@router.get("/api/sample/items/{item_id}")
async def get_item(item_id: int) -> dict[str, int]:
    """Returns the item id it was given."""
    return {"item_id": item_id}


@router.get("/api/sample/boom")
async def boom() -> None:
    """Fails with an unhandled error."""
    raise RuntimeError("sample route failure with password=hunter2-should-not-leak")


@router.post("/api/sample/echo")
async def echo(payload: dict[str, Any]) -> dict[str, int]:
    """Reads a JSON body and answers its size."""
    return {"keys": len(payload)}


@router.post("/api/webhooks/sample")
async def webhook(request: Request) -> dict[str, int]:
    """Reads a raw body under the large-body prefix."""
    return {"bytes": len(await request.body())}
