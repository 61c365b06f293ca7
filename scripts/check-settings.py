#!/usr/bin/env python3
"""Every setting is documented once, in the binaries' --help; the docs only name them. This check fails when:

- a variable the SAM template sets on a function is not in that function's --help (`[env: NAME=]`);
- a doc names an `OPP_*` variable that no binary's --help has, unless a script reads it (the test and benchmark
  scripts in scripts/, browser/ and bench/ document their own variables in their heading);
- a doc names a flag after one of our commands (`opp-admin export --all`, `cargo site new meeting --city`) that the
  command's --help does not have.

Usage: scripts/check-settings.py TARGET_DIR (the binaries in TARGET_DIR/debug). Exit 1 on any problem.
"""
import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
BINARIES = ["opp-handler", "opp-mailer", "opp-console", "opp-editors", "opp-admin", "opp-dev", "opp-site"]
# How the docs call each binary.
CALLED_AS = {
    "opp-admin": ["opp-admin", "cargo admin"],
    "opp-site": ["opp-site", "cargo site"],
    "opp-dev": ["opp-dev", "cargo dev"],
    "opp-handler": ["opp-handler"],
    "opp-mailer": ["opp-mailer"],
    "opp-console": ["opp-console"],
    "opp-editors": ["opp-editors"],
}
# The functions in infra/template.yaml and the binary each runs.
FUNCTIONS = {"RegistrationFunction": "opp-handler", "MailerFunction": "opp-mailer", "ConsoleFunction": "opp-console",
             "EditorsFunction": "opp-editors"}
SKIP_DIRS = {"target", "node_modules", ".git", ".opp-state", "public"}


def help_text(binary: pathlib.Path, args: list[str]) -> str:
    out = subprocess.run([str(binary), *args, "--help"], capture_output=True, text=True, timeout=60)
    if out.returncode != 0:
        sys.exit(f"check-settings: {binary.name} {' '.join(args)} --help failed: {out.stderr}")
    return out.stdout


def subcommands(text: str) -> list[str]:
    """The names under "Commands:" (clap's layout), without "help"."""
    names, inside = [], False
    for line in text.splitlines():
        if line.strip() == "Commands:":
            inside = True
            continue
        if inside:
            match = re.match(r"^  ([a-z][a-z0-9-]*)\s", line)
            if not match:
                if line and not line.startswith(" "):
                    break
                continue
            if match.group(1) != "help":
                names.append(match.group(1))
    return names


def collect(binary: pathlib.Path) -> dict[tuple[str, ...], str]:
    """The --help text of the binary and of every (nested) subcommand, by command path."""
    texts, queue = {}, [()]
    while queue:
        path = queue.pop()
        text = help_text(binary, list(path))
        texts[path] = text
        queue.extend(path + (name,) for name in subcommands(text))
    return texts


def flags(text: str) -> set[str]:
    return set(re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*)", text))


def envs(text: str) -> set[str]:
    return set(re.findall(r"\[env: ([A-Z0-9_]+)[=\]]", text)) | set(re.findall(r"\b(OPP_[A-Z0-9_]+)", text)) | set(
        re.findall(r"^\s+([A-Z][A-Z0-9_]+)(?:=\S*)?\s{2,}", text, re.M)
    )


def template_variables() -> dict[str, set[str]]:
    """The environment variables each function in the template sets."""
    found: dict[str, set[str]] = {}
    current, in_vars, indent = None, False, 0
    for line in (ROOT / "infra" / "template.yaml").read_text(encoding="utf-8").splitlines():
        resource = re.match(r"^  ([A-Za-z0-9]+):\s*$", line)
        if resource:
            current, in_vars = resource.group(1), False
            continue
        if re.match(r"^\s+Variables:\s*$", line):
            in_vars, indent = True, len(line) - len(line.lstrip())
            continue
        if in_vars:
            if not line.strip() or line.strip().startswith("#"):
                continue
            depth = len(line) - len(line.lstrip())
            if depth <= indent:
                in_vars = False
                continue
            name = re.match(r"^\s+([A-Z][A-Z0-9_]*):", line)
            if name and depth == indent + 2 and current:
                found.setdefault(current, set()).add(name.group(1))
    return found


def docs() -> list[pathlib.Path]:
    return [
        p
        for p in ROOT.rglob("*.md")
        if not SKIP_DIRS.intersection(p.relative_to(ROOT).parts)
        # Dated benchmark results record what was run then; they are not instructions.
        and p.relative_to(ROOT).parts[:2] != ("bench", "results")
    ]


def script_variables() -> set[str]:
    names = set()
    for folder in ("scripts", "browser", "bench", "infra", ".github"):
        for path in (ROOT / folder).rglob("*"):
            if path.is_file() and not SKIP_DIRS.intersection(path.relative_to(ROOT).parts) and path.suffix in (
                "", ".sh", ".py", ".mjs", ".js", ".yml", ".yaml"
            ):
                try:
                    names |= set(re.findall(r"\b(OPP_[A-Z0-9_]+)", path.read_text(encoding="utf-8")))
                except UnicodeDecodeError:
                    pass
    return names


def main() -> int:
    target = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "target") / "debug"
    helps = {name: collect(target / name) for name in BINARIES}
    problems = []

    for function, variables in template_variables().items():
        binary = FUNCTIONS.get(function)
        if binary is None:
            problems.append(f"infra/template.yaml: {function} sets {sorted(variables)}, but no binary is known for it")
            continue
        known = set().union(*(envs(t) for t in helps[binary].values()))
        for name in sorted(variables - known):
            problems.append(f"infra/template.yaml: {function} sets {name}, which `{binary} --help` does not document")

    every_env = set().union(*(envs(t) for h in helps.values() for t in h.values()))
    from_scripts = script_variables()
    # A command starts a line (after `$ ` or `VAR=value` settings) or a code span; its words end at a pipe, `;`,
    # `&`, a comment or the span's end.
    call = re.compile(
        r"(?:^\s*(?:\$\s+)?|`)(?:[A-Z][A-Z0-9_]*=\S*\s+)*("
        + "|".join(re.escape(c) for cs in CALLED_AS.values() for c in cs)
        + r")(?![\w-])((?:[ \t]+[^\s`|;&)#]+)*)"
    )
    for doc in docs():
        text = doc.read_text(encoding="utf-8")
        where = doc.relative_to(ROOT)
        for number, line in enumerate(text.splitlines(), 1):
            for name in re.findall(r"\b(OPP_[A-Z0-9_]+)", line):
                if name not in every_env and name not in from_scripts:
                    problems.append(f"{where}:{number}: names {name}, which no binary's --help documents")
            for match in call.finditer(line):
                caller, rest = match.group(1), match.group(2)
                binary = next(b for b, cs in CALLED_AS.items() if caller in cs)
                words = rest.split()
                # The command path among the words (`opp-admin export`, `opp-site new meeting`), global flags between.
                path: tuple[str, ...] = ()
                for word in words:
                    if path + (word,) in helps[binary]:
                        path += (word,)
                known = flags(helps[binary][path]) | flags(helps[binary][()])
                for word in words:
                    flag = re.match(r"^(--[a-z][a-z0-9-]*)", word)
                    if flag and flag.group(1) not in known:
                        shown = " ".join((caller,) + path)
                        problems.append(f"{where}:{number}: `{shown}` has no flag {flag.group(1)} (see its --help)")

    for problem in problems:
        print(problem)
    print(f"check-settings: {len(problems)} problem(s) in {len(docs())} docs, {len(BINARIES)} binaries' --help")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
