#!/usr/bin/env python3
"""checkov for run.sh: one scan, three verdicts.

  checkov_report.py scan WORKDIR TEMPLATE...
      Writes a copy of each template without its `checkov: skip` entries to WORKDIR
      (NAME.unskipped.json) and runs `checkov --framework cloudformation --skip-download` once over
      the templates and the copies (checkov's start-up dominates its run time), saving the JSON
      report as WORKDIR/report.json. Templates are e.g. infra/template.yaml, its translation and
      infra/waf.yaml (their file names must differ).
  checkov_report.py clean WORKDIR FILE
      Exit 1 if checkov failed any check on FILE (skips in the template apply), or ran none.
  checkov_report.py needed WORKDIR TEMPLATE [ALSO...]
      Exit 1 if a skip in TEMPLATE hides nothing: each skipped (resource, check) must fail on the
      copy of TEMPLATE, or of an ALSO file, without skips (the SAM template's skips are checked on
      its translation too, where SAM resources become CloudFormation ones of the same name). Keeps
      the skip lists in the templates and infra/README.md honest.
"""
import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from translate import load_sam  # noqa: E402


def unskipped_name(path):
    return f"{Path(path).name}.unskipped.json"


def strip(template):
    skips = set()
    for name, res in template.get("Resources", {}).items():
        for skip in res.get("Metadata", {}).pop("checkov", {}).get("skip", []):
            skips.add((name, skip["id"]))
    return skips


def load_report(work):
    report = json.loads((Path(work) / "report.json").read_text(encoding="utf-8"))
    reports = report if isinstance(report, list) else [report]
    results = {"failed_checks": [], "passed_checks": [], "skipped_checks": []}
    for rep in reports:
        for key in results:
            results[key] += rep.get("results", {}).get(key, [])
    return results


def same_file(reported, path):
    return Path(path).resolve().as_posix().endswith(reported.lstrip("/"))


def load_template(path):
    if str(path).endswith(".json"):
        return json.loads(Path(path).read_text(encoding="utf-8"))
    return load_sam(path)


def scan(work, paths):
    work = Path(work)
    work.mkdir(parents=True, exist_ok=True)
    names = [Path(p).name for p in paths]
    if len(set(names)) != len(names):
        print(f"template file names must differ: {names}")
        return 2
    cmd = ["checkov", "--framework", "cloudformation", "--skip-download", "-o", "json"]
    for path in paths:
        template = load_template(path)
        strip(template)
        copy = work / unskipped_name(path)
        copy.write_text(json.dumps(template), encoding="utf-8")
        cmd += ["-f", str(path), "-f", str(copy)]
    print("+", " ".join(cmd))
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    try:
        json.loads(proc.stdout)
    except json.JSONDecodeError:
        print(proc.stdout[-3000:], proc.stderr[-3000:], sep="\n")
        return 1
    (work / "report.json").write_text(proc.stdout, encoding="utf-8")
    return 0


def clean(work, path):
    results = load_report(work)
    mine = {k: [c for c in v if same_file(c["file_path"], path)] for k, v in results.items()}
    for c in mine["failed_checks"]:
        print(f"FAILED {c['check_id']} {c['check_name']} on {c['resource']} ({c['file_path']})")
    for c in mine["skipped_checks"]:
        print(f"skipped {c['check_id']} on {c['resource']}: {c.get('check_result', {}).get('suppress_comment', '')[:90]}")
    print(f"{path}: passed {len(mine['passed_checks'])}, failed {len(mine['failed_checks'])}, "
          f"skipped {len(mine['skipped_checks'])}")
    if not any(mine.values()):
        print("no checks ran on this file")
        return 1
    return 1 if mine["failed_checks"] else 0


def needed(work, path, also):
    skips = strip(load_template(path))  # the template is the source of truth
    copies = [unskipped_name(p) for p in [path, *also]]
    results = load_report(work)
    failures = {(c["resource"].rsplit(".", 1)[-1], c["check_id"]) for c in results["failed_checks"]
                if any(c["file_path"].endswith(name) for name in copies)}
    unneeded = sorted(skips - failures)
    for name, check in unneeded:
        print(f"checkov skip {check} on {name} is not needed (the check passes without it): remove it")
    print(f"checkov skips in {path}: {len(skips)}, {len(skips) - len(unneeded)} needed")
    return 1 if unneeded or not skips else 0


def main(argv):
    if len(argv) >= 4 and argv[1] == "scan":
        return scan(argv[2], argv[3:])
    if len(argv) == 4 and argv[1] == "clean":
        return clean(argv[2], argv[3])
    if len(argv) >= 4 and argv[1] == "needed":
        return needed(argv[2], argv[3], argv[4:])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
