"""`retention-bot doctor`: is this install able to work, and if not, what to fix.

Checks, in the order a new install fails them: the variables are set and
well-formed, Slack accepts the bot token (`auth.test`), the token carries
every scope the manifest asks for (`x-oauth-scopes` header of auth.test),
the bot is in each configured digest channel, and the store opens. Each
failed check says what to do; nothing is changed.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, tzinfo

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from analytics.calendars import GREGORIAN_CALENDAR, Calendar
from bot.app import build_client
from bot.manifest import BOT_SCOPES
from bot.settings import APPS_PAGE, SlackSettings, api_url_from, api_url_problem, api_url_said, token_said
from commands.i18n import DEFAULT_LANGUAGE, N_, _
from commands.problems import Told, told
from storage import StoreError, open_db
from storage.problems import Count, Said
from storage.settings import load_settings
from storage.status import count_customers

AUTH_FIXES = {
    "invalid_auth": N_(
        "the token is wrong or was revoked. Copy the Bot User OAuth Token again from "
        "{apps} → your app → OAuth & Permissions"
    ),
    "not_authed": N_("no token was sent. Set SLACK_BOT_TOKEN"),
    "account_inactive": N_(
        "the app was uninstalled or its bot user deactivated. Reinstall the app ({apps} → your app → Install App)"
    ),
    "token_revoked": N_(
        "the token was revoked. Reinstall the app ({apps} → your app → Install App) "
        "and copy the new Bot User OAuth Token"
    ),
}


Text = str | Told  # a Said (or a Problem) is shown in the reader's language; a str (an id, Slack's own words) as it is


@dataclass
class Check:
    name: Text
    ok: bool
    detail: Text
    fix: Text = ""
    warning: bool = False  # could not check; not a failure

    def lines(
        self, lang: str = DEFAULT_LANGUAGE, tz: tzinfo = UTC, calendar: Calendar = GREGORIAN_CALENDAR
    ) -> list[str]:
        """The check's lines in `lang`, a time in them (Stripe's newest
        event) in the workspace zone `tz` and `calendar`."""
        mark = "✓" if self.ok else ("?" if self.warning else "✗")
        out = [f"{mark} {say(lang, self.name, tz, calendar)}: {say(lang, self.detail, tz, calendar)}"]
        if self.fix:
            out.append(_(lang, "    fix: {fix}", fix=say(lang, self.fix, tz, calendar)))
        return out


def say(lang: str, text: Text, tz: tzinfo = UTC, calendar: Calendar = GREGORIAN_CALENDAR) -> str:
    """`text` in `lang`: a Said or Problem translated (commands.problems.told), a str as it is."""
    return text if isinstance(text, str) else told(lang, text, tz, calendar)


def digest_channels(settings: Mapping) -> list[str]:
    """Channel ids from the digest settings, whatever shape they take
    (`digest_channel` id, or `digest_channels` ids or {"channel": id} items)."""
    found: list[str] = []
    for key in ("digest_channel", "digest_channels"):
        value = settings.get(key)
        items = value if isinstance(value, list) else [value]
        for item in items:
            channel = (item.get("channel") or item.get("id")) if isinstance(item, dict) else item
            if isinstance(channel, str) and channel and channel not in found:
                found.append(channel)
    return found


def check_variables(env: Mapping[str, str]) -> list[Check]:
    checks = []
    bot = token_said("SLACK_BOT_TOKEN", env.get("SLACK_BOT_TOKEN"))
    checks.append(
        Check("SLACK_BOT_TOKEN", not bot, Said(N_("set")) if not bot else Said(N_("missing or malformed")), bot or "")
    )
    if env.get("SLACK_APP_TOKEN"):
        app = token_said("SLACK_APP_TOKEN", env["SLACK_APP_TOKEN"])
        detail = Said(N_("set: Socket Mode")) if not app else Said(N_("malformed"))
        checks.append(Check("SLACK_APP_TOKEN", not app, detail, app or ""))
    else:
        secret = token_said("SLACK_SIGNING_SECRET", env.get("SLACK_SIGNING_SECRET"))
        detail = Said(N_("set: HTTP mode")) if not secret else Said(N_("missing (needed for HTTP mode)"))
        fix: Text = Said(N_("{problem} Or set SLACK_APP_TOKEN to use Socket Mode instead."), {"problem": secret})
        checks.append(Check("SLACK_SIGNING_SECRET", not secret, detail, fix if secret else ""))
    if env.get("SLACK_API_URL"):
        problem = api_url_said(env["SLACK_API_URL"])
        checks.append(
            Check(
                "SLACK_API_URL",
                not problem,
                env["SLACK_API_URL"] if not problem else Said(N_("malformed")),
                problem or "",
            )
        )
    return checks


def check_slack(client: WebClient, settings: Mapping) -> list[Check]:
    try:
        auth = client.auth_test()
    except SlackApiError as e:
        error = e.response.get("error", "unknown")
        fix = (
            Said(AUTH_FIXES[error], {"apps": APPS_PAGE})
            if error in AUTH_FIXES
            else Said(N_("Slack said {error}; see {url}"), {"error": repr(error), "url": AUTH_TEST_DOCS})
        )
        return [Check("auth.test", False, Said(N_("Slack rejected the bot token ({error})"), {"error": error}), fix)]
    bot: dict[str, object] = {
        "user": f"@{auth.get('user')}",
        "team": str(auth.get("team")),
        "url": str(auth.get("url")),
    }
    checks = [Check("auth.test", True, Said(N_("bot {user} in workspace {team} ({url})"), bot))]
    header = next((v for k, v in auth.headers.items() if k.lower() == "x-oauth-scopes"), None)
    if header is None:
        checks.append(Check(SCOPES, False, Said(N_("Slack did not report the token's scopes")), warning=True))
    else:
        granted = {s.strip() for s in header.split(",") if s.strip()}
        missing = [s for s in BOT_SCOPES if s not in granted]
        if missing:
            needed = ", ".join(missing)
            add = N_(
                "add {scopes} under {apps} → your app → OAuth & Permissions → Bot Token Scopes "
                "(or paste `retention-bot manifest` into App Manifest), then reinstall the app"
            )
            detail = Said(N_("missing {scopes}"), {"scopes": " ".join(missing)})
            checks.append(Check(SCOPES, False, detail, Said(add, {"scopes": needed, "apps": APPS_PAGE})))
        else:
            checks.append(Check(SCOPES, True, Said(N_("all granted: {scopes}"), {"scopes": " ".join(BOT_SCOPES)})))
    for channel in digest_channels(settings):
        checks.append(check_channel(client, channel))
    return checks


def check_channel(client: WebClient, channel: str) -> Check:
    name = Said(N_("digest channel {channel}"), {"channel": channel})
    invite = Said(N_("in <#{channel}>, type /invite @retention-bot"), {"channel": channel})
    elsewhere = Said(N_("{invite}, or set another digest channel"), {"invite": invite})
    try:
        info = client.conversations_info(channel=channel)["channel"]
    except SlackApiError as e:
        error = e.response.get("error", "unknown")
        if error == "missing_scope":
            return Check(
                name,
                False,
                Said(N_("cannot check membership without channels:read")),
                Said(N_("make sure of it: {invite}"), {"invite": invite}),
                warning=True,
            )
        if error == "channel_not_found":
            return Check(name, False, Said(N_("not found (deleted, or private without the bot)")), elsewhere)
        return Check(name, False, Said(N_("cannot check ({error})"), {"error": error}), invite)
    if info.get("is_archived"):
        return Check(name, False, Said(N_("archived")), Said(N_("unarchive it or set another digest channel")))
    if not info.get("is_member"):
        return Check(name, False, Said(N_("the bot is not a member")), invite)
    return Check(name, True, Said(N_("the bot is a member")))


STORE = Said(N_("store"))
SCOPES = Said(N_("scopes"))
AUTH_TEST_DOCS = "https://api.slack.com/methods/auth.test"


def open_store(db_path: str) -> tuple[Check, dict]:
    """The store check and its settings (empty when it cannot be opened)."""
    try:
        db = open_db(db_path, create=False)
    except StoreError as e:
        return Check(STORE, False, e, Said(N_("pass --db (or set RETENTION_DB) to your store"))), {}
    try:
        customers = count_customers(db)
        settings = load_settings(db)
    finally:
        db.conn.close()
    if customers:
        return Check(
            STORE, True, Said(N_("{path}: {count} customers"), {"path": db_path, "count": Count(customers)})
        ), settings
    return Check(
        STORE,
        False,
        Said(N_("{path}: no customers yet"), {"path": db_path}),
        Said(N_("retention-bot import orders FILE (or try retention-bot demo)")),
        warning=True,
    ), settings


def check_sources(env: Mapping[str, str], path: str, *, explicit: bool) -> list[Check]:
    """Each live source connects and its queries return the columns a sync
    needs (nothing is read or written beyond that)."""
    from storage.sources import SourceError, open_source, scrubbed
    from storage.sources.config import load_sources

    try:
        sources = load_sources(path, explicit=explicit)
    except SourceError as e:
        return [
            Check(SOURCES_FILE, False, Said(e.message, e.values), Said(N_("fix the line named, then run doctor again")))
        ]
    checks = []
    for config in sources.sources:
        name = Said(N_("source {source} ({source_kind})"), {"source": config.name, "source_kind": config.kind})
        secrets = config.secret_values(env)
        try:
            source = open_source(config, env)
            try:
                found = source.check()
                checks.append(Check(name, True, scrubbed(found.message, found.values, secrets)))
            finally:
                source.close()
        except SourceError as e:
            dry_run = Said(N_("then check it: {command}"), {"command": f"retention-bot sync {config.name} --dry-run"})
            checks.append(Check(name, False, scrubbed(e.message, e.values, secrets), dry_run))
    return checks


SOURCES_FILE = Said(N_("sources file"))


def run_doctor(
    env: Mapping[str, str], db_path: str, sources_path: str = "sources.toml", *, sources_explicit: bool = False
) -> tuple[list[Check], dict]:
    """The checks, and the store's settings (empty when it cannot be opened):
    its workspace `language` is the one doctor speaks unless told another."""
    store, settings = open_store(db_path)
    checks = check_variables(env)
    api_url = api_url_from(env)
    if checks[0].ok and not api_url_problem(api_url):
        client = build_client(SlackSettings(bot_token=env["SLACK_BOT_TOKEN"], api_url=api_url))
        checks += check_slack(client, settings)
    return [*checks, store, *check_sources(env, sources_path, explicit=sources_explicit)], settings
