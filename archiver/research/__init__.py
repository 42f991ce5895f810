"""Research tools over a finished archive: search, export, WARC, reparse and their shared row output."""
