"""Phases of a chart: which phase each point is in, and the points of each phase."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence

from app.charts.models import PointResult, SeriesPoint


def part_numbers(points: Sequence[SeriesPoint], part_ends: Iterable[int]) -> list[int]:
    """Return the phase number (from 1) of every point, from break points and labels."""
    ends = set(part_ends)
    numbers: list[int] = []
    current = 1
    label = points[0].part if points else None
    for number, point in enumerate(points, start=1):
        starts_new = number - 1 in ends or (point.part is not None and point.part != label)
        if number > 1 and starts_new:
            current += 1
        if point.part is not None:
            label = point.part
        numbers.append(current)
    return numbers


class PhaseLabels(Mapping[int, str]):
    """The period of each point of a phase by point number, without a dict of them all."""

    def __init__(self, members: list[PointResult]) -> None:
        """Keep the phase's points, whose numbers are consecutive."""
        self._members = members
        self._first = members[0].number

    def __getitem__(self, number: int) -> str:
        """Return the period of a point of the phase."""
        index = number - self._first
        if not 0 <= index < len(self._members):
            raise KeyError(number)
        return self._members[index].period

    def __iter__(self) -> Iterator[int]:
        """Iterate over the point numbers."""
        return (point.number for point in self._members)

    def __len__(self) -> int:
        """Return the number of points."""
        return len(self._members)


def by_part(work: list[PointResult]) -> list[list[PointResult]]:
    """Split the points into their phases, in one pass (phases are consecutive)."""
    phases: list[list[PointResult]] = []
    for point in work:
        if not phases or phases[-1][0].part != point.part:
            phases.append([])
        phases[-1].append(point)
    return phases


def phase_label(points: Sequence[SeriesPoint], members: list[PointResult]) -> str | None:
    """The first label given to a phase's input points, if any."""
    given = (points[member.number - 1].part for member in members)
    return next((label for label in given if label is not None), None)
