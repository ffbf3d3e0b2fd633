"""Projects in and out of other tools (REFI-QDA). Qt-free, like the rest of the core."""
