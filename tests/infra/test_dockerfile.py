"""The Astro image (Dockerfile) builds the dbt manifest Cosmos renders the DAGs from, for the AWS target.
`astro dev start` cannot run here: the checks read the Dockerfile's instructions (text level)."""

from __future__ import annotations

import re
import shlex

from olist_dw.settings import PROJECT_ROOT

DOCKERFILE = PROJECT_ROOT / "Dockerfile"


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of every Dockerfile line, comments dropped, continuations joined."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in lines]


def image_env_before(index: int) -> dict[str, str]:
    env: dict[str, str] = {}
    for instruction, args in instructions()[:index]:
        if instruction == "ENV":
            env.update(dict(word.partition("=")[::2] for word in shlex.split(args) if "=" in word))
    return env


def test_the_image_is_astro_runtime_for_airflow_3():
    instruction, image = instructions()[0]
    assert instruction == "FROM"
    assert re.fullmatch(r"astrocrpublic\.azurecr\.io/runtime:3\.\d+-\d+", image), image  # Runtime 3 registry


def test_the_image_builds_the_manifest_for_the_aws_target():
    steps = instructions()
    (index,) = [i for i, (ins, args) in enumerate(steps) if ins == "RUN" and "dbt-manifest" in args]
    words = shlex.split(steps[index][1])
    inline = dict(w.partition("=")[::2] for w in words[: words.index("python")] if "=" in w)
    env = {**image_env_before(index), **inline}
    assert env.get("OLIST_TARGET") == "aws", "dbt-manifest runs with the local target: its dbt_env and profile"
    assert words[words.index("dbt-manifest") + 1 :][:2] == ["--target", "aws"]  # the dbt-redshift output
    assert image_env_before(len(steps)).get("OLIST_TARGET") == "aws"  # the DAGs parse with the same target
