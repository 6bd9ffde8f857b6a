//! Badges over HTTP: a manager agrees a Practitioner level, the holder
//! downloads the signed Open Badges 3.0 credential, and it is checked by an
//! Ed25519 implementation independent of the server's (ed25519-dalek here,
//! ring there), through the public key its `kid` points at; then the
//! server's own verification: valid, tampered, email check, revoked.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::{Signature, VerifyingKey};
use reqwest::StatusCode;
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
    // The issuer profile publishes the same key.
    let profile: Value = anonymous
        .get(app.url("/issuer"))
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

    // The verification page works signed out.
    let page = anonymous
        .get(app.url("/verify"))
        .query(&[("credential", jwt.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("Revoked"));

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
