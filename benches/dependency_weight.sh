#!/usr/bin/env bash
# Dependency weight of evalsha for a user: a tiny crate that depends on evalsha (path
# dependency on this checkout), without and with the `aio` feature, against the same crate
# depending on plain `redis` with the same redis features. For each: the number of crates
# it builds (normal dependencies, `cargo tree`), the crates evalsha adds, and the time of a
# clean `cargo build` (dev profile) in a fresh target dir, wall and CPU. The lock file starts from this
# repository's, so the versions are those the suite tests.
# Usage: benches/dependency_weight.sh        (a few minutes; builds four crates from scratch)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
OUT=target/dependency-weight
rm -rf "$OUT" && mkdir -p "$OUT"

make_crate() { # name evalsha-features redis-features
    local dir="$OUT/$1"
    mkdir -p "$dir/src"
    {
        printf '[package]\nname = "%s"\nversion = "0.0.0"\nedition = "2024"\npublish = false\n\n[workspace]\n\n[dependencies]\n' "$1"
        printf 'redis = { version = "1", features = [%s] }\n' "$3"
        if [ "$2" != none ]; then
            printf 'evalsha = { path = "%s", features = [%s] }\n' "$ROOT" "$2"
        fi
    } > "$dir/Cargo.toml"
    echo 'fn main() {}' > "$dir/src/main.rs"
    cp Cargo.lock "$dir/Cargo.lock"
}
make_crate plain-redis none ''
make_crate with-evalsha '' ''
make_crate plain-redis-tokio none '"tokio-comp"'
make_crate with-evalsha-aio '"aio"' '"tokio-comp"'

# The crates a build compiles besides the tiny crate itself.
crates() {
    (cd "$OUT/$1" && cargo tree -q -e normal --prefix none | sed 's/ (.*//; s/ (\*)//' \
        | grep -v "^$1 v" | sort -u)
}
for pair in "plain-redis with-evalsha" "plain-redis-tokio with-evalsha-aio"; do
    set -- $pair
    crates "$1" > "$OUT/$1.crates"
    crates "$2" > "$OUT/$2.crates"
    added=$(comm -13 "$OUT/$1.crates" "$OUT/$2.crates")
    echo "== $2 vs $1: $(wc -l < "$OUT/$1.crates") -> $(wc -l < "$OUT/$2.crates") crates; added ($(echo "$added" | grep -c .)):"
    echo "$added" | sed 's/^/   /' | paste -sd' '
done
for name in plain-redis with-evalsha plain-redis-tokio with-evalsha-aio; do
    # CPU time (user + sys) is the figure to compare on a shared machine; wall time
    # depends on what else runs.
    TIMEFORMAT="== clean cargo build of $name: %R s wall, %U s user + %S s sys CPU"
    time (cd "$OUT/$name" && CARGO_TARGET_DIR="$ROOT/$OUT/$name/target" cargo build -q)
done
