"""What a block is given: realistic rows, model lists, fake documents, and the objects
(endpoints, eval sets, completed runs) its prelude or its example ids stand for."""

from __future__ import annotations

from typing import Any

# The catalog's document tasks (``has_blob_input``); every other task id is text.
DOC_TASKS = {
    "invoice-extraction",
    "document-extraction",
    "receipt-extraction",
    "resume-parsing",
    "doc-classification",
}
DEFAULT_TASK = "contract-key-fields"
# Pages whose examples work on a document task by default.
PAGE_TASKS = {"examples/document-extraction.md": "invoice-extraction"}

CONTRACT_ROWS = [
    {
        "input": "Effective as of January 1, 2026 between Acme Corp and Beta LLC.",
        "expected": {"effective_date": "2026-01-01", "parties": ["Acme Corp", "Beta LLC"]},
    },
    {
        "input": "This Agreement between Initech and Hooli terminates on 2027-12-31.",
        "expected": {"termination_date": "2027-12-31", "parties": ["Initech", "Hooli"]},
    },
    {
        "input": "MASTER SERVICES AGREEMENT between Globex LLC and Umbrella Inc. Term: 24 months.",
        "expected": {"term_months": 24, "parties": ["Globex LLC", "Umbrella Inc"]},
    },
]
INVOICES = [
    ("INV-4471", "2026-03-14", "1284.50", "Katana ML"),
    ("INV-4472", "2026-03-15", "962.00", "Acme Corp"),
    ("INV-4473", "2026-03-16", "89.50", "Globex LLC"),
]
DOC_ROWS = [
    {"expected": {"invoice_number": n, "invoice_date": d, "total": t, "vendor": v}}
    for n, d, t, v in INVOICES
]
MESSAGES = [
    {
        "role": "user",
        "content": "Extract the effective date: Effective as of January 1, 2026 "
        "between Acme Corp and Beta LLC.",
    }
]
MODELS = {DEFAULT_TASK: ["contract-kie-1", "contract-kie-2"]}
DOC_MODELS = ["qwen2.5-vl-1", "internvl-1"]


def models_for(task: str) -> list[str]:
    return MODELS.get(task, DOC_MODELS if task in DOC_TASKS else ["llama-1"])


def rows_for(task: str, n: int = 2) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]]
    if task == "doc-classification":
        rows = [{"expected": "invoice"}]
    else:
        rows = DOC_ROWS if task in DOC_TASKS else CONTRACT_ROWS
    return [rows[i % len(rows)] for i in range(n)]


# -- fake documents ------------------------------------------------------------------

PNG_1X1 = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d4944415478da63f8cfc0f01f0005000201a2d4a1a30000000049454e44ae426082"
)
TIFF_HEADER = b"II*\x00\x08\x00\x00\x00\x00\x00"
JPEG_START = b"\xff\xd8\xff\xe0fake-jpeg"


def _pdf_text(lines: list[str]) -> bytes:
    def esc(s: str) -> str:
        return s.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    ops = "\n".join(
        f"BT /F1 11 Tf 72 {720 - 16 * i} Td ({esc(t)}) Tj ET" for i, t in enumerate(lines)
    )
    return ops.encode("latin-1")


def _pdf_objects(stream: bytes) -> list[bytes]:
    return [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]


def fake_pdf(lines: list[str]) -> bytes:
    """A one-page PDF whose text layer holds ``lines``."""
    objs = _pdf_objects(_pdf_text(lines))
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return bytes(out)


def invoice_lines(i: int) -> list[str]:
    number, date, total, vendor = INVOICES[i % len(INVOICES)]
    return [
        vendor,
        "INVOICE",
        f"Invoice No: {number}",
        f"Invoice date: {date}",
        "Bill to: Beta LLC",
        "Consulting  1 x $" + total,
        f"Total due: ${total}",
    ]


def fake_document(path: str, i: int) -> bytes:
    low = path.lower()
    if low.endswith(".pdf"):
        return fake_pdf(invoice_lines(i))
    if low.endswith(".png"):
        return PNG_1X1
    if low.endswith((".tif", ".tiff")):
        return TIFF_HEADER
    return JPEG_START


# -- objects made for a block, with a sync client ---------------------------------------


class SpecSetup:
    """Objects a prelude or an id substitution asks for, made with a sync client."""

    def __init__(self) -> None:
        from pareta import Pareta

        self.pa = Pareta.from_env()

    def endpoint(self, task: str) -> Any:
        return self.pa.endpoints.deploy(task=task, wait=True)

    def eval_set(self, task: str, *, documents: bool = True) -> Any:
        es = self.pa.evals.sets.create(task=task, items=rows_for(task))
        if task in DOC_TASKS and documents:
            for i in range(2):
                self.pa.evals.sets.upload_document(
                    str(es.id),
                    fake_pdf(invoice_lines(i)),
                    idx=i,
                    field_name="document",
                    mime="application/pdf",
                )
        return es

    def run(self, task: str) -> Any:
        es = self.eval_set(task)
        return self.pa.evals.runs.create(
            eval_set=es.id,
            models=models_for(task),
            frontier="benchmarked",
            wait=True,
            poll_interval=0.02,
        )

    def completion(self) -> Any:
        return self.pa.chat.completions.create(model="ep_contract_kie", messages=MESSAGES)

    def stream(self) -> Any:
        return self.pa.chat.completions.create(
            model="ep_contract_kie", messages=MESSAGES, stream=True
        )

    def chunk(self) -> Any:
        return next(iter(self.stream()))

    def make(self, kind: str, task: str) -> str:
        """The id of a new object of ``kind`` ("eval_set" or "run") on ``task``."""
        made = self.eval_set(task) if kind == "eval_set" else self.run(task)
        return str(made.id)
