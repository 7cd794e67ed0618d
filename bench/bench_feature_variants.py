"""Linear feature variants for the ViCTSD / ViHSD experts: dev ROC AUC per variant.

Rows, weights, anchors, borrowing and augmentation are exactly those of classifiers.train
(TrainConfig defaults); only the feature matrix changes.  Fit on train splits, score dev.

  OPENBLAS_NUM_THREADS=1 python bench/bench_feature_variants.py \
      --experts victsd_toxic,vihsd_abuse,vihsd_hate --variants a,b,c,d,e,f,g2,e25 \
      --powers 0,0.5 --cs 1,2,4,8 [--out results.jsonl]

Measured in session 12 (MODEL_CARD.md, "Ranking for the default verdicts"): every variant
stays at or below about 0.842 on ViCTSD's dev split (the shipped features 0.8386).
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from classifiers.datasets import default_root, load
from classifiers.features import Featurizer, Hits, Weighting
from classifiers.normalize import normalize_batch
from classifiers.train import EXPERTS, TrainConfig, all_hits, augment, subset

CFG = TrainConfig()
WORDS = r"(?u)\b\w+\b"  # a word: a run of letters and digits
SHIPPED_POWER = {"victsd_toxic": 0.5, "vihsd_abuse": 0.0, "vihsd_hate": 0.5}


def log(*a: object) -> None:
    print(time.strftime("%H:%M:%S"), *a, file=sys.stderr, flush=True)


def sublinear_matrix(w: Weighting, hits: Hits) -> sp.csr_matrix:
    """Shipped hashed features with (1 + log count) * idf, unit length per row and group."""
    n_f = w.idf.size
    key = (hits.rows * 2 + hits.is_char) * n_f + hits.cols
    uk, cnt = np.unique(key, return_counts=True)
    col = uk % n_f
    slot = uk // n_f
    row, is_char = slot // 2, (slot % 2).astype(bool)
    vals = (1.0 + np.log(cnt)) * w.idf[col]
    norm = np.sqrt(np.bincount(slot, weights=vals * vals, minlength=2 * hits.n_rows))[slot]
    vals = vals / np.maximum(norm, 1e-6) * np.where(is_char, 1.0, w.word_weight)
    m = sp.csr_matrix((vals.astype(np.float32), (row, col)), shape=(hits.n_rows, n_f))
    m.sum_duplicates()
    m.eliminate_zeros()
    return m


def nb_scale(x: sp.csr_matrix, y: np.ndarray, w: np.ndarray | None, power: float) -> np.ndarray:
    """classifiers.train.Trainer.nb_scale on any matrix."""
    present = (x > 0).astype(np.float64)
    pos = y == 1
    w = np.ones(x.shape[0]) if w is None else w
    a = CFG.nb_alpha
    p = a + present[pos].T @ w[pos]
    q = a + present[~pos].T @ w[~pos]
    r = np.log(p / p.sum()) - np.log(q / q.sum())
    scale: np.ndarray = np.asarray(np.minimum(np.abs(r), CFG.nb_clip) ** power, dtype=np.float32)
    return scale


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--experts", default="victsd_toxic,vihsd_abuse,vihsd_hate")
    ap.add_argument("--variants", default="a,b,c,d,e,f")
    ap.add_argument("--cs", default="1,2,4,8")
    ap.add_argument("--powers", default="shipped", help="'shipped' or e.g. 0,0.5")
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    names = args.experts.split(",")
    variants = args.variants.split(",")
    cs = [float(c) for c in args.cs.split(",")]

    t0 = time.perf_counter()
    root = default_root()
    if root is None:
        raise SystemExit("no labelled data: ../shared/data is absent (see CARD.md)")
    examples = augment(load(root), CFG.strip_share, CFG.seed)
    feat = Featurizer(CFG.features)
    texts = [e.text for e in examples]
    hits = all_hits(feat, texts)
    is_train = np.array([e.split == "train" for e in examples])
    weighting = Weighting.fit(subset(hits, is_train), feat.n_features, CFG.word_weight)
    sources = np.array([e.source for e in examples])
    log(f"shipped hashing + IDF over {len(texts)} texts: {time.perf_counter() - t0:.0f}s")

    def labels(label: str) -> np.ndarray:
        return np.array([-1 if e.label(label) is None else e.label(label) for e in examples])

    # the rows of each expert, exactly as Trainer.fit_expert picks them
    plan = {}
    for name in names:
        label, source = EXPERTS[name]
        y = labels(label)
        mine = (sources == source) & (y >= 0)
        anchor = np.isin(sources, CFG.anchors) & (sources != source) & (y == 0)
        lent = np.zeros(len(examples), dtype=bool)
        weight = np.ones(len(examples))
        for other in CFG.shared:
            if other != source and name not in CFG.shared_except:
                theirs = (sources == other) & (y >= 0)
                lent |= theirs
                weight[theirs] = CFG.shared_weight
        for other, share in CFG.borrow.get(name, ()):
            theirs = (sources == other) & (y >= 0)
            lent |= theirs
            weight[theirs] = share
        train = np.flatnonzero((mine | anchor | lent) & is_train)
        dev = np.flatnonzero(mine & ~is_train)
        w = None if bool(np.all(weight[train] == 1.0)) else weight[train]
        plan[name] = (y, train, dev, w)
        log(f"{name}: train {train.size} (pos {int((y[train] == 1).sum())}), dev {dev.size}")

    # only the rows any expert needs; vectorizers fit on the union of their train rows
    need = np.unique(np.concatenate([np.concatenate(p[1:3]) for p in plan.values()]))
    pos_of = np.full(len(examples), -1)
    pos_of[need] = np.arange(need.size)
    fit_rows = pos_of[np.unique(np.concatenate([p[1] for p in plan.values()]))]
    need_mask = np.zeros(len(examples), dtype=bool)
    need_mask[need] = True
    hits_need = subset(hits, need_mask)
    ntexts = [texts[i] for i in need]
    t1 = time.perf_counter()
    marked = []
    for i in range(0, len(ntexts), 4096):
        marked += normalize_batch(ntexts[i : i + 4096])[0]
    log(f"marked channel: {time.perf_counter() - t1:.0f}s")

    blocks: dict[str, tuple[sp.csr_matrix, float, int]] = {}  # name -> matrix, seconds, vocab

    def block(key: str) -> sp.csr_matrix:
        if key in blocks:
            return blocks[key][0]
        t = time.perf_counter()
        vocab = 0
        if key == "shipped":
            m = weighting.matrix(hits_need)
        elif key == "sublinear":
            m = sublinear_matrix(weighting, hits_need)
        else:
            kw: dict[str, object] = dict(sublinear_tf=True, min_df=2, dtype=np.float32)
            src = marked
            if key == "mchar":  # char n-grams 2-5 on the marked channel
                kw |= dict(analyzer="char_wb", ngram_range=(2, 5))
            elif key == "mchar16":  # char n-grams 1-6 across word edges, marked channel
                kw |= dict(analyzer="char", ngram_range=(1, 6))
            elif key == "mchar25c":
                kw |= dict(analyzer="char", ngram_range=(2, 5))
            elif key == "mword3":  # word trigrams on the marked channel
                kw |= dict(analyzer="word", ngram_range=(3, 3), token_pattern=WORDS)
            elif key == "skword":  # outside reference: raw lower-cased text
                kw |= dict(analyzer="word", ngram_range=(1, 2), token_pattern=WORDS)
                src = ntexts
            elif key == "skchar":
                kw |= dict(analyzer="char_wb", ngram_range=(2, 5))
                src = ntexts
            else:
                raise KeyError(key)
            vec = TfidfVectorizer(**kw)
            vec.fit([src[i] for i in fit_rows])
            m = vec.transform(src).tocsr()
            vocab = len(vec.vocabulary_)
        blocks[key] = (m.astype(np.float32).tocsr(), time.perf_counter() - t, vocab)
        log(f"block {key}: {blocks[key][1]:.0f}s, vocab {vocab}, nnz/row {m.nnz / m.shape[0]:.1f}")
        return blocks[key][0]

    def stack(*parts: tuple[str, float]) -> sp.csr_matrix:
        return sp.hstack([block(k) * wt for k, wt in parts], format="csr")

    recipes = {
        "a": (("shipped", 1.0),),
        "b": (("shipped", 1.0), ("mchar", 1.0)),
        "c": (("shipped", 1.0), ("mword3", 1.0)),
        "d": (("sublinear", 1.0),),
        "e": (("skword", 1.0), ("skchar", 1.0)),
        "f": (("sublinear", 1.0), ("mchar", 1.0)),  # (b) and (d) together
        "g": (("shipped", 1.0), ("mchar16", 1.0)),
        "g2": (("shipped", 1.0), ("mchar25c", 1.0)),
        "bf": (("shipped", 1.0), ("mchar", 1.0), ("mword3", 0.5)),
        "b05": (("shipped", 1.0), ("mchar", 0.5)),
        "b2": (("shipped", 1.0), ("mchar", 2.0)),
        "c05": (("shipped", 1.0), ("mword3", 0.5)),
        "e25": (("skword", 2.5), ("skchar", 1.0)),
    }
    results = []
    for v in variants:
        x_all = stack(*recipes[v])
        extra = [k for k, _ in recipes[v] if k not in ("shipped",)]
        for name in names:
            y, train, dev, w = plan[name]
            tr, dv = pos_of[train], pos_of[dev]
            powers = (
                [SHIPPED_POWER[name]]
                if args.powers == "shipped"
                else [float(p) for p in args.powers.split(",")]
            )
            for power in powers:
                x = x_all[tr]
                scale = nb_scale(x, y[train], w, power) if power else None
                if scale is not None:
                    x = x @ sp.diags(scale)
                xd = x_all[dv] if scale is None else x_all[dv] @ sp.diags(scale)
                row = {"variant": v, "expert": name, "power": power, "aucs": {}, "secs": {}}
                for c in cs:
                    ts = time.perf_counter()
                    clf = LogisticRegression(
                        C=c, solver="liblinear", tol=1e-3, max_iter=100, random_state=CFG.seed
                    ).fit(x, y[train], sample_weight=w)
                    row["secs"][c] = round(time.perf_counter() - ts, 1)
                    score = clf.decision_function(xd)
                    row["aucs"][c] = round(float(roc_auc_score(y[dev], score)), 4)
                    if args.out:
                        np.save(f"{args.out}.{v}.{name}.p{power:g}.C{c:g}.npy", score)
                        np.save(f"{args.out}.{name}.ydev.npy", y[dev])
                best = max(row["aucs"], key=row["aucs"].get)
                row["best_c"], row["best_auc"] = best, row["aucs"][best]
                row["nnz_per_row"] = round(x_all[dv].nnz / dv.size, 1)
                row["extra_nnz_per_row"] = {k: round(block(k)[dv].nnz / dv.size, 1) for k in extra}
                results.append(row)
                log(json.dumps(row))
                if args.out:
                    with open(args.out, "a") as f:
                        f.write(json.dumps(row) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
