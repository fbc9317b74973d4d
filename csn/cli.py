"""The `csn` command: serve one service, run the fleet, submit a case, run benchmarks."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from csn.balancer import parse_replicas
from csn.supervisor import SERVICES, Supervisor, external_cs_url, parse_ports
from shared import limits
from shared.language.reader import load_reader

SAMPLE_CASE = "The blender I ordered arrived with a cracked jug. I'd like a full refund please."
BENCHMARKS = {
    "bench-policies": "context_agent.bench",
    "bench-negotiation": "csn.bench_negotiation",
    "bench-store": "coordinator_agent.bench",
    "bench-a2a": "csn.bench_a2a",
    "eval-reader": "csn.eval_reader",
    "bench-compare": "csn.bench_compare",
}


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `csn` console script."""
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in BENCHMARKS:
        return int(importlib.import_module(BENCHMARKS[argv[0]]).main(argv[1:]) or 0)
    if argv and argv[0] == "bench":
        return int(importlib.import_module("csn.bench").main(argv[1:]) or 0)
    args = _parser().parse_args(argv)
    return int(args.run(args) or 0)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="csn", description=__doc__)
    commands = parser.add_subparsers(required=True, metavar="command")

    serve = commands.add_parser("serve", help="run one service (uvicorn)")
    serve.add_argument("service", choices=sorted(SERVICES))
    serve.add_argument("--host", default=None)
    serve.add_argument("--port", type=int, default=None)
    serve.set_defaults(run=_serve)

    up = commands.add_parser("up", help="start and supervise the whole fleet")
    up.add_argument("--host", default="127.0.0.1")
    up.add_argument("--base-port", type=int, default=None, help="shift all ports (default 9000)")
    up.add_argument("--port", action="append", default=[], help="service=port override")
    up.add_argument("--demo", action="store_true", help="walk a sample case through once up")
    up.add_argument(
        "--database-url",
        default=None,
        help="the coordinator's database (sets CSN_DATABASE_URL), e.g. postgresql://user@host/db",
    )
    up.add_argument(
        "--replicas",
        default=None,
        help="several instances behind a load balancer (HAProxy) on the service's port, e.g. "
        "coordinator_agent=2,context_agent=2,negotiation_agent=2 (several coordinators need "
        "--database-url postgresql://...)",
    )
    up.add_argument(
        "--no-mock",
        action="store_true",
        help="do not start the local mock CS (the agents use CSN_CS_URL, or its default port)",
    )
    up.add_argument(
        "--log-dir",
        default=None,
        help="write each service's JSON log lines to DIR/<service>.log (default: the terminal)",
    )
    up.set_defaults(run=_up)

    login = commands.add_parser("login", help="sign in to the coordinator and keep the token")
    login.add_argument("--email", required=True)
    login.add_argument("--coordinator", default="http://127.0.0.1:9000")
    login.set_defaults(run=_login)

    submit = commands.add_parser("submit", help="submit a case (signed in) and follow it live")
    submit.add_argument("issue")
    submit.add_argument(
        "--customer", default=None, help="one of your linked retailer customer ids (if several)"
    )
    submit.add_argument("--order-id", default=None)
    submit.add_argument(
        "--photo", action="append", default=[], type=Path, metavar="FILE",
        help="a photo of the problem (JPEG, PNG, HEIC; repeat for more, five at most)",
    )  # fmt: skip
    submit.add_argument("--auto-approve", action="store_true")
    submit.add_argument("--coordinator", default="http://127.0.0.1:9000")
    submit.set_defaults(run=_submit)

    rotate = commands.add_parser(
        "rotate-keys",
        help="re-encrypt the coordinator's store with the first CSN_ENCRYPTION_KEY (fleet may run)",
    )
    rotate.add_argument("--batch", type=int, default=500, help="rows per transaction")
    rotate.set_defaults(run=_rotate_keys)

    migrate = commands.add_parser(
        "migrate", help="bring the coordinator's database (CSN_DATABASE_URL) to the newest schema"
    )
    migrate.set_defaults(run=_migrate)

    for name in ("bench", *BENCHMARKS):
        commands.add_parser(name, help=f"benchmark (see `csn {name} --help`)")
    return parser


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    # The app factory reads its settings from the environment: pass the CLI's choices on,
    # so the agent card advertises the address the service really listens on.
    if args.host:
        os.environ["CSN_HOST"] = args.host
    if args.port:
        os.environ["CSN_PORT"] = str(args.port)
    settings = importlib.import_module(f"{args.service}.config").Settings()
    uvicorn.run(
        f"{args.service}.app:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        log_config=None,
        timeout_graceful_shutdown=5,
        timeout_keep_alive=int(limits.SERVER_KEEPALIVE_S),
    )
    return 0


def _up(args: argparse.Namespace) -> int:
    try:
        ports = parse_ports(args.base_port, args.port)
        replicas = parse_replicas(args.replicas)
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2
    log_dir = Path(args.log_dir) if args.log_dir else None
    if args.database_url:
        os.environ["CSN_DATABASE_URL"] = args.database_url  # the children inherit it
    if replicas.get("coordinator_agent", 1) > 1 and not _shared_database():
        print(
            "several coordinators need a database they can share: "
            "--database-url postgresql://user@host/db (SQLite is one instance's)",
            file=sys.stderr,
        )
        return 2
    print("[csn up] loading the reader of language (built once per corpus, then cached)")
    load_reader()  # the agents then load it from the cache instead of each building it
    cs_url = external_cs_url()
    supervisor = Supervisor(
        ports,
        host=args.host,
        log=lambda line: print(f"[csn up] {line}"),
        log_dir=log_dir,
        cs_url=cs_url,
        start_mock=not args.no_mock,
        replicas=replicas,
        var_dir=Path(os.environ.get("CSN_VAR_DIR", "var")),
    )
    supervisor.handle_signals()
    try:
        return _supervise(supervisor, args, ports, log_dir)
    finally:
        supervisor.stop_all()  # also on a signal or an error during start-up
        print("[csn up] stopped")


def _supervise(
    supervisor: Supervisor, args: argparse.Namespace, ports: dict[str, int], log_dir: Path | None
) -> int:
    try:
        supervisor.start_all()
    except RuntimeError as error:
        print(f"[csn up] {error}", file=sys.stderr)
        return 2
    started = time.monotonic()
    if not supervisor.wait_healthy():
        if supervisor.stopping:
            return 0
        print("[csn up] the fleet did not become healthy within 60 s", file=sys.stderr)
        return 1
    print(f"[csn up] fleet healthy in {time.monotonic() - started:.1f} s:")
    for child in supervisor.children:
        if child.command is None and child.service not in supervisor.replicas:
            print(
                f"  {child.name:<18} {supervisor.url(child)}  (docs: {supervisor.url(child)}/docs)"
            )
    for backend in supervisor.backends:
        balanced = f"http://{backend.host}:{backend.port}"
        instances = ", ".join(str(p) for p in backend.instance_ports)
        print(f"  {backend.service:<18} {balanced}  (HAProxy; instances on ports {instances})")
    print(f"[csn up] the agents' CS desk: {supervisor.env['CSN_CS_URL']}")
    if args.demo:
        coordinator = f"http://{supervisor.host}:{ports['coordinator_agent']}"
        if _seed_demo_accounts(coordinator, supervisor.env["CSN_CS_URL"]):
            demo = [sys.executable, "-m", "csn", "submit", SAMPLE_CASE, "--auto-approve"]
            demo += ["--coordinator", coordinator]
            print(f"[csn up] sample case: {SAMPLE_CASE!r}")
            subprocess.Popen(demo)  # noqa: S603 (our own command)
    if log_dir is not None:
        print(f"[csn up] service logs: {log_dir}/<service>.log")
    print("[csn up] supervising; Ctrl-C stops the fleet", flush=True)
    supervisor.run_forever()
    return 0


def _shared_database() -> bool:
    """Whether the coordinators' database (CSN_DATABASE_URL) can be shared: not SQLite."""
    from coordinator_agent.store import database_url
    from shared.settings import ServiceSettings

    url = ServiceSettings().database_url  # the environment, then .env, then the default
    try:
        return database_url(url).get_backend_name() != "sqlite"
    except Exception:  # a malformed URL: the coordinator will say so
        return True


def _seed_demo_accounts(coordinator: str, cs_url: str) -> bool:
    """One demo account per customer of the order system; prints how to sign in."""
    from csn.accounts import AccountSetupError, demo_accounts, demo_password, save_sign_in

    password = demo_password(Path(os.environ.get("CSN_VAR_DIR", "var")))
    try:
        made = demo_accounts(
            coordinator, cs_url, password, os.environ.get("CSN_MOCK_ADMIN_TOKEN", "")
        )
    except (AccountSetupError, httpx.HTTPError, KeyError, ValueError) as error:
        print(f"[csn up] no demo accounts: {error}", file=sys.stderr)
        return False
    if not made:
        print("[csn up] no demo accounts: the order system lists no customers", file=sys.stderr)
        return False
    save_sign_in(coordinator, made[0])  # `csn submit` signs in as the first demo customer
    print(
        f"[csn up] demo accounts, one per customer of the mock order system (password {password}):"
    )
    for account in made:
        print(f"  {account['customer_id']:<8} {account['email']}")
    print(f"[csn up] open {coordinator}/ and sign in with one of them; `csn submit` is signed in")
    print(f"         as {made[0]['email']}; `csn login --email <email>` switches")
    return True


def _login(args: argparse.Namespace) -> int:
    import getpass

    from csn.accounts import AccountSetupError, login, save_sign_in

    # CSN_PASSWORD serves scripts; at a terminal the password is asked without echo.
    password = os.environ.get("CSN_PASSWORD") or (
        getpass.getpass("Password: ") if sys.stdin.isatty() else sys.stdin.readline().rstrip("\n")
    )
    try:
        with httpx.Client(base_url=args.coordinator.rstrip("/"), timeout=30) as http:
            sign_in = login(http, args.email, password)
    except (AccountSetupError, httpx.HTTPError) as error:
        print(f"csn login: {error}", file=sys.stderr)
        return 2
    path = save_sign_in(args.coordinator, sign_in)
    print(f"signed in until {sign_in['expires_at']}; token kept in {path}")
    return 0


def _submit(args: argparse.Namespace) -> int:
    from csn.accounts import credentials_file, load_sign_in
    from csn.submit import submit

    sign_in = load_sign_in(args.coordinator)
    if sign_in is None:
        print(
            f"not signed in to {args.coordinator} (looked in {credentials_file()}): "
            "run `csn login --email <your email>` first",
            file=sys.stderr,
        )
        return 2
    return asyncio.run(
        submit(
            args.issue, args.customer, args.auto_approve, args.coordinator, args.order_id,
            token=sign_in["token"], photos=args.photo,
        )
    )  # fmt: skip


def _migrate(args: argparse.Namespace) -> int:
    from coordinator_agent.config import Settings
    from coordinator_agent.migrations import upgrade
    from coordinator_agent.store import database_url, make_engine

    settings = Settings()
    engine = make_engine(settings.database_url, pool_size=1)
    revision = upgrade(engine)
    engine.dispose()
    where = database_url(settings.database_url).render_as_string(hide_password=True)
    print(f"{where.split('@')[-1]}: schema at revision {revision}")
    return 0


def _rotate_keys(args: argparse.Namespace) -> int:
    from coordinator_agent.app import build_store
    from coordinator_agent.config import Settings

    store = build_store(Settings())
    started = time.monotonic()
    counts = store.rotate_keys(batch=max(1, args.batch))
    rewritten = ", ".join(f"{n} {table}" for table, n in counts.items() if table != "unreadable")
    print(f"re-encrypted with the first key in {time.monotonic() - started:.1f} s: {rewritten}")
    if counts["unreadable"]:
        print(f"{counts['unreadable']} values could not be read with any key", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
