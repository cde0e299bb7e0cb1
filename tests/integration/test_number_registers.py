"""Number registers: gap-free, per issuing body and year, safe when decisions are signed at once."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import select

from service.db.models import IssuedNumber, NumberRegister, Organisation
from service.db.session import UnitOfWork, make_engine
from service.documents.registers import (
    RegisterError,
    allocate,
    display_code,
    format_number,
)
from service.domain.roles import OrgKind

BOTH = pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
CONCURRENT = 20


@pytest.fixture
def engine(db_url):
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


def _org_id(engine, kind: str) -> int:
    with UnitOfWork(engine, write=False) as uow:
        return uow.session.scalar(
            select(Organisation.id).where(Organisation.kind == kind).order_by(Organisation.id)
        )


def _take(engine, organisation_id: int, year: int, code: str, reference: str = "Quyết định"):
    with UnitOfWork(engine) as uow:
        issued = allocate(uow.session, organisation_id=organisation_id, year=year, code=code,
                          reference=reference)
        uow.commit()
        return issued.number


def _issued(engine, organisation_id: int, year: int, code: str) -> list[int]:
    with UnitOfWork(engine, write=False) as uow:
        return list(uow.session.scalars(
            select(IssuedNumber.number)
            .join(NumberRegister, NumberRegister.id == IssuedNumber.register_id)
            .where(NumberRegister.organisation_id == organisation_id,
                   NumberRegister.year == year, NumberRegister.code == code)
            .order_by(IssuedNumber.number)
        ))


@BOTH
def test_concurrent_allocations_are_gap_free_and_unique(engine):
    province = _org_id(engine, OrgKind.PROVINCE)
    barrier = threading.Barrier(CONCURRENT + 1)
    got: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def sign(n: int) -> None:
        try:
            barrier.wait()
            with UnitOfWork(engine) as uow:
                issued = allocate(uow.session, organisation_id=province, year=2024,
                                  code="QD-UBND", reference=f"Quyết định khen thưởng {n}")
                time.sleep(0.01)  # hold the register while the others queue behind it
                uow.commit()
            with lock:
                got.append(issued.number)
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            with lock:
                errors.append(exc)

    def sign_then_abandon() -> None:
        try:
            barrier.wait()
            with UnitOfWork(engine) as uow:
                allocate(uow.session, organisation_id=province, year=2024, code="QD-UBND",
                         reference="Quyết định bị hủy")
                time.sleep(0.02)
                uow.rollback()
        except BaseException as exc:  # noqa: BLE001
            with lock:
                errors.append(exc)

    threads = [threading.Thread(target=sign, args=(n,)) for n in range(CONCURRENT)]
    threads.append(threading.Thread(target=sign_then_abandon))
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    assert errors == []
    assert sorted(got) == list(range(1, CONCURRENT + 1))
    assert _issued(engine, province, 2024, "QD-UBND") == list(range(1, CONCURRENT + 1))
    assert _take(engine, province, 2024, "QD-UBND") == CONCURRENT + 1


@BOTH
def test_a_rolled_back_allocation_leaves_no_gap(engine):
    board = _org_id(engine, OrgKind.BOARD)
    assert _take(engine, board, 2023, "TTr-BTDKT") == 1
    with UnitOfWork(engine) as uow:
        issued = allocate(uow.session, organisation_id=board, year=2023, code="TTr-BTDKT",
                          reference="Tờ trình bị hủy")
        assert issued.number == 2
        # leaving without commit rolls back
    with UnitOfWork(engine) as uow:
        allocate(uow.session, organisation_id=board, year=2023, code="TTr-BTDKT",
                 reference="Tờ trình lỗi")
        uow.session.flush()
        uow.rollback()
    assert _take(engine, board, 2023, "TTr-BTDKT") == 2
    assert _issued(engine, board, 2023, "TTr-BTDKT") == [1, 2]


@BOTH
def test_registers_are_per_issuer_per_year_and_the_council_has_its_own(engine):
    province = _org_id(engine, OrgKind.PROVINCE)
    board = _org_id(engine, OrgKind.BOARD)
    council = _org_id(engine, OrgKind.COUNCIL)
    assert len({province, board, council}) == 3

    assert [_take(engine, province, 2023, "QD-UBND") for _ in range(3)] == [1, 2, 3]
    assert _take(engine, province, 2024, "QD-UBND") == 1  # a new year restarts at 01
    assert _take(engine, board, 2023, "TTr-BTDKT") == 1
    assert _take(engine, board, 2023, "BC-BTDKT") == 1
    assert _take(engine, council, 2023, "BB-HDTDKT") == 1
    assert _take(engine, council, 2023, "BB-HDTDKT") == 2
    assert _take(engine, province, 2023, "QD-UBND") == 4
    assert _take(engine, board, 2023, "TTr-BTDKT") == 2

    with UnitOfWork(engine, write=False) as uow:
        registers = {
            (r.organisation_id, r.year, r.code): (r.display_code, r.last_number)
            for r in uow.session.scalars(select(NumberRegister))
        }
    assert registers == {
        (province, 2023, "QD-UBND"): ("QĐ-UBND", 4),
        (province, 2024, "QD-UBND"): ("QĐ-UBND", 1),
        (board, 2023, "TTr-BTDKT"): ("TTr-BTĐKT", 2),
        (board, 2023, "BC-BTDKT"): ("BC-BTĐKT", 1),
        (council, 2023, "BB-HDTDKT"): ("BB-HĐTĐKT", 2),
    }


def test_numbers_print_in_the_decree_form():
    assert format_number(5, "QD-UBND") == "05/QĐ-UBND"
    assert format_number(15, "QD-UBND") == "15/QĐ-UBND"
    assert format_number(123, "TTr-BTDKT") == "123/TTr-BTĐKT"
    assert format_number(1, "BB-HDTDKT") == "01/BB-HĐTĐKT"
    assert display_code("KH-XYZ") == "KH-XYZ"  # an unknown token is shown as written
    with pytest.raises(RegisterError):
        format_number(0, "QD-UBND")
    with pytest.raises(RegisterError):
        display_code("QĐ-UBND")  # the code is ASCII; the display form is data


def test_sqlite_allocation_needs_a_write_transaction(engine):
    with UnitOfWork(engine, write=False) as uow, pytest.raises(RuntimeError):
        allocate(uow.session, organisation_id=1, year=2023, code="QD-UBND", reference="x")
