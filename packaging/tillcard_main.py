"""The installed app's entry point: the same ``pos-app`` command line a pip install gives."""

import sys

from pos_app.cli import main

if __name__ == "__main__":
    sys.exit(main())
