//! Staff data rights over HTTP on the real binary: a person downloads
//! everything held about them (zip of JSON and CSV, no password hash); HR
//! erases a leaver once their account is disabled and their employee number
//! is typed, leaving others' records and the audit trail intact but without
//! the erased personal data; long-disabled accounts are listed for review.

use std::io::Read;

use reqwest::StatusCode;
use serde_json::Value;
use skillmap_tests::*;

fn unzip(bytes: &[u8]) -> std::collections::BTreeMap<String, String> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a zip");
    let mut files = std::collections::BTreeMap::new();
    for i in 0..archive.len() {
        let mut f = archive.by_index(i).unwrap();
        let mut text = String::new();
        f.read_to_string(&mut text).unwrap();
        files.insert(f.name().unwrap().to_string(), text);
    }
    files
}

#[tokio::test]
async fn staff_download_their_data_and_hr_erase_a_leaver_without_breaking_the_trail() {
    // Everyone disabled before now is due for review.
    let app = TestServer::start_with(&[("SKILLMAP_RETENTION_MONTHS", "0")]);
    let staff = app.login_demo(STAFF).await;
    let manager = app.login_demo(MANAGER).await;
    let hr = app.login_demo(HR).await;
    let admin = app.login_demo(ADMIN).await;
    let me = app.whoami(&staff).await;
    let person = me["person_id"].to_string();
    let account = me["account_id"].to_string();
    let staff_name = me["display_name"].as_str().unwrap().to_string();
    let manager_me = app.whoami(&manager).await;

    // Things to find: a level, an endorsement received, one given.
    let res = app
        .call(
            &staff,
            "/api/profile/save",
            &[
                ("skill_code", "DIG-FOUND"),
                ("level", "3"),
                ("revision", "0"),
                ("evidence", "Ran the ward's e-rostering switch-over"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let person_id_str = manager_me["person_id"].to_string();
    app.json(
        &staff,
        "/api/recognition/give",
        &[
            ("person_id", person_id_str.as_str()),
            ("kind", "endorsement"),
            ("skill_code", "LEAD-CHANGE"),
            ("message", "Steady hands through the go-live."),
        ],
    )
    .await;
    app.json(
        &manager,
        "/api/recognition/give",
        &[
            ("person_id", person.as_str()),
            ("kind", "endorsement"),
            ("skill_code", "DIG-FOUND"),
            ("message", "Showed everyone the new rostering app."),
        ],
    )
    .await;

    // The download: only for the signed-in user, everything, no secrets.
    let anon = app
        .client()
        .get(app.url("/my-data/skillmap-my-data.zip"))
        .send()
        .await
        .unwrap();
    // Anyone signed out is sent to sign in first.
    assert_eq!(anon.status(), StatusCode::SEE_OTHER);
    let location = anon.headers()["location"].to_str().unwrap();
    assert!(location.starts_with("/login?next=/my-data"), "{location}");
    let res = staff
        .get(app.url("/my-data/skillmap-my-data.zip"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "application/zip");
    let files = unzip(&res.bytes().await.unwrap());
    assert!(files.contains_key("README.txt"), "{:?}", files.keys());
    let data: Value = serde_json::from_str(&files["skillmap-data.json"]).unwrap();
    let tables = &data["tables"];
    assert_eq!(tables["person"][0]["id"].to_string(), person);
    assert_eq!(tables["account"][0]["email"], STAFF);
    assert!(
        tables["account"][0].get("password_hash").is_none(),
        "no password hash"
    );
    assert!(
        !files["skillmap-data.json"].contains("$argon2"),
        "no hash anywhere"
    );
    let evidence = tables["assessments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["skill_code"] == "DIG-FOUND")
        .expect("the saved level");
    assert_eq!(
        evidence["evidence"],
        "Ran the ward's e-rostering switch-over"
    );
    assert!(!tables["assessment_history"].as_array().unwrap().is_empty());
    assert_eq!(
        tables["recognition_received"][0]["message"],
        "Showed everyone the new rostering app."
    );
    assert_eq!(
        tables["recognition_given"][0]["message"],
        "Steady hands through the go-live."
    );
    assert!(
        tables["audit_trail"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "sign_in")
    );
    let header = files["assessments.csv"]
        .lines()
        .next()
        .unwrap_or_default()
        .to_string();
    assert!(header.split(',').any(|c| c == "skill_code"), "{header}");
    assert!(files["recognition_received.csv"].contains("Showed everyone the new rostering app."));
    let page = app
        .json(&hr, "/api/audit/search", &[("action", "data_downloaded")])
        .await;
    assert_eq!(page["rows"][0]["actor_id"].to_string(), account);

    // Erasing: HR only; the employee number must be typed; the account must
    // be disabled first. Nothing changes until then.
    let preview = app
        .json(&hr, "/api/privacy/erase_preview", &[("person_id", &person)])
        .await;
    assert_eq!(preview["recognition"], 1);
    assert!(preview["assessments"].as_u64().unwrap() >= 1);
    let number = preview["employee_number"].as_str().unwrap().to_string();
    let res = app
        .call(
            &manager,
            "/api/privacy/erase",
            &[("person_id", &person), ("confirm", &number)],
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = app
        .call(
            &hr,
            "/api/privacy/erase",
            &[("person_id", &person), ("confirm", "E000")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("confirm"));
    let res = app
        .call(
            &hr,
            "/api/privacy/erase",
            &[("person_id", &person), ("confirm", &number)],
        )
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(res.text().await.unwrap().contains("Disable it first"));
    app.json(&hr, "/api/people/detail", &[("person_id", &person)])
        .await;

    app.json(
        &admin,
        "/api/admin/set_account_disabled",
        &[("account_id", &account), ("disabled", "true")],
    )
    .await;
    // Disabled before now, with SKILLMAP_RETENTION_MONTHS=0: due for review.
    let review = app.json(&hr, "/api/privacy/retention", &[]).await;
    let due: Vec<&Value> = review["rows"].as_array().unwrap().iter().collect();
    assert!(
        due.iter()
            .any(|r| r["email"] == STAFF && r["person_id"] == me["person_id"]),
        "{review}"
    );

    let res = app
        .call(
            &hr,
            "/api/privacy/erase",
            &[("person_id", &person), ("confirm", &number)],
        )
        .await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "{}",
        res.text().await.unwrap()
    );

    // Gone: the person, their account, their sign-in.
    let res = app
        .call(&hr, "/api/people/detail", &[("person_id", &person)])
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = app
        .call(
            &app.client(),
            "/api/auth/login",
            &[("email", STAFF), ("password", DEMO_PASSWORD)],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let review = app.json(&hr, "/api/privacy/retention", &[]).await;
    assert!(!review.to_string().contains(STAFF), "{review}");

    // Others' records stay, without the name.
    let mine = app
        .json(
            &manager,
            "/api/recognition/badges",
            &[("person_id", &person_id_str)],
        )
        .await;
    let received = mine["received"].as_array().unwrap();
    let from_staff = received
        .iter()
        .find(|r| r["message"] == "Steady hands through the go-live.")
        .expect("the endorsement stays");
    assert_eq!(from_staff["from"], "A former colleague");

    // The trail: the erasure by ids and counts; earlier events kept, the
    // actor shown as an erased account; no name or email of theirs in it.
    let erased = app
        .json(&hr, "/api/audit/search", &[("action", "person_erased")])
        .await;
    assert_eq!(erased["rows"][0]["target_id"].to_string(), person);
    let trail = hr
        .get(app.url("/admin/audit.csv"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        trail.contains(&format!("Erased account {account}")),
        "{trail}"
    );
    assert!(!trail.contains(STAFF), "no email in the trail");
    assert!(!trail.contains(&staff_name), "no name in the trail");
    assert!(trail.contains("sign_in,"), "earlier events are kept");
}

/// Columns that point at an account, and at a staff record.
const ACCOUNT_REFS: [&str; 2] = ["actor_id", "account_id"];
const PERSON_REFS: [&str; 7] = [
    "person_id",
    "reviewed_by",
    "actor_person_id",
    "given_by_id",
    "mentor_id",
    "line_manager_id",
    "awarded_by_id",
];

/// Fails if a row of `file` points at one of `accounts` or `people` (others'
/// ids) by any column that holds an account's or a staff record's id.
fn assert_no_ids_of(
    file: &str,
    row: &std::collections::BTreeMap<String, String>,
    accounts: &[i64],
    people: &[i64],
) {
    let kind = row.get("target_kind").map(String::as_str);
    for (key, value) in row {
        let Ok(id) = value.trim().parse::<i64>() else {
            continue;
        };
        let key = key.as_str();
        let theirs =
            if ACCOUNT_REFS.contains(&key) || (key == "target_id" && kind == Some("account")) {
                accounts
            } else if PERSON_REFS.contains(&key) || (key == "target_id" && kind == Some("person")) {
                people
            } else {
                continue;
            };
        assert!(
            !theirs.contains(&id),
            "{file}: {key} = {id} is someone else's id: {row:?}"
        );
    }
}

#[tokio::test]
async fn the_download_names_others_without_their_ids_or_addresses() {
    const STAFF_AT: &str = "10.9.0.1";
    const MANAGER_AT: &str = "10.9.0.2";
    const HR_AT: &str = "10.9.0.3";
    const ADMIN_AT: &str = "10.9.0.4";
    const STRANGER_AT: &str = "10.9.0.5";
    // One proxy in front, which the clients play: each comes from an
    // address of its own.
    let app = TestServer::start_with(&[
        ("SKILLMAP_TRUSTED_PROXIES", "1"),
        ("SKILLMAP_TRUST_FORWARDED_FOR", "true"),
    ]);
    let staff = login_from(&app, STAFF, DEMO_PASSWORD, STAFF_AT).await;
    let manager = login_from(&app, MANAGER, DEMO_PASSWORD, MANAGER_AT).await;
    let hr = login_from(&app, HR, DEMO_PASSWORD, HR_AT).await;
    let admin = login_from(&app, ADMIN, DEMO_PASSWORD, ADMIN_AT).await;
    let me = app.whoami(&staff).await;
    let person = me["person_id"].to_string();
    let account = me["account_id"].to_string();
    let mut their_accounts = Vec::new();
    let mut their_people = Vec::new();
    for client in [&manager, &hr, &admin] {
        let them = app.whoami(client).await;
        their_accounts.extend(them["account_id"].as_i64());
        their_people.extend(them["person_id"].as_i64());
    }
    let boss = app.whoami(&manager).await;
    let boss_person = boss["person_id"].to_string();
    let boss_name = boss["display_name"].as_str().unwrap().to_string();

    // The manager agrees a level and endorses; the staff member endorses
    // them back; HR gives an award; an administrator disables and
    // re-enables the account; someone elsewhere fails to sign in as them.
    agreed_and_endorsed(&app, &staff, &manager, &person).await;
    app.json(
        &staff,
        "/api/recognition/give",
        &[
            ("person_id", &boss_person),
            ("kind", "endorsement"),
            ("skill_code", "LEAD-CHANGE"),
            ("message", "Steady hands through the go-live."),
        ],
    )
    .await;
    let kinds = app.json(&hr, "/api/recognition/award_kinds", &[]).await;
    let kind = kinds[0]["id"].to_string();
    app.json(
        &hr,
        "/api/recognition/give",
        &[
            ("person_id", &person),
            ("kind", "award"),
            ("award_kind_id", &kind),
            ("citation", "Led the switch-over."),
        ],
    )
    .await;
    for disabled in ["true", "false"] {
        app.json(
            &admin,
            "/api/admin/set_account_disabled",
            &[("account_id", &account), ("disabled", disabled)],
        )
        .await;
    }
    // Disabling ended their session.
    let staff = login_from(&app, STAFF, DEMO_PASSWORD, STAFF_AT).await;
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        "x-forwarded-for",
        reqwest::header::HeaderValue::from_static(STRANGER_AT),
    );
    let stranger = reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .unwrap();
    let res = app
        .call(
            &stranger,
            "/api/auth/login",
            &[("email", STAFF), ("password", "not-their-password-at-all")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);

    let res = staff
        .get(app.url("/my-data/skillmap-my-data.zip"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let files = unzip(&res.bytes().await.unwrap());

    // Nowhere in any file: another account's address or email.
    for (name, text) in &files {
        for theirs in [MANAGER_AT, HR_AT, ADMIN_AT, STRANGER_AT, MANAGER, HR, ADMIN] {
            assert!(!text.contains(theirs), "{theirs} is in {name}:\n{text}");
        }
    }
    let json = &files["skillmap-data.json"];
    assert!(json.contains(STAFF_AT), "their own address is kept");
    assert!(json.contains(&boss_name), "others are named");

    // Nor another account's or staff record's id, in the JSON or the CSVs.
    let data: Value = serde_json::from_str(json).unwrap();
    for (table, rows) in data["tables"].as_object().unwrap() {
        for row in rows.as_array().unwrap() {
            let row: std::collections::BTreeMap<String, String> = row
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| {
                    let v = match v {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    (k.clone(), v)
                })
                .collect();
            assert_no_ids_of(table, &row, &their_accounts, &their_people);
        }
    }
    for (name, text) in files.iter().filter(|(n, _)| n.ends_with(".csv")) {
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let headers = reader.headers().unwrap().clone();
        for record in reader.records() {
            let record = record.unwrap();
            let row = headers
                .iter()
                .zip(record.iter())
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            assert_no_ids_of(name, &row, &their_accounts, &their_people);
        }
    }
    // What was done to them is still there, by name and role.
    let trail = data["tables"]["audit_trail"].as_array().unwrap();
    assert!(
        trail.iter().any(|e| e["action"] == "level_reviewed"
            && e["by"].as_str().is_some_and(|b| b.contains(&boss_name))),
        "{trail:?}"
    );
}
