use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "framework_draft")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// The validated document, as exchange-format JSON.
    pub document: String,
    pub source_name: String,
    /// Account that uploaded it.
    pub created_by: i32,
    pub created_at: DateTimeUtc,
    /// Set once published.
    pub published_version: Option<i32>,
    /// Which framework it would be the next version of: None the shared
    /// one, an organisation's id its own skills.
    pub organisation_id: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
