"""A fault-injecting HTTP proxy in front of a moto server: throttling, 500s, latency, lost responses, resets.

Every fault is chosen per EC2 action from a seeded random generator, so a run is reproducible. The proxy
also keeps AWS's promise about ClientToken that moto does not keep, as the EC2 documentation states it
("Ensuring idempotency in Amazon EC2 API requests"): a request repeated with the same token and the same
parameters gets the first answer again (even when the resource is gone since: EC2 keeps a token for at
least 24 hours after the resource is deleted), and one with the same token and other parameters fails
with IdempotentParameterMismatch. And it can kill a process (SIGKILL) at the Nth mutating call.

With `Faults(aws_rules=True)` it also refuses, as AWS does, what moto accepts and vpcdraw's ordering must
avoid, and does what AWS does where moto does not (see `AwsRules`, each rule with the AWS page saying so).
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import socket
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

THROTTLE = (b'<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>RequestLimitExceeded</Code>'
            b"<Message>Request limit exceeded.</Message></Error></Errors><RequestID>fault</RequestID></Response>")
MISMATCH = (b'<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>IdempotentParameterMismatch'
            b"</Code><Message>The client token you have provided is associated with a resource that is already "
            b"deleted or has different parameters</Message></Error></Errors><RequestID>fault</RequestID></Response>")
DONE = (b'<?xml version="1.0" encoding="UTF-8"?><Response><requestId>fault</requestId><return>true</return>'
        b"</Response>")
INTERNAL = (b'<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>InternalError</Code>'
            b"<Message>An internal error has occurred</Message></Error></Errors><RequestID>fault</RequestID>"
            b"</Response>")


@dataclass
class Faults:
    """The fault mix: probabilities per request, actions they apply to, and a kill point."""

    seed: int = 0
    throttle: float = 0.0
    error: float = 0.0
    reset: float = 0.0  # the connection drops before the request arrives
    lost: float = 0.0  # the request is executed, the answer never arrives
    latency: float = 0.0  # seconds added to every request
    only: set[str] = field(default_factory=set)  # actions the faults apply to (empty: every action)
    lose_first: set[str] = field(default_factory=set)  # lose the first answer of these actions, once each
    pretend: set[str] = field(default_factory=set)  # answer these actions "done" without doing them
    refuse: dict[str, str] = field(default_factory=dict)  # answer these actions with this AWS error code (400)
    aws_rules: bool = False  # refuse and do what AWS documents where moto does not (AwsRules)
    kill_pid: int | None = None
    kill_at: int = 0  # SIGKILL kill_pid when this mutating call arrives (it is not forwarded)

    def __post_init__(self) -> None:
        self.random = random.Random(self.seed)


class FaultProxy:
    """Start with `FaultProxy(upstream, faults)`; `.endpoint` is where clients go; `.counts` says what happened."""

    def __init__(self, upstream: str, faults: Faults | None = None) -> None:
        self.upstream = upstream
        self.faults = faults or Faults()
        self.counts: dict[str, int] = {"requests": 0, "mutating": 0, "throttled": 0, "errors": 0, "resets": 0,
                                       "lost": 0, "replayed": 0, "mismatched": 0, "pretended": 0, "refused": 0,
                                       "killed": 0, "aws_refused": 0}
        self.actions: dict[str, int] = {}  # requests by action, faults included
        self.tokens: dict[str, tuple[dict[str, list[str]], int, bytes]] = {}  # token: parameters, first answer
        self.aws_refusals: list[tuple[str, str]] = []  # (action, code) of what AwsRules refused
        self.rules: dict[tuple[str, str], AwsRules] = {}
        self.lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # else headers and body wait out a delayed ACK: 40 ms a call

            def do_POST(self) -> None:
                proxy._handle(self)

            def do_GET(self) -> None:
                proxy._handle(self)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.endpoint = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _decide(self, action: str) -> str:
        f = self.faults
        with self.lock:
            self.counts["requests"] += 1
            mutating = bool(action) and not action.startswith(("Describe", "Get"))
            if mutating:
                self.counts["mutating"] += 1
                if f.kill_pid and self.counts["mutating"] == f.kill_at:
                    self.counts["killed"] += 1
                    return "kill"
            if action in f.lose_first:
                f.lose_first.discard(action)
                return "lost"
            if action in f.pretend:
                return "pretend"
            if action in f.refuse:
                return "refuse"
            if f.only and action not in f.only:
                return "pass"
            roll = f.random.random()
            for name, chance in (("throttle", f.throttle), ("error", f.error), ("reset", f.reset),
                                 ("lost", f.lost)):
                if roll < chance:
                    return name
                roll -= chance
            return "pass"

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length", 0) or 0)
        body = handler.rfile.read(length) if length else b""
        form = parse_qs(body.decode("utf-8", "replace"))
        # The query protocol (EC2) names the action in the form, the JSON protocol (SSM) in X-Amz-Target.
        action = form.get("Action", [""])[0] or handler.headers.get("X-Amz-Target", "").rpartition(".")[2]
        with self.lock:
            self.actions[action] = self.actions.get(action, 0) + 1
        token = form.get("ClientToken", [""])[0]
        if self.faults.latency:
            time.sleep(self.faults.latency)
        verdict = self._decide(action)
        if verdict == "kill":
            os.kill(self.faults.kill_pid or 0, signal.SIGKILL)
            self._drop(handler, "")
            return
        if verdict == "pretend":  # a write AWS says it did, and did not
            self._answer(handler, 200, DONE, "pretended")
            return
        if verdict == "refuse":  # as AWS refuses it, e.g. an account alias another account holds
            code = self.faults.refuse[action].encode()
            self._answer(handler, 400, b'<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>'
                         + code + b"</Code><Message>refused</Message></Error></Errors></Response>", "refused")
            return
        if verdict == "throttle":
            self._answer(handler, 503, THROTTLE, "throttled")
            return
        if verdict == "error":
            self._answer(handler, 500, INTERNAL, "errors")
            return
        if verdict == "reset":
            self._drop(handler, "resets")
            return
        rules = self._rules(handler.headers) if self.faults.aws_rules else None
        refusal = rules.checked(action, form) if rules else None
        if refusal:
            with self.lock:
                self.aws_refusals.append((action, refusal[0]))
            self._answer(handler, 400, _error(*refusal), "aws_refused")
            return
        key = f"{action}:{token}" if token else ""
        with self.lock:
            cached = self.tokens.get(key) if key else None
        if cached is not None:
            if cached[0] != form:  # the same token for another request
                self._answer(handler, 400, MISMATCH, "mismatched")
            else:  # AWS answers a repeated ClientToken with the first result, whatever became of it
                self._answer(handler, cached[1], cached[2], "replayed")
            return
        if rules and action == "ModifyVpcEndpoint":
            rules.before_modify_endpoint(form)
        status, data = self._forward(handler, body)
        if rules and action == "ModifyVpcEndpoint" and status == 200:
            rules.after_modify_endpoint(form)
        if key and status == 200:
            with self.lock:
                self.tokens[key] = (form, status, data)
        if verdict == "lost":
            self._drop(handler, "lost")
            return
        self._answer(handler, status, data)

    def _rules(self, headers: Any) -> AwsRules:
        """The AWS rules for the caller's region and moto account (one boto3 client each: they are slow to make)."""
        scope = str(headers.get("Authorization", "")).partition("Credential=")[2].split("/")
        region = scope[2] if len(scope) > 2 else "us-east-1"
        account = str(headers.get("x-moto-account-id") or "")
        with self.lock:
            if (region, account) not in self.rules:
                self.rules[region, account] = AwsRules(self.upstream, region, account)
            return self.rules[region, account]

    def _forward(self, handler: BaseHTTPRequestHandler, body: bytes) -> tuple[int, bytes]:
        headers = {k: v for k, v in handler.headers.items() if k.lower() not in ("host", "content-length")}
        request = urllib.request.Request(self.upstream + handler.path, data=body or None, headers=headers,
                                         method=handler.command)
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def _answer(self, handler: BaseHTTPRequestHandler, status: int, data: bytes, count: str = "") -> None:
        if count:
            with self.lock:
                self.counts[count] += 1
        handler.send_response(status)
        handler.send_header("Content-Type", "text/xml")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    def _drop(self, handler: BaseHTTPRequestHandler, count: str) -> None:
        if count:
            with self.lock:
                self.counts[count] += 1
        handler.close_connection = True
        with contextlib.suppress(OSError):
            handler.connection.shutdown(socket.SHUT_RDWR)


def _error(code: str, message: str) -> bytes:
    return (b'<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>' + code.encode()
            + b"</Code><Message>" + message.encode() + b"</Message></Error></Errors><RequestID>aws-rules</RequestID>"
            b"</Response>")


def _listed(form: dict[str, list[str]], name: str) -> list[str]:
    """The values of a query-protocol list parameter (`SubnetId.1`, `SubnetId.2`, ...)."""
    return [values[0] for key, values in sorted(form.items()) if key.startswith(f"{name}.")]


GONE = ("deleting", "deleted", "failed", "rejected")


class AwsRules:
    """What AWS refuses or does that moto does not, checked against moto's own state with plain describe calls
    (in the caller's region and moto account, from the request's signature and `x-moto-account-id`)."""

    def __init__(self, upstream: str, region: str, account: str) -> None:
        import boto3

        self.ec2 = boto3.client("ec2", region_name=region, endpoint_url=upstream, aws_access_key_id="rules",
                                aws_secret_access_key="rules")
        if account:
            self.ec2.meta.events.register("before-send.ec2.*", lambda request, **_: request.headers.__setitem__(
                "x-moto-account-id", account))

    def _attachments(self, name: str, value: str) -> list[dict[str, Any]]:
        found = self.ec2.describe_transit_gateway_vpc_attachments(Filters=[{"Name": name, "Values": [value]}])
        return [a for a in found["TransitGatewayVpcAttachments"] if a.get("State") not in GONE]

    def _endpoints(self, vpc: str = "") -> list[dict[str, Any]]:
        found = self.ec2.describe_vpc_endpoints(**({"Filters": [{"Name": "vpc-id", "Values": [vpc]}]} if vpc else {}))
        return [e for e in found["VpcEndpoints"] if str(e.get("State", "")).lower() not in GONE]

    def checked(self, action: str, form: dict[str, list[str]]) -> tuple[str, str] | None:
        """`refusal`, or None when moto cannot tell (what the request names is not there: moto answers that)."""
        import botocore.exceptions

        try:
            return self.refusal(action, form)
        except (botocore.exceptions.ClientError, IndexError, KeyError):
            return None

    def refusal(self, action: str, form: dict[str, list[str]]) -> tuple[str, str] | None:
        """AWS's error code and message for a request AWS refuses and moto accepts, or None."""
        one = {k: v[0] for k, v in form.items()}
        if action == "DeleteVpc":
            # "You must detach or delete all gateways and resources that are associated with the VPC before you can
            # delete it" (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DeleteVpc.html); moto checks
            # only subnets and VPN gateways, not transit gateway attachments or (gateway) endpoints.
            vpc = one.get("VpcId", "")
            if self._attachments("vpc-id", vpc) or self._endpoints(vpc):
                return "DependencyViolation", f"The vpc '{vpc}' has dependencies and cannot be deleted."
        if action == "DeleteSubnet":
            # A transit gateway attachment and an interface endpoint put a network interface in each of their
            # subnets (https://docs.aws.amazon.com/vpc/latest/tgw/tgw-vpc-attachments.html,
            # https://docs.aws.amazon.com/vpc/latest/privatelink/create-interface-endpoint.html); a subnet with
            # network interfaces in use cannot be deleted
            # (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DeleteSubnet.html). moto keeps neither.
            subnet = one.get("SubnetId", "")
            users = [a for a in self._attachments("subnet-id", subnet) if subnet in a.get("SubnetIds", [])]
            users += [e for e in self._endpoints() if subnet in e.get("SubnetIds", [])]
            if users:
                return "DependencyViolation", f"The subnet '{subnet}' has dependencies and cannot be deleted."
        if action == "DeleteSecurityGroup":
            # An interface endpoint's network interfaces use its groups: "you can't delete a security group that is
            # associated with a network interface" (https://docs.aws.amazon.com/vpc/latest/userguide/
            # deleting-security-groups.html); moto does not know the endpoint's interfaces use them.
            group = one.get("GroupId", "")
            if any(group in [g.get("GroupId") for g in e.get("Groups", [])] for e in self._endpoints()):
                return "DependencyViolation", f"resource {group} has a dependent object"
        if action == "DeleteTransitGateway":
            # "You can't delete a transit gateway that has existing attachments. You must delete all attachments
            # before you can delete a transit gateway" (https://docs.aws.amazon.com/vpc/latest/tgw/tgw-transit-
            # gateways.html#delete-tgw); AWS answers IncorrectState ("tgw-... has non-deleted Transit Gateway
            # Attachments", https://github.com/hashicorp/terraform-provider-aws/issues/7196). moto deletes it.
            gateway = one.get("TransitGatewayId", "")
            attached = self._attachments("transit-gateway-id", gateway)
            if attached:
                names = ", ".join(a["TransitGatewayAttachmentId"] for a in attached)
                return "IncorrectState", f"{gateway} has non-deleted Transit Gateway Attachments: {names}."
        if action in ("CreateRoute", "ReplaceRoute") and one.get("TransitGatewayId"):
            # A VPC routes to a transit gateway through its attachment: routes to it are added once the attachment
            # is available (https://docs.aws.amazon.com/vpc/latest/tgw/tgw-getting-started.html, step 4); before,
            # AWS answers InvalidTransitGatewayID.NotFound
            # (https://github.com/hashicorp/terraform-provider-aws/issues/10025). moto takes any route.
            gateway = one["TransitGatewayId"]
            table = self.ec2.describe_route_tables(RouteTableIds=[one.get("RouteTableId", "")])["RouteTables"][0]
            if not [a for a in self._attachments("vpc-id", table["VpcId"])
                    if a["TransitGatewayId"] == gateway and a["State"] == "available"]:
                return ("InvalidTransitGatewayID.NotFound",
                        f"The transitGateway ID '{gateway}' does not exist.")
        return None

    def _prefix_list(self, endpoint: str) -> tuple[str, list[str]]:
        """A gateway endpoint's service prefix list and its route tables."""
        item = self.ec2.describe_vpc_endpoints(VpcEndpointIds=[endpoint])["VpcEndpoints"][0]
        lists = self.ec2.describe_prefix_lists(Filters=[{"Name": "prefix-list-name", "Values": [item["ServiceName"]]}])
        found = lists["PrefixLists"]
        return (found[0]["PrefixListId"] if found else ""), list(item.get("RouteTableIds", []))

    def before_modify_endpoint(self, form: dict[str, list[str]]) -> None:
        """Taking a route table from a gateway endpoint removes the endpoint's route from it
        (https://docs.aws.amazon.com/vpc/latest/privatelink/gateway-endpoints.html#gateway-endpoint-routing:
        "When you remove a route table from a gateway endpoint, we remove the route"); moto only forgets the table,
        and then cannot delete the endpoint."""
        endpoint = form.get("VpcEndpointId", [""])[0]
        removed = _listed(form, "RemoveRouteTableId")
        if not removed:
            return
        prefix_list, tables = self._prefix_list(endpoint)
        for table in removed:
            if prefix_list and table in tables:
                self.ec2.delete_route(RouteTableId=table, DestinationPrefixListId=prefix_list)

    def after_modify_endpoint(self, form: dict[str, list[str]]) -> None:
        """Giving a gateway endpoint a route table adds its prefix-list route there (the same page: "we add a
        route"); moto only records the table, so the route is missing and the endpoint cannot be deleted."""
        endpoint = form.get("VpcEndpointId", [""])[0]
        added = _listed(form, "AddRouteTableId")
        if not added:
            return
        prefix_list, _tables = self._prefix_list(endpoint)
        for table in added:
            if prefix_list:
                self.ec2.create_route(RouteTableId=table, DestinationPrefixListId=prefix_list, GatewayId=endpoint)
