"""The task definitions of the local catalog and the rows each task generates.

A task says what a model must do (extract fields with a named extractor, or
pick a label with a lexicon), how it is graded, which open aliases and
frontier baselines are ranked on it, and how to generate labelled example
rows. The rows double as the benchmark behind the leaderboard.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
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


FRONTIER: tuple[FrontierModel, ...] = (
    FrontierModel("gpt-4o", "openai", True, 0.96, 5000, 128),
    FrontierModel("gpt-4o-mini", "openai", True, 0.90, 300, 128),
    FrontierModel("gpt-4.1", "openai", True, 0.965, 4000, 1000),
    FrontierModel("o3-mini", "openai", False, 0.94, 2200, 200),
    FrontierModel("claude-sonnet-4", "anthropic", True, 0.97, 6000, 200),
    FrontierModel("claude-3-5-haiku", "anthropic", False, 0.89, 1600, 200),
    FrontierModel("gemini-1.5-pro", "google", True, 0.95, 3500, 2000),
    FrontierModel("gemini-2.0-flash", "google", True, 0.91, 250, 1000),
    FrontierModel("mistral-large", "mistral", False, 0.92, 3000, 128),
)
TEXT_BASELINES = ("gpt-4o", "claude-sonnet-4", "gemini-1.5-pro", "mistral-large")
VISION_BASELINES = ("gpt-4o", "claude-sonnet-4", "gemini-1.5-pro")

_COMPANIES = (
    "Acme Corp",
    "Globex LLC",
    "Initech Inc",
    "Umbrella Holdings",
    "Katana ML",
    "Stark Industries",
    "Wayne Enterprises",
    "Hooli Ltd",
    "Soylent Partners",
    "Vandelay Imports",
    "Pied Piper",
    "Tyrell Systems",
    "Cyberdyne Labs",
    "Wonka Foods",
    "Oscorp Group",
    "Massive Dynamic",
)
_PEOPLE = (
    "Jane Doe",
    "Ravi Patel",
    "Maria Garcia",
    "Chen Wei",
    "Amara Okafor",
    "Lukas Schmidt",
    "Sofia Rossi",
    "Kenji Sato",
    "Fatima Khan",
    "Noah Smith",
)
_STATES = ("Delaware", "New York", "California", "Texas", "Washington", "Illinois")
_MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


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


def _labelled(templates: Mapping[str, tuple[str, ...]]) -> RowMaker:
    def make(rng: random.Random) -> tuple[str, Any]:
        label = rng.choice(sorted(templates))
        text = rng.choice(templates[label]).format(
            company=rng.choice(_COMPANIES), person=rng.choice(_PEOPLE), n=rng.randint(2, 90)
        )
        return text, {"label": label}

    return make


_TICKETS = {
    "critical": (
        "Production is down for all users since {n} minutes ago, we need help immediately!",
        "URGENT: security breach suspected, customer data may be exposed at {company}.",
        "Outage: the API returns 500 for every request, payments are failing.",
    ),
    "high": (
        "Checkout is broken for some customers, they get an error at the last step.",
        "The export job fails every night since the update, our team is blocked.",
        "Login not working for {n} users after password reset.",
    ),
    "medium": (
        "The dashboard is slow to load, takes about {n} seconds.",
        "There is a bug in the report totals, minor rounding issue.",
        "Problem with the CSV import: some rows are skipped.",
    ),
    "low": (
        "Question: how do I change the email on my account?",
        "Feature request: dark mode for the admin panel would be nice.",
        "Thanks for the quick help last week, just some feedback on the docs.",
    ),
}
_TICKET_LEXICON: dict[str, dict[str, float]] = {
    "critical": {
        "down": 3,
        "outage": 3,
        "urgent": 3,
        "immediately": 2,
        "breach": 3,
        "security": 2,
        "data loss": 3,
        "payments are failing": 2,
        "all users": 2,
        "asap": 2,
    },
    "high": {"broken": 2, "fails": 2, "error": 1.5, "blocked": 2, "not working": 2, "failing": 1.5},
    "medium": {"slow": 2, "bug": 1.5, "problem": 1.5, "issue": 1.5, "skipped": 1, "minor": 1},
    "low": {
        "question": 2,
        "how do i": 2,
        "feature request": 3,
        "feedback": 2,
        "thanks": 1,
        "nice": 1,
    },
}
_MODERATION = {
    "ok": (
        "Great write-up, thanks for sharing the benchmark numbers.",
        "I disagree with the conclusion but the data is interesting.",
        "Does anyone know when the next release ships?",
    ),
    "spam": (
        "BUY NOW!!! Cheap followers, click here http://spam.example to win $1000",
        "Earn money fast from home, limited offer, click the link in my bio",
    ),
    "harassment": (
        "You are an idiot and everyone here hates you, {person}.",
        "Shut up, loser, nobody asked for your stupid opinion.",
    ),
    "violence": (
        "I will hurt you if you post that again.",
        "Someone should attack their office and burn it down.",
    ),
}
_MODERATION_LEXICON: dict[str, dict[str, float]] = {
    "spam": {
        "buy now": 3,
        "click here": 3,
        "click the link": 3,
        "win": 1,
        "cheap": 1.5,
        "earn money": 3,
        "limited offer": 2,
        "followers": 1,
    },
    "harassment": {"idiot": 3, "loser": 3, "stupid": 2, "hates you": 3, "shut up": 2},
    "violence": {"hurt you": 3, "attack": 2.5, "burn it down": 3, "kill": 3},
    "ok": {},
}
_SENTIMENT = {
    "positive": (
        "I love this product, it works great and support was excellent.",
        "Fantastic experience, would recommend {company} to anyone.",
    ),
    "negative": (
        "Terrible service, the app crashes and nobody answers, very disappointed.",
        "Worst purchase ever, I want a refund from {company}.",
    ),
    "neutral": ("The package arrived on Tuesday.", "I used the app {n} times this month."),
}
_SENTIMENT_LEXICON: dict[str, dict[str, float]] = {
    "positive": {"love": 2, "great": 2, "excellent": 2, "fantastic": 2, "recommend": 2, "happy": 2},
    "negative": {
        "terrible": 2,
        "crashes": 1.5,
        "disappointed": 2,
        "worst": 2,
        "refund": 1.5,
        "awful": 2,
        "hate": 2,
    },
    "neutral": {},
}
_DOC_TYPES = {
    "invoice": ("INVOICE\nInvoice No: INV-{n}42\nBill to: {company}\nTotal due: $1,{n}0.00",),
    "contract": (
        "AGREEMENT\nThis Agreement is entered into between {company} and Acme Corp.\n"
        "Governing law: Delaware. Term: {n} months.",
    ),
    "receipt": ("Corner Market\nThank you for shopping!\nTOTAL $1{n}.50\nCash",),
    "resume": ("{person}\nEXPERIENCE\nSenior engineer, {n} years of experience\nEDUCATION",),
    "purchase_order": ("PURCHASE ORDER\nPO number: PO-{n}77\nShip to: {company}\nQuantity: {n}",),
}
_DOC_LEXICON: dict[str, dict[str, float]] = {
    "invoice": {"invoice": 3, "bill to": 2, "total due": 2},
    "contract": {"agreement": 3, "governing law": 2, "term": 1, "between": 1},
    "receipt": {"receipt": 3, "thank you for shopping": 3, "cash": 1},
    "resume": {"experience": 2, "education": 2, "years of experience": 2},
    "purchase_order": {"purchase order": 4, "po number": 3, "ship to": 1.5},
}
_LANGUAGES = {
    "en": (
        "The weather is nice and we are going to the park with the kids.",
        "Please send the report to the team before the meeting.",
    ),
    "es": (
        "El tiempo es bueno y vamos al parque con los niños.",
        "Por favor envía el informe al equipo antes de la reunión.",
    ),
    "fr": (
        "Le temps est beau et nous allons au parc avec les enfants.",
        "Merci d'envoyer le rapport à l'équipe avant la réunion.",
    ),
    "de": (
        "Das Wetter ist schön und wir gehen mit den Kindern in den Park.",
        "Bitte schicke den Bericht vor dem Treffen an das Team.",
    ),
}
_LANGUAGE_LEXICON: dict[str, dict[str, float]] = {
    "en": {"the": 1, "and": 1, "is": 1, "we": 1, "to": 1, "please": 1, "with": 1},
    "es": {"el": 1, "es": 1, "los": 1, "por": 1, "favor": 1, "con": 1, "y": 1, "al": 1},
    "fr": {"le": 1, "est": 1, "nous": 1, "les": 1, "avec": 1, "merci": 1, "et": 1},
    "de": {"das": 1, "ist": 1, "und": 1, "wir": 1, "mit": 1, "bitte": 1, "den": 1, "dem": 1},
}


def _open(*specs: tuple[str, float, int, int]) -> tuple[OpenModel, ...]:
    return tuple(
        OpenModel(alias, fidelity, price, ctx, "twostage" if i % 3 == 2 else "rte")
        for i, (alias, fidelity, price, ctx) in enumerate(specs)
    )


TASKS: tuple[Task, ...] = (
    Task(
        id="contract-key-fields",
        title="Contract key-field extraction",
        description="Extract parties, effective and termination dates, term, fees and governing "
        "law from contracts and agreements.",
        scoring_strategy="extraction",
        default_scorer="field_f1",
        has_blob_input=False,
        extractor="contract",
        fields=(
            "parties",
            "effective_date",
            "termination_date",
            "term_months",
            "annual_fee_usd",
            "governing_law",
            "amount",
        ),
        open_models=_open(
            ("contract-kie-1", 0.93, 420, 32),
            ("contract-kie-2", 0.86, 260, 32),
            ("qwen-1", 0.91, 380, 128),
            ("qwen-2", 0.84, 220, 32),
            ("qwen-vl-2", 0.9, 450, 32),
            ("llama-1", 0.88, 350, 128),
            ("llama-2", 0.8, 180, 128),
            ("mistral-1", 0.85, 300, 32),
            ("mistral-2", 0.78, 160, 32),
            ("contract-1", 0.9, 400, 32),
            ("contract-2", 0.82, 240, 32),
            ("contract-key-fields-open-1", 0.89, 390, 32),
            ("contract-key-fields-open-2", 0.81, 210, 32),
        ),
        benchmarked=TEXT_BASELINES,
        keywords={
            "contract": 3,
            "agreement": 2.5,
            "msa": 2.5,
            "sow": 2,
            "clause": 1.5,
            "key field": 2,
            "field": 1.5,
            "party": 1.5,
            "effective": 1,
            "termination": 1,
            "governing law": 1.5,
            "term": 0.5,
            "extract": 0.5,
            "pull": 0.3,
            "legal": 1,
        },
        make_row=_contract_row,
        curated="contract-kie-1",
    ),
    Task(
        id="invoice-extraction",
        title="Invoice extraction (documents)",
        description="Read invoice PDFs and scans and extract number, dates, total, currency and "
        "vendor.",
        scoring_strategy="extraction",
        default_scorer="field_f1",
        has_blob_input=True,
        extractor="invoice",
        fields=("invoice_number", "invoice_date", "due_date", "total", "currency", "vendor"),
        open_models=_open(
            ("qwen2.5-vl-1", 0.93, 900, 32),
            ("internvl-1", 0.87, 780, 32),
            ("qwen-vl-2", 0.85, 600, 32),
            ("qwen-1", 0.9, 850, 32),
            ("pixtral-1", 0.88, 820, 128),
            ("llava-1", 0.75, 500, 8),
        ),
        benchmarked=VISION_BASELINES,
        keywords={
            "invoice": 3.5,
            "bill": 1.5,
            "vendor": 1,
            "total": 1.5,
            "line item": 1.5,
            "amount due": 1.5,
            "due date": 1,
            "date": 0.5,
            "extract": 0.5,
            "pull": 0.3,
            "pdf": 1,
            "scan": 1,
            "accounts payable": 2,
        },
        make_row=_invoice_row,
        curated="qwen2.5-vl-1",
    ),
    Task(
        id="document-extraction",
        title="Generic document field extraction",
        description="Extract labelled key-value fields (references, dates, totals, parties) from "
        "business documents such as purchase orders and notices.",
        scoring_strategy="extraction",
        default_scorer="field_f1",
        has_blob_input=True,
        extractor="key_values",
        open_models=_open(
            ("qwen-vl-1", 0.92, 880, 32),
            ("qwen-vl-2", 0.86, 600, 32),
            ("internvl-1", 0.84, 700, 32),
            ("llava-1", 0.74, 450, 8),
        ),
        benchmarked=VISION_BASELINES,
        keywords={
            "document": 2.5,
            "form": 1.5,
            "purchase order": 2,
            "key value": 2,
            "field": 1,
            "pdf": 1.5,
            "scan": 1.5,
            "extract": 0.5,
            "ocr": 2,
            "page": 1,
        },
        make_row=_document_row,
    ),
    Task(
        id="receipt-extraction",
        title="Receipt extraction (images)",
        description="Extract merchant, date and total from photographed receipts.",
        scoring_strategy="extraction",
        default_scorer="field_f1",
        has_blob_input=True,
        extractor="receipt",
        open_models=_open(
            ("qwen2.5-vl-1", 0.92, 700, 32),
            ("pixtral-1", 0.86, 650, 128),
            ("llava-1", 0.76, 400, 8),
        ),
        benchmarked=VISION_BASELINES,
        keywords={
            "receipt": 3.5,
            "merchant": 2,
            "expense": 2,
            "total": 1,
            "photo": 1,
            "store": 1,
            "purchase": 0.5,
        },
        make_row=_receipt_row,
    ),
    Task(
        id="resume-parsing",
        title="Resume parsing",
        description="Extract name, email, phone and years of experience from CVs and resumes.",
        scoring_strategy="extraction",
        default_scorer="field_f1",
        has_blob_input=True,
        extractor="resume",
        open_models=_open(
            ("qwen-vl-1", 0.91, 600, 32), ("llama-1", 0.86, 420, 128), ("phi-1", 0.78, 200, 16)
        ),
        benchmarked=VISION_BASELINES,
        keywords={
            "resume": 3.5,
            "cv": 3,
            "candidate": 2,
            "applicant": 2,
            "hiring": 1.5,
            "recruit": 1.5,
            "experience": 1,
            "parse": 1,
        },
        make_row=_resume_row,
    ),
    Task(
        id="pii-detection",
        title="PII detection",
        description="Find emails, phone numbers and social security numbers in free text.",
        scoring_strategy="extraction",
        default_scorer="field_f1",
        has_blob_input=False,
        extractor="pii",
        open_models=_open(
            ("llama-1", 0.93, 200, 128), ("gemma-1", 0.88, 120, 8), ("phi-1", 0.8, 90, 16)
        ),
        benchmarked=TEXT_BASELINES,
        keywords={
            "pii": 4,
            "personal": 2,
            "email": 1.5,
            "phone": 1.5,
            "ssn": 2.5,
            "redact": 2.5,
            "sensitive": 2,
            "privacy": 2,
            "gdpr": 2,
        },
        make_row=_pii_row,
    ),
    Task(
        id="support-ticket-classification",
        title="Support ticket urgency classification",
        description="Classify customer support tickets by urgency: critical, high, medium or low.",
        scoring_strategy="classification",
        default_scorer="accuracy",
        has_blob_input=False,
        lexicon=_TICKET_LEXICON,
        default_label="medium",
        open_models=_open(
            ("llama-1", 0.92, 150, 128),
            ("qwen-1", 0.9, 140, 32),
            ("qwen-2", 0.84, 90, 32),
            ("mistral-1", 0.86, 110, 32),
        ),
        benchmarked=TEXT_BASELINES,
        keywords={
            "support": 2.5,
            "ticket": 3,
            "urgency": 2.5,
            "priority": 2,
            "triage": 2.5,
            "helpdesk": 2.5,
            "customer": 1,
            "classify": 1,
            "escalat": 1.5,
            "route": 1,
        },
        make_row=_labelled(_TICKETS),
        curated="llama-1",
    ),
    Task(
        id="content-moderation",
        title="Content moderation",
        description="Moderate user comments: ok, spam, harassment or violence.",
        scoring_strategy="classification",
        default_scorer="accuracy",
        has_blob_input=False,
        lexicon=_MODERATION_LEXICON,
        default_label="ok",
        open_models=_open(
            ("llama-1", 0.94, 120, 128), ("gemma-1", 0.89, 80, 8), ("mistral-2", 0.83, 60, 32)
        ),
        benchmarked=TEXT_BASELINES,
        keywords={
            "moderat": 3.5,
            "comment": 2,
            "toxic": 3,
            "abuse": 2.5,
            "spam": 2.5,
            "harassment": 2.5,
            "safety": 1.5,
            "flag": 1.5,
            "hate": 2,
        },
        make_row=_labelled(_MODERATION),
    ),
    Task(
        id="sentiment-analysis",
        title="Sentiment analysis",
        description="Label reviews and feedback as positive, negative or neutral.",
        scoring_strategy="classification",
        default_scorer="accuracy",
        has_blob_input=False,
        lexicon=_SENTIMENT_LEXICON,
        default_label="neutral",
        open_models=_open(
            ("qwen-1", 0.93, 90, 32), ("gemma-1", 0.9, 60, 8), ("phi-1", 0.84, 40, 16)
        ),
        benchmarked=TEXT_BASELINES,
        keywords={
            "sentiment": 4,
            "review": 2,
            "feedback": 1.5,
            "opinion": 2,
            "positive": 1.5,
            "negative": 1.5,
            "tone": 1.5,
            "nps": 1.5,
        },
        make_row=_labelled(_SENTIMENT),
    ),
    Task(
        id="doc-classification",
        title="Document type classification",
        description="Classify business documents: invoice, contract, receipt, resume or purchase "
        "order.",
        scoring_strategy="classification",
        default_scorer="accuracy",
        has_blob_input=True,
        lexicon=_DOC_LEXICON,
        default_label="invoice",
        open_models=_open(
            ("llama-1", 0.9, 300, 128), ("qwen-2", 0.87, 220, 32), ("qwen-vl-1", 0.93, 500, 32)
        ),
        benchmarked=VISION_BASELINES,
        keywords={
            "document": 2,
            "type": 1.5,
            "classify": 1.5,
            "sort": 1.5,
            "categor": 1.5,
            "mailroom": 2.5,
            "route": 1,
            "pdf": 1,
            "scan": 1,
        },
        make_row=_labelled(_DOC_TYPES),
    ),
    Task(
        id="language-identification",
        title="Language identification",
        description="Identify the language of a text as an ISO 639-1 code (en, es, fr, de).",
        scoring_strategy="classification",
        default_scorer="exact_match",
        has_blob_input=False,
        lexicon=_LANGUAGE_LEXICON,
        default_label="en",
        open_models=_open(("gemma-1", 0.95, 40, 8), ("phi-1", 0.9, 25, 16)),
        benchmarked=TEXT_BASELINES,
        keywords={
            "language": 3.5,
            "detect": 1.5,
            "identify": 1.5,
            "locale": 2,
            "translation": 1,
            "iso": 1,
            "multilingual": 2,
        },
        make_row=_labelled(_LANGUAGES),
    ),
)
