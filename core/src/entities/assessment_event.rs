use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "assessment_event")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub assessment_id: i32,
    pub person_id: i32,
    pub skill_code: String,
    pub actor_person_id: Option<i32>,
    pub actor_name: String,
    /// "self", "agreed" or "changed".
    pub kind: String,
    pub from_level: Option<i16>,
    pub to_level: i16,
    pub comment: Option<String>,
    pub at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
