"""Prints AWS's own SAM transform of a template (aws-sam-translator, pinned in requirements-tools.txt)
as CloudFormation JSON, offline: no credentials, no AWS call.

    python sam_translate.py TEMPLATE '{"ParameterName": "value", ...}'

AWS::Include transforms are inlined first, as CloudFormation does before the SAM transform runs,
and local CodeUri folders stand for the S3 objects `sam deploy` would upload them to. The translator is given no managed policies: every function of the template has its own Role, so
it never needs AWS's managed policy list (it fails loudly if it ever does).
"""

import json
import os
import sys

from samcli.yamlhelper import yaml_parse
from samtranslator.parser.parser import Parser
from samtranslator.translator.translator import Translator


def inline_includes(node, base_dir):
    if isinstance(node, list):
        return [inline_includes(item, base_dir) for item in node]
    if not isinstance(node, dict):
        return node
    transform = node.get("Fn::Transform") if len(node) == 1 else None
    if isinstance(transform, dict) and transform.get("Name") == "AWS::Include":
        with open(os.path.join(base_dir, transform["Parameters"]["Location"]), encoding="utf-8") as included:
            return inline_includes(yaml_parse(included.read()), base_dir)
    return {key: inline_includes(value, base_dir) for key, value in node.items()}


def packaged(template):
    """CodeUri ./ as after `sam package`: an S3 object (the transform refuses local paths)."""
    sections = [template.get("Globals", {}).get("Function", {})]
    sections += [resource.get("Properties", {}) for resource in template["Resources"].values() if resource.get("Type") == "AWS::Serverless::Function"]
    for properties in sections:
        if isinstance(properties.get("CodeUri"), str) and not properties["CodeUri"].startswith("s3://"):
            properties["CodeUri"] = "s3://packaged-by-sam/code.zip"
    return template


def no_managed_policies():
    raise RuntimeError("the template names an AWS managed policy; this offline transform has no policy list")


def main():
    template_path, parameters = sys.argv[1], json.loads(sys.argv[2])
    with open(template_path, encoding="utf-8") as source:
        template = inline_includes(yaml_parse(source.read()), os.path.dirname(os.path.abspath(template_path)))
    translated = Translator(None, Parser()).translate(packaged(template), parameter_values=parameters, get_managed_policy_map=no_managed_policies)
    json.dump(translated, sys.stdout, indent=1, sort_keys=True, default=str)


if __name__ == "__main__":
    main()
