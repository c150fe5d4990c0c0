"""Assignments (a questionnaire version given to a citizen on a schedule) and their tasks."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import ConfigDict, Field, StringConstraints

from kommunal_pro.assignments.schedule import Instant, Schedule, TaskState, TaskStatus, task_status
from kommunal_pro.cpr import NO_CPR
from kommunal_pro.models import ApiModel
from kommunal_pro.questionnaires.model import Text
from kommunal_pro.questionnaires.versions import VersionRef
from kommunal_pro.scheduling.timeline import PlannedMessage, ReminderPolicy
from kommunal_pro.tenancy import Tenant

UnitId = Annotated[str, StringConstraints(min_length=1, max_length=128)]


class AssignmentRequest(ApiModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "questionnaireId": "who-5",
                    "unitId": "sundhedscenter-nord",
                    "course": "KOL-rehabilitering forår 2027",
                    "schedule": {
                        "kind": "recurring",
                        "firstOpensAt": "2027-03-01T08:00:00+01:00",
                        "every": 2,
                        "unit": "weeks",
                        "answerWindowHours": 72,
                        "count": 6,
                    },
                }
            ]
        }
    )

    questionnaire_id: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    version: Annotated[int, Field(ge=1)] | None = Field(None, description="Default: the active version")
    unit_id: UnitId = Field(description="The caller's unit the assignment is made for")
    course: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200), NO_CPR] | None = Field(
        None, description="Forløb, e.g. 'KOL-rehabilitering forår 2027'"
    )
    schedule: Schedule
    reminder_policy: ReminderPolicy | None = Field(None, description="Overrides the municipality's policy")


class AppointmentMove(ApiModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"appointmentAt": "2027-03-15T10:30:00+01:00"}]})

    appointment_at: Instant = Field(description="The consultation's new time")


class AssignmentStatus(StrEnum):
    ACTIVE = "active"
    CANCELLED = "cancelled"


class Assignment(ApiModel):
    id: str
    municipality: Tenant
    citizen_id: str
    questionnaire: VersionRef
    questionnaire_title: Text
    unit_id: UnitId
    course: str | None
    schedule: Schedule
    reminder_policy: ReminderPolicy | None
    status: AssignmentStatus = AssignmentStatus.ACTIVE
    created_at: datetime
    created_by: str
    cancelled_at: datetime | None = None
    cancelled_by: str | None = None


class Task(ApiModel):
    id: str
    municipality: Tenant
    citizen_id: str
    assignment_id: str
    questionnaire: VersionRef
    questionnaire_title: Text
    unit_id: UnitId
    sequence: int
    opens_at: datetime
    due_at: datetime
    expires_at: datetime
    state: TaskState = TaskState.PENDING
    response_id: str | None = None
    completed_at: datetime | None = None

    def status_at(self, now: datetime) -> TaskStatus:
        return task_status(self.state, self.opens_at, self.due_at, self.expires_at, now)


class TaskView(Task):
    """A task as people see it: its status now and the messages planned for it."""

    status: TaskStatus
    planned_messages: list[PlannedMessage] = Field(default_factory=list)


class AssignmentView(Assignment):
    tasks: list[TaskView]
