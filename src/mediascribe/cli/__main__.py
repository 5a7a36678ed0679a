"""``python -m mediascribe.cli``, as the ``mediascribe`` command."""

import sys

from mediascribe.cli import main

sys.exit(main())
