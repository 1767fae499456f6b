package org.fusekicdc.fuseki.config;

import java.util.List;

import org.apache.jena.rdf.model.Property;

/**
 * Everything about one {@code cdc:} configuration property in one place: its name, type,
 * default and meaning. {@code docs/configuration.md} is checked against {@link #ALL} by a test.
 *
 * @param property     the property
 * @param type         what its value must be
 * @param defaultValue the value used when it is absent ("required" when it must be given)
 * @param doc          what it does
 */
public record CdcOption(Property property, String type, String defaultValue, String doc) {
    public static final String REQUIRED = "required";

    /** Options of a {@code cdc:CapturedDataset}. */
    public static final List<CdcOption> ALL = List.of(
        new CdcOption(VocabCdc.dataset, "resource", REQUIRED,
                      "The dataset to capture: a TDB2 (tdb2:DatasetTDB2) or in-memory transactional dataset description."),
        new CdcOption(VocabCdc.logDirectory, "string (path)", REQUIRED,
                      "Directory of the change log; created if absent. Relative paths are resolved against the server's working directory."
                      + " Each captured dataset needs its own."),
        new CdcOption(VocabCdc.name, "string", "the fuseki:name of the service that serves the dataset",
                      "Dataset name put in every patch's `dataset` header and recorded in the log. Required when no single service names the dataset."),
        new CdcOption(VocabCdc.fsync, "boolean", "true",
                      "Force each patch to disk before the write is acknowledged. false trades durability of the last writes on power loss for speed."),
        new CdcOption(VocabCdc.segmentBytes, "integer (bytes)", String.valueOf(64L * 1024 * 1024),
                      "Start a new log segment file when the current one reaches this size. Retention removes whole segments."),
        new CdcOption(VocabCdc.spillThreshold, "integer (quads)", "50000",
                      "A transaction's changes are kept in memory up to this many quads; beyond it they go to files on disk (sorted runs only when the transaction both adds and deletes)."),
        new CdcOption(VocabCdc.spillDirectory, "string (path)", "<logDirectory>/spill",
                      "Where large transactions spill their changes. Needs free space of about twice the transaction's patch size."),
        new CdcOption(VocabCdc.snapshotDirectory, "string (path)", "<logDirectory>/snapshots",
                      "Where the admin snapshot operation (POST /$/cdc/<dataset>/snapshot) writes <dataset>-<version>.rdfp files. See docs/operations.md."),
        new CdcOption(VocabCdc.retainVersions, "integer", "0 (no limit)",
                      "Retention: keep at least this many most recent versions; older whole segments may be removed."),
        new CdcOption(VocabCdc.retainAge, "xsd:duration (e.g. \"P7D\")", "none (no limit)",
                      "Retention: segments whose newest patch is older than this may be removed."),
        new CdcOption(VocabCdc.retainBytes, "integer (bytes)", "0 (no limit)",
                      "Retention: remove the oldest segments while the log is larger than this."),
        new CdcOption(VocabCdc.retentionOverridesReaders, "boolean", "false",
                      "Retention normally keeps every version a registered reader (a sink, a follower) has not acknowledged; true removes them anyway."),
        new CdcOption(VocabCdc.startNewHistory, "integer (epoch)", "none",
                      "Start a new history with this epoch (the store's current epoch plus one, which the start-up error names) when the change log is missing, damaged or another store's: the old log is moved aside, versions start again at 1 and patches carry `H epoch N`. Acts only when needed and only with the right number; remove it once started. See docs/operations.md."),
        new CdcOption(VocabCdc.sink, "resource (repeatable)", "none",
                      "A sink fed from the change log: `[ a cdc:KafkaSink ; ... ]`, `[ a cdc:NatsSink ; ... ]`, `[ a cdc:RedisSink ; ... ]`, `[ a cdc:WebhookSink ; ... ]`. See docs/sinks.md."),
        new CdcOption(VocabCdc.source, "resource (repeatable)", "none",
                      "A source whose changes are written into the dataset, one transaction per source transaction: `[ a cdc:PostgresSource ; ... ]`."
                      + " Needs the source's jar on the classpath. See docs/sources.md."),
        new CdcOption(VocabCdc.liveMaxSubscriptions, "integer", "10000",
                      "Live queries: most subscriptions on this dataset at once; more get 503."),
        new CdcOption(VocabCdc.liveMaxPerClient, "integer", "100",
                      "Live queries: most subscriptions of one client (authenticated user, else address); more get 429."),
        new CdcOption(VocabCdc.liveMaxResultRows, "integer", "100000",
                      "Live queries: a query whose answer has more rows cannot be live: a new subscription gets 422, the subscribers of a query whose answer grows past it an error event, and the query ends."),
        new CdcOption(VocabCdc.liveQueryTimeoutSeconds, "integer (seconds)", "30",
                      "Live queries: longest evaluation of one query. A query that takes longer is cancelled: a new subscription gets 422, existing subscribers an error event, and the query ends."),
        new CdcOption(VocabCdc.liveCostlyQueryMillis, "integer (ms)", "100",
                      "Live queries: an evaluation that takes longer is cancelled on the engine's thread, and the query is evaluated from then on by the costly-query threads, so that it cannot delay other queries' notifications. At most cdc:liveQueryTimeoutSeconds."),
        new CdcOption(VocabCdc.liveCostlyThreads, "integer", "1",
                      "Live queries: threads that evaluate costly queries (besides the engine's own thread), each query on its own snapshot, in turn."),
        new CdcOption(VocabCdc.liveCostlyBusyPercent, "integer (1-100)", "50",
                      "Live queries: each costly-query thread rests after an evaluation so that it evaluates at most this share of the time, leaving the rest of a core to the server. Higher keeps costly queries fresher."),
        new CdcOption(VocabCdc.liveHeartbeatSeconds, "integer (seconds)", "20",
                      "Live queries: an idle stream sends a heartbeat comment (a ping on WebSocket) this often (at most 25)."),
        new CdcOption(VocabCdc.allowedOrigins, "string (origins)", "none: same origin only",
                      "Web pages of these origins (space-separated `https://host[:port]`, or `*` for any) may read this dataset's change feed, live queries"
                      + " (Server-Sent Events and WebSocket) and admin resources from a browser: listed origins get CORS headers with credentials,"
                      + " `*` gets them without credentials; other origins get none, and their WebSocket handshakes 403. See docs/security.md."),
        new CdcOption(VocabCdc.adminUsers, "string (user names)", "none: no admin when Fuseki authenticates users",
                      "Users (space-separated, as Fuseki authenticates them) allowed the admin operations on this dataset under /$/cdc/<dataset>/."
                      + " Without authentication on the server, requests from this machine are the admin. See docs/security.md."),
        new CdcOption(VocabCdc.feedMaxStreams, "integer", "64",
                      "Change feed: most live (text/event-stream) readers of this dataset at once; more get 503 with Retry-After."),
        new CdcOption(VocabCdc.feedMaxStreamsPerClient, "integer", "8, or cdc:feedMaxStreams when that is less",
                      "Change feed: most live readers of one client (authenticated user, else address) at once; more get 429 with Retry-After. At most cdc:feedMaxStreams."),
        new CdcOption(VocabCdc.feedHeartbeatSeconds, "integer (seconds)", "15",
                      "Change feed: a live stream with nothing new sends a heartbeat comment this often."),
        new CdcOption(VocabCdc.slowReaderSeconds, "integer (seconds)", "20",
                      "Change feed and live query streams (SSE and WebSocket): a client that takes none of the data waiting for it for this long is"
                      + " disconnected, and the reason logged. Keep it below Jetty's idle timeout (30 s), which would otherwise close the connection first."),
        new CdcOption(VocabCdc.follow, "resource", "none (a leader: takes local writes)",
                      "Make this dataset a read-only follower of a leader's change topic: `[ a cdc:KafkaTopic ; ... ]`, `[ a cdc:JetStreamSubject ; ... ]`."
                      + " See docs/replicas.md."));

    /** Options every follower has, whatever its source (on the {@code cdc:follow} resource). */
    public static final List<CdcOption> FOLLOW_COMMON = List.of(
        new CdcOption(VocabCdc.leaderDataset, "string", "this dataset's name",
                      "The leader's dataset name: the topic's record key, the subject's default, and every patch's `dataset` header."),
        new CdcOption(VocabCdc.snapshotUrl, "string (URL)", "none: follow from version 1",
                      "The leader's cdc:snapshot endpoint. A follower that starts empty loads the snapshot, then follows from the version after it."),
        new CdcOption(VocabCdc.snapshotAuthorization, "string", "none",
                      "Authorization header value for the snapshot request, e.g. \"Basic ${env:LEADER_AUTH}\"; ${env:NAME} is read from the environment."),
        new CdcOption(VocabCdc.leaderUrl, "string (URL)", "none",
                      "Where clients should send writes; named in the error a write to this follower gets."),
        new CdcOption(VocabCdc.onBadMessage, "\"halt\" or \"deadLetter\"", "halt",
                      "A message on the source that is not a readable patch of the leader's dataset: halt the follower, or write it to cdc:deadLetterDirectory and go on."),
        new CdcOption(VocabCdc.onGap, "\"halt\" or \"resync\"", "halt",
                      "Versions missing from the source, a forked history or diverged data: halt the follower (it keeps serving reads at its version),"
                      + " or replace its data and history with a new snapshot (needs cdc:snapshotUrl)."),
        new CdcOption(VocabCdc.deadLetterDirectory, "string (path)", "none",
                      "Where cdc:onBadMessage \"deadLetter\" puts bad messages (headers in a .properties file, body in a .bin file)."),
        new CdcOption(VocabCdc.retryInitialMillis, "integer (ms)", "200",
                      "First delay before reconnecting after a broker or leader failure; doubled after each failure, with jitter."),
        new CdcOption(VocabCdc.retryMaxMillis, "integer (ms)", "30000",
                      "Longest delay between reconnection attempts."));

    /** Options every sink has, whatever its type (on the {@code cdc:sink} resource). */
    public static final List<CdcOption> SINK_COMMON = List.of(
        new CdcOption(VocabCdc.name, "string", "the sink type's name in lower case (kafka, nats, redis, webhook)",
                      "The sink's name, unique per dataset; names its durable cursor and its state directory (`<logDirectory>/sinks/<name>`, so one path element: no `/`, `\\` or NUL, not `.` or `..`) and appears in logs and status."),
        new CdcOption(VocabCdc.deadLetterDirectory, "string (path)", "none: such a patch pauses the sink",
                      "Where a patch that can never be delivered (too large, not authorised) is written, with the reason, so delivery continues."),
        new CdcOption(VocabCdc.maxLagVersions, "integer", "0 (no bound)",
                      "How many versions the sink may fall behind before cdc:onLag applies."),
        new CdcOption(VocabCdc.onLag, "\"buffer\" or \"refuse\"", "buffer",
                      "Past cdc:maxLagVersions: buffer (the log keeps growing on disk; writers never wait) or refuse (writes get 503 until the sink catches up)."),
        new CdcOption(VocabCdc.retryInitialMillis, "integer (ms)", "200",
                      "First delay before retrying a failed delivery; doubled after each failure, with jitter."),
        new CdcOption(VocabCdc.retryMaxMillis, "integer (ms)", "30000",
                      "Longest delay between retries."));

    /** The prefixed name, e.g. {@code cdc:logDirectory}. */
    public String prefixedName() {
        return VocabCdc.PREFIX + ":" + property.getLocalName();
    }
}
