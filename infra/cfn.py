"""Typed access to the CloudFormation resource (L1) below an L2 construct.

`construct.node.default_child` is typed `IConstruct | None`: an L2 construct may have no default child, or one of
any kind. `default_child` says which resource is expected and fails the synth, naming the construct, if it is not
there, so the properties set on it (and the findings acknowledged on it) are checked by the type checker.
"""

from __future__ import annotations

from typing import TypeVar

from aws_cdk import CfnResource
from constructs import IConstruct

CfnT = TypeVar("CfnT", bound=CfnResource)


def default_child(construct: IConstruct, kind: type[CfnT]) -> CfnT:
    """The `kind` resource that `construct` wraps (its default child)."""
    child = construct.node.default_child
    if not isinstance(child, kind):
        raise TypeError(f"{construct.node.path}: expected a {kind.__name__} as default child, found {child!r}")
    return child
