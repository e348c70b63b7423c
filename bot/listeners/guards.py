"""Global middleware that runs after Bolt has checked the signature and
before any listener: requests from a workspace or app other than the one
this bot is installed in are refused, and a request already handled (a
replay inside the signing window, or an event Slack re-sends) is answered
with an empty 200 and not applied again.

The installed identity comes from `auth.test` at start (team, enterprise,
app); a request must carry the same team, or for an org-wide install the
same enterprise, and the same `api_app_id` when Slack told us ours.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from slack_bolt import App, BoltRequest, BoltResponse

from storage.replays import first_sighting, request_key

log = logging.getLogger(__name__)

ELSEWHERE = (
    "This retention-bot is installed for another workspace; it does not answer here. "
    "Ask your Slack admin to install it in this one."
)


@dataclass(frozen=True)
class Installed:
    """Who the bot token belongs to (`auth.test`)."""

    team_id: str | None
    enterprise_id: str | None = None
    app_id: str | None = None
    org_wide: bool = False

    @classmethod
    def from_auth_test(cls, data: dict) -> "Installed":
        return cls(
            data.get("team_id"),
            data.get("enterprise_id") or None,
            data.get("app_id") or None,
            bool(data.get("is_enterprise_install")),
        )

    def refuses(self, team_id: str | None, enterprise_id: str | None, app_id: str | None) -> str | None:
        """Why a request from (team, enterprise, app) is not ours, or None."""
        if self.app_id and app_id and app_id != self.app_id:
            return f"app {app_id}"
        if self.org_wide:
            return None if enterprise_id == self.enterprise_id else f"enterprise {enterprise_id}"
        if self.team_id and team_id != self.team_id:
            return f"team {team_id}"
        return None


# The shape of what Slack sends, top level: a signed body that breaks it
# (a test tool, a replayed capture edited by hand) is a 400, never a 500
# from deep inside Bolt's matching.
SHAPES: dict[str, tuple[type, ...]] = {
    "actions": (list,),
    "user": (dict, str),
    "team": (dict, type(None)),
    "view": (dict,),
    "event": (dict,),
    "container": (dict,),
    "channel": (dict, str),
    "message": (dict,),
    "enterprise": (dict, type(None)),
    "authorizations": (list,),
}


def malformed(body: object) -> str | None:
    """What is wrong with the shape of a parsed Slack request, or None."""
    if not isinstance(body, dict):
        return f"a {type(body).__name__}, not an object"
    for key, types in SHAPES.items():
        if key in body and not isinstance(body[key], types):
            return f"`{key}` is a {type(body[key]).__name__}"
    if "actions" in body and not all(isinstance(a, dict) for a in body["actions"]):
        return "`actions` holds a non-object"
    if "event" in body and not isinstance(body["event"].get("type"), str):
        return "`event` has no type"
    return None


def _header(req: BoltRequest, name: str) -> str | None:
    values = req.headers.get(name) or []
    return values[0] if values else None


def register(app: App, installed: Installed, db_path: str, clock: Callable[[], datetime]) -> None:
    def only_our_workspace(req: BoltRequest, next: Callable[[], None]) -> BoltResponse | None:
        body = req.body if isinstance(req.body, dict) else {}
        why = installed.refuses(req.context.team_id, req.context.enterprise_id, body.get("api_app_id"))
        if why is None:
            next()
            return None
        log.warning("refused a request from %s (installed for team %s)", why, installed.team_id)
        if body.get("command"):
            return BoltResponse(status=200, body={"response_type": "ephemeral", "text": ELSEWHERE})
        return BoltResponse(status=200, body="")

    def drop_replays(req: BoltRequest, next: Callable[[], None]) -> BoltResponse | None:
        body = req.body if isinstance(req.body, dict) else {}
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        key = None if req.lazy_only else request_key(event_id=event_id, signature=_header(req, "x-slack-signature"))
        if key is None or first_sighting(db_path, key, clock()):
            next()
            return None
        log.info(
            "ignored a request already handled (%s%s)",
            "event " + event_id if event_id else "same signature",
            f", retry {_header(req, 'x-slack-retry-num')}" if _header(req, "x-slack-retry-num") else "",
        )
        return BoltResponse(status=200, body="")

    app.use(only_our_workspace)
    app.use(drop_replays)
