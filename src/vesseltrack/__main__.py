"""``python -m vesseltrack``: the same command line as the ``vesseltrack`` script."""
import sys

from vesseltrack.cli import main

sys.exit(main())
