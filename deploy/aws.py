"""The one module that imports boto3 and botocore: sessions from the standard AWS configuration.

Everything else in vpcdraw talks to AWS through `Ec2`, by API operation name, and sees AWS's errors as
`AwsError` with AWS's own error code.
"""

from __future__ import annotations

import ipaddress
import os
import random
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from vpcdraw.topology.errors import VpcdrawError

LOCAL_ACCESS_KEY = "vpcdraw-local"  # dummy credentials for a local endpoint (moto accepts any)
THROTTLING = {"RequestLimitExceeded", "Throttling", "ThrottlingException", "RequestThrottled",
              "TooManyRequestsException"}
MAX_ATTEMPTS = 10


class AwsError(VpcdrawError):
    """An AWS API error, with AWS's error code (`InvalidSubnet.Conflict`) and the operation that failed."""

    def __init__(self, operation: str, code: str, message: str) -> None:
        self.operation = operation
        self.code = code
        super().__init__(f"{operation} failed: {code}: {message}")


class LostResponse(VpcdrawError):
    """A request may have reached AWS but no answer came back (timeout, reset)."""


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


def is_local(endpoint: str | None) -> bool:
    """Whether an endpoint URL is on a loopback address (a local AWS such as moto): no confirmation there.

    >>> is_local("http://127.0.0.1:5000"), is_local("http://localhost:4566"), is_local(None)
    (True, True, False)
    """
    if not endpoint:
        return False
    host = urlparse(endpoint).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Ec2:
    """An EC2 client for one region: calls by operation name, pagination, and safe creates.

    botocore retries throttling and server errors in standard mode. Creates that take no ClientToken go
    through `create_once`, which never re-sends blindly after a lost response: it looks first.
    """

    def __init__(self, region: str, *, profile: str | None = None, endpoint: str | None = None,
                 local_server: bool = False) -> None:
        import boto3
        from botocore.config import Config

        configured = configuration(profile)
        self.endpoint = endpoint or configured.endpoint
        self.region = region
        credentials: dict[str, str] = {}
        # vpcdraw's own local AWS never sees real credentials; another local endpoint gets them only if set
        if local_server or (is_local(self.endpoint) and configured.credentials is None):
            credentials = {"aws_access_key_id": LOCAL_ACCESS_KEY, "aws_secret_access_key": LOCAL_ACCESS_KEY}
        session = boto3.session.Session(profile_name=profile, region_name=region, **credentials)
        retrying = Config(retries={"mode": "standard", "max_attempts": MAX_ATTEMPTS}, connect_timeout=10,
                          read_timeout=60, max_pool_connections=32)
        single = Config(retries={"mode": "standard", "total_max_attempts": 1}, connect_timeout=10, read_timeout=60,
                        max_pool_connections=32)
        self.session = session
        self.client = session.client("ec2", endpoint_url=self.endpoint, config=retrying)
        self._single = session.client("ec2", endpoint_url=self.endpoint, config=single)
        self._sts = session.client("sts", endpoint_url=self.endpoint, config=retrying)
        self._retrying = retrying
        self._parameters: dict[str, str] = {}  # read once per client: every instance of an apply uses one AMI
        self._parameter_lock = threading.Lock()
        self._lock = threading.Lock()
        self.mutating_calls = 0

    @property
    def local(self) -> bool:
        """Whether this client talks to a local endpoint."""
        return is_local(self.endpoint)

    def account(self) -> str:
        """The account id the credentials belong to."""
        return str(self._translate("GetCallerIdentity", lambda: self._sts.get_caller_identity())["Account"])

    @property
    def clients(self) -> tuple[Any, Any]:
        """Both botocore EC2 clients (retrying, and single-shot for creates), to hook events on."""
        return self.client, self._single

    def service(self, name: str) -> Service:
        """Another AWS service (IAM, Budgets) on the same session, endpoint and error translation."""
        return Service(self, name)

    def parameter(self, name: str) -> str:
        """The value of a public SSM parameter, such as the latest Amazon Linux AMI id: read once, with the
        same retries as EC2 (SSM throttles GetParameter too)."""
        with self._parameter_lock:
            if name in self._parameters:
                return self._parameters[name]
            ssm = self.session.client("ssm", endpoint_url=self.endpoint, config=self._retrying)
            value = str(self._translate("GetParameter", lambda: ssm.get_parameter(Name=name))["Parameter"]["Value"])
            self._parameters[name] = value
            return value

    def call(self, operation: str, **params: Any) -> dict[str, Any]:
        """Call an EC2 operation by its API name (`CreateSubnet`) with botocore's retries."""
        method = getattr(self.client, _snake(operation))
        if not operation.startswith(("Describe", "Get")):
            with self._lock:
                self.mutating_calls += 1
        return self._translate(operation, lambda: method(**params))

    def paginate(self, operation: str, key: str, **params: Any) -> list[dict[str, Any]]:
        """Every item under `key` of a Describe operation, following NextToken across pages."""
        if not self.client.can_paginate(_snake(operation)):  # DescribeAddresses returns all at once
            return list(self.call(operation, **params).get(key, []))
        paginator = self.client.get_paginator(_snake(operation))
        items: list[dict[str, Any]] = []

        def pages() -> Iterator[dict[str, Any]]:
            yield from paginator.paginate(**params)

        for page in self._translate(operation, lambda: list(pages())):
            items += page.get(key, [])
        return items

    def create_once(self, operation: str, find: Callable[[], str | None], **params: Any) -> dict[str, Any] | str:
        """Create something that takes no ClientToken, never twice.

        Throttled calls (not executed) are retried; after a lost response, `find` looks for what the call
        may have made (by tag) and its id is returned instead of calling again.
        """
        method = getattr(self._single, _snake(operation))
        for attempt in range(MAX_ATTEMPTS):
            with self._lock:
                self.mutating_calls += 1
            try:
                return self._translate(operation, lambda: method(**params))
            except AwsError as error:
                if error.code not in THROTTLING and error.code not in ("InternalError", "ServiceUnavailable"):
                    raise
                if error.code in ("InternalError", "ServiceUnavailable"):
                    found = find()
                    if found:
                        return found
            except LostResponse:
                found = find()
                if found:
                    return found
            time.sleep(min(20.0, 0.2 * 2**attempt) * random.uniform(0.5, 1.0))
        raise VpcdrawError(f"{operation} did not succeed after {MAX_ATTEMPTS} attempts; run the command again")

    def _translate(self, operation: str, run: Callable[[], Any]) -> Any:
        import botocore.exceptions

        try:
            return run()
        except botocore.exceptions.ClientError as error:
            detail = error.response.get("Error", {})
            raise AwsError(operation, str(detail.get("Code", "Unknown")), str(detail.get("Message", ""))) from None
        except (botocore.exceptions.ReadTimeoutError, botocore.exceptions.ConnectionClosedError) as error:
            raise LostResponse(f"{operation}: no answer from {self.endpoint or 'AWS'} ({error})") from None
        except botocore.exceptions.EndpointConnectionError:
            raise VpcdrawError(
                f"cannot reach {self.endpoint or 'AWS'}; is it running? (`vpcdraw local start` starts a local one)"
            ) from None
        except botocore.exceptions.NoCredentialsError:
            raise VpcdrawError("no AWS credentials found; run `aws configure`, or use --local") from None
        except botocore.exceptions.BotoCoreError as error:
            raise VpcdrawError(f"{operation}: {error}") from None


class Service:
    """A client of another AWS service, called by operation name like `Ec2.call`."""

    def __init__(self, ec2: Ec2, name: str) -> None:
        from botocore.config import Config

        self._ec2 = ec2
        self.client = ec2.session.client(name, endpoint_url=ec2.endpoint,
                                         config=Config(retries={"mode": "standard", "max_attempts": MAX_ATTEMPTS}))

    def call(self, operation: str, **params: Any) -> dict[str, Any]:
        """Call an operation by its API name, errors as AwsError."""
        method = getattr(self.client, _snake(operation))
        return dict(self._ec2._translate(operation, lambda: method(**params)))


def _snake(operation: str) -> str:
    """botocore's method name for an API operation: `CreateSubnet` is `create_subnet`."""
    from botocore import xform_name

    return str(xform_name(operation))
