"""The audit log: every read or change of a citizen's data by staff, written as part of the request.

Events live in their own table so IAM can make it append-only (PutItem and Query, nothing else).
Events by citizen: PK = "<tenant>#CITIZEN#<citizen>", SK = "<at>#<event id>"; by staff member under
GSI1PK = "<tenant>#STAFF#<subject>". Each event expires after the environment's retention.
A change writes its "done" event in the same TransactWriteItems as its data (`event_put`), so the log
shows a change as done exactly when it was written. A read, and a refused attempt once the refusal is known,
is recorded on its own (`record`): if that event cannot be written the request fails and no data is returned
(fail closed).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Literal

from boto3.dynamodb.conditions import Key
from botocore.exceptions import BotoCoreError, ClientError
from pydantic import AwareDatetime, Field

from kommunal_pro.auth import Principal
from kommunal_pro.clock import utc_now
from kommunal_pro.config import get_settings
from kommunal_pro.errors import RETRY_AFTER_SECONDS, Problem
from kommunal_pro.models import ApiModel
from kommunal_pro.observability import logger
from kommunal_pro.storage.pages import Page, query_page
from kommunal_pro.storage.schema import GSI1, PK, SK, TTL_ATTRIBUTE, key
from kommunal_pro.storage.table import audit_table, from_items, query_all, to_item

AUDIT_PAGE = 100


class Access(StrEnum):
    """What staff did, with the purpose the citizen sees (Danish)."""

    CITIZEN_SEARCH = "citizen.search"
    CITIZEN_REGISTER = "citizen.register"
    CITIZEN_READ = "citizen.read"
    ASSIGNMENTS_READ = "assignments.read"
    ASSIGNMENT_CHANGE = "assignment.change"
    RESPONSES_READ = "responses.read"
    RESPONSE_READ = "response.read"
    RESPONSE_EXPORT = "response.export"
    RESPONSE_REVIEW = "response.review"
    WORKLIST_READ = "worklist.read"

    @property
    def purpose(self) -> str:
        return _PURPOSES[self]


_PURPOSES = {
    Access.CITIZEN_SEARCH: "Fremsøgning af borgeren ved CPR-nummer",
    Access.CITIZEN_REGISTER: "Oprettelse af borgeren til digitale spørgeskemaer",
    Access.CITIZEN_READ: "Visning af borgerens oplysninger",
    Access.ASSIGNMENTS_READ: "Visning af borgerens tildelte spørgeskemaer",
    Access.ASSIGNMENT_CHANGE: "Tildeling eller ændring af spørgeskemaer til borgeren",
    Access.RESPONSES_READ: "Forberedelse af samtale: borgerens besvarelser over tid",
    Access.RESPONSE_READ: "Forberedelse af samtale: læsning af en besvarelse",
    Access.RESPONSE_EXPORT: "Udveksling af en besvarelse (FHIR)",
    Access.RESPONSE_REVIEW: "Markering af en besvarelse som gennemset",
    Access.WORKLIST_READ: "Enhedens arbejdsliste over besvarelser der kræver opmærksomhed",
}


Outcome = Literal["done", "refused"]


class AuditEvent(ApiModel):
    id: str
    municipality: str
    at: datetime
    actor: str
    actor_name: str | None
    actor_units: list[str]
    action: Access
    purpose: str
    citizen_id: str
    resource: str
    outcome: Outcome = Field("done", description="'refused': the attempt was turned away (403, 409), nothing changed")


class AuditQuery(ApiModel):
    """Exactly one of citizen and staff member; `since` limits it to events at or after a time."""

    citizen_id: str | None = None
    staff: str | None = None
    since: AwareDatetime | None = None


class AuditUnavailable(Problem):
    def __init__(self) -> None:
        super().__init__(
            detail="Adgangen kunne ikke logges, så data vises ikke; prøv igen "
            "(the access could not be audited, so no data is returned; try again)",
            status=503,
            title="Audit unavailable",
            retry_after=RETRY_AFTER_SECONDS,
        )


NEW_EVENT = "attribute_not_exists(PK)"


def _event(
    principal: Principal, action: Access, citizen_id: str, resource: str, outcome: Outcome
) -> tuple[AuditEvent, dict[str, Any]]:
    """A new event now, and its item: under the citizen and the staff member, expiring after the retention."""
    tenant = principal.tenant
    event = AuditEvent(
        id=str(uuid.uuid4()),
        municipality=tenant,
        at=utc_now(),
        actor=principal.subject,
        actor_name=principal.name,
        actor_units=list(principal.units),
        action=action,
        purpose=action.purpose,
        citizen_id=citizen_id,
        resource=resource,
        outcome=outcome,
    )
    sort = f"{event.at.isoformat()}#{event.id}"
    item = to_item(
        event,
        PK=key(tenant, "CITIZEN", citizen_id),
        SK=sort,
        GSI1PK=key(tenant, "STAFF", principal.subject),
        GSI1SK=sort,
    )
    retention = timedelta(days=get_settings().audit_retention_days)
    item[TTL_ATTRIBUTE] = int((event.at + retention).timestamp())
    return event, item


class AuditLog:
    def __init__(self, table: Any) -> None:
        self._table = table

    def record(
        self, principal: Principal, action: Access, citizen_id: str, resource: str, outcome: Outcome = "done"
    ) -> AuditEvent:
        event, item = _event(principal, action, citizen_id, resource, outcome)
        try:
            self._table.put_item(Item=item, ConditionExpression=NEW_EVENT)
        except (ClientError, BotoCoreError):
            logger.exception("audit write failed", extra={"action": str(action)})
            raise AuditUnavailable() from None
        return event

    def event_put(self, principal: Principal, action: Access, citizen_id: str, resource: str) -> dict[str, Any]:
        """The TransactWriteItems Put of a change's "done" event, for the transaction that writes the change: the
        event exists exactly when the change does (the audit table allows Put, which needs only PutItem)."""
        _, item = _event(principal, action, citizen_id, resource, "done")
        return {"Put": {"TableName": self._table.name, "Item": item, "ConditionExpression": NEW_EVENT}}

    @contextmanager
    def refusals(self, principal: Principal, action: Access, citizen_id: str, resource: str) -> Iterator[None]:
        """Around a change's checks: a check that turns the caller away (a Problem) is recorded as refused, so
        the log never shows as done what was not."""
        try:
            yield
        except Problem as problem:
            if problem.status < 500:
                self.record(principal, action, citizen_id, resource, outcome="refused")
            raise

    def for_citizen(self, tenant: str, citizen_id: str) -> list[AuditEvent]:
        """Every event about a citizen, newest first (what the citizen's own access log shows)."""
        condition = Key(PK).eq(key(tenant, "CITIZEN", citizen_id))
        items = query_all(self._table, KeyConditionExpression=condition, ScanIndexForward=False)
        return from_items(AuditEvent, items)

    def page(self, tenant: str, query: AuditQuery, cursor: str | None) -> Page[AuditEvent]:
        """The auditor's look-up: events by citizen or by staff member since a time, newest first."""
        if query.citizen_id is not None:
            index, partition = None, (PK, key(tenant, "CITIZEN", query.citizen_id))
        else:
            index, partition = GSI1, (GSI1.partition_key, key(tenant, "STAFF", query.staff or ""))
        condition = Key(partition[0]).eq(partition[1])
        if query.since is not None:
            sort_key = index.sort_key if index else SK
            condition &= Key(sort_key).gte(query.since.astimezone(UTC).isoformat())
        items, next_cursor = query_page(
            self._table, partition, AUDIT_PAGE, cursor, index, KeyConditionExpression=condition, ScanIndexForward=False
        )
        return Page(items=from_items(AuditEvent, items), next_cursor=next_cursor)


def default_audit_log() -> AuditLog:
    return AuditLog(audit_table())
