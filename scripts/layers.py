#!/usr/bin/env python3
"""Checks that imports run one way, down the layers ARCHITECTURE.md draws.

Every file under src/ belongs to a top-level module (src/<module>/ or
src/<module>.rs). A module may name (`crate::<other>`) only modules ranked
below it, so the top-level modules form a graph without cycles, and no
feature reaches into another feature's SQL (`crate::<feature>::data`): it
goes through that feature's service or domain. Run by `make lint`; exits 1
and names each offending line otherwise.
"""
import os
import re
import sys

# Bottom first. A module imports only from modules earlier in this list.
LAYERS = [
    "error",     # the error type, refusals, the catalogue
    "platform",  # db, clock, config, secrets, text rules, throttles
    "web",       # UI kit, form finishing and flash, headers, assets
    "auth",      # accounts, sessions, the access guard
    "audit",
    "notify",    # key events, mail (SMTP or the log), settings, the outbox
    "keys",      # token format, rules, data, service, verification, cache, usage
    "leads",
    "orgs",
    "api",       # the REST API: the Caller extractor and handlers
    "admin",
    "docs",
    "app",       # the composition root: shell, routes, start-up, CLI, seed
]
FEATURES = {"auth", "audit", "notify", "keys", "leads", "orgs", "admin", "docs"}
# Files that are not a module of the library.
OUTSIDE = {"lib.rs", "main.rs"}

REFERENCE = re.compile(r"\bcrate::(\w+)((?:::\w+)*)")
GROUPED = re.compile(r"\bcrate::\{([^}]*)\}")


def module_of(rel):
    return rel.split(os.sep)[0].removesuffix(".rs")


def code_lines(text):
    """Lines without // comments (doc comments name modules freely)."""
    for number, line in enumerate(text.splitlines(), 1):
        yield number, re.sub(r"//.*", "", line)


def check(src):
    rank = {name: i for i, name in enumerate(LAYERS)}
    problems = []
    edges = {}
    for directory, _, files in os.walk(src):
        for name in sorted(files):
            if not name.endswith(".rs"):
                continue
            path = os.path.join(directory, name)
            rel = os.path.relpath(path, src)
            if rel in OUTSIDE:
                continue
            here = module_of(rel)
            if here not in rank:
                problems.append(f"src/{rel}: module `{here}` has no layer in scripts/layers.py")
                continue
            with open(path, encoding="utf-8") as f:
                text = f.read()
            for number, line in code_lines(text):
                named = [(m.group(1), m.group(2)) for m in REFERENCE.finditer(line)]
                for group in GROUPED.finditer(line):
                    named += [(p.strip().split("::")[0], "") for p in group.group(1).split(",") if p.strip()]
                for there, rest in named:
                    if there == here or there in ("self", "super"):
                        continue
                    where = f"src/{rel}:{number}"
                    if there not in rank:
                        problems.append(f"{where}: `crate::{there}` is not a module with a layer")
                        continue
                    edges.setdefault(here, set()).add(there)
                    if rank[there] > rank[here]:
                        problems.append(
                            f"{where}: `{here}` imports `crate::{there}`, a layer above it"
                        )
                    elif here in FEATURES | {"api"} and there in FEATURES and "::data" in rest + "::":
                        problems.append(
                            f"{where}: `{here}` reads `crate::{there}{rest.split('(')[0]}`, another feature's SQL; use its service"
                        )
    problems += [f"import cycle: {' -> '.join(c)}" for c in cycles(edges)]
    return problems


def cycles(edges):
    """Each cycle among top-level modules, found by depth-first search."""
    found, state, stack = [], {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == "open":
                found.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = "done"

    for node in sorted(edges):
        if node not in state:
            visit(node)
    return found


def self_test(src):
    """The check must fail on an upward import and on a reach into another
    feature's SQL: copies of src/ with one bad line each."""
    import shutil
    import tempfile

    bad_lines = {
        "platform/clock.rs": "use crate::app::AppState;\n",
        "auth/domain.rs": "use crate::keys::KeyState;\n",
        "orgs/service.rs": "use crate::keys::data::KeyRow;\n",
    }
    for rel, line in bad_lines.items():
        with tempfile.TemporaryDirectory() as tmp:
            copy = os.path.join(tmp, "src")
            shutil.copytree(src, copy)
            with open(os.path.join(copy, rel), "a", encoding="utf-8") as f:
                f.write(line)
            if not any(rel in p for p in check(copy)):
                return f"the check let `{line.strip()}` in src/{rel} pass"
    return None


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--self-test"]
    src = args[0] if args else os.path.join(os.path.dirname(__file__), "..", "src")
    if "--self-test" in sys.argv:
        failure = self_test(src)
        if failure:
            print(f"layers self-test: {failure}", file=sys.stderr)
            sys.exit(1)
    problems = check(src)
    for problem in problems:
        print(problem)
    if problems:
        print(f"layers: {len(problems)} problem(s); see ARCHITECTURE.md", file=sys.stderr)
        sys.exit(1)
    print("layers: imports run one way")
