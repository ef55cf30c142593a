#!/usr/bin/env bash
# Validation benchmark: Clientele next to jsonschema-rs on the same file, in one sitting.
#   Benchmarks/validate-records.sh [N] [DATA_DIR]     (default N=100000, DATA_DIR=/tmp/crm-anchor-data/nN)
# Needs ../shared/bench beside this repository, python3, and
#   pip install cedarpy==4.12.2 jsonschema-rs==0.60.3 fastjsonschema==2.22.3
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bench=$(cd "$here/../../shared/bench" && pwd)
n=${1:-100000}
data=${2:-/tmp/crm-anchor-data/n$n}
if [ ! -f "$data/clientele-customers.jsonl" ]; then
  python3 "$bench/gen.py" --customers "$n" --out "$data" > /dev/null
  python3 "$bench/to_clientele.py" "$data"
fi
swift build -c release --package-path "$here/.." --product clientele-bench > /dev/null
sha256sum "$data/customers.jsonl"
"$here/../.build/release/clientele-bench" validate-records --data "$data" --runs 5
(cd "$bench" && python3 bench.py --data "$data" --only c,d --runs 3 --no-parsed --results "$data/anchor-results.json")
"$here/../.build/release/clientele-bench" validate-records --data "$data" --runs 5
