"""The corpus of real Redis scripts and function libraries: tests/corpus/SOURCES says which
files of which registry packages (pinned versions) with which sha256; this fetches, checks
and extracts them into target/corpus/<package>-<version>/<path> (a library into
target/corpus/<package>-<version>/libraries/<name>.lua).

    python3 .ci/corpus.py fetch    # fetch what is missing, check everything (.ci/fetch-corpus)
    python3 .ci/corpus.py check    # exit 1 unless every file is present and intact
    python3 .ci/corpus.py list PACKAGE VERSION   # print SOURCES lines for a downloaded package

SOURCES lines:
    package REGISTRY NAME VERSION LICENSE PROJECT UPSTREAM
        REGISTRY: npm, pypi (a wheel, else the source archive), pypi-sdist (the source
        archive: tests and docs are only there; fetched as a file, never built, pinned
        in SDIST_SHA256) or crates (fetched by `cargo fetch`)
    script|include|finding|reference NAME VERSION SHA256 PATH-IN-PACKAGE
    (finding: a script the compile-time checks reject, listed in tests/corpus/FINDINGS;
    reference: a file the tests compare with, e.g. BullMQ's own composition of a command)
    library NAME VERSION SHA256 OUT PATH-IN-PACKAGE HOW [ARG ...]
    (a Redis Functions library, written to libraries/OUT.lua; SHA256 is that of the
    library's bytes. HOW says how they are taken from the file, see `extract`; the line is
    split as a shell would, and each ARG is then unescaped as a Python string (\\n is a
    newline), so `#` in an ARG is no comment)
"""

import ast
import glob
import hashlib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tarfile
import tempfile
import textwrap
import urllib.request
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SOURCES = os.path.join(ROOT, "tests", "corpus", "SOURCES")
DEST = os.path.join(ROOT, "target", "corpus")
CACHE = os.path.join(DEST, ".packages")
# The source archives fetched from PyPI, pinned by sha256 (SOURCES pins the files taken
# from them). A new `pypi-sdist` package (or a wheel-less `pypi` one) needs its line here;
# the fetch says which sha256 the index reports.
SDIST_SHA256 = {
    ("coredis", "6.9.0"): "041a8e93f637deb702b9fdf20656e856069ae53ae17ff51db078934afad0cc52",
    ("fakeredis", "2.40.0"): "16eb05a3e97c37a033c73d1da7e885eb2aa47ba7604cc377144339efa2780a02",
    ("redis", "8.1.0"): "6e1a19beef9225c83efd689c7e6b7da2d5215b1f42cd13b7fc3714d0a09c7b25",
    ("redis-lua-py", "0.13.0"):
        "ce6d53e00e817ea538bc3ae1543bff42af4ff0af5011b44e1e2db89ee347af7c",
    ("hot-redis", "0.3"): "b22cb778f8db0ea95f001ba5935635136be3f86f298d4830d5c5a9e785929ed8",
}


class File:
    """One file to extract: `path` in package `name` `version`, written to `out` (relative
    to the package's directory in target/corpus) after `how` took its bytes."""

    def __init__(self, name, version, sha, path, out=None, how="file", args=()):
        self.name, self.version, self.sha, self.path = name, version, sha, path
        self.out = out or path
        self.how, self.args = how, tuple(args)


def read_sources():
    packages, files = {}, []
    with open(SOURCES, encoding="utf-8") as f:
        for raw in f:
            if raw.startswith("library "):
                words = shlex.split(raw)
                _, name, version, sha, out, path, how, *args = words
                args = [a.encode("latin-1", "backslashreplace").decode("unicode_escape")
                        for a in args]
                files.append(File(name, version, sha, path, f"libraries/{out}.lua", how, args))
                continue
            line = raw.split("#", 1)[0].split()
            if not line:
                continue
            if line[0] == "package":
                _, registry, name, version, license_, project, upstream = line
                packages[(name, version)] = registry
            elif line[0] in ("script", "include", "finding", "reference"):
                _, name, version, sha, path = line
                files.append(File(name, version, sha, path))
            else:
                sys.exit(f"{SOURCES}: unknown line: {raw.strip()}")
    return packages, files


def safe(name):
    """A package name as one directory name: `@scope/name` -> `@scope+name`."""
    return name.replace("/", "+")


def target(file):
    return os.path.join(DEST, f"{safe(file.name)}-{file.version}", file.out)


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def intact(file):
    try:
        with open(target(file), "rb") as f:
            return sha256(f.read()) == file.sha
    except OSError:
        return False


def extract(file, data):
    """The bytes `file` takes from `data`, the whole file for `how == "file"`; else a
    library embedded in source text, as its project's code or tests send it:
      between START END         the text after the first START up to the next END
      between-dedent START END  the same, then textwrap.dedent (a docstring's example)
      pyconst NAME              a Python module's string constant NAME = "..." "..."
      redis-py NAME             redis-py's tests: f"#!{engine} name={lib} \\n {NAME}"
      strlit LINE               the "#!lua ..." literal on line LINE, its \\n unescaped
      jsdoc FIRST LAST          lines FIRST..LAST with the comment's leading `* ` removed
    """
    if file.how == "file":
        return data
    text = data.decode("utf-8")
    a = file.args
    if file.how in ("between", "between-dedent"):
        start = text.index(a[0]) + len(a[0])
        lib = text[start:text.index(a[1], start)]
        if file.how == "between-dedent":
            lib = textwrap.dedent(lib)
    elif file.how == "pyconst":
        lib = pyconst(text, a[0])
    elif file.how == "redis-py":
        lib = f"#!{pyconst(text, 'engine')} name={pyconst(text, 'lib')} \n {pyconst(text, a[0])}"
    elif file.how == "strlit":
        line = text.splitlines()[int(a[0]) - 1]
        literal = line[line.index('"#!lua') + 1:line.rindex('"')]
        lib = literal.replace("\\n", "\n")
        if "\\" in lib:
            sys.exit(f"{file.name} {file.version}: {file.path}:{a[0]}: escapes other than \\n")
    elif file.how == "jsdoc":
        lines = text.splitlines(keepends=True)[int(a[0]) - 1:int(a[1])]
        lib = "".join(l.lstrip(" \t").removeprefix("* ") for l in lines)
    else:
        sys.exit(f"{SOURCES}: unknown way to extract a library: {file.how}")
    return lib.encode("utf-8")


def pyconst(text, name):
    """The value of a module-level `name = <string literal>` of Python source."""
    for node in ast.parse(text).body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == name:
            return ast.literal_eval(node.value)
    raise KeyError(name)


def download(registry, name, version):
    """The package archive, downloaded once into target/corpus/.packages."""
    os.makedirs(CACHE, exist_ok=True)
    if registry == "crates":
        return download_crate(name, version)
    if registry == "npm":
        archive = os.path.join(CACHE, f"{safe(name)}-{version}.tgz")
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
    if registry in ("pypi", "pypi-sdist"):
        prefix = name.replace("-", "_") + "-" + version + "-"
        # A release published only as a source archive (hot-redis 0.3) is fetched as one.
        sdists = (f"{name}-{version}.tar.gz", f"{name.replace('-', '_')}-{version}.tar.gz")
        sdist_only = registry == "pypi-sdist"

        def cached():
            return [f for f in os.listdir(CACHE)
                    if (not sdist_only and f.startswith(prefix) and f.endswith(".whl"))
                    or f in sdists]

        found = cached()
        if not found:
            wheel = None
            if not sdist_only:
                print(f"== pip download {name}=={version}", file=sys.stderr)
                wheel = subprocess.run(
                    [sys.executable, "-m", "pip", "download", "-q", "--no-deps",
                     "--only-binary=:all:", "-d", CACHE, f"{name}=={version}"],
                    stderr=subprocess.DEVNULL,
                )
            if wheel is None or wheel.returncode != 0:
                download_sdist(name, version)
            found = cached()
        return os.path.join(CACHE, found[0])
    sys.exit(f"unknown registry {registry}")


def download_sdist(name, version):
    """A source archive from the index pip uses ($PIP_INDEX_URL, else PyPI), fetched as a
    file and checked against SDIST_SHA256. Not `pip download --no-binary`: pip runs the
    archive's build backend to read its metadata, and coredis's builds maturin and mypy
    from source (minutes on a fresh machine). The index's JSON form (PEP 691, what pip
    itself reads) lists each file's URL and sha256."""
    index = os.environ.get("PIP_INDEX_URL", "https://pypi.org/simple").rstrip("/")
    project = re.sub(r"[-_.]+", "-", name).lower()
    print(f"== fetching {name}=={version} (source archive) from {index}", file=sys.stderr)
    request = urllib.request.Request(
        f"{index}/{project}/", headers={"Accept": "application/vnd.pypi.simple.v1+json"})
    with urllib.request.urlopen(request, timeout=120) as response:
        files = json.load(response)["files"]
    stem = re.compile(re.escape(project).replace("\\-", "[-_.]") + "-" + re.escape(version)
                      + r"\.tar\.gz", re.IGNORECASE)
    found = [f for f in files if stem.fullmatch(f["filename"])]
    if not found:
        sys.exit(f"{name} {version}: no source archive on {index}")
    url, listed = found[0]["url"], found[0]["hashes"].get("sha256")
    pinned = SDIST_SHA256.get((name, version))
    if pinned is None:
        sys.exit(f"{name} {version}: add ({name!r}, {version!r}): {listed!r} to SDIST_SHA256 "
                 f"in .ci/corpus.py (the sha256 {index} lists)")
    with urllib.request.urlopen(url, timeout=300) as response:
        data = response.read()
    if sha256(data) != pinned:
        sys.exit(f"{name} {version}: {url}: sha256 {sha256(data)}, .ci/corpus.py pins {pinned}")
    # Saved under the name download() looks for.
    archive = os.path.join(CACHE, f"{name}-{version}.tar.gz")
    with open(archive + ".tmp", "wb") as f:
        f.write(data)
    os.replace(archive + ".tmp", archive)


def download_crate(name, version):
    """A crate's .crate archive, through cargo itself: `cargo fetch` of a throwaway
    manifest that depends on exactly that version (cargo downloads its dependencies too,
    into its own cache), then the archive from cargo's cache."""
    archive = os.path.join(CACHE, f"{name}-{version}.crate")
    if os.path.exists(archive):
        return archive
    print(f"== cargo fetch {name}@{version}", file=sys.stderr)
    host = next(l.split()[1] for l in subprocess.run(
        ["rustc", "-vV"], check=True, capture_output=True, text=True).stdout.splitlines()
        if l.startswith("host:"))
    with tempfile.TemporaryDirectory(dir=CACHE) as tmp:
        with open(os.path.join(tmp, "Cargo.toml"), "w", encoding="utf-8") as f:
            f.write("[package]\nname = \"corpus-fetch\"\nversion = \"0.0.0\"\n"
                    "edition = \"2021\"\n[lib]\npath = \"lib.rs\"\n[dependencies]\n"
                    f"{name} = {{ version = \"={version}\", default-features = false }}\n"
                    "[workspace]\n")
        open(os.path.join(tmp, "lib.rs"), "w").close()
        subprocess.run(["cargo", "fetch", "-q", "--target", host,
                        "--manifest-path", os.path.join(tmp, "Cargo.toml")], check=True)
    home = os.environ.get("CARGO_HOME", os.path.expanduser("~/.cargo"))
    found = glob.glob(os.path.join(home, "registry", "cache", "*", f"{name}-{version}.crate"))
    if not found:
        sys.exit(f"cargo fetch {name}@{version}: no {name}-{version}.crate in {home}")
    shutil.copyfile(found[0], archive)
    return archive


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
    missing = [f for f in files if not intact(f)]
    for (name, version), registry in packages.items():
        wanted = [f for f in missing if (f.name, f.version) == (name, version)]
        if not wanted:
            continue
        content = members(download(registry, name, version), {f.path for f in wanted})
        for file in wanted:
            data = content.get(file.path)
            if data is None:
                sys.exit(f"{name} {version}: no file {file.path} in the package")
            data = extract(file, data)
            if sha256(data) != file.sha:
                sys.exit(f"{name} {version}: {file.out}: sha256 {sha256(data)}, "
                         f"SOURCES says {file.sha}")
            out = target(file)
            os.makedirs(os.path.dirname(out), exist_ok=True)
            with open(out, "wb") as f:
                f.write(data)
    check()


def check():
    packages, files = read_sources()
    bad = [f for f in files if not intact(f)]
    if bad:
        sys.exit(f"corpus: {len(bad)} of {len(files)} files missing or changed, e.g. "
                 f"{target(bad[0])}; run .ci/fetch-corpus")
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
