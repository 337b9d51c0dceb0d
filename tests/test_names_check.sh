#!/usr/bin/env bash
# ctest discovers the doctest cases by name into a CMake list: a ';' in a name splits it into
# tests that run nothing, a '[' or ']' breaks the whole list (every case of the binary is lost).
# Fails naming each such case.
set -euo pipefail
cd "$(dirname "$0")"
bad=$(grep -n -E 'TEST_CASE\("[^"]*[][;]' ./*.cpp abuse/*.cpp || true)
if [ -n "$bad" ]; then
  echo "test names that ctest cannot run as written:"
  echo "$bad"
  exit 1
fi
echo "test names: ok"
