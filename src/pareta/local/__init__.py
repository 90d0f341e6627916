"""The local Pareta server: the whole Pareta HTTP API, offline and stateful.

`pareta.local` is a faithful, in-memory implementation of every route of the
Pareta API (like stripe-mock or moto), for demos, development and tests. It
needs the `local` extra: ``pip install "pareta[local]"``.

Running it
----------
From a terminal (``pareta local serve`` runs the same thing)::

    python -m pareta.local --port 8000
    # Pareta local server running at http://127.0.0.1:8000
    # export PARETA_BASE_URL=http://127.0.0.1:8000 PARETA_API_KEY=pareta_sk_local_...

Every option is a field of `Config` (``pareta.local.config``), declared there
once with its default and help text: the command line's flags are its fields
(``--max-orgs`` for ``max_orgs``; ``python -m pareta.local --help`` lists them)
and so are the keywords of `LocalServer` and `serve`.
`main(argv)` and `serve(**options)` are the same entry points as functions.

In-process, `LocalServer` binds 127.0.0.1 on a free port in a background
thread; it works from sync, asyncio and trio code::

    from pareta.local import LocalServer

    with LocalServer(balance=1_000_000, deploy_seconds=0) as server:
        server.base_url      # "http://127.0.0.1:54321" (no trailing slash, no /v1)
        server.api_key       # "pareta_sk_local_..."

Its options are `Config`'s fields, as keywords (``deploy_seconds`` is 0.2 s
and ``eval_seconds_per_item`` 0.001 s here, so a small run completes well
within a second; the command line starts them at 3 s and 0.01 s).
Admin helpers: ``balance()``, ``set_balance(micro_usd)``, ``ledger()``,
``inject_fault(fault)``, ``clear_faults()``, ``faults()`` and ``mint_key()``
(a key for another org); the balance, ledger and inject_fault helpers take an
optional ``api_key`` to act on another org. The helpers are the operator's:
without ``api_key``, ``inject_fault`` adds a server-wide fault (it hits every
org), and ``clear_faults()`` clears every org's.

For pytest, ``pytest_plugins = ["pareta.local.pytest_plugin"]`` provides a
``pareta_local`` fixture (see `pareta.local.pytest_plugin`).

What it implements
------------------
- Orgs: every distinct ``pareta_sk_...`` key is its own org, opened on first
  use with the starting balance. A missing key, or one without the
  ``pareta_sk_`` prefix, answers 401. One org never sees another's endpoints,
  eval sets, runs or blobs: they answer 404.
- Every response, errors included, carries ``x-request-id: req_...``; errors
  are FastAPI's ``{"detail": ...}``; invalid bodies answer 422.
- Catalog: eleven tasks (text and document), each with a default scorer,
  a scoring strategy, example rows (``GET /v1/tasks/{id}?examples_n=N``) and a
  leaderboard whose quality figures are measured by running each model on the
  task's benchmark rows. Open models appear only as per-task aliases.
  ``POST /v1/tasks/match`` is a deterministic keyword matcher.
- Endpoints: deploy streams ``progress`` then ``complete`` (or ``error``) SSE
  events; status goes starting -> live. Every org has the seed endpoints the
  documentation uses (``ep_contract_kie``, ``ep_a1b2c3``, ``ep_invoice_xtract``,
  ...); they can be stopped and started, and only the two the documentation
  deletes (``ep_contract_kie``, ``ep_a1b2c3``) can be deleted: the rest answer 409.
  Every org also has the eval set ``evset_123`` and the completed run ``run_456``.
- Inference: OpenAI-compatible chat completions (JSON or data-only SSE
  ending in ``data: [DONE]``). ``model`` is an endpoint id, ``task/alias``, or
  a bare alias (first task in catalog order that has it). The built-in models
  are deterministic: extraction tasks really extract fields from the text (and
  from data-URL documents), classifiers label, and lower-ranked aliases
  deterministically drop or garble fields. A stopped or starting endpoint
  answers 503.
- Metering: inference (per token, per alias price) and eval runs (per item
  per model) debit the org's balance; an empty balance answers 402 before any
  work. An eval run reserves its estimated cost when it is created (402 when
  the balance cannot cover it) and is charged its actual cost when scored, the
  rest released. A charge is committed only once the
  response was fully handed to the client, so a request dropped by a fault or
  a client is never billed. A POST with an ``Idempotency-Key`` already
  answered (2xx) for the org is replayed
  (same status and body, streams included, header ``idempotent-replayed:
  true``) without billing; a duplicate still in flight answers 409; the same
  key on a different request (by content: multipart fields and file digests,
  parsed JSON) answers 422.
- Evals: eval sets from JSONL (multipart), documents attached inline
  (``attach-blob``) or through signed URLs, runs scored by the task's scorer
  with 95% confidence intervals (Student-t, or Wilson when the scores have no
  spread). Scoring runs on worker processes, a chunk of rows at a time in its
  org's turn, once the run's creation was delivered: its status moves from
  ``running`` to ``evaluating`` as rows are scored and to ``completed`` when
  all are (and ``eval_seconds_per_item`` has elapsed), and every other
  request is served meanwhile.
- Signed uploads: ``POST /v1/eval-sets/{id}/blob-upload-url`` with JSON
  ``{"idx", "field_name", "mime"?, "size"?}`` returns ``{"upload_url",
  "method": "PUT", "headers", "upload_id", "expires_at", "max_bytes"}``.
  ``PUT`` the bytes to ``upload_url`` (no API key: the HMAC token in the URL
  authorises exactly one upload to that set, row and field until it expires;
  anything else answers 403; more than ``size`` or ``max_upload_bytes`` bytes
  answers 413). The token is spent when its upload has arrived whole: a
  ``PUT`` cut off mid-body leaves it valid, so the retry succeeds. Then
  ``POST /v1/eval-sets/{id}/blob-upload-complete`` with ``{"idx",
  "field_name", "upload_id"?}`` attaches them.
- Metrics: ``GET /v1/endpoints/{id}/performance|uptime|cost|quality|activity``
  computed from recorded traffic, with ``window`` (``30m``, ``1h``, ``24h``,
  ``7d``; default 24h) and ``group_by`` (``hour`` or ``day``).

Admin surface
-------------
Outside ``/v1``, authorised by the org's own key, acting on that org:

- ``GET /admin/balance`` -> ``{"org_id", "balance_micro_usd", "available_micro_usd"}``;
  ``PUT`` (or ``POST``) ``/admin/balance`` with ``{"balance_micro_usd": N}`` sets it.
- ``GET /admin/ledger`` -> ``{"org_id", "entries": [...]}``, one entry per debit:
  ``id``, ``kind`` (``chat.completion`` or ``eval.run``), ``amount_micro_usd``,
  ``balance_after_micro_usd``, ``request_id``, ``idempotency_key``, ``created``,
  ``detail``.
- ``GET /admin/faults``; ``POST /admin/faults`` with ``{"spec": "..."}`` or the
  fault's fields; ``DELETE /admin/faults`` (all) or ``/admin/faults/{id}``.
  Faults belong to the org that set them and hit only its requests; an org
  lists, removes and clears its own (and sees server-wide ones). A
  server-wide fault over HTTP (``"scope": "server"``) answers 403 unless the
  server was started with ``--allow-server-faults``; ``--fault`` specs and
  `LocalServer.inject_fault` are the operator's and server-wide.
- ``POST /admin/keys`` -> ``{"api_key", "org_id"}``: a key for a new org.

Limits
------
- Rate limit (off by default): ``--rate-limit R`` (``rate_limit=R``) lets each
  org send R requests per second to ``/v1``, a token bucket holding
  ``--rate-burst`` tokens (default 10). Past it: 429 with ``{"detail": ...}``
  and ``Retry-After`` (whole seconds until a token is back, at least 1). While
  limiting is on, every ``/v1`` answer carries ``x-ratelimit-limit`` (R),
  ``x-ratelimit-remaining`` (whole tokens left) and ``x-ratelimit-reset``
  (seconds, possibly fractional, until the bucket is full again). A 429 is
  never billed and never recorded as an ``Idempotency-Key``'s answer.
- Idempotency keys: an answer is replayed for 24 hours after it was delivered
  (``--idempotency-ttl``), and each org keeps its 1,000,000 most recent keys
  (``--idempotency-max-keys``), the oldest evicted first.
- History: each org's ledger keeps its 1,000,000 most recent entries and each
  endpoint's metrics read its 100,000 most recent requests; balances are
  running totals, so they stay exact. No request scans history, and what is
  kept is held as plain tuples that the garbage collector does not walk, so
  throughput does not sink as the state grows.
- Request bodies are streamed and counted as they arrive; past its route's
  limit a body answers 413 whatever its transfer encoding (a declared
  ``Content-Length`` past it, before a byte is read). Limits:
  ``PUT /storage/...`` ``max_upload_bytes`` (64 MiB, ``--max-upload-bytes``);
  ``POST /v1/eval-sets`` and ``.../attach-blob`` ``max_upload_bytes`` + 1 MiB
  of multipart framing; ``POST /v1/chat/completions`` ``max_chat_bytes``
  (16 MiB, ``--max-chat-bytes``: documents travel inline); every other route
  ``max_json_bytes`` (1 MiB, ``--max-json-bytes``). Form fields other than
  files are at most 4 KiB. A body is never held twice: the
  ``Idempotency-Key`` fingerprint spools it (to disk past 1 MiB).
- Malformed input is a 4xx with a ``detail``, never a 500: invalid JSON,
  non-UTF-8, NaN or infinite numbers, and nesting deeper than 64 levels are
  422 (on the pydantic-validated routes deep nesting may be FastAPI's 400).
- Faults: latency at most 300 s, ``retry_after`` at most 3600 s, counts at
  most 10^9, texts at most 500 characters, all finite; an org holds at most
  ``max_faults_per_org``. ``/admin/*`` always answers strict JSON.
- Identity: one ``Authorization`` header and one ``Idempotency-Key`` per
  request (a second one, or a key also sent as ``X-Api-Key``, ``Api-Key`` or
  ``?api_key=``, is a 400); every layer uses that one reading.
- Heavy work: chat bodies past ``inline_work_bytes`` and all eval scoring run
  on ``workers`` processes, each org's jobs queued apart and served in turn;
  past ``max_queued_per_org`` jobs of one org 429, past ``max_queued`` in all
  503, both with ``Retry-After``; at most ``max_queued_runs`` eval runs per org
  wait or score. The built-in models match with RE2 (linear time) and read at
  most 1 MiB of any text.
- Connections: ``header_timeout``, ``idle_timeout``, ``body_timeout``,
  ``max_header_bytes`` (431) and ``max_connections`` (503 with
  ``Retry-After``), see `pareta.local.connections`.
- Quotas per org: ``max_stored_bytes`` of eval sets and documents (413),
  ``max_endpoints`` (409), ``max_faults_per_org`` (409); each answer names
  the option to raise.
- Orgs: every new key opens an org (about 5 kB). At most 10,000 are kept
  (``--max-orgs``, ``max_orgs``); opening one more drops the org idle the
  longest, with its balance, ledger, idempotency keys and faults, and its
  runs and queued work cancelled unbilled (its key would open a fresh org).
  The server's own key (printed at start, or ``LocalServer.api_key``) is
  never dropped.

Fault specs
-----------
One line: ``[METHOD] PATH [key=value ...]``; PATH is a glob, METHOD defaults
to any. Options:

- ``status=503`` answer this error with ``{"detail": ...}``, and
  ``retry_after=2`` adds a ``Retry-After`` header;
- ``latency=0.5`` (or ``500ms``) wait first; a client that gives up
  meanwhile is never served nor billed;
- ``drop_after=N`` deliver N SSE events and drop the connection (a plain JSON
  response is cut off inside its body);
- ``drop`` send headers promising a body, then drop the connection;
- ``count=N`` only the next N matching requests;
- ``probability=0.05`` each matching request with this chance, on the
  server's seeded RNG;
- ``detail=some_text`` the error detail (underscores become spaces).

For example ``POST /v1/chat/completions status=503 retry_after=1 count=2``,
``* /v1/endpoints/* latency=250ms``, ``POST /v1/chat/completions drop_after=3
probability=0.05``. ``/admin`` routes are never faulted.
"""

from __future__ import annotations

try:
    import fastapi  # noqa: F401
    import python_multipart  # noqa: F401
    import uvicorn  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised in a subprocess test
    raise ImportError(
        f'pareta.local needs the optional "local" dependencies ({exc.name} is missing). '
        'Install them with: pip install "pareta[local]"'
    ) from exc

from .app import create_app
from .cli import main, serve
from .config import Config
from .faults import Fault
from .server import LocalServer
from .state import ServerState

__all__ = ["Config", "Fault", "LocalServer", "ServerState", "create_app", "main", "serve"]
