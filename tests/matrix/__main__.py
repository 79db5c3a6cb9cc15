import sys

from tests.matrix.cli import main

sys.exit(main())
