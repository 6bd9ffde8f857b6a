use sea_orm::entity::prelude::*;

/// A single sign-on under way: made when the browser is sent to the
/// provider, taken (deleted) when it comes back.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sso_login")]
pub struct Model {
    /// Hex SHA-256 of the `state` sent to the provider.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub provider: String,
    /// Hex SHA-256 of the browser-binding cookie set when it began.
    pub browser: String,
    pub nonce: String,
    pub pkce_verifier: String,
    /// Where to go once signed in (a local path).
    pub next: String,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
