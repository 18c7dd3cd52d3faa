"""The care pathway: who is seen, what they receive, when, and how the referral ends.

Engagement is an ordered probit: a latent propensity (a stable client trait, the
referral, the service, age, deprivation and severity) is cut at thresholds that give
the funnel shares of ``[targets]`` (never seen, seen but not treated, one treatment
session, a course of two or more). Treated referrals follow a low-intensity, stepped
(low then high) or high-intensity path; courses end early with a per-session hazard
that rises when the client is not improving. Contacts are dated from log-normal waits
fitted to the published waiting-time shares, with missed appointments in between.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import ndtri

from .. import codes
from . import model, therapists
from .parameters import SynthConfigError
from .population import Clients, Frame, draw
from .services import COUNSELLOR, HI_THERAPIST, PWP, Calendar, Services

NOT_SEEN, SEEN_NOT_TREATED, ONE_TREATMENT, COURSE = range(4)
STAGES = ("not_seen", "seen_not_treated", "one_treatment", "course")
LOW_ONLY, STEPPED, HIGH_ONLY = range(3)

KIND = codes.values("appointment_kind")
ASSESSMENT, TREATMENT, ASSESSMENT_TREATMENT, REVIEW_TREATMENT, FOLLOW_UP, OTHER_KIND = (
    KIND.index(k) for k in ("assessment", "treatment", "assessment_treatment",
                            "review_treatment", "follow_up", "other"))
ATTENDANCE = codes.values("attendance")
ATTENDED, LATE_SEEN = ATTENDANCE.index("attended"), ATTENDANCE.index("late_seen")
INTENSITY = codes.values("intensity")
LOW, HIGH = INTENSITY.index("low"), INTENSITY.index("high")
THERAPY = codes.values("therapy_type")
MEDIUM = codes.values("medium")
END = codes.values("end_reason")
NONE = -1  # a missing code


def funnel_shares(params: dict) -> np.ndarray:
    """Stage shares of ALL referrals that give the target shares of ENDED referrals.

    Courses run longest, so some are still open at the extract
    (``pathway.course_open_at_extract``); the course share is raised by 1 / (1 - that
    share) and the four shares renormalised.
    """
    t = params["targets"]
    ended = np.array([t["ended_not_seen"], t["ended_seen_not_treated"],
                      t["ended_one_treatment"], t["finished_course"]])
    shares = ended / np.array([1, 1, 1, 1 - params["pathway"]["course_open_at_extract"]])
    return shares / shares.sum()


def _standardised(values: np.ndarray, support: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """(values - mean) / SD, mean and SD of the distribution ``support`` x ``weights``."""
    weights = weights / weights.sum()
    mean = weights @ support
    return (values - mean) / np.sqrt(weights @ (support - mean) ** 2)


def covariates(params: dict, age: np.ndarray, imd: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Age and deprivation decile standardised on the population of the parameter file.

    Ages are uniform within each band, so the band mixture's mean and variance are
    exact; deciles follow their weights.
    """
    pop = params["population"]
    bands = np.array(pop["age_bands"], dtype=float)
    ages = np.concatenate([np.arange(lo, hi + 1) for lo, hi, _ in bands])
    age_weights = np.concatenate([np.full(int(hi - lo + 1), w / (hi - lo + 1))
                                  for lo, hi, w in bands])
    deciles = np.arange(1, 11, dtype=float)
    return (_standardised(age, ages + 0.5, age_weights),
            _standardised(imd, deciles, np.asarray(pop["imd_decile"], dtype=float)))


def source_effect(params: dict) -> tuple[np.ndarray, float]:
    """The engagement shift of each source of referral (``pathway.engagement_source``,
    indexed as ``codes.values("source")``), centred on the population's mix of sources,
    and its variance over that mix.

    >>> shift, var = source_effect({"pathway": {"engagement_source": {"self": 0.1,
    ...     "gp": -0.1, "other": 0.0}}, "population": {"source": {"self": 1, "gp": 1}}})
    >>> shift.round(3).tolist(), round(var, 3)
    ([0.1, -0.1, 0.0], 0.01)
    """
    effects = params["pathway"]["engagement_source"]
    weights = params["population"]["source"]
    sources = codes.values("source")
    shift = np.array([float(effects.get(s, 0.0)) for s in sources])
    w = np.array([float(weights.get(s, 0.0)) for s in sources])
    w = w / w.sum()
    shift = shift - w @ shift
    return shift, float(w @ shift ** 2)


def first_step_high(params: dict, primary: np.ndarray, mask: np.ndarray,
                    overall: float) -> np.ndarray:
    """Each referral's chance that its treatment starts (and stays) at high intensity.

    Referrals whose primary disorder is in ``pathway.high_intensity_first`` get its
    share (NICE sends PTSD straight to high intensity; services often do the same for
    social anxiety); the others share what is left, so that over the referrals in
    ``mask`` the chance is still ``overall`` (the mix the targets fix): others =
    (overall - sum_d w_d t_d) / (1 - sum_d w_d), w_d the share of disorder d in ``mask``.

    >>> first_step_high({"pathway": {"high_intensity_first": {"ptsd": 0.5}}},
    ...                 np.array([model.DISORDERS.index("ptsd"), 0, 0, 0]),
    ...                 np.ones(4, bool), 0.2).round(3).tolist()
    [0.5, 0.1, 0.1, 0.1]
    """
    chance = np.full(len(primary), overall)
    special = np.zeros(len(primary), bool)
    taken = 0.0
    n = max(int(mask.sum()), 1)
    for disorder, share in params["pathway"]["high_intensity_first"].items():
        if not 0 <= share <= 1:
            raise SynthConfigError(f"pathway.high_intensity_first.{disorder} = {share!r}; "
                                   "expected a share from 0 to 1")
        rows = primary == model.DISORDERS.index(disorder)
        chance[rows] = share
        special |= rows
        taken += share * (rows & mask).sum() / n
    rest = 1 - (special & mask).sum() / n
    chance[~special] = min(max((overall - taken) / rest, 0.0), 1.0) if rest > 0 else overall
    return chance


def _course_paths(u: np.ndarray, split: np.ndarray, high: np.ndarray) -> np.ndarray:
    """LOW_ONLY, STEPPED or HIGH_ONLY from uniforms ``u``: high-only with chance
    ``high`` per referral, the rest low-only : stepped as in ``split`` (the draw is
    that of :func:`~tincheck.synth.population.draw_from_u` when ``high`` is the
    split's own high-only share)."""
    scale = (1 - high) / (split[0] + split[1])
    low, stepped = split[0] * scale, split[1] * scale
    return np.where(u < low, LOW_ONLY, np.where(u < low + stepped, STEPPED, HIGH_ONLY))


def course_split(params: dict) -> np.ndarray:
    """Shares of courses that are low-intensity only, stepped and high-intensity only.

    Solves ``low_intensity_only = s1 * one_treatment_low + s2 * q`` for the course
    share q (s1, s2: one-treatment and course shares of treated referrals); the rest
    is split stepped : high-only as ``stepped_to_high_only``.
    """
    t, p = params["targets"], params["pathway"]
    s1 = t["ended_one_treatment"] / (t["ended_one_treatment"] + t["finished_course"])
    q = (t["low_intensity_only"] - s1 * p["one_treatment_low"]) / (1 - s1)
    if not 0 <= q <= 1:
        raise SynthConfigError(
            f"targets.low_intensity_only = {t['low_intensity_only']} cannot be reached with "
            f"pathway.one_treatment_low = {p['one_treatment_low']}: it needs "
            f"{q:.1%} of courses to be low-intensity only")
    ratio = p["stepped_to_high_only"]
    return np.array([q, (1 - q) * ratio / (1 + ratio), (1 - q) / (1 + ratio)])


def first_treatment_wait(params: dict) -> tuple[float, float]:
    """(mu, sigma) of the log-normal first-treatment wait fitted to the two targets.

    With P(W <= 42) = a and P(W <= 126) = b: sigma = ln(126/42) / (z_b - z_a) and
    mu = ln 42 - z_a sigma, z the standard normal quantiles.

    >>> [round(v, 3) for v in first_treatment_wait(
    ...     {"targets": {"wait_6_weeks_rate": 0.894, "wait_18_weeks_rate": 0.99}})]
    [2.466, 1.019]
    """
    t = params["targets"]
    za, zb = ndtri(t["wait_6_weeks_rate"]), ndtri(t["wait_18_weeks_rate"])
    sigma = np.log(126 / 42) / (zb - za)
    return float(np.log(42) - za * sigma), float(sigma)


def engagement(rng: np.random.Generator, params: dict, frame: Frame, clients: Clients,
               latent: model.Latent, services: Services, age: np.ndarray) -> np.ndarray:
    """Stage reached by each referral (NOT_SEEN ... COURSE), an ordered probit.

    propensity = sqrt(s) client trait + sqrt(1 - s) e + b_age z_age + b_imd z_imd +
    b_sev z_severity + service effect, all terms centred; its SD is
    sqrt(1 + b_age^2 + b_imd^2 + b_sev^2 + service SD^2), and the cut points are that
    SD times the normal quantiles of the cumulative funnel shares. The source of
    referral shifts it by ``engagement_source`` (centred on the population's sources).
    """
    p = params["pathway"]
    core = params["model"]["core"]
    share = p["engagement_trait_share"]
    n = frame.n
    severity = (latent.core[np.arange(n), latent.primary] - core["primary_mean"]) \
        / core["primary_sd"]
    z_age, z_imd = covariates(params, age, clients.imd[frame.client])
    source, source_var = source_effect(params)
    propensity = (np.sqrt(share) * clients.engagement[frame.client]
                  + np.sqrt(1 - share) * rng.standard_normal(n)
                  + p["engagement_age"] * z_age
                  + p["engagement_deprivation"] * z_imd
                  + p["engagement_severity"] * severity
                  + source[frame.source]
                  + services.engagement[frame.service])
    sd = np.sqrt(1 + p["engagement_age"] ** 2 + p["engagement_deprivation"] ** 2
                 + p["engagement_severity"] ** 2 + source_var
                 + params["services"]["engagement_sd"] ** 2)
    cuts = sd * ndtri(np.cumsum(funnel_shares(params))[:-1])
    return np.searchsorted(cuts, propensity)


@dataclass
class Pathway:
    """What happened to each referral of a batch, and its contacts (one row each).

    Referral arrays are indexed by referral; ``c_*`` arrays by contact row, sorted by
    (referral, date). Day numbers count from 1970-01-01; -1 is missing.
    """

    stage: np.ndarray
    path: np.ndarray
    n_low: np.ndarray
    n_high: np.ndarray
    first_treatment: np.ndarray
    ended: np.ndarray
    end_reason: np.ndarray
    staff_low: np.ndarray
    staff_high: np.ndarray
    c_ref: np.ndarray
    c_day: np.ndarray
    c_kind: np.ndarray
    c_attendance: np.ndarray
    c_intensity: np.ndarray
    c_therapy: np.ndarray
    c_medium: np.ndarray
    c_staff: np.ndarray
    c_duration: np.ndarray
    c_scored: np.ndarray      # an attended assessment or treatment contact
    c_sessions: np.ndarray    # treatment sessions before this contact
    c_dose: np.ndarray        # their specific dose

    def dose_total(self, params: dict) -> np.ndarray:
        return self.n_low * params["model"]["response"]["low_intensity_dose"] + self.n_high


def _segment_index(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(owner, position within owner) for a flattened ragged array."""
    owner = np.repeat(np.arange(len(counts)), counts)
    starts = np.cumsum(counts) - counts
    return owner, np.arange(len(owner)) - starts[owner]


def _segment_cumsum(values: np.ndarray, owner: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Running totals of ``values`` restarting at each owner's first element."""
    total = np.cumsum(values)
    starts = np.cumsum(counts) - counts
    before = np.concatenate([np.zeros(1, total.dtype), total])[starts]
    return total - before[owner]


def simulate(rng: np.random.Generator, params: dict, frame: Frame, clients: Clients,
             latent: model.Latent, services: Services, calendar: Calendar,
             age: np.ndarray) -> Pathway:
    """The pathway of each referral in ``frame``; fills in the latent responses."""
    p = params["pathway"]
    n = frame.n
    stage = engagement(rng, params, frame, clients, latent, services, age)
    treated = stage >= ONE_TREATMENT
    # the first step depends on the primary disorder (pathway.high_intensity_first);
    # the draws are those of a disorder-blind split, so the overall mix is unchanged
    one = first_step_high(params, latent.primary, stage == ONE_TREATMENT,
                          1 - p["one_treatment_low"])
    path = np.where(rng.random(n) < 1 - one, LOW_ONLY, HIGH_ONLY)
    split = course_split(params)
    high = first_step_high(params, latent.primary, stage == COURSE, split[2])
    path = np.where(stage == COURSE, _course_paths(rng.random(n), split, high), path)
    low_therapy = _draw_codes(rng, p["low_therapy"], THERAPY, n)
    high_therapy = _draw_codes(rng, p["high_therapy"], THERAPY, n)

    staff_low = services.pick_staff(rng, frame.service, np.full(n, PWP))
    high_role = np.where(high_therapy == THERAPY.index("counselling"), COUNSELLOR,
                         HI_THERAPIST)
    staff_high = services.pick_staff(rng, frame.service, high_role)
    uses_high = path != LOW_ONLY
    treating = np.where(uses_high, staff_high, staff_low)
    model.draw_responses(rng, params, latent, services.effect[frame.service])
    therapists.shift_responses(params, latent, services.therapist_logit[treating])

    # Sessions: planned, then cut short by dropping out (more often when not improving).
    plan_low = np.where(path == STEPPED, p["stepped_low_min"] + rng.poisson(
        p["stepped_low_extra"], n), p["low_min"] + rng.poisson(p["low_extra"], n))
    plan_high = np.where(path == STEPPED, p["stepped_high_min"] + rng.poisson(
        p["stepped_high_extra"], n), p["high_min"] + rng.poisson(p["high_extra"], n))
    hazard = np.clip(p["dropout_hazard"] * np.exp(
        -params["model"]["response"]["dropout_nonresponse"] * model.response_z(params, latent)),
        1e-4, 0.95)
    stay = rng.geometric(hazard)  # sessions attended before leaving (>= 1)
    single = np.minimum(np.where(path == LOW_ONLY, plan_low, plan_high), 1 + stay)
    n_low = np.where(path == LOW_ONLY, single, np.where(path == STEPPED, plan_low, 0))
    n_high = np.where(path == HIGH_ONLY, single,
                      np.where(path == STEPPED, np.minimum(plan_high, stay), 0))
    early = (n_low < plan_low) & (path != HIGH_ONLY) | (n_high < plan_high) & (path != LOW_ONLY)
    n_low = np.where(stage == COURSE, n_low, np.where(stage == ONE_TREATMENT,
                                                      (path == LOW_ONLY).astype(int), 0))
    n_high = np.where(stage == COURSE, n_high, np.where(stage == ONE_TREATMENT,
                                                        (path == HIGH_ONLY).astype(int), 0))
    end_reason = _end_reasons(rng, params, stage, early)
    at = treated & (rng.random(n) < p["assessment_is_treatment"])

    mu, sigma = first_treatment_wait(params)
    wait = np.round(rng.lognormal(mu, sigma, n) * services.wait_factor[frame.service])
    wait = np.minimum(wait, 364).astype(np.int64)
    assess_wait = np.round(wait * p["assessment_before_treatment"]).astype(np.int64)

    rows = _contacts(rng, params, frame, stage, path, n_low, n_high, at, wait, assess_wait,
                     low_therapy, high_therapy, staff_low, staff_high, end_reason)
    rows = _add_not_seen(rng, params, rows, frame, stage, assess_wait, staff_low)
    rows = _add_employment_support(rng, params, rows, treated, staff_low, staff_high,
                                   uses_high)
    c_ref = rows["ref"]
    last_day = frame.received.copy()
    np.maximum.at(last_day, c_ref, rows["day"])
    has_rows = np.bincount(c_ref, minlength=n) > 0
    median = np.where(has_rows, p["discharge_median"], p["not_seen_end_median"])
    ended = last_day + np.round(rng.lognormal(np.log(median), 0.6)).astype(np.int64)
    rows = _add_follow_up(rng, params, rows, ended, stage, end_reason, staff_low, staff_high,
                          uses_high)

    keep = rows["day"] <= calendar.data_end
    order = np.lexsort((rows["seq"][keep], rows["day"][keep], rows["ref"][keep]))
    rows = {k: v[keep][order] for k, v in rows.items()}
    open_ = ended > calendar.data_end
    ended = np.where(open_, NONE, ended)
    end_reason = np.where(open_, NONE, end_reason)
    first_treatment = frame.received + wait
    first_treatment = np.where(treated & (first_treatment <= calendar.data_end),
                               first_treatment, NONE)
    return Pathway(stage, path, n_low, n_high, first_treatment, ended, end_reason, staff_low,
                   np.where(uses_high, staff_high, NONE), rows["ref"], rows["day"],
                   rows["kind"], rows["attendance"], rows["intensity"], rows["therapy"],
                   rows["medium"], rows["staff"], rows["duration"], rows["scored"],
                   rows["sessions"], rows["dose"])


def _draw_codes(rng, table: dict, labels: tuple[str, ...], n: int) -> np.ndarray:
    keys = list(table)
    picked = draw(rng, [table[k] for k in keys], n)
    return np.array([labels.index(k) for k in keys])[picked]


def _end_reasons(rng, params: dict, stage: np.ndarray, early: np.ndarray) -> np.ndarray:
    p = params["pathway"]
    out = np.empty(len(stage), dtype=np.int64)
    groups = ((stage == NOT_SEEN, "end_not_seen"),
              (stage == SEEN_NOT_TREATED, "end_seen_not_treated"),
              (stage == ONE_TREATMENT, "end_one_treatment"),
              ((stage == COURSE) & early, "end_course_early"),
              ((stage == COURSE) & ~early, "end_course_planned"))
    for mask, name in groups:
        out[mask] = _draw_codes(rng, p[name], END, int(mask.sum()))
    return out


def _contacts(rng, params, frame, stage, path, n_low, n_high, at, wait, assess_wait,
              low_therapy, high_therapy, staff_low, staff_high, end_reason) -> dict:
    """Attended assessment and treatment contacts, and the missed ones before them."""
    p = params["pathway"]
    n_treat = n_low + n_high
    has_assess = ((stage >= SEEN_NOT_TREATED) & ~at).astype(np.int64)
    counts = has_assess + n_treat
    ref, j = _segment_index(counts)
    t = j - has_assess[ref]                      # treatment index; < 0: assessment
    is_assess = t < 0
    high = np.where(is_assess, path[ref] == HIGH_ONLY, t >= n_low[ref])
    intensity = np.where(high, HIGH, LOW)
    kind = np.where(is_assess, ASSESSMENT, TREATMENT)
    kind = np.where((t == 0) & at[ref], ASSESSMENT_TREATMENT, kind)
    last_high = high & (t == n_treat[ref] - 1) & (stage[ref] == COURSE) & (t > 0)
    kind = np.where(last_high & (rng.random(len(ref)) < p["review_last_session"]),
                    REVIEW_TREATMENT, kind)

    # Days between consecutive attended contacts (the first: from receipt).
    m = len(ref)
    regular = np.where(high, rng.choice(p["high_gap_days"], m), rng.choice(p["low_gap_days"], m))
    regular = np.maximum(3, regular + rng.integers(-2, 3, m))
    second = np.clip(np.round(rng.lognormal(np.log(p["first_to_second_median"]),
                                            p["first_to_second_sd"], m)), 1, 365)
    step_up = np.round(rng.lognormal(np.log(p["step_up_median"]), p["step_up_sd"], m))
    gap = np.where(t >= 2, regular, second)
    gap = np.where(t == 0, wait[ref] - np.where(has_assess[ref] == 1, assess_wait[ref], 0), gap)
    gap = np.where(is_assess, assess_wait[ref], gap)
    stepping = (path[ref] == STEPPED) & (t == n_low[ref]) & (t > 0)
    gap = (gap + np.where(stepping, step_up, 0)).astype(np.int64)
    day = frame.received[ref] + _segment_cumsum(gap, ref, counts)

    medium_assess = _draw_codes(rng, p["assessment_medium"], MEDIUM, len(stage))
    medium_low = _draw_codes(rng, p["low_medium"], MEDIUM, len(stage))
    medium_high = _draw_codes(rng, p["high_medium"], MEDIUM, len(stage))
    usual = np.where(is_assess, medium_assess[ref],
                     np.where(high, medium_high[ref], medium_low[ref]))
    switched = np.where(high, _draw_codes(rng, p["high_medium"], MEDIUM, m),
                        _draw_codes(rng, p["low_medium"], MEDIUM, m))
    medium = np.where(rng.random(m) < p["medium_switch"], switched, usual)
    therapy = np.where(high, high_therapy[ref], low_therapy[ref])
    signpost = is_assess & (end_reason[ref] == END.index("advice_given"))
    therapy = np.where(is_assess, np.where(signpost, THERAPY.index("signposting"), NONE),
                       therapy)
    staff = np.where(high & ~is_assess, staff_high[ref], staff_low[ref])
    group = therapy == THERAPY.index("psychoeducation_group")
    duration = np.where(is_assess, rng.choice([45, 60], m),
                        np.where(high, rng.choice([50, 60], m),
                                 np.where(group, 90, rng.choice([30, 35, 45], m))))
    attendance = np.where(rng.random(m) < p["late_seen"], LATE_SEEN, ATTENDED)
    dose_each = np.where(t >= 0, np.where(high, 1.0, params["model"]["response"][
        "low_intensity_dose"]), 0.0)
    dose = _segment_cumsum(dose_each, ref, counts) - dose_each
    attended = dict(ref=ref, day=day, kind=kind, attendance=attendance,
                    intensity=intensity, therapy=therapy, medium=medium, staff=staff,
                    duration=duration, scored=np.ones(m, bool),
                    sessions=np.maximum(t, 0), dose=dose, seq=2 * j + 1)

    # Missed appointments before an attended contact, spread over the gap before it.
    missed = np.where(rng.random(m) < p["missed"], rng.geometric(0.7, m), 0)
    missed = np.where(gap > missed, missed, 0)
    slot, r = _segment_index(missed)
    r = r + 1
    miss_day = day[slot] - gap[slot] + np.round(gap[slot] * r / (missed[slot] + 1)).astype(
        np.int64)
    misses = {k: v[slot] for k, v in attended.items()}
    misses.update(day=miss_day, attendance=_missed_kinds(rng, p, len(slot)),
                  duration=np.full(len(slot), NONE), scored=np.zeros(len(slot), bool),
                  seq=2 * j[slot])
    return _stack(attended, misses)


def _missed_kinds(rng, p: dict, n: int) -> np.ndarray:
    return _draw_codes(rng, p["missed_kinds"], ATTENDANCE, n)


def _add_not_seen(rng, params, rows, frame, stage, assess_wait, staff_low) -> dict:
    """Never-seen referrals: missed assessment appointments, or none at all."""
    p = params["pathway"]
    not_seen = stage == NOT_SEEN
    counts = np.where(not_seen & (rng.random(len(stage)) >= p["not_seen_no_contact"]),
                      rng.geometric(0.6, len(stage)), 0)
    ref, r = _segment_index(counts)
    k = len(ref)
    medium = _draw_codes(rng, p["assessment_medium"], MEDIUM, k)
    extra = dict(ref=ref, day=frame.received[ref] + assess_wait[ref] + 14 * r,
                 kind=np.full(k, ASSESSMENT), attendance=_missed_kinds(rng, p, k),
                 intensity=np.full(k, NONE), therapy=np.full(k, NONE), medium=medium,
                 staff=staff_low[ref], duration=np.full(k, NONE),
                 scored=np.zeros(k, bool), sessions=np.zeros(k, np.int64),
                 dose=np.zeros(k), seq=r)
    return _stack(rows, extra)


def _add_employment_support(rng, params, rows, treated, staff_low, staff_high,
                            uses_high) -> dict:
    """Employment-support contacts for some treated clients (not treatment contacts)."""
    p = params["pathway"]
    n = len(treated)
    counts = np.where(treated & (rng.random(n) < p["employment_support"]),
                      1 + (rng.random(n) < 0.4), 0)
    ref, r = _segment_index(counts)
    k = len(ref)
    first = np.full(n, np.iinfo(np.int64).max)
    last = np.full(n, np.iinfo(np.int64).min)
    attended = rows["scored"]
    np.minimum.at(first, rows["ref"][attended], rows["day"][attended])
    np.maximum.at(last, rows["ref"][attended], rows["day"][attended])
    day = np.minimum(first[ref] + 10 * (r + 1), last[ref])
    kind = np.where(rng.random(k) < 0.5, TREATMENT, OTHER_KIND)
    extra = dict(ref=ref, day=day, kind=kind, attendance=np.full(k, ATTENDED),
                 intensity=np.full(k, NONE),
                 therapy=np.full(k, THERAPY.index("employment_support")),
                 medium=np.full(k, MEDIUM.index("telephone")),
                 staff=np.where(uses_high[ref], staff_high[ref], staff_low[ref]),
                 duration=np.full(k, 30), scored=np.zeros(k, bool),
                 sessions=np.zeros(k, np.int64), dose=np.zeros(k), seq=1000 + r)
    return _stack(rows, extra)


def _add_follow_up(rng, params, rows, ended, stage, end_reason, staff_low, staff_high,
                   uses_high) -> dict:
    """A follow-up contact one to three months after some completed courses."""
    p = params["pathway"]
    n = len(stage)
    chosen = np.flatnonzero((stage == COURSE) & (end_reason == END.index("completed"))
                            & (rng.random(n) < p["follow_up_contact"]))
    k = len(chosen)
    extra = dict(ref=chosen, day=ended[chosen] + rng.integers(30, 91, k),
                 kind=np.full(k, FOLLOW_UP), attendance=np.full(k, ATTENDED),
                 intensity=np.where(uses_high[chosen], HIGH, LOW), therapy=np.full(k, NONE),
                 medium=np.full(k, MEDIUM.index("telephone")),
                 staff=np.where(uses_high[chosen], staff_high[chosen], staff_low[chosen]),
                 duration=np.full(k, 30), scored=np.zeros(k, bool),
                 sessions=np.zeros(k, np.int64), dose=np.zeros(k), seq=np.full(k, 2000))
    return _stack(rows, extra)


def _stack(a: dict, b: dict) -> dict:
    return {k: np.concatenate([a[k], b[k]]) for k in a}
