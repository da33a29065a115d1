//! Routes: the skill catalogue, as operators choose from it per channel.

use aide::axum::ApiRouter;
use aide::axum::routing::get_with;
use axum::Json;
use axum::extract::State;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::error::ApiError;
use super::extract::{ApiQuery, Operator};
use super::{ApiResult, AppState};
use crate::accounts::Permission;
use crate::channels::ChannelKind;
use crate::skills::{Localized, Prerequisite, Skill};

/// How many example utterances per language a listing shows.
const EXAMPLES_SHOWN: usize = 3;

/// `GET /v1/skills` filters.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct SkillQuery {
    /// Only the skills that run on this channel: `webchat` or `sms`.
    #[schemars(with = "Option<ChannelKind>")]
    channel: Option<String>,
}

/// The skills, in catalogue order.
#[derive(Serialize, JsonSchema)]
struct SkillList {
    skills: Vec<SkillView>,
}

/// A skill as an operator picks it.
#[derive(Serialize, JsonSchema)]
struct SkillView {
    /// The id channel settings enable (`skills`).
    id: String,
    /// Display name.
    name: Localized,
    /// One sentence on what it does.
    description: Localized,
    /// Channels it can run on.
    channels: Vec<ChannelKind>,
    /// What must be configured before it can be enabled.
    prerequisites: Vec<Prerequisite>,
    /// The prerequisites this deployment does not meet, with what is missing in plain words;
    /// while any is listed, enabling the skill leaves the checklist's `skills` item open.
    unmet: Vec<Unmet>,
    /// A few of the things customers say that it answers.
    examples: Examples,
}

/// A prerequisite that is not met.
#[derive(Serialize, JsonSchema)]
struct Unmet {
    /// Which prerequisite.
    prerequisite: Prerequisite,
    /// What is missing.
    detail: String,
}

/// A few example utterances per language.
#[derive(Serialize, JsonSchema)]
struct Examples {
    /// Korean.
    ko: Vec<String>,
    /// English.
    en: Vec<String>,
}

fn view(skill: &Skill, s: &AppState) -> SkillView {
    let unmet = skill
        .prerequisites
        .iter()
        .filter_map(|p| {
            s.capabilities.unmet(*p).map(|detail| Unmet { prerequisite: *p, detail: format!("needs {detail}") })
        })
        .collect();
    let few = |all: &[String]| all.iter().take(EXAMPLES_SHOWN).cloned().collect();
    SkillView {
        id: skill.id.clone(),
        name: skill.name.clone(),
        description: skill.description.clone(),
        channels: skill.channels.clone(),
        prerequisites: skill.prerequisites.clone(),
        unmet,
        examples: Examples { ko: few(&skill.examples.ko), en: few(&skill.examples.en) },
    }
}

async fn list(
    State(s): State<AppState>,
    op: Operator,
    ApiQuery(q): ApiQuery<SkillQuery>,
) -> ApiResult<Json<SkillList>> {
    op.principal.require(Permission::OperateChannels).map_err(ApiError::from)?;
    let channel = q
        .channel
        .map(|c| {
            ChannelKind::parse(&c)
                .ok_or_else(|| ApiError::not_found(format!("no channel {c:?}; channels are webchat and sms")))
        })
        .transpose()?;
    let skills = s
        .catalog
        .iter()
        .filter(|skill| channel.is_none_or(|c| skill.channels.contains(&c)))
        .map(|k| view(k, &s))
        .collect();
    Ok(Json(SkillList { skills }))
}

/// The skill catalogue route.
pub fn routes() -> ApiRouter<AppState> {
    ApiRouter::new().api_route(
        "/v1/skills",
        get_with(list, |op| {
            op.tag("channels").summary("The skills a channel can enable, with their prerequisites").description(
                "`?channel=webchat|sms` lists only the skills that run there. `unmet` names the prerequisites this \
                 deployment lacks (a commerce integration, knowledge articles): such a skill can be switched on, \
                 but the checklist's `skills` item stays open until they are met.",
            )
        }),
    )
}
