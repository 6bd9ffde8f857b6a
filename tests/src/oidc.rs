//! A real OpenID provider for the single sign-on tests: the certified
//! `oidc-provider` package from npm, run by tests/oidc/provider.mjs on a
//! free port, with a client registered for the Skillmap under test.
//!
//! Skillmap must know the provider's issuer before it starts, and the
//! provider must know Skillmap's redirect URI: so the provider's port is
//! chosen first (`OidcProvider::port`), Skillmap is started with it, and
//! then the provider (`start`). Skillmap fetches the discovery document
//! only when someone first signs in.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::{Value, json};

use crate::workspace_root;

pub const CLIENT_ID: &str = "skillmap";
pub const CLIENT_SECRET: &str = "a-client-secret-for-the-tests-only";
/// The provider id Skillmap is configured with.
pub const PROVIDER: &str = "test";
pub const LABEL: &str = "Sign in with the test provider";
pub const PASSWORD: &str = "provider-password";

/// One account at the provider.
pub struct IdpAccount {
    pub login: &'static str,
    pub sub: &'static str,
    pub email: String,
    pub email_verified: bool,
    pub employee_number: &'static str,
    pub acr: &'static str,
}

impl IdpAccount {
    pub fn new(login: &'static str, sub: &'static str, email: &str) -> Self {
        Self {
            login,
            sub,
            email: email.to_string(),
            email_verified: true,
            employee_number: "",
            acr: "AAL2",
        }
    }
}

pub struct OidcProvider {
    pub port: u16,
    pub issuer: String,
    keys: PathBuf,
    _dir: tempfile::TempDir,
    env: Vec<(String, String)>,
    child: Option<Child>,
}

impl OidcProvider {
    /// A provider not started yet, on a port of its own.
    pub fn port() -> Self {
        let port = crate::free_port();
        let dir = tempfile::tempdir().expect("temp dir");
        Self {
            port,
            issuer: format!("http://127.0.0.1:{port}"),
            keys: dir.path().join("jwks.json"),
            _dir: dir,
            env: Vec::new(),
            child: None,
        }
    }

    /// The settings that configure Skillmap with this provider (a secret
    /// in the Authorization header, AAL2 or above required).
    pub fn skillmap_env(&self) -> Vec<(String, String)> {
        [
            ("SKILLMAP_OIDC_PROVIDERS", PROVIDER.to_string()),
            ("SKILLMAP_OIDC_TEST_ISSUER", self.issuer.clone()),
            ("SKILLMAP_OIDC_TEST_CLIENT_ID", CLIENT_ID.to_string()),
            (
                "SKILLMAP_OIDC_TEST_CLIENT_SECRET",
                CLIENT_SECRET.to_string(),
            ),
            ("SKILLMAP_OIDC_TEST_AUTH", "client_secret_basic".to_string()),
            ("SKILLMAP_OIDC_TEST_NAME", LABEL.to_string()),
            ("SKILLMAP_OIDC_TEST_ACR_VALUES", "AAL2,AAL3".to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }

    /// The client registration for a Skillmap at `base`, with `extra`
    /// fields (another client id or authentication method, say).
    pub fn client(base: &str, provider: &str, extra: Value) -> Value {
        let mut client = json!({
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "token_endpoint_auth_method": "client_secret_basic",
            "redirect_uris": [format!("{base}/auth/sso/{provider}/callback")],
            "post_logout_redirect_uris": [format!("{base}/login?signed_out=1")],
            "backchannel_logout_uri": format!("{base}/auth/sso/{provider}/backchannel-logout"),
            "backchannel_logout_session_required": true,
            "grant_types": ["authorization_code"],
            "response_types": ["code"],
        });
        if let (Some(c), Value::Object(extra)) = (client.as_object_mut(), extra) {
            c.extend(extra);
        }
        client
    }

    /// Starts the provider with these clients and accounts. `auto`: a
    /// `login_hint` naming an account signs in without a page, and
    /// sign-out at the provider confirms itself.
    pub fn start(&mut self, clients: Vec<Value>, accounts: &[IdpAccount], auto: bool) {
        let accounts: serde_json::Map<String, Value> = accounts
            .iter()
            .map(|a| {
                (
                    a.login.to_string(),
                    json!({
                        "sub": a.sub,
                        "password": PASSWORD,
                        "email": a.email,
                        "email_verified": a.email_verified,
                        "name": a.login,
                        "employee_number": a.employee_number,
                        "acr": a.acr,
                    }),
                )
            })
            .collect();
        self.env = vec![
            ("OIDC_PORT".into(), self.port.to_string()),
            ("OIDC_CLIENTS".into(), Value::Array(clients).to_string()),
            ("OIDC_ACCOUNTS".into(), Value::Object(accounts).to_string()),
            ("OIDC_KEYS".into(), self.keys.display().to_string()),
            (
                "OIDC_AUTO_LOGIN".into(),
                if auto { "1" } else { "0" }.into(),
            ),
        ];
        self.spawn(false);
    }

    /// Restarts the provider on the same port with a new signing key (a
    /// key rotation Skillmap has not been told about).
    pub fn rotate_keys(&mut self) {
        self.stop();
        self.spawn(true);
    }

    fn spawn(&mut self, rotate: bool) {
        let root = workspace_root();
        let mut child = Command::new("node")
            .arg(root.join("tests/oidc/provider.mjs"))
            .current_dir(&root)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .env("OIDC_ROTATE", if rotate { "1" } else { "0" })
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("node is needed for the single sign-on tests");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if line.starts_with("oidc-provider ready ") {
                    let _ = tx.send(true);
                }
            }
            let _ = tx.send(false);
        });
        match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(true) => self.child = Some(child),
            _ => {
                let _ = child.kill();
                panic!("the OpenID provider did not start on port {}", self.port);
            }
        }
    }

    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// POSTs JSON to one of the provider's test endpoints.
    pub async fn control(&self, path: &str, body: Value) -> Value {
        let res = reqwest::Client::new()
            .post(format!("{}{path}", self.issuer))
            .json(&body)
            .send()
            .await
            .expect("provider test endpoint");
        let status = res.status();
        let text = res.text().await.unwrap_or_default();
        assert!(status.is_success(), "{path}: {status} {text}");
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    /// GETs one of the provider's test endpoints.
    pub async fn read(&self, path: &str) -> Value {
        let res = reqwest::get(format!("{}{path}", self.issuer))
            .await
            .expect("provider test endpoint");
        assert!(res.status().is_success(), "{path}: {}", res.status());
        res.json().await.unwrap_or(Value::Null)
    }

    /// The next ID token the provider issues is tampered with (`mode`, as
    /// tests/oidc/provider.mjs lists them).
    pub async fn tamper(&self, mode: &str) {
        self.control("/__test/tamper", json!({ "mode": mode }))
            .await;
    }
}

impl Drop for OidcProvider {
    fn drop(&mut self) {
        self.stop();
    }
}
