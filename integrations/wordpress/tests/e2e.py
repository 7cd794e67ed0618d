"""End-to-end test of the WordPress plugin: real WordPress, real MariaDB, this service.

Run by e2e.sh (which installs the Debian packages or skips). Exit status: 0 when every check
passed or when the environment cannot run the test (SKIP, with the reason), 1 when a check
failed: the plugin or the service misbehaved.

Steps: a fresh service database and a `moderation serve`; a copy of Debian's WordPress on a
fresh MariaDB database, served by `php -S`; the plugin's zip (make zip) installed through
Plugins > Add New > Upload and activated; its settings checked on save (a wrong key and a
wrong secret refused with a notice); comments posted
through wp-comments-post.php with the form's own fields; decisions taken in the service
(webhooks), in wp-admin (feedback), forged, repeated, interrupted and concurrent webhooks, the
fail modes and the retries once the service is back, a moderator's lease, WordPress' clock moved
minutes off the service's (libfaketime), the personal data eraser; readers see the service's
public copy (emails and phone numbers masked) on the page, the feed and the REST API; every
wp-admin status change in step with the service; the column and box of the comment screens;
a key replaced in the service (notice, comments waiting, sent once the settings are fixed);
the site in Vietnamese.

Modules: harness (HTTP, forms, checks, processes), actors (WordPress, wp-admin, the service),
machine (databases, the WordPress copy, the service's CLI), scenario (the checks).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import sys
import tempfile
import time
from pathlib import Path

from actors import ADMIN, ADMIN_PASSWORD, WordPress
from harness import Checks, Skip, background, free_port, http, wait_until
from machine import (
    MARIADB,
    MODERATION,
    PLUGIN,
    POSTGRES,
    build_zip,
    environment,
    mariadb,
    php_clock,
    postgres,
    preflight,
    start_service,
    watch_term,
    write_wordpress,
)
from scenario import Scenario


def main() -> int:
    """Set everything up, run the scenario, print the summary; the exit status."""
    preflight()
    started = time.monotonic()
    name = f"wpe2e_{os.getpid()}_{secrets.token_hex(3)}"
    checks = Checks()
    with tempfile.TemporaryDirectory(prefix="wp-e2e-") as tmp_name, contextlib.ExitStack() as stack:
        tmp = Path(tmp_name)
        clock = tmp / "wordpress-clock"
        wp = WordPress(
            tmp / "wordpress", f"http://127.0.0.1:{free_port()}", php_clock(clock), clock
        )
        environment("MariaDB at " + MARIADB, lambda: mariadb("createdb", name))
        stack.callback(mariadb, "dropdb", name)
        environment("PostgreSQL at " + POSTGRES, lambda: postgres("CREATE DATABASE", name))
        stack.callback(postgres, "DROP DATABASE IF EXISTS", name)
        environment(
            "copying WordPress", lambda: write_wordpress(wp.root, name, tmp / "wp-debug.log")
        )
        installed = wp.tool("install", {"admin": ADMIN, "password": ADMIN_PASSWORD})
        if not checks.check("WordPress installed", installed["installed"], installed):
            return 1
        plugin_zip = build_zip()
        svc, env = start_service(tmp, f"{POSTGRES}/{name}", wp.tool("webhook-url"))
        stack.enter_context(background([str(MODERATION), "serve"], tmp / "service.log", env))
        php_env = {**(wp.env or os.environ), "PHP_CLI_SERVER_WORKERS": "4"}
        php = ["php", "-S", wp.url.removeprefix("http://"), "-t", str(wp.root)]
        stack.enter_context(background(php, tmp / "php-server.log", php_env))
        wait_until("service ready", lambda: http("GET", svc.url + "/readyz").status == 200, 90)
        wait_until("WordPress up", lambda: http("GET", wp.url + "/?p=1").status == 200, 30)
        watch_term(svc)
        scenario = Scenario(wp, svc, checks, plugin_zip)
        scenario.run()
        plugin_notices = [
            x
            for x in (tmp / "wp-debug.log").read_text().splitlines()
            if f"plugins/{PLUGIN.name}/" in x
        ]
        checks.check(
            "no PHP error, warning or notice from the plugin",
            not plugin_notices,
            "\n".join(plugin_notices[:5]),
        )
        if checks.failed():
            for log in ("service.log", "php-server.log", "wp-debug.log"):
                path = tmp / log
                if path.exists():
                    lines = [x for x in path.read_text().splitlines() if "Deprecated" not in x]
                    print(f"--- last lines of {log}:\n" + "\n".join(lines[-25:]))
    return summary(checks, time.monotonic() - started)


def summary(checks: Checks, seconds: float) -> int:
    """Print PASS or FAIL with counts; the exit status."""
    failed = checks.failed()
    counts = ", ".join(f"{k}: {v}" for k, v in sorted(checks.counts.items()))
    total = len(checks.results)
    if failed:
        print(f"FAIL wordpress e2e: {len(failed)} of {total} checks failed", end=" ")
        print(f"({counts}; {seconds:.0f} s)")
        for name in failed:
            print(f"  failed: {name}")
        return 1
    print(f"PASS wordpress e2e: {total} checks passed ({counts}; {seconds:.0f} s)")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Skip as reason:
        print(f"SKIP wordpress e2e: {reason}")
        sys.exit(0)
