use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "assessment")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub person_id: i32,
    pub skill_code: String,
    /// The framework version the person assessed against.
    pub framework_version: i32,
    pub self_level: i16,
    pub confidence: Option<i16>,
    pub evidence: String,
    pub evidence_url: Option<String>,
    pub agreed_level: Option<i16>,
    /// "pending" or "agreed".
    pub status: String,
    pub manager_comment: Option<String>,
    pub reviewed_by: Option<i32>,
    pub reviewed_at: Option<DateTimeUtc>,
    /// Bumped by every write; a write that names an older revision is refused.
    pub revision: i32,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
