"""Loopback mirrors of the target sites: a tiny HTTP server and renderers of each site's markup.

Used by `archiver demo`, the end-to-end tests and `archiver bench`; nothing here touches the network.
"""
