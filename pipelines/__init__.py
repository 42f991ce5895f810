"""Item pipelines, one stage per module, run in order: dates → text → dedup → store."""
