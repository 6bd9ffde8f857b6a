use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "org_unit")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// The organisation (tenant) the unit belongs to.
    pub organisation_id: i32,
    pub parent_id: Option<i32>,
    #[sea_orm(unique)]
    pub code: String,
    pub name: String,
    /// "trust", "directorate" or "team".
    pub kind: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
