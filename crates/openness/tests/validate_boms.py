"""Validate the CycloneDX BOMs written by `examples/write_boms.rs` against the official
CycloneDX 1.6 JSON schema, as shipped inside the PyPI package cyclonedx-python-lib.

Setup (once):  python3 -m venv .venv && .venv/bin/pip install "cyclonedx-python-lib[json-validation]==11.12.0"
Run:           cargo run -p agora-openness --example write_boms -- /tmp/boms
               .venv/bin/python crates/openness/tests/validate_boms.py /tmp/boms

SPDX 3.0.1: no offline package ships spdx-json-schema.json (checked); the SPDX output is
checked structurally by tests/bom.rs instead.
"""
import glob
import sys

from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator


def main() -> int:
    out_dir = sys.argv[1] if len(sys.argv) > 1 else "boms"
    files = sorted(glob.glob(f"{out_dir}/*.cdx.json"))
    if not files:
        print("0 passed, 1 failed: no BOMs found")
        return 1
    validator = JsonStrictValidator(SchemaVersion.V1_6)
    failed = 0
    for path in files:
        with open(path, encoding="utf-8") as f:
            error = validator.validate_str(f.read())
        if error is not None:
            failed += 1
            print(f"FAIL {path}: {error}")
        else:
            print(f"ok   {path}")
    print(f"{len(files) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
