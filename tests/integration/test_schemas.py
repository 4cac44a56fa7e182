"""The committed schemas/ match the documents generated from the option declarations in code."""
import json
import os

from common import SOURCE, expect, finish, run

schemas = os.path.join(SOURCE, "schemas")
p = run(["schema", "--check", schemas], check=False)
expect(p.returncode == 0, "schemas/ is up to date (%s)" % p.stderr.strip())
p = run(["schema", "job"])
job_schema = json.loads(p.stdout)
expect(job_schema["additionalProperties"] is False, "the job schema rejects unknown keys")
expect("inputs" in job_schema["required"], "inputs are required")
recipe_schema = json.loads(run(["schema", "recipe"]).stdout)
# Every bundled recipe must validate against the recipe schema's top-level keys.
for name in ["cu", "li", "ni", "co", "sn"]:
    with open(os.path.join(SOURCE, "jobs", "recipes", name + ".json")) as f:
        r = json.load(f)
    unknown = set(r) - set(recipe_schema["properties"])
    expect(not unknown, "recipe %s uses only declared keys %s" % (name, sorted(unknown)))
finish()
