"""Keeps large freed blocks inside the process (glibc malloc tuning), so each step reuses them.

NumPy takes every array from malloc. glibc serves blocks above its mmap threshold
(128 KiB at start, adapting only as far as the largest block freed) with a fresh
mmap and unmaps them on free; memory at the top of the heap is also trimmed back to
the system once more than M_TRIM_THRESHOLD is free. A training step allocates and
frees the same large temporaries (windows, activations, gradients) every time, so by
default each step page-faults them all in again and the kernel zeroes every page.
Raising both thresholds keeps those blocks on malloc's free lists, where the next step
finds them. Measured on the MNIST convnet's conv/pool layers (bench/profile_conv.py,
batch 128, 2 threads): 8200 -> 270 page faults and 46 -> 19 ms per forward+backward,
peak RSS unchanged (117 MiB).

The cost: up to `TRIM_THRESHOLD` of freed memory stays mapped to the process, and
blocks up to `MMAP_THRESHOLD` come from the heap. Only glibc (Linux) is affected.
Set the environment variable KERASISH_NO_MALLOPT=1 before importing kerasish to opt out.
"""
import ctypes
import os
import platform

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 256 * 2 ** 20   # blocks up to this size come from the heap (reusable)
TRIM_THRESHOLD = 512 * 2 ** 20   # free memory kept at the heap top before returning it to the system

applied = False


def apply():
    """Sets glibc's mmap and trim thresholds once; returns True if they were set.

    Does nothing (returns False) off glibc or when KERASISH_NO_MALLOPT=1.
    """
    global applied
    if applied:
        return True
    if os.environ.get("KERASISH_NO_MALLOPT", "").strip() not in ("", "0"):
        return False
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
        ok = libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1
        ok = libc.mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD) == 1 and ok
    except (OSError, AttributeError):
        return False
    applied = ok
    return ok


apply()
