"""The service with the real model from the classifiers package."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from aiohttp.test_utils import TestClient

from moderation.app import create_app
from moderation.scoring import DEFAULT_SCORER, Scorer, import_scorer
from moderation.settings import Settings
from tests.conftest import auth, comment


@pytest.fixture
def real_model() -> Scorer:
    """classifiers.load_default(), or a skip while the package has no trained model yet."""
    try:
        return import_scorer(DEFAULT_SCORER)()
    except (ImportError, AttributeError, OSError) as exc:
        pytest.skip(f"classifiers model not available: {exc}")


async def test_intake_with_the_real_model(
    settings: Settings,
    real_model: Scorer,
    site_key: str,
    aiohttp_client: Callable[..., Awaitable[TestClient]],
) -> None:
    client = await aiohttp_client(create_app(settings, lambda: real_model))
    texts = [
        "Bài viết rất hay, cảm ơn tác giả!",
        "Great article, thanks for writing it.",
        "Mua ngay thuốc giảm cân giá rẻ tại http://spam.example.com",
    ]
    for text in texts:
        response = await client.post(
            "/v1/comments", json=comment(body=text), headers=auth(site_key)
        )
        body = await response.json()
        assert response.status == (201 if body["status"] == "published" else 202)
        assert body["model_version"] == real_model.version
        assert set(body["scores"]) >= {"spam", "abuse", "hate"}
        assert all(0 <= v <= 1 for v in body["scores"].values())
