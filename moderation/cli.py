"""The `moderation` command line: serve, migrate, sites, users, train, eval."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import sys
import tempfile
from collections.abc import Callable, Coroutine, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import available_timezones

from moderation import admin, store
from moderation.admin import say
from moderation.domain import targets
from moderation.domain.errors import AlreadyExists, DatabaseUnavailable, NotFound
from moderation.domain.labels import Format, format_of, render
from moderation.runtime import logs
from moderation.settings import Settings
from moderation.store.embedded import database_url

Command = Callable[[Settings, argparse.Namespace], int]
T = TypeVar("T")
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


def on_database(settings: Settings, work: Callable[[str, float], Coroutine[Any, Any, T]]) -> T:
    """Run work(dsn, timeout) on DATABASE_URL, or on the embedded server for its duration."""
    with database_url(settings) as dsn:
        return asyncio.run(work(dsn, settings.db_timeout_seconds))


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    """Migrate, then serve until interrupted."""
    from moderation import server

    overrides = {k: getattr(args, k) for k in ("host", "port", "workers")}
    return server.serve(settings.model_copy(update={k: v for k, v in overrides.items() if v}))


def host_time_zone(environ: Mapping[str, str] | None = None, etc: Path = Path("/etc")) -> str:
    """This host's IANA time zone: TZ, /etc/timezone, the /etc/localtime link; else UTC."""
    known = available_timezones()
    env = os.environ if environ is None else environ
    candidates = [env.get("TZ", "").removeprefix(":")]
    with contextlib.suppress(OSError, UnicodeDecodeError):
        candidates.append((etc / "timezone").read_text(encoding="utf-8").strip())
    with contextlib.suppress(OSError):
        candidates.append(str(os.readlink(etc / "localtime")).partition("zoneinfo/")[2])
    return next((zone for zone in candidates if zone in known), "UTC")


def _migrate(settings: Settings, args: argparse.Namespace) -> int:
    """Apply pending migrations and say which."""
    applied = on_database(settings, lambda dsn, _: store.migrate_dsn(dsn))
    say(f"applied migrations: {applied}" if applied else "database is up to date")
    return 0


def _sites_create(settings: Settings, args: argparse.Namespace) -> int:
    """Print a new site's key alone on standard output."""
    slug = args.slug
    if not SLUG.match(slug):
        say("moderation: a slug is 1-63 characters of a-z, 0-9 and '-', not starting with '-'")
        return 2
    zone = args.time_zone or host_time_zone()
    if zone not in available_timezones():
        say(f"moderation: unknown time zone {zone!r}: an IANA name such as Asia/Ho_Chi_Minh")
        return 2
    key = on_database(settings, lambda dsn, timeout: admin.add_site(dsn, timeout, slug, zone))
    say(f"site {slug!r} created in time zone {zone}; its key is shown only this once:")
    print(key, flush=True)
    return 0


def _sites_webhook(settings: Settings, args: argparse.Namespace) -> int:
    """Print a site's webhook signing secret alone on standard output; maybe set its URL and
    the networks its webhooks may reach besides public addresses."""
    slug, url, rotate = args.slug, args.url, args.rotate
    allow, clear = args.allow_network or (), args.clear_networks
    if url is not None:
        try:
            url = str(targets.parse(url))
        except targets.UnsafeTarget as exc:
            say(f"moderation: --url {exc}")
            return 2

    async def change(dsn: str, timeout: float) -> tuple[str, int | None]:
        if allow or clear:
            held = await admin.site_networks(dsn, timeout, slug, clear, allow)
            listed = ", ".join(map(str, held)) or "none (public addresses only)"
            say(f"networks the webhooks of {slug!r} may reach: {listed}")
        return await admin.site_webhook(dsn, timeout, slug, url, rotate)

    secret, version = on_database(settings, change)
    if version is not None:
        say(f"webhook_url of {slug!r} set in policy version {version}")
    say("the new signing secret (the old one no longer verifies):" if rotate else "signing secret:")
    print(secret, flush=True)
    return 0


def _sites_rotate_key(settings: Settings, args: argparse.Namespace) -> int:
    """Print a site's new key alone on standard output."""
    slug, grace_hours = args.slug, args.grace_hours
    grace = timedelta(hours=grace_hours)
    key = on_database(settings, lambda dsn, timeout: admin.rotate_key(dsn, timeout, slug, grace))
    until = f"for {grace_hours:g} more hours" if grace_hours > 0 else "no longer"
    say(f"site {slug!r} has a new key (shown only this once); the old key works {until}:")
    print(key, flush=True)
    return 0


def _users_create(settings: Settings, args: argparse.Namespace) -> int:
    """Print a new staff member's token alone on standard output; maybe set a password."""
    password = read_password() if args.password else None
    if args.password and password is None:
        return 2
    username, slug, role = args.username, args.site, args.role
    if not 1 <= len(username) <= 100:
        say("moderation: a username is 1 to 100 characters")
        return 2

    async def create(dsn: str, timeout: float) -> str:
        token = await admin.add_user(dsn, timeout, username, slug, role)
        if password is not None:
            await admin.set_password(dsn, timeout, slug, username, password)
        return token

    token = on_database(settings, create)
    say(f"{role} {username!r} of {slug!r} created; the token is shown only this once:")
    print(token, flush=True)
    return 0


def _users_password(settings: Settings, args: argparse.Namespace) -> int:
    """Set a staff member's web password (their open web sessions end)."""
    password = read_password()
    if password is None:
        return 2
    slug, username = args.site, args.username
    on_database(
        settings, lambda dsn, timeout: admin.set_password(dsn, timeout, slug, username, password)
    )
    say(f"password of {username!r} on {slug!r} set; their web sessions were ended")
    return 0


def _network(text: str) -> IPv4Network | IPv6Network:
    """An IP network such as 127.0.0.1/32 or fd00::/8 (host bits dropped)."""
    try:
        return ip_network(text, strict=False)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an IP network: {text!r}") from None


def _users_revoke(settings: Settings, args: argparse.Namespace) -> int:
    """Revoke a staff member at once: token, password and web sessions."""
    slug, username = args.site, args.username
    on_database(settings, lambda dsn, timeout: admin.revoke(dsn, timeout, slug, username))
    say(
        f"{username!r} of {slug!r} revoked; their token and password no longer work and their "
        "web sessions have ended (`users restore` lifts this)"
    )
    return 0


def _users_restore(settings: Settings, args: argparse.Namespace) -> int:
    """Let a revoked staff member in again, with their current token and password."""
    slug, username = args.site, args.username
    on_database(settings, lambda dsn, timeout: admin.restore(dsn, timeout, slug, username))
    say(
        f"{username!r} of {slug!r} restored; their current token and password work again "
        "(rotate the token too if it may have leaked)"
    )
    return 0


def _users_rotate_token(settings: Settings, args: argparse.Namespace) -> int:
    """Print a staff member's new token alone on standard output."""
    slug, username = args.site, args.username
    token, revoked = on_database(
        settings, lambda dsn, timeout: admin.new_token(dsn, timeout, slug, username)
    )
    say(
        f"{username!r} of {slug!r} has a new token (shown only this once); the old one is void "
        "and the web sessions it opened have ended"
    )
    if revoked:
        say(f"{username!r} stays revoked: the new token works after `users restore`")
    print(token, flush=True)
    return 0


def read_password() -> str | None:
    """A new password: prompted twice on a terminal, else the first line of standard input."""
    from moderation.domain.passwords import password_problem

    if sys.stdin.isatty():
        import getpass

        password = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != password:
            say("moderation: the passwords differ")
            return None
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    problem = password_problem(password)
    if problem:
        say(f"moderation: {problem}")
        return None
    return password


def export_labels(
    settings: Settings, slug: str | None, since: datetime | None, out: str | None, fmt: Format
) -> int:
    """Write moderators' decisions as labels to a file (or standard output)."""
    rows = on_database(
        settings, lambda dsn, timeout: admin.collect_labels(dsn, timeout, slug, since)
    )
    text = render(rows, fmt)
    if out is None:
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        with open(out, "w", encoding="utf-8", newline="") as f:
            f.write(text)
    say(f"{len(rows)} labels written to {out or 'standard output'}")
    return 0


def _export_labels(settings: Settings, args: argparse.Namespace) -> int:
    """Write moderators' decisions as training labels."""
    fmt = format_of(args.out, args.format)
    return export_labels(settings, args.site, args.since, args.out, fmt)


def feedback_arguments(settings: Settings, argv: list[str], workdir: Path) -> list[str]:
    """`moderation train` options for the classifiers' trainer, the service's own resolved.

    `--from-db [--site S] [--since T]` exports the decisions into `workdir` and passes the
    file on as `--with-decisions`; training with decisions writes into MODERATION_MODEL_DIR
    unless `--into` or `--out` says where.
    """
    ours = feedback_parser()
    args, rest = ours.parse_known_args(argv)
    if args.from_db:
        path = workdir / "decisions.jsonl"
        export_labels(settings, args.site, args.since, str(path), "jsonl")
        rest += ["--with-decisions", str(path)]
    elif args.site or args.since:
        ours.error("--site and --since go with --from-db")
    decisions = any(a.startswith("--with-decisions") for a in rest)
    chosen = any(a.startswith(("--into", "--out")) for a in rest)
    if decisions and not chosen and settings.model_dir is not None:
        rest += ["--into", str(settings.model_dir)]
    return rest


def feedback_parser() -> argparse.ArgumentParser:
    """`moderation train`'s own options; the rest go to python -m classifiers.train."""
    ours = argparse.ArgumentParser(
        prog="moderation train", add_help=False,
        description="moderation train's own options (all others go to classifiers.train):",
    )  # fmt: skip
    ours.add_argument(
        "--from-db", action="store_true",
        help="train on moderators' decisions from the database too (exported like"
        " `moderation export-labels`; the model goes into MODERATION_MODEL_DIR)",
    )  # fmt: skip
    ours.add_argument("--site", help="with --from-db: one site's decisions (default: every site's)")
    ours.add_argument(
        "--since", type=parse_since, help="with --from-db: decided at or after (ISO 8601)"
    )
    return ours


def parse_since(value: str) -> datetime:
    """--since: an ISO 8601 date or time; UTC when no offset is given."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 date or time: {value!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _label_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """export-labels."""
    export = sub.add_parser(
        "export-labels",
        help="write moderators' decisions as training labels (no emails, no names)",
    )
    export.add_argument("--site", help="one site's decisions (default: every site's)")
    export.add_argument("--since", type=parse_since, help="decided at or after (ISO 8601)")
    export.add_argument("--out", help="file to write (default: standard output)")
    export.add_argument(
        "--format", choices=["jsonl", "csv"], help="default: csv for a .csv file, else jsonl"
    )
    export.set_defaults(func=_export_labels)


def _credential_commands(
    sites: argparse._SubParsersAction[argparse.ArgumentParser],
    users: argparse._SubParsersAction[argparse.ArgumentParser],
) -> None:
    """sites rotate-key, users revoke, users restore, users rotate-token."""
    rotate = sites.add_parser("rotate-key", help="give a site a new key; prints it")
    rotate.add_argument("slug")
    rotate.add_argument(
        "--grace-hours", type=float, default=24.0,
        help="how long the old key keeps working (0: stop at once; default 24)",
    )  # fmt: skip
    rotate.set_defaults(func=_sites_rotate_key)
    for name, func, text in (
        ("revoke", _users_revoke, "revoke a staff member at once; ends their web sessions"),
        ("restore", _users_restore, "lift a staff member's revocation"),
        ("rotate-token", _users_rotate_token, "give a staff member a new token; prints it"),
    ):
        command = users.add_parser(name, help=text)
        command.add_argument("username")
        command.add_argument("--site", required=True)
        command.set_defaults(func=func)


def parser() -> argparse.ArgumentParser:
    """The argument parser."""
    root = argparse.ArgumentParser(prog="moderation", description=__doc__)
    sub = root.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="migrate, then serve the HTTP API")
    fields = Settings.model_fields
    serve.add_argument(
        "--host",
        help=f"address to listen on (default: MODERATION_HOST, else {fields['host'].default})",
    )
    serve.add_argument(
        "--port", type=int,
        help=f"port to listen on (default: MODERATION_PORT, else {fields['port'].default})",
    )  # fmt: skip
    serve.add_argument(
        "--workers", type=int,
        help="processes sharing the port (SO_REUSEPORT) (default: MODERATION_WORKERS, else one"
        " per CPU core, at most 64)",
    )  # fmt: skip
    serve.set_defaults(func=_serve)
    sub.add_parser("migrate", help="apply pending migrations").set_defaults(func=_migrate)
    sites = sub.add_parser(
        "sites", help="news sites: create one, rotate its key, set its webhook"
    ).add_subparsers(dest="sites_command", required=True)
    create_site = sites.add_parser("create", help="create a site; prints its key")
    create_site.add_argument("slug")
    create_site.add_argument(
        "--time-zone", metavar="ZONE",
        help="the site's time zone for the pages and stats, an IANA name such as"
        " Asia/Ho_Chi_Minh (default: this host's: TZ, /etc/timezone, /etc/localtime; else UTC)",
    )  # fmt: skip
    create_site.set_defaults(func=_sites_create)
    hook = sites.add_parser("webhook", help="print the webhook signing secret; set the URL")
    hook.add_argument("slug")
    hook.add_argument("--url", help="set webhook_url (in a new policy version)")
    hook.add_argument("--rotate", action="store_true", help="replace the secret first")
    hook.add_argument(
        "--allow-network", action="append", type=_network, metavar="CIDR",
        help="let this site's webhooks reach a non-public network too (e.g. 127.0.0.1/32 for"
        " its WordPress on this host); repeatable; only the operator can set this",
    )  # fmt: skip
    hook.add_argument(
        "--clear-networks", action="store_true",
        help="forget the site's allowed networks first (public addresses only)",
    )  # fmt: skip
    hook.set_defaults(func=_sites_webhook)
    for name, text in (
        ("train", "retrain the model (python -m classifiers.train); --from-db adds decisions"),
        (
            "eval",
            "evaluate the model on dev splits (python -m classifiers.eval); --service:"
            " probes by category and dev sets through POST /v1/comments, default policy",
        ),
    ):
        sub.add_parser(name, help=text, add_help=False)
    users = sub.add_parser(
        "users", help="staff: create, set a password, revoke, restore, rotate a token"
    ).add_subparsers(dest="users_command", required=True)
    create_user = users.add_parser("create", help="create a staff member; prints a token")
    create_user.add_argument("username")
    create_user.add_argument("--site", required=True)
    create_user.add_argument("--role", required=True, choices=["owner", "moderator"])
    create_user.add_argument(
        "--password", action="store_true",
        help="also set a password for the web pages (prompted, or read from standard input)",
    )  # fmt: skip
    create_user.set_defaults(func=_users_create)
    password = users.add_parser("password", help="set a password for the web pages")
    password.add_argument("username")
    password.add_argument("--site", required=True)
    password.set_defaults(func=_users_password)
    _credential_commands(sites, users)
    _label_commands(sub)
    return root


# (name, ViCTSD/ViHSD source): dev rows, harmful = abuse 1 (toxic, offensive or hate)
_DEV_SETS = (("news comments (ViCTSD dev)", "victsd"), ("social media (ViHSD dev)", "vihsd"))
Verdicts = dict[str, list[tuple[bool, bool]]]  # set or category -> (should hold, was held)
Row = tuple[tuple[str, ...], str, bool]  # the sets it counts in, text, should be held


def _service_eval(argv: list[str]) -> int:
    """`moderation eval --service`: probes by category and dev sets through POST /v1/comments
    with the default policy (the app on a scratch database), publish vs hold or reject."""
    from classifiers import datasets, verdicts

    ap = argparse.ArgumentParser(
        prog="moderation eval --service", description=_service_eval.__doc__
    )
    ap.add_argument("--data", type=Path, default=datasets.default_root(), help="shared data sets")
    ap.add_argument("--limit", type=int, default=0, help="at most this many rows per dev set")
    ap.add_argument("--probes-only", action="store_true", help="leave the dev sets out")
    args = ap.parse_args([a for a in argv if a != "--service"])
    probes = verdicts.load_probes()
    spam_set = "news spam (vi probes: spam vs should-publish)"
    rows: list[Row] = []
    for q in probes:
        groups = [f"probe: {q.category}", f"probe: {q.category} ({q.lang})"]
        if q.lang == "vi" and ("spam" in q.labels or q.expect == "publish"):
            groups.append(spam_set)
        rows.append((tuple(groups), q.text, q.expect == "hold"))
    for name, source in _DEV_SETS if args.data and not args.probes_only else ():
        dev = [
            e for e in datasets.SOURCES[source](args.data) if e.split == "dev" and e.text.strip()
        ]
        rows += [((name,), e.text, e.abuse == 1) for e in dev[: args.limit or None]]
    settings = Settings()
    found = on_database(settings, lambda dsn, _: _post_all(settings, dsn, rows))
    say("set or category: right; harmful published; clean held (default policy, POST /v1/comments)")
    for name, pairs in sorted(found.items()):
        harm = [held for should, held in pairs if should]
        clean = [held for should, held in pairs if not should]
        right = sum(should == held for should, held in pairs) / len(pairs)
        published = 1 - sum(harm) / len(harm) if harm else 0.0
        kept = sum(clean) / len(clean) if clean else 0.0
        print(f"{name:48} n={len(pairs):5}  right {right:6.1%}  harm published {published:6.1%}"
              f" ({len(harm)})  clean held {kept:6.1%} ({len(clean)})")  # fmt: skip
    return 0


async def _post_all(settings: Settings, admin_dsn: str, rows: list[Row]) -> Verdicts:
    """Each row's text posted to a new site with the default policy on a scratch database."""
    import secrets

    from aiohttp.test_utils import TestClient, TestServer
    from pydantic import SecretStr

    from moderation.app import create_app

    name = f"moderation_eval_{secrets.token_hex(6)}"
    dsn = await admin.create_database(admin_dsn, name)
    try:
        await store.migrate_dsn(dsn)
        key = await admin.add_site(dsn, settings.db_timeout_seconds, "eval")
        with tempfile.TemporaryDirectory(prefix="moderation-eval-") as workdir:
            run = settings.model_copy(update={
                "database_url": dsn, "data_dir": Path(workdir), "rate_limit_per_key": 0.0,
                "rate_limit_per_address": 0.0, "secret": SecretStr(secrets.token_hex(32)),
            })  # fmt: skip
            async with TestClient(TestServer(create_app(run))) as client:
                out: Verdicts = {}
                for start in range(0, len(rows), 50):
                    part = rows[start : start + 50]
                    posts = [_post(client, key, start + i, row[1]) for i, row in enumerate(part)]
                    statuses = await asyncio.gather(*posts)
                    for (groups, _, should), status in zip(part, statuses, strict=True):
                        for group in groups:
                            out.setdefault(group, []).append((should, status != "published"))
                return out
    finally:
        await admin.drop_database(admin_dsn, name)


async def _post(client: Any, key: str, n: int, text: str) -> str:
    """The status POST /v1/comments gives one text."""
    body = {"thread": f"eval-{n}", "name": "Bạn đọc", "email": f"reader{n}@example.com",
            "body": text[:10_000]}  # fmt: skip
    resp = await client.post("/v1/comments", json=body, headers={"Authorization": f"Bearer {key}"})
    answer = await resp.json()
    if resp.status >= 300 and resp.status != 202:
        raise RuntimeError(f"POST /v1/comments answered {resp.status}: {answer}")
    return str(answer["status"])


def _model_command(name: str, argv: list[str]) -> int:
    """`moderation train|eval ...`: the classifiers' own command lines, options passed on."""
    if name == "train":
        from classifiers import train

        if "-h" in argv or "--help" in argv:  # ours first, then the trainer's (which exits)
            print(feedback_parser().format_help())

        with tempfile.TemporaryDirectory(prefix="moderation-labels-") as workdir:
            return train.main(feedback_arguments(Settings(), argv, Path(workdir)))
    if "--service" in argv:
        return _service_eval(argv)
    from classifiers import eval as evaluate

    return evaluate.main(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; messages go to standard error, secrets alone to standard output."""
    words = list(sys.argv[1:] if argv is None else argv)
    if words and words[0] in ("train", "eval"):
        return _model_command(words[0], words[1:])
    args = parser().parse_args(words)
    settings = Settings()
    logs.setup(settings.log_level)
    command: Command = args.func
    try:
        return command(settings, args)
    except (AlreadyExists, NotFound, DatabaseUnavailable) as exc:
        print(f"moderation: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    except (ImportError, AttributeError) as exc:
        print(f"moderation: cannot load the scorer {settings.scorer!r}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
