//! A verdict: what the page tells its reader. A headline, a few sentences in plain words, the
//! list of checks with what became of each, and the recorded facts, all as one JSON object the
//! page shows as text (never as HTML).

use serde::Serialize;

/// What became of one check.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// It was made and held.
    Passed,
    /// It was made and did not hold: the verdict names it.
    Failed,
    /// An earlier check failed, so it was not made.
    NotReached,
    /// It could not be made (nothing to check it with, or not supported yet); the detail says why.
    NotChecked,
}

/// One check, in the order they are made.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Check {
    /// A stable name for scripts and tests.
    pub id: &'static str,
    /// What it checks, in plain words.
    pub label: &'static str,
    /// What became of it.
    pub status: Status,
    /// The technical detail, when there is one.
    pub detail: String,
}

/// The whole answer of a verification.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Verdict {
    /// Whether everything that was checked held.
    pub ok: bool,
    /// The id of the check that failed, if one did.
    pub failed: Option<&'static str>,
    /// One sentence: what was proven, or what is wrong.
    pub headline: String,
    /// Further sentences, in plain words.
    pub explanation: Vec<String>,
    /// Things the reader must know even when the verdict is good (checks not made).
    pub warnings: Vec<String>,
    /// Every check, in order.
    pub checks: Vec<Check>,
    /// The recorded facts, as (label, value) pairs for a table.
    pub facts: Vec<(String, String)>,
}

/// The checks of one verification, all `NotReached` until made.
pub struct Checks {
    checks: Vec<Check>,
}

/// A failure: which check, the headline and the sentences that explain it.
pub struct Failure {
    /// The id of the failed check.
    pub id: &'static str,
    /// What is wrong, in one sentence.
    pub headline: String,
    /// Why, and what to do.
    pub explanation: Vec<String>,
    /// The technical detail.
    pub detail: String,
}

impl Failure {
    /// A failure of check `id`.
    pub fn new(id: &'static str, headline: impl Into<String>, detail: impl ToString) -> Self {
        Failure {
            id,
            headline: headline.into(),
            explanation: Vec::new(),
            detail: detail.to_string(),
        }
    }

    /// Adds a sentence.
    pub fn because(mut self, sentence: impl Into<String>) -> Self {
        self.explanation.push(sentence.into());
        self
    }
}

impl Checks {
    /// The checks `(id, label)` in the order they will be made.
    pub fn new(plan: &[(&'static str, &'static str)]) -> Self {
        Checks {
            checks: plan
                .iter()
                .map(|(id, label)| Check {
                    id,
                    label,
                    status: Status::NotReached,
                    detail: String::new(),
                })
                .collect(),
        }
    }

    fn set(&mut self, id: &str, status: Status, detail: String) {
        if let Some(c) = self.checks.iter_mut().find(|c| c.id == id) {
            c.status = status;
            c.detail = detail;
        }
    }

    /// Marks `id` as passed.
    pub fn pass(&mut self, id: &str, detail: impl Into<String>) {
        self.set(id, Status::Passed, detail.into());
    }

    /// Marks `id` as not checked, with why.
    pub fn not_checked(&mut self, id: &str, why: impl Into<String>) {
        self.set(id, Status::NotChecked, why.into());
    }

    /// The verdict of a failure; the checks after it stay `NotReached`.
    pub fn fail(mut self, f: Failure, facts: Vec<(String, String)>) -> Verdict {
        self.set(f.id, Status::Failed, f.detail.clone());
        let mut explanation = f.explanation;
        if !f.detail.is_empty() {
            explanation.push(format!("Technical detail: {}.", f.detail));
        }
        Verdict {
            ok: false,
            failed: Some(f.id),
            headline: f.headline,
            explanation,
            warnings: Vec::new(),
            checks: self.checks,
            facts,
        }
    }

    /// The verdict when every check made held.
    pub fn proven(
        self,
        headline: String,
        explanation: Vec<String>,
        warnings: Vec<String>,
        facts: Vec<(String, String)>,
    ) -> Verdict {
        Verdict {
            ok: true,
            failed: None,
            headline,
            explanation,
            warnings,
            checks: self.checks,
            facts,
        }
    }
}

impl Verdict {
    /// The verdict as one JSON object, for the page.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|e| {
            format!(r#"{{"ok":false,"failed":"internal","headline":"internal error: {e}"}}"#)
        })
    }
}
