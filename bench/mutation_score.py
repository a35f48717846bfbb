"""Summarise `mutmut results --all true` (stdin): killed / total per module and overall.

A mutant counts as killed when a test failed or timed out on it; survivors and mutants no
test reaches count against the score. Survivors are listed so docs/testing.md can say why
each that remains is equivalent.
"""

import re
import sys
from collections import Counter

KILLED = {"killed", "timeout"}
LINE = re.compile(r"^\s*(?P<name>[\w.ǁ]+)__mutmut_\d+: (?P<status>.+?)\s*$")


def _module(name: str) -> str:
    # "settlement.rating.tou.x__tier_bounds" -> "settlement.rating.tou"
    parts = name.split(".")
    return ".".join(part for part in parts if not part.startswith(("x_", "xǁ")))


def main() -> None:
    """Print the table and the survivors."""
    totals: Counter[str] = Counter()
    killed: Counter[str] = Counter()
    survivors = []
    for line in sys.stdin:
        match = LINE.match(line)
        if match is None:
            continue
        module = _module(match["name"])
        totals[module] += 1
        if match["status"] in KILLED:
            killed[module] += 1
        else:
            survivors.append(f"{line.strip()}")
    for module in sorted(totals):
        share = 100 * killed[module] / totals[module]
        print(f"{module:45} {killed[module]:5} / {totals[module]:5}  {share:5.1f}%")
    total, dead = sum(totals.values()), sum(killed.values())
    print(f"{'all':45} {dead:5} / {total:5}  {100 * dead / max(total, 1):5.1f}%")
    print("\nnot killed:")
    for survivor in survivors:
        print(f"  {survivor}")


if __name__ == "__main__":
    main()
