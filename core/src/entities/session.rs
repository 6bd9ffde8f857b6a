use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "session")]
pub struct Model {
    /// Hex SHA-256 of the token in the cookie, never the token itself.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub account_id: i32,
    pub created_at: DateTimeUtc,
    pub last_seen_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    /// For a session begun by single sign-on: the provider's configured id,
    /// the person's subject there, the provider's session id (`sid`, for
    /// back-channel logout) and the ID token (the hint for RP-initiated
    /// logout).
    pub sso_provider: Option<String>,
    pub sso_subject: Option<String>,
    pub sso_sid: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub sso_id_token: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
