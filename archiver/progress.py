"""Progress while a command runs: a bar on a terminal (rich), a plain line every N seconds elsewhere.

A base module (like items, settings, exceptions): the crawl's progress extension
(archiver/extensions/progress.py), `archiver reparse` and `archiver export` draw through it.

A `Display` shows the tasks of one command (a `crawl --all` has one per spider). A task is a name,
how many of a unit are done of how many (the total None while unknown) and a text of counts; the
time left is estimated from the rate so far (done per second since the task began). The caller
updates a task whenever it likes; the display draws at most a few times a second on a terminal
(no thread of its own: whoever calls `update` draws, so a Twisted reactor stays single-threaded),
and on a pipe or file writes one line per task at most every `interval` seconds, and a last one
when the task finishes if it wrote any (or always, for a task made with `last_line`). While the bar is drawn, log lines bound for the same stream are printed
above it instead of through it.
"""

from __future__ import annotations

import logging
import sys
import time
from datetime import timedelta
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from rich.progress import Progress

#: Seconds between redraws of the bar on a terminal.
REDRAW = 0.2


def eta_text(seconds: float | None) -> str:
    """`about 0:01:05 left`, or "" when unknown."""
    return "" if seconds is None else f"about {timedelta(seconds=round(seconds))} left"


class Task:
    """One job's progress; drawn by its Display."""

    def __init__(self, display: Display, name: str, unit: str, last_line: bool = False) -> None:
        self.display, self.name, self.unit = display, name, unit
        self.last_line_always = last_line  # on a pipe: a last line even when no line came before
        self.done: int | None = None
        self.total: int | None = None
        self.counts = ""
        self.started = time.monotonic()
        self.last_line = self.started
        self.lines = 0  # lines printed (on a pipe)
        self.finished = False
        self.handle: Any = None  # the rich task id, on a terminal

    def update(
        self,
        done: int | None = None,
        total: int | None = None,
        counts: str = "",
        *,
        unit: str | None = None,
        final: bool = False,
    ) -> None:
        """What the task has done (of `total` `unit`s, when known) and its counts; `final` ends it."""
        self.done, self.total, self.counts = done, total, counts
        if unit:
            self.unit = unit
        if final:
            self.finished = True
        self.display.draw(self, force=final)

    def left(self, now: float | None = None) -> float | None:
        """Seconds left at the rate so far, when there is a total and something done."""
        if not self.done or self.total is None or self.done >= self.total:
            return None
        elapsed = (now or time.monotonic()) - self.started
        return elapsed * (self.total - self.done) / self.done

    def amount(self) -> str:
        """`65 of 90 days (72%)`, `120 pages`, or ""."""
        if self.done is None:
            return ""
        unit = f" {self.unit}" if self.unit else ""
        if self.total is None:
            return f"{self.done:,}{unit}"
        share = 100 * self.done / self.total if self.total else 100.0
        return f"{self.done:,} of {self.total:,}{unit} ({share:.0f}%)"

    def line(self, now: float | None = None) -> str:
        """The task in one plain line: `rstv: 65 of 90 days (72%), about 0:00:42 left; 312 pages, …`."""
        head = ", ".join(part for part in (self.amount(), eta_text(self.left(now))) if part)
        return f"{self.name}: " + "; ".join(part for part in (head, self.counts) if part)


class Display:
    """The progress of one command's tasks on `stream` (default: stderr)."""

    def __init__(self, stream: TextIO | None = None, *, interval: float = 30.0, terminal: bool | None = None) -> None:
        self.stream = stream or sys.stderr
        self.interval = interval
        if terminal is None:
            isatty = getattr(self.stream, "isatty", None)
            terminal = bool(isatty and isatty())
        self.terminal = terminal
        self.tasks: list[Task] = []
        self.bar: Progress | None = None
        self.last_draw = 0.0
        self.redirected: list[tuple[logging.StreamHandler, TextIO]] = []

    @property
    def tick(self) -> float:
        """How often a caller that polls (a crawl) should update its task."""
        return REDRAW if self.terminal else self.interval

    def task(self, name: str, unit: str = "", *, last_line: bool = False) -> Task:
        """A new task; with `last_line`, its end is a line on a pipe even when it printed none before."""
        task = Task(self, name, unit, last_line)
        self.tasks.append(task)
        if self.terminal:
            bar = self.start_bar()
            task.handle = bar.add_task(name, total=None, amount="", eta="", counts="")
        return task

    def draw(self, task: Task, *, force: bool = False) -> None:
        now = time.monotonic()
        if not self.terminal:
            # The last line closes a series: a task done before its first line prints nothing (a short
            # cron run's output is its summary alone).
            if (force and (task.lines or task.last_line_always)) or now - task.last_line >= self.interval:
                task.last_line = now
                task.lines += 1
                self.stream.write(task.line(now) + "\n")
                self.stream.flush()
            return
        assert self.bar is not None
        self.bar.update(
            task.handle,
            completed=task.done or 0,
            total=task.total,
            amount=task.amount(),
            eta=eta_text(task.left(now)),
            counts=task.counts,
        )
        if force or now - self.last_draw >= REDRAW:
            self.last_draw = now
            self.bar.refresh()

    def start_bar(self) -> Progress:
        if self.bar is not None:
            return self.bar
        from rich.console import Console
        from rich.progress import BarColumn, TextColumn
        from rich.progress import Progress as Bar

        console = Console(file=self.stream, force_terminal=True)
        bar = Bar(
            TextColumn("{task.description}"),
            BarColumn(bar_width=24),
            TextColumn("{task.fields[amount]}"),
            TextColumn("{task.fields[eta]}"),
            TextColumn("{task.fields[counts]}"),
            console=console,
            auto_refresh=False,
            transient=False,
            redirect_stdout=False,
            redirect_stderr=False,
        )
        bar.start()
        self.bar = bar
        self.redirect_logging(console)
        return bar

    def redirect_logging(self, console) -> None:
        """Log handlers writing to the bar's stream print through the bar's console, above the bar."""
        above = LinesAbove(console)
        for handler in logging.getLogger().handlers:
            if type(handler) is logging.StreamHandler and handler.stream is self.stream:
                self.redirected.append((handler, handler.setStream(above)))  # type: ignore[arg-type]

    def close(self) -> None:
        """Leave the bar as last drawn (or nothing more on a pipe) and give the log its stream back."""
        for handler, stream in self.redirected:
            handler.setStream(stream)
        self.redirected.clear()
        if self.bar is not None:
            self.bar.refresh()
            self.bar.stop()
            self.bar = None


class LinesAbove:
    """A file-like object for a log handler: each whole line printed on the console above the bar."""

    def __init__(self, console) -> None:
        self.console = console
        self.buffer = ""

    def write(self, text: str) -> int:
        from rich.text import Text

        self.buffer += text
        *lines, self.buffer = self.buffer.split("\n")
        for line in lines:
            self.console.print(Text(line), soft_wrap=True)
        return len(text)

    def flush(self) -> None:
        pass


# One display per process for the crawls it runs (Scrapy runs every spider of a command in one process).
_shared: Display | None = None
_users = 0


def shared_display(interval: float) -> Display:
    """The display the crawls of this process share; `release_shared()` once per call when done."""
    global _shared, _users
    if _shared is None:
        _shared = Display(interval=interval)
    _users += 1
    return _shared


def release_shared() -> None:
    global _shared, _users
    _users -= 1
    if _users <= 0 and _shared is not None:
        _shared.close()
        _shared, _users = None, 0
