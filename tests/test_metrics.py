"""The comparison statistics against published worked examples and hand computations."""

import math

import numpy as np
import pytest

from attune import metrics


def test_z_values_for_funnel_limits():
    assert metrics.z_value(0.95) == pytest.approx(1.959964, abs=1e-6)
    assert metrics.z_value(0.998) == pytest.approx(3.090232, abs=1e-6)


@pytest.mark.parametrize(("x", "n", "low", "high"), [
    # Newcombe (1998), Stat Med 17:857, table I, method 3 (Wilson score without continuity correction).
    (81, 263, 0.2553, 0.3662),
    (15, 148, 0.0624, 0.1605),
    (0, 20, 0.0000, 0.1611),
    (1, 29, 0.0061, 0.1718),
])
def test_wilson_interval_matches_newcombe(x, n, low, high):
    lo, hi = metrics.wilson_interval(x, n)
    assert float(lo) == pytest.approx(low, abs=5e-5)
    assert float(hi) == pytest.approx(high, abs=5e-5)


def test_wilson_interval_is_vectorised_and_nan_without_denominator():
    lo, hi = metrics.wilson_interval([0, 5, 3], [0, 5, 10])
    assert math.isnan(lo[0]) and math.isnan(hi[0])
    # 5/5: centre 1.38415/1.76829 = .78277, half 1.10839*.19600 = .21724
    assert hi[1] == 1.0 and lo[1] == pytest.approx(0.5655, abs=5e-5)
    # 3/10 by hand: p=.3, z²=3.8415; centre=(.3+.19207)/1.38415=.35550; half=1.41594*sqrt(.021+.009604)=.24769
    assert (lo[2], hi[2]) == pytest.approx((0.1078, 0.6032), abs=5e-5)


def test_mean_interval_t_and_normal_by_hand():
    # n=10, mean 36, sd 2: t(0.975, 9) = 2.262157 → half-width 2.262157 * 2 / sqrt(10) = 1.430714
    lo, hi = metrics.mean_interval(36.0, 2.0, 10)
    assert (float(lo), float(hi)) == pytest.approx((34.569286, 37.430714), abs=1e-5)
    # normal: 1.959964 * 2 / sqrt(10) = 1.239590
    lo, hi = metrics.mean_interval(36.0, 2.0, 10, method="normal")
    assert (float(lo), float(hi)) == pytest.approx((34.760410, 37.239590), abs=1e-5)
    lo, _ = metrics.mean_interval([36.0], [0.0], [1])
    assert math.isnan(lo[0])


def test_clustered_mean_counts_clients_not_sessions():
    # Client A rated 36, 38, 37 (sum 111, n 3); B 30, 32 (62, 2); C 39 (39, 1).
    # mean = 212 / 6 = 35.3333; residuals S_c - n_c*m = 5, -8.6667, 3.6667; squares sum 113.5556
    # var = 3/2 * 113.5556 / 36 = 4.731481 -> se 2.175197
    est = metrics.clustered_mean([111, 62, 39], [3, 2, 1])
    assert est.mean == pytest.approx(35.333333, abs=1e-5)
    assert est.se == pytest.approx(2.175197, abs=1e-5)
    assert (est.ratings, est.clusters) == (6, 3)
    lo, hi = est.interval()  # t(0.975, 2) = 4.302653
    assert (lo, hi) == pytest.approx((35.333333 - 4.302653 * 2.175197, 35.333333 + 4.302653 * 2.175197), abs=1e-4)
    # The naive per-session SD would claim far more precision than three clients give.
    naive_se = np.std([36, 38, 37, 30, 32, 39], ddof=1) / math.sqrt(6)
    assert est.se > naive_se
    assert math.isnan(metrics.clustered_mean([111], [3]).se)


def test_funnel_limits_exact_binomial_by_hand():
    # Binomial(10, 0.5): F(7) = 968/1024, F(8) = 1013/1024. Upper 95% limit, p = 0.975: r = 8,
    # alpha = (1013/1024 - 0.975) / (45/1024) = 0.324444 -> (8 - 0.324444)/10 = 0.767556.
    # Lower, p = 0.025: F(1) = 11/1024, F(2) = 56/1024 -> r = 2, alpha = 0.675556 -> 0.132444.
    lo, hi = metrics.funnel_limits(0.5, [10])
    assert float(hi[0]) == pytest.approx(0.767556, abs=1e-6)
    assert float(lo[0]) == pytest.approx(0.132444, abs=1e-6)


def test_funnel_limits_approach_the_normal_limits_for_large_n():
    # 0.2 ± 3.090232 * sqrt(0.16 / 10000) = 0.2 ± 0.012361
    lo, hi = metrics.funnel_limits(0.2, [10_000], 0.998)
    assert (float(lo[0]), float(hi[0])) == pytest.approx((0.187639, 0.212361), abs=5e-5)
    nlo, nhi = metrics.funnel_limits_normal(0.2, [100])  # 0.2 ± 1.959964 * 0.04
    assert (float(nlo[0]), float(nhi[0])) == pytest.approx((0.121601, 0.278399), abs=1e-6)
    lo95, hi95 = metrics.funnel_limits(0.2, [50, 200, 1000])
    assert np.all(np.diff(hi95) < 0) and np.all(np.diff(lo95) > 0)  # the funnel narrows


def test_funnel_position_flags_only_beyond_the_limits():
    # p0 = 0.2 at n = 100: 95% upper ≈ 0.28, 99.8% upper ≈ 0.33; lower 95% ≈ 0.12, 99.8% ≈ 0.09.
    pos = metrics.funnel_position([20, 30, 40, 11, 5, 0], [100, 100, 100, 100, 100, 0], 0.2)
    assert pos.tolist() == ["within", "above 95%", "above 99.8%", "below 95%", "below 99.8%", "no data"]


def test_overdispersion_winsorised_by_hand():
    # Ten units of n = 100 around p0 = 0.2 (se 0.04): successes 20 + 4z for z = -3 -2 -1 -1 0 0 1 1 2 4.
    # Winsorising 10% at each end: -3 -> -2, 4 -> 2; sum z² = 4+4+1+1+0+0+1+1+4+4 = 20 -> phi = 2.0;
    # k*phi = 20 > chi²(9) 95th percentile 16.919: used.
    x = [8, 12, 16, 16, 20, 20, 24, 24, 28, 36]
    assert metrics.overdispersion(x, [100] * 10, 0.2) == pytest.approx(2.0)
    # z = -1.5 -1 -1 0 0 0 1 1 1 1.5 -> winsorised sum z² = 7, phi 0.7: no overdispersion.
    assert metrics.overdispersion([14, 16, 16, 20, 20, 20, 24, 24, 24, 26], [100] * 10, 0.2) == 1.0
    assert metrics.overdispersion(x[:9], [100] * 9, 0.2) == 1.0  # too few units to estimate
    # Widened limits: 0.2 ± 1.959964 * sqrt(2 * 0.16 / 100) = 0.2 ± 0.110873
    lo, hi = metrics.funnel_limits(0.2, [100], 0.95, phi=2.0)
    assert (float(lo[0]), float(hi[0])) == pytest.approx((0.089127, 0.310873), abs=1e-6)
    assert metrics.funnel_position([34], [100], 0.2, phi=2.0).tolist() == ["above 95%"]  # 99.8%: 0.374810
    assert metrics.funnel_position([34], [100], 0.2).tolist() == ["above 99.8%"]


def test_dersimonian_laird_matches_published_bcg_meta_analysis():
    # BCG vaccine trials (Colditz et al. 1994; metafor's dat.bcg): log risk ratios, DL random effects.
    # Published (Viechtbauer 2010, metafor rma(method="DL")): estimate -0.7141, tau^2 = 0.3088.
    tpos = np.array([4, 6, 3, 62, 33, 180, 8, 505, 29, 17, 186, 5, 27])
    tneg = np.array([119, 300, 228, 13536, 5036, 1361, 2537, 87886, 7470, 1699, 50448, 2493, 16886])
    cpos = np.array([11, 29, 11, 248, 47, 372, 10, 499, 45, 65, 141, 3, 29])
    cneg = np.array([128, 274, 209, 12619, 5761, 1079, 619, 87892, 7232, 1600, 27197, 2338, 17825])
    yi = np.log((tpos / (tpos + tneg)) / (cpos / (cpos + cneg)))
    vi = 1 / tpos - 1 / (tpos + tneg) + 1 / cpos - 1 / (cpos + cneg)
    mu, tau2 = metrics.dersimonian_laird(yi, np.sqrt(vi))
    assert mu == pytest.approx(-0.7141, abs=5e-5)
    assert tau2 == pytest.approx(0.3088, abs=5e-5)


def test_shrinkage_by_hand():
    # Three therapists: means 30, 36, 38 with standard errors 2, 1, 1.
    # w = 1/se² = .25, 1, 1; fixed mean = (7.5 + 36 + 38) / 2.25 = 36.222222
    # Q = .25*(-6.222222)² + (-.222222)² + 1.777778² = 12.888889; k - 1 = 2
    # tau² = (12.888889 - 2) / (2.25 - 2.0625/2.25) = 10.888889 / 1.333333 = 8.166667
    # w* = 1/12.166667, 1/9.166667, 1/9.166667 = .082192, .109091, .109091
    #   -> mu = (2.465753 + 8.072727) / .300374 = 35.084577
    # B = tau²/(tau² + se²) = 0.671233, 0.890909, 0.890909
    # shrunk = B*y + (1-B)*mu = 31.671642, 35.900136, 37.681954
    # sd (Morris): se²*B + (1-B)²*Var(mu), Var(mu) = 1/.300374 = 3.329187 (k = 3: no third term)
    #   = 2.684932 + .108088*3.329187 = 3.044777 -> 1.744929; .890909 + .011901*3.329187 = .930529 -> .964639
    result = metrics.shrink_means([30.0, 36.0, 38.0], [2.0, 1.0, 1.0])
    assert result.tau2 == pytest.approx(8.166667, abs=1e-5)
    assert result.grand_mean == pytest.approx(35.084577, abs=1e-5)
    assert result.weight == pytest.approx([0.671233, 0.890909, 0.890909], abs=1e-6)
    assert result.shrunk == pytest.approx([31.671642, 35.900136, 37.681954], abs=1e-5)
    assert result.shrunk_se == pytest.approx([1.744929, 0.964639, 0.964639], abs=1e-5)


def test_shrinkage_toward_a_known_clinic_mean_by_hand():
    # Target 36: Q = .25*(30-36)² + 0² + 2² = 9 + 4 = 13; k = 3; Σw = 2.25 -> tau² = (13 - 3)/2.25 = 4.444444
    # B = 4.444444/8.444444 = 0.526316, 4.444444/5.444444 = 0.816327
    # shrunk = 36 + B*(y - 36) = 32.842105, 36.0, 37.632653
    result = metrics.shrink_means([30.0, 36.0, 38.0], [2.0, 1.0, 1.0], target=36.0)
    assert result.grand_mean == 36.0
    assert result.tau2 == pytest.approx(4.444444, abs=1e-6)
    assert result.shrunk == pytest.approx([32.842105, 36.0, 37.632653], abs=1e-6)


def test_shrinkage_interval_keeps_hyperparameter_uncertainty_when_tau_is_zero():
    # Five therapists, se 1, target 36 (se 0.2): Q = 1 + 0 + 1 + 0 + 0 = 2 < k = 5 -> tau² = 0, B = 1.
    # sd² = 0 + 1*0.04 + 2/(5-3)*(y-36)² -> 1.0198, 0.2, 1.0198, 0.2, 0.2 (not zero-width)
    result = metrics.shrink_means([35.0, 36.0, 37.0, 36.0, 36.0], [1.0] * 5, target=36.0, target_se=0.2)
    assert result.tau2 == 0.0
    assert result.shrunk == pytest.approx([36.0] * 5)
    assert result.shrunk_se == pytest.approx([1.019804, 0.2, 1.019804, 0.2, 0.2], abs=1e-6)


def test_shrinkage_pulls_everyone_to_the_mean_when_differences_are_noise():
    # Spread smaller than the standard errors: Q < k - 1, tau² = 0, every estimate is the pooled mean.
    result = metrics.shrink_means([36.0, 36.5, 37.0], [1.0, 1.0, 2.0])
    assert result.tau2 == 0.0
    pooled = (36.0 + 36.5 + 37.0 / 4) / 2.25
    assert result.shrunk == pytest.approx([pooled] * 3)
    assert metrics.shrink_means([], []).shrunk.size == 0


def test_reliable_change_threshold_jacobson_truax_by_hand():
    # 1.959964 * sqrt(2) * 7 * sqrt(1 - 0.8) = 1.959964 * 1.414214 * 7 * 0.447214 = 8.677130
    assert metrics.reliable_change_threshold(7.0, 0.8) == pytest.approx(8.677130, abs=1e-5)


def test_reliable_change_uses_five_ors_points():
    out = metrics.reliable_change([20, 20, 20, 20, 20], [25, 24.9, 15, 15.1, 30])
    assert out.tolist() == ["improved", "no reliable change", "deteriorated", "no reliable change", "improved"]


def test_severity_adjusted_change_by_hand():
    # Intakes 10, 15, 20, 10 (all below 25) with changes 12, 9, 6, 14; a fifth client starts at 30 (not clinical).
    # x̄ = 13.75, ȳ = 10.25, Sxx = 68.75, Sxy = -48.75 -> slope -0.709091, intercept 20.0
    # expected 12.909091, 9.363636, 5.818182, 12.909091 -> residuals -0.909091, -0.363636, 0.181818, 1.090909
    result = metrics.severity_adjusted_change([10, 15, 20, 10, 30], [22, 24, 26, 24, 31])
    assert result.slope == pytest.approx(-0.709091, abs=1e-6)
    assert result.intercept == pytest.approx(20.0, abs=1e-6)
    assert result.mean_change == pytest.approx(10.25)
    assert result.residuals[:4] == pytest.approx([-0.909091, -0.363636, 0.181818, 1.090909], abs=1e-6)
    assert math.isnan(result.residuals[4]) and result.used.tolist() == [True, True, True, True, False]
    assert result.adjusted[:4] == pytest.approx([9.340909, 9.886364, 10.431818, 11.340909], abs=1e-6)


def test_severity_adjustment_does_not_penalise_harder_cases():
    # Two therapists whose clients all follow the clinic line exactly: raw change differs (the one with more
    # distressed clients shows more change), adjusted change is identical.
    intake = np.array([5, 6, 7, 20, 21, 22])
    latest = intake + (20 - 0.5 * intake)
    result = metrics.severity_adjusted_change(intake, latest)
    hard, easy = result.adjusted[:3].mean(), result.adjusted[3:].mean()
    assert (latest - intake)[:3].mean() > (latest - intake)[3:].mean() + 5
    assert hard == pytest.approx(easy)


def test_clustered_means_per_group_equal_clustered_mean_of_each_group():
    groups = ["B", "A", "A", "B", "C", "A", "D"]
    sums = [62.0, 111.0, 0.0, 70.0, 39.0, 39.0, 0.0]
    counts = [2, 3, 0, 2, 1, 1, 0]
    est = metrics.clustered_means(groups, sums, counts)
    low, high = est.interval()
    assert list(est.keys) == ["A", "B", "C", "D"]
    for i, key in enumerate(est.keys):
        mine = [j for j, g in enumerate(groups) if g == key]
        one = metrics.clustered_mean([sums[j] for j in mine], [counts[j] for j in mine])
        assert (est.ratings[i], est.clusters[i]) == (one.ratings, one.clusters)
        for got, want in ((est.mean[i], one.mean), (est.se[i], one.se), ((low[i], high[i]), one.interval())):
            assert np.allclose(got, want, equal_nan=True), key
