//! Recognition over HTTP on the real binary: a peer endorses, a manager
//! awards, the recipient hides one, the team page and HR's report count
//! what they should, administrators keep the award kinds, and finishing a
//! learning pathway earns a badge whose credential verifies.

use reqwest::StatusCode;
use serde_json::Value;
use skillmap_tests::*;

fn names(v: &Value, key: &str) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x[key].as_str().unwrap_or_default().to_string())
        .collect()
}

#[tokio::test]
async fn colleagues_endorse_managers_award_and_the_recipient_decides_what_others_see() {
    let app = TestServer::start();
    let staff = app.login_demo(STAFF).await;
    let manager = app.login_demo(MANAGER).await;
    let hr = app.login_demo(HR).await;
    let admin = app.login_demo(ADMIN).await;
    let me_staff = app.whoami(&staff).await;
    let staff_id = me_staff["person_id"].to_string();
    let manager_me = app.whoami(&manager).await;
    let manager_id = manager_me["person_id"].to_string();
    let manager_name = manager_me["display_name"].as_str().unwrap().to_string();

    // The staff member finds their manager by name (never themself).
    let found = app
        .json(
            &staff,
            "/api/recognition/colleagues",
            &[("query", manager_name.as_str())],
        )
        .await;
    assert!(
        found
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["id"] == manager_me["person_id"]),
        "{found}"
    );
    let short = app
        .json(&staff, "/api/recognition/colleagues", &[("query", "a")])
        .await;
    assert_eq!(short, serde_json::json!([]));

    // A peer endorses; the form names what is missing; twice is refused.
    let form = app
        .json(
            &staff,
            "/api/recognition/gift_form",
            &[("person_id", &manager_id)],
        )
        .await;
    assert_eq!(form["can_award"], false);
    let res = app
        .call(
            &staff,
            "/api/recognition/give",
            &[("person_id", &manager_id), ("kind", "endorsement")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = res.text().await.unwrap();
    assert!(
        body.contains("skill_code") && body.contains("message"),
        "{body}"
    );
    let endorse = [
        ("person_id", manager_id.as_str()),
        ("kind", "endorsement"),
        ("skill_code", "LEAD-CHANGE"),
        ("message", "Led the move to e-observations calmly."),
    ];
    app.json(&staff, "/api/recognition/give", &endorse).await;
    let res = app.call(&staff, "/api/recognition/give", &endorse).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    // Staff give no awards; nobody recognises themself.
    let kinds = app.json(&staff, "/api/recognition/award_kinds", &[]).await;
    let kind = kinds[0]["id"].to_string();
    let award = |to: &str, text: &str| {
        [
            ("person_id", to.to_string()),
            ("kind", "award".to_string()),
            ("award_kind_id", kind.clone()),
            ("citation", text.to_string()),
        ]
    };
    let by_staff = award(&manager_id, "Great");
    let refs: Vec<(&str, &str)> = by_staff.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let res = app.call(&staff, "/api/recognition/give", &refs).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = app
        .call(
            &staff,
            "/api/recognition/gift_form",
            &[("person_id", &staff_id)],
        )
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);

    // The manager gives the staff member an award.
    let form = app
        .json(
            &manager,
            "/api/recognition/gift_form",
            &[("person_id", &staff_id)],
        )
        .await;
    assert_eq!(form["can_award"], true);
    assert!(!form["award_kinds"].as_array().unwrap().is_empty());
    let manager_award = award(&staff_id, "Taught the ward the new e-rostering app.");
    let refs: Vec<(&str, &str)> = manager_award
        .iter()
        .map(|(k, v)| (*k, v.as_str()))
        .collect();
    app.json(&manager, "/api/recognition/give", &refs).await;

    // The staff member sees it, hides it; the manager then does not, HR
    // still does; the team page leaves it out.
    let mine = app.json(&staff, "/api/recognition/badges", &[]).await;
    let received = mine["received"].as_array().unwrap();
    assert_eq!(received.len(), 1, "{mine}");
    assert_eq!(received[0]["gift"], "Award");
    assert_eq!(received[0]["from"].as_str().unwrap(), manager_name);
    let item = received[0]["id"].to_string();
    let res = app
        .call(
            &manager,
            "/api/recognition/hide_item",
            &[("item_id", &item), ("hidden", "true")],
        )
        .await;
    assert_eq!(
        res.status(),
        StatusCode::NOT_FOUND,
        "only the recipient hides"
    );
    let team = app.json(&manager, "/api/recognition/team", &[]).await;
    assert!(
        names(&team["items"], "what")
            .iter()
            .any(|w| w.starts_with("Award: ")),
        "{team}"
    );
    app.json(
        &staff,
        "/api/recognition/hide_item",
        &[("item_id", &item), ("hidden", "true")],
    )
    .await;
    let seen = app
        .json(
            &manager,
            "/api/recognition/badges",
            &[("person_id", &staff_id)],
        )
        .await;
    assert!(seen["received"].as_array().unwrap().is_empty(), "{seen}");
    let by_hr = app
        .json(&hr, "/api/recognition/badges", &[("person_id", &staff_id)])
        .await;
    assert_eq!(by_hr["received"].as_array().unwrap().len(), 1);
    let team = app.json(&manager, "/api/recognition/team", &[]).await;
    assert!(
        !team["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["person_id"] == me_staff["person_id"]),
        "hidden items stay off the team page: {team}"
    );

    // HR's report: six months, a total row that adds up, and a unit's
    // staff who had nothing.
    let report = app.json(&hr, "/api/recognition/report", &[]).await;
    assert_eq!(report["months"].as_array().unwrap().len(), 6);
    let rows = report["rows"].as_array().unwrap();
    let sum: u64 = rows
        .iter()
        .map(|r| {
            r["per_month"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| n.as_u64().unwrap())
                .sum::<u64>()
        })
        .sum();
    let total: u64 = report["total"]["per_month"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_u64().unwrap())
        .sum();
    assert_eq!(sum, total);
    assert!(total >= 2, "the demo's and this test's: {total}");
    let this_month = report["total"]["per_month"][5].as_u64().unwrap();
    assert!(this_month >= 2, "{report}");
    let unit = rows[0]["unit_id"].to_string();
    let drill = app
        .json(&hr, "/api/recognition/report", &[("unit", &unit)])
        .await;
    let left = drill["unit"][1].as_array().unwrap().len() as u64;
    assert_eq!(
        left,
        rows[0]["staff"].as_u64().unwrap() - rows[0]["recognised"].as_u64().unwrap()
    );
    let res = app.call(&manager, "/api/recognition/report", &[]).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    // Administrators keep the award kinds: a clash is named, HR cannot,
    // a retired kind is no longer offered.
    let save = |name: &'static str, active: &'static str| {
        vec![
            ("name", name),
            ("description", "Kind to patients and colleagues"),
            ("active", active),
        ]
    };
    app.json(
        &admin,
        "/api/recognition/save_award_kind",
        &save("Kindness", "true"),
    )
    .await;
    let res = app
        .call(
            &admin,
            "/api/recognition/save_award_kind",
            &save("kindness ", "true"),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("already an award"));
    let res = app
        .call(
            &hr,
            "/api/recognition/save_award_kind",
            &save("Other", "true"),
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let all = app.json(&admin, "/api/recognition/award_kinds", &[]).await;
    let id = all
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["name"] == "Kindness")
        .unwrap()["id"]
        .to_string();
    app.json(
        &admin,
        "/api/recognition/save_award_kind",
        &[
            ("id", id.as_str()),
            ("name", "Kindness"),
            ("active", "false"),
        ],
    )
    .await;
    let offered = app.json(&staff, "/api/recognition/award_kinds", &[]).await;
    assert!(!names(&offered, "name").contains(&"Kindness".to_string()));
    let all = app.json(&admin, "/api/recognition/award_kinds", &[]).await;
    assert!(names(&all, "name").contains(&"Kindness".to_string()));
}

#[tokio::test]
async fn finishing_a_learning_pathway_earns_a_badge_that_verifies() {
    let app = TestServer::start();
    let staff = app.login_demo(STAFF).await;
    let mine = app.json(&staff, "/api/learning/mine", &[]).await;
    let plan = mine["plan"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["resource"]["id"].to_string())
        .collect::<Vec<_>>()
        .join(",");
    app.json(&staff, "/api/learning/accept", &[("plan", &plan)])
        .await;
    let mine = app.json(&staff, "/api/learning/mine", &[]).await;
    let steps = mine["pathway"]["steps"].as_array().unwrap().clone();
    assert!(steps.len() >= 2, "{mine}");
    let pathway_badges = async || {
        app.json(&staff, "/api/recognition/badges", &[]).await["badges"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|b| b["source"] == "pathway")
            .cloned()
            .collect::<Vec<_>>()
    };
    for s in &steps {
        assert!(
            pathway_badges().await.is_empty(),
            "not before the last step"
        );
        app.json(
            &staff,
            "/api/learning/step",
            &[("step_id", &s["id"].to_string()), ("action", "done")],
        )
        .await;
    }
    let got = pathway_badges().await;
    assert_eq!(got.len(), 1);
    let jwt = staff
        .get(app.url(&format!("/badges/{}/credential.jwt", got[0]["id"])))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let v = app
        .json(
            &app.client(),
            "/api/recognition/verify",
            &[("credential", &jwt)],
        )
        .await;
    assert_eq!(v["outcome"], "Valid", "{v}");
    assert_eq!(v["achievement"], "Learning pathway completed");
}
