"""Slack and time: the Bolt app, listeners, scheduler jobs, posting, console, CLI.

The only package that imports slack_bolt, slack_sdk or apscheduler.
"""
