"""Ports of real crates from `redis::Script` to evalsha, proved on the crates' own tests.

tests/ports/SOURCES names each crate (registry version, sha256 of its .crate archive,
license); tests/ports/<name>-<version>.patch is the port: our only committed part of the
crate. This fetches the .crate with cargo (a throwaway manifest, as .ci/corpus.py does for
the corpus), checks its sha256, unpacks it afresh into target/ports/<name>-<version>/,
applies the patch (which points the crate's `evalsha` dependency at this workspace by a
relative path), starts a throwaway server on a free loopback port and runs the crate's
tests with its URL in the environment variable the crate's tests read. Every port builds
into one target directory, target/ports/target, kept between runs.

    python3 .ci/ports.py test NAME [NAME ...]   # fetch, patch, test (.ci/port-apalis)
    python3 .ci/ports.py unpack NAME            # fetch and patch only: to edit the port
    python3 .ci/ports.py diff NAME              # the patch of an edited tree, on stdout

SOURCES lines:
    port NAME VERSION SHA256 LICENSE SERVER-VARIABLE UPSTREAM-REPOSITORY
        SHA256: of the .crate archive (what the crate registry's index records)
        SERVER-VARIABLE: VAR=TEMPLATE, the environment variable the crate's tests read the
        server's address from and its form, {addr} standing for 127.0.0.1:PORT
    ... [CARGO-TEST-ARG ...]: optional, which of the crate's test targets run (all when none)

The server is `$EVALSHA_SERVER` when set (as for evalsha's own tests), else `redis-server`
from PATH.
"""

import hashlib
import os
import re
import shutil
import socket
import subprocess
import sys
import tarfile
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import corpus  # noqa: E402  (download_crate: cargo fetch of one pinned crate)

SOURCES = os.path.join(ROOT, "tests", "ports", "SOURCES")
DEST = os.path.join(ROOT, "target", "ports")
TARGET_DIR = os.path.join(DEST, "target")


def read_sources():
    ports = {}
    with open(SOURCES, encoding="utf-8") as f:
        for raw in f:
            line = raw.split("#", 1)[0].split()
            if not line:
                continue
            if line[0] != "port" or len(line) < 7:
                sys.exit(f"{SOURCES}: unknown line: {raw.strip()}")
            _, name, version, sha, license_, server_var, upstream, *targets = line
            var, template = server_var.split("=", 1)
            ports[name] = dict(version=version, sha=sha, license=license_, var=var,
                               template=template, targets=targets)
    return ports


def crate_dir(name, version):
    return os.path.join(DEST, f"{name}-{version}")


def patch_file(name, version):
    return os.path.join(ROOT, "tests", "ports", f"{name}-{version}.patch")


def fetch(name, port):
    """The .crate archive through cargo, checked against SOURCES' sha256."""
    corpus.CACHE = os.path.join(DEST, ".packages")
    os.makedirs(corpus.CACHE, exist_ok=True)
    archive = corpus.download_crate(name, port["version"])
    with open(archive, "rb") as f:
        got = hashlib.sha256(f.read()).hexdigest()
    if got != port["sha"]:
        sys.exit(f"{name} {port['version']}: {archive}: sha256 {got}, "
                 f"tests/ports/SOURCES says {port['sha']}")
    return archive


def unpack(name, port, patched=True):
    """A fresh copy of the crate in target/ports/<name>-<version>, the port applied."""
    archive = fetch(name, port)
    out = crate_dir(name, port["version"])
    shutil.rmtree(out, ignore_errors=True)
    with tempfile.TemporaryDirectory(dir=DEST) as tmp:
        with tarfile.open(archive) as t:
            t.extractall(tmp, filter="data")
        (top,) = os.listdir(tmp)
        os.replace(os.path.join(tmp, top), out)
    if patched:
        with open(patch_file(name, port["version"]), "rb") as p:
            subprocess.run(["patch", "-s", "-p1", "-d", out], stdin=p, check=True)
    return out


def free_port():
    """A free loopback port below 55535 (the testkit's rule), not 6379."""
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port < 55535 and port != 6379:
            return port


def start_server():
    binary = os.environ.get("EVALSHA_SERVER", "redis-server")
    port = free_port()
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--protected-mode", "no"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                if s.recv(16).startswith(b"+PONG"):
                    return proc, port
        except OSError:
            pass
        time.sleep(0.05)
    proc.kill()
    sys.exit(f"{binary} did not answer on 127.0.0.1:{port}")


def test(names):
    ports = read_sources()
    for name in names:
        port = ports[name]
        out = unpack(name, port)
        manifest = os.path.join(out, "Cargo.toml")
        env = dict(os.environ, CARGO_TARGET_DIR=TARGET_DIR)
        started = time.monotonic()
        print(f"== {name} {port['version']}: building its tests", file=sys.stderr, flush=True)
        cargo_test = ["cargo", "test", "--manifest-path", manifest, *port["targets"]]
        subprocess.run(cargo_test + ["-q", "--no-run"], env=env, check=True)
        built = time.monotonic()
        proc, server_port = start_server()
        try:
            env[port["var"]] = port["template"].replace("{addr}", f"127.0.0.1:{server_port}")
            print(f"== {name} {port['version']}: its tests, {port['var']}={env[port['var']]}",
                  file=sys.stderr, flush=True)
            subprocess.run(cargo_test, env=env, check=True)
        finally:
            proc.terminate()
            proc.wait()
        print(f"== {name} {port['version']}: built in {built - started:.0f} s, "
              f"tests ran in {time.monotonic() - built:.0f} s", file=sys.stderr)


def diff(name):
    """The patch that turns the registry's crate into the edited tree in target/ports."""
    port = read_sources()[name]
    edited = crate_dir(name, port["version"])
    with tempfile.TemporaryDirectory(dir=DEST) as tmp:
        pristine = os.path.join(tmp, "a")
        with tarfile.open(fetch(name, port)) as t:
            t.extractall(tmp, filter="data")
        (top,) = [d for d in os.listdir(tmp) if d != "a"]
        os.replace(os.path.join(tmp, top), pristine)
        os.symlink(edited, os.path.join(tmp, "b"))
        result = subprocess.run(
            ["diff", "-ruN", "--exclude=target", "--exclude=Cargo.lock", "a", "b/"],
            cwd=tmp, capture_output=True, text=True)
        if result.returncode > 1:
            sys.exit(result.stderr)
        # Without diff's own lines and timestamps: the patch reads the same whenever made.
        lines = [re.sub(r"^(---|\+\+\+) (\S+)\t.*$", r"\1 \2", l).replace("+++ b//", "+++ b/")
                 for l in result.stdout.splitlines() if not l.startswith("diff -ruN ")]
        sys.stdout.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    cmd, args = (sys.argv[1], sys.argv[2:]) if len(sys.argv) > 1 else ("", [])
    if cmd == "test" and args:
        test(args)
    elif cmd == "unpack" and len(args) == 1:
        print(unpack(args[0], read_sources()[args[0]]))
    elif cmd == "diff" and len(args) == 1:
        diff(args[0])
    else:
        sys.exit(__doc__)
