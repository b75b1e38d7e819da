"""Generated exports shaped like the IBM accounts-receivable sample, with invented ids."""

from __future__ import annotations

import csv
import random
from datetime import date, timedelta
from pathlib import Path

__all__ = ["HEADER", "write_export"]

HEADER = [
    "countryCode",
    "customerID",
    "PaperlessDate",
    "invoiceNumber",
    "InvoiceDate",
    "DueDate",
    "InvoiceAmount",
    "Disputed",
    "SettledDate",
    "PaperlessBill",
    "DaysToSettle",
    "DaysLate",
]
_START = date(2012, 1, 1)
_COUNTRIES = ("391", "406", "770", "818", "897")


def _us(day: date) -> str:
    return f"{day.month}/{day.day}/{day.year}"


def write_export(path: Path, rows: int, *, per_customer: int = 25, seed: int = 7) -> Path:
    """Write `rows` invoices, about `per_customer` each, like the AR sample's columns."""
    rng = random.Random(seed)
    customers = max(1, rows // per_customer)
    with path.open("w", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(HEADER)
        for n in range(rows):
            customer = n % customers
            typical = 20 + (customer * 7919) % 130
            issued = _START + timedelta(days=rng.randrange(730))
            due = issued + timedelta(days=30)
            late = max(0, int(rng.gauss(2, 8)))
            settled = due + timedelta(days=late - 10)
            amount = typical * rng.uniform(0.5, 1.3) * (3 if rng.random() < 0.03 else 1)
            writer.writerow(
                [
                    _COUNTRIES[customer % len(_COUNTRIES)],
                    f"{customer:05d}-{(customer * 2654435761) % 100000:05d}",
                    _us(issued),
                    f"{n:010d}",
                    _us(issued),
                    _us(due),
                    f"{amount:.2f}",
                    "No",
                    "" if rng.random() < 0.02 else _us(settled),
                    "Electronic",
                    str((settled - issued).days),
                    str(late),
                ]
            )
    return path
