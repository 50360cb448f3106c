"""Allow ``python -m pos_app`` as the contract's alias of ``pos-app``."""

from pos_app.cli import main

raise SystemExit(main())
