//! The configured providers at run time: each one's discovery document and
//! signing keys, fetched when first needed (a provider that is down at
//! start-up does not stop Skillmap) and kept: the document for an hour,
//! the keys until a token names a key they lack, when they are fetched
//! again (key rotation, with no restart; for logout tokens, which anyone
//! can post, at most every ten seconds).

use std::time::{Duration, Instant};

use openidconnect::core::{CoreClient, CoreJsonWebKey};
use openidconnect::{
    ClientId, EndpointMaybeSet, EndpointNotSet, EndpointSet, IssuerUrl, JsonWebKeySet,
    ProviderMetadataWithLogout, RedirectUrl, reqwest,
};
use tokio::sync::Mutex;

use super::config::ProviderConfig;
use crate::auth::model::SsoButton;

/// The metadata type: the standard fields plus RP-initiated logout's
/// `end_session_endpoint`.
pub type Metadata = ProviderMetadataWithLogout;

/// A client for one request: authorization and token endpoints known.
pub type Client = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

const METADATA_FOR: Duration = Duration::from_secs(3600);
const KEYS_AT_MOST_EVERY: Duration = Duration::from_secs(10);
const AFTER_A_FAILURE: Duration = Duration::from_secs(30);

/// Every configured provider, and the HTTP client that talks to them.
pub struct Registry {
    providers: Vec<Provider>,
    pub(crate) http: reqwest::Client,
}

pub struct Provider {
    pub config: ProviderConfig,
    cached: Mutex<Option<Cached>>,
    /// When fetching the discovery document last failed: for a while after,
    /// requests fail at once instead of each waiting on the provider.
    failed_at: std::sync::Mutex<Option<Instant>>,
}

#[derive(Clone)]
struct Cached {
    metadata: Metadata,
    fetched: Instant,
    keys_fetched: Instant,
}

/// The provider could not be reached or answered nonsense.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreachable(pub String);

impl Registry {
    pub fn new(configs: Vec<ProviderConfig>) -> Self {
        // No redirects: a provider's endpoints answer directly, and a
        // redirect could point a server-side request anywhere (SSRF).
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap_or_default();
        Self {
            providers: configs
                .into_iter()
                .map(|config| Provider {
                    config,
                    cached: Mutex::new(None),
                    failed_at: std::sync::Mutex::new(None),
                })
                .collect(),
            http,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.providers.is_empty()
    }

    pub fn get(&self, id: &str) -> Option<&Provider> {
        self.providers.iter().find(|p| p.config.id == id)
    }

    /// The sign-in page's buttons, in the configured order.
    pub fn buttons(&self) -> Vec<SsoButton> {
        self.buttons_where(|_| true)
    }

    /// The buttons for someone of the organisation with code `org` (`None`:
    /// of none): the providers that serve it.
    pub fn buttons_for(&self, org: Option<&str>) -> Vec<SsoButton> {
        self.buttons_where(|c| c.serves(org))
    }

    fn buttons_where(&self, keep: impl Fn(&ProviderConfig) -> bool) -> Vec<SsoButton> {
        self.providers
            .iter()
            .filter(|p| keep(&p.config))
            .map(|p| SsoButton {
                id: p.config.id.clone(),
                label: p.config.label.clone(),
            })
            .collect()
    }

    /// Checks at start-up that every organisation a provider names exists
    /// here (a mistyped code would otherwise refuse that trust's staff
    /// without a word): the first that does not, with its setting's name.
    pub async fn check_organisations(
        &self,
        db: &impl sea_orm::ConnectionTrait,
    ) -> Result<(), super::config::SettingsError> {
        use sea_orm::EntityTrait;
        if self
            .providers
            .iter()
            .all(|p| p.config.organisations.is_empty())
        {
            return Ok(());
        }
        let known: Vec<String> = crate::entities::organisation::Entity::find()
            .all(db)
            .await
            .map_err(|e| super::config::SettingsError {
                name: "SKILLMAP_OIDC_PROVIDERS".into(),
                message: format!("cannot read the organisations: {e}"),
            })?
            .into_iter()
            .map(|o| o.code.to_ascii_uppercase())
            .collect();
        for p in &self.providers {
            if let Some(code) = p.config.organisations.iter().find(|c| !known.contains(c)) {
                return Err(super::config::SettingsError {
                    name: super::config::setting_name(&p.config.id, "ORGANISATIONS"),
                    message: format!(
                        "{code} is no organisation here (codes: {})",
                        known.join(", ")
                    ),
                });
            }
        }
        Ok(())
    }

    /// A provider's label, or its id if it is no longer configured.
    pub fn label(&self, id: &str) -> String {
        self.get(id)
            .map_or_else(|| id.to_string(), |p| p.config.label.clone())
    }
}

impl Provider {
    /// The discovery document with its keys, fetched if not fresh.
    pub async fn metadata(&self, http: &reqwest::Client) -> Result<Metadata, Unreachable> {
        let mut cached = self.cached.lock().await;
        if let Some(c) = cached.as_ref()
            && c.fetched.elapsed() < METADATA_FOR
        {
            return Ok(c.metadata.clone());
        }
        // A document past its hour still serves while the provider cannot
        // give a new one.
        let stale = cached.as_ref().map(|c| c.metadata.clone());
        let failed = *self.failed_at.lock().unwrap_or_else(|e| e.into_inner());
        if failed.is_some_and(|at| at.elapsed() < AFTER_A_FAILURE) {
            return stale.ok_or_else(|| Unreachable("it could not be reached moments ago".into()));
        }
        let issuer = IssuerUrl::new(self.config.issuer.clone())
            .map_err(|e| Unreachable(format!("issuer URL: {e}")))?;
        let metadata = match Metadata::discover_async(issuer, http).await {
            Ok(metadata) => metadata,
            Err(e) => {
                *self.failed_at.lock().unwrap_or_else(|e| e.into_inner()) = Some(Instant::now());
                return stale.ok_or_else(|| Unreachable(format!("discovery: {}", chain(&e))));
            }
        };
        let now = Instant::now();
        *cached = Some(Cached {
            metadata: metadata.clone(),
            fetched: now,
            keys_fetched: now,
        });
        Ok(metadata)
    }

    /// Fetches the signing keys again (a token named a key we lack), unless
    /// they were fetched moments ago. Returns the metadata with the keys.
    /// `always`: for an ID token, which only the provider's token endpoint
    /// can have given us; a logout token anyone can post, so those wait
    /// `KEYS_AT_MOST_EVERY` between fetches.
    pub async fn refresh_keys(
        &self,
        http: &reqwest::Client,
        always: bool,
    ) -> Result<Metadata, Unreachable> {
        let current = self.metadata(http).await?;
        let mut cached = self.cached.lock().await;
        let Some(c) = cached.as_mut() else {
            return Ok(current);
        };
        if !always && c.keys_fetched.elapsed() < KEYS_AT_MOST_EVERY {
            return Ok(c.metadata.clone());
        }
        let keys: JsonWebKeySet<CoreJsonWebKey> =
            JsonWebKeySet::fetch_async(c.metadata.jwks_uri(), http)
                .await
                .map_err(|e| Unreachable(format!("signing keys: {}", chain(&e))))?;
        c.metadata = c.metadata.clone().set_jwks(keys);
        c.keys_fetched = Instant::now();
        tracing::info!(provider = %self.config.id, "fetched the provider's signing keys again");
        Ok(c.metadata.clone())
    }

    /// A client for these endpoints, returning to `redirect`, that
    /// authenticates at the token endpoint as configured: the secret in a
    /// header or the body, or (for the JWT methods) no secret at all, the
    /// token request then carrying a client assertion. A secret known to
    /// the library would also let it check HMAC-signed ID tokens; the
    /// algorithm allow-list refuses those before any key is chosen.
    pub fn client(&self, metadata: Metadata, redirect: &str) -> Result<Client, Unreachable> {
        use super::config::ClientAuth;
        use openidconnect::{AuthType, ClientSecret};
        let redirect = RedirectUrl::new(redirect.to_string())
            .map_err(|e| Unreachable(format!("redirect URL: {e}")))?;
        let (secret, auth_type) = match &self.config.auth {
            ClientAuth::SecretBasic(s) => (Some(s.clone()), AuthType::BasicAuth),
            ClientAuth::SecretPost(s) => (Some(s.clone()), AuthType::RequestBody),
            ClientAuth::SecretJwt(_) | ClientAuth::PrivateKeyJwt { .. } => {
                (None, AuthType::RequestBody)
            }
        };
        Ok(CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(self.config.client_id.clone()),
            secret.map(ClientSecret::new),
        )
        .set_redirect_uri(redirect)
        .set_auth_type(auth_type))
    }
}

/// An error and its causes on one line.
pub(crate) fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        out.push_str(": ");
        out.push_str(&c.to_string());
        cause = c.source();
    }
    out
}
