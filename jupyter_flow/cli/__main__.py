"""``python -m jupyter_flow.cli``."""
import sys

from . import main

sys.exit(main())
