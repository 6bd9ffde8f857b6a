use sea_orm::entity::prelude::*;

/// One org unit's own members of one staff group and band, and where they
/// stand (see the unit_head_count migration).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "unit_head_count")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub org_unit_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub staff_group: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub band: String,
    pub people: i32,
    pub leaders: i32,
    pub near: i32,
    pub interested: i32,
    pub below: i32,
    pub working: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
