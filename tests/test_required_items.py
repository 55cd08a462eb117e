"""What a complaint must name before it goes to the merchant."""

from mediation.cases import REQUIRED_FOR_MEDIATION, ready_for_mediation


def test_a_missing_contact_does_not_hold_mediation_up() -> None:
    assert ready_for_mediation(["contact"])
    assert ready_for_mediation([])


def test_a_missing_merchant_facts_or_demand_does() -> None:
    for item in REQUIRED_FOR_MEDIATION:
        assert not ready_for_mediation([item, "contact"])
