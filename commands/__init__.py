"""What the user asked and what we answer: parsing, use cases, messages.

Importing this package registers every sub-command (one module each).
"""

from commands import (  # noqa: F401  (registers the commands)
    at_risk,
    churn,
    cohorts,
    config,
    crr,
    customer,
    digest,
    followups,
    help,
    kpis,
    language,
    nps,
    rep,
    summary,
    top,
    trend,
)
from commands.core import COMMANDS, Answer, Context, UsageError
from commands.dispatch import answer

__all__ = ["COMMANDS", "Answer", "Context", "UsageError", "answer"]
