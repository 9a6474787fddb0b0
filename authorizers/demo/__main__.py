"""``python -m authorizers.demo``."""

import sys

from authorizers.demo.stack import main

sys.exit(main())
