//! Skills review cycles end to end: an administrator's rule, a person's
//! due date and review, managers' overdue lists, the organisation's count,
//! and reminders on days the test chooses (`skillmap send-reminders
//! --today`), delivered by a real SMTP server.

use std::time::Duration;

use chrono::{Days, Months, NaiveDate, Utc};
use serde_json::Value;
use skillmap_tests::smtp::{Mail, SmtpSink};
use skillmap_tests::{ADMIN, MANAGER, STAFF, TestServer, cli};

fn start(sink: &SmtpSink) -> TestServer {
    let mut env = sink.env();
    env.push(("SKILLMAP_JOB_POLL_MS".into(), "100".into()));
    env.push(("SKILLMAP_LOGIN_BURST".into(), "100".into()));
    let refs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    TestServer::start_with(&refs)
}

fn mail_to(sink: &SmtpSink, to: &str, about: &str) -> Vec<Mail> {
    let all = sink.messages();
    skillmap_tests::smtp::about_to(&all, to, about)
        .into_iter()
        .cloned()
        .collect()
}

fn wait_mail(sink: &SmtpSink, to: &str, about: &str, n: usize) -> Vec<Mail> {
    sink.wait_mail(to, about, n, Duration::from_secs(30))
}

/// Runs the day's reminders as the command line does, with the same mail
/// settings as the server (which sends what they write).
fn remind(app: &TestServer, sink: &SmtpSink, day: NaiveDate) -> String {
    let env = sink.env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let (ok, out) = cli(
        &app.db,
        &["send-reminders", "--today", &day.to_string()],
        &env,
    );
    assert!(ok, "{out}");
    out
}

fn long(d: NaiveDate) -> String {
    d.format("%-d %B %Y").to_string()
}

/// A rolling yearly cycle: the person who assessed today is due in a
/// year. On the day before (a clock the test sets), they are reminded once
/// however often the reminders run; a week after, they are told it is
/// overdue and so is their manager. Completing the review moves the date.
#[tokio::test]
async fn reminders_go_on_the_days_the_cycle_says_once_each() {
    let sink = SmtpSink::start();
    let app = start(&sink);
    let staff = app.login_demo(STAFF).await;
    let admin = app.login_demo(ADMIN).await;
    let manager = app.login_demo(MANAGER).await;
    app.json(
        &admin,
        "/api/profile/save_review_cycle",
        &[
            ("months", "12"),
            ("remind_before_days", "14"),
            ("remind_after_days", "7"),
        ],
    )
    .await;
    // Before a profile exists there is nothing to review.
    let status = app.json(&staff, "/api/profile/review_status", &[]).await;
    assert_eq!(status["due"]["state"], "NotStarted", "{status}");
    app.json(
        &staff,
        "/api/profile/save",
        &[
            ("skill_code", "DIG-FOUND"),
            ("level", "2"),
            ("revision", "0"),
            ("evidence", "Use the e-rostering app daily"),
        ],
    )
    .await;
    let today = Utc::now().date_naive();
    let due = today.checked_add_months(Months::new(12)).unwrap();
    let status = app.json(&staff, "/api/profile/review_status", &[]).await;
    assert_eq!(status["due"]["date"], due.to_string(), "{status}");
    assert_eq!(status["due"]["state"], "UpToDate");

    // The day before it is due.
    let eve = due.checked_sub_days(Days::new(1)).unwrap();
    let out = remind(&app, &sink, eve);
    assert!(out.contains(&format!("Reminders for {eve}")), "{out}");
    let soon = wait_mail(&sink, STAFF, &format!("due by {}", long(due)), 1);
    let link = soon[0]
        .links()
        .into_iter()
        .find(|l| l.ends_with("/skills/review"))
        .expect("a link to the review");
    let page = staff
        .get(&link)
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("Review your skills"));
    // Again the same day, and the next: no second reminder.
    remind(&app, &sink, eve);
    remind(&app, &sink, due);
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(mail_to(&sink, STAFF, "due by").len(), 1, "reminded once");

    // A week late: the person, and their manager.
    let late = due.checked_add_days(Days::new(7)).unwrap();
    remind(&app, &sink, late);
    wait_mail(&sink, STAFF, &format!("was due on {}", long(due)), 1);
    let told = wait_mail(&sink, MANAGER, "overdue for their skills review", 1);
    // Their direct reports, by name, and where to see them all.
    assert!(told[0].text.contains("/team/reviews"), "{}", told[0].text);
    // (The manager heard in other weeks too: on the server's own daily
    // run, and on the eve's, for their demo team.)
    std::thread::sleep(Duration::from_secs(1));
    let before = mail_to(&sink, MANAGER, "overdue for their skills review").len();
    // Another day of the same ISO week (Monday to Sunday).
    let same_week = if late.format("%u").to_string() == "7" {
        late.checked_sub_days(Days::new(1)).unwrap()
    } else {
        late.checked_add_days(Days::new(1)).unwrap()
    };
    remind(&app, &sink, same_week);
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(
        mail_to(&sink, MANAGER, "overdue for their skills review").len(),
        before,
        "managers hear once a week"
    );

    // The review: one level changed, the rest kept (here the only other
    // is none); a skill left out or not theirs is named, nothing saved.
    let res = app
        .call(
            &staff,
            "/api/profile/complete_review",
            &[("answers[NOT-A-SKILL]", "keep")],
        )
        .await;
    assert_eq!(res.status(), 422);
    let body = res.text().await.unwrap();
    assert!(
        body.contains("NOT-A-SKILL") && body.contains("DIG-FOUND"),
        "{body}"
    );
    let done = app
        .json(
            &staff,
            "/api/profile/complete_review",
            &[("answers[DIG-FOUND]", "3")],
        )
        .await;
    assert_eq!(done, serde_json::json!([0, 1]));
    let profile = app.json(&staff, "/api/profile/get", &[]).await;
    let dig = profile["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["skill"]["code"] == "DIG-FOUND")
        .unwrap();
    assert_eq!(dig["assessment"]["self_level"], 3, "the change is saved");
    assert_eq!(
        dig["assessment"]["status"], "Pending",
        "and waits for agreement"
    );
    let status = app.json(&staff, "/api/profile/review_status", &[]).await;
    assert_eq!(
        status["due"]["date"],
        due.to_string(),
        "completed today: due a year on"
    );
    assert!(status["last"].is_string());
    let _ = manager;
}

/// A unit's fixed date, managers' overdue lists and the organisation's
/// count: with a one-month cycle, the demo trust's people (who assessed
/// up to a year ago) are overdue; the admin page names every setting that
/// is wrong.
#[tokio::test]
async fn managers_see_who_is_overdue_and_the_organisation_counts_profiles_up_to_date() {
    let sink = SmtpSink::start();
    let app = start(&sink);
    let admin = app.login_demo(ADMIN).await;
    let manager = app.login_demo(MANAGER).await;

    // Wrong settings are named, field by field, and change nothing.
    let res = app
        .call(
            &admin,
            "/api/profile/save_review_cycle",
            &[
                ("months", "soon"),
                ("remind_before_days", "400"),
                ("remind_after_days", "7"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    let body = res.text().await.unwrap();
    assert!(
        body.contains("months") && body.contains("remind_before_days"),
        "{body}"
    );
    let cycle = app.json(&admin, "/api/profile/review_cycle", &[]).await;
    assert_eq!(cycle["settings"]["months"], 12, "unchanged: {cycle}");

    let report = app.json(&admin, "/api/team/organisation", &[]).await;
    let root = report["unit"]["id"].to_string();
    let yearly = app
        .json(&admin, "/api/profile/review_counts", &[("unit", &root)])
        .await;
    assert!(yearly["total"].as_u64().unwrap() > 100, "{yearly}");
    assert_eq!(
        report["reviews"], yearly,
        "the organisation view carries the same counts"
    );

    app.json(
        &admin,
        "/api/profile/save_review_cycle",
        &[
            ("months", "1"),
            ("remind_before_days", "7"),
            ("remind_after_days", "7"),
        ],
    )
    .await;
    let monthly = app
        .json(&admin, "/api/profile/review_counts", &[("unit", &root)])
        .await;
    assert!(
        monthly["overdue"].as_u64().unwrap() > yearly["overdue"].as_u64().unwrap(),
        "a shorter cycle makes more people overdue: {yearly} then {monthly}"
    );
    let report = app.json(&admin, "/api/team/organisation", &[]).await;
    assert_eq!(report["reviews"], monthly, "{report:.300}");
    let overdue = app
        .json(&manager, "/api/profile/overdue_reviews", &[])
        .await;
    assert!(
        !overdue.as_array().unwrap().is_empty(),
        "the manager's team has people overdue: {overdue}"
    );

    // A fixed date for the whole trust, in the past but within the cycle:
    // everyone who assessed before it is due at the end of the next cycle.
    let res = app
        .call(
            &admin,
            "/api/profile/set_fixed_date",
            &[("unit_id", ""), ("date", "31/03/2027")],
        )
        .await;
    assert_eq!(res.status(), 422);
    let body = res.text().await.unwrap();
    assert!(body.contains("unit_id") && body.contains("date"), "{body}");
    let in_a_year = Utc::now()
        .date_naive()
        .checked_add_months(Months::new(11))
        .unwrap();
    app.json(
        &admin,
        "/api/profile/save_review_cycle",
        &[
            ("months", "12"),
            ("remind_before_days", "14"),
            ("remind_after_days", "7"),
        ],
    )
    .await;
    app.json(
        &admin,
        "/api/profile/set_fixed_date",
        &[("unit_id", &root), ("date", &in_a_year.to_string())],
    )
    .await;
    let cycle = app.json(&admin, "/api/profile/review_cycle", &[]).await;
    assert_eq!(cycle["fixed"][0]["date"], in_a_year.to_string(), "{cycle}");
    let fixed = app
        .json(&admin, "/api/profile/review_counts", &[("unit", &root)])
        .await;
    assert_eq!(
        fixed["overdue"], 0,
        "everyone's cycle ends in eleven months: {fixed}"
    );
    app.json(
        &admin,
        "/api/profile/remove_fixed_date",
        &[("unit_id", &root)],
    )
    .await;
    let cycle: Value = app.json(&admin, "/api/profile/review_cycle", &[]).await;
    assert!(cycle["fixed"].as_array().unwrap().is_empty());
}
