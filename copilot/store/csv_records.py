"""The records of a CSV file that people write by hand (users, vocabulary), each with the
line it ends on; a record the csv module cannot read (a field over its 128 KiB limit) is an
:class:`UnreadableRecord` naming its line, not a crash halfway through an import."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from copilot.store.errors import InvalidInput


class UnreadableRecord(InvalidInput):
    """The record ending on ``line`` cannot be read; nothing after it can be either."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(f"line {line}: {reason}")
        self.line = line
        self.reason = reason


def csv_records(text: str) -> Iterator[tuple[int, list[str]]]:
    """``(line, cells)`` of each record, blank lines included (as ``[]``)."""
    reader = csv.reader(io.StringIO(text))
    done = 0  # the last line read whole; the csv module's own count lags on some errors
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise UnreadableRecord(done + 1, f"not readable as CSV ({exc})") from None
        done = reader.line_num
        yield done, row
