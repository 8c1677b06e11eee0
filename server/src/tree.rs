//! The published tiles tree over HTTP (C2SP tlog-tiles): `GET /checkpoint`,
//! `GET /tile/<L>/<N>[.p/<W>]` and `GET /tile/entries/<N>[.p/<W>]`, read from the folder the
//! writer publishes into (`Ledger::publish`), so any tlog-tiles client reads the ledger from
//! the server as it would from a static web server or a CDN.
//!
//! Only paths of that grammar are served (no `..`, no other file of the folder): a level of
//! 0 to 63, an index as `x`-prefixed three-digit elements ending in three digits, a width of
//! 1 to 255. Full tiles never change: `Cache-Control: public, max-age=31536000, immutable`
//! (tlog-tiles, "Full tiles ... may be cached indefinitely"); a partial tile may be deleted
//! once its full tile exists, and the checkpoint changes with every group: both short-lived.

use crate::answer::{Answer, TEXT};
use std::path::Path;

/// Whether `path` (after the leading `/`) is a tile path of the tlog-tiles grammar, and if
/// so whether it is a full tile.
pub(crate) fn tile_path(path: &str) -> Option<bool> {
    let mut parts = path.split('/');
    if parts.next()? != "tile" {
        return None;
    }
    let level = parts.next()?;
    if level != "entries" {
        let ok = (1..=2).contains(&level.len())
            && level.bytes().all(|b| b.is_ascii_digit())
            && (level == "0" || !level.starts_with('0'))
            && level.parse::<u8>().is_ok_and(|l| l <= 63);
        if !ok {
            return None;
        }
    }
    let digits3 = |s: &str| s.len() == 3 && s.bytes().all(|b| b.is_ascii_digit());
    let rest: Vec<&str> = parts.collect();
    let (index, width) = match rest.iter().position(|p| p.ends_with(".p")) {
        Some(i) if i + 2 == rest.len() => (&rest[..=i], Some(rest[i + 1])),
        Some(_) => return None,
        None => (&rest[..], None),
    };
    let (last, upper) = index.split_last()?;
    let last = match width {
        Some(_) => last.strip_suffix(".p")?,
        None => last,
    };
    if upper.len() > 7
        || !digits3(last)
        || !upper
            .iter()
            .all(|p| p.strip_prefix('x').is_some_and(digits3))
    {
        return None;
    }
    match width {
        None => Some(true),
        Some(w) => {
            let ok = !w.is_empty()
                && w.len() <= 3
                && !w.starts_with('0')
                && w.bytes().all(|b| b.is_ascii_digit())
                && w.parse::<u16>().is_ok_and(|w| (1..=255).contains(&w));
            ok.then_some(false)
        }
    }
}

/// The largest file of the published folder: an entry bundle of 256 entries at their
/// largest, with their 2-byte length prefixes (a hash tile is 8 KiB).
const MAX_PUBLISHED: u64 = 256 * (prov_ledger::MAX_ENTRY_BYTES as u64 + 2);

/// Reads a file of the published folder, or 404. Nothing is read through a symbolic link,
/// at any level below the folder: a link planted there (to the ledger's `key.pem`, say)
/// is refused, not followed.
fn file(public: &Path, rel: &str) -> Result<Vec<u8>, Answer> {
    let missing = || {
        Answer::error(
            404,
            format!("{rel} is not published"),
            "`GET /checkpoint` gives the tree's size; a partial tile may have become full",
        )
    };
    let refused = |why: String| {
        Answer::error(
            500,
            format!("cannot serve {rel}: {why}"),
            "tell the operator: the published folder holds something prov did not write there",
        )
    };
    let mut dir = public.to_owned();
    let parts: Vec<&str> = rel.split('/').collect();
    for part in &parts[..parts.len() - 1] {
        dir.push(part);
        match dir.symlink_metadata() {
            Ok(m) if m.file_type().is_dir() => {}
            Ok(_) => return Err(refused(format!("{} is not a folder", dir.display()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(missing()),
            Err(e) => return Err(refused(e.to_string())),
        }
    }
    prov_ledger::read_small(&public.join(rel), MAX_PUBLISHED).map_err(|e| match e {
        prov_ledger::Error::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound => {
            missing()
        }
        other => refused(other.to_string()),
    })
}

/// `GET /checkpoint`.
pub(crate) fn checkpoint(public: &Path) -> Answer {
    match file(public, "checkpoint") {
        Ok(body) => Answer::ok(TEXT, body),
        Err(a) => a,
    }
}

/// `GET /tile/...`, for a path [`tile_path`] accepted.
pub(crate) fn tile(public: &Path, rel: &str, full: bool) -> Answer {
    match file(public, rel) {
        Ok(body) => Answer::ok("application/octet-stream", body).with(
            "cache-control",
            match full {
                true => "public, max-age=31536000, immutable",
                false => "public, max-age=10",
            },
        ),
        Err(a) => a,
    }
}

#[cfg(test)]
mod tests {
    use super::tile_path;

    #[test]
    fn only_tile_paths_of_the_grammar_are_served() {
        assert_eq!(tile_path("tile/0/000"), Some(true));
        assert_eq!(tile_path("tile/0/x001/234"), Some(true));
        assert_eq!(tile_path("tile/entries/x001/x234/067.p/8"), Some(false));
        assert_eq!(tile_path("tile/63/000.p/255"), Some(false));
        for bad in [
            "tile/64/000",
            "tile/00/000",
            "tile/0/000.p/0",
            "tile/0/000.p/256",
            "tile/0/000.p/08",
            "tile/0/../../key.pem",
            "tile/0/x01/000",
            "tile/0/001/000",
            "tile/0",
            "tile/0/",
            "tile/0/000/",
            "tile/0/000.p",
            "tile/0/000.p/1/2",
            "tile/0/x000.p/1/000",
            "tile/entries/../../ledger.json",
            "key.pem",
        ] {
            assert_eq!(tile_path(bad), None, "{bad}");
        }
    }
}
