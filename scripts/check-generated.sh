#!/usr/bin/env bash
# Regenerates the code compiled from Protos/ and Data/ into the tree and fails if it differs from what is
# committed, or if new generated files appeared. CI runs it after every change.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/generate.sh

CHANGES=$(git status --porcelain --untracked-files=all -- Sources/Generated Sources/GeneratedC Sources/Domain/Catalog/EmbeddedCatalogData.swift)
if [[ -n "$CHANGES" ]]; then
  echo "error: generated code is out of date; run scripts/generate.sh and commit the result:" >&2
  git diff --stat HEAD -- Sources/Generated Sources/GeneratedC Sources/Domain/Catalog/EmbeddedCatalogData.swift >&2
  git status --porcelain --untracked-files=all -- Sources/Generated Sources/GeneratedC Sources/Domain/Catalog/EmbeddedCatalogData.swift | grep '^??' >&2 || true
  exit 1
fi
echo "generated code is up to date"
