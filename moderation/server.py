"""`moderation serve`: database, migrations, demo site, then one or more worker processes."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import multiprocessing
import multiprocessing.connection
import os
import signal
import sys
from collections.abc import Sequence
from types import FrameType

from aiohttp import web

from moderation.admin import add_site, say
from moderation.app import ScorerFactory, create_app
from moderation.domain.errors import AlreadyExists
from moderation.keys import RELOADS
from moderation.runtime.metrics import process_exited, shared_by_processes
from moderation.runtime.scoring import scorer_factory
from moderation.settings import Settings
from moderation.store import migrate_dsn
from moderation.store.embedded import database_url

DEMO_SITE = "demo"


async def prepare(settings: Settings, demo: bool) -> str | None:
    """Migrate; with the embedded server, create the demo site once and return its key."""
    assert settings.database_url
    await migrate_dsn(settings.database_url)
    if not demo:
        return None
    try:
        return await add_site(settings.database_url, settings.db_timeout_seconds, DEMO_SITE)
    except AlreadyExists:
        return None


def announce(settings: Settings, demo_key: str | None) -> None:
    """Tell the operator where the service is and, the first time, the demo site's key."""
    base = f"http://{settings.host}:{settings.port}"
    if demo_key:
        print(f'Demo site "{DEMO_SITE}" created. Its site key (shown only this once):', flush=True)
        print(f"  {demo_key}", flush=True)
        print("Post a comment:", flush=True)
        print(
            f"  curl -i {base}/v1/comments -H 'Authorization: Bearer {demo_key}'"
            " -H 'Content-Type: application/json'"
            ' -d \'{"thread": "hello", "name": "An", "email": "an@example.com",'
            ' "body": "Xin chào, bài viết rất hay!"}\'',
            flush=True,
        )
        print(f"Read it: curl {base}/v1/sites/{DEMO_SITE}/threads/hello/comments", flush=True)
        print(
            f"Moderators' pages: {base}/ui/ (log in after: moderation users create NAME"
            f" --site {DEMO_SITE} --role owner --password)",
            flush=True,
        )
    print(f"Serving on {base} (Ctrl-C to stop)", flush=True)


def run_worker(settings: Settings, scorer: ScorerFactory, reuse_port: bool) -> None:
    """Serve in this process until SIGINT or SIGTERM."""
    import uvloop  # only workers need it

    signal.signal(signal.SIGHUP, signal.SIG_IGN)  # not the default (exit) until the app handles it
    app = create_app(settings, scorer)
    app.on_startup.append(_reload_on_sighup)
    app.on_startup.append(settle_heap)  # last: after every model and cache has loaded
    web.run_app(
        app,
        host=settings.host,
        port=settings.port,
        reuse_port=reuse_port,
        print=None,
        access_log=None,
        shutdown_timeout=10,
        loop=uvloop.new_event_loop(),
    )


async def _reload_on_sighup(app: web.Application) -> None:
    """SIGHUP reloads the model in this process (the models are loaded by then).

    Until now SIGHUP was ignored, so one sent while this worker was starting (the parent
    forwards it to every worker) is lost: reload once more if the model directory has named
    a new version since this worker loaded its model.
    """
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGHUP, app[RELOADS].soon, "SIGHUP")
    app[RELOADS].soon("started", if_changed=True)


async def settle_heap(app: web.Application) -> None:
    """Move what startup built (models, schemas, routes, caches) out of the collector's reach.

    Python's full collection walks every object the collector tracks; with a worker's ~90,000
    startup objects each one paused the event loop 50-110 ms (measured at 1,000 comments/s:
    about one a worker every 12 s, the fixed-rate run's worst latencies). Startup objects live
    as long as the worker, so they are collected once and frozen; full collections then walk
    only what requests left behind (2-5 ms). Objects frozen here are still freed by reference
    counting when dropped (a reloaded model's arrays); only a cycle among them would stay.
    """
    gc.collect()
    gc.freeze()


def _exit_on_term(signum: int, frame: FrameType | None) -> None:
    """Turn SIGTERM into a normal exit so that cleanup runs."""
    sys.exit(0)


def run_workers(settings: Settings, scorer: ScorerFactory) -> None:
    """Run N worker processes sharing the port, replacing any that dies; stop on Ctrl-C/SIGTERM."""
    if settings.workers == 1:
        run_worker(settings, scorer, reuse_port=False)
        return
    # before the first fork: every worker counts into the same directory, so /metrics sums
    # all of them whichever one a scrape reaches; removed once they have all stopped
    with shared_by_processes():
        _supervise(settings, scorer)


def _supervise(settings: Settings, scorer: ScorerFactory) -> None:
    """Start the workers and replace any that dies, until Ctrl-C or SIGTERM stops them all."""
    context = multiprocessing.get_context("fork")

    def spawn(i: int) -> multiprocessing.process.BaseProcess:
        worker = context.Process(
            target=run_worker, args=(settings, scorer, True), name=f"worker-{i}"
        )
        worker.start()
        return worker

    workers: list[multiprocessing.process.BaseProcess] = []

    def forward_hangup(signum: int, frame: FrameType | None) -> None:
        """SIGHUP to the parent reloads the model in every worker."""
        for worker in workers:
            if worker.is_alive() and worker.pid is not None:
                os.kill(worker.pid, signal.SIGHUP)

    signal.signal(signal.SIGTERM, _exit_on_term)
    signal.signal(signal.SIGHUP, forward_hangup)
    workers.extend(spawn(i) for i in range(settings.workers))
    try:
        while True:
            multiprocessing.connection.wait([w.sentinel for w in workers])
            for i, worker in enumerate(workers):
                if not worker.is_alive():
                    say(f"worker-{i} exited with {worker.exitcode}; starting a new one")
                    _exited(worker)
                    workers[i] = spawn(i)
    except KeyboardInterrupt:
        pass
    finally:
        _stop(workers)


def _exited(worker: multiprocessing.process.BaseProcess) -> None:
    """Bookkeeping for a worker that is gone (its counts stay in /metrics)."""
    if worker.pid is not None:
        process_exited(worker.pid)


def _stop(workers: Sequence[multiprocessing.process.BaseProcess]) -> None:
    """Ask every worker to stop, then wait for them."""
    for worker in workers:
        if worker.is_alive():
            worker.terminate()
    for worker in workers:
        worker.join(15)
        _exited(worker)


def serve(settings: Settings) -> int:
    """Migrate, maybe create the demo site, and serve; the embedded server stops afterwards."""
    embedded = not settings.database_url
    scorer = scorer_factory(settings)  # an unknown MODERATION_SCORER fails before anything starts
    with database_url(settings) as dsn:
        settings = settings.model_copy(update={"database_url": dsn})
        demo_key = asyncio.run(prepare(settings, demo=embedded))
        announce(settings, demo_key)
        with contextlib.suppress(KeyboardInterrupt):
            run_workers(settings, scorer)
    say("stopped")
    return 0
