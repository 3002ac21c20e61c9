//! `heartwire schema`: the JSON Schemas of the JSON formats.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;

/// `heartwire schema`'s options.
#[derive(Debug, Args)]
pub(crate) struct SchemaArgs {
    /// The schema to print or write.
    #[arg(value_name = "NAME")]
    name: Option<String>,
    /// Write the schemas into this folder instead of printing them.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
}

/// Why `heartwire schema` failed.
#[derive(Debug)]
enum SchemaError {
    /// A name that is not a schema's (a usage error).
    UnknownName(String),
    /// Writing failed.
    Io(io::Error),
}

impl From<io::Error> for SchemaError {
    fn from(e: io::Error) -> SchemaError {
        SchemaError::Io(e)
    }
}

impl std::fmt::Display for SchemaError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SchemaError::UnknownName(name) => {
                let names: Vec<_> = heartwire_schema::names().collect();
                write!(
                    f,
                    "no schema named {name:?}; the schemas are {}",
                    names.join(", ")
                )
            }
            SchemaError::Io(e) => e.fmt(f),
        }
    }
}

/// `heartwire schema`: exit 0, 1 when the output cannot be written, 2 for an unknown
/// name.
pub(crate) fn run(args: SchemaArgs) -> ExitCode {
    let mut out = io::stdout().lock();
    let result = write(args.name.as_deref(), args.out.as_deref(), &mut out);
    match result.and_then(|()| out.flush().map_err(SchemaError::Io)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(SchemaError::Io(e)) => crate::finish(Err(e)),
        Err(e @ SchemaError::UnknownName(_)) => crate::usage("schema", e),
    }
}

/// With `--out DIR`, writes the schema named (or every schema) to
/// `DIR/<name>.schema.json` and prints each path. Without, prints the schema named, or
/// lists every schema's name, `$id` and title.
fn write(
    name: Option<&str>,
    out_dir: Option<&Path>,
    out: &mut impl Write,
) -> Result<(), SchemaError> {
    let schema_of = |name: &str| {
        heartwire_schema::schema(name).ok_or_else(|| SchemaError::UnknownName(name.to_owned()))
    };
    match (name, out_dir) {
        (Some(name), None) => {
            out.write_all(heartwire_schema::render(&schema_of(name)?).as_bytes())?;
        }
        (None, None) => {
            let width = heartwire_schema::names().map(str::len).max().unwrap_or(0);
            for name in heartwire_schema::names() {
                let schema = schema_of(name)?;
                let title = schema.get("title").and_then(|t| t.as_str()).unwrap_or("");
                let file = heartwire_schema::file_name(name);
                writeln!(out, "{name:<width$}  {file:<34}  {title}")?;
            }
        }
        (name, Some(dir)) => {
            let names: Vec<&str> = match name {
                Some(name) => vec![name],
                None => heartwire_schema::names().collect(),
            };
            let schemas = names
                .iter()
                .map(|name| schema_of(name).map(|schema| (*name, schema)))
                .collect::<Result<Vec<_>, _>>()?;
            std::fs::create_dir_all(dir)?;
            for (name, schema) in schemas {
                let path = dir.join(heartwire_schema::file_name(name));
                std::fs::write(&path, heartwire_schema::render(&schema))?;
                writeln!(out, "{}", path.display())?;
            }
        }
    }
    Ok(())
}
