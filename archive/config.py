"""Settings: built-in defaults, the config file (TOML), the environment, the command line.

The config file is ``config.toml`` in the platform's user config directory
(``~/.config/article-archive/config.toml`` on Linux), or the file named by
``$ARCHIVE_CONFIG``. It may set:

- ``home``: the archive directory (``$ARCHIVE_HOME`` and ``--home`` win over it);
- ``color``: ``"auto"``, ``"always"`` or ``"never"`` (``$NO_COLOR`` and ``--color`` win);
- ``pager``: a command such as ``"less -R"``, or ``false`` for none (``--no-pager`` wins;
  the file wins over ``$PAGER``, as git's ``core.pager`` does);
- ``limit``: the hits ``search`` shows (``--limit`` wins);
- ``jobs``: the processes a large ``ingest`` indexes with (``--jobs`` wins);
- ``database``: a PostgreSQL URL, for an archive shared by several machines
  (``$ARCHIVE_DATABASE_URL`` and ``--db`` win; default: the home's own SQLite
  file, or the database the home already follows).

Later sources win: default, config file, environment, command line.
:func:`settings` says, for each, the value in force and where it came from.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from archive.errors import ArchiveError

#: Environment variable naming the config file (instead of the platform's place).
CONFIG_ENV = "ARCHIVE_CONFIG"
#: The pager used when neither the config file nor ``$PAGER`` names one.
DEFAULT_PAGER = "less -R"
#: The settings a config file may hold, in the order ``archive config`` shows them.
KEYS = ("home", "color", "pager", "limit", "jobs", "database")
COLORS = ("auto", "always", "never")


class ConfigError(ArchiveError):
    """The config file cannot be read or holds a bad setting (the message names it)."""


@dataclass(frozen=True, slots=True)
class Setting:
    name: str
    #: The value in force (``None``: the built-in choice, described by :attr:`shown`).
    value: Any
    #: Where it comes from: ``default``, ``config file``, ``environment $X``, ``command line``.
    source: str

    @property
    def shown(self) -> str:
        if self.value is None:
            return {
                "jobs": "auto (one per core, up to 4)",
                "pager": "none",
                "database": "the home's own",
            }.get(self.name, "-")
        if self.name == "database":
            from archive.shared import shown

            return shown(str(self.value))
        if self.value is False:
            return "none"
        return str(self.value)

    def to_json(self) -> dict[str, Any]:
        value = self.shown if self.name == "database" and self.value else self.value
        return {"name": self.name, "value": value, "source": self.source}


def config_path() -> Path:
    """``$ARCHIVE_CONFIG``, else ``config.toml`` in the platform's user config directory."""
    named = os.environ.get(CONFIG_ENV)
    if named:
        return Path(named).expanduser()
    from platformdirs import user_config_dir

    return Path(user_config_dir("article-archive", False)) / "config.toml"


def load(path: Path) -> dict[str, Any]:
    """The settings in the config file at *path*, checked; empty if there is no file.

    :raises ConfigError: the file is unreadable, not TOML, or holds an unknown
        setting or a value of the wrong kind.
    """
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ConfigError(f"cannot read the config file {path} ({exc.strerror})") from exc
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"the config file {path} is not valid TOML: {exc}") from exc
    for key, value in data.items():
        problem = _problem(key, value)
        if problem:
            raise ConfigError(f"the config file {path}: {problem}")
    return data


def _problem(key: str, value: Any) -> str | None:
    if key not in KEYS:
        return f"unknown setting {key!r} (known: {', '.join(KEYS)})"
    if key == "database" and not (isinstance(value, str) and value.strip()):
        return "'database' must be a PostgreSQL URL (a string)"
    if key == "home" and not (isinstance(value, str) and value.strip()):
        return "'home' must be a directory path (a string)"
    if key == "color" and value not in COLORS:
        return f"'color' must be one of {', '.join(COLORS)}, not {value!r}"
    if key == "pager" and not (value is False or (isinstance(value, str) and value.strip())):
        return "'pager' must be a command (a string) or false"
    if key in ("limit", "jobs") and (
        isinstance(value, bool) or not isinstance(value, int) or value < 1
    ):
        return f"{key!r} must be a whole number of at least 1, not {value!r}"
    if key == "limit" and value > 10_000:
        return f"'limit' must be at most 10000, not {value}"
    return None


def settings(
    *,
    home: Path | None = None,
    database: str | None = None,
    no_pager: bool = False,
    environ: dict[str, str] | None = None,
    path: Path | None = None,
) -> dict[str, Setting]:
    """Each setting's value in force and its source.

    :param home: ``--home`` as given on the command line (``None``: not given).
    :param database: ``--db`` as given on the command line (``None``: not given).
    :param no_pager: ``--no-pager`` was given.
    :param environ: the environment (default: this process's).
    :param path: the config file (default: :func:`config_path`).
    :raises ConfigError: see :func:`load`.
    """
    from archive.home import platform_home

    env = os.environ if environ is None else environ
    where = path or config_path()
    filed = load(where)
    in_file = f"config file {where}"

    def pick(name: str, default: Any, env_name: str | None = None, cli: Any = None) -> Setting:
        if cli is not None:
            return Setting(name, cli, "command line")
        if env_name and env.get(env_name):
            return Setting(name, env[env_name], f"environment ${env_name}")
        if name in filed:
            return Setting(name, filed[name], in_file)
        return Setting(name, default, "default")

    out = {
        "home": pick("home", str(platform_home()), "ARCHIVE_HOME", str(home) if home else None),
        "color": pick("color", "auto"),
        "limit": pick("limit", 10),
        "jobs": pick("jobs", None),
        "database": pick("database", None, "ARCHIVE_DATABASE_URL", database),
    }
    if "NO_COLOR" in env:
        out["color"] = Setting("color", "never", "environment $NO_COLOR")
    if no_pager:
        out["pager"] = Setting("pager", False, "command line")
    elif "pager" in filed:
        out["pager"] = Setting("pager", filed["pager"], in_file)
    elif env.get("PAGER"):
        out["pager"] = Setting("pager", env["PAGER"], "environment $PAGER")
    else:
        out["pager"] = Setting("pager", DEFAULT_PAGER, "default")
    home_value = Path(str(out["home"].value)).expanduser()
    out["home"] = Setting("home", str(home_value), out["home"].source)
    return {key: out[key] for key in KEYS}
