"""Site profiles: sites described in TOML files (archiver/sites/profiles.py), read below the spiders that crawl them."""
