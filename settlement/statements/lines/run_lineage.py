"""A run's lineage, typed: what each chunk recorded, the one merge of the chunks, the hashes.

Settling a chunk writes a `ChunkLineage`; the chunk that completes the run merges every
chunk's with `merge`, and reproducing a run builds the same per chunk from the inputs the run
recorded and merges them with the same function, so both hash the same shape. The JSON in
`RunChunk.lineage` and `SettlementRun.inputs` is read and written here only (`to_json`,
`from_json`), key for key as it has always been stored: run hashes are taken of it.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from settlement.programs import queries as program_queries
from settlement.statements.lines import lineage
from settlement.statements.lines.lineage import Run

# (enrollment id, site id, first local date, local date after the last), ISO dates.
EnrollmentKey = tuple[int, int, str, str]
# (site id, channel id): a channel read for the participant.
ChannelKey = tuple[int, int]


@dataclass(frozen=True)
class EventResult:
    """An event result (a delivery) a line was paid from, and the amount it was paid."""

    event_id: int
    offer_id: int
    delivery_id: int
    readings_sha256: str
    rule_set_id: int
    amount: Decimal

    def to_json(self) -> dict[str, object]:
        """Return the result as the run stores it (the amount as a string, as the column)."""
        return {
            "event_id": self.event_id,
            "offer_id": self.offer_id,
            "delivery_id": self.delivery_id,
            "readings_sha256": self.readings_sha256,
            "rule_set_id": self.rule_set_id,
            "amount": str(self.amount),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "EventResult":
        """Return the result a run stored."""
        return cls(
            event_id=data["event_id"],
            offer_id=data["offer_id"],
            delivery_id=data["delivery_id"],
            readings_sha256=data["readings_sha256"],
            rule_set_id=data["rule_set_id"],
            amount=Decimal(data["amount"]),
        )


@dataclass(frozen=True)
class TariffVersionUsed:
    """A tariff version a run priced with, and the sha256 of its definition."""

    id: int
    plan: str
    version: int
    definition_sha256: str

    def to_json(self) -> dict[str, object]:
        """Return the version as the run stores it."""
        return {
            "id": self.id,
            "plan": self.plan,
            "version": self.version,
            "definition_sha256": self.definition_sha256,
        }


@dataclass(frozen=True)
class ParticipantLineage:
    """What a run read for one participant, and the content sha256 of its statement."""

    readings_sha256: str
    # The exact reading revisions, enrollments and channels read, so the run can be computed
    # again from them (`reproduction`), whatever arrived since.
    readings: list[Run]
    enrollments: list[EnrollmentKey]
    channels: list[ChannelKey]
    # None: the participant has no statement in the run (nothing to book).
    statement: str | None

    def to_json(self) -> dict[str, object]:
        """Return the entry as the run stores it."""
        return {
            "readings_sha256": self.readings_sha256,
            "readings": self.readings,
            "enrollments": [list(key) for key in self.enrollments],
            "channels": [list(key) for key in self.channels],
            "statement": self.statement,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "ParticipantLineage":
        """Return the entry a run stored."""
        return cls(
            readings_sha256=data["readings_sha256"],
            readings=data["readings"],
            enrollments=[(e[0], e[1], e[2], e[3]) for e in data["enrollments"]],
            channels=[(c[0], c[1]) for c in data["channels"]],
            statement=data["statement"],
        )


@dataclass(frozen=True)
class ChunkLineage:
    """What one chunk (or, merged, a whole run) read and used, participant by participant."""

    # By participant id, in the order settled.
    participants: dict[int, ParticipantLineage]
    tariff_versions: list[int]
    rule_versions: list[str]
    rule_sets: list[int]
    # One per delivery, in delivery id order.
    event_results: list[EventResult]

    def to_json(self) -> dict[str, object]:
        """Return the lineage as `RunChunk.lineage` stores it."""
        return {
            "participants": _participants_json(self.participants),
            "tariff_versions": self.tariff_versions,
            "rule_versions": self.rule_versions,
            "rule_sets": self.rule_sets,
            "event_results": [result.to_json() for result in self.event_results],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "ChunkLineage":
        """Return the lineage a chunk stored."""
        return cls(
            participants={
                int(key): ParticipantLineage.from_json(entry)
                for key, entry in data["participants"].items()
            },
            tariff_versions=list(data["tariff_versions"]),
            rule_versions=list(data["rule_versions"]),
            rule_sets=list(data["rule_sets"]),
            event_results=[EventResult.from_json(entry) for entry in data["event_results"]],
        )


def chunk_lineage(
    *,
    participants: dict[int, ParticipantLineage],
    tariff_versions: Iterable[int],
    rule_versions: Iterable[str],
    rule_sets: Iterable[int],
    event_results: Iterable[EventResult],
) -> ChunkLineage:
    """Return a chunk's lineage: versions and rule sets sorted, one event result per
    delivery (the last one given), in delivery id order."""
    by_delivery = {result.delivery_id: result for result in event_results}
    return ChunkLineage(
        participants=participants,
        tariff_versions=sorted(set(tariff_versions)),
        rule_versions=sorted(set(rule_versions)),
        rule_sets=sorted(set(rule_sets)),
        event_results=[by_delivery[key] for key in sorted(by_delivery)],
    )


def merge(chunks: Iterable[ChunkLineage]) -> ChunkLineage:
    """Return the lineage of a run from its chunks' (in chunk order): what settling completes
    the run with and what reproducing it recomputes."""
    participants: dict[int, ParticipantLineage] = {}
    versions: set[int] = set()
    rule_versions: set[str] = set()
    rule_sets: set[int] = set()
    event_results: list[EventResult] = []
    for chunk in chunks:
        participants.update(chunk.participants)
        versions.update(chunk.tariff_versions)
        rule_versions.update(chunk.rule_versions)
        rule_sets.update(chunk.rule_sets)
        event_results.extend(chunk.event_results)
    return chunk_lineage(
        participants=participants,
        tariff_versions=versions,
        rule_versions=rule_versions,
        rule_sets=rule_sets,
        event_results=event_results,
    )


@dataclass(frozen=True)
class RunInputs:
    """What a completed run records of its inputs (`SettlementRun.inputs`)."""

    program: str
    period_start: str
    period_end: str
    type: str
    tariff_versions: list[TariffVersionUsed]
    rule_versions: list[str]
    rule_sets: list[program_queries.RuleSetFingerprint]
    event_results: list[EventResult]
    participants: dict[int, ParticipantLineage]

    def to_json(self) -> dict[str, object]:
        """Return the inputs as `SettlementRun.inputs` stores them."""
        return {
            "program": self.program,
            "period_start": self.period_start,
            "period_end": self.period_end,
            "type": self.type,
            "tariff_versions": [version.to_json() for version in self.tariff_versions],
            "rule_versions": self.rule_versions,
            "rule_sets": [rule_set.to_json() for rule_set in self.rule_sets],
            "event_results": [result.to_json() for result in self.event_results],
            "participants": _participants_json(self.participants),
        }

    def inputs_sha256(self) -> str:
        """Return the hash of the inputs: versions, rules, event results, readings read."""
        return lineage.sha256_of(
            {
                "tariff_versions": [version.to_json() for version in self.tariff_versions],
                "rule_versions": self.rule_versions,
                "rule_sets": [rule_set.to_json() for rule_set in self.rule_sets],
                "event_results": [result.to_json() for result in self.event_results],
                "readings": {
                    str(key): entry.readings_sha256 for key, entry in self.participants.items()
                },
            }
        )

    def result_sha256(self) -> str:
        """Return the hash of the statements (each participant's content sha256, or None)."""
        return lineage.sha256_of(
            {str(key): entry.statement for key, entry in self.participants.items()}
        )


def _participants_json(participants: dict[int, ParticipantLineage]) -> dict[str, object]:
    # JSON keys are strings; the participant id is the key, as it has always been stored.
    return {str(key): entry.to_json() for key, entry in participants.items()}
