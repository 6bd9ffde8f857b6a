use sea_orm::entity::prelude::*;

/// A completed review of a person's skills profile.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "skills_review")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub person_id: i32,
    pub completed_at: DateTimeUtc,
    /// Levels confirmed as still right.
    pub confirmed: i32,
    /// Levels changed.
    pub changed: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
