"""Slack and time: the Bolt app, listeners, scheduler jobs, posting, console, CLI.

The only package that imports slack_bolt, slack_sdk or apscheduler. Before
anything imports the other three packages, bot.own_packages checks that
they are ours.
"""

from bot.own_packages import check

check()
