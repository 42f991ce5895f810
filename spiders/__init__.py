"""The spiders: one module per site, plus the shared listing/article machinery in `base`."""
