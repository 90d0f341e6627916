"""``pareta endpoints``: deploy, operate and measure inference endpoints."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from ..._exceptions import ParetaError
from ..._objects.models import Endpoint
from ..console import Output
from ..progress import Stages, follow_deploy
from ..render import endpoints_table, fields_table
from . import Subparsers, command, group

if TYPE_CHECKING:
    from ... import Pareta

DIMENSIONS = ("performance", "uptime", "cost", "quality", "activity")


def register(sub: Subparsers, parents: list[argparse.ArgumentParser]) -> None:
    actions = group(sub, "endpoints", help="deploy, operate and measure endpoints")
    command(actions, "list", list_endpoints, help="every endpoint of the org", parents=parents)
    for name, handler, text in (
        ("show", show_endpoint, "one endpoint"),
        ("start", start_endpoint, "resume a stopped endpoint"),
        ("stop", stop_endpoint, "pause a live endpoint (it stops accruing cost)"),
        ("delete", delete_endpoint, "remove an endpoint"),
    ):
        command(actions, name, handler, help=text, parents=parents).add_argument(
            "endpoint_id", metavar="ENDPOINT", help="an endpoint id, e.g. ep_a1b2c3"
        )
    deploy = command(
        actions, "deploy", deploy_endpoint, help="deploy a model for a task", parents=parents
    )
    deploy.add_argument("--task", required=True, metavar="TASK", help="the task it serves")
    deploy.add_argument(
        "--model",
        default="recommended",
        metavar="MODEL",
        help="a per-task alias (default: %(default)s)",
    )
    deploy.add_argument("--name", metavar="NAME", help="the endpoint's name (default: chosen)")
    metrics = command(
        actions, "metrics", show_metrics, help="an endpoint's metrics", parents=parents
    )
    metrics.add_argument("endpoint_id", metavar="ENDPOINT", help="an endpoint id")
    metrics.add_argument(
        "--dimension", choices=DIMENSIONS, help="one dimension (default: all five)"
    )
    metrics.add_argument(
        "--param",
        action="append",
        default=[],
        type=_param,
        metavar="KEY=VALUE",
        help="a query parameter, e.g. window=7d (repeatable)",
    )


def _param(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    return key, value


def list_endpoints(pa: Pareta, args: argparse.Namespace, out: Output) -> None:
    endpoints = pa.endpoints.list()
    if out.as_json:
        out.data(endpoints)
        return
    out.show(endpoints_table(endpoints))


def show_endpoint(pa: Pareta, args: argparse.Namespace, out: Output) -> None:
    endpoint = pa.endpoints.retrieve(args.endpoint_id)
    if out.as_json:
        out.data(endpoint)
        return
    out.show(fields_table(f"Endpoint {endpoint.id}", endpoint.to_dict()))


def deploy_endpoint(pa: Pareta, args: argparse.Namespace, out: Output) -> None:
    endpoint: Endpoint | None = None
    stream = pa.endpoints.deploy(task=args.task, model=args.model, name=args.name)
    with stream, Stages(out, f"deploying {args.model} for {args.task}") as stages:
        for event in stream:
            endpoint = follow_deploy(event, stages) or endpoint
    if endpoint is None:
        raise ParetaError(
            f"the deploy stream ended without a live endpoint (request id {stream.request_id})"
        )
    if out.as_json:
        out.data(endpoint)
        return
    out.line(
        f"endpoint {endpoint.id} is {endpoint.status}: serving {endpoint.model} for {endpoint.task}"
    )
    out.line(f'try it: pareta chat {endpoint.id} "hello"')


def _status(out: Output, endpoint_id: str, body: dict[str, Any], verb: str) -> None:
    if out.as_json:
        out.data(body)
    else:
        out.line(f"endpoint {endpoint_id} {verb}: {body.get('status', 'ok')}")


def start_endpoint(pa: Pareta, args: argparse.Namespace, out: Output) -> None:
    _status(out, args.endpoint_id, pa.endpoints.start(args.endpoint_id), "started")


def stop_endpoint(pa: Pareta, args: argparse.Namespace, out: Output) -> None:
    _status(out, args.endpoint_id, pa.endpoints.stop(args.endpoint_id), "stopped")


def delete_endpoint(pa: Pareta, args: argparse.Namespace, out: Output) -> None:
    pa.endpoints.delete(args.endpoint_id)
    if out.as_json:
        out.data({"id": args.endpoint_id, "deleted": True})
    else:
        out.line(f"endpoint {args.endpoint_id} deleted")


def show_metrics(pa: Pareta, args: argparse.Namespace, out: Output) -> None:
    metrics = pa.endpoints.metrics(args.endpoint_id)
    params = dict(args.param)
    names = [args.dimension] if args.dimension else list(DIMENSIONS)
    readings = {name: getattr(metrics, name)(**params) for name in names}
    if out.as_json:
        out.data(readings[args.dimension] if args.dimension else readings)
        return
    for name, reading in readings.items():
        out.show(fields_table(f"{name} of {args.endpoint_id}", reading))
