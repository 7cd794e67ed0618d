"""The service with the real model shipped in the classifiers package."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from aiohttp.test_utils import TestClient

from moderation.app import create_app
from moderation.domain.models import Thresholds
from moderation.runtime.scoring import DEFAULT_SCORER, Scorer, import_scorer
from moderation.settings import Settings
from tests.conftest import MakeStaff, auth, comment


@pytest.fixture(scope="module")
def real_model() -> Scorer:
    """classifiers.load_default(): the model ships with the project, so no skip."""
    return import_scorer(DEFAULT_SCORER)()


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("Bài viết rất hay, cảm ơn tác giả!", "published"),
        ("bai viet hay qua, cam on tac gia", "published"),
        ("Great article, thanks for writing it.", "published"),
        ("Nhà cái uy tín, nạp 100k tặng 200k, truy cập nhacai88.vip ngay", "spam"),
        ("vay tien nhanh khong the chap, giai ngan 15 phut, lh zalo 0912 345 678", "spam"),
        ("Đồ ngu như bò, câm mồm đi thằng óc chó", "rejected"),
    ],
)
async def test_intake_with_the_real_model(
    settings: Settings,
    real_model: Scorer,
    site_key: str,
    aiohttp_client: Callable[..., Awaitable[TestClient]],
    text: str,
    status: str,
) -> None:
    client = await aiohttp_client(create_app(settings, lambda: real_model))
    response = await client.post("/v1/comments", json=comment(body=text), headers=auth(site_key))
    body = await response.json()
    assert body["status"] == status, body
    assert response.status == (201 if status == "published" else 202)
    assert body["model_version"] == real_model.version
    assert set(body["scores"]) >= {"spam", "abuse", "hate"}
    assert all(0 <= v <= 1 for v in body["scores"].values())


async def test_queue_evidence_from_the_real_model(
    settings: Settings,
    real_model: Scorer,
    site_key: str,
    make_staff: MakeStaff,
    aiohttp_client: Callable[..., Awaitable[TestClient]],
) -> None:
    client = await aiohttp_client(create_app(settings, lambda: real_model))
    lan = await make_staff("lan")
    text = "Nhà cái uy tín, nạp 100k tặng 200k, truy cập nhacai88.vip ngay"
    await client.post("/v1/comments", json=comment(body=text), headers=auth(site_key))
    response = await client.get("/v1/sites/news/queue?status=spam", headers=auth(lan))
    [item] = (await response.json())["items"]
    spans = item["evidence"]["spam"]
    assert 1 <= len(spans) <= 3
    assert all(text[s["start"] : s["end"]] == s["text"] and s["weight"] > 0 for s in spans)


@pytest.mark.parametrize(
    ("text", "raised", "word"),
    [
        ("You are an idiot and a liar, read a newspaper before you comment", "abuse", "idiot"),
        ("Gọi điện thoại cho tôi để nhận tin báo mới nhất, nạp 100k tặng 200k tại "
         "nhacai88.vip", "spam", "nhacai88.vip"),
    ],
)  # fmt: skip
async def test_queue_evidence_is_whole_words_of_raised_labels(
    settings: Settings,
    real_model: Scorer,
    site_key: str,
    make_staff: MakeStaff,
    aiohttp_client: Callable[..., Awaitable[TestClient]],
    text: str,
    raised: str,
    word: str,
) -> None:
    """Issue 18's examples: "thoại" is no hate evidence at hate 0.00; "a", "and", "tin",
    "báo" are never evidence; "idiot" is. Only labels at or above the site's hold threshold
    have spans."""
    client = await aiohttp_client(create_app(settings, lambda: real_model))
    lan = await make_staff("lan")
    posted = await client.post("/v1/comments", json=comment(body=text), headers=auth(site_key))
    out = await posted.json()
    assert out["status"] != "published", out
    status = out["status"]
    response = await client.get(f"/v1/sites/news/queue?status={status}", headers=auth(lan))
    [item] = (await response.json())["items"]
    default = Thresholds()  # the site's policy: the default one
    for label, spans in item["evidence"].items():
        if out["scores"][label] < getattr(default, label).hold:
            assert spans == [], (label, out["scores"][label], spans)
        for s in spans:
            assert text[s["start"] : s["end"]] == s["text"]
            assert not {w.casefold() for w in s["text"].split()} & {"a", "and", "tin", "báo"}
    assert word in [s["text"] for s in item["evidence"][raised]]
    assert all("thoại" not in s["text"] for s in item["evidence"]["hate"])
