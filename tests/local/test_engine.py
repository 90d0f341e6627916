from __future__ import annotations

from pareta.local.catalog import ModelRef, predict, solve
from pareta.local.engine import (
    degrade_fields,
    document_text,
    extract_contract,
    extract_invoice,
    extract_key_values,
    extract_pii,
    extract_receipt,
    extract_resume,
    find_dates,
    text_key,
)
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


def test_impossible_dates_are_ignored() -> None:
    assert find_dates("2026-13-01 and 2026-02-40") == ()
    assert find_dates("00/12/2026, then 2026-02-03") == ((17, "2026-02-03"),)


def test_contract_term_in_years() -> None:
    assert extract_contract("Term: 2 years from signing.")["term_months"] == 24


def test_invoice_vendor_from_a_labelled_line() -> None:
    fields = extract_invoice("INVOICE\nVendor: Katana ML, Inc.\nTotal: 30 EUR")
    assert fields["vendor"] == "Katana ML"
    assert fields["currency"] == "EUR"
    assert fields["total"] == "30"
    assert extract_invoice("INVOICE") == {}


def test_key_values_keep_the_first_label_and_add_invoice_fields() -> None:
    fields = extract_key_values("Ref: A-1\nRef: B-2\nIssued: March 3, 2026\nCost: $12.50")
    assert fields["ref"] == "A-1"
    assert fields["issued"] == "2026-03-03"
    assert fields["cost"] == "12.50"
    assert fields["total"] == fields["invoice_total"] == "12.50"
    plain = extract_key_values("Colour: blue")
    assert plain["colour"] == "blue"
    assert "total" not in plain


def test_resume_receipt_and_pii_extraction() -> None:
    resume = "Jane Doe\njane.DOE@example.com\n(555) 123-4567\n7 years of experience"
    assert extract_resume(resume) == {
        "name": "Jane Doe",
        "email": "jane.doe@example.com",
        "phone": "5551234567",
        "years_experience": 7,
    }
    assert extract_resume("no details here") == {}
    assert extract_receipt("Corner Cafe\n2026-05-01\nTotal: $9.75") == {
        "merchant": "Corner Cafe",
        "date": "2026-05-01",
        "total": "9.75",
    }
    assert extract_receipt("") == {}
    assert extract_pii("mail a@b.io or 555.123.4567, SSN 123-45-6789") == {
        "emails": ["a@b.io"],
        "phones": ["5551234567"],
        "ssns": ["123-45-6789"],
    }
    assert extract_pii("nothing personal") == {}


def test_full_fidelity_keeps_every_field_in_a_copy() -> None:
    fields = {"flag": True, "rate": 2.5}
    kept = degrade_fields(fields, "m", 1.0, "k")
    assert kept == fields
    assert kept is not fields


def test_zero_fidelity_drops_or_garbles_booleans_and_floats() -> None:
    fields = {"flag": True, "rate": 10.0}
    seen: dict[str, set[object]] = {"flag": set(), "rate": set()}
    for i in range(64):
        out = degrade_fields(fields, "weak", 0.0, text_key(str(i)))
        assert set(out) <= set(fields)
        for key, value in out.items():
            seen[key].add(value)
    # Nothing survives intact: a bool is flipped, a float is inflated by 10%.
    assert seen == {"flag": {False}, "rate": {11.0}}


def test_pdf_text_arrays_are_joined() -> None:
    pdf = b"%PDF-1.4\nBT [(Kat) -20 (ana) 15 (\\(ML\\))] TJ ET\n%%EOF"
    assert document_text(pdf) == "Katana(ML)"
