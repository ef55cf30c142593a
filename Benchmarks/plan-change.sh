#!/bin/sh
# Writes DATA/clientele-next: the bench config (DATA/clientele, from to_clientele.py)
# with a typical change, pointed at DATA/clientele's store, for timing
# `clientele plan --config DATA/clientele-next`.
#   groups (default): an option renamed with was: (paymentTerm net15 -> net-15),
#     a tighter range (employees max 100000 -> 50000), one permission group
#     widened (G1: two more departments) and one narrowed (G5: view only).
#   rules: the same, and the sharing rule turned into a deny (every user compared).
#   clean: the groups change without the tighter range, so that it can be applied.
#   owner: the data changes of groups, and service reps no longer view or edit
#     their customers (one rule narrowed; no group changed).
set -eu
DATA=${1:?usage: plan-change.sh DATA [groups|rules|clean|owner]}
KIND=${2:-groups}
SRC="$DATA/clientele"
DST="$DATA/clientele-next"
. "$(dirname "$0")/copy-config.sh"
copy_config "$SRC" "$DST"
sed -i 's/"net15"/{value: "net-15", was: ["net15"]}/' "$DST/schema.yaml"
if [ "$KIND" != clean ]; then sed -i 's/employees: { min: 1, max: 100000 }/employees: { min: 1, max: 50000 }/' "$DST/schema.yaml"; fi
python3 - "$DST/access.yaml" "$KIND" <<'PY'
import sys
path, kind = sys.argv[1], sys.argv[2]
s = open(path).read()
if kind == "owner":
    s = s.replace("when: account_executive or customer_service_rep", "when: account_executive")
    open(path, "w").write(s)
    sys.exit(0)
g1 = s.index('id: "G1"')
s = s[:g1] + s[g1:].replace('customers: { departments: [', 'customers: { departments: ["D01", "D02", ', 1)
g5 = s.index('id: "G5"')
s = s[:g5] + s[g5:].replace('grants: ["view", "edit"]', 'grants: ["view"]', 1)
if kind == "rules":
    s = s.replace("  - id: shared\n    allow: [view]\n    when: shared", "  - id: shared\n    deny: [edit]\n    when: shared and not account_executive")
open(path, "w").write(s)
PY
echo "$DST"
