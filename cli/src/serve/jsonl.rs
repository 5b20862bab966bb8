//! The append-only JSON-lines files of `--log` and `--record`: values cut to
//! `LOG_VALUE_BYTES` and the file rotated at `LOG_FILE_BYTES`, because any web page can send
//! this server requests and neither file may grow without bound.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::limits::{LOG_FILE_BYTES, LOG_VALUE_BYTES};
use crate::Failure;

/// A request value as logged: at most `LOG_VALUE_BYTES`, cut on a character boundary and
/// marked with `…`.
pub fn cut(s: &str) -> String {
    if s.len() <= LOG_VALUE_BYTES {
        return s.to_string();
    }
    let mut end = LOG_VALUE_BYTES;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

/// An open JSON-lines file.
pub struct JsonlFile {
    path: PathBuf,
    file: File,
    len: u64,
}

impl JsonlFile {
    /// Opens `path` to append to it.
    pub fn open(path: &Path) -> Result<JsonlFile, Failure> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| Failure::usage(format!("cannot open {}: {e}", path.display())))?;
        let len = file.metadata().map_or(0, |m| m.len());
        Ok(JsonlFile { path: path.to_path_buf(), file, len })
    }

    /// Appends `value` as one line. When the file would pass `LOG_FILE_BYTES`, FILE becomes
    /// FILE.1 (replacing an older one) and FILE starts again. An error means the file can no
    /// longer be written; the caller stops writing it.
    pub fn append(&mut self, value: &impl serde::Serialize) -> std::io::Result<()> {
        let mut line = serde_json::to_vec(value).map_err(std::io::Error::other)?;
        line.push(b'\n');
        if self.len + line.len() as u64 > LOG_FILE_BYTES {
            let rotated = self.path.with_extension(match self.path.extension() {
                Some(e) => format!("{}.1", e.to_string_lossy()),
                None => "1".to_string(),
            });
            let reopened = std::fs::rename(&self.path, &rotated)
                .and_then(|()| std::fs::OpenOptions::new().create(true).append(true).open(&self.path));
            match reopened {
                Ok(f) => {
                    self.file = f;
                    self.len = 0;
                }
                Err(e) => eprintln!("corsmatch serve: cannot rotate {}: {e}", self.path.display()),
            }
        }
        self.file.write_all(&line)?;
        self.len += line.len() as u64;
        Ok(())
    }

    /// The file's path, for messages.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_cut_on_a_character_boundary() {
        assert_eq!(cut("short"), "short");
        let long = "é".repeat(LOG_VALUE_BYTES);
        let c = cut(&long);
        assert!(c.ends_with('…') && c.len() <= LOG_VALUE_BYTES + '…'.len_utf8(), "{}", c.len());
    }

    #[test]
    fn the_file_is_rotated_before_it_passes_the_limit() {
        let dir = std::env::temp_dir().join(format!("corsmatch-jsonl-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("log.jsonl");
        let mut f = JsonlFile::open(&path).unwrap_or_else(|e| panic!("{}", e.text));
        let value = serde_json::json!({"v": "x".repeat(1 << 20)});
        let line = serde_json::to_vec(&value).unwrap().len() as u64 + 1;
        let fit = LOG_FILE_BYTES / line;
        for _ in 0..fit {
            f.append(&value).unwrap();
        }
        assert!(!dir.join("log.jsonl.1").exists());
        assert_eq!(std::fs::metadata(&path).unwrap().len(), fit * line);
        f.append(&value).unwrap();
        assert_eq!(std::fs::metadata(dir.join("log.jsonl.1")).unwrap().len(), fit * line, "the old file moved aside");
        assert_eq!(std::fs::metadata(&path).unwrap().len(), line, "the new file holds the one line");
        // Opening again appends where the file is.
        let mut again = JsonlFile::open(&path).unwrap_or_else(|e| panic!("{}", e.text));
        again.append(&value).unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 2 * line);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
