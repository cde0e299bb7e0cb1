"""Number registers (sổ đăng ký văn bản): official numbers such as "05/QĐ-UBND".

One register per issuing body, calendar year and document code, starting at 01. A number is
taken inside the caller's transaction: the register row's counter is raised with
``UPDATE … RETURNING``, which holds the row lock until the transaction ends, so two decisions
signed at once never share a number, and a transaction that rolls back gives its number back
(no gaps). On SQLite the write transaction (``BEGIN IMMEDIATE``) already serialises writers.
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from service.audit.log import utcnow
from service.db.models import IssuedNumber, NumberRegister
from service.db.session import WRITE_OPTION

# The register code is ASCII ("QD-UBND"); its display form is Vietnamese ("QĐ-UBND"). The
# tokens below are the data that turns one into the other (Nghị định 30/2020, Phụ lục III);
# a token not listed is shown as written. The display form is stored on the register when it
# is created, so a later change here does not rewrite numbers already given out.
DISPLAY_TOKENS: dict[str, str] = {
    # kinds of document
    "QD": "QĐ",
    "TTr": "TTr",
    "BB": "BB",
    "BC": "BC",
    "KH": "KH",
    "CT": "CT",
    "TB": "TB",
    "CV": "CV",
    # issuing bodies
    "UBND": "UBND",
    "BTDKT": "BTĐKT",
    "HDTDKT": "HĐTĐKT",
    "CTD": "CTĐ",
    "HDND": "HĐND",
    "SNV": "SNV",
}

_CODE = re.compile(r"^[A-Za-z]{1,12}(?:-[A-Za-z]{1,12}){1,3}$")


class RegisterError(ValueError):
    """A register code, year or reference that cannot be used."""


def display_code(code: str) -> str:
    """The Vietnamese form of a register code: "QD-UBND" → "QĐ-UBND"."""
    _check_code(code)
    return "-".join(DISPLAY_TOKENS.get(token, token) for token in code.split("-"))


def format_number(number: int, code: str) -> str:
    """The number as printed after "Số:": 5, "QD-UBND" → "05/QĐ-UBND"."""
    if number < 1:
        raise RegisterError(f"Số văn bản phải từ 1 trở lên (nhận được {number}).")
    return f"{number:02d}/{display_code(code)}"


def allocate(
    session: Session,
    *,
    organisation_id: int,
    year: int,
    code: str,
    reference: str,
    now: datetime | None = None,
) -> IssuedNumber:
    """Give out the next number of the register (organisation, year, code), creating the
    register at 0 if needed. Runs in the caller's transaction: the number is final only when
    the caller commits, and a rollback returns it."""
    _check_code(code)
    if not 1900 <= year <= 9999:
        raise RegisterError(f"Năm đăng ký không hợp lệ: {year}.")
    reference = (reference or "").strip()
    if not reference or len(reference) > 300:
        raise RegisterError("Trích yếu văn bản phải có và không dài quá 300 ký tự.")

    connection = session.connection()
    dialect = connection.dialect.name
    if dialect == "sqlite":
        if not connection.get_execution_options().get(WRITE_OPTION):
            # A deferred SQLite transaction could read a stale counter and then fail to write.
            raise RuntimeError("allocate() needs a write UnitOfWork on SQLite")
        insert = sqlite_insert
    elif dialect == "postgresql":
        insert = pg_insert
    else:  # pragma: no cover - only the two supported databases
        raise RuntimeError(f"number registers do not support {dialect}")

    keys = {"organisation_id": organisation_id, "year": year, "code": code}
    # Create the register if it is missing; a concurrent creator wins without an error.
    session.execute(
        insert(NumberRegister)
        .values(**keys, display_code=display_code(code), last_number=0)
        .on_conflict_do_nothing(index_elements=list(keys))
    )
    # Equivalent to SELECT … FOR UPDATE then UPDATE: the row lock is taken by the UPDATE and
    # held to the end of the transaction; a waiting writer re-reads the committed counter.
    register_id, number = session.execute(
        update(NumberRegister)
        .where(
            NumberRegister.organisation_id == organisation_id,
            NumberRegister.year == year,
            NumberRegister.code == code,
        )
        .values(last_number=NumberRegister.last_number + 1)
        .returning(NumberRegister.id, NumberRegister.last_number)
        .execution_options(synchronize_session=False)
    ).one()
    issued = IssuedNumber(
        register_id=register_id, number=number, reference=reference,
        issued_at=now or utcnow(),
    )
    session.add(issued)
    session.flush()
    return issued


def _check_code(code: str) -> None:
    if not isinstance(code, str) or not _CODE.match(code):
        raise RegisterError(
            f"Mã sổ đăng ký không hợp lệ: {code!r} (dạng 'QD-UBND', chữ không dấu)."
        )
