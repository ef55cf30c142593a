#!/usr/bin/env bash
# Usage: Benchmarks/allow-configure.sh CONFIG_DIR
# The bench config (from ../shared/bench/to_clientele.py) gives its admins no
# 'configure', which `apply` needs; this adds a file with the one rule that does,
# so `clientele apply --config CONFIG_DIR --as U0001` can create the store.
set -euo pipefail
cat > "$1/configure.yaml" <<'YAML'
rules:
  - id: admin-configures
    description: admins apply config versions and run the pools' automatic return
    allow: [configure, sweep]
    when: '"admin" in user.roles'
YAML
echo "wrote $1/configure.yaml"
