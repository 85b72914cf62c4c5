"""``python -m custloyalty.cli``: the same as the ``custloyalty`` command."""

from __future__ import annotations

from custloyalty.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
