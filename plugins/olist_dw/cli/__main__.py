import sys

from olist_dw.cli import main

sys.exit(main())
