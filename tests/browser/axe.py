"""An axe-core accessibility scan in the page (axe vendored from npm: scripts/vendor.lock)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
SEVERE = ("serious", "critical")


def axe_violations(page: Any, include: str | None = None) -> list[str]:
    """The serious and critical violations on the page (or under `include`), one line each.

    axe is evaluated through the DevTools protocol, which the page's CSP (`script-src 'self'`) does
    not apply to, so the page under test is served exactly as in production.
    """
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8") + "\n;undefined")
    result = page.evaluate(
        """async (include) => {
            const r = await axe.run(include ? { include: [include] } : document,
                { resultTypes: ['violations'] });
            return r.violations.map(v => ({ id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5) }));
        }""", include)
    return [f"{v['impact']} {v['id']}: {v['help']} at {v['nodes']}" for v in result if v["impact"] in SEVERE]
