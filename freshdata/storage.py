"""Where the data home's files live: a local folder, or an fsspec URL such as `s3://bucket/prefix`.

Every file of the data home but the DuckDB catalog (raw WARC, texts, snapshots, exports) is named by a
*location*: a local path or a URL. A local location behaves exactly as before this module existed (write to a
temporary name in the target folder, fsync, `os.replace`, fsync the folder); a remote one is written to a local
staging file first and then uploaded with one PUT, which object stores make atomic. Content-addressed names are
never overwritten, and `exports/published.json` is replaced by that one PUT.

The DuckDB catalog cannot live on object storage (DuckDB writes no database file there): it stays in a local
folder, the *catalog home*. A catalog home bound to a remote data home holds `data_home.json` naming it
(`bind`); `data_root` turns a catalog home into the root of its files, so the pipeline finds the data through the
catalog that indexes it and never pairs a catalog with another home's files.

Remote access: fsspec's filesystem for the URL's protocol (s3fs for s3://), with the standard settings of its
client (for S3: AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_DEFAULT_REGION, …) plus
FRESHDATA_STORAGE_OPTIONS, a JSON object of fsspec storage options. DuckDB reads remote Parquet through the same
filesystem (`register`), so no DuckDB extension is downloaded at run time.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from freshdata.durable import fsync_path, stream_hash

if TYPE_CHECKING:
    import duckdb

BINDING = "data_home.json"  # in a catalog home whose data home is remote
STAGING_ENV = "FRESHDATA_STAGING"  # local folder for the staging files of remote writes
OPTIONS_ENV = "FRESHDATA_STORAGE_OPTIONS"
Location = str | Path


def is_remote(location: Location) -> bool:
    """A URL with a scheme (s3://, gs://, memory://, …); plain paths and file:// are local."""
    text = str(location)
    return "://" in text and not text.startswith("file://")


def join(base: Location, *parts: str) -> str:
    """`base/part/…`: a path for a local base, a URL for a remote one (no Path: it would fold `s3://`)."""
    if is_remote(base):
        return "/".join([str(base).rstrip("/"), *(p.strip("/") for p in parts if p)])
    return str(Path(base, *parts))


def name(location: Location) -> str:
    return str(location).rstrip("/").rsplit("/", 1)[-1]


def parent(location: Location) -> str:
    return str(location).rstrip("/").rsplit("/", 1)[0] if is_remote(location) else str(Path(location).parent)


def relative(location: Location, root: Location) -> str:
    """`location` relative to `root` (what the catalog and published.json record)."""
    if is_remote(root):
        prefix = str(root).rstrip("/") + "/"
        if not str(location).startswith(prefix):
            raise ValueError(f"{location} is not under {root}")
        return str(location)[len(prefix):]
    return str(Path(location).relative_to(root))


def _options() -> dict[str, Any]:
    text = os.environ.get(OPTIONS_ENV, "").strip()
    if not text:
        return {}
    options = json.loads(text)
    if not isinstance(options, dict):
        raise ValueError(f"{OPTIONS_ENV} must be a JSON object of fsspec storage options")
    return options


_FILESYSTEMS: dict[tuple[str, ...], Any] = {}


def filesystem(location: Location):
    """fsspec's filesystem for a remote location. No listings cache: another process (a Dagster step, a
    reader) may have written since. One instance per process and settings: fsspec's own instance cache would
    keep a client made for an earlier AWS_ENDPOINT_URL or credentials."""
    import fsspec  # imported only for remote homes

    protocol = str(location).split("://", 1)[0]
    settings = sorted((k, v) for k, v in os.environ.items() if k.startswith("AWS_") or k == OPTIONS_ENV)
    key = (str(os.getpid()), protocol, json.dumps(settings))
    if key not in _FILESYSTEMS:
        _FILESYSTEMS[key] = fsspec.filesystem(protocol, skip_instance_cache=True, use_listings_cache=False,
                                              **_options())
    return _FILESYSTEMS[key]


def _missing(location: Location) -> FileNotFoundError:
    """What a local open or stat raises for a missing file (s3fs's own has no strerror), so messages match."""
    return FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), str(location))


def open_read(location: Location) -> IO[bytes]:
    """A binary reader (seekable: remote reads fetch the byte ranges asked for)."""
    if is_remote(location):
        try:
            return filesystem(location).open(str(location), "rb")
        except FileNotFoundError:
            raise _missing(location) from None
    return open(location, "rb")  # noqa: SIM115 - the caller closes it


def read_text(location: Location) -> str:
    """The file's text; FileNotFoundError when it does not exist."""
    with open_read(location) as fh:
        return fh.read().decode("utf-8")


def exists(location: Location) -> bool:
    return filesystem(location).exists(str(location)) if is_remote(location) else os.path.exists(location)


def entries(folder: Location) -> list[tuple[str, bool]]:
    """(name, is a folder) of what a folder holds; empty when it does not exist."""
    if not is_remote(folder):
        with contextlib.suppress(FileNotFoundError, NotADirectoryError):
            return [(e.name, e.is_dir()) for e in os.scandir(folder)]
        return []
    fs = filesystem(folder)
    try:
        listed = fs.ls(str(folder), detail=True)
    except FileNotFoundError:
        return []
    return [(name(e["name"]), e["type"] == "directory") for e in listed]


def stat(location: Location) -> dict[str, int]:
    """Size and modification time in ns (object stores: the upload time, to the second)."""
    if not is_remote(location):
        st = os.stat(location)
        return {"size": st.st_size, "mtime_ns": st.st_mtime_ns}
    try:
        info = filesystem(location).info(str(location))
    except FileNotFoundError:
        raise _missing(location) from None
    modified = info.get("LastModified") or info.get("mtime") or info.get("created")
    stamp = modified.timestamp() if hasattr(modified, "timestamp") else float(modified or 0)
    return {"size": int(info["size"]), "mtime_ns": int(stamp * 1_000_000) * 1000}


def file_hash(location: Location) -> str:
    """sha256 of a file, read in 1 MiB chunks (snapshots and text files are named and verified by it)."""
    with open_read(location) as fh:
        return stream_hash(fh)


def delete(location: Location) -> None:
    """Remove a file; a missing one is no error."""
    if is_remote(location):
        with contextlib.suppress(FileNotFoundError):
            filesystem(location).rm_file(str(location))
        return
    with contextlib.suppress(FileNotFoundError):
        os.unlink(location)


def staging_root(folder: Location) -> Path:
    """The local folder where files bound for `folder` are written before they are published: the folder
    itself when it is local, else a mirror of the URL under $FRESHDATA_STAGING (the catalog home's `staging`
    when the home is bound; the system temp folder otherwise)."""
    if not is_remote(folder):
        return Path(folder)
    root = Path(os.environ.get(STAGING_ENV) or Path(tempfile.gettempdir(), "freshdata-staging"))
    return root / str(folder).replace("://", "/", 1).strip("/")


def places(folder: Location) -> list[str]:
    """Where files of `folder` may be: the folder, and for a remote one also its staging folder (files on their
    way up, or left there by a crash)."""
    return [str(folder), str(staging_root(folder))] if is_remote(folder) else [str(folder)]


def local_folder(folder: Location) -> Path:
    """`staging_root(folder)`, created."""
    local = staging_root(folder)
    local.mkdir(parents=True, exist_ok=True)
    return local


def publish(tmp: Path, target: Location) -> str:
    """Move a written local file to its final location, all at once: locally fsync, rename, fsync the folder;
    remotely one upload (atomic on object stores), then the staging file goes. Returns the target."""
    fsync_path(tmp)
    if is_remote(target):
        filesystem(target).put_file(str(tmp), str(target))
        tmp.unlink()
    else:
        Path(target).parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp, target)
        fsync_path(Path(target).parent)
    return str(target)


def move(source: Location, target: Location) -> None:
    """Rename a file in the same home (a copy and a delete on object stores: only for files whose content the
    target name does not depend on being unique, such as texts/empty.parquet)."""
    if is_remote(target):
        filesystem(target).mv(str(source), str(target))
    else:
        os.replace(source, target)


def write_bytes(target: Location, data: bytes, tmp_name: str) -> str:
    """Write a small file whole under its final name (one rename or one PUT): `tmp_name` is the staging file's."""
    tmp = local_folder(parent(target)) / tmp_name
    tmp.write_bytes(data)
    return publish(tmp, target)


def register(con: duckdb.DuckDBPyConnection, location: Location) -> None:
    """Let DuckDB read (and COPY to) a remote location through fsspec; nothing for a local one."""
    if not is_remote(location):
        return
    fs = filesystem(location)
    protocols = fs.protocol if isinstance(fs.protocol, tuple | list) else (fs.protocol,)
    if not con.filesystem_is_registered(protocols[0]) and not con.filesystem_is_registered(type(fs).__name__):
        con.register_filesystem(fs)


# ---------------------------------------------------------------- catalog home <-> data home


def bind(catalog_home: Path, root: str) -> None:
    """Bind a local catalog home to a remote data home (once; a catalog never changes homes)."""
    current = bound_root(catalog_home)
    if current is not None and current != root:
        raise ValueError(f"{catalog_home} is the catalog of {current}, not of {root}; "
                         "give each data home its own FRESHDATA_CATALOG")
    if current is None:
        if (catalog_home / "freshdata.duckdb").exists():
            raise ValueError(f"{catalog_home} already holds the catalog of a local data home; "
                             f"give {root} its own FRESHDATA_CATALOG")
        catalog_home.mkdir(parents=True, exist_ok=True)
        (catalog_home / BINDING).write_text(json.dumps({"data_home": root}) + "\n", encoding="utf-8")


def bound_root(catalog_home: Path) -> str | None:
    try:
        return json.loads((catalog_home / BINDING).read_text(encoding="utf-8"))["data_home"]
    except FileNotFoundError:
        return None


def data_root(catalog_home: Path) -> str:
    """Where the files of the home whose catalog is in `catalog_home` live: the folder itself, or its binding."""
    return bound_root(catalog_home) or str(catalog_home)


def walk_files(folder: Location, depth: int) -> Iterator[str]:
    """The files `depth` folders below `folder` (depth 0: its own files), as locations."""
    for entry, is_dir in entries(folder):
        if depth == 0 and not is_dir:
            yield join(folder, entry)
        elif depth > 0 and is_dir:
            yield from walk_files(join(folder, entry), depth - 1)
