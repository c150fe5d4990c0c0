"""CloudFormation details that the constructs share.

`construct.node.default_child` is typed `IConstruct | None`: an L2 construct may have no default child, or one of
any kind. `default_child` says which resource is expected and fails the synth, naming the construct, if it is not
there, so the properties set on it (and the findings acknowledged on it) are checked by the type checker.

`per_deployment_name` is for the few resources that must have a name of ours and are kept when the stack goes.
A first deploy that fails rolls back and keeps them; with a fixed name the retry would fail with "already
exists". The stack id's UUID is new for every stack created, and the same for every update of it.
"""

from __future__ import annotations

from typing import TypeVar

from aws_cdk import Aws, CfnResource, Fn
from constructs import IConstruct

CfnT = TypeVar("CfnT", bound=CfnResource)


def default_child(construct: IConstruct, kind: type[CfnT]) -> CfnT:
    """The `kind` resource that `construct` wraps (its default child)."""
    child = construct.node.default_child
    if not isinstance(child, kind):
        raise TypeError(f"{construct.node.path}: expected a {kind.__name__} as default child, found {child!r}")
    return child


def per_deployment_name(prefix: str) -> str:
    """`prefix` and the first 8 hex digits of the stack id's UUID, e.g. `aws-waf-logs-kommunal-pro-pilot-1a2b3c4d`."""
    uuid = Fn.select(2, Fn.split("/", Aws.STACK_ID))
    return Fn.join("-", [prefix, Fn.select(0, Fn.split("-", uuid))])
