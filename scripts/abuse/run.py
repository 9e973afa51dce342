#!/usr/bin/env python3
"""Abuse suite for `tern serve`: reproduces denial-of-service style attacks
against a live server and checks that it survives them.

Standard library only. Every attack starts its own server (fresh data
directory, free port, generated admin key), runs the attack while a separate
process probes /v2/health/live and /v2/health/ready from 127.0.0.1 every
~20 ms, samples the server's RSS, asserts what the attacker gets back, and
kills the server. The run ends with a table and exits 1 if any assertion
failed.

    scripts/abuse/run.sh                      # every attack
    scripts/abuse/run.sh small-things readiness
    scripts/abuse/run.sh --list
    TERN_BIN=.build/debug/tern scripts/abuse/run.sh --threshold-ms 250

See scripts/abuse/README.md for what each attack asserts.
"""

import argparse
import atexit
import collections
import contextlib
import errno
import gzip
import heapq
import http.client
import json
import os
import random
import secrets
import selectors
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
ATTACKER = "127.0.0.2"  # source address of attacker sockets in connection attacks


def log(msg):
    print(f"  {time.strftime('%H:%M:%S')} {msg}", flush=True)


# --------------------------------------------------------------------------- HTTP


class Resp:
    def __init__(self, status=None, headers=None, body=b"", error=None):
        self.status = status
        self.headers = headers or {}
        self.body = body
        self.error = error

    def json(self):
        try:
            return json.loads(self.body)
        except (ValueError, UnicodeDecodeError):
            return None

    def error_text(self):
        j = self.json()
        if isinstance(j, dict) and isinstance(j.get("error"), str):
            return j["error"]
        return None

    def label(self):
        return str(self.status) if self.status is not None else (self.error or "no answer")

    def short(self, n=300):
        if self.status is None:
            return f"<{self.error}>"
        text = self.body[:n].decode("utf-8", "replace")
        return f"{self.status} {text}"


def request(port, method, path, body=None, key=None, ctype=None, headers=None, source=None, timeout=120):
    h = {}
    if key:
        h["Authorization"] = "Bearer " + key
    if ctype:
        h["Content-Type"] = ctype
    h.update(headers or {})
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode()
        h.setdefault("Content-Type", "application/json")
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout,
                                      source_address=(source, 0) if source else None)
    try:
        conn.request(method, path, body=body, headers=h)
        r = conn.getresponse()
        data = r.read()
        return Resp(r.status, {k.lower(): v for k, v in r.getheaders()}, data)
    except (OSError, http.client.HTTPException) as e:
        return Resp(None, error=type(e).__name__)
    finally:
        conn.close()


class RawConn:
    """A socket speaking raw HTTP/1.1, optionally bound to a source address."""

    def __init__(self, port, source=None, timeout=10.0):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if source:
            self.sock.bind((source, 0))
        self.sock.settimeout(timeout)
        self.sock.connect(("127.0.0.1", port))
        self.buf = b""

    def send(self, data):
        self.sock.sendall(data)

    def _fill(self, deadline):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError()
        self.sock.settimeout(remaining)
        chunk = self.sock.recv(65536)
        if not chunk:
            raise EOFError()
        self.buf += chunk

    def read_response(self, timeout=10.0):
        """The next response (a 1xx interim one included), or a Resp with
        status None and error 'closed' or 'timeout'."""
        deadline = time.monotonic() + timeout
        try:
            while b"\r\n\r\n" not in self.buf:
                self._fill(deadline)
            head, self.buf = self.buf.split(b"\r\n\r\n", 1)
            lines = head.decode("latin-1").split("\r\n")
            status = int(lines[0].split()[1])
            headers = {}
            for line in lines[1:]:
                if ":" in line:
                    k, v = line.split(":", 1)
                    headers[k.strip().lower()] = v.strip()
            if 100 <= status < 200:
                return Resp(status, headers, b"")
            if "content-length" in headers:
                n = int(headers["content-length"])
                while len(self.buf) < n:
                    self._fill(deadline)
                body, self.buf = self.buf[:n], self.buf[n:]
            elif headers.get("transfer-encoding", "").lower() == "chunked":
                body = b""
                while True:
                    while b"\r\n" not in self.buf:
                        self._fill(deadline)
                    size_line, self.buf = self.buf.split(b"\r\n", 1)
                    size = int(size_line.split(b";")[0], 16)
                    while len(self.buf) < size + 2:
                        self._fill(deadline)
                    body += self.buf[:size]
                    self.buf = self.buf[size + 2:]
                    if size == 0:
                        break
            else:
                try:
                    while True:
                        self._fill(deadline)
                except EOFError:
                    pass
                body, self.buf = self.buf, b""
            return Resp(status, headers, body)
        except (EOFError, ConnectionResetError, BrokenPipeError):
            return Resp(None, error="closed")
        except (socket.timeout, TimeoutError):
            return Resp(None, error="timeout")
        except OSError as e:
            return Resp(None, error=type(e).__name__)

    def closed_within(self, timeout):
        """Seconds until the peer closed (EOF or reset), or None if it is still open after timeout."""
        start = time.monotonic()
        deadline = start + timeout
        try:
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self.sock.settimeout(remaining)
                if not self.sock.recv(65536):
                    return time.monotonic() - start
        except (ConnectionResetError, BrokenPipeError):
            return time.monotonic() - start
        except (socket.timeout, TimeoutError):
            return None

    def close(self):
        with contextlib.suppress(OSError):
            self.sock.close()


def head(method, path, key=None, ctype=None, length=None, extra=()):
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"]
    if key:
        lines.append(f"Authorization: Bearer {key}")
    if ctype:
        lines.append(f"Content-Type: {ctype}")
    if length is not None:
        lines.append(f"Content-Length: {length}")
    lines.extend(extra)
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def multipart(parts):
    boundary = "----tern-abuse-" + secrets.token_hex(8)
    out = []
    for name, filename, data in parts:
        out.append(f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\n"
                   "Content-Type: application/octet-stream\r\n\r\n".encode())
        out.append(data)
        out.append(b"\r\n")
    out.append(f"--{boundary}--\r\n".encode())
    return f"multipart/form-data; boundary={boundary}", b"".join(out)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --------------------------------------------------------------------------- ONNX (protobuf by hand)
# Field numbers from Sources/TernFormats/ONNX/onnx-subset.proto.

FLOAT, UINT8, INT64 = 1, 2, 7


def _varint(n):
    n &= (1 << 64) - 1  # int64 negatives as 10-byte two's complement
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _fv(field, n):
    return _varint(field << 3) + _varint(n)


def _fb(field, data):
    if isinstance(data, str):
        data = data.encode()
    return _varint(field << 3 | 2) + _varint(len(data)) + data


def onnx_tensor(name, dtype, dims, raw):
    return b"".join(_fv(1, d) for d in dims) + _fv(2, dtype) + _fb(8, name) + _fb(9, raw)


def onnx_value_info(name, elem, dims):
    shape = b"".join(_fb(1, _fb(2, d) if isinstance(d, str) else _fv(1, d)) for d in dims)
    tensor_type = _fv(1, elem) + _fb(2, shape)
    return _fb(1, name) + _fb(2, _fb(1, tensor_type))


def onnx_node(op, inputs, outputs, name):
    return b"".join(_fb(1, i) for i in inputs) + b"".join(_fb(2, o) for o in outputs) + _fb(3, name) + _fb(4, op)


def onnx_model(nodes, initializers, inputs, outputs, opset=17):
    graph = (b"".join(_fb(1, n) for n in nodes) + _fb(2, "g") + b"".join(_fb(5, t) for t in initializers)
             + b"".join(_fb(11, v) for v in inputs) + b"".join(_fb(12, v) for v in outputs))
    return _fv(1, 8) + _fb(7, graph) + _fb(8, _fv(2, opset))


def onnx_constant_of_shape(dims):
    """ConstantOfShape of a constant INT64 shape: folded (and refused) at upload."""
    raw = struct.pack(f"<{len(dims)}q", *dims)
    return onnx_model([onnx_node("ConstantOfShape", ["s"], ["y"], "c")], [onnx_tensor("s", INT64, [len(dims)], raw)],
                      [], [onnx_value_info("y", FLOAT, ["a", "b"][:len(dims)] + ["c"] * max(0, len(dims) - 2))])


def onnx_constant_of_shape_input():
    """ConstantOfShape whose shape is the request's INT64 input."""
    return onnx_model([onnx_node("ConstantOfShape", ["shape"], ["y"], "c")], [],
                      [onnx_value_info("shape", INT64, [2])], [onnx_value_info("y", FLOAT, ["a", "b"])])


def onnx_outer():
    """MatMul of a [n,1] and b [1,m]: an n x m outer product."""
    return onnx_model([onnx_node("MatMul", ["a", "b"], ["c"], "mm")], [],
                      [onnx_value_info("a", FLOAT, ["n", 1]), onnx_value_info("b", FLOAT, [1, "m"])],
                      [onnx_value_info("c", FLOAT, ["n", "m"])])


def onnx_add(constant=1.0, width=4):
    """y = x + constant, x FLOAT [batch, width]."""
    raw = struct.pack(f"<{width}f", *([constant] * width))
    return onnx_model([onnx_node("Add", ["x", "k"], ["y"], "add")], [onnx_tensor("k", FLOAT, [width], raw)],
                      [onnx_value_info("x", FLOAT, ["batch", width])], [onnx_value_info("y", FLOAT, ["batch", width])])


def onnx_dense(seed, n=1024):
    """y = x @ W with W n x n (4 MiB for n=1024): heavy enough that a load takes a while."""
    rng = random.Random(seed)
    row = struct.pack(f"<{n}f", *[rng.uniform(-0.01, 0.01) for _ in range(n)])
    raw = row * n  # n identical rows: cheap to build, distinct per seed
    return onnx_model([onnx_node("MatMul", ["x", "w"], ["y"], "mm")], [onnx_tensor("w", FLOAT, [n, n], raw)],
                      [onnx_value_info("x", FLOAT, ["batch", n])], [onnx_value_info("y", FLOAT, ["batch", n])])


def v2_binary(inputs):
    """A V2 binary-tensor body: [(name, datatype, shape, raw bytes)] -> (headers, body)."""
    header = {"inputs": [{"name": n, "datatype": t, "shape": s, "parameters": {"binary_data_size": len(raw)}}
                         for n, t, s, raw in inputs]}
    text = json.dumps(header).encode()
    return ({"Inference-Header-Content-Length": str(len(text))}, text + b"".join(raw for *_, raw in inputs))


# --------------------------------------------------------------------------- server


def make_key_text():
    """tern_<12 hex>_<48 hex>, as Tests/TernCLITests/LiveServer.swift's makeKeyText()."""
    return f"tern_{secrets.token_hex(6)}_{secrets.token_hex(24)}"


ALL_SERVERS = []
RENICE = 0  # --renice: niceness of the server and the health poller


def _kill_all():
    for s in ALL_SERVERS:
        s.kill9()


atexit.register(_kill_all)


def read_status_kb(pid, field):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


class Server:
    def __init__(self, binary, workdir, admin_key, flags):
        self.binary = binary
        self.workdir = workdir
        self.data = os.path.join(workdir, "data")
        self.logfile = os.path.join(workdir, "server.log")
        self.admin = admin_key
        self.flags = list(flags)
        self.port = None
        self.proc = None
        ALL_SERVERS.append(self)

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def start(self, port=None, timeout=30):
        for attempt in range(5):
            self.port = port if (port and attempt == 0) else free_port()
            env = dict(os.environ, TERN_ADMIN_KEY=self.admin)
            env.setdefault("TERN_LOG_LEVEL", "warning")
            with open(self.logfile, "ab") as out:
                out.write(f"--- start {time.strftime('%H:%M:%S')} port {self.port} {' '.join(self.flags)}\n".encode())
                nice = ["nice", "-n", str(RENICE)] if RENICE else []
                self.proc = subprocess.Popen(nice + [self.binary, "serve", "--port", str(self.port), "--data-dir", self.data] + self.flags,
                                             stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and self.proc.poll() is None:
                if request(self.port, "GET", "/v2/health/live", timeout=2).status == 200:
                    return self
                time.sleep(0.05)
            if self.proc.poll() is None:
                self.kill9()
            elif b"address already in use" not in self.log_tail().lower():
                break
        raise RuntimeError(f"server did not start:\n{self.log_tail().decode('utf-8', 'replace')}")

    def log_tail(self, n=4000):
        try:
            with open(self.logfile, "rb") as f:
                f.seek(0, 2)
                f.seek(max(0, f.tell() - n))
                return f.read()
        except OSError:
            return b""

    def stop(self):
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill9()
        self.proc = None

    def kill9(self):
        if self.alive():
            self.proc.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(10)

    def rss_kb(self):
        return read_status_kb(self.pid, "VmRSS") if self.alive() else None

    def hwm_kb(self):
        return read_status_kb(self.pid, "VmHWM") if self.alive() else None

    def req(self, method, path, body=None, key=None, **kw):
        return request(self.port, method, path, body=body, key=self.admin if key is None else key, **kw)


# --------------------------------------------------------------------------- health poller (separate process)


def poller_main(port, interval_ms, out_path):
    """Probes live and ready on a new connection each from 127.0.0.1, one
    JSON line per probe: [monotonic time, path, status or null, latency ms].
    Ends when its standard input closes."""
    stop = threading.Event()
    threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
    paths = ["/v2/health/live", "/v2/health/ready"]
    with open(out_path, "w", buffering=1) as out:
        out.write("[0, \"started\", null, 0, 0]\n")
        while not stop.is_set():
            tick = time.monotonic()
            for path in paths:
                t0 = time.monotonic()
                status = None
                connect_ms = None
                try:
                    c = RawConn(port, timeout=2.0)
                    connect_ms = round((time.monotonic() - t0) * 1000, 3)
                    try:
                        c.send(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
                        status = c.read_response(timeout=max(0.01, 2.0 - (time.monotonic() - t0))).status
                    finally:
                        c.close()
                except OSError:
                    pass
                out.write(json.dumps([t0, path, status, round((time.monotonic() - t0) * 1000, 3), connect_ms]) + "\n")
            stop.wait(max(0.0, interval_ms / 1000.0 - (time.monotonic() - tick)))


class Monitor:
    """Health poller process + RSS sampler thread for one attack window."""

    def __init__(self, server, interval_ms, workdir, expect_ready):
        self.server = server
        self.interval_ms = interval_ms
        self.expect_ready = expect_ready
        self.path = os.path.join(workdir, f"health-{time.monotonic_ns()}.jsonl")
        self.rss_max_kb = self.part_max_kb = 0
        self.rss_start_kb = None
        self.samples = []
        self._stop = threading.Event()

    def start(self):
        self.cpu0, self.server0, self.t0 = cpu_ticks(), proc_ticks(self.server.pid), time.monotonic()
        self.rss_start_kb = self.server.rss_kb() or 0
        self.rss_max_kb = self.part_max_kb = self.rss_start_kb
        nice = ["nice", "-n", str(RENICE)] if RENICE else []
        self.proc = subprocess.Popen(nice + [sys.executable, os.path.abspath(__file__), "--poll", str(self.server.port),
                                             str(self.interval_ms), self.path], stdin=subprocess.PIPE)
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # the attack starts once probes run
            with contextlib.suppress(OSError):
                with open(self.path) as f:
                    if len(f.read().splitlines()) >= 3:
                        break
            time.sleep(0.01)
        return self

    def _sample(self):
        pid = self.server.pid
        while not self._stop.is_set():
            rss = read_status_kb(pid, "VmRSS")
            if rss:
                self.rss_max_kb = max(self.rss_max_kb, rss)
                self.part_max_kb = max(self.part_max_kb, rss)
            self._stop.wait(0.01)

    def part_peak_mib(self):
        """Peak VmRSS (MiB) since the previous call (or the start)."""
        peak, self.part_max_kb = self.part_max_kb, self.server.rss_kb() or 0
        return peak >> 10

    def stop(self):
        busy, total = cpu_ticks()
        ncpu = os.cpu_count() or 1
        self.machine_cores = (busy - self.cpu0[0]) / max(1, total - self.cpu0[1]) * ncpu
        self.server_cores = (proc_ticks(self.server.pid) - self.server0) / os.sysconf("SC_CLK_TCK") / max(1e-6, time.monotonic() - self.t0)
        self._stop.set()
        self.thread.join()
        with contextlib.suppress(OSError):
            self.proc.stdin.close()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        with open(self.path) as f:
            for line in f:
                row = json.loads(line)
                if row[1] != "started":
                    self.samples.append(row)
        with contextlib.suppress(OSError):
            os.remove(self.path)


def cpu_ticks():
    """(busy, total) jiffies of the whole machine."""
    with open("/proc/stat") as f:
        v = list(map(int, f.readline().split()[1:]))
    idle = v[3] + (v[4] if len(v) > 4 else 0)
    return sum(v) - idle, sum(v)


def proc_ticks(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])
    except (OSError, IndexError, ValueError):
        return 0


def percentile(values, q):
    if not values:
        return None
    v = sorted(values)
    return v[min(len(v) - 1, int(round(q / 100.0 * (len(v) - 1))))]


# --------------------------------------------------------------------------- attack context


class Ctx:
    def __init__(self, opts, name):
        self.opts = opts
        self.name = name
        self.workdir = tempfile.mkdtemp(prefix=f"tern-abuse-{name}-")
        self.admin = make_key_text()
        self.server = None
        self.failures = []
        self.notes = []
        self.statuses = collections.Counter()
        self.samples = []
        self.rss_peak_kb = 0
        self.rss_base_kb = None
        self.hwm_kb = 0
        self.keys = {}
        self.load = []  # (machine busy cores, server cores, seconds) per window

    # assertions and records
    def check(self, cond, msg):
        if not cond:
            self.failures.append(msg)
            log(f"FAIL: {msg}")
        return bool(cond)

    def note(self, msg):
        self.notes.append(msg)
        log(f"note: {msg}")

    def saw(self, resp_or_label):
        label = resp_or_label.label() if isinstance(resp_or_label, Resp) else str(resp_or_label)
        self.statuses[label] += 1

    def expect_refusal(self, resp, what, statuses=None, contains=None):
        """The attacker got a 4xx/503 (or one of `statuses`) with a JSON {"error": ...} message."""
        self.saw(resp)
        ok_status = resp.status in statuses if statuses else (resp.status is not None and (400 <= resp.status < 500 or resp.status == 503))
        msg = resp.error_text()
        self.check(ok_status and msg, f"{what}: expected a 4xx/503 with a JSON error, got {resp.short()}")
        if ok_status and msg and contains:
            words = [contains] if isinstance(contains, str) else contains
            self.check(any(w.lower() in msg.lower() for w in words), f"{what}: error message does not mention {words!r}: {msg!r}")
        return msg

    # server
    def start_server(self, flags=(), port=None):
        self.server = Server(self.opts.binary, self.workdir, self.admin, flags).start(port)
        self._track_hwm()
        return self.server

    def _track_hwm(self):
        if self.server and self.server.alive():
            self.hwm_kb = max(self.hwm_kb, self.server.hwm_kb() or 0)

    def make_keys(self):
        for scope in ("deploy", "predict", "read"):
            r = self.server.req("POST", "/api/v1/keys", {"name": f"abuse-{scope}", "scope": scope})
            if r.status != 201:
                raise RuntimeError(f"cannot create a {scope} key: {r.short()}")
            self.keys[scope] = r.json()["key"]
        return self.keys

    @contextlib.contextmanager
    def attack(self, label="attack", expect_ready=200):
        """Health probes and RSS samples around an attack; afterwards the
        server must still run and every probe must have answered in time."""
        m = Monitor(self.server, self.opts.poll_ms, self.workdir, expect_ready).start()
        if self.rss_base_kb is None:
            self.rss_base_kb = m.rss_start_kb
        try:
            yield m
        finally:
            m.stop()
            self._track_hwm()
            self.rss_peak_kb = max(self.rss_peak_kb, m.rss_max_kb)
            self.samples.extend(m.samples)
            self.load.append((m.machine_cores, m.server_cores, time.monotonic() - m.t0))
            self._judge(m, label)

    def _judge(self, m, label):
        thr = self.opts.threshold_ms
        n = len(m.samples)
        self.check(self.server.alive(), f"{label}: the server process died (exit {self.server.proc.poll() if self.server.proc else '?'})")
        self.check(n > 0, f"{label}: no health probes were recorded")
        lat = [s[3] for s in m.samples]
        slow = [s for s in m.samples if s[3] > thr]
        wrong = [s for s in m.samples if s[2] != (200 if s[1].endswith("live") else m.expect_ready)]
        if n:
            log(f"{label}: {n} health probes, max {max(lat):.1f} ms, p99 {percentile(lat, 99):.1f} ms, "
                f"RSS {m.rss_start_kb // 1024} -> peak {m.rss_max_kb // 1024} MiB; CPU busy {m.machine_cores:.1f} of "
                f"{os.cpu_count()} cores, server {m.server_cores:.1f}")
        if slow:
            worst = max(slow, key=lambda s: s[3])
            t0 = m.samples[0][0]
            when = ", ".join(f"+{s[0] - t0:.2f}s {s[3]:.0f}ms (connect {s[4] if s[4] is not None else '-'}ms)"
                             for s in sorted(slow, key=lambda s: -s[3])[:5])
            self.check(False, f"{label}: {len(slow)} of {n} health probes took over {thr:g} ms "
                              f"(worst {worst[3]:.1f} ms on {worst[1]}; slowest at {when} into the window)")
        if wrong:
            kinds = collections.Counter(f"{s[1].rsplit('/', 1)[1]}={s[2]}" for s in wrong)
            self.check(False, f"{label}: {len(wrong)} of {n} health probes had the wrong status or none: {dict(kinds)}")

    def finish(self):
        self._track_hwm()
        if self.server:
            self.server.kill9()
        if not self.failures and not self.opts.keep:
            shutil.rmtree(self.workdir, ignore_errors=True)


def tern_cli(opts, args, cwd, timeout=900):
    r = subprocess.run([opts.binary] + args, cwd=cwd, capture_output=True, timeout=timeout)
    if r.returncode != 0:
        raise RuntimeError(f"tern {' '.join(args)} failed ({r.returncode}): {r.stderr[-2000:].decode('utf-8', 'replace')}")
    return r


def upload(ctx, model, artifact, key=None):
    r = ctx.server.req("POST", f"/api/v1/models/{model}/versions", artifact, key=key or ctx.keys.get("deploy"),
                       ctype="application/octet-stream")
    if r.status != 201:
        raise RuntimeError(f"upload of {model} failed: {r.short()}")
    return r.json()["version"]


def deploy(ctx, model, version=None, alias=None):
    body = {"model": model}
    if version is not None:
        body["version"] = version
    if alias is not None:
        body["alias"] = alias
    r = ctx.server.req("POST", "/api/v1/deployments", body, key=ctx.keys.get("deploy"))
    if r.status != 201:
        raise RuntimeError(f"deploying {model} failed: {r.short()}")
    return r.json()


# --------------------------------------------------------------------------- attacks


def attack_onnx_constant_of_shape(ctx):
    """A ~128-byte ONNX model whose ConstantOfShape asks for 10^10 elements
    (and others whose dims overflow int64): refused at upload with 400."""
    ctx.start_server()
    ctx.make_keys()
    deploy_key = ctx.keys["deploy"]
    cases = [
        ("10^10 elements", [100000, 100000], ["limit"]),
        ("product overflows int64", [3037000500, 3037000500], ["limit", "counted", "overflow"]),
        ("2^32 x 2^32", [1 << 32, 1 << 32], ["limit", "counted", "overflow"]),
        ("int64 max", [(1 << 63) - 1, 2], ["limit", "counted", "overflow"]),
        ("negative dimension", [-1, 100000], ["negative"]),
    ]
    with ctx.attack():
        for i, (what, dims, words) in enumerate(cases):
            model = onnx_constant_of_shape(dims)
            if i == 0:
                ctx.note(f"ConstantOfShape{dims} model is {len(model)} bytes")
            for _ in range(5):
                r = ctx.server.req("POST", f"/api/v1/models/cos{i}/versions", model, key=deploy_key, ctype="application/octet-stream")
                msg = ctx.expect_refusal(r, f"upload ({what})", statuses=[400], contains=words)
            if msg:
                ctx.note(f"{what}: 400 {msg}")
            ctx.check(ctx.server.req("GET", f"/api/v1/models/cos{i}").status == 404, f"{what}: a model was registered anyway")
        # The same operator with the shape coming from the request instead of the file.
        version = upload(ctx, "cos-input", onnx_constant_of_shape_input())
        deploy(ctx, "cos-input", version)
        for dims, words in (([100000, 100000], ["limit"]), ([3037000500, 3037000500], ["limit", "counted", "overflow"])):
            body = {"inputs": [{"name": "shape", "datatype": "INT64", "shape": [2], "data": dims}]}
            for _ in range(3):
                r = ctx.server.req("POST", "/v2/models/cos-input/infer", body, key=ctx.keys["predict"])
                msg = ctx.expect_refusal(r, f"inference with shape input {dims}", contains=words)
            if msg:
                ctx.note(f"shape input {dims}: {r.status} {msg}")
        ok = ctx.server.req("POST", "/v2/models/cos-input/infer",
                            {"inputs": [{"name": "shape", "datatype": "INT64", "shape": [2], "data": [2, 3]}]}, key=ctx.keys["predict"])
        ctx.check(ok.status == 200, f"a small ConstantOfShape still answers: {ok.short()}")


def train_wide(ctx, units):
    spec = {"name": "wide", "input": {"shape": [28, 28], "dtype": "uint8"},
            "preprocessing": [{"type": "rescale", "scale": 1 / 255}],
            "layers": [{"type": "flatten"}, {"type": "dense", "units": 2, "activation": "relu"},
                       {"type": "dense", "units": units, "activation": "softmax"}],
            "compile": {"optimizer": "sgd", "loss": "sparse_categorical_crossentropy"},
            "fit": {"epochs": 1, "batch_size": 32, "seed": 1}}
    path = os.path.join(ctx.workdir, "wide.json")
    with open(path, "w") as f:
        json.dump(spec, f)
    out = os.path.join(ctx.workdir, "wide.tern")
    tern_cli(ctx.opts, ["train", path, "--data", os.path.join(ROOT, "Data", "mnist"), "--train", "test:0:64",
                        "--output", out, "--quiet"], cwd=ctx.workdir)
    with open(out, "rb") as f:
        return f.read()


def train_iris(ctx):
    spec = {"name": "iris", "input": {"format": "table", "target": "species"},
            "pipeline": [{"type": "standard_scale", "columns": ["sepal_length", "sepal_width", "petal_length", "petal_width"]}],
            "layers": [{"type": "dense", "units": 8, "activation": "relu"}, {"type": "dense", "units": 3, "activation": "softmax"}],
            "compile": {"optimizer": "adam", "loss": "sparse_categorical_crossentropy", "metrics": ["accuracy"]},
            "fit": {"epochs": 5, "batch_size": 16, "seed": 1}}
    path = os.path.join(ctx.workdir, "iris.json")
    with open(path, "w") as f:
        json.dump(spec, f)
    out = os.path.join(ctx.workdir, "iris.tern")
    tern_cli(ctx.opts, ["train", path, "--csv", os.path.join(ROOT, "Data", "tabular", "iris.csv"), "--output", out, "--quiet"],
             cwd=ctx.workdir)
    with open(out, "rb") as f:
        return f.read()


def attack_inference_blowup(ctx):
    """Requests whose outputs would be enormous: an ONNX outer product of two
    200,000-vectors (4*10^10 elements), a native model asked for a batch
    whose output is over --max-request-work-mb, a table model given more
    rows than the budget. Each must be a 4xx naming the limit."""
    work_mb = ctx.opts.work_mb
    ctx.start_server(["--max-request-work-mb", str(work_mb)])
    ctx.make_keys()
    pk = ctx.keys["predict"]
    # (a) ONNX outer product.
    deploy(ctx, "outer", upload(ctx, "outer", onnx_outer()))
    n = 200000
    vec = struct.pack(f"<{n}f", *([0.5] * n))
    outer_bin_headers, outer_bin = v2_binary([("a", "FP32", [n, 1], vec), ("b", "FP32", [1, n], vec)])
    outer_json = json.dumps({"inputs": [{"name": "a", "datatype": "FP32", "shape": [n, 1], "data": [0.5] * n},
                                        {"name": "b", "datatype": "FP32", "shape": [1, n], "data": [0.5] * n}]}).encode()
    ctx.note(f"outer product bodies: binary {len(outer_bin) / 1e6:.1f} MB, JSON {len(outer_json) / 1e6:.1f} MB")
    # (b) native model with a wide softmax: 4096 outputs per sample.
    units = 4096
    wide = None
    try:
        wide = train_wide(ctx, units)
        deploy(ctx, "wide", upload(ctx, "wide", wide))
    except Exception as e:  # noqa: BLE001 - reported, attack (a) still runs
        ctx.check(False, f"could not train/deploy the native model for part (b): {e}")
        wide = None
    rows = (work_mb << 20) // (units * 4) + 1000  # output rows*units*4 bytes > budget
    wide_headers, wide_body = v2_binary([("input", "UINT8", [rows, 28, 28], bytes(rows * 784))])
    # (c) table model: the features of `table_rows` rows are over the budget.
    iris = None
    try:
        iris = train_iris(ctx)
        deploy(ctx, "iris", upload(ctx, "iris", iris))
    except Exception as e:  # noqa: BLE001
        ctx.check(False, f"could not train/deploy the table model for part (c): {e}")
        iris = None
    table_rows = (work_mb << 20) // (2 * 4 * 4) + 100000
    col = struct.pack(f"<{table_rows}f", *([5.0] * table_rows))
    names = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
    table_headers, table_body = v2_binary([(c, "FP32", [table_rows], col) for c in names])
    octet = "application/octet-stream"
    with ctx.attack() as m:
        small = struct.pack("<4f", 1, 2, 3, 4)
        h, b = v2_binary([("a", "FP32", [4, 1], small), ("b", "FP32", [1, 4], small)])
        r = ctx.server.req("POST", "/v2/models/outer/infer", b, key=pk, ctype=octet, headers=h)
        ctx.check(r.status == 200, f"outer product of 4-vectors answers 200: {r.short()}")
        m.part_peak_mib()
        for _ in range(3):
            r = ctx.server.req("POST", "/v2/models/outer/infer", outer_bin, key=pk, ctype=octet, headers=outer_bin_headers)
            msg = ctx.expect_refusal(r, "(a) outer product, binary", contains=["limit", "--max-request-work-mb"])
        ctx.note(f"(a) binary: {r.status} {msg} [peak RSS {m.part_peak_mib()} MiB]")
        r = ctx.server.req("POST", "/v2/models/outer/infer", outer_json, key=pk, ctype="application/json")
        msg = ctx.expect_refusal(r, "(a) outer product, JSON", contains=["limit", "--max-request-work-mb"])
        ctx.note(f"(a) JSON: {r.status} {msg} [peak RSS {m.part_peak_mib()} MiB]")
        if wide:
            h, b = v2_binary([("input", "UINT8", [2, 28, 28], bytes(2 * 784))])
            r = ctx.server.req("POST", "/v2/models/wide/infer", b, key=pk, ctype=octet, headers=h)
            ctx.check(r.status == 200, f"(b) native model, 2 samples, answers 200: {r.short(120)}")
            m.part_peak_mib()
            for _ in range(3):
                r = ctx.server.req("POST", "/v2/models/wide/infer", wide_body, key=pk, ctype=octet, headers=wide_headers)
                msg = ctx.expect_refusal(r, f"(b) native model, {rows} samples x {units} outputs", statuses=[413],
                                         contains="--max-request-work-mb")
            ctx.note(f"(b) {rows} x {units} outputs ({rows * units * 4 >> 20} MiB), {len(wide_body) >> 20} MiB body: "
                     f"{r.status} {msg} [peak RSS {m.part_peak_mib()} MiB]")
        if iris:
            h, b = v2_binary([(c, "FP32", [3], struct.pack("<3f", 5.1, 3.5, 1.4)) for c in names])
            r = ctx.server.req("POST", "/v2/models/iris/infer", b, key=pk, ctype=octet, headers=h)
            ctx.check(r.status == 200, f"(c) table model, 3 rows, answers 200: {r.short(120)}")
            m.part_peak_mib()
            t = time.monotonic()
            r = ctx.server.req("POST", "/v2/models/iris/infer", table_body, key=pk, ctype=octet, headers=table_headers)
            took = time.monotonic() - t
            msg = ctx.expect_refusal(r, f"(c) table model, {table_rows} rows", statuses=[413], contains="--max-request-work-mb")
            ctx.note(f"(c) {table_rows} rows, {len(table_body) >> 20} MiB body: {r.status} after {took:.1f} s: {msg} "
                     f"[peak RSS {m.part_peak_mib()} MiB]")
        grown = (m.rss_max_kb - m.rss_start_kb) >> 10
        ctx.check(grown <= ctx.opts.rss_limit_mb, f"RSS grew by {grown} MiB during (a)-(c) (limit {ctx.opts.rss_limit_mb} MiB)")
        if iris and ctx.opts.table_rows_large:
            # (d) informative: how much memory a table request near --max-body-mb costs before its 413.
            del table_body, col
            big = ctx.opts.table_rows_large
            col = struct.pack(f"<{big}f", *([5.0] * big))
            big_headers, big_body = v2_binary([(c, "FP32", [big], col) for c in names])
            del col
            before = (ctx.server.rss_kb() or 0) >> 10
            m.part_peak_mib()
            t = time.monotonic()
            r = ctx.server.req("POST", "/v2/models/iris/infer", big_body, key=pk, ctype=octet, headers=big_headers)
            took = time.monotonic() - t
            peak = m.part_peak_mib()
            msg = ctx.expect_refusal(r, f"(d) table model, {big} rows", statuses=[413], contains="--max-request-work-mb")
            factor = (peak - before) / max(1, len(big_body) >> 20)
            ctx.note(f"(d) {big} rows, {len(big_body) >> 20} MiB body: {r.status} after {took:.1f} s; RSS {before} -> peak {peak} MiB "
                     f"(+{peak - before} MiB, {factor:.1f}x the body) before the refusal"
                     + (" -- WARNING: the work budget is checked only after the whole table is decoded" if factor > 3 else ""))


SLOW_HEAD = b"GET /v2/health/live HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "
GET_LIVE = b"GET /v2/health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


class Conn:
    """One attacker connection of a Flood; times are time.monotonic()."""
    __slots__ = ("sock", "source", "kind", "state", "t_start", "t_open", "t_ref", "t_closed", "buf", "status",
                 "resp_head", "resp_body", "error")

    def __init__(self, source, kind):
        self.source, self.kind = source, kind
        self.sock = None
        self.state = "connecting"
        self.t_start = time.monotonic()
        self.t_open = self.t_ref = self.t_closed = None
        self.buf = b""
        self.status = self.resp_head = self.resp_body = self.error = None


def _parse_one(c):
    """Parses a complete response in c.buf into c.status (once)."""
    if c.status is not None or b"\r\n\r\n" not in c.buf:
        return False
    h, rest = c.buf.split(b"\r\n\r\n", 1)
    lines = h.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, v in (x.split(":", 1) for x in lines[1:] if ":" in x)}
    n = int(headers.get("content-length", "0"))
    if len(rest) < n:
        return False
    c.status = int(lines[0].split()[1])
    c.resp_head, c.resp_body = headers, rest[:n]
    c.buf = rest[n:]
    return True


class Flood:
    """Many attacker connections driven by one non-blocking loop, so that
    every connect, answer and close is timed as it happens. Kinds:
    slowloris (a request head a byte a second, never finished), idle (one
    request, then silence on the kept-alive connection), silent (nothing at
    all), request (one request, then silence)."""

    def __init__(self, port, plan, open_rate=0):
        self.port = port
        self.pending = collections.deque(plan)  # (source address, kind)
        self.open_rate = open_rate
        self.conns = []
        self.sel = selectors.DefaultSelector()
        self.live = {}
        self.trickle = []  # (when, id, slowloris connection)

    def _close(self, c, now, error=None):
        c.t_closed = now
        c.error = c.error or error
        with contextlib.suppress(KeyError, ValueError):
            self.sel.unregister(c.sock)
        c.sock.close()
        self.live.pop(id(c), None)

    def _start_some(self, now, started_at):
        budget = 64
        if self.open_rate:
            budget = min(budget, int((now - started_at) * self.open_rate) + 1 - len(self.conns))
        while self.pending and budget > 0:
            budget -= 1
            source, kind = self.pending.popleft()
            c = Conn(source, kind)
            s = c.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setblocking(False)
            try:
                s.bind((source, 0))
                err = s.connect_ex(("127.0.0.1", self.port))
            except OSError as e:
                err = e.errno
            self.conns.append(c)
            if err not in (0, errno.EINPROGRESS):
                c.state = "failed"
                c.error = os.strerror(err)
                c.t_closed = now
                s.close()
                continue
            self.live[id(c)] = c
            self.sel.register(s, selectors.EVENT_WRITE, c)

    def _connected(self, c, now):
        err = c.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if err:
            c.state = "failed"
            return self._close(c, now, os.strerror(err))
        c.state = "open"
        c.t_open = c.t_ref = now
        first = {"slowloris": SLOW_HEAD, "idle": GET_LIVE, "request": GET_LIVE}.get(c.kind, b"")
        try:
            if first:
                c.sock.send(first)
        except OSError as e:
            return self._close(c, now, type(e).__name__)
        self.sel.modify(c.sock, selectors.EVENT_READ, c)

    def run(self, until, stop_when=None):
        """Runs until every connection is closed (or `stop_when()` is true) or `until`.
        Each slowloris connection sends its next byte a second after its previous one."""
        started = time.monotonic()
        while (self.pending or self.live) and time.monotonic() < until:
            now = time.monotonic()
            if self.pending:
                self._start_some(now, started)
            for key, _ in self.sel.select(timeout=0.005):
                c = key.data
                now = time.monotonic()
                if c.state == "connecting":
                    self._connected(c, now)
                    if c.kind == "slowloris" and c.state == "open":
                        heapq.heappush(self.trickle, (now + 1.0, id(c), c))
                    continue
                try:
                    data = c.sock.recv(65536)
                except BlockingIOError:
                    continue
                except OSError as e:
                    self._close(c, now, type(e).__name__)
                    continue
                if not data:
                    self._close(c, now)
                    continue
                c.buf += data
                if _parse_one(c):
                    c.t_ref = now  # idle from the end of its answer on
            now = time.monotonic()
            while self.trickle and self.trickle[0][0] <= now:
                due, _, c = heapq.heappop(self.trickle)
                if c.t_closed is not None:
                    continue
                try:
                    c.sock.send(b"a")
                except BlockingIOError:
                    pass
                except OSError as e:
                    self._close(c, now, type(e).__name__)
                    continue
                heapq.heappush(self.trickle, (due + 1.0, id(c), c))
            if stop_when and not self.pending and stop_when():
                break
        return [c for c in self.conns if c.t_closed is None]

    def close_all(self):
        now = time.monotonic()
        for c in list(self.live.values()):
            self._close(c, now, "closed by us")
        self.sel.close()

    def phantoms(self, conns):
        """Of connections the server never closed, those it never had: with
        the listen backlog full, the kernel dropped the ACK that completed
        the handshake (SYN cookies), so only the client thinks it is
        connected. A byte sent on one is answered with a reset."""
        found = []
        for c in conns:
            c.sock.setblocking(True)
            c.sock.settimeout(0.5)
            try:
                c.sock.send(b"\r\n")
                if c.sock.recv(100) == b"":
                    found.append(c)
            except (ConnectionResetError, BrokenPipeError):
                found.append(c)
            except (socket.timeout, TimeoutError, OSError):
                pass
        return found

    def connect_stats(self):
        waits = [c.t_open - c.t_start for c in self.conns if c.t_open is not None]
        return (max(waits) if waits else 0.0, sum(1 for w in waits if w > 0.9),
                sum(1 for c in self.conns if c.state == "failed"))


def listen_overflows():
    """The kernel's count of connections dropped because a listen backlog was full."""
    with contextlib.suppress(OSError, ValueError, IndexError):
        with open("/proc/net/netstat") as f:
            lines = f.read().splitlines()
        for names, values in zip(lines[::2], lines[1::2]):
            if names.startswith("TcpExt:"):
                return dict(zip(names.split()[1:], map(int, values.split()[1:]))).get("ListenOverflows", 0)
    return 0


def attack_slow_and_idle_connections(ctx):
    """A: 2,000 slowloris heads, idle keep-alive connections and silent
    sockets open at once (from 127.0.0.2-9, each under the per-address cap):
    health stays fast and the server closes every one after the configured
    timeouts. B, C: 2,000 connections from 127.0.0.2 alone, over
    --max-connections-per-ip, paced (B) and in one burst (C): exactly the cap
    is served, the rest get 429 (or are closed), health stays fast."""
    timeout = ctx.opts.conn_timeout
    slack = ctx.opts.close_slack
    count = ctx.opts.connections
    cap = 256
    rate = ctx.opts.open_rate
    pace = f"at {rate:g}/s" if rate else "as fast as possible"
    ctx.start_server(["--idle-timeout", str(timeout), "--request-head-timeout", str(timeout)])
    kinds = ["slowloris", "idle", "silent"]
    # Phase A: spread over 127.0.0.2-127.0.0.9 (each address under the cap), so
    # every connection is admitted and only the timeouts can close it.
    sources = [f"127.0.0.{i}" for i in range(2, 10)]
    with ctx.attack("A: slowloris/idle/silent"):
        overflows = listen_overflows()
        flood = Flood(ctx.server.port, [(sources[i % len(sources)], kinds[i % 3]) for i in range(count)], rate)
        t0 = time.monotonic()
        left = flood.run(t0 + count / max(rate, 1000) + timeout + slack + 5)
        overflows = listen_overflows() - overflows
        phantom = flood.phantoms(left)
        flood.close_all()
        wait, retried, failed = flood.connect_stats()
        opened = [c for c in flood.conns if c.t_open is not None]
        ctx.note(f"A: {len(opened)} connections opened {pace} from {len(sources)} addresses; slowest connect {wait:.2f} s, "
                 f"{retried} waited for a SYN retransmit, {failed} failed; listen backlog overflows: {overflows}")
        ctx.check(not failed, f"A: {failed} connections could not be opened")
        if phantom:
            ctx.note(f"A: {len(phantom)} connections were never accepted by the server (their handshake's last ACK was dropped "
                     "while the listen backlog was full); not counted")
        real_left = [c for c in left if c not in phantom]
        ctx.check(not real_left, f"A: the server had not closed {len(real_left)} of {count} connections "
                                 f"{timeout + slack + 5:g} s after the last was opened "
                                 f"({dict(collections.Counter(c.kind for c in real_left))})")
        opened = [c for c in opened if c not in phantom]
        for kind in kinds:
            mine = [c for c in opened if c.kind == kind and c.t_closed is not None and c.error != "closed by us"]
            if not mine:
                continue
            after = sorted(c.t_closed - c.t_ref for c in mine)
            ctx.note(f"A: {kind}: {len(mine)} closed by the server {after[0]:.2f}-{after[-1]:.2f} s "
                     f"(median {after[len(after) // 2]:.2f}) after their {'answer' if kind == 'idle' else 'connect'}")
            ctx.check(after[-1] <= timeout + slack, f"A: a {kind} connection was closed only after {after[-1]:.2f} s "
                                                    f"(timeouts {timeout:g} s, slack {slack:g} s)")
            ctx.check(after[0] >= timeout * 0.5, f"A: a {kind} connection was closed after {after[0]:.2f} s, "
                                                 f"well before the {timeout:g} s timeout")
        for c in flood.conns:
            ctx.saw(str(c.status) if c.status else "closed")
        idle = [c for c in flood.conns if c.kind == "idle"]
        ctx.check(all(c.status == 200 for c in idle),
                  f"A: {sum(c.status != 200 for c in idle)} idle connections did not get their 200")

    # Phases B and C: long timeouts, so admitted connections stay; `count` connections
    # from 127.0.0.2 alone, each sending a request at once; B paced, C in one burst.
    ctx.server.stop()
    ctx.start_server(["--max-connections-per-ip", str(cap)])
    over_cap(ctx, "B", count, cap, rate)
    over_cap(ctx, "C", count, cap, ctx.opts.burst_rate)


def over_cap(ctx, phase, count, cap, rate):
    pace = f"at {rate:g}/s" if rate else "in one burst (as fast as possible)"
    with ctx.attack(f"{phase}: {count} connections from {ATTACKER} {pace}"):
        overflows = listen_overflows()
        flood = Flood(ctx.server.port, [(ATTACKER, "request")] * count, rate)
        settled = lambda: all(c.status is not None or c.t_closed is not None for c in flood.conns)  # noqa: E731
        flood.run(time.monotonic() + 60, stop_when=settled)
        flood.run(time.monotonic() + 1.5)  # to see the refused ones closed
        overflows = listen_overflows() - overflows
        wait, retried, failed = flood.connect_stats()
        tally = collections.Counter(str(c.status) if c.status else "closed" for c in flood.conns)
        for k, v in tally.items():
            ctx.statuses[k] += v
        ctx.note(f"{phase}: {count} connections {pace} from {ATTACKER}: answers {dict(tally)}; slowest connect {wait:.2f} s, "
                 f"{retried} waited for a SYN retransmit, {failed} failed; listen backlog overflows: {overflows}")
        if overflows:
            ctx.note(f"{phase}: WARNING: the server's listen backlog overflowed {overflows} times: new connections (health "
                     "probes included) had their SYN or last ACK dropped and waited for a retransmit (~1 s)")
        ctx.check(tally.get("200", 0) == cap, f"{phase}: {tally.get('200', 0)} connections from one address were served, cap {cap}")
        ctx.check(tally.get("429", 0) > 0, f"{phase}: no connection over the cap got a 429")
        ctx.check(set(tally) <= {"200", "429", "closed"}, f"{phase}: unexpected answers {dict(tally)}")
        refused = [c for c in flood.conns if c.status == 429]
        if refused:
            c = refused[0]
            try:
                err = json.loads(c.resp_body).get("error")
            except (ValueError, AttributeError):
                err = None
            ctx.check(bool(err), f"{phase}: the 429 has no JSON error: {c.resp_body[:200]!r}")
            ctx.check("retry-after" in c.resp_head, f"{phase}: the 429 has no Retry-After")
            if phase == "B":
                ctx.note(f"{phase}: 429 says {err!r}")
                if c.resp_head.get("x-content-type-options") != "nosniff" or c.resp_head.get("cache-control") != "no-store":
                    ctx.note(f"{phase}: WARNING: the connection-cap 429 lacks X-Content-Type-Options: nosniff and Cache-Control: "
                             f"no-store (it has {sorted(c.resp_head)}); the README says every answer carries them")
            answered = [c.t_ref - c.t_open for c in refused if c.t_ref is not None]
            closed = [c.t_closed - c.t_ref for c in refused if c.t_closed is not None and c.error != "closed by us"]
            ctx.note(f"{phase}: 429s came {min(answered):.3f}-{max(answered):.3f} s after connecting"
                     + (f", their connections closed {min(closed):.3f}-{max(closed):.3f} s later" if closed else ""))
            ctx.check(len(closed) == len(refused), f"{phase}: {len(refused) - len(closed)} connections stayed open after their 429")
        flood.close_all()
        time.sleep(0.5)
        r = request(ctx.server.port, "GET", "/v2/health/live", source=ATTACKER, timeout=5)
        ctx.check(r.status == 200, f"{phase}: {ATTACKER} is served again once its connections are closed: {r.short()}")
        time.sleep(0.5)


def gzip_bomb(opts):
    """~1 MB gzip of an IDX images file of ~1 GB (n x 28 x 28 zeros), cached."""
    n = opts.bomb_images
    cache = os.path.join(tempfile.gettempdir(), "tern-abuse-cache")
    os.makedirs(cache, exist_ok=True)
    path = os.path.join(cache, f"bomb-images-{n}.gz")
    if not os.path.exists(path):
        c = zlib.compressobj(9, zlib.DEFLATED, 31)
        parts = [c.compress(struct.pack(">IIII", 0x00000803, n, 28, 28))]
        total = n * 784
        chunk = bytes(16 << 20)
        while total > 0:
            parts.append(c.compress(chunk[:min(total, len(chunk))]))
            total -= min(total, len(chunk))
        parts.append(c.flush())
        with open(path + ".tmp", "wb") as f:
            f.write(b"".join(parts))
        os.replace(path + ".tmp", path)
    with open(path, "rb") as f:
        images = f.read()
    labels = gzip.compress(struct.pack(">II", 0x00000801, n) + bytes(n), 9)
    return images, labels


def attack_gzip_bomb_upload(ctx):
    """Three parallel IDX dataset uploads whose ~1 MB gzip images inflate to
    ~1 GB: each refused (4xx/503), health fast, RSS bounded."""
    images, labels = gzip_bomb(ctx.opts)
    ctx.note(f"bomb: images.gz {len(images) / 1e6:.2f} MB -> {ctx.opts.bomb_images * 784 / 1e9:.2f} GB inflated; "
             f"labels.gz {len(labels) / 1e3:.1f} kB")
    ctx.start_server()
    ctx.make_keys()
    ctype, body = multipart([("images", "images.gz", images), ("labels", "labels.gz", labels)])
    results = [None] * ctx.opts.bomb_parallel
    with ctx.attack():
        def one(i):
            t = time.monotonic()
            results[i] = (request(ctx.server.port, "POST", f"/api/v1/datasets?name=bomb{i}&kind=idx", body=body,
                                  key=ctx.keys["deploy"], ctype=ctype, timeout=300), time.monotonic() - t)
        for rnd in range(ctx.opts.bomb_rounds):
            threads = [threading.Thread(target=one, args=(i,)) for i in range(len(results))]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            for i, (r, took) in enumerate(results):
                msg = ctx.expect_refusal(r, f"bomb upload {i} (round {rnd + 1})")
                if rnd == 0:
                    ctx.note(f"upload {i}: {r.status} after {took:.2f} s: {msg}")
        listed = ctx.server.req("GET", "/api/v1/datasets").json() or {}
        ctx.check(not listed.get("datasets"), f"a bomb dataset was stored: {listed}")
    grown = (ctx.rss_peak_kb - ctx.rss_base_kb) >> 10
    ctx.check(grown <= ctx.opts.bomb_rss_limit_mb,
              f"RSS grew by {grown} MiB during the bombs (limit {ctx.opts.bomb_rss_limit_mb} MiB)")


def attack_empty_pipeline(ctx):
    """Tabular training jobs whose preprocessing leaves nothing to learn
    from (every feature dropped; every row dropped): the submission is
    refused with 400 or the job fails with a clear error."""
    ctx.start_server()
    ctx.make_keys()
    dk = ctx.keys["deploy"]
    with open(os.path.join(ROOT, "Data", "tabular", "iris.csv"), "rb") as f:
        csv = f.read()
    r = ctx.server.req("POST", "/api/v1/datasets?name=iris&kind=csv", csv, key=dk, ctype="text/csv")
    if r.status != 201:
        raise RuntimeError(f"iris upload failed: {r.short()}")
    features = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
    base = {"input": {"format": "table", "target": "species"},
            "layers": [{"type": "dense", "units": 3, "activation": "softmax"}],
            "compile": {"optimizer": "adam", "loss": "sparse_categorical_crossentropy"},
            "fit": {"epochs": 1, "batch_size": 16, "seed": 1}}
    cases = [
        ("every feature dropped", [{"type": "drop_columns", "columns": features}], ["feature"]),
        ("every row dropped", [{"type": "drop_outliers", "columns": features, "method": "zscore", "threshold": 1e-9}], ["row"]),
        ("target dropped too", [{"type": "drop_columns", "columns": features + ["species"]}], ["species", "target", "column"]),
    ]
    with ctx.attack():
        for i, (what, pipeline, words) in enumerate(cases):
            spec = dict(base, name=f"empty{i}", pipeline=pipeline)
            r = ctx.server.req("POST", "/api/v1/jobs", {"model": f"empty{i}", "spec": spec, "dataset": "iris"}, key=dk)
            ctx.saw(r)
            if r.status == 400:
                msg = r.error_text()
                ctx.check(bool(msg), f"{what}: 400 without a JSON error: {r.short()}")
                ctx.note(f"{what}: submission refused: {msg}")
                continue
            if not ctx.check(r.status == 201, f"{what}: submission answered {r.short()}"):
                continue
            job = r.json()["id"]
            deadline = time.monotonic() + ctx.opts.job_timeout
            state = None
            while time.monotonic() < deadline:
                j = ctx.server.req("GET", f"/api/v1/jobs/{job}").json() or {}
                state = j.get("state")
                if state in ("failed", "succeeded", "cancelled"):
                    break
                time.sleep(0.2)
            ctx.saw(f"job:{state}")
            err = j.get("error") or ""
            ctx.check(state == "failed", f"{what}: job ended '{state}' (error {err!r})")
            ctx.check(any(w in err.lower() for w in words), f"{what}: the job's error does not say why: {err!r}")
            ctx.note(f"{what}: job {state}: {err}")
            versions = ctx.server.req("GET", f"/api/v1/models/empty{i}/versions")
            ctx.check(versions.status == 404 or not (versions.json() or {}).get("versions"),
                      f"{what}: a model version was registered anyway: {versions.short()}")


def attack_readiness(ctx):
    """Deploy versions, stop the server, corrupt one deployed blob and delete
    another, restart: /v2/health/ready is 503 with the reasons, live 200;
    undeploying them makes it ready again."""
    ctx.start_server()
    ctx.make_keys()
    shas = {}
    for model, const in (("corrupt", 1.0), ("missing", 2.0)):
        v = upload(ctx, model, onnx_add(const))
        deploy(ctx, model, v)
        shas[model] = ctx.server.req("GET", f"/api/v1/models/{model}/versions/{v}").json()["artifact_sha256"]
    with ctx.attack("before the restart"):
        pass
    ctx.server.stop()
    blob = os.path.join(ctx.server.data, "artifacts", shas["corrupt"][:2], shas["corrupt"])
    with open(blob, "r+b") as f:
        data = bytearray(f.read())
        data[len(data) // 2] ^= 0xFF
        f.seek(0)
        f.write(data)
    os.remove(os.path.join(ctx.server.data, "artifacts", shas["missing"][:2], shas["missing"]))
    ctx.server.start(ctx.server.port)
    with ctx.attack("restarted with a corrupt and a missing blob", expect_ready=503):
        r = ctx.server.req("GET", "/v2/health/ready", key="")
        ctx.saw(r)
        body = r.json() or {}
        reasons = body.get("reasons") or []
        ctx.check(r.status == 503, f"ready answers {r.short()}")
        ctx.check(any("corrupt" in x for x in reasons) and any("missing" in x for x in reasons),
                  f"the reasons name both deployments: {reasons}")
        ctx.check(not any(ctx.workdir in x or "/artifacts/" in x for x in reasons), f"a reason shows a path: {reasons}")
        ctx.note(f"ready: {r.status} {reasons}")
        live = ctx.server.req("GET", "/v2/health/live", key="")
        ctx.check(live.status == 200, f"live answers {live.short()}")
        inf = ctx.server.req("POST", "/v2/models/corrupt/infer",
                             {"inputs": [{"name": "x", "datatype": "FP32", "shape": [1, 4], "data": [1, 2, 3, 4]}]},
                             key=ctx.keys["predict"])
        ctx.expect_refusal(inf, "inference on the unrestored version", statuses=[404, 409, 503])
        time.sleep(1)
    for model in ("corrupt", "missing"):
        r = ctx.server.req("DELETE", f"/api/v1/deployments/{model}/1", key=ctx.keys["deploy"])
        ctx.check(r.status == 200, f"undeploying {model}: {r.short()}")
    with ctx.attack("after undeploying them"):
        r = ctx.server.req("GET", "/v2/health/ready", key="")
        ctx.check(r.status == 200, f"ready after undeploying: {r.short()}")


def attack_kill9_alias_swaps(ctx):
    """Move an alias between three versions, kill -9 the server at a random
    moment of each swap, restart: every time, the loaded versions are exactly
    the ones the alias points at, and the server is ready."""
    rng = random.Random(ctx.opts.seed)
    ctx.start_server()
    ctx.make_keys()
    dk, pk = ctx.keys["deploy"], ctx.keys["predict"]
    n = ctx.opts.swap_width
    versions = [upload(ctx, "swap", onnx_dense(seed, n)) for seed in (1, 2, 3)]
    r = ctx.server.req("PUT", "/api/v1/models/swap/aliases/production", {"version": versions[0]}, key=dk)
    if r.status != 200:
        raise RuntimeError(f"alias: {r.short()}")
    deploy(ctx, "swap", alias="production")
    body = json.dumps({"inputs": [{"name": "x", "datatype": "FP32", "shape": [1, n], "data": [0.5] * n}]}).encode()
    # How long a swap takes here, to aim the kills inside one (load, warm-up, alias move, retirement).
    t = time.monotonic()
    r = ctx.server.req("PUT", "/api/v1/models/swap/aliases/production", {"version": versions[1]}, key=dk)
    swap_s = time.monotonic() - t
    ctx.check(r.status == 200, f"a swap answers 200: {r.short()}")
    ctx.note(f"versions are {n}x{n} MatMuls ({n * n * 4 >> 20} MiB); one swap takes {swap_s * 1000:.0f} ms; odd cycles kill "
             f"during the swap (0-{swap_s * 1000:.0f} ms after the PUT), even ones while the old version is retired "
             f"({swap_s * 1000:.0f}-{(swap_s + 1.6) * 1000:.0f} ms)")
    time.sleep(2)

    def state():
        deps = ctx.server.req("GET", "/api/v1/deployments", key=ctx.keys["read"]).json() or {}
        loaded = sorted(d["version"] for d in deps.get("deployments", []) if d.get("model") == "swap")
        al = ctx.server.req("GET", "/api/v1/models/swap/aliases", key=ctx.keys["read"]).json() or {}
        aliased = sorted({a["version"] for a in al.get("aliases", [])})
        ready = sorted(v for v in versions
                       if ctx.server.req("GET", f"/v2/models/swap/versions/{v}/ready", key=pk).status == 200)
        return loaded, aliased, ready

    def verify(label):
        loaded, aliased, ready = state()
        ok = ctx.check(loaded == aliased, f"{label}: loaded versions {loaded} != aliased versions {aliased}")
        ctx.check(ready == aliased, f"{label}: V2 ready versions {ready} != aliased versions {aliased}")
        h = ctx.server.req("GET", "/v2/health/ready", key="")
        ctx.check(h.status == 200, f"{label}: not ready: {h.short()}")
        r = ctx.server.req("POST", "/v2/models/swap/versions/production/infer", body, key=pk)
        got = (r.json() or {}).get("model_version")
        ctx.check(r.status == 200 and aliased and got == str(aliased[0]),
                  f"{label}: production answers {r.status} from version {got}, alias points at {aliased}")
        return ok, loaded, aliased

    for cycle in range(ctx.opts.cycles):
        current = state()[1]
        target = rng.choice([v for v in versions if v not in current])
        delay = rng.uniform(0, swap_s) if cycle % 2 == 0 else rng.uniform(swap_s, swap_s + 1.6)
        put = {}
        stop_load = threading.Event()

        def load_client():
            while not stop_load.is_set():
                rr = request(ctx.server.port, "POST", "/v2/models/swap/infer", body=body, key=pk, ctype="application/json",
                             source=ATTACKER, timeout=10)
                if rr.status is not None:
                    ctx.saw(rr)

        with ctx.attack(f"cycle {cycle + 1}"):
            loader = threading.Thread(target=load_client, daemon=True)
            loader.start()
            time.sleep(0.1)

            def do_put():
                put["r"] = request(ctx.server.port, "PUT", "/api/v1/models/swap/aliases/production",
                                   body={"version": target}, key=dk, timeout=30)
            th = threading.Thread(target=do_put, daemon=True)
            th.start()
            time.sleep(delay)
        stop_load.set()
        ctx.server.kill9()
        th.join(5)
        loader.join(5)
        pr = put.get("r")
        ctx.server.start(ctx.server.port)
        ok, loaded, aliased = verify(f"cycle {cycle + 1}")
        log(f"cycle {cycle + 1}: alias {current} -> {target}, killed {delay * 1000:.0f} ms after the PUT "
            f"(PUT: {pr.label() if pr else 'no answer'}); after restart loaded {loaded}, aliased {aliased}")
    time.sleep(3)
    with ctx.attack("settled"):
        verify("3 s after the last restart")


def attack_flood_in_flight(ctx):
    """More concurrent slow requests from one key (and one anonymous
    address) than --max-in-flight-per-client: the extra ones get 429 with
    Retry-After at once; other clients and the health probes are served."""
    limit = ctx.opts.in_flight
    ctx.start_server(["--max-in-flight-per-client", str(limit), "--allow-anonymous-predict"])
    ctx.make_keys()
    pk = ctx.keys["predict"]
    deploy(ctx, "add", upload(ctx, "add", onnx_add()))
    total = ctx.opts.flood

    def flood(key, label):
        holders, extra = [], []
        h = head("POST", "/v2/models/add/infer", key=key, ctype="application/json", length=1000)
        for i in range(total):
            c = RawConn(ctx.server.port, source=ATTACKER)
            c.send(h + b'{"inputs": ')  # the body never finishes: the request stays in flight
            (holders if i < limit else extra).append(c)
            if i == limit - 1:
                time.sleep(0.3)
        refused = 0
        for c in extra:
            r = c.read_response(timeout=5)
            ctx.saw(r)
            if r.status == 429:
                refused += 1
                if refused == 1:
                    ctx.check("retry-after" in r.headers, f"{label}: the 429 has no Retry-After")
                    ctx.check(bool(r.error_text()), f"{label}: the 429 has no JSON error: {r.short()}")
                    ctx.note(f"{label}: 429 Retry-After {r.headers.get('retry-after')}: {r.error_text()}")
            c.close()
        ctx.check(refused == len(extra), f"{label}: {refused} of {len(extra)} requests over the limit got 429")
        for c in holders:  # still waiting for their bodies, no answer yet
            c.sock.setblocking(False)
            try:
                early = c.sock.recv(100)
            except BlockingIOError:
                early = None
            except OSError:
                early = b""
            c.sock.setblocking(True)
            ctx.check(early is None, f"{label}: a request within the limit was answered or closed early: {early!r}")
        return holders

    def hammer(key, label, seconds):
        """Keeps asking with the flooding key while its slots are held: every answer must be a quick 429."""
        seen = collections.Counter()
        stop = time.monotonic() + seconds

        def loop():
            while time.monotonic() < stop:
                r = request(ctx.server.port, "GET", "/v2/models/add", key=key, source=ATTACKER, timeout=10)
                seen[r.label()] += 1
        threads = [threading.Thread(target=loop) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for k, v in seen.items():
            ctx.statuses[k] += v
        ctx.note(f"{label}: {sum(seen.values())} more requests in {seconds:g} s while the slots were held: {dict(seen)}")
        ctx.check(set(seen) == {"429"}, f"{label}: requests over the limit got {dict(seen)}, expected only 429")

    with ctx.attack():
        holders = flood(pk, "predict key")
        hammer(pk, "predict key", ctx.opts.flood_seconds)
        same = ctx.server.req("GET", "/v2/models/add", key=pk)
        ctx.expect_refusal(same, "the flooding key, another request", statuses=[429], contains="in flight")
        other = ctx.server.req("GET", "/api/v1/models", key=ctx.keys["read"])
        ctx.check(other.status == 200, f"another key is served during the flood: {other.short()}")
        anon_local = request(ctx.server.port, "GET", "/v2/models/add")
        ctx.check(anon_local.status == 200, f"an anonymous client on another address is served: {anon_local.short()}")
        for c in holders:
            c.close()
        time.sleep(0.3)
        after = ctx.server.req("GET", "/v2/models/add", key=pk)
        ctx.check(after.status == 200, f"the key is served again once its requests end: {after.short()}")
        holders = flood(None, f"anonymous from {ATTACKER}")
        hammer(None, f"anonymous from {ATTACKER}", ctx.opts.flood_seconds)
        for c in holders:
            c.close()
        time.sleep(0.5)
    metrics = ctx.server.req("GET", "/metrics", key="").body.decode("utf-8", "replace")
    errors = sum(float(line.rsplit(" ", 1)[1]) for line in metrics.splitlines()
                 if line.startswith("tern_http_requests_total{") and 'status="500"' in line)
    if errors:
        ctx.note(f"WARNING: the {int(errors)} requests whose clients hung up mid-body are counted as status 500 in /metrics "
                 "(and logged at error level: 'stream ended at an unexpected time'); a client going away is not a server error")


def push_body(c, limit, seconds):
    """Sends up to `limit` bytes of body within `seconds`: (bytes the server
    took, whether it closed the connection)."""
    chunk = bytes(1 << 20)
    sent = 0
    deadline = time.monotonic() + seconds
    c.sock.settimeout(0.5)
    while sent < limit and time.monotonic() < deadline:
        try:
            sent += c.sock.send(chunk)
        except (socket.timeout, TimeoutError):
            break  # not read: the window is full
        except OSError:
            return sent, True
    return sent, c.closed_within(max(0.5, deadline - time.monotonic())) is not None


def attack_small_things(ctx):
    """Protocol details: a 10 GB Content-Length is 413 before the body,
    Expect: 100-continue, 405 with Allow, a lowercase bearer scheme, nosniff
    and no-store on every answer, 415 for text/plain inference."""
    ctx.start_server()
    ctx.make_keys()
    dk, pk = ctx.keys["deploy"], ctx.keys["predict"]
    deploy(ctx, "add", upload(ctx, "add", onnx_add()))
    answers = []

    def got(r, what):
        answers.append((what, r))
        return r

    with ctx.attack():
        # 10 GB declared: 413 from the head alone, then the connection closes.
        c = RawConn(ctx.server.port, source=ATTACKER)
        c.send(head("POST", "/api/v1/models/big/versions", key=dk, ctype="application/octet-stream", length=10 << 30))
        t = time.monotonic()
        r = got(c.read_response(timeout=5), "10 GB Content-Length")
        took = time.monotonic() - t
        ctx.expect_refusal(r, "10 GB Content-Length", statuses=[413], contains="larger than")
        ctx.check(took < 2, f"the 413 took {took:.2f} s")
        # It says Connection: close; the body must not be read after it.
        drained, closed = push_body(c, 256 << 20, 3.0)
        ctx.check(closed, f"after the 413 (Connection: {r.headers.get('connection')}) the server kept the connection open "
                          f"and read {drained >> 20} MiB more of the refused body in 3 s")
        c.close()
        # The same through the inference route and with Expect: 100-continue.
        c = RawConn(ctx.server.port, source=ATTACKER)
        c.send(head("POST", "/v2/models/add/infer", key=pk, ctype="application/json", length=10 << 30, extra=["Expect: 100-continue"]))
        r = got(c.read_response(timeout=5), "10 GB + Expect")
        ctx.expect_refusal(r, "10 GB Content-Length with Expect: 100-continue", statuses=[413])
        c.close()
        # Expect: 100-continue with a small body.
        body = json.dumps({"inputs": [{"name": "x", "datatype": "FP32", "shape": [1, 4], "data": [1, 2, 3, 4]}]}).encode()
        c = RawConn(ctx.server.port, source=ATTACKER)
        c.send(head("POST", "/v2/models/add/infer", key=pk, ctype="application/json", length=len(body), extra=["Expect: 100-continue"]))
        interim = c.read_response(timeout=3)
        ctx.check(interim.status == 100, f"Expect: 100-continue got {interim.label()} before the body, not 100 Continue")
        c.send(body)
        r = got(c.read_response(timeout=5), "after 100 Continue")
        ctx.check(r.status == 200, f"the request after 100 Continue: {r.short()}")
        c.close()
        # Wrong methods.
        for method, path, allowed in (("DELETE", "/v2/health/live", "GET"), ("PUT", "/api/v1/keys", "GET, POST"),
                                      ("GET", "/v2/models/add/infer", "POST")):
            r = got(ctx.server.req(method, path, key=dk), f"{method} {path}")
            ctx.expect_refusal(r, f"{method} {path}", statuses=[405])
            ctx.check(r.headers.get("allow") == allowed, f"{method} {path}: Allow is {r.headers.get('allow')!r}, expected {allowed!r}")
        # Authorization scheme case.
        for scheme in ("bearer", "BEARER", "Bearer"):
            r = got(request(ctx.server.port, "GET", "/api/v1/models", headers={"Authorization": f"{scheme} {dk}"}), scheme)
            ctx.check(r.status == 200, f"'Authorization: {scheme} <key>' answers {r.short()}")
        r = got(request(ctx.server.port, "GET", "/api/v1/models", headers={"X-API-Key": dk}), "X-API-Key")
        ctx.check(r.status == 200, f"X-API-Key answers {r.short()}")
        r = got(request(ctx.server.port, "GET", "/api/v1/models", headers={"Authorization": "bearer " + make_key_text()}), "bad key")
        ctx.expect_refusal(r, "an unknown key", statuses=[401])
        r = got(request(ctx.server.port, "GET", "/api/v1/models"), "no key")
        ctx.expect_refusal(r, "no key", statuses=[401, 403])
        # text/plain to inference.
        r = got(ctx.server.req("POST", "/v2/models/add/infer", body, key=pk, ctype="text/plain"), "text/plain V2")
        ctx.expect_refusal(r, "text/plain to V2 inference", statuses=[415])
        r = got(ctx.server.req("POST", "/v1/models/add:predict", b'{"instances": [[1,2,3,4]]}', key=pk, ctype="text/plain"),
                "text/plain TF")
        ctx.expect_refusal(r, "text/plain to TF :predict", statuses=[415])
        r = got(ctx.server.req("POST", "/v1/models/add:predict", b'{"instances": [[1,2,3,4]]}', key=pk, ctype="application/json"),
                "TF predict")
        ctx.check(r.status == 200, f"TF :predict with JSON: {r.short()}")
        r = got(ctx.server.req("GET", "/no/such/path", key=dk), "404")
        ctx.expect_refusal(r, "unknown path", statuses=[404])
        r = got(ctx.server.req("GET", "/v2/health/ready", key=""), "ready")
        r = got(ctx.server.req("GET", "/metrics", key=""), "metrics")
        ctx.check(r.status == 200, f"/metrics: {r.short(80)}")
        for what, r in answers:
            if r.status is None or r.status < 200:
                continue
            ctx.check(r.headers.get("x-content-type-options") == "nosniff",
                      f"{what}: {r.status} without X-Content-Type-Options: nosniff")
            ctx.check(r.headers.get("cache-control") == "no-store", f"{what}: {r.status} with Cache-Control {r.headers.get('cache-control')!r}")
        for what, r in answers:
            if r.status and r.status >= 400:
                ctx.saw(r)


ATTACKS = [
    ("onnx-constant-of-shape", attack_onnx_constant_of_shape),
    ("inference-blowup", attack_inference_blowup),
    ("slow-and-idle-connections", attack_slow_and_idle_connections),
    ("gzip-bomb-upload", attack_gzip_bomb_upload),
    ("empty-pipeline", attack_empty_pipeline),
    ("readiness", attack_readiness),
    ("kill9-alias-swaps", attack_kill9_alias_swaps),
    ("flood-in-flight", attack_flood_in_flight),
    ("small-things", attack_small_things),
]


# --------------------------------------------------------------------------- main


def find_binary():
    if os.environ.get("TERN_BIN"):
        return os.path.abspath(os.environ["TERN_BIN"])
    for p in (".build/release/tern", ".build/debug/tern"):
        full = os.path.join(ROOT, p)
        if os.access(full, os.X_OK):
            return full
    sys.exit("no tern binary: build one (swift build) or set TERN_BIN")


def fmt_statuses(counter):
    if not counter:
        return "-"
    return " ".join(f"{k}x{v}" for k, v in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0])))


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--poll":
        poller_main(int(sys.argv[2]), float(sys.argv[3]), sys.argv[4])
        return 0
    names = [n for n, _ in ATTACKS]
    p = argparse.ArgumentParser(description="Abuse suite for tern serve (see scripts/abuse/README.md).")
    p.add_argument("attacks", nargs="*", help=f"attacks to run (default: all): {', '.join(names)}")
    p.add_argument("--list", action="store_true", help="list the attacks and exit")
    p.add_argument("--threshold-ms", type=float, default=float(os.environ.get("ABUSE_THRESHOLD_MS", 100)),
                   help="slowest acceptable health answer during an attack (default 100)")
    p.add_argument("--poll-ms", type=float, default=20, help="health probe interval (default 20)")
    p.add_argument("--rss-limit-mb", type=int, default=1024, help="RSS growth allowed during parts (a)-(c) of inference-blowup (default 1024)")
    p.add_argument("--bomb-rss-limit-mb", type=int, default=512, help="RSS growth allowed during gzip-bomb-upload (default 512)")
    p.add_argument("--table-rows-large", type=int, default=8_000_000,
                   help="rows of the informative part (d) of inference-blowup (0 skips it; default 8,000,000 = 122 MiB)")
    p.add_argument("--work-mb", type=int, default=64, help="--max-request-work-mb for inference-blowup (default 64)")
    p.add_argument("--connections", type=int, default=2000, help="connections per phase of slow-and-idle-connections")
    p.add_argument("--open-rate", type=float, default=500,
                   help="new connections per second in phases A and B of slow-and-idle-connections (default 500; 0: unpaced)")
    p.add_argument("--burst-rate", type=float, default=0,
                   help="new connections per second in phase C of slow-and-idle-connections (default 0: as fast as possible)")
    p.add_argument("--conn-timeout", type=float, default=5,
                   help="--idle-timeout and --request-head-timeout in phase A of slow-and-idle-connections (default 5: "
                        "all 2,000 connections are open at once at the default rate)")
    p.add_argument("--close-slack", type=float, default=3, help="seconds past the timeout a connection may stay open (default 3)")
    p.add_argument("--bomb-images", type=int, default=1_370_000, help="images in the bomb (x784 bytes inflated; default ~1.07 GB)")
    p.add_argument("--bomb-parallel", type=int, default=3)
    p.add_argument("--bomb-rounds", type=int, default=2)
    p.add_argument("--cycles", type=int, default=10, help="kill -9 cycles of kill9-alias-swaps (default 10)")
    p.add_argument("--swap-width", type=int, default=2048,
                   help="versions of kill9-alias-swaps are WIDTH x WIDTH MatMuls (default 2048: 16 MiB, so a load takes a while)")
    p.add_argument("--in-flight", type=int, default=8, help="--max-in-flight-per-client for flood-in-flight (default 8)")
    p.add_argument("--flood", type=int, default=40, help="concurrent slow requests in flood-in-flight (default 40)")
    p.add_argument("--flood-seconds", type=float, default=5, help="how long flood-in-flight hammers with its slots held (default 5)")
    p.add_argument("--job-timeout", type=float, default=300)
    p.add_argument("--seed", type=int, default=None, help="random seed of kill9-alias-swaps")
    p.add_argument("--renice", type=int, default=0,
                   help="run the server and the health poller at this niceness (e.g. -10, as root) so that other work on "
                        "a shared machine disturbs the measurements less (default 0)")
    p.add_argument("--keep", action="store_true", help="keep every attack's data directory and server log")
    opts = p.parse_args()
    if opts.list:
        for n, f in ATTACKS:
            print(f"{n:28} {' '.join((f.__doc__ or '').split())}")
        return 0
    unknown = [a for a in opts.attacks if a not in names]
    if unknown:
        p.error(f"unknown attack(s) {', '.join(unknown)}; known: {', '.join(names)}")
    if opts.seed is None:
        opts.seed = random.randrange(1 << 30)
    opts.binary = find_binary()
    global RENICE
    RENICE = opts.renice
    selected = [(n, f) for n, f in ATTACKS if not opts.attacks or n in opts.attacks]
    print(f"tern abuse suite: {opts.binary} ({time.ctime(os.path.getmtime(opts.binary))}), health threshold "
          f"{opts.threshold_ms:g} ms, probes every {opts.poll_ms:g} ms, seed {opts.seed}"
          + (f", server and poller at niceness {opts.renice}" if opts.renice else "")
          + f"; load average {open('/proc/loadavg').read().split()[0]} on {os.cpu_count()} cores", flush=True)
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: (_kill_all(), sys.exit(130)))
    rows = []
    for name, fn in selected:
        print(f"\n== {name}", flush=True)
        ctx = Ctx(opts, name)
        t = time.monotonic()
        try:
            fn(ctx)
        except Exception as e:  # noqa: BLE001 - an attack that cannot run is a failure
            import traceback
            traceback.print_exc()
            ctx.check(False, f"the attack could not run: {type(e).__name__}: {e}")
        if ctx.server and not ctx.server.alive() and ctx.server.proc is not None:
            ctx.check(False, f"the server exited ({ctx.server.proc.poll()})")
        if ctx.failures and ctx.server:
            tail = ctx.server.log_tail(1500).decode("utf-8", "replace").strip()
            if tail:
                print("  server log tail:\n    " + "\n    ".join(tail.splitlines()[-15:]))
            print(f"  data and log kept in {ctx.workdir}")
        ctx.finish()
        lat = [s[3] for s in ctx.samples]
        rows.append({
            "attack": name,
            "result": "PASS" if not ctx.failures else f"FAIL ({len(ctx.failures)})",
            "statuses": fmt_statuses(ctx.statuses),
            "health": f"{max(lat):.1f} / {percentile(lat, 99):.1f} ({len(lat)})" if lat else "-",
            "rss": f"{ctx.rss_peak_kb // 1024} / {ctx.hwm_kb // 1024}" if ctx.hwm_kb else "-",
            "secs": f"{time.monotonic() - t:.0f}",
            "cpu": (lambda secs: f"{sum(a * c for a, _, c in ctx.load) / secs:.1f} / {sum(b * c for _, b, c in ctx.load) / secs:.1f}"
                    if secs else "-")(sum(c for *_, c in ctx.load)),
            "failures": ctx.failures,
            "warnings": [n for n in ctx.notes if "WARNING" in n],
        })
        print(f"  -> {rows[-1]['result']} in {rows[-1]['secs']} s", flush=True)

    cols = [("attack", "attack"), ("result", "result"), ("statuses", "attacker statuses seen"),
            ("health", "health max / p99 ms (probes)"), ("rss", "RSS peak / VmHWM MiB"),
            ("cpu", f"CPU busy / server (of {os.cpu_count()})"), ("secs", "s")]
    widths = {k: max(len(h), *(len(r[k]) for r in rows)) for k, h in cols}
    print()
    print("  ".join(h.ljust(widths[k]) for k, h in cols))
    print("  ".join("-" * widths[k] for k, _ in cols))
    for r in rows:
        print("  ".join(r[k].ljust(widths[k]) for k, _ in cols))
    failed = [r for r in rows if r["failures"]]
    if failed:
        print("\nFailures:")
        for r in failed:
            for f in r["failures"]:
                print(f"  {r['attack']}: {f}")
    warned = [(r["attack"], w) for r in rows for w in r["warnings"]]
    if warned:
        print("\nWarnings (reported, not failures):")
        for attack, w in warned:
            print(f"  {attack}: {w}")
    passed = len(rows) - len(failed)
    print(f"\n{passed} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
