"""Setting up the WordPress end-to-end test: databases, a WordPress copy, the service."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from actors import SLUG, WP_TOOL, Service
from harness import Skip, free_port, run

HERE = Path(__file__).resolve().parent
PLUGIN = HERE.parent / "comment-moderation-service"
WP_SOURCE = Path(os.environ.get("WP_E2E_SOURCE", "/usr/share/wordpress"))
MODERATION = Path(sys.executable).parent / "moderation"
MARIADB = os.environ.get("WP_E2E_MARIADB", "127.0.0.1:3306")
MARIADB_USER = os.environ.get("WP_E2E_MARIADB_USER", "root")
MARIADB_PASSWORD = os.environ.get("WP_E2E_MARIADB_PASSWORD", "")
POSTGRES = os.environ.get("WP_E2E_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
WATCHED = "chính quyền"  # a watched term of the site's policy: such comments are held
# libfaketime (Debian package libfaketime): WordPress' clock, moved by the test, is its PHP's.
FAKETIME = next(Path("/usr/lib").glob("*/faketime/libfaketime.so.1"), None)


def write_wordpress(root: Path, db_name: str, log: Path) -> None:
    """Copy Debian's WordPress, configure it, add the plugin and the test's mu-plugin."""
    shutil.copytree(  # symlinks followed; of WordPress' translations, Vietnamese only
        WP_SOURCE, root, ignore=_other_languages, ignore_dangling_symlinks=True
    )
    host, _, port = MARIADB.partition(":")
    config = f"""<?php
define('DB_NAME', {db_name!r}); define('DB_USER', {MARIADB_USER!r});
define('DB_PASSWORD', {MARIADB_PASSWORD!r}); define('DB_HOST', '{host}:{port or 3306}');
define('DB_CHARSET', 'utf8mb4'); define('DB_COLLATE', '');
foreach (['AUTH_KEY','SECURE_AUTH_KEY','LOGGED_IN_KEY','NONCE_KEY','AUTH_SALT','SECURE_AUTH_SALT',
          'LOGGED_IN_SALT','NONCE_SALT'] as $k) define($k, {secrets.token_hex(16)!r} . $k);
$table_prefix = 'wp_';
define('WP_DEBUG', true); define('WP_DEBUG_DISPLAY', false); define('WP_DEBUG_LOG', {str(log)!r});
define('WP_HTTP_BLOCK_EXTERNAL', true); define('DISABLE_WP_CRON', true);
define('AUTOMATIC_UPDATER_DISABLED', true); define('WP_CONTENT_DIR', __DIR__ . '/wp-content');
if (!defined('ABSPATH')) define('ABSPATH', __DIR__ . '/');
require_once ABSPATH . 'wp-settings.php';
"""
    (root / "wp-config.php").unlink(missing_ok=True)
    (root / "wp-config.php").write_text(config)
    # The plugin is not copied: the test installs its zip through Plugins > Add New > Upload.
    mu = root / "wp-content/mu-plugins"
    mu.mkdir(exist_ok=True)
    # The test posts many comments from 127.0.0.1 within seconds: no flood check.
    (mu / "e2e-no-flood.php").write_text(
        "<?php\nadd_filter('comment_flood_filter', '__return_false');\n"
    )
    (mu / "e2e-faults.php").write_text(FAULTS)
    (mu / "e2e-reports.php").write_text(REPORTS)


def build_zip() -> Path:
    """The plugin's installable zip, built by its Makefile (make -C integrations/wordpress zip)."""
    out = run(["make", "-s", "-C", str(PLUGIN.parent), "zip"])
    return PLUGIN.parent / out.strip().splitlines()[-1]


def service_sql(db_url: str, query: str) -> list[str]:
    """Rows of a query on the service's database, one line each (psql -tA)."""
    out = run(["psql", "-tA", "-v", "ON_ERROR_STOP=1", db_url, "-c", query])
    return [line for line in out.splitlines() if line]


# Readers' reports are offered only when the service describes them (POST
# /v1/comments/{id}/report); the option can offer them anyway against a service without them, to see
# the form and the relay (the service then answers 404).
REPORTS = """<?php
add_filter( 'cmsvc_reports_enabled', function ( $on ) {
	return $on || '1' === get_option( 'cmsvc_e2e_reports' );
} );
"""


# Faults the test injects where the plugin applies a webhook, just before WordPress marks a
# comment spam (wp-tool.php fault): "crash" once, a fatal error that no try/catch sees, as a
# timeout would be; "slow", a pause, so that concurrent deliveries of one event overlap.
FAULTS = """<?php
add_action( 'spam_comment', function () {
	$fault = get_option( 'cmsvc_e2e_fault' );
	if ( 'crash' === $fault ) {
		update_option( 'cmsvc_e2e_fault', '' );
		trigger_error( 'e2e: simulated fatal error while a webhook is applied', E_USER_ERROR );
	}
	if ( 'slow' === $fault ) {
		sleep( 2 );
	}
} );
"""


def _other_languages(folder: str, names: list[str]) -> set[str]:
    """copytree's ignore: in wp-content/languages, every translation but Vietnamese."""
    if not folder.endswith("wp-content/languages"):
        return set()
    return {n for n in names if n.endswith((".mo", ".po")) and "vi" not in Path(n).stem.split("-")}


def php_clock(clock: Path) -> dict[str, str]:
    """The environment of WordPress' PHP, whose clock is moved by what the file `clock` says."""
    # "+600": 10 minutes ahead; read at every call; monotonic time and file times untouched.
    clock.write_text("+0\n")
    assert FAKETIME is not None
    return {
        **os.environ,
        "LD_PRELOAD": str(FAKETIME),
        "FAKETIME_TIMESTAMP_FILE": str(clock),
        "FAKETIME_NO_CACHE": "1",
        "DONT_FAKE_MONOTONIC": "1",
        "NO_FAKE_STAT": "1",
    }


def mariadb(command: str, name: str) -> None:
    """Create or drop the WordPress database (as the MariaDB administrator)."""
    args = {"host": MARIADB, "user": MARIADB_USER, "password": MARIADB_PASSWORD, "name": name}
    run(["php", str(WP_TOOL), "-", command, json.dumps(args)], timeout=30)


def postgres(command: str, name: str) -> None:
    """Create or drop the service's database."""
    run(
        ["psql", "-q", "-v", "ON_ERROR_STOP=1", f"{POSTGRES}/postgres", "-c", f'{command} "{name}"']
    )


def start_service(tmp: Path, db_url: str, wp_webhook: str) -> tuple[Service, dict[str, str]]:
    """Site, staff and webhook created with the CLI; the environment of `moderation serve`."""
    env = {
        **os.environ,
        "DATABASE_URL": db_url,
        "MODERATION_SECRET": secrets.token_hex(32),
        "MODERATION_DATA_DIR": str(tmp / "service"),
        "MODERATION_WEBHOOK_POLL_SECONDS": "0.2",
        # WordPress listens on loopback here; webhooks reach public addresses only by default
        "MODERATION_WEBHOOK_ALLOWED_NETWORKS": '["127.0.0.0/8"]',
        "MODERATION_WEBHOOK_BACKOFF_SECONDS": "0.5",
        "MODERATION_WEBHOOK_BACKOFF_CAP_SECONDS": "2",
        "MODERATION_PORT": str(free_port()),
        "MODERATION_WORKERS": "1",
        "MODERATION_LOG_LEVEL": "WARNING",
    }
    cli = str(MODERATION)
    key = run([cli, "sites", "create", SLUG], env).strip()
    moderator = run([cli, "users", "create", "lan", "--site", SLUG, "--role", "moderator"], env)
    owner = run([cli, "users", "create", "chu", "--site", SLUG, "--role", "owner"], env)
    secret = run([cli, "sites", "webhook", SLUG, "--url", wp_webhook], env).strip()
    url = f"http://127.0.0.1:{env['MODERATION_PORT']}"
    return Service(url, key, moderator.strip(), owner.strip(), secret, db_url, env), env


def watch_term(svc: Service) -> None:
    """The owner adds a watched term: comments with it are held for a moderator."""
    current = svc.call("GET", f"/v1/sites/{SLUG}/policy", svc.owner)
    answer = svc.call(
        "PUT",
        f"/v1/sites/{SLUG}/policy",
        svc.owner,
        {"watched_terms": [WATCHED]},
        {"If-Match": current.headers["ETag"]},
    )
    if answer.status != 200:
        raise AssertionError(f"policy update failed: {answer.status} {answer.body[:300]!r}")


def preflight() -> None:
    """Skip when the tools the test needs are missing."""
    for tool in ("php", "psql", "make", "zip"):
        if shutil.which(tool) is None:
            raise Skip(f"{tool} is not installed")
    if not (WP_SOURCE / "wp-settings.php").exists():
        raise Skip(f"no WordPress at {WP_SOURCE} (Debian package 'wordpress')")
    if FAKETIME is None:
        raise Skip("no libfaketime (Debian package libfaketime)")
    if not MODERATION.exists():
        raise Skip(f"no {MODERATION}: run with the project's .venv/bin/python")


def environment(name: str, step: Callable[[], None]) -> None:
    """A step of setting up the machine: its failure skips the test."""
    try:
        step()
    except (subprocess.CalledProcessError, OSError, subprocess.TimeoutExpired) as error:
        stderr = (getattr(error, "stderr", "") or "").strip()
        raise Skip(f"{name}: {stderr.splitlines()[-1] if stderr else error}") from None
