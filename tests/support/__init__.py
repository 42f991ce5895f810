"""What the tests share: loopback servers, sample sites, archives, the CLI runner and pytest fixtures."""
