"""What every number in Attune means, and where the default thresholds come from.

One source for the Glossary page, the meeting report's definitions and help text, so they never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass

from attune.filters import SRS_CUTOFF
from attune.overview import DROPOUT_GAP_DAYS
from attune.suppression import MIN_COUNT

MIN_CASELOAD = 15


@dataclass(frozen=True)
class Term:
    name: str
    definition: str
    group: str


@dataclass(frozen=True)
class Threshold:
    name: str
    value: str
    meaning: str
    source: str


TERMS: tuple[Term, ...] = (
    Term("Session Rating Scale (SRS)",
         "Four visual-analogue items the client marks at the end of a session: relationship, goals and topics, "
         "approach or method, overall. Each 0–10, total 0–40. Scores cluster near the top (mean about 36–37), "
         "so a drop for the same client matters as much as the level.", "Measures"),
    Term("Outcome Rating Scale (ORS)",
         "Four items about how the client is doing (individually, interpersonally, socially, overall), each "
         "0–10, total 0–40, usually given at the start of a session.", "Measures"),
    Term("Other alliance measures",
         "An alliance score on another scale (e.g. WAI-SR: 12 items scored 1–5) is shown on its own scale; "
         "Attune never rescales it silently.", "Measures"),
    Term("Active clients",
         "Clients with at least one attended session in the period.", "Activity"),
    Term("Sessions held", "Attended sessions in the period.", "Activity"),
    Term("Mean SRS",
         "The mean of SRS totals over the rated sessions in the period, each session counted once.", "Alliance"),
    Term("Alliance per therapist",
         "The mean of the therapist's clients' SRS totals in the period, each session counted once. Its 95% "
         "interval treats clients as the independent units (a client's sessions resemble each other), so a "
         "therapist with few clients gets a wide interval.", "Alliance"),
    Term(f"Sessions rated below {SRS_CUTOFF:g}",
         f"The share of rated sessions whose SRS total is below {SRS_CUTOFF:g}, written with its denominator "
         "(\"18.2% of 1,204\").", "Alliance"),
    Term("No-show rate",
         "No-shows ÷ (attended + no-shows + late cancellations). Cancellations made in good time are not in the "
         "denominator. Sessions cancelled by the clinician are not the client's miss: they are counted apart.",
         "Attendance"),
    Term("Late cancellation",
         "A cancellation too close to the appointment to offer the slot to someone else (as the clinic's system "
         "records it); counted in the no-show denominator.", "Attendance"),
    Term("Late-cancellation rate",
         "Late cancellations ÷ (attended + no-shows + late cancellations), the same denominator as the no-show "
         "rate.", "Attendance"),
    Term("Clinician cancellation",
         "A session the therapist or clinic cancelled. Never counted as the client's miss; shown apart, as a share "
         "of all bookings, because repeated ones strain the relationship.", "Attendance"),
    Term("Appointment not held yet",
         "A booking with no outcome yet (Scheduled, Booked, Upcoming in the clinic's export). It is left out on "
         "import, which says how many, and counts from the export that gives it an outcome.", "Attendance"),
    Term("First appointment",
         "Session 1 of a client with a therapist (from the export's session number, or the booking's order when "
         "there is none). First appointments are missed far more often than follow-ups, so they are reported "
         "apart.", "Attendance"),
    Term("Small denominator",
         "A rate over fewer than 20 appointments or endings: drawn hollow and marked \"small\". One event more "
         "or less moves it a lot.", "Attendance"),
    Term("Dropout rate",
         "Episodes the client ended without a planned ending ÷ episodes that ended in the period.", "Endings"),
    Term("Dropout (estimated)",
         f"When no episodes export is loaded: a client–therapist pair counts as ended after {DROPOUT_GAP_DAYS} "
         "days without an attended session, and as a dropout when its last booking was missed or cancelled. "
         "Pages label such numbers as estimates.", "Endings"),
    Term("Switch request",
         "A client's request to change therapist, with the reason they gave. Switching is often healthy "
         "self-advocacy about fit, not a failure; Attune shows requests neutrally.", "Endings"),
    Term("Open switch request", "A request to change therapist not yet resolved at the end of the period.",
         "Endings"),
    Term("Early dropout",
         "A dropout after two attended sessions or fewer; shown as a share of the episodes that ended in the "
         "period.", "Endings"),
    Term("Retention curve",
         "The share of clients still in therapy after each number of attended sessions (Kaplan–Meier estimate, "
         "95% band by Greenwood's formula), for episodes that started in the period. Clients still in therapy "
         "are censored: they count while they are seen and leave the curve without counting as dropouts.",
         "Endings"),
    Term("Early SRS",
         "The mean of an episode's first two SRS totals; the Dropout page compares dropout after an early SRS "
         f"below {SRS_CUTOFF:g} with dropout after one at or above it.", "Endings"),
    Term("After a switch",
         "For a completed request: the client's last (up to) three SRS totals with the therapist they left beside "
         "their first (up to) three with the new one, the sessions attended since, and whether they are still "
         "attending, ended as planned, or dropped out.", "Endings"),
    Term("Reason category",
         "Free-text reasons for a switch grouped by keywords into personality/fit, approach, practical/"
         "scheduling, identity/culture and other. A reading aid: the client's own words are always shown.",
         "Endings"),
    Term("Rupture",
         "A dip in the client's alliance score: an SRS total at least 2 points (Settings) below the previous rating "
         "with the same therapist, or below the cutoff right after a rating at or above it. A drop during the repair "
         "window belongs to the same rupture.", "Rupture and repair"),
    Term("Repair",
         "A rupture is repaired when one of the next 2 ratings (Settings) is back within 1 point of the rating "
         "before it, or at or above the cutoff; not repaired after 2 ratings without that, or when the client stops "
         "attending (episode ended, or no session for the active window); still open otherwise. Share repaired = "
         "repaired ÷ (repaired + not repaired), with a 95% Wilson interval; open ruptures are counted apart.",
         "Rupture and repair"),
    Term("Comment themes",
         "Feedback comments and switch-request reasons grouped into themes (not feeling heard, feeling judged, "
         "pressured or rushed, not safe, boundaries, goals or approach, fit) by an editable keyword list with "
         "negation handled (\"I felt heard\" is not \"not heard\"). A comment can have several themes or none.",
         "Rupture and repair"),
    Term("95% interval",
         "The range that would contain the true value in 95 of 100 repetitions. When two therapists' intervals "
         "overlap widely, the difference between them is probably noise.", "Reading the numbers"),
    Term("Change against the previous period",
         "Each headline number is compared with the period of equal length just before the chosen one, with the "
         "same filters. Rates change in percentage points (pts).", "Reading the numbers"),
    Term("Data as of",
         "The date of the newest session loaded. \"Recent\" and \"active\" are measured from it, not from today, "
         "so an old export is described as it was.", "Reading the numbers"),
    Term("Privacy suppression",
         f"In downloaded aggregate tables, counts from 1 to {MIN_COUNT - 1} are replaced by 'suppressed', and so "
         "are the other cells that would give them back by subtraction from a row or column total (secondary "
         "suppression). Tables of single sessions or clients are exported as shown, only to roles allowed to "
         "see them.", "Reading the numbers"),
    Term("Too few to compare",
         f"A therapist with fewer than {MIN_CASELOAD} clients with ratings in the period keeps their counts on the "
         "Therapists page but gets no rates, intervals or funnel position there: on such a caseload one good or bad "
         "month decides the number.", "Comparing therapists"),
    Term("Funnel plot",
         "Each therapist's rate against its denominator, with the clinic rate and the range chance alone would give "
         "at that size (95% and 99.8% control limits; Spiegelhalter 2005). Only a point outside the limits differs "
         "from the clinic. When therapists spread more than chance between single sessions predicts (a client's "
         "sessions resemble each other), the limits are widened by the measured overdispersion.",
         "Comparing therapists"),
    Term("Shrunk (partially pooled) mean",
         "A therapist's mean SRS pulled toward the clinic mean in proportion to its uncertainty (empirical Bayes): "
         "small caseloads move more. The raw mean is shown on hover.", "Comparing therapists"),
    Term("Reliable improvement",
         "The latest ORS at least 5 points above the first with that therapist (the ORS's reliable change index), "
         "among clients rated at least twice.", "Comparing therapists"),
    Term("Severity-adjusted change",
         "A client's ORS change compared with what the clinic's clients with the same intake score achieved "
         "(change regressed on intake), counting only clients who started below the clinical cutoff of 25; "
         "averaged per therapist, so harder caseloads are not penalised.", "Comparing therapists"),
)

THRESHOLDS: tuple[Threshold, ...] = (
    Threshold("SRS cutoff", f"total below {SRS_CUTOFF:g} (of 40)",
              "A session rated below it is a reason to talk about the relationship.",
              "The cutoff used with the Session Rating Scale in the Partners for Change Outcome Management System "
              "(PCOMS); Duncan, Miller, Sparks et al. (2003), \"The Session Rating Scale: preliminary psychometric "
              "properties of a 'working' alliance measure\", Journal of Brief Therapy 3(1)."),
    Threshold("ORS clinical cutoff", "25 (of 40), adults",
              "Below it a client's distress resembles that of people in treatment rather than the general public.",
              "Miller, Duncan, Brown, Sparks & Claud (2003), \"The Outcome Rating Scale: a preliminary study of "
              "the reliability, validity, and feasibility of a brief visual analog measure\", Journal of Brief "
              "Therapy 2(2)."),
    Threshold("ORS reliable change", "5 points",
              "A change in the ORS total at least this large is more than measurement noise.",
              "The reliable change index reported for the ORS, Miller, Duncan et al. (2003), as above."),
    Threshold("Dropout base rate", "about 20% (19.7%)",
              "About one client in five ends therapy early; a therapist's or clinic's rate is read against it.",
              "Swift & Greenberg (2012), \"Premature discontinuation in adult psychotherapy: a meta-analysis\", "
              "Journal of Consulting and Clinical Psychology 80(4), 547–559."),
    Threshold("No-show base rate", "about 20%",
              "Outpatient mental-health services typically see about one booked appointment in five missed.",
              "Reviews of psychiatric outpatient non-attendance, e.g. Mitchell & Selmes (2007), \"Why don't "
              "patients attend their appointments?\", Advances in Psychiatric Treatment 13(6)."),
    Threshold("Therapist effects", "5–8% of outcome variance",
              "How much of the difference in outcomes lies with the therapist rather than the client: small, so "
              "most differences between therapists on small caseloads are noise and every comparison shows its "
              "uncertainty.",
              "Baldwin & Imel (2013), \"Therapist effects: findings and methods\", in Bergin and Garfield's "
              "Handbook of Psychotherapy and Behavior Change (6th ed.); Wampold & Imel (2015), The Great "
              "Psychotherapy Debate (2nd ed.)."),
    Threshold("Minimum caseload", f"{MIN_CASELOAD} clients",
              "Therapists with fewer clients in the period are shown but marked: their intervals are too wide "
              "for a comparison to mean much.",
              "Attune's default, a rule of thumb that follows from the small therapist effects above: with fewer "
              "clients, the interval of a therapist's mean is wider than the usual differences between "
              "therapists."),
    Threshold("Rupture repair and outcome", "r ≈ .29",
              "Ruptures that are repaired go with better outcomes; a rupture is a chance, not a fault.",
              "Eubanks, Muran & Safran (2018), \"Alliance rupture repair: a meta-analysis\", Psychotherapy 55(4), "
              "508–519."),
    Threshold("Privacy threshold", f"{MIN_COUNT}",
              "Counts below it are suppressed in downloaded aggregate tables (with secondary suppression).",
              "A common small-cell rule in health statistics publishing (many agencies suppress counts below 5, "
              "10 or 11); Attune takes the stricter 10 by default."),
)
