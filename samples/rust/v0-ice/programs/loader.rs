// A configuration loader: a worker thread parses the `limit` setting; with
// an argument the setting is not a number and the worker's unwrap panics.
use std::collections::HashMap;

#[inline(never)]
fn parse_limit(cfg: &HashMap<String, String>) -> u32 {
    let value = cfg.get("limit").expect("limit is configured");
    value.parse().unwrap()
}

fn main() {
    let mut cfg = HashMap::new();
    let value = if std::env::args().len() > 1 { "ten" } else { "10" };
    cfg.insert("limit".to_string(), value.to_string());
    let worker = std::thread::Builder::new()
        .name("loader".into())
        .spawn(move || parse_limit(&cfg))
        .expect("spawn the loader");
    println!("limit {:?}", worker.join());
}
