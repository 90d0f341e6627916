"""``evals``: eval sets, eval runs, and the frontier baseline roster."""

from __future__ import annotations

import builtins
from time import monotonic
from typing import Any

import httpx

from .._baselines import parse_frontier, select_roster
from .._checks import (
    default_set_name,
    derived_key,
    path_segment,
    require_idempotency_key,
    require_index,
    require_items,
    require_models,
    require_seconds,
    require_text,
)
from .._exceptions import APITimeoutError, ParetaError, printable
from .._objects.envelopes import record, records
from .._objects.models import EvalSet, FrontierModel
from .._objects.rankings import EvalRun
from .._options import Body, Headers, Query, RequestOptions, request_options
from .._request_bodies import plain_body
from .._responses import ACCEPT_ENCODING, jsonl, storage_error
from .._row_check import check_labels, check_rows
from .._twins import AsyncDeadline, aread_path, asleep
from .._uploads import Upload, check_file_argument, is_path, read_file_like, upload_from
from ._http import AsyncAPIClient

# A run's status as a wait's error quotes it: a real one is a word.
STATUS_CHARS = 100


class AsyncEvalSets:
    # Where the resource hangs off the client: a batch job names its method by it.
    _resource = "evals.sets"

    def __init__(self, client: AsyncAPIClient) -> None:
        self._client = client

    async def create(
        self,
        *,
        task: str,
        items: builtins.list[dict[str, Any]],
        name: str | None = None,
        idempotency_key: str | None = None,
        check_items: bool | None = None,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        extra_body: Body | None = None,
        timeout: httpx.Timeout | float | None = None,
    ) -> EvalSet:
        """Bind rows to a task; they go over the wire as JSONL.

        The rows are checked first, before any request: a row without ``expected`` (the
        answer it is graded against) is a ``ValueError`` naming it, and so, when this
        client has read the task (``tasks.retrieve``), is a row missing an
        ``input_schema`` field or carrying one the task does not know. ``check_items=True``
        reads the task for that if it must (one GET per client); ``False`` sends the rows
        as they are."""
        task = require_text(task, "task")
        rows = require_items(items)
        options = request_options(extra_headers, extra_query, extra_body, timeout)
        await self._check(task, rows, check_items, options)
        answer = await self._client.request_answer(
            "POST",
            "/v1/eval-sets",
            files={"items": ("items.jsonl", jsonl(rows), "application/x-ndjson")},
            data={"task_id": task, "name": name or default_set_name(len(rows))},
            expect=dict,
            idempotency_key=require_idempotency_key(idempotency_key),
            options=options,
        )
        return answer.stamp(EvalSet(record(answer.body, "eval_set")))

    async def check_items(self, task: str, items: builtins.list[dict[str, Any]]) -> None:
        """Raise ``ValueError`` naming the first row that does not fit ``task``'s
        ``input_schema`` (the task is read once per client), before anything is created."""
        await self._check(require_text(task, "task"), require_items(items), True, None)

    async def _check(
        self,
        task: str,
        rows: builtins.list[dict[str, Any]],
        check_items: bool | None,
        options: RequestOptions | None,
    ) -> None:
        if check_items is False:
            return
        check_labels(rows)
        known = self._client.tasks_read.get(task)
        if known is None and check_items:
            path = f"/v1/tasks/{path_segment(task, 'task')}"
            lookup = None if options is None else options.without_body()
            data = await self._client.request_json("GET", path, expect=dict, options=lookup)
            known = self._client.tasks_read[task] = record(data, "task")
        if known is not None:
            check_rows(known, rows)

    async def list(
        self,
        *,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        extra_body: Body | None = None,
        timeout: httpx.Timeout | float | None = None,
    ) -> builtins.list[EvalSet]:
        answer = await self._client.request_answer(
            "GET",
            "/v1/eval-sets",
            expect=(dict, list),
            options=request_options(extra_headers, extra_query, extra_body, timeout),
        )
        return answer.stamp([EvalSet(item) for item in records(answer.body, "eval_sets")])

    async def retrieve(
        self,
        eval_set_id: str,
        *,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        extra_body: Body | None = None,
        timeout: httpx.Timeout | float | None = None,
    ) -> EvalSet:
        path = f"/v1/eval-sets/{path_segment(eval_set_id, 'eval_set_id')}"
        answer = await self._client.request_answer(
            "GET",
            path,
            expect=dict,
            options=request_options(extra_headers, extra_query, extra_body, timeout),
        )
        return answer.stamp(EvalSet(record(answer.body, "eval_set")))

    async def delete(
        self,
        eval_set_id: str,
        *,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        extra_body: Body | None = None,
        timeout: httpx.Timeout | float | None = None,
    ) -> None:
        path = f"/v1/eval-sets/{path_segment(eval_set_id, 'eval_set_id')}"
        await self._client.request_json(
            "DELETE", path, options=request_options(extra_headers, extra_query, extra_body, timeout)
        )

    async def upload_document(
        self,
        eval_set_id: str,
        file: Any,
        *,
        idx: int,
        field_name: str,
        mime: str | None = None,
        idempotency_key: str | None = None,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        extra_body: Body | None = None,
        timeout: httpx.Timeout | float | None = None,
    ) -> dict[str, Any]:
        """Attach a document to row ``idx``'s ``field_name``: inline under 5 MiB, else
        through a signed storage URL. Returns the final call's response dict.
        The per-request options apply to the API calls, never to the storage upload."""
        base = f"/v1/eval-sets/{path_segment(eval_set_id, 'eval_set_id')}"
        check_file_argument(file)
        fields = {
            "idx": require_index(idx, "idx"),
            "field_name": require_text(field_name, "field_name"),
        }
        key = require_idempotency_key(idempotency_key)
        options = request_options(extra_headers, extra_query, extra_body, timeout)
        upload = await self._read(file, mime)
        if upload.inline:
            data = await self._client.request_json(
                "POST",
                f"{base}/attach-blob",
                files={"file": (upload.filename, upload.content, upload.mime)},
                data={**fields, "mime": upload.mime},
                idempotency_key=key,
                options=options,
            )
        else:
            data = await self._upload_signed(base, upload, fields, key, options)
        return data if isinstance(data, dict) else {"result": data}

    async def _read(self, file: Any, mime: str | None) -> Upload:
        if is_path(file):
            return upload_from(await aread_path(file), str(file), mime)
        if isinstance(file, (bytes, bytearray, memoryview)):
            return upload_from(file, None, mime)
        content, name = read_file_like(file)
        return upload_from(content, name, mime)

    async def _upload_signed(
        self,
        base: str,
        upload: Upload,
        fields: dict[str, Any],
        key: str | None,
        options: RequestOptions | None,
    ) -> Any:
        body = {**fields, "mime": upload.mime, "size": len(upload.content)}
        ticket = await self._client.request_json(
            "POST",
            f"{base}/blob-upload-url",
            json=body,
            expect=dict,
            idempotency_key=derived_key(key, "url"),
            options=None if options is None else options.without_body(),
        )
        url = ticket.get("upload_url")
        if not isinstance(url, str):
            raise ParetaError(
                printable(f"blob-upload-url answered without an upload_url: {ticket!r}")
            )
        await self._put(url, upload, ticket.get("headers"))
        completion = {k: v for k, v in ticket.items() if k not in ("upload_url", "headers")}
        return await self._client.request_json(
            "POST",
            f"{base}/blob-upload-complete",
            json={**body, **completion},
            idempotency_key=derived_key(key, "complete"),
            options=options,
        )

    async def _put(self, url: str, upload: Upload, extra_headers: Any) -> None:
        # Storage authorises the signed URL alone: the API key must never travel there.
        headers = {"Content-Type": upload.mime, "Accept-Encoding": ACCEPT_ENCODING}
        if isinstance(extra_headers, dict):
            headers.update({str(k): str(v) for k, v in extra_headers.items()})
        request = plain_body(
            self._client.http_client.build_request(
                "PUT", url, content=upload.content, headers=headers
            )
        )
        request.headers.pop("Authorization", None)
        route = f"PUT {request.url.host}{request.url.path}"
        try:
            await self._client.send(request)
        except ParetaError as exc:
            raise storage_error(exc, route) from exc


class AsyncEvalRuns:
    # Where the resource hangs off the client: a batch job names its method by it.
    _resource = "evals.runs"

    def __init__(self, client: AsyncAPIClient, evals: AsyncEvals) -> None:
        self._client = client
        self._evals = evals

    async def create(
        self,
        *,
        eval_set: str | None = None,
        task: str | None = None,
        items: builtins.list[dict[str, Any]] | None = None,
        models: builtins.list[str],
        frontier: str | builtins.list[str] | None = None,
        name: str | None = None,
        wait: bool = False,
        poll_interval: float = 3.0,
        timeout: float = 900.0,
        idempotency_key: str | None = None,
        check_items: bool | None = None,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        extra_body: Body | None = None,
    ) -> EvalRun:
        """Evaluate open ``models`` (plus ``frontier`` baselines) on an eval set, or on
        ``task`` + ``items`` created inline. ``wait=True`` polls until the run is terminal.

        Inline ``items`` are checked first, as by ``sets.create`` (``check_items``).
        ``timeout`` is the wait's; a per-request timeout comes from
        ``client.with_options(timeout=...)`` here.
        ``extra_headers`` and ``extra_query`` go with every request the call makes,
        ``extra_body`` with the run's own ``POST``."""
        candidates = require_models(models)
        options = request_options(extra_headers, extra_query, extra_body, None)
        others = None if options is None else options.without_body()
        baselines = parse_frontier(frontier)
        key = require_idempotency_key(idempotency_key)
        poll_interval = require_seconds(poll_interval, "poll_interval")
        timeout = require_seconds(timeout, "timeout")
        rows: builtins.list[dict[str, Any]] | None = None
        if eval_set is not None:
            eval_set = require_text(eval_set, "eval_set")
            if items is not None:
                raise ValueError("pass either eval_set=<id> or task=... + items=..., not both")
        elif task is None or items is None:
            raise ValueError(
                "runs.create needs eval_set=<id>, or task=... and items=[...] to create one inline"
            )
        else:
            task = require_text(task, "task")
            rows = require_items(items)
            await self._evals.sets._check(task, rows, check_items, others)
        if isinstance(baselines, str):
            baselines = await self._resolve_roster(baselines, task, eval_set, others)
        if not candidates and not baselines:
            raise ValueError("models is empty and no frontier ids resolved: nothing to evaluate")
        if rows is not None and task is not None:
            created = await self._evals.sets.create(
                task=task,
                items=rows,
                name=name,
                idempotency_key=derived_key(key, "set"),
                check_items=False,  # checked above, before the roster was read
                extra_headers=extra_headers,
                extra_query=extra_query,
            )
            eval_set = require_text(created.id, "the created eval set's id")
        body: dict[str, Any] = {
            "eval_set_id": eval_set,
            "candidate_model_ids": candidates + baselines,
        }
        if name is not None:
            body["name"] = name
        answer = await self._client.request_answer(
            "POST", "/v1/eval-runs", json=body, expect=dict, idempotency_key=key, options=options
        )
        run = answer.stamp(EvalRun(answer.body))
        if not wait:
            return run
        run_id = require_text(run.id, "the run id the server returned")
        return await self.wait(
            run_id,
            poll_interval=poll_interval,
            timeout=timeout,
            extra_headers=extra_headers,
            extra_query=extra_query,
        )

    async def _resolve_roster(
        self, keyword: Any, task: str | None, eval_set: str | None, options: RequestOptions | None
    ) -> builtins.list[str]:
        headers = query = None
        if options is not None:
            headers, query = options.extra_headers, options.extra_query
        if task is None and eval_set is not None:
            found = await self._evals.sets.retrieve(
                eval_set, extra_headers=headers, extra_query=query
            )
            task = found.task_id
        if not task:
            raise ValueError(
                f"frontier={keyword!r} needs a task to resolve against: pass task=..., or an "
                "eval_set whose task is known, or an explicit list of frontier ids"
            )
        roster = await self._evals.frontier_models(
            task=task, extra_headers=headers, extra_query=query
        )
        return select_roster(roster, keyword)

    async def retrieve(
        self,
        run_id: str,
        *,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        extra_body: Body | None = None,
        timeout: httpx.Timeout | float | None = None,
    ) -> EvalRun:
        path = f"/v1/eval-runs/{path_segment(run_id, 'run_id')}"
        answer = await self._client.request_answer(
            "GET",
            path,
            expect=dict,
            options=request_options(extra_headers, extra_query, extra_body, timeout),
        )
        return answer.stamp(EvalRun(answer.body))

    async def wait(
        self,
        run_id: str,
        *,
        poll_interval: float = 3.0,
        timeout: float = 900.0,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        extra_body: Body | None = None,
    ) -> EvalRun:
        """Poll until the run is completed or failed; a failed run is returned, not raised.

        Raises ``ParetaError`` when ``timeout`` seconds pass first (the run goes on).
        The per-request options go with every poll; ``timeout`` is the wait's own."""
        require_text(run_id, "run_id")
        poll_interval = require_seconds(poll_interval, "poll_interval")
        timeout = require_seconds(timeout, "timeout")
        deadline = monotonic() + timeout
        status: str | None = None
        try:
            # The deadline holds over a poll too: a slow answer ends at it, not after it.
            with AsyncDeadline(deadline):
                while True:
                    run = await self.retrieve(
                        run_id,
                        extra_headers=extra_headers,
                        extra_query=extra_query,
                        extra_body=extra_body,
                    )
                    if run.is_terminal:
                        return run
                    status = run.status
                    remaining = deadline - monotonic()
                    if remaining <= 0:
                        raise TimeoutError
                    await asleep(min(poll_interval, remaining))
        except (TimeoutError, APITimeoutError) as exc:
            if isinstance(exc, APITimeoutError) and monotonic() < deadline:
                raise  # the poll's own call_timeout, not the wait's
            raise ParetaError(
                printable(
                    f"eval run {run_id} did not finish within {timeout:g}s (last status "
                    f"'{printable(status, STATUS_CHARS)}'); it keeps running server-side, "
                    f"so fetch it later with evals.runs.retrieve({run_id!r})"
                )
            ) from None


class AsyncEvals:
    # Where the resource hangs off the client: a batch job names its method by it.
    _resource = "evals"

    def __init__(self, client: AsyncAPIClient) -> None:
        self._client = client
        self.sets = AsyncEvalSets(client)
        self.runs = AsyncEvalRuns(client, self)

    async def frontier_models(
        self,
        task: str | None = None,
        *,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        extra_body: Body | None = None,
        timeout: httpx.Timeout | float | None = None,
    ) -> builtins.list[FrontierModel]:
        """The vendor baseline roster; with ``task``, annotated and capability-filtered."""
        params = None if task is None else {"task": require_text(task, "task")}
        answer = await self._client.request_answer(
            "GET",
            "/v1/eval/frontier-models",
            params=params,
            expect=(dict, list),
            options=request_options(extra_headers, extra_query, extra_body, timeout),
        )
        models = [FrontierModel(item) for item in records(answer.body, "frontier_models")]
        return answer.stamp(models)
