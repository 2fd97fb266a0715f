"""``python -m mlevolve``: the command line."""

from mlevolve.cli import main

raise SystemExit(main())
