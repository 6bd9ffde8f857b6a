//! The team heatmap and the organisation view over HTTP: what a manager
//! sees, that they see no one else's team, the CSV, the roll-up, privacy
//! suppression, and that the reports follow new assessments.

use reqwest::StatusCode;
use serde_json::Value;
use skillmap_tests::*;

fn rows(map: &Value) -> &Vec<Value> {
    map["rows"].as_array().unwrap()
}

fn total_gap(row: &Value) -> i64 {
    row["cells"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let required = c["required"].as_i64().unwrap_or(0);
            let level = c["level"].as_i64().unwrap_or(0);
            (required - level).max(0)
        })
        .sum()
}

#[tokio::test]
async fn a_manager_sees_their_team_sorted_filtered_and_as_csv() {
    let app = TestServer::start_with_staff(800, &[]);
    let manager = app.login_demo(MANAGER).await;
    let me = app.whoami(&manager).await;
    let detail = app
        .json(
            &manager,
            "/api/people/detail",
            &[("person_id", &me["person_id"].to_string())],
        )
        .await;
    let reports = detail["direct_reports"].as_array().unwrap().len();
    assert!(reports >= 10, "a real team: {reports}");

    let map = app.json(&manager, "/api/team/heatmap", &[]).await;
    assert_eq!(rows(&map).len(), reports);
    let skills = map["skills"].as_array().unwrap().len();
    assert_eq!(skills, 27);
    assert!(
        rows(&map)
            .iter()
            .all(|r| r["cells"].as_array().unwrap().len() == skills)
    );
    let names: Vec<String> = rows(&map)
        .iter()
        .map(|r| r["name"].as_str().unwrap().to_lowercase())
        .collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "by name by default");
    // Someone has agreed levels and someone has levels waiting.
    let cells: Vec<&Value> = rows(&map)
        .iter()
        .flat_map(|r| r["cells"].as_array().unwrap())
        .filter(|c| c["level"].is_number())
        .collect();
    assert!(cells.iter().any(|c| c["agreed"] == true));
    assert!(cells.iter().any(|c| c["agreed"] == false));

    let by_gap = app
        .json(&manager, "/api/team/heatmap", &[("sort", "gap")])
        .await;
    let gaps: Vec<i64> = rows(&by_gap).iter().map(total_gap).collect();
    assert!(gaps.windows(2).all(|w| w[0] >= w[1]), "{gaps:?}");
    assert!(gaps[0] > 0);

    let data = app
        .json(
            &manager,
            "/api/team/heatmap",
            &[("domain", "DAT"), ("sort", "gap")],
        )
        .await;
    let data_skills = data["skills"].as_array().unwrap();
    assert_eq!(data_skills.len(), 9);
    assert!(data_skills.iter().all(|s| s["domain_code"] == "DAT"));

    let role = map["roles"][0]["code"].as_str().unwrap().to_string();
    let only = app
        .json(
            &manager,
            "/api/team/heatmap",
            &[("role", &role), ("required", "true")],
        )
        .await;
    assert!(!rows(&only).is_empty());
    assert!(rows(&only).iter().all(|r| r["role_code"] == role.as_str()));
    assert!(
        only["skills"].as_array().unwrap().len() < skills,
        "only the skills the role requires"
    );
    assert_eq!(only["team_size"], reports);

    // The CSV holds the same matrix, in the same order.
    let res = manager
        .get(app.url("/team/heatmap.csv?domain=DAT&sort=gap"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    assert!(
        res.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("attachment")
    );
    let csv = res.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), reports + 2, "header, people, summary");
    assert!(lines[0].starts_with("Name,Job role,Total gap,"));
    assert_eq!(lines[0].matches(" required").count(), 9);
    let first = rows(&data)[0]["name"].as_str().unwrap();
    assert!(lines[1].starts_with(first), "{} vs {first}", lines[1]);
    assert!(lines.last().unwrap().starts_with("Meeting the requirement"));

    // Another team's manager, by id: refused, page and CSV.
    let hr = app.login_demo(HR).await;
    let managers = app.json(&hr, "/api/team/managers", &[]).await;
    let my_id = me["person_id"].to_string();
    let other = managers
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["code"].as_str().unwrap().to_string())
        .find(|id| *id != my_id)
        .unwrap();
    let res = app
        .call(&manager, "/api/team/heatmap", &[("manager", &other)])
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = manager
        .get(app.url(&format!("/team/heatmap.csv?manager={other}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = app
        .client()
        .get(app.url("/team/heatmap.csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "anonymous: to sign in");
    assert!(
        res.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/login")
    );
    // HR may open any team.
    let theirs = app
        .json(&hr, "/api/team/heatmap", &[("manager", &other)])
        .await;
    assert_eq!(theirs["manager_id"].to_string(), other);
    // The page renders with text in every cell and a legend.
    let page = manager.get(app.url("/team?sort=gap")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("How to read the heatmap"));
    assert!(html.contains("Download this heatmap as CSV"));
    assert!(html.contains("scope=\"row\""));
}

/// A big team comes a page at a time: the pages together are everyone, in
/// the CSV's order, and the summary under each page counts everyone.
#[tokio::test]
async fn a_big_team_comes_a_page_at_a_time() {
    let app = TestServer::start_with_staff(800, &[]);
    let hr = app.login_demo(HR).await;
    let managers = app.json(&hr, "/api/team/managers", &[]).await;
    let mut found = None;
    for m in managers.as_array().unwrap() {
        let id = m["code"].as_str().unwrap().to_string();
        let map = app
            .json(
                &hr,
                "/api/team/heatmap",
                &[("manager", &id), ("all", "true"), ("sort", "gap")],
            )
            .await;
        if map["paging"]["pages"].as_u64().unwrap() >= 3 {
            found = Some((id, map));
            break;
        }
    }
    let (manager, first) = found.expect("someone leads more than two pages of people");
    let paging = &first["paging"];
    let matching = paging["matching"].as_u64().unwrap() as usize;
    let pages = paging["pages"].as_u64().unwrap() as usize;
    assert_eq!(pages, matching.div_ceil(50));
    assert_eq!(paging["page"], 1);
    assert_eq!(rows(&first).len(), 50);

    let mut names = Vec::new();
    for page in 1..=pages {
        let map = app
            .json(
                &hr,
                "/api/team/heatmap",
                &[
                    ("manager", &manager),
                    ("all", "true"),
                    ("sort", "gap"),
                    ("page", &page.to_string()),
                ],
            )
            .await;
        assert_eq!(map["paging"]["page"], page);
        assert_eq!(map["paging"]["before"], (page - 1) * 50);
        assert_eq!(map["paging"]["summary"], paging["summary"], "page {page}");
        names.extend(
            rows(&map)
                .iter()
                .map(|r| r["name"].as_str().unwrap().to_string()),
        );
    }
    assert_eq!(names.len(), matching, "every page together is everyone");
    let past = app
        .json(
            &hr,
            "/api/team/heatmap",
            &[("manager", &manager), ("all", "true"), ("page", "999")],
        )
        .await;
    assert_eq!(past["paging"]["page"], pages, "past the end: the last page");

    let csv = hr
        .get(app.url(&format!(
            "/team/heatmap.csv?manager={manager}&all=true&sort=gap&page=2"
        )))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let records: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    assert_eq!(
        records.len(),
        matching + 1,
        "the CSV has everyone, whatever the page"
    );
    let csv_names: Vec<&str> = records[..matching].iter().map(|r| &r[0]).collect();
    assert_eq!(csv_names, names, "the pages follow the CSV's order");
    let summary: Vec<String> = paging["summary"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| format!("{} of {}", s["meeting"], s["required"]))
        .collect();
    let csv_summary: Vec<&str> = records[matching].iter().skip(3).step_by(3).collect();
    assert_eq!(csv_summary, summary);

    // The page itself: where you are, and links either side.
    let html = hr
        .get(app.url(&format!("/team?manager={manager}&all=true&page=2")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("aria-label=\"Pages of people\""));
    assert!(html.contains(&format!("Page 2 of {pages}: people 51 to 100")));
    assert!(html.contains(&format!("manager={manager}&amp;all=true&amp;page=3")));
    assert!(html.contains("rel=\"prev\""));
}

fn people(row: &Value) -> i64 {
    row["people"].as_i64().unwrap()
}

#[tokio::test]
async fn the_organisation_view_rolls_up_hides_small_groups_and_stays_current() {
    let app = TestServer::start_with_staff(800, &[]);
    let hr = app.login_demo(HR).await;
    let top = app.json(&hr, "/api/team/organisation", &[]).await;
    assert!(top["path"].as_array().unwrap().is_empty(), "the trust");
    let children = top["children"].as_array().unwrap();
    assert_eq!(children.len(), 6, "directorates");
    let total = people(&top["total"]);
    assert!((790..=810).contains(&total), "{total}");
    let below: i64 = children.iter().map(people).sum();
    assert_eq!(below + 1, total, "the chief executive is the trust's own");
    // Per skill, the directorates' figures add up to the trust's (less the
    // chief executive's own).
    for i in 0..top["skills"].as_array().unwrap().len() {
        let sum: i64 = children
            .iter()
            .map(|c| c["cells"][i]["assessed"].as_i64().unwrap())
            .sum();
        let all = top["total"]["cells"][i]["assessed"].as_i64().unwrap();
        assert!(all - sum <= 1 && all >= sum, "skill {i}: {all} vs {sum}");
    }
    assert!(
        top["trend"].as_array().unwrap().len() > 3,
        "a year of history"
    );
    let pipeline: i64 = top["pipeline_groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(people)
        .sum();
    assert_eq!(pipeline, total);

    // Drill down to a directorate: its teams.
    let d1 = children[0]["unit"]["id"].to_string();
    let directorate = app
        .json(&hr, "/api/team/organisation", &[("unit", &d1)])
        .await;
    assert_eq!(directorate["path"].as_array().unwrap().len(), 1);
    assert!(directorate["children"].as_array().unwrap().len() >= 3);

    // The demo manager leads Ward 7: that unit, and nothing above or beside.
    let manager = app.login_demo(MANAGER).await;
    let ward = app.json(&manager, "/api/team/organisation", &[]).await;
    assert_eq!(ward["unit"]["name"], "Ward 7 (Acute Medicine)");
    assert_eq!(ward["sees_all"], false);
    let ward_id = ward["unit"]["id"].to_string();
    for unit in [top["unit"]["id"].to_string(), d1.clone()] {
        let res = app
            .call(&manager, "/api/team/organisation", &[("unit", &unit)])
            .await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "unit {unit}");
    }
    let sibling = directorate["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["unit"]["id"].to_string())
        .find(|id| *id != ward_id)
        .unwrap();
    let res = app
        .call(&manager, "/api/team/organisation", &[("unit", &sibling)])
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    // Small groups: HR sees them, the manager sees "fewer than 5", and the
    // hidden numbers are not sent at all.
    let ward_hr = app
        .json(&hr, "/api/team/organisation", &[("unit", &ward_id)])
        .await;
    let small: Vec<&Value> = ward_hr["inclusion_bands"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| (1..5).contains(&people(r)))
        .collect();
    assert!(!small.is_empty(), "the ward has a band of fewer than 5");
    for r in small {
        let theirs = ward["inclusion_bands"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["label"] == r["label"])
            .unwrap();
        assert_eq!(theirs["first"]["suppressed"], true, "{theirs}");
        assert_eq!(theirs["first"]["count"], 0);
        assert_eq!(theirs["first"]["of"], 0);
        assert_eq!(people(theirs), 0);
    }
    for group in [
        "inclusion_units",
        "inclusion_bands",
        "inclusion_groups",
        "pipeline_groups",
    ] {
        for r in ward[group].as_array().unwrap() {
            let of = r["first"]["of"].as_i64().unwrap();
            assert!(of == 0 || of >= 5, "{group}: {r}");
        }
    }

    // A new assessment shows at once: the staff member (in Ward 7) assesses
    // a skill nobody in the ward had.
    let before = app
        .json(
            &hr,
            "/api/team/organisation",
            &[("unit", &ward_id), ("domain", "LEAD")],
        )
        .await;
    let col = before["skills"]
        .as_array()
        .unwrap()
        .iter()
        .position(|s| s["code"] == "LEAD-STRAT")
        .unwrap();
    let assessed = before["total"]["cells"][col]["assessed"].as_i64().unwrap();
    let staff = app.login_demo(STAFF).await;
    let res = app
        .call(
            &staff,
            "/api/profile/save",
            &[
                ("skill_code", "LEAD-STRAT"),
                ("level", "3"),
                ("revision", "0"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let after = app
        .json(
            &hr,
            "/api/team/organisation",
            &[("unit", &ward_id), ("domain", "LEAD")],
        )
        .await;
    assert_eq!(
        after["total"]["cells"][col]["assessed"].as_i64().unwrap(),
        assessed + 1
    );
    // Staff have no organisation view.
    let res = app.call(&staff, "/api/team/organisation", &[]).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // The page renders the chart and its table.
    let page = hr.get(app.url("/organisation")).send().await.unwrap();
    let html = page.text().await.unwrap();
    assert!(html.contains("<svg"), "chart");
    assert!(html.contains("Share of requirements met by month"));
    assert!(html.contains("Integrative-leader pipeline"));
}
