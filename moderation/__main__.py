"""The `moderation` command line: serve, migrate, sites, users, train, eval."""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable, Sequence
from datetime import datetime
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path

from moderation import logs
from moderation.errors import AlreadyExists, DatabaseUnavailable, NotFound
from moderation.settings import Settings

Command = Callable[[Settings, argparse.Namespace], int]


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    """Migrate, then serve until interrupted."""
    from moderation import server

    overrides = {k: getattr(args, k) for k in ("host", "port", "workers")}
    return server.serve(settings.model_copy(update={k: v for k, v in overrides.items() if v}))


def _migrate(settings: Settings, args: argparse.Namespace) -> int:
    """Apply pending migrations."""
    from moderation import commands

    return commands.migrate(settings)


def _sites_create(settings: Settings, args: argparse.Namespace) -> int:
    """Create a site and print its key."""
    from moderation import commands

    return commands.create_site(settings, args.slug)


def _sites_webhook(settings: Settings, args: argparse.Namespace) -> int:
    """Print a site's webhook secret; set its URL or rotate the secret."""
    from moderation import commands

    allow = args.allow_network or ()
    return commands.webhook(settings, args.slug, args.url, args.rotate, allow, args.clear_networks)


def _network(text: str) -> IPv4Network | IPv6Network:
    """An IP network such as 127.0.0.1/32 or fd00::/8 (host bits dropped)."""
    try:
        return ip_network(text, strict=False)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an IP network: {text!r}") from None


def _users_create(settings: Settings, args: argparse.Namespace) -> int:
    """Create a staff member and print their token."""
    from moderation import commands

    password = commands.read_password() if args.password else None
    if args.password and password is None:
        return 2
    return commands.create_user(settings, args.username, args.site, args.role, password)


def _users_password(settings: Settings, args: argparse.Namespace) -> int:
    """Set a staff member's password for the web pages."""
    from moderation import commands

    password = commands.read_password()
    if password is None:
        return 2
    return commands.set_password(settings, args.site, args.username, password)


def _sites_rotate_key(settings: Settings, args: argparse.Namespace) -> int:
    """Give a site a new key and print it."""
    from moderation import commands

    return commands.rotate_site_key(settings, args.slug, args.grace_hours)


def _users_revoke(settings: Settings, args: argparse.Namespace) -> int:
    """Revoke a staff member's token."""
    from moderation import commands

    return commands.revoke_user(settings, args.site, args.username)


def _users_rotate_token(settings: Settings, args: argparse.Namespace) -> int:
    """Give a staff member a new token and print it."""
    from moderation import commands

    return commands.rotate_user_token(settings, args.site, args.username)


def _users_restore(settings: Settings, args: argparse.Namespace) -> int:
    """Lift a staff member's revocation."""
    from moderation import commands

    return commands.restore_user(settings, args.site, args.username)


def _since_argument(value: str) -> datetime:
    """--since: an ISO 8601 date or time."""
    from moderation.commands import parse_since

    return parse_since(value)


def _export_labels(settings: Settings, args: argparse.Namespace) -> int:
    """Write moderators' decisions as training labels."""
    from moderation import commands
    from moderation.labels import format_of

    fmt = format_of(args.out, args.format)
    return commands.export_labels(settings, args.site, args.since, args.out, fmt)


def _label_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """export-labels."""
    export = sub.add_parser(
        "export-labels",
        help="write moderators' decisions as training labels (no emails, no names)",
    )
    export.add_argument("--site", help="one site's decisions (default: every site's)")
    export.add_argument("--since", type=_since_argument, help="decided at or after (ISO 8601)")
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
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--workers", type=int, help="processes sharing the port (SO_REUSEPORT)")
    serve.set_defaults(func=_serve)
    sub.add_parser("migrate", help="apply pending migrations").set_defaults(func=_migrate)
    sites = sub.add_parser("sites").add_subparsers(dest="sites_command", required=True)
    create_site = sites.add_parser("create", help="create a site; prints its key")
    create_site.add_argument("slug")
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
        ("train", "retrain the model (python -m classifiers.train)"),
        ("eval", "evaluate the model on dev splits (python -m classifiers.eval)"),
    ):
        sub.add_parser(name, help=text, add_help=False)
    users = sub.add_parser("users").add_subparsers(dest="users_command", required=True)
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


def _model_command(name: str, argv: list[str]) -> int:
    """`moderation train|eval ...`: the classifiers' own command lines, options passed on."""
    if name == "train":
        from classifiers import train
        from moderation.commands import feedback_arguments

        with tempfile.TemporaryDirectory(prefix="moderation-labels-") as workdir:
            return train.main(feedback_arguments(Settings(), argv, Path(workdir)))
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


if __name__ == "__main__":
    sys.exit(main())
