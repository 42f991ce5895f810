"""The archive: schema models, engines, the writer of normalized items, stored pages, locks and run state."""
