"""Nested Python state (dicts, lists, tuples, numbers, strings, arrays) in an HDF5 group.

Used for optimizer state, callback state and RNG state. The structure is stored as JSON in
the group's attribute 'structure', with each array replaced by a reference to a dataset
('0', '1', ...). Nothing is pickled or evaluated on load.
"""
import json

import numpy as np

from kerasish import backend

_FORMAT = "kerasish-state-1"


def _encode(obj, arrays, where):
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, (int, float)) and not isinstance(obj, np.generic):
        return obj
    if isinstance(obj, np.generic):
        arrays.append(np.asarray(obj))
        return {"__scalar__": len(arrays) - 1}
    if hasattr(obj, "shape") and hasattr(obj, "dtype"):
        arr = backend.to_numpy(obj.data if hasattr(obj, "numpy") and hasattr(obj, "data") else obj)
        if arr.dtype.kind in "OUSV":
            raise TypeError(f"Cannot save state at {where}: arrays of dtype {arr.dtype} are not supported")
        arrays.append(np.asarray(arr))
        return {"__array__": len(arrays) - 1}
    if isinstance(obj, dict):
        return {"__dict__": [[_encode(k, arrays, f"{where} key"), _encode(v, arrays, f"{where}[{k!r}]")]
                             for k, v in obj.items()]}
    if isinstance(obj, tuple):
        return {"__tuple__": [_encode(v, arrays, f"{where}[{i}]") for i, v in enumerate(obj)]}
    if isinstance(obj, list):
        return [_encode(v, arrays, f"{where}[{i}]") for i, v in enumerate(obj)]
    raise TypeError(f"Cannot save state at {where}: values of type {type(obj).__name__} are not "
                    "supported (use numbers, strings, arrays, lists, tuples and dicts)")


def _key(k):
    # JSON has no tuples: a decoded tuple key comes back as a list.
    return tuple(_key(v) for v in k) if isinstance(k, list) else k


def _array(arrays, index):
    if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < len(arrays):
        raise ValueError(f"array reference {index!r} is not one of the {len(arrays)} stored arrays")
    return arrays[index]


def _decode(obj, arrays):
    if isinstance(obj, list):
        return [_decode(v, arrays) for v in obj]
    if not isinstance(obj, dict):
        return obj
    if "__array__" in obj:
        return np.array(_array(arrays, obj["__array__"]))
    if "__scalar__" in obj:
        return np.asarray(_array(arrays, obj["__scalar__"]))[()]
    if "__tuple__" in obj:
        return tuple(_decode(v, arrays) for v in obj["__tuple__"])
    if "__dict__" in obj:
        return {_key(_decode(k, arrays)): _decode(v, arrays) for k, v in obj["__dict__"]}
    raise ValueError(f"Unknown entry in saved state structure: {sorted(obj)[:5]}")


def write_tree(group, obj, where="state"):
    """Writes `obj` into the (new, empty) h5py group."""
    arrays = []
    structure = _encode(obj, arrays, where)
    group.attrs["format"] = _FORMAT
    group.attrs["structure"] = json.dumps(structure)
    for i, arr in enumerate(arrays):
        group.create_dataset(str(i), data=arr)


def is_tree(group):
    """True if the group was written by `write_tree`."""
    fmt = group.attrs.get("format")
    return fmt is not None and (fmt.decode() if isinstance(fmt, bytes) else str(fmt)) == _FORMAT


def read_tree(group):
    """Reads back what `write_tree` wrote (arrays as numpy arrays).

    Raises:
        ValueError: the group holds no saved state or a malformed structure (names the file).
        OSError: an array the structure lists is missing (names the file).
    """
    where = f"'{group.file.filename}' (group '{group.name}')"
    if not is_tree(group):
        raise ValueError(f"{where} does not hold saved kerasish state")
    n = sum(1 for _ in group.keys())
    arrays = []
    for i in range(n):
        if str(i) not in group:
            raise OSError(f"Saved state in {where} lacks array {i} (damaged file?)")
        arrays.append(group[str(i)][()])
    try:
        raw = group.attrs["structure"]
        return _decode(json.loads(raw.decode() if isinstance(raw, bytes) else raw), arrays)
    except (TypeError, ValueError, KeyError, IndexError) as exc:
        raise ValueError(f"Saved state in {where} is malformed (damaged or crafted file?): {exc}") from None
