//! Job roles and their requirements over HTTP.

use reqwest::StatusCode;
use serde_json::Value;
use skillmap_tests::*;

#[tokio::test]
async fn hr_creates_a_role_and_sets_its_requirements() {
    let app = TestServer::start();
    let hr = app.login_demo(HR).await;
    let res = app
        .call(
            &hr,
            "/api/roles/save",
            &[
                ("code", "dig-cnio"),
                ("title", "Chief Nursing Information Officer"),
                ("staff_group", "Nursing and Midwifery Registered"),
                ("band", "Band 8c"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let id = res.json::<Value>().await.unwrap().to_string();
    for (skill, level, essential) in [("LEAD-CHANGE", "4", "true"), ("DAT-GOV", "3", "false")] {
        let res = app
            .call(
                &hr,
                "/api/roles/set_requirement",
                &[
                    ("role_id", &id),
                    ("skill_code", skill),
                    ("level", level),
                    ("essential", essential),
                ],
            )
            .await;
        assert_eq!(
            res.status(),
            StatusCode::OK,
            "{}",
            res.text().await.unwrap()
        );
    }
    // A duplicate code is refused, naming the field.
    let res = app
        .call(
            &hr,
            "/api/roles/save",
            &[
                ("code", "DIG-CNIO"),
                ("title", "Another"),
                ("staff_group", "Nursing and Midwifery Registered"),
                ("band", "Band 8c"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        res.json::<Value>().await.unwrap()["Validation"][0]["field"],
        "code"
    );
    // Unknown skills and levels off the scale change nothing.
    for (skill, level) in [("NOPE", "2"), ("DAT-LIT", "0"), ("DAT-LIT", "5")] {
        let res = app
            .call(
                &hr,
                "/api/roles/set_requirement",
                &[("role_id", &id), ("skill_code", skill), ("level", level)],
            )
            .await;
        assert_eq!(
            res.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{skill} {level}"
        );
    }
    let detail: Value = app
        .call(&hr, "/api/roles/detail", &[("role_id", &id)])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(detail["role"]["code"], "DIG-CNIO");
    assert_eq!(detail["editable"], true);
    let reqs = detail["requirements"].as_array().unwrap();
    assert_eq!(reqs.len(), 2, "{reqs:?}");
    let gov = reqs.iter().find(|r| r["skill_code"] == "DAT-GOV").unwrap();
    assert_eq!(gov["level"], 3);
    assert_eq!(gov["essential"], false);
    // Staff may read roles but not change them.
    let staff = app.login_demo(STAFF).await;
    let detail: Value = app
        .call(&staff, "/api/roles/detail", &[("role_id", &id)])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(detail["editable"], false);
    let res = app
        .call(
            &staff,
            "/api/roles/remove_requirement",
            &[("role_id", &id), ("skill_code", "DAT-GOV")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = app
        .call(
            &hr,
            "/api/roles/remove_requirement",
            &[("role_id", &id), ("skill_code", "DAT-GOV")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let list: Value = app
        .call(&staff, "/api/roles/list", &[])
        .await
        .json()
        .await
        .unwrap();
    let mine = list
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["code"] == "DIG-CNIO")
        .unwrap();
    assert_eq!(mine["requirements"], 1);
    // Everyone in the demo organisation (120 people) holds exactly one role.
    let people: u64 = list
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["people"].as_u64().unwrap())
        .sum();
    assert_eq!(people, 120);
}
