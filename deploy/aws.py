"""The one module that imports boto3 and botocore: sessions from the standard AWS configuration.

Everything else in vpcdraw talks to AWS through `Ec2`, by API operation name, and sees AWS's errors as
`AwsError` with AWS's own error code.
"""

from __future__ import annotations

import difflib
import functools
import ipaddress
import os
import random
import re
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
CONNECT_TIMEOUT = 3  # seconds: AWS and a local endpoint accept within milliseconds; a dead address never does
ROLE_SESSION_NAME = "vpcdraw-reviewer"  # what the student's CloudTrail shows for the reviewer's reads
READ_ONLY_PREFIXES = ("Describe", "Get", "List")  # with AssumeRole, all an assumed reviewer role may call
# STS AssumeRole: ExternalId is 2-1224 characters of [\w+=,.@:/-] (AWS STS API reference, AssumeRole).
_EXTERNAL_ID = re.compile(r"[\w+=,.@:/-]{2,1224}", re.ASCII)
# An IAM role's ARN: arn:<partition>:iam::<12 digits>:role/<path/><name>, the name 1-64 of [\w+=,.@-].
_ROLE_ARN = re.compile(r"arn:aws(?:-cn|-us-gov)?:iam::\d{12}:role/(?:[!-~]+/)?[\w+=,.@-]{1,64}", re.ASCII)


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
        return Configuration(profile, None, None, None, str(_explained(error)))
    endpoint, problem = None, None
    for source, value in (("AWS_ENDPOINT_URL_EC2", os.environ.get("AWS_ENDPOINT_URL_EC2")),
                          ("AWS_ENDPOINT_URL", os.environ.get("AWS_ENDPOINT_URL")),
                          (f"endpoint_url of the AWS profile '{session.profile or 'default'}'",
                           scoped.get("endpoint_url"))):
        if value:
            endpoint, problem = value, None if _is_url(value) else (
                f"{source} is '{value}', which is not an endpoint URL such as http://localhost:4566")
            break
    method = credentials.method if credentials is not None else None
    return Configuration(profile or os.environ.get("AWS_PROFILE"), method, region, endpoint, problem)


def _is_url(endpoint: str) -> bool:
    """Whether botocore takes `endpoint` as an endpoint URL, and it is http or https.

    >>> _is_url("http://127.0.0.1:5000"), _is_url("not a url"), _is_url("http://"), _is_url("ftp://x")
    (True, False, False, False)
    """
    from botocore.utils import is_valid_endpoint_url, is_valid_ipv6_endpoint_url

    try:
        return urlparse(endpoint).scheme in ("http", "https") and bool(
            is_valid_endpoint_url(endpoint) or is_valid_ipv6_endpoint_url(endpoint))
    except ValueError:  # "http://[::1": an unclosed IPv6 address
        return False


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


def shown(text: str) -> str:
    """`text` as a message can quote it: control characters escaped.

    >>> shown("a\\nb")
    'a\\\\nb'
    """
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def check_external_id(external_id: str) -> None:
    """VpcdrawError in one sentence unless STS accepts `external_id` (checked before any call).

    >>> check_external_id("course-2026")
    >>> check_external_id("x")
    Traceback (most recent call last):
    ...
    vpcdraw.topology.errors.VpcdrawError: external id 'x' must be 2-1224 ASCII letters, digits and +=,.@:/_-
    """
    if not _EXTERNAL_ID.fullmatch(external_id):
        raise VpcdrawError(f"external id '{shown(external_id)}' must be 2-1224 ASCII letters, digits and +=,.@:/_-")


def check_role_arn(role_arn: str) -> None:
    """VpcdrawError in one sentence unless `role_arn` is an IAM role's ARN (checked before any call).

    >>> check_role_arn("arn:aws:iam::123456789012:role/vpcdraw-reviewer")
    >>> check_role_arn("vpcdraw-reviewer")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    vpcdraw.topology.errors.VpcdrawError: --role-arn 'vpcdraw-reviewer' is not an IAM role's ARN such as ...
    """
    if not _ROLE_ARN.fullmatch(role_arn):
        raise VpcdrawError(f"--role-arn '{shown(role_arn)}' is not an IAM role's ARN such as "
                           f"arn:aws:iam::123456789012:role/{ROLE_SESSION_NAME}")


def is_read(operation: str) -> bool:
    """Whether an API operation only reads (all that an assumed reviewer role may call).

    >>> is_read("DescribeVpcs"), is_read("AssumeRole"), is_read("CreateVpc")
    (True, True, False)
    """
    return operation.startswith(READ_ONLY_PREFIXES) or operation == "AssumeRole"


class Ec2:
    """An EC2 client for one region: calls by operation name, pagination, and safe creates.

    botocore retries throttling and server errors in standard mode. Creates that take no ClientToken go
    through `create_once`, which never re-sends blindly after a lost response: it looks first.
    With `role_arn` the credentials (of `profile`, or the standard configuration) assume that role through
    STS, and the client is read-only by construction: every operation but Describe*, Get* and List* is
    refused before it is sent.
    """

    def __init__(self, region: str, *, profile: str | None = None, endpoint: str | None = None,
                 local_server: bool = False, role_arn: str | None = None, external_id: str | None = None) -> None:
        import boto3
        import botocore.exceptions
        from botocore.config import Config

        if role_arn is not None:
            check_role_arn(role_arn)
        if external_id is not None:
            if role_arn is None:
                raise VpcdrawError("--external-id goes with --role-arn: it is what that role's trust policy asks "
                                   "of whoever assumes it")
            check_external_id(external_id)
        configured = configuration(profile)
        if configured.problem:
            raise VpcdrawError(configured.problem)
        self.endpoint = endpoint or configured.endpoint
        self.region, self.profile, self.local_server = region, profile, local_server
        self.role_arn: str | None = None  # set once the role is assumed: from then on, reads only
        credentials: dict[str, str] = {}
        # vpcdraw's own local AWS never sees real credentials; another local endpoint gets them only if set
        if local_server or (is_local(self.endpoint) and configured.credentials is None):
            credentials = {"aws_access_key_id": LOCAL_ACCESS_KEY, "aws_secret_access_key": LOCAL_ACCESS_KEY}
        timeouts = {"connect_timeout": CONNECT_TIMEOUT, "read_timeout": 60, "max_pool_connections": 32}
        retrying = Config(retries={"mode": "standard", "max_attempts": MAX_ATTEMPTS}, **timeouts)
        single = Config(retries={"mode": "standard", "total_max_attempts": 1}, **timeouts)
        self._retrying, self._single_shot = retrying, single
        try:
            self.session = boto3.session.Session(botocore_session=_botocore_session(), profile_name=profile,
                                                 region_name=region, **credentials)
            _check_region(region)  # moto, the local AWS, also serves only these (else: HTTP 500)
            if role_arn is not None:
                self.session = self._assumed(role_arn, external_id)
                self.role_arn = role_arn
            self.client = self._client("ec2", retrying)
        except botocore.exceptions.BotoCoreError as error:
            raise _explained(error, region=region, endpoint=self.endpoint) from None
        self._parameters: dict[str, str] = {}  # read once per client: every instance of an apply uses one AMI
        self._parameter_lock = threading.Lock()
        self._lock = threading.Lock()
        self.mutating_calls = 0

    def _client(self, name: str, config: Any) -> Any:
        """A botocore client of this session and endpoint that gives up at once on an endpoint it cannot
        reach (standard mode would retry that for half a minute) and refuses answers that are not AWS's."""
        client = self.session.client(name, endpoint_url=self.endpoint, config=config)
        client.meta.events.register_first("needs-retry", _unreachable_is_final)
        client.meta.events.register("before-parse", functools.partial(
            _refuse_foreign_answer, client.meta.endpoint_url, self.endpoint is not None))
        if self.role_arn is not None:  # every client of the role's session, whoever calls it and how
            client.meta.events.register("before-call", lambda model, **_: self._refuse_write(model.name))
        return client

    def _assumed(self, role_arn: str, external_id: str | None) -> Any:
        """A boto3 session on the role's credentials: assumed now, so that a refusal is one sentence before
        anything is read, and again by botocore when they are about to expire."""
        import boto3
        import botocore.credentials
        import botocore.session

        sts = self._client("sts", self._retrying)
        asked = {"RoleArn": role_arn, "RoleSessionName": ROLE_SESSION_NAME}
        if external_id is not None:
            asked["ExternalId"] = external_id

        def assume() -> dict[str, str]:
            try:
                given = self._translate("AssumeRole", lambda: sts.assume_role(**asked))["Credentials"]
            except AwsError as error:
                raise _not_assumed(error, role_arn, external_id) from None
            return {"access_key": given["AccessKeyId"], "secret_key": given["SecretAccessKey"],
                    "token": given["SessionToken"], "expiry_time": given["Expiration"].isoformat()}

        credentials = botocore.credentials.RefreshableCredentials.create_from_metadata(
            assume(), assume, "assume-role")
        core = botocore.session.Session(profile=self.profile)
        core.register_component("credential_provider", botocore.credentials.CredentialResolver(
            [_Given(credentials)]))
        return boto3.session.Session(botocore_session=core, region_name=self.region)

    def assuming(self, role_arn: str | None, external_id: str | None = None) -> Ec2:
        """The same region, profile and endpoint, through the read-only role `role_arn` (an external id
        without a role is refused)."""
        return Ec2(self.region, profile=self.profile, endpoint=self.endpoint, local_server=self.local_server,
                   role_arn=role_arn, external_id=external_id)

    def _refuse_write(self, operation: str) -> None:
        """Refuse, before it is sent, an operation that is not a read on a client of an assumed role."""
        if self.role_arn is not None and not is_read(operation):
            raise VpcdrawError(f"{operation} would change the account, and vpcdraw only reads through the "
                               f"reviewer role {self.role_arn}")

    @functools.cached_property
    def _single(self) -> Any:
        """The EC2 client that sends a create once (`create_once`): made when first needed."""
        return self._client("ec2", self._single_shot)

    @functools.cached_property
    def _sts(self) -> Any:
        return self._client("sts", self._retrying)

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
            ssm = self._client("ssm", self._retrying)
            value = str(self._translate("GetParameter", lambda: ssm.get_parameter(Name=name))["Parameter"]["Value"])
            self._parameters[name] = value
            return value

    def call(self, operation: str, **params: Any) -> dict[str, Any]:
        """Call an EC2 operation by its API name (`CreateSubnet`) with botocore's retries."""
        self._refuse_write(operation)
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
        self._refuse_write(operation)
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
        from botocore.parsers import ResponseParserError

        try:
            return run()
        except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError, ResponseParserError) as error:
            raise _explained(error, operation, self.region, self.endpoint) from None


def _explained(error: Exception, operation: str = "", region: str | None = None,
              endpoint: str | None = None) -> VpcdrawError:
    """What botocore raised, as one sentence: `AwsError` for AWS's own errors, `LostResponse` when an answer
    may be lost, `VpcdrawError` naming the profile, file or endpoint at fault for the rest."""
    import botocore.exceptions as failed
    import botocore.session
    from botocore.parsers import ResponseParserError

    if isinstance(error, failed.ClientError):
        detail = error.response.get("Error", {})
        return AwsError(operation, str(detail.get("Code", "Unknown")), str(detail.get("Message", "")))
    if isinstance(error, failed.ReadTimeoutError | failed.ConnectionClosedError):
        return LostResponse(f"{operation}: no answer from {endpoint or 'AWS'} ({error})")
    if isinstance(error, failed.EndpointConnectionError | failed.ConnectTimeoutError):
        url = str(error.kwargs.get("endpoint_url") or endpoint)
        why = f" (no connection within {CONNECT_TIMEOUT} s)" if isinstance(error, failed.ConnectTimeoutError) else ""
        if endpoint is None:
            service = (urlparse(url).hostname or "").split(".")[0].upper()
            return VpcdrawError(f"cannot reach AWS {service} in {region} ({url}){why}; check this machine's network "
                                "connection and proxy settings (HTTPS_PROXY)")
        hint = "is it running? (`vpcdraw local start` starts a local one)" if is_local(endpoint) else (
            "is it running, and is the address right?")
        return VpcdrawError(f"cannot reach {endpoint}{why}; {hint}")
    if isinstance(error, ResponseParserError):
        return VpcdrawError(f"{endpoint or 'AWS'} answered {operation} with something that is not an AWS answer; "
                            "is it an AWS endpoint?")
    if isinstance(error, failed.NoCredentialsError):
        return VpcdrawError("no AWS credentials found; run `aws configure`, or use --local")
    session = botocore.session.Session(profile=None)  # where the configuration is read from, for the messages
    files = {"AWS_CONFIG_FILE": str(session.get_config_variable("config_file")),
             "AWS_SHARED_CREDENTIALS_FILE": str(session.get_config_variable("credentials_file"))}
    if isinstance(error, failed.ProfileNotFound):
        name = str(error.kwargs.get("profile"))
        known = sorted(session.available_profiles)
        close = difflib.get_close_matches(name, known, n=1)
        hint = (f"did you mean '{close[0]}'?" if close else f"the profiles there are {', '.join(known)}"
                if 0 < len(known) <= 8 else "`aws configure --profile NAME` makes one")
        given = " (AWS_PROFILE)" if os.environ.get("AWS_PROFILE") == name else ""
        return VpcdrawError(f"the AWS profile '{name}'{given} is not in {' or '.join(files.values())}; {hint}")
    if isinstance(error, failed.ConfigParseError):
        path = str(error.kwargs.get("path"))
        variable = next((v for v, f in files.items() if os.path.expanduser(f) == path), "AWS_CONFIG_FILE")
        cause = error.kwargs.get("error")
        line = getattr(cause, "lineno", None) or next(iter(getattr(cause, "errors", [])), (None,))[0]
        where = f" (line {line})" if line else ""
        return VpcdrawError(f"the AWS configuration file {path} cannot be parsed{where}; fix it, or point "
                            f"{variable} at another file")
    return VpcdrawError(f"{operation}: {error}" if operation else str(error))


class _Given:
    """A botocore credential provider that gives credentials already made (those of an assumed role)."""

    METHOD = "assume-role"
    CANONICAL_NAME = None

    def __init__(self, credentials: Any) -> None:
        self._credentials = credentials

    def load(self) -> Any:
        return self._credentials


def _not_assumed(error: AwsError, role_arn: str, external_id: str | None) -> VpcdrawError:
    """Why AssumeRole failed, in one sentence: AWS answers AccessDenied for a missing role, a trust policy
    that does not name the caller's account, and a wrong or missing external id alike."""
    if error.code != "AccessDenied":
        return error
    given = "the external id given does not match" if external_id else "it asks for an external id (--external-id)"
    return VpcdrawError(f"AWS would not let these credentials assume the role {role_arn} (AccessDenied): the role "
                        f"does not exist, its trust policy does not name your account, or {given}; the student's "
                        "`vpcdraw account reviewer --trust-account YOUR_ACCOUNT_ID` makes it so")


def _botocore_session() -> Any:
    """A botocore session that shares this process's data loader: the service models are read and decoded once,
    not once per account (a class of thirty accounts makes thirty sessions)."""
    import botocore.session

    session = botocore.session.Session()
    session.register_component("data_loader", _loader())
    return session


class _SearchPaths(list[str]):
    """Where the shared loader finds models: boto3 appends its data path once per session, and once is enough."""

    def append(self, path: str) -> None:
        if path not in self:
            super().append(path)


@functools.cache
def _loader() -> Any:
    """The one botocore data loader of this process, as botocore's create_loader makes it (AWS_DATA_PATH too)."""
    from botocore.loaders import Loader

    extra = [os.path.expanduser(p) for p in os.environ.get("AWS_DATA_PATH", "").split(os.pathsep) if p]
    return Loader(extra_search_paths=_SearchPaths(extra))


@functools.cache
def _regions() -> frozenset[str]:
    """Every region botocore's endpoint data names for EC2, in every partition: read once per process."""
    session = _botocore_session()
    return frozenset(r for p in session.get_available_partitions() for r in session.get_available_regions("ec2", p))


def _check_region(region: str) -> None:
    """Refuse a region AWS does not have before any call (its endpoint's name would not resolve)."""
    import botocore

    known = sorted(_regions())
    if region in known:
        return
    close = difflib.get_close_matches(region, known, n=1)
    hint = f"did you mean '{close[0]}'?" if close else "AWS's regions are named like us-east-1 and ap-northeast-2"
    raise VpcdrawError(f"AWS has no region '{region}' (as far as botocore {botocore.__version__} knows); {hint}")


def _unreachable_is_final(caught_exception: Exception | None = None, **_: Any) -> None:
    """botocore's `needs-retry` hook: an endpoint that refuses, does not resolve or does not accept in time is
    reported at once; standard mode would retry it MAX_ATTEMPTS times. Throttling and 5xx still retry."""
    import botocore.exceptions as failed

    if isinstance(caught_exception, failed.EndpointConnectionError | failed.ConnectTimeoutError
                  | failed.ProxyConnectionError):
        raise caught_exception


def _refuse_foreign_answer(url: str, overridden: bool, response_dict: dict[str, Any], operation_model: Any,
                           **_: Any) -> None:
    """botocore's `before-parse` hook: stop at an answer no AWS service gives. Parsed, a web page's 200 reads
    as "nothing there", which plan would take for an empty account."""
    status, body = response_dict["status_code"], response_dict.get("body")
    if not isinstance(body, bytes):
        return
    start = body.lstrip()[:20].lower()
    if status >= 500:  # a front end's 5xx page, retried like AWS's own: botocore knows only those starting "<html>"
        if start.startswith(b"<!doctype"):
            response_dict["body"] = b""
        return
    if start.startswith((b"<!doctype", b"<html")):
        what = "a web page"
    elif not start and operation_model.metadata.get("protocol") in ("ec2", "query"):
        what = "an empty body"
    else:
        return
    hint = "is it an AWS endpoint?" if overridden else "is a proxy in the way?"
    raise VpcdrawError(f"{url} answered {operation_model.name} with {what} (HTTP {status}), which is not AWS; {hint}")


class Service:
    """A client of another AWS service, called by operation name like `Ec2.call`."""

    def __init__(self, ec2: Ec2, name: str) -> None:
        self._ec2 = ec2
        self.client = ec2._client(name, ec2._retrying)

    def call(self, operation: str, **params: Any) -> dict[str, Any]:
        """Call an operation by its API name, errors as AwsError (and only reads through an assumed role)."""
        self._ec2._refuse_write(operation)
        method = getattr(self.client, _snake(operation))
        return dict(self._ec2._translate(operation, lambda: method(**params)))


def _snake(operation: str) -> str:
    """botocore's method name for an API operation: `CreateSubnet` is `create_subnet`."""
    from botocore import xform_name

    return str(xform_name(operation))
