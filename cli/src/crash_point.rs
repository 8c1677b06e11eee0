//! A crash point for the crash harness: with `PROV_TEST_STOP_AT=STEP:N` in the environment,
//! `prov add` stops itself (SIGSTOP) the N-th time its commit path reaches STEP (one of
//! `TileWrite`, `TileSync`, `OffsetsWrite`, `OffsetsSync`, `LogWrite`, `LogSync`, `CommitWrite`, `CommitSync`, `CommitRename`, `DirSync`,
//! `IndexApply`), before doing it, so that a test can SIGKILL it at exactly that point.
//! Nothing else changes; without the variable this does nothing.

use prov_ledger::Ledger;

pub fn install(l: &mut Ledger) {
    let Ok(spec) = std::env::var("PROV_TEST_STOP_AT") else {
        return;
    };
    let (step, nth) = match spec.split_once(':') {
        Some((s, n)) => (s.to_owned(), n.parse::<u64>().unwrap_or(1)),
        None => (spec, 1),
    };
    let mut seen = 0;
    l.set_fault_hook(Some(Box::new(move |s| {
        if format!("{s:?}") == step {
            seen += 1;
            if seen == nth {
                let _ = std::process::Command::new("kill")
                    .args(["-STOP", &std::process::id().to_string()])
                    .status();
            }
        }
        None
    })));
}
