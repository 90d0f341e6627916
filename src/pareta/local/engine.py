"""The deterministic built-in models: regex extractors and keyword classifiers.

Every alias runs the same task logic; what tells aliases apart is their
*fidelity*: a lower-fidelity model deterministically drops or garbles some
fields (or picks a wrong label), decided by a hash of the model, the field and
the input. So the same input always gets the same answer, and an eval measures
a real, repeatable quality gap.
"""

from __future__ import annotations

import bisect
import functools
import hashlib
import itertools
import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from .patterns import WORD, Pattern, linear, linear_bytes, search_in

JSONValue = Any
Fields = dict[str, JSONValue]

_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
_MONTH_RE = "|".join(sorted(_MONTHS, key=len, reverse=True))
_DATE_PATTERNS: tuple[tuple[Pattern, str], ...] = (
    (linear(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b"), "ymd"),
    (
        linear(
            rf"\b({_MONTH_RE})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})\b",
            ignore_case=True,
        ),
        "mdy",
    ),
    (
        linear(
            rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+({_MONTH_RE})\.?,?\s+(\d{{4}})\b",
            ignore_case=True,
        ),
        "dmy",
    ),
    (linear(r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b"), "us"),
)
_MONEY_RE = linear(
    r"(?:(?:USD|EUR|GBP)\s?|[$€£])\s?(\d[\d,]*(?:\.\d+)?)|(\d[\d,]*(?:\.\d+)?)\s?(?:USD|EUR|GBP)"
)
_ENTITY = rf"([A-Z][{WORD}&.,'-]*(?:\s+(?:[A-Z][{WORD}&.,'-]*|of|&))*)"
# The models read at most this much of any text, as of any document.
MAX_SCAN_CHARS = 1 << 20
# The first lines that may name a vendor, and the label lines read for generic fields.
VENDOR_LINES = 50
LABEL_LINES = 1000


def count_tokens(text: str) -> int:
    """Approximate a tokenizer: about four characters per token."""
    return max(1, (len(text) + 3) // 4)


def unit_hash(*parts: str) -> float:
    """A stable number in [0, 1) derived from the parts."""
    digest = hashlib.blake2b("\x1f".join(parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def _iso(year: int, month: int, day: int) -> str | None:
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    return f"{year:04d}-{month:02d}-{day:02d}"


@functools.lru_cache(maxsize=8)
def find_dates(text: str) -> tuple[tuple[int, str], ...]:
    """Every date in the text as (offset, ISO date), in order of appearance.

    Remembered for the last few texts: one extraction asks for a text's dates
    several times, and a long text's dates are the costly part.
    """
    found: dict[int, str] = {}
    for pattern, order in _DATE_PATTERNS:
        for m in pattern.finditer(text):
            a, b, c = m.groups()
            if order == "ymd":
                iso = _iso(int(a), int(b), int(c))
            elif order == "mdy":
                iso = _iso(int(c), _MONTHS[a.lower()], int(b))
            elif order == "dmy":
                iso = _iso(int(c), _MONTHS[b.lower()], int(a))
            else:
                iso = _iso(int(c), int(a), int(b))
            if iso is not None and m.start() not in found:
                found[m.start()] = iso
    return tuple(sorted(found.items()))


def _date_near(text: str, cue: Pattern, window: int = 80) -> str | None:
    dates = find_dates(text)
    offsets = [offset for offset, _ in dates]
    for cue_match in cue.finditer(text):
        # The first date at or after the cue's start (less 10), if it is close enough.
        i = bisect.bisect_left(offsets, cue_match.start() - 10)
        if i < len(dates) and dates[i][0] <= cue_match.end() + window:
            return dates[i][1]
    return None


def normalize_amount(raw: str) -> str:
    """'$1,284.50' -> '1284.50', '5,000' -> '5000'."""
    return raw.replace(",", "").strip()


def _money_after(text: str, cue: Pattern, window: int = 60) -> str | None:
    for cue_match in cue.finditer(text):
        m = search_in(_MONEY_RE, text, cue_match.end(), cue_match.end() + window)
        if m:
            return normalize_amount(m.group(1) or m.group(2))
    return None


def _clean_entity(raw: str) -> str:
    # A capitalised word after a sentence break belongs to the next sentence.
    raw = re.split(r"[.,;:]\s", raw, maxsplit=1)[0]
    return raw.strip(" ,.;:()\"'").strip()


_PARTIES_PATTERNS = (
    linear(rf"\bbetween\s+{_ENTITY}\s*(?:\([^)]*\))?,?\s+and\s+{_ENTITY}"),
    linear(rf"\bby\s+{_ENTITY}\s+for\s+{_ENTITY}"),
    linear(rf"\b{_ENTITY}\s+agrees\s+to\s+pay\s+{_ENTITY}"),
)
_EFFECTIVE = linear(r"effective|dated|commenc|entered into|made on", ignore_case=True)
_TERMINATION = linear(r"terminat|expir|end date|ends on|until", ignore_case=True)
_GOVERNING = linear(
    r"governed by (?:and construed in accordance with )?the laws? of (?:the )?"
    rf"(?:State of |Commonwealth of )?([A-Z][{WORD}]*(?:\s+[A-Z][{WORD}]*)*)"
)
_TERM_MONTHS = linear(r"\bterm\b[^.\n]{0,30}?(\d{1,3})\s*(?:-\s*)?months?", ignore_case=True)
_TERM_YEARS = linear(r"\bterm\b[^.\n]{0,30}?(\d{1,2})\s*(?:-\s*)?years?", ignore_case=True)
_FEE = linear(r"\b(?:annual fee|fee|fees|price|consideration)\b", ignore_case=True)
_PAYMENT = linear(r"\b(?:pay|payment|total|amount|due|fee|sum of)\b", ignore_case=True)


def extract_contract(text: str) -> Fields:
    fields: Fields = {}
    for pattern in _PARTIES_PATTERNS:
        m = pattern.search(text)
        if m:
            fields["parties"] = [_clean_entity(m.group(1)), _clean_entity(m.group(2))]
            break
    effective = _date_near(text, _EFFECTIVE)
    if effective:
        fields["effective_date"] = effective
    termination = _date_near(text, _TERMINATION)
    if termination and termination != effective:
        fields["termination_date"] = termination
    law = _GOVERNING.search(text)
    if law:
        fields["governing_law"] = law.group(1)
    months = _TERM_MONTHS.search(text)
    years = _TERM_YEARS.search(text)
    if months:
        fields["term_months"] = int(months.group(1))
    elif years:
        fields["term_months"] = int(years.group(1)) * 12
    fee = _money_after(text, _FEE)
    if fee is not None:
        fields["annual_fee_usd"] = _as_number(fee)
    amount = _money_after(text, _PAYMENT) or _first_money(text)
    if amount is not None:
        fields["amount"] = amount
    return fields


def _first_money(text: str) -> str | None:
    m = _MONEY_RE.search(text)
    return normalize_amount(m.group(1) or m.group(2)) if m else None


def _as_number(raw: str) -> int | float:
    value = float(raw)
    return int(value) if value.is_integer() else value


_INVOICE_NUMBER = linear(
    r"\b(?:invoice\s*(?:no\.?|number|#)|inv\s*#)\s*:?\s*([A-Z0-9][A-Z0-9-]*)|\b(INV-\d+)\b",
    ignore_case=True,
)
_INVOICE_DATE = linear(r"\b(?:invoice date|date of issue|issued|date)\b", ignore_case=True)
_DUE_DATE = linear(r"\b(?:due date|due by|payment due|due)\b", ignore_case=True)
_TOTAL = linear(r"\b(?:total due|amount due|grand total|balance due|total)\b", ignore_case=True)
_VENDOR = linear(
    r"^\s*(?:vendor|from|seller|supplier|bill from|merchant)\s*:\s*(.+)$",
    ignore_case=True,
    multiline=True,
)
_CURRENCIES = (
    ("€", "EUR"),
    ("EUR", "EUR"),
    ("£", "GBP"),
    ("GBP", "GBP"),
    ("$", "USD"),
    ("USD", "USD"),
)
_HEADER_WORDS = linear(r"^(?:invoice|receipt|tax invoice|statement|bill)\b", ignore_case=True)


def _lines(text: str) -> Iterator[str]:
    """The text's lines, found one at a time (a caller reading the first few reads no more)."""
    start = 0
    while start < len(text):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end
        yield text[start:end]
        start = end + 1


def _vendor(text: str) -> str | None:
    m = _VENDOR.search(text)
    if m:
        return _clean_entity(m.group(1))
    for line in itertools.islice(_lines(text), VENDOR_LINES):
        line = line.strip()
        if line and ":" not in line and not _HEADER_WORDS.match(line) and not find_dates(line):
            return _clean_entity(line)
    return None


def extract_invoice(text: str) -> Fields:
    fields: Fields = {}
    number = _INVOICE_NUMBER.search(text)
    if number:
        fields["invoice_number"] = (number.group(1) or number.group(2)).upper()
    due = _date_near(text, _DUE_DATE, window=40)
    issued = _date_near(text, _INVOICE_DATE, window=40)
    dates = [iso for _, iso in find_dates(text)]
    if issued is None or issued == due:
        issued = next((d for d in dates if d != due), None)
    if issued:
        fields["invoice_date"] = issued
    if due:
        fields["due_date"] = due
    total = _money_after(text, _TOTAL) or _first_money(text)
    if total is not None:
        fields["total"] = total
    for symbol, code in _CURRENCIES:
        if symbol in text:
            fields["currency"] = code
            break
    vendor = _vendor(text)
    if vendor:
        fields["vendor"] = vendor
    return fields


_LABEL_VALUE = linear(r"^\s*([A-Za-z][A-Za-z0-9 _/#.-]{0,40}?)\s*:\s*(.+?)\s*$", multiline=True)


def extract_key_values(text: str) -> Fields:
    """Generic document fields: every 'Label: value' line, plus totals and dates."""
    fields: Fields = {}
    for m in itertools.islice(_LABEL_VALUE.finditer(text), LABEL_LINES):
        key = re.sub(r"[^a-z0-9]+", "_", m.group(1).lower()).strip("_")
        value = m.group(2)
        money = _MONEY_RE.fullmatch(value.strip())
        if money:
            value = normalize_amount(money.group(1) or money.group(2))
        else:
            dates = find_dates(value)
            if dates and len(value) <= 30:
                value = dates[0][1]
        if key and key not in fields:
            fields[key] = value
    invoice = extract_invoice(text)
    if "total" in invoice:
        fields.setdefault("total", invoice["total"])
        fields.setdefault("invoice_total", invoice["total"])
    for key in ("invoice_number", "invoice_date", "vendor", "currency"):
        if key in invoice:
            fields.setdefault(key, invoice[key])
    return fields


_EMAIL = linear(rf"\b[{WORD}.+-]+@[{WORD}-]+(?:\.[{WORD}-]+)+\b")
# RE2 has no look-behind: the character before a phone number is matched, not looked at.
_PHONE = linear(rf"(?:^|[^{WORD}])((?:\+?\d{{1,2}}[ .-]?)?\(?\d{{3}}\)?[ .-]\d{{3}}[ .-]\d{{4}})\b")
_YEARS = linear(r"(\d{1,2})\+?\s+years?(?:\s+of)?\s+experience", ignore_case=True)
_NAME = linear(r"^\s*(?:name\s*:\s*)?([A-Z][a-z]+(?:\s+[A-Z][a-z]+){1,2})\s*$", multiline=True)


def extract_resume(text: str) -> Fields:
    fields: Fields = {}
    name = _NAME.search(text)
    if name:
        fields["name"] = name.group(1)
    email = _EMAIL.search(text)
    if email:
        fields["email"] = email.group(0).lower()
    phone = _PHONE.search(text)
    if phone:
        fields["phone"] = re.sub(r"\D", "", phone.group(1))[-10:]
    years = _YEARS.search(text)
    if years:
        fields["years_experience"] = int(years.group(1))
    return fields


def extract_receipt(text: str) -> Fields:
    fields: Fields = {}
    merchant = _vendor(text)
    if merchant:
        fields["merchant"] = merchant
    dates = find_dates(text)
    if dates:
        fields["date"] = dates[0][1]
    total = _money_after(text, _TOTAL) or _first_money(text)
    if total is not None:
        fields["total"] = total
    return fields


_SSN = linear(r"\b\d{3}-\d{2}-\d{4}\b")


def extract_pii(text: str) -> Fields:
    fields: Fields = {}
    emails = sorted({m.group(0).lower() for m in _EMAIL.finditer(text)})
    phones = sorted({re.sub(r"\D", "", m.group(1))[-10:] for m in _PHONE.finditer(text)})
    ssns = sorted({m.group(0) for m in _SSN.finditer(text)})
    if emails:
        fields["emails"] = emails
    if phones:
        fields["phones"] = phones
    if ssns:
        fields["ssns"] = ssns
    return fields


Extractor = Callable[[str], Fields]

EXTRACTORS: dict[str, Extractor] = {
    "contract": extract_contract,
    "invoice": extract_invoice,
    "key_values": extract_key_values,
    "resume": extract_resume,
    "receipt": extract_receipt,
    "pii": extract_pii,
}

_WORD = re.compile(r"[a-z0-9']+")


def classify(text: str, lexicon: Mapping[str, Mapping[str, float]], default: str) -> str:
    """The label whose cue words weigh most in the text; `default` when none match."""
    lowered = text.lower()
    words = set(_WORD.findall(lowered))
    best, best_score = default, 0.0
    for label, cues in lexicon.items():
        score = sum(
            w for cue, w in cues.items() if (cue in lowered if " " in cue else cue in words)
        )
        if score > best_score:
            best, best_score = label, score
    return best


# ---------------------------------------------------------------------------
# fidelity: how a weaker model gets things wrong, deterministically


def _garble(value: JSONValue, salt: float) -> JSONValue:
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1 + int(salt * 9)
    if isinstance(value, float):
        return round(value * 1.1, 2)
    if isinstance(value, list):
        return value[:-1] if len(value) > 1 else [*value, "Unknown"]
    text = str(value)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        day = int(text[-2:])
        return f"{text[:-2]}{(day % 28) + 1:02d}"
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return str(_as_number(text) * 10 if salt < 0.5 else _as_number(text) + 1)
    return text[: max(1, len(text) // 2)] if len(text) > 2 else text + "?"


def degrade_fields(fields: Fields, model: str, fidelity: float, text_key: str) -> Fields:
    """Drop or garble each field with probability 1 - fidelity, deterministically."""
    if fidelity >= 1.0:
        return dict(fields)
    out: Fields = {}
    for key, value in fields.items():
        u = unit_hash(model, key, text_key)
        if u < fidelity:
            out[key] = value
        elif unit_hash(model, key, text_key, "how") < 0.5:
            out[key] = _garble(value, u)
    return out


def degrade_label(
    label: str, labels: Sequence[str], model: str, fidelity: float, text_key: str
) -> str:
    u = unit_hash(model, "label", text_key)
    if u < fidelity or len(labels) < 2:
        return label
    others = [candidate for candidate in labels if candidate != label]
    return others[int(unit_hash(model, "pick", text_key) * len(others))]


def text_key(text: str) -> str:
    """A short fingerprint of an input, so hashing per field does not rehash long text."""
    return hashlib.blake2b(text.encode(errors="replace"), digest_size=8).hexdigest()


def render_output(output: Fields | str) -> str:
    """What a model says in a chat completion: JSON for fields, the bare label otherwise."""
    if isinstance(output, str):
        return output
    return json.dumps(output, ensure_ascii=False)


_PDF_TEXT = linear_bytes(rb"\(((?:\\.|[^\\)])*)\)\s*Tj|\[((?:[^\]])*)\]\s*TJ")
_PDF_STRING = linear_bytes(rb"\(((?:\\.|[^\\)])*)\)")
_PDF_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"(": b"(", b")": b")", b"\\": b"\\"}


def _pdf_unescape(raw: bytes) -> bytes:
    return re.sub(rb"\\(.)", lambda m: _PDF_ESCAPES.get(m.group(1), m.group(1)), raw)


def document_text(data: bytes) -> str:
    """The text a model reads from an attached document.

    Uncompressed PDF text operators (`(...) Tj`, one line each) are read as a
    PDF viewer would show them; anything else is read as UTF-8 text. Images
    without text carry nothing a regex model can read, which the scorer then
    measures honestly.
    """
    data = data[:MAX_SCAN_CHARS]
    if data.startswith(b"%PDF"):
        lines: list[bytes] = []
        for m in _PDF_TEXT.finditer(data):
            if m.group(1) is not None:
                lines.append(_pdf_unescape(m.group(1)))
            else:
                lines.append(b"".join(_pdf_unescape(s) for s in _PDF_STRING.findall(m.group(2))))
        return b"\n".join(lines).decode("latin-1")
    return data.decode("utf-8", errors="ignore")
