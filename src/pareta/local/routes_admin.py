"""The admin surface (outside `/v1`): balances, the ledger, faults and keys.

Every route acts on the org of the API key that calls it, faults included: an
org sees, sets and clears its own (and sees the operator's server-wide ones).
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, HTTPException
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from .deps import CurrentOrg, State, json_response
from .faults import Fault, FaultQuotaExceeded
from .quotas import QuotaExceeded
from .records import Org
from .state import ServerState

router = APIRouter(prefix="/admin")


class BalanceUpdate(BaseModel):
    balance_micro_usd: int


class FaultRequest(BaseModel):
    """Either `spec` (the one-line format) or the fields of `Fault`."""

    model_config = ConfigDict(extra="forbid")

    spec: str | None = None
    scope: Literal["org", "server"] = "org"
    path: str | None = None
    method: str = "*"
    status: int | None = None
    retry_after: float | None = None
    latency: float = 0.0
    drop_after: int | None = None
    drop: bool = False
    count: int | None = None
    probability: float = Field(default=1.0, ge=0.0, le=1.0)
    detail: str = "Injected fault"

    def to_fault(self, org_id: str | None) -> Fault:
        if self.spec is not None:
            fault = Fault.parse(self.spec)
            fault.org_id = org_id
            return fault
        if self.path is None:
            raise ValueError("give either spec or path")
        return Fault(**self.model_dump(exclude={"spec", "scope"}), org_id=org_id)


def _balance(state: ServerState, org: Org) -> Response:
    return json_response(
        {
            "org_id": org.id,
            "balance_micro_usd": state.meter.balance(org.id),
            "available_micro_usd": state.meter.available(org.id),
        }
    )


@router.get("/balance")
async def read_balance(org: CurrentOrg, state: State) -> Response:
    return _balance(state, org)


@router.put("/balance")
@router.post("/balance")
async def set_balance(update: BalanceUpdate, org: CurrentOrg, state: State) -> Response:
    state.meter.set_balance(org.id, update.balance_micro_usd)
    return _balance(state, org)


@router.get("/ledger")
async def read_ledger(org: CurrentOrg, state: State) -> Response:
    entries = [e.to_json() for e in state.meter.ledger(org.id)]
    return json_response({"org_id": org.id, "entries": entries})


@router.get("/faults")
async def list_faults(org: CurrentOrg, state: State) -> Response:
    return json_response({"faults": [f.to_json() for f in state.faults.list(org.id)]})


@router.post("/faults")
async def add_fault(request: FaultRequest, org: CurrentOrg, state: State) -> Response:
    if request.scope == "server" and not state.config.allow_server_faults:
        raise HTTPException(
            403,
            "Server-wide faults are the operator's: start the server with "
            "--allow-server-faults, or leave out scope to fault your own org's requests.",
        )
    try:
        fault = request.to_fault(None if request.scope == "server" else org.id)
        state.faults.add(fault)
    except (ValueError, TypeError) as exc:
        raise HTTPException(422, f"Invalid fault: {exc}") from None
    except FaultQuotaExceeded as exc:
        raise QuotaExceeded(409, "This org's faults", "max_faults_per_org", exc.limit) from None
    return json_response({"fault": fault.to_json()})


@router.delete("/faults")
async def clear_faults(org: CurrentOrg, state: State) -> Response:
    return json_response({"cleared": state.faults.clear(org.id)})


@router.delete("/faults/{fault_id}")
async def remove_fault(fault_id: str, org: CurrentOrg, state: State) -> Response:
    if not state.faults.remove(fault_id, org.id):
        raise HTTPException(404, f"Fault {fault_id!r} not found among this org's faults")
    return json_response({"id": fault_id, "deleted": True})


@router.post("/keys")
async def mint_key(org: CurrentOrg, state: State) -> Response:
    new_org = state.mint_org()
    return json_response({"api_key": new_org.api_key, "org_id": new_org.id})
