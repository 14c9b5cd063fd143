//! Java thread dumps: jstack and `jcmd Thread.print` text ([`text`]) and
//! JDK 21+ JSON dumps ([`json`]), read by one reader (`reader.rs`). Lock
//! lines become stated lock relations ([`crate::model::LockFact`]):
//! monitors (`- locked`, `- waiting to lock`, `- waiting on`),
//! `java.util.concurrent` synchronizers (`- parking to wait for` and
//! `Locked ownable synchronizers:`). The JVM's `Found one Java-level
//! deadlock:` sections are kept to check the wait-for graph against; their
//! repeated stacks are not read as threads.

pub mod json;
mod reader;
pub mod text;

pub use json::{detect_json, parse_json, JAVA_JSON, JSON_FORMAT};
pub use text::{detect, find_header, parse, FORMAT, JAVA_THREADS};
