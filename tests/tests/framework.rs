//! Framework export and import over HTTP: downloads, a checked preview,
//! publishing a new version, and bad files that change nothing.

use reqwest::StatusCode;
use serde_json::Value;
use skillmap_tests::*;

#[tokio::test]
async fn export_then_import_a_new_version() {
    let app = TestServer::start();
    let admin = app.login_demo(ADMIN).await;
    // Downloads, for anyone signed in.
    let json = admin
        .get(app.url("/framework/export.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(json.status(), StatusCode::OK);
    assert!(
        json.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("ddil-v1.json")
    );
    let mut doc: Value = json.json().await.unwrap();
    assert_eq!(doc["schema"], "skillmap-framework/1");
    let csv = admin
        .get(app.url("/framework/export.csv"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(csv.lines().count(), 28);
    assert!(csv.starts_with("domain_code,domain_name,skill_code"));
    let anonymous = app
        .client()
        .get(app.url("/framework/export.json"))
        .send()
        .await
        .unwrap();
    assert!(
        anonymous.status().is_redirection(),
        "anonymous visitors are sent to sign in"
    );

    // A bad file: every problem named, nothing stored or published.
    doc["domains"][0]["skills"][0]["descriptors"] = Value::Array(vec![]);
    doc["domains"][1]["skills"][1]["code"] = doc["domains"][1]["skills"][0]["code"].clone();
    let res = app
        .call(
            &admin,
            "/api/framework/upload",
            &[("document", &doc.to_string())],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = res.json().await.unwrap();
    let fields: Vec<String> = body["Validation"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "{}: {}",
                e["field"].as_str().unwrap(),
                e["message"].as_str().unwrap()
            )
        })
        .collect();
    assert!(
        fields.iter().any(|f| f.contains("missing a descriptor")),
        "{fields:?}"
    );
    assert!(
        fields
            .iter()
            .any(|f| f.contains("is used by another skill")),
        "{fields:?}"
    );
    let res = app
        .call(
            &admin,
            "/api/framework/upload",
            &[("document", "{ \"schema\": ")],
        )
        .await;
    let body: Value = res.json().await.unwrap();
    assert!(
        body["Validation"][0]["field"]
            .as_str()
            .unwrap()
            .starts_with("line 1"),
        "{body}"
    );

    // A staff member has assessed a skill the next version drops.
    let staff = app.login_demo(STAFF).await;
    let res = app
        .call(
            &staff,
            "/api/profile/save",
            &[("skill_code", "DAT-ETH"), ("level", "2"), ("revision", "0")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);

    // The CSV, edited: one skill renamed, one dropped. Checked, previewed, published.
    let edited: String = csv
        .replacen(
            "Digital foundations and safety",
            "Digital foundations and online safety",
            1,
        )
        .lines()
        .filter(|l| !l.contains(",DAT-ETH,"))
        .map(|l| format!("{l}\n"))
        .collect();
    let res = app
        .call(
            &admin,
            "/api/framework/upload",
            &[("document", &edited), ("source_name", "edited.csv")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let draft = res.json::<Value>().await.unwrap().to_string();
    let preview: Value = app
        .call(&admin, "/api/framework/preview", &[("draft_id", &draft)])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(preview["next_version"], 2);
    assert_eq!(preview["changed"].as_array().unwrap().len(), 1, "{preview}");
    assert_eq!(preview["removed"].as_array().unwrap().len(), 1, "{preview}");
    assert_eq!(preview["unchanged"], 25);
    let before: Value = app
        .call(&staff, "/api/framework/current", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(before["version"], 1, "checking publishes nothing");
    let res = app
        .call(&admin, "/api/framework/publish", &[("draft_id", &draft)])
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let again = app
        .call(&admin, "/api/framework/publish", &[("draft_id", &draft)])
        .await;
    assert_eq!(again.status(), StatusCode::CONFLICT);
    let after: Value = app
        .call(&staff, "/api/framework/current", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(after["version"], 2);
    assert_eq!(
        after["domains"][0]["skills"][0]["name"],
        "Digital foundations and online safety"
    );
    // The assessment of the dropped skill stays readable.
    let mine: Value = app
        .call(&staff, "/api/profile/get", &[])
        .await
        .json()
        .await
        .unwrap();
    let retired = mine["retired"].as_array().unwrap();
    assert_eq!(retired.len(), 1, "{retired:?}");
    assert_eq!(retired[0]["skill"]["code"], "DAT-ETH");
    assert_eq!(retired[0]["assessment"]["self_level"], 2);
}

/// Issue 26: in a system of two organisations an administrator publishes
/// their organisation's own skills, not the shared framework; their staff
/// download them and get them from `framework/current`; the other
/// organisation's do not.
#[tokio::test]
async fn an_organisations_own_skills_over_http() {
    let app = TestServer::start_system(2, 120, &[("SKILLMAP_LOGIN_BURST", "100")]);
    let admin = app.login_demo(ADMIN).await;
    let own = "domain_code,domain_name,skill_code,skill_name,description,foundation,\
               level_1_awareness,level_2_working,level_3_practitioner,level_4_expert\n\
               LOCAL,Our own skills,LOCAL-EPR,EPR super-user,Helps with the EPR.,no,\
               Knows who helps,Answers questions,Trains a ward,Shapes the set-up\n";
    // Not the shared framework: the workforce lead looks after that.
    let res = app
        .call(
            &admin,
            "/api/framework/upload",
            &[("document", own), ("scope", "shared")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["Validation"][0]["field"], "scope", "{body}");
    // Their own, with no choice given.
    let res = app
        .call(&admin, "/api/framework/upload", &[("document", own)])
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let draft = res.json::<Value>().await.unwrap().to_string();
    let res = app
        .call(&admin, "/api/framework/publish", &[("draft_id", &draft)])
        .await;
    assert_eq!(res.status(), StatusCode::OK);

    let staff = app.login_demo(STAFF).await;
    let other = app.login_demo(OTHER_STAFF).await;
    let ours: Value = app
        .call(&staff, "/api/framework/current", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(ours["own"]["domains"][0]["skills"][0]["code"], "LOCAL-EPR");
    assert_eq!(ours["version"], 1, "the shared framework is as it was");
    let theirs: Value = app
        .call(&other, "/api/framework/current", &[])
        .await
        .json()
        .await
        .unwrap();
    assert!(theirs["own"].is_null(), "{}", theirs["own"]);

    let download = |client: &reqwest::Client, path: &str| {
        let req = client.get(app.url(path));
        async move { req.send().await.unwrap() }
    };
    let csv = download(&staff, "/framework/export.csv?own=1").await;
    assert_eq!(csv.status(), StatusCode::OK);
    let csv = csv.text().await.unwrap();
    assert_eq!(csv.lines().count(), 2, "{csv}");
    assert!(csv.contains(",LOCAL-EPR,"), "{csv}");
    let shared = download(&staff, "/framework/export.csv")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        !shared.contains("LOCAL-EPR"),
        "the shared file has no own skills"
    );
    let none = download(&other, "/framework/export.csv?own=1").await;
    assert_eq!(none.status(), StatusCode::NOT_FOUND);

    // Their staff assess it; the other organisation's cannot.
    for (client, want) in [
        (&staff, StatusCode::OK),
        (&other, StatusCode::UNPROCESSABLE_ENTITY),
    ] {
        let res = app
            .call(
                client,
                "/api/profile/save",
                &[
                    ("skill_code", "LOCAL-EPR"),
                    ("level", "2"),
                    ("revision", "0"),
                ],
            )
            .await;
        assert_eq!(res.status(), want);
    }
}
