//! Skills review cycles: how often each person looks over their profile
//! again, when their next review is due, and when to remind them.
//!
//! Everything here is worked out from dates the caller passes in, so the
//! same answers come out on the server, in the browser and in tests.

use std::collections::HashMap;

use chrono::{Datelike, Days, Months, NaiveDate};
use serde::{Deserialize, Serialize};

/// Longer than five years and a review stops meaning much.
pub const MAX_MONTHS: u32 = 60;
/// A reminder three months out is already more than anyone acts on.
pub const MAX_REMIND_DAYS: u32 = 90;

/// An organisation's rule (each organisation of the system has its own).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CycleSettings {
    /// Months between reviews; 0: review cycles are off.
    pub months: u32,
    /// A reminder this many days before the due date (0: none).
    pub remind_before_days: u32,
    /// And this many days after it, if still not done (0: none).
    pub remind_after_days: u32,
}

impl Default for CycleSettings {
    /// A yearly review fits the NHS appraisal year most places already run.
    fn default() -> Self {
        CycleSettings {
            months: 12,
            remind_before_days: 14,
            remind_after_days: 7,
        }
    }
}

/// A unit's fixed date: everyone in it (and in units below it without their
/// own) is due on `date`, then every `months` after (and before) it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FixedDate {
    pub unit_id: i32,
    pub date: NaiveDate,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReviewState {
    Off,
    NotStarted,
    UpToDate,
    DueSoon,
    Overdue,
}

impl ReviewState {
    pub fn label(self) -> &'static str {
        match self {
            ReviewState::Off => "Off",
            ReviewState::NotStarted => "Not started",
            ReviewState::UpToDate => "Up to date",
            ReviewState::DueSoon => "Due soon",
            ReviewState::Overdue => "Overdue",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Due {
    pub date: Option<NaiveDate>,
    pub state: ReviewState,
}

/// When the person's next review is due.
///
/// `base` is the date of their last completed review or, if they have never
/// completed one, of their first self-assessment; None if they have not
/// started a profile, as there is nothing yet to review.
pub fn due_date(
    settings: &CycleSettings,
    fixed: Option<NaiveDate>,
    base: Option<NaiveDate>,
) -> Option<NaiveDate> {
    if settings.months == 0 {
        return None;
    }
    let base = base?;
    let Some(anchor) = fixed else {
        return base.checked_add_months(Months::new(settings.months));
    };
    // The cycle dates are anchor + k * months for every whole k, each the
    // end of a cycle (a review year ending 31 March, say). A review counts
    // for the cycle it falls in, up to and including its end date, so the
    // next is due at the end of the following cycle. Take k from the months
    // between them: cycle k lands in base's month or before it, cycle k + 1
    // in a later month, so the end of base's cycle is one of the two.
    let k = (month_index(base) - month_index(anchor)).div_euclid(i64::from(settings.months));
    let end = match cycle_date(anchor, settings.months, k) {
        Some(at) if at >= base => k,
        _ => k + 1,
    };
    cycle_date(anchor, settings.months, end + 1)
}

fn month_index(d: NaiveDate) -> i64 {
    i64::from(d.year()) * 12 + i64::from(d.month0())
}

/// Always counted from the anchor rather than step by step, so a 31st that
/// was clamped to the 30th one cycle comes back as the 31st the next.
fn cycle_date(anchor: NaiveDate, months: u32, k: i64) -> Option<NaiveDate> {
    let span = k.unsigned_abs().checked_mul(u64::from(months))?;
    let span = Months::new(u32::try_from(span).ok()?);
    if k >= 0 {
        anchor.checked_add_months(span)
    } else {
        anchor.checked_sub_months(span)
    }
}

pub fn state(
    settings: &CycleSettings,
    due: Option<NaiveDate>,
    started: bool,
    today: NaiveDate,
) -> ReviewState {
    if settings.months == 0 {
        return ReviewState::Off;
    }
    let Some(due) = due.filter(|_| started) else {
        return ReviewState::NotStarted;
    };
    // Due by the date: a review on the day itself is in time.
    if today > due {
        ReviewState::Overdue
    } else if today >= days_before(due, settings.remind_before_days) {
        ReviewState::DueSoon
    } else {
        ReviewState::UpToDate
    }
}

/// Only fails at the very start of the calendar, where "from the start" is
/// the honest answer.
fn days_before(date: NaiveDate, days: u32) -> NaiveDate {
    date.checked_sub_days(Days::new(u64::from(days)))
        .unwrap_or(NaiveDate::MIN)
}

/// The fixed date that applies to a unit: its own, or else the nearest one
/// above it. `parents` maps each unit to its parent (None at the top).
pub fn fixed_for(
    unit: i32,
    parents: &HashMap<i32, Option<i32>>,
    fixed: &[FixedDate],
) -> Option<NaiveDate> {
    let mut current = Some(unit);
    // A loop in the unit tree is bad data, not a reason to hang: no honest
    // path is longer than the number of units.
    for _ in 0..=parents.len() {
        let id = current?;
        if let Some(f) = fixed.iter().find(|f| f.unit_id == id) {
            return Some(f.date);
        }
        current = parents.get(&id).copied().flatten();
    }
    None
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Reminder {
    Soon,
    Overdue,
}

impl Reminder {
    pub fn code(self) -> &'static str {
        match self {
            Reminder::Soon => "soon",
            Reminder::Overdue => "overdue",
        }
    }
}

/// The reminder to send today, if any. "On or after" rather than "on", so a
/// day the job did not run is caught up the next; the caller keeps a record
/// (see `reminder_key`) so nobody is told twice.
pub fn reminder_due(
    settings: &CycleSettings,
    due: NaiveDate,
    today: NaiveDate,
) -> Option<Reminder> {
    let after = u64::from(settings.remind_after_days);
    if after > 0
        && due
            .checked_add_days(Days::new(after))
            .is_some_and(|from| today >= from)
    {
        return Some(Reminder::Overdue);
    }
    if settings.remind_before_days > 0
        && today >= days_before(due, settings.remind_before_days)
        && today <= due
    {
        return Some(Reminder::Soon);
    }
    None
}

/// One key per person, due date and kind: a new due date (after a review)
/// gets fresh reminders, the same one never goes twice.
pub fn reminder_key(person_id: i32, due: NaiveDate, r: Reminder) -> String {
    format!("review_{}:{person_id}:{due}", r.code())
}

/// The review in words, for the person themselves.
pub fn describe(due: &Due) -> String {
    let when = |d: NaiveDate| d.format("%-d %B %Y").to_string();
    match (due.state, due.date) {
        (ReviewState::Off, _) => String::new(),
        (ReviewState::NotStarted, _) => {
            "Start your skills profile. Once you have, Skillmap will ask you to review it every so often."
                .into()
        }
        (ReviewState::UpToDate | ReviewState::DueSoon, Some(d)) => {
            format!("Your skills review is due by {}.", when(d))
        }
        (ReviewState::Overdue, Some(d)) => format!("Your skills review was due on {}.", when(d)),
        // Up to date or overdue with no date is a caller's slip: better to
        // say nothing than something wrong.
        (_, None) => String::new(),
    }
}

/// Reads a date as a date field sends it. Strict about the shape, so a
/// two-digit year is an error rather than the year 27.
pub fn parse_date(s: &str) -> Result<NaiveDate, String> {
    let s = s.trim();
    let shaped = s.len() == 10
        && s.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            _ => b.is_ascii_digit(),
        });
    let error = || "Enter a date like 2027-03-31".to_string();
    if !shaped {
        return Err(error());
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| error())
}

/// Checks the administrator's form; every mistake at once, by field name.
pub fn check_settings(
    months: &str,
    before: &str,
    after: &str,
) -> Result<CycleSettings, Vec<(&'static str, String)>> {
    let mut errors = Vec::new();
    let mut number = |field: &'static str, value: &str, max: u32, message: String| {
        let n = value.trim().parse::<u32>().ok().filter(|n| *n <= max);
        n.unwrap_or_else(|| {
            errors.push((field, message));
            0
        })
    };
    let days = || format!("Enter a whole number of days from 0 to {MAX_REMIND_DAYS}");
    let settings = CycleSettings {
        months: number(
            "months",
            months,
            MAX_MONTHS,
            format!("Enter a whole number of months from 0 (off) to {MAX_MONTHS}"),
        ),
        remind_before_days: number("remind_before_days", before, MAX_REMIND_DAYS, days()),
        remind_after_days: number("remind_after_days", after, MAX_REMIND_DAYS, days()),
    };
    if errors.is_empty() {
        Ok(settings)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("a real date in the test")
    }

    fn rule(months: u32, remind_before_days: u32, remind_after_days: u32) -> CycleSettings {
        CycleSettings {
            months,
            remind_before_days,
            remind_after_days,
        }
    }

    fn every(months: u32) -> CycleSettings {
        rule(months, 14, 7)
    }

    /// Each row: settings, fixed date, last review, expected due date.
    fn check_due(rows: &[(u32, Option<NaiveDate>, NaiveDate, Option<NaiveDate>)]) {
        for &(months, fixed, base, want) in rows {
            let got = due_date(&every(months), fixed, Some(base));
            assert_eq!(got, want, "every {months}, fixed {fixed:?}, base {base}");
        }
    }

    #[test]
    fn rolling_due_dates() {
        check_due(&[
            (12, None, d(2026, 1, 5), Some(d(2027, 1, 5))),
            (6, None, d(2026, 1, 5), Some(d(2026, 7, 5))),
            // Month ends clamp to the shorter month.
            (1, None, d(2025, 1, 31), Some(d(2025, 2, 28))),
            (1, None, d(2024, 1, 31), Some(d(2024, 2, 29))),
            (12, None, d(2024, 2, 29), Some(d(2025, 2, 28))),
            (0, None, d(2026, 1, 5), None),
            (0, Some(d(2026, 4, 1)), d(2026, 1, 5), None),
        ]);
        let s = CycleSettings::default();
        assert_eq!(due_date(&s, None, None), None, "no profile, nothing due");
        assert_eq!(due_date(&s, Some(d(2026, 4, 1)), None), None);
    }

    #[test]
    fn fixed_due_dates() {
        let april = Some(d(2026, 4, 1));
        let mid = Some(d(2026, 4, 15));
        check_due(&[
            // A review counts for the cycle it falls in (ending 1 April
            // 2026 here), the next is due at the end of the following one.
            (12, april, d(2026, 3, 31), Some(d(2027, 4, 1))),
            (12, april, d(2025, 4, 2), Some(d(2027, 4, 1))),
            // On the end date itself: still that cycle.
            (12, april, d(2026, 4, 1), Some(d(2027, 4, 1))),
            (12, april, d(2026, 4, 2), Some(d(2028, 4, 1))),
            (12, april, d(2025, 4, 1), april),
            (12, april, d(2024, 6, 15), april),
            // In a cycle date's month, either side of it.
            (12, mid, d(2030, 4, 10), Some(d(2031, 4, 15))),
            (12, mid, d(2030, 4, 20), Some(d(2032, 4, 15))),
            // Far away, both ways.
            (12, april, d(1990, 5, 1), Some(d(1992, 4, 1))),
            (12, april, d(1900, 1, 1), Some(d(1901, 4, 1))),
            (12, april, d(2125, 3, 31), Some(d(2126, 4, 1))),
            (12, april, d(2125, 4, 1), Some(d(2126, 4, 1))),
            (12, april, d(9000, 12, 31), Some(d(9002, 4, 1))),
            (24, april, d(2031, 1, 1), Some(d(2034, 4, 1))),
        ]);
    }

    #[test]
    fn fixed_month_end_counts_from_the_anchor() {
        // 31 March every six months: 30 September, then 31 March again.
        let end = Some(d(2026, 3, 31));
        check_due(&[
            (6, end, d(2026, 9, 29), Some(d(2027, 3, 31))),
            (6, end, d(2026, 9, 30), Some(d(2027, 3, 31))),
            (6, end, d(2025, 9, 30), end),
            (6, end, d(2025, 9, 29), end),
            (6, end, d(2026, 4, 1), Some(d(2027, 3, 31))),
            (6, end, d(2000, 3, 31), Some(d(2000, 9, 30))),
        ]);
    }

    #[test]
    fn fixed_matches_counting_one_cycle_at_a_time() {
        let anchors = [(2026, 4, 1), (2026, 1, 31), (2024, 2, 29), (2026, 8, 30)];
        for anchor in anchors.map(|(y, m, day)| d(y, m, day)) {
            for months in [1, 2, 3, 5, 7, 12, 24, 60] {
                let cycles: Vec<NaiveDate> = (-200..=200)
                    .filter_map(|k| cycle_date(anchor, months, k))
                    .collect();
                assert!(cycles.windows(2).all(|w| w[0] < w[1]));
                let mut base = d(2018, 1, 1);
                while base < d(2032, 1, 1) {
                    // The end of the cycle after the one `base` falls in.
                    let end = cycles.iter().position(|c| *c >= base);
                    let want = end.and_then(|i| cycles.get(i + 1)).copied();
                    assert!(want.is_some());
                    check_due(&[(months, Some(anchor), base, want)]);
                    base = base + Days::new(3);
                }
            }
        }
    }

    #[test]
    fn states_at_each_boundary() {
        let (s, quiet) = (rule(12, 14, 7), rule(12, 0, 7));
        let due = Some(d(2027, 1, 15));
        use ReviewState::*;
        for (settings, today, want) in [
            (s, d(2026, 12, 31), UpToDate), // the day before the window
            (s, d(2027, 1, 1), DueSoon),    // its first day
            (s, d(2027, 1, 14), DueSoon),
            (s, d(2027, 1, 15), DueSoon), // the due day: still in time
            (s, d(2027, 1, 16), Overdue), // the day after
            (quiet, d(2027, 1, 14), UpToDate),
            (quiet, d(2027, 1, 15), DueSoon),
            (quiet, d(2027, 1, 16), Overdue),
            (every(0), d(2030, 1, 1), Off),
        ] {
            assert_eq!(state(&settings, due, true, today), want, "{today}");
        }
        assert_eq!(state(&s, due, false, d(2030, 1, 1)), NotStarted);
        assert_eq!(state(&s, None, true, d(2030, 1, 1)), NotStarted);
        assert_eq!(DueSoon.label(), "Due soon");
        assert_eq!(NotStarted.label(), "Not started");
    }

    #[test]
    fn nearest_fixed_date_wins() {
        // 1 is the trust, 2 a division, 3 a directorate, 4 a ward.
        let parents = HashMap::from([(1, None), (2, Some(1)), (3, Some(2)), (4, Some(3))]);
        let at = |unit_id, date| FixedDate { unit_id, date };
        let fixed = [at(1, d(2026, 4, 1)), at(3, d(2026, 10, 1))];
        assert_eq!(fixed_for(4, &parents, &fixed), Some(d(2026, 10, 1)));
        assert_eq!(fixed_for(3, &parents, &fixed), Some(d(2026, 10, 1)));
        assert_eq!(fixed_for(2, &parents, &fixed), Some(d(2026, 4, 1)));
        assert_eq!(fixed_for(1, &parents, &fixed), Some(d(2026, 4, 1)));
        assert_eq!(fixed_for(4, &parents, &[]), None);
        assert_eq!(fixed_for(99, &parents, &fixed), None, "unknown unit");

        // A loop in the tree ends rather than hangs.
        let looped = HashMap::from([(10, Some(11)), (11, Some(10))]);
        assert_eq!(fixed_for(10, &looped, &[]), None);
        assert_eq!(
            fixed_for(10, &looped, &[at(11, d(2026, 4, 1))]),
            Some(d(2026, 4, 1))
        );
        assert_eq!(fixed_for(5, &HashMap::from([(5, Some(5))]), &[]), None);
    }

    #[test]
    fn reminders_at_each_boundary() {
        let s = rule(12, 14, 7);
        let (none_before, none_after) = (rule(12, 0, 7), rule(12, 14, 0));
        let due = d(2027, 1, 15);
        use Reminder::*;
        for (settings, today, want) in [
            (s, d(2026, 12, 31), None),
            (s, d(2027, 1, 1), Some(Soon)),
            (s, d(2027, 1, 14), Some(Soon)),
            (s, d(2027, 1, 15), Some(Soon)), // the due day itself
            (s, d(2027, 1, 16), None),       // late, not yet late enough to chase
            (s, d(2027, 1, 21), None),
            (s, d(2027, 1, 22), Some(Overdue)),
            (s, d(2027, 3, 1), Some(Overdue)), // caught up late
            (none_before, d(2027, 1, 14), None),
            (none_before, d(2027, 1, 22), Some(Overdue)),
            (none_after, d(2027, 1, 1), Some(Soon)),
            (none_after, d(2027, 6, 1), None),
        ] {
            assert_eq!(reminder_due(&settings, due, today), want, "{today}");
        }
        assert_eq!(reminder_key(7, due, Soon), "review_soon:7:2027-01-15");
        assert_eq!(reminder_key(7, due, Overdue), "review_overdue:7:2027-01-15");
    }

    #[test]
    fn descriptions() {
        let on = |state| Due {
            date: Some(d(2027, 1, 5)),
            state,
        };
        let by = "Your skills review is due by 5 January 2027.";
        assert_eq!(describe(&on(ReviewState::UpToDate)), by);
        assert_eq!(describe(&on(ReviewState::DueSoon)), by);
        assert_eq!(
            describe(&on(ReviewState::Overdue)),
            "Your skills review was due on 5 January 2027."
        );
        assert_eq!(describe(&on(ReviewState::Off)), "");
        let not_started = Due {
            date: None,
            state: ReviewState::NotStarted,
        };
        assert!(describe(&not_started).starts_with("Start your skills profile"));
    }

    #[test]
    fn dates_from_forms() {
        assert_eq!(parse_date(" 2027-03-31 "), Ok(d(2027, 3, 31)));
        let bad = Err("Enter a date like 2027-03-31".to_string());
        let wrong = [
            "2027-02-30",
            "31/03/2027",
            "27-3-31",
            "2027-3-31",
            "",
            "x2027-03-31",
        ];
        for s in wrong {
            assert_eq!(parse_date(s), bad, "{s:?}");
        }
    }

    #[test]
    fn settings_from_forms() {
        assert_eq!(
            check_settings("12", "14", "7"),
            Ok(CycleSettings::default())
        );
        assert_eq!(check_settings(" 0 ", "0", "90"), Ok(rule(0, 0, 90)));
        let errors = check_settings("61", "x", "7").unwrap_err();
        let months = "Enter a whole number of months from 0 (off) to 60";
        let days = "Enter a whole number of days from 0 to 90";
        assert_eq!(errors.len(), 2, "both mistakes at once");
        assert_eq!(errors[0], ("months", months.to_string()));
        assert_eq!(errors[1], ("remind_before_days", days.to_string()));
        let errors = check_settings("", "91", "-1").unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.0).collect();
        assert_eq!(
            fields,
            ["months", "remind_before_days", "remind_after_days"]
        );
    }
}
