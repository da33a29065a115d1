//! Tags, flag and customer grade: what counselors note on a room and its customer.

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer};
use serde_json::json;

use super::{CounselorError, Counselors, Result, entry, require, unchanged};
use crate::accounts::{Permission, Principal};
use crate::ids::RoomId;
use crate::rooms::Room;
use crate::rooms::queue::RoomEventKind;

/// At most this many tags on a room or a customer.
pub const MAX_TAGS: usize = 20;
/// Longest tag, in characters.
pub const MAX_TAG_CHARS: usize = 50;

/// Body of `PATCH /v1/rooms/{id}`: absent fields stay (at least one must be given);
/// `customer_grade: null` clears the grade.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(extend("minProperties" = 1))]
pub struct RoomPatch {
    /// Room tags; replaces the list (at most 20, each 1–50 printable characters, not blank;
    /// trimmed, repeats dropped).
    #[serde(default, deserialize_with = "given")]
    #[schemars(
        with = "Vec<String>",
        length(max = MAX_TAGS),
        inner(length(max = MAX_TAG_CHARS), regex(pattern = crate::text::LINE_PATTERN))
    )]
    pub tags: Option<Vec<String>>,
    /// Marks the room with a flag, or removes it.
    #[serde(default, deserialize_with = "given")]
    #[schemars(with = "bool")]
    pub flagged: Option<bool>,
    /// The customer's grade (e.g. `VIP`, 1–50 printable characters, not blank); `null` clears it.
    #[serde(default, deserialize_with = "nullable")]
    #[schemars(with = "Option<String>", length(max = MAX_TAG_CHARS), regex(pattern = crate::text::LINE_PATTERN))]
    pub customer_grade: Option<Option<String>>,
    /// The customer's tags; replaces the list (at most 20, each 1–50 printable characters, not
    /// blank; trimmed, repeats dropped).
    #[serde(default, deserialize_with = "given")]
    #[schemars(
        with = "Vec<String>",
        length(max = MAX_TAGS),
        inner(length(max = MAX_TAG_CHARS), regex(pattern = crate::text::LINE_PATTERN))
    )]
    pub customer_tags: Option<Vec<String>>,
}

/// A field that, when present, holds a value: `null` is refused rather than read as absent.
fn given<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> std::result::Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

fn nullable<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> std::result::Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

impl Counselors<'_> {
    /// Changes the room's tags and flag and its customer's grade and tags.
    #[tracing::instrument(skip_all, fields(workspace = %caller.workspace_id, room = %id))]
    pub async fn edit(&self, caller: &Principal, id: RoomId, patch: RoomPatch) -> Result<Room> {
        require(caller, Permission::WorkRooms)?;
        let tags = patch.tags.as_deref().map(|t| valid_tags("tags", t)).transpose()?;
        let customer_tags = patch.customer_tags.as_deref().map(|t| valid_tags("customer_tags", t)).transpose()?;
        let grade = patch.customer_grade.clone().map(|g| g.map(|g| valid_grade(&g)).transpose()).transpose()?;
        if tags.is_none() && customer_tags.is_none() && grade.is_none() && patch.flagged.is_none() {
            return Err(CounselorError::Invalid(
                "give at least one of tags, flagged, customer_grade or customer_tags".into(),
            ));
        }
        let now = self.clock.now();
        let me = caller.account_id;
        let detail = json!({
            "tags": tags, "flagged": patch.flagged, "customer_grade": grade, "customer_tags": customer_tags,
        });
        let detail: serde_json::Map<_, _> = detail
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let (room, _) = self
            .act(caller, id, |room, actor| {
                actor.working()?;
                let mut u = unchanged(room);
                u.tags = tags.clone();
                u.customer_tags = customer_tags.clone();
                u.customer_grade = grade.clone();
                if let Some(flagged) = patch.flagged {
                    u.state.flagged = flagged;
                }
                u.event = Some(entry(RoomEventKind::Edited, Some(me), None, detail.clone().into(), now));
                Ok(Some(u))
            })
            .await?;
        Ok(room)
    }
}

/// Tags as sent: at most 20, each 1–50 printable characters and not blank; stored trimmed, with
/// repeats dropped.
pub fn valid_tags(field: &str, tags: &[String]) -> Result<Vec<String>> {
    if tags.len() > MAX_TAGS {
        return Err(CounselorError::Invalid(format!("{field}: at most {MAX_TAGS} tags")));
    }
    let mut out: Vec<String> = Vec::new();
    for tag in tags {
        if tag.chars().count() > MAX_TAG_CHARS || !crate::text::is_line(tag) {
            return Err(CounselorError::Invalid(format!(
                "{field}: each tag is 1 to {MAX_TAG_CHARS} printable characters; {:?} is not",
                tag.trim()
            )));
        }
        let tag = tag.trim();
        if !out.iter().any(|t| t == tag) {
            out.push(tag.to_owned());
        }
    }
    Ok(out)
}

fn valid_grade(grade: &str) -> Result<String> {
    if grade.chars().count() > MAX_TAG_CHARS || !crate::text::is_line(grade) {
        return Err(CounselorError::Invalid(format!(
            "customer_grade: give 1 to {MAX_TAG_CHARS} printable characters, or null to clear it"
        )));
    }
    Ok(grade.trim().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_trimmed_bounded_and_deduplicated() {
        let tags = |t: &[&str]| valid_tags("tags", &t.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(tags(&[" 배송 ", "배송", "VIP"]).unwrap(), ["배송", "VIP"]);
        assert!(tags(&[""]).is_err());
        assert!(tags(&[&"가".repeat(51)]).is_err());
        let many: Vec<String> = (0..21).map(|i| format!("t{i}")).collect();
        assert!(valid_tags("tags", &many).unwrap_err().to_string().contains("at most 20"));
        assert!(valid_grade(" VIP ").is_ok() && valid_grade(" ").is_err());
    }
}
