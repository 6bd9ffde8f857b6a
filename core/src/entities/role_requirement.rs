use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "role_requirement")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub job_role_id: i32,
    pub skill_code: String,
    pub level: i16,
    pub essential: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
