"""The corpus of real Redis scripts: tests/corpus/SOURCES says which files of which
registry packages (pinned versions) with which sha256; this fetches, checks and extracts
them into target/corpus/<package>-<version>/<path>.

    python3 .ci/corpus.py fetch    # fetch what is missing, check everything (.ci/fetch-corpus)
    python3 .ci/corpus.py check    # exit 1 unless every file is present and intact
    python3 .ci/corpus.py list PACKAGE VERSION   # print SOURCES lines for a downloaded package

SOURCES lines:
    package REGISTRY NAME VERSION LICENSE PROJECT UPSTREAM
    script|include|finding|reference NAME VERSION SHA256 PATH-IN-PACKAGE
    (finding: a script the compile-time checks reject, listed in tests/corpus/FINDINGS;
    reference: a file the tests compare with, e.g. BullMQ's own composition of a command)
"""

import hashlib
import io
import os
import subprocess
import sys
import tarfile
import tempfile
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SOURCES = os.path.join(ROOT, "tests", "corpus", "SOURCES")
DEST = os.path.join(ROOT, "target", "corpus")
CACHE = os.path.join(DEST, ".packages")


def read_sources():
    packages, files = {}, []
    with open(SOURCES, encoding="utf-8") as f:
        for raw in f:
            line = raw.split("#", 1)[0].split()
            if not line:
                continue
            if line[0] == "package":
                _, registry, name, version, license_, project, upstream = line
                packages[(name, version)] = registry
            elif line[0] in ("script", "include", "finding", "reference"):
                _, name, version, sha, path = line
                files.append((name, version, sha, path))
            else:
                sys.exit(f"{SOURCES}: unknown line: {raw.strip()}")
    return packages, files


def target(name, version, path):
    return os.path.join(DEST, f"{name}-{version}", path)


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def intact(name, version, sha, path):
    try:
        with open(target(name, version, path), "rb") as f:
            return sha256(f.read()) == sha
    except OSError:
        return False


def download(registry, name, version):
    """The package archive, downloaded once into target/corpus/.packages."""
    os.makedirs(CACHE, exist_ok=True)
    if registry == "npm":
        archive = os.path.join(CACHE, f"{name}-{version}.tgz")
        if not os.path.exists(archive):
            print(f"== npm pack {name}@{version}", file=sys.stderr)
            with tempfile.TemporaryDirectory(dir=CACHE) as tmp:
                subprocess.run(
                    ["npm", "pack", "--silent", "--pack-destination", tmp, f"{name}@{version}"],
                    check=True, stdout=subprocess.DEVNULL, cwd=tmp,
                )
                (got,) = os.listdir(tmp)
                os.replace(os.path.join(tmp, got), archive)
        return archive
    if registry == "pypi":
        prefix = name.replace("-", "_") + "-" + version + "-"
        # A release published only as a source archive (hot-redis 0.3) is fetched as one.
        sdist = f"{name}-{version}.tar.gz"

        def cached():
            return [f for f in os.listdir(CACHE)
                    if (f.startswith(prefix) and f.endswith(".whl")) or f == sdist]

        found = cached()
        if not found:
            print(f"== pip download {name}=={version}", file=sys.stderr)
            wheel = subprocess.run(
                [sys.executable, "-m", "pip", "download", "-q", "--no-deps",
                 "--only-binary=:all:", "-d", CACHE, f"{name}=={version}"],
                stderr=subprocess.DEVNULL,
            )
            if wheel.returncode != 0:
                subprocess.run(
                    [sys.executable, "-m", "pip", "download", "-q", "--no-deps",
                     "--no-binary=:all:", "-d", CACHE, f"{name}=={version}"],
                    check=True,
                )
            found = cached()
        return os.path.join(CACHE, found[0])
    sys.exit(f"unknown registry {registry}")


def members(archive, wanted=()):
    """path -> bytes of every .lua file in a .tgz or a wheel, and of the paths in `wanted`."""
    out = {}
    keep = lambda n: n.endswith(".lua") or n in wanted
    if archive.endswith(".whl"):
        with zipfile.ZipFile(archive) as z:
            for n in z.namelist():
                if keep(n):
                    out[n] = z.read(n)
    else:
        with tarfile.open(archive) as t:
            for m in t.getmembers():
                if m.isfile() and keep(m.name):
                    out[m.name] = t.extractfile(m).read()
    return out


def fetch():
    packages, files = read_sources()
    missing = [f for f in files if not intact(*f)]
    for (name, version), registry in packages.items():
        wanted = [f for f in missing if (f[0], f[1]) == (name, version)]
        if not wanted:
            continue
        content = members(download(registry, name, version), {f[3] for f in wanted})
        for _, _, sha, path in wanted:
            data = content.get(path)
            if data is None:
                sys.exit(f"{name} {version}: no file {path} in the package")
            if sha256(data) != sha:
                sys.exit(f"{name} {version}: {path}: sha256 {sha256(data)}, SOURCES says {sha}")
            out = target(name, version, path)
            os.makedirs(os.path.dirname(out), exist_ok=True)
            with open(out, "wb") as f:
                f.write(data)
    check()


def check():
    packages, files = read_sources()
    bad = [f for f in files if not intact(*f)]
    if bad:
        sys.exit(f"corpus: {len(bad)} of {len(files)} files missing or changed, e.g. "
                 f"{target(bad[0][0], bad[0][1], bad[0][3])}; run .ci/fetch-corpus")
    print(f"corpus: {len(files)} files of {len(packages)} packages intact in target/corpus")


def list_package(name, version):
    """SOURCES lines for every .lua of an already downloaded package (maintainers' aid)."""
    packages, _ = read_sources()
    registry = packages[(name, version)]
    content = members(download(registry, name, version))
    for path in sorted(content):
        kind = "include" if "/includes/" in path else "script"
        print(f"{kind} {name} {version} {sha256(content[path])} {path}")


if __name__ == "__main__":
    cmd = sys.argv[1] if len(sys.argv) > 1 else "fetch"
    if cmd == "fetch":
        fetch()
    elif cmd == "check":
        check()
    elif cmd == "list":
        list_package(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
