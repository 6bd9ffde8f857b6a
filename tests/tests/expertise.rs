//! The expertise directory end to end: only people who chose to be listed
//! are ever found (by the page's search and by HR's download), with agreed
//! levels (self-assessed ones only where the person chose to show them);
//! interests feed the integrative-leader pipeline, its drill-down, the
//! heatmap filter and the learning pathway. Bad input is named and changes
//! nothing.

use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use serde_json::Value;
use skillmap_tests::{ADMIN, HR, MANAGER, STAFF, TestServer};

fn start() -> TestServer {
    TestServer::start_with(&[("SKILLMAP_LOGIN_BURST", "100")])
}

/// The demo lists a third of its people and gives some interests; these
/// tests start from a trust where nobody has listed yet or said what they
/// want, so every person found is one the test put there.
async fn nobody_listed(conn: &DatabaseConnection) {
    for table in ["skill_interest", "directory_level", "directory_entry"] {
        conn.execute_unprepared(&format!("DELETE FROM {table}"))
            .await
            .unwrap();
    }
}

async fn number(conn: &DatabaseConnection, sql: &str) -> i64 {
    conn.query_one_raw(Statement::from_string(conn.get_database_backend(), sql))
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("a row from {sql}"))
        .try_get_by_index::<i64>(0)
        .unwrap()
}

/// The staff member assesses `code` at `level` and their manager agrees.
async fn agreed(
    app: &TestServer,
    staff: &reqwest::Client,
    manager: &reqwest::Client,
    person: &str,
    code: &str,
    level: &str,
) {
    let saved = app
        .json(
            staff,
            "/api/profile/save",
            &[
                ("skill_code", code),
                ("level", level),
                ("revision", "0"),
                ("evidence", "Done it for years"),
            ],
        )
        .await;
    let revision = saved["revision"].to_string();
    app.json(
        manager,
        "/api/profile/review",
        &[
            ("person_id", person),
            ("skill_code", code),
            ("revision", revision.as_str()),
            ("decision", "agree"),
        ],
    )
    .await;
}

async fn find(app: &TestServer, who: &reqwest::Client, form: &[(&str, &str)]) -> Value {
    app.json(who, "/api/expertise/find", form).await
}

fn ids(found: &Value) -> Vec<i64> {
    found["people"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_i64().unwrap())
        .collect()
}

/// Fields a refused request names, from its JSON error.
async fn refused_fields(res: reqwest::Response) -> (StatusCode, String) {
    let status = res.status();
    (status, res.text().await.unwrap())
}

#[tokio::test]
async fn only_people_who_opted_in_are_found_and_bad_input_changes_nothing() {
    let app = start();
    let conn = Database::connect(app.db.url()).await.unwrap();
    // The demo's listings exist before the test clears them: the demo
    // shows the directory working.
    assert!(number(&conn, "SELECT COUNT(*) FROM directory_entry").await > 10);
    nobody_listed(&conn).await;
    let staff = app.login_demo(STAFF).await;
    let manager = app.login_demo(MANAGER).await;
    let hr = app.login_demo(HR).await;
    let admin = app.login_demo(ADMIN).await;
    let me = app.whoami(&staff).await;
    let person = me["person_id"].to_string();
    let staff_id = me["person_id"].as_i64().unwrap();
    agreed(&app, &staff, &manager, &person, "DAT-VIS", "3").await;

    // Others have agreed levels in the skill too (the demo's people), but
    // nobody chose to be listed: nobody is found, by anyone.
    let others = number(
        &conn,
        "SELECT COUNT(*) FROM assessment WHERE skill_code = 'DAT-VIS' AND status = 'agreed' \
         AND agreed_level >= 1",
    )
    .await;
    assert!(others > 1, "the demo has other agreed levels ({others})");
    for who in [&staff, &manager, &hr] {
        let found = find(&app, who, &[("skills", "DAT-VIS"), ("level", "1")]).await;
        assert_eq!(found["matching"], 0, "{found}");
        assert_eq!(found["listed"], 0);
    }

    // The staff member lists themself: found with the agreed level, by name.
    app.json(
        &staff,
        "/api/expertise/save_listing",
        &[("listed", "yes"), ("contact", "Teams message first")],
    )
    .await;
    let found = find(&app, &manager, &[("skills", "DAT-VIS"), ("level", "3")]).await;
    assert_eq!(ids(&found), [staff_id], "{found}");
    let p = &found["people"][0];
    assert_eq!(p["contact"], "Teams message first");
    assert_eq!(p["levels"][0]["level"], 3);
    assert_eq!(p["levels"][0]["agreed"], true);
    assert_eq!(p["email"], STAFF);
    let found = find(&app, &manager, &[("skills", "DAT-VIS"), ("level", "4")]).await;
    assert_eq!(
        found["matching"], 0,
        "an Expert search does not find a Practitioner"
    );
    // A level agreed after listing is found at once.
    agreed(&app, &staff, &manager, &person, "DIG-SYS", "3").await;
    let found = find(
        &app,
        &manager,
        &[("skills", "DIG-SYS,DAT-VIS"), ("level", "3")],
    )
    .await;
    assert_eq!(ids(&found), [staff_id], "{found}");
    let found = find(
        &app,
        &manager,
        &[("skills", "DAT-VIS,DIG-FOUND"), ("level", "1")],
    )
    .await;
    assert_eq!(found["matching"], 0, "every skill searched must be met");

    // A self-assessed level counts only once they choose to show it.
    app.json(
        &staff,
        "/api/profile/save",
        &[
            ("skill_code", "DIG-FOUND"),
            ("level", "4"),
            ("revision", "0"),
            ("evidence", "Trained the ward"),
        ],
    )
    .await;
    let found = find(&app, &hr, &[("skills", "DIG-FOUND"), ("level", "4")]).await;
    assert_eq!(found["matching"], 0, "not agreed, not shown: {found}");
    app.json(
        &staff,
        "/api/expertise/save_listing",
        &[
            ("listed", "yes"),
            ("show_self_assessed", "on"),
            ("contact", "Teams message first"),
        ],
    )
    .await;
    let found = find(&app, &hr, &[("skills", "DIG-FOUND"), ("level", "4")]).await;
    assert_eq!(ids(&found), [staff_id]);
    assert_eq!(found["people"][0]["levels"][0]["agreed"], false);

    // Willing to help: only where the level is agreed at Practitioner.
    let before = number(
        &conn,
        &format!("SELECT COUNT(*) FROM skill_interest WHERE person_id = {staff_id}"),
    )
    .await;
    let (status, body) = refused_fields(
        app.call(
            &staff,
            "/api/expertise/save_interests",
            &[("help[DIG-FOUND]", "on"), ("develop[LEAD-BRIDGE]", "on")],
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body.contains("help[DIG-FOUND]"),
        "the field is named: {body}"
    );
    let (status, body) = refused_fields(
        app.call(
            &staff,
            "/api/expertise/save_interests",
            &[("develop[NOPE]", "on")],
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("develop[NOPE]"), "{body}");
    assert_eq!(
        number(
            &conn,
            &format!("SELECT COUNT(*) FROM skill_interest WHERE person_id = {staff_id}")
        )
        .await,
        before,
        "a refused save changes nothing"
    );
    app.json(
        &staff,
        "/api/expertise/save_interests",
        &[("help[DAT-VIS]", "on"), ("develop[LEAD-BRIDGE]", "on")],
    )
    .await;
    let mine = app.json(&staff, "/api/expertise/interests", &[]).await;
    let skill = |code: &str| {
        mine["skills"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["code"] == code)
            .unwrap()
            .clone()
    };
    assert_eq!(skill("DAT-VIS")["help"], true);
    assert_eq!(skill("DAT-VIS")["can_help"], true);
    assert_eq!(skill("LEAD-BRIDGE")["develop"], true);
    assert_eq!(skill("DIG-FOUND")["can_help"], false);
    let found = find(&app, &manager, &[("skills", "DAT-VIS"), ("help", "on")]).await;
    assert_eq!(ids(&found), [staff_id]);
    assert_eq!(found["people"][0]["levels"][0]["help"], true);
    let found = find(&app, &manager, &[("help", "on")]).await;
    assert_eq!(ids(&found), [staff_id], "help with any skill");

    // Searches that cannot be read are named.
    for (form, field) in [
        (vec![("level", "9")], "level"),
        (vec![("skills", "NOPE")], "NOPE"),
        (vec![("unit", "999999")], "unit"),
        (vec![("skills", "A,B,C,D,E,F")], "skill"),
    ] {
        let (status, body) =
            refused_fields(app.call(&hr, "/api/expertise/find", &form).await).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{form:?}: {body}");
        assert!(body.contains(field), "{form:?} names {field}: {body}");
    }
    let long = "x".repeat(201);
    let (status, body) = refused_fields(
        app.call(
            &staff,
            "/api/expertise/save_listing",
            &[("listed", "yes"), ("contact", &long)],
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("contact"), "{body}");
    let found = find(&app, &hr, &[("skills", "DAT-VIS")]).await;
    assert_eq!(
        found["people"][0]["contact"], "Teams message first",
        "unchanged"
    );

    // HR's download: the same people, nobody unlisted; it is recorded.
    let csv = hr
        .get(app.url("/find.csv?skill=DAT-VIS&level=1"))
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), StatusCode::OK);
    let csv = csv.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 2, "a header and the one listed person: {csv}");
    assert!(
        lines[1].contains(STAFF) && lines[1].contains("Teams message first"),
        "{csv}"
    );
    assert_eq!(
        number(
            &conn,
            "SELECT COUNT(*) FROM audit_event WHERE action = 'directory_exported'"
        )
        .await,
        1
    );
    let refused = staff
        .get(app.url("/find.csv?skill=DAT-VIS"))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);

    // A disabled account is not found; re-enabled, it is again.
    let account = me["account_id"].to_string();
    app.json(
        &admin,
        "/api/admin/set_account_disabled",
        &[("account_id", account.as_str()), ("disabled", "true")],
    )
    .await;
    assert_eq!(
        find(&app, &hr, &[("skills", "DAT-VIS")]).await["matching"],
        0
    );
    app.json(
        &admin,
        "/api/admin/set_account_disabled",
        &[("account_id", account.as_str()), ("disabled", "false")],
    )
    .await;
    assert_eq!(
        find(&app, &hr, &[("skills", "DAT-VIS")]).await["matching"],
        1
    );

    // Out of the directory: nothing of the listing is kept.
    let staff = app.login_demo(STAFF).await;
    app.json(&staff, "/api/expertise/save_listing", &[("listed", "no")])
        .await;
    assert_eq!(
        find(&app, &hr, &[("skills", "DAT-VIS")]).await["matching"],
        0
    );
    assert_eq!(
        number(&conn, "SELECT COUNT(*) FROM directory_entry").await,
        0
    );
}

#[tokio::test]
async fn interests_show_in_the_pipeline_the_heatmap_and_the_pathway() {
    let app = start();
    let conn = Database::connect(app.db.url()).await.unwrap();
    nobody_listed(&conn).await;
    let staff = app.login_demo(STAFF).await;
    let manager = app.login_demo(MANAGER).await;
    let hr = app.login_demo(HR).await;
    let me = app.whoami(&staff).await;
    let person = me["person_id"].to_string();
    let staff_id = me["person_id"].as_i64().unwrap();
    let manager_me = app.whoami(&manager).await;

    // One domain short of an integrative leader: Practitioner agreed in a
    // digital and a data skill, nothing in leadership yet.
    agreed(&app, &staff, &manager, &person, "DIG-SYS", "3").await;
    agreed(&app, &staff, &manager, &person, "DAT-VIS", "3").await;
    // The whole organisation (HR's view starts at the top).
    let unit = app.json(&hr, "/api/team/organisation", &[]).await["unit"]["id"].to_string();
    let people = |group: &'static str| {
        let (app, hr, unit) = (&app, &hr, unit.clone());
        async move {
            let list = app
                .json(
                    hr,
                    "/api/team/pipeline_people",
                    &[("unit", unit.as_str()), ("group", group)],
                )
                .await;
            list["people"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["id"].as_i64().unwrap())
                .collect::<Vec<_>>()
        }
    };
    assert!(people("near").await.contains(&staff_id));
    assert!(!people("interested").await.contains(&staff_id));
    let interested_count = || {
        let (app, hr, unit) = (&app, &hr, unit.clone());
        async move {
            let report = app
                .json(hr, "/api/team/organisation", &[("unit", unit.as_str())])
                .await;
            report["pipeline_groups"]
                .as_array()
                .unwrap()
                .iter()
                .map(|g| g["third"]["count"].as_u64().unwrap_or(0))
                .sum::<u64>()
        }
    };
    let before = interested_count().await;

    // Interested in leadership: the new group, and its drill-down.
    app.json(
        &staff,
        "/api/expertise/save_interests",
        &[("develop[LEAD-BRIDGE]", "on")],
    )
    .await;
    assert!(people("interested").await.contains(&staff_id));
    assert_eq!(
        interested_count().await,
        before + 1,
        "the organisation view counts them"
    );
    // The drill-down is for those who may see the unit's view, not staff.
    let res = app
        .call(
            &staff,
            "/api/team/pipeline_people",
            &[("unit", unit.as_str()), ("group", "interested")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = app
        .call(
            &hr,
            "/api/team/pipeline_people",
            &[("unit", unit.as_str()), ("group", "everyone")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // An interest in a domain they already lead does not count.
    app.json(
        &staff,
        "/api/expertise/save_interests",
        &[("develop[DAT-ANA]", "on")],
    )
    .await;
    assert!(!people("interested").await.contains(&staff_id));

    // The manager's heatmap, filtered to people interested in a skill.
    let map = |interest: Option<&'static str>| {
        let (app, manager, id) = (&app, &manager, manager_me["person_id"].to_string());
        async move {
            let mut form = vec![("manager", id.as_str())];
            if let Some(i) = interest {
                form.push(("interest", i));
            }
            app.json(manager, "/api/team/heatmap", &form).await
        }
    };
    let everyone = map(None).await["rows"].as_array().unwrap().len();
    let keen = map(Some("DAT-ANA")).await;
    let rows = keen["rows"].as_array().unwrap();
    assert!(everyone > 1);
    assert_eq!(rows.len(), 1, "{keen}");
    assert_eq!(rows[0]["person_id"].as_i64(), Some(staff_id));

    // The pathway gives an interest more weight and says why.
    let mine = app.json(&staff, "/api/learning/mine", &[]).await;
    let step_skill = mine["plan"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["gains"].as_array().unwrap().iter())
        .map(|g| g["skill_code"].as_str().unwrap().to_string())
        .next_back()
        .expect("a recommended step");
    app.json(
        &staff,
        "/api/expertise/save_interests",
        &[(format!("develop[{step_skill}]").as_str(), "on")],
    )
    .await;
    let mine = app.json(&staff, "/api/learning/mine", &[]).await;
    let gap = mine["gaps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["skill_code"] == step_skill.as_str())
        .unwrap();
    assert_eq!(gap["interested"], true);
    let reasons: Vec<&str> = mine["plan"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["reason"].as_str().unwrap())
        .collect();
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("You said you would like to develop this skill.")),
        "{reasons:#?}"
    );
}
