"""The one module that imports boto3 and botocore: sessions from the standard AWS configuration."""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Configuration:
    """What the standard AWS configuration resolves to here, for `vpcdraw doctor`."""

    profile: str | None
    credentials: str | None  # where they come from (env, shared-credentials-file, ...), None when absent
    region: str | None
    endpoint: str | None
    problem: str | None = None


def configuration(profile: str | None = None) -> Configuration:
    """Resolve credentials, region and endpoint the way boto3 will, without calling AWS."""
    import botocore.exceptions
    import botocore.session

    session = botocore.session.Session(profile=profile)
    try:
        credentials = session.get_credentials()
        # botocore reads AWS_DEFAULT_REGION only; vpcdraw, like the other AWS SDKs, honours AWS_REGION first
        region = os.environ.get("AWS_REGION") or session.get_config_variable("region")
        scoped = session.get_scoped_config()
    except botocore.exceptions.BotoCoreError as error:
        return Configuration(profile, None, None, None, str(error))
    endpoint = os.environ.get("AWS_ENDPOINT_URL_EC2") or os.environ.get("AWS_ENDPOINT_URL") or scoped.get(
        "endpoint_url"
    )
    method = credentials.method if credentials is not None else None
    return Configuration(profile or os.environ.get("AWS_PROFILE"), method, region, endpoint)
