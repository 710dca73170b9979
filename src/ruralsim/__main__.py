"""``python -m ruralsim``: the command line, as the ``ruralsim`` console script."""
import sys

from .entry import main

sys.exit(main())
