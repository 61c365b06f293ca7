#!/usr/bin/env python3
"""Translate infra/template.yaml (SAM) into plain CloudFormation, offline.

Usage: translate.py TEMPLATE OUTPUT.json

cfn-lint 1.x and checkov do not look inside AWS::Serverless::* resources, so the offline checks run
on this translation as well. What differs from `sam deploy`:
- CodeUri ".." (the Cargo workspace, built by `sam build`) becomes an s3:// placeholder, which is
  what `sam package` would put there;
- the managed-policy map (normally listed from IAM with credentials) is a stub: the template
  attaches no managed policies by name, so the stub only needs to exist;
- passthrough_metadata keeps each SAM resource's Metadata (and so its `checkov: skip` entries, written
  once in the template with their reasons) on the CloudFormation resources generated from it.
"""
import json
import os
import sys

os.environ.setdefault("AWS_DEFAULT_REGION", "eu-central-1")

from samtranslator.model.exceptions import InvalidDocumentException  # noqa: E402
from samtranslator.translator.transform import transform  # noqa: E402
from samtranslator.yaml_helper import yaml_parse  # noqa: E402

PLACEHOLDER_CODE_URI = "s3://opp-offline-placeholder/opp-handler.zip"


class StubManagedPolicyLoader:
    """Stands in for samtranslator's ManagedPolicyLoader (which calls iam:ListPolicies)."""

    def load(self):
        return {
            "AWSLambdaBasicExecutionRole":
                "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
        }


def load_sam(path):
    """The SAM template as a dict, intrinsic tags (!Ref, !Sub, ...) in their JSON form."""
    with open(path, encoding="utf-8") as fh:
        return yaml_parse(fh.read())


def translate(sam):
    """SAM dict -> CloudFormation dict (raises InvalidDocumentException)."""
    sam = json.loads(json.dumps(sam))  # deep copy: the translator mutates its input
    for resource in sam.get("Resources", {}).values():
        if resource.get("Type") == "AWS::Serverless::Function":
            resource["Properties"]["CodeUri"] = PLACEHOLDER_CODE_URI
    return transform(sam, {}, StubManagedPolicyLoader(), passthrough_metadata=True)


def main(argv):
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    src, dst = argv[1], argv[2]
    sam = load_sam(src)
    try:
        cfn = translate(sam)
    except InvalidDocumentException as exc:
        for cause in exc.causes:
            print(f"translate: {cause.message}", file=sys.stderr)
        return 1
    with open(dst, "w", encoding="utf-8") as fh:
        json.dump(cfn, fh, indent=2)
        fh.write("\n")
    print(f"translate: {len(sam['Resources'])} template resources -> "
          f"{len(cfn['Resources'])} CloudFormation resources in {dst}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
