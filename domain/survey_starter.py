"""The built-in starter instruments an admin copies into a new survey (about ten items each)."""

from __future__ import annotations

from typing import Any


def _item(code: str, ms: str, en: str, construct: str, scale: str = "likert_5") -> dict[str, Any]:
    return {"code": code, "text_ms": ms, "text_en": en, "scale": scale, "construct": construct}


#: Asked of residents: trust, perception of co-management, responsiveness, belonging, life.
RESIDENTS = [
    _item(
        "trust_committee",
        "Saya percaya jawatankuasa penduduk bertindak demi kepentingan penduduk.",
        "I trust the residents' committee to act in residents' interests.",
        "trust_in_committee",
    ),
    _item(
        "committee_listens",
        "Jawatankuasa mendengar masalah yang saya bangkitkan.",
        "The committee listens to the problems I raise.",
        "trust_in_committee",
    ),
    _item(
        "trust_management",
        "Saya percaya pihak pengurusan PPR akan menunaikan janji mereka.",
        "I trust the PPR management to keep its promises.",
        "trust_in_management",
    ),
    _item(
        "management_fair",
        "Pihak pengurusan melayan semua blok dengan adil.",
        "Management treats every block fairly.",
        "trust_in_management",
    ),
    _item(
        "comanagement_works",
        "Penduduk dan pengurusan menyelesaikan masalah bersama-sama dengan baik.",
        "Residents and management solve problems well together.",
        "perception_of_co_management",
    ),
    _item(
        "voice_heard",
        "Suara penduduk mempengaruhi keputusan tentang PPR ini.",
        "Residents' voices shape decisions about this PPR.",
        "perception_of_co_management",
    ),
    _item(
        "fixed_quickly",
        "Masalah yang dilaporkan dibaiki dalam masa yang munasabah.",
        "Reported problems are fixed within a reasonable time.",
        "responsiveness",
    ),
    _item(
        "kept_informed",
        "Saya dimaklumkan tentang perkembangan aduan saya.",
        "I am kept informed about my reports.",
        "responsiveness",
    ),
    _item(
        "belonging",
        "Saya rasa sebahagian daripada komuniti PPR ini.",
        "I feel part of this PPR community.",
        "sense_of_belonging",
    ),
    _item(
        "quality_of_life",
        "Secara keseluruhan, berapa baik kualiti hidup anda di PPR ini? (0-10)",
        "Overall, how good is your quality of life in this PPR? (0-10)",
        "quality_of_life",
        "zero_to_ten",
    ),
]

#: Asked of PPR management: the same constructs, seen from the other side.
MANAGEMENT = [
    _item(
        "trust_committee",
        "Saya percaya jawatankuasa penduduk mewakili penduduk dengan jujur.",
        "I trust the residents' committee to represent residents honestly.",
        "trust_in_committee",
    ),
    _item(
        "committee_constructive",
        "Jawatankuasa membawa isu dengan cara yang membina.",
        "The committee raises issues constructively.",
        "trust_in_committee",
    ),
    _item(
        "residents_trust_us",
        "Penduduk mempercayai pihak pengurusan.",
        "Residents trust management.",
        "trust_in_management",
    ),
    _item(
        "we_keep_promises",
        "Pihak pengurusan menunaikan komitmen yang dibuat kepada penduduk.",
        "Management keeps the commitments it makes to residents.",
        "trust_in_management",
    ),
    _item(
        "comanagement_works",
        "Penduduk dan pengurusan menyelesaikan masalah bersama-sama dengan baik.",
        "Residents and management solve problems well together.",
        "perception_of_co_management",
    ),
    _item(
        "decisions_useful",
        "Keputusan jawatankuasa membantu kami mengutamakan kerja.",
        "Committee decisions help us prioritise work.",
        "perception_of_co_management",
    ),
    _item(
        "we_respond_quickly",
        "Kami menjawab aduan penduduk dalam masa yang munasabah.",
        "We answer residents' reports within a reasonable time.",
        "responsiveness",
    ),
    _item(
        "resources_enough",
        "Kami mempunyai sumber yang cukup untuk membaiki masalah yang dilaporkan.",
        "We have enough resources to fix reported problems.",
        "responsiveness",
    ),
    _item(
        "community_spirit",
        "Penduduk PPR ini mempunyai semangat kejiranan yang kuat.",
        "Residents of this PPR have a strong community spirit.",
        "sense_of_belonging",
    ),
    _item(
        "quality_of_life",
        "Secara keseluruhan, berapa baik kualiti hidup penduduk di PPR ini? (0-10)",
        "Overall, how good is residents' quality of life in this PPR? (0-10)",
        "quality_of_life",
        "zero_to_ten",
    ),
]

STARTERS = {"residents": RESIDENTS, "management": MANAGEMENT}
