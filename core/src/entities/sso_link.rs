use sea_orm::entity::prelude::*;

/// An account's identity at a single sign-on provider.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sso_link")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub account_id: i32,
    /// The provider's configured id (`SKILLMAP_OIDC_PROVIDERS`).
    pub provider: String,
    /// The provider's `sub` for this person: stable, never reassigned.
    pub subject: String,
    pub created_at: DateTimeUtc,
    pub last_used_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
