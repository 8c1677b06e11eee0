//! The lines `prov check` and `prov show` print for people, made from the very objects their
//! `--json` prints and the ledger server answers ([`crate::Checked`], [`crate::entry_json`]
//! with the story of [`crate::story::Told::json_into`]). A command on a local ledger and the
//! same command through a server (`prov --server URL check|show`) therefore print the same
//! lines: both make them here, from the same object.
//!
//! Every text that came from outside (sources, names, reasons, relations) is escaped for a
//! terminal ([`crate::escape`]).

use crate::escape;
use crate::fields::count;
use serde_json::Value;

fn text(v: &Value) -> String {
    escape::text(v.as_str().unwrap_or_default())
}

/// A number shown as it is, or nothing for a missing one.
fn num(v: &Value) -> String {
    v.as_u64().map(|n| n.to_string()).unwrap_or_default()
}

/// The exact bytes of an object's name: `name_hex` when the name is not UTF-8, else `name`.
fn name_bytes(o: &Value) -> Option<Vec<u8>> {
    if let Some(b) = o["name_hex"].as_str().and_then(|h| hex::decode(h).ok()) {
        return Some(b);
    }
    o["name"].as_str().map(|n| n.as_bytes().to_vec())
}

/// How an entry is named where it was found: its name, else its part, else `(no name)`.
fn place(o: &Value) -> String {
    match (name_bytes(o), o["part"].as_str()) {
        (Some(n), _) => escape::bytes(&n),
        (None, Some(part)) => format!("part {}", escape::text(part)),
        (None, None) => "(no name)".to_string(),
    }
}

/// A chain of containers (the `containers` of a sighting), innermost first: `in
/// mailboxes/a/0001.eml (entry 9) in EMLEAKS-3.zip (entry 0, from 4chan mirror at ...)`.
fn containers(chain: &Value) -> Option<String> {
    let chain = chain.as_array()?;
    let last = chain.last()?;
    let mut s = String::new();
    for c in chain {
        s.push_str(&format!("in {} (entry {}", place(c), num(&c["seq"])));
        if c["seq"] == last["seq"] {
            s.push_str(&format!(
                ", from {} at {}",
                text(&c["source"]),
                text(&c["time"])
            ));
            if let Some(first) = c["first_seen_seq"].as_u64() {
                s.push_str(&format!("; first seen in entry {first}"));
            }
        }
        s.push_str(") ");
    }
    Some(s.trim_end().to_string())
}

/// An independent bound (`independent_bound`) in words.
fn bound(b: &Value) -> String {
    if b["kind"] == "timestamp" {
        format!(
            "independently bounded: committed before {} per TSA {} (checkpoint size {})",
            text(&b["time"]),
            text(&b["by"]),
            num(&b["checkpoint_size"])
        )
    } else {
        format!(
            "independently bounded: cosigned by {} at {} (checkpoint size {})",
            text(&b["by"]),
            text(&b["time"]),
            num(&b["checkpoint_size"])
        )
    }
}

/// A claim on one line, from what [`crate::claim_json`] gives and the claim's time:
/// `forged, by X (recorded by AGENT), at TIME: "REASON"; evidence entries 3, 4`.
pub fn claim_text(c: &Value, time: &str) -> String {
    let recorder = match c["recorded_by"].as_str() {
        Some(a) if Some(a) != c["by"].as_str() => format!(" (recorded by {})", escape::text(a)),
        _ => String::new(),
    };
    let mut s = format!(
        "{}, by {}{recorder}, at {time}",
        text(&c["verdict"]),
        text(&c["by"])
    );
    if let Some(r) = c["reason"].as_str() {
        s += &format!(": \"{}\"", escape::text(r));
    }
    let ev: Vec<String> = c["evidence"]
        .as_array()
        .into_iter()
        .flatten()
        .map(num)
        .collect();
    if !ev.is_empty() {
        s += &format!(
            "; evidence {} {}",
            if ev.len() == 1 { "entry" } else { "entries" },
            ev.join(", ")
        );
    }
    s
}

/// For a `similar_to` link, its distance and the fingerprint that gave it: ` (distance 12
/// by text)`.
fn similarity(link: &Value) -> String {
    if link["relation"] != prov_ledger::SIMILAR_TO {
        return String::new();
    }
    let shown = |v: &Value| match v {
        Value::String(s) => escape::text(s),
        Value::Number(n) => n.to_string(),
        _ => String::new(),
    };
    match (&link["distance"], &link["fingerprint"]) {
        (Value::Null, _) => String::new(),
        (d, Value::Null) => format!(" (distance {})", shown(d)),
        (d, by) => format!(" (distance {} by {})", shown(d), shown(by)),
    }
}

/// The story lines (indented by the caller): each claim and its retraction, each link the
/// entries make (`related`: `seq`, `relation`, `to`; their containers are said apart), each
/// link to them (`linked_from`; the members found in them counted, not listed).
fn told(claims: &Value, related: &[Value], linked_from: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for c in claims.as_array().into_iter().flatten() {
        out.push(format!(
            "claim     {} (entry {}, about entry {})",
            claim_text(c, c["time"].as_str().unwrap_or_default()),
            num(&c["seq"]),
            num(&c["about"])
        ));
        // The claimant's further metadata (`--meta`), on one line.
        let meta: Vec<String> = c["metadata"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, v)| format!("{}={}", escape::text(k), text(v)))
            .collect();
        if !meta.is_empty() {
            out.push(format!("          meta      {}", meta.join("; ")));
        }
        out.extend(retraction_line(c));
    }
    for r in related
        .iter()
        .filter(|r| r["relation"] != prov_ledger::CONTAINED_IN)
    {
        out.push(format!(
            "related   entry {} is {} entry {}{}",
            num(&r["seq"]),
            text(&r["relation"]),
            num(&r["to"]),
            similarity(r)
        ));
    }
    let links: &[Value] = linked_from.as_array().map_or(&[], Vec::as_slice);
    let members: Vec<String> = links
        .iter()
        .filter(|l| l["relation"] == prov_ledger::CONTAINED_IN)
        .map(|l| num(&l["seq"]))
        .collect();
    if let (Some(first), Some(last)) = (members.first(), members.last()) {
        out.push(format!(
            "contains  {} recorded (entries {first} to {last}; `--json` lists them)",
            count(members.len() as u64, "member", "members")
        ));
    }
    for l in links
        .iter()
        .filter(|l| l["relation"] != prov_ledger::CONTAINED_IN)
    {
        let what = match (name_bytes(l), l["kind"].as_str()) {
            (_, Some("claim")) => format!(
                "a claim ({})",
                claim_text(&l["claim"], l["time"].as_str().unwrap_or_default())
            ),
            (Some(n), _) => escape::bytes(&n),
            (None, _) => format!(
                "sha256 {}",
                l["sha256"]
                    .as_str()
                    .unwrap_or_default()
                    .get(..16)
                    .unwrap_or_default()
            ),
        };
        out.push(format!(
            "linked    entry {} {what} is {} entry {}{}",
            num(&l["seq"]),
            text(&l["relation"]),
            num(&l["to"]),
            similarity(l)
        ));
        out.extend(retraction_line(&l["claim"]));
    }
    out
}

/// A claim's retraction, from its `retracted_by` (null when none), under its line:
/// `retracted by X at TIME (entry N): "REASON"`.
fn retraction_line(claim: &Value) -> Option<String> {
    let r = &claim["retracted_by"];
    (!r.is_null()).then(|| {
        format!(
            "          retracted by {} at {} (entry {}){}",
            text(&r["by"]),
            text(&r["time"]),
            num(&r["seq"]),
            r["reason"]
                .as_str()
                .map(|s| format!(": \"{}\"", escape::text(s)))
                .unwrap_or_default()
        )
    })
}

/// The lines of `prov check` for a known document, from its `check --json` object; `shown`
/// is how the document is named (its path, escaped, or `sha256:HEX`).
pub fn check_lines(v: &Value, shown: &str) -> Vec<String> {
    let f = &v["first_seen"];
    let mut out = vec![format!(
        "known    {shown}  first seen {} from {} (entry {})",
        text(&f["time"]),
        text(&f["source"]),
        num(&f["seq"])
    )];
    if let Some(t) = containers(&f["containers"]) {
        out.push(format!("           as {} {t}", place(f)));
    }
    if !v["independent_bound"].is_null() {
        out.push(format!("           {}", bound(&v["independent_bound"])));
    }
    for s in v["sightings"].as_array().into_iter().flatten() {
        out.push(format!(
            "         seen again {} from {} (entry {})",
            text(&s["time"]),
            text(&s["source"]),
            num(&s["seq"])
        ));
        if let Some(t) = containers(&s["containers"]) {
            out.push(format!("           as {} {t}", place(s)));
        }
    }
    let related: &[Value] = v["related"].as_array().map_or(&[], Vec::as_slice);
    for line in told(&v["claims"], related, &v["linked_from"]) {
        out.push(format!("         {line}"));
    }
    out
}

/// What `prov show` prints for one entry, from its `show --json` object: the entry, field
/// by field, then its story indented.
pub fn show_text(v: &Value) -> String {
    let kind = match v["kind"].as_str() {
        Some("first_seen") => "first seen".to_owned(),
        Some("sighting") => format!("sighting of entry {}", num(&v["first_seen_seq"])),
        _ => format!(
            "claim: {} about entry {}",
            text(&v["claim"]["verdict"]),
            num(&v["claim"]["about"])
        ),
    };
    let mut s = format!(
        "entry {}\n  kind        {kind}\n  recorded    {}\n  sha256      {}\n  size        {}\n  {}      {}\n",
        num(&v["seq"]),
        text(&v["time"]),
        text(&v["sha256"]),
        count(v["size"].as_u64().unwrap_or_default(), "byte", "bytes"),
        if v["kind"] == "claim" {
            "by    "
        } else {
            "source"
        },
        text(&v["source"])
    );
    if let Some(n) = name_bytes(v) {
        s += &format!("  name        {}\n", escape::bytes(&n));
    }
    if let Some(m) = v["media_type"].as_str() {
        s += &format!("  media type  {}\n", escape::text(m));
    }
    if let Some(a) = v["agent"].as_str() {
        s += &format!("  agent       {}\n", escape::text(a));
    }
    for (k, d) in v["digests"].as_object().into_iter().flatten() {
        s += &format!("  {:<11} {}\n", escape::text(k), text(d));
    }
    let mut metadata: Vec<_> = v["metadata"].as_object().into_iter().flatten().collect();
    metadata.sort_by(|a, b| counted(a.0, b.0));
    for (k, m) in metadata {
        s += &format!("  meta        {}={}\n", escape::text(k), text(m));
    }
    let own: Vec<&Value> = v["related"].as_array().into_iter().flatten().collect();
    for r in &own {
        s += &format!(
            "  related     {} entry {}\n",
            text(&r["relation"]),
            num(&r["seq"])
        );
    }
    s += &format!(
        "  leaf hash   {}",
        v["leaf_hash"].as_str().unwrap_or("(none)")
    );
    // The entry's own links in the story's form, with a look-alike's distance from its
    // metadata.
    let related: Vec<Value> = own
        .iter()
        .map(|r| {
            let mut o =
                serde_json::json!({"seq": v["seq"], "relation": r["relation"], "to": r["seq"]});
            crate::story::similarity_into(&mut o, &v["metadata"]);
            o
        })
        .collect();
    for line in told(&v["claims"], &related, &v["linked_from"]) {
        s += &format!("\n  {line}");
    }
    s
}

/// Keys in the order people count: byte by byte, but a run of digits against a run of
/// digits by its value (`x.2` before `x.10`). An entry signs its metadata in byte order
/// (FORMAT.md), where `container.not_recorded.10` comes before `.2`.
fn counted(a: &str, b: &str) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let digits =
        |s: &[u8], from: usize| from + s[from..].iter().take_while(|c| c.is_ascii_digit()).count();
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        if a[i].is_ascii_digit() && b[j].is_ascii_digit() {
            let (ei, ej) = (digits(a, i), digits(b, j));
            // By value: without leading zeros, the longer run is the larger number.
            let (x, y) = (without_zeros(&a[i..ei]), without_zeros(&b[j..ej]));
            let by_value = x.len().cmp(&y.len()).then_with(|| x.cmp(y));
            if by_value != Ordering::Equal {
                return by_value;
            }
            (i, j) = (ei, ej);
            continue;
        }
        if a[i] != b[j] {
            return a[i].cmp(&b[j]);
        }
        (i, j) = (i + 1, j + 1);
    }
    // Equal so far: the shorter first, then bytes (`x.01` and `x.1` are not the same key).
    (a.len() - i).cmp(&(b.len() - j)).then_with(|| a.cmp(b))
}

/// A run of digits without its leading zeros.
fn without_zeros(run: &[u8]) -> &[u8] {
    let zeros = run.iter().take_while(|&&c| c == b'0').count();
    &run[zeros..]
}

#[cfg(test)]
mod tests {
    #[test]
    fn keys_sort_as_people_count() {
        let mut keys = vec![
            "container.not_recorded.10",
            "container.not_recorded",
            "container.not_recorded.2",
            "archive.mtime",
            "container.not_recorded.1",
            "a0",
            "a-1",
            "a.b",
            "a_2",
            "a10",
            "a2",
            "n.99999999999999999999999",
            "n.100000000000000000000000",
            "n.01",
            "n.1",
        ];
        keys.sort_by(|a, b| super::counted(a, b));
        assert_eq!(
            keys,
            [
                "a-1",
                "a.b",
                "a0",
                "a2",
                "a10",
                "a_2",
                "archive.mtime",
                "container.not_recorded",
                "container.not_recorded.1",
                "container.not_recorded.2",
                "container.not_recorded.10",
                "n.01",
                "n.1",
                "n.99999999999999999999999",
                "n.100000000000000000000000",
            ]
        );
    }
}
