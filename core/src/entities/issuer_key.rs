use sea_orm::entity::prelude::*;

/// An Ed25519 key the organisation signs badges with (see the badges
/// migration). The private half never leaves the server.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "issuer_key")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub kid: String,
    pub public_key: String,
    pub private_key: String,
    pub created_at: DateTimeUtc,
    /// Whose key: none for the deployment's first issuer (`/issuer`),
    /// whose keys signed the credentials made before organisations had
    /// issuers of their own.
    pub organisation_id: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
