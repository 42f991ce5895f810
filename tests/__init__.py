"""The test suite: parsing tests on fixture pages, end-to-end crawls on loopback mirrors."""
