"""Progress bars for long command-line runs: tqdm on stderr, and only on a terminal."""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from typing import IO, Protocol, TypeVar, overload

from tqdm import tqdm

T = TypeVar("T")


class Progress(Protocol):
    def update(self, n: int = 1) -> object: ...

    def close(self) -> None: ...


def is_terminal(stream: IO[str]) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty is not None and isatty())


def bar(*, total: int, desc: str, unit: str = "it", quiet: bool = False,
        stream: IO[str] | None = None) -> Progress:
    """A progress bar on stderr, off with `quiet` or when stderr is not a terminal (pipes, CI, logs):
    stdout stays exactly what the command prints without it."""
    out = stream if stream is not None else sys.stderr
    made: Progress = tqdm(total=total, desc=desc, unit=unit, file=out, dynamic_ncols=True,
                          disable=quiet or not is_terminal(out))
    return made


class Tracked(Sequence[T]):
    """A sequence whose iteration advances a progress bar once each item has been handled, for
    loops that take a sequence and cannot report progress themselves."""

    def __init__(self, items: Sequence[T], progress: Progress) -> None:
        self.items = items
        self.progress = progress

    def __len__(self) -> int:
        return len(self.items)

    @overload
    def __getitem__(self, index: int) -> T: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[T]: ...

    def __getitem__(self, index: int | slice) -> T | Sequence[T]:
        return self.items[index]

    def __iter__(self) -> Iterator[T]:
        for item in self.items:
            yield item
            self.progress.update(1)  # the caller asked for the next one: this one is done
