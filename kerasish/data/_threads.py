"""Background threads for input pipelines: an ordered parallel map and a prefetching iterator.

Both run daemon threads (they never block interpreter exit) and stop them when the
consuming generator finishes, is closed, or the consumer raises; an exception raised
on a worker thread is re-raised in the consumer's thread.
"""

import queue
import threading
from collections import deque
from concurrent.futures import Future


def close_iterator(iterator):
    """Call `iterator.close()` when it has one (generators do), so its cleanup runs now."""
    close = getattr(iterator, "close", None)
    if close is not None:
        close()


def ordered_parallel_map(fn, iterable, num_threads):
    """Apply `fn` to each item of `iterable` on `num_threads` daemon threads, in order.

    Items are read in the caller's thread; at most `2 * num_threads` are in flight.
    The threads stop when the generator finishes, is closed, or the caller raises.

    Args:
        fn: function of one item.
        iterable: the inputs.
        num_threads: number of worker threads (>= 1).

    Returns:
        A generator of `fn(item)` in input order; an exception in `fn` is re-raised
        at the position of its item.
    """
    tasks = queue.Queue()

    def work():
        while True:
            job = tasks.get()
            if job is None:
                return
            future, item = job
            if future.set_running_or_notify_cancel():
                try:
                    future.set_result(fn(item))
                except BaseException as err:  # handed to the consumer, re-raised there
                    future.set_exception(err)

    threads = [threading.Thread(target=work, daemon=True, name=f"kerasish-map-{i}")
               for i in range(num_threads)]
    for thread in threads:
        thread.start()
    pending = deque()
    iterator = iter(iterable)
    try:
        for item in iterator:
            future = Future()
            pending.append(future)
            tasks.put((future, item))
            if len(pending) >= 2 * num_threads:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        for future in pending:
            future.cancel()
        for _ in threads:
            tasks.put(None)
        close_iterator(iterator)


def _put(q, item, stop):
    """Put `item` on `q` unless `stop` is set first; returns whether it was put."""
    while not stop.is_set():
        try:
            q.put(item, timeout=0.05)
            return True
        except queue.Full:
            pass
    return False


def background_iterator(iterable, size):
    """Iterate `iterable` on a daemon thread, up to `size` elements ahead of the consumer.

    Args:
        iterable: the elements; it is iterated (and closed) on the background thread.
        size: the most elements buffered (>= 1).

    Returns:
        A generator of the elements in order; closing it stops the thread.
    """
    q = queue.Queue(maxsize=size)
    stop = threading.Event()

    def produce():
        iterator = None
        try:
            iterator = iter(iterable)
            for item in iterator:
                if not _put(q, (True, item), stop):
                    return
            _put(q, (False, None), stop)
        except BaseException as err:  # handed to the consumer, re-raised there
            _put(q, (False, err), stop)
        finally:
            close_iterator(iterator)  # runs the upstream generators' cleanup in this thread

    thread = threading.Thread(target=produce, daemon=True, name="kerasish-prefetch")
    thread.start()
    try:
        while True:
            is_item, value = q.get()
            if not is_item:
                if value is not None:
                    raise value
                return
            yield value
    finally:
        stop.set()
        # Wake a producer blocked on a full queue and wait (briefly) for it to close the upstream
        # iterators, so resources they hold (an HDF5 file) are released when this generator is.
        while True:
            try:
                q.get_nowait()
            except queue.Empty:
                break
        if thread is not threading.current_thread():
            thread.join(timeout=1.0)
