"""Statistics for comparing therapists fairly: intervals, funnel limits, shrinkage, reliable change.

Plain functions on numbers and NumPy arrays, no database and no Streamlit, each tested against a
published worked example or a hand computation (tests/test_metrics.py). SciPy supplies the
distributions; the formulas are the standard ones cited in each docstring.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from statistics import NormalDist

import numpy as np
from numpy.typing import ArrayLike

# Outcome Rating Scale: adult clinical cutoff and the reliable change index (Miller et al. 2003;
# Miller & Duncan 2004): a change of at least 5 points is more than measurement error.
ORS_CLINICAL_CUTOFF = 25.0
ORS_RELIABLE_CHANGE = 5.0
# Control limits conventionally drawn on funnel plots (Spiegelhalter 2005): about 2 and 3 standard deviations.
FUNNEL_LEVELS = (0.95, 0.998)


def _stats():
    """scipy.stats, imported when first needed: importing it takes most of a second, which the dashboard's
    first page (normal quantiles only, from the standard library) would otherwise wait for."""
    from scipy import stats

    return stats


@cache
def z_value(confidence: float = 0.95) -> float:
    """The two-sided standard normal quantile: 1.96 for 95%, 3.09 for 99.8%. Cached: intervals for 200
    therapists ask for the same few quantiles again and again."""
    return NormalDist().inv_cdf(0.5 + confidence / 2)


@cache
def t_value(confidence: float, degrees: int) -> float:
    """The two-sided Student's t quantile on `degrees` degrees of freedom (cached as z_value is)."""
    return float(_stats().t.ppf(0.5 + confidence / 2, degrees))


def wilson_interval(successes: ArrayLike, n: ArrayLike, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for a proportion (Wilson 1927; Newcombe 1998, method 3).

    Unlike the textbook p ± z·SE it stays inside [0, 1] and behaves at 0/n and n/n, which matter for
    small caseloads. Vectorised; NaN where n is 0.
    """
    x = np.asarray(successes, dtype=float)
    total = np.asarray(n, dtype=float)
    z = z_value(confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = x / total
        centre = (p + z * z / (2 * total)) / (1 + z * z / total)
        half = z / (1 + z * z / total) * np.sqrt(p * (1 - p) / total + z * z / (4 * total * total))
        low, high = np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)
    empty = total <= 0
    return np.where(empty, np.nan, low), np.where(empty, np.nan, high)


def mean_interval(mean: ArrayLike, sd: ArrayLike, n: ArrayLike, confidence: float = 0.95,
                  method: str = "t") -> tuple[np.ndarray, np.ndarray]:
    """Interval for a mean from its sample SD: Student's t on n−1 degrees of freedom ("t", exact for
    normal data) or the normal approximation ("normal"). NaN where n < 2."""
    m, s, k = (np.asarray(v, dtype=float) for v in (mean, sd, n))
    with np.errstate(divide="ignore", invalid="ignore"):
        if method == "t":
            q = _stats().t.ppf(0.5 + confidence / 2, np.where(k >= 2, k - 1, np.nan))
        elif method == "normal":
            q = z_value(confidence)
        else:
            raise ValueError(f"Unknown interval method {method!r}: use 't' or 'normal'.")
        half = q * s / np.sqrt(k)
    half = np.where(k >= 2, half, np.nan)
    return m - half, m + half


@dataclass(frozen=True)
class ClusteredMean:
    """A mean over ratings that come in clusters (sessions of the same client)."""

    mean: float
    se: float
    ratings: int
    clusters: int

    def interval(self, confidence: float = 0.95) -> tuple[float, float]:
        """t interval on clusters − 1 degrees of freedom; NaN with fewer than two clusters."""
        if self.clusters < 2:
            return float("nan"), float("nan")
        q = t_value(confidence, self.clusters - 1)
        return self.mean - q * self.se, self.mean + q * self.se


def clustered_mean(sums: ArrayLike, counts: ArrayLike) -> ClusteredMean:
    """Mean of all ratings (each session counted once) with a standard error that respects clients.

    A client's ratings resemble each other, so treating 200 sessions from 15 clients as 200 independent
    values would make the interval far too narrow. This is the cluster-robust (sandwich) variance of a
    ratio mean: with per-client sums S_c and counts n_c, mean m = ΣS_c / Σn_c and
    Var(m) = C/(C−1) · Σ(S_c − n_c·m)² / (Σn_c)², C the number of clients.
    """
    s = np.asarray(sums, dtype=float)
    if not s.size:
        return ClusteredMean(float("nan"), float("nan"), 0, 0)
    one = clustered_means(np.zeros(s.size, dtype=int), s, counts)
    return ClusteredMean(float(one.mean[0]), float(one.se[0]), int(one.ratings[0]), int(one.clusters[0]))


@dataclass(frozen=True)
class ClusteredMeans:
    """clustered_mean for each of several groups (arrays, one entry per key, keys in sorted order)."""

    keys: np.ndarray
    mean: np.ndarray
    se: np.ndarray
    ratings: np.ndarray
    clusters: np.ndarray

    def interval(self, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
        """ClusteredMean.interval for each group."""
        q = np.array([t_value(confidence, int(c) - 1) if c >= 2 else np.nan for c in self.clusters])
        return self.mean - q * self.se, self.mean + q * self.se


def clustered_means(groups: ArrayLike, sums: ArrayLike, counts: ArrayLike) -> ClusteredMeans:
    """clustered_mean for every group at once (one row per client, `groups` saying whose): a loop over 200
    therapists took 50 ms."""
    keys, index = np.unique(np.asarray(groups), return_inverse=True)
    s = np.asarray(sums, dtype=float)
    k = np.asarray(counts, dtype=float)
    total = np.bincount(index, weights=k, minlength=keys.size)
    clusters = np.bincount(index, weights=(k > 0).astype(float), minlength=keys.size).astype(int)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(total > 0, np.bincount(index, weights=s, minlength=keys.size) / total, np.nan)
        squares = np.bincount(index, weights=(s - k * mean[index]) ** 2, minlength=keys.size)
        several = clusters >= 2
        se = np.where(several, np.sqrt(np.where(several, clusters / (clusters - 1), 0) * squares) / total, np.nan)
    return ClusteredMeans(keys, mean, se, total.astype(int), clusters)


def funnel_limits(p0: float, n: ArrayLike, confidence: float = 0.95,
                  phi: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Control limits for a proportion on a funnel plot: exact binomial with interpolation.

    Spiegelhalter (2005), "Funnel plots for comparing institutional performance", Stat Med 24:1185,
    appendix A.1.1: with r_p the smallest r for which P(R ≤ r) ≥ p under Binomial(n, p0), the limit is
    (r_p − α)/n with α = (P(R ≤ r_p) − p) / (P(R ≤ r_p) − P(R ≤ r_p − 1)). Close to
    p0 ± z·sqrt(p0(1−p0)/n) for large n, but right for small n and rates near 0 or 1.
    With an overdispersion factor phi > 1 (see `overdispersion`) the limits are the normal ones widened
    by sqrt(phi), as in section 4 of the same paper.
    """
    if phi > 1:
        return funnel_limits_normal(p0, n, confidence, phi)
    size = np.asarray(n, dtype=float)
    out = []
    binom = _stats().binom
    for p in (0.5 - confidence / 2, 0.5 + confidence / 2):
        r = binom.ppf(p, size, p0)
        upper_cdf = binom.cdf(r, size, p0)
        lower_cdf = binom.cdf(r - 1, size, p0)
        with np.errstate(divide="ignore", invalid="ignore"):
            alpha = np.where(upper_cdf > lower_cdf, (upper_cdf - p) / (upper_cdf - lower_cdf), 0.0)
            out.append(np.clip((r - alpha) / size, 0, 1))
    empty = size <= 0
    return np.where(empty, np.nan, out[0]), np.where(empty, np.nan, out[1])


def funnel_limits_normal(p0: float, n: ArrayLike, confidence: float = 0.95,
                         phi: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """The normal approximation p0 ± z·sqrt(phi·p0(1−p0)/n), clipped to [0, 1]."""
    size = np.asarray(n, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        half = z_value(confidence) * np.sqrt(phi * p0 * (1 - p0) / size)
    return np.clip(p0 - half, 0, 1), np.clip(p0 + half, 0, 1)


def overdispersion(successes: ArrayLike, n: ArrayLike, p0: float, trim: float = 0.1,
                   min_units: int = 10) -> float:
    """Spiegelhalter's (2005, section 4.2) multiplicative overdispersion factor φ, or 1 when there is none.

    Sessions of the same client resemble each other (a client who misses once tends to miss again), so
    therapists' rates spread more than binomial chance predicts and plain limits flag too many. With
    z_i = (y_i − p0)/sqrt(p0(1−p0)/n_i), the `trim` share of z-scores at each end is winsorised (set to
    the nearest remaining value) and φ = mean(z²). φ is used only when k·φ exceeds the 95th percentile
    of χ² on k − 1 degrees of freedom, and only with at least `min_units` units: with fewer, φ is too
    noisy to estimate.
    """
    x, size = np.asarray(successes, dtype=float), np.asarray(n, dtype=float)
    keep = size > 0
    x, size = x[keep], size[keep]
    k = len(x)
    if k < min_units or not 0 < p0 < 1:
        return 1.0
    z = np.sort((x / size - p0) / np.sqrt(p0 * (1 - p0) / size))
    cut = int(np.floor(trim * k))
    if cut:
        z[:cut], z[k - cut:] = z[cut], z[k - cut - 1]
    phi = float(np.mean(z ** 2))
    return phi if k * phi > _stats().chi2.ppf(0.95, k - 1) else 1.0


def funnel_position(successes: ArrayLike, n: ArrayLike, p0: float, phi: float = 1.0) -> np.ndarray:
    """Where each unit sits on the funnel: 'above 99.8%', 'above 95%', 'within', 'below 95%', 'below 99.8%'.

    A unit is outside a limit only when its observed rate lies strictly beyond it.
    """
    x = np.asarray(successes, dtype=float)
    size = np.asarray(n, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = x / size
    lo95, hi95 = funnel_limits(p0, size, 0.95, phi)
    lo998, hi998 = funnel_limits(p0, size, 0.998, phi)
    return np.select(
        [size <= 0, rate > hi998, rate > hi95, rate < lo998, rate < lo95],
        ["no data", "above 99.8%", "above 95%", "below 99.8%", "below 95%"], "within")


@dataclass(frozen=True)
class Shrinkage:
    """Empirical-Bayes (partial pooling) estimates for a set of group means."""

    grand_mean: float  # precision-weighted mean under the random-effects model
    tau2: float  # between-group variance (DerSimonian–Laird)
    shrunk: np.ndarray
    shrunk_se: np.ndarray  # posterior standard deviation, hyperparameter uncertainty included (Morris 1983)
    weight: np.ndarray  # share of each group's own mean in its shrunk estimate, τ²/(τ² + se²)


def dersimonian_laird(means: ArrayLike, ses: ArrayLike, target: float | None = None) -> tuple[float, float]:
    """Grand mean and between-group variance τ² by the method of moments (DerSimonian & Laird 1986).

    Q = Σw(y − ȳ_w)², w = 1/se², τ² = max(0, (Q − (k − 1)) / (Σw − Σw²/Σw)); the grand mean weights each
    group by 1/(se² + τ²). With a known `target` mean instead, E[Σw(y − target)²] = k + τ²Σw, so
    τ² = max(0, (Q_target − k) / Σw) and the grand mean is the target.
    """
    y, v = np.asarray(means, dtype=float), np.asarray(ses, dtype=float) ** 2
    w = 1 / v
    k = len(y)
    if target is not None:
        tau2 = max(0.0, (np.sum(w * (y - target) ** 2) - k) / np.sum(w)) if k else 0.0
        return float(target), float(tau2)
    fixed = np.sum(w * y) / np.sum(w)
    q = np.sum(w * (y - fixed) ** 2)
    tau2 = max(0.0, (q - (k - 1)) / (np.sum(w) - np.sum(w ** 2) / np.sum(w))) if k > 1 else 0.0
    w_star = 1 / (v + tau2)
    return float(np.sum(w_star * y) / np.sum(w_star)), float(tau2)


def shrink_means(means: ArrayLike, ses: ArrayLike, target: float | None = None, target_se: float = 0.0) -> Shrinkage:
    """Pull each group's mean toward the grand mean in proportion to how uncertain it is.

    Normal–normal model: the group's true mean ~ N(μ, τ²), its observed mean y ~ N(true, se²). The
    posterior mean is μ + w·(y − μ) with w = τ²/(τ² + se²): a group with few clients (large se) gets a
    small w and lands near the clinic mean; with τ² = 0 every group is the grand mean. μ and τ² come from
    DerSimonian–Laird (μ = `target` when given, e.g. the clinic's mean over all its ratings, with standard
    error `target_se`).

    The standard deviation follows Morris (1983, JASA 78:47) so that estimating μ and τ² is not mistaken
    for knowing them: se²·w (the plug-in posterior variance) + B²·Var(μ) + 2/(k − 3)·B²·(y − μ)², with
    B = 1 − w; the last term only when k > 3. Without it a τ² estimate of 0 would claim zero-width intervals.
    """
    y, se = np.asarray(means, dtype=float), np.asarray(ses, dtype=float)
    if len(y) == 0:
        empty = np.array([], dtype=float)
        return Shrinkage(float("nan"), float("nan"), empty, empty, empty)
    mu, tau2 = dersimonian_laird(y, se, target)
    v = se ** 2
    weight = tau2 / (tau2 + v)
    b = 1 - weight
    var_mu = target_se ** 2 if target is not None else 1 / np.sum(1 / (v + tau2))
    k = len(y)
    var = v * weight + b ** 2 * var_mu + (2 / (k - 3) * b ** 2 * (y - mu) ** 2 if k > 3 else 0.0)
    return Shrinkage(mu, tau2, mu + weight * (y - mu), np.sqrt(var), weight)


def reliable_change_threshold(sd: float, reliability: float, confidence: float = 0.95) -> float:
    """The smallest change larger than measurement error (Jacobson & Truax 1991):
    z · sqrt(2) · SD · sqrt(1 − r)."""
    return z_value(confidence) * np.sqrt(2.0) * sd * np.sqrt(1 - reliability)


def reliable_change(intake: ArrayLike, latest: ArrayLike, threshold: float = ORS_RELIABLE_CHANGE,
                    higher_is_better: bool = True) -> np.ndarray:
    """'improved', 'deteriorated' or 'no reliable change' for each client (a change of at least `threshold`)."""
    change = np.asarray(latest, dtype=float) - np.asarray(intake, dtype=float)
    if not higher_is_better:
        change = -change
    return np.select([change >= threshold, change <= -threshold], ["improved", "deteriorated"],
                     "no reliable change")


@dataclass(frozen=True)
class SeverityAdjusted:
    """Change adjusted for intake severity: the clinic's fitted line and each client's residual."""

    intercept: float
    slope: float
    mean_change: float  # the mean change of the clients used (the clinic's level)
    residuals: np.ndarray  # observed − expected change, NaN for clients outside the clinical range
    adjusted: np.ndarray  # mean_change + residual: the change this client "would have" at average severity
    used: np.ndarray  # boolean: started in the clinical range


def severity_adjusted_change(intake: ArrayLike, latest: ArrayLike,
                             clinical_cutoff: float = ORS_CLINICAL_CUTOFF) -> SeverityAdjusted:
    """Residualised change: regress change on intake score over clients who started in the clinical
    range (intake below the cutoff), then express each client's change relative to what the clinic's
    line expects for that intake. Clients who start more distressed tend to change more (and regress
    to the mean), so raw change favours therapists with harder cases; the residual does not.

    Averaging `adjusted` over a therapist's clients gives their severity-adjusted change.
    """
    x = np.asarray(intake, dtype=float)
    change = np.asarray(latest, dtype=float) - x
    used = x < clinical_cutoff
    nan = np.full(len(x), np.nan)
    if used.sum() < 3 or np.ptp(x[used]) == 0:
        return SeverityAdjusted(float("nan"), float("nan"), float("nan"), nan, nan, used)
    fit = _stats().linregress(x[used], change[used])
    residuals = np.where(used, change - (fit.intercept + fit.slope * x), np.nan)
    level = float(change[used].mean())
    return SeverityAdjusted(float(fit.intercept), float(fit.slope), level, residuals, level + residuals, used)
