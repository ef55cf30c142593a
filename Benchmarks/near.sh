#!/usr/bin/env bash
# Usage: Benchmarks/near.sh BINARY DATA WORK
# Customers near a point at 1M: on a fresh store of DATA's 1M customers (../shared/bench,
# as in docs/performance.md; their billing latitude and longitude are spread over the
# globe), `customer list --near` at 5 km and at 500 km, and the same 5 km asked as a
# `--where` over the latitude and longitude (a box around the point), each under
# /usr/bin/time (time and memory), as an admin (who may view every customer).
set -euo pipefail
bin=$1 data=$2 work=$3
rm -rf "$work" && mkdir -p "$work"
cp "$data"/clientele/{access,clientele,org,schema}.yaml "$work"/
sed -i "s|^store: .*|store: $work/.store|" "$work/clientele.yaml"
cat > "$work/configure.yaml" <<'YAML'
rules:
  - id: admin-configures
    allow: [configure]
    when: '"admin" in user.roles'
YAML
"$bin" apply --config "$work" --as U0001 --yes > /dev/null
"$bin" import "$data/clientele-customers.jsonl" --config "$work" --as U0001 --rejects "$work/rejects.jsonl" 2> /dev/null | tail -1
# The first command after an import writes the id index and the access columns.
"$bin" visible U0001 --count --config "$work" > /dev/null
measure() { /usr/bin/time -f "%e s elapsed, %U s user, %S s system, %M KB max resident" "$@"; }
# A point where stored customers are: the first customer's location.
point=$(head -n 1 "$data/clientele-customers.jsonl" | sed -E 's/.*"billingLat":([-0-9.]+).*"billingLng":([-0-9.]+).*/\1,\2/')
lat=${point%,*} lng=${point#*,}
echo "point $point"
echo "== customer list --near (5 km), the first: the value index is made with the grid cells"
measure "$bin" customer list --near "$point" --config "$work" --as U0001 --format json > "$work/near-first.json"
echo "== customer list --near (5 km), with the index made"
for k in 1 2 3; do measure "$bin" customer list --near "$point" --config "$work" --as U0001 --format json > "$work/near.json"; done
python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))), 'customers within 5 km')" "$work/near.json"
echo "== customer list --near (500 km)"
measure "$bin" customer list --near "$point" --radius 500 --config "$work" --as U0001 --format json > "$work/near500.json"
python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))), 'customers within 500 km')" "$work/near500.json"
# The same 5 km as a box over the latitude and longitude (a little wider than the circle).
box=$(python3 -c "import math; lat,lng=$lat,$lng; d=5/111.2; e=d/max(0.01,math.cos(math.radians(abs(lat)+d))); print(f'customer.billingLat >= {lat-d} and customer.billingLat <= {lat+d} and customer.billingLng >= {lng-e} and customer.billingLng <= {lng+e}')")
echo "== customer list --where (the same 5 km as a box)"
measure "$bin" customer list --where "$box" --config "$work" --as U0001 --format json > "$work/box.json"
python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))), 'customers in the box')" "$work/box.json"
