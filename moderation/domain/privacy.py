"""Pure privacy steps: email hashing and masking, IP truncation, masking inside text."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
from collections.abc import Callable, Iterable, Iterator

import idna

from moderation.domain import links
from moderation.domain.models import CommentIn, ProtectedComment

# An address is a run of local characters, "@", then dot-separated labels ending in a label
# that starts with two letters. Searching for the whole pattern tries every start inside a long
# run of word characters and rescans the run each time (quadratic); instead each "@" is the
# anchor: the local part is the run of local characters just before it (read on the reversed
# slice back to the previous "@" or address), the domain one anchored match after it. Both
# stop at the next "@", so the whole text is read a bounded number of times.
_LOCAL_RUN = re.compile(r"[\w.+%-]*")
_ANY_LOCAL_RUN = re.compile(r"[\w.+%*-]*")  # masked addresses too: ng***@gmail.com
_DOMAIN = re.compile(r"[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}")
_SEP = r"[ .\-]?"
_PHONE_PATTERNS = (
    # Vietnamese: 0912345678, 0912 345 678, 0912.345.678, +84 912 345 678, 84912345678
    rf"(?:\+84{_SEP}|84|0)[1-9](?:{_SEP}\d){{8}}",
    # International with a leading plus: +1 (555) 123-4567, +44 20 7946 0958
    rf"\+\d{{1,3}}{_SEP}(?:\(\d{{1,4}}\){_SEP})?\d(?:{_SEP}\d){{5,12}}",
    # North American without a plus: (555) 123-4567, 555-123-4567
    r"\(\d{3}\)[ .\-]?\d{3}[ .\-]\d{4}",
    r"\d{3}[.\-]\d{3}[.\-]\d{4}",
)
_PHONE_IN_TEXT = re.compile(r"(?<![\w+])(?:" + "|".join(_PHONE_PATTERNS) + r")(?!\w)")
_KEEP_DIGITS = 3


def hash_email(email: str, secret: bytes) -> bytes:
    """Keyed hash (HMAC-SHA256) of the case-folded address, the only stored identity."""
    return hmac.new(secret, email.casefold().encode(), hashlib.sha256).digest()


def hash_reader(address: str, secret: bytes) -> bytes:
    """A reader's address as a keyed hash, for counting their reports (never the address)."""
    return hmac.new(secret, b"reader:" + address.encode(), hashlib.sha256).digest()


def mask_email(email: str) -> str:
    """Mask the local part: nguyen@gmail.com -> ng***@gmail.com."""
    local, _, domain = email.rpartition("@")
    keep = 1 if len(local) <= 3 else 2
    return f"{local[:keep]}***@{domain}"


def email_domain(email: str) -> str:
    """The lower-cased domain of an address."""
    return email.rpartition("@")[2].lower()


def mask_phone(phone: str) -> str:
    """Keep the first digits of a phone number and star the rest, keeping separators."""
    out: list[str] = []
    seen = 0
    for char in phone:
        if char.isdigit():
            seen += 1
            out.append(char if seen <= _KEEP_DIGITS else "*")
        else:
            out.append(char)
    return "".join(out)


def email_spans(text: str, local_run: re.Pattern[str] = _LOCAL_RUN) -> Iterator[tuple[int, int]]:
    """Where addresses are in a text, as finditer of local+@+domain would find them, in linear time.

    A match holds exactly one "@", and whether a start inside the local run before an "@"
    matches depends only on the domain after it, so the leftmost match for that "@" starts
    where the run starts (or where the previous address ended, if that is later).
    """
    end = 0  # where the previous address ended
    after_at = 0  # just past the previous "@"
    at = text.find("@")
    while at >= 0:
        low = max(end, after_at)
        run = local_run.match(text[low:at][::-1])
        size = run.end() if run else 0
        if size:
            domain = _DOMAIN.match(text, at + 1)
            if domain:
                end = domain.end()
                yield at - size, end
        after_at = at + 1
        at = text.find("@", after_at)


def _replace(text: str, spans: Iterator[tuple[int, int]], new: Callable[[str], str]) -> str:
    """The text with each span replaced by new(span's text)."""
    out: list[str] = []
    pos = 0
    for start, end in spans:
        out += (text[pos:start], new(text[start:end]))
        pos = end
    if not out:
        return text
    out.append(text[pos:])
    return "".join(out)


def mask_text(text: str) -> str:
    """Mask email addresses and phone numbers inside free text."""
    masked = _replace(text, email_spans(text), mask_email)
    return _PHONE_IN_TEXT.sub(lambda m: mask_phone(m.group(0)), masked)


def address_forms(email: str) -> tuple[str, ...]:
    """An address as typed and with its domain in the other IDNA form (ASCII or Unicode).

    Validation stores "an@xn--bcher-kva.example" as "an@bücher.example"; a reader may type
    either form in the text.
    """
    local, _, domain = email.rpartition("@")
    forms = [email]
    for convert in (idna.encode, idna.decode):
        try:
            other = convert(domain, uts46=True)
        except (idna.IDNAError, UnicodeError, ValueError):
            continue
        text = other.decode("ascii") if isinstance(other, bytes) else other
        forms.append(f"{local}@{text}")
    return tuple(dict.fromkeys(forms))


def without_address(text: str, email: str) -> str:
    """Replace one address (any case, either IDNA form of its domain) by its masked form.

    Other text is kept as typed. A text without "@" cannot hold it (no character folds to
    "@"), and most do not: they skip compiling a pattern for this one address (each is new,
    so re's cache never helps).
    """
    if "@" not in text:
        return text
    forms = sorted(address_forms(email), key=len, reverse=True)
    pattern = "|".join(re.escape(f) for f in forms)
    return re.sub(pattern, lambda m: _masked_form(m.group(0), forms), text, flags=re.IGNORECASE)


def _masked_form(found: str, forms: list[str]) -> str:
    """The masked address in the form (ASCII or Unicode domain) the text used."""
    folded = found.casefold()
    return mask_email(next((f for f in forms if f.casefold() == folded), forms[0]))


def redact_contacts(text: str) -> str:
    """Email addresses (masked ones too) and phone numbers replaced by fixed words.

    The words are the placeholders the classifiers' features put in their place, so a text
    exported for training keeps what the model sees and loses the contact details.
    """
    no_email = _replace(text, email_spans(text, _ANY_LOCAL_RUN), lambda _: " emailx ")
    return _PHONE_IN_TEXT.sub(" phonex ", no_email)


def truncate_ip(address: str) -> str:
    """Truncate an address to its network: /24 for IPv4, /64 for IPv6."""
    head, dot, last = address.rpartition(".")
    if dot and last.isdigit() and ":" not in address:  # IPv4, as check_ip wrote it
        return f"{head}.0/24"
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv4Address):
        return str(ipaddress.IPv4Network((int(ip), 24), strict=False))
    return str(ipaddress.IPv6Network((int(ip), 64), strict=False))


def count_links(text: str, trusted: Iterable[str] = ()) -> int:
    """How many links a text holds, but those to trusted or cited domains (domain.links)."""
    return links.count_links(text, trusted)


def protect(comment: CommentIn, secret: bytes, idempotency_key: str | None) -> ProtectedComment:
    """Replace the email by hash, domain and mask; mask contact details in what is shown.

    The original body is kept for moderators, except the author's own address, which is
    never stored in plain text anywhere.
    """
    email = comment.email
    body = without_address(comment.body, email)
    optional = {k: getattr(comment, k) for k in ("user_agent", "permalink", "author_url")}
    return ProtectedComment(
        thread=comment.thread,
        name=mask_text(without_address(comment.name, email)),
        email_hash=hash_email(email, secret),
        email_domain=email_domain(email),
        email_masked=mask_email(email),
        body=body,
        public_body=mask_text(body),
        parent_id=comment.parent_id,
        ip_prefix=truncate_ip(comment.author_ip) if comment.author_ip else None,
        **{k: mask_text(without_address(v, email)) if v else None for k, v in optional.items()},
        honeypot=bool(comment.honeypot and comment.honeypot.strip()),
        form_shown_at=comment.form_shown_at,
        idempotency_key=idempotency_key,
        thread_title=comment.thread_title,
        thread_url=comment.thread_url,
    )
