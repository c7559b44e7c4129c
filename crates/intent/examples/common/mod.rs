//! Shared by the examples: where the BANKING77 data is and how to read it.

use std::path::PathBuf;

use domain::Department;

/// `$HELPLINE_SHARED_DATA/banking77`, defaulting to the `shared/data` folder beside the repository.
pub fn banking77_dir() -> PathBuf {
    let shared = std::env::var_os("HELPLINE_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data"))
        });
    shared.join("banking77")
}

/// Labelled rows `(text, intent)` and the intent → department map.
pub type Banking77 = (Vec<(String, String)>, Vec<(String, Department)>);

/// The training rows and the intent → department map.
pub fn load_banking77() -> Result<Banking77, Box<dyn std::error::Error>> {
    let dir = banking77_dir();
    let open = |name: &str| {
        let path = dir.join(name);
        std::fs::File::open(&path).map_err(|e| format!("{}: {e}", path.display()))
    };
    let rows = intent::read_labelled(open("train.csv")?).map_err(|e| format!("train.csv: {e}"))?;
    let departments = intent::read_departments(open("departments.csv")?)
        .map_err(|e| format!("departments.csv: {e}"))?;
    Ok((rows, departments))
}

/// The value after `--name` on the command line, parsed, or `default`.
pub fn arg<T: std::str::FromStr>(name: &str, default: T) -> T {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}
