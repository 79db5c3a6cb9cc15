import sys

from tools.matrix.cli import main

sys.exit(main())
