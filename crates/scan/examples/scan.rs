//! Stand-alone `scan PATH... [--json]` for benchmarks and manual use; the product exposes the
//! same function as `agora scan`.

fn main() {
    let mut json = false;
    let mut paths = Vec::new();
    for a in std::env::args_os().skip(1) {
        if a == "--json" {
            json = true;
        } else {
            paths.push(std::path::PathBuf::from(a));
        }
    }
    let code = agora_scan::cli::run(&paths, json, &mut std::io::stdout().lock());
    std::process::exit(i32::from(code));
}
