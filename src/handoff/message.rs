//! The handoff message: what the customer is told when a person takes over. Operators write it
//! as a small template that may name the ticket (`{{ticket_id}}`, `{{ticket_url}}`) and the
//! customer (`{{customer_name}}`); a message that names the ticket is sent once the ticket exists.

use handlebars::Handlebars;
use serde::Serialize;

use crate::locale::Locale;

/// What a handoff message may refer to.
#[derive(Debug, Clone, Default, Serialize)]
pub struct MessageVars<'a> {
    /// The customer's name, if known.
    pub customer_name: Option<&'a str>,
    /// The helpdesk's ticket id, once the ticket exists.
    pub ticket_id: Option<&'a str>,
    /// The ticket's link, once the ticket exists and the helpdesk has one.
    pub ticket_url: Option<&'a str>,
}

/// The variables a handoff message may use.
const VARIABLES: [&str; 3] = ["customer_name", "ticket_id", "ticket_url"];

fn engine() -> Handlebars<'static> {
    let mut hb = Handlebars::new();
    hb.register_escape_fn(handlebars::no_escape);
    hb
}

/// Checks that `template` compiles and uses only the known variables.
pub fn check(template: &str) -> Result<(), String> {
    handlebars::Template::compile(template).map_err(|e| format!("not a valid template: {e}"))?;
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let end = after.find("}}").ok_or("an unclosed {{")?;
        let expression = after[..end].trim().trim_start_matches(['#', '/', '^', '~']).trim();
        for word in expression.split_whitespace() {
            let helper = matches!(word, "if" | "unless" | "else" | "with");
            if !helper && !VARIABLES.contains(&word) {
                return Err(format!("unknown variable {word:?}; a handoff message may use {}", VARIABLES.join(", ")));
            }
        }
        rest = &after[end + 2..];
    }
    Ok(())
}

/// Whether the message names the ticket, so it waits until the ticket exists.
pub fn mentions_ticket(template: &str) -> bool {
    template.contains("ticket_id") || template.contains("ticket_url")
}

/// The message for `vars`; falls back to the template text itself if rendering fails (it was
/// checked when saved, so this only guards against stored data from elsewhere).
pub fn render(template: &str, vars: &MessageVars<'_>) -> String {
    engine().render_template(template, vars).map(|s| s.trim().to_owned()).unwrap_or_else(|e| {
        tracing::warn!(error = %e, "a handoff message did not render");
        template.to_owned()
    })
}

/// The message when the channel has none, in the customer's language.
pub fn default_message(locale: Locale) -> &'static str {
    match locale {
        Locale::Ko => "상담원에게 연결해 드릴게요. 잠시만 기다려 주세요.",
        Locale::En => "I'm passing you to a member of our team. Please hold on a moment.",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_may_name_the_ticket_and_the_customer() {
        let template = "{{customer_name}}님, 문의가 접수되었어요.{{#if ticket_id}} 접수 번호: {{ticket_id}}{{/if}}";
        assert_eq!(check(template), Ok(()));
        assert!(mentions_ticket(template));
        let vars = MessageVars { customer_name: Some("김해피"), ticket_id: Some("4512"), ..Default::default() };
        assert_eq!(render(template, &vars), "김해피님, 문의가 접수되었어요. 접수 번호: 4512");
        let none = MessageVars { customer_name: Some("김해피"), ..Default::default() };
        assert_eq!(render(template, &none), "김해피님, 문의가 접수되었어요.");
        assert!(!mentions_ticket("곧 연결해 드릴게요."));
        assert_eq!(render("<b>&</b>", &MessageVars::default()), "<b>&</b>");
    }

    #[test]
    fn unknown_variables_and_broken_templates_are_refused() {
        assert!(check("{{order_number}}").unwrap_err().contains("order_number"));
        assert!(check("{{#if ticket_id}}open").is_err());
        assert!(check("plain text").is_ok());
    }
}
