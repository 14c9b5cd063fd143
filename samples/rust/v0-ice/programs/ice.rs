// A type error the nightly compiler is told to treat as a bug
// (`-Z treat-err-as-bug=1`): its first error becomes an internal compiler
// error, with the compiler's own panic and backtrace.
fn main() {
    let limit: u32 = "ten";
    println!("{limit}");
}
