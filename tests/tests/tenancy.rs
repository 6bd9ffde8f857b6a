//! Several organisations in one deployment (issue 26): HR and
//! administrators of one organisation see and change only their own. The
//! authorization matrix (authz.rs) checks every server function's status
//! for the other organisation's HR and administrator; this file checks what
//! the lists, downloads and pages *contain*, where a status cannot show a
//! leak, and that the other organisation's ids are "not found" through
//! the pages too.

use std::collections::{BTreeSet, HashMap};

use reqwest::StatusCode;
use serde_json::Value;
use skillmap_tests::*;

/// The `key` of every row of every list in a JSON document (a row's own
/// nested objects are not searched: a person's unit id is not a person id).
fn ids_under(v: &Value, key: &str, out: &mut BTreeSet<i64>) {
    match v {
        Value::Array(items) => {
            for item in items {
                let id = item
                    .get(key)
                    .and_then(|v| v.as_i64().or_else(|| v.as_str()?.parse().ok()));
                match id {
                    Some(n) => {
                        out.insert(n);
                    }
                    None => ids_under(item, key, out),
                }
            }
        }
        Value::Object(map) => map.values().for_each(|x| ids_under(x, key, out)),
        _ => {}
    }
}

#[tokio::test]
async fn each_organisation_sees_only_its_own() {
    let app = TestServer::start_system(2, 240, &[("SKILLMAP_LOGIN_BURST", "100")]);
    let hr = app.login_demo(HR).await;
    let admin = app.login_demo(ADMIN).await;
    let other_hr = app.login_demo(OTHER_HR).await;
    let other_admin = app.login_demo(OTHER_ADMIN).await;
    let staff = app.login_demo(STAFF).await;
    let other_staff = app.login_demo(OTHER_STAFF).await;

    // Both organisations are there, each with its own people.
    let json = async |client: &reqwest::Client, path: &str, args: &[(&str, &str)]| -> Value {
        let res = app.call(client, path, args).await;
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        res.json().await.unwrap()
    };
    let mut ours = BTreeSet::new();
    let mut theirs = BTreeSet::new();
    for q in ["a", "e", "o", "i"] {
        ids_under(
            &json(&hr, "/api/people/search", &[("query", q)]).await,
            "id",
            &mut ours,
        );
        ids_under(
            &json(&other_hr, "/api/people/search", &[("query", q)]).await,
            "id",
            &mut theirs,
        );
    }
    assert!(ours.len() > 20 && theirs.len() > 20, "{ours:?} {theirs:?}");
    assert!(
        ours.is_disjoint(&theirs),
        "people search crosses organisations: {:?}",
        ours.intersection(&theirs).collect::<Vec<_>>()
    );

    // Lists any signed-in user or HR reads: nothing of the other's.
    for (path, key) in [
        ("/api/team/managers", "code"),
        ("/api/roles/list", "id"),
        ("/api/recognition/award_kinds", "id"),
        ("/api/admin/accounts", "id"),
    ] {
        let (a, b) = if path == "/api/admin/accounts" {
            (&admin, &other_admin)
        } else {
            (&hr, &other_hr)
        };
        let args: &[(&str, &str)] = if path == "/api/admin/accounts" {
            &[("query", "")]
        } else {
            &[]
        };
        let mut mine = BTreeSet::new();
        let mut other = BTreeSet::new();
        ids_under(&json(a, path, args).await, key, &mut mine);
        ids_under(&json(b, path, args).await, key, &mut other);
        assert!(!mine.is_empty() && !other.is_empty(), "{path}");
        assert!(mine.is_disjoint(&other), "{path} crosses organisations");
    }

    // Someone to recognise, and people who know: only colleagues.
    let mut found = BTreeSet::new();
    for q in ["an", "ar", "er", "on", "el", "is"] {
        ids_under(
            &json(&other_staff, "/api/recognition/colleagues", &[("query", q)]).await,
            "id",
            &mut found,
        );
    }
    assert!(!found.is_empty());
    assert!(
        found.is_disjoint(&ours),
        "colleagues from another organisation"
    );
    let mut experts = BTreeSet::new();
    ids_under(
        &json(
            &other_staff,
            "/api/expertise/find",
            &[("skills", "DAT-VIS"), ("level", "1")],
        )
        .await["people"],
        "id",
        &mut experts,
    );
    assert!(
        experts.is_disjoint(&ours),
        "expertise from another organisation"
    );

    // The organisation view: each HR sees their own organisation's root.
    let mine = json(&hr, "/api/team/organisation", &[]).await;
    let other = json(&other_hr, "/api/team/organisation", &[]).await;
    assert_ne!(mine["unit"]["id"], other["unit"]["id"]);
    assert!(
        other["unit"]["name"].as_str().unwrap().contains("Eastvale"),
        "{}",
        other["unit"]
    );
    let first_unit = mine["unit"]["id"].to_string();
    let res = app
        .call(
            &other_hr,
            "/api/team/organisation",
            &[("unit", &first_unit)],
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    // Set-password links: the other organisation's HR gets none of ours.
    // (Every demo account has a password; an import would leave some
    // without. The download's rows name emails: none of the first's.)
    let csv = other_hr
        .post(app.url("/admin/import/links.csv"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!csv.contains("northfield"), "{csv}");

    // The audit trail: the staff member's doings are the first's to see.
    let res = app
        .call(
            &staff,
            "/api/profile/save",
            &[
                ("skill_code", "DIG-FOUND"),
                ("level", "2"),
                ("revision", "0"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let me = app.whoami(&staff).await;
    let staff_person = me["person_id"].to_string();
    // The staff member's sign-in and change, recorded with their email.
    let trail = |v: &Value| v.to_string().contains(&format!("\"{STAFF}\""));
    assert!(
        trail(&json(&hr, "/api/audit/search", &[]).await),
        "HR sees their organisation's trail"
    );
    assert!(
        !trail(&json(&other_hr, "/api/audit/search", &[]).await),
        "another organisation's HR sees the trail"
    );
    for (client, download) in [
        (&other_hr, "/admin/audit.csv"),
        (&other_hr, "/find.csv?skill=DAT-VIS&level=1"),
    ] {
        let text = client
            .get(app.url(download))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(!text.contains("northfield"), "{download}: {text}");
    }

    // Pages: the other organisation's people and units are not found.
    for page in [
        format!("/people/{staff_person}"),
        format!("/people/{staff_person}/skills"),
        format!("/people/{staff_person}/badges"),
        format!("/people/{staff_person}/erase"),
        format!("/organisation?unit={first_unit}"),
        format!("/recognise/{staff_person}"),
    ] {
        for client in [&other_hr, &other_admin] {
            let res = client.get(app.url(&page)).send().await.unwrap();
            let status = res.status();
            let body = res.text().await.unwrap();
            assert_eq!(status, StatusCode::NOT_FOUND, "{page}");
            assert!(
                !body.contains(me["display_name"].as_str().unwrap()),
                "{page}"
            );
        }
    }
}

/// The small-number rules hold against subtraction (issue 26): in every
/// view the system's workforce lead can open (the system, each
/// organisation, each unit below), what the hidden rows of a table hold
/// together (the shown total less the shown rows) is none or at least 5
/// people, for the head counts of every table and each skill's counts;
/// a unit hidden in its parent's view stays hidden when opened, and one
/// shown there shows the same total. HR of the first organisation (who
/// sees everything of it) confirms that some rows were hidden only
/// because a smaller one could otherwise be worked out.
#[tokio::test]
async fn no_view_of_the_system_gives_a_small_group_away_by_subtraction() {
    let app = TestServer::start_system(3, 300, &[("SKILLMAP_LOGIN_BURST", "100")]);
    let lead = app.login_demo(LEAD).await;
    let hr = app.login_demo(HR).await;
    let every_hr = [
        app.login_demo(HR).await,
        app.login_demo(OTHER_HR).await,
        app.login_demo("hr@millbrook.skillmap.example").await,
    ];
    let me = app.whoami(&lead).await;
    assert_eq!(me["role"], "lead");
    assert!(me["organisation_id"].is_null() && me["person_id"].is_null());

    let view = async |client: &reqwest::Client, unit: Option<i64>| -> Value {
        let unit = unit.map(|u| u.to_string());
        let args: Vec<(&str, &str)> = unit.iter().map(|u| ("unit", u.as_str())).collect();
        let res = app.call(client, "/api/team/organisation", &args).await;
        assert_eq!(res.status(), StatusCode::OK, "{unit:?}");
        res.json().await.unwrap()
    };
    let n = |v: &Value| v.as_u64().unwrap();
    let ok = |r: u64| r == 0 || r >= 5;

    let system = view(&lead, None).await;
    assert_eq!(system["system"], true);
    assert_eq!(system["sees_all"], false);
    assert_eq!(system["names"], false);
    assert_eq!(
        system["children"].as_array().unwrap().len(),
        3,
        "one row per organisation"
    );

    // Every view, breadth first from the system.
    let mut queue = vec![(None, system)];
    let mut seen = 0;
    let mut secondary_checked = 0;
    let mut groups_checked = 0;
    let mut views: HashMap<i64, Value> = HashMap::new();
    while let Some((parent_row, report)) = queue.pop() {
        seen += 1;
        let total = &report["total"];
        let unit = report["unit"]["id"].as_i64().unwrap();
        // Consistent with the parent's view: hidden there, hidden here;
        // shown there, the same head count here.
        if let Some(row) = parent_row {
            let row: &Value = &row;
            assert_eq!(total["hidden"], row["hidden"], "unit {unit}");
            assert_eq!(total["people"], row["people"], "unit {unit}");
        }
        if total["hidden"] == true {
            // Nothing of a withheld unit is shown.
            for child in report["children"].as_array().unwrap() {
                assert_eq!(child["hidden"], true, "under withheld {unit}");
            }
            for table in ["pipeline_units", "inclusion_units", "inclusion_bands"] {
                for row in report[table].as_array().unwrap() {
                    assert_eq!(n(&row["people"]), 0, "{table} under withheld {unit}");
                }
            }
            assert_eq!(
                report["reviews"]["hidden"], true,
                "reviews of withheld {unit}"
            );
        } else {
            let people = n(&total["people"]);
            // The unit table, its head counts and each skill's counts.
            let children = report["children"].as_array().unwrap();
            let shown: u64 = children.iter().map(|c| n(&c["people"])).sum();
            // The own members, where the pipeline table shows them.
            let own: u64 = report["pipeline_units"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|r| r["label"].as_str().unwrap().ends_with("(its own staff)"))
                .map(|r| n(&r["people"]))
                .sum();
            assert!(
                ok(people - shown - own),
                "unit {unit}: {people} - {shown} - {own}"
            );
            for (j, cell) in total["cells"].as_array().unwrap().iter().enumerate() {
                if cell["suppressed"] == true {
                    continue;
                }
                let visible = children.iter().map(|c| &c["cells"][j]);
                let assessed: u64 = visible.clone().map(|c| n(&c["assessed"])).sum();
                let required: u64 = visible.map(|c| n(&c["meeting"]["of"])).sum();
                assert!(ok(n(&cell["assessed"]) - assessed), "unit {unit} skill {j}");
                assert!(
                    ok(n(&cell["meeting"]["of"]) - required),
                    "unit {unit} skill {j}"
                );
            }
            // The pipeline and inclusion tables: each adds up to everyone.
            for table in [
                "pipeline_units",
                "pipeline_groups",
                "inclusion_units",
                "inclusion_bands",
                "inclusion_groups",
            ] {
                let rows = report[table].as_array().unwrap();
                let shown: u64 = rows.iter().map(|r| n(&r["people"])).sum();
                assert!(
                    ok(people - shown),
                    "unit {unit} {table}: {people} - {shown}"
                );
            }
            for child in children {
                let id = child["unit"]["id"].as_i64().unwrap();
                queue.push((Some(child.clone()), view(&lead, Some(id)).await));
            }
        }
        // Rows the lead does not see that HR (first organisation) does,
        // with 5 or more people: hidden only for the subtraction.
        if unit != 0 {
            let hr_view = app
                .call(
                    &hr,
                    "/api/team/organisation",
                    &[("unit", &unit.to_string())],
                )
                .await;
            if hr_view.status() == StatusCode::OK {
                let hr_view: Value = hr_view.json().await.unwrap();
                for (mine, truth) in report["children"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .zip(hr_view["children"].as_array().unwrap())
                {
                    if mine["hidden"] == true && n(&truth["people"]) >= 5 {
                        secondary_checked += 1;
                    }
                }
            }
            // And groups (bands, staff groups, clinical or not), seen by
            // the HR of whichever organisation the unit is in.
            for hr in &every_hr {
                let truth = app
                    .call(hr, "/api/team/organisation", &[("unit", &unit.to_string())])
                    .await;
                if truth.status() != StatusCode::OK || report["total"]["hidden"] == true {
                    continue;
                }
                let truth: Value = truth.json().await.unwrap();
                for (table, row_share) in [
                    ("pipeline_groups", "first"),
                    ("inclusion_bands", "second"),
                    ("inclusion_groups", "second"),
                ] {
                    for (mine, truth) in report[table]
                        .as_array()
                        .unwrap()
                        .iter()
                        .zip(truth[table].as_array().unwrap())
                    {
                        if mine[row_share]["suppressed"] == true && n(&truth["people"]) >= 5 {
                            groups_checked += 1;
                        }
                    }
                }
            }
        }
        views.insert(unit, report);
    }
    assert!(seen > 50, "only {seen} views");
    assert!(
        secondary_checked > 0,
        "no row was hidden because of another: the demo gives the rule nothing to do"
    );
    assert!(
        groups_checked > 0,
        "no group of 5 or more was hidden: the demo gives the group rules nothing to do"
    );

    // Across views: a group's row in a unit's view, less the same group's
    // rows in its children's views, is that group among the unit's own
    // members and hidden children. It is none or at least 5 for each group
    // shown and for the hidden groups together, and so is its count of
    // those assessed (behind the share below Working) where that is shown.
    let mut across = 0;
    for (unit, report) in &views {
        if report["total"]["hidden"] == true {
            continue;
        }
        let kids: Vec<&Value> = report["children"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| &views[&c["unit"]["id"].as_i64().unwrap()])
            .collect();
        let signed = |v: &Value| v.as_i64().unwrap();
        let fine = |r: i64| r == 0 || r >= 5;
        // The pipeline's rows show shares of people alone; a hidden row
        // hides every share.
        for (table, row_share) in [
            ("pipeline_groups", "first"),
            ("inclusion_bands", "second"),
            ("inclusion_groups", "second"),
        ] {
            let shown = |r: &Value| r[row_share]["suppressed"] == false;
            let first_shown = |r: &Value| {
                table != "pipeline_groups" && shown(r) && r["first"]["suppressed"] == false
            };
            let theirs = |label: &str, figure: &dyn Fn(&Value) -> Option<i64>| -> i64 {
                kids.iter()
                    .flat_map(|k| k[table].as_array().unwrap())
                    .filter(|r| r["label"] == label)
                    .filter_map(figure)
                    .sum()
            };
            let mut beyond = signed(&report["total"]["people"]);
            for row in report[table].as_array().unwrap() {
                let label = row["label"].as_str().unwrap();
                let people = theirs(label, &|r| shown(r).then(|| signed(&r["people"])));
                if shown(row) {
                    beyond -= signed(&row["people"]);
                    let rest = signed(&row["people"]) - people;
                    assert!(fine(rest), "unit {unit} {table} {label}: {rest} people");
                    across += 1;
                    if first_shown(row) {
                        let assessed = theirs(label, &|r| {
                            first_shown(r).then(|| signed(&r["first"]["of"]))
                        });
                        let rest = signed(&row["first"]["of"]) - assessed;
                        assert!(fine(rest), "unit {unit} {table} {label}: {rest} assessed");
                    }
                } else {
                    beyond -= people;
                }
            }
            assert!(
                fine(beyond),
                "unit {unit} {table}: the hidden rows give {beyond}"
            );
        }
    }
    assert!(across > 50, "only {across} groups compared across views");

    // The lead sees no one: not a person, not the people behind a figure,
    // not the expertise directory, not an organisation's lists.
    for (path, args) in [
        (
            "/api/team/pipeline_people",
            vec![("unit", "1"), ("group", "leaders")],
        ),
        ("/api/expertise/find", vec![]),
        ("/api/people/search", vec![("query", "a")]),
        ("/api/roles/list", vec![]),
    ] {
        let res = app.call(&lead, path, &args).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{path}");
    }
}

/// The skills review cycle is each organisation's (issue 26): before, one
/// rule held for the whole deployment, and the first organisation's
/// administrator moved every other trust's due dates and reminders. Now
/// each administrator's page shows and saves their own organisation's;
/// the lead's system view counts the people of one with reviews off
/// apart.
#[tokio::test]
async fn each_organisation_keeps_its_own_review_cycle() {
    let app = TestServer::start_system(2, 120, &[("SKILLMAP_LOGIN_BURST", "100")]);
    let admin = app.login_demo(ADMIN).await;
    let other_admin = app.login_demo(OTHER_ADMIN).await;
    let staff = app.login_demo(STAFF).await;
    let other_staff = app.login_demo(OTHER_STAFF).await;
    let lead = app.login_demo(LEAD).await;
    // Both have a profile, so a cycle has started for each.
    for client in [&staff, &other_staff] {
        let mine = app.json(client, "/api/profile/get", &[]).await;
        let revision = mine["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["skill"]["code"] == "DIG-FOUND")
            .and_then(|i| i["assessment"]["revision"].as_i64())
            .unwrap_or(0)
            .to_string();
        app.json(
            client,
            "/api/profile/save",
            &[
                ("skill_code", "DIG-FOUND"),
                ("level", "3"),
                ("revision", &revision),
            ],
        )
        .await;
    }
    let due = async |client: &reqwest::Client| -> Value {
        app.json(client, "/api/profile/review_status", &[]).await["due"].clone()
    };
    let theirs = due(&other_staff).await;
    let ours_before = due(&staff).await;
    assert!(theirs["date"].is_string() && ours_before["date"].is_string());

    app.json(
        &admin,
        "/api/profile/save_review_cycle",
        &[
            ("months", "6"),
            ("remind_before_days", "10"),
            ("remind_after_days", "3"),
        ],
    )
    .await;
    let ours = due(&staff).await;
    assert_ne!(ours["date"], ours_before["date"], "twelve months to six");
    assert_eq!(
        due(&other_staff).await,
        theirs,
        "another organisation's rule moved this one's due date"
    );
    let page = async |client: &reqwest::Client| -> Value {
        app.json(client, "/api/profile/review_cycle", &[]).await
    };
    let first_page = page(&admin).await;
    let other = page(&other_admin).await;
    assert_eq!(first_page["settings"]["months"], 6);
    assert_eq!(other["settings"]["months"], 12, "{other}");
    assert_eq!(other["settings"]["remind_before_days"], 14, "{other}");
    assert_ne!(first_page["organisation"], other["organisation"]);
    assert!(
        other["organisation"].as_str().unwrap().contains("Eastvale"),
        "{other}"
    );

    // The other organisation turns its reviews off: its own view says off,
    // the first's dates stay, the system view counts its people apart.
    app.json(
        &other_admin,
        "/api/profile/save_review_cycle",
        &[
            ("months", "0"),
            ("remind_before_days", "0"),
            ("remind_after_days", "0"),
        ],
    )
    .await;
    assert_eq!(due(&other_staff).await["state"], "Off");
    assert_eq!(due(&staff).await, ours);
    assert_eq!(page(&admin).await["settings"]["months"], 6);
    let other_hr = app.login_demo(OTHER_HR).await;
    let view = app.json(&other_hr, "/api/team/organisation", &[]).await;
    assert_eq!(view["reviews"]["off"], true, "{}", view["reviews"]);
    let system = app.json(&lead, "/api/team/organisation", &[]).await["reviews"].clone();
    assert_eq!(system["off"], false, "{system}");
    let total = system["total"].as_u64().unwrap();
    let apart = system["cycles_off"].as_u64().unwrap();
    assert!(total > 20 && apart > 20, "{system}");
    let hr = app.login_demo(HR).await;
    let first = app.json(&hr, "/api/team/organisation", &[]).await["reviews"].clone();
    assert_eq!(
        (first["total"].as_u64(), first["cycles_off"].as_u64()),
        (Some(total), Some(0)),
        "the system's counted people are the first organisation's"
    );
}
