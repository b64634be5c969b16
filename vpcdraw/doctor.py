"""`vpcdraw doctor`: what this machine has for drawing and for AWS, each with one line of advice."""

from __future__ import annotations

import subprocess

from vpcdraw.deploy.aws import configuration
from vpcdraw.render.environment import INSTALL_DOT, INSTALL_FONT, dot_path, hangul_font

Check = tuple[bool, bool, str]  # ok, required for drawing, the line to print


def checks(profile: str | None = None) -> list[Check]:
    """Each check's result: drawing needs dot; fonts and AWS settings are advice."""
    found: list[Check] = []
    dot = dot_path()
    if dot:
        version = subprocess.run([dot, "-V"], capture_output=True, text=True, check=False).stderr.strip()
        found.append((True, True, f"Graphviz: {version or dot}"))
    else:
        found.append((False, True, f"Graphviz's dot is missing: {INSTALL_DOT}"))
    font = hangul_font()
    found.append((font is not None, False,
                  f"Korean font: {font}" if font else f"no Korean font, so Hangul labels would draw as boxes: "
                  f"{INSTALL_FONT}"))
    aws = configuration(profile)
    if aws.problem:
        found.append((False, False, f"AWS configuration: {aws.problem}"))
        return found
    found.append((aws.credentials is not None, False,
                  f"AWS credentials: from {aws.credentials}" if aws.credentials else
                  "AWS credentials: none found; run `aws configure` (or use --local, the embedded local AWS)"))
    found.append((aws.region is not None, False,
                  f"AWS region: {aws.region}" if aws.region else
                  "AWS region: none set; topology files name their own region, or set AWS_REGION"))
    found.append((True, False, f"AWS endpoint: {aws.endpoint}" if aws.endpoint else
                  "AWS endpoint: AWS itself (set AWS_ENDPOINT_URL to use a local one)"))
    return found
