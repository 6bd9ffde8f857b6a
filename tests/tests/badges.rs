//! Badges over HTTP: a manager agrees a Practitioner level, the holder
//! downloads the signed Open Badges 3.0 credential, and it is checked by an
//! Ed25519 implementation independent of the server's (ed25519-dalek here,
//! ring there), through the public key its `kid` points at; then the
//! server's own verification: valid, tampered, email check, revoked.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::{Signature, VerifyingKey};
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use serde_json::Value;
use skillmap_tests::*;

fn decode(part: &str) -> Value {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

#[tokio::test]
async fn an_agreed_practitioner_level_becomes_a_credential_anyone_can_verify() {
    let app = TestServer::start();
    let staff = app.login_demo(STAFF).await;
    let manager = app.login_demo(MANAGER).await;
    let me = app.whoami(&staff).await;
    let person = me["person_id"].to_string();

    // Working earns nothing; Practitioner, once agreed, earns a badge.
    for (skill, level) in [("DAT-ANA", "2"), ("DAT-VIS", "3")] {
        app.json(
            &staff,
            "/api/profile/save",
            &[("skill_code", skill), ("level", level), ("revision", "0")],
        )
        .await;
        app.json(
            &manager,
            "/api/profile/review",
            &[
                ("person_id", &person),
                ("skill_code", skill),
                ("decision", "agree"),
                ("revision", "1"),
            ],
        )
        .await;
    }
    let mine = app.json(&staff, "/api/recognition/badges", &[]).await;
    let badges = mine["badges"].as_array().unwrap();
    assert_eq!(badges.len(), 1, "{mine}");
    assert_eq!(badges[0]["skill_code"], "DAT-VIS");
    assert_eq!(badges[0]["level"], 3);
    let id = badges[0]["id"].to_string();

    // Only the holder downloads it.
    let url = app.url(&format!("/badges/{id}/credential.jwt"));
    let res = manager.get(&url).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = staff.get(&url).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("attachment")
    );
    let jwt = res.text().await.unwrap();
    let parts: Vec<&str> = jwt.split('.').collect();
    assert_eq!(parts.len(), 3);

    // Independently: the header's kid is a public URL with the key.
    let header = decode(parts[0]);
    assert_eq!(header["alg"], "EdDSA");
    assert_eq!(header["typ"], "JWT");
    let anonymous = app.client();
    let jwk: Value = anonymous
        .get(header["kid"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (jwk["kty"].as_str(), jwk["crv"].as_str()),
        (Some("OKP"), Some("Ed25519"))
    );
    assert!(jwk.get("d").is_none(), "never the private key");
    let x: [u8; 32] = URL_SAFE_NO_PAD
        .decode(jwk["x"].as_str().unwrap())
        .unwrap()
        .try_into()
        .unwrap();
    let key = VerifyingKey::from_bytes(&x).unwrap();
    let signature = Signature::from_slice(&URL_SAFE_NO_PAD.decode(parts[2]).unwrap()).unwrap();
    let input = format!("{}.{}", parts[0], parts[1]);
    key.verify_strict(input.as_bytes(), &signature)
        .expect("ed25519-dalek accepts the server's signature");

    // The payload is the OpenBadgeCredential with its JWT claims.
    let c = decode(parts[1]);
    assert_eq!(c["@context"][0], "https://www.w3.org/ns/credentials/v2");
    assert_eq!(
        c["@context"][1],
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
    );
    assert!(
        c["type"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t == "OpenBadgeCredential")
    );
    assert_eq!(c["iss"], c["issuer"]["id"]);
    assert_eq!(c["jti"], c["id"]);
    let valid_from = chrono_free_seconds(c["validFrom"].as_str().unwrap());
    assert_eq!(c["nbf"].as_i64(), Some(valid_from));
    let a = &c["credentialSubject"]["achievement"];
    assert_eq!(a["alignment"][0]["targetCode"], "DAT-VIS");
    assert_eq!(a["achievementType"], "Competency");
    // The organisation's own issuer profile publishes the same key.
    assert_eq!(c["iss"], app.url("/issuer/RNF"));
    let profile: Value = anonymous
        .get(c["iss"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(profile["id"], c["issuer"]["id"]);
    assert_eq!(
        profile["verificationMethod"][0]["publicKeyJwk"]["x"],
        jwk["x"]
    );

    // A changed credential fails both checks.
    let forged = decode(parts[1])
        .to_string()
        .replace("Practitioner", "Expert");
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(forged),
        parts[2]
    );
    let t: Vec<&str> = tampered.split('.').collect();
    assert!(
        key.verify_strict(format!("{}.{}", t[0], t[1]).as_bytes(), &signature)
            .is_err()
    );

    // The server's verification, for anyone: valid, and it names the holder.
    let detail = app
        .json(&staff, "/api/people/detail", &[("person_id", &person)])
        .await;
    let email = detail["email"].as_str().unwrap_or(STAFF).to_string();
    let v = app
        .json(
            &anonymous,
            "/api/recognition/verify",
            &[("credential", &jwt), ("email", &email)],
        )
        .await;
    assert_eq!(v["outcome"], "Valid", "{v}");
    assert_eq!(v["email_matches"], true);
    let v = app
        .json(
            &anonymous,
            "/api/recognition/verify",
            &[("credential", &tampered)],
        )
        .await;
    assert_eq!(v["outcome"], "Invalid");

    // Hidden from the manager; HR revokes; verification says so.
    app.json(
        &staff,
        "/api/recognition/hide",
        &[("badge_id", &id), ("hidden", "true")],
    )
    .await;
    let seen = app
        .json(
            &manager,
            "/api/recognition/badges",
            &[("person_id", &person)],
        )
        .await;
    assert!(seen["badges"].as_array().unwrap().is_empty());
    let hr = app.login_demo(HR).await;
    let res = app
        .call(
            &hr,
            "/api/recognition/revoke",
            &[("badge_id", &id), ("reason", "")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    app.json(
        &hr,
        "/api/recognition/revoke",
        &[("badge_id", &id), ("reason", "Agreed in error")],
    )
    .await;
    let v = app
        .json(
            &anonymous,
            "/api/recognition/verify",
            &[("credential", &jwt)],
        )
        .await;
    assert_eq!(v["outcome"], "Revoked");
    assert!(v["message"].as_str().unwrap().contains("Agreed in error"));
    let res = staff.get(&url).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::CONFLICT);

    // The verification page works signed out. Its form posts, so the
    // credential and email never land in a URL; the browser comes back to
    // the page with the result the server sealed.
    let res = anonymous
        .post(app.url("/verify"))
        .header("sec-fetch-site", "same-origin")
        .form(&[("credential", jwt.as_str()), ("email", email.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let to = res.headers()["location"].to_str().unwrap().to_string();
    assert!(to.starts_with("/verify?"), "{to}");
    assert!(
        !to.contains(&jwt[..24]) && !to.contains('@') && !to.contains("%40"),
        "no credential or email in {to}"
    );
    let page = anonymous.get(app.url(&to)).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let text = page.text().await.unwrap();
    assert!(text.contains("Revoked"), "{text}");
    assert!(text.contains("Matches the holder"), "the email was checked");
    // A credential in the URL is no longer read; a result someone else
    // wrote (the sealed one, changed) is not shown.
    let page = anonymous
        .get(app.url("/verify"))
        .query(&[("credential", jwt.as_str())])
        .send()
        .await
        .unwrap();
    assert!(
        !page
            .text()
            .await
            .unwrap()
            .contains("data-testid=\"verification\"")
    );
    let forged_result = URL_SAFE_NO_PAD.encode(
        r#"{"outcome":"Valid","message":"Genuine","issuer":"NHS","achievement":"Expert","issued":null,"identity":null,"email_matches":null}"#,
    );
    let forged = to
        .split(['?', '&', '#'])
        .map(|p| match p.split_once('=') {
            Some(("v", _)) => format!("v={forged_result}"),
            _ => p.to_string(),
        })
        .filter(|p| p.contains('='))
        .collect::<Vec<_>>()
        .join("&");
    let page = anonymous
        .get(app.url(&format!("/verify?{forged}")))
        .send()
        .await
        .unwrap();
    assert!(
        !page
            .text()
            .await
            .unwrap()
            .contains("data-testid=\"verification\"")
    );

    // So does uploading the file, signed out; an empty or oversized file is
    // named, not checked.
    let upload = |file: Vec<u8>| {
        let form = reqwest::multipart::Form::new()
            .part(
                "file",
                reqwest::multipart::Part::bytes(file).file_name("skillmap-badge.jwt"),
            )
            .text("email", "");
        anonymous
            .post(app.url("/verify/upload"))
            .header("sec-fetch-site", "same-origin")
            .multipart(form)
            .send()
    };
    let page_after = async |file: Vec<u8>| {
        let res = upload(file).await.unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        let to = res.headers()["location"].to_str().unwrap().to_string();
        assert!(to.starts_with("/verify?"), "{to}");
        let page = anonymous.get(app.url(&to)).send().await.unwrap();
        assert_eq!(page.status(), StatusCode::OK);
        page.text().await.unwrap()
    };
    assert!(
        page_after(jwt.clone().into_bytes())
            .await
            .contains("Revoked")
    );
    assert!(
        page_after(Vec::new())
            .await
            .contains("Choose a credential file")
    );
    assert!(page_after(vec![b'a'; 70 * 1024]).await.contains("too big"));
}

/// Seconds since 1970 of an RFC 3339 UTC time like 2026-11-26T10:00:00Z,
/// computed here without a date library.
fn chrono_free_seconds(t: &str) -> i64 {
    let n = |a: usize, b: usize| t[a..b].parse::<i64>().unwrap();
    let (y, m, d) = (n(0, 4), n(5, 7), n(8, 10));
    let (hh, mm, ss) = (n(11, 13), n(14, 16), n(17, 19));
    // Days from civil (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    days * 86_400 + hh * 3600 + mm * 60 + ss
}

/// One value from a query that returns one row.
async fn one<T: sea_orm::TryGetable>(conn: &DatabaseConnection, sql: &str) -> T {
    conn.query_one_raw(Statement::from_string(conn.get_database_backend(), sql))
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("a row from {sql}"))
        .try_get_by_index::<T>(0)
        .unwrap()
}

/// The holder's credentials (`ids`), each payload as JSON text.
async fn payloads(app: &TestServer, holder: &reqwest::Client, ids: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for id in ids {
        let res = holder
            .get(app.url(&format!("/badges/{id}/credential.jwt")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "badge {id}");
        let jwt = res.text().await.unwrap();
        let payload = jwt.split('.').nth(1).expect("a JWT");
        out.push(decode(payload).to_string());
    }
    out
}

#[tokio::test]
async fn erasing_a_manager_leaves_no_trace_of_them_in_the_holders_credentials_or_pathway() {
    const MANAGER_AT: &str = "10.8.0.2";
    const STAFF_AT: &str = "10.8.0.1";
    const GM_PASSWORD: &str = "general-manager-password-2026";
    // One proxy in front, which the clients play: each comes from an
    // address of its own.
    let app = TestServer::start_with(&[
        ("SKILLMAP_TRUSTED_PROXIES", "1"),
        ("SKILLMAP_TRUST_FORWARDED_FOR", "true"),
    ]);
    let staff = login_from(&app, STAFF, DEMO_PASSWORD, STAFF_AT).await;
    let manager = login_from(&app, MANAGER, DEMO_PASSWORD, MANAGER_AT).await;
    let hr = login_from(&app, HR, DEMO_PASSWORD, "10.8.0.3").await;
    let admin = login_from(&app, ADMIN, DEMO_PASSWORD, "10.8.0.4").await;
    let me = app.whoami(&staff).await;
    let person = me["person_id"].to_string();
    let boss = app.whoami(&manager).await;
    let boss_person = boss["person_id"].to_string();
    let boss_account = boss["account_id"].to_string();
    let boss_name = boss["display_name"].as_str().unwrap().to_string();
    let conn = Database::connect(app.db.url()).await.unwrap();

    // The manager agrees the staff member's Practitioner level (a badge)
    // and endorses them.
    agreed_and_endorsed(&app, &staff, &manager, &person).await;

    // The manager mentors them in Data analysis: an Expert level agreed by
    // the manager's own line manager (signed in for this), and an offer.
    let number: String = one(
        &conn,
        &format!(
            "SELECT m.employee_number FROM person p JOIN person m ON m.id = p.line_manager_id \
             WHERE p.id = {boss_person}"
        ),
    )
    .await;
    let (ok, out) = cli(
        &app.db,
        &[
            "create-user",
            "--email",
            "gm@skillmap.example",
            "--role",
            "manager",
            "--employee-number",
            &number,
        ],
        &[("SKILLMAP_PASSWORD", GM_PASSWORD)],
    );
    assert!(ok, "create-user: {out}");
    let gm = login_from(&app, "gm@skillmap.example", GM_PASSWORD, "10.8.0.5").await;
    let profile = app.json(&manager, "/api/profile/get", &[]).await;
    let revision = profile["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["skill"]["code"] == "DAT-ANA")
        .and_then(|i| i["assessment"]["revision"].as_i64())
        .unwrap_or(0);
    let saved = app
        .json(
            &manager,
            "/api/profile/save",
            &[
                ("skill_code", "DAT-ANA"),
                ("level", "4"),
                ("revision", &revision.to_string()),
            ],
        )
        .await;
    app.json(
        &gm,
        "/api/profile/review",
        &[
            ("person_id", &boss_person),
            ("skill_code", "DAT-ANA"),
            ("decision", "agree"),
            ("revision", &saved["revision"].to_string()),
        ],
    )
    .await;
    app.json(&manager, "/api/learning/mentoring", &[("offer", "on")])
        .await;
    app.json(
        &staff,
        "/api/learning/add_mentor",
        &[("mentor_id", &boss_person), ("skill_code", "DAT-ANA")],
    )
    .await;
    let mine = app.json(&staff, "/api/learning/mine", &[]).await;
    let steps = mine["pathway"]["steps"].as_array().unwrap().clone();
    assert_eq!(steps.len(), 1, "{mine}");
    assert!(
        steps[0]["title"].as_str().unwrap().contains(&boss_name),
        "the mentor is named while they are here: {mine}"
    );
    // Done: the whole pathway is, which earns a badge too.
    app.json(
        &staff,
        "/api/learning/step",
        &[("step_id", &steps[0]["id"].to_string()), ("action", "done")],
    )
    .await;
    let badges = app.json(&staff, "/api/recognition/badges", &[]).await;
    let ids: Vec<String> = badges["badges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["id"].to_string())
        .collect();
    assert_eq!(ids.len(), 2, "a level and a pathway: {badges}");
    let before = payloads(&app, &staff, &ids).await;
    assert!(
        before.iter().any(|p| p.contains(&boss_name)),
        "the level's credential names who agreed it: {before:?}"
    );
    let from_boss = format!("SELECT COUNT(*) FROM audit_event WHERE ip = '{MANAGER_AT}'");
    assert!(one::<i64>(&conn, &from_boss).await > 0);
    // A failed sign-in to their account: a counted (repeat) audit row, whose
    // key is a digest that includes the source network.
    let res = app
        .client()
        .post(app.url("/api/auth/login"))
        .header("x-forwarded-for", MANAGER_AT)
        .form(&[("email", MANAGER), ("password", "not the password")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let keyed = format!(
        "SELECT COUNT(*) FROM audit_repeat WHERE repeat_key NOT LIKE 'forgotten:%' \
         AND event_id IN (SELECT id FROM audit_event WHERE actor_id = {boss_account} \
         OR (target_kind = 'account' AND target_id = {boss_account}))"
    );
    assert!(one::<i64>(&conn, &keyed).await > 0);

    // The manager leaves: their account is disabled, and HR erases them.
    app.json(
        &admin,
        "/api/admin/set_account_disabled",
        &[("account_id", &boss_account), ("disabled", "true")],
    )
    .await;
    let preview = app
        .json(
            &hr,
            "/api/privacy/erase_preview",
            &[("person_id", &boss_person)],
        )
        .await;
    let employee_number = preview["employee_number"].as_str().unwrap().to_string();
    app.json(
        &hr,
        "/api/privacy/erase",
        &[("person_id", &boss_person), ("confirm", &employee_number)],
    )
    .await;

    // Every credential downloaded from now on, the badges page and the
    // pathway: no trace of the manager's name.
    let after = payloads(&app, &staff, &ids).await;
    for p in &after {
        assert!(!p.contains(&boss_name), "{boss_name} is still in {p}");
    }
    assert!(
        after
            .iter()
            .any(|p| p.contains("A former colleague agreed the level Practitioner")),
        "{after:?}"
    );
    let badges = app.json(&staff, "/api/recognition/badges", &[]).await;
    assert!(!badges.to_string().contains(&boss_name), "{badges}");
    let mine = app.json(&staff, "/api/learning/mine", &[]).await;
    let pathway = mine["pathway"].to_string();
    assert!(!pathway.contains(&boss_name), "{pathway}");
    assert!(
        pathway.contains("A former colleague offered mentoring."),
        "{pathway}"
    );

    // The trail keeps the manager's events, without where they came from;
    // everyone else's addresses stay.
    assert_eq!(one::<i64>(&conn, &from_boss).await, 0);
    assert_eq!(one::<i64>(&conn, &keyed).await, 0, "repeat keys forgotten");
    let theirs = format!("SELECT COUNT(*) FROM audit_event WHERE actor_id = {boss_account}");
    assert!(one::<i64>(&conn, &theirs).await > 0, "their events stay");
    let staffs = format!("SELECT COUNT(*) FROM audit_event WHERE ip = '{STAFF_AT}'");
    assert!(one::<i64>(&conn, &staffs).await > 0);
}
