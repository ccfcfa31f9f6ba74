"""Entry point for ``python -m edursft``."""

from edursft.cli import main

raise SystemExit(main())
