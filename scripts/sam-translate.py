#!/usr/bin/env python3
"""Translates a SAM template to plain CloudFormation with AWS's own SAM
translator (PyPI's aws-sam-translator, the library `sam` runs), and prints the
result as JSON on stdout.

    sam-translate.py TEMPLATE

Local paths are first replaced as `sam package` would replace them:
`CodeUri` (a folder) becomes an S3 location of a stable made-up bucket and
key, and a `DefinitionUri` naming a local file is inlined as
`DefinitionBody`, so the translated RestApi carries the document as `Body`
and no S3 is needed to read it back. Phalanx's tests compare the API it
builds from this output with the one it builds from the SAM template itself.

Errors go to stderr, with exit status 1.
"""

import json
import logging
import os
import sys

# The translator reads the region (for partitions and region-specific
# choices) from boto3's session; Phalanx's importer defaults to us-east-1,
# and the output must not depend on the caller's AWS configuration.
os.environ["AWS_DEFAULT_REGION"] = "us-east-1"
os.environ["AWS_REGION"] = "us-east-1"

import yaml  # noqa: E402 (after the region is set for boto3)
from samtranslator.model.exceptions import InvalidDocumentException  # noqa: E402
from samtranslator.translator.transform import transform  # noqa: E402
from samtranslator.yaml_helper import yaml_parse  # noqa: E402

# Without a feature toggle configuration (sam's default) the translator
# warns that each toggled feature is off; that is the behaviour wanted.
logging.getLogger("samtranslator.feature_toggle").setLevel(logging.ERROR)

# What `sam package` would upload local code to; stable, so the translated
# template is the same on every run.
BUCKET = "phalanx-sam-artifacts"


class NoPolicies:
    """The managed policy loader: the translator only needs it for
    `Policies` naming AWS managed policies by name, which needs IAM; an API
    model has no use for them."""

    def load(self):
        return {}


def fail(message):
    print(message, file=sys.stderr)
    sys.exit(1)


def load(path):
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        fail(f"{path}: {e}")
    try:
        # JSON is YAML; the translator's own loader knows the short-form
        # tags (!Ref, !Sub, !GetAtt, …).
        return yaml_parse(text)
    except yaml.YAMLError as e:
        fail(f"{path}: {e}")


def is_local(uri):
    return isinstance(uri, str) and not uri.startswith("s3://")


def package(template, folder):
    """Replaces local paths as `sam package` does (resources and Globals)."""
    sections = [r for r in (template.get("Resources") or {}).values() if isinstance(r, dict)]
    for resource in sections:
        props = resource.get("Properties")
        if not isinstance(props, dict):
            continue
        kind = resource.get("Type")
        if kind == "AWS::Serverless::Function" and is_local(props.get("CodeUri")):
            props["CodeUri"] = {"Bucket": BUCKET, "Key": key(props["CodeUri"])}
        if kind == "AWS::Serverless::Api" and is_local(props.get("DefinitionUri")):
            props["DefinitionBody"] = load(os.path.join(folder, props.pop("DefinitionUri")))
    globals_ = template.get("Globals") or {}
    function = globals_.get("Function") or {}
    if is_local(function.get("CodeUri")):
        function["CodeUri"] = {"Bucket": BUCKET, "Key": key(function["CodeUri"])}
    api = globals_.get("Api") or {}
    if is_local(api.get("DefinitionUri")):
        api["DefinitionBody"] = load(os.path.join(folder, api.pop("DefinitionUri")))


def key(path):
    return path.strip("./").replace("/", "-") or "root"


def main():
    if len(sys.argv) != 2:
        fail("usage: sam-translate.py TEMPLATE")
    path = sys.argv[1]
    template = load(path)
    if not isinstance(template, dict):
        fail(f"{path}: not a template (expected a mapping)")
    package(template, os.path.dirname(os.path.abspath(path)))
    try:
        translated = transform(template, {}, NoPolicies())
    except InvalidDocumentException as e:
        causes = "; ".join(str(c) for c in e.causes)
        fail(f"{path}: the SAM translator refuses the template: {causes}")
    except Exception as e:  # noqa: BLE001 (any translator failure is reported)
        fail(f"{path}: the SAM translator failed: {type(e).__name__}: {e}")
    json.dump(translated, sys.stdout, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
