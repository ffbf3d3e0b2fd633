"""``python -m workbench``: the same as the ``workbench`` command."""

import sys

from workbench.cli import main

if __name__ == "__main__":  # a spawned parsing process imports this module too
    sys.exit(main())
