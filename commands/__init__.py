"""What the user asked and what we answer: parsing, use cases, messages.

Each sub-command is a module that registers itself with `@command`;
commands.core.COMMANDS imports a command's module when it is first asked
for, so importing this package loads none of them (nor the maths).
"""

import storage  # noqa: F401  (first: it imports sqlite-utils without pandas, see storage/__init__.py)
from commands.core import COMMANDS, Answer, Context, UsageError
from commands.dispatch import answer

__all__ = ["COMMANDS", "Answer", "Context", "UsageError", "answer"]
