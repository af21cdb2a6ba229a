//! Reading the input and writing the output. Files are written atomically: a temporary file in
//! the same directory as the real file (symbolic links are followed), flushed to disk, then
//! renamed over it, so the target is either untouched or complete. Devices and FIFOs are written
//! into, never replaced.

use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};

use crate::error::CliError;

/// An input: a file, or stdin.
#[derive(Debug, Clone)]
pub struct Input {
    path: Option<PathBuf>,
    /// The flag that named the file, for messages.
    flag: &'static str,
}

impl Input {
    /// The input of `-f`: `None`, empty or `-` is stdin.
    pub fn new(path: Option<PathBuf>) -> Input {
        Input::named(path, "-f")
    }

    /// The value file of `--from-file`: `None` is stdin.
    pub fn from_file_flag(path: Option<PathBuf>) -> Input {
        Input::named(path, "--from-file")
    }

    fn named(path: Option<PathBuf>, flag: &'static str) -> Input {
        let path = path.filter(|p| p.as_os_str() != "-" && !p.as_os_str().is_empty());
        let flag = if path.is_some() { flag } else { "stdin" };
        Input { path, flag }
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
                    stderr_line("(reading from the terminal: paste the input, then Ctrl-D)");
                }
                stdin.lock().read_to_end(&mut bytes)
            }
        };
        result.map_err(|source| CliError::ReadInput {
            flag: self.flag,
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

/// Writes to `path` atomically, or to stdout. A reader that closed the pipe early (`seal … |
/// head`) has all it wants: that is a quiet stop, as ripgrep treats it, not an error.
pub fn write_output(path: Option<&Path>, bytes: &[u8]) -> Result<(), CliError> {
    match path {
        Some(p) => write_atomic(p, bytes, None),
        None => {
            let mut out = std::io::stdout().lock();
            let written = out.write_all(bytes).and_then(|()| out.flush());
            ignore_broken_pipe(written).map_err(|source| CliError::Write {
                what: "stdout".to_owned(),
                source,
            })
        }
    }
}

/// A broken pipe is success: the reader stopped reading.
pub fn ignore_broken_pipe(result: std::io::Result<()>) -> std::io::Result<()> {
    match result {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

/// Prints one line on stderr. A failed write is ignored: stderr is where failures are reported,
/// so there is nowhere left to report this one, and it must not become a panic.
pub fn stderr_line(line: &str) {
    let mut err = std::io::stderr().lock();
    let _ignored = writeln!(err, "{line}");
}

/// Replaces `path` with `bytes` atomically. The new file gets `mode` if given, else the mode of
/// the file it replaces, else 0644.
///
/// A symbolic link is followed: the file it points to is replaced (next to itself, so the rename
/// stays on one file system) and the link stays a link. A target that exists and is not a
/// regular file (a device such as `/dev/stdout` or `/dev/null`, a FIFO) is written into
/// directly: renaming over it would replace the device with a file, and atomicity means nothing
/// for a stream.
pub fn write_atomic(path: &Path, bytes: &[u8], mode: Option<u32>) -> Result<(), CliError> {
    let fail = |source| CliError::Write {
        what: path.display().to_string(),
        source,
    };
    if let Ok(meta) = std::fs::metadata(path)
        && !meta.is_file()
        && !meta.is_dir()
    {
        return write_into(path, bytes).map_err(fail);
    }
    let real = resolve_links(path).map_err(fail)?;
    let dir = match real.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".seal-")
        .tempfile_in(&dir)
        .map_err(fail)?;
    tmp.write_all(bytes).map_err(fail)?;
    set_mode(tmp.as_file(), &real, mode).map_err(fail)?;
    tmp.as_file().sync_all().map_err(fail)?;
    tmp.persist(&real).map_err(|e| fail(e.error))?;
    // Make the rename itself durable.
    if let Ok(d) = std::fs::File::open(&dir) {
        d.sync_all().map_err(fail)?;
    }
    Ok(())
}

/// Writes into an existing device or FIFO, which cannot be replaced. A FIFO or a pipe whose
/// reader left (`-w /dev/stdout | head`) is a quiet stop, as on stdout.
fn write_into(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut file = std::fs::OpenOptions::new().write(true).open(path)?;
    ignore_broken_pipe(file.write_all(bytes).and_then(|()| file.flush()))
}

/// How many links [`resolve_links`] follows before giving up, as the kernel's `ELOOP` limit.
const MAX_LINKS: usize = 40;

/// The file `path` names once every symbolic link is followed, even when the last link dangles
/// (its target is then created). A path that is not a link is returned unchanged.
fn resolve_links(path: &Path) -> std::io::Result<PathBuf> {
    let mut current = path.to_path_buf();
    for _ in 0..MAX_LINKS {
        match std::fs::symlink_metadata(&current) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let target = std::fs::read_link(&current)?;
                current = match current.parent() {
                    Some(parent) if target.is_relative() => parent.join(target),
                    _ => target,
                };
            }
            _ => return Ok(current),
        }
    }
    Err(std::io::Error::other(format!(
        "more than {MAX_LINKS} symbolic links to follow"
    )))
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

    #[cfg(unix)]
    #[test]
    fn symbolic_links_are_followed_and_stay_links() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let real_dir = dir.path().join("real");
        std::fs::create_dir(&real_dir).unwrap();
        let real = real_dir.join("out.yaml");
        std::fs::write(&real, "old").unwrap();
        std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o600)).unwrap();
        let link = dir.path().join("link.yaml");
        std::os::unix::fs::symlink("real/out.yaml", &link).unwrap();
        let chain = dir.path().join("chain.yaml");
        std::os::unix::fs::symlink(&link, &chain).unwrap();
        write_atomic(&chain, b"new", None).unwrap();
        assert_eq!(std::fs::read(&real).unwrap(), b"new");
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert!(
            std::fs::symlink_metadata(&chain)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        let mode = std::fs::metadata(&real).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "the real file keeps its mode");

        let dangling = dir.path().join("dangling.yaml");
        std::os::unix::fs::symlink("real/new.yaml", &dangling).unwrap();
        write_atomic(&dangling, b"created", None).unwrap();
        assert_eq!(
            std::fs::read(real_dir.join("new.yaml")).unwrap(),
            b"created"
        );
        assert!(
            std::fs::symlink_metadata(&dangling)
                .unwrap()
                .file_type()
                .is_symlink()
        );

        let looping = dir.path().join("loop");
        std::os::unix::fs::symlink("loop", &looping).unwrap();
        assert!(write_atomic(&looping, b"x", None).is_err());
    }

    #[test]
    fn a_dash_is_stdin() {
        assert!(Input::new(Some(PathBuf::from("-"))).path().is_none());
        assert_eq!(Input::new(None).describe(), "stdin");
    }
}
