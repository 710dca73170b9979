"""The benchmark's scaled Nanpu: every count and sum that grows with the town is scaled."""
import pytest

from ruralsim.bench import scaled_nanpu
from ruralsim.scenario.load import load_scenario


def _homes(data) -> int:
    units = data["supply"]["apartments"]["units_per_building"]
    return sum(s["plots"] + s["building_sites"] * units
               for c in data["communities"] for s in c["sections"])


@pytest.mark.parametrize("households", [50_000, 200_000])
def test_scaled_nanpu_scales_homes_works_and_builders_with_the_households(households):
    base = load_scenario("nanpu").model.model_dump(mode="python")
    data = scaled_nanpu(households)
    n0 = sum(v["households"] for v in base["villages"])
    f = households / n0
    assert sum(v["households"] for v in data["villages"]) == pytest.approx(households, rel=0.01)
    # homes the sections open per household stay as in Nanpu (rounding aside)
    assert _homes(data) / households == pytest.approx(_homes(base) / n0, rel=0.02)
    cost = lambda d: sum(x["cost_cny"] for c in d["communities"]  # noqa: E731
                         for x in c["sections"] + c["facilities"])
    assert cost(data) == pytest.approx(cost(base) * f)
    b0, b1 = base["supply"]["builders"], data["supply"]["builders"]
    assert b1["initial_capacity"] == pytest.approx(b0["initial_capacity"] * f)
    load_scenario(data)   # still a valid scenario
