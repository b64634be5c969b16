#!/bin/sh
# mypy cannot follow setuptools' editable finder, so give it the installed layout as links:
# .venv/typecheck/vpcdraw/{*.py, topology, render, deploy} point into the checkout.
set -eu
tree=.venv/typecheck/vpcdraw
rm -rf .venv/typecheck
mkdir -p "$tree"
for file in vpcdraw/*.py; do ln -s "$PWD/$file" "$tree/"; done
for package in topology render deploy; do ln -s "$PWD/$package" "$tree/$package"; done
