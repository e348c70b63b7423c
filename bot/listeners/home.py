"""The Home tab: published when the user opens it (`app_home_opened`).

Events are acknowledged at once and the view is built in a lazy listener:
building it runs several `/retention` answers, which must not delay the ack
(Slack retries an event that is not acknowledged within 3 seconds).
"""

from slack_bolt import App

from bot.services import Services
from commands.home import build_home_view


def register(app: App, services: Services) -> None:
    def ack_home(ack) -> None:
        ack()

    def publish_home(event, client) -> None:
        user_id = event.get("user")
        if event.get("tab", "home") != "home" or not isinstance(user_id, str) or not user_id:
            return
        with services.db() as db:
            view = build_home_view(services.context(db, client, user_id))
        client.views_publish(user_id=user_id, view=view)

    app.event("app_home_opened")(ack=ack_home, lazy=[publish_home])
