//! Go's blocking primitives: the runtime's channel and select entry points,
//! `sync`, `golang.org/x/sync`, the network poller, timers, processes,
//! signals and system calls; and the wait reasons Go prints as states.

use super::entry::{partner, prim, Partner, Prim};
use crate::model::{ResKind as K, WaitOp as O};

/// Primitives recognised by exact function name.
pub static PRIMITIVES: &[Prim] = &[
    prim("runtime.chanrecv", K::Chan, O::Recv, true),
    prim("runtime.chanrecv1", K::Chan, O::Recv, true),
    prim("runtime.chanrecv2", K::Chan, O::Recv, true),
    prim("runtime.chansend", K::Chan, O::Send, true),
    prim("runtime.chansend1", K::Chan, O::Send, true),
    prim("runtime.selectgo", K::Select, O::Select, false),
    prim("reflect.rselect", K::Select, O::Select, false),
    prim("reflect.Select", K::Select, O::Select, false),
    prim("runtime.block", K::Select, O::SelectNoCases, false),
    prim("sync.(*Mutex).Lock", K::Mutex, O::Lock, true),
    prim("sync.(*Mutex).lockSlow", K::Mutex, O::Lock, true),
    prim("internal/sync.(*Mutex).Lock", K::Mutex, O::Lock, true),
    prim("internal/sync.(*Mutex).lockSlow", K::Mutex, O::Lock, true),
    prim("sync.(*RWMutex).RLock", K::RwMutex, O::RLock, true),
    prim("sync.(*RWMutex).Lock", K::RwMutex, O::Lock, true),
    prim("sync.(*WaitGroup).Wait", K::WaitGroup, O::Wait, true),
    prim("sync.(*Cond).Wait", K::Cond, O::Wait, true),
    prim(
        "golang.org/x/sync/semaphore.(*Weighted).Acquire",
        K::Semaphore,
        O::Lock,
        true,
    ),
    prim(
        "golang.org/x/sync/singleflight.(*Group).Do",
        K::Singleflight,
        O::Wait,
        true,
    ),
    prim(
        "golang.org/x/sync/singleflight.(*Group).DoChan",
        K::Singleflight,
        O::Wait,
        true,
    ),
    prim(
        "golang.org/x/sync/errgroup.(*Group).Wait",
        K::Errgroup,
        O::Wait,
        true,
    ),
    prim("internal/poll.(*FD).Accept", K::Net, O::Accept, false),
    prim("net.(*netFD).accept", K::Net, O::Accept, false),
    prim("net.(*TCPListener).Accept", K::Net, O::Accept, false),
    prim("net.(*UnixListener).Accept", K::Net, O::Accept, false),
    prim("net.(*TCPListener).accept", K::Net, O::Accept, false),
    prim("internal/poll.(*FD).Read", K::Net, O::Read, false),
    prim("internal/poll.(*FD).ReadFrom", K::Net, O::Read, false),
    prim("internal/poll.(*FD).ReadMsg", K::Net, O::Read, false),
    prim("net.(*netFD).Read", K::Net, O::Read, false),
    prim("net.(*conn).Read", K::Net, O::Read, false),
    prim("net.(*UDPConn).ReadFrom", K::Net, O::Read, false),
    prim("internal/poll.(*FD).Write", K::Net, O::Write, false),
    prim("net.(*netFD).Write", K::Net, O::Write, false),
    prim("net.(*conn).Write", K::Net, O::Write, false),
    prim("internal/poll.runtime_pollWait", K::Net, O::Unknown, false),
    prim("internal/poll.(*pollDesc).wait", K::Net, O::Unknown, false),
    prim(
        "internal/poll.(*pollDesc).waitRead",
        K::Net,
        O::Unknown,
        false,
    ),
    prim("runtime.netpollblock", K::Net, O::Unknown, false),
    prim("time.Sleep", K::Timer, O::Sleep, false),
    prim("runtime.cgocall", K::Cgo, O::Call, false),
    prim("os.(*Process).Wait", K::Process, O::Wait, false),
    prim("os.(*Process).wait", K::Process, O::Wait, false),
    prim(
        "os.(*Process).blockUntilWaitable",
        K::Process,
        O::Wait,
        false,
    ),
    prim("os/exec.(*Cmd).Wait", K::Process, O::Wait, false),
    prim("os/exec.(*Cmd).Run", K::Process, O::Wait, false),
    prim("os/exec.(*Cmd).Output", K::Process, O::Wait, false),
    prim("os/exec.(*Cmd).CombinedOutput", K::Process, O::Wait, false),
    prim("os/signal.signal_recv", K::Signal, O::Recv, false),
    prim("os/signal.loop", K::Signal, O::Recv, false),
];

/// Primitives recognised by a name prefix: the system call entry points.
pub static PREFIX_PRIMITIVES: &[Prim] = &[
    prim("syscall.Syscall", K::Syscall, O::Call, false),
    prim("syscall.RawSyscall", K::Syscall, O::Call, false),
    prim("syscall.syscall", K::Syscall, O::Call, false),
    prim(
        "internal/runtime/syscall.Syscall",
        K::Syscall,
        O::Call,
        false,
    ),
    prim(
        "runtime/internal/syscall.Syscall",
        K::Syscall,
        O::Call,
        false,
    ),
];

/// Packages whose frames belong to a primitive's implementation.
pub static IMPL_PREFIXES: &[&str] = &[
    "sync.",
    "internal/sync.",
    "internal/poll.",
    "golang.org/x/sync/",
    "syscall.",
    "internal/runtime/",
    "internal/syscall/",
    "golang.org/x/sys/",
    "os.(*Process).",
];

/// Single functions that belong to a primitive's implementation.
pub static IMPL_NAMES: &[&str] = &["os.ignoringEINTR", "os.ignoringEINTR2"];

/// Wait reasons Go prints as the goroutine state, and the wait each names.
pub static STATES: &[(&str, K, O)] = &[
    ("chan receive (nil chan)", K::Chan, O::NilRecv),
    ("chan send (nil chan)", K::Chan, O::NilSend),
    ("select (no cases)", K::Select, O::SelectNoCases),
    ("chan receive", K::Chan, O::Recv),
    ("chan send", K::Chan, O::Send),
    ("select", K::Select, O::Select),
    ("sync.Mutex.Lock", K::Mutex, O::Lock),
    ("sync.RWMutex.RLock", K::RwMutex, O::RLock),
    ("sync.RWMutex.Lock", K::RwMutex, O::Lock),
    ("sync.WaitGroup.Wait", K::WaitGroup, O::Wait),
    ("sync.Cond.Wait", K::Cond, O::Wait),
    ("sleep", K::Timer, O::Sleep),
];

/// The semaphores of the `sync` primitives, by the wait reason of a
/// goroutine parked on one (`runtime.semacquire1` queues its `sudog` in
/// `runtime.semtable` with the semaphore word's address): the primitive's
/// type and the field that is the word, so that a core reader finds the
/// primitive's own address (the word's, less the field's offset).
pub static SEMA_WAITS: &[(&str, &str, &str)] = &[
    ("sync.Mutex.Lock", "sync.Mutex", "sema"),
    ("sync.RWMutex.Lock", "sync.RWMutex", "writerSem"),
    ("sync.RWMutex.RLock", "sync.RWMutex", "readerSem"),
    ("sync.WaitGroup.Wait", "sync.WaitGroup", "sema"),
];

/// A `sync.Mutex`'s state word (`state`, an `int32`, Go 1.9 on): the bit
/// set while it is locked, and the shift of the count of its waiters.
pub const MUTEX_LOCKED: i32 = 1;
/// See [`MUTEX_LOCKED`].
pub const MUTEX_WAITER_SHIFT: u32 = 3;
/// `sync.RWMutex`'s `rwmutexMaxReaders`: a writer that waits for the
/// readers subtracts it from `readerCount`, which otherwise counts the
/// readers holding the lock.
pub const RWMUTEX_MAX_READERS: i32 = 1 << 30;

/// Phrases of a panic message by which a program reports a hang it noticed
/// itself (a watchdog, a test's timeout): such a panic is the symptom of
/// whatever hangs in the dump, not a fault of its own.
pub static PANIC_REPORTS_HANG: &[&str] = &[
    "deadlock",
    "deadlocked",
    "timed out",
    "timeout",
    "time out",
    "hung",
    "stuck",
    "watchdog",
    "not responding",
    "did not finish",
    "did not return",
    "still waiting",
];

/// Phrases of a panic message by which a program asks for its goroutines
/// to be printed (a panic raised under GOTRACEBACK=all only to get the
/// dump): the panic wrote the dump and reports nothing to fix.
pub static PANIC_REQUESTS_DUMP: &[&str] = &[
    "dumping",
    "goroutine dump",
    "stack dump",
    "dump goroutines",
    "dump stacks",
    "dump all goroutines",
];

/// The functions a goroutine inside a panic has on its stack (the builtin
/// as tracebacks print it since Go 1.17, and the runtime's name before):
/// a deferred call above it runs while the panic unwinds, and may recover.
pub static PANIC_FRAMES: &[&str] = &["panic", "runtime.gopanic"];

/// The line of a test timeout's panic message before the tests still
/// running (`panic: test timed out after 2s` then `running tests:` and one
/// `TestName (2s)` per line).
pub const RUNNING_TESTS: &str = "running tests:";

/// Whether `message` contains one of `phrases` as whole words, in any case.
pub fn mentions(message: &str, phrases: &[&str]) -> bool {
    let lower = message.to_ascii_lowercase();
    phrases.iter().any(|phrase| {
        lower.match_indices(phrase).any(|(at, _)| {
            let before = lower[..at].chars().next_back();
            let after = lower[at + phrase.len()..].chars().next();
            !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
        })
    })
}

/// Functions that write a goroutine dump of the process they run in: a
/// goroutine with one of them on its stack is the one taking the snapshot
/// (a profile handler, `runtime.Stack`, a program dumping itself), not
/// progress of the program's own work.
pub static DUMP_WRITERS: &[&str] = &[
    "runtime/pprof.writeGoroutineStacks",
    "runtime/pprof.writeGoroutine",
    "runtime/pprof.writeRuntimeProfile",
    "runtime/pprof.writeGoroutineLeak",
    "runtime/pprof.(*Profile).WriteTo",
    "runtime.Stack",
    "runtime.GoroutineProfile",
];

/// HTTP/2 client connections' read loops (the bundled copy, the standard
/// library's internal package since Go 1.27, golang.org/x/net).
const H2_CLIENT_READERS: &[&str] = &[
    "net/http.(*http2ClientConn).readLoop",
    "net/http.(*http2clientConnReadLoop).run",
    "net/http/internal/http2.(*ClientConn).readLoop",
    "net/http/internal/http2.(*clientConnReadLoop).run",
    "golang.org/x/net/http2.(*ClientConn).readLoop",
    "golang.org/x/net/http2.(*clientConnReadLoop).run",
];

/// HTTP/2 server connections' loops.
const H2_SERVER_LOOPS: &[&str] = &[
    "net/http.(*http2serverConn).serve",
    "net/http.(*http2serverConn).readFrames",
    "net/http/internal/http2.(*serverConn).serve",
    "net/http/internal/http2.(*serverConn).readFrames",
    "golang.org/x/net/http2.(*serverConn).serve",
    "golang.org/x/net/http2.(*serverConn).readFrames",
];

/// Goroutines using a database/sql pool (a query, an exec, rows being read).
const SQL_USERS: &[&str] = &[
    "database/sql.(*DB).queryDC",
    "database/sql.(*DB).execDC",
    "database/sql.(*Rows).Next",
    "database/sql.(*Rows).awaitDone",
    "database/sql.(*DB).QueryContext",
    "database/sql.(*DB).ExecContext",
];

const H2_CLIENT_WHY: &str =
    "the HTTP/2 client connection's read loop delivers the stream's frames and ends it";
const H2_SERVER_WHY: &str = "the HTTP/2 server connection's loop serves the stream and cancels its handler when the stream ends";
const H2_PIPE_WHY: &str =
    "an HTTP/2 connection loop writes the body's data frames into the pipe and closes it";
const GRPC_WHY: &str =
    "the grpc transport's reader and writer loops feed the stream and its control buffer";

/// grpc-go transport loops.
const GRPC_LOOPS: &[&str] = &[
    "google.golang.org/grpc/internal/transport.(*http2Client).reader",
    "google.golang.org/grpc/internal/transport.(*http2Server).HandleStreams",
    "google.golang.org/grpc/internal/transport.(*loopyWriter).run",
];

/// CockroachDB stores' raft tick loops (they enqueue every replica's tick
/// on the raft scheduler, which signals its workers).
const CRDB_TICKERS: &[&str] = &[
    "github.com/cockroachdb/cockroach/pkg/kv/kvserver.(*Store).raftTickLoop",
    "github.com/cockroachdb/cockroach/pkg/kv/kvserver.(*Store).coalescedHeartbeatsLoop",
    "github.com/cockroachdb/cockroach/pkg/storage.(*Store).raftTickLoop",
    "github.com/cockroachdb/cockroach/pkg/storage.(*Store).coalescedHeartbeatsLoop",
];
const CRDB_WHY: &str =
    "the store's raft tick loop enqueues ranges on the scheduler, which signals its workers";

/// Waits that a loop of the same library ends, with those loops: the
/// connection, stream and pool goroutines of net/http (HTTP/1 and HTTP/2),
/// net/rpc, database/sql, grpc-go, CockroachDB's raft scheduler and the
/// NATS server and client. A waiter
/// is normal while one of its partners is live; with none left it is judged
/// as any other wait.
pub static PARTNERS: &[Partner] = &[
    partner(
        "net/http.(*persistConn).writeLoop",
        &[&["net/http.(*persistConn).readLoop"]],
        "the connection's readLoop closes it when the connection ends",
    ),
    partner("net/http.(*http2clientStream).writeRequest", &[H2_CLIENT_READERS], H2_CLIENT_WHY),
    partner("net/http/internal/http2.(*clientStream).writeRequest", &[H2_CLIENT_READERS], H2_CLIENT_WHY),
    partner("golang.org/x/net/http2.(*clientStream).writeRequest", &[H2_CLIENT_READERS], H2_CLIENT_WHY),
    partner("net/http.(*http2pipe).Read", &[H2_CLIENT_READERS, H2_SERVER_LOOPS], H2_PIPE_WHY),
    partner("net/http/internal/http2.(*pipe).Read", &[H2_CLIENT_READERS, H2_SERVER_LOOPS], H2_PIPE_WHY),
    partner("golang.org/x/net/http2.(*pipe).Read", &[H2_CLIENT_READERS, H2_SERVER_LOOPS], H2_PIPE_WHY),
    partner("net/http.(*http2serverConn).runHandler", &[H2_SERVER_LOOPS], H2_SERVER_WHY),
    partner("net/http/internal/http2.(*serverConn).runHandler", &[H2_SERVER_LOOPS], H2_SERVER_WHY),
    partner("golang.org/x/net/http2.(*serverConn).runHandler", &[H2_SERVER_LOOPS], H2_SERVER_WHY),
    partner(
        "net/http.(*conn).serve",
        &[&["net/http.(*connReader).backgroundRead", "net/http.(*Server).Serve"]],
        "the server cancels the request's context when its connection ends",
    ),
    partner(
        "net/rpc.(*Client).Call",
        &[&["net/rpc.(*Client).input"]],
        "the client's input loop delivers every reply and fails the pending calls when the connection ends",
    ),
    partner(
        "database/sql.(*DB).connectionOpener",
        &[&["database/sql.(*DB).conn"], SQL_USERS],
        "the pool opens connections on request while it is in use; Close ends the opener",
    ),
    partner(
        "database/sql.(*DB).conn",
        &[SQL_USERS, &["database/sql.(*Tx).awaitDone"]],
        "a goroutine using a pooled connection returns it to the waiting caller",
    ),
    partner(
        "database/sql.(*Rows).awaitDone",
        &[&["database/sql.(*DB).queryDC", "database/sql.(*Rows).Next", "database/sql.(*DB).QueryContext"]],
        "the rows are closed when their query's reader finishes",
    ),
    partner("google.golang.org/grpc/internal/transport.(*controlBuffer).get", &[GRPC_LOOPS], GRPC_WHY),
    partner("google.golang.org/grpc/internal/transport.(*recvBufferReader).read", &[GRPC_LOOPS], GRPC_WHY),
    partner("google.golang.org/grpc/internal/transport.(*writeQuota).get", &[GRPC_LOOPS], GRPC_WHY),
    partner("github.com/cockroachdb/cockroach/pkg/kv/kvserver.(*raftSchedulerShard).worker", &[CRDB_TICKERS], CRDB_WHY),
    partner("github.com/cockroachdb/cockroach/pkg/kv/kvserver.(*raftScheduler).worker", &[CRDB_TICKERS], CRDB_WHY),
    partner("github.com/cockroachdb/cockroach/pkg/storage.(*raftScheduler).worker", &[CRDB_TICKERS], CRDB_WHY),
    partner(
        "github.com/nats-io/nats-server/v2/server.(*client).writeLoop",
        &[&["github.com/nats-io/nats-server/v2/server.(*client).readLoop"]],
        "the client's readLoop and the publishers signal the writeLoop when there is something to flush",
    ),
    partner(
        "github.com/nats-io/nats%2ego.(*Conn).flusher",
        &[&["github.com/nats-io/nats%2ego.(*Conn).readLoop"]],
        "the connection's readLoop and publishers signal the flusher",
    ),
];

/// Libraries that own the goroutines they start: a connection, stream,
/// node or pool object of the library runs them and ends them when it is
/// closed, so while the library is at work (one of its goroutines is live)
/// their waits are the object's normal idle state, not a leak of their own.
/// A leaked library object shows as growth between dumps, or as Go's proof.
/// Each entry is a package path prefix, as the dump prints it.
pub static OWNING_LIBRARIES: &[&str] = &[
    "google.golang.org/grpc",
    "github.com/nats-io/nats-server/",
    "github.com/nats-io/nats%2ego",
    "go.etcd.io/raft/",
    "go.etcd.io/etcd/",
    "github.com/hashicorp/raft",
    "github.com/hashicorp/memberlist",
    "github.com/hashicorp/yamux",
    "github.com/lib/pq",
    "github.com/jackc/pgx",
    "github.com/go-sql-driver/mysql",
    "github.com/redis/go-redis/",
    "github.com/go-redis/redis/",
    "github.com/IBM/sarama",
    "github.com/Shopify/sarama",
    "github.com/segmentio/kafka-go",
    "github.com/confluentinc/confluent-kafka-go",
    "go.mongodb.org/mongo-driver",
    "github.com/gocql/gocql",
    "go.opentelemetry.io/",
    "github.com/prometheus/client_golang",
    "go.opencensus.io",
    "github.com/aws/aws-sdk-go",
    "cloud.google.com/go/",
    "k8s.io/client-go/",
    "k8s.io/apimachinery/",
    "sigs.k8s.io/controller-runtime",
    "github.com/quic-go/quic-go",
    "golang.org/x/net/http2",
    "github.com/valyala/fasthttp",
    "go.uber.org/zap",
    "github.com/dgraph-io/badger",
    "github.com/dgraph-io/ristretto",
    "go.etcd.io/bbolt",
    "github.com/cockroachdb/pebble",
];
