"""The real download code against a local http.server: cache, checksum, truncation, offline."""

import collections
import gzip
import hashlib
import http.server
import io
import socket
import threading

import numpy as np
import pytest

from kerasish.datasets import fashion_mnist, get_file, mnist
from kerasish.datasets._cache import cache_root

PAYLOAD = bytes(range(256)) * 40
PAYLOAD_HASH = hashlib.sha256(PAYLOAD).hexdigest()


class Server:
    """Serves `files` (URL path -> bytes); paths in `truncated` announce more bytes than they send."""

    def __init__(self):
        self.files, self.truncated, self.hits = {}, set(), collections.Counter()
        state = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                state.hits[self.path] += 1
                body = state.files.get(self.path)
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                extra = 1000 if self.path in state.truncated else 0
                self.send_header("Content-Length", str(len(body) + extra))
                self.end_headers()
                self.wfile.write(body)  # HTTP/1.0: the connection closes after this

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    s = Server()
    yield s
    s.close()


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("KERASISH_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def leftovers(folder):
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_downloads_once_into_kerasish_home(server, home):
    server.files["/data.bin"] = PAYLOAD
    path = get_file("data.bin", server.url + "/data.bin", PAYLOAD_HASH, progress=False)
    assert path == home / "datasets" / "data.bin" and path.read_bytes() == PAYLOAD
    assert cache_root() == home
    again = get_file("data.bin", server.url + "/data.bin", PAYLOAD_HASH.upper(), progress=False)
    assert again == path and server.hits["/data.bin"] == 1
    assert leftovers(home / "datasets") == ["data.bin"]  # no temporary files left


def test_checksum_mismatch_caches_nothing(server, home):
    server.files["/data.bin"] = PAYLOAD
    with pytest.raises(ValueError, match=f"sha256 {PAYLOAD_HASH}, expected {'0' * 64}"):
        get_file("data.bin", server.url + "/data.bin", "0" * 64, progress=False)
    assert leftovers(home / "datasets") == []


def test_truncated_download_caches_nothing(server, home):
    server.files["/data.bin"] = PAYLOAD
    server.truncated.add("/data.bin")
    with pytest.raises(OSError, match=f"cut short: got {len(PAYLOAD)} of {len(PAYLOAD) + 1000} bytes"):
        get_file("data.bin", server.url + "/data.bin", PAYLOAD_HASH, progress=False)
    assert leftovers(home / "datasets") == []


def test_truncated_cache_file_is_fetched_again(server, home):
    server.files["/data.bin"] = PAYLOAD
    cached = home / "datasets" / "data.bin"
    cached.parent.mkdir(parents=True)
    cached.write_bytes(PAYLOAD[:100])
    with pytest.warns(UserWarning, match="does not match its sha256"):
        path = get_file("data.bin", server.url + "/data.bin", PAYLOAD_HASH, progress=False)
    assert path.read_bytes() == PAYLOAD and server.hits["/data.bin"] == 1


def closed_port_url():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/data.bin"  # nothing listens there now: connection refused


def test_offline_without_cache_names_url_and_destination(home):
    url = closed_port_url()
    with pytest.raises(ConnectionError) as info:
        get_file("data.bin", url, PAYLOAD_HASH, progress=False)
    message = str(info.value)
    assert url in message and str(home / "datasets" / "data.bin") in message and PAYLOAD_HASH in message


def test_offline_with_valid_cache_works(home):
    cached = home / "datasets" / "data.bin"
    cached.parent.mkdir(parents=True)
    cached.write_bytes(PAYLOAD)
    assert get_file("data.bin", closed_port_url(), PAYLOAD_HASH, progress=False) == cached


def test_http_error_and_bad_hash_argument(server):
    with pytest.raises(ConnectionError, match="Not Found"):
        get_file("data.bin", server.url + "/missing.bin", PAYLOAD_HASH, progress=False)
    for bad in (None, "abc", "z" * 64):
        with pytest.raises(ValueError, match="sha256 hex digest"):
            get_file("data.bin", server.url + "/data.bin", bad)


def test_real_hashes_are_well_formed():
    for digest in [mnist.FILE_HASH, *fashion_mnist.FILE_HASHES.values()]:
        assert len(digest) == 64 and int(digest, 16) >= 0


def test_mnist_load_data_through_the_cache(server, home, monkeypatch):
    rng = np.random.default_rng(0)
    arrays = {"x_train": rng.integers(0, 255, (6, 28, 28), dtype=np.uint8), "y_train": np.arange(6, dtype=np.uint8),
              "x_test": rng.integers(0, 255, (2, 28, 28), dtype=np.uint8), "y_test": np.arange(2, dtype=np.uint8)}
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    server.files["/mirror/mnist.npz"] = buffer.getvalue()
    monkeypatch.setattr(mnist, "FILE_HASH", hashlib.sha256(buffer.getvalue()).hexdigest())
    monkeypatch.setattr(mnist, "ORIGIN", server.url + "/mirror/")
    for _ in range(2):
        (x_train, y_train), (x_test, y_test) = mnist.load_data()
        np.testing.assert_array_equal(x_train, arrays["x_train"])
        assert y_test.tolist() == [0, 1] and x_test.dtype == np.uint8
    assert server.hits["/mirror/mnist.npz"] == 1
    assert (home / "datasets" / "mnist.npz").is_file()
    elsewhere = home / "other" / "m.npz"
    mnist.load_data(path=str(elsewhere), origin=server.url + "/mirror")
    assert elsewhere.is_file() and server.hits["/mirror/mnist.npz"] == 2


def idx_gz(array):
    header = bytes([0, 0, 8, array.ndim]) + b"".join(d.to_bytes(4, "big") for d in array.shape)
    return gzip.compress(header + array.astype(np.uint8).tobytes())


def test_fashion_mnist_load_data_through_the_cache(server, home, monkeypatch):
    rng = np.random.default_rng(1)
    arrays = {"train-images-idx3-ubyte.gz": rng.integers(0, 255, (4, 28, 28)),
              "train-labels-idx1-ubyte.gz": np.array([1, 2, 3, 4]),
              "t10k-images-idx3-ubyte.gz": rng.integers(0, 255, (2, 28, 28)),
              "t10k-labels-idx1-ubyte.gz": np.array([9, 0])}
    hashes = {}
    for name, array in arrays.items():
        server.files["/f/" + name] = idx_gz(array)
        hashes[name] = hashlib.sha256(server.files["/f/" + name]).hexdigest()
    monkeypatch.setattr(fashion_mnist, "FILE_HASHES", hashes)
    for _ in range(2):
        (x_train, y_train), (x_test, y_test) = fashion_mnist.load_data(origin=server.url + "/f")
    assert x_train.shape == (4, 28, 28) and x_train.dtype == np.uint8
    np.testing.assert_array_equal(x_test, arrays["t10k-images-idx3-ubyte.gz"])
    assert y_train.tolist() == [1, 2, 3, 4] and y_test.tolist() == [9, 0]
    assert all(server.hits["/f/" + name] == 1 for name in arrays)
    assert (home / "datasets" / "fashion-mnist" / "t10k-labels-idx1-ubyte.gz").is_file()


def test_read_idx_rejects_bad_files(tmp_path):
    bad = tmp_path / "bad.gz"
    bad.write_bytes(gzip.compress(b"\x00\x00\x09\x01" + (3).to_bytes(4, "big") + b"abc"))
    with pytest.raises(ValueError, match="magic"):
        fashion_mnist.read_idx(bad)
    short = tmp_path / "short.gz"
    short.write_bytes(gzip.compress(b"\x00\x00\x08\x01" + (5).to_bytes(4, "big") + b"abc"))
    with pytest.raises(ValueError, match=r"3 data bytes.*\(5,\)"):
        fashion_mnist.read_idx(short)
