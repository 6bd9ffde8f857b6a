use sea_orm::entity::prelude::*;

/// A person's move from one organisation of the system to another (the
/// transfer HR of their old organisation does).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "person_move")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub person_id: i32,
    pub from_organisation_id: i32,
    pub to_organisation_id: i32,
    pub moved_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
