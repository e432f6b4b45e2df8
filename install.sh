#!/usr/bin/env bash
# Build kubectl-porch-registry in release mode and install it where kubectl finds it.
#
# Usage: ./install.sh [--prefix DIR] [--binary PATH]
#
#   --prefix DIR    install under DIR (default: ~/.local, or /usr/local when run as root)
#   --binary PATH   install this already-built binary instead of running
#                   `cargo build --release --locked` (used by the tests with the debug build)
#
# Installs:
#   DIR/bin/kubectl-porch_registry            the plugin (kubectl maps `porch-registry` to this)
#   DIR/bin/kubectl_complete-porch_registry   the completer kubectl runs for `kubectl porch-registry <TAB>`
#   DIR/share/bash-completion/completions/kubectl-porch_registry
#   DIR/share/zsh/site-functions/_kubectl-porch_registry
#   DIR/share/fish/vendor_completions.d/kubectl-porch_registry.fish
#   DIR/share/man/man1/kubectl-porch-registry*.1
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
plugin=kubectl-porch_registry
completer=kubectl_complete-porch_registry

usage() {
    sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'
}

# die: a usage error (exit 2); fail: anything else (exit 1).
die() {
    echo "error: $*" >&2
    exit 2
}
fail() {
    echo "error: $*" >&2
    exit 1
}

prefix=""
binary=""
while [ "$#" -gt 0 ]; do
    case "$1" in
    --prefix) [ "$#" -ge 2 ] || die "--prefix needs a directory, e.g. --prefix ~/.local"; prefix=$2; shift 2 ;;
    --prefix=*) prefix=${1#--prefix=}; shift ;;
    --binary) [ "$#" -ge 2 ] || die "--binary needs the path of a built binary"; binary=$2; shift 2 ;;
    --binary=*) binary=${1#--binary=}; shift ;;
    -h | --help) usage; exit 0 ;;
    *) die "unknown argument '$1'; see ./install.sh --help" ;;
    esac
done

if [ -z "$prefix" ]; then
    if [ "$(id -u)" -eq 0 ]; then
        prefix=/usr/local
    else
        [ -n "${HOME:-}" ] || die "HOME is not set; pass --prefix DIR"
        prefix=$HOME/.local
    fi
fi
[ -n "$prefix" ] || die "--prefix is empty; pass a directory"
case "$prefix" in /*) ;; *) prefix=$PWD/$prefix ;; esac

if [ -z "$binary" ]; then
    command -v cargo >/dev/null 2>&1 || fail "cargo is not on PATH; install the Rust toolchain (https://rustup.rs) or pass --binary PATH"
    echo "==> cargo build --release --locked" >&2
    (cd "$here" && cargo build --release --locked)
    binary=${CARGO_TARGET_DIR:-$here/target}/release/kubectl-porch-registry
fi
[ -f "$binary" ] && [ -x "$binary" ] || die "$binary: not an executable file; build it first or fix --binary"
# Refuse a broken binary before touching the prefix.
"$binary" --version >/dev/null || fail "$binary --version failed; the binary does not run on this machine"

for f in "$here/completions/$completer" "$here/man/man1/kubectl-porch-registry.1"; do
    [ -f "$f" ] || fail "$f is missing; run install.sh from a complete checkout"
done

bin_dir=$prefix/bin
bash_dir=$prefix/share/bash-completion/completions
zsh_dir=$prefix/share/zsh/site-functions
fish_dir=$prefix/share/fish/vendor_completions.d
man_dir=$prefix/share/man/man1
mkdir -p "$bin_dir" "$bash_dir" "$zsh_dir" "$fish_dir" "$man_dir" ||
    fail "cannot create directories under $prefix; choose another --prefix or run as root"

# put SRC DEST MODE: copy through a temporary file in the same directory, then rename, so a
# running plugin is never overwritten in place and an interrupted install leaves no half file.
put() {
    local tmp
    tmp=$(mktemp "$(dirname "$2")/.install.XXXXXX")
    if cp "$1" "$tmp" && chmod "$3" "$tmp" && mv -f "$tmp" "$2"; then
        echo "  $2" >&2
    else
        rm -f "$tmp"
        fail "cannot write $2"
    fi
}

# put_output DEST MODE COMMAND...: like put, with the file's content from COMMAND's stdout.
put_output() {
    local dest=$1 mode=$2 tmp
    shift 2
    tmp=$(mktemp "$(dirname "$dest")/.install.XXXXXX")
    if "$@" >"$tmp" && chmod "$mode" "$tmp" && mv -f "$tmp" "$dest"; then
        echo "  $dest" >&2
    else
        rm -f "$tmp"
        fail "cannot write $dest"
    fi
}

echo "==> installing into $prefix" >&2
put "$binary" "$bin_dir/$plugin" 0755
put "$here/completions/$completer" "$bin_dir/$completer" 0755
put_output "$bash_dir/$plugin" 0644 "$binary" completions bash
put_output "$zsh_dir/_$plugin" 0644 "$binary" completions zsh
put_output "$fish_dir/$plugin.fish" 0644 "$binary" completions fish
for page in "$here"/man/man1/*.1; do
    put "$page" "$man_dir/$(basename "$page")" 0644
done

# A file named kubectl-porch-registry (dash) is reached only as `kubectl porch registry`;
# an old copy beside the new one would show up in `kubectl plugin list` as a second plugin.
if [ -e "$bin_dir/kubectl-porch-registry" ]; then
    echo "warning: $bin_dir/kubectl-porch-registry is an old install under the wrong name (kubectl runs it as 'kubectl porch registry'); remove it" >&2
fi

case ":$PATH:" in
*":$bin_dir:"*) ;;
*) echo "note: $bin_dir is not on your PATH; add it: export PATH=\"$bin_dir:\$PATH\"" >&2 ;;
esac
found=$(command -v "$plugin" 2>/dev/null || true)
if [ -n "$found" ] && [ "$found" != "$bin_dir/$plugin" ]; then
    echo "warning: $found comes first on your PATH and shadows $bin_dir/$plugin" >&2
fi

echo "installed $("$bin_dir/$plugin" --version); try: kubectl porch-registry --help" >&2
