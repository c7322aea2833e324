"""Validates the live orchestrator's /openapi.json as an OpenAPI 3 document with
openapi-spec-validator (a validator we did not write). Run by e2e.ApiDocsEndToEndTest.

Usage: openapi_spec.py http://127.0.0.1:PORT/openapi.json
Prints one JSON summary line; exits non-zero (with the validator's message) when it is invalid.
"""
import json
import sys
import urllib.request

from openapi_spec_validator import OpenAPIV30SpecValidator, validate


def main():
    url = sys.argv[1]
    with urllib.request.urlopen(url, timeout=30) as answer:
        content_type = answer.headers.get("Content-Type", "")
        spec = json.load(answer)
    # validate() picks the validator by the document's `openapi` field; insist on 3.0 too
    validate(spec)
    errors = [e.message for e in OpenAPIV30SpecValidator(spec).iter_errors()]
    if errors:
        print("\n".join(errors))
        sys.exit(1)
    print(json.dumps({"valid": True, "openapi": spec["openapi"], "content_type": content_type,
                      "paths": sorted(spec["paths"])}))


if __name__ == "__main__":
    main()
