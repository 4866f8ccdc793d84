import threading

import pytest

from vesseltrack.ingest.base import prefetch


def test_prefetch_yields_everything_in_order_and_reads_ahead_on_another_thread():
    threads = []

    def reader():
        for i in range(5):
            threads.append(threading.current_thread().name)
            yield i

    assert list(prefetch(reader())) == [0, 1, 2, 3, 4]
    assert all(name.startswith("vesseltrack-read") for name in threads)
    assert list(prefetch(iter([]))) == []


def test_prefetch_raises_the_readers_error_at_its_chunk():
    def reader():
        yield 1
        raise ValueError("bad chunk 2")

    it = prefetch(reader())
    assert next(it) == 1
    with pytest.raises(ValueError, match="bad chunk 2"):
        next(it)


def test_prefetch_stops_early_without_hanging():
    def reader():
        yield from range(10**9)

    it = prefetch(reader())
    assert next(it) == 0
    it.close()  # leaves the with-block: the pending read finishes and the thread ends
