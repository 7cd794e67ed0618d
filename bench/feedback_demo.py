"""The feedback loop end to end: moderators' corrections make the model better.

    python bench/feedback_demo.py [--quick] [--data ../shared/data]

On a real database (DATABASE_URL, else the embedded server) and the real service (in this
process, on a free port), with a demo site, an owner and a moderator:

1. posts held-out comments and notes their spam scores ("before");
2. posts correction comments; the moderator corrects those the model got wrong through the
   API (not_spam on news comments that cite a site or a hotline, spam on missed spam);
3. exports the labels (`moderation export-labels`), retrains (`moderation train
   --with-decisions ... --into MODEL_DIR`), reloads through the owner's endpoint;
4. posts the held-out comments again and prints before/after scores.

The held-out comments are other texts than the corrections (other sites, other numbers,
other wording). Without --quick the base model is the shipped one and the retrain is a full
one (10-16 minutes on 2 cores); with --quick both models are --quick ones (about a minute).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from classifiers import MODEL_DIR, load_dir  # noqa: E402
from classifiers.datasets import default_root  # noqa: E402
from moderation import admin  # noqa: E402
from moderation.admin import free_port  # noqa: E402
from moderation.app import create_app  # noqa: E402
from moderation.settings import Settings  # noqa: E402
from moderation.store.embedded import database_url  # noqa: E402

# News comments that name a site or a phone number for a good reason: moderators publish them.
CITING = [
    "Mình đọc bài gốc trên thanhnien.vn, họ viết khác hẳn",
    "Xem nghị định đầy đủ tại chinhphu.vn, bài này trích thiếu",
    "Ai muốn tra cứu điểm thi thì vào thisinh.thitotnghiepthpt.edu.vn nhé",
    "Đọc thêm ở laodong.vn, phóng viên phỏng vấn cả người dân",
    "Mình gọi hotline 1800 6868 của ngân hàng thì họ khóa thẻ ngay, cảm ơn bài viết",
    "Ai bị lừa đảo qua mạng thì báo qua canhbao.ncsc.gov.vn nhé",
    "Dịch vụ công quốc gia dichvucong.gov.vn giờ làm hộ chiếu online được rồi",
    "Bài gốc trên bbc.com có nói rõ nguồn tin",
    "Số liệu trên gso.gov.vn cho thấy lạm phát tháng này 3,5%",
    "Mình đăng ký tiêm trên tiemchung.gov.vn mà mãi không thấy lịch",
    "Báo vietnamnet.vn hôm qua cũng đăng tin này rồi",
    "Bài này giống hệt bài trên dantri.com.vn, không ghi nguồn à",
    "Số hotline 1800 1567 của EVN mình gọi hỏi tiền điện thì được giải thích rõ ràng",
    "Mình đọc bài gốc trên tuoitre.vn, số liệu khác với bài này",
    "Xem thêm số liệu tại gso.gov.vn, tổng cục thống kê công bố hôm qua",
    "Tra cứu mã số thuế trên tracuunnt.gdt.gov.vn là ra ngay, khỏi hỏi",
    "Bên vnexpress.net có video hiện trường, xem rõ hơn",
    "Ai cần đổi giấy phép lái xe thì làm trên dichvucong.gov.vn, mình làm rồi mất 5 ngày",
    "Mình gọi tổng đài 1900 545 415 của Vietcombank báo mất thẻ, họ hỗ trợ nhanh",
    "Theo thông báo trên moh.gov.vn thì đợt này không bắt buộc tiêm",
    "Bài phân tích trên cafef.vn hay hơn bài này nhiều",
    "Bộ giáo dục đăng đáp án trên moet.gov.vn rồi, mọi người tự so nhé",
    "Báo nhandan.vn có bài phỏng vấn bộ trưởng về vụ này",
    "Số đường dây nóng 1900 9095 của bộ y tế trực 24/24, ai cần thì gọi",
    "Kết quả xổ số mình xem trên xskt.com.vn, đài miền Nam chưa có",
    "Mình báo mất điện qua app và tổng đài 1900 1288 thì 1 tiếng có thợ tới",
    "Tin này trên vtv.vn từ sáng rồi, giờ báo này mới đăng",
    "Trang baohiemxahoi.gov.vn tra cứu quá trình đóng bảo hiểm dễ lắm",
    "Mình check lịch bay trên vietnamairlines.com thì chuyến này bị hoãn thật",
    "Đọc toàn văn luật đất đai sửa đổi trên thuvienphapluat.vn cho chắc",
    "Tổng đài 1800 1091 của bộ công thương nhận phản ánh hàng giả, mọi người gọi nhé",
    "Bài bên zingnews.vn có cả bản đồ khu vực ngập",
    "Ai ở Đà Nẵng cần cấp cứu thì số bệnh viện là 0236 3821 118, lưu lại nhé",
    "Nguồn tin gốc là reuters.com, báo này dịch lại thôi",
    "Mình tra phạt nguội trên csgt.vn thấy đúng là bị phạt thật",
    "Trên baochinhphu.vn có đăng toàn văn quyết định",
]
# Spam a moderator marks as spam (one the model let through is the useful kind).
SPAM = [
    "Bài hay. Anh em muốn kiếm thêm thu nhập thì xem kenhkiemtien247.com, mình làm 2 tháng rồi",
    "Hàng xách tay Nhật giá gốc, xem mẫu tại shopnhatxachtay.vn, freeship nội thành",
    "Đọc xong bài thấy buồn, mà ai cần vay tiền online duyệt nhanh thì nhắn mình",
    "Kèo thơm hôm nay anh em vào nhóm tele @keothom88 nhận tip miễn phí",
    "Cần tiền gấp? Vay nhanh tại vaynhanh24h.online, không thẩm định",
    "Bài viết hay quá, anh chị quan tâm đầu tư coin thì vào group mình nhé",
]
HELD_OUT_CITING = [
    "Bản tin trên vtv.vn tối qua nói rõ hơn",
    "Tin này lấy từ reuters.com mà dịch sai nhiều chỗ",
    "Nộp thuế online ở thuedientu.gdt.gov.vn nhanh lắm, khỏi xếp hàng",
    "Hotline 1900 5454 của cục quản lý thị trường nhận tố giác hàng giả",
    "Theo zingnews.vn thì giá vàng còn tăng nữa",
    "Mình đọc trên plo.vn thấy luật sư nói khác hẳn",
    "Xem bảng giá đất mới trên hanoi.gov.vn, quận mình tăng gấp đôi",
    "Báo tienphong.vn có phóng sự về vụ này từ năm ngoái",
    "Gọi tổng đài 1900 6600 của Viettel hỏi cước thì họ trả lời rõ ràng",
    "Số liệu đầy đủ ở trang worldbank.org, bài này chỉ lấy một phần",
    "Đăng ký thi bằng lái trên dichvucong.hanoi.gov.vn bây giờ nhanh hơn trước",
    "Theo vnexpress.net thì dự án này đã chậm tiến độ 3 năm rồi",
]
HELD_OUT_SPAM = [
    "Bài hay! Ai muốn làm giàu nhanh thì vào kiemtienonline88.com nhé",
    "Nhận làm bằng đại học, chứng chỉ tiếng Anh, uy tín, ib zalo",
    "Cho thuê tài khoản Netflix premium chỉ 30k/tháng, ib ngay",
    "Tuyển cộng tác viên làm việc tại nhà, thu nhập 500k/ngày, chỉ cần điện thoại",
    "Chị em muốn giảm 5kg trong 7 ngày thì thử trà thảo mộc bên mình, ship toàn quốc",
    "Anh em vào nhóm tele @tipbongda99 lấy kèo miễn phí mỗi ngày",
]


class Api:
    """The service's HTTP API, as a site, its moderator and its owner call it."""

    def __init__(self, session: aiohttp.ClientSession, base: str, slug: str) -> None:
        self.session, self.base, self.slug = session, base, slug

    async def call(self, method: str, path: str, token: str, body: Any = None) -> Any:
        headers = {"Authorization": f"Bearer {token}"}
        async with self.session.request(
            method, self.base + path, json=body, headers=headers
        ) as response:
            answer = await response.json(content_type=None)
            if response.status >= 400:
                raise RuntimeError(f"{method} {path}: {response.status} {answer}")
            return answer

    async def post(self, key: str, thread: str, body: str, n: int) -> dict[str, Any]:
        comment = {"thread": thread, "name": f"Bạn đọc {n}",
                   "email": f"reader{n}@example.com", "body": body}  # fmt: skip
        answer: dict[str, Any] = await self.call("POST", "/v1/comments", key, comment)
        return answer


@dataclass
class Served:
    """A new site on the service: its API and the credentials of its site, moderator, owner."""

    api: Api
    key: str
    moderator: str
    owner: str


@asynccontextmanager
async def served(dsn: str, workdir: Path, prefix: str, **changes: Any) -> AsyncIterator[Served]:
    """The real application on a free port (rate limits, webhooks and the access log off,
    ``changes`` to the settings) with a new site named ``prefix``-something, a moderator
    and an owner: what the benchmarks that drive the service through its API share."""
    slug = f"{prefix}-{secrets.token_hex(3)}"
    key = await admin.add_site(dsn, 5, slug)
    moderator = await admin.add_user(dsn, 5, "lan", slug, "moderator")
    owner = await admin.add_user(dsn, 5, "chu", slug, "owner")
    settings = Settings(database_url=dsn, webhooks=False, access_log=False,
                        rate_limit_per_key=0, rate_limit_per_address=0, data_dir=workdir,
                        **changes)  # fmt: skip
    runner = web.AppRunner(create_app(settings))
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        async with aiohttp.ClientSession() as session:
            yield Served(Api(session, f"http://127.0.0.1:{port}", slug), key, moderator, owner)
    finally:
        await runner.cleanup()


def run(*args: str, env: dict[str, str]) -> str:
    """A command of this project (python -m ...); its standard output."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", *args], capture_output=True, text=True, cwd=ROOT,
        env={**os.environ, **env}, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{done.stderr[-3000:]}")
    print(f"  $ {' '.join(args)}   ({time.perf_counter() - started:.0f} s)", flush=True)
    return done.stdout


def base_model(models: Path, data: Path, quick: bool) -> str:
    """Put the model to start from into the model directory; its version."""
    if quick:
        run("classifiers.train", "--quick", "--data", str(data), "--into", str(models), env={})
    else:
        version = load_dir(MODEL_DIR).version
        shutil.copytree(MODEL_DIR, models / version)
        (models / "CURRENT").write_text(version + "\n", encoding="utf-8")
    return load_dir(models).version


async def held_out(api: Api, key: str, thread: str) -> list[float]:
    """Spam scores of the held-out comments, posted as new comments."""
    texts = HELD_OUT_CITING + HELD_OUT_SPAM
    answers = [await api.post(key, thread, text, 900 + i) for i, text in enumerate(texts)]
    return [float(a["scores"]["spam"]) for a in answers]


async def corrections(api: Api, key: str, moderator: str) -> tuple[int, int]:
    """Post the correction comments; the moderator fixes what the model got wrong.

    Clean comments the model held are published (not_spam); spam it let through or held
    is marked spam. What the model already got right needs no decision.
    """
    fixed = confirmed = 0
    for i, (text, is_spam) in enumerate([(t, False) for t in CITING] + [(t, True) for t in SPAM]):
        posted = await api.post(key, "corrections", text, i)
        wrong = posted["status"] != "published" if not is_spam else posted["status"] != "spam"
        if wrong:
            action = "spam" if is_spam else "not_spam"
            await api.call("POST", f"/v1/comments/{posted['id']}/decision", moderator,
                           {"action": action, "note": "feedback demo"})  # fmt: skip
            fixed += not is_spam
            confirmed += is_spam
    return fixed, confirmed


def report(before: list[float], after: list[float], old: str, new: str) -> None:
    """Before/after table and a summary per group."""
    print(f"\nspam score before ({old}) -> after ({new})\n")
    texts = HELD_OUT_CITING + HELD_OUT_SPAM
    for i, (text, b, a) in enumerate(zip(texts, before, after, strict=True)):
        kind = "clean" if i < len(HELD_OUT_CITING) else "spam "
        print(f"  {kind}  {b:4.2f} -> {a:4.2f}  {text}")
    n = len(HELD_OUT_CITING)
    for name, part in (("clean (cite a site or a hotline)", slice(0, n)), ("spam", slice(n, None))):
        was, now = before[part], after[part]
        held_was, held_now = sum(s >= 0.5 for s in was), sum(s >= 0.5 for s in now)
        print(
            f"\n  {name}: {len(was)} comments, mean spam score {sum(was) / len(was):.2f} -> "
            f"{sum(now) / len(now):.2f}, held or removed (>= 0.5) {held_was} -> {held_now}"
        )


async def demo(dsn: str, data: Path, quick: bool, workdir: Path) -> None:
    """The whole loop, printed."""
    models = workdir / "models"
    print("1. base model", flush=True)
    old = base_model(models, data, quick)
    async with served(dsn, workdir, "feedback-demo", model_dir=models) as site:
        api, key, slug = site.api, site.key, site.api.slug
        print(f"2. site {slug!r}: held-out comments with {old}", flush=True)
        before = await held_out(api, key, "held-out-before")
        fixed, confirmed = await corrections(api, key, site.moderator)
        print(f"3. the moderator corrected {fixed + confirmed} comments through the API "
              f"({fixed} not_spam, {confirmed} spam)", flush=True)  # fmt: skip
        labels = workdir / "labels.jsonl"
        env = {"DATABASE_URL": dsn, "MODERATION_MODEL_DIR": str(models)}
        print("4. export, retrain, reload", flush=True)
        run("moderation", "export-labels", "--site", slug, "--out", str(labels), env=env)
        quick_flag = ["--quick"] if quick else []
        run("moderation", "train", "--with-decisions", str(labels), "--data", str(data),
            *quick_flag, env=env)  # fmt: skip
        reloaded = await api.call("POST", f"/v1/sites/{slug}/model/reload", site.owner)
        print(f"  POST /v1/sites/{slug}/model/reload -> {reloaded}", flush=True)
        after = await held_out(api, key, "held-out-after")
        report(before, after, old, reloaded["model_version"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="quick models (about a minute)")
    parser.add_argument("--data", type=Path, default=default_root(), help="../shared/data")
    args = parser.parse_args()
    if args.data is None or not (args.data / "CARD.md").exists():
        parser.error("no data folder: pass --data (the shared data sets)")
    with (
        tempfile.TemporaryDirectory(prefix="feedback-demo-") as tmp,
        database_url(Settings(data_dir=Path(tmp))) as dsn,
    ):
        asyncio.run(demo(dsn, args.data, args.quick, Path(tmp)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
