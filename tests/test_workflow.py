"""The publishing workflow cannot run here: lint it and check what it promises."""

import shutil
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / ".github" / "workflows" / "publish.yml"


def test_workflow_passes_the_github_workflow_schema(tmp_path):
    linter = (
        shutil.which("check-jsonschema", path=str(Path(sys.executable).parent))
        or "check-jsonschema"
    )
    result = subprocess.run(
        [linter, "--builtin-schema", "vendor.github-workflows", str(WORKFLOW)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_schema_check_catches_a_broken_workflow(tmp_path):
    broken = yaml.safe_load(WORKFLOW.read_text())
    broken["jobs"]["build"]["steps"][0] = {"uses": 42, "with": "nope"}
    path = tmp_path / "broken.yml"
    path.write_text(yaml.safe_dump(broken))
    linter = (
        shutil.which("check-jsonschema", path=str(Path(sys.executable).parent))
        or "check-jsonschema"
    )
    result = subprocess.run(
        [linter, "--builtin-schema", "vendor.github-workflows", str(path)],
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0


def test_workflow_builds_at_full_budget_and_deploys_the_site():
    workflow = yaml.safe_load(WORKFLOW.read_text())
    build = workflow["jobs"]["build"]
    assert build["env"]["GANBOOK_BUDGET"] == "full"
    runs = [step.get("run", "") for step in build["steps"]]
    assert "make book" in runs
    uses = {step.get("uses", "").split("@")[0]: step for step in build["steps"]}
    assert uses["actions/upload-pages-artifact"]["with"]["path"] == "_build/html"
    cached = "\n".join(
        step["with"]["path"]
        for step in build["steps"]
        if step.get("uses", "").startswith("actions/cache@")
    )
    assert "_build" in cached.split() and ".cache/models" in cached.split()
    deploy = workflow["jobs"]["deploy"]
    assert deploy["needs"] == "build"
    assert any(
        step.get("uses", "").startswith("actions/deploy-pages")
        for step in deploy["steps"]
    )
    assert workflow["permissions"]["pages"] == "write"


def test_workflow_never_restores_what_other_code_computed():
    """The cache key covers the notebooks, helpers/ and the requirements, with no
    fallback to the newest older entry (restore-keys)."""
    workflow = yaml.safe_load(WORKFLOW.read_text())
    caches = [
        step
        for step in workflow["jobs"]["build"]["steps"]
        if step.get("uses", "").startswith("actions/cache@")
    ]
    outputs = [step for step in caches if "_build" in step["with"]["path"].split()]
    assert len(outputs) == 1
    key = outputs[0]["with"]["key"]
    covered_inputs = (
        "book/**",
        "helpers/**",
        "_ext/**",
        "requirements.txt",
        "package-lock.json",
    )
    for covered in covered_inputs:
        assert covered in key, covered
    assert all("restore-keys" not in step["with"] for step in caches)


def test_workflow_installs_node_for_the_pages_runtime():
    """make book runs npm ci (onnxruntime-web for the live pages): Node comes first."""
    steps = yaml.safe_load(WORKFLOW.read_text())["jobs"]["build"]["steps"]
    names = [
        step.get("uses", "").split("@")[0] or step.get("run", "") for step in steps
    ]
    node = names.index("actions/setup-node")
    assert steps[node]["with"]["cache-dependency-path"] == "package-lock.json"
    assert node < names.index("make book")
