#!/bin/sh
# Writes DATA/clientele-pools: the bench config (DATA/clientele, from to_clientele.py)
# with one pool per team that receives the customers of departments D01-D06 back
# after 30 days without a follow-up (warning 3 days ahead, `vip` exempt), pointed
# at DATA/clientele's store, for timing `clientele pool sweep` on it; and a rule
# that lets pool members view and claim.
set -eu
DATA=${1:?usage: sweep-pools.sh DATA}
SRC="$DATA/clientele"
DST="$DATA/clientele-pools"
. "$(dirname "$0")/copy-config.sh"
copy_config "$SRC" "$DST"
{
  echo "pools:"
  for team in T1 T2; do
    cat <<YAML
  - id: sea-$team
    team: $team
    admins: { roles: [pool-admin] }
    members: { roles: [sales] }
    receives: { departments: [D01, D02, D03, D04, D05, D06] }
    claim: { max_held: 5000, max_per_day: 50, cooldown_days: 30 }
    auto_return: { no_followup_days: 30, warn_days_before: 3, exempt_tags: [vip] }
YAML
  done
} > "$DST/pools.yaml"
# The bench rules say nothing of pools: members see and claim what sits in theirs.
cat >> "$DST/access.yaml" <<'YAML'
  - id: pool-members
    allow: [view, claim]
    when: in_pool and pool_member
YAML
echo "$DST"
