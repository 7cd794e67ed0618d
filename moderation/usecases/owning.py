"""Site owners' work: the policy (read, change, preview), the stats, the audit log, the staff
list and model reloads; the API and the owners' pages both go through here."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from moderation.domain import previews
from moderation.domain.credentials import hash_key, new_key
from moderation.domain.errors import AlreadyExists, InvalidField, NotFound, StaleVersion
from moderation.domain.models import Policy
from moderation.domain.pages import InviteIn, LinkState, StaffChanged, StaffLinkOut, StaffRow
from moderation.domain.passwords import hash_password
from moderation.domain.previews import PreviewOut
from moderation.domain.review import AuditEntry, Staff
from moderation.domain.stats import StatsOut, shape_stats
from moderation.runtime.reloads import ModelReloads
from moderation.runtime.webhooks import check_webhook_url
from moderation.settings import Settings
from moderation.store import Store
from moderation.usecases.paging import Page, cut

# One-time links to set a password: valid three days, used once.
LINK_SECONDS = 3 * 24 * 3600
LINK_PATH = "/ui/welcome/"


async def _hashed(password: str) -> str:
    """argon2id off the event loop."""
    return await asyncio.get_running_loop().run_in_executor(None, hash_password, password)


@dataclass(frozen=True)
class Owning:
    """One site's settings and figures, for its owners."""

    store: Store
    reloads: ModelReloads
    settings: Settings

    async def policy(self, site_id: int) -> Policy:
        """The site's current policy."""
        return await self.store.current_policy(site_id)

    async def save_policy(
        self, owner: Staff, change: Mapping[str, Any], check: Callable[[Policy], None]
    ) -> tuple[Policy, bool]:
        """Store a change as the next version once `check` accepts the current one (it raises
        otherwise); the policy in force after, and whether it changed."""
        current = await self.store.current_policy(owner.site_id)
        check(current)
        candidate = previews.apply_change(current, change)
        diff = previews.changes(current, candidate)
        if not diff:
            return current, False
        if "webhook_url" in diff:
            await check_webhook_url(self.store, self.settings, owner.site_id, candidate.webhook_url)
        version = await self.store.save_policy(
            owner.site_id, current.version, candidate, diff, owner.username
        )
        if version is None:
            raise StaleVersion("policy")
        return candidate.model_copy(update={"version": version}), True

    async def preview(
        self, site_id: int, change: Mapping[str, Any], comments: int, examples: int
    ) -> PreviewOut:
        """A change tried on the site's most recent comments, against the current policy."""
        current = await self.store.current_policy(site_id)
        candidate = previews.apply_change(current, change)
        rows = await self.store.preview_rows(site_id, comments)
        # compiling lists and replaying thousands of comments is CPU work: off the event loop
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            None, previews.run_preview, rows, current, candidate, examples
        )

    async def stats(self, site_id: int, days: int) -> StatsOut:
        """The last `days` days (today included) in the policy's time zone."""
        zone = (await self.store.current_policy(site_id)).time_zone
        today = datetime.now(ZoneInfo(zone)).replace(hour=0, minute=0, second=0, microsecond=0)
        since = (today - timedelta(days=days - 1)).astimezone(UTC)
        return shape_stats(await self.store.stats(site_id, since, zone), since, days, zone)

    async def audit(
        self, site_id: int, before: tuple[datetime, str, str] | None, limit: int
    ) -> Page[AuditEntry]:
        """Decisions, policy versions and staff changes, newest first, before a position."""
        return cut(await self.store.audit_page(site_id, before, limit + 1), limit)

    async def staff(self, site_id: int) -> list[StaffRow]:
        """The site's moderators and owners."""
        return await self.store.staff_list(site_id)

    async def reload_model(self, owner: Staff) -> tuple[str, str]:
        """Load the model again here and in every process; (new version, previous)."""
        return await self.reloads.everywhere(f"owner {owner.username}")

    async def invite(self, owner: Staff, invite: InviteIn) -> StaffLinkOut:
        """Add a staff member with a first password, or a one-time link (its path, once)."""
        if invite.method == "password" and invite.password is None:
            raise InvalidField("password", "is required with method 'password'")
        if invite.method == "link" and invite.password is not None:
            raise InvalidField("password", "is given only with method 'password'")
        secret = new_key("il") if invite.method == "link" else None
        password = await _hashed(invite.password) if invite.password is not None else None
        link = (hash_key(secret), float(LINK_SECONDS)) if secret else None
        try:
            expires = await self.store.invite_staff(
                owner.site_id, invite.username, invite.role, owner.username, password, link
            )
        except AlreadyExists:
            raise InvalidField("username", "is taken on this site") from None
        path = LINK_PATH + secret if secret else None
        return StaffLinkOut(username=invite.username, path=path, expires_at=expires)

    async def revoke(self, owner: Staff, username: str) -> StaffChanged:
        """Revoke a staff member other than the owner themselves."""
        if username == owner.username:
            raise InvalidField("username", "an owner cannot revoke themselves")
        if not await self.store.revoke_staff(owner.site_id, username, owner.username):
            raise NotFound("active staff member")
        return StaffChanged(username=username, done="revoked")

    async def restore(self, owner: Staff, username: str) -> StaffChanged:
        """Lift a staff member's revocation."""
        if not await self.store.restore_staff(owner.site_id, username, owner.username):
            raise NotFound("revoked staff member")
        return StaffChanged(username=username, done="restored")

    async def reset(self, owner: Staff, username: str) -> StaffLinkOut:
        """Stop a staff member's password and make a new one-time link (its path, once)."""
        secret = new_key("il")
        expires = await self.store.reset_staff(
            owner.site_id, username, owner.username, hash_key(secret), LINK_SECONDS
        )
        if expires is None:
            raise NotFound("active staff member")
        return StaffLinkOut(username=username, path=LINK_PATH + secret, expires_at=expires)

    async def link(self, secret: str) -> LinkState | None:
        """A one-time link that still works."""
        return await self.store.staff_link(hash_key(secret))

    async def use_link(self, secret: str, password: str) -> Staff | None:
        """Set a password through a one-time link, once; who, None when it no longer works."""
        return await self.store.use_staff_link(hash_key(secret), await _hashed(password))
