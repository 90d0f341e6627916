from __future__ import annotations

from pareta.local.catalog import ModelRef, predict, solve
from pareta.local.engine import document_text, extract_contract, extract_invoice, find_dates
from pareta.local.state import default_catalog


def test_contract_examples_from_the_docs() -> None:
    assert (
        extract_contract("Effective as of January 1, 2026, ...")["effective_date"] == "2026-01-01"
    )
    assert extract_contract("This Agreement terminates on 2027-12-31 ...")["termination_date"] == (
        "2027-12-31"
    )
    assert extract_contract("Agreement between A and B...")["parties"] == ["A", "B"]
    assert extract_contract("This SOW is by C for D...")["parties"] == ["C", "D"]
    fields = extract_contract("MASTER SERVICES AGREEMENT ... Term: 24 months ... Fee: $48,000")
    assert fields["term_months"] == 24
    assert fields["annual_fee_usd"] == 48000
    assert extract_contract("Acme Corp agrees to pay $5,000 net 30.")["amount"] == "5000"
    assert extract_contract("Total due: $1,200 by 2026-07-01.")["amount"] == "1200"


def test_invoice_extraction() -> None:
    text = "Katana ML\nINVOICE\nInvoice No: INV-4471\nInvoice date: 2026-03-14\nTotal: $1,284.50"
    assert extract_invoice(text) == {
        "invoice_number": "INV-4471",
        "invoice_date": "2026-03-14",
        "total": "1284.50",
        "currency": "USD",
        "vendor": "Katana ML",
    }
    assert (
        extract_invoice("What is the invoice total?\n\nINVOICE\nTotal due: $4,210.00")["total"]
        == "4210.00"
    )


def test_dates_in_many_formats() -> None:
    found = [iso for _, iso in find_dates("on 3 March 2026, Jan 5, 2025 and 12/31/2027")]
    assert found == ["2026-03-03", "2025-01-05", "2027-12-31"]


def test_pdf_text_is_read() -> None:
    pdf = b"%PDF-1.4\nBT (Katana ML) Tj ET\nBT (Total due: $1,240.00) Tj ET\n%%EOF"
    assert document_text(pdf) == "Katana ML\nTotal due: $1,240.00"


def test_aliases_differ_deterministically() -> None:
    catalog = default_catalog()
    task = catalog.tasks["contract-key-fields"]
    strong = catalog.open_model(task, "contract-kie-1")
    weak = ModelRef("weak", "open", 0.3, 100, False)
    assert strong is not None
    rows = [
        f"Agreement between Acme Corp and Globex LLC effective as of 2026-0{m}-1{m}. "
        f"Term: {m * 6} months. Fee: ${m},000."
        for m in range(1, 10)
    ]
    perfect = [solve(task, r) for r in rows]
    assert [predict(task, weak, r) for r in rows] == [predict(task, weak, r) for r in rows]
    kept_strong = sum(predict(task, strong, r) == p for r, p in zip(rows, perfect, strict=True))
    kept_weak = sum(predict(task, weak, r) == p for r, p in zip(rows, perfect, strict=True))
    assert kept_strong > kept_weak
