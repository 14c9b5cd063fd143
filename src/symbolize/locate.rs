//! Finding a module's debug information: the binary itself, a separate debug
//! file by build-id (`.build-id/xx/rest.debug`), by `.gnu_debuglink` (CRC
//! checked), and the DWZ supplementary file of `.gnu_debugaltlink`
//! (build-id checked). A candidate is trusted only when its build-id or CRC
//! matches.

use super::image::{file_crc, hex, Image};
use std::path::{Path, PathBuf};

/// Where a module's DWARF was found.
pub struct DebugFile {
    /// The debug file's path.
    pub path: PathBuf,
    /// How it was found: `binary`, `build-id`, `debuglink`.
    pub how: &'static str,
    /// The DWZ supplementary file, when the debug file names one and it was
    /// found.
    pub sup: Option<PathBuf>,
}

/// The directories searched, in order: those the user named, then
/// `/usr/lib/debug`.
pub fn search_dirs(user: &[PathBuf], system: bool) -> Vec<PathBuf> {
    let mut dirs = user.to_vec();
    if system {
        dirs.push(PathBuf::from("/usr/lib/debug"));
    }
    dirs
}

/// The debug file of `img`, or `None` when there is no DWARF to be had (the
/// symbol tables remain). `notes` says what was rejected and why.
pub fn locate(img: &Image, dirs: &[PathBuf], notes: &mut Vec<String>) -> Option<DebugFile> {
    let found = if img.has_dwarf {
        Some((img.path.clone(), "binary"))
    } else {
        by_build_id(img.build_id.as_deref(), dirs)
            .map(|p| (p, "build-id"))
            .or_else(|| by_debuglink(img, dirs, notes).map(|p| (p, "debuglink")))
    }?;
    let (path, how) = found;
    let sup = supplementary(&path, dirs, notes);
    Some(DebugFile { path, how, sup })
}

/// `DIR/.build-id/xx/rest.debug` (and `DIR/xx/rest.debug`) whose build-id
/// matches.
pub fn by_build_id(id: Option<&[u8]>, dirs: &[PathBuf]) -> Option<PathBuf> {
    let id = id.filter(|id| id.len() >= 2)?;
    let hex_id = hex(id);
    let (head, rest) = hex_id.split_at(2);
    let file = format!("{rest}.debug");
    dirs.iter()
        .flat_map(|d| {
            [
                d.join(".build-id").join(head).join(&file),
                d.join(head).join(&file),
            ]
        })
        .find(|p| {
            p.is_file()
                && Image::open(p)
                    .ok()
                    .is_some_and(|i| i.build_id.as_deref() == Some(id))
        })
}

fn by_debuglink(img: &Image, dirs: &[PathBuf], notes: &mut Vec<String>) -> Option<PathBuf> {
    let (name, crc) = img.debuglink.as_ref()?;
    let name = Path::new(name);
    // A debuglink is a file name; anything else is not followed.
    if name.components().count() != 1 {
        return None;
    }
    let dir = img.path.parent().unwrap_or(Path::new("."));
    let mut candidates = vec![dir.join(name), dir.join(".debug").join(name)];
    let abs_dir = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    for d in dirs {
        candidates.push(d.join(name));
        let rel = abs_dir.strip_prefix("/").unwrap_or(&abs_dir);
        candidates.push(d.join(rel).join(name));
    }
    for c in candidates {
        if !c.is_file() || c == img.path {
            continue;
        }
        match file_crc(&c) {
            Some(got) if got == *crc => return Some(c),
            Some(got) => notes.push(format!(
                "{}: ignored, its CRC32 {got:08x} is not the {crc:08x} that {}'s .gnu_debuglink expects",
                c.display(),
                img.name()
            )),
            None => {}
        }
    }
    None
}

/// The DWZ supplementary file named by the debug file's
/// `.gnu_debugaltlink`, found by path (absolute, or relative to the debug
/// file) or by build-id, and checked by build-id.
fn supplementary(debug: &Path, dirs: &[PathBuf], notes: &mut Vec<String>) -> Option<PathBuf> {
    let img = Image::open(debug).ok()?;
    let (name, id) = img.altlink.as_ref()?;
    let dir = debug.parent().unwrap_or(Path::new("."));
    let name = Path::new(name);
    let mut candidates = vec![dir.join(name)];
    if let Some(base) = name.file_name() {
        candidates.push(dir.join(base));
        for d in dirs {
            candidates.push(d.join(".dwz").join(base));
        }
    }
    let found = candidates.into_iter().find(|p| {
        p.is_file()
            && Image::open(p)
                .ok()
                .is_some_and(|i| i.build_id.as_deref() == Some(id.as_slice()))
    });
    let found = found.or_else(|| by_build_id(Some(id), dirs));
    if found.is_none() {
        notes.push(format!(
            "{}: its DWZ supplementary file {} (build-id {}) was not found; functions and lines kept there are missing",
            debug.display(),
            name.display(),
            hex(id)
        ));
    }
    found
}
