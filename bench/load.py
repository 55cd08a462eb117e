"""Load benchmark: group messages at a steady rate into a real `tiaojie run`, from a second
process, through the sandbox HTTP interface; then how fast they were handled, how long each
complaint waited for the bot's reply, and whether anything was lost.

Targets (issue 18, 2-core machine, SQLite): 50 messages/s sustained for 60 s in 20 rooms,
30 % complaints, zero losses, p99 accept→reply under 1 s.

    .venv/bin/python bench/load.py --rate 50 --seconds 60 --rooms 20 --mix 0.3
    .venv/bin/python bench/load.py --find-saturation --seconds 15
    .venv/bin/python bench/load.py --url http://127.0.0.1:8000 --db data/tiaojie.sqlite3

Without --url the script starts its own server on a fresh data directory (a new one for
every step of --find-saturation), the way the tests do, with room pacing off unless
--room-pace is given: the production default (20 messages a minute per room) holds a busy
room's replies for up to a minute by design, which is not what the latency target measures.
The load client shares the cores with the bot; figures from a busy machine are preliminary.

A loss is an accepted message that was never stored or was given up on, or a complaint whose
reply was never shown in the transcript. Work still queued when the run stops waiting is
backlog: not lost, but not sustained either.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the tests package

from tests.load_client import (
    DatabaseView,
    LoadPlan,
    LoadReport,
    format_report,
    percentile,
    run_load,
)
from tests.server import start_server

TARGET_RATE = 50.0
TARGET_SECONDS = 60.0
TARGET_P99_MS = 1000.0
SATURATION_RATES = (10, 20, 30, 50, 75, 100, 150, 200, 250, 300, 400, 500, 650, 800, 1000)


def main(argv: Sequence[str] | None = None) -> int:
    args = _arguments(argv)
    plan = LoadPlan(
        rate=args.rate,
        seconds=args.seconds,
        rooms=args.rooms,
        complaint_share=args.mix,
        settle_seconds=args.settle,
        poll_interval=args.poll_ms / 1000,
        max_in_flight=args.max_in_flight,
        seed=args.seed,
    )
    if args.find_saturation:
        reports = find_saturation(plan, args)
    else:
        report = measure(plan, args)
        print(format_report(report, target_rate=TARGET_RATE, target_p99_ms=TARGET_P99_MS))
        verdict = report.meets(rate=TARGET_RATE, p99_ms=TARGET_P99_MS)
        meets_plan = plan.rate >= TARGET_RATE and plan.seconds >= TARGET_SECONDS
        print(_verdict(report, verdict, meets_plan))
        reports = [report]
    if args.json:
        args.json.write_text(
            json.dumps([_summary(r) for r in reports], ensure_ascii=False, indent=2),
            encoding="utf-8",
        )
    return 0


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Group messages at a steady rate into a running bot; what was handled, "
        "how fast, and what was lost.",
        epilog=f"Targets: {TARGET_RATE:g} messages/s for {TARGET_SECONDS:g} s, zero losses, "
        f"p99 accept→reply under {TARGET_P99_MS:g} ms.",
    )
    parser.add_argument("--rate", type=float, default=TARGET_RATE, help="messages per second")
    parser.add_argument("--seconds", type=float, default=TARGET_SECONDS, help="sending time")
    parser.add_argument("--rooms", type=int, default=20, help="rooms the messages spread over")
    parser.add_argument("--mix", type=float, default=0.3, help="share of complaints, 0..1")
    parser.add_argument("--settle", type=float, default=60.0, help="max wait after sending (s)")
    parser.add_argument(
        "--poll-ms",
        type=float,
        default=50.0,
        help="pause before a room's next transcript request (a long poll) after one that "
        "brought lines or failed",
    )
    parser.add_argument("--max-in-flight", type=int, default=256, help="open requests at most")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--url", help="a running bot instead of starting one")
    parser.add_argument("--db", type=Path, help="its SQLite file (with --url), read-only")
    parser.add_argument(
        "--data-dir", type=Path, help="where started bots keep their data (default: a temp dir)"
    )
    parser.add_argument(
        "--room-pace",
        type=int,
        default=0,
        help="the started bot's TIAOJIE_ROOM_MESSAGES_PER_MINUTE (default 0: off, to measure "
        "handling; the production default 20 holds a busy room's replies for up to a minute)",
    )
    parser.add_argument(
        "--find-saturation",
        action="store_true",
        help=f"step the rate up ({', '.join(map(str, SATURATION_RATES))}/s) until p99 > "
        f"{TARGET_P99_MS:g} ms, a loss, or the bot falls behind",
    )
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)
    if not 0 <= args.mix <= 1:
        parser.error("--mix is a share between 0 and 1")
    return args


def measure(plan: LoadPlan, args: argparse.Namespace) -> LoadReport:
    with _bot(args, plan.run_tag) as (base_url, database, pid):
        cpu_before = _process_cpu_seconds(pid)
        client_before = time.process_time()
        report = asyncio.run(run_load(base_url, plan, database=database))
        client_cpu = time.process_time() - client_before
        cpu_after = _process_cpu_seconds(pid)
    if cpu_before is not None and cpu_after is not None and report.accepted:
        spent = cpu_after - cpu_before
        print(
            f"server CPU    {spent:.1f} s for {report.accepted} messages = "
            f"{spent / report.accepted * 1000:.2f} ms a message (everything: HTTP, handling, "
            "delivery, the transcript requests)",
            flush=True,
        )
    print(
        f"client CPU    {client_cpu:.1f} s (this process: sending, following, checking)",
        flush=True,
    )
    return report


def _process_cpu_seconds(pid: int | None) -> float | None:
    """User + system CPU time of a process (Linux /proc), or None where unknown."""
    if pid is None:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_for_parser(base_url: str, timeout: float = 60.0) -> None:
    """/healthz answers while jieba still loads (messages wait in the inbox meanwhile)."""
    deadline = time.monotonic() + timeout
    with httpx.Client(base_url=base_url, timeout=2.0) as client:
        while client.get("/healthz").json().get("parser") != "ready":
            if time.monotonic() > deadline:
                raise SystemExit(f"the parser of {base_url} did not load within {timeout:.0f} s")
            time.sleep(0.1)


@contextmanager
def _bot(
    args: argparse.Namespace, run_tag: str
) -> Iterator[tuple[str, DatabaseView | None, int | None]]:
    """The bot's URL, its database (to count what was stored) and, if started here, its pid."""
    if args.url:
        yield args.url.rstrip("/"), DatabaseView(args.db) if args.db else None, None
        return
    parent = args.data_dir or Path(tempfile.mkdtemp(prefix="tiaojie-load-"))
    data_dir = parent / run_tag / "data"  # a fresh database for every run
    started = time.monotonic()
    server = start_server(data_dir, env={"TIAOJIE_ROOM_MESSAGES_PER_MINUTE": str(args.room_pace)})
    wait_for_parser(server.base_url)  # steady state: start-up is bench/startup.py's business
    pace = f"{args.room_pace}/min per room" if args.room_pace > 0 else "off"
    print(
        f"server        {server.base_url} (pid {server.process.pid}, ready in "
        f"{time.monotonic() - started:.1f} s, room pacing {pace}, data {data_dir})",
        flush=True,
    )
    try:
        yield server.base_url, DatabaseView.of_data_dir(data_dir), server.process.pid
    finally:
        code = server.stop()
        if code != 0:
            print(f"server exited with {code}:\n{server.tail()}", file=sys.stderr)


def find_saturation(plan: LoadPlan, args: argparse.Namespace) -> list[LoadReport]:
    """Step the rate up until the targets fail; the last rate that met them is the point."""
    reports: list[LoadReport] = []
    sustained: float | None = None
    for step, rate in enumerate(SATURATION_RATES):
        step_plan = LoadPlan(**{**asdict(plan), "rate": float(rate), "run_tag": f"sat{step}"})
        print(f"\n--- {rate}/s for {plan.seconds:g} s", flush=True)
        report = measure(step_plan, args)
        reports.append(report)
        print(format_report(report, target_rate=rate, target_p99_ms=TARGET_P99_MS), flush=True)
        if not report.measured:
            print("cannot find the saturation point without the database (pass --db)")
            break
        if not report.meets(rate=rate, p99_ms=TARGET_P99_MS):
            break
        sustained = rate
    print("\nrate/s  accepted/s  processed/s  p50 ms  p99 ms  losses  backlog")
    for report in reports:
        p50, p99 = report.reply_p(0.5), report.reply_p(0.99)
        print(
            f"{report.plan.rate:6.0f}  {report.accepted_per_second:10.1f}  "
            f"{report.processed_per_second:11.1f}  {_ms(p50):>6}  {_ms(p99):>6}  "
            f"{report.losses:6d}  {report.backlog:7d}"
        )
    if sustained is None:
        print(f"saturation: not even {SATURATION_RATES[0]}/s met the targets")
    else:
        print(
            f"saturation: {sustained}/s is the highest rate that met p99 ≤ {TARGET_P99_MS:g} ms "
            f"with zero losses ({sustained / TARGET_RATE:.2f}× the {TARGET_RATE:g}/s target)"
        )
    return reports


def _ms(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 1000:.0f}"


def _verdict(report: LoadReport, met: bool, full_length: bool) -> str:
    if not full_length:
        scope = "(shorter or slower than the 200/s × 60 s target run)"
    else:
        scope = "(the full target run)"
    return f"targets       {'MET' if met else 'NOT MET'} {scope}"


def _summary(report: LoadReport) -> dict[str, object]:
    return {
        "rate": report.plan.rate,
        "seconds": report.plan.seconds,
        "rooms": report.plan.rooms,
        "complaint_share": report.plan.complaint_share,
        "sent": report.sent,
        "accepted": report.accepted,
        "accepted_per_s": round(report.accepted_per_second, 1),
        "processed_per_s": round(report.processed_per_second, 1),
        "reply_p50_ms": _rounded_ms(report.reply_p(0.5)),
        "reply_p99_ms": _rounded_ms(report.reply_p(0.99)),
        "server_p99_ms": _rounded_ms(percentile(report.server_latencies, 0.99)),
        "lost_messages": len(report.lost),
        "lost_replies": len(report.replies_lost),
        "queued_messages": len(report.queued),
        "queued_replies": len(report.replies_waiting),
        "rejected": report.rejected,
    }


def _rounded_ms(value: float | None) -> float | None:
    return None if value is None else round(value * 1000, 1)


if __name__ == "__main__":
    raise SystemExit(main())
