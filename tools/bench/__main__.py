"""Run the benchmarks against the database the settings name (see docs/benchmarks.md)."""

from __future__ import annotations

import os

import django


def _main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from tools.bench.run import main

    return main()


if __name__ == "__main__":
    raise SystemExit(_main())
