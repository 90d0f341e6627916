"""The server's in-memory state: configuration, orgs and what each org owns.

Lifecycles are functions of the clock rather than of background tasks: an
endpoint stores its timed status transitions and an eval run its schedule, so
the state behaves the same under uvicorn, an ASGI test transport, asyncio or
trio, and nothing is left running at shutdown.
"""

from __future__ import annotations

import bisect
import functools
import random
import re
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from .auth import mint_api_key, org_id_for
from .bodies import DEFAULT_MAX_CHAT_BYTES, DEFAULT_MAX_JSON_BYTES
from .catalog import Catalog, ModelRef
from .evals import evaluate
from .faults import Fault, FaultInjector
from .idempotency import DEFAULT_MAX_KEYS, DEFAULT_TTL_SECONDS, IdempotencyStore
from .matcher import TaskMatcher
from .metering import DEFAULT_LEDGER_KEPT, Meter
from .ratelimit import DEFAULT_RATE_BURST, RateLimiter
from .rolling import Rolling
from .runs import ScoringPool
from .storage import Blob, UploadClaims, UploadSigner
from .tasks import TASKS, Task

DEFAULT_BALANCE_MICRO_USD = 25_000_000
TRAFFIC_KEPT = 100_000
# Every new key opens an org (about 5 kB); past this many, the oldest idle one is dropped.
DEFAULT_MAX_ORGS = 10_000
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")

# The endpoint ids the documentation's examples call, present in every org.
SEED_ENDPOINTS: tuple[tuple[str, str, str], ...] = (
    ("ep_contract_kie", "contract-key-fields", "contract-kie-1"),
    ("ep_a1b2c3", "contract-key-fields", "recommended"),
    ("ep_contract_kie_01", "contract-key-fields", "contract-kie-1"),
    ("ep_contract_qwen", "contract-key-fields", "qwen-1"),
    ("ep_contract_kie_qwen", "contract-key-fields", "qwen-2"),
    ("ep-contract-key-fields", "contract-key-fields", "recommended"),
    ("ep_invoice_xtract", "invoice-extraction", "qwen2.5-vl-1"),
    ("ep_invoice_extract", "invoice-extraction", "recommended"),
)
# The seed endpoints the documentation's examples delete; the others answer 409.
DELETABLE_SEEDS = frozenset({"ep_contract_kie", "ep_a1b2c3"})
# The eval set (id, task, rows) and the completed run over it (id, candidates) that the
# documentation's examples read by id, present in every org.
SEED_EVAL_SET = ("evset_123", "contract-key-fields", 3)
SEED_RUN = ("run_456", ("contract-kie-1", "contract-kie-2"))


@dataclass
class Config:
    starting_balance: int = DEFAULT_BALANCE_MICRO_USD
    deploy_seconds: float = 0.2
    eval_seconds_per_item: float = 0.001
    max_upload_bytes: int = 64 * 1024 * 1024
    max_chat_bytes: int = DEFAULT_MAX_CHAT_BYTES
    max_json_bytes: int = DEFAULT_MAX_JSON_BYTES
    upload_url_ttl: float = 900.0
    seed: int | None = None
    upstream: str | None = None
    upstream_api_key: str | None = None
    upstream_model: str | None = None
    rate_limit: float | None = None
    rate_burst: int = DEFAULT_RATE_BURST
    idempotency_ttl: float = DEFAULT_TTL_SECONDS
    idempotency_max_keys: int = DEFAULT_MAX_KEYS
    ledger_kept: int = DEFAULT_LEDGER_KEPT
    allow_server_faults: bool = False
    max_orgs: int = DEFAULT_MAX_ORGS


class Traffic(NamedTuple):
    """One served (or refused) inference request on an endpoint.

    Kept in a `Rolling` log, so a server holding many collects as fast as an empty one.
    """

    at: float
    latency_ms: float
    status: int
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_micro_usd: int = 0
    frontier_cost_micro_usd: int = 0
    quality: float | None = None
    stream: bool = False


@dataclass
class Endpoint:
    id: str
    task: Task
    model: ModelRef
    created: float
    transitions: list[tuple[float, str]]
    extra: dict[str, Any] = field(default_factory=dict)
    seed: bool = False
    # Metrics read the most recent requests only: memory stays flat under any load.
    traffic: Rolling[Traffic] = field(default_factory=lambda: Rolling(Traffic, TRAFFIC_KEPT))

    def status(self, now: float | None = None) -> str:
        now = time.time() if now is None else now
        i = bisect.bisect_right(self.transitions, (now, "\uffff"))
        return self.transitions[i - 1][1] if i else "starting"

    def schedule(self, now: float, *steps: tuple[float, str]) -> None:
        """Forget pending transitions and plan new ones, each `delay` after now."""
        self.transitions = [t for t in self.transitions if t[0] <= now]
        self.transitions.extend((now + delay, status) for delay, status in steps)

    def to_json(self, base_url: str) -> dict[str, Any]:
        status = self.status()
        record = {
            **self.extra,
            "id": self.id,
            "object": "endpoint",
            "name": self.id,
            "model": self.model.id,
            "task": self.task.id,
            "status": status,
            "url": f"{base_url}/v1" if status == "live" else None,
            "created": int(self.created),
            "owned_by": "pareta",
            "seed": self.seed,
        }
        return record


@dataclass
class EvalSet:
    id: str
    task: Task
    name: str
    rows: list[dict[str, Any]]
    created: float
    blobs: dict[tuple[int, str], Blob] = field(default_factory=dict)
    staged: dict[tuple[int, str], tuple[UploadClaims, Blob]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "eval_set",
            "task_id": self.task.id,
            "name": self.name,
            "item_count": len(self.rows),
            "scoring_strategy": self.task.scoring_strategy,
            "default_scorer": self.task.default_scorer,
            "has_blob_input": self.task.has_blob_input,
            "blobs_attached": len(self.blobs),
            "created_at": int(self.created),
        }


@dataclass
class EvalRun:
    id: str
    eval_set_id: str
    task: Task
    name: str | None
    candidates: list[str]
    item_count: int
    created: float
    finishes_at: float
    results: list[dict[str, Any]]
    cost_micro_usd: int
    error_detail: str | None = None
    # Written by the scoring thread; the run is terminal once scored and its time is up.
    scored: bool = False
    items_scored: int = 0

    def status(self, now: float | None = None) -> str:
        now = time.time() if now is None else now
        if self.scored and now >= self.finishes_at:
            return "failed" if self.error_detail else "completed"
        queued_until = self.created + 0.3 * (self.finishes_at - self.created)
        scoring = self.items_scored and not self.scored
        return "running" if now < queued_until and not scoring else "evaluating"

    def to_json(self) -> dict[str, Any]:
        status = self.status()
        terminal = status in ("completed", "failed")
        run = {
            "id": self.id,
            "object": "eval_run",
            "status": status,
            "eval_set_id": self.eval_set_id,
            "task_id": self.task.id,
            "name": self.name,
            "candidate_models": list(self.candidates),
            "item_count": self.item_count,
            "cost_micro_usd": self.cost_micro_usd,
            "error_detail": self.error_detail if terminal else None,
            "created_at": int(self.created),
            "completed_at": int(self.finishes_at) if terminal else None,
        }
        return {"run": run, "results": self.results if status == "completed" else []}


@dataclass
class Org:
    id: str
    api_key: str
    endpoints: dict[str, Endpoint] = field(default_factory=dict)
    eval_sets: dict[str, EvalSet] = field(default_factory=dict)
    runs: dict[str, EvalRun] = field(default_factory=dict)


@functools.cache
def default_catalog() -> Catalog:
    """The catalog is immutable, so every server in a process shares one."""
    return Catalog()


class ServerState:
    def __init__(self, config: Config | None = None, faults: list[Fault] | None = None) -> None:
        self.config = config or Config()
        self.catalog = default_catalog()
        self.matcher = TaskMatcher(TASKS)
        config = self.config
        self.meter = Meter(config.starting_balance, config.ledger_kept)
        self.faults = FaultInjector(faults or (), seed=config.seed)
        self.idempotency = IdempotencyStore(config.idempotency_ttl, config.idempotency_max_keys)
        self.rate_limiter = (
            None if config.rate_limit is None else RateLimiter(config.rate_limit, config.rate_burst)
        )
        self.signer = UploadSigner(self.config.upload_url_ttl)
        self._orgs: OrderedDict[str, Org] = OrderedDict()  # least recently used first
        self._by_id: dict[str, Org] = {}
        self._pinned: set[str] = set()
        self._lock = threading.Lock()
        self._rng = random.Random(self.config.seed)
        self.scoring = ScoringPool()
        self.started = time.time()

    def close(self) -> None:
        """Stop the scoring threads (runs in progress stop at their next batch of rows)."""
        self.scoring.close()

    def new_id(self, prefix: str, nbytes: int = 6) -> str:
        with self._lock:
            return f"{prefix}_{self._rng.getrandbits(8 * nbytes):0{2 * nbytes}x}"

    def org(self, api_key: str, *, pin: bool = False) -> Org:
        """The org behind a key, opened on first use with the starting balance.

        At most `Config.max_orgs` are kept: opening one more drops the org idle
        the longest (its key would open a fresh org). A pinned org (the
        server's own key) is never dropped.
        """
        with self._lock:
            org = self._orgs.get(api_key)
            if org is None:
                org = Org(org_id_for(api_key), api_key)
                self._seed_endpoints(org)
                self._seed_evals(org)
                self.meter.open_account(org.id)
                self._orgs[api_key] = org
                self._by_id[org.id] = org
                evicted = self._evict_idle()
            else:
                self._orgs.move_to_end(api_key)
                evicted = None
            if pin:
                self._pinned.add(api_key)
        if evicted is not None:
            self._forget(evicted)
        return org

    def org_by_id(self, org_id: str) -> Org | None:
        with self._lock:
            return self._by_id.get(org_id)

    def orgs(self) -> list[Org]:
        with self._lock:
            return list(self._orgs.values())

    def _evict_idle(self) -> Org | None:
        if len(self._orgs) <= self.config.max_orgs:
            return None
        for api_key in self._orgs:  # oldest first; pinned orgs are few
            if api_key not in self._pinned:
                org = self._orgs.pop(api_key)
                del self._by_id[org.id]
                return org
        return None  # pragma: no cover - only when every org is pinned

    def _forget(self, org: Org) -> None:
        self.meter.close_account(org.id)
        self.idempotency.forget_org(org.api_key)
        self.faults.clear(org.id)

    def mint_org(self) -> Org:
        return self.org(mint_api_key())

    def _seed_endpoints(self, org: Org) -> None:
        for endpoint_id, task_id, alias in SEED_ENDPOINTS:
            task = self.catalog.tasks[task_id]
            model = self.resolve_alias(task, alias)
            assert model is not None
            org.endpoints[endpoint_id] = Endpoint(
                endpoint_id,
                task,
                model,
                self.started,
                [(self.started, "live")],
                seed=endpoint_id not in DELETABLE_SEEDS,
            )

    def _seed_evals(self, org: Org) -> None:
        eval_set_id, task_id, _ = SEED_EVAL_SET
        run_id, candidates = SEED_RUN
        task = self.catalog.tasks[task_id]
        rows, results, cost = _seed_run(self.catalog)
        org.eval_sets[eval_set_id] = EvalSet(
            eval_set_id, task, "contract key fields (seed)", [dict(r) for r in rows], self.started
        )
        org.runs[run_id] = EvalRun(
            run_id,
            eval_set_id,
            task,
            None,
            list(candidates),
            len(rows),
            self.started,
            self.started,
            [dict(r) for r in results],
            cost,
            scored=True,  # scored ahead, with the server: it is completed from the start
            items_scored=len(rows) * len(candidates),
        )

    def resolve_alias(self, task: Task, alias: str) -> ModelRef | None:
        if alias == "recommended":
            alias = self.catalog.recommended(task)
        return self.catalog.open_model(task, alias)


@functools.cache
def _seed_run(catalog: Catalog) -> tuple[list[dict[str, Any]], list[dict[str, Any]], int]:
    """The seed eval set's rows, and its run's results and cost: the same in every org."""
    _, task_id, n = SEED_EVAL_SET
    task = catalog.tasks[task_id]
    rows: list[dict[str, Any]] = catalog.task_json(task, n)["examples"]
    models = [catalog.resolve_candidate(task, m) for m in SEED_RUN[1]]
    # Scored whole, never stopped: only a run's own progress callback can stop scoring.
    outcomes = evaluate(task, rows, {}, [m for m in models if m is not None]) or []
    return rows, [o.to_json() for o in outcomes], sum(o.cost_micro_usd for o in outcomes)
