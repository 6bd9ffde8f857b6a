//! Learning pathways over HTTP: explained recommendations, accepting and
//! working through a pathway, recommendations that follow a new
//! self-assessment, a manager's view of progress, HR's uptake, and the
//! catalogue (form, CSV export, all-or-nothing import).

use reqwest::StatusCode;
use serde_json::Value;
use skillmap_tests::*;

fn fingerprint(mine: &Value) -> String {
    mine["plan"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["resource"]["id"].to_string())
        .collect::<Vec<_>>()
        .join(",")
}

#[tokio::test]
async fn staff_accept_a_pathway_work_through_it_and_their_manager_sees_it() {
    let app = TestServer::start();
    let staff = app.login_demo(STAFF).await;
    let mine = app.json(&staff, "/api/learning/mine", &[]).await;
    let gaps = mine["gaps"].as_array().unwrap();
    assert!(!gaps.is_empty(), "the demo staff member starts with gaps");
    let steps = mine["plan"]["steps"].as_array().unwrap();
    assert!(!steps.is_empty(), "{mine}");
    for s in steps {
        let reason = s["reason"].as_str().unwrap();
        assert!(
            reason.starts_with("Your role (") && reason.contains(" needs "),
            "{reason}"
        );
        assert!(s["resource"]["retired"] == false);
    }
    assert!(mine["pathway"].is_null());

    // A pathway other than the one shown is refused; the shown one is kept.
    let res = app
        .call(&staff, "/api/learning/accept", &[("plan", "1,2,3")])
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let plan = fingerprint(&mine);
    app.json(&staff, "/api/learning/accept", &[("plan", &plan)])
        .await;
    let mine = app.json(&staff, "/api/learning/mine", &[]).await;
    let path = mine["pathway"]["steps"].as_array().unwrap().clone();
    assert_eq!(path.len(), steps.len());
    assert!(path.iter().all(|s| s["status"] == "NotStarted"));

    // Work through it: start, finish, an unknown action, and the manager
    // (who can see it) cannot change it.
    let first = path[0]["id"].to_string();
    app.json(
        &staff,
        "/api/learning/step",
        &[("step_id", &first), ("action", "start")],
    )
    .await;
    app.json(
        &staff,
        "/api/learning/step",
        &[("step_id", &first), ("action", "done")],
    )
    .await;
    let res = app
        .call(
            &staff,
            "/api/learning/step",
            &[("step_id", &first), ("action", "delete")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let manager = app.login_demo(MANAGER).await;
    let res = app
        .call(
            &manager,
            "/api/learning/step",
            &[("step_id", &first), ("action", "reset")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    let team = app.json(&manager, "/api/learning/team", &[]).await;
    let me = app.whoami(&staff).await;
    let row = team["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["person_id"] == me["person_id"])
        .expect("the staff member is in their manager's team");
    assert_eq!(row["done"], 1);
    assert_eq!(row["steps"].as_u64().unwrap() as usize, path.len());

    // Finishing a step prompts a new self-assessment; once saved at the
    // required level, that gap is gone from the recommendations.
    let gap = &mine["gaps"][0];
    let code = gap["skill_code"].as_str().unwrap().to_string();
    let required = gap["required"].to_string();
    app.json(
        &staff,
        "/api/profile/save",
        &[
            ("skill_code", &code),
            ("level", &required),
            ("revision", "0"),
        ],
    )
    .await;
    let after = app.json(&staff, "/api/learning/mine", &[]).await;
    assert!(
        after["gaps"]
            .as_array()
            .unwrap()
            .iter()
            .all(|g| g["skill_code"] != code.as_str()),
        "{code} is closed"
    );
    // The finished resource is never recommended again.
    let done_resource = &path[0]["title"];
    assert!(
        after["plan"]["steps"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| &s["resource"]["title"] != done_resource)
    );

    // HR sees uptake: the people with pathways, across units.
    let hr = app.login_demo(HR).await;
    let uptake = app.json(&hr, "/api/learning/uptake", &[]).await;
    let with: u64 = uptake
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["with_pathway"].as_u64().unwrap())
        .sum();
    let done: u64 = uptake
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["done"].as_u64().unwrap())
        .sum();
    assert!(with >= 2 && done >= 1, "{uptake}");
    let staff_total: u64 = uptake
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["staff"].as_u64().unwrap())
        .sum();
    assert!(staff_total >= 100, "every unit's members are counted");
}

#[tokio::test]
async fn an_aspiration_and_a_weekly_budget_shape_the_pathway() {
    let app = TestServer::start();
    let staff = app.login_demo(STAFF).await;
    let mine = app.json(&staff, "/api/learning/mine", &[]).await;
    // Aim for the role with the most requirements.
    let hr = app.login_demo(HR).await;
    let roles = app.json(&hr, "/api/roles/list", &[]).await;
    let aim = roles
        .as_array()
        .unwrap()
        .iter()
        .max_by_key(|r| r["requirements"].as_u64().unwrap())
        .unwrap()["id"]
        .to_string();
    let aiming = app
        .json(&staff, "/api/learning/mine", &[("aspiration", &aim)])
        .await;
    assert!(aiming["gaps"].as_array().unwrap().len() >= mine["gaps"].as_array().unwrap().len());
    assert!(
        aiming["gaps"]
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g["source"] == "Aspiration")
    );
    let budget = app
        .json(&staff, "/api/learning/mine", &[("weekly", "30")])
        .await;
    let total = budget["plan"]["total_minutes"].as_u64().unwrap();
    assert!(total <= 30 * 12, "fits 12 weeks of 30 minutes: {total}");
    assert!(
        budget["plan"]["steps"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["week"].as_u64().is_some_and(|w| (1..=12).contains(&w)))
    );
    // A weekly time longer than a working week is refused, naming the field.
    let res = app
        .call(&staff, "/api/learning/mine", &[("weekly", "99999")])
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("weekly"));
}

async fn resource_title(app: &TestServer, client: &reqwest::Client, id: &str) -> Value {
    app.json(client, "/api/learning/resource", &[("resource_id", id)])
        .await["title"]
        .clone()
}

fn count(v: &Value) -> usize {
    v["resources"].as_array().unwrap().len()
}

#[tokio::test]
async fn hr_keep_the_catalogue_by_form_and_by_file() {
    let app = TestServer::start();
    let hr = app.login_demo(HR).await;
    let staff = app.login_demo(STAFF).await;
    let all = app.json(&hr, "/api/learning/catalogue", &[]).await;
    let total = count(&all);
    assert!(total >= 40, "the starter catalogue is loaded: {total}");
    assert_eq!(all["editable"], true);
    let seen = app.json(&staff, "/api/learning/catalogue", &[]).await;
    assert_eq!(seen["editable"], false);
    let data = app
        .json(&staff, "/api/learning/catalogue", &[("skill", "DAT-VIS")])
        .await;
    assert!(count(&data) > 1 && count(&data) < total);

    // The form: every mistake named, nothing saved; then saved.
    let res = app
        .call(
            &hr,
            "/api/learning/save_resource",
            &[
                ("code", "bad code"),
                ("title", ""),
                ("provider", "NHS"),
                ("url", "not a link"),
                ("format", "video"),
                ("minutes", "soon"),
                ("cost", "0"),
                ("description", ""),
                ("skills", "DAT-VIS 3-1"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = res.text().await.unwrap();
    for field in ["code", "title", "url", "minutes", "skills"] {
        assert!(body.contains(&format!("\"{field}\"")), "{field}: {body}");
    }
    let form = [
        ("code", "NTH-001"),
        ("title", "Ward data huddle"),
        ("provider", "Northfield Learning"),
        ("url", ""),
        ("format", "on-the-job"),
        ("minutes", "30"),
        ("cost", "0"),
        ("description", "Ten minutes on the ward's own data."),
        ("skills", "DAT-DEC 1-2"),
    ];
    let id = app.json(&hr, "/api/learning/save_resource", &form).await;
    let found = app
        .json(&staff, "/api/learning/catalogue", &[("query", "huddle")])
        .await;
    assert_eq!(count(&found), 1);
    assert_eq!(found["resources"][0]["id"], id);
    let res = app.call(&staff, "/api/learning/save_resource", &form).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    // Export as CSV: HR only.
    let res = hr
        .get(app.url("/learning/catalogue.csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("attachment")
    );
    let csv = res.text().await.unwrap();
    assert!(
        csv.starts_with("Code,Title,Provider,Link,Format,Minutes,Cost (GBP),Skills,Description")
    );
    assert_eq!(csv.trim().lines().count(), total + 2);
    let res = staff
        .get(app.url("/learning/catalogue.csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    // Import: one bad row and nothing changes; fixed, it all goes in.
    let edited = csv.replace("Ward data huddle", "Ward data huddle (weekly)")
        + "NTH-002,Board round data,Northfield Learning,,on-the-job,15,0,DAT-NOPE 1-2,\n";
    let res = app
        .upload_to(
            &hr,
            "/api/learning/import",
            &[],
            "catalogue.csv",
            edited.clone().into_bytes(),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = res.text().await.unwrap();
    assert!(
        body.contains(&format!("Row {}, Skills", total + 3)) && body.contains("DAT-NOPE"),
        "{body}"
    );
    let after = app.json(&hr, "/api/learning/catalogue", &[]).await;
    assert_eq!(count(&after), total + 1, "nothing imported");
    let fixed = edited.replace("DAT-NOPE", "DAT-DEC");
    let outcome: Value = app
        .upload_to(
            &hr,
            "/api/learning/import",
            &[],
            "catalogue.csv",
            fixed.into_bytes(),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(outcome["created"], 1, "{outcome}");
    assert_eq!(outcome["updated"], 1, "{outcome}");
    assert_eq!(outcome["unchanged"].as_u64().unwrap() as usize, total);

    // Removing: unused goes; a resource in someone's pathway is retired.
    let removed = app
        .json(
            &hr,
            "/api/learning/remove_resource",
            &[("resource_id", &id.to_string())],
        )
        .await;
    assert_eq!(removed, false, "not in any pathway: deleted");
    let mine = app.json(&staff, "/api/learning/mine", &[]).await;
    app.json(
        &staff,
        "/api/learning/accept",
        &[("plan", &fingerprint(&mine))],
    )
    .await;
    let used_id = mine["plan"]["steps"][0]["resource"]["id"].clone();
    let used = used_id.to_string();
    let retired = app
        .json(
            &hr,
            "/api/learning/remove_resource",
            &[("resource_id", &used)],
        )
        .await;
    assert_eq!(retired, true);
    let mine = app.json(&staff, "/api/learning/mine", &[]).await;
    assert!(
        mine["plan"]["steps"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["resource"]["id"] != used_id),
        "a retired resource is not recommended"
    );
    let title = resource_title(&app, &staff, &used).await;
    assert!(
        mine["pathway"]["steps"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["title"] == title),
        "the pathway that uses it keeps it"
    );
    let staff_view = app.json(&staff, "/api/learning/catalogue", &[]).await;
    assert!(
        staff_view["resources"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["id"] != used_id),
        "staff do not see retired resources"
    );
}
