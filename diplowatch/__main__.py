"""`python -m diplowatch` is the `diplowatch` command."""

import sys

from diplowatch.cli import main

sys.exit(main())
