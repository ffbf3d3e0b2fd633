"""The headless core: everything the CLI, the tests and the GUI share. Never imports Qt."""
