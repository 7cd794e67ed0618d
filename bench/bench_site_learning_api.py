"""Per-site learning through the API only, as a site and its moderators would see it.

    DATABASE_URL=... python bench/bench_site_learning_api.py --source vispamreviews \\
        --decisions 1000 [--held 800] [--base bench/.cache/site_learning/vispamreviews-...]

Issue 22's "done when", on data we have: one service (the real app on a free port, on
DATABASE_URL's server or the embedded one) and two new sites. The "adapted" site posts
``--decisions`` comments of the source's train split with its site key, and a moderator
decides each through ``POST /v1/sites/{site}/decisions`` (spam / not_spam for a spam source,
reject / approve for an abuse one); the owner calls ``POST /v1/sites/{site}/model/adapt``.
Then both sites post ``--held`` comments of the dev split, and the scores in the ``POST
/v1/comments`` answers are ranked (ROC AUC) against the dev labels. The "control" site has no
decisions: its scores must be the base model's own (the largest difference is printed).

``--base`` is the model the service loads (a folder with model.json; default: the shipped
model, which learnt every train split: with it, ``--decide-from dev`` takes the decisions from
the dev split too, apart from the scored comments, so that neither was seen in training). A
leave-one-out base that ``bench/bench_site_learning.py --build-only`` made without the source
(``bench/.cache/site_learning/SOURCE-*``) has never seen a text of it, as the issue's hidden
sources are new to the shipped model.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import ValidationError
from sklearn.metrics import roc_auc_score

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench_adapt_api import decide  # noqa: E402
from bench_site_learning import logit, plain_adapter  # noqa: E402
from feedback_demo import Api, served  # noqa: E402  (the same calls as a site, moderator, owner)

from classifiers import load_default  # noqa: E402
from classifiers.datasets import Example, default_root, load  # noqa: E402
from classifiers.model import Model  # noqa: E402
from moderation import admin  # noqa: E402
from moderation.domain.models import CommentIn  # noqa: E402
from moderation.settings import Settings  # noqa: E402
from moderation.store.embedded import database_url  # noqa: E402

BODY = 5000  # characters of a text posted as a comment
# source -> (the label its moderators decide, the actions for a positive and a negative)
SOURCES = {
    "youtube": ("spam", ("spam", "not_spam")),
    "sms": ("spam", ("spam", "not_spam")),
    "vispamreviews": ("spam", ("spam", "not_spam")),
    "vihsd": ("abuse", ("reject", "approve")),
    "vithsd": ("abuse", ("reject", "approve")),
    "victsd": ("abuse", ("reject", "approve")),
}


def labelled(examples: list[Example], source: str, label: str, split: str) -> list[Example]:
    """The source's examples of one split that carry the label and that a comment form could
    send (the service refuses control characters, which a few SMS texts hold)."""
    return [
        e
        for e in examples
        if (e.source, e.split) == (source, split)
        and e.label(label) in (0, 1)
        and stored_body(e.text) is not None
    ]


def stored_body(text: str) -> str | None:
    """The body the service stores (and scores) for a text posted as a comment, or None if
    it would refuse it."""
    try:
        return CommentIn(thread="t", name="n", email="a@example.com", body=text[:BODY]).body
    except ValidationError:
        return None


async def post_all(api: Api, key: str, texts: list[str], offset: int) -> list[dict[str, Any]]:
    """Each text posted as a new reader's comment; the answers, in order."""
    return [
        await api.post(key, f"t{(offset + i) % 50}", text[:BODY], offset + i)
        for i, text in enumerate(texts)
    ]


async def bench(dsn: str, args: argparse.Namespace, workdir: Path) -> None:
    label, actions = SOURCES[args.source]
    examples = load(args.data)
    rng = random.Random(args.seed)
    dev = labelled(examples, args.source, label, "dev")
    if args.decide_from == "dev":  # both from dev, apart: texts the shipped model never saw
        dev = rng.sample(dev, len(dev))
        decided, dev = dev[: args.decisions], dev[args.decisions :]
    else:
        train = labelled(examples, args.source, label, "train")
        decided = rng.sample(train, min(args.decisions, len(train)))
    held = rng.sample(dev, min(args.held, len(dev)))
    y = np.array([e.label(label) for e in held])
    base: Model = Model.load(args.base) if args.base else load_default()
    async with served(
        dsn, workdir, "adapted", model_dir=args.base, adapt_interval_minutes=0
    ) as site:
        api, slug = site.api, site.api.slug
        control = await admin.add_site(dsn, 5, f"control-{slug}")
        started = time.perf_counter()
        items = [(e.text[:BODY], e.label(label) == 1) for e in decided]
        await decide(api, slug, site.key, site.moderator, items, actions, 0)
        out = await api.call("POST", f"/v1/sites/{slug}/model/adapt", site.owner)
        figures = out["labels"].get(label, {})
        positives = sum(positive for _, positive in items)
        print(f"{args.source}: {len(decided):,} decisions ({positives} "
              f"{actions[0]}) in {time.perf_counter() - started:.0f} s; adapt: version "
              f"{out['version']}, adopted {out['adopted']}, out-of-fold AUC "
              f"{figures.get('base_auc')} -> {figures.get('adapted_auc')}")  # fmt: skip
        texts = [e.text[:BODY] for e in held]
        scores: dict[str, np.ndarray] = {}
        for name, key in (("control", control), ("adapted", site.key)):
            posted = await post_all(api, key, texts, 10**6 * (2 + len(scores)))
            scores[name] = np.array([[a["scores"][k] for k in base.labels] for a in posted])
    k = base.labels.index(label)
    stored = [stored_body(t) or "" for t in texts]  # each was postable (``labelled``)
    own = np.array([[s[n] for n in base.labels] for s in base.score(stored)])
    print(f"  control site vs the base model's own scores: largest difference "
          f"{np.abs(scores['control'] - own).max():.4f}")  # fmt: skip
    for name in ("control", "adapted"):
        auc = roc_auc_score(y, scores[name][:, k])
        print(f"  {name:<8} {label} ROC AUC on {len(held)} dev comments: {auc:.3f}")
    # the plain adapter on the very same decided and scored comments, for comparison
    taught = [stored_body(text) or "" for text, _ in items]
    plain = plain_adapter(
        taught, np.array([int(positive) for _, positive in items]),
        logit(base.probabilities(taught)[:, k]), stored, logit(base.probabilities(stored)[:, k]),
    )  # fmt: skip
    auc = roc_auc_score(y, plain)
    print(f"  {'plain':<8} {label} ROC AUC on {len(held)} dev comments: {auc:.3f} "
          "(the issue's plain adapter, the same decisions)")  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=default_root(), help="../shared/data")
    parser.add_argument("--source", choices=sorted(SOURCES), default="vispamreviews")
    parser.add_argument("--decisions", type=int, default=1000)
    parser.add_argument("--held", type=int, default=800, help="dev comments scored")
    parser.add_argument("--base", type=Path, help="the model folder the service loads")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--decide-from", choices=("train", "dev"), default="train",
        help="where the decided comments come from: dev (apart from the scored ones) for the "
        "shipped model, which was trained on every train split",
    )  # fmt: skip
    args = parser.parse_args()
    if args.data is None or not (args.data / "CARD.md").exists():
        parser.error("no data folder: pass --data (the shared data sets)")
    with (
        tempfile.TemporaryDirectory(prefix="site-learning-api-") as tmp,
        database_url(Settings(data_dir=Path(tmp))) as dsn,
    ):
        asyncio.run(bench(dsn, args, Path(tmp)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
