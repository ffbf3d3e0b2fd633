"""Per-user settings kept outside every project (never the API key in a project or its logs)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from workbench.resources import user_data_dir


def settings_path() -> Path:
    return Path(os.environ.get("WORKBENCH_SETTINGS", user_data_dir() / "settings.json"))


def load_settings() -> dict[str, object]:
    path = settings_path()
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def save_setting(key: str, value: object) -> None:
    """Write one setting atomically (a crash never leaves a half-written file)."""
    data = load_settings()
    data[key] = value
    path = settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(data, indent=2), encoding="utf-8")
    os.replace(temporary, path)


def coder_languages() -> list[str]:
    """The languages this coder reads (``coder_languages``, e.g. ``["en", "de"]``), as primary
    tags. A transcript in another language shows its machine translation, where one is stored;
    an empty list (the default) means none is shown until the coder asks (View menu)."""
    value = load_settings().get("coder_languages")
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list):
        return []
    return [str(v).strip().split("-")[0].lower() for v in value if str(v).strip()]
