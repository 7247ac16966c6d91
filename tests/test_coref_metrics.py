"""The coreference scores against the worked example of Pradhan et al. (2014), "Scoring Coreference
Partitions of Predicted Mentions: A Reference Implementation" (figure 1), and limiting cases."""

from __future__ import annotations

import pytest

from tidings.eval.coref_metrics import b_cubed, ceaf_e, conll, muc

KEY = [{"a", "b", "c"}, {"d", "e", "f", "g"}]
RESPONSE = [{"a", "b"}, {"c", "d"}, {"f", "g", "h", "i"}]


def test_muc_textbook() -> None:
    s = muc(KEY, RESPONSE)
    assert s.recall == pytest.approx(2 / 5) and s.precision == pytest.approx(2 / 5)


def test_b_cubed_textbook() -> None:
    s = b_cubed(KEY, RESPONSE)
    assert s.recall == pytest.approx(5 / 12) and s.precision == pytest.approx(1 / 2)


def test_ceaf_e_textbook() -> None:
    # Optimal alignment: {a,b,c}-{a,b} (0.8) and {d,e,f,g}-{f,g,h,i} (0.5), not the greedy-looking {c,d} link.
    s = ceaf_e(KEY, RESPONSE)
    assert s.recall == pytest.approx(1.3 / 2) and s.precision == pytest.approx(1.3 / 3)


def test_conll_is_the_mean_of_the_three_f1() -> None:
    out = conll(KEY, RESPONSE)
    assert out["conll_f1"] == pytest.approx((out["muc_f1"] + out["b3_f1"] + out["ceafe_f1"]) / 3)
    assert out["muc_f1"] == pytest.approx(0.4)


def test_perfect_response_scores_one() -> None:
    out = conll(KEY, [set(c) for c in KEY])
    assert out["muc_f1"] == out["b3_f1"] == out["ceafe_f1"] == pytest.approx(1.0)


def test_singletons_against_one_cluster() -> None:
    key = [{1, 2, 3, 4}]
    single = [{1}, {2}, {3}, {4}]
    assert muc(key, single).recall == 0.0 and muc(key, single).f1 == 0.0  # no links found
    b3 = b_cubed(key, single)
    assert b3.precision == pytest.approx(1.0) and b3.recall == pytest.approx(1 / 4)
    ce = ceaf_e(key, single)
    assert ce.recall == pytest.approx(0.4) and ce.precision == pytest.approx(0.1)  # φ4 = 2/5, one of four


def test_alignment_is_solved_per_component() -> None:
    # Two independent groups: the total is the sum of each group's optimum.
    key = [{1, 2}, {3}, {10, 11, 12}]
    response = [{1}, {2, 3}, {10, 11}, {12}]
    expected = (2 / 3 + 2 / 3) + 0.8  # {1,2}-{1} and {3}-{2,3} (2/3 each); {10,11,12}-{10,11} (0.8)
    s = ceaf_e(key, response)
    assert s.recall == pytest.approx(expected / 3) and s.precision == pytest.approx(expected / 4)


def test_a_mention_in_two_clusters_is_rejected() -> None:
    with pytest.raises(ValueError):
        b_cubed([{1, 2}, {2, 3}], [{1}])
