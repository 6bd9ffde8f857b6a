use sea_orm::entity::prelude::*;

/// One resource in the learning catalogue (see the learning migration).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "learning_resource")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub code: String,
    pub title: String,
    pub provider: String,
    pub url: Option<String>,
    pub format: String,
    pub minutes: i32,
    pub cost_pence: i32,
    pub description: String,
    pub retired: bool,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
