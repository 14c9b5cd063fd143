//! User rules (`--rules FILE`): match findings by the function, file, state
//! or creator of their goroutines and mark them benign or change their
//! severity. The format is TOML, documented in docs/rules.md:
//!
//! ```toml
//! [[rule]]
//! name = "metrics flusher parks on purpose"
//! function = '^example\.com/shop/metrics\.'
//! action = "benign"
//!
//! [[rule]]
//! name = "payment locks matter"
//! creator = 'payments'
//! finding = '^sync\.lock-convoy$'
//! action = "severity"
//! severity = "critical"
//! ```

use crate::analyze::finding::{Finding, Kind, Severity};
use crate::model::Snapshot;
use regex::Regex;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    rule: Vec<RawRule>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    name: String,
    function: Option<String>,
    file: Option<String>,
    state: Option<String>,
    creator: Option<String>,
    finding: Option<String>,
    action: String,
    severity: Option<String>,
}

#[derive(Debug, Clone)]
enum Action {
    Benign,
    Severity(Severity),
}

#[derive(Debug, Clone)]
struct UserRule {
    name: String,
    function: Option<Regex>,
    file: Option<Regex>,
    state: Option<Regex>,
    creator: Option<Regex>,
    finding: Option<Regex>,
    action: Action,
}

/// A loaded rules file (empty when none was given).
#[derive(Debug, Clone, Default)]
pub struct UserRules {
    rules: Vec<UserRule>,
}

/// Rules files larger than this are refused.
const MAX_RULES_FILE: usize = 1 << 20;

impl UserRules {
    /// Parses a rules file; the error names the rule and the field.
    pub fn parse(text: &str) -> Result<UserRules, String> {
        if text.len() > MAX_RULES_FILE {
            return Err(format!("rules file is larger than {MAX_RULES_FILE} bytes"));
        }
        let file: File = toml::from_str(text).map_err(|e| e.to_string())?;
        let mut rules = Vec::new();
        for (i, r) in file.rule.into_iter().enumerate() {
            let at = format!("rule {} ({:?})", i + 1, r.name);
            let re = |field: &str, v: &Option<String>| -> Result<Option<Regex>, String> {
                v.as_deref()
                    .map(|severity| {
                        Regex::new(severity)
                            .map_err(|e| format!("{at}: `{field}` is not a valid regex: {e}"))
                    })
                    .transpose()
            };
            let action = match r.action.as_str() {
                "benign" => Action::Benign,
                "severity" => {
                    let severity = r
                        .severity
                        .as_deref()
                        .ok_or_else(|| format!("{at}: action \"severity\" needs `severity`"))?;
                    Action::Severity(severity.parse::<Severity>().map_err(|_| {
                        format!(
                            "{at}: severity {severity:?} is not one of info, low, medium, high, critical"
                        )
                    })?)
                }
                other => {
                    return Err(format!(
                        "{at}: action {other:?} is not \"benign\" or \"severity\""
                    ))
                }
            };
            let rule = UserRule {
                function: re("function", &r.function)?,
                file: re("file", &r.file)?,
                state: re("state", &r.state)?,
                creator: re("creator", &r.creator)?,
                finding: re("finding", &r.finding)?,
                name: r.name,
                action,
            };
            if rule.function.is_none()
                && rule.file.is_none()
                && rule.state.is_none()
                && rule.creator.is_none()
                && rule.finding.is_none()
            {
                return Err(format!(
                    "{at}: give at least one of function, file, state, creator, finding"
                ));
            }
            rules.push(rule);
        }
        Ok(UserRules { rules })
    }

    /// Whether the file held no rule.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Applies the first matching rule to each finding.
    pub fn apply(&self, snap: &Snapshot, findings: &mut [Finding]) {
        if self.rules.is_empty() {
            return;
        }
        for f in findings.iter_mut() {
            let Some(r) = self.rules.iter().find(|r| r.matches(snap, f)) else {
                continue;
            };
            match r.action {
                Action::Benign => {
                    f.kind = Kind::Benign;
                    f.severity = Severity::Info;
                }
                Action::Severity(s) => f.severity = s,
            }
            f.evidence.push(format!("user rule {:?} applied", r.name));
            f.user_rule = Some(r.name.clone());
        }
    }
}

impl UserRule {
    fn matches(&self, snap: &Snapshot, f: &Finding) -> bool {
        if let Some(re) = &self.finding {
            if !re.is_match(f.rule.id) {
                return false;
            }
        }
        let Some(&ti) = f.tasks.first() else {
            return self.function.is_none()
                && self.file.is_none()
                && self.state.is_none()
                && self.creator.is_none();
        };
        let task = &snap.tasks[ti as usize];
        let tables = &snap.tables;
        if let Some(re) = &self.state {
            if !re.is_match(snap.state(task)) {
                return false;
            }
        }
        let frames = &tables.stack(task.stack).frames;
        if let Some(re) = &self.function {
            if !frames
                .iter()
                .any(|fr| re.is_match(tables.func_name(tables.frame(*fr).function)))
            {
                return false;
            }
        }
        if let Some(re) = &self.file {
            if !frames
                .iter()
                .any(|fr| re.is_match(tables.str(tables.frame(*fr).file)))
            {
                return false;
            }
        }
        if let Some(re) = &self.creator {
            let Some(c) = task.creator else { return false };
            let fr = tables.frame(c);
            if !re.is_match(tables.func_name(fr.function)) && !re.is_match(tables.str(fr.file)) {
                return false;
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_reports_errors_with_the_rule() {
        let ok = UserRules::parse(
            "[[rule]]\nname = \"a\"\nfunction = 'x'\naction = \"benign\"\n[[rule]]\nname = \"b\"\nfinding = '^sync'\naction = \"severity\"\nseverity = \"high\"\n",
        )
        .unwrap();
        assert_eq!(ok.rules.len(), 2);
        let error =
            UserRules::parse("[[rule]]\nname = \"a\"\nfunction = '('\naction = \"benign\"\n")
                .unwrap_err();
        assert!(
            error.contains("rule 1") && error.contains("function"),
            "{error}"
        );
        let error = UserRules::parse("[[rule]]\nname = \"a\"\naction = \"benign\"\n").unwrap_err();
        assert!(error.contains("at least one"), "{error}");
        let error = UserRules::parse(
            "[[rule]]\nname = \"a\"\nstate='x'\naction = \"severity\"\nseverity=\"huge\"\n",
        )
        .unwrap_err();
        assert!(error.contains("huge"), "{error}");
        assert!(UserRules::parse("[[rule]\n").is_err());
    }
}
