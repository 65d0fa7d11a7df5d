#!/usr/bin/env bash
# Optional system tools: graphviz's `dot` (rendering draw_dot) and bubblewrap (the `namespace`
# isolation level). mgrade works without them and says so; this only installs them where it can.
set -u
missing=()
command -v dot   >/dev/null 2>&1 || missing+=(graphviz)
command -v bwrap >/dev/null 2>&1 || missing+=(bubblewrap)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "system-deps: installing ${missing[*]} with apt-get"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}") >/dev/null 2>&1 \
        || echo "system-deps: apt-get could not install ${missing[*]}; continuing without them"
else
    echo "system-deps: not installed: ${missing[*]}. mgrade still works:"
    echo "  - without graphviz, draw_dot(...).source works but rendering to SVG/PNG does not;"
    echo "  - without bubblewrap, student code runs at a weaker isolation level (see docs/SECURITY.md)."
    echo "  Install them with your package manager (e.g. 'sudo apt-get install graphviz bubblewrap')."
fi
exit 0
