# shellcheck shell=bash
# Tiny assertion helpers for the bash suites. Every check prints one line; the first failure exits 1.
_CHECKS=0
pass() { _CHECKS=$((_CHECKS + 1)); printf '  \033[32mok\033[0m   %s\n' "$*"; }
fail() { printf '  \033[31mFAIL\033[0m %s\n' "$*" >&2; exit 1; }
assert_eq() { # actual expected what
  if [ "$1" = "$2" ]; then pass "$3 (= $(_short "$2"))"; else fail "$3: expected '$2', got '$1'"; fi
}
_short() { if [ ${#1} -gt 80 ]; then printf '%s…(%d chars)' "${1:0:40}" ${#1}; else printf '%s' "$1"; fi; }
assert_ieq() { # case-insensitive (addresses, hashes)
  if [ "${1,,}" = "${2,,}" ]; then pass "$3 (= $2)"; else fail "$3: expected '$2', got '$1'"; fi
}
assert_contains() { # haystack needle what
  case $1 in *"$2"*) pass "$3" ;; *) fail "$3: expected to contain '$2', got: ${1:0:600}" ;; esac
}
assert_true() { # node-js boolean expression over env vars, what
  local out
  out=$(node -e "const e=process.env; const v=(() => ($1))(); process.stdout.write(String(v))" 2>&1) || fail "$2: could not evaluate '$1': $out"
  [ "$out" = true ] && pass "$2" || fail "$2: '$1' was $out"
}
# big-integer arithmetic: bn 'BigInt(e.A) - BigInt(e.B)' (env vars via e.NAME)
bn() { node -e "const e=process.env; process.stdout.write(String($1))"; }
# json field: json_get '<json>' 'expr over j' e.g. json_get "$r" 'j.status'
json_get() { J="$1" node -e "const j=JSON.parse(process.env.J); const v=($2); process.stdout.write(v===undefined||v===null?'':typeof v==='object'?JSON.stringify(v):String(v))"; }
checks_done() { printf '  %d checks passed\n' "$_CHECKS"; }
