//! Self-assessment and manager agreement over HTTP: the rules, the guards,
//! concurrency, and that bad input changes nothing.

use reqwest::StatusCode;
use serde_json::Value;
use skillmap_tests::*;

async fn profile(app: &TestServer, client: &reqwest::Client, person: Option<&str>) -> Value {
    let args: Vec<(&str, &str)> = person.map(|p| vec![("person_id", p)]).unwrap_or_default();
    let res = app.call(client, "/api/profile/get", &args).await;
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.unwrap()
}

fn item<'a>(profile: &'a Value, code: &str) -> &'a Value {
    profile["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["skill"]["code"] == code)
        .unwrap_or_else(|| panic!("{code} in profile"))
}

async fn save(
    app: &TestServer,
    client: &reqwest::Client,
    form: &[(&str, &str)],
) -> (StatusCode, Value) {
    let res = app.call(client, "/api/profile/save", form).await;
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn staff_assess_and_bad_input_changes_nothing() {
    let app = TestServer::start();
    let staff = app.login_demo(STAFF).await;
    let mine = profile(&app, &staff, None).await;
    // Required skills come first.
    let first = &mine["items"][0];
    assert!(first["requirement"].is_object(), "required skills first");
    let code = first["skill"]["code"].as_str().unwrap().to_string();

    let (status, saved) = save(
        &app,
        &staff,
        &[
            ("skill_code", &code),
            ("level", "2"),
            ("confidence", "3"),
            ("evidence", "Led the switch to e-rostering on our ward"),
            ("evidence_url", "https://learning.example.nhs.uk/cert/123"),
            ("revision", "0"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(saved["revision"], 1);
    assert_eq!(saved["status"], "Pending");

    // Each bad input gets its own clear error naming the field...
    for (form, field) in [
        (vec![("level", "7")], "level"),
        (
            vec![("level", "2"), ("evidence_url", "javascript:alert(1)")],
            "evidence_url",
        ),
        (
            vec![("level", "2"), ("evidence_url", "ftp://files.example")],
            "evidence_url",
        ),
    ] {
        let mut full = vec![("skill_code", code.as_str()), ("revision", "1")];
        full.extend(form);
        let (status, body) = save(&app, &staff, &full).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["Validation"][0]["field"], field, "{body}");
    }
    let long = "x".repeat(4001);
    let (status, body) = save(
        &app,
        &staff,
        &[
            ("skill_code", &code),
            ("level", "2"),
            ("evidence", &long),
            ("revision", "1"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["Validation"][0]["field"], "evidence");
    let (status, body) = save(
        &app,
        &staff,
        &[
            ("skill_code", "NOT-A-SKILL"),
            ("level", "2"),
            ("revision", "0"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["Validation"][0]["field"], "skill_code");
    // ...a stale revision is refused rather than overwriting...
    let (status, body) = save(
        &app,
        &staff,
        &[("skill_code", &code), ("level", "4"), ("revision", "0")],
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    // ...and none of it changed anything.
    let after = profile(&app, &staff, None).await;
    let a = &item(&after, &code)["assessment"];
    assert_eq!(a["self_level"], 2);
    assert_eq!(a["revision"], 1);
    assert_eq!(
        a["evidence_url"],
        "https://learning.example.nhs.uk/cert/123"
    );
    assert_eq!(after["editable"], true);
}

#[tokio::test]
async fn managers_agree_or_change_levels_and_history_keeps_it_all() {
    let app = TestServer::start();
    let staff = app.login_demo(STAFF).await;
    let manager = app.login_demo(MANAGER).await;
    let hr = app.login_demo(HR).await;
    let me = app.whoami(&staff).await;
    let person = me["person_id"].to_string();
    let mine = profile(&app, &staff, None).await;
    let codes: Vec<String> = mine["items"]
        .as_array()
        .unwrap()
        .iter()
        .take(2)
        .map(|i| i["skill"]["code"].as_str().unwrap().to_string())
        .collect();
    for code in &codes {
        let (status, _) = save(
            &app,
            &staff,
            &[("skill_code", code), ("level", "3"), ("revision", "0")],
        )
        .await;
        assert_eq!(status, StatusCode::OK);
    }
    // The manager sees them waiting.
    let pending: Value = app
        .call(&manager, "/api/profile/pending", &[])
        .await
        .json()
        .await
        .unwrap();
    let entry = pending
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["person"]["id"] == me["person_id"])
        .expect("staff member waiting for agreement");
    assert_eq!(entry["pending"], 2);
    let theirs = profile(&app, &manager, Some(&person)).await;
    assert_eq!(theirs["can_review"], true);
    assert_eq!(theirs["editable"], false);

    let review = |code: &str, extra: Vec<(&'static str, &'static str)>| {
        let mut form = vec![
            ("person_id", person.clone()),
            ("skill_code", code.to_string()),
            ("revision", "1".to_string()),
        ];
        form.extend(extra.into_iter().map(|(k, v)| (k, v.to_string())));
        form
    };
    let call = |client: reqwest::Client, form: Vec<(&'static str, String)>| {
        let app = &app;
        async move {
            let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let res = app.call(&client, "/api/profile/review", &form).await;
            let status = res.status();
            (status, res.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    // Only their managers agree: not themself, not HR.
    let (status, _) = call(
        staff.clone(),
        review(&codes[0], vec![("decision", "agree")]),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = call(hr.clone(), review(&codes[0], vec![("decision", "agree")])).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // A different level needs a reason.
    let (status, body) = call(
        manager.clone(),
        review(&codes[1], vec![("decision", "change"), ("level", "2")]),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["Validation"][0]["field"], "comment");

    let (status, agreed) = call(
        manager.clone(),
        review(&codes[0], vec![("decision", "agree")]),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{agreed}");
    assert_eq!(agreed["agreed_level"], 3);
    let (status, changed) = call(
        manager.clone(),
        review(
            &codes[1],
            vec![
                ("decision", "change"),
                ("level", "2"),
                ("comment", "Let's see it on the ward first"),
            ],
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(changed["agreed_level"], 2);
    // Reviewing from a stale page is refused.
    let (status, _) = call(
        manager.clone(),
        review(&codes[0], vec![("decision", "agree")]),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);

    // The staff member sees both outcomes and the comment.
    let mine = profile(&app, &staff, None).await;
    assert_eq!(item(&mine, &codes[0])["assessment"]["status"], "Agreed");
    let second = &item(&mine, &codes[1])["assessment"];
    assert_eq!(second["agreed_level"], 2);
    assert_eq!(second["manager_comment"], "Let's see it on the ward first");
    // History: who, when, from, to, comment; newest first.
    let history: Value = app
        .call(&staff, "/api/profile/history", &[])
        .await
        .json()
        .await
        .unwrap();
    let history = history.as_array().unwrap();
    assert_eq!(history.len(), 4, "{history:?}");
    assert_eq!(history[0]["kind"], "changed");
    assert_eq!(history[0]["to_level"], 2);
    assert_eq!(history[0]["comment"], "Let's see it on the ward first");
    assert_eq!(history[1]["kind"], "agreed");
    assert_eq!(history[3]["kind"], "self");
    assert_eq!(history[3]["actor"], me["display_name"]);
    // The reviewer is named, on the review's answer and on the profile; new
    // evidence at the same level keeps the agreement and who made it.
    let boss = app.whoami(&manager).await;
    assert_eq!(agreed["reviewed_by"], boss["display_name"]);
    assert_eq!(second["reviewed_by"], boss["display_name"]);
    let revision = item(&mine, &codes[0])["assessment"]["revision"].to_string();
    let (status, kept) = save(
        &app,
        &staff,
        &[
            ("skill_code", &codes[0]),
            ("level", "3"),
            ("evidence", "Ran the ward's e-rostering pilot"),
            ("revision", &revision),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{kept}");
    assert_eq!(kept["status"], "Agreed");
    assert_eq!(kept["reviewed_by"], boss["display_name"]);
    // HR may look, but the other manager may not.
    let res = app
        .call(&hr, "/api/profile/history", &[("person_id", &person)])
        .await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_framework_can_be_searched() {
    let app = TestServer::start();
    let staff = app.login_demo(STAFF).await;
    let all: Value = app
        .call(&staff, "/api/framework/current", &[])
        .await
        .json()
        .await
        .unwrap();
    let count = |f: &Value| -> usize {
        f["domains"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["skills"].as_array().unwrap().len())
            .sum()
    };
    assert_eq!(all["domains"].as_array().unwrap().len(), 3);
    assert_eq!(count(&all), 27);
    let found: Value = app
        .call(&staff, "/api/framework/current", &[("query", "caldicott")])
        .await
        .json()
        .await
        .unwrap();
    assert!(count(&found) >= 1 && count(&found) < 27, "{found}");
}
