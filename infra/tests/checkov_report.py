#!/usr/bin/env python3
"""checkov for run.sh: one scan, three verdicts.

  checkov_report.py scan SAM_TEMPLATE TRANSLATED.json WORKDIR
      Writes copies of both templates without their `checkov: skip` entries to WORKDIR and runs
      `checkov --framework cloudformation --skip-download` once over all four files (checkov's
      start-up dominates its run time), saving the JSON report as WORKDIR/report.json.
  checkov_report.py clean WORKDIR FILE
      Exit 1 if checkov failed any check on FILE (skips in the template apply).
  checkov_report.py needed WORKDIR SAM_TEMPLATE
      Exit 1 if a skip in the template hides nothing: each skipped (resource, check) must fail on the
      copy without skips. Keeps the skip list in template.yaml and infra/README.md honest.
"""
import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from translate import load_sam  # noqa: E402

UNSKIPPED = ("sam-unskipped.json", "cfn-unskipped.json")


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


def scan(sam_path, cfn_path, work):
    work = Path(work)
    work.mkdir(parents=True, exist_ok=True)
    sam = load_sam(sam_path)
    cfn = json.loads(Path(cfn_path).read_text(encoding="utf-8"))
    strip(sam)
    strip(cfn)
    (work / UNSKIPPED[0]).write_text(json.dumps(sam), encoding="utf-8")
    (work / UNSKIPPED[1]).write_text(json.dumps(cfn), encoding="utf-8")
    cmd = ["checkov", "--framework", "cloudformation", "--skip-download", "-o", "json",
           "-f", sam_path, "-f", cfn_path, "-f", str(work / UNSKIPPED[0]), "-f", str(work / UNSKIPPED[1])]
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
    if not mine["passed_checks"]:
        print("no checks ran on this file")
        return 1
    return 1 if mine["failed_checks"] else 0


def needed(work, sam_path):
    skips = strip(load_sam(sam_path))  # the template is the source of truth
    results = load_report(work)
    failures = {(c["resource"].rsplit(".", 1)[-1], c["check_id"]) for c in results["failed_checks"]
                if any(c["file_path"].endswith(name) for name in UNSKIPPED)}
    unneeded = sorted(skips - failures)
    for name, check in unneeded:
        print(f"checkov skip {check} on {name} is not needed (the check passes without it): remove it")
    print(f"checkov skips: {len(skips)} in the template, {len(skips) - len(unneeded)} needed")
    return 1 if unneeded or not skips else 0


def main(argv):
    if len(argv) == 5 and argv[1] == "scan":
        return scan(argv[2], argv[3], argv[4])
    if len(argv) == 4 and argv[1] == "clean":
        return clean(argv[2], argv[3])
    if len(argv) == 4 and argv[1] == "needed":
        return needed(argv[2], argv[3])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
