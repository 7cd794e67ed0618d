"""Evidence spans (issue 18): only for a label that was raised, whole words of that label's
own features, never a function word or a news-comment staple."""

from __future__ import annotations

import re

import pytest

from classifiers import load_default
from classifiers.model import STOP_WORDS, Model

EVERY_LABEL = {"spam": 0.0, "abuse": 0.0, "hate": 0.0}
NEVER = {"a", "and", "tin", "báo", "the", "và", "là", "của", "nhé"}


@pytest.fixture(scope="module")
def model() -> Model:
    return load_default()


def test_no_evidence_for_a_label_below_its_hold_threshold(model: Model) -> None:
    text = "Gọi điện thoại cho tổng đài nhé"
    [scores] = model.score([text])
    hold = model.hold_thresholds()
    evidence = model.explain(text)
    for label, score in scores.items():
        if score < hold[label]:
            assert evidence[label] == [], (label, score, evidence[label])
    assert scores["hate"] < hold["hate"]
    assert not any(ev["text"] == "thoại" for ev in evidence["hate"])


def test_floors_choose_which_labels_are_explained(model: Model) -> None:
    text = "you are an idiot and a liar"
    assert model.explain(text, floors={"spam": 1.1, "abuse": 1.1, "hate": 1.1}) == {
        "spam": [],
        "abuse": [],
        "hate": [],
    }
    assert model.explain(text, floors=EVERY_LABEL)["abuse"]


@pytest.mark.parametrize(
    "text",
    [
        "you are an idiot and a liar",
        "Đọc tin trên báo thấy a và b",
        "Tin này báo nào cũng đăng rồi, đọc chán lắm",
        "This is a story the paper ran and the readers hated",
        "Gọi điện thoại cho tổng đài nhé",
    ],
)
def test_function_words_are_never_evidence(model: Model, text: str) -> None:
    """Even with every label explained, no span is or begins or ends with a stop word."""
    for label, spans in model.explain(text, floors=EVERY_LABEL).items():
        for ev in spans:
            assert text[ev["start"] : ev["end"]] == ev["text"]
            words = re.findall(r"\w+", ev["text"].lower())
            assert words and words[0] not in STOP_WORDS and words[-1] not in STOP_WORDS, (
                label,
                ev,
            )
            assert not set(words) & NEVER, (label, ev)


def test_the_insult_is_the_abuse_evidence(model: Model) -> None:
    text = "you are an idiot and a liar"
    [scores] = model.score([text])
    assert scores["abuse"] >= model.hold_thresholds()["abuse"]
    spans = [ev["text"] for ev in model.explain(text, top=3)["abuse"]]
    assert "idiot" in spans, spans


def test_spans_are_whole_words(model: Model) -> None:
    text = "Đồ ngu như bò, câm mồm đi thằng óc chó"
    for spans in model.explain(text, floors=EVERY_LABEL).values():
        for ev in spans:
            a, b = ev["start"], ev["end"]
            assert a == 0 or not text[a - 1].isalnum()
            assert b == len(text) or not text[b].isalnum()


def test_a_phone_number_may_be_spam_evidence_but_not_a_short_number(model: Model) -> None:
    text = "Vay tiền nhanh 15 phút, gọi zalo 0683 772 415 ngay, lãi 0%"
    spans = model.explain(text, floors=EVERY_LABEL)["spam"]
    assert all(ev["text"] not in ("15", "0") for ev in spans)


def test_a_model_without_hold_thresholds_uses_one_half(model: Model) -> None:
    from dataclasses import replace

    assert replace(model, hold=None).hold_thresholds() == {"spam": 0.5, "abuse": 0.5, "hate": 0.5}
