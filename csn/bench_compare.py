"""`csn bench-compare`: the same `csn bench` command against a baseline commit and this
checkout, in one run on one machine, so both meet the same load.

The baseline is checked out into a temporary git worktree with its own venv (pip's cache
makes that quick); each side runs its own fleet (`csn up --base-port N`, its own var dir);
this checkout's `csn bench` drives both, alternating baseline and current `--rounds` times.
Prints one table (cases per second, end-to-end p50/p95, CPU seconds per case per service,
the load average around each run) and writes the figures with `--json`.
"""

# ruff: noqa: S603, S607  (our own commands: git, python, csn, with arguments we build)
from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx

CHECKOUT = Path(__file__).resolve().parent.parent
SERVICES = ("coordinator_agent", "context_agent", "negotiation_agent", "mock_cs_service")
THROTTLE_FREE_SESSIONS = 1_000_000


@contextmanager
def baseline_checkout(commit: str, workdir: Path):
    """A worktree of `commit` with its own venv; removed afterwards."""
    tree = workdir / "baseline"
    git = ["git", "-C", str(CHECKOUT)]
    subprocess.run([*git, "worktree", "add", "--detach", str(tree), commit], check=True)
    try:
        venv = tree / ".venv"
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet"]
        subprocess.run([*pip, "-e", str(tree)], check=True)
        yield tree, venv / "bin" / "csn"
    finally:
        subprocess.run([*git, "worktree", "remove", "--force", str(tree)], check=False)


@contextmanager
def fleet(csn: Path, tree: Path, base_port: int, var_dir: Path, database_url: str | None):
    """`csn up --base-port` from `tree`, until its coordinator is ready; stopped afterwards."""
    env = {**os.environ, "CSN_VAR_DIR": str(var_dir), "CSN_LOG_LEVEL": "WARNING"}
    # The bench plays hundreds of cases through the order system's few customers (one demo
    # account each): lift the per-account cap on new cases, which the baseline predates, so
    # both sides run the same cases instead of one side waiting out 429s.
    env.setdefault("CSN_SESSIONS_PER_ACCOUNT", str(THROTTLE_FREE_SESSIONS))
    env.pop("CSN_DATABASE_URL", None)
    if database_url:
        env["CSN_DATABASE_URL"] = database_url
    logs = var_dir / "logs"
    command = [str(csn), "up", "--base-port", str(base_port), "--log-dir", str(logs)]
    process = subprocess.Popen(command, cwd=tree, env=env, start_new_session=True)
    try:
        _wait_ready(f"http://127.0.0.1:{base_port}", process)
        yield env
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def _wait_ready(url: str, process: subprocess.Popen[bytes], timeout_s: float = 180) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the fleet at {url} exited")
        try:
            if httpx.get(url + "/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(1)
    raise RuntimeError(f"the fleet at {url} was not ready in {timeout_s:.0f} s")


def bench_once(env: dict[str, str], base_port: int, bench_args: list[str], out: Path) -> dict:
    """This checkout's `csn bench` against the fleet on `base_port`; its figures."""
    load_before = os.getloadavg()[0]
    command = [sys.executable, "-m", "csn", "bench", "--base-port", str(base_port)]
    subprocess.run([*command, *bench_args, "--json", str(out)], env=env, check=False)
    report = json.loads(out.read_text())
    report["load_before"], report["load_after"] = load_before, os.getloadavg()[0]
    return report


def row(name: str, report: dict[str, Any]) -> dict[str, Any]:
    """The figures one run contributes to the table."""
    cpu = report.get("cpu_s_per_case") or {}
    return {
        "side": name,
        "cases_per_s": report.get("cases_per_s"),
        "e2e_p50_s": report.get("e2e_p50_s"),
        "e2e_p95_s": report.get("e2e_p95_s"),
        "lost": report.get("lost_sessions"),
        "states": report.get("states"),
        **{
            f"cpu_{s.removesuffix('_agent').removesuffix('_service')}": cpu.get(s) for s in SERVICES
        },
        "cpu_bench": cpu.get("bench"),
        "load": f"{report['load_before']:.1f}->{report['load_after']:.1f}",
    }


def print_table(rows: list[dict[str, Any]]) -> None:
    columns = [c for c in rows[0] if c != "states"]
    widths = {c: max(len(c), *(len(str(r[c])) for r in rows)) for c in columns}
    print("  ".join(c.ljust(widths[c]) for c in columns))
    for r in rows:
        print("  ".join(str(r[c]).ljust(widths[c]) for c in columns))
    for side in ("baseline", "current"):
        mine = [r["cases_per_s"] for r in rows if r["side"] == side and r["cases_per_s"]]
        if mine:
            print(f"{side}: mean {sum(mine) / len(mine):.2f} cases/s over {len(mine)} run(s)")
    base = [r["cases_per_s"] for r in rows if r["side"] == "baseline" and r["cases_per_s"]]
    cur = [r["cases_per_s"] for r in rows if r["side"] == "current" and r["cases_per_s"]]
    if base and cur:
        print(f"current / baseline: {sum(cur) / len(cur) / (sum(base) / len(base)):.2f}x")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="csn bench-compare", description=__doc__)
    p.add_argument("--baseline", default="cb07aa1", help="the commit to compare with")
    p.add_argument("--baseline-port", type=int, default=9300)
    p.add_argument("--current-port", type=int, default=9310)
    p.add_argument("--rounds", type=int, default=1, help="baseline then current, this often")
    p.add_argument(
        "--database-url", default=None, help="this checkout's database (the baseline: SQLite)"
    )
    p.add_argument("--json", default=None, help="write every run's figures here")
    p.add_argument("bench_args", nargs=argparse.REMAINDER, help="-- then `csn bench` options")
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point of `csn bench-compare`."""
    args = parser().parse_args(argv)
    bench_args = [a for a in args.bench_args if a != "--"] or [
        "--sessions", "400", "--concurrency", "100", "--seed", "7",
    ]  # fmt: skip
    rows, reports = [], []
    with ExitStack() as stack:
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="csn-compare-")))
        tree, baseline_csn = stack.enter_context(baseline_checkout(args.baseline, work))
        current_csn = Path(sys.executable).parent / "csn"
        sides = {
            "baseline": (args.baseline_port, stack.enter_context(
                fleet(baseline_csn, tree, args.baseline_port, work / "var-baseline", None))),
            "current": (args.current_port, stack.enter_context(
                fleet(current_csn, CHECKOUT, args.current_port, work / "var-current",
                      args.database_url))),
        }  # fmt: skip
        for number in range(args.rounds):
            for side, (port, env) in sides.items():
                report = bench_once(env, port, bench_args, work / f"{side}-{number}.json")
                reports.append({"side": side, **report})
                rows.append(row(side, report))
        shutil.rmtree(work / "var-baseline", ignore_errors=True)
    print(f"csn bench {' '.join(bench_args)}; baseline {args.baseline}, current checkout"
          f"{' on ' + args.database_url.split('@')[-1] if args.database_url else ''}")  # fmt: skip
    print_table(rows)
    if args.json:
        Path(args.json).write_text(json.dumps({"rows": rows, "reports": reports}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
