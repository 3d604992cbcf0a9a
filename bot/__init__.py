"""The core of the exercise-therapy bot: settings, database, models, services, app factory."""

import os

# python-telegram-bot 22 reports durations (RetryAfter.retry_after, …) as ints and warns that
# its next major version returns timedeltas; opt in now so the code is written once.
os.environ.setdefault("PTB_TIMEDELTA", "1")
