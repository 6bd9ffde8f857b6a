//! The audit trail over HTTP on the real binary: sign-ins (and failures
//! that keep no typed email), refusals, changes and sign-outs are recorded
//! with who, what, which record and from where; HR searches it and
//! downloads it, and the download is itself recorded.

use reqwest::StatusCode;
use serde_json::Value;
use skillmap_tests::*;

async fn events(app: &TestServer, hr: &reqwest::Client, form: &[(&str, &str)]) -> Vec<Value> {
    let page = app.json(hr, "/api/audit/search", form).await;
    page["rows"].as_array().unwrap().clone()
}

#[tokio::test]
async fn sign_ins_refusals_and_changes_are_recorded_and_hr_can_search_and_export_them() {
    let app = TestServer::start();
    let staff = app.login_demo(STAFF).await;
    let hr = app.login_demo(HR).await;
    let staff_me = app.whoami(&staff).await;
    let staff_account = staff_me["account_id"].clone();
    let hr_account = app.whoami(&hr).await["account_id"].clone();

    // A wrong password names the account; an unknown email keeps nothing of
    // what was typed (people type passwords into the email box).
    let typed = "correct-horse-battery@nowhere.example";
    for (email, password) in [
        (STAFF, "not the password at all"),
        (typed, "whatever it is"),
    ] {
        let res = app
            .call(
                &app.client(),
                "/api/auth/login",
                &[("email", email), ("password", password)],
            )
            .await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    let failed = events(&app, &hr, &[("action", "sign_in_failed")]).await;
    assert_eq!(failed.len(), 2, "{failed:?}");
    assert_eq!(failed[0]["actor_id"], Value::Null);
    assert_eq!(failed[0]["detail"], "no account has that email");
    assert_eq!(failed[1]["actor_id"], staff_account);
    assert_eq!(failed[1]["detail"], "wrong password");
    assert_eq!(failed[1]["ip"], "127.0.0.1");
    let signed_in = events(&app, &hr, &[("action", "sign_in"), ("actor", STAFF)]).await;
    assert_eq!(signed_in.len(), 1, "{signed_in:?}");
    assert_eq!(signed_in[0]["actor"], STAFF);

    // Refusals: a server function (the guard notes it) and a download (the
    // middleware notes the 403), each recorded once.
    let res = app
        .call(&staff, "/api/people/search", &[("query", "a")])
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = staff.get(app.url("/admin/audit.csv")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let refused = events(&app, &hr, &[("action", "refused")]).await;
    let what: Vec<&str> = refused
        .iter()
        .map(|e| e["detail"].as_str().unwrap())
        .collect();
    assert_eq!(what, ["/admin/audit.csv", "/api/people/search"]);
    assert!(refused.iter().all(|e| e["actor_id"] == staff_account));

    // A change names its record; the record filter finds it.
    let id = app
        .json(
            &hr,
            "/api/roles/save",
            &[
                ("code", "dig-audit"),
                ("title", "Clinical Safety Officer"),
                ("staff_group", "Additional Clinical Services"),
                ("band", "Band 7"),
            ],
        )
        .await
        .to_string();
    let saved = events(&app, &hr, &[("target_kind", "role"), ("target_id", &id)]).await;
    assert_eq!(saved.len(), 1, "{saved:?}");
    assert_eq!(saved[0]["action"], "role_saved");
    assert_eq!(saved[0]["detail"], "created");
    assert_eq!(saved[0]["actor_id"], hr_account);

    // Bad filters are named, and nothing is searched.
    let res = app
        .call(
            &hr,
            "/api/audit/search",
            &[("from", "2026-13-01"), ("target_id", "seven")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = res.text().await.unwrap();
    assert!(
        body.contains("\"from\"") && body.contains("\"target_id\""),
        "{body}"
    );

    // Signing out is recorded.
    app.call(&staff, "/api/auth/logout", &[]).await;
    let out = events(&app, &hr, &[("action", "sign_out")]).await;
    assert_eq!(out.len(), 1);
    assert_eq!(out[0]["actor_id"], staff_account);

    // The CSV has every matching event, no typed email, and is recorded.
    let res = hr.get(app.url("/admin/audit.csv")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let csv = res.text().await.unwrap();
    assert!(
        csv.starts_with("id,at_utc,actor_id,actor,action,target_kind,target_id,detail,ip,count\n")
    );
    for code in [
        "sign_in,",
        "sign_in_failed,",
        "refused,",
        "role_saved,",
        "sign_out,",
    ] {
        assert!(csv.contains(code), "{code} in {csv}");
    }
    assert!(!csv.contains(typed), "the typed email must not be kept");
    let res = hr
        .get(app.url("/admin/audit.csv?action=sign_out"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.text().await.unwrap().lines().count(), 2);
    let bad = hr
        .get(app.url("/admin/audit.csv?to=never"))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text().await.unwrap().starts_with("to: "));
    let exported = events(&app, &hr, &[("action", "audit_exported")]).await;
    let details: Vec<&str> = exported
        .iter()
        .map(|e| e["detail"].as_str().unwrap())
        .collect();
    assert_eq!(details.len(), 2, "{details:?}");
    assert!(details[0].ends_with("filtered by action"), "{details:?}");
    assert!(details[1].ends_with("no filters"), "{details:?}");

    // The page: HR sees it, staff are refused.
    let page = hr
        .get(app.url("/admin/audit?action=role_saved"))
        .send()
        .await
        .unwrap();
    let html = page.text().await.unwrap();
    assert!(
        html.contains("Audit trail") && html.contains("Saved a job role"),
        "{html}"
    );
    let bad_page = hr
        .get(app.url("/admin/audit?from=soon"))
        .send()
        .await
        .unwrap();
    let html = bad_page.text().await.unwrap();
    assert!(html.contains("From must be a real date"), "{html}");
}
