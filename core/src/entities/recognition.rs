use sea_orm::entity::prelude::*;

/// A peer endorsement of a skill, or a manager's award, with its message.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "recognition")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// The recipient.
    pub person_id: i32,
    /// "endorsement" or "award".
    pub kind: String,
    pub skill_code: Option<String>,
    pub skill_name: Option<String>,
    pub award_kind_id: Option<i32>,
    pub award_name: Option<String>,
    /// The endorsement's message, or the award's citation.
    pub message: String,
    pub given_by_id: Option<i32>,
    pub given_by_name: String,
    pub created_at: DateTimeUtc,
    pub hidden: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
