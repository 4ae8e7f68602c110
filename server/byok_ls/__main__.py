import sys

from byok_ls.cli import main

sys.exit(main())
