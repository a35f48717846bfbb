"""Run every benchmark (bench/bench_*.py) and merge their figures into bench/results.json.

Each benchmark is a script that prints one JSON object of numbers on stdout. BENCH_SCALE
(default 1.0) is passed through: BENCH_SCALE=0.1 shrinks every size tenfold. BENCH_ONLY
names the benchmarks to run, comma-separated (`BENCH_ONLY=portal make bench` runs
bench_portal.py alone); their figures replace theirs in bench/results.json, the others stay.
"""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent


def main() -> int:
    """Run the benchmarks in name order; return non-zero if any failed."""
    only = {name.strip() for name in os.environ.get("BENCH_ONLY", "").split(",") if name.strip()}
    scripts = [
        script
        for script in sorted(BENCH_DIR.glob("bench_*.py"))
        if not only or script.stem.removeprefix("bench_") in only
    ]
    unknown = only - {script.stem.removeprefix("bench_") for script in scripts}
    if unknown:
        print(f"BENCH_ONLY: no benchmark named {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    results_file = BENCH_DIR / "results.json"
    results: dict[str, float] = (
        json.loads(results_file.read_text()) if only and results_file.exists() else {}
    )
    failed = []
    for script in scripts:
        started = time.perf_counter()
        print(f"== {script.name}", file=sys.stderr)
        completed = subprocess.run(
            [sys.executable, str(script)],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            capture_output=True,
            text=True,
            check=False,
        )
        sys.stderr.write(completed.stderr)
        if completed.returncode != 0:
            failed.append(script.name)
            continue
        figures = json.loads(completed.stdout.strip().splitlines()[-1])
        if not all(isinstance(value, int | float) for value in figures.values()):
            failed.append(script.name)
            continue
        results.update(figures)
        print(f"   {figures} ({time.perf_counter() - started:.1f} s)", file=sys.stderr)
    results_file.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    print(json.dumps(results, indent=2, sort_keys=True))
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
