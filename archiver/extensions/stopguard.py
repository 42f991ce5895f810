"""The first SIGTERM or SIGINT ends a crawl within seconds, whatever the crawl is doing.

Scrapy answers the first signal with a graceful stop: the spider closes once the requests under
way are done and the pipelines have written what they hold. That can take forever: a download
slot whose delay never passes (`DOWNLOAD_DELAY=inf`), a server that trickles, a callback that
never hands control back to the reactor. Meanwhile the run holds the run lock, and every later
cron run says "in use by another run".

So the first signal also arms a deadline, ARCHIVER_STOP_GRACE seconds (5; 0 turns it off): a run
still alive then ends at once, as a `kill -9` would end it. The archive is made for that
(docs/reliability.md): nothing is half-written, every page snapshot is committed before what was
made of it, and the next run marks this one `interrupted` and finishes its work. The end is
said in one line on stderr, and the exit status is 128 + the signal (143 for SIGTERM, 130 for
SIGINT). A thread does that; should it be unable to run (the main thread holding the interpreter
in a C loop), the interpreter's own C watchdog (faulthandler) ends the process one second later
(status 1; the threads' stacks go to the log file, if there is one).

The deadline is armed from Scrapy's own signal handler, wrapped once the reactor runs (Scrapy
installs its handlers then); it is disarmed when the reactor has shut down (the crawl is over).
"""

from __future__ import annotations

import faulthandler
import os
import signal
import sys
import threading
from typing import IO, Any, cast

from scrapy import signals
from scrapy.exceptions import NotConfigured

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class StopDeadline:
    """The deadline the first stop signal arms (one per process, whatever the crawlers in it)."""

    def __init__(self, grace: float, log_file: str | None) -> None:
        self.grace = grace
        self.log_file = log_file
        self.timer: threading.Timer | None = None
        self.dump: IO[str] | None = None

    def install(self) -> None:
        """Wrap the handlers in place (Scrapy's) so that the first signal also arms the deadline."""
        for signum in STOP_SIGNALS:
            previous = signal.getsignal(signum)
            if previous in (signal.SIG_IGN, None):
                continue
            signal.signal(signum, self._handler(previous))

    def _handler(self, previous: Any):
        def on_signal(signum: int, frame) -> None:
            self.arm(signum)
            if callable(previous):
                previous(signum, frame)
            else:  # SIG_DFL: what the signal would have done
                signal.signal(signum, signal.SIG_DFL)
                os.kill(os.getpid(), signum)

        return on_signal

    def arm(self, signum: int) -> None:
        if self.timer is not None:
            return
        self.timer = threading.Timer(self.grace, self.stop_now, args=(signum,))
        self.timer.daemon = True
        self.timer.start()
        try:
            self.dump = open(self.log_file or os.devnull, "a", encoding="utf-8")  # noqa: SIM115  # open until disarmed
            faulthandler.dump_traceback_later(self.grace + 1, exit=True, file=self.dump)
        except (OSError, ValueError):
            self.dump = None

    def stop_now(self, signum: int) -> None:
        name = signal.Signals(signum).name
        try:
            print(
                f"archiver: the run had not stopped {self.grace:g} s after {name}; ended it now "
                "(the next run finishes its work)",
                file=sys.stderr,
                flush=True,
            )
        finally:
            os._exit(128 + signum)

    def disarm(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
        if self.dump is not None:
            faulthandler.cancel_dump_traceback_later()
            self.dump.close()
            self.dump = None


_deadline: StopDeadline | None = None


class StopGuard:
    """Scrapy extension: arms the StopDeadline of this process (ARCHIVER_STOP_GRACE)."""

    def __init__(self, grace: float, log_file: str | None) -> None:
        self.grace = grace
        self.log_file = log_file

    @classmethod
    def from_crawler(cls, crawler):
        grace = crawler.settings.getfloat("ARCHIVER_STOP_GRACE", 5.0)
        if not grace > 0:
            raise NotConfigured("ARCHIVER_STOP_GRACE is 0")
        guard = cls(grace, crawler.settings.get("LOG_FILE"))
        crawler.signals.connect(guard.engine_started, signal=signals.engine_started)
        return guard

    def engine_started(self) -> None:
        global _deadline
        if _deadline is not None:
            return
        from twisted.internet import reactor as installed

        reactor = cast(Any, installed)  # the installed reactor: its type is not known statically
        _deadline = deadline = StopDeadline(self.grace, self.log_file)
        # Scrapy installs its signal handlers as the reactor starts: wrapped right after that.
        reactor.callLater(0, deadline.install)
        reactor.addSystemEventTrigger("after", "shutdown", deadline.disarm)
