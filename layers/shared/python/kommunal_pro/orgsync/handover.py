"""Handing a closed unit's open work to its successor.

A unit's unanswered tasks and unreviewed responses are listed under it (the worklist's keys), so the
repositories that own those keys find them by key, not by a Scan, and move each on condition that it is
still the closed unit's: a rerun after a crash moves what is left and nothing twice. The sync runs the
handover before it deactivates the unit, so an interrupted run is finished by the next one.
"""

from __future__ import annotations

from kommunal_pro.assignments.repository import AssignmentRepository
from kommunal_pro.models import ApiModel
from kommunal_pro.responses.repository import ResponseRepository


class HandedOver(ApiModel):
    tasks: int = 0
    assignments: int = 0
    responses: int = 0


class WorkHandover:
    def __init__(self, assignments: AssignmentRepository, responses: ResponseRepository) -> None:
        self._assignments = assignments
        self._responses = responses

    def move(self, tenant: str, closed_unit: str, successor: str) -> HandedOver:
        tasks, assignments = self._assignments.move_unit(tenant, closed_unit, successor)
        responses = self._responses.move_unit(tenant, closed_unit, successor)
        return HandedOver(tasks=tasks, assignments=assignments, responses=responses)
