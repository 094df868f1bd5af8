#!/usr/bin/env bash
# Vendor MathJax 3 into book/_vendor/mathjax so that the built book renders
# equations without reaching any outside server.
#
# The copy is fetched from the npm registry with `npm pack` (no node_modules,
# nothing committed) and only its es5/ bundle is kept. _config.yml lists
# book/_vendor in html_static_path and sets mathjax_path to
# mathjax/tex-chtml.js; MathJax then loads its fonts and extensions from
# _static/mathjax/ next to that file.
#
# It lives outside book/_static on purpose: Jupyter Book 1 would add every
# .js/.css found under a root _static folder to every page.
#
# Usage: scripts/vendor_mathjax.sh [--force]
# Environment: MATHJAX_VERSION (default 3.2.2), NPM (default npm).
set -euo pipefail

VERSION="${MATHJAX_VERSION:-3.2.2}"
NPM="${NPM:-npm}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DEST="$ROOT/book/_vendor/mathjax"
STAMP="$DEST/.version"

if [[ "${1:-}" != "--force" && -f "$STAMP" && "$(cat "$STAMP")" == "$VERSION" \
      && -f "$DEST/tex-chtml.js" ]]; then
    exit 0
fi

if ! command -v "$NPM" >/dev/null 2>&1; then
    echo "error: npm not found; it is needed once to fetch MathJax $VERSION" >&2
    echo "       (Debian: apt-get install npm), then re-run: make book" >&2
    exit 1
fi

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

echo "vendoring MathJax $VERSION into book/_vendor/mathjax"
(cd "$TMP" && "$NPM" pack --silent "mathjax@$VERSION" >/dev/null)
TARBALL="$(ls "$TMP"/mathjax-*.tgz)"
tar -xzf "$TARBALL" -C "$TMP"

rm -rf "$DEST"
mkdir -p "$DEST"
# es5/ holds the combined components, the input/output jax, the chtml fonts
# (output/chtml/fonts/woff-v2), the accessibility and menu components.
# Only the tex-chtml combined component and the lazily loaded parts it may
# ask for are kept (the other combined bundles would double the size).
SRC="$TMP/package/es5"
cp "$SRC/tex-chtml.js" "$DEST/"
for dir in input output a11y ui adaptors sre; do
    cp -R "$SRC/$dir" "$DEST/$dir"
done
rm -rf "$DEST/output/svg" "$DEST/output/svg.js"
cp "$TMP/package/LICENSE" "$DEST/LICENSE"
# The speech-rule engine's maps (sre/) are only loaded by the explorer,
# which the book leaves off; they are kept so that turning it on in the
# MathJax menu still works offline.
printf '%s' "$VERSION" > "$STAMP"
test -f "$DEST/tex-chtml.js"
test -d "$DEST/output/chtml/fonts/woff-v2"
echo "MathJax $VERSION ready ($(du -sh "$DEST" | cut -f1))"
