"""What every page must satisfy in Chromium, at a desktop's and a phone's width.

`check_page` visits one address at 1280 and 390 px and returns, as readable lines, what is
wrong there: axe-core's serious or critical findings, a horizontal scroll, a
Content-Security-Policy violation (from the page's `securitypolicyviolation` events and the
console), a favicon that is missing or does not load, and the shared stylesheet missing. It
saves a full-page screenshot at each width into the run's artifacts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from axe_playwright_python.sync_playwright import Axe

from tests.browser.conftest import ARTIFACTS

WIDTHS = {"desktop": 1280, "phone": 390}
# The one stylesheet every page of the service shares (portal, staff, sign-in, API docs).
SHARED_STYLESHEET = "/static/portal/site.css"
# Recorded before any script of the page runs, so a violation during loading is kept too.
CSP_LISTENER = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(
    event.violatedDirective + " " + (event.blockedURI || "inline") + " " + (event.sourceFile || "")
  );
});
"""
SERIOUS = ("serious", "critical")


@dataclass
class Checked:
    """The pages one signed-in (or signed-out) browser page visited, and their problems."""

    page: Any
    prefix: str
    problems: list[str] = field(default_factory=list)
    screenshots: list[Path] = field(default_factory=list)
    console: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.page.add_init_script(CSP_LISTENER)
        self.page.on("console", lambda message: self.console.append(message.text))

    def visit(
        self,
        url: str,
        name: str,
        *,
        ready: str | None = None,
        status: int = 200,
        shared_style: bool = True,
    ) -> None:
        """Check `url` at both widths; `ready` is a selector to wait for before checking,
        `status` the answer expected (a page that does not exist is a page too), and
        `shared_style` False for Django's admin, which keeps its own style sheets."""
        for label, width in WIDTHS.items():
            self.console.clear()
            self.page.set_viewport_size({"width": width, "height": 900})
            response = self.page.goto(url)
            where = f"{name}@{width}"
            if response is None or response.status != status:
                answered = "no response" if response is None else response.status
                self.problems.append(f"{where}: answered {answered}, not {status}")
                continue
            self.page.wait_for_load_state("load")
            if ready:
                self.page.wait_for_selector(ready, timeout=15_000)
            self._check(name, label, width, shared_style=shared_style)

    def check_here(self, name: str) -> None:
        """Check the page as it stands (say, the answer to a form) at both widths."""
        for label, width in WIDTHS.items():
            self.page.set_viewport_size({"width": width, "height": 900})
            self._check(name, label, width)

    def _check(self, name: str, label: str, width: int, *, shared_style: bool = True) -> None:
        where = f"{name}@{width}"
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shot = ARTIFACTS / f"{self.prefix}{name}-{label}.png"
        self.page.screenshot(path=str(shot), full_page=True)
        self.screenshots.append(shot)
        # The console's messages so far: axe-core, run next, may add a style element itself.
        console = list(self.console)
        self.problems += [
            f"{where}: {problem}" for problem in page_problems(self.page, shared_style=shared_style)
        ]
        self.problems += [
            f"{where}: console {text}"
            for text in console
            if "Content Security Policy" in text or "Content-Security-Policy" in text
        ]
        self.console.clear()


def problems_at_both_widths(page: Any, name: str) -> list[str]:
    """Return `page_problems` of the page as it stands at 390 and then 1280 px, each line
    naming the page and the width (the page is left at 1280 px)."""
    problems = []
    for width in sorted(WIDTHS.values()):
        page.set_viewport_size({"width": width, "height": 900})
        problems += [f"{name}@{width}: {problem}" for problem in page_problems(page)]
    return problems


def problems_of_url(page: Any, url: str, name: str) -> list[str]:
    """Load `url` at each width, save a screenshot (`<name>-<width>.png` in the artifacts)
    and return `page_problems` of each, plus any CSP message the console printed. The page
    needs CSP_LISTENER as an init script."""
    problems = []
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    for width in sorted(WIDTHS.values()):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(url)
        page.wait_for_load_state("load")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{name}-{width}.png"), full_page=True)
        problems += [f"{name}@{width}: {problem}" for problem in page_problems(page)]
    problems += [f"{name}: console {text}" for text in console if "Content Security" in text]
    return problems


def page_problems(page: Any, *, shared_style: bool = True) -> list[str]:
    """Return what is wrong with the page as it stands now (CSP violations are read before
    axe-core runs: axe itself may add a style element, which the policy refuses)."""
    problems = [f"CSP {violation}" for violation in page.evaluate("window.__cspViolations || []")]
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - window.innerWidth"
        # A vertical scroll bar takes no width in headless Chromium (overlay bars).
    )
    if overflow > 0:
        wide = page.evaluate(WIDEST_ELEMENTS)
        problems.append(f"scrolls {overflow}px sideways ({wide})")
    for violation in Axe().run(page).response["violations"]:
        if violation["impact"] in SERIOUS:
            targets = [", ".join(map(str, node["target"])) for node in violation["nodes"][:3]]
            problems.append(
                f"axe {violation['id']} ({violation['impact']}, {len(violation['nodes'])} nodes:"
                f" {'; '.join(targets)})"
            )
    icons = page.evaluate(
        "[...document.querySelectorAll('link[rel~=icon]')].map((link) => link.href)"
    )
    if not icons:
        problems.append("no favicon link")
    for icon in icons:
        answer = page.request.get(icon)
        if answer.status != 200 or not answer.body():
            problems.append(f"favicon {icon} answered {answer.status}")
    if not shared_style:
        return problems
    sheets = page.evaluate(
        "[...document.querySelectorAll('link[rel=stylesheet]')]"
        ".map((link) => new URL(link.href).pathname)"
    )
    if SHARED_STYLESHEET not in sheets:
        problems.append(f"without the shared stylesheet (has {sheets})")
    else:
        # Loaded and applied: the header bar is styled by it.
        loaded = page.evaluate(
            "[...document.styleSheets].some((sheet) => sheet.href"
            f" && new URL(sheet.href).pathname === '{SHARED_STYLESHEET}' && sheet.cssRules.length)"
        )
        if not loaded:
            problems.append("the shared stylesheet did not load")
    return problems


# The few elements wider than the window, to say where a sideways scroll comes from.
WIDEST_ELEMENTS = """
(() => {
  const wide = [];
  for (const element of document.querySelectorAll("body *")) {
    const box = element.getBoundingClientRect();
    if (box.right > window.innerWidth + 1) {
      wide.push(element.tagName.toLowerCase() + (element.id ? "#" + element.id : "")
        + (element.className && typeof element.className === "string"
           ? "." + element.className.trim().split(/\\s+/).join(".") : "")
        + " " + Math.round(box.right) + "px");
    }
  }
  return wide.slice(-4).join("; ");
})()
"""
