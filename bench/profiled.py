"""Run `python -m bot run` (or the echo bot) under cProfile with a CPU-time clock, for the
benchmarks.

`bench/service.py` uses it when BENCH_PROFILE is set: each bot process writes its profile to
`$BENCH_PROFILE.<mode>.<replicas>.<index>` when it stops (the echo bot's to
`$BENCH_PROFILE.echo`), so that the two can be compared function by function. The clock is
the process's CPU time, not the wall clock, so time spent waiting for the database or for
another process on a busy machine is not charged to the function that happened to be
running.
"""

from __future__ import annotations

import cProfile
import runpy
import sys
import time


def main() -> None:
    """Profile `bot run`, or the module named by the second argument, into the file named by
    the first."""
    target = sys.argv[1]
    module = sys.argv[2] if len(sys.argv) > 2 else "bot"
    sys.argv = [module, "run"]
    profile = cProfile.Profile(time.process_time)
    profile.enable()
    try:
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    except SystemExit:
        pass
    finally:
        profile.disable()
        profile.dump_stats(target)


if __name__ == "__main__":
    main()
