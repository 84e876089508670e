"""``python -m crimeharm``: the command line."""

import sys

from crimeharm.cli import main

sys.exit(main())
