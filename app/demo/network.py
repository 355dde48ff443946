"""The demo's regions, organisations, teams and users."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from app.core.db import utcnow
from app.core.security import hash_password
from app.org.models import LearningNetwork, Membership, Organisation, Team, User

DEMO_PASSWORD = "demo-passord-2026"


@dataclass(frozen=True)
class DemoTeam:
    """A team in the demo and how it does."""

    slug: str
    name: str
    weight: float  # share of the region's patients
    base_rate: float  # share of checklists done on time before any change
    change_day: int | None  # days after the demo's start when a tested change lifts the rate
    change_title: str | None = None


@dataclass(frozen=True)
class DemoOrganisation:
    """A municipality or hospital in the demo."""

    slug: str
    name: str
    kind: str
    org_number: str
    teams: tuple[DemoTeam, ...]


@dataclass(frozen=True)
class DemoNetwork:
    """One regional learning network."""

    slug: str
    name: str
    region: str
    organisations: tuple[DemoOrganisation, ...]


def _municipality(slug: str, name: str, number: str, *teams: DemoTeam) -> DemoOrganisation:
    return DemoOrganisation(slug, name, "municipality", number, teams)


def _hospital(slug: str, name: str, number: str, ward: str) -> DemoOrganisation:
    team = DemoTeam(f"{slug}-{ward.lower().replace(' ', '-')}", ward, 0.0, 0.6, None)
    return DemoOrganisation(slug, name, "hospital", number, (team,))


NETWORKS: tuple[DemoNetwork, ...] = (
    DemoNetwork(
        "midt",
        "Læringsnettverk Midt-Norge 2025–2026",
        "Midt-Norge",
        (
            _municipality(
                "trondheim",
                "Trondheim kommune",
                "942110464",
                DemoTeam(
                    "trondheim-midtbyen",
                    "Hjemmetjenesten Midtbyen",
                    0.14,
                    0.42,
                    200,
                    "Ny utskrivningsrutine med sjekkliste ved telefon",
                ),
                DemoTeam("trondheim-heimdal", "Hjemmetjenesten Heimdal", 0.10, 0.50, None),
            ),
            _municipality(
                "molde",
                "Molde kommune",
                "964982953",
                DemoTeam(
                    "molde-hjemme",
                    "Hjemmesykepleien Molde",
                    0.07,
                    0.55,
                    260,
                    "Fast tidspunkt for første hjemmebesøk",
                ),
            ),
            _municipality(
                "orkland",
                "Orkland kommune",
                "921011938",
                DemoTeam("orkland-hjemme", "Hjemmetjenesten Orkland", 0.05, 0.47, None),
            ),
            _municipality(
                "levanger",
                "Levanger kommune",
                "938587418",
                DemoTeam("levanger-hjemme", "Hjemmetjenesten Levanger", 0.05, 0.52, None),
            ),
            _hospital("st-olavs", "St. Olavs hospital", "883974832", "Medisinsk sengepost"),
        ),
    ),
    DemoNetwork(
        "nord",
        "Læringsnettverk Helse Nord 2025–2026",
        "Nord-Norge",
        (
            _municipality(
                "bodo",
                "Bodø kommune",
                "972418013",
                DemoTeam(
                    "bodo-hjemme",
                    "Hjemmetjenesten Bodø",
                    0.08,
                    0.38,
                    230,
                    "Daglig tavlemøte om utskrivninger",
                ),
            ),
            _municipality(
                "tromso",
                "Tromsø kommune",
                "940101808",
                DemoTeam("tromso-hjemme", "Hjemmetjenesten Tromsø", 0.09, 0.46, None),
            ),
            _municipality(
                "alta",
                "Alta kommune",
                "944588132",
                DemoTeam("alta-hjemme", "Hjemmetjenesten Alta", 0.04, 0.58, None),
            ),
            _municipality(
                "vefsn",
                "Vefsn kommune",
                "945114878",
                DemoTeam("vefsn-hjemme", "Hjemmetjenesten Vefsn", 0.03, 0.50, None),
            ),
            _hospital("nlsh", "Nordlandssykehuset", "983974910", "Geriatrisk sengepost"),
        ),
    ),
    DemoNetwork(
        "vest",
        "Læringsnettverk Helse Vest 2025–2026",
        "Vestlandet",
        (
            _municipality(
                "bergen",
                "Bergen kommune",
                "964338531",
                DemoTeam(
                    "bergen-arna",
                    "Hjemmesykepleien Arna",
                    0.08,
                    0.44,
                    300,
                    "Legemiddelsamstemming samme dag som utskrivning",
                ),
                DemoTeam("bergen-fana", "Hjemmesykepleien Fana", 0.09, 0.53, None),
            ),
            _municipality(
                "stord",
                "Stord kommune",
                "939866914",
                DemoTeam("stord-hjemme", "Heimesjukepleia Stord", 0.03, 0.49, None),
            ),
            _municipality(
                "voss",
                "Voss herad",
                "921190298",
                DemoTeam("voss-hjemme", "Heimetenesta Voss", 0.03, 0.60, None),
            ),
            _municipality(
                "askoy",
                "Askøy kommune",
                "964338442",
                DemoTeam("askoy-hjemme", "Hjemmetjenesten Askøy", 0.02, 0.41, None),
            ),
            _hospital(
                "haukeland", "Haukeland universitetssjukehus", "983974899", "Akuttgeriatrisk post"
            ),
        ),
    ),
)


@dataclass(frozen=True)
class DemoUser:
    """A demo account: who it is and what it may do."""

    email: str
    name: str
    role: str
    scope_kind: str
    scope_slug: str


DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser("sykepleier@demo.no", "Siri Sykepleier", "nurse", "team", "trondheim-midtbyen"),
    DemoUser("sykepleier.bodo@demo.no", "Bjørn Sykepleier", "nurse", "team", "bodo-hjemme"),
    DemoUser("team@demo.no", "Tone Forbedringsteam", "team", "team", "trondheim-midtbyen"),
    DemoUser("team.bergen@demo.no", "Bente Forbedringsteam", "team", "organisation", "bergen"),
    DemoUser("koordinator@demo.no", "Kari Koordinator", "coordinator", "network", "midt"),
    DemoUser("koordinator.nasjonal@demo.no", "Nils Nasjonal", "coordinator", "network", "*"),
    DemoUser("admin@demo.no", "Arne Administrator", "admin", "network", "midt"),
)


@dataclass
class SeededNetwork:
    """Ids of what was created, by slug."""

    team_ids: dict[str, int]
    team_specs: dict[str, DemoTeam]
    users: list[DemoUser]
    team_organisations: dict[str, str]


def seed_network(session: Session) -> SeededNetwork:
    """Create the regions, organisations, teams and demo users (small, through the ORM)."""
    now = utcnow()
    network_ids: dict[str, int] = {}
    organisation_ids: dict[str, int] = {}
    team_ids: dict[str, int] = {}
    team_specs: dict[str, DemoTeam] = {}
    team_organisations: dict[str, str] = {}
    for spec in NETWORKS:
        network = LearningNetwork(slug=spec.slug, name=spec.name, region=spec.region)
        session.add(network)
        session.flush()
        network_ids[spec.slug] = int(network.id or 0)
        for org_spec in spec.organisations:
            organisation = Organisation(
                network_id=network_ids[spec.slug],
                slug=org_spec.slug,
                name=org_spec.name,
                kind=org_spec.kind,
                org_number=org_spec.org_number,
            )
            session.add(organisation)
            session.flush()
            organisation_ids[org_spec.slug] = int(organisation.id or 0)
            for team_spec in org_spec.teams:
                team = Team(
                    organisation_id=organisation_ids[org_spec.slug],
                    slug=team_spec.slug,
                    name=team_spec.name,
                )
                session.add(team)
                session.flush()
                team_ids[team_spec.slug] = int(team.id or 0)
                team_specs[team_spec.slug] = team_spec
                team_organisations[team_spec.slug] = org_spec.slug
    password_hash = hash_password(DEMO_PASSWORD)
    for demo_user in DEMO_USERS:
        user = User(
            email=demo_user.email,
            display_name=demo_user.name,
            password_hash=password_hash,
            language="nb",
            created_at=now,
            updated_at=now,
        )
        session.add(user)
        session.flush()
        ids = {"team": team_ids, "organisation": organisation_ids, "network": network_ids}[
            demo_user.scope_kind
        ]
        slugs = list(ids) if demo_user.scope_slug == "*" else [demo_user.scope_slug]
        for slug in slugs:
            scope: dict[str, Any] = {f"{demo_user.scope_kind}_id": ids[slug]}
            session.add(
                Membership(
                    user_id=int(user.id or 0),
                    role=demo_user.role,
                    scope_kind=demo_user.scope_kind,
                    **scope,
                )
            )
    session.flush()
    return SeededNetwork(
        team_ids=team_ids,
        team_specs=team_specs,
        users=list(DEMO_USERS),
        team_organisations=team_organisations,
    )
