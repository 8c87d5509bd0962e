#!/usr/bin/env python3
"""Architecture checks run by `make lint` (see docs/architecture.md, "Dependency rules").

1. Crate layering: every workspace crate's internal (`bai-*`) dependencies, read from `cargo metadata`,
   must be in its allowed set below. The sets encode each crate's "Must not touch" note: a crate that
   must not touch storage does not get to depend on bai-storage.
2. No import circles between the top-level modules of a crate (`use crate::a` in b and `use crate::b`
   in a), read from the sources.
3. No decisions on error text: `.contains("…")` on something named like an error or message, or on
   `.to_string()`, anywhere in Rust (tests included). Match on the typed error instead.
"""
import json, os, re, subprocess, sys
from collections import defaultdict

# crate -> internal crates it may depend on (normal and build dependencies; dev-dependencies may
# also use anything below the crate's own layer, checked the same way).
ALLOWED = {
    # layer 0: no internal dependencies
    "bai-runtime": set(),
    "bai-chainspec": set(),
    # The bit-exact reference runtime: numeric definitions of the models, nothing else.
    "bai-reference": set(),
    # layer 1: proofs of the reference's integer models (halo2), nothing about the chain
    "bai-zk": {"bai-reference"},
    # layer 1: chain building blocks, and the L1 transaction manager over the runtime
    "bai-txmgr": {"bai-runtime"},
    "bai-precompiles": {"bai-chainspec"},
    "bai-storage": set(),
    "bai-pool": set(),
    # layer 2
    # bai-zk: the proof verifier the precompile checks zk models with (the precompile sees only a trait).
    "bai-evm": {"bai-chainspec", "bai-precompiles", "bai-zk"},
    "bai-inference": {"bai-precompiles", "bai-reference", "bai-zk"},
    # layer 3: the engine
    "bai-sequencer": {"bai-chainspec", "bai-evm", "bai-storage", "bai-pool", "bai-precompiles"},
    # layer 4: services over the engine, and the user-side client
    "bai-bridge": {"bai-evm", "bai-storage", "bai-sequencer", "bai-runtime", "bai-txmgr"},
    "bai-client": {"bai-chainspec", "bai-precompiles"},
    # Sequencer leadership in etcd: the engine's block gate, imports of published blocks.
    "bai-conductor": {"bai-sequencer", "bai-storage", "bai-runtime"},
    "bai-prover": {"bai-sequencer", "bai-bridge", "bai-chainspec", "bai-precompiles", "bai-storage", "bai-runtime",
                   "bai-txmgr"},
    # layer 5: RPC as a library
    "bai-rpc": {"bai-chainspec", "bai-evm", "bai-storage", "bai-pool", "bai-sequencer", "bai-bridge",
                "bai-precompiles", "bai-prover", "bai-runtime"},
    # layer 6: wiring and user tools
    "bai-node-builder": {"bai-chainspec", "bai-evm", "bai-storage", "bai-pool", "bai-sequencer", "bai-bridge",
                         "bai-precompiles", "bai-inference", "bai-prover", "bai-rpc", "bai-runtime", "bai-conductor"},
    # The devnet learns everything over RPC, as a user would: no engine, storage or service crates.
    "bai-devnet": {"bai-chainspec", "bai-runtime"},
    # User commands talk to nodes over RPC: no engine, storage or RPC-server crates.
    "bai-cli": {"bai-chainspec", "bai-bridge", "bai-client", "bai-inference", "bai-prover", "bai-runtime", "bai-zk"},
    "bai-bench": {"bai-chainspec", "bai-evm", "bai-storage", "bai-pool", "bai-sequencer", "bai-bridge",
                  "bai-precompiles", "bai-inference", "bai-reference", "bai-zk"},
    # layer 7: the binary is dispatch only
    "bai-node": {"bai-node-builder", "bai-devnet", "bai-cli", "bai-runtime"},
}
# Dev-dependencies may reach further down for fixtures, never up: these extra edges are allowed.
DEV_EXTRA = {
    # The zk precompile test proves with the shipped classifier, loaded by the reference runtime.
    "bai-evm": {"bai-reference"},
    # The honest-operator corpus test runs the real models on the operator's and the challenger's runtime.
    "bai-prover": {"bai-inference"},
    "bai-bridge": {"bai-chainspec", "bai-pool"},
    "bai-conductor": {"bai-chainspec", "bai-pool"},
}
MAX_BIN_LINES = 300  # the `bai` binary's own crate: dispatch only

ERROR_TEXT = re.compile(
    r"(?:\bto_string\(\)|\b(?:err|error|e|msg|message|reason|text|stderr)\b)\s*\.\s*contains\(\s*\""
)


def main() -> int:
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    meta = json.loads(subprocess.check_output(
        ["cargo", "metadata", "--no-deps", "--format-version", "1", "--offline"], cwd=root))
    problems = []
    members = {p["name"]: p for p in meta["packages"]}
    for name, package in sorted(members.items()):
        if name not in ALLOWED:
            problems.append(f"{name}: not in scripts/check-architecture.py's layering table (add it with its rule)")
            continue
        for dep in package["dependencies"]:
            if not dep["name"].startswith("bai-") or dep["name"] not in members:
                continue
            allowed = ALLOWED[name] | (DEV_EXTRA.get(name, set()) if dep.get("kind") == "dev" else set())
            if dep["name"] not in allowed:
                kind = dep.get("kind") or "normal"
                problems.append(f"{name} depends on {dep['name']} ({kind}), against the layering in docs/architecture.md")
        src = os.path.join(os.path.dirname(package["manifest_path"]), "src")
        problems += module_cycles(name, src)
        if name == "bai-node":
            lines = sum(count_lines(os.path.join(src, f)) for f in os.listdir(src) if f.endswith(".rs"))
            if lines > MAX_BIN_LINES:
                problems.append(f"bai-node: {lines} lines in the binary crate (dispatch only: at most {MAX_BIN_LINES})")
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in {"target", "node_modules", ".git", "lib", ".tools", "out"}]
        for f in filenames:
            if f.endswith(".rs"):
                path = os.path.join(dirpath, f)
                for number, line in enumerate(open(path, encoding="utf-8"), 1):
                    if ERROR_TEXT.search(line):
                        problems.append(f"{os.path.relpath(path, root)}:{number}: decides on error text: {line.strip()}")
    for p in problems:
        print(f"architecture: {p}", file=sys.stderr)
    if problems:
        return 1
    print(f"architecture: {len(members)} crates follow the layering; no module circles; no error-text matching")
    return 0


def count_lines(path):
    with open(path, encoding="utf-8") as f:
        return sum(1 for _ in f)


USE = re.compile(r"\b(?:crate|super)::(?:\{\s*)?([a-z_][a-z0-9_]*)")


def module_cycles(crate, src):
    """Circles between a crate's top-level modules (files and folders directly under src/)."""
    if not os.path.isdir(src):
        return []
    modules = {}
    for entry in os.listdir(src):
        path = os.path.join(src, entry)
        if entry.endswith(".rs") and entry not in {"lib.rs", "main.rs"}:
            modules[entry[:-3]] = [path]
        elif os.path.isdir(path):
            files = []
            for d, _, fs in os.walk(path):
                files += [os.path.join(d, f) for f in fs if f.endswith(".rs")]
            modules.setdefault(entry, []).extend(files)
    edges = defaultdict(set)
    for module, files in modules.items():
        for path in files:
            text = open(path, encoding="utf-8").read()
            # Only code outside `mod tests` counts: a test module may use its parent freely.
            text = text.split("#[cfg(test)]")[0]
            nested = os.path.dirname(path) != src  # `super::` in a nested file is its own folder
            for match in USE.finditer(text):
                if match.group(0).startswith("super") and nested:
                    continue
                target = match.group(1)
                # `crate::{a, b}` lists: take every name in the braces.
                if target in modules and target != module:
                    edges[module].add(target)
            for group in re.finditer(r"\b(?:crate|super)::\{([^}]*)\}", text):
                if group.group(0).startswith("super") and nested:
                    continue
                for target in re.findall(r"(?:^|,)\s*([a-z_][a-z0-9_]*)", group.group(1)):
                    if target in modules and target != module:
                        edges[module].add(target)
    problems = []
    seen = set()
    for a in sorted(edges):
        for b in sorted(edges[a]):
            if a in edges.get(b, set()) and (b, a) not in seen:
                seen.add((a, b))
                problems.append(f"{crate}: import circle between modules `{a}` and `{b}`")
    # Longer circles: depth-first search for a back edge.
    state = {}

    def visit(node, stack):
        state[node] = 1
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1 and len(stack) - stack.index(nxt) > 2:
                problems.append(f"{crate}: import circle {' -> '.join(stack[stack.index(nxt):] + [nxt])}")
            elif nxt not in state:
                visit(nxt, stack + [nxt])
        state[node] = 2

    for node in sorted(modules):
        if node not in state:
            visit(node, [node])
    return problems


if __name__ == "__main__":
    sys.exit(main())
