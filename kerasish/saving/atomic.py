"""Atomic file writes: a save either fully replaces the file or leaves the old one untouched."""
import contextlib
import os
import secrets


def _fsync_dir(folder):
    # Makes the rename itself durable; not possible on every platform (e.g. Windows).
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_write(path, overwrite=True):
    """Context manager yielding a temporary path to write; on success it replaces `path`.

    The temporary file lives in the same folder (so `os.replace` is an atomic rename),
    is flushed to disk with fsync before the rename, and is removed if the block raises,
    leaving any previous file at `path` unchanged.

    Args:
        path: the final file path (its folder is created if missing).
        overwrite: if False and `path` exists, raises FileExistsError before writing.

    Example:
        >>> with atomic_write('weights.h5') as tmp:
        ...     with h5py.File(tmp, 'w') as f:
        ...         f['x'] = np.zeros(3)
    """
    path = os.fspath(path)
    if os.path.isdir(path):
        raise IsADirectoryError(f"Cannot save to '{path}': it is a directory")
    if not overwrite and os.path.exists(path):
        raise FileExistsError(f"'{path}' already exists (pass overwrite=True to replace it)")
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    tmp = os.path.join(folder, f".{os.path.basename(path)}.{secrets.token_hex(4)}.tmp")
    try:
        yield tmp
        with open(tmp, "rb+") as f:
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise
    _fsync_dir(folder)
