#!/usr/bin/env bash
# Usage: Benchmarks/mass-operations.sh BINARY DATA WORK
# The weekly data administration at 1M: on a fresh store of DATA's 1M customers
# (../shared/bench, as in docs/performance.md), an upsert import of 100,000 changed
# rows (`import --update`), then a mass transfer of the customers it changed
# (`customer transfer --where`), a mass edit, `customer duplicates`, and new customers
# checked by matching rules (`customer add`, `import`), each under /usr/bin/time
# (time and memory).
# The bench config gives its admins neither 'configure', 'assign' nor 'create': a file adds them.
set -euo pipefail
bin=$1 data=$2 work=$3
rm -rf "$work" && mkdir -p "$work"
cp "$data"/clientele/{access,clientele,org,schema}.yaml "$work"/
sed -i "s|^store: .*|store: $work/.store|" "$work/clientele.yaml"
cat > "$work/configure.yaml" <<'YAML'
rules:
  - id: admin-configures
    allow: [configure, sweep, assign, create]
    when: '"admin" in user.roles'
YAML
"$bin" apply --config "$work" --as U0001 --yes > /dev/null
"$bin" import "$data/clientele-customers.jsonl" --config "$work" --as U0001 --rejects "$work/rejects.jsonl" 2> /dev/null | tail -1
# The first command after an import writes the id index and the unique values.
"$bin" visible U0002 --count --config "$work" > /dev/null
# 100,000 rows, each changing the billing city of one of the first 100,000 ids of the
# file (those the import refused are added by the upsert, and refused: they give no name).
head -n 100000 "$data/clientele-customers.jsonl" | sed -E 's/^\{"id":"([^"]+)".*/{"id":"\1","fields":{"billingCity":"Upserted"}}/' > "$work/update.jsonl"
measure() { /usr/bin/time -f "%e s elapsed, %U s user, %S s system, %M KB max resident" "$@"; }
echo "== import --update (100,000 rows)"
measure "$bin" import "$work/update.jsonl" --update --config "$work" --as U0001 --rejects "$work/update-rejects.jsonl" --format json > "$work/update.out"
head -c 120 "$work/update.out"; echo
echo "== customer transfer --where (the customers the upsert changed)"
measure "$bin" customer transfer --where 'customer.billingCity == "Upserted"' --to U0002 --config "$work" --as U0001 --yes > "$work/transfer.out"
head -n 3 "$work/transfer.out"
echo "== customer edit --where (the same customers)"
measure "$bin" customer edit --where 'customer.billingCity == "Upserted"' billingCity=Edited --config "$work" --as U0001 --yes
echo "== customer duplicates (same phone over 1M)"
cat >> "$work/configure.yaml" <<'YAML'
duplicates:
  - id: same-phone
    table: individual
    match: [phone1]
    normalize: digits
YAML
"$bin" apply --config "$work" --as U0001 --yes > /dev/null
measure "$bin" customer duplicates --rule same-phone --config "$work" --as U0001 > "$work/duplicates.out"
tail -n 1 "$work/duplicates.out"
# New customers against the matching rules: the first command after the apply makes
# the value index again with the rules' keys; the next finds the index made. Each new
# customer is a stored one's line without its id, with a new e-mail (a unique field).
again() { # again PATTERN COUNT OUT TAG: the first COUNT lines holding PATTERN, as new customers
  awk -v pattern="$1" -v count="$2" -v tag="$4" 'index($0, pattern) {
      n++; sub(/^\{"id":"[^"]+",/, "{"); sub(/"email":"[^"]*"/, "\"email\":\"again" tag n "@example.com\""); print
      if (n == count) exit
    }' "$data/clientele-customers.jsonl" > "$3"
}
again '"table":"individual"' 1 "$work/one.jsonl" a
again '"table":"individual"' 1 "$work/two.jsonl" b
echo "== import of one new customer with a stored phone (the index made again with the rule's keys)"
measure "$bin" import "$work/one.jsonl" --config "$work" --as U0001
echo "== import of one new customer with a stored phone (the index made)"
measure "$bin" import "$work/two.jsonl" --config "$work" --as U0001
cat >> "$work/configure.yaml" <<'YAML'
  - id: similar-organizations
    table: organization
    match: [name]
    fuzzy: 0.9
YAML
"$bin" apply --config "$work" --as U0001 --yes > /dev/null
again '"table":"organization"' 1 "$work/org-one.jsonl" c
again '"table":"organization"' 1 "$work/org-two.jsonl" d
echo "== import of one new organization alike stored ones (a fuzzy rule; the index made again)"
measure "$bin" import "$work/org-one.jsonl" --config "$work" --as U0001
echo "== import of one new organization alike stored ones (a fuzzy rule; crowded blocks)"
measure "$bin" import "$work/org-two.jsonl" --config "$work" --as U0001
echo "== import of 10,000 new customers, each alike a stored one (the rules warn)"
again '"id"' 10000 "$work/again.jsonl" e
measure "$bin" import "$work/again.jsonl" --config "$work" --as U0001 --rejects "$work/again-rejects.jsonl" --format json > "$work/again.out" 2> "$work/again.err"
tail -c 300 "$work/again.out"; echo
