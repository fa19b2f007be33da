"""Download a file once into the kerasish cache, verified by its sha256 before use.

The cache root is `$KERASISH_HOME` if set, else `~/.kerasish`; dataset files go to
`<root>/datasets/`. A download is written to a temporary file in the target folder,
fsynced, checked against the expected sha256 and only then renamed into place
(`os.replace`), so an interrupted or corrupt download never becomes a cache entry.
A cached file whose hash does not match (truncated, damaged) is fetched again.
"""

import hashlib
import os
import tempfile
import urllib.error
import urllib.request
import warnings
from http.client import HTTPException
from pathlib import Path

from tqdm.auto import tqdm

_CHUNK = 1 << 16


def cache_root():
    """Return the cache root: `$KERASISH_HOME`, else `~/.kerasish`."""
    return Path(os.environ.get("KERASISH_HOME") or Path.home() / ".kerasish")


def sha256sum(path):
    """Return the hex sha256 of the file at `path`."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def get_file(fname, origin, file_hash, cache_subdir="datasets", progress=True, timeout=60):
    """Return the path of a verified local copy of `origin`, downloading it only when needed.

    Args:
        fname: file name in the cache folder (an absolute path is used as is).
        origin: URL to download from.
        file_hash: the file's expected sha256 (64 hex digits); required, the file is
            never used before it matches.
        cache_subdir: folder under the cache root (see `cache_root`).
        progress: show a tqdm progress bar while downloading.
        timeout: seconds to wait for the server before giving up.

    Returns:
        A `pathlib.Path` to the file.

    Raises:
        ConnectionError: the server cannot be reached and no valid copy is cached; the
            message names the URL and where to put a manually fetched file.
        OSError: the download was cut short (fewer bytes than announced).
        ValueError: the downloaded bytes do not match `file_hash`.
    """
    if (not isinstance(file_hash, str) or len(file_hash) != 64
            or any(c not in "0123456789abcdef" for c in file_hash.lower())):
        raise ValueError(f"get_file: file_hash must be a sha256 hex digest (64 hex digits), got {file_hash!r}.")
    file_hash = file_hash.lower()
    path = cache_root() / cache_subdir / fname
    if path.is_file():
        if sha256sum(path) == file_hash:
            return path
        warnings.warn(f"Cached file {path} does not match its sha256 (truncated or damaged); "
                      f"downloading it again from {origin}.", stacklevel=2)
    path.parent.mkdir(parents=True, exist_ok=True)
    _download(origin, path, file_hash, progress, timeout)
    return path


def _download(origin, path, file_hash, progress, timeout):
    manual = (f"If this machine is offline, download {origin} elsewhere and put it at {path} "
              f"(sha256 {file_hash}).")
    try:
        response = urllib.request.urlopen(origin, timeout=timeout)
    except (urllib.error.URLError, HTTPException, OSError) as err:
        reason = getattr(err, "reason", err)
        raise ConnectionError(f"Could not download {origin} ({reason}). {manual}") from err
    tmp = tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", suffix=".part", delete=False)
    try:
        with response, tmp:
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
            digest, received = hashlib.sha256(), 0
            with tqdm(total=total, unit="B", unit_scale=True, desc=path.name, disable=not progress) as bar:
                while True:
                    try:
                        chunk = response.read(_CHUNK)
                    except (HTTPException, OSError) as err:  # e.g. IncompleteRead, connection reset
                        raise OSError(f"Download of {origin} failed after {received} bytes ({err!r}); "
                                      f"nothing was cached. Try again. {manual}") from err
                    if not chunk:
                        break
                    tmp.write(chunk)
                    digest.update(chunk)
                    received += len(chunk)
                    bar.update(len(chunk))
            if total is not None and received != total:
                raise OSError(f"Download of {origin} was cut short: got {received} of {total} bytes; "
                              f"nothing was cached. Try again. {manual}")
            tmp.flush()
            os.fsync(tmp.fileno())
        if digest.hexdigest() != file_hash:
            raise ValueError(f"Downloaded {origin} has sha256 {digest.hexdigest()}, expected {file_hash}: "
                             "the file is corrupt or has changed upstream; it was not cached.")
        os.replace(tmp.name, path)
    except BaseException:
        try:
            os.unlink(tmp.name)
        except FileNotFoundError:
            pass
        raise
