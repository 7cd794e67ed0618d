"""Group commit for intake: the comments one process has waiting go in one statement.

A comment is stored at once when nothing else of its site and policy version is being stored
(no added waiting: one waiting comment runs insert_comment, as before); comments arriving
while a statement is in flight wait for it and then go together in insert_comments (up to
`max_batch`), each answered only after its own transaction committed. The pitfalls of one
statement for many rows, and what is done about each:

- the same idempotency key twice in one statement aborts it: a repeat waits for the next
  batch (where it finds the first one's row and answers it);
- a statement does not see its own rows, so two rows counted by the same flood or duplicate
  key would both pass a count that only one may: a row sharing a counted key with an earlier
  row of the batch waits for the next batch;
- the counted keys are try-locked (a hot /24 held by another transaction does not hold the
  batch's other rows): a row whose key is taken comes back deferred and goes in a later batch,
  and alone (insert_comment, which waits for its locks) after DEFERRALS tries;
- rows go in idempotency-key order, so two batches never wait on each other in a cycle;
- one row the database refuses would fail every row of the batch: on any failure but the
  database being unavailable, each row is retried alone and answered with its own outcome;
- the answer's order is not the input's: each row carries its ordinal and is matched by it;
- a client that goes away does not cancel anything: the statement runs in a task of its own
  and each waiter awaits its result through a shield;
- a lost connection leaves the outcome unknown: every waiter gets DatabaseUnavailable (503
  with Retry-After), and its idempotency key makes the client's retry safe.

Nothing here outlives a request: the queues hold only comments still being answered.
"""

from __future__ import annotations

import asyncio
import copy
import uuid
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from moderation.domain.errors import DatabaseUnavailable
from moderation.store.rows import CommentRow

Result = Any  # a Mapping of insert_comment's columns (an asyncpg Record or a dict)
DEFERRALS = 3  # try-lock failures before a row waits for its locks alone


@dataclass(eq=False)
class Waiting:
    """A comment waiting to be stored and the future its request awaits."""

    row: CommentRow
    future: asyncio.Future[Result]
    keys: list[int]
    deferred: int = 0
    id: uuid.UUID = field(default_factory=uuid.uuid4)

    def answer(self, result: Result) -> None:
        """Resolve the request (unless it already is)."""
        if not self.future.done():
            self.future.set_result(result)

    def fail(self, error: BaseException) -> None:
        """Fail the request with its own copy of the error (each request raises it)."""
        if not self.future.done():
            self.future.set_exception(copy.copy(error))


def take(queue: deque[Waiting], limit: int) -> list[Waiting]:
    """The next batch, in idempotency-key order: up to `limit` rows from the front of the
    queue, none sharing an idempotency key or a counted key with an earlier one (those stay,
    in order, for the next batch); a row deferred DEFERRALS times goes alone."""
    if queue[0].deferred >= DEFERRALS:
        return [queue.popleft()]
    batch: list[Waiting] = []
    idempotency: set[str] = set()
    counted: set[int] = set()
    kept: list[Waiting] = []
    while queue and len(batch) < limit:
        waiting = queue.popleft()
        key = waiting.row.comment.idempotency_key
        if (key is not None and key in idempotency) or not counted.isdisjoint(waiting.keys):
            kept.append(waiting)
            continue
        if key is not None:
            idempotency.add(key)
        counted.update(waiting.keys)
        batch.append(waiting)
    queue.extendleft(reversed(kept))
    return sorted(batch, key=lambda w: w.row.comment.idempotency_key or "")


class GroupCommit:
    """Stores comments one at a time when idle and in batches under load (see the module)."""

    def __init__(
        self,
        single: Callable[[CommentRow], Awaitable[Result]],
        many: Callable[[Sequence[Waiting]], Awaitable[Sequence[Result]]],
        max_batch: int = 64,
        flushes: int = 1,
    ) -> None:
        self._single = single
        self._many = many
        self.max_batch = max_batch
        self.flushes = flushes  # statements in flight at once per site and policy version
        self._queues: dict[tuple[int, int], deque[Waiting]] = {}
        self._running: Counter[tuple[int, int]] = Counter()
        self._tasks: set[asyncio.Task[None]] = set()
        self.sizes: Counter[int] = Counter()  # statements by how many comments each stored
        self.retried_alone = 0  # batches that failed and were retried row by row
        self.observe: Callable[[int], None] | None = None  # told each statement's size
        # a lone comment goes through the single statement (insert_comment); tests turn this
        # off so that every intake test also runs the batched statement, on one row
        self.lone_statement = True

    async def store(self, row: CommentRow) -> Result:
        """Store a comment (alone or with others waiting); its insert_comment columns."""
        future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        future.add_done_callback(_retrieve)
        group = row.group()
        self._queues.setdefault(group, deque()).append(Waiting(row, future, row.lock_keys()))
        if self._running[group] < self.flushes:
            self._running[group] += 1
            task = asyncio.create_task(self._flush(group))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return await asyncio.shield(future)

    async def _flush(self, group: tuple[int, int]) -> None:
        """Store what this group has waiting, batch after batch, until nothing waits."""
        queue = self._queues[group]
        try:
            while queue:
                batch = take(queue, self.max_batch)
                await self._store(batch, queue)
        finally:
            self._running[group] -= 1
            if not self._running[group]:
                del self._running[group]
                if not queue:
                    del self._queues[group]

    async def _store(self, batch: list[Waiting], queue: deque[Waiting]) -> None:
        """One statement for the batch; every waiter answered, deferred rows queued again."""
        self.sizes[len(batch)] += 1
        if self.observe is not None:
            self.observe(len(batch))
        if len(batch) == 1 and (self.lone_statement or batch[0].deferred >= DEFERRALS):
            await self._alone(batch[0])
            return
        try:
            results = await self._many(batch)
            if [int(r["n"]) for r in results] != list(range(1, len(batch) + 1)):
                raise ValueError("insert_comments did not answer each row once")
        except DatabaseUnavailable as exc:
            for waiting in batch:
                waiting.fail(exc)
            return
        except Exception:  # one row the database refused: each row on its own
            self.retried_alone += 1
            for waiting in batch:
                await self._alone(waiting)
            return
        again = []
        for waiting, result in zip(batch, results, strict=True):
            if result["deferred"]:
                waiting.deferred += 1
                again.append(waiting)
            else:
                waiting.answer(result)
        queue.extendleft(reversed(again))

    async def _alone(self, waiting: Waiting) -> None:
        """insert_comment for one row; its outcome, or its error, to its waiter."""
        try:
            waiting.answer(await self._single(waiting.row))
        except Exception as exc:
            waiting.fail(exc)

    async def drain(self) -> None:
        """Wait for every statement in flight (at shutdown)."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)


def _retrieve(future: asyncio.Future[Result]) -> None:
    """Mark a failed future's error as seen: its request may have gone away."""
    if not future.cancelled():
        future.exception()
