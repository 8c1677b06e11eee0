//! A command line `prov` cannot parse, said in one line: clap's message with every argument
//! it names, the usage line as the example to follow, and the help page to read.
//!
//! clap renders an error over several lines (the message, the arguments it lists, a tip, the
//! usage); `prov` keeps every error to one line on stderr, so those parts are joined.

/// The one line for a clap error (without the `prov: ` prefix).
pub fn one_line(e: &clap::Error) -> String {
    join(&e.render().to_string())
}

/// Joins clap's rendered error: `MESSAGE: ITEM, ITEM; TIP (usage: USAGE; see `prov CMD --help`)`.
fn join(rendered: &str) -> String {
    let mut lines = rendered.lines();
    let first = lines
        .next()
        .unwrap_or("invalid arguments")
        .trim_start_matches("error: ")
        .trim_end();
    let (mut items, mut tips, mut usage) = (Vec::new(), Vec::new(), None);
    for line in lines {
        let trimmed = line.trim();
        if let Some(u) = line.strip_prefix("Usage: ") {
            usage = Some(u.trim());
        } else if let Some(tip) = trimmed.strip_prefix("tip: ") {
            tips.push(tip);
        } else if line.starts_with("  ") && usage.is_none() && !trimmed.is_empty() {
            items.push(trimmed);
        }
    }
    let mut s = first.trim_end_matches(':').to_owned();
    if !items.is_empty() {
        s += ": ";
        s += &items.join(", ");
    }
    for tip in tips {
        s += "; ";
        s += tip;
    }
    let command = usage.and_then(subcommand);
    let help = match command {
        Some(c) => format!("see `prov {c} --help`"),
        None => "see `prov --help`".to_owned(),
    };
    match usage {
        Some(u) => format!("{s} (usage: {u}; {help})"),
        None => format!("{s} ({help})"),
    }
}

/// The subcommand a usage line is for: `prov add --source <SOURCE> ...` gives `add`.
fn subcommand(usage: &str) -> Option<&str> {
    let mut words = usage.split_whitespace();
    words.next()?;
    words
        .next()
        .filter(|w| w.chars().all(|c| c.is_ascii_lowercase() || c == '-'))
        .filter(|w| !w.starts_with('-'))
}

#[cfg(test)]
mod tests {
    use super::join;

    #[test]
    fn missing_arguments_are_named_with_the_usage() {
        let rendered = "error: the following required arguments were not provided:\n  --source <SOURCE>\n  --size <SIZE>\n\nUsage: prov add --source <SOURCE> --sha256 <HEX> --size <SIZE>\n\nFor more information, try '--help'.\n";
        assert_eq!(
            join(rendered),
            "the following required arguments were not provided: --source <SOURCE>, --size <SIZE> (usage: prov add --source <SOURCE> --sha256 <HEX> --size <SIZE>; see `prov add --help`)"
        );
    }

    #[test]
    fn tips_are_kept_and_a_top_level_error_points_at_prov_help() {
        let rendered = "error: unrecognized subcommand 'ad'\n\n  tip: a similar subcommand exists: 'add'\n\nUsage: prov [OPTIONS] <COMMAND>\n\nFor more information, try '--help'.\n";
        assert_eq!(
            join(rendered),
            "unrecognized subcommand 'ad'; a similar subcommand exists: 'add' (usage: prov [OPTIONS] <COMMAND>; see `prov --help`)"
        );
        assert_eq!(join("error: bad\n"), "bad (see `prov --help`)");
    }
}
