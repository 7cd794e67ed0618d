"""Validation of incoming comments."""

from __future__ import annotations

import unicodedata

import pytest
from email_validator import EmailNotValidError, validate_email
from pydantic import ValidationError

from moderation.domain.models import CommentIn, _has_control, _plain_email, check_email

VALID = {"thread": "t", "name": "An", "email": "an@example.com", "body": "Xin chào"}


def errors_of(**overrides: object) -> dict[str, str]:
    with pytest.raises(ValidationError) as caught:
        CommentIn.model_validate({**VALID, **overrides})
    return {".".join(map(str, e["loc"])): e["msg"] for e in caught.value.errors()}


def test_valid_comment_is_normalised() -> None:
    decomposed = unicodedata.normalize("NFD", "  Nguyễn Văn An  ")
    parsed = CommentIn.model_validate({**VALID, "name": decomposed, "body": "a\r\nb"})
    assert parsed.name == "Nguyễn Văn An"
    assert unicodedata.is_normalized("NFC", parsed.name)
    assert parsed.body == "a\nb"


@pytest.mark.parametrize("field", ["thread", "name", "email", "body"])
def test_required_fields(field: str) -> None:
    data = {k: v for k, v in VALID.items() if k != field}
    with pytest.raises(ValidationError) as caught:
        CommentIn.model_validate(data)
    assert caught.value.errors()[0]["loc"] == (field,)


@pytest.mark.parametrize(("field", "limit"), [("name", 100), ("body", 10_000), ("thread", 500)])
def test_length_limits(field: str, limit: int) -> None:
    CommentIn.model_validate({**VALID, field: "x" * limit})
    assert "at most" in errors_of(**{field: "x" * (limit + 1)})[field]


def test_email_length_limit() -> None:
    assert "at most 254" in errors_of(email="a" * 250 + "@x.com")["email"]


@pytest.mark.parametrize("bad", ["not-an-email", "a@b", "two@@example.com", "a b@example.com"])
def test_bad_email_message_does_not_echo_it(bad: str) -> None:
    message = errors_of(email=bad)["email"]
    assert message == "is not a valid email address"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "An\x00"), ("name", "A\nB"), ("body", "x\x07y"), ("thread", "t\u202e"),
        ("body", "x\x85y"), ("name", "A\x9f"), ("body", "a\u2068b"), ("body", "a\x7f"),
    ],
)  # fmt: skip
def test_control_characters_refused(field: str, value: str) -> None:
    assert "control characters" in errors_of(**{field: value})[field]


def test_control_check_is_unicode_category_cc_and_bidi_controls() -> None:
    bidi = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
    for code in range(0x3000):
        char = chr(code)
        cc = unicodedata.category(char) == "Cc"
        assert _has_control(char, multiline=False) == (cc or char in bidi), hex(code)
        assert _has_control(char, multiline=True) == ((cc and char not in "\n\t") or char in bidi)


def test_zero_width_and_emoji_are_not_controls() -> None:
    body = "Hay quá 👍🏽\u200d👨\u200b bài viết"
    assert CommentIn.model_validate({**VALID, "body": body}).body == body


def test_body_may_have_newlines_and_tabs() -> None:
    assert CommentIn.model_validate({**VALID, "body": "a\n\tb"}).body == "a\n\tb"


@pytest.mark.parametrize("field", ["name", "body", "thread"])
def test_blank_is_empty(field: str) -> None:
    assert errors_of(**{field: "   "})[field] == "must not be empty"


def test_types_are_strict() -> None:
    assert "name" in errors_of(name=123)


def test_unknown_fields_refused() -> None:
    assert "mail" in errors_of(mail="x")


def test_ip_checked() -> None:
    assert errors_of(author_ip="999.1.1.1")["author_ip"] == "is not a valid IP address"


EMAILS = [
    "Foo.Bar@Example.COM", "an.nguyen@gmail.com", "a@b.co", "a@b.c", "x@localhost.test",
    "a@b.local", "a@mail.example.onion", "a@xn--bcher-kva.example", "a@exa_mple.com",
    "a@123.45", "a..b@c.com", ".a@c.com", "a.@c.com", "a@-c.com", "a@c-.com", "a@c..com",
    "a@c.com.", "a+tag@sub.domain.vn", "o'brien@example.ie", "x" * 64 + "@example.com",
    "x" * 65 + "@example.com", "a@" + "b" * 63 + ".com", "a@" + "b" * 64 + ".com",
    "a@ab--cd.com", "a@c.co1", "a@c.i", "a@LOCALHOST", "a@b.ARPA", "user@[192.0.2.1]",
    '"quoted"@example.com', "tên@ví-dụ.vn", "a@c.museum", "a@c.xn--p1ai", "a@@c.com",
]  # fmt: skip


@pytest.mark.parametrize("email", EMAILS)
def test_the_plain_email_fast_path_answers_as_email_validator(email: str) -> None:
    fast = _plain_email(email)
    try:
        full: str | None = validate_email(email, check_deliverability=False).normalized
    except EmailNotValidError:
        full = None
    assert fast is None or fast == full  # taken only where it agrees, else the full check
    assert (check_email(email) if full else None) == full


def test_the_fast_path_takes_the_common_addresses() -> None:
    assert _plain_email("Foo.Bar@Example.COM") == "Foo.Bar@example.com"
    assert _plain_email("an.nguyen+tin@gmail.com.vn") == "an.nguyen+tin@gmail.com.vn"
