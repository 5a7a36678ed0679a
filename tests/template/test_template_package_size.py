"""Each function's code and layers fit Lambda's unzipped size limit, measured on the real builds.

Lambda quotas (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html): a .zip
deployment package may hold "250 MB (unzipped, including layers)", i.e. the function's code plus every
layer it attaches, once extracted (``CodeSizeUnzipped``, "the maximum size of a function's deployment
package and layers when they're extracted": https://docs.aws.amazon.com/lambda/latest/api/
API_AccountLimit.html). Lambda counts the 250 MB as 262,144,000 bytes: its refusal reads "Unzipped
size must be smaller than 262144000 bytes" (https://repost.aws/questions/QUt1Cc15fbTkWsVXPNmj6MNQ).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from template_support import REPO, functions
from tools.template.layer_build import left_out

UNZIPPED_LIMIT = 262_144_000


def attached_layers(template: Mapping[str, Any], name: str) -> list[str]:
    """The layers a function gets: the Globals' first, then its own.

    SAM merges lists from Globals by prepending them to the resource's ("Lists are additive",
    https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/
    sam-specification-template-anatomy-globals.html).
    """
    entries = [
        *template["Globals"]["Function"].get("Layers", []),
        *functions(template)[name]["Properties"].get("Layers", []),
    ]
    resources = template["Resources"]
    unknown = [e for e in entries if not (isinstance(e, Mapping) and e.get("Ref") in resources)]
    if unknown:
        raise ValueError(f"{name}: layers built outside this template cannot be measured: {unknown}")
    return [str(entry["Ref"]) for entry in entries]


def unzipped_size(root: Path) -> int:
    """The bytes of the files under ``root``, as its .zip holds them once extracted."""
    return sum(path.lstat().st_size for path in root.rglob("*") if path.is_file() and not left_out(path))


def deployment_sizes(template: Mapping[str, Any], built_layers: Mapping[str, Path]) -> dict[str, int]:
    """Per function: its ``CodeUri`` directory plus the built content of every layer it attaches."""
    sizes: dict[str, int] = {}
    for name, function in functions(template).items():
        code = REPO / function["Properties"]["CodeUri"]
        # `sam build` would add a function's own requirements to its code; none has any.
        assert not (code / "requirements.txt").exists(), f"{name}: its requirements are not measured"
        layers = attached_layers(template, name)
        sizes[name] = unzipped_size(code) + sum(unzipped_size(built_layers[layer]) for layer in layers)
    return sizes


def margins(sizes: Mapping[str, int]) -> dict[str, int]:
    return {name: UNZIPPED_LIMIT - size for name, size in sizes.items()}


def test_every_function_with_its_layers_fits_the_unzipped_limit(
    template: dict[str, Any], built_layers: dict[str, Path]
) -> None:
    sizes = deployment_sizes(template, built_layers)
    left = margins(sizes)
    print(f"\nunzipped code + layers per function (limit {UNZIPPED_LIMIT:,} bytes)")
    for name in sorted(left, key=left.__getitem__):
        print(f"  {name:<28} {sizes[name]:>13,} bytes   margin {left[name]:>13,} bytes")
    assert {name: margin for name, margin in left.items() if margin < 0} == {}


def test_a_function_gets_the_global_layers_and_then_its_own(template: dict[str, Any]) -> None:
    assert attached_layers(template, "ProbeMediaFunction") == ["MediascribeLayer", "FfmpegLayer"]
    assert attached_layers(template, "StartJobFunction") == ["MediascribeLayer"]


def test_a_layer_over_the_limit_shows_as_a_negative_margin(template: dict[str, Any], tmp_path: Path) -> None:
    """The check can fail: a layer of the whole limit leaves every function that attaches it over."""
    small, large = tmp_path / "small", tmp_path / "large"
    small.mkdir()
    large.mkdir()
    with (large / "blob").open("wb") as blob:
        blob.truncate(UNZIPPED_LIMIT)  # sparse: its size counts, no disk is used
    built = {"MediascribeLayer": small, "FfmpegLayer": large}
    over = {name for name, margin in margins(deployment_sizes(template, built)).items() if margin < 0}
    assert over == {name for name in functions(template) if "FfmpegLayer" in attached_layers(template, name)}
    assert {"ProbeMediaFunction", "PrepareAudioFunction"} <= over


def test_a_layer_from_outside_the_template_is_refused_rather_than_counted_as_empty(
    template: dict[str, Any],
) -> None:
    changed = copy.deepcopy(template)
    arn = "arn:aws:lambda:us-east-1:123456789012:layer:extra:1"
    changed["Resources"]["StartJobFunction"]["Properties"]["Layers"] = [arn]
    with pytest.raises(ValueError, match="StartJobFunction: layers built outside"):
        attached_layers(changed, "StartJobFunction")
