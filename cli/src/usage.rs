//! A command line `prov` cannot parse, said in one line: clap's message with every argument
//! it names, the usage line, for a missing argument an example from the command's help that
//! gives it, and the help page to read.
//!
//! clap renders an error over several lines (the message, the arguments it lists, a tip, the
//! usage); `prov` keeps every error to one line on stderr, so those parts are joined.

/// The one line for a clap error (without the `prov: ` prefix), and its part that says what
/// to do: the usage and the help page (the `hint` of a `--json` error). `cmd` and `args` find
/// the subcommand's usage where clap's message carries none (a wrong option value).
pub fn with_hint(
    e: &clap::Error,
    cmd: clap::Command,
    args: &[std::ffi::OsString],
) -> (String, String) {
    let mut rendered = e.render().to_string();
    let example = (e.kind() == clap::error::ErrorKind::MissingRequiredArgument)
        .then(|| example_of(&cmd, args, &rendered))
        .flatten();
    if !rendered.contains("\nUsage: ")
        && let Some(usage) = usage_of(cmd, args)
    {
        rendered = format!("{}\n\n{usage}\n", rendered.trim_end());
    }
    let (line, hint) = join(&rendered);
    match example {
        Some(ex) => {
            let with = |s: &str| s.replacen("; see `", &format!("; for example `{ex}`; see `"), 1);
            (with(&line), with(&hint))
        }
        None => (line, hint),
    }
}

/// An example line from the `--help` of the command named in `args` (the deepest one): the
/// first that gives every option the error names as missing, else the first.
fn example_of(cmd: &clap::Command, args: &[std::ffi::OsString], rendered: &str) -> Option<String> {
    let mut c = cmd;
    for a in args.iter().skip(1).filter_map(|a| a.to_str()) {
        if let Some(sub) = c.find_subcommand(a) {
            c = sub;
        }
    }
    // A line ending in `\` goes on on the next one.
    let help = c.get_after_help()?.to_string().replace("\\\n", "");
    let examples: Vec<String> = help
        .lines()
        .filter_map(|l| l.strip_prefix("  prov "))
        .map(|l| {
            l.split("   (")
                .next()
                .unwrap_or(l)
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    let missing: Vec<&str> = rendered
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|w| w.starts_with("--"))
        .collect();
    let ex = examples
        .iter()
        .find(|ex| missing.iter().all(|m| ex.contains(m)))
        .or(examples.first())?;
    Some(format!("prov {ex}"))
}

/// The usage clap renders for the first subcommand named in `args`.
fn usage_of(mut cmd: clap::Command, args: &[std::ffi::OsString]) -> Option<String> {
    cmd.build();
    let name = args
        .iter()
        .skip(1)
        .filter_map(|a| a.to_str())
        .find(|a| cmd.find_subcommand(a).is_some())?
        .to_owned();
    let usage = cmd.find_subcommand_mut(&name)?.render_usage().to_string();
    Some(usage)
}

/// Joins clap's rendered error: `MESSAGE: ITEM, ITEM; TIP (usage: USAGE; see `prov CMD --help`)`,
/// and returns it with what it says in brackets to do: `usage: USAGE; see ...`.
fn join(rendered: &str) -> (String, String) {
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
            // `--ledger` has a default ($PROV_LEDGER, else ./.prov): never required.
            usage = Some(u.trim().replace(" --ledger <LEDGER>", ""));
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
    let command = usage.as_deref().and_then(subcommand);
    let help = match command {
        Some(c) => format!("see `prov {c} --help`"),
        None => "see `prov --help`".to_owned(),
    };
    let hint = match usage {
        Some(u) => format!("usage: {u}; {help}"),
        None => help,
    };
    (format!("{s} ({hint})"), hint)
}

/// The subcommand a usage line is for: `prov add --source <SOURCE> ...` gives `add`,
/// `prov witness serve --dir <DIR> ...` gives `witness serve`.
fn subcommand(usage: &str) -> Option<String> {
    let words: Vec<&str> = usage
        .split_whitespace()
        .skip(1)
        .take_while(|w| {
            !w.starts_with('-') && w.chars().all(|c| c.is_ascii_lowercase() || c == '-')
        })
        .collect();
    (!words.is_empty()).then(|| words.join(" "))
}

#[cfg(test)]
mod tests {
    use super::join;

    #[test]
    fn missing_arguments_are_named_with_the_usage() {
        let rendered = "error: the following required arguments were not provided:\n  --source <SOURCE>\n  --size <SIZE>\n\nUsage: prov add --source <SOURCE> --sha256 <HEX> --size <SIZE>\n\nFor more information, try '--help'.\n";
        assert_eq!(
            join(rendered).0,
            "the following required arguments were not provided: --source <SOURCE>, --size <SIZE> (usage: prov add --source <SOURCE> --sha256 <HEX> --size <SIZE>; see `prov add --help`)"
        );
    }

    #[test]
    fn tips_are_kept_and_a_top_level_error_points_at_prov_help() {
        let rendered = "error: unrecognized subcommand 'ad'\n\n  tip: a similar subcommand exists: 'add'\n\nUsage: prov [OPTIONS] <COMMAND>\n\nFor more information, try '--help'.\n";
        assert_eq!(
            join(rendered).1,
            "usage: prov [OPTIONS] <COMMAND>; see `prov --help`"
        );
        assert_eq!(
            join(rendered).0,
            "unrecognized subcommand 'ad'; a similar subcommand exists: 'add' (usage: prov [OPTIONS] <COMMAND>; see `prov --help`)"
        );
        assert_eq!(join("error: bad\n").0, "bad (see `prov --help`)");
    }
}
