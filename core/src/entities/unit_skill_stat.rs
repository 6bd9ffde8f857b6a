use sea_orm::entity::prelude::*;

/// One org unit's own members and one skill (see the capability_summary
/// migration).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "unit_skill_stat")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub org_unit_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub skill_code: String,
    pub assessed: i32,
    pub agreed: i32,
    pub required: i32,
    pub meeting: i32,
    pub l0: i32,
    pub l1: i32,
    pub l2: i32,
    pub l3: i32,
    pub l4: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
