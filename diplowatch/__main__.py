"""`python -m diplowatch` is the `diplowatch` command."""

import sys

from diplowatch.flows.cli import main

sys.exit(main())
