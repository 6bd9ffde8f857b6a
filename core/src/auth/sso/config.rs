//! Which OpenID providers people may sign in with, read from the
//! environment at start-up (`SKILLMAP_OIDC_*`; the README's table).
//!
//! `SKILLMAP_OIDC_PROVIDERS=cis2,nhsmail` names them; each then has its
//! settings under `SKILLMAP_OIDC_<ID>_...` (the id upper-cased, `-` as `_`).

/// A setting that is wrong: its name and what is wrong with it. (Not the
/// kernel's `SettingsError`: the kernel's settings read this module, and
/// this module stays free of the kernel.)
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingsError {
    pub name: String,
    pub message: String,
}

/// How Skillmap proves who it is at the provider's token endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientAuth {
    /// `client_secret_basic`: the secret in an `Authorization` header.
    SecretBasic(String),
    /// `client_secret_post`: the secret in the form body (Entra ID).
    SecretPost(String),
    /// `client_secret_jwt`: a JWT signed with HMAC-SHA256 over the secret.
    SecretJwt(String),
    /// `private_key_jwt`: a JWT signed with our private key (NHS CIS2).
    /// The key is PKCS#8 DER, RSA (RS256) or P-256 (ES256).
    PrivateKeyJwt {
        key_der: Vec<u8>,
        key_id: Option<String>,
    },
}

impl ClientAuth {
    pub fn method(&self) -> &'static str {
        match self {
            ClientAuth::SecretBasic(_) => "client_secret_basic",
            ClientAuth::SecretPost(_) => "client_secret_post",
            ClientAuth::SecretJwt(_) => "client_secret_jwt",
            ClientAuth::PrivateKeyJwt { .. } => "private_key_jwt",
        }
    }
}

/// What a claim is matched against, the first time a person signs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchTo {
    /// Their account's email address (what HR imported).
    Email,
    /// Their employee number (the ESR assignment number, say).
    EmployeeNumber,
}

/// One provider, as configured.
#[derive(Debug, Clone)]
pub struct ProviderConfig {
    /// Short id in URLs and the database: `cis2`, `nhsmail`.
    pub id: String,
    /// The button's words: "Sign in with NHSmail".
    pub label: String,
    /// The issuer URL, exactly as the provider's ID tokens name it.
    pub issuer: String,
    pub client_id: String,
    pub auth: ClientAuth,
    pub scopes: Vec<String>,
    /// The claim that identifies the person the first time (`email`,
    /// `preferred_username`, or a claim such as an employee number).
    pub claim: String,
    pub match_to: MatchTo,
    /// An `email` claim counts only with `email_verified: true`, unless
    /// this is off (for providers that vouch for every address they send).
    pub require_verified_email: bool,
    /// Accepted `acr` values, asked for and then checked (empty: any).
    pub acr_values: Vec<String>,
    /// Signature algorithms accepted on ID and logout tokens.
    pub algs: Vec<String>,
    /// The organisations (codes, upper case) whose people this provider
    /// signs in: a trust's own Entra ID tenant vouches for that trust's
    /// staff, not another's. Empty: every organisation's (a national
    /// provider such as NHS CIS2 or NHSmail), and the workforce lead's.
    pub organisations: Vec<String>,
}

impl ProviderConfig {
    /// Does this provider sign in people of the organisation with code
    /// `org` (`None`: an account of no organisation, the workforce lead)?
    pub fn serves(&self, org: Option<&str>) -> bool {
        self.organisations.is_empty()
            || org.is_some_and(|code| {
                self.organisations
                    .iter()
                    .any(|o| o.eq_ignore_ascii_case(code))
            })
    }
}

/// The algorithms accepted unless configured otherwise: asymmetric only,
/// so neither `none` nor an HMAC keyed with something public can pass.
pub const DEFAULT_ALGS: &[&str] = &["RS256", "PS256", "ES256"];
const ALLOWED_ALGS: &[&str] = &[
    "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384",
];

fn error(name: String, message: impl Into<String>) -> SettingsError {
    SettingsError {
        name,
        message: message.into(),
    }
}

/// Reads every configured provider. None configured: an empty list.
pub fn providers(
    get: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<ProviderConfig>, SettingsError> {
    let Some(list) = get("SKILLMAP_OIDC_PROVIDERS") else {
        return Ok(Vec::new());
    };
    let mut out: Vec<ProviderConfig> = Vec::new();
    for id in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        if !id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            || id.len() > 32
        {
            return Err(error(
                "SKILLMAP_OIDC_PROVIDERS".into(),
                format!("provider ids are lower-case letters, digits and hyphens, got {id:?}"),
            ));
        }
        if out.iter().any(|p| p.id == id) {
            return Err(error(
                "SKILLMAP_OIDC_PROVIDERS".into(),
                format!("{id:?} is listed twice"),
            ));
        }
        out.push(provider(id, get)?);
    }
    Ok(out)
}

/// The name of provider `id`'s setting `suffix`: `SKILLMAP_OIDC_<ID>_<SUFFIX>`
/// (the id upper-cased, `-` as `_`).
pub fn setting_name(id: &str, suffix: &str) -> String {
    format!(
        "SKILLMAP_OIDC_{}_{suffix}",
        id.to_ascii_uppercase().replace('-', "_")
    )
}

fn provider(
    id: &str,
    get: &dyn Fn(&str) -> Option<String>,
) -> Result<ProviderConfig, SettingsError> {
    let name = |suffix: &str| setting_name(id, suffix);
    let value = |suffix: &str| {
        get(&name(suffix))
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let required = |suffix: &str| {
        value(suffix)
            .ok_or_else(|| error(name(suffix), format!("required for the provider {id:?}")))
    };
    let issuer = required("ISSUER")?;
    // Plain http only on this machine (a provider run for tests): anywhere
    // else, whoever is on the path could hand Skillmap their own keys.
    let loopback = [
        "http://127.0.0.1:",
        "http://127.0.0.1/",
        "http://localhost:",
        "http://localhost/",
        "http://[::1]:",
    ]
    .iter()
    .any(|p| issuer.starts_with(p));
    if !(issuer.starts_with("https://") || loopback) || issuer.contains(['?', '#']) {
        return Err(error(
            name("ISSUER"),
            format!("expected the provider's https:// issuer URL, got {issuer:?}"),
        ));
    }
    let client_id = required("CLIENT_ID")?;
    let secret = value("CLIENT_SECRET");
    let key_file = value("PRIVATE_KEY_FILE");
    let method = value("AUTH").unwrap_or_else(|| {
        if key_file.is_some() {
            "private_key_jwt"
        } else {
            "client_secret_basic"
        }
        .to_string()
    });
    let need_secret = || {
        secret
            .clone()
            .ok_or_else(|| error(name("CLIENT_SECRET"), format!("required for {method}")))
    };
    let auth = match method.as_str() {
        "client_secret_basic" => ClientAuth::SecretBasic(need_secret()?),
        "client_secret_post" => ClientAuth::SecretPost(need_secret()?),
        "client_secret_jwt" => ClientAuth::SecretJwt(need_secret()?),
        "private_key_jwt" => {
            let path = key_file.clone().ok_or_else(|| {
                error(
                    name("PRIVATE_KEY_FILE"),
                    "required for private_key_jwt (a PKCS#8 PEM file)",
                )
            })?;
            let pem = std::fs::read_to_string(&path)
                .map_err(|e| error(name("PRIVATE_KEY_FILE"), format!("cannot read {path}: {e}")))?;
            let key_der = pem_to_der(&pem).ok_or_else(|| {
                error(
                    name("PRIVATE_KEY_FILE"),
                    format!("{path} is not a PKCS#8 PEM private key (BEGIN PRIVATE KEY)"),
                )
            })?;
            check_key(&key_der)
                .map_err(|m| error(name("PRIVATE_KEY_FILE"), format!("{path}: {m}")))?;
            ClientAuth::PrivateKeyJwt {
                key_der,
                key_id: value("KEY_ID"),
            }
        }
        other => {
            return Err(error(
                name("AUTH"),
                format!(
                    "expected client_secret_basic, client_secret_post, client_secret_jwt or private_key_jwt, got {other:?}"
                ),
            ));
        }
    };
    let list = |suffix: &str, default: &[&str]| -> Vec<String> {
        match value(suffix) {
            Some(v) => v
                .split([',', ' '])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect(),
            None => default.iter().map(|s| s.to_string()).collect(),
        }
    };
    let mut scopes = list("SCOPES", &["openid", "email", "profile"]);
    if !scopes.iter().any(|s| s == "openid") {
        scopes.insert(0, "openid".into());
    }
    let algs = list("ALGS", DEFAULT_ALGS);
    if let Some(bad) = algs.iter().find(|a| !ALLOWED_ALGS.contains(&a.as_str())) {
        return Err(error(
            name("ALGS"),
            format!(
                "{bad:?} is not accepted: use asymmetric algorithms ({})",
                ALLOWED_ALGS.join(", ")
            ),
        ));
    }
    let match_to = match value("MATCH_TO").as_deref() {
        None | Some("email") => MatchTo::Email,
        Some("employee_number") => MatchTo::EmployeeNumber,
        Some(other) => {
            return Err(error(
                name("MATCH_TO"),
                format!("expected email or employee_number, got {other:?}"),
            ));
        }
    };
    let require_verified_email = match value("REQUIRE_VERIFIED_EMAIL").as_deref() {
        None | Some("1" | "true" | "yes" | "on") => true,
        Some("0" | "false" | "no" | "off") => false,
        Some(other) => {
            return Err(error(
                name("REQUIRE_VERIFIED_EMAIL"),
                format!("expected true or false, got {other:?}"),
            ));
        }
    };
    let organisations: Vec<String> = list("ORGANISATIONS", &[])
        .into_iter()
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if let Some(bad) = organisations.iter().find(|c| {
        c.len() > 32
            || !c
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    }) {
        return Err(error(
            name("ORGANISATIONS"),
            format!("expected organisation codes separated by commas, got {bad:?}"),
        ));
    }
    Ok(ProviderConfig {
        id: id.to_string(),
        label: value("NAME").unwrap_or_else(|| format!("Sign in with {id}")),
        // Kept exactly: ID tokens must name the same string.
        issuer,
        client_id,
        auth,
        scopes,
        claim: value("CLAIM").unwrap_or_else(|| "email".into()),
        match_to,
        require_verified_email,
        acr_values: list("ACR_VALUES", &[]),
        algs,
        organisations,
    })
}

/// Checks at start-up that a private key can sign: RSA or P-256, PKCS#8.
pub fn check_key(der: &[u8]) -> Result<(), String> {
    use ring::signature::{self, EcdsaKeyPair, RsaKeyPair};
    if RsaKeyPair::from_pkcs8(der).is_ok()
        || EcdsaKeyPair::from_pkcs8(
            &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
            der,
            &ring::rand::SystemRandom::new(),
        )
        .is_ok()
    {
        Ok(())
    } else {
        Err("expected an RSA or P-256 private key in PKCS#8 form".into())
    }
}

/// The DER inside a `-----BEGIN PRIVATE KEY-----` PEM block.
fn pem_to_der(pem: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    let start = pem.find("-----BEGIN PRIVATE KEY-----")? + "-----BEGIN PRIVATE KEY-----".len();
    let end = pem[start..].find("-----END PRIVATE KEY-----")? + start;
    let body: String = pem[start..end]
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    base64::engine::general_purpose::STANDARD.decode(body).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn read(pairs: &[(&str, &str)]) -> Result<Vec<ProviderConfig>, SettingsError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        providers(&|k| map.get(k).cloned())
    }

    #[test]
    fn none_configured_is_an_empty_list() {
        assert!(read(&[]).unwrap().is_empty());
    }

    #[test]
    fn a_provider_with_a_secret() {
        let p = read(&[
            ("SKILLMAP_OIDC_PROVIDERS", "nhs-mail"),
            (
                "SKILLMAP_OIDC_NHS_MAIL_ISSUER",
                "https://login.microsoftonline.com/t/v2.0",
            ),
            ("SKILLMAP_OIDC_NHS_MAIL_CLIENT_ID", "abc"),
            ("SKILLMAP_OIDC_NHS_MAIL_CLIENT_SECRET", "s3cret"),
            ("SKILLMAP_OIDC_NHS_MAIL_AUTH", "client_secret_post"),
            ("SKILLMAP_OIDC_NHS_MAIL_NAME", "Sign in with NHSmail"),
            ("SKILLMAP_OIDC_NHS_MAIL_CLAIM", "preferred_username"),
            ("SKILLMAP_OIDC_NHS_MAIL_SCOPES", "email profile"),
        ])
        .unwrap();
        assert_eq!(p.len(), 1);
        let p = &p[0];
        assert_eq!(p.id, "nhs-mail");
        assert_eq!(p.label, "Sign in with NHSmail");
        assert_eq!(p.auth, ClientAuth::SecretPost("s3cret".into()));
        assert_eq!(p.scopes, ["openid", "email", "profile"]);
        assert_eq!(p.claim, "preferred_username");
        assert_eq!(p.algs, DEFAULT_ALGS);
        assert!(p.require_verified_email);
    }

    #[test]
    fn mistakes_name_the_setting() {
        let err = read(&[("SKILLMAP_OIDC_PROVIDERS", "cis2")]).unwrap_err();
        assert_eq!(err.name, "SKILLMAP_OIDC_CIS2_ISSUER");
        let err = read(&[
            ("SKILLMAP_OIDC_PROVIDERS", "cis2"),
            ("SKILLMAP_OIDC_CIS2_ISSUER", "https://idp.example"),
            ("SKILLMAP_OIDC_CIS2_CLIENT_ID", "x"),
        ])
        .unwrap_err();
        assert_eq!(err.name, "SKILLMAP_OIDC_CIS2_CLIENT_SECRET");
        let err = read(&[
            ("SKILLMAP_OIDC_PROVIDERS", "cis2"),
            ("SKILLMAP_OIDC_CIS2_ISSUER", "https://idp.example"),
            ("SKILLMAP_OIDC_CIS2_CLIENT_ID", "x"),
            ("SKILLMAP_OIDC_CIS2_CLIENT_SECRET", "y"),
            ("SKILLMAP_OIDC_CIS2_ALGS", "RS256,HS256"),
        ])
        .unwrap_err();
        assert_eq!(err.name, "SKILLMAP_OIDC_CIS2_ALGS", "no HMAC on ID tokens");
        let err = read(&[
            ("SKILLMAP_OIDC_PROVIDERS", "cis2"),
            ("SKILLMAP_OIDC_CIS2_ISSUER", "http://idp.example"),
        ])
        .unwrap_err();
        assert_eq!(
            err.name, "SKILLMAP_OIDC_CIS2_ISSUER",
            "no plain http but on loopback"
        );
        let err = read(&[("SKILLMAP_OIDC_PROVIDERS", "CIS 2")]).unwrap_err();
        assert_eq!(err.name, "SKILLMAP_OIDC_PROVIDERS");
    }

    /// A trust's own provider serves the organisations it names (codes in
    /// any case); without the setting, every organisation and the lead.
    #[test]
    fn a_provider_may_serve_named_organisations_alone() {
        let base = [
            ("SKILLMAP_OIDC_PROVIDERS", "trust"),
            ("SKILLMAP_OIDC_TRUST_ISSUER", "https://idp.example"),
            ("SKILLMAP_OIDC_TRUST_CLIENT_ID", "x"),
            ("SKILLMAP_OIDC_TRUST_CLIENT_SECRET", "y"),
        ];
        let every = &read(&base).unwrap()[0];
        assert!(every.organisations.is_empty());
        assert!(every.serves(Some("RNF")) && every.serves(None));
        let mut named = base.to_vec();
        named.push(("SKILLMAP_OIDC_TRUST_ORGANISATIONS", "rnf, RXE"));
        let named = &read(&named).unwrap()[0];
        assert_eq!(named.organisations, ["RNF", "RXE"]);
        assert!(named.serves(Some("RNF")) && named.serves(Some("rxe")));
        assert!(!named.serves(Some("RXM")), "another trust's");
        assert!(!named.serves(None), "the lead, of no organisation");
        let mut bad = base.to_vec();
        bad.push(("SKILLMAP_OIDC_TRUST_ORGANISATIONS", "RNF;RXE"));
        assert_eq!(
            read(&bad).unwrap_err().name,
            "SKILLMAP_OIDC_TRUST_ORGANISATIONS"
        );
    }
}
