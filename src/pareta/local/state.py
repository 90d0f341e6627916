"""The server's in-memory state: the orgs and the services every org shares.

Lifecycles are functions of the clock rather than of background tasks: an
endpoint stores its timed status transitions and an eval run its schedule, so
the state behaves the same under uvicorn, an ASGI test transport, asyncio or
trio, and nothing is left running at shutdown.
"""

from __future__ import annotations

import functools
import random
import re
import threading
import time
from collections import OrderedDict
from typing import Any

from .auth import mint_api_key, org_id_for
from .catalog import Catalog, ModelRef
from .config import Config
from .evals import evaluate
from .faults import FaultInjector
from .idempotency import IdempotencyStore
from .matcher import TaskMatcher
from .metering import Meter
from .ratelimit import RateLimiter
from .records import Endpoint, EvalRun, EvalSet, Org
from .storage import UploadSigner
from .tasks import TASKS, Task
from .work import WorkPool

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


@functools.cache
def default_catalog() -> Catalog:
    """The catalog is immutable, so every server in a process shares one."""
    return Catalog()


class ServerState:
    def __init__(self, config: Config | None = None) -> None:
        self.config = config = config or Config()
        self.catalog = default_catalog()
        self.matcher = TaskMatcher(TASKS)
        self.meter = Meter(config.balance, config.ledger_kept)
        self.faults = FaultInjector(
            config.parsed_faults(), seed=config.seed, max_per_org=config.max_faults_per_org
        )
        self.idempotency = IdempotencyStore(config.idempotency_ttl, config.idempotency_max_keys)
        self.rate_limiter = (
            None if config.rate_limit is None else RateLimiter(config.rate_limit, config.rate_burst)
        )
        self.signer = UploadSigner(self.config.upload_url_ttl)
        # The upstream's model, once named by the option or learnt from its model list.
        self.upstream_model = config.upstream_model
        self._orgs: OrderedDict[str, Org] = OrderedDict()  # least recently used first
        self._by_id: dict[str, Org] = {}
        self._pinned: set[str] = set()
        self._lock = threading.Lock()
        self._rng = random.Random(self.config.seed)
        self.work = WorkPool(config.workers, config.max_queued_per_org, config.max_queued)
        self.started = time.time()

    def close(self) -> None:
        """Stop scoring (runs in progress stop at their next chunk of rows)."""
        self.work.close()

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
        # Its runs stop and its queued work goes: nothing it started charges it after this.
        for run in list(org.runs.values()):
            run.cancelled = True
        self.work.cancel_org(org.id)
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
    outcomes = evaluate(task, rows, {}, [m for m in models if m is not None])
    return rows, [o.to_json() for o in outcomes], sum(o.cost_micro_usd for o in outcomes)
