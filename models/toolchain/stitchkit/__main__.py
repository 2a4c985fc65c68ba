"""``python -m stitchkit``: the command-line interface (see :mod:`stitchkit.cli`)."""
import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
