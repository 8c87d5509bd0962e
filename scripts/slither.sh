#!/usr/bin/env bash
# Static analysis of contracts/src with slither, at pinned versions (`make slither`; not part of `make test`).
#
#   1. slither-analyzer + crytic-compile, every package pinned in scripts/slither-requirements.txt, go into the
#      ignored venv .tools/slither-venv (once; again only when the requirements file changes).
#   2. src/ alone is built with `forge build --build-info --force` into an emptied contracts/out-slither
#      (ignored). Not out/: forge 1.7.1 leaves minimal build-info files (no input/output) in out/build-info on
#      every build, which crytic-compile cannot parse (KeyError 'output'); and not crytic-compile's own Foundry
#      build, which runs `forge clean` (wiping out/ and cache/) and compiles tests and scripts too (5+ min here
#      instead of ~30 s). See contracts/slither.triage.md.
#   3. slither reads that build (`--ignore-compile --foundry-out-directory out-slither`), config in
#      contracts/slither.config.json, and writes contracts/out-slither/slither.json.
#   4. Every High / Medium finding must be accepted, with its reason, in contracts/slither.triage.json (matched on
#      detector + description without source positions, so moving code does not need a new triage but changing
#      the flagged code does); contracts/slither.triage.md explains each. Low findings are listed, not fatal.
#
# Idempotent and offline once the venv exists. Exit status: 0 clean, 1 an unaccepted High/Medium finding or a
# tool failure.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
log() { printf '\033[1;34m[slither]\033[0m %s\n' "$*"; }

venv=.tools/slither-venv
req=scripts/slither-requirements.txt
[ -x .tools/bin/forge ] || { echo "forge is missing (.tools/bin/forge): run make setup" >&2; exit 1; }
if [ ! -x "$venv/bin/slither" ] || ! cmp -s "$req" "$venv/.bai-requirements"; then
  log "installing slither into $venv (pinned: $req)"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps -r "$req"
  cp "$req" "$venv/.bai-requirements"
fi
export PATH="$root/.tools/bin:$PATH" # crytic-compile runs `forge config --json`; forge finds solc via foundry.toml

cd contracts
out=out-slither
log "forge build --build-info of src/ into contracts/$out"
rm -rf "$out"
buildlog=$(mktemp)
../.tools/bin/forge build --build-info --force --skip test --skip script --out "$out" --cache-path "$out/cache" \
  >"$buildlog" 2>&1 || { cat "$buildlog"; rm -f "$buildlog"; exit 1; }
mv "$buildlog" "$out/build.log"
log "$("../$venv/bin/slither" --version | sed 's/^/slither-analyzer /') on contracts/src"
if ! "../$venv/bin/slither" . --config-file slither.config.json --ignore-compile --foundry-out-directory "$out" \
  --fail-none --json "$out/slither.json" >"$out/slither.log" 2>&1; then
  cat "$out/slither.log"
  exit 1
fi

python3 - "$out/slither.json" slither.triage.json <<'PY'
import json, re, sys
from collections import Counter

report, triage = (json.load(open(p)) for p in sys.argv[1:3])
if not report.get("success"):
    sys.exit(f"slither failed: {report.get('error')}")

def norm(description):
    """The description without source positions, one line."""
    d = re.sub(r" \([^()]*#[0-9-]+\)", "", description)
    return " / ".join(line.strip() for line in d.strip().splitlines() if line.strip())

accepted = {(a["check"], a["finding"]): a for a in triage["accepted"]}
seen, unaccepted, lows = set(), [], Counter()
for r in report["results"].get("detectors", []):
    key = (r["check"], norm(r["description"]))
    if r["impact"] not in ("High", "Medium"):
        lows[(r["impact"], r["check"])] += 1
    elif key in accepted:
        seen.add(key)
    else:
        unaccepted.append((r["impact"], r["check"], key[1], r.get("first_markdown_element", "")))

print(f"High/Medium: {len(seen)} accepted (contracts/slither.triage.json), {len(unaccepted)} not accepted")
for (check, finding) in sorted(seen):
    print(f"  accepted  {accepted[(check, finding)]['impact']:<6} {check}: {finding[:110]}")
for impact, check, finding, where in unaccepted:
    print(f"  NEW       {impact:<6} {check}: {finding}\n            at {where}")
if lows:
    print("Low (listed, not fatal; see contracts/slither.triage.md): "
          + ", ".join(f"{check} x{n}" for (_, check), n in sorted(lows.items())))
for key in sorted(set(accepted) - seen):
    print(f"  stale triage entry (no such finding any more, remove it): {key[0]}: {key[1][:110]}")
if unaccepted:
    sys.exit("slither: High/Medium findings not triaged: fix them, or accept each with its reason in "
             "contracts/slither.triage.json and contracts/slither.triage.md")
PY
