package org.fusekicdc.fuseki.config;

import java.time.Duration;
import java.util.List;

import org.fusekicdc.core.internal.capture.CaptureConfig;
import org.fusekicdc.core.config.Option;
import org.fusekicdc.core.internal.follow.FollowerConfig;
import org.fusekicdc.core.internal.log.ChangeLogConfig;
import org.fusekicdc.core.sink.SinkConfig;
import org.fusekicdc.live.LiveConfig;
import org.fusekicdc.rsp.StreamEngineConfig;

/**
 * The {@code cdc:} options of a captured dataset, of every sink and of every follower, each
 * declared once with its type, typed default (taken from the code that uses it), bounds and
 * meaning. The parsers read defaults and bounds from here; the tables of
 * {@code docs/configuration.md} are generated from these lists ({@code ConfigurationDocTest}).
 */
public final class CdcOption {
    private CdcOption() {}

    private static final LiveConfig LIVE = LiveConfig.DEFAULTS;

    public static final Option<String> DATASET = Option.required(VocabCdc.dataset.getLocalName(), "resource",
        "The dataset to capture: a TDB2 (tdb2:DatasetTDB2) or in-memory transactional dataset description.");
    public static final Option<String> LOG_DIRECTORY = Option.required(VocabCdc.logDirectory.getLocalName(), "string (path)",
        "Directory of the change log; created if absent. Relative paths are resolved against the server's working directory."
        + " Each captured dataset needs its own.");
    public static final Option<String> NAME = Option.withoutDefault(VocabCdc.name.getLocalName(), "string", "the fuseki:name of the service that serves the dataset",
        "Dataset name put in every patch's `dataset` header and recorded in the log. Required when no single service names the dataset.");
    public static final Option<Boolean> FSYNC = Option.bool(VocabCdc.fsync.getLocalName(), true,
        "Force each patch to disk before the write is acknowledged. false trades durability of the last writes on power loss for speed.");
    public static final Option<Long> SEGMENT_BYTES = Option.integer(VocabCdc.segmentBytes.getLocalName(), "integer (bytes)", ChangeLogConfig.DEFAULT_SEGMENT_BYTES,
        "Start a new log segment file when the current one reaches this size. Retention removes whole segments.").range(1024, Long.MAX_VALUE);
    public static final Option<Long> SPILL_THRESHOLD = Option.integer(VocabCdc.spillThreshold.getLocalName(), "integer (quads)", CaptureConfig.DEFAULT_SPILL_THRESHOLD,
        "A transaction's changes are kept in memory up to this many quads; beyond it they go to files on disk (sorted runs only when the transaction both adds and deletes).")
        .range(1, 10_000_000, v -> v + " would keep up to that many quads in memory per transaction; use at most 10000000");
    public static final Option<String> SPILL_DIRECTORY = Option.withoutDefault(VocabCdc.spillDirectory.getLocalName(), "string (path)", "<logDirectory>/spill",
        "Where large transactions spill their changes. Needs free space of about twice the transaction's patch size.");
    public static final Option<String> SNAPSHOT_DIRECTORY = Option.withoutDefault(VocabCdc.snapshotDirectory.getLocalName(), "string (path)", "<logDirectory>/snapshots",
        "Where the admin snapshot operation (POST /$/cdc/<dataset>/snapshot) writes <dataset>-<version>.rdfp files. See docs/operations.md.");
    public static final Option<Long> RETAIN_VERSIONS = Option.integer(VocabCdc.retainVersions.getLocalName(), "integer", 0,
        "Retention: keep at least this many most recent versions; older whole segments may be removed.")
        .range(0, Long.MAX_VALUE)
        .defaultText("0 (no limit)");
    public static final Option<Duration> RETAIN_AGE = Option.withoutDefault(VocabCdc.retainAge.getLocalName(), "xsd:duration (e.g. \"P7D\")", "none (no limit)",
        "Retention: segments whose newest patch is older than this may be removed.");
    public static final Option<Long> RETAIN_BYTES = Option.integer(VocabCdc.retainBytes.getLocalName(), "integer (bytes)", 0,
        "Retention: remove the oldest segments while the log is larger than this.").range(0, Long.MAX_VALUE).defaultText("0 (no limit)");
    public static final Option<Boolean> RETENTION_OVERRIDES_READERS = Option.bool(VocabCdc.retentionOverridesReaders.getLocalName(), false,
        "Retention normally keeps every version a registered reader (a sink, a follower) has not acknowledged; true removes them anyway.");
    public static final Option<Long> START_NEW_HISTORY = Option.integer(VocabCdc.startNewHistory.getLocalName(), "integer (epoch)", 0,
        "Start a new history with this epoch (the store's current epoch plus one, which the start-up error names) when the change log is missing, damaged or another store's: the old log is moved aside, versions start again at 1 and patches carry `H epoch N`. Acts only when needed and only with the right number; remove it once started. See docs/operations.md.")
        .range(1, Long.MAX_VALUE)
        .defaultText("none");
    public static final Option<Long> HISTORY_SNAPSHOT_EVERY = Option.integer(VocabCdc.historySnapshotEvery.getLocalName(), "integer (versions)", 0,
        "As-of reads: copy the whole dataset (a TDB2 database under <logDirectory>/history) each time this many versions have been committed since the last copy,"
        + " so that a read far back undoes the patches from the nearest copy at or after its version instead of from the current state. Each copy takes the disk space of the dataset. See docs/history.md.")
        .range(0, Long.MAX_VALUE)
        .defaultText("0 (no copies: as-of reads start from the current state)");
    public static final Option<Long> HISTORY_SNAPSHOTS_KEPT = Option.integer(VocabCdc.historySnapshotsKept.getLocalName(), "integer", HistorySettings.DEFAULT_KEPT,
        "As-of reads: how many history copies (cdc:historySnapshotEvery) to keep, the newest; copies older than the oldest version the change log reaches back to are removed too.")
        .range(1, 1000, v -> v + " copies of the whole dataset would take that many times its disk space; keep at most 1000");
    public static final Option<Boolean> HISTORY_INDEX = Option.bool(VocabCdc.historyIndex.getLocalName(), true,
        "Keep the resource-history index (<logDirectory>/history-index), which answers GET /<dataset>/history and finds revert's conflicts."
        + " It follows the log on its own thread, off the write path. false saves its disk space and work; resource history and revert then answer 404. See docs/history.md.");
    public static final Option<String> SINK = Option.withoutDefault(VocabCdc.sink.getLocalName(), "resource (repeatable)", "none",
        "A sink fed from the change log: `[ a cdc:KafkaSink ; ... ]`, `[ a cdc:NatsSink ; ... ]`, `[ a cdc:RedisSink ; ... ]`, `[ a cdc:PulsarSink ; ... ]`, `[ a cdc:KinesisSink ; ... ]`, `[ a cdc:WebhookSink ; ... ]`. See docs/sinks.md.");
    public static final Option<String> SOURCE = Option.withoutDefault(VocabCdc.source.getLocalName(), "resource (repeatable)", "none",
        "A source whose changes are written into the dataset, one transaction per source transaction: `[ a cdc:PostgresSource ; ... ]`."
        + " Needs the source's jar on the classpath. See docs/sources.md.");
    public static final Option<Long> LIVE_MAX_SUBSCRIPTIONS = Option.integer(VocabCdc.liveMaxSubscriptions.getLocalName(), "integer", LIVE.maxSubscriptions(),
        "Live queries: most subscriptions on this dataset at once; more get 503.").range(1, Integer.MAX_VALUE);
    public static final Option<Long> LIVE_MAX_PER_CLIENT = Option.integer(VocabCdc.liveMaxPerClient.getLocalName(), "integer", LIVE.maxPerClient(),
        "Live queries: most subscriptions of one client (authenticated user, else address); more get 429.").range(1, Integer.MAX_VALUE);
    public static final Option<Long> LIVE_MAX_RESULT_ROWS = Option.integer(VocabCdc.liveMaxResultRows.getLocalName(), "integer", LIVE.maxResultRows(),
        "Live queries: a query whose answer has more rows cannot be live: a new subscription gets 422, the subscribers of a query whose answer grows past it an error event, and the query ends.")
        .range(1, Integer.MAX_VALUE);
    public static final Option<Long> LIVE_QUERY_TIMEOUT_SECONDS = Option.integer(VocabCdc.liveQueryTimeoutSeconds.getLocalName(), "integer (seconds)", LIVE.queryTimeout().toSeconds(),
        "Live queries: longest evaluation of one query. A query that takes longer is cancelled: a new subscription gets 422, existing subscribers an error event, and the query ends.")
        .range(1, Integer.MAX_VALUE);
    public static final Option<Long> LIVE_COSTLY_QUERY_MILLIS = Option.integer(VocabCdc.liveCostlyQueryMillis.getLocalName(), "integer (ms)", LIVE.costlyThreshold().toMillis(),
        "Live queries: an evaluation that takes longer is cancelled on the engine's thread, and the query is evaluated from then on by the costly-query threads, so that it cannot delay other queries' notifications. At most cdc:liveQueryTimeoutSeconds.")
        .range(1, Long.MAX_VALUE);
    public static final Option<Long> LIVE_COSTLY_THREADS = Option.integer(VocabCdc.liveCostlyThreads.getLocalName(), "integer", LIVE.costlyThreads(),
        "Live queries: threads that evaluate costly queries (besides the engine's own thread), each query on its own snapshot, in turn.")
        .range(1, 64, v -> v + " would let costly live queries take that many cores; use at most 64");
    public static final Option<Long> LIVE_COSTLY_BUSY_PERCENT = Option.integer(VocabCdc.liveCostlyBusyPercent.getLocalName(), "integer (1-100)", LIVE.costlyBusyPercent(),
        "Live queries: each costly-query thread rests after an evaluation so that it evaluates at most this share of the time, leaving the rest of a core to the server. Higher keeps costly queries fresher.")
        .range(1, 100, v -> v + " is a share of the time: use 1 to 100");
    public static final Option<Long> LIVE_HEARTBEAT_SECONDS = Option.integer(VocabCdc.liveHeartbeatSeconds.getLocalName(), "integer (seconds)", LiveSettings.DEFAULT_HEARTBEAT.toSeconds(),
        "Live queries: an idle stream sends a heartbeat comment (a ping on WebSocket) this often (at most 25).")
        .range(1, 25, v -> v + " is too long: proxies and browsers drop streams idle for 30 s or more. Use at most 25");
    public static final Option<String> ALLOWED_ORIGINS = Option.withoutDefault(VocabCdc.allowedOrigins.getLocalName(), "string (origins)", "none: same origin only",
        "Web pages of these origins (space-separated `https://host[:port]`, or `*` for any) may read this dataset's change feed, live queries"
        + " (Server-Sent Events and WebSocket) and admin resources from a browser: listed origins get CORS headers with credentials,"
        + " `*` gets them without credentials; other origins get none, and their WebSocket handshakes 403. See docs/security.md.");
    public static final Option<String> ADMIN_USERS = Option.withoutDefault(VocabCdc.adminUsers.getLocalName(), "string (user names)", "none: no admin when Fuseki authenticates users",
        "Users (space-separated, as Fuseki authenticates them) allowed the admin operations on this dataset under /$/cdc/<dataset>/."
        + " Without authentication on the server, requests from this machine are the admin. See docs/security.md.");
    public static final Option<Long> FEED_MAX_STREAMS = Option.integer(VocabCdc.feedMaxStreams.getLocalName(), "integer", FeedSettings.DEFAULT_MAX_STREAMS,
        "Change feed: most live (text/event-stream) readers of this dataset at once; more get 503 with Retry-After.").range(1, Integer.MAX_VALUE);
    public static final Option<Long> FEED_MAX_STREAMS_PER_CLIENT = Option.integer(VocabCdc.feedMaxStreamsPerClient.getLocalName(), "integer", FeedSettings.DEFAULT_MAX_STREAMS_PER_CLIENT,
        "Change feed: most live readers of one client (authenticated user, else address) at once; more get 429 with Retry-After. At most cdc:feedMaxStreams.").range(1, Integer.MAX_VALUE)
        .defaultText(FeedSettings.DEFAULT_MAX_STREAMS_PER_CLIENT + ", or cdc:feedMaxStreams when that is less");
    public static final Option<Long> FEED_HEARTBEAT_SECONDS = Option.integer(VocabCdc.feedHeartbeatSeconds.getLocalName(), "integer (seconds)", FeedSettings.DEFAULT_HEARTBEAT.toSeconds(),
        "Change feed: a live stream with nothing new sends a heartbeat comment this often.").range(1, Integer.MAX_VALUE);
    public static final Option<Long> SLOW_READER_SECONDS = Option.integer(VocabCdc.slowReaderSeconds.getLocalName(), "integer (seconds)", FeedSettings.DEFAULT_SLOW_READER_TIMEOUT.toSeconds(),
        "Change feed streams and pages, snapshots, and live query streams (SSE and WebSocket): a client that takes none of the data"
        + " waiting for it for this long is disconnected, and the reason logged. Keep it below Jetty's idle timeout (30 s), which would otherwise close the connection first.").range(1, Integer.MAX_VALUE);
    public static final Option<Long> MIN_VERSION_WAIT_MILLIS = Option.integer(VocabCdc.minVersionWaitMillis.getLocalName(), "integer (ms)", ReplicaReadSettings.DEFAULT_WAIT.toMillis(),
        "Read-your-writes: longest a read with X-CDC-Min-Version (or minVersion=N, or a live subscribe message's minVersion) waits for this server to show that version;"
        + " past it the read gets 503 with the current version and lag. A request may ask for less with X-CDC-Max-Wait or maxWait (ms). See docs/replicas.md.").range(0, 600_000);
    public static final Option<Long> MIN_VERSION_MAX_WAITERS = Option.integer(VocabCdc.minVersionMaxWaiters.getLocalName(), "integer", ReplicaReadSettings.DEFAULT_MAX_WAITERS,
        "Read-your-writes: most reads of this dataset waiting for a version at once; more get 503 with Retry-After at once.").range(1, 100_000);
    public static final Option<Long> READY_MAX_LAG_VERSIONS = Option.integer(VocabCdc.readyMaxLagVersions.getLocalName(), "integer (versions)", ReplicaReadSettings.DEFAULT_READY_LAG_VERSIONS,
        "Readiness (GET /$/cdc/<dataset>/ready): a follower further behind its topic's newest version than this answers 503."
        + " The request's maxLagVersions overrides it.").range(0, Long.MAX_VALUE);
    public static final Option<Long> READY_MAX_LAG_MILLIS = Option.integer(VocabCdc.readyMaxLagMillis.getLocalName(), "integer (ms)", ReplicaReadSettings.DEFAULT_READY_LAG_MILLIS,
        "Readiness (GET /$/cdc/<dataset>/ready): a follower whose lag in time (how long ago the leader committed the oldest version it has read from its topic and not yet applied; 0 when caught up) is more than this answers 503."
        + " The request's maxLagMillis overrides it.").range(0, Long.MAX_VALUE);
    public static final Option<Long> LDES_PAGE_SIZE = Option.integer(VocabCdc.ldesPageSize.getLocalName(), "integer (versions)", LdesSettings.DEFAULT_PAGE_SIZE,
        "Linked Data Event Stream (cdc:ldes): versions per page. A page whose versions all exist never changes and is served as immutable;"
        + " changing this starts new page addresses (old ones stay valid). See docs/ldes.md.").range(1, LdesSettings.MAX_PAGE_SIZE);
    public static final Option<Long> LDES_MAX_AGE_SECONDS = Option.integer(VocabCdc.ldesMaxAgeSeconds.getLocalName(), "integer (seconds)", LdesSettings.DEFAULT_MAX_AGE.toSeconds(),
        "Linked Data Event Stream (cdc:ldes): how long caches and clients may keep the newest page and the stream's description (Cache-Control max-age).")
        .range(1, 86_400, v -> v + " s would hide new versions from caching clients for more than a day; use at most 86400");
    public static final Option<String> FOLLOW = Option.withoutDefault(VocabCdc.follow.getLocalName(), "resource", "none (a leader: takes local writes)",
        "Make this dataset a read-only follower of a leader's change topic: `[ a cdc:KafkaTopic ; ... ]`, `[ a cdc:JetStreamSubject ; ... ]`, `[ a cdc:PulsarTopic ; ... ]`, `[ a cdc:KinesisStream ; ... ]`."
        + " See docs/replicas.md.");
    public static final Option<String> LEADER_DATASET = Option.withoutDefault(VocabCdc.leaderDataset.getLocalName(), "string", "this dataset's name",
        "The leader's dataset name: the topic's record key, the subject's default, and every patch's `dataset` header.");
    public static final Option<String> SNAPSHOT_URL = Option.withoutDefault(VocabCdc.snapshotUrl.getLocalName(), "string (URL)", "none: follow from version 1",
        "The leader's cdc:snapshot endpoint. A follower that starts empty loads the snapshot, then follows from the version after it.");
    public static final Option<String> SNAPSHOT_AUTHORIZATION = Option.withoutDefault(VocabCdc.snapshotAuthorization.getLocalName(), "string", "none",
        "Authorization header value for the snapshot request, e.g. \"Basic ${env:LEADER_AUTH}\"; ${env:NAME} is read from the environment.");
    public static final Option<String> LEADER_URL = Option.withoutDefault(VocabCdc.leaderUrl.getLocalName(), "string (URL)", "none",
        "Where clients should send writes; named in the error a write to this follower gets.");
    public static final Option<String> ON_BAD_MESSAGE = Option.oneOf(VocabCdc.onBadMessage.getLocalName(), "\"halt\" or \"deadLetter\"", "halt", List.of("halt", "deadLetter"),
        "A message on the source that is not a readable patch of the leader's dataset: halt the follower, or write it to cdc:deadLetterDirectory and go on.");
    public static final Option<String> ON_GAP = Option.oneOf(VocabCdc.onGap.getLocalName(), "\"halt\" or \"resync\"", "halt", List.of("halt", "resync"),
        "Versions missing from the leader's topic, a forked history or diverged data: halt the follower (it keeps serving reads at its version),"
        + " or replace its data and history with a new snapshot (needs cdc:snapshotUrl).");
    public static final Option<String> FOLLOW_DEAD_LETTER_DIRECTORY = Option.withoutDefault(VocabCdc.deadLetterDirectory.getLocalName(), "string (path)", "none",
        "Where cdc:onBadMessage \"deadLetter\" puts bad messages (headers in a .properties file, body in a .bin file).");
    public static final Option<Long> FOLLOW_RETRY_INITIAL_MILLIS = Option.integer(VocabCdc.retryInitialMillis.getLocalName(), "integer (ms)", SinkConfig.DEFAULTS.initialBackoff().toMillis(),
        "First delay before reconnecting after a broker or leader failure; doubled after each failure, with jitter.").range(1, 3_600_000);
    public static final Option<Long> FOLLOW_RETRY_MAX_MILLIS = Option.integer(VocabCdc.retryMaxMillis.getLocalName(), "integer (ms)", SinkConfig.DEFAULTS.maxBackoff().toMillis(),
        "Longest delay between reconnection attempts.").range(1, 3_600_000);
    public static final Option<Long> FOLLOW_MAX_GROUP_VERSIONS = Option.integer(VocabCdc.maxGroupVersions.getLocalName(), "integer (versions)",
        FollowerConfig.DEFAULT_MAX_GROUP_VERSIONS,
        "Most of the leader's versions a follower that is behind applies in one store transaction (each keeps its own record, version and id"
        + " in the follower's log); 1 applies each in a transaction of its own, several times slower to catch up.").range(1, 100_000);
    public static final Option<String> SINK_NAME = Option.withoutDefault(VocabCdc.name.getLocalName(), "string", "the sink type's name in lower case (kafka, nats, redis, pulsar, kinesis, webhook)",
        "The sink's name, unique per dataset; names its durable cursor and its state directory (`<logDirectory>/sinks/<name>`, so one path element: no `/`, `\\` or NUL, not `.` or `..`) and appears in logs and status.");
    public static final Option<String> SINK_DEAD_LETTER_DIRECTORY = Option.withoutDefault(VocabCdc.deadLetterDirectory.getLocalName(), "string (path)", "none: such a patch pauses the sink",
        "Where a patch that can never be delivered (too large, not authorised) is written, with the reason, so delivery continues.");
    public static final Option<Long> MAX_LAG_VERSIONS = Option.integer(VocabCdc.maxLagVersions.getLocalName(), "integer", 0,
        "How many versions the sink may fall behind before cdc:onLag applies.").range(0, Long.MAX_VALUE).defaultText("0 (no bound)");
    public static final Option<String> ON_LAG = Option.oneOf(VocabCdc.onLag.getLocalName(), "\"buffer\" or \"refuse\"", "buffer", List.of("buffer", "refuse"),
        "Past cdc:maxLagVersions: buffer (the log keeps growing on disk; writers never wait) or refuse (writes get 503 until the sink catches up).");
    public static final Option<String> ACKNOWLEDGE_WRITES = Option.oneOf(VocabCdc.acknowledgeWrites.getLocalName(), "\"local\" or \"topic\"", "local", List.of("local", "topic"),
        "When a write's response is sent: once it is committed locally (local), or only once this sink's destination also holds its patch (topic: Kafka acks=all, JetStream's publish"
        + " acknowledgement), so a follower promoted after the leader's loss has every acknowledged write. The commit stays local-first; past cdc:acknowledgeTimeoutMillis the"
        + " write gets 504 naming the sink and the version it committed locally. On a follower such a sink starts only when the follower is promoted. See docs/replicas.md.");
    public static final Option<Long> ACKNOWLEDGE_TIMEOUT_MILLIS = Option.integer(VocabCdc.acknowledgeTimeoutMillis.getLocalName(), "integer (ms)",
        SinkConfig.DEFAULTS.acknowledgeTimeout().toMillis(),
        "With cdc:acknowledgeWrites \"topic\": longest a write's response waits for the sink's destination to hold its patch.").range(1, 600_000);
    public static final Option<Long> SINK_RETRY_INITIAL_MILLIS = Option.integer(VocabCdc.retryInitialMillis.getLocalName(), "integer (ms)", SinkConfig.DEFAULTS.initialBackoff().toMillis(),
        "First delay before retrying a failed delivery; doubled after each failure, with jitter.").range(1, 3_600_000);
    public static final Option<Long> SINK_RETRY_MAX_MILLIS = Option.integer(VocabCdc.retryMaxMillis.getLocalName(), "integer (ms)", SinkConfig.DEFAULTS.maxBackoff().toMillis(),
        "Longest delay between retries.").range(1, 3_600_000);
    public static final Option<String> CONTINUOUS_QUERY = Option.withoutDefault(VocabCdc.continuousQuery.getLocalName(), "resource (repeatable)", "none",
        "A named continuous (RSP-QL) query started with the server: `[ cdc:name \"avg\" ; cdc:query \"\"\"REGISTER RSTREAM ...\"\"\" ; cdc:outputGraph <urn:view:avg> ; cdc:sink [ ... ] ]`."
        + " Its options are in the table of continuous queries below. See docs/stream-processing.md.");
    public static final Option<Long> STREAM_TICK_MILLIS = Option.integer(VocabCdc.streamTickMillis.getLocalName(), "integer (ms)", StreamSettings.DEFAULT_TICK.toMillis(),
        "Continuous queries: the longest their clock waits without advancing when no commit arrives. A time window closes at its end (the clock waits exactly until the earliest open window's end); this only bounds a wait, e.g. across a change of the system clock.")
        .range(10, 60_000, v -> v + " ms would leave the clock that long without a look at the time; use at most 60000");
    public static final Option<Long> STREAM_MAX_QUERIES = Option.integer(VocabCdc.streamMaxQueries.getLocalName(), "integer", StreamSettings.DEFAULT_MAX_QUERIES,
        "Continuous queries: most continuous queries registered on this dataset at once, configured and HTTP ones together; more HTTP registrations get 503."
        + " HTTP registrations also hold places against cdc:liveMaxSubscriptions and cdc:liveMaxPerClient, together with the live queries.").range(1, 100_000);
    public static final Option<Long> STREAM_MAX_LAG_VERSIONS = Option.integer(VocabCdc.streamMaxLagVersions.getLocalName(), "integer (versions)",
        StreamSettings.DEFAULT_MAX_LAG_VERSIONS,
        "Continuous queries: how many versions a costly query (one moved to a thread of its own, see cdc:streamCostlyStepMillis) may fall behind"
        + " the change log. Its backlog is the log on disk, never the heap; past this bound the query cannot keep up and is stopped with an error"
        + " naming this option (a configured query resumes from its last step when the server restarts).").range(1, 100_000_000);
    public static final Option<String> CONTINUOUS_QUERY_NAME = Option.required(VocabCdc.name.getLocalName(), "string",
        "The query's name, unique per dataset: 1-64 letters, digits, `_` or `-`. Names its step log (`<logDirectory>/rsp/<name>`), its sinks' `cdc-dataset` header (`<dataset>.<name>`) and its logs.");
    public static final Option<String> CONTINUOUS_QUERY_TEXT = Option.required(VocabCdc.query.getLocalName(), "string",
        "The RSP-QL query: `REGISTER RSTREAM|ISTREAM|DSTREAM <name> AS SELECT|ASK|CONSTRUCT ... FROM NAMED WINDOW ... WHERE { ... }`. Checked at start-up.");
    public static final Option<String> OUTPUT_GRAPH = Option.withoutDefault(VocabCdc.outputGraph.getLocalName(), "IRI", "none",
        "CONSTRUCT queries: the named graph of this dataset each step is written into, in one captured transaction (RSTREAM replaces the graph, ISTREAM adds, DSTREAM removes).");
    public static final Option<String> LATE_GRAPH = Option.withoutDefault(VocabCdc.lateGraph.getLocalName(), "IRI", "none (late events are counted only)",
        "Event-time queries: the named graph of this dataset the events that came too late for the query's windows are added to, one captured"
        + " transaction per commit that brought some (their triples; the commit carries the header `rsp-late`). Never fed back into any window;"
        + " not written twice after a restart. Without it late events are counted (status and metrics) and sent to HTTP clients only.");
    public static final Option<String> CONTINUOUS_QUERY_SINK = Option.withoutDefault(VocabCdc.sink.getLocalName(), "resource (repeatable)", "none",
        "A sink that gets one message per step (the step's JSON, headers naming the query and step), exactly as the dataset's sinks get patches: `[ a cdc:NatsSink ; ... ]`. Sink options as in the sink tables.");

    /** Options of a {@code cdc:CapturedDataset}, in documentation order. */
    public static final List<Option<?>> ALL = List.of(
        DATASET, LOG_DIRECTORY, NAME, FSYNC, SEGMENT_BYTES, SPILL_THRESHOLD, SPILL_DIRECTORY, SNAPSHOT_DIRECTORY,
        RETAIN_VERSIONS, RETAIN_AGE, RETAIN_BYTES, RETENTION_OVERRIDES_READERS, START_NEW_HISTORY, HISTORY_SNAPSHOT_EVERY, HISTORY_SNAPSHOTS_KEPT, HISTORY_INDEX, SINK, SOURCE,
        LIVE_MAX_SUBSCRIPTIONS, LIVE_MAX_PER_CLIENT, LIVE_MAX_RESULT_ROWS, LIVE_QUERY_TIMEOUT_SECONDS,
        LIVE_COSTLY_QUERY_MILLIS, LIVE_COSTLY_THREADS, LIVE_COSTLY_BUSY_PERCENT, LIVE_HEARTBEAT_SECONDS,
        ALLOWED_ORIGINS, ADMIN_USERS, FEED_MAX_STREAMS, FEED_MAX_STREAMS_PER_CLIENT, FEED_HEARTBEAT_SECONDS,
        SLOW_READER_SECONDS, MIN_VERSION_WAIT_MILLIS, MIN_VERSION_MAX_WAITERS, READY_MAX_LAG_VERSIONS, READY_MAX_LAG_MILLIS,
        LDES_PAGE_SIZE, LDES_MAX_AGE_SECONDS, FOLLOW, CONTINUOUS_QUERY, STREAM_TICK_MILLIS, STREAM_MAX_QUERIES,
        StreamEngineConfig.MAX_WINDOW_QUADS, StreamEngineConfig.INCREMENTAL, StreamEngineConfig.COSTLY_STEP_MILLIS, STREAM_MAX_LAG_VERSIONS);

    /** Options every follower has, whatever its source (on the {@code cdc:follow} resource). */
    public static final List<Option<?>> FOLLOW_COMMON = List.of(
        LEADER_DATASET, SNAPSHOT_URL, SNAPSHOT_AUTHORIZATION, LEADER_URL, ON_BAD_MESSAGE, ON_GAP,
        FOLLOW_DEAD_LETTER_DIRECTORY, FOLLOW_RETRY_INITIAL_MILLIS, FOLLOW_RETRY_MAX_MILLIS, FOLLOW_MAX_GROUP_VERSIONS);

    /** Options every sink has, whatever its type (on the {@code cdc:sink} resource). */
    public static final List<Option<?>> SINK_COMMON = List.of(
        SINK_NAME, SINK_DEAD_LETTER_DIRECTORY, MAX_LAG_VERSIONS, ON_LAG, ACKNOWLEDGE_WRITES, ACKNOWLEDGE_TIMEOUT_MILLIS,
        SINK_RETRY_INITIAL_MILLIS, SINK_RETRY_MAX_MILLIS);
}
