"""Progress bars: on stderr only when it is a terminal and not --quiet; Tracked counts handled items."""

from __future__ import annotations

import io

from interviewer.progress import Tracked, bar


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_bar_draws_on_a_terminal_only_and_not_when_quiet() -> None:
    for stream, quiet, drawn in ((Terminal(), False, True), (Terminal(), True, False),
                                 (io.StringIO(), False, False)):
        progress = bar(total=3, desc="grading", stream=stream, quiet=quiet)
        for _ in range(3):
            progress.update(1)
        progress.close()
        assert ("grading" in stream.getvalue() and "3/3" in stream.getvalue()) is drawn


def test_tracked_advances_once_each_item_is_handled() -> None:
    stream = Terminal()
    progress = bar(total=3, desc="items", stream=stream)
    ticks: list[int] = []
    progress.update = lambda n=1: ticks.append(n)  # type: ignore[method-assign]
    items = Tracked(["a", "b", "c"], progress)
    assert len(items) == 3 and items[1] == "b" and list(items[1:]) == ["b", "c"]
    seen = []
    for item in items:
        seen.append((item, len(ticks)))  # the tick for an item comes after its loop body
    assert seen == [("a", 0), ("b", 1), ("c", 2)] and len(ticks) == 3
    progress.close()
