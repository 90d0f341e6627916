"""The task definitions of the local catalog and the rows each task generates.

A task says what a model must do (extract fields with a named extractor, or
pick a label with a lexicon), how it is graded, which open aliases and
frontier baselines are ranked on it, and how to generate labelled example
rows. The rows double as the benchmark behind the leaderboard.

The data (name pools, templates, lexicons, keyword weights, model tables) is
``data/tasks.json``, shipped in the package; the row makers are the code here.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

Row = dict[str, Any]
RowMaker = Callable[[random.Random], tuple[str, Any]]


@dataclass(frozen=True)
class OpenModel:
    alias: str
    fidelity: float
    micro_usd_per_1k_tokens: int
    context_k: int
    run_mode: str = "rte"


@dataclass(frozen=True)
class FrontierModel:
    id: str
    vendor: str
    vision: bool
    fidelity: float
    micro_usd_per_1k_tokens: int
    context_k: int


@dataclass(frozen=True)
class Task:
    id: str
    title: str
    description: str
    scoring_strategy: str  # "extraction" | "classification"
    default_scorer: str
    has_blob_input: bool
    open_models: tuple[OpenModel, ...]
    benchmarked: tuple[str, ...]
    keywords: Mapping[str, float]
    make_row: RowMaker
    extractor: str | None = None
    fields: tuple[str, ...] = ()
    lexicon: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    default_label: str = ""
    curated: str | None = None

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(self.lexicon)

    @property
    def blob_fields(self) -> tuple[str, ...]:
        return ("document", "image") if self.has_blob_input else ()


_DATA: dict[str, Any] = json.loads(
    resources.files("pareta.local").joinpath("data/tasks.json").read_text(encoding="utf-8")
)
FRONTIER: tuple[FrontierModel, ...] = tuple(FrontierModel(**m) for m in _DATA["frontier"])
_BASELINES: dict[str, tuple[str, ...]] = {k: tuple(v) for k, v in _DATA["baselines"].items()}
_COMPANIES: tuple[str, ...] = tuple(_DATA["names"]["companies"])
_PEOPLE: tuple[str, ...] = tuple(_DATA["names"]["people"])
_STATES: tuple[str, ...] = tuple(_DATA["names"]["states"])
_MONTH_NAMES: tuple[str, ...] = tuple(_DATA["names"]["months"])


def _date(rng: random.Random, year: int | None = None) -> tuple[int, int, int]:
    return (year or rng.randint(2024, 2027), rng.randint(1, 12), rng.randint(1, 28))


def _iso(d: tuple[int, int, int]) -> str:
    return f"{d[0]:04d}-{d[1]:02d}-{d[2]:02d}"


def _spoken(d: tuple[int, int, int]) -> str:
    return f"{_MONTH_NAMES[d[1] - 1]} {d[2]}, {d[0]}"


def _money(amount: float) -> str:
    return f"{amount:,.2f}"


def _contract_row(rng: random.Random) -> tuple[str, Any]:
    a, b = rng.sample(_COMPANIES, 2)
    start = _date(rng, rng.randint(2025, 2026))
    months = rng.choice((6, 12, 18, 24, 36, 48))
    end = (start[0] + (start[1] - 1 + months) // 12, (start[1] - 1 + months) % 12 + 1, start[2])
    fee = rng.randrange(5_000, 250_000, 500)
    law = rng.choice(_STATES)
    title = rng.choice(
        ("MASTER SERVICES AGREEMENT", "SOFTWARE LICENSE AGREEMENT", "CONSULTING AGREEMENT")
    )
    start_text = _spoken(start) if rng.random() < 0.6 else _iso(start)
    text = (
        f"{title}\nThis Agreement is entered into between {a} and {b}, effective as of "
        f"{start_text}.\nTerm: {months} months. This Agreement terminates on {_iso(end)} unless "
        f"renewed.\nAnnual fee: ${fee:,}, payable quarterly.\nThis Agreement is governed by the "
        f"laws of the State of {law}."
    )
    expected = {
        "parties": [a, b],
        "effective_date": _iso(start),
        "termination_date": _iso(end),
        "term_months": months,
        "annual_fee_usd": fee,
        "governing_law": law,
    }
    return text, expected


def _invoice_row(rng: random.Random) -> tuple[str, Any]:
    vendor, customer = rng.sample(_COMPANIES, 2)
    issued = _date(rng, 2026)
    due = (issued[0], issued[1] % 12 + 1, issued[2])
    symbol, code = rng.choice((("$", "USD"), ("$", "USD"), ("€", "EUR")))
    products = ("Consulting", "GPU hours", "Support plan", "Licenses")
    lines = [
        (rng.choice(products), rng.randint(1, 40), rng.randrange(2_000, 90_000) / 100)
        for _ in range(rng.randint(1, 3))
    ]
    total = round(sum(q * p for _, q, p in lines), 2)
    number = f"INV-{rng.randint(1000, 9999)}"
    body = "\n".join(f"{name}  {q} x {symbol}{_money(p)}" for name, q, p in lines)
    text = (
        f"{vendor}\nINVOICE\nInvoice No: {number}\nInvoice date: {_iso(issued)}\n"
        f"Due date: {_iso(due)}\nBill to: {customer}\n{body}\nTotal due: {symbol}{_money(total)}\n"
    )
    expected = {
        "invoice_number": number,
        "invoice_date": _iso(issued),
        "due_date": _iso(due),
        "total": f"{total:.2f}",
        "currency": code,
        "vendor": vendor,
    }
    return text, expected


def _document_row(rng: random.Random) -> tuple[str, Any]:
    kind = rng.choice(("PURCHASE ORDER", "INVOICE", "SHIPPING NOTICE"))
    ref = f"{kind[:2]}-{rng.randint(10000, 99999)}"
    when = _date(rng, 2026)
    total = rng.randrange(5_000, 500_000) / 100
    party = rng.choice(_COMPANIES)
    text = (
        f"{kind}\nReference: {ref}\nDate: {_iso(when)}\nCustomer: {party}\n"
        f"Invoice total: ${_money(total)}\n"
    )
    return text, {
        "reference": ref,
        "date": _iso(when),
        "customer": party,
        "invoice_total": f"{total:.2f}",
    }


def _receipt_row(rng: random.Random) -> tuple[str, Any]:
    merchant = rng.choice(("Blue Bottle Coffee", "Corner Market", "City Books", "Metro Pharmacy"))
    when = _date(rng, 2026)
    items = [rng.randrange(150, 4_000) / 100 for _ in range(rng.randint(1, 4))]
    total = round(sum(items), 2)
    body = "\n".join(f"Item {i + 1}  {_money(p)}" for i, p in enumerate(items))
    text = f"{merchant}\n{_spoken(when)}\n{body}\nTOTAL ${_money(total)}\nThank you for shopping!"
    return text, {"merchant": merchant, "date": _iso(when), "total": f"{total:.2f}"}


def _resume_row(rng: random.Random) -> tuple[str, Any]:
    name = rng.choice(_PEOPLE)
    email = name.lower().replace(" ", ".") + "@example.com"
    phone = f"{rng.randint(200, 999)}{rng.randint(200, 999)}{rng.randint(1000, 9999)}"
    years = rng.randint(1, 25)
    text = (
        f"{name}\n{email} | ({phone[:3]}) {phone[3:6]}-{phone[6:]}\n"
        f"Senior engineer with {years} years of experience in distributed systems.\n"
        f"EXPERIENCE\n{rng.choice(_COMPANIES)}  2019 - present"
    )
    return text, {"name": name, "email": email, "phone": phone, "years_experience": years}


def _pii_row(rng: random.Random) -> tuple[str, Any]:
    name = rng.choice(_PEOPLE)
    email = name.split()[0].lower() + f"{rng.randint(1, 99)}@mail.example.org"
    phone = f"{rng.randint(200, 999)}-{rng.randint(200, 999)}-{rng.randint(1000, 9999)}"
    ssn = f"{rng.randint(100, 899)}-{rng.randint(10, 99)}-{rng.randint(1000, 9999)}"
    text = f"Hi, this is {name}. Reach me at {email} or {phone}. My SSN is {ssn} for the form."
    return text, {"emails": [email], "phones": [phone.replace("-", "")], "ssns": [ssn]}


def _labelled(templates: Mapping[str, Sequence[str]]) -> RowMaker:
    def make(rng: random.Random) -> tuple[str, Any]:
        label = rng.choice(sorted(templates))
        text = rng.choice(templates[label]).format(
            company=rng.choice(_COMPANIES), person=rng.choice(_PEOPLE), n=rng.randint(2, 90)
        )
        return text, {"label": label}

    return make


_ROW_MAKERS: dict[str, RowMaker] = {
    "contract": _contract_row,
    "invoice": _invoice_row,
    "document": _document_row,
    "receipt": _receipt_row,
    "resume": _resume_row,
    "pii": _pii_row,
}


def _open(specs: list[list[Any]]) -> tuple[OpenModel, ...]:
    # Every third alias of a task serves through the two-stage mode.
    return tuple(
        OpenModel(alias, fidelity, price, ctx, "twostage" if i % 3 == 2 else "rte")
        for i, (alias, fidelity, price, ctx) in enumerate(specs)
    )


def _task(spec: dict[str, Any]) -> Task:
    spec = dict(spec)
    rows = spec.pop("rows")
    templates = spec.pop("templates", None)
    make_row = _labelled(_DATA["templates"][templates]) if rows == "labelled" else _ROW_MAKERS[rows]
    open_models = _open(spec.pop("open_models"))
    benchmarked = _BASELINES[spec.pop("benchmarked")]
    fields = tuple(spec.pop("fields", ()))
    return Task(
        **spec,
        open_models=open_models,
        benchmarked=benchmarked,
        fields=fields,
        make_row=make_row,
    )


TASKS: tuple[Task, ...] = tuple(_task(spec) for spec in _DATA["tasks"])
