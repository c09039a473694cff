"""What a `manage.py` process costs before it does its work, in CPU seconds.

Each figure is the user + system CPU time of a child process, read with
getrusage(RUSAGE_CHILDREN) around it (unlike wall time, it leaves out the time the process
waited for a core that other work held), the median of several runs taken in turns with
`python -c pass`, the floor of any Python process on the same machine in the same run.

    python tools/startup.py [FACTS_FILE] [--runs N]

prints the figures; `python -m tools.bench` reports them beside its other measurements.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "tests" / "scenarios" / "01-clean-refill-medicare-office.json"
# A decide_claim process may cost at most this much CPU, start-up included.
DECIDE_CLAIM_GOAL_S = 1.0


@dataclass(frozen=True)
class Startup:
    """Median CPU seconds of each kind of process."""

    python: float  # python -c pass
    decide_claim: float  # manage.py decide_claim FILE
    check: float  # manage.py check
    runs: int


def child_cpu(argv: Sequence[str], *, env: Mapping[str, str], cwd: Path) -> float:
    """User + system CPU seconds of one child process, which must succeed."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(  # noqa: S603 (the commands are this module's own)
        list(argv), cwd=cwd, env=dict(env), check=True, stdout=subprocess.DEVNULL, timeout=120
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def measure(
    facts: Mapping[str, object],
    *,
    runs: int = 5,
    python: str = sys.executable,
    env: Mapping[str, str] | None = None,
    cwd: Path = ROOT,
) -> Startup:
    """Run `python -c pass`, `manage.py decide_claim` on these facts and `manage.py check`
    `runs` times each, in turns, and return the medians."""
    if runs < 1:
        raise ValueError("runs must be at least 1")
    env = dict(os.environ if env is None else env)
    # A development process, as `make bench` runs it, unless the caller chose the settings.
    if "DJANGO_SETTINGS_MODULE" not in env and "DJANGO_SECRET_KEY" not in env:
        env["DJANGO_DEBUG"] = "true"
    # An installed app runs from compiled bytecode (pip compiles what it installs; the first
    # run caches the app's own modules): the figures leave out compiling the sources.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    commands = {
        "python": [python, "-c", "pass"],
        "decide_claim": [python, "manage.py", "decide_claim", "FACTS"],
        "check": [python, "manage.py", "check"],
    }
    spent: dict[str, list[float]] = {name: [] for name in commands}
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "facts.json"
        path.write_text(json.dumps(facts), encoding="utf-8")
        commands["decide_claim"][-1] = str(path)
        for argv in commands.values():  # warm the bytecode cache; not counted
            child_cpu(argv, env=env, cwd=cwd)
        for _ in range(runs):
            for name, argv in commands.items():
                spent[name].append(child_cpu(argv, env=env, cwd=cwd))
    medians = {name: statistics.median(values) for name, values in spent.items()}
    return Startup(runs=runs, **medians)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "facts",
        nargs="?",
        type=Path,
        help="a refill-facts/1 file (default: the facts of scenario 01)",
    )
    parser.add_argument("--runs", type=int, default=5, help="runs of each process (default 5)")
    args = parser.parse_args(argv)
    if args.facts is None:
        facts = json.loads(SCENARIO.read_text(encoding="utf-8"))["facts"]
    else:
        facts = json.loads(args.facts.read_text(encoding="utf-8"))
    figures = measure(facts, runs=args.runs)
    met = "met" if figures.decide_claim <= DECIDE_CLAIM_GOAL_S else "MISSED"
    sys.stdout.write(
        f"CPU seconds per process, median of {figures.runs} runs:\n"
        f"  python -c pass                {figures.python:.3f}\n"
        f"  manage.py decide_claim FILE   {figures.decide_claim:.3f}"
        f"  (goal <= {DECIDE_CLAIM_GOAL_S:.1f} s: {met})\n"
        f"  manage.py check               {figures.check:.3f}\n"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
