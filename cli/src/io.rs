//! Reading the input and writing the output. Files are written atomically: a temporary file in
//! the same directory, flushed to disk, then renamed over the target, so the target is either
//! untouched or complete.

use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};

use crate::error::CliError;

/// An input: a file, or stdin.
#[derive(Debug, Clone)]
pub struct Input {
    path: Option<PathBuf>,
}

impl Input {
    /// `None` or `-` is stdin.
    pub fn new(path: Option<PathBuf>) -> Input {
        Input {
            path: path.filter(|p| p.as_os_str() != "-"),
        }
    }

    /// The file, if not stdin.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// For messages: the path, or "stdin".
    pub fn describe(&self) -> String {
        match &self.path {
            Some(p) => p.display().to_string(),
            None => "stdin".to_owned(),
        }
    }

    /// All bytes.
    pub fn read_bytes(&self) -> Result<zeroize::Zeroizing<Vec<u8>>, CliError> {
        let mut bytes = zeroize::Zeroizing::new(Vec::new());
        let result = match &self.path {
            Some(p) => std::fs::File::open(p).and_then(|mut f| f.read_to_end(&mut bytes)),
            None => {
                let stdin = std::io::stdin();
                if stdin.is_terminal() {
                    eprintln!("(reading from the terminal: paste the input, then Ctrl-D)");
                }
                stdin.lock().read_to_end(&mut bytes)
            }
        };
        result.map_err(|source| CliError::ReadInput {
            what: self.describe(),
            source,
        })?;
        Ok(bytes)
    }

    /// All text.
    pub fn read_text(&self) -> Result<zeroize::Zeroizing<String>, CliError> {
        let bytes = self.read_bytes()?;
        let text = std::str::from_utf8(&bytes).map_err(|_| CliError::InputNotText {
            what: self.describe(),
        })?;
        Ok(zeroize::Zeroizing::new(text.to_owned()))
    }
}

/// Writes to `path` atomically, or to stdout.
pub fn write_output(path: Option<&Path>, bytes: &[u8]) -> Result<(), CliError> {
    match path {
        Some(p) => write_atomic(p, bytes, None),
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(bytes)
                .and_then(|()| out.flush())
                .map_err(|source| CliError::Write {
                    what: "stdout".to_owned(),
                    source,
                })
        }
    }
}

/// Replaces `path` with `bytes` atomically. The new file gets `mode` if given, else the mode of
/// the file it replaces, else 0644.
pub fn write_atomic(path: &Path, bytes: &[u8], mode: Option<u32>) -> Result<(), CliError> {
    let fail = |source| CliError::Write {
        what: path.display().to_string(),
        source,
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".seal-")
        .tempfile_in(&dir)
        .map_err(fail)?;
    tmp.write_all(bytes).map_err(fail)?;
    set_mode(tmp.as_file(), path, mode).map_err(fail)?;
    tmp.as_file().sync_all().map_err(fail)?;
    tmp.persist(path).map_err(|e| fail(e.error))?;
    // Make the rename itself durable.
    if let Ok(d) = std::fs::File::open(&dir) {
        d.sync_all().map_err(fail)?;
    }
    Ok(())
}

#[cfg(unix)]
fn set_mode(file: &std::fs::File, target: &Path, mode: Option<u32>) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = match mode {
        Some(m) => m,
        None => std::fs::metadata(target)
            .map(|m| m.permissions().mode() & 0o777)
            .unwrap_or(0o644),
    };
    file.set_permissions(std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_file: &std::fs::File, _target: &Path, _mode: Option<u32>) -> std::io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_and_keeps_the_mode() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.yaml");
        write_atomic(&path, b"one", None).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"one");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
            write_atomic(&path, b"two", None).unwrap();
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o640);
        }
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        let leftovers = std::fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(leftovers, 1, "no temporary file is left behind");
    }

    #[test]
    fn a_dash_is_stdin() {
        assert!(Input::new(Some(PathBuf::from("-"))).path().is_none());
        assert_eq!(Input::new(None).describe(), "stdin");
    }
}
