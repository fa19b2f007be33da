"""Processes exit promptly while prefetch / map / DataLoader worker threads are alive."""

import subprocess
import sys
import textwrap
import time

import pytest

PIPELINES = {
    "prefetch": "it = iter(Dataset.from_generator(endless).map(slow, num_parallel_calls=4).prefetch(8))",
    "loader": "it = iter(DataLoader(Endless(), batch_size=4, num_workers=4))",
}


@pytest.mark.parametrize("pipeline", sorted(PIPELINES))
@pytest.mark.parametrize("ending", ["exit", "raise"])
def test_process_exits_with_live_threads(pipeline, ending):
    script = textwrap.dedent("""
        import sys, time
        from kerasish.data import Dataset, DataLoader

        def endless():
            i = 0
            while True:
                yield i
                i += 1

        def slow(v):
            time.sleep(0.01)
            return v

        class Endless:
            def __len__(self):
                return 10**9
            def __getitem__(self, i):
                time.sleep(0.01)
                return i

        {pipeline}
        for _ in range(3):
            next(it)
        {ending}
    """).format(pipeline=PIPELINES[pipeline],
                ending="sys.exit(0)" if ending == "exit" else "raise RuntimeError('consumer failed')")
    start = time.monotonic()
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=30)
    elapsed = time.monotonic() - start
    assert elapsed < 10, f"process took {elapsed:.1f} s to exit"
    if ending == "exit":
        assert result.returncode == 0, result.stderr
    else:
        assert result.returncode == 1 and "consumer failed" in result.stderr
