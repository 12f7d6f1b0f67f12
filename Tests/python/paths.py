"""Where things are: the repository root and the medexpress binary."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def medexpress_bin() -> Path:
    """The Swift server binary: env MEDEXPRESS_BIN, else .build/debug/medexpress in the repo."""
    configured = os.environ.get("MEDEXPRESS_BIN")
    path = Path(configured) if configured else REPO_ROOT / ".build" / "debug" / "medexpress"
    return path if path.is_absolute() else (REPO_ROOT / path)
